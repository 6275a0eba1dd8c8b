"""Run the named queries on ClickHouse: in-process (chdb) or on a server, from the same SQL.

The metric SQL in ``onescreen/queries`` is written once, in DuckDB's dialect, against logical table
names (``fct_tickets``, ``mart_rates``...). For ClickHouse, :func:`to_clickhouse` parses it with
sqlglot, binds the parameters as literals (sqlglot quotes them), points the logical names at the
live snapshot's tables and applies :data:`REWRITES`: the few places where sqlglot's translation is
not what the metrics need. Each rewrite is tested on its own (tests/test_engine.py) and the whole
set is proved by ``make parity``, which runs every named query on DuckDB and on chdb over the same
Parquet snapshot and compares the results.

:class:`ClickHouseCursor` is the part of a DuckDB cursor ``onescreen.queries`` uses (``execute``,
``df``, ``fetchall``), so pages do not know which engine answered.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import sqlglot
from sqlglot import exp

# Settings every ClickHouse query runs with, for SQL semantics the metrics rely on.
SETTINGS = {
    # An outer join's missing side is NULL (ClickHouse's default is the type's default: 0, '').
    "join_use_nulls": 1,
    # Timestamps in the snapshot are Beijing wall-clock times without a zone: never shift them.
    "session_timezone": "UTC",
    # sum/avg/max of no rows is NULL, as in SQL (ClickHouse's default is 0).
    "aggregate_functions_null_for_empty": 1,
    # NULL IN (..., NULL) and NULL = NULL in IN lists behave as in SQL.
    "transform_null_in": 0,
    # A name in WHERE/HAVING/GROUP BY means the column, not a SELECT alias of the same name (as in SQL).
    "prefer_column_name_to_alias": 1,
    # A union of Int64 and Float64 columns is Float64, as in DuckDB (not a Variant).
    "use_variant_as_common_type": 0,
    # Month pruning over a snapshot's month=YYYY-MM folders.
    "use_hive_partitioning": 1,
}


class EngineError(RuntimeError):
    """A query the ClickHouse engine could not run (the message names the query text's problem)."""


class MissingTableError(EngineError):
    """A logical table the query reads is not in the snapshot (nothing loaded yet)."""


# --- SQL translation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rewrite:
    """One difference between DuckDB and ClickHouse that sqlglot's output gets wrong for us."""

    name: str
    why: str
    apply: Callable[[exp.Expression], exp.Expression]


def _median_exact(tree: exp.Expression) -> exp.Expression:
    # sqlglot writes median(x) as ClickHouse's median(x), which is approximate (a sample quantile).
    def rewrite(node):
        if isinstance(node, exp.Median):
            return exp.Anonymous(this="quantileExactInclusive(0.5)", expressions=[node.this])
        return node
    return tree.transform(rewrite)


def _quantile_exact(tree: exp.Expression) -> exp.Expression:
    # quantile_cont(x, q) comes out as PERCENTILE_CONT(x, q), which ClickHouse does not have.
    def rewrite(node):
        if isinstance(node, exp.PercentileCont) or (isinstance(node, exp.Quantile)):
            quantile = node.args.get("expression") or node.args.get("quantile")
            return exp.Anonymous(this=f"quantileExactInclusive({quantile.sql()})", expressions=[node.this])
        return node
    return tree.transform(rewrite)


def _series_table(tree: exp.Expression) -> exp.Expression:
    # range(a, b) / generate_series(a, b) AS t(col) in FROM: sqlglot keeps the call (and drops
    # range's exclusive end); ClickHouse has numbers(start, count) and no column alias lists.
    def rewrite(node):
        if isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries):
            series = node.this
            try:
                start, end = int(series.args["start"].this), int(series.args["end"].this)
            except (AttributeError, KeyError, TypeError, ValueError):
                raise EngineError(f"只支持常数范围的 range/generate_series：{node.sql()}") from None
            count = end - start + (0 if series.args.get("is_end_exclusive") else 1)
            alias = node.args.get("alias")
            columns = alias.columns if alias else []
            # Without an alias list DuckDB names the column after the function: range or generate_series.
            column = columns[0].name if columns else ("range" if series.args.get("is_end_exclusive") else "generate_series")
            query = sqlglot.parse_one(f"SELECT number AS {column} FROM numbers({start}, {max(count, 0)})",
                                      read="clickhouse")
            name = alias.name if alias and alias.name else column
            return exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(name)))
        return node
    return tree.transform(rewrite)


def _name_qualified_columns(tree: exp.Expression) -> exp.Expression:
    # SELECT t.x names its column "t.x" in ClickHouse and "x" in DuckDB: give it its name as an alias.
    for select in tree.find_all(exp.Select):
        named, names = [], [e.alias_or_name for e in select.expressions]
        for column in select.expressions:
            if isinstance(column, exp.Column) and column.table and not isinstance(column.this, exp.Star) \
                    and names.count(column.name) == 1:  # a repeated name is a union branch's, unnamed anyway
                column = exp.alias_(column.copy(), column.name)
            named.append(column)
        select.set("expressions", named)
    return tree


_JSON_TYPES = {'["VARCHAR"]': "Array(String)", '["BIGINT"]': "Array(Int64)", '["DOUBLE"]': "Array(Float64)",
               '"VARCHAR"': "String", '"BIGINT"': "Int64", '"DOUBLE"': "Float64"}


def _from_json(tree: exp.Expression) -> exp.Expression:
    # DuckDB's from_json(json, '["VARCHAR"]') is ClickHouse's JSONExtract(json, 'Array(String)').
    def rewrite(node):
        if isinstance(node, exp.FromJson):
            value, shape = node.this, node.expression
            if not isinstance(shape, exp.Literal) or shape.this not in _JSON_TYPES:
                raise EngineError(f"from_json 的类型 {shape.sql()} 还没有对应的 ClickHouse 类型。")
            # A Nullable text (a column loaded from Parquet) cannot hold an Array: read NULL as '' (no
            # elements; DuckDB's from_json(NULL) is NULL, which unnest also turns into no rows).
            value = exp.Anonymous(this="assumeNotNull", expressions=[value])
            return exp.Anonymous(this="JSONExtract", expressions=[value, exp.Literal.string(_JSON_TYPES[shape.this])])
        return node
    return tree.transform(rewrite)


def _signed_counts(tree: exp.Expression) -> exp.Expression:
    # count() is UInt64 in ClickHouse and BIGINT in DuckDB; a union of a count and a bigint has no
    # common type there. Cast every count (or its window) to a signed 64-bit integer.
    for count in list(tree.find_all(exp.Count)):
        target = count
        while isinstance(target.parent, (exp.Filter, exp.Window)):  # count(*) filter (...) over (...)
            target = target.parent
        target.replace(exp.cast(target.copy(), exp.DataType.build("bigint")))
    return tree


def _cte_materialization(tree: exp.Expression) -> exp.Expression:
    # DuckDB's "WITH x AS NOT MATERIALIZED (...)" (a hint: inline it at each use) is not ClickHouse
    # syntax; ClickHouse inlines every CTE anyway.
    for cte in tree.find_all(exp.CTE):
        cte.set("materialized", None)
    return tree


REWRITES: tuple[Rewrite, ...] = (
    Rewrite("median_exact", "ClickHouse 的 median 是近似值；用 quantileExactInclusive(0.5) 与 DuckDB 一致。", _median_exact),
    Rewrite("quantile_exact", "quantile_cont 译成 ClickHouse 没有的 PERCENTILE_CONT；用 quantileExactInclusive。",
            _quantile_exact),
    Rewrite("series_table", "FROM range(a, b) AS t(c)：ClickHouse 用 numbers(起点, 个数)，不支持列别名表。", _series_table),
    Rewrite("name_qualified_columns", "SELECT t.x 在 ClickHouse 中列名为 t.x：补上别名 x。", _name_qualified_columns),
    Rewrite("signed_counts", "count() 在 ClickHouse 是无符号整数：转为有符号 64 位整数，与 DuckDB 一致。", _signed_counts),
    Rewrite("from_json", "from_json(json, '[\"VARCHAR\"]') 译为 JSONExtract(json, 'Array(String)')。", _from_json),
    Rewrite("cte_materialization", "WITH x AS [NOT] MATERIALIZED 不是 ClickHouse 语法（它总是内联 CTE）：去掉提示。",
            _cte_materialization),
)


def _literal(value: Any) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "timestamp")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "date")
    if isinstance(value, (list, tuple)):  # a list parameter (the marts' property categories)
        return exp.Array(expressions=[_literal(v) for v in value])
    return exp.Literal.string(str(value))


def to_clickhouse(sql: str | exp.Expression, params: Mapping[str, Any] | Sequence[Any] | None = None,
                  tables: Mapping[str, str] | None = None, extra_rewrites: Sequence[Rewrite] = ()) -> str:
    """``sql`` (DuckDB dialect, ``$name`` or ``?`` parameters) as ClickHouse SQL with the values bound.

    ``tables`` maps logical table names to what to read instead (a qualified table name).
    ``extra_rewrites`` run before :data:`REWRITES` (the mart builder's, ``etl.engine_marts``); ``sql``
    may also be an already parsed statement (it is copied, not changed).
    """
    if isinstance(sql, exp.Expression):
        tree = sql.copy()
    else:
        try:
            tree = sqlglot.parse_one(sql, read="duckdb")
        except sqlglot.errors.ParseError as exc:
            raise EngineError(f"SQL 无法解析：{exc}") from exc
    positional = list(params) if params is not None and not isinstance(params, Mapping) else None
    named = params if isinstance(params, Mapping) else {}
    position = iter(positional or [])

    def bind(node):
        if isinstance(node, exp.Placeholder):
            if node.name and node.name != "?":
                if node.name not in named:
                    raise EngineError(f"SQL 用到参数 ${node.name}，但没有给出它的值。")
                return _literal(named[node.name])
            try:
                return _literal(next(position))
            except StopIteration:
                raise EngineError("SQL 的 ? 参数比给出的值多。") from None
        return node

    tree = tree.transform(bind)
    if tables:
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}

        def qualify(node):
            if isinstance(node, exp.Table) and not node.args.get("db") and node.name in tables \
                    and node.name not in ctes:
                target = exp.to_table(tables[node.name])
                target.set("alias", node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name)))
                return target
            return node
        tree = tree.transform(qualify)
    for rewrite in (*extra_rewrites, *REWRITES):
        tree = rewrite.apply(tree)
    return tree.sql(dialect="clickhouse")


# --- results -----------------------------------------------------------------------------------


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow result as DuckDB's ``.df()`` would give it: signed integers, naive timestamps."""
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        kind = column.type
        if pa.types.is_unsigned_integer(kind):
            column = column.cast(pa.int64())
        elif pa.types.is_timestamp(kind) and kind.tz is not None:
            column = column.cast(pa.timestamp(kind.unit, tz="UTC")).cast(pa.timestamp(kind.unit))
        elif pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
        columns[name] = column
    frame = pa.table(columns).to_pandas() if columns else pd.DataFrame()
    if not columns:
        return frame
    return frame


class _Result:
    def __init__(self, table: pa.Table):
        self.table = table

    def df(self) -> pd.DataFrame:
        return to_pandas(self.table)

    def fetchall(self) -> list[tuple]:
        frame = self.table.to_pylist()
        return [tuple(row.values()) for row in frame]

    def fetchone(self) -> tuple | None:
        rows = self.fetchall()
        return rows[0] if rows else None


class ClickHouseCursor:
    """What ``onescreen.queries`` needs of a cursor, answered by a ClickHouse backend."""

    def __init__(self, backend: "Backend"):
        self.backend = backend
        self.denied: set[str] = set()
        self._result: _Result | None = None

    def deny(self, table: str) -> None:
        """Refuse any later query that reads ``table`` (the kiosk tier's ``ticket_pii``)."""
        self.denied.add(table)

    def execute(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> _Result:
        if self.denied:
            read = {t.name for t in sqlglot.parse_one(sql, read="duckdb").find_all(exp.Table)}
            if read & self.denied:
                raise EngineError(f"{'、'.join(sorted(read & self.denied))} is not available at this tier")
        text = to_clickhouse(sql, params, tables=self.backend.tables())
        self._result = _Result(self.backend.query(text))
        return self._result

    def df(self) -> pd.DataFrame:
        return self._result.df()

    def fetchall(self) -> list[tuple]:
        return self._result.fetchall()

    def close(self) -> None:
        self._result = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_MISSING = re.compile(r"UNKNOWN_TABLE|Unknown table|doesn't exist|CANNOT_EXTRACT_TABLE_STRUCTURE", re.I)


class Backend:
    """A ClickHouse that answers queries with Arrow tables; ``tables()`` maps logical names."""

    def tables(self) -> dict[str, str]:
        raise NotImplementedError

    def query(self, sql: str) -> pa.Table:
        raise NotImplementedError


# How ClickHouse tables are sorted (their primary index). ClickHouse inlines a CTE at every use
# instead of computing it once as DuckDB does, so kpi_tiles reads its unit's mart_rates rows several
# times: sorted by unit and period, each read touches a few granules instead of the whole table.
SORT_KEYS = {
    "fct_tickets": "(received_at, ticket_id)",
    "mart_rates": "(period_type, level, unit_code, period_start)",
    "mart_grid_lights": "(period_type, period_start, grid_code)",
    "mart_company_rankings": "(month_start, company_id)",
    "mart_open_tickets": "(received_at, ticket_id)",
    "mart_derived_deadlines": "(received_at, ticket_id)",
    "mart_repeat_requests": "(received_at, ticket_id)",
}
# Tables read straight from the snapshot's Parquet files by chdb (large; a query filters them by time).
CHDB_FILE_TABLES = ("fct_tickets", "ticket_pii")


class ChdbBackend(Backend):
    """ClickHouse's engine in this process (chdb), reading one snapshot.

    The tickets (and their personal fields) are read from the snapshot's Parquet files; the marts
    and dimensions are copied into in-memory MergeTree tables sorted by :data:`SORT_KEYS` when the
    snapshot is first opened. chdb runs one engine per process, so queries take turns; each snapshot
    gets its own database, so a query never reads two.
    """

    _lock = threading.Lock()
    _session = None

    def __init__(self, snapshot_id: str, folder: Path, table_paths: Mapping[str, str]):
        self.database = "s_" + re.sub(r"[^0-9A-Za-z]", "_", snapshot_id)
        self.folder = folder
        self.table_paths = dict(table_paths)
        with self._lock:
            session = self._get_session()
            session.query(f"CREATE DATABASE IF NOT EXISTS {self.database}")
            for name, relative in self.table_paths.items():
                path = str(folder / relative).replace("'", "\\'")
                source = f"SELECT * FROM file('{path}', Parquet)"
                if name in CHDB_FILE_TABLES:
                    session.query(f"CREATE OR REPLACE VIEW {self.database}.{name} AS {source}")
                else:
                    session.query(f"CREATE OR REPLACE TABLE {self.database}.{name} ENGINE = MergeTree "
                                  f"ORDER BY {SORT_KEYS.get(name, 'tuple()')} SETTINGS allow_nullable_key = 1 "
                                  f"AS {source}")

    @classmethod
    def _get_session(cls):
        if cls._session is None:
            from chdb import session  # imported here: only a chdb deployment needs the package

            cls._session = session.Session()
        return cls._session

    def tables(self) -> dict[str, str]:
        return {name: f"{self.database}.{name}" for name in self.table_paths}

    def query(self, sql: str) -> pa.Table:
        settings = ", ".join(f"{k} = {_setting(v)}" for k, v in SETTINGS.items())
        with self._lock:
            try:
                return self._get_session().query(f"{sql} SETTINGS {settings}", "ArrowTable")
            except Exception as exc:  # chdb raises its own error types; keep the text
                raise (MissingTableError if _MISSING.search(str(exc)) else EngineError)(str(exc)) from None

    def drop(self) -> None:
        with self._lock:
            self._get_session().query(f"DROP DATABASE IF EXISTS {self.database}")


class HttpBackend(Backend):
    """A ClickHouse server through its HTTP interface: the SQL goes in the body, Arrow comes back.

    ``url`` is ``http(s)://user:password@host:8123/?database=onescreen``; the live snapshot's tables
    are the ones named in that database's ``onescreen_live`` view set (``etl.publish_clickhouse``).
    """

    def __init__(self, url: str, database: str, table_names: Sequence[str], timeout: float = 60):
        parts = urllib.parse.urlsplit(url)
        self.user = urllib.parse.unquote(parts.username or "default")
        self.password = urllib.parse.unquote(parts.password or "")
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.endpoint = urllib.parse.urlunsplit((parts.scheme or "http", host, parts.path or "/", "", ""))
        self.database = database
        self.table_names = tuple(table_names)
        self.timeout = timeout

    def tables(self) -> dict[str, str]:
        return {name: f"{self.database}.{name}" for name in self.table_names}

    def query(self, sql: str) -> pa.Table:
        body = self.raw(f"{sql} FORMAT ArrowStream", settings=SETTINGS)
        if not body:
            return pa.table({})
        return pa.ipc.open_stream(body).read_all()

    def raw(self, sql: str, settings: Mapping[str, Any] | None = None, data: bytes | None = None) -> bytes:
        """POST one statement (``data`` goes after it, e.g. for ``INSERT ... FORMAT Parquet``)."""
        query = {k: str(v) for k, v in (settings or {}).items()}
        if data is not None:
            query["query"] = sql
            body = data
        else:
            body = sql.encode("utf-8")
        request = urllib.request.Request(self.endpoint + "?" + urllib.parse.urlencode(query), data=body,
                                         method="POST")
        request.add_header("X-ClickHouse-User", self.user)
        if self.password:
            request.add_header("X-ClickHouse-Key", self.password)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            raise (MissingTableError if _MISSING.search(text) else EngineError)(text.strip()) from None
        except OSError as exc:
            raise EngineError(f"无法连接 ClickHouse 服务器 {self.endpoint}：{exc}") from None


def _setting(value: Any) -> str:
    return str(value) if isinstance(value, (int, float)) else "'" + str(value).replace("'", "\\'") + "'"


# --- a ClickHouse server: the live-snapshot pointer ------------------------------------------------

POINTER_TABLE = "onescreen_live"


@dataclass(frozen=True)
class Live:
    """The snapshot a ClickHouse server serves now: its database and tables."""

    url: str
    meta_database: str
    database: str
    snapshot_id: str
    table_names: tuple[str, ...]

    def backend(self) -> HttpBackend:
        return HttpBackend(self.url, self.database, self.table_names)

    def columns(self) -> dict[str, list[str]]:
        """Each table's column names (to refuse a database an older version published)."""
        rows = HttpBackend(self.url, self.meta_database, ()).query(
            f"SELECT table, name FROM system.columns WHERE database = '{self.database}' ORDER BY table, position")
        have: dict[str, list[str]] = {}
        for table, name in zip(rows.column("table").to_pylist(), rows.column("name").to_pylist()):
            have.setdefault(table, []).append(name)
        return have


def meta_database(url: str) -> str:
    """The database named in the URL (``?database=onescreen``), where the pointer table lives."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    name = (query.get("database") or ["onescreen"])[0]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise EngineError(f"ClickHouse 数据库名只能含字母、数字和下划线：{name!r}")
    return name


def live(url: str) -> Live | None:
    """The live snapshot on the server at ``url``, or None when nothing was published there."""
    meta = meta_database(url)
    server = HttpBackend(url, meta, ())
    try:
        rows = server.query(f"SELECT snapshot_id, database FROM {meta}.{POINTER_TABLE} "
                            "ORDER BY published_at DESC LIMIT 1").to_pylist()
    except MissingTableError:
        return None
    if not rows:
        return None
    database = rows[0]["database"]
    tables = server.query(f"SELECT name FROM system.tables WHERE database = '{database}' ORDER BY name")
    return Live(url, meta, database, rows[0]["snapshot_id"], tuple(tables.column("name").to_pylist()))
