"""The fastexcel XLSX path against the python-calamine reference path, cell by cell, and its fallbacks."""

from __future__ import annotations

from datetime import datetime, time

import duckdb
import pytest
import xlsxwriter

from etl import readers
from etl.readers import read_export

from conftest import FIXTURES


def both(path, sheet=None):
    fast = readers._read_xlsx_fast(path, sheet)
    assert fast is not None, "expected the fastexcel path to read this file"
    return fast, readers._read_xlsx_calamine(path, sheet)


def assert_same(fast, slow):
    assert (fast.headers, fast.header_row, fast.sheet_name, fast.dropped_rows, fast.error_cells) == \
        (slow.headers, slow.header_row, slow.sheet_name, slow.dropped_rows, slow.error_cells)
    assert fast.table.column_names == slow.table.column_names
    for name in slow.table.column_names:
        assert fast.table.column(name).to_pylist() == slow.table.column(name).to_pylist(), name


def hotline_book(path, extra=None, first_row=0, first_col=0):
    """A small hotline export: merged title rows above the header, number and text ticket ids, date
    and datetime cells, text dates, a blank row, padded text and a totals row."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("工单")
    book.add_worksheet("说明").write_string(0, 0, "导出说明")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    r, c = first_row, first_col
    sheet.merge_range(r, c, r, c + 4, "翠湖区12345热线工单明细", book.add_format({"bold": True}))
    sheet.write_string(r + 1, c, "导出时间：2024-01-31")
    for i, header in enumerate(["工单编号", "来电时间", "办理时限", "来电号码", "诉求内容"]):
        sheet.write_string(r + 2, c + i, header)
    rows = [
        (20240101000123, datetime(2024, 1, 5, 8, 30, 15), datetime(2024, 1, 20), 13812345678, "  路灯不亮\u3000"),
        ("GD2024010100002", "2024/1/6 10:05", "2024-01-21", "0874-3123457", "噪音扰民"),
        (None, None, None, None, None),
        (2024010100000004, datetime(2024, 1, 7, 23, 59, 59), datetime(2024, 1, 22), 8743123456, "\xa0 "),
        ("110000000000000001", "45937.75", datetime(2024, 2, 29), "13900000000", "积水"),
        ("合计：4条", None, None, None, None),
    ]
    for i, row in enumerate(rows, start=r + 3):
        for j, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime):
                sheet.write_datetime(i, c + j, value, day if value.time() == time() else stamp)
            elif isinstance(value, str):
                sheet.write_string(i, c + j, value)
            else:
                sheet.write_number(i, c + j, value)
    if extra:
        extra(book, sheet, r + 3 + len(rows), c)
    book.close()
    return path


def test_generated_export_reads_the_same_on_both_paths(tmp_path):
    fast, slow = both(hotline_book(tmp_path / "hotline.xlsx"))
    assert_same(fast, slow)
    assert fast.header_row == 3
    assert fast.table.column("c0").to_pylist() == ["20240101000123", "GD2024010100002", "2024010100000004",
                                                   "110000000000000001"]
    assert fast.table.column("c1").to_pylist() == ["2024-01-05 08:30:15", "2024/1/6 10:05", "2024-01-07 23:59:59",
                                                   "45937.75"]
    # A date cell is a date, as the calamine path writes it; text stays as typed, trimmed.
    assert fast.table.column("c2").to_pylist() == ["2024-01-20", "2024-01-21", "2024-01-22", "2024-02-29"]
    assert fast.table.column("c4").to_pylist() == ["路灯不亮", "噪音扰民", None, "积水"]
    # The blank row (sheet row 6) is no row; the others keep their sheet row numbers.
    assert fast.table.column("row_no").to_pylist() == [4, 5, 7, 8]
    assert fast.dropped_rows == ["合计：4条"]


def test_other_sheet_and_unknown_sheet(tmp_path):
    path = hotline_book(tmp_path / "hotline.xlsx")
    assert readers._read_xlsx_fast(path, "工单").sheet_name == "工单"
    with pytest.raises(readers.LoadError) as err:
        readers._read_xlsx_fast(path, "汇总")
    assert str(err.value) == "文件 hotline.xlsx 中没有名为“汇总”的工作表；现有工作表：工单、说明。"


def test_sheet_not_starting_at_a1_numbers_rows_as_the_sheet_does(tmp_path):
    fast, slow = both(hotline_book(tmp_path / "hotline.xlsx", first_row=2, first_col=1))
    assert_same(fast, slow)
    # Header in sheet row 5 (two empty rows, two title rows), column A empty: kept as calamine reads it.
    assert fast.header_row == 5
    assert fast.headers[0] == "" and fast.headers[1] == "工单编号"
    assert fast.table.column("row_no").to_pylist()[0] == 6


@pytest.mark.parametrize("first", [0, 2])
def test_error_cells_are_blank_and_said_alike_on_both_paths(tmp_path, first):
    """An error cell (#N/A ...) is blank on both paths and both say where it is, in the sheet's own rows
    and columns, on a sheet starting at A1 or not (fastexcel's columns start at the first used one)."""
    def write(book, sheet, r, c):
        sheet.write_string(r, c, "GD9")
        sheet.write_formula(r, c + 1, "=1/0", None, "#DIV/0!")
        sheet.write_formula(r, c + 4, "=NA()", None, "#N/A")
        sheet.write_formula(r, c + 6, "=NA()", None, "#N/A")    # past the header's columns: no data
    fast, slow = both(hotline_book(tmp_path / "hotline.xlsx", extra=write, first_row=first, first_col=first))
    assert_same(fast, slow)
    assert fast.error_cells == [(first + 10, first + 1, "#DIV/0!"), (first + 10, first + 4, "#N/A")]
    assert fast.table.slice(fast.table.num_rows - 1).to_pylist()[0] == {
        **{f"c{i}": None for i in range(first + 5)}, f"c{first}": "GD9", "row_no": first + 10}


@pytest.mark.parametrize("name", ["hotline.xlsx", "inspections.xlsx", "events.xlsx"])
def test_golden_exports_read_the_same_on_both_paths(name):
    assert_same(*both(FIXTURES / name))


def test_golden_exports_do_not_need_calamine(monkeypatch):
    def refuse(*args):
        raise AssertionError("calamine path used")
    monkeypatch.setattr(readers, "_read_xlsx_calamine", refuse)
    assert read_export(FIXTURES / "hotline.xlsx").header_row == 3


def doubtful(kind):
    def write(book, sheet, r, c):
        sheet.write_string(r, c, "GD9")
        if kind == "bool":
            sheet.write_boolean(r, c + 3, True)
        elif kind == "time":
            sheet.write_datetime(r, c + 1, time(8, 30), book.add_format({"num_format": "hh:mm"}))
        elif kind == "fraction":
            sheet.write_datetime(r, c + 1, datetime(2024, 1, 5, 8, 30, 15, 500000),
                                 book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss.000"}))
        elif kind == "float_id":
            sheet.write_number(r, c + 3, 1.1e17)
        elif kind == "tiny":
            sheet.write_number(r, c + 3, 0.00005)
        elif kind == "header_bool":
            sheet.write_boolean(2, c + 5, False)
    return write


@pytest.mark.parametrize("kind", ["bool", "time", "fraction", "tiny", "header_bool"])
def test_cells_fastexcel_writes_differently_go_to_calamine(tmp_path, kind):
    path = hotline_book(tmp_path / "hotline.xlsx", extra=doubtful(kind))
    assert readers._read_xlsx_fast(path, None) is None
    raw = read_export(path)
    slow = readers._read_xlsx_calamine(path, None)
    assert_same(raw, slow)
    if kind == "bool":
        assert raw.table.column("c3").to_pylist()[-1] == "是"


@pytest.mark.parametrize(("number", "text"), [(1.1e17, "1.1e+17"), (float(2510031234567800123), "2.5100312345678e+18")])
def test_a_number_longer_than_excel_keeps_is_refused_at_its_cell(tmp_path, number, text):
    """A 19-digit ticket number kept as a number in Excel: 199 rows were "与第 2 行重复", not why."""
    def write(book, sheet, r, c):
        sheet.write_number(r, c, number)
    path = hotline_book(tmp_path / "hotline.xlsx", extra=write)
    assert readers._read_xlsx_fast(path, None) is None
    with pytest.raises(readers.LoadError) as err:
        read_export(path)
    assert str(err.value) == (
        f"文件 hotline.xlsx 的工作表“工单”第 10 行「工单编号」列是数字 {text}：Excel 的数字只保留 15 位有效数字，"
        "这一列中更长的编号已丢失了后几位（不同的编号会变成同一个）。请在导出系统或 Excel 中把这一列设为“文本”格式后重新导出"
        "（已丢失的位数无法从这个文件找回），再导入；数据仓库未改动。")


def test_unrecognised_header_goes_to_calamine(tmp_path):
    path = tmp_path / "plain.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, row in enumerate([["a", "b"], ["1", "2"]]):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    assert readers._read_xlsx_fast(path, None) is None
    assert read_export(path).headers == ["a", "b"]


def test_fastexcel_failure_falls_back(tmp_path, monkeypatch):
    import fastexcel

    def broken(*args):
        raise fastexcel.CalamineError("boom")
    monkeypatch.setattr(fastexcel, "read_excel", broken)
    path = hotline_book(tmp_path / "hotline.xlsx")
    assert readers._read_xlsx_fast(path, None) is None
    assert read_export(path).table.column("c0").to_pylist()[0] == "20240101000123"


def test_midnight_text_keeps_its_time_as_on_the_calamine_path(tmp_path):
    """fastexcel cannot tell a date cell from a text cell reading "2024-01-05 00:00:00" (it cut both to
    "2024-01-05"): a file holding such text goes to the calamine path, which keeps the text as typed."""
    def write(book, sheet, r, c):
        sheet.write_string(r, c, "GD9")
        sheet.write_string(r, c + 1, "2024-01-05 00:00:00")
    path = hotline_book(tmp_path / "hotline.xlsx", extra=write)
    assert readers.check_xlsx_container(path).midnight_text
    assert readers._read_xlsx_fast(path, None) is None
    raw = read_export(path)
    assert_same(raw, readers._read_xlsx_calamine(path, None))
    assert raw.table.column("c1").to_pylist()[-1] == "2024-01-05 00:00:00"
    assert raw.table.column("c2").to_pylist()[0] == "2024-01-20"     # a date cell stays a date


def test_midnight_date_cells_alone_stay_on_the_fast_path(tmp_path):
    """Date cells and date-time cells at 00:00 are numbers in the XML: no text to keep, the fast path reads them."""
    def write(book, sheet, r, c):
        sheet.write_string(r, c, "GD9")
        sheet.write_datetime(r, c + 1, datetime(2024, 1, 5), book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}))
        sheet.write_string(r, c + 4, "从 00:00:00 起停水")    # a time alone in text is no date
    path = hotline_book(tmp_path / "hotline.xlsx", extra=write)
    assert not readers.check_xlsx_container(path).midnight_text
    fast, slow = both(path)
    assert_same(fast, slow)
    assert fast.table.column("c1").to_pylist()[-1] == "2024-01-05"


@pytest.mark.parametrize("cut", range(1, 19))
def test_midnight_text_is_found_across_a_chunk_edge(cut):
    text = b"<si><t>2025-10-17 00:00:00</t></si>"
    at = text.index(b"2025") + cut
    first, second = b"x" * 100 + text[:at], text[at:] + b"y" * 100
    assert not readers._midnight_text_in(b"", first)
    assert readers._midnight_text_in(first[-readers._MIDNIGHT_TAIL:], second)


def test_an_xlsx_deadline_in_text_at_midnight_is_00_00_as_in_a_csv(warehouse_copy, tmp_path):
    """办理时限 "2025-10-17 00:00:00" typed as text means 00:00, as in a CSV: the fast path read it as the whole day
    (23:59:59). A date cell (2025-10-18) is still the whole day."""
    from etl.load import load_files

    path = tmp_path / "hotline_midnight.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("工单")
    for i, header in enumerate(["工单编号", "来电时间", "诉求类型", "一级分类", "所属街道", "所属社区", "网格编号", "办理时限"]):
        sheet.write_string(0, i, header)
    for r, (ticket, due) in enumerate([("M1", "2025-10-17 00:00:00"), ("M2", datetime(2025, 10, 18))], start=1):
        for i, value in enumerate([ticket, "2025-10-09 09:00:00", "投诉", "市容环境", "南宁街道", "西湖社区", "XH-02"]):
            sheet.write_string(r, i, value)
        if isinstance(due, str):
            sheet.write_string(r, 7, due)
        else:
            sheet.write_datetime(r, 7, due, book.add_format({"num_format": "yyyy-mm-dd"}))
    book.close()
    load_files([path], db_path=warehouse_copy)
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        assert con.execute("select ticket_id, due_at from fct_tickets where ticket_id in ('M1', 'M2') order by 1").fetchall() == [
            ("M1", datetime(2025, 10, 17, 0, 0)), ("M2", datetime(2025, 10, 18, 23, 59, 59))]
    finally:
        con.close()
