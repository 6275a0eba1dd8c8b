"""A breakdown narrowed to one area lists the area's tickets that no unit of the level holds as one more row:
the grids of a community (or of a street) with 未落格, the communities of a street with 社区不明, so the rows add
up to the area's total. On the hand-made district (tests/metrics_fixture.py) plus tickets without a grid."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from etl.marts import build_marts  # noqa: E402
from metrics_fixture import _t, build_warehouse, insert_tickets  # noqa: E402
from onescreen import access as acl  # noqa: E402
from onescreen.queries import QueryError, run_query  # noqa: E402
from onescreen.rules import load_rules  # noqa: E402

IN_C1 = dict(community_code="C1", community_name="一社区", street_code="S1", street_name="一街道", placed_by="community")
UNPLACED = [
    # Community C1 (street S1), no grid: one in September, two in October.
    _t("U0", None, "2025-09-15 10:00", "咨询", "市容环境", responded_at="2025-09-15 11:00",
       resolved_at="2025-09-16 10:00", **IN_C1),
    # Responded in time, closed on time, resolved, 满意.
    _t("U1", None, "2025-10-09 11:00", "咨询", "市容环境", responded_at="2025-10-09 12:00",
       resolved_at="2025-10-10 09:00", callback_at="2025-10-10 15:00", is_resolved=True, satisfaction="满意", **IN_C1),
    # Never signed for (response due Oct 14 10:00: counted, late); open, 求助 10 working days: not yet due.
    _t("U2", None, "2025-10-13 10:00", "求助", "道路交通", **IN_C1),
    # Street S1 only (no community), the district only (no street), community C3 of street S2.
    _t("U3", None, "2025-10-13 11:00", "投诉", "市容环境", street_code="S1", street_name="一街道", placed_by="street"),
    _t("U4", None, "2025-10-14 09:00", "咨询", "市容环境", placed_by="none"),
    _t("U5", None, "2025-10-10 09:00", "咨询", "市容环境", resolved_at="2025-10-10 15:00", community_code="C3",
       community_name="三社区", street_code="S2", street_name="二街道", placed_by="community"),
    # September, in grid G4: no category, no department (the district's 未分类 and 未注明承办单位 rows).
    _t("U6", "G4", "2025-09-16 10:00", "咨询", None, department=None),
]
# The columns that add up over the rows of a breakdown (and the rates computed from them).
ADDITIVE = ("ticket_count", "response_numerator", "response_denominator", "resolution_numerator",
            "resolution_denominator", "satisfaction_numerator", "satisfaction_denominator", "on_time_numerator",
            "on_time_denominator", "closure_numerator", "closure_denominator", "overdue_count", "near_deadline_count",
            "handling_count", "property_complaint_count")
OCTOBER = {"rates_breakdown": dict(period_type="month", period_start="2025-10-01"),
           "rates_breakdown_range": dict(start="2025-10-01", end="2025-10-31")}


def build(con: duckdb.DuckDBPyConnection, rules=None) -> None:
    build_warehouse(con)
    insert_tickets(con, UNPLACED)
    build_marts(con, rules or load_rules())


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    # A minimum denominator of 1, so that real units are ranked and the remainder's staying out shows.
    build(connection, dataclasses.replace(load_rules(), min_denominator=1))
    yield connection
    connection.close()


def _area_row(con, level: str, unit_code: str, period_start: str = "2025-10-01") -> pd.Series:
    return con.execute("select * from mart_rates where period_type = 'month' and period_start = ? and level = ?"
                       " and unit_code = ?", [period_start, level, unit_code]).df().iloc[0]


def _adds_up(rows: pd.DataFrame, area: pd.Series) -> None:
    for column in ADDITIVE:
        assert rows[column].sum() == pytest.approx(area[column]), column


@pytest.mark.parametrize("name", list(OCTOBER))
def test_the_grids_of_a_community_add_up_with_its_unplaced_row(con, name):
    rows = run_query(con, name, **OCTOBER[name], level="grid", community_code="C1", sort="unit_code", order="asc")
    assert list(rows["unit_code"]) == ["G1", "G2", "unassigned"]
    _adds_up(rows, _area_row(con, "community", "C1"))
    unplaced = rows.iloc[2]
    assert (unplaced["unit_name"], unplaced["street_code"], unplaced["community_code"]) == ("未落格", "S1", "C1")
    assert pd.isna(unplaced["grid_code"])
    # U1 and U2, not U3-U5 (other areas) nor the district's 未落格 row (five in October).
    assert unplaced["ticket_count"] == 2
    assert (unplaced["response_rate"], unplaced["resolution_rate"], unplaced["satisfaction_rate"],
            unplaced["on_time_rate"]) == (50.0, 100.0, 100.0, 100.0)
    assert unplaced["composite_score"] == pytest.approx(
        sum(w * r for w, r in zip(dataclasses.astuple(load_rules().composite_weights), (50.0, 100.0, 100.0))))
    # Shown, never ranked, while G1 beside it is (G2 has no 响应率: not ranked either).
    assert unplaced["is_ranked"] == False and pd.isna(unplaced["composite_rank"])  # noqa: E712
    assert rows["composite_rank"].iloc[0] == 2  # after G4, ranked across the whole level
    # Against the same row of September (U0), not the district's.
    assert unplaced["previous_ticket_count"] == 1


@pytest.mark.parametrize("name", list(OCTOBER))
def test_the_communities_and_grids_of_a_street_add_up_with_its_unplaced_rows(con, name):
    street = _area_row(con, "street", "S1")
    communities = run_query(con, name, **OCTOBER[name], level="community", street_code="S1")
    assert sorted(communities["unit_name"]) == ["一社区", "社区不明"]  # C2 had no ticket in October
    assert communities.set_index("unit_code").loc["unassigned", "ticket_count"] == 1  # U3
    _adds_up(communities, street)
    grids = run_query(con, name, **OCTOBER[name], level="grid", street_code="S1")
    assert sorted(grids["unit_name"]) == ["未落格", "网格1", "网格2"]
    assert grids.set_index("unit_code").loc["unassigned", "ticket_count"] == 3  # U1, U2, U3
    _adds_up(grids, street)
    # Without the street: the district's one row of each kind, as before, adding up to the district.
    district = _area_row(con, "district", "all")
    for level, count in (("grid", 5), ("community", 2), ("street", 1)):  # U1-U5; U3, U4; U4
        rows = run_query(con, name, **OCTOBER[name], level=level)
        unplaced = rows[rows["unit_code"] == "unassigned"]
        assert len(unplaced) == 1 and unplaced["ticket_count"].iloc[0] == count, level
        assert pd.isna(unplaced["street_code"].iloc[0]) and pd.isna(unplaced["community_code"].iloc[0])
        _adds_up(rows, district)
    # A community by community is the community alone.
    assert list(run_query(con, name, **OCTOBER[name], level="community", community_code="C1")["unit_code"]) == ["C1"]


def test_an_area_with_every_ticket_placed_has_no_extra_row(con):
    """August: T30 in G1 of C1, T31 without a grid in C2. C1's grids are G1 alone; C2's is its 未落格."""
    c1 = run_query(con, "rates_breakdown", period_start="2025-08-01", level="grid", community_code="C1")
    assert list(c1["unit_code"]) == ["G1"]
    c2 = run_query(con, "rates_breakdown_range", start="2025-08-01", end="2025-08-31", level="grid",
                   community_code="C2")
    assert list(c2["unit_name"]) == ["未落格"] and list(c2["ticket_count"]) == [1]


def test_a_range_that_stops_at_a_time_stops_the_unplaced_row_there_too(con):
    """Up to 09:30 of 13 October: U2 (10:00) is not yet received; the rows add up to the community's tiles."""
    window = dict(start="2025-10-09", end="2025-10-13", until="09:30:00")
    rows = run_query(con, "rates_breakdown_range", **window, level="grid", community_code="C1")
    tiles = run_query(con, "kpi_tiles_range", **window, community_code="C1").set_index("metric")
    assert rows.set_index("unit_code").loc["unassigned", "ticket_count"] == 1  # U1
    assert rows["ticket_count"].sum() == tiles.loc["ticket_count", "value"]


def test_the_unplaced_row_of_an_area_is_seen_by_who_sees_the_whole_area(con):
    rows = run_query(con, "rates_breakdown", **OCTOBER["rates_breakdown"], level="grid", community_code="C1")
    places = pd.DataFrame({"grid_code": ["G1", "G2", "G3", "G4"], "community_code": ["C1", "C1", "C2", "C3"],
                           "street_code": ["S1", "S1", "S1", "S2"]})
    for scope, seen in (({"communities": ("C1",)}, ["G1", "G2", "unassigned"]),
                        ({"streets": ("S1",)}, ["G1", "G2", "unassigned"]),
                        ({"grids": ("G1",)}, ["G1"]), ({"communities": ("C3",)}, [])):
        area = acl.resolve(acl.Scope(**scope), places)
        assert sorted(acl.filter_rows(rows, area)["unit_code"]) == seen, scope
    street_rows = run_query(con, "rates_breakdown", **OCTOBER["rates_breakdown"], level="grid", street_code="S1")
    area = acl.resolve(acl.Scope(communities=("C1",)), places)
    assert "unassigned" not in set(acl.filter_rows(street_rows, area)["unit_code"])  # the street's, not C1's


def test_the_rates_page_lists_a_community_s_unplaced_tickets_as_a_row(unplaced_db):
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    for key, value in {"period_type": "month", "period_start": "2025-10-01", "street_code": "S1",
                       "community_code": "C1"}.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("app_pages/rates.py")
    at.run()
    assert [e.value for e in at.exception] == []
    assert at.selectbox(key="rates_level").value == "grid"
    table = next(t for t in at.dataframe if t.key == "rates_breakdown_table").value
    unplaced = table[table["单位"] == "未落格"]
    assert len(unplaced) == 1 and unplaced["受理量"].iloc[0] == 2
    assert unplaced["参与排名"].iloc[0] == "否（归属不明）" and pd.isna(unplaced["编码"].iloc[0])
    assert table["受理量"].sum() == 11  # the community's 受理量: G1 7, G2 2, 未落格 2
    assert any("“未落格”为本社区没有落到任何网格的工单" in c.value for c in at.caption)


# -- the tickets such a row counts (工单明细 with unassigned=<level>) ------------------------------------------------

from datetime import date  # noqa: E402

from onescreen import tickets  # noqa: E402
from onescreen.filters import Filters, unit_filters  # noqa: E402
from onescreen.queries import UNASSIGNED_LEVELS  # noqa: E402

# Every kind of row of tickets that no unit holds: (level, the area the breakdown is narrowed to, month, its tickets).
UNPLACED_ROWS = [
    ("grid", {"community_code": "C1"}, "2025-10-01", {"U1", "U2"}),         # 一社区 · 未落格
    ("grid", {"street_code": "S1"}, "2025-10-01", {"U1", "U2", "U3"}),      # 一街道 · 未落格
    ("community", {"street_code": "S1"}, "2025-10-01", {"U3"}),             # 一街道 · 社区不明
    ("grid", {}, "2025-10-01", {"U1", "U2", "U3", "U4", "U5"}),             # 全区 · 未落格
    ("community", {}, "2025-10-01", {"U3", "U4"}),                          # 全区 · 社区不明
    ("street", {}, "2025-10-01", {"U4"}),                                   # 全区 · 街道不明
    ("category", {}, "2025-09-01", {"U6"}),                                 # 全区 · 未分类
    ("department", {}, "2025-09-01", {"U6"}),                               # 全区 · 未注明承办单位
]


def _month_end(first: str) -> date:
    return (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()


@pytest.mark.parametrize("name", list(OCTOBER))
@pytest.mark.parametrize("level, narrow, month, expected", UNPLACED_ROWS)
def test_each_unplaced_row_opens_exactly_the_tickets_it_counts(con, name, level, narrow, month, expected):
    """The row's link (filters.unit_filters) read back as 工单明细 reads its URL (Filters + the page's unassigned)
    lists the row's tickets: the ticket_list count is the row's 受理量, for a period and for a date range."""
    window = (dict(period_type="month", period_start=month) if name == "rates_breakdown"
              else dict(start=month, end=str(_month_end(month))))
    rows = run_query(con, name, **window, level=level, **narrow)
    row = rows[rows["unit_code"] == "unassigned"]
    assert len(row) == 1
    link = unit_filters(row.iloc[0], level)
    assert link is not None
    unit_name, params = link
    assert unit_name == tickets.UNASSIGNED[level] == row["unit_name"].iloc[0]
    assert params == {**narrow, **({"street_code": "S1"} if narrow else {}), "unassigned": level}
    first = date.fromisoformat(month)
    shared = Filters("month", first, **{k: v for k, v in params.items() if k != "unassigned"},
                     **({} if name == "rates_breakdown" else dict(date_from=first, date_to=_month_end(month))))
    listed = run_query(con, "ticket_list", **tickets.list_params(
        shared, unassigned=tickets.unassigned_filter(shared, params["unassigned"])))
    assert set(listed["ticket_id"]) == expected
    assert set(listed["total_count"]) == {row["ticket_count"].iloc[0]} == {len(expected)}


@pytest.mark.parametrize("status", ["all", "open", "overdue", "near_deadline", "returned", "closed"])
def test_unassigned_picks_the_tickets_without_a_unit_of_its_level_for_every_status(con, status):
    """A list of open tickets reads the open-ticket mart, any other the tickets: each copy of the filter must pick
    exactly the tickets whose column for the level is empty, alone and with an area."""
    columns = {"street": "street_code", "community": "community_code", "grid": "grid_code", "department": "department",
               "category": "category_l1"}
    assert set(columns) == set(UNASSIGNED_LEVELS) == set(tickets.UNASSIGNED)
    params = dict(status=status, sort="ticket_id", order="asc", limit=1000)
    whole = run_query(con, "ticket_list", **params)
    for level, column in columns.items():
        for area in ({}, {"street_code": "S1"}, {"community_code": "C1"}):
            where = "".join(f" and {k} = ?" for k in area)
            ids = {i for (i,) in con.execute(f"select ticket_id from fct_tickets where {column} is null{where}",
                                             list(area.values())).fetchall()}
            listed = run_query(con, "ticket_list", **params, **area, unassigned=level)
            assert listed["ticket_id"].tolist() == [i for i in whole["ticket_id"] if i in ids], (level, area)
    if status in ("all", "open"):  # U2 (no grid, in C1) is open
        assert "U2" in run_query(con, "ticket_list", **params, community_code="C1", unassigned="grid")["ticket_id"].tolist()


def test_unassigned_takes_only_a_level_that_can_be_unassigned(con):
    with pytest.raises(QueryError, match="unassigned 只能是 street、community、grid、department、category"):
        run_query(con, "ticket_list", unassigned="grid' or 1=1 --")
    with pytest.raises(QueryError):
        run_query(con, "ticket_list", unassigned="source")  # a ticket always has a source


def test_a_unit_of_the_level_chosen_in_the_sidebar_ends_its_unassigned_list():
    community = Filters("month", date(2025, 10, 1), street_code="S1", community_code="C1")
    assert tickets.unassigned_filter(community, "grid") == "grid"
    assert tickets.unassigned_filter(community, "community") == ""  # a community is chosen: not 社区不明
    assert tickets.unassigned_filter(community, "street") == ""
    grid = Filters("month", date(2025, 10, 1), street_code="S1", community_code="C1", grid_code="G1")
    assert tickets.unassigned_filter(grid, "grid") == ""
    assert tickets.unassigned_filter(Filters("month", date(2025, 10, 1), category="市容环境"), "category") == ""
    assert tickets.unassigned_filter(grid, "department") == "department"
    assert tickets.unassigned_filter(community, "source") == tickets.unassigned_filter(community, "x") == ""


@pytest.fixture()
def unplaced_db(tmp_path, monkeypatch):
    """The district with its unplaced tickets as the app's warehouse."""
    from conftest import _reset_app_connection

    path = tmp_path / "unplaced.duckdb"
    connection = duckdb.connect(str(path))
    build(connection)
    connection.close()
    monkeypatch.setenv("ONESCREEN_DB", str(path))
    _reset_app_connection()
    yield path
    _reset_app_connection()


@pytest.mark.parametrize("query, level, label, count", [
    ({"street_code": "S1", "community_code": "C1"}, "grid", "一社区 · 未落格", 2),
    ({"street_code": "S1"}, "community", "一街道 · 社区不明", 1),
    ({}, "street", "全区 · 街道不明", 1),
    ({"date_from": "2025-10-01", "date_to": "2025-10-31", "street_code": "S1"}, "grid", "一街道 · 未落格", 3),
])
def test_selecting_an_unplaced_row_opens_its_tickets(unplaced_db, query, level, label, count):
    """三率分析's 未落格 / 社区不明 / 街道不明 row links to 工单明细 through the URL; the list there is named after it
    and totals the row's 受理量. Clearing the filter there lists the area's tickets again."""
    from test_date_range_pages import follow, links, rerun_with_selection, run, ticket_total

    at = run("rates.py", query={"period_type": "month", "period_start": "2025-10-01", **query})
    at.selectbox(key="rates_level").set_value(level).run()
    table = next(t for t in at.dataframe if t.key == "rates_breakdown_table").value
    row = list(table["单位"]).index(label.split(" · ")[1])
    rerun_with_selection(at, "rates_breakdown_table", {"rows": [row], "columns": [], "cells": []})
    this = "所选区间" if "date_from" in query else "本期"
    link = links(at)[f"打开 {label} {this}的工单明细 →"]
    assert link["unassigned"] == level and link["page"] == "tickets"
    assert {k: link.get(k) for k in ("street_code", "community_code", "grid_code", "source", "category")} == {
        "street_code": query.get("street_code"), "community_code": query.get("community_code") if level == "grid" else None,
        "grid_code": None, "source": None, "category": None}
    opened = follow(link)
    assert ticket_total(opened) == int(table["受理量"].iloc[row]) == count
    assert opened.query_params["unassigned"] in (level, [level])  # still in the address: the view can be shared
    assert any(f"只列出 **{label}**" in i.value for i in opened.info)
    assert any(f" · {label}（来源、分类、区域在左侧筛选）" in c.value for c in opened.caption)
    opened.button(key="t_unassigned_clear").click().run()
    assert "unassigned" not in opened.query_params
    assert ticket_total(opened) > count and not any("只列出" in i.value for i in opened.info)


def test_a_category_s_unclassified_row_opens_its_tickets(unplaced_db):
    """By 诉求分类 (district-wide) the 未分类 row opens the district's tickets without a category."""
    from test_date_range_pages import follow, links, rerun_with_selection, run, ticket_total

    at = run("rates.py", query={"period_type": "month", "period_start": "2025-09-01", "street_code": "S1"})
    at.selectbox(key="rates_level").set_value("category").run()
    table = next(t for t in at.dataframe if t.key == "rates_breakdown_table").value
    row = list(table["单位"]).index("未分类")
    rerun_with_selection(at, "rates_breakdown_table", {"rows": [row], "columns": [], "cells": []})
    link = links(at)["打开 全区 · 未分类 本期的工单明细 →"]
    assert "street_code" not in link  # the row counts the whole district
    assert ticket_total(follow(link)) == int(table["受理量"].iloc[row]) == 1


def test_by_department_the_hint_says_which_row_opens_tickets(unplaced_db):
    """By 承办单位 only the 未注明承办单位 row links (工单明细 has no department filter), and no hint said to pick a
    row: the hint now names that row and says the others have no link; it stays when another row is picked."""
    from test_date_range_pages import follow, links, rerun_with_selection, run, ticket_total

    at = run("rates.py", query={"period_type": "month", "period_start": "2025-09-01"})
    at.selectbox(key="rates_level").set_value("department").run()
    hint = "选中“未注明承办单位”一行可打开其本期的工单明细"
    assert any(hint in c.value and "其他行没有链接" in c.value for c in at.caption)
    table = next(t for t in at.dataframe if t.key == "rates_breakdown_table").value
    names = list(table["单位"])
    other = next(i for i, name in enumerate(names) if name != "未注明承办单位")
    rerun_with_selection(at, "rates_breakdown_table", {"rows": [other], "columns": [], "cells": []})
    assert not [text for text in links(at) if text.startswith("打开 ")]
    assert any(hint in c.value for c in at.caption)
    rerun_with_selection(at, "rates_breakdown_table", {"rows": [names.index("未注明承办单位")], "columns": [], "cells": []})
    link = links(at)["打开 全区 · 未注明承办单位 本期的工单明细 →"]
    assert ticket_total(follow(link)) == int(table["受理量"].iloc[names.index("未注明承办单位")]) == 1
    # October has no such row: no hint (no row would open anything).
    at = run("rates.py", query={"period_type": "month", "period_start": "2025-10-01"})
    at.selectbox(key="rates_level").set_value("department").run()
    assert "未注明承办单位" not in list(next(t for t in at.dataframe if t.key == "rates_breakdown_table").value["单位"])
    assert not any("选中" in c.value for c in at.caption)
