"""A grid or compound file from a slimmer template (a roster of grid workers without 户数 or codes, a list of
compounds and their property companies only): the grids and compounds already stored keep their codes and the
values of the columns the file lacks, instead of being emptied or forked into a second street, community or
compound of the same name; the load says what was kept, and an undo restores exactly."""

from __future__ import annotations

import pytest

from etl.errors import LoadError
from etl.load import load_files, rollback

from test_load import query, snapshot

GRIDS = "select grid_code, grid_name, community_code, street_code, grid_type, households, population, red_households, " \
        "worker_name, geometry_geojson is not null from dim_grids order by 1"


def test_a_grid_roster_without_codes_or_households_keeps_the_stored_ones(warehouse_copy, tmp_path):
    before = snapshot(warehouse_copy)
    stored = query(warehouse_copy, GRIDS)
    roster = tmp_path / "网格员通讯录.csv"
    roster.write_text("网格员通讯录\n网格编号,网格名称,网格员,所属社区,所属街道\n"
                      "DF-01,东风一网格,王芳,东风社区,南宁街道\nDF-02,东风二网格,赵磊,东风社区,南宁街道\n", encoding="utf-8")
    item = load_files([roster]).files[0]
    assert (item.inserted, item.updated) == (0, 1)  # DF-02 is as it was
    assert query(warehouse_copy, GRIDS) == [(*stored[0][:8], "王芳", True), *stored[1:]]
    assert query(warehouse_copy, "select count(*) from dim_streets") == [(1,)]
    assert query(warehouse_copy, "select count(*) from dim_communities") == [(2,)]
    assert ("文件没有 网格类型、户数、人口、红色户、黄色户、绿色户 列：其中 2 个已导入过的网格，这些值保持库中原有的值，未被清空；"
            "新网格的这些值为空。若要清空某一项，请导入带有该列、该格留空的文件。") in item.warnings
    rollback(item.batch_id)
    assert snapshot(warehouse_copy) == before


def test_a_new_grid_of_a_known_community_without_codes_joins_it(warehouse_copy, tmp_path):
    grids = tmp_path / "new_grid.csv"
    grids.write_text("网格编号,所属社区,所属街道,户数\nDF-03,东风社区,南宁街道,200\n", encoding="utf-8")
    item = load_files([grids]).files[0]
    assert item.inserted == 1 and not [w for w in item.warnings if w.startswith("文件没有")]
    assert query(warehouse_copy, "select community_code, street_code, households from dim_grids where grid_code = 'DF-03'") == [
        ("530302001001", "530302001", 200)]


COMPOUNDS = "select compound_code, compound_name, grid_code, community_code, street_code, company_id, households, address " \
            "from dim_compounds order by 1"


def test_a_compound_list_without_code_grid_or_households_updates_the_stored_compound(warehouse_copy, tmp_path):
    before = snapshot(warehouse_copy)
    stored = query(warehouse_copy, COMPOUNDS)
    companies = tmp_path / "小区物业对照.csv"
    companies.write_text("小区名称,物业企业\n金碧花园,安居物业有限公司\n", encoding="utf-8")
    item = load_files([companies]).files[0]
    assert (item.inserted, item.updated) == (0, 1)
    company = query(warehouse_copy, "select company_id from dim_companies where company_name = '安居物业有限公司'")[0][0]
    assert query(warehouse_copy, COMPOUNDS) == [(*stored[0][:5], company, *stored[0][6:]), *stored[1:]]
    assert ("文件没有 网格编号、户数、小区地址 列：其中 1 个已导入过的小区，这些值保持库中原有的值，未被清空；"
            "新小区的这些值为空。若要清空某一项，请导入带有该列、该格留空的文件。") in item.warnings
    rollback(item.batch_id)
    assert snapshot(warehouse_copy) == before


def _second_jinbi(warehouse_copy, tmp_path, community: str, grid: str) -> None:
    """A second 金碧花园 (CP05) besides the fixture's CP01 in 东风社区, loaded with its code."""
    second = tmp_path / "second.csv"
    second.write_text(f"小区编号,小区名称,所属网格,所属社区,物业企业,户数\nCP05,金碧花园,{grid},{community},安居物业有限公司,90\n",
                      encoding="utf-8")
    assert load_files([second]).files[0].inserted == 1


def test_a_compound_list_without_codes_finds_a_shared_name_in_the_rows_community(warehouse_copy, tmp_path):
    """Two stored 金碧花园 in two communities: a row naming 西湖社区 (or a grid of it) is that community's one,
    not a third 金碧花园 with a code made from the name."""
    _second_jinbi(warehouse_copy, tmp_path, "西湖社区", "XH-01")
    stored = query(warehouse_copy, COMPOUNDS)
    companies = tmp_path / "小区物业对照.csv"
    companies.write_text("小区名称,所属社区,物业企业\n金碧花园,西湖社区,金马物业管理有限公司\n", encoding="utf-8")
    item = load_files([companies]).files[0]
    assert (item.inserted, item.updated) == (0, 1)
    company = query(warehouse_copy, "select company_id from dim_companies where company_name = '金马物业管理有限公司'")[0][0]
    assert query(warehouse_copy, COMPOUNDS) == [(*row[:5], company, *row[6:]) if row[0] == "CP05" else row for row in stored]
    by_grid = tmp_path / "by_grid.csv"
    by_grid.write_text("小区名称,所属网格,物业企业,户数\n金碧花园,DF-01,云岭物业服务有限公司,270\n", encoding="utf-8")
    assert load_files([by_grid]).files[0].inserted == 0
    assert query(warehouse_copy, "select compound_code, households from dim_compounds where compound_name = '金碧花园' "
                                 "order by 1") == [("CP01", 270), ("CP05", 90)]


@pytest.mark.parametrize(("community", "grid", "row", "why"), [
    ("西湖社区", "XH-01", "金碧花园,,金马物业管理有限公司", "本行没有可识别的所属社区或网格"),
    ("东风社区", "DF-02", "金碧花园,东风社区,金马物业管理有限公司", "本行所属的东风社区有 2 个"),
    ("东风社区", "DF-02", "金碧花园,西湖社区,金马物业管理有限公司", "本行所属的西湖社区一个也没有"),
])
def test_a_compound_list_without_codes_refuses_a_name_it_cannot_tell_apart(warehouse_copy, tmp_path, community, grid,
                                                                           row, why):
    """Two stored 金碧花园 and a row that names no community, or the community both are in: the load is refused,
    naming file, row and column and asking for the 小区编号 column; the warehouse stays as it was."""
    _second_jinbi(warehouse_copy, tmp_path, community, grid)
    before = snapshot(warehouse_copy)
    companies = tmp_path / "小区物业对照.csv"
    companies.write_text(f"小区名称,所属社区,物业企业\n翠湖小区,东风社区,安居物业有限公司\n{row}\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([companies])
    assert str(err.value).splitlines() == [
        "错误：文件 小区物业对照.csv 有 1 处问题，本次导入未写入任何数据。请按下列提示修正后重新导入，或加 --skip-bad-rows 只导入没有问题的行：",
        f"  文件 小区物业对照.csv 第 3 行，列「小区名称」，值 “金碧花园”：库中有 2 个名为“金碧花园”的小区：CP01（东风社区）、"
        f"CP05（{community}），{why}，无法确定是哪一个。请在文件中加上“小区编号”列（也可写作“小区编码”），填写各小区的编号后重新导入。",
    ]
    assert snapshot(warehouse_copy) == before


def test_an_empty_compound_code_of_a_shared_name_asks_for_the_code(warehouse_copy, tmp_path):
    _second_jinbi(warehouse_copy, tmp_path, "西湖社区", "XH-01")
    companies = tmp_path / "codes.csv"
    companies.write_text("小区编号,小区名称,物业企业\n,金碧花园,金马物业管理有限公司\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([companies])
    assert str(err.value).splitlines()[1].endswith("无法确定是哪一个。请在该行的小区编号格中填写其中一个编号后重新导入。")


@pytest.mark.parametrize(("header", "row", "fix"), [
    ("小区名称,所属社区,物业企业", "金碧花园,西湖社区,金马物业管理有限公司",
     "请在文件中加上“小区编号”列（也可写作“小区编码”），填写编号后重新导入："),
    ("小区编号,小区名称,所属网格,物业企业", ",金碧花园,XH-01,金马物业管理有限公司", "请在该行的小区编号格中填写编号后重新导入："),
])
def test_a_compound_list_row_naming_another_community_than_the_one_stored_compound_is_refused(
        warehouse_copy, tmp_path, header, row, fix):
    """The one stored 金碧花园 (CP01) is in 东风社区; a row without a code names 西湖社区 (or a grid of it). It may be a
    second 金碧花园, so it no longer moves CP01 to 西湖社区: the load is refused, naming file, row and column and asking
    for the code (CP01 if it is the same one); the warehouse stays as it was."""
    before = snapshot(warehouse_copy)
    companies = tmp_path / "小区物业对照.csv"
    companies.write_text(f"{header}\n{row}\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([companies])
    assert str(err.value).splitlines()[1] == (
        "  文件 小区物业对照.csv 第 2 行，列「小区名称」，值 “金碧花园”：库中有 1 个名为“金碧花园”的小区：CP01（东风社区），"
        "本行所属的是西湖社区，无法确定是同一个小区改属西湖社区，还是西湖社区另有一个同名小区。"
        f"{fix}是同一个小区就填它的编号，是另一个同名小区就填这个小区自己的新编号。")
    assert snapshot(warehouse_copy) == before


def test_a_compound_list_row_with_the_stored_code_moves_the_compound_and_a_new_code_adds_one(warehouse_copy, tmp_path):
    """What the refusal above asks for works: CP01 with 西湖社区's grid moves CP01 there; a new code is a second 金碧花园,
    and a row naming no community (or CP01's own) still finds CP01 by name."""
    moved = tmp_path / "moved.csv"
    moved.write_text("小区编号,小区名称,所属网格,物业企业\nCP01,金碧花园,XH-01,安居物业有限公司\n", encoding="utf-8")
    assert load_files([moved]).files[0].updated == 1
    assert query(warehouse_copy, "select community_name from dim_compounds join dim_communities using (community_code) "
                                 "where compound_code = 'CP01'") == [("西湖社区",)]
    second = tmp_path / "second.csv"
    second.write_text("小区编号,小区名称,所属网格,物业企业\nCP05,金碧花园,DF-01,安居物业有限公司\n", encoding="utf-8")
    assert load_files([second]).files[0].inserted == 1
    by_name = tmp_path / "by_name.csv"
    by_name.write_text("小区名称,所属社区,物业企业,户数\n金碧花园,西湖社区,金马物业管理有限公司,321\n", encoding="utf-8")
    assert load_files([by_name]).files[0].inserted == 0
    assert query(warehouse_copy, "select compound_code, households from dim_compounds where compound_name = '金碧花园' "
                                 "order by 1")[0] == ("CP01", 321)


@pytest.mark.parametrize(("header", "rows", "why"), [
    ("小区编号,小区名称,所属社区,物业企业", ",新华小区,东风社区,安居物业有限公司\n,新华小区,西湖社区,金马物业管理有限公司",
     "与第 2 行同名，所属社区却不同（第 2 行：东风社区；本行：西湖社区），是两个同名小区，没有小区编号无法区分。"
     "请在这两行的小区编号格中分别填写各自的编号后重新导入。"),
    ("小区名称,所属社区,物业企业", "新华小区,东风社区,安居物业有限公司\n新华小区,西湖社区,金马物业管理有限公司",
     "与第 2 行同名，所属社区却不同（第 2 行：东风社区；本行：西湖社区），是两个同名小区，没有小区编号无法区分。"
     "请在文件中加上“小区编号”列（也可写作“小区编码”），为两个小区分别填写编号后重新导入。"),
    ("小区名称,所属网格,物业企业", "新华小区,DF-01,安居物业有限公司\n新华小区,DF-02,金马物业管理有限公司",
     "与第 2 行同名（都在东风社区）：是同一个小区写了两遍的，请删除其中一行；是两个同名小区的，"
     "请在文件中加上“小区编号”列（也可写作“小区编码”），为两个小区分别填写编号后重新导入。"),
])
def test_two_rows_of_one_name_without_codes_are_refused_saying_whether_they_are_one_compound(
        warehouse_copy, tmp_path, header, rows, why):
    """Two rows without a code naming 新华小区 (stored nowhere): in two communities they are two compounds only codes
    tell apart (with empty code cells the load stopped on DuckDB's primary-key error; without the column the message
    spoke of 同一编号 and of exports of different times); in one community most likely one written twice. Either way
    file, row and column are named and the warehouse stays as it was; --skip-bad-rows loads the first row."""
    before = snapshot(warehouse_copy)
    compounds = tmp_path / "小区.csv"
    compounds.write_text(f"{header}\n{rows}\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_files([compounds])
    assert str(err.value).splitlines()[1] == f"  文件 小区.csv 第 3 行，列「小区名称」，值 “新华小区”：{why}"
    assert snapshot(warehouse_copy) == before
    item = load_files([compounds], skip_bad_rows=True).files[0]
    assert item.inserted == 1
    assert query(warehouse_copy, "select count(*) from dim_compounds where compound_name = '新华小区'") == [(1,)]
