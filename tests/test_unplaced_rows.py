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
from onescreen.queries import run_query  # noqa: E402
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


def test_the_rates_page_lists_a_community_s_unplaced_tickets_as_a_row(tmp_path, monkeypatch):
    from conftest import _reset_app_connection

    path = tmp_path / "unplaced.duckdb"
    connection = duckdb.connect(str(path))
    build(connection)
    connection.close()
    monkeypatch.setenv("ONESCREEN_DB", str(path))
    _reset_app_connection()
    try:
        at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
        for key, value in {"period_type": "month", "period_start": "2025-10-01", "street_code": "S1",
                           "community_code": "C1"}.items():
            at.query_params[key] = value
        at.run()
        at.switch_page("app_pages/rates.py")
        at.run()
    finally:
        _reset_app_connection()
    assert [e.value for e in at.exception] == []
    assert at.selectbox(key="rates_level").value == "grid"
    table = next(t for t in at.dataframe if t.key == "rates_breakdown_table").value
    unplaced = table[table["单位"] == "未落格"]
    assert len(unplaced) == 1 and unplaced["受理量"].iloc[0] == 2
    assert unplaced["参与排名"].iloc[0] == "否（归属不明）" and pd.isna(unplaced["编码"].iloc[0])
    assert table["受理量"].sum() == 11  # the community's 受理量: G1 7, G2 2, 未落格 2
    assert any("“未落格”为本社区没有落到任何网格的工单" in c.value for c in at.caption)
