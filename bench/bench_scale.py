"""Issue 10's proof at scale: a synthetic warehouse of N tickets (default 50M), its marts, a published
snapshot, and the page queries on three readers.

    python bench/bench_scale.py --tickets 50000000 --repeat 5

Steps, each timed (wall clock, peak RSS of this process):
1. fill: N tickets shaped like a district (bench/bench_marts.py's generator: 8 streets, 680 grids,
   3 years, 5 sources), straight into DuckDB with SQL (the ETL's own speed is bench_etl.py's job);
2. marts: ``etl.marts.build_marts`` on the N tickets (the monthly rebuild a load triggers);
3. publish: ``etl.publish.publish`` (Parquet, tickets by month, zstd): seconds and bytes;
4. queries: the big screen's and the rate pages' named queries for the newest month, ``--repeat``
   times each, on (a) DuckDB reading the warehouse file (the embedded default), (b) DuckDB reading
   the snapshot's Parquet files, (c) ClickHouse's engine (chdb) reading the same files, through
   ``onescreen.engine``. p50 and p95 per query; the baseline ratio is against (a) in the same run.

Results: bench/out/bench_scale.md and .json; the figures are copied into docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402
from bench_marts import FILL  # noqa: E402
from benchlib import OUT  # noqa: E402
from etl import publish  # noqa: E402
from etl.calendar import build_calendar  # noqa: E402
from etl.marts import build_marts  # noqa: E402
from onescreen import db  # noqa: E402
from onescreen.engine import ChdbBackend, ClickHouseCursor  # noqa: E402
from onescreen.queries import run_query  # noqa: E402
from onescreen.rules import load_rules  # noqa: E402


def calls(month: date) -> list[tuple[str, dict]]:
    """What the big screen, the rates page and the heat page ask for the newest month."""
    last = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    span = {"start": month, "end": date.fromordinal(last.toordinal() - 1)}
    return [
        ("as_of", {}), ("kpi_tiles", {"period_start": month}), ("kpi_tiles", {"period_start": month, "street_code": "S1"}),
        ("rates_trend", {"period_type": "month"}), ("rates_breakdown", {"period_start": month, "level": "grid"}),
        ("grid_lights", {"period_start": month}), ("light_share_over_time", {"period_type": "month"}),
        ("company_rankings", {"month": month}), ("overdue_list", {}), ("category_mix", {"period_start": month}),
        ("escalation_shares", {"period_start": month}), ("handling_time_distribution", {"period_start": month}),
        ("ticket_list", {"received_from": month, "received_before": last, "limit": 200}),
        ("grid_ticket_density", span), ("weekday_hour_counts", span), ("recurring_problems", span),
    ]


def timed(step: str, say, func):
    started = time.perf_counter()
    value = func()
    seconds = time.perf_counter() - started
    say(f"{step}: {seconds:.1f} s, peak RSS {benchlib.peak_rss_mb():,.0f} MB")
    return value, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=50_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path, default=OUT / "scale", help="scratch folder (bench/out/scale)")
    parser.add_argument("--keep", action="store_true", help="reuse a warehouse and snapshot left in --work")
    args = parser.parse_args()
    say = lambda m: print(m, flush=True)  # noqa: E731
    info = benchlib.machine()
    say(f"machine: {info}")
    args.work.mkdir(parents=True, exist_ok=True)
    path = args.work / f"wh_{args.tickets}.duckdb"
    folder = args.work / f"snapshots_{args.tickets}"
    results: dict = {"machine": info, "tickets": args.tickets, "repeat": args.repeat}

    if not (args.keep and path.exists()):
        path.unlink(missing_ok=True)
        con = duckdb.connect(str(path))
        con.execute(f"set temp_directory = '{args.work / 'spill'}'")
        con.execute((ROOT / "etl" / "sql" / "schema.sql").read_text(encoding="utf-8"))
        _, results["fill_s"] = timed(f"fill {args.tickets:,} tickets", say,
                                     lambda: con.execute(FILL.replace("{n}", str(args.tickets))))
        build_calendar(con, date(2022, 1, 1), date(2026, 12, 31))
        _, results["marts_s"] = timed("build_marts", say, lambda: build_marts(con, load_rules()))
        results["marts_peak_rss_mb"] = benchlib.peak_rss_mb()
        con.execute("checkpoint")
        con.close()
    results["warehouse_gb"] = path.stat().st_size / 1e9
    if not (args.keep and publish.current(folder)):
        shutil.rmtree(folder, ignore_errors=True)
        snapshot, results["publish_s"] = timed("publish", say, lambda: publish.publish(path, folder))
    else:
        snapshot = publish.current(folder)
    results["snapshot_gb"] = sum(t["bytes"] for t in snapshot.tables.values()) / 1e9
    results["partitions"] = snapshot.tables["fct_tickets"]["partitions"]
    say(f"warehouse {results['warehouse_gb']:.2f} GB; snapshot {results['snapshot_gb']:.2f} GB "
        f"in {results['partitions']} month partitions")

    file_con = duckdb.connect(str(path), read_only=True)
    month = file_con.execute("select max(period_start) from mart_rates where period_type = 'month'").fetchone()[0]
    snapshot_con = db._open_snapshot(snapshot)
    backend = ChdbBackend(snapshot.id, snapshot.path, {n: t["path"] for n, t in snapshot.tables.items()})
    readers = {"duckdb_file": lambda: file_con.cursor(), "duckdb_snapshot": lambda: snapshot_con.cursor(),
               "chdb_snapshot": lambda: ClickHouseCursor(backend)}
    rows = []
    for name, params in calls(month):
        row = {"query": name, "params": {k: str(v) for k, v in params.items()}}
        for reader, cursor in readers.items():
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                run_query(cursor(), name, **params)
                times.append(1000 * (time.perf_counter() - started))
            row[reader] = {"p50": benchlib.percentile(times, 50), "p95": benchlib.percentile(times, 95)}
        say(f"  {name:28s} " + "  ".join(f"{r} p50 {row[r]['p50']:8.1f} p95 {row[r]['p95']:8.1f} ms" for r in readers))
        rows.append(row)
    results["queries"] = rows
    command = "python bench/bench_scale.py " + " ".join(sys.argv[1:])
    benchlib.write_section("bench_scale", markdown(results, command), results)
    say(f"written {OUT / 'bench_scale.md'}")


def markdown(results: dict, command: str) -> str:
    readers = ("duckdb_file", "duckdb_snapshot", "chdb_snapshot")
    lines = [f"Command: `{command}`; {results['tickets']:,} tickets; {results['repeat']} runs per query.", ""]
    steps = [["fill (SQL generator)", results.get("fill_s")], ["build_marts", results.get("marts_s")],
             ["publish snapshot", results.get("publish_s")]]
    lines.append(benchlib.table(["step", "seconds"], [[s, f"{v:.1f}" if v is not None else "reused"] for s, v in steps]))
    lines += ["", f"Warehouse file {results['warehouse_gb']:.2f} GB; snapshot {results['snapshot_gb']:.2f} GB "
              f"({results['partitions']} month partitions, zstd).", ""]
    table_rows = []
    for row in results["queries"]:
        base = row["duckdb_file"]["p50"]
        table_rows.append([row["query"], *[f"{row[r]['p50']:.1f} / {row[r]['p95']:.1f}" for r in readers],
                           *[f"{row[r]['p50'] / base:.1f}×" if base else "—" for r in readers[1:]]])
    lines.append(benchlib.table(["query", "DuckDB file p50/p95 ms", "DuckDB snapshot p50/p95 ms",
                                 "chdb snapshot p50/p95 ms", "snapshot ÷ file (p50)", "chdb ÷ file (p50)"], table_rows))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
