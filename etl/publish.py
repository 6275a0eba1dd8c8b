"""Publish the warehouse as an immutable snapshot for readers that are not the embedded DuckDB file.

One street runs on the published DuckDB file and needs none of this. A district or a province points
its screens at a snapshot folder (``$ONESCREEN_SNAPSHOTS``) instead::

    python -m etl publish                 # snapshot the warehouse, make it live
    python -m etl publish --list          # the snapshots kept, the live one marked
    python -m etl publish --rollback      # make the previous snapshot live again

Layout of the folder::

    CURRENT                                  the live snapshot's id (replaced atomically)
    20261130T142600123456-3f2a/manifest.json       tables, row counts, bytes, source warehouse, time
    20261130T142600123456-3f2a/fct_tickets/month=2025-10/data_0.parquet    tickets by month of receipt
    20261130T142600123456-3f2a/mart_rates.parquet  every other table (marts, dimensions) as one file

A snapshot is written under a hidden name and renamed into place when complete, and only then does
``CURRENT`` move; a reader resolves ``CURRENT`` once per page run (``onescreen.db``), so it never mixes
two snapshots. The previous snapshots stay (``--keep``, default 2) for a rollback. Parquet with zstd,
rows sorted by time, so both DuckDB and ClickHouse skip months a query does not ask for.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from etl.errors import LoadError
from etl.marts import MARTS
from onescreen import settings

POINTER = "CURRENT"
MANIFEST = "manifest.json"
TICKETS = "fct_tickets"
# What readers need: the tickets, their personal fields (read only through the masking queries),
# the dimensions, the inspections and the marts. History tables, load batches and the warehouse's own
# bookkeeping (warehouse_meta) stay with the writer.
SKIPPED_SUFFIXES = ("_hist",)
SKIPPED_TABLES = ("load_batches", "warehouse_meta")
# A live snapshot without one of these was published by an older version: readers refuse it with a message
# (onescreen.db.OutdatedDataError) rather than fail on the first query that reads the missing table.
READER_TABLES = (TICKETS, *MARTS)
MEMORY_LIMIT = os.environ.get("ONESCREEN_PUBLISH_MEMORY", "2GB")


@dataclass(frozen=True)
class Snapshot:
    id: str
    path: Path
    manifest: dict

    @property
    def tables(self) -> dict[str, dict]:
        return self.manifest["tables"]


def snapshot_dir(value: str | Path | None = None) -> Path:
    """The snapshot folder: the argument, ``$ONESCREEN_SNAPSHOTS`` or ``data/snapshots``."""
    if value:
        return Path(value).expanduser().resolve()
    return settings.snapshot_dir() or settings.DATA_DIR / "snapshots"


def publish(warehouse: Path | None = None, folder: Path | None = None, keep: int = 2,
            progress=lambda message: None) -> Snapshot:
    """Write a snapshot of ``warehouse`` into ``folder``, make it live and prune old ones.

    Raises :class:`LoadError` (Chinese message) when there is no warehouse or it has no marts; the
    live snapshot is unchanged then, and on any failure while writing.
    """
    warehouse = warehouse or settings.warehouse_path()
    folder = snapshot_dir(folder)
    if keep < 2:
        raise LoadError("错误：--keep 至少为 2：上一个快照要留着回退。")
    if not warehouse.is_file():
        raise LoadError(f"错误：找不到数据仓库 {warehouse}：请先运行 {settings.missing_warehouse_advice()}。")
    from etl.refresh import stale_reasons  # imported here: etl.refresh imports the whole load

    reasons = stale_reasons(warehouse)  # reported below, after "no marts at all"
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    # Ids sort in publishing order (microseconds), so "the previous one" is the one sorted before.
    snapshot_id = datetime.now().strftime("%Y%m%dT%H%M%S%f") + "-" + os.urandom(2).hex()
    partial = folder / f".partial-{snapshot_id}"
    # Sorting the tickets by time needs memory in proportion to the table: cap it and let DuckDB spill
    # to a folder beside the snapshot (50M tickets peaked at 8.9 GB without the cap).
    spill = folder / f".spill-{snapshot_id}"  # one per run: two publishers never share one
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": str(spill)})
    try:
        con.execute(f"attach '{_sql_string(str(warehouse))}' as src (read_only)")
        tables = [name for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'src' order by table_name").fetchall()
            if not name.endswith(SKIPPED_SUFFIXES) and name not in SKIPPED_TABLES]
        if "mart_meta" not in tables or TICKETS not in tables:
            raise LoadError(f"错误：数据仓库 {warehouse} 还没有工单或汇总表：先导入数据，再发布快照。")
        if reasons:  # a snapshot of it would lack tables or carry numbers the current SQL or rules do not give
            raise LoadError(f"错误：数据仓库 {warehouse} 的汇总表不是最新的（{'；'.join(reasons)}）："
                            "先运行 python -m etl refresh，再发布快照。")
        partial.mkdir()
        manifest: dict = {"id": snapshot_id, "created_at": datetime.now().isoformat(timespec="seconds"),
                          "warehouse": str(warehouse), "tables": {}}
        for name in tables:
            progress(f"写入 {name} ……")
            manifest["tables"][name] = _write_table(con, name, partial)
        as_of = con.execute("select max(as_of) from src.mart_meta").fetchone()[0]
        manifest["as_of"] = as_of.isoformat() if as_of else None
        manifest["seconds"] = round(time.perf_counter() - started, 2)
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        final = folder / snapshot_id
        os.rename(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    _point_to(folder, snapshot_id)
    prune(folder, keep)
    progress(f"快照 {snapshot_id} 已发布（{manifest['seconds']} 秒）。")
    return Snapshot(snapshot_id, final, manifest)


def _write_table(con: duckdb.DuckDBPyConnection, name: str, folder: Path) -> dict:
    rows = con.execute(f"select count(*) from src.{name}").fetchone()[0]
    if name == TICKETS:
        target = folder / TICKETS
        # Partition by month of receipt; rows sorted by time inside, so row-group statistics prune too.
        con.execute(
            f"copy (select *, coalesce(strftime(received_at, '%Y-%m'), 'unknown') as month "
            f"from src.{name} order by received_at, ticket_id) "
            f"to '{_sql_string(str(target))}' (format parquet, compression zstd, partition_by (month))")
        files = sorted(target.rglob("*.parquet"))
        if not files:  # no tickets: still a readable, empty table with the right columns
            (target / "month=unknown").mkdir(parents=True)
            con.execute(f"copy (select * from src.{name} limit 0) to "
                        f"'{_sql_string(str(target / 'month=unknown' / 'data_0.parquet'))}' "
                        "(format parquet, compression zstd)")
            files = sorted(target.rglob("*.parquet"))
        return {"rows": rows, "path": f"{TICKETS}/*/*.parquet", "partitions": len(files),
                "bytes": sum(f.stat().st_size for f in files)}
    target = folder / f"{name}.parquet"
    con.execute(f"copy src.{name} to '{_sql_string(str(target))}' (format parquet, compression zstd)")
    return {"rows": rows, "path": target.name, "bytes": target.stat().st_size}


def _point_to(folder: Path, snapshot_id: str) -> None:
    temporary = folder / f".{POINTER}.{os.getpid()}"
    temporary.write_text(snapshot_id + "\n", encoding="utf-8")
    os.replace(temporary, folder / POINTER)


def current(folder: Path | None = None) -> Snapshot | None:
    """The live snapshot, or None when nothing was published in ``folder`` yet."""
    folder = snapshot_dir(folder)
    try:
        snapshot_id = (folder / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return read(folder / snapshot_id)


def read(path: Path) -> Snapshot:
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    return Snapshot(manifest["id"], path, manifest)


def snapshots(folder: Path | None = None) -> list[Snapshot]:
    """Every complete snapshot in ``folder``, oldest first."""
    folder = snapshot_dir(folder)
    if not folder.is_dir():
        return []
    found = [read(p) for p in sorted(folder.iterdir()) if p.is_dir() and (p / MANIFEST).is_file()]
    return sorted(found, key=lambda s: s.id)


def rollback(folder: Path | None = None) -> Snapshot:
    """Make the snapshot published before the live one live again."""
    folder = snapshot_dir(folder)
    live = current(folder)
    older = [s for s in snapshots(folder) if live is None or s.id < live.id]
    if not older:
        raise LoadError(f"错误：{folder} 中没有比当前快照更早的快照，无法回退。")
    _point_to(folder, older[-1].id)
    return older[-1]


def prune(folder: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` snapshots (never the live one) and stale partial ones."""
    live = current(folder)
    removed = []
    for snapshot in snapshots(folder)[:-keep]:
        if live is not None and snapshot.id == live.id:
            continue
        shutil.rmtree(snapshot.path, ignore_errors=True)
        removed.append(snapshot.id)
    for partial in folder.glob(".partial-*"):
        if time.time() - partial.stat().st_mtime > 24 * 3600:  # a writer that died a day ago
            shutil.rmtree(partial, ignore_errors=True)
    return removed


def _sql_string(value: str) -> str:
    return value.replace("'", "''")


# --- a ClickHouse server -----------------------------------------------------------------------

def publish_clickhouse(snapshot: Snapshot, url: str, keep: int = 2, progress=lambda message: None,
                       marts_in_engine: bool = False) -> str:
    """Load ``snapshot`` into its own database on the ClickHouse server at ``url`` and make it live.

    Tables are MergeTree; the tickets are partitioned by month and ordered by time. The pointer table
    ``onescreen_live`` in the URL's database gets a row only when every table is loaded, so readers
    (``ONESCREEN_ENGINE=clickhouse``) switch at once; the newest ``keep`` snapshot databases stay.
    With ``marts_in_engine`` only the facts and dimensions are loaded and the server builds the marts
    itself (``etl.engine_marts``) with the rules the snapshot's marts were built with, before the
    pointer moves. Returns the new database's name.
    """
    import pyarrow.parquet as pq

    from etl.marts import MARTS, MartsError
    from onescreen.engine import POINTER_TABLE, SORT_KEYS, EngineError, HttpBackend, meta_database

    meta = meta_database(url)
    database = "onescreen_" + snapshot.id.replace("-", "_")
    server = HttpBackend(url, meta, ())
    try:
        server.raw(f"CREATE DATABASE IF NOT EXISTS {meta}")
        server.raw(f"CREATE TABLE IF NOT EXISTS {meta}.{POINTER_TABLE} (published_at DateTime64(3), "
                   "snapshot_id String, database String) ENGINE = MergeTree ORDER BY published_at")
        server.raw(f"CREATE DATABASE {database}")
        for name, info in snapshot.tables.items():
            if marts_in_engine and name in MARTS:
                continue
            progress(f"ClickHouse：写入 {name} ……")
            files = sorted(snapshot.path.glob(info["path"]))
            columns = ", ".join(f"`{field.name}` {_clickhouse_type(field.type)}"
                                for field in pq.read_schema(files[0]))
            layout = f"ORDER BY {SORT_KEYS.get(name, 'tuple()')}"
            if name == TICKETS:
                layout = "PARTITION BY toYYYYMM(received_at) " + layout
            # Nullable sort keys (received_at may be null in an export) need allow_nullable_key.
            server.raw(f"CREATE TABLE {database}.{name} ({columns}) ENGINE = MergeTree {layout} "
                       "SETTINGS allow_nullable_key = 1")
            for file in files:
                server.raw(f"INSERT INTO {database}.{name} FORMAT Parquet", data=file.read_bytes())
        if marts_in_engine:
            _build_marts_in_engine(snapshot, url, database, progress)
        server.raw(f"INSERT INTO {meta}.{POINTER_TABLE} VALUES (now64(3), '{snapshot.id}', '{database}')")
    except BaseException as exc:
        _drop_unless_live(server, meta, database)
        if isinstance(exc, (EngineError, MartsError)):
            raise LoadError(f"错误：发布到 ClickHouse 失败，ClickHouse 上的线上快照未变（本地快照 {snapshot.id} 已发布）：{exc}") from exc
        raise
    _prune_clickhouse(server, meta, keep)
    return database


def _build_marts_in_engine(snapshot: Snapshot, url: str, database: str, progress) -> None:
    import json

    import pyarrow.parquet as pq

    from etl.engine_marts import build_marts_in_engine
    from etl.marts import MARTS
    from onescreen.engine import HttpBackend
    from onescreen.rules import load_rules, rules_from_dict

    # The rules the snapshot's marts were built with (mart_meta.rules_json), so both agree.
    meta = snapshot.tables.get("mart_meta")
    rows = pq.read_table(snapshot.path / meta["path"], columns=["rules_json"]).to_pylist() if meta else []
    rules = rules_from_dict(json.loads(rows[0]["rules_json"])) if rows else load_rules()
    names = [name for name in snapshot.tables if name not in MARTS]
    progress("ClickHouse：生成汇总表 ……")
    build_marts_in_engine(HttpBackend(url, database, names), rules, database)


def _drop_unless_live(server, meta: str, database: str) -> None:
    """Best effort after a failed publish: drop the half-built database unless the pointer names it
    (the pointer insert may have reached the server before the connection failed)."""
    from onescreen.engine import POINTER_TABLE, EngineError

    try:
        named = server.query(f"SELECT count() AS n FROM {meta}.{POINTER_TABLE} "
                             f"WHERE database = '{database}'").to_pylist()[0]["n"]
        if not named:
            server.raw(f"DROP DATABASE IF EXISTS {database}")
    except EngineError:
        pass  # the server is gone; _prune_clickhouse removes the leftover at the next publish


def _prune_clickhouse(server, meta: str, keep: int) -> None:
    """Keep the newest ``keep`` published databases; drop older ones and any leftover of a failed run."""
    from onescreen.engine import POINTER_TABLE

    rows = server.query(f"SELECT database, max(published_at) AS at FROM {meta}.{POINTER_TABLE} "
                        "GROUP BY database ORDER BY at DESC").to_pylist()
    kept = {row["database"] for row in rows[:keep]}
    existing = server.query("SELECT name FROM system.databases WHERE name LIKE 'onescreen\\_%'").column("name").to_pylist()
    for name in existing:
        if name not in kept and name != meta:
            server.raw(f"DROP DATABASE IF EXISTS {name}")


def _clickhouse_type(kind) -> str:
    import pyarrow as pa

    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        inner = "String"
    elif pa.types.is_boolean(kind):
        inner = "Bool"
    elif pa.types.is_integer(kind):
        inner = f"{'U' if pa.types.is_unsigned_integer(kind) else ''}Int{kind.bit_width}"
    elif pa.types.is_floating(kind):
        inner = "Float64" if kind.bit_width == 64 else "Float32"
    elif pa.types.is_decimal(kind):
        inner = f"Decimal({kind.precision}, {kind.scale})"
    elif pa.types.is_timestamp(kind):
        inner = "DateTime64(6)"
    elif pa.types.is_date(kind):
        inner = "Date32"
    else:
        raise LoadError(f"错误：快照中的列类型 {kind} 还不能发布到 ClickHouse。")
    return f"Nullable({inner})"
