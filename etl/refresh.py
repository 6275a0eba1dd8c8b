"""Bring an existing warehouse up to the code and the rules in force, without loading a file.

A warehouse made by an older version may lack a column or a mart table that the pages now read, and
marts built before ``config/rules.toml`` was edited show figures by the old rules while the pages
state the new ones. :func:`stale_reasons` says which (cheap: a read-only look, for every ``make
run``); :func:`refresh` adds the missing columns, then rebuilds the calendar, the marts and the
contracts in one publish, exactly as the end of a load does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from etl.upsert import TABLE_KEYS
from etl.warehouse import SCHEMA, open_readonly, writer


def _columns(con, tables: list[str] | None = None) -> dict[str, dict[str, str]]:
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'main' order by table_name, ordinal_position").fetchall()
    result: dict[str, dict[str, str]] = {}
    for table, column, kind in rows:
        if tables is None or table in tables:
            result.setdefault(table, {})[column] = kind
    return result


def expected_columns() -> dict[str, dict[str, str]]:
    """Every table of ``schema.sql`` with its columns and types, as the code expects them."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(SCHEMA.read_text(encoding="utf-8"))
        return _columns(con)
    finally:
        con.close()


def missing_columns(con) -> list[tuple[str, str, str]]:
    """(table, column, type) that ``schema.sql`` has and the warehouse lacks (tables that exist)."""
    have = _columns(con)
    return [(table, column, kind)
            for table, columns in expected_columns().items() if table in have
            for column, kind in columns.items() if column not in have[table]]


def stale_reasons(path: Path | None = None) -> list[str]:
    """Why the warehouse at ``path`` needs :func:`refresh` (Chinese, one line each); empty if current."""
    from etl.marts import MARTS, sql_digest
    from onescreen.rules import load_rules

    con = open_readonly(path)
    if con is None:
        return []
    try:
        reasons = [f"表 {table} 缺少列 {column}（程序已升级）" for table, column, _ in missing_columns(con)]
        tables = {row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'").fetchall()}
        missing = [m for m in MARTS if m not in tables]
        if missing:
            reasons.append(f"缺少汇总表 {'、'.join(missing)}（程序已升级）")
        else:
            meta = con.execute("select * from mart_meta").df().iloc[0]
            if meta.get("sql_digest") != sql_digest():
                reasons.append("汇总表的计算程序已更新（程序已升级）")
            if meta["rules_digest"] != load_rules().digest():
                reasons.append("config/rules.toml 已修改，汇总表仍按旧规则计算")
        return reasons
    finally:
        con.close()


def refresh(path: Path | None = None, progress: Callable[[str], None] = lambda _: None) -> tuple[datetime | None, list[str]]:
    """Add missing columns (and their history twins'), rebuild calendar, marts and contracts; publish.

    Returns (as_of, warnings) like the end of a load. Raises :class:`etl.errors.LoadError` when the
    rules file is wrong or a contract fails; the published warehouse is then unchanged.
    """
    from etl.load import finish

    with writer(path) as con:
        for table, column, kind in missing_columns(con):
            progress(f"为表 {table} 增加列 {column}……")
            con.execute(f'alter table {table} add column "{column}" {kind}')
            if table in TABLE_KEYS:
                con.execute(f'alter table {table}_hist add column if not exists "{column}" {kind}')
        return finish(con, progress, action="汇总表未重建，数据仓库保持原样")
