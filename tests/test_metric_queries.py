"""Named queries over the hand-made fixture (tests/metrics_fixture.py): figures, 口径, bound parameters."""

from __future__ import annotations

import dataclasses
import re
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # until the project sets pythonpath

from etl.marts import build_marts  # noqa: E402
from metrics_fixture import at, build_warehouse  # noqa: E402
from onescreen.koujing import KOUJING  # noqa: E402
from onescreen.queries import QUERIES, QUERY_DIR, QueryError, period_bounds, run_query  # noqa: E402
from onescreen.rules import load_rules  # noqa: E402


@pytest.fixture(scope="module")
def con():
    # Red on any on-time rate under 80%, however few tickets (the default needs 5: tests/test_metrics.py), so
    # the fixture's small grids give the light queries red grids to order and filter.
    rules = load_rules()
    rules = dataclasses.replace(rules, lights=dataclasses.replace(rules.lights, red_min_denominator=1))
    connection = duckdb.connect()
    build_warehouse(connection)
    build_marts(connection, rules)
    yield connection
    connection.close()


def test_every_query_runs_and_has_its_koujing(con):
    required = {"kpi_tiles": {"period_start": "2025-10-01"}, "rates_breakdown": {"period_start": "2025-10-01"},
                "grid_lights": {"period_start": "2025-10-01"}, "company_rankings": {"month": "2025-10-01"},
                "company_history": {"company_id": "E"}, "category_mix": {"period_start": "2025-10-01"},
                "escalation_shares": {"period_start": "2025-10-01"},
                "handling_time_distribution": {"period_start": "2025-10-01"}}
    for query in QUERIES.values():
        assert query.title and query.unit and query.koujing, query.name
    for name in ["as_of", "kpi_tiles", "rates_trend", "rates_breakdown", "grid_lights", "light_share_over_time",
                 "company_rankings", "company_history", "overdue_list", "category_mix", "escalation_shares",
                 "handling_time_distribution"]:
        assert not run_query(con, name, **required.get(name, {})).empty, name


def test_every_sql_part_is_included_and_resolved():
    """A query's SQL has its {{include parts/...}} lines replaced, indented as the part is; no part lies unused."""
    parts = {path.name for path in (QUERY_DIR / "parts").glob("*.sql")}
    used = set()
    for query in QUERIES.values():
        text = (QUERY_DIR / f"{query.name}.sql").read_text(encoding="utf-8")
        used |= {name for name in parts if f"{{{{include parts/{name}}}}}" in text}
        assert "{{include" not in query.sql, query.name
    assert parts and used == parts
    filters = (QUERY_DIR / "parts" / "ticket_filters.sql").read_text(encoding="utf-8").rstrip("\n")
    assert f"    from fct_tickets\n{filters}\n)" in QUERIES["weekday_hour_counts"].sql


def test_a_switch_keeps_only_the_sql_of_its_case():
    """rates_breakdown's remainder row (未落格 within an area) is SQL in an {{if narrowed}} block: planning it took
    50 of a whole-level breakdown's 80 ms at 5M tickets. A call that lists a whole level plans none of it; one
    narrowed to an area plans it and none of the plain reads."""
    for name in ("rates_breakdown", "rates_breakdown_range"):
        query = QUERIES[name]
        plain, narrowed = query.sql_for({"narrowed": False}), query.sql_for({"narrowed": True})
        assert "remainder as (" in narrowed and "remainder as (" not in plain, name
        for sql in (plain, narrowed):
            assert not re.search(r"^\s*\{\{", sql, re.MULTILINE), name  # no block or include line left
        assert query.sql == plain
    assert "current_period as (\n    select *\n    from mart_rates" in QUERIES["rates_breakdown"].sql
    switch = QUERIES["rates_breakdown"].switches
    assert [switch({"level": level, "street_code": street, "community_code": community})["narrowed"]
            for level, street, community in [("grid", "S1", None), ("grid", None, "C1"), ("community", "S1", None),
                                             ("community", "S1", "C1"), ("street", "S1", None), ("grid", None, None),
                                             ("source", "S1", None)]] == [True, True, True, False, False, False, False]



def test_a_short_ticket_page_is_read_back_by_number_and_a_long_one_by_its_window(con):
    """A page of at most 50 rows reads its full rows by ticket number (an index read of those rows); a longer
    one by its receipt window. Both give the same rows: 3 rows by number are the first 3 of up to 51 by window."""
    query = QUERIES["ticket_list"]
    assert [query.switches({"limit": n})["by_number"] for n in (1, 50, 51, 2000)] == [True, True, False, False]
    by_number, by_window = query.sql_for({"by_number": True}), query.sql_for({"by_number": False})
    assert "where ticket_id in (select ticket_id from page)" in by_number
    assert "where ticket_id in (select ticket_id from page)" not in by_window
    assert "(select first_received from page_bounds)" in by_window
    assert "(select first_received from page_bounds)" not in by_number
    for params in (dict(status="all"), dict(status="open", sort="overdue_workdays", order="desc")):
        short = run_query(con, "ticket_list", **params, limit=3)
        longer = run_query(con, "ticket_list", **params, limit=51)
        assert len(short) == 3 and len(longer) > 3
        assert _rows(short.drop(columns="total_count")) == _rows(longer.head(3).drop(columns="total_count"))
        assert short["source"].notna().all()   # each full row was found again (source is never empty)

def test_as_of(con):
    row = run_query(con, "as_of").iloc[0]
    assert row["as_of"] == at("2025-10-16 09:00")


def test_kpi_tiles_district(con):
    tiles = run_query(con, "kpi_tiles", period_type="month", period_start="2025-10-20").set_index("metric")
    tickets = tiles.loc["ticket_count"]
    assert (tickets["value"], tickets["previous_value"], tickets["change"]) == (16, 3, 13)
    assert tickets["change_pct"] == pytest.approx(100 * 13 / 3)
    assert tickets["yoy_value"] != tickets["yoy_value"]  # NaN: October 2024 was never loaded
    response = tiles.loc["response_rate"]
    assert (response["numerator"], response["denominator"], response["target"]) == (10, 13, 97)
    assert response["value"] == pytest.approx(100 * 10 / 13)
    assert response["label"] == "响应率"
    assert response["koujing"].startswith(KOUJING["response_rate"])
    assert "响应时限 24 小时" in response["koujing"]
    on_time = tiles.loc["on_time_rate"]
    assert on_time["value"] == pytest.approx(100 * 11 / 14)
    assert on_time["previous_value"] == pytest.approx(50.0)  # September: T3 on time, T20 late
    assert on_time["change"] == pytest.approx(100 * 11 / 14 - 50)
    assert (tiles.loc["overdue_count", "value"], tiles.loc["whistle_count", "numerator"]) == (2, 1)
    assert (tiles.loc["consultation_count", "value"], tiles.loc["consultation_count", "numerator"]) == (2, 1)
    assert list(tiles.index[:4]) == ["ticket_count", "response_rate", "resolution_rate", "satisfaction_rate"]


def test_kpi_tiles_for_a_grid_and_an_empty_unit(con):
    g1 = run_query(con, "kpi_tiles", period_start="2025-10-01", street_code="S1", grid_code="G1").set_index("metric")
    assert g1.loc["ticket_count", "value"] == 7  # the narrowest filter wins
    assert g1.loc["on_time_rate", "value"] == pytest.approx(60.0)
    g3 = run_query(con, "kpi_tiles", period_start="2025-10-01", grid_code="G3").set_index("metric")
    assert g3.loc["ticket_count", "value"] == 0  # loaded period, no ticket: 0, not unknown
    assert g3.loc["response_rate", "value"] != g3.loc["response_rate", "value"]  # NaN


def test_kpi_tiles_of_a_quiet_week_within_the_data_are_zero_not_unknown(con):
    """The week of 1 September received no ticket anywhere: 受理量 read "—" (unknown) on the pages and in the 周报,
    as a week before the first load does, though the weeks before and after it were loaded. Within the loaded
    periods (the district's first to last) a count is 0; its rates stay empty (nothing to rate, not 0%)."""
    quiet = run_query(con, "kpi_tiles", period_type="week", period_start="2025-09-01").set_index("metric")
    assert (quiet.loc["ticket_count", "value"], quiet.loc["ticket_count", "previous_value"]) == (0, 0)
    assert quiet.loc["overdue_count", "value"] == 0 and quiet.loc["whistle_count", "value"] == 0
    assert pd.isna(quiet.loc["response_rate", "value"]) and pd.isna(quiet.loc["avg_handling_workdays", "value"])
    assert pd.isna(quiet.loc["ticket_count", "yoy_value"])  # 2024: before the first load, unknown
    before = run_query(con, "kpi_tiles", period_type="week", period_start="2025-08-04").set_index("metric")
    assert pd.isna(before.loc["ticket_count", "value"])  # the week before the first ticket (15 August)
    after = run_query(con, "kpi_tiles", period_type="week", period_start="2025-10-20").set_index("metric")
    assert pd.isna(after.loc["ticket_count", "value"]) and after.loc["ticket_count", "previous_value"] == 11


def test_rates_trend_and_breakdown(con):
    trend = run_query(con, "rates_trend", period_type="month", street_code="S1")
    assert list(trend["ticket_count"]) == [2, 3, 9]  # Aug T30, T31; Sep T2, T3, T20; Oct G1 7 + G2 2
    assert set(trend["response_target"]) == {97.0}
    grids = run_query(con, "rates_breakdown", period_start="2025-10-01", level="grid", street_code="S1",
                      sort="on_time_rate", order="asc")
    assert list(grids["unit_code"]) == ["G2", "G1"]  # 50% then 60%; G4 is in S2
    assert grids.iloc[1]["previous_ticket_count"] == 2  # G1 in September
    sources = run_query(con, "rates_breakdown", period_start="2025-10-01", level="source", sort="ticket_count")
    assert list(sources["unit_code"]) == ["12345热线", "视频巡查"]


def test_grid_lights_and_shares(con):
    lights = run_query(con, "grid_lights", period_start="2025-10-09")
    assert list(lights["grid_code"]) == ["G2", "G1", "G4", "G3"]  # red (2 months running) first, grey last
    assert list(lights["previous_light"]) == ["red", "yellow", "grey", "grey"]
    red = run_query(con, "grid_lights", period_start="2025-10-01", light="red", community_code="C1")
    assert list(red["grid_code"]) == ["G2", "G1"]
    shares = run_query(con, "light_share_over_time", start="2025-10-01")
    assert list(zip(shares["light"], shares["grid_count"], shares["share"])) == [
        ("red", 2, 50.0), ("yellow", 0, 0.0), ("green", 1, 25.0), ("grey", 1, 25.0)]


def test_company_queries(con):
    ranking = run_query(con, "company_rankings", month=date(2025, 10, 31))
    assert list(ranking["company_id"]) == ["B", "A", "D", "E", "C", "F"]  # ranked, then by score
    assert list(run_query(con, "company_rankings", month="2025-10-01", list="black")["company_id"]) == ["E"]
    history = run_query(con, "company_history", company_id="E")
    assert list(history["consecutive_black_months"]) == [0, 1, 2]


def test_overdue_list_has_no_personal_data(con):
    overdue = run_query(con, "overdue_list")
    assert list(overdue["ticket_id"]) == ["T21", "T5"]  # 3.0 then 1.625 working days late
    assert not {"caller_name", "caller_phone", "address", "content"} & set(overdue.columns)
    near = run_query(con, "overdue_list", state="near_deadline", grid_code="G1")
    assert list(near["ticket_id"]) == ["T2"]


def test_category_escalation_and_handling(con):
    mix = run_query(con, "category_mix", period_start="2025-10-01")
    assert list(zip(mix["category_l1"], mix["ticket_count"], mix["previous_ticket_count"])) == [
        ("物业管理", 8, 0), ("市容环境", 7, 3), ("道路交通", 1, 0)]
    g1_mix = run_query(con, "category_mix", period_start="2025-10-01", grid_code="G1")
    assert g1_mix["ticket_count"].sum() == 7
    shares = run_query(con, "escalation_shares", period_start="2025-10-01")
    assert list(shares["closed_count"]) == [9, 1, 1, 1]
    assert shares.iloc[0]["share"] == pytest.approx(75.0)
    handling = run_query(con, "handling_time_distribution", period_start="2025-10-01", street_code="S1")
    assert list(handling["ticket_count"]) == [0, 1, 1, 2, 0, 0, 0]  # T22 1.21; T6 2.25; T4, T7 3.0


def test_values_are_bound_not_spliced(con):
    for attempt in ["S1' or '1'='1", "S1'; drop table fct_tickets; --", "$street_code"]:
        assert run_query(con, "grid_lights", period_start="2025-10-01", street_code=attempt).empty
        assert run_query(con, "overdue_list", street_code=attempt).empty
        assert run_query(con, "kpi_tiles", period_start="2025-10-01", street_code=attempt).loc[0, "value"] == 0
    assert con.execute("select count(*) from fct_tickets").fetchone() == (21,)


def test_identifiers_and_values_come_from_allow_lists(con):
    with pytest.raises(QueryError) as error:
        run_query(con, "rates_breakdown", period_start="2025-10-01", sort="composite_score; drop table mart_rates")
    assert str(error.value).startswith("查询 rates_breakdown 的参数 sort 只能是 composite_score、")
    with pytest.raises(QueryError, match="^查询 rates_breakdown 的参数 level 只能是 street、"):
        run_query(con, "rates_breakdown", period_start="2025-10-01", level="grid_code or 1=1")
    with pytest.raises(QueryError, match="^查询 grid_lights 不接受参数 order_by；"):
        run_query(con, "grid_lights", period_start="2025-10-01", order_by="light")
    with pytest.raises(QueryError, match="^查询 kpi_tiles 缺少参数 period_start。$"):
        run_query(con, "kpi_tiles")
    with pytest.raises(QueryError, match="^查询 kpi_tiles 的参数 period_start 应为日期（如 2025-10-01），"):
        run_query(con, "kpi_tiles", period_start="上个月")
    with pytest.raises(QueryError, match="^没有名为 nope 的查询"):
        run_query(con, "nope")
    assert con.execute("select count(*) from mart_rates").fetchone()[0] > 0


def test_queries_before_any_build_say_what_to_do(monkeypatch, tmp_path):
    empty = duckdb.connect()
    monkeypatch.delenv("ONESCREEN_DATA_DIR", raising=False)
    monkeypatch.delenv("ONESCREEN_DB", raising=False)   # a fresh clone: the demo is an answer
    with pytest.raises(QueryError) as error:
        run_query(empty, "as_of")
    assert str(error.value) == "指标尚未生成：请先运行 python -m etl demo 生成示范区，或用 python -m etl load 导入导出文件。"
    monkeypatch.setenv("ONESCREEN_DB", str(tmp_path / "warehouse.duckdb"))   # a deployment: its own files, no demo
    with pytest.raises(QueryError) as error:
        run_query(empty, "as_of")
    assert str(error.value) == "指标尚未生成：请先运行 python -m etl load 导入网格定义和工单导出（先网格定义）。"


def test_period_bounds():
    assert period_bounds("week", date(2025, 10, 16)) == {
        "period_start": date(2025, 10, 13), "period_end": date(2025, 10, 20),
        "previous_start": date(2025, 10, 6), "yoy_start": date(2024, 10, 14)}
    assert period_bounds("month", date(2025, 1, 31))["previous_start"] == date(2024, 12, 1)
    assert period_bounds("day", date(2024, 2, 29))["yoy_start"] == date(2023, 2, 28)


def test_ticket_list_flags_closed_tickets_by_their_derived_deadline(con):
    from onescreen import tickets

    frame = tickets.list_tickets(con, limit=100).set_index("ticket_id")
    assert bool(frame.loc["T4", "is_closed_late"]) and bool(frame.loc["T4", "is_due_derived"])
    assert frame.loc["T4", "due_at"] == at("2025-10-11 09:00")
    assert not bool(frame.loc["T3", "is_closed_late"])
    assert tickets.state_label(frame.loc["T4"].to_dict()) == "逾期办结"
    assert tickets.state_label(frame.loc["T3"].to_dict()) == "按期办结"


def test_ticket_list_sorted_by_due_at_pages_by_the_deadline_it_shows(con):
    """A page sorted by 期限 is the first rows of the whole list in that order, derived deadlines included
    (it used to be picked by the export's deadline, so tickets with a derived one fell off the page)."""
    everything = run_query(con, "ticket_list", sort="due_at", order="asc", limit=1000)
    assert everything["is_due_derived"].any() and everything["due_at"].notna().all()
    assert everything["due_at"].is_monotonic_increasing
    for size in (1, 3, 5):
        page = run_query(con, "ticket_list", sort="due_at", order="asc", limit=size)
        assert page["ticket_id"].tolist() == everything["ticket_id"].head(size).tolist()


def test_ticket_list_by_overdue_days_lists_the_most_overdue_then_the_oldest_not_yet_due(con):
    """By overdue_workdays the tickets not yet due (no working days overdue) came after the overdue ones in ticket
    number order: T1, T11, T2, though T2 was received two weeks before T1. Ties and empty values follow in receipt
    order, so the review pack's list runs most overdue first, then the oldest not yet due."""
    frame = run_query(con, "ticket_list", status="open", sort="overdue_workdays", order="desc", limit=100)
    overdue = frame[frame["is_overdue"]]
    assert frame["ticket_id"].tolist()[:len(overdue)] == overdue["ticket_id"].tolist() and len(overdue) >= 2
    assert overdue["overdue_workdays"].is_monotonic_decreasing
    waiting = frame[~frame["is_overdue"]]
    assert waiting["received_at"].is_monotonic_increasing and len(waiting) >= 3
    assert waiting["ticket_id"].tolist() == ["T2", "T1", "T11"]


def _rows(frame: pd.DataFrame) -> list[tuple]:
    """The rows as tuples, every kind of missing value as None (a column's dtype differs with its rows)."""
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.astype(object).itertuples(index=False)]


@pytest.mark.parametrize("status", ["all", "open", "overdue", "near_deadline", "closed"])
@pytest.mark.parametrize("received_from, received_before", [
    (date(2025, 8, 15), date(2025, 10, 17)), (date(2025, 9, 29), date(2025, 10, 10)),
    (date(2025, 10, 10), date(2025, 10, 14)), (None, date(2025, 10, 1)), (date(2025, 10, 13), None)])
def test_ticket_list_in_a_receipt_window_is_the_whole_list_cut_to_it(con, status, received_from, received_before):
    """The list reads the open-ticket and derived-deadline marts only within its receipt window: each
    ticket's row (status, effective deadline, 逾期办结) and the count must be those of the whole list."""
    params = dict(status=status, sort="ticket_id", order="asc", limit=1000)
    whole = run_query(con, "ticket_list", **params)
    inside = whole["received_at"].map(lambda t: (received_from is None or t.date() >= received_from)
                                      and (received_before is None or t.date() < received_before))
    expected = whole[inside].drop(columns="total_count").reset_index(drop=True)
    windowed = run_query(con, "ticket_list", received_from=received_from, received_before=received_before, **params)
    assert not expected.empty or status in ("overdue", "near_deadline")
    assert _rows(windowed.drop(columns="total_count")) == _rows(expected)
    assert set(windowed["total_count"]) <= {len(expected)}
    # A page of 2 is the first 2 rows, with the count of all of them.
    page = run_query(con, "ticket_list", received_from=received_from, received_before=received_before,
                     **{**params, "limit": 2})
    assert page["ticket_id"].tolist() == expected["ticket_id"].head(2).tolist()
    assert set(page["total_count"]) <= {len(expected)}


FILTER_COLUMNS = ("street_code", "community_code", "grid_code", "source", "category_l1", "category_l2", "compound_code")


@pytest.mark.parametrize("status", ["all", "open", "overdue", "near_deadline", "closed"])
def test_ticket_list_filters_pick_the_same_tickets_for_every_status(con, status):
    """A list of open tickets reads the open-ticket mart, any other the tickets, each with its own copy
    of the filters: every filter must pick exactly the tickets whose column holds the value."""
    params = dict(status=status, sort="ticket_id", order="asc", limit=1000)
    whole = run_query(con, "ticket_list", **params)
    for column in FILTER_COLUMNS:
        values = [v for (v,) in con.execute(f"select distinct {column} from fct_tickets where {column} is not null")
                  .fetchall()] + ["no-such-value"]
        for value in values:
            ids = {i for (i,) in con.execute(f"select ticket_id from fct_tickets where {column} = ?", [value]).fetchall()}
            listed = run_query(con, "ticket_list", **params, **{column: value})
            assert listed["ticket_id"].tolist() == [i for i in whole["ticket_id"] if i in ids], (column, value)
    part = whole["ticket_id"].iloc[0][1:] if len(whole) else "1"
    listed = run_query(con, "ticket_list", **params, ticket_id=part)
    assert listed["ticket_id"].tolist() == [i for i in whole["ticket_id"] if part.lower() in i.lower()]


@pytest.mark.parametrize("status", ["all", "open", "closed"])
def test_ticket_list_of_property_complaints_counts_as_the_red_black_lists(status):
    """property_complaint lists the tickets 物业红黑榜 counts (the rules' categories, and their appeal types or
    none), from the tickets and from the open-ticket mart alike: a consultation about the property is left out."""
    connection = duckdb.connect()
    build_warehouse(connection)
    connection.execute("update fct_tickets set appeal_type = '咨询' where ticket_id = 'P1'")  # closed
    connection.execute("update fct_tickets set appeal_type = null, resolved_at = null, callback_at = null,"
                       " is_resolved = null, satisfaction = null where ticket_id = 'P2'")  # open, no appeal type
    connection.execute("update fct_tickets set category_l1 = '物业管理', appeal_type = '建议' where ticket_id = 'T21'")  # open
    build_marts(connection, load_rules())
    try:
        listed = run_query(connection, "ticket_list", status=status, property_complaint=True, limit=1000)
        complaints = run_query(connection, "company_compound_complaints", month="2025-10-01")
        ids = {"all": {"T7", *(f"P{i}" for i in range(2, 8))}, "open": {"P2"},
               "closed": {"T7", *(f"P{i}" for i in range(3, 8))}}[status]
        assert set(listed["ticket_id"]) == ids and set(listed["total_count"]) == {len(ids)}
        assert complaints["complaint_count"].sum() == 6  # P2-P7 at compounds (T7 has none)
        everything = run_query(connection, "ticket_list", status=status, limit=1000)
        assert len(everything) > len(listed)
    finally:
        connection.close()


@pytest.mark.parametrize("status", ["all", "open", "overdue", "near_deadline", "closed"])
@pytest.mark.parametrize("sort, order", [("received_at", "desc"), ("ticket_id", "asc"), ("due_at", "asc"),
                                         ("overdue_workdays", "desc")])
def test_ticket_list_pages_follow_each_other(con, status, sort, order):
    """Page k of n rows is rows (k-1)*n+1 .. k*n of the whole list, rows and count alike; a page past
    the end is empty. The list by receipt time or number takes its top rows first, the others after
    the join: both ways must page the same."""
    params = dict(status=status, sort=sort, order=order)
    whole = run_query(con, "ticket_list", **params, limit=1000)
    assert len(whole) < 1000 and (len(whole) >= 5 or status in ("overdue", "near_deadline"))
    size = 2
    pages = [run_query(con, "ticket_list", **params, limit=size, page=k) for k in range(1, len(whole) // size + 2)]
    assert sum(len(p) for p in pages) == len(whole)
    joined = pd.concat([p for p in pages if len(p)], ignore_index=True) if len(whole) else whole
    assert _rows(joined.drop(columns="total_count")) == _rows(whole.drop(columns="total_count"))
    assert all(set(p["total_count"]) <= {len(whole)} for p in pages)
    assert run_query(con, "ticket_list", **params, limit=size, page=len(whole) // size + 5).empty


def test_pages_get_the_same_values_as_plain_python_strings(con):
    """onescreen.data hands pages text as Python strings (object dtype) instead of Arrow-backed ``str``:
    every value, missing one and column name stays as the query gave it; numbers keep their types."""
    from onescreen.data import plain_strings

    frame = run_query(con, "rates_breakdown", period_type="month", period_start="2025-10-01", level="street")
    assert frame["unit_name"].dtype != object and frame.columns.dtype != object  # what DuckDB gives pandas 3
    assert frame["community_code"].isna().all()  # missing text, which must stay missing
    plain = plain_strings(frame)
    assert frame["unit_name"].dtype != object and frame.columns.dtype != object  # the query's own frame is left as it was
    assert plain.columns.dtype == object and list(plain.columns) == list(frame.columns)
    for column in frame.columns:
        before, after = frame[column], plain[column]
        if pd.api.types.is_string_dtype(before.dtype):
            assert after.dtype == object
            assert after.isna().tolist() == before.isna().tolist()
            assert after[after.notna()].tolist() == before[before.notna()].tolist()
            assert all(isinstance(v, str) for v in after[after.notna()])
        else:
            assert after.dtype == before.dtype and after.equals(before)
    assert plain_strings(plain) is plain  # already plain: nothing copied


def test_returned_tickets_have_a_status_of_their_own_in_the_lists():
    """A returned ticket (已退单) is listed under 已退单, not under 未办结, 超期 or 已办结, and is labelled so."""
    from onescreen import tickets

    connection = duckdb.connect()
    build_warehouse(connection)
    connection.execute("update fct_tickets set status = '已退单' where ticket_id = 'T21'")
    build_marts(connection, load_rules())

    def listed(status):
        return run_query(connection, "ticket_list", status=status, sort="ticket_id", order="asc", limit=100)

    assert listed("returned")["ticket_id"].tolist() == ["T21"]
    assert listed("returned")["total_count"].tolist() == [1]
    assert listed("open")["ticket_id"].tolist() == ["T1", "T11", "T2", "T5"]
    assert listed("overdue")["ticket_id"].tolist() == ["T5"]
    assert "T21" not in listed("closed")["ticket_id"].tolist()
    everything = listed("all").set_index("ticket_id")
    assert tickets.state_label(everything.loc["T21"].to_dict()) == "已退单"
    assert tickets.state_label(everything.loc["T5"].to_dict()) == "超期"
    overdue = run_query(connection, "overdue_list", state="open", limit=100)
    assert sorted(overdue["ticket_id"]) == ["T1", "T11", "T2", "T5"]
    connection.close()


def test_marts_of_an_older_version_say_to_refresh():
    """A query naming a column the marts lack (built before an upgrade) used to end in 页面出错了 with an
    incident number; the page now says to refresh, and the log keeps the cause."""
    from onescreen import errors
    from onescreen.queries import StaleMarts

    connection = duckdb.connect()
    build_warehouse(connection)
    build_marts(connection, load_rules())
    connection.execute("alter table mart_open_tickets drop column is_returned")
    with pytest.raises(StaleMarts) as error:
        run_query(connection, "ticket_list", status="open", limit=10)
    assert isinstance(error.value, errors.UserFacingError)
    assert errors.report(error.value).startswith("数据仓库的汇总表缺少本页需要的列，通常是升级程序后还没有重建：请运行 "
                                                 "python -m etl refresh")
    connection.close()


def test_recurring_places_of_a_month_under_way_count_the_same_days_of_the_month_before(warehouse_copy, tmp_path):
    """高频问题 for October up to the 9th against September 1-9 (``previous_end``): 金碧花园's 物业管理 requests of
    September 20 and 29 are not in its previous count (they were, against all of September)."""
    from etl.load import load_files
    from onescreen.queries import run_query

    path = tmp_path / "jinbi.csv"
    path.write_text("工单编号,来电时间,一级分类,所属社区,诉求地址\n"
                    "JB1,2025-09-05 09:00,物业管理,东风社区,东风路88号金碧花园\n"
                    "JB2,2025-09-20 09:00,物业管理,东风社区,东风路88号金碧花园\n"
                    "JB3,2025-10-03 09:00,物业管理,东风社区,东风路88号金碧花园\n"
                    "JB4,2025-10-05 09:00,物业管理,东风社区,东风路88号金碧花园\n", encoding="utf-8")
    load_files([path])
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        def jinbi(**kwargs) -> pd.Series:
            rows = run_query(con, "recurring_problems", start="2025-10-01", end="2025-10-09", previous_start="2025-09-01",
                             min_count=1, limit=1000, **kwargs)
            return rows.set_index(["place_name", "category_l1"]).loc[("金碧花园", "物业管理")]

        september = run_query(con, "recurring_problems", start="2025-09-01", end="2025-09-09", min_count=1, limit=1000)
        first_days = int(september.set_index(["place_name", "category_l1"]).loc[("金碧花园", "物业管理"), "ticket_count"])
        whole, same_days = jinbi(), jinbi(previous_end="2025-09-10")
    finally:
        con.close()
    assert same_days["ticket_count"] == whole["ticket_count"] >= 2
    assert same_days["previous_ticket_count"] == first_days == 1
    assert whole["previous_ticket_count"] >= 3   # 09-05, 09-20 and the fixture's own 09-29


def test_voided_and_reopened_tickets_are_listed_with_their_status():
    """A voided ticket (已撤销: T21, open overdue; P1, a closed property complaint) is listed under 全部 as 已撤销,
    never under 未办结, 超期 or 已办结, nor among the property complaints the 物业红黑榜 counts. A reopened one (重办:
    T4, first closed late) is in hand again: listed under 未办结 and 超期, not 已办结."""
    from onescreen import tickets

    connection = duckdb.connect()
    build_warehouse(connection)
    connection.execute("update fct_tickets set status = '已撤销' where ticket_id in ('T21', 'P1')")
    connection.execute("update fct_tickets set status = '重办' where ticket_id = 'T4'")
    build_marts(connection, load_rules())

    def listed(status, **params):
        return run_query(connection, "ticket_list", status=status, sort="ticket_id", order="asc", limit=100,
                         **params)["ticket_id"].tolist()

    everything = run_query(connection, "ticket_list", status="all", sort="ticket_id", order="asc",
                           limit=100).set_index("ticket_id")
    assert tickets.state_label(everything.loc["T21"].to_dict()) == "已撤销"
    assert tickets.state_label(everything.loc["P1"].to_dict()) == "已撤销"
    assert everything.loc["T21", "status"] == "已撤销"
    assert tickets.state_label(everything.loc["T4"].to_dict()) == "超期"
    closed = listed("closed")
    assert "T21" not in closed and "P1" not in closed and "T4" not in closed
    assert listed("open") == ["T1", "T11", "T2", "T4", "T5"]
    assert listed("overdue") == ["T4", "T5"]
    assert "T21" not in listed("returned")
    complaints = listed("all", property_complaint=True, compound_code="PA1")
    assert complaints == ["P2"]
    compounds = run_query(connection, "company_compound_complaints", company_id="A", month=date(2025, 10, 1))
    assert compounds.set_index("compound_code")["complaint_count"].to_dict() == {"PA1": 1, "PA2": 1}
    connection.close()


def test_voided_tickets_have_a_status_of_their_own_in_the_list():
    """已撤销 is a status to choose, as 已退单 is: it lists the voided tickets alone (T21, P1), with their count, under
    the same filters as every status; 已办结 and the property complaints still leave them out."""
    from onescreen import tickets

    connection = duckdb.connect()
    build_warehouse(connection)
    connection.execute("update fct_tickets set status = '已撤销' where ticket_id in ('T21', 'P1')")
    build_marts(connection, load_rules())

    def listed(**params):
        frame = run_query(connection, "ticket_list", status="voided", sort="ticket_id", order="asc", limit=100, **params)
        assert set(frame["total_count"]) <= {len(frame)}
        return frame

    try:
        voided = listed()
        assert voided["ticket_id"].tolist() == ["P1", "T21"]
        assert list(tickets.state_labels(voided)) == ["已撤销", "已撤销"]
        assert listed(grid_code="G2")["ticket_id"].tolist() == ["T21"]
        assert listed(received_from=date(2025, 10, 11))["ticket_id"].tolist() == ["P1"]
        assert listed(property_complaint=True).empty
        first = run_query(connection, "ticket_list", status="voided", sort="ticket_id", order="asc", limit=1)
        assert first["ticket_id"].tolist() == ["P1"] and first["total_count"].tolist() == [2]
    finally:
        connection.close()
