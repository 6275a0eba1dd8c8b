"""The app's read-only access to what is published: the warehouse file (default), the live snapshot
(``$ONESCREEN_SNAPSHOTS``, see ``etl.publish``) or a ClickHouse server (``$ONESCREEN_ENGINE``).

The file is the default and the rules below are about it. A snapshot is read through DuckDB views
over its Parquet files, or through chdb (``onescreen.engine``); a new ``CURRENT`` pointer is picked
up like a replaced file. :func:`pin` holds one published state for a whole page run.

Rules this module follows (see STACK-NOTES):

- One DuckDB connection is not thread-safe and Streamlit runs each session in a thread, so every
  query gets its own cursor from :func:`connect`.
- A load never writes the published file: it builds a staging copy and ``os.replace``-s it over
  the published path. :func:`connect` notices the swap (a different inode, mtime or size) and
  opens the new file; cursors handed out before keep reading the old file until they are closed,
  and the old file is released when the last of them goes away.
- The file is attached to a fresh in-memory database rather than opened with
  ``duckdb.connect(path)``: DuckDB caches database instances by path within a process, so a second
  ``connect(path)`` after the swap would silently return the old instance and the old data.
  Consequence for in-process writers: this process must not open the published path read-write
  (DuckDB refuses while it is attached here); write to a staging file and replace.
"""

from __future__ import annotations

import os
import re
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from onescreen import settings
from onescreen.errors import UserFacingError

CATALOG = "wh"

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class WarehouseMissingError(FileNotFoundError):
    """The published warehouse file does not exist."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(
            f"错误：找不到数据仓库 {path}。请先运行 {settings.missing_warehouse_advice()}。"
        )


class OutdatedDataError(UserFacingError):
    """What is published lacks tables this version of the app reads: an older version made it."""

    def __init__(self, what: str, missing: list[str], fix: str):
        self.missing = missing
        super().__init__(f"错误：{what}由旧版本生成，缺少 {'、'.join(missing)}，页面无法显示。{fix}")


def _check_tables(tables, what: str, fix: str) -> None:
    """Raise :class:`OutdatedDataError` when ``tables`` (the names published) lack one readers need."""
    from etl.publish import READER_TABLES  # imported here: only a new warehouse or snapshot needs it

    missing = [name for name in READER_TABLES if name not in tables]
    if missing:
        raise OutdatedDataError(what, missing, fix)


def _check_columns(have: Mapping[str, Any], what: str, fix: str) -> None:
    """Raise :class:`OutdatedDataError` when a table readers need lacks a column this version reads (a
    warehouse, snapshot or ClickHouse database an older version made; ``etl refresh`` adds and fills it).
    ``have`` maps each table published to its column names; tables it lacks are ``_check_tables``' job."""
    from etl.publish import READER_TABLES
    from etl.warehouse import expected_columns

    expected = expected_columns()
    missing = [f"{table}.{column}" for table in READER_TABLES if table in expected and table in have
               for column in expected[table] if column not in set(have[table])]
    if missing:
        raise OutdatedDataError(what, missing, fix)


def _warehouse_columns(connection) -> dict[str, set[str]]:
    have: dict[str, set[str]] = {}
    for table, column in connection.execute(
            f"select table_name, column_name from information_schema.columns where table_catalog = '{CATALOG}'").fetchall():
        have.setdefault(table, set()).add(column)
    return have


def _snapshot_columns(snapshot) -> dict[str, list[str]]:
    """Column names of the snapshot's tables that have a schema in ``schema.sql`` (the tickets), read from
    the first Parquet file's footer (every file of a table is written by one COPY, with one schema)."""
    import pyarrow.parquet as pq

    from etl.warehouse import expected_columns

    have = {}
    for name in expected_columns().keys() & snapshot.tables.keys():
        files = sorted(snapshot.path.glob(snapshot.tables[name]["path"]))
        if files:
            have[name] = pq.read_schema(files[0]).names
    return have


@dataclass(frozen=True)
class _Published:
    """What readers read now: the warehouse file, a snapshot, or a ClickHouse database."""

    source: str
    identity: tuple
    connection: duckdb.DuckDBPyConnection | None = None
    backend: Any = None  # an onescreen.engine.Backend when a ClickHouse engine answers
    checked: float = 0.0  # when a ClickHouse reader last read the live pointer (time.monotonic)

    @property
    def version(self) -> str:
        return "-".join(str(part) for part in self.identity[1:])


_lock = threading.Lock()
_published: _Published | None = None
# The published state a page run started with (see pin): every query of one run reads the same one.
_run = threading.local()
# How long a ClickHouse reader trusts the live-snapshot pointer it read (seconds).
POINTER_TTL = 5.0


def _identity(path: Path) -> tuple[int, int, int, int]:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise WarehouseMissingError(path) from None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"attach '{_sql_string(str(path))}' as {CATALOG} (read_only)")
    return con


def _sql_string(value: str) -> str:
    # ATTACH takes no bound parameters; the path comes from settings, not from a user.
    return value.replace("'", "''")


def _open_snapshot(snapshot) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose views read one snapshot's Parquet files under the logical names."""
    con = duckdb.connect(":memory:")
    for name, info in snapshot.tables.items():
        path = _sql_string(str(snapshot.path / info["path"]))
        con.execute(f"create view {name} as select * from read_parquet('{path}', hive_partitioning = false)")
    return con


def _live_snapshot(folder: Path):
    from etl import publish  # imported here: only snapshot readers need it

    snapshot = publish.current(folder)
    if snapshot is None:
        raise WarehouseMissingError(folder / publish.POINTER)
    return snapshot


def _check_snapshot(snapshot) -> None:
    what, fix = f"当前快照 {snapshot.id} ", "请在数据服务器上运行 `python -m etl refresh`，再运行 `python -m etl publish` 重新发布快照。"
    _check_tables(snapshot.tables, what, fix)
    _check_columns(_snapshot_columns(snapshot), what, fix)


def _current() -> _Published:
    """What is published now, reopened when it changed (a replaced file, a new snapshot)."""
    global _published
    engine_name = settings.engine()
    if engine_name == "clickhouse":
        return _current_clickhouse()
    folder = settings.snapshot_dir()
    if folder is not None:
        snapshot = _live_snapshot(folder)
        identity = (str(folder), engine_name, snapshot.id)
        with _lock:
            current = _published
            if current is None or current.identity != identity:
                _check_snapshot(snapshot)  # once per snapshot: it reads the tickets' Parquet footer
                if engine_name == "chdb":
                    from onescreen.engine import ChdbBackend

                    backend = ChdbBackend(snapshot.id, snapshot.path,
                                          {n: info["path"] for n, info in snapshot.tables.items()})
                    current = _Published(str(folder), identity, backend=backend)
                    _retire_chdb(backend)
                else:
                    current = _Published(str(folder), identity, connection=_open_snapshot(snapshot))
                _published = current
            return current
    if engine_name == "chdb":
        raise ValueError("错误：ONESCREEN_ENGINE=chdb 读已发布的快照：请设置 ONESCREEN_SNAPSHOTS 并运行 python -m etl publish。")
    path = settings.warehouse_path()
    # Stat before attaching: if a swap happens in between, the recorded identity is the old one
    # and the next call reopens, instead of keeping stale data under a fresh identity.
    identity = (str(path), *_identity(path)[1:])
    with _lock:
        current = _published
        if current is None or current.identity != identity:
            # The previous connection is dropped, not closed: closing it would break cursors
            # still reading from it. DuckDB releases the old file when the last one is gone.
            connection = _open(path)
            tables = {name for (name,) in connection.execute(
                f"select table_name from duckdb_tables() where database_name = '{CATALOG}'").fetchall()}
            if "mart_meta" in tables:  # none at all: nothing loaded yet, which the pages' empty state explains
                fix = "请用 `make run` 启动（启动前会重建汇总表），或运行 `python -m etl refresh`。"
                _check_tables(tables, f"数据仓库 {path} ", fix)
                _check_columns(_warehouse_columns(connection), f"数据仓库 {path} ", fix)
            current = _Published(str(path), identity, connection=connection)
            _published = current
        return current


_chdb_backends: list = []


def _retire_chdb(backend) -> None:
    """Keep chdb copies of the live and the previous snapshot (a pinned run may still read it)."""
    _chdb_backends.append(backend)
    while len(_chdb_backends) > 2:
        _chdb_backends.pop(0).drop()


def _current_clickhouse() -> _Published:
    global _published
    url = settings.clickhouse_url()
    with _lock:
        current = _published
        if current is not None and current.source == url and time.monotonic() - current.checked < POINTER_TTL:
            return current
    from onescreen import engine  # imported here: only a ClickHouse deployment needs it

    live = engine.live(url)
    if live is None:  # named by host only: the URL may carry a password
        raise WarehouseMissingError(Path(urllib.parse.urlsplit(url).hostname or "clickhouse"))
    with _lock:
        current = _published
        if current is None or current.source != url or current.identity[1] != live.database:
            what = f"ClickHouse 上的快照 {live.snapshot_id} "
            fix = "请在数据服务器上运行 `python -m etl refresh`，再运行 `python -m etl publish --clickhouse …` 重新发布。"
            _check_tables(set(live.table_names), what, fix)
            _check_columns(live.columns(), what, fix)
            current = _Published(url, (url, live.database), backend=live.backend(), checked=time.monotonic())
        else:  # same snapshot: only the time it was checked changes
            current = _Published(url, current.identity, backend=current.backend, checked=time.monotonic())
        _published = current
        return current


def pin() -> None:
    """Read what is published now for the rest of this page run (``app.py`` calls it first).

    A load or publish that lands in the middle of a run is picked up by the next run, so one screen
    never shows numbers from two snapshots. Outside a page run nothing is pinned.
    """
    try:
        _run.published = _current()
    except Exception:  # nothing published yet, or the engine is unreachable: the page's own error
        _run.published = None  # handling reports it (with an incident id) when it reads


def unpin() -> None:
    _run.published = None


def _reader() -> _Published:
    pinned = getattr(_run, "published", None)
    return pinned if pinned is not None else _current()


def connect():
    """A new read-only cursor on what is published, for one query or one page run.

    Use it as a context manager (``with db.connect() as cur: ...``) so it is closed after use.
    Unqualified table names resolve to the warehouse (or the snapshot). Raises
    :class:`WarehouseMissingError` (a ``FileNotFoundError`` with a Chinese message) when nothing is
    published yet. With a ClickHouse engine the cursor is an ``onescreen.engine.ClickHouseCursor``.
    """
    published = _reader()
    if published.backend is not None:
        from onescreen.engine import ClickHouseCursor

        return ClickHouseCursor(published.backend)
    with _lock:
        cur = published.connection.cursor()
    if settings.snapshot_dir() is None:
        cur.execute(f"use {CATALOG}")
    return cur


def warehouse_exists() -> bool:
    """Whether the published warehouse file exists (the file loads write, whatever readers read)."""
    return settings.warehouse_path().is_file()


def warehouse_version() -> str:
    """A short token that changes whenever a new warehouse is published.

    Pass it to ``st.cache_data`` functions as an argument so cached results expire with a load.
    """
    return _reader().version


def query_df(
    sql_or_name: str, params: Sequence[Any] | Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Run one query on its own cursor and return the (small) result as a DataFrame.

    A bare name (``"grid_lights"``) is a named query from the registry,
    :func:`onescreen.queries.run_query`, with ``params`` as a mapping of its parameters. Anything
    else is SQL, with values bound as parameters (``?`` with a sequence, ``$name`` with a mapping),
    never formatted into it. Aggregate in SQL: the result is meant to be hundreds of rows.
    """
    with connect() as cur:
        if _NAME.match(sql_or_name):
            from onescreen import queries  # imported here: the registry builds on this module

            if params is not None and not isinstance(params, Mapping):
                raise TypeError(f"named query {sql_or_name!r} takes its parameters as a mapping")
            return queries.run_query(cur, sql_or_name, **dict(params or {}))
        return cur.execute(sql_or_name, params if params is not None else []).df()


def reset() -> None:
    """Forget the cached connection (tests; or to release the file in a long-lived process)."""
    global _published
    with _lock:
        _published = None
    unpin()
