"""A stand-in for a ClickHouse server's HTTP interface, answered by chdb, for tests of the HTTP path.

It speaks the part of the protocol ``onescreen.engine.HttpBackend`` uses: the statement in the POST
body (or in ``?query=`` with the data in the body, for ``INSERT ... FORMAT Parquet``), settings as
URL parameters, ``X-ClickHouse-User``/``X-ClickHouse-Key`` credentials, ``FORMAT ArrowStream``
results, and errors as HTTP 500 with ClickHouse's message. It is not a server to deploy.
"""

from __future__ import annotations

import re
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyarrow as pa

USER, PASSWORD = "reader", "secret"


class ChdbHttpServer:
    def __init__(self):
        # chdb runs one engine per process: share the in-process backend's session and its lock.
        from onescreen.engine import ChdbBackend

        self.session = ChdbBackend._get_session()
        self.lock = ChdbBackend._lock
        self.statements: list[str] = []
        handler = self._handler()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://{USER}:{PASSWORD}@127.0.0.1:{self.httpd.server_address[1]}/?database=onescreen"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()

    def run(self, sql: str, settings: dict[str, str], data: bytes | None) -> bytes:
        self.statements.append(sql)
        with self.lock:
            if data is not None:
                match = re.fullmatch(r"\s*INSERT INTO (\S+) FORMAT Parquet\s*", sql, re.I)
                if not match:
                    raise ValueError(f"unsupported statement with data: {sql}")
                with tempfile.NamedTemporaryFile(suffix=".parquet") as file:
                    file.write(data)
                    file.flush()
                    self.session.query(f"INSERT INTO {match.group(1)} SELECT * FROM file('{file.name}', Parquet)")
                return b""
            arrow = sql.rstrip().upper().endswith("FORMAT ARROWSTREAM")
            if arrow:
                sql = sql.rstrip()[: -len("FORMAT ArrowStream")]
                if settings:
                    sql += " SETTINGS " + ", ".join(f"{k} = {_value(v)}" for k, v in settings.items())
                table = self.session.query(sql, "ArrowTable")
                sink = pa.BufferOutputStream()
                with pa.ipc.new_stream(sink, table.schema) as writer:
                    writer.write_table(table)
                return sink.getvalue().to_pybytes()
            self.session.query(sql)
            return b""

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                if self.headers.get("X-ClickHouse-User") != USER or self.headers.get("X-ClickHouse-Key") != PASSWORD:
                    return self._reply(516, b"Code: 516. DB::Exception: reader: Authentication failed")
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                statement = query.pop("query", None)
                query.pop("database", None)
                try:
                    if statement is None:
                        result = server.run(body.decode("utf-8"), query, None)
                    else:
                        result = server.run(statement, query, body)
                except Exception as exc:  # chdb's error text, as the server would send it
                    return self._reply(500, str(exc).encode("utf-8"))
                self._reply(200, result)

            def _reply(self, status: int, body: bytes):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler


def _value(value: str) -> str:
    return value if re.fullmatch(r"-?\d+(\.\d+)?", value) else "'" + value.replace("'", "\\'") + "'"
