"""The name of the whole area a warehouse holds: 全区, or the street itself on a one-street install.

A street that installs OneScreen for itself loads only its own grids: there, "全区" (the district) named an area
nobody runs, and a ranking of streets was one bar. Every page, wall and report asks here what to call the whole
area and at which level to rank its units, so the two never disagree.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

DISTRICT_NAME = "全区"

# The streets the warehouse holds (dim_streets: only loaded places, never the street names of tickets).
STREETS_SQL = "select street_code, street_name from dim_streets order by street_code"

Sql = Callable[..., pd.DataFrame]  # data.sql or a report Source's sql: (statement, params) -> frame


def whole_area_name(streets: pd.DataFrame) -> str:
    """The one street's name (its code when it has none) when ``streets`` holds exactly one, else 全区."""
    if len(streets) != 1:
        return DISTRICT_NAME
    row = streets.iloc[0]
    name = row.get("street_name")
    return str(name) if name is not None and not pd.isna(name) and str(name).strip() else str(row["street_code"])


def ranking_level(streets: pd.DataFrame) -> str:
    """The level the whole area's units are ranked at: ``street``, or ``community`` when there is one street
    (a ranking of one street is one bar)."""
    return "community" if len(streets) == 1 else "street"


RANKING_TITLES = {"street": "街道排名", "community": "社区排名"}


def streets(sql: Sql) -> pd.DataFrame:
    """The warehouse's streets through ``sql`` (``onescreen.data.sql`` or a report Source's ``sql``)."""
    return sql(STREETS_SQL)
