"""ETL benchmark: generated 12345 hotline exports loaded end to end through ``etl.load.load_files``.

    python bench/bench_etl.py                       # 1M and 5M tickets, XLSX 200k, reload of 1M with 10% changed
    python bench/bench_etl.py --rows 1000000        # a quicker run (env BENCH_ROWS works too)
    python bench/bench_etl.py --rows 100000 --xlsx-rows 20000   # a smoke run in about a minute

For every size, in a child process per run (so peak memory is that run's own, ru_maxrss):

- ours: UTF-8 CSV, GBK CSV, and (once) a 200k-row XLSX, each loaded into a fresh warehouse that holds
  only the demo district (grids, compounds, inspections), through the real path: read, detect,
  stage and check, place, upsert with history, calendar, marts, contracts, checkpoint and publish;
- baseline "pandas route": ``pd.read_csv(encoding=...)`` (``read_excel(engine="calamine")`` for XLSX),
  the same renames, date parsing, enum mapping, grid join and timeline check in pandas, then
  ``CREATE TABLE AS SELECT * FROM df`` into a DuckDB file. It builds no history, no marts, no checks;
- ceiling "raw read": DuckDB's own ``read_csv`` (UTF-8; also timed into an in-memory table, nothing
  written), pyarrow's streaming gb18030 reader handed to DuckDB (GBK; DuckDB cannot read GBK), fastexcel's
  sheet read to Arrow text (XLSX, the reader the load uses): read into a table, nothing else;
- reload: the UTF-8 export of the smallest size is loaded, then an export of the same tickets with 10%
  of them changed is loaded over it (timed).

Generated files are cached in bench/out/ (bench_data.py). Results: bench/out/bench_etl.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402
from benchlib import OUT, met, table  # noqa: E402

TARGETS = {"utf8_mb_s": 100, "gbk_mb_s": 60, "xlsx_s": 6, "peak_mb_5m": 2048, "vs_pandas": 3, "reload_s": 15}
CANON = {"工单编号": "ticket_id", "来电时间": "received_at", "诉求来源": "source", "诉求类型": "appeal_type",
         "一级分类": "category_l1", "二级分类": "category_l2", "派单时间": "dispatched_at", "签收时间": "responded_at",
         "办结时间": "resolved_at", "办理时限": "due_at", "回访时间": "callback_at", "是否解决": "is_resolved",
         "满意度": "satisfaction", "工单状态": "status", "承办单位": "department", "所属街道": "street_name",
         "所属社区": "community_name", "网格编号": "grid_code", "诉求地址": "address", "来电人": "caller_name",
         "来电号码": "caller_phone", "诉求内容": "content"}
TIMES = ["received_at", "dispatched_at", "responded_at", "resolved_at", "due_at", "callback_at"]


# ----------------------------------------------------------------------------------------------- children

def child_ours(file: Path, db: Path, template: Path | None) -> None:
    """Load ``file`` through the real path into ``db`` (a fresh copy of ``template`` if given)."""
    from etl.load import load_files

    if template is not None:
        # The schema may have changed since the parent checked the template (the code is being worked on).
        build_template(lambda m: print(m, file=sys.stderr))
        for p in (db, db.with_name(db.name + ".wal")):
            p.unlink(missing_ok=True)
        shutil.copyfile(template, db)
    marks: list[tuple[float, str]] = []
    started = time.perf_counter()
    report = load_files([file], db_path=db, loaded_by="bench",
                        progress=lambda m: marks.append((time.perf_counter() - started, m)))
    seconds = time.perf_counter() - started
    f = report.files[0]
    # Phases from the progress messages: read (+ detect, plan) | stage, check, place, upsert | calendar | marts, contracts, publish.
    t_read = next((t for t, m in marks if "识别为" in m), None)
    t_written = next((t for t, m in marks if "写入 新增" in m), None)
    t_marts = next((t for t, m in marks if "重建汇总表" in m), None)
    phases = {}
    if None not in (t_read, t_written, t_marts):
        phases = {"read": round(t_read, 2), "stage_place_upsert": round(t_written - t_read, 2),
                  "calendar": round(t_marts - t_written, 2), "marts_contracts_publish": round(seconds - t_marts, 2)}
    benchlib.report({"seconds": round(seconds, 2), "phases": phases, "rows_read": f.rows_read, "inserted": f.inserted,
                     "updated": f.updated, "unchanged": f.unchanged, "rejected": f.rejected, "status": f.status})


def child_pandas(file: Path, db: Path, encoding: str | None, template: Path) -> None:
    """The plain pandas route: read with pandas, transform in pandas, CREATE TABLE AS SELECT * FROM df."""
    import duckdb
    import numpy as np
    import pandas as pd

    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    with duckdb.connect(str(template), read_only=True) as con:
        grids = con.execute("select grid_code, community_code, street_code from dim_grids").df()
    started = time.perf_counter()
    if file.suffix == ".xlsx":
        df = pd.read_excel(file, engine="calamine", skiprows=2, dtype={"工单编号": str, "来电号码": str, "网格编号": str})
    else:
        df = pd.read_csv(file, encoding=encoding, skiprows=2, dtype=str)
    t_read = time.perf_counter() - started
    df = df.rename(columns=CANON)
    df = df[df["received_at"].notna()].copy()  # the totals row
    for name in TIMES:
        col = df[name]
        if pd.api.types.is_datetime64_any_dtype(col):
            continue
        parsed = pd.to_datetime(col, format="%Y-%m-%d %H:%M:%S", errors="coerce")
        retry = parsed.isna() & col.notna()
        parsed[retry] = pd.to_datetime(col[retry], format="%Y/%m/%d %H:%M", errors="coerce")
        df[name] = parsed
    df["is_resolved"] = df["is_resolved"].map({"是": True, "否": False})
    df["satisfaction"] = df["satisfaction"].where(df["satisfaction"].isin(["满意", "基本满意", "不满意"]))
    df["status"] = df["status"].replace({"办结": "已办结", "退单": "已退单", "在办": "办理中"})
    df["source"] = df["source"].fillna("12345热线")
    df = df.merge(grids, on="grid_code", how="left")
    df["has_timeline_error"] = ((df["resolved_at"] < df["received_at"]) | (df["dispatched_at"] < df["received_at"])
                                | (df["responded_at"] < df["received_at"])).fillna(False)
    df["feed"] = "hotline"
    df["handling_level"] = np.nan
    t_transform = time.perf_counter() - started - t_read
    with duckdb.connect(str(db)) as con:
        con.execute("create table fct_tickets as select * from df")
        con.execute("checkpoint")
    seconds = time.perf_counter() - started
    benchlib.report({"seconds": round(seconds, 2), "rows": len(df), "phases": {
        "read": round(t_read, 2), "transform": round(t_transform, 2), "ctas": round(seconds - t_read - t_transform, 2)}})


def child_raw(file: Path, db: Path, encoding: str | None) -> None:
    """The ceiling: the fastest read of the file into a DuckDB table, every column as text, nothing else."""
    import duckdb

    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    started = time.perf_counter()
    con = duckdb.connect(str(db))
    extra: dict = {}
    if file.suffix == ".xlsx":
        import fastexcel

        # What etl/readers.py reads an XLSX sheet with: every cell as text, an Arrow batch (not in DuckDB).
        sheet = fastexcel.read_excel(str(file)).load_sheet(0, header_row=None, skip_rows=0, dtypes="string")
        n = sheet.to_arrow().num_rows - 3
        how = "fastexcel sheet to Arrow text columns (not in DuckDB)"
    elif encoding in ("utf-8", "utf-8-sig"):
        read = "select * from read_csv(?, skip=2, header=true, all_varchar=true, ignore_errors=true)"
        # The same read into an in-memory table, nothing written to disk: the ceiling the issue names
        # (about 250 MB/s); writing the table to a file adds its compression and I/O.
        memory = duckdb.connect()
        in_memory = time.perf_counter()
        memory.execute(f"create table raw as {read}", [str(file)])
        extra["memory_seconds"] = round(time.perf_counter() - in_memory, 2)
        memory.close()
        started = time.perf_counter()
        con.execute(f"create table raw as {read}", [str(file)])
        how = "DuckDB read_csv(all_varchar) into a table"
        n = con.execute("select count(*) from raw").fetchall()[0][0]
    else:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        with open(file, encoding="gb18030") as f:
            for _ in range(2):
                f.readline()
            names = f.readline().strip().split(",")
        reader = pacsv.open_csv(file, read_options=pacsv.ReadOptions(encoding="gb18030", skip_rows=3, column_names=names),
                                parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip"),
                                convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                                     strings_can_be_null=True))
        con.execute("create table raw as select * from reader")
        how = "pyarrow open_csv(gb18030) streamed into DuckDB"
        n = con.execute("select count(*) from raw").fetchall()[0][0]
    con.execute("checkpoint")
    con.close()
    benchlib.report({"seconds": round(time.perf_counter() - started, 2), "rows": n, "how": how, **extra})


# ------------------------------------------------------------------------------------------------- parent

def build_template(say) -> Path:
    """A warehouse holding the demo district only (grids, compounds, inspections), loaded once."""
    import bench_data

    template = OUT / "template_places.duckdb"
    stamp = OUT / "template_places.json"
    stamp.parent.mkdir(parents=True, exist_ok=True)
    import hashlib

    # Rebuilt when the schema changes: a stale template would lack new warehouse columns.
    schema = hashlib.sha256((ROOT / "etl" / "sql" / "schema.sql").read_bytes()).hexdigest()[:16]
    key = {"version": bench_data.VERSION, "seed": bench_data.SEED, "schema": schema}
    if template.exists() and stamp.exists() and json.loads(stamp.read_text()) == key:
        return template
    from etl.load import load_files

    template.unlink(missing_ok=True)
    started = time.perf_counter()
    load_files(bench_data.place_files(), db_path=template, loaded_by="bench")
    stamp.write_text(json.dumps(key))
    say(f"template warehouse (district only) built in {time.perf_counter() - started:.1f} s")
    return template


def run(kind: str, file: Path, db: Path, encoding: str | None = None, template: Path | None = None) -> dict:
    args = [str(Path(__file__)), "--child", kind, "--file", str(file), "--db", str(db)]
    if encoding:
        args += ["--encoding", encoding]
    if template:
        args += ["--template", str(template)]
    result = benchlib.run_child(args)
    result.update(kind=kind, file=file.name, bytes=file.stat().st_size)
    if "seconds" in result:
        result["mb_s"] = round(file.stat().st_size / 1e6 / result["seconds"], 1)
    return result


def describe(r: dict) -> str:
    if "error" in r:
        return f"ERROR {r['error']}"
    rows = r.get("rows_read") or r.get("rows") or 0
    return (f"{r['seconds']:7.1f} s  {r['mb_s']:6.1f} MB/s  {rows / r['seconds']:9,.0f} rows/s  "
            f"peak {r['peak_rss_mb']:7,.0f} MB  {r.get('phases') or r.get('how') or ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default=os.environ.get("BENCH_ROWS", "1000000,5000000"),
                        help="comma-separated ticket counts (env BENCH_ROWS)")
    parser.add_argument("--xlsx-rows", type=int, default=int(os.environ.get("BENCH_XLSX_ROWS", "200000")))
    parser.add_argument("--no-baselines", action="store_true", help="skip the pandas and raw-read runs")
    parser.add_argument("--reload-rows", type=int, default=None,
                        help="size of the 10%%-changed reload (default: the smallest of --rows; 0: skip)")
    parser.add_argument("--formats", default="utf8,gbk,xlsx", help="which exports to load (default all: utf8,gbk,xlsx)")
    parser.add_argument("--routes", default="ours,pandas,raw", help="which routes to time (default all: ours,pandas,raw)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the runs of the previous bench_etl.json that this invocation does not repeat")
    parser.add_argument("--keep", action="store_true", help="keep every result warehouse (default: only the largest UTF-8 one, for bench_pages)")
    parser.add_argument("--render", action="store_true", help="only rewrite bench_etl.md from bench_etl.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--encoding", help=argparse.SUPPRESS)
    parser.add_argument("--template", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render:  # rewrite bench_etl.md from bench_etl.json (after editing notes into the json by hand)
        saved = json.loads((OUT / "bench_etl.json").read_text())
        return print(benchlib.write_section("bench_etl", markdown(saved, ""), saved))
    if args.child == "ours":
        return child_ours(args.file, args.db, args.template)
    if args.child == "pandas":
        return child_pandas(args.file, args.db, args.encoding, args.template)
    if args.child == "raw":
        return child_raw(args.file, args.db, args.encoding)

    import bench_data

    sizes = sorted(int(x) for x in args.rows.split(","))
    say = lambda m: print(m, flush=True)  # noqa: E731
    info = benchlib.machine()
    say(f"machine: {info}")
    t0 = time.perf_counter()
    reload_rows = sizes[0] if args.reload_rows is None else args.reload_rows
    manifest = bench_data.ensure(sizes, args.xlsx_rows, say=say, reload_rows=reload_rows)
    say(f"exports ready ({time.perf_counter() - t0:.0f} s; cached in {OUT})")
    template = build_template(say)
    work = OUT / "etl"
    earlier = set(work.glob("*.duckdb*"))  # warehouses kept by earlier runs (a 5M one takes minutes to build)
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": info, "sizes": sizes, "xlsx_rows": args.xlsx_rows, "runs": [],
                     "memory_cap_gb": benchlib.memory_cap_gb(), "commands": []}
    command = ("python bench/bench_etl.py " + " ".join(sys.argv[1:])).strip()
    previous_runs: list[dict] = []
    if args.merge and (OUT / "bench_etl.json").exists():
        previous = json.loads((OUT / "bench_etl.json").read_text())
        previous_runs = previous.get("runs", [])
        results["sizes"] = sorted(set(previous.get("sizes", [])) | set(sizes))
        results["xlsx_rows"] = args.xlsx_rows or previous.get("xlsx_rows", 0)
        results["commands"] = previous.get("commands", [])
        results["earlier_machine"] = previous.get("machine")
    results["commands"].append(f"{command}  (load average at start {info['loadavg']})")

    def record(label: str, r: dict, **extra) -> dict:
        r.update(label=label, **extra)
        # A merged earlier run with the same label is replaced by this one.
        results["runs"] = [x for x in previous_runs + results["runs"] if x["label"] != label]
        previous_runs.clear()
        results["runs"].append(r)
        say(f"{label:38s} {describe(r)}")
        # Written after every run, so an interrupted run still leaves its figures.
        benchlib.write_section("bench_etl", markdown(results, command), results)
        return r

    formats = set(args.formats.split(","))
    routes = set(args.routes.split(",")) - ({"pandas", "raw"} if args.no_baselines else set())
    for n in sizes:
        p = bench_data.paths(n)
        for enc_label, file, encoding in (("UTF-8", p["utf8"], "utf-8"), ("GBK", p["gbk"], "gb18030")):
            if enc_label.lower().replace("-", "") not in formats:
                continue
            db = work / f"wh_{n}_{enc_label.lower().replace('-', '')}.duckdb"
            if "ours" in routes:
                record(f"{n:,} {enc_label} ours", run("ours", file, db, template=template), rows=n, fmt=enc_label, route="ours")
            if "pandas" in routes:
                record(f"{n:,} {enc_label} pandas route", run("pandas", file, work / "pandas.duckdb", encoding, template),
                       rows=n, fmt=enc_label, route="pandas")
            if "raw" in routes:
                record(f"{n:,} {enc_label} raw read (ceiling)", run("raw", file, work / "raw.duckdb", encoding),
                       rows=n, fmt=enc_label, route="raw")
        if n == reload_rows and "utf8" in formats and "ours" in routes:
            # Reload: the same tickets, 10% changed, over the warehouse the UTF-8 load just published.
            base = work / f"wh_{n}_utf8.duckdb"
            reload_db = work / f"wh_{n}_reload.duckdb"
            shutil.copyfile(base, reload_db)
            record(f"{n:,} reload 10% changed", run("ours", p["changed"], reload_db), rows=n, fmt="UTF-8", route="reload")
            reload_db.unlink(missing_ok=True)
    if args.xlsx_rows and "xlsx" in formats:
        x = bench_data.xlsx_path(args.xlsx_rows)
        n = args.xlsx_rows
        if "ours" in routes:
            record(f"{n:,} XLSX ours", run("ours", x, work / "wh_xlsx.duckdb", template=template), rows=n, fmt="XLSX", route="ours")
        if "pandas" in routes:
            record(f"{n:,} XLSX pandas route", run("pandas", x, work / "pandas.duckdb", None, template), rows=n, fmt="XLSX", route="pandas")
        if "raw" in routes:
            record(f"{n:,} XLSX raw read (ceiling)", run("raw", x, work / "raw.duckdb"), rows=n, fmt="XLSX", route="raw")

    # Keep the largest UTF-8 warehouse for bench_pages; drop the rest this run wrote unless --keep (those
    # earlier runs kept stay: a 1M run must not delete the 5M warehouse bench_pages reads).
    keep = work / f"wh_{max(results['sizes'])}_utf8.duckdb"
    if not args.keep:
        for db in set(work.glob("*.duckdb*")) - earlier:
            if db != keep:
                db.unlink(missing_ok=True)
    results["pages_warehouse"] = str(keep)
    results["total_seconds"] = round(time.perf_counter() - t0, 1)
    benchlib.write_section("bench_etl", markdown(results, command), results)
    say(f"written {OUT / 'bench_etl.md'}")


def markdown(results: dict, command: str) -> str:
    runs = results["runs"]

    def find(route: str, fmt: str, rows: int) -> dict | None:
        return next((r for r in runs if r.get("route") == route and r.get("fmt") == fmt and r.get("rows") == rows), None)

    def fmt_run(r: dict | None, field: str) -> str:
        if r is None:
            return "not run"
        if "error" in r:
            return f"error: {r['error']}"
        return {"s": f"{r['seconds']:.1f} s", "mb_s": f"{r['mb_s']:.1f} MB/s", "peak": f"{r['peak_rss_mb']:,.0f} MB",
                "rows_s": f"{(r.get('rows_read') or r.get('rows') or 0) / r['seconds']:,.0f} rows/s"}[field]

    commands = results.get("commands") or [command]
    out = ["## ETL: loading hotline exports end to end", "",
           "Commands: " + "; ".join(f"`{c.split('  (')[0]}` ({c.split('  (')[1]}" if "  (" in c else f"`{c}`" for c in commands)
           + f". {results['machine']['nproc']} cores, {results['machine']['ram_gib']} GiB. Each run is one child process "
           "(peak = its own VmHWM; address space capped at "
           f"{results.get('memory_cap_gb', 0):g} GB so a runaway run fails instead of starving the shared machine"
           f"{results.get('cap_note', '')}). "
           "\"ours\" = `etl.load.load_files` into a fresh warehouse holding only the demo "
           "district: read, detect, stage and check, place, upsert with history, calendar, marts, contracts, publish. "
           "Each figure is one run.", ""]
    rows = []
    largest = max(results["sizes"])
    for n in results["sizes"]:
        for fmt, target_key in (("UTF-8", "utf8_mb_s"), ("GBK", "gbk_mb_s")):
            ours, pandas, raw = find("ours", fmt, n), find("pandas", fmt, n), find("raw", fmt, n)
            target = TARGETS[target_key]
            ok = ours is not None and "error" not in ours and ours["mb_s"] >= target
            rows.append([f"{n:,} {fmt}: throughput end to end", f"≥ {target} MB/s", fmt_run(ours, "mb_s"),
                         met(ok if ours else None), f"{fmt_run(ours, 's')}, {fmt_run(ours, 'rows_s')}" if ours else ""])
            if pandas and ours and "error" not in pandas and "error" not in ours:
                ratio = pandas["seconds"] / ours["seconds"]
                rows.append([f"{n:,} {fmt}: vs pandas route", "≥ 3×", f"{ratio:.2f}×", met(ratio >= TARGETS["vs_pandas"]),
                             f"pandas {fmt_run(pandas, 's')}, peak {fmt_run(pandas, 'peak')}"])
            if raw and ours and "error" not in raw and "error" not in ours:
                memory = (f"; in memory, nothing written: {raw['bytes'] / 1e6 / raw['memory_seconds']:.0f} MB/s"
                          if raw.get("memory_seconds") else "")
                rows.append([f"{n:,} {fmt}: share of the raw-read ceiling", "—",
                             f"{ours['mb_s'] / raw['mb_s']:.0%}", "—", f"raw {fmt_run(raw, 'mb_s')} ({raw.get('how')}{memory})"])
            if ours and "error" not in ours:
                peak_ok = ours["peak_rss_mb"] < TARGETS["peak_mb_5m"] if n >= 5_000_000 else None
                rows.append([f"{n:,} {fmt}: peak memory", "< 2 GB at 5M" if n >= 5_000_000 else "(target is at 5M)",
                             fmt_run(ours, "peak"), met(peak_ok), ""])
    reload = find("reload", "UTF-8", min(results["sizes"]))
    if reload:
        ok = "error" not in reload and reload["seconds"] < TARGETS["reload_s"]
        rows.append([f"reload {min(results['sizes']):,} tickets, 10% changed", "< 15 s", fmt_run(reload, "s"), met(ok),
                     f"{reload.get('updated', 0):,} updated, {reload.get('unchanged', 0):,} unchanged; peak {fmt_run(reload, 'peak')}"])
    xo = find("ours", "XLSX", results["xlsx_rows"])
    if xo:
        ok = "error" not in xo and xo["seconds"] < TARGETS["xlsx_s"]
        xp = find("pandas", "XLSX", results["xlsx_rows"])
        ratio = f"; pandas route {fmt_run(xp, 's')}" if xp else ""
        rows.append([f"XLSX {results['xlsx_rows']:,} rows end to end", "< 6 s", fmt_run(xo, "s"), met(ok),
                     f"{fmt_run(xo, 'rows_s')}, peak {fmt_run(xo, 'peak')}{ratio}"])
    out += [table(["figure", "target", "measured", "met?", "detail"], rows), ""]

    out += ["Every run (phases from the load's own progress messages: read = detect + read + plan; "
            "stage = stage, check, place, upsert with history; marts = calendar, marts, contracts, checkpoint, publish):", ""]
    detail = []
    for r in runs:
        if "error" in r:
            detail.append([r["label"], "error", "", "", "", r["error"]])
            continue
        phases = r.get("phases") or {}
        detail.append([r["label"], f"{r['bytes'] / 1e6:,.0f} MB", f"{r['seconds']:.1f} s", f"{r['mb_s']:.1f}",
                       f"{(r.get('rows_read') or r.get('rows') or 0) / r['seconds']:,.0f}", f"{r['peak_rss_mb']:,.0f} MB",
                       ", ".join(f"{k} {v}" for k, v in phases.items()) or r.get("how", "")])
    out += [table(["run", "file", "time", "MB/s", "rows/s", "peak RSS", "phases (s) / how"], detail), ""]
    out.append(f"Generated files: cached in `bench/out/` (`python bench/bench_data.py --rows {','.join(map(str, results['sizes']))}`); "
               f"the {largest:,}-ticket UTF-8 warehouse is kept for `bench/bench_pages.py`.")
    return "\n".join(out)


if __name__ == "__main__":
    main()
