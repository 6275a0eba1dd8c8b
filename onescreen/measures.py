"""Measures worked out from a named query's rows in Python, where the marts do not hold them by area."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# The measures that wait for callbacks (回访: was it solved, was the caller satisfied): while more than 1% of a
# window's tickets may still get one (kpi_tiles' awaiting_callback_count), they move, and a change is not judged.
CALLBACK_METRICS = ("resolution_rate", "satisfaction_rate", "composite_score")
CALLBACK_WORD = "回访未完"


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
