"""Cached data access for pages: named queries and the few lookups the filters need.

Every cached function takes the warehouse version as an argument, so a new load (a new published
file) expires the cache without a restart; results are small DataFrames, never connections. Each call
runs on its own cursor (Streamlit sessions are threads). A cached frame is kept once for every session
(``st.cache_resource``) and each caller gets its own copy-on-write view of it
(:func:`onescreen.frames.private_view`):
``st.cache_data`` unpickled a fresh copy for every call, a tenth of the server's time under 30 sessions.

Access is enforced here, on the server, for every named query (``onescreen.access``): the current
run's :class:`~onescreen.access.Access` (set by ``app.py`` from the logged-in identity, never from the
URL) clamps the area parameters into the user's scope, drops rows outside it, and applies the kiosk
tier's rules. The tier and the scope are part of every cache key, so one user's cached result is never
served to another. With no access set (no login) every query is refused.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import streamlit as st

from onescreen import access as acl
from onescreen import area as area_names
from onescreen import db
from onescreen.errors import UserFacingError
from onescreen.frames import private_view
from onescreen.queries import QUERIES, QueryError, run_query, run_query_unmasked

CACHE_TTL = 3600
ACCESS_KEY = "os_access"


def current_access() -> acl.Access:
    """The access of this page run (set by app.py); raises :class:`~onescreen.access.AccessError` if none."""
    current = st.session_state.get(ACCESS_KEY)
    if not isinstance(current, acl.Access):
        raise acl.AccessError("未登录：没有可显示的数据。")
    return current


def area() -> acl.Area:
    """The current user's scope resolved against the places in the warehouse."""
    return _area(db.warehouse_version(), current_access().identity.scope.key())


def set_access(access: acl.Access) -> None:
    """Record the access of this page run (app.py only)."""
    st.session_state[ACCESS_KEY] = access


def available() -> bool:
    """Whether a warehouse (or snapshot) with tickets and marts has been published."""
    try:
        version = db.warehouse_version()
    except FileNotFoundError:  # db.WarehouseMissingError: nothing published yet
        return False
    try:
        return _has_marts(version)
    except Exception:
        return False


def _engine_is(name: str, value) -> bool:
    """``isinstance(value, onescreen.engine.<name>)`` without importing the engine (and sqlglot, 0.13 s of a
    server's first page run): if no ClickHouse reader was ever made, nothing here can come from one."""
    engine = sys.modules.get("onescreen.engine")
    return engine is not None and isinstance(value, getattr(engine, name))


@st.cache_resource(ttl=CACHE_TTL, show_spinner=False, max_entries=8)
def _has_marts(version: str) -> bool:
    with db.connect() as cur:
        try:
            cur.execute("select count(*) from mart_rates where false").fetchall()
            cur.execute("select count(*) from mart_meta").fetchall()
            return cur.execute("select count(*) from fct_tickets").fetchall()[0][0] > 0
        except Exception as exc:
            if isinstance(exc, duckdb.CatalogException) or _engine_is("MissingTableError", exc):
                return False  # an empty warehouse: no marts yet
            raise


def q(name: str, **params) -> pd.DataFrame:
    """A named query (see ``onescreen/queries.py``) as the current access may see it, cached per
    parameters, warehouse version, tier and scope."""
    access = current_access()
    return private_view(_cached_query(db.warehouse_version(), name, _params_key(params), access.tier,
                                  access.identity.scope.key()))


def run_together(jobs: list[Callable[[], Any]], workers: int = 2) -> list[Any]:
    """Run ``jobs`` (callables reading through :func:`q` and :func:`sql`) ``workers`` at a time; their results in
    order, or the first job's error. Each worker carries this page run's context, so the jobs see this session's
    access (and Streamlit no warning about a thread without one). Used by the 周报's sections and :func:`prefetch`."""
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    run_ctx = get_script_run_ctx()

    def run(job: Callable[[], Any]) -> Any:
        add_script_run_ctx(threading.current_thread(), run_ctx)
        return job()

    with ThreadPoolExecutor(workers, thread_name_prefix="onescreen-query") as pool:
        return list(pool.map(run, jobs))


@dataclass(frozen=True)
class Call:
    """A named query with its parameters, written once for :func:`prefetch` and for the page's own read (``run``)."""

    name: str
    params: Mapping[str, Any]

    def run(self, **changed: Any) -> pd.DataFrame:
        """:func:`q` with these parameters (and ``changed`` over them)."""
        return q(self.name, **{**self.params, **changed})


def prefetch(calls: Iterable[Call]) -> None:
    """Run a page's queries two at a time into the cache before the page draws, so its own reads (``Call.run``),
    one after another, find them there. An error is left for that read to raise where the page handles it."""
    def job(call: Call) -> Callable[[], None]:
        def run() -> None:
            try:
                call.run()
            except Exception:  # noqa: BLE001 - the page's own read raises it again, where it is handled
                pass
        return run

    run_together([job(call) for call in calls])


def fetch(name: str, access: acl.Access, **params) -> pd.DataFrame:
    """Like :func:`q` for an explicit ``access`` and uncached: for a download built after the page run
    (a ``download_button`` callable runs outside it, so it cannot read the session)."""
    return _enforced(db.warehouse_version(), name, _params_key(params), access.tier, access.identity.scope.key())


def fetch_unmasked(name: str, access: acl.Access, **params) -> pd.DataFrame:
    """A ``ticket_list`` with personal fields unmasked, for a user holding the explicit
    ``export_unmasked`` permission, still limited to their scope. The caller audits the export."""
    if name != "ticket_list" or not access.identity.can("export_unmasked") or access.tier == "kiosk":
        raise acl.AccessError("没有未脱敏导出的权限。")
    area = _area(db.warehouse_version(), access.identity.scope.key())
    clamped = acl.clamp_params(name, QUERIES[name].accepted(), params, area)
    if clamped is None:
        return pd.DataFrame()
    with db.connect() as cur:
        return acl.filter_rows(run_query_unmasked(cur, name, **clamped), area)


AccessError = acl.AccessError


def reveal_phone(access: acl.Access, ticket_id: str, reason: str) -> str | None:
    """One ticket's full phone number for a staff user responsible for its area, audited.

    Refused (:class:`AccessError`) without the ``reveal_phone`` capability, without a reason of at
    least 4 characters, at the kiosk tier, or for a ticket outside the user's area. Never cached.
    """
    from onescreen import audit

    identity = access.identity
    if not identity.can("reveal_phone") or access.tier == "kiosk":
        raise AccessError("只有本辖区的社区/网格工作人员可以查看完整电话。")
    if len(reason.strip()) < 4:
        raise AccessError("请填写查看理由（至少 4 个字）。")
    area = _area(db.warehouse_version(), identity.scope.key())
    with db.connect() as cur:
        rows = cur.execute(
            "select t.street_code, t.community_code, t.grid_code, p.caller_phone from fct_tickets as t "
            "left join ticket_pii as p on p.ticket_id = t.ticket_id where t.ticket_id = ?", [ticket_id]).fetchall()
    if not rows:
        raise AccessError(f"没有工单 {ticket_id}。")
    street, community, grid, phone = rows[0]
    responsible = area.allows("grid_code", grid) if grid else area.allows("community_code", community)
    if not responsible:
        audit.record("denied", user=identity.name, role=identity.role, detail=f"查看工单 {ticket_id} 的电话：不在辖区")
        raise AccessError("这张工单不在您负责的区域，不能查看完整电话。")
    audit.record("reveal_phone", user=identity.name, role=identity.role, detail=f"工单 {ticket_id}；理由：{reason}",
                 rows=1)
    return phone


def _params_key(params: dict) -> tuple:
    return tuple(sorted((k, _key(v)) for k, v in params.items()))


def _key(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


class TierRefused(QueryError, UserFacingError):
    """A query this run's tier may not run (a ticket list on the big screen): the page says why, in Chinese."""


@st.cache_resource(ttl=CACHE_TTL, show_spinner=False, max_entries=512)
def _cached_query(version: str, name: str, params: tuple, tier: str, scope_key: tuple) -> pd.DataFrame:
    return _enforced(version, name, params, tier, scope_key)


def _enforced(version: str, name: str, params: tuple, tier: str, scope_key: tuple) -> pd.DataFrame:
    """Run ``name`` as ``tier`` within the scope ``scope_key`` (see onescreen.access)."""
    if name not in QUERIES:
        raise QueryError(f"没有名为 {name} 的查询。")
    if not acl.query_allowed_at(name, tier):
        raise TierRefused("大屏只显示汇总数据，不显示工单明细。要看工单明细，请在普通模式（地址中没有 kiosk=1）下"
                          "用有权限的账号打开本页。")
    values = dict(params)
    if tier == "kiosk":
        values = acl.kiosk_params(name, values)
        # Points on the big screen are drawn at grid centroids, never where a ticket was.
        run_name = "ticket_grid_points" if name == "ticket_points" else name
    else:
        run_name = name
    area = _area(version, scope_key)
    clamped = acl.clamp_params(run_name, QUERIES[run_name].accepted(), values, area)
    with db.connect() as cur:
        if tier == "kiosk":
            _hide_personal_table(cur)
        df = run_query(cur, run_name, **(clamped if clamped is not None else values))
    if clamped is None:
        return df.iloc[0:0]
    df = acl.filter_rows(df, area)
    return plain_strings(acl.kiosk_frame(name, df) if tier == "kiosk" else df)


def plain_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text columns and column names as Python strings (object dtype), not pandas'
    Arrow-backed ``str``. Pages select, merge and iterate over these small frames many times a run, and
    every such step on Arrow-backed text converted it to NumPy again: with 30 sessions at once that was
    11-13% of the server's time, 8% in the sidebar's filters alone (py-spy). The values are the same; missing text stays NaN."""
    text = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c].dtype) and frame[c].dtype != object]
    if not text and frame.columns.dtype == object:
        return frame
    # Column by column into a shallow copy: 2-3 times faster than frame.astype({...: object}) on these frames
    # (1.3 against 3.3 ms for kpi_tiles, 2.6 against 7.9 ms for a 42-column breakdown), paid on every uncached query.
    frame = frame.copy(deep=False)
    for column in text:
        frame[column] = pd.Series(frame[column].to_numpy(dtype=object, na_value=np.nan), index=frame.index, dtype=object)
    frame.columns = frame.columns.astype(object)
    return frame


def _hide_personal_table(cur) -> None:
    """On a kiosk-tier cursor, ``ticket_pii`` is a view that fails when read: a query that reaches
    for personal fields errors instead of returning them (the registry check is the first line)."""
    if _engine_is("ClickHouseCursor", cur):
        cur.deny("ticket_pii")
        return
    cur.execute("create or replace temp view ticket_pii as "
                "select null::varchar as ticket_id, null::varchar as caller_name, null::varchar as caller_phone, "
                "null::varchar as address, null::varchar as content from range(1) "
                "where error('ticket_pii is not available at the kiosk tier') is null")


def _area(version: str, scope_key: tuple) -> acl.Area:
    if scope_key == acl.DISTRICT.key():
        return acl.Area(district=True)
    return acl.resolve(acl.Scope.from_key(scope_key), private_view(_all_places(version)))


@st.cache_resource(ttl=CACHE_TTL, show_spinner=False, max_entries=8)
def _all_places(version: str) -> pd.DataFrame:
    with db.connect() as cur:
        return cur.execute("select grid_code, community_code, street_code from dim_grids").df()


def sql(statement: str, params: list | None = None) -> pd.DataFrame:
    """A small ad-hoc lookup (bound parameters only), cached per warehouse version, tier and scope.

    Not limited to the user's area: only for dates, names and vocabularies (the area filters, the
    data span). Anything about an area's numbers is a named query (:func:`q`), which is. Statements
    that name ``ticket_pii`` are refused, and nothing runs without a logged-in access.
    """
    if "ticket_pii" in statement.lower():
        raise acl.AccessError("页面不能直接读取个人信息表。")
    access = current_access()
    return private_view(_cached_sql(db.warehouse_version(), statement, tuple(params or ()), access.tier,
                                access.identity.scope.key()))


@st.cache_resource(ttl=CACHE_TTL, show_spinner=False, max_entries=256)
def _cached_sql(version: str, statement: str, params: tuple, tier: str, scope_key: tuple) -> pd.DataFrame:
    with db.connect() as cur:
        if tier == "kiosk":
            _hide_personal_table(cur)
        return plain_strings(cur.execute(statement, list(params)).df())


def as_of() -> datetime | None:
    """数据截至: the newest event time in the loaded tickets."""
    frame = q("as_of")
    if frame.empty or pd.isna(frame.iloc[0]["as_of"]):
        return None
    return pd.Timestamp(frame.iloc[0]["as_of"]).to_pydatetime()


def ticket_span() -> tuple[date, date] | None:
    """First and last receipt dates in the warehouse, or None when there are no tickets."""
    frame = _span()
    if frame is None:
        return None
    return pd.Timestamp(frame.iloc[0]["first"]).date(), pd.Timestamp(frame.iloc[0]["last"]).date()


def guessed_calendar_years() -> set[int]:
    """The years whose working days the calendar guessed (``dim_calendar``: the statutory holidays and Monday to
    Friday, no 调休), neither the calendar package nor ``config/calendar_overrides.csv`` knowing their schedule;
    the load warned of them (``etl.calendar``). Empty for a warehouse without a calendar."""
    try:
        frame = sql("select year(calendar_date) as year from dim_calendar group by 1 "
                    "having count(*) filter (where calendar_source in ('statutory', 'weekend_rule')) > 0 "
                    "and count(*) filter (where calendar_source = 'override') = 0")
    except (QueryError, duckdb.Error):
        return set()
    return {int(year) for year in frame["year"]}


def last_receipt() -> datetime | None:
    """When the last ticket in the warehouse was received (the tickets of its day stop there), or None."""
    frame = _span()
    return None if frame is None else pd.Timestamp(frame.iloc[0]["last"]).to_pydatetime()


def _span() -> pd.DataFrame | None:
    if not available():
        return None
    frame = sql("select min(received_at) as first, max(received_at) as last from fct_tickets")
    return None if frame.empty or pd.isna(frame.iloc[0]["first"]) else frame


def places() -> pd.DataFrame:
    """Every grid the current user may see, with its community and street (codes and names), for the
    area filters. A scoped user's streets and communities that are only partly theirs are left out."""
    every = sql(
        "select grid_code, coalesce(grid_name, grid_code) as grid_name, community_code, community_name, "
        "street_code, street_name from dim_grids order by street_code, community_code, grid_code"
    )
    scope = current_access().identity.scope
    if scope.district:
        return every
    area = _area(db.warehouse_version(), scope.key())
    return every[every["grid_code"].isin(area.grids)].reset_index(drop=True)


def whole_area_name() -> str:
    """What to call the whole area: the rules file's ``[area] name``, else 全区, or the street's name on a warehouse
    of one street (:mod:`onescreen.area`)."""
    return area_names.whole_area_name(sql(area_names.STREETS_SQL))


def rank_header() -> str:
    """The header of the whole area's ranks over a table narrowed to part of it (:func:`onescreen.area.rank_header`)."""
    return area_names.rank_header(sql(area_names.STREETS_SQL))


def ranking_level() -> str:
    """The level the whole area's units are ranked at: ``street``, or ``community`` on a one-street warehouse."""
    return area_names.ranking_level(sql(area_names.STREETS_SQL))


Pairs = tuple[tuple[str, str], ...]  # (code, name) in code order; a unit without a name is named by its code


@dataclass(frozen=True)
class PlaceChoices:
    """The options of the area filters: every street, each street's communities, each community's grids."""

    streets: Pairs
    communities: Mapping[str, Pairs]
    grids: Mapping[str, Pairs]

    @classmethod
    def from_places(cls, places: pd.DataFrame) -> PlaceChoices:
        """From :func:`places` (one row per grid). One pass over the rows in plain Python: a pandas
        group-by with a sort per community took 40-100 ms for 650 grids, paid by a page's first run."""
        streets: dict[tuple, None] = {}
        communities: dict[str, dict[tuple, None]] = {}
        grids: dict[str, list[tuple]] = {}
        columns = ("street_code", "street_name", "community_code", "community_name", "grid_code", "grid_name")
        for street, street_name, community, community_name, grid, grid_name in zip(
                *(places[c].tolist() for c in columns)):
            streets.setdefault(_named(street, street_name), None)
            if not _missing(street):
                communities.setdefault(street, {}).setdefault(_named(community, community_name), None)
            if not _missing(community):
                grids.setdefault(community, []).append(_named(grid, grid_name))
        return cls(_in_code_order(streets),
                   MappingProxyType({k: _in_code_order(v) for k, v in communities.items()}),
                   MappingProxyType({k: _in_code_order(v) for k, v in grids.items()}))


def _missing(value) -> bool:
    return value is None or value != value  # None or NaN


def _named(code, name) -> tuple:
    """(code, name); a unit without a name is named by its code."""
    return (code, code if _missing(name) else name)


def _in_code_order(pairs) -> Pairs:
    """``pairs`` sorted by code (stable: equal codes keep their order), a missing code last."""
    return tuple(sorted(pairs, key=lambda pair: (_missing(pair[0]), "" if _missing(pair[0]) else pair[0])))


def place_choices() -> PlaceChoices:
    """:class:`PlaceChoices` of the places the current user may see, worked out once per warehouse version
    and scope: the sidebar's street, community and grid boxes are drawn on every run of every page."""
    return _place_choices(db.warehouse_version(), current_access().identity.scope.key(), places)


@st.cache_resource(ttl=CACHE_TTL, show_spinner=False, max_entries=64)
def _place_choices(version: str, scope_key: tuple, _places) -> PlaceChoices:
    return PlaceChoices.from_places(_places())


def distinct_values(column: str) -> list[str]:
    """The values of ``source`` or ``category_l1`` present in the tickets, most tickets first (counted
    when the marts are built: ``mart_ticket_values``)."""
    if column not in ("source", "category_l1"):
        raise ValueError(column)
    frame = sql(f"select value as v from mart_ticket_values where field = '{column}' order by ticket_count desc, value")
    return frame["v"].tolist()


__all__ = ["QueryError", "available", "q", "fetch", "fetch_unmasked", "current_access", "set_access", "sql", "as_of", "ticket_span", "guessed_calendar_years", "places",
           "PlaceChoices", "place_choices", "distinct_values"]
