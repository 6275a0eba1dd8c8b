"""The carousel's pages on the wall (``?kiosk=1``, onescreen/wall.py): 亮灯地图, 网格热力 and 物业红黑榜 are dark
wall views like the big screen, with no widgets, their key figures and every figure's N and 口径 on hover; off
the wall the analysts' pages are unchanged."""

from __future__ import annotations

import re
from datetime import date, datetime

import duckdb
import pytest

from onescreen import ui, wall
from onescreen.figures import kiosk
from onescreen.queries import run_query
from test_pages import _run

# Each wall page: its title (an h3, as the big screen's) and texts it must show.
WALL_PAGES = {
    "lights.py": ("亮灯地图", ["红灯网格", "黄灯网格", "绿灯网格", "无数据网格", "亮灯规则（现行）", "连续红灯", "较上月"]),
    "heat.py": ("网格热力", ["网格每千户工单量", "落格工单", "南宁街道每千户", "每千户工单最多的", "无户数"]),
    "companies.py": ("物业红黑榜", ["红榜", "黑榜", "较上月", "连续上榜", "参与排名企业", "物业投诉（南宁街道企业）"]),
}
# Elements a wall must not have: widgets, the analysts' tables, charts that need a mouse, links that leave kiosk mode.
NOT_ON_THE_WALL = ("selectbox", "number_input", "radio", "date_input", "button", "download_button", "dataframe",
                   "plotly_chart", "deck_gl_json_chart", "page_link", "expander", "metric")


def _html(at) -> str:
    return " ".join(m.value for m in at.markdown)


def _blocks_with_key(node, key: str) -> list:
    """The blocks of the page tree whose user key is ``key`` (a keyed st.container)."""
    found = []
    for child in getattr(node, "children", {}).values():
        proto = getattr(child, "proto", None)
        if proto is not None and key in str(getattr(proto, "id", "")):
            found.append(child)
        found += _blocks_with_key(child, key)
    return found


@pytest.mark.parametrize("page", sorted(WALL_PAGES))
def test_a_carousel_page_on_the_wall_is_a_dark_view_without_widgets(page, warehouse_copy):
    at = _run(page, query={"kiosk": "1"})
    assert [e.value for e in at.exception] == []
    assert not at.error, [e.value for e in at.error]
    html = _html(at)
    title, texts = WALL_PAGES[page]
    assert any(m.value.startswith("### ") and title in m.value for m in at.markdown)  # the big screen's h3 title
    for text in texts:
        assert text in html, text
    assert ui.NAVY in html and "display: none !important" in html  # BIG_SCREEN_CSS and KIOSK_CSS
    assert "os-wall-list" in " ".join(h.value for h in at.get("html"))  # WALL_CSS
    assert _blocks_with_key(at._tree, "os_wall"), "the wall's panels are in the os_wall container (KIOSK_CSS stacks it)"
    assert ui.as_of_caption(None).split()[0] in html  # 数据截至
    present = {kind: len(at.get(kind)) for kind in NOT_ON_THE_WALL if len(at.get(kind))}
    assert present == {}, present
    assert not at.title  # no light page's st.title


@pytest.mark.parametrize("page", sorted(WALL_PAGES))
def test_off_the_wall_the_analysts_page_is_unchanged(page, warehouse_copy):
    desk = _run(page)
    assert [e.value for e in desk.exception] == []
    assert [t.value for t in desk.title] == [WALL_PAGES[page][0]]
    assert "os-wall-list" not in _html(desk) and not _blocks_with_key(desk._tree, "os_wall")


def test_every_row_and_tile_on_the_walls_says_its_n_on_hover(warehouse_copy):
    with duckdb.connect(str(warehouse_copy)) as con:  # the fixture has no red grid: its latest month gets one
        con.execute("update mart_grid_lights set light = 'red', light_reason = '超期 3 件（≥3 件）', "
                    "consecutive_red_periods = 2 where period_type = 'month' and grid_code = (select min(grid_code) "
                    "from mart_grid_lights) and period_start = (select max(period_start) from mart_grid_lights "
                    "where period_type = 'month')")
    lights = _html(_run("lights.py", query={"kiosk": "1"}))
    red_rows = re.findall(r"<tr title='([^']*)'>", lights)
    assert red_rows and all("N = " in hover and "按期办结率" in hover for hover in red_rows)
    assert lights.count('class="os-tile" title="') == 4 and "共 " in lights
    heat = _html(_run("heat.py", query={"kiosk": "1"}))
    assert "<title>网格：" in heat and "工单（件，N）：" in heat  # the map's grids
    grid_rows = re.findall(r"<tr title='([^']*)'>", heat)
    assert grid_rows and all("（N）" in hover and "户数" in hover for hover in grid_rows)
    companies = _html(_run("companies.py", query={"kiosk": "1"}))
    company_rows = re.findall(r"<tr title='([^']*)'>", companies)
    assert len(company_rows) >= 2 and all("考核" in hover and "物业投诉" in hover and "户" in hover for hover in company_rows)


def _map_fills(html: str) -> dict[str, str]:
    """The wall map's fill of each grid, by the grid name in its hover."""
    return dict((name, fill) for fill, name in re.findall(r'fill="(#[0-9a-f]{6})"><title>网格：([^&<]+)', html))


def test_the_wall_map_of_a_few_ordinary_grids_runs_from_zero_to_the_largest_rate(warehouse_copy):
    html = _html(_run("heat.py", query={"kiosk": "1"}))
    assert "≥" not in html and "高于色标上限" not in html  # 4 grids of 150-350 households: nothing clipped
    darkest = "#{:02x}{:02x}{:02x}".format(*kiosk.DENSITY_STOPS[-1])
    assert [name for name, fill in _map_fills(html).items() if fill == darkest] == ["西湖二网格"]  # 13.3, the largest


def test_a_tiny_grid_on_the_wall_is_darkest_without_paling_the_others_and_the_note_counts_it(warehouse_copy):
    """October in the fixture: 2 tickets in each of 4 grids of 150-350 households (5.7-13.3 per 1,000). With
    西湖二网格 down to 5 households its 2 tickets are 400 per 1,000: it must not set the scale (0 to 13.3 before,
    0 to 7.1 now, the largest of the grids with 100 households or more), so the others keep their colours."""
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("update dim_grids set households = 5 where grid_code = 'XH-02'")
    at = _run("heat.py", query={"kiosk": "1"})
    assert [e.value for e in at.exception] == []
    html = _html(at)
    fills = _map_fills(html)
    darkest = "#{:02x}{:02x}{:02x}".format(*kiosk.DENSITY_STOPS[-1])
    assert fills["西湖二网格"] == darkest and fills["东风二网格"] == darkest  # 400 and the top, 7.1
    assert fills["东风一网格"] == kiosk.density_colour(1000 * 2 / 320, 1000 * 2 / 280)  # 6.25 of 7.14
    assert fills["东风一网格"] != kiosk.density_colour(0, 1)  # not the palest, as on a scale of 0 to 400
    assert "<title>网格：西湖二网格&#10;社区：西湖社区&#10;每千户工单：400.0 件" in html  # the exact rate on hover
    assert ">≥ 7.1</text>" in html and "0 至 7.1，更高的画成最深色" in html
    assert ("1 个网格每千户工单高于色标上限 7.1（最高 400.0），画成最深色，确切数值见上方列表和地图悬停。"
            "其中 1 个户数不足 100 户") in html


def test_the_lists_on_the_wall_explain_their_arrows_and_streaks(tmp_path, monkeypatch):
    from test_pages import _metrics_district

    at = _metrics_district(tmp_path, monkeypatch, {"kiosk": "1", "period_type": "month", "period_start": "2025-10-01"},
                           page="companies.py")
    companies = _html(at)
    assert "os-wall-honour" in companies and "os-wall-black" in companies  # gold honour list, dark grey black list
    assert "▲ 上升（改善，绿）" in companies and "连续上榜：截至本月连续在该榜的月数。" in companies
    assert re.search(r"<td class='os-wall-small'>倒1</td>", companies)  # the black list counts from the worst
    assert f"<td class='os-wall-move' style='color:{ui.GOOD_COLOUR}'>▲1</td>" in companies
    assert "<td class='os-wall-small'>2 个月</td>" in companies and "至少" not in companies


def test_the_red_black_wall_withholds_moves_against_a_month_the_data_do_not_cover(warehouse_copy):
    """The wall's lists showed ▲2 against a September the fixture's tickets begin on the 29th of (名次的变化仅供参考),
    while 一屏总览 withholds such moves: a grey —, the words of 一屏总览 in the hover and the note. A run of months
    that begins with the data reads 至少 2 个月 (it may have begun before), on either list."""
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("update mart_company_rankings set rank_change = 2, previous_rank = 3 "
                    "where month_start = '2025-10-01' and list is not null")
        con.execute("update mart_company_rankings set consecutive_black_months = 2 "
                    "where month_start = '2025-10-01' and list = 'black'")
    html = _html(_run("companies.py", query={"kiosk": "1", "period_type": "month", "period_start": "2025-10-01"}))
    assert not re.search("[▲▼]|新进|仅供参考", html.split("os-wall-note")[0])
    assert html.count(f"<td class='os-wall-move' style='color:{ui.FLAT_COLOUR}'>—</td>") == 2  # one each list
    assert "名次较上月：上月数据不全（数据自 2025-09-29 起），不作比较；" in html  # the hover
    assert ("名次较上月：上月数据不全（数据自 2025-09-29 起），不作比较：上月的投诉只计其后受理的工单，其得分和名次不可比。"
            in html)
    assert "<td class='os-wall-small'>至少 2 个月</td>" in html
    assert "至少连续 2 个月上黑榜（数据自 2025-09-29 起，此前是否上榜不详）" in html
    assert "连续上榜：截至本月连续在该榜的月数；至少连续 N 个月：数据自 2025-09-29 起，此前是否上榜不详。" in html


def test_wall_rows_escape_text_from_data():
    row = wall.row([("<b>物业</b>", ""), ("1", "os-wall-num")], "悬停 'x' <y>")
    assert "<b>" not in row and "&lt;b&gt;物业" in row and "title='悬停 &#x27;x&#x27; &lt;y&gt;'" in row
    assert wall.table([], "没有") == "<div class='os-wall-note'>没有</div>"


@pytest.mark.parametrize("page", sorted(WALL_PAGES))
def test_an_empty_warehouse_on_the_wall_shows_guidance_on_the_dark_screen(page, warehouse_db):
    at = _run(page, query={"kiosk": "1"})
    assert [e.value for e in at.exception] == []
    assert "python -m etl load" in " ".join(i.value for i in at.info)
    assert ui.NAVY in _html(at)


def test_the_red_black_wall_withholds_the_complaints_change_against_a_month_the_data_begin_inside(warehouse_copy):
    """October's complaints against September's, whose tickets begin on 09-29 (two days of the month): the tile read
    as a rise in complaints (较上月，变差, red). It now says 上月数据不全 in grey, and the note says the moves against
    last month stand on partial data."""
    html = _html(_run("companies.py", query={"kiosk": "1"}))
    tile = re.search(r"物业投诉（南宁街道企业）</div>.*?<span class=\"os-tile-change\" style=\"color:([^\"]+)\">([^<]+)</span>",
                     html)
    assert tile and tile.group(2) == "— 上月数据不全（数据自 2025-09-29 起）" and tile.group(1) == ui.FLAT_COLOUR
    assert "名次较上月：上月数据不全（数据自 2025-09-29 起），不作比较：上月的投诉只计其后受理的工单，其得分和名次不可比。" in html


def test_the_lights_wall_withholds_the_grid_counts_change_against_a_month_the_data_begin_inside(warehouse_copy):
    """October's grid counts per light against September's, whose tickets begin on 09-29 (two days): the tiles read
    each count against a month lit on two days (— 持平 较上月, ▼2 个 较上月). They now say 上月数据不全 in grey, and a
    note under them says why."""
    html = _html(_run("lights.py", query={"kiosk": "1"}))
    changes = re.findall(r"<span class=\"os-tile-change\" style=\"color:([^\"]+)\">([^<]+)</span>", html)
    assert changes == [(ui.FLAT_COLOUR, "— 上月数据不全（数据自 2025-09-29 起）")] * 4
    assert "上月数据不全（数据自 2025-09-29 起）：上月的灯色只按其后受理的工单评定，各色网格数较上月的变化不作比较。" in html


def test_stale_days_counts_from_the_data_date_from_the_setting_on(monkeypatch):
    monkeypatch.delenv("ONESCREEN_STALE_DAYS", raising=False)
    as_of = datetime(2026, 11, 27, 23, 50)
    assert ui.stale_days(as_of, date(2026, 11, 29)) is None   # a weekend's gap (2 days) is not flagged
    assert ui.stale_days(as_of, date(2026, 11, 30)) == 3
    assert ui.stale_days(as_of, date(2026, 11, 20)) is None   # data "from the future" (a later export, a clock off)
    assert ui.stale_days(None, date(2026, 11, 30)) is None
    monkeypatch.setenv("ONESCREEN_STALE_DAYS", "7")
    assert ui.stale_days(as_of, date(2026, 12, 3)) is None and ui.stale_days(as_of, date(2026, 12, 4)) == 7
    monkeypatch.setenv("ONESCREEN_STALE_DAYS", "0")   # the flag turned off
    assert ui.stale_days(as_of, date(2027, 1, 1)) is None


def test_the_header_flags_old_data_in_amber_and_keeps_the_data_date(monkeypatch):
    monkeypatch.delenv("ONESCREEN_STALE_DAYS", raising=False)
    as_of = datetime(2026, 11, 27, 23, 50)
    fresh = ui.as_of_html(as_of, "2026年11月", date(2026, 11, 28))
    old = ui.as_of_html(as_of, "2026年11月", date(2026, 12, 3))
    assert ("<span style='white-space:nowrap'>数据截至 2026-11-27 23:50</span> "
            "<span style='white-space:nowrap'>· 2026年11月</span>") in fresh  # each whole (a 1024 px header broke 11月)
    assert "没有新数据" not in fresh and "os-stale" not in fresh
    assert "<span class='os-stale'" in old and "已 6 天没有新数据</span>" in old and "数据截至 2026-11-27 23:50" in old
    assert "<b>" not in ui.as_of_html(as_of, "<b>周</b>", date(2026, 11, 28))   # the period is escaped


@pytest.mark.parametrize("page", [None, *sorted(WALL_PAGES)])
def test_the_wall_says_how_many_days_its_data_are_old(page, warehouse_copy, monkeypatch):
    """A wall nobody feeds kept showing the last load's numbers under a ticking clock; its header now says for how
    many days there have been no new data (the fixture's data end long before today)."""
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        last_day = run_query(con, "as_of")["as_of"].iloc[0].date()
    monkeypatch.delenv("ONESCREEN_STALE_DAYS", raising=False)
    at = _run(page, query={"kiosk": "1"})
    assert [e.value for e in at.exception] == []
    days = re.findall(r"已 (\d+) 天没有新数据", _html(at))
    assert days == [str((date.today() - last_day).days)], (days, last_day)
    monkeypatch.setenv("ONESCREEN_STALE_DAYS", "0")
    assert "没有新数据" not in _html(_run(page, query={"kiosk": "1"}))


@pytest.mark.parametrize("page", ["lights.py", "heat.py"])
def test_a_wall_page_with_a_chosen_grid_says_it_shows_its_community_and_outlines_the_grid(page, warehouse_copy):
    """The analysts' pages honour ``?grid_code=`` (the grid's community on the map, the grid said and outlined); the
    wall pages drew the same community under a title naming the grid (东风一网格 亮灯地图 over 共 2 个网格, 全区每千户
    for one community), the grid neither said nor marked. Now the title names the community, a line names the grid
    and its own figure, and the SVG map outlines it; a source or category in the address is said not to apply."""
    at = _run(page, query={"kiosk": "1", "grid_code": "DF-01", "source": "12345热线"})
    assert [e.value for e in at.exception] == []
    html = _html(at)
    title = next(m.value for m in at.markdown if m.value.startswith("### "))
    assert "东风社区" in title and "东风一网格" not in title, title
    assert "所选网格：东风一网格（" in html and "本页显示其所在社区（东风社区）的全部 2 个网格" in html
    assert html.count('data-selected="1"') == 1  # the grid's outline on the map, once
    assert "未按所选来源、分类筛选" in html
    assert "南宁街道每千户" not in html
    plain = _html(_run(page, query={"kiosk": "1"}))  # without a grid: no outline, no such line
    assert 'data-selected="1"' not in plain and "所选网格" not in plain and "未按所选来源" not in plain
