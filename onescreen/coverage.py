"""Whether the loaded data cover the window a figure is compared with (上期, 去年同期): one decision and one wording
for the pages and the review pack.

The warehouse begins on its first receipt day (``onescreen.data.ticket_span``, ``onescreen.report.data_span``). A
window compared with that begins before that day counts only the days from then on: with tickets from 2025-03-10,
March holds three weeks, so April's 受理量 reads as a large rise against it and its rates are of another sample. Such a
change is shown as one against incomplete data: a count's change (件数, a count's % change) is withheld and the place
says 上期数据不全（数据自 2025-03-10 起）; a rate's, a score's or an average's is shown, said to be against incomplete
data and called neither better nor worse. A window that ends before the data begin has no figure at all: 无上期数据.
The figures themselves are what they are: only how the change is presented differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

WHOLE, PARTIAL, NONE = "whole", "partial", "none"


@dataclass(frozen=True)
class Coverage:
    """How much of a compared window the data cover: ``state`` :data:`WHOLE`, :data:`PARTIAL` (the data begin
    inside it, on ``data_from``) or :data:`NONE` (it ends before they begin). ``word``: what the window is called
    (``上期``, ``上月``, ``去年同期``)."""

    state: str = WHOLE
    data_from: date | None = None
    word: str = "上期"

    @property
    def is_partial(self) -> bool:
        return self.state == PARTIAL

    @property
    def is_missing(self) -> bool:
        return self.state == NONE

    @property
    def mark(self) -> str:
        """``上期数据不全`` / ``无上期数据`` (empty for a whole window): the words beside a change."""
        return {PARTIAL: f"{self.word}数据不全", NONE: f"无{self.word}数据"}.get(self.state, "")

    @property
    def note(self) -> str:
        """``上期数据不全（数据自 2025-03-10 起）`` (empty for a whole window)."""
        return f"{self.mark}（数据自 {self.data_from:%Y-%m-%d} 起）" if self.mark else ""

    def sentence(self) -> str:
        """Why the change is not read as a rise or a fall, in a sentence for a caption, a hover or a report's note
        (empty for a whole window)."""
        if self.is_partial:
            return (f"{self.note}：{self.word}只含 {self.data_from:%Y-%m-%d} 起受理的工单，件数偏少，件数的变化不作比较；"
                    "各率的变化比的是不同的样本，仅供参考，不评判好坏。")
        if self.is_missing:
            return f"{self.note}：{self.word}在已导入的数据之前，没有可比较的数字。"
        return ""

    def withholds(self, unit: str) -> bool:
        """Whether a change of ``unit`` (``count``, ``pct``, ``score``, ``workdays``) is not shown at all: any change
        against a window without data, and a count's against one the data cover only in part."""
        return self.is_missing or (self.is_partial and unit == "count")


def coverage(start: date, end: date | datetime, data_from: date | None, word: str = "上期") -> Coverage:
    """The :class:`Coverage` of the window from ``start`` to ``end`` (exclusive: a day, or a time of its last day as
    ``onescreen.queries.range_bounds`` gives it) by data whose first receipt day is ``data_from`` (None: unknown,
    taken as whole)."""
    if data_from is None or start >= data_from:
        return Coverage(WHOLE, data_from, word)
    begins = datetime.combine(data_from, datetime.min.time())
    ends = end if isinstance(end, datetime) else datetime.combine(end, datetime.min.time())
    return Coverage(NONE if ends <= begins else PARTIAL, data_from, word)


def days_coverage(first: date, last: date, data_from: date | None, word: str = "上期") -> Coverage:
    """:func:`coverage` of the days ``first`` to ``last``, both included."""
    return coverage(first, last + timedelta(days=1), data_from, word)


def rank_moves_note(covered: Coverage) -> str:
    """Why 物业红黑榜 shows no rank move against last month (``covered``: the month before's :class:`Coverage`), a
    sentence for a caption or a note, the same on 一屏总览, the companies page, its wall and the 周报; empty when the
    data cover it whole."""
    if covered.is_partial:
        return f"名次较上月：{covered.note}，不作比较：上月的投诉只计其后受理的工单，其得分和名次不可比。"
    return f"名次较上月：{covered.note}，不作比较。" if covered.note else ""


def streak_at_least(month: date, months: int, data_from: date | None) -> bool:
    """Whether a run of ``months`` months on a list up to ``month`` (连续N个月上黑榜) may have begun before the data
    (first receipt day ``data_from``): the month before the run has no data at all, so whether the company was on
    that month's list is not known and ``months`` is a lower bound (至少连续N个月). A month before it that the data
    cover in part has a list, and the company was not on it."""
    if months < 1:
        return False
    first = (pd.Timestamp(month) - pd.DateOffset(months=months - 1)).date()
    return coverage((pd.Timestamp(first) - pd.DateOffset(months=1)).date(), first, data_from).is_missing


def streak_note(data_from: date) -> str:
    """What 至少 before a run of months on a list means (:func:`streak_at_least`)."""
    return f"至少连续 N 个月：数据自 {data_from:%Y-%m-%d} 起，此前是否上榜不详。"
