"""A newer export whose template lacks some columns: the fields of those columns keep the values a
stored ticket has (a column there with an empty cell still means "empty now"), and the load says so;
a reload of such a file changes nothing, and a rollback restores exactly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from etl.load import load_files, rollback

from test_load import query, snapshot

# Week 2's tickets a week later, from a template without 派单时间, 回访时间, 是否解决, 满意度, 诉求内容,
# 诉求地址, 来电人, 来电号码: 00006 is now closed, 00001 is as it was, 00010 is new.
SLIM_HEADER = "工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,网格编号,承办单位,办结时间,工单状态"
SLIM_ROWS = [
    "2025100800006,2025-10-08 09:15:00,投诉,物业管理,南宁街道,东风社区,,南宁街道办事处,2025-10-12 10:00:00,已办结",
    "2025100100001,2025-09-29 08:30:00,投诉,物业管理,南宁街道,,,南宁街道办事处,2025-10-07 16:00:00,已办结",
    "2025101200010,2025-10-12 08:00:00,求助,市政设施,南宁街道,西湖社区,XH-02,区住建局,,办理中",
]
KEPT_WARNING = ("文件没有 派单时间、回访时间、是否解决、满意度、诉求地址、来电人、来电号码、诉求内容 列：其中 2 张已导入过的工单，"
                "这些值保持库中原有的值，未被清空；新工单的这些值为空。若要清空某一项，请导入带有该列、该格留空的文件。")
TICKET = ("select status, resolved_at, dispatched_at, callback_at, is_resolved, satisfaction, placed_by, grid_code, "
          "compound_code, address_area, place_hash, p.caller_name, p.caller_phone, p.address, p.content "
          "from fct_tickets t join ticket_pii p using (ticket_id) where ticket_id = ?")


def slim(tmp_path: Path, rows: list[str] = SLIM_ROWS, header: str = SLIM_HEADER, name: str = "slim.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_absent_columns_keep_the_stored_values_and_the_load_says_so(warehouse_copy, tmp_path):
    before = query(warehouse_copy, TICKET, ["2025100800006"])[0]
    report = load_files([slim(tmp_path)], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 1)
    assert KEPT_WARNING in report.warnings
    after = query(warehouse_copy, TICKET, ["2025100800006"])[0]
    assert after[:2] == ("已办结", datetime(2025, 10, 12, 10, 0))
    assert after[2] == datetime(2025, 10, 8, 9, 30)            # 派单时间: not in the file, kept
    assert after[3:] == before[3:]                              # placement and personal data kept
    assert after[-4:] == ("孙八", "13500004444", "东风路120号翠湖小区5栋", "电梯故障")
    # The ticket the file has exactly as stored (but for its absent columns) is unchanged, not blanked.
    assert query(warehouse_copy, "select batch_id, dispatched_at, satisfaction from fct_tickets "
                                 "where ticket_id = '2025100100001'") == [(5, datetime(2025, 9, 29, 9, 0), "基本满意")]
    # A new ticket from such a file simply has nothing there.
    assert query(warehouse_copy, TICKET, ["2025101200010"])[0][2:6] == (None, None, None, None)
    assert query(warehouse_copy, "select caller_name, caller_phone, address, content from ticket_pii "
                                 "where ticket_id = '2025101200010'") == [(None, None, None, None)]


def test_a_column_there_but_empty_still_empties_the_field(warehouse_copy, tmp_path):
    load_files([slim(tmp_path)], db_path=warehouse_copy)
    # The same cells again, but the template now has 派单时间 and 满意度, empty for 00006: they are emptied,
    # though every cell the two files share is the same (the reload shortcut must not take it as unchanged).
    header = SLIM_HEADER + ",派单时间,满意度"
    report = load_files([slim(tmp_path, [row + ",," for row in SLIM_ROWS], header, "with_empty.csv")],
                        db_path=warehouse_copy).files[0]
    assert query(warehouse_copy, "select dispatched_at, satisfaction from fct_tickets where ticket_id in "
                                 "('2025100800006', '2025100100001') order by ticket_id") == [(None, None), (None, None)]
    assert (report.updated, report.unchanged) == (2, 1)
    assert [w.split(" 列：")[0] for w in report.warnings if w.startswith("文件没有")] == [
        "文件没有 回访时间、是否解决、诉求地址、来电人、来电号码、诉求内容"]


def test_reloading_a_slim_file_changes_nothing_and_rollback_restores_exactly(warehouse_copy, tmp_path):
    # (Exactly but for the reload shortcut's cache key: the slim file's cells give the unchanged ticket exactly
    # as stored, so it keeps their hash after the undo; tests/test_reload_unchanged.py.)
    before = snapshot(warehouse_copy, cache_keys=False)
    first = load_files([slim(tmp_path)], db_path=warehouse_copy).files[0]
    after = snapshot(warehouse_copy)
    # Another copy of the same rows (another title line, so another file): every row unchanged.
    again = load_files([slim(tmp_path, header="麒麟区12345工单明细表（复制）\n" + SLIM_HEADER, name="again.csv")],
                       db_path=warehouse_copy).files[0]
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert snapshot(warehouse_copy) == after
    rollback(again.batch_id)
    rollback(first.batch_id)
    assert snapshot(warehouse_copy, cache_keys=False) == before


def test_without_grid_or_status_columns_the_ticket_keeps_its_grid_and_status(warehouse_copy, tmp_path):
    before = query(warehouse_copy, "select ticket_id, status, placed_by, grid_code, community_code from fct_tickets "
                                   "where ticket_id in ('2025100100003', '2025100800006') order by 1")
    assert before == [("2025100100003", "已办结", "grid_code", "XH-02", "530302001002"),
                      ("2025100800006", "办理中", "address", "DF-02", "530302001001")]
    header = "工单编号,来电时间,诉求类型,一级分类,承办单位,办结时间"
    rows = ["2025100100003,2025-10-01 14:20:00,咨询,社会保障,区医保局,2025-10-01 16:00:00",
            "2025100800006,2025-10-08 09:15:00,投诉,物业管理,南宁街道办事处,2025-10-12 10:00:00"]
    report = load_files([slim(tmp_path, rows, header, "no_grid.csv")], db_path=warehouse_copy).files[0]
    assert (report.updated, report.unchanged) == (1, 1)
    # 00003 is exactly as stored; 00006 is closed by its 办结时间, placed by its stored address as before.
    assert query(warehouse_copy, "select ticket_id, status, placed_by, grid_code, community_code from fct_tickets "
                                 "where ticket_id in ('2025100100003', '2025100800006') order by 1") == [
        before[0], ("2025100800006", "已办结", "address", "DF-02", "530302001001")]


def test_a_file_without_the_caller_or_the_address_keeps_the_callers_name_masked_in_the_area(warehouse_copy, tmp_path):
    """The caller's name in an address (欧阳测试家，…) is masked in the stored area with that name. A later file
    without 来电人 (or without 诉求地址) gives the stored name (or address) back: the area is masked with it
    again, never cut from the address alone (which would store 欧阳测试家 for leaders' screens)."""
    from test_refresh import NAMED, VILLAGE_HEADER

    load_files([slim(tmp_path, NAMED, VILLAGE_HEADER, "named.csv")], db_path=warehouse_copy)
    areas = "select ticket_id, address_area from fct_tickets where ticket_id like 'N%' order by 1"
    stored = query(warehouse_copy, areas)
    assert stored[0] == ("N1", "欧***家，翠湖区翠湖街道幸福路8号")
    no_caller = "工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,诉求地址,工单状态"
    rows = [",".join(r.split(",")[:7] + ["已办结"]) for r in NAMED[:1]]
    load_files([slim(tmp_path, rows, no_caller, "no_caller.csv")], db_path=warehouse_copy)
    no_address = "工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,来电人,工单状态"
    rows = [",".join(r.split(",")[:6] + ["欧阳测试", "已办结"]) for r in NAMED]
    load_files([slim(tmp_path, rows, no_address, "no_address.csv")], db_path=warehouse_copy)
    assert query(warehouse_copy, "select status from fct_tickets where ticket_id = 'N1'") == [("已办结",)]
    after = dict(query(warehouse_copy, areas))
    assert after["N1"] == "欧***家，翠湖区翠湖街道幸福路8号" and after["N2"] == stored[1][1]
    assert "欧阳测试" not in after["N1"] + after["N2"]
