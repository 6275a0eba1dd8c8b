"""The shared filters (period, street -> community -> grid, source, category), kept in the URL.

Every filter lives in ``st.query_params`` so a view can be bookmarked and opened in a meeting; the
sidebar widgets read their initial value from the URL and write it back when changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date

import pandas as pd
import streamlit as st

from onescreen import data

PERIOD_LABELS = {"month": "月", "week": "周", "day": "日"}
ALL = ""


@dataclass(frozen=True)
class Filters:
    """What the user is looking at. Empty strings mean "all"."""

    period_type: str
    period_start: date
    street_code: str = ALL
    community_code: str = ALL
    grid_code: str = ALL
    source: str = ALL
    category: str = ALL

    def scope(self) -> dict[str, str]:
        """The area filters as query parameters (only the ones set)."""
        return {k: v for k, v in (("street_code", self.street_code), ("community_code", self.community_code),
                                  ("grid_code", self.grid_code)) if v}

    def as_query_params(self) -> dict[str, str]:
        values = asdict(self)
        values["period_start"] = self.period_start.isoformat()
        return {k: v for k, v in values.items() if v}


def _param(name: str, default: str = ALL) -> str:
    value = st.query_params.get(name, default)
    return value if isinstance(value, str) else default


def _period_options(period_type: str, first: date, last: date) -> list[date]:
    if period_type == "month":
        return [d.date() for d in pd.date_range(first.replace(day=1), last, freq="MS")][::-1]
    if period_type == "week":
        start = pd.Timestamp(first) - pd.Timedelta(days=first.weekday())
        return [d.date() for d in pd.date_range(start, last, freq="7D")][::-1]
    return [d.date() for d in pd.date_range(first, last, freq="D")][::-1]


def period_label(period_type: str, start: date) -> str:
    """``2025年10月`` / ``2025-W41（10-06 起）`` / ``2025-10-07``."""
    if period_type == "month":
        return f"{start.year}年{start.month}月"
    if period_type == "week":
        iso = start.isocalendar()
        return f"{iso.year}年第{iso.week}周（{start:%m-%d} 起）"
    return start.isoformat()


def current_filters(widgets: bool = True) -> Filters | None:
    """Read the filters from the URL (and show them in the sidebar when ``widgets``); None if no data."""
    span = data.ticket_span()
    if span is None:
        return None
    first, last = span
    period_type = _param("period_type", "month")
    if period_type not in PERIOD_LABELS:
        period_type = "month"
    options = _period_options(period_type, first, last)
    try:
        wanted = date.fromisoformat(_param("period_start"))
    except ValueError:
        wanted = options[0]
    period_start = min(options, key=lambda d: abs((d - wanted).days)) if options else last
    street, community, grid = _within_scope(_param("street_code"), _param("community_code"), _param("grid_code"))
    source, category = _param("source"), _param("category")
    if widgets:
        with st.sidebar:
            st.markdown("**筛选**")
            period_type = st.radio("统计周期", list(PERIOD_LABELS), index=list(PERIOD_LABELS).index(period_type),
                                   format_func=PERIOD_LABELS.get, horizontal=True, key="f_period_type")
            options = _period_options(period_type, first, last)
            if period_start not in options:
                period_start = options[0]
            period_start = st.selectbox("周期", options, index=options.index(period_start),
                                        format_func=lambda d: period_label(period_type, d), key=f"f_period_{period_type}")
            places = data.places()
            streets = places[["street_code", "street_name"]].drop_duplicates().sort_values("street_code")
            area = data.area()  # a scoped user gets no "全部" where it would reach outside their area
            street = _choose("街道", streets, "street_code", "street_name", street, "f_street", allow_all=area.district)
            communities = places[places["street_code"] == street] if street else places.iloc[0:0]
            communities = communities[["community_code", "community_name"]].drop_duplicates().sort_values("community_code")
            community = _choose("社区", communities, "community_code", "community_name", community, "f_community",
                                allow_all=area.district or area.allows("street_code", street))
            grids = places[places["community_code"] == community] if community else places.iloc[0:0]
            grid = _choose("网格", grids[["grid_code", "grid_name"]].sort_values("grid_code"), "grid_code", "grid_name", grid, "f_grid",
                           allow_all=area.district or area.allows("community_code", community))
            sources = data.distinct_values("source")
            source = _choose_value("诉求来源", sources, source, "f_source")
            categories = data.distinct_values("category_l1")
            category = _choose_value("诉求分类", categories, category, "f_category")
        street, community, grid = _within_scope(street, community, grid)
    filters = Filters(period_type, period_start, street, community if street else ALL, grid if community else ALL, source, category)
    _write_url(filters)
    return filters


def _within_scope(street: str, community: str, grid: str) -> tuple[str, str, str]:
    """The narrowest requested unit the user's scope allows, else their home unit, as (street,
    community, grid). The URL can narrow within the scope, never widen it."""
    area = data.area()
    if area.district:
        return street, community, grid
    for key, code in (("grid_code", grid), ("community_code", community), ("street_code", street)):
        if code and area.allows(key, code):
            break
    else:
        if area.home is None:
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


def _choose(label: str, frame: pd.DataFrame, code: str, name: str, current: str, key: str,
            allow_all: bool = True) -> str:
    codes = ([ALL] if allow_all else []) + frame[code].tolist()
    if not codes:
        codes = [ALL]
    names = dict(zip(frame[code], frame[name].fillna(frame[code])))
    index = codes.index(current) if current in codes else 0
    return st.selectbox(label, codes, index=index, format_func=lambda c: names.get(c, "全部") if c else "全部", key=key)


def _choose_value(label: str, values: list[str], current: str, key: str) -> str:
    options = [ALL] + values
    index = options.index(current) if current in options else 0
    return st.selectbox(label, options, index=index, format_func=lambda v: v or "全部", key=key)


def _write_url(filters: Filters) -> None:
    wanted = filters.as_query_params()
    keep = {k: v for k, v in st.query_params.to_dict().items() if k not in (
        "period_type", "period_start", "street_code", "community_code", "grid_code", "source", "category")}
    merged = {**keep, **wanted}
    if merged != st.query_params.to_dict():
        st.query_params.from_dict(merged)


def active() -> Filters | None:
    """The filters app.py read for this run (None when the warehouse has no tickets yet)."""
    return st.session_state.get("filters")


def unit_filters(unit: Mapping, level: str) -> tuple[str, dict[str, str]] | None:
    """(name, URL filters) that narrow any page to one unit of a breakdown (a ``rates_breakdown``
    row of ``level``): a street, community or grid with its parents, a source or a category. None for
    a row that is not one unit (未落格, 未分类) or a level no filter has (承办单位)."""
    if unit["unit_code"] == "unassigned":
        return None
    if level in ("street", "community", "grid"):
        keys = {"street": ("street_code",), "community": ("street_code", "community_code"),
                "grid": ("street_code", "community_code", "grid_code")}[level]
        params = {k: str(unit[k]) for k in keys if unit.get(k) is not None and not pd.isna(unit.get(k))}
        return (str(unit["unit_name"]), params) if len(params) == len(keys) else None
    if level in ("source", "category"):
        return str(unit["unit_name"]), {level: str(unit["unit_code"])}
    return None
