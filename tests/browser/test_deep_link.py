"""A bookmarked page address opens that page inside the frame (app.py: filters, navigation, later login).

Streamlit runs a ``pages/`` folder beside ``app.py`` in its old multipage mode for the first session
of a server, which skips ``app.py``; the pages therefore live in ``app_pages/``."""

from __future__ import annotations

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.browser


def test_no_pages_folder_beside_app_py():
    assert not (ROOT / "pages").exists(), "rename it: a pages/ folder makes Streamlit bypass app.py"


def test_deep_link_runs_the_frame(browser_page):
    browser_page.goto("/lights")
    sidebar = browser_page.page.locator('[data-testid="stSidebar"]').inner_text()
    assert "筛选" in sidebar  # the shared filters come from app.py
    assert "亮灯地图" in sidebar and "一屏总览" in sidebar  # navigation titles, not file names
    assert "overview" not in sidebar
    assert browser_page.page.locator("h1").first.inner_text().endswith("亮灯地图")
