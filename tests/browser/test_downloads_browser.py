"""The download buttons, clicked in a real browser: each file arrives, reads back, and carries no personal data.

Every download on the analysis pages is built when it is clicked (a callable given to
``st.download_button``), outside the page's script run; only a browser click exercises that path.
The files are searched for the callers' names, phone numbers and ticket texts of the test warehouse
(as ``test_privacy_browser`` searches the big screen's frames), and the ticket exports must be in
the audit log.
"""

from __future__ import annotations

import io
import json
import re

import duckdb
import openpyxl
import pandas as pd
import pytest

from .conftest import open_page
from .test_privacy_browser import MOBILE, _personal_values

pytestmark = pytest.mark.browser


def _download(bp, label: str) -> tuple[str, bytes]:
    """Click the download button labelled ``label``; the suggested file name and the file's bytes."""
    button = bp.page.locator('[data-testid="stDownloadButton"] button').filter(has_text=label)
    button.wait_for(timeout=60_000)
    with bp.page.expect_download(timeout=120_000) as caught:
        button.click()
    download = caught.value
    with open(download.path(), "rb") as handle:
        return download.suggested_filename, handle.read()


def _assert_no_personal_data(content: bytes, personal: dict[str, list[str]], kinds=("name", "phone", "text")) -> None:
    """No mobile number at all, and none of ``personal``'s values of ``kinds``."""
    assert [m.group() for m in MOBILE.finditer(content)] == []
    leaked = {kind: [v for v in personal[kind] if v.encode("utf-8") in content] for kind in kinds}
    assert leaked == {kind: [] for kind in kinds}


def _docx_text(content: bytes) -> bytes:
    """Every paragraph's and table cell's text of a Word document, as UTF-8."""
    import docx

    document = docx.Document(io.BytesIO(content))
    texts = [p.text for p in document.paragraphs] + [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join(texts).encode("utf-8")


def _xlsx_text(content: bytes) -> bytes:
    """Every cell of every sheet as UTF-8 text (the XLSX itself is zipped, so searching its bytes would prove nothing)."""
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    cells = [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row
             if v is not None]
    return "\n".join(cells).encode("utf-8")


def _exports_logged(audit_file) -> list[dict]:
    if not audit_file.exists():
        return []
    events = [json.loads(line) for line in audit_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [e for e in events if e["action"] == "export"]


def test_ticket_downloads_arrive_masked_and_audited(browser, streamlit_server, demo_warehouse, artifacts_dir):
    personal = _personal_values(demo_warehouse)
    assert personal["name"] and personal["phone"], "the warehouse has personal data to look for"
    audit_file = artifacts_dir / "streamlit-server.audit.jsonl"
    exports_before = len(_exports_logged(audit_file))
    with open_page(browser, streamlit_server, artifacts_dir) as bp:
        bp.goto("/tickets")
        shown = bp.page.get_by_text(re.compile(r"共 [\d,]+ 张工单")).first.inner_text()
        total = int(re.search(r"共 ([\d,]+) 张工单", shown).group(1).replace(",", ""))
        assert total > 0

        name, content = _download(bp, "下载 CSV")
        # the area leads the name (downloads for two communities of one month are two names)
        assert name.endswith(".csv") and name.startswith("工单明细_全区_"), name
        assert content.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel shows the Chinese
        frame = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig", dtype=str)
        assert list(frame.columns[:3]) == ["工单编号", "受理时间", "办理状态"]
        assert len(frame) == min(total, 20_000)
        assert frame["联系电话"].dropna().str.contains(r"\*").all()  # masked, not blank
        # Names and phones masked; the text is there as its masked summary (诉求内容（摘要）), as on screen.
        _assert_no_personal_data(content, personal, kinds=("name", "phone"))

        name, content = _download(bp, "下载 Excel")
        assert name.endswith(".xlsx")
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        assert book.sheetnames == ["工单明细"]
        rows = list(book["工单明细"].iter_rows(values_only=True))
        assert rows[0][:3] == ("工单编号", "受理时间", "办理状态") and len(rows) - 1 == min(total, 20_000)
        _assert_no_personal_data(_xlsx_text(content), personal, kinds=("name", "phone"))
        assert bp.page_errors == [] and bp.outside_requests() == []

    logged = _exports_logged(audit_file)[exports_before:]
    assert [(e["detail"], e["rows"]) for e in logged] == [
        ("工单明细 CSV（已脱敏）", min(total, 20_000)), ("工单明细 Excel（已脱敏）", min(total, 20_000))]


def test_rates_breakdown_download_adds_up_to_the_district(browser, streamlit_server, demo_warehouse, artifacts_dir):
    """三率分析's breakdown by street, downloaded: every street of the month plus 街道不明, adding up to the district."""
    with open_page(browser, streamlit_server, artifacts_dir) as bp:
        bp.goto("/rates")
        name, content = _download(bp, "下载分解表（CSV）")
        assert bp.page_errors == []
    match = re.fullmatch(r"三率分解_街道_(\d{8})\.csv", name)  # the default: streets, this month
    assert match, name
    month = pd.Timestamp(match.group(1)).date()
    frame = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig", dtype={"编码": str})
    assert list(frame.columns[:4]) == ["综合排名", "单位", "编码", "受理量"]
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        district = con.execute("select ticket_count from mart_rates where period_type = 'month' and level = 'district' "
                               "and period_start = ?", [month]).fetchone()[0]
        streets = {r[0] for r in con.execute("select unit_code from mart_rates where period_type = 'month' "
                                             "and level = 'street' and period_start = ?", [month]).fetchall()}
    finally:
        con.close()
    assert frame["受理量"].sum() == district
    assert set(frame["编码"].fillna("unassigned")) == streets  # 街道不明 is written without a code
    ranks = frame["综合排名"].dropna()
    assert sorted(ranks.tolist()) == list(range(1, len(ranks) + 1))  # whole numbers: "1", not "1.0"
    assert "1.0" not in content.decode("utf-8-sig").splitlines()[1].split(",")[0]


def test_weekly_report_downloads_open_offline_without_personal_data(browser, streamlit_server, demo_warehouse,
                                                                   artifacts_dir):
    personal = _personal_values(demo_warehouse)
    with open_page(browser, streamlit_server, artifacts_dir) as bp:
        bp.goto("/weekly")
        files = {fmt: _download(bp, label) for fmt, label in
                 (("html", "下载 HTML 报告"), ("xlsx", "下载 XLSX"), ("docx", "下载 Word"), ("json", "下载 JSON"))}
        assert bp.page_errors == []
    for fmt, (name, _) in files.items():
        assert re.fullmatch(rf"全区周报-\d{{4}}-W\d{{2}}\.{fmt}", name), name
    html = files["html"][1].decode("utf-8")
    # Offline: nothing in the report is fetched from elsewhere when it is opened.
    assert re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html) == []
    texts = {"html": files["html"][1], "xlsx": _xlsx_text(files["xlsx"][1]), "docx": _docx_text(files["docx"][1]),
             "json": json.dumps(json.loads(files["json"][1]), ensure_ascii=False).encode("utf-8")}
    for fmt, text in texts.items():
        assert "受理量".encode("utf-8") in text, fmt
        # The oldest open tickets are listed without caller, phone or the text of the request.
        _assert_no_personal_data(text, personal)
