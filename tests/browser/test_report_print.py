"""The weekly report's HTML printed by chromium on A4 (landscape, its @page): the wide tables fit the paper's width
and their numbers and short cells (a time, 办理中, a community) stay on one line.

At 12.5 px the 16 columns of 最久未办结的工单 wrapped every time in two ("2026-10-\n20 13:24") and the light tables'
变化 one character a line; onescreen/report_render.py prints tables of WIDE_COLUMNS or more at 7.5 pt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT, is_local_url

pytestmark = pytest.mark.browser

# A4 landscape less @page's 12 mm margins: 273 mm of text, in CSS pixels (96 per inch).
A4_LANDSCAPE_TEXT_PX = round(273 / 25.4 * 96)

# Per table of 12 columns or more (counted from its header, whatever its class): its columns, its width and the
# width it has, the numbers and short cells (td.num, td.nw) laid out on more than one line, its type size, and its
# most lines in one header cell.
WIDE_TABLES_JS = """() => [...document.querySelectorAll('table')]
    .filter(t => t.querySelectorAll('thead th').length >= 12)
    .map(t => {
        const lines = el => { const r = document.createRange(); r.selectNodeContents(el);
                              return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; };
        return {columns: t.querySelectorAll('thead th').length,
                width: t.getBoundingClientRect().width, room: t.parentElement.clientWidth,
                wrapped: [...t.querySelectorAll('td.nw, td.num')].filter(td => lines(td) > 1).map(td => td.textContent),
                font_px: parseFloat(getComputedStyle(t).fontSize),
                header_lines: Math.max(...[...t.querySelectorAll('thead th')].map(lines))};
    })"""


@pytest.fixture(scope="module")
def weekly_html(demo_warehouse, tmp_path_factory):
    """The demo's weekly report as HTML, made by the command line (on a copy of the warehouse)."""
    folder = tmp_path_factory.mktemp("report_print")
    warehouse = folder / "warehouse.duckdb"
    shutil.copyfile(demo_warehouse, warehouse)
    out = folder / "weekly.html"
    result = subprocess.run([sys.executable, "-m", "etl", "report", "--week", "--out", str(out), "--quiet"], cwd=ROOT,
                            env={**os.environ, "ONESCREEN_DB": str(warehouse)}, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0 and out.is_file(), result.stderr[-2000:]
    return out


def test_the_printed_weekly_reports_wide_tables_fit_a4_with_short_cells_on_one_line(browser, weekly_html,
                                                                                    artifacts_dir):
    context = browser.new_context(viewport={"width": A4_LANDSCAPE_TEXT_PX, "height": 800}, locale="zh-CN")
    page = context.new_page()
    outside: list[str] = []
    context.route(lambda url: not is_local_url(url) and not url.startswith("file:"),
                  lambda route: (outside.append(route.request.url), route.abort("blockedbyclient")))
    try:
        page.goto(weekly_html.as_uri())
        page.emulate_media(media="print")  # the print styles, at the width the paper gives the text
        tables = page.evaluate(WIDE_TABLES_JS)
        page.pdf(path=str(artifacts_dir / "weekly-report-print.pdf"), format="A4", prefer_css_page_size=True,
                 print_background=True)
    finally:
        context.close()
    assert outside == []
    assert {t["columns"] for t in tables} >= {12, 16}, tables  # the light tables and the oldest open tickets
    for table in tables:
        assert table["width"] <= table["room"] + 1, table  # nothing cut off at the paper's edge
        assert table["wrapped"] == [], table
        assert table["font_px"] >= 10, table  # 7.5 pt: small, still read at arm's length
        assert table["header_lines"] <= 3, table  # 是否超期 stood one character a line
