"""Implausible dates are bad cells: a year before 2000, a time after the load (a deadline: more than a
year after it) and a two-digit year (``10/1/25``, ``25/11/3``) are rejected like an unreadable date,
naming file, row and column; the warehouse stays as it was, or ``--skip-bad-rows`` rejects the row.

Dates that must lie in the future or the past are written relative to today, and the window itself is
tested on a fixed load time, so no test depends on the day it runs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from etl.errors import LoadError
from etl.fields import SOURCES
from etl.load import load_files, plan_file
from etl.staging import install_macros, stage

from conftest import run_cli
from test_load import batches, query, sha256, snapshot

HEADER = "工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,网格编号,办结时间,办理时限\n"
GOOD = "Y1,2025-10-09 09:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,2025-10-10 17:00:00,2025-10-20 18:00\n"

TOO_LATE = "时间不合理（晚于本次导入时间），请核对年份和月份是否写错。"
TOO_EARLY = "年份不合理（早于 2000 年），请核对年份是否写错。"
TWO_DIGIT = "无法识别的日期时间：年份只写了两位，分不清哪个是年、哪个是月和日。请写四位年份，如 2025-10-07 12:44 或 2025/10/7 12:44。"
DEADLINE_TOO_LATE = "办理时限不合理（比本次导入时间晚一年以上），请核对年份是否写错。"


def _hotline(folder: Path, name: str, *rows: str) -> Path:
    path = folder / name
    path.write_text(HEADER + GOOD + "".join(rows), encoding="utf-8")
    return path


def _first_problem(error: LoadError) -> str:
    return str(error).splitlines()[1]


def test_a_year_typo_in_the_future_is_refused_and_changes_nothing(warehouse_copy, tmp_path):
    path = _hotline(tmp_path, "hotline_2062.csv",
                    "Y2,2062-11-20 09:15:00,投诉,市容环境,南宁街道,西湖社区,XH-02,,\n")
    before, before_tables = sha256(warehouse_copy), snapshot(warehouse_copy)
    with pytest.raises(LoadError) as err:
        load_files([path])
    assert str(err.value) == (
        "错误：文件 hotline_2062.csv 有 1 处问题，本次导入未写入任何数据。请按下列提示修正后重新导入，或加 --skip-bad-rows 只导入没有问题的行：\n"
        f"  文件 hotline_2062.csv 第 3 行，列「来电时间」，值 “2062-11-20 09:15:00”：{TOO_LATE}")
    assert sha256(warehouse_copy) == before
    assert snapshot(warehouse_copy) == before_tables
    assert len(batches(warehouse_copy)) == 6


def test_the_cli_says_it_in_one_error_and_exits_1(warehouse_copy, tmp_path, capsys):
    path = _hotline(tmp_path, "hotline_2062.csv",
                    "Y2,2062-11-20 09:15:00,投诉,市容环境,南宁街道,西湖社区,XH-02,,\n")
    before = sha256(warehouse_copy)
    code, out, err = run_cli(["load", "--quiet", str(path)], capsys)
    assert (code, out) == (1, "")
    assert err.startswith("错误：文件 hotline_2062.csv 有 1 处问题")
    assert f"第 3 行，列「来电时间」，值 “2062-11-20 09:15:00”：{TOO_LATE}" in err
    assert "Traceback" not in err
    assert sha256(warehouse_copy) == before


@pytest.mark.parametrize(("row", "column", "value", "message"), [
    ("Y2,1925-10-01 08:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,,\n", "来电时间", "1925-10-01 08:00:00", TOO_EARLY),
    ("Y2,10/1/25 8:00,投诉,市容环境,南宁街道,西湖社区,XH-02,,\n", "来电时间", "10/1/25 8:00", TWO_DIGIT),
    ("Y2,25/10/1,投诉,市容环境,南宁街道,西湖社区,XH-02,,\n", "来电时间", "25/10/1", TWO_DIGIT),
    ("Y2,2025-11-02 09:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,25/11/3 10:00,\n", "办结时间", "25/11/3 10:00", TWO_DIGIT),
    ("Y2,2025-10-09 09:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,2205-10-10 17:00:00,\n", "办结时间", "2205-10-10 17:00:00", TOO_LATE),
    ("Y2,2025-10-09 09:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,,2062-10-20 18:00\n", "办理时限", "2062-10-20 18:00", DEADLINE_TOO_LATE),
])
def test_implausible_dates_are_refused_naming_row_and_column(warehouse_copy, tmp_path, row, column, value, message):
    path = _hotline(tmp_path, "hotline_odd_date.csv", row)
    before = sha256(warehouse_copy)
    with pytest.raises(LoadError) as err:
        load_files([path])
    assert _first_problem(err.value) == f"  文件 hotline_odd_date.csv 第 3 行，列「{column}」，值 “{value}”：{message}"
    assert sha256(warehouse_copy) == before


def test_a_deadline_next_month_is_accepted(warehouse_copy, tmp_path):
    due = datetime.combine(date.today() + timedelta(days=30), datetime.min.time()).replace(hour=18)
    path = _hotline(tmp_path, "hotline_due_ahead.csv",
                    f"Y2,2025-10-09 09:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,,{due:%Y-%m-%d %H:%M}\n")
    report = load_files([path]).files[0]
    assert (report.inserted, report.rejected) == (2, 0)
    assert query(warehouse_copy, "select due_at from fct_tickets where ticket_id = 'Y2'") == [(due,)]


def test_skip_bad_rows_rejects_the_odd_dates_and_loads_the_rest(warehouse_copy, tmp_path):
    path = _hotline(tmp_path, "hotline_odd_dates.csv",
                    "Y2,2062-11-20 09:15:00,投诉,市容环境,南宁街道,西湖社区,XH-02,,\n",
                    "Y3,1925-10-01 08:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,,\n",
                    "Y4,10/1/25 8:00,投诉,市容环境,南宁街道,西湖社区,XH-02,,\n",
                    "Y5,2025-11-02 09:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,25/11/3 10:00,\n",
                    "Y6,2025-10-11 09:00:00,咨询,社会保障,南宁街道,东风社区,DF-01,,\n")
    report = load_files([path], skip_bad_rows=True).files[0]
    assert (report.rows_read, report.inserted, report.rejected) == (6, 2, 4)
    assert report.warnings[0].startswith("4 行有问题未导入，已连同原因写入 hotline_odd_dates.rejected.csv")
    rejects = [line.split(",") for line in report.rejects_path.read_text(encoding="utf-8-sig").splitlines()]
    header = rejects[0]
    assert [(r[0], r[header.index("工单编号")], r[-1]) for r in rejects[1:]] == [
        ("3", "Y2", "列「来电时间」：" + TOO_LATE), ("4", "Y3", "列「来电时间」：" + TOO_EARLY),
        ("5", "Y4", "列「来电时间」：" + TWO_DIGIT), ("6", "Y5", "列「办结时间」：" + TWO_DIGIT)]
    assert query(warehouse_copy, "select ticket_id from fct_tickets where ticket_id like 'Y%' order by 1") == [("Y1",), ("Y6",)]
    # 数据截至 is still the newest real time, not 2062.
    assert query(warehouse_copy, "select max(received_at) < now()::timestamp from fct_tickets") == [(True,)]


def test_an_inspection_date_in_the_future_is_refused(warehouse_copy, tmp_path):
    path = tmp_path / "inspections_2062.csv"
    path.write_text("考核编号,考核日期,物业企业,小区名称,考核项目,得分,考核人\n"
                    "K1,2025-10-12,云岭物业服务有限公司,金碧花园,环境卫生,90,刘洋\n"
                    "K2,2062-10-12,云岭物业服务有限公司,金碧花园,环境卫生,90,刘洋\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([path])
    assert _first_problem(err.value) == f"  文件 inspections_2062.csv 第 3 行，列「考核日期」，值 “2062-10-12”：{TOO_LATE}"


def test_the_window_around_a_fixed_load_time(tmp_path):
    """From 2000 to a day after the load (times are Beijing time, the clock may be on another zone);
    a deadline up to a year after it."""
    loaded_at = datetime(2026, 3, 1, 12, 0)
    cells = [
        ("W1", "2000-01-01 00:00:00", "", ""),                   # the first plausible time
        ("W2", "1999-12-31 23:59:59", "", ""),                   # just before it
        ("W3", "2026-03-01 20:00:00", "2026-03-02 08:00:00", ""),  # hours after the load: another zone's clock
        ("W4", "2026-03-03 12:00:00", "", ""),                   # two days after
        ("W5", "2026-02-27 09:00:00", "2026-03-05 09:00:00", ""),  # closed days after the load
        ("W6", "2026-02-27 09:00:00", "", "2027-02-20 18:00"),   # a deadline eleven months ahead
        ("W7", "2026-02-27 09:00:00", "", "2027-04-01 18:00"),   # thirteen months ahead
        ("W8", "45931", "", "15个工作日"),                        # an Excel serial (2025-10-01), working days
        ("W9", "20000", "", ""),                                 # an Excel serial in 1954
    ]
    path = tmp_path / "window.csv"
    path.write_text("工单编号,来电时间,办结时间,办理时限\n" + "".join(f"{','.join(c)}\n" for c in cells), encoding="utf-8")
    plan = plan_file(path)
    con = duckdb.connect()
    install_macros(con)
    stage(con, plan.raw, SOURCES["hotline"], plan.mapping, plan.required, loaded_at=loaded_at)
    problems = con.execute("select c.ticket_id, p.field, p.message from stg_problems p join stg_cells c using (row_no) "
                           "order by 1, 2").fetchall()
    con.close()
    assert problems == [("W2", "received_at", TOO_EARLY), ("W4", "received_at", TOO_LATE),
                        ("W5", "resolved_at", TOO_LATE), ("W7", "due_at", DEADLINE_TOO_LATE),
                        ("W9", "received_at", TOO_EARLY)]


def test_a_deadline_given_as_a_day_allows_the_whole_day(warehouse_copy, tmp_path):
    """办理时限 "2026-10-17" means by the end of that day: a ticket closed at 14:46 that day is on time (read
    as 00:00 it was 逾期办结, and an open one 超期 a day early). A time given stays as given."""
    path = tmp_path / "deadline_days.csv"
    path.write_text("工单编号,来电时间,办结时间,办理时限\n"
                    "DD1,2025-10-09 09:00,2025-10-17 14:46,2025-10-17\n"
                    "DD2,2025-10-09 09:00,2025-10-17 14:46,2025-10-17 12:00\n"
                    "DD3,2025-10-09 09:00,,2025年10月17日\n"
                    "DD4,2025-10-09 09:00,,20251017\n"
                    "DD5,2025-10-09 09:00,,45947\n"          # an Excel serial day: 2025-10-17
                    "DD6,2025-10-09 09:00,,10/17/2025\n"
                    "DD7,2025-10-09 09:00,,15个工作日\n", encoding="utf-8")
    load_files([path])
    end_of_day = datetime(2025, 10, 17, 23, 59, 59)
    assert query(warehouse_copy, "select ticket_id, due_at, due_workdays from fct_tickets where ticket_id like 'DD%' "
                                 "order by 1") == [
        ("DD1", end_of_day, None), ("DD2", datetime(2025, 10, 17, 12, 0), None), ("DD3", end_of_day, None),
        ("DD4", end_of_day, None), ("DD5", end_of_day, None), ("DD6", end_of_day, None), ("DD7", None, 15)]
    # 按期 is resolved_at <= 时限 (docs/metrics.md): closed at 14:46 on the day is on time, after 12:00 it is not.
    assert query(warehouse_copy, "select ticket_id, resolved_at <= due_at from fct_tickets where ticket_id in ('DD1', 'DD2') "
                                 "order by 1") == [("DD1", True), ("DD2", False)]


AMBIGUOUS = ("无法确定是“日/月/年”还是“月/日/年”（如 04/11/2026 可以是 11月4日，也可以是 4月11日），"
             "本文件其他单元格也看不出是哪一种。请在导入页的“日期顺序”中选择（命令行加 --date-order day 或 month），"
             "或改写为年份在前的格式，如 2026-11-04 14:32 或 2026/11/4 14:32，再重新导入。")


def test_a_slash_date_that_may_be_day_or_month_first_is_refused(warehouse_copy, tmp_path):
    """04/10/2025 was read as April 10 without a word; a Chinese export that writes it means 4 October."""
    path = _hotline(tmp_path, "hotline_dmy.csv", "Y2,04/10/2025 14:32,投诉,市容环境,南宁街道,西湖社区,XH-02,,\n",
                    "Y3,05/05/2025 09:00,投诉,市容环境,南宁街道,西湖社区,XH-02,,\n")   # the same either way
    before = snapshot(warehouse_copy)
    with pytest.raises(LoadError) as err:
        load_files([path])
    assert str(err.value).splitlines()[1:] == [f"  文件 hotline_dmy.csv 第 3 行，列「来电时间」，值 “04/10/2025 14:32”：{AMBIGUOUS}"]
    assert snapshot(warehouse_copy) == before


@pytest.mark.parametrize(("proof", "read_as"), [
    ("13/10/2025 08:00", datetime(2025, 10, 4, 14, 32)),   # a first part above 12: 日/月/年
    ("10/13/2025 08:00", datetime(2025, 4, 10, 14, 32)),   # a second part above 12: 月/日/年
])
def test_other_dates_of_the_column_tell_the_order(warehouse_copy, tmp_path, proof, read_as):
    path = _hotline(tmp_path, "hotline_dmy_told.csv", "Y2,04/10/2025 14:32,投诉,市容环境,南宁街道,西湖社区,XH-02,,\n",
                    f"Y3,{proof},投诉,市容环境,南宁街道,西湖社区,XH-02,,\n")
    report = load_files([path]).files[0]
    assert (report.inserted, report.rejected) == (3, 0)
    assert query(warehouse_copy, "select received_at from fct_tickets where ticket_id = 'Y2'") == [(read_as,)]


def test_a_day_first_deadline_given_as_a_day_allows_the_whole_day(warehouse_copy, tmp_path):
    path = tmp_path / "deadline_dmy.csv"
    path.write_text("工单编号,来电时间,办理时限\nDM1,2025-10-09 09:00,17/10/2025\nDM2,2025-10-09 09:00,06/11/2025 18:00\n",
                    encoding="utf-8")
    load_files([path])
    assert query(warehouse_copy, "select ticket_id, due_at from fct_tickets where ticket_id like 'DM%' order by 1") == [
        ("DM1", datetime(2025, 10, 17, 23, 59, 59)), ("DM2", datetime(2025, 11, 6, 18, 0))]


@pytest.mark.parametrize(("received", "resolved", "read_as"), [
    # 来电时间 tells nothing (days up to 12); 办结时间 of the same file does: 17/10/2025 is 日/月/年.
    ("04/10/2025 14:32", "17/10/2025 09:00", datetime(2025, 10, 4, 14, 32)),
    # ... and 10/17/2025 is 月/日/年.
    ("04/10/2025 14:32", "10/17/2025 09:00", datetime(2025, 4, 10, 14, 32)),
    # A time with AM/PM is an American export's 月/日/年.
    ("04/10/2025 02:32:00 PM", "04/11/2025 09:00:00 AM", datetime(2025, 4, 10, 14, 32)),
])
def test_the_files_other_time_columns_tell_the_order(warehouse_copy, tmp_path, received, resolved, read_as):
    """A weekly export of 11/02/2026 ... 11/08/2026 tells nothing in one column; the file's columns are written
    alike, so one that tells decides for all (they were refused each on its own)."""
    path = _hotline(tmp_path, "hotline_dmy_file.csv", f"Y2,{received},投诉,市容环境,南宁街道,西湖社区,XH-02,{resolved},\n")
    report = load_files([path]).files[0]
    assert (report.inserted, report.rejected) == (2, 0)
    assert query(warehouse_copy, "select received_at from fct_tickets where ticket_id = 'Y2'") == [(read_as,)]


def test_columns_that_tell_opposite_orders_leave_the_others_refused(warehouse_copy, tmp_path):
    path = _hotline(tmp_path, "hotline_dmy_mixed.csv",
                    "Y2,13/10/2025 14:32,投诉,市容环境,南宁街道,西湖社区,XH-02,10/14/2025 09:00,04/11/2025\n")
    before = snapshot(warehouse_copy)
    with pytest.raises(LoadError) as err:
        load_files([path])
    assert "列「办理时限」，值 “04/11/2025”：" in str(err.value) and AMBIGUOUS in str(err.value)
    assert snapshot(warehouse_copy) == before


# A weekly export of the same template: its dates (all up to the 12th) tell nothing, an earlier week's did.
UNTOLD = "Y2,04/10/2025 14:32,投诉,市容环境,南宁街道,西湖社区,XH-02,,\n"


def _told_week(folder: Path) -> Path:
    return _hotline(folder, "week1.csv", "Y3,13/10/2025 08:00,投诉,市容环境,南宁街道,西湖社区,XH-02,,\n")


def test_a_file_that_does_not_tell_is_read_as_the_last_file_of_its_template(warehouse_copy, tmp_path):
    first = load_files([_told_week(tmp_path)]).files[0]
    report = load_files([_hotline(tmp_path, "week2.csv", UNTOLD)]).files[0]
    assert (report.inserted, report.rejected) == (1, 0)
    assert query(warehouse_copy, "select received_at from fct_tickets where ticket_id = 'Y2'") == [(datetime(2025, 10, 4, 14, 32),)]
    assert (f"列「来电时间」中形如 04/11/2026 的日期，本文件看不出是“日/月/年”还是“月/日/年”，已按此前导入的同格式文件 "
            f"week1.csv（批次 {first.batch_id}）读作“日/月/年”。") in report.warnings[-1]
    # ... and it is remembered in turn: the batch records the order it was read in.
    assert query(warehouse_copy, "select date_order from load_batches where batch_id = ?", [report.batch_id]) == [("day",)]


def test_only_a_file_of_the_same_template_and_still_loaded_is_remembered(warehouse_copy, tmp_path):
    from etl.load import rollback

    first = load_files([_told_week(tmp_path)]).files[0]
    other = tmp_path / "other_template.csv"   # one more column: another export template
    other.write_text(HEADER.replace("\n", ",备注\n") + UNTOLD.replace("\n", ",\n"), encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([other])
    assert AMBIGUOUS in str(err.value)
    rollback(first.batch_id)
    before = snapshot(warehouse_copy)
    with pytest.raises(LoadError) as err:   # the file it would be read like was undone
        load_files([_hotline(tmp_path, "week2.csv", UNTOLD)])
    assert AMBIGUOUS in str(err.value)
    assert snapshot(warehouse_copy) == before


@pytest.mark.parametrize(("order", "read_as"), [("day", datetime(2025, 10, 4, 14, 32)), ("month", datetime(2025, 4, 10, 14, 32))])
def test_the_order_chosen_reads_a_file_that_does_not_tell(warehouse_copy, tmp_path, order, read_as):
    load_files([_told_week(tmp_path)])   # (a remembered 日/月/年 gives way to the order chosen)
    report = load_files([_hotline(tmp_path, "week2.csv", UNTOLD)], date_order=order).files[0]
    assert (report.inserted, report.rejected) == (1, 0)
    assert query(warehouse_copy, "select received_at from fct_tickets where ticket_id = 'Y2'") == [(read_as,)]
    assert not [w for w in report.warnings if "日期" in w]


def test_a_file_that_tells_overrules_the_order_chosen_and_says_so(warehouse_copy, tmp_path):
    report = load_files([_told_week(tmp_path)], date_order="month").files[0]
    assert query(warehouse_copy, "select received_at from fct_tickets where ticket_id = 'Y3'") == [(datetime(2025, 10, 13, 8, 0),)]
    assert ("所选日期顺序“月/日/年”与文件不符：列「来电时间」中有只能是“日/月/年”的日期（某一部分大于 12，或带 AM/PM），"
            "已按文件读取。") in report.warnings


def test_the_cli_takes_a_date_order(warehouse_copy, tmp_path, capsys):
    path = _hotline(tmp_path, "week2.csv", UNTOLD)
    code, out, err = run_cli(["load", str(path), "--date-order", "month"], capsys)
    assert code == 0, err
    assert query(warehouse_copy, "select received_at from fct_tickets where ticket_id = 'Y2'") == [(datetime(2025, 4, 10, 14, 32),)]
