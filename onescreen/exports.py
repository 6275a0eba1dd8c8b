"""Safe downloads (CSV and XLSX) for pages and reports.

Contract:

- Personal fields are masked by default (``mask=True`` runs ``masking.mask_frame``), so a download
  never shows more than the screen did. Staff exports pass ``mask=False`` on purpose.
- No cell can run as a formula. In CSV, text starting with ``= + - @``, tab or CR gets a leading
  ``'`` (``escape_cell``); in XLSX every text cell is written with ``write_string`` and escaped the
  same way, so it stays text even after the user edits the cell or saves the sheet as CSV.
- The DataFrame index is not written; column headers are text and escaped like any cell.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import numbers
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
import xlsxwriter

from onescreen.masking import mask_frame

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
XLSX_STRING_MAX = 32767
# Excel keeps 15 significant digits: longer integers (ticket numbers) are written as text.
XLSX_INT_MAX = 10**15
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
WIDTH_MIN, WIDTH_MAX, WIDTH_SAMPLE_ROWS = 6, 60, 1000
# Every cell's font (the workbook's default, which the header's bold and the date formats start from), in place of
# xlsxwriter's Calibri, which has no Chinese: Excel and WPS substituted a font of their own for each Chinese cell.
# 微软雅黑 ships with every Chinese Windows since Vista (Windows 7 is still found on street offices' intranets) and
# with WPS; 等线, Excel's own default since Office 2016, needs Windows 10 or Office 2016. The HTML report and the
# charts fall back on it as well (onescreen.report_charts.FONT_FAMILY). Not a theme font (scheme none): a font
# marked as the theme's is shown as the theme's (Calibri, 宋体 for Chinese) whatever its name. Charset 134 is GB2312.
XLSX_FONT = {"font_name": "微软雅黑", "font_size": 11, "font_scheme": "none", "font_charset": 134}


def escape_cell(value):
    """Make one cell inert in a spreadsheet: text starting with ``= + - @``, tab or CR gets a ``'``.

    Only text is touched: numbers, dates and empty values come back unchanged. Text that is a plain
    number (``'-12.5'``, ``'+3'``, ``'-1e3'``) is also left alone, because a spreadsheet reads it as
    that number and nothing else; ``'-1+2'`` or ``'+86 138...'`` are not plain numbers and get the
    ``'``.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def _prepare(df: pd.DataFrame, mask: bool) -> pd.DataFrame:
    """Masked copy with flat, text column names."""
    out = mask_frame(df) if mask else df.copy()
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [" / ".join(str(part) for part in column if str(part)) for column in out.columns]
    else:
        out.columns = [str(column) for column in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame, *, mask: bool = True) -> bytes:
    """CSV as UTF-8 with a BOM (so Excel shows Chinese), CRLF line ends, every text cell escaped.

    ``pandas.read_csv(io.BytesIO(data), encoding="utf-8-sig")`` reads it back; escaped text comes
    back with its leading ``'``.
    """
    out = _prepare(df, mask)
    for position, dtype in enumerate(out.dtypes):
        if not _is_plain_dtype(dtype):
            out.isetitem(position, out.iloc[:, position].map(escape_cell))
    out.columns = [escape_cell(column) for column in out.columns]
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _is_plain_dtype(dtype) -> bool:
    """Dtypes that cannot hold text, so they never need escaping."""
    return (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
    )


def safe_sheet_names(names: Iterable[str]) -> list[str]:
    """Excel-valid, unique sheet names in the same order.

    ``[ ] : * ? / \\`` become ``_``; leading and trailing ``'`` and spaces go; a blank name becomes
    ``Sheet``; ``History`` is reserved; names are cut to 31 characters and clashes (Excel ignores
    case) get `` (2)``, `` (3)``... within the limit.
    """
    result: list[str] = []
    taken: set[str] = set()
    for raw in names:
        name = _SHEET_FORBIDDEN.sub("_", str(raw)).strip(" '")[:SHEET_NAME_MAX].strip(" '") or "Sheet"
        if name.lower() == "history":
            name += "_"
        candidate, counter = name, 2
        while candidate.lower() in taken:
            suffix = f" ({counter})"
            candidate = name[: SHEET_NAME_MAX - len(suffix)].rstrip(" '") + suffix
            counter += 1
        taken.add(candidate.lower())
        result.append(candidate)
    return result


def _display_width(text: str) -> int:
    """Columns a text needs: CJK and other wide characters count twice."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _is_date_only(series: pd.Series) -> bool:
    """True when a datetime column has values and none of them has a time of day."""
    values = series.dropna()
    if values.empty:
        return False
    if values.dt.tz is not None:
        values = values.dt.tz_localize(None)
    return bool((values == values.dt.normalize()).all())


class _SheetWriter:
    """Writes one DataFrame to one worksheet, choosing the cell type value by value."""

    def __init__(self, workbook: xlsxwriter.Workbook, worksheet, df: pd.DataFrame):
        self.worksheet = worksheet
        self.df = df
        self.header = workbook.add_format({"bold": True})
        self.datetime = workbook.add_format({"num_format": DATETIME_FORMAT})
        self.date = workbook.add_format({"num_format": DATE_FORMAT})
        self.column_formats = [
            self.date
            if pd.api.types.is_datetime64_any_dtype(dtype) and _is_date_only(df.iloc[:, i])
            else self.datetime
            for i, dtype in enumerate(df.dtypes)
        ]

    def write(self) -> None:
        ws, df = self.worksheet, self.df
        widths = [_display_width(str(escape_cell(column))) for column in df.columns]
        for col, column in enumerate(df.columns):
            ws.write_string(0, col, escape_cell(column), self.header)
        for col in range(len(df.columns)):
            widths[col] = max(widths[col], self._write_column(col))
        for col, width in enumerate(widths):
            ws.set_column(col, col, min(max(width + 2, WIDTH_MIN), WIDTH_MAX))
        ws.freeze_panes(1, 0)
        if len(df.columns):
            ws.autofilter(0, 0, len(df), len(df.columns) - 1)

    def _write_column(self, col: int) -> int:
        """Write one column below the header; return the display width it needs (first rows).

        Columns of one plain type (numbers, booleans, datetimes) are written in a tight loop, the
        same cells :meth:`_write_cell` would write; anything else goes cell by cell through it.
        """
        ws, series = self.worksheet, self.df.iloc[:, col]
        dtype, width = series.dtype, 0
        sample = WIDTH_SAMPLE_ROWS
        if pd.api.types.is_bool_dtype(dtype) and not series.hasnans:
            for row, value in enumerate(series.to_numpy(dtype=bool).tolist(), start=1):
                ws.write_boolean(row, col, value)
            return 5 if len(series) else 0
        if pd.api.types.is_integer_dtype(dtype) and not series.hasnans:
            values = series.to_numpy(dtype="int64")
            if len(values) and np.abs(values).max() < XLSX_INT_MAX:
                for row, value in enumerate(values.tolist(), start=1):
                    ws.write_number(row, col, value)
                return max((len(str(v)) for v in values[:sample].tolist()), default=0)
        if pd.api.types.is_float_dtype(dtype):
            values = series.to_numpy(dtype="float64")
            for row, value in enumerate(values.tolist(), start=1):
                if math.isfinite(value):
                    ws.write_number(row, col, value)
                else:
                    ws.write_blank(row, col, None)
            return max((len(f"{v:.6g}") for v in values[:sample].tolist() if math.isfinite(v)), default=0)
        if pd.api.types.is_datetime64_any_dtype(dtype):
            # Excel's serial number (days since 1899-12-30) with a date format is what write_datetime writes.
            values = series.dt.tz_localize(None) if series.dt.tz is not None else series
            serial = ((values - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)).to_numpy(dtype="float64",
                                                                                          na_value=np.nan)
            cell_format = self.column_formats[col]
            for row, value in enumerate(serial.tolist(), start=1):
                if math.isnan(value):
                    ws.write_blank(row, col, None)
                else:
                    ws.write_number(row, col, value, cell_format)
            return len(DATE_FORMAT if cell_format is self.date else DATETIME_FORMAT) if series.notna().any() else 0
        for row, value in enumerate(series.tolist(), start=1):
            shown = self._write_cell(row, col, value)
            if row <= sample and shown:
                width = max(width, _display_width(shown))
        return width

    def _write_cell(self, row: int, col: int, value) -> str:
        """Write one value and return the text it shows (for the column width)."""
        ws = self.worksheet
        if value is None or (not isinstance(value, str) and _is_missing(value)):
            ws.write_blank(row, col, None)
            return ""
        if isinstance(value, (bool, np.bool_)):
            ws.write_boolean(row, col, bool(value))
            return "FALSE"
        if isinstance(value, numbers.Integral) and abs(int(value)) < XLSX_INT_MAX:
            ws.write_number(row, col, int(value))
            return str(int(value))
        if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
            if not math.isfinite(float(value)):
                ws.write_blank(row, col, None)
                return ""
            ws.write_number(row, col, float(value))
            return f"{float(value):.6g}"
        if isinstance(value, dt.datetime):
            value = pd.Timestamp(value)
            if value.tzinfo is not None:
                value = value.tz_localize(None)
            cell_format = self.column_formats[col]
            ws.write_datetime(row, col, value.to_pydatetime(warn=False), cell_format)
            return DATE_FORMAT if cell_format is self.date else DATETIME_FORMAT
        if isinstance(value, dt.date):
            ws.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), self.date)
            return DATE_FORMAT
        text = escape_cell(str(value))
        if len(text) > XLSX_STRING_MAX:
            text = text[: XLSX_STRING_MAX - 1] + "…"
        ws.write_string(row, col, text)
        return text


def _is_missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame], *, mask: bool = True) -> bytes:
    """An XLSX workbook with one sheet per entry, in order.

    Sheet names pass through ``safe_sheet_names``. Numbers are numbers (integers of 16 digits or
    more are written as text so no digit is lost), datetimes are real dates shown as
    ``yyyy-mm-dd hh:mm`` (``yyyy-mm-dd`` when a column has no time of day; time zones are dropped,
    keeping the wall-clock time), booleans are booleans, missing values are blank, and everything
    else is escaped text written with ``write_string``. Every cell is set in 微软雅黑 (:data:`XLSX_FONT`). The
    header row is bold, frozen and has filters; column widths follow the header and the first 1,000 rows. Raises ``ValueError`` when
    ``sheets`` is empty.
    """
    if not sheets:
        raise ValueError("to_xlsx_bytes needs at least one sheet")
    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "default_format_properties": dict(XLSX_FONT),
    }
    with xlsxwriter.Workbook(buffer, options) as workbook:
        for name, df in zip(safe_sheet_names(sheets), sheets.values()):
            _SheetWriter(workbook, workbook.add_worksheet(name), _prepare(df, mask)).write()
    return buffer.getvalue()
