"""Named queries over a custom date range (``start``..``end``, both days included) on the hand-made
district (tests/metrics_fixture.py): a range's figures are the day rows of the marts added up, so a
range that is exactly a period gives the period's figures, and any range gives what the tickets and
the day rows give when counted here independently."""

from __future__ import annotations

import dataclasses
import sys
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from etl.marts import build_marts  # noqa: E402
from metrics_fixture import build_warehouse  # noqa: E402
from onescreen.queries import QUERIES, QueryError, range_bounds, run_query, window_params  # noqa: E402
from onescreen.rules import load_rules  # noqa: E402

LEVELS = ("street", "community", "grid", "department", "source", "category")


def _warehouse(rules) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    build_warehouse(connection)
    build_marts(connection, rules)
    return connection


@pytest.fixture(scope="module")
def con():
    connection = _warehouse(load_rules())
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def ranked_con():
    """The same district with a minimum denominator of 1, so that units are ranked."""
    connection = _warehouse(dataclasses.replace(load_rules(), min_denominator=1))
    yield connection
    connection.close()


def _without_koujing(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["koujing"]).reset_index(drop=True)


@pytest.mark.parametrize("period_type, period_start, start, end, scope", [
    ("month", "2025-10-01", "2025-10-01", "2025-10-31", {}),
    ("month", "2025-09-01", "2025-09-01", "2025-09-30", {"street_code": "S1"}),
    ("week", "2025-10-13", "2025-10-13", "2025-10-19", {"grid_code": "G1"}),
    ("week", "2025-10-06", "2025-10-06", "2025-10-12", {"level": "source", "unit_code": "视频巡查"}),
    ("day", "2025-10-10", "2025-10-10", "2025-10-10", {"community_code": "C1"}),
])
def test_a_range_that_is_a_period_gives_the_period_tiles(con, period_type, period_start, start, end, scope):
    period = run_query(con, "kpi_tiles", period_type=period_type, period_start=period_start, **scope)
    ranged = run_query(con, "kpi_tiles_range", start=start, end=end, **scope)
    pd.testing.assert_frame_equal(_without_koujing(ranged), _without_koujing(period), check_dtype=False)
    assert ranged["value"].notna().any()


def test_range_tiles_are_the_day_rows_added_up(con):
    """Thu 9 to Mon 13 October: counted here from fct_tickets and from the day rows of mart_rates."""
    tiles = run_query(con, "kpi_tiles_range", start="2025-10-09", end="2025-10-13").set_index("metric")
    received = con.execute("select count(*) from fct_tickets where received_at::date between "
                           "date '2025-10-09' and date '2025-10-13'").fetchone()[0]
    assert received == 14  # T4, T5 (9th); T7, T21, T22 (10th); T6, T8 and P1-P7 (13th)
    assert tiles.loc["ticket_count", "value"] == received
    days = con.execute("select * from mart_rates where period_type = 'day' and level = 'district' "
                       "and period_start between date '2025-10-09' and date '2025-10-13'").df()
    for rate, stem in (("response_rate", "response"), ("resolution_rate", "resolution"),
                       ("satisfaction_rate", "satisfaction"), ("on_time_rate", "on_time"), ("closure_rate", "closure")):
        numerator, denominator = days[f"{stem}_numerator"].sum(), days[f"{stem}_denominator"].sum()
        assert (tiles.loc[rate, "numerator"], tiles.loc[rate, "denominator"]) == (numerator, denominator), rate
        assert tiles.loc[rate, "value"] == pytest.approx(100 * numerator / denominator), rate
    assert (tiles.loc["response_rate", "numerator"], tiles.loc["response_rate", "denominator"]) == (10, 12)
    for metric, column in (("overdue_count", "overdue_count"), ("whistle_count", "whistle_count"),
                           ("consultation_count", "consultation_count"),
                           ("property_complaint_count", "property_complaint_count")):
        assert tiles.loc[metric, "value"] == days[column].sum(), metric
    assert tiles.loc["avg_handling_workdays", "value"] == pytest.approx(
        days["handling_workdays_sum"].sum() / days["handling_count"].sum())
    weights = load_rules().composite_weights
    rates = tiles["value"]
    assert tiles.loc["composite_score", "value"] == pytest.approx(
        weights.response * rates["response_rate"] + weights.resolution * rates["resolution_rate"]
        + weights.satisfaction * rates["satisfaction_rate"])


def test_range_tiles_compare_with_the_days_before_and_a_year_ago(con):
    tiles = run_query(con, "kpi_tiles_range", start="2025-10-09", end="2025-10-13").set_index("metric")
    # 4 to 8 October (National Day): inside the loaded days, no ticket: 0, not unknown.
    assert tiles.loc["ticket_count", "previous_value"] == 0
    assert tiles.loc["ticket_count", "change"] == 14
    # October 2024 was never loaded: unknown, not 0.
    assert pd.isna(tiles.loc["ticket_count", "yoy_value"])
    before = run_query(con, "kpi_tiles_range", start="2025-09-29", end="2025-10-03").set_index("metric")
    assert before.loc["ticket_count", "value"] == 2  # T20 (29th), T3 (30th); T2 was the 26th
    following = run_query(con, "kpi_tiles_range", start="2025-10-04", end="2025-10-08").set_index("metric")
    assert following.loc["ticket_count", "previous_value"] == before.loc["ticket_count", "value"]
    # A day without tickets inside the loaded days is 0 for a range, and for the period query too (it left such a
    # day unknown, knowing only the periods that have rows).
    sunday = run_query(con, "kpi_tiles_range", start="2025-10-13", end="2025-10-13").set_index("metric")
    assert sunday.loc["ticket_count", "previous_value"] == 0
    assert run_query(con, "kpi_tiles", period_type="day", period_start="2025-10-13").set_index("metric").loc[
        "ticket_count", "previous_value"] == 0
    assert range_bounds(date(2025, 10, 4), date(2025, 10, 8)) == {
        "period_start": date(2025, 10, 4), "period_end": date(2025, 10, 9), "previous_start": date(2025, 9, 29),
        "previous_end": date(2025, 10, 4), "yoy_start": date(2024, 10, 4), "yoy_end": date(2024, 10, 9)}


@pytest.mark.parametrize("level", LEVELS)
def test_a_range_that_is_a_period_gives_the_period_breakdown_with_ranks(ranked_con, level):
    for period_type, period_start, start, end in (("month", "2025-10-01", "2025-10-01", "2025-10-31"),
                                                  ("week", "2025-10-13", "2025-10-13", "2025-10-19")):
        period = run_query(ranked_con, "rates_breakdown", period_type=period_type, period_start=period_start,
                           level=level)
        ranged = run_query(ranked_con, "rates_breakdown_range", start=start, end=end, level=level)
        pd.testing.assert_frame_equal(ranged.drop(columns=["period_type"]), period.drop(columns=["period_type"]),
                                      check_dtype=False)
    assert ranged["composite_rank"].notna().any() or level == "department"


def test_range_breakdown_ranks_across_the_level_before_the_street_filter(ranked_con):
    everything = run_query(ranked_con, "rates_breakdown_range", start="2025-10-09", end="2025-10-13", level="grid")
    in_s1 = run_query(ranked_con, "rates_breakdown_range", start="2025-10-09", end="2025-10-13", level="grid",
                      street_code="S1", sort="unit_code", order="asc")
    assert list(in_s1["unit_code"]) == ["G1", "G2"]  # G4 is in S2
    ranks = dict(zip(everything["unit_code"], everything["composite_rank"]))
    assert list(in_s1["composite_rank"]) == [ranks["G1"], ranks["G2"]]
    assert ranks["G4"] == 1  # seven exemplary property complaints
    received = dict(zip(everything["unit_code"], everything["ticket_count"]))
    counted = dict(ranked_con.execute(
        "select grid_code, count(*) from fct_tickets where received_at::date between date '2025-10-09' "
        "and date '2025-10-13' and grid_code is not null group by 1").fetchall())
    assert received == counted


@pytest.mark.parametrize("name", ["escalation_shares", "handling_time_distribution", "category_mix"])
def test_period_or_range_queries_agree_on_a_period(con, name):
    for scope in ({}, {"street_code": "S1"}, {"grid_code": "G1"}):
        period = run_query(con, name, period_type="month", period_start="2025-10-01", **scope)
        ranged = run_query(con, name, start="2025-10-01", end="2025-10-31", **scope)
        pd.testing.assert_frame_equal(ranged, period, check_dtype=False)


def test_category_mix_over_a_range_counts_the_tickets(con):
    mix = run_query(con, "category_mix", start="2025-10-09", end="2025-10-13").set_index("category_l1")
    counted = dict(con.execute("select category_l1, count(*) from fct_tickets where received_at::date "
                               "between date '2025-10-09' and date '2025-10-13' group by 1").fetchall())
    assert mix["ticket_count"].to_dict() == counted
    # The five days before (4 to 8 October) had none.
    assert mix["previous_ticket_count"].sum() == 0
    shares = run_query(con, "escalation_shares", start="2025-10-09", end="2025-10-13")
    days = con.execute("select sum(closed_at_grid_count), sum(escalation_denominator) from mart_rates where "
                       "period_type = 'day' and level = 'district' and period_start between date '2025-10-09' "
                       "and date '2025-10-13'").fetchone()
    assert (shares.iloc[0]["closed_count"], shares.iloc[0]["escalation_denominator"]) == days


@pytest.mark.parametrize("name, params, message", [
    ("kpi_tiles_range", dict(start="2025-10-13", end="2025-10-09"),
     "查询 kpi_tiles_range 的参数 start（2025-10-13）晚于 end（2025-10-09）：区间的开始日期不能晚于结束日期。"),
    ("kpi_tiles_range", dict(start="2025-10-13"), "查询 kpi_tiles_range 缺少参数 end。"),
    ("kpi_tiles_range", dict(start="2025-10-13", end="十月"),
     "查询 kpi_tiles_range 的参数 end 应为日期（如 2025-10-01），不能是 '十月'。"),
    ("rates_breakdown_range", dict(start="2025-10-01", end="2025-10-31", period_type="month"),
     "查询 rates_breakdown_range 不接受参数 period_type；可用参数：level、street_code、community_code、limit、sort、"
     "order、start、end、compare_to、until、through。"),
    ("category_mix", dict(period_start="2025-10-01", start="2025-10-01", end="2025-10-31"),
     "查询 category_mix 按周期（period_start）或按日期区间（start、end）取数，两者不能同时给。"),
    ("weekday_hour_counts", dict(start="2025-10-13", end="2025-10-12"),
     "查询 weekday_hour_counts 的参数 start（2025-10-13）晚于 end（2025-10-12）：区间的开始日期不能晚于结束日期。"),
    ("ticket_list", dict(received_from="2025-10-13", received_before="2025-10-13"),
     "查询 ticket_list 的参数 received_from（2025-10-13）不早于 received_before（2025-10-13）：区间的开始日期不能晚于结束日期。"),
])
def test_a_range_that_cannot_be_used_is_refused_in_chinese(con, name, params, message):
    with pytest.raises(QueryError) as error:
        run_query(con, name, **params)
    assert str(error.value) == message


def test_range_queries_carry_their_koujing(con):
    for name in ("kpi_tiles_range", "rates_breakdown_range"):
        assert "date_range" in QUERIES[name].koujing_keys
        assert "自定义日期区间" in QUERIES[name].koujing
    tiles = run_query(con, "kpi_tiles_range", start="2025-10-09", end="2025-10-13").set_index("metric")
    assert tiles.loc["response_rate", "label"] == "响应率"
    assert "响应时限 24 小时" in tiles.loc["response_rate", "koujing"]


@pytest.mark.parametrize("start, end, compare_to, previous, yoy", [
    # A month under way (tickets up to 12-10) against the same days of the month before, cut at its end.
    (date(2026, 12, 1), date(2026, 12, 10), "month", (date(2026, 11, 1), date(2026, 11, 11)), (date(2025, 12, 1), date(2025, 12, 11))),
    (date(2026, 3, 1), date(2026, 3, 30), "month", (date(2026, 2, 1), date(2026, 3, 1)), (date(2025, 3, 1), date(2025, 3, 31))),
    # A week under way (Monday to Wednesday) against last Monday to Wednesday, and 52 weeks before (weekdays line up).
    (date(2026, 11, 30), date(2026, 12, 2), "week", (date(2026, 11, 23), date(2026, 11, 26)), (date(2025, 12, 1), date(2025, 12, 4))),
    # A custom range: the days right before it.
    (date(2026, 12, 1), date(2026, 12, 10), "preceding", (date(2026, 11, 21), date(2026, 12, 1)), (date(2025, 12, 1), date(2025, 12, 11))),
    # A quarter under way (the 季报): the same dates of the quarter before (as a month's, the same day three months
    # earlier); the year before, the same dates. To 12-10: 07-01 to 09-10.
    (date(2026, 10, 1), date(2026, 12, 10), "quarter", (date(2026, 7, 1), date(2026, 9, 11)), (date(2025, 10, 1), date(2025, 12, 11))),
    (date(2027, 1, 1), date(2027, 3, 30), "quarter", (date(2026, 10, 1), date(2026, 12, 31)), (date(2026, 1, 1), date(2026, 3, 31))),
    # A day past the end of the month three months before is cut to it: 05-31 against 02-28, 09-30 against 06-30.
    (date(2026, 4, 1), date(2026, 5, 31), "quarter", (date(2026, 1, 1), date(2026, 3, 1)), (date(2025, 4, 1), date(2025, 6, 1))),
    (date(2026, 7, 1), date(2026, 9, 30), "quarter", (date(2026, 4, 1), date(2026, 7, 1)), (date(2025, 7, 1), date(2025, 10, 1))),
    (date(2026, 9, 30), date(2026, 9, 30), "quarter", (date(2026, 6, 30), date(2026, 7, 1)), (date(2025, 9, 30), date(2025, 10, 1))),
    # From a day inside the quarter: the same dates (a leap year's February).
    (date(2024, 5, 11), date(2024, 5, 30), "quarter", (date(2024, 2, 11), date(2024, 3, 1)), (date(2023, 5, 11), date(2023, 5, 31))),
    (date(2025, 4, 1), date(2025, 6, 29), "quarter", (date(2025, 1, 1), date(2025, 3, 30)), (date(2024, 4, 1), date(2024, 6, 30))),
])
def test_the_range_a_range_is_compared_with(start, end, compare_to, previous, yoy):
    bounds = range_bounds(start, end, compare_to)
    assert (bounds["previous_start"], bounds["previous_end"]) == previous
    assert (bounds["yoy_start"], bounds["yoy_end"]) == yoy


@pytest.mark.parametrize("so_far, same_days, compare_to, units", [
    # (the 19 days right before: 08-13 to 08-31; September 1-19 has no ticket, so no unit to break down)
    (("2025-09-01", "2025-09-19"), ("2025-08-01", "2025-08-19"), "month", False),
    (("2025-10-06", "2025-10-09"), ("2025-09-29", "2025-10-02"), "week", True),    # Monday to Thursday
])
def test_a_period_under_way_is_compared_with_the_same_days_of_the_one_before(ranked_con, so_far, same_days, compare_to,
                                                                              units):
    """A month (week) so far against the same days of the month (week) before: the tiles, the category mix and the
    breakdown take their previous figures from those days alone (each the same as asking for those days
    themselves), not from as many days right before, nor from the whole period before."""
    so_far, same_days = dict(zip(("start", "end"), so_far)), dict(zip(("start", "end"), same_days))
    tiles = run_query(ranked_con, "kpi_tiles_range", **so_far, compare_to=compare_to).set_index("metric")
    before = run_query(ranked_con, "kpi_tiles_range", **same_days).set_index("metric")
    preceding = run_query(ranked_con, "kpi_tiles_range", **so_far).set_index("metric")
    assert tiles.loc["ticket_count", "previous_value"] == before.loc["ticket_count", "value"] > 0
    assert tiles.loc["ticket_count", "previous_value"] != preceding.loc["ticket_count", "previous_value"]
    for metric in ("response_rate", "resolution_rate", "on_time_rate", "avg_handling_workdays"):
        assert tiles.loc[metric, "previous_value"] == before.loc[metric, "value"] or (
            pd.isna(tiles.loc[metric, "previous_value"]) and pd.isna(before.loc[metric, "value"])), metric

    mix = run_query(ranked_con, "category_mix", **so_far, compare_to=compare_to).set_index("category_l1")
    mix_before = run_query(ranked_con, "category_mix", **same_days).set_index("category_l1")
    assert mix["previous_ticket_count"].sum() == mix_before["ticket_count"].sum() > 0
    for category, n in mix_before["ticket_count"].items():
        assert mix.loc[category, "previous_ticket_count"] == n, category

    if not units:
        return
    breakdown = run_query(ranked_con, "rates_breakdown_range", **so_far, level="grid", compare_to=compare_to)
    breakdown_before = run_query(ranked_con, "rates_breakdown_range", **same_days, level="grid").set_index("unit_code")
    previous = breakdown.set_index("unit_code")
    for unit in previous.index.intersection(breakdown_before.index):
        for column in ("ticket_count", "composite_score"):
            a, b = previous.loc[unit, f"previous_{column}"], breakdown_before.loc[unit, column]
            assert a == b or (pd.isna(a) and pd.isna(b)), (unit, column)
    assert previous["previous_ticket_count"].sum() == breakdown_before.loc[previous.index.intersection(
        breakdown_before.index), "ticket_count"].sum() > 0


@pytest.mark.parametrize("compare_to, previous_end, yoy_end", [
    # Tickets up to 12-10 11:59:52: the month before and the year before end at 11:59:53 of their 10th too.
    ("month", datetime(2026, 11, 10, 11, 59, 53), datetime(2025, 12, 10, 11, 59, 53)),
    ("week", datetime(2026, 12, 3, 11, 59, 53), datetime(2025, 12, 11, 11, 59, 53)),
    ("quarter", datetime(2026, 9, 10, 11, 59, 53), datetime(2025, 12, 10, 11, 59, 53)),
    # (a day under way: the day before, up to the same time; 12-01 to 12-10 as a range shifts by one day)
    ("day", datetime(2026, 12, 9, 11, 59, 53), datetime(2025, 12, 10, 11, 59, 53)),
    # The days right before a custom range are whole days: only the range itself ends at the time.
    ("preceding", date(2026, 12, 1), date(2025, 12, 11)),
])
def test_a_range_that_stops_during_its_last_day_is_compared_up_to_the_same_time(compare_to, previous_end, yoy_end):
    bounds = range_bounds(date(2026, 12, 1), date(2026, 12, 10), compare_to, until=time(11, 59, 53))
    assert bounds["period_end"] == datetime(2026, 12, 10, 11, 59, 53)
    assert bounds["previous_end"] == previous_end
    assert bounds["yoy_end"] == yoy_end
    # Without a time, or at midnight, every end is a whole day.
    for until in (None, time(0)):
        assert all(type(v) is date for v in range_bounds(date(2026, 12, 1), date(2026, 12, 10), compare_to,
                                                        until=until).values())


def test_a_month_before_cut_short_at_its_end_is_not_cut_at_the_time():
    """March 1-30 (to 08:00 on the 30th) against February: February has no 30th, so all of it (to 03-01)."""
    bounds = range_bounds(date(2026, 3, 1), date(2026, 3, 30), "month", until=time(8))
    assert (bounds["previous_start"], bounds["previous_end"]) == (date(2026, 2, 1), date(2026, 3, 1))
    assert bounds["yoy_end"] == datetime(2025, 3, 30, 8)


def test_window_params_ask_for_one_window_of_range_bounds():
    bounds = range_bounds(date(2026, 12, 1), date(2026, 12, 10), "month", until=time(11, 59, 53))
    assert window_params(bounds["previous_start"], bounds["previous_end"]) == {
        "start": date(2026, 11, 1), "end": date(2026, 11, 10), "until": time(11, 59, 53)}
    whole = range_bounds(date(2026, 12, 1), date(2026, 12, 10), "month")
    assert window_params(whole["previous_start"], whole["previous_end"]) == {
        "start": date(2026, 11, 1), "end": date(2026, 11, 10)}


def _received(con, start: str, before: datetime, **where: str) -> int:
    """Tickets received from ``start`` up to ``before``, counted here from fct_tickets."""
    clauses = "".join(f" and {column} = ?" for column in where)
    return con.execute(f"select count(*) from fct_tickets where received_at >= ? and received_at < ?{clauses}",
                       [start, before, *where.values()]).fetchone()[0]


def test_a_week_stopping_at_a_time_counts_the_week_before_up_to_that_time(ranked_con):
    """The week of 10-13 with tickets up to Thursday 09:29:59 against Monday 10-06 up to Thursday 10-09 09:30: of
    that Thursday's two tickets (09:00 市容环境, 10:00 道路交通, both in G1) only the first is counted in 受理, in the
    category mix and in G1's breakdown row. The rates stay those of the whole days."""
    so_far = dict(start="2025-10-13", end="2025-10-16", compare_to="week")
    cut = datetime(2025, 10, 9, 9, 30)
    tiles = run_query(ranked_con, "kpi_tiles_range", **so_far, until="09:30:00").set_index("metric")
    whole_days = run_query(ranked_con, "kpi_tiles_range", **so_far).set_index("metric")
    assert whole_days.loc["ticket_count", "previous_value"] == _received(ranked_con, "2025-10-06", datetime(2025, 10, 10)) == 2
    assert tiles.loc["ticket_count", "previous_value"] == _received(ranked_con, "2025-10-06", cut) == 1
    assert tiles.loc["ticket_count", "value"] == _received(ranked_con, "2025-10-13", datetime(2025, 10, 16, 9, 30)) == 11
    for metric in ("response_rate", "resolution_rate", "on_time_rate", "avg_handling_workdays"):
        a, b = tiles.loc[metric, "previous_value"], whole_days.loc[metric, "previous_value"]
        assert a == b or (pd.isna(a) and pd.isna(b)), metric

    mix = run_query(ranked_con, "category_mix", **so_far, until="09:30:00").set_index("category_l1")
    for category in ("市容环境", "道路交通"):
        assert mix["previous_ticket_count"].get(category, 0) == _received(ranked_con, "2025-10-06", cut,
                                                                           category_l1=category), category
    assert mix["previous_ticket_count"].sum() == 1

    for level, unit, column in (("grid", "G1", "grid_code"), ("category", "市容环境", "category_l1"),
                                ("source", "12345热线", "source")):
        breakdown = run_query(ranked_con, "rates_breakdown_range", **so_far, until="09:30:00", level=level)
        row = breakdown.set_index("unit_code").loc[unit]
        expected = _received(ranked_con, "2025-10-06", cut, **{column: unit})
        assert (0 if pd.isna(row["previous_ticket_count"]) else row["previous_ticket_count"]) == expected, level
        assert row["ticket_count"] == _received(ranked_con, "2025-10-13", datetime(2025, 10, 16, 9, 30),
                                                **{column: unit}), level
    # The previous window's own breakdown, asked for as the rates page asks for it, counts the same tickets.
    bounds = range_bounds(date(2025, 10, 13), date(2025, 10, 16), "week", until=time(9, 30))
    own = run_query(ranked_con, "rates_breakdown_range", level="grid",
                    **window_params(bounds["previous_start"], bounds["previous_end"])).set_index("unit_code")
    assert own.loc["G1", "ticket_count"] == 1


def test_queries_given_a_previous_end_at_a_time_count_up_to_it(ranked_con):
    """recurring_problems and repeat_summary take ``previous_end`` as a time too (Filters.previous_window)."""
    summary = run_query(ranked_con, "repeat_summary", start="2025-10-13", end="2025-10-16",
                        previous_start="2025-10-06", previous_end=datetime(2025, 10, 9, 9, 30)).iloc[0]
    assert summary["previous_ticket_count"] == _received(ranked_con, "2025-10-06", datetime(2025, 10, 9, 9, 30)) == 1
    as_text = run_query(ranked_con, "repeat_summary", start="2025-10-13", end="2025-10-16",
                        previous_start="2025-10-06", previous_end="2025-10-09 09:30:00").iloc[0]
    assert as_text["previous_ticket_count"] == 1
    with pytest.raises(QueryError, match="时刻"):
        run_query(ranked_con, "kpi_tiles_range", start="2025-10-13", end="2025-10-16", until="half past nine")


def test_a_quarter_under_way_is_a_comparison_the_range_queries_take(con):
    """Q4 so far against the same dates of Q3: 1-16 July lie before the first ticket (2025-08-15), so unknown, not 0;
    1 July to 19 August holds T30 (08-15) and not T31 (08-20)."""
    tiles = run_query(con, "kpi_tiles_range", start="2025-10-01", end="2025-10-16", compare_to="quarter").set_index("metric")
    assert tiles.loc["ticket_count", "value"] == 16 and pd.isna(tiles.loc["ticket_count", "previous_value"])
    tiles = run_query(con, "kpi_tiles_range", start="2025-10-01", end="2025-11-19", compare_to="quarter").set_index("metric")
    assert tiles.loc["ticket_count", "previous_value"] == 1
    mix = run_query(con, "category_mix", start="2025-10-01", end="2025-11-20", compare_to="quarter")
    assert mix["previous_ticket_count"].sum() == 2  # to 20 August: T31 too


def test_a_range_past_the_data_is_compared_up_to_the_last_day_with_data():
    """A range of 7 days whose tickets stop on its 4th (through, at 11:59): the 7 days before are compared only on
    their first 4 (the same days, up to the same time), and the year before on the same dates up to the 4th."""
    bounds = range_bounds(date(2026, 11, 30), date(2026, 12, 6), through=date(2026, 12, 3), until=time(11, 59, 53))
    assert bounds == {"period_start": date(2026, 11, 30), "period_end": datetime(2026, 12, 3, 11, 59, 53),
                      "previous_start": date(2026, 11, 23), "previous_end": datetime(2026, 11, 26, 11, 59, 53),
                      "yoy_start": date(2025, 11, 30), "yoy_end": datetime(2025, 12, 3, 11, 59, 53)}
    whole = range_bounds(date(2026, 11, 30), date(2026, 12, 31), through=date(2026, 12, 3))
    assert (whole["previous_start"], whole["previous_end"], whole["yoy_end"]) == (
        date(2026, 10, 29), date(2026, 11, 2), date(2025, 12, 4))
    # A range the data reach to the end of is compared whole, as before.
    assert range_bounds(date(2026, 11, 30), date(2026, 12, 6), through=date(2026, 12, 6)) == range_bounds(
        date(2026, 11, 30), date(2026, 12, 6))
    assert "through" in QUERIES["kpi_tiles_range"].accepted()
