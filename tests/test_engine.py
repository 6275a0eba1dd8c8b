"""The ClickHouse engine adapter: parameter binding, each rewrite rule, and the HTTP path.

Every rule is checked by running the same SQL on DuckDB and on ClickHouse (chdb) and comparing the
answers: a rule that stopped working (or a sqlglot upgrade that changed the output) fails here.
"""

from __future__ import annotations

import duckdb
import pytest

from etl import publish
from etl.errors import LoadError
from onescreen import db, engine
from onescreen.engine import ChdbBackend, ClickHouseCursor, EngineError, to_clickhouse
from tests.chdb_http import ChdbHttpServer


class _NoTables(ChdbBackend):
    """chdb with no snapshot: for SQL that reads no table."""

    def __init__(self):
        self.table_paths = {}

    def tables(self):
        return {}


def both(sql: str, params=None) -> tuple[list[tuple], list[tuple]]:
    duck = duckdb.connect().execute(sql, params or {}).fetchall()
    click = ClickHouseCursor(_NoTables()).execute(sql, params).fetchall()
    return duck, click


def test_values_are_bound_as_quoted_literals_never_as_sql():
    hostile = "x' OR 1=1 --"
    duck, click = both("select $name as v, $day as d, $n as n", {"name": hostile, "day": "2025-10-01", "n": 3})
    assert click == duck == [(hostile, "2025-10-01", 3)]
    assert "OR 1=1 --'" in to_clickhouse("select $name", {"name": hostile})


def test_a_missing_parameter_is_an_error_not_a_null():
    with pytest.raises(EngineError, match=r"\$period_start"):
        to_clickhouse("select $period_start", {})


def test_median_and_quantiles_are_exact_as_in_duckdb():
    sql = ("select median(x) as m, quantile_cont(x, 0.9) as q "
           "from (select unnest([1, 2, 3, 4, 100])::double as x) as t")
    duck, click = both(sql)
    assert click[0][0] == duck[0][0] == 3.0
    assert click[0][1] == pytest.approx(duck[0][1], rel=1e-12) and duck[0][1] == pytest.approx(61.6)
    assert "quantileExactInclusive(0.5)" in to_clickhouse("select median(x) from t")


def test_range_tables_keep_duckdb_bounds_and_column_names():
    duck, click = both("select weekdays.weekday, hours.hour from range(1, 8) as weekdays(weekday) "
                       "cross join range(0, 24) as hours(hour) order by 1, 2")
    assert click == duck and len(duck) == 7 * 24 and duck[0] == (1, 0) and duck[-1] == (7, 23)


def test_qualified_columns_keep_their_plain_names():
    sql = "with a as (select 1 as k, 'x' as v) select a.k, a.v from a"
    table = ChdbBackend.query(_NoTables(), to_clickhouse(sql))
    assert table.column_names == ["k", "v"]


def test_from_json_lists():
    sql = """select unnest(from_json(json_extract('{"p": ["物业", "电梯"]}', '$.p'), '["VARCHAR"]')) as c"""
    duck, click = both(sql)
    assert click == duck == [("物业",), ("电梯",)]


def test_counts_are_signed_so_they_union_with_bigints():
    sql = ("select count(*) as n from range(3) union all select sum(x)::bigint from (select 5 as x) as t "
           "union all select count(*) filter (where range > 0) from range(3) order by n")
    duck, click = both(sql)
    assert click == duck == [(2,), (3,), (5,)]


def test_cte_materialization_hints_are_dropped_for_clickhouse():
    sql = ("with a as not materialized (select 1 as x), b as materialized (select 2 as x) "
           "select a.x + b.x as y from a cross join b")
    assert "MATERIALIZED" not in to_clickhouse(sql).upper()
    duck, click = both(sql)
    assert click == duck == [(3,)]


def test_a_denied_table_cannot_be_read():
    cursor = ClickHouseCursor(_NoTables())
    cursor.deny("ticket_pii")
    with pytest.raises(EngineError, match="ticket_pii"):
        cursor.execute("select caller_phone from ticket_pii")


def test_rewrites_are_documented():
    assert len({r.name for r in engine.REWRITES}) == len(engine.REWRITES)
    assert all(r.why for r in engine.REWRITES)


# --- the HTTP path, against a stand-in server answered by chdb ----------------------------------

@pytest.fixture
def clickhouse(tmp_path, monkeypatch, warehouse_copy):
    with ChdbHttpServer() as server:
        monkeypatch.setattr(db, "POINTER_TTL", 0.0)
        db.reset()
        yield server
        db.reset()


def test_publish_to_clickhouse_and_read_the_same_numbers(clickhouse, tmp_path, monkeypatch):
    snapshot = publish.publish(folder=tmp_path / "snapshots")
    month = db.query_df("select max(period_start) as m from mart_rates where period_type = 'month'")["m"][0]
    from_file = db.query_df("kpi_tiles", {"period_start": month})
    breakdown = db.query_df("rates_breakdown", {"period_start": month, "level": "grid"})
    database = publish.publish_clickhouse(snapshot, clickhouse.url)
    assert any("allow_nullable_key = 1" in s and "PARTITION BY toYYYYMM(received_at)" in s
               for s in clickhouse.statements)

    monkeypatch.setenv("ONESCREEN_ENGINE", "clickhouse")
    monkeypatch.setenv("ONESCREEN_CLICKHOUSE_URL", clickhouse.url)
    db.reset()
    assert db.warehouse_version() == database
    from_server = db.query_df("kpi_tiles", {"period_start": month})
    assert from_server["value"].tolist() == pytest.approx(from_file["value"].tolist(), nan_ok=True)
    assert from_server["metric"].tolist() == from_file["metric"].tolist()
    for column in ("pending_count", "is_provisional", "is_previous_provisional"):  # the same values and kinds
        assert from_server[column].tolist() == from_file[column].tolist(), column
    assert from_server["is_provisional"].dtype == bool and from_file["is_provisional"].dtype == bool
    server_breakdown = db.query_df("rates_breakdown", {"period_start": month, "level": "grid"})
    assert server_breakdown["unit_code"].tolist() == breakdown["unit_code"].tolist()

    # A second publish switches readers at their next look at the pointer; three keep two databases.
    second = publish.publish_clickhouse(publish.publish(folder=tmp_path / "snapshots"), clickhouse.url)
    assert db.warehouse_version() == second
    third = publish.publish_clickhouse(publish.publish(folder=tmp_path / "snapshots"), clickhouse.url)
    assert db.warehouse_version() == third
    kept = ChdbBackend._get_session().query(
        "select name from system.databases where name like 'onescreen_%' order by name", "CSV").bytes().decode()
    assert database not in kept and second in kept and third in kept


def test_a_failed_clickhouse_publish_keeps_the_live_database(clickhouse, tmp_path, monkeypatch):
    snapshot = publish.publish(folder=tmp_path / "snapshots")
    live = publish.publish_clickhouse(snapshot, clickhouse.url)
    broken = publish.publish(folder=tmp_path / "snapshots")
    (broken.path / "mart_meta.parquet").write_bytes(b"not parquet")
    with pytest.raises((LoadError, Exception)):
        publish.publish_clickhouse(broken, clickhouse.url)
    assert engine.live(clickhouse.url).database == live


@pytest.mark.parametrize("make_old, missing", [
    ("drop table {database}.mart_ticket_values", ["mart_ticket_values"]),
    ("alter table {database}.fct_tickets drop column place_hash", ["fct_tickets.place_hash"]),
])
def test_a_clickhouse_snapshot_from_an_older_version_is_refused_with_what_it_lacks(clickhouse, tmp_path, monkeypatch,
                                                                                  make_old, missing):
    """Like a warehouse file or a snapshot folder: readers name the missing table or column and the commands."""
    database = publish.publish_clickhouse(publish.publish(folder=tmp_path / "snapshots"), clickhouse.url)
    ChdbBackend._get_session().query(make_old.format(database=database), "CSV")
    monkeypatch.setenv("ONESCREEN_ENGINE", "clickhouse")
    monkeypatch.setenv("ONESCREEN_CLICKHOUSE_URL", clickhouse.url)
    db.reset()
    with pytest.raises(db.OutdatedDataError) as refused:
        db.warehouse_version()
    assert refused.value.missing == missing
    assert "python -m etl publish --clickhouse" in str(refused.value) and "secret" not in str(refused.value)


def test_wrong_credentials_and_no_server_are_clear_errors(clickhouse):
    with pytest.raises(EngineError, match="Authentication failed"):
        engine.live(clickhouse.url.replace("secret", "wrong"))
    with pytest.raises(EngineError, match="无法连接 ClickHouse 服务器"):
        engine.live("http://127.0.0.1:9/?database=onescreen")
