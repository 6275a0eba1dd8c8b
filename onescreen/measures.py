"""Measures worked out from a named query's rows in Python, where the marts do not hold them by area."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from onescreen.koujing import LABELS

# The measures that wait for callbacks (回访: was it solved, was the caller satisfied): while more than 1% of a
# window's tickets may still get one (kpi_tiles' awaiting_callback_count), they move, and a change is not judged.
CALLBACK_METRICS = ("resolution_rate", "satisfaction_rate", "composite_score")
CALLBACK_WORD = "回访未完"


def ranking_callback_note(breakdown: pd.DataFrame, window: str = "本期") -> str:
    """The line a ranking by 综合得分 (or 解决率, 满意率) carries while its ``window`` is 回访未完: the
    ``rates_breakdown(_range)`` rows listed have more than 1% of their tickets still waiting for a callback
    (``is_listed_callback_provisional``, the rule the KPI tiles use for the same area). Its rates, scores and so
    the ranks will still move; the figures are shown all the same. ``""`` for a settled window (or rows without
    the flag)."""
    if breakdown.empty or "is_listed_callback_provisional" not in breakdown:
        return ""
    if not bool(breakdown["is_listed_callback_provisional"].fillna(False).any()):
        return ""
    waiting = pd.to_numeric(breakdown["listed_awaiting_callback_count"], errors="coerce").max()
    count = f"（尚有 {int(waiting):,} 件待回访）" if pd.notna(waiting) and waiting > 0 else ""
    return f"{window}{CALLBACK_WORD}{count}：解决率、满意率和综合得分还会变化，排名仅供参考。"


def trend_callback_note(trend: pd.DataFrame, metrics=CALLBACK_METRICS) -> str:
    """The caption under a trend chart with points still 回访未完 (:func:`callback_points`) among ``metrics``: what
    their hollow markers and dotted line mean. ``""`` when none is drawn so."""
    shown = [m for m in CALLBACK_METRICS if m in metrics and m in trend]
    if not shown or not (callback_points(trend) & trend[shown].notna().any(axis=1)).any():
        return ""
    names = "、".join(LABELS[m] for m in shown)
    return f"空心点、虚线：{CALLBACK_WORD}的周期（超过 1% 的工单尚无回访结果），其{names}还会随回访到来而变化。"


def callback_points(trend: pd.DataFrame) -> pd.Series:
    """Which ``rates_trend`` rows are 回访未完 (``is_callback_provisional``; all False without the column), as a
    boolean Series on ``trend``'s index."""
    if "is_callback_provisional" not in trend:
        return pd.Series(False, index=trend.index, dtype=bool)
    return trend["is_callback_provisional"].fillna(False).astype(bool)


@dataclass(frozen=True)
class Proactive:
    """未诉先办: tickets from the sources that find problems first (grid workers, video patrols) among all
    tickets, this period and the one before; shares are 0-100, None without tickets."""

    count: int
    total: int
    previous_count: int
    previous_total: int

    @property
    def share(self) -> float | None:
        return 100.0 * self.count / self.total if self.total else None

    @property
    def previous_share(self) -> float | None:
        return 100.0 * self.previous_count / self.previous_total if self.previous_total else None

    @property
    def change(self) -> float | None:
        """The change of the share in percentage points."""
        if self.share is None or self.previous_share is None:
            return None
        return self.share - self.previous_share


def proactive(mix: pd.DataFrame, sources) -> Proactive:
    """未诉先办 from ``category_mix`` by source (every source: ``limit=1000``) and the proactive sources of the
    rules in force."""
    if mix.empty:
        return Proactive(0, 0, 0, 0)
    found = mix["source"].isin(list(sources))
    return Proactive(int(mix.loc[found, "ticket_count"].sum()), int(mix["ticket_count"].sum()),
                     int(mix.loc[found, "previous_ticket_count"].sum()), int(mix["previous_ticket_count"].sum()))


# The precision each unit of a KPI row (kpi_tiles) is shown with.
SHOWN_DIGITS = {"pct": 1, "score": 1, "workdays": 2, "count": 0}


def shown_changes(kpis: pd.DataFrame) -> pd.DataFrame:
    """The KPI rows with each change as a reader checks it: the difference of the two figures as shown. 97.2% against
    96.7% (96.74) is +0.5, not the +0.6 of the exact difference; 98.3% against 98.4% (98.349 and 98.351) is −0.1,
    not a 持平 that contradicts the two numbers beside it; 98.3% against 98.3% (98.349 and 98.251) is 持平. A change
    with a figure missing stays as it came."""
    out = kpis.copy()
    for other, change in (("previous_value", "change"), ("yoy_value", "yoy_change")):
        if other not in out or change not in out:
            continue
        digits = out["unit"].map(SHOWN_DIGITS).fillna(1).astype(int)
        value, before = out["value"].astype("float64"), out[other].astype("float64")
        exact = out[change].astype("float64")
        out[change] = [round(round(v, d) - round(b, d), d) if pd.notna(c) and pd.notna(v) and pd.notna(b) else c
                       for c, v, b, d in zip(exact, value, before, digits)]
    return out
