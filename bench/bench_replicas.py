"""Replicas benchmark (issue 10): concurrent browser sessions through nginx across Streamlit replicas.

    .venv/bin/python bench/bench_replicas.py                      # 30 sessions, 3 replicas, then 1 replica alone
    .venv/bin/python bench/bench_replicas.py --no-baseline        # the replicas round only
    .venv/bin/python bench/bench_replicas.py --sessions 60 --replicas 4

Starts ``--replicas`` replicas and nginx with ``deploy/replicas.py`` (free ports, run folder
``bench/out/replicas-run/``), warms every replica up directly (one session of each kind), then runs
one round of ``--sessions`` concurrent browser sessions through nginx, exactly as
``bench/loadtest.py`` runs a round against one server (same mix of big screen, 三率分析 and
工单明细, same first-render and rerun measures, same failure rules; its code, not a copy). Each
session's browser context sends ``X-OneScreen-Client: sNN``, and nginx's access log says which
replica each session's websocket went to. Then, unless ``--no-baseline``, the same round against one
replica directly, on the same machine at about the same time, for comparison.

Figures go to stdout and ``bench/out/bench_replicas.md`` (git-ignored). Chromium and the replicas
share this machine's cores: the load average at the start and at the end is printed with them.
Not a test: pytest never runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import signal
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadtest  # noqa: E402  (bench/loadtest.py: sessions, rounds, percentiles)
from deploy.replicas import NGINX, ReplicaSet, ReplicasError, free_port, free_port_range  # noqa: E402

OUT = loadtest.OUT
CLIENT_HEADER = "X-OneScreen-Client"
STREAM_LINE = re.compile(r'"GET /_stcore/stream HTTP/1\.1" 101 .* replica=(\S+) .* client="([^"]*)"')


class TaggedBrowser:
    """A browser whose new contexts send ``X-OneScreen-Client: <tag>`` with every request, the
    websocket handshake included, so nginx's access log ties each session to its replica."""

    def __init__(self, browser, tag: str):
        self.browser, self.tag = browser, tag

    async def new_context(self, **kwargs):
        context = await self.browser.new_context(**kwargs)
        await context.set_extra_http_headers({CLIENT_HEADER: self.tag})
        return context


class MemoryOf:
    """What loadtest.run_round samples as "the server": the resident memory and CPU time of these processes."""

    def __init__(self, replicas: ReplicaSet, only_first: bool = False):
        self.replicas, self.only_first = replicas, only_first

    def rss(self) -> float | None:
        if self.only_first:
            return loadtest.rss_mb(self.replicas.replicas[0].pid)
        return self.replicas.rss_mb()

    def cpu(self) -> float | None:
        """CPU seconds the replicas (or the first alone) have used so far."""
        procs = self.replicas.replicas[:1] if self.only_first else self.replicas.replicas
        used = [loadtest.cpu_seconds(proc.pid) for proc in procs]
        return None if not used or None in used else sum(used)


async def landings(access_log: Path, tags: list[str], timeout_s: float = 30) -> dict[str, str]:
    """{client tag: replica its websocket went to} from nginx's access log (the last one per tag).

    nginx logs a websocket when it closes; on a loaded machine that can lag the browser closing it,
    so this waits (up to ``timeout_s``) until every tag has a line."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        found = {}
        for line in access_log.read_text(encoding="utf-8").splitlines():
            if match := STREAM_LINE.search(line):
                found[match.group(2)] = match.group(1)
        if set(tags) <= found.keys() or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.5)


async def main_async(args, replicas: ReplicaSet) -> tuple[loadtest.RoundResult, list[str], loadtest.RoundResult | None]:
    from playwright.async_api import async_playwright

    timeout_ms = int(args.timeout * 1000)
    async with async_playwright() as playwright:
        browsers = [await playwright.chromium.launch(executable_path=loadtest.CHROMIUM, args=loadtest.CHROMIUM_ARGS,
                                                     headless=True) for _ in range(args.browsers)]
        try:
            print(f"预热：每个副本直接打开每种页面一次（{replicas.count} 个副本同时）……", flush=True)
            await asyncio.gather(*(loadtest.warm_up(browsers[i % len(browsers)], url, timeout_ms)
                                   for i, url in enumerate(replicas.replica_urls)))
            print(f"经 nginx：{args.sessions} 个会话同时打开……", flush=True)
            tagged = [TaggedBrowser(browsers[i % len(browsers)], f"s{i:02d}") for i in range(args.sessions)]
            through = await loadtest.run_round(tagged, replicas.url, MemoryOf(replicas), 1, args.sessions, timeout_ms)
            tags = [browser.tag for browser in tagged]
            landed = await landings(replicas.access_log, tags)
            where = [landed.get(tag, "—") for tag in tags]
            report_round("经 nginx", through, where)
            baseline = None
            if args.baseline:
                print(f"对照：同样 {args.sessions} 个会话直接打开一个副本（{replicas.replica_addresses[0]}）……", flush=True)
                baseline = await loadtest.run_round(browsers, replicas.replica_urls[0], MemoryOf(replicas, only_first=True),
                                                    2, args.sessions, timeout_ms)
                report_round("单个副本", baseline, None)
            return through, where, baseline
        finally:
            for browser in browsers:
                await browser.close()


def report_round(name: str, result: loadtest.RoundResult, where: list[str] | None) -> None:
    row = loadtest.round_rows([result])[0]
    print(f"  {name}：失败 {row[2]}；首屏 p50 {row[3]}，p95 {row[4]}；筛选重跑 p95 {row[6]}；"
          f"内存 {row[8]} → 峰值 {row[9]} → {row[10]} MB；本轮 {row[11]}", flush=True)
    if where:
        print("  落在：" + "，".join(f"{replica} {count} 个" for replica, count in sorted(Counter(where).items())), flush=True)
    for session in result.sessions:
        if session.error:
            print(f"  失败会话 {session.kind}：{session.error}", flush=True)


def per_replica_rows(result: loadtest.RoundResult, where: list[str]) -> list[list[str]]:
    rows = []
    for replica in sorted(set(where)):
        mine = [s for s, w in zip(result.sessions, where) if w == replica]
        first = [s.first_render_s for s in mine if s.first_render_s is not None]
        kinds = Counter(s.kind for s in mine)
        rows.append([replica, str(len(mine)), " / ".join(str(kinds.get(k, 0)) for k in loadtest.KINDS),
                     str(sum(1 for s in mine if s.error)), loadtest.fmt(loadtest.pct(first, 50), " s"),
                     loadtest.fmt(loadtest.pct(first, 95), " s")])
    return rows


def markdown(args, command: str, warehouse_note: str, load_before: str, load_after: str,
             through: loadtest.RoundResult, where: list[str], baseline: loadtest.RoundResult | None) -> str:
    header = ("| | sessions | failed | first render p50 | p95 | filter rerun p50 | p95 | big-screen rerun p95 "
              "| RSS before MB | RSS peak MB | RSS after MB | round wall | server CPU |")
    lines = [
        f"### Replicas behind nginx ({datetime.now():%Y-%m-%d %H:%M})",
        "",
        f"Command: `{command}`  ",
        f"Machine: {os.cpu_count()} cores, load average {load_before} at the start, {load_after} at the end; "
        f"replicas, nginx and {args.browsers} chromium process(es) on the same machine. Warehouse: {warehouse_note}.  ",
        f"{args.sessions} concurrent sessions (big screen in kiosk mode at 1920×1080, 三率分析, 工单明细 in turn), "
        "measured as in `bench/loadtest.py`; every replica warmed up first. RSS is the replicas' total.",
        "",
        header,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        f"| through nginx, {args.replicas} replicas | " + " | ".join(loadtest.round_rows([through])[0][1:]) + " |",
    ]
    if baseline:
        lines.append("| one replica directly | " + " | ".join(loadtest.round_rows([baseline])[0][1:]) + " |")
    lines += [
        "",
        "Where the sessions landed (their websocket, from nginx's access log):",
        "",
        "| replica | sessions | big screen / 三率 / 工单 | failed | first render p50 | p95 |",
        "|---|---|---|---|---|---|",
        *["| " + " | ".join(row) + " |" for row in per_replica_rows(through, where)],
        "",
        "Per session (sNN: replica): " + ", ".join(f"s{i:02d}: {w.rsplit(':', 1)[-1]}" for i, w in enumerate(where)) + ".",
    ]
    errors = [f"{name}/{s.kind}: {s.error}" for name, r in (("nginx", through), ("direct", baseline)) if r
              for s in r.sessions if s.error]
    if errors:
        lines += ["", "Failed sessions:", *[f"- {e}" for e in errors[:20]]]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--sessions", type=int, default=30, help="concurrent sessions (30)")
    parser.add_argument("--replicas", type=int, default=3, help="Streamlit replicas behind nginx (3)")
    parser.add_argument("--browsers", type=int, default=1, help="chromium processes the sessions are spread over (1)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds a session may wait for a render (180)")
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True,
                        help="then the same round against one replica directly (on)")
    parser.add_argument("--warehouse", type=Path, help="warehouse file (default: $ONESCREEN_DB or data/warehouse.duckdb)")
    parser.add_argument("--out", type=Path, default=OUT / "bench_replicas.md", help="markdown fragment (bench/out/bench_replicas.md)")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.replicas < 1 or args.browsers < 1:
        parser.error("--sessions, --replicas and --browsers must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(loadtest.CHROMIUM).exists() or not NGINX.exists():
        print(f"错误：找不到 {loadtest.CHROMIUM} 或 {NGINX}：以 root 运行 make system-deps（不要运行 playwright install）。")
        return 1
    from onescreen import settings

    warehouse = (args.warehouse or settings.warehouse_path()).resolve()
    if not warehouse.is_file():
        print(f"错误：数据仓库 {warehouse} 不存在：先运行 python -m etl demo，或用 --warehouse 指定。")
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    command = "python bench/bench_replicas.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    load_before = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    warehouse_note = loadtest.warehouse_description(warehouse)
    print(f"机器：{os.cpu_count()} 核，负载 {load_before}；数据仓库：{warehouse_note}", flush=True)
    signal.signal(signal.SIGTERM, loadtest._interrupt)
    run_dir = OUT / "replicas-run"
    env = {"ONESCREEN_DB": str(warehouse), "ONESCREEN_USERS": "demo",
           "ONESCREEN_AUDIT": str(OUT / "bench-replicas-audit.jsonl")}
    try:
        replicas = ReplicaSet(args.replicas, free_port(), first_replica_port=free_port_range(args.replicas),
                              run_dir=run_dir, env=env)
        # A fresh access log: the landings are read from it.
        replicas.access_log.unlink(missing_ok=True)
        with replicas:
            print(f"nginx {replicas.url}，副本 {', '.join(replicas.replica_addresses)}", flush=True)
            through, where, baseline = asyncio.run(main_async(args, replicas))
    except ReplicasError as error:
        print(f"错误：{error}")
        return 1
    load_after = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    text = markdown(args, command.strip(), warehouse_note, load_before, load_after, through, where, baseline)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"已写入 {args.out}")
    failed = sum(1 for r in (through, baseline) if r for s in r.sessions if s.error)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
