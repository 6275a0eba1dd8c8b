"""Grids (with their shapes), compounds and property companies: from staged rows to the ``dim_`` tables.

Codes that an export does not carry are those already stored for the name (a street, a community of that
street, a compound when only one has the name or only one of the row's community has it; a compound name
that stays ambiguous refuses the row), else derived from it (``ST``/``CM``/``CP``/``CO`` + an md5
prefix), so the same name always gets the same code across loads. A column the file lacks (a roster of grid
workers without 户数, a compound list without 所属网格) leaves a stored grid's or compound's value as it was,
as a ticket's (:func:`etl.load_tickets.keep_absent_fields`); an empty cell of a column it has empties it.
"""

from __future__ import annotations

import pandas as pd

from etl.errors import LoadError
from etl.geo import ProjectedCoordinates, geometry_record
from etl.readers import TO_GEOJSON_WGS84
from etl.upsert import UpsertCounts, upsert
from onescreen.masking import scrub_number, scrub_text


def _add(a: UpsertCounts, b: UpsertCounts) -> UpsertCounts:
    return UpsertCounts(a.inserted + b.inserted, a.updated + b.updated, a.unchanged + b.unchanged)


def projected_message(con, file_name: str, row_nos: list[int]) -> str:
    """The refusal of a boundary file in projected coordinates: how many grids, the first few codes, how to export."""
    codes = [c for (c,) in con.execute("select grid_code from stg_parsed where list_contains(?, row_no) order by row_no "
                                       "limit 3", [row_nos]).fetchall() if c is not None]
    examples = f"，如 {'、'.join(scrub_text(c) for c in codes)}" if codes else ""
    return (f"错误：文件 {file_name} 的网格边界是投影坐标（单位为米，如 CGCS2000 / 高斯-克吕格），不是经纬度："
            f"{len(row_nos):,} 个网格{examples}{'等' if len(row_nos) > len(codes) else ''}。本次导入已撤回。{TO_GEOJSON_WGS84}")


def check_geometries(con, system: str = "wgs84", file_name: str = "") -> None:
    """Parse every geometry cell (given in the coordinate system ``system``, stored as WGS84); bad shapes become
    problems, good ones land in ``stg_shapes`` (with what was wrong and the areas before and after, for a
    boundary that had to be repaired)."""
    rows = con.execute("select row_no, geometry from stg_parsed where geometry is not null").fetchall()
    good, bad, projected = [], [], []
    for row_no, text in rows:
        try:
            geojson, lon, lat, repair = geometry_record(text, system)
            good.append((row_no, geojson, lon, lat, *(repair or (None, None, None))))
        except ProjectedCoordinates:
            projected.append(row_no)
        except ValueError as reason:
            bad.append((row_no, "geometry", text[:40] + ("…" if len(text) > 40 else ""), str(reason)))
    if projected:  # the file's coordinate system, not 18 grids' mistakes: said once, with what to do
        raise LoadError(projected_message(con, file_name, projected))
    shapes = pd.DataFrame(good, columns=["row_no", "geometry_geojson", "centroid_lon", "centroid_lat",
                                         "repair_reason", "given_area_m2", "repaired_area_m2"])
    con.register("shapes_frame", shapes)
    con.execute("create or replace temp table stg_shapes as select row_no::bigint as row_no, geometry_geojson::varchar as geometry_geojson, "
                "centroid_lon::double as centroid_lon, centroid_lat::double as centroid_lat, repair_reason::varchar as repair_reason, "
                "given_area_m2::double as given_area_m2, repaired_area_m2::double as repaired_area_m2 from shapes_frame")
    con.unregister("shapes_frame")
    if bad:
        con.executemany("insert into stg_problems values (?, ?, ?, ?)", bad)


def repaired_shapes_warning(con) -> str | None:
    """The warning for the loaded grids whose boundary was invalid (a bow-tie) and repaired: the first
    few, each with what was wrong and its area before and after, and how many in all."""
    rows = con.execute(
        """select r.grid_code, g.grid_name, s.repair_reason, s.given_area_m2, s.repaired_area_m2
        from stg_shapes s join stg_rows r using (row_no) left join dim_grids g on g.grid_code = r.grid_code
        where s.repair_reason is not null order by r.row_no"""
    ).fetchall()
    if not rows:
        return None

    def grid(code, name, reason):
        return f"网格 {scrub_text(code)}（{scrub_text(name)}）的边界{reason}" if name else f"网格 {scrub_text(code)} 的边界{reason}"

    if len(rows) == 1:
        code, name, reason, given, repaired = rows[0]
        return (f"{grid(code, name, reason)}，已自动修复；面积由 {given:,.0f} 变为 {repaired:,.0f} 平方米，"
                "请在 GIS 软件中检查该网格的边界。")
    items = "；".join(f"{grid(code, name, reason)}，面积由 {given:,.0f} 变为 {repaired:,.0f} 平方米"
                     for code, name, reason, given, repaired in rows[:5])
    more = f"等 {len(rows)} 个" if len(rows) > 5 else ""
    return f"{len(rows)} 个网格的边界无效，已自动修复：{items}{more}。请在 GIS 软件中检查这些网格的边界。"


def flag_unknown_grids_for_shapes(con) -> None:
    """A shapes-only file may only give shapes to grids that are already defined."""
    con.execute(
        "insert into stg_problems select p.row_no, 'grid_code', p.grid_code, "
        "'网格编号在网格定义中不存在。请先导入含社区、街道的网格属性文件，再导入边界。' "
        "from stg_parsed p where p.grid_code is not null and p.grid_code not in (select grid_code from dim_grids)"
    )


# Fields a stored grid or compound keeps when the file has no column for them (the codes are resolved by name).
GRID_KEPT = ("grid_name", "grid_type", "households", "population", "red_households", "yellow_households",
             "green_households", "worker_name")
COMPOUND_KEPT = ("grid_code", "households", "address")


def _value(field: str, present: set[str]) -> str:
    """The staged value of ``field``, or the stored one (``old``) when the file has no column for it."""
    return f"r.{field}" if field in present else f"old.{field}"


def kept_fields_warning(con, staged: str, table: str, key: str, fields: list[str], labels: dict[str, str],
                        noun: str) -> str | None:
    """What a load says about the ``fields`` its file had no column for, of which some stored row of ``table``
    also in ``staged`` (by ``key``) has a value: kept, not emptied. None when there are none."""
    if not fields:
        return None
    counts = con.execute(
        f"select count(*), {', '.join(f'count(old.{f})' for f in fields)} "
        f"from {staged} s join {table} old using ({key})").fetchall()[0]
    kept = [labels[f] for f, n in zip(fields, counts[1:]) if n]
    if not kept:
        return None
    return (f"文件没有 {'、'.join(kept)} 列：其中 {counts[0]:,} 个已导入过的{noun}，这些值保持库中原有的值，未被清空；"
            f"新{noun}的这些值为空。若要清空某一项，请导入带有该列、该格留空的文件。")


def write_grids(con, batch_id: int, shapes_only: bool, present: set[str] | None = None,
                labels: dict[str, str] | None = None) -> tuple[UpsertCounts, str | None]:
    """Upsert streets, communities and grids from ``stg_rows`` (+ ``stg_shapes``); the counts, and the warning
    of :func:`kept_fields_warning`. ``present``: the fields the file has a column for (default: all)."""
    present = set(GRID_KEPT) if present is None else present
    if shapes_only:
        con.execute(
            """create or replace temp table stg_grids as
            select g.* exclude (geometry_geojson, centroid_lon, centroid_lat, batch_id),
                   s.geometry_geojson, s.centroid_lon, s.centroid_lat
            from stg_rows r join stg_shapes s using (row_no) join dim_grids g on g.grid_code = r.grid_code"""
        )
        return upsert(con, "dim_grids", "stg_grids", batch_id), None
    # A file without code columns names streets and communities already stored under their official codes
    # (530302001): deriving a code from the name would fork each into a second one of the same name.
    con.execute(
        """create or replace temp table stg_grid_rows as
        with streets as (select street_name, any_value(street_code) as street_code from dim_streets
                         group by 1 having count(*) = 1),
        communities as (select community_name, street_code, any_value(community_code) as community_code
                        from dim_communities group by 1, 2 having count(*) = 1),
        keyed as (select r.*, coalesce(r.street_code, s.street_code, 'ST' || left(md5(r.street_name), 8)) as street_key
                  from stg_rows r left join streets s on s.street_name = r.street_name)
        select k.*, coalesce(k.community_code, c.community_code,
                             'CM' || left(md5(k.street_name || '/' || k.community_name), 8)) as community_key
        from keyed k left join communities c on c.community_name = k.community_name and c.street_code = k.street_key"""
    )
    con.execute(
        "create or replace temp table stg_streets as select street_key as street_code, any_value(street_name) as street_name "
        "from stg_grid_rows group by 1"
    )
    con.execute(
        "create or replace temp table stg_communities as select community_key as community_code, "
        "any_value(community_name) as community_name, any_value(street_key) as street_code from stg_grid_rows group by 1"
    )
    con.execute(
        f"""create or replace temp table stg_grids as
        select r.grid_code, {_value("grid_name", present)} as grid_name, r.community_key as community_code, r.community_name,
               r.street_key as street_code, r.street_name, {", ".join(f"{_value(f, present)} as {f}" for f in GRID_KEPT[1:])},
               coalesce(s.geometry_geojson, old.geometry_geojson) as geometry_geojson,
               coalesce(s.centroid_lon, old.centroid_lon) as centroid_lon,
               coalesce(s.centroid_lat, old.centroid_lat) as centroid_lat
        from stg_grid_rows r
        left join stg_shapes s using (row_no)
        left join dim_grids old on old.grid_code = r.grid_code"""
    )
    absent = [f for f in GRID_KEPT if f not in present]
    warning = kept_fields_warning(con, "stg_grids", "dim_grids", "grid_code", absent, labels or {}, "网格")
    upsert(con, "dim_streets", "stg_streets", batch_id)
    upsert(con, "dim_communities", "stg_communities", batch_id)
    return upsert(con, "dim_grids", "stg_grids", batch_id), warning


def flag_unknown_compound_grids(con) -> None:
    """A compound whose grid is given but not defined is a problem (load the grids first)."""
    con.execute(
        """insert into stg_problems select p.row_no, 'grid_code', p.grid_code,
        '网格编号在网格定义中不存在。请先导入网格定义，或更正该小区的所属网格。'
        from stg_parsed p
        where p.grid_code is not null
          and p.grid_code not in (select grid_code from dim_grids)
          and p.grid_code not in (select code_key(grid_name) from dim_grids where grid_name is not null)"""
    )


def _compounds_by_name(table: str) -> str:
    """A query over ``table``'s rows without a compound code: per ``row_no`` the stored compound its name stands
    for (``compound_code``: the only one of that name in the row's community, found from its grid or its 所属社区 as
    the compound's own community is; when the row's community or the compound's is unknown, the only one of that
    name), how many are stored under the name (``stored``) and which (``choices``: ``CP01（东风社区）、...``), the
    row's community (``community_name``) and how many of them are in it (``in_community``).

    A name stored once in another community than the row's stands for no compound: it may be a second compound of
    that name (幸福小区 in two communities) as well as the first one moved, and taking it for the first moved it."""
    return f"""
        with rows as (
            select r.row_no, r.compound_name, coalesce(g1.community_code, g2.community_code, c.community_code) as community_code
            from {table} r
            left join dim_grids g1 on g1.grid_code = r.grid_code
            left join (select code_key(grid_name) as grid_name, any_value(community_code) as community_code from dim_grids
                       where grid_name is not null group by 1 having count(*) = 1) g2 on g2.grid_name = r.grid_code
            left join (select community_name, any_value(community_code) as community_code from dim_communities
                       group by 1 having count(*) = 1) c on c.community_name = r.community_name
            where r.compound_code is null)
        select r.row_no, any_value(rc.community_name) as community_name, count(d.compound_code) as stored,
               count(d.compound_code) filter (where d.community_code = r.community_code) as in_community,
               case when count(d.compound_code) = 1
                         and (any_value(r.community_code) is null or any_value(d.community_code) is null or in_community = 1)
                    then any_value(d.compound_code)
                    when in_community = 1
                    then any_value(d.compound_code) filter (where d.community_code = r.community_code) end as compound_code,
               string_agg(d.compound_code || '（' || coalesce(m.community_name, '社区不明') || '）', '、'
                          order by d.compound_code) as choices
        from rows r
        left join dim_compounds d on d.compound_name = r.compound_name
        left join dim_communities m on m.community_code = d.community_code
        left join dim_communities rc on rc.community_code = r.community_code
        group by r.row_no"""


def flag_ambiguous_compound_names(con, has_code_column: bool) -> None:
    """A row without a compound code whose name several stored compounds share, none of them alone in the row's
    community, is a problem: resolving it by name would pick one at random or fork a third. So is a row naming
    another community than the one compound of its name (:func:`_compounds_by_name`): the same one moved, or a
    second one of the name, only a code tells."""
    fix = ("请在该行的小区编号格中填写其中一个编号后重新导入。" if has_code_column else
           "请在文件中加上“小区编号”列（也可写作“小区编码”），填写各小区的编号后重新导入。")
    fix_one = ("请在该行的小区编号格中填写编号后重新导入：是同一个小区就填它的编号，是另一个同名小区就填这个小区自己的新编号。"
               if has_code_column else
               "请在文件中加上“小区编号”列（也可写作“小区编码”），填写编号后重新导入：是同一个小区就填它的编号，"
               "是另一个同名小区就填这个小区自己的新编号。")
    con.execute(
        f"""insert into stg_problems select p.row_no, 'compound_name', p.compound_name,
        '库中有 ' || n.stored || ' 个名为“' || p.compound_name || '”的小区：' || n.choices || '，'
        || case when n.stored = 1 then '本行所属的是' || n.community_name || '，无法确定是同一个小区改属'
                    || n.community_name || '，还是' || n.community_name || '另有一个同名小区。' || ?
                when n.community_name is null then '本行没有可识别的所属社区或网格，无法确定是哪一个。' || ?
                when n.in_community = 0 then '本行所属的' || n.community_name || '一个也没有，无法确定是哪一个。' || ?
                else '本行所属的' || n.community_name || '有 ' || n.in_community || ' 个，无法确定是哪一个。' || ? end
        from stg_parsed p join ({_compounds_by_name("stg_parsed")}) n using (row_no)
        where n.stored >= 1 and n.compound_code is null""", [fix_one, fix, fix, fix])


def flag_repeated_compound_names(con, has_code_column: bool) -> None:
    """Rows of one file without a compound code that share a name: a later row is a problem naming the first. In
    two communities they are two compounds of one name that only codes tell apart; in one (or both in none known)
    most likely one compound written twice, else two (without this they became one, or the load stopped on the
    primary key)."""
    fix = ("请在这两行的小区编号格中分别填写各自的编号后重新导入。" if has_code_column else
           "请在文件中加上“小区编号”列（也可写作“小区编码”），为两个小区分别填写编号后重新导入。")
    con.execute(
        f"""insert into stg_problems
        with named as (
            select p.row_no, p.compound_name, n.community_name
            from stg_parsed p join ({_compounds_by_name("stg_parsed")}) n using (row_no)),
        firsts as (select compound_name, min(row_no) as first_row from named group by 1 having count(*) > 1)
        select n.row_no, 'compound_name', n.compound_name,
            case when first.community_name is not distinct from n.community_name
                 then '与第 ' || f.first_row || ' 行同名（' || coalesce('都在' || n.community_name, '所属社区都不明')
                      || '）：是同一个小区写了两遍的，请删除其中一行；是两个同名小区的，' || ?
                 else '与第 ' || f.first_row || ' 行同名，所属社区却不同（第 ' || f.first_row || ' 行：'
                      || coalesce(first.community_name, '社区不明') || '；本行：' || coalesce(n.community_name, '社区不明')
                      || '），是两个同名小区，没有小区编号无法区分。' || ? end
        from named n join firsts f using (compound_name) join named first on first.row_no = f.first_row
        where n.row_no <> f.first_row""", [fix, fix])


def write_compounds(con, batch_id: int, present: set[str] | None = None,
                    labels: dict[str, str] | None = None) -> tuple[UpsertCounts, str | None]:
    """Upsert companies and compounds from ``stg_rows``; the counts, and the warning of :func:`kept_fields_warning`.
    ``present``: the fields the file has a column for (default: all)."""
    present = {*COMPOUND_KEPT, "compound_code", "community_name"} if present is None else present
    # Without a 小区编号 a name stored once is that compound (CP01), not a second 金碧花园 with no grid; a name stored
    # more than once is the one in the row's community (rows for which there is no such one, or that name another
    # community than the one compound of the name, were refused by flag_ambiguous_compound_names). A column the file lacks keeps the stored compound's value (old_*).
    grid = "r.grid_code" if "grid_code" in present else "old.grid_code"
    con.execute(
        f"""create or replace temp table stg_compound_rows as
        with known as ({_compounds_by_name("stg_rows")}),
        keyed as (select r.*, 'CO' || left(md5(trim(r.company_name)), 10) as company_key,
                         coalesce(r.compound_code, known.compound_code, 'CP' || left(md5(r.compound_name), 10)) as compound_key
                  from stg_rows r left join known using (row_no))
        select r.*, coalesce(g1.grid_code, g2.grid_code) as grid_key, old.community_code as old_community_code,
               old.street_code as old_street_code, old.households as old_households, old.address as old_address
        from keyed r
        left join dim_compounds old on old.compound_code = r.compound_key
        left join dim_grids g1 on g1.grid_code = {grid}
        left join (select code_key(grid_name) as grid_name, any_value(grid_code) as grid_code from dim_grids
                   where grid_name is not null group by 1 having count(*) = 1) g2 on g2.grid_name = {grid}"""
    )
    # Neither a grid nor a community column: the compound stays where it was.
    kept_place = ", r.old_community_code" if not {"grid_code", "community_name"} & present else ""
    kept_street = ", r.old_street_code" if kept_place else ""
    con.execute(
        "create or replace temp table stg_companies as select company_key as company_id, any_value(trim(company_name)) as company_name "
        "from stg_compound_rows group by 1"
    )
    con.execute(
        f"""create or replace temp table stg_compounds as
        select r.compound_key as compound_code, r.compound_name, r.grid_key as grid_code,
               coalesce(g.community_code, c.community_code{kept_place}) as community_code,
               coalesce(g.street_code, c.street_code{kept_street}) as street_code,
               r.company_key as company_id,
               {"r.households" if "households" in present else "r.old_households"} as households,
               {"r.address" if "address" in present else "r.old_address"} as address
        from stg_compound_rows r
        left join dim_grids g on g.grid_code = r.grid_key
        left join (select community_name, any_value(community_code) as community_code, any_value(street_code) as street_code
                   from dim_communities group by 1 having count(*) = 1) c on c.community_name = r.community_name"""
    )
    absent = [f for f in COMPOUND_KEPT if f not in present]
    warning = kept_fields_warning(con, "stg_compounds", "dim_compounds", "compound_code", absent, labels or {}, "小区")
    upsert(con, "dim_companies", "stg_companies", batch_id)
    return upsert(con, "dim_compounds", "stg_compounds", batch_id), warning


def compound_grid_contradictions_warning(con) -> str | None:
    """After :func:`write_compounds` of a file with both columns: the warning for compounds of ``stg_compound_rows`` whose 所属网格 (a known grid) lies in another community than
    the known one their 所属社区 names: the grid decides (:func:`write_compounds`), silently until now. How many,
    and the first five by compound code (scrubbed as problems show codes)."""
    rows = con.execute(
        """select r.compound_key, r.grid_code, g.community_name, r.community_name, count(*) over () as n
        from stg_compound_rows r join dim_grids g on g.grid_code = r.grid_key
        where r.community_name in (select community_name from dim_communities) and r.community_name <> g.community_name
        order by r.row_no limit 5""").fetchall()
    if not rows:
        return None
    n = rows[0][-1]
    examples = "、".join(f"{scrub_number(code)}（所属网格 {scrub_text(grid)} 属于{grid_community}，所属社区写的是{named}）"
                         for code, grid, grid_community, named, _ in rows)
    return (f"{n:,} 个小区的所属网格与所属社区不一致，已按所属网格定位（社区、街道以网格定义为准）：{examples}"
            f"{'等' if n > len(rows) else ''}。请核对这些小区的所属网格和所属社区，更正后重新导入。")
