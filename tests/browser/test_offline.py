"""The dashboard works on an intranet: no request leaves localhost, no error on the page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_home_page_loads_offline_without_errors(browser_page):
    browser_page.goto("/")
    browser_page.wait_charts()
    browser_page.screenshot("home")
    assert browser_page.page.locator('[data-testid="stException"]').count() == 0
    assert browser_page.page_errors == []
    assert browser_page.outside_requests() == []
    # The page really talked to the server (so the list above is not trivially empty).
    assert any("/_stcore/stream" in url for url in browser_page.websockets)
