"""An extension (延期) moves the status and the deadline but no event time: an export from before it, loaded
after it, is as recent by its events and must not take the extension back. Corrections at the same
progress (a category, an address, 重办) still apply, and an export that states its own export time in a
title row (导出时间：...) is ordered by that time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from etl.load import load_files
from etl.readers import read_export

from test_load import query

HEADER = "工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,诉求地址,来电人,来电号码,诉求内容,办理时限,工单状态"
ROW = "{id},2025-10-05 09:00:00,投诉,{category},南宁街道,东风社区,{address},吴一,13812340003,路灯不亮,{due},{status}"
BEFORE = dict(id="X1", category="市容环境", address="东风路120号", due="2025-10-12 18:00:00", status="办理中")
EXTENDED = {**BEFORE, "due": "2025-10-20 18:00:00", "status": "延期"}
STORED = "select status, due_at, category_l1, address from fct_tickets join ticket_pii using (ticket_id) where ticket_id = 'X1'"


def _export(path: Path, *rows: dict, exported: str | None = None) -> Path:
    title = [f"12345热线工单明细表", f"导出时间：{exported}"] if exported else []
    path.write_text("\n".join([*title, HEADER, *(ROW.format(**row) for row in rows)]) + "\n", encoding="utf-8")
    return path


def _older_warning(report) -> str:
    return next((w for w in report.warnings if "在库中已有更新的进展" in w), "")


def test_an_export_from_before_an_extension_loaded_after_it_keeps_the_extension(warehouse_copy, tmp_path):
    load_files([_export(tmp_path / "week2.csv", EXTENDED)])
    report = load_files([_export(tmp_path / "week1.csv", BEFORE)]).files[0]
    assert query(warehouse_copy, STORED) == [("延期", datetime(2025, 10, 20, 18, 0), "市容环境", "东风路120号")]
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 1)
    assert _older_warning(report).startswith("1 条工单在库中已有更新的进展（其中 1 条已延期，本文件中是延期前较早的办理时限）")


def test_the_extension_loaded_after_the_export_from_before_it_applies(warehouse_copy, tmp_path):
    load_files([_export(tmp_path / "week1.csv", BEFORE)])
    report = load_files([_export(tmp_path / "week2.csv", EXTENDED)]).files[0]
    assert query(warehouse_copy, STORED) == [("延期", datetime(2025, 10, 20, 18, 0), "市容环境", "东风路120号")]
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)
    assert not _older_warning(report)


@pytest.mark.parametrize("change, expected", [
    (dict(category="物业管理"), ("延期", datetime(2025, 10, 20, 18, 0), "物业管理", "东风路120号")),
    (dict(address="东风路122号"), ("延期", datetime(2025, 10, 20, 18, 0), "市容环境", "东风路122号")),
    (dict(status="重办", due="2025-10-15 18:00:00"), ("重办", datetime(2025, 10, 15, 18, 0), "市容环境", "东风路120号")),
    (dict(due="2025-10-25 18:00:00"), ("延期", datetime(2025, 10, 25, 18, 0), "市容环境", "东风路120号")),
])
def test_corrections_at_the_same_progress_still_apply(warehouse_copy, tmp_path, change, expected):
    """A corrected category or address with the deadline unchanged, a reopened ticket, a second extension:
    none takes an extension back, each is the newer state."""
    load_files([_export(tmp_path / "week2.csv", EXTENDED)])
    report = load_files([_export(tmp_path / "week2_fixed.csv", {**EXTENDED, **change})]).files[0]
    assert query(warehouse_copy, STORED) == [expected]
    assert (report.updated, report.unchanged) == (1, 0)
    assert not _older_warning(report)


def test_an_export_time_in_the_title_row_is_read(tmp_path):
    raw = read_export(_export(tmp_path / "titled.csv", BEFORE, exported="2025-10-13 08:30"))
    assert raw.exported_at == datetime(2025, 10, 13, 8, 30)
    assert raw.header_row == 3
    assert read_export(_export(tmp_path / "plain.csv", BEFORE)).exported_at is None


def test_a_later_export_by_its_title_row_takes_an_extension_back(warehouse_copy, tmp_path):
    """The platform withdrew the extension: its export says it was made later, so it is the newer state."""
    load_files([_export(tmp_path / "monday.csv", EXTENDED, exported="2025-10-13 08:30")])
    report = load_files([_export(tmp_path / "friday.csv", BEFORE, exported="2025-10-17 17:00")]).files[0]
    assert query(warehouse_copy, STORED) == [("办理中", datetime(2025, 10, 12, 18, 0), "市容环境", "东风路120号")]
    assert (report.updated, report.unchanged) == (1, 0)
    assert query(warehouse_copy, "select exported_at from load_batches order by batch_id desc limit 1") == [
        (datetime(2025, 10, 17, 17, 0),)]


def test_an_earlier_export_by_its_title_row_changes_nothing_at_the_same_progress(warehouse_copy, tmp_path):
    """Last week's export, loaded late, differs only in a field no event time dates (its category then):
    its title row says it is older, so the stored state stays, counted and said as older."""
    load_files([_export(tmp_path / "friday.csv", {**EXTENDED, "category": "物业管理"}, exported="2025-10-17 17:00")])
    report = load_files([_export(tmp_path / "monday.csv", EXTENDED, exported="2025-10-13 08:30")]).files[0]
    assert query(warehouse_copy, STORED) == [("延期", datetime(2025, 10, 20, 18, 0), "物业管理", "东风路120号")]
    assert (report.updated, report.unchanged) == (0, 1)
    assert _older_warning(report).startswith(
        "1 条工单在库中已有更新的进展（其中 1 条的库中状态来自导出时间更晚的文件）")


# A reopen (重办) keeps the first 办结时间 and callback: like an extension it moves no event time.
REOPEN_HEADER = "工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,诉求地址,来电人,来电号码,诉求内容,办结时间,回访时间,是否解决,工单状态"
REOPEN_ROW = "{id},{received},投诉,市容环境,南宁街道,东风社区,东风路120号,吴一,13812340003,路灯不亮,{done},{callback},{solved},{status}"
CLOSED = dict(id="X1", received="2025-10-05 09:00:00", done="2025-10-06 10:00:00", callback="2025-10-07 15:00:00",
              solved="否", status="已办结")
REOPENED = {**CLOSED, "status": "重办"}


def _reopen_export(path: Path, x1: dict, newest_other: str, exported: str | None = None) -> Path:
    """An export of X1 beside ticket Y (received at ``newest_other``, in hand): Y's receipt dates the export."""
    title = ["12345热线工单明细表", f"导出时间：{exported}"] if exported else []
    other = dict(id=f"Y{newest_other[8:10]}", received=newest_other, done="", callback="", solved="", status="办理中")
    path.write_text("\n".join([*title, REOPEN_HEADER, REOPEN_ROW.format(**x1), REOPEN_ROW.format(**other)]) + "\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("exported", [None, "2025-10-09 08:30"])
def test_an_export_from_before_a_reopen_loaded_after_it_keeps_the_reopen(warehouse_copy, tmp_path, exported):
    """This week's export (no export time, its newest event on the 13th) has X1 reopened; last week's, loaded after
    it, has X1 closed at the same progress. Last week's newest event (the 8th), or its title row's export time (the
    9th), is earlier than this week's newest event: the 已办结 is the state before the reopen, kept back and said."""
    load_files([_reopen_export(tmp_path / "week2.csv", REOPENED, "2025-10-13 09:00:00")])
    report = load_files([_reopen_export(tmp_path / "week1.csv", CLOSED, "2025-10-08 09:00:00", exported)]).files[0]
    assert query(warehouse_copy, "select status from fct_tickets where ticket_id = 'X1'") == [("重办",)]
    assert (report.inserted, report.updated, report.unchanged) == (1, 0, 1)
    assert _older_warning(report).startswith(
        "1 条工单在库中已有更新的进展（其中 1 条在库中已重办，本文件比带来重办的文件导出得早，其中是重办前的状态）")


def test_a_later_export_that_closes_a_reopened_ticket_at_the_same_progress_applies(warehouse_copy, tmp_path):
    """The platform withdrew the reopen: an export whose newest event is later than the one the 重办 came from says
    已办结 with the same times, and is the newer state."""
    load_files([_reopen_export(tmp_path / "week2.csv", REOPENED, "2025-10-13 09:00:00")])
    report = load_files([_reopen_export(tmp_path / "week3.csv", CLOSED, "2025-10-20 09:00:00")]).files[0]
    assert query(warehouse_copy, "select status from fct_tickets where ticket_id = 'X1'") == [("已办结",)]
    assert (report.inserted, report.updated) == (1, 1)
    assert not _older_warning(report)


def test_a_reopen_stored_before_newest_events_were_kept_is_judged_by_its_rows(warehouse_copy, tmp_path):
    """A warehouse from before load_batches.newest_event_at: the 重办's batch is dated by the rows it wrote."""
    load_files([_reopen_export(tmp_path / "week2.csv", REOPENED, "2025-10-13 09:00:00")])
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("update load_batches set newest_event_at = null")
    load_files([_reopen_export(tmp_path / "week1.csv", CLOSED, "2025-10-08 09:00:00")])
    assert query(warehouse_copy, "select status from fct_tickets where ticket_id = 'X1'") == [("重办",)]
