"""A bookmarked page address opens that page inside the frame (app.py: filters, navigation, later login).

Streamlit runs a ``pages/`` folder beside ``app.py`` in its old multipage mode for the first session
of a server, which skips ``app.py``; the pages therefore live in ``app_pages/``."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

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


def test_the_sidebar_navigation_keeps_the_chosen_filters(browser_page):
    """Streamlit's page links drop the address's parameters: the street and period chosen on one page
    must still be the ones the next page shows (they were: the sidebar kept them, the numbers did not)."""
    bp = browser_page
    bp.goto("/rates?period_type=week&street_code=S03")
    assert "白石江街道" in bp.page.locator('[data-testid="stMain"]').inner_text()
    bp.page.locator('[data-testid="stSidebarNav"] a').filter(has_text="工单明细").click()
    bp.page.wait_for_url("**/tickets**")
    bp.wait_idle()
    query = parse_qs(urlsplit(bp.page.url).query)
    assert query.get("street_code") == ["S03"] and query.get("period_type") == ["week"], bp.page.url
    bp.page.locator('[data-testid="stSidebarNav"] a').filter(has_text="三率分析").click()
    bp.page.wait_for_url("**/rates**")
    bp.wait_idle()
    query = parse_qs(urlsplit(bp.page.url).query)
    assert query.get("street_code") == ["S03"] and query.get("period_type") == ["week"], bp.page.url


@pytest.mark.parametrize(("path", "title", "who"), [("/upload", "数据导入", "数据分析员或管理员"), ("/audit", "审计日志", "管理员")])
def test_a_closed_page_says_why_in_chinese(browser_page, path, title, who):
    """Demo mode has no upload or audit page: their addresses explain that, instead of Streamlit's English
    "Page not found" dialog, and the navigation still does not list them."""
    bp = browser_page
    bp.goto(path)
    main = bp.page.locator('[data-testid="stMain"]')
    main.get_by_text(f"需要以{who}身份登录").wait_for(timeout=60_000)
    assert bp.page.locator("h1").first.inner_text() == title
    assert "Page not found" not in bp.page.content()
    assert title not in bp.page.locator('[data-testid="stSidebarNav"]').inner_text()
