"""The review pack (周报 / 月分析 / 季调度): its figures for one ISO week, month or quarter, as plain data.

    period = parse_period("2025-W41")           # or "2025-10", "2025Q4"; ReportError on anything else
    with db.connect() as cur:
        report = build_report(cur, period)      # a cursor, or any Source (named queries + small SQL)

Every number comes from the named queries (``onescreen/queries.py``) over the marts, never from a second
definition, so it equals what the other pages show for the same period and area:

- A week or a month is one mart period: its figures are taken from the query as they are.
- A quarter is not a mart period. It is its three months: counts, numerators and denominators of the
  monthly rows are added and each rate is then 100 × numerator ÷ denominator, the formula of the marts
  applied to the sums (a mean of monthly rates would weigh a quiet month like a busy one).
- A period not over yet (tickets stop before its last day) is compared like for like, as the pages compare
  a week or month under way: its days so far against the same days of the period before and of a year
  before (:func:`same_days`), every figure from the day rows (``kpi_tiles_range`` and the other span
  queries, ``compare_to`` = the period's kind), a quarter's too.
- Lights and the property lists are kept per week or month only: a quarter shows its last month against
  the last month of the previous quarter; the property lists are monthly, so every pack shows the month
  its last day falls in against the month before. A quarter under way shows the month of its last receipt
  day instead (against the same month of the quarter before; its lists against the month before), not a
  month to come. Neither is cut to the same days: they are rated per whole period, as on the pages.

Pure functions of a DuckDB cursor and their arguments: no Streamlit. Renderers are in
``onescreen/report_render.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

import duckdb
import pandas as pd

from onescreen import area as area_names
from onescreen import measures, settings
from onescreen.coverage import Coverage, coverage, days_coverage, rank_moves_note, streak_at_least, streak_note
from onescreen.koujing import LABELS, koujing
from onescreen.queries import QueryError, cut_time, range_bounds, run_query, window_label, window_params
from onescreen.rules import rules_of_marts

KINDS: dict[str, str] = {"week": "周报", "month": "月报", "quarter": "季报"}
KPI_METRICS = ("ticket_count", "response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate",
               "closure_rate", "overdue_count", "near_deadline_count", "avg_handling_workdays",
               "property_complaint_count", "whistle_count", "consultation_count")
TREND_PERIODS = 12
# The measures that wait for tickets to close: a change against a window still being handled is not judged
# (kpi_tiles' is_provisional; the same list there).
SETTLING_METRICS = ("on_time_rate", "closure_rate", "overdue_count", "near_deadline_count", "avg_handling_workdays")
# The measures that wait for callbacks (回访): not judged while more than 1% of a window's tickets may still get one.
CALLBACK_METRICS = measures.CALLBACK_METRICS
TOP_N = 10
OLDEST_N = 20
YELLOW_N = 20  # yellow grids listed (a big district has dozens; the red ones are all listed)
OPEN_TICKET_COLUMNS = ("ticket_id", "received_at", "due_at", "is_overdue", "overdue_workdays", "remaining_workdays", "status",
                       "source", "appeal_type", "category_l1", "category_l2", "department", "street_name",
                       "community_name", "grid_name", "address")
LIGHT_NAMES = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "grey": "无数据"}
LIST_NAMES = {"red": "红榜", "black": "黑榜"}
_QUARTER_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}

# Chinese column headers for every column a section can have (renderers and the page use these).
COLUMN_LABELS: dict[str, str] = {
    "metric": "指标代码", "label": "指标", "unit": "单位", "value": "本期", "previous_value": "上期",
    "change": "环比变化", "change_pct": "环比变化（%）", "yoy_value": "去年同期", "yoy_change": "同比变化",
    "yoy_change_pct": "同比变化（%）", "target": "目标", "numerator": "分子", "denominator": "分母",
    "pending_count": "本期在办且未到期", "is_provisional": "本期未结清（环比暂不评判）",
    "is_previous_provisional": "上期未结清（环比暂不评判）", "awaiting_callback_count": "本期回访未完",
    "period_start": "周期起始", "ticket_count": "受理量", "response_rate": "响应率（%）",
    "resolution_rate": "解决率（%）", "satisfaction_rate": "满意率（%）", "on_time_rate": "按期办结率（%）",
    "overdue_count": "超期", "callback_pending": "回访未完", "light": "灯色代码", "light_label": "灯", "grid_count": "网格数",
    "previous_grid_count": "上期网格数", "move": "变化", "grid_code": "网格编号", "grid_name": "网格",
    "community_name": "社区", "street_name": "街道", "previous_light": "上期灯", "light_reason": "亮灯依据",
    "on_time_denominator": "N（到期或办结）",
    "consecutive_red_periods": "连续红灯期数", "consecutive_yellow_periods": "连续黄灯期数",
    "near_deadline_count": "临期", "company_name": "物业企业", "list": "本月榜单",
    "previous_list": "上月榜单", "rank": "本月名次", "previous_rank": "上月名次", "rank_change": "名次变化",
    "score": "总分", "complaints_per_1k_households": "每千户投诉量", "consecutive_black_months": "连续上黑榜月数",
    "is_black_streak_at_least": "连续月数可能更长",
    "month_start": "月份", "category_l1": "一级分类", "unit_name": "单位", "previous_ticket_count": "上期受理量",
    "ticket_id": "工单编号", "received_at": "受理时间", "due_at": "办理时限", "is_overdue": "是否超期",
    "overdue_workdays": "超期（工作日）", "remaining_workdays": "剩余（工作日）", "status": "工单状态", "source": "诉求来源", "appeal_type": "诉求类型",
    "category_l2": "二级分类", "department": "承办单位", "address": "地址（至门牌号或小区）", "item": "项目",
    "count": "件数", "share": "占比（%）", "note": "说明", "key": "项目代码", "text": "口径",
    "caller": "来电人", "repeat_count": "重复（件）", "shortest_gap_days": "最短间隔（天）",
    "first_ticket_id": "原诉求工单", "first_received_at": "原诉求受理", "last_ticket_id": "最近工单",
    "last_received_at": "最近受理",
}


class Source(Protocol):
    """Where the figures come from: named queries and small aggregates without personal data.

    :class:`CursorSource` runs them on a DuckDB cursor (command line, tests); the 周报 page passes one
    that goes through ``onescreen.data`` (cached, limited to the user's scope and tier).
    """

    def query(self, name: str, **params: Any) -> pd.DataFrame: ...

    def sql(self, statement: str, params: list | None = None) -> pd.DataFrame: ...

    # Optional: ``run_together(jobs)``, the jobs' results in order, run at once (see :func:`_run_sections`).


@dataclass(frozen=True)
class CursorSource:
    """A :class:`Source` on one DuckDB cursor or connection to the warehouse."""

    con: duckdb.DuckDBPyConnection

    def query(self, name: str, **params: Any) -> pd.DataFrame:
        return run_query(self.con, name, **params)

    def sql(self, statement: str, params: list | None = None) -> pd.DataFrame:
        return self.con.execute(statement, list(params or [])).df()


def as_source(source) -> Source:
    """``source`` itself, or a :class:`CursorSource` when it is a DuckDB connection or cursor."""
    return CursorSource(source) if isinstance(source, duckdb.DuckDBPyConnection) else source


class ReportError(ValueError):
    """A period or area the report cannot be made for; the message is Chinese and says how to fix it."""


@dataclass(frozen=True)
class Period:
    """One ISO week (Monday to Sunday), calendar month or calendar quarter, from ``start``."""

    kind: str
    start: date

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(self.kind)
        start = self.start
        if self.kind == "week":
            start = start - timedelta(days=start.weekday())
        elif self.kind == "month":
            start = start.replace(day=1)
        else:
            start = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
        object.__setattr__(self, "start", start)

    @property
    def end(self) -> date:
        """The day after the last day."""
        return self.shift(1).start

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def shift(self, n: int) -> Period:
        """The period ``n`` periods later (earlier when negative)."""
        if self.kind == "week":
            return Period("week", self.start + timedelta(weeks=n))
        months = n * (3 if self.kind == "quarter" else 1)
        return Period(self.kind, _add_months(self.start, months))

    def previous(self) -> Period:
        return self.shift(-1)

    def year_before(self) -> Period:
        """The same period a year earlier; for a week 52 weeks earlier, as ``kpi_tiles`` compares."""
        return Period(self.kind, self.start - timedelta(weeks=52)) if self.kind == "week" else self.shift(
            -4 if self.kind == "quarter" else -12)

    def months(self) -> list[date]:
        """The first days of the months a month or quarter consists of (a week: its month)."""
        if self.kind == "week":
            return [self.start.replace(day=1)]
        return [_add_months(self.start, i) for i in range(3 if self.kind == "quarter" else 1)]

    @property
    def code(self) -> str:
        """``2025-W41`` / ``2025-10`` / ``2025Q4``: what the command line takes."""
        if self.kind == "week":
            iso = self.start.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"

    @property
    def label(self) -> str:
        """``2025年第41周（10月6日至10月12日）`` / ``2025年10月`` / ``2025年第四季度``. A week running into another year
        names both years: ``2026年第1周（2025年12月29日至2026年1月4日）`` (12月29日 alone reads as a day of 2026)."""
        if self.kind == "week":
            iso, last = self.start.isocalendar(), self.last_day
            if self.start.year == last.year == iso.year:
                return f"{iso.year}年第{iso.week}周（{self.start.month}月{self.start.day}日至{last.month}月{last.day}日）"
            return (f"{iso.year}年第{iso.week}周（{self.start.year}年{self.start.month}月{self.start.day}日至"
                    f"{last.year}年{last.month}月{last.day}日）")
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.year}年第{_QUARTER_NAMES[(self.start.month - 1) // 3 + 1]}季度"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})\s*-?Q([1-4])$", re.IGNORECASE)
_EXAMPLES = {"week": "ISO 周，如 2025-W41（2025 年第 41 周）", "month": "月份，如 2025-10",
             "quarter": "季度，如 2025Q4"}


def parse_period(text: str, kind: str | None = None) -> Period:
    """``2025-W41`` -> that ISO week, ``2025-10`` -> October 2025, ``2025Q4`` -> the fourth quarter.

    With ``kind`` only that form is accepted. Raises :class:`ReportError` naming the expected form.
    """
    value = str(text).strip()
    forms = [kind] if kind else list(KINDS)
    for form in forms:
        match = {"week": _WEEK, "month": _MONTH, "quarter": _QUARTER}[form].match(value)
        if not match:
            continue
        year, number = int(match.group(1)), int(match.group(2))
        try:
            if form == "week":
                return Period("week", date.fromisocalendar(year, number, 1))
            if form == "month":
                return Period("month", date(year, number, 1))
            return Period("quarter", date(year, 3 * number - 2, 1))
        except ValueError:
            break
    expected = "；".join(_EXAMPLES[f] for f in forms)
    raise ReportError(f"无法识别的周期 “{value}”：应为{expected}。")


def data_span(source) -> tuple[datetime, date] | None:
    """(数据截至, first receipt date) of the warehouse, or None when it holds no tickets or no marts."""
    src = as_source(source)
    try:
        meta = src.query("as_of")
    except QueryError:  # the marts have not been built yet
        return None
    if meta.empty or pd.isna(meta.iloc[0]["as_of"]):
        return None
    first = src.sql("select min(received_at)::date as first_date from fct_tickets").iloc[0]["first_date"]
    if first is None or pd.isna(first):
        return None
    first = pd.Timestamp(first).date()
    return pd.Timestamp(meta.iloc[0]["as_of"]).to_pydatetime(), first


def default_period(as_of: datetime, kind: str = "week", first: date | None = None) -> Period:
    """The last period of ``kind`` that ended by ``as_of`` (数据截至, not the clock).

    When that period ends before the first ticket (the data are younger than one period), the period
    containing ``as_of`` is returned instead: an incomplete period is better than an empty one.
    """
    current = Period(kind, as_of.date())
    complete = current if datetime.combine(current.end, datetime.min.time()) <= as_of else current.previous()
    if first is not None and complete.end <= first:
        return current
    return complete


def period_options(as_of: datetime, first: date, kind: str) -> list[Period]:
    """Every period of ``kind`` from the one holding ``first`` to the one holding ``as_of``, newest first."""
    options, period, oldest = [], Period(kind, as_of.date()), Period(kind, first)
    while period.start >= oldest.start:
        options.append(period)
        period = period.previous()
    return options


SAME_DAYS_WORDS = {"week": "上周同期", "month": "上月同期", "quarter": "上季同期"}


def same_days(source, period: Period, as_of: datetime) -> Comparison:
    """What ``period`` is compared with (:class:`Comparison`). A period still under way (its tickets stop before
    its last day: counted on receipt days, as ``Filters.data_to`` is, not on the clock) compares its days so far,
    its last day up to the time of the last receipt (``until``), with the same days of the period before and of a
    year before; a whole period, with the whole of both."""
    if datetime.combine(period.end, datetime.min.time()) <= as_of:
        return Comparison(period)
    # (the statement of onescreen.data.ticket_span and last_receipt, word for word: on the page, one cached lookup)
    last = as_source(source).sql("select min(received_at) as first, max(received_at) as last from fct_tickets").iloc[0]["last"]
    if last is None or pd.isna(last):
        return Comparison(period)
    last = pd.Timestamp(last).to_pydatetime()
    if last.date() >= period.last_day:
        return Comparison(period)
    if last.date() < period.start:  # a later callback can move 数据截至 into a period no ticket was received in yet
        return Comparison(period, period.start)
    return Comparison(period, last.date(), cut_time(last, as_of))


@dataclass(frozen=True)
class Comparison:
    """What a pack compares its period with: the whole period before and the same period a year before; or, for
    a period under way (``data_to``, its last receipt day), the same days of both: a week's days so far with
    the same days of the week before and of 52 weeks before, a month's or quarter's with the same dates of the one
    before (a day past that month's end cut to it) and a year before (``range_bounds``)."""

    period: Period
    data_to: date | None = None
    until: time | None = None  # the time the tickets of data_to stop at (range_bounds' until); None: the whole day

    @property
    def is_same_days(self) -> bool:
        return self.data_to is not None

    def bounds(self) -> dict[str, date]:
        """The current, previous and year-ago windows (ends exclusive) of a period under way."""
        return range_bounds(self.period.start, self.data_to, self.period.kind, self.until)

    def previous_days(self) -> tuple[date, date]:
        """The first and last day (both included) of the window compared with as 上期."""
        if not self.is_same_days:
            return self.period.previous().start, self.period.previous().last_day
        bounds = self.bounds()
        return bounds["previous_start"], _last_day(bounds["previous_end"])

    def yoy_days(self) -> tuple[date, date]:
        """The first and last day (both included) of the window compared with as 去年同期."""
        if not self.is_same_days:
            return self.period.year_before().start, self.period.year_before().last_day
        bounds = self.bounds()
        return bounds["yoy_start"], _last_day(bounds["yoy_end"])

    def previous_window(self) -> dict[str, Any]:
        """``start``/``end`` (and ``until``) of a span query over the window compared with as 上期."""
        if not self.is_same_days:
            return {"start": self.period.previous().start, "end": self.period.previous().last_day}
        bounds = self.bounds()
        return window_params(bounds["previous_start"], bounds["previous_end"])

    @property
    def previous_word(self) -> str:
        """``上期``, or ``上月同期`` (``上周同期``, ``上季同期``) for a period under way."""
        return SAME_DAYS_WORDS[self.period.kind] if self.is_same_days else "上期"

    @property
    def against(self) -> str:
        """A change against the previous window: ``环比``, or ``较上月同期``."""
        return f"较{self.previous_word}" if self.is_same_days else "环比"

    @property
    def yoy_against(self) -> str:
        return "较去年同期" if self.is_same_days else "同比"

    @property
    def previous_label(self) -> str:
        """``2025年9月``, or ``上月同期（2025-09-01 至 2025-09-16）``."""
        if not self.is_same_days:
            return self.period.previous().label
        bounds = self.bounds()
        return f"{self.previous_word}（{window_label(bounds['previous_start'], bounds['previous_end'])}）"

    @property
    def yoy_label(self) -> str:
        if not self.is_same_days:
            return self.period.year_before().label
        bounds = self.bounds()
        return f"去年同期（{window_label(bounds['yoy_start'], bounds['yoy_end'])}）"

    def sentence(self) -> str:
        """What a period under way is compared with, in one sentence (empty for a whole period)."""
        if not self.is_same_days:
            return ""
        return (f"本期尚未结束（工单只到 {self.data_through}），本期 {_days_label(self.period.start, self.data_to)} "
                f"与{self.previous_label}、{self.yoy_label}的相同天数比较"
                + ("（最后一天都只到同一时刻）。" if self.until else "。"))

    @property
    def data_through(self) -> str:
        """``2025-10-09 20:40`` (the last receipt's minute), or ``2025-10-09`` when the day is whole."""
        if self.until is None:
            return f"{self.data_to:%Y-%m-%d}"
        return f"{datetime.combine(self.data_to, self.until) - timedelta(seconds=1):%Y-%m-%d %H:%M}"

    def labels(self, columns: tuple[str, ...]) -> dict[str, str]:
        """The column headers (of ``columns``) that name the previous window or a change against it."""
        if not self.is_same_days:
            return {}
        word = self.previous_word
        every = {"previous_value": word, "change": f"较{word}变化", "change_pct": f"较{word}变化（%）",
                 "yoy_change": "较去年同期变化", "yoy_change_pct": "较去年同期变化（%）",
                 "is_provisional": "本期未结清（变化暂不评判）", "is_previous_provisional": f"{word}未结清（变化暂不评判）",
                 "previous_ticket_count": f"{word}受理量"}
        return {c: every[c] for c in columns if c in every}


def _days_label(first: date, last: date) -> str:
    """``2025-10-01 至 2025-10-15`` (both days included), as ``onescreen.filters.range_label``."""
    return f"{first:%Y-%m-%d} 至 {last:%Y-%m-%d}"


def _last_day(end: date) -> date:
    """The last day of a window of ``range_bounds`` whose ``end`` is exclusive: a day, or a time of that last day."""
    return end.date() if isinstance(end, datetime) else end - timedelta(days=1)


@dataclass
class Section:
    """One part of the pack: a title, a small frame (English column names) and a note for the reader."""

    key: str
    title: str
    frame: pd.DataFrame
    note: str = ""
    # Column headers of this section that differ from COLUMN_LABELS (a period under way: 上月同期, not 上期).
    labels: dict[str, str] = field(default_factory=dict)
    # What a reader sees when the frame has no rows, if not the section's usual sentence (report_render.EMPTY_TEXTS).
    empty: str = ""

    def column_label(self, column: str) -> str:
        """The Chinese header of ``column`` in this section."""
        return self.labels.get(column) or COLUMN_LABELS.get(column, column)


@dataclass
class Report:
    """The pack: ``meta`` (period, area, 数据截至, rules digest) and its sections in reading order."""

    period: Period
    meta: dict[str, Any]
    sections: dict[str, Section] = field(default_factory=dict)
    # How much of the window compared with (上期, or 上月同期) the data cover (onescreen.coverage): the renderers
    # write a change against a window the data cover in part, or miss, as such.
    previous: Coverage = field(default_factory=Coverage)
    # The same of the window the 同比 compares with (去年同期): in the data's first year it begins before them.
    year_ago: Coverage = field(default_factory=lambda: Coverage(word="去年同期"))

    def add(self, key: str, title: str, frame: pd.DataFrame, note: str = "", labels: dict[str, str] | None = None,
            empty: str = "") -> None:
        self.sections[key] = Section(key, title, frame.reset_index(drop=True), note, dict(labels or {}), empty)


def _run_sections(src: Source, jobs: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Each job's result: a section's tables, built from its own queries. A source with ``run_together`` (the 周报
    page's: every query on a cursor of its own) runs them two at a time: DuckDB plans a query on one thread and
    releases the GIL while it works, so two sections' queries overlap (a cold 周报 at 5M tickets: its 17 queries
    0.20 s one after another, 0.13-0.15 s two at a time). A cursor source runs them in turn (a DuckDB cursor is not
    shared between threads)."""
    together = getattr(src, "run_together", None)
    results = together(list(jobs.values())) if together else [job() for job in jobs.values()]
    return dict(zip(jobs, results))


def build_report(source, period: Period, *, street_code: str | None = None,
                 community_code: str | None = None, top_n: int = TOP_N, oldest_n: int = OLDEST_N,
                 yellow_n: int = YELLOW_N, generated_at: datetime | None = None) -> Report:
    """Compute the pack for ``period`` over the district, or one street or community.

    Raises :class:`ReportError` when the warehouse has no marts yet, the period lies outside the data,
    or the area code is unknown.
    """
    src = as_source(source)
    span = data_span(src)
    if span is None:
        raise ReportError(f"数据仓库中还没有工单和指标：请先运行 {settings.no_data_advice()}。")
    as_of, first = span
    if period.start > as_of.date() or period.end <= first:
        raise ReportError(f"{period.label}（{period.code}）不在数据范围内：已导入的工单从 {first:%Y-%m-%d} "
                          f"受理起，数据截至 {as_of:%Y-%m-%d %H:%M}。")
    scope, scope_name = _scope(src, street_code, community_code)
    meta_row = src.query("mart_rules").iloc[0]
    rules = rules_of_marts(meta_row["rules_json"])
    compare = same_days(src, period, as_of)
    report = Report(period, {
        "title": f"{scope_name}{KINDS[period.kind]}",
        "kind": period.kind, "kind_label": KINDS[period.kind], "period_code": period.code,
        "period_label": period.label, "period_start": period.start, "period_end": period.last_day,
        "previous_label": compare.previous_label, "yoy_label": compare.yoy_label,
        "scope_level": "community" if community_code else "street" if street_code else "district",
        "scope_code": community_code or street_code or "all", "scope_name": scope_name,
        "as_of": as_of, "is_complete": datetime.combine(period.end, datetime.min.time()) <= as_of,
        # The period began before the first ticket loaded: its counts cover only the days from then on.
        "data_from": first if period.start < first else None,
        "built_at": pd.Timestamp(meta_row["built_at"]).to_pydatetime(), "rules_digest": meta_row["rules_digest"],
        "generated_at": (generated_at or datetime.now()).replace(microsecond=0),
    })
    # The window compared with may begin before the data do (a quarter whose quarter before began before the first
    # ticket): its counts are short, and its rates are of another sample.
    report.previous = days_coverage(*compare.previous_days(), first)
    if report.previous.note:  # (only then: the files of a pack compared with whole data stay as they were)
        report.meta["previous_note"] = report.previous.note
    report.year_ago = days_coverage(*compare.yoy_days(), first, "去年同期")
    if report.year_ago.note:
        report.meta["yoy_note"] = report.year_ago.note
    if compare.is_same_days:  # (only then: a whole period's files stay as they were)
        (previous_first, previous_last), (yoy_first, yoy_last) = compare.previous_days(), compare.yoy_days()
        report.meta.update({
            "data_to": compare.data_to, "data_through": compare.data_through,
            "previous_word": compare.previous_word, "against": compare.against,
            "yoy_against": compare.yoy_against, "previous_start": previous_first, "previous_end": previous_last,
            "yoy_start": yoy_first, "yoy_end": yoy_last})
    word = compare.previous_word
    previous = report.previous
    unit_level = "grid" if community_code else "community"
    oldest_note = (f"数据截至时仍未办结（不含已退单）、在本期结束前受理的工单，最多 {oldest_n} 张：已超期的在前（超期的工作日多的在前），"
                   "其后为尚未到期的（受理早的在前，“剩余”为距办理时限的工作日）。"
                   "不含来电人、电话和诉求内容；地址只到门牌号或小区（不含楼栋、单元、层、室）。")

    def oldest_job() -> tuple[pd.DataFrame, str]:
        try:
            return oldest_open(src, period, scope, oldest_n), oldest_note
        except QueryError as error:  # a source that may not list tickets (the big-screen tier) says so
            return pd.DataFrame(columns=list(OPEN_TICKET_COLUMNS)), str(error)

    # The sections' queries, independent of each other (the longest first); the tables are added below in order.
    built = _run_sections(src, {
        "unit_rises": lambda: volume_rises(src, period, scope, unit_level, top_n, compare),
        "oldest_open": oldest_job,
        "kpis": lambda: kpi_table(src, period, scope, compare),
        "lights": lambda: light_tables(src, period, scope, compare.data_to, first),
        "repeat_callers": lambda: repeat_callers(src, period, scope, top_n, compare, previous),
        "companies": lambda: company_tables(src, period, compare.data_to, first),
        "category_rises": lambda: volume_rises(src, period, scope, "category", top_n, compare),
        "yellow": lambda: yellow_table(src, period, scope, yellow_n, compare.data_to, first),
        "trend": lambda: trend_table(src, period, scope, (first, as_of.date())),
    })
    kpis = built["kpis"]
    report.add("kpis", f"关键指标：本期、{word}与去年同期", kpis,
               compare.sentence() + "率为 0-100 的百分数，变化为百分点；件数另给变化百分比。状态（办结、超期）为数据截至时的状态。"
               + settling_sentence(kpis, word) + missing_sentence(kpis) + previous.sentence() + report.year_ago.sentence(),
               coverage_labels(kpis, compare, previous, report.year_ago))
    trend = built["trend"]
    report.add("trend", f"近 {TREND_PERIODS} {'周' if period.kind == 'week' else '个月'}走势", trend,
               (TREND_EMPTY_RATES if trend[list(TREND_RATES)].isna().to_numpy().any() else "")
               + (TREND_CALLBACK_PENDING if (trend["callback_pending"] == "是").any() else ""))
    counts, changes, light_note = built["lights"]
    # This period's lights still move while its tickets are in hand (a quarter's lights are its last month's).
    if period.kind != "quarter" and _any_flag(kpis, "is_provisional", SETTLING_METRICS):
        light_note += "本期仍有工单在办且未到期，亮灯会随它们办结而变化（见关键指标的说明）。"
    if compare.is_same_days:
        light_note += ("该月尚未结束，其灯色按已受理的工单评定，与上季度那个月整月的灯色比较。" if period.kind == "quarter"
                       else "亮灯按整期评定：本期尚未结束，其灯色按已受理的工单评定，与上期整期的灯色比较。")
    report.add("light_counts", "网格亮灯：各色网格数", counts, light_note)
    report.add("light_changes", "红灯网格：转红、持续与恢复", changes,
               light_note + "列出本期全部红灯网格和红灯恢复的网格。“转红”：本期红灯、上期不是红灯；“持续”：本期、上期都是红灯"
               "（按连续红灯期数从多到少）；“恢复”：上期红灯、本期为绿灯或黄灯。")
    yellow, yellow_sentence = built["yellow"]
    report.add("yellow_lights", "黄灯网格：转黄与持续", yellow,
               light_note + yellow_sentence + "黄灯为预警：按期办结率低于黄灯阈值，或有超期、临期工单（未到红灯）。"
               "“转黄”：本期刚亮黄灯，前一期不是黄灯（前一期为红灯的，也在上表“恢复”中）；“持续”：已连续两期或更久亮黄灯，"
               "期数截至本期计（季报按月计）。")
    lists, moves, list_note, withheld = built["companies"]
    report.add("company_moves", "物业红黑榜变动", moves, list_note, empty=withheld)
    report.add("company_lists", "物业红黑榜（本月）", lists, list_note)
    against = compare.previous_label if compare.is_same_days else "上期"
    # Against a window the data cover in part, every unit rises: the rises are listed, said to be against short counts.
    short = (f"{previous.note}：{word}只含其后受理的工单，以下的增加多半由此而来，不能说明受理量上升。"
             if previous.is_partial else "")
    rises = built["category_rises"]
    report.add("category_rises", "受理量增幅最大的诉求分类", rises,
               f"与{against}相比受理量增加最多的前 {top_n} 个一级分类（只列增加的）。" + short,
               coverage_labels(rises, compare, previous))
    rises = built["unit_rises"]
    report.add("unit_rises", f"受理量增幅最大的{'网格' if community_code else '社区'}", rises,
               f"与{against}相比受理量增加最多的前 {top_n} 个{'网格' if community_code else '社区'}（只列增加的）。" + short,
               coverage_labels(rises, compare, previous))
    oldest, oldest_note = built["oldest_open"]
    report.add("oldest_open", "最久未办结的工单", oldest, oldest_note)
    escalation, escalation_note = escalation_table(src, period, scope, kpis, rules)
    report.add("escalation", "办结层级、吹哨报到、联合会商与未诉先办", escalation, escalation_note)
    repeats, repeat_note = built["repeat_callers"]
    report.add("repeat_callers", "重复诉求：反复来电的来电人", repeats, repeat_note)
    report.add("koujing", "口径", koujing_table(rules, compare.is_same_days))
    return report


# The columns that hold the window compared with's figures or a change against it (their headers are marked when
# the data cover that window in part).
COMPARED_COLUMNS = ("previous_value", "change", "change_pct", "previous_ticket_count")
YEAR_AGO_COLUMNS = ("yoy_value", "yoy_change", "yoy_change_pct")


def coverage_labels(frame: pd.DataFrame, compare: Comparison, previous: Coverage,
                    year_ago: Coverage | None = None) -> dict[str, str]:
    """A section's column headers for its comparison (:meth:`Comparison.labels`), those of the window compared with
    and of the changes against it marked ``（上期数据不全）`` when the data cover that window in part (a workbook's
    reader sees the mark over the numbers, which are what they are); those of 去年同期 and the 同比 changes
    ``（去年同期数据不全）`` likewise by ``year_ago``."""
    labels = compare.labels(tuple(frame.columns))
    for window, columns in ((previous, COMPARED_COLUMNS), (year_ago, YEAR_AGO_COLUMNS)):
        if window is not None and window.is_partial:
            labels.update({c: f"{labels.get(c) or COLUMN_LABELS[c]}（{window.mark}）" for c in columns if c in frame.columns})
    return labels


def _scope(src: Source, street_code: str | None, community_code: str | None) -> tuple[dict[str, str], str]:
    """The area as query parameters and its name (``全区``, or the street on a one-street warehouse / the street /
    the community)."""
    if community_code:
        row = src.sql("select community_name from dim_communities where community_code = ?", [community_code])
        if row.empty:
            raise ReportError(f"没有编号为 {community_code} 的社区：社区编号见 dim_communities。")
        return {"community_code": community_code}, _none(row.iloc[0, 0]) or community_code
    if street_code:
        row = src.sql("select street_name from dim_streets where street_code = ?", [street_code])
        if row.empty:
            raise ReportError(f"没有编号为 {street_code} 的街道：街道编号见 dim_streets。")
        return {"street_code": street_code}, _none(row.iloc[0, 0]) or street_code
    return {}, area_names.whole_area_name(area_names.streets(src.sql))


def _pct(numerator, denominator) -> float | None:
    """The marts' rate formula, ``100.0 * numerator / nullif(denominator, 0)``, on summed counts; None when either
    is unknown (a quarter without tickets has no value to compare)."""
    if numerator is None or denominator is None or pd.isna(numerator) or pd.isna(denominator) or denominator == 0:
        return None
    return 100.0 * numerator / denominator


def _none(value):
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def settling_sentence(kpis: pd.DataFrame, previous_word: str = "上期") -> str:
    """Why some changes say 暂不评判 (empty when none does): the windows still being handled (``previous_word``:
    what the previous window is called, ``上期`` or ``上月同期``)."""
    return "".join(_waiting_sentence(kpis, previous_word, metrics, column, text) for metrics, column, text in (
        (SETTLING_METRICS, "pending_count",
         "{which}仍有超过受理量 1% 的工单在办且未到期{count}：按期办结率、办结率、平均办理时长、超期、临期"
         "会随这些工单办结而变化（未办完的时段里先办结的多是简单件，数字偏好看），这几项的变化暂不评判好坏。"),
        (CALLBACK_METRICS, "awaiting_callback_count",
         "{which}回访未完：超过受理量 1% 的工单仍在办理或办结不满回访期、尚无回访结果{count}，"
         "解决率、满意率会随回访到来而变化，其变化暂不评判好坏。")))


def _waiting_sentence(kpis: pd.DataFrame, previous_word: str, metrics: tuple[str, ...], column: str,
                      text: str) -> str:
    """``text`` with the windows in which ``metrics`` still move and the current window's ``column`` count; empty
    when neither window does."""
    which = _settling_windows(kpis, metrics, previous_word)
    return text.format(which=which, count=_current_count(kpis, which, column)) if which else ""


def _settling_windows(kpis: pd.DataFrame, metrics: tuple[str, ...], previous_word: str) -> str:
    """Which windows still move for ``metrics``: ``本期``, ``previous_word``, both, or empty when neither."""
    current = _any_flag(kpis, "is_provisional", metrics)
    previous = _any_flag(kpis, "is_previous_provisional", metrics)
    return (f"本期和{previous_word}" if current and previous else "本期" if current
            else previous_word if previous else "")


def _current_count(kpis: pd.DataFrame, which: str, column: str) -> str:
    """``（本期 N 件）`` from the first row's ``column`` when the current window is among ``which``."""
    value = _none(kpis[column].iloc[0]) if which.startswith("本期") and len(kpis) and column in kpis else None
    return f"（本期 {value:,.0f} 件）" if value else ""


def _any_flag(kpis: pd.DataFrame, column: str, metrics: tuple[str, ...] | None = None) -> bool:
    rows = kpis if metrics is None or "metric" not in kpis else kpis[kpis["metric"].isin(metrics)]
    return bool(rows[column].fillna(False).astype(bool).any())


def kpi_table(src: Source, period: Period, scope: dict[str, str], compare: Comparison | None = None) -> pd.DataFrame:
    """One row per KPI: value, previous period, same period last year, changes, target, N.

    A week or month is ``kpi_tiles`` itself (the rows of the overview and rates pages); a quarter adds
    its months' ``rates_trend`` rows (see the module docstring). A period under way (``compare``: its last
    receipt day and time) is ``kpi_tiles_range`` over its days so far against the same days before
    (:class:`Comparison`), as the pages show a week or month under way.
    """
    compare = compare or Comparison(period)
    if period.kind != "quarter" or compare.is_same_days:
        if compare.is_same_days:
            tiles = src.query("kpi_tiles_range", start=period.start, end=compare.data_to, compare_to=period.kind,
                              until=compare.until, **scope)
        else:
            tiles = src.query("kpi_tiles", period_type=period.kind, period_start=period.start, **scope)
        tiles = measures.shown_changes(tiles[tiles["metric"].isin(KPI_METRICS)])
        tiles = tiles[["metric", "label", "unit", "value", "previous_value", "change", "change_pct", "yoy_value",
                       "yoy_change", "yoy_change_pct", "target", "numerator", "denominator", "pending_count",
                       "awaiting_callback_count", "is_provisional", "is_previous_provisional"]].reset_index(drop=True)
        return tiles.assign(note=missing_note(tiles, compare.previous_word))
    current = _quarter_values(src, period, scope)
    previous = _quarter_values(src, period.previous(), scope)
    yoy = _quarter_values(src, period.year_before(), scope)
    rows = []
    for metric in KPI_METRICS:
        value, numerator, denominator, target = current[metric]
        prev, year = previous[metric][0], yoy[metric][0]
        unit = "pct" if metric.endswith("_rate") else "workdays" if metric == "avg_handling_workdays" else "count"
        rows.append({
            "metric": metric, "label": LABELS[metric], "unit": unit, "value": value, "previous_value": prev,
            "change": _diff(value, prev), "change_pct": _pct(_diff(value, prev), prev) if prev else None,
            "yoy_value": year, "yoy_change": _diff(value, year),
            "yoy_change_pct": _pct(_diff(value, year), year) if year else None,
            "target": target, "numerator": numerator, "denominator": denominator,
            "pending_count": current["pending"][0], "awaiting_callback_count": current["callback"][0],
            "is_provisional": (metric in SETTLING_METRICS and current["pending"][1]
                               or metric in CALLBACK_METRICS and current["callback"][1]),
            "is_previous_provisional": (metric in SETTLING_METRICS and previous["pending"][1]
                                        or metric in CALLBACK_METRICS and previous["callback"][1]),
        })
    tiles = measures.shown_changes(pd.DataFrame(rows).astype({c: "float64" for c in (
        "value", "previous_value", "change", "change_pct", "yoy_value", "yoy_change", "yoy_change_pct", "target",
        "numerator", "denominator")}))
    return tiles.assign(note=missing_note(tiles))


# Why a key figure has no value in a window (本期, 上期, 去年同期): the window received no ticket at all, or it did
# but none of them counts in that figure's denominator (no callback yet, nothing closed). Never 0%: a rate over
# nothing is not a rate. A window outside the loaded data has no reason: unknown, shown as "—".
NO_TICKETS, NO_SAMPLE = "无工单", "无可计算样本"
WINDOW_COLUMNS = ("value", "previous_value", "yoy_value")


def missing_reasons(kpis: pd.DataFrame) -> pd.DataFrame:
    """For each key figure (rows of ``kpis``) and window (:data:`WINDOW_COLUMNS`): :data:`NO_TICKETS` when the
    figure is missing and the window received no ticket (受理量 0), :data:`NO_SAMPLE` when it is missing though
    tickets were received, None when the figure is there or the window's 受理量 is unknown itself."""
    counts = kpis.loc[kpis["metric"] == "ticket_count"] if "metric" in kpis else kpis.iloc[0:0]
    out = {}
    for column in WINDOW_COLUMNS:
        received = _none(counts.iloc[0][column]) if not counts.empty and column in counts else None
        reason = None if received is None else NO_TICKETS if received == 0 else NO_SAMPLE
        out[column] = [reason if reason and _none(value) is None else None
                       for value in (kpis[column] if column in kpis else [None] * len(kpis))]
    return pd.DataFrame(out, index=kpis.index, dtype=object)


def missing_note(kpis: pd.DataFrame, previous_word: str = "上期") -> list[str]:
    """Each key figure's :func:`missing_reasons` in words, by window (``本期无工单；上期无可计算样本``); empty when none."""
    reasons = missing_reasons(kpis)
    names = dict(zip(WINDOW_COLUMNS, ("本期", previous_word, "去年同期")))
    return ["；".join(names[c] + r[c] for c in WINDOW_COLUMNS if isinstance(r[c], str)) for _, r in reasons.iterrows()]


def missing_sentence(kpis: pd.DataFrame) -> str:
    """What the words of :func:`missing_reasons` in the key figures mean (empty when neither is there)."""
    found = {v for v in missing_reasons(kpis).to_numpy().ravel() if isinstance(v, str)}
    parts = []
    if NO_TICKETS in found:
        parts.append(f"“{NO_TICKETS}”：该期没有受理工单（件数为 0）")
    if NO_SAMPLE in found:
        parts.append(f"“{NO_SAMPLE}”：该期有工单，但没有一张计入该项的分母（如尚无回访结果、尚无办结的工单）")
    return "；".join(parts) + "。这样的率和平均办理时长无从计算，不是 0%。" if parts else ""


def _diff(a, b):
    return None if a is None or b is None else a - b


def _quarter_values(src: Source, quarter: Period, scope: dict[str, str]) -> dict[str, tuple]:
    """metric -> (value, numerator, denominator, target) for a quarter, from its monthly mart rows."""
    months = quarter.months()
    rows = src.query("rates_trend", period_type="month", start=months[0], end=months[-1], **scope)
    # Known (0 when nothing was received) when the quarter overlaps the loaded months, the district's first to last,
    # as kpi_tiles has it for a month: a quarter without a ticket between two with them is 0, not unknown.
    meta = src.query("rates_trend", period_type="month")
    loaded_months = pd.to_datetime(meta["period_start"]).dt.date
    loaded = not meta.empty and loaded_months.min() <= months[-1] and months[0] <= loaded_months.max()
    targets = {m: (None if meta.empty else _none(meta.iloc[0][f"{m.split('_')[0]}_target"]))
               for m in ("response_rate", "resolution_rate", "satisfaction_rate")}

    def total(column: str):
        if not loaded:
            return None
        return float(rows[column].fillna(0).sum()) if not rows.empty else 0.0

    out: dict[str, tuple] = {}
    for name in ("ticket_count", "overdue_count", "near_deadline_count", "property_complaint_count"):
        out[name] = (total(name), None, None, None)
    for rate in ("response", "resolution", "satisfaction", "on_time", "closure"):
        numerator, denominator = total(f"{rate}_numerator"), total(f"{rate}_denominator")
        value = _pct(numerator, denominator) if loaded else None
        out[f"{rate}_rate"] = (value, numerator, denominator, targets.get(f"{rate}_rate"))
    handling = total("handling_count")
    workdays = float((rows["avg_handling_workdays"].fillna(0) * rows["handling_count"].fillna(0)).sum()) \
        if loaded and not rows.empty else (None if not loaded else 0.0)
    out["avg_handling_workdays"] = (workdays / handling if handling else None, workdays, handling, None)
    out["whistle_count"] = (total("whistle_count"), total("whistle_closed_count"), total("whistle_count"), None)
    out["consultation_count"] = (total("consultation_count"), total("consultation_closed_count"),
                                 total("consultation_count"), None)
    # (tickets in hand and not yet due, whether that is more than 1% of those received: kpi_tiles' "settling")
    pending = (total("open_count") or 0.0) - (total("overdue_count") or 0.0)
    out["pending"] = (pending, pending > 0.01 * (total("ticket_count") or 0.0))
    # (tickets whose callback may still come, whether more than 1% of those received: kpi_tiles' callback settling)
    waiting = total("awaiting_callback_count") or 0.0
    out["callback"] = (waiting, waiting > 0.01 * (total("ticket_count") or 0.0))
    return out


TREND_RATES = ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")
TREND_CALLBACK_PENDING = ("“回访未完”为“是”的周期（图中空心点）仍有超过受理量 1% 的工单在办或办结不满回访期、尚无回访结果，"
                          "其解决率、满意率还会随回访到来而变化。")
TREND_EMPTY_RATES = ("率为空（—）的周期没有可计算的样本：没有受理工单，或没有一张计入该率的分母（如尚无回访结果），"
                     "不是 0%。")


def trend_table(src: Source, period: Period, scope: dict[str, str],
                loaded: tuple[date, date] | None = None) -> pd.DataFrame:
    """The rates over the last ``TREND_PERIODS`` weeks (a week's pack) or months, ending with this period.

    ``rates_trend`` has a row only for the periods the area received tickets in; a period within ``loaded`` (the
    first receipt day and the day of 数据截至) without one is a row of its own, 受理量 and 超期 0 and its rates
    empty (nothing to rate), so a quiet week reads 0 instead of vanishing from the table and the chart."""
    period_type = "week" if period.kind == "week" else "month"
    last = Period(period_type, period.last_day)
    first = last.shift(-(TREND_PERIODS - 1))
    trend = src.query("rates_trend", period_type=period_type, start=first.start, end=last.start, **scope)
    trend["period_start"] = pd.to_datetime(trend["period_start"]).dt.date
    # 回访未完 (rates_trend.is_callback_provisional): the period's 解决率 and 满意率 still move as callbacks come.
    trend["callback_pending"] = trend["is_callback_provisional"].map(lambda flag: "是" if flag is True else "")
    trend = trend[["period_start", "ticket_count", "response_rate", "resolution_rate", "satisfaction_rate",
                   "on_time_rate", "overdue_count", "callback_pending"]]
    if loaded is not None:
        starts, shown = [], first
        while shown.start <= min(last.start, loaded[1]):
            if shown.end > loaded[0]:
                starts.append(shown.start)
            shown = shown.shift(1)
        trend = trend.set_index("period_start").reindex(starts)
        trend[["ticket_count", "overdue_count"]] = trend[["ticket_count", "overdue_count"]].fillna(0).astype("int64")
        trend["callback_pending"] = trend["callback_pending"].fillna("")
        trend = trend.rename_axis("period_start").reset_index()
    return trend.reset_index(drop=True)


def _lights_now_and_before(src: Source, period: Period, scope: dict[str, str], data_to: date | None = None,
                           data_from: date | None = None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(``grid_lights`` of the period, of the one it is compared with, a note on which they are). A quarter shows its
    last month against the last month of the quarter before; one under way (``data_to``: its last receipt day) the
    month that day is in, not a month to come. ``data_from`` (the first receipt day): the note says when the data
    begin inside the period compared with."""
    area = {k: v for k, v in scope.items() if k in ("street_code", "community_code")}
    if period.kind == "quarter" and data_to is not None:
        light_type, current = "month", data_to.replace(day=1)
        before = _add_months(current, -3)
        note = (f"亮灯按月评定：本季度尚未结束，取工单已到的最后一个月（{current.year}年{current.month}月），"
                f"与上季度的同一个月（{before.year}年{before.month}月）比较。")
    elif period.kind == "quarter":
        light_type, current, before = "month", period.months()[-1], period.previous().months()[-1]
        note = (f"亮灯按月评定：本季度取最后一个月（{current.year}年{current.month}月），"
                f"与上季度最后一个月（{before.year}年{before.month}月）比较。")
    else:
        light_type, current, before = period.kind, period.start, period.previous().start
        note = ""
    # (the period before ends where this one begins; a quarter's month before is one month)
    previous = coverage(before, _add_months(before, 1) if period.kind == "quarter" else period.start, data_from)
    if previous.is_partial:
        note += f"{previous.note}：上期的灯色只按其后受理的工单评定，各色网格数的变化仅供参考。"
    now = src.query("grid_lights", period_type=light_type, period_start=current, **area)
    then = src.query("grid_lights", period_type=light_type, period_start=before, **area)
    return now, then, note


def light_tables(src: Source, period: Period, scope: dict[str, str], data_to: date | None = None,
                 data_from: date | None = None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(grid count per light now and before, grids that turned red or recovered, a note on the basis).
    A quarter under way (``data_to``: its last receipt day) shows the month that day is in, not a month to come.
    ``data_from`` (the first receipt day): the note says when the data begin inside the period compared with."""
    now, then, note = _lights_now_and_before(src, period, scope, data_to, data_from)
    counts = pd.DataFrame({
        "light": list(LIGHT_NAMES), "light_label": list(LIGHT_NAMES.values()),
        "grid_count": [int((now["light"] == c).sum()) for c in LIGHT_NAMES],
        "previous_grid_count": [int((then["light"] == c).sum()) for c in LIGHT_NAMES],
    })
    if then.empty:  # the previous period is before the first ticket: unknown, not zero
        counts["previous_grid_count"] = pd.array([pd.NA] * len(counts), dtype="Int64")
    counts["change"] = (counts["grid_count"] - counts["previous_grid_count"]).astype("Int64")
    merged = now.drop(columns=["previous_light"]).merge(
        then[["grid_code", "light"]].rename(columns={"light": "previous_light"}), on="grid_code", how="left")
    turned = merged[(merged["light"] == "red") & (merged["previous_light"] != "red")].assign(move="转红")
    # Still red: the grids a meeting calls out first, longest run of red first (every red grid is listed).
    kept = merged[(merged["light"] == "red") & (merged["previous_light"] == "red")].sort_values(
        ["consecutive_red_periods", "grid_code"], ascending=[False, True], kind="stable").assign(move="持续")
    recovered = merged[(merged["previous_light"] == "red") & merged["light"].isin(["green", "yellow"])].assign(
        move="恢复")
    changes = pd.concat([turned, kept, recovered])[[
        "move", "grid_code", "grid_name", "community_name", "street_name", "light", "previous_light",
        "light_reason", "on_time_rate", "on_time_denominator", "overdue_count", "consecutive_red_periods"]]
    for column in ("light", "previous_light"):
        changes[column] = changes[column].map(lambda v: LIGHT_NAMES.get(v, "无记录") if isinstance(v, str) else "无记录")
    return counts, changes.rename(columns={"light": "light_label"}).reset_index(drop=True), note


YELLOW_COLUMNS = ("move", "grid_code", "grid_name", "community_name", "street_name", "previous_light", "light_reason",
                  "on_time_rate", "on_time_denominator", "overdue_count", "near_deadline_count",
                  "consecutive_yellow_periods")


def yellow_table(src: Source, period: Period, scope: dict[str, str], limit: int, data_to: date | None = None,
                 data_from: date | None = None) -> tuple[pd.DataFrame, str]:
    """(this period's yellow grids, at most ``limit``, a sentence on them): 转黄 (yellow this period only) or 持续
    (yellow two periods in a row or more), with how many periods in a row each has been yellow. The lights compared as in
    :func:`light_tables` (a quarter: its last month). A big district has dozens: the table keeps those yellow
    longest (a warning that stays is closer to being called out), then the most overdue and near-deadline
    tickets and the lowest on-time rate; the sentence counts them all."""
    now, then, _note = _lights_now_and_before(src, period, scope, data_to, data_from)
    yellow = now[now["light"] == "yellow"].drop(columns=["previous_light"]).merge(
        then[["grid_code", "light"]].rename(columns={"light": "previous_light"}), on="grid_code", how="left")
    # By the run, not by the light compared with: a quarter compares its last month with the quarter before's, and a
    # grid yellow for three months would read 转黄 beside 连续黄灯 3. For a week or month the two agree.
    yellow["move"] = ["持续" if run >= 2 else "转黄" for run in yellow["consecutive_yellow_periods"]]
    yellow = yellow.sort_values(
        ["consecutive_yellow_periods", "overdue_count", "near_deadline_count", "on_time_rate", "grid_code"],
        ascending=[False, False, False, True, True], na_position="last", kind="stable")
    yellow["previous_light"] = yellow["previous_light"].map(
        lambda v: LIGHT_NAMES.get(v, "无记录") if isinstance(v, str) else "无记录")
    turned, kept = int((yellow["move"] == "转黄").sum()), int((yellow["move"] == "持续").sum())
    shown = yellow.head(limit)
    order = "连续黄灯期数多的在前，再按超期、临期件数多、按期办结率低"
    sentence = ""
    if len(yellow):
        sentence = (f"本期黄灯网格 {len(yellow)} 个（转黄 {turned} 个、持续 {kept} 个），"
                    + (f"下表列出其中 {len(shown)} 个（{order}），全部见“网格亮灯”页。" if len(yellow) > limit
                       else f"全部列出（{order}）。"))
    return shown[list(YELLOW_COLUMNS)].reset_index(drop=True), sentence


def company_tables(src: Source, period: Period, data_to: date | None = None,
                   data_from: date | None = None) -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    """(this month's red and black lists, companies that entered or left a list, a note on the month, what the
    second says when its moves are withheld): the month of the period's last day, or of its last receipt day
    (``data_to``) while it is under way. ``data_from`` (the first receipt day): against a month before it that the data
    cover in part or not at all no move is shown (no entry or exit, no 名次变化), as on 一屏总览 and the companies page,
    and a run on the black list that may have begun before the data is flagged: ``consecutive_black_months`` stays the
    number of months the data show and ``is_black_streak_at_least`` says it is a lower bound (the page, HTML and Word
    read 至少 N: ``onescreen.report_render.shown_columns``)."""
    month = (data_to or period.last_day).replace(day=1)
    before = _add_months(month, -1)
    previous = covered = coverage(before, month, data_from, word="上月")  # (previous: a list in the loop below)
    now = src.query("company_rankings", month=month)
    then = src.query("company_rankings", month=before)
    which = "工单已到的最后一天" if data_to is not None else "本期最后一天"
    note = (f"红黑榜按月评定（{area_names.whole_area_name(area_names.streets(src.sql))}口径）：取{which}所在的 {month.year}年{month.month}月，与 "
            f"{before.year}年{before.month}月比较。")
    # As 一屏总览, the companies page and its wall: no move against a last month the data do not cover whole.
    note += rank_moves_note(previous)
    if now.empty:
        note += "该月没有物业企业排名数据。"
    lists = now[now["list"].isin(["red", "black"])].copy()
    lists["list"] = lists["list"].map(LIST_NAMES)
    lists = lists[["list", "rank", "company_name", "score", "complaints_per_1k_households", "rank_change",
                   "consecutive_black_months"]]
    both = now[["company_id", "company_name", "list", "rank", "score", "complaints_per_1k_households",
                "consecutive_black_months"]].merge(
        then[["company_id", "company_name", "list", "rank"]].rename(
            columns={"list": "previous_list", "rank": "previous_rank", "company_name": "previous_name"}),
        on="company_id", how="outer")
    both["company_name"] = both["company_name"].fillna(both["previous_name"])
    rows = []
    for _, r in both.iterrows():
        current, previous = _none(r["list"]), _none(r["previous_list"])
        if current == previous:
            continue
        if current and previous:
            move = f"由{LIST_NAMES[previous]}转{LIST_NAMES[current]}"
        elif current:
            move = f"新上{LIST_NAMES[current]}"
        else:
            move = f"退出{LIST_NAMES[previous]}"
        rows.append({"move": move, "company_name": r["company_name"],
                     "list": LIST_NAMES.get(current, "—") if current else "—",
                     "previous_list": LIST_NAMES.get(previous, "—") if previous else "—",
                     "rank": _none(r["rank"]), "previous_rank": _none(r["previous_rank"]),
                     "score": _none(r["score"]),
                     "complaints_per_1k_households": _none(r["complaints_per_1k_households"]),
                     "consecutive_black_months": _none(r["consecutive_black_months"])})
    columns = ["move", "company_name", "list", "previous_list", "rank", "previous_rank", "score",
               "complaints_per_1k_households", "consecutive_black_months"]
    moves = pd.DataFrame(rows, columns=columns)
    if not moves.empty:
        order = {"新上黑榜": 0, "由红榜转黑榜": 0, "退出黑榜": 1, "新上红榜": 2, "由黑榜转红榜": 2, "退出红榜": 3}
        moves = moves.sort_values(["move", "company_name"], key=lambda s: s.map(order) if s.name == "move" else s)
    for column in ("rank", "previous_rank", "consecutive_black_months"):
        moves[column] = moves[column].astype("Int64")
    withheld = ""
    if covered.note:  # the lists' entries and exits, and the ranks' moves, stand on last month's ranks
        moves = moves.iloc[0:0]
        lists["rank_change"] = pd.array([pd.NA] * len(lists), dtype="Int64")
        withheld = f"{covered.note}，本月上榜、退出榜单不作比较；本月的榜单见下一部分。"
    # A run of months on the black list back to the data's first month may have begun before it: at least N. A flag
    # of its own, so that the months stay a number for a JSON or Excel reader (a column of 2 and "至少 2" was both).
    floors = [pd.notna(n) and streak_at_least(month, int(n), data_from) for n in lists["consecutive_black_months"]]
    lists["consecutive_black_months"] = lists["consecutive_black_months"].astype("Int64")
    lists["is_black_streak_at_least"] = pd.Series(floors, index=lists.index, dtype=bool)
    if any(floors):
        note += streak_note(data_from)
    return lists.reset_index(drop=True), moves.reset_index(drop=True), note, withheld


def _unit_counts(src: Source, level: str, period_type: str, start: date, scope: dict[str, str]) -> pd.Series:
    """Tickets received per unit (name) in one mart period: category_mix or rates_breakdown rows."""
    if level == "category":
        frame = src.query("category_mix", period_type=period_type, period_start=start, limit=1000, **scope)
        return frame.set_index("category_l1")["ticket_count"].astype(float)
    area = {k: v for k, v in scope.items() if k in ("street_code", "community_code")}
    frame = src.query("rates_breakdown", period_type=period_type, period_start=start, level=level,
                      limit=10000, **area)
    frame = frame[frame["ticket_count"] > 0]
    return frame.set_index(frame["unit_name"].astype(str))["ticket_count"].astype(float)


def _range_unit_counts(src: Source, level: str, window: dict[str, Any], scope: dict[str, str]) -> pd.Series:
    """Tickets received per unit (name) in ``window`` (``start`` to ``end``, both included, and ``until``: the
    time the last day stops at): category_mix or rates_breakdown_range rows (the day rows added up)."""
    if level == "category":
        frame = src.query("category_mix", **window, limit=1000, **scope)
        return frame.set_index("category_l1")["ticket_count"].astype(float)
    area = {k: v for k, v in scope.items() if k in ("street_code", "community_code")}
    frame = src.query("rates_breakdown_range", **window, level=level, limit=10000, **area)
    frame = frame[frame["ticket_count"] > 0]
    return frame.set_index(frame["unit_name"].astype(str))["ticket_count"].astype(float)


def volume_rises(src: Source, period: Period, scope: dict[str, str], level: str, top_n: int,
                 compare: Comparison | None = None) -> pd.DataFrame:
    """The ``top_n`` categories (``level='category'``), communities or grids whose volume rose most: against
    the period before, or for a period under way (``compare``) against the same days of it."""
    compare = compare or Comparison(period)
    if compare.is_same_days:
        current = _range_unit_counts(src, level, dict(start=period.start, end=compare.data_to), scope)
        previous = _range_unit_counts(src, level, compare.previous_window(), scope)
    elif period.kind == "quarter":
        def total(quarter: Period) -> pd.Series:
            parts = [_unit_counts(src, level, "month", m, scope) for m in quarter.months()]
            return pd.concat(parts, axis=1).fillna(0).sum(axis=1) if parts else pd.Series(dtype=float)
        current, previous = total(period), total(period.previous())
    else:
        current = _unit_counts(src, level, period.kind, period.start, scope)
        previous = _unit_counts(src, level, period.kind, period.previous().start, scope)
    name = "category_l1" if level == "category" else "unit_name"
    frame = pd.concat([current.rename("ticket_count"), previous.rename("previous_ticket_count")], axis=1).fillna(0)
    frame.index.name = name
    frame = frame.reset_index()
    frame["change"] = frame["ticket_count"] - frame["previous_ticket_count"]
    frame["change_pct"] = pd.Series([_pct(c, p) for c, p in zip(frame["change"], frame["previous_ticket_count"])],
                                    index=frame.index, dtype="float64")
    frame = frame[frame["change"] > 0].sort_values(["change", "ticket_count", name], ascending=[False, False, True])
    for column in ("ticket_count", "previous_ticket_count", "change"):
        frame[column] = frame[column].astype("int64")
    return frame.head(top_n).reset_index(drop=True)


def oldest_open(src: Source, period: Period, scope: dict[str, str], limit: int) -> pd.DataFrame:
    """The tickets still open at 数据截至 among those received before the period ended, most overdue first: those
    past their deadline by working days overdue, then those not yet due, oldest first (``ticket_list`` by
    ``overdue_workdays``: its ties and empty values follow in receipt order). A meeting calls out the most overdue.

    From the masked ``ticket_list`` query; the caller, phone and free-text columns are dropped
    altogether and the address is the masked one (cut before building, unit, floor or room).
    """
    frame = src.query("ticket_list", status="open", sort="overdue_workdays", order="desc", limit=limit,
                      received_before=period.end, **scope)
    return frame[[c for c in OPEN_TICKET_COLUMNS if c in frame.columns]].reset_index(drop=True)


def escalation_table(src: Source, period: Period, scope: dict[str, str], kpis: pd.DataFrame,
                     rules) -> tuple[pd.DataFrame, str]:
    """Closed tickets by handling level (count, share), 吹哨 and 联合会商 counts (where the exports carry them),
    and 未诉先办 (tickets from the sources of ``rules.proactive_sources``: count and share of all)."""
    present = src.sql("select count(handling_level) as levels, count(is_whistle) as whistles, "
                      "count(is_consultation) as consultations from fct_tickets")
    has_level, has_whistle = present.iloc[0]["levels"] > 0, present.iloc[0]["whistles"] > 0
    has_consultation = present.iloc[0]["consultations"] > 0
    if period.kind == "quarter":
        parts = [src.query("escalation_shares", period_type="month", period_start=m, **scope)
                 for m in period.months()]
        levels = parts[0][["handling_level", "handling_level_label"]].copy()
        levels["closed_count"] = sum(p["closed_count"].to_numpy() for p in parts)
        denominator = float(sum(p["escalation_denominator"].iloc[0] for p in parts))
        levels["share"] = [_pct(c, denominator) for c in levels["closed_count"]]
        levels["escalation_denominator"] = denominator
    else:
        levels = src.query("escalation_shares", period_type=period.kind, period_start=period.start, **scope)
    # A share over nothing says why it is empty (the period received no ticket, or closed none at a known level).
    received = _none(kpis.set_index("metric").loc["ticket_count", "value"])
    no_tickets = f"本期{NO_TICKETS}" if received == 0 else ""
    rows = [{"key": f"closed_at_{r.handling_level}", "item": f"在{r.handling_level_label}办结",
             "count": float(r.closed_count) if has_level else None,
             "share": _none(r.share) if has_level else None,
             "denominator": float(r.escalation_denominator) if has_level else None,
             "note": ("导出数据中没有办结层级" if not has_level else ""
                      if _none(r.share) is not None else no_tickets or f"{NO_SAMPLE}：本期没有注明办结层级的已办结工单")}
            for r in levels.itertuples()]

    def closed(figure: pd.Series):
        """The closed ones of a count: none of none (the figure's numerator is empty when the area had no row)."""
        return 0.0 if _none(figure["value"]) == 0 else _none(figure["numerator"])

    whistle = kpis.set_index("metric").loc["whistle_count"]
    rows.append({"key": "whistle_count", "item": "吹哨报到工单", "count": _none(whistle["value"]) if has_whistle else None,
                 "share": None, "denominator": None, "note": "" if has_whistle else "导出数据中没有“是否吹哨”"})
    rows.append({"key": "whistle_closed_count", "item": "其中已办结",
                 "count": closed(whistle) if has_whistle else None, "share": None, "denominator": None,
                 "note": "" if has_whistle else "导出数据中没有“是否吹哨”"})
    consultation = kpis.set_index("metric").loc["consultation_count"]
    missing = "导出数据中没有“是否会商”"
    rows.append({"key": "consultation_count", "item": "联合会商工单",
                 "count": _none(consultation["value"]) if has_consultation else None, "share": None,
                 "denominator": None, "note": "" if has_consultation else missing})
    rows.append({"key": "consultation_closed_count", "item": "其中已办结",
                 "count": closed(consultation) if has_consultation else None, "share": None,
                 "denominator": None, "note": "" if has_consultation else missing})
    if period.kind == "quarter":
        mixes = [src.query("category_mix", by="source", limit=1000, period_type="month", period_start=m, **scope)
                 for m in period.months()]
        found = measures.proactive(pd.concat(mixes, ignore_index=True), rules.proactive_sources)
    else:
        found = measures.proactive(src.query("category_mix", by="source", limit=1000, period_type=period.kind,
                                             period_start=period.start, **scope), rules.proactive_sources)
    rows.append({"key": "proactive_count", "item": "未诉先办：主动发现的工单（" + "、".join(rules.proactive_sources) + "）",
                 "count": float(found.count), "share": found.share, "denominator": float(found.total),
                 "note": "" if found.share is not None else f"本期{NO_TICKETS}"})
    note = ("办结层级占比 = 各级办结数 ÷ 注明办结层级的已办结工单数（分母）。吹哨、会商为标记了“是否吹哨”“是否会商”的"
            "工单数；导出没有这一列时显示“无数据”，不估算。未诉先办占比 = 主动发现的工单数 ÷ 本期受理工单数（分母）。")
    frame = pd.DataFrame(rows, columns=["key", "item", "count", "share", "denominator", "note"])
    return frame.astype({"count": "float64", "share": "float64", "denominator": "float64"}), note


REPEAT_COLUMNS = ("caller", "category_l1", "repeat_count", "shortest_gap_days", "first_ticket_id", "first_received_at",
                  "last_ticket_id", "last_received_at", "street_name", "community_name", "grid_name")


def repeat_callers(src: Source, period: Period, scope: dict[str, str], limit: int,
                   compare: Comparison | None = None, previous: Coverage | None = None) -> tuple[pd.DataFrame, str]:
    """The callers with the most repeat requests in the period (a caller is a number, never a name or phone),
    and a note with the period's count, share and callers against the period before (or, for a period under
    way, the same days of it: ``compare``; ``previous``: how much of it the data cover, which also tells a window
    before the data from one without requests)."""
    compare = compare or Comparison(period)
    previous = previous or Coverage()
    window = dict(start=period.start, end=period.last_day, **scope)
    if compare.is_same_days:
        bounds = compare.bounds()
        before = dict(previous_start=bounds["previous_start"], previous_end=bounds["previous_end"])
    else:
        before = dict(previous_start=period.previous().start)
    summary = src.query("repeat_summary", **before, **window).iloc[0]
    callers = src.query("repeat_callers", limit=limit, **window)
    frame = pd.DataFrame({"caller": ["来电人 " + str(int(n)) for n in callers["caller_no"]]}, dtype=object)
    for column in REPEAT_COLUMNS[1:]:
        if column in callers:  # the big-screen tier has no ticket numbers
            frame[column] = callers[column].to_numpy()
    # (repeat_summary leaves the previous figures empty when that window had no citizens' requests: before the data
    # began, or a quiet period within it)
    share, before_count = _none(summary["repeat_share"]), _none(summary["previous_repeat_count"])
    note = (f"本期重复诉求 {int(summary['repeat_count']):,} 件"
            + (f"，占群众诉求 {share:.1f}%" if share is not None else "（本期没有群众诉求，无从计算占比）")
            + f"，涉及来电人 {int(summary['caller_count']):,} 人；"
            + (f"{compare.previous_word} {int(before_count):,} 件" + (f"，{previous.note}。" if previous.is_partial else "。")
               if before_count is not None
               else f"{compare.previous_word}在已导入的数据之前，没有数据（{previous.note}）。" if previous.is_missing
               else f"{compare.previous_word}没有群众诉求。")
            + f"下表列出重复最多的 {len(frame)} 行（最多 {limit} 行，同一来电人的不同分类各占一行）；来电人只以编号区分，"
            "不含姓名和号码，编号每次重建汇总表重新编排；“原诉求”是本期第一件重复诉求所追溯的上一件工单，可在本期之前。")
    return frame, note


REPORT_KOUJING = ("as_of", "ticket_count", "response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate",
                  "closure_rate", "overdue_count", "near_deadline_count", "avg_handling_workdays",
                  "property_complaint_count", "whistle_count", "consultation_count", "escalation_share", "light", "red_black_list",
                  "category_mix", "proactive_share", "repeat_requests", "change", "ticket_masking")
PERIOD_KOUJING = ("周为 ISO 周（周一至周日），月为自然月，季度为自然季度。工单归属于受理时间所在的周期。"
                  "同比：周与 52 周前的同一周比，月与季度与上一年同期比。季度的各项件数、分子、分母为其三个月之和，"
                  "率 = 分子之和 ÷ 分母之和（与按月口径一致，不是三个月的率的平均）。")


SAME_DAYS_KOUJING = ("本期尚未结束时（工单只到某日、未到期末），凡与上期、去年同期比较的（关键指标、分类和区域增幅、重复诉求）"
                     "都只比相同的天数：周与上周、52 周前那一周的相同几天比，月与季度与上月、上季度的相同日期"
                     "（如 12 月 10 日为止的第四季度与 7 月 1 日至 9 月 10 日；超出那个月末的日子取月末）比，去年同期为一年前的相同日期；最后一天只到本期最后一张工单的受理时刻（受理量按此计，各率仍按整日）；"
                     "这些数字由逐日汇总相加，与各页面“较上月同期”的口径一致。"
                     "亮灯与物业红黑榜按整期（月）评定，不截取天数：周、月与上期整期比；尚未结束的季度取工单已到的那个月，"
                     "亮灯与上季度的同一个月比，红黑榜与上月比。")


def koujing_table(rules, same_days: bool = False) -> pd.DataFrame:
    """The 口径 of every figure in the pack, with the rule values the marts were built with (``same_days``: the
    pack's period is under way, compared with the same days before: said)."""
    rows = [{"key": "period", "label": "统计周期", "text": PERIOD_KOUJING + (SAME_DAYS_KOUJING if same_days else "")}]
    rows += [{"key": m, "label": LABELS[m], "text": koujing(m, rules)} for m in REPORT_KOUJING]
    return pd.DataFrame(rows)
