"""Loading through ``etl.load``: the fixture district, placement, text ids, all-or-nothing failures,
rejected rows, idempotent reloads, overlapping exports, rollback, the writer lock and a reader in
another process while a load publishes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from etl.errors import LoadError
from etl.load import load_files, parse_overrides, plan_file, rollback
from etl.upsert import TABLE_KEYS
from etl.warehouse import writer

from conftest import DISTRICT_LOADS, FIXTURES, ROOT

DATA_TABLES = [*TABLE_KEYS, *(f"{t}_hist" for t in TABLE_KEYS)]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def snapshot(path: Path, cache_keys: bool = True) -> dict[str, list[tuple]]:
    """Every row of every table a load writes (and their history twins), in a stable order. Without
    ``cache_keys``, less fct_tickets' source_hash: the reload shortcut's key, which a load may set on rows it
    leaves unchanged and an undo leaves (etl.load_tickets.write_tickets)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        def rows(table: str) -> list[tuple]:
            has_key = "source_hash" in [c[0] for c in con.execute(f"describe {table}").fetchall()]
            columns = "* exclude (source_hash)" if has_key and not cache_keys else "*"
            return sorted(con.execute(f"select {columns} from {table}").fetchall(), key=repr)
        return {t: rows(t) for t in DATA_TABLES}
    finally:
        con.close()


def batches(path: Path) -> list[tuple]:
    return query(path, "select batch_id, file_name, source, rows_read, rows_inserted, rows_updated, rows_unchanged, "
                       "rows_rejected, status from load_batches order by batch_id")


# -- the fixture district ----------------------------------------------------------------------

def test_fixture_district_batches(fixture_warehouse):
    assert batches(fixture_warehouse) == [
        (1, "grids.geojson", "grids", 4, 4, 0, 0, 0, "loaded"),
        (2, "compounds_utf8_bom.csv", "compounds", 4, 4, 0, 0, 0, "loaded"),
        (3, "inspections.xlsx", "inspections", 5, 5, 0, 0, 0, "loaded"),
        (4, "hotline_gbk.csv", "hotline", 5, 5, 0, 0, 0, "loaded"),
        (5, "hotline_week2.csv", "hotline", 7, 2, 2, 3, 0, "loaded"),
        (6, "events.xlsx", "events", 5, 5, 0, 0, 0, "loaded"),
    ]
    assert query(fixture_warehouse, "select encoding, sheet_name, header_row from load_batches order by batch_id") == [
        ("utf-8", None, 0), ("utf-8-sig", None, 1), (None, "考核记录", 4),
        ("gb18030", None, 4), ("utf-8-sig", None, 3), (None, "事件台账", 2),
    ]


def test_fixture_district_places(fixture_warehouse):
    assert query(fixture_warehouse, "select * exclude (batch_id) from dim_streets") == [("530302001", "南宁街道")]
    assert query(fixture_warehouse, "select community_code, community_name, street_code from dim_communities order by 1") == [
        ("530302001001", "东风社区", "530302001"), ("530302001002", "西湖社区", "530302001"),
    ]
    assert query(fixture_warehouse, "select grid_code, grid_name, community_code, street_name, grid_type, households, "
                                    "population, red_households, yellow_households, green_households, centroid_lon, centroid_lat "
                                    "from dim_grids order by 1") == [
        ("DF-01", "东风一网格", "530302001001", "南宁街道", "普通网格", 320, 910, 12, 30, 278, 103.785, 25.485),
        ("DF-02", "东风二网格", "530302001001", "南宁街道", "普通网格", 280, 760, 8, 21, 251, 103.795, 25.485),
        ("XH-01", "西湖一网格", "530302001002", "南宁街道", "普通网格", 350, 1020, 15, 40, 295, 103.785, 25.495),
        ("XH-02", "西湖二网格", "530302001002", "南宁街道", "专属网格", 150, 420, 3, 9, 138, 103.795, 25.495),
    ]
    assert query(fixture_warehouse, "select c.compound_code, c.compound_name, c.grid_code, c.community_code, co.company_name, "
                                    "c.households from dim_compounds c join dim_companies co using (company_id) order by 1") == [
        ("CP01", "金碧花园", "DF-01", "530302001001", "云岭物业服务有限公司", 260),
        ("CP02", "翠湖小区", "DF-02", "530302001001", "金马物业管理有限公司", 180),
        ("CP03", "阳光新城", "XH-01", "530302001002", "云岭物业服务有限公司", 300),
        ("CP04", "锦绣苑", "XH-02", "530302001002", "安居物业有限公司", 150),
    ]


def test_fixture_district_inspections(fixture_warehouse):
    rows = query(fixture_warehouse, "select i.inspected_on, co.company_name, i.compound_code, i.item, i.score, i.inspector "
                                    "from fct_inspections i join dim_companies co using (company_id) order by 1, 3, 4")
    assert [(str(d), *rest) for d, *rest in rows] == [
        ("2025-10-09", "云岭物业服务有限公司", "CP01", "环境卫生", 92.0, "刘洋"),
        ("2025-10-09", "金马物业管理有限公司", "CP02", "环境卫生", 71.5, "刘洋"),
        ("2025-10-10", "云岭物业服务有限公司", "CP03", "秩序维护", 88.0, "陈静"),
        ("2025-10-11", "金马物业管理有限公司", "CP02", "秩序维护", 79.0, "刘洋"),
        ("2025-10-11", "安居物业有限公司", "CP04", "设施设备", 64.0, "陈静"),   # the text date cell
    ]


def test_every_ticket_is_placed_or_counted_unassigned(fixture_warehouse):
    """Grid column, else coordinates in a polygon, else a compound named in the address, else community/street."""
    assert query(fixture_warehouse, "select ticket_id, feed, source, placed_by, grid_code, community_code, compound_code "
                                    "from fct_tickets order by ticket_id") == [
        ("2025100100001", "hotline", "12345热线", "address", "DF-01", "530302001001", "CP01"),
        ("2025100100002", "hotline", "12345热线", "community", None, "530302001002", None),
        ("2025100100003", "hotline", "12345热线", "grid_code", "XH-02", "530302001002", None),
        ("2025100100004", "hotline", "12345热线", "street", None, None, None),
        ("2025100100005", "hotline", "12345热线", "address", "XH-01", "530302001002", "CP03"),
        ("2025100800006", "hotline", "12345热线", "address", "DF-02", "530302001001", "CP02"),
        ("2025100800007", "hotline", "12345热线", "grid_code", "DF-01", "530302001001", None),
        ("SJ20251001001", "events", "网格员上报", "grid_code", "DF-01", "530302001001", "CP01"),
        ("SJ20251002002", "events", "视频巡查", "coordinates", "XH-01", "530302001002", None),
        ("SJ20251003003", "events", "随手拍", "coordinates", "DF-02", "530302001001", None),
        ("SJ20251004004", "events", "110非警务", "address", "XH-02", "530302001002", "CP04"),
        ("SJ20251005005", "events", "网格员上报", "community", None, "530302001002", None),
    ]
    assert query(fixture_warehouse, "select count(*), count(street_code) from fct_tickets") == [(12, 12)]


def test_personal_data_kept_apart_and_id_numbers_never_stored(fixture_warehouse):
    assert query(fixture_warehouse, "select * exclude (batch_id) from ticket_pii where ticket_id = '2025100100001'") == [
        ("2025100100001", "张三", "13812345678", "东风路88号金碧花园3栋2单元501室", "小区垃圾清运不及时，电话13812345678"),
    ]
    # fct_tickets keeps only the masked area of an address, no name, no phone.
    assert query(fixture_warehouse, "select address_area from fct_tickets where ticket_id = '2025100100001'") == [("东风路88号金碧花园",)]
    con = duckdb.connect(str(fixture_warehouse), read_only=True)
    try:
        columns = con.execute("select table_name, column_name from information_schema.columns "
                              "where data_type = 'VARCHAR' and table_schema = 'main'").fetchall()
        stored = [f"{table}.{col}" for table, col in columns
                  if con.execute(f'select count(*) from {table} where "{col}" like ?', ["%530302198001011234%"]).fetchall()[0][0]]
    finally:
        con.close()
    assert len(columns) > 50 and stored == []
    assert "以下个人信息列不会保存：身份证号。" in query(fixture_warehouse, "select warnings from load_batches where batch_id = 4")[0][0]


def test_overlapping_export_updates_and_inserts(fixture_warehouse):
    rows = query(fixture_warehouse, "select ticket_id, status, resolved_at, satisfaction, batch_id from fct_tickets "
                                    "where feed = 'hotline' order by 1")
    assert rows == [
        ("2025100100001", "已办结", datetime(2025, 10, 7, 16, 0), "基本满意", 5),   # updated by week 2
        ("2025100100002", "已办结", datetime(2025, 10, 2, 17, 0), "满意", 4),       # unchanged
        ("2025100100003", "已办结", datetime(2025, 10, 1, 16, 0), "基本满意", 4),
        ("2025100100004", "已办结", datetime(2025, 10, 6, 10, 0), "不满意", 5),     # updated
        ("2025100100005", "已办结", datetime(2025, 10, 5, 15, 0), "满意", 4),
        ("2025100800006", "办理中", None, None, 5),                                  # new
        ("2025100800007", "已办结", datetime(2025, 10, 10, 11, 0), "满意", 5),
    ]
    # The versions week 2 replaced are kept for rollback.
    assert query(fixture_warehouse, "select ticket_id, status, batch_id, replaced_by_batch_id from fct_tickets_hist order by 1") == [
        ("2025100100001", "办理中", 4, 5), ("2025100100004", "办理中", 4, 5),
    ]


def test_a_totals_row_written_with_commas_is_skipped_and_said(warehouse_copy, tmp_path):
    text = (FIXTURES / "hotline_gbk.csv").read_bytes().decode("gbk").replace("合计：5条", "合计：5条" + "," * 18)
    path = tmp_path / "hotline_totals_commas.csv"
    path.write_bytes(text.replace("2025100100005", "2025100100015").encode("gbk"))
    report = load_files([path], db_path=warehouse_copy).files[0]
    assert report.rows_read == 5 and report.rejected == 0
    assert "跳过合计/说明行 1 行。" in report.warnings


def test_a_deadline_given_in_working_days_is_kept_and_used(warehouse_copy, tmp_path):
    path = tmp_path / "hotline_due_days.csv"
    path.write_text(
        "工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,网格编号,办理时限(工作日)\n"
        "D1,2025-10-09 09:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,3\n"
        "D2,2025-10-09 09:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,5个工作日\n"
        "D3,2025-10-09 09:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,2025-10-20 18:00\n", encoding="utf-8")
    load_files([path], db_path=warehouse_copy)
    assert query(warehouse_copy, "select ticket_id, due_at, due_workdays from fct_tickets where ticket_id like 'D_' order by 1") == [
        ("D1", None, 3), ("D2", None, 5), ("D3", datetime(2025, 10, 20, 18, 0), None)]
    # Thu Oct 9 09:00 + 3 working days: Fri 10, Sat 11 (调休, worked), Mon 13 09:00 (not the 15 days of 投诉).
    assert query(warehouse_copy, "select due_at from mart_open_tickets where ticket_id = 'D1'") == [(datetime(2025, 10, 13, 9, 0),)]
    bad = tmp_path / "hotline_due_bad.csv"
    bad.write_text("工单编号,来电时间,诉求类型,一级分类,所属街道,办理时限\nD9,2025-10-09 09:00:00,投诉,市容环境,南宁街道,下周\n",
                   encoding="utf-8")
    with pytest.raises(LoadError) as error:
        load_files([bad], db_path=warehouse_copy)
    assert "第 2 行" in str(error.value) and "办理时限" in str(error.value) and "15个工作日" in str(error.value)



def test_a_ticket_says_which_number_its_derived_deadline_came_from(warehouse_copy, tmp_path):
    """A deadline the marts derive (is_due_derived) comes from the export's number of working days when it gave
    one: the ticket's timeline said 按诉求类型推算 for those too. Now it names the export's number; a ticket with
    no deadline in the export still says 按诉求类型推算, one with a date says nothing."""
    from onescreen import tickets
    from onescreen.queries import run_query

    path = tmp_path / "hotline_due_sources.csv"
    path.write_text(
        "工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,网格编号,办理时限\n"
        "DS1,2025-10-09 09:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,3个工作日\n"
        "DS2,2025-10-09 09:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,\n"
        "DS3,2025-10-09 09:00:00,投诉,市容环境,南宁街道,西湖社区,XH-02,2025-10-20 18:00\n", encoding="utf-8")
    load_files([path], db_path=warehouse_copy)
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        rows = run_query(con, "ticket_list", ticket_id="DS", sort="ticket_id", order="asc", limit=10).set_index("ticket_id")
    finally:
        con.close()
    notes = {t: tickets.timeline(rows.loc[t].to_dict()).set_index("step").loc["办理时限", "note"] for t in rows.index}
    assert [notes[t].split("（")[1:] for t in ("DS1", "DS2", "DS3")] == [
        ["时限按导出的 3 个工作日推算）"], ["时限按诉求类型推算）"], []]


HOURS_HEADER = "工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,网格编号,办结时间,办理时限\n"


def test_a_deadline_given_in_hours_is_natural_hours_from_receipt(warehouse_copy, tmp_path):
    """紧急诉求 carry 2小时 / 24小时: refused before as an unreadable deadline. They are clock hours from 受理, nights,
    weekends and holidays included, next to working days and dates in the same column, row by row."""
    path = tmp_path / "hotline_due_hours.csv"
    path.write_text(
        HOURS_HEADER
        # Friday 2025-10-17 18:00: 24 hours is Saturday 18:00, not the next working day (Monday).
        + "U1,2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,24小时\n"
        + "U2,2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,48 小时\n"
        + "U3,2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,2025-10-17 19:30,2个小时\n"
        + "U4,2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,2025-10-17 20:30,2h\n"
        + "U5,2025-09-30 20:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,72 H\n"      # across 国庆: still 72 clock hours
        + "U6,2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,1个工作日\n"
        + "U7,2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,2025-10-20 09:00\n"
        + "U8,2025-10-17T10:00:00Z,求助,市容环境,南宁街道,西湖社区,XH-02,2025-10-20 10:00,24小时\n",  # 18:00 Beijing
        encoding="utf-8")
    report = load_files([path], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.rejected) == (8, 0)
    assert query(warehouse_copy, "select ticket_id, due_at, due_workdays from fct_tickets where ticket_id like 'U_' order by 1") == [
        ("U1", datetime(2025, 10, 18, 18, 0), None), ("U2", datetime(2025, 10, 19, 18, 0), None),
        ("U3", datetime(2025, 10, 17, 20, 0), None), ("U4", datetime(2025, 10, 17, 20, 0), None),
        ("U5", datetime(2025, 10, 3, 20, 0), None), ("U6", None, 1), ("U7", datetime(2025, 10, 20, 9, 0), None),
        ("U8", datetime(2025, 10, 18, 18, 0), None)]
    # Data as of Monday 2025-10-20 10:00 (U8's 办结): 24 hours from Friday 18:00 are past, one working day is not.
    assert query(warehouse_copy, "select ticket_id, due_at, is_due_derived, is_overdue from mart_open_tickets "
                                 "where ticket_id in ('U1', 'U2', 'U6') order by 1") == [
        ("U1", datetime(2025, 10, 18, 18, 0), False, True), ("U2", datetime(2025, 10, 19, 18, 0), False, True),
        ("U6", datetime(2025, 10, 20, 18, 0), True, False)]
    # Closed within 2 hours (19:30) is on time, after them (20:30) late; closed Monday after 24 hours from Friday, late.
    assert query(warehouse_copy, "select ticket_id, resolved_at <= due_at from fct_tickets where ticket_id in ('U3', 'U4', 'U8') "
                                 "order by 1") == [("U3", True), ("U4", False), ("U8", False)]



def test_a_deadline_in_part_hours_is_read(warehouse_copy, tmp_path):
    """1.5小时 and 0.5h were refused as unreadable deadlines (whole hours only): they are 90 and 30 minutes from 受理.
    0.0小时 is no deadline, refused as 0小时 is."""
    path = tmp_path / "hotline_due_part_hours.csv"
    path.write_text(HOURS_HEADER + "".join(f"{t},2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,{due}\n"
                                           for t, due in (("H1", "1.5小时"), ("H2", "0.5h"), ("H3", "2.25 小时内"))),
                    encoding="utf-8")
    report = load_files([path], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.rejected) == (3, 0)
    assert query(warehouse_copy, "select ticket_id, due_at from fct_tickets where ticket_id like 'H_' order by 1") == [
        ("H1", datetime(2025, 10, 17, 19, 30)), ("H2", datetime(2025, 10, 17, 18, 30)),
        ("H3", datetime(2025, 10, 17, 20, 15))]
    bad = tmp_path / "hotline_due_zero_hours.csv"
    bad.write_text(HOURS_HEADER + "H4,2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,0.0小时\n", encoding="utf-8")
    with pytest.raises(LoadError) as error:
        load_files([bad], db_path=warehouse_copy)
    assert "第 2 行，列「办理时限」，值 “0.0小时”：无法识别的办理时限" in str(error.value)

def test_a_deadline_written_with_within_or_traditional_characters_is_read(warehouse_copy, tmp_path):
    """Real exports write 15个工作日内, 24小时内, 3日内 and the traditional 24小時, 15個工作日內: refused before as an
    unreadable deadline, read now as the same working days or natural hours; a bare 15内 or 24分钟内 still is not."""
    path = tmp_path / "hotline_due_within.csv"
    rows = [("W1", "15个工作日内"), ("W2", "3日内"), ("W3", "5天内"), ("W4", "15個工作日內"), ("W5", "24小时内"),
            ("W6", "24小時"), ("W7", "2個小時內"), ("W8", "48h内")]
    path.write_text(HOURS_HEADER + "".join(f"{t},2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,{due}\n"
                                           for t, due in rows), encoding="utf-8")
    report = load_files([path], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.rejected) == (8, 0)
    assert query(warehouse_copy, "select ticket_id, due_at, due_workdays from fct_tickets where ticket_id like 'W_' "
                                 "order by 1") == [
        ("W1", None, 15), ("W2", None, 3), ("W3", None, 5), ("W4", None, 15), ("W5", datetime(2025, 10, 18, 18, 0), None),
        ("W6", datetime(2025, 10, 18, 18, 0), None), ("W7", datetime(2025, 10, 17, 20, 0), None),
        ("W8", datetime(2025, 10, 19, 18, 0), None)]
    bad = tmp_path / "hotline_due_within_bad.csv"
    bad.write_text(HOURS_HEADER + "W9,2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,15内\n"
                   + "WA,2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,24分钟内\n", encoding="utf-8")
    with pytest.raises(LoadError) as error:
        load_files([bad], db_path=warehouse_copy)
    lines = [line.strip() for line in str(error.value).splitlines() if line.strip().startswith("文件")]
    assert lines == [f"文件 hotline_due_within_bad.csv 第 {n} 行，列「办理时限」，值 “{v}”：无法识别的办理时限，请填日期时间"
                     "（如 2025-10-17 18:00）、工作日数（如 15 或 15个工作日）或小时数（如 24小时 或 48h）。"
                     for n, v in ((2, "15内"), (3, "24分钟内"))]


def test_a_deadline_in_hours_refused_only_when_unreadable(warehouse_copy, tmp_path):
    """An unreadable deadline names file, row and column and now offers hours as a form; a row in hours beside it
    is no problem, and one whose 来电时间 is unreadable is refused for that cell alone."""
    bad = tmp_path / "hotline_due_hours_bad.csv"
    bad.write_text(HOURS_HEADER
                   + "U1,2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,24小时\n"
                   + "U2,2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,0小时\n"
                   + "U3,2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,24分钟\n"
                   + "U4,上周五,求助,市容环境,南宁街道,西湖社区,XH-02,,24小时\n", encoding="utf-8")
    before = snapshot(warehouse_copy)
    with pytest.raises(LoadError) as error:
        load_files([bad], db_path=warehouse_copy)
    lines = [line.strip() for line in str(error.value).splitlines() if line.strip().startswith("文件")]
    assert lines == [
        "文件 hotline_due_hours_bad.csv 第 3 行，列「办理时限」，值 “0小时”：无法识别的办理时限，请填日期时间（如 2025-10-17 18:00）、"
        "工作日数（如 15 或 15个工作日）或小时数（如 24小时 或 48h）。",
        "文件 hotline_due_hours_bad.csv 第 4 行，列「办理时限」，值 “24分钟”：无法识别的办理时限，请填日期时间（如 2025-10-17 18:00）、"
        "工作日数（如 15 或 15个工作日）或小时数（如 24小时 或 48h）。",
        "文件 hotline_due_hours_bad.csv 第 5 行，列「来电时间」，值 “上周五”：无法识别的日期时间，请使用 2025-10-07 12:44:00、"
        "2025/10/7 12:44 或 2025年10月7日 这样的格式。"]
    assert snapshot(warehouse_copy) == before


def test_a_deadline_changed_in_hours_takes_effect_on_reload(warehouse_copy, tmp_path):
    """Next week's export changes a ticket's deadline (24小时 -> 48小时, 48小时 -> 2 working days, a date -> hours)
    with no new event: each is updated, not counted unchanged."""
    first = tmp_path / "hotline_hours_week1.csv"
    rows = [("R1", "24小时"), ("R2", "48小时"), ("R3", "2025-10-20 09:00"), ("R4", "24小时")]
    line = "{},2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,{}\n"
    first.write_text(HOURS_HEADER + "".join(line.format(*r) for r in rows), encoding="utf-8")
    load_files([first], db_path=warehouse_copy)
    second = tmp_path / "hotline_hours_week2.csv"
    rows = [("R1", "48小时"), ("R2", "2"), ("R3", "24h"), ("R4", "24 小时")]
    second.write_text(HOURS_HEADER + "".join(line.format(*r) for r in rows), encoding="utf-8")
    report = load_files([second], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.updated, report.unchanged) == (0, 3, 1)
    assert query(warehouse_copy, "select ticket_id, due_at, due_workdays from fct_tickets where ticket_id like 'R_' order by 1") == [
        ("R1", datetime(2025, 10, 19, 18, 0), None), ("R2", None, 2), ("R3", datetime(2025, 10, 18, 18, 0), None),
        ("R4", datetime(2025, 10, 18, 18, 0), None)]
    assert query(warehouse_copy, "select due_at from mart_open_tickets where ticket_id = 'R1'") == [(datetime(2025, 10, 19, 18, 0),)]


def test_an_older_export_loaded_later_keeps_the_newer_states(warehouse_copy, tmp_path):
    # Week 1's export again (one new ticket added, so it is a different file) after week 2 is in.
    text = (FIXTURES / "hotline_gbk.csv").read_bytes().decode("gbk")
    extra = "2025100100009,2025-10-03 09:00:00,咨询,社会保障,咨询社保,,孙八,13500004444,,南宁街道,西湖社区,XH-02,区医保局,,,,,,办理中\n"
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("2025100100005"))
    older = tmp_path / "hotline_week1_again.csv"
    older.write_bytes("".join([*lines[: at + 1], extra, *lines[at + 1:]]).encode("gbk"))
    before = query(warehouse_copy, "select * from fct_tickets where ticket_id like '20251001%' order by 1")
    report = load_files([older], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.updated, report.unchanged) == (1, 0, 5)
    assert any("2 条工单在库中已有更新的进展" in w for w in report.warnings), report.warnings
    after = query(warehouse_copy, "select * from fct_tickets where ticket_id like '20251001%' "
                                  "and ticket_id <> '2025100100009' order by 1")
    assert after == before  # 00001 and 00004 stay closed as week 2 had them
    assert query(warehouse_copy, "select status from fct_tickets where ticket_id = '2025100100009'") == [("办理中",)]


# The same ticket in two files of one load: a hotline export and a grid-platform one, each as two
# overlapping exports (row 2 of the first file and row 3 of the second are ticket X1).
TWO_FILES = {
    "hotline": ("工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,诉求地址,来电人,来电号码,诉求内容,办结时间,工单状态",
                "{id},2025-10-05 09:00:00,{kind},市容环境,南宁街道,东风社区,东风路120号,吴一,13812340003,{text},{done},{status}"),
    "events": ("事件编号,事件来源,上报时间,事件类型,问题分类,所属街道,所属社区,事件地址,上报人,联系电话,事件描述,办结时间,事件状态",
               "{id},网格员上报,2025-10-05 09:00:00,{kind},市容环境,南宁街道,东风社区,东风路120号,吴一,13812340003,{text},{done},{status}"),
}


def _two_files(tmp_path: Path, feed: str, second: dict) -> tuple[Path, Path]:
    header, row = TWO_FILES[feed]
    first = dict(id="X1", kind="投诉", text="路灯不亮", done="", status="办理中")
    other = dict(id="X2", kind="投诉", text="噪音扰民", done="", status="办理中")
    a = _write(tmp_path / f"{feed}_a.csv", [header, row.format(**first), row.format(**other)])
    b = _write(tmp_path / f"{feed}_b.csv", [header, row.format(**other), row.format(**{**first, **second})])
    return a, b


@pytest.mark.parametrize("feed", list(TWO_FILES))
def test_the_same_ticket_in_two_files_of_one_load(warehouse_copy, tmp_path, feed):
    # Identical rows in both files (X2, and X1 unchanged): overlapping exports load quietly.
    a, b = _two_files(tmp_path, feed, {})
    report = load_files([a, b])
    assert [(f.inserted, f.updated, f.unchanged, f.rejected) for f in report.files] == [(2, 0, 0, 0), (0, 0, 2, 0)]
    assert not any("重复" in w or "不同" in w for f in report.files for w in f.warnings)


@pytest.mark.parametrize("feed", list(TWO_FILES))
def test_the_same_ticket_at_the_same_time_but_different_in_two_files_follows_the_later_export(warehouse_copy, tmp_path, feed):
    """Two exports of one load disagree on X1 at the same newest event (an extension or a correction moves
    no event time): the later export wins, and the load says so with an example. Equally recent files:
    the one given later wins, as a later load would."""
    a, b = _two_files(tmp_path, feed, dict(kind="求助", text="路灯坏了"))
    id_header, kind_header, text_header = {"hotline": ("工单编号", "诉求类型", "诉求内容"),
                                           "events": ("事件编号", "事件类型", "事件描述")}[feed]
    report = load_files([a, b])
    assert [(f.inserted, f.updated, f.unchanged, f.rejected) for f in report.files] == [(2, 0, 0, 0), (0, 1, 1, 0)]
    assert query(warehouse_copy, "select appeal_type from fct_tickets where ticket_id = 'X1'") == [("求助",)]
    assert report.files[1].warnings[0] == (
        f"1 张工单在 {a.name} 与本文件中最新进展时间相同、内容不同（如第 3 行，工单 X1，与 {a.name} 第 2 行的"
        f"“{kind_header}、{text_header}”不同）：两个文件的最新进展都到 2025-10-05 09:00，看不出哪份较晚，"
        f"按导入顺序以后给的 {b.name} 为准。若判断有误，请撤销本批次，把两个文件分两次导入，先导入较早的一份。")
    assert "13812340003" not in " ".join(report.files[1].warnings)


@pytest.mark.parametrize("later_first", [False, True])
def test_the_later_export_wins_a_tie_whichever_order_the_files_are_given(warehouse_copy, tmp_path, later_first):
    header, row = TWO_FILES["hotline"]
    x1 = dict(id="X1", kind="投诉", text="路灯不亮", done="", status="办理中")
    earlier = _write(tmp_path / "monday.csv", [header, row.format(**x1)])
    later = _write(tmp_path / "friday.csv", [header, row.format(**{**x1, "status": "延期"}),
                                             row.format(id="X9", kind="咨询", text="问路", done="2025-10-09 16:00:00",
                                                        status="已办结")])
    report = load_files([later, earlier] if later_first else [earlier, later])
    assert query(warehouse_copy, "select status from fct_tickets where ticket_id = 'X1'") == [("延期",)]
    assert "以导出较晚的 friday.csv（其中最新的进展为 2025-10-09 16:00）为准" in report.files[1].warnings[0]


@pytest.mark.parametrize("later_first", [False, True])
def test_the_title_rows_export_times_decide_a_tie_whichever_order_the_files_are_given(warehouse_copy, tmp_path,
                                                                                        later_first):
    """Friday's export (its title row says so) holds X1 extended and only older tickets; Monday's holds X1 in hand
    and a ticket closed on Sunday, a newer event than any of Friday's. The export times, not the newest events,
    say which is later. Given in that order the load is quiet, as two loads would be; given the other way round,
    it says which file won and that the other's rows were not loaded."""
    header, row = TWO_FILES["hotline"]
    x1 = dict(id="X1", kind="投诉", text="路灯不亮", done="", status="办理中")
    monday = _write(tmp_path / "monday.csv", ["12345热线工单明细表", "导出时间：2025-10-13 08:30", header, row.format(**x1),
                                              row.format(id="X9", kind="咨询", text="问路", done="2025-10-12 16:00:00",
                                                         status="已办结")])
    friday = _write(tmp_path / "friday.csv", ["12345热线工单明细表", "导出时间：2025-10-17 17:00", header,
                                              row.format(**{**x1, "status": "延期"})])
    report = load_files([friday, monday] if later_first else [monday, friday])
    assert query(warehouse_copy, "select status from fct_tickets where ticket_id = 'X1'") == [("延期",)]
    ties = [w for w in report.files[1].warnings if "最新进展时间相同" in w]
    if later_first:
        assert ties == ["1 张工单在 friday.csv 与本文件中最新进展时间相同、内容不同（如第 4 行，工单 X1，与 friday.csv 第 4 行的"
                        "“工单状态”不同）：按标题行的导出时间，friday.csv（2025-10-17 17:00）比本文件（2025-10-13 08:30）"
                        "导出得晚，以 friday.csv 为准，本文件中的这些行未导入。"]
    else:
        assert ties == [] and report.files[1].updated == 1


def test_times_that_differ_only_in_seconds_are_the_same_progress(warehouse_copy, tmp_path):
    """One export writes minutes, the next seconds: its rows are not older (they were thrown away as such,
    with an extension they carried) and the tie is no disagreement to report."""
    header, row = TWO_FILES["hotline"]
    with_seconds = _write(tmp_path / "with_seconds.csv", [header, row.format(id="X1", kind="投诉", text="路灯不亮",
                                                                              done="", status="办理中")
                                                             .replace(" 09:00:00,", " 09:00:31,", 1)])
    load_files([with_seconds])
    minutes = _write(tmp_path / "minutes.csv", [header, row.format(id="X1", kind="投诉", text="路灯不亮", done="",
                                                                   status="延期").replace(":00:00,", ":00,", 1)])
    report = load_files([minutes])
    assert query(warehouse_copy, "select status from fct_tickets where ticket_id = 'X1'") == [("延期",)]
    assert not any("更新的进展" in w for w in report.files[0].warnings)


def test_a_tie_with_a_row_the_load_left_alone_is_settled_too(warehouse_copy, tmp_path):
    """The first file's X1 is stored already exactly so (a reload leaves it alone): the second file's
    different X1 at the same time still ties with it."""
    a, b = _two_files(tmp_path, "hotline", dict(kind="求助"))
    load_files([a])
    again = _write(tmp_path / "hotline_a_again.csv", [*a.read_text(encoding="utf-8").splitlines(),
                                                      TWO_FILES["hotline"][1].format(id="X3", kind="咨询", text="问路", done="", status="办理中")])
    report = load_files([again, b])
    assert "1 张工单在 hotline_a_again.csv 与本文件中最新进展时间相同" in report.files[1].warnings[0]
    assert query(warehouse_copy, "select appeal_type from fct_tickets where ticket_id = 'X1'") == [("求助",)]


@pytest.mark.parametrize("newer_first", [False, True])
def test_a_newer_state_of_a_ticket_in_another_file_of_the_load_wins(warehouse_copy, tmp_path, newer_first):
    """Not a conflict: the row with the newer event wins, whichever file of the load it is in, as between loads."""
    a, b = _two_files(tmp_path, "hotline", dict(done="2025-10-06 10:00:00", status="已办结", text="路灯已修好"))
    report = load_files([b, a] if newer_first else [a, b])
    assert [f.rejected for f in report.files] == [0, 0]
    if newer_first:  # the older file given last does not overwrite the newer state, and says so
        assert any("1 条工单在库中已有更新的进展" in w for w in report.files[1].warnings)
    else:
        assert report.files[1].updated == 1
    assert query(warehouse_copy, "select status from fct_tickets where ticket_id = 'X1'") == [("已办结",)]


def test_a_reopened_ticket_is_open_until_a_later_export_closes_it_again(warehouse_copy, tmp_path):
    """The hotline export of a reopened ticket (重办) keeps its first 办结时间 and so moves no event time: the reload
    still takes the new status and the ticket is in hand again (mart_open_tickets); next week's export with
    已办结 and a new 办结时间 closes it again."""
    header, row = TWO_FILES["hotline"]
    x1 = dict(id="X1", kind="投诉", text="路灯不亮", done="2025-10-06 10:00:00")
    opened = "select ticket_id from mart_open_tickets where ticket_id = 'X1'"
    load_files([_write(tmp_path / "week1.csv", [header, row.format(**x1, status="已办结")])])
    assert query(warehouse_copy, opened) == []
    report = load_files([_write(tmp_path / "week2.csv", [header, row.format(**x1, status="重办")])]).files[0]
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)
    assert query(warehouse_copy, "select status, resolved_at from fct_tickets where ticket_id = 'X1'") == [
        ("重办", datetime(2025, 10, 6, 10, 0))]
    assert query(warehouse_copy, opened) == [("X1",)]
    load_files([_write(tmp_path / "week3.csv",
                       [header, row.format(**{**x1, "done": "2025-10-09 16:00:00"}, status="已办结")])])
    assert query(warehouse_copy, "select status, resolved_at from fct_tickets where ticket_id = 'X1'") == [
        ("已办结", datetime(2025, 10, 9, 16, 0))]
    assert query(warehouse_copy, opened) == []


# -- one file at a time ------------------------------------------------------------------------

def test_every_date_format_lands_exactly(warehouse_copy):
    load_files([FIXTURES / "hotline_dates.csv"])
    assert dict(query(warehouse_copy, "select ticket_id, received_at from fct_tickets where ticket_id like 'D%'")) == {
        "D01": datetime(2025, 10, 7, 12, 44), "D02": datetime(2025, 9, 14, 0, 12), "D03": datetime(2025, 9, 14, 8, 5),
        "D04": datetime(2025, 9, 14), "D05": datetime(2025, 9, 14, 8, 5, 30), "D06": datetime(2025, 9, 14, 8, 5, 30),
        "D07": datetime(2018, 6, 26, 10, 58, 54), "D08": datetime(2018, 6, 26, 22, 58, 54),
        "D09": datetime(2025, 9, 14, 12, 0), "D10": datetime(2025, 9, 14), "D11": datetime(2025, 9, 14),
        "D12": datetime(2025, 9, 14, 8, 5),
    }


def test_xlsx_ids_and_phones_stay_text(warehouse_copy):
    report = load_files([FIXTURES / "hotline.xlsx"])
    assert (report.files[0].rows_read, report.files[0].inserted) == (3, 3)
    assert query(warehouse_copy, "select t.ticket_id, t.received_at, p.caller_phone from fct_tickets t join ticket_pii p "
                                 "using (ticket_id) where t.batch_id = 7 order by t.received_at") == [
        ("110000000000000001", datetime(2025, 10, 7, 9, 30), "13812345678"),
        ("2025100700002", datetime(2025, 10, 7, 10, 5), "08743123456"),
        ("XL0003", datetime(2025, 10, 7, 18, 0), "0874-3123457"),
    ]


def test_gb18030_and_utf8_exports(warehouse_copy):
    report = load_files([FIXTURES / "hotline_gb18030.csv", FIXTURES / "hotline_utf8.csv"])
    assert [(f.file_name, f.encoding, f.inserted) for f in report.files] == [
        ("hotline_gb18030.csv", "gb18030", 2), ("hotline_utf8.csv", "utf-8", 2),
    ]
    assert query(warehouse_copy, "select t.ticket_id, p.caller_name, t.placed_by, t.grid_code from fct_tickets t "
                                 "join ticket_pii p using (ticket_id) where t.batch_id in (7, 8) order by 1") == [
        ("GB0001", "刘䶮", "address", "DF-01"), ("GB0002", "王𠀀", "address", "XH-02"),
        ("U0001", "吴一", "address", "DF-02"), ("U0002", "郑二", "community", None),
    ]
    assert query(warehouse_copy, "select content from ticket_pii where ticket_id = 'U0001'") == [("咨询养老保险。\n补充：已在社区办理,请回电",)]


def test_excel_resaved_export_loads(warehouse_copy):
    report = load_files([FIXTURES / "hotline_excel_resaved.csv"])
    item = report.files[0]
    assert (item.rows_read, item.inserted, item.rejected) == (2, 2, 0)
    assert "以下列未使用：序号。" in item.warnings
    assert query(warehouse_copy, "select ticket_id, received_at, placed_by, community_code from fct_tickets "
                                 "where ticket_id like 'R%' order by 1") == [
        ("R0001", datetime(2025, 10, 6, 9, 5), "community", "530302001001"),
        ("R0002", datetime(2025, 10, 6, 14, 30), "community", "530302001002"),
    ]


@pytest.mark.parametrize("order", [["grids_attributes.csv", "grids_shapes.geojson"], ["grids_shapes.geojson", "grids_attributes.csv"]])
def test_grid_attributes_plus_shapes_equal_one_geojson(warehouse_db, fixture_warehouse, order):
    report = load_files([FIXTURES / name for name in order])
    assert [(f.file_name, f.inserted, f.updated) for f in report.files] == [
        ("grids_attributes.csv", 4, 0), ("grids_shapes.geojson", 0, 4),
    ]
    sql = "select * exclude (batch_id) from dim_grids order by grid_code"
    assert query(warehouse_db, sql) == query(fixture_warehouse, sql)


def test_shapes_for_unknown_grids_are_refused(warehouse_db):
    with pytest.raises(LoadError) as err:
        load_files([FIXTURES / "grids_shapes.geojson"])
    assert str(err.value).splitlines()[:2] == [
        "错误：文件 grids_shapes.geojson 有 4 处问题，本次导入未写入任何数据。请按下列提示修正后重新导入，或加 --skip-bad-rows 只导入没有问题的行：",
        "  文件 grids_shapes.geojson 第 1 行，列「网格编码」，值 “DF-01”：网格编号在网格定义中不存在。请先导入含社区、街道的网格属性文件，再导入边界。",
    ]
    assert not warehouse_db.exists()


def test_unknown_header_mapped_with_map_option(warehouse_copy):
    with pytest.raises(LoadError):
        load_files([FIXTURES / "hotline_unknown_header.csv"])
    report = load_files([FIXTURES / "hotline_unknown_header.csv"], overrides=parse_overrides(["留言时间=received_at"]))
    assert report.files[0].inserted == 2
    assert query(warehouse_copy, "select ticket_id, received_at from fct_tickets where ticket_id like 'M%' order by 1") == [
        ("M0001", datetime(2025, 10, 5, 9, 0)), ("M0002", datetime(2025, 10, 5, 10, 0)),
    ]


def test_a_map_option_of_a_load_must_name_a_header_of_one_of_its_files(warehouse_copy):
    """One --map serves every file of a load: its header may be in one of them (the others do not need
    it), but not in none (a typo)."""
    before = sha256(warehouse_copy)
    with pytest.raises(LoadError) as err:
        load_files([FIXTURES / "hotline_gb18030.csv", FIXTURES / "hotline_utf8.csv"], overrides=parse_overrides(["问题详情=content"]))
    assert str(err.value) == (
        "错误：--map 指定的表头“问题详情”在文件 hotline_gb18030.csv、文件 hotline_utf8.csv 中都不存在，"
        "这样的对应不会生效，本次导入未写入任何数据。文件 hotline_gb18030.csv 第 1 行的表头为："
        "工单编号、来电时间、诉求类型、一级分类、来电人、来电号码、诉求地址、所属社区、工单状态；"
        "文件 hotline_utf8.csv 第 1 行的表头为：ticket_id、created_date、诉求类型、category、来电人、phone、address、community、status、content。"
        "请按文件中的写法改正 --map \"表头=字段\" 等号前的表头（可从上面复制），或去掉这一项。")
    # A mistyped header of the file that needs it: its missing field is said, and the header asked for.
    files = [FIXTURES / "hotline_unknown_header.csv", FIXTURES / "hotline_utf8.csv"]
    with pytest.raises(LoadError) as err:
        load_files(files, overrides=parse_overrides(["留言日期=received_at"]))
    assert "文件第 1 行的表头为：工单编号、留言时间、诉求内容、来电号码（--map 指定的表头“留言日期”不在其中）。" in str(err.value)
    assert sha256(warehouse_copy) == before
    report = load_files(files, overrides=parse_overrides(["留言时间=received_at"]))
    assert [f.inserted for f in report.files] == [2, 2]


def test_impossible_timelines_load_flagged(warehouse_copy):
    report = load_files([FIXTURES / "hotline_timeline.csv"])
    assert report.files[0].inserted == 3
    assert "2 条工单的时间顺序不合理（如办结时间早于受理时间），已导入但不计入办理时长统计；例如 T0001、T0002。" in report.files[0].warnings
    assert query(warehouse_copy, "select ticket_id, has_timeline_error from fct_tickets where ticket_id like 'T%' order by 1") == [
        ("T0001", True), ("T0002", True), ("T0003", False),
    ]
    # The as-of time ignores impossible timelines (T0003's callback is the latest sound event).
    assert report.as_of == datetime(2025, 10, 10, 15, 0)


def test_ticket_number_of_the_other_feed_is_refused(warehouse_copy, tmp_path):
    path = tmp_path / "events_clash.csv"
    path.write_text("事件编号,事件来源,上报时间,所属社区\n2025100100002,网格员上报,2025-10-06 09:00,西湖社区\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([path])
    assert str(err.value).splitlines()[1] == (
        "  文件 events_clash.csv 第 2 行，列「事件编号」，值 “2025100100002”：该编号已作为12345 热线工单导入过，"
        "同一编号不能同时属于两类来源；请确认选择的来源类型（--source）是否正确。"
    )


# -- failures change nothing -------------------------------------------------------------------

BAD_ROWS_ERROR = (
    "错误：文件 hotline_bad_rows.csv 有 4 处问题，本次导入未写入任何数据。请按下列提示修正后重新导入，或加 --skip-bad-rows 只导入没有问题的行：\n"
    "  文件 hotline_bad_rows.csv 第 3 行，列「来电时间」，值 “2025-13-45 10:00”：无法识别的日期时间，请使用 2025-10-07 12:44:00、2025/10/7 12:44 或 2025年10月7日 这样的格式。\n"
    "  文件 hotline_bad_rows.csv 第 4 行，列「满意度」，值 “很好”：无法识别的取值，只能是 满意、基本满意、不满意 或留空。\n"
    "  文件 hotline_bad_rows.csv 第 5 行，列「工单编号」，值 “B0001”：与第 2 行重复（同一编号出现多次）。请删除重复行，或把不同时间的导出分成两个文件先后导入。\n"
    "  文件 hotline_bad_rows.csv 第 6 行，列「工单编号」：缺少必填项“工单编号”。请在该行补上后重新导入，或使用 --skip-bad-rows 只导入其余行。"
)


def test_bad_rows_fail_the_whole_load_and_change_nothing(warehouse_copy):
    before, before_tables = sha256(warehouse_copy), snapshot(warehouse_copy)
    with pytest.raises(LoadError) as err:
        # The good file in the same load is not written either: one load, one transaction.
        load_files([FIXTURES / "hotline_utf8.csv", FIXTURES / "hotline_bad_rows.csv"])
    assert str(err.value) == BAD_ROWS_ERROR
    assert sha256(warehouse_copy) == before
    assert snapshot(warehouse_copy) == before_tables
    assert len(batches(warehouse_copy)) == 6
    assert sorted(p.name for p in warehouse_copy.parent.iterdir()) == ["warehouse.duckdb", "warehouse.duckdb.lock"]


def test_personal_values_in_problems_are_masked():
    """Any problem found in a personal column shows the value masked, as the rejects file does; so is the row's
    caller's name in any column (a name typed into the wrong one), and a phone written in groups."""
    from types import SimpleNamespace

    from etl.staging import collect_problems

    con = duckdb.connect()
    con.execute("create temp table stg_problems (row_no bigint, field varchar, value varchar, message varchar)")
    con.execute("insert into stg_problems values (7, 'caller_phone', '13812345678', '示例。'), (8, 'caller_name', '欧阳娜娜', '示例。'), "
                "(9, 'ticket_id', 'A0001', '示例。'), (10, 'received_at', '张波荣', '示例。'), "
                "(11, 'satisfaction', '王小明 0571 8888 8888', '示例。'), (12, 'ticket_id', '张波荣', '示例。'), "
                "(13, 'received_at', '26-11-01', '示例。')")
    con.execute("create temp table stg_cells (row_no bigint, caller_name varchar)")
    con.execute("insert into stg_cells values (7, '李四'), (8, '欧阳娜娜'), (9, '李四'), (10, '张波荣'), (11, '王小明先生'), "
                "(12, '张波荣'), (13, '李四')")
    raw = SimpleNamespace(path=Path("x.csv"), bad_rows=[])
    mapping = {"caller_phone": "来电号码", "caller_name": "来电人", "ticket_id": "工单编号", "received_at": "来电时间",
               "satisfaction": "满意度"}
    problems, total = collect_problems(con, raw, mapping)
    assert total == 7
    assert [p.describe() for p in problems] == [
        "文件 x.csv 第 7 行，列「来电号码」，值 “138****5678”：示例。",
        "文件 x.csv 第 8 行，列「来电人」，值 “欧***”：示例。",
        "文件 x.csv 第 9 行，列「工单编号」，值 “A0001”：示例。",
        "文件 x.csv 第 10 行，列「来电时间」，值 “张**”：示例。",
        "文件 x.csv 第 11 行，列「满意度」，值 “王** 0571-****8888”：示例。",
        "文件 x.csv 第 12 行，列「工单编号」，值 “张**”：示例。",
        "文件 x.csv 第 13 行，列「来电时间」，值 “26-11-01”：示例。",
    ]
    con.close()


def test_more_problems_than_shown_are_counted(warehouse_copy):
    with pytest.raises(LoadError) as err:
        load_files([FIXTURES / "hotline_many_bad.csv"])
    lines = str(err.value).splitlines()
    assert lines[0] == ("错误：文件 hotline_many_bad.csv 有 23 处问题，本次导入未写入任何数据。"
                        "请按下列提示修正后重新导入，或加 --skip-bad-rows 只导入没有问题的行：")
    assert len(lines) == 22
    assert lines[20] == ("  文件 hotline_many_bad.csv 第 21 行，列「来电时间」，值 “2025-10-60”：无法识别的日期时间，"
                         "请使用 2025-10-07 12:44:00、2025/10/7 12:44 或 2025年10月7日 这样的格式。")
    assert lines[21] == "  还有 3 处"


def test_failed_load_is_not_marked_loaded(warehouse_copy, exports):
    with pytest.raises(LoadError):
        load_files([exports / "hotline_bad_rows.csv"])
    report = load_files([exports / "hotline_bad_rows.csv"], skip_bad_rows=True)
    assert report.files[0].status == "loaded"


def test_skip_bad_rows_writes_rejects_with_reasons_masked(warehouse_copy, exports):
    """Each reason names its column (列「来电时间」：…), as the page's table does: a row has six time columns."""
    report = load_files([exports / "hotline_bad_rows.csv"], skip_bad_rows=True)
    item = report.files[0]
    assert (item.rows_read, item.inserted, item.rejected, item.batch_id) == (5, 1, 4, 7)
    assert item.rejects_path == exports / "hotline_bad_rows.rejected.csv"
    assert item.warnings[0] == "4 行有问题未导入，已连同原因写入 hotline_bad_rows.rejected.csv（个人信息已脱敏）：请按其中的行号在原文件中修正，再导入原文件。"
    text = item.rejects_path.read_text(encoding="utf-8-sig")
    rows = [line.split(",") for line in text.splitlines()]
    header = rows[0]
    assert header[0] == "行号" and header[-1] == "问题"  # the file's own headers between them
    names = {"row_no": "行号", "ticket_id": "工单编号", "received_at": "来电时间", "satisfaction": "满意度",
             "caller_name": "来电人", "caller_phone": "来电号码", "reasons": "问题"}
    assert set(names.values()) <= set(header)
    picked = [{k: r[header.index(h)] for k, h in names.items()} for r in rows[1:]]
    assert picked == [
        {"row_no": "3", "ticket_id": "B0002", "received_at": "2025-13-45 10:00", "satisfaction": "满意", "caller_name": "李*",
         "caller_phone": "139****5678", "reasons": "列「来电时间」：无法识别的日期时间，请使用 2025-10-07 12:44:00、2025/10/7 12:44 或 2025年10月7日 这样的格式。"},
        {"row_no": "4", "ticket_id": "B0003", "received_at": "2025-10-05 11:00:00", "satisfaction": "很好", "caller_name": "王*",
         "caller_phone": "137****5678", "reasons": "列「满意度」：无法识别的取值，只能是 满意、基本满意、不满意 或留空。"},
        {"row_no": "5", "ticket_id": "B0001", "received_at": "2025-10-05 12:00:00", "satisfaction": "", "caller_name": "赵*",
         "caller_phone": "136****5678", "reasons": "列「工单编号」：与第 2 行重复（同一编号出现多次）。请删除重复行，或把不同时间的导出分成两个文件先后导入。"},
        {"row_no": "6", "ticket_id": "", "received_at": "2025-10-05 13:00:00", "satisfaction": "", "caller_name": "钱*",
         "caller_phone": "135****5678", "reasons": "列「工单编号」：缺少必填项“工单编号”。请在该行补上后重新导入，或使用 --skip-bad-rows 只导入其余行。"},
    ]
    for raw_value in ("13912345678", "李四", "钱七"):
        assert raw_value not in text
    assert query(warehouse_copy, "select ticket_id from fct_tickets where ticket_id like 'B%'") == [("B0001",)]
    assert batches(warehouse_copy)[-1] == (7, "hotline_bad_rows.csv", "hotline", 5, 1, 0, 0, 4, "loaded")


def test_a_rejects_file_cannot_be_loaded_back_over_the_personal_data(warehouse_copy, exports):
    """The rejects CSV masks names and phones: loaded back (after fixing a date in it) it would have
    replaced the callers' real names and numbers with 李* and 139****5678 for good."""
    report = load_files([exports / "hotline_bad_rows.csv"], skip_bad_rows=True)
    rejects = report.files[0].rejects_path
    fixed = rejects.with_name("fixed.csv")
    fixed.write_text(rejects.read_text(encoding="utf-8-sig").replace("2025-13-45 10:00", "2025-10-05 10:00"),
                     encoding="utf-8-sig")
    before = snapshot(warehouse_copy)
    with pytest.raises(LoadError) as err:
        load_files([fixed])
    assert str(err.value) == (
        "错误：文件 fixed.csv 是导入时拒收的行（*.rejected.csv）：其中的姓名、电话、地址已脱敏，只用于查找问题，"
        "不能直接导入，否则脱敏后的值会覆盖原值。请按“行号”在原导出文件中修正这些行，再导入原文件。")
    assert snapshot(warehouse_copy) == before


def test_personal_numbers_in_other_columns_are_masked_in_messages_warnings_and_rejects(warehouse_copy, tmp_path):
    path = tmp_path / "hotline_pii_elsewhere.csv"
    path.write_text(
        "工单编号,来电时间,满意度,诉求来源,所属社区,来电人,来电号码,诉求内容\n"
        "P0001,2025-10-05 09:00,13912345678,12345热线,东风社区,张三,13800001111,路灯不亮\n"
        "P0002,2025-10-05 10:00,满意,身份证530102198807154512,东风社区,李四,13800002222,噪音\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([path])
    message = str(err.value)
    assert "第 2 行，列「满意度」，值 “139****5678”" in message
    report = load_files([path], skip_bad_rows=True)
    item = report.files[0]
    shown = "\n".join(item.warnings) + item.rejects_path.read_text(encoding="utf-8-sig")
    for raw_value in ("13912345678", "530102198807154512", "张三", "13800001111"):
        assert raw_value not in message and raw_value not in shown
    assert "[身份证号]" in "\n".join(item.warnings)  # the unknown 诉求来源 is reported, its number masked
    # and stored masked: it reaches the marts and every page's 诉求来源 filter
    assert query(warehouse_copy, "select source from fct_tickets where ticket_id = 'P0002'") == [("身份证[身份证号]",)]
    assert query(warehouse_copy, "select count(*) from mart_rates where unit_code like '%530102198807154512%'") == [(0,)]


def test_coordinates_of_zero_are_no_coordinates(warehouse_copy, tmp_path):
    """Exports write 0, 0 (or 0.000000) for a ticket without coordinates: no wrong coordinate to fix by swapping
    longitude and latitude, but none at all. A 0 beside a real value is missing too; anything else out of range is
    still refused."""
    path = tmp_path / "hotline_zero_coordinates.csv"
    path.write_text("工单编号,来电时间,所属社区,经度,纬度\n"
                    "Z0001,2025-10-05 09:00,东风社区,0,0\n"
                    "Z0002,2025-10-05 10:00,东风社区,0.000000,0.000000\n"
                    "Z0003,2025-10-05 11:00,东风社区,102.71,0\n", encoding="utf-8")
    item = load_files([path]).files[0]
    assert item.inserted == 3
    assert query(warehouse_copy, "select ticket_id, lon, lat from fct_tickets where ticket_id like 'Z000%' order by 1") == [
        ("Z0001", None, None), ("Z0002", None, None), ("Z0003", 102.71, None)]
    path.write_text("工单编号,来电时间,所属社区,经度,纬度\nZ0004,2025-10-05 09:00,东风社区,25.04,102.71\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([path])
    assert "请检查是否与纬度写反" in str(err.value)


def test_a_phone_or_id_number_in_a_number_or_code_column_is_masked_in_messages_and_rejects(warehouse_copy, tmp_path):
    """工单编号, 经度, 得分 or 总户数 are not scrubbed as free text (a long ticket number would read as a bank
    card), but a whole value that is a mobile or an ID number is hidden; a short wrong number stays readable."""
    path = tmp_path / "hotline_pii_in_codes.csv"
    path.write_text("工单编号,来电时间,所属社区,经度\n"
                    "110105199003071234,2025-13-45 10:00,东风社区,\n"
                    "C0002,2025-10-05 10:00,东风社区,13987654321\n"
                    "C0003,2025-10-05 11:00,东风社区,200\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([path])
    message = str(err.value)
    assert "列「经度」，值 “139****4321”" in message and "列「经度」，值 “200”" in message
    rejects = load_files([path], skip_bad_rows=True).files[0].rejects_path.read_text(encoding="utf-8-sig")
    assert "[身份证号]" in rejects and "139****4321" in rejects and ",200," in rejects
    for raw_value in ("13987654321", "110105199003071234"):
        assert raw_value not in message and raw_value not in rejects


def _load_names(warehouse, path, prefix: str, rows: list[tuple[str, str]]):
    """Load a hotline export of one ticket per (承办单位, 二级分类) row, numbered ``prefix0001`` on; return the file's
    load item and each ticket's stored (ticket_id, department, category_l2)."""
    lines = [f"{prefix}{i:04d},2025-10-05 {8 + i:02d}:00,{unit},市容环境,{l2},东风社区,1380000{3332 + i}"
             for i, (unit, l2) in enumerate(rows, start=1)]
    path.write_text("\n".join(["工单编号,来电时间,承办单位,一级分类,二级分类,所属社区,来电号码", *lines]) + "\n", encoding="utf-8")
    item = load_files([path]).files[0]
    return item, query(warehouse, "select ticket_id, department, category_l2 from fct_tickets where ticket_id like ? "
                                  "order by 1", [f"{prefix}000%"])


def test_personal_numbers_in_name_columns_are_stored_masked(warehouse_copy, tmp_path):
    """承办单位 and the categories are names shown in every ranking (mart_rates.unit_code of the department
    level): a contact's phone or an ID number typed into them is stored scrubbed, with a warning."""
    item, stored = _load_names(warehouse_copy, tmp_path / "hotline_pii_in_names.csv", "N", [
        ("区住建局（联系人 13800001111）", "乱贴乱画"), ("区城管局", "身份证530102198807154512"), ("区城管局", "2024年度占道经营")])
    assert stored == [("N0001", "区住建局（联系人 138****1111）", "乱贴乱画"), ("N0002", "区城管局", "身份证[身份证号]"),
                      ("N0003", "区城管局", "2024年度占道经营")]   # a year is not a number to hide
    assert query(warehouse_copy, "select count(*) from mart_rates where unit_code like '%13800001111%'") == [(0,)]
    warnings = "\n".join(item.warnings)
    assert "列「承办单位」有 1 个取值含电话、证件号等个人信息，已脱敏后保存" in warnings and "列「二级分类」" in warnings
    assert "13800001111" not in warnings and "530102198807154512" not in warnings


def test_a_persons_name_next_to_a_unit_is_stored_masked(warehouse_copy, tmp_path):
    """A contact's name typed after or before the unit in 承办单位 (城管科张伟, 张伟 城管科) is no label's name: it would
    be shown in every department ranking. The unit keeps its name; units that end in another unit (住建局房管科) and a
    category that looks alike stay."""
    item, stored = _load_names(warehouse_copy, tmp_path / "hotline_name_in_unit.csv", "U", [
        ("城管科张伟", "乱贴乱画"), ("张伟 城管科", "乱贴乱画"), ("区城管局（欧阳娜娜）", "乱贴乱画"), ("住建局房管科", "城管局执法")])
    assert stored == [("U0001", "城管科张*", "乱贴乱画"), ("U0002", "张* 城管科", "乱贴乱画"),
                      ("U0003", "区城管局（欧***）", "乱贴乱画"), ("U0004", "住建局房管科", "城管局执法")]
    assert query(warehouse_copy, "select count(*) from mart_rates where unit_code like '%张伟%'") == [(0,)]
    warnings = "\n".join(item.warnings)
    assert "列「承办单位」有 3 个取值含电话、证件号等个人信息，已脱敏后保存" in warnings
    assert "张伟" not in warnings and "欧阳娜娜" not in warnings


def test_a_callers_name_in_a_name_column_is_stored_masked(warehouse_copy, tmp_path):
    """A caller's name typed into 承办单位 or a category of the same row would be shown in every ranking and
    download: it is stored masked as in an address, with a warning that does not repeat it."""
    path = tmp_path / "hotline_caller_in_names.csv"
    path.write_text(
        "工单编号,来电时间,承办单位,一级分类,二级分类,所属社区,来电人,来电号码\n"
        "M0001,2025-10-05 09:00,区住建局（张三丰反映）,市容环境,乱贴乱画,东风社区,张三丰,13800003333\n"
        "M0002,2025-10-05 10:00,区城管局,市容环境,欧阳娜娜家门口,东风社区,欧阳娜娜,13800004444\n"
        "M0003,2025-10-05 11:00,区住建局（张三丰反映）,市容环境,乱贴乱画,东风社区,李四,13800005555\n"
        "M0004,2025-10-05 12:00,区城管局,市容环境,王府井,东风社区,王,13800006666\n"
        "M0005,2025-10-05 13:00,区市民服务中心,市容环境,乱贴乱画,东风社区,市民,13800007777\n", encoding="utf-8")
    item = load_files([path]).files[0]
    stored = query(warehouse_copy, "select ticket_id, department, category_l2 from fct_tickets where ticket_id like 'M000%' "
                                   "order by 1")
    assert stored == [("M0001", "区住建局（张**反映）", "乱贴乱画"), ("M0002", "区城管局", "欧***家门口"),
                      # the same value on another caller's row: one department, one name; a one-character
                      # name is not looked for
                      ("M0003", "区住建局（张**反映）", "乱贴乱画"), ("M0004", "区城管局", "王府井"),
                      ("M0005", "区市民服务中心", "乱贴乱画")]   # 市民 in 来电人 is no name
    assert query(warehouse_copy, "select count(*) from mart_rates where unit_code like '%张三丰%'") == [(0,)]
    warnings = "\n".join(item.warnings)
    assert "列「承办单位」有 1 个取值含本行来电人的姓名，已把姓名脱敏后保存（如 区住建局（张**反映））" in warnings
    assert "列「二级分类」有 1 个取值含本行来电人的姓名" in warnings
    assert "张三丰反映）。" not in warnings and "欧阳娜娜" not in warnings


def test_names_in_name_and_vocabulary_columns_are_stored_masked(warehouse_copy, tmp_path):
    """A contact named after a label in 承办单位, the caller's name written another way (张三先生 in 来电人,
    张三 in the category), a caller's name as an unrecognised 诉求来源 or 工单状态: each would be shown in every
    ranking, filter and download, so each is stored masked, and the warnings that quote the values mask them too."""
    path = tmp_path / "hotline_names_elsewhere.csv"
    path.write_text(
        "工单编号,来电时间,承办单位,一级分类,二级分类,所属社区,来电人,来电号码,诉求来源,工单状态\n"
        "P0001,2025-10-05 09:00,区住建局（联系人李四）,市容环境,乱贴乱画,东风社区,王五,13800003333,12345热线,办理中\n"
        "P0002,2025-10-05 10:00,区城管局,市容环境,张三反映的占道,东风社区,张三先生,13800004444,12345热线,办理中\n"
        "P0003,2025-10-05 11:00,区城管局,市容环境,乱贴乱画,东风社区,孙悟空,13800005555,孙悟空本人,办理中\n"
        "P0004,2025-10-05 12:00,区城管局,市容环境,乱贴乱画,东风社区,猪八戒,13800006666,12345热线,猪八戒要求撤销\n",
        encoding="utf-8")
    item = load_files([path]).files[0]
    stored = query(warehouse_copy, "select ticket_id, department, category_l2, source, status from fct_tickets "
                                   "where ticket_id like 'P000%' order by 1")
    assert stored == [("P0001", "区住建局（联系人李*）", "乱贴乱画", "12345热线", "办理中"),
                      ("P0002", "区城管局", "张*反映的占道", "12345热线", "办理中"),
                      ("P0003", "区城管局", "乱贴乱画", "孙**本人", "办理中"),
                      ("P0004", "区城管局", "乱贴乱画", "12345热线", "猪**要求撤销")]
    warnings = "\n".join(item.warnings)
    assert "已按原样保存：孙**本人（1 行）" in warnings and "已按原样保存：猪**要求撤销（1 行）" in warnings
    for name in ("李四", "张三", "孙悟空", "猪八戒"):
        assert name not in warnings
    assert query(warehouse_copy, "select count(*) from fct_tickets where source like '%孙悟空%' or status like '%猪八戒%' "
                                 "or department like '%李四%'") == [(0,)]


def test_a_place_in_the_callers_cell_is_no_name_to_hide(warehouse_copy, tmp_path):
    """来电人 "东风社区 张三": 张三 is a name, 东风社区 is not; hiding it would rename the community of every ticket in it."""
    path = tmp_path / "hotline_place_in_caller.csv"
    path.write_text("工单编号,来电时间,所属社区,承办单位,来电人,来电号码\n"
                    "Q0001,2025-10-05 09:00,东风社区,东风社区居委会,东风社区 张三,13800003333\n"
                    "Q0002,2025-10-05 10:00,东风社区,东风社区居委会,王五,13800004444\n", encoding="utf-8")
    load_files([path])
    assert query(warehouse_copy, "select ticket_id, community_name, department from fct_tickets where ticket_id like 'Q000%' "
                                 "order by 1") == [("Q0001", "东风社区", "东风社区居委会"), ("Q0002", "东风社区", "东风社区居委会")]


def test_a_callers_name_in_a_wrong_column_is_masked_in_the_message_and_the_rejects_file(warehouse_copy, tmp_path):
    path = tmp_path / "hotline_name_in_time.csv"
    path.write_text("工单编号,来电时间,所属社区,来电人,来电号码,满意度\n"
                    "R0001,张波荣,东风社区,张波荣,13912345678,满意\n"
                    "R0002,2025-10-05 10:00,东风社区,王小明先生,13812345678,王小明 0571 8888 8888\n"
                    "R0003,2025-10-05 11:00,东风社区,李四,13800005555,满意\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([path])
    message = str(err.value)
    assert "第 2 行，列「来电时间」，值 “张**”" in message
    assert "第 3 行，列「满意度」，值 “王** 0571-****8888”" in message
    rejects = load_files([path], skip_bad_rows=True).files[0].rejects_path.read_text(encoding="utf-8-sig")
    for raw_value in ("张波荣", "王小明", "8888 8888", "13912345678"):
        assert raw_value not in message and raw_value not in rejects
    assert "张**" in rejects and "王** 0571-****8888" in rejects


def test_a_file_without_its_header_row_does_not_print_its_first_row(warehouse_copy, tmp_path):
    path = tmp_path / "no_header.csv"
    path.write_text("GD0001,2025-10-05 09:00,上官飞燕,13912349001,530302199205052345,翠峰路1号锦绣小区9栋1单元101室\n"
                    "GD0002,2025-10-05 10:00,李四,13800002222,,东风路2号\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([path])
    message = str(err.value)
    assert "（6 列，其中有日期、号码之类的值，不像列名：文件可能缺少表头行）" in message
    for value in ("上官飞燕", "13912349001", "530302199205052345", "锦绣小区"):
        assert value not in message


def test_a_file_without_its_header_row_is_said_to_have_all_its_columns(warehouse_copy, tmp_path):
    """Its empty cells in the first row (no 办结时间 yet, no 满意度) are columns too: a 22-column export was said to
    have 18."""
    path = tmp_path / "no_header_blanks.csv"
    path.write_text("GD0001,2025-10-05 09:00,,,13912349001,东风路2号\n"
                    "GD0002,2025-10-05 10:00,2025-10-06 10:00,满意,13800002222,东风路3号\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([path])
    assert "表头为：（6 列，其中有日期、号码之类的值，不像列名：文件可能缺少表头行）。" in str(err.value)


def test_a_file_without_its_header_row_lists_its_unused_columns_by_position(warehouse_copy, tmp_path):
    """Mapped by hand over its first row of data (--map, or the upload page's pickers), such a file's unused
    "headers" are data, a caller's name among them: the warning (shown, and kept in load_batches) names the
    columns by position and says the header row seems to be missing."""
    path = tmp_path / "no_header_mapped.csv"
    path.write_text("GDT0001,2025-10-05 09:00,东风社区,欧阳测试,13912349001\n"
                    "GDT0002,2025-10-05 10:00,东风社区,李四,13800002222\n", encoding="utf-8")
    plan = plan_file(path, "hotline", {"GDT0001": "ticket_id", "2025-10-05 09:00": "received_at"})
    assert plan.ignored == ["第 3 列", "第 4 列", "第 5 列"]
    expected = ("以下列未使用：第 3 列、第 4 列、第 5 列。"
                "表头中有日期、号码之类的值，不像列名：文件可能缺少表头行（故只列出列的位置）。")
    assert plan.ignored_text() == expected
    item = load_files([path], "hotline", {"GDT0001": "ticket_id", "2025-10-05 09:00": "received_at"}).files[0]
    assert expected in item.warnings
    stored = query(warehouse_copy, "select warnings from load_batches where file_name = 'no_header_mapped.csv'")[0][0]
    for value in ("欧阳测试", "13912349001", "139****9001", "东风社区"):
        assert value not in stored and value not in "\n".join(item.warnings)


def test_a_file_without_its_header_row_has_its_problems_and_rejects_named_by_position(warehouse_copy, tmp_path):
    """Its "headers" (a caller's name among them) are not the column names of its problems or its rejects CSV."""
    path = tmp_path / "no_header_bad.csv"
    path.write_text("GDT0001,2025-10-05 09:00,欧阳测试\nGDT0002,2025-13-45 10:00,李四\n", encoding="utf-8")
    overrides = {"GDT0001": "ticket_id", "2025-10-05 09:00": "received_at", "欧阳测试": "caller_name"}
    with pytest.raises(LoadError) as err:
        load_files([path], "hotline", overrides)
    assert "第 2 行，列「第 2 列」，值 “2025-13-45 10:00”" in str(err.value) and "欧阳测试" not in str(err.value)
    rejects = load_files([path], "hotline", overrides, skip_bad_rows=True).files[0].rejects_path.read_text(encoding="utf-8-sig")
    assert rejects.splitlines()[0] == "行号,第 1 列,第 2 列,第 3 列,问题" and "欧阳测试" not in rejects
    # A required cell left empty is named by its column's position too (its "header" may be a caller's name).
    path.write_text("GDT0001,2025-10-05 09:00,欧阳测试\n,2025-10-06 10:00,李四\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([path], "hotline", overrides)
    assert "缺少必填项“第 1 列”" in str(err.value) and "GDT0001" not in str(err.value), str(err.value)


def test_a_file_without_its_header_row_has_its_warnings_name_columns_by_position(warehouse_copy, tmp_path):
    path = tmp_path / "no_header_source.csv"
    path.write_text("GDT0001,2025-10-05 09:00,欧阳测试的渠道\nGDT0002,2025-10-05 10:00,奇怪渠道\n", encoding="utf-8")
    overrides = {"GDT0001": "ticket_id", "2025-10-05 09:00": "received_at", "欧阳测试的渠道": "source"}
    warnings = "\n".join(load_files([path], "hotline", overrides).files[0].warnings)
    assert "列「第 3 列」有未识别的取值，已按原样保存：奇怪渠道（1 行）。" in warnings and "欧阳测试" not in warnings


def test_ordinary_unused_headers_are_listed_by_name(tmp_path):
    path = tmp_path / "hotline_notes.csv"
    path.write_text("工单编号,来电时间,备注\nR0001,2025-10-05 09:00,无\n", encoding="utf-8")
    plan = plan_file(path)
    assert plan.ignored == ["备注"] and plan.ignored_text() == "以下列未使用：备注。"


def test_the_rejects_csv_hides_the_callers_name_inside_the_text(warehouse_copy, tmp_path):
    path = tmp_path / "hotline_name_in_text.csv"
    path.write_text("工单编号,来电时间,来电人,诉求内容\nN0001,2025-13-45 10:00,上官飞燕,上官飞燕反映楼道灯坏了\n",
                    encoding="utf-8")
    rejects = load_files([path], skip_bad_rows=True).files[0].rejects_path.read_text(encoding="utf-8-sig")
    assert "上官飞燕" not in rejects and "上***反映楼道灯坏了" in rejects


def test_numbers_that_are_not_personal_are_shown_as_they_are(warehouse_copy, tmp_path):
    """Scrubbing phone and ID numbers out of other columns must not turn a long ticket number into
    [银行卡号] or [身份证号]: the user could not tell which ticket a message is about. (A ticket number
    that has the very shape of an ID number, region code + date + serial, is hidden: see the test above.)"""
    path = tmp_path / "hotline_long_numbers.csv"
    path.write_text("工单编号,来电时间,所属社区\n2025100700012345,2025-10-05 09:00,东风社区\n"
                    "2025100700012345,2025-10-05 10:00,东风社区\n202510070001234567,2025-13-45 10:00,东风社区\n",
                    encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([path])
    message = str(err.value)
    assert "值 “2025100700012345”" in message and "值 “2025-13-45 10:00”" in message
    rejects = load_files([path], skip_bad_rows=True).files[0].rejects_path.read_text(encoding="utf-8-sig")
    assert "2025100700012345" in rejects and "202510070001234567" in rejects and "[" not in rejects


def test_empty_date_placeholders_in_optional_columns_are_empty(warehouse_copy, tmp_path):
    """0001-01-01 (.NET) and 1900-01-01 (SQL Server) are how some systems export "no date"."""
    path = tmp_path / "hotline_placeholders.csv"
    path.write_text("工单编号,来电时间,回访时间,派单时间,所属社区\n"
                    "PH001,2025-10-05 09:00,0001/1/1 0:00:00,2025-10-05 10:00,东风社区\n"
                    "PH002,2025-10-05 09:00,1900-01-01 00:00:00.000,1900-01-01 00:00:00,东风社区\n", encoding="utf-8")
    report = load_files([path]).files[0]
    assert (report.inserted, report.rejected) == (2, 0)
    assert query(warehouse_copy, "select ticket_id, callback_at, dispatched_at from fct_tickets where ticket_id like 'PH%' "
                                 "order by 1") == [("PH001", None, datetime(2025, 10, 5, 10, 0)), ("PH002", None, None)]
    required = tmp_path / "hotline_placeholder_received.csv"
    required.write_text("工单编号,来电时间,所属社区\nPH003,1900-01-01 00:00:00,东风社区\n", encoding="utf-8")
    with pytest.raises(LoadError, match="年份不合理"):  # the receipt time is required: a placeholder is no time
        load_files([required])


# -- reloads, overlaps, rollback ---------------------------------------------------------------

def test_reloading_a_file_changes_nothing(warehouse_copy):
    before = sha256(warehouse_copy)
    report = load_files([FIXTURES / "hotline_gbk.csv", FIXTURES / "events.xlsx"])
    assert [(f.file_name, f.status, f.batch_id) for f in report.files] == [
        ("hotline_gbk.csv", "already_loaded", 4), ("events.xlsx", "already_loaded", 6),
    ]
    assert report.as_of is None
    assert sha256(warehouse_copy) == before


def test_same_content_under_another_name_is_recognised(warehouse_copy, tmp_path):
    copy = tmp_path / "热线导出（副本）.csv"
    copy.write_bytes((FIXTURES / "hotline_week2.csv").read_bytes())
    report = load_files([copy])
    assert (report.files[0].status, report.files[0].batch_id) == ("already_loaded", 5)


def test_rollback_restores_exactly(warehouse_db):
    load_files([FIXTURES / n for n in DISTRICT_LOADS[0]])
    before = snapshot(warehouse_db)
    item = load_files([FIXTURES / "hotline_week2.csv"]).files[0]
    # The overlapping export: 2 tickets with a newer status, 3 repeated as they were, 2 new.
    assert (item.rows_read, item.inserted, item.updated, item.unchanged, item.rejected) == (7, 2, 2, 3, 0)
    assert snapshot(warehouse_db) != before
    restored = rollback(5)
    assert restored == {"fct_tickets": 4, "ticket_pii": 4}
    assert snapshot(warehouse_db) == before
    assert [b[-1] for b in batches(warehouse_db)] == ["loaded"] * 4 + ["rolled_back"]
    # Once rolled back, the same file can be loaded again.
    report = load_files([FIXTURES / "hotline_week2.csv"])
    assert (report.files[0].status, report.files[0].batch_id, report.files[0].updated) == ("loaded", 6, 2)


def test_rollback_in_reverse_order_back_to_places_only(warehouse_copy):
    for batch_id in (6, 5, 4):
        rollback(batch_id)
    for table in ("fct_tickets", "ticket_pii", "fct_tickets_hist", "ticket_pii_hist"):
        assert query(warehouse_copy, f"select count(*) from {table}") == [(0,)], table
    assert query(warehouse_copy, "select count(*) from dim_grids") == [(4,)]


def test_rollback_refused_when_a_later_batch_changed_the_rows(warehouse_copy):
    before = sha256(warehouse_copy)
    with pytest.raises(LoadError) as err:
        rollback(4)
    assert str(err.value) == "错误：批次 4 导入的数据已被后来的批次 5 更新，请先撤销批次 5，再撤销批次 4。"
    assert sha256(warehouse_copy) == before


def test_rollback_refused_when_later_data_still_refers_to_it(warehouse_copy):
    before = sha256(warehouse_copy)
    with pytest.raises(LoadError) as err:
        rollback(2)
    assert str(err.value) == (
        "错误：操作后的数据将不满足数据约定，撤销批次 2 未执行（通常是后来导入的数据仍引用它，请先撤销后来的批次）：\n"
        "  表 fct_tickets 的列 compound_code 引用了 dim_compounds 中不存在的值：CP01、CP02、CP03、CP04。\n"
        "  表 fct_inspections 的列 company_id 引用了 dim_companies 中不存在的值：CO5661561321、CO9b9ebbcbd3、CObd15036f39。\n"
        "  表 fct_inspections 的列 compound_code 引用了 dim_compounds 中不存在的值：CP01、CP02、CP03、CP04。"
    )
    assert sha256(warehouse_copy) == before


def test_rollback_errors_word_for_word(warehouse_copy):
    with pytest.raises(LoadError) as err:
        rollback(99)
    assert str(err.value) == "错误：没有编号为 99 的导入批次，请用 python -m etl batches 查看现有批次。"
    rollback(6)
    with pytest.raises(LoadError) as err:
        rollback(6)
    assert str(err.value) == "错误：批次 6（events.xlsx）已经撤销过了，无需再次撤销。"


# -- concurrency -------------------------------------------------------------------------------

def test_second_writer_fails_at_once(warehouse_copy):
    before = snapshot(warehouse_copy)
    with writer() as con:
        with pytest.raises(LoadError) as err:
            load_files([FIXTURES / "hotline_utf8.csv"])
        assert str(err.value) == "错误：另一个导入或撤销正在进行（warehouse.duckdb），请等它结束后再试。"
        # The lock is checked before any file is read (a big export would take seconds).
        with pytest.raises(LoadError) as err:
            load_files([FIXTURES / "not_even_there.csv"])
        assert str(err.value) == "错误：另一个导入或撤销正在进行（warehouse.duckdb），请等它结束后再试。"
        with pytest.raises(LoadError) as err:
            rollback(6)
        assert str(err.value) == "错误：另一个导入或撤销正在进行（warehouse.duckdb），请等它结束后再试。"
        con.execute("select 1").fetchall()
    assert snapshot(warehouse_copy) == before


READER = r"""
import json, sys
from pathlib import Path
import duckdb

path, stop, limit = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
seen, errors, count = {}, [], 0
sql = ("select (select count(*) from fct_tickets), (select count(*) from ticket_pii), "
       "(select count(*) from load_batches), (select count(*) from fct_tickets where batch_id = 7)")
for count in range(1, limit + 1):
    stopping = stop.exists()
    try:
        con = duckdb.connect(path, read_only=True)
        try:
            row = tuple(con.execute(sql).fetchall()[0])
        finally:
            con.close()
        seen[row] = seen.get(row, 0) + 1
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
        row = None
    if count == 1:
        print("ready", flush=True)
    if stopping:
        break
print(json.dumps({"seen": [list(k) for k in seen], "errors": errors[:3], "n_errors": len(errors),
                  "last": list(row) if row else None, "reads": count}))
"""


def test_reader_in_another_process_sees_old_or_new_never_half(warehouse_copy, tmp_path):
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse_copy), str(stop), "100000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        assert reader.stdout.readline().strip() == "ready"
        load_files([FIXTURES / "hotline_dates.csv", FIXTURES / "hotline_gb18030.csv", FIXTURES / "hotline_utf8.csv"])
        stop.touch()
        out, err = reader.communicate(timeout=120)
    finally:
        if reader.poll() is None:
            reader.kill()
    result = json.loads(out)
    old, new = [12, 12, 6, 0], [28, 28, 9, 12]
    assert result["n_errors"] == 0, result["errors"]
    assert result["last"] == new, "the reader never saw the published load"
    assert [s for s in result["seen"] if s not in (old, new)] == []
    assert old in result["seen"]
    assert result["reads"] > 2


def test_a_csv_that_stops_decoding_past_its_first_megabyte_is_a_clear_error(warehouse_copy, tmp_path):
    """The encoding is detected on the first megabyte; a bad byte after it names the row and column,
    through the load (rows streamed into DuckDB) and through a whole-file read (the upload preview)."""
    from etl.readers import read_export

    rows = ["工单编号,来电时间,诉求类型,一级分类,所属街道,诉求内容"]
    rows += [f"B{n:07d},2025-10-09 09:00:00,咨询,市容环境,南宁街道,{'路灯不亮' * 10}" for n in range(1, 9001)]
    data = "\n".join(rows).encode("utf-8") + b"\nB9999999,2025-10-09 09:00:00,\xff\xfe," + "市容环境,南宁街道,x\n".encode("utf-8")
    assert data.index(b"\xff") > (1 << 20)
    bad = tmp_path / "mixed_encoding.csv"
    bad.write_bytes(data)
    before = snapshot(warehouse_copy)
    with pytest.raises(LoadError) as error:
        load_files([bad], db_path=warehouse_copy)
    expected = "文件 mixed_encoding.csv 第 9002 行「诉求类型」列有无法按 UTF-8 读取的字节"
    assert str(error.value).startswith(expected)
    assert snapshot(warehouse_copy) == before
    with pytest.raises(LoadError) as error:
        read_export(bad)
    assert str(error.value).startswith(expected)


# -- malformed files: a clear error, the warehouse exactly as it was ------------------------------

TICKETS = "工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,来电人,诉求内容"


def _tickets(count: int, start: int = 1, content: str = "路灯不亮") -> list[str]:
    return [f"M{i:06d},2025-10-{1 + i % 28:02d} 09:00:00,投诉,市容环境,南宁街道,东风社区,张三,{content}{i}"
            for i in range(start, start + count)]


def _write(path: Path, lines: list[str], encoding: str = "utf-8", tail: bytes = b"") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding) + tail)
    return path


MALFORMED = {
    "unclosed_quote.csv": (
        lambda p: _write(p, [TICKETS, *_tickets(3), *_tickets(1, 4, content='"太吵了'), *_tickets(36, 5)]),
        "错误：文件 unclosed_quote.csv 第 5 行「诉求内容」列引号未闭合：这一格以英文双引号 \" 开头，却没有配对的结束引号，"
        "其后 36 行数据被并进了这一格。请检查该单元格中的英文双引号 \"：删掉它、改成中文引号“”，或写成两个英文双引号 \"\"，"
        "然后重新导入；数据仓库未改动。"),
    "huge_cell.csv": (
        lambda p: _write(p, [TICKETS, *_tickets(2), *_tickets(1, 3, content="很长的诉求" * 40_000), *_tickets(2, 4)]),
        "错误：文件 huge_cell.csv 第 4 行「诉求内容」列的内容超过单元格上限 131,072 个字符（Excel 一格最多 32,767 个字符），"
        "多半是误粘贴了大段内容，或文件已损坏。请检查该单元格后重新导入；数据仓库未改动。"),
    "mixed_gbk.csv": (
        lambda p: _write(p, [TICKETS, *_tickets(12_000, content="小区门口路灯不亮，夜间出行不便")], "gbk",
                         ("\n".join(_tickets(1, 12_001, content="噢")) + "\n").encode("utf-8")),
        "错误：文件 mixed_gbk.csv 第 12002 行有无法按 GBK/GB18030 读取的字节：文件前面是 GBK/GB18030 编码，这一行却是 UTF-8"
        "（混用了两种编码，或文件已损坏）。请用 Excel/WPS 打开后另存为“CSV UTF-8”再导入；数据仓库未改动。"),
    "header_only.csv": (
        lambda p: _write(p, [TICKETS]),
        "错误：文件 header_only.csv 只有表头（第 1 行），没有数据行。请确认导出时选择的范围内有数据，重新导出后再导入。"),
    "features.geojson": (
        lambda p: _write(p, ['{"type": "FeatureCollection", "features": [1, 2]}']),
        "错误：文件 features.geojson：第 1 个要素不是对象（是 数字），每个要素应为 {\"type\": \"Feature\", \"properties\": {…}, "
        "\"geometry\": {…}}，请重新导出为 GeoJSON。"),
    "导出.xls": (   # a web system's 导出Excel: an HTML table in GBK under an .xls name
        lambda p: _write(p, ['<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head><body>',
                             "<table border=\"1\">", "<tr><td>工单编号</td><td>来电时间</td><td>来电人</td></tr>",
                             "<tr><td>GDH2026110100001</td><td>2026-11-01 08:00</td><td>张三</td></tr>",
                             "</table></body></html>"], "gbk"),
        "错误：文件 导出.xls 不是 Excel 工作簿，而是以 .xls 为扩展名保存的网页（HTML），多见于网页系统的“导出Excel”。"
        "本次导入未写入任何数据。请用 Excel 或 WPS 打开该文件，另存为 .xlsx（Excel 工作簿）或 CSV，再导入另存的文件。"),
    "big5.csv": (
        lambda p: _write(p, ["工單編號,來電時間,訴求類型,所屬街道,訴求內容",
                             *[f"B{i},2025-10-0{i} 09:00,投訴,南寧街道,路燈不亮請儘快處理" for i in range(1, 6)]], "big5"),
        "错误：无法识别文件 big5.csv 的编码：按 GBK/GB18030 读出来是乱码（可能是繁体 Big5 或其他编码）。"
        "请用 Excel/WPS 打开后另存为“CSV UTF-8”（或 GBK 编码的 CSV）再导入。"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_file_is_one_clear_error_and_changes_nothing(warehouse_copy, tmp_path, capsys, name):
    """Through the command line, as a user runs it: one ``错误：`` line, exit code 1, the warehouse
    byte for byte as before, and no staging file left behind."""
    from conftest import run_cli

    build, message = MALFORMED[name]
    path = build(tmp_path / name)
    before, before_tables = sha256(warehouse_copy), snapshot(warehouse_copy)
    code, out, err = run_cli(["load", "--quiet", str(path)], capsys)
    assert (code, out, err) == (1, "", message + "\n")
    with pytest.raises(LoadError):          # the upload page's dry run: the same load, never published
        load_files([path], dry_run=True)
    assert sha256(warehouse_copy) == before
    assert snapshot(warehouse_copy) == before_tables
    assert sorted(p.name for p in warehouse_copy.parent.iterdir()) == ["warehouse.duckdb", "warehouse.duckdb.lock"]


def test_a_folder_given_as_a_file(warehouse_copy, tmp_path, capsys):
    from conftest import run_cli

    before = sha256(warehouse_copy)
    code, out, err = run_cli(["load", str(tmp_path)], capsys)
    assert (code, out) == (1, "")
    assert err == f"错误：{tmp_path} 是文件夹，不是文件：请给出要导入的文件，如 {tmp_path / '工单.csv'}（可以一次给多个文件）。\n"
    assert sha256(warehouse_copy) == before


def test_trailing_blank_rows_are_counted_alike_while_reading_and_in_the_summary(warehouse_copy, tmp_path, capsys):
    """Excel often saves hundreds of empty rows below the data: the progress line and the summary both
    count only the rows with data."""
    from conftest import run_cli

    path = _write(tmp_path / "trailing.csv", [TICKETS, *_tickets(3), *([",,,,,,,"] * 300), *([""] * 200)])
    code, out, err = run_cli(["load", str(path)], capsys)
    assert code == 0
    assert "trailing.csv：识别为“12345热线工单”，表头在第 1 行，读取 3 行" in err.splitlines()
    assert out.startswith("trailing.csv（12345热线工单，批次 7）：读取 3 行，新增 3，")


def test_a_boundary_with_infinite_coordinates_is_a_problem_not_a_crash(warehouse_copy, tmp_path):
    """GEOS stops on NaN/Infinity with an error of its own: it is a problem of that row, like any bad shape."""
    document = json.loads((FIXTURES / "grids_shapes.geojson").read_text(encoding="utf-8"))
    ring = document["features"][1]["geometry"]["coordinates"][0]
    ring[0][0] = ring[-1][0] = float("inf")
    path = tmp_path / "shapes_inf.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")
    before = snapshot(warehouse_copy)
    with pytest.raises(LoadError) as err:
        load_files([path])
    assert str(err.value).splitlines()[1].startswith("  文件 shapes_inf.geojson 第 2 行，列「geometry」，值 “")
    assert str(err.value).splitlines()[1].endswith("”：网格边界的坐标中有非数字或无穷大（NaN、Infinity），请检查坐标。")
    assert snapshot(warehouse_copy) == before


def test_a_self_intersecting_boundary_is_repaired_and_said(warehouse_copy, tmp_path):
    """A bow-tie boundary is loaded repaired (make_valid: both loops), not refused, and the load says
    which grid and by how much its area changed (the bow-tie's loops cancel: 0 as drawn)."""
    document = json.loads((FIXTURES / "grids_shapes.geojson").read_text(encoding="utf-8"))
    features = {f["properties"]["网格编码"]: f for f in document["features"]}
    features["DF-02"]["geometry"]["coordinates"] = [[[103.79, 25.48], [103.80, 25.49], [103.80, 25.48], [103.79, 25.49], [103.79, 25.48]]]
    path = tmp_path / "shapes_bow_tie.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [features["DF-02"]]}), encoding="utf-8")
    item = load_files([path]).files[0]
    assert (item.updated, item.rejected) == (1, 0)
    assert item.warnings == ["网格 DF-02（东风二网格）的边界自相交，已自动修复；面积由 0 变为 556,948 平方米，"
                             "请在 GIS 软件中检查该网格的边界。"]
    stored = query(warehouse_copy, "select geometry_geojson from dim_grids where grid_code = 'DF-02'")[0][0]
    assert json.loads(stored)["type"] == "MultiPolygon"
    # Several at once: the first few, each with its own reason, and the count (a hole drawn outside its shell).
    features["XH-01"]["geometry"]["coordinates"] = [
        [[103.78, 25.49], [103.785, 25.49], [103.785, 25.50], [103.78, 25.50], [103.78, 25.49]],
        [[103.786, 25.49], [103.79, 25.49], [103.79, 25.50], [103.786, 25.50], [103.786, 25.49]]]
    path.write_text(json.dumps(document), encoding="utf-8")
    item = load_files([path]).files[0]
    assert item.warnings == ["2 个网格的边界无效，已自动修复：网格 DF-02（东风二网格）的边界自相交，面积由 0 变为 556,948 平方米；"
                             "网格 XH-01（西湖一网格）的边界内环（洞）在外环之外，面积由 111,381 变为 1,002,426 平方米。"
                             "请在 GIS 软件中检查这些网格的边界。"]


def test_a_geojson_of_the_wrong_source_names_its_properties_not_a_header_row(warehouse_db):
    with pytest.raises(LoadError) as err:
        load_files([FIXTURES / "grids.geojson"], source="hotline")
    message = str(err.value)
    assert "文件中要素的属性为：" in message and "第 0 行" not in message


# -- a header that two columns share -----------------------------------------------------------

def test_a_header_twice_one_column_empty_uses_the_other_and_says_so(warehouse_copy, tmp_path):
    """An export with a second, empty 满意度 column: the last one used to win and every ticket lost its
    satisfaction without a word."""
    path = tmp_path / "dup_header.csv"
    path.write_text("工单编号,来电时间,满意度,所属社区,满意度\nS1,2025-10-05 09:00,满意,东风社区,\n"
                    "S2,2025-10-05 10:00,不满意,东风社区,\n", encoding="utf-8")
    report = load_files([path]).files[0]
    assert "文件 dup_header.csv 第 1 行（表头）有两列都叫「满意度」（第 3、5 列）：第 5 列是空的，已使用第 3 列。" in report.warnings
    assert query(warehouse_copy, "select ticket_id, satisfaction from fct_tickets where ticket_id like 'S_' order by 1") == [
        ("S1", "满意"), ("S2", "不满意")]


def test_a_key_header_twice_one_column_empty_loads_the_keys(warehouse_copy, tmp_path):
    path = tmp_path / "dup_key.csv"
    path.write_text("工单编号,工单编号,来电时间,所属社区\nK1,,2025-10-05 09:00,东风社区\n", encoding="utf-8")
    report = load_files([path]).files[0]
    assert (report.inserted, report.rejected) == (1, 0)
    assert "文件 dup_key.csv 第 1 行（表头）有两列都叫「工单编号」（第 1、2 列）：第 2 列是空的，已使用第 1 列。" in report.warnings


def test_a_header_twice_with_data_in_both_is_refused_until_one_is_chosen(warehouse_copy, tmp_path, capsys):
    from conftest import run_cli

    path = tmp_path / "dup_both.csv"
    path.write_text("工单编号,来电时间,满意度,所属社区,满意度\nS1,2025-10-05 09:00,满意,东风社区,不满意\n", encoding="utf-8")
    before, before_tables = sha256(warehouse_copy), snapshot(warehouse_copy)
    code, out, err = run_cli(["load", "--quiet", str(path)], capsys)
    assert (code, out, err) == (1, "", (
        "错误：文件 dup_both.csv 第 1 行（表头）有两列都叫「满意度」（第 3、5 列），而且都有数据，无法确定用哪一列。"
        "请删除或改名其中一列后重新导入，或用 --map \"满意度（第 5 列）=satisfaction\" 指定要用的一列；数据仓库未改动。\n"))
    assert sha256(warehouse_copy) == before and snapshot(warehouse_copy) == before_tables
    report = load_files([path], overrides=parse_overrides(["满意度（第 5 列）=satisfaction"])).files[0]
    assert "以下列未使用：满意度（第 3 列）。" in report.warnings
    assert query(warehouse_copy, "select satisfaction from fct_tickets where ticket_id = 'S1'") == [("不满意",)]


def _extra_cell_file(path: Path) -> Path:
    """Three tickets, the second with a comma too many (a real extra cell, not an empty one)."""
    return _write(path, [TICKETS, *_tickets(1), *_tickets(1, 2, content="路灯,不亮"), *_tickets(1, 3)])


def test_rows_the_reader_cannot_split_are_read_rejected_and_in_the_rejects_file(warehouse_copy, tmp_path):
    path = _extra_cell_file(tmp_path / "extra_cell.csv")
    item = load_files([path], skip_bad_rows=True).files[0]
    assert (item.rows_read, item.inserted, item.rejected) == (3, 2, 1)   # read = inserted + rejected
    text = item.rejects_path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("行号,") and len(lines) == 2
    # its number and reason; not its cells, which an extra comma has moved out of their (masked) columns
    assert lines[1].startswith("3,") and lines[1].endswith(",列数与表头不一致（9 列，表头 8 列），请检查该行是否有多余或缺少的逗号。")
    assert "张三" not in text
    assert batches(warehouse_copy)[-1] == (7, "extra_cell.csv", "hotline", 3, 2, 0, 0, 1, "loaded")


def test_a_totals_row_with_its_count_in_the_next_cell_and_a_note_below_are_skipped(warehouse_copy, tmp_path):
    """``合计,3,,,`` put its count under 来电时间 (an unreadable date: the whole load failed) and the one-cell
    note line below was a row of the wrong width."""
    path = _write(tmp_path / "totals_note.csv", [TICKETS, *_tickets(3), "合计,3,,,,,,", "说明：本表由系统自动生成",
                                                  "制表：2025-10-31"])
    item = load_files([path]).files[0]
    assert (item.rows_read, item.inserted, item.rejected) == (3, 3, 0)
    assert "跳过合计/说明行 3 行。" in item.warnings


def test_an_unknown_grid_code_holding_the_callers_name_is_quoted_masked(warehouse_copy, tmp_path):
    """Columns shifted by one put the caller's name in 网格编号: the warning quoting the unknown codes masks it."""
    path = tmp_path / "shifted.csv"
    path.write_text("工单编号,来电时间,所属街道,所属社区,网格编号,来电人\n"
                    "Q1,2025-10-05 09:00,,,王建国,王建国\n"
                    "Q2,2025-10-05 10:00,,,李小红反映,李小红\n"
                    "Q3,2025-10-05 11:00,,,DF-99,赵六\n", encoding="utf-8")
    warnings = "\n".join(load_files([path]).files[0].warnings)
    assert "王建国" not in warnings and "李小红" not in warnings
    assert "网格编号在已导入的网格定义中找不到：DF-99（1 条）、李**反映（1 条）、王**（1 条）。" in warnings


def test_an_unknown_grid_code_is_quoted_as_the_file_writes_it(warehouse_copy, tmp_path):
    """df-99 and ＤＦ－９９ are matched as DF-99, but the warning quoted DF-99, which a search of the file does not find:
    each way of writing it is quoted as written, with its count, still masked with its row's caller."""
    path = tmp_path / "typed.csv"
    path.write_text("工单编号,来电时间,所属街道,所属社区,网格编号,来电人\n"
                    "Q1,2025-10-05 09:00,,,df-99,赵六\n"
                    "Q2,2025-10-05 10:00,,,ＤＦ－９９,钱七\n"
                    "Q3,2025-10-05 11:00,,,df-99,孙八\n"
                    "Q4,2025-10-05 12:00,,,李小红ａ,李小红\n"
                    "Q5,2025-10-05 13:00,,,df-01,周九\n", encoding="utf-8")
    warnings = "\n".join(load_files([path]).files[0].warnings)
    assert "李小红" not in warnings
    assert "4 条工单的网格编号在已导入的网格定义中找不到：df-99（2 条）、李**ａ（1 条）、ＤＦ－９９（1 条）。" in warnings
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:   # df-01 is the grid DF-01
        assert con.execute("select grid_code from fct_tickets where ticket_id = 'Q5'").fetchone() == ("DF-01",)


def test_a_note_line_between_rows_of_data_is_still_a_bad_row(warehouse_copy, tmp_path):
    path = _write(tmp_path / "note_inside.csv", [TICKETS, *_tickets(1), "说明：以下为补录", *_tickets(1, 2)])
    with pytest.raises(LoadError) as err:
        load_files([path])
    assert "第 3 行：列数与表头不一致（1 列，表头 8 列）" in str(err.value)


def test_deadline_before_receipt_unknown_places_and_excel_phones_are_said(warehouse_copy, tmp_path):
    path = tmp_path / "silent.csv"
    path.write_text(
        "工单编号,来电时间,办理时限,所属街道,所属社区,网格编号,来电号码\n"
        "Q1,2025-10-05 09:00,2025-10-01 18:00,南宁街道,东风社区,DF-01,13812345678\n"
        "Q2,2025-10-05 09:00,2025-10-20 18:00,南宁街道,东风社区,DF-99,1.38123E+10\n"
        "Q3,2025-10-05 09:00,,火星街道,,,1.38123E+10\n", encoding="utf-8")
    item = load_files([path]).files[0]
    assert item.inserted == 3
    assert ("1 条工单的时间顺序不合理（如办结时间早于受理时间），已导入但不计入办理时长统计；例如 Q1。"
            "其中 1 条的办理时限早于受理时间（例如 Q1），请核对办理时限一列。") in item.warnings
    assert ("1 条工单的网格编号在已导入的网格定义中找不到：DF-99（1 条）。其中 1 条因此无法定位到网格，按社区/街道统计，"
            "计为“未落格”；请核对网格编号是否写错，或先导入包含这些网格的网格定义。") in item.warnings
    assert "1 条工单的所属街道在已导入的网格定义中找不到：火星街道（1 条）。这些工单按其余信息定位；请核对街道名称是否写错。" in item.warnings
    # Q3 has no grid code at all: that one is unplaced for want of one
    assert "1 条工单无法定位到网格（无网格编号、坐标或可识别的小区地址），按社区/街道统计，计为“未落格”。" in item.warnings
    assert ("列「来电号码」有 2 个号码是科学计数法（形如 1.23E+10），后几位数字已被 Excel 丢失，这些号码已按原样保存但无法还原："
            "文件多半在 Excel 中打开后又保存过。请从系统重新导出原始文件（不要用 Excel 另存）后再导入。") in item.warnings
    assert not any("1.38123E+10" in w or "13812345678" in w for w in item.warnings)
    assert query(warehouse_copy, "select ticket_id, has_timeline_error from fct_tickets where ticket_id like 'Q_' order by 1") == [
        ("Q1", True), ("Q2", False), ("Q3", False)]


def test_rejects_go_to_data_when_the_input_folder_is_read_only_and_never_replace_an_earlier_one(
        warehouse_copy, tmp_path, monkeypatch):
    from onescreen import settings

    inputs = tmp_path / "share"
    inputs.mkdir()
    path = _extra_cell_file(inputs / "extra_cell.csv")
    monkeypatch.setattr(settings, "DATA_DIR", tmp_path / "data")
    write_bytes = Path.write_bytes

    def read_only_share(self, data):
        if self.parent == inputs:
            raise PermissionError(13, "Permission denied", str(self))
        return write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", read_only_share)
    item = load_files([path], skip_bad_rows=True, dry_run=True).files[0]
    assert item.rejects_path == tmp_path / "data" / "rejects" / "extra_cell.rejected.csv"
    assert item.warnings[0].startswith(f"1 行有问题未导入，已连同原因写入 {item.rejects_path}（原文件所在文件夹不可写）（个人信息已脱敏）")
    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    earlier = inputs / "extra_cell.rejected.csv"
    earlier.write_text("行号,问题\n9,我正在改的行\n", encoding="utf-8")
    item = load_files([path], skip_bad_rows=True).files[0]
    assert item.rejects_path == inputs / "extra_cell.rejected-2.csv"
    assert "extra_cell.rejected-2.csv（之前的同名拒收文件内容不同，保留未动）" in item.warnings[0]
    assert earlier.read_text(encoding="utf-8") == "行号,问题\n9,我正在改的行\n"


def test_a_shared_compound_name_with_one_compound_of_no_place_is_never_resolved(warehouse_copy, tmp_path):
    """职工之家 in DF-01 and another 职工之家 with neither grid nor community: the second could be the one in any
    grid, so a ticket in DF-01 naming 职工之家 is placed on no compound, and the warning says why."""
    compounds = tmp_path / "compounds_no_place.csv"
    compounds.write_text("小区编号,小区名称,所属网格,所属社区,物业企业\n"
                         "CP09,职工之家,DF-01,东风社区,云岭物业服务有限公司\n"
                         "CP10,职工之家,,,安居物业有限公司\n", encoding="utf-8")
    assert load_files([compounds]).files[0].inserted == 2
    tickets = tmp_path / "tickets_no_place.csv"
    tickets.write_text("工单编号,来电时间,诉求地址,网格编号\nW9,2025-10-05 09:00,东风路职工之家,DF-01\n", encoding="utf-8")
    item = load_files([tickets]).files[0]
    assert query(warehouse_copy, "select compound_code, grid_code from fct_tickets where ticket_id = 'W9'") == [(None, "DF-01")]
    assert ("1 条工单地址中的小区名称有多个同名小区：职工之家（1 条），无法确定是哪一个，未定位到小区，也不计入任何物业企业的投诉。"
            "其中 1 条的同名小区中有未填所属网格和社区的，可能是其中任何一个（请在小区定义中补上所属网格或社区）。") in " ".join(
        item.warnings)


def test_two_compounds_of_one_name_load_and_are_never_guessed(warehouse_copy, tmp_path):
    """职工宿舍 in two grids: refused as a repeated name before; then tickets and inspections naming it
    took the lower code (min) without a word. A ticket's address naming it is told apart by the grid the
    ticket is in (its grid column, by code or name, or its coordinates), else that grid's community;
    never across grids: without a grid, or with no single one there, no compound and a warning."""
    compounds = tmp_path / "compounds_same_name.csv"
    compounds.write_text("小区编号,小区名称,所属网格,所属社区,物业企业,户数,小区地址\n"
                         "CP05,职工宿舍,DF-01,东风社区,云岭物业服务有限公司,120,东风路20号\n"
                         "CP06,职工宿舍,XH-01,西湖社区,安居物业有限公司,80,西湖路5号\n"
                         "CP07,供电局宿舍,DF-01,东风社区,云岭物业服务有限公司,60,东风路30号\n"
                         "CP08,供电局宿舍,DF-01,东风社区,金马物业管理有限公司,40,东风路32号\n", encoding="utf-8")
    assert load_files([compounds]).files[0].inserted == 4
    tickets = tmp_path / "tickets_same_name.csv"
    tickets.write_text("工单编号,来电时间,诉求地址,所属社区,网格编号,经度,纬度\n"
                       "W1,2025-10-05 09:00,东风路20号职工宿舍,东风社区,,,\n"       # no grid: unknown
                       "W2,2025-10-05 09:00,东风路20号职工宿舍,,DF-01,,\n"          # the one in its grid
                       "W3,2025-10-05 09:00,西湖路职工宿舍,,XH-02,,\n"               # none in XH-02: the one in 西湖社区
                       "W4,2025-10-05 09:00,职工宿舍3栋,,,103.785,25.495\n"          # coordinates in XH-01
                       "W5,2025-10-05 09:00,职工宿舍,,东风二网格,,\n"                # grid by name, community 东风社区
                       "W6,2025-10-05 09:00,供电局宿舍,,DF-01,,\n"                   # two in its grid
                       "W7,2025-10-05 09:00,供电局宿舍,,DF-02,,\n"                   # none in DF-02, two in 东风社区
                       "W8,2025-10-05 09:00,供电局宿舍,,,103.795,25.495\n",          # none in XH-02 nor 西湖社区
                       encoding="utf-8")
    item = load_files([tickets]).files[0]
    assert ("4 条工单地址中的小区名称有多个同名小区：供电局宿舍（3 条）、职工宿舍（1 条），无法确定是哪一个，"
            "未定位到小区，也不计入任何物业企业的投诉。其中 1 条没有网格编号或坐标，无从区分（请在导出中带上网格编号或经纬度）；"
            "2 条所在网格（网格中没有时为其社区）中有不止一个同名小区；"
            "1 条所在网格及其社区中都没有该名称的小区（请核对工单的网格编号，或小区定义中的所属网格）。"
            "同名小区按工单所在的网格区分：所在网格中（没有时在其社区中）只有一个该名称的小区时，工单定位到该小区。") in item.warnings
    assert query(warehouse_copy, "select ticket_id, compound_code, grid_code, placed_by from fct_tickets "
                                 "where ticket_id like 'W_' order by 1") == [
        ("W1", None, None, "community"), ("W2", "CP05", "DF-01", "grid_code"), ("W3", "CP06", "XH-02", "grid_code"),
        ("W4", "CP06", "XH-01", "coordinates"), ("W5", "CP05", "DF-02", "grid_code"), ("W6", None, "DF-01", "grid_code"),
        ("W7", None, "DF-02", "grid_code"), ("W8", None, "XH-02", "coordinates")]
    inspections = tmp_path / "inspections_same_name.csv"
    inspections.write_text("考核日期,物业企业,小区名称,考核项目,得分\n2025-10-09,安居物业有限公司,职工宿舍,环境卫生,90\n"
                           "2025-10-09,金马物业管理有限公司,职工宿舍,环境卫生,80\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([inspections])
    assert str(err.value).splitlines()[1:] == [
        "  文件 inspections_same_name.csv 第 3 行，列「小区名称」，值 “职工宿舍”：有多个同名小区（CP05、CP06），无法确定是哪一个。"
        "请在文件中加上“小区编号”列。"]
    load_files([inspections], skip_bad_rows=True)   # the company tells the first one apart
    assert query(warehouse_copy, "select compound_code, score from fct_inspections where compound_code in ('CP05', 'CP06')") == [
        ("CP06", 90.0)]


# -- Excel error values (#N/A ...): bad cells, never blanks ---------------------------------------

def _formula_errors_book(path: Path) -> Path:
    """A hotline export a user ran formulas over: Excel error values in 满意度 (optional: read as blank it
    changed the 满意率), in 工单编号 (required: it read as missing), in 办结时间, in a helper column the
    load does not use, in the totals row, and in a row that has nothing else (a formula filled down)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("工单")
    sheet.write_string(0, 0, "南宁街道12345工单明细")
    sheet.write_row(1, 0, ["工单编号", "来电时间", "所属社区", "满意度", "办结时间", "核对"])
    rows = [["X1", "2025-10-05 09:00", "东风社区", "满意", "2025-10-06 10:00", ("=VLOOKUP(A3,对照!A:B,2,FALSE)", "#N/A")],
            ["X2", "2025-10-05 10:00", "东风社区", ("=VLOOKUP(A4,回访!A:C,3,FALSE)", "#N/A"), "2025-10-06 10:00", None],
            [("=对照!A9", "#REF!"), "2025-10-05 11:00", "东风社区", "满意", "2025-10-06 10:00", None],
            ["X4", "2025-10-05 12:00", "东风社区", "不满意", ('=B6+"1天"', "#VALUE!"), None],
            ["合计：4条", None, None, ("=COUNTIF(D3:D6,\"满意\")/0", "#DIV/0!"), None, None],
            [None, None, None, ("=VLOOKUP(A8,回访!A:C,3,FALSE)", "#N/A"), None, None]]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if isinstance(value, tuple):
                sheet.write_formula(r, c, value[0], None, value[1])
            elif value is not None:
                sheet.write_string(r, c, value)
    book.close()
    return path


def _error_problem(row: int, header: str, value: str, meaning: str) -> str:
    return (f"  文件 公式出错.xlsx 第 {row} 行，列「{header}」：" + _error_reason(row, header, value, meaning))


def _error_reason(row: int, header: str, value: str, meaning: str) -> str:
    return (f"工作表“工单”第 {row} 行“{header}”列是 Excel 错误值 {value}（公式出错：{meaning}），没有可导入的值。"
            "请在 Excel 中改正该单元格，或把公式列复制后“选择性粘贴为数值”，再导入。")


def test_excel_error_values_in_used_columns_refuse_the_load_and_change_nothing(warehouse_copy, tmp_path):
    path = _formula_errors_book(tmp_path / "公式出错.xlsx")
    before, before_tables = sha256(warehouse_copy), snapshot(warehouse_copy)
    with pytest.raises(LoadError) as err:
        load_files([path])
    assert str(err.value) == "\n".join([
        "错误：文件 公式出错.xlsx 有 3 处问题，本次导入未写入任何数据。请按下列提示修正后重新导入，或加 --skip-bad-rows 只导入没有问题的行：",
        _error_problem(4, "满意度", "#N/A", "要查找的值不存在"),
        _error_problem(5, "工单编号", "#REF!", "引用的单元格已被删除"),   # not 缺少必填项
        _error_problem(6, "办结时间", "#VALUE!", "参数或数据类型不对"),
    ])
    assert sha256(warehouse_copy) == before and snapshot(warehouse_copy) == before_tables
    assert len(batches(warehouse_copy)) == 6


def test_rows_with_excel_error_values_go_to_the_rejects_file_with_the_reason(warehouse_copy, tmp_path):
    """--skip-bad-rows: each row with an error value in a used column is rejected with its reason; the row
    whose only error is in the unused 核对 column loads, its 满意度 kept."""
    path = _formula_errors_book(tmp_path / "公式出错.xlsx")
    item = load_files([path], skip_bad_rows=True).files[0]
    assert (item.rows_read, item.inserted, item.rejected) == (4, 1, 3)
    lines = item.rejects_path.read_text(encoding="utf-8-sig").splitlines()
    assert lines == [
        "行号,工单编号,来电时间,办结时间,满意度,所属社区,问题",
        "4,X2,2025-10-05 10:00,2025-10-06 10:00,,东风社区," + _error_reason(4, "满意度", "#N/A", "要查找的值不存在"),
        "5,,2025-10-05 11:00,2025-10-06 10:00,满意,东风社区," + _error_reason(5, "工单编号", "#REF!", "引用的单元格已被删除"),
        "6,X4,2025-10-05 12:00,,不满意,东风社区," + _error_reason(6, "办结时间", "#VALUE!", "参数或数据类型不对"),
    ]
    assert query(warehouse_copy, "select ticket_id, satisfaction, resolved_at from fct_tickets where ticket_id like 'X_'") == [
        ("X1", "满意", datetime(2025, 10, 6, 10, 0))]
    assert batches(warehouse_copy)[-1] == (7, "公式出错.xlsx", "hotline", 4, 1, 0, 0, 3, "loaded")


def test_grid_events_from_the_hotline_are_said_to_count_twice(warehouse_copy, tmp_path):
    """双派单: the fixture district holds 12345 hotline tickets; a grid-platform export whose events came from the
    hotline (事件来源 12345热线) would count those requests again. The load says so and what to do; events of the
    platform's own sources do not get the warning. A later hotline load says it too while such events are in."""
    header = "事件编号,事件来源,上报时间,所属社区"
    own = _write(tmp_path / "events_own.csv", [header, "SJ-A1,网格员上报,2025-10-06 09:00,西湖社区"])
    report = load_files([own])
    assert not any("双派单" in w for w in report.files[0].warnings), report.files[0].warnings
    copies = _write(tmp_path / "events_copies.csv", [header, "SJ-B1,12345热线,2025-10-06 10:00,西湖社区",
                                                     "SJ-B2,市民热线,2025-10-06 11:00,西湖社区",
                                                     "SJ-B3,视频巡查,2025-10-06 12:00,西湖社区"])
    hotline = query(warehouse_copy, "select count(*) from fct_tickets where feed = 'hotline'")[0][0]
    report = load_files([copies])
    said = [w for w in report.files[0].warnings if "双派单" in w]
    assert said == [f"本文件有 2 条网格事件的来源是“12345热线”，数据仓库中也有 12345 热线导出的工单（{hotline:,} 条）："
                    "如果这些事件是热线派到网格平台的同一诉求（双派单），受理量和三率会把它们计两次。"
                    "请在导出网格事件时去掉来源为 12345 热线的记录，撤销本批次后重新导入。"]
    hotline_file = _write(tmp_path / "hotline_more.csv", ["工单编号,来电时间,所属社区", "RX1,2025-10-07 09:00,西湖社区"])
    report = load_files([hotline_file])
    assert any("数据仓库中有 2 条来源为“12345热线”的网格事件" in w for w in report.files[0].warnings), report.files[0].warnings


def test_ticket_numbers_excel_saved_in_scientific_notation_are_refused(warehouse_copy, tmp_path):
    """A CSV opened in Excel and saved again: 2025101300011 and 2025101300012 both read 2.0251E+12. One such row
    was loaded as ticket "2.0251E+12" (the next one would overwrite it); two were called duplicates, and the
    advice (delete the duplicate row) lost a ticket. Each is a problem cell that says what happened and what to do."""
    before = snapshot(warehouse_copy)
    path = tmp_path / "excel_resaved.csv"
    path.write_text("工单编号,来电时间,所属社区\n2.0251E+12,2025-10-15 09:00,东风社区\n2.0251E+12,2025-10-15 10:00,西湖社区\n"
                    "2025101300013,2025-10-15 11:00,西湖社区\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([path])
    help_text = ("编号是科学计数法（形如 2.0251E+12）：文件多半在 Excel 中打开后又保存过，编号的后几位已被 Excel 丢失，无法还原，"
                 "不同的工单会变成同一个编号。请从系统重新导出原始文件，不经 Excel 另存直接导入。")
    assert str(err.value).splitlines()[1:] == [
        f"  文件 excel_resaved.csv 第 {row} 行，列「工单编号」，值 “2.0251E+12”：{help_text}" for row in (2, 3)]
    assert snapshot(warehouse_copy) == before
    path.write_text("工单编号,来电时间,所属社区\n2.0251E+12,2025-10-15 09:00,东风社区\n", encoding="utf-8")
    with pytest.raises(LoadError):
        load_files([path])
    assert snapshot(warehouse_copy) == before


def test_a_grid_export_without_its_source_column_is_not_taken_for_12345_tickets(warehouse_copy, tmp_path):
    """A grid-platform 事件台账 whose template has no 事件来源 column shares every header with a 12345 export: it
    was loaded as 12345 tickets (feed hotline, source 12345热线), inflating 12345 counts and hiding 未诉先办.
    Its 处置层级 and 是否吹哨 (and nothing of a caller or a callback) make it a grid export missing a field;
    choosing 12345 explicitly still loads it so."""
    before = snapshot(warehouse_copy)
    path = tmp_path / "事件台账.csv"
    path.write_text("南宁街道网格事件台账\n事件编号,上报时间,一级分类,所属社区,网格编号,处置层级,是否吹哨,办结时间\n"
                    "SJ20251015001,2025-10-15 09:00,环境卫生,东风社区,DF-01,网格,否,2025-10-15 15:00\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([path])
    assert str(err.value) == (
        "错误：无法识别文件 事件台账.csv 的数据类型：最接近“网格平台事件”，但缺少字段 source（如 诉求来源）。"
        "文件第 2 行的表头为：事件编号、上报时间、一级分类、所属社区、网格编号、处置层级、是否吹哨、办结时间。"
        "请用 --map \"表头=字段\" 指定对应关系，或用 --source 指定来源类型。")
    assert snapshot(warehouse_copy) == before
    assert plan_file(path, "hotline").source.name == "hotline"


@pytest.mark.parametrize("header, totals", [
    ("序号,工单编号,来电时间,所属社区", "合计,2,,"),    # 合计 in the 序号 column, the count under 工单编号
    ("工单编号,来电时间,所属社区", "共 2 条,,"),
])
def test_a_csv_totals_row_in_an_unused_column_or_as_a_count_is_left_out(warehouse_copy, tmp_path, header, totals):
    """A CSV's totals row was looked for in the used columns only, and 共 N 条 was no totals row: 合计 under 序号
    (or 共 2 条) failed the whole load with 缺少必填项“来电时间” on that row. It is left out and said, as in an XLSX."""
    first = ["1,"] * header.startswith("序号")
    rows = [f"{first[0] if first else ''}T1,2025-10-15 09:00,东风社区", f"{'2,' if first else ''}T2,2025-10-15 10:00,东风社区"]
    path = tmp_path / "totals.csv"
    path.write_text("\n".join([header, *rows, totals, ""]), encoding="utf-8")
    item = load_files([path]).files[0]
    assert (item.rows_read, item.inserted, item.rejected) == (2, 2, 0)
    assert "跳过合计/说明行 1 行。" in item.warnings


# How systems make Excel keep a long number as text, each written as the CSV holds it: a tab before it, an Excel
# formula ="…" (quoted, its quotes doubled), an apostrophe.
EXCEL_TEXT_WRAPPERS = {"tab": lambda v: "\t" + v, "formula": lambda v: f'"=""{v}"""', "apostrophe": lambda v: "'" + v}


@pytest.mark.parametrize("wrapper", list(EXCEL_TEXT_WRAPPERS))
def test_numbers_written_to_stay_text_in_excel_are_the_same_numbers(warehouse_copy, tmp_path, wrapper):
    """Before, "\\tK1", ="K1" and 'K1 were stored as they were: a re-export so written inserted every ticket a second
    time (the first stayed open and went overdue), a grid code so written was an unknown grid, a phone kept its tab.
    Keys, codes, phones and times are unwrapped; a free-text cell is trimmed of the tab only."""
    wrap = EXCEL_TEXT_WRAPPERS[wrapper]
    header = "工单编号,来电时间,办结时间,工单状态,一级分类,所属街道,所属社区,网格编号,来电号码\n"
    first = tmp_path / "week1.csv"
    first.write_text(header + "K1,2025-10-05 09:00,,办理中,市容环境,南宁街道,东风社区,DF-01,13812345678\n"
                              "K2,2025-10-05 10:00,,办理中,市容环境,南宁街道,东风社区,DF-02,13912345678\n", encoding="utf-8")
    load_files([first], db_path=warehouse_copy)
    second = tmp_path / "week2.csv"
    second.write_text(header + "".join(
        f"{wrap(key)},{wrap(received)},{wrap('2025-10-06 16:00')},已办结,\t市容环境\t,南宁街道,东风社区,{wrap(grid)},{wrap(phone)}\n"
        for key, received, grid, phone in [("K1", "2025-10-05 09:00", "DF-01", "13812345678"),
                                           ("K2", "2025-10-05 10:00", "DF-02", "13912345678")]), encoding="utf-8")
    item = load_files([second], db_path=warehouse_copy).files[0]
    assert (item.inserted, item.updated, item.rejected) == (0, 2, 0)
    assert not any("网格编号" in w for w in item.warnings)
    assert query(warehouse_copy, "select ticket_id, received_at, resolved_at, status, category_l1, grid_code, placed_by "
                                 "from fct_tickets where ticket_id like '%K_' order by 1") == [
        ("K1", datetime(2025, 10, 5, 9, 0), datetime(2025, 10, 6, 16, 0), "已办结", "市容环境", "DF-01", "grid_code"),
        ("K2", datetime(2025, 10, 5, 10, 0), datetime(2025, 10, 6, 16, 0), "已办结", "市容环境", "DF-02", "grid_code")]
    assert query(warehouse_copy, "select ticket_id, caller_phone from ticket_pii where ticket_id like '%K_' order by 1") == [
        ("K1", "13812345678"), ("K2", "13912345678")]
