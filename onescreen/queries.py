"""Named metric queries: the only way pages get numbers.

Each query is ``onescreen/queries/<name>.sql`` plus an entry in :data:`QUERIES` with a Chinese title,
what one row is (``unit``), the parameters it accepts and the 口径 it shows. ::

    df = run_query(con, "kpi_tiles", period_type="month", period_start="2025-10-01", street_code="S01")

``run_query`` refuses unknown parameters and values outside an allow-list, binds every value as a
parameter (``$name`` in the SQL), and takes identifiers (a sort column, its direction) only from an
allow-list, substituted for ``{{name}}``. A line ``{{include parts/<part>.sql}}`` stands for that
file's text, indented as written there: SQL queries share word for word (the tiles of a period and of a
date range, the heat page's ticket filters). Lines from ``{{if name}}`` (or ``{{if not name}}``) to ``{{end}}``
are kept only when the query's ``switches`` turn ``name`` on (off), from the values bound: SQL only one case needs
is then not planned in the others (rates_breakdown's remainder row of an area). It runs on the cursor it is given
(one per query: see ``onescreen.db.connect``), so one cached read-only connection can serve every Streamlit session. Caching per
parameters is the page's job (``onescreen.data``).

Derived parameters the SQL may use:
- ``period``: ``period_start`` is moved to the start of its period (weeks start on Monday) and
  ``$previous_start``, ``$yoy_start`` (same period a year earlier; 52 weeks for weeks) and
  ``$period_end`` (exclusive) are added.
- ``span``: a custom date range ``start``..``end`` (both days included) instead of a period (a query
  with ``period`` too takes either). The same names are derived, so one SQL serves both:
  ``$period_start`` = start, ``$period_end`` = the day after end, ``$previous_start`` and
  ``$previous_end`` (= start) the range of the same length right before, ``$yoy_start``/``$yoy_end``
  the same dates a year earlier, and ``$grain`` = ``'day'``. With ``compare_to`` = ``month``, ``week`` or ``quarter`` (a
  period still under way, its days so far) the previous range is the same days of the month, week or quarter
  before instead, and for ``week`` the year-ago range is 52 weeks earlier (:func:`range_bounds`); with ``until``
  (a time of day: the tickets stop then on ``end``) those ranges end at that time of their last day (for a period, ``$grain`` is its
  ``period_type`` and ``$previous_end`` its start): summing ``mart_rates`` rows of ``$grain`` from
  ``$period_start`` up to ``$period_end`` reads one period row, or a range's day rows.
- ``scope``: ``street_code``/``community_code``/``grid_code`` (the narrowest given wins), or an
  explicit ``level`` + ``unit_code``, become ``$scope_level`` and ``$scope_code`` (default the district).

Every pair of dates is checked: a range whose start is after its end is refused (``QueryError``).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Callable

import duckdb
import pandas as pd

from onescreen import settings
from onescreen.errors import UserFacingError
from onescreen.koujing import KOUJING, LABELS, koujing
from onescreen.rules import rules_of_marts

QUERY_DIR = Path(__file__).resolve().parent / "queries"
_INCLUDE = re.compile(r"^[ \t]*\{\{include (parts/\w+\.sql)\}\}$", re.MULTILINE)
# A block kept only when the query's switch (Query.switches) is on, or off with "not": lines from {{if [not] name}}
# to {{end}} (not nested). The SQL of a case a block is not for is not planned at all.
_BLOCK = re.compile(r"^[ \t]*\{\{if (not )?(\w+)\}\}\n(.*?)^[ \t]*\{\{end\}\}\n", re.MULTILINE | re.DOTALL)
PERIOD_TYPES = ("day", "week", "month")
LEVELS = ("district", "street", "community", "grid", "department", "source", "category")
# The levels whose tickets may hold no unit (mart_rates' 'unassigned' rows: 街道不明, 社区不明, 未落格, 未注明承办单位,
# 未分类); ticket_list's $unassigned lists those of one (a ticket always has a source: the column is not null).
UNASSIGNED_LEVELS = ("street", "community", "grid", "department", "category")
REQUIRED = object()


class QueryError(ValueError):
    """A query called with a parameter it does not accept or a value it cannot use (Chinese message)."""


class StaleMarts(QueryError, UserFacingError):
    """A query names a column the warehouse's marts do not have: built by an older version, not refreshed."""


@dataclass(frozen=True)
class Param:
    """A value parameter: ``kind`` is str, date, month (a date moved to the 1st), instant (a date, or a
    datetime kept as one: a range's end at a time of day), time (of day), int or bool;
    ``choices`` is an allow-list; ``maximum`` bounds an int from 1."""

    name: str
    kind: str = "str"
    default: Any = None
    choices: tuple[Any, ...] | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Query:
    """A named query: its SQL file is ``queries/<name>.sql``."""

    name: str
    title: str
    unit: str
    koujing_keys: tuple[str, ...]
    params: tuple[Param, ...] = ()
    identifiers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    identifier_defaults: dict[str, str] = field(default_factory=dict)
    period: bool = False
    span: bool = False
    scope: bool = False
    postprocess: Callable[[pd.DataFrame, duckdb.DuckDBPyConnection], pd.DataFrame] | None = None
    # The switches of its {{if name}} blocks, from the parameter values a call binds (all off when None).
    switches: Callable[[dict[str, Any]], dict[str, bool]] | None = None

    @property
    def sql(self) -> str:
        """The query's SQL, each ``{{include parts/<part>.sql}}`` line replaced by that part (every switch off)."""
        return self.sql_for({})

    def sql_for(self, switches: dict[str, bool]) -> str:
        """The SQL with the ``{{if name}}`` blocks of the switches that are on and the ``{{if not name}}`` blocks
        of those that are off, then the parts included."""
        text = (QUERY_DIR / f"{self.name}.sql").read_text(encoding="utf-8")
        text = _BLOCK.sub(lambda m: m[3] if bool(switches.get(m[2])) != bool(m[1]) else "", text)
        return _INCLUDE.sub(lambda m: (QUERY_DIR / m[1]).read_text(encoding="utf-8").rstrip("\n"), text)

    @property
    def koujing(self) -> str:
        """The 口径 texts this query's numbers follow, joined (without rule values)."""
        return "\n".join(f"{LABELS[k]}：{KOUJING[k]}" for k in self.koujing_keys)

    def accepted(self) -> tuple[str, ...]:
        """Every parameter name a caller may pass."""
        names = [p.name for p in self.params] + list(self.identifiers)
        if self.period:
            names += ["period_type", "period_start"]
        if self.span:
            names += ["start", "end", "compare_to", "until", "through"]
        if self.scope:
            names += ["street_code", "community_code", "grid_code", "level", "unit_code"]
        return tuple(names)


_SCOPE_FILTERS = (Param("street_code"), Param("community_code"), Param("grid_code"))
_PERIOD = (Param("period_type", default="month", choices=PERIOD_TYPES), Param("period_start", "date", REQUIRED))
_RANGE = (Param("start", "date"), Param("end", "date"))
_SPAN = (Param("start", "date", REQUIRED), Param("end", "date", REQUIRED))
# What a range is compared with: the days right before it, or (the days so far of a period under way) the same
# days of the month, week or quarter before (the quarter: the review pack's 季报), or the day before (a day under way).
COMPARE_TO = ("preceding", "month", "week", "quarter", "day")
_COMPARE = Param("compare_to", default="preceding", choices=COMPARE_TO)
# The time of day the tickets stop at on a range's last day (a day under way): see range_bounds.
_UNTIL = Param("until", "time")
# The last day with data of a range that runs past it: the windows compared with stop at the same day (range_bounds).
_THROUGH = Param("through", "date")
# Pairs of date parameters that bound one range: (first, last or exclusive end, whether the end is inclusive).
_DATE_PAIRS = (("start", "end", True), ("received_from", "received_before", False))
_SORTABLE = ("composite_score", "composite_rank", "response_rate", "resolution_rate", "satisfaction_rate",
             "on_time_rate", "closure_rate", "ticket_count", "overdue_count", "near_deadline_count",
             "avg_handling_workdays", "property_complaint_count", "unit_name", "unit_code")


def _add_koujing(df: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """kpi_tiles: add the Chinese label and the 口径 with the rule values the marts were built with."""
    rows = con.execute("select rules_json from mart_meta").fetchall()
    row = rows[0] if rows else None
    rules = rules_of_marts(row[0]) if row else None
    df.insert(2, "label", [LABELS[m] for m in df["metric"]])
    df["koujing"] = [koujing(m, rules) for m in df["metric"]]
    return df


def _mask_tickets(df: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """ticket_list: mask the personal fields before the frame leaves run_query (and so any cache)."""
    from onescreen.tickets import mask_tickets  # imported here: onescreen.tickets imports this module

    return mask_tickets(df)


def _breakdown_switches(values: dict[str, Any]) -> dict[str, bool]:
    """rates_breakdown(_range): ``narrowed`` when the breakdown lists several units of an area (grids of a community
    or street, communities of a street; parts/rates_breakdown_parent.sql), which then gets its remainder row. Off,
    the query is the plain one (planning the remainder's SQL alone took 50 ms of 80 at 5M tickets)."""
    level, street, community = values.get("level"), values.get("street_code"), values.get("community_code")
    return {"narrowed": bool(level == "grid" and (community or street)
                             or level == "community" and street and not community)}


# DuckDB's dynamic_or_filter_threshold: a join with at most this many keys hands them to the scan as a list.
TICKET_PAGE_BY_NUMBER = 50


def _ticket_list_switches(values: dict[str, Any]) -> dict[str, bool]:
    """ticket_list: ``by_number`` for a page of at most :data:`TICKET_PAGE_BY_NUMBER` rows, read back by its
    ticket numbers, not by its receipt window (see the query)."""
    return {"by_number": values["limit"] <= TICKET_PAGE_BY_NUMBER}


QUERIES: dict[str, Query] = {q.name: q for q in [
    Query("as_of", "数据截至", "一行", ("as_of",)),
    Query("kpi_tiles", "关键指标", "每个指标一行",
          ("ticket_count", "response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate",
           "closure_rate", "composite_score", "overdue_count", "near_deadline_count",
           "avg_handling_workdays", "property_complaint_count", "whistle_count", "consultation_count", "change"),
          period=True, scope=True, postprocess=_add_koujing),
    # A custom date range: the same tiles summed from the day rows (see kpi_tiles_range.sql).
    Query("kpi_tiles_range", "关键指标（日期区间）", "每个指标一行",
          ("ticket_count", "response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate",
           "closure_rate", "composite_score", "overdue_count", "near_deadline_count",
           "avg_handling_workdays", "property_complaint_count", "whistle_count", "consultation_count", "change",
           "date_range"),
          span=True, scope=True, postprocess=_add_koujing),
    Query("rates_trend", "三率趋势", "每个周期一行",
          ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate", "composite_score"),
          params=(Param("period_type", default="month", choices=PERIOD_TYPES), *_RANGE), scope=True),
    Query("rates_breakdown", "三率分解", "每个单位一行",
          ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate", "closure_rate",
           "composite_score", "change"),
          params=(Param("level", default="street", choices=LEVELS[1:]), Param("street_code"),
                  Param("community_code"), Param("limit", "int", 1000, maximum=10000)),
          identifiers={"sort": _SORTABLE, "order": ("desc", "asc")},
          identifier_defaults={"sort": "composite_score", "order": "desc"}, period=True,
          switches=_breakdown_switches),
    Query("rates_breakdown_range", "三率分解（日期区间）", "每个单位一行",
          ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate", "closure_rate",
           "composite_score", "change", "date_range"),
          params=(Param("level", default="street", choices=LEVELS[1:]), Param("street_code"),
                  Param("community_code"), Param("limit", "int", 1000, maximum=10000)),
          identifiers={"sort": _SORTABLE, "order": ("desc", "asc")},
          identifier_defaults={"sort": "composite_score", "order": "desc"}, span=True,
          switches=_breakdown_switches),
    Query("grid_lights", "网格亮灯", "每个网格一行", ("light", "on_time_rate"),
          params=(Param("street_code"), Param("community_code"),
                  Param("light", choices=("green", "yellow", "red", "grey"))), period=True),
    Query("light_share_over_time", "亮灯占比趋势", "每个周期每种灯一行", ("light",),
          params=(Param("period_type", default="month", choices=PERIOD_TYPES), Param("street_code"),
                  Param("community_code"), *_RANGE)),
    Query("company_rankings", "物业红黑榜", "每家物业企业一行",
          ("company_score", "complaints_per_1k_households", "red_black_list"),
          params=(Param("month", "month", REQUIRED), Param("list", choices=("red", "black")))),
    Query("company_history", "物业企业历月得分", "每月一行",
          ("company_score", "complaints_per_1k_households", "red_black_list"),
          params=(Param("company_id", default=REQUIRED), *_RANGE)),
    Query("overdue_list", "超期工单", "每张工单一行（不含个人信息）", ("overdue_count", "near_deadline_count", "due_at"),
          params=(*_SCOPE_FILTERS, Param("category_l1"), Param("source"),
                  Param("state", default="overdue", choices=("overdue", "near_deadline", "open")),
                  Param("limit", "int", 100, maximum=5000))),
    # by=source: tickets per request source, for 未诉先办 (onescreen.measures.proactive).
    Query("category_mix", "诉求分类（或来源）构成", "每个一级分类（by=source 时每个诉求来源）一行",
          ("category_mix", "ticket_count"),
          params=(*_SCOPE_FILTERS, Param("limit", "int", 20, maximum=1000)),
          identifiers={"by": ("category_l1", "source")}, identifier_defaults={"by": "category_l1"},
          period=True, span=True),
    Query("escalation_shares", "办结层级占比", "每个层级一行", ("escalation_share",), period=True, span=True,
          scope=True),
    Query("handling_time_distribution", "办理时长分布", "每个时长档一行",
          ("handling_time_distribution", "avg_handling_workdays"), period=True, span=True, scope=True),
    # 工单明细 and 物业红黑榜 (app_pages/tickets.py, app_pages/companies.py, app_pages/lights.py).
    Query("ticket_list", "工单明细", "每张工单一行（个人信息已脱敏），total_count 为符合条件的总数",
          ("ticket_count", "overdue_count", "near_deadline_count", "due_at", "ticket_masking"),
          params=(*_SCOPE_FILTERS, Param("source"), Param("category_l1"), Param("category_l2"), Param("ticket_id"),
                  Param("compound_code"), Param("property_complaint", "bool", False),
                  Param("unassigned", choices=UNASSIGNED_LEVELS),
                  Param("received_from", "date"), Param("received_before", "date"),
                  Param("limit", "int", 2000, maximum=50000), Param("page", "int", 1, maximum=1_000_000)),
          switches=_ticket_list_switches,
          # status is written into the SQL (from this list only) so the plan knows which marts it needs.
          identifiers={"sort": ("received_at", "due_at", "overdue_workdays", "remaining_workdays", "ticket_id"),
                       "order": ("desc", "asc"),
                       "status": ("all", "open", "overdue", "near_deadline", "returned", "closed", "voided")},
          identifier_defaults={"sort": "received_at", "order": "desc", "status": "all"}, postprocess=_mask_tickets),
    Query("ticket_categories", "工单二级分类", "每个一级、二级分类一行", ("ticket_count",),
          params=(Param("category_l1"),)),
    Query("company_compound_complaints", "物业企业各小区投诉", "每个小区一行",
          ("property_complaint_count", "complaints_per_1k_households"),
          params=(Param("company_id"), Param("month", "month"))),
    Query("mart_rules", "生成指标时的规则", "一行", ("rules_in_force",)),
    # The heat page's queries read tickets over a date range (both ends inclusive, null = open) rather
    # than one period, so they need no required parameter; the page passes its period's first and last day.
    Query("grid_ticket_density", "网格每千户工单量", "每个网格一行（含边界）", ("tickets_per_1k_households",),
          params=(*_SCOPE_FILTERS, Param("source"), Param("category_l1"), *_RANGE)),
    Query("ticket_points", "工单点位密度", "每个约 200 米见方的格子一行，另一行为无经纬度的工单", ("ticket_density",),
          params=(*_SCOPE_FILTERS, Param("source"), Param("category_l1"), *_RANGE,
                  Param("cell_size_m", "int", 200, maximum=5000), Param("limit", "int", 5000, maximum=20000))),
    # The big screen's stand-in for ticket_points (onescreen.access): points snapped to grid centroids.
    Query("ticket_grid_points", "工单点位（按网格）", "每个网格一行（画在网格代表点），另有未落格的工单一行、所在网格无代表点的工单一行",
          ("ticket_density",),
          params=(*_SCOPE_FILTERS, Param("source"), Param("category_l1"), *_RANGE,
                  Param("cell_size_m", "int", 200, maximum=5000), Param("limit", "int", 5000, maximum=20000))),
    Query("category_street_matrix", "分类×街道工单量", "每个街道（或社区）每个一级分类一行", ("category_street_matrix",),
          params=(*_SCOPE_FILTERS, Param("source"), Param("category_l1"), *_RANGE,
                  Param("level", default="street", choices=("street", "community")))),
    Query("weekday_hour_counts", "星期×时段工单量", "每个星期几每个小时一行（共 168 行）", ("weekday_hour",),
          params=(*_SCOPE_FILTERS, Param("source"), Param("category_l1"), *_RANGE)),
    Query("recurring_problems", "高频问题（类诉齐办）", "每个地点每个一级分类一行", ("recurring_problems", "change"),
          params=(*_SCOPE_FILTERS, Param("source"), Param("category_l1"), *_RANGE, Param("previous_start", "date"),
                  Param("previous_end", "instant"), Param("min_count", "int", 3, maximum=10000), Param("limit", "int", 50, maximum=1000),
                  Param("compounds_only", "bool", False))),
    # 重复诉求 (mart_repeat_requests): same caller, same category, within repeat.window_days of the last call.
    Query("repeat_summary", "重复诉求", "一行：本期与上期的受理量、重复诉求件数、来电人数", ("repeat_requests", "change"),
          params=(*_SCOPE_FILTERS, Param("source"), Param("category_l1"), *_SPAN, Param("previous_start", "date"),
                  Param("previous_end", "instant"))),
    Query("repeat_callers", "重复来电", "每个来电人（编号）每个一级分类一行", ("repeat_callers", "repeat_requests"),
          params=(*_SCOPE_FILTERS, Param("source"), Param("category_l1"), *_SPAN,
                  Param("limit", "int", 50, maximum=1000))),
]}

# QUERIES[...].koujing_keys name metrics of KOUJING: a query cannot be registered without its 口径.
assert all(k in KOUJING for q in QUERIES.values() for k in q.koujing_keys)


def run_query(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pd.DataFrame:
    """Run the named query with bound parameters and return its (small) result as a DataFrame.

    Raises :class:`QueryError` (Chinese message naming the query and parameter) for an unknown query,
    an unknown or missing parameter, or a value outside its type or allow-list; and when the marts
    have not been built yet.
    """
    return _run(con, name, params, postprocess=True)


def run_query_unmasked(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pd.DataFrame:
    """``run_query`` without the query's postprocess step, so ``ticket_list`` comes back unmasked.

    Only for an audited, explicitly permitted unmasked export (``onescreen.data.fetch_unmasked``).
    """
    return _run(con, name, params, postprocess=False)


def _run(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any], postprocess: bool) -> pd.DataFrame:
    query = QUERIES.get(name)
    if query is None:
        raise QueryError(f"没有名为 {name} 的查询；可用的有：{'、'.join(QUERIES)}。")
    unknown = [p for p in params if p not in query.accepted()]
    if unknown:
        raise QueryError(f"查询 {name} 不接受参数 {'、'.join(unknown)}；可用参数：{'、'.join(query.accepted())}。")
    identifiers: dict[str, str] = {}
    for ident, allowed in query.identifiers.items():
        value = params.get(ident) or query.identifier_defaults[ident]
        if value not in allowed:
            raise QueryError(f"查询 {name} 的参数 {ident} 只能是 {'、'.join(allowed)}，不能是 {value!r}。")
        identifiers[ident] = value
    by_range = query.span and (not query.period or any(params.get(k) not in (None, "") for k in ("start", "end")))
    if by_range and query.period and params.get("period_start") not in (None, ""):
        raise QueryError(f"查询 {name} 按周期（period_start）或按日期区间（start、end）取数，两者不能同时给。")
    time_params = (*_SPAN, _COMPARE, _UNTIL, _THROUGH) if by_range else (_PERIOD if query.period else ())
    values: dict[str, Any] = {}
    for param in query.params + time_params + (_SCOPE_FILTERS if query.scope else ()):
        values[param.name] = _coerce(name, param, params.get(param.name))
    _check_date_order(name, values)
    if by_range:
        values.update(range_bounds(values["start"], values["end"], values["compare_to"], values.pop("until"),
                                   values.pop("through")), grain="day")
    elif query.period:
        values.update(period_bounds(values["period_type"], values["period_start"]))
        values.update(previous_end=values["period_start"], grain=values["period_type"])
    if query.scope:
        values.update(_scope(name, params))
    sql = query.sql_for(query.switches(values) if query.switches else {})
    for ident, value in identifiers.items():
        sql = sql.replace("{{" + ident + "}}", value)
    used = set(re.findall(r"\$([a-z_][a-z0-9_]*)", re.sub(r"--[^\n]*", "", sql)))
    # The caller's cursor is used as it is: onescreen.db hands out one cursor per query, already
    # pointed at the attached warehouse (a fresh .cursor() would not inherit that).
    try:
        df = con.execute(sql, {k: v for k, v in values.items() if k in used}).df()
    except duckdb.CatalogException as exc:
        raise QueryError(f"指标尚未生成：请先运行 {settings.no_data_advice()}。") from exc
    except duckdb.BinderException as exc:  # a column the marts of an older version lack (the log keeps the cause)
        raise StaleMarts("数据仓库的汇总表缺少本页需要的列，通常是升级程序后还没有重建：请运行 python -m etl refresh"
                         "（make run 启动时会自动检查并重建），再刷新本页。") from exc
    return query.postprocess(df, con) if query.postprocess and postprocess else df


def period_bounds(period_type: str, period_start: date) -> dict[str, date]:
    """The period containing ``period_start``: its start, end (exclusive), previous and year-ago starts."""
    if period_type == "day":
        start, end, previous = period_start, period_start + timedelta(days=1), period_start - timedelta(days=1)
        yoy = _year_before(start)
    elif period_type == "week":
        start = period_start - timedelta(days=period_start.weekday())
        end, previous, yoy = start + timedelta(days=7), start - timedelta(days=7), start - timedelta(weeks=52)
    else:
        start = period_start.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        previous = (start - timedelta(days=1)).replace(day=1)
        yoy = start.replace(year=start.year - 1)
    return {"period_start": start, "period_end": end, "previous_start": previous, "yoy_start": yoy}


def range_bounds(start: date, end: date, compare_to: str = "preceding", until: time | None = None,
                 through: date | None = None) -> dict[str, date]:
    """A custom range, both days included, in the derived parameters of a period: its start, its end
    (exclusive), the range it is compared with (``previous_start`` up to ``previous_end``) and the same
    dates a year earlier (``yoy_start`` up to ``yoy_end``).

    ``compare_to``: ``preceding``, the same number of days right before; ``month`` (the days so far of a
    month under way: 12-01 to 12-10), the same days of the month before (11-01 to 11-10, cut at that month's
    end); ``week``, the same days of the week before, and 52 weeks earlier for the year-ago range (weekdays
    line up, as a period's do); ``quarter`` (the days so far of a quarter under way: 10-01 to 12-10), the same
    dates of the quarter before (07-01 to 09-10, a day past a month's end cut to it: 05-31 is set against 02-28).
    For ``month`` and ``quarter`` the year-ago range is the same dates a year earlier. ``day`` (a day under way):
    the day before, and the same date a year earlier.

    ``until`` (a time of day): the tickets stop at that time of ``end`` (a day under way: the last receipt at
    11:59:52 gives 11:59:53). The range then ends at ``end`` + ``until``, and so do the ranges it is compared
    with on their last day when they line up day for day (``month``, ``quarter``, ``week``, ``day``; not one cut short at a
    month's end, nor the days right before a range): ``period_end``, ``previous_end`` and ``yoy_end`` become
    datetimes. Compared up to the same hour, the morning of day 10 is not set against the whole of day 10 before.

    ``through`` (a custom range, ``preceding``, that runs past the data: its last day with tickets, before ``end``): the
    range holds tickets only up to that day, so it ends there, and the windows it is compared with keep the same days:
    the first ones of the days right before (11-30 to 12-06 with tickets to 12-03: 11-23 to 11-26, not all seven) and
    the same dates a year earlier up to that day; with ``until``, all three up to that time of their last day."""
    length = timedelta(days=(end - start).days + 1)
    bounds = {"period_start": start, "period_end": end + timedelta(days=1), "previous_start": start - length,
              "previous_end": start, "yoy_start": _year_before(start), "yoy_end": _year_before(end) + timedelta(days=1)}
    if compare_to == "day":  # (a day under way: the day before)
        bounds.update(previous_start=start - timedelta(days=1), previous_end=start - timedelta(days=1) + length)
    elif compare_to == "week":
        bounds.update(previous_start=start - timedelta(days=7), previous_end=start - timedelta(days=7) + length,
                      yoy_start=start - timedelta(weeks=52), yoy_end=start - timedelta(weeks=52) + length)
    cut_short = False  # the previous range's last day is not the same date (a month's end)
    past_data = compare_to == "preceding" and through is not None and start <= through < end
    if past_data:
        covered = timedelta(days=(through - start).days + 1)
        bounds.update(period_end=through + timedelta(days=1), previous_end=bounds["previous_start"] + covered,
                      yoy_end=_year_before(through) + timedelta(days=1))
    if compare_to in ("month", "quarter"):
        months = 1 if compare_to == "month" else 3
        previous_last, cut_short = _months_before(end, months)
        bounds.update(previous_start=_months_before(start, months)[0], previous_end=previous_last + timedelta(days=1))
    if until is not None and until != time(0):
        cut = ["period_end"]
        if compare_to in ("month", "quarter", "week", "day") or past_data:
            cut += ["yoy_end"] + ([] if cut_short else ["previous_end"])
        for key in cut:
            bounds[key] = datetime.combine(bounds[key] - timedelta(days=1), until)
    return bounds


def cut_time(last_receipt: datetime | None, as_of: datetime | None = None) -> time | None:
    """The time of day a day's tickets stop at, given the last receipt (11:59:52 -> 11:59:53, the second after:
    ranges end before it, :func:`range_bounds`' until); None when the day is whole: a receipt in its last second,
    or data from a later day (``as_of``, 数据截至: a callback the next morning says the export was made after
    that day was over), or nothing is known."""
    if last_receipt is None or (as_of is not None and as_of.date() > last_receipt.date()):
        return None
    cut = last_receipt.replace(microsecond=0) + timedelta(seconds=1)
    return cut.time() if cut.date() == last_receipt.date() else None


def window_label(start: date, end: date) -> str:
    """A window of :func:`range_bounds` (``end`` exclusive) as people read it: ``2025-11-01 至 2025-11-10``; an end at a
    time of its last day (``until``) names the minute: ``2025-11-01 至 2025-11-10 11:59``, one day ``2025-11-09 0:00 至
    11:59``. (The pages' labels and the 周报's.)"""
    if isinstance(end, datetime):
        last = end - timedelta(seconds=1)
        if last.date() == start:
            return f"{start:%Y-%m-%d} 0:00 至 {last:%H:%M}"
        return f"{start:%Y-%m-%d} 至 {last:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d} 至 {end - timedelta(days=1):%Y-%m-%d}"


def window_params(start: date, end: date) -> dict[str, Any]:
    """``start``/``end`` (both days included, and ``until`` for an end at a time of day) of a span query over one
    window of :func:`range_bounds`, from its start and exclusive end: ``previous_start``/``previous_end`` give the
    previous window's own figures."""
    if isinstance(end, datetime):
        return {"start": start, "end": end.date(), "until": end.time()}
    return {"start": start, "end": end - timedelta(days=1)}


def _check_date_order(name: str, values: dict[str, Any]) -> None:
    """Refuse a range that ends before it starts (an inclusive end may equal the start)."""
    for first, last, inclusive in _DATE_PAIRS:
        a, b = values.get(first), values.get(last)
        if a is None or b is None:
            continue
        if a > b or (a == b and not inclusive):
            relation = "晚于" if inclusive else "不早于"
            raise QueryError(f"查询 {name} 的参数 {first}（{a}）{relation} {last}（{b}）：区间的开始日期不能晚于结束日期。")


def _months_before(day: date, months: int) -> tuple[date, bool]:
    """The same date ``months`` months earlier, and whether it was cut to that month's last day (05-31 -> 02-28)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last)), day.day > last


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _scope(name: str, params: dict[str, Any]) -> dict[str, str]:
    level, unit_code = params.get("level"), params.get("unit_code")
    if level is not None:
        if level not in LEVELS:
            raise QueryError(f"查询 {name} 的参数 level 只能是 {'、'.join(LEVELS)}，不能是 {level!r}。")
        if level == "district":
            return {"scope_level": "district", "scope_code": "all"}
        if not unit_code:
            raise QueryError(f"查询 {name} 指定了 level={level}，还需要 unit_code。")
        return {"scope_level": level, "scope_code": str(unit_code)}
    for level_name, key in (("grid", "grid_code"), ("community", "community_code"), ("street", "street_code")):
        if params.get(key):
            return {"scope_level": level_name, "scope_code": str(params[key])}
    return {"scope_level": "district", "scope_code": "all"}


def _coerce(name: str, param: Param, value: Any) -> Any:
    if value is None or value == "":
        if param.default is REQUIRED:
            raise QueryError(f"查询 {name} 缺少参数 {param.name}。")
        value = param.default
        if value is None:
            return None
    try:
        if param.kind == "time":
            value = value if isinstance(value, time) else time.fromisoformat(str(value))
        elif param.kind == "instant" and (isinstance(value, datetime) or len(str(value)) > 10):
            # a range's end at a time of day (range_bounds' until)
            value = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        elif param.kind in ("date", "month", "instant"):
            if isinstance(value, datetime):
                value = value.date()
            elif not isinstance(value, date):
                value = date.fromisoformat(str(value)[:10])
            if param.kind == "month":
                value = value.replace(day=1)
        elif param.kind == "int":
            if isinstance(value, bool):
                raise ValueError
            value = int(value)
        elif param.kind == "bool":
            value = bool(value)
        else:
            value = str(value)
    except ValueError:
        kinds = {"date": "日期（如 2025-10-01）", "month": "日期（如 2025-10-01）", "time": "时刻（如 11:59:53）",
                 "instant": "日期或时刻（如 2025-10-01 或 2025-10-01 11:59:53）", "int": "整数", "bool": "是/否", "str": "文字"}
        raise QueryError(f"查询 {name} 的参数 {param.name} 应为{kinds[param.kind]}，不能是 {value!r}。") from None
    if param.choices is not None and value not in param.choices:
        raise QueryError(f"查询 {name} 的参数 {param.name} 只能是 {'、'.join(map(str, param.choices))}，"
                         f"不能是 {value!r}。")
    if param.maximum is not None and not 1 <= value <= param.maximum:
        raise QueryError(f"查询 {name} 的参数 {param.name} 应在 1 到 {param.maximum} 之间，不能是 {value}。")
    return value
