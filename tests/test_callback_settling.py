"""Windows whose callbacks are still coming (回访未完): 解决率, 满意率 and 综合得分 are shown, their change not judged.

Callbacks come after closure (the demo: within 7 days for 99.99%), and a window's tickets close up to weeks after
it ends, so a week's 满意率 four days after it ended was off its final value by more than the week-over-week change
the report judged. The rule (config/rules.toml callback.window_days): a window is 回访未完 while more than 1% of its
tickets are in hand, or closed within the callback window before the as-of time and not called back.
In the hand-made fixture (tests/metrics_fixture.py, as-of 2025-10-16 09:00) August is settled; September has T2
in hand and T3 closed on 10-10 without a callback (T20, closed 10-09, is a 网格员上报: that source is never called
back, so it waits for nothing); October has tickets in hand.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # until the project sets pythonpath

from onescreen import ui  # noqa: E402
from onescreen.queries import run_query  # noqa: E402
from onescreen.report import Period, build_report, settling_sentence  # noqa: E402
from onescreen.report_render import _change, kpi_display_frame, kpi_headers  # noqa: E402

CALLBACK = {"resolution_rate", "satisfaction_rate", "composite_score"}


@pytest.fixture(scope="module")
def con(metrics_con):
    return metrics_con


def _awaiting(con, period_start: str, window_days: int = 7) -> int:
    """Tickets of the month still waiting for their callback, counted from fct_tickets (not from the marts)."""
    return con.execute(
        "select count(*) from fct_tickets, (select as_of from mart_meta) m"
        " where received_at >= ?::date and received_at < ?::date + interval 1 month"
        " and source in (select source from fct_tickets group by source"
        "                having count(callback_at) + count(is_resolved) + count(satisfaction) > 0)"
        " and ((resolved_at is null and status is distinct from '已退单')"
        "      or (resolved_at is not null and callback_at is null and resolved_at > m.as_of - ? * interval 1 day))",
        [period_start, period_start, window_days]).fetchone()[0]


def test_a_month_whose_callbacks_are_still_coming_is_marked(con):
    september = run_query(con, "kpi_tiles", period_type="month", period_start="2025-09-01").set_index("metric")
    # T2 in hand, T3 closed within the week without a callback; not T20: 网格员上报 is never called back.
    assert _awaiting(con, "2025-09-01") == 2
    assert (september["awaiting_callback_count"] == 2).all()
    assert CALLBACK <= set(september.index[september["is_provisional"]])
    assert not september.loc[["response_rate", "ticket_count"], "is_provisional"].any()
    october = run_query(con, "kpi_tiles", period_type="month", period_start="2025-10-01").set_index("metric")
    assert CALLBACK <= set(october.index[october["is_provisional"]] )
    assert CALLBACK <= set(october.index[october["is_previous_provisional"]])  # against September
    ranged = run_query(con, "kpi_tiles_range", start="2025-09-01", end="2025-09-30").set_index("metric")
    assert CALLBACK <= set(ranged.index[ranged["is_provisional"]])


def test_a_settled_month_is_not_marked(con):
    august = run_query(con, "kpi_tiles", period_type="month", period_start="2025-08-01").set_index("metric")
    assert _awaiting(con, "2025-08-01") == 0
    assert (august["awaiting_callback_count"] == 0).all()
    assert not august["is_provisional"].any() and not august["is_previous_provisional"].any()
    ranged = run_query(con, "kpi_tiles_range", start="2025-08-01", end="2025-08-31").set_index("metric")
    assert not ranged.loc[list(CALLBACK), "is_provisional"].any()


def test_the_callback_window_comes_from_the_rules():
    from etl.marts import build_marts
    from metrics_fixture import build_warehouse
    from onescreen.rules import load_rules

    con = duckdb.connect()
    try:
        build_warehouse(con)
        build_marts(con, dataclasses.replace(load_rules(), callback_window_days=5))
        # T3 (closed 10-10 09:00) is past a 5-day window at the as-of time 10-16 09:00.
        assert _awaiting(con, "2025-09-01", 5) == 1
        september = run_query(con, "kpi_tiles", period_type="month", period_start="2025-09-01").set_index("metric")
        assert (september["awaiting_callback_count"] == 1).all()
    finally:
        con.close()


def test_the_weekly_report_withholds_the_judgement_of_the_change(con):
    # The week under way (13-16 October) against the same days of the week before (6-9 October: T4, 满意).
    report = build_report(con, Period("week", pd.Timestamp("2025-10-13").date()))
    kpis = report.sections["kpis"]
    assert "本期和上周同期回访未完" in kpis.note and "解决率、满意率会随回访到来而变化" in kpis.note
    shown = kpi_display_frame(kpis.frame, kpi_headers(report.meta)).set_index("指标")
    assert shown.loc["满意率", "较上周同期"] == "−11.1 个百分点（回访未完，暂不评判）"
    assert shown.loc["响应率", "较上周同期"] == "+40.0 个百分点（改善）"  # final once the window has ended
    settled = build_report(con, Period("month", pd.Timestamp("2025-08-01").date()))
    assert "回访未完" not in settled.sections["kpis"].note
    frame = pd.DataFrame({"metric": ["satisfaction_rate"], "is_provisional": [True],
                          "is_previous_provisional": [False], "pending_count": [0.0],
                          "awaiting_callback_count": [12.0]})
    assert settling_sentence(frame).startswith("本期回访未完：超过受理量 1% 的工单仍在办理或办结不满回访期、尚无回访结果（本期 12 件）")


def test_the_weekly_reports_trend_marks_the_periods_whose_callbacks_are_still_coming(con):
    """The 周报's 近 12 个月走势 (table and chart) drew September and October as final: the table says 回访未完 for
    exactly the months rates_trend flags, and the chart draws their 解决率 and 满意率 hollow (响应率 stays solid)."""
    from onescreen.report_charts import report_figures

    report = build_report(con, Period("month", pd.Timestamp("2025-09-01").date()))
    trend = report.sections["trend"]
    flagged = run_query(con, "rates_trend", period_type="month", start="2024-10-01", end="2025-09-01")
    expected = {str(start)[:7] for start, flag in zip(flagged["period_start"], flagged["is_callback_provisional"]) if flag}
    shown = {str(start)[:7] for start, mark in zip(trend.frame["period_start"], trend.frame["callback_pending"]) if mark == "是"}
    assert shown == expected and "2025-09" in shown and "2025-08" not in shown
    assert "“回访未完”为“是”的周期" in trend.note
    figure = report_figures(report)["trend"]
    symbols = {trace.name: list(trace.marker.symbol) for trace in figure.data[1:]}
    hollow = [mark == "是" for mark in trend.frame["callback_pending"]]
    assert [s == "circle-open" for s in symbols["满意率"]] == hollow == [s == "circle-open" for s in symbols["解决率"]]
    assert set(symbols["响应率"]) == {"circle"}


def test_a_callback_change_says_why_it_is_not_judged():
    assert ui.change_text(-1.2, up_is_good=True, unit="个百分点", settling=True, metric="satisfaction_rate") == (
        "▼1.2个百分点 环比（回访未完，暂不评判）", ui.FLAT_COLOUR)
    assert ui.change_text(-1.2, up_is_good=True, unit="个百分点", settling=True, metric="on_time_rate")[0] == (
        "▼1.2个百分点 环比（暂不评判）")
    assert _change("pct", -1.2, None, up_is_good=True, settling=True, metric="resolution_rate") == (
        "−1.2 个百分点（回访未完，暂不评判）", None)
    row = pd.Series({"is_provisional": True, "is_previous_provisional": False, "pending_count": 0,
                     "awaiting_callback_count": 2737}, name="satisfaction_rate")
    assert "本期还有 2,737 件工单回访未完" in ui.settling_note(row)


# Rankings and trends (rates_breakdown(_range), rates_trend): a ranking of a window still 回访未完 ranks on figures that
# will move, and a trend's last points are not final. The figures are shown; the rankings say so, the trends draw those
# points apart.

def test_a_ranking_of_a_window_whose_callbacks_are_still_coming_is_flagged(con):
    def flags(frame: pd.DataFrame) -> tuple[set, set]:
        return set(frame["is_listed_callback_provisional"]), set(frame["listed_awaiting_callback_count"])

    september = run_query(con, "rates_breakdown", period_type="month", period_start="2025-09-01", level="street")
    assert flags(september) == ({True}, {2})  # the district's two tickets waiting (as the tiles count them)
    assert september["awaiting_callback_count"].sum() == 2
    assert flags(run_query(con, "rates_breakdown_range", start="2025-09-01", end="2025-09-30", level="street")) == (
        {True}, {2})
    assert flags(run_query(con, "rates_breakdown", period_type="month", period_start="2025-08-01",
                           level="street")) == ({False}, {0})
    assert flags(run_query(con, "rates_breakdown_range", start="2025-08-01", end="2025-08-31",
                           level="department")) == ({False}, {0})
    # Narrowed to a street, its units and its unplaced remainder add up to the street's own count.
    grids = run_query(con, "rates_breakdown", period_type="month", period_start="2025-09-01", level="grid",
                      street_code="S1")
    street = run_query(con, "kpi_tiles", period_type="month", period_start="2025-09-01", street_code="S1")
    assert set(grids["listed_awaiting_callback_count"]) == {grids["awaiting_callback_count"].sum()} == {
        street["awaiting_callback_count"].iloc[0]}


def test_a_ranking_says_it_is_provisional_only_while_callbacks_come(con):
    from onescreen.measures import ranking_callback_note

    september = run_query(con, "rates_breakdown", period_type="month", period_start="2025-09-01", level="street")
    assert ranking_callback_note(september) == ("本期回访未完（尚有 2 件待回访）：解决率、满意率和综合得分还会变化，"
                                                "排名仅供参考。")
    august = run_query(con, "rates_breakdown", period_type="month", period_start="2025-08-01", level="street")
    assert ranking_callback_note(august) == ""
    assert ranking_callback_note(august.iloc[:0]) == ""


def test_the_trend_flags_exactly_the_periods_whose_callbacks_are_still_coming(con):
    trend = run_query(con, "rates_trend", period_type="month")
    flagged = dict(zip(pd.to_datetime(trend["period_start"]).dt.strftime("%Y-%m"), trend["is_callback_provisional"]))
    assert flagged == {"2025-08": False, "2025-09": True, "2025-10": True}


def _trend(flags) -> pd.DataFrame:
    n = len(flags)
    return pd.DataFrame({
        "period_start": pd.date_range("2025-07-01", periods=n, freq="MS"), "ticket_count": [10] * n,
        "response_rate": [95.0] * n, "response_numerator": [19] * n, "response_denominator": [20] * n,
        "resolution_rate": [90.0, 91.0, 92.0, 93.0][:n], "resolution_numerator": [9] * n,
        "resolution_denominator": [10] * n, "satisfaction_rate": [96.0] * n, "satisfaction_numerator": [9.6] * n,
        "satisfaction_denominator": [10] * n, "composite_score": [94.0] * n, "response_target": [97.0] * n,
        "resolution_target": [97.0] * n, "satisfaction_target": [97.0] * n, "is_callback_provisional": flags,
    })


def _hollow_months(fig) -> dict[str, list[str]]:
    """{trace name: the months it draws hollow}."""
    return {trace.name: [f"{pd.Timestamp(x):%Y-%m}" for x, y in zip(trace.x, trace.y) if y is not None and not pd.isna(y)]
            for trace in fig.data if trace.marker.symbol == "circle-open" and trace.x[0] is not None}


def test_the_trend_charts_draw_exactly_the_unsettled_points_hollow():
    from onescreen.figures import kiosk, overview, rates

    trend = _trend([False, False, True, True])
    fig = rates.rates_trend_figure.uncached(trend)
    assert _hollow_months(fig) == {f"{name}（回访未完）": ["2025-09", "2025-10"] for name in ("解决率", "满意率", "综合得分")}
    solid = {t.name: [f"{pd.Timestamp(x):%Y-%m}" for x, y in zip(t.x, t.y) if not pd.isna(y)] for t in fig.data if t.name in
             ("响应率", "解决率")}
    assert solid == {"响应率": ["2025-07", "2025-08", "2025-09", "2025-10"], "解决率": ["2025-07", "2025-08"]}
    assert overview.WAITING_LEGEND in [t.name for t in fig.data]
    targets = {"response_rate": 97.0, "resolution_rate": 97.0, "satisfaction_rate": 97.0}
    wall = overview.rates_trend_figure.uncached(trend, targets)
    assert _hollow_months(wall) == {"解决率（回访未完）": ["2025-09", "2025-10"], "满意率（回访未完）": ["2025-09", "2025-10"]}
    svg = kiosk.rates_trend_svg.uncached(trend, targets)
    hollow = re.findall(r'<circle cx="[\d.]+" cy="[\d.]+" r="3.5" fill="none"[^>]*data-period="([\d-]+)"><title>([^<]+)', svg)
    assert [title for _, title in hollow] == ["2025-09 解决率 92.0%（回访未完）", "2025-10 解决率 93.0%（回访未完）",
                                              "2025-09 满意率 96.0%（回访未完）", "2025-10 满意率 96.0%（回访未完）"]
    assert kiosk.WAITING_LABEL in svg and 'stroke-dasharray="2,4"' in svg  # the legs to those points are dotted
    # A settled trend is drawn as before: no hollow point, no legend entry.
    settled = _trend([False] * 4)
    assert not _hollow_months(rates.rates_trend_figure.uncached(settled))
    assert overview.WAITING_LEGEND not in [t.name for t in rates.rates_trend_figure.uncached(settled).data]
    assert not re.search(r'<circle [^>]*fill="none"', kiosk.rates_trend_svg.uncached(settled, targets))
    assert kiosk.WAITING_LABEL not in kiosk.rates_trend_svg.uncached(settled, targets)
