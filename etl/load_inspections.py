"""Property companies' daily inspection scores: from staged rows to ``fct_inspections``."""

from __future__ import annotations

from etl.upsert import UpsertCounts, upsert

# The columns of a stored inspection (``fct_inspections``) its ``row_hash`` is made of, in order.
ROW_HASH_COLUMNS = ("inspection_id", "inspected_on", "company_id", "compound_code", "item", "score", "inspector")

# How ``row_hash`` is made, recorded in warehouse_meta apart from the tickets' (etl.load_tickets.ROW_HASH_VERSION):
# a warehouse that records another (or none: version 1, whose concat_ws skipped nulls) has its stored hashes
# made again before a load (etl.refresh.refresh_row_hashes).
ROW_HASH_VERSION = "2"


def row_hash_sql() -> str:
    """SQL for an inspection's ``row_hash`` (what the upsert compares) from its columns, staged or stored.

    Every column keeps its place, a null one as ``\\N`` (as etl.load_tickets.row_hash_sql): concat_ws alone
    skips nulls, so a value moved to an empty neighbouring column (考核项目 -> 考核人) hashed the same and the
    corrected inspection was counted 未变 and not written."""
    return "md5(concat_ws('|', " + ", ".join(f"coalesce({c}::varchar, '\\N')" for c in ROW_HASH_COLUMNS) + "))"


def flag_unknown_references(con) -> None:
    """An inspection must name a known company and compound: otherwise it could never be ranked."""
    con.execute(
        """insert into stg_problems select p.row_no, 'company_name', p.company_name,
        '物业企业不在已导入的小区与物业名单中。请先导入小区与物业文件，或更正企业名称。'
        from stg_parsed p where p.company_name is not null
          and trim(p.company_name) not in (select company_name from dim_companies)"""
    )
    con.execute(
        """insert into stg_problems select p.row_no, 'compound_name', p.compound_name,
        '小区不在已导入的小区名单中。请先导入小区与物业文件，或更正小区名称。'
        from stg_parsed p where p.compound_name is not null
          and p.compound_name not in (select compound_name from dim_compounds)
          and coalesce(p.compound_code, '') not in (select compound_code from dim_compounds)"""
    )
    # A name two compounds share, without a known code: the company tells them apart, or nothing does.
    con.execute(
        """insert into stg_problems select p.row_no, 'compound_name', p.compound_name,
        '有多个同名小区（' || string_agg(distinct d.compound_code, '、' order by d.compound_code) || '），无法确定是哪一个。请在文件中加上“小区编号”列。'
        from stg_parsed p join dim_compounds d on d.compound_name = p.compound_name
        left join dim_companies co on co.company_name = trim(p.company_name)
        where coalesce(p.compound_code, '') not in (select compound_code from dim_compounds)
          and (select count(*) from dim_compounds x where x.compound_name = p.compound_name
               and x.company_id is not distinct from co.company_id) <> 1
          and (select count(*) from dim_compounds x where x.compound_name = p.compound_name) > 1
        group by p.row_no, p.compound_name"""
    )


# An inspection without 考核编号 is identified by what makes it one inspection: the day, the company, the compound,
# the item and, when the export has one, the inspector; never the score, which a corrected export changes (85 -> 58
# was a second inspection, and both counted in the company's month). Made from the resolved columns, so the stored
# rows give the same id (etl.refresh.refresh_inspection_ids).
INSPECTION_ID_VERSION = "2"
# How such ids were made before version 2, from the file's names and the score (kept to recognise and migrate them).
OLD_FALLBACK_ID = "'IN' || left(md5(concat_ws('|', inspected_on, company_name, compound_name, item, score)), 16)"
# What a derived id looks like (either version): 'IN' and 16 hex digits.
DERIVED_ID = r"^IN[0-9a-f]{16}$"


def derived_id_sql(column: str = "inspection_id") -> str:
    """SQL: whether ``column`` holds an id :func:`fallback_id_sql` (or an earlier version of it) derived: IN and 16
    hex digits of an md5, at least one a letter. A 考核编号 given as IN and 16 decimal digits (IN2025110112345678) is
    the user's, never rewritten (an md5's 16 hex digits are all decimal once in about 1,900 ids: such a derived
    id is left as it is, and only that inspection would be added again by a reload of its export)."""
    return f"(regexp_matches({column}, '{DERIVED_ID}') and regexp_matches({column}, '[a-f]'))"


def fallback_id_sql() -> str:
    """SQL for the id of an inspection without 考核编号, over columns ``inspected_on``, ``company_id``,
    ``compound_code``, ``item`` and ``inspector`` (staged and resolved, or stored). Every column keeps its place,
    a null one as ``\\N`` (as :func:`row_hash_sql`)."""
    columns = ("inspected_on", "company_id", "compound_code", "item", "inspector")
    return "'IN' || left(md5(concat_ws('|', " + ", ".join(f"coalesce({c}::varchar, '\\N')" for c in columns) + ")), 16)"


def write_inspections(con, batch_id: int) -> UpsertCounts:
    """Upsert ``stg_rows`` into ``fct_inspections``; an inspection without 考核编号 gets :func:`fallback_id_sql`."""
    con.execute(
        f"""create or replace temp table stg_inspections as
        with resolved as (
            select r.inspection_id as given_id, r.inspected_on, r.company_name, r.compound_name, co.company_id,
                   coalesce(byc.compound_code, byn.compound_code, bync.compound_code) as compound_code,
                   r.item, r.score, r.inspector
            from stg_rows r
            join dim_companies co on co.company_name = trim(r.company_name)
            left join dim_compounds byc on byc.compound_code = r.compound_code
            left join (select compound_name, min(compound_code) as compound_code from dim_compounds
                       group by 1 having count(*) = 1) byn
                   on byn.compound_name = r.compound_name
            left join (select compound_name, company_id, min(compound_code) as compound_code from dim_compounds
                       group by 1, 2 having count(*) = 1) bync
                   on bync.compound_name = r.compound_name and bync.company_id = co.company_id
        ),
        final as (
            select coalesce(given_id, {fallback_id_sql()}) as inspection_id, inspected_on, company_id, compound_code,
                   item, score, inspector
            from resolved
        )
        select *, {row_hash_sql()} as row_hash
        from final"""
    )
    return upsert(con, "fct_inspections", "stg_inspections", batch_id, compare=["inspection_id", "row_hash"])
