"""Cached data access for pages: named queries and the few lookups the filters need.

Every cached function takes the warehouse version as an argument, so a new load (a new published
file) expires the cache without a restart; results are small DataFrames (``st.cache_data``), never
connections. Each call runs on its own cursor (Streamlit sessions are threads).
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from onescreen import db
from onescreen.queries import QueryError, run_query

CACHE_TTL = 3600


def available() -> bool:
    """Whether a warehouse with tickets and marts has been published."""
    if not db.warehouse_exists():
        return False
    try:
        return _has_marts(db.warehouse_version())
    except Exception:
        return False


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=8)
def _has_marts(version: str) -> bool:
    with db.connect() as cur:
        names = {r[0] for r in cur.execute(
            "select table_name from information_schema.tables where table_catalog = 'wh'").fetchall()}
        if not {"mart_rates", "mart_meta", "fct_tickets"} <= names:
            return False
        return cur.execute("select count(*) from fct_tickets").fetchall()[0][0] > 0


def q(name: str, **params) -> pd.DataFrame:
    """A named query (see ``onescreen/queries.py``), cached per parameters and warehouse version."""
    return _cached_query(db.warehouse_version(), name, tuple(sorted((k, _key(v)) for k, v in params.items())))


def _key(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=512)
def _cached_query(version: str, name: str, params: tuple) -> pd.DataFrame:
    with db.connect() as cur:
        return run_query(cur, name, **dict(params))


def sql(statement: str, params: list | None = None) -> pd.DataFrame:
    """A small ad-hoc aggregate (bound parameters only), cached per warehouse version."""
    return _cached_sql(db.warehouse_version(), statement, tuple(params or ()))


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=256)
def _cached_sql(version: str, statement: str, params: tuple) -> pd.DataFrame:
    with db.connect() as cur:
        return cur.execute(statement, list(params)).df()


def as_of() -> datetime | None:
    """数据截至: the newest event time in the loaded tickets."""
    frame = q("as_of")
    if frame.empty or pd.isna(frame.iloc[0]["as_of"]):
        return None
    return pd.Timestamp(frame.iloc[0]["as_of"]).to_pydatetime()


def ticket_span() -> tuple[date, date] | None:
    """First and last receipt dates in the warehouse, or None when there are no tickets."""
    if not available():
        return None
    frame = sql("select min(received_at)::date as first, max(received_at)::date as last from fct_tickets")
    if frame.empty or pd.isna(frame.iloc[0]["first"]):
        return None
    return pd.Timestamp(frame.iloc[0]["first"]).date(), pd.Timestamp(frame.iloc[0]["last"]).date()


def places() -> pd.DataFrame:
    """Every grid with its community and street (codes and names), for the area filters."""
    return sql(
        "select grid_code, coalesce(grid_name, grid_code) as grid_name, community_code, community_name, "
        "street_code, street_name from dim_grids order by street_code, community_code, grid_code"
    )


def distinct_values(column: str) -> list[str]:
    """The values of ``source`` or ``category_l1`` present in the tickets (allow-listed column)."""
    if column not in ("source", "category_l1"):
        raise ValueError(column)
    frame = sql(f"select {column} as v, count(*) as n from fct_tickets where {column} is not null group by 1 order by 2 desc")
    return frame["v"].tolist()


__all__ = ["QueryError", "available", "q", "sql", "as_of", "ticket_span", "places", "distinct_values"]
