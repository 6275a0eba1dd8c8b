"""``dim_calendar``: every date with its working-day flag and a running working-day index.

Working days come from the chinese-calendar package (public holidays and the weekend days worked in
exchange, 调休), then from ``config/calendar_overrides.csv`` for years the package does not cover, and
otherwise from the law: the statutory holidays (:func:`statutory_holidays`) and Monday to Friday, with a
warning that the year's 调休 is unknown, so nobody trusts it silently.
"""

from __future__ import annotations

import csv
import functools
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pandas as pd
from lunardate import LunarDate

from onescreen import settings

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


@functools.lru_cache(maxsize=None)
def statutory_holidays(year: int) -> dict[date, str]:
    """The public holidays of ``year`` by law (全国年节及纪念日放假办法 as amended in 2024, in force from
    2025): 元旦 1 day, 春节 4 (除夕 to 初三), 清明节 1 (the day of the solar term), 劳动节 2 (May 1-2),
    端午节 1 (五月初五), 中秋节 1 (八月十五), 国庆节 3 (October 1-3). The State Council's yearly schedule
    adds the 调休 around them (days off moved next to a holiday, weekend days worked); those are not
    known before it is published."""
    new_year = LunarDate(year, 1, 1).to_solar_date()
    days = {date(year, 1, 1): "元旦", date(year, 5, 1): "劳动节", date(year, 5, 2): "劳动节",
            LunarDate(year, 5, 5).to_solar_date(): "端午节", LunarDate(year, 8, 15).to_solar_date(): "中秋节"}
    days.update({new_year + timedelta(days=offset): "春节" for offset in range(-1, 3)})
    days.update({day: "清明节" for day, term in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
                 if term == "清明"})
    days.update({date(year, 10, d): "国庆节" for d in (1, 2, 3)})
    return {day: name for day, name in days.items() if day.year == year}


def read_overrides(path: Path | None = None) -> dict[date, tuple[bool, str | None]]:
    """The override file as {date: (is_workday, holiday_name)}; lines starting with # are comments.

    The file is edited by hand: a line it cannot read (a date not written 2027-02-09, an is_workday other
    than 0 or 1) raises :class:`etl.errors.LoadError` naming the file, line, column and value, rather
    than a traceback, or a 是 silently read as a day off."""
    from etl.errors import LoadError, Problem

    path = path or settings.calendar_overrides_path()
    if not path.exists():
        return {}
    result: dict[date, tuple[bool, str | None]] = {}
    problems: list[Problem] = []
    header: list[str] | None = None
    for line_no, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = [cell.strip() for cell in next(csv.reader([line]))]
        if header is None:
            header = cells
            continue
        record = dict(zip(header, cells))
        day_text, flag = record.get("calendar_date", ""), record.get("is_workday", "")
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            problems.append(Problem(path.name, line_no, "calendar_date", day_text,
                                    "日期应写成 2027-02-09 这样的格式（四位年份，月、日各两位）。"))
            continue
        if flag not in ("0", "1"):
            problems.append(Problem(path.name, line_no, "is_workday", flag, "应为 1（上班，如调休上班的周末）或 0（放假）。"))
            continue
        result[day] = (flag == "1", record.get("holiday_name") or None)
    if problems:
        raise LoadError(f"错误：工作日历补充文件 {path.name} 有 {len(problems)} 处问题，工作日历未生成：", problems)
    return result


@functools.lru_cache(maxsize=None)
def _package_day(day: date) -> tuple[bool, str | None] | None:
    """chinese-calendar's (is_workday, holiday name) for one day, or None for a year it does not know.

    Cached: the package checks its whole table on every call (about 0.3 s per load for eight years
    of dates), and its answers never change while the process runs.
    """
    try:
        is_workday = chinese_calendar.is_workday(day)
        on_holiday, english = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    return is_workday, (HOLIDAY_NAMES.get(english, english) if on_holiday and english else None)


def calendar_frame(start: date, end: date, overrides: dict | None = None) -> tuple[pd.DataFrame, list[str]]:
    """One row per date from ``start`` to ``end`` inclusive, and warnings for dates no source covers.

    ``workday_index`` counts working days up to and including the date, starting at 0 the day
    before ``start``: the working days strictly after day A up to and including day B are
    ``index(B) - index(A)``.
    """
    overrides = read_overrides() if overrides is None else overrides
    rows = []
    uncovered_years: set[int] = set()
    # A year with a line in the overrides file has its schedule there (the file lists only the days
    # that differ from the law and Monday-Friday): its other days are known, not guessed.
    supplied_years = {day.year for day in overrides}
    index = 0
    day = start
    while day <= end:
        if day in overrides:
            is_workday, name = overrides[day]
            origin = "override"
        elif (known := _package_day(day)) is not None:
            is_workday, name = known
            origin = "chinese_calendar"
        else:
            name = statutory_holidays(day.year).get(day)
            is_workday, origin = (False, "statutory") if name else (day.weekday() < 5, "weekend_rule")
            if day.year not in supplied_years:
                uncovered_years.add(day.year)
        index += int(is_workday)
        rows.append((day, is_workday, (not is_workday) and name is not None, name, index, origin))
        day += timedelta(days=1)
    warnings = [
        f"{year} 年的放假调休安排未知（chinese-calendar 仅覆盖到 2026 年）：按法定节假日（元旦、春节、清明、劳动节、端午、"
        f"中秋、国庆，共 13 天）和周一至周五计算工作日，调休的放假与补班没有计入；"
        f"请在 config/calendar_overrides.csv 中补充国务院公布的安排。"
        for year in sorted(uncovered_years)
    ]
    frame = pd.DataFrame(rows, columns=["calendar_date", "is_workday", "is_holiday", "holiday_name", "workday_index", "calendar_source"])
    return frame, warnings


def build_calendar(con, start: date, end: date) -> list[str]:
    """Replace ``dim_calendar`` with the dates from ``start`` to ``end``; return warnings."""
    frame, warnings = calendar_frame(start, end)
    con.register("calendar_frame", frame)
    try:
        con.execute("delete from dim_calendar")
        con.execute(
            "insert into dim_calendar select calendar_date::date, is_workday, is_holiday, holiday_name, "
            "workday_index::integer, calendar_source from calendar_frame"
        )
    finally:
        con.unregister("calendar_frame")
    return warnings
