"""Staging: the raw text cells of one export renamed to canonical fields, cast, normalised and checked.

Only renaming, casting and normalising happen here (dbt's staging layer). Every cell that cannot be
read becomes a :class:`Problem` naming the file, row, header and (masked) value; the good rows land
in the temporary table ``stg_rows`` with one typed column per canonical field.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd
import pyarrow as pa

from etl.errors import LoadError, Problem
from etl.fields import DEADLINE_UNITS, Source, column_labels, columns_named, header_unit, same_named, score_scale
from etl.readers import TOTALS_PATTERN, RawTable, error_cell_message, totals_rows, undecodable_error
from onescreen.masking import (NAME_LABELS, NAME_ROLES, UNIT_ENDINGS, caller_names, mask_name_in_unit, mask_value,
                               scrub_number, scrub_text)

MACROS = Path(__file__).parent / "sql" / "macros.sql"
PERSONAL_FIELDS = {"caller_name", "caller_phone", "address", "content"}

# Normalised spellings: key (lower-case, trimmed) -> stored value.
ENUMS: dict[str, dict[str, str]] = {
    "bool": {
        "是": "true", "已解决": "true", "解决": "true", "基本解决": "true", "已吹哨": "true", "已会商": "true", "1": "true",
        "true": "true", "y": "true", "yes": "true", "√": "true",
        "否": "false", "未解决": "false", "没有解决": "false", "不解决": "false", "未吹哨": "false", "未会商": "false", "0": "false",
        "false": "false", "n": "false", "no": "false", "×": "false",
    },
    "satisfaction": {
        "满意": "满意", "非常满意": "满意", "很满意": "满意", "十分满意": "满意",
        "基本满意": "基本满意", "比较满意": "基本满意", "一般": "基本满意",
        "不满意": "不满意", "非常不满意": "不满意", "很不满意": "不满意",
        "未评价": "", "未回访": "", "无法联系": "", "拒绝评价": "", "无": "", "/": "", "-": "",
    },
    "appeal_type": {
        "咨询": "咨询", "咨询类": "咨询", "求助": "求助", "求决": "求助", "求助类": "求助",
        "投诉": "投诉", "投诉类": "投诉", "举报": "举报", "举报类": "举报",
        "建议": "建议", "意见": "建议", "意见建议": "建议", "建议类": "建议",
    },
    "handling_level": {
        "网格": "网格", "网格级": "网格", "社区": "社区", "社区级": "社区", "村": "社区", "村级": "社区",
        "街道": "街道", "街道级": "街道", "镇": "街道", "乡镇": "街道", "区": "区", "区级": "区", "区直部门": "区",
        "市": "区", "市级": "区",
    },
    "source": {
        "12345": "12345热线", "12345热线": "12345热线", "市民热线": "12345热线", "政务服务便民热线": "12345热线",
        "热线": "12345热线", "网格员上报": "网格员上报", "网格员": "网格员上报", "网格上报": "网格员上报",
        "巡查上报": "网格员上报", "视频巡查": "视频巡查", "视频": "视频巡查", "视频监控": "视频巡查",
        "随手拍": "随手拍", "微信随手拍": "随手拍", "app随手拍": "随手拍", "110非警务": "110非警务",
        "110": "110非警务", "110联动": "110非警务", "非警务警情": "110非警务", "来访": "来访", "走访": "来访",
        "现场来访": "来访",
    },
    "status": {
        "办理中": "办理中", "在办": "办理中", "处理中": "办理中", "处置中": "办理中", "已派单": "办理中",
        "待签收": "办理中", "已签收": "办理中", "待办理": "办理中", "待派单": "待派单", "待受理": "待派单",
        "已办结": "已办结", "办结": "已办结", "已结案": "已办结", "结案": "已办结", "已完成": "已办结",
        "已回访": "已办结", "已关闭": "已办结", "已归档": "已办结",
        "已退单": "已退单", "退单": "已退单", "退回": "已退单", "已退回": "已退单",
        "延期": "延期", "已延期": "延期", "延期中": "延期", "重办": "重办", "重新办理": "重办",
        "已撤销": "已撤销", "撤销": "已撤销", "作废": "已撤销",
    },
}
STRICT_ENUMS = {"bool", "satisfaction", "appeal_type", "handling_level"}
ENUM_HELP = {
    "bool": "只能填 是 或 否",
    "satisfaction": "只能是 满意、基本满意、不满意 或留空",
    "appeal_type": "只能是 咨询、求助、投诉、举报、建议",
    "handling_level": "只能是 网格、社区、街道、区",
}

# Canonical field -> kind. Fields not listed are text.
KINDS: dict[str, str] = {
    "received_at": "ts", "dispatched_at": "ts", "responded_at": "ts", "resolved_at": "ts",
    "due_at": "deadline", "callback_at": "ts", "inspected_on": "date",
    "is_resolved": "bool", "is_whistle": "bool", "is_consultation": "bool", "satisfaction": "satisfaction",
    "appeal_type": "appeal_type", "handling_level": "handling_level", "source": "source", "status": "status",
    "lon": "lon", "lat": "lat", "score": "score",
    "households": "count", "population": "count", "red_households": "count",
    "yellow_households": "count", "green_households": "count",
}

REQUIRED_HELP = "请在该行补上后重新导入，或使用 --skip-bad-rows 只导入其余行。"

# The window a ticket or inspection time must lie in; outside it the cell is as bad as an unreadable
# one. A year before 2000 is a typo (1925 for 2025) or a two-digit year read as year 25; a time after
# the load is a typo (2062 for 2026) that would push 数据截至 and every mart decades ahead. Times are
# Beijing time while the machine's clock may be on another zone (UTC here): a day of margin covers
# any zone. A deadline may lie ahead, but not by more than a year.
EARLIEST = datetime(2000, 1, 1)
CLOCK_MARGIN = timedelta(days=1)
DEADLINE_AHEAD = timedelta(days=366)
UNREADABLE_TS = "无法识别的日期时间，请使用 2025-10-07 12:44:00、2025/10/7 12:44 或 2025年10月7日 这样的格式。"
UNREADABLE_DEADLINE = ("无法识别的办理时限，请填日期时间（如 2025-10-17 18:00）、工作日数（如 15 或 15个工作日）"
                       "或小时数（如 24小时 或 48h）。")
# 1.5 working days (a bare 1.5 without a unit header, under （工作日）, or 1.5个工作日): a working day has no length in
# hours (nights, weekends and 调休 decide it), so no due time follows; the user says which was meant.
FRACTIONAL_WORKDAYS = r"\s*\d{1,3}\.\d{1,2}\s*(([个個]?工作日|天|日)[内內]?)?\s*"
FRACTIONAL_WORKDAYS_HELP = ("办理时限的工作日数带小数（如 1.5 个工作日）：工作日只能按整天计算。请写成整数个工作日（如 2个工作日）、"
                            "小时数（如 36小时）或自然日数（如 1.5自然日，或把表头写作“办理时限（自然日）”）后重新导入。")
# A year read as below 100 was written with two digits (10/1/25, 25/11/3): which part is the year is a guess.
TWO_DIGIT_YEAR = "无法识别的日期时间：年份只写了两位，分不清哪个是年、哪个是月和日。请写四位年份，如 2025-10-07 12:44 或 2025/10/7 12:44。"
# 04/11/2026: 4 November (日/月/年, as a Chinese or European export writes it) or April 11 (月/日/年, as
# parse_ts reads it)? Which one is a guess, unless the column's other cells tell (a first part above 12,
# 13/11/2026, is a day; a second part above 12, 06/26/2018, is one).
AMBIGUOUS_DAY_MONTH = ("无法确定是“日/月/年”还是“月/日/年”（如 04/11/2026 可以是 11月4日，也可以是 4月11日），"
                       "本文件其他单元格也看不出是哪一种。请在导入页的“日期顺序”中选择（命令行加 --date-order day 或 month），"
                       "或改写为年份在前的格式，如 2026-11-04 14:32 或 2026/11/4 14:32，再重新导入。")
# The two orders of a date with slashes and the year last, as messages and the upload page name them.
DATE_ORDERS = {"day": "日/月/年", "month": "月/日/年"}
TOO_EARLY = "年份不合理（早于 2000 年），请核对年份是否写错。"
TOO_LATE = "时间不合理（晚于本次导入时间），请核对年份和月份是否写错。"
DEADLINE_TOO_LATE = "办理时限不合理（比本次导入时间晚一年以上），请核对年份是否写错。"

# The formats ``parse_ts`` (sql/macros.sql) tries, in its order; tests/test_fast_paths.py keeps the two equal.
TS_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M", "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
    "%Y年%m月%d日 %H时%M分%S秒", "%Y年%m月%d日 %H时%M分", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H时%M分", "%Y年%m月%d日",
    "%Y%m%d%H%M%S", "%Y%m%d %H:%M:%S", "%Y%m%d",
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
    "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%Y.%m.%d",
)
# Formats a column may be parsed with directly, before (instead of) ``parse_ts``: a cell one of them
# reads has no zone, no ``T`` and is no Excel serial, and no other format of the list reads it
# differently, so the result is the one ``parse_ts`` gives. Left out: all-digit formats (a 5-digit
# cell may be an Excel serial) and month-first ones (``1/2/25`` also reads as %Y/%m/%d, which
# parse_ts tries first). tests/test_fast_paths.py checks this on every format.
FAST_TS_FORMATS = tuple(f for f in TS_FORMATS if not f.startswith(("%Y%m%d", "%m/%d/%Y")))
FAST_TS_SAMPLE = 2000     # cells per column looked at to pick its formats
FAST_TS_MAX = 3           # formats tried directly per column; the rest of the cells go through parse_ts
_DIGITS = re.compile(r"\d")


@dataclass
class StageResult:
    """What staging found: counts, problems (all of them), lenient-value warnings, and the good rows."""

    rows_read: int
    blank_rows: int
    problems: list[Problem]
    warnings: list[str] = field(default_factory=list)
    rejected: pd.DataFrame | None = None
    # Time columns with dates such as 04/11/2026: the order each was read in (None: refused), and those
    # of them whose order the file did not tell, so ``date_order`` decided (:func:`slash_date_orders`).
    date_orders: dict[str, str | None] = field(default_factory=dict)
    assumed_orders: list[str] = field(default_factory=list)


def cell_sql(name: str, column: str) -> str:
    """SQL: the file's ``column`` as the text cell of field ``name``. A key, code, phone, number, time or
    vocabulary field takes ``code_cell`` (sql/macros.sql), which also unwraps ="GDT2026110100001" and
    'GDT2026110100001, written so that Excel keeps a long number as text; free text and names take ``cell``,
    which only trims (an apostrophe there may open a quotation, and a user may have typed ="…" on purpose)."""
    code = name.endswith(("_id", "_code")) or name == "caller_phone" or name in KINDS
    if name in PLACE_CODES:
        return f"code_key(code_cell({column}))"
    return f"{'code_cell' if code else 'cell'}({column})"


# Codes one file gives and another is matched by (a ticket's or a compound's 网格编号 against the grid definitions, an
# inspection's 小区编号 against the compounds): staged in one form, ``code_key`` (sql/macros.sql), so that WG 001, wg001
# and ＷＧ００１ are the grid WG001 wherever they are written; a code stored in another form (by an older version, or
# derived from a name: CMab12cd34) is then given back as stored (:func:`match_stored_codes`). Keys of rows (工单编号,
# 考核编号) are left as written: a platform writes its own numbers the same way in every export, while a case or
# width fold would merge keys a system tells apart (derived 考核编号 are lower-case md5 digits).
PLACE_CODES = {"grid_code": "dim_grids", "compound_code": "dim_compounds", "community_code": "dim_communities",
               "street_code": "dim_streets"}


def match_stored_codes(con, fields: list[str]) -> None:
    """Give each of ``fields`` (of :data:`PLACE_CODES`) of ``stg_cells`` whose value is the ``code_key`` of a stored
    code written otherwise (wg001 stored by an older version, a derived CMab12cd34) that stored code, so that it
    matches it; a code stored in both forms keeps the form given. Cheap when, as usual, every stored code is already
    in that form (the lookup is empty)."""
    stored = {row[0] for row in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main'").fetchall()}
    for name in fields:
        table = PLACE_CODES.get(name)
        if table not in stored:
            continue
        con.execute(
            f"""update stg_cells set {name} = m.code
            from (select code_key({name}) as k, any_value({name}) as code from {table}
                  group by 1 having count(*) = 1 and bool_and({name} <> code_key({name}))) m
            where stg_cells.{name} = m.k""")


# A 网格编号 as the file writes it (xh-99, ＸＨ－９９), where that differs from the code it is staged as (XH-99):
# a warning about a code the grid definitions lack quotes it as written, so it can be found in the file
# (etl.load_tickets.unknown_places_warnings). Only the rows written otherwise are kept, by row number.
TYPED_GRID_COLUMN = "grid_code_typed__"
TYPED_GRID_TABLE = "stg_grid_code_typed"


def _keep_typed_grid_codes(con, has_column: bool) -> None:
    """Move :data:`TYPED_GRID_COLUMN` of ``stg_cells`` (when it ``has_column``) into :data:`TYPED_GRID_TABLE`
    (row_no, grid_code_typed), for the rows whose staged code differs; that table is empty otherwise (a
    previous file's rows must not answer for this one's)."""
    if not has_column:
        con.execute(f"create or replace temp table {TYPED_GRID_TABLE} (row_no bigint, grid_code_typed varchar)")
        return
    con.execute(f"create or replace temp table {TYPED_GRID_TABLE} as select row_no, {TYPED_GRID_COLUMN} as grid_code_typed "
                f"from stg_cells where {TYPED_GRID_COLUMN} is distinct from grid_code")
    con.execute(f"alter table stg_cells drop column {TYPED_GRID_COLUMN}")


def install_macros(con) -> None:
    """Create the parsing macros on ``con`` (temporary: nothing is written to the warehouse)."""
    con.execute(MACROS.read_text(encoding="utf-8"))


# A date with slashes and the year last (04/11/2026 14:32): its first two parts are day and month in
# some order (:func:`slash_date_orders`). Constants, written into the SQL.
SLASH_DATE = r"\d{1,2}/\d{1,2}/\d{4}([ T].*)?"
_SLASH_PARTS = r"^(\d{1,2})/(\d{1,2})/"
_DAY_FIRST_FORMATS = "['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y', '%d/%m/%Y %I:%M:%S %p', '%d/%m/%Y %I:%M %p']"


def _slash_part(raw: str, i: int) -> str:
    """SQL: part ``i`` (1 or 2) of a date with slashes and the year last, as a number."""
    return f"try_cast(regexp_extract({raw}, '{_SLASH_PARTS}', {i}) as integer)"


def _ts_expression(raw: str, formats: list[str], params: list, day_first: bool = False) -> str:
    """``parse_ts(raw)``, with ``formats`` (a column's own, from :func:`fast_ts_formats`) tried first;
    ``day_first``: a date with slashes and the year last is read as 日/月/年 (parse_ts reads 月/日/年)."""
    if not formats:
        value = f"parse_ts({raw})"
    else:
        params.append(list(formats))
        # coalesce evaluates parse_ts only for the cells the direct formats did not read.
        value = f"coalesce(try_strptime({raw}, ?::varchar[]), parse_ts({raw}))"
    if day_first:
        value = (f"case when regexp_full_match({raw}, '{SLASH_DATE}') then try_strptime({raw}, {_DAY_FIRST_FORMATS}) "
                 f"else {value} end")
    return value


def slash_date_orders(con, columns: list[str]) -> dict[str, str | None]:
    """For each of ``columns`` of ``stg_cells`` that has dates with slashes and the year last, the order its
    parts are in: ``"day"`` (日/月/年) or ``"month"`` (月/日/年), else None: nothing tells, and a cell such as
    04/11/2026 is refused (:data:`AMBIGUOUS_DAY_MONTH`). Columns without such dates are left out.

    A column tells by a first part above 12 (13/11/2026: a day) or a second part above 12 (06/26/2018), or by a
    time with AM/PM (10:58:54 AM: an American 月/日/年). A column that does not tell takes the order the file's
    other time columns tell, when they agree: an export's columns are written alike (a weekly export of
    11/02/2026 ... 11/08/2026 tells nothing in its 来电时间, but its 回访时间 of 11/16/2026 does). A column left
    None here takes the ``date_order`` :func:`stage` is given, if any: the order the user chose, or the one an
    earlier file of the same template was read in (:func:`etl.load.remembered_date_order`)."""
    if not columns:
        return {}
    tests = []
    for c in columns:
        slashed = f"regexp_full_match({c}, '{SLASH_DATE}')"
        # In a case, not after an and: an aggregate's filter evaluates both sides of an and on every row, and the
        # parts' regexp_extract over a 1M-row file of ISO dates cost 1.0-1.9 s against 0.2 s.
        tests += [f"count(*) filter (where {slashed})",
                  f"count(*) filter (where case when {slashed} then {_slash_part(c, 1)} > 12 else false end)",
                  f"count(*) filter (where case when {slashed} then {_slash_part(c, 2)} > 12 "
                  f"or regexp_matches({c}, '[AaPp][Mm]\\s*$') else false end)"]
    counts = con.execute(f"select {', '.join(tests)} from stg_cells").fetchall()[0]
    orders: dict[str, str | None] = {}
    for n, column in enumerate(columns):
        slashed, day_first, month_first = counts[3 * n: 3 * n + 3]
        if slashed:
            orders[column] = "day" if day_first and not month_first else "month" if month_first and not day_first else None
    told = {order for order in orders.values() if order}
    if len(told) == 1:  # the file's columns that tell agree: the others are written the same way
        return {column: order or next(iter(told)) for column, order in orders.items()}
    return orders


def fast_ts_formats(con, table: str, columns: list[str]) -> dict[str, list[str]]:
    """For each of ``columns``: the formats of :data:`FAST_TS_FORMATS` its first cells are written in.

    The sample is the first :data:`FAST_TS_SAMPLE` rows; cells are grouped by shape (digits alike),
    and one cell of each shape tells its format. A format is kept when it reads at least 1 in 200 of
    a column's sampled cells; most frequent first, at most :data:`FAST_TS_MAX`. A safety net for the
    rule above: if the chosen formats read any sampled cell differently from ``parse_ts``, the column
    gets none (every cell goes through ``parse_ts``, as without this path).
    """
    if not columns:
        return {}
    rows = con.execute(f"select {', '.join(columns)} from {table} limit {FAST_TS_SAMPLE}").fetchall()
    shapes: list[Counter] = [Counter() for _ in columns]
    example: dict[str, str] = {}
    for row in rows:
        for c, value in enumerate(row):
            if value is not None:
                shape = _DIGITS.sub("9", value)
                shapes[c][shape] += 1
                example.setdefault(shape, value)
    if not example:
        return {column: [] for column in columns}
    readable = ", ".join(f"try_strptime(v, ${i + 2}) is not null" for i in range(len(FAST_TS_FORMATS)))
    reads = {shape: [f for f, ok in zip(FAST_TS_FORMATS, oks) if ok] for shape, *oks in con.execute(
        f"select s, {readable} from (select unnest($1::varchar[]) as s, unnest(${len(FAST_TS_FORMATS) + 2}::varchar[]) as v)",
        [list(example), *FAST_TS_FORMATS, list(example.values())]).fetchall()}
    result = {}
    for c, column in enumerate(columns):
        weight: Counter = Counter()
        for shape, n in shapes[c].items():
            for f in reads.get(shape, [])[:1]:
                weight[f] += n
        total = sum(shapes[c].values())
        result[column] = [f for f, n in weight.most_common(FAST_TS_MAX) if n * 200 >= total]
    checked = [c for c, column in enumerate(columns) if result[column]]
    if checked:
        wrong = ", ".join(
            f"count(*) filter (where try_strptime({columns[c]}, ${n + 1}::varchar[]) is distinct from parse_ts({columns[c]}) "
            f"and try_strptime({columns[c]}, ${n + 1}::varchar[]) is not null)" for n, c in enumerate(checked))
        counts = con.execute(f"select {wrong} from (select * from {table} limit {FAST_TS_SAMPLE})",
                             [result[columns[c]] for c in checked]).fetchall()[0]
        for c, n in zip(checked, counts):
            if n:
                result[columns[c]] = []
    return result


# A deadline written as a day without a time of day (2025-10-17, 2025年10月17日, 20251017, an Excel
# serial without a fraction) allows the whole of that day: it is stored as its last second, 23:59:59
# (derived deadlines end at 24:00 too); read as 00:00 a ticket closed that afternoon was late.
# An XLSX date-time cell at exactly 00:00 (2025-10-17 00:00:00 with a time in its number format) is read
# as the whole day too: it cannot be told from a date cell here. Both are the same number (45947), only
# their number format (styles.xml) differs, and neither reader reports it: python-calamine returns a date
# for both, fastexcel "2025-10-17 00:00:00" for both, which etl/readers.py cuts to "2025-10-17" as
# _cell_text writes a date. Telling them apart would take parsing styles.xml and the style of every cell
# ourselves. A CSV value "2025-10-17 00:00:00" keeps its 00:00 (the pattern below wants a date alone), as
# does an XLSX *text* cell holding it, on both XLSX paths (etl/readers.py, _read_xlsx_fast).
_DATE_ONLY = r"\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日|\d{8}|\d{1,2}/\d{1,2}/\d{4}|\d{5})\s*"


def _parsed_expression(name: str, kind: str, params: list, fast: dict[str, list[str]] | None = None,
                       day_first: bool = False) -> str:
    raw = f"cells.{name}"
    formats = (fast or {}).get(name, [])
    if kind == "deadline":
        value_params: list = []
        value = _ts_expression(raw, formats, value_params, day_first)
        params.extend([_DATE_ONLY, *value_params, *value_params])   # in the order the ? appear
        return f"case when regexp_full_match({raw}, ?) then {value} + interval 86399 second else {value} end"
    if kind == "ts":
        return _ts_expression(raw, formats, params, day_first)
    if kind == "date":
        return f"cast({_ts_expression(raw, formats, params, day_first)} as date)"
    if kind in ENUMS:
        keys, values = list(ENUMS[kind]), list(ENUMS[kind].values())
        params.extend([keys, values])
        if kind == "bool":
            return f"cast(lookup({raw}, ?::varchar[], ?::varchar[]) as boolean)"
        if kind in STRICT_ENUMS:
            return f"nullif(lookup({raw}, ?::varchar[], ?::varchar[]), '')"
        return f"coalesce(nullif(lookup({raw}, ?::varchar[], ?::varchar[]), ''), {raw})"
    if kind in ("lon", "lat"):  # 0 is what exports write for "no coordinates" (0, 0 lies in the Gulf of Guinea)
        return f"nullif(try_cast({raw} as double), 0)"
    if kind == "score":
        return f"try_cast({raw} as double)"
    if kind == "count":
        return f"try_cast(try_cast(replace({raw}, ',', '') as double) as integer)"
    return raw


def _placeholder_date(value: str) -> str:
    """SQL: whether the time ``value`` is what exports write for "no date": 0001-01-01 (.NET's empty
    DateTime), 1900-01-01 (SQL Server's), or Excel's day 0 (1899-12-30/31)."""
    return f"(cast({value} as date) in (date '0001-01-01', date '1899-12-30', date '1899-12-31', date '1900-01-01'))"


def _looks_like_data(cell: str) -> bool:
    """A cell that is a value rather than a column name: a date or number, or a phone or ID number."""
    return bool(re.fullmatch(r"[\d\s:./\-年月日时分秒]+", cell)) or scrub_text(cell) != cell


def headers_look_like_data(headers: list[str]) -> bool:
    """Whether a header row holds values (a date, a number, a phone): a file without its header row, whose
    first row of data was read as headers. Its cells are then never shown as column names: a caller's name
    among them cannot be told from a header by its look, but the row as a whole can."""
    return any(_looks_like_data(h) for h in headers if h)


def shown_header(headers: list[str], header: str) -> str:
    """A file's header as a message or a page shows it: itself, or, when the header row holds values
    (:func:`headers_look_like_data`), its column's position (``第 4 列``), since the cell may be a name."""
    if not headers_look_like_data(headers):
        return header
    positions = columns_named(headers, header)
    return f"第 {'、'.join(str(i + 1) for i in positions)} 列" if positions else scrub_text(header)


def scrubbed_field(name: str) -> bool:
    """Whether a non-personal field's text is scrubbed of phone and ID numbers where it is shown (problem
    messages, the rejects CSV, the upload preview): free text and vocabularies, where a number typed in
    the wrong column lands. Not numbers, codes or coordinates: a 16-19 digit ticket number or a
    15-decimal coordinate would read as a bank card or an ID number. Their values go through
    ``scrub_number`` instead, which hides a whole value that is a mobile or an ID number."""
    if name.endswith(("_id", "_code")) or name in ("geometry", "wkt"):
        return False
    return KINDS.get(name, "text") not in ("lon", "lat", "score", "count")


def shown_value(name: str, value, caller_name=None):
    """A cell of field ``name`` as a problem message or the rejects file shows it: a personal field masked by its
    kind, free text and vocabularies scrubbed (:func:`scrubbed_field`; a time column's mistyped 26-11-01 is no
    flat), numbers and codes through ``scrub_number``; and in every one of them the row's caller's name masked
    (``caller_name``): a name typed into the wrong column, or columns shifted by one, puts it anywhere."""
    if name in PERSONAL_FIELDS:
        return mask_value(name, value, caller_name=caller_name)
    if scrubbed_field(name):
        return scrub_text(value, caller_name=caller_name, dwellings=KINDS.get(name, "text") not in ("ts", "date", "deadline"))
    return scrub_number(value, caller_name=caller_name)


def _invalid_condition(name: str, kind: str, loaded_at: datetime) -> tuple[str, str, list, list] | None:
    """SQL condition on (cells, parsed) that marks a bad cell, an SQL expression giving its message,
    and the parameters of each (the message's come first: it is written before the condition)."""
    raw, value = f"cells.{name}", f"parsed.{name}"
    if kind in ("ts", "date", "deadline"):
        unread = f"{value} is null" + (f" and day_count({raw}) is null" if kind == "deadline" else "")
        # A deadline in hours (or calendar days) is receipt + N: nothing of its own to check (a bad 来电时间 is that
        # cell's problem).
        given = f"{raw} is not null" + (f" and hour_count({raw}) is null and calendar_day_count({raw}) is null"
                                        if kind == "deadline" else "")
        latest = loaded_at + (DEADLINE_AHEAD if kind == "deadline" else CLOCK_MARGIN)
        # Comparisons of the parsed value only (no per-row Python, no second parse): cheap at 1M rows.
        message = f"case when {value} is null then ? when {value} < ? then ? when {value} < ? then ? else ? end"
        message_params = [UNREADABLE_DEADLINE if kind == "deadline" else UNREADABLE_TS, datetime(100, 1, 1),
                          TWO_DIGIT_YEAR, EARLIEST, TOO_EARLY, DEADLINE_TOO_LATE if kind == "deadline" else TOO_LATE]
        if kind == "deadline":
            message = f"case when regexp_full_match({raw}, ?) then ? else {message} end"
            message_params = [FRACTIONAL_WORKDAYS, FRACTIONAL_WORKDAYS_HELP, *message_params]
        return (f"{given} and (({unread}) or {value} < ? or {value} > ?)", message, message_params,
                [EARLIEST, latest])
    if kind in STRICT_ENUMS:
        return (f"{raw} is not null and {value} is null and lookup({raw}, ?::varchar[], ?::varchar[]) is null",
                "?", [f"无法识别的取值，{ENUM_HELP[kind]}。"], [list(ENUMS[kind]), list(ENUMS[kind].values())])
    placeholder = f"coalesce(try_cast({raw} as double), -1) = 0"   # 0: no coordinates, not a wrong one
    if kind == "lon":
        return (f"{raw} is not null and not {placeholder} and ({value} is null or {value} not between 73 and 136)",
                "?", ["经度应为 73 到 136 之间的数字（度），请检查是否与纬度写反。"], [])
    if kind == "lat":
        return (f"{raw} is not null and not {placeholder} and ({value} is null or {value} not between 3 and 54)",
                "?", ["纬度应为 3 到 54 之间的数字（度），请检查是否与经度写反。"], [])
    if kind == "score":
        return (f"{raw} is not null and ({value} is null or {value} not between 0 and 100)", "?", ["得分应为 0 到 100 之间的数字。"], [])
    if kind == "count":
        return (f"{raw} is not null and ({value} is null or {value} < 0)", "?", ["应为不小于 0 的整数。"], [])
    return None


def merge_grid_parts(con, raw: RawTable, mapping: dict[str, str]) -> tuple[list[tuple], str | None]:
    """Rows of ``stg_cells`` that share a grid code: the parts of one grid (an enclave, 飞地网格, exported as two
    features) when every other cell is the same. Such rows become the first of them, with the union of their
    boundaries (:func:`etl.geo.merge_geometries`); the warning names each code and its number of parts.

    Rows that share a code but not the rest (another name or community) are two grids under one code, or one
    written two ways: which is right only the user knows. Each later one is a problem naming the columns that
    differ and the first row's values (returned as ``stg_problems`` rows, inserted once that table exists)."""
    from etl.geo import merge_geometries

    others = [f for f in mapping if f not in ("grid_code", "geometry")]
    rows = con.execute(
        f"select row_no, grid_code, geometry{''.join(', ' + f for f in others)} from stg_cells where grid_code in "
        "(select grid_code from stg_cells where grid_code is not null group by 1 having count(*) > 1) "
        "order by grid_code, row_no").fetchall()
    if not rows:
        return [], None
    groups: dict[str, list[tuple]] = {}
    for row in rows:
        groups.setdefault(row[1], []).append(row)
    problems, merged, gone = [], [], []
    for code, group in groups.items():
        first, parts = group[0], [group[0]]
        for row in group[1:]:
            differ = [i for i, f in enumerate(others) if row[3 + i] != first[3 + i]]
            if not differ:
                parts.append(row)
                continue
            columns = "、".join(scrub_text(shown_header(raw.headers, mapping[others[i]])) for i in differ)
            given = ["、".join(scrub_text(r[3 + i]) if r[3 + i] is not None else "空" for i in differ) for r in (first, row)]
            problems.append((row[0], "grid_code", code,
                             f"与第 {first[0]} 行网格编号相同，但{columns}不同（第 {first[0]} 行：{given[0]}；本行：{given[1]}）。"
                             "同一网格分成几个要素（飞地网格）时，各要素除边界外的属性应完全相同，才能合并为一个网格；"
                             "是两个不同网格的，请更正其中一个的网格编号后重新导入。"))
        shapes = [row[2] for row in parts if row[2] is not None]
        if len(parts) < 2:
            continue
        try:
            geometry = merge_geometries(shapes) if len(shapes) > 1 else (shapes[0] if shapes else None)
        except ValueError as reason:
            for row in parts[1:]:
                problems.append((row[0], "geometry", code, f"与第 {first[0]} 行是同一网格的另一部分（飞地网格），"
                                 f"但有部分的边界无法合并：{reason}"))
            continue
        con.execute("update stg_cells set geometry = ? where row_no = ?", [geometry, first[0]])
        gone += [row[0] for row in parts[1:]]
        merged.append((code, len(parts)))
    if gone:
        con.execute("delete from stg_cells where list_contains(?, row_no)", [gone])
    if not merged:
        return problems, None
    items = "、".join(f"{scrub_text(code)}（{n} 个部分）" for code, n in merged[:5])
    more = f"等 {len(merged)} 个网格" if len(merged) > 5 else ""
    return problems, (f"{len(merged)} 个网格在文件中分为几个要素（如飞地网格），属性相同，已各合并为一个网格，边界为各部分合起来的多面："
                      f"{items}{more}。请在地图上核对这些网格的边界。")


def flag_repeated_inspections(con, has_inspector: bool) -> None:
    """Rows of an inspections file without 考核编号 that are the same inspection as an earlier row (same day, company,
    compound, item and inspector; an empty cell matches an empty one): each later one is a problem naming the first.
    Two such rows are either one inspection given twice (written twice, or with a corrected score) or two inspections
    that nothing in the file tells apart, so the message says both and what tells them apart (考核人 or 考核编号);
    the score is no part of the identity (a corrected export updates the inspection, etl.load_inspections)."""
    if has_inspector:
        fixes = ["请填写考核人（或在文件中加上“考核编号”列）", "两行都没有填考核人，文件也没有考核编号",
                 "请在文件中加上“考核编号”列", "文件没有考核编号"]
    else:
        fixes = ["请在文件中加上“考核人”或“考核编号”列", "文件没有考核编号和考核人"] * 2
    identity = ("inspected_on", "company_name", "compound_name", "item", "inspector")
    con.execute(
        f"""insert into stg_problems
        -- The day as parsed (2025-10-20 and 2025/10/20 are one day, and one inspection id: etl.load_inspections).
        with keyed as (
            select c.row_no, p.inspected_on::varchar as inspected_on, c.company_name, c.compound_name, c.item, c.inspector,
                   c.score
            from stg_cells c join stg_parsed p using (row_no)
            where p.inspected_on is not null and c.company_name is not null and c.compound_name is not null),
        firsts as (select {', '.join(identity)}, min(row_no) as first_row from keyed group by all having count(*) > 1)
        select k.row_no, 'inspected_on', concat_ws(' / ', k.inspected_on, k.company_name, k.compound_name, k.item, k.inspector),
               '与第 ' || k.first_row || ' 行' ||
               case when same_score
                    then '完全相同（同一天、同一小区、同一考核项目' || if(k.inspector is null, '', '、同一考核人') || '、同一得分）：'
                    else '是同一天、同一小区、同一考核项目' || if(k.inspector is null, '', '、同一考核人') || '的考核，得分却不同（第 '
                         || k.first_row || ' 行：' || coalesce(k.first_score, '空') || '；本行：' || coalesce(k.score, '空') || '）：' end
               || if(k.inspector is null, $1, $2) || '，分不清是两次考核，还是'
               || if(same_score, '同一条记录写了两遍', '同一次考核的更正')
               || '。是两次考核的，' || if(k.inspector is null, $3, $4) || '后重新导入；'
               || if(same_score, '写了两遍的，请删除其中一行。', '是同一次考核的更正，请只保留更正后的一行。')
        -- 85 and 85.0 are the same score.
        from (select k.*, f.first_row, first.score as first_score,
                     coalesce(try_cast(first.score as double) = try_cast(k.score as double),
                              first.score is not distinct from k.score) as same_score
              from keyed k
              join firsts f on {' and '.join(f'k.{c} is not distinct from f.{c}' for c in identity)}
              join keyed first on first.row_no = f.first_row
              where k.row_no <> f.first_row) k""", [fixes[1], fixes[3], fixes[0], fixes[2]])


# A deadline cell that is a number alone (24, 1.5): its unit is the column's (办理时限（小时）), or working days.
BARE_NUMBER = r"\s*\d{1,3}(\.\d{1,2})?\s*"
# What a bare number is written as for each unit of etl.fields.DEADLINE_UNITS: the cell the export would have
# written with the unit in it, read by the same macro (hour_count, day_count, calendar_day_count).
_UNIT_SUFFIX = {"hours": "小时", "days": "自然日"}
_UNIT_WORDS = {"hours": "小时数", "days": "自然日数"}


def apply_deadline_unit(con, raw: RawTable, mapping: dict[str, str], columns: dict[str, int]) -> str | None:
    """Read the bare numbers of the deadline column (``stg_cells.due_at``) in the unit its header states:
    under 办理时限（小时） ``24`` is 24 hours from receipt (written ``24小时`` in ``stg_cells``, as a cell with its
    unit), under 办理时限（自然日） or （天） calendar days, under （工作日） or no unit working days, as before.
    A cell with its own unit (``3个工作日``) or a date keeps its own reading. Returns the warning saying how
    many were read in the header's unit, or None. A header unit that is none of these, over a column with
    bare numbers, is a LoadError: a guess would put every deadline of the file wrong."""
    if "due_at" not in mapping or "due_at" not in columns:
        return None
    header = raw.headers[columns["due_at"]]
    unit = header_unit(header)
    if unit is None:
        return None
    kind = DEADLINE_UNITS.get(unit.lower())
    if kind == "workdays":
        return None
    count, example = con.execute("select count(*), min(due_at) from stg_cells where regexp_full_match(due_at, ?)",
                                 [BARE_NUMBER]).fetchall()[0]
    if not count:
        return None
    shown = shown_header(raw.headers, mapping["due_at"])
    if kind is None:
        raise LoadError(f"错误：文件 {raw.path.name} 的列「{scrub_text(shown)}」有只写了数字的办理时限（如 {example.strip()}），"
                        f"表头括号中的单位「{scrub_text(unit)}」无法识别，分不清这些数字是小时、工作日还是自然日。"
                        "请把表头改为“办理时限（小时）”、“办理时限（工作日）”或“办理时限（自然日）”，"
                        "或在单元格中写明单位（如 24小时、15个工作日），再重新导入；数据仓库未改动。")
    con.execute("update stg_cells set due_at = trim(due_at) || ? where regexp_full_match(due_at, ?)",
                [_UNIT_SUFFIX[kind], BARE_NUMBER])
    return (f"列「{scrub_text(shown)}」中只写了数字的 {count:,} 个办理时限按表头的单位读作{_UNIT_WORDS[kind]}"
            f"（从受理时间起算{'，夜间、周末、节假日都计' if kind == 'hours' else '，周末、节假日都计'}）。")


def score_full_mark(raw: RawTable, mapping: dict[str, str], columns: dict[str, int]) -> tuple[float, str | None]:
    """The full mark of the score column as its header states it (得分（满分10分）: 10; none: 100, the scale
    the rankings use) and the warning saying the scores were converted, or None. A header unit that states
    no full mark (得分（等级）) is a LoadError: read as 100 points a 10-point score ranks a company last."""
    if "score" not in mapping or "score" not in columns:
        return 100.0, None
    unit = header_unit(raw.headers[columns["score"]])
    full = score_scale(unit)
    shown = scrub_text(shown_header(raw.headers, mapping["score"]))
    if full is None:
        raise LoadError(f"错误：文件 {raw.path.name} 的列「{shown}」表头括号中的「{scrub_text(unit)}」看不出满分是多少，"
                        "得分无法换算为百分制。请把表头改为“得分”（百分制），或写明满分，如“得分（满分10分）”，"
                        "再重新导入；数据仓库未改动。")
    if full == 100:
        return full, None
    return full, f"列「{shown}」按表头读作满分 {full:g} 分，已换算为百分制保存（得分 × 100 ÷ {full:g}）。"


def stage(con, raw: RawTable, source: Source, mapping: dict[str, str], required: tuple[str, ...] | None = None,
          after_cells: Callable[[object], str | None] | None = None,
          on_read: Callable[[int], None] | None = None, loaded_at: datetime | None = None,
          date_order: str | None = None) -> StageResult:
    """Fill ``stg_cells`` (text) and ``stg_parsed`` (typed) from ``raw`` and ``stg_problems`` with every
    problem found; return the counts. ``raw.table`` is emptied (or ``raw.stream`` read) once its cells
    are in ``stg_cells``; ``on_read(n)`` is then told how many rows the file had.

    ``after_cells(con)`` is called once ``stg_cells`` holds the cleaned cells (blank and totals rows
    gone), before they are parsed. It may return the name of a temp table of ``row_no`` that need no
    parsing (rows a reload leaves alone, :mod:`etl.unchanged`): they get every check on their cells,
    but none on parsed values, and are not in ``stg_parsed``.

    ``loaded_at`` (default: now) is the time of the load: a date after it (a deadline: more than a
    year after it) is a bad cell, as is one before 2000. ``date_order`` (``"day"`` or ``"month"``) reads dates
    such as 04/11/2026 when nothing in the file tells their order (:func:`slash_date_orders`)."""
    loaded_at = loaded_at or datetime.now()
    required = required if required is not None else source.required
    fields = list(source.headers)
    column_names = set(raw.table.column_names)
    shared = same_named(raw.headers, mapping)
    con.register("raw_input", raw.stream() if raw.stream is not None else raw.table)
    selects = []
    columns: dict[str, int] = {}   # the file's column of each used field (of a shared header: picked below)
    for name in fields:
        header = mapping.get(name)
        positions = columns_named(raw.headers, header) if header is not None else []
        if name in shared:  # every column of the shared header, until their data says which one it is
            selects.extend(f"{cell_sql(name, f'c{i}')} as {name}__{i}" if f"c{i}" in column_names else f"null::varchar as {name}__{i}"
                           for i in positions)
            continue
        if positions:
            columns[name] = positions[0]
        column = f"c{positions[0]}" if positions else None
        selects.append(f"{cell_sql(name, column)} as {name}" if column in column_names else f"null::varchar as {name}")
        if name == "grid_code" and column in column_names:  # (moved to its own table below)
            selects.append(f"code_cell({column}) as {TYPED_GRID_COLUMN}")
    # An unused first column (序号) is where a totals row says 合计 (合计,2,, : the count under 工单编号): kept
    # until _drop_totals_and_notes has looked at it.
    used = {*columns.values(), *(i for positions in shared.values() for i in positions)}
    lead = 0 not in used and "c0" in column_names
    if lead:
        selects.append(f"cell(c0) as {LEAD_COLUMN}")
    try:
        con.execute(f"create or replace temp table stg_cells as select row_no, {', '.join(selects)} from raw_input")
    except duckdb.Error as exc:  # a streamed CSV that stops decoding past the sampled start
        raise raw.failure or undecodable_error(raw.path, raw.encoding or "", raw.headers, str(exc)) or exc from None
    con.unregister("raw_input")
    # The cells are in stg_cells now: the file's own table (as large as the file) is let go.
    raw.table = raw.table.slice(0, 0)
    _keep_typed_grid_codes(con, any(TYPED_GRID_COLUMN in s for s in selects))
    warnings = []
    for name, positions in shared.items():
        warning, columns[name] = _pick_same_named(con, raw, name, mapping[name], positions)
        warnings.append(warning)
    mapped = [f for f in fields if f in mapping]
    _drop_totals_and_notes(con, raw, [LEAD_COLUMN] * lead + sorted(mapped, key=lambda f: columns_named(raw.headers, mapping[f])[0]))
    if lead:
        con.execute(f"alter table stg_cells drop column {LEAD_COLUMN}")
    if on_read is not None:  # (the stream is read: raw.bad_rows is complete)
        on_read(con.execute("select count(*) from stg_cells").fetchall()[0][0] + len(raw.bad_rows))
    blank = con.execute(
        "select count(*) from stg_cells where " + (" and ".join(f"{f} is null" for f in mapped) or "true")
    ).fetchall()[0][0]
    con.execute("delete from stg_cells where " + (" and ".join(f"{f} is null" for f in mapped) or "true"))
    first = required[0]
    totals = (f"regexp_matches({first}, '^\\s*(合计|总计|共计|小计)') "
              f"and ({' or '.join(f'{f} is null' for f in required[1:]) or 'true'})")
    # A totals row with sums in more cells than _drop_totals_and_notes allows (合计 and the other required
    # fields empty) is left out here, and said with the others (raw.dropped_rows).
    raw.dropped_rows = raw.dropped_rows + [text for (text,) in con.execute(
        f"select {first} from stg_cells where {totals}").fetchall()]
    con.execute(f"delete from stg_cells where {totals}")
    match_stored_codes(con, [name for name in mapped if name in PLACE_CODES])
    # Rows the reader could not split into columns were read too: they are rejected, not unread.
    rows_read = con.execute("select count(*) from stg_cells").fetchall()[0][0] + len(raw.bad_rows)
    # Before after_cells: a reload's unchanged rows are found by their cells, and 24 under 办理时限（小时） is not the
    # same deadline as 24 under 办理时限（工作日）.
    if warning := apply_deadline_unit(con, raw, mapping, columns):
        warnings.append(warning)
    full_mark, warning = score_full_mark(raw, mapping, columns)
    if warning:
        warnings.append(warning)
    grid_part_problems: list[tuple] = []
    if source.name == "grids" and "geometry" in mapping and "grid_code" in mapping:
        grid_part_problems, warning = merge_grid_parts(con, raw, mapping)
        if warning:
            warnings.append(warning)
    skip = after_cells(con) if after_cells is not None else None

    times = [name for name in mapped if KINDS.get(name) in ("ts", "deadline", "date")]
    fast = fast_ts_formats(con, "stg_cells", times)
    told = slash_date_orders(con, times)
    orders = {name: order or date_order for name, order in told.items()}
    params: list = []
    parsed = []
    for name in fields:
        if name == "score" and full_mark != 100:   # 得分（满分10分）: stored on the 100-point scale the rankings use
            params.append(full_mark)
            parsed.append("try_cast(cells.score as double) * 100.0 / ? as score")
            continue
        parsed.append(f"{_parsed_expression(name, KINDS.get(name, 'text'), params, fast, orders.get(name) == 'day')} as {name}")
    if "due_at" in fields:  # a deadline given as working days, hours or calendar days rather than a date
        parsed += ["day_count(cells.due_at) as due_workdays", "hour_count(cells.due_at) as due_hours",
                   "calendar_day_count(cells.due_at) as due_days"]
    rows = f"stg_cells cells anti join {skip} using (row_no)" if skip else "stg_cells cells"
    select = f"select cells.row_no, {', '.join(parsed)} from {rows}"
    if "due_at" in fields:
        # Hours (24小时, 48h) are natural hours, nights, weekends and holidays included, from receipt (受理), where
        # working days start too (int_ticket_facts.sql): no calendar needed, so the time is known now and stored
        # as due_at, as if the export had written it. A bad 来电时间 leaves it null (that cell is the problem).
        # Calendar days (15自然日) likewise: the same time of day N days after receipt.
        select = (f"select * exclude (due_hours, due_days) replace (coalesce(received_at + to_seconds(due_hours * 3600), "
                  f"received_at + to_seconds(due_days * 86400), due_at) as due_at) from ({select})")
    con.execute(f"create or replace temp table stg_parsed as {select}", params)

    con.execute("create or replace temp table stg_problems (row_no bigint, field varchar, value varchar, message varchar)")
    if grid_part_problems:
        con.executemany("insert into stg_problems values (?, ?, ?, ?)", grid_part_problems)
    # A required cell that is an Excel error value is that problem, not a missing value.
    not_error = " and row_no not in (select row_no from stg_problems where field = ?)" if _flag_error_cells(con, raw, columns) else ""
    shown = {name: shown_header(raw.headers, header) for name, header in mapping.items()}   # headers in messages
    for name in required:
        label = shown.get(name) or name
        con.execute(
            f"insert into stg_problems select row_no, ?, null, ? from stg_cells where {name} is null{not_error}",
            [name, f"缺少必填项“{label}”。{REQUIRED_HELP}", *([name] if not_error else [])],
        )
    for name in mapped:
        kind = KINDS.get(name, "text")
        check = _invalid_condition(name, kind, loaded_at)
        if check is None:
            continue
        condition, message, message_params, check_params = check
        if name == "score" and full_mark != 100:
            message_params = [f"得分应为 0 到 {full_mark:g} 之间的数字（表头写明满分 {full_mark:g} 分）。"]
        placeholder = kind in ("ts", "date", "deadline") and name not in required
        if placeholder:  # an optional time written as an empty-date placeholder is empty, not wrong
            condition = f"({condition}) and not coalesce({_placeholder_date('parsed.' + name)}, false)"
        con.execute(
            f"insert into stg_problems select cells.row_no, ?, cells.{name}, {message} "
            f"from stg_cells cells join stg_parsed parsed using (row_no) where {condition}",
            [name, *message_params, *check_params],
        )
        if placeholder:
            con.execute(f"update stg_parsed set {name} = null where {_placeholder_date(name)}")
    # A date such as 04/11/2026 in a column that does not tell 日/月/年 from 月/日/年: a guess either way.
    # On the cells, not the parsed values: a row a reload leaves alone is checked too (this file's other
    # cells may tell less than those of the file it was stored from).
    for name in [name for name, order in orders.items() if order is None]:
        first, second = _slash_part(name, 1), _slash_part(name, 2)
        con.execute(
            f"insert into stg_problems select row_no, ?, {name}, ? from stg_cells "
            f"where regexp_full_match({name}, '{SLASH_DATE}') and {first} <= 12 and {second} <= 12 and {first} <> {second}",
            [name, AMBIGUOUS_DAY_MONTH],
        )
    unknown_values = {}   # vocabulary column -> its unrecognised values (kept as they are) and their counts
    for name in mapped:
        kind = KINDS.get(name, "text")
        if kind in ENUMS and kind not in STRICT_ENUMS:
            unknown = con.execute(
                f"select {name}, count(*) from stg_cells where {name} is not null "
                f"and lookup({name}, ?::varchar[], ?::varchar[]) is null group by 1 order by 2 desc",
                [list(ENUMS[kind]), list(ENUMS[kind].values())],
            ).fetchall()
            if unknown:
                unknown_values[name] = unknown
                _scrub_unknown_values(con, name, [v for v, _ in unknown])
    name_columns = [name for name in mapped if KINDS.get(name, "text") == "text"
                    and name not in PERSONAL_FIELDS and scrubbed_field(name)]
    name_warnings = _scrub_names(con, name_columns, shown)
    caller_warnings, stored = [], {}
    if "caller_name" in mapped:   # a vocabulary's unrecognised value may be the caller's name too (孙悟空本人)
        caller_warnings, stored = _mask_callers_in_names(con, name_columns + list(unknown_values), shown)
    for name, unknown in unknown_values.items():
        values = "、".join(f"{stored.get((name, scrub_text(v)), scrub_text(v))}（{n} 行）" for v, n in unknown[:5])
        warnings.append(f"列「{shown[name]}」有未识别的取值，已按原样保存：{values}。")
    warnings += name_warnings + caller_warnings
    if "caller_phone" in mapped:  # 1.66689E+10: a CSV opened in Excel and saved again; the digits are gone
        sci = con.execute("select count(*) from stg_cells where regexp_matches(caller_phone, ?)", [SCI_NUMBER]).fetchall()[0][0]
        if sci:
            warnings.append(f"列「{scrub_text(shown['caller_phone'])}」有 {sci:,} 个号码是科学计数法（形如 1.23E+10），"
                            "后几位数字已被 Excel 丢失，这些号码已按原样保存但无法还原：文件多半在 Excel 中打开后又保存过。"
                            "请从系统重新导出原始文件（不要用 Excel 另存）后再导入。")
    # 2.0251E+12 for 2025101300011: the same CSV opened in Excel and saved; its digits are gone, so tickets that
    # differ share it (loaded, the second overwrote the first; two in a file were called 重复, the fix unsaid).
    numbered = [name for name in ("ticket_id", "inspection_id", "grid_code", "compound_code") if name in mapped]
    for name in numbered:
        con.execute(f"insert into stg_problems select row_no, ?, {name}, ? from stg_cells "
                    f"where regexp_matches({name}, ?)", [name, SCI_ID_HELP, SCI_ID])
    # A key twice in one file: the later rows are rejected, naming the first. (The keys seen twice
    # are found by grouping first: a window over every row cost more than the rest of the checks.)
    keys = [k for k in key_fields(source, mapping)]
    if keys:
        key_sql = ", ".join(keys)
        present = " and ".join(f"{k} is not null" + (f" and not regexp_matches({k}, '{SCI_ID}')" if k in numbered else "")
                               for k in keys)
        con.execute(
            f"""insert into stg_problems
            with repeated as (
                select {key_sql}, min(row_no) as first_row from stg_cells where {present} group by all having count(*) > 1
            )
            select c.row_no, ?, concat_ws(' / ', {', '.join(f'c.{k}' for k in keys)}), '与第 ' || r.first_row || ' 行重复（同一编号出现多次）。请删除重复行，或把不同时间的导出分成两个文件先后导入。'
            from stg_cells c join repeated r on {' and '.join(f'c.{k} = r.{k}' for k in keys)}
            where c.row_no <> r.first_row and c.row_no not in (select row_no from stg_problems where field = ?)""",
            [keys[0], keys[0]],
        )
    if source.name == "inspections" and "inspection_id" not in mapping:
        flag_repeated_inspections(con, "inspector" in mapping)
    return StageResult(rows_read=rows_read, blank_rows=blank, problems=[], warnings=warnings, date_orders=orders,
                       assumed_orders=[name for name, order in told.items() if order is None and orders[name]])


# stg_cells' copy of an unused first column while totals rows are looked for (no field has this name).
LEAD_COLUMN = "lead__"
# A number as Excel writes it in scientific notation: 1.66689E+10.
SCI_NUMBER = r"^\s*\d(\.\d+)?[eE]\+?\d+\s*$"
# An identifier as Excel writes a long number (always E+): stricter than SCI_NUMBER, so a code such as 3E1 stays a code.
SCI_ID = r"^\s*\d(\.\d+)?E\+\d+\s*$"
SCI_ID_HELP = ("编号是科学计数法（形如 2.0251E+12）：文件多半在 Excel 中打开后又保存过，编号的后几位已被 Excel 丢失，无法还原，"
               "不同的工单会变成同一个编号。请从系统重新导出原始文件，不经 Excel 另存直接导入。")
# A note under the data (``说明：本表由系统自动生成``, ``制表：…``, ``注1：…``): its first words.
FOOTER_PATTERN = re.compile(r"^\s*(说明|备注|制表|数据来源|导出时间|打印时间|注[\d一二三四五六七八九十]*[:：.、])")


def _drop_totals_and_notes(con, raw: RawTable, ordered: list[str]) -> None:
    """Leave out of ``stg_cells`` (and ``raw.bad_rows``) the rows that are no data, adding their text to
    ``raw.dropped_rows`` (the load says how many): a totals row as an XLSX sheet's are left out
    (:func:`etl.readers.totals_rows`: ``合计,200,,,`` with its count in the next cell), and a note under
    the data (one cell starting like :data:`FOOTER_PATTERN`, after the last row of data; a CSV line of
    one cell is a row of the wrong width, so it is looked for among the bad rows too).

    ``ordered``: the mapped fields in the file's column order. Only rows whose first cell starts like a
    totals row or a note are fetched (a handful)."""
    if not ordered:
        return
    pattern = f"{TOTALS_PATTERN.pattern}|{FOOTER_PATTERN.pattern}"
    found = con.execute(f"select row_no, {', '.join(ordered)} from stg_cells "
                        f"where regexp_matches(coalesce({', '.join(ordered)}), ?) order by row_no", [pattern]).fetchall()
    candidates = [row[0] for row in found]
    last = con.execute("select max(row_no) from stg_cells where not list_contains(?, row_no)", [candidates]).fetchall()[0][0] or 0
    keep, dropped = totals_rows([list(column) for column in zip(*(row[1:] for row in found))], len(found))
    notes = [row for row in found if row[0] > last and sum(v is not None for v in row[1:]) == 1
             and FOOTER_PATTERN.match(next(v for v in row[1:] if v is not None))]
    gone = [row[0] for row, kept in zip(found, keep or [True] * len(found)) if not kept] + [row[0] for row in notes]
    if gone:
        con.execute("delete from stg_cells where list_contains(?, row_no)", [gone])
    raw.dropped_rows = raw.dropped_rows + dropped + [" ".join(v for v in row[1:] if v) for row in notes]
    footer = [(n, text) for n, text in raw.bad_rows
              if n is not None and n > last and raw.delimiter not in (cell := text.strip().strip('"'))
              and FOOTER_PATTERN.match(cell)]
    if footer:
        raw.bad_rows = [row for row in raw.bad_rows if row not in footer]
        raw.dropped_rows = raw.dropped_rows + [text for _, text in footer]


def _flag_error_cells(con, raw: RawTable, columns: dict[str, int]) -> bool:
    """Put the Excel error cells (#N/A ...) of ``raw`` that are in a used column (``columns``: field ->
    the file's column) into ``stg_problems``, each with its own message; whether there was any.

    The readers read such a cell as blank, and a silent blank is wrong: an optional one (满意度 #N/A)
    would change the rates, a required one would read as missing. One in a column the load does not
    use is no problem, nor is one in a row that is no longer in ``stg_cells`` (blank but for error
    values, a totals row)."""
    field_at = {column: name for name, column in columns.items()}
    cells = [cell for cell in raw.error_cells if cell.column in field_at]
    if not cells:
        return False
    labels = column_labels(raw.headers)   # 满意度, or 满意度（第 14 列） where two columns share the header
    con.register("error_cells", pa.table({
        "row_no": pa.array([cell.row for cell in cells], pa.int64()),
        "field": [field_at[cell.column] for cell in cells],
        "message": [error_cell_message(raw.sheet_name, cell.row, labels[cell.column], cell.value) for cell in cells],
    }))
    flagged = con.execute("insert into stg_problems select row_no, field, null, message from error_cells "
                          "semi join stg_cells using (row_no)").fetchall()[0][0]
    con.unregister("error_cells")
    return flagged > 0


def _pick_same_named(con, raw: RawTable, name: str, header: str, positions: list[int]) -> tuple[str, int]:
    """Of the columns at ``positions`` (0-based) that share ``header``, keep the one with data as
    ``stg_cells.{name}``; return the warning that says so and the kept column. A LoadError when more
    than one has data.

    An export with a second, empty 满意度 or 工单编号 column (a template column nobody filled) is
    common and its meaning is plain: the empty column carries nothing. Two columns with data could
    each be the right one, so the user chooses."""
    filled = [i for i, n in zip(positions, con.execute(
        f"select {', '.join(f'count({name}__{i})' for i in positions)} from stg_cells").fetchall()[0]) if n]
    columns = "、".join(str(i + 1) for i in positions)
    count = "两" if len(positions) == 2 else f" {len(positions)} "
    where = f"文件 {raw.path.name} 第 {raw.header_row} 行（表头）有{count}列都叫「{scrub_text(header)}」（第 {columns} 列）"
    if len(filled) > 1:
        label = column_labels(raw.headers)[filled[-1]]
        raise LoadError(f"错误：{where}，而且都有数据，无法确定用哪一列。请删除或改名其中一列后重新导入，"
                        f"或用 --map \"{scrub_text(label)}={name}\" 指定要用的一列；数据仓库未改动。")
    kept = filled[0] if filled else positions[0]
    for i in positions:
        if i == kept:
            con.execute(f"alter table stg_cells rename column {name}__{i} to {name}")
        else:
            con.execute(f"alter table stg_cells drop column {name}__{i}")
    empty = "、".join(f"第 {i + 1} 列" for i in positions if i != kept)
    return (f"{where}：{empty}是空的，已使用第 {kept + 1} 列。" if filled else f"{where}，都是空的。"), kept


def key_fields(source: Source, mapping: dict[str, str]) -> tuple[str, ...]:
    """The fields that identify a row of this source (used to find duplicates within a file)."""
    if source.name == "inspections" and "inspection_id" not in mapping:
        return ()   # one inspection is its day, company, compound, item and inspector: flag_repeated_inspections
    if source.name == "compounds":
        # Two compounds may share a name (职工宿舍) in different grids: by code when the file has one; rows without
        # a code that share a name are checked by etl.load_places.flag_repeated_compound_names, which tells two
        # compounds of one name from one compound written twice.
        return ("compound_code",) if "compound_code" in mapping else ()
    return source.key


def _scrub_unknown_values(con, name: str, unknown: list[str]) -> None:
    """An unrecognised value of a vocabulary column (``unknown``: every distinct one) is stored as it is,
    except a phone or ID number typed into it: that would reach the marts (a 诉求来源 named after an ID
    number) and every page's filters."""
    changed = [(value, scrubbed) for value in unknown if (scrubbed := scrub_text(value)) != value]
    if changed:  # one update however many values (a phone column mapped here has thousands)
        _replace_values(con, name, changed)


# A value that may hold a phone, ID or card number, an e-mail or a plate, or a name after a label (scrub_text
# decides): four digits in a row (or Chinese numerals), an @, an account word or a name label (区住建局（联系人李四）).
# Only such distinct values are looked at in Python.
_MAY_HOLD_NUMBER = "|".join([r"[0-9０-９]{4}", "[@＠]", "[〇零一二三四五六七八九幺]{4}", "(?i:qq|wx|vx|v信)|微信|威信|扣扣",
                             *NAME_LABELS, *NAME_ROLES])
# Columns naming an organisation, where a person's name appended to the unit (城管科张伟, 张伟 城管科) is the contact:
# mask_name_in_unit decides. Such values also end in 2-4 Chinese characters after a unit's ending, or start with 2-4
# before a space or a sign.
UNIT_FIELDS = ("department", "company_name")
_MAY_HOLD_NAME_IN_UNIT = "|".join([_MAY_HOLD_NUMBER, rf"(?:{UNIT_ENDINGS})[\s:：、/,，\-—（(【\[]*\p{{Han}}{{2,4}}[）)】\]]?\s*$",
                                   r"^\s*\p{Han}{2,4}[\s、/,，:：\-—]+"])


def _scrub_names(con, names: list[str], mapping: dict[str, str]) -> list[str]:
    """A phone or ID number typed into a name column (承办单位 "区住建局（联系人李四 13800001111）", a
    category, a company) would be stored as the department's name and shown in every ranking: such
    values are stored scrubbed, with a warning naming the column (never the value). In a unit column
    (:data:`UNIT_FIELDS`) a person's name written next to the unit (城管科张伟) is masked too."""
    if not names:
        return []
    # One scan for every column (a query per column read the table once each: 0.3 s more at 1M rows).
    patterns = [_MAY_HOLD_NUMBER, *([_MAY_HOLD_NAME_IN_UNIT] if set(names) & set(UNIT_FIELDS) else [])]
    found = con.execute("select " + ", ".join(f"list(distinct {name}) filter (regexp_matches({name}, "
                                              f"{'$2' if name in UNIT_FIELDS else '$1'}))" for name in names)
                        + " from stg_parsed", patterns).fetchall()[0]
    warnings = []
    for name, candidates in zip(names, found):
        scrub = mask_name_in_unit if name in UNIT_FIELDS else scrub_text
        changed = [(value, scrubbed) for value in candidates or [] if (scrubbed := scrub(value)) != value]
        if changed:
            _replace_values(con, name, changed)
            warnings.append(f"列「{mapping[name]}」有 {len(changed)} 个取值含电话、证件号等个人信息，已脱敏后保存"
                            f"（如 {changed[0][1]}）。请在源系统中更正。")
    return warnings


def _mask_callers_in_names(con, names: list[str], mapping: dict[str, str]
                           ) -> tuple[list[str], dict[tuple[str, str], str]]:
    """A caller's name typed into a name column of the same row (承办单位 "区住建局（张三反映）", 诉求来源 "张三本人")
    would be shown unmasked in every ranking, filter and download: such values are stored with the name masked as
    in an address (``scrub_text`` with the row's caller, in any form of :func:`onescreen.masking.caller_names`:
    来电人 "张三先生" finds "张三反映"), with a warning naming the column (the example masked). A 来电人 of
    :data:`onescreen.masking.GENERIC_CALLERS` (市民, 匿名 ...) is no name: scrub_text masks nothing for it.
    Returns the warnings and each (column, value) changed -> the value stored."""
    if not names:
        return [], {}
    # One scan for every column; such rows are rare, and only they come back to Python. A name's first two
    # characters pick them (every form of it but the second of 张三/李四 starts with them); Python then decides.
    rows = con.execute(
        f"select distinct caller_name, {', '.join(names)} from stg_parsed where length(trim(caller_name)) >= 2 and ("
        + " or ".join(f"contains({name}, left(trim(caller_name), 2))" for name in names) + ")").fetchall()
    warnings, stored = [], {}
    for i, name in enumerate(names, start=1):
        callers: dict[str, set[str]] = {}  # value -> the callers whose name it holds
        for row in rows:
            if row[i] is not None and any(form in row[i] for form in caller_names(row[0])):
                callers.setdefault(row[i], set()).add(row[0])
        changed = []
        for value, found in sorted(callers.items()):
            scrubbed = value
            for caller in sorted(found, key=len, reverse=True):
                scrubbed = scrub_text(scrubbed, caller_name=caller)
            if scrubbed != value:
                changed.append((value, scrubbed))
        if not changed:
            continue
        # Every row with that value, whoever its caller: the value holds a name, and one department is one name.
        _replace_values(con, name, changed)
        stored.update(((name, value), scrubbed) for value, scrubbed in changed)
        warnings.append(f"列「{mapping[name]}」有 {len(changed)} 个取值含本行来电人的姓名，"
                        f"已把姓名脱敏后保存（如 {changed[0][1]}）。请在源系统中更正。")
    return warnings, stored


def _replace_values(con, name: str, changed: list[tuple[str, str]]) -> None:
    """Set ``stg_parsed.name`` from each (value, replacement) pair, in one update however many pairs."""
    con.execute("create or replace temp table stg_scrubbed (value varchar, scrubbed varchar)")
    con.executemany("insert into stg_scrubbed values (?, ?)", changed)
    con.execute(f"update stg_parsed set {name} = m.scrubbed from stg_scrubbed m where stg_parsed.{name} = m.value")


def collect_problems(con, raw: RawTable, mapping: dict[str, str]) -> tuple[list[Problem], int]:
    """Every problem in ``stg_problems`` as :class:`Problem` (values masked), in file order."""
    caller = "c.caller_name" if "caller_name" in mapping else "null"
    rows = con.execute(
        f"select p.row_no, p.field, p.value, p.message, {caller} from stg_problems p "
        "left join stg_cells c using (row_no) order by p.row_no, p.field"
    ).fetchall()
    problems = []
    for row_no, name, value, message, caller_name in rows:
        # A phone or ID number typed into the wrong column is masked there too, and so is the row's caller's name.
        shown = shown_value(name, value, caller_name)
        problems.append(Problem(raw.path.name, int(row_no) if row_no is not None else None, mapping.get(name, name), shown, message))
    for row_no, text in raw.bad_rows:
        problems.append(Problem(raw.path.name, row_no, None, None, bad_row_message(raw, text)))
    problems.sort(key=lambda p: (p.row_no or 0))
    return problems, len(problems)


def bad_row_message(raw: RawTable, text: str) -> str:
    """Why a row the reader could not split into the header's columns was rejected."""
    mark = "制表符" if raw.delimiter == "\t" else "逗号"
    return (f"列数与表头不一致（{len(text.split(raw.delimiter))} 列，表头 {len(raw.headers)} 列），"
            f"请检查该行是否有多余或缺少的{mark}。")


def keep_good_rows(con) -> int:
    """Move rows without problems into ``stg_rows``; return how many were rejected.

    ``stg_parsed`` becomes ``stg_rows`` (renamed, not copied: a large export is a large copy)."""
    rejected = con.execute("select count(distinct row_no) from stg_problems").fetchall()[0][0]
    if rejected:
        con.execute("delete from stg_parsed where row_no in (select row_no from stg_problems)")
    con.execute("drop table if exists temp.stg_rows")
    con.execute("alter table temp.stg_parsed rename to stg_rows")
    return rejected


def rejected_rows(con, raw: RawTable, mapping: dict[str, str] | None = None) -> pd.DataFrame:
    """The rejected rows as they were in the file, for the rejects CSV: ``行号``, the file's own headers
    (``mapping`` is field -> header; unmapped fields are left out), personal values masked, and
    ``问题`` with every reason. The row number finds the row in the original file to fix it there."""
    # Each reason names its column (列「来电时间」：…) as the page's table of problems does: a row has six time
    # columns, and "无法识别的日期时间" alone does not say which one to fix (unless it says so: “满意度”列 ...).
    named = pd.DataFrame({"field": list((mapping or {}).keys()), "header": list((mapping or {}).values())},
                         columns=["field", "header"], dtype="object")
    con.register("rejects_headers", named)
    try:
        frame = con.execute(
            "select c.*, p.reasons from stg_cells c join ("
            "  select row_no, string_agg(case when h.header is null or contains(message, '“' || h.header || '”列')"
            "    or contains(message, '列「' || h.header || '」') then '' else '列「' || h.header || '」：' end"
            "    || message, '；' order by field) as reasons"
            "  from stg_problems left join rejects_headers h using (field) group by row_no) p using (row_no) order by row_no"
        ).df()
    finally:
        con.unregister("rejects_headers")
    if raw.bad_rows:
        # A row whose cells do not line up with the header: its number and reason only. Its cells cannot
        # be masked by their column (an extra comma moves a name into the next column, unmasked).
        bad = pd.DataFrame({"row_no": [n for n, _ in raw.bad_rows],
                            "reasons": [bad_row_message(raw, text) for _, text in raw.bad_rows]})
        frame = pd.concat([frame, bad], ignore_index=True).sort_values("row_no", kind="stable", ignore_index=True)
        frame["row_no"] = frame["row_no"].astype("Int64")
    callers = frame["caller_name"].tolist() if "caller_name" in frame.columns else [None] * len(frame)
    for name in frame.columns.drop(["row_no", "reasons"], errors="ignore"):
        # Each cell as a problem message shows it: personal fields masked by their kind, other text scrubbed of
        # phone and ID numbers typed into it, and the row's caller's name masked wherever it is.
        frame[name] = [shown_value(name, v, c) for v, c in zip(frame[name], callers)]
    if mapping is None:
        return frame
    fields = [f for f in frame.columns if f in mapping]
    return frame[["row_no", *fields, "reasons"]].rename(
        columns={"row_no": "行号", "reasons": "问题", **{f: mapping[f] for f in fields}})
