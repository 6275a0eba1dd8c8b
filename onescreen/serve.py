"""``python -m onescreen.serve app.py [options]``: ``streamlit run app.py [options]``, with the libraries
every page needs loaded before the server listens.

Streamlit imports a page's libraries in the first run that needs them: pandas, pyarrow and DuckDB took 0.5-1 s
of the first big-screen session after a start, on top of its queries (docs/benchmarks.md). The wall screen is
usually that first session. This imports them, then hands over to Streamlit's own command line (what the
``streamlit`` script runs), so every option works as it does with ``streamlit run``. ``make run``,
``make replicas``, the browser tests and the benchmarks start the dashboard this way.

Only third-party libraries are preloaded: OneScreen's own modules that create Streamlit caches when imported
(``onescreen.db``, ``onescreen.data``) must be imported inside the running server.

Before any of that, the process makes what it writes private to its user (``umask 077``: the warehouse, uploads,
rejects files, reports and the audit log are 0600 in 0700 folders; nothing outside this process reads them, nginx
in ``deploy/`` only relays HTTP), and removes upload folders older than two days (``onescreen.upload.prune_uploads``),
so files left by a session that never loaded go even if nobody uploads again.

And every HTTP response of the server carries :data:`SECURITY_HEADERS`: another site may not frame the dashboard
(a decoy page over the upload or rollback button), nor the browser guess content types or send the dashboard's
addresses elsewhere. Streamlit has no setting for response headers; its server (in 1.67, Starlette under uvicorn:
no Tornado any more) builds its middleware with ``create_streamlit_middleware``, so :func:`add_security_headers`
puts two more in front. ``make run`` sends them; behind ``make replicas`` nginx relays them from each replica (and adds
none itself: one source).

Nothing the server does reaches the internet (:func:`keep_offline`): Streamlit looks up the machine's internet address
at checkip.amazonaws.com for its start-up banner when bound to every address (``make run BIND=0.0.0.0``) and to
allow a page opened by a host name it does not know; on an intranet that is a request that must not leave.

The page itself says it is Chinese (:class:`PageLanguage`): Streamlit's index.html says ``<html lang="en">``.

What is loaded by then stays for the life of the process, so it is moved out of the garbage collector's sight
(``gc.freeze``): a full collection no longer walks the libraries' hundred-odd thousand objects. Under 30
sessions at 5M tickets its pauses, which hold every session's thread, went from 150-157 ms at most (528-704 ms in
all over a warm-up and two rounds) to 84-99 ms (339-344 ms) (docs/benchmarks.md). Objects made later are
collected as before; a frozen object nothing refers to any more is still freed by its reference count.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys

# The data libraries every page needs; then those a page imports on its first run: pandas' Styler (the 三率 and 周报
# tables; it brings jinja2), xlsxwriter (the XLSX downloads), plotly, and Streamlit's emoji table (read by a page's
# first run): 0.15 s of 三率分析's first run after a start at 5M tickets (0.51 -> 0.36 s, docs/benchmarks.md).
PRELOAD = ("numpy", "pandas", "pyarrow", "duckdb", "pydeck", "shapely", "plotly.graph_objects", "pandas.io.formats.style",
           "xlsxwriter", "streamlit.emojis")
PRIVATE_UMASK = 0o077
SECURITY_HEADERS = {
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
_HEADER_NAMES = {name.lower().encode("latin-1") for name in SECURITY_HEADERS}
_HEADER_ITEMS = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()]
# Streamlit's index.html, as shipped, and as the dashboard serves it.
HTML_LANG = (b'<html lang="en">', b'<html lang="zh-CN">')


class SecurityHeaders:
    """ASGI middleware: :data:`SECURITY_HEADERS` on every HTTP response, each once (a route that sets one itself,
    like Streamlit's ``/app/static`` with nosniff, has it replaced, not repeated). Websockets pass untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in _HEADER_NAMES]
                message = {**message, "headers": kept + _HEADER_ITEMS}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PageLanguage:
    """ASGI middleware: the page says it is in Chinese (``<html lang="zh-CN">``) where Streamlit's index.html says
    English. Screen readers then read the dashboard with a Chinese voice instead of spelling its characters out in
    an English one, browsers do not offer to translate it "from English" (a bar across the wall screen), and
    Chinese glyph forms are chosen for its characters whatever the machine's own language.

    Only a page request (GET or HEAD of a path whose last part has no ".") is touched: it is asked for uncompressed
    (Streamlit 1.67 compresses no static file; one that did would hide the tag), and an HTML answer of 200 has its
    tag replaced and its length set again (a HEAD is answered as the GET would be, headers only, so its length
    agrees). Scripts, styles and the websocket pass untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or "." in scope["path"].rsplit("/", 1)[-1]:
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        scope = {**scope, "method": "GET",
                 "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]}
        start, body = None, []

        async def send_in_chinese(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict((k.lower(), v) for k, v in message.get("headers", ()))
                if message["status"] == 200 and headers.get(b"content-type", b"").startswith(b"text/html") \
                        and b"content-encoding" not in headers:
                    start = message   # held until the whole page is here
                    return
            elif start is not None and message["type"] != "http.response.body":
                # A file sent by path (http.response.pathsend, under a server that offers it): no body to rewrite;
                # the held start goes first, unchanged, so the page is served as Streamlit made it rather than not at all.
                await send(start)
                start = None
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                page = b"".join(body).replace(*HTML_LANG)
                headers = [(k, v) for k, v in start.get("headers", ()) if k.lower() != b"content-length"]
                await send({**start, "headers": [*headers, (b"content-length", str(len(page)).encode("latin-1"))]})
                message = {"type": "http.response.body", "body": b"" if head else page, "more_body": False}
            elif head and message["type"] == "http.response.body":
                # Not a page this rewrites (a redirect, a 304): what the GET answered, without its body.
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_in_chinese)


def add_security_headers() -> None:
    """Make Streamlit's server put :class:`SecurityHeaders` outermost of its own middleware (path checks, session,
    gzip), then :class:`PageLanguage`, so its refusals carry the headers too; only Starlette's last-resort 500 page, outside all middleware,
    goes without (nothing on it to click). Idempotent. Exits with one line when this Streamlit builds its
    server another way: the dashboard does not start without them."""
    from starlette.middleware import Middleware

    try:
        from streamlit.web.server.starlette import starlette_app
    except ImportError:
        starlette_app = None
    build = getattr(starlette_app, "create_streamlit_middleware", None)
    if build is None:
        sys.exit("错误：这个版本的 Streamlit 没有 create_streamlit_middleware，无法加防嵌入的响应头，服务未启动。"
                 "请改用 requirements.txt 中的 Streamlit 版本，或按新版本修改 onescreen/serve.py。")
    if getattr(build, "adds_security_headers", False):
        return

    def with_security_headers():
        return [Middleware(SecurityHeaders), Middleware(PageLanguage), *build()]

    with_security_headers.adds_security_headers = True
    starlette_app.create_streamlit_middleware = with_security_headers


def _no_external_ip() -> None:
    """No internet address: the dashboard is reached by its intranet name or address, never looked up outside."""
    return None


def keep_offline() -> None:
    """Make Streamlit's ``net_util.get_external_ip`` answer ``None`` without asking checkip.amazonaws.com. Both of its
    callers (``bootstrap._print_url``'s "External URL" line and ``server_util.is_url_from_allowed_origins``) look it
    up on the module at call time and skip a ``None``: the banner shows the local and network URLs only, and an
    origin is allowed by localhost, this machine's LAN address, ``browser.serverAddress`` or
    ``server.corsAllowedOrigins`` as before. Idempotent."""
    from streamlit import net_util

    net_util.get_external_ip = _no_external_ip


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    os.umask(PRIVATE_UMASK)
    from onescreen import upload   # creates no Streamlit cache

    upload.prune_uploads()
    for name in PRELOAD:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()
    add_security_headers()
    keep_offline()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *args]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
