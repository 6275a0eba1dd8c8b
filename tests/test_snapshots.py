"""Published snapshots (etl.publish) and reading them (onescreen.db with $ONESCREEN_SNAPSHOTS)."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from etl import publish
from etl.errors import LoadError
from onescreen import db
from onescreen.queries import run_query
from tests.conftest import ROOT, run_cli

APP = str(ROOT / "app.py")


@pytest.fixture
def snapshots(tmp_path, monkeypatch, warehouse_copy):
    folder = tmp_path / "snapshots"
    monkeypatch.setenv("ONESCREEN_SNAPSHOTS", str(folder))
    db.reset()
    yield folder
    db.reset()


def _months(warehouse) -> set[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {m for (m,) in con.execute("select distinct strftime(received_at, '%Y-%m') from fct_tickets").fetchall()}
    finally:
        con.close()


def test_publish_writes_tickets_by_month_and_every_reader_table(snapshots, warehouse_copy):
    snapshot = publish.publish(folder=snapshots)
    assert (snapshots / "CURRENT").read_text().strip() == snapshot.id
    partitions = {p.name.removeprefix("month=") for p in (snapshot.path / "fct_tickets").iterdir()}
    assert partitions == _months(warehouse_copy)
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    for name, info in snapshot.tables.items():
        expected = con.execute(f"select count(*) from {name}").fetchone()[0]
        assert info["rows"] == expected, name
        files = list(snapshot.path.glob(info["path"]))
        assert files, name
        assert sum(pq.ParquetFile(f).metadata.num_rows for f in files) == expected, name
    # History and load batches stay with the writer.
    assert "load_batches" not in snapshot.tables and "fct_tickets_hist" not in snapshot.tables
    first = next((snapshot.path / "fct_tickets").rglob("*.parquet"))
    assert pq.ParquetFile(first).metadata.row_group(0).column(0).compression == "ZSTD"


def test_readers_get_the_same_numbers_from_the_snapshot_as_from_the_file(snapshots, warehouse_copy, monkeypatch):
    publish.publish(folder=snapshots)
    month = db.query_df("select max(period_start) as m from mart_rates where period_type = 'month'")["m"][0]
    from_snapshot = db.query_df("kpi_tiles", {"period_start": month})
    monkeypatch.delenv("ONESCREEN_SNAPSHOTS")
    db.reset()
    from_file = db.query_df("kpi_tiles", {"period_start": month})
    assert from_snapshot.equals(from_file)
    assert from_snapshot["value"].notna().any()


def test_a_new_snapshot_is_picked_up_but_a_pinned_run_keeps_its_own(snapshots, warehouse_copy):
    first = publish.publish(folder=snapshots)
    db.pin()
    pinned_version = db.warehouse_version()
    assert first.id in pinned_version
    # A later load changes the warehouse; publish it.
    con = duckdb.connect(str(warehouse_copy))
    con.execute("delete from fct_tickets where ticket_id in (select ticket_id from fct_tickets limit 3)")
    con.close()
    second = publish.publish(folder=snapshots)
    count = "select count(*) as n from fct_tickets"
    assert db.warehouse_version() == pinned_version  # the run that started on the first keeps it
    assert db.query_df(count)["n"][0] == first.tables["fct_tickets"]["rows"]
    db.unpin()
    assert second.id in db.warehouse_version()
    assert db.query_df(count)["n"][0] == first.tables["fct_tickets"]["rows"] - 3


def test_rollback_and_keep(snapshots):
    ids = [publish.publish(folder=snapshots, keep=2).id for _ in range(3)]
    assert [s.id for s in publish.snapshots(snapshots)] == ids[1:]  # the oldest was pruned
    assert publish.rollback(snapshots).id == ids[1]
    assert publish.current(snapshots).id == ids[1]
    with pytest.raises(LoadError, match="没有比当前快照更早的快照"):
        publish.rollback(snapshots)


def test_a_failed_publish_leaves_the_live_snapshot_and_no_partial_folder(snapshots, monkeypatch):
    live = publish.publish(folder=snapshots)

    def broken(con, name, folder):
        raise OSError("disk full")

    monkeypatch.setattr(publish, "_write_table", broken)
    with pytest.raises(OSError):
        publish.publish(folder=snapshots)
    assert publish.current(snapshots).id == live.id
    assert [p.name for p in snapshots.iterdir() if p.name.startswith(".partial")] == []


def test_publish_without_a_warehouse_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("ONESCREEN_DB", str(tmp_path / "none.duckdb"))
    with pytest.raises(LoadError, match="找不到数据仓库"):
        publish.publish(folder=tmp_path / "snapshots")
    assert not (tmp_path / "snapshots" / "CURRENT").exists()


def test_publish_refuses_a_warehouse_whose_marts_are_stale(snapshots, warehouse_copy, capsys):
    """A warehouse left by an older version (here: without mart_ticket_values) is not published until it is
    refreshed: its snapshot would break the screens that read the missing mart."""
    live = publish.publish(folder=snapshots)
    con = duckdb.connect(str(warehouse_copy))
    con.execute("drop table mart_ticket_values")
    con.close()
    code, _, err = run_cli(["publish"], capsys)
    assert code == 1 and "mart_ticket_values" in err and "python -m etl refresh" in err
    assert publish.current(snapshots).id == live.id
    assert [p.name for p in snapshots.iterdir() if p.name.startswith(".")] == []
    assert run_cli(["refresh"], capsys)[0] == 0
    assert "mart_ticket_values" in publish.publish(folder=snapshots).tables


def _make_live_snapshot_old(folder, table: str) -> None:
    """Drop ``table`` from the live snapshot's manifest, as a snapshot published before it existed."""
    import json

    manifest_path = publish.current(folder).path / publish.MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["tables"][table]
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def test_a_snapshot_from_an_older_version_is_refused_with_what_to_do(snapshots):
    live = publish.publish(folder=snapshots)
    _make_live_snapshot_old(snapshots, "mart_ticket_values")
    db.reset()
    with pytest.raises(db.OutdatedDataError) as raised:
        db.query_df("select 1")
    assert raised.value.missing == ["mart_ticket_values"] and live.id in str(raised.value)
    for page in (None, "app_pages/tickets.py"):  # the big screen (default page) and the ticket list
        at = AppTest.from_file(APP, default_timeout=60)
        if page:
            at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
        shown = " ".join(e.value for e in at.error)
        assert "mart_ticket_values" in shown and "python -m etl publish" in shown and "事件编号" in shown, shown


@pytest.mark.parametrize("engine_name", ["duckdb", "chdb"])
def test_a_snapshot_whose_tickets_lack_a_column_is_refused_naming_it(snapshots, monkeypatch, engine_name):
    """A snapshot published before fct_tickets.place_hash existed: refused once, by name, not a failed query."""
    live = publish.publish(folder=snapshots)
    for file in (live.path / "fct_tickets").rglob("*.parquet"):
        pq.write_table(pq.read_table(file).drop_columns(["place_hash"]), file)
    monkeypatch.setenv("ONESCREEN_ENGINE", engine_name)
    db.reset()
    with pytest.raises(db.OutdatedDataError) as raised:
        db.warehouse_version()
    assert raised.value.missing == ["fct_tickets.place_hash"] and live.id in str(raised.value)
    assert "python -m etl publish" in str(raised.value)
    # Publishing again (the warehouse has the column) is what the message asks for, and it is enough.
    publish.publish(folder=snapshots)
    assert db.query_df("select count(place_hash) as n from fct_tickets")["n"][0] > 0


def test_cli_publish_list_and_rollback(snapshots, capsys):
    code, out, _ = run_cli(["publish", "--quiet"], capsys)
    assert code == 0 and "已发布" in out
    code, out, _ = run_cli(["publish", "--quiet"], capsys)
    code, out, _ = run_cli(["publish", "--list"], capsys)
    lines = out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("*") and "工单" in lines[1]
    code, out, _ = run_cli(["publish", "--rollback"], capsys)
    assert code == 0 and "已切回快照" in out
    code, out, err = run_cli(["publish", "--keep", "1"], capsys)
    assert code == 1 and "--keep 至少为 2" in err


def test_no_snapshot_yet_shows_the_empty_state(snapshots):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    guidance = " ".join(i.value for i in at.info)
    assert "python -m etl demo" in guidance or "数据导入" in guidance


def _big_screen() -> list[str]:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["kiosk"] = "1"
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return [m.value for m in at.markdown]


@pytest.mark.parametrize("engine_name", ["duckdb", "chdb"])
def test_the_big_screen_shows_the_same_on_a_snapshot(snapshots, monkeypatch, engine_name):
    publish.publish(folder=snapshots)
    monkeypatch.setenv("ONESCREEN_ENGINE", engine_name)
    db.reset()
    from_snapshot = _big_screen()
    html = " ".join(from_snapshot)
    for label in ("本期受理", "响应率", "按期办结率", "超期在办", "物业红榜", "数据截至"):
        assert label in html, label
    monkeypatch.delenv("ONESCREEN_SNAPSHOTS")
    monkeypatch.delenv("ONESCREEN_ENGINE")
    db.reset()
    assert from_snapshot == _big_screen()


def test_publish_checks_the_clickhouse_url_before_publishing_anything(snapshots, capsys, monkeypatch):
    monkeypatch.delenv("ONESCREEN_CLICKHOUSE_URL", raising=False)
    code, _, err = run_cli(["publish", "--clickhouse"], capsys)
    assert code == 1 and "ONESCREEN_CLICKHOUSE_URL" in err
    code, _, err = run_cli(["publish", "--clickhouse", "http://h:8123/?database=bad-name"], capsys)
    assert code == 1 and "数据库名" in err
    assert publish.current(snapshots) is None  # nothing went live
    code, _, err = run_cli(["publish", "--rollback", "--clickhouse", "http://h:8123/"], capsys)
    assert code == 1 and "--clickhouse 只用于发布" in err


def test_upload_history_reads_the_writers_file_when_screens_read_a_snapshot(snapshots, warehouse_copy):
    from onescreen import upload

    publish.publish(folder=snapshots)
    history = upload.history()
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    assert len(history) == con.execute("select count(*) from load_batches").fetchone()[0] > 0
    con.close()


def test_an_unreachable_engine_is_reported_by_the_page_not_before_it(monkeypatch, warehouse_copy):
    monkeypatch.setenv("ONESCREEN_ENGINE", "clickhouse")
    monkeypatch.setenv("ONESCREEN_CLICKHOUSE_URL", "http://reader:secret@127.0.0.1:9/?database=onescreen")
    db.reset()
    db.pin()  # does not raise; the run is left unpinned
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error) + " ".join(i.value for i in at.info)
    assert "secret" not in shown
    assert at.error or "python -m etl demo" in shown
