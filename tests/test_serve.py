"""The launcher `python -m onescreen.serve` (onescreen/serve.py): `streamlit run` with libraries preloaded."""

from __future__ import annotations

import gc
import os
import re
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def restore_streamlit_middleware(monkeypatch):
    """serve.main changes how Streamlit builds its server in this process: undone after each test."""
    from streamlit.web.server.starlette import starlette_app

    monkeypatch.setattr(starlette_app, "create_streamlit_middleware", starlette_app.create_streamlit_middleware)


@pytest.fixture(autouse=True)
def restore_external_ip(monkeypatch):
    """serve.main stops Streamlit looking up the machine's internet address: undone after each test."""
    from streamlit import net_util

    monkeypatch.setattr(net_util, "get_external_ip", net_util.get_external_ip)


@pytest.fixture(autouse=True)
def unfreeze_gc():
    """serve.main hides what is loaded from the garbage collector (gc.freeze): given back after each test."""
    yield
    gc.unfreeze()


@pytest.fixture
def restore_umask():
    """serve.main sets the process's umask: give the test process its own back afterwards."""
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


def test_serve_loads_the_libraries_then_hands_every_argument_to_streamlit_run(monkeypatch, restore_umask):
    from streamlit.web import cli

    from onescreen import serve

    seen = {}

    def fake_main():
        from streamlit.web.server.starlette import starlette_app

        seen["argv"] = list(sys.argv)
        seen["loaded"] = [name for name in serve.PRELOAD if name in sys.modules]
        seen["frozen"] = gc.get_freeze_count()
        seen["outermost"], seen["second"] = (m.cls for m in starlette_app.create_streamlit_middleware()[:2])
        return 0

    monkeypatch.setattr(cli, "main", fake_main)
    monkeypatch.setattr(sys, "argv", ["serve"])
    assert serve.main(["app.py", "--server.port", "8765", "--server.headless", "true"]) == 0
    assert seen["argv"] == ["streamlit", "run", "app.py", "--server.port", "8765", "--server.headless", "true"]
    assert seen["loaded"] == list(serve.PRELOAD)
    # the libraries' objects are out of the collector's sight before the server starts
    assert seen["frozen"] > 10_000
    assert seen["outermost"] is serve.SecurityHeaders
    assert seen["second"] is serve.PageLanguage


def test_a_server_bound_to_every_address_never_asks_the_internet_for_its_address(monkeypatch, restore_umask):
    """`make run BIND=0.0.0.0`: Streamlit's start-up banner (bootstrap._print_url, headless, a wildcard address) and its
    websocket origin check (server_util.is_url_from_allowed_origins, for a page opened by a name the server does not
    know) ask checkip.amazonaws.com for an "External URL". The dashboard runs on intranets: no request leaves."""
    from streamlit import config, net_util
    from streamlit.web import bootstrap, cli
    from streamlit.web.server import server_util

    from onescreen import serve

    asked = []
    monkeypatch.setattr(net_util, "_make_blocking_http_get", lambda url, timeout=None: asked.append(url))
    monkeypatch.setattr(net_util, "_external_ip", None)
    monkeypatch.setattr(net_util, "get_internal_ip", lambda: "192.168.1.20")   # a socket, no request; not this test's
    options = {"server.address": "0.0.0.0", "server.headless": True, "logger.hideWelcomeMessage": False,
               "server.enableCORS": True}
    get_option, is_manually_set = config.get_option, config.is_manually_set
    monkeypatch.setattr(config, "get_option", lambda key: options[key] if key in options else get_option(key))
    monkeypatch.setattr(config, "is_manually_set", lambda key: key == "server.address" or (
        key != "browser.serverAddress" and is_manually_set(key)))
    seen = {}

    def fake_main():
        bootstrap._print_url(False)
        seen["allowed"] = server_util.is_url_from_allowed_origins("http://onescreen.street.example:8501")
        return 0

    monkeypatch.setattr(cli, "main", fake_main)
    monkeypatch.setattr(sys, "argv", ["serve"])
    assert serve.main(["app.py", "--server.address", "0.0.0.0"]) == 0
    assert asked == [] and seen["allowed"] is False


def test_serve_does_not_import_onescreen_modules_that_make_streamlit_caches():
    """Those must be created inside the running server; only third-party libraries are preloaded."""
    code = ("import sys; import onescreen.serve as s; [__import__(m) for m in s.PRELOAD]; "
            "print(sorted(m for m in sys.modules if m.startswith('onescreen.') and m != 'onescreen.serve'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=str(ROOT))
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_serve_removes_stale_uploads_before_the_server_starts(monkeypatch, tmp_path, restore_umask):
    """Uploads a session left (it never loaded them) go at the next start, even if nobody uploads again."""
    from streamlit.web import cli

    from onescreen import serve, settings

    monkeypatch.setattr(settings, "DATA_DIR", tmp_path / "data")
    stale, fresh = (tmp_path / "data" / "uploads" / (c * 32) for c in "ab")
    for folder in (stale, fresh):
        (folder / "0123456789abcdef").mkdir(parents=True)
        (folder / "0123456789abcdef" / "12345导出.csv").write_text("工单编号,来电人,来电号码\n")
    os.utime(stale, (time.time() - 3 * 24 * 3600,) * 2)
    seen = {}
    monkeypatch.setattr(cli, "main", lambda: seen.setdefault("stale", stale.exists()) and 0)
    monkeypatch.setattr(sys, "argv", ["serve"])
    serve.main(["app.py"])
    assert seen == {"stale": False} and fresh.exists()


def test_data_dir_moves_what_the_app_writes_by_default(tmp_path):
    """ONESCREEN_DATA_DIR moves the warehouse, uploads, rejects and the audit log out of the checkout (a test or
    a second server must not write citizens' exports into the repository's data/)."""
    code = ("from onescreen import settings, upload, audit; "
            "print(settings.warehouse_path()); print(upload.uploads_root()); print(audit.audit_path())")
    env = {k: v for k, v in os.environ.items() if k not in ("ONESCREEN_DB", "ONESCREEN_AUDIT")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**env, "ONESCREEN_DATA_DIR": str(tmp_path / "elsewhere")}).stdout.split()
    assert out == [str(tmp_path / "elsewhere" / name) for name in ("warehouse.duckdb", "uploads", "audit.jsonl")]


@pytest.mark.parametrize("data_dir_set", [True, False])
def test_data_dir_moves_the_replicas_run_folder_and_the_users_file(tmp_path, data_dir_set):
    """The state `make replicas` and logins write (nginx logs, the shared cookie secret, the users file) goes with
    ONESCREEN_DATA_DIR too, so a checkout a `git pull` updates holds none of it; without it, run/ and config/ as
    always."""
    code = "from deploy import replicas; from onescreen import users; print(replicas.DEFAULT_RUN_DIR); print(users.users_path())"
    env = {k: v for k, v in os.environ.items() if k not in ("ONESCREEN_DB", "ONESCREEN_USERS", "ONESCREEN_DATA_DIR")}
    if data_dir_set:
        env["ONESCREEN_DATA_DIR"] = str(tmp_path / "elsewhere")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env=env).stdout.split()
    if data_dir_set:
        expected = [tmp_path / "elsewhere" / "run" / "replicas", tmp_path / "elsewhere" / "users.json"]
        if (ROOT / "config" / "users.json").is_file():   # a checkout with users made before keeps them
            expected[1] = ROOT / "config" / "users.json"
    else:
        expected = [ROOT / "run" / "replicas", ROOT / "config" / "users.json"]
    assert out == [str(path) for path in expected]


def test_serve_makes_what_the_server_writes_private(monkeypatch, tmp_path, restore_umask):
    """Warehouse, uploads, rejects, reports and audit log: 0600 files in 0700 folders, whatever the shell's umask."""
    from streamlit.web import cli

    from onescreen import serve

    os.umask(0o022)

    def fake_main():
        (tmp_path / "uploads").mkdir()
        (tmp_path / "uploads" / "12345导出.csv").write_text("工单编号,来电人,来电号码\n")
        return 0

    monkeypatch.setattr(cli, "main", fake_main)
    monkeypatch.setattr(sys, "argv", ["serve"])
    serve.main(["app.py"])
    assert stat.S_IMODE((tmp_path / "uploads").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "uploads" / "12345导出.csv").stat().st_mode) == 0o600



class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The OIDC callback answers with a redirect: look at that response, not where it leads."""

    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str) -> tuple[int, Message, str]:
    """(status, headers, body) of a GET, redirects not followed."""
    try:
        with urllib.request.build_opener(_NoRedirect).open(url, timeout=10) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, ""


def test_every_response_forbids_framing_once(tmp_path):
    """`make run` has no nginx in front: the server itself says another site may not frame it (clickjacking of
    upload and rollback), on the page, Streamlit's scripts, the app's own static files, the health check, media
    and the OIDC callback, each header once (``/app/static`` sets nosniff itself). The websocket and a browser
    using the page are the browser tests' (tests/browser start the server the same way)."""
    from onescreen.serve import SECURITY_HEADERS
    from tests.browser.conftest import run_server

    with run_server(tmp_path / "no-warehouse.duckdb", tmp_path / "server.log") as base_url:
        page = _get(base_url + "/")[2]
        script = re.search(r'src="\.?/?(static/js/[^"]+\.js)"', page).group(1)
        for path, expected in [("/", 200), ("/" + script, 200), ("/app/static/blank-style.json", 200),
                               ("/_stcore/health", 200), ("/media/missing.png", 404), ("/oauth2callback", 302)]:
            status, headers, _ = _get(base_url + path)
            assert status == expected, path
            for name, value in SECURITY_HEADERS.items():
                assert headers.get_all(name) == [value], (path, name, headers.get_all(name))


def test_the_page_says_it_is_chinese_and_everything_else_is_served_as_it_was(tmp_path):
    """Streamlit's index.html says <html lang="en">: screen readers read the dashboard with an English voice and
    browsers offer to translate it. The page (any page's address: Streamlit serves the same file) says zh-CN, its
    length right, asked for gzip or not; scripts keep their bytes."""
    import gzip

    from onescreen.serve import HTML_LANG
    from tests.browser.conftest import run_server

    def fetch(url: str, gzip_ok: bool) -> tuple[dict, bytes]:
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
        with urllib.request.urlopen(request, timeout=10) as response:
            return {k.lower(): v for k, v in response.headers.items()}, response.read()

    import streamlit

    shipped = (Path(streamlit.__file__).parent / "static" / "index.html").read_bytes()
    assert HTML_LANG[0] in shipped   # what PageLanguage replaces is still there in this Streamlit
    with run_server(tmp_path / "no-warehouse.duckdb", tmp_path / "server.log") as base_url:
        for path in ("/", "/rates", "/weekly"):
            for gzip_ok in (False, True):
                headers, body = fetch(base_url + path, gzip_ok)
                assert "content-encoding" not in headers, (path, gzip_ok)
                assert body == shipped.replace(*HTML_LANG), (path, gzip_ok)
                assert int(headers["content-length"]) == len(body)
            head = urllib.request.Request(base_url + path, method="HEAD")
            with urllib.request.urlopen(head, timeout=10) as response:   # the length a GET would have
                assert int(response.headers["content-length"]) == len(body) and response.read() == b""
        script = re.search(r'src="\.?/?(static/js/[^"]+\.js)"', body.decode()).group(1)
        for gzip_ok in (False, True):   # (Streamlit 1.67 compresses no static file: the same bytes either way)
            headers, data = fetch(f"{base_url}/{script}", gzip_ok)
            data = gzip.decompress(data) if headers.get("content-encoding") == "gzip" else data
            assert data == (Path(streamlit.__file__).parent / "static" / script).read_bytes()


def test_a_streamlit_that_builds_its_server_another_way_does_not_start(monkeypatch):
    """Without the hook the headers cannot be added: one line and no server, never a server without them."""
    from streamlit.web.server.starlette import starlette_app

    from onescreen import serve

    monkeypatch.delattr(starlette_app, "create_streamlit_middleware")
    with pytest.raises(SystemExit) as exit_:
        serve.add_security_headers()
    assert str(exit_.value) == ("错误：这个版本的 Streamlit 没有 create_streamlit_middleware，无法加防嵌入的响应头，服务未启动。"
                                "请改用 requirements.txt 中的 Streamlit 版本，或按新版本修改 onescreen/serve.py。")


def test_the_page_language_rewrite_holds_the_page_whole_and_lets_a_file_sent_by_path_through():
    """PageLanguage without a server: a page in several body messages is rewritten whole with its length set again;
    a page sent by path (ASGI pathsend, which uvicorn 0.54 does not offer but another server may) goes out as it is
    instead of its start being held for a body that never comes; scripts are not touched."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from onescreen.serve import HTML_LANG, PageLanguage

    page = b'<!doctype html><html lang="en"><head></head><body>' + b"x" * 5000 + b"</body></html>"

    def app_sending(messages):
        async def app(scope, receive, send):
            for message in messages:
                await send(message)
        return app

    def run(messages, path="/rates", method="GET"):
        sent = []

        async def send(message):
            sent.append(message)
        scope = {"type": "http", "method": method, "path": path, "headers": [(b"accept-encoding", b"gzip")]}
        # In a thread of its own: a browser test earlier in this worker may have left an event loop running here.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, PageLanguage(app_sending(messages))(scope, None, send)).result()
        return sent

    start = {"type": "http.response.start", "status": 200,
             "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(page)).encode())]}
    chunks = [{"type": "http.response.body", "body": page[:20], "more_body": True},
              {"type": "http.response.body", "body": page[20:], "more_body": False}]
    sent = run([start, *chunks])
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1]["body"] == page.replace(*HTML_LANG) and HTML_LANG[1] in sent[1]["body"]
    assert dict(sent[0]["headers"])[b"content-length"] == str(len(sent[1]["body"])).encode()
    head = run([start, *chunks], method="HEAD")   # answered as the GET is (Starlette sends HEAD no body anyway)
    assert head[0] == sent[0] and head[1]["body"] == b""
    by_path = {"type": "http.response.pathsend", "path": "/static/index.html"}
    assert run([start, by_path]) == [start, by_path]
    script = [{**start, "headers": [(b"content-type", b"text/javascript")]}, chunks[1]]
    assert run(script, path="/static/js/index.js") == script


def test_the_server_does_not_watch_its_source_files():
    """Streamlit watches the folder of every imported module and, after each script run, walks sys.modules again:
    half the server's CPU under 30 sessions (docs/benchmarks.md). The project's config turns it off, as Streamlit
    itself reads that config when started from the project folder (a misspelt key would be ignored: asked here)."""
    out = subprocess.run(
        [sys.executable, "-c", "from streamlit import config; config.get_config_options(force_reparse=True); "
                               "print(config.get_option('server.fileWatcherType'))"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(ROOT / "no-such-home")})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "none"
