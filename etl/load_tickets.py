"""Tickets (``hotline`` and ``events``): from staged rows to ``fct_tickets`` and ``ticket_pii``.

A ticket is placed in a grid by its grid column (code or unique name), else by its coordinates inside
a grid polygon, else by a known compound name in its address; otherwise it stays at community or
street level (``placed_by``) and is counted as unassigned, never dropped. A compound name that several
compounds share places a ticket on one of them only by the grid the ticket is already in (see
:data:`SHARED_COMPOUNDS`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from etl.address_areas import CALLER_IN_ADDRESS, AddressAreas
from etl.coords import LABELS, SYSTEMS, from_wgs84, to_wgs84
from etl.geo import grid_index
from etl.staging import TYPED_GRID_TABLE
from etl.upsert import UpsertCounts, replace_children, upsert
from onescreen.masking import mask_address, scrub_number, scrub_text

FEED_LABELS = {"hotline": "12345 热线工单", "events": "网格平台事件"}


def flag_feed_collisions(con, feed: str) -> None:
    """A ticket number already loaded from the other feed is a problem, not a silent overwrite."""
    other = "events" if feed == "hotline" else "hotline"
    con.execute(
        "insert into stg_problems select p.row_no, 'ticket_id', p.ticket_id, ? "
        "from stg_parsed p join fct_tickets t using (ticket_id) where t.feed = ?",
        [f"该编号已作为{FEED_LABELS[other]}导入过，同一编号不能同时属于两类来源；请确认选择的来源类型（--source）是否正确。", other],
    )


# Grids by a unique name, for a grid column that holds names instead of codes: the name in the form staging gives
# the column (code_key, etl.staging.PLACE_CODES), so 东风社区 第一网格 finds 东风社区第一网格.
GRID_NAMES = """select code_key(grid_name) as grid_name, any_value(grid_code) as grid_code from dim_grids
    where grid_name is not null group by 1 having count(*) = 1"""


def convert_points(con, system: str) -> None:
    """Turn the coordinates of ``stg_rows`` (as the file gives them, in ``system``) into WGS84, as grids and
    stored tickets are. Run before stored values are given back (:func:`keep_absent_fields`): those are WGS84."""
    if system == "wgs84":
        return
    points = con.sql("select row_no, lon, lat from stg_rows where lon is not null and lat is not null").to_arrow_table()
    if not points.num_rows:
        return
    lon, lat = to_wgs84(points.column("lon").to_numpy(), points.column("lat").to_numpy(), system)
    con.register("converted_points", pa.table({"row_no": points.column("row_no"), "lon": lon, "lat": lat}))
    con.execute("update stg_rows set lon = c.lon, lat = c.lat from converted_points c where stg_rows.row_no = c.row_no")
    con.unregister("converted_points")


# A hint that the coordinate systems are set wrong: at least so many points outside every grid, of which at least
# this share would lie inside one, were their system (or the grids') another.
_HINT_MIN_POINTS = 5
_HINT_SHARE = 0.5


def _coordinate_hint(index, lon: np.ndarray, lat: np.ndarray, systems: tuple[str, str]) -> str | None:
    """The warning when many of the points (WGS84, as converted from ``systems[0]``) that lie outside every grid
    (shapes converted from ``systems[1]``) would lie inside one if the tickets' or the grids' system were another:
    names the likely system and the setting to change. None when nothing is likely."""
    if len(lon) < _HINT_MIN_POINTS:
        return None
    tickets, grids = systems
    raw_lon, raw_lat = from_wgs84(lon, lat, tickets)   # the points as the file gave them
    candidates = []
    for other in SYSTEMS:
        if other != tickets:   # the file's points are in ``other``
            candidates.append((*to_wgs84(raw_lon, raw_lat, other), "tickets", other))
        if other != grids:     # the shapes were in ``other``: the stored shapes are shifted as a point would be
            candidates.append((*to_wgs84(*from_wgs84(lon, lat, other), grids), "grids", other))
    best = max(((int(np.count_nonzero(index.locate(x, y) != None)), key, other)  # noqa: E711 (elementwise)
                for x, y, key, other in candidates), key=lambda c: c[0])
    placed, key, other = best
    if placed < max(_HINT_MIN_POINTS, _HINT_SHARE * len(lon)):
        return None
    what, current = ("工单经纬度", tickets) if key == "tickets" else ("网格边界", grids)
    return (f"{len(lon):,} 条有经纬度的工单落在所有网格之外；若{what}是 {LABELS[other]} 坐标，其中 {placed:,} 条能落入网格。"
            f"规则文件 config/rules.toml 的 [coordinates] {key} 现为 \"{current}\"，"
            f"{what}确是 {LABELS[other]} 时请改为 {key} = \"{other}\"，"
            + ("再撤销本批次、重新导入这个文件。" if key == "tickets" else "再重新导入网格边界和这个文件。"))


def _place_by_coordinates(con, systems: tuple[str, str] = ("wgs84", "wgs84")) -> str | None:
    """``stg_point_grid``: the grid each row without a known grid column but with coordinates lies in. Returns
    the hint of :func:`_coordinate_hint` for the points that lie in none, or None."""
    points = con.execute(
        f"""select r.row_no, r.lon, r.lat from stg_rows r
        left join dim_grids g1 on g1.grid_code = r.grid_code
        left join ({GRID_NAMES}) g2 on g2.grid_name = r.grid_code
        where g1.grid_code is null and g2.grid_code is null and r.lon is not null and r.lat is not null"""
    ).df()
    frame = pd.DataFrame({"row_no": pd.Series(dtype="int64"), "grid_code": pd.Series(dtype="str")})
    # The grid shapes are parsed only when there are points to place (a second or two for a district).
    index = grid_index(con) if len(points) else None
    hint = None
    if index is not None:
        lon, lat = points["lon"].to_numpy(np.float64), points["lat"].to_numpy(np.float64)
        codes = index.locate(lon, lat)
        frame = pd.DataFrame({"row_no": points["row_no"].to_numpy(), "grid_code": codes}).dropna()
        outside = pd.isna(codes)
        hint = _coordinate_hint(index, lon[outside], lat[outside], systems)
    con.register("point_grid_frame", frame)
    con.execute("create or replace temp table stg_point_grid as select row_no::bigint as row_no, grid_code::varchar as grid_code from point_grid_frame")
    con.unregister("point_grid_frame")
    return hint


# For each grid and each compound name several compounds share (职工宿舍 in two grids) that the grid or
# its community holds: the one compound of that name in the grid, else (none in the grid) the one in the
# grid's community; null where there are several, or where one of that name has neither grid nor community
# (it could be the one in any grid). Which of several a ticket means is never guessed (物业红黑榜 charges the
# compound's company). Hundreds of grids times a few shared names: a small table.
SHARED_COMPOUNDS = """
    with shared as (select compound_code, compound_name, grid_code, community_code,
                           count(*) filter (where grid_code is null and community_code is null)
                               over (partition by compound_name) as unplaced
                    from dim_compounds
                    qualify count(*) over (partition by compound_name) > 1),
    candidates as (
        select g.grid_code, c.compound_name,
               count(*) filter (where c.grid_code = g.grid_code) as in_grid,
               any_value(c.compound_code) filter (where c.grid_code = g.grid_code) as grid_compound_code,
               count(*) as in_community, any_value(c.compound_code) as community_compound_code,
               max(c.unplaced) > 0 as has_unplaced
        from dim_grids g join shared c on c.grid_code = g.grid_code or c.community_code = g.community_code
        group by all
    )
    select grid_code, compound_name,
           case when has_unplaced then null
                when in_grid = 1 then grid_compound_code
                when in_grid = 0 and in_community = 1 then community_compound_code end as compound_code
    from candidates"""


def _compound_pattern(con) -> str | None:
    """One alternation of every compound name, longest first (the longest name at the leftmost place
    wins). No capture group: RE2 then finds the match with its DFA alone, several times faster."""
    names = [row[0] for row in con.execute("select distinct compound_name from dim_compounds where length(compound_name) >= 2").fetchall()]
    if not names:
        return None
    names.sort(key=len, reverse=True)
    return "|".join(re.escape(n) for n in names)


def place_hash_sql(alias: str = "", area: str | None = None) -> str:
    """SQL for a ticket's ``place_hash``: the place 高频问题 counts it at (its compound, else its address
    area) as a 64-bit number, so that query groups hundreds of thousands of tickets by an integer instead
    of by text (onescreen/queries/recurring_problems.sql). MD5-based, so a stored value never depends on
    the DuckDB version; two places share a number with odds of about n²/2⁶⁵ (n distinct places)."""
    a = f"{alias}." if alias else ""
    area = area or f"{a}address_area"   # the SQL of the address area, when it is not the row's own column
    return (f"case when {a}compound_code is not null then md5_number_lower('compound|' || {a}compound_code) "
            f"when {area} is not null then md5_number_lower('address|' || {area}) end")


# The columns of a stored ticket (``fct_tickets`` and its ``ticket_pii``) its ``row_hash`` is made of, in order.
ROW_HASH_COLUMNS = (
    "ticket_id", "feed", "source", "appeal_type", "category_l1", "category_l2", "received_at", "dispatched_at",
    "responded_at", "resolved_at", "due_at", "due_workdays", "callback_at", "is_resolved", "satisfaction", "status",
    "handling_level", "is_whistle", "is_consultation", "department", "street_code", "street_name", "community_code",
    "community_name", "grid_code", "compound_code", "placed_by", "address_area", "lon", "lat",
    "caller_name", "caller_phone", "address", "content")


# How ``row_hash`` is made, recorded in warehouse_meta: a warehouse that records another (or none: version 1,
# whose concat_ws skipped nulls) has its stored hashes made again before a load (etl.refresh.refresh_row_hashes).
ROW_HASH_VERSION = "2"


def row_hash_sql(column=lambda name: name) -> str:
    """SQL for a ticket's ``row_hash`` (what the upsert compares); ``column(name)`` is the SQL of each column
    (a stored ticket's: ``fct_tickets`` and its ``ticket_pii``, as etl/refresh.py recomputes it).

    Every column keeps its place, a null one as ``\\N``: concat_ws alone skips nulls, so a time moved to an
    empty neighbouring column (派单时间 -> 签收时间) hashed the same and the changed ticket was counted 未变."""
    return "md5(concat_ws('|', " + ", ".join(f"coalesce(({column(c)})::varchar, '\\N')" for c in ROW_HASH_COLUMNS) + "))"


def fill_place_hashes(con) -> int:
    """Give ``place_hash`` to every stored ticket that has a place but no number: tickets of a warehouse
    made before the column existed, or written by hand (test fixtures). Staging computes it for every
    ticket it writes; this runs before the marts are built. Returns how many were filled."""
    return con.execute(
        f"update fct_tickets set place_hash = {place_hash_sql()} "
        "where place_hash is null and (compound_code is not null or address_area is not null)"
    ).fetchall()[0][0]


# How a field of ``stg_rows`` whose column the file lacks is set from its stored ticket (``k``: the ticket
# and its personal data): as stored, but for the fields below. The grid code is given back only where the
# ticket was placed by it (one placed by its coordinates or address is placed by those again, which are
# given back too, so the same placement follows). A status with no column of its own is the stored one
# unless the file's own 办结时间 says otherwise; then it is derived from that, as for a new ticket.
_KEPT_AS = {"grid_code": "case when k.placed_by = 'grid_code' then k.grid_code end"}
_KEPT_WITH = {"due_at": ("due_workdays",)}   # a deadline in working days is stored beside due_at
# What counts as a stored value worth saying "kept" about, where it is not "the field is not null" (a
# source of 12345热线 is what a row without one gets anyway).
_HAS_VALUE = {"grid_code": "k.placed_by = 'grid_code'", "due_at": "(k.due_at is not null or k.due_workdays is not null)",
              "source": "k.source <> '12345热线'"}
# Fields of ``stg_rows`` that are not ticket fields to keep: the key and the required receipt time.
_NOT_KEPT = ("ticket_id", "received_at")


_PII_FIELDS = ("caller_name", "caller_phone", "address", "content")   # kept in ticket_pii


def _ever_stored(con, names: list[str]) -> list[str]:
    """Those of ``names`` that some stored ticket has a value in (:data:`_HAS_VALUE`)."""
    kept = []
    for table, group in (("ticket_pii", [n for n in names if n in _PII_FIELDS]),
                         ("fct_tickets", [n for n in names if n not in _PII_FIELDS])):
        if group:
            tests = ", ".join(f"bool_or({_HAS_VALUE.get(name, f'k.{name} is not null')})" for name in group)
            found = con.execute(f"select {tests} from {table} k").fetchall()[0]
            kept += [name for name, has in zip(group, found) if has]
    return [name for name in names if name in kept]


def keep_absent_fields(con, fields: list[str], mapping: dict[str, str], labels: dict[str, str]) -> str | None:
    """Give the rows of ``stg_rows`` of stored tickets the stored values of the ``fields`` their file has
    no column for (``mapping``: field -> header); return the warning that lists them, or None.

    A newer export from a slimmer template (no 签收时间, no caller's phone) says nothing about those
    fields: stored as null they would drop response times and personal data silently. A column there
    with an empty cell still empties the field. A new ticket has nothing stored: its fields stay null.
    The stored address keeps its stored area (``stg_kept_address_area``, read by
    :func:`build_staged_tickets`), so the ticket is placed as before. ``labels`` names a field as the
    user knows it."""
    absent = [name for name in fields if name not in mapping and name not in _NOT_KEPT]
    con.execute("create or replace temp table stg_kept_address_area (address varchar, address_area varchar)")
    con.execute("create or replace temp table stg_kept_callers (address varchar, caller_name varchar)")
    # First the fields any stored ticket has a value in at all, one scan of each table without a join: an
    # export that never had 经度 or 是否吹哨 is reloaded at no cost here (the join below took 1 s for 100k
    # changed rows of a 1M warehouse).
    absent = _ever_stored(con, absent)
    if not absent:
        return None
    stored = ("(select t.*, p.caller_name, p.caller_phone, p.address, p.content from stg_rows r "
              "inner join fct_tickets t using (ticket_id) left join ticket_pii p using (ticket_id)) k")
    has_value = [_HAS_VALUE.get(name, f"k.{name} is not null") for name in absent]
    counts = con.execute(
        f"select count(*), {', '.join(f'count(*) filter (where {test})' for test in has_value)} from {stored}"
    ).fetchall()[0]
    # Only fields some stored ticket has a value in: the others would be set to what they are (null, or
    # what a row without the column gets anyway). An export that never has 经度 costs no update for it.
    absent = [name for name, n in zip(absent, counts[1:]) if n]
    if not absent:
        return None
    assignments = []
    for name in absent:
        value = _KEPT_AS.get(name, f"k.{name}")
        if name == "status" and "resolved_at" in mapping:
            value = "case when stg_rows.resolved_at is distinct from k.resolved_at then null else k.status end"
        assignments.append(f"{name} = {value}")
        assignments.extend(f"{other} = k.{other}" for other in _KEPT_WITH.get(name, ()))
    con.execute(f"update stg_rows set {', '.join(assignments)} from {stored} where stg_rows.ticket_id = k.ticket_id")
    if "address" in absent:
        # An address's area as masked without a caller's name: from a ticket whose caller is not named in it, where
        # there is one (the rows whose caller may be are masked with their name: stg_kept_callers, below).
        con.execute(
            "insert into stg_kept_address_area select p.address, "
            f"arg_min(t.address_area, coalesce({CALLER_IN_ADDRESS}, false)) from ticket_pii p "
            "join fct_tickets t using (ticket_id) semi join stg_rows r using (ticket_id) "
            "where p.address is not null group by p.address")
    if "address" in absent or "caller_name" in absent:
        # The address's cells or the caller's were not in the file, so the address masking (AddressAreas, from the
        # file's cells) never saw these pairs: build_staged_tickets masks them with the name.
        con.execute(f"insert into stg_kept_callers select distinct address, caller_name from stg_rows "
                    f"where {CALLER_IN_ADDRESS}")
    return (f"文件没有 {'、'.join(labels.get(name, name) for name in absent)} 列：其中 {counts[0]:,} 张已导入过的工单，"
            "这些值保持库中原有的值，未被清空；新工单的这些值为空。若要清空某一项，请导入带有该列、该格留空的文件。")


def _with_kept_callers(con, by_caller: pa.Table | None) -> pa.Table | None:
    """``by_caller`` (AddressAreas.caller_table) with the (address, caller_name) pairs keep_absent_fields gave
    back from the stored tickets (``stg_kept_callers``), masked with the name here: a file without 来电人 or
    诉求地址 must not store the area of 张三家，东风路88号 unmasked."""
    if not _has_table(con, "stg_kept_callers"):
        return by_caller
    known = set() if by_caller is None else set(zip(by_caller.column(0).to_pylist(), by_caller.column(1).to_pylist()))
    pairs = [(a, c) for a, c in con.execute("select address, caller_name from stg_kept_callers").fetchall()
             if (a, c) not in known]
    if not pairs:
        return by_caller
    extra = pa.table({"address": pa.array([a for a, _ in pairs], pa.string()),
                      "caller_name": pa.array([c for _, c in pairs], pa.string()),
                      "address_area": pa.array([mask_address(a, caller_name=c) for a, c in pairs], pa.string())})
    return extra if by_caller is None or by_caller.num_rows == 0 else pa.concat_tables(
        [by_caller.select(["address", "caller_name", "address_area"]).cast(extra.schema), extra])


def build_staged_tickets(con, feed: str, areas: AddressAreas | None = None, unchanged: str | None = None,
                         systems: tuple[str, str] = ("wgs84", "wgs84"), hints: list[str] | None = None) -> dict[str, int]:
    """From ``stg_rows`` build ``stg_tickets``; return placement counts.

    ``areas`` is the address masking started after staging (:class:`AddressAreas`); without it the
    addresses are masked here. ``unchanged`` names the temp table of rows a reload leaves alone
    (:mod:`etl.unchanged`): they are not in ``stg_rows``, and their stored placement is counted.
    ``systems``: the configured coordinate systems of ticket points and grid shapes; a hint that they look
    wrong (:func:`_coordinate_hint`) is appended to ``hints``.
    """
    hint = _place_by_coordinates(con, systems)
    if hint and hints is not None:
        hints.append(hint)
    # Per distinct address, not per row: its masked area (the address up to the house number or compound)
    # and the compound its text names (the first, longest name in it; 700 names in one alternation).
    if areas is None:
        areas = AddressAreas(con) if _has_table(con, "stg_cells") else None
    frame = areas.table() if areas is not None else pa.table({"address": pa.array([], pa.string()), "address_area": pa.array([], pa.string())})
    # A caller's name in the address (张三家，东风路88号): those few rows' area is masked with the name.
    by_caller = areas.caller_table() if areas is not None else None
    by_caller = _with_kept_callers(con, by_caller)
    callers = by_caller is not None and by_caller.num_rows > 0
    if callers:
        con.register("caller_area_frame", by_caller)
        con.execute("create or replace temp table stg_caller_address_area as "
                    "select address, caller_name, address_area from caller_area_frame")
        con.unregister("caller_area_frame")
    con.register("address_area_frame", frame)
    pattern = _compound_pattern(con)
    compound = "nullif(regexp_extract(address, ?, 0), '')" if pattern else "null::varchar"
    # The stored addresses of a file without an address column (keep_absent_fields): its cells have none.
    kept = ("(select * from address_area_frame union all select * from stg_kept_address_area)"
            if _has_table(con, "stg_kept_address_area") else "address_area_frame")
    con.execute(
        f"""create or replace temp table stg_address_area as
        with areas as (select address, address_area, {compound} as compound_name from {kept}),
        -- A name two compounds share (职工宿舍) places no ticket by itself: which one it means is told
        -- by the ticket's grid, if any (stg_shared_compound, below).
        compounds as (select compound_name, min(compound_code) as compound_code, min(grid_code) as grid_code,
                             count(*) > 1 as is_shared
                      from dim_compounds group by compound_name)
        select a.address, a.address_area, if(c.is_shared, null, c.compound_code) as compound_code,
               if(c.is_shared, null, c.grid_code) as compound_grid_code, case when c.is_shared then a.compound_name end as shared_compound_name
        from areas a left join compounds c using (compound_name)""",
        [pattern] if pattern else [],
    )
    con.unregister("address_area_frame")
    # Joined only when an address names a shared compound: always joined, its condition on three other
    # joins made DuckDB reorder them on the demo's events export (no addresses), 0.59 -> 0.99 s of CPU.
    shared = con.execute("select count(*) from stg_address_area where shared_compound_name is not null").fetchall()[0][0]
    con.execute(f"create or replace temp table stg_shared_compound as {SHARED_COMPOUNDS}" if shared else
                "create or replace temp table stg_shared_compound (grid_code varchar, compound_name varchar, compound_code varchar)")
    hashed = _has_table(con, "stg_source_hash")
    con.execute(
        """create or replace temp table stg_tickets as
        with grid_names as ({grid_names}),
        -- Each row's grid: by its grid column (code or unique name), else its coordinates, else the
        -- compound its address names (joined by value, not by row number: no join of row to row).
        -- A shared compound name is told apart by the grid known before the compound step.
        located as (
            select r.*,
                   coalesce(g1.grid_code, g2.grid_code) as grid_by_code,
                   pg.grid_code as grid_by_point,
                   {address_area} as address_area, {compound_code} as compound_code, aa.compound_grid_code
            from stg_rows r
            left join dim_grids g1 on g1.grid_code = r.grid_code
            left join grid_names g2 on g2.grid_name = r.grid_code
            left join stg_point_grid pg using (row_no)
            left join stg_address_area aa on aa.address = r.address{caller_join}{shared_join}
        ),
        placed as (
            select *,
                   coalesce(grid_by_code, grid_by_point, compound_grid_code) as placed_grid_code,
                   case when grid_by_code is not null then 'grid_code'
                        when grid_by_point is not null then 'coordinates'
                        when compound_grid_code is not null then 'address' end as placed_how
            from located
        ),
        communities as (
            select community_name, any_value(community_code) as community_code, any_value(street_code) as street_code
            from dim_communities group by community_name having count(*) = 1
        ),
        streets as (
            select street_name, any_value(street_code) as street_code from dim_streets group by street_name having count(*) = 1
        ),
        final as (
            select
                r.row_no,
                r.ticket_id,
                ? as feed,
                coalesce(r.source, '12345热线') as source,
                r.appeal_type, r.category_l1, r.category_l2,
                r.received_at, r.dispatched_at, r.responded_at, r.resolved_at, r.due_at, r.due_workdays, r.callback_at,
                r.is_resolved, r.satisfaction,
                coalesce(r.status, case when r.resolved_at is not null then '已办结' else '办理中' end) as status,
                r.handling_level, r.is_whistle, r.is_consultation, r.department,
                coalesce(g.street_code, c.street_code, s.street_code) as street_code,
                coalesce(g.street_name, r.street_name) as street_name,
                coalesce(g.community_code, c.community_code) as community_code,
                coalesce(g.community_name, r.community_name) as community_name,
                g.grid_code,
                r.compound_code,
                coalesce(r.placed_how,
                         case when c.community_code is not null then 'community'
                              when coalesce(c.street_code, s.street_code) is not null then 'street'
                              else 'none' end) as placed_by,
                r.address_area,
                r.lon, r.lat,
                coalesce(r.resolved_at < r.received_at or r.dispatched_at < r.received_at
                         or r.responded_at < r.received_at or r.callback_at < r.resolved_at
                         or r.due_at < r.received_at, false) as has_timeline_error,
                r.caller_name, r.caller_phone, r.address, r.content,
                {source_hash} as source_hash,
                {place_hash} as place_hash
            from placed r
            left join dim_grids g on g.grid_code = r.placed_grid_code
            left join communities c on c.community_name = r.community_name and r.placed_grid_code is null
            left join streets s on s.street_name = r.street_name and r.placed_grid_code is null{hash_join}
        )
        select *, {row_hash} as row_hash
        from final""".format(grid_names=GRID_NAMES, place_hash=place_hash_sql("r"), source_hash="sh.source_hash" if hashed else "null::ubigint",
                             hash_join="\n            left join stg_source_hash sh using (row_no)" if hashed else "",
                             compound_code="coalesce(aa.compound_code, sc.compound_code)" if shared else "aa.compound_code",
                             # Joined only when some address may hold its caller's name (as shared, below).
                             address_area="coalesce(ca.address_area, aa.address_area)" if callers else "aa.address_area",
                             caller_join="\n            left join stg_caller_address_area ca on ca.address = r.address"
                                         " and ca.caller_name = r.caller_name" if callers else "",
                             shared_join="\n            left join stg_shared_compound sc on sc.compound_name = aa.shared_compound_name"
                                         "\n                and sc.grid_code = coalesce(g1.grid_code, g2.grid_code, pg.grid_code)" if shared else "",
                             row_hash=row_hash_sql()),
        [feed],
    )
    counts = dict(con.execute("select placed_by, count(*) from stg_tickets group by 1").fetchall())
    if unchanged:
        for placed_by, n in con.execute(
                f"select t.placed_by, count(*) from fct_tickets t join {unchanged} u using (ticket_id) group by 1").fetchall():
            counts[placed_by] = counts.get(placed_by, 0) + n
    return counts


def _has_table(con, name: str) -> bool:
    return bool(con.execute("select count(*) from duckdb_tables() where table_name = ? and temporary", [name]).fetchall()[0][0])


def _progress(alias: str) -> str:
    """SQL for a ticket's progress: its newest event, to the minute (an export whose row is behind is older).

    To the minute: exports (or an Excel re-save of one) often write times without seconds, and the same
    event at 12:52 in one export and 12:52:31 in another is the same progress; to the second, the later
    export's rows looked older and were thrown away (an extension, which changes the status and deadline
    but no event time, was lost that way)."""
    return "date_trunc('minute', greatest(" + ", ".join(
        f"{alias}.{c}" for c in ("received_at", "dispatched_at", "responded_at", "resolved_at", "callback_at")) + "))"


class OlderRows(NamedTuple):
    """Rows of a file kept back because the stored ticket is newer (:func:`write_tickets`), by why."""

    total: int = 0
    extended: int = 0        # the stored ticket was extended (延期) since: this row has its earlier deadline
    exported_later: int = 0  # same progress, and the stored state came from a file whose title row dates it later
    reopened: int = 0        # the stored ticket is 重办 and this file is an older export: its row is the state before


# Statuses a ticket in hand goes through in this order without an event time: 待派单 -> 办理中 -> 延期 (an extension
# is granted to a ticket in hand). A row whose status ranks no higher and whose deadline is earlier than the
# stored one's is the state before the extension. Other statuses (重办, 已退单, 已撤销, ...) have no rank: a row with
# one is never taken for an older state by its deadline.
_IN_HAND_RANK = "case {0}.status when '待派单' then 0 when '办理中' then 1 when '延期' then 2 end"


# Statuses a ticket has before it is reopened (重办 follows a closure whose callback found it unsolved): a row with one
# of them, at the same progress as a stored 重办, from an older export, is the state before the reopen.
_BEFORE_REOPEN = "('待派单', '办理中', '延期', '已办结')"


def _earlier_deadline(new: str, stored: str) -> str:
    """SQL: ``new``'s deadline is earlier than ``stored``'s, both given the same way (a time, or working days)."""
    return f"coalesce({new}.due_at < {stored}.due_at, {new}.due_workdays < {stored}.due_workdays, false)"


# The newest event of the rows each batch wrote (the stored ones and those replaced since), for a batch loaded before
# load_batches.newest_event_at was kept: only such batches that stored a 重办 this file gives again, so usually none.
_BATCH_NEWEST = f"""select batch_id, max({_progress('x')}) as newest from (
        select * exclude (replaced_by_batch_id) from fct_tickets_hist union all by name select * from fct_tickets) x
    where batch_id in (select t.batch_id from fct_tickets t join load_batches b using (batch_id)
                       where t.status = '重办' and b.newest_event_at is null
                       and t.ticket_id in (select ticket_id from stg_tickets))
    group by batch_id"""


def write_tickets(con, batch_id: int, n_unchanged: int = 0, exported_at=None, newest=None) -> tuple[UpsertCounts, OlderRows]:
    """Upsert ``stg_tickets`` into ``fct_tickets`` and its personal fields into ``ticket_pii``.

    A row whose newest event is older than the stored ticket's (last week's export loaded after this
    week's) does not overwrite it: the ticket keeps its newer state. At the same newest event a row that
    differs is older, and kept back too, when

    - this file's title row states its export time (``exported_at``) and the stored row's file states a
      later one: the later export is the newer state, whatever changed;
    - otherwise, when it would take back an extension (延期 changes the status and the deadline but no
      event time): the stored ticket is 延期, this row's deadline is earlier and its status no newer
      (:data:`_IN_HAND_RANK`). A ticket not extended takes an earlier deadline as a correction;
    - otherwise, when it would take back a reopen (重办 keeps the first 办结时间 and callback: no event time):
      the stored ticket is 重办, this row has a status from before (:data:`_BEFORE_REOPEN`) and this file
      is an older export than the stored row's: its export time (else its newest event, ``newest``) is
      earlier than that file's export time (else its newest event). A file as recent or more takes the
      row back as a withdrawn reopen.

    Other differences at the same progress are corrections and apply (a category, an address, 重办, a
    further extension). Tickets an earlier file of this load wrote are left to
    :func:`settle_ties_between_files`. Returns the counts (kept-back rows count as unchanged, and so do the
    ``n_unchanged`` rows a reload left alone) and the kept-back rows by reason.
    """
    settled = f"s.ticket_id in (select ticket_id from {LOAD_ROWS})" if _has_table(con, LOAD_ROWS) else "false"
    tie = f"{_progress('t')} = {_progress('s')} and t.row_hash <> s.row_hash and not {settled}"
    con.execute(
        f"""create or replace temp table stg_older as
        select ticket_id, why from (
            select s.ticket_id,
                   case when {_progress('t')} > {_progress('s')} then 'progress'
                        when not ({tie}) then null
                        when ?::timestamp is not null and b.exported_at is not null
                            then if(?::timestamp < b.exported_at, 'exported_later', null)
                        when t.status = '延期' and {_earlier_deadline('s', 't')}
                             and {_IN_HAND_RANK.format('s')} <= {_IN_HAND_RANK.format('t')} then 'extended'
                        when t.status = '重办' and s.status in {_BEFORE_REOPEN}
                             and coalesce(?::timestamp, ?::timestamp) < coalesce(b.exported_at, b.newest_event_at, bn.newest)
                            then 'reopened' end as why
            from stg_tickets s join fct_tickets t using (ticket_id) left join load_batches b on b.batch_id = t.batch_id
            left join ({_BATCH_NEWEST}) bn on bn.batch_id = t.batch_id and b.newest_event_at is null
        ) where why is not null""",
        [exported_at, exported_at, exported_at, newest],
    )
    reasons = dict(con.execute("select why, count(*) from stg_older group by 1").fetchall())
    older = OlderRows(sum(reasons.values()), reasons.get("extended", 0), reasons.get("exported_later", 0),
                      reasons.get("reopened", 0))
    if older.total:
        con.execute("delete from stg_tickets where ticket_id in (select ticket_id from stg_older)")
    counts = upsert(con, "fct_tickets", "stg_tickets", batch_id, compare=["ticket_id", "row_hash"])
    # A stored row this file gives again exactly (row_hash equal) from cells whose hash it does not carry (stored
    # before the hash existed, by code whose transform digest has changed since, or from a file with other
    # columns) carries this file's hash from now on: else, after an upgrade, every unchanged ticket would be
    # parsed and placed again at every reload, for good (etl/unchanged.py). The hash is a cache key, not data:
    # no history, and undoing this batch leaves it (it still names cells that give exactly the stored row).
    con.execute(
        "update fct_tickets set source_hash = s.source_hash from stg_tickets s "
        "where fct_tickets.ticket_id = s.ticket_id and fct_tickets.row_hash = s.row_hash "
        "and s.source_hash is not null and fct_tickets.source_hash is distinct from s.source_hash")
    counts.unchanged += older.total + n_unchanged
    replace_children(con, "ticket_pii", "stg_tickets", batch_id, "upsert_changed")
    return counts, older


# Tickets of the files already written by this load: which file and row last set each one; and each
# file's newest event (how recent an export it is).
LOAD_ROWS = "load_ticket_rows"
LOAD_FILES = "load_ticket_files"


def start_load_record(con) -> None:
    """Start recording, for a load of several ticket files, which file and row each ticket came from."""
    con.execute(f"create or replace temp table {LOAD_ROWS} (ticket_id varchar, file_name varchar, row_no bigint)")
    con.execute(f"create or replace temp table {LOAD_FILES} (file_name varchar, newest timestamp, exported_at timestamp)")


def _file_newest(unchanged: str | None) -> str:
    """SQL for the newest event of the staged file (its written rows and those a reload left alone)."""
    newest = f"(select max({_progress('s')}) from stg_tickets s)"
    if unchanged:
        newest = (f"greatest({newest}, (select max({_progress('t')}) from fct_tickets t "
                  f"semi join {unchanged} u using (ticket_id)))")
    return newest


def file_newest(con, unchanged: str | None = None):
    """The newest event of the staged file (``stg_tickets`` and the rows a reload left alone, temp table
    ``unchanged``), to the minute: how recent an export it is when its title row states no export time."""
    return con.execute(f"select {_file_newest(unchanged)}").fetchall()[0][0]


def record_load_rows(con, file_name: str, unchanged: str | None = None, exported_at=None) -> None:
    """After a ticket file is written: its rows that set a ticket (``stg_tickets`` but the older ones) now
    name it; its rows a reload left alone (temp table ``unchanged``) name it where no earlier file does.
    ``exported_at``: the export time its title row states, if any."""
    if not _has_table(con, LOAD_ROWS):
        return
    con.execute(f"insert into {LOAD_FILES} select ?, {_file_newest(unchanged)}, ?", [file_name, exported_at])
    con.execute(f"delete from {LOAD_ROWS} where ticket_id in (select ticket_id from stg_tickets)")
    con.execute(f"insert into {LOAD_ROWS} select ticket_id, ?, row_no from stg_tickets", [file_name])
    if unchanged:
        con.execute(f"insert into {LOAD_ROWS} select u.ticket_id, ?, u.row_no from {unchanged} u "
                    f"anti join {LOAD_ROWS} r using (ticket_id)", [file_name])


# Ticket fields compared to say how two rows of one ticket differ (each also a column of fct_tickets or ticket_pii).
_COMPARED = ("source", "appeal_type", "category_l1", "category_l2", "received_at", "dispatched_at", "responded_at",
             "resolved_at", "due_at", "callback_at", "is_resolved", "satisfaction", "status", "handling_level",
             "is_whistle", "is_consultation", "department", "street_name", "community_name", "grid_code", "address",
             "lon", "lat", "caller_name", "caller_phone", "content")
_PII_COLUMNS = ("caller_name", "caller_phone", "address", "content")
_TIMES = ("received_at", "dispatched_at", "responded_at", "resolved_at", "due_at", "callback_at")


def settle_ties_between_files(con, file_name: str, labels: dict[str, str], unchanged: str | None = None,
                              exported_at=None) -> str | None:
    """A ticket that an earlier file of this load wrote, at the same newest event (to the minute) but with
    other content: the two exports disagree and no event time says which is later (an extension changes
    the status and deadline, not an event). When both files' title rows state an export time
    (``exported_at``, this file's) and the times differ, the later export wins; else the file whose newest
    event is later is taken for the later export; equally recent files: the one given later wins, as a
    later load does. This file's tied rows are taken out of ``stg_tickets`` when it is the earlier one,
    and stay (to overwrite) otherwise. Times that differ only in their seconds (one export writes none)
    do not count as a difference. Returns the warning that says how many, which file was taken and an
    example, or None: nothing is said when the export times put the files in the order given (as two
    loads one after the other say nothing). ``labels`` names a field as the user knows it (its header in
    this file)."""
    if not _has_table(con, LOAD_ROWS):
        return None

    def differs(name: str) -> str:
        stored = f"p.{name}" if name in _PII_COLUMNS else f"t.{name}"
        new = f"s.{name}"
        if name in _TIMES:
            new, stored = f"date_trunc('minute', {new})", f"date_trunc('minute', {stored})"
        test = f"{new} is distinct from {stored}"
        if name == "due_at":
            test = f"({test} or s.due_workdays is distinct from t.due_workdays)"
        return f"case when {test} then ? end"

    con.execute(
        f"""create or replace temp table stg_ties as
        select * from (
            select s.row_no, s.ticket_id, r.file_name, r.row_no as first_row,
                   concat_ws('、', {', '.join(differs(name) for name in _COMPARED)}) as fields
            from stg_tickets s join {LOAD_ROWS} r using (ticket_id) join fct_tickets t using (ticket_id)
            left join ticket_pii p using (ticket_id)
            where {_progress('t')} = {_progress('s')} and t.row_hash <> s.row_hash
        ) where fields <> ''""",
        [labels.get(name, name) for name in _COMPARED],
    )
    ties = con.execute(
        f"""select k.file_name, count(*), min(f.newest), min(f.exported_at), {_file_newest(unchanged)},
                   min(k.row_no), arg_min(k.ticket_id, k.row_no), arg_min(k.first_row, k.row_no),
                   arg_min(k.fields, k.row_no)
            from stg_ties k join {LOAD_FILES} f using (file_name) group by k.file_name order by k.file_name"""
    ).fetchall()
    lines = []
    for other, n, other_newest, other_exported, newest, row, ticket, first_row, fields in ties:
        by_export = exported_at is not None and other_exported is not None and exported_at != other_exported
        this_wins = exported_at > other_exported if by_export else newest >= other_newest
        if not this_wins:
            con.execute("delete from stg_tickets where row_no in (select row_no from stg_ties where file_name = ?)",
                        [other])
        tied = (f"{n:,} 张工单在 {other} 与本文件中最新进展时间相同、内容不同（如第 {row} 行，工单 {ticket}，"
                f"与 {other} 第 {first_row} 行的“{fields}”不同）")
        if by_export:
            # The title rows say which export is later: no guess to own up to, and the order given is the usual one.
            if not this_wins:
                lines.append(f"{tied}：按标题行的导出时间，{other}（{other_exported:%Y-%m-%d %H:%M}）比本文件"
                             f"（{exported_at:%Y-%m-%d %H:%M}）导出得晚，以 {other} 为准，本文件中的这些行未导入。")
            continue
        winner, winner_newest = (file_name, newest) if this_wins else (other, other_newest)
        why = (f"两个文件的最新进展都到 {newest:%Y-%m-%d %H:%M}，看不出哪份较晚，按导入顺序以后给的 {file_name} 为准"
               if newest == other_newest else
               f"以导出较晚的 {winner}（其中最新的进展为 {winner_newest:%Y-%m-%d %H:%M}）为准")
        lines.append(f"{tied}：{why}。若判断有误，请撤销本批次，把两个文件分两次导入，先导入较早的一份。")
    con.execute("drop table if exists temp.stg_ties")
    return "".join(lines) or None


def older_rows_warning(older: OlderRows) -> str | None:
    """The warning when a file held older states of tickets already stored with newer ones, with how many
    of them were kept back for an extension, for a later export time or for a reopen (:func:`write_tickets`)."""
    if not older.total:
        return None
    parts = [text for n, text in (
        (older.extended, f"其中 {older.extended:,} 条已延期，本文件中是延期前较早的办理时限"),
        (older.exported_later, f"其中 {older.exported_later:,} 条的库中状态来自导出时间更晚的文件"),
        (older.reopened, f"其中 {older.reopened:,} 条在库中已重办，本文件比带来重办的文件导出得早，其中是重办前的状态"),
    ) if n]
    why = "；".join(parts) if parts else "如已办结、已回访"
    return (f"{older.total:,} 条工单在库中已有更新的进展（{why}），本文件中的较早状态未覆盖它们；"
            "如确需用这份较早的导出，请先撤销较新的批次。")


def timeline_warning(con, unchanged: str | None = None) -> str | None:
    """The data-quality warning for impossible timelines in the staged tickets (and in the stored
    tickets of the rows a reload left alone, listed in the temp table ``unchanged``), if any."""
    rows = "select ticket_id from stg_tickets where has_timeline_error"
    if unchanged:
        rows += f" union all select t.ticket_id from fct_tickets t join {unchanged} u using (ticket_id) where t.has_timeline_error"
    n = con.execute(f"select count(*) from ({rows})").fetchall()[0][0]
    if not n:
        return None
    examples = [r[0] for r in con.execute(f"select ticket_id from ({rows}) order by ticket_id limit 3").fetchall()]
    text = (f"{n} 条工单的时间顺序不合理（如办结时间早于受理时间），已导入但不计入办理时长统计；"
            f"例如 {'、'.join(examples)}。")
    # A deadline before the receipt is said apart: its fix is another column (the deadline or its unit).
    early = "select ticket_id from stg_tickets where due_at < received_at"
    if unchanged:
        early += f" union all select t.ticket_id from fct_tickets t join {unchanged} u using (ticket_id) where t.due_at < t.received_at"
    m, first = con.execute(f"select count(*), min(ticket_id) from ({early})").fetchall()[0]
    if m:
        text += f"其中 {m} 条的办理时限早于受理时间（例如 {first}），请核对办理时限一列。"
    return text


def hotline_copies_warning(con, feed: str) -> str | None:
    """双派单: a hotline ticket dispatched down to the grid platform as well comes back in the platform's export as an
    event whose source is 12345热线, under the platform's own number. With both exports loaded the same request is
    counted twice (受理, the rates). The exports share no number to tell them apart by, so it is said (after
    :func:`write_tickets`, on ``stg_tickets``), with what to do: leave those events out of the platform's export."""
    if feed == "events":
        copies = con.execute("select count(*) from stg_tickets where source = '12345热线'").fetchall()[0][0]
        hotline = copies and con.execute("select count(*) from fct_tickets where feed = 'hotline'").fetchall()[0][0]
        if copies and hotline:
            return (f"本文件有 {copies:,} 条网格事件的来源是“12345热线”，数据仓库中也有 12345 热线导出的工单（{hotline:,} 条）："
                    "如果这些事件是热线派到网格平台的同一诉求（双派单），受理量和三率会把它们计两次。"
                    "请在导出网格事件时去掉来源为 12345 热线的记录，撤销本批次后重新导入。")
    elif con.execute("select count(*) from stg_tickets").fetchall()[0][0]:
        copies = con.execute("select count(*) from fct_tickets where feed = 'events' and source = '12345热线'").fetchall()[0][0]
        if copies:
            return (f"数据仓库中有 {copies:,} 条来源为“12345热线”的网格事件：如果它们是热线工单派到网格平台的同一诉求"
                    "（双派单），受理量和三率会把它们计两次。请在导出网格事件时去掉来源为 12345 热线的记录，"
                    "撤销那一批网格事件后重新导入。")
    return None


def grid_contradictions_warning(con, labels: dict[str, str]) -> str | None:
    """The warning for tickets of ``stg_cells`` placed by their grid column (a known code or unique grid name) whose
    所属社区 or 所属街道 names another known community or street than the grid's: the grid decides where such a
    ticket is counted (:func:`build_staged_tickets`), silently until now; one of the two columns is wrong. Counts
    every such row (rows a reload leaves alone too, as :func:`timeline_warning`), the first five as examples (ticket
    numbers scrubbed as problems show them). Names the definitions do not know are
    :func:`unknown_places_warnings`'s."""
    rows = con.execute(
        f"""with grid_names as ({GRID_NAMES}),
        located as (
            select c.row_no, c.ticket_id, c.grid_code as given, g.community_name as grid_community, g.street_name as grid_street,
                   if(c.community_name in (select community_name from dim_communities)
                      and c.community_name <> g.community_name, c.community_name, null) as named_community,
                   if(c.street_name in (select street_name from dim_streets)
                      and c.street_name <> g.street_name, c.street_name, null) as named_street
            from stg_cells c
            left join dim_grids g1 on g1.grid_code = c.grid_code
            left join grid_names g2 on g2.grid_name = c.grid_code
            join dim_grids g on g.grid_code = coalesce(g1.grid_code, g2.grid_code)
            where c.row_no not in (select row_no from stg_problems))
        select ticket_id, given, grid_community, grid_street, named_community, named_street, count(*) over () as n
        from located where named_community is not null or named_street is not null
        order by row_no limit 5""").fetchall()
    if not rows:
        return None
    grid, community, street = (labels.get(f) or f for f in ("grid_code", "community_name", "street_name"))

    def example(ticket_id, given, grid_community, grid_street, named_community, named_street) -> str:
        said = []
        if named_community:
            said.append(f"属于{grid_community}，{community}写的是{named_community}")
        if named_street:
            said.append(f"属于{grid_street}，{street}写的是{named_street}")
        return f"{scrub_number(ticket_id)}（{grid} {scrub_text(given)} {'；'.join(said)}）"

    n = rows[0][-1]
    return (f"{n:,} 条工单的{grid}与{community}或{street}不一致，已按{grid}定位（社区、街道以网格定义为准）："
            f"{'、'.join(example(*row[:-1]) for row in rows)}{'等' if n > len(rows) else ''}。"
            f"请核对这些工单的{grid}和{community}、{street}，在源系统中更正后重新导入。")


# The values of each place column the loaded place definitions know (a grid also by its name, as placement matches it).
_KNOWN_PLACES = {
    "grid_code": "select grid_code from dim_grids union all select code_key(grid_name) from dim_grids",
    "community_name": "select community_name from dim_communities",
    "street_name": "select street_name from dim_streets",
}


def _unknown_place(column: str, alias: str = "") -> str:
    """SQL: ``column`` (of the rows ``alias``) names a place the loaded definitions do not know."""
    value = f"{alias}.{column}" if alias else column
    return f"{value} is not null and {value} not in (select v from ({_KNOWN_PLACES[column]}) k(v) where v is not null)"


def unknown_places_warnings(con) -> tuple[list[str], int]:
    """Warnings for grid codes, communities and streets of ``stg_rows`` that the place definitions do not
    know (the first few of each, with their counts), and how many tickets with an unknown grid code
    were left at community or street level (:func:`build_staged_tickets` must have run): those are
    unplaced because of their code, not for want of one."""
    checks = [
        ("grid_code", "网格编号", "请核对网格编号是否写错，或先导入包含这些网格的网格定义"),
        ("community_name", "所属社区", "请核对社区名称是否写错"),
        ("street_name", "所属街道", "请核对街道名称是否写错"),
    ]
    unplaced = con.execute(
        "select count(*) from stg_tickets t join stg_rows r using (row_no) where t.placed_by in ('community', 'street', 'none') "
        "and r.grid_code is not null").fetchall()[0][0]
    warnings = []
    for column, label, help_text in checks:
        unknown = _unknown_place(column)
        source = f"(select * from stg_rows where {unknown})"
        if column == "grid_code":  # quoted as the file writes it (xh-99, not the XH-99 it is matched as: etl.staging
            # .TYPED_GRID_TABLE), so it can be found there; each way of writing it counted on its own
            source = (f"(select r.* replace (coalesce(t.grid_code_typed, r.grid_code) as grid_code) from stg_rows r "
                      f"left join {TYPED_GRID_TABLE} t using (row_no) where {unknown})")
        found = con.execute(f"select {column}, count(*) from {source} as r group by 1 order by 2 desc, 1").fetchall()
        if found:
            callers = _callers_in_values(con, column, [v for v, _ in found[:5]], source)
            values = "、".join(f"{_scrub_with(v, callers.get(v, ()))}（{n:,} 条）" for v, n in found[:5])
            more = f"等 {len(found)} 个" if len(found) > 5 else ""
            placed = (f"其中 {unplaced:,} 条因此无法定位到网格，按社区/街道统计，计为“未落格”"
                      if column == "grid_code" and unplaced else "这些工单按其余信息定位")
            warnings.append(f"{sum(n for _, n in found):,} 条工单的{label}在已导入的网格定义中找不到：{values}{more}。"
                            f"{placed}；{help_text}。")
    if warning := _shared_compounds_warning(con):
        warnings.append(warning)
    return warnings, unplaced


# The columns a row names its place by, as the message names them.
_PLACE_LABELS = {"grid_code": "网格编号", "community_name": "所属社区", "street_name": "所属街道"}


def foreign_places_message(con, file_name: str, limits: tuple[float, int] = (50.0, 50)) -> str | None:
    """Said of a file of ``stg_rows`` most of whose rows name a grid, community or street and still land in no loaded
    street (``stg_tickets``, placed: another district's export uploaded to a street; 16,881 tickets went into an
    18-grid street under a passing check), or whose grid code and street are both unknown however a community name or
    an address placed them, or None. A known grid code, or a known community or address in a file without unknown grid
    codes, makes a row this area's, however its street is written (南宁街道办事处). A
    warehouse with no places yet knows none: nothing is said then. The counts and the first few values of each column,
    masked as :func:`unknown_places_warnings` masks them; what to do is the caller's to add (a flag, a checkbox).

    ``limits``: (share in %, rows) such rows must both exceed, ``[foreign_places]`` of the rules file (a few are typos;
    another district's export is mostly so)."""
    if not con.execute("select exists(select 1 from dim_grids) or exists(select 1 from dim_streets)").fetchall()[0][0]:
        return None
    columns = {c[0] for c in con.execute("describe stg_rows").fetchall()}
    named = [c for c in _PLACE_LABELS if c in columns]
    if not named:
        return None
    # Placed nowhere though it names a place; or its grid code and street are both unknown and only a community
    # name (东风社区 is in many districts) or an address placed it.
    unknown_grid = _unknown_place("grid_code", "r") if "grid_code" in named else "false"
    unknown_street = f"(r.street_name is null or {_unknown_place('street_name', 'r')})" if "street_name" in named else "true"
    con.execute(
        "create or replace temp table stg_foreign_rows as select r.* from stg_rows r join stg_tickets t using (row_no) "
        f"where (t.street_code is null and ({' or '.join(f'r.{c} is not null' for c in named)})) "
        f"or (({unknown_grid}) and {unknown_street})")
    total = con.execute("select count(*) from stg_rows").fetchall()[0][0]
    foreign = con.execute("select count(*) from stg_foreign_rows").fetchall()[0][0]
    share_above, rows_above = limits
    if foreign <= rows_above or foreign * 100 <= share_above * total:
        return None
    parts = []
    for column in named:
        found = con.execute(f"select {column}, count(*) from stg_foreign_rows where {column} is not null "
                            "group by 1 order by 2 desc, 1").fetchall()
        if found:
            callers = _callers_in_values(con, column, [v for v, _ in found[:3]], "stg_foreign_rows")
            examples = "、".join(_scrub_with(v, callers.get(v, ())) for v, _ in found[:3])
            parts.append(f"{_PLACE_LABELS[column]}不认识的 {sum(n for _, n in found):,} 行（{len(found):,} 个，如 {examples}）")
    return (f"{file_name}：{total:,} 行中有 {foreign:,} 行所写的网格、社区、街道都不在已导入的网格定义中，落不到本区域"
            f"（{'；'.join(parts)}），像是别的区域的导出。")


def _callers_in_values(con, column: str, values: list[str], source: str = "stg_rows") -> dict[str, list[str]]:
    """For each of ``values`` of ``source.column`` (``stg_rows``, or a query over it), the callers of its rows whose
    name it may hold (a name typed into the 网格编号, or columns shifted by one): a warning quoting the value masks
    their names in it. A name's first two characters pick the rows, as in :func:`etl.staging._mask_callers_in_names`;
    scrub_text decides."""
    if not values or "caller_name" not in {c[0] for c in con.execute("describe stg_rows").fetchall()}:
        return {}
    rows = con.execute(
        f"select distinct {column}, caller_name from {source} as r where {column} in (select unnest(?::varchar[])) "
        f"and length(trim(caller_name)) >= 2 and contains({column}, left(trim(caller_name), 2))", [values]).fetchall()
    callers: dict[str, list[str]] = {}
    for value, caller in rows:
        callers.setdefault(value, []).append(caller)
    return callers


def _scrub_with(value: str, callers) -> str:
    for caller in sorted(callers, key=len, reverse=True):
        value = scrub_text(value, caller_name=caller)
    return scrub_text(value)


def _shared_compounds_warning(con) -> str | None:
    """The warning for staged tickets whose address names a compound name several compounds share and
    that their grid did not tell apart, with how many for each reason."""
    rows = con.execute(
        """with unplaced as (
            select distinct compound_name from dim_compounds where grid_code is null and community_code is null
        ),
        unresolved as (
            select a.shared_compound_name as compound_name, t.placed_by in ('grid_code', 'coordinates') as has_grid,
                   sc.grid_code is not null as has_candidates, u.compound_name is not null as has_unplaced
            from stg_tickets t join stg_address_area a using (address)
            left join stg_shared_compound sc on sc.compound_name = a.shared_compound_name and sc.grid_code = t.grid_code
            left join unplaced u on u.compound_name = a.shared_compound_name
            where a.shared_compound_name is not null and t.compound_code is null
        )
        select compound_name, count(*), count(*) filter (where not has_grid),
               count(*) filter (where has_grid and has_unplaced),
               count(*) filter (where has_grid and not has_unplaced and has_candidates),
               count(*) filter (where has_grid and not has_unplaced and not has_candidates)
        from unresolved group by 1 order by 2 desc, 1"""
    ).fetchall()
    if not rows:
        return None
    names = "、".join(f"{scrub_text(v)}（{n:,} 条）" for v, n, *_ in rows[:5])
    more = f"等 {len(rows)} 个名称" if len(rows) > 5 else ""
    no_grid, unplaced, several, none_there = (sum(r[i] for r in rows) for i in (2, 3, 4, 5))
    reasons = [text for n, text in (
        (no_grid, f"{no_grid:,} 条没有网格编号或坐标，无从区分（请在导出中带上网格编号或经纬度）"),
        (unplaced, f"{unplaced:,} 条的同名小区中有未填所属网格和社区的，可能是其中任何一个（请在小区定义中补上所属网格或社区）"),
        (several, f"{several:,} 条所在网格（网格中没有时为其社区）中有不止一个同名小区"),
        (none_there, f"{none_there:,} 条所在网格及其社区中都没有该名称的小区（请核对工单的网格编号，或小区定义中的所属网格）"),
    ) if n]
    return (f"{sum(r[1] for r in rows):,} 条工单地址中的小区名称有多个同名小区：{names}{more}，无法确定是哪一个，"
            f"未定位到小区，也不计入任何物业企业的投诉。其中 {'；'.join(reasons)}。同名小区按工单所在的网格区分："
            "所在网格中（没有时在其社区中）只有一个该名称的小区时，工单定位到该小区。")
