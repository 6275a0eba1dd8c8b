"""The app's read-only access to the published warehouse.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from onescreen import settings

CATALOG = "wh"

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class WarehouseMissingError(FileNotFoundError):
    """The published warehouse file does not exist."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(
            f"错误：找不到数据仓库 {path}。请先运行 `python -m etl demo` 生成演示数据，"
            "或用 `python -m etl load 文件` 导入导出文件。"
        )


@dataclass(frozen=True)
class _Published:
    path: Path
    identity: tuple[int, int, int, int]
    connection: duckdb.DuckDBPyConnection


_lock = threading.Lock()
_published: _Published | None = None


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


def _current() -> duckdb.DuckDBPyConnection:
    """The connection to the file published now, reopened when the file was replaced."""
    global _published
    path = settings.warehouse_path()
    # Stat before attaching: if a swap happens in between, the recorded identity is the old one
    # and the next call reopens, instead of keeping stale data under a fresh identity.
    identity = _identity(path)
    with _lock:
        current = _published
        if current is None or current.path != path or current.identity != identity:
            # The previous connection is dropped, not closed: closing it would break cursors
            # still reading from it. DuckDB releases the old file when the last one is gone.
            current = _Published(path, identity, _open(path))
            _published = current
        return current.connection


def connect() -> duckdb.DuckDBPyConnection:
    """A new read-only cursor on the published warehouse, for one query or one page run.

    Use it as a context manager (``with db.connect() as cur: ...``) so it is closed after use.
    Unqualified table names resolve to the warehouse. Raises :class:`WarehouseMissingError`
    (a ``FileNotFoundError`` with a Chinese message) when there is no warehouse yet.
    """
    con = _current()
    with _lock:
        cur = con.cursor()
    cur.execute(f"use {CATALOG}")
    return cur


def warehouse_exists() -> bool:
    """Whether the published warehouse file exists."""
    return settings.warehouse_path().is_file()


def warehouse_version() -> str:
    """A short token that changes whenever a new warehouse is published.

    Pass it to ``st.cache_data`` functions as an argument so cached results expire with a load.
    """
    _dev, ino, mtime_ns, size = _identity(settings.warehouse_path())
    return f"{ino}-{mtime_ns}-{size}"


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
