"""Run the benchmarks and write their results into docs/benchmarks.md (``make bench``).

    python bench/run_all.py                          # 1M and 5M tickets (an hour or more on 2 cores; the 5M load needs ~15 GB)
    python bench/run_all.py --rows 1000000           # quicker (env BENCH_ROWS works too)
    python bench/run_all.py --only pages             # just the pages benchmark, on the warehouse kept before
    python bench/run_all.py --assemble               # rewrite docs/benchmarks.md from bench/out/*.md only

Runs bench/bench_etl.py, bench/bench_pages.py and bench/bench_browser.py (each in its own process; each
writes its section to bench/out/<name>.md), then writes docs/benchmarks.md: the machine, the load average at the start (the
machine may be shared: say so), the commands, and the sections. Only the part between the
``<!-- bench:begin -->`` and ``<!-- bench:end -->`` markers is replaced, so other sections of the file
(such as the load test's) stay as they are. Not part of the tests.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402
from benchlib import OUT  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
SECTIONS = ("bench_etl", "bench_pages", "bench_browser")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default=os.environ.get("BENCH_ROWS", "1000000,5000000"))
    parser.add_argument("--xlsx-rows", default=os.environ.get("BENCH_XLSX_ROWS", "200000"))
    parser.add_argument("--only", choices=("etl", "pages", "browser"), action="append")
    parser.add_argument("--assemble", action="store_true", help="only rewrite docs/benchmarks.md from bench/out")
    args = parser.parse_args()
    info = benchlib.machine()
    print(f"machine: {info}", flush=True)
    started = time.perf_counter()
    if not args.assemble:
        chosen = args.only or ["etl", "pages", "browser"]
        if "etl" in chosen:
            _run(["bench/bench_etl.py", "--rows", args.rows, "--xlsx-rows", args.xlsx_rows])
        if "pages" in chosen:
            _run(["bench/bench_pages.py"])
        if "browser" in chosen:
            if Path("/usr/bin/chromium").exists():
                _run(["bench/bench_browser.py"])
            else:
                print("no /usr/bin/chromium: browser benchmark skipped (apt-get install chromium)", flush=True)
    assemble(info, time.perf_counter() - started, assembled_only=args.assemble)
    print(f"written {DOC}")


def _run(args: list[str]) -> None:
    print(f"$ python {' '.join(args)}", flush=True)
    code = subprocess.call([sys.executable, *args], cwd=ROOT)
    if code:
        print(f"{args[0]} exited with {code}; its section keeps the last results written", flush=True)


def assemble(info: dict, seconds: float, assembled_only: bool = False) -> None:
    how = (f"Assembled by `python bench/run_all.py --assemble` on {info['date']} from the sections the benchmarks wrote"
           if assembled_only else
           f"Written by `python bench/run_all.py` on {info['date']} (load average when it started: {info['loadavg']}"
           + (f"; it took {seconds / 60:.0f} min)" if seconds > 60 else ")"))
    parts = [BEGIN, "",
             "## Benchmarks (`make bench`)", "",
             f"{how}. Machine: {info['nproc']} cores ({info['cpu']}), "
             f"{info['ram_gib']} GiB RAM, Python {info['python']}, DuckDB {info.get('duckdb')}, pandas {info.get('pandas')}, "
             f"pyarrow {info.get('pyarrow')}, Streamlit {info.get('streamlit')}, python-calamine {info.get('python_calamine')}; "
             f"code {info.get('code')} when assembled (the commits each run used are in the notes).", "",
             "Each benchmark's own section gives its command and the load average when it started. The figures are "
             "single runs on a shared machine (see the notes after this block): read them as orders of magnitude, not as exact values.", ""]
    for name in SECTIONS:
        path = OUT / f"{name}.md"
        if path.exists():
            parts += [path.read_text(encoding="utf-8").strip(), ""]
        else:
            parts += [f"## {name}", "", f"Not run (no bench/out/{name}.md).", ""]
    parts.append(END)
    block = "\n".join(parts)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
