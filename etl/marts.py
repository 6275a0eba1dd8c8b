"""Build the metric marts from the warehouse: ``build_marts(con, rules) -> {table: row count}``.

Call it at the end of every load, inside the load's transaction, on the read-write connection:

    from etl.marts import build_marts
    from onescreen.rules import load_rules
    counts = build_marts(con, load_rules())

It (re)creates ``mart_rates``, ``mart_grid_lights``, ``mart_company_rankings``, ``mart_open_tickets``, ``mart_derived_deadlines``,
``mart_repeat_requests``, ``mart_ticket_values`` and ``mart_meta`` from ``fct_tickets``, ``dim_*`` and ``fct_inspections``
(``mart_repeat_requests`` also reads the phone numbers in ``ticket_pii``, and keeps none of them), then checks each mart's key
and enumerations and raises :class:`MartsError` naming table, column and offending values. The SQL is
in ``etl/sql/marts/<table>.sql``; rule values reach it only as bound parameters (scalars as
``$name``; for the ``int_ticket_facts`` view, which cannot hold parameters, the one-row temp table
``tmp_rules`` and the temp table ``tmp_deadline_rules``), never formatted into text.
Everything is aggregated in SQL: a few seconds at 5M tickets. ``dim_calendar`` must be filled first.
Tickets stored without ``place_hash`` (a warehouse from before that column, or rows written by hand) get
it first (:func:`etl.load_tickets.fill_place_hashes`): the 高频问题 query groups by it.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path

import duckdb

from onescreen.rules import Rules

SQL_DIR = Path(__file__).resolve().parent / "sql" / "marts"

# Built in this order; tmp_* (tables) and int_* (a view) are temporary and dropped at the end.
STEPS = ("tmp_rules", "tmp_as_of", "int_ticket_facts", "mart_rates", "mart_grid_lights", "mart_company_rankings",
         "mart_open_tickets", "mart_derived_deadlines", "mart_repeat_requests", "mart_ticket_values", "mart_meta")
MARTS = ("mart_rates", "mart_grid_lights", "mart_company_rankings", "mart_open_tickets", "mart_derived_deadlines",
         "mart_repeat_requests", "mart_ticket_values", "mart_meta")

# Data contracts: unique non-null key, and accepted values of enumerated columns.
KEYS = {
    "mart_rates": ("period_type", "period_start", "level", "unit_code"),
    "mart_grid_lights": ("period_type", "period_start", "grid_code"),
    "mart_company_rankings": ("month_start", "company_id"),
    "mart_open_tickets": ("ticket_id",),
    "mart_derived_deadlines": ("ticket_id",),
    "mart_repeat_requests": ("ticket_id",),
}
ACCEPTED = {
    ("mart_rates", "period_type"): ("day", "week", "month"),
    ("mart_rates", "level"): ("district", "street", "community", "grid", "department", "source", "category"),
    ("mart_grid_lights", "period_type"): ("day", "week", "month"),
    ("mart_grid_lights", "light"): ("green", "yellow", "red", "grey"),
    ("mart_company_rankings", "list"): ("red", "black", None),
    ("mart_ticket_values", "field"): ("source", "category_l1", "category_l2", "proactive_source"),
}

_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


class MartsError(RuntimeError):
    """The marts could not be built or broke a contract; the message is Chinese and names the table."""


def build_marts(con: duckdb.DuckDBPyConnection, rules: Rules,
                built_at: datetime | None = None) -> dict[str, int]:
    """(Re)create the marts with ``rules`` and return the row count of each mart table.

    ``built_at`` defaults to the wall clock (it is recorded, never used in a figure). Transaction
    control is the caller's: run it inside the load's transaction so readers never see half a build.
    """
    if _scalar(con, "select count(*) from fct_tickets") and not _scalar(con, "select count(*) from dim_calendar"):
        raise MartsError("dim_calendar 为空：请先生成工作日历（etl.calendar.build_calendar），再生成指标。")
    from etl.load_tickets import fill_place_hashes  # here: the marts' readers need no ETL imports

    fill_place_hashes(con)  # a warehouse from before the column, or tickets written by hand
    params = sql_params(rules)
    params["built_at"] = built_at or datetime.now().replace(microsecond=0)
    con.execute("create or replace temp table tmp_deadline_rules (appeal_type varchar, workdays integer)")
    con.executemany("insert into tmp_deadline_rules values (?, ?)", [list(p) for p in rules.deadline_workdays])
    try:
        for step in STEPS:
            run_sql_file(con, SQL_DIR / f"{step}.sql", params)
        check_marts(con)
        return {table: _scalar(con, f"select count(*) from {table}") for table in MARTS}
    finally:
        con.execute("drop view if exists int_ticket_facts")
        for temp in ("tmp_as_of", "tmp_rules", "tmp_deadline_rules"):
            con.execute(f"drop table if exists {temp}")


def sql_params(rules: Rules) -> dict[str, object]:
    """Every rule value the mart SQL binds, by parameter name (``$name`` in the .sql files)."""
    w, lt, p = rules.composite_weights, rules.lights, rules.property_rules
    return {
        "fallback_deadline_workdays": rules.fallback_deadline_workdays,
        "response_limit_hours": rules.response_limit_hours,
        "near_deadline_workdays": rules.near_deadline_workdays,
        "basic_satisfied_weight": rules.basic_satisfied_weight,
        "property_categories": list(p.categories),
        "property_appeal_types": list(p.appeal_types),
        "weight_response": w.response,
        "weight_resolution": w.resolution,
        "weight_satisfaction": w.satisfaction,
        "min_denominator": rules.min_denominator,
        "red_on_time_rate_below": lt.red_on_time_rate_below,
        "red_overdue_at_least": lt.red_overdue_at_least,
        "red_min_denominator": lt.red_min_denominator,
        "yellow_on_time_rate_below": lt.yellow_on_time_rate_below,
        "complaint_points_per_1k": p.complaint_points_per_1k,
        "inspection_weight": p.inspection_weight,
        "complaint_weight": p.complaint_weight,
        "min_households": p.min_households,
        "min_inspections": p.min_inspections,
        "list_size_max": p.list_size_max,
        "list_size_divisor": p.list_size_divisor,
        "repeat_window_days": rules.repeat_window_days,
        "proactive_sources": list(rules.proactive_sources),
        "callback_window_days": rules.callback_window_days,
        "rules_digest": rules.digest(),
        "rules_json": rules.to_json(),
        "sql_digest": sql_digest(),
    }


def sql_digest() -> str:
    """First 12 hex digits of SHA-256 over the mart SQL files: marts built by other SQL are stale."""
    digest = hashlib.sha256()
    for path in sorted(SQL_DIR.glob("*.sql")):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def run_sql_file(con: duckdb.DuckDBPyConnection, path: Path, params: dict[str, object]) -> None:
    """Run one .sql file, binding the ``$name`` parameters it uses (comments are stripped first)."""
    sql = _COMMENT.sub("", path.read_text(encoding="utf-8"))
    names = sorted(set(_PARAM.findall(sql)))
    missing = [name for name in names if name not in params]
    if missing:
        raise MartsError(f"{path.name} 需要参数 {', '.join(missing)}，但规则中没有提供。")
    try:
        con.execute(sql, {name: params[name] for name in names}).fetchall()
    except duckdb.Error as exc:
        raise MartsError(f"生成 {path.stem} 失败：{exc}") from exc


def check_marts(con: duckdb.DuckDBPyConnection) -> None:
    """Check each mart's key (unique, not null) and accepted values; raise MartsError on the first breach."""
    for table, key in KEYS.items():
        cols = ", ".join(key)
        nulls = " or ".join(f"{c} is null" for c in key)
        bad = con.execute(f"select count(*) from {table} where {nulls}").fetchone()[0]
        if bad:
            raise MartsError(f"{table} 的键 ({cols}) 有 {bad} 行为空。")
        dupes = con.execute(
            f"select {cols}, count(*) from {table} group by all having count(*) > 1 limit 3").fetchall()
        if dupes:
            raise MartsError(f"{table} 的键 ({cols}) 不唯一，例如 {dupes}。")
    for (table, column), allowed in ACCEPTED.items():
        values = [row[0] for row in con.execute(f"select distinct {column} from {table}").fetchall()]
        wrong = [v for v in values if v not in allowed]
        if wrong:
            raise MartsError(f"{table}.{column} 出现不允许的取值 {wrong}（允许 {list(allowed)}）。")
    if _scalar(con, "select count(*) from mart_meta") != 1:
        raise MartsError("mart_meta 应恰好有一行。")


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(sql).fetchone()[0]
