"""The shared filters (time, street -> community -> grid, source, category), kept in the URL.

Every filter lives in ``st.query_params`` so a view can be bookmarked and opened in a meeting; the
sidebar widgets read their initial value from the URL and write it back when changed. A URL changed
from outside the widgets (a link from another page, the browser's back button) wins over what the
widgets held: the link's filters are the ones shown.

Time is a period (``period_type`` + ``period_start``) or a custom date range (``date_from`` and
``date_to``, both days included). With a range, ``period_type`` is the grain of the trend charts and
``period_start`` is the period that contains ``date_to``: figures that exist only per period (grid
lights, the red/black lists) fall back to it, and the pages say so.

The default period is the latest one, except in its first days (:data:`SETTLING_DAYS`: the first three
days of a month, the Monday of a week), when it holds too few tickets to judge and the one before is
shown. The default is never written to the URL: a URL without ``period_start`` means "the default", so a
wall screen (or a carousel, or a bookmark) moves on to the new month when the data do. A period the
user left on the default in the sidebar moves on with it too; any other stays.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from onescreen import data, ui
from onescreen import coverage as coverage_module
from onescreen.coverage import Coverage, coverage
from onescreen.queries import UNASSIGNED_LEVELS, cut_time, period_bounds, range_bounds, window_label

PERIOD_LABELS = {"month": "月", "week": "周", "day": "日"}
# What a period under way is compared with (Filters.against): the same days (hours) of the one before.
AGAINST = {"month": "较上月同期", "week": "较上周同期", "day": "较前一日同期"}
TIME_MODES = {"period": "按周期", "range": "自定义区间"}
ALL = ""
# The URL parameters the shared filters own (pages keep their own parameters beside these).
AREA_LABELS = {"street_code": "街道", "community_code": "社区", "grid_code": "网格"}
AREA_LEVELS = ("street", "community", "grid")
URL_KEYS = ("period_type", "period_start", "date_from", "date_to", "street_code", "community_code", "grid_code",
            "source", "category")
# The URL filters that pick a unit (an area, a source, a category): a link to one unit's tickets (a breakdown
# row) replaces all of them, since the marts count an area, a source or a category alone, never crossed.
UNIT_KEYS = ("street_code", "community_code", "grid_code", "source", "category")
# The sidebar widgets' keys: reset when the URL is changed from outside them.
WIDGET_KEYS = ("f_period_type", "f_time", "f_range", "f_period_month", "f_period_week", "f_period_day", "f_street",
               "f_community", "f_grid", "f_source", "f_category")
_WRITTEN = "os_filters_written"
_DEFAULT = "os_filters_default"  # {period_type: the default period of the last run}
# A month's first three days (a week's Monday) hold too few tickets to judge the period: until the data
# reach past them, the default period is the one before. Counted in days of data, not of the wall clock.
SETTLING_DAYS = {"month": 3, "week": 1}
SPAN_KEY = "os_filters_span"  # the ticket span the filters of this session were read against


class RangeError(ValueError):
    """A date range in the URL that cannot be used (Chinese message for the page)."""


@dataclass(frozen=True)
class Filters:
    """What the user is looking at. Empty strings mean "all"; ``date_from``/``date_to`` (both days
    included) set a custom date range instead of the period."""

    period_type: str
    period_start: date
    street_code: str = ALL
    community_code: str = ALL
    grid_code: str = ALL
    source: str = ALL
    category: str = ALL
    date_from: date | None = None
    date_to: date | None = None
    # The last receipt day when the period is still under way (tickets stop before its end), or when the range runs
    # past it (:attr:`runs_past_data`); else None. Not a filter (never in the URL): it makes comparisons like for like
    # (:meth:`compare_params`).
    data_to: date | None = None
    # The time of day the tickets of ``data_to`` stop at (the second after the last receipt), when that is
    # before midnight: the periods compared with are cut at the same time of their last day. Not in the URL.
    data_until: time | None = None

    @property
    def is_range(self) -> bool:
        """Whether a custom date range replaces the period."""
        return self.date_from is not None and self.date_to is not None

    def days(self) -> tuple[date, date]:
        """The first and last receipt day selected (both included): the range, else the period's."""
        if self.is_range:
            return self.date_from, self.date_to
        bounds = period_bounds(self.period_type, self.period_start)
        return bounds["period_start"], bounds["period_end"] - timedelta(days=1)

    def previous_window(self) -> dict[str, date | None]:
        """``previous_start`` and ``previous_end`` (exclusive) of the window this one is compared with, as the
        queries that take them want them: the period before (``previous_end`` None: up to this one's first day),
        as many days right before a range, or for a period under way the same days of the one before (its
        ``previous_end`` may be a time of its last day: ``range_bounds``' until)."""
        if self.is_range or self.is_partial:
            bounds = range_bounds(**self.compare_params())
            return {"previous_start": bounds["previous_start"],
                    "previous_end": bounds["previous_end"] if self.is_partial or self.runs_past_data else None}
        return {"previous_start": period_bounds(self.period_type, self.period_start)["previous_start"],
                "previous_end": None}

    def time_params(self) -> dict[str, object]:
        """The time parameters of a query that takes a period or a date range (``span`` in
        ``onescreen.queries``): ``start``/``end`` for a range, else ``period_type``/``period_start``."""
        if self.is_range:
            return {"start": self.date_from, "end": self.date_to}
        return {"period_type": self.period_type, "period_start": self.period_start}

    @property
    def is_partial(self) -> bool:
        """Whether a week or month still under way is shown (not a date range), or a day whose tickets stop during
        it (today's so far): its days so far are compared with the same days of the period before, up to the same
        time (:meth:`compare_params`)."""
        return not self.is_range and self.data_to is not None

    @property
    def runs_past_data(self) -> bool:
        """Whether a custom range ends after the last day with tickets (``data_to``) it holds: the days after have no
        data yet, so it is compared only up to that day (:meth:`compare_params`)."""
        return self.is_range and self.data_to is not None and self.data_to < self.date_to

    def compare_params(self) -> dict[str, object]:
        """The time parameters of a query that compares with the period before (``span``): :meth:`time_params`,
        except for a period under way (tickets up to 12-10 11:59): its days so far against the same days of the
        period before (11-01 to 11-10 11:59) and of a year before, not a third of a month against a whole one,
        which would read as a fall of two thirds every month (a day under way: the day before up to 11:59). Such a
        query is the ``*_range`` one. A range that runs past the data likewise (11-30 to 12-06, tickets to 12-03): its
        days with data against the same days of the days right before and of a year before (``range_bounds``' through),
        not four days against seven."""
        if self.is_partial:
            return {"start": self.period_start, "end": self.data_to, "compare_to": self.period_type,
                    "until": self.data_until}
        if self.runs_past_data:
            return {**self.time_params(), "through": self.data_to, "until": self.data_until}
        return self.time_params()

    def against(self) -> str:
        """What a change is against, as the tiles say it: ``环比``, or ``较上月同期`` for a month under way."""
        return AGAINST[self.period_type] if self.is_partial else "环比"

    def same_days_label(self) -> str:
        """``上月同期（2025-11-01 至 2025-11-10 11:59）``: what a period under way is compared with, up to the minute
        its tickets stop at (``前一日同期（2025-11-09 0:00 至 11:59）`` for a day)."""
        bounds = range_bounds(**self.compare_params())
        return f"{self.against().removeprefix('较')}（{window_label(bounds['previous_start'], bounds['previous_end'])}）"

    def compared_label(self) -> str | None:
        """What a range or a period under way is compared with, as a caption names it: ``此前 7 天``, ``此前 7 天的同样天数
        （2026-11-23 至 2026-11-26）`` for a range past the data, :meth:`same_days_label` for a period under way; None for a
        whole period (the page names it: 上月, 前一个周)."""
        if self.runs_past_data:
            bounds = range_bounds(**self.compare_params())
            return f"此前 {(self.date_to - self.date_from).days + 1} 天的同样天数（" \
                   f"{window_label(bounds['previous_start'], bounds['previous_end'])}）"
        if self.is_range:
            return f"此前 {(self.date_to - self.date_from).days + 1} 天"
        return self.same_days_label() if self.is_partial else None

    def time_label(self) -> str:
        """``2025年10月`` for a period, ``2025-10-01 至 2025-10-15`` for a range."""
        if self.is_range:
            return range_label(self.date_from, self.date_to)
        return period_label(self.period_type, self.period_start)

    def month(self) -> date:
        """The month that figures made per month by rule (lights on the big screen, red/black lists)
        show: the period's, or for a range the month of its last day."""
        return (self.date_to if self.is_range else self.period_start).replace(day=1)

    def scope(self) -> dict[str, str]:
        """The area filters as query parameters (only the ones set)."""
        return {k: v for k, v in (("street_code", self.street_code), ("community_code", self.community_code),
                                  ("grid_code", self.grid_code)) if v}

    def time_query_params(self) -> dict[str, str]:
        """:meth:`as_query_params` without the unit filters (:data:`UNIT_KEYS`): the time alone, for a link that
        names its own unit."""
        return {k: v for k, v in self.as_query_params().items() if k not in UNIT_KEYS}

    def as_query_params(self) -> dict[str, str]:
        values = asdict(self)
        values.pop("data_to")
        values.pop("data_until")
        for key in ("period_start", "date_from", "date_to"):
            values[key] = values[key].isoformat() if values[key] else ""
        return {k: v for k, v in values.items() if v}


def _param(name: str, default: str = ALL) -> str:
    value = st.query_params.get(name, default)
    return value if isinstance(value, str) else default


@functools.lru_cache(maxsize=64)
def _period_options(period_type: str, first: date, last: date) -> tuple[date, ...]:
    """The periods from the first receipt day to the last, newest first (asked four times a run: remembered)."""
    if period_type == "month":
        return tuple(d.date() for d in pd.date_range(first.replace(day=1), last, freq="MS"))[::-1]
    if period_type == "week":
        start = pd.Timestamp(first) - pd.Timedelta(days=first.weekday())
        return tuple(d.date() for d in pd.date_range(start, last, freq="7D"))[::-1]
    return tuple(d.date() for d in pd.date_range(first, last, freq="D"))[::-1]


def range_label(first: date, last: date) -> str:
    """``2025-10-01 至 2025-10-15`` (both days included)."""
    return f"{first:%Y-%m-%d} 至 {last:%Y-%m-%d}"


def parse_range(date_from: str, date_to: str) -> tuple[date, date] | None:
    """A date range from the URL's ``date_from``/``date_to`` (ISO dates, both days included); None
    when neither is given. Raises :class:`RangeError` (Chinese) for half a range, a date that is not
    one, or a range that ends before it starts."""
    if not date_from and not date_to:
        return None
    if not date_from or not date_to:
        missing = "开始日期（date_from）" if not date_from else "结束日期（date_to）"
        raise RangeError(f"自定义区间缺少{missing}：地址中要同时有 date_from 和 date_to，"
                         "如 date_from=2025-10-01&date_to=2025-10-15。已按周期显示。")
    days = []
    for value in (date_from, date_to):
        try:
            days.append(date.fromisoformat(value))
        except ValueError:
            raise RangeError(f"自定义区间的日期“{value}”无法识别：请写成 2025-10-01 这样的日期。已按周期显示。") from None
    first, last = days
    if first > last:
        raise RangeError(f"自定义区间的开始日期 {first} 晚于结束日期 {last}：请重新选择起止日期。已按周期显示。")
    return first, last


def period_label(period_type: str, start: date) -> str:
    """``2025年10月`` / ``2025年第41周（10-06 起）`` / ``2025-10-07``. A week that starts in the year before its ISO
    year names that year too (``2026年第1周（2025-12-29 起）``): "12-29 起" under 2026 read as a date in 2026."""
    if period_type == "month":
        return f"{start.year}年{start.month}月"
    if period_type == "week":
        iso = start.isocalendar()
        day = start.isoformat() if iso.year != start.year else f"{start:%m-%d}"
        return f"{iso.year}年第{iso.week}周（{day} 起）"
    return start.isoformat()


def current_filters(widgets: bool = True, period_note: bool = True) -> Filters | None:
    """Read the filters from the URL (and show them in the sidebar when ``widgets``); None if no data.

    A date range in the URL that cannot be used, or one with no tickets in it, is explained on the
    page in Chinese (an unusable one is dropped: the period is shown, never a guess). ``period_note``: say
    so on the page when the period shown is not over yet (pages that show the shared period's numbers).
    """
    span = data.ticket_span()
    st.session_state[SPAN_KEY] = span
    if span is None:
        return None
    first, last = span
    until = cut_time(data.last_receipt(), data.as_of())  # the time the last day's tickets stop at (None: a whole day)

    def under_way_day(day: date) -> bool:
        """Whether ``day`` is the last one and its tickets stop during it (a day view of today's so far)."""
        return until is not None and day == last

    notices: list[str] = []
    _carry_over_page_switch()
    if widgets and _url_changed_outside():
        for key in WIDGET_KEYS:
            st.session_state.pop(key, None)
    period_type, period_start, period_notices = _url_period(first, last)
    try:
        date_range = _url_range()
    except RangeError as error:
        notices.append(str(error))
        date_range = None
    asked = {key: _param(key) for key in ("street_code", "community_code", "grid_code")}
    street, community, grid = _within_scope(asked["street_code"], asked["community_code"], asked["grid_code"])
    narrowest = next(((key, code) for key, code in reversed(asked.items()) if code), None)
    if narrowest and narrowest[1] not in (street, community, grid):
        notices.append(f"地址中的{AREA_LABELS[narrowest[0]]}编号“{narrowest[1]}”不在已导入的数据中或不在您的查看范围内，"
                       "已改为显示您可查看的范围。")
    source, category = _param("source"), _param("category")
    if widgets:
        with st.sidebar:
            st.markdown("**筛选**")
            period_type = st.radio("统计周期", list(PERIOD_LABELS), index=list(PERIOD_LABELS).index(period_type),
                                   format_func=PERIOD_LABELS.get, horizontal=True, key="f_period_type",
                                   help="选自定义区间时，趋势图按此粒度；亮灯、红黑榜等按周期评定的，显示区间最后一天所在的周期。")
            mode = st.radio("时间", list(TIME_MODES), index=1 if date_range else 0, format_func=TIME_MODES.get,
                            horizontal=True, key="f_time")
            options = _period_options(period_type, first, last)
            if mode == "period":
                fallback = default_period(period_type, options, last)
                if period_start not in options:
                    period_start = fallback
                _follow_default(f"f_period_{period_type}", period_type, fallback)
                period_start = st.selectbox("周期", options, index=options.index(period_start),
                                            format_func=lambda d: period_label(period_type, d)
                                            + ("（未结束）" if unfinished(period_type, d, last)
                                               or (period_type == "day" and under_way_day(d)) else ""),
                                            key=f"f_period_{period_type}", placeholder=ui.SEARCH_HINT)
                date_range = None
            else:
                default = date_range or default_range(period_type, period_start, last)
                picked = st.date_input("起止日期（含当天）", value=default, key="f_range", format="YYYY-MM-DD")
                if isinstance(picked, (tuple, list)) and len(picked) == 2:
                    date_range = (min(picked), max(picked))
                else:  # the first day is picked, the second not yet
                    st.caption("请再点选结束日期。")
                    date_range = default
            choices = data.place_choices()
            area = data.area()  # a scoped user gets no "全部" where it would reach outside their area
            street = _choose("街道", choices.streets, street, "f_street", allow_all=area.district)
            community = _choose("社区", choices.communities.get(street, ()) if street else (), community, "f_community",
                                allow_all=area.district or area.allows("street_code", street))
            grid = _choose("网格", choices.grids.get(community, ()) if community else (), grid, "f_grid",
                           allow_all=area.district or area.allows("community_code", community))
            sources = data.distinct_values("source")
            source = _choose_value("诉求来源", sources, source, "f_source")
            categories = data.distinct_values("category_l1")
            category = _choose_value("诉求分类", categories, category, "f_category")
        street, community, grid = _within_scope(street, community, grid)
    if date_range is None:  # (with a range, the range is what is shown: the period is only its fallback)
        notices[:0] = period_notices
    else:
        # The period figures made per period by rule fall back to: the one holding the range's last day.
        options = _period_options(period_type, first, last)
        period_start = _nearest(options, period_bounds(period_type, date_range[1])["period_start"], last)
        if date_range[1] < first or date_range[0] > last:
            notices.append(f"所选区间 {range_label(*date_range)} 内没有受理的工单：已导入的工单受理于 "
                           f"{range_label(first, last)}。请换一个区间。")
    date_from, date_to = date_range or (None, None)
    # A week or month whose tickets stop before its last day, or the last day itself while its tickets stop during it;
    # or a range that runs past the last day with tickets (compared up to it as well).
    under_way = date_range is None and (unfinished(period_type, period_start, last)
                                        or (period_type == "day" and under_way_day(period_start)))
    past_data = date_range is not None and date_range[0] <= last < date_range[1]
    filters = Filters(period_type, period_start, street, community if street else ALL, grid if community else ALL,
                      source, category, date_from, date_to, last if under_way or past_data else None,
                      until if under_way or past_data else None)
    offered = _period_options(period_type, first, last)
    default_start = default_period(period_type, offered, last)
    st.session_state.setdefault(_DEFAULT, {})[period_type] = default_start
    is_default = date_range is None and period_start == default_start
    if widgets and is_default and default_start != offered[0]:
        st.sidebar.caption(f"{period_label(period_type, offered[0])}刚开始（工单只到 {last:%m-%d}），默认显示上一期；"
                           "可在“周期”中选择。")
    if widgets:
        first_day, last_day = filters.days()
        guessed = sorted(set(range(first_day.year, last_day.year + 1)) & data.guessed_calendar_years())
        if guessed:
            st.sidebar.caption(calendar_note(guessed))
    _write_url(filters, default=is_default)
    for notice in notices:  # they quote the address
        if widgets:
            st.warning(ui.markdown_text(notice), icon=":material/event_busy:")
        else:  # the wall: a small line, not a yellow box across the screen seen from the room
            st.caption(f":material/event_busy: {ui.markdown_text(notice)}")
    if widgets and period_note and under_way:
        st.info(same_days_note(filters), icon=":material/hourglass_top:")
    if widgets and period_note and past_data:
        st.info(range_past_data_note(filters), icon=":material/hourglass_top:")
    return filters


def _url_period(first: date, last: date) -> tuple[str, date, list[str]]:
    """The address's ``period_type`` and ``period_start``, as shown with data received from ``first`` to ``last``: the
    period holding ``period_start`` (a day inside it opens it), the default one without a ``period_start``. One the
    data do not reach, or that cannot be read, is replaced (the nearest period with data, or the default), and the
    notices (Chinese) say so, as for an unknown street code: never a silent swap."""
    notices = []
    period_type = _param("period_type", "month")
    if period_type not in PERIOD_LABELS:
        notices.append(f"地址中的 period_type={period_type} 无法识别（可用 "
                       f"{'、'.join(f'{k} {v}' for k, v in PERIOD_LABELS.items())}），已按月显示。")
        period_type = "month"
    options = _period_options(period_type, first, last)
    default = default_period(period_type, options, last)
    asked = _param("period_start")
    if not asked:
        return period_type, default, notices
    try:
        wanted = period_bounds(period_type, date.fromisoformat(asked))["period_start"]
    except ValueError:
        notices.append(f"地址中的 period_start={asked} 不是日期，已显示默认一期（{period_label(period_type, default)}）。")
        return period_type, default, notices
    if wanted in options:
        return period_type, wanted, notices
    shown = _nearest(options, wanted, last)
    notices.append(f"地址中的周期 {period_label(period_type, wanted)} 不在已导入的数据内（数据 {range_label(first, last)}），"
                   f"已显示 {period_label(period_type, shown)}。")
    return period_type, shown, notices


def previous_coverage(f: Filters, word: str = "上期") -> Coverage:
    """How much of the window ``f`` is compared with (:meth:`Filters.previous_window`) the loaded data cover
    (:mod:`onescreen.coverage`: whole, in part when they begin inside it, not at all when it ends before them)."""
    window = f.previous_window()
    span = data.ticket_span()
    return coverage(window["previous_start"], window["previous_end"] or f.days()[0], span[0] if span else None, word)


def last_month_coverage(month: date) -> Coverage:
    """How much of the month before ``month`` the loaded tickets cover (:mod:`onescreen.coverage`, called 上月): what
    物业红黑榜's rank moves compare with. Its complaints count only the days from the first ticket on, so its scores
    and ranks stand on part of the month (or on none of it)."""
    span = data.ticket_span()
    last_month = (pd.Timestamp(month) - pd.DateOffset(months=1)).date()
    return coverage(last_month, month, span[0] if span else None, word="上月")


def streak_at_least(month: date, months: int) -> bool:
    """Whether a run of ``months`` months on a list up to ``month`` may have begun before the loaded tickets
    (至少连续N个月): :func:`onescreen.coverage.streak_at_least` on the loaded tickets' first day."""
    span = data.ticket_span()
    return coverage_module.streak_at_least(month, months, span[0] if span else None)


def year_ago_coverage(f: Filters) -> Coverage:
    """:func:`previous_coverage` of the window ``f``'s 同比 compares with (去年同期: the same period a year before, 52
    weeks for a week; the same dates, and hour, for a range or a period under way)."""
    if f.is_range or f.is_partial:
        bounds = range_bounds(**f.compare_params())
        start, end = bounds["yoy_start"], bounds["yoy_end"]
    else:
        start = period_bounds(f.period_type, f.period_start)["yoy_start"]
        end = period_bounds(f.period_type, start)["period_end"]
    span = data.ticket_span()
    return coverage(start, end, span[0] if span else None, "去年同期")


def calendar_note(years: list[int]) -> str:
    """The sidebar's word on a shown time in years whose 调休 schedule is unknown (:func:`data.guessed_calendar_years`)."""
    return (f"{'、'.join(str(year) for year in years)} 年的放假调休安排未知：工作日（超期、临期、按期办结、办理时长）按法定节假日和"
            "周一至周五计算，调休的放假与补班没有计入。管理员可在 config/calendar_overrides.csv 补充国务院公布的安排后"
            "运行 python -m etl refresh。")


def same_days_note(f: Filters) -> str:
    """What a page says of a period under way: what its numbers are compared with."""
    until = f" {datetime.combine(f.data_to, f.data_until) - timedelta(seconds=1):%H:%M}" if f.data_until else ""
    head = f"{period_label(f.period_type, f.period_start)}尚未结束（工单只到 {f.data_to:%m-%d}{until}）："
    rest = "其余与上期、去年同期整期相比的件数自然偏少，各率也可能随后续办结、回访而变化。"
    return head + f"指标卡、三率分解、诉求构成、高频问题和重复诉求与{f.same_days_label()}相比；" + rest


def range_past_data_note(f: Filters) -> str:
    """What a page says of a custom range that runs past the data (:attr:`Filters.runs_past_data`): what its changes are
    against."""
    bounds = range_bounds(**f.compare_params())
    until = f" {datetime.combine(f.data_to, f.data_until) - timedelta(seconds=1):%H:%M}" if f.data_until else ""
    return (f"所选区间 {range_label(f.date_from, f.date_to)} 在数据截至（{f.data_to:%Y-%m-%d}{until}）之后的日子还没有数据，"
            f"环比、同比只比较到 {f.data_to.month}月{f.data_to.day}日：与{f.compared_label()}、去年同期"
            f"（{window_label(bounds['yoy_start'], bounds['yoy_end'])}）相比，不与整段相比（否则件数像是大幅下降）。")


def default_range(period_type: str, period_start: date, last: date) -> tuple[date, date]:
    """The custom range offered when the sidebar switches to 自定义区间: the days of the period shown, up to ``last`` (the
    last day with tickets) when it is under way; a range past the data would only be compared up to it anyway."""
    first_day, last_day = _period_days(period_type, period_start)
    return first_day, max(first_day, min(last_day, last))


def unfinished(period_type: str, period_start: date, last: date) -> bool:
    """Whether the tickets (received up to ``last``) stop before the period's last day."""
    return last < period_bounds(period_type, period_start)["period_end"] - timedelta(days=1)


def _nearest(options: Sequence[date], wanted: date, fallback: date) -> date:
    return min(options, key=lambda d: abs((d - wanted).days)) if options else fallback


def _period_days(period_type: str, period_start: date) -> tuple[date, date]:
    bounds = period_bounds(period_type, period_start)
    return bounds["period_start"], bounds["period_end"] - timedelta(days=1)


def _url_range() -> tuple[date, date] | None:
    """The URL's date range: ``date_from``/``date_to``, or the older ``range=FROM..TO`` of the ticket
    list (still read, so bookmarks keep working). Raises :class:`RangeError`."""
    legacy = _param("range")
    if not _param("date_from") and not _param("date_to") and ".." in legacy:
        return parse_range(*legacy.split("..", 1))
    return parse_range(_param("date_from"), _param("date_to"))


def _url_filters() -> dict[str, str]:
    """The filter parameters in the URL now (a legacy ``range=FROM..TO`` counts as one)."""
    current = {k: v for k, v in st.query_params.to_dict().items() if k in URL_KEYS}
    if ".." in _param("range"):
        current["range"] = _param("range")
    return current


def _carry_over_page_switch() -> None:
    """Streamlit's page links (the sidebar's navigation) open the next page with an empty address: the
    filters this session chose go on there, instead of the district's default under a sidebar that still
    showed the street. A link that names filters, or a new session, is taken as it is."""
    written = st.session_state.get(_WRITTEN)
    if written and not _url_filters():
        st.query_params.update(written)


def forget() -> None:
    """Drop the filters this session chose (a logout), so no page switch carries them over."""
    st.session_state.pop(_WRITTEN, None)


def _url_changed_outside() -> bool:
    """Whether the URL's filters differ from the ones this session last wrote: a link from another
    page or the browser's history changed them, so they win over the widgets' state."""
    written = st.session_state.get(_WRITTEN)
    return written is not None and written != _url_filters()


def _within_scope(street: str, community: str, grid: str) -> tuple[str, str, str]:
    """The narrowest requested unit the user's scope allows, else their home unit (the whole district for
    a district user), as (street, community, grid), its parents taken from the places: a link with only
    ``grid_code`` opens that grid. The URL can narrow within the scope, never widen it."""
    area = data.area()
    for key, code in (("grid_code", grid), ("community_code", community), ("street_code", street)):
        if code and (area.district or area.allows(key, code)):
            break
    else:
        if area.district or area.home is None:
            return ALL, ALL, ALL
        key, code = area.home
    row = data.places().loc[lambda p: p[key] == code]
    if row.empty:
        return ALL, ALL, ALL  # a code the warehouse does not know yet: the data layer shows the home unit
    first = row.iloc[0]
    if key == "grid_code":
        return first["street_code"], first["community_code"], code
    if key == "community_code":
        return first["street_code"], code, ALL
    return code, ALL, ALL


def _choose(label: str, pairs: data.Pairs, current: str, key: str, allow_all: bool = True) -> str:
    """A box of ``pairs`` ((code, name), see :class:`onescreen.data.PlaceChoices`), "全部" first if allowed."""
    codes = ([ALL] if allow_all else []) + [code for code, _ in pairs]
    if not codes:
        codes = [ALL]
    names = dict(pairs)
    index = codes.index(current) if current in codes else 0
    return st.selectbox(label, codes, index=index, format_func=lambda c: names.get(c, "全部") if c else "全部", key=key,
                        placeholder=ui.SEARCH_HINT)


def _choose_value(label: str, values: list[str], current: str, key: str) -> str:
    options = [ALL] + values
    index = options.index(current) if current in options else 0
    return st.selectbox(label, options, index=index, format_func=lambda v: v or "全部", key=key,
                        placeholder=ui.SEARCH_HINT)


def default_period(period_type: str, options: Sequence[date], last: date) -> date:
    """The period shown when none is chosen (``options`` newest first, ``last`` the last receipt day): the
    latest, unless the data reach only into its first :data:`SETTLING_DAYS` days; then the one before."""
    settling = SETTLING_DAYS.get(period_type, 0)
    if len(options) > 1 and (last - options[0]).days < settling:
        return options[1]
    return options[0]


def _follow_default(key: str, period_type: str, default: date) -> None:
    """A period widget left on the default period moves to the new default when the data move it."""
    previous = st.session_state.get(_DEFAULT, {}).get(period_type)
    if previous is not None and default != previous and st.session_state.get(key) == previous:
        st.session_state[key] = default


def _write_url(filters: Filters, default: bool = False) -> None:
    """Put ``filters`` in the URL; ``default``: the period is the default one, so ``period_start`` is left out."""
    wanted = filters.as_query_params()
    if default:
        wanted.pop("period_start", None)
    keep = {k: v for k, v in st.query_params.to_dict().items() if k not in URL_KEYS}
    if ".." in keep.get("range", ""):  # the ticket list's older range=FROM..TO, now date_from/date_to
        del keep["range"]
    merged = {**keep, **wanted}
    if merged != st.query_params.to_dict():
        st.query_params.from_dict(merged)
    st.session_state[_WRITTEN] = wanted


def active() -> Filters | None:
    """The filters app.py read for this run (None when the warehouse has no tickets yet)."""
    return st.session_state.get("filters")


def area_name(street_code: str = ALL, community_code: str = ALL, grid_code: str = ALL) -> str:
    """The name of the narrowest of these areas (``东风社区``; its code when the places do not know it), or the whole area's name (``全区``; the street on a one-street warehouse)."""
    places = data.places()
    for code, column, name in ((grid_code, "grid_code", "grid_name"), (community_code, "community_code", "community_name"),
                               (street_code, "street_code", "street_name")):
        if code:
            match = places.loc[places[column] == code, name].dropna()
            return str(match.iloc[0]) if len(match) else code
    return data.whole_area_name()


def unit_filters(unit: Mapping, level: str) -> tuple[str, dict[str, str]] | None:
    """(name, URL filters) that narrow any page to one unit of a breakdown (a ``rates_breakdown``
    row of ``level``): a street, community or grid with its parents, a source or a category. A row of the
    tickets no unit of the level holds (未落格, 社区不明, 街道不明, 未分类, 未注明承办单位) gets the area it counts (the
    community or street the breakdown was narrowed to, else none: the district) and ``unassigned`` = the level, a
    parameter of 工单明细 alone (``onescreen.tickets.UNASSIGNED``). None for a level no filter has (承办单位)."""
    if unit["unit_code"] == "unassigned":
        if level not in UNASSIGNED_LEVELS:
            return None
        area = {k: str(unit[k]) for k in ("street_code", "community_code")
                if level in AREA_LEVELS and unit.get(k) is not None and not pd.isna(unit.get(k))}
        return str(unit["unit_name"]), {**area, "unassigned": level}
    if level in AREA_LEVELS:
        keys = {"street": ("street_code",), "community": ("street_code", "community_code"),
                "grid": ("street_code", "community_code", "grid_code")}[level]
        params = {k: str(unit[k]) for k in keys if unit.get(k) is not None and not pd.isna(unit.get(k))}
        return (str(unit["unit_name"]), params) if len(params) == len(keys) else None
    if level in ("source", "category"):
        return str(unit["unit_name"]), {level: str(unit["unit_code"])}
    return None
