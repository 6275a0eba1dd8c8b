"""Small helpers the benchmark scripts share: machine facts, child runs with their own peak memory,
percentiles and markdown tables. Not a test module (benchmarks are not part of pytest).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("BENCH_OUT") or ROOT / "bench" / "out")  # generated data and results (git-ignored)
PY = sys.executable


def code_state() -> str:
    """The commit the figures were measured on, and whether the working tree had uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
    except OSError:
        return "?"
    return f"{head}" + (" + uncommitted changes" if dirty else "")


def machine() -> dict:
    """nproc, RAM, load average, date and the versions that matter for the figures."""
    from importlib import metadata

    versions = {}
    for name in ("duckdb", "pandas", "pyarrow", "streamlit", "python-calamine"):
        try:
            versions[name.replace("-", "_")] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(machine_ram_gib(), 1),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "code": code_state(),
        **versions,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def run_child(args: list[str], env: dict | None = None, timeout: float = 3600) -> dict:
    """Run ``python <args>`` in a child process; return its JSON result (the ``RESULT`` line that
    :func:`report` prints, which carries ``peak_rss_mb``: the child's own VmHWM) and ``wall_s``.

    A child per run keeps the peaks of different runs apart (RUSAGE_CHILDREN in the parent would
    report the largest child so far, not this one).
    """
    started = time.perf_counter()
    proc = subprocess.Popen([PY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, cwd=ROOT, preexec_fn=_limit_memory)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return {"error": f"timeout after {timeout} s", "wall_s": time.perf_counter() - started}
    result: dict = {"wall_s": round(time.perf_counter() - started, 2)}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            result.update(json.loads(line[len("RESULT "):]))
    if proc.returncode != 0 or "seconds" not in result:
        result["error"] = (err.strip().splitlines() or ["(no stderr)"])[-1][:300]
        result["stderr_tail"] = err[-2000:]
    return result


def peak_rss_mb() -> float:
    """This process's peak resident set: VmHWM from /proc/self/status.

    Not ``ru_maxrss``: Linux carries ru_maxrss across execve, so a child started by a big parent
    would report the parent's peak. VmHWM belongs to the process's own address space.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def memory_cap_gb() -> float:
    """Address-space cap of each benchmark child (env BENCH_MEM_LIMIT_GB; default 85% of RAM; 0 = none).

    The machine may be shared: a run that needs more fails with a memory error (reported as such)
    instead of pushing the whole machine into the OOM killer. (The 5M-ticket load needed ~15 GB.)
    """
    value = os.environ.get("BENCH_MEM_LIMIT_GB")
    if value:
        return float(value)
    return round(machine_ram_gib() * 0.85, 1)


def machine_ram_gib() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _limit_memory() -> None:
    import resource

    try:  # if the machine runs out of memory anyway, the kernel kills the benchmark child first
        Path("/proc/self/oom_score_adj").write_text("1000")
    except OSError:
        pass
    cap = memory_cap_gb()
    if cap > 0:
        limit = int(cap * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def report(result: dict) -> None:
    """Print a child's result as its ``RESULT`` stdout line, with its own peak RSS."""
    result["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(result, ensure_ascii=False, default=str), flush=True)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def table(headers: list[str], rows: list[list]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    return "\n".join(lines)


def met(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "**no**")


def write_section(name: str, markdown: str, data: dict) -> Path:
    """bench/out/<name>.md (the section run_all puts into docs/benchmarks.md) and <name>.json."""
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str))
    path = OUT / f"{name}.md"
    path.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    return path
