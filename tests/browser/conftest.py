"""Real-browser harness: the demo warehouse, the dashboard started as `make run` starts it
(`python -m onescreen.serve app.py`), and Debian's chromium.

Session fixtures build one small demo warehouse through the real ETL, start one Streamlit server
on a free port and one headless chromium; each test gets a fresh page (:class:`BrowserPage`) that
records every request it makes, so a test can assert the page never leaves localhost.

Environment:
- ``ONESCREEN_TEST_WAREHOUSE``: an existing warehouse file to reuse instead of building one.
- ``ONESCREEN_DEMO_TICKETS``: demo size when building (default here 20000).

The demo covers the months up to the fixed ``DEMO_END_MONTH``, whole: a demo of "this month" holds only the
hours so far, so on the 4th of a month the wall had no red grid and the layout tests measured other pages than
on the 20th. Its servers run with the stale-data flag off (``ONESCREEN_STALE_DAYS=0``) for the same reason.

Screenshots and the server log go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
# Schemes that never touch the network.
LOCAL_SCHEMES = {"data", "blob", "about"}

DEMO_END_MONTH = "2026-11"
SERVER_START_TIMEOUT_S = 90
DEMO_BUILD_TIMEOUT_S = 900


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip browser tests only when there is no chromium (`make test` installs it as root)."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not found: install Debian's chromium (make test does, as root)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo warehouse built by the real ETL, its export files in the same temporary folder."""
    given = os.environ.get("ONESCREEN_TEST_WAREHOUSE")
    if given:
        path = Path(given).expanduser().resolve()
        if not path.is_file():
            pytest.fail(f"ONESCREEN_TEST_WAREHOUSE={given} does not exist")
        return path
    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    env = {**os.environ, "ONESCREEN_DB": str(path)}
    env.setdefault("ONESCREEN_DEMO_TICKETS", "20000")
    result = subprocess.run(
        [sys.executable, "-m", "etl", "demo", "--quiet", "--seed", "7", "--end-month", DEMO_END_MONTH, "--out", str(path.parent / "demo")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEMO_BUILD_TIMEOUT_S,
    )
    if result.returncode != 0 or not path.is_file():
        pytest.fail(
            f"python -m etl demo failed (exit {result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return path


@contextmanager
def run_server(warehouse: Path, log_path: Path, extra_env: dict[str, str] | None = None,
               port: int | None = None) -> Iterator[str]:
    """Run the dashboard (`python -m onescreen.serve app.py`) on ``port`` (default a free one) against ``warehouse``;
    yield its base URL, then stop it.

    Any test module can start a private server (on a private warehouse copy) with this; the same ``port`` again
    is the same server restarted, as a browser still open on it sees it.
    """
    port = port or _free_port()
    env = {
        **os.environ,
        "ONESCREEN_DB": str(warehouse),
        "ONESCREEN_USERS": "demo",  # demo mode unless extra_env names a users file (whatever config/ holds)
        # The audit log (logins, exports) of a test server stays out of the repository's data/.
        "ONESCREEN_AUDIT": str(log_path.with_suffix(".audit.jsonl")),
        "PYTHONUNBUFFERED": "1",
        "ONESCREEN_STALE_DAYS": "0",  # the demo ends with DEMO_END_MONTH: no "已 N 天没有新数据" as the days go by
        **(extra_env or {}),
    }
    command = [
        sys.executable, "-m", "onescreen.serve", "app.py",  # as `make run` starts it
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, f"{base_url}/_stcore/health", log_path)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="session")
def streamlit_server(demo_warehouse: Path, artifacts_dir: Path) -> Iterator[str]:
    """Base URL of `streamlit run app.py` on a free port, reading the demo warehouse."""
    with run_server(demo_warehouse, artifacts_dir / "streamlit-server.log") as base_url:
        yield base_url


def _wait_healthy(proc: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        # Waiting on the process doubles as the pause between polls and notices an early exit.
        try:
            code = proc.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"streamlit exited with code {code} before answering:\n{_tail(log_path)}")
    pytest.fail(f"streamlit did not answer {url} within {SERVER_START_TIMEOUT_S} s:\n{_tail(log_path)}")


@pytest.fixture(scope="session")
def browser():
    """One headless Debian chromium for the session (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def is_local_url(url: str) -> bool:
    """Whether a URL stays on this machine (localhost, or a scheme with no network at all)."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


@dataclass
class BrowserPage:
    """A Playwright page on the test server that records what it asked for."""

    page: object
    base_url: str
    artifacts_dir: Path
    requests: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def goto(self, path: str = "/", timeout_ms: int = 120_000) -> None:
        """Open a page and wait until Streamlit has run the script and finished.

        A freshly loaded page says ``notRunning`` before its first run has even begun: the page's own style, which
        app.py puts first in every run (onescreen.ui.legible), shows that a run began; then its end is waited for.
        """
        self.page.goto(self.base_url + path, wait_until="domcontentloaded", timeout=timeout_ms)
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('style')].some(s => s.textContent.includes('stSidebarNavLink'))",
            timeout=timeout_ms)
        self.wait_idle(timeout_ms)

    def wait_idle(self, timeout_ms: int = 120_000) -> None:
        """Wait for the app frame, then for the script run to end (state `notRunning`)."""
        self.page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
        self.page.wait_for_selector(
            '[data-testid="stApp"][data-test-script-state="notRunning"]', state="attached", timeout=timeout_ms
        )

    def wait_charts(self, timeout_ms: int = 60_000) -> None:
        """Wait until no element is still loading (Streamlit's skeletons), every pydeck map has a sized
        canvas and every plotly chart has drawn.

        The script can be finished while deck.gl and plotly are still drawing, or while a map's or a
        table's code is still loading (a skeleton stands in, so the lists below are empty); screenshots
        taken then show empty boxes.
        """
        self.page.wait_for_function(
            """() => {
                if (document.querySelector('[data-testid="stSkeleton"]')) return false;
                const decks = [...document.querySelectorAll('[data-testid="stDeckGlJsonChart"]')];
                const decksReady = decks.every(d => {
                    const c = d.querySelector('canvas');
                    return c && c.getBoundingClientRect().height > 50;
                });
                const plots = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
                const plotsReady = plots.every(p => p.querySelector('.main-svg'));
                return decksReady && plotsReady;
            }""",
            timeout=timeout_ms,
        )
        # Two animation frames: whatever was just laid out has been painted.
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

    def outside_requests(self) -> list[str]:
        """Every request or websocket this page opened to a host other than localhost."""
        return [url for url in self.requests + self.websockets if not is_local_url(url)]

    def screenshot(self, name: str) -> Path:
        path = self.artifacts_dir / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@contextmanager
def open_page(browser, base_url: str, artifacts_dir: Path, width: int = 1600, height: int = 1000) -> Iterator[BrowserPage]:
    """A fresh browser context (``width``×``height``, zh-CN) that records every request; outside hosts are blocked."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    recorder = BrowserPage(page=page, base_url=base_url, artifacts_dir=artifacts_dir)
    page.on("request", lambda request: recorder.requests.append(request.url))
    page.on("websocket", lambda ws: recorder.websockets.append(ws.url))
    page.on("pageerror", lambda error: recorder.page_errors.append(str(error)))
    page.on("console", lambda msg: msg.type == "error" and recorder.console_errors.append(msg.text))
    # Recorded above, then refused here, so an offline machine never waits on a timeout.
    context.route(
        lambda url: not is_local_url(url),
        lambda route: route.abort("blockedbyclient"),
    )
    try:
        yield recorder
    finally:
        context.close()


@pytest.fixture
def browser_page(browser, streamlit_server: str, artifacts_dir: Path) -> Iterator[BrowserPage]:
    """A fresh browser context (1600×1000, zh-CN) on the test server; outside hosts are blocked."""
    with open_page(browser, streamlit_server, artifacts_dir) as recorder:
        yield recorder
