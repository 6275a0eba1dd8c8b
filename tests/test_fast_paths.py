"""The load's fast paths give exactly what the plain paths give.

- Cells: ``cell(s)`` and ``code_cell(s)`` trim only cells that start or end with a space or a control character
  (``code_cell`` also those that start with ' or =), and equal their plain definitions.
- Timestamps: a column's own formats (found in a sample) are tried before ``parse_ts``; every format
  that may be tried that way reads no string differently from ``parse_ts``.
- XLSX: cells are converted a column at a time (datetimes in bulk), exactly as ``_cell_text`` does one
  by one, and totals rows are found as before.
"""

from __future__ import annotations

import csv
import random
import re
import math
from datetime import date, datetime, time, timedelta

import duckdb
import pytest

from etl.fields import SOURCES
from etl.readers import TOTALS_PATTERN, _cell_text, _column_texts, totals_rows
from etl.load import plan_file
from etl.staging import CLOCK_MARGIN, EARLIEST, FAST_TS_FORMATS, MACROS, TS_FORMATS, fast_ts_formats, install_macros, stage


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    install_macros(con)
    yield con
    con.close()


SPACES = [32, 160, 5760, *range(8192, 8203), 8239, 8287, 12288]
# The invisible characters pasted from web pages and WeChat (U+200B-U+200D, U+2060) and U+FEFF (a BOM in the middle of
# files joined together): a ticket number ending in one was a second ticket.
ZERO_WIDTH = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]
# What a cell is trimmed of: the spaces trim() removes, what str.strip() removes (as the XLSX readers trim), every
# ASCII control character, and those.
TRIMMED = sorted({*SPACES, *(c for c in range(0x110000) if chr(c).isspace()), *range(32), 127, *ZERO_WIDTH})
TRIM_CHARS = "".join(map(chr, TRIMMED))


def _macro(name: str) -> str:
    return re.search(rf"macro {name}\(s\) as \((.*?)\n\);", MACROS.read_text(encoding="utf-8"), re.S).group(1)


def test_the_characters_the_cell_macros_look_for_are_the_ones_they_trim(con):
    removed = con.execute(
        "select list(r order by r) from range(0, 1114112) t(r) "
        "where (r < 55296 or r > 57343) and length(trim(chr(r::integer) || 'a' || chr(r::integer))) = 1").fetchall()[0][0]
    assert removed == SPACES   # trim()'s own set, all of them in TRIMMED
    assert TRIMMED == [*range(33), 127, 133, 160, 5760, *range(8192, 8206), 8232, 8233, 8239, 8287, 8288, 12288, 65279]
    assert [int(n) for n in re.search(r"\[([\d,\s]*)\]", _macro("trim_cell")).group(1).split(",")] == TRIMMED
    for name, extra in (("cell", []), ("code_cell", [39, 61])):
        macro = _macro(name)
        first = re.search(r"unicode\(s\) < (\d+) or unicode\(s\) in \(([^)]*)\)", macro)
        assert sorted([*range(int(first.group(1))), *(int(n) for n in first.group(2).split(","))]) == sorted(TRIMMED + extra)
        last = re.search(r"regexp_matches\(s, '([^']*)'\)", macro).group(1)
        found = con.execute("select list(r order by r) from range(0, 1114112) t(r) where (r < 55296 or r > 57343) "
                            "and regexp_matches('a' || chr(r::integer), ?)", [last]).fetchall()[0][0]
        assert found == TRIMMED


def _code_cell(s: str | None) -> str | None:
    """What code_cell() gives, written plainly: trimmed, then ="…" or a leading ' taken off, then trimmed again."""
    if s is None:
        return None
    text = s.strip(TRIM_CHARS)
    wrapped = re.fullmatch(r'="(.*)"|\'(.*)', text, re.S)
    if wrapped:
        text = (wrapped.group(1) if wrapped.group(1) is not None else wrapped.group(2)).strip(TRIM_CHARS)
    return text or None


def test_cell_and_code_cell_equal_their_plain_definitions(con):
    others = ["\u200b", "\ufeff", "\u180e", "x", "中", "0", "'", "=", '"', '="', "\n"]
    pieces = [chr(c) for c in TRIMMED] + others
    texts = ["", "  ", "abc", "诉求内容很长" * 40, "中 文", None, '="GDT2026110100001"', "'GDT2026110100001",
             "\tGDT2026110100001", '\t="\t13912345678 "\r\n', "''K1", "=5", '=""', "'", "\t'门口'路灯不亮\n第二行\t"]
    for piece in pieces:
        for core in ("abc", "诉求内容", "", "a b", '="K1"', "'K1"):
            texts += [piece + core, core + piece, piece + core + piece, piece * 3 + core + piece * 2,
                      core + piece + core]
    rows = con.execute("select s, cell(s), code_cell(s) from (select unnest(?::varchar[]) as s)", [texts]).fetchall()
    assert [(s, got) for s, got, _ in rows if got != ((s or "").strip(TRIM_CHARS) or None)] == []
    assert [(s, got) for s, _, got in rows if got != _code_cell(s)] == []
    assert len(rows) == len(texts)
    # Free text keeps its quotation and the line break inside; a key loses its wrapping.
    assert con.execute("select cell(?), code_cell(?), code_cell(?)",
                       ["\t'门口'路灯不亮\r\n第二行\t\r\n", '="GDT2026110100001"', "'\t13912345678"]).fetchall() == [
        ("'门口'路灯不亮\r\n第二行", "GDT2026110100001", "13912345678")]


def test_the_format_list_is_the_one_parse_ts_tries():
    listed = re.search(r"\[\s*('%.*?)\]", MACROS.read_text(encoding="utf-8"), re.S).group(1)
    assert tuple(re.findall(r"'([^']*)'", listed)) == TS_FORMATS


def _render(moment: datetime, fmt: str, padded: bool) -> str:
    """``moment`` in ``fmt`` (DuckDB's specifiers), numbers zero-padded or not."""
    hour12 = moment.hour % 12 or 12
    values = {"%Y": f"{moment.year:04d}", "%m": moment.month, "%d": moment.day, "%H": moment.hour, "%I": hour12,
              "%M": moment.minute, "%S": moment.second, "%f": f"{moment.microsecond:06d}",
              "%p": "AM" if moment.hour < 12 else "PM"}
    out = fmt
    for spec, value in values.items():
        text = value if isinstance(value, str) else (f"{value:02d}" if padded else str(value))
        out = out.replace(spec, text)
    return out


def _corpus() -> list[str]:
    rng = random.Random(12345)
    moments = [datetime(2025, 1, 2, 3, 4, 5, 60000), datetime(2024, 12, 31, 23, 59, 59), datetime(2025, 10, 7, 12, 0, 0),
               datetime(2000, 1, 1, 0, 0, 0), datetime(2025, 2, 28, 13, 1, 9, 500000)]
    moments += [datetime(2015, 1, 1) + timedelta(seconds=rng.randrange(0, 15 * 365 * 86400)) for _ in range(40)]
    texts = []
    for moment in moments:
        for fmt in TS_FORMATS:
            for padded in (True, False):
                texts.append(_render(moment, fmt, padded))
    texts += ["2025-09-14T08:05:30", "2025-09-14T08:05:30+08:00", "2025-09-14T00:05:30Z", "2025-09-14 00:05:30.5Z",
              "2025-09-13T20:05:30-0400", "2025-09-14 08:05:30 +08:00", "2025-09-14 08:05-0100", "45914.5", "45914",
              "20250914", "99999", "2025-13-45 10:00", "2025-02-30 10:00:00", "2025-10-07 24:00:00", "2025-1007",
              "10/07/2025", "1/2/3", "10/07/25", "10/7/25 1:02 PM", "25/10/07", "2025/10/07 12:44 PM", "2025-10-07  12:44:00", " 2025-10-07 12:44:00", "2025-10-07 12:44:00 ",
              "2025年10月7日12:44", "2025年10月7日 12时", "2025.10.07T12:44", "2025-10-07 12:44:00.1234567", "0", "15个工作日"]
    return texts


def test_every_fast_format_reads_any_string_as_parse_ts_does(con):
    """A fast format either fails on a string or gives exactly ``parse_ts``'s result (whatever the
    other formats of the column): the fast path can never change a stored timestamp."""
    texts = _corpus()
    fast = ", ".join(f"try_strptime(s, ${i + 2})" for i in range(len(FAST_TS_FORMATS)))
    rows = con.execute(f"select s, parse_ts(s), {fast} from (select unnest($1::varchar[]) as s)",
                       [texts, *FAST_TS_FORMATS]).fetchall()
    wrong = [(s, fmt, got, slow) for s, slow, *results in rows for fmt, got in zip(FAST_TS_FORMATS, results)
             if got is not None and got != slow]
    assert wrong == []
    # The corpus does exercise the fast formats: most of its strings are read by one of them.
    assert sum(any(r is not None for r in results) for _, _, *results in rows) > len(rows) / 2


def test_a_column_gets_the_formats_it_is_written_in(con):
    con.execute("create or replace temp table sample (a varchar, b varchar, c varchar, d varchar)")
    con.executemany("insert into sample values (?, ?, ?, ?)", [
        [f"2025-10-{1 + i % 28:02d} 12:{i % 60:02d}:00" if i % 10 else f"2025/10/{1 + i % 28} 8:{i % 60:02d}",
         None, "张三", f"45{900 + i}.5"] for i in range(1000)])
    assert fast_ts_formats(con, "sample", ["a", "b", "c", "d"]) == {
        "a": ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"], "b": [], "c": [], "d": []}


def _write(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_staged_timestamps_equal_parse_ts_on_mixed_formats(con, tmp_path):
    """A column mostly in one format with every other format mixed in: each staged value is what
    ``parse_ts`` makes of the cell, and unreadable cells are still problems."""
    texts = _corpus()
    rows = [[f"T{i:05d}", f"2025-10-{1 + i % 28:02d} 0{i % 10}:1{i % 10}:00" if i % 3 else texts[i % len(texts)],
             texts[(i * 7) % len(texts)]] for i in range(3 * len(texts))]
    path = tmp_path / "mixed.csv"
    _write(path, ["工单编号", "来电时间", "派单时间"], rows)
    plan = plan_file(path)
    loaded_at = datetime(2026, 1, 1)  # the corpus runs to 2030: some of it lies after the load
    stage(con, plan.raw, SOURCES["hotline"], plan.mapping, plan.required, loaded_at=loaded_at)
    mismatches = con.execute(
        "select c.row_no, c.received_at, p.received_at, parse_ts(c.received_at), c.dispatched_at, p.dispatched_at "
        "from stg_cells c join stg_parsed p using (row_no) "
        "where p.received_at is distinct from parse_ts(c.received_at) or p.dispatched_at is distinct from parse_ts(c.dispatched_at)"
    ).fetchall()
    assert mismatches == []
    fast = fast_ts_formats(con, "stg_cells", ["received_at"])["received_at"]
    assert fast[0] == "%Y-%m-%d %H:%M:%S"
    bad = con.execute("select count(*) from stg_problems where field = 'received_at'").fetchall()[0][0]
    # Unreadable cells and cells read outside the plausible window (before 2000, after the load).
    assert bad == con.execute(
        "select count(*) from stg_cells where received_at is not null and (parse_ts(received_at) is null "
        "or parse_ts(received_at) not between ? and ?)", [EARLIEST, loaded_at + CLOCK_MARGIN]).fetchall()[0][0]
    assert bad > con.execute("select count(*) from stg_cells where received_at is not null and parse_ts(received_at) is null").fetchall()[0][0] > 0


def test_a_column_of_cells_converts_as_each_cell_does():
    values = [None, "  GD001 ", "", "   ", "\u3000中文\u3000", "a\tb", datetime(2025, 10, 7, 12, 44), datetime(2025, 10, 7, 12, 44, 5),
              date(2025, 10, 7), time(8, 5), timedelta(days=1, hours=6), 13812345678.0, 1.5, math.nan, 1e20, True, False, 42,
              datetime(1900, 1, 1), datetime(9999, 12, 31, 23, 59, 59)]
    assert _column_texts(values) == [_cell_text(v) for v in values]
    # Datetimes in bulk, unless one has a fraction of a second or a year before 1000 (strftime's own way).
    for odd in (datetime(2025, 10, 7, 12, 44, 5, 250000), datetime(999, 1, 2, 3, 4, 5)):
        column = [datetime(2024, 1, 1, 0, 0, 1), odd, None, "x"]
        assert _column_texts(column) == [_cell_text(v) for v in column]
    assert _column_texts(["a", None, " b "]) == ["a", None, "b"]


def test_totals_rows_are_found_as_row_by_row():
    rows = [["GD1", "2025-10-07", "张三"], ["合计：3条", None, None], [None, "总计", "3"], ["小计", "1", "2"],
            [None, None, None], ["说明", "合计", None], ["合计 3", "x", "y"]]

    def reference(row):
        texts = [t for t in row if t]
        return bool(texts) and bool(TOTALS_PATTERN.match(texts[0])) and len(texts) <= 2

    columns = [list(column) for column in zip(*rows)]
    keep, dropped = totals_rows(columns, len(rows))
    assert keep == [not reference(row) for row in rows]
    assert dropped == [" ".join(t for t in row if t) for row in rows if reference(row)]
    assert totals_rows([["a", "b"]], 2) == (None, [])


def test_the_load_memory_limit(monkeypatch):
    from etl.load import load_memory_limit

    monkeypatch.setenv("ONESCREEN_LOAD_MEMORY", "3GB")
    assert load_memory_limit() == "3GB"
    monkeypatch.delenv("ONESCREEN_LOAD_MEMORY")
    limit = load_memory_limit()
    assert limit.endswith("MB") and 0 < int(limit[:-2]) <= 1536
