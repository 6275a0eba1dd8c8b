"""The working-day calendar (etl/calendar.py): chinese-calendar where it knows the year, the overrides
file, then the law's public holidays and Monday to Friday, with a warning."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import chinese_calendar
import pytest

from etl.calendar import calendar_frame, statutory_holidays


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_holidays_by_law_are_days_off_in_the_published_schedules(year):
    """For the years chinese-calendar covers (the State Council's schedules), every holiday the law names
    is a day off under the same name: the dates worked out from the lunar calendar and the solar terms are
    the right ones. (The schedules add more days off around them: 调休.)"""
    by_law = statutory_holidays(year)
    assert len(by_law) == 13
    assert sorted(set(by_law.values())) == sorted({"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"})
    english = {"元旦": "New Year's Day", "春节": "Spring Festival", "清明节": "Tomb-sweeping Day",
               "劳动节": "Labour Day", "端午节": "Dragon Boat Festival", "中秋节": "Mid-autumn Festival",
               "国庆节": "National Day"}
    for day, name in by_law.items():
        on_holiday, holiday = chinese_calendar.get_holiday_detail(day)
        assert not chinese_calendar.is_workday(day) and on_holiday, (day, name)
        assert holiday == english[name], (day, name)


def test_a_year_the_package_does_not_know_has_its_holidays_by_law_and_a_warning():
    frame, warnings = calendar_frame(date(2026, 12, 28), date(2027, 2, 12), overrides={})
    days = frame.set_index("calendar_date")
    new_year = days.loc[date(2027, 1, 1)]
    assert (bool(new_year.is_workday), bool(new_year.is_holiday), new_year.holiday_name, new_year.calendar_source) == \
        (False, True, "元旦", "statutory")
    spring = days.loc[[date(2027, 2, d) for d in (5, 6, 7, 8)]]   # 除夕 to 初三 (Friday to Monday)
    assert not spring.is_workday.any() and set(spring.holiday_name) == {"春节"}
    monday = days.loc[date(2027, 1, 4)]
    assert bool(monday.is_workday) and monday.calendar_source == "weekend_rule"
    assert days.loc[date(2026, 12, 31)].calendar_source == "chinese_calendar"
    # Working days after Thursday 2026-12-31 up to Tuesday 2027-01-05: Monday and Tuesday (Friday is 元旦).
    index = days.workday_index
    assert index[date(2027, 1, 5)] - index[date(2026, 12, 31)] == 2
    assert len(warnings) == 1 and warnings[0].startswith("2027 年的放假调休安排未知") and "config/calendar_overrides.csv" in warnings[0]


def test_the_overrides_file_wins_over_the_law():
    """A published schedule entered in config/calendar_overrides.csv: a 调休 Sunday worked, a day off
    added next to a holiday; the law's days stay where the file says nothing."""
    overrides = {date(2027, 2, 14): (True, None), date(2027, 2, 9): (False, "春节")}
    frame, _ = calendar_frame(date(2027, 2, 1), date(2027, 2, 28), overrides=overrides)
    days = frame.set_index("calendar_date")
    assert bool(days.loc[date(2027, 2, 14)].is_workday) and days.loc[date(2027, 2, 14)].calendar_source == "override"
    assert not days.loc[date(2027, 2, 9)].is_workday and days.loc[date(2027, 2, 9)].calendar_source == "override"
    assert days.loc[date(2027, 2, 8)].calendar_source == "statutory"


def test_a_year_whose_schedule_is_in_the_overrides_file_is_not_said_to_be_unknown():
    """The warning asks for the State Council's schedule in config/calendar_overrides.csv; once it is
    there (the file lists only the days that differ from the law and Monday-Friday), the year is known:
    the load no longer says its 调休 is missing. A year without a line still is."""
    overrides = {date(2027, 2, 14): (True, None), date(2027, 2, 9): (False, "春节")}
    _frame, warnings = calendar_frame(date(2027, 1, 1), date(2028, 1, 31), overrides=overrides)
    assert len(warnings) == 1 and warnings[0].startswith("2028 年的放假调休安排未知")


@pytest.mark.parametrize(("line", "message"), [
    ("2027-2-9,0,春节", "文件 calendar_overrides.csv 第 3 行，列「calendar_date」，值 “2027-2-9”："
                       "日期应写成 2027-02-09 这样的格式（四位年份，月、日各两位）。"),
    ("2027-02-14,是,", "文件 calendar_overrides.csv 第 3 行，列「is_workday」，值 “是”："
                      "应为 1（上班，如调休上班的周末）或 0（放假）。"),
    ("2027-02-14", "文件 calendar_overrides.csv 第 3 行，列「is_workday」："
                   "应为 1（上班，如调休上班的周末）或 0（放假）。"),
])
def test_a_mistyped_overrides_line_is_an_error_naming_file_line_and_fix(tmp_path, line, message):
    """A typo in the file the user edits by hand is said like a bad cell of an export (file, line,
    column, value, what to write), not a Python traceback at the end of every load and refresh."""
    from etl.calendar import read_overrides
    from etl.errors import LoadError

    path = tmp_path / "calendar_overrides.csv"
    path.write_text("# 注释\ncalendar_date,is_workday,holiday_name\n" + line + "\n", encoding="utf-8")
    with pytest.raises(LoadError) as error:
        read_overrides(path)
    assert str(error.value) == (
        "错误：工作日历补充文件 calendar_overrides.csv 有 1 处问题，工作日历未生成：\n  " + message)


def test_the_overrides_file_reads_its_days():
    from etl.calendar import read_overrides

    assert read_overrides(Path(__file__).resolve().parent.parent / "config" / "calendar_overrides.csv") == {}


def test_a_load_warns_of_an_unknown_year_that_an_open_tickets_derived_deadline_reaches(warehouse_db, tmp_path):
    """A ticket open in late 2026 whose deadline (40 working days, derived on the calendar) falls in 2027:
    its overdue and near-deadline flags follow 2027's calendar, which chinese-calendar 1.11 does not know,
    so the load says so, as it does when an export's own deadline lies in that year."""
    from etl.load import load_files

    path = tmp_path / "hotline.csv"
    path.write_text("工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,网格编号,办结时间,办理时限\n"
                    "Y1,2026-11-20 09:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,,40个工作日\n", encoding="utf-8")
    report = load_files([path])
    assert [w for w in report.warnings if w.startswith("2027 年的放假调休安排未知")]
