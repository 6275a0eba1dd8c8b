"""Tests for onescreen.exports: downloads read back with pandas and openpyxl."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from onescreen.exports import escape_cell, safe_sheet_names, to_csv_bytes, to_xlsx_bytes

BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x","点我")', '\'=HYPERLINK("http://x","点我")'),
        ("+86 13812345678", "'+86 13812345678"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("+86", "+86"),
        ("-1e3", "-1e3"),
        ("路灯不亮", "路灯不亮"),
        ("a=1", "a=1"),
        ("", ""),
        (-5, -5),
        (-12.5, -12.5),
        (None, None),
    ],
)
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected


def test_escape_cell_leaves_missing_and_dates_alone():
    stamp = pd.Timestamp("2024-05-01 10:30")
    assert escape_cell(stamp) is stamp
    assert np.isnan(escape_cell(float("nan")))


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["周报"], ["周报"]),
        (["a/b:c*d?e[f]g\\h"], ["a_b_c_d_e_f_g_h"]),
        (["'引号'"], ["引号"]),
        (["", "  "], ["Sheet", "Sheet (2)"]),
        (["History"], ["History_"]),
        (["x" * 40], ["x" * 31]),
        (["x" * 40, "x" * 35], ["x" * 31, "x" * 27 + " (2)"]),
        (["网格", "网格", "网格"], ["网格", "网格 (2)", "网格 (3)"]),
        (["Grid", "grid"], ["Grid", "grid (2)"]),
        (["a/b", "a_b"], ["a_b", "a_b (2)"]),
    ],
)
def test_safe_sheet_names(names, expected):
    assert safe_sheet_names(names) == expected


@pytest.fixture
def tickets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticket_id": ["T001", "T002", "T003"],
            "grid_code": ["G001", "G002", None],
            "note": ["=1+1", "-1+2", "正常文本"],
            "delta": ["-12.5", "@x", "+A1"],
            "tickets": [3, -2, 0],
            "rate_pct": [97.5, np.nan, -1.25],
            "received_at": pd.to_datetime(["2024-05-01 08:30", "2024-05-02 17:05", None]),
            "received_date": pd.to_datetime(["2024-05-01", "2024-05-02", "2024-05-03"]),
            "is_resolved": [True, False, True],
            "caller_phone": ["13812345678", None, "0755-12345678"],
        }
    )


def read_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_csv_starts_with_bom_and_round_trips(tickets):
    data = to_csv_bytes(tickets)
    assert data.startswith(BOM)
    assert b"\r\n" in data
    back = read_csv(data)
    assert list(back.columns) == list(tickets.columns)
    assert back["ticket_id"].tolist() == ["T001", "T002", "T003"]
    assert back["grid_code"].tolist() == ["G001", "G002", ""]
    assert back["note"].tolist() == ["'=1+1", "'-1+2", "正常文本"]
    assert back["delta"].tolist() == ["-12.5", "'@x", "'+A1"]
    assert back["tickets"].tolist() == ["3", "-2", "0"]
    assert back["rate_pct"].tolist() == ["97.5", "", "-1.25"]
    assert back["received_at"].tolist() == ["2024-05-01 08:30:00", "2024-05-02 17:05:00", ""]
    assert back["is_resolved"].tolist() == ["True", "False", "True"]
    assert back["caller_phone"].tolist() == ["138****5678", "", "0755-****5678"]


def test_csv_without_masking_keeps_personal_fields(tickets):
    back = read_csv(to_csv_bytes(tickets, mask=False))
    assert back["caller_phone"].tolist() == ["13812345678", "", "0755-12345678"]


def test_csv_keeps_chinese_and_escapes_headers():
    df = pd.DataFrame({"=危险": ["网格员"], "街道": ["南宁街道"]})
    data = to_csv_bytes(df)
    assert data == BOM + "'=危险,街道\r\n网格员,南宁街道\r\n".encode("utf-8")


def test_csv_does_not_modify_the_frame(tickets):
    before = tickets.copy()
    to_csv_bytes(tickets)
    pd.testing.assert_frame_equal(tickets, before)


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_xlsx_has_no_formula_cells_and_typed_values(tickets):
    book = load(to_xlsx_bytes({"工单": tickets}))
    sheet = book["工单"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells
    assert all(cell.data_type != "f" for cell in cells)

    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(tickets.columns)
    assert [row[2] for row in rows[1:]] == ["'=1+1", "'-1+2", "正常文本"]
    assert [row[3] for row in rows[1:]] == ["-12.5", "'@x", "'+A1"]
    assert [row[4] for row in rows[1:]] == [3, -2, 0]
    assert [row[5] for row in rows[1:]] == [97.5, None, -1.25]
    assert [row[6] for row in rows[1:]] == [dt.datetime(2024, 5, 1, 8, 30), dt.datetime(2024, 5, 2, 17, 5), None]
    assert [row[7] for row in rows[1:]] == [dt.datetime(2024, 5, d) for d in (1, 2, 3)]
    assert [row[8] for row in rows[1:]] == [True, False, True]
    assert [row[9] for row in rows[1:]] == ["138****5678", None, "0755-****5678"]
    assert rows[1][1] == "G001" and rows[3][1] is None

    assert sheet["E2"].data_type == "n"
    assert sheet["D2"].data_type == "s"
    assert sheet["G2"].is_date and sheet["G2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["H2"].is_date and sheet["H2"].number_format == "yyyy-mm-dd"


def test_xlsx_header_is_bold_frozen_and_filtered(tickets):
    sheet = load(to_xlsx_bytes({"工单": tickets}))["工单"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:J4"


def test_xlsx_sets_every_cell_in_a_chinese_font(tickets):
    """The workbooks named xlsxwriter's Calibri, which has no Chinese, so Excel and WPS substituted one of their own.
    Every cell (header, text, numbers, dates, the Normal style a typed-in cell takes) is now in 微软雅黑, not tied to
    the theme (whose font would be shown instead); the header is still the only bold row."""
    import re
    import zipfile

    data = to_xlsx_bytes({"工单": tickets})
    sheet = load(data)["工单"]
    fonts = {(cell.font.name, cell.font.scheme, cell.font.b) for row in sheet.iter_rows() for cell in row}
    assert fonts == {("微软雅黑", None, True), ("微软雅黑", None, False)}
    assert {cell.font.b for cell in sheet[1]} == {True} and not any(cell.font.b for cell in sheet[2])
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        styles = package.read("xl/styles.xml").decode("utf-8")
    assert set(re.findall(r'<name val="([^"]*)"/>', styles)) == {"微软雅黑"} and "<scheme" not in styles


def test_xlsx_column_widths_follow_content():
    df = pd.DataFrame({"id": ["a"], "content": ["很长的中文诉求内容" * 3], "huge": ["x" * 500]})
    sheet = load(to_xlsx_bytes({"s": df}, mask=False))["s"]
    assert sheet.column_dimensions["A"].width == pytest.approx(6, abs=1)
    assert sheet.column_dimensions["B"].width == pytest.approx(56, abs=1)
    assert sheet.column_dimensions["C"].width == pytest.approx(60, abs=1)


def test_xlsx_one_sheet_per_entry_with_safe_names(tickets):
    summary = pd.DataFrame({"street_name": ["南宁街道"], "tickets": [12]})
    book = load(to_xlsx_bytes({"工单/明细": tickets, "汇总": summary, "工单_明细": summary}))
    assert book.sheetnames == ["工单_明细", "汇总", "工单_明细 (2)"]
    assert list(book["汇总"].iter_rows(values_only=True)) == [("street_name", "tickets"), ("南宁街道", 12)]


def test_xlsx_keeps_every_digit_of_long_integers_and_drops_time_zones():
    df = pd.DataFrame(
        {
            "ticket_number": [2024050112345678901, 123],
            "received_at": pd.to_datetime(["2024-05-01 08:30", "2024-05-01 09:00"]).tz_localize("Asia/Shanghai"),
            "mixed": [dt.date(2024, 5, 1), "=cmd|' /C calc'!A0"],
        }
    )
    rows = list(load(to_xlsx_bytes({"s": df}))["s"].iter_rows(values_only=True))
    assert rows[1] == ("2024050112345678901", dt.datetime(2024, 5, 1, 8, 30), dt.datetime(2024, 5, 1))
    assert rows[2] == (123, dt.datetime(2024, 5, 1, 9, 0), "'=cmd|' /C calc'!A0")


def test_xlsx_masks_by_default_and_not_when_asked(tickets):
    masked = list(load(to_xlsx_bytes({"s": tickets}))["s"].iter_rows(values_only=True))
    plain = list(load(to_xlsx_bytes({"s": tickets}, mask=False))["s"].iter_rows(values_only=True))
    assert masked[1][9] == "138****5678"
    assert plain[1][9] == "13812345678"


def test_xlsx_empty_frame_still_gets_its_header():
    df = pd.DataFrame({"grid_code": pd.Series([], dtype=str), "tickets": pd.Series([], dtype=int)})
    rows = list(load(to_xlsx_bytes({"空": df}))["空"].iter_rows(values_only=True))
    assert rows == [("grid_code", "tickets")]


def test_xlsx_refuses_no_sheets():
    with pytest.raises(ValueError, match="to_xlsx_bytes needs at least one sheet"):
        to_xlsx_bytes({})


def test_every_csv_download_is_written_by_to_csv_bytes():
    """A page that wrote its CSV with DataFrame.to_csv (网格热力's 重复来电表 did) skipped escape_cell: a category or
    area name from an export that starts with = (=HYPERLINK(...)) became a formula in Excel, and lines ended in LF.
    Every CSV a page or the report offers goes through to_csv_bytes."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sources = [root / "app.py", *sorted((root / "app_pages").glob("*.py")), *sorted((root / "onescreen").rglob("*.py"))]
    writers = [f"{path.relative_to(root)}:{number}" for path in sources if path.name != "exports.py"
               for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
               if ".to_csv(" in line]
    assert len(sources) > 20 and writers == []


def test_a_csv_cell_that_starts_like_a_formula_is_escaped_with_crlf_line_ends():
    table = pd.DataFrame({"一级分类": ["=HYPERLINK(\"http://x\")", "物业管理"], "重复（件）": [3, 2]})
    data = to_csv_bytes(table)
    assert data.startswith("\ufeff".encode("utf-8")) and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back["一级分类"].tolist() == ["'=HYPERLINK(\"http://x\")", "物业管理"] and back["重复（件）"].tolist() == [3, 2]
