"""The server's half of the load test: many sessions speaking Streamlit's own protocol, no browser.

    .venv/bin/python bench/loadtest_server.py                  # 3 rounds × 30 sessions on the demo warehouse
    .venv/bin/python bench/loadtest_server.py --sessions 60    # more sessions
    .venv/bin/python bench/loadtest_server.py --rounds 0 --soak-minutes 60   # one big screen rerunning for an hour
    .venv/bin/python bench/loadtest_server.py --replicas 2     # the same through nginx and 2 replicas (deploy/replicas.py)

``bench/loadtest.py`` drives real chromium tabs, and on a 2-core machine 30 tabs drawing plotly and
deck.gl in software starve the server of CPU: what it measures is the browsers. This script opens the
same mix of sessions (the big screen in kiosk mode, 三率分析, 工单明细) as websocket clients of
``/_stcore/stream``, the way the browser does: each sends the first run (page and query string), and
the clock stops when the server says the script finished, every element of the page sent. Then one
rerun: 统计周期 月→周 (the widget state a click sends) on the analysis pages, a full rerun on the big
screen. All sessions of a round stay connected until the round is done. A session fails on a
timeout, an exception element, an error box, or a script that did not finish successfully.

Figures are the server's side only: what a page costs the server for 30 concurrent users, without the
drawing a user's own machine does (about 1-2 s per page in chromium here: ``bench/bench_browser.py``).
With ``--soak-minutes``: afterwards one big-screen session reruns every ``--soak-interval`` seconds
for that long, and the server's memory is sampled (growth from the end of the first tenth of the run).
With ``--replicas N`` the server is N replicas behind nginx (``deploy/replicas.py``, as ``make replicas``):
each replica is warmed up directly, then the rounds go through nginx, which spreads cookie-less
websockets round robin; RSS and CPU are the replicas' together.
Results: printed, and a markdown fragment in bench/out/loadtest_server.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_replicas import MemoryOf  # noqa: E402
from loadtest import (OUT, RoundGate, RoundResult, Server, SessionResult, SoakResult, begin, cpu_used, fmt,  # noqa: E402
                      growth, pct, round_rows, sample_rss, warehouse_description)

from deploy.replicas import ReplicasError  # noqa: E402  (loadtest put the project root on the path)

# What a session opens (the page's url path, "" for the home page, and its query string) and how it reruns.
KINDS = {
    "bigscreen": {"page": "", "query": "kiosk=1", "rerun": "full"},
    "rates": {"page": "rates", "query": "", "rerun": "filter"},
    "tickets": {"page": "tickets", "query": "", "rerun": "filter"},
}
FILTER_LABEL, FILTER_VALUE = "统计周期", "周"


@dataclass
class Run:
    """One script run: seconds until script_finished, and the problems it showed."""

    seconds: float
    problems: list[str]
    radio_id: str | None
    periods: list[str]  # the options of the sidebar's 周期 box: months, or weeks after the rerun


@dataclass
class Client:
    """One browser session's websocket, speaking BackMsg / ForwardMsg."""

    ws: object
    kind: str
    query: str
    widget_states: dict = field(default_factory=dict)

    async def run(self, timeout_s: float) -> Run:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        message = BackMsg()
        message.rerun_script.query_string = self.query
        message.rerun_script.page_name = KINDS[self.kind]["page"]
        for widget_id, value in self.widget_states.items():
            state = message.rerun_script.widget_states.widgets.add()
            state.id = widget_id
            state.string_value = value
        started = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        problems: list[str] = []
        radio_id, periods = None, []
        deadline = started + timeout_s
        while True:
            data = await asyncio.wait_for(self.ws.recv(), timeout=max(0.1, deadline - time.perf_counter()))
            forward = ForwardMsg()
            forward.ParseFromString(data)
            kind = forward.WhichOneof("type")
            if kind == "page_info_changed":
                self.query = forward.page_info_changed.query_string  # the app rewrote its URL
            elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                element = forward.delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    problems.append(f"exception: {element.exception.message[:150]}")
                elif which == "alert" and element.alert.format == element.alert.ERROR:
                    problems.append(f"error box: {element.alert.body[:150]}")
                elif which == "radio" and element.radio.label == FILTER_LABEL:
                    radio_id = element.radio.id
                elif which == "selectbox" and element.selectbox.label == "周期":
                    periods = list(element.selectbox.options)
            elif kind == "script_finished":
                seconds = time.perf_counter() - started
                if forward.script_finished != forward.FINISHED_SUCCESSFULLY:
                    problems.append(f"script finished with status {forward.script_finished}")
                return Run(seconds, problems, radio_id, periods)


async def run_session(url: str, kind: str, gate: RoundGate, timeout_s: float) -> SessionResult:
    import websockets

    result = SessionResult(kind)
    arrived = False
    phase = "connect"
    try:
        async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=timeout_s) as ws:
            client = Client(ws, kind, KINDS[kind]["query"])
            phase = "first run"
            first = await client.run(timeout_s)
            result.first_render_s = first.seconds
            if KINDS[kind]["rerun"] == "filter":
                if first.radio_id is None:
                    raise RuntimeError(f"no {FILTER_LABEL} radio on the page")
                client.widget_states[first.radio_id] = FILTER_VALUE
            phase = "rerun"
            rerun = await client.run(timeout_s)
            result.rerun_s = rerun.seconds
            if KINDS[kind]["rerun"] == "filter" and (not rerun.periods or rerun.periods == first.periods):
                rerun.problems.append(f"the rerun did not switch to weeks (周期 options {rerun.periods[:2]})")
            if first.problems or rerun.problems:
                result.error = "; ".join(first.problems + rerun.problems)[:300]
            arrived = True
            await gate.arrive_and_wait()  # connected until every session of the round is done
    except Exception as error:  # a timeout or a dropped connection is a failed session, not a crashed run
        result.error = f"{phase}: {type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
    finally:
        if not arrived:
            gate.arrive()
    return result


async def run_round(url: str, server: Server | None, number: int, sessions: int, timeout_s: float) -> RoundResult:
    kinds = [list(KINDS)[i % len(KINDS)] for i in range(sessions)]
    rss_before = server.rss() if server else None
    samples: list[float] = []
    done = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(server, samples, done))
    gate = RoundGate(sessions)
    cpu_before = server.cpu() if server else None
    started = time.monotonic()
    results = await asyncio.gather(*(run_session(url, kind, gate, timeout_s) for kind in kinds))
    wall = time.monotonic() - started
    await asyncio.sleep(3)  # let the server notice the closed sessions
    done.set()
    await sampler
    return RoundResult(number, list(results), rss_before, max(samples) if samples else None,
                       server.rss() if server else None, wall, cpu_used(server, cpu_before))


async def soak(url: str, server: Server | None, minutes: float, interval_s: float, timeout_s: float) -> SoakResult:
    """One big-screen session, a full rerun every ``interval_s`` for ``minutes``; the server's RSS each 30 s."""
    import websockets

    result = SoakResult(minutes, interval_s)
    async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=timeout_s) as ws:
        client = Client(ws, "bigscreen", KINDS["bigscreen"]["query"])
        first = await client.run(timeout_s)
        if first.problems:
            raise SystemExit(f"错误：浸泡测试的大屏首次运行失败：{'; '.join(first.problems)}")
        started = time.monotonic()
        end, next_sample = started + minutes * 60, started
        while time.monotonic() < end:
            tick = time.monotonic()
            try:
                run = await client.run(timeout_s)
                result.reruns.append(run.seconds)
                if run.problems:
                    result.failures.append("; ".join(run.problems)[:200])
            except Exception as error:
                result.failures.append(f"{type(error).__name__}: {str(error)[:200]}")
            now = time.monotonic()
            if now >= next_sample and server and (value := server.rss()) is not None:
                result.rss.append(((now - started) / 60, value))
                next_sample = now + 30
            await asyncio.sleep(max(0.0, interval_s - (time.monotonic() - tick)))
    if server and (value := server.rss()) is not None:
        result.rss.append(((time.monotonic() - started) / 60, value))
    return result


def soak_text(result: SoakResult) -> str:
    start, end, change = growth(result.rss, result.minutes)
    samples = result.rss[:: max(1, len(result.rss) // 12)] + result.rss[-1:]
    return (f"Soak: one big-screen session (kiosk), a full rerun every {result.interval_s:g} s for {result.minutes:g} min: "
            f"{len(result.reruns)} reruns, {len(result.failures)} failed; rerun p50 {fmt(pct(result.reruns, 50), ' s')}, "
            f"p95 {fmt(pct(result.reruns, 95), ' s')}. Server RSS {fmt(start, ' MB', 0)} → {fmt(end, ' MB', 0)} "
            f"({fmt(change, '%', 1)}; target < 10% over an hour), from the end of the first tenth of the run. "
            "Samples (min: MB): " + ", ".join(f"{t:.1f}: {v:.0f}" for t, v in samples) + ".")


def markdown(command: str, warehouse_note: str, load_before: str, rounds: list[RoundResult], solo: dict[str, float],
             baseline_rss: float | None, soak_result: SoakResult | None = None, server_note: str | None = None) -> str:
    lines = [
        f"### Server load, protocol level ({datetime.now():%Y-%m-%d %H:%M})",
        "",
        f"Command: `{command}`  ",
        f"Machine: {os.cpu_count()} cores, load average at start {load_before}; no browser: websocket clients in one "
        f"Python process beside the server{f' ({server_note})' if server_note else ''}. Warehouse: {warehouse_note}.  ",
        "Mix per round: big screen (kiosk), 三率分析, 工单明细 in turn. First run: the page's first script run, from "
        "sending it until the server reports the script finished (every element sent). Rerun: 统计周期 月→周 on the "
        "analysis pages, a full rerun on the big screen.",
        "",
        "One session alone, after the warm-up (first run): "
        + "; ".join(f"{kind} {fmt(seconds, ' s')}" for kind, seconds in solo.items())
        + f". Server RSS after the warm-up: {fmt(baseline_rss, ' MB', 0)}.",
    ]
    if rounds:
        lines += ["", "| round | sessions | failed | first run p50 | p95 | filter rerun p50 | p95 | big-screen rerun p95 "
                      "| RSS before MB | RSS peak MB | RSS after MB | round wall | server CPU |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        lines += ["| " + " | ".join(row) + " |" for row in round_rows(rounds)]
    errors = [f"{r.number}/{s.kind}: {s.error}" for r in rounds for s in r.sessions if s.error]
    if errors:
        lines += ["", "Failed sessions:", *[f"- {e}" for e in errors[:20]]]
    if rounds:
        every_first = [s.first_render_s for r in rounds for s in r.sessions if s.first_render_s is not None]
        every_rerun = [s.rerun_s for r in rounds for s in r.sessions if s.rerun_s is not None]
        failed = sum(1 for r in rounds for s in r.sessions if s.error)
        lines += ["", f"All rounds: {failed} failed of {sum(len(r.sessions) for r in rounds)}; first run p95 "
                      f"{fmt(pct(every_first, 95), ' s')}; rerun p95 {fmt(pct(every_rerun, 95), ' s')}. "
                      "(The issue's targets, first render < 3 s and rerun < 1 s at p95, include the browser's drawing.)"]
    if soak_result is not None:
        lines += ["", soak_text(soak_result)]
        if soak_result.failures:
            lines += ["", "Soak failures:", *[f"- {f}" for f in soak_result.failures[:10]]]
    return "\n".join(lines) + "\n"


async def main_async(args, server: Server | None, url: str, warm: list[str] | None = None
                     ) -> tuple[list[RoundResult], dict[str, float], float | None, SoakResult | None]:
    for replica in warm or []:  # each replica's caches filled directly: nginx would spread the warm-up
        for kind in KINDS:
            result = await run_session(replica, kind, RoundGate(1), args.timeout)
            if result.error:
                raise SystemExit(f"错误：预热副本 {replica} 时 {kind} 失败：{result.error}")
    print("预热：每种页面打开一次……", flush=True)
    solo: dict[str, float] = {}
    for kind in KINDS:  # caches filled, then each page alone on a warm server
        for attempt in range(2):
            result = await run_session(url, kind, RoundGate(1), args.timeout)
            if result.error:
                raise SystemExit(f"错误：预热时 {kind} 失败：{result.error}")
            solo[kind] = result.first_render_s
    baseline = server.rss() if server else None
    print("  单个会话首次运行：" + "；".join(f"{k} {fmt(v, ' s')}" for k, v in solo.items())
          + f"；服务器内存 {fmt(baseline, ' MB', 0)}", flush=True)
    rounds = []
    for number in range(1, args.rounds + 1):
        print(f"第 {number}/{args.rounds} 轮：{args.sessions} 个会话同时打开……", flush=True)
        result = await run_round(url, server, number, args.sessions, args.timeout)
        rounds.append(result)
        row = round_rows([result])[0]
        print(f"  失败 {row[2]}；首次运行 p50 {row[3]}，p95 {row[4]}；筛选重跑 p50 {row[5]}，p95 {row[6]}；"
              f"大屏重跑 p95 {row[7]}；服务器内存 {row[8]} → 峰值 {row[9]} → {row[10]} MB；本轮 {row[11]}", flush=True)
        for s in result.sessions:
            if s.error:
                print(f"  失败会话 {s.kind}：{s.error}", flush=True)
    soak_result = None
    if args.soak_minutes > 0:
        print(f"浸泡测试：一个大屏会话，每 {args.soak_interval:g} 秒重跑一次，共 {args.soak_minutes:g} 分钟……", flush=True)
        soak_result = await soak(url, server, args.soak_minutes, args.soak_interval, args.timeout)
        print("  " + soak_text(soak_result), flush=True)
    return rounds, solo, baseline, soak_result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--sessions", type=int, default=30, help="concurrent sessions per round (30)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of concurrent sessions (3)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds a script run may take (180)")
    parser.add_argument("--soak-minutes", type=float, default=0, help="then a big-screen soak this long (0: none)")
    parser.add_argument("--soak-interval", type=float, default=5, help="seconds between the soak's reruns (5)")
    parser.add_argument("--warehouse", type=Path, help="warehouse file (default: $ONESCREEN_DB or data/warehouse.duckdb)")
    parser.add_argument("--url", help="a running server (http://host:port) instead of starting one (no RSS figures)")
    parser.add_argument("--replicas", type=int, default=0,
                        help="start this many replicas behind nginx (deploy/replicas.py) instead of one server")
    parser.add_argument("--out", type=Path, default=OUT / "loadtest_server.md", help="markdown fragment")
    args = parser.parse_args(argv)
    if args.replicas and args.url:
        parser.error("--replicas starts its own servers: leave out --url")
    if args.sessions < 1 or args.rounds < 0 or args.timeout <= 0 or args.soak_interval <= 0 or args.soak_minutes < 0 or args.replicas < 0:
        parser.error("--sessions must be at least 1, --rounds and --soak-minutes at least 0, --timeout and --soak-interval positive")
    return args


def stream_url(base: str) -> str:
    return base.replace("http://", "ws://").replace("https://", "wss://") + "/_stcore/stream"


class Replicas(MemoryOf):
    """N replicas behind nginx as the server of the rounds: nginx's address, and the replicas' RSS and CPU together."""

    def __init__(self, replicas):
        super().__init__(replicas)
        self.url = replicas.url

    def stop(self) -> None:
        self.replicas.stop()


def started_replicas(count: int, warehouse: Path) -> Replicas:
    from deploy.replicas import ReplicaSet, free_port, free_port_range

    env = {"ONESCREEN_DB": str(warehouse), "ONESCREEN_USERS": "demo",
           "ONESCREEN_AUDIT": str(OUT / "loadtest-audit.jsonl")}
    replicas = ReplicaSet(count, free_port(), first_replica_port=free_port_range(count), run_dir=OUT / "replicas-run",
                          env=env)
    print(f"启动 {count} 个副本和 nginx……", flush=True)
    return Replicas(replicas.start())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = begin(args, argv, "bench/loadtest_server.py")
    if started is None:
        return 1
    warehouse, command, load_before = started
    warm: list[str] = []  # replicas warmed up directly before the rounds
    if args.replicas:
        try:
            server = started_replicas(args.replicas, warehouse)
        except ReplicasError as error:
            print(f"错误：{error}")
            return 1
        warm = [stream_url(u) for u in server.replicas.replica_urls]
    else:
        server = None if args.url else Server(warehouse, None, OUT / "loadtest-server.log")
    url = stream_url(args.url.rstrip("/") if args.url else server.url)
    try:
        rounds, solo, baseline, soak_result = asyncio.run(main_async(args, server, url, warm))
    finally:
        if server:
            server.stop()
    note = f"{args.replicas} replicas behind nginx, each warmed up directly; RSS and CPU of all of them" if args.replicas else None
    text = markdown(command.strip(), warehouse_description(warehouse), load_before, rounds, solo, baseline, soak_result,
                    note)
    args.out.write_text(text, encoding="utf-8")
    print()
    print(text)
    failed = sum(1 for r in rounds for s in r.sessions if s.error) + len(soak_result.failures if soak_result else [])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
