"""Browser benchmark: time until the big screen is fully drawn, and the largest websocket message.

    python bench/bench_browser.py                      # the warehouse bench_etl.py kept (largest UTF-8 load)
    python bench/bench_browser.py --db path/to/warehouse.duckdb --runs 3
    git worktree add /tmp/before HEAD~1 && python bench/bench_browser.py --against /tmp/before   # a change, A/B

Starts the dashboard (``python -m onescreen.serve app.py``, as ``make run`` does) on a free localhost port against the warehouse (demo mode: no users file),
opens ``/?kiosk=1`` at 1920×1080 in Debian's chromium through Playwright (never ``playwright install``),
and measures, per run in a fresh browser context: navigation start → the script finished
(``data-test-script-state="notRunning"``) → no loading skeleton left, every pydeck canvas and plotly chart drawn. The first run
is the server's first session (cold caches); later runs hit ``st.cache_data``. Every websocket frame
the server sends is measured; the largest is reported (target < 3 MB; time to draw < 3 s).
With ``--against`` another checkout of the app serves the same warehouse beside this one and their page
loads alternate in one browser (``--loads`` each): a before/after measured at the same moments.
Results: bench/out/bench_browser.{md,json}.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402
from bench_pages import default_db  # noqa: E402
from benchlib import OUT, met, table  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Streamlit stands a skeleton in for an element whose code is still loading (the map, a chart, a table):
# while one is left, the screen is not drawn (the lists below can be empty then, and every() is true).
DRAWN_JS = """() => {
    if (document.querySelector('[data-testid="stSkeleton"]')) return false;
    const decks = [...document.querySelectorAll('[data-testid="stDeckGlJsonChart"]')];
    const plots = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    // The big screen (its centre column's foot: the wall pages have tiles too, and no map) is not drawn before
    // its map is: a deck.gl canvas, or the wall's SVG.
    const bigScreen = document.querySelector('.st-key-os_centre_foot');
    if (bigScreen && !document.querySelector('.os-svg-map svg path, [data-testid="stDeckGlJsonChart"] canvas')) return false;
    return decks.every(d => { const c = d.querySelector('canvas'); return c && c.getBoundingClientRect().height > 50; })
        && plots.every(p => p.querySelector('.main-svg'));
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=os.environ.get("BENCH_PAGES_DB") or default_db())
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--path", default="/?kiosk=1")
    parser.add_argument("--against", type=Path, help="another checkout of the app: alternate page loads with it "
                        "(both servers up at once) and report both")
    parser.add_argument("--loads", type=int, default=10, help="warm page loads of each side with --against")
    args = parser.parse_args()
    if args.db is None or not Path(args.db).exists() or not Path(CHROMIUM).exists():
        sys.exit("Need a warehouse (bench/bench_etl.py keeps one, or --db) and /usr/bin/chromium.")
    import duckdb

    db_path = Path(args.db).resolve()
    with duckdb.connect(str(db_path), read_only=True) as con:
        n_tickets = con.execute("select count(*) from fct_tickets").fetchall()[0][0]
    info = benchlib.machine()
    print(f"machine: {info}\nwarehouse {db_path}: {n_tickets:,} tickets", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench_browser_"))
    env = {**os.environ, "ONESCREEN_DB": str(db_path), "ONESCREEN_USERS": "demo",
           "ONESCREEN_AUDIT": str(scratch / "audit.jsonl")}
    print("the big screen:", flush=True)
    runs = measure(ROOT / "app.py", args.path, args.runs, env, scratch / "server.log", screenshot=True)
    # The floor: Streamlit's own page and this browser on this machine, with nothing of ours in it.
    baseline_app = scratch / "baseline.py"
    baseline_app.write_text('import streamlit as st\n\nst.set_page_config(layout="wide")\nst.title("基线")\n',
                            encoding="utf-8")
    print("baseline (an empty Streamlit page):", flush=True)
    baseline = measure(baseline_app, "/", args.runs, env, scratch / "baseline.log")
    results = {"machine": info, "db": str(db_path), "tickets": n_tickets, "runs": runs, "baseline": baseline}
    if args.against:
        print(f"against {args.against} (page loads alternated):", flush=True)
        results["against"] = compare(args.against.resolve(), args.path, args.loads, env, scratch)
    command = "python bench/bench_browser.py " + " ".join(sys.argv[1:])
    benchlib.write_section("bench_browser", markdown(results, command.strip()), results)
    print(f"written {OUT / 'bench_browser.md'}")


@contextlib.contextmanager
def serve(app: Path, env: dict, log_path: Path, root: Path = ROOT):
    """``python -m onescreen.serve app`` (``streamlit run app`` with the libraries loaded first) from ``root``
    (its .streamlit/config.toml applies) on a free localhost port; yields the base URL once the server answers."""
    port = _free_port()
    log = open(log_path, "w")
    # As `make run` starts it; a checkout from before onescreen.serve existed (--against) the way it was started then.
    launcher = ["onescreen.serve"] if (root / "onescreen" / "serve.py").exists() else ["streamlit", "run"]
    server = subprocess.Popen([sys.executable, "-m", *launcher, str(app), "--server.port", str(port),
                               "--server.address", "127.0.0.1", "--server.headless", "true",
                               "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
                              cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def load(browser, url: str, screenshot: Path | None = None) -> dict:
    """One page load of ``url`` in a fresh browser context: seconds until the script finished and until
    everything was drawn, and the websocket frames the server sent."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    frames: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(len(payload))))
    started = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded", timeout=180_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached",
                           timeout=180_000)
    script_done = time.perf_counter() - started
    page.wait_for_function(DRAWN_JS, timeout=180_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    drawn = time.perf_counter() - started
    if screenshot is not None:
        page.screenshot(path=str(screenshot))
    context.close()
    return {"script_done_s": round(script_done, 2), "drawn_s": round(drawn, 2), "ws_frames": len(frames),
            "ws_largest_mb": round(max(frames or [0]) / 1e6, 3), "ws_total_mb": round(sum(frames) / 1e6, 3)}


def measure(app: Path, path: str, runs: int, env: dict, log_path: Path, screenshot: bool = False) -> list[dict]:
    """``runs`` page loads of ``path`` on one server, each in a fresh browser context."""
    from playwright.sync_api import sync_playwright

    results = []
    with serve(app, env, log_path) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for i in range(runs):
            run = {"run": i + 1, **load(browser, base + path, OUT / "bench_browser_overview.png" if i == 0 and screenshot else None)}
            results.append(run)
            print(f"  run {i + 1}: script done {run['script_done_s']:.2f} s, drawn {run['drawn_s']:.2f} s, "
                  f"{run['ws_frames']} ws frames, largest {run['ws_largest_mb']:.2f} MB, total {run['ws_total_mb']:.2f} MB",
                  flush=True)
        browser.close()
    return results


def compare(other: Path, path: str, loads: int, env: dict, scratch: Path) -> dict:
    """This checkout against ``other`` (another checkout of the app, e.g. ``git worktree add /tmp/old HEAD~1``):
    both servers up at once, their page loads alternated in one browser (this VM's speed drifts by tens of
    percent over minutes, so runs far apart in time do not compare). One warm-up load each, then ``loads``."""
    from playwright.sync_api import sync_playwright

    drawn: dict[str, list[float]] = {"this": [], "other": []}
    with serve(ROOT / "app.py", env, scratch / "this.log") as this, \
            serve(other / "app.py", env, scratch / "other.log", root=other) as that, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        bases = {"this": this, "other": that}
        for i in range(loads + 1):
            for name in ("this", "other") if i % 2 else ("other", "this"):
                seconds = load(browser, bases[name] + path)["drawn_s"]
                if i:
                    drawn[name].append(seconds)
        browser.close()
    summary = {name: {"min": min(xs), "median": statistics.median(xs), "all": xs} for name, xs in drawn.items()}
    print(f"  this checkout: drawn median {summary['this']['median']:.2f} s (min {summary['this']['min']:.2f}); "
          f"{other}: median {summary['other']['median']:.2f} s (min {summary['other']['min']:.2f})", flush=True)
    return {"path": str(other), "loads": loads, **summary}


def markdown(results: dict, command: str) -> str:
    runs = results["runs"]
    m = results["machine"]
    first, later = runs[0], runs[1:]
    best_later = min((r["drawn_s"] for r in later), default=None)
    largest = max(r["ws_largest_mb"] for r in runs)
    rows = [
        ["big screen fully drawn, first session (cold caches)", "< 3 s", f"{first['drawn_s']:.2f} s", met(first["drawn_s"] < 3)],
        ["big screen fully drawn, later sessions (cached)", "< 3 s",
         f"{best_later:.2f} s (best of {len(later)})" if later else "not run", met(best_later < 3) if later else "—"],
        ["largest websocket message", "< 3 MB", f"{largest:.2f} MB", met(largest < 3)],
    ]
    baseline = results.get("baseline") or []
    if baseline:
        floor = min(r["drawn_s"] for r in baseline)
        rows.append(["baseline: an empty Streamlit page drawn, same browser (best of "
                     f"{len(baseline)})", "—", f"{floor:.2f} s", "—"])
        if later:
            rows.append(["big screen (cached) / empty page", "—", f"{best_later / floor:.1f}×", "—"])
    out = ["## Browser: the big screen at scale", "",
           f"Command: `{command}` on `{Path(results['db']).name}` ({results['tickets']:,} tickets; load average at start "
           f"{m['loadavg']}). `python -m onescreen.serve app.py` (`streamlit run`, as `make run` starts it) in demo mode, Debian chromium (software rendering, "
           "`--disable-gpu`) through Playwright, `/?kiosk=1` at 1920×1080, a fresh browser context per run.", "",
           table(["figure", "target", "measured", "met?"], rows), "",
           *_against_table(results.get("against")),
           table(["run", "script finished", "fully drawn", "ws frames", "largest frame", "all frames"],
                 [[r["run"], f"{r['script_done_s']:.2f} s", f"{r['drawn_s']:.2f} s", r["ws_frames"],
                   f"{r['ws_largest_mb']:.2f} MB", f"{r['ws_total_mb']:.2f} MB"] for r in runs]
                 + [[f"baseline {r['run']}", f"{r['script_done_s']:.2f} s", f"{r['drawn_s']:.2f} s", r["ws_frames"],
                     f"{r['ws_largest_mb']:.2f} MB", f"{r['ws_total_mb']:.2f} MB"] for r in baseline]), ""]
    return "\n".join(out)


def _against_table(against: dict | None) -> list[str]:
    if not against:
        return []
    this, other = against["this"], against["other"]
    return [f"Against `{against['path']}`: both servers up at once, {against['loads']} warm page loads each, "
            "alternated in one browser:", "",
            table(["checkout", "drawn, median", "drawn, min", "every load (s)"],
                  [["this one", f"{this['median']:.2f} s", f"{this['min']:.2f} s", ", ".join(f"{x:.2f}" for x in this["all"])],
                   ["the other", f"{other['median']:.2f} s", f"{other['min']:.2f} s", ", ".join(f"{x:.2f}" for x in other["all"])],
                   ["this / the other", f"{this['median'] / other['median']:.2f}×", f"{this['min'] / other['min']:.2f}×", ""]]),
            ""]


if __name__ == "__main__":
    main()
