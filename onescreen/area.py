"""The name of the whole area a warehouse holds: the rules file's ``[area] name``, else 全区, or the street itself on
a one-street install.

A street that installs OneScreen for itself loads only its own grids: there, "全区" (the district) named an area
nobody runs, and a ranking of streets was one bar. A district office names itself (南湖区, 南湖区城东片区) in
config/rules.toml. Every page, wall and report asks here what to call the whole area and at which level to rank
its units, so they never disagree.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable

import pandas as pd

from onescreen import settings
from onescreen.rules import RulesError, load_area_name

DISTRICT_NAME = "全区"

# The streets the warehouse holds (dim_streets: only loaded places, never the street names of tickets).
STREETS_SQL = "select street_code, street_name from dim_streets order by street_code"

Sql = Callable[..., pd.DataFrame]  # data.sql or a report Source's sql: (statement, params) -> frame


def whole_area_name(streets: pd.DataFrame) -> str:
    """The rules file's ``[area] name`` when set; else the one street's name (its code when it has none) when
    ``streets`` holds exactly one, else 全区."""
    configured = configured_name()
    if configured:
        return configured
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


def rank_header(streets: pd.DataFrame) -> str:
    """The header of a rank among every unit of one level in the whole area, over a table narrowed to a part of
    it (377 in a community of 10 grids): ``<[area] name>内排名`` when the rules file names the area, else
    街道内排名 on a one-street warehouse (its whole area is the street), else 全区排名."""
    configured = configured_name()
    if configured:
        return f"{configured}内排名"
    return "街道内排名" if len(streets) == 1 else "全区排名"


def configured_name() -> str:
    """``[area] name`` from the rules file in force, or "" when it is empty or absent.

    A rules file that cannot be read, or whose ``[area]`` is wrong, names nothing here (""): the walls keep
    running under the name they had, and ``etl refresh``, every load and the 总览 report the file's fault
    (:func:`onescreen.rules.load_rules` checks ``[area]`` with the other sections).
    """
    path = settings.rules_path()
    try:
        stat = path.stat()
    except OSError:
        return ""
    return _configured_name(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _configured_name(path: str, _mtime_ns: int, _size: int) -> str:
    """Read once per version of the file: a page asks for the name several times a run."""
    try:
        return load_area_name(Path(path))
    except RulesError:
        return ""


def streets(sql: Sql) -> pd.DataFrame:
    """The warehouse's streets through ``sql`` (``onescreen.data.sql`` or a report Source's ``sql``)."""
    return sql(STREETS_SQL)
