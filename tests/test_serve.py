"""The launcher `python -m onescreen.serve` (onescreen/serve.py): `streamlit run` with libraries preloaded."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT


def test_serve_loads_the_libraries_then_hands_every_argument_to_streamlit_run(monkeypatch):
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


def test_serve_removes_stale_uploads_before_the_server_starts(monkeypatch, tmp_path):
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
