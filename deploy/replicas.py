"""N Streamlit replicas of OneScreen behind Debian's nginx, on one machine (issue 10).

    python -m deploy.replicas                      # one replica per core, nginx on http://127.0.0.1:8500
    python -m deploy.replicas -n 2 --port 8600     # what `make replicas N=2 PORT=8600` runs
    python -m deploy.replicas --host 0.0.0.0       # nginx reachable from the screens on the LAN

Starts ``N`` × ``python -m onescreen.serve app.py`` (``streamlit run app.py``, libraries preloaded) on
consecutive loopback ports (``--first-replica-port``, default ``--port`` + 10) and nginx in front of them,
in the foreground, until Ctrl-C or SIGTERM, which stop nginx and then every replica; a replica that exits on
its own is started again. nginx's config (rendered from ``deploy/nginx.conf.template``), pid file, logs and
temp folders live in the run folder (``--run-dir``, default ``run/replicas/`` of the checkout, git-ignored, or of
``$ONESCREEN_DATA_DIR`` when set), never under
/etc/nginx: it runs beside a system nginx, as any user.

- Sessions stick to one replica by a consistent hash of the ``_streamlit_xsrf`` cookie (the template
  explains the first request, which has no cookie yet, and why nginx keeps that cookie stable).
- Every replica gets the same ``server.cookieSecret``: ``$STREAMLIT_SERVER_COOKIE_SECRET`` when set
  (several machines), else one generated on first start and kept in ``<run dir>/cookie_secret``.
- Every replica gets this process's environment, so all read the same warehouse (``$ONESCREEN_DB``,
  or the snapshots and engine ``$ONESCREEN_SNAPSHOTS`` / ``$ONESCREEN_ENGINE`` name) and each notices
  on its own when a load or a publish replaces it.
- Each response carries ``X-OneScreen-Replica: 127.0.0.1:<port>``; the access log
  (``<run dir>/logs/nginx-access.log``) has the same as ``replica=``; each replica logs to
  ``<run dir>/logs/replica-<port>.log``.

From Python (tests, benchmarks)::

    with ReplicaSet(count=2, port=free_port(), run_dir=tmp, env={"ONESCREEN_DB": path}) as replicas:
        replicas.url             # http://127.0.0.1:<port>, through nginx
        replicas.replica_urls    # each replica directly
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import os
import pwd
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from onescreen import settings

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().with_name("nginx.conf.template")
# run/replicas of the checkout, or of $ONESCREEN_DATA_DIR when set (onescreen.settings.run_dir).
DEFAULT_RUN_DIR = settings.run_dir() / "replicas"
NGINX = Path("/usr/sbin/nginx")
STREAMLIT_CONFIG = ROOT / ".streamlit" / "config.toml"
COOKIE_SECRET_ENV = "STREAMLIT_SERVER_COOKIE_SECRET"
REPLICA_HEADER = "X-OneScreen-Replica"
STARTUP_TIMEOUT_S = 90
STOP_TIMEOUT_S = 15
RESTARTS_PER_WINDOW = 5
RESTART_WINDOW_S = 600

# prctl(PR_SET_PDEATHSIG, SIGTERM) in each child: if this process dies without stopping them (kill -9,
# a crashed test run), the kernel stops nginx and the replicas instead of leaving them serving.
# Looked up here, not in the child, so the child between fork and exec only makes one C call.
_PR_SET_PDEATHSIG = 1
try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: children outlive a killed parent, as usual
    _prctl = None


def _die_with_parent() -> None:
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ReplicasError(Exception):
    """An expected failure: the message says what is wrong and how to fix it (Chinese, one line)."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def free_port_range(count: int, host: str = "127.0.0.1", attempts: int = 50) -> int:
    """The first of ``count`` consecutive free ports (for replicas on ports nobody else uses)."""
    for _ in range(attempts):
        first = free_port(host)
        if first + count <= 65536 and all(port_is_free(first + i, host) for i in range(1, count)):
            return first
    raise ReplicasError(f"找不到 {count} 个连续的空闲端口：用 --first-replica-port 指定。")


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def cookie_secret(run_dir: Path) -> str:
    """The ``server.cookieSecret`` every replica shares.

    ``$STREAMLIT_SERVER_COOKIE_SECRET`` when set (replicas on several machines need the same one);
    otherwise ``<run_dir>/cookie_secret``, created once (readable by its owner only) and reused, so a
    restart does not sign out browsers that logged in through OIDC.
    """
    given = os.environ.get(COOKIE_SECRET_ENV, "").strip()
    if given:
        return given
    path = run_dir / "cookie_secret"
    if not path.exists():
        run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(secrets.token_hex(32) + "\n")
    value = path.read_text(encoding="ascii").strip()
    if not value:
        raise ReplicasError(f"{path} 是空的：删除它（会重新生成），或设置 {COOKIE_SECRET_ENV}。")
    return value


def max_upload_mb(config_path: Path = STREAMLIT_CONFIG) -> int:
    """Streamlit's ``server.maxUploadSize`` in MB (its default, 200, when the config does not say)."""
    try:
        config = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return 200
    return int(config.get("server", {}).get("maxUploadSize", 200))


def render_nginx_conf(*, listen_host: str, listen_port: int, replica_ports: Sequence[int], run_dir: Path,
                      max_body_mb: int, user: str | None = None, template: Path = TEMPLATE) -> str:
    """The nginx config for these replicas, from ``deploy/nginx.conf.template``.

    ``user`` is the account nginx's workers run as; only meaningful when nginx starts as root.
    """
    run_dir = run_dir.resolve()
    values = {
        "RUN_DIR": str(run_dir),
        "LOG_DIR": str(run_dir / "logs"),
        "USER_DIRECTIVE": f"user {user};" if user else "",
        "UPSTREAM_SERVERS": "\n".join(f"        server 127.0.0.1:{port} max_fails=0;" for port in replica_ports),
        "LISTEN": f"[{listen_host}]:{listen_port}" if ":" in listen_host else f"{listen_host}:{listen_port}",
        "MAX_BODY_MB": str(max_body_mb + 1),
    }
    text = template.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    if left := sorted(set(re.findall(r"@[A-Z_]+@", text))):
        raise ReplicasError(f"{template} 里有未知的占位符 {', '.join(left)}：在 render_nginx_conf 中补上。")
    return text


def _get(url: str, timeout_s: float = 2) -> tuple[int, dict[str, str]]:
    """(status, headers) of a GET; raises OSError when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(没有日志)"


class ReplicaSet:
    """``count`` Streamlit replicas and nginx in front of them; a context manager.

    ``start()`` returns once nginx answers a health check through a replica; ``stop()`` stops nginx,
    then every replica (SIGTERM, SIGKILL after 15 s). Nothing is started when an argument is wrong
    or a port is taken: :class:`ReplicasError` says which.
    """

    def __init__(self, count: int = 3, port: int = 8500, *, host: str = "127.0.0.1",
                 first_replica_port: int | None = None, run_dir: Path = DEFAULT_RUN_DIR,
                 env: Mapping[str, str] | None = None, nginx: Path = NGINX,
                 startup_timeout_s: float = STARTUP_TIMEOUT_S):
        if count < 1:
            raise ReplicasError(f"副本数必须至少为 1（给的是 {count}）。")
        first = first_replica_port if first_replica_port is not None else port + 10
        self.replica_ports = list(range(first, first + count))
        if port in self.replica_ports:
            raise ReplicasError(f"nginx 端口 {port} 落在副本端口 {first}-{first + count - 1} 之间："
                                f"换一个 --port 或 --first-replica-port。")
        if max(self.replica_ports) > 65535:
            raise ReplicasError(f"副本端口 {first}-{first + count - 1} 超出 65535：换一个 --first-replica-port。")
        self.count, self.port, self.host = count, port, host
        self.run_dir = Path(run_dir).resolve()
        self.log_dir = self.run_dir / "logs"
        self.env = dict(env or {})
        self.nginx = Path(nginx)
        self.startup_timeout_s = startup_timeout_s
        self.replicas: list[subprocess.Popen] = []
        self.nginx_proc: subprocess.Popen | None = None
        self._lock_file = None
        self._secret = ""

    @property
    def url(self) -> str:
        """The address browsers open (through nginx)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def replica_addresses(self) -> list[str]:
        """``127.0.0.1:<port>`` of each replica: what ``X-OneScreen-Replica`` and the access log show."""
        return [f"127.0.0.1:{port}" for port in self.replica_ports]

    @property
    def replica_urls(self) -> list[str]:
        return [f"http://{address}" for address in self.replica_addresses]

    @property
    def access_log(self) -> Path:
        return self.log_dir / "nginx-access.log"

    def replica_log(self, port: int) -> Path:
        return self.log_dir / f"replica-{port}.log"

    def __enter__(self) -> ReplicaSet:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> ReplicaSet:
        if not self.nginx.exists():
            raise ReplicasError(f"找不到 {self.nginx}：以 root 运行 make system-deps（或 apt-get install nginx）。")
        self._check_ports()
        for path in (self.log_dir, *(self.run_dir / "tmp" / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"))):
            path.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            self._secret = cookie_secret(self.run_dir)
            for port in self.replica_ports:
                self.replicas.append(self._start_replica(port))
            for port, proc in zip(self.replica_ports, self.replicas):
                self._wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc, self.replica_log(port),
                                   f"副本 127.0.0.1:{port}")
            self._start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def _check_ports(self) -> None:
        taken = [port for port in self.replica_ports if not port_is_free(port)]
        if not port_is_free(self.port, self.host or "0.0.0.0"):
            taken.insert(0, self.port)
        if taken:
            raise ReplicasError(f"端口 {', '.join(map(str, taken))} 已被占用：先停止占用它的程序（如另一个 make run），"
                                f"或换 PORT / --first-replica-port。")

    def _lock(self) -> None:
        """One ReplicaSet per run folder: two would overwrite each other's nginx.conf and pid file."""
        lock_path = self.run_dir / "replicas.lock"
        self._lock_file = open(lock_path, "a+", encoding="utf-8")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.seek(0)
            holder = self._lock_file.read().strip() or "?"
            self._lock_file.close()
            self._lock_file = None
            raise ReplicasError(f"{self.run_dir} 正被另一组副本使用（pid {holder}）：先停止它，或用 --run-dir 另选目录。")
        self._lock_file.seek(0)
        self._lock_file.truncate()
        self._lock_file.write(str(os.getpid()))
        self._lock_file.flush()

    def _start_replica(self, port: int, mode: str = "w") -> subprocess.Popen:
        env = {**os.environ, **self.env, COOKIE_SECRET_ENV: self._secret, "PYTHONUNBUFFERED": "1"}
        command = [
            sys.executable, "-m", "onescreen.serve", "app.py",
            "--server.port", str(port),
            "--server.address", "127.0.0.1",
            "--server.headless", "true",
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
            # Stickiness hashes the XSRF cookie: without it every request would go round robin.
            "--server.enableXsrfProtection", "true",
        ]  # fmt: skip
        with open(self.replica_log(port), mode, encoding="utf-8") as log:
            # Own session: Ctrl-C reaches only this process, which stops nginx before the replicas.
            return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, preexec_fn=_die_with_parent)

    def _start_nginx(self) -> None:
        conf = self.run_dir / "nginx.conf"
        user = None
        if os.geteuid() == 0:
            # As root nginx would run its workers as "nobody", who may not reach a run folder under
            # a private directory (pytest's tmp folders are 0700): run them as the folder's owner.
            user = pwd.getpwuid(self.run_dir.stat().st_uid).pw_name
        conf.write_text(render_nginx_conf(listen_host=self.host, listen_port=self.port, replica_ports=self.replica_ports,
                                          run_dir=self.run_dir, max_body_mb=max_upload_mb(), user=user), encoding="utf-8")
        base = [str(self.nginx), "-p", str(self.run_dir), "-c", str(conf), "-e", str(self.log_dir / "nginx-error.log")]
        check = subprocess.run([*base, "-t", "-q"], capture_output=True, text=True)
        if check.returncode != 0:
            raise ReplicasError(f"nginx 配置检查失败：{(check.stderr or check.stdout).strip()[-500:]}（配置 {conf}）")
        log_path = self.log_dir / "nginx-stderr.log"
        with open(log_path, "w", encoding="utf-8") as log:
            self.nginx_proc = subprocess.Popen(base, cwd=self.run_dir, stdout=log, stderr=subprocess.STDOUT,
                                               start_new_session=True, preexec_fn=_die_with_parent)
        self._wait_healthy(f"{self.url}/_stcore/health", self.nginx_proc, self.log_dir / "nginx-error.log", "nginx")

    def _wait_healthy(self, url: str, proc: subprocess.Popen, log_path: Path, name: str) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            try:
                status, _ = _get(url)
                if status == 200:
                    return
            except OSError:
                pass
            try:  # the pause between polls, and an early exit noticed at once
                code = proc.wait(timeout=0.3)
            except subprocess.TimeoutExpired:
                continue
            raise ReplicasError(f"{name} 启动失败（退出码 {code}），见 {log_path}：\n{_tail(log_path)}")
        raise ReplicasError(f"{name} {self.startup_timeout_s:g} 秒内没有响应 {url}，见 {log_path}：\n{_tail(log_path)}")

    def supervise(self, report=print, poll_s: float = 0.5, max_restarts: int = RESTARTS_PER_WINDOW) -> str:
        """Keep the set running until nginx exits or a replica keeps crashing; say which and why.

        A replica that exits on its own is started again on the same port (its log continues), so the
        other replicas' sessions carry on; meanwhile nginx sends its browsers to the next replica on
        the hash ring. More than ``max_restarts`` restarts of one replica within 10 minutes means
        something is wrong with it (the log says what): then this returns and the caller stops all.
        """
        restarts: dict[int, list[float]] = {port: [] for port in self.replica_ports}
        while True:
            if self.nginx_proc is not None and self.nginx_proc.poll() is not None:
                return f"nginx 意外退出（退出码 {self.nginx_proc.returncode}），见 {self.log_dir / 'nginx-error.log'}"
            for index, (port, proc) in enumerate(zip(self.replica_ports, self.replicas)):
                if proc.poll() is None:
                    continue
                now = time.monotonic()
                recent = [t for t in restarts[port] if now - t < RESTART_WINDOW_S] + [now]
                restarts[port] = recent
                if len(recent) > max_restarts:
                    return (f"副本 127.0.0.1:{port} 10 分钟内退出了 {len(recent)} 次（最后一次退出码 {proc.returncode}），"
                            f"见 {self.replica_log(port)}")
                report(f"副本 127.0.0.1:{port} 意外退出（退出码 {proc.returncode}），正在重启；日志 {self.replica_log(port)}")
                self.replicas[index] = self._start_replica(port, mode="a")
            time.sleep(poll_s)

    def stop(self) -> None:
        """Stop nginx first (no new requests reach a stopping replica), then every replica."""
        if self.nginx_proc is not None:
            _terminate([self.nginx_proc])  # SIGTERM: fast shutdown; SIGQUIT would wait for every websocket
            self.nginx_proc = None
        _terminate(self.replicas)
        self.replicas = []
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def rss_mb(self) -> float | None:
        """Resident memory of all replicas together, in MB (None when unknown)."""
        total = 0.0
        for proc in self.replicas:
            try:
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
            except OSError:
                return None
        return total or None


def _terminate(procs: Sequence[subprocess.Popen]) -> None:
    """SIGTERM to all at once, then wait; SIGKILL whatever is still running after 15 s."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT_S)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deploy.replicas", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("-n", "--replicas", type=int, default=os.cpu_count() or 2,
                        help="number of Streamlit replicas (one per core: %(default)s here)")
    parser.add_argument("--port", type=int, default=8500, help="nginx port browsers open (8500)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address nginx listens on (127.0.0.1; 0.0.0.0 for screens on the LAN)")
    parser.add_argument("--first-replica-port", type=int,
                        help="port of the first replica; the others follow (default: --port + 10)")
    parser.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR,
                        help="nginx config, pid, logs, temp files and the cookie secret (run/replicas)")
    return parser.parse_args(argv)


def _interrupt(signum, frame) -> None:
    """SIGTERM (and SIGINT) as Ctrl-C: the finally block stops nginx and the replicas."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGINT too: a shell without job control starts background commands with SIGINT ignored.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        replicas = ReplicaSet(args.replicas, args.port, host=args.host, first_replica_port=args.first_replica_port,
                              run_dir=args.run_dir)
    except ReplicasError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
    try:
        print(f"正在启动 {replicas.count} 个副本（端口 {', '.join(map(str, replicas.replica_ports))}）和 nginx……", flush=True)
        replicas.start()
        print(f"一屏已就绪：{replicas.url}（nginx，{replicas.count} 个副本；日志在 {replicas.log_dir}）。Ctrl-C 停止。",
              flush=True)
        problem = replicas.supervise(report=lambda message: print(f"注意：{message}", file=sys.stderr, flush=True))
        print(f"错误：{problem}；已停止其余进程。", file=sys.stderr)
        return 1
    except ReplicasError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("正在停止 nginx 和各副本……", flush=True)
        return 0
    finally:
        replicas.stop()


if __name__ == "__main__":
    sys.exit(main())
