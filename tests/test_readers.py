"""Readers and staging helpers on the golden exports: encodings, header rows, titles and totals,
every date format, numbers that must stay text, header synonyms and ``--map``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from etl.errors import LoadError
from etl.fields import SOURCES, match_headers, normalise_header
from etl.load import parse_overrides, plan_file
from etl.readers import SAMPLE_BYTES, check_xlsx_container, detect_encoding, read_export
from etl.staging import install_macros

from conftest import FIXTURES, bomb_sheet, xlsx_with

HOTLINE_HEADER = ["工单编号", "来电时间", "诉求类型", "一级分类", "诉求内容", "诉求地址", "来电人", "来电号码", "身份证号",
                  "所属街道", "所属社区", "网格编号", "承办单位", "派单时间", "办结时间", "是否解决", "满意度", "回访时间", "工单状态"]


def column(raw, header: str) -> list:
    return raw.table.column(f"c{raw.headers.index(header)}").to_pylist()


# -- encodings ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "encoding"), [
    ("hotline_gbk.csv", "gb18030"),        # GBK is read as its superset, strictly
    ("hotline_gb18030.csv", "gb18030"),
    ("hotline_utf8.csv", "utf-8"),
    ("hotline_dates.csv", "utf-8"),
    ("compounds_utf8_bom.csv", "utf-8-sig"),
    ("hotline_week2.csv", "utf-8-sig"),
    ("hotline_excel_resaved.csv", "gb18030"),
    ("grids.geojson", "utf-8"),
])
def test_encoding_is_detected(name, encoding):
    assert detect_encoding(FIXTURES / name) == encoding


def test_gbk_export_reads_as_chinese():
    raw = read_export(FIXTURES / "hotline_gbk.csv")
    assert raw.headers == HOTLINE_HEADER
    assert column(raw, "来电人")[:5] == ["张三", "李四", "王五", "赵六", "钱七"]
    assert column(raw, "诉求地址")[0] == "东风路88号金碧花园3栋2单元501室"


def test_gb18030_characters_outside_gbk_survive():
    raw = read_export(FIXTURES / "hotline_gb18030.csv")
    assert column(raw, "来电人") == ["刘䶮", "王𠀀"]


def test_utf8_bom_is_not_part_of_the_first_header():
    raw = read_export(FIXTURES / "compounds_utf8_bom.csv")
    assert raw.headers[0] == "小区编号"
    assert column(raw, "小区名称") == ["金碧花园", "翠湖小区", "阳光新城", "锦绣苑"]


def test_latin1_is_refused_never_guessed():
    with pytest.raises(LoadError) as err:
        read_export(FIXTURES / "latin1.csv")
    assert str(err.value) == "无法识别文件 latin1.csv 的编码（既不是 UTF-8 也不是 GBK/GB18030），请用 Excel 另存为“CSV UTF-8”后再导入。"


def test_binary_file_is_refused():
    with pytest.raises(LoadError) as err:
        read_export(FIXTURES / "binary.dat")
    assert str(err.value) == "文件 binary.dat 不是文本文件，也不是 XLSX 工作簿，请确认导出的是 CSV 或 XLSX。"


def test_utf16_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "hotline_utf16.csv"
    path.write_bytes("工单编号,来电时间\nA1,2025-10-01\n".encode("utf-16"))
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == "文件 hotline_utf16.csv 是 UTF-16 编码，请另存为 UTF-8 或 GBK 编码的 CSV 后再导入。"


def test_old_xls_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "hotline.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == "文件 hotline.xls 是旧版 Excel（.xls）格式，请在 Excel 中另存为 .xlsx 或 CSV 后再导入。"


# What web systems' "导出Excel" writes under an .xls name: an HTML table (as Excel's own 网页 format, or bare, in GBK),
# or an Excel 2003 XML spreadsheet. Before, each was read as a CSV whose header was its first line of markup.
_HTML_TABLE = ("<tr><td>工单编号</td><td>来电时间</td></tr>\n"
               "<tr><td>GDH2026110100001</td><td>2026-11-01 08:00</td></tr>\n</table></body></html>\n")
_HTML_HELP = ("不是 Excel 工作簿，而是以 .xls 为扩展名保存的网页（HTML），多见于网页系统的“导出Excel”。本次导入未写入任何数据。"
              "请用 Excel 或 WPS 打开该文件，另存为 .xlsx（Excel 工作簿）或 CSV，再导入另存的文件。")
_XML_HELP = ("不是 Excel 工作簿，而是以 .xls 为扩展名保存的 XML 表格（Excel 2003 XML 格式），多见于网页系统的“导出Excel”。"
             "本次导入未写入任何数据。请用 Excel 或 WPS 打开该文件，另存为 .xlsx（Excel 工作簿）或 CSV，再导入另存的文件。")
WEB_EXPORTS = {
    "excel_html.xls": (('<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">'
                        '<head><meta charset="utf-8"></head><body><table>\n' + _HTML_TABLE).encode("utf-8"), _HTML_HELP),
    "gbk_html.xls": (('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head><body>\n'
                      '<table border="1">\n' + _HTML_TABLE).encode("gbk"), _HTML_HELP),
    "doctype.xls": (("\ufeff\r\n  <!DOCTYPE html>\n<html><body><table>" + _HTML_TABLE).encode("utf-8"), _HTML_HELP),
    "bare_table.xls": (("\n<table>" + _HTML_TABLE).encode("gb18030"), _HTML_HELP),
    "spreadsheetml.xls": (('<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
                           '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
                           'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">\n <Worksheet ss:Name="Sheet1"><Table>\n'
                           '  <Row><Cell><Data ss:Type="String">工单编号</Data></Cell></Row>\n'
                           '  <Row><Cell><Data ss:Type="String">GDH2026110100002</Data></Cell></Row>\n'
                           ' </Table></Worksheet></Workbook>').encode("utf-8"), _XML_HELP),
}


@pytest.mark.parametrize("name", list(WEB_EXPORTS))
def test_a_web_page_or_xml_spreadsheet_named_xls_is_refused_with_the_fix(tmp_path, name):
    content, help_text = WEB_EXPORTS[name]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == f"文件 {name} {help_text}"
    with pytest.raises(LoadError) as err:   # --sheet given or not: what the file is comes first
        read_export(path, sheet="Sheet1")
    assert str(err.value) == f"文件 {name} {help_text}"


def test_a_web_page_under_another_name_is_named_for_what_it_is(tmp_path):
    path = tmp_path / "工单.html"
    path.write_bytes(b"<html><body><table>" + _HTML_TABLE.encode("utf-8"))
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == ("文件 工单.html 不是 Excel 工作簿，而是网页（HTML），多见于网页系统的“导出Excel”。本次导入未写入任何数据。"
                              "请用 Excel 或 WPS 打开该文件，另存为 .xlsx（Excel 工作簿）或 CSV，再导入另存的文件。")
    # A CSV whose first cell merely mentions a tag is still a CSV.
    path = tmp_path / "notes.csv"
    path.write_text("工单编号,诉求内容\nA1,<table>标签\n", encoding="utf-8")
    assert read_export(path).headers == ["工单编号", "诉求内容"]


def _ole_file(directory_sector: int, entries: list[str]) -> bytes:
    """An OLE compound file as far as the reader looks: the header (512-byte sectors, the directory at
    ``directory_sector``) and directory entries named ``entries`` (UTF-16LE, 128 bytes each) there."""
    header = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    header[0x1E:0x20] = (9).to_bytes(2, "little")
    header[0x30:0x34] = directory_sector.to_bytes(4, "little")
    body = bytearray(512 * directory_sector)
    for name in entries:
        body += name.encode("utf-16-le").ljust(128, b"\x00")
    return bytes(header + body)


@pytest.mark.parametrize("directory_sector", [2, 300])   # in the first 64 KB, or behind the encrypted stream
def test_password_protected_xlsx_is_not_called_an_old_xls(tmp_path, directory_sector):
    """Excel saves an encrypted workbook as an OLE file: it was refused as "旧版 Excel（.xls）", and saving
    it again as .xlsx (what that message asks) keeps the password."""
    path = tmp_path / "hotline.xlsx"
    path.write_bytes(_ole_file(directory_sector, ["Root Entry", "EncryptionInfo", "\x06DataSpaces", "EncryptedPackage"]))
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == ("文件 hotline.xlsx 设有打开密码，无法读取：请在 Excel 中打开，去掉密码（文件→信息→保护工作簿→"
                              "用密码进行加密，清空密码后确定）并另存为 .xlsx，再导入。")
    path.write_bytes(_ole_file(directory_sector, ["Root Entry", "Workbook", "\x05SummaryInformation"]))
    with pytest.raises(LoadError, match="是旧版 Excel（.xls）格式"):
        read_export(path)


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nothere.csv"
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == f"找不到文件 {path}，请检查路径。"


@pytest.mark.parametrize(("encoding", "char"), [("gb18030", "东"), ("gb18030", "𠀀"), ("utf-8", "东"), ("utf-8", "𠀀")])
def test_sample_cut_inside_a_character_still_detects(tmp_path, encoding, char):
    """The first megabyte may end in the middle of a multi-byte character: that is not an error."""
    head = "工单编号,诉求内容\n".encode(encoding)
    width = len(char.encode(encoding))
    prefix = b"a" * ((SAMPLE_BYTES - len(head) - 1) % width or width)
    body = head + prefix + char.encode(encoding) * (SAMPLE_BYTES // width + 2)
    assert (SAMPLE_BYTES - len(head) - len(prefix)) % width == 1  # the sample ends 1 byte into a character
    path = tmp_path / "cut.csv"
    path.write_bytes(body)
    assert detect_encoding(path) == encoding


# -- header row, titles, blank and totals rows -------------------------------------------------

def test_csv_header_found_below_title_rows_and_blank_line():
    raw = read_export(FIXTURES / "hotline_gbk.csv")
    assert raw.header_row == 4
    assert column(raw, "工单编号") == ["2025100100001", "2025100100002", "2025100100003", "2025100100004", "2025100100005"]
    # Row numbers are the lines of the file, so an error can point at the right line; the blank line
    # above the totals row (line 10) is no row.
    assert raw.table.column("row_no").to_pylist() == [5, 6, 7, 8, 9]
    assert raw.dropped_rows == ["合计：5条"]
    assert raw.bad_rows == []


def test_csv_totals_row_with_all_its_commas_is_left_for_staging():
    raw = read_export(FIXTURES / "hotline_week2.csv")
    assert raw.header_row == 3
    assert column(raw, "工单编号")[-1] == "合计：7条"
    plan = plan_file(FIXTURES / "hotline_week2.csv")
    assert plan.source.name == "hotline"


def test_excel_resaved_csv_with_trailing_empty_columns():
    """Excel writes every row as wide as the used range; the unnamed empty columns are not data."""
    raw = read_export(FIXTURES / "hotline_excel_resaved.csv")
    assert (raw.encoding, raw.header_row) == ("gb18030", 2)
    assert raw.headers == ["序号", "工单编号", "来电时间", "来电人", "来电号码", "所属社区"]
    assert raw.table.column_names == ["c0", "c1", "c2", "c3", "c4", "c5", "row_no"]
    assert raw.bad_rows == []
    assert column(raw, "工单编号") == ["R0001", "R0002", None]
    assert column(raw, "序号") == ["1", "2", "合计"]      # all mapped fields empty: staging drops it


@pytest.mark.parametrize("padded_rows", [{3, 4}, {1, 2}])   # after the first data row, or on it only
def test_trailing_empty_cells_on_some_rows_only_are_not_data(tmp_path, padded_rows):
    """Two exports pasted together: only the second half carried Excel's empty trailing cells, and
    those rows (or, when the first row had them, the others) were refused as having too many or too few."""
    rows = ticket_rows(4, content="路灯不亮")
    rows[1] = rows[1].replace("路灯不亮2", '"路灯,\n不亮2"')
    lines = [TICKET_HEADER, *[row + ",, ," * (i in padded_rows) for i, row in enumerate(rows, start=1)]]
    path = write_lines(tmp_path / "pasted.csv", lines)
    whole, streamed = read_export(path), read_export(path, stream=True)
    batches = streamed.stream().read_all()
    assert whole.bad_rows == streamed.bad_rows == []
    assert column(whole, "诉求内容") == batches.column("c7").to_pylist() == ["路灯不亮1", "路灯,\n不亮2", "路灯不亮3", "路灯不亮4"]
    assert whole.table.column("row_no").to_pylist() == batches.column("row_no").to_pylist() == [2, 3, 4, 5]


def test_a_cell_past_the_header_that_is_not_empty_is_still_a_bad_row(tmp_path):
    lines = [TICKET_HEADER, *ticket_rows(2), ticket_rows(1, 3)[0] + ",,", ticket_rows(1, 4)[0] + ",,多出来的"]
    raw = read_export(write_lines(tmp_path / "extra.csv", lines))
    assert raw.bad_rows == [(5, ticket_rows(1, 4)[0] + ",,多出来的")]
    assert raw.table.column("row_no").to_pylist() == [2, 3, 4]


def test_quoted_line_break_stays_in_its_cell():
    raw = read_export(FIXTURES / "hotline_utf8.csv")
    assert column(raw, "content") == ["咨询养老保险。\n补充：已在社区办理,请回电", "楼道灯不亮"]
    # Rows are numbered as a spreadsheet shows them: one record, one row.
    assert raw.table.column("row_no").to_pylist() == [2, 3]


def test_xlsx_header_found_below_merged_title():
    raw = read_export(FIXTURES / "inspections.xlsx")
    assert (raw.file_format, raw.sheet_name, raw.header_row) == ("xlsx", "考核记录", 4)
    assert raw.headers == ["考核日期", "物业企业", "小区名称", "考核项目", "得分", "考核人"]
    assert raw.table.column("row_no").to_pylist() == [5, 6, 7, 8, 9]
    assert raw.dropped_rows == ["合计：5条"]
    # Real date cells and a text date: both text here, parsed in staging.
    assert column(raw, "考核日期") == ["2025-10-09", "2025-10-09", "2025-10-10", "2025/10/11", "2025-10-11"]
    assert column(raw, "得分") == ["92", "71.5", "88", "64", "79"]


def test_xlsx_cells_keep_numbers_as_text():
    raw = read_export(FIXTURES / "hotline.xlsx")
    assert raw.header_row == 3
    # An 18-digit ticket number stays exact; a number cell loses no digits and gains no ".0".
    assert column(raw, "工单编号") == ["110000000000000001", "2025100700002", "XL0003"]
    assert column(raw, "来电号码") == ["13812345678", "08743123456", "0874-3123457"]
    # A real datetime cell, a text date and an Excel serial stored as a plain number.
    assert column(raw, "来电时间") == ["2025-10-07 09:30:00", "2025/10/7 10:05", "45937.75"]
    assert raw.dropped_rows == ["总计 3"]


def test_xlsx_sheet_by_name_and_unknown_sheet():
    assert read_export(FIXTURES / "hotline.xlsx", sheet="工单").sheet_name == "工单"
    with pytest.raises(LoadError) as err:
        read_export(FIXTURES / "hotline.xlsx", sheet="汇总")
    assert str(err.value) == "文件 hotline.xlsx 中没有名为“汇总”的工作表；现有工作表：工单。"


def test_sheet_option_refused_for_csv():
    with pytest.raises(LoadError) as err:
        read_export(FIXTURES / "hotline_utf8.csv", sheet="工单")
    assert str(err.value) == "文件 hotline_utf8.csv 不是 XLSX 工作簿，不能指定 --sheet。"


def test_broken_xlsx_is_refused(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes((FIXTURES / "hotline.xlsx").read_bytes()[:2000])
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == "文件 broken.xlsx 不是有效的 XLSX 工作簿（压缩包损坏），请重新导出。"


UNSAFE_HELP = "为安全起见未读取。如果这是正常导出的文件，请按时间段分成几个较小的文件，或在 Excel 中另存为 CSV（UTF-8）后再导入。"


def _no_part_is_opened(monkeypatch) -> None:
    """Refusals from the declared sizes alone: no part of the zip is decompressed, by the check or a reader."""
    import zipfile

    def never(*args, **kwargs):
        raise AssertionError("a part of the zip was decompressed")

    monkeypatch.setattr(zipfile.ZipFile, "open", never)
    monkeypatch.setattr("python_calamine.CalamineWorkbook.from_path", never)
    monkeypatch.setattr("fastexcel.read_excel", never)


def _sheet_ratio(path: Path) -> int:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    return round(info.file_size / info.compress_size)


def test_a_zip_bomb_padded_to_a_harmless_average_is_refused_by_its_sheet(tmp_path, monkeypatch):
    """A 4 MB sheet that deflates ~250-fold beside 200 KB of random padding stored as is: the file as a
    whole expands only ~20-fold (the review's 2.3 MB file held a 300 MB sheet so). Refused by the
    sheet's own ratio, from the zip's directory, before anything is decompressed."""
    import random

    path = tmp_path / "工单.xlsx"
    path.write_bytes(xlsx_with(bomb_sheet(4), padding=random.Random(0).randbytes(200_000)))
    assert (4 << 20) / path.stat().st_size < 25
    _no_part_is_opened(monkeypatch)
    with pytest.raises(LoadError) as err:
        read_export(path)
    ratio = _sheet_ratio(path)
    assert ratio > 200
    assert str(err.value) == (f"文件 工单.xlsx 中的 xl/worksheets/sheet1.xml 解压后是压缩时的 {ratio} 倍（工作表通常不到 100 倍），"
                              f"像是“压缩炸弹”，{UNSAFE_HELP}")


def test_an_xlsx_expanding_past_ten_times_the_upload_limit_is_refused(tmp_path, monkeypatch):
    import random

    monkeypatch.setenv("ONESCREEN_UPLOAD_LIMIT_MB", "0.1")   # at most 1 MB expanded
    digits = random.Random(0).choices("0123456789", k=1_500_000)
    path = tmp_path / "大.xlsx"
    path.write_bytes(xlsx_with("".join(digits).encode()))
    _no_part_is_opened(monkeypatch)
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == f"文件 大.xlsx 解压后有 1.4 MB，超过上限 1 MB，{UNSAFE_HELP}"


def test_an_xlsx_part_larger_than_its_declared_size_is_refused_before_a_reader_opens_it(tmp_path, monkeypatch):
    """The zip reader under calamine notices a false size only after expanding all of the part."""
    import random

    digits = "".join(random.Random(0).choices("0123456789", k=3_000_000)).encode()
    path = tmp_path / "改过.xlsx"
    path.write_bytes(xlsx_with(digits, declared=100_000))
    monkeypatch.setattr("python_calamine.CalamineWorkbook.from_path", lambda *a: pytest.fail("calamine opened it"))
    monkeypatch.setattr("fastexcel.read_excel", lambda *a: pytest.fail("fastexcel opened it"))
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == ("文件 改过.xlsx 中的 xl/worksheets/sheet1.xml 解压后比文件声明的大小（100,000 字节）还大，"
                              "文件已损坏或被改动过，为安全起见未读取。请重新导出后再导入。")


def test_a_sheet_of_one_repeated_value_is_no_bomb(tmp_path):
    """One text in every cell, the most repetitive plausible sheet (12-fold here; 100,000 rows x 15 cells
    of it from xlsxwriter, 27-fold), passes."""
    rows = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d" t="s"><v>0</v></c>' % (bytes([65 + c]), r)
                                                   for c in range(15)) + b"</row>" for r in range(1, 5001))
    path = tmp_path / "重复.xlsx"
    path.write_bytes(xlsx_with(b"<worksheet><sheetData>" + rows + b"</sheetData></worksheet>"))
    assert _sheet_ratio(path) > 10 and len(rows) > (1 << 20)   # big enough for the ratio to count
    check_xlsx_container(path)


ENTITY_ATTACK = (
    '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {n} "{("&" + p + ";") * 10}">' for p, n in zip("abcdefgh", "bcdefghi"))
    + "]>"
)


def test_xlsx_with_xml_entities_is_refused_not_expanded(tmp_path):
    """Billion laughs and an external entity in sharedStrings.xml: refused, nothing expanded or read."""
    import zipfile

    source = zipfile.ZipFile(FIXTURES / "hotline.xlsx")
    path = tmp_path / "entities.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                text = data.decode("utf-8").replace("?>", "?>" + ENTITY_ATTACK, 1)
                data = text.replace("</t>", "&xxe;&i;</t>", 1).encode("utf-8")
            target.writestr(item, data)
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == "文件 entities.xlsx 无法作为 XLSX 读取（XmlError），请在 Excel 中打开后重新保存。"


# -- Excel error cells (#N/A ...) ------------------------------------------------------------------

def _text_cell(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def _error_cell(ref: str, value: str, formula: str = "") -> bytes:
    return f'<c r="{ref}" s="1" t="e">{f"<f>{formula}</f>" if formula else ""}<v>{value}</v></c>'.encode()


def _sheet(*rows: bytes) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            b'2006/main"><sheetData>' + b"".join(rows) + b"</sheetData></worksheet>")


def _row(number: int, *cells: bytes) -> bytes:
    return b'<row r="%d">' % number + b"".join(cells) + b"</row>"


ERROR_KINDS = ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]


def _error_sheet_path(tmp_path, kinds: list[str]) -> Path:
    """A sheet under a title row and its header, with an error cell of each of ``kinds`` under 满意度
    (C3 on), another in the title row, the header row and past the header's columns."""
    rows = [_row(1, _error_cell("A1", "#REF!", "标题!A1")),
            _row(2, *(_text_cell(f"{c}2", h) for c, h in zip("ABC", ["工单编号", "来电时间", "满意度"])),
                 _error_cell("D2", "#N/A"))]
    for number, kind in enumerate(kinds, start=3):
        rows.append(_row(number, _text_cell(f"A{number}", f"E{number}"), _text_cell(f"B{number}", "2025-10-05 09:00"),
                         _error_cell(f"C{number}", kind, 'VLOOKUP(A2,"对照"!A:B,2,FALSE)' if kind == "#N/A" else ""),
                         _error_cell(f"E{number}", "#DIV/0!", "1/0")))
    path = tmp_path / "错误值.xlsx"
    path.write_bytes(xlsx_with(_sheet(*rows)))
    return path


def test_error_cells_are_found_below_the_header_in_its_columns(tmp_path):
    """Both readers read an error cell as blank; the reader says where each one under the header is.
    One in the title row, in the header or past the header's columns is not the data's."""
    raw = read_export(_error_sheet_path(tmp_path, ERROR_KINDS))
    assert raw.headers == ["工单编号", "来电时间", "满意度"]
    assert raw.error_cells == [(number, 2, kind) for number, kind in enumerate(ERROR_KINDS, start=3)]
    assert column(raw, "满意度") == [None] * len(ERROR_KINDS)


def test_error_values_calamine_cannot_read_name_their_cells(tmp_path):
    """#SPILL!, #CALC!, #GETTING_DATA (newer than calamine's list): calamine and fastexcel read no cell of
    such a sheet; the refusal names the cells instead of a calamine error."""
    path = _error_sheet_path(tmp_path, ["#N/A", "#SPILL!", "#CALC!", "#GETTING_DATA"])
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == (
        "文件 错误值.xlsx 的工作表“工单”中 C4 格是 Excel 错误值 #SPILL!（公式出错：动态数组的结果区域被挡住）、"
        "C5 格是 Excel 错误值 #CALC!（公式出错：计算出错）、C6 格是 Excel 错误值 #GETTING_DATA（公式出错：数据尚未取回），"
        "含这几种错误值的工作表整个都读不出。请在 Excel 中改正这些单元格，或把公式列复制后“选择性粘贴为数值”，保存后再导入；"
        "数据仓库未改动。")


def test_a_workbook_without_error_cells_has_none():
    for name in ("hotline.xlsx", "events.xlsx", "inspections.xlsx"):
        assert check_xlsx_container(FIXTURES / name) == {}
        assert read_export(FIXTURES / name).error_cells == []


def _padding_rows(size: int, number: int = 1) -> bytes:
    """Rows of varied numbers from row ``number`` on, ``size`` bytes or a little less: a sheet part over
    a chunk that deflates like a real one (a repeated row would be refused as a zip bomb)."""
    rows, total = [], 0
    while True:
        row = _row(number, b'<c r="A%d"><v>%d</v></c>' % (number, (number * 7919) % 1_000_003))
        if total + len(row) > size:
            return b"".join(rows)
        rows.append(row)
        total += len(row)
        number += 1


@pytest.mark.parametrize("cut", ["r=", 't="e', "<f>", "VLOOKUP", "</f>", "<v>", "v>", ">#", "#N", "/A", "</v>", "</c>"])
def test_an_error_cell_cut_by_the_decompression_chunk_is_read_whole(tmp_path, cut):
    """The part is decompressed (and searched) a megabyte at a time: an error cell whose bytes the
    chunk's edge cuts anywhere, its formula long, is still found once, with its place."""
    from etl import readers

    cell = _error_cell("C40000", "#N/A", "VLOOKUP(A40000,对照!A:B,2,FALSE)&" + "\"路灯\"&" * 300 + '""')
    start = _sheet(b"")[: -len(b"</sheetData></worksheet>")]
    lead = start + _padding_rows(readers._CHUNK - len(start) - len(cell) - 100) + b'<row r="40000">'
    spaces = readers._CHUNK - len(lead) - cell.index(cut.encode()) - 1   # the chunk ends inside ``cut``
    sheet = lead + b" " * spaces + cell + b"</row>" + _padding_rows(20_000, 40001) + b"</sheetData></worksheet>"
    assert sheet[: readers._CHUNK].endswith(cell[: cell.index(cut.encode()) + 1])
    path = tmp_path / "切开.xlsx"
    path.write_bytes(xlsx_with(sheet))
    assert check_xlsx_container(path) == {"xl/worksheets/sheet1.xml": (readers.ErrorCell(40000, 2, "#N/A"),)}


def test_hashes_in_text_and_text_results_are_no_error_cells(tmp_path):
    """"#" in text (3#楼, a remark of ####), a formula whose text result starts with "#" and the bytes
    v># inside a text are not error cells; one error cell past megabytes of them still is."""
    text = "3#楼 ####" * 4
    rows = [_row(1, _text_cell("A1", "工单编号"), _text_cell("B1", "诉求地址")),
            _row(2, _text_cell("A2", "H1"), b'<c r="B2" t="str"><f>"#"&amp;A2</f><v>#H1</v></c>'),
            _row(3, _text_cell("A3", "H2"), _text_cell("B3", "a v>#1 b")),
            *(_row(n, _text_cell(f"A{n}", f"H{n}"), _text_cell(f"B{n}", text)) for n in range(4, 30_000)),
            _row(30_000, _text_cell("A30000", "H30000"), _error_cell("B30000", "#VALUE!", "A1+1"))]
    path = tmp_path / "井号.xlsx"
    path.write_bytes(xlsx_with(_sheet(*rows)))
    assert check_xlsx_container(path) == {"xl/worksheets/sheet1.xml": ((30_000, 1, "#VALUE!"),)}


def test_error_cells_written_otherwise_are_found_too(tmp_path):
    """Not only as Excel writes them: a prefixed document (<x:c>), t before r, single quotes, a shared formula."""
    sheet = (b'<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<x:sheetData><x:row r="7"><x:c t="e" r="B7"><x:f>1/0</x:f><x:v>#DIV/0!</x:v></x:c>'
             b"<c r='AB7' t='e'><f t=\"shared\" si=\"0\"/><v>#NAME?</v></c></x:row></x:sheetData></x:worksheet>")
    path = tmp_path / "前缀.xlsx"
    path.write_bytes(xlsx_with(sheet))
    assert check_xlsx_container(path) == {"xl/worksheets/sheet1.xml": ((7, 1, "#DIV/0!"), (7, 27, "#NAME?"))}


def test_error_cells_of_another_sheet_do_not_count_and_a_sheet_name_is_matched_as_excel_writes_it(tmp_path):
    import xlsxwriter

    path = tmp_path / "两个表.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for name, error_at, value in (("工单&<汇总>", 2, "#N/A"), ("备份", 3, "#DIV/0!")):
        sheet = book.add_worksheet(name.replace("<", "(").replace(">", ")"))
        sheet.write_row(0, 0, ["工单编号", "来电时间", "满意度"])
        for r in range(1, 4):
            sheet.write_row(r, 0, [f"W{r}", "2025-10-05 09:00", "满意"])
        sheet.write_formula(error_at, 2, "=1/0" if value == "#DIV/0!" else "=NA()", None, value)
    book.close()
    assert read_export(path).sheet_name == "工单&(汇总)"   # written &amp; in the workbook part
    assert read_export(path).error_cells == [(3, 2, "#N/A")]
    assert read_export(path, "备份").error_cells == [(4, 2, "#DIV/0!")]


def test_only_worksheets_are_searched_and_many_error_cells_are_remembered_small(tmp_path):
    """A chart's cached values (<c:v>#3楼 ...</c:v>) are no cells of a sheet: not searched, so no text of theirs can
    reach a message. The cells found are remembered for the life of the process (the check is cached): a lookup
    column of #N/A is kept in arrays, a few bytes a cell, not as 160-byte tuples."""
    import zipfile

    from etl import readers

    rows = [_row(1, _text_cell("A1", "工单编号"), _text_cell("B1", "核对"))]
    rows += [_row(n, _text_cell(f"A{n}", f"W{n}"), _error_cell(f"B{n}", "#N/A", f"VLOOKUP(A{n},对照!A:B,2,FALSE)"))
             for n in range(2, 20_002)]
    path = tmp_path / "查找列.xlsx"
    path.write_bytes(xlsx_with(_sheet(*rows)))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/charts/chart1.xml", '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/'
                         '2006/chart"><c:strCache><c:pt idx="0"><c:v>#3楼 13812345678</c:v></c:pt></c:strCache>'
                         "</c:chartSpace>")
    found = check_xlsx_container(path)
    assert list(found) == ["xl/worksheets/sheet1.xml"]
    assert found["xl/worksheets/sheet1.xml"] == tuple(readers.ErrorCell(n, 1, "#N/A") for n in range(2, 20_002))
    stat = path.stat()
    ((part, stored),), _, _ = readers._check_expansion(str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    assert stored.rows.nbytes + stored.columns.nbytes + stored.codes.nbytes <= 10 * 20_000 and stored.values == ("#N/A",)


def test_an_error_cell_that_cannot_be_placed_refuses_the_sheet(tmp_path):
    """A writer may leave out a cell's reference (r="C3"): rather than guess, the sheet is refused."""
    path = tmp_path / "无位置.xlsx"
    path.write_bytes(xlsx_with(_sheet(_row(1, _text_cell("A1", "工单编号"), _text_cell("B1", "满意度")),
                                      _row(2, _text_cell("A2", "N1"), b'<c t="e"><v>#N/A</v></c>'))))
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == ("文件 无位置.xlsx 的工作表“工单”中有 Excel 错误值 #N/A（公式出错），但无法确定它们所在的单元格。"
                              "请在 Excel 中改正这些单元格，或把公式列复制后“选择性粘贴为数值”，保存后再导入；数据仓库未改动。")


def test_geojson_properties_become_columns():
    raw = read_export(FIXTURES / "grids_shapes.geojson")
    assert raw.file_format == "geojson"
    assert raw.headers == ["网格编码", "geometry"]
    assert column(raw, "网格编码") == ["DF-01", "DF-02", "XH-01", "XH-02"]
    assert column(raw, "geometry")[0] == (
        '{"type":"Polygon","coordinates":[[[103.78,25.48],[103.79,25.48],[103.79,25.49],[103.78,25.49],[103.78,25.48]]]}'
    )


# -- dates -------------------------------------------------------------------------------------

# Every format of issue 3 (and hotline_dates.csv row by row): local time, stored naive.
DATE_CASES = [
    ("2025-10-07 12:44:00", datetime(2025, 10, 7, 12, 44, 0)),
    ("2025/9/14 0:12", datetime(2025, 9, 14, 0, 12)),
    ("2025年9月14日 8时5分", datetime(2025, 9, 14, 8, 5)),
    ("20250914", datetime(2025, 9, 14)),
    ("2025-09-14T08:05:30", datetime(2025, 9, 14, 8, 5, 30)),
    ("2025-09-14T08:05:30+08:00", datetime(2025, 9, 14, 8, 5, 30)),
    ("06/26/2018 10:58:54 AM", datetime(2018, 6, 26, 10, 58, 54)),
    ("06/26/2018 10:58:54 PM", datetime(2018, 6, 26, 22, 58, 54)),
    ("45914.5", datetime(2025, 9, 14, 12, 0)),
    ("2025-09-14", datetime(2025, 9, 14)),
    ("2025年9月14日", datetime(2025, 9, 14)),
    ("2025.09.14 08:05", datetime(2025, 9, 14, 8, 5)),
    ("2025-10-07 09:30:00", datetime(2025, 10, 7, 9, 30)),   # an XLSX datetime cell as the reader writes it
    ("45937.75", datetime(2025, 10, 7, 18, 0)),              # an XLSX serial without date format
    # Serials as a double holds them (Excel's General format), or cut to 6 decimals: the nearest second.
    ("46296.36612268518", datetime(2026, 10, 1, 8, 47, 13)),   # was 08:47:12.999999
    ("46296.21001157408", datetime(2026, 10, 1, 5, 2, 25)),    # was 05:02:25.000001
    ("46296.008461", datetime(2026, 10, 1, 0, 12, 11)),        # was 00:12:11.0304
    # Times with a zone are converted to Beijing time (how every time is stored).
    ("2025-09-14T00:05:30Z", datetime(2025, 9, 14, 8, 5, 30)),  # UTC -> Beijing time
    ("2025-09-14 00:05:30.5Z", datetime(2025, 9, 14, 8, 5, 30, 500000)),
    ("2025-09-13T20:05:30-0400", datetime(2025, 9, 14, 8, 5, 30)),
    ("2025-09-14T09:05:30+09:00", datetime(2025, 9, 14, 8, 5, 30)),
]


@pytest.fixture(scope="module")
def macros():
    con = duckdb.connect()
    install_macros(con)
    yield con
    con.close()


@pytest.mark.parametrize(("text", "expected"), DATE_CASES)
def test_every_date_format_parses_exactly(macros, text, expected):
    assert macros.execute("select parse_ts(?)", [text]).fetchall()[0][0] == expected


@pytest.mark.parametrize("text", ["2025-13-45 10:00", "2025-10-41", "明天上午", "99999", "13812345678"])
def test_impossible_dates_are_not_guessed(macros, text):
    assert macros.execute("select parse_ts(?)", [text]).fetchall()[0][0] is None


def test_the_dates_fixture_covers_every_case():
    raw = read_export(FIXTURES / "hotline_dates.csv")
    assert column(raw, "来电时间") == [text for text, _ in DATE_CASES[:12]]


# -- headers -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "canonical"), [
    *[(h, "ticket_id") for h in ["工单编号", "工单号", "热线单号", "事件编号", "受理编号"]],
    *[(h, "received_at") for h in ["来电时间", "受理时间", "登记时间", "上报时间", "创建时间"]],
    ("办理时限(工作日)", "due_at"), (" 来电号码* ", "caller_phone"), ("\ufeffticket_id", "ticket_id"),
])
def test_header_synonyms(header, canonical):
    assert match_headers([header], SOURCES["hotline"]).get(canonical) == header


def test_normalise_header():
    assert normalise_header("\ufeff 办理时限（工作日） ") == "办理时限"
    assert normalise_header("来电　时间：") == "来电时间"
    assert normalise_header("Ticket ID") == "ticketid"
    assert normalise_header("【诉求内容】") == normalise_header("[诉求内容]") == normalise_header("「诉求内容」") == "诉求内容"


def test_map_option_maps_an_unknown_header():
    overrides = parse_overrides(["留言时间=received_at"])
    assert overrides == {"留言时间": "received_at"}
    plan = plan_file(FIXTURES / "hotline_unknown_header.csv", overrides=overrides)
    assert plan.source.name == "hotline"
    assert plan.mapping["received_at"] == "留言时间"
    assert plan.mapping["ticket_id"] == "工单编号"


def test_map_option_wins_over_the_synonym_lists():
    mapping = match_headers(["工单编号", "来电时间", "受理时间"], SOURCES["hotline"], {"受理时间": "received_at"})
    assert mapping["received_at"] == "受理时间"


def test_map_option_errors_word_for_word():
    with pytest.raises(LoadError) as err:
        parse_overrides(["留言时间"])
    assert str(err.value) == '错误：--map 的写法是 "表头=字段"，例如 --map "留言时间=received_at"；收到的是 “留言时间”。'
    with pytest.raises(LoadError) as err:
        parse_overrides(["留言时间=received"])
    assert str(err.value).startswith("错误：--map 中的字段 “received” 不存在。可用字段：address, appeal_type, ")


# -- source recognition ------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "source"), [
    ("grids.geojson", "grids"), ("grids_attributes.csv", "grids"), ("grids_shapes.geojson", "grids"),
    ("compounds_utf8_bom.csv", "compounds"), ("inspections.xlsx", "inspections"),
    ("hotline_gbk.csv", "hotline"), ("hotline_gb18030.csv", "hotline"), ("hotline_utf8.csv", "hotline"),
    ("hotline.xlsx", "hotline"), ("hotline_week2.csv", "hotline"), ("hotline_excel_resaved.csv", "hotline"),
    ("events.xlsx", "events"),
])
def test_source_is_recognised_from_headers(name, source):
    assert plan_file(FIXTURES / name).source.name == source


def test_a_hotline_export_missing_its_receipt_column_is_not_taken_for_grid_definitions(tmp_path):
    """Without 来电时间 a 12345 export still has every column a grid list needs (网格编号, 所属社区, 所属街道):
    it was loaded over the grid definitions. It is the closest to a hotline export, and says what it lacks."""
    path = tmp_path / "hotline_no_receipt.csv"
    path.write_text("工单编号,诉求来源,诉求类型,一级分类,满意度,所属街道,所属社区,网格编号,来电人,来电号码,诉求内容\n"
                    "A1,12345热线,投诉,市容环境,满意,翠湖街道,东风社区,G01,张三,13800000000,路灯不亮\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        plan_file(path)
    assert str(err.value).startswith("错误：无法识别文件 hotline_no_receipt.csv 的数据类型：最接近“12345热线工单”，"
                                     "但缺少字段 received_at（如 来电时间）。")
    assert plan_file(path, source="grids").source.name == "grids"  # still possible when asked for


def _notes_first_workbook(path: Path, notes: list[str]) -> Path:
    """A workbook whose first sheet 说明 holds ``notes`` (one per line) and whose second holds one ticket."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("说明")
    for row, text in enumerate(notes):
        sheet.write(row, 0, text)
    data = book.add_worksheet("工单明细")
    for col, value in enumerate(["工单编号", "来电时间", "诉求内容"]):
        data.write(0, col, value)
    for col, value in enumerate(["A1", "2025-10-05 09:00", "路灯不亮"]):
        data.write(1, col, value)
    book.close()
    return path


def test_a_workbook_with_a_notes_sheet_first_points_to_sheet(tmp_path):
    path = _notes_first_workbook(tmp_path / "hotline_notes_first.xlsx",
                                 ["本表由 12345 平台导出", "导出时间：2025-10-08 09:00", "数据范围：2025年10月"])
    with pytest.raises(LoadError) as err:
        plan_file(path)
    assert str(err.value).endswith("读取的是第一个工作表“说明”，数据在别的工作表时请用 --sheet 工作表名 指定。")
    assert plan_file(path, sheet="工单明细").source.name == "hotline"


@pytest.mark.parametrize(("notes", "found"), [
    (["本表由 12345 平台导出，导出时间：2025-10-08 09:00"], "只有表头（第 1 行），没有数据行。"),   # one line: read as a header
    ([], "是空的。"),
])
def test_a_workbook_with_a_short_notes_sheet_first_points_to_sheet(tmp_path, notes, found):
    """A one-line (or empty) notes sheet first was "header only" without the --sheet hint that a
    notes sheet of several lines gets."""
    path = _notes_first_workbook(tmp_path / "hotline_short_notes_first.xlsx", notes)
    with pytest.raises(LoadError) as err:
        plan_file(path)
    assert str(err.value) == (f"文件 hotline_short_notes_first.xlsx 的工作表“说明”{found}"
                              "读取的是第一个工作表“说明”，数据在别的工作表时请用 --sheet 工作表名 指定；"
                              "数据就在这个工作表时，请确认导出时选择的范围内有数据，重新导出后再导入。")
    assert plan_file(path, sheet="工单明细").source.name == "hotline"


def _hidden_first_workbook(path: Path) -> Path:
    """A workbook whose first sheet 上月备份 (hidden) holds last month's ticket and whose second, 工单明细, this month's."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    backup, data = book.add_worksheet("上月备份"), book.add_worksheet("工单明细")
    for sheet, ticket in ((backup, "OLD1"), (data, "NEW1")):
        for col, (header, value) in enumerate(zip(["工单编号", "来电时间", "诉求内容"], [ticket, "2025-10-05 09:00", "路灯不亮"])):
            sheet.write(0, col, header)
            sheet.write(1, col, value)
    data.activate()
    backup.hide()
    book.close()
    return path


@pytest.mark.parametrize("reader", ["_read_xlsx_fast", "_read_xlsx_calamine", "read_export"])
def test_a_hidden_first_sheet_is_passed_over_and_said(tmp_path, reader):
    """Excel shows the second sheet; the hidden backup before it was loaded silently instead."""
    from etl import readers

    path = _hidden_first_workbook(tmp_path / "hotline_hidden_first.xlsx")
    raw = getattr(readers, reader)(path, None)
    assert (raw.sheet_name, column(raw, "工单编号")) == ("工单明细", ["NEW1"])
    assert raw.notes == ["隐藏的工作表“上月备份”未读取，读取的是第一个可见的工作表“工单明细”；"
                         "要导入隐藏的工作表请用 --sheet 工作表名 指定。"]
    chosen = getattr(readers, reader)(path, "上月备份")
    assert (chosen.sheet_name, column(chosen, "工单编号"), chosen.notes) == ("上月备份", ["OLD1"], [])


def test_the_upload_sheet_selector_starts_on_the_visible_sheet_and_marks_hidden_ones(tmp_path):
    from onescreen import upload

    sheets = upload.sheet_names(_hidden_first_workbook(tmp_path / "hotline_hidden_first.xlsx"))
    assert list(sheets.items()) == [("工单明细", "工单明细"), ("上月备份", "上月备份（隐藏）")]
    assert upload.sheet_names(FIXTURES / "hotline.xlsx") == {"工单": "工单"}
    assert upload.sheet_names(FIXTURES / "hotline_utf8.csv") == {}


def test_a_grid_list_with_a_phone_column_is_a_grid_list(tmp_path):
    """联系电话 and 地址 are hotline columns too, and outweighed the grid columns by count."""
    path = tmp_path / "grids_contacts.csv"
    path.write_text("网格编号,所属社区,所属街道,联系电话,地址\nG01,东风社区,翠湖街道,0874-3123456,东风路1号\n",
                    encoding="utf-8")
    assert plan_file(path).source.name == "grids"


def test_a_closed_multi_line_cell_in_a_narrow_file_is_read(tmp_path):
    path = tmp_path / "hotline_narrow.csv"
    path.write_text('工单编号,来电时间,所属社区,诉求内容\nN1,2025-10-05 09:00,东风社区,"反映：\n1,路灯不亮,晚上很黑\n2,请尽快处理"\n'
                    "N2,2025-10-05 10:00,东风社区,噪音\n", encoding="utf-8")
    for stream in (False, True):
        raw = read_export(path, stream=stream)
        table = raw.table if not stream else raw.stream().read_all()
        assert table.num_rows == 2
        assert table.column("c3").to_pylist()[0] == "反映：\n1,路灯不亮,晚上很黑\n2,请尽快处理"


def test_a_data_row_as_header_is_not_printed_even_when_a_value_is_a_column_name(tmp_path):
    path = tmp_path / "no_header.csv"
    path.write_text("GD0001,2025-10-05 09:00,社区,上官飞燕,13912349001,翠峰路1号锦绣小区9栋1单元101室\n"
                    "GD0002,2025-10-05 10:00,街道,李四,13800002222,东风路2号\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        plan_file(path)
    for value in ("上官飞燕", "13912349001", "锦绣小区"):
        assert value not in str(err.value)


def test_a_staff_list_is_not_taken_for_a_hotline_export(tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text("id,name,phone,address,created_date,department\n1,王五,13700009999,东风路1号,2025-10-01,城管\n",
                    encoding="utf-8")
    with pytest.raises(LoadError) as err:
        plan_file(path)
    assert "缺少字段 ticket_id（如 工单编号）" in str(err.value)


def test_shapes_only_file_needs_only_code_and_geometry():
    plan = plan_file(FIXTURES / "grids_shapes.geojson")
    assert plan.required == ("grid_code", "geometry")
    assert plan.mapping == {"grid_code": "网格编码", "geometry": "geometry"}


def test_map_option_for_a_header_the_file_lacks_is_an_error(tmp_path):
    """Before, a --map whose header the file lacks was left out without a word (a typo, or another export)."""
    with pytest.raises(LoadError) as err:
        plan_file(FIXTURES / "hotline_unknown_header.csv", overrides=parse_overrides(["留言日期=received_at", "工单编号=ticket_id"]))
    assert str(err.value) == (
        "错误：--map 指定的表头“留言日期”在文件 hotline_unknown_header.csv 中不存在，这样的对应不会生效，本次导入未写入任何数据。"
        "文件第 1 行的表头为：工单编号、留言时间、诉求内容、来电号码。"
        "请按文件中的写法改正 --map \"表头=字段\" 等号前的表头（可从上面复制），或去掉这一项。")
    # Headers compare as the synonym lists do (spaces, full-width colons and a trailing bracket do not count).
    assert plan_file(FIXTURES / "hotline_unknown_header.csv", overrides={"留言 时间：": "received_at"}).mapping["received_at"] == "留言时间"
    # A file without its header row: its first row (a name, a phone) is not printed as its headers.
    path = tmp_path / "no_header.csv"
    path.write_text("A1,2025-10-05 09:00:00,张三,13812345678\nA2,2025-10-05 10:00:00,李四,13912345678\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        plan_file(path, overrides={"来电时间": "received_at"})
    assert "表头为：（4 列，其中有日期、号码之类的值，不像列名：文件可能缺少表头行）。" in str(err.value)
    assert "13812345678" not in str(err.value) and "张三" not in str(err.value)


def test_personal_columns_are_reported_and_unknown_ones_listed():
    plan = plan_file(FIXTURES / "hotline_gbk.csv")
    assert plan.personal_ignored == ["身份证号"]
    assert plan.ignored == []


def test_a_file_with_no_column_of_any_export_is_not_called_the_closest_one():
    """A staff roster or meeting notes was "最接近“12345热线工单”，但缺少字段 …": no column matched anything."""
    with pytest.raises(LoadError) as err:
        plan_file(FIXTURES / "hotline_wrong_header.csv")
    assert str(err.value) == (
        "错误：看不出文件 hotline_wrong_header.csv 是哪类导出：没有一列表头与已知导出相符。文件第 1 行的表头为：编号、日期、内容。"
        "能导入的有（括号中为必须有的列）：12345热线工单（工单编号、来电时间）、网格平台事件（工单编号、来电时间、诉求来源）"
        "、网格定义（网格编号、所属社区、所属街道）、小区与物业（小区名称、物业企业）、物业日常考核（考核日期、物业企业、小区名称、得分）。请确认选对了文件；确是其中一类、只是表头写法不同时，"
        "请用 --source 指定来源类型，并用 --map \"表头=字段\" 指定对应关系。"
    )
    assert plan_file(FIXTURES / "hotline_wrong_header.csv", strict=False).unknown
    # Chosen by hand, or with a column of an export, it is that export missing fields.
    assert not plan_file(FIXTURES / "hotline_wrong_header.csv", "hotline", strict=False).unknown
    with pytest.raises(LoadError, match="最接近“12345热线工单”，但缺少字段 received_at"):
        plan_file(FIXTURES / "hotline_unknown_header.csv")


def test_a_roster_or_compound_list_with_a_phone_column_is_not_taken_for_a_hotline_export(tmp_path):
    """联系电话 is a 12345 caller's number, but a grid workers' roster and a compound list carry one too: their
    files were "最接近“12345热线工单”，但缺少字段 工单编号、来电时间". The other headers now decide."""
    def planned(name: str, text: str, **kwargs):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return plan_file(path, **kwargs)

    roster = "网格名称,网格员,联系电话,所属社区,所属街道\n西河一网格,李四,13900001111,西河社区,南宁街道\n"
    with pytest.raises(LoadError) as err:
        planned("网格员名册.csv", roster)
    assert str(err.value).startswith("错误：无法识别文件 网格员名册.csv 的数据类型：最接近“网格定义”，但缺少字段 grid_code（如 网格编号）。")
    assert planned("网格员名册.csv", roster, strict=False).source.name == "grids"   # the upload page's guess
    full = "网格编号,网格名称,所属社区,所属街道,网格员,联系电话\nXH-01,西河一网格,西河社区,南宁街道,李四,13900001111\n"
    assert planned("网格.csv", full).source.name == "grids"
    compounds = "小区名称,小区地址,所属社区,联系人,联系电话,户数\n金碧花园,东风路88号,东风社区,赵六,13600001111,600\n"
    with pytest.raises(LoadError) as err:
        planned("小区.csv", compounds)
    assert str(err.value).startswith("错误：无法识别文件 小区.csv 的数据类型：最接近“小区与物业”，但缺少字段 company_name（如 物业企业）。")
    # A list of grid workers (one row a person): none of the known kinds, and the message says what each needs.
    people = "序号,姓名,性别,所属网格,联系电话,入职时间\n1,李四,男,XH-01,13900001111,2021-03-01\n"
    with pytest.raises(LoadError) as err:
        planned("人员.csv", people)
    assert str(err.value) == (
        "错误：看不出文件 人员.csv 是哪类导出：没有一列表头是已知导出特有的（所属网格、联系电话 这类列各种名单都有）。"
        "文件第 1 行的表头为：序号、姓名、性别、所属网格、联系电话、入职时间。"
        "能导入的有（括号中为必须有的列）：12345热线工单（工单编号、来电时间）、网格平台事件（工单编号、来电时间、诉求来源）"
        "、网格定义（网格编号、所属社区、所属街道）、小区与物业（小区名称、物业企业）、物业日常考核（考核日期、物业企业、小区名称、得分）。"
        "请确认选对了文件；确是其中一类、只是表头写法不同时，请用 --source 指定来源类型，并用 --map \"表头=字段\" 指定对应关系。")
    # A 12345 export that calls the caller's number 联系电话 is still one.
    hotline = "工单编号,来电时间,诉求类型,联系电话\nH1,2025-10-01 09:00,投诉,13800001111\n"
    plan = planned("工单.csv", hotline)
    assert plan.source.name == "hotline" and plan.mapping["caller_phone"] == "联系电话"


def test_a_summary_sheet_is_no_export_nor_pointed_to(tmp_path):
    """Following "工作表“统计”（1 行）也有数据" to a summary sheet (街道, 件数) led to "识别为 12345热线工单"."""
    import xlsxwriter

    path = tmp_path / "工单.xlsx"
    book = xlsxwriter.Workbook(str(path))
    data, summary = book.add_worksheet("工单明细"), book.add_worksheet("统计")
    data.write_row(0, 0, ["工单编号", "来电时间", "所属街道"])
    data.write_row(1, 0, ["A1", "2025-10-05 09:00", "翠湖街道"])
    summary.write_row(0, 0, ["街道", "件数"])
    summary.write_row(1, 0, ["翠湖街道", 1])
    book.close()
    assert plan_file(path).raw.other_sheets == {}
    assert plan_file(path, sheet="统计", strict=False).unknown


def test_unrecognised_header_with_source_given():
    with pytest.raises(LoadError) as err:
        plan_file(FIXTURES / "hotline_unknown_header.csv", source="hotline")
    assert str(err.value) == (
        "错误：无法识别文件 hotline_unknown_header.csv 的数据类型：最接近“12345热线工单”，但缺少字段 received_at（如 来电时间）。"
        "文件第 1 行的表头为：工单编号、留言时间、诉求内容、来电号码。请用 --map \"表头=字段\" 指定对应关系。"
    )


def test_events_file_lacking_source_column_forced_as_events():
    with pytest.raises(LoadError) as err:
        plan_file(FIXTURES / "hotline_utf8.csv", source="events")
    assert str(err.value) == (
        "错误：无法识别文件 hotline_utf8.csv 的数据类型：最接近“网格平台事件”，但缺少字段 source（如 诉求来源）。"
        "文件第 1 行的表头为：ticket_id、created_date、诉求类型、category、来电人、phone、address、community、status、content。"
        "请用 --map \"表头=字段\" 指定对应关系。"
    )


# -- the fixtures themselves -------------------------------------------------------------------

def test_fixtures_are_tiny_and_match_their_generator(tmp_path, monkeypatch):
    """The committed files are what make_fixtures.py writes (so the script documents them truly).

    Text files must be byte-identical; workbooks are compared by what the reader gets out of them,
    so a new xlsxwriter release that changes the zip bytes does not fail this test.
    """
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES.parent / "make_fixtures.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    monkeypatch.setattr(generator, "OUT", tmp_path)
    generator.main()
    committed = sorted(p.name for p in FIXTURES.iterdir() if not p.name.endswith(".rejected.csv"))
    assert committed == sorted(p.name for p in tmp_path.iterdir())
    for name in committed:
        assert (FIXTURES / name).stat().st_size < 20_000, f"{name} is not tiny"
        if name.endswith(".xlsx"):
            ours, theirs = read_export(FIXTURES / name), read_export(tmp_path / name)
            assert (ours.headers, ours.table.to_pylist()) == (theirs.headers, theirs.table.to_pylist()), name
        else:
            assert (FIXTURES / name).read_bytes() == (tmp_path / name).read_bytes(), name


# -- streamed CSV (what a load reads) ------------------------------------------------------------

def _streamed(path):
    """A CSV read with ``stream=True``, its stream drained: (raw, rows as dicts)."""
    raw = read_export(path, stream=True)
    assert raw.table.num_rows == 0 and raw.stream is not None
    rows = raw.stream().read_all().to_pylist()
    return raw, rows


@pytest.mark.parametrize("name", ["hotline_gbk.csv", "hotline_utf8.csv", "hotline_week2.csv", "hotline_excel_resaved.csv",
                                  "hotline_bad_rows.csv", "hotline_many_bad.csv", "hotline_gb18030.csv"])
def test_streamed_csv_is_the_table_read_whole(name):
    whole = read_export(FIXTURES / name)
    raw, rows = _streamed(FIXTURES / name)
    assert rows == whole.table.to_pylist()
    assert raw.table.column_names == whole.table.column_names
    assert (raw.headers, raw.header_row, raw.encoding) == (whole.headers, whole.header_row, whole.encoding)
    assert (raw.dropped_rows, raw.bad_rows) == (whole.dropped_rows, whole.bad_rows)


def test_streamed_csv_numbers_rows_past_bad_rows_in_every_batch(tmp_path):
    """A file of several read blocks (1 MB each) with rows of the wrong width and a quoted line break
    in several of them: every row keeps its record number, as the table read whole gives it."""
    lines = ["工单编号,来电时间,诉求内容"]
    bad = {7, 9_000, 9_001, 21_000, 33_333}
    for i in range(40_000):
        if i in bad:
            lines.append(f"B{i:06d},2025-10-01 08:00,多出一列,{'x' * 40}")
        elif i % 5_000 == 1:
            lines.append(f'T{i:06d},2025-10-01 08:00,"第一行\n第二行{"y" * 40}"')
        else:
            lines.append(f"T{i:06d},2025-10-01 08:00,{'z' * 60}")
    lines.append("合计：40000条")
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 3 << 20
    whole = read_export(path)
    raw, rows = _streamed(path)
    assert [n for n, _ in raw.bad_rows] == [i + 2 for i in sorted(bad)]
    assert raw.dropped_rows == ["合计：40000条"]
    assert rows == whole.table.to_pylist()
    assert rows[-1]["row_no"] == 40_001 and rows[-1]["c0"] == "T039999"


def test_streamed_csv_row_after_a_totals_row_keeps_its_own_number(tmp_path):
    """A subtotal row in the middle of the file (too few columns, left out) does not shift the numbers
    of the rows below it: each row is numbered as the spreadsheet shows it."""
    path = tmp_path / "subtotal.csv"
    path.write_text("工单编号,来电时间,诉求内容\nT1,2025-10-01 08:00,a\n小计 1\nT2,2025-10-02 08:00,b\n", encoding="utf-8")
    raw, rows = _streamed(path)
    assert [(r["c0"], r["row_no"]) for r in rows] == [("T1", 2), ("T2", 4)]
    assert (raw.dropped_rows, raw.bad_rows) == (["小计 1"], [])


# -- malformed files: a clear error naming the file, row and column -------------------------------

TICKET_HEADER = "工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,来电人,诉求内容"
QUOTE_HELP = "请检查该单元格中的英文双引号 \"：删掉它、改成中文引号“”，或写成两个英文双引号 \"\"，然后重新导入；数据仓库未改动。"


def ticket_rows(count: int, start: int = 1, content: str = "路灯不亮") -> list[str]:
    return [f"T{i:06d},2025-10-{1 + i % 28:02d} 09:00:00,投诉,市容环境,南宁街道,东风社区,张三,{content}{i}"
            for i in range(start, start + count)]


def write_lines(path, lines: list[str], encoding: str = "utf-8"):
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def read_errors(path) -> tuple[str, str]:
    """The messages of reading ``path`` whole (the upload page) and streamed (a load): (whole, streamed)."""
    with pytest.raises(LoadError) as whole:
        read_export(path)
    try:
        raw = read_export(path, stream=True)
    except LoadError as error:
        return str(whole.value), str(error)
    with pytest.raises(Exception):
        raw.stream().read_all()
    assert isinstance(raw.failure, LoadError)
    return str(whole.value), str(raw.failure)


def test_unclosed_quote_that_swallows_rows_is_refused(tmp_path):
    """One stray quote at the start of a cell would merge every row below into that cell: refused, at
    the row and column where the quote opens, whole or streamed."""
    lines = [TICKET_HEADER, *ticket_rows(3), *ticket_rows(1, 4, content='"太吵了'), *ticket_rows(36, 5)]
    path = write_lines(tmp_path / "quote.csv", lines)
    expected = ("文件 quote.csv 第 5 行「诉求内容」列引号未闭合：这一格以英文双引号 \" 开头，却没有配对的结束引号，"
                "其后 36 行数据被并进了这一格。" + QUOTE_HELP)
    assert read_errors(path) == (expected, expected)


def test_unclosed_quote_in_a_middle_column_names_that_column(tmp_path):
    """The swallowing cell leaves its record with too few cells: not a row of the wrong width but the quote."""
    lines = [TICKET_HEADER, *ticket_rows(4)]
    lines.append(lines[-1].replace(",张三,", ',"张三,').replace("T000004", "T000005"))
    lines += ticket_rows(10, 6)
    path = write_lines(tmp_path / "quote_mid.csv", lines)
    expected = ("文件 quote_mid.csv 第 6 行「来电人」列引号未闭合：这一格以英文双引号 \" 开头，却没有配对的结束引号，"
                "其后 10 行数据被并进了这一格。" + QUOTE_HELP)
    assert read_errors(path) == (expected, expected)


def test_unclosed_quote_found_in_a_later_block_of_a_large_file(tmp_path):
    """Past the sampled start and in a later read block: the row is still the one the file gives it."""
    lines = [TICKET_HEADER, *ticket_rows(15_000), *ticket_rows(1, 15_001, content='"噪音'), *ticket_rows(3_000, 15_002)]
    path = write_lines(tmp_path / "quote_late.csv", lines)
    assert path.stat().st_size > 1 << 20
    expected = ("文件 quote_late.csv 第 15002 行「诉求内容」列引号未闭合：这一格以英文双引号 \" 开头，却没有配对的结束引号，"
                "其后 3,000 行数据被并进了这一格。" + QUOTE_HELP)
    assert read_errors(path) == (expected, expected)


def test_legitimate_line_breaks_in_quoted_cells_are_kept(tmp_path):
    """A remark over several lines (a comma or two in them) and a pretty-printed geometry are cells, not
    swallowed rows."""
    remark = "第一行\n补充：时间,地点\r\n第三行"
    geometry = ('{\n  "type": "Polygon",\n  "coordinates": [[[103.78,25.48],[103.79,25.48],[103.79,25.49],'
                '[103.78,25.49],[103.78,25.48]]]\n}')
    quoted = '"' + geometry.replace('"', '""') + '"'
    lines = [TICKET_HEADER, *ticket_rows(1, content=f'"{remark}"'), *ticket_rows(1, 2, content=quoted), *ticket_rows(2, 3)]
    path = write_lines(tmp_path / "multiline.csv", lines)
    for raw in (read_export(path), read_export(path, stream=True)):
        table = raw.stream().read_all() if raw.stream else raw.table
        assert table.column("c7").to_pylist() == [f"{remark}1", f"{geometry}2", "路灯不亮3", "路灯不亮4"]
        assert table.column("row_no").to_pylist() == [2, 3, 4, 5]
        assert raw.failure is None


def test_cell_over_the_limit_in_the_first_rows(tmp_path):
    """Python's csv reads the first rows (to find the header) and stops at 131,072 characters a cell."""
    lines = [TICKET_HEADER, *ticket_rows(2), *ticket_rows(1, 3, content="很长的诉求" * 40_000), *ticket_rows(2, 4)]
    path = write_lines(tmp_path / "huge.csv", lines)
    expected = ("文件 huge.csv 第 4 行「诉求内容」列的内容超过单元格上限 131,072 个字符（Excel 一格最多 32,767 个字符），"
                "多半是误粘贴了大段内容，或文件已损坏。请检查该单元格后重新导入；数据仓库未改动。")
    assert read_errors(path) == (expected, expected)


def test_unclosed_quote_over_the_limit_in_the_first_rows(tmp_path):
    lines = [TICKET_HEADER, *ticket_rows(2), *ticket_rows(1, 3, content='"太吵了'), *ticket_rows(3_000, 4)]
    path = write_lines(tmp_path / "quote_big.csv", lines)
    whole, streamed = read_errors(path)
    assert whole == streamed
    assert whole.startswith("文件 quote_big.csv 第 4 行「诉求内容」列引号未闭合：这一格以英文双引号 \" 开头，"
                            "却没有配对的结束引号，其后至少 ")
    assert whole.endswith(" 行数据被并进了这一格。" + QUOTE_HELP)


@pytest.mark.parametrize(("size", "cause"), [
    (200_000, "多半是英文双引号 \" 未闭合，把后面的内容并进了这一格，或误粘贴了大段内容"),   # read by pyarrow, then checked
    (2_000_000, "多半是误粘贴了大段内容，或文件已损坏"),                                   # a row over pyarrow's 1 MB block
])
def test_cell_over_the_limit_past_the_first_rows(tmp_path, size, cause):
    lines = [TICKET_HEADER, *ticket_rows(6_000), *ticket_rows(1, 6_001, content="x" * size), *ticket_rows(5, 6_002)]
    path = write_lines(tmp_path / "huge_late.csv", lines)
    expected = (f"文件 huge_late.csv 第 6002 行「诉求内容」列的内容超过单元格上限 131,072 个字符（Excel 一格最多 32,767 个字符），"
                f"{cause}。请检查该单元格后重新导入；数据仓库未改动。")
    assert read_errors(path) == (expected, expected)


MIXED_HELP = "（混用了两种编码，或文件已损坏）。请用 Excel/WPS 打开后另存为“CSV UTF-8”再导入；数据仓库未改动。"


def test_gbk_file_with_a_utf8_row_past_its_first_megabyte(tmp_path):
    rows = [TICKET_HEADER, *ticket_rows(12_000, content="小区门口路灯不亮，夜间出行不便")]
    data = ("\n".join(rows) + "\n").encode("gbk")
    assert len(data) > SAMPLE_BYTES
    path = tmp_path / "mixed_gbk.csv"
    # (UTF-8 that happens to decode as GB18030 is read as such: an odd number of Chinese characters
    # before a comma does not.)
    path.write_bytes(data + ("\n".join(ticket_rows(2, 12_001, content="噢")) + "\n").encode("utf-8"))
    expected = ("文件 mixed_gbk.csv 第 12002 行有无法按 GBK/GB18030 读取的字节：文件前面是 GBK/GB18030 编码，这一行却是 UTF-8"
                + MIXED_HELP)
    assert read_errors(path) == (expected, expected)


@pytest.mark.parametrize("end", ["\n", "\r"])   # \r: Excel for Mac's "CSV" until 2016
def test_gbk_file_with_a_stray_byte_past_its_first_megabyte_names_the_column(tmp_path, end):
    rows = [TICKET_HEADER, *ticket_rows(12_000, content="小区门口路灯不亮，夜间出行不便")]
    data = (end.join(rows) + end).encode("gbk") + "T012001,2025-10-01 09:00:00,投诉,市容环境,南宁街道,东风社区,".encode("gbk")
    path = tmp_path / "stray_byte.csv"
    path.write_bytes(data + b"\xff\xff," + f"路灯不亮{end}".encode("gbk"))
    expected = ("文件 stray_byte.csv 第 12002 行「来电人」列有无法按 GBK/GB18030 读取的字节：文件前面是 GBK/GB18030 编码，这里却不是"
                + MIXED_HELP)
    assert read_errors(path) == (expected, expected)


def test_old_mac_line_ends_read_whole_and_streamed(tmp_path):
    """Lines ended by \r only (Excel for Mac's "CSV" until 2016) were "第 1 行无法按 CSV 格式读取"."""
    path = tmp_path / "mac.csv"
    path.write_bytes(("\r".join(["翠湖区12345热线工单", TICKET_HEADER, *ticket_rows(3)]) + "\r").encode("gbk"))
    whole, streamed = read_export(path), read_export(path, stream=True)
    rows = streamed.stream().read_all()
    assert (whole.header_row, column(whole, "工单编号")) == (2, ["T000001", "T000002", "T000003"])
    assert whole.table.column("row_no").to_pylist() == rows.column("row_no").to_pylist() == [3, 4, 5]
    assert rows.column("c0").to_pylist() == ["T000001", "T000002", "T000003"]


def test_excel_tab_separated_text_in_gbk_reads_whole_and_streamed(tmp_path):
    """Excel's 文本文件(制表符分隔) (.txt, GBK) was read as one column: "缺少字段 工单编号" beside a header of 工单编号."""
    rows = [row.replace(",", "\t") for row in [TICKET_HEADER, *ticket_rows(2)]]
    path = tmp_path / "hotline.txt"
    path.write_bytes(("\r\n".join(["翠湖区12345热线工单", *rows, 'T000003\t2025-10-03 09:00:00\t投诉\t市容环境\t南宁街道\t东风社区\t张三\t'
                                     '"门口,路灯\t不亮"']) + "\r\n").encode("gbk"))
    whole, streamed = read_export(path), read_export(path, stream=True)
    assert whole.headers == TICKET_HEADER.split(",")
    assert column(whole, "诉求内容") == ["路灯不亮1", "路灯不亮2", "门口,路灯\t不亮"]
    assert streamed.stream().read_all().column("c7").to_pylist() == column(whole, "诉求内容")
    assert plan_file(path).source.name == "hotline"


def test_tabs_inside_cells_of_a_comma_csv_do_not_make_it_tab_separated(tmp_path):
    path = write_lines(tmp_path / "tabs_inside.csv", [TICKET_HEADER, *ticket_rows(2, content="路灯\t不亮")])
    assert column(read_export(path), "诉求内容") == ["路灯\t不亮1", "路灯\t不亮2"]


def test_tab_separated_with_unknown_headers_is_still_split_on_tabs(tmp_path):
    path = write_lines(tmp_path / "other.txt", ["编号\t日期\t备注", "1\t2025-10-01\ta,b"])
    assert read_export(path).headers == ["编号", "日期", "备注"]


def test_big5_is_refused_as_not_recognised(tmp_path):
    """GB18030 decodes Big5 bytes into other (mostly rare) characters: never read as garbled headers."""
    lines = ["工單編號,來電時間,訴求類型,所屬街道,訴求內容", *[f"B{i},2025-10-0{i} 09:00,投訴,南寧街道,路燈不亮請儘快處理" for i in range(1, 6)]]
    path = write_lines(tmp_path / "big5.csv", lines, encoding="big5")
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == ("无法识别文件 big5.csv 的编码：按 GBK/GB18030 读出来是乱码（可能是繁体 Big5 或其他编码）。"
                              "请用 Excel/WPS 打开后另存为“CSV UTF-8”（或 GBK 编码的 CSV）再导入。")


def test_gbk_with_a_few_rare_characters_is_still_gbk(tmp_path):
    lines = [TICKET_HEADER, *[row.replace("张三", "王喆堃") for row in ticket_rows(20)]]
    path = write_lines(tmp_path / "rare.csv", lines, encoding="gbk")
    assert detect_encoding(path) == "gb18030"
    assert column(read_export(path), "来电人") == ["王喆堃"] * 20


@pytest.mark.parametrize(("document", "message"), [
    ({"type": "FeatureCollection", "features": [1, 2]},
     "文件 bad.geojson：第 1 个要素不是对象（是 数字），每个要素应为 {\"type\": \"Feature\", \"properties\": {…}, "
     "\"geometry\": {…}}，请重新导出为 GeoJSON。"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"网格编号": "A"}, "geometry": None},
                                                {"type": "Feature", "properties": ["a"], "geometry": None}]},
     "文件 bad.geojson：第 2 个要素的 properties 不是对象（是 数组），应为 {\"网格编号\": \"…\", …} 这样的对象，请重新导出为 GeoJSON。"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": "POLYGON"}]},
     "文件 bad.geojson：第 1 个要素的 geometry 不是对象（是 文本），应为 {\"type\": \"Polygon\", \"coordinates\": […]} "
     "这样的对象，请重新导出为 GeoJSON。"),
    ({"type": "FeatureCollection", "features": []},
     "文件 bad.geojson 中没有任何要素（features 为空），没有可导入的数据，请重新导出。"),
    ([{"type": "Feature"}], "文件 bad.geojson 不是 GeoJSON 要素集合（缺少 features），请导出为 FeatureCollection。"),
])
def test_malformed_geojson_is_a_clear_error(tmp_path, document, message):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == message


def test_geojson_nested_property_values_are_json_text(tmp_path):
    path = tmp_path / "nested.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"网格编号": "A", "标签": ["老旧小区", "沿街"]}, "geometry": None}]},
        ensure_ascii=False), encoding="utf-8")
    assert column(read_export(path), "标签") == ['["老旧小区", "沿街"]']


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(LoadError) as err:
        read_export(tmp_path)
    assert str(err.value) == f"{tmp_path} 是文件夹，不是文件：请给出要导入的文件，如 {tmp_path / '工单.csv'}（可以一次给多个文件）。"


NO_ROWS_HELP = "请确认导出时选择的范围内有数据，重新导出后再导入。"


@pytest.mark.parametrize(("lines", "header_row"), [
    ([TICKET_HEADER], 1),
    (["XX区12345工单明细表", "导出时间：2025-10-31 23:59", TICKET_HEADER, "", ",,,,,,,", "合计：0条"], 3),
])
def test_header_without_rows_is_refused(tmp_path, lines, header_row):
    path = write_lines(tmp_path / "header_only.csv", lines)
    for stream in (False, True):
        with pytest.raises(LoadError) as err:
            read_export(path, stream=stream)
        assert str(err.value) == f"文件 header_only.csv 只有表头（第 {header_row} 行），没有数据行。" + NO_ROWS_HELP


def test_xlsx_header_without_rows_is_refused(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "工单"
    sheet.append(TICKET_HEADER.split(","))
    for row in range(2, 50):
        sheet.cell(row, 2, " ")        # cells that look filled but hold only spaces
    path = tmp_path / "header_only.xlsx"
    workbook.save(path)
    with pytest.raises(LoadError) as err:
        read_export(path)
    assert str(err.value) == "文件 header_only.xlsx 的工作表“工单”只有表头（第 1 行），没有数据行。" + NO_ROWS_HELP


def test_trailing_blank_rows_are_not_rows(tmp_path):
    """Rows with every cell empty (",,,," or nothing) are left out by the reader, so the count of rows
    read is the count of rows with data; every row keeps its own number."""
    lines = [TICKET_HEADER, *ticket_rows(2), "", ",,,,,,,", *ticket_rows(1, 3), *([",,,,,,,"] * 300), *([""] * 200)]
    path = write_lines(tmp_path / "trailing.csv", lines)
    whole = read_export(path)
    raw, rows = _streamed(path)
    assert rows == whole.table.to_pylist()
    assert [(r["c0"], r["row_no"]) for r in rows] == [("T000001", 2), ("T000002", 3), ("T000003", 6)]

    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(TICKET_HEADER.split(","))
    workbook.active.append(ticket_rows(1)[0].split(","))
    for row in range(3, 300):
        workbook.active.cell(row, 1).number_format = "@"
        workbook.active.cell(row, 2, " ")
    workbook.save(tmp_path / "trailing.xlsx")
    assert read_export(tmp_path / "trailing.xlsx").table.column("row_no").to_pylist() == [2]


def test_grid_areas_are_square_metres_on_the_ellipsoid():
    from shapely.geometry import Polygon, box

    from etl.geo import area_m2

    # Integrated apart (midpoint rule over M(φ)·N(φ)·cos φ of WGS84): 0.01° × 0.01° at 25.48° N and at the equator.
    assert area_m2(box(103.78, 25.48, 103.79, 25.49)) == pytest.approx(1_113_896.78, abs=0.01)
    assert area_m2(box(0, 0, 0.01, 0.01)) == pytest.approx(1_230_907.20, abs=0.01)
    bow_tie = Polygon([(103.78, 25.48), (103.79, 25.49), (103.79, 25.48), (103.78, 25.49)])
    assert area_m2(bow_tie) == 0   # as drawn: its two loops cancel, as in GIS software


@pytest.mark.parametrize(("ring", "message"), [
    ([(25.00, 102.70), (25.00, 102.71), (25.01, 102.71), (25.00, 102.70)], "经度和纬度写反了"),
    ([(11432000, 2870000), (11433000, 2870000), (11433000, 2871000), (11432000, 2870000)], "网格边界是投影坐标"),
])
def test_grid_shapes_off_the_map_say_why(ring, message):
    from etl.geo import parse_geometry

    with pytest.raises(ValueError, match=message):
        parse_geometry(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    lon_lat = [(y, x) for x, y in ring]
    if message == "经度和纬度写反了":   # the same ring the right way round is a shape in Yunnan
        assert parse_geometry(json.dumps({"type": "Polygon", "coordinates": [lon_lat]})).bounds[0] == 102.70
