"""Names from the data reach Markdown on every page (a file's name in the upload page's boxes, a community's in a
caption, a company's in a link): :func:`onescreen.ui.markdown_text` must make Streamlit's real renderer show each as
written, in a body, a box, a caption, a radio option and a button label (tests/browser/markdown_probe.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from .conftest import ROOT, _free_port, _wait_healthy, open_page
from .markdown_probe import CASES

pytestmark = pytest.mark.browser

# What Markdown or Streamlit would have made of a name: a link, emphasis, a list, a heading, a formula, an icon ...
MADE = "a, em, del, code, pre, li, h1, h2, h3, h4, h5, h6, blockquote, table, img, hr, br, .katex, [role=img]"
KINDS = ("markdown", "warning", "caption", "radio", "button")


@pytest.fixture(scope="module")
def probe_server(artifacts_dir):
    port = _free_port()
    log_path = artifacts_dir / "markdown-probe.log"
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "tests" / "browser" / "markdown_probe.py"),
               "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
               "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        _wait_healthy(proc, f"http://127.0.0.1:{port}/_stcore/health", log_path)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_names_from_the_data_show_as_written_wherever_markdown_shows_them(browser, probe_server, artifacts_dir):
    with open_page(browser, probe_server, artifacts_dir, width=1440, height=900) as bp:
        bp.page.goto(probe_server + "/", wait_until="domcontentloaded", timeout=120_000)
        bp.wait_idle()
        bp.page.wait_for_selector(f".st-key-case_button_{len(CASES) - 1} button", timeout=60_000)
        drawn = bp.page.evaluate("""([n, kinds, made]) => [...Array(n).keys()].map(i => kinds.map(kind => {
                const box = document.querySelector(`.st-key-case_${kind}_${i}`);
                return [[...box.querySelectorAll('[data-testid=stMarkdownContainer], [data-testid=stCaptionContainer]')].map(e => e.innerText),
                        [...box.querySelectorAll(made)].map(e => e.outerHTML.slice(0, 80)),
                        [...box.querySelectorAll('strong')].map(e => e.innerText)];
            }))""", [len(CASES), list(KINDS), MADE])
        bp.screenshot("markdown-probe")
    wrong = []
    for case, per_kind in zip(CASES, drawn):
        written = re.sub(r"[ \t]*[\r\n]\s*", " ", case)   # a line break shows as a space, as Streamlit shows it
        wanted = {"markdown": f"名称：{written}", "warning": f"{written}：1 条提示", "caption": f"工作表 {written} · 1 行",
                  "radio": f"同上次（{written}）", "button": f"下载（{written}）"}
        for kind, (texts, made, strong) in zip(KINDS, per_kind):
            texts = [t.replace("\u2060", "").strip() for t in texts]
            if wanted[kind] not in texts or made or strong != (["名称"] if kind == "markdown" else []):
                wrong.append((case, kind, texts, made, strong))
    assert not wrong, "\n".join(f"{case!r} in the {kind}: drawn {texts}, made {made}, bold {strong}"
                                   for case, kind, texts, made, strong in wrong)
