"""Codes of places written otherwise in one file than in another: with spaces (XH 02), in lower case (xh-02) or in
full-width characters (ＸＨ－０２, typed in a Chinese IME) they are the same grid, compound, community or street
(code_key in etl/sql/macros.sql). On the fixture district (grids DF-01, DF-02, XH-01, XH-02; compounds CP01-CP04)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from etl.load import load_files

from test_load import query

TICKETS = "工单编号,来电时间,诉求类型,一级分类,网格编号\n"


def _tickets(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text(TICKETS + "".join(f"{t},2025-10-17 18:00:00,求助,市容环境,\"{grid}\"\n" for t, grid in rows),
                    encoding="utf-8")
    return path


def test_a_tickets_grid_code_with_spaces_lower_case_or_full_width_is_the_grid(warehouse_copy, tmp_path):
    path = _tickets(tmp_path / "hotline_codes.csv", [
        ("NC1", "XH-02"), ("NC2", "XH -02"), ("NC3", " xh-02 "), ("NC4", "ＸＨ－０２"), ("NC5", "ｘｈ　－０２"),
        ("NC6", "西湖 二网格"), ("NC7", "XH-99")])
    report = load_files([path], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.rejected) == (7, 0)
    assert query(warehouse_copy, "select ticket_id, grid_code, community_name, placed_by from fct_tickets "
                                 "where ticket_id like 'NC_' order by 1") == [
        *[(f"NC{n}", "XH-02", "西湖社区", "grid_code") for n in range(1, 7)], ("NC7", None, None, "none")]
    assert any("XH-99（1 条）" in w for w in report.warnings)


def test_grid_definitions_written_in_full_width_are_stored_as_the_code_tickets_give(warehouse_copy, tmp_path):
    grids = tmp_path / "grids_full_width.csv"
    grids.write_text("网格编号,网格名称,所属社区,所属街道\n"
                     "ｄｆ－０３,东风三网格,东风社区,南宁街道\n"
                     "\"DF -04\",东风四网格,东风社区,南宁街道\n", encoding="utf-8")
    assert load_files([grids], db_path=warehouse_copy).files[0].inserted == 2
    assert query(warehouse_copy, "select grid_code from dim_grids where grid_name in ('东风三网格', '东风四网格') "
                                 "order by 1") == [("DF-03",), ("DF-04",)]
    load_files([_tickets(tmp_path / "hotline_df.csv", [("ND1", "DF-03"), ("ND2", "df -04")])], db_path=warehouse_copy)
    assert query(warehouse_copy, "select ticket_id, grid_code from fct_tickets where ticket_id like 'ND_' order by 1") == [
        ("ND1", "DF-03"), ("ND2", "DF-04")]


def test_a_code_stored_in_another_form_is_matched_and_kept(warehouse_copy, tmp_path):
    """A grid stored as wg-09 (loaded by an older version, which kept codes as written): tickets giving WG-09 find it,
    and a grid file giving ＷＧ－０９ updates it rather than adding a second grid."""
    con = duckdb.connect(str(warehouse_copy))
    con.execute("insert into dim_grids (grid_code, grid_name, community_code, community_name, street_code, street_name) "
                "select 'wg-09', '旧网格', community_code, community_name, street_code, street_name "
                "from dim_grids where grid_code = 'DF-01'")
    con.close()
    load_files([_tickets(tmp_path / "hotline_wg.csv", [("NW1", "WG-09"), ("NW2", "wg －09")])], db_path=warehouse_copy)
    assert query(warehouse_copy, "select ticket_id, grid_code, placed_by from fct_tickets where ticket_id like 'NW_' "
                                 "order by 1") == [("NW1", "wg-09", "grid_code"), ("NW2", "wg-09", "grid_code")]
    grids = tmp_path / "grids_wg.csv"
    grids.write_text("网格编号,网格名称,所属社区,所属街道\nＷＧ－０９,新网格,东风社区,南宁街道\n", encoding="utf-8")
    report = load_files([grids], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.updated) == (0, 1)
    assert query(warehouse_copy, "select grid_code, grid_name from dim_grids where grid_code ilike 'wg%'") == [
        ("wg-09", "新网格")]


def test_a_compounds_grid_and_an_inspections_compound_code_written_otherwise_are_matched(warehouse_copy, tmp_path):
    compounds = tmp_path / "compounds_codes.csv"
    compounds.write_text("小区编号,小区名称,所属网格,物业企业,户数\n"
                         "ｃｐ１１,新苑,ｄｆ－01 ,云岭物业服务有限公司,100\n", encoding="utf-8")
    assert load_files([compounds], db_path=warehouse_copy).files[0].inserted == 1
    assert query(warehouse_copy, "select compound_code, grid_code, community_code from dim_compounds "
                                 "where compound_name = '新苑'") == [("CP11", "DF-01", "530302001001")]
    inspections = tmp_path / "inspections_codes.csv"
    inspections.write_text("考核编号,考核日期,物业企业,小区名称,小区编号,得分\n"
                           "KC1,2025-10-10,云岭物业服务有限公司,金碧花园（东门）,cp 01,90\n", encoding="utf-8")
    assert load_files([inspections], db_path=warehouse_copy).files[0].inserted == 1
    assert query(warehouse_copy, "select compound_code from fct_inspections where inspection_id = 'KC1'") == [("CP01",)]


# -- zero-width characters pasted from web pages and WeChat ---------------------------------------------------------

def test_a_ticket_number_with_a_zero_width_character_is_the_same_ticket(warehouse_copy, tmp_path):
    """ZW1 then ZW1 + U+200B (and the others) in next week's export: before, each was a second ticket."""
    first = _tickets(tmp_path / "hotline_zw1.csv", [("ZW1", "XH-02"), ("ZW2", "XH-02"), ("ZW3", "XH-02")])
    assert load_files([first], db_path=warehouse_copy).files[0].inserted == 3
    second = tmp_path / "hotline_zw2.csv"
    second.write_text("\u200b工单编号\u200b,来电时间,诉求类型,一级分类,网格编号\n"
                      "ZW1\u200b,2025-10-17 18:00:00,求助,市容环境,XH-02\n"
                      "\ufeffZW2\u2060,2025-10-17 18:00:00,求助,市容环境,XH-02\u200d\n"
                      "\u200cZW3,2025-10-17 18:00:00,咨询,市容环境,\u200bXH-02\n", encoding="utf-8")
    report = load_files([second], db_path=warehouse_copy).files[0]
    assert (report.inserted, report.unchanged, report.updated) == (0, 2, 1)
    assert query(warehouse_copy, "select ticket_id, grid_code from fct_tickets where ticket_id like '%ZW%' order by 1") == [
        ("ZW1", "XH-02"), ("ZW2", "XH-02"), ("ZW3", "XH-02")]


def test_the_xlsx_readers_trim_zero_width_characters_as_the_cell_macros_do():
    from etl.readers import _cell_text, _column_texts

    assert _cell_text("\u200bK1\ufeff") == "K1"
    assert _column_texts(["\u2060K2\u200c", "\u200d", " K3 "]) == ["K2", None, "K3"]
