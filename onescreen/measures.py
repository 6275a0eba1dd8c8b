"""Measures worked out from a named query's rows in Python, where the marts do not hold them by area."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


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
