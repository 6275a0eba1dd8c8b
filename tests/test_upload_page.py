"""The 数据导入 page driven through AppTest, files given to the real ``st.file_uploader`` (AppTest 1.67
can upload): a good file, a wrong header mapped by hand, bad rows, a repeated file, undo, a second
load while one runs, the size limit and an empty warehouse. Each test checks what the user sees and
what the warehouse holds."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from etl.warehouse import writer
from onescreen import settings

from conftest import FIXTURES, ROOT, login

APP = str(ROOT / "app.py")
# The page is for analysts and admins: every test here logs in as the analyst.
pytestmark = pytest.mark.usefixtures("users")


def query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def batches(path: Path) -> list[tuple]:
    return query(path, "select batch_id, file_name, rows_inserted, rows_rejected, status, loaded_by from load_batches order by 1")


def markdown_of(at: AppTest, *kinds: str) -> list[str]:
    """The Markdown of the page's elements of ``kinds`` (``"success"``, ``"caption"`` ...), as the page wrote it."""
    return [el.value for kind in kinds for el in getattr(at, kind)]


def shown(at: AppTest, *kinds: str) -> list[str]:
    """The same as read: Markdown's escapes (names from the files are escaped, ``hotline\\_utf8\\.csv``) taken out."""
    return [re.sub(r"\\(.)", r"\1", text) for text in markdown_of(at, *kinds)]


def noted(at: AppTest) -> list[str]:
    """The warning boxes' text as read."""
    return shown(at, "warning")


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """Uploads go to a temporary DATA_DIR (AppTest runs the page in this process)."""
    monkeypatch.setattr(settings, "DATA_DIR", tmp_path / "data")
    return tmp_path / "data"


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    login(at, "analyst")
    at.switch_page("app_pages/upload.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at: AppTest, name: str, data: bytes) -> None:
    at.file_uploader[0].upload(name, data, "application/octet-stream").run()
    assert not at.exception, [e.value for e in at.exception]


def check_and_load(at: AppTest) -> None:
    at.button(key="up_check").click().run()
    at.button(key="up_load").click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_good_file_recognised_previewed_checked_and_loaded(warehouse_copy, data_dir):
    at = open_page()
    data = (FIXTURES / "hotline_utf8.csv").read_bytes()
    upload(at, "../导出/hotline_utf8.csv", data)
    assert "识别为 **12345热线工单** · 编码 utf-8 · 表头在第 1 行 · 工作表 — · 2 行" in shown(at, "caption")
    # (headers are the file's text: escaped for Markdown, ticket\_id)
    mapping = [m.replace("\\", "") for m in shown(at, "markdown") if m.startswith("列对应：")]
    assert mapping and mapping[0].startswith("列对应：工单编号 ← ticket_id；") and "来电时间 ← created_date" in mapping[0]
    preview = at.dataframe[0].value
    assert list(preview["来电号码（phone）"]) == ["138****0003", "138****0004"]
    saved = next((data_dir / "uploads").glob("*/*/hotline_utf8.csv"))
    assert saved.read_bytes() == data
    assert batches(warehouse_copy)[-1][0] == 6  # nothing written by recognition or preview

    at.button(key="up_check").click().run()
    assert "hotline_utf8.csv：检查通过，2 行，导入后新增 2，更新 0，未变 0。" in shown(at, "success")
    assert len(batches(warehouse_copy)) == 6  # nor by the check
    at.button(key="up_load").click().run()
    assert "hotline_utf8.csv（12345热线工单，批次 7）：读取 2 行，新增 2，更新 0，未变 0，拒收 0" in shown(at, "success")
    assert "**数据截至 2025-10-10 15:00**" in shown(at, "markdown")
    assert batches(warehouse_copy)[-1] == (7, "hotline_utf8.csv", 2, 0, "loaded", "analyst")
    assert query(warehouse_copy, "select ticket_id from fct_tickets where batch_id = 7 order by 1") == [("U0001",), ("U0002",)]
    assert any(m.replace("\\", "").startswith("批次 7 · hotline_utf8.csv · 12345热线工单") for m in shown(at, "markdown"))
    assert at.file_uploader[0].value == []  # a fresh uploader for the next round
    assert not saved.exists() and not saved.parent.exists()  # loaded: the export with its phone numbers is gone


def test_a_totals_row_is_not_counted_among_the_rows(warehouse_copy, data_dir):
    """A 2-ticket GBK export with its 合计：2条 row was "3 行" on recognition and "2 行" in the check."""
    at = open_page()
    upload(at, "本周.csv", "工单编号,来电时间,所属社区\nT1,2025-10-05 09:00,东风社区\nT2,2025-10-05 10:00,东风社区\n"
                          "合计：2条,,\n".encode("gbk"))
    assert "识别为 **12345热线工单** · 编码 gb18030 · 表头在第 1 行 · 工作表 — · 2 行（另有合计行 1 行，不导入）" in shown(at, "caption")
    at.button(key="up_check").click().run()
    assert "本周.csv：检查通过，2 行，导入后新增 2，更新 0，未变 0。" in shown(at, "success")


def test_wrong_header_mapped_by_hand(warehouse_copy, data_dir):
    at = open_page()
    data = (FIXTURES / "hotline_wrong_header.csv").read_bytes()
    upload(at, "hotline_wrong_header.csv", data)
    # No column of any export: not called a 12345 export missing fields, its column pickers closed.
    assert shown(at, "warning") == [
        "看不出文件 hotline_wrong_header.csv 是哪类导出：没有一列表头与已知导出相符。文件第 1 行的表头为：编号、日期、内容。"
        "能导入的有（括号中为必须有的列）：12345热线工单（工单编号、来电时间）、网格平台事件（工单编号、来电时间、诉求来源）"
        "、网格定义（网格编号、所属社区、所属街道）、小区与物业（小区名称、物业企业）、物业日常考核（考核日期、物业企业、小区名称、得分）。请确认选对了文件；确是其中一类、只是表头写法不同时，"
        "请在“来源类型”中选择，再在“修改列对应”中为各字段选择文件中的列。"]
    assert any(m.startswith("看不出来源类型 · 编码 utf-8") for m in shown(at, "caption"))
    assert not [m for m in shown(at, "markdown") if m.startswith("列对应：")]
    assert not at.expander[0].proto.expanded
    assert "请先解决上面标出的问题（选择来源类型或列对应），再检查和导入。" in shown(at, "info")
    assert not [b for b in at.button if b.key == "up_check"]

    key = hashlib.sha256(data).hexdigest()[:16]
    at.selectbox(key=f"up_map_{key}_hotline_ticket_id").set_value("编号")
    at.selectbox(key=f"up_map_{key}_hotline_received_at").set_value("日期").run()
    assert shown(at, "warning") == []
    assert "列对应：工单编号 ← 编号；来电时间 ← 日期" in shown(at, "markdown")
    assert "以下列未使用：内容" in shown(at, "caption")
    check_and_load(at)
    assert "hotline_wrong_header.csv（12345热线工单，批次 7）：读取 1 行，新增 1，更新 0，未变 0，拒收 0" in shown(at, "success")
    assert query(warehouse_copy, "select ticket_id, received_at::varchar from fct_tickets where batch_id = 7") == [
        ("1", "2025-10-01 00:00:00")]


def test_bad_rows_listed_then_nothing_or_the_good_rows_loaded(warehouse_copy, data_dir):
    at = open_page()
    upload(at, "hotline_bad_rows.csv", (FIXTURES / "hotline_bad_rows.csv").read_bytes())
    at.button(key="up_check").click().run()
    assert "hotline_bad_rows.csv：有 4 处问题（4 行），其余 1 行没有问题；只导入这些行时新增 1，更新 0，未变 0。" in shown(at, "warning")
    problems = next(d.value for d in at.dataframe if "问题及处理" in d.value.columns)
    assert list(problems["行"]) == [3, 4, 5, 6]
    assert list(problems["值（已脱敏）"]) == ["2025-13-45 10:00", "很好", "B0001", ""]
    assert at.radio(key="up_mode").value == "none"
    assert at.button(key="up_load").disabled  # by default nothing is loaded
    # (a label is Markdown: the file's name is escaped in it)
    assert at.download_button[0].label == "下载被拒收的行（hotline\\_bad\\_rows\\.rejected\\.csv，含原因，已脱敏）"
    assert len(batches(warehouse_copy)) == 6

    at.radio(key="up_mode").set_value("skip").run()
    at.button(key="up_load").click().run()
    assert "hotline_bad_rows.csv（12345热线工单，批次 7）：读取 5 行，新增 1，更新 0，未变 0，拒收 4" in shown(at, "success")
    box = next(w for w in noted(at) if w.startswith("hotline_bad_rows.csv："))
    assert box.startswith("hotline_bad_rows.csv：2 条提示，请留意：\n\n")
    assert ("\n- 4 行有问题未导入，已连同原因写入 hotline_bad_rows.rejected.csv（个人信息已脱敏）：请按其中的行号在原文件中修正，"
            "再导入原文件。\n") in box
    # (a label is Markdown: the file's name is escaped in it)
    assert at.download_button[0].label == "下载被拒收的行（hotline\\_bad\\_rows\\.rejected\\.csv，含原因，已脱敏）"
    rejects = next((data_dir / "uploads").glob("*/*/hotline_bad_rows.rejected.csv")).read_text(encoding="utf-8-sig")
    # The export is deleted once loaded; its masked rejects stay for the download button above.
    assert not list((data_dir / "uploads").glob("*/*/hotline_bad_rows.csv"))
    assert "无法识别的日期时间" in rejects and "13912345678" not in rejects and "139****5678" in rejects
    assert batches(warehouse_copy)[-1] == (7, "hotline_bad_rows.csv", 1, 4, "loaded", "analyst")
    assert query(warehouse_copy, "select ticket_id from fct_tickets where batch_id = 7") == [("B0001",)]


def test_repeated_file_says_so_and_changes_nothing(warehouse_copy, data_dir):
    before = hashlib.sha256(warehouse_copy.read_bytes()).hexdigest()
    at = open_page()
    upload(at, "第二周（再次导出）.csv", (FIXTURES / "hotline_week2.csv").read_bytes())
    at.button(key="up_check").click().run()
    assert shown(at, "info") == ["第二周（再次导出）.csv（12345热线工单）：已在批次 5 导入过，本次未做任何改动。",
                                 "这些文件都已导入过，再次导入不会做任何改动。"]
    at.button(key="up_load").click().run()
    assert shown(at, "info") == ["第二周（再次导出）.csv（12345热线工单）：已在批次 5 导入过，本次未做任何改动。"]
    assert hashlib.sha256(warehouse_copy.read_bytes()).hexdigest() == before


def test_undo_asks_first_refuses_out_of_order_then_restores(warehouse_copy, data_dir):
    at = open_page()
    at.button(key="up_undo_4").click().run()
    assert shown(at, "warning") == ["确定撤销批次 4 吗？撤销后该批次的数据从所有页面消失，可以重新导入同一文件。"]
    at.button(key="up_undo_cancel").click().run()
    assert shown(at, "warning") == [] and len([b for b in at.button if b.key == "up_undo_confirm"]) == 0

    at.button(key="up_undo_4").click().run()
    at.button(key="up_undo_confirm").click().run()
    assert shown(at, "error") == ["错误：批次 4 导入的数据已被后来的批次 5 更新，请先撤销批次 5，再撤销批次 4。"]
    assert shown(at, "warning") == []
    assert [b[4] for b in batches(warehouse_copy)] == ["loaded"] * 6

    at.button(key="up_undo_6").click().run()
    at.button(key="up_undo_confirm").click().run()
    assert shown(at, "success") == ["已撤销批次 6：删除了它写入的 工单 5 行，工单联系人信息 5 行，并恢复了它更新前的数据。"]
    assert batches(warehouse_copy)[5][4] == "rolled_back"
    assert query(warehouse_copy, "select count(*) from fct_tickets where batch_id = 6") == [(0,)]
    assert not [b for b in at.button if b.key == "up_undo_6"]
    assert "已撤销" in list(at.dataframe[0].value["状态"])
    # Counts are grouped by the browser's locale (181,534, not 181534).
    config = json.loads(at.dataframe[0].proto.columns)
    assert {name: config[name].get("type_config", {}).get("format") for name in ("读取", "新增", "拒收")} == {
        "读取": "localized", "新增": "localized", "拒收": "localized"}


def test_an_undo_is_logged_with_the_rows_of_the_batchs_main_table(warehouse_copy, data_dir, tmp_path):
    """A 12345 batch of 5 tickets was logged as 5 rows loaded and 10 undone (its ticket_pii rows counted too)."""
    from onescreen import audit

    at = open_page()
    at.button(key="up_undo_6").click().run()
    at.button(key="up_undo_confirm").click().run()
    events = audit.read(tmp_path / "audit.jsonl")
    undo = events[events["操作"] == "撤销批次"].iloc[0]   # (newest first)
    assert (undo["内容"], undo["行数"]) == ("批次 6：工单 5 行（另有 工单联系人信息 5 行）", 5)


def test_a_second_load_while_one_runs_fails_at_once(warehouse_copy, data_dir):
    at = open_page()
    upload(at, "hotline_utf8.csv", (FIXTURES / "hotline_utf8.csv").read_bytes())
    at.button(key="up_check").click().run()
    with writer():  # another user's load holds the warehouse
        at.button(key="up_load").click().run()
    assert shown(at, "error") == ["错误：另一个导入或撤销正在进行（warehouse.duckdb），请等它结束后再试。"]
    assert len(batches(warehouse_copy)) == 6
    saved = next((data_dir / "uploads").glob("*/*/hotline_utf8.csv"))  # kept for a retry
    at.button(key="up_load").click().run()
    assert "hotline_utf8.csv（12345热线工单，批次 7）：读取 2 行，新增 2，更新 0，未变 0，拒收 0" in shown(at, "success")
    assert not saved.exists()


def test_a_file_removed_from_the_uploader_is_deleted(warehouse_copy, data_dir):
    at = open_page()
    at.file_uploader[0].set_value([(name, (FIXTURES / name).read_bytes(), "application/octet-stream")
                                   for name in ("hotline_utf8.csv", "grids.geojson")]).run()
    saved = next((data_dir / "uploads").glob("*/*/hotline_utf8.csv"))
    assert next((data_dir / "uploads").glob("*/*/grids.geojson")).exists()
    at.file_uploader[0].clear().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not saved.exists() and not list((data_dir / "uploads").rglob("*.geojson"))
    assert not at.session_state["up_saved"] and not at.session_state["up_cache"]
    assert len(batches(warehouse_copy)) == 6


def test_a_file_over_the_limit_is_refused_by_name(warehouse_copy, data_dir, monkeypatch):
    monkeypatch.setenv("ONESCREEN_UPLOAD_LIMIT_MB", "0.0001")
    at = open_page()
    upload(at, "hotline_utf8.csv", (FIXTURES / "hotline_utf8.csv").read_bytes())
    assert [e for e in shown(at, "error") if e.startswith("错误：文件 hotline_utf8.csv 有 0.")] and \
        "超过上传上限 0.1 KB，未读取。" in shown(at, "error")[0]
    assert not (data_dir / "uploads").exists() or not list((data_dir / "uploads").rglob("*.csv"))


def test_every_refusal_reaches_the_page_in_chinese(warehouse_copy, data_dir):
    """The uploader's type filter and its limit (the app's own 50 MB) refused a .docx and a 63 MB export in the
    browser, with English hover text: any file, up to the server's larger limit, now reaches the page's checks."""
    import tomllib

    at = open_page()
    uploader = at.file_uploader[0].proto
    server_mb = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["server"]["maxUploadSize"]
    assert list(uploader.type) == [] and uploader.max_upload_size_mb == server_mb >= 4 * 50
    assert f"超过 {server_mb} MB 的文件上传框会直接拒收（显示英文提示“File must be {server_mb}.0MB or smaller.”）：" \
           "请按时间段分成几个较小的文件再上传。" in shown(at, "caption")
    at.file_uploader[0].set_value([("会议纪要.docx", b"PK\x03\x04" + b"\0" * 40, "application/octet-stream"),
                                   ("照片.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image/png")]).run()
    errors = shown(at, "error")
    assert any(e.startswith("文件 会议纪要.docx 不是") for e in errors), errors
    assert "文件 照片.png 不是文本文件，也不是 XLSX 工作簿，请确认导出的是 CSV 或 XLSX。" in errors


def test_empty_warehouse_first_upload_creates_it(warehouse_db, data_dir):
    at = open_page()
    assert any("请先导入网格定义、小区与物业，再导入 12345 / 网格平台工单" in i for i in shown(at, "info"))
    assert "还没有导入批次。" in shown(at, "caption")
    at.file_uploader[0].set_value([
        ("compounds.csv", (FIXTURES / "compounds_utf8_bom.csv").read_bytes(), "text/csv"),
        ("grids.geojson", (FIXTURES / "grids.geojson").read_bytes(), "application/geo+json"),
    ]).run()
    check_and_load(at)
    assert [b[:3] for b in batches(warehouse_db)] == [(1, "grids.geojson", 4), (2, "compounds.csv", 4)]
    assert len(at.dataframe[0].value) == 2


def test_a_hidden_first_sheet_is_listed_after_the_visible_one_and_marked(warehouse_copy, data_dir, tmp_path):
    """The selector started on a hidden backup sheet, so the page previewed and loaded last month's rows."""
    import xlsxwriter

    path = tmp_path / "hotline_hidden_first.xlsx"
    book = xlsxwriter.Workbook(str(path))
    backup, data = book.add_worksheet("上月备份"), book.add_worksheet("工单明细")
    for sheet in (backup, data):
        sheet.write_row(0, 0, ["工单编号", "来电时间", "诉求内容"])
        sheet.write_row(1, 0, ["A1", "2025-10-05 09:00", "路灯不亮"])
    data.activate()
    backup.hide()
    book.close()
    at = open_page()
    upload(at, path.name, path.read_bytes())
    selector = next(box for box in at.selectbox if box.label == "工作表")
    assert (selector.value, selector.options) == ("工单明细", ["工单明细", "上月备份（隐藏）"])
    assert any("工作表 工单明细" in m for m in shown(at, "caption"))


def test_a_tab_separated_txt_export_is_accepted_and_recognised(warehouse_copy, data_dir):
    """Excel's 文本文件(制表符分隔) is saved as .txt: the uploader refused the name, the reader the tabs."""
    text = (FIXTURES / "hotline_utf8.csv").read_text(encoding="utf-8")
    at = open_page()
    upload(at, "hotline.txt", text.replace(",", "\t").encode("gbk"))
    assert any(m.startswith("识别为 **12345热线工单** · 编码 gb18030 · 表头在第 1 行") for m in shown(at, "caption"))


def test_two_columns_of_one_name_are_told_apart_in_the_mapping(warehouse_copy, data_dir):
    at = open_page()
    data = "工单编号,来电时间,满意度,所属社区,满意度\nS1,2025-10-05 09:00,满意,东风社区,不满意\n".encode()
    upload(at, "dup_both.csv", data)
    picker = at.selectbox(key=f"up_map_{hashlib.sha256(data).hexdigest()[:16]}_hotline_satisfaction")
    assert {"满意度（第 3 列）", "满意度（第 5 列）"} <= set(picker.options)
    assert picker.value == "满意度" and "满意度（第 3、5 列中有数据的一列）" in picker.options
    assert any("而且都有数据，无法确定用哪一列" in e and "或在“修改列对应”中为该字段选择要用的一列" in e for e in shown(at, "error"))
    picker.set_value("满意度（第 5 列）").run()
    assert "以下列未使用：满意度（第 3 列）" in shown(at, "caption")
    check_and_load(at)
    assert query(warehouse_copy, "select satisfaction from fct_tickets where ticket_id = 'S1'") == [("不满意",)]


def test_rows_with_a_cell_too_many_are_counted_among_the_rejected_not_the_good(warehouse_copy, data_dir):
    at = open_page()
    header = "工单编号,来电时间,所属社区,诉求内容"
    rows = ["R1,2025-10-05 09:00,东风社区,路灯不亮", "R2,2025-10-05 10:00,东风社区,路灯,不亮", "R3,2025-10-05 11:00,东风社区,噪音"]
    upload(at, "extra_cell.csv", "\n".join([header, *rows, ""]).encode())
    at.button(key="up_check").click().run()
    assert "extra_cell.csv：有 1 处问题（1 行），其余 2 行没有问题；只导入这些行时新增 2，更新 0，未变 0。" in shown(at, "warning")


def test_other_sheets_with_data_are_said_in_the_preview_and_the_result(warehouse_copy, data_dir, tmp_path):
    """Only the chosen sheet loads: the others with data are said before and after, pointing to the selector."""
    from test_other_sheets import _workbook

    path = _workbook(tmp_path / "two_months.xlsx")
    at = open_page()
    upload(at, path.name, path.read_bytes())
    assert ("工作表“11月下”（3 行）也有数据；一次只导入所选的工作表“11月上”，导入后在“工作表”中换选其他工作表，再导入一次。"
            in shown(at, "warning"))
    check_and_load(at)
    box = next(w for w in noted(at) if w.startswith("two_months.xlsx："))
    assert ("\n- 文件 two_months.xlsx 的工作表“11月下”（3 行）也有数据，本次只导入了工作表“11月上”。"
            "要导入它，请把同一文件再上传导入一次，在“工作表”中选择要导入的工作表。") in box


def test_dates_whose_order_the_file_does_not_tell_are_asked_for(warehouse_copy, data_dir):
    """A weekly export with 来电时间 04/10/2025: the page says which column cannot tell 日/月/年 from 月/日/年,
    refuses it unchosen (the check says why), and reads it the way the user picks; the batch remembers it."""
    at = open_page()
    data = "工单编号,来电时间,一级分类,所属街道,所属社区\nDO1,04/10/2025 14:32,市容环境,南宁街道,西湖社区\n".encode()
    upload(at, "week.csv", data)
    key = hashlib.sha256(data).hexdigest()[:16]
    radio = at.radio(key=f"up_date_order_{key}")
    assert radio.options == ["不指定（这些日期将被拒收）", "日/月/年（04/11/2026 是 11月4日）", "月/日/年（04/11/2026 是 4月11日）"]
    assert "列「来电时间」中形如 04/11/2026 的日期，文件本身看不出是“日/月/年”还是“月/日/年”：请按导出系统的写法选择。" in shown(at, "caption")
    at.button(key="up_check").click().run()
    assert "week.csv：有 1 处问题（1 行），其余 0 行没有问题；只导入这些行时新增 0，更新 0，未变 0。" in shown(at, "warning")

    radio.set_value("day").run()
    preview = at.dataframe[0].value
    assert str(preview["来电时间"].iloc[0]) == "2025-10-04 14:32:00"
    at.button(key="up_check").click().run()
    assert "week.csv：检查通过，1 行，导入后新增 1，更新 0，未变 0。" in shown(at, "success")
    at.button(key="up_load").click().run()
    assert "week.csv（12345热线工单，批次 7）：读取 1 行，新增 1，更新 0，未变 0，拒收 0" in shown(at, "success")
    assert query(warehouse_copy, "select received_at::varchar from fct_tickets where ticket_id = 'DO1'") == [("2025-10-04 14:32:00",)]
    assert query(warehouse_copy, "select date_order from load_batches where batch_id = 7") == [("day",)]

    # The next week's export of the same template: the page offers to read it as last time.
    data = "工单编号,来电时间,一级分类,所属街道,所属社区\nDO2,05/10/2025 09:00,市容环境,南宁街道,西湖社区\n".encode()
    upload(at, "week2.csv", data)
    key = hashlib.sha256(data).hexdigest()[:16]
    # (a radio option is Markdown: the file's name is escaped in it)
    assert at.radio(key=f"up_date_order_{key}").options[0] == "同上次（按此前导入的同格式文件 week\\.csv：日/月/年）"
    check_and_load(at)
    assert query(warehouse_copy, "select received_at::varchar from fct_tickets where ticket_id = 'DO2'") == [("2025-10-05 09:00:00",)]


def test_an_unreadable_file_among_good_ones_says_to_remove_it(warehouse_copy, data_dir):
    """An empty export among the week's files held the others back with "选择来源类型或列对应", which no
    choice on the page can satisfy: the page names the file, says to remove it and why it failed."""
    at = open_page()
    at.file_uploader[0].set_value([(name, data, "text/csv") for name, data in (
        ("hotline_utf8.csv", (FIXTURES / "hotline_utf8.csv").read_bytes()), ("本周网格事件.csv", b""))]).run()
    assert "文件 本周网格事件.csv 是空的，没有可导入的数据。请确认导出时选择的范围内有数据，重新导出后再导入。" in shown(at, "error")
    assert shown(at, "info") == ["文件 本周网格事件.csv 无法读取，不能导入：请点上传框中该文件右侧的 ×，把它移除，"
                                 "其余文件才能检查和导入；按上面的提示改正后再重新上传。"]
    assert not [b for b in at.button if b.key == "up_check"]
    at.file_uploader[0].set_value([("hotline_utf8.csv", (FIXTURES / "hotline_utf8.csv").read_bytes(), "text/csv")]).run()
    assert shown(at, "info") == [] and shown(at, "error") == []
    check_and_load(at)
    assert "hotline_utf8.csv（12345热线工单，批次 7）：读取 2 行，新增 2，更新 0，未变 0，拒收 0" in shown(at, "success")


def test_the_check_says_before_loading_what_the_load_would_warn_about(warehouse_copy, data_dir):
    """检查通过 said nothing of a grid code the grid definitions lack: the analyst learnt it from the load's
    result, when fixing the file took an undo. The check lists the load's warnings, not the ones said above."""
    at = open_page()
    data = "工单编号,来电时间,所属社区,网格编号,身份证号,备注\nG1,2025-10-05 09:00,东风社区,DF-9,,\n".encode()
    upload(at, "grid_typo.csv", data)
    at.button(key="up_check").click().run()
    assert "grid_typo.csv：检查通过，1 行，导入后新增 1，更新 0，未变 0。" in shown(at, "success")
    assert noted(at) == ["grid_typo.csv：1 条提示，请留意：\n\n- 1 条工单的网格编号在已导入的网格定义中找不到：DF-9（1 条）。"
                         "其中 1 条因此无法定位到网格，按社区/街道统计，计为“未落格”；请核对网格编号是否写错，或先导入包含这些网格的网格定义。"]
    assert len(batches(warehouse_copy)) == 6


def test_a_check_with_problem_rows_still_says_what_the_other_rows_would_do(warehouse_copy, data_dir):
    """With one bad row, 检查 said only "有 1 处问题（1 行），其余 1 行没有问题": not the new/updated counts, nor the
    warnings (an unknown grid code), which appeared only after loading the good rows, when fixing them took an undo."""
    at = open_page()
    upload(at, "grid_typo.csv", "工单编号,来电时间,所属社区,网格编号\nG1,2025-10-05 09:00,东风社区,DF-9\n"
                                "G2,2025-13-45 10:00,东风社区,DF-01\n".encode())
    at.button(key="up_check").click().run()
    assert "grid_typo.csv：有 1 处问题（1 行），其余 1 行没有问题；只导入这些行时新增 1，更新 0，未变 0。" in noted(at)
    boxes = [w for w in noted(at) if w.startswith("grid_typo.csv：1 条提示，请留意：")]
    assert len(boxes) == 1 and "1 条工单的网格编号在已导入的网格定义中找不到：DF-9（1 条）" in boxes[0]
    assert "未导入" not in boxes[0]   # the rows with problems are the table's, above
    assert len(batches(warehouse_copy)) == 6


def test_a_loads_warnings_stand_out_and_a_clean_load_stays_green(warehouse_copy, data_dir):
    """After a load, 未落格 counts, 双派单 and phone numbers Excel damaged were small grey captions under the green
    summary, easy to miss: each file's now sit in a yellow box naming the file and how many. A clean load shows
    none (what it left out on purpose, personal and unused columns, stays a grey line)."""
    at = open_page()
    upload(at, "grid_typo.csv", "工单编号,来电时间,所属社区,网格编号,身份证号,备注\nG1,2025-10-05 09:00,东风社区,DF-9,,\n".encode())
    check_and_load(at)
    assert any(s.startswith("grid_typo.csv（") for s in shown(at, "success"))
    boxes = [w for w in noted(at) if w.startswith("grid_typo.csv：")]
    assert len(boxes) == 1 and boxes[0].startswith("grid_typo.csv：1 条提示，请留意：\n\n- 1 条工单的网格编号在已导入的网格定义中找不到")
    assert "计为“未落格”" in boxes[0]
    assert not [c for c in shown(at, "caption") if "未落格" in c]

    at = open_page()
    upload(at, "clean.csv", "工单编号,来电时间,所属社区,网格编号,身份证号,备注\nG2,2025-10-05 09:00,东风社区,DF-01,,\n".encode())
    check_and_load(at)
    assert any(s.startswith("clean.csv（") for s in shown(at, "success"))
    assert shown(at, "warning") == []


# A file name as Markdown would read it: a heading, a link, a formula, a strike-through.
TRICKY_NAME = "# 10月 [周报](x) $a$ ~旧~.csv"
TRICKY_ESCAPED = "\\# 10月 \\[周报\\]\\(x\\) \\$a\\$ \\~旧\\~\\.csv"


def test_a_file_name_is_shown_as_written_in_the_check_and_load_boxes(warehouse_copy, data_dir):
    """The check's and the load's green and yellow boxes put the file's name into Markdown as it was: a name
    starting with # made the warning box a heading, [周报](x) a link, $a$ a formula. Each box escapes the name
    (and the warnings quoting the file's values) and keeps its own Markdown (the list of warnings)."""
    at = open_page()
    upload(at, TRICKY_NAME, "工单编号,来电时间,所属社区,网格编号,身份证号,备注\nG1,2025-10-05 09:00,东风社区,DF-9,,\n".encode())
    assert f"**{TRICKY_ESCAPED}**" in markdown_of(at, "markdown")
    at.button(key="up_check").click().run()
    assert f"{TRICKY_ESCAPED}：检查通过，1 行，导入后新增 1，更新 0，未变 0。" in markdown_of(at, "success")
    box = markdown_of(at, "warning")
    assert len(box) == 1 and box[0].startswith(f"{TRICKY_ESCAPED}：1 条提示，请留意：\n\n- 1 条工单的网格编号")
    assert "DF\\-9（1 条）" in box[0]   # the warning quotes the file's value, escaped too
    at.button(key="up_load").click().run()
    assert not at.exception, [e.value for e in at.exception]
    summary = [s for s in markdown_of(at, "success") if s.startswith(TRICKY_ESCAPED)]
    assert len(summary) == 1 and summary[0].startswith(f"{TRICKY_ESCAPED}（12345热线工单，批次 7）：读取 1 行"), summary
    assert [w for w in markdown_of(at, "warning") if w.startswith(f"{TRICKY_ESCAPED}：1 条提示，请留意：\n\n- ")]
    assert [s for s in shown(at, "success") if s.startswith(f"{TRICKY_NAME}（12345热线工单，批次 7）")]   # as read
    assert batches(warehouse_copy)[-1][1] == TRICKY_NAME


def test_a_file_name_is_shown_as_written_when_fields_are_missing_or_the_file_is_refused(warehouse_copy, data_dir,
                                                                                     monkeypatch):
    at = open_page()
    upload(at, TRICKY_NAME, (FIXTURES / "hotline_unknown_header.csv").read_bytes())
    assert markdown_of(at, "warning") == [
        f"文件 {TRICKY_ESCAPED} 按“12345热线工单”识别，但缺少必填字段“来电时间”。"
        "请在下方列对应中为这些字段选择文件中的列，或手动选择来源类型。"]
    # The size limit refuses the file by the name the browser gave, before it is made safe to save (* is kept).
    monkeypatch.setenv("ONESCREEN_UPLOAD_LIMIT_MB", "0.0001")
    at = open_page()
    upload(at, "2025*11*月.csv", (FIXTURES / "hotline_utf8.csv").read_bytes())
    refused = markdown_of(at, "error")
    assert len(refused) == 1 and refused[0].startswith("错误：文件 2025\\*11\\*月\\.csv 有 "), refused
    assert shown(at, "error")[0].startswith("错误：文件 2025*11*月.csv 有 0.")


def test_after_a_load_the_other_pages_show_the_new_data_without_reloading_the_browser(warehouse_copy, data_dir):
    """A browser reload is a new session, which logs the analyst out: the page must not ask for one. What it says
    instead is what happens: the next run of any page (in the same session) reads the newly published warehouse."""
    at = open_page()
    captions = shown(at, "caption")
    assert any("其他页面随即显示新数据，无需刷新浏览器" in c for c in captions), captions
    assert not any("刷新页面" in c for c in captions)
    at.switch_page("app_pages/rates.py")
    at.run()
    before = next(c for c in shown(at, "caption") if c.startswith("数据截至 "))
    assert before.startswith("数据截至 2025-10-10 15:00")
    at.switch_page("app_pages/upload.py")
    at.run()
    later = (FIXTURES / "hotline_utf8.csv").read_text(encoding="utf-8").replace("2025-10-04 09:00:00", "2025-10-12 09:30:00")
    upload(at, "hotline_later.csv", later.encode("utf-8"))
    check_and_load(at)
    assert batches(warehouse_copy)[-1][1:] == ("hotline_later.csv", 2, 0, "loaded", "analyst")
    at.switch_page("app_pages/rates.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(c.startswith("数据截至 2025-10-12 09:30") for c in shown(at, "caption")), shown(at, "caption")
