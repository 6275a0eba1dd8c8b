"""The review pack (周报/月报/季报): periods, figures equal to the marts and to the pages' queries, the three
files (offline HTML, XLSX without formulas, JSON), the ``python -m etl report`` command and the 周报 page.

Two warehouses: the hand-made metrics fixture (tests/metrics_fixture.py: Aug-Oct 2025, lights and
property lists that move) and the fixture district loaded through the real ETL (conftest.py: two weeks,
2025-W40 and 2025-W41, as-of Fri 2025-10-10 15:00, with ticket_pii).
"""

from __future__ import annotations

import io
import json
import re
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # until the project sets pythonpath

from conftest import run_cli  # noqa: E402
from onescreen.queries import run_query  # noqa: E402
from onescreen.report import (COLUMN_LABELS, Period, ReportError, build_report, data_span,  # noqa: E402
                              default_period, parse_period, period_options)
from onescreen.report_charts import report_figures  # noqa: E402
from onescreen.report_render import (XML_NAMESPACES, _cell, _html_cell, display_frame, header_lines,  # noqa: E402
                                     kpi_cells,
                                     kpi_display_frame, number_formats, offline_plotlyjs, signed_formats, to_dict,
                                     to_html, to_json, to_xlsx)

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
RATES = ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate", "closure_rate")
COUNTS = ("ticket_count", "overdue_count", "near_deadline_count", "property_complaint_count", "whistle_count")
GENERATED = datetime(2025, 10, 11, 8, 0)


@pytest.fixture(scope="module")
def district_con(fixture_warehouse):
    con = duckdb.connect(str(fixture_warehouse), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def week_report(district_con):
    return build_report(district_con, parse_period("2025-W40"), generated_at=GENERATED)


def _kpi(report, metric: str, column: str = "value"):
    return report.sections["kpis"].frame.set_index("metric").loc[metric, column]


def _mart_row(con, period_type: str, start: str, level: str = "district", unit: str = "all") -> dict:
    frame = con.execute("select * from mart_rates where period_type = ? and period_start = ? and level = ? "
                        "and unit_code = ?", [period_type, start, level, unit]).df()
    assert len(frame) == 1
    return frame.iloc[0].to_dict()


def _same(a, b) -> bool:
    return (pd.isna(a) and pd.isna(b)) or a == pytest.approx(b, rel=1e-12)


# -- periods ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind, start, end, code", [
    ("2025-W41", "week", date(2025, 10, 6), date(2025, 10, 13), "2025-W41"),
    ("2025-w1", "week", date(2024, 12, 30), date(2025, 1, 6), "2025-W01"),
    ("2026-W53", "week", date(2026, 12, 28), date(2027, 1, 4), "2026-W53"),
    ("2025-10", "month", date(2025, 10, 1), date(2025, 11, 1), "2025-10"),
    ("2025-2", "month", date(2025, 2, 1), date(2025, 3, 1), "2025-02"),
    ("2025Q4", "quarter", date(2025, 10, 1), date(2026, 1, 1), "2025Q4"),
    ("2025-q1", "quarter", date(2025, 1, 1), date(2025, 4, 1), "2025Q1"),
])
def test_parse_period(text, kind, start, end, code):
    period = parse_period(text)
    assert (period.kind, period.start, period.end, period.code) == (kind, start, end, code)
    assert parse_period(code) == period


@pytest.mark.parametrize("text", ["2025-41", "2025-W54", "2025-W00", "2025-13", "2025Q5", "W41", "", "last week"])
def test_a_bad_period_names_the_expected_forms(text):
    with pytest.raises(ReportError, match=r"无法识别的周期 .*2025-W41.*2025-10.*2025Q4"):
        parse_period(text)


def test_a_period_of_one_kind_refuses_the_others():
    with pytest.raises(ReportError) as error:
        parse_period("2025-10", "week")
    assert str(error.value) == "无法识别的周期 “2025-10”：应为ISO 周，如 2025-W41（2025 年第 41 周）。"


def test_previous_and_same_period_last_year():
    week = parse_period("2025-W41")
    assert week.previous().code == "2025-W40"
    assert week.year_before().start == date(2024, 10, 7)      # 52 weeks, as kpi_tiles compares weeks
    assert parse_period("2025-01").previous().code == "2024-12"
    assert parse_period("2025Q1").previous().code == "2024Q4"
    assert parse_period("2025Q1").year_before().code == "2024Q1"
    assert parse_period("2025Q4").months() == [date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1)]
    assert week.label == "2025年第41周（10月6日至10月12日）"
    # a week running into another year names both years (12月29日 alone read as a day of 2026)
    assert parse_period("2026-W01").label == "2026年第1周（2025年12月29日至2026年1月4日）"
    assert parse_period("2020-W53").label == "2020年第53周（2020年12月28日至2021年1月3日）"
    assert parse_period("2025Q4").label == "2025年第四季度"


def test_default_is_the_last_complete_period_by_the_data_not_the_clock():
    friday = datetime(2025, 10, 10, 15, 0)
    assert default_period(friday, "week").code == "2025-W40"
    assert default_period(friday, "month").code == "2025-09"
    assert default_period(friday, "quarter").code == "2025Q3"
    assert default_period(datetime(2025, 10, 13, 0, 0), "week").code == "2025-W41"   # Monday 00:00: W41 is over
    assert default_period(datetime(2025, 10, 12, 23, 59), "week").code == "2025-W40"
    # Data younger than one period: the period in progress rather than one before the first ticket.
    assert default_period(friday, "month", first=date(2025, 10, 2)).code == "2025-10"


def test_period_options_run_from_the_first_ticket_to_as_of_newest_first():
    options = period_options(datetime(2025, 10, 10, 15), date(2025, 9, 29), "week")
    assert [p.code for p in options] == ["2025-W41", "2025-W40"]


# -- figures equal the marts and the pages' queries ------------------------------------------------

def test_week_kpis_equal_the_mart_row_and_kpi_tiles(district_con, week_report):
    row = _mart_row(district_con, "week", "2025-09-29")
    for metric in COUNTS + RATES:
        assert _same(_kpi(week_report, metric), row[metric]), metric
    tiles = run_query(district_con, "kpi_tiles", period_type="week", period_start="2025-09-29").set_index("metric")
    for metric in week_report.sections["kpis"].frame["metric"]:
        for column in ("value", "previous_value", "yoy_value", "numerator", "denominator"):
            assert _same(_kpi(week_report, metric, column), tiles.loc[metric, column]), (metric, column)
    assert _kpi(week_report, "ticket_count") == 10


def test_a_street_report_equals_the_street_row(district_con):
    street = district_con.execute("select street_code from dim_streets order by 1 limit 1").fetchall()[0][0]
    report = build_report(district_con, parse_period("2025-W40"), street_code=street)
    row = _mart_row(district_con, "week", "2025-09-29", "street", street)
    for metric in COUNTS + RATES:
        assert _same(_kpi(report, metric), row[metric]), metric
    assert report.meta["scope_code"] == street and report.meta["title"].endswith("周报")


def test_month_kpis_equal_the_mart(metrics_con):
    """A month that is over (September; October is still under way: tests/test_report_same_days.py)."""
    report = build_report(metrics_con, parse_period("2025-09"))
    assert report.meta["is_complete"] and "data_to" not in report.meta
    now, before = _mart_row(metrics_con, "month", "2025-09-01"), _mart_row(metrics_con, "month", "2025-08-01")
    for metric in COUNTS + RATES:
        assert _same(_kpi(report, metric), now[metric]), metric
        assert _same(_kpi(report, metric, "previous_value"), before[metric]), metric


def test_a_quarter_adds_its_months_counts_numerators_and_denominators(metrics_con):
    report = build_report(metrics_con, parse_period("2025Q3"))
    months = metrics_con.execute(
        "select * from mart_rates where period_type = 'month' and level = 'district' "
        "and period_start between '2025-07-01' and '2025-09-01'").df()
    assert len(months) == 2    # August and September hold tickets; July none
    for metric in COUNTS:
        assert _kpi(report, metric) == months[metric].sum(), metric
    for rate in ("response", "on_time", "closure"):
        numerator, denominator = months[f"{rate}_numerator"].sum(), months[f"{rate}_denominator"].sum()
        assert _kpi(report, f"{rate}_rate") == pytest.approx(100.0 * numerator / denominator)
        assert (_kpi(report, f"{rate}_rate", "numerator"), _kpi(report, f"{rate}_rate", "denominator")) == (
            numerator, denominator)
    # By hand (tests/metrics_fixture.py): T30, T31 in August; T2, T3, T20 in September.
    assert _kpi(report, "ticket_count") == 5
    assert pd.isna(_kpi(report, "ticket_count", "previous_value"))   # nothing loaded before August
    # The quarter began before the first ticket (August 15): said, in the header of the HTML too.
    assert report.meta["data_from"] == date(2025, 8, 15)
    assert "（已导入的工单从 2025-08-15 起受理，本期只含其后的部分）" in to_html(report, charts=False)
    assert build_report(metrics_con, parse_period("2025-10")).meta["data_from"] is None


def test_a_change_against_a_month_the_data_begin_inside_says_so_in_every_format(metrics_con):
    """The metrics fixture's tickets begin on 2025-08-15: September's 上期, August, holds only its second half. Its
    counts are short, so 受理量 read as a rise (+1, +50%) and the rates compared unlike samples, all as if August were
    whole. A count's change is now withheld, a rate's is shown but neither better nor worse, and the page, the HTML,
    the Word document, the workbook and the JSON say 上期数据不全（数据自 2025-08-15 起）. The figures are unchanged."""
    report = build_report(metrics_con, parse_period("2025-09"), generated_at=GENERATED)
    note = "上期数据不全（数据自 2025-08-15 起）"
    assert report.meta["previous_note"] == note
    assert (_kpi(report, "ticket_count"), _kpi(report, "ticket_count", "previous_value")) == (3, 2)  # as they are
    assert _kpi(report, "ticket_count", "change") == 1
    cells = {row[0][0]: row for row in kpi_cells(report.sections["kpis"].frame, report.previous)}
    assert cells["受理量"][3] == ("上期数据不全", "empty")
    assert cells["响应率"][3] == ("+50.0 个百分点（上期数据不全）", None)  # not （改善）, not green
    assert all(cells[label][3][0] == "上期数据不全" for label in ("超期", "临期", "物业投诉量"))
    assert note in report.sections["kpis"].note and note in report.sections["category_rises"].note
    assert note in report.sections["repeat_callers"].note and note in report.sections["light_counts"].note
    assert "上月数据不全（数据自 2025-08-15 起）" in report.sections["company_moves"].note
    assert header_lines(report)[1] == (f"范围：全区　对比：上期 2025年8月，{note}；去年同期 2024年9月，"
                                       "无去年同期数据（数据自 2025-08-15 起）")

    html_report = to_html(report, charts=False)
    assert "<td>受理量</td><td class='num'>3</td><td class='num'>2</td><td class='num'><span class=\"empty\">上期数据不全</span>" \
        in html_report
    assert "<td class='num'>+50.0 个百分点（上期数据不全）</td>" in html_report  # grey: neither up nor down
    word = _docx(report)
    assert [c.text for c in word.tables[0].rows[1].cells][:4] == ["受理量", "3", "2", "上期数据不全"]
    assert any(note in p.text for p in word.paragraphs)
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))
    summary = {row[0].value: row[1].value for row in workbook["概要"].iter_rows(min_row=2)}
    assert summary["上期说明"] == note
    header = [c.value for c in workbook["关键指标"][1]]
    assert "环比变化（上期数据不全）" in header and "上期（上期数据不全）" in header
    first = {h: c.value for h, c in zip(header, workbook["关键指标"][2])}
    assert (first["指标"], first["本期"], first["上期（上期数据不全）"], first["环比变化（上期数据不全）"]) == ("受理量", 3, 2, 1)
    assert json.loads(to_json(report))["meta"]["previous_note"] == note
    shown = kpi_display_frame(report.sections["kpis"].frame, previous=report.previous).set_index("指标")
    assert shown.loc["受理量", "环比"] == "上期数据不全"


def test_a_period_after_one_the_data_miss_says_there_is_nothing_to_compare_with(metrics_con):
    """August, the first month of the data: July lies wholly before them. Its changes said "—" as for any missing
    figure; they now say 无上期数据, and the header says from when the data run. A month with whole data before it
    (October against September) says nothing of the kind."""
    report = build_report(metrics_con, parse_period("2025-08"), generated_at=GENERATED)
    assert report.meta["previous_note"] == "无上期数据（数据自 2025-08-15 起）"
    cells = kpi_cells(report.sections["kpis"].frame, report.previous)
    assert {row[3] for row in cells} == {("无上期数据", "empty")}
    assert "无上期数据（数据自 2025-08-15 起）" in header_lines(report)[1]
    whole = build_report(metrics_con, parse_period("2025-10"), generated_at=GENERATED)
    assert "previous_note" not in whole.meta and "数据不全" not in to_html(whole, charts=False)


# -- a period without tickets ------------------------------------------------------------------------

def _docx_tables(report) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in _docx(report).tables]


def test_a_week_without_tickets_reads_zero_and_says_why_its_rates_are_empty(metrics_con):
    """The week of 1 September received no ticket in the whole district: the pack showed "—" for 受理量, every rate,
    吹哨 and the rest, a trend without that week, and gave no reason. Counts are 0; a rate (and the average time)
    over nothing is no rate, not 0%, and says so: 无工单, in the page's and the HTML, Word and Excel files."""
    report = build_report(metrics_con, parse_period("2025-W36"), generated_at=GENERATED)
    kpis = report.sections["kpis"]
    assert _kpi(report, "ticket_count") == 0 and _kpi(report, "ticket_count", "previous_value") == 0
    assert _kpi(report, "overdue_count") == 0 and _kpi(report, "whistle_count") == 0
    assert pd.isna(_kpi(report, "response_rate")) and pd.isna(_kpi(report, "avg_handling_workdays"))  # not 0
    shown = kpi_display_frame(kpis.frame).set_index("指标")
    assert shown.loc["受理量", ["本期", "上期"]].tolist() == ["0", "0"]
    assert shown.loc["响应率", ["本期", "上期", "去年同期"]].tolist() == ["无工单", "无工单", "—"]  # 2024: not loaded
    assert shown.loc["平均办理时长", "本期"] == "无工单"
    assert "“无工单”：该期没有受理工单（件数为 0）" in kpis.note and "不是 0%" in kpis.note
    assert kpis.frame.set_index("metric").loc["response_rate", "note"] == "本期无工单；上期无工单"
    assert kpis.frame.set_index("metric").loc["ticket_count", "note"] == ""
    # The trend has the quiet weeks, 0 received; their rates empty, and why.
    trend = report.sections["trend"]
    week = trend.frame.set_index("period_start").loc[date(2025, 9, 1)]
    assert week["ticket_count"] == 0 and week["overdue_count"] == 0 and pd.isna(week["response_rate"])
    assert date(2025, 8, 25) in set(trend.frame["period_start"]) and "不是 0%" in trend.note
    # 吹哨 closed: none of none; shares over nothing say why.
    escalation = report.sections["escalation"].frame.set_index("key")
    assert escalation.loc["whistle_closed_count", "count"] == 0
    assert escalation.loc["closed_at_grid", "note"] == "本期无工单" and pd.isna(escalation.loc["closed_at_grid", "share"])
    assert escalation.loc["proactive_count", "note"] == "本期无工单"
    assert "本期没有群众诉求，无从计算占比" in report.sections["repeat_callers"].note
    assert "上期没有群众诉求" in report.sections["repeat_callers"].note

    page = to_html(report, charts=False)
    assert "<td>响应率</td><td class='num'><span class=\"empty\">无工单</span></td>" in page
    assert "<td>受理量</td><td class='num'>0</td><td class='num'>0</td>" in page
    tables = _docx_tables(report)
    assert tables[0][2][:3] == ["响应率", "无工单", "无工单"] and tables[0][1][:3] == ["受理量", "0", "0"]
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))
    rows = list(workbook["关键指标"].iter_rows(values_only=True))
    head = rows[0]
    by_label = {row[head.index("指标")]: row for row in rows[1:]}
    assert by_label["受理量"][head.index("本期")] == 0
    assert by_label["响应率"][head.index("本期")] is None  # no number invented
    assert by_label["响应率"][head.index("说明")] == "本期无工单；上期无工单"
    # A section without rows says so in its sheet too, as in the HTML and Word files.
    assert [c.value for c in workbook["最久未办结"][1]] == ["说明"]
    assert workbook["最久未办结"]["A2"].value == "没有未办结的工单。"
    chart = report_figures(report)["kpis"]
    assert [a.text for a in chart.layout.annotations] == ["本期无工单：各率无从计算（不是 0%）"]


def test_a_rate_without_a_sample_says_so_apart_from_a_period_without_tickets():
    """A week with tickets but no callback yet has no 解决率: 无可计算样本, not 无工单 and not 0%; a window outside the
    data stays unknown (—)."""
    from onescreen.report import missing_reasons, missing_sentence

    kpis = pd.DataFrame({
        "metric": ["ticket_count", "resolution_rate", "response_rate"], "label": ["受理量", "解决率", "响应率"],
        "unit": ["count", "pct", "pct"], "value": [3.0, float("nan"), 50.0], "previous_value": [0.0, float("nan"), float("nan")],
        "change": [3.0, float("nan"), float("nan")], "change_pct": [float("nan")] * 3,
        "yoy_value": [float("nan")] * 3, "yoy_change": [float("nan")] * 3, "yoy_change_pct": [float("nan")] * 3,
        "target": [float("nan"), 97.0, 97.0], "numerator": [float("nan"), 0.0, 1.0], "denominator": [float("nan"), 0.0, 2.0]})
    reasons = missing_reasons(kpis)
    assert reasons["value"].tolist() == [None, "无可计算样本", None]
    assert reasons["previous_value"].tolist() == [None, "无工单", "无工单"]
    assert reasons["yoy_value"].tolist() == [None, None, None]
    assert [row[1][0] for row in kpi_cells(kpis)] == ["3", "无可计算样本", "50.0%"]
    assert [row[4][0] for row in kpi_cells(kpis)] == ["—", "—", "—"]
    assert "“无可计算样本”：该期有工单，但没有一张计入该项的分母" in missing_sentence(kpis)
    assert missing_sentence(kpis.assign(previous_value=[0.0, 1.0, 1.0])).startswith("“无可计算样本”")


def test_page_says_what_an_empty_section_means(warehouse_copy):
    """An empty section read "本期没有。" on the page where the files say what is missing."""
    from onescreen.report_render import EMPTY_TEXTS

    at = _page()
    captions = [c.value for c in at.caption]
    assert EMPTY_TEXTS["light_changes"] in captions and EMPTY_TEXTS["repeat_callers"] in captions
    assert "本期没有。" not in captions


def test_page_shows_the_yellow_grids_and_a_week_without_tickets(tmp_path, monkeypatch):
    """The 周报 page over the metrics fixture: October's yellow grid in its own table (the columns a meeting reads
    first), and the week of 1 September, which received nothing, with 0 and 无工单 instead of "—"."""
    import metrics_fixture
    from conftest import _reset_app_connection
    from etl.marts import build_marts
    from onescreen.rules import load_rules

    path = tmp_path / "metrics.duckdb"
    with duckdb.connect(str(path)) as con:
        metrics_fixture.build_warehouse(con)
        build_marts(con, load_rules())
    monkeypatch.setenv("ONESCREEN_DB", str(path))
    _reset_app_connection()
    try:
        at = _page({"report": "2025-10"})
        assert [e.value for e in at.exception] == [] and not at.error
        yellow = next(t for t in at.dataframe if "连续黄灯期数" in t.value.columns)
        assert list(yellow.proto.column_order)[:3] == ["变化", "网格", "连续黄灯期数"]
        assert yellow.value[["变化", "网格编号", "连续黄灯期数"]].values.tolist() == [["持续", "G2", 2]]
        at = _page({"report": "2025-W36"})
        shown = _shown_kpis(at)
        assert shown.loc["受理量", "本期"] == "0" and shown.loc["响应率", "本期"] == "无工单"
        assert "本期没有黄灯网格。" in [c.value for c in at.caption]
    finally:
        _reset_app_connection()


def test_lights_that_turned_red_or_recovered_match_the_mart(metrics_con):
    report = build_report(metrics_con, parse_period("2025-10"))
    lights = metrics_con.execute(
        "select grid_code, period_start, light from mart_grid_lights where period_type = 'month'").df()
    now = lights[lights["period_start"] == pd.Timestamp("2025-10-01")].set_index("grid_code")["light"]
    then = lights[lights["period_start"] == pd.Timestamp("2025-09-01")].set_index("grid_code")["light"]
    turned = {g for g in now.index if now[g] == "red" and then.get(g) != "red"}
    recovered = {g for g in then.index if then[g] == "red" and now.get(g) in ("green", "yellow")}
    changes = report.sections["light_changes"].frame
    assert set(changes.loc[changes["move"] == "转红", "grid_code"]) == turned
    assert set(changes.loc[changes["move"] == "恢复", "grid_code"]) == recovered
    assert turned | recovered, "the fixture should move at least one light between September and October"
    # Each moved grid says the N its on-time rate stands on (a red light over 1 ticket is not one over 30).
    denominators = metrics_con.execute(
        "select grid_code, on_time_denominator from mart_grid_lights where period_type = 'month'"
        " and period_start = '2025-10-01'").df().set_index("grid_code")["on_time_denominator"]
    assert [int(n) for n in changes["on_time_denominator"]] == [int(denominators[g]) for g in changes["grid_code"]]
    assert "N（到期或办结）" in display_frame(changes).columns
    counts = report.sections["light_counts"].frame.set_index("light")
    assert counts.loc["red", "grid_count"] == (now == "red").sum()
    assert counts.loc["red", "previous_grid_count"] == (then == "red").sum()


def test_every_red_grid_is_listed_those_red_before_too():
    """A grid red this week and last week was in no table: the pack listed only grids that turned red or recovered,
    so the meeting saw "红灯 10" and 8 names, and not the two grids it most needs to call out (red for weeks)."""
    from onescreen.report import light_tables

    def lights(rows):
        return pd.DataFrame([{"grid_code": g, "grid_name": f"网格{g}", "community_name": "一社区", "street_name": "一街道",
                              "light": light, "light_reason": "按期办结率 60.0% 低于 80%", "on_time_rate": 60.0,
                              "on_time_denominator": 5, "overdue_count": 1, "consecutive_red_periods": red,
                              "previous_light": None} for g, light, red in rows])

    class Lights:
        def query(self, name, **params):
            assert name == "grid_lights"
            if params["period_start"] == date(2025, 10, 6):
                return lights([("G1", "red", 1), ("G2", "red", 2), ("G3", "red", 5), ("G4", "green", 0),
                               ("G5", "yellow", 0)])
            return lights([("G1", "yellow", 0), ("G2", "red", 1), ("G3", "red", 4), ("G4", "red", 1),
                           ("G5", "green", 0)])

    counts, changes, _note = light_tables(Lights(), parse_period("2025-W41"), {})
    assert list(zip(changes["move"], changes["grid_code"])) == [("转红", "G1"), ("持续", "G3"), ("持续", "G2"),
                                                                ("恢复", "G4")]
    red = changes[changes["light_label"] == "红灯"]
    assert len(red) == counts.set_index("light").loc["red", "grid_count"] == 3


def test_yellow_grids_are_listed_longest_yellow_first_and_kept_short():
    """The meeting reviews yellow grids too (the warning level), but the pack listed only red ones. A big district
    has dozens: the table keeps the longest yellow runs (then the most overdue), says 转黄 or 持续, and counts all."""
    from onescreen.report import yellow_table

    def lights(rows):
        return pd.DataFrame([{"grid_code": g, "grid_name": f"网格{g}", "community_name": "一社区", "street_name": "一街道",
                              "light": light, "light_reason": "临期 1 件", "on_time_rate": 100.0, "on_time_denominator": 3,
                              "overdue_count": overdue, "near_deadline_count": 1, "consecutive_red_periods": 0,
                              "consecutive_yellow_periods": run, "previous_light": None}
                             for g, light, run, overdue in rows])

    class Lights:
        def query(self, name, **params):
            assert name == "grid_lights"
            if params["period_start"] == date(2025, 10, 6):
                return lights([("G1", "yellow", 1, 0), ("G2", "yellow", 4, 0), ("G3", "yellow", 2, 0), ("G4", "red", 0, 3),
                               ("G5", "yellow", 1, 2), ("G6", "green", 0, 0), ("G7", "yellow", 1, 0)])
            if params["period_start"] == date(2025, 12, 1):  # a quarter: its last month against the quarter before's
                return lights([("G1", "yellow", 3, 0), ("G2", "yellow", 1, 0)])
            if params["period_start"] == date(2025, 9, 1):
                return lights([("G1", "grey", 0, 0), ("G2", "green", 0, 0)])
            return lights([("G1", "red", 0, 3), ("G2", "yellow", 3, 0), ("G3", "yellow", 1, 0), ("G4", "yellow", 1, 0),
                           ("G5", "green", 0, 0), ("G6", "yellow", 2, 0)])

    frame, sentence = yellow_table(Lights(), parse_period("2025-W41"), {}, limit=4)
    assert list(zip(frame["move"], frame["grid_code"], frame["consecutive_yellow_periods"])) == [
        ("持续", "G2", 4), ("持续", "G3", 2), ("转黄", "G5", 1), ("转黄", "G1", 1)]  # G7 (no overdue) left out
    assert list(frame["previous_light"]) == ["黄灯", "黄灯", "绿灯", "红灯"]
    assert sentence.startswith("本期黄灯网格 5 个（转黄 3 个、持续 2 个），下表列出其中 4 个")
    everything, sentence = yellow_table(Lights(), parse_period("2025-W41"), {}, limit=20)
    assert len(everything) == 5 and "全部列出" in sentence
    assert everything.loc[everything["grid_code"] == "G7", "previous_light"].item() == "无记录"
    # 转黄 and 持续 follow the run: G1, yellow October to December, is 持续 though September (compared with) was grey.
    quarter, _sentence = yellow_table(Lights(), parse_period("2025Q4"), {}, limit=4)
    assert list(zip(quarter["move"], quarter["grid_code"], quarter["previous_light"])) == [("持续", "G1", "无数据"),
                                                                                       ("转黄", "G2", "绿灯")]


def test_yellow_grids_read_the_same_in_every_file(metrics_con):
    """October of the metrics fixture: G2 yellow in September and October (2 months in a row), G1 turned red."""
    report = build_report(metrics_con, parse_period("2025-10"), generated_at=GENERATED)
    section = report.sections["yellow_lights"]
    mart = metrics_con.execute("select grid_code, consecutive_yellow_periods from mart_grid_lights where period_type = "
                               "'month' and period_start = '2025-10-01' and light = 'yellow'").fetchall()
    assert [(r.grid_code, r.consecutive_yellow_periods) for r in section.frame.itertuples()] == mart == [("G2", 2)]
    assert section.frame.loc[0, "move"] == "持续" and "本期黄灯网格 1 个（转黄 0 个、持续 1 个）" in section.note
    assert list(report.sections)[:5] == ["kpis", "trend", "light_counts", "light_changes", "yellow_lights"]
    row = ["持续", "G2", "网格2", "一社区", "一街道", "黄灯", "按期办结率 50.0%（仅 2 件，不足 5 件不判红灯）；超期 1 件", "50.0",
           "2", "1", "0", "2"]
    page = to_html(report, charts=False)
    assert '<section id="yellow_lights"><h2>黄灯网格：转黄与持续</h2>' in page
    assert "<th>连续黄灯期数</th>" in page and "<th>临期</th>" in page
    assert "<tr>" + "".join(f'<td class="num">{c}</td>' if c.replace(".", "").isdigit()
                            else f'<td class="nw">{c}</td>' if len(c) <= 16 else f"<td>{c}</td>"
                            for c in row) + "</tr>" in page
    assert row in _docx_tables(report)[4]
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))["黄灯网格"]
    head, first = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert head[-1] == "连续黄灯期数" and first[head.index("网格编号")] == "G2" and first[-1] == 2
    shown = display_frame(section.frame)
    assert shown["连续黄灯期数"].dtype == "Int64" and "light" not in section.frame.columns


def test_a_change_in_a_table_is_written_with_its_sign():
    """周报's light counts read 19 where the red lights rose by 19: a change says which way, +19 and −3 (a true minus,
    as the key figures write theirs), on the page (a Styler's text over the numbers) and in the HTML and Word files."""
    counts = pd.DataFrame({"light": ["red", "yellow", "green", "grey"], "light_label": ["红灯", "黄灯", "绿灯", "无数据"],
                           "grid_count": [41, 20, 1200, 3], "previous_grid_count": [22, 23, 1200, 3],
                           "change": pd.array([19, -3, 0, None], dtype="Int64")})
    assert [_cell("change", v)[0] for v in counts["change"]] == ["+19", "−3", "0", "—"]
    shown = signed_formats(counts)
    assert list(shown) == ["环比变化"] and "环比变化" not in number_formats(counts)
    assert [shown["环比变化"](v) for v in display_frame(counts)["环比变化"]] == ["+19", "−3", "0", None]
    assert display_frame(counts)["环比变化"].dtype == "Int64"  # still a number: it sorts as one
    assert _cell("change_pct", 8.66)[0] == "+8.7" and _cell("change_pct", -0.04)[0] == "0.0"
    assert _cell("change", 1785)[0] == "+1,785" and _cell("grid_count", 1785)[0] == "1,785"


def test_a_companys_move_in_rank_says_which_way():
    """名次变化 read 2, -2 and 25 (an ASCII hyphen, no sign on a rise) beside the signed changes of every other table:
    +2, −2 (a true minus) and 0, in the page, the HTML and the Word file."""
    lists = pd.DataFrame({"list": ["红榜", "红榜", "黑榜"], "rank": [1, 2, 30], "company_name": ["甲物业", "乙物业", "丙物业"],
                          "rank_change": pd.array([2, 0, -2], dtype="Int64")})
    assert [_cell("rank_change", v)[0] for v in lists["rank_change"]] == ["+2", "0", "−2"]
    assert [signed_formats(lists)["名次变化"](v) for v in display_frame(lists)["名次变化"]] == ["+2", "0", "−2"]


def test_moves_on_the_property_lists_match_the_mart(metrics_con):
    report = build_report(metrics_con, parse_period("2025-10"))
    lists = metrics_con.execute(
        "select c.company_name, r.month_start, r.list from mart_company_rankings r "
        "join dim_companies c using (company_id)").df()
    now = lists[lists["month_start"] == pd.Timestamp("2025-10-01")].set_index("company_name")["list"]
    then = lists[lists["month_start"] == pd.Timestamp("2025-09-01")].set_index("company_name")["list"]
    expected = {name for name in set(now.index) | set(then.index)
                if (now.get(name) if pd.notna(now.get(name)) else None)
                != (then.get(name) if pd.notna(then.get(name)) else None)}
    moves = report.sections["company_moves"].frame
    assert set(moves["company_name"]) == expected and expected
    listed = report.sections["company_lists"].frame
    assert set(listed["company_name"]) == set(now[now.notna()].index)


def test_volume_rises_are_the_period_against_the_previous_one(metrics_con):
    """A month that is over (September against August); a month under way: tests/test_report_same_days.py."""
    report = build_report(metrics_con, parse_period("2025-09"))
    mix = run_query(metrics_con, "category_mix", period_type="month", period_start="2025-09-01", limit=1000)
    rises = report.sections["category_rises"].frame
    expected = mix[mix["change"] > 0].set_index("category_l1")["change"]
    assert dict(zip(rises["category_l1"], rises["change"])) == expected.astype(int).to_dict() == {"市容环境": 1}
    assert list(rises["change"]) == sorted(rises["change"], reverse=True)
    units = report.sections["unit_rises"].frame.set_index("unit_name")
    assert units.loc["一社区", "ticket_count"] == _mart_row(metrics_con, "month", "2025-09-01", "community",
                                                          "C1")["ticket_count"]
    assert units.loc["一社区", "previous_ticket_count"] == _mart_row(metrics_con, "month", "2025-08-01", "community",
                                                                   "C1")["ticket_count"]


def test_escalation_whistles_and_consultations_come_from_the_mart(metrics_con):
    report = build_report(metrics_con, parse_period("2025-10"))
    row = _mart_row(metrics_con, "month", "2025-10-01")
    frame = report.sections["escalation"].frame.set_index("key")
    for level in ("grid", "community", "street", "district"):
        assert frame.loc[f"closed_at_{level}", "count"] == row[f"closed_at_{level}_count"]
        assert _same(frame.loc[f"closed_at_{level}", "share"], row[f"closed_at_{level}_share"])
    assert frame.loc["whistle_count", "count"] == row["whistle_count"] == 2
    assert frame.loc["whistle_closed_count", "count"] == row["whistle_closed_count"]
    assert frame.loc["consultation_count", "count"] == row["consultation_count"] == 2
    assert frame.loc["consultation_closed_count", "count"] == row["consultation_closed_count"] == 1


def test_oldest_open_tickets_are_masked_and_carry_no_personal_columns(district_con, week_report):
    frame = week_report.sections["oldest_open"].frame
    assert not {"caller_name", "caller_phone", "content"} & set(frame.columns)
    open_ids = set(district_con.execute(
        "select ticket_id from mart_open_tickets where received_at < '2025-10-06'").df()["ticket_id"])
    assert set(frame["ticket_id"]) == open_ids and open_ids


def test_oldest_open_puts_the_most_overdue_first_then_the_oldest_not_yet_due(metrics_con):
    """最久未办结的工单 was in receipt order: a ticket received early with weeks left came before one 20 working days
    overdue. A meeting calls out the most overdue first: the overdue tickets by working days overdue, then those not
    yet due, oldest first; each says how late (超期) or how long is left (剩余)."""
    report = build_report(metrics_con, parse_period("2025-W42"))
    frame = report.sections["oldest_open"].frame
    expected = metrics_con.execute(
        "select ticket_id from mart_open_tickets where not coalesce(is_returned, false) and received_at < '2025-10-20' "
        "order by is_overdue desc, overdue_workdays desc, received_at").df()["ticket_id"].tolist()
    assert frame["ticket_id"].tolist() == expected == ["T21", "T5", "T2", "T1", "T11"]
    overdue = frame[frame["is_overdue"]]
    assert overdue["overdue_workdays"].notna().all() and overdue["remaining_workdays"].isna().all()
    waiting = frame[~frame["is_overdue"]]
    assert waiting["remaining_workdays"].notna().all() and waiting["overdue_workdays"].isna().all()
    shown = display_frame(frame)
    assert {"超期（工作日）", "剩余（工作日）"} <= set(shown.columns)
    assert [_cell("remaining_workdays", v)[0] for v in waiting["remaining_workdays"]] == [
        f"{v:.1f}" for v in waiting["remaining_workdays"]]
    assert "已超期的在前" in report.sections["oldest_open"].note


def test_no_personal_value_reaches_any_file(district_con, week_report):
    pii = district_con.execute("select caller_name, caller_phone, address from ticket_pii").df()
    secrets = {v for v in pii["caller_name"].dropna() if len(v) >= 2} | set(pii["caller_phone"].dropna())
    secrets |= {a for a in pii["address"].dropna() if re.search(r"\d+(号楼|栋|单元|室)", a)}
    assert secrets, "the fixture district should hold personal values"
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(week_report)))
    cells = " ".join(str(c.value) for ws in workbook for row in ws.iter_rows() for c in row if c.value is not None)
    for text in (to_html(week_report, charts=False), to_json(week_report), cells, _docx_text(week_report)):
        leaked = [s for s in secrets if s in text]
        assert leaked == []


def test_the_workbook_rounds_as_the_report_does_and_says_yes_or_no(week_report):
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(week_report)))
    numbers = [c.value for ws in workbook for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, float)]
    assert numbers and all(round(v, 2) == v for v in numbers)  # no 96.63770986181753
    cells = [c.value for ws in workbook for row in ws.iter_rows() for c in row]
    assert not [v for v in cells if isinstance(v, bool)]  # 是/否, not TRUE/FALSE
    kpis = workbook["关键指标"] if "关键指标" in workbook.sheetnames else workbook.worksheets[1]
    headers = [c.value for c in kpis[1]]
    units = {row[headers.index("单位")] for row in kpis.iter_rows(min_row=2, values_only=True)}
    assert units <= {"件", "%", "工作日", "分"} and "%" in units  # not count / pct / workdays
    assert not [h for h in headers if h and h.isascii()], headers  # every header in Chinese


def test_the_workbooks_key_figures_read_as_the_html_and_word_ones():
    """The key figures' sheet gave 响应率 96.18 and its change −0.2 where the HTML and Word files (and the page) read
    96.2% and −0.2 个百分点: each row rounds as its unit is shown (rates 0.1, working days 0.01, counts whole)."""
    from onescreen.report_render import _for_readers

    kpis = pd.DataFrame({
        "metric": ["ticket_count", "response_rate", "avg_handling_workdays"], "label": ["受理量", "响应率", "平均办理时长"],
        "unit": ["count", "pct", "workdays"], "value": [5183.0, 96.1798, 1.6123], "previous_value": [5138.0, 96.3838, 2.7049],
        "change": [45.0, -0.204, -1.0926], "change_pct": [0.8758, -0.2117, -40.39], "yoy_value": [float("nan")] * 3,
        "yoy_change": [float("nan")] * 3, "yoy_change_pct": [float("nan")] * 3, "target": [float("nan"), 97.0, float("nan")],
        "numerator": [float("nan"), 4985.0, 8356.47], "denominator": [float("nan"), 5183.0, 5183.0]})
    shown = _for_readers(kpis).set_index("metric")
    assert shown.loc["response_rate", ["value", "previous_value", "change"]].tolist() == [96.2, 96.4, -0.2]
    assert shown.loc["avg_handling_workdays", ["value", "previous_value", "change"]].tolist() == [1.61, 2.70, -1.09]
    assert shown.loc["ticket_count", ["value", "change", "change_pct"]].tolist() == [5183.0, 45.0, 0.9]
    cells = {row[0][0]: row for row in kpi_cells(kpis)}
    assert cells["响应率"][1][0] == "96.2%" and cells["平均办理时长"][1][0] == "1.61 个工作日"


def test_a_property_companys_score_reads_to_one_decimal_as_on_the_other_screens():
    """总分 79.0 was "79" in the report (a whole number drops its decimals) beside "78.57": one decimal, as the
    lists and the big screen show it, in the page, the HTML and the workbook; so are working days overdue."""
    lists = pd.DataFrame({"list": ["red", "red"], "rank": [1, 2], "company_name": ["甲物业", "乙物业"],
                          "score": [79.0, 78.5678]})
    from onescreen.report_render import _for_readers

    assert number_formats(lists)["总分"] == "%.1f"  # the page: the number kept, shown to one decimal
    assert [_cell("score", v)[0] for v in lists["score"]] == ["79.0", "78.6"]  # the HTML
    assert _for_readers(lists)["score"].tolist() == [79.0, 78.6]  # the workbook
    oldest = pd.DataFrame({"ticket_id": ["T1"], "overdue_workdays": [238.4812]})
    assert number_formats(oldest) == {"超期（工作日）": "%.1f"}  # as 工单明细 shows it, not 238.48
    assert _cell("overdue_workdays", 238.4812)[0] == "238.5"


# printf formats of the page's number columns, and what each writes (as the frontend's sprintf-js does).
PRINTF = {"%,d": lambda v: f"{v:,.0f}", "%.1f": lambda v: f"{v:.1f}", "%,.2f": lambda v: f"{v:,.2f}"}


def test_the_pages_tables_keep_numbers_as_numbers_shown_as_the_html_report_shows_them(week_report):
    """周报's tables were all text: numbers left-aligned and sorted as text ("9" after "10"). Numbers stay numbers
    on the page (right-aligned, sorted as numbers), each column formatted as the HTML report writes its cells."""
    from onescreen.report_render import AT_LEAST_FLAGS, CODE_COLUMNS, _cell

    checked = 0
    for key, section in week_report.sections.items():
        if key == "kpis":  # mixed units a row: its own text table (test_page_kpi_table_gives_each_change_in_its_own_unit)
            continue
        frame, shown = section.frame, display_frame(section.frame)
        formats, signed = number_formats(frame), signed_formats(frame)
        for column in frame.columns:
            if column in CODE_COLUMNS or column in AT_LEAST_FLAGS:  # (a flag is read as 至少 in its number's column)
                continue
            label = COLUMN_LABELS.get(column, column)
            numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column])
            assert pd.api.types.is_numeric_dtype(shown[label]) == numeric, (key, column)
            assert (label in formats or label in signed) == numeric and not (label in formats and label in signed)
            if numeric:
                for value in frame[column].dropna():
                    text = signed[label](value) if label in signed else PRINTF[formats[label]](value)
                    assert text == _cell(column, value)[0], (key, column, value)
                    checked += 1
            else:
                assert all(isinstance(v, str) or v is None for v in shown[label]), (key, column)
    assert checked > 50
    assert number_formats(week_report.sections["trend"].frame)["受理量"] == "%,d"  # 1,785 as the page writes counts


def test_the_report_states_as_of_and_the_koujing(week_report):
    assert week_report.meta["as_of"] == datetime(2025, 10, 10, 15, 0)
    assert week_report.meta["is_complete"] is True
    koujing = week_report.sections["koujing"].frame.set_index("key")["text"]
    assert "按期办结数" in koujing["on_time_rate"] and "现行规则" in koujing["response_rate"]


def test_a_period_outside_the_data_or_an_unknown_area_is_refused(district_con):
    with pytest.raises(ReportError, match="不在数据范围内：已导入的工单从 2025-09-29 受理起，数据截至 2025-10-10 15:00"):
        build_report(district_con, parse_period("2025-W30"))
    with pytest.raises(ReportError, match="没有编号为 NOPE 的街道"):
        build_report(district_con, parse_period("2025-W40"), street_code="NOPE")


# -- files -------------------------------------------------------------------------------------------

def test_html_needs_nothing_from_the_network(week_report):
    page = to_html(week_report)
    addresses = set(re.findall(r"https?://[^\s\"'`\\)<>*]*", page, flags=re.IGNORECASE))
    assert addresses <= XML_NAMESPACES    # names of XML namespaces for drawing SVG; never fetched
    assert re.findall(r"(?:src|href|action)\s*=\s*[\"']?\s*(?://|https?:|ftp:)", page, flags=re.I) == []
    assert "@import" not in page
    assert re.findall(r"url\(\s*[\"']?\s*(?:https?:|//)", page, flags=re.IGNORECASE) == []
    assert re.findall(r"<(?:link|iframe|img|object|embed)\b", page, flags=re.IGNORECASE) == []
    assert re.findall(r"\b(?:www\.|cdn\.|\.com/|\.org/)", page.replace("www.w3.org", "")) == []


def test_html_embeds_the_installed_plotly_and_prints_on_a4(week_report):
    page = to_html(week_report)
    assert offline_plotlyjs() in page and len(offline_plotlyjs()) > 1_000_000
    assert page.count("Plotly.newPlot(") >= 3
    assert "@page" in page and "size: A4 landscape" in page and "@media print" in page  # 16 columns: landscape
    assert "Noto Sans CJK SC" in page
    assert "数据截至 2025-10-10 15:00" in page and "2025年第40周" in page


def test_html_reads_on_a_screen_without_wrapping_short_cells_a_character_a_line(week_report):
    """On a screen the report was 190 mm wide (portrait A4's text width): the 16 columns of 最久未办结的工单 wrapped
    社区, 网格 and 承办单位 one character a line. A screen now gets up to 1500 px, every table scrolls in its own box,
    headers and short cells stay on one line. On paper (A4 landscape, no max width) numbers and short cells stay on
    one line too, and a table of 12 columns or more is printed in smaller type (tests/browser/test_report_print.py
    prints it)."""
    page = to_html(week_report, charts=False)
    css = page[page.index("<style>"):page.index("</style>")]
    assert "max-width: 190mm" not in css
    screen = css[css.index("@media screen"):css.index("@media print")]
    assert "max-width: 1500px" in css and ".table-wrap { overflow-x: auto; }" in screen
    assert "th, td.nw { white-space: nowrap; }" in screen
    print_css = css[css.index("@media print"):]
    assert "max-width: none" in print_css and "td.nw, td.num { white-space: nowrap; }" in print_css
    assert "table.wide { font-size: 7.5pt; }" in print_css
    assert page.count("<table>") == page.count('<div class="table-wrap"><table>') > 3
    assert '<td class="nw">' in page
    from onescreen.report_render import _table

    cells = _table(pd.DataFrame({"community_name": ["东风社区"], "reason": ["按期办结率 50.0% 低于 80%；超期 3 件（≥3 件）"]}))
    assert '<td class="nw">东风社区</td>' in cells and "<td>按期办结率" in cells
    assert "<table>" in cells  # two columns: the ordinary type on paper
    wide = _table(pd.DataFrame({f"column_{i}": ["x"] for i in range(12)}))
    assert '<div class="table-wrap"><table class="wide">' in wide  # printed at 7.5 pt


def test_html_escapes_text_from_the_warehouse(week_report):
    report = build_copy(week_report)
    report.sections["category_rises"].frame.loc[0, "category_l1"] = "<script>alert(1)</script>"
    page = to_html(report, charts=False)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def build_copy(report):
    import copy
    return copy.deepcopy(report)


def test_xlsx_has_one_sheet_per_section_numbers_as_numbers_and_no_formulas(week_report):
    report = build_copy(week_report)
    report.sections["category_rises"].frame.loc[0, "category_l1"] = "=HYPERLINK(\"x\",\"y\")"
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))
    assert workbook.sheetnames[0] == "概要" and len(workbook.sheetnames) == 1 + len(report.sections)
    formulas = [c.coordinate for ws in workbook for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    kpis = workbook["关键指标"]
    header = [c.value for c in kpis[1]]
    first = {h: c.value for h, c in zip(header, kpis[2])}
    assert first["指标"] == "受理量" and first["本期"] == 10 and isinstance(first["本期"], (int, float))
    rises = workbook["分类增幅"]
    assert rises["A2"].value == "'=HYPERLINK(\"x\",\"y\")" and rises["A2"].data_type == "s"
    # (in a font with Chinese on every sheet: onescreen.exports.XLSX_FONT, not Calibri)
    assert {c.font.name for ws in workbook for row in ws.iter_rows() for c in row} == {"微软雅黑"}


def test_json_round_trips_with_the_same_figures(week_report):
    text = to_json(week_report)
    data = json.loads(text)
    assert data == to_dict(week_report)
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    kpis = {row["metric"]: row for row in data["sections"]["kpis"]["rows"]}
    assert kpis["ticket_count"]["value"] == 10
    assert kpis["resolution_rate"]["value"] == pytest.approx(_kpi(week_report, "resolution_rate"))
    assert data["meta"]["as_of"] == "2025-10-10T15:00:00" and data["meta"]["period_code"] == "2025-W40"
    assert list(data["sections"]) == list(week_report.sections)
    assert "NaN" not in text


def _docx(report):
    import docx

    from onescreen.report_docx import to_docx

    return docx.Document(io.BytesIO(to_docx(report)))


def _docx_text(report) -> str:
    document = _docx(report)
    return " ".join([p.text for p in document.paragraphs]
                    + [c.text for t in document.tables for row in t.rows for c in row.cells])


def test_the_word_files_own_properties_are_the_reports(week_report):
    """文件属性 of the .docx a meeting files said 作者 python-docx, 创建于 2013-12-23 (python-docx's template), with no
    title and that template's thumbnail: now the report's title, its generation time, and no trace of the template."""
    import zipfile
    from datetime import timezone

    from onescreen.report_docx import to_docx
    from onescreen.report_render import header_lines

    data = to_docx(week_report)
    props = _docx(week_report).core_properties
    assert (props.title, props.author, props.comments, props.last_modified_by) == (
        "南宁街道周报：2025年第40周（9月29日至10月5日）", "一屏", "", "")
    assert props.title == header_lines(week_report)[0]
    assert props.created == props.modified == week_report.meta["generated_at"].astimezone(timezone.utc)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert not [name for name in package.namelist() if "thumbnail" in name]
        assert not [name for name in package.namelist() if b"python-docx" in package.read(name)]


def test_the_word_file_declares_its_text_chinese(week_report):
    """The .docx declared its text en-US (python-docx's template: w:lang in the default run properties, an en-US copy
    of the styles for Word 2010, and ja-JP for the theme's East Asian fonts), so Word proofed and broke the Chinese
    text's lines as English. Now the default run properties say zh-CN (East Asian and Latin text), the theme's East
    Asian fonts are zh-CN's, the file's properties say zh-CN, and no part of the file names another language."""
    import zipfile

    from docx.oxml.ns import qn
    from lxml import etree

    from onescreen.report_docx import to_docx

    with zipfile.ZipFile(io.BytesIO(to_docx(week_report))) as package:
        styles = etree.fromstring(package.read("word/styles.xml"))
        lang = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
        assert (lang.get(qn("w:val")), lang.get(qn("w:eastAsia"))) == ("zh-CN", "zh-CN")
        settings = etree.fromstring(package.read("word/settings.xml"))
        assert settings.find(qn("w:themeFontLang")).get(qn("w:eastAsia")) == "zh-CN"
        assert b"<dc:language>zh-CN</dc:language>" in package.read("docProps/core.xml")
        names = package.namelist()
        langs = [re.findall(rb"<w:lang [^>]*>", package.read(name)) for name in names if name.endswith(".xml")]
    assert [lang for found in langs for lang in found] == [b'<w:lang w:val="zh-CN" w:eastAsia="zh-CN" w:bidi="ar-SA"/>']
    assert not [name for name in names if "stylesWithEffects" in name]


def test_word_document_has_the_html_reports_header_sections_and_cells(week_report):
    """The .docx a meeting's papers are edited from: the same title and lines, each section's heading and
    note, and every table cell as the page and the HTML write it (numbers formatted, to the right)."""
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from onescreen.report import COLUMN_LABELS
    from onescreen.report_render import TABLE_SECTIONS, _cell, empty_text, header_lines, shown_columns

    document = _docx(week_report)
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[:3] == list(header_lines(week_report))
    assert paragraphs[0] == "南宁街道周报：2025年第40周（9月29日至10月5日）"
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [s.title for s in week_report.sections.values()]
    notes = [s.note for s in week_report.sections.values() if s.note]
    assert notes and all(note in paragraphs for note in notes)

    kpis = kpi_display_frame(week_report.sections["kpis"].frame, previous=week_report.previous,
                             year_ago=week_report.year_ago)
    expected = [[list(kpis.columns), *kpis.values.tolist()]]
    for key in TABLE_SECTIONS:
        shown = shown_columns(week_report.sections[key].frame)
        if shown.empty:
            assert empty_text(week_report.sections[key]) in paragraphs
        else:   # each cell's text as the HTML report writes it (5,261 and 96.3; — for missing)
            expected.append([[COLUMN_LABELS.get(c, c) for c in shown.columns],
                             *[[_cell(c, v, escape=False)[0] for c, v in zip(shown.columns, row)]
                               for row in shown.itertuples(index=False, name=None)]])
    assert len(document.tables) == len(expected) >= 6
    for table, rows in zip(document.tables, expected):
        assert [[cell.text for cell in row.cells] for row in table.rows] == rows
    kpis = document.tables[0]
    first = [cell.paragraphs[0] for cell in kpis.rows[1].cells]
    assert first[0].text == "受理量" and first[1].text == "10"
    assert first[0].alignment == WD_ALIGN_PARAGRAPH.LEFT and first[1].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    koujing = week_report.sections["koujing"].frame
    assert f"{koujing.iloc[0]['label']}：{koujing.iloc[0]['text']}" in paragraphs
    page = document.sections[0]
    assert page.orientation == WD_ORIENT.LANDSCAPE and page.page_width > page.page_height


def test_word_document_takes_text_from_the_warehouse_as_text(week_report):
    report = build_copy(week_report)
    report.sections["category_rises"].frame.loc[0, "category_l1"] = "<w:p>&amp;=1+1"
    assert "<w:p>&amp;=1+1" in _docx_text(report)


def test_word_document_leaves_out_characters_xml_cannot_hold(week_report):
    """A vertical tab typed into a company name in a spreadsheet cell made the Word download fail
    ("All strings must be XML compatible"); it is left out, the rest of the name kept."""
    report = build_copy(week_report)
    report.sections["category_rises"].frame.loc[0, "category_l1"] = "市容\x0b环境\x01"
    report.sections["kpis"].note += "\x0c"
    assert "市容环境" in _docx_text(report)


def test_word_columns_follow_their_text_and_fill_the_page():
    from onescreen.report_docx import TEXT_WIDTH_MM, column_widths

    cells = [[("转红", None), ("S04C02G04", None), ("按期办结率 66.7% 低于 80%", None), ("1", "number")]]
    widths = column_widths(["变化", "网格编号", "亮灯依据", "超期"], cells)
    assert sum(widths) == pytest.approx(TEXT_WIDTH_MM)
    assert widths[2] > widths[1] > widths[0] and widths[0] >= widths[3]
    wide = [[("甲" * 40, None)] * 15]   # more than the page: every column narrowed to the same cap
    widths = column_widths(["列"] * 15, wide)
    assert sum(widths) == pytest.approx(TEXT_WIDTH_MM, rel=1e-6) and max(widths) - min(widths) < 1e-6
    mixed = [[("甲" * 80, None), ("1", "number")]]   # only the long column gives way
    short, long_ = column_widths(["说明", "件数"], mixed, total=100)[::-1]
    assert long_ == pytest.approx(100 - short) and short == pytest.approx(2 * 3.3 + 2.6)


# -- command line ------------------------------------------------------------------------------------

_cli = run_cli


@pytest.mark.parametrize("fmt", ["html", "xlsx", "docx", "json"])
def test_cli_writes_the_report(warehouse_copy, tmp_path, capsys, fmt):
    out = tmp_path / f"report.{fmt}"
    code, stdout, _ = _cli(["report", "--week", "2025-W40", "--format", fmt, "--out", str(out), "--quiet"], capsys)
    assert code == 0 and out.is_file()
    assert stdout.startswith("已生成南宁街道周报 2025年第40周") and str(out) in stdout
    if fmt == "json":
        assert json.loads(out.read_text(encoding="utf-8"))["meta"]["period_code"] == "2025-W40"
    if fmt == "xlsx":
        assert "关键指标" in openpyxl.load_workbook(out).sheetnames
    if fmt == "docx":
        import docx

        assert docx.Document(str(out)).paragraphs[0].text == "南宁街道周报：2025年第40周（9月29日至10月5日）"


def test_cli_defaults_to_the_last_complete_week_and_takes_the_format_from_the_file(warehouse_copy, tmp_path,
                                                                                   capsys):
    out = tmp_path / "pack.json"
    code, stdout, _ = _cli(["report", "--out", str(out), "--quiet"], capsys)
    assert code == 0 and json.loads(out.read_text(encoding="utf-8"))["meta"]["period_code"] == "2025-W40"
    code, _, _ = _cli(["report", "--month", "--out", str(out), "--quiet"], capsys)
    assert code == 0 and json.loads(out.read_text(encoding="utf-8"))["meta"]["period_code"] == "2025-09"


@pytest.mark.parametrize("argv, message", [
    (["--week", "2025-41"], "错误：--week 的值有误：无法识别的周期 “2025-41”：应为ISO 周，如 2025-W41（2025 年第 41 周）。"),
    (["--month", "2025-W41"], "错误：--month 的值有误：无法识别的周期 “2025-W41”：应为月份，如 2025-10。"),
    (["--week", "2030-W01"], "错误：2030年第1周（2029年12月31日至2030年1月6日）（2030-W01）不在数据范围内：已导入的工单从 2025-09-29 "
                             "受理起，数据截至 2025-10-10 15:00。"),
    (["--format", "json", "--out", "x.html"], "错误：--format json 与输出文件 x.html 的扩展名不一致；改扩展名或去掉 --format。"),
    (["--street", "NOPE"], "错误：没有编号为 NOPE 的街道：街道编号见 dim_streets。"),
])
def test_cli_errors_are_one_line_exit_1_no_traceback(warehouse_copy, tmp_path, capsys, argv, message):
    code, stdout, stderr = _cli(["report", "--quiet", *argv], capsys)
    assert code == 1 and stdout == ""
    assert stderr.strip() == message
    assert "Traceback" not in stderr


def test_cli_without_a_warehouse_says_what_to_do(warehouse_db, capsys):
    code, _, stderr = _cli(["report", "--quiet"], capsys)
    assert code == 1
    assert stderr.strip() == f"错误：数据仓库 {warehouse_db} 不存在，请先运行 python -m etl init 建一个空的数据仓库，再用 python -m etl load 导入网格定义和工单导出。"


# -- the page ----------------------------------------------------------------------------------------

def _page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page("app_pages/weekly.py")
    return at.run()


def _shown_kpis(at: AppTest) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if "指标" in d.value.columns and "本期" in d.value.columns]
    assert len(frames) == 1
    return frames[0].set_index("指标")


def test_page_shows_the_same_figures_as_the_report(warehouse_copy):
    at = _page()
    assert [e.value for e in at.exception] == [] and not at.error
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        as_of, first = data_span(con)
        report = build_report(con, default_period(as_of, "week", first))
    finally:
        con.close()
    assert report.period.code == "2025-W40"
    shown = _shown_kpis(at)
    # The page shows the report's own table, formatted as in the HTML report: the same cells, tags aside.
    expected = kpi_display_frame(report.sections["kpis"].frame, previous=report.previous,
                                 year_ago=report.year_ago).set_index("指标")
    assert shown.equals(expected)
    html_report = to_html(report)
    for cells in kpi_cells(report.sections["kpis"].frame):  # (a figure without a value says why, in grey)
        assert f"<td>{cells[0][0]}</td>" + "".join(f"<td class='num'>{_html_cell(*cell)}</td>" for cell in cells[1:3]) \
            in html_report
    raw = report.sections["kpis"].frame.set_index("label")
    assert shown.loc["受理量", "本期"] == f"{raw.loc['受理量', 'value']:,.0f}"
    assert at.selectbox(key="weekly_period_week").value == report.period
    assert any("数据截至 2025-10-10 15:00" in c.value for c in at.caption)
    assert len(at.get("download_button")) == 4


def test_page_tables_sort_numbers_as_numbers_and_right_align_the_key_figures(warehouse_copy):
    at = _page()
    assert [e.value for e in at.exception] == []
    trend = next(t for t in at.dataframe if "周期起始" in t.value.columns)
    config = json.loads(trend.proto.columns)
    assert pd.api.types.is_integer_dtype(trend.value["受理量"]) and pd.api.types.is_float_dtype(trend.value["响应率（%）"])
    assert (config["受理量"]["type_config"]["format"], config["响应率（%）"]["type_config"]["format"]) == ("%,d", "%.1f")
    oldest = next(t for t in at.dataframe if "工单编号" in t.value.columns)
    overdue = json.loads(oldest.proto.columns)["超期（工作日）"]  # the section's own label and width, and the format
    assert (overdue["label"], overdue["width"], overdue["type_config"]["format"]) == ("超期工作日", 86, "%.1f")
    assert pd.api.types.is_float_dtype(oldest.value["超期（工作日）"])
    kpis = next(t for t in at.dataframe if "环比" in t.value.columns)
    assert {c: v.get("alignment") for c, v in json.loads(kpis.proto.columns).items() if c != "_index"} == {
        h: "right" for h in kpi_display_frame(pd.DataFrame(columns=["metric"])).columns[1:]}


def test_page_oldest_open_tickets_show_the_address_beside_the_department(warehouse_copy):
    """The page's column order named the address "地址（至小区或道路）", a header the table does not have: the address,
    what a meeting reads to place a ticket, went to the far right after 街道 instead of after 承办单位."""
    at = _page()
    oldest = next(t for t in at.dataframe if "工单编号" in t.value.columns)
    order = list(oldest.proto.column_order)
    assert "地址（至门牌号或小区）" in oldest.value.columns
    assert order.index("地址（至门牌号或小区）") == order.index("承办单位") + 1
    assert sorted(order) == sorted(oldest.value.columns)


def test_page_kpi_table_gives_each_change_in_its_own_unit():
    """The page's table rounded every change as a count: "1" for a rate's +1.3 个百分点, "-0" for −0.4."""
    kpis = pd.DataFrame({
        "metric": ["ticket_count", "response_rate", "avg_handling_workdays"], "label": ["受理量", "响应率", "平均办理时长"],
        "unit": ["count", "pct", "workdays"], "value": [1785.0, 96.6, 2.9], "previous_value": [1643.0, 95.3, 3.02],
        "change": [142.0, 1.3, -0.12], "change_pct": [8.64, 1.36, -3.97], "yoy_value": [float("nan")] * 3,
        "yoy_change": [float("nan")] * 3, "yoy_change_pct": [float("nan")] * 3, "target": [float("nan"), 97.0, float("nan")],
        "numerator": [float("nan"), 1724.0, 51697.73], "denominator": [float("nan"), 1785.0, 17826.0]})
    shown = kpi_display_frame(kpis).set_index("指标")
    assert shown.loc["受理量"].tolist() == ["1,785", "1,643", "+142（+8.6%）", "—", "—", "", ""]
    # Good or bad news says so in words (a printed report is often black and white); 受理量 is neither.
    assert shown.loc["响应率"].tolist() == ["96.6%", "95.3%", "+1.3 个百分点（改善）", "—", "—", "97%", "1,724 / 1,785"]
    assert shown.loc["平均办理时长"].tolist() == ["2.90 个工作日", "3.02 个工作日", "−0.12 个工作日（改善）", "—", "—", "", ""]


def test_whistles_and_joint_consultations_are_neither_good_nor_bad_news():
    """联合会商 falling from 31 to 26 read "−5（−16.1%）（变差）" in red beside 吹哨报到's plain "−9（−15.5%）": both count
    how often departments were called in, neither a target; the pages show both without a direction."""
    kpis = pd.DataFrame({
        "metric": ["whistle_count", "consultation_count"], "label": ["吹哨报到", "联合会商"], "unit": ["count", "count"],
        "value": [49.0, 26.0], "previous_value": [58.0, 31.0], "change": [-9.0, -5.0], "change_pct": [-15.5, -16.1],
        "yoy_value": [40.0, 40.0], "yoy_change": [9.0, -14.0], "yoy_change_pct": [22.5, -35.0],
        "target": [float("nan")] * 2, "numerator": [29.0, 19.0], "denominator": [49.0, 26.0]})
    cells = {row[0][0]: row for row in kpi_cells(kpis)}
    assert cells["联合会商"][3] == ("−5（−16.1%）", None) and cells["联合会商"][5] == ("−14（−35.0%）", None)
    assert cells["吹哨报到"][3] == ("−9（−15.5%）", None)


def test_a_change_too_small_to_show_is_level_not_good_or_bad():
    from onescreen.report_render import _change

    assert _change("pct", 0.04, None, up_is_good=True) == ("持平", None)
    assert _change("pct", -1.26, None, up_is_good=True) == ("−1.3 个百分点（变差）", "down")
    assert _change("count", 3.0, 2.0, up_is_good=False) == ("+3（+2.0%）（变差）", "down")
    assert _change("count", 3.0, 2.0, up_is_good=None) == ("+3（+2.0%）", None)


def test_the_report_kind_chosen_is_kept_in_the_address(warehouse_copy):
    at = _page()
    at.radio(key="weekly_kind").set_value("quarter").run()
    assert [e.value for e in at.exception] == []
    assert at.query_params.get("report_kind") == "quarter" and "report" not in at.query_params  # the latest quarter
    again = _page({"report_kind": "quarter"})  # the bookmark opens the quarterly pack, not the weekly one
    assert again.radio(key="weekly_kind").value == "quarter"
    assert again.selectbox(key="weekly_period_quarter").value == at.selectbox(key="weekly_period_quarter").value


def test_page_opens_the_period_in_the_url_and_the_month_pack(warehouse_copy):
    at = _page({"report": "2025-W41"})
    assert at.selectbox(key="weekly_period_week").value.code == "2025-W41"
    assert _shown_kpis(at).loc["受理量", "本期"] == "2"
    at = _page({"report": "2025-09"})
    assert at.radio(key="weekly_kind").value == "month"
    assert at.selectbox(key="weekly_period_month").value.code == "2025-09"
    assert [e.value for e in at.exception] == []


def test_page_on_an_empty_warehouse_shows_guidance(warehouse_db):
    at = _page()
    assert [e.value for e in at.exception] == []
    assert any("python -m etl load" in i.value for i in at.info)


def test_the_trend_ticks_fall_on_each_periods_start():
    """Week trends were ticked on Sundays (09-06, 09-20) while the weeks start on Mondays (09-07)."""
    from onescreen.report_charts import trend_figure

    weeks = pd.DataFrame({"period_start": pd.date_range("2026-09-07", periods=4, freq="7D").date,
                          "ticket_count": [5000, 5100, 4900, 5200], "response_rate": [96.1, 96.4, 95.9, 96.2],
                          "resolution_rate": [90.0, 90.2, 89.8, 90.1], "satisfaction_rate": [91.0, 91.5, 90.7, 91.2],
                          "on_time_rate": [92.0, 92.1, 91.9, 92.3], "overdue_count": [10, 12, 9, 11]})
    axis = trend_figure(weeks, "week").layout.xaxis
    assert [pd.Timestamp(v).day_name() for v in axis.tickvals] == ["Monday"] * 4
    assert list(axis.ticktext) == ["09-07", "09-14", "09-21", "09-28"]
    # The rates' axis at round steps (88%, 90% ...): plotly.js 4 syncs an overlaying axis to its base axis's ticks
    # unless told otherwise, and the report's trend read 87.92%, 91.2%, 94.47% (the bar axis's 0, 2000, 4000).
    assert trend_figure(weeks, "week").layout.yaxis2.tickmode == "auto"
    months = weeks.assign(period_start=pd.date_range("2026-06-01", periods=4, freq="MS").date)
    assert list(trend_figure(months, "month").layout.xaxis.ticktext) == ["2026-06", "2026-07", "2026-08", "2026-09"]


def test_a_long_category_name_does_not_squeeze_the_rises_chart():
    """A 40-character category (an export's 城乡建设与管理类（含违法建设、房屋安全……）) took the A4 chart's width for its
    label: 125 of 680 px were left for the bars and the counts beside them were cut. The axis shows the first
    characters and an ellipsis; the bar's hover and the table give the whole name."""
    from onescreen.report_charts import LABEL_CHARS, rises_figure

    long_name = "城乡建设与管理类（含违法建设、房屋安全、物业服务、城市道路及附属设施维护管理等）"
    rises = pd.DataFrame({"category_l1": [long_name, "物业管理"], "ticket_count": [300, 200],
                          "previous_ticket_count": [200, 150], "change": [100, 50]})
    fig = rises_figure(rises, "category_l1", "受理量增幅最大的诉求分类")
    axis = fig.layout.yaxis
    assert list(axis.tickvals) == ["物业管理", long_name]  # (largest rise on top: drawn last)
    assert list(axis.ticktext) == ["物业管理", long_name[:LABEL_CHARS - 1] + "…"]
    assert all(len(text) <= LABEL_CHARS for text in axis.ticktext)
    assert "%{y}" in fig.data[0].hovertemplate and list(fig.data[0].y) == ["物业管理", long_name]


def test_the_koujing_entries_do_not_start_with_a_second_label():
    """The pack's 口径 read "统计周期：周期：周为 ISO 周…": the entry's own text began with a label of its own. Each text
    starts with what it says (a definition, or a formula written "响应率 = …"), never another "词：" heading."""
    from onescreen.report import koujing_table
    from onescreen.rules import load_rules

    for same_days in (False, True):
        table = koujing_table(load_rules(), same_days=same_days)
        assert [r.label for r in table.itertuples() if re.match(r"^[^，。=（]{1,8}：", r.text)] == []


def _two_months_black_report(district_con):
    """The fixture district's October pack, its black list on it since September, the data's first month (the data
    begin on 2025-09-29), so each black-list run may have begun before the data."""
    from onescreen.report import CursorSource

    class TwoMonthsBlack(CursorSource):
        def query(self, name, **params):
            frame = super().query(name, **params)
            if name == "company_rankings" and str(params["month"]) == "2025-10-01":
                frame.loc[frame["list"] == "black", "consecutive_black_months"] = 2
            return frame

    return build_report(TwoMonthsBlack(district_con), parse_period("2025-10"), generated_at=GENERATED)


def test_a_black_list_run_that_may_be_longer_is_a_number_and_a_flag_in_the_data(district_con):
    """连续上黑榜月数 mixed numbers and text ("至少 2") in the JSON and the workbook when a run may have begun before the
    data, so a program or a spreadsheet formula reading the column met two types. The JSON and the XLSX now give the
    months as a number in every row and say in a column of its own (连续月数可能更长: true/false, 是/否) that the run may
    be longer; the page, the HTML and Word still read 至少 2, without that column."""
    import docx

    from onescreen.report_render import render

    report = _two_months_black_report(district_con)
    section = report.sections["company_lists"]
    rows = json.loads(render(report, "json"))["sections"]["company_lists"]
    assert rows["columns"]["is_black_streak_at_least"] == "连续月数可能更长"
    black = [r for r in rows["rows"] if r["list"] == "黑榜"]
    assert black and [(r["consecutive_black_months"], r["is_black_streak_at_least"]) for r in black] == [(2, True)] * len(black)
    assert all(r["is_black_streak_at_least"] is False for r in rows["rows"] if r["list"] == "红榜")
    assert {type(r["consecutive_black_months"]) for r in rows["rows"]} <= {int, type(None)}

    sheet = openpyxl.load_workbook(io.BytesIO(render(report, "xlsx")))["红黑榜"]
    header = [c.value for c in sheet[1]]
    months, longer = header.index("连续上黑榜月数"), header.index("连续月数可能更长")
    cells = [(row[0].value, row[months], row[longer].value) for row in sheet.iter_rows(min_row=2)]
    assert {(cell.value, cell.data_type, flag) for listed, cell, flag in cells if listed == "黑榜"} == {(2, "n", "是")}
    assert {cell.data_type for _listed, cell, _flag in cells} <= {"n"}   # (numbers or empty, never text)
    assert {flag for listed, _cell, flag in cells if listed == "红榜"} == {"否"}

    shown = display_frame(section.frame)
    assert "连续月数可能更长" not in shown and set(shown.loc[shown["本月榜单"] == "黑榜", "连续上黑榜月数"]) == {"至少 2"}
    assert "连续上黑榜月数" not in number_formats(section.frame)   # (text on the page, not a number format's)
    html = render(report, "html").decode("utf-8")
    assert '<td class="nw">至少 2</td>' in html and "连续月数可能更长" not in html
    word = docx.Document(io.BytesIO(render(report, "docx")))
    cells = [c.text for t in word.tables for row in t.rows for c in row.cells]
    assert "至少 2" in cells and "连续月数可能更长" not in cells


def test_the_weekly_withholds_list_moves_against_a_month_the_data_do_not_cover(metrics_con, district_con):
    """周报's 物业红黑榜变动 still listed 新上黑榜 and ranks moved against a last month the data cover in part (仅供参考)
    or not at all, while 一屏总览, the companies page and its wall withhold them. The pack (page, HTML, XLSX, Word,
    JSON) now withholds them too: no entry or exit (a sentence says why instead of 本月红黑榜没有变动), 名次变化 —, the
    sentence of coverage.rank_moves_note; a run on the black list back to the data's first month reads 至少 N. October
    against a whole September keeps its moves."""
    import docx

    from onescreen.report import CursorSource
    from onescreen.report_render import render

    october = build_report(metrics_con, parse_period("2025-10"), generated_at=GENERATED).sections
    assert not october["company_moves"].frame.empty
    assert october["company_lists"].frame["rank_change"].notna().any()
    august = build_report(metrics_con, parse_period("2025-08"), generated_at=GENERATED).sections["company_moves"]
    assert august.frame.empty and "名次较上月：无上月数据（数据自 2025-08-15 起），不作比较。" in august.note
    assert august.empty == "无上月数据（数据自 2025-08-15 起），本月上榜、退出榜单不作比较；本月的榜单见下一部分。"

    # The fixture district's data begin on 2025-09-29: September is covered in part, August not at all.
    report = _two_months_black_report(district_con)
    moves, listed = report.sections["company_moves"], report.sections["company_lists"]
    said = "名次较上月：上月数据不全（数据自 2025-09-29 起），不作比较：上月的投诉只计其后受理的工单，其得分和名次不可比。"
    assert moves.frame.empty and said in moves.note and said in listed.note
    assert moves.empty == "上月数据不全（数据自 2025-09-29 起），本月上榜、退出榜单不作比较；本月的榜单见下一部分。"
    assert not listed.frame.empty and listed.frame["rank_change"].isna().all()
    black = listed.frame[listed.frame["list"] == "黑榜"]
    assert len(black) and set(black["consecutive_black_months"]) == {2} and black["is_black_streak_at_least"].all()
    assert "至少连续 N 个月：数据自 2025-09-29 起，此前是否上榜不详。" in listed.note
    html = render(report, "html").decode("utf-8")
    assert moves.empty in html and "本月红黑榜没有变动" not in html and "至少 2" in html
    sheets = pd.read_excel(io.BytesIO(render(report, "xlsx")), sheet_name=None, engine="calamine")
    assert sheets["红黑榜变动"].values.tolist() == [[moves.empty]]
    assert moves.empty in "\n".join(p.text for p in docx.Document(io.BytesIO(render(report, "docx"))).paragraphs)
    assert said in render(report, "json").decode("utf-8")
