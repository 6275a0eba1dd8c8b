"""Grids (with their shapes), compounds and property companies: from staged rows to the ``dim_`` tables.

Codes that an export does not carry are derived from names (``ST``/``CM``/``CP``/``CO`` + an md5
prefix), so the same name always gets the same code across loads.
"""

from __future__ import annotations

import pandas as pd

from etl.geo import geometry_record
from etl.upsert import UpsertCounts, upsert
from onescreen.masking import scrub_text


def _add(a: UpsertCounts, b: UpsertCounts) -> UpsertCounts:
    return UpsertCounts(a.inserted + b.inserted, a.updated + b.updated, a.unchanged + b.unchanged)


def check_geometries(con) -> None:
    """Parse every geometry cell; bad shapes become problems, good ones land in ``stg_shapes`` (with
    what was wrong and the areas before and after, for a boundary that had to be repaired)."""
    rows = con.execute("select row_no, geometry from stg_parsed where geometry is not null").fetchall()
    good, bad = [], []
    for row_no, text in rows:
        try:
            geojson, lon, lat, repair = geometry_record(text)
            good.append((row_no, geojson, lon, lat, *(repair or (None, None, None))))
        except ValueError as reason:
            bad.append((row_no, "geometry", text[:40] + ("…" if len(text) > 40 else ""), str(reason)))
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


def write_grids(con, batch_id: int, shapes_only: bool) -> UpsertCounts:
    """Upsert streets, communities and grids from ``stg_rows`` (+ ``stg_shapes``)."""
    if shapes_only:
        con.execute(
            """create or replace temp table stg_grids as
            select g.* exclude (geometry_geojson, centroid_lon, centroid_lat, batch_id),
                   s.geometry_geojson, s.centroid_lon, s.centroid_lat
            from stg_rows r join stg_shapes s using (row_no) join dim_grids g on g.grid_code = r.grid_code"""
        )
        return upsert(con, "dim_grids", "stg_grids", batch_id)
    con.execute(
        """create or replace temp table stg_grid_rows as
        select r.*,
               coalesce(r.street_code, 'ST' || left(md5(r.street_name), 8)) as street_key,
               coalesce(r.community_code, 'CM' || left(md5(r.street_name || '/' || r.community_name), 8)) as community_key
        from stg_rows r"""
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
        """create or replace temp table stg_grids as
        select r.grid_code, r.grid_name, r.community_key as community_code, r.community_name,
               r.street_key as street_code, r.street_name, r.grid_type, r.households, r.population,
               r.red_households, r.yellow_households, r.green_households, r.worker_name,
               coalesce(s.geometry_geojson, old.geometry_geojson) as geometry_geojson,
               coalesce(s.centroid_lon, old.centroid_lon) as centroid_lon,
               coalesce(s.centroid_lat, old.centroid_lat) as centroid_lat
        from stg_grid_rows r
        left join stg_shapes s using (row_no)
        left join dim_grids old on old.grid_code = r.grid_code"""
    )
    counts = upsert(con, "dim_streets", "stg_streets", batch_id)
    counts = upsert(con, "dim_communities", "stg_communities", batch_id)
    return upsert(con, "dim_grids", "stg_grids", batch_id)


def flag_unknown_compound_grids(con) -> None:
    """A compound whose grid is given but not defined is a problem (load the grids first)."""
    con.execute(
        """insert into stg_problems select p.row_no, 'grid_code', p.grid_code,
        '网格编号在网格定义中不存在。请先导入网格定义，或更正该小区的所属网格。'
        from stg_parsed p
        where p.grid_code is not null
          and p.grid_code not in (select grid_code from dim_grids)
          and p.grid_code not in (select grid_name from dim_grids where grid_name is not null)"""
    )


def write_compounds(con, batch_id: int) -> UpsertCounts:
    """Upsert companies and compounds from ``stg_rows``."""
    con.execute(
        """create or replace temp table stg_compound_rows as
        select r.*, 'CO' || left(md5(trim(r.company_name)), 10) as company_key,
               coalesce(r.compound_code, 'CP' || left(md5(r.compound_name), 10)) as compound_key,
               coalesce(g1.grid_code, g2.grid_code) as grid_key
        from stg_rows r
        left join dim_grids g1 on g1.grid_code = r.grid_code
        left join (select grid_name, any_value(grid_code) as grid_code from dim_grids where grid_name is not null
                   group by 1 having count(*) = 1) g2 on g2.grid_name = r.grid_code"""
    )
    con.execute(
        "create or replace temp table stg_companies as select company_key as company_id, any_value(trim(company_name)) as company_name "
        "from stg_compound_rows group by 1"
    )
    con.execute(
        """create or replace temp table stg_compounds as
        select r.compound_key as compound_code, r.compound_name, r.grid_key as grid_code,
               coalesce(g.community_code, c.community_code) as community_code,
               coalesce(g.street_code, c.street_code) as street_code,
               r.company_key as company_id, r.households, r.address
        from stg_compound_rows r
        left join dim_grids g on g.grid_code = r.grid_key
        left join (select community_name, any_value(community_code) as community_code, any_value(street_code) as street_code
                   from dim_communities group by 1 having count(*) = 1) c on c.community_name = r.community_name"""
    )
    upsert(con, "dim_companies", "stg_companies", batch_id)
    return upsert(con, "dim_compounds", "stg_compounds", batch_id)
