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


# Every link on the page to a host other than this server: its address, its size on screen and whether it takes the
# keyboard's focus (a link of no size inside a hidden control takes none).
OUTSIDE_LINKS_JS = """() => [...document.querySelectorAll('a[href]')]
    .filter(a => { const u = new URL(a.href, location.href);
                   return u.protocol.startsWith('http') && !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname); })
    .map(a => { const r = a.getBoundingClientRect(); a.focus();
                return {href: a.href, width: r.width, height: r.height, focused: document.activeElement === a}; })"""


@pytest.mark.parametrize("path", ["/lights", "/heat"])
def test_the_analyst_maps_show_no_link_to_the_internet(browser_page, path):
    """The deck's map library keeps a Mapbox logo linking to its website in the page; with the local blank style it
    stays hidden (no size, no keyboard focus), so nobody on an offline intranet can click or tab to it. Should a
    Streamlit or pydeck upgrade show it (or an attribution link), this fails."""
    browser_page.goto(path)
    browser_page.page.locator('[data-testid="stDeckGlJsonChart"] canvas').first.wait_for(timeout=60_000)
    browser_page.wait_charts()
    links = browser_page.page.evaluate(OUTSIDE_LINKS_JS)
    shown = [link for link in links if link["width"] > 0 or link["height"] > 0 or link["focused"]]
    assert shown == [], shown
    assert browser_page.outside_requests() == []
