"""Readers: one export file in, a table of text cells out, with the header row found and line numbers kept.

Every reader returns a :class:`RawTable` whose cells are all strings (or null), so phone, ID and
ticket numbers never become floats. Dates stay text here; staging parses them in SQL.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import math
import re
import zipfile
from itertools import islice, zip_longest
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from etl.errors import LoadError
from etl.fields import header_score

SAMPLE_BYTES = 1 << 20
HEADER_SEARCH_ROWS = 30
TOTALS_PATTERN = re.compile(r"^\s*(合计|总计|共计|小计|总数|总条数)")
MAX_XLSX_RATIO = 200          # uncompressed / compressed; zip bombs are far above this
MAX_XLSX_UNCOMPRESSED = 2 << 30


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
    dropped_rows: list[str] = field(default_factory=list)   # totals / notes rows left out, as text
    bad_rows: list[tuple[int | None, str]] = field(default_factory=list)  # rows with the wrong column count
    # A CSV read with ``stream=True``: its rows on demand, once (``table`` is then empty, with the
    # columns), and ``dropped_rows``/``bad_rows`` filled as they are read. A large export is never
    # held whole in memory: staging copies it batch by batch.
    stream: Callable[[], pa.RecordBatchReader] | None = None


def read_export(path: Path, sheet: str | None = None, stream: bool = False) -> RawTable:
    """Read one export by its content (not its name): XLSX, GeoJSON, or CSV in UTF-8/GBK/GB18030.

    ``stream=True``: a CSV's rows are left in the file until staging reads them (:attr:`RawTable.stream`)."""
    path = Path(path)
    if not path.exists():
        raise LoadError(f"找不到文件 {path}，请检查路径。")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04"):
        return read_xlsx(path, sheet)
    if head[:3] == b"\xd0\xcf\x11":
        raise LoadError(f"文件 {path.name} 是旧版 Excel（.xls）格式，请在 Excel 中另存为 .xlsx 或 CSV 后再导入。")
    if sheet:
        raise LoadError(f"文件 {path.name} 不是 XLSX 工作簿，不能指定 --sheet。")
    encoding = detect_encoding(path)
    if _looks_like_geojson(path, encoding):
        return read_geojson(path, encoding)
    return read_csv(path, encoding, stream)


def detect_encoding(path: Path) -> str:
    """BOM, then strict UTF-8, then strict GB18030 on the first megabyte; never a lossy fallback."""
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
        if _decodes(sample, encoding, truncated):
            return encoding
    raise LoadError(
        f"无法识别文件 {path.name} 的编码（既不是 UTF-8 也不是 GBK/GB18030），请用 Excel 另存为“CSV UTF-8”后再导入。"
    )


def _decodes(sample: bytes, encoding: str, truncated: bool) -> bool:
    # A sample cut in the middle of a multi-byte character may end with up to 3 stray bytes.
    for cut in range(0, 4 if truncated else 1):
        try:
            sample[: len(sample) - cut].decode(encoding, errors="strict")
            return True
        except UnicodeDecodeError:
            continue
    return False


def _looks_like_geojson(path: Path, encoding: str) -> bool:
    with path.open("r", encoding=encoding, errors="ignore") as handle:
        start = handle.read(2048).lstrip()
    return start.startswith("{") and '"type"' in start


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
    """CSV through pyarrow's multi-threaded reader, every column as text, blank lines kept as null rows.

    ``stream=True``: the header is found now and the rows are read when :attr:`RawTable.stream` is
    (:func:`_csv_batches`): the same cells, row numbers and dropped or bad rows."""
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        sample = handle.read(256 * 1024)
    lines = list(csv.reader(io.StringIO(sample)))
    if not lines:
        raise LoadError(f"文件 {path.name} 是空的，没有可导入的数据。")
    header_index = find_header_row(lines)
    headers = [str(h).replace("\ufeff", "").strip() for h in lines[header_index]]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise LoadError(f"文件 {path.name} 中找不到表头行，请确认第一行或标题行下方是列名。")
    # Excel saves every row as wide as its used range ("a,b,c,,"): read unnamed empty trailing
    # columns too when the data rows carry them, then drop them, rather than reject every row.
    first_row = next((row for row in lines[header_index + 1 :] if any(cell.strip() for cell in row)), [])
    wide = len(first_row) > len(headers) and not any(cell.strip() for cell in first_row[len(headers) :])
    names = [f"c{i}" for i in range(len(first_row) if wide else len(headers))]

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
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True, quoted_strings_can_be_null=True
            ),
        )

    first_data_row = header_index + 2  # 1-based record number of the first data row
    if stream:
        schema = pa.schema([*((n, pa.string()) for n in names[: len(headers)]), ("row_no", pa.int64())])
        raw = RawTable(path, headers, schema.empty_table(), "csv", encoding=encoding, header_row=header_index + 1)

        def reader() -> pa.RecordBatchReader:
            bad: list[tuple[int | None, str]] = []
            batches = pacsv.open_csv(path, **options(False, bad))
            return pa.RecordBatchReader.from_batches(schema, _csv_batches(raw, batches, bad, len(headers), first_data_row))

        raw.stream = reader
        return raw

    def attempt(use_threads: bool):
        bad: list[tuple[int | None, str]] = []
        return pacsv.read_csv(path, **options(use_threads, bad)), bad

    try:
        table, bad = attempt(True)
    except pa.ArrowInvalid as exc:
        if undecodable_error(path, encoding, headers, str(exc)) is None:
            raise
        try:  # read again on one thread: only then does pyarrow's message name the row
            attempt(False)
        except pa.ArrowInvalid as again:
            exc = again
        raise undecodable_error(path, encoding, headers, str(exc)) from None
    dropped = [text for _, text in bad if TOTALS_PATTERN.match(text.replace('"', ""))]
    real_bad = [(n, text) for n, text in bad if not TOTALS_PATTERN.match(text.replace('"', ""))]
    if real_bad:
        # Row numbers of rejected rows are only known single-threaded; this is the rare path.
        table, bad = attempt(False)
        dropped = [text for _, text in bad if TOTALS_PATTERN.match(text.replace('"', ""))]
        real_bad = [(n, text) for n, text in bad if not TOTALS_PATTERN.match(text.replace('"', ""))]
    table = table.select(names[: len(headers)])
    row_no = pa.array(range(first_data_row, first_data_row + table.num_rows), pa.int64())
    if real_bad:
        row_no = pa.array(_row_numbers_skipping(first_data_row, table.num_rows, [n for n, _ in bad if n]), pa.int64())
    table = table.append_column("row_no", row_no)
    return RawTable(path, headers, table, "csv", encoding=encoding, header_row=header_index + 1, dropped_rows=dropped, bad_rows=real_bad)


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
    label = "UTF-8" if encoding.startswith("utf-8") else encoding.upper()
    return LoadError(
        f"文件 {path.name} {row}「{name}」列有无法按 {label} 读取的字节：文件前面是 {label} 编码，这里却不是"
        f"（混用了两种编码，或文件已损坏）。请用 Excel/WPS 打开后另存为“CSV UTF-8”再导入；数据仓库未改动。"
    )


def _csv_batches(raw: RawTable, batches: Iterator[pa.RecordBatch], bad: list[tuple[int | None, str]], width: int,
                 first: int) -> Iterator[pa.RecordBatch]:
    """The batches of a streamed CSV (read single-threaded, so a skipped row's number is known) with
    ``row_no``: record numbers from ``first``, past the rows skipped as totals or bad. Once read,
    ``raw.dropped_rows`` and ``raw.bad_rows`` are as :func:`read_csv` gives them."""
    skipped: list[int] = []       # numbers of skipped rows at or after ``current``, ascending
    current, seen = first, 0
    for batch in batches:
        # The handler has seen every skipped row up to this batch's last row before the batch comes.
        skipped = [n for n in skipped if n >= current] + [n for n, _ in bad[seen:] if n is not None and n >= current]
        seen = len(bad)
        count = batch.num_rows
        end = current + count
        while (inside := sum(1 for n in skipped if n < end)) != end - current - count:
            end = current + count + inside
        numbers = np.arange(current, end, dtype=np.int64)
        if end - current != count:
            numbers = numbers[~np.isin(numbers, skipped)]
        current = end
        yield pa.RecordBatch.from_arrays([*batch.columns[:width], pa.array(numbers, pa.int64())],
                                         names=[*batch.schema.names[:width], "row_no"])
    raw.dropped_rows = [text for _, text in bad if TOTALS_PATTERN.match(text.replace('"', ""))]
    raw.bad_rows = [(n, text) for n, text in bad if not TOTALS_PATTERN.match(text.replace('"', ""))]


def _row_numbers_skipping(first: int, count: int, skipped: list[int]) -> list[int]:
    skipped_set = set(skipped)
    numbers, current = [], first
    while len(numbers) < count:
        if current not in skipped_set:
            numbers.append(current)
        current += 1
    return numbers


def check_xlsx_container(path: Path) -> None:
    """Refuse a file that is not a sane XLSX: not a zip, no workbook part, or a suspicious compression ratio.

    The XML inside is parsed by calamine (Rust, quick-xml), which expands no DTD entities: a workbook
    with entity declarations (billion laughs, external entities) is refused as an XmlError, never
    expanded (tests/test_readers.py). No Python XML parser touches uploads."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            compressed = sum(info.compress_size for info in infos) or 1
            uncompressed = sum(info.file_size for info in infos)
    except zipfile.BadZipFile:
        raise LoadError(f"文件 {path.name} 不是有效的 XLSX 工作簿（压缩包损坏），请重新导出。") from None
    if "xl/workbook.xml" not in names:
        raise LoadError(f"文件 {path.name} 不是 XLSX 工作簿（缺少 xl/workbook.xml），请确认导出的是 Excel 文件。")
    if uncompressed > MAX_XLSX_UNCOMPRESSED or uncompressed / compressed > MAX_XLSX_RATIO:
        raise LoadError(f"文件 {path.name} 的压缩比异常（解压后 {uncompressed // (1 << 20)} MB），为安全起见拒绝导入。")


def read_xlsx(path: Path, sheet: str | None = None) -> RawTable:
    """The first sheet (or ``sheet``): every cell as text, real date cells as ISO text, the header row found.

    Read through fastexcel (Arrow straight from Rust, no Python object per cell) when every cell's text
    is known to come out as :func:`_cell_text` writes it; otherwise, and for a file fastexcel cannot
    open, through python-calamine cell by cell (the reference path, and the one that words errors)."""
    check_xlsx_container(path)
    fast = _read_xlsx_fast(path, sheet)
    return fast if fast is not None else _read_xlsx_calamine(path, sheet)


def _pick_sheet(path: Path, names: list[str], sheet: str | None) -> str:
    if not names:
        raise LoadError(f"文件 {path.name} 中没有工作表。")
    if sheet is None:
        return names[0]
    if sheet in names:
        return sheet
    raise LoadError(f"文件 {path.name} 中没有名为“{sheet}”的工作表；现有工作表：{'、'.join(names)}。")


def _read_xlsx_calamine(path: Path, sheet: str | None = None) -> RawTable:
    """:func:`read_xlsx` through python-calamine's Python values, converted by :func:`_cell_text`."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken files
        raise LoadError(f"文件 {path.name} 无法作为 XLSX 读取（{type(exc).__name__}），请在 Excel 中打开后重新保存。") from None
    sheet_name = _pick_sheet(path, workbook.sheet_names, sheet)
    data = workbook.get_sheet_by_name(sheet_name)
    # Millions of short-lived cell objects and no cycles among them: the cyclic garbage collector
    # would only walk them again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _sheet_table(path, data, sheet_name)
    finally:
        if collecting:
            gc.enable()


def _sheet_table(path: Path, data, sheet_name: str) -> RawTable:
    """The cells of ``data`` (a calamine sheet) below its header row, as :func:`read_xlsx` returns them."""
    # skip_empty_area=False: rows and columns from A1, so a list index is the sheet row (0-based).
    rows = data.to_python(skip_empty_area=False)
    if not rows:
        raise LoadError(f"文件 {path.name} 的工作表“{sheet_name}”是空的。")
    header_index = find_header_row(rows)
    headers = [_cell_text(h) or "" for h in rows[header_index]]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    body = rows[header_index + 1 :]
    del rows
    # Column by column (transposed at C speed, converted in bulk): cell by cell was most of the read.
    columns = [_column_texts(column) for column in islice(zip_longest(*body), width)]
    columns += [[None] * len(body) for _ in range(width - len(columns))]
    arrays = [pa.array(column, pa.string()) for column in columns]
    return _xlsx_raw(path, sheet_name, headers, arrays, len(body), header_index)


def _xlsx_raw(path: Path, sheet_name: str, headers: list[str], arrays: list[pa.Array], count: int,
              header_index: int) -> RawTable:
    """The RawTable of an XLSX body: ``arrays`` (text, null for blank) under the header at sheet row
    ``header_index`` (0-based), totals rows left out."""
    keep, dropped = _totals_rows(arrays, count)
    first = header_index + 2
    table = pa.table({**{f"c{i}": array for i, array in enumerate(arrays)},
                      "row_no": pa.array(range(first, first + count), pa.int64())})
    if keep is not None:
        table = table.filter(pa.array(keep, pa.bool_()))
    return RawTable(path, headers, table, "xlsx", sheet_name=sheet_name, header_row=header_index + 1, dropped_rows=dropped)


def _totals_rows(columns: list, count: int) -> tuple[list[bool] | None, list[str]]:
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


# What str.strip() removes, for Arrow's trim: the same cell text on both XLSX paths.
_PY_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006" \
                 "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
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
    out as "2024-01-05 00:00:00" and is cut to "2024-01-05" as _cell_text writes it; a *text* cell
    holding exactly that becomes "2024-01-05" too, which staging parses to the same timestamp. A
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
    sheet_name = _pick_sheet(path, names, sheet)
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
            body = pc.utf8_trim(body, characters=_PY_WHITESPACE)
            empty = pc.equal(body, "")
            if pc.any(empty).as_py():
                body = pc.if_else(empty, pa.scalar(None, pa.string()), body)
            midnight = pc.fill_null(pc.ends_with(body, " 00:00:00"), False)
            if pc.any(midnight).as_py():
                # Only the cells ending so are looked at: a regex over every cell costs more than the rest.
                dates = pc.filter(body, midnight)
                midnight = pc.replace_with_mask(midnight, midnight, pc.match_substring_regex(dates, _FAST_MIDNIGHT))
                body = pc.replace_with_mask(body, midnight, pc.utf8_slice_codeunits(pc.filter(body, midnight), 0, 10))
        arrays.append(body.combine_chunks() if isinstance(body, pa.ChunkedArray) else body)
    arrays += [pa.nulls(count, pa.string()) for _ in range(width - len(arrays))]
    return _xlsx_raw(path, sheet_name, headers, arrays, count, header_index)


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
    out = [None if v is None else (v.strip() or None) if v.__class__ is str else v for v in values]
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
        value = value.strip()
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
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        raise LoadError(f"文件 {path.name} 不是 GeoJSON 要素集合（缺少 features），请导出为 FeatureCollection。")
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
            columns[i].append(_cell_text(properties.get(key)))
        geometry = feature.get("geometry")
        columns[-1].append(json.dumps(geometry, ensure_ascii=False, separators=(",", ":")) if geometry else None)
    arrays = {f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)}
    arrays["row_no"] = pa.array(range(1, len(features) + 1), pa.int64())
    return RawTable(path, headers, pa.table(arrays), "geojson", encoding=encoding, header_row=0)
