"""The review pack as files: a self-contained HTML page, an XLSX workbook, a Word document and JSON, all
from one Report.

- ``to_html(report)``: one file that opens and prints (A4) on a machine with no network. plotly.js is
  inlined from the installed plotly package, with every web address in it removed (map tiles, styles,
  CDN and licence links: the pack draws no map, so nothing is lost) except the XML namespace names that
  drawing SVG needs, which are identifiers, never fetched. Fonts are the system's. Every text from the
  warehouse is escaped.
- ``to_xlsx(report)``: one sheet per section (``onescreen.exports.to_xlsx_bytes``: numbers as numbers,
  text written as text and escaped when it starts with ``= + - @``).
- ``onescreen.report_docx.to_docx(report)``: the same tables and texts as the HTML, for editing into the
  meeting's papers (no charts).
- ``to_json(report)``: the same figures with English keys, ISO dates and null for missing values.
"""

from __future__ import annotations

import html
import json
import math
import numbers
import re
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache

import numpy as np
import pandas as pd
from plotly.offline import get_plotlyjs

from onescreen import audit
from onescreen.coverage import Coverage
from onescreen.exports import to_xlsx_bytes
from onescreen.report import COLUMN_LABELS, Report, missing_reasons
from onescreen.report_charts import FONT_FAMILY, report_figures
from onescreen.ui import settling_word

FORMATS = {"html": ("text/html; charset=utf-8", "html"),
           "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
           "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
           "json": ("application/json", "json")}
XML_NAMESPACES = frozenset({"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink",
                            "http://www.w3.org/2000/xmlns/", "http://www.w3.org/1999/xhtml",
                            "http://www.w3.org/XML/1998/namespace"})
# A web address up to the end of the string or comment it sits in ("*" excluded so "*/" survives).
_WEB_ADDRESS = re.compile(r"https?://[^\s\"'`\\)<>*]*")
SHEET_NAMES = {"kpis": "关键指标", "trend": "走势", "light_counts": "亮灯统计", "light_changes": "亮灯变化",
               "yellow_lights": "黄灯网格",
               "company_moves": "红黑榜变动", "company_lists": "红黑榜", "category_rises": "分类增幅",
               "unit_rises": "区域增幅", "oldest_open": "最久未办结", "escalation": "办结层级与吹哨",
               "repeat_callers": "重复诉求", "koujing": "口径"}
META_LABELS = {"title": "报告", "period_code": "周期代码", "period_label": "统计周期", "period_start": "起始日",
               "period_end": "截止日", "data_to": "工单受理至", "data_through": "工单受理至（时刻）", "previous_label": "上期", "yoy_label": "去年同期", "scope_name": "范围",
               "scope_code": "范围编号", "as_of": "数据截至", "is_complete": "周期已结束", "data_from": "工单受理始于",
               "previous_note": "上期说明", "yoy_note": "去年同期说明",
               "built_at": "指标生成时间", "rules_digest": "规则摘要", "generated_at": "报告生成时间"}


@lru_cache(maxsize=1)
def offline_plotlyjs() -> str:
    """The installed plotly.js with every web address removed except the XML namespace names."""
    return _WEB_ADDRESS.sub(lambda m: m.group(0) if m.group(0) in XML_NAMESPACES else "", get_plotlyjs())


def render(report: Report, fmt: str) -> bytes:
    """The report as ``html``, ``xlsx``, ``docx`` or ``json`` bytes (UTF-8 for the text formats)."""
    if fmt == "html":
        return to_html(report).encode("utf-8")
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "docx":
        from onescreen.report_docx import to_docx  # python-docx loads only when a Word file is asked for
        return to_docx(report)
    if fmt == "json":
        return to_json(report).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}")


def downloaded(report: Report, fmt: str, *, user: str, role: str, filters: dict) -> bytes:
    """The report rendered for a download from the 周报 page, recorded in the audit log as the 工单明细's downloads are
    (who, which report and format, the page's filters): it carries ticket numbers and the oldest open requests."""
    content = render(report, fmt)
    audit.record("export", user=user, role=role, detail=f"周报 {file_name(report, fmt)}（已脱敏）", filters=filters)
    return content


def file_name(report: Report, fmt: str) -> str:
    """``全区周报-2025-W41.html``."""
    return f"{report.meta['title']}-{report.period.code}.{FORMATS[fmt][1]}"


def _plain(value):
    """A JSON-ready Python value: None for missing, int/float/bool/str, ISO text for dates."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, datetime):
        return pd.Timestamp(value).to_pydatetime().isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_dict(report: Report) -> dict:
    """The report as plain data: ``{"meta": {...}, "sections": {key: {title, note, columns, rows}}}``."""
    sections = {}
    for key, section in report.sections.items():
        frame = section.frame
        sections[key] = {
            "title": section.title,
            "note": section.note,
            "columns": {column: section.column_label(column) for column in frame.columns},
            "rows": [{column: _plain(value) for column, value in zip(frame.columns, values)}
                     for values in frame.itertuples(index=False, name=None)],
        }
    return {"meta": {k: _plain(v) for k, v in report.meta.items()}, "sections": sections}


def to_json(report: Report) -> str:
    """The report as indented JSON (UTF-8 text, Chinese kept as is)."""
    return json.dumps(to_dict(report), ensure_ascii=False, indent=2, allow_nan=False)


def _labelled(frame: pd.DataFrame, labels: dict[str, str] | None = None) -> pd.DataFrame:
    return frame.rename(columns={c: _label(c, labels) for c in frame.columns})


def _label(column: str, labels: dict[str, str] | None = None) -> str:
    """A column's Chinese header: the section's own (``labels``, a period under way's 上月同期), else COLUMN_LABELS."""
    return (labels or {}).get(column) or COLUMN_LABELS.get(column, column)


def to_xlsx(report: Report) -> bytes:
    """An XLSX workbook: a summary sheet (period, area, 数据截至, each section's note), then one sheet per
    section with Chinese headers (a section without rows: one 说明 cell, the sentence the HTML report shows)."""
    summary = [(META_LABELS[k], _summary_value(report.meta[k])) for k in META_LABELS if k in report.meta]
    summary += [(f"{s.title}：说明", s.note) for s in report.sections.values() if s.note]
    sheets = {"概要": pd.DataFrame(summary, columns=["项目", "内容"])}
    for key, section in report.sections.items():
        frame = _labelled(_for_readers(section.frame), section.labels)
        if frame.empty and key in TABLE_SECTIONS:  # a sheet of headers alone said nothing: the sentence the HTML says
            frame = pd.DataFrame({COLUMN_LABELS["note"]: [empty_text(section)]})
        sheets[SHEET_NAMES.get(key, section.title)] = frame
    return to_xlsx_bytes(sheets)


UNIT_WORDS = {"count": "件", "pct": "%", "workdays": "工作日", "score": "分"}


def _for_readers(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as the HTML report rounds them (rates, scores and working days overdue to 0.1, other decimals to
    0.01) and yes/no as 是/否: a workbook for a meeting showed 96.63770986181753 and TRUE. (The JSON keeps full
    precision.)"""
    out = frame.copy()
    units = out["unit"] if "unit" in out else None
    if units is not None:  # the key figures' unit codes, in words
        out["unit"] = units.map(lambda u: UNIT_WORDS.get(u, u))
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].map({True: "是", False: "否"})
        elif pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(1 if column in RATE_COLUMNS or column in ONE_DECIMAL_COLUMNS else 2)
    if units is not None:  # each key figure, and its changes, to the decimals its unit is shown with (96.2%, not 96.18)
        digits = units.map(lambda u: UNIT_DIGITS.get(u, 2))
        for column in UNIT_VALUE_COLUMNS:
            if column in out and pd.api.types.is_float_dtype(out[column]):
                out[column] = [value if pd.isna(value) else round(value, places)
                               for value, places in zip(out[column], digits)]
    return out


# The decimals a key figure of each unit is shown with (the HTML report's _fmt_value and _change), and the columns of
# the key figures' table in that unit.
UNIT_DIGITS = {"count": 0, "pct": 1, "workdays": 2}
UNIT_VALUE_COLUMNS = ("value", "previous_value", "change", "yoy_value", "yoy_change", "target")


def _summary_value(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- HTML --------------------------------------------------------------------------------------------

CSS = f"""
:root {{ color-scheme: light; }}
body {{ font-family: {FONT_FAMILY}; color: #1b2430; margin: 0 auto; padding: 16px 20px; max-width: 1500px;
       font-size: 14px; line-height: 1.5; background: #fff; }}
h1 {{ font-size: 22px; margin: 0 0 4px 0; color: #0b1f3a; }}
h2 {{ font-size: 17px; margin: 22px 0 6px 0; color: #0b1f3a; border-bottom: 2px solid #1f4e99; padding-bottom: 2px; }}
.sub {{ color: #4a5868; margin: 2px 0; }}
.note {{ color: #4a5868; font-size: 12.5px; margin: 4px 0 6px 0; }}
table {{ border-collapse: collapse; width: 100%; font-size: 12.5px; margin: 4px 0; }}
th, td {{ border: 1px solid #c9d1db; padding: 3px 6px; text-align: left; vertical-align: top; }}
th {{ background: #eef2f7; font-weight: 600; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
.up {{ color: #1d7a3e; }} .down {{ color: #b3261e; }}
.empty {{ color: #7f8a99; font-style: italic; }}
.chart {{ margin: 6px 0; }}
dl.koujing dt {{ font-weight: 600; margin-top: 6px; }}
dl.koujing dd {{ margin: 0 0 0 1em; font-size: 12.5px; color: #333; }}
@page {{ size: A4 landscape; margin: 12mm 12mm; }}
/* On a screen the page was the width of portrait A4 (190 mm): the 16 columns of 最久未办结的工单 wrapped 社区, 网格
   and 承办单位 one character a line. A screen gets up to 1500 px, a table wider than that scrolls in its box, headers
   and short cells (td.nw) stay on one line and longer text keeps a readable width; paper keeps the A4 layout. */
@media screen {{
  .table-wrap {{ overflow-x: auto; }}
  th, td.nw {{ white-space: nowrap; }}
  td:not(.nw):not(.num) {{ min-width: 9em; }}
}}
/* On paper (A4 landscape, 273 mm of text) the 16 columns of 最久未办结的工单 and the 12 of the light tables wrapped
   times, 办理中 and 社区 a few characters a line (转红 one character a line) at 12.5 px. Numbers and short cells stay
   on one line, and a table of WIDE_COLUMNS or more (table.wide) is set at 7.5 pt, which fits all 16 columns
   (chromium's page.pdf, tests/browser/test_report_print.py), its headers three characters a line at the least (是否超期
   stood one a line, 超期（工作日） four lines at two); longer text (an address, a reason) still wraps. */
@media print {{
  body {{ max-width: none; padding: 0; font-size: 10.5pt; }}
  td.nw, td.num {{ white-space: nowrap; }}
  table.wide {{ font-size: 7.5pt; }}
  table.wide th, table.wide td {{ padding: 2px 3px; }}
  table.wide th {{ min-width: 3em; }}
  h2 {{ break-after: avoid; page-break-after: avoid; }}
  .chart, tr {{ break-inside: avoid; page-break-inside: avoid; }}
  thead {{ display: table-header-group; }}
  .no-print {{ display: none; }}
}}
"""

RATE_COLUMNS = {"response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate", "share", "change_pct",
                "yoy_change_pct"}
# Shown to 0.1 like the rates, as the other pages show them: a property company's score (the lists and the big
# screen say 79.0, not 79 or 79.00) and working days overdue or left (工单明细 says 238.5, not 238.48).
ONE_DECIMAL_COLUMNS = {"score", "overdue_workdays", "remaining_workdays"}
COUNT_COLUMNS = {"ticket_count", "previous_ticket_count", "change", "overdue_count", "grid_count",
                 "previous_grid_count", "count", "denominator", "rank", "previous_rank", "rank_change",
                 "consecutive_red_periods", "consecutive_black_months", "on_time_denominator", "near_deadline_count",
                 "consecutive_yellow_periods"}


# Changes in a section's table (a light's grid count against last period, a category's rise): written with their
# sign, +19 and −3 (a true minus, as the key figures write their changes), 0 without one.
# A company's move in rank too (名次变化: +2 rose two places), as the big screen's arrows say which way.
SIGNED_COLUMNS = {"change", "change_pct", "rank_change"}


# Machine codes kept in the data (JSON, XLSX) but not shown to readers.
CODE_COLUMNS = ("metric", "unit", "key", "light")


def _digits(column: str, integral: bool) -> int:
    """Decimals a number column is shown with, on the page and in the HTML report: rates, scores and working days
    overdue 1 (without thousands separators, as the other pages), counts and integer columns 0, other numbers 2."""
    if column in RATE_COLUMNS or column in ONE_DECIMAL_COLUMNS:
        return 1
    return 0 if column in COUNT_COLUMNS or integral else 2


def _number_text(column: str, value: int | float) -> str:
    digits = _digits(column, isinstance(value, int))
    if column in SIGNED_COLUMNS:
        return signed(value, digits)
    return f"{value:.1f}" if digits == 1 else f"{value:,.{digits}f}"


def signed(value: int | float, digits: int) -> str:
    """A change as the report writes it: ``+1,785``, ``−3`` (U+2212), ``+0.12``; one that rounds to zero ``0``."""
    if round(abs(value), digits) == 0:
        return f"{0:.{digits}f}"
    return f"{'+' if value > 0 else '−'}{abs(value):,.{digits}f}"


def signed_formats(frame: pd.DataFrame, labels: dict[str, str] | None = None) -> dict[str, Callable]:
    """The text of each change column of :func:`display_frame` (by its Chinese header), for the page: a printf
    format (:func:`number_formats`) writes no minus sign but ``-`` and signs a zero, so the page shows these
    through a pandas Styler, as the HTML report writes its cells; the numbers stay numbers underneath."""
    formats = {}
    for column in frame.columns:
        if column in SIGNED_COLUMNS and pd.api.types.is_numeric_dtype(frame[column]) \
                and not pd.api.types.is_bool_dtype(frame[column]):
            formats[_label(column, labels)] = \
                lambda value, column=column: None if _plain(value) is None else _number_text(column, _plain(value))
    return formats


def display_frame(frame: pd.DataFrame, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """A section's table as a reader sees it on the page: Chinese headers, machine codes left out, yes/no as 是/否,
    times as ``2025-10-07 12:44``. Numbers stay numbers (so the table right-aligns them and sorts them as
    numbers); :func:`number_formats` says how each is shown, as the HTML report rounds it. Missing is None."""
    shown = shown_columns(frame)
    out = {}
    for column in shown.columns:
        values = shown[column]
        if pd.api.types.is_bool_dtype(values):
            values = values.map({True: "是", False: "否"})
        elif pd.api.types.is_numeric_dtype(values):
            values = values.astype("Float64" if pd.api.types.is_float_dtype(values) else "Int64")
        else:
            values = pd.Series([None if _plain(v) is None else _cell(column, v, escape=False)[0] for v in values],
                               index=values.index, dtype=object)
        out[_label(column, labels)] = values
    return pd.DataFrame(out, index=shown.index)


def number_formats(frame: pd.DataFrame, labels: dict[str, str] | None = None) -> dict[str, str]:
    """The printf format of each number column of :func:`display_frame` (by its Chinese header), for the page's
    ``st.column_config.NumberColumn``: ``%.1f`` for rates, ``%,d`` for counts, ``%,.2f`` for other decimals."""
    formats = {}
    frame = shown_columns(frame)  # (a number written 至少 N is text there)
    for column in frame.columns:
        if column in SIGNED_COLUMNS or pd.api.types.is_bool_dtype(frame[column]) \
                or not pd.api.types.is_numeric_dtype(frame[column]):
            continue  # (changes: signed_formats)
        digits = _digits(column, pd.api.types.is_integer_dtype(frame[column]))
        formats[_label(column, labels)] = {0: "%,d", 1: "%.1f", 2: "%,.2f"}[digits]
    return formats


def _cell(column: str, value, escape: bool = True) -> tuple[str, bool]:
    """(text, is a number) for one table cell; text HTML-escaped unless ``escape`` is False."""
    quote = html.escape if escape else str
    value = _plain(value)
    if value is None:
        return "—", False
    if isinstance(value, bool):
        return ("是" if value else "否"), False
    if isinstance(value, (int, float)):
        return _number_text(column, value), True
    if column.endswith("_at") and "T" in value:  # received_at, due_at, first_received_at ...
        return quote(value.replace("T", " ")[:16]), False
    return quote(value), False


def _table(frame: pd.DataFrame, empty: str = "本期没有。", labels: dict[str, str] | None = None) -> str:
    if frame.empty:
        return f'<p class="empty">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(_label(c, labels))}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, values):
            text, is_number = _cell(column, value)
            cells.append(f'<td class="num">{text}</td>' if is_number
                         else f'<td class="nw">{text}</td>' if len(html.unescape(text)) <= SHORT_TEXT
                         and (column not in WRAPPING_COLUMNS or text == "—") else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    table = '<table class="wide">' if len(frame.columns) >= WIDE_COLUMNS else "<table>"
    return f'<div class="table-wrap">{table}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


# A table with this many columns or more is printed in smaller type (CSS table.wide): the light tables (12) and the
# oldest open tickets (16) fit A4 landscape's width with their short cells on one line.
WIDE_COLUMNS = 12

# A text cell this short (a community, a grid, a department, a time) is kept on one line on a screen (CSS td.nw).
SHORT_TEXT = 16

# Columns whose text is a phrase, however short, free to wrap: kept on one line, the addresses of 最久未办结的工单
# (白石江路269号附近) took 144 px of A4's 1032 and squeezed 超期（工作日） to four lines.
WRAPPING_COLUMNS = {"address"}


def _fmt_value(unit: str, value) -> str:
    value = _plain(value)
    if value is None:
        return "—"
    if unit == "pct":
        return f"{value:.1f}%"
    if unit == "workdays":
        return f"{value:.2f} 个工作日"
    return f"{value:,.0f}"


def _change(unit: str, change, change_pct, *, up_is_good: bool | None, settling: bool = False,
            previous: Coverage | None = None, metric: str = "") -> tuple[str, str | None]:
    """(text, tone) of a change: tone ``"up"`` when it is good news, ``"down"`` when bad, ``"empty"`` when
    missing, ``None`` when neither (no change as shown, or a measure that is neither: ``up_is_good=None``).
    Good and bad news also say so in words (``+1.3 个百分点（改善）``): a report is printed in black and white,
    and read by people who cannot tell its green from its red. ``settling``: one of the two windows is still
    being handled (``kpi_tiles``' is_provisional), so the change is ``（暂不评判）`` (``（回访未完，暂不评判）`` for a
    ``metric`` that waits for callbacks), neither. ``previous``: how
    much of the window compared with the data cover (:mod:`onescreen.coverage`): a count's change against one
    they cover in part, or any against one they miss, is ``上期数据不全`` (``无上期数据``); another change against
    one they cover in part says ``（上期数据不全）``, neither good nor bad."""
    if previous is not None and previous.withholds(unit):
        return previous.mark, "empty"
    if previous is not None and previous.is_partial:
        text, _tone = _change(unit, change, change_pct, up_is_good=None)
        return (text if text == "—" else f"{text}（{previous.mark}）"), None
    change = _plain(change)
    if change is None:
        return "—", "empty"
    digits = {"pct": 1, "workdays": 2}.get(unit, 0)
    if round(abs(change), digits) == 0:  # "+0.0 个百分点" would call a change nobody can see good or bad
        return "持平", None
    text = signed(change, digits) + {"pct": " 个百分点", "workdays": " 个工作日"}.get(unit, "")
    pct = _plain(change_pct)
    if unit not in ("pct", "workdays") and pct is not None:
        sign = "+" if change > 0 else "−"  # the count's sign: a rise of 0.04% is still a rise
        text += f"（{sign}{abs(pct):.1f}%）"
    if up_is_good is None:
        return text, None
    if settling:
        return f"{text}（{settling_word(metric)}）", None
    good = (change > 0) == up_is_good
    return f"{text}（{'改善' if good else '变差'}）", "up" if good else "down"


LOWER_IS_BETTER = {"overdue_count", "near_deadline_count", "avg_handling_workdays", "property_complaint_count"}
# Neither good nor bad news: how many requests came in, and how often departments were called in (吹哨, 会商).
NEUTRAL = {"ticket_count", "whistle_count", "consultation_count"}


KPI_HEADERS = ("指标", "本期", "上期", "环比", "去年同期", "同比", "目标", "N")


def kpi_headers(meta: dict) -> tuple[str, ...]:
    """The key figures' headers: :data:`KPI_HEADERS`, or for a period under way what it is compared with
    (``上月同期``, ``较上月同期``, ``较去年同期``)."""
    if not meta.get("data_to"):
        return KPI_HEADERS
    return ("指标", "本期", meta["previous_word"], meta["against"], "去年同期", meta["yoy_against"], "目标", "N")


def kpi_cells(kpis: pd.DataFrame, previous: Coverage | None = None,
              year_ago: Coverage | None = None) -> list[list[tuple[str, str | None]]]:
    """The key figures' cells as the report shows them: (plain text, tone) per cell, tone as
    :func:`_change` gives it on the two changes, ``None`` elsewhere. ``previous``: how much of the window compared
    with the data cover (``Report.previous``); ``year_ago``: of 去年同期 (``Report.year_ago``, for the 同比). A figure a window has none of says why (``无工单``, ``无可计算样本``:
    :func:`onescreen.report.missing_reasons`; tone ``"empty"``), not ``—``."""
    reasons = missing_reasons(kpis)

    def value(r, column: str) -> tuple[str, str | None]:
        why = reasons.at[r.Index, column]
        return (why, "empty") if isinstance(why, str) else (_fmt_value(r.unit, getattr(r, column)), None)

    rows = []
    for r in kpis.itertuples():
        good = None if r.metric in NEUTRAL else r.metric not in LOWER_IS_BETTER
        n = ""
        if r.unit == "pct" and _plain(r.denominator) is not None:
            n = f"{_plain(r.numerator):,.0f} / {_plain(r.denominator):,.0f}"
        target = f"{r.target:g}%" if _plain(r.target) is not None else ""
        rows.append([(r.label, None), value(r, "value"), value(r, "previous_value"),
                     _change(r.unit, r.change, r.change_pct, up_is_good=good,
                             settling=bool(getattr(r, "is_provisional", False))
                             or bool(getattr(r, "is_previous_provisional", False)), previous=previous, metric=r.metric),
                     value(r, "yoy_value"),
                     _change(r.unit, r.yoy_change, r.yoy_change_pct, up_is_good=good,
                             settling=bool(getattr(r, "is_provisional", False)), previous=year_ago, metric=r.metric),
                     (target, None), (n, None)])
    return rows


def _html_cell(text: str, tone: str | None) -> str:
    return f'<span class="{tone}">{html.escape(text)}</span>' if tone else html.escape(text)


def _kpi_table(kpis: pd.DataFrame, headers: tuple[str, ...] = KPI_HEADERS, previous: Coverage | None = None,
               year_ago: Coverage | None = None) -> str:
    head = "<tr>" + "".join(f"<th>{h}</th>" for h in headers) + "</tr>"
    rows = ["<tr><td>" + html.escape(cells[0][0]) + "</td>"
            + "".join(f"<td class='num'>{_html_cell(*cell)}</td>" for cell in cells[1:]) + "</tr>"
            for cells in kpi_cells(kpis, previous, year_ago)]
    return f'<div class="table-wrap"><table><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'


def kpi_display_frame(kpis: pd.DataFrame, headers: tuple[str, ...] = KPI_HEADERS,
                      previous: Coverage | None = None, year_ago: Coverage | None = None) -> pd.DataFrame:
    """The key figures as the HTML report's table, in plain text (the weekly page shows this): each
    change in its own unit (+1.3 个百分点, +0.12 个工作日, +1,785（+8.7%）), never a rate's change as a count.
    ``headers``: :func:`kpi_headers` of the report; ``previous``, ``year_ago``: its ``Report.previous``, ``year_ago``."""
    return pd.DataFrame([[text for text, _tone in cells] for cells in kpi_cells(kpis, previous, year_ago)],
                        columns=list(headers))


def _chart(key: str, fig) -> str:
    return '<div class="chart">' + fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{key}",
                                               config={"displayModeBar": False, "responsive": False}) + "</div>"


def _section(section, body: str) -> str:
    note = f'<p class="note">{html.escape(section.note)}</p>' if section.note else ""
    return f'<section id="{section.key}"><h2>{html.escape(section.title)}</h2>{note}{body}</section>'


# The sections shown as a table, in the report's order (the key figures before them, 口径 after), and what
# each says when it has no rows.
TABLE_SECTIONS = ("trend", "light_counts", "light_changes", "yellow_lights", "company_moves", "company_lists",
                  "category_rises", "unit_rises", "oldest_open", "escalation", "repeat_callers")
EMPTY_TEXTS = {"trend": "没有走势数据。", "light_changes": "本期没有红灯网格，也没有红灯恢复的网格。",
               "yellow_lights": "本期没有黄灯网格。", "company_moves": "本月红黑榜没有变动。",
               "company_lists": "本月没有上榜企业。", "category_rises": "没有受理量增加的分类。",
               "unit_rises": "没有受理量增加的区域。", "oldest_open": "没有未办结的工单。",
               "repeat_callers": "本期没有重复诉求。"}


def empty_text(section) -> str:
    """What a section without rows says: its own sentence (a 周报 withholding 物业红黑榜's moves says why), else the
    usual one (:data:`EMPTY_TEXTS`)."""
    return section.empty or EMPTY_TEXTS.get(section.key, "本期没有。")


# A flag saying a number column is a lower bound (a run on the black list that may have begun before the data:
# onescreen.coverage.streak_at_least): the data (JSON, XLSX) keep the number and the flag; a reader (the page, HTML,
# Word) reads the number as 至少 N and no flag column.
AT_LEAST_FLAGS = {"is_black_streak_at_least": "consecutive_black_months"}


def shown_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as readers see it: without the machine codes (:data:`CODE_COLUMNS`), and a number flagged as a lower
    bound (:data:`AT_LEAST_FLAGS`) written ``至少 N``, its flag left out."""
    out = frame.drop(columns=[c for c in CODE_COLUMNS if c in frame.columns])
    for flag, column in AT_LEAST_FLAGS.items():
        if flag not in out:
            continue
        if column in out and out[flag].any():
            out[column] = pd.array([f"至少 {int(n)}" if at_least and pd.notna(n) else n
                                    for n, at_least in zip(out[column], out[flag])], dtype=object)
        out = out.drop(columns=flag)
    return out


def header_lines(report: Report) -> tuple[str, str, str]:
    """The report's title, its scope and comparison line, and its times line (plain text)."""
    meta = report.meta
    incomplete = "" if meta["is_complete"] else "（本周期尚未结束，数字为截至数据截至时）"
    compared = f"上期 {meta['previous_label']}；去年同期 {meta['yoy_label']}"
    if meta.get("data_to"):  # a period under way: its days so far against the same days (the labels say which)
        incomplete = (f"（本周期尚未结束，工单只到 {meta['data_through']}：与{meta['previous_word']}、去年同期的"
                      "相同天数比较）")
        compared = f"{meta['previous_label']}；{meta['yoy_label']}"
    if meta.get("data_from"):
        incomplete += f"（已导入的工单从 {meta['data_from']:%Y-%m-%d} 起受理，本期只含其后的部分）"
    if meta.get("previous_note"):  # the window compared with began before the data did (or ended before them)
        compared = compared.replace("；", f"，{meta['previous_note']}；", 1)
    if meta.get("yoy_note"):  # 去年同期 began before the data did (in their first year: ended before them)
        compared += f"，{meta['yoy_note']}"
    return (f"{meta['title']}：{meta['period_label']}",
            f"范围：{meta['scope_name']}　对比：{compared}",
            f"数据截至 {meta['as_of']:%Y-%m-%d %H:%M}{incomplete}　指标生成于 {meta['built_at']:%Y-%m-%d %H:%M}"
            f"（规则 {meta['rules_digest']}）　报告生成于 {meta['generated_at']:%Y-%m-%d %H:%M}")


def to_html(report: Report, *, charts: bool = True) -> str:
    """The report as one HTML document that needs nothing from the network (see the module docstring)."""
    meta, sections = report.meta, report.sections
    figures = report_figures(report) if charts else {}

    def chart(key: str) -> str:
        return _chart(key, figures[key]) if key in figures else ""

    title, scope_line, times_line = header_lines(report)
    parts = [
        f"<header><h1>{html.escape(title)}</h1>",
        f"<p class='sub'>{html.escape(scope_line)}</p>",
        f"<p class='sub'>{html.escape(times_line)}</p></header>",
        _section(sections["kpis"], _kpi_table(sections["kpis"].frame, kpi_headers(meta), report.previous, report.year_ago)
                 + chart("kpis")),
        *(_section(sections[key], chart(key) + _table(shown_columns(sections[key].frame), empty_text(sections[key]),
                                                      sections[key].labels))
          for key in TABLE_SECTIONS),
        _section(sections["koujing"], "<dl class='koujing'>" + "".join(
            f"<dt>{html.escape(r.label)}</dt><dd>{html.escape(r.text)}</dd>"
            for r in sections["koujing"].frame.itertuples()) + "</dl>"),
    ]
    script = f"<script>{offline_plotlyjs()}</script>" if figures else ""
    title = html.escape(f"{meta['title']} {meta['period_label']}")
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            f"<style>{CSS}</style>{script}</head><body>{''.join(parts)}</body></html>\n")
