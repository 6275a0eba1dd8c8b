"""Readers: one export file in, a table of text cells out, with the header row found and line numbers kept.

Every reader returns a :class:`RawTable` whose cells are all strings (or null), so phone, ID and
ticket numbers never become floats. Dates stay text here; staging parses them in SQL.
"""

from __future__ import annotations

import copy
import csv
import functools
import gc
import html
import io
import json
import math
import posixpath
import re
import zipfile
import zlib
from itertools import islice, zip_longest
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from collections.abc import Mapping
from typing import Callable, Iterator, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from etl.errors import LoadError
from etl.fields import header_score, looks_like_export
from onescreen import settings

SAMPLE_BYTES = 1 << 20
HEADER_SEARCH_ROWS = 30
TOTALS_PATTERN = re.compile(r"^\s*(合计|总计|共计|小计|总数|总条数|共\s*\d[\d,]*\s*(条|件|行|项|笔))")
# Zip bomb limits of an XLSX, checked part by part (a sheet, sharedStrings.xml ...), so stored random
# padding beside a bomb cannot bring the average down. Measured: real and generated exports' sheets
# expand 3-9x (demo events.xlsx 5.9x, inspections.xlsx 9.1x, the 200,000-row bench export 5.8x); a
# sheet of 100,000 rows x 15 cells of one same text, 27x; a 300 MB bomb sheet, 242x.
MAX_XLSX_RATIO = 100
XLSX_RATIO_FLOOR = 1 << 20    # a part smaller than this expanded is harmless, whatever its ratio
# All parts expanded together, as a multiple of the upload limit: 500 MB at the default 50 MB. The
# 200,000-row bench export (43.7 MB) expands to 253 MB; reading 300 MB of a bomb's tiny cells took 3.2 GB.
XLSX_EXPANSION_LIMIT = 10
# The most characters one CSV cell may hold: Python's csv limit (which reads the header sample).
# Excel and WPS keep at most 32,767 per cell, so a longer one is an unclosed quote or pasted junk.
CELL_LIMIT = 131_072
_NO_ROWS_HELP = "请确认导出时选择的范围内有数据，重新导出后再导入。"
# What each error value Excel writes in a cell means (its formula failed), for the messages.
EXCEL_ERRORS = {
    "#DIV/0!": "除数为 0", "#N/A": "要查找的值不存在", "#VALUE!": "参数或数据类型不对",
    "#REF!": "引用的单元格已被删除", "#NAME?": "公式中有无法识别的名称", "#NUM!": "数值无效或超出范围",
    "#NULL!": "引用的区域没有交集", "#SPILL!": "动态数组的结果区域被挡住", "#CALC!": "计算出错",
    "#GETTING_DATA": "数据尚未取回",
}
_UNCLOSED_QUOTE_HELP = ("请检查该单元格中的英文双引号 \"：删掉它、改成中文引号“”，或写成两个英文双引号 \"\"，"
                        "然后重新导入；数据仓库未改动。")


class ErrorCell(NamedTuple):
    """A cell Excel stored as an error value (``<c r="F12" t="e"><v>#N/A</v></c>``): its sheet row
    (1-based, as Excel shows it), column (0-based) and value. Both XLSX readers read it as blank.
    Row and column are None for one whose place could not be read (:class:`_ErrorCellFinder`)."""

    row: int | None
    column: int | None
    value: str


class MergedRange(NamedTuple):
    """A sheet's merged range (``<mergeCell ref="P3:P6"/>``): its first and last row (1-based, as Excel
    shows them) and column (0-based), as in :class:`ErrorCell`. Both XLSX readers read its value in its
    first cell only (:func:`_fill_merged_down` fills it down the rows)."""

    first_row: int
    first_column: int
    last_row: int
    last_column: int


@dataclass
class RawTable:
    """An export as read: text cells in columns ``c0..cN``, the header texts, and where each row was."""

    path: Path
    headers: list[str]
    table: pa.Table                      # columns c0..cN (string) plus row_no (int64, spreadsheet row)
    file_format: str                     # csv | xlsx | geojson
    encoding: str | None = None
    sheet_name: str | None = None
    header_row: int = 1                  # 1-based row of the header in the file
    delimiter: str = ","                 # a CSV's: "," or a tab (Excel's 文本文件(制表符分隔))
    dropped_rows: list[str] = field(default_factory=list)   # totals / notes rows left out, as text
    bad_rows: list[tuple[int | None, str]] = field(default_factory=list)  # rows with the wrong column count
    # A CSV read with ``stream=True``: its rows on demand, once (``table`` is then empty, with the
    # columns), and ``dropped_rows``/``bad_rows`` filled as they are read. A large export is never
    # held whole in memory: staging copies it batch by batch.
    stream: Callable[[], pa.RecordBatchReader] | None = None
    # Why ``stream`` stopped (an unclosed quote, bytes of another encoding ... found past the sample):
    # set before the stream raises, so the reader of the stream can raise this instead of the error
    # it sees (DuckDB wraps it in its own).
    failure: LoadError | None = None
    notes: list[str] = field(default_factory=list)   # what the user should know about how it was read
    # An XLSX workbook's other visible sheets that hold rows of data below a header: name -> rows
    # (:func:`other_data_sheets`). Only the sheet read is loaded; the load says what the others hold.
    other_sheets: dict[str, int] = field(default_factory=dict)
    # An XLSX sheet's error cells (#N/A ...) below the header and within its columns, read as blank:
    # staging makes those in used columns bad cells of their rows (:func:`etl.staging.stage`).
    error_cells: list[ErrorCell] = field(default_factory=list)
    # When the export was made, as its title rows state it (导出时间：2025-10-13 08:30): which of two exports of
    # a ticket at the same progress is the later one (etl.load_tickets.write_tickets). None when not stated.
    exported_at: datetime | None = None


def read_export(path: Path, sheet: str | None = None, stream: bool = False) -> RawTable:
    """Read one export by its content (not its name): XLSX, GeoJSON, or CSV in UTF-8/GBK/GB18030.

    ``stream=True``: a CSV's rows are left in the file until staging reads them (:attr:`RawTable.stream`)."""
    path = Path(path)
    if not path.exists():
        raise LoadError(f"找不到文件 {path}，请检查路径。")
    if path.is_dir():
        raise LoadError(f"{path} 是文件夹，不是文件：请给出要导入的文件，如 {path / '工单.csv'}（可以一次给多个文件）。")
    try:
        with path.open("rb") as handle:
            head = handle.read(_MARKUP_SAMPLE)
    except OSError as exc:
        reason = "没有读取权限" if isinstance(exc, PermissionError) else (exc.strerror or type(exc).__name__)
        raise LoadError(f"无法读取文件 {path}（{reason}），请检查文件和权限后重试。") from None
    if _is_shapefile(path, head):
        raise LoadError(shapefile_message(path.name))
    if head.startswith(b"PK\x03\x04"):
        return read_xlsx(path, sheet)
    if head[:3] == b"\xd0\xcf\x11":
        if _is_encrypted_ooxml(path):
            raise LoadError(f"文件 {path.name} 设有打开密码，无法读取：请在 Excel 中打开，去掉密码（文件→信息→保护工作簿→"
                            f"用密码进行加密，清空密码后确定）并另存为 .xlsx，再导入。")
        raise LoadError(f"文件 {path.name} 是旧版 Excel（.xls）格式，请在 Excel 中另存为 .xlsx 或 CSV 后再导入。")
    if (markup := _markup_kind(head)) is not None:
        raise _markup_error(path, markup)
    if sheet:
        raise LoadError(f"文件 {path.name} 不是 XLSX 工作簿，不能指定 --sheet。")
    encoding = detect_encoding(path)
    if _looks_like_geojson(path, encoding):
        return read_geojson(path, encoding)
    return read_csv(path, encoding, stream)


# Bytes looked at for a web page or XML spreadsheet: an Excel 2003 XML file names its namespace in its third line.
_MARKUP_SAMPLE = 4096
_HTML_STARTS = ("<html", "<!doctype html", "<table", "<head", "<body", "<meta")
_SPREADSHEET_NAMESPACE = "urn:schemas-microsoft-com:office:spreadsheet"
_MARKUP_LABELS = {"html": "网页（HTML）", "xml": "XML 表格（Excel 2003 XML 格式）"}


def _markup_kind(head: bytes) -> str | None:
    """``"html"`` when the file's first bytes (after a BOM and blanks) open a web page or an HTML table,
    ``"xml"`` when they open an Excel 2003 XML spreadsheet (SpreadsheetML), else None. Web systems' "导出Excel"
    writes either under an .xls name; read as a CSV, its "header" was a line of markup. The tags are
    ASCII in UTF-8 and GBK alike, so the bytes are compared as Latin-1."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    text = text.lstrip("\ufeff \t\r\n").lower()
    if text.startswith(_HTML_STARTS) or (text.startswith("<?xml") and "<html" in text):
        return "html"
    if text.startswith("<?xml") and _SPREADSHEET_NAMESPACE in text:
        return "xml"
    return None


def _markup_error(path: Path, kind: str) -> LoadError:
    """A web page or XML spreadsheet saved under a spreadsheet's name: what it is, and to save it as .xlsx in Excel/WPS."""
    suffix = path.suffix.lower()
    named = f"以 {path.suffix} 为扩展名保存的" if suffix and suffix not in (".htm", ".html", ".xml") else ""
    label = _MARKUP_LABELS[kind]
    what = f"{named} {label}" if named and label[0].isascii() else f"{named}{label}"   # 保存的 XML 表格, a space before Latin
    return LoadError(f"文件 {path.name} 不是 Excel 工作簿，而是{what}，多见于网页系统的“导出Excel”。"
                     "本次导入未写入任何数据。请用 Excel 或 WPS 打开该文件，另存为 .xlsx（Excel 工作簿）或 CSV，再导入另存的文件。")


def _is_encrypted_ooxml(path: Path) -> bool:
    """Whether the OLE compound file ``path`` is a password-protected workbook: Excel saves an encrypted
    .xlsx as an OLE file holding the streams ``EncryptionInfo`` and ``EncryptedPackage`` (MS-OFFCRYPTO),
    which an old .xls never has. Their names are in the OLE directory as UTF-16LE; rather than follow
    the directory's sector chain, the first 64 KB (where writers put the directory of a small file) and
    4 KB from the directory's first sector (its place is in the header; Excel may put it behind the
    encrypted stream) are searched for the name: a false positive would need an .xls quoting the name."""
    name = "EncryptedPackage".encode("utf-16-le")
    with path.open("rb") as handle:
        start = handle.read(1 << 16)
        if name in start:
            return True
        if len(start) < 0x34:
            return False
        sector = 1 << int.from_bytes(start[0x1E:0x20], "little")
        first = int.from_bytes(start[0x30:0x34], "little")
        if sector not in (512, 4096) or first >= 0xFFFFFFFA:   # not a sane header, or no directory
            return False
        handle.seek((first + 1) * sector)
        return name in handle.read(4096)


# What to do with grid boundaries that are not GeoJSON in longitude/latitude (a shapefile, projected metres).
TO_GEOJSON_WGS84 = ("请把网格边界导出为 WGS84 经纬度（EPSG:4326）的 GeoJSON 再导入：在 QGIS 中右键图层 → 导出 → 要素另存为，"
                    "格式选 GeoJSON，坐标参考系（CRS）选 EPSG:4326 - WGS 84；或用命令 "
                    "ogr2ogr -f GeoJSON -t_srs EPSG:4326 grids.geojson grids.shp（源文件为投影坐标的 GeoJSON 时把 grids.shp 换成它）。")
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".sbn", ".sbx", ".qix")
_SHP_MAGIC = b"\x00\x00\x27\x0a"  # the file code 9994 (big-endian) that opens every .shp and .shx


def shapefile_message(name: str) -> str:
    """The refusal of a shapefile (or a part of one, or a zip holding one): it says how to export GeoJSON in WGS84."""
    return f"文件 {name} 是 Shapefile（.shp/.shx/.dbf/.prj 或装有它们的压缩包），本程序不读取 Shapefile：{TO_GEOJSON_WGS84}"


def _is_shapefile(path: Path, head: bytes) -> bool:
    """A shapefile's part by its name or its .shp/.shx file code, or a zip whose members are named as one (a zip
    without xl/workbook.xml would otherwise be called a broken workbook)."""
    if path.suffix.lower() in SHAPEFILE_PARTS or head.startswith(_SHP_MAGIC):
        return True
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n.lower() for n in archive.namelist()]
    except (zipfile.BadZipFile, OSError):
        return False
    return "xl/workbook.xml" not in names and any(n.endswith((".shp", ".shx", ".dbf")) for n in names)


def detect_encoding(path: Path) -> str:
    """BOM, then strict UTF-8, then strict GB18030 on the first megabyte; never a lossy fallback.

    GB18030 decodes almost any bytes (Big5 among them) into some characters: a sample whose Chinese
    is mostly outside the common simplified set (GB2312) is refused as not recognised."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError(f"文件 {path.name} 是 UTF-16 编码，请另存为 UTF-8 或 GBK 编码的 CSV 后再导入。")
    if b"\x00" in sample:
        raise LoadError(f"文件 {path.name} 不是文本文件，也不是 XLSX 工作簿，请确认导出的是 CSV 或 XLSX。")
    truncated = len(sample) == SAMPLE_BYTES
    for encoding in ("utf-8", "gb18030"):
        text = _decoded(sample, encoding, truncated)
        if text is None:
            continue
        if encoding == "gb18030" and _misdecoded(text):
            raise LoadError(
                f"无法识别文件 {path.name} 的编码：按 GBK/GB18030 读出来是乱码（可能是繁体 Big5 或其他编码）。"
                f"请用 Excel/WPS 打开后另存为“CSV UTF-8”（或 GBK 编码的 CSV）再导入。"
            )
        return encoding
    raise LoadError(
        f"无法识别文件 {path.name} 的编码（既不是 UTF-8 也不是 GBK/GB18030），请用 Excel 另存为“CSV UTF-8”后再导入。"
    )


def _decoded(sample: bytes, encoding: str, truncated: bool) -> str | None:
    """``sample`` decoded strictly, or None. A sample cut in the middle of a multi-byte character may
    end with up to 3 stray bytes."""
    for cut in range(0, 4 if truncated else 1):
        try:
            return sample[: len(sample) - cut].decode(encoding, errors="strict")
        except UnicodeDecodeError:
            continue
    return None


def _misdecoded(text: str) -> bool:
    """Whether GB18030-decoded ``text`` looks like another encoding read as GB18030 (Big5 always
    decodes so): at least 10 of its characters, and more than a fifth of its non-ASCII ones, are
    two-byte GBK characters outside GB2312 (rare and traditional characters, user-defined area).
    GBK exports are written almost entirely in GB2312; four-byte GB18030 characters do not count."""
    wide = len(text) - len(text.encode("ascii", "ignore"))
    if wide < 10:
        return False
    missing = text.count("?")
    not_gb2312 = text.encode("gb2312", "replace").count(b"?") - missing
    not_gbk = text.encode("gbk", "replace").count(b"?") - missing       # four-byte and user-defined
    user_defined = len(_USER_DEFINED.findall(text))                      # two-byte, mapped to Unicode's private use
    outside = not_gb2312 - (not_gbk - user_defined)
    return outside >= 10 and outside * 5 > wide


_USER_DEFINED = re.compile("[\ue000-\uf8ff]")


def _looks_like_geojson(path: Path, encoding: str) -> bool:
    with path.open("r", encoding=encoding, errors="ignore") as handle:
        start = handle.read(2048).lstrip()
    return start.startswith(("{", "[")) and '"type"' in start


# A title row's export time: 导出时间：2025-10-13 08:30 (or 导出日期, 下载时间, 生成时间, 打印时间), to the minute. A date
# without a time orders nothing against a time of that day, so it is not taken.
_EXPORT_TIME = re.compile(r"(?:导出|下载|生成|打印)(?:时间|日期)\s*[:：]?\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                          r"\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})")


def title_export_time(rows: list[list[object]]) -> datetime | None:
    """The export time the title rows above a header state (``rows``: those rows' cells), or None."""
    for row in rows:
        # The cells of a row together: the time may be a cell of its own (an XLSX datetime) after the label.
        found = _EXPORT_TIME.search(" ".join(str(cell) for cell in row if cell is not None))
        if found:
            try:
                return datetime(*(int(part) for part in found.groups()))
            except ValueError:   # 2025-13-40: no time to order by
                return None
    return None


def find_header_row(rows: list[list[object]]) -> int:
    """Index of the row that looks most like a header (most known header names); first non-empty if none."""
    best, best_score = None, 1
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = header_score(row)
        if score > best_score:
            best, best_score = index, score
    if best is not None:
        return best
    for index, row in enumerate(rows):
        if sum(1 for cell in row if str(cell or "").strip()) >= 2:
            return index
    return 0


def read_csv(path: Path, encoding: str, stream: bool = False) -> RawTable:
    """CSV through pyarrow's multi-threaded reader, every column as text. Blank rows are left out;
    every row keeps the number the file gives it (``row_no``).

    ``stream=True``: the header is found now and the rows are read when :attr:`RawTable.stream` is
    (:func:`_csv_batches`): the same cells, row numbers and dropped or bad rows.

    Either way the rows are checked as they are read (:func:`_cell_error`, :func:`_bad_row_error`): a
    cell that swallowed the rows below it (a quote that opens and never closes), a cell longer than
    :data:`CELL_LIMIT`, bytes that stop decoding past the sampled start are each a LoadError naming
    the row and column."""
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        sample = handle.read(256 * 1024)
        complete = not handle.read(1)
    lines: list[list[str]] = []
    delimiter = _delimiter(sample)
    # newline="": lines end at \r, \n or \r\n, as pyarrow reads them (old Mac exports end lines with \r only).
    failure = _scan_records(iter(io.StringIO(sample, newline="")), keep=lines, delimiter=delimiter)
    if not lines and failure is None:
        raise LoadError(f"文件 {path.name} 是空的，没有可导入的数据。{_NO_ROWS_HELP}")
    header_index = find_header_row(lines) if lines else 0
    headers = [str(h).replace("\ufeff", "").strip(CELL_TRIM) for h in (lines[header_index] if lines else [])]
    while headers and not headers[-1]:
        headers.pop()
    if failure is not None:  # a record of the sample that Python's csv cannot read (a cell over its limit)
        source = _CsvSource(path, encoding, headers, header_index + 1, max(len(headers), 1), delimiter)
        raise _record_error(source, *failure)
    if not headers:
        raise LoadError(f"文件 {path.name} 中找不到表头行，请确认第一行或标题行下方是列名。")
    if complete and not any(_is_data_row(row) for row in lines[header_index + 1 :]):
        raise LoadError(f"文件 {path.name} 只有表头（第 {header_index + 1} 行），没有数据行。{_NO_ROWS_HELP}")
    # Excel saves every row as wide as its used range ("a,b,c,,"): read unnamed empty trailing
    # columns too when the data rows carry them, then drop them, rather than reject every row. Rows
    # of another width whose cells past the header are empty too are put back by _split_skipped.
    first_row = next((row for row in lines[header_index + 1 :] if any(cell.strip() for cell in row)), [])
    wide = len(first_row) > len(headers) and not any(cell.strip() for cell in first_row[len(headers) :])
    names = [f"c{i}" for i in range(len(first_row) if wide else len(headers))]
    source = _CsvSource(path, encoding, headers, header_index + 1, len(names), delimiter)
    width = len(headers)

    def options(use_threads: bool, bad: list[tuple[int | None, str]]) -> dict:
        def on_invalid(row):
            bad.append((row.number, row.text))
            return "skip"

        return dict(
            read_options=pacsv.ReadOptions(
                encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
                skip_rows=header_index + 1,
                column_names=names,
                use_threads=use_threads,
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid, newlines_in_values=True,
                                              ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True, quoted_strings_can_be_null=True
            ),
        )

    first_data_row = header_index + 2  # 1-based record number of the first data row
    if stream:
        schema = pa.schema([*((n, pa.string()) for n in names[:width]), ("row_no", pa.int64())])
        raw = RawTable(path, headers, schema.empty_table(), "csv", encoding=encoding, header_row=header_index + 1,
                       delimiter=delimiter, exported_at=title_export_time(lines[:header_index]))

        def reader() -> pa.RecordBatchReader:
            bad: list[tuple[int | None, str]] = []
            try:  # the first block is read (and decoded) here
                batches = pacsv.open_csv(path, **options(False, bad))
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                raw.failure = _read_failure(source, exc)
                raise raw.failure or exc from None
            return pa.RecordBatchReader.from_batches(schema, _csv_batches(raw, batches, bad, width, first_data_row, source))

        raw.stream = reader
        return raw

    def attempt(use_threads: bool):
        bad: list[tuple[int | None, str]] = []
        return pacsv.read_csv(path, **options(use_threads, bad)), bad

    try:
        table, bad = attempt(True)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        error = _read_failure(source, exc)
        if error is None:
            raise
        if isinstance(exc, pa.ArrowInvalid) and _UNDECODABLE.search(str(exc)):
            try:  # read again on one thread: only then does pyarrow's message name the row
                attempt(False)
            except pa.ArrowInvalid as again:
                error = _read_failure(source, again) or error
        raise error from None
    dropped, real_bad, padded = _split_skipped(bad, source)
    if real_bad or padded:
        # Row numbers of skipped rows are only known single-threaded; this is the rare path.
        table, bad = attempt(False)
        dropped, real_bad, padded = _split_skipped(bad, source)
    table = table.select(names[:width])
    row_no = np.arange(first_data_row, first_data_row + table.num_rows, dtype=np.int64)
    if real_bad or padded:
        row_no = np.array(_row_numbers_skipping(first_data_row, table.num_rows, [n for n, _ in bad if n]), np.int64)
    if padded:
        columns, row_no = _with_padded_rows(table.columns, row_no, padded)
        table = pa.table(dict(zip(names[:width], columns)))
    if error := _bad_row_error(source, real_bad) or _cell_error(source, table.columns, row_no):
        raise error
    table = _without_blank_rows(table.append_column("row_no", pa.array(row_no, pa.int64())), width)
    return RawTable(path, headers, table, "csv", encoding=encoding, header_row=header_index + 1, dropped_rows=dropped,
                    bad_rows=real_bad, delimiter=delimiter, exported_at=title_export_time(lines[:header_index]))


def _delimiter(sample: str) -> str:
    """``"\t"`` for a tab-separated export (Excel's 文本文件(制表符分隔), often saved as .txt), else ``","``:
    tabs when some line among the first rows splits on tabs into more known header names than any
    line splits on commas (a title line above the header has neither); with no known names either way,
    when the first non-blank line has tabs and no commas."""
    if "\t" not in sample:
        return ","
    head = sample.splitlines()[:HEADER_SEARCH_ROWS]
    tabs, commas = (max((header_score(line.split(d)) for line in head), default=0) for d in ("\t", ","))
    if tabs == commas:
        first = next((line for line in head if line.strip()), "")
        return "\t" if "\t" in first and "," not in first else ","
    return "\t" if tabs > commas else ","


def _is_data_row(row: list[str]) -> bool:
    """Whether a row of the sample holds data: not blank, not a totals or notes row (``合计：0条``)."""
    filled = [cell for cell in row if cell.strip()]
    return bool(filled) and not (len(filled) <= 2 and TOTALS_PATTERN.match(filled[0]))


def _without_blank_rows(data, width: int):
    """``data`` (a table or record batch) without the rows whose first ``width`` cells are all empty."""
    if any(column.null_count == 0 for column in data.columns[:width]):
        return data  # the usual case, at no cost: a column without an empty cell (the ticket number)
    filled = None
    for column in data.columns[:width]:
        valid = pc.is_valid(column)
        filled = valid if filled is None else pc.or_(filled, valid)
    if filled is None or pc.all(filled).as_py():
        return data
    return data.filter(filled)


@dataclass(frozen=True)
class _CsvSource:
    """What the checks of a CSV being read need: where it is, its header and how wide a row is."""

    path: Path
    encoding: str
    headers: list[str]
    header_row: int          # 1-based record number of the header
    fields: int              # cells in a data row, so ``fields - 1`` delimiters in a whole physical row
    delimiter: str = ","

    def where(self, row: int | None, index: int | None = None) -> str:
        """``文件 x.csv 第 12 行「诉求内容」列`` (or ``第 3 列`` where the header has no name for it)."""
        text = f"文件 {self.path.name} " + (f"第 {row} 行" if row else "某一行")
        if index is None:
            return text
        if row and row > self.header_row and index < len(self.headers) and self.headers[index]:
            return f"{text}「{self.headers[index]}」列"
        return f"{text}第 {index + 1} 列"

    @property
    def row_like(self) -> int:
        """Delimiters that make a line inside a cell look like a whole row of the file: three quarters
        of a row's (a line of a legitimate multi-line cell, an address or a remark, has few or none);
        in a narrow file (under 8 columns) all of a row's, since a remark's line "1,路灯不亮,晚上很黑"
        has as many commas as three quarters of a 4-column row."""
        if self.fields < 8:
            return max(2, self.fields - 1)
        return (self.fields - 1) * 3 // 4


def _unclosed_quote_error(source: _CsvSource, row: int | None, index: int | None, rows: int,
                          at_least: bool = False) -> LoadError:
    """``rows``: lines of the cell that look like whole rows (``at_least``: of the part that was read)."""
    swallowed = (f"，其后{'至少' if at_least else ''} {rows:,} 行数据被并进了这一格" if rows
                 else "，文件其后的内容都被并进了这一格")
    return LoadError(f"{source.where(row, index)}引号未闭合：这一格以英文双引号 \" 开头，却没有配对的结束引号{swallowed}。"
                     + _UNCLOSED_QUOTE_HELP)


def _long_cell_error(source: _CsvSource, row: int | None, index: int | None, quoted: bool | None) -> LoadError:
    cause = {True: "这一格以英文双引号 \" 开头，多半是结束引号缺失或放错了位置，把后面的内容并进了这一格",
             False: "多半是误粘贴了大段内容，或文件已损坏",
             None: "多半是英文双引号 \" 未闭合，把后面的内容并进了这一格，或误粘贴了大段内容"}[quoted]
    return LoadError(f"{source.where(row, index)}的内容超过单元格上限 {CELL_LIMIT:,} 个字符（Excel 一格最多 32,767 个字符），"
                     f"{cause}。请检查该单元格后重新导入；数据仓库未改动。")


def _encoding_label(encoding: str) -> str:
    return "UTF-8" if encoding.startswith("utf-8") else "GBK/GB18030" if encoding == "gb18030" else encoding.upper()


def _mixed_encoding_error(path: Path, encoding: str, where: str, found: str | None = None) -> LoadError:
    """``where`` has bytes that are not ``encoding`` (the file's start is); ``found``: what they are, if known."""
    label = _encoding_label(encoding)
    here = f"这一行却是 {found}" if found else "这里却不是"
    return LoadError(
        f"{where}有无法按 {label} 读取的字节：文件前面是 {label} 编码，{here}"
        f"（混用了两种编码，或文件已损坏）。请用 Excel/WPS 打开后另存为“CSV UTF-8”再导入；数据仓库未改动。"
    )


_UNDECODABLE = re.compile(r"CSV column #(\d+):(?: Row #(\d+):)? CSV conversion error to string: invalid UTF8")


def undecodable_error(path: Path, encoding: str, headers: list[str], message: str) -> LoadError | None:
    """The Chinese error for a CSV whose bytes past the sampled start do not decode in ``encoding``
    (pyarrow's message ``message`` names the column and record), or None for any other message."""
    found = _UNDECODABLE.search(message)
    if found is None:
        return None
    column = int(found.group(1))
    row = f"第 {found.group(2)} 行" if found.group(2) else "某一行"
    name = headers[column] if column < len(headers) else f"第 {column + 1} 列"
    return _mixed_encoding_error(path, encoding, f"文件 {path.name} {row}「{name}」列")


def _read_failure(source: _CsvSource, exc: Exception) -> LoadError | None:
    """The Chinese error for pyarrow failing to read the CSV (``exc``), or None if it is not one we know:
    bytes that do not decode, or a row longer than pyarrow's read block (a cell over the limit)."""
    message = str(exc)
    if isinstance(exc, UnicodeDecodeError):  # GB18030 is decoded by Python's codec, as pyarrow reads
        return _scan_error(source) or _mixed_encoding_error(source.path, source.encoding, source.where(None))
    if _UNDECODABLE.search(message):
        return undecodable_error(source.path, source.encoding, source.headers, message)
    if "straddl" in message:  # "straddling object straddles two block boundaries": a row over 1 MB
        return _scan_error(source) or LoadError(
            f"文件 {source.path.name} 中有一行超过 1 MB，无法读取：多半是英文双引号 \" 未闭合，把后面的行都并进了这一行。"
            f"请检查文件中的英文双引号后重新导入；数据仓库未改动。")
    if message.startswith("CSV"):  # another parse error of pyarrow's: the file's, not ours
        return LoadError(f"文件 {source.path.name} 无法按 CSV 格式读取（{message}），"
                         f"请用 Excel/WPS 打开后另存为 CSV 再导入；数据仓库未改动。")
    return None


def _csv_batches(raw: RawTable, batches: Iterator[pa.RecordBatch], bad: list[tuple[int | None, str]], width: int,
                 first: int, source: _CsvSource) -> Iterator[pa.RecordBatch]:
    """The batches of a streamed CSV (read single-threaded, so a skipped row's number is known) with
    ``row_no``: record numbers from ``first``, past the rows skipped as totals or bad; blank rows left
    out. Once read, ``raw.dropped_rows`` and ``raw.bad_rows`` are as :func:`read_csv` gives them.

    A batch that fails the checks of :func:`read_csv` (or cannot be read) sets ``raw.failure`` and
    raises it: the reader of the stream (DuckDB) wraps what it sees in an error of its own."""
    skipped: list[int] = []       # numbers of skipped rows at or after ``current``, ascending
    current, seen = first, 0
    iterator = iter(batches)
    while True:
        try:
            batch = next(iterator)
        except StopIteration:
            break
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raw.failure = _read_failure(source, exc)
            if raw.failure is None:
                raise
            raise raw.failure from None
        # The handler has seen every skipped row up to this batch's last row before the batch comes.
        fresh = bad[seen:]
        skipped = [n for n in skipped if n >= current] + [n for n, _ in fresh if n is not None and n >= current]
        seen = len(bad)
        count = batch.num_rows
        end = current + count
        while (inside := sum(1 for n in skipped if n < end)) != end - current - count:
            end = current + count + inside
        numbers = np.arange(current, end, dtype=np.int64)
        if end - current != count:
            numbers = numbers[~np.isin(numbers, skipped)]
        current = end
        columns = batch.columns[:width]
        _, fresh_bad, padded = _split_skipped(fresh, source)
        if padded:
            columns, numbers = _with_padded_rows(columns, numbers, padded)
        if error := _bad_row_error(source, fresh_bad) or _cell_error(source, columns, numbers):
            raw.failure = error
            raise error
        out = pa.RecordBatch.from_arrays([*columns, pa.array(numbers, pa.int64())],
                                         names=[*batch.schema.names[:width], "row_no"])
        yield _without_blank_rows(out, width)
    raw.dropped_rows, raw.bad_rows, _ = _split_skipped(bad, source)


def _split_skipped(bad: list[tuple[int | None, str]], source: _CsvSource
                   ) -> tuple[list[str], list[tuple[int | None, str]], list[tuple[int | None, list[str]]]]:
    """The rows pyarrow skipped (wrong number of cells), split into totals rows (``合计：123条``, left out
    and said: their text), really bad rows (number and text) and rows that only have empty cells past
    the header (Excel's used range, as wide on some rows only): number and their cells under the header."""
    dropped, real_bad, padded = [], [], []
    width = len(source.headers)
    for number, text in bad:
        if TOTALS_PATTERN.match(text.replace('"', "")):
            dropped.append(text)
            continue
        cells = next(csv.reader(io.StringIO(text, newline=""), delimiter=source.delimiter), [])
        if len(cells) >= width and not any(cell.strip() for cell in cells[width:]):
            padded.append((number, cells[:width]))
        else:
            real_bad.append((number, text))
    return dropped, real_bad, padded


def _with_padded_rows(columns: list, row_no: np.ndarray, padded: list[tuple[int | None, list[str]]]
                      ) -> tuple[list[pa.Array], np.ndarray]:
    """``columns`` (text arrays, chunked or not) and their ``row_no`` with the ``padded`` rows of
    :func:`_split_skipped` put in at their numbers; an empty cell is null, as pyarrow reads it."""
    numbers = np.concatenate([row_no, np.array([n for n, _ in padded], np.int64)])
    order = pa.array(np.argsort(numbers, kind="stable"))
    merged = []
    for index, column in enumerate(columns):
        chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
        extra = pa.array([cells[index] or None for _, cells in padded], pa.string())
        merged.append(pc.take(pa.concat_arrays([*chunks, extra]), order))
    return merged, numbers[order]


def _row_numbers_skipping(first: int, count: int, skipped: list[int]) -> list[int]:
    skipped_set = set(skipped)
    numbers, current = [], first
    while len(numbers) < count:
        if current not in skipped_set:
            numbers.append(current)
        current += 1
    return numbers


# -- checks on the cells as read ------------------------------------------------------------------

_LINE_BREAK = "\r\n?|\n"
# A cell that is a geometry (GeoJSON or WKT, perhaps pretty-printed over several lines): its lines
# are full of commas without being rows.
_GEOMETRY_START = r"(?i)^\s*(\{|\[|(multi)?polygon)"


def _cell_error(source: _CsvSource, columns: list, row_no: np.ndarray) -> LoadError | None:
    """The error for the first row (of ``row_no``) whose cells in ``columns`` (text arrays, chunked or
    not) swallowed whole rows below them or are over :data:`CELL_LIMIT`; None if there is none.

    Cheap when there is none (the 1M-row read is benchmarked): :func:`_column_shape` reads only the
    buffers, and a column is looked at cell by cell only if it has a cell with a line break."""
    found: list[tuple[int, int, LoadError]] = []
    for index, column in enumerate(columns):
        breaks, longest = _column_shape(column)
        if breaks and (swallow := _swallowing_cell(column, source.row_like, source.delimiter)) is not None:
            at, rows = swallow
            row = int(row_no[at])
            found.append((row, index, _unclosed_quote_error(source, row, index, rows)))
        if longest > CELL_LIMIT:  # bytes; the limit is in characters
            lengths = pc.fill_null(pc.utf8_length(column), 0).to_numpy(zero_copy_only=False)
            over = np.flatnonzero(lengths > CELL_LIMIT)
            if over.size:
                row = int(row_no[over[0]])
                found.append((row, index, _long_cell_error(source, row, index, None)))
    return min(found, key=lambda item: item[:2])[2] if found else None


def _column_shape(column) -> tuple[bool, int]:
    """(whether a cell of ``column`` holds a line break, the most bytes in a cell) for a text array,
    chunked or not: from its offsets and a byte search over its data, no work per cell."""
    breaks, longest = False, 0
    for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else (column,):
        size = len(chunk)
        if not size or chunk.null_count == size:
            continue
        _, offsets, data = chunk.buffers()
        bounds = np.frombuffer(offsets, np.int32, size + 1, 4 * chunk.offset)
        start, end = int(bounds[0]), int(bounds[-1])
        if end - start > max(longest, CELL_LIMIT):  # else no cell can be longer
            longest = max(longest, int(np.diff(bounds).max()))
        if not breaks and data is not None:
            blob = data[start:end].to_pybytes()
            breaks = b"\n" in blob or b"\r" in blob
    return breaks, longest


def _swallowing_cell(column, row_like: int, delimiter: str = ",") -> tuple[int, int] | None:
    """(index in ``column``, rows) of the first cell with a line break followed by lines that look like
    whole rows (``row_like`` delimiters or more), and how many such lines it holds; None if none does."""
    breaks = pc.fill_null(pc.match_substring_regex(column, "[\r\n]"), False)
    where = np.flatnonzero(breaks.to_numpy(zero_copy_only=False))
    if not where.size:
        return None
    cells = pc.take(column, pa.array(where, pa.int64()))
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    geometry = pc.fill_null(pc.match_substring_regex(cells, _GEOMETRY_START), False).to_numpy(zero_copy_only=False)
    lines = pc.split_pattern_regex(cells, _LINE_BREAK)
    delimiters = pc.count_substring(pc.list_flatten(lines), delimiter).to_numpy(zero_copy_only=False).copy()
    delimiters[lines.offsets.to_numpy()[:-1]] = -1    # a cell's first line is the cell's own text
    parents = pc.list_parent_indices(lines).to_numpy(zero_copy_only=False)
    rows = (delimiters >= row_like) & ~geometry[parents]
    if not rows.any():
        return None
    first = parents[int(np.argmax(rows))]
    return int(where[first]), int(rows[parents == first].sum())


def _row_like_lines(cell: str, row_like: int, delimiter: str = ",") -> int:
    """How many lines of ``cell`` after its first look like whole rows (``row_like`` delimiters or more)."""
    if re.match(_GEOMETRY_START, cell):
        return 0
    return sum(1 for line in re.split(_LINE_BREAK, cell)[1:] if line.count(delimiter) >= row_like)


def _bad_row_error(source: _CsvSource, bad: list[tuple[int | None, str]]) -> LoadError | None:
    """The error for the first of ``bad`` (rows pyarrow skipped: wrong number of cells, as the file has
    them) that is an unclosed quote: a quoted cell holding lines that look like whole rows."""
    for number, text in bad:
        if "\n" not in text and "\r" not in text:
            continue
        for index, (cell, quoted, _) in enumerate(_split_cells(text, source.delimiter)):
            if quoted and (rows := _row_like_lines(cell, source.row_like, source.delimiter)):
                return _unclosed_quote_error(source, number, index, rows)
    return None


def _split_cells(text: str, delimiter: str = ",") -> list[tuple[str, bool, bool]]:
    """The cells of the record ``text`` starts with, split as pyarrow and Python's csv split them:
    (text, quoted, closed). A quote opens a cell only as its first character; a quoted cell runs to
    its closing quote (``""`` inside is one quote) or, unclosed, to the end of ``text``."""
    cells: list[tuple[str, bool, bool]] = []
    pos, size = 0, len(text)

    def stop(start: int) -> int:  # the end of an unquoted run: a delimiter, a line break, the end
        ends = [i for i in (text.find(delimiter, start), text.find("\n", start), text.find("\r", start)) if i >= 0]
        return min(ends, default=size)

    while True:
        if text.startswith('"', pos):
            end = pos + 1
            while (close := text.find('"', end)) >= 0 and text.startswith('"', close + 1):
                end = close + 2
            if close < 0:
                cells.append((text[pos + 1 :].replace('""', '"'), True, False))
                return cells
            after = stop(close + 1)
            cells.append((text[pos + 1 : close].replace('""', '"') + text[close + 1 : after], True, True))
            pos = after
        else:
            after = stop(pos)
            cells.append((text[pos:after], False, True))
            pos = after
        if pos >= size or text[pos] != delimiter:
            return cells
        pos += 1


# -- the slow, exact path: finding the record behind a failure ---------------------------------------

class _Undecodable(Exception):
    """A line that does not decode: ``text`` as decoded with replacement characters, ``utf8`` whether
    its bytes are UTF-8 (a UTF-8 row in a GBK file)."""

    def __init__(self, text: str, utf8: bool):
        super().__init__(text)
        self.text, self.utf8 = text, utf8


def _scan_records(lines: Iterator[str], keep: list[list[str]] | None = None,
                  delimiter: str = ",") -> tuple[str, int, str] | None:
    """Read ``lines`` record by record with Python's csv (appending the records to ``keep``); at the
    first record it cannot read, return (why, its 1-based record number, its text so far): why is
    ``oversized`` (a cell over :data:`CELL_LIMIT`), ``undecodable`` (``lines`` raised
    :class:`_Undecodable`; ``undecodable-utf8`` if that line is UTF-8) or ``unreadable``. None if
    every record reads."""
    pending: list[str] = []

    def feed() -> Iterator[str]:
        for line in lines:
            pending.append(line)
            yield line

    count = 0
    try:
        for record in csv.reader(feed(), delimiter=delimiter):
            count += 1
            pending.clear()
            if keep is not None:
                keep.append(record)
    except _Undecodable as stop:
        return "undecodable-utf8" if stop.utf8 else "undecodable", count + 1, "".join(pending) + stop.text
    except csv.Error as exc:
        return ("oversized" if "field limit" in str(exc) else "unreadable"), count + 1, "".join(pending)
    return None


def _decoded_lines(handle, encoding: str) -> Iterator[str]:
    """The lines of the binary ``handle`` decoded strictly; :class:`_Undecodable` at the first that is not.
    (A line break byte is never part of a multi-byte character in UTF-8 or GB18030.)"""
    codec = "utf-8" if encoding.startswith("utf-8") else encoding
    first = encoding == "utf-8-sig"
    for line in (part for chunk in handle for part in chunk.splitlines(keepends=True)):   # \r ends a line too
        if first:
            line, first = line.removeprefix(b"\xef\xbb\xbf"), False
        try:
            yield line.decode(codec)
        except UnicodeDecodeError:
            try:
                utf8 = codec != "utf-8" and bool(line.decode("utf-8"))
            except UnicodeDecodeError:
                utf8 = False
            raise _Undecodable(line.decode(codec, errors="replace"), utf8) from None


def _scan_error(source: _CsvSource) -> LoadError | None:
    """The error for the first record of the file that does not decode or has a cell over the limit,
    found by reading it again record by record (slow: only once a read has failed); None if none is."""
    with source.path.open("rb") as handle:
        failure = _scan_records(_decoded_lines(handle, source.encoding), delimiter=source.delimiter)
    return _record_error(source, *failure) if failure else None


def _record_error(source: _CsvSource, why: str, row: int, text: str) -> LoadError:
    """The error for record ``row`` (its text so far: ``text``) that :func:`_scan_records` could not read."""
    cells = _split_cells(text, source.delimiter)
    if why == "undecodable-utf8":  # the whole row is UTF-8: no one cell is to blame
        return _mixed_encoding_error(source.path, source.encoding, source.where(row), "UTF-8")
    if why == "undecodable":
        index = next((i for i, (cell, _, _) in enumerate(cells) if "\ufffd" in cell), None)
        return _mixed_encoding_error(source.path, source.encoding, source.where(row, index))
    if why == "oversized":
        index = next((i for i, (cell, quoted, closed) in enumerate(cells)
                      if len(cell) > CELL_LIMIT or (quoted and not closed)), len(cells) - 1)
        cell, quoted, closed = cells[index]
        rows = _row_like_lines(cell, source.row_like, source.delimiter) if quoted else 0
        if quoted and (rows or not closed):  # Python's csv stopped reading the cell at the limit
            return _unclosed_quote_error(source, row, index, rows, at_least=True)
        return _long_cell_error(source, row, index, quoted)
    return LoadError(f"{source.where(row)}无法按 CSV 格式读取（可能含有空字符或文件已损坏），"
                     f"请用 Excel/WPS 打开后另存为 CSV 再导入；数据仓库未改动。")


def max_xlsx_uncompressed() -> int:
    """The most bytes an XLSX may expand to: :data:`XLSX_EXPANSION_LIMIT` times the upload limit."""
    return XLSX_EXPANSION_LIMIT * settings.upload_limit_bytes()


def check_xlsx_container(path: Path) -> Mapping[str, tuple[ErrorCell, ...]]:
    """Refuse a file that is not a sane XLSX, before any reader opens it: not a zip, no workbook part,
    a part that expands more than :data:`MAX_XLSX_RATIO` times, parts that expand past
    :func:`max_xlsx_uncompressed` together, or a part that expands past the size the zip declares for it.

    The declared sizes are checked first; then every part is decompressed as a stream (nothing kept,
    at most its declared size plus one chunk; 2.3-2.6 s for the 253 MB bench sheet) to prove it is no larger than it
    says: the zip reader under calamine notices a false size only after expanding all of it. A file
    that passed is not decompressed again by this process (:func:`_check_expansion`).

    The XML inside is parsed by calamine (Rust, quick-xml), which expands no DTD entities: a workbook
    with entity declarations (billion laughs, external entities) is refused as an XmlError, never
    expanded (tests/test_readers.py). No Python XML parser touches uploads.

    Returns the error cells (#N/A ...) of each worksheet part that has any, found in the same pass
    (:class:`_ErrorCellFinder`): part name -> cells, made when asked for (:class:`_ErrorCellsByPart`);
    empty for the usual workbook without them. Its ``midnight_text`` says whether some part holds text
    such as "2025-10-17 00:00:00" (:func:`_midnight_text_in`), also found in that pass; its
    ``merged_ranges``, the merged ranges of each worksheet part that has any (:func:`_merges_after_rows`)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile:
        raise LoadError(f"文件 {path.name} 不是有效的 XLSX 工作簿（压缩包损坏），请重新导出。") from None
    if "xl/workbook.xml" not in {info.filename for info in infos}:
        raise LoadError(f"文件 {path.name} 不是 XLSX 工作簿（缺少 xl/workbook.xml），请确认导出的是 Excel 文件。")
    unsafe = f"为安全起见未读取。如果这是正常导出的文件，请按时间段分成几个较小的文件，或在 Excel 中另存为 CSV（UTF-8）后再导入。"
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > XLSX_RATIO_FLOOR and ratio > MAX_XLSX_RATIO:
            raise LoadError(f"文件 {path.name} 中的 {info.filename} 解压后是压缩时的 {ratio:.0f} 倍（工作表通常不到 "
                            f"{MAX_XLSX_RATIO} 倍），像是“压缩炸弹”，{unsafe}")
    uncompressed, limit = sum(info.file_size for info in infos), max_xlsx_uncompressed()
    if uncompressed > limit:
        raise LoadError(f"文件 {path.name} 解压后有 {_mb(uncompressed)} MB，超过上限 {_mb(limit)} MB，{unsafe}")
    stat = path.stat()
    return _ErrorCellsByPart(*_check_expansion(str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino))


def _mb(size: int) -> str:
    return f"{round(size / 1048576, 1):g}"


_CHUNK = 1 << 20


@functools.lru_cache(maxsize=256)
def _check_expansion(path: str, size: int, mtime_ns: int, inode: int
                     ) -> tuple[tuple[tuple[str, _StoredCells], ...], bool, tuple[tuple[str, np.ndarray], ...]]:
    """Decompress every part of the zip at ``path`` and refuse one that expands past its declared size;
    return the error cells of the worksheet parts that have any ((part name, cells), ...), kept small: the
    cache holds them as long as the process lives (up to 256 files); whether a part holds a midnight
    date-time as text (:func:`_midnight_text_in`); and the merged ranges of the worksheet parts that have
    any ((part name, ranges), ...: int32 rows of :class:`MergedRange`, 16 bytes a range).
    The file's size, time and inode are part of the key: a file replaced since is checked again (a
    refusal raises, so it is never remembered)."""
    name = Path(path).name
    found, midnight, merged = [], False, []
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                probe = copy.copy(info)
                # Let a part run past its declared size by up to a chunk, and stop it there before the CRC is
                # checked (at the end of what ``probe`` declares), so the refusal says what is wrong.
                probe.file_size = info.file_size + _CHUNK + 1
                expanded = 0
                # Worksheets only: a chart's cached values (<c:v>) or an external link's are no cells of a sheet.
                finder = _ErrorCellFinder() if _is_worksheet_part(info.filename) else None
                tail, before, last = b"", b"", b""
                with archive.open(probe) as part:
                    while chunk := part.read(_CHUNK):
                        before, last = last, chunk
                        midnight = midnight or _midnight_text_in(tail, chunk)
                        tail = chunk[-_MIDNIGHT_TAIL:]
                        expanded += len(chunk)
                        if expanded > info.file_size:
                            raise LoadError(f"文件 {name} 中的 {info.filename} 解压后比文件声明的大小（{info.file_size:,} 字节）"
                                            f"还大，文件已损坏或被改动过，为安全起见未读取。请重新导出后再导入。")
                        if finder is not None:
                            finder.feed(chunk)
                if finder is not None:
                    if cells := finder.close():
                        found.append((info.filename, _StoredCells.of(cells)))
                    ranges = _merges_after_rows(before, last, whole=expanded <= len(before) + len(last))
                    if ranges is None:   # more than a chunk follows the rows: the part is read again for them
                        with archive.open(info) as part:
                            ranges = _merges_streamed(part)
                    if len(ranges):
                        merged.append((info.filename, ranges))
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise LoadError(f"文件 {name} 不是有效的 XLSX 工作簿（压缩包损坏），请重新导出。") from None
    except (NotImplementedError, RuntimeError):   # another compression method, or an encrypted part
        raise LoadError(f"文件 {name} 使用了不支持的压缩方式或加密，无法读取：请在 Excel 中打开后另存为 .xlsx 再导入。") from None
    return tuple(found), midnight, tuple(merged)


# A merged range, <mergeCell ref="P3:P6"/> (<x:mergeCell …> in a document with a prefix). No "<" stands in a
# cell's text (XML escapes it), so the pattern matches nothing but the element, wherever it is searched.
_MERGE_CELL = re.compile(rb"<(?:[\w.-]+:)?mergeCell\s[^>]*?\bref\s*=\s*[\"']([A-Z]{1,3})([1-9][0-9]{0,6})"
                         rb":([A-Z]{1,3})([1-9][0-9]{0,6})[\"']")
_MERGE_TAIL = 1024     # bytes of a chunk kept for an element cut by its end (one is under 100)
_NO_MERGES = np.zeros((0, 4), np.int32)


def _merges_after_rows(before: bytes, last: bytes, whole: bool) -> np.ndarray | None:
    """The merged ranges of a worksheet part whose last two chunks are ``before`` and ``last`` (``whole``:
    the part is no more than these), or None when its rows (``<sheetData>``) end further back.

    The merges follow the rows (the schema's order), among a few small elements, so they are looked for
    from the end of the part: ``rfind`` stops at the end of the rows, a few hundred bytes back in the
    usual sheet. (Searching every chunk for them costs 2-5 ms a MB: a substring search does not run at
    memchr speed on these bytes, up to 1 s for the 253 MB bench sheet.) More than a chunk after the rows
    (tens of thousands of merges, or hyperlinks): None, and :func:`_merges_streamed` reads them."""
    window = before + last
    end = window.rfind(b"sheetData")
    if end < 0:
        return _NO_MERGES if whole else None
    return _merge_array(_MERGE_CELL.findall(window, end))


def _merges_streamed(part) -> np.ndarray:
    """The merged ranges of the worksheet part open as ``part``, read chunk by chunk (one kept at a time)."""
    found, tail = [], b""
    while chunk := part.read(_CHUNK):
        window = tail + chunk
        if b"mergeCell" in window:
            # A match ending in ``tail`` was found with the chunk before; one cut by its end was not.
            found += [match.groups() for match in _MERGE_CELL.finditer(window) if match.end() > len(tail)]
        tail = chunk[-_MERGE_TAIL:]
    return _merge_array(found)


def _merge_array(refs: list[tuple[bytes, bytes, bytes, bytes]]) -> np.ndarray:
    """Each (column, row, column, row) of ``refs`` as an int32 row of :class:`MergedRange`, first cell first."""
    if not refs:
        return _NO_MERGES
    ranges = np.array([(int(row), _column_index(col), int(last_row), _column_index(last_col))
                       for col, row, last_col, last_row in refs], np.int32)
    return np.column_stack([np.minimum(ranges[:, 0], ranges[:, 2]), np.minimum(ranges[:, 1], ranges[:, 3]),
                            np.maximum(ranges[:, 0], ranges[:, 2]), np.maximum(ranges[:, 1], ranges[:, 3])])


# Text holding a date at midnight ("2025-10-17 00:00:00"), as a shared string, an inline string or a formula's
# text: a date cell is a number in the XML, never this. (A rich-text cell cut into runs inside it is not seen.)
_MIDNIGHT = b" 00:00:00"
_MIDNIGHT_DATE = re.compile(rb"\d{4}-\d\d-\d\d")
_MIDNIGHT_TAIL = len(b"2025-10-17 00:00:00") - 1   # bytes of a chunk kept for a match cut by its end


def _midnight_text_in(tail: bytes, chunk: bytes) -> bool:
    """Whether ``chunk`` (after ``tail``, the end of the chunk before) holds a date at midnight as text. A
    colon is rare in a sheet's XML but in text times: one memchr passes most chunks, and only a match cut by
    the chunk's start is looked for then (6 ms for a 122 MB sheet of date cells; searching every chunk for
    the time, 0.4 ms a MB, would add 3% to its 1.7 s read)."""
    window = tail + chunk if b":" in chunk else tail + chunk[:len(_MIDNIGHT)]
    at = window.find(_MIDNIGHT)
    while at >= 0:
        if at >= 10 and _MIDNIGHT_DATE.fullmatch(window, at - 10, at):
            return True
        at = window.find(_MIDNIGHT, at + 1)
    return False


def _is_worksheet_part(name: str) -> bool:
    """``xl/worksheets/sheet1.xml``: a part in a folder named worksheets (where Excel, WPS and LibreOffice put them)."""
    return name.endswith(".xml") and "/worksheets/" in f"/{name}"


@dataclass(frozen=True, eq=False)
class _StoredCells:
    """One part's error cells as :func:`_check_expansion`'s cache keeps them: rows, columns (-1: unknown) and
    value codes in arrays, 10 bytes a cell, where ErrorCell tuples took about 160 (a lookup column of 300,000
    #N/A kept 48 MB per cached file)."""

    rows: np.ndarray
    columns: np.ndarray
    codes: np.ndarray
    values: tuple[str, ...]

    @classmethod
    def of(cls, cells: tuple[ErrorCell, ...]) -> "_StoredCells":
        values = tuple(dict.fromkeys(cell.value for cell in cells))
        code = {value: i for i, value in enumerate(values)}
        return cls(np.array([-1 if cell.row is None else cell.row for cell in cells], np.int32),
                   np.array([-1 if cell.column is None else cell.column for cell in cells], np.int32),
                   np.array([code[cell.value] for cell in cells], np.uint16), values)

    def cells(self) -> tuple[ErrorCell, ...]:
        return tuple(ErrorCell(None if row < 0 else row, None if column < 0 else column, self.values[code])
                     for row, column, code in zip(self.rows.tolist(), self.columns.tolist(), self.codes.tolist()))


class _ErrorCellsByPart(Mapping):
    """Part name -> its error cells (a tuple of :class:`ErrorCell`), each part's made only when asked for: the
    checks that only want the container checked make none."""

    def __init__(self, stored: tuple[tuple[str, _StoredCells], ...], midnight_text: bool = False,
                 merged: tuple[tuple[str, np.ndarray], ...] = ()) -> None:
        self._stored = dict(stored)
        self.midnight_text = midnight_text
        self.merged = dict(merged)   # part name -> int32 rows of MergedRange

    @property
    def merged_ranges(self) -> dict[str, tuple[MergedRange, ...]]:
        """Part name -> its merged ranges, for the worksheet parts that have any."""
        return {part: tuple(MergedRange(*row) for row in ranges.tolist()) for part, ranges in self.merged.items()}

    def __getitem__(self, part: str) -> tuple[ErrorCell, ...]:
        return self._stored[part].cells()

    def __iter__(self):
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)


# An error cell is written <c r="F12" t="e"><f>VLOOKUP(…)</f><v>#N/A</v></c> (<x:c>, <x:v> in a document
# with a prefix): its value starts with "#" right after a <v> tag, its place and type are in the cell's
# start tag, before any formula. No "<" can stand inside a formula or attribute value (XML escapes it),
# so the tags before the value are found by looking back for "<".
_ERROR_BACK = 1 << 16     # bytes looked back for the start tag: Excel's longest formula (8,192 characters) escaped fits
_ERROR_AHEAD = 64         # bytes after the "#" that hold the value and its end tag (#GETTING_DATA is the longest value)
_VALUE_TAG = re.compile(rb"<(?:[\w.-]+:)?v>")
_TAG = re.compile(rb"<(/?)(?:[\w.-]+:)?([\w.-]+)(?=[\s/>])([^>]*)>")
_ATTRIBUTE = re.compile(rb"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_REF = re.compile(rb"([A-Z]{1,3})([1-9][0-9]{0,6})")
# The usual error cell, as Excel and the common writers put it (r before t, no prefix), in one match.
_ERROR_CELL = re.compile(rb'<c\s[^>]*?\br="([A-Z]{1,3})([1-9][0-9]{0,6})"[^>]*?\bt="e"[^>]*>'
                         rb"(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?<v>(#[^<]*)<")


class _ErrorCellFinder:
    """The error cells of one XML part, found while :func:`_check_expansion` decompresses it chunk by
    chunk. A chunk without a "#" (the usual case) costs one memchr and is let go; only the end of it
    is kept, as the start of a cell cut by the edge. In a chunk with some, the "#" right after a
    ``<v>`` tag are found at C speed, however many "#" its text holds (3#楼); only those are read,
    when the next chunk has come, so a cell cut by either edge is read whole, and every "#" is looked
    at once (in the chunk that holds it). An error value whose cell cannot be placed (no ``r``
    attribute, a start tag too far back) is kept with no row or column: the reader refuses such a
    sheet rather than guess."""

    def __init__(self) -> None:
        self.tail = b""                      # the last _ERROR_BACK bytes before the chunk in hand
        self.held: tuple[bytes, bytes] | None = None   # (its tail, a chunk with a "#"), until the next chunk
        self.cells: list[ErrorCell] = []

    def feed(self, chunk: bytes) -> None:
        if self.held is not None:
            self._scan(*self.held, chunk[:_ERROR_AHEAD])
        self.held = (self.tail, chunk) if b"#" in chunk else None
        self.tail = chunk[-_ERROR_BACK:]

    def close(self) -> tuple[ErrorCell, ...]:
        self.feed(b"")
        return tuple(self.cells)

    def _scan(self, back: bytes, chunk: bytes, after: bytes) -> None:
        data = np.frombuffer(chunk, np.uint8)
        marks = np.flatnonzero(data == ord("#"))
        inside = marks[marks >= 2]
        # A "#" among the chunk's first two bytes: its "v>" may end the chunk before.
        edge = [m for m in marks[:2].tolist() if m < 2 and (back[-2:] + chunk[:m]).endswith(b"v>")]
        values = edge + inside[(data[inside - 1] == ord(">")) & (data[inside - 2] == ord("v"))].tolist()
        if values:
            window = back + chunk + after
            for mark in values:
                self._read_cell(window, len(back) + mark)

    def _read_cell(self, window: bytes, mark: int) -> None:
        """The error cell whose value starts at ``window[mark]`` ("#"), if it is one: in one match for
        the usual cell (a sheet may hold thousands: a lookup column of #N/A), else tag by tag."""
        start = window.rfind(b"<c", 0, mark)
        found = _ERROR_CELL.match(window, start) if start >= 0 else None
        if found is not None and found.start(3) == mark:
            self.cells.append(ErrorCell(int(found[2]), _column_index(found[1]), found[3].decode("utf-8", "replace").strip()))
            return
        self._read_cell_tag_by_tag(window, mark)

    def _read_cell_tag_by_tag(self, window: bytes, mark: int) -> None:
        """:meth:`_read_cell` for any other way of writing the cell, or a "#" that is no error value."""
        tag = window.rfind(b"<", 0, mark)
        if tag < 0 or not _VALUE_TAG.fullmatch(window, tag, mark):
            return   # a "v>#" inside some text, not a value
        stop = window.find(b"<", mark)
        if stop < 0:
            return   # a value longer than any error value
        value = window[mark:stop].decode("utf-8", "replace").strip()
        while True:   # back over a formula (<f>…</f>, <f …/>) to the cell's start tag
            tag = window.rfind(b"<", 0, tag)
            found = _TAG.match(window, tag) if tag >= 0 else None
            if found is None or found[2] not in (b"f", b"c") or found[2] == b"c" and found[1]:
                self.cells.append(ErrorCell(None, None, value))   # no cell to be seen around the value
                return
            if found[2] == b"c":
                break
        attributes = {key: one or other for key, one, other in _ATTRIBUTE.findall(found[3])}
        if attributes.get(b"t") != b"e":
            return   # a formula's text result (t="str") that starts with "#"
        ref = _CELL_REF.fullmatch(attributes.get(b"r", b""))
        if ref is None:
            self.cells.append(ErrorCell(None, None, value))
            return
        self.cells.append(ErrorCell(int(ref[2]), _column_index(ref[1]), value))


def _column_index(letters: bytes) -> int:
    """``b"A"`` -> 0, ``b"AB"`` -> 27: the 0-based column of an Excel column name."""
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


_SHEET_ELEMENT = re.compile(rb"<(?:[\w.-]+:)?sheet\s([^>]*)>")
_RELATIONSHIP = re.compile(rb"<(?:[\w.-]+:)?Relationship\s([^>]*)>")


def _attributes(text: bytes) -> dict[str, str]:
    return {key.decode(): html.unescape((one or other).decode("utf-8", "replace"))
            for key, one, other in _ATTRIBUTE.findall(text)}


def _sheet_part(path: Path, sheet_name: str) -> str | None:
    """The zip part that holds the sheet ``sheet_name``: the relationship its ``<sheet>`` element in
    xl/workbook.xml names (``r:id``), looked up in xl/_rels/workbook.xml.rels; None if not found."""
    with zipfile.ZipFile(path) as archive:
        try:
            workbook, relationships = archive.read("xl/workbook.xml"), archive.read("xl/_rels/workbook.xml.rels")
        except KeyError:
            return None
    sheet = next((attributes for attributes in map(_attributes, _SHEET_ELEMENT.findall(workbook))
                  if attributes.get("name") == sheet_name), {})
    relation = next((value for key, value in sheet.items() if key.endswith(":id")), None)
    target = next((attributes.get("Target") for attributes in map(_attributes, _RELATIONSHIP.findall(relationships))
                   if relation is not None and attributes.get("Id") == relation), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def excel_error_text(value: str) -> str:
    """``Excel 错误值 #N/A（公式出错：要查找的值不存在）``."""
    meaning = EXCEL_ERRORS.get(value)
    return f"Excel 错误值 {value}（公式出错{'：' + meaning if meaning else ''}）"


_ERROR_HELP = "请在 Excel 中改正该单元格，或把公式列复制后“选择性粘贴为数值”，再导入。"


def error_cell_message(sheet_name: str | None, row: int, header: str, value: str) -> str:
    """Why a row was rejected for the error cell ``value`` under ``header``, for the problem list and the rejects file."""
    return f"工作表“{sheet_name}”第 {row} 行“{header}”列是 {excel_error_text(value)}，没有可导入的值。{_ERROR_HELP}"


def _sheet_error_cells(path: Path, sheet_name: str) -> list[ErrorCell]:
    """The error cells of the sheet ``sheet_name``. Costs nothing more when the workbook has none (the
    usual case): they were found while its container was checked. A LoadError when one cannot be placed."""
    found = check_xlsx_container(path)   # checked already: remembered, not decompressed again
    if not found:
        return []
    part = _sheet_part(path, sheet_name)
    cells = list(found.get(part, ())) if part is not None else [cell for cells in found.values() for cell in cells]
    if part is None or any(cell.row is None for cell in cells):
        # Only values known as Excel's own: whatever else followed a <v> tag is not repeated (it could be any text).
        values = "、".join(dict.fromkeys(cell.value for cell in cells if cell.value in EXCEL_ERRORS)) or "（无法识别的值）"
        raise LoadError(f"文件 {path.name} 的工作表“{sheet_name}”中有 Excel 错误值 {values}（公式出错），但无法确定它们"
                        f"所在的单元格。请在 Excel 中改正这些单元格，或把公式列复制后“选择性粘贴为数值”，保存后再导入；数据仓库未改动。")
    return cells


# The error values calamine reads (as blank cells); with any other in it (#SPILL!, #CALC! ...) it reads no cell of the sheet.
_CALAMINE_ERRORS = {"#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"}


def _unreadable_sheet_error(path: Path, sheet_name: str, exc: Exception) -> LoadError:
    """The error for calamine failing to read the sheet ``sheet_name`` (``exc``): naming the cells, when it
    is for error values it does not know."""
    from xlsxwriter.utility import xl_col_to_name

    if "error value" in str(exc):
        cells = [cell for cell in _sheet_error_cells(path, sheet_name) if cell.value not in _CALAMINE_ERRORS]
        if cells:
            listed = "、".join(f"{xl_col_to_name(cell.column)}{cell.row} 格是 {excel_error_text(cell.value)}" for cell in cells[:5])
            more = f"等 {len(cells)} 处" if len(cells) > 5 else ""
            return LoadError(f"文件 {path.name} 的工作表“{sheet_name}”中 {listed}{more}，含这几种错误值的工作表整个都读不出。"
                             f"请在 Excel 中改正这些单元格，或把公式列复制后“选择性粘贴为数值”，保存后再导入；数据仓库未改动。")
    return LoadError(f"文件 {path.name} 的工作表“{sheet_name}”无法读取（{type(exc).__name__}），请在 Excel 中打开后重新保存。")


def read_xlsx(path: Path, sheet: str | None = None) -> RawTable:
    """The first sheet (or ``sheet``): every cell as text, real date cells as ISO text, the header row found.

    Read through fastexcel (Arrow straight from Rust, no Python object per cell) when every cell's text
    is known to come out as :func:`_cell_text` writes it; otherwise, and for a file fastexcel cannot
    open, through python-calamine cell by cell (the reference path, and the one that words errors)."""
    check_xlsx_container(path)
    fast = _read_xlsx_fast(path, sheet)
    return fast if fast is not None else _read_xlsx_calamine(path, sheet)


def other_sheet_hint(sheet_name: str | None) -> str:
    """The hint for a workbook read from its first sheet when the data may be on another (``--sheet``)."""
    return f"读取的是第一个工作表“{sheet_name}”，数据在别的工作表时请用 --sheet 工作表名 指定"


def _no_rows_help(names: list[str], sheet: str | None, sheet_name: str) -> str:
    """What to do about a sheet with nothing below its header: with other sheets in the workbook and none
    asked for, the data may be on one of them (a notes sheet first, even of one line)."""
    if sheet is None and len(names) > 1:
        return f"{other_sheet_hint(sheet_name)}；数据就在这个工作表时，{_NO_ROWS_HELP}"
    return _NO_ROWS_HELP


def other_data_sheets(path: Path, names: list[str], hidden: list[str], sheet_name: str) -> dict[str, int]:
    """The visible sheets of the workbook ``path`` but ``sheet_name`` that hold rows of data: name -> how
    many non-empty rows lie below its header row (a row of at least two cells, found as for the sheet
    read, that :func:`etl.fields.looks_like_export`; totals rows not counted). A notes sheet of single lines, or a sheet with a header and nothing
    under it, holds none. Only the sheet asked for is ever loaded: a second month on the next sheet
    must not go unnoticed."""
    others = [name for name in names if name != sheet_name and name not in hidden]
    if not others:
        return {}
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception:  # the sheet read was readable; a failure here is no reason to refuse it
        return {}
    found = {}
    for name in others:
        # Streamed: the first rows (where a header can be) are kept, the rest only counted; a second month of
        # 200k rows held as Python strings took hundreds of MB just to be counted.
        try:
            cells = workbook.get_sheet_by_name(name).iter_rows()
            head: list[list[str]] = []
            for row in cells:
                head.append(_nonempty(row))
                if len(head) >= HEADER_SEARCH_ROWS:
                    break
            header = find_header_row(head) if head else 0
            # (a summary sheet, 统计: 街道, 件数, holds rows but no export: pointing to it led to "识别为 12345热线工单")
            if not head or len(head[header]) < 2 or not looks_like_export(head[header]):
                continue
            n = sum(1 for row in head[header + 1:] if row and not TOTALS_PATTERN.match(row[0]))
            for row in cells:
                row = _nonempty(row)
                n += bool(row) and not TOTALS_PATTERN.match(row[0])
        except Exception:
            continue
        if n:
            found[name] = n
    return found


def _nonempty(row) -> list[str]:
    return [str(cell).strip() for cell in row if cell is not None and str(cell).strip()]


def other_sheets_note(file_name: str, sheet_name: str, others: dict[str, int]) -> str | None:
    """The warning that ``others`` (sheet -> rows) of the workbook were not loaded, and how to load them."""
    if not others:
        return None
    listed = "、".join(f"“{name}”（{n:,} 行）" for name, n in others.items())
    return (f"文件 {file_name} 的工作表{listed}也有数据，本次只导入了工作表“{sheet_name}”。"
            f"要导入{'它' if len(others) == 1 else '它们'}，请把同一文件再导入一次，用 --sheet 工作表名 指定要导入的工作表。")


def _pick_sheet(path: Path, names: list[str], sheet: str | None, hidden: list[str] = ()) -> str:
    """``sheet``, or the first sheet not ``hidden``: Excel users keep an old copy in a hidden sheet, and
    what they see when they open the file is what they mean to import. ``sheet`` may name a hidden one."""
    if not names:
        raise LoadError(f"文件 {path.name} 中没有工作表。")
    if sheet is None:
        return next((name for name in names if name not in hidden), names[0])
    if sheet in names:
        return sheet
    raise LoadError(f"文件 {path.name} 中没有名为“{sheet}”的工作表；现有工作表：{'、'.join(names)}。")


def workbook_sheets(path: Path) -> tuple[list[str], list[str]]:
    """The sheet names of the XLSX workbook ``path`` and those of them that are hidden (or very hidden),
    from its workbook part: calamine reads that and the shared strings, not the sheets. ([], []) for a
    file calamine cannot open (the reader that follows words that failure)."""
    from python_calamine import CalamineWorkbook

    check_xlsx_container(path)   # calamine reads the shared strings here: no bomb gets that far
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception:  # calamine raises its own error types for broken files
        return [], []
    return list(workbook.sheet_names), _hidden_of(workbook)


def _hidden_of(workbook) -> list[str]:
    from python_calamine import SheetVisibleEnum

    return [sheet.name for sheet in workbook.sheets_metadata if sheet.visible != SheetVisibleEnum.Visible]


def _hidden_note(names: list[str], hidden: list[str], sheet: str | None, sheet_name: str) -> list[str]:
    """The note for a workbook whose hidden sheets before ``sheet_name`` were passed over (none was asked for)."""
    skipped = [name for name in names[: names.index(sheet_name)] if name in hidden]
    if sheet is not None or not skipped:
        return []
    quoted = "、".join(f"“{name}”" for name in skipped)
    return [f"隐藏的工作表{quoted}未读取，读取的是第一个可见的工作表“{sheet_name}”；"
            f"要导入隐藏的工作表请用 --sheet 工作表名 指定。"]


def _read_xlsx_calamine(path: Path, sheet: str | None = None) -> RawTable:
    """:func:`read_xlsx` through python-calamine's Python values, converted by :func:`_cell_text`."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken files
        raise LoadError(f"文件 {path.name} 无法作为 XLSX 读取（{type(exc).__name__}），请在 Excel 中打开后重新保存。") from None
    names = workbook.sheet_names
    hidden = _hidden_of(workbook)
    sheet_name = _pick_sheet(path, names, sheet, hidden)
    try:
        data = workbook.get_sheet_by_name(sheet_name)
    except Exception as exc:
        raise _unreadable_sheet_error(path, sheet_name, exc) from None
    # Millions of short-lived cell objects and no cycles among them: the cyclic garbage collector
    # would only walk them again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        raw = _sheet_table(path, data, sheet_name, _no_rows_help(names, sheet, sheet_name))
        raw.notes = _hidden_note(names, hidden, sheet, sheet_name) + raw.notes
        raw.other_sheets = other_data_sheets(path, names, hidden, sheet_name)
        return raw
    finally:
        if collecting:
            gc.enable()


def _sheet_table(path: Path, data, sheet_name: str, no_rows_help: str = _NO_ROWS_HELP) -> RawTable:
    """The cells of ``data`` (a calamine sheet) below its header row, as :func:`read_xlsx` returns them.
    ``no_rows_help`` ends the message for a sheet without data (:func:`_no_rows_help`)."""
    # skip_empty_area=False: rows and columns from A1, so a list index is the sheet row (0-based).
    rows = data.to_python(skip_empty_area=False)
    if not rows:
        raise LoadError(f"文件 {path.name} 的工作表“{sheet_name}”是空的。"
                        + ("" if no_rows_help == _NO_ROWS_HELP else no_rows_help))
    header_index = find_header_row(rows)
    headers = [_cell_text(h) or "" for h in rows[header_index]]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    body = rows[header_index + 1 :]
    exported_at = title_export_time(rows[:header_index])
    del rows
    # Column by column (transposed at C speed, converted in bulk): cell by cell was most of the read.
    columns = [_column_texts(column) for column in islice(zip_longest(*body), width)]
    columns += [[None] * len(body) for _ in range(width - len(columns))]
    arrays = [pa.array(column, pa.string()) for column in columns]
    for index, array in enumerate(arrays):   # only here: fastexcel sends such cells to this path
        if pc.any(pc.match_substring(array, "e+")).as_py():
            lost = pc.fill_null(pc.match_substring_regex(array, _LOST_DIGITS), False)
            if pc.any(lost).as_py():
                at = pc.index(lost, True).as_py()
                name = f"「{headers[index]}」列" if index < len(headers) and headers[index] else f"第 {index + 1} 列"
                raise LoadError(
                    f"文件 {path.name} 的工作表“{sheet_name}”第 {header_index + 2 + at} 行{name}是数字 {array[at].as_py()}："
                    f"Excel 的数字只保留 15 位有效数字，这一列中更长的编号已丢失了后几位（不同的编号会变成同一个）。"
                    f"请在导出系统或 Excel 中把这一列设为“文本”格式后重新导出（已丢失的位数无法从这个文件找回），再导入；数据仓库未改动。")
    raw = _xlsx_raw(path, sheet_name, headers, arrays, len(body), header_index, no_rows_help)
    raw.exported_at = exported_at
    return raw


def _xlsx_raw(path: Path, sheet_name: str, headers: list[str], arrays: list[pa.Array], count: int,
              header_index: int, no_rows_help: str = _NO_ROWS_HELP) -> RawTable:
    """The RawTable of an XLSX body: ``arrays`` (text, null for blank) under the header at sheet row
    ``header_index`` (0-based), totals and blank rows left out; a LoadError if no row is left."""
    first = header_index + 2
    arrays, filled = _fill_merged_down(arrays, count, first, _sheet_merged_ranges(path, sheet_name))
    keep, dropped = totals_rows(arrays, count)
    table = pa.table({**{f"c{i}": array for i, array in enumerate(arrays)},
                      "row_no": pa.array(range(first, first + count), pa.int64())})
    if keep is not None:
        table = table.filter(pa.array(keep, pa.bool_()))
    table = _without_blank_rows(table, len(arrays))
    if not table.num_rows:
        raise LoadError(f"文件 {path.name} 的工作表“{sheet_name}”只有表头（第 {header_index + 1} 行），没有数据行。"
                        f"{no_rows_help}")
    # Error cells under the header and in its columns: the others are no data.
    errors = [cell for cell in _sheet_error_cells(path, sheet_name) if cell.row > header_index + 1 and cell.column < len(headers)]
    if errors and len(filled):
        errors = _merged_error_cells(errors, filled)
    return RawTable(path, headers, table, "xlsx", sheet_name=sheet_name, header_row=header_index + 1, dropped_rows=dropped,
                    error_cells=errors, notes=[_merged_note(path.name, headers, filled)] if len(filled) else [])


def _sheet_merged_ranges(path: Path, sheet_name: str) -> np.ndarray:
    """The merged ranges of the sheet ``sheet_name`` (int32 rows of :class:`MergedRange`), found while its
    container was checked: nothing more to do for a workbook without them (the usual export)."""
    merged = check_xlsx_container(path).merged   # checked already: remembered, not decompressed again
    if not merged:
        return _NO_MERGES
    part = _sheet_part(path, sheet_name)
    return merged.get(part, _NO_MERGES)


def _fill_merged_down(arrays: list[pa.Array], count: int, first: int, ranges: np.ndarray
                      ) -> tuple[list[pa.Array], np.ndarray]:
    """``arrays`` (``count`` rows from sheet row ``first``) with the value of each range merged down a column
    of data rows written into every row of it, as Excel shows it: 所属街道 and 所属社区 merged over the
    tickets of one community are read in the range's first cell only, leaving the other tickets with no
    place. Also the filled ranges: (first row, column, last row) each, rows cut at the last one read.

    A range that starts in the header or above it (a title, a header cell merged over two header rows) is
    no data. A range across columns is left as read, its value in its first column: it is a totals or
    notes row (合计 merged over A:C, filled across, would no longer be known as one) or a value under one
    header spread over the next, whose column it does not belong to."""
    if not len(ranges) or not count:
        return arrays, _NO_MERGES[:, :3]
    last = np.minimum(ranges[:, 2], first + count - 1)
    down = (ranges[:, 1] == ranges[:, 3]) & (ranges[:, 0] >= first) & (last > ranges[:, 0]) & (ranges[:, 1] < len(arrays))
    filled = np.column_stack([ranges[down, 0], ranges[down, 1], last[down]])
    arrays = list(arrays)
    for column in np.unique(filled[:, 1]).tolist():
        take = np.arange(count)
        for top, bottom in filled[filled[:, 1] == column][:, [0, 2]].tolist():
            take[top - first + 1:bottom - first + 1] = top - first
        arrays[column] = arrays[column].take(pa.array(take))
    return arrays, filled


def _merged_error_cells(errors: list[ErrorCell], filled: np.ndarray) -> list[ErrorCell]:
    """``errors`` with an error value merged down a column (:func:`_fill_merged_down`) in every row of its range."""
    at = {(cell.row, cell.column): cell.value for cell in errors}
    more = [ErrorCell(row, column, at[top, column]) for top, column, bottom in filled.tolist() if (top, column) in at
            for row in range(top + 1, bottom + 1)]
    return sorted(errors + more, key=lambda cell: (cell.row, cell.column)) if more else errors


def _merged_note(file_name: str, headers: list[str], filled: np.ndarray) -> str:
    """What the load says about the ranges :func:`_fill_merged_down` filled: how many, in which columns, which rows."""
    columns = "".join(f"「{headers[c]}」" if headers[c] else f"「第 {c + 1} 列」" for c in np.unique(filled[:, 1]).tolist())
    spans: list[list[int]] = []
    for top, bottom in sorted(filled[:, [0, 2]].tolist()):
        if spans and top <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], bottom)
        else:
            spans.append([top, bottom])
    rows = "、".join(f"{top}-{bottom}" for top, bottom in spans[:3]) + ("" if len(spans) <= 3 else " 等")
    return (f"文件 {file_name} 有 {len(filled):,} 处合并单元格（列{columns}，第 {rows} 行），"
            f"已按合并区域左上角的值填入每一行。")


def totals_rows(columns: list, count: int) -> tuple[list[bool] | None, list[str]]:
    """Rows to keep (None: all) and the totals/notes rows left out, as text: a row whose first
    non-empty cell starts like 合计 and that has at most 2 non-empty cells. ``columns``: text arrays
    (or lists), null for a blank cell."""
    if not columns or not count:
        return None, []
    arrays = [c if isinstance(c, pa.Array) else pa.array(c, pa.string()) for c in columns]
    filled = np.zeros(count, np.int32)
    for array in arrays:
        filled += pc.is_valid(array).to_numpy(zero_copy_only=False)
    keep, dropped = None, []
    for index in np.flatnonzero((filled > 0) & (filled <= 2)).tolist():
        texts = [array[index].as_py() for array in arrays]
        first = next(t for t in texts if t)
        if TOTALS_PATTERN.match(first):
            keep = keep or [True] * count
            keep[index] = False
            dropped.append(" ".join(t for t in texts if t))
    return keep, dropped


# A number cell of 18 digits or more as _cell_text writes it (repr: 2.5100312345678e+18): a 19-digit ticket
# number kept as a number, its digits past the 15th lost. (fastexcel sends such cells to the calamine path.)
_LOST_DIGITS = r"^-?\d(\.\d+)?e\+(1[7-9]|[2-9]\d|\d{3})$"
# What a cell is trimmed of on both XLSX paths (Arrow's trim and str.strip): what str.strip() removes, and the
# invisible characters copying out of a web page or WeChat leaves, as trim_cell() in sql/macros.sql (zero-width
# space, non-joiner, joiner, word joiner, and U+FEFF: a BOM in the middle of files joined together).
_PY_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006" \
                 "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
CELL_TRIM = _PY_WHITESPACE + "\u200b\u200c\u200d\u2060\ufeff"
# fastexcel's text of a cell that _cell_text would write differently, or that may be such a cell:
# booleans (true/false, not 是/否), -0, a number below 1e-4 or with 9 decimals (repr would differ),
# a time with a fraction, a time of day or duration or a date before 1900-03 (Excel's 1900 quirks).
_FAST_DOUBTFUL = (r"^(true|false|-0|-?0\.0000\d*|-?\d+\.\d{9}|-?\d{18,}"
                  r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+"
                  r"|(\d{1,3}|0\d{3}|1[0-8]\d\d|1900-0[12])-\d\d(-\d\d)? \d\d:\d\d:\d\d.*)$")
# Among those, a number of 18+ digits is a text cell, unless it is exactly a float (then it may be a number cell,
# which _cell_text writes as repr: 1.1e+17).
_FAST_LONG = re.compile(r"-?\d{18,}")
_FAST_MIDNIGHT = r"^(\d{4}-\d\d-\d\d) 00:00:00$"


def _read_xlsx_fast(path: Path, sheet: str | None) -> RawTable | None:
    """:func:`read_xlsx` through fastexcel, or None when the calamine path must read this file.

    fastexcel writes every cell as text in Rust; that text is what :func:`_cell_text` writes for text
    cells, integral numbers below 1e17 and date-times with whole seconds. A date cell (midnight) comes
    out as "2024-01-05 00:00:00" and is cut to "2024-01-05" as _cell_text writes it. A *text* cell
    holding exactly that comes out the same, and must keep its time: in 办理时限 a date alone means the
    whole day (etl/staging.py, _DATE_ONLY), "2024-01-05 00:00:00" means 00:00, as in a CSV. fastexcel
    does not tell the two apart, so a file with such cells whose XML holds such text (found while its
    container was checked: :func:`check_xlsx_container`) goes to the calamine path, which does. A
    number with float noise (0.30000000000000004) reads as Excel shows it (0.3). Anything else that
    could differ (:data:`_FAST_DOUBTFUL`), a header that is not found by its names, or any fastexcel
    error sends the whole file to the calamine path."""
    try:
        import fastexcel
    except ImportError:
        return None
    try:
        reader = fastexcel.read_excel(str(path))
        names = reader.sheet_names
    except Exception:
        return None
    hidden = workbook_sheets(path)[1] if len(names) > 1 else []
    sheet_name = _pick_sheet(path, names, sheet, hidden)
    try:
        loaded = reader.load_sheet(sheet_name, header_row=None, skip_rows=0, dtypes="string")
        # The range starts at the first used column; calamine's rows start at column A.
        lead = loaded.available_columns()[0].absolute_index if loaded.width else 0
        batch = loaded.to_arrow()
    except Exception:
        return None
    del reader, loaded
    if not batch.num_rows or not batch.num_columns:
        return None
    null = pa.nulls(batch.num_rows, pa.string())
    raw = [null] * lead + [batch.column(i) for i in range(batch.num_columns)]
    del batch
    head = list(zip(*(column.slice(0, HEADER_SEARCH_ROWS).to_pylist() for column in raw)))
    header_index = _scored_header_row(head)
    if header_index is None:
        return None   # the calamine path looks further down for a header
    header_cells = [column[header_index].as_py() for column in raw]
    if any(t is not None and _doubtful(pa.array([t], pa.string())) for t in header_cells):
        return None
    headers = [_cell_text(t) or "" for t in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    count = len(raw[0]) - header_index - 1
    arrays = []
    for column in raw[:width]:
        body = column.slice(header_index + 1)
        if body.null_count < len(body):
            if _doubtful(body):
                return None
            body = pc.utf8_trim(body, characters=CELL_TRIM)
            empty = pc.equal(body, "")
            if pc.any(empty).as_py():
                body = pc.if_else(empty, pa.scalar(None, pa.string()), body)
            midnight = pc.fill_null(pc.ends_with(body, " 00:00:00"), False)
            if pc.any(midnight).as_py():
                if check_xlsx_container(path).midnight_text:   # (remembered: not decompressed again)
                    return None   # some may be text cells, to keep their time: only calamine tells
                # Only the cells ending so are looked at: a regex over every cell costs more than the rest.
                dates = pc.filter(body, midnight)
                midnight = pc.replace_with_mask(midnight, midnight, pc.match_substring_regex(dates, _FAST_MIDNIGHT))
                body = pc.replace_with_mask(body, midnight, pc.utf8_slice_codeunits(pc.filter(body, midnight), 0, 10))
        arrays.append(body.combine_chunks() if isinstance(body, pa.ChunkedArray) else body)
    arrays += [pa.nulls(count, pa.string()) for _ in range(width - len(arrays))]
    raw = _xlsx_raw(path, sheet_name, headers, arrays, count, header_index, _no_rows_help(names, sheet, sheet_name))
    raw.notes = _hidden_note(names, hidden, sheet, sheet_name) + raw.notes
    raw.other_sheets = other_data_sheets(path, names, hidden, sheet_name)
    raw.exported_at = title_export_time(head[:header_index])
    return raw


def _scored_header_row(rows: list[tuple]) -> int | None:
    """:func:`find_header_row` when a row is recognised by its header names; None when it is not."""
    index = find_header_row([list(row) for row in rows])
    return index if header_score(list(rows[index])) > 1 else None


def _doubtful(texts) -> bool:
    """Whether fastexcel's ``texts`` hold a cell whose text _cell_text might write differently."""
    hits = pc.filter(texts, pc.fill_null(pc.match_substring_regex(texts, _FAST_DOUBTFUL), False))
    return any(not _FAST_LONG.fullmatch(t) or int(float(t)) == int(t) for t in hits.to_pylist())


def _column_texts(values) -> list[object]:
    """:func:`_cell_text` of every value of a column: text inline, datetimes in bulk, the rest one by one."""
    out = [None if v is None else (v.strip(CELL_TRIM) or None) if v.__class__ is str else v for v in values]
    if not set(map(type, out)) - {type(None), str}:
        return out
    other = [i for i, v in enumerate(out) if v is not None and v.__class__ is not str]
    where = [i for i in other if out[i].__class__ is datetime]
    if where:
        stamps = pa.array([out[i] for i in where], pa.timestamp("us"))
        # Whole seconds (strftime would drop a fraction) from year 1000 on (strftime writes year 999 as
        # "999"): Arrow writes them as "%Y-%m-%d %H:%M:%S", as _cell_text does.
        if pc.all(pc.and_(pc.equal(pc.subsecond(stamps), 0), pc.greater_equal(pc.year(stamps), 1000))).as_py():
            for i, text in zip(where, stamps.cast(pa.timestamp("s")).cast(pa.string()).to_pylist()):
                out[i] = text
    for i in other:
        if out[i].__class__ is not str:
            out[i] = _cell_text(out[i])
    return out


def _cell_text(value: object) -> str | None:
    """One spreadsheet cell as text: integral floats without ``.0``, datetimes as ISO, blanks as null."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip(CELL_TRIM)
        return value or None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, timedelta):
        return str(value.total_seconds() / 86400)
    return str(value)


def read_geojson(path: Path, encoding: str) -> RawTable:
    """A FeatureCollection: one row per feature, its properties as columns plus ``geometry`` as GeoJSON text."""
    try:
        document = json.loads(path.read_text(encoding=encoding))
    except json.JSONDecodeError as exc:
        raise LoadError(f"文件 {path.name} 不是有效的 GeoJSON（第 {exc.lineno} 行：{exc.msg}），请重新导出。") from None
    except UnicodeDecodeError as exc:
        with path.open("rb") as handle:
            line = handle.read(exc.start).count(b"\n") + 1
        raise _mixed_encoding_error(path, encoding, f"文件 {path.name} 第 {line} 行") from None
    except RecursionError:
        raise LoadError(f"文件 {path.name} 不是有效的 GeoJSON（嵌套层数过多），请重新导出。") from None
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        raise LoadError(f"文件 {path.name} 不是 GeoJSON 要素集合（缺少 features），请导出为 FeatureCollection。")
    if not features:
        raise LoadError(f"文件 {path.name} 中没有任何要素（features 为空），没有可导入的数据，请重新导出。")
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raise LoadError(f"文件 {path.name}：第 {number} 个要素不是对象（是 {_json_kind(feature)}），每个要素应为 "
                            f"{{\"type\": \"Feature\", \"properties\": {{…}}, \"geometry\": {{…}}}}，请重新导出为 GeoJSON。")
        for key, shape in (("properties", "{\"网格编号\": \"…\", …}"), ("geometry", "{\"type\": \"Polygon\", \"coordinates\": […]}")):
            if feature.get(key) is not None and not isinstance(feature[key], dict):
                raise LoadError(f"文件 {path.name}：第 {number} 个要素的 {key} 不是对象（是 {_json_kind(feature[key])}），"
                                f"应为 {shape} 这样的对象，请重新导出为 GeoJSON。")
    headers: list[str] = []
    for feature in features:
        for key in (feature.get("properties") or {}):
            if key not in headers:
                headers.append(key)
    headers.append("geometry")
    columns: list[list[str | None]] = [[] for _ in headers]
    for feature in features:
        properties = feature.get("properties") or {}
        for i, key in enumerate(headers[:-1]):
            value = properties.get(key)
            columns[i].append(json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else _cell_text(value))
        geometry = feature.get("geometry")
        columns[-1].append(json.dumps(geometry, ensure_ascii=False, separators=(",", ":")) if geometry else None)
    arrays = {f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)}
    arrays["row_no"] = pa.array(range(1, len(features) + 1), pa.int64())
    return RawTable(path, headers, pa.table(arrays), "geojson", encoding=encoding, header_row=0)


def _json_kind(value: object) -> str:
    """What a JSON value is, in words: 数字、文本、数组 ..."""
    if isinstance(value, bool):
        return "true/false"
    return {int: "数字", float: "数字", str: "文本", list: "数组"}.get(type(value), "空值" if value is None else "其他值")
