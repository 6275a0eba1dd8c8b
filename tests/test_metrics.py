"""The marts against figures worked out by hand from tests/metrics_fixture.py (read its comments).

As-of is Thu 2025-10-16 09:00 (ticket T11's receipt). Working clock: 24 h per working day.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # until the project sets pythonpath

from etl.marts import build_marts  # noqa: E402
from metrics_fixture import at, build_warehouse  # noqa: E402
from onescreen.rules import load_rules, rules_of_marts  # noqa: E402


def _build(**changes):
    con = duckdb.connect()
    build_warehouse(con)
    rules = load_rules()
    for name, value in changes.items():
        rules = dataclasses.replace(rules, **{name: value})
    counts = build_marts(con, rules)
    return con, rules, counts


@pytest.fixture(scope="module")
def built():
    con, rules, counts = _build()
    yield con, rules, counts
    con.close()


@pytest.fixture(scope="module")
def con(built):
    return built[0]


def rates(con, unit_code, level, period_type="month", period_start="2025-10-01"):
    cur = con.execute(
        "select * from mart_rates where period_type = ? and period_start = ? and level = ? and unit_code = ?",
        [period_type, period_start, level, unit_code])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, (level, unit_code, period_type, period_start, rows)
    return dict(zip(names, rows[0]))


def test_counts_and_meta(built):
    con, rules, counts = built
    # 6 companies x 3 months (Aug-Oct); 5 open tickets (T1, T2, T5, T11, T21).
    assert counts["mart_company_rankings"] == 18
    assert counts["mart_open_tickets"] == 5
    assert counts["mart_meta"] == 1
    as_of, digest, tickets = con.execute("select as_of, rules_digest, ticket_count from mart_meta").fetchone()
    # T8's December callback is ignored: it has a timeline error.
    assert as_of == at("2025-10-16 09:00")
    assert digest == rules.digest()
    assert tickets == 21  # 10 in G1, 3 in G2, 7 in G4, T31 without a grid


def test_district_october(con):
    r = rates(con, "all", "district")
    assert r["unit_name"] == "全区"
    assert r["ticket_count"] == 16  # G1 7 + G2 2 + G4 7
    # Response: G1 T4, T6, T8 in time of T4, T5, T6, T7, T8, T1 (T11 not yet due); 视频巡查 left out;
    # G4 7 of 7.
    assert (r["response_numerator"], r["response_denominator"]) == (10, 13)
    assert r["response_rate"] == pytest.approx(100 * 10 / 13)
    # Resolution: T4 yes, T6 yes, T8 no (its callback counts), G4 7 yes.
    assert (r["resolution_numerator"], r["resolution_denominator"]) == (9, 10)
    assert r["resolution_rate"] == pytest.approx(90.0)
    # Satisfaction: 满意 T4 + 7, 基本满意 T6 at weight 1.0, 不满意 T8.
    assert (r["satisfaction_numerator"], r["satisfaction_denominator"]) == (9.0, 10)
    assert (r["satisfied_count"], r["basic_satisfied_count"], r["dissatisfied_count"]) == (8, 1, 1)
    # On time: T6, T7, T8, T22, 7 x G4 = 11; late T4; open overdue T5, T21.
    assert (r["closed_on_time_count"], r["closed_late_count"], r["overdue_count"]) == (11, 1, 2)
    assert (r["on_time_numerator"], r["on_time_denominator"]) == (11, 14)
    assert r["on_time_rate"] == pytest.approx(100 * 11 / 14)
    assert (r["closure_numerator"], r["closure_denominator"]) == (12, 14)
    assert (r["open_count"], r["near_deadline_count"]) == (4, 0)  # T1, T5, T11, T21; T2 is September's
    assert r["composite_score"] == pytest.approx(0.30 * 100 * 10 / 13 + 0.35 * 90 + 0.35 * 90)
    # Handling: T4 3.0, T6 2.25, T7 3.0, T22 1.208333, 7 x 1.0; T8 (timeline error) left out.
    assert r["handling_count"] == 11
    assert r["avg_handling_workdays"] == pytest.approx((3.0 + 2.25 + 3.0 + 29 / 24 + 7.0) / 11)
    buckets = [r[f"handling_{b}_count"] for b in ("lt1", "1_2", "2_3", "3_5", "5_10", "10_15", "ge15")]
    assert buckets == [0, 8, 1, 2, 0, 0, 0]
    # Closed at: 网格 T6, T8 + 7; 社区 T4; 街道 T7; 区 T22.
    assert (r["closed_at_grid_count"], r["closed_at_community_count"], r["closed_at_street_count"],
            r["closed_at_district_count"], r["escalation_denominator"]) == (9, 1, 1, 1, 12)
    assert r["closed_at_grid_share"] == pytest.approx(75.0)
    assert (r["whistle_count"], r["whistle_closed_count"]) == (2, 1)
    assert (r["consultation_count"], r["consultation_closed_count"]) == (2, 1)  # T1 open, T7 closed
    assert r["property_complaint_count"] == 8  # G4 7 + T7 (property category without a compound)
    # Every denominator reaches the minimum of 10: ranked (alone: the district is one unit).
    assert (r["is_ranked"], r["composite_rank"]) == (True, 1)


def test_grid_g1_october(con):
    r = rates(con, "G1", "grid")
    assert (r["unit_name"], r["street_code"], r["community_code"], r["grid_code"]) == ("网格1", "S1", "C1", "G1")
    assert r["ticket_count"] == 7
    assert (r["response_numerator"], r["response_denominator"]) == (3, 6)
    assert (r["resolution_numerator"], r["resolution_denominator"]) == (2, 3)
    assert (r["satisfaction_numerator"], r["satisfaction_denominator"]) == (2.0, 3)
    assert (r["on_time_numerator"], r["on_time_denominator"], r["on_time_rate"]) == (3, 5, 60.0)
    assert r["closure_rate"] == pytest.approx(80.0)  # 4 closed of 4 closed + 1 overdue
    assert r["composite_score"] == pytest.approx(0.30 * 50 + 0.35 * 200 / 3 + 0.35 * 200 / 3)
    assert r["avg_handling_workdays"] == pytest.approx((3.0 + 2.25 + 3.0) / 3)


def test_ticket_without_grid_rolls_up_as_unassigned(con):
    august = {(level, code): n for level, code, n in con.execute(
        "select level, unit_code, ticket_count from mart_rates where period_type = 'month'"
        " and period_start = '2025-08-01'").fetchall()}
    assert august[("grid", "unassigned")] == 1 and august[("grid", "G1")] == 1  # T31, T30
    assert (august[("community", "C2")], august[("community", "C1")], august[("street", "S1")]) == (1, 1, 2)
    name, street = con.execute("select unit_name, street_code from mart_rates where level = 'grid'"
                               " and unit_code = 'unassigned' and period_type = 'month'").fetchone()
    assert (name, street) == ("未落格", None)


def test_unassigned_units_are_shown_but_never_ranked():
    con, _, _ = _build(min_denominator=1)  # so that a small unit could otherwise be ranked
    try:
        rows = con.execute("select level, is_ranked, composite_rank, composite_score is not null from mart_rates"
                           " where unit_code = 'unassigned'").fetchall()
        assert any(has_score for *_, has_score in rows)  # it has a score, so only the rule keeps it out
        assert [r for r in rows if r[1] or r[2] is not None] == []
        ranked_grids = con.execute("select count(*) from mart_rates where level = 'grid' and is_ranked").fetchall()[0][0]
        assert ranked_grids > 0
    finally:
        con.close()


def test_source_without_response_time_has_no_response_rate(con):
    r = rates(con, "视频巡查", "source")
    assert (r["response_denominator"], r["response_rate"]) == (0, None)
    g2 = rates(con, "G2", "grid")
    # No response, no callback: no rate enters the composite score, which is therefore null.
    assert (g2["response_rate"], g2["resolution_rate"], g2["satisfaction_rate"], g2["composite_score"]) == (
        None, None, None, None)


def test_september_and_week(con):
    sep = rates(con, "all", "district", period_start="2025-09-01")
    # T2 open inside its deadline (left out), T3 on time, T20 late.
    assert (sep["ticket_count"], sep["on_time_numerator"], sep["on_time_denominator"]) == (3, 1, 2)
    assert sep["near_deadline_count"] == 1  # T2: 7 working hours left at as-of
    assert sep["avg_handling_workdays"] == pytest.approx((47 / 24 + 49 / 24) / 2)  # T3 1.958333, T20 2.041667
    week = rates(con, "G1", "grid", period_type="week", period_start="2025-10-13")  # weeks start on Monday
    assert week["ticket_count"] == 4  # T6, T8, T1, T11
    day = rates(con, "all", "district", period_type="day", period_start="2025-10-13")
    assert day["ticket_count"] == 9  # T6, T8 and the seven property complaints


def test_deadlines_across_holiday_and_adjusted_working_days(con):
    rows = dict(con.execute("select ticket_id, due_at from mart_open_tickets").fetchall())
    assert rows["T2"] == at("2025-10-16 16:00")  # Sep 28 and Oct 11 worked, Oct 1-8 not
    assert rows["T1"] == at("2025-11-04 10:00")  # 15 working days
    assert rows["T5"] == at("2025-10-14 18:00")  # the export's own deadline is kept
    facts = {row[0]: row[1:] for row in con.execute(
        "select ticket_id, is_overdue, is_near_deadline, overdue_workdays, remaining_workdays,"
        " is_due_derived from mart_open_tickets").fetchall()}
    assert facts["T5"][:3] == (True, False, pytest.approx(1.625))  # k+9.375 - k+7.75
    assert facts["T21"][:3] == (True, False, pytest.approx(3.0))
    assert facts["T2"][1] is True and facts["T2"][3] == pytest.approx(7 / 24)
    assert facts["T1"][1:] == (False, None, pytest.approx(13 + 1 / 24), True)


def test_closed_tickets_keep_their_derived_deadline(con):
    rows = {t: (due, late) for t, due, late in con.execute(
        "select ticket_id, due_at, is_closed_late from mart_derived_deadlines").fetchall()}
    assert rows["T3"] == (at("2025-10-10 10:00"), False)  # closed Oct 10 09:00
    assert rows["T4"] == (at("2025-10-11 09:00"), True)  # the 调休 Saturday counts; closed Mon Oct 13
    assert rows["T20"] == (at("2025-10-09 09:00"), True)
    assert "T21" not in rows and "T2" not in rows  # export's own deadline / still open


def test_grid_lights(con):
    got = {(g, p.isoformat()): (light, red) for g, p, light, red in con.execute(
        "select grid_code, period_start, light, consecutive_red_periods from mart_grid_lights"
        " where period_type = 'month'").fetchall()}
    # G1 in August (0 of 1 on time), G2 in September (0 of 1) and October (1 of 2): under 80% but over fewer than
    # lights.red_min_denominator (5) due or closed tickets, so yellow, not red; G1's October is 3 of 5.
    assert got == {
        ("G1", "2025-08-01"): ("yellow", 0), ("G1", "2025-09-01"): ("yellow", 0), ("G1", "2025-10-01"): ("red", 1),
        ("G2", "2025-08-01"): ("grey", 0), ("G2", "2025-09-01"): ("yellow", 0), ("G2", "2025-10-01"): ("yellow", 0),
        ("G3", "2025-08-01"): ("grey", 0), ("G3", "2025-09-01"): ("grey", 0), ("G3", "2025-10-01"): ("grey", 0),
        ("G4", "2025-08-01"): ("grey", 0), ("G4", "2025-09-01"): ("grey", 0), ("G4", "2025-10-01"): ("green", 0),
    }
    reasons = dict(con.execute("select grid_code, light_reason from mart_grid_lights where period_type = 'month'"
                               " and period_start = '2025-10-01'").fetchall())
    assert reasons["G1"] == "按期办结率 60.0% 低于 80%"
    assert reasons["G2"] == "按期办结率 50.0%（仅 2 件，不足 5 件不判红灯）；超期 1 件"
    assert reasons["G3"] == "本期无到期、办结或临期工单"
    sep = con.execute("select light_reason from mart_grid_lights where grid_code = 'G1' and period_type = 'month'"
                      " and period_start = '2025-09-01'").fetchone()[0]
    assert sep == "临期 1 件"
    week = con.execute("select light, on_time_rate from mart_grid_lights where grid_code = 'G1'"
                       " and period_type = 'week' and period_start = '2025-10-13'").fetchone()
    assert week == ("green", 100.0)  # T6, T8 on time; T1, T11 open inside their deadlines


def test_grid_lights_count_the_yellow_runs_as_the_red_ones(con):
    """The 周报 lists yellow grids with how long each has been yellow: G1 yellow in August and September, then red;
    G2 grey in August, then yellow in September and October."""
    got = {(g, p.isoformat()): n for g, p, n in con.execute(
        "select grid_code, period_start, consecutive_yellow_periods from mart_grid_lights"
        " where period_type = 'month' and grid_code in ('G1', 'G2')").fetchall()}
    assert got == {("G1", "2025-08-01"): 1, ("G1", "2025-09-01"): 2, ("G1", "2025-10-01"): 0,
                   ("G2", "2025-08-01"): 0, ("G2", "2025-09-01"): 1, ("G2", "2025-10-01"): 2}
    assert con.execute("select count(*) from mart_grid_lights where (light = 'yellow') <> (consecutive_yellow_periods > 0)"
                       " or consecutive_yellow_periods > 0 and consecutive_red_periods > 0").fetchone()[0] == 0


def test_the_on_time_rate_lights_red_over_as_few_tickets_as_the_rule_says():
    """lights.red_min_denominator = 1: any rate under 80% is red again, and the red runs count on."""
    rules = load_rules()
    con, _rules, _counts = _build(lights=dataclasses.replace(rules.lights, red_min_denominator=1))
    try:
        got = {(g, p.isoformat()): (light, red) for g, p, light, red in con.execute(
            "select grid_code, period_start, light, consecutive_red_periods from mart_grid_lights"
            " where period_type = 'month' and grid_code in ('G1', 'G2')").fetchall()}
        assert got == {
            ("G1", "2025-08-01"): ("red", 1), ("G1", "2025-09-01"): ("yellow", 0), ("G1", "2025-10-01"): ("red", 1),
            ("G2", "2025-08-01"): ("grey", 0), ("G2", "2025-09-01"): ("red", 1), ("G2", "2025-10-01"): ("red", 2),
        }
        reason = con.execute("select light_reason from mart_grid_lights where grid_code = 'G2'"
                             " and period_type = 'month' and period_start = '2025-10-01'").fetchone()[0]
        assert reason == "按期办结率 50.0% 低于 80%"
    finally:
        con.close()


def test_company_rankings(con):
    cols = "company_id, inspection_score, complaint_count, complaints_per_1k_households, complaint_score, score," \
           " is_eligible, rank, list, rank_change, consecutive_black_months"
    oct_rows = {r[0]: r[1:] for r in con.execute(
        f"select {cols} from mart_company_rankings where month_start = '2025-10-01'").fetchall()}
    approx = pytest.approx
    # A: compounds' means (80+90)/2 and 95 -> 90; 3 complaints / 1,000 households -> 70; 0.6*90 + 0.4*70 = 82.
    # B: 80; 3 / 2,000 -> 1.5 per 1k -> 85; 0.6*80 + 0.4*85 = 82: a tie, B has fewer complaints per 1k.
    assert oct_rows["B"] == (80, 3, approx(1.5), approx(85), approx(82), True, 1, "red", 1, 0)
    assert oct_rows["A"] == (approx(90), 3, approx(3.0), approx(70), approx(82), True, 2, None, -1, 0)
    assert oct_rows["D"] == (60, 0, 0, 100, approx(76), True, 3, None, 0, 0)
    assert oct_rows["E"] == (50, 0, 0, 100, approx(70), True, 4, "black", 1, 2)
    # C: 80 households (below 100): shown with its score, not ranked; 12.5 per 1k -> max(0, -25) = 0.
    assert oct_rows["C"] == (95, 1, approx(12.5), 0, approx(57), False, None, None, None, 0)
    # F: no inspection in October.
    assert oct_rows["F"] == (None, 0, 0, 100, None, False, None, None, None, 0)
    reasons = dict(con.execute("select company_id, ineligible_reason from mart_company_rankings"
                               " where month_start = '2025-10-01' and not is_eligible").fetchall())
    assert reasons == {"C": "管理户数 80 户，不足 100 户", "F": "当月无考核记录"}
    assert con.execute("select distinct eligible_count, list_size from mart_company_rankings"
                       " where month_start = '2025-10-01'").fetchall() == [(4, 1)]
    sep = dict(con.execute("select company_id, rank from mart_company_rankings"
                           " where month_start = '2025-09-01' and rank is not null").fetchall())
    assert sep == {"A": 1, "B": 2, "D": 3, "F": 4, "E": 5}  # 94, 91, 82, 76, 70
    # August: no inspections at all: nobody eligible, no lists.
    aug = con.execute("select count(*) filter (is_eligible), count(list), max(list_size)"
                      " from mart_company_rankings where month_start = '2025-08-01'").fetchone()
    assert aug == (0, 0, 0)


def test_ranking_needs_min_denominator():
    con, _rules, _ = _build(min_denominator=3)
    ranked = con.execute("select unit_code, composite_rank from mart_rates where period_type = 'month'"
                         " and period_start = '2025-10-01' and level = 'grid' order by unit_code").fetchall()
    # G1 (N 6/3/3) and G4 (N 7/7/7) ranked; G2 has no rate at all.
    assert ranked == [("G1", 2), ("G2", None), ("G4", 1)]
    # Default minimum 10: nobody at grid level qualifies.
    con_default, _r, _c = _build()
    assert con_default.execute("select count(composite_rank) from mart_rates where level = 'grid'").fetchone() == (0,)


def test_a_unit_without_a_rate_its_level_is_ranked_on_is_shown_but_not_ranked():
    """Units of a level are ranked on the same rates. Two October hotline tickets come in as 网格员上报 (no
    callback: no 解决率, no 满意率); that source's score of 响应率 alone (100) must not rank it above 12345热线,
    judged on all three (83.1), in the marts and in the range query alike."""
    from onescreen.queries import run_query

    con = duckdb.connect()
    try:
        build_warehouse(con)
        con.execute("update fct_tickets set source = '网格员上报', is_resolved = null, satisfaction = null,"
                    " callback_at = null where ticket_id in ('P1', 'P2')")
        rules = dataclasses.replace(load_rules(), min_denominator=1)  # both have N enough to be ranked
        build_marts(con, rules)
        hotline, grid_report = rates(con, "12345热线", "source"), rates(con, "网格员上报", "source")
        assert grid_report["resolution_rate"] is None and grid_report["composite_score"] == pytest.approx(100.0)
        assert hotline["composite_score"] < grid_report["composite_score"]
        assert (hotline["is_ranked"], hotline["composite_rank"]) == (True, 1)
        assert (grid_report["is_ranked"], grid_report["composite_rank"]) == (False, None)
        ranged = run_query(con, "rates_breakdown_range", start="2025-10-01", end="2025-10-31", level="source")
        shown = {code: (bool(ranked), None if pd.isna(rank) else int(rank)) for code, ranked, rank in
                 zip(ranged["unit_code"], ranged["is_ranked"], ranged["composite_rank"])}
        assert shown["12345热线"] == (True, 1) and shown["网格员上报"] == (False, None)
        # Where no unit has a rate, it is no part of the basis: September's two sources, 响应率 only, are ranked.
        september = {code: rank for code, rank in con.execute(
            "select unit_code, composite_rank from mart_rates where period_type = 'month'"
            " and period_start = '2025-09-01' and level = 'source'").fetchall()}
        assert september == {"12345热线": 1, "网格员上报": 1}
    finally:
        con.close()


def test_basic_satisfied_weight_is_a_rule():
    con, rules, _ = _build()
    half = dataclasses.replace(rules, basic_satisfied_weight=0.5)
    build_marts(con, half)  # rebuilding replaces the marts
    assert rates(con, "G1", "grid")["satisfaction_rate"] == pytest.approx(50.0)  # (1 + 0.5 + 0) / 3
    assert rates(con, "all", "district")["satisfaction_rate"] == pytest.approx(85.0)  # 8.5 / 10
    assert con.execute("select rules_digest from mart_meta").fetchone()[0] == half.digest() != rules.digest()


def test_ticket_values_count_every_filter_value(con):
    """mart_ticket_values (the filters' choices) holds each source, first-level category, and second-level
    category under its first-level one, with its number of tickets, counted here in Python; and the proactive
    sources of the rules (网格员上报 and 视频巡查) the tickets hold, likewise."""
    from collections import Counter

    rows = con.execute("select source, category_l1, category_l2 from fct_tickets").fetchall()
    expected = Counter()
    for source, l1, l2 in rows:
        if source is not None:
            expected[("source", None, source)] += 1
        if source in ("网格员上报", "视频巡查"):
            expected[("proactive_source", None, source)] += 1
        if l1 is not None:
            expected[("category_l1", None, l1)] += 1
        if l2 is not None:
            expected[("category_l2", l1, l2)] += 1
    stored = con.execute("select field, category_l1, value, ticket_count from mart_ticket_values").fetchall()
    assert {(f, l1, v): n for f, l1, v, n in stored} == dict(expected)
    assert len(stored) == len(expected)
    assert sum(n for f, _, _, n in stored if f == "source") == 21   # every ticket has a source


def test_returned_tickets_are_open_but_never_overdue_or_near_deadline():
    """已退单 as the latest state: handed back to be dispatched again, in nobody's hands. T21 (G2, overdue) and
    T2 (G1, September's 临期) returned: out of 超期, 临期, the on-time and closure denominators and 未办结 (在办),
    so G2's October light follows T22 alone; still listed in mart_open_tickets, flagged."""
    con = duckdb.connect()
    build_warehouse(con)
    con.execute("update fct_tickets set status = '已退单' where ticket_id in ('T21', 'T2')")
    build_marts(con, load_rules())
    r = rates(con, "all", "district")
    assert (r["closed_on_time_count"], r["closed_late_count"], r["overdue_count"]) == (11, 1, 1)  # T5 only
    assert (r["on_time_numerator"], r["on_time_denominator"]) == (11, 13)
    assert (r["closure_numerator"], r["closure_denominator"]) == (12, 13)
    assert r["open_count"] == 3  # T1, T5, T11
    assert rates(con, "all", "district", period_start="2025-09-01")["near_deadline_count"] == 0
    flags = {t: (returned, overdue, near, workdays) for t, returned, overdue, near, workdays in con.execute(
        "select ticket_id, is_returned, is_overdue, is_near_deadline, overdue_workdays from mart_open_tickets"
        " where ticket_id in ('T2', 'T21', 'T5')").fetchall()}
    assert flags == {"T2": (True, False, False, None), "T21": (True, False, False, None),
                     "T5": (False, True, False, pytest.approx(flags["T5"][3]))}
    assert flags["T5"][3] > 0
    light = con.execute("select light, on_time_rate from mart_grid_lights where grid_code = 'G2'"
                        " and period_type = 'month' and period_start = '2025-10-01'").fetchone()
    assert light == ("green", 100.0)  # red (50%: T22 on time, T21 overdue) when T21 is in hand
    con.close()


@pytest.mark.parametrize(("appeal_types", "expected"), [
    (None, 4),                                   # config/rules.toml: 投诉、举报、求助 (P4-P6, X3 without a type)
    (("投诉", "举报", "求助", "咨询", "建议"), 6),  # every type: the consultation and the suggestion too
    (("咨询",), 2),                              # X1, and X3 again
])
def test_property_complaints_count_the_rules_appeal_types(appeal_types, expected):
    """A consultation (咨询) or a suggestion (建议) about property management is not a complaint against
    the company; a ticket without an appeal type is never left out. The compound breakdown the 物业红黑榜
    page shows counts as the mart does, from the rules the marts were built with."""
    from onescreen.queries import run_query

    con = duckdb.connect()
    build_warehouse(con)
    for ticket_id, appeal in (("X1", "咨询"), ("X2", "建议"), ("X3", None)):
        con.execute("insert into fct_tickets select * replace (? as ticket_id, ? as appeal_type)"
                    " from fct_tickets where ticket_id = 'P4'", [ticket_id, appeal])
    rules = load_rules()
    if appeal_types is not None:
        rules = dataclasses.replace(rules, property_rules=dataclasses.replace(rules.property_rules,
                                                                             appeal_types=appeal_types))
    build_marts(con, rules)
    assert con.execute("select complaint_count from mart_company_rankings"
                       " where company_id = 'B' and month_start = '2025-10-01'").fetchone()[0] == expected
    compounds = run_query(con, "company_compound_complaints", company_id="B", month=date(2025, 10, 1))
    assert compounds.set_index("compound_code")["complaint_count"].to_dict() == {"PB": expected}


def test_a_rules_file_from_before_the_lights_minimum_still_loads(tmp_path):
    """lights.red_min_denominator came after users had rules files: without it, 5, in a file and in old marts."""
    text = (Path(__file__).resolve().parent.parent / "config" / "rules.toml").read_text(encoding="utf-8")
    older = tmp_path / "rules.toml"
    older.write_text("\n".join(line for line in text.splitlines() if not line.startswith("red_min_denominator")),
                     encoding="utf-8")
    assert "red_min_denominator" in text and "red_min_denominator =" not in older.read_text(encoding="utf-8")
    assert load_rules(older).lights.red_min_denominator == 5
    data = load_rules().as_dict()
    del data["lights"]["red_min_denominator"]
    assert rules_of_marts(json.dumps(data, ensure_ascii=False)).lights.red_min_denominator == 5


def _build_with_statuses(statuses: dict[str, str]):
    con = duckdb.connect()
    build_warehouse(con)
    for ticket_id, status in statuses.items():
        con.execute("update fct_tickets set status = ? where ticket_id = ?", [status, ticket_id])
    build_marts(con, load_rules())
    return con


def test_voided_tickets_count_in_no_measure_of_work_but_the_intake():
    """已撤销 (voided) as the latest state: T21 (G2, open and 3 working days overdue), T4 (G1, closed late, resolved,
    满意) and P1 (a property complaint against A) are withdrawn. Still 受理量 (a request was received); out of
    超期, 未办结, 按期办结率, 办结率, the three rates, handling time, the light and the company's complaint count."""
    base = duckdb.connect()
    build_warehouse(base)
    build_marts(base, load_rules())
    before = rates(base, "all", "district")
    complaints_before = base.execute("select complaint_count from mart_company_rankings"
                                     " where company_id = 'A' and month_start = '2025-10-01'").fetchone()[0]
    base.close()
    con = _build_with_statuses({"T21": "已撤销", "T4": "已撤销", "P1": "已撤销"})
    r = rates(con, "all", "district")
    assert r["ticket_count"] == before["ticket_count"] == 16
    assert r["overdue_count"] == before["overdue_count"] - 1
    assert r["open_count"] == before["open_count"] - 1
    assert r["closed_count"] == before["closed_count"] - 2                     # T4, P1
    assert r["closed_late_count"] == before["closed_late_count"] - 1           # T4
    assert r["on_time_denominator"] == before["on_time_denominator"] - 3       # T21, T4, P1
    assert r["closure_denominator"] == before["closure_denominator"] - 3
    assert r["response_denominator"] == before["response_denominator"] - 2     # T4, P1 (视频巡查 T21 has none)
    assert r["resolution_denominator"] == before["resolution_denominator"] - 2
    assert r["satisfaction_denominator"] == before["satisfaction_denominator"] - 2
    assert r["handling_count"] == before["handling_count"] - 2
    assert r["property_complaint_count"] == before["property_complaint_count"] - 1
    assert con.execute("select count(*) from mart_open_tickets where ticket_id = 'T21'").fetchone()[0] == 0
    assert con.execute("select count(*) from mart_derived_deadlines where ticket_id = 'T4'").fetchone()[0] == 0
    light = con.execute("select light from mart_grid_lights where grid_code = 'G2'"
                        " and period_type = 'month' and period_start = '2025-10-01'").fetchone()
    assert light == ("green",)  # yellow (T21 overdue) when the voided ticket counts
    complaints = con.execute("select complaint_count from mart_company_rankings"
                             " where company_id = 'A' and month_start = '2025-10-01'").fetchone()[0]
    assert complaints == complaints_before - 1 == 2
    con.close()


def test_a_ticket_never_dispatched_is_overdue_as_any_in_hand():
    """待派单 (never dispatched): the citizen waits all the same and the deadline runs from receipt, so T21 stays
    超期 (unlike 已退单, whose deadline no longer holds); the 口径 says so."""
    from onescreen.koujing import KOUJING

    con = _build_with_statuses({"T21": "待派单"})
    flags = con.execute("select is_returned, is_overdue, overdue_workdays from mart_open_tickets"
                        " where ticket_id = 'T21'").fetchone()
    assert flags == (False, True, pytest.approx(3.0))
    assert rates(con, "G2", "grid")["overdue_count"] == 1
    con.close()
    for metric in ("overdue_count", "near_deadline_count"):
        assert "待派单" in KOUJING[metric] and "已退单" in KOUJING[metric]


def test_a_reopened_ticket_is_in_hand_again():
    """重办 as the latest state: the export keeps the first 办结时间, which no longer closes the ticket. T4 (derived
    deadline Sat Oct 11 09:00, first closed Oct 13) is open and overdue again; T6 (deadline Oct 20 18:00) open
    inside its deadline. Their callbacks (满意, 基本满意) still count: the citizen's latest answer."""
    base = duckdb.connect()
    build_warehouse(base)
    build_marts(base, load_rules())
    before = rates(base, "all", "district")
    base.close()
    con = _build_with_statuses({"T4": "重办", "T6": "重办"})
    r = rates(con, "all", "district")
    assert r["closed_count"] == before["closed_count"] - 2
    assert r["closed_late_count"] == before["closed_late_count"] - 1           # T4
    assert r["closed_on_time_count"] == before["closed_on_time_count"] - 1     # T6
    assert r["overdue_count"] == before["overdue_count"] + 1                   # T4
    assert r["open_count"] == before["open_count"] + 2
    assert r["handling_count"] == before["handling_count"] - 2
    assert r["satisfaction_denominator"] == before["satisfaction_denominator"]
    open_rows = {t: rest for t, *rest in con.execute(
        "select ticket_id, is_returned, is_overdue, overdue_workdays, remaining_workdays from mart_open_tickets"
        " where ticket_id in ('T4', 'T6')").fetchall()}
    assert open_rows["T4"][:2] == [False, True] and open_rows["T4"][2] > 0
    assert open_rows["T6"][:2] == [False, False] and open_rows["T6"][3] > 0
    assert con.execute("select count(*) from mart_derived_deadlines where ticket_id = 'T4'").fetchone()[0] == 0
    con.close()


def test_a_grid_with_only_a_near_deadline_ticket_is_yellow_not_grey(con):
    """G1's week of Mon 2025-09-22 holds T2 alone: open, 7 working hours from its deadline. Nothing is due or
    closed, but a warning is: yellow (临期 1 件), not grey."""
    week = con.execute("select light, light_reason, on_time_denominator, near_deadline_count from mart_grid_lights"
                       " where grid_code = 'G1' and period_type = 'week' and period_start = '2025-09-22'").fetchone()
    assert week == ("yellow", "临期 1 件", 0, 1)
    grey = con.execute("select distinct light_reason from mart_grid_lights where light = 'grey'").fetchall()
    assert grey == [("本期无到期、办结或临期工单",)]
