"""Units and identities an export states in its headers or leaves out: a deadline column headed 办理时限（小时）,
a score headed 得分（满分10分）, inspections without 考核编号, a grid exported as several features (飞地网格),
and grid codes that contradict the row's community."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from etl.errors import LoadError
from etl.load import load_files, rollback

from test_load import query, snapshot

TICKET_HEADER = "工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,网格编号,办结时间,{due}\n"


def _tickets(path: Path, due_header: str, rows: list[tuple[str, str]]) -> Path:
    path.write_text(TICKET_HEADER.format(due=due_header) + "".join(
        f"{t},2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,XH-02,,{due}\n" for t, due in rows), encoding="utf-8")
    return path


# -- 1. the unit of a deadline or score header -------------------------------------------------------

def test_a_deadline_header_in_hours_reads_bare_numbers_as_hours(warehouse_copy, tmp_path):
    """办理时限（小时） with 24 / 2: read before as 24 and 2 working days (the unit was dropped with the brackets),
    so a ticket due in 24 hours was due a month later and never overdue. Cells with their own unit keep it."""
    path = _tickets(tmp_path / "hotline_hours_header.csv", "办理时限（小时）",
                    [("HH1", "24"), ("HH2", "2"), ("HH3", "3个工作日"), ("HH4", "2025-10-20 09:00"), ("HH5", "1.5")])
    report = load_files([path], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.rejected) == (5, 0)
    assert query(warehouse_copy, "select ticket_id, due_at, due_workdays from fct_tickets where ticket_id like 'HH_' "
                                 "order by 1") == [
        ("HH1", datetime(2025, 10, 18, 18, 0), None), ("HH2", datetime(2025, 10, 17, 20, 0), None),
        ("HH3", None, 3), ("HH4", datetime(2025, 10, 20, 9, 0), None), ("HH5", datetime(2025, 10, 17, 19, 30), None)]
    assert "列「办理时限（小时）」中只写了数字的 3 个办理时限按表头的单位读作小时数（从受理时间起算，夜间、周末、节假日都计）。" \
        in report.warnings


@pytest.mark.parametrize("header", ["办理时限（自然日）", "办理时限(日历日)"])
def test_a_deadline_header_in_calendar_days_reads_bare_numbers_as_calendar_days(warehouse_copy, tmp_path, header):
    """Friday 18:00 plus 3 calendar days is Monday 18:00, not 3 working days (Wednesday)."""
    path = _tickets(tmp_path / "hotline_days_header.csv", header, [("HD1", "3"), ("HD2", "5个工作日")])
    report = load_files([path], db_path=warehouse_copy).files[0]
    assert query(warehouse_copy, "select ticket_id, due_at, due_workdays from fct_tickets where ticket_id like 'HD_' "
                                 "order by 1") == [("HD1", datetime(2025, 10, 20, 18, 0), None), ("HD2", None, 5)]
    assert f"列「{header}」中只写了数字的 1 个办理时限按表头的单位读作自然日数（从受理时间起算，周末、节假日都计）。" \
        in report.warnings


def test_a_fraction_of_calendar_days_is_read_as_hours(warehouse_copy, tmp_path):
    """1.5 under 办理时限（自然日） was refused as unreadable: it is 36 hours after receipt (Friday 18:00: Sunday 06:00)."""
    path = _tickets(tmp_path / "hotline_days_fraction.csv", "办理时限（自然日）", [("HF1", "1.5"), ("HF2", "0.5自然日")])
    report = load_files([path], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.rejected) == (2, 0)
    assert query(warehouse_copy, "select ticket_id, due_at, due_workdays from fct_tickets where ticket_id like 'HF_' "
                                 "order by 1") == [("HF1", datetime(2025, 10, 19, 6, 0), None),
                                                   ("HF2", datetime(2025, 10, 18, 6, 0), None)]


def test_a_fraction_of_working_days_is_refused_saying_what_to_write(warehouse_copy, tmp_path):
    path = _tickets(tmp_path / "hotline_workdays_fraction.csv", "办理时限（工作日）", [("HW1", "2"), ("HW2", "1.5")])
    with pytest.raises(LoadError) as error:
        load_files([path], db_path=warehouse_copy)
    assert ("文件 hotline_workdays_fraction.csv 第 3 行，列「办理时限（工作日）」，值 “1.5”：办理时限的工作日数带小数（如 1.5 个工作日）："
            "工作日只能按整天计算。请写成整数个工作日（如 2个工作日）、小时数（如 36小时）或自然日数（如 1.5自然日，"
            "或把表头写作“办理时限（自然日）”）后重新导入。") in str(error.value)


def test_a_calendar_day_count_in_a_cell_is_read(warehouse_copy, tmp_path):
    path = _tickets(tmp_path / "hotline_days_cells.csv", "办理时限", [("HC1", "3自然日"), ("HC2", "7个自然日内")])
    load_files([path], db_path=warehouse_copy)
    assert query(warehouse_copy, "select ticket_id, due_at, due_workdays from fct_tickets where ticket_id like 'HC_' "
                                 "order by 1") == [("HC1", datetime(2025, 10, 20, 18, 0), None),
                                                   ("HC2", datetime(2025, 10, 24, 18, 0), None)]


@pytest.mark.parametrize("header", ["办理时限（工作日）", "办理时限（天）"])   # （天） as 15天 in a cell: working days
def test_a_deadline_header_in_working_days_is_read_as_before(warehouse_copy, tmp_path, header):
    path = _tickets(tmp_path / "hotline_workdays_header.csv", header, [("HW1", "3")])
    report = load_files([path], db_path=warehouse_copy).files[0]
    assert query(warehouse_copy, "select due_at, due_workdays from fct_tickets where ticket_id = 'HW1'") == [(None, 3)]
    assert not [w for w in report.warnings if "按表头的单位" in w]


def test_a_deadline_header_with_an_unknown_unit_is_refused(warehouse_copy, tmp_path):
    before = snapshot(warehouse_copy)
    path = _tickets(tmp_path / "hotline_minutes_header.csv", "办理时限（分钟）", [("HM1", "30"), ("HM2", "2025-10-20 09:00")])
    with pytest.raises(LoadError) as error:
        load_files([path], db_path=warehouse_copy)
    assert str(error.value) == (
        "错误：文件 hotline_minutes_header.csv 的列「办理时限（分钟）」有只写了数字的办理时限（如 30），表头括号中的单位「分钟」无法识别，"
        "分不清这些数字是小时、工作日还是自然日。请把表头改为“办理时限（小时）”、“办理时限（工作日）”或“办理时限（自然日）”，"
        "或在单元格中写明单位（如 24小时、15个工作日），再重新导入；数据仓库未改动。")
    assert snapshot(warehouse_copy) == before
    # Without bare numbers the unit reads nothing: such a file loads.
    path = _tickets(tmp_path / "hotline_minutes_dates.csv", "办理时限（分钟）", [("HM3", "2025-10-20 09:00")])
    assert load_files([path], db_path=warehouse_copy).files[0].inserted == 1


def test_the_same_cells_under_another_deadline_unit_are_no_unchanged_reload(warehouse_copy, tmp_path):
    """A reload leaves rows with the same cells alone: 24 under （工作日） and then under （小时） is another deadline."""
    first = _tickets(tmp_path / "week1.csv", "办理时限（工作日）", [("HR1", "24")])
    load_files([first], db_path=warehouse_copy)
    second = _tickets(tmp_path / "week1_hours.csv", "办理时限（小时）", [("HR1", "24")])
    report = load_files([second], db_path=warehouse_copy).files[0]
    assert (report.updated, report.unchanged) == (1, 0)
    assert query(warehouse_copy, "select due_at, due_workdays from fct_tickets where ticket_id = 'HR1'") == [
        (datetime(2025, 10, 18, 18, 0), None)]


INSPECTION_HEADER = "考核日期,物业企业,小区名称,考核项目,{score},考核人\n"


def _inspections(path: Path, score_header: str, rows: list[str]) -> Path:
    path.write_text(INSPECTION_HEADER.format(score=score_header) + "".join(rows), encoding="utf-8")
    return path


def test_a_score_header_with_a_full_mark_is_converted_to_100_points(warehouse_copy, tmp_path):
    """得分（满分10分） 8.5 was stored as 8.5 of 100: the company went to the bottom of the list."""
    path = _inspections(tmp_path / "inspections_10.csv", "得分（满分10分）",
                        ["2025-10-20,云岭物业服务有限公司,金碧花园,绿化养护,8.5,刘洋\n",
                         "2025-10-20,云岭物业服务有限公司,阳光新城,绿化养护,10,刘洋\n"])
    report = load_files([path], db_path=warehouse_copy).files[0]
    assert query(warehouse_copy, "select compound_code, score from fct_inspections where item = '绿化养护' order by 1") == [
        ("CP01", 85.0), ("CP03", 100.0)]
    assert "列「得分（满分10分）」按表头读作满分 10 分，已换算为百分制保存（得分 × 100 ÷ 10）。" in report.warnings


@pytest.mark.parametrize("header", ["得分（百分制）", "得分(分)", "得分（满分100分）"])
def test_a_score_header_on_100_points_is_read_as_before(warehouse_copy, tmp_path, header):
    path = _inspections(tmp_path / "inspections_100.csv", header, ["2025-10-20,云岭物业服务有限公司,金碧花园,绿化养护,85,刘洋\n"])
    report = load_files([path], db_path=warehouse_copy).files[0]
    assert query(warehouse_copy, "select score from fct_inspections where item = '绿化养护'") == [(85.0,)]
    assert not [w for w in report.warnings if "百分制" in w]


def test_a_score_above_the_headers_full_mark_is_a_bad_cell(warehouse_copy, tmp_path):
    path = _inspections(tmp_path / "inspections_10_bad.csv", "得分（满分10分）",
                        ["2025-10-20,云岭物业服务有限公司,金碧花园,绿化养护,85,刘洋\n"])
    with pytest.raises(LoadError) as error:
        load_files([path], db_path=warehouse_copy)
    assert str(error.value).splitlines()[1:] == [
        "  文件 inspections_10_bad.csv 第 2 行，列「得分（满分10分）」，值 “85”：得分应为 0 到 10 之间的数字（表头写明满分 10 分）。"]


def test_a_score_header_without_a_full_mark_is_refused(warehouse_copy, tmp_path):
    before = snapshot(warehouse_copy)
    path = _inspections(tmp_path / "inspections_grade.csv", "得分（等级）", ["2025-10-20,云岭物业服务有限公司,金碧花园,绿化养护,8,刘洋\n"])
    with pytest.raises(LoadError) as error:
        load_files([path], db_path=warehouse_copy)
    assert str(error.value) == (
        "错误：文件 inspections_grade.csv 的列「得分（等级）」表头括号中的「等级」看不出满分是多少，得分无法换算为百分制。"
        "请把表头改为“得分”（百分制），或写明满分，如“得分（满分10分）”，再重新导入；数据仓库未改动。")
    assert snapshot(warehouse_copy) == before


# -- 3. a grid exported as several features (飞地网格) -------------------------------------------------

def _grid_features(path: Path, parts: list[dict]) -> Path:
    import json

    base = {"网格编号": "DF-01", "网格名称": "东风一网格", "社区编码": "530302001001", "所属社区": "东风社区",
            "街道编码": "530302001", "所属街道": "南宁街道", "网格类型": "普通网格", "户数": 320, "人口": 910,
            "红色户": 12, "黄色户": 30, "绿色户": 278, "网格员": "李梅"}
    features = []
    for n, changed in enumerate(parts):
        x = 103.78 + 0.05 * n   # the parts lie apart: an enclave inside another community
        ring = [[x, 25.48], [x + 0.01, 25.48], [x + 0.01, 25.49], [x, 25.49], [x, 25.48]]
        features.append({"type": "Feature", "properties": {**base, **changed},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_grid_in_two_features_with_the_same_attributes_is_one_multipolygon(warehouse_copy, tmp_path):
    """An enclave grid exported as two features of one code was refused as a duplicate row ("请删除重复行"), which
    would have dropped part of the grid."""
    import json

    path = _grid_features(tmp_path / "grids_enclave.geojson", [{}, {}])
    report = load_files([path], db_path=warehouse_copy).files[0]
    assert (report.rows_read, report.inserted + report.updated + report.unchanged, report.rejected) == (2, 1, 0)
    assert ("1 个网格在文件中分为几个要素（如飞地网格），属性相同，已各合并为一个网格，边界为各部分合起来的多面：DF-01（2 个部分）。"
            "请在地图上核对这些网格的边界。") in report.warnings
    (geometry, name), = query(warehouse_copy, "select geometry_geojson, grid_name from dim_grids where grid_code = 'DF-01'")
    shape = json.loads(geometry)
    assert (shape["type"], len(shape["coordinates"]), name) == ("MultiPolygon", 2, "东风一网格")


def test_a_grid_code_in_two_features_with_other_attributes_is_refused_naming_them(warehouse_copy, tmp_path):
    before = snapshot(warehouse_copy)
    path = _grid_features(tmp_path / "grids_conflict.geojson", [{}, {"网格名称": "东风1网格", "所属社区": "西湖社区"}])
    with pytest.raises(LoadError) as error:
        load_files([path], db_path=warehouse_copy)
    assert str(error.value).splitlines()[1:] == [
        "  文件 grids_conflict.geojson 第 2 行，列「网格编号」，值 “DF-01”：与第 1 行网格编号相同，但网格名称、所属社区不同"
        "（第 1 行：东风一网格、东风社区；本行：东风1网格、西湖社区）。同一网格分成几个要素（飞地网格）时，各要素除边界外的属性应完全相同，"
        "才能合并为一个网格；是两个不同网格的，请更正其中一个的网格编号后重新导入。"]
    assert snapshot(warehouse_copy) == before


# -- 4. a grid code that contradicts the row's community ---------------------------------------------

def test_a_ticket_whose_grid_code_contradicts_its_community_is_placed_by_the_code_with_a_warning(warehouse_copy, tmp_path):
    path = tmp_path / "hotline_grid_vs_community.csv"
    path.write_text("工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,网格编号\n"
                    + "".join(f"GC{n},2025-10-17 18:00:00,求助,市容环境,南宁街道,西湖社区,DF-01\n" for n in range(1, 8))
                    + "GC8,2025-10-17 18:00:00,求助,市容环境,南宁街道,东风社区,DF-01\n"     # agrees
                    + "GC9,2025-10-17 18:00:00,求助,市容环境,南宁街道,东风居委会,DF-01\n",   # an unknown name: said apart
                    encoding="utf-8")
    report = load_files([path], db_path=warehouse_copy).files[0]
    assert ("7 条工单的网格编号与所属社区或所属街道不一致，已按网格编号定位（社区、街道以网格定义为准）："
            "GC1（网格编号 DF-01 属于东风社区，所属社区写的是西湖社区）、GC2（网格编号 DF-01 属于东风社区，所属社区写的是西湖社区）、"
            "GC3（网格编号 DF-01 属于东风社区，所属社区写的是西湖社区）、GC4（网格编号 DF-01 属于东风社区，所属社区写的是西湖社区）、"
            "GC5（网格编号 DF-01 属于东风社区，所属社区写的是西湖社区）等。"
            "请核对这些工单的网格编号和所属社区、所属街道，在源系统中更正后重新导入。") in report.warnings
    assert query(warehouse_copy, "select distinct community_name, placed_by from fct_tickets where ticket_id like 'GC_'") == [
        ("东风社区", "grid_code")]


def test_a_compound_whose_grid_contradicts_its_community_is_placed_by_the_grid_with_a_warning(warehouse_copy, tmp_path):
    path = tmp_path / "compounds_grid_vs_community.csv"
    path.write_text("小区编号,小区名称,所属网格,所属社区,物业企业,户数,小区地址\n"
                    "CP09,新建小区,DF-01,西湖社区,云岭物业服务有限公司,100,东风路1号\n"
                    "CP10,另一小区,XH-01,西湖社区,云岭物业服务有限公司,100,西湖路1号\n", encoding="utf-8")
    report = load_files([path], db_path=warehouse_copy).files[0]
    assert ("1 个小区的所属网格与所属社区不一致，已按所属网格定位（社区、街道以网格定义为准）："
            "CP09（所属网格 DF-01 属于东风社区，所属社区写的是西湖社区）。请核对这些小区的所属网格和所属社区，更正后重新导入。"
            ) in report.warnings
    assert query(warehouse_copy, "select compound_code, grid_code, community_code from dim_compounds "
                                 "where compound_code in ('CP09', 'CP10') order by 1") == [
        ("CP09", "DF-01", "530302001001"), ("CP10", "XH-01", "530302001002")]


# -- 2. inspections without 考核编号 -------------------------------------------------------------------

NOID_HEADER = "考核日期,物业企业,小区名称,考核项目,得分{inspector}\n"


def _noid(path: Path, rows: list[str], inspector: bool = True, title: str = "") -> Path:
    path.write_text((f"{title}\n" if title else "") + NOID_HEADER.format(inspector=",考核人" if inspector else "")
                    + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


NOID_WEEK = ["2025-10-20,云岭物业服务有限公司,金碧花园,设施设备,{score},王五",
             "2025-10-20,金马物业管理有限公司,翠湖小区,秩序维护,90,王五",
             "2025-10-21,安居物业有限公司,锦绣苑,环境卫生,77,王五"]


def _scores(path: Path) -> list[tuple]:
    return query(path, "select compound_code, item, score from fct_inspections where inspected_on >= '2025-10-20' order by 1")


def test_a_corrected_score_without_inspection_ids_updates_the_inspection(warehouse_copy, tmp_path):
    """Without 考核编号 the derived id held the score: 85 corrected to 58 was a second inspection (新增 1，未变 2), and
    both counted in the company's month."""
    load_files([_noid(tmp_path / "noid1.csv", [r.format(score=85) for r in NOID_WEEK])], db_path=warehouse_copy)
    report = load_files([_noid(tmp_path / "noid2.csv", [r.format(score=58) for r in NOID_WEEK])], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    assert _scores(warehouse_copy) == [("CP01", "设施设备", 58.0), ("CP02", "秩序维护", 90.0), ("CP04", "环境卫生", 77.0)]
    assert query(warehouse_copy, "select score from fct_inspections_hist where compound_code = 'CP01' and item = '设施设备'") == [
        (85.0,)]


def test_two_inspectors_on_one_item_and_day_are_two_inspections(warehouse_copy, tmp_path):
    """Refused before as 同一编号出现多次 with the advice to delete one: a real inspection."""
    path = _noid(tmp_path / "noid_two.csv", ["2025-10-20,云岭物业服务有限公司,金碧花园,设施设备,85,王五",
                                             "2025-10-20,云岭物业服务有限公司,金碧花园,设施设备,85,赵六"])
    assert load_files([path], db_path=warehouse_copy).files[0].inserted == 2


def test_inspections_that_nothing_tells_apart_are_refused_saying_why(warehouse_copy, tmp_path):
    rows = ["2025-10-20,云岭物业服务有限公司,金碧花园,设施设备,85", "2025-10-20,云岭物业服务有限公司,金碧花园,设施设备,58",
            "2025-10-20,云岭物业服务有限公司,金碧花园,设施设备,85.0"]   # 85.0 is 85
    with pytest.raises(LoadError) as error:
        load_files([_noid(tmp_path / "noid_same.csv", rows, inspector=False)], db_path=warehouse_copy)
    assert str(error.value).splitlines()[1:] == [
        "  文件 noid_same.csv 第 3 行，列「考核日期」，值 “2025-10-20 / 云岭物业服务有限公司 / 金碧花园 / 设施设备”："
        "与第 2 行是同一天、同一小区、同一考核项目的考核，得分却不同（第 2 行：85；本行：58）：文件没有考核编号和考核人，"
        "分不清是两次考核，还是同一次考核的更正。是两次考核的，请在文件中加上“考核人”或“考核编号”列后重新导入；"
        "是同一次考核的更正，请只保留更正后的一行。",
        "  文件 noid_same.csv 第 4 行，列「考核日期」，值 “2025-10-20 / 云岭物业服务有限公司 / 金碧花园 / 设施设备”："
        "与第 2 行完全相同（同一天、同一小区、同一考核项目、同一得分）：文件没有考核编号和考核人，分不清是两次考核，"
        "还是同一条记录写了两遍。是两次考核的，请在文件中加上“考核人”或“考核编号”列后重新导入；写了两遍的，请删除其中一行。"]
    rows = ["2025-10-20,云岭物业服务有限公司,金碧花园,设施设备,85,", "2025-10-20,云岭物业服务有限公司,金碧花园,设施设备,58,"]
    with pytest.raises(LoadError) as error:
        load_files([_noid(tmp_path / "noid_blank.csv", rows)], db_path=warehouse_copy)
    assert str(error.value).splitlines()[1:] == [
        "  文件 noid_blank.csv 第 3 行，列「考核日期」，值 “2025-10-20 / 云岭物业服务有限公司 / 金碧花园 / 设施设备”："
        "与第 2 行是同一天、同一小区、同一考核项目的考核，得分却不同（第 2 行：85；本行：58）：两行都没有填考核人，文件也没有考核编号，"
        "分不清是两次考核，还是同一次考核的更正。是两次考核的，请填写考核人（或在文件中加上“考核编号”列）后重新导入；"
        "是同一次考核的更正，请只保留更正后的一行。"]


def test_one_inspection_with_its_day_written_two_ways_is_refused_not_a_database_error(warehouse_copy, tmp_path):
    """2025-10-20 and 2025/10/20 are one day and so one derived id: the rows are told apart by the parsed day, not
    the cells as typed (the load stopped on DuckDB's duplicate-key error; review)."""
    rows = ["2025-10-20,云岭物业服务有限公司,金碧花园,设施设备,85,王五", "2025/10/20,云岭物业服务有限公司,金碧花园,设施设备,58,王五"]
    with pytest.raises(LoadError) as error:
        load_files([_noid(tmp_path / "noid_days.csv", rows)], db_path=warehouse_copy)
    lines = str(error.value).splitlines()
    assert len(lines) == 2 and lines[1].startswith("  文件 noid_days.csv 第 3 行，列「考核日期」，值 “2025-10-20 / 云岭物业服务有限公司"), lines
    assert "得分却不同（第 2 行：85；本行：58）" in lines[1]


def test_inspection_ids_derived_the_old_way_are_migrated_before_a_load(warehouse_copy, tmp_path, monkeypatch):
    """A warehouse loaded before: the week's export (85) and its correction (58) stored as two inspections under ids
    holding the score. The first load after the upgrade gives them the id the code derives now: the correction stays,
    the 85 becomes the version it replaced (kept for rollback), so the company's month counts 58 once; the export
    loaded again is 未变 (nothing doubled), and rolling back the correction's batch brings the 85 back."""
    import etl.load_inspections as inspections

    monkeypatch.setattr(inspections, "fallback_id_sql", lambda: inspections.OLD_FALLBACK_ID)
    load_files([_noid(tmp_path / "noid1.csv", [r.format(score=85) for r in NOID_WEEK])], db_path=warehouse_copy)
    corrected = [r.format(score=58) for r in NOID_WEEK]
    second = load_files([_noid(tmp_path / "noid2.csv", corrected)], db_path=warehouse_copy).files[0]
    assert (second.inserted, second.unchanged) == (1, 2)   # the old behaviour, for the record
    assert len(_scores(warehouse_copy)) == 4
    monkeypatch.undo()
    con = duckdb.connect(str(warehouse_copy))
    con.execute("delete from warehouse_meta where name = 'inspection_id_version'")   # as a warehouse made before it
    con.close()
    again = load_files([_noid(tmp_path / "noid2_again.csv", corrected, title="考核记录（复核）")], db_path=warehouse_copy).files[0]
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert _scores(warehouse_copy) == [("CP01", "设施设备", 58.0), ("CP02", "秩序维护", 90.0), ("CP04", "环境卫生", 77.0)]
    assert query(warehouse_copy, "select h.score, h.replaced_by_batch_id = ? from fct_inspections_hist h "
                                 "where h.compound_code = 'CP01' and h.item = '设施设备'", [second.batch_id]) == [(85.0, True)]
    assert query(warehouse_copy, "select value from warehouse_meta where name = 'inspection_id_version'") == [
        (inspections.INSPECTION_ID_VERSION,)]
    rollback(again.batch_id, db_path=warehouse_copy)
    rollback(second.batch_id, db_path=warehouse_copy)
    assert _scores(warehouse_copy) == [("CP01", "设施设备", 85.0), ("CP02", "秩序维护", 90.0), ("CP04", "环境卫生", 77.0)]


def test_a_given_inspection_id_shaped_like_a_derived_one_is_never_rewritten(warehouse_copy, tmp_path):
    """考核编号 IN2025110112345678 (IN and 16 digits) is the user's: the migration of derived ids leaves it alone, so the
    export loaded again is 未变 (review: it was rewritten to a hash, and the reload added the inspection again)."""
    path = tmp_path / "given_ids.csv"
    path.write_text("考核编号," + NOID_HEADER.format(inspector=",考核人")
                    + "IN2025110112345678,2025-10-20,云岭物业服务有限公司,金碧花园,设施设备,85,王五\n", encoding="utf-8")
    load_files([path], db_path=warehouse_copy)
    con = duckdb.connect(str(warehouse_copy))
    con.execute("delete from warehouse_meta where name = 'inspection_id_version'")   # as a warehouse made before it
    con.close()
    path.write_text("考核记录（复核）\n" + path.read_text(encoding="utf-8"), encoding="utf-8")   # not the same file
    again = load_files([path], db_path=warehouse_copy).files[0]
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    assert query(warehouse_copy, "select inspection_id from fct_inspections where item = '设施设备' "
                                 "and inspected_on = '2025-10-20'") == [("IN2025110112345678",)]
