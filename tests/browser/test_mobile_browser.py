"""The analyst pages on a phone (390×844, touch) and a tablet (768×1024), as a link from a WeChat work group opens
them: a swipe over a chart or a map scrolls the page, plotly's toolbar does not cover the legends, 周报's A4 charts
keep their size in a box of their own, 一屏总览 starts below Streamlit's header and puts two panels a row on a tablet,
links and options are big enough for a finger, and a desktop keeps its zoom by drag, its toolbar and its sizes.

One server for the module (conftest's ``streamlit_server``); screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import BrowserPage, is_local_url
from .test_pages_browser import assert_healthy

pytestmark = pytest.mark.browser

# A phone in WeChat (its in-app browser says "Mobile") and an Android tablet (no "Mobile", but "Android").
PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True,
             user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                        "Chrome/156.0.0.0 Mobile Safari/537.36 MicroMessenger/8.0.50")
TABLET = dict(viewport={"width": 768, "height": 1024}, device_scale_factor=2, is_mobile=True, has_touch=True,
              user_agent="Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "Chrome/156.0.0.0 Safari/537.36")


@contextmanager
def open_device(browser, base_url: str, artifacts_dir: Path, device: dict) -> Iterator[BrowserPage]:
    """A fresh browser context emulating ``device`` (zh-CN); outside hosts refused, as conftest's ``open_page``."""
    context = browser.new_context(locale="zh-CN", **device)
    page = context.new_page()
    recorder = BrowserPage(page=page, base_url=base_url, artifacts_dir=artifacts_dir)
    page.on("request", lambda request: recorder.requests.append(request.url))
    page.on("websocket", lambda ws: recorder.websockets.append(ws.url))
    page.on("pageerror", lambda error: recorder.page_errors.append(str(error)))
    context.route(lambda url: not is_local_url(url), lambda route: route.abort("blockedbyclient"))
    try:
        yield recorder
    finally:
        context.close()


def open_ready(bp: BrowserPage, path: str) -> None:
    """Open ``path`` and wait for its charts and maps to be drawn."""
    bp.goto(path)
    bp.page.locator('[data-testid="stPlotlyChart"] .main-svg, [data-testid="stDeckGlJsonChart"] canvas').first.wait_for(
        timeout=60_000)
    bp.wait_idle()
    bp.wait_charts()


def page_scroll(bp: BrowserPage) -> int:
    """How far the page is scrolled (Streamlit scrolls its main area, not the document)."""
    return bp.page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTop + window.scrollY")


def swipe_up(bp: BrowserPage, x: float, y: float, distance: int = 250) -> None:
    """A finger put down at (x, y) and moved ``distance`` px up, as a phone's touch screen sends it."""
    cdp = bp.page.context.new_cdp_session(bp.page)
    try:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for step in range(1, 21):
            cdp.send("Input.dispatchTouchEvent",
                     {"type": "touchMove", "touchPoints": [{"x": x, "y": y - distance * step / 20}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()


def swipe_over(bp: BrowserPage, locator) -> int:
    """Put ``locator`` in the middle of the screen, swipe up from its centre; how far the page moved."""
    locator.evaluate("e => e.scrollIntoView({block: 'center'})")
    bp.page.wait_for_timeout(300)
    box = locator.bounding_box()
    before = page_scroll(bp)
    swipe_up(bp, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    bp.page.wait_for_timeout(800)  # the scroll is applied a frame or two later
    return page_scroll(bp) - before


def no_sideways_page_scroll(bp: BrowserPage) -> dict:
    """The document's and the main area's widths against the window's (a page wider than the phone scrolls sideways)."""
    return bp.page.evaluate("""() => { const main = document.querySelector('[data-testid="stMain"]');
        return {window: innerWidth, document: document.documentElement.scrollWidth, main: main.scrollWidth,
                main_client: main.clientWidth}; }""")


def test_a_swipe_over_a_chart_or_the_lights_map_scrolls_the_page_on_a_phone(browser, streamlit_server, artifacts_dir):
    """Plotly cancelled a touch's scroll to draw a zoom box, deck.gl took it as a pan: on 三率分析 at 390 px a swipe
    over any chart moved nothing (0 px), over the lights map neither. A tap still shows a chart's hover (no drag mode
    is all that changes), and the plotly toolbar that covered the legends is gone."""
    with open_device(browser, streamlit_server, artifacts_dir, PHONE) as bp:
        open_ready(bp, "/rates")
        charts = bp.page.locator('[data-testid="stPlotlyChart"]')
        assert charts.count() >= 3
        # Text first: the swipe itself scrolls the page (else the checks below prove nothing).
        assert swipe_over(bp, bp.page.locator("h1").first) > 150
        moved = {i: swipe_over(bp, charts.nth(i).locator(".nsewdrag").first) for i in (0, 1)}  # the trend, the ranking
        bp.screenshot("phone-rates")
        assert all(px > 150 for px in moved.values()), moved
        assert bp.page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.dragmode") is False
        toolbars = bp.page.locator('[data-testid="stPlotlyChart"] .modebar-container')
        assert toolbars.count() >= 1 and not any(toolbars.nth(i).is_visible() for i in range(toolbars.count()))
        # A tap on a bar of the ranking still shows its value.
        charts.nth(1).evaluate("e => e.scrollIntoView({block: 'center'})")
        bar = charts.nth(1).locator(".point path").first.bounding_box()
        bp.page.touchscreen.tap(bar["x"] + bar["width"] * 0.8, bar["y"] + bar["height"] / 2)
        charts.nth(1).locator(".hoverlayer .hovertext").first.wait_for(timeout=10_000)
        assert_healthy(bp)

        open_ready(bp, "/lights")
        deck = bp.page.locator('[data-testid="stDeckGlJsonChart"]').first
        assert deck.bounding_box()["height"] >= 400
        assert swipe_over(bp, deck) > 150
        assert_healthy(bp)


def test_weekly_charts_keep_their_a4_size_in_their_own_box_on_a_phone(browser, streamlit_server, artifacts_dir):
    """周报's figures are drawn 680 px wide for A4: squeezed to 358 px the bars' values were 5.7 px and the trend's
    dates overlapped. At 390 px each keeps 680 px in a box that scrolls sideways, and the page itself does not."""
    with open_device(browser, streamlit_server, artifacts_dir, PHONE) as bp:
        open_ready(bp, "/weekly")
        bp.page.locator(".st-key-weekly_chart_kpis .main-svg").first.wait_for(timeout=60_000)
        bp.screenshot("phone-weekly")
        widths = no_sideways_page_scroll(bp)
        assert widths["document"] <= widths["window"] and widths["main"] <= widths["main_client"], widths
        boxes = bp.page.evaluate("""() => [...document.querySelectorAll('[class*="st-key-weekly_chart_"]')].map(box => ({
            key: [...box.classList].find(c => c.startsWith('st-key-')), box: box.clientWidth, scroll: box.scrollWidth,
            svg: Number(box.querySelector('.main-svg').getAttribute('width'))}))""")
        assert len(boxes) >= 3, boxes
        assert all(b["svg"] >= 680 and b["box"] <= widths["window"] and b["scroll"] > b["box"] for b in boxes), boxes
        # The values over the bars of 三率与按期办结率, at plotly's 12 px (5.7 px when squeezed).
        sizes = bp.page.evaluate("""() => [...document.querySelectorAll('.st-key-weekly_chart_kpis .bartext')].map(t => {
            const m = t.getScreenCTM();  // plotly shrinks a label that does not fit by scaling it
            return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b); })""")
        assert sizes and min(sizes) >= 11, sizes
        assert_healthy(bp)


def test_the_overview_starts_below_streamlits_header_on_a_phone(browser, streamlit_server, artifacts_dir):
    """Under 1024 px Streamlit's header is a white 60 px bar (the sidebar folded away), and the overview's top padding
    was the wall's 0.6rem: the first 50 px of the page (the demo banner's first line, a signed-in user's title) were
    under it. The page now starts below the header; nothing is wider than the phone."""
    with open_device(browser, streamlit_server, artifacts_dir, PHONE) as bp:
        open_ready(bp, "/")
        bp.page.locator(".st-key-os_wall").first.wait_for(timeout=60_000)
        bp.screenshot("phone-overview")
        tops = bp.page.evaluate("""() => ({header: document.querySelector('header[data-testid="stHeader"]').getBoundingClientRect().bottom,
            first: Math.min(...[...document.querySelectorAll('.block-container [data-testid="stAlertContainer"], .block-container h3')]
                   .map(e => e.getBoundingClientRect().top))})""")  # the demo banner, the title
        assert tops["first"] >= tops["header"], tops
        widths = no_sideways_page_scroll(bp)
        assert widths["document"] <= widths["window"] and widths["main"] <= widths["main_client"], widths
        assert_healthy(bp)


# The height of each page link and radio option, the smaller side of each help mark (the sidebar folded away on a
# phone: its links keep their height).
TAP_SIZES_JS = """() => {
    const sizes = (selector, measure) => [...document.querySelectorAll(selector)].map(e => Math.round(measure(e.getBoundingClientRect())));
    return {nav: sizes('[data-testid="stSidebarNavLink"]', r => r.height),
            radio: sizes('[data-testid="stRadio"] [role="radiogroup"] label', r => r.height),
            help: sizes('[data-testid="stTooltipHoverTarget"]', r => Math.min(r.width, r.height))};
}"""


def test_links_and_options_are_big_enough_to_tap_on_a_phone(browser, streamlit_server, artifacts_dir):
    """The sidebar's page links were 28 px tall, 工单明细's status options 22-24 px, the help marks 16 px: each at
    least 32 px on a touch screen."""
    with open_device(browser, streamlit_server, artifacts_dir, PHONE) as bp:
        bp.goto("/tickets")
        bp.page.get_by_text("办理状态").first.wait_for(timeout=60_000)
        bp.wait_idle()
        sizes = bp.page.evaluate(TAP_SIZES_JS)
        assert all(sizes.values()) and all(min(found) >= 32 for found in sizes.values()), sizes
        bp.screenshot("phone-tickets")
        assert_healthy(bp)


def test_overview_puts_two_panels_a_row_on_a_tablet(browser, streamlit_server, artifacts_dir):
    """Off the wall at 768 px the overview's three panels were about 230 px each and the street ranking's scores
    were cut at the panel's edge: two a row (tiles and map, then the lists), each over 300 px."""
    with open_device(browser, streamlit_server, artifacts_dir, TABLET) as bp:
        open_ready(bp, "/")
        bp.page.locator(".st-key-os_wall").first.wait_for(timeout=60_000)
        bp.wait_charts()
        bp.screenshot("tablet-overview")
        columns = bp.page.evaluate("""() => [...document.querySelectorAll(
                '.st-key-os_wall > * > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"]')]
            .map(c => { const r = c.getBoundingClientRect(); return [Math.round(r.left), Math.round(r.top), Math.round(r.width)]; })""")
        assert len(columns) == 3, columns
        (left_x, left_y, left_w), (mid_x, mid_y, mid_w), (right_x, right_y, _) = columns
        assert left_y == mid_y and mid_x > left_x and min(left_w, mid_w) >= 300, columns
        assert right_y > left_y + 300 and right_x == left_x, columns
        # The ranking's scores (drawn outside its bars) inside the chart's box.
        chart = bp.page.locator('.st-key-overview_street_ranking [data-testid="stPlotlyChart"]').first
        box = chart.bounding_box()
        scores = chart.locator(".bartext").evaluate_all("ts => ts.map(t => t.getBoundingClientRect().right)")
        assert scores and max(scores) <= box["x"] + box["width"], (scores, box)
        widths = no_sideways_page_scroll(bp)
        assert widths["document"] <= widths["window"], widths
        assert_healthy(bp)


@pytest.mark.parametrize("width, beside", [(1280, True), (1100, True), (1024, False)])
def test_overview_gives_the_lists_and_the_overdue_tickets_a_row_of_their_own_on_a_wide_tablet(
        browser, streamlit_server, artifacts_dir, width, beside):
    """A tablet held sideways (1024-1280 px, the sidebar open) kept three panels a row: the third, about 240 px at
    1280 (180 at 1024), stacked 物业红黑榜 over 超期工单 (the table's places cut off) with the screen under them empty.
    Two a row, as at 641-1023 px, and the third panel takes the whole second row: 红黑榜 and 超期工单 side by side
    where each gets 300 px, else one under the other across the row (1024 px with the sidebar open)."""
    device = {**TABLET, "viewport": {"width": width, "height": 800}}
    with open_device(browser, streamlit_server, artifacts_dir, device) as bp:
        open_ready(bp, "/")
        bp.page.locator(".st-key-os_right_overdue").first.wait_for(timeout=60_000)
        bp.wait_charts()
        bp.screenshot(f"tablet-overview-{width}")
        tiles = bp.page.locator(".st-key-os_wall [data-testid='stColumn']").first.bounding_box()
        lists_box = bp.page.locator(".st-key-os_right_lists").bounding_box()
        overdue = bp.page.locator(".st-key-os_right_overdue").bounding_box()
        assert lists_box["y"] > tiles["y"] + 300 and abs(lists_box["x"] - tiles["x"]) < 5, (tiles, lists_box)
        if beside:
            assert abs(lists_box["y"] - overdue["y"]) < 40, (lists_box, overdue)  # one row (the titles differ)
            assert overdue["x"] >= lists_box["x"] + lists_box["width"] - 5, (lists_box, overdue)
            assert min(lists_box["width"], overdue["width"]) >= 300, (lists_box, overdue)
        else:  # too narrow for two: each across the row
            assert overdue["y"] >= lists_box["y"] + lists_box["height"] - 5, (lists_box, overdue)
            assert min(lists_box["width"], overdue["width"]) >= 2 * tiles["width"], (tiles, lists_box, overdue)
        widths = no_sideways_page_scroll(bp)
        assert widths["document"] <= widths["window"], widths
        assert_healthy(bp)


def test_a_desktop_keeps_plotlys_zoom_by_drag_and_its_toolbar(browser, streamlit_server, artifacts_dir):
    """What a phone gets is a phone's: at 1440×900 with a mouse the charts still zoom by drag and show the toolbar."""
    with open_device(browser, streamlit_server, artifacts_dir, dict(viewport={"width": 1440, "height": 900})) as bp:
        open_ready(bp, "/rates")
        assert bp.page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.dragmode") == "zoom"
        toolbar = bp.page.locator('[data-testid="stPlotlyChart"] .modebar-container').first
        assert toolbar.evaluate("e => getComputedStyle(e).display") != "none"
        # Streamlit's own sizes for a mouse: the phone's larger targets stay on the phone.
        sizes = bp.page.evaluate(TAP_SIZES_JS)
        assert max(sizes["nav"]) <= 30 and max(sizes["radio"]) <= 30 and max(sizes["help"]) <= 24, sizes
        assert_healthy(bp)
