"""Data contracts: unique non-null keys, accepted values and references, checked after every load.

Each failure names the table, the column and up to five offending values, in Chinese.
"""

from __future__ import annotations

UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    "dim_streets": ("street_code",),
    "dim_communities": ("community_code",),
    "dim_grids": ("grid_code",),
    "dim_companies": ("company_id",),
    "dim_compounds": ("compound_code",),
    "dim_calendar": ("calendar_date",),
    "fct_tickets": ("ticket_id",),
    "ticket_pii": ("ticket_id",),
    "fct_inspections": ("inspection_id",),
    "load_batches": ("batch_id",),
    "mart_rates": ("period_type", "period_start", "level", "unit_code"),
    "mart_grid_lights": ("grid_code", "period_type", "period_start"),
    "mart_company_rankings": ("company_id", "month_start"),
}

ACCEPTED_VALUES: list[tuple[str, str, tuple[str, ...]]] = [
    ("fct_tickets", "feed", ("hotline", "events")),
    ("fct_tickets", "appeal_type", ("咨询", "求助", "投诉", "举报", "建议")),
    ("fct_tickets", "satisfaction", ("满意", "基本满意", "不满意")),
    ("fct_tickets", "handling_level", ("网格", "社区", "街道", "区")),
    ("fct_tickets", "placed_by", ("grid_code", "coordinates", "address", "community", "street", "none")),
    ("load_batches", "status", ("loaded", "rolled_back")),
    ("load_batches", "source", ("hotline", "events", "grids", "compounds", "inspections")),
    ("mart_rates", "period_type", ("day", "week", "month")),
    ("mart_rates", "level", ("district", "street", "community", "grid", "department", "source", "category")),
    ("mart_grid_lights", "light", ("green", "yellow", "red", "grey")),
    ("mart_company_rankings", "list", ("red", "black")),
]

# (table, column, referenced table, referenced column)
REFERENCES: list[tuple[str, str, str, str]] = [
    ("dim_communities", "street_code", "dim_streets", "street_code"),
    ("dim_grids", "community_code", "dim_communities", "community_code"),
    ("dim_grids", "street_code", "dim_streets", "street_code"),
    ("dim_compounds", "grid_code", "dim_grids", "grid_code"),
    ("dim_compounds", "company_id", "dim_companies", "company_id"),
    ("fct_tickets", "grid_code", "dim_grids", "grid_code"),
    ("fct_tickets", "community_code", "dim_communities", "community_code"),
    ("fct_tickets", "street_code", "dim_streets", "street_code"),
    ("fct_tickets", "compound_code", "dim_compounds", "compound_code"),
    ("ticket_pii", "ticket_id", "fct_tickets", "ticket_id"),
    ("fct_inspections", "company_id", "dim_companies", "company_id"),
    ("fct_inspections", "compound_code", "dim_compounds", "compound_code"),
]


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = 'main'").fetchall()}


def _sample(values: list) -> str:
    return "、".join(str(v) for v in values[:5])


def _primary_keys(con) -> set[tuple[str, tuple[str, ...]]]:
    """(table, key columns) of every primary key DuckDB itself enforces (unique and not null) in the warehouse."""
    return {(table, tuple(columns)) for table, columns in con.execute(
        "select table_name, constraint_column_names from duckdb_constraints() "
        "where database_name = current_database() and schema_name = 'main' and constraint_type = 'PRIMARY KEY'").fetchall()}


def run(con) -> list[str]:
    """Every contract that fails, as Chinese sentences; an empty list means all hold."""
    tables = _tables(con)
    failures: list[str] = []
    # A key the table declares as its primary key cannot break (DuckDB refuses the write): not checked again,
    # which read every ticket number twice per load (0.8 s a million tickets).
    enforced = _primary_keys(con)
    for table, key in UNIQUE_KEYS.items():
        if table not in tables or (table, key) in enforced:
            continue
        columns = ", ".join(key)
        nulls = con.execute(f"select count(*) from {table} where " + " or ".join(f"{c} is null" for c in key)).fetchall()[0][0]
        if nulls:
            failures.append(f"表 {table} 的键 {columns} 有 {nulls} 行为空。")
        duplicates = con.execute(
            f"select concat_ws('/', {columns}) from {table} group by {columns} having count(*) > 1 order by 1 limit 5"
        ).fetchall()
        if duplicates:
            failures.append(f"表 {table} 的键 {columns} 有重复值：{_sample([d[0] for d in duplicates])}。")
    for table, column, accepted in ACCEPTED_VALUES:
        if table not in tables:
            continue
        bad = con.execute(
            f"select distinct {column}::varchar from {table} where {column} is not null "
            f"and not list_contains(?::varchar[], {column}::varchar) order by 1 limit 5",
            [list(accepted)],
        ).fetchall()
        if bad:
            failures.append(f"表 {table} 的列 {column} 有不允许的取值：{_sample([b[0] for b in bad])}（允许：{'、'.join(accepted)}）。")
    for table, column, parent, parent_column in REFERENCES:
        if table not in tables or parent not in tables:
            continue
        orphans = con.execute(
            f"select distinct t.{column} from {table} t where t.{column} is not null "
            f"and t.{column} not in (select {parent_column} from {parent} where {parent_column} is not null) order by 1 limit 5"
        ).fetchall()
        if orphans:
            failures.append(f"表 {table} 的列 {column} 引用了 {parent} 中不存在的值：{_sample([o[0] for o in orphans])}。")
    return failures
