"""A workbook's other visible sheets with data are said when one sheet is loaded, with how to load
them; each sheet of the same file then loads on its own (already loaded means this content and sheet)."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.cli import print_report
from etl.load import load_files
from onescreen import upload

from test_load import query

HEADER = ["工单编号", "来电时间", "诉求类型", "一级分类", "所属街道", "所属社区"]


def _workbook(path: Path) -> Path:
    """11月上 (2 tickets), a notes sheet 说明 (single lines), 11月下 (3 tickets and a totals row), and a
    hidden 备份 (1 ticket)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheets = {name: book.add_worksheet(name) for name in ("11月上", "说明", "11月下", "备份")}
    tickets = {"11月上": ["S1", "S2"], "11月下": ["S3", "S4", "S5"], "备份": ["S9"]}
    for name, ids in tickets.items():
        rows = [HEADER, *([i, "2025-10-09 09:00:00", "投诉", "市容环境", "南宁街道", "西湖社区"] for i in ids)]
        if name == "11月下":
            rows.append(["合计：3条"])
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheets[name].write(r, c, value)
    for r, line in enumerate(["本表由 12345 平台导出", "导出时间：2025-10-10 09:00"]):
        sheets["说明"].write(r, 0, line)
    sheets["备份"].hide()
    book.close()
    return path


@pytest.mark.parametrize("reader", ["_read_xlsx_fast", "_read_xlsx_calamine", "read_export"])
def test_the_reader_finds_the_other_visible_sheets_with_data(tmp_path, reader):
    from etl import readers

    path = _workbook(tmp_path / "two_months.xlsx")
    raw = getattr(readers, reader)(path, None)
    assert (raw.sheet_name, raw.other_sheets) == ("11月上", {"11月下": 3})
    chosen = getattr(readers, reader)(path, "11月下")
    assert (chosen.sheet_name, chosen.other_sheets) == ("11月下", {"11月上": 2})


def test_other_sheets_are_said_and_each_sheet_of_the_file_loads(warehouse_copy, tmp_path, capsys):
    path = _workbook(tmp_path / "two_months.xlsx")
    first = load_files([path], db_path=warehouse_copy).files[0]
    assert (first.status, first.inserted) == ("loaded", 2)
    note = ("文件 two_months.xlsx 的工作表“11月下”（3 行）也有数据，本次只导入了工作表“11月上”。"
            "要导入它，请把同一文件再导入一次，用 --sheet 工作表名 指定要导入的工作表。")
    assert note in first.warnings
    assert upload.page_text(note).endswith("要导入它，请把同一文件再上传导入一次，在“工作表”中选择要导入的工作表。")
    # The other sheet of the same file is other data, not "already loaded"; 11月上 is in, so nothing more is said.
    second = load_files([path], sheet="11月下", db_path=warehouse_copy).files[0]
    assert (second.status, second.inserted) == ("loaded", 3)
    assert not any("也有数据" in w for w in second.warnings)
    assert query(warehouse_copy, "select ticket_id from fct_tickets where ticket_id like 'S_' order by 1") == [
        ("S1",), ("S2",), ("S3",), ("S4",), ("S5",)]
    assert query(warehouse_copy, "select sheet_name from load_batches where file_name = 'two_months.xlsx' order by batch_id") == [
        ("11月上",), ("11月下",)]
    # The same sheet again is: each of them, named with its sheet.
    capsys.readouterr()
    report = load_files([path], sheet="11月下", db_path=warehouse_copy)
    assert [(f.status, f.batch_id) for f in report.files] == [("already_loaded", second.batch_id)]
    print_report(report)
    assert capsys.readouterr().out == f"two_months.xlsx（工作表“11月下”）：已在批次 {second.batch_id} 导入过，未做任何改动。\n"
    assert load_files([path], db_path=warehouse_copy).files[0].status == "already_loaded"
