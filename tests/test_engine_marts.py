"""Marts built by ClickHouse itself (``etl.engine_marts``) equal the marts DuckDB builds.

``make parity`` runs this file. The small demo district of tests/test_parity.py is published as a
snapshot; its facts and dimensions are read by DuckDB (``etl.marts.build_marts``) and by chdb
(``build_marts_in_engine``), both build every mart with the same rules and the tables are compared
row by row, sorted by their keys, as tests/test_parity.py compares query results (floats to 12
significant digits). A rule changed on one side only must make the comparison fail. Each rewrite that
only the mart SQL needs is checked on its own against DuckDB, and the publish path through a
stand-in ClickHouse server (``publish_clickhouse(..., marts_in_engine=True)``) is compared with the
normal publish, query by query.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import duckdb
import pytest

from etl import publish
from etl.engine_marts import MART_REWRITES, build_marts_in_engine, check_in_engine, execute, mart_rewrites
from etl.errors import LoadError
from etl.marts import ACCEPTED, KEYS, MARTS, MartsError, build_marts
from onescreen import db, engine
from onescreen.engine import ChdbBackend, ClickHouseCursor, to_clickhouse
from onescreen.queries import QUERIES, run_query
from onescreen.rules import load_rules
from tests.chdb_http import ChdbHttpServer
from tests.test_parity import assert_same_frame, demo_warehouse, parity_cases

BUILT_AT = datetime(2025, 11, 30, 8, 0, 0)


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """The demo district of tests/test_parity.py: its warehouse and one published snapshot."""
    folder = tmp_path_factory.mktemp("engine_marts")
    warehouse = demo_warehouse(folder)
    # The demo's exports carry every closed ticket's deadline: drop some, so that the deadlines derived
    # in working days (mart_derived_deadlines) are compared too.
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update fct_tickets set due_at = null, due_workdays = null where resolved_at is not null "
                    "and hash(ticket_id) % 4 = 0")
        # Phone numbers as exports write them, so that both engines are seen to clean them alike (重复诉求).
        con.execute("update ticket_pii set caller_phone = '+86 ' || caller_phone "
                    "where hash(ticket_id) % 7 = 1 and caller_phone like '1%'")
        con.execute("update ticket_pii set caller_phone = replace(caller_phone, '0874-', '（0874）') "
                    "where hash(ticket_id) % 3 = 0")
        con.execute("update ticket_pii set caller_phone = translate(caller_phone, '0123456789', '０１２３４５６７８９') "
                    "where hash(ticket_id) % 13 = 3")
        con.execute("update ticket_pii set caller_phone = '1.38E+10' where hash(ticket_id) % 11 = 2")
        build_marts(con, load_rules())
    return warehouse, publish.publish(warehouse, folder / "snapshots")


@pytest.fixture(scope="module")
def snapshot(district):
    return district[1]


def facts_and_dimensions(snapshot) -> dict[str, str]:
    return {name: info["path"] for name, info in snapshot.tables.items() if name not in MARTS}


def duckdb_marts(snapshot, rules) -> dict:
    """Every mart built by DuckDB from the snapshot's facts and dimensions, sorted by its key."""
    con = duckdb.connect()
    for name, relative in facts_and_dimensions(snapshot).items():
        path = str(snapshot.path / relative).replace("'", "''")
        con.execute(f"create table {name} as select * from read_parquet('{path}', hive_partitioning = false)")
    build_marts(con, rules, built_at=BUILT_AT)
    marts = {name: con.execute(f"select * from {name} order by {', '.join(KEYS.get(name, ('all',)))}").df()
             for name in MARTS}
    con.close()
    return marts


def chdb_marts(snapshot, rules, suffix: str) -> dict:
    """Every mart built by chdb from the same files, sorted by its key."""
    backend = ChdbBackend(f"{snapshot.id}_{suffix}", snapshot.path, facts_and_dimensions(snapshot))
    try:
        build_marts_in_engine(backend, rules, built_at=BUILT_AT)
        return {name: engine.to_pandas(backend.query(
            f"SELECT * FROM {backend.database}.{name} ORDER BY {', '.join(KEYS.get(name, ('ALL',)))}"))
            for name in MARTS}
    finally:
        backend.drop()


def assert_same_marts(expected: dict, actual: dict) -> None:
    for name in MARTS:
        assert len(expected[name]) > 0, f"{name} is empty on DuckDB, so the comparison proves nothing"
        assert_same_frame(expected[name], actual[name], name)


@pytest.fixture(scope="module")
def duckdb_built(snapshot):
    return duckdb_marts(snapshot, load_rules())


def test_chdb_builds_the_same_marts_as_duckdb(snapshot, duckdb_built):
    assert_same_marts(duckdb_built, chdb_marts(snapshot, load_rules(), "same"))


def test_a_rule_changed_on_one_side_makes_the_comparison_fail(snapshot, duckdb_built):
    rules = load_rules()
    longer = dataclasses.replace(rules, deadline_workdays=tuple((t, d + 3) for t, d in rules.deadline_workdays))
    with pytest.raises(AssertionError, match="mart_rates|mart_grid_lights|mart_open_tickets"):
        assert_same_marts(duckdb_built, chdb_marts(snapshot, longer, "broken"))


def test_a_broken_contract_in_the_engine_is_a_chinese_error(snapshot):
    backend = ChdbBackend(f"{snapshot.id}_contract", snapshot.path, facts_and_dimensions(snapshot))
    try:
        build_marts_in_engine(backend, load_rules(), built_at=BUILT_AT)
        execute(backend, f"INSERT INTO {backend.database}.mart_open_tickets "
                         f"SELECT * FROM {backend.database}.mart_open_tickets LIMIT 1")
        with pytest.raises(MartsError, match=r"^mart_open_tickets 的键 \(ticket_id\) 不唯一，例如 "):
            check_in_engine(backend, backend.database)
        execute(backend, f"TRUNCATE TABLE {backend.database}.dim_calendar")
        with pytest.raises(MartsError) as error:
            build_marts_in_engine(backend, load_rules())
        assert str(error.value) == "dim_calendar 为空：请先生成工作日历（etl.calendar.build_calendar），再生成指标。"
    finally:
        backend.drop()


# --- each rewrite only the mart SQL needs, against DuckDB ---------------------------------------

class _NoTables(ChdbBackend):
    """chdb with no snapshot: for SQL that reads no table."""

    def __init__(self):
        self.table_paths = {}

    def tables(self):
        return {}


def both(sql: str, params=None, schema=None) -> tuple[list[tuple], list[tuple]]:
    duck = duckdb.connect().execute(sql, params or {}).fetchall()
    text = to_clickhouse(sql, params, extra_rewrites=mart_rewrites(schema or {}))
    click = [tuple(v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row.values())
             for row in ChdbBackend.query(_NoTables(), text).to_pylist()]  # timestamps come back in UTC
    return duck, click


def test_columns_are_expanded_and_renamed_from_the_regex_groups():
    sql = ("with facts as (select 'a' as k, true as n_x, null::boolean as n_y, 2.5 as s_z) "
           "select k, count(columns('^n_(.*)$')) as 'c_\\1', sum(columns('^s_(.*)$')) as 'v_\\1' from facts group by k")
    duck, click = both(sql)
    assert click == duck == [("a", 1, 0, 2.5)]
    assert "c_x" in to_clickhouse(sql, extra_rewrites=MART_REWRITES)


def test_union_by_name_lines_columns_up_and_fills_nulls():
    sql = ("with a as (select 1 as x, 2::bigint as y), b as (select 3::bigint as y) "
           "select * from (select x, y::double as y from a union all by name select y from b) as u order by y")
    duck, click = both(sql)
    assert click == duck == [(1, 2.0), (None, 3.0)]


def test_a_qualified_star_in_a_join_keeps_plain_column_names():
    sql = ("with t as (select 1 as k, 'x' as source), u as (select 1 as k, 'y' as source) "
           "select * from (select t.*, u.source as other from t join u on u.k = t.k) as j")
    duck, click = both(sql)
    assert click == duck == [(1, "x", "y")]


def test_date_series_by_day_and_by_month():
    sql = ("select count(*), min(d), max(d) from (select unnest(generate_series(date '2025-01-31', "
           "date '2025-03-02', interval 1 day))::date as d) as s")
    duck, click = both(sql)
    assert click == duck == [(31, date(2025, 1, 31), date(2025, 3, 2))]
    sql = ("select unnest(generate_series(date '2024-11-01', date '2025-02-01', interval 1 month))::date as m")
    duck, click = both(sql)
    assert click == duck and len(duck) == 4


def test_format_is_printf_with_rule_values_formatted_in_python():
    sql = "select format('按期办结率 {:.1f}% 低于 {:g}%，超期 {} 件', $rate, $below, $n::bigint) as t"
    params = {"rate": 64.25, "below": 80.0, "n": 3}
    duck, click = both(sql, params)
    assert click == duck == [("按期办结率 64.2% 低于 80%，超期 3 件",)]
    duck, click = both("select format('{:.1f}|{}', x, y) from (select 2.25::double as x, 7::bigint as y) as t")
    assert click == duck == [("2.2|7",)]


def test_concat_ws_skips_nulls():
    duck, click = both("select concat_ws('；', 'a', null, 'b'), concat_ws('；', null::varchar)")
    assert click == duck == [("a；b", "")]


def test_interval_functions_add_seconds_and_days():
    sql = ("select timestamp '2025-01-01 10:00:00' + to_seconds(3600::bigint), "
           "timestamp '2025-01-01 10:00:00' + to_days(2)")
    duck, click = both(sql)
    assert click == duck == [(datetime(2025, 1, 1, 11), datetime(2025, 1, 3, 10))]


def test_timestamps_keep_microseconds():
    duck, click = both("select $at::timestamp as t", {"at": datetime(2025, 11, 30, 8, 0, 1, 250000)})
    assert click == duck == [(datetime(2025, 11, 30, 8, 0, 1, 250000),)]


def test_ranks_are_signed_and_flags_are_booleans():
    sql = ("select row_number() over (order by x) - 5 as r, x > 1 as is_big "
           "from (select unnest([1, 2]) as x) as t order by x")
    duck, click = both(sql)
    assert click == duck == [(-4, False), (-3, True)]


def test_mart_rewrites_are_documented():
    names = [r.name for r in mart_rewrites({})]
    assert len(set(names)) == len(names) and all(r.why for r in mart_rewrites({}))
    assert not set(names) & {r.name for r in engine.REWRITES}


# --- the publish path: a stand-in ClickHouse server builds the marts itself -----------------------

def test_publish_with_marts_in_engine_serves_the_same_answers(district, tmp_path, monkeypatch):
    warehouse, snapshot = district
    monkeypatch.setattr(db, "POINTER_TTL", 0.0)
    with ChdbHttpServer() as server:
        loaded = publish.publish_clickhouse(snapshot, server.url)
        normal = engine.live(server.url).backend()
        second = publish.publish(warehouse, tmp_path / "again")
        built = publish.publish_clickhouse(second, server.url, marts_in_engine=True)
        live = engine.live(server.url)
        assert live.database == built != loaded
        assert set(MARTS) <= set(live.table_names)
        # The marts were built on the server (CREATE ... AS SELECT), not loaded from Parquet files.
        assert not any(f"INSERT INTO {built}.mart_" in s for s in server.statements)
        assert any(s.startswith(f"CREATE TABLE {built}.mart_rates ENGINE = MergeTree") for s in server.statements)
        assert not any(built + "_marts_scratch" in name for name in server.session.query(
            "SELECT name FROM system.databases", "CSV").bytes().decode().split())
        duck = db._open_snapshot(snapshot)
        try:
            cases = parity_cases(duck)
        finally:
            duck.close()
        for name in sorted(QUERIES):
            for params in cases[name][:3]:  # a few cases each: the full set runs in test_parity.py
                expected, actual = (_answer(backend, name, params) for backend in (normal, live.backend()))
                assert not isinstance(expected, str) and not isinstance(actual, str), (name, params, expected, actual)
                if "built_at" in expected.columns:  # when the marts were built: differs by design
                    expected, actual = expected.drop(columns="built_at"), actual.drop(columns="built_at")
                assert_same_frame(expected, actual, f"{name}({params})")


def _answer(backend, name, params):
    """The query's result, or the server's error text with the database name taken out."""
    try:
        return run_query(ClickHouseCursor(backend), name, **params)
    except engine.EngineError as error:
        return str(error).replace(backend.database, "<database>")


def test_marts_in_engine_needs_clickhouse(capsys):
    from etl.cli import main

    assert main(["publish", "--marts-in-engine"]) == 1
    assert capsys.readouterr().err.strip() == "错误：--marts-in-engine 只能与 --clickhouse 一起使用：它让 ClickHouse 服务器自己生成汇总表。"


def test_a_failed_engine_build_keeps_the_live_database(district, tmp_path, monkeypatch):
    warehouse, snapshot = district
    with ChdbHttpServer() as server:
        live = publish.publish_clickhouse(publish.publish(warehouse, tmp_path / "first"), server.url)
        second = publish.publish(warehouse, tmp_path / "again")
        monkeypatch.setitem(ACCEPTED, ("mart_grid_lights", "light"), ("green",))  # a contract the marts break
        with pytest.raises(LoadError, match="ClickHouse 上的线上快照未变.*mart_grid_lights.light 出现不允许的取值"):
            publish.publish_clickhouse(second, server.url, marts_in_engine=True)
        assert engine.live(server.url).database == live


def test_ctes_read_twice_are_split_off_to_be_stored_once():
    from etl.engine_marts import split_shared_ctes

    query = duckdb_tree("with a as (select 1 as x), b as not materialized (select x from a), "
                        "c as (select x from a union all select x from b union all select x from b) select * from c")
    parts, rest = split_shared_ctes(query)
    assert [name for name, _ in parts] == ["a"]
    assert parts[0][1].sql(dialect="duckdb") == "WITH a AS (SELECT 1 AS x) SELECT * FROM a"
    assert [cte.alias for cte in rest.ctes] == ["b", "c"]  # b is read twice but marked not materialized


def duckdb_tree(sql: str):
    import sqlglot

    return sqlglot.parse_one(sql, read="duckdb")
