"""Shared fixtures: the golden export files and a tiny warehouse built from them through the real ETL.

- ``fixture_warehouse`` (session): the path of a small, coherent district loaded with
  ``etl.load.load_files`` exactly as a user's files are: 1 street, 2 communities, 4 grids with
  polygons, 4 compounds, 3 property companies, 5 inspections, two overlapping weeks of 12345 tickets
  and grid-platform events from four channels (12 tickets in all). Treat it as read-only; tests that
  change a warehouse use ``warehouse_copy`` or ``warehouse_db``.
- ``warehouse_db``: ``ONESCREEN_DB`` pointed at a fresh, not yet existing file.
- ``warehouse_copy``: ``ONESCREEN_DB`` pointed at a private copy of ``fixture_warehouse``.
- ``exports``: a private copy of ``tests/fixtures/exports`` (``--skip-bad-rows`` writes its
  ``*.rejected.csv`` beside the input, and the committed fixtures must stay untouched).
- ``metrics_con`` (module): an in-memory connection holding the hand-made metrics fixture
  (``tests/metrics_fixture.py``, Aug-Oct 2025, as-of 2025-10-16) with its marts built.
- ``log_scrubbing``: the scrubbing log record factory and filters installed for one test, then removed.

To look at the fixture district yourself: ``python tests/conftest.py /tmp/district.duckdb``.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so that `python tests/conftest.py` finds the etl package too
    sys.path.insert(0, str(ROOT))

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "exports"

# Two loads, as an analyst would run them: the places and the first week, then the next week.
DISTRICT_LOADS: list[list[str]] = [
    ["grids.geojson", "compounds_utf8_bom.csv", "inspections.xlsx", "hotline_gbk.csv"],
    ["hotline_week2.csv", "events.xlsx"],
]


def build_fixture_warehouse(path: Path, exports_dir: Path = FIXTURES) -> Path:
    """Load the fixture district into the warehouse at ``path`` through the real ETL; return ``path``."""
    from etl.load import load_files

    for names in DISTRICT_LOADS:
        load_files([exports_dir / name for name in names], db_path=path, loaded_by="tests")
    return path


@pytest.fixture(scope="session")
def fixture_warehouse(tmp_path_factory) -> Path:
    """Path of the session's fixture-district warehouse (read-only by convention)."""
    path = tmp_path_factory.mktemp("fixture_warehouse") / "warehouse.duckdb"
    yield build_fixture_warehouse(path)


@pytest.fixture(scope="module")
def metrics_con():
    """The hand-made metrics fixture in memory, marts built with the rules in force."""
    import duckdb

    from etl.marts import build_marts
    from metrics_fixture import build_warehouse
    from onescreen.rules import load_rules

    con = duckdb.connect()
    build_warehouse(con)
    build_marts(con, load_rules())
    yield con
    con.close()


# -- login ------------------------------------------------------------------------------------------
# The app runs in demo mode only without a users file (ONESCREEN_USERS=demo says so whatever config/ holds;
# ONESCREEN_USERS naming a missing file is an error page, not demo mode). Every test starts
# in demo mode with its own audit log (never the repository's config/ or data/); a test that needs a
# role uses the ``users`` fixture and ``login(at, "analyst")``.
TEST_PASSWORD = "test-password-1"
# name -> (role, scope keywords, permissions); all on the whole district.
TEST_USERS = {
    "admin": ("admin", {"district": True}, ("export_unmasked",)),
    "analyst": ("analyst", {"district": True}, ()),
    "leader": ("leader", {"district": True}, ()),
    "kiosk": ("kiosk", {"district": True}, ()),
    "nobody": ("leader", {}, ()),
}


@pytest.fixture(autouse=True)
def _demo_mode_and_private_audit(tmp_path, monkeypatch):
    """No users file (demo mode) and an audit log in ``tmp_path`` unless a test says otherwise."""
    monkeypatch.setenv("ONESCREEN_USERS", "demo")
    monkeypatch.setenv("ONESCREEN_AUDIT", str(tmp_path / "audit.jsonl"))


@contextlib.contextmanager
def log_scrubbing_installed():
    """``onescreen.errors.install_log_filter()`` for a while: afterwards the record factory, the root's level, the
    root's and ``streamlit``'s handlers and their filters are as they were."""
    import logging

    from onescreen import errors

    loggers = [logging.getLogger(), logging.getLogger("streamlit")]
    factory, level = logging.getLogRecordFactory(), logging.getLogger().level
    handlers = [(logger, list(logger.handlers)) for logger in loggers]
    filters = {handler: list(handler.filters) for _, kept in handlers for handler in kept}
    errors.install_log_filter()
    try:
        yield
    finally:
        logging.setLogRecordFactory(factory)
        logging.getLogger().setLevel(level)
        for logger, kept in handlers:
            logger.handlers[:] = kept
        for handler, kept_filters in filters.items():
            handler.filters[:] = kept_filters


@pytest.fixture
def log_scrubbing():
    """The scrubbing log record factory and filters for one test only (:func:`log_scrubbing_installed`), so no other
    test runs with them by chance."""
    with log_scrubbing_installed():
        yield


@pytest.fixture
def users(tmp_path, monkeypatch) -> Path:
    """A users file with TEST_USERS (password TEST_PASSWORD, fast bcrypt), set as ``ONESCREEN_USERS``.

    Add more with ``onescreen.users.add_user(..., path=users, rounds=4)``.
    """
    from onescreen.users import add_user

    path = tmp_path / "users.json"
    for name, (role, scope, permissions) in TEST_USERS.items():
        add_user(name, role, TEST_PASSWORD, permissions=permissions, path=path, rounds=4, **scope)
    monkeypatch.setenv("ONESCREEN_USERS", str(path))
    return path


def login(at, name: str, password: str = TEST_PASSWORD):
    """Fill the login form of an AppTest that shows it, submit, and return the AppTest."""
    at.text_input(key="os_login_name").input(name)
    at.text_input(key="os_login_password").input(password)
    next(b for b in at.button if b.label == "登录").click()
    return at.run()


def xlsx_with(sheet: bytes, padding: bytes = b"", declared: int | None = None) -> bytes:
    """The fixture ``hotline.xlsx`` with its sheet part replaced by ``sheet`` (deflated), ``padding``
    stored beside it as ``xl/media/pad.bin`` when given, and the sheet's uncompressed size in the zip's
    headers replaced by ``declared`` when given (a file that lies about its size). Small inputs
    only: what a test builds here is what the check refuses, never expanded past it."""
    import io
    import struct
    import zipfile

    name = "xl/worksheets/sheet1.xml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(FIXTURES / "hotline.xlsx") as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            target.writestr(info.filename, sheet if info.filename == name else source.read(info.filename))
        if padding:
            target.writestr(zipfile.ZipInfo("xl/media/pad.bin"), padding, compress_type=zipfile.ZIP_STORED)
    data = bytearray(buffer.getvalue())
    if declared is not None:   # the central directory's entry (offset 24) and its local header's (offset 22)
        at = -1
        while (at := data.find(b"PK\x01\x02", at + 1)) >= 0:
            length = struct.unpack_from("<H", data, at + 28)[0]
            if data[at + 46:at + 46 + length] == name.encode():
                struct.pack_into("<I", data, at + 24, declared)
                struct.pack_into("<I", data, struct.unpack_from("<I", data, at + 42)[0] + 22, declared)
    return bytes(data)


def bomb_sheet(megabytes: int) -> bytes:
    """A worksheet part of ``megabytes`` MB that deflates more than 200-fold: rows of tiny cells."""
    row = b"<row>" + b"<c><v>1</v></c>" * 20 + b"</row>"
    return (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData>' + row * (megabytes * 1048576 // len(row)) + b"</sheetData></worksheet>")


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """``python -m etl ARGV`` in this process: (exit code, stdout, stderr)."""
    from etl.cli import main

    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def _reset_app_connection() -> None:
    """Drop the app's cached read-only connection (``onescreen.db``) so no test sees another's file."""
    try:
        from onescreen import db
    except ImportError:
        return
    db.reset()


@pytest.fixture
def warehouse_db(tmp_path, monkeypatch) -> Path:
    """A fresh warehouse path (the file does not exist yet), set as ``ONESCREEN_DB``."""
    path = tmp_path / "wh" / "warehouse.duckdb"
    monkeypatch.setenv("ONESCREEN_DB", str(path))
    _reset_app_connection()
    yield path
    _reset_app_connection()


@pytest.fixture
def warehouse_copy(fixture_warehouse, tmp_path, monkeypatch) -> Path:
    """A private copy of the fixture district, set as ``ONESCREEN_DB``: free to load into or roll back."""
    path = tmp_path / "wh" / "warehouse.duckdb"
    path.parent.mkdir()
    shutil.copyfile(fixture_warehouse, path)
    monkeypatch.setenv("ONESCREEN_DB", str(path))
    _reset_app_connection()
    yield path
    _reset_app_connection()


@pytest.fixture
def exports(tmp_path) -> Path:
    """A private copy of the golden export files."""
    target = tmp_path / "exports"
    shutil.copytree(FIXTURES, target, ignore=shutil.ignore_patterns("*.rejected.csv"))
    return target


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "fixture_district.duckdb")
    if out.exists():
        sys.exit(f"{out} exists already; give a new path.")
    print(build_fixture_warehouse(out))
