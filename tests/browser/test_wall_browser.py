"""The carousel's pages on the wall in a real browser (onescreen/wall.py): 亮灯地图, 网格热力 and 物业红黑榜 at
``?kiosk=1`` are dark like the big screen, fit 1920×1080 without scrolling (nothing inside scrolls either), show
no widget or table, and draw no text under 12.5 px; at 3840×2160 the same layout fills the screen; at 1366×768
their panels stack rather than shrink.
Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from onescreen import ui

from .conftest import BrowserPage, open_page
from .test_pages_browser import SMALLEST_TEXT_JS, assert_fits_without_chrome, assert_healthy, in_viewport

pytestmark = pytest.mark.browser

# Each wall: its address, what it shows once drawn, and the pieces that must lie inside 1920×1080.
WALLS = {
    "lights": ("/lights?kiosk=1", ".os-svg-map svg path",
               {"counts": ".os-tile", "map": ".os-svg-map svg", "red grids": "table.os-wall-list"}),
    "heat": ("/heat?kiosk=1", ".os-svg-map svg path",
             {"map": ".os-svg-map svg", "scale": '.os-svg-chart svg[aria-label^="每千户工单"]', "figures": ".os-tile",
              "top grids": "table.os-wall-list"}),
    "companies": ("/companies?kiosk=1", ".os-wall-honour",
                  {"红榜": ".os-wall-honour", "黑榜": ".os-wall-black", "lists": "table.os-wall-list",
                   "figures": ".os-tile"}),
}
NAVY_RGB = "rgb({}, {}, {})".format(*(int(ui.NAVY[i:i + 2], 16) for i in (1, 3, 5)))
# Elements that scroll inside the main area (a data grid, a scrolling box), and widgets a wall must not have.
INNER_SCROLLERS_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] *')]
    .filter(e => e.scrollHeight > e.clientHeight + 2 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowY))
    .map(e => e.getAttribute('data-testid') || e.className.toString().slice(0, 40))"""
NOT_ON_THE_WALL = ('[data-testid="stDataFrame"], [data-testid="stSelectbox"], [data-testid="stNumberInput"], '
                   '[data-testid="stPlotlyChart"], [data-testid="stDeckGlJsonChart"], [data-testid="stExpander"], '
                   '[data-testid="stPageLink"], [data-testid="stButton"], [data-testid="stMetric"]')


@contextmanager
def open_wall(browser, base_url: str, artifacts_dir, wall: str, width: int, height: int) -> Iterator[BrowserPage]:
    """The ``wall`` page of :data:`WALLS` at ``width``×``height``, drawn, screenshot taken, with no error shown."""
    path, drawn, _pieces = WALLS[wall]
    with open_page(browser, base_url, artifacts_dir, width=width, height=height) as bp:
        bp.goto(path)
        bp.page.locator(drawn).first.wait_for(timeout=60_000)
        bp.wait_idle()
        bp.screenshot(f"{wall}-kiosk-{width}x{height}")
        assert_healthy(bp)
        yield bp


@pytest.mark.parametrize("wall", sorted(WALLS))
def test_a_carousel_page_on_the_wall_fits_1920x1080_without_scrolling(wall, browser, streamlit_server, artifacts_dir):
    pieces = WALLS[wall][2]
    with open_wall(browser, streamlit_server, artifacts_dir, wall, 1920, 1080) as bp:
        page = bp.page
        assert_fits_without_chrome(page)
        assert page.evaluate(INNER_SCROLLERS_JS) == []
        assert page.locator(NOT_ON_THE_WALL).count() == 0
        # The big screen's dark theme, its title, clock and data date.
        assert page.locator('[data-testid="stApp"]').evaluate("e => getComputedStyle(e).backgroundColor") == NAVY_RGB
        for name, selector in {**pieces, "title": "h3", "clock": 'iframe[data-testid="stIFrame"]'}.items():
            boxes = in_viewport(bp, selector)
            assert boxes and all(b["inside"] for b in boxes), (name, boxes)
        as_of = page.get_by_text(re.compile(r"数据截至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}"))
        assert as_of.count() == 1 and as_of.is_visible()
        smallest = page.evaluate(SMALLEST_TEXT_JS)
        assert smallest[0] >= 12.5, smallest


@pytest.mark.parametrize("wall", sorted(WALLS))
def test_a_carousel_page_fills_a_4k_wall(wall, browser, streamlit_server, artifacts_dir):
    """At 3840×2160 a wall page is its 1920×1080 layout enlarged to fill the screen (ui.WALL_ZOOM_CSS), everything
    inside it and no text under twice the 1920×1080 floor (it was drawn at 1920 size in the top half)."""
    pieces = WALLS[wall][2]
    with open_wall(browser, streamlit_server, artifacts_dir, wall, 3840, 2160) as bp:
        assert_fits_without_chrome(bp.page)
        for name, selector in {**pieces, "title": "h3"}.items():
            boxes = in_viewport(bp, selector)
            assert boxes and all(b["inside"] for b in boxes), (name, boxes)
        wall_box = bp.page.locator(".st-key-os_wall").bounding_box()
        assert wall_box["width"] >= 0.9 * 3840, wall_box
        smallest = bp.page.evaluate(SMALLEST_TEXT_JS)
        assert smallest[0] >= 2 * 12.5, smallest


@pytest.mark.parametrize("wall", sorted(WALLS))
def test_a_carousel_page_on_a_laptop_stacks_its_panels(wall, browser, streamlit_server, artifacts_dir):
    """At 1366×768 the wall's panels go one (two-panel walls) or two (three-panel walls) a row: none is narrower
    than half the page, no text is drawn under 11 px, and nothing is wider than the window."""
    with open_wall(browser, streamlit_server, artifacts_dir, wall, 1366, 768) as bp:
        columns = bp.page.evaluate(
            """() => [...document.querySelectorAll('.st-key-os_wall [data-testid="stHorizontalBlock"] > [data-testid="stColumn"]')]
                .map(c => { const r = c.getBoundingClientRect(); return [Math.round(r.top), Math.round(r.width)]; })"""
        )
        assert len(columns) >= 2, columns
        assert all(width >= 560 for _, width in columns), columns
        assert len({top for top, _ in columns}) >= 2, columns  # not all on one row
        wide = bp.page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollWidth <= innerWidth")
        assert wide
        smallest = bp.page.evaluate(SMALLEST_TEXT_JS)
        assert smallest[0] >= 11, smallest


def test_a_wall_page_left_open_shows_a_new_load_without_a_reload(browser, demo_warehouse, artifacts_dir, tmp_path):
    """A wall page on a screen of its own (no carousel to load it anew) redraws its panels every ``?refresh=``
    seconds under a clock drawn once, as the big screen does: a load published meanwhile shows up (here 网格热力's
    落格工单 grows by the tickets loaded), and the refreshed panels replace the old ones."""
    import shutil

    from etl.load import load_files

    from .conftest import run_server
    from .test_pages_browser import UPLOAD_TICKETS, write_hotline_export

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_warehouse, warehouse)
    placed = "() => [...document.querySelectorAll('.os-tile')].find(t => t.innerText.includes('落格工单'))" \
             ".querySelector('.os-tile-value').innerText"
    with run_server(warehouse, artifacts_dir / "wall-refresh-server.log") as base_url, \
            open_page(browser, base_url, artifacts_dir, width=1920, height=1080) as bp:
        bp.goto("/heat?kiosk=1&refresh=10")
        bp.page.locator(".os-svg-map svg path").first.wait_for(timeout=60_000)
        bp.wait_idle()
        before = int(re.sub(r"[^\d]", "", bp.page.evaluate(placed)))
        load_files([write_hotline_export(warehouse, tmp_path, UPLOAD_TICKETS)], db_path=warehouse, loaded_by="tests")
        expected = f"{before + UPLOAD_TICKETS:,} 件"
        bp.page.wait_for_function(f"() => ({placed})() === {expected!r}", timeout=60_000)
        bp.wait_idle()
        bp.screenshot("heat-kiosk-after-load")
        assert_healthy(bp)
        assert bp.page.locator("h3").count() == 1 and bp.page.locator(".os-svg-map").count() == 1  # replaced, not piled up
        assert bp.page.locator('iframe[title="时钟"]').count() == 1
