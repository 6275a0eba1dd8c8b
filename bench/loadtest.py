"""Load and soak test (issue 9): many real browser sessions against one `streamlit run` server.

    .venv/bin/python bench/loadtest.py                       # 3 rounds × 30 sessions, then a 60-minute soak
    .venv/bin/python bench/loadtest.py --soak-minutes 10     # a shorter soak
    .venv/bin/python bench/loadtest.py --soak-minutes 0      # the rounds only

Load: each round opens ``--sessions`` browser sessions at once (Playwright, Debian's chromium, one
context per session, spread over ``--browsers`` chromium processes), a mix of the big screen in kiosk
mode (1920×1080), 三率分析 and 工单明细. Every session measures its first render (navigation start
until the script state is ``notRunning`` and every map, chart and table is drawn), then one rerun:
a filter change (统计周期 月 -> 周) on the analysis pages, a full rerun (the ``r`` key) on the big
screen. All sessions stay open until the whole round is done. A session fails on a timeout, an
exception element, an error box or a page error. The server's RSS is sampled throughout.

Soak: one big-screen session rerun every ``--soak-interval`` seconds (5) for ``--soak-minutes``
(60), the server's RSS and the tab's JS heap sampled; growth is measured from the end of the first
tenth of the run (warm caches) to the end.

The client (chromium) and the server share this machine's cores, so the figures measure the pair;
the server's load average at the start is printed with them. Figures go to stdout and to
``bench/out/loadtest.md`` (git-ignored). The server reads ``$ONESCREEN_DB`` (or ``--warehouse``) and
runs in demo mode (no users file) unless ``--users`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# What a session opens, the element that means the page has content, and how it reruns.
KINDS = {
    "bigscreen": {"path": "/?kiosk=1", "viewport": (1920, 1080), "ready": ".os-tile", "rerun": "key"},
    "rates": {"path": "/rates", "viewport": (1600, 1000), "ready": "h1", "rerun": "filter"},
    "tickets": {"path": "/tickets", "viewport": (1600, 1000), "ready": "h1", "rerun": "filter"},
}

# True (and the time) once the script has finished and every map, chart and table is drawn.
READY_JS = """(ready) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (!document.querySelector(ready)) return false;
    if (document.querySelector('[data-testid="stSkeleton"]')) return false;  // an element's code still loading
    const decks = [...document.querySelectorAll('[data-testid="stDeckGlJsonChart"]')];
    if (!decks.every(d => { const c = d.querySelector('canvas'); return c && c.getBoundingClientRect().height > 50; })) return false;
    if (![...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(p => p.querySelector('.main-svg'))) return false;
    if (![...document.querySelectorAll('[data-testid="stDataFrame"]')].every(t => t.querySelector('canvas'))) return false;
    window.__osDone = performance.now();
    return true;
}"""
# Records every change of the script state with its time, so a rerun that ends quickly is not missed.
OBSERVE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__osRuns = [];
    new MutationObserver(() => window.__osRuns.push([performance.now(), app.getAttribute('data-test-script-state')]))
        .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    return performance.now();
}"""
# A quick rerun can go rerunRequested -> notRunning in one React commit, so any state other than
# notRunning after the mark counts as "the rerun started".
STARTED_JS = """(mark) => window.__osRuns.some(r => r[0] >= mark && r[1] !== 'notRunning')"""
RERUN_DONE_JS = """([mark, ready]) => window.__osRuns.some(r => r[0] >= mark && r[1] !== 'notRunning')
    && (""" + READY_JS + """)(ready)"""
# Why a wait timed out: the script state and which drawings were still missing.
STATE_JS = """(ready) => {
    const app = document.querySelector('[data-testid="stApp"]');
    return JSON.stringify({state: app && app.getAttribute('data-test-script-state'), ready: !!document.querySelector(ready),
        decks: [...document.querySelectorAll('[data-testid="stDeckGlJsonChart"] canvas')].map(c => Math.round(c.getBoundingClientRect().height)),
        plots: [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map(p => !!p.querySelector('.main-svg')),
        tables: [...document.querySelectorAll('[data-testid="stDataFrame"]')].map(t => !!t.querySelector('canvas')),
        skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
        runs: (window.__osRuns || []).slice(-4)});
}"""
ERRORS_JS = """() => [
    ...[...document.querySelectorAll('[data-testid="stException"]')].map(e => 'exception: ' + e.innerText.slice(0, 200)),
    ...[...document.querySelectorAll('[data-testid="stAlertContentError"]')].map(e => 'error box: ' + e.innerText.slice(0, 200)),
]"""


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (psutil when installed, else /proc)."""
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / 1048576
    except ImportError:
        pass
    except Exception:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time a process has used so far, in seconds (/proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, ValueError, IndexError):
        return None


class Server:
    """`python -m onescreen.serve app.py` on a free port, as `make run` and the tests start it; its RSS and CPU
    time on demand."""

    def __init__(self, warehouse: Path, users: Path | None, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "ONESCREEN_DB": str(warehouse),
            # Demo mode unless a users file is given: a path that does not exist means "no users file".
            "ONESCREEN_USERS": str(users) if users else "demo",
            "ONESCREEN_AUDIT": str(OUT / "loadtest-audit.jsonl"),
            "PYTHONUNBUFFERED": "1",
        }
        command = [sys.executable, "-m", "onescreen.serve", "app.py", "--server.port", str(self.port),
                   "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
                   "--browser.gatherUsageStats", "false"]
        self.log = open(log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"错误：streamlit 启动失败（退出码 {self.proc.returncode}），见 {log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit(f"错误：streamlit 90 秒内没有响应，见 {log_path}")

    def rss(self) -> float | None:
        return rss_mb(self.proc.pid)

    def cpu(self) -> float | None:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)
        self.log.close()


# --- sessions -----------------------------------------------------------------------------------


@dataclass
class SessionResult:
    kind: str
    first_render_s: float | None = None
    rerun_s: float | None = None
    error: str = ""


@dataclass
class RoundResult:
    number: int
    sessions: list[SessionResult]
    rss_before_mb: float | None
    rss_peak_mb: float | None
    rss_after_mb: float | None
    wall_s: float
    # CPU seconds the server used from the round's start until it had noticed the closed sessions: the work
    # the round cost it, steadier from run to run than the latencies on a shared machine.
    server_cpu_s: float | None = None


async def open_session(browser, base_url: str, kind: str):
    width, height = KINDS[kind]["viewport"]
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    # Nothing may leave localhost (the tests assert it); refuse rather than wait on an offline machine.
    await context.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost)"), lambda route: route.abort("blockedbyclient"))
    page = await context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)[:200]))
    return context, page, page_errors


async def first_render(page, base_url: str, kind: str, timeout_ms: int) -> float:
    """Seconds from navigation start until the page is fully drawn (measured in the page)."""
    spec = KINDS[kind]
    await page.goto(base_url + spec["path"], wait_until="commit", timeout=timeout_ms)
    await page.wait_for_function(READY_JS, arg=spec["ready"], timeout=timeout_ms, polling=100)
    return await page.evaluate("window.__osDone") / 1000


async def rerun(page, kind: str, timeout_ms: int) -> float:
    """Seconds from a filter change (or the ``r`` key) until the rerun is fully drawn."""
    spec = KINDS[kind]
    mark = await page.evaluate(OBSERVE_JS)
    if spec["rerun"] == "filter":
        radio = page.locator('[data-testid="stSidebar"] [role="radiogroup"] label').filter(has_text=re.compile("^周$"))
        await radio.click(timeout=timeout_ms)
        try:
            await page.wait_for_function(STARTED_JS, arg=mark, timeout=30_000, polling=100)
        except Exception:
            # The click landed before the widget listened (seen under heavy load): click once more;
            # the time keeps running from the first click.
            await radio.click(timeout=timeout_ms)
    else:
        await page.keyboard.press("r")
    await page.wait_for_function(RERUN_DONE_JS, arg=[mark, spec["ready"]], timeout=timeout_ms, polling=100)
    return (await page.evaluate("window.__osDone") - mark) / 1000


class RoundGate:
    """Sessions arrive here once measured (or failed); all are released together when every one has."""

    def __init__(self, total: int):
        self.total, self.arrived, self.event = total, 0, asyncio.Event()

    def arrive(self) -> None:
        self.arrived += 1
        if self.arrived >= self.total:
            self.event.set()

    async def arrive_and_wait(self) -> None:
        self.arrive()
        await self.event.wait()


async def run_session(browser, base_url: str, kind: str, gate: RoundGate, timeout_ms: int) -> SessionResult:
    result = SessionResult(kind)
    context = None
    arrived = False
    phase, page = "open", None
    try:
        context, page, page_errors = await open_session(browser, base_url, kind)
        phase = "first render"
        result.first_render_s = await first_render(page, base_url, kind, timeout_ms)
        phase = "rerun"
        result.rerun_s = await rerun(page, kind, timeout_ms)
        problems = await page.evaluate(ERRORS_JS) + [f"page error: {e}" for e in page_errors]
        if problems:
            result.error = "; ".join(problems)[:300]
        # Stay connected until every session of the round is done: they are concurrent throughout.
        arrived = True
        await gate.arrive_and_wait()
    except Exception as error:  # a timeout or a crashed page is a failed session, not a crashed run
        result.error = f"{phase}: {type(error).__name__}: {str(error).splitlines()[0][:200]}"
        if page is not None:
            try:
                await page.screenshot(path=str(OUT / f"loadtest-failed-{kind}.png"))
                result.error += f" (state {await page.evaluate(STATE_JS, KINDS[kind]['ready'])})"
            except Exception:
                pass
    finally:
        if not arrived:
            gate.arrive()
        if context is not None:
            await context.close()
    return result


async def sample_rss(server: Server | None, samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        value = server.rss() if server else None
        if value is not None:
            samples.append(value)
        try:
            await asyncio.wait_for(stop.wait(), timeout=0.5)
        except TimeoutError:
            pass


async def run_round(browsers, base_url: str, server: Server | None, number: int, sessions: int,
                    timeout_ms: int) -> RoundResult:
    kinds = [list(KINDS)[i % len(KINDS)] for i in range(sessions)]
    rss_before = server.rss() if server else None
    samples: list[float] = []
    stop = asyncio.Event()
    gate = RoundGate(sessions)
    sampler = asyncio.create_task(sample_rss(server, samples, stop))
    cpu_before = server.cpu() if server else None
    started = time.monotonic()
    results = await asyncio.gather(*(run_session(browsers[i % len(browsers)], base_url, kind, gate, timeout_ms)
                                     for i, kind in enumerate(kinds)))
    wall = time.monotonic() - started
    await asyncio.sleep(3)  # let the server notice the closed sessions
    stop.set()
    await sampler
    return RoundResult(number, list(results), rss_before, max(samples) if samples else None,
                       server.rss() if server else None, wall, cpu_used(server, cpu_before))


def cpu_used(server: Server | None, before: float | None) -> float | None:
    """The server's CPU seconds since ``before`` (None without a server we started)."""
    after = server.cpu() if server else None
    return after - before if after is not None and before is not None else None


async def warm_up(browser, base_url: str, timeout_ms: int) -> None:
    """One session of each kind, one after the other: caches filled before the measured rounds."""
    for kind in KINDS:
        result = await run_session(browser, base_url, kind, RoundGate(1), timeout_ms)
        if result.error:
            print(f"  预热 {kind} 失败：{result.error}")


# --- soak ---------------------------------------------------------------------------------------


@dataclass
class SoakResult:
    minutes: float
    interval_s: float
    reruns: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    rss: list[tuple[float, float]] = field(default_factory=list)   # (minutes, MB)
    heap: list[tuple[float, float]] = field(default_factory=list)  # (minutes, MB)


async def soak(browser, base_url: str, server: Server | None, minutes: float, interval_s: float,
               timeout_ms: int) -> SoakResult:
    result = SoakResult(minutes, interval_s)
    context, page, page_errors = await open_session(browser, base_url, "bigscreen")
    cdp = await context.new_cdp_session(page)
    await cdp.send("Performance.enable")
    try:
        await first_render(page, base_url, "bigscreen", timeout_ms)
        started = time.monotonic()
        end = started + minutes * 60
        next_sample = started
        while time.monotonic() < end:
            tick = time.monotonic()
            try:
                result.reruns.append(await rerun(page, "bigscreen", timeout_ms))
                problems = await page.evaluate(ERRORS_JS) + [f"page error: {e}" for e in page_errors]
                page_errors.clear()
                if problems:
                    result.failures.append("; ".join(problems)[:200])
            except Exception as error:
                result.failures.append(f"{type(error).__name__}: {str(error).splitlines()[0][:200]}")
            now = time.monotonic()
            if now >= next_sample:
                at = (now - started) / 60
                if server and (value := server.rss()) is not None:
                    result.rss.append((at, value))
                metrics = {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}
                result.heap.append((at, metrics.get("JSHeapUsedSize", 0) / 1048576))
                next_sample = now + 30
            await asyncio.sleep(max(0.0, interval_s - (time.monotonic() - tick)))
        if server and (value := server.rss()) is not None:
            result.rss.append(((time.monotonic() - started) / 60, value))
    finally:
        await context.close()
    return result


# --- figures ------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank) of the values, or None."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def fmt(value: float | None, unit: str = "", digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}{unit}"


def growth(points: list[tuple[float, float]], minutes: float) -> tuple[float | None, float | None, float | None]:
    """(start, end, growth %) from the end of the first tenth of the run (warm caches) to the end."""
    if len(points) < 2:
        return None, None, None
    warm = [v for t, v in points if t >= minutes / 10] or [points[-1][1]]
    start, end = warm[0], points[-1][1]
    return start, end, 100 * (end - start) / start if start else None


def round_rows(rounds: list[RoundResult]) -> list[list[str]]:
    rows = []
    for r in rounds:
        first = [s.first_render_s for s in r.sessions if s.first_render_s is not None]
        filters = [s.rerun_s for s in r.sessions if s.rerun_s is not None and KINDS[s.kind]["rerun"] == "filter"]
        keys = [s.rerun_s for s in r.sessions if s.rerun_s is not None and KINDS[s.kind]["rerun"] == "key"]
        failed = sum(1 for s in r.sessions if s.error)
        rows.append([str(r.number), str(len(r.sessions)), str(failed), fmt(pct(first, 50), " s"), fmt(pct(first, 95), " s"),
                     fmt(pct(filters, 50), " s"), fmt(pct(filters, 95), " s"), fmt(pct(keys, 95), " s"),
                     fmt(r.rss_before_mb, "", 0), fmt(r.rss_peak_mb, "", 0), fmt(r.rss_after_mb, "", 0), fmt(r.wall_s, " s", 1),
                     fmt(r.server_cpu_s, " s", 1)])
    return rows


def markdown(args, command: str, warehouse_note: str, load_before: str, rounds: list[RoundResult],
             soak_result: SoakResult | None, baseline_rss: float | None) -> str:
    lines = [
        f"### Load and soak ({datetime.now():%Y-%m-%d %H:%M})",
        "",
        f"Command: `{command}`  ",
        f"Machine: {os.cpu_count()} cores, load average at start {load_before}; server and chromium on the same "
        f"machine; {args.browsers} chromium process(es). Warehouse: {warehouse_note}.  ",
        "Mix per round: big screen (kiosk, 1920×1080), 三率分析, 工单明细 in turn. First render: navigation start until "
        "the script is idle and every map, chart and table is drawn. Rerun: 统计周期 月→周 on the analysis pages; "
        "the `r` key (full rerun) on the big screen.",
        "",
        f"Server RSS after warm-up (one session of each kind): {fmt(baseline_rss, ' MB', 0)}.",
        "",
        "| round | sessions | failed | first render p50 | p95 | filter rerun p50 | p95 | big-screen rerun p95 "
        "| RSS before MB | RSS peak MB | RSS after MB | round wall | server CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in round_rows(rounds)]
    errors = [f"{r.number}/{s.kind}: {s.error}" for r in rounds for s in r.sessions if s.error]
    if errors:
        lines += ["", "Failed sessions:", *[f"- {e}" for e in errors[:20]]]
    every_first = [s.first_render_s for r in rounds for s in r.sessions if s.first_render_s is not None]
    every_filter = [s.rerun_s for r in rounds for s in r.sessions
                    if s.rerun_s is not None and KINDS[s.kind]["rerun"] == "filter"]
    if rounds:
        failed = sum(1 for r in rounds for s in r.sessions if s.error)
        lines += ["", f"All rounds: {failed} failed of {sum(len(r.sessions) for r in rounds)}; first render p95 "
                      f"{fmt(pct(every_first, 95), ' s')} (target < 3 s); filter rerun p95 {fmt(pct(every_filter, 95), ' s')} "
                      "(target < 1 s)."]
    if soak_result:
        start, end, change = growth(soak_result.rss, soak_result.minutes)
        heap_start, heap_end, heap_change = growth(soak_result.heap, soak_result.minutes)
        lines += [
            "",
            f"Soak: one big-screen session (kiosk), a full rerun every {soak_result.interval_s:g} s for "
            f"{soak_result.minutes:g} min: {len(soak_result.reruns)} reruns, {len(soak_result.failures)} failed; rerun p50 "
            f"{fmt(pct(soak_result.reruns, 50), ' s')}, p95 {fmt(pct(soak_result.reruns, 95), ' s')}. Server RSS "
            f"{fmt(start, ' MB', 0)} → {fmt(end, ' MB', 0)} ({fmt(change, '%', 1)}; target < 10% over an hour); "
            f"the tab's JS heap {fmt(heap_start, ' MB', 1)} → {fmt(heap_end, ' MB', 1)} ({fmt(heap_change, '%', 1)}). "
            "Growth is measured from the end of the first tenth of the run.",
            "",
            "Server RSS samples (min: MB): " + ", ".join(f"{t:.1f}: {v:.0f}" for t, v in soak_result.rss[:: max(1, len(soak_result.rss) // 12)]),
        ]
        if soak_result.failures:
            lines += ["", "Soak failures:", *[f"- {f}" for f in soak_result.failures[:10]]]
    return "\n".join(lines) + "\n"


# --- main ---------------------------------------------------------------------------------------


def warehouse_description(path: Path) -> str:
    try:
        import duckdb

        con = duckdb.connect(str(path), read_only=True)
        try:
            count = con.execute("select count(*) from fct_tickets").fetchone()[0]
        finally:
            con.close()
        return f"{path} ({count:,} tickets)"
    except Exception as error:  # the figures are still worth having
        return f"{path} (ticket count unavailable: {type(error).__name__})"


async def main_async(args, server: Server | None, base_url: str) -> tuple[list[RoundResult], SoakResult | None, float | None]:
    from playwright.async_api import async_playwright

    timeout_ms = int(args.timeout * 1000)
    async with async_playwright() as playwright:
        browsers = [await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                    for _ in range(args.browsers)]
        try:
            print("预热：每种页面打开一次……", flush=True)
            await warm_up(browsers[0], base_url, timeout_ms)
            baseline = server.rss() if server else None
            print(f"  服务器内存（预热后）：{fmt(baseline, ' MB', 0)}", flush=True)
            rounds = []
            for number in range(1, args.rounds + 1):
                print(f"第 {number}/{args.rounds} 轮：{args.sessions} 个会话同时打开……", flush=True)
                result = await run_round(browsers, base_url, server, number, args.sessions, timeout_ms)
                rounds.append(result)
                row = round_rows([result])[0]
                print(f"  失败 {row[2]}；首屏 p50 {row[3]}，p95 {row[4]}；筛选重跑 p50 {row[5]}，p95 {row[6]}；"
                      f"大屏重跑 p95 {row[7]}；服务器内存 {row[8]} → 峰值 {row[9]} → {row[10]} MB；本轮 {row[11]}", flush=True)
                for s in result.sessions:
                    if s.error:
                        print(f"  失败会话 {s.kind}：{s.error}", flush=True)
            soak_result = None
            if args.soak_minutes > 0:
                print(f"浸泡测试：一个大屏会话，每 {args.soak_interval:g} 秒重跑一次，共 {args.soak_minutes:g} 分钟……", flush=True)
                soak_result = await soak(browsers[0], base_url, server, args.soak_minutes, args.soak_interval, timeout_ms)
                start, end, change = growth(soak_result.rss, soak_result.minutes)
                print(f"  重跑 {len(soak_result.reruns)} 次，失败 {len(soak_result.failures)}；重跑 p95 "
                      f"{fmt(pct(soak_result.reruns, 95), ' s')}；服务器内存 {fmt(start, ' MB', 0)} → {fmt(end, ' MB', 0)}"
                      f"（{fmt(change, '%', 1)}）", flush=True)
            return rounds, soak_result, baseline
        finally:
            for browser in browsers:
                await browser.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--sessions", type=int, default=30, help="concurrent sessions per round (30)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of concurrent sessions (3)")
    parser.add_argument("--browsers", type=int, default=1, help="chromium processes the sessions are spread over (1)")
    parser.add_argument("--soak-minutes", type=float, default=60, help="soak length in minutes; 0 skips it (60)")
    parser.add_argument("--soak-interval", type=float, default=5, help="seconds between big-screen reruns in the soak (5)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds a session may wait for a render (180)")
    parser.add_argument("--warehouse", type=Path, help="warehouse file (default: $ONESCREEN_DB or data/warehouse.duckdb)")
    parser.add_argument("--users", type=Path, help="users file for the server (default: none, demo mode)")
    parser.add_argument("--url", help="use a running server at this address instead of starting one (no RSS figures)")
    parser.add_argument("--out", type=Path, default=OUT / "loadtest.md", help="markdown fragment (bench/out/loadtest.md)")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.rounds < 0 or args.browsers < 1 or args.soak_interval <= 0:
        parser.error("--sessions and --browsers must be at least 1, --rounds at least 0, --soak-interval positive")
    if args.users and args.users.exists():
        parser.error("a users file means every session must log in; the load test drives demo mode only")
    return args


def _interrupt(signum, frame) -> None:
    """SIGTERM as Ctrl-C: the finally blocks still stop the server and the browsers."""
    raise KeyboardInterrupt


def begin(args, argv: list[str] | None, script: str) -> tuple[Path, str, str] | None:
    """What a load test starts with: the warehouse (None, said why, when it does not exist), the command
    line and the load average; prints them and turns SIGTERM into Ctrl-C."""
    from onescreen import settings

    warehouse = (args.warehouse or settings.warehouse_path()).resolve()
    if not args.url and not warehouse.is_file():
        print(f"错误：数据仓库 {warehouse} 不存在：先运行 python -m etl demo，或用 --warehouse 指定。")
        return None
    OUT.mkdir(parents=True, exist_ok=True)
    command = f"python {script} " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    load_before = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"机器：{os.cpu_count()} 核，负载 {load_before}；数据仓库：{warehouse_description(warehouse)}", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    return warehouse, command, load_before


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"错误：找不到 {CHROMIUM}：apt-get install chromium fonts-noto-cjk（不要运行 playwright install）。")
        return 1
    started = begin(args, argv, "bench/loadtest.py")
    if started is None:
        return 1
    warehouse, command, load_before = started
    server = None if args.url else Server(warehouse, args.users, OUT / "loadtest-server.log")
    base_url = args.url.rstrip("/") if args.url else server.url
    try:
        rounds, soak_result, baseline = asyncio.run(main_async(args, server, base_url))
    finally:
        if server:
            server.stop()
    text = markdown(args, command.strip(), warehouse_description(warehouse), load_before, rounds, soak_result, baseline)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"已写入 {args.out}")
    failed = sum(1 for r in rounds for s in r.sessions if s.error) + (len(soak_result.failures) if soak_result else 0)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
