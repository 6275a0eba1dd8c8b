"""The review pack as a Word document (.docx): what staff edit into the meeting's papers (通报).

The same header, sections, notes, tables and 口径 as the HTML report (``onescreen.report_render``), with
the same cell texts; changes coloured as there (green good news, red bad). Tables only: the charts stay
in the HTML report (drawing them as pictures needs a browser, which a server need not have). A4
landscape, because several sections have 10-16 columns; 宋体 text, 黑体 headings (fonts of the reader's
machine: nothing is embedded or fetched). Every text is set as a run's text, never parsed as markup.
"""

from __future__ import annotations

import io
from datetime import timezone
import re

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from onescreen.report import Report
from onescreen.report_render import (TABLE_SECTIONS, empty_text, _cell, _label, header_lines, kpi_cells, kpi_headers,
                                     shown_columns)

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LANGUAGE = "zh-CN"
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
TONE_COLOURS = {"up": RGBColor(0x1D, 0x7A, 0x3E), "down": RGBColor(0xB3, 0x26, 0x1E), "empty": RGBColor(0x7F, 0x8A, 0x99)}
GREY = RGBColor(0x4A, 0x58, 0x68)
HEADER_FILL = "EEF2F7"
TEXT_WIDTH_MM = 297 - 2 * 15   # A4 landscape less the margins
# What a character of 9 pt text takes (a Chinese one is square; Latin letters and digits a bit over half
# of that in the fonts Word and LibreOffice fall back to), and a cell's padding: its margins (CELL_MARGIN_TWIPS,
# 1 mm a side where Word's default is 1.9 mm) and a little slack.
WIDE_MM, NARROW_MM, CELL_PADDING_MM = 3.3, 2.1, 2.6
CELL_MARGIN_TWIPS = 57
# A table of more columns than this is set in 8 pt instead of 9 (最久未办结的工单 has 16).
MANY_COLUMNS = 10


def _properties(doc, title: str, generated_at) -> None:
    """The file's own properties (what 文件属性 and a records system show): the report's title and time, not
    python-docx's template's (作者 python-docx, 创建于 2013-12-23, a thumbnail of an empty portrait page)."""
    props = doc.core_properties
    props.title, props.author, props.comments, props.last_modified_by = _xml_text(title), "一屏", "", ""
    props.created = props.modified = generated_at.astimezone(timezone.utc)  # (naive: the server's local time)
    props.language = LANGUAGE
    package = doc.part.package
    for key, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            package.rels.pop(key)


def _language(doc) -> None:
    """Declare the text Chinese (zh-CN) where python-docx's template says en-US (and ja-JP for the theme's East Asian
    fonts): Word picks its proofing, line breaking (no line starting with ，or 。) and the East Asian theme font by
    these. ``w:val`` (Latin text) is zh-CN too: the Latin in this report is codes, units and figures (W41, N, %),
    which an English spelling checker would only underline.

    The template's stylesWithEffects part (a second copy of the styles, en-US, written for Word 2010) is left out:
    Word reads styles.xml, and a part saying en-US would contradict it."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), LANGUAGE)
    lang.set(qn("w:eastAsia"), LANGUAGE)
    theme_lang = doc.settings.element.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:eastAsia"), LANGUAGE)
    for key, rel in list(doc.part.rels.items()):
        if rel.reltype == STYLES_WITH_EFFECTS:
            doc.part.rels.pop(key)


def to_docx(report: Report) -> bytes:
    """The report as .docx bytes."""
    doc = Document()
    _language(doc)
    _page(doc)
    _font(doc.styles["Normal"], BODY_FONT, 10.5)
    for name, size in (("Title", 18), ("Heading 1", 14)):
        style = doc.styles[name]
        _font(style, HEADING_FONT, size)
        style.font.color.rgb = RGBColor(0x0B, 0x1F, 0x3A)

    title, scope_line, times_line = header_lines(report)
    _properties(doc, title, report.meta["generated_at"])
    doc.add_paragraph(_xml_text(title), style="Title")
    for line in (scope_line, times_line):
        _note(doc, line)

    sections = report.sections
    kpis = sections["kpis"]
    _heading(doc, kpis.title, kpis.note)
    _table(doc, list(kpi_headers(report.meta)), kpi_cells(kpis.frame, report.previous, report.year_ago), numbers_from=1)
    for key in TABLE_SECTIONS:
        section = sections[key]
        _heading(doc, section.title, section.note)
        frame = shown_columns(section.frame)
        if frame.empty:
            _note(doc, empty_text(section))
            continue
        _frame_table(doc, frame, section.labels)
    koujing = sections["koujing"]
    _heading(doc, koujing.title, koujing.note)
    for row in koujing.frame.itertuples():
        paragraph = doc.add_paragraph()
        paragraph.add_run(_xml_text(f"{row.label}：")).bold = True
        paragraph.add_run(_xml_text(row.text))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _page(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(15)
    section.top_margin = section.bottom_margin = Mm(15)


def _font(style, name: str, size: float) -> None:
    """``name`` for Latin and Chinese text alike (Word takes Chinese text's font from ``w:eastAsia``)."""
    style.font.name = name
    style.font.size = Pt(size)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):  # a theme font wins over a name
        fonts.attrib.pop(qn(theme), None)


def _heading(doc, title: str, note: str) -> None:
    doc.add_heading(_xml_text(title), level=1)
    if note:
        _note(doc, note)


def _note(doc, text: str) -> None:
    run = doc.add_paragraph().add_run(_xml_text(text))
    run.font.color.rgb = GREY
    run.font.size = Pt(9)


def _frame_table(doc, frame: pd.DataFrame, labels: dict[str, str] | None = None) -> None:
    """A section's table: Chinese headers, each cell as the HTML report writes it, numbers to the right."""
    rows = []
    for values in frame.itertuples(index=False, name=None):
        row = []
        for column, value in zip(frame.columns, values):
            text, is_number = _cell(column, value, escape=False)
            row.append((text, "number" if is_number else None))
        rows.append(row)
    _table(doc, [_label(c, labels) for c in frame.columns], rows)


def _table(doc, headers: list[str], rows: list[list[tuple[str, str | None]]], numbers_from: int | None = None) -> None:
    """A bordered table whose header row repeats on each page. A cell is (text, tone): a column with a
    tone (``number``, or a change's ``up``, ``down``, ``empty``, which also colour it) is aligned right,
    and with ``numbers_from`` every column from that one on."""
    right = [any(row[index][1] is not None for row in rows) or (numbers_from is not None and index >= numbers_from)
             for index in range(len(headers))]
    size = 8 if len(headers) > MANY_COLUMNS else 9
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(CELL_MARGIN_TWIPS))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.append(margins)
    header = table.rows[0]
    header._tr.get_or_add_trPr().append(_on(OxmlElement("w:tblHeader")))
    for cell, text, align in zip(header.cells, headers, right):
        _shade(cell, HEADER_FILL)
        _text(cell, text, right=align, size=size).bold = True
    for values in rows:
        for cell, (text, tone), align in zip(table.add_row().cells, values, right):
            run = _text(cell, text, right=align, size=size)
            if tone in TONE_COLOURS:
                run.font.color.rgb = TONE_COLOURS[tone]
    for column, width in zip(table.columns, column_widths(headers, rows, size=size)):
        column.width = Mm(width)
        for cell in column.cells:   # Word reads each cell's width, LibreOffice the column's
            cell.width = Mm(width)
    doc.add_paragraph()


def column_widths(headers: list[str], rows: list[list[tuple[str, str | None]]],
                  total: float = TEXT_WIDTH_MM, size: float = 9) -> list[float]:
    """Widths in mm filling ``total``: each column as wide as its longest cell in ``size`` pt (a header may
    wrap after two Chinese characters), and when they do not fit, the widest columns narrowed first (their
    text wraps)."""
    need = [max([min(_text_mm(header), 2 * WIDE_MM)] + [_text_mm(row[index][0]) for row in rows]) * size / 9
            + CELL_PADDING_MM for index, header in enumerate(headers)]
    if sum(need) <= total:
        return [width * total / sum(need) for width in need]
    low, high = 0.0, max(need)   # the cap c with sum(min(width, c)) == total
    for _ in range(40):
        cap = (low + high) / 2
        low, high = (cap, high) if sum(min(width, cap) for width in need) < total else (low, cap)
    return [min(width, low) for width in need]


# Characters XML 1.0 cannot hold (python-docx refuses them): control characters an export may carry in a
# name (a vertical tab typed in a spreadsheet cell). Left out of the document; the HTML and XLSX keep them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", str(text))


def _text_mm(text: str) -> float:
    return sum(WIDE_MM if ord(char) > 0x2E7F else NARROW_MM for char in text)


def _text(cell, text: str, right: bool, size: float):
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT
    run = paragraph.add_run(_xml_text(text))
    run.font.size = Pt(size)
    return run


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _on(element):
    element.set(qn("w:val"), "true")
    return element
