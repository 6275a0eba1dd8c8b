"""The review pack of a period still under way compares like for like, as the pages do: its days so far against
the same days of the period before and of a year before, never a third of a month against a whole one.

The hand-made district (tests/metrics_fixture.py: tickets up to Thu 2025-10-16 09:00, the last receipt; 数据截至
2025-10-16 09:00) with more tickets around the windows a pack under way is compared with, each counted here by hand.
The windows compared with end at the same time of their last day (09:00:01, the second after the last receipt):

- September 2025: S1, S2 (3rd, 10th) inside 1-16 September 09:00; S3 (16th, 18:00: the last day, later than any
  October ticket could yet be) and S4, S5 (17th, 20th) after it. Whole September: these five and T2, T3, T20.
- October 2024 (a year before): Y1 (8th) inside 1-16 October 09:00; Y2 (16th, 20:00: late), Y3 (17th) after; Y4 in
  November.
- July 2025 (the quarter before Q4, its first 16 days): J1 (2nd) inside; J2 (16th, 12:00: late), J3 (17th) after.
- Callers: S1 and S2 (市容环境, the same number: S2 repeats S1), S4 and S5 (道路交通: S5 repeats S4), T4 and T6
  (October: T6 repeats T4).

A month or quarter that is over is unchanged: :func:`test_a_complete_pack_is_unchanged` compares its files with
ones written by the code before this change (tests/fixtures/report_complete/).
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # until the project sets pythonpath

from etl.marts import build_marts  # noqa: E402
from metrics_fixture import GRIDS, TICKET_COLUMNS, build_warehouse, fill_calendar  # noqa: E402
from onescreen.queries import run_query  # noqa: E402
from onescreen.report import Comparison, build_report, parse_period  # noqa: E402
from onescreen.report_charts import report_figures  # noqa: E402
from onescreen.report_render import KPI_HEADERS, kpi_display_frame, kpi_headers, to_dict, to_html, to_json, to_xlsx  # noqa: E402
from onescreen.rules import load_rules  # noqa: E402

GENERATED = datetime(2025, 10, 16, 12, 0)
GOLDEN = Path(__file__).resolve().parent / "fixtures" / "report_complete"

EXTRA = [  # ticket_id, grid, received_at, category, caller phone (None: no caller)
    ("S1", "G1", "2025-09-03 10:00", "市容环境", "13800001111"),
    ("S2", "G1", "2025-09-10 10:00", "市容环境", "13800001111"),
    ("S3", "G4", "2025-09-16 18:00", "物业管理", "13900002222"),
    ("S4", "G2", "2025-09-17 09:00", "道路交通", "13700003333"),
    ("S5", "G2", "2025-09-20 09:00", "道路交通", "13700003333"),
    ("Y1", "G1", "2024-10-08 10:00", "市容环境", None),
    ("Y2", "G2", "2024-10-16 20:00", "道路交通", None),
    ("Y3", "G1", "2024-10-17 08:00", "市容环境", None),
    ("Y4", "G1", "2024-11-20 10:00", "市容环境", None),
    ("J1", "G1", "2025-07-02 10:00", "市容环境", None),
    ("J2", "G4", "2025-07-16 12:00", "物业管理", None),
    ("J3", "G1", "2025-07-17 10:00", "市容环境", None),
]
CALLERS = {"T4": "13600004444", "T6": "13600004444"}  # two October requests of one caller (市容环境)


def build_same_days_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """The metrics fixture, its calendar from 2024, and the tickets of :data:`EXTRA`, marts built."""
    build_warehouse(con)
    callers = dict(CALLERS)
    con.execute("delete from dim_calendar")
    fill_calendar(con, date(2024, 1, 1), date(2025, 12, 31))
    for ticket_id, grid, received, category, phone in EXTRA:
        community, community_name, street, street_name = GRIDS[grid]
        row = dict(ticket_id=ticket_id, feed="hotline", source="12345热线", appeal_type="投诉", category_l1=category,
                   received_at=received, department="城管科", street_code=street, street_name=street_name,
                   community_code=community, community_name=community_name, grid_code=grid, placed_by="grid_code",
                   has_timeline_error=False, row_hash="h", batch_id=1)
        con.execute(f"insert into fct_tickets ({', '.join(TICKET_COLUMNS)}) values ({', '.join('?' for _ in TICKET_COLUMNS)})",
                    [row.get(column) for column in TICKET_COLUMNS])
        if phone:
            callers[ticket_id] = phone
    for ticket_id, phone in callers.items():
        con.execute("insert into ticket_pii (ticket_id, caller_name, caller_phone, batch_id) values (?, '张三', ?, 1)",
                    [ticket_id, phone])
    build_marts(con, load_rules())


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    build_same_days_warehouse(connection)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def month(con):
    return build_report(con, parse_period("2025-10"), generated_at=GENERATED)


@pytest.fixture(scope="module")
def quarter(con):
    return build_report(con, parse_period("2025Q4"), generated_at=GENERATED)


UNTIL = time(9, 0, 1)  # the second after the last receipt (10-16 09:00): the windows compared with end then


def _received(con, first: str, last: str, until: time | None = None, **where) -> int:
    """Tickets received from ``first`` to ``last`` (both days included; the last only up to ``until``), counted
    from fct_tickets."""
    extra = "".join(f" and {column} = ?" for column in where)
    end = datetime.combine(date.fromisoformat(last), until) if until else f"{last} 23:59:59.999999"
    return con.execute(f"select count(*) from fct_tickets where received_at >= ?::date and received_at < ?::timestamp"
                       f"{extra}", [first, end, *where.values()]).fetchone()[0]


def _kpis(report) -> pd.DataFrame:
    return report.sections["kpis"].frame.set_index("metric")


# -- the figures: the same days ------------------------------------------------------------------------

def test_a_month_under_way_is_compared_with_the_same_days(con, month):
    assert not month.meta["is_complete"] and month.meta["data_to"] == date(2025, 10, 16)
    kpis = _kpis(month)
    # Counted by hand: 2 in 1-16 September up to 09:00 (S1, S2; not S3 at 18:00 on the 16th, nor S4, S5, T2, T3,
    # T20), 1 in 1-16 October 2024 up to 09:00 (Y1; not Y2 at 20:00 on the 16th). Whole days: 3 and 2.
    assert (_received(con, "2025-09-01", "2025-09-16", UNTIL), _received(con, "2024-10-01", "2024-10-16", UNTIL)) == (2, 1)
    assert (_received(con, "2025-09-01", "2025-09-16"), _received(con, "2024-10-01", "2024-10-16")) == (3, 2)
    assert kpis.loc["ticket_count", "value"] == _received(con, "2025-10-01", "2025-10-16") == 16
    assert kpis.loc["ticket_count", "previous_value"] == 2            # not 8, the whole of September, nor 3
    assert kpis.loc["ticket_count", "yoy_value"] == 1                 # not 3, the whole of October 2024, nor 2
    assert kpis.loc["ticket_count", "change"] == 14
    # Every figure is kpi_tiles_range's over the same days up to the same time, asked directly.
    for window, column in (("2025-09-01", "previous_value"), ("2024-10-01", "yoy_value")):
        same = run_query(con, "kpi_tiles_range", start=window, end=window[:8] + "16", until=UNTIL).set_index("metric")
        for metric in kpis.index:
            expected, got = same.loc[metric, "value"], kpis.loc[metric, column]
            assert (pd.isna(expected) and pd.isna(got)) or got == pytest.approx(expected), (metric, column)
    assert month.meta["previous_label"] == "上月同期（2025-09-01 至 2025-09-16 09:00）"
    assert month.meta["yoy_label"] == "去年同期（2024-10-01 至 2024-10-16 09:00）"
    assert month.meta["data_through"] == "2025-10-16 09:00"


def test_a_quarter_under_way_is_compared_with_the_same_days_from_the_day_rows(con, quarter):
    kpis = _kpis(quarter)
    assert quarter.meta["data_to"] == date(2025, 10, 16)
    assert kpis.loc["ticket_count", "value"] == 16
    assert kpis.loc["ticket_count", "previous_value"] == _received(con, "2025-07-01", "2025-07-16", UNTIL) == 1  # not 13
    assert kpis.loc["ticket_count", "yoy_value"] == _received(con, "2024-10-01", "2024-10-16", UNTIL) == 1        # not 4
    same = run_query(con, "kpi_tiles_range", start="2025-07-01", end="2025-07-16", until=UNTIL).set_index("metric")
    for metric in kpis.index:
        expected, got = same.loc[metric, "value"], kpis.loc[metric, "previous_value"]
        assert (pd.isna(expected) and pd.isna(got)) or got == pytest.approx(expected), metric
    # Its rates still add up numerators and denominators over the days (not a mean of rates).
    days = con.execute("select sum(response_numerator), sum(response_denominator) from mart_rates where "
                       "period_type = 'day' and level = 'district' and period_start between '2025-10-01' and '2025-10-16'"
                       ).fetchone()
    assert (kpis.loc["response_rate", "numerator"], kpis.loc["response_rate", "denominator"]) == tuple(days)
    assert quarter.meta["previous_label"] == "上季同期（2025-07-01 至 2025-07-16 09:00）"


def test_a_week_under_way_is_compared_with_the_same_days_of_the_week_before_and_52_weeks_before(con):
    report = build_report(con, parse_period("2025-W42"), generated_at=GENERATED)  # 13-16 October
    kpis = _kpis(report)
    # Last Thursday up to 09:00: its 09:00 ticket, not its 10:00 one; 52 weeks before, Y2 and Y3 (the 17th, 08:00).
    assert kpis.loc["ticket_count", "previous_value"] == _received(con, "2025-10-06", "2025-10-09", UNTIL) == 1  # not 5
    assert kpis.loc["ticket_count", "yoy_value"] == _received(con, "2024-10-14", "2024-10-17", UNTIL) == 2  # Y2, Y3
    assert report.meta["previous_label"] == "上周同期（2025-10-06 至 2025-10-09 09:00）"


def test_rises_by_category_and_unit_are_against_the_same_days(con, month, quarter):
    rises = month.sections["category_rises"].frame.set_index("category_l1")
    # October 1-16: 物业管理 8, 市容环境 7, 道路交通 1; September 1-16 09:00: 市容环境 2 (S1, S2), 物业管理 0 (S3 came at
    # 18:00). (Against the whole of September, 道路交通 fell (2 to 1) and 市容环境 rose by 2 only.)
    assert rises["change"].to_dict() == {"物业管理": 8, "市容环境": 5, "道路交通": 1}
    assert rises["previous_ticket_count"].to_dict() == {"物业管理": 0, "市容环境": 2, "道路交通": 0}
    units = month.sections["unit_rises"].frame.set_index("unit_name")
    # 三社区 (G4): 7 property complaints in October (P1-P7) against none (S3 came later in the day than 09:00).
    assert (units.loc["三社区", "ticket_count"], units.loc["三社区", "previous_ticket_count"]) == (7, 0)
    assert units.loc["三社区", "ticket_count"] == _received(con, "2025-10-01", "2025-10-16", grid_code="G4")
    assert quarter.sections["category_rises"].frame.set_index("category_l1")["previous_ticket_count"].to_dict() == {
        "物业管理": 0, "市容环境": 1, "道路交通": 0}  # J1 (not J2 at 12:00 on the 16th, nor J3, the 17th)
    assert "与上月同期（2025-09-01 至 2025-09-16 09:00）相比" in month.sections["category_rises"].note


def test_a_street_or_community_pack_under_way_is_compared_with_the_same_days(con):
    for scope, grid in (({"street_code": "S2"}, "G4"), ({"community_code": "C1"}, None)):
        report = build_report(con, parse_period("2025-10"), generated_at=GENERATED, **scope)
        kpis = _kpis(report)
        where = {"grid_code": grid} if grid else {"community_code": "C1"}
        assert kpis.loc["ticket_count", "value"] == _received(con, "2025-10-01", "2025-10-16", **where)
        assert kpis.loc["ticket_count", "previous_value"] == _received(con, "2025-09-01", "2025-09-16", UNTIL, **where)
        assert _received(con, "2025-09-01", "2025-09-16", **where) > 0
        units = report.sections["unit_rises"].frame
        assert units["previous_ticket_count"].sum() <= kpis.loc["ticket_count", "previous_value"]


def test_repeat_requests_are_against_the_same_days(month):
    note = month.sections["repeat_callers"].note
    assert "本期重复诉求 1 件" in note             # T6 repeats T4
    assert "上月同期 1 件。" in note               # S2 (1-16 September); not 2 with S5 (the 20th)


def test_settling_is_still_not_judged(con, month):
    kpis = _kpis(month)
    assert kpis.loc["on_time_rate", "is_provisional"] and not kpis.loc["response_rate", "is_provisional"]
    shown = kpi_display_frame(month.sections["kpis"].frame, kpi_headers(month.meta)).set_index("指标")
    assert shown.loc["受理量", "较上月同期"] == "+14（+700.0%）"
    # S1-S3 were never signed for nor closed: 0 of 3 (now overdue), against 10 of 13 responded in October.
    assert shown.loc["响应率", "较上月同期"] == "+76.9 个百分点（改善）"
    assert shown.loc["按期办结率", "较上月同期"] == "+78.6 个百分点（暂不评判）"
    assert shown.loc["超期", "较上月同期"] == "−1（−33.3%）（暂不评判）"
    assert shown.loc["物业投诉量", "较上月同期"] == "+7（+700.0%）（变差）"
    assert "本期仍有超过受理量 1% 的工单在办且未到期（本期 2 件）" in month.sections["kpis"].note


# -- the wording: every file says what is compared ------------------------------------------------------

def test_html_says_what_a_period_under_way_is_compared_with(month, quarter):
    page = to_html(month, charts=False)
    assert "对比：上月同期（2025-09-01 至 2025-09-16 09:00）；去年同期（2024-10-01 至 2024-10-16 09:00）" in page
    assert "工单只到 2025-10-16 09:00：与上月同期、去年同期的相同天数比较" in page
    head = "".join(f"<th>{h}</th>" for h in ("指标", "本期", "上月同期", "较上月同期", "去年同期", "较去年同期"))
    assert head in page and "<th>环比</th>" not in page and "<th>同比</th>" not in page
    assert "<th>上月同期受理量</th><th>较上月同期变化</th>" in page and "上期受理量" not in page
    assert "都只比相同的天数" in page                          # the 口径
    assert "关键指标：本期、上月同期与去年同期" in page
    assert "上月同期 1 件" in page
    page = to_html(quarter, charts=False)
    assert "对比：上季同期（2025-07-01 至 2025-07-16 09:00）；去年同期（2024-10-01 至 2024-10-16 09:00）" in page
    assert "<th>较上季同期</th>" in page and "<th>环比</th>" not in page
    # The lights and property lists of a quarter under way: the month of its last receipt day, not December.
    assert "取工单已到的最后一个月（2025年10月），与上季度的同一个月（2025年7月）比较" in page
    assert "取工单已到的最后一天所在的 2025年10月" in page and "2025年12月" not in page
    # The charts name the window too.
    figures = report_figures(month)
    assert [trace.name for trace in figures["kpis"].data] == ["本期", "上月同期", "去年同期"]
    assert figures["category_rises"].layout.xaxis.title.text == "比上月同期增加（件）"
    assert "上月同期 %{customdata[0]:,}" in figures["category_rises"].data[0].hovertemplate


def test_word_says_what_a_period_under_way_is_compared_with(month):
    import docx

    from onescreen.report_docx import to_docx

    document = docx.Document(io.BytesIO(to_docx(month)))
    text = " ".join(p.text for p in document.paragraphs)
    assert "对比：上月同期（2025-09-01 至 2025-09-16 09:00）；去年同期（2024-10-01 至 2024-10-16 09:00）" in text
    assert "都只比相同的天数" in text
    kpi_head = [c.text for c in document.tables[0].rows[0].cells]
    assert kpi_head == ["指标", "本期", "上月同期", "较上月同期", "去年同期", "较去年同期", "目标", "N"]
    heads = {c.text for t in document.tables for c in t.rows[0].cells}
    assert "上月同期受理量" in heads and "上期受理量" not in heads


def test_json_and_workbook_say_what_a_period_under_way_is_compared_with(month):
    data = json.loads(to_json(month))
    meta = data["meta"]
    assert (meta["data_to"], meta["previous_start"], meta["previous_end"], meta["yoy_start"], meta["yoy_end"]) == (
        "2025-10-16", "2025-09-01", "2025-09-16", "2024-10-01", "2024-10-16")
    assert (meta["previous_label"], meta["against"], meta["yoy_against"]) == (
        "上月同期（2025-09-01 至 2025-09-16 09:00）", "较上月同期", "较去年同期")
    columns = data["sections"]["kpis"]["columns"]
    assert (columns["previous_value"], columns["change"], columns["yoy_change"]) == (  # (the data begin on 2024-10-08)
        "上月同期", "较上月同期变化", "较去年同期变化（去年同期数据不全）")
    assert data["sections"]["category_rises"]["columns"]["previous_ticket_count"] == "上月同期受理量"
    rows = {r["metric"]: r for r in data["sections"]["kpis"]["rows"]}
    assert (rows["ticket_count"]["previous_value"], rows["ticket_count"]["yoy_value"]) == (2, 1)
    assert meta["data_through"] == "2025-10-16 09:00"
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(month)))
    assert [c.value for c in book["关键指标"][1]][3:6] == ["本期", "上月同期", "较上月同期变化"]
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(min_row=2, values_only=True)}
    assert summary["上期"] == "上月同期（2025-09-01 至 2025-09-16 09:00）" and summary["工单受理至"] == "2025-10-16"
    assert summary["工单受理至（时刻）"] == "2025-10-16 09:00"


def test_a_period_whose_days_are_all_in_is_compared_whole(con):
    """Tickets up to its last day: nothing to cut, whatever 数据截至 says (the same rule as the pages')."""
    september = build_report(con, parse_period("2025-09"), generated_at=GENERATED)
    assert september.meta["is_complete"] and "data_to" not in september.meta
    assert _kpis(september).loc["ticket_count", "previous_value"] == _received(con, "2025-08-01", "2025-08-31")
    whole = Comparison(parse_period("2025-09"))
    assert (whole.previous_label, whole.yoy_label, whole.against, whole.sentence()) == ("2025年8月", "2024年9月", "环比", "")
    assert whole.previous_days() == (date(2025, 8, 1), date(2025, 8, 31)) and whole.labels(("change",)) == {}
    assert kpi_headers(september.meta) == KPI_HEADERS


def test_a_quarter_without_tickets_after_one_with_them_is_built(con):
    """No ticket from December 2024 to June 2025: the first quarter of 2025 (district-wide, and street S1 whose
    Y4 was received in November 2024) stopped with a TypeError (100.0 * None). It lies within the loaded months, so
    it received 0 (it read "—", unknown, as a quarter before the data does), and its rates say why they are empty."""
    for area in ({}, {"street_code": "S1"}):
        report = build_report(con, parse_period("2025Q1"), generated_at=GENERATED, **area)
        kpis = _kpis(report)
        previous = kpis.loc["ticket_count", "previous_value"]
        assert previous > 0 and kpis.loc["ticket_count", "value"] == 0
        assert kpis.loc["ticket_count", "change"] == -previous and kpis.loc["ticket_count", "change_pct"] == -100
        assert pd.isna(kpis.loc["response_rate", "value"]) and pd.isna(kpis.loc["response_rate", "change"])
        assert kpis.loc["response_rate", "note"].startswith("本期无工单")
        assert "受理量" in to_html(report, charts=False)


# -- a quarter before which the data begin -----------------------------------------------------------------

def test_a_quarter_against_a_quarter_the_data_begin_inside_says_so():
    """The data begin on 2024-10-08 (Y1): the first quarter of 2025 (five tickets, added here) is compared with the
    fourth of 2024, which began a week before them. Its 受理量 (the four tickets of October and November 2024) was
    taken as the whole quarter's, so the quarter read as a rise of 25%: the review found a quarter before the data
    treated as whole. Now a count's change is withheld and the pack says why; the quarter before still shows its
    figure (4), which is what it is."""
    connection = duckdb.connect()
    build_same_days_warehouse(connection)
    for n, day in enumerate(("2025-01-06", "2025-01-20", "2025-02-10", "2025-03-03", "2025-03-17")):
        connection.execute("insert into fct_tickets select * replace (? as ticket_id, ?::timestamp as received_at) "
                           "from fct_tickets where ticket_id = 'Y1'", [f"Q{n}", f"{day} 10:00"])
    build_marts(connection, load_rules())
    report = build_report(connection, parse_period("2025Q1"), generated_at=GENERATED)
    assert report.previous.is_partial and report.meta["previous_note"] == "上期数据不全（数据自 2024-10-08 起）"
    kpis = _kpis(report)
    assert (kpis.loc["ticket_count", "value"], kpis.loc["ticket_count", "previous_value"]) == (5, 4)
    shown = kpi_display_frame(report.sections["kpis"].frame, previous=report.previous).set_index("指标")
    assert shown.loc["受理量", "上期"] == "4" and shown.loc["受理量", "环比"] == "上期数据不全"  # not +1（+25.0%）
    assert "上期数据不全（数据自 2024-10-08 起）：上期只含 2024-10-08 起受理的工单" in report.sections["kpis"].note
    assert "+1（+25.0%）" not in to_html(report, charts=False)
    # A quarter whose quarter before the data cover whole (the third of 2025 against the second) is as it was.
    assert not build_report(connection, parse_period("2025Q3"), generated_at=GENERATED).previous.note
    connection.close()



# -- a year before that the data begin inside (去年同期) -----------------------------------------------------------

def test_a_change_against_a_year_ago_the_data_begin_inside_says_so_in_every_format(con, month):
    """The data begin on 2024-10-08 (Y1): October 2025's 去年同期, 2024-10-01 to 10-16 09:00, holds a week less than
    it spans. Its one ticket was taken as the whole window's, so 受理量 read +15（+1500.0%） against it and 响应率
    +76.9 个百分点（改善） against a sample of one. As for 上期 (onescreen.coverage): a count's 同比 is withheld, a
    rate's is shown but neither better nor worse, and every format says 去年同期数据不全（数据自 2024-10-08 起）; the
    figures themselves are unchanged."""
    import docx

    from onescreen.report_docx import to_docx

    note = "去年同期数据不全（数据自 2024-10-08 起）"
    assert month.year_ago.is_partial and month.meta["yoy_note"] == note
    kpis = _kpis(month)
    assert (kpis.loc["ticket_count", "yoy_value"], kpis.loc["ticket_count", "yoy_change"]) == (1, 15)  # as they are
    shown = kpi_display_frame(month.sections["kpis"].frame, kpi_headers(month.meta), month.previous,
                              month.year_ago).set_index("指标")
    assert shown.loc["受理量", "去年同期"] == "1" and shown.loc["受理量", "较去年同期"] == "去年同期数据不全"
    assert shown.loc["响应率", "较去年同期"] == "+76.9 个百分点（去年同期数据不全）"  # not （改善）
    assert shown.loc["响应率", "较上月同期"] == "+76.9 个百分点（改善）"  # 上月同期 is whole: judged as before
    assert f"{note}：去年同期只含 2024-10-08 起受理的工单" in month.sections["kpis"].note
    html_report = to_html(month, charts=False)
    assert "+15（+1500.0%）" not in html_report and "<span class=\"empty\">去年同期数据不全</span>" in html_report
    assert f"2024-10-16 09:00），{note}" in html_report  # the header's 对比 line
    document = docx.Document(io.BytesIO(to_docx(month)))
    assert [c.text for c in document.tables[0].rows[1].cells][:6] == ["受理量", "16", "2", "+14（+700.0%）", "1",
                                                                     "去年同期数据不全"]
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(month)))
    assert {row[0].value: row[1].value for row in workbook["概要"].iter_rows(min_row=2)}["去年同期说明"] == note
    header = [c.value for c in workbook["关键指标"][1]]
    assert "较去年同期变化（去年同期数据不全）" in header and "去年同期（去年同期数据不全）" in header
    assert json.loads(to_json(month))["meta"]["yoy_note"] == note


def test_a_period_whose_year_ago_lies_before_the_data_says_there_is_nothing_to_compare_with(con):
    """September 2025 against September 2024, wholly before the data (2024-10-08): its 同比 said "—" as for any missing
    figure; it now says 无去年同期数据, and the header and the key figures' note say from when the data run. November
    2025, whose 去年同期 the data cover whole, says nothing of the kind."""
    report = build_report(con, parse_period("2025-09"), generated_at=GENERATED)
    assert report.year_ago.is_missing and report.meta["yoy_note"] == "无去年同期数据（数据自 2024-10-08 起）"
    shown = kpi_display_frame(report.sections["kpis"].frame, previous=report.previous, year_ago=report.year_ago)
    assert set(shown["同比"]) == {"无去年同期数据"}
    assert "无去年同期数据（数据自 2024-10-08 起）：去年同期在已导入的数据之前" in report.sections["kpis"].note
    assert to_html(report, charts=False).count("无去年同期数据（数据自 2024-10-08 起）") == 2  # header and note


# -- a complete pack is unchanged ----------------------------------------------------------------------

def complete_pack_files(report) -> dict[str, str]:
    """The files of ``report`` to compare: the JSON and the HTML without charts (the charts inline plotly.js) as
    text, and the SHA-256 of the parts of the Word and Excel files that hold the pack (the document, the sheets
    and their strings; the zip's timestamps and the files' creation times aside)."""
    from onescreen.report_docx import to_docx

    report.meta["built_at"] = datetime(2025, 10, 16, 20, 0)  # (the fixture's marts are built at each run)
    files = {"json": to_json(report), "html": to_html(report, charts=False)}
    for fmt, data in (("docx", to_docx(report)), ("xlsx", to_xlsx(report))):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in sorted(archive.namelist()):
                if name in ("word/document.xml", "xl/sharedStrings.xml") or name.startswith("xl/worksheets/"):
                    files[f"{fmt}/{name}"] = hashlib.sha256(archive.read(name)).hexdigest()
    return files


COMPLETE = ("2025-09", "2025Q3", "2025-W41")


@pytest.mark.parametrize("code", COMPLETE)
def test_a_complete_pack_is_unchanged(con, code):
    """Files written by the code before packs under way compared like for like (tests/fixtures/report_complete/,
    written by ``python tests/test_report_same_days.py``): a period that is over reads exactly as it did."""
    report = build_report(con, parse_period(code), generated_at=GENERATED)
    assert report.meta["is_complete"]
    expected = json.loads((GOLDEN / f"{code}.json").read_text(encoding="utf-8"))
    files = complete_pack_files(report)
    assert sorted(files) == sorted(expected)
    for name, text in files.items():
        assert text == expected[name], name


if __name__ == "__main__":  # write the expected files of test_a_complete_pack_is_unchanged
    GOLDEN.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    build_same_days_warehouse(connection)
    for code in COMPLETE:
        built = build_report(connection, parse_period(code), generated_at=GENERATED)
        (GOLDEN / f"{code}.json").write_text(json.dumps(complete_pack_files(built), ensure_ascii=False, indent=1),
                                             encoding="utf-8")


# -- the page --------------------------------------------------------------------------------------------

def test_the_page_says_what_a_pack_under_way_is_compared_with(warehouse_copy):
    """The fixture district: 数据截至 Fri 2025-10-10 15:00, the last ticket received on Thu 10-09. The October pack
    compares its days to the 9th (the last receipt day, as the pages' filters do, not 数据截至's)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.query_params["report"] = "2025-10"
    at.run()
    at.switch_page("app_pages/weekly.py")
    at.run()
    assert [e.value for e in at.exception] == [] and not at.error
    last = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        last_day = last.execute("select max(received_at)::date from fct_tickets").fetchone()[0]
    finally:
        last.close()
    assert last_day == date(2025, 10, 9)
    caption = next(c.value for c in at.caption if "数据截至" in c.value)
    # (数据截至 is Friday 15:00: Thursday, the last receipt day, is over, so whole days)
    assert ("对比：上月同期（2025-09-01 至 2025-09-09）、去年同期（2024-10-01 至 2024-10-09） · "
            "本周期尚未结束（工单只到 2025-10-09），与相同天数比较") in caption
    assert "上期：" not in caption
    kpis = next(d.value for d in at.dataframe if "指标" in d.value.columns)
    assert list(kpis.columns) == ["指标", "本期", "上月同期", "较上月同期", "去年同期", "较去年同期", "目标", "N"]
