"""The date range of the shared filters and the big screen's links to 工单明细, through the running app
(AppTest): a range in the URL restores the view and its numbers, an unusable or empty range is
explained in Chinese, a link from another page wins over what the sidebar held, and off the wall the
big screen's numbers open the tickets behind them (never in kiosk mode or for a kiosk account).

Filters are set through the URL (see tests/test_pages.py on AppTest and sidebar widgets). AppTest
cannot click a plotly bar or a table row, nor follow a page link: :func:`rerun_with_selection` sends
the selection state the browser would, and :func:`follow` opens the link's page with its query string
in a new session, as the browser does.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import date, timedelta
from urllib.parse import parse_qsl

import duckdb
import numpy as np
import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from conftest import ROOT, _reset_app_connection, login
from onescreen.queries import run_query

APP = str(ROOT / "app.py")
RANGE = {"date_from": "2025-10-01", "date_to": "2025-10-04"}


def run(page: str | None = None, query: dict | None = None, user: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if user:
        login(at, user)
    if page:
        at.switch_page(f"app_pages/{page}")
        at.run()
    assert [e.value for e in at.exception] == []
    return at


def links(at: AppTest) -> dict[str, dict[str, str]]:
    """Every page link on the page: label -> (page, query parameters)."""
    return {link.value: {"page": link.proto.page, **dict(parse_qsl(link.proto.query_string))}
            for link in at.get("page_link")}


def tile_value(at: AppTest, label: str) -> str:
    """The value of the big screen's tile ``label``, from its link (off the wall) or its HTML (kiosk)."""
    for text in links(at):
        if match := re.match(rf"{label} \*\*([^*]+)\*\*", text):
            return match.group(1).replace("\\", "")
    for markdown in (m.value for m in at.markdown if 'class="os-tile"' in m.value):
        if match := re.search(rf'os-tile-label">{label}</div><div class="os-tile-value"[^>]*>([^<]+)<', markdown):
            return match.group(1)
    raise AssertionError(f"no tile {label}")


def read(markdown: str) -> str:
    """A notice as read: Markdown's escapes taken out (it quotes the address, escaped: ``2025\\-10\\-04``)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def follow(link: dict[str, str]) -> AppTest:
    """Open the linked page with the link's query string, in a new session as the browser does."""
    query = {k: v for k, v in link.items() if k != "page"}
    return run(f"{link['page']}.py", query=query)


def ticket_total(at: AppTest) -> int:
    text = " ".join(m.value for m in at.markdown)
    match = re.search(r"共 \*\*([\d,]+)\*\* 张工单", text)
    if match is None:
        assert any("没有符合条件的工单" in i.value for i in at.info), text
        return 0
    return int(match.group(1).replace(",", ""))


def rerun_with_selection(at: AppTest, key: str, selection: dict) -> AppTest:
    """Run ``at`` again as if the user had selected ``selection`` in the chart or table ``key``."""
    states = at._tree.get_widget_states()
    nodes = [*at.get("plotly_chart"), *at.dataframe]
    widget_id = next(n.proto.id for n in nodes if n.proto.id.endswith(f"-{key}"))
    states.widgets.append(WidgetState(id=widget_id, string_value=json.dumps({"selection": selection})))
    at._run(states)
    assert [e.value for e in at.exception] == []
    return at


def bar_values(at: AppTest, key: str, trace: str) -> dict:
    """The bars of trace ``trace`` in the plotly chart ``key``, as drawn: category -> value."""
    node = next(n for n in at.get("plotly_chart") if n.proto.id.endswith(f"-{key}"))
    data = next(t for t in json.loads(node.proto.spec)["data"] if t.get("name") == trace)
    values = data["x"]
    if isinstance(values, dict):  # plotly sends numeric arrays as typed bytes
        values = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return dict(zip(data["y"], values))


def received_between(path, first: str, last: str, **where: str) -> int:
    """Tickets received from ``first`` to ``last`` (both included), counted straight from fct_tickets."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        clauses = "".join(f" and {column} = ?" for column in where)
        return con.execute(f"select count(*) from fct_tickets where received_at::date between ? and ?{clauses}",
                           [first, last, *where.values()]).fetchone()[0]
    finally:
        con.close()


# -- the range in the URL -----------------------------------------------------------------------


def test_a_range_in_the_url_restores_the_view_and_changes_the_numbers(warehouse_copy):
    period = run()
    ranged = run(query=RANGE)
    assert ranged.radio(key="f_time").value == "range"
    assert ranged.date_input(key="f_range").value == (date(2025, 10, 1), date(2025, 10, 4))
    assert (ranged.query_params["date_from"], ranged.query_params["date_to"]) == ("2025-10-01", "2025-10-04")
    expected = received_between(warehouse_copy, "2025-10-01", "2025-10-04")
    assert expected == 7
    assert tile_value(ranged, "区间受理") == str(expected)
    october = received_between(warehouse_copy, "2025-10-01", "2025-10-31")
    assert tile_value(period, "本期受理") == str(october) and october != expected
    assert "2025-10-01 至 2025-10-04" in " ".join(m.value for m in ranged.markdown)


def test_pages_honour_the_range(warehouse_copy):
    expected = received_between(warehouse_copy, "2025-10-01", "2025-10-04")
    rates = run("rates.py", query=RANGE)
    assert rates.metric[0].label == "受理量" and rates.metric[0].value == str(expected)
    assert any("自定义区间：件数和各率的分子、分母按日相加" in c.value for c in rates.caption)
    tickets = run("tickets.py", query=RANGE)
    assert ticket_total(tickets) == expected
    assert any("2025-10-01 至 2025-10-04 受理" in c.value for c in tickets.caption)
    heat = run("heat.py", query=RANGE)
    assert any("N = 7 件，按受理时间" in c.value for c in heat.caption)
    # Lights are made per period by rule: the page says so and shows the period holding the last day.
    lights = run("lights.py", query=RANGE)
    notice = " ".join(i.value for i in lights.info)
    assert "亮灯按月评定" in notice and "不能按自定义区间 2025-10-01 至 2025-10-04 计算" in notice
    assert "2025年10月" in notice
    companies = run("companies.py", query=RANGE)
    assert any("物业红黑榜按月评定，不能按自定义区间" in i.value for i in companies.info)


@pytest.mark.parametrize("query, message", [
    ({"date_from": "2025-10-04", "date_to": "2025-10-01"},
     "自定义区间的开始日期 2025-10-04 晚于结束日期 2025-10-01：请重新选择起止日期。已按周期显示。"),
    ({"date_from": "2025-10-04"},
     "自定义区间缺少结束日期（date_to）：地址中要同时有 date_from 和 date_to，如 date_from=2025-10-01&date_to=2025-10-15。"
     "已按周期显示。"),
    ({"date_from": "2025-10-04", "date_to": "昨天"}, "自定义区间的日期“昨天”无法识别：请写成 2025-10-01 这样的日期。已按周期显示。"),
])
def test_an_unusable_range_is_explained_and_the_period_shown(warehouse_copy, query, message):
    at = run(query=query)
    assert [read(w.value) for w in at.warning if "自定义区间" in w.value] == [message]
    assert at.radio(key="f_time").value == "period"
    assert "date_from" not in at.query_params and "date_to" not in at.query_params
    october = received_between(warehouse_copy, "2025-10-01", "2025-10-31")
    assert tile_value(at, "本期受理") == str(october)


def test_an_empty_range_says_so_and_shows_no_number(warehouse_copy):
    at = run(query={"date_from": "2024-01-01", "date_to": "2024-01-31"})
    assert [read(w.value) for w in at.warning if "所选区间" in w.value] == [
        "所选区间 2024-01-01 至 2024-01-31 内没有受理的工单：已导入的工单受理于 2025-09-29 至 2025-10-09。请换一个区间。"]
    assert tile_value(at, "区间受理") == "—"  # unknown, not a made-up 0
    tickets = run("tickets.py", query={"date_from": "2024-01-01", "date_to": "2024-01-31"})
    assert ticket_total(tickets) == 0


def test_a_changed_url_wins_over_the_sidebar(warehouse_copy):
    """A link from another page (or the browser's history) changes the URL of a running session: the
    sidebar follows the URL instead of writing its old choice back."""
    at = run()
    assert at.radio(key="f_time").value == "period" and at.selectbox(key="f_street").value == ""
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    street = con.execute("select min(street_code) from dim_grids").fetchone()[0]
    con.close()
    for key, value in {**RANGE, "street_code": street, "category": "物业管理"}.items():
        at.query_params[key] = value
    at.run()
    assert at.radio(key="f_time").value == "range"
    assert at.selectbox(key="f_street").value == street
    assert at.selectbox(key="f_category").value == "物业管理"
    assert (at.query_params["date_from"], at.query_params["category"]) == ("2025-10-01", "物业管理")


# -- the big screen's numbers open 工单明细 -------------------------------------------------------


@pytest.fixture(scope="module")
def metrics_path(tmp_path_factory):
    """The hand-made district (tests/metrics_fixture.py) on disk: it has overdue tickets (T5, T21)."""
    from etl.marts import build_marts
    from metrics_fixture import build_warehouse
    from onescreen.rules import load_rules

    path = tmp_path_factory.mktemp("metrics") / "metrics.duckdb"
    con = duckdb.connect(str(path))
    build_warehouse(con)
    build_marts(con, load_rules())
    con.close()
    return path


@pytest.fixture
def metrics_db(metrics_path, monkeypatch):
    monkeypatch.setenv("ONESCREEN_DB", str(metrics_path))
    _reset_app_connection()
    yield metrics_path
    _reset_app_connection()


@pytest.mark.parametrize("query, first, last", [
    ({}, "2025-10-01", "2025-10-31"),
    ({"date_from": "2025-10-09", "date_to": "2025-10-13"}, "2025-10-09", "2025-10-13"),
])
def test_kpi_tiles_open_the_tickets_behind_them(metrics_db, query, first, last):
    at = run(query={**query, "source": "12345热线"})
    label = "区间受理" if query else "本期受理"
    received = next(link for text, link in links(at).items() if text.startswith(f"{label} "))
    assert received["page"] == "tickets"
    assert {k: received.get(k) for k in ("date_from", "date_to")} == {k: query.get(k) for k in ("date_from", "date_to")}
    assert "source" not in received  # the big screen counts every source: so does its link
    expected = received_between(metrics_db, first, last)
    assert tile_value(at, label) == str(expected)
    assert ticket_total(follow(received)) == expected
    overdue = next(link for text, link in links(at).items() if text.startswith("超期在办 "))
    assert (overdue["status"], overdue["range"]) == ("overdue", "all")
    backlog = int(tile_value(at, "超期在办"))
    assert backlog == 2  # T5 and T21
    assert ticket_total(follow(overdue)) == backlog


def test_selecting_a_category_bar_opens_its_tickets(metrics_db):
    at = run(query={"date_from": "2025-10-09", "date_to": "2025-10-13"})
    assert not [text for text in links(at) if "市容环境" in text]
    rerun_with_selection(at, "overview_category_mix", {
        "points": [{"x": 4, "y": "市容环境", "curve_number": 1, "point_number": 1, "point_index": 1}],
        "point_indices": [1], "box": [], "lasso": []})
    link = next(link for text, link in links(at).items() if "市容环境" in text)
    assert (link["category"], link["date_from"], link["date_to"]) == ("市容环境", "2025-10-09", "2025-10-13")
    expected = received_between(metrics_db, "2025-10-09", "2025-10-13", category_l1="市容环境")
    assert expected == 5  # T4 (9th), T21, T22 (10th), T6, T8 (13th)
    assert bar_values(at, "overview_category_mix", "本期")["市容环境"] == expected
    assert ticket_total(follow(link)) == expected


def test_selecting_a_street_bar_opens_that_streets_tickets(metrics_db):
    at = run()
    assert not [text for text in links(at) if text.startswith("打开二街道")]
    rerun_with_selection(at, "overview_street_ranking", {
        "points": [{"x": 50, "y": "二街道", "curve_number": 0, "point_number": 0, "point_index": 0}],
        "point_indices": [0], "box": [], "lasso": []})
    link = next(link for text, link in links(at).items() if text.startswith("打开二街道"))
    assert link["street_code"] == "S2" and "community_code" not in link and "grid_code" not in link
    expected = received_between(metrics_db, "2025-10-01", "2025-10-31", street_code="S2")
    assert expected > 0
    assert ticket_total(follow(link)) == expected


def test_selecting_an_overdue_row_opens_that_grid_and_category(metrics_db):
    at = run()
    everything = next(link for text, link in links(at).items() if text.startswith("查看全部 2 张超期工单"))
    assert (everything["status"], everything["range"]) == ("overdue", "all")
    rerun_with_selection(at, "overview_overdue", {"rows": [0], "columns": [], "cells": []})
    link = next(link for text, link in links(at).items() if text.startswith("打开 "))
    # The longest overdue first: T21 (G2, 市容环境, 3 working days late).
    assert {k: link[k] for k in ("street_code", "community_code", "grid_code", "category", "status", "range")} == {
        "street_code": "S1", "community_code": "C1", "grid_code": "G2", "category": "市容环境", "status": "overdue",
        "range": "all"}
    assert ticket_total(follow(link)) == 1


@pytest.mark.parametrize("query, level", [
    ({"street_code": "S1"}, "source"),  # a source's row counts the whole district, not the street in the sidebar
    ({"source": "12345热线"}, "street"),  # a street's row counts every source, not the one in the sidebar
    ({"category": "市容环境"}, "grid"),
])
def test_selecting_a_breakdown_row_opens_the_tickets_it_counts(metrics_db, query, level):
    """三率分析's breakdown counts its unit alone (areas are not crossed with sources or categories): the row's
    link opens the tickets of that unit and time, whatever else the sidebar holds, so the list totals the row."""
    at = run("rates.py", query=query)
    at.selectbox(key="rates_level").set_value(level).run()
    table = next(t for t in at.dataframe if t.key == "rates_breakdown_table").value
    row = next(i for i, code in enumerate(table["编码"]) if code != "unassigned")
    rerun_with_selection(at, "rates_breakdown_table", {"rows": [row], "columns": [], "cells": []})
    link = next(link for text, link in links(at).items() if text.startswith("打开 "))
    assert int(table["受理量"].iloc[row]) > 0
    assert ticket_total(follow(link)) == int(table["受理量"].iloc[row])


def test_selecting_a_compound_opens_the_property_complaints_it_counts(tmp_path, monkeypatch):
    """物业红黑榜 counts a compound's complaints by the rules' appeal types (a consultation about the property is no
    complaint against the company): the compound's link opens those tickets, not every 物业管理 ticket there."""
    from etl.marts import build_marts
    from metrics_fixture import build_warehouse
    from onescreen.rules import load_rules

    path = tmp_path / "metrics.duckdb"
    con = duckdb.connect(str(path))
    build_warehouse(con)
    con.execute("update fct_tickets set appeal_type = '咨询' where ticket_id = 'P1'")  # at PA1, company A
    build_marts(con, load_rules())
    con.close()
    monkeypatch.setenv("ONESCREEN_DB", str(path))
    _reset_app_connection()
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            counted = run_query(con, "company_compound_complaints", company_id="A", month="2025-10-01")
        at = run("companies.py", query={"month": "2025-10-01", "company_id": "A"})
        compounds = next(t for t in at.dataframe if t.key == "company_compounds").value
        row = list(compounds["小区"]).index(counted.loc[counted["compound_code"] == "PA1", "compound_name"].iloc[0])
        assert counted.set_index("compound_code").loc["PA1", "complaint_count"] == 1  # P2 (P1 is a consultation)
        rerun_with_selection(at, "company_compounds", {"rows": [row], "columns": [], "cells": []})
        link = next(link for text, link in links(at).items() if text.startswith("打开 "))
        assert link["compound_code"] == "PA1"
        assert ticket_total(follow(link)) == 1
    finally:
        _reset_app_connection()


def test_kiosk_mode_has_no_links(metrics_db):
    at = run(query={"kiosk": "1"})
    assert links(at) == {}
    assert tile_value(at, "本期受理") == str(received_between(metrics_db, "2025-10-01", "2025-10-31"))
    assert not [n for n in at.get("plotly_chart") if n.proto.id.endswith("-overview_category_mix")]
    assert not at.dataframe  # the overdue list scrolls as HTML, not a selectable table
    assert any("os-scroll" in m.value for m in at.markdown)


def test_the_walls_overdue_list_is_read_once_and_stands_still_for_reduced_motion(metrics_db):
    """The wall's overdue list repeats itself for its scroll loop, and a screen reader read it twice: the copy is
    aria-hidden; a viewer who asks the system for reduced motion gets the list still, once, scrollable."""
    at = run(query={"kiosk": "1"})
    html = next(m.value for m in at.markdown if "os-scroll-inner" in m.value)
    inner = re.search(r"<div class='os-scroll-inner'><div>(.*?)</div><div class='os-scroll-copy' aria-hidden='true'>"
                      r"(.*)</div></div></div>$", html, re.S)
    assert inner and inner.group(1) == inner.group(2) and "超期" in inner.group(1)
    motion = re.search(r"@media \(prefers-reduced-motion: reduce\) \{(.*?)\}</style>", html, re.S).group(1)
    assert ".os-scroll-inner {animation: none;}" in motion and ".os-scroll-copy {display: none;}" in motion


def test_a_kiosk_account_has_no_links_even_off_the_wall(metrics_db, users):
    at = run(user="kiosk")
    assert "本期受理" in " ".join(m.value for m in at.markdown)
    assert links(at) == {}
    admin = run(user="admin")
    assert [text for text in links(admin) if text.startswith("本期受理 ")]


def test_the_company_month_follows_the_sidebar_when_the_period_changes(warehouse_copy):
    at = run("companies.py")
    latest = at.selectbox(key="company_month").value
    older = (latest - timedelta(days=1)).replace(day=1)
    at.query_params["period_type"], at.query_params["period_start"] = "month", older.isoformat()  # as the sidebar writes
    at.run()
    assert [e.value for e in at.exception] == []
    assert at.selectbox(key="company_month").value == older  # it stayed on the latest month under the new period


def test_the_company_lists_name_the_month_chosen_not_this_month(warehouse_copy):
    """An earlier month's lists say which month they are: "本月" on an older month's lists would mislead."""
    box = run("companies.py").selectbox(key="company_month")
    assert len(box.options) >= 2  # the district has an earlier month of tickets
    older = (box.value - timedelta(days=1)).replace(day=1)
    label = f"{older.year}年{older.month}月"
    companies = run("companies.py", query={"month": older.isoformat()})
    assert companies.selectbox(key="company_month").value == older
    texts = [m.value for m in companies.markdown] + [c.value for c in companies.caption]
    assert any(t.startswith(f"{label}共 ") and "家企业" in t for t in texts), texts
    assert f"**各小区 {label} 物业投诉**" in texts
    # (The 口径 defines 名次变化 as 上月名次 − 本月名次 in general terms; that wording stays.)
    assert not [t for t in texts if "本月" in t and "名次变化" not in t]


def test_the_company_month_in_the_address_may_be_written_as_a_month(warehouse_copy):
    """month=2025-10 was ignored silently (only 2025-10-01 worked); a month that is no date says so."""
    latest = run("companies.py").selectbox(key="company_month").value
    older = (latest - timedelta(days=1)).replace(day=1)
    assert run("companies.py", query={"month": f"{older:%Y-%m}"}).selectbox(key="company_month").value == older
    wrong = run("companies.py", query={"month": "十月"})
    assert wrong.selectbox(key="company_month").value == latest
    assert [w.value for w in wrong.warning if "月份" in w.value] == [
        f"地址中的月份“十月”不是日期（应写作 2025-10）：显示{latest.year}年{latest.month}月。"]


def test_the_unfinished_month_of_the_company_lists_is_said_to_be_provisional(warehouse_copy):
    """Its lists are a few days of complaints and inspections: named （未结束） in the month box, with a note."""
    from onescreen import filters as shared_filters

    at = run("companies.py")
    box = at.selectbox(key="company_month")
    newest = box.options[0]
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    last = con.execute("select max(received_at)::date from fct_tickets").fetchone()[0]
    con.close()
    newest_start = max(box.value, (last.replace(day=1)))
    assert shared_filters.unfinished("month", newest_start, last)  # the fixture's data stop inside their last month
    assert newest.endswith("（未结束）") and not any(o.endswith("（未结束）") for o in box.options[1:])
    opened = run("companies.py", query={"month": f"{newest_start:%Y-%m}"})
    assert [i.value for i in opened.info if "尚未结束" in i.value] == [
        f"{newest_start.year}年{newest_start.month}月尚未结束（工单只到 {last:%m-%d}）：投诉和考核还会增加，得分和名次会变，"
        "月底后才是本月的红黑榜。"]


def test_lights_links_open_every_source_and_category_as_the_lights_count(metrics_db):
    """亮灯地图 lights each grid on all its tickets, whatever source or category the sidebar holds: its links (the
    period's overdue tickets, a red or yellow grid's tickets) open those tickets, not the sidebar's source alone."""
    at = run("lights.py", query={"source": "12345热线", "category": "市容环境"})
    assert any("未按所选来源、分类筛选" in c.value for c in at.caption)
    assert not any("未按所选来源、分类筛选" in c.value for c in run("lights.py").caption)
    overdue = next(link for text, link in links(at).items() if text.startswith("查看本期超期工单"))
    assert "source" not in overdue and "category" not in overdue and overdue["status"] == "overdue"
    table = next(t for t in at.dataframe if t.key == "light_table").value
    rerun_with_selection(at, "light_table", {"rows": [0], "columns": [], "cells": []})
    link = next(link for text, link in links(at).items() if text.startswith("打开 "))
    assert "source" not in link and "category" not in link and link["grid_code"] == table["grid_code"].iloc[0]
    with duckdb.connect(str(metrics_db), read_only=True) as con:
        expected, of_sidebar = con.execute(
            "select count(*), count(*) filter (where source = '12345热线' and category_l1 = '市容环境') from fct_tickets "
            "where grid_code = ? and received_at >= ?::date and received_at < ?::date + interval 1 month",
            [link["grid_code"], link["period_start"], link["period_start"]]).fetchall()[0]
    assert expected > of_sidebar  # the grid has tickets of other sources or categories: the test tells them apart
    assert ticket_total(follow(link)) == expected


@pytest.mark.parametrize("calendar, shown", [("known", False), ("guessed", True), ("supplied", False)])
def test_the_sidebar_says_when_the_shown_years_working_days_are_guessed(tmp_path, monkeypatch, calendar, shown):
    """A year neither the calendar package nor config/calendar_overrides.csv knows has its working days guessed
    (statutory holidays, Monday to Friday): the load warns, and so does every page showing that year."""
    from etl.marts import build_marts
    from metrics_fixture import build_warehouse
    from onescreen.rules import load_rules

    path = tmp_path / "metrics.duckdb"
    con = duckdb.connect(str(path))
    build_warehouse(con)
    if calendar != "known":
        con.execute("update dim_calendar set calendar_source = 'weekend_rule' where year(calendar_date) = 2025")
    if calendar == "supplied":  # a line of the year in the overrides file: its other days are known too
        con.execute("update dim_calendar set calendar_source = 'override' where calendar_date = '2025-12-31'")
    build_marts(con, load_rules())
    con.close()
    monkeypatch.setenv("ONESCREEN_DB", str(path))
    _reset_app_connection()
    try:
        for page in ("rates.py", "tickets.py"):
            notes = [c.value for c in run(page).sidebar.caption if "调休安排未知" in c.value]
            assert bool(notes) is shown, (page, notes)
            if shown:
                assert notes[0].startswith("2025 年的放假调休安排未知") and "calendar_overrides.csv" in notes[0]
    finally:
        _reset_app_connection()


@pytest.mark.parametrize("query", [
    {"period_type": "month", "period_start": "2025-10-01"},
    {"date_from": "2025-09-29", "date_to": "2025-10-09", "street_code": "530302001"},
])
def test_the_heat_pages_unplaced_count_opens_those_tickets(warehouse_copy, query):
    """网格热力 said "未落格未上图 N 件" without a link (and counted there the tickets of a grid without a point too):
    N is now the tickets without a grid alone, and a link opens them in 工单明细 (unassigned=grid, the page's
    time and area), as 三率分析's 未落格 row does; its list totals N. Tickets of a grid without a boundary are
    said apart."""
    with duckdb.connect(str(warehouse_copy)) as con:
        unplaced = con.execute("select count(*) from fct_tickets where grid_code is null and received_at >= ? "
                               "and received_at < ?::date + 1", [query.get("date_from", "2025-10-01"),
                                                                  query.get("date_to", "2025-10-31")]).fetchone()[0]
        # One grid loses its point: its tickets are placed, not drawn, and not 未落格.
        in_df01 = con.execute("select count(*) from fct_tickets where grid_code = 'DF-01' and received_at >= ? "
                              "and received_at < ?::date + 1", [query.get("date_from", "2025-10-01"),
                                                                 query.get("date_to", "2025-10-31")]).fetchone()[0]
        con.execute("update dim_grids set centroid_lon = null, centroid_lat = null where grid_code = 'DF-01'")
    assert unplaced > 0 and in_df01 > 0
    at = run("heat.py", query=query)
    caption = next(c.value for c in at.caption if "未落格未上图" in c.value)
    assert f"未落格未上图 {unplaced} 件" in caption and f"其中 {in_df01} 件所在网格没有边界，未上图" in caption
    this = "所选区间" if "date_from" in query else "本期"
    area = "南宁街道"  # the fixture is a one-street install: its whole area is named for the street
    link = links(at)[f"打开 {area} · 未落格 {this}的工单明细（{unplaced} 张）→"]
    assert link["page"] == "tickets" and link["unassigned"] == "grid"
    assert {k: link.get(k) for k in query} == query
    opened = follow(link)
    assert ticket_total(opened) == unplaced
    assert any(f"只列出 **{area} · 未落格**" in i.value for i in opened.info)


def test_the_heat_page_offers_the_unplaced_tickets_when_none_is_placed(warehouse_copy):
    """When no ticket of the filter has a grid, 网格热力 said "所选工单都没有经纬度（导出中没有经纬度列时常见）" (the page
    draws grid centroids for every user, never coordinates) and offered no way to the tickets: it now says they are
    未落格 and links to them in 工单明细 (unassigned=grid), as when some are placed."""
    query = {"period_type": "month", "period_start": "2025-10-01"}
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("update fct_tickets set grid_code = null")
        total = con.execute("select count(*) from fct_tickets where received_at >= '2025-10-01' "
                            "and received_at < '2025-11-01'").fetchone()[0]
    assert total > 0
    at = run("heat.py", query=query)
    assert not at.exception
    assert not any("经纬度" in i.value for i in at.info)
    assert any(f"{total} 件未落格" in i.value for i in at.info), [i.value for i in at.info]
    link = links(at)[f"打开 南宁街道 · 未落格 本期的工单明细（{total} 张）→"]
    assert link["page"] == "tickets" and link["unassigned"] == "grid"
    assert ticket_total(follow(link)) == total


# -- a range that runs past the data ------------------------------------------------------------------------------

PAST = {"date_from": "2025-10-06", "date_to": "2025-10-12"}  # the fixture's tickets stop on Thursday 10-09


@pytest.mark.parametrize("page", ["rates.py", "heat.py", None])
def test_a_range_past_the_data_is_compared_on_the_same_days_and_says_so(warehouse_copy, page):
    """Monday 10-06 to Sunday 10-12 with tickets up to Thursday: its 4 days were set against the 7 days before, a
    made-up fall. Compared with Monday to Thursday before it (09-29 to 10-02), and every page says so."""
    this = received_between(warehouse_copy, "2025-10-06", "2025-10-09")
    same_days = received_between(warehouse_copy, "2025-09-29", "2025-10-02")
    whole = received_between(warehouse_copy, "2025-09-29", "2025-10-05")
    assert same_days != whole
    at = run(page, query=PAST)
    notes = [read(i.value) for i in at.info if "之后的日子还没有数据" in i.value]
    assert notes == ["所选区间 2025-10-06 至 2025-10-12 在数据截至（2025-10-09）之后的日子还没有数据，环比、同比只比较到 10月9日："
                     "与此前 7 天的同样天数（2025-09-29 至 2025-10-02）、去年同期（2024-10-06 至 2024-10-09）相比，"
                     "不与整段相比（否则件数像是大幅下降）。"]
    assert at.date_input(key="f_range").value == (date(2025, 10, 6), date(2025, 10, 12))  # the range stays as chosen
    if page == "rates.py":
        assert at.metric[0].value == str(this)
        assert at.metric[0].delta == f"{this - same_days:+,} 件（{100 * (this - same_days) / same_days:+.1f}%） 环比"
    elif page == "heat.py":  # (its captions name the window the same way: Filters.compared_label)
        assert "此前 7 天的同样天数（2025-09-29 至 2025-10-02）" in notes[0]
    else:
        assert tile_value(at, "区间受理") == str(this)
        wall = run(query={**PAST, "kiosk": "1"})
        tiles = " ".join(m.value for m in wall.markdown if 'class="os-tile"' in m.value)
        change = re.search(r'区间受理</div>.*?<span class="os-tile-change"[^>]*>([^<]+)</span>', tiles).group(1)
        assert change == f"{'▲' if this > same_days else '▼'}{abs(100 * (this - same_days) / same_days):.1f}% 环比"
        heads = " ".join(c.value for c in wall.caption)
        assert "环比、同比只比较到 10月9日" in heads, heads
