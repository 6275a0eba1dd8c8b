"""The launcher `python -m onescreen.serve` (onescreen/serve.py): `streamlit run` with libraries preloaded."""

from __future__ import annotations

import subprocess
import sys

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
