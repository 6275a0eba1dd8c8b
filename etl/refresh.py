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

from etl.warehouse import missing_columns, open_readonly, writer


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
    """Add missing columns (and their history twins', as every write does), rebuild calendar, marts and
    contracts; publish.

    Returns (as_of, warnings) like the end of a load. Raises :class:`etl.errors.LoadError` when the
    rules file is wrong or a contract fails; the published warehouse is then unchanged.
    """
    from etl.load import finish

    with writer(path) as con:  # the writer adds missing columns (etl.warehouse.create_schema)
        return finish(con, progress, action="汇总表未重建，数据仓库保持原样")
