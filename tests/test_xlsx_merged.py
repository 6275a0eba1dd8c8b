"""Merged cells in an XLSX export: a street and community merged down the rows of their tickets are
filled into every row, on both XLSX paths; merged titles, merged header cells, totals rows merged
across columns and merged ranges found past the container check's last chunks."""

from __future__ import annotations

import duckdb
import pytest
import xlsxwriter

from etl import readers
from etl.load import load_files

from conftest import xlsx_with

HEADER = ["工单编号", "来电时间", "所属街道", "所属社区", "诉求内容", "备注"]
READERS = ["_read_xlsx_fast", "_read_xlsx_calamine"]


def column(raw, header: str) -> list:
    return raw.table.column(f"c{raw.headers.index(header)}").to_pylist()


def query(path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def merged_book(path, write=None):
    """A hotline export as Chinese systems write it: a title merged across the top, the header in row 2,
    所属街道 and 所属社区 merged down the rows of each community's tickets (C3:C6, D3:D6, C7:C8, D7:D8).
    ``write(book, sheet)`` adds to the sheet."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("工单")
    sheet.merge_range("A1:F1", "翠湖区12345工单明细表")
    sheet.write_row(1, 0, HEADER)
    for row, (ticket, content) in enumerate([("M1", "路灯不亮"), ("M2", "噪音扰民"), ("M3", "垃圾清运"),
                                             ("M4", "占道经营"), ("M5", "积水"), ("M6", "树枝遮挡")], start=2):
        sheet.write_row(row, 0, [ticket, f"2025-10-05 0{row}:00"])
        sheet.write_string(row, 4, content)
    sheet.merge_range("C3:C6", "南宁街道")
    sheet.merge_range("D3:D6", "东风社区")
    sheet.merge_range("C7:C8", "南宁街道")
    sheet.merge_range("D7:D8", "西华社区")
    if write:
        write(book, sheet)
    book.close()
    return path


def read(reader: str, path, sheet=None):
    raw = getattr(readers, reader)(path, sheet)
    assert raw is not None, f"expected {reader} to read this file"
    return raw


@pytest.mark.parametrize("reader", READERS)
def test_a_street_and_community_merged_down_the_rows_are_filled_into_every_row(tmp_path, reader):
    """The audit case (x03_merged.xlsx): both readers read a merged range's value only in its top-left
    cell, so 3 of every 4 tickets had no street, community or grid, and the load said they were counted
    by community/street."""
    raw = read(reader, merged_book(tmp_path / "合并.xlsx"))
    assert raw.header_row == 2
    assert column(raw, "所属街道") == ["南宁街道"] * 6
    assert column(raw, "所属社区") == ["东风社区"] * 4 + ["西华社区"] * 2
    assert column(raw, "备注") == [None] * 6
    assert raw.table.column("row_no").to_pylist() == [3, 4, 5, 6, 7, 8]
    assert raw.notes == ["文件 合并.xlsx 有 4 处合并单元格（列「所属街道」「所属社区」，第 3-8 行），已按合并区域左上角的值填入每一行。"]


@pytest.mark.parametrize("reader", READERS)
def test_merged_ranges_apart_are_listed_by_their_rows(tmp_path, reader):
    def write(book, sheet):
        for row in range(8, 14):
            sheet.write_row(row, 0, [f"N{row}", "2025-10-06 09:00", "南宁街道", "东风社区", "路灯不亮"])
        sheet.merge_range("F10:F12", "同一小区")   # row 9 stands between the ranges
    raw = read(reader, merged_book(tmp_path / "合并.xlsx", write))
    assert column(raw, "备注") == [None] * 7 + ["同一小区"] * 3 + [None] * 2
    assert raw.notes == ["文件 合并.xlsx 有 5 处合并单元格（列「所属街道」「所属社区」「备注」，第 3-8、10-12 行），"
                         "已按合并区域左上角的值填入每一行。"]


@pytest.mark.parametrize("reader", READERS)
def test_a_merged_title_above_the_header_is_no_merge_of_data(tmp_path, reader):
    path = tmp_path / "标题.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("工单")
    sheet.merge_range("A1:F1", "翠湖区12345工单明细表")
    sheet.merge_range("A2:F2", "导出时间：2025-10-08")
    sheet.write_row(2, 0, HEADER)
    sheet.write_row(3, 0, ["T1", "2025-10-05 09:00", "南宁街道", "东风社区", "路灯不亮"])
    book.close()
    raw = read(reader, path)
    assert (raw.header_row, raw.headers, raw.notes) == (3, HEADER, [])
    assert raw.table.to_pylist() == [{"c0": "T1", "c1": "2025-10-05 09:00", "c2": "南宁街道", "c3": "东风社区",
                                      "c4": "路灯不亮", "c5": None, "row_no": 4}]


@pytest.mark.parametrize("reader", READERS)
def test_a_range_merged_across_columns_in_the_rows_is_left_as_read(tmp_path, reader):
    """Filled across, the totals row merged over A:B would hold 3 cells and be loaded as a ticket, and a
    content merged over 备注 would be repeated under another header: such a range is read as before,
    its value in its first column only."""
    def write(book, sheet):
        sheet.merge_range("E4:F4", "噪音扰民，夜间施工")
        sheet.merge_range("A9:B9", "合计：6条")
        sheet.write_number(8, 2, 6)
    raw = read(reader, merged_book(tmp_path / "合并.xlsx", write))
    assert column(raw, "诉求内容")[1] == "噪音扰民，夜间施工" and column(raw, "备注")[1] is None
    assert raw.dropped_rows == ["合计：6条 6"]
    assert raw.notes == ["文件 合并.xlsx 有 4 处合并单元格（列「所属街道」「所属社区」，第 3-8 行），已按合并区域左上角的值填入每一行。"]


@pytest.mark.parametrize("reader", READERS)
def test_a_two_row_header_with_merged_parent_headers_reads_as_before(tmp_path, reader):
    """工单编号 merged over A1:A2 and 所属区域 over C1:D1 above 所属街道, 所属社区: the header is found
    in row 1 and row 2 is read as a row, as before (a range that starts in the header is never
    filled down: 工单编号 would become a ticket number)."""
    path = tmp_path / "两行表头.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("工单")
    sheet.merge_range("A1:A2", "工单编号")
    sheet.merge_range("B1:B2", "来电时间")
    sheet.merge_range("C1:D1", "所属区域")
    sheet.write_row(1, 2, ["所属街道", "所属社区"])
    sheet.merge_range("E1:E2", "诉求内容")
    sheet.write_row(2, 0, ["H1", "2025-10-05 09:00", "南宁街道", "东风社区", "路灯不亮"])
    book.close()
    raw = read(reader, path)
    assert (raw.header_row, raw.headers, raw.notes) == (1, ["工单编号", "来电时间", "所属区域", "", "诉求内容"], [])
    assert raw.table.to_pylist() == [
        {"c0": None, "c1": None, "c2": "所属街道", "c3": "所属社区", "c4": None, "row_no": 2},
        {"c0": "H1", "c1": "2025-10-05 09:00", "c2": "南宁街道", "c3": "东风社区", "c4": "路灯不亮", "row_no": 3}]


@pytest.mark.parametrize("reader", READERS)
def test_an_error_value_merged_down_a_column_is_an_error_cell_of_every_row(tmp_path, reader):
    """Filled in, the rows under a merged #N/A would read as blank where the sheet shows #N/A."""
    def write(book, sheet):
        sheet.merge_range("F3:F5", "")
        sheet.write_formula("F3", "=VLOOKUP(A3,对照!A:B,2,FALSE)", None, "#N/A")
    raw = read(reader, merged_book(tmp_path / "合并.xlsx", write))
    assert raw.error_cells == [(3, 5, "#N/A"), (4, 5, "#N/A"), (5, 5, "#N/A")]


def _sheet_with_merges(refs: list[str], prefix: str = "", rows: int = 3) -> bytes:
    p = f"{prefix}:" if prefix else ""
    xmlns = f"xmlns{':' + prefix if prefix else ''}"
    rows = "".join(f'<{p}row r="{n}"><{p}c r="A{n}" t="inlineStr"><{p}is><{p}t>{text}</{p}t></{p}is></{p}c></{p}row>'
                   for n, text in [(1, "工单编号"), *((n, f"A{n - 1}") for n in range(2, rows + 1))])
    merges = "".join(f'<{p}mergeCell ref="{ref}"/>' for ref in refs)
    return (f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {xmlns}="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><{p}sheetData>{rows}</{p}sheetData><{p}mergeCells count="{len(refs)}">{merges}'
            f'</{p}mergeCells><{p}pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            f"</{p}worksheet>").encode()


@pytest.mark.parametrize(("count", "rows"), [
    (1, 3),               # one chunk
    (40_000, 3),          # two chunks, the rows in the first
    (1, 60_000),          # five chunks, the rows ending in the last
    (30_000, 40_000),     # four chunks, the rows ending in the one before the last
    (100_000, 3),         # four chunks, the rows in the first: read again
])
@pytest.mark.parametrize("prefix", ["", "x"])
def test_merged_ranges_are_found_however_far_back_they_start(tmp_path, count, rows, prefix):
    """The merges follow the rows: found in the part's last two chunks, or (when more than a chunk
    follows the rows) in a second pass; in a document with a prefix (<x:mergeCell>) too."""
    refs = [f"B{2 * n + 2}:C{2 * n + 3}" for n in range(count)]
    path = tmp_path / "合并.xlsx"
    path.write_bytes(xlsx_with(_sheet_with_merges(refs, prefix, rows)))
    found = readers.check_xlsx_container(path).merged_ranges["xl/worksheets/sheet1.xml"]
    assert len(found) == count
    assert found[0] == (2, 1, 3, 2) and found[-1] == (2 * count, 1, 2 * count + 1, 2)


def test_a_workbook_without_merged_cells_has_none(tmp_path):
    path = tmp_path / "无合并.xlsx"
    path.write_bytes(xlsx_with(_sheet_with_merges([])))
    assert readers.check_xlsx_container(path).merged_ranges == {}


def test_a_street_and_community_merged_over_several_tickets_are_stored_for_each(warehouse_copy, tmp_path):
    path = tmp_path / "合并.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("工单")
    sheet.merge_range("A1:E1", "翠湖区12345工单明细表")
    sheet.write_row(1, 0, ["工单编号", "来电时间", "所属街道", "所属社区", "诉求内容"])
    for row in range(2, 6):
        sheet.write_row(row, 0, [f"MG{row - 1}", f"2025-10-05 0{row}:00"])
        sheet.write_string(row, 4, "路灯不亮")
    sheet.merge_range("C3:C6", "南宁街道")
    sheet.merge_range("D3:D6", "东风社区")
    book.close()
    item = load_files([path]).files[0]
    assert (item.rows_read, item.inserted, item.rejected) == (4, 4, 0)
    assert query(warehouse_copy, "select ticket_id, street_code, community_code from fct_tickets "
                                 "where ticket_id like 'MG%' order by 1") == [
        (f"MG{n}", "530302001", "530302001001") for n in range(1, 5)]
    assert "文件 合并.xlsx 有 2 处合并单元格（列「所属街道」「所属社区」，第 3-6 行），已按合并区域左上角的值填入每一行。" in item.warnings
