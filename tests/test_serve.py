"""The launcher `python -m onescreen.serve` (onescreen/serve.py): `streamlit run` with libraries preloaded."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT


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
        seen["argv"] = list(sys.argv)
        seen["loaded"] = [name for name in serve.PRELOAD if name in sys.modules]
        return 0

    monkeypatch.setattr(cli, "main", fake_main)
    monkeypatch.setattr(sys, "argv", ["serve"])
    assert serve.main(["app.py", "--server.port", "8765", "--server.headless", "true"]) == 0
    assert seen["argv"] == ["streamlit", "run", "app.py", "--server.port", "8765", "--server.headless", "true"]
    assert seen["loaded"] == list(serve.PRELOAD)


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
