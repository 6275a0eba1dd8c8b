"""Replicas behind nginx (issue 10): ``deploy/replicas.py`` starts 2 Streamlit replicas and Debian's
nginx on free ports; the big screen renders through nginx, its websocket goes through nginx, every
request of one browser reaches one replica (the ``X-OneScreen-Replica`` header and nginx's access
log say which), and browsers with different cookies land on different replicas.

Skips, saying why, only when nginx is not installed (``make test`` installs it as root, with chromium).
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from deploy.replicas import NGINX, REPLICA_HEADER, ReplicaSet, free_port, free_port_range
from onescreen.serve import SECURITY_HEADERS

from .conftest import BrowserPage, open_page
from .test_pages_browser import error_report

pytestmark = pytest.mark.browser

XSRF_COOKIE = "_streamlit_xsrf"
CLIENT_HEADER = "X-OneScreen-Client"  # nginx logs it as client="..." (deploy/nginx.conf.template)
STREAM_LINE = re.compile(r'"GET /_stcore/stream HTTP/1\.1" 101 .* replica=(\S+) .* client="([^"]*)"')


@pytest.fixture(scope="module")
def replicas(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplicaSet]:
    """2 replicas of the app on the demo warehouse and nginx in front, all on free ports, demo mode."""
    if not NGINX.exists():
        pytest.skip(f"{NGINX} not found: install Debian's nginx (make test does, as root)")
    run_dir = tmp_path_factory.mktemp("replicas")
    env = {
        "ONESCREEN_DB": str(demo_warehouse),
        # Demo mode (whatever config/users.json holds); the audit log stays out of data/.
        "ONESCREEN_USERS": "demo",
        "ONESCREEN_AUDIT": str(run_dir / "audit.jsonl"),
    }
    with ReplicaSet(count=2, port=free_port(), first_replica_port=free_port_range(2), run_dir=run_dir, env=env) as rs:
        yield rs


def get(url: str, cookie: str | None = None, method: str = "GET") -> tuple[int, dict[str, str]]:
    """(status, headers with lower-case names) of a request, sending the XSRF cookie when given."""
    request = urllib.request.Request(url, headers={"Cookie": f"{XSRF_COOKIE}={cookie}"} if cookie else {},
                                     method=method, data=b"" if method == "PUT" else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}


def replica_for(rs: ReplicaSet, cookie: str, path: str = "/_stcore/host-config") -> str:
    status, headers = get(rs.url + path, cookie)
    assert status == 200, (path, status)
    return headers[REPLICA_HEADER.lower()]


def new_cookie() -> str:
    """A fresh, well-formed XSRF cookie value, as a replica would mint it."""
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    return generate_xsrf_token_string()


def cookies_per_replica(rs: ReplicaSet) -> dict[str, str]:
    """One XSRF cookie value that nginx sends to each replica, found by asking nginx."""
    found: dict[str, str] = {}
    for _ in range(64):  # two replicas: 64 misses in a row would mean a chance of 2**-63
        cookie = new_cookie()
        found.setdefault(replica_for(rs, cookie), cookie)
        if len(found) == rs.count:
            return found
    pytest.fail(f"64 cookies all went to {sorted(found)}: the hash does not spread browsers")


def stream_replicas(rs: ReplicaSet, tags: set[str], timeout_s: float = 10) -> dict[str, list[str]]:
    """{client tag: replicas its websockets went to}, from nginx's access log.

    nginx logs a websocket when it closes, so this polls briefly after the browser contexts closed.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        found: dict[str, list[str]] = {}
        for line in rs.access_log.read_text(encoding="utf-8").splitlines():
            if match := STREAM_LINE.search(line):
                found.setdefault(match.group(2), []).append(match.group(1))
        if tags <= found.keys() or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_cookie_hash_keeps_a_browser_on_one_replica(replicas: ReplicaSet):
    """Without a browser: what nginx does with the cookie, request by request."""
    # A new browser has no cookie: its first requests (the page, the first health check) go round
    # robin, and the health check hands it a cookie.
    first = [get(replicas.url + "/_stcore/health") for _ in range(4)]
    assert {headers[REPLICA_HEADER.lower()] for _, headers in first} == set(replicas.replica_addresses)
    assert all(re.match(rf"{XSRF_COOKIE}=2\|", headers.get("set-cookie", "")) for _, headers in first), first

    # With a cookie, the same replica every time, for every kind of request the session makes.
    chosen = cookies_per_replica(replicas)
    assert sorted(chosen) == replicas.replica_addresses
    for replica, cookie in chosen.items():
        assert {replica_for(replicas, cookie) for _ in range(5)} == {replica}
        assert replica_for(replicas, cookie, "/_stcore/health") == replica
        # An upload (refused here: no XSRF header, no session) reaches the session's replica.
        status, headers = get(replicas.url + "/_stcore/upload_file/some-session/some-file", cookie, "PUT")
        assert status == 403 and headers[REPLICA_HEADER.lower()] == replica
        # Streamlit answers each health check with a re-masked copy of the token (another string,
        # another hash); nginx drops it so the browser keeps the cookie its session is hashed by.
        _, direct = get(f"http://{replica}/_stcore/health", cookie)
        assert direct.get("set-cookie", "").startswith(f"{XSRF_COOKIE}=2|")
        assert cookie not in direct["set-cookie"]
        _, proxied = get(replicas.url + "/_stcore/health", cookie)
        assert "set-cookie" not in proxied


def test_nginx_relays_the_anti_framing_headers_once_and_keeps_the_metrics_local(replicas: ReplicaSet):
    """Another site must not frame the dashboard (clickjacking a login): the replicas send the headers
    (onescreen/serve.py) and nginx relays them, each once, also where a location sets headers of its own
    (health). Streamlit's metrics (sessions, caches) answer without a login, so nginx does not relay them;
    each replica still answers on 127.0.0.1."""
    for path in ("/", "/_stcore/health"):
        with urllib.request.urlopen(replicas.url + path, timeout=10) as response:
            assert response.status == 200
            for name, value in SECURITY_HEADERS.items():
                assert response.headers.get_all(name) == [value], (path, name)
    assert get(replicas.url + "/_stcore/metrics")[0] == 404
    assert get(f"http://{replicas.replica_addresses[0]}/_stcore/metrics")[0] == 200


def xsrf_cookie(bp: BrowserPage) -> str | None:
    return next((c["value"] for c in bp.page.context.cookies() if c["name"] == XSRF_COOKIE), None)


def test_big_screen_through_nginx_sticks_to_one_replica(replicas: ReplicaSet, browser, artifacts_dir: Path):
    """Two browsers open the big screen through nginx: a new one (no cookie yet), then one whose
    cookie nginx hashes to the other replica. Both render without errors over a websocket through
    nginx, each on its own replica, and every request of the second one reaches its replica."""
    chosen = cookies_per_replica(replicas)
    host = replicas.url.split("//")[1]
    served: dict[str, list[str]] = {"fresh": [], "preset": []}
    expected: dict[str, str] = {}
    with ExitStack() as stack:
        pages: dict[str, BrowserPage] = {}
        for tag in ("fresh", "preset"):
            bp = stack.enter_context(open_page(browser, replicas.url, artifacts_dir, width=1920, height=1080))
            context = bp.page.context
            context.set_extra_http_headers({CLIENT_HEADER: tag})
            if tag == "preset":
                # The replica the new browser did not land on, chosen by its cookie.
                other = next(r for r in replicas.replica_addresses if r != expected["fresh"])
                context.add_cookies([{"name": XSRF_COOKIE, "value": chosen[other], "url": replicas.url}])
            bp.page.on("response", lambda r, tag=tag: served[tag].append(r.headers.get(REPLICA_HEADER.lower(), "")))
            with bp.page.expect_websocket(timeout=60_000):
                bp.page.goto(replicas.url + "/?kiosk=1", wait_until="commit", timeout=60_000)
            # The first health check handed the new browser its cookie before the websocket opened.
            assert xsrf_cookie(bp), f"{tag}: no {XSRF_COOKIE} cookie when the websocket opened"
            expected[tag] = replica_for(replicas, xsrf_cookie(bp))
            pages[tag] = bp
        # Both screens are now rendering at once.
        for tag, bp in pages.items():
            cookie = xsrf_cookie(bp)
            bp.wait_idle()
            bp.page.wait_for_selector(".os-tile", timeout=60_000)
            bp.wait_charts()
            report = error_report(bp)
            assert report == {key: [] for key in report}, (tag, report)
            assert bp.websockets == [f"ws://{host}/_stcore/stream"], (tag, bp.websockets)
            # A second tab of the same browser checks health again: the cookie must not change.
            assert bp.page.context.request.get(replicas.url + "/_stcore/health").ok
            assert xsrf_cookie(bp) == cookie, tag
        pages["fresh"].screenshot("replicas-big-screen")

    assert expected["preset"] != expected["fresh"]
    streams = stream_replicas(replicas, set(expected))
    for tag, replica in expected.items():
        # The session (its websocket) went through nginx to the replica its cookie hashes to.
        assert streams.get(tag) == [replica], (tag, streams)
    # With a cookie from the start, every request reached that replica, the page and its scripts
    # too. (A new browser's first requests, before it has a cookie, go round robin: harmless.)
    assert set(served["preset"]) == {expected["preset"]}, sorted(set(served["preset"]))
