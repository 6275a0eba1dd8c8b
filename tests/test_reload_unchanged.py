"""A reload leaves alone the rows stored exactly as the file has them (etl/unchanged.py), and that
changes nothing but the work: same counts, warnings, rows, history and rollback as a full reload."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

import etl.address_areas
import etl.load
from etl.load import load_files, rollback
from etl.unchanged import find_unchanged

from conftest import FIXTURES
from test_load import query, snapshot

WEEK2 = (FIXTURES / "hotline_week2.csv").read_text(encoding="utf-8-sig")
NEW_ROW = "2025101000008,2025-10-10 08:00:00,求助,市政设施,井盖缺失,北关街9号,吴十,13300006666,,南宁街道,东风社区,,区住建局,,,,,,办理中\n"


def week3(tmp_path: Path, name: str = "hotline_week3.csv", title: str = "麒麟区12345工单明细表") -> Path:
    """Week 2's export a week later: ticket ...06 closed, one new ticket, the other six as they were."""
    text = WEEK2.replace("麒麟区12345工单明细表", title).replace(
        "2025100800006,2025-10-08 09:15:00,投诉,物业管理,电梯故障,东风路120号翠湖小区5栋,孙八,13500004444,,南宁街道,东风社区,,南宁街道办事处,2025-10-08 09:30:00,,,,,办理中",
        "2025100800006,2025-10-08 09:15:00,投诉,物业管理,电梯故障,东风路120号翠湖小区5栋,孙八,13500004444,,南宁街道,东风社区,,南宁街道办事处,2025-10-08 09:30:00,2025-10-12 10:00:00,是,满意,,已办结")
    text = text.replace("合计：7条", NEW_ROW + "合计：8条")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def masked(monkeypatch) -> list[str]:
    """Every address the load masks, in order."""
    seen: list[str] = []
    original = etl.address_areas.mask_address
    monkeypatch.setattr(etl.address_areas, "mask_address", lambda a: seen.append(a) or original(a))
    return seen


def no_skipping(con, feed, fields, mapped=None):
    """find_unchanged, then forget what it found: every row goes the whole way."""
    name = find_unchanged(con, feed, fields, mapped)
    con.execute(f"delete from {name}")
    return name


def test_a_reload_skips_unchanged_rows_yet_updates_changed_ones(warehouse_copy, tmp_path, masked):
    before = query(warehouse_copy, "select * from fct_tickets where ticket_id <> '2025100800006' order by 1")
    report = load_files([week3(tmp_path)], db_path=warehouse_copy).files[0]
    assert (report.rows_read, report.inserted, report.updated, report.unchanged, report.rejected) == (8, 1, 1, 6, 0)
    # Only the changed and the new ticket's addresses were worked on.
    assert sorted(masked) == ["东风路120号翠湖小区5栋", "北关街9号"]
    assert query(warehouse_copy, "select status, resolved_at is not null, satisfaction from fct_tickets "
                                 "where ticket_id = '2025100800006'") == [("已办结", True, "满意")]
    assert query(warehouse_copy, "select ticket_id, status, replaced_by_batch_id from fct_tickets_hist "
                                 "where ticket_id = '2025100800006'") == [("2025100800006", "办理中", 7)]
    assert query(warehouse_copy, "select * from fct_tickets where ticket_id not in ('2025100800006', '2025101000008') "
                                 "order by 1") == before
    assert "3 条工单无法定位到网格（无网格编号、坐标或可识别的小区地址），按社区/街道统计，计为“未落格”。" in report.warnings


def test_skipping_gives_the_same_warehouse_and_report(warehouse_copy, tmp_path, monkeypatch):
    full = tmp_path / "full.duckdb"
    shutil.copyfile(warehouse_copy, full)
    files = [week3(tmp_path), week3(tmp_path, "hotline_week3_again.csv", title="麒麟区12345工单明细表（复核）")]
    skipped = [load_files([f], db_path=warehouse_copy).files[0] for f in files]
    monkeypatch.setattr(etl.load, "find_unchanged", no_skipping)
    whole = [load_files([f], db_path=full).files[0] for f in files]
    fields = ("status", "rows_read", "inserted", "updated", "unchanged", "rejected", "warnings", "problem_total")
    assert [[getattr(r, f) for f in fields] for r in skipped] == [[getattr(r, f) for f in fields] for r in whole]
    assert skipped[1].unchanged == 8
    assert snapshot(warehouse_copy) == snapshot(full)
    marts = "select * from mart_rates order by all"
    assert query(warehouse_copy, marts) == query(full, marts)


def test_a_new_compound_places_the_unchanged_rows_again(warehouse_copy, tmp_path, masked):
    # The places a ticket was placed among are part of its hash: after a new compound, a reload of
    # the same cells is worked through again and the ticket whose address names it moves to its grid.
    compounds = tmp_path / "compounds_more.csv"
    compounds.write_text((FIXTURES / "compounds_utf8_bom.csv").read_text(encoding="utf-8-sig")
                         + "CP05,西湖路口,XH-01,西湖社区,安居物业有限公司,90,西湖路1号\n", encoding="utf-8")
    load_files([compounds], db_path=warehouse_copy)
    report = load_files([week3(tmp_path)], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.updated, report.unchanged) == (1, 2, 5)
    assert "西湖社区西湖路口" in masked and len(masked) == 6  # every address of the file
    assert query(warehouse_copy, "select grid_code, compound_code, placed_by from fct_tickets "
                                 "where ticket_id = '2025100100002'") == [("XH-01", "CP05", "address")]


def test_a_compound_moved_to_another_community_places_the_unchanged_rows_again(warehouse_copy, tmp_path):
    # A shared compound name is told apart by the community of a compound without a grid, so that column
    # is part of the hash too: moving CP06 out of 东风社区 leaves one 职工宿舍 there, and a reload of
    # the same cells puts the ticket in DF-02 on it.
    compounds, ticket = tmp_path / "compounds_same_name.csv", tmp_path / "ticket_same_name.csv"
    for community, title, compound_code in (("东风社区", "工单明细", None), ("西湖社区", "工单明细（复核）", "CP05")):
        compounds.write_text("小区编号,小区名称,所属网格,所属社区,物业企业\nCP05,职工宿舍,DF-01,东风社区,云岭物业服务有限公司\n"
                             f"CP06,职工宿舍,,{community},安居物业有限公司\n", encoding="utf-8")
        ticket.write_text(f"{title}\n工单编号,来电时间,诉求地址,网格编号\nW1,2025-10-05 09:00,东风路职工宿舍,DF-02\n",
                          encoding="utf-8")   # the same cells in another file (the same file is not loaded twice)
        assert load_files([compounds, ticket], db_path=warehouse_copy).files[1].status == "loaded"
        assert query(warehouse_copy, "select compound_code from fct_tickets where ticket_id = 'W1'") == [(compound_code,)]


def test_after_a_rollback_the_same_file_updates_again(warehouse_copy, tmp_path):
    path = week3(tmp_path)
    first = load_files([path], db_path=warehouse_copy).files[0]
    rollback(first.batch_id, db_path=warehouse_copy)
    assert query(warehouse_copy, "select status from fct_tickets where ticket_id = '2025100800006'") == [("办理中",)]
    again = load_files([path], db_path=warehouse_copy).files[0]
    assert (again.inserted, again.updated, again.unchanged) == (1, 1, 6)
    assert query(warehouse_copy, "select status from fct_tickets where ticket_id = '2025100800006'") == [("已办结",)]


def test_a_later_copy_of_an_unchanged_row_is_rejected_not_counted(warehouse_copy, tmp_path):
    path = week3(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    copy = next(line for line in lines if line.startswith("2025100100002"))
    path.write_text("".join(lines[:-1] + [copy, lines[-1]]), encoding="utf-8")
    report = load_files([path], db_path=warehouse_copy, skip_bad_rows=True).files[0]
    assert (report.rows_read, report.inserted, report.updated, report.unchanged, report.rejected) == (9, 1, 1, 6, 1)
    assert [p.row_no for p in report.problems] == [12]


def test_rows_stored_before_the_hash_existed_are_compared_as_before(warehouse_copy, tmp_path, masked):
    con = duckdb.connect(str(warehouse_copy))
    con.execute("update fct_tickets set source_hash = null")
    con.close()
    report = load_files([week3(tmp_path)], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 6)
    assert len(masked) == 6  # every address of the file, as before the hash existed
    # Written rows carry their hash from now on, and so do the rows the file gave again exactly (after an upgrade
    # that changed staging's code, the same): the next reload of the same cells leaves every one of them alone.
    assert query(warehouse_copy, "select count(*) from fct_tickets where source_hash is not null") == [(8,)]
    masked.clear()
    again = load_files([week3(tmp_path, "week3_again.csv", "麒麟区12345工单明细表（再次导出）")], db_path=warehouse_copy)
    assert (again.files[0].inserted, again.files[0].updated, again.files[0].unchanged) == (0, 0, 8) and masked == []


def test_an_upsert_updates_in_place_exactly_what_replacing_the_rows_would_give():
    from etl.upsert import replace_children, upsert
    from etl.warehouse import create_schema

    con = duckdb.connect()
    create_schema(con)
    con.execute("insert into dim_streets values ('S1', '东街', 1), ('S2', '西街', 1), ('S3', '南街', 1)")
    con.execute("insert into ticket_pii values ('T1', '张三', '138', '路1号', '内容', 1), ('T2', '李四', null, null, 'x', 1)")
    con.execute("create temp table staged as select * from (values ('S1', '东街'), ('S2', '西大街'), ('S4', '北街')) t(street_code, street_name)")
    counts = upsert(con, "dim_streets", "staged", 2)
    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 1, 1)
    assert con.execute("select * from dim_streets order by 1").fetchall() == [
        ("S1", "东街", 1), ("S2", "西大街", 2), ("S3", "南街", 1), ("S4", "北街", 2)]
    assert con.execute("select * from dim_streets_hist").fetchall() == [("S2", "西街", 1, 2)]
    # A child row is replaced whole for each listed key (here T2, and T3 which is new), every column as staged.
    con.execute("create temp table kids as select * from (values ('T2', null, '139', '路2号', 'y'), ('T3', '王五', null, null, null), "
                "('T1', 'not', 'listed', 'so', 'kept')) t(ticket_id, caller_name, caller_phone, address, content)")
    con.execute("create temp table parents as select * from (values ('T2'), ('T3')) t(ticket_id)")
    replace_children(con, "ticket_pii", "kids", 3, "parents")
    assert con.execute("select * from ticket_pii order by 1").fetchall() == [
        ("T1", "张三", "138", "路1号", "内容", 1), ("T2", None, "139", "路2号", "y", 3), ("T3", "王五", None, None, None, 3)]
    assert con.execute("select * from ticket_pii_hist").fetchall() == [("T2", "李四", None, None, "x", 1, 3)]


MOVED_HEADER = "工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,网格编号,派单时间,签收时间,工单状态\n"


def moved_export(tmp_path: Path, name: str, dispatched: str, responded: str, title: str = "麒麟区12345工单明细表") -> Path:
    path = tmp_path / name
    path.write_text(f"{title}\n" + MOVED_HEADER
                    + f"MV1,2025-10-08 09:15:00,投诉,物业管理,南宁街道,东风社区,DF-01,{dispatched},{responded},办理中\n"
                    + "MV2,2025-10-08 10:00:00,求助,市政设施,南宁街道,东风社区,DF-01,2025-10-08 10:20:00,,办理中\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("skipping", [True, False])
def test_a_time_moved_to_the_empty_neighbouring_column_is_an_update(warehouse_copy, tmp_path, monkeypatch, skipping):
    """派单时间 09:30 with 签收时间 empty, then (a corrected export) 派单时间 empty and 签收时间 09:30: the row hash
    skipped nulls, so both hashed the same and the ticket was counted 未变 and kept its old times. The same
    export loaded again is 未变, also when every row goes the whole way to the hash comparison."""
    if not skipping:
        monkeypatch.setattr(etl.load, "find_unchanged", no_skipping)
    load_files([moved_export(tmp_path, "week1.csv", "2025-10-08 09:30:00", "")], db_path=warehouse_copy)
    report = load_files([moved_export(tmp_path, "week2.csv", "", "2025-10-08 09:30:00")], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    assert query(warehouse_copy, "select dispatched_at, responded_at from fct_tickets where ticket_id = 'MV1'") == [
        (None, datetime(2025, 10, 8, 9, 30))]
    again = load_files([moved_export(tmp_path, "week2_again.csv", "", "2025-10-08 09:30:00", title="麒麟区12345工单明细表（复核）")],
                       db_path=warehouse_copy).files[0]
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


# How row_hash was made before ROW_HASH_VERSION 2: concat_ws, which skips nulls.
def _old_row_hash(table: str, personal: str, keys: str) -> str:
    from etl.load_tickets import ROW_HASH_COLUMNS
    columns = ", ".join(f"p.{c}" if c in ("caller_name", "caller_phone", "address", "content") else f"t.{c}"
                        for c in ROW_HASH_COLUMNS)
    match = " and ".join(f"{table}.{k} = h.{k}" for k in keys.split(", "))
    return (f"update {table} set row_hash = h.row_hash from (select {', '.join(f't.{k}' for k in keys.split(', '))}, "
            f"md5(concat_ws('|', {columns})) as row_hash from {table} t left join {personal} p using ({keys})) h where {match}")


def test_the_first_reload_after_the_row_hash_changed_reports_what_changed(warehouse_copy, tmp_path, masked):
    """A warehouse whose hashes were made the old way (and whose source_hash no longer matches, as after any change
    of staging's code): the reload of the same export with one ticket corrected says 更新 1, not 更新 8 with eight
    copies in history; every stored hash, current and kept for rollback, is the new one afterwards."""
    from etl.load_tickets import row_hash_sql

    path = week3(tmp_path)
    load_files([path], db_path=warehouse_copy)
    con = duckdb.connect(str(warehouse_copy))
    con.execute(_old_row_hash("fct_tickets", "ticket_pii", "ticket_id"))
    con.execute(_old_row_hash("fct_tickets_hist", "ticket_pii_hist", "ticket_id, replaced_by_batch_id"))
    con.execute("update fct_tickets set source_hash = null")
    con.execute("delete from warehouse_meta where name = 'row_hash_version'")
    history = con.execute("select count(*) from fct_tickets_hist").fetchall()[0][0]
    con.close()
    # The same export a day later: one ticket's 诉求类型 corrected (建议 -> 咨询), the other seven as stored.
    again = week3(tmp_path, "hotline_week3_after_upgrade.csv", title="麒麟区12345工单明细表（升级后）")
    again.write_text(again.read_text(encoding="utf-8").replace("2025-10-04 11:11:00,建议", "2025-10-04 11:11:00,咨询"),
                     encoding="utf-8")
    report = load_files([again], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 7)
    assert query(warehouse_copy, "select count(*) from fct_tickets_hist") == [(history + 1,)]
    columns = lambda c: f"p.{c}" if c in ("caller_name", "caller_phone", "address", "content") else f"t.{c}"
    for table, personal, keys in (("fct_tickets", "ticket_pii", "ticket_id"),
                                  ("fct_tickets_hist", "ticket_pii_hist", "ticket_id, replaced_by_batch_id")):
        assert query(warehouse_copy, f"select count(*) from {table} t left join {personal} p using ({keys}) "
                                     f"where t.row_hash <> {row_hash_sql(columns)}") == [(0,)]
    assert query(warehouse_copy, "select value from warehouse_meta where name = 'row_hash_version'") == [("2",)]


INSPECTION_HEADER = "考核编号,考核日期,物业企业,小区名称,考核项目,得分,考核人\n"


def inspections_export(tmp_path: Path, name: str, rows: list[str], title: str = "南宁街道物业服务日常考核记录表") -> Path:
    path = tmp_path / name
    path.write_text(f"{title}\n" + INSPECTION_HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def test_inspection_cells_that_the_old_hash_joined_alike_are_an_update(warehouse_copy, tmp_path):
    """The inspections' row hash skipped nulls as the tickets' did: 考核项目 empty, 得分 92, 考核人 88.0 and then (a
    corrected export, the cells shifted back) 考核项目 92.0, 得分 88, 考核人 empty both joined to ``…|92.0|88.0``, so the
    change was counted 未变 and not written. (考核项目 and 考核人 alone never met: 得分, never empty, lies between them.)
    The corrected export loaded again is 未变."""
    rows = ["K1,2025-10-09,云岭物业服务有限公司,金碧花园,{item},{score},{inspector}",
            "K2,2025-10-09,金马物业管理有限公司,翠湖小区,秩序维护,71.5,刘洋"]
    load_files([inspections_export(tmp_path, "k1.csv", [rows[0].format(item="", score=92, inspector="88.0"), rows[1]])],
               db_path=warehouse_copy)
    corrected = [rows[0].format(item="92.0", score=88, inspector=""), rows[1]]
    report = load_files([inspections_export(tmp_path, "k2.csv", corrected)], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    assert query(warehouse_copy, "select item, score, inspector from fct_inspections where inspection_id = 'K1'") == [
        ("92.0", 88.0, None)]
    assert query(warehouse_copy, "select item, score, inspector from fct_inspections_hist where inspection_id = 'K1'") == [
        (None, 92.0, "88.0")]
    again = load_files([inspections_export(tmp_path, "k2_again.csv", corrected, title="南宁街道物业服务日常考核记录表（复核）")],
                       db_path=warehouse_copy).files[0]
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


# How the inspections' row_hash was made before their ROW_HASH_VERSION 2: concat_ws, which skips nulls.
OLD_INSPECTION_HASH = "md5(concat_ws('|', inspection_id, inspected_on, company_id, compound_code, item, score, inspector))"


def test_the_first_inspection_reload_after_the_row_hash_changed_reports_unchanged_and_rollback_restores(
        warehouse_copy, tmp_path):
    """A warehouse whose inspection hashes were made the old way, with no version recorded: the reload of the same
    export counts every inspection 未变 (K2, whose 考核项目 is empty, was 更新 without the rehash), nothing is copied
    to history, and every stored hash, current and kept for rollback, is the new one. Rolling back the batch that
    changed K3 then puts back its earlier version exactly, and that version's export reloads as 未变 (its stored hash,
    kept for rollback, was rehashed too)."""
    from etl.load_inspections import row_hash_sql

    first = ["K1,2025-10-09,云岭物业服务有限公司,金碧花园,环境卫生,92,刘洋",
             "K2,2025-10-09,金马物业管理有限公司,翠湖小区,,71.5,刘洋",
             "K3,2025-10-10,云岭物业服务有限公司,阳光新城,秩序维护,88,"]
    second = first[:2] + ["K3,2025-10-10,云岭物业服务有限公司,阳光新城,秩序维护,88,陈静"]
    load_files([inspections_export(tmp_path, "k_week1.csv", first)], db_path=warehouse_copy)
    columns = "inspection_id, inspected_on, company_id, compound_code, item, score, inspector, batch_id"
    before = query(warehouse_copy, f"select {columns} from fct_inspections where inspection_id like 'K_' order by 1")
    changed = load_files([inspections_export(tmp_path, "k_week2.csv", second)], db_path=warehouse_copy).files[0]
    assert (changed.updated, changed.unchanged) == (1, 2)
    con = duckdb.connect(str(warehouse_copy))
    for table in ("fct_inspections", "fct_inspections_hist"):
        con.execute(f"update {table} set row_hash = {OLD_INSPECTION_HASH}")
    con.execute("delete from warehouse_meta where name = 'inspection_row_hash_version'")
    history = con.execute("select count(*) from fct_inspections_hist").fetchall()[0][0]
    con.close()
    report = load_files([inspections_export(tmp_path, "k_week2_after_upgrade.csv", second, title="考核记录表（升级后）")],
                        db_path=warehouse_copy).files[0]
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 3)
    assert query(warehouse_copy, "select count(*) from fct_inspections_hist") == [(history,)]
    for table in ("fct_inspections", "fct_inspections_hist"):
        assert query(warehouse_copy, f"select count(*) from {table} where row_hash <> {row_hash_sql()}") == [(0,)]
    assert query(warehouse_copy, "select value from warehouse_meta where name = 'inspection_row_hash_version'") == [("2",)]
    rollback(changed.batch_id, db_path=warehouse_copy)
    assert query(warehouse_copy, f"select {columns} from fct_inspections where inspection_id like 'K_' order by 1") == before
    assert query(warehouse_copy, f"select count(*) from fct_inspections where row_hash <> {row_hash_sql()}") == [(0,)]
    again = load_files([inspections_export(tmp_path, "k_week1_again.csv", first, title="考核记录表（复核）")],
                       db_path=warehouse_copy).files[0]
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
