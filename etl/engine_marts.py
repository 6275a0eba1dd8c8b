"""Build the metric marts inside ClickHouse, from the same SQL files DuckDB builds them from.

    from etl.engine_marts import build_marts_in_engine
    counts = build_marts_in_engine(backend, load_rules())   # {mart: rows}, as etl.marts.build_marts

``backend`` is an ``onescreen.engine`` backend whose ``tables()`` hold ``fct_tickets``, the ``dim_*``
tables and ``fct_inspections``: chdb over a snapshot's Parquet files (``ChdbBackend``) or a server
(``HttpBackend``, as ``etl.publish.publish_clickhouse(..., marts_in_engine=True)`` uses it). The marts
are created in ``database`` (default: the backend's own) as MergeTree tables sorted by their keys.

Each step of :data:`etl.marts.STEPS` is read from ``etl/sql/marts/<step>.sql`` (DuckDB dialect),
its ``create ... as`` query translated by ``onescreen.engine.to_clickhouse`` with the rule values bound
as literals, plus :data:`MART_REWRITES`: the DuckDB constructs only the mart SQL uses (``columns()``,
``union all by name``, ``format``, ``concat_ws``, date series...). The temporary tables (``tmp_*``)
become ordinary ones in a scratch database, dropped at the end; so does the view ``int_ticket_facts``,
stored as a table there (ClickHouse would recompute it at every use). The
same contract checks as DuckDB's (``etl.marts.check_marts``) run in the engine and raise
:class:`etl.marts.MartsError`. ``tests/test_engine_marts.py`` proves the marts equal DuckDB's.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from datetime import datetime

import pyarrow as pa
import sqlglot
from sqlglot import exp

from etl.marts import KEYS, MARTS, SQL_DIR, STEPS, MartsError, _COMMENT, check_marts, sql_params
from onescreen.engine import (SETTINGS, SORT_KEYS, Backend, ChdbBackend, ClickHouseCursor, EngineError, Rewrite,
                              _literal, _setting, to_clickhouse)
from onescreen.rules import Rules

# What DuckDB keeps temporary (tables and the int_ticket_facts view): here tables in a scratch database.
SCRATCH = ("tmp_rules", "tmp_as_of", "tmp_deadline_rules", "int_ticket_facts")


# --- rewrites only the mart SQL needs ------------------------------------------------------------


def _star(node: exp.Expression) -> exp.Star | None:
    if isinstance(node, exp.Star):
        return node
    if isinstance(node, exp.Column) and isinstance(node.this, exp.Star):
        return node.this
    return None


def _sources(select: exp.Select) -> dict[str, str]:
    """Alias -> table (``db.name`` once qualified) or CTE name of each table a SELECT reads."""
    tables = [select.args["from_"].this] if select.args.get("from_") else []
    tables += [join.this for join in select.args.get("joins") or []]
    return {t.alias_or_name: f"{t.db}.{t.name}" if t.db else t.name for t in tables if isinstance(t, exp.Table)}


def _star_columns(select: exp.Select, node: exp.Expression, known: Mapping[str, list[str] | None]) -> list[str] | None:
    sources = _sources(select)
    if isinstance(node, exp.Column) and node.table:
        source = sources.get(node.table)
    elif len(sources) == 1 and not select.args.get("joins"):
        source = next(iter(sources.values()))
    else:
        return None
    columns = known.get(source)
    if columns is None:
        return None
    excluded = {c.name for c in _star(node).args.get("except_") or []}
    return [c for c in columns if c not in excluded]


def _branches(query: exp.Expression) -> list[exp.Select]:
    """The SELECTs of a chain of UNION ALL BY NAME, in order."""
    if isinstance(query, exp.Union) and query.args.get("by_name"):
        return _branches(query.this) + _branches(query.expression)
    return [query]


def _columns_of(query: exp.Expression, known: Mapping[str, list[str] | None]) -> list[str] | None:
    """Output column names of a query, or None when a star reads something not known."""
    if isinstance(query, exp.Subquery):
        return _columns_of(query.this, known)
    if isinstance(query, exp.Union):
        if not query.args.get("by_name"):
            return _columns_of(query.this, known)
        names: list[str] = []
        for branch in _branches(query):
            columns = _columns_of(branch, known)
            if columns is None:
                return None
            names += [c for c in columns if c not in names]
        return names
    if not isinstance(query, exp.Select):
        return None
    names = []
    for projection in query.expressions:
        if _star(projection) is not None:
            columns = _star_columns(query, projection, known)
            if columns is None:
                return None
            names += columns
        else:
            names.append(projection.alias_or_name)
    return names


def _each_cte_then_main(tree: exp.Expression, rewrite, schema: Mapping[str, list[str]] | None = None):
    # CTEs in order, each knowing the output columns of the tables and of the CTEs before it; then the
    # main query.
    known: dict[str, list[str] | None] = dict(schema or {})
    for cte in tree.ctes if isinstance(tree, exp.Query) else []:
        rewrite(cte.this, known)
        known[cte.alias_or_name] = _columns_of(cte.this, known)
    rewrite(tree, known)
    return tree


def _expand_qualified_stars(tree: exp.Expression, schema: Mapping[str, list[str]]) -> exp.Expression:
    # SELECT t.*, ... FROM t JOIN u: ClickHouse names a column of t that u also has "t.source", not
    # "source". Spell the columns out (t.source AS source) from the tables' and CTEs' columns.
    def rewrite(query, known):
        for select in list(query.find_all(exp.Select)):
            if not select.args.get("joins"):
                continue
            spelled = []
            for projection in select.expressions:
                columns = None
                if isinstance(projection, exp.Column) and _star(projection) is not None:
                    columns = _star_columns(select, projection, known)
                if columns is None:
                    spelled.append(projection)
                else:
                    spelled += [exp.alias_(exp.column(c, table=projection.table), c) for c in columns]
            select.set("expressions", spelled)
    return _each_cte_then_main(tree, rewrite, schema)


def _expand_columns(tree: exp.Expression, schema: Mapping[str, list[str]] | None = None) -> exp.Expression:
    # DuckDB's count(columns('^n_(.*)$')) as 'c_\1': one column per matching column of the source,
    # named by the alias with the regex groups filled in (or after the column when unaliased).
    # ClickHouse's COLUMNS() matcher cannot rename, so spell every column out.
    def rewrite(query, known):
        for select in list(query.find_all(exp.Select)):
            if not any(p.find(exp.Columns) for p in select.expressions):
                continue
            columns = _star_columns(select, exp.Star(), known)
            if columns is None:
                raise EngineError(f"columns(...) 只能用于一个列已知的来源：{select.sql(dialect='duckdb')[:200]}")
            expanded = []
            for projection in select.expressions:
                found = projection.find(exp.Columns)
                if found is None:
                    expanded.append(projection)
                    continue
                alias = projection.alias if isinstance(projection, exp.Alias) else None
                inner = projection.this if isinstance(projection, exp.Alias) else projection
                pattern = re.compile(found.this.name)
                for column in columns:
                    match = pattern.search(column)
                    if not match:
                        continue
                    copy = inner.copy()
                    target = copy.find(exp.Columns)
                    if target is copy:
                        copy = exp.column(column)
                    else:
                        target.replace(exp.column(column))
                    expanded.append(exp.alias_(copy, match.expand(alias) if alias else column))
            select.set("expressions", expanded)
    return _each_cte_then_main(tree, rewrite, schema)


def _union_by_name(tree: exp.Expression, schema: Mapping[str, list[str]] | None = None) -> exp.Expression:
    # UNION ALL BY NAME: ClickHouse unions by position. Give every branch the same columns in the same
    # order (the order of first appearance, as DuckDB does), NULL where a branch lacks one.
    def rewrite(query, known):
        for union in list(query.find_all(exp.Union)):
            if not union.args.get("by_name"):
                continue
            branches = _branches(union)
            names = _columns_of(union, known)
            if names is None:
                raise EngineError(f"UNION ALL BY NAME 的列无法确定：{union.sql(dialect='duckdb')[:200]}")
            for branch in branches:
                by_name: dict[str, exp.Expression] = {}
                for projection in branch.expressions:
                    if _star(projection) is not None:
                        table = projection.table if isinstance(projection, exp.Column) else None
                        for column in _star_columns(branch, projection, known):
                            by_name[column] = exp.column(column, table=table)
                    else:
                        by_name[projection.alias_or_name] = projection
                branch.set("expressions", [by_name.get(n) or exp.alias_(exp.Null(), n) for n in names])
            # DuckDB unions BIGINT with DOUBLE as DOUBLE; ClickHouse finds no common type for Int64 and
            # Float64. Where some branches cast a column, cast it the same way in the others.
            for position, name in enumerate(names):
                projections = [branch.expressions[position] for branch in branches]
                casts = {p.unalias().args["to"].sql(dialect="duckdb"): p.unalias().args["to"]
                         for p in projections if isinstance(p.unalias(), exp.Cast)}
                if len(casts) != 1:
                    continue
                to = next(iter(casts.values()))
                for branch, projection in zip(branches, projections):
                    if not isinstance(projection.unalias(), (exp.Cast, exp.Null)):
                        typed = exp.alias_(exp.cast(projection.unalias().copy(), to.copy()), name)
                        branch.expressions[position].replace(typed)
            for node in [union, *union.find_all(exp.Union)]:
                node.set("by_name", None)
    return _each_cte_then_main(tree, rewrite, schema)


def _ch(template: str, **parts: exp.Expression) -> exp.Expression:
    """A ClickHouse expression from a template whose ``__name`` columns are replaced by ``parts``."""
    tree = sqlglot.parse_one(template, read="clickhouse")
    return tree.transform(lambda n: parts[n.name[2:]].copy()
                          if isinstance(n, exp.Column) and n.name.startswith("__") else n)


def _date_series(tree: exp.Expression) -> exp.Expression:
    # generate_series(first_date, last_date, interval 1 month) in a SELECT list: ClickHouse has no
    # generate_series; build the dates with dateAdd over range(count), dropping any past the end.
    def rewrite(node):
        if isinstance(node, exp.GenerateSeries) and not isinstance(node.parent, exp.Table):
            step = node.args.get("step")
            unit = step.args.get("unit").name.lower() if isinstance(step, exp.Interval) else ""
            if unit not in ("day", "week", "month", "year") or not step.this.name.isdigit():
                raise EngineError(f"只支持按天、周、月、年的常数步长日期序列：{node.sql(dialect='duckdb')}")
            every = int(step.this.name)
            return _ch(f"arrayFilter(d -> d <= __end, arrayMap(i -> dateAdd({unit}, i * {every}, __start), "
                       f"range(toUInt64(greatest(intDiv(dateDiff('{unit}', __start, __end), {every}) + 1, 0)))))",
                       start=node.args["start"], end=node.args["end"])
        return node
    return tree.transform(rewrite)


_FMT = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|%|[^{}%]+")
_FMT_SPEC = re.compile(r"(?::(\.\d+f|g|d))?")


def _format_printf(tree: exp.Expression) -> exp.Expression:
    # DuckDB's format('{:.1f}%', x) (fmt syntax) is ClickHouse's printf('%.1f%%', x). A literal argument
    # (a bound rule value) is formatted here, by Python's format, which follows the same fmt rules.
    def rewrite(node):
        if not isinstance(node, exp.Format):
            return node
        if not (isinstance(node.this, exp.Literal) and node.this.is_string):
            raise EngineError(f"format 的格式必须是常量：{node.sql(dialect='duckdb')}")
        args, pattern, printf_args = iter(node.expressions), [], []
        for token in _FMT.finditer(node.this.name):
            text, spec = token.group(0), token.group(1)
            if text in ("{{", "}}"):
                pattern.append(text[0])
            elif text == "%":
                pattern.append("%%")
            elif spec is None:
                pattern.append(text)
            else:
                if not _FMT_SPEC.fullmatch(spec):
                    raise EngineError(f"format 的占位符 {{{spec}}} 还没有对应的 printf 写法。")
                arg = next(args)
                if isinstance(arg, exp.Literal) and not arg.is_string:
                    number = float(arg.name) if re.search(r"[.eE]", arg.name) else int(arg.name)
                    pattern.append(format(number, spec[1:]).replace("%", "%%"))
                elif spec:
                    pattern.append("%" + spec[1:])
                    printf_args.append(arg)
                else:
                    pattern.append("%s")
                    printf_args.append(exp.Anonymous(this="toString", expressions=[arg]))
        return exp.Anonymous(this="printf", expressions=[exp.Literal.string("".join(pattern)), *printf_args])
    return tree.transform(rewrite)


def _concat_ws_skips_nulls(tree: exp.Expression) -> exp.Expression:
    # DuckDB's concat_ws skips NULL arguments; sqlglot turns each into '' (which leaves a stray
    # separator) and ClickHouse's concatWithSeparator returns NULL. Join the non-NULL ones.
    def rewrite(node):
        if isinstance(node, exp.ConcatWs):
            separator, *parts = node.expressions
            return _ch("arrayStringConcat(arrayFilter(x -> x IS NOT NULL, __parts), __separator)",
                       parts=exp.Array(expressions=parts), separator=separator)
        return node
    return tree.transform(rewrite)


_INTERVALS = {"to_seconds": "toIntervalSecond", "to_minutes": "toIntervalMinute", "to_hours": "toIntervalHour",
              "to_days": "toIntervalDay", "to_months": "toIntervalMonth"}


def _interval_functions(tree: exp.Expression) -> exp.Expression:
    # to_seconds(n) / to_days(n) make intervals in DuckDB; sqlglot keeps the names, and ClickHouse's
    # TO_DAYS is MySQL's day number. Use toIntervalSecond / toIntervalDay.
    def rewrite(node):
        if isinstance(node, exp.ToDays):
            return exp.Anonymous(this="toIntervalDay", expressions=[node.this])
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in _INTERVALS:
            return exp.Anonymous(this=_INTERVALS[str(node.this).lower()], expressions=node.expressions)
        return node
    return tree.transform(rewrite)


def _signed_ranks(tree: exp.Expression) -> exp.Expression:
    # row_number() and rank() are UInt64 in ClickHouse, BIGINT in DuckDB: differences of ranks
    # (rank_change, run ids) must be able to go negative.
    for window in list(tree.find_all(exp.Window)):
        if isinstance(window.this, (exp.RowNumber, exp.Rank, exp.DenseRank)):
            window.replace(exp.cast(window.copy(), exp.DataType.build("bigint")))
    return tree


def _boolean_columns(tree: exp.Expression) -> exp.Expression:
    # A comparison is UInt8 in ClickHouse and BOOLEAN in DuckDB: store flags (is_overdue...) as Bool,
    # so readers get True/False from either engine.
    for select in tree.find_all(exp.Select):
        typed = []
        for projection in select.expressions:
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            if isinstance(inner, (exp.Predicate, exp.Connector, exp.Not)):
                name = projection.alias_or_name
                projection = exp.alias_(exp.cast(inner.copy(), exp.DataType.build("boolean")), name)
            typed.append(projection)
        select.set("expressions", typed)
    return tree


def _timestamps_in_microseconds(tree: exp.Expression) -> exp.Expression:
    # ::timestamp becomes ClickHouse's DateTime (seconds; Arrow reads it as an integer); DuckDB's
    # TIMESTAMP is microseconds, as the snapshot's DateTime64(6) columns.
    micro = exp.DataType.build("DateTime64(6)", dialect="clickhouse")
    for cast in list(tree.find_all(exp.Cast)):
        if cast.args["to"].this in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ):
            cast.set("to", micro.copy())
    return tree


MART_REWRITES: tuple[Rewrite, ...] = (
    Rewrite("expand_columns", "columns('^n_(.*)$') 按来源的列展开，别名中的 \\1 用匹配组填入。", _expand_columns),
    Rewrite("union_by_name", "UNION ALL BY NAME：各分支按同一列序排列，缺的列补 NULL。", _union_by_name),
    Rewrite("date_series", "generate_series(日期, 日期, interval 1 month)：用 dateAdd 和 range 生成。", _date_series),
    Rewrite("format_printf", "format('{:.1f}', x) 是 fmt 语法：译为 printf('%.1f', x)。", _format_printf),
    Rewrite("concat_ws_skips_nulls", "concat_ws 跳过 NULL：只连接非空的部分。", _concat_ws_skips_nulls),
    Rewrite("interval_functions", "to_seconds(n)/to_days(n) 是时间间隔：译为 toIntervalSecond/toIntervalDay。",
            _interval_functions),
    Rewrite("signed_ranks", "row_number()/rank() 在 ClickHouse 是无符号整数：转为有符号 64 位整数。", _signed_ranks),
    Rewrite("timestamps_in_microseconds", "::timestamp 译为 DateTime（秒）：改为 DateTime64(6)，与 DuckDB 一致。",
            _timestamps_in_microseconds),
    Rewrite("boolean_columns", "比较在 ClickHouse 中是 UInt8：输出列转为 Bool，与 DuckDB 一致。", _boolean_columns),
)


# --- running the steps -------------------------------------------------------------------------


class _Tables(Backend):
    """A backend seen with more logical tables: the scratch tables and the marts being built."""

    def __init__(self, backend: Backend, tables: Mapping[str, str]):
        self.backend = backend
        self._tables = dict(tables)

    def tables(self) -> dict[str, str]:
        return self._tables

    def query(self, sql: str) -> pa.Table:
        return self.backend.query(sql)


def execute(backend: Backend, sql: str) -> None:
    """Run one statement that returns nothing (DDL, INSERT) on chdb or on a server."""
    if isinstance(backend, ChdbBackend):
        with backend._lock:
            try:
                backend._get_session().query(sql)
            except Exception as exc:  # chdb raises its own error types; keep the text
                raise EngineError(str(exc)) from None
    else:
        backend.raw(sql)


def _query_settings() -> str:
    return "SETTINGS " + ", ".join(f"{k} = {_setting(v)}" for k, v in SETTINGS.items())


def mart_rewrites(schema: Mapping[str, list[str]]) -> tuple[Rewrite, ...]:
    """:data:`MART_REWRITES` knowing the columns of the tables read (``schema``, by ``db.table``)."""
    columns, by_name = MART_REWRITES[:2]
    return (dataclasses.replace(columns, apply=lambda tree: _expand_columns(tree, schema)),
            dataclasses.replace(by_name, apply=lambda tree: _union_by_name(tree, schema)),
            Rewrite("expand_qualified_stars", "t.* 与其他表联接时 ClickHouse 把重名列命名为 t.x：逐列写出。",
                    lambda tree: _expand_qualified_stars(tree, schema)),
            *MART_REWRITES[2:])


def parse_step(step: str) -> tuple[str, exp.Query]:
    """The kind (``TABLE`` or ``VIEW``) and the query (DuckDB syntax tree) of one mart SQL file."""
    path = SQL_DIR / f"{step}.sql"
    statement = sqlglot.parse_one(_COMMENT.sub("", path.read_text(encoding="utf-8")), read="duckdb")
    if not isinstance(statement, exp.Create) or not isinstance(statement.expression, exp.Query):
        raise MartsError(f"{path.name} 应是一条 create ... as select 语句。")
    return statement.args["kind"].upper(), statement.expression


def split_shared_ctes(query: exp.Query) -> tuple[list[tuple[str, exp.Query]], exp.Query]:
    """The CTEs read more than once, each as its own query, and ``query`` without them.

    DuckDB computes such a CTE once; ClickHouse inlines a CTE at every use (mart_rates would compute
    its per-day sums a dozen times). Each part is ``WITH <the CTEs up to it> SELECT * FROM <it>``, to be
    stored as a table under the CTE's name; a CTE marked ``not materialized`` stays inline.
    """
    query, parts = query.copy(), []
    while True:
        ctes = query.ctes
        main = query.copy()
        main.set("with_", None)
        for position, cte in enumerate(ctes):
            name = cte.alias_or_name
            readers = [c.this for c in ctes[position + 1:]] + [main]
            uses = sum(1 for reader in readers for t in reader.find_all(exp.Table) if t.name == name and not t.db)
            if uses >= 2 and cte.args.get("materialized") is not False:
                break
        else:
            return parts, query
        part = exp.select("*").from_(name)
        part.set("with_", exp.With(expressions=[c.copy() for c in ctes[:position + 1]]))
        parts.append((name, part))
        cte.pop()
        if not query.ctes:
            query.set("with_", None)


def build_marts_in_engine(backend: Backend, rules: Rules, database: str | None = None,
                          built_at: datetime | None = None) -> dict[str, int]:
    """Create the marts with ``rules`` in ``database`` on ``backend``; return each mart's row count.

    ``backend.tables()`` must name ``fct_tickets``, ``dim_*`` and ``fct_inspections``. Existing mart
    tables of the same names in ``database`` are replaced. Raises :class:`MartsError` (Chinese) when
    a step fails or a mart breaks its contract; the marts built so far are dropped then.
    """
    database = database or backend.database
    scratch = f"{database}_marts_scratch"
    tables = _logical_tables(backend, database)
    tables.update({name: f"{scratch}.{name}" for name in SCRATCH})
    cursor = ClickHouseCursor(_Tables(backend, tables))
    if _scalar(cursor, "select count(*) from fct_tickets") and not _scalar(cursor, "select count(*) from dim_calendar"):
        raise MartsError("dim_calendar 为空：请先生成工作日历（etl.calendar.build_calendar），再生成指标。")
    params = sql_params(rules)
    params["built_at"] = built_at or datetime.now().replace(microsecond=0)
    step = "tmp_deadline_rules"
    try:
        execute(backend, f"DROP DATABASE IF EXISTS {scratch}")
        execute(backend, f"CREATE DATABASE {scratch}")
        execute(backend, f"CREATE TABLE {scratch}.tmp_deadline_rules (appeal_type Nullable(String), "
                         "workdays Nullable(Int32)) ENGINE = Memory")
        if rules.deadline_workdays:
            values = ", ".join(exp.Tuple(expressions=[_literal(v) for v in pair]).sql(dialect="clickhouse")
                               for pair in rules.deadline_workdays)
            execute(backend, f"INSERT INTO {scratch}.tmp_deadline_rules VALUES {values}")
        schema = {target: _columns(backend, target) for target in backend.tables().values()}  # by db.table
        for step in STEPS:
            kind, query = parse_step(step)
            step_tables, step_schema = dict(tables), dict(schema)
            parts, query = split_shared_ctes(query)
            for name, part in parts:
                target = f"{scratch}.{step}__{name}"
                _create(backend, target, "MergeTree ORDER BY tuple()",
                        to_clickhouse(part, params, step_tables, mart_rewrites(step_schema)))
                step_tables[name], step_schema[target] = target, _columns(backend, target)
            sql = to_clickhouse(query, params, step_tables, mart_rewrites(step_schema))
            if kind == "VIEW":
                # DuckDB recomputes int_ticket_facts for each mart cheaply; ClickHouse would inline the
                # view at every use (several per mart), so it is computed once, as a table.
                _create(backend, tables[step], "MergeTree ORDER BY tuple()", sql)
            elif step in MARTS:
                order = SORT_KEYS.get(step) or (f"({', '.join(KEYS[step])})" if step in KEYS else "tuple()")
                _create(backend, tables[step], f"MergeTree ORDER BY {order} SETTINGS allow_nullable_key = 1", sql)
            else:
                _create(backend, tables[step], "Memory", sql)
            schema[tables[step]] = _columns(backend, tables[step])
        step = "check"
        check_marts(cursor)  # DuckDB's checks, the same SQL translated; MartsError names table and column
        return {table: _scalar(cursor, f"select count(*) from {table}") for table in MARTS}
    except EngineError as exc:
        _drop_marts(backend, database)
        raise MartsError(f"在 ClickHouse 中生成 {step} 失败：{exc}") from exc
    except BaseException:
        _drop_marts(backend, database)
        raise
    finally:
        try:
            execute(backend, f"DROP DATABASE IF EXISTS {scratch}")
        except EngineError:
            pass  # the server is gone; the caller's error says so already


def _create(backend: Backend, table: str, engine: str, query: str) -> None:
    execute(backend, f"DROP TABLE IF EXISTS {table}")
    execute(backend, f"CREATE TABLE {table} ENGINE = {engine} AS {query} {_query_settings()}")


def check_in_engine(backend: Backend, database: str | None = None) -> None:
    """The contract checks of ``etl.marts.check_marts`` on marts in ``database``; raises MartsError."""
    check_marts(ClickHouseCursor(_Tables(backend, _logical_tables(backend, database or backend.database))))


def _logical_tables(backend: Backend, database: str) -> dict[str, str]:
    tables = dict(backend.tables())
    tables.update({name: f"{database}.{name}" for name in MARTS})
    return tables


def _drop_marts(backend: Backend, database: str) -> None:
    for name in MARTS:
        try:
            execute(backend, f"DROP TABLE IF EXISTS {database}.{name}")
        except EngineError:
            return


def _columns(backend: Backend, table: str) -> list[str]:
    database, name = table.split(".")
    return backend.query(f"SELECT name FROM system.columns WHERE database = '{database}' AND table = '{name}' "
                         "ORDER BY position").column("name").to_pylist()


def _scalar(cursor: ClickHouseCursor, sql: str):
    return cursor.execute(sql).fetchone()[0]
