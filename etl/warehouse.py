"""The published warehouse file and the one way to change it.

Readers open the published file read-only. A writer takes an exclusive lock, copies the published
file to a staging file, changes the copy, checkpoints and closes it, then ``os.replace``-s it over the
published file. A reader therefore sees the old data or the new, never half a load, and never gets a
lock error; a failed load deletes its staging copy and leaves the published file untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from pathlib import Path

import duckdb

from etl.errors import LoadError
from etl.upsert import TABLE_KEYS, create_history_tables
from onescreen import settings

SCHEMA = Path(__file__).parent / "sql" / "schema.sql"


def create_schema(con) -> None:
    """Create every warehouse table that does not exist yet and add the columns a warehouse made by
    an older version lacks (to the table and its history twin); idempotent."""
    con.execute(SCHEMA.read_text(encoding="utf-8"))
    create_history_tables(con)
    for table, column, kind in missing_columns(con):
        con.execute(f'alter table {table} add column "{column}" {kind}')
        if table in TABLE_KEYS:
            con.execute(f'alter table {table}_hist add column if not exists "{column}" {kind}')


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


@contextlib.contextmanager
def writer(path: Path | None = None):
    """Yield a read-write connection on a staging copy; publish it atomically if the block succeeds.

    A second writer while one is running fails at once with a clear message.
    """
    published = Path(path or settings.warehouse_path())
    published.parent.mkdir(parents=True, exist_ok=True)
    lock_path = published.with_name(published.name + ".lock")
    staging = published.with_name(published.name + ".staging")
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LoadError(
                f"错误：另一个导入或撤销正在进行（{published.name}），请等它结束后再试。"
            ) from None
        for leftover in (staging, staging.with_name(staging.name + ".wal")):
            leftover.unlink(missing_ok=True)
        if published.exists():
            shutil.copyfile(published, staging)
        con = duckdb.connect(str(staging))
        try:
            create_schema(con)
            yield con
            con.execute("checkpoint")
        except BaseException:
            con.close()
            staging.unlink(missing_ok=True)
            staging.with_name(staging.name + ".wal").unlink(missing_ok=True)
            raise
        con.close()
        os.replace(staging, published)


def open_readonly(path: Path | None = None):
    """A read-only connection on the published warehouse, or None if it does not exist yet."""
    published = Path(path or settings.warehouse_path())
    if not published.exists():
        return None
    return duckdb.connect(str(published), read_only=True)
