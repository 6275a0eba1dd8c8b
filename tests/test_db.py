"""Read-only warehouse access: atomic swaps are picked up, readers opened before keep working."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pytest

from onescreen import db


def _publish(path: Path, value: int, rows: int = 3) -> None:
    """Publish like the ETL does: build a staging file, checkpoint, close, os.replace."""
    staging = path.with_name(path.name + ".staging")
    con = duckdb.connect(str(staging))
    con.execute("create table t as select ? as v, range as i from range(?)", [value, rows])
    con.execute("checkpoint")
    con.close()
    os.replace(staging, path)


def _open_files(path: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(path)):
            found.append(target)
    return found


@pytest.fixture
def warehouse(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("ONESCREEN_DB", str(path))
    db.reset()
    yield path
    db.reset()


def test_missing_warehouse_says_how_to_fix(warehouse):
    assert db.warehouse_exists() is False
    with pytest.raises(db.WarehouseMissingError) as err:
        db.connect()
    # ONESCREEN_DB names the warehouse: a deployment, told to start empty, never to load the demo into it.
    assert str(err.value) == f"错误：找不到数据仓库 {warehouse}。请先运行 python -m etl init 建一个空的数据仓库，再用 python -m etl load 导入网格定义和工单导出。"


def test_a_fresh_clone_missing_its_warehouse_is_told_about_the_demo(monkeypatch):
    """Nothing named (a fresh clone trying the product): the demo is the advice."""
    from onescreen import settings

    monkeypatch.delenv("ONESCREEN_DB", raising=False)
    monkeypatch.delenv("ONESCREEN_DATA_DIR", raising=False)
    assert str(db.WarehouseMissingError(settings.warehouse_path())) == (
        f"错误：找不到数据仓库 {settings.warehouse_path()}。请先运行 python -m etl demo 生成示范区，"
        "或用 python -m etl load 导入导出文件。")


def test_replaced_file_is_seen_by_the_next_connect(warehouse):
    _publish(warehouse, 1)
    assert db.warehouse_exists() is True
    version = db.warehouse_version()
    with db.connect() as cur:
        assert cur.execute("select distinct v from t").fetchall() == [(1,)]
    _publish(warehouse, 2)
    assert db.warehouse_version() != version
    with db.connect() as cur:
        assert cur.execute("select distinct v from t").fetchall() == [(2,)]


def test_reader_opened_before_the_swap_keeps_working(warehouse):
    _publish(warehouse, 1, rows=1000)
    old = db.connect()
    result = old.execute("select v from t order by i")
    assert result.fetchmany(10) == [(1,)] * 10
    _publish(warehouse, 2)
    assert len(result.fetchall()) == 990
    assert old.execute("select count(*), max(v) from t").fetchone() == (1000, 1)
    with db.connect() as new:
        assert new.execute("select count(*), max(v) from t").fetchone() == (3, 2)
    # The replaced file stays open only while a reader still uses it.
    assert any(target.endswith("(deleted)") for target in _open_files(warehouse))
    old.close()
    del old, result
    assert not any(target.endswith("(deleted)") for target in _open_files(warehouse))


def test_query_df_binds_parameters(warehouse):
    _publish(warehouse, 5, rows=10)
    df = db.query_df("select i from t where i < ? order by i", [3])
    assert df["i"].tolist() == [0, 1, 2]
    df = db.query_df("select count(*) as n from t where i >= $low", {"low": 7})
    assert df["n"].tolist() == [3]


def test_query_df_runs_a_name_through_the_registry(warehouse, monkeypatch):
    from onescreen import queries

    _publish(warehouse, 5, rows=10)
    calls = []

    def fake_run_query(con, name, **params):
        calls.append((name, params))
        return con.execute("select count(*) as n from t where i < $below", params).df()

    monkeypatch.setattr(queries, "run_query", fake_run_query)
    assert db.query_df("rows_below", {"below": 4})["n"].tolist() == [4]
    assert calls == [("rows_below", {"below": 4})]
    with pytest.raises(TypeError, match="named query 'rows_below' takes its parameters as a mapping"):
        db.query_df("rows_below", [4])


def test_connection_is_read_only(warehouse):
    _publish(warehouse, 1)
    with db.connect() as cur, pytest.raises(duckdb.Error, match="read-only"):
        cur.execute("insert into t values (9, 9)")


def test_concurrent_readers_across_swaps(warehouse):
    """Threads (like Streamlit sessions) query while loads publish: no error, never a mix."""
    _publish(warehouse, 0, rows=500)
    errors: list[BaseException] = []
    seen: set[tuple] = set()
    done = threading.Event()

    def reader() -> None:
        try:
            while not done.is_set():
                df = db.query_df("select count(*) as n, min(v) as lo, max(v) as hi from t")
                seen.add(tuple(df.iloc[0].tolist()))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for thread in threads:
        thread.start()
    try:
        for value in range(1, 6):
            _publish(warehouse, value, rows=500)
            with db.connect() as cur:
                assert cur.execute("select max(v) from t").fetchone() == (value,)
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert all(n == 500 and lo == hi for n, lo, hi in seen), seen


def test_the_file_reader_does_not_load_the_clickhouse_engine():
    """sqlglot and the engine adapter load only when a ClickHouse or chdb reader is made: a server reading the
    warehouse file does not pay for them in its first page run."""
    import subprocess
    import sys

    code = ("import sys; import onescreen.data, onescreen.db, onescreen.queries; "
            "print(sorted(m for m in ('onescreen.engine', 'sqlglot') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(Path(__file__).resolve().parent.parent))
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
