"""``python -m etl refresh``: a warehouse made by older code or under older rules is brought up to date
without loading a file; a current one is left alone."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from etl.cli import main
from etl.load import load_files
from etl.refresh import refresh, stale_reasons
from onescreen.rules import load_rules

from conftest import FIXTURES, ROOT


def query(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_current_warehouse_is_not_stale_and_if_stale_does_nothing(warehouse_copy, capsys):
    assert stale_reasons(warehouse_copy) == []
    before = warehouse_copy.stat().st_mtime_ns
    assert main(["refresh", "--if-stale", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert warehouse_copy.stat().st_mtime_ns == before


def test_edited_rules_make_the_marts_stale_until_refreshed(warehouse_copy, tmp_path, monkeypatch, capsys):
    rules = tmp_path / "rules.toml"
    text = (ROOT / "config" / "rules.toml").read_text(encoding="utf-8")
    assert "satisfaction_rate = 97.0" in text
    rules.write_text(text.replace("satisfaction_rate = 97.0", "satisfaction_rate = 90.0", 1), encoding="utf-8")
    monkeypatch.setenv("ONESCREEN_RULES", str(rules))
    # The file in use is named: an ONESCREEN_RULES file outside the checkout, not config/rules.toml.
    assert stale_reasons(warehouse_copy) == [f"规则文件 {rules} 已修改，汇总表仍按旧规则计算"]
    assert main(["refresh", "--if-stale", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"需要重建：规则文件 {rules} 已修改" in out and "已重建汇总表" in out
    assert stale_reasons(warehouse_copy) == []
    assert query(warehouse_copy, "select rules_digest from mart_meta") == [(load_rules(rules).digest(),)]


def test_edited_default_rules_are_named_as_config_rules_toml(warehouse_copy, tmp_path, monkeypatch):
    """Without ONESCREEN_RULES the file is the checkout's config/rules.toml, named as the README names it."""
    from onescreen import settings

    config = tmp_path / "config"
    config.mkdir()
    text = (ROOT / "config" / "rules.toml").read_text(encoding="utf-8")
    (config / "rules.toml").write_text(text.replace("satisfaction_rate = 97.0", "satisfaction_rate = 90.0", 1),
                                       encoding="utf-8")
    monkeypatch.delenv("ONESCREEN_RULES", raising=False)
    monkeypatch.setattr(settings, "CONFIG_DIR", config)
    assert stale_reasons(warehouse_copy) == ["规则文件 config/rules.toml 已修改，汇总表仍按旧规则计算"]


def test_an_older_warehouse_gets_its_missing_column_and_marts(warehouse_copy):
    con = duckdb.connect(str(warehouse_copy))
    tickets = con.execute("select * exclude (due_workdays) from fct_tickets order by ticket_id").fetchall()
    con.execute("alter table fct_tickets drop column due_workdays")
    con.execute("alter table fct_tickets_hist drop column due_workdays")
    con.execute("drop table mart_derived_deadlines")
    con.close()
    reasons = stale_reasons(warehouse_copy)
    assert "表 fct_tickets 缺少列 due_workdays（程序已升级）" in reasons
    assert "缺少汇总表 mart_derived_deadlines（程序已升级）" in reasons
    refresh(warehouse_copy)
    assert stale_reasons(warehouse_copy) == []
    assert query(warehouse_copy, "select * exclude (due_workdays) from fct_tickets order by ticket_id") == tickets
    assert query(warehouse_copy, "select count(due_workdays) from fct_tickets") == [(0,)]
    # Loads (which write history rows by name) work on the upgraded warehouse.
    week1 = FIXTURES / "hotline_gbk.csv"
    changed = warehouse_copy.parent / "hotline_changed.csv"
    shutil.copyfile(week1, changed)
    changed.write_bytes(week1.read_bytes().replace("咨询医保报销".encode("gbk"), "咨询医保报销比例".encode("gbk")))
    report = load_files([changed], db_path=warehouse_copy).files[0]
    assert report.updated >= 1


def test_an_older_warehouse_gets_its_tickets_place_numbers(warehouse_copy):
    """place_hash (what 高频问题 groups by) is added and filled for every stored ticket with a place, with the
    number a load gives the same place, so the list is the same after the upgrade as after a fresh load."""
    from onescreen.queries import run_query

    def recurring():
        with duckdb.connect(str(warehouse_copy), read_only=True) as con:  # every place, all time
            return run_query(con, "recurring_problems", min_count=1, limit=1000)

    loaded = query(warehouse_copy, "select ticket_id, place_hash from fct_tickets order by ticket_id")
    assert sum(1 for _, h in loaded if h is not None) >= 5
    expected = recurring()
    assert len(expected) >= 5
    con = duckdb.connect(str(warehouse_copy))
    con.execute("alter table fct_tickets drop column place_hash")
    con.execute("alter table fct_tickets_hist drop column place_hash")
    con.close()
    assert "表 fct_tickets 缺少列 place_hash（程序已升级）" in stale_reasons(warehouse_copy)
    refresh(warehouse_copy)
    assert stale_reasons(warehouse_copy) == []
    assert query(warehouse_copy, "select ticket_id, place_hash from fct_tickets order by ticket_id") == loaded
    assert recurring().equals(expected)


def test_marts_built_by_other_sql_are_stale(warehouse_copy, monkeypatch):
    import etl.marts
    import etl.refresh  # noqa: F401  (reads etl.marts.sql_digest at call time)

    monkeypatch.setattr(etl.marts, "sql_digest", lambda: "000000000000")
    assert stale_reasons(warehouse_copy) == ["汇总表的计算程序已更新（程序已升级）"]
    refresh(warehouse_copy)
    assert query(warehouse_copy, "select sql_digest from mart_meta") == [("000000000000",)]
    assert stale_reasons(warehouse_copy) == []


def test_a_load_into_an_older_warehouse_upgrades_it_on_the_way(warehouse_copy, exports):
    con = duckdb.connect(str(warehouse_copy))
    con.execute("alter table fct_tickets drop column is_consultation")
    con.execute("alter table fct_tickets_hist drop column is_consultation")
    con.close()
    changed = warehouse_copy.parent / "hotline_changed_again.csv"
    week1 = FIXTURES / "hotline_gbk.csv"
    changed.write_bytes(week1.read_bytes().replace("路灯不亮".encode("gbk"), "路灯不亮了".encode("gbk")))
    report = load_files([changed], db_path=warehouse_copy).files[0]
    assert report.updated == 1
    assert query(warehouse_copy, "select count(*) from fct_tickets where is_consultation is null") == \
        query(warehouse_copy, "select count(*) from fct_tickets")


@pytest.mark.parametrize("change, missing", [
    ("drop table mart_ticket_values", "mart_ticket_values"),
    # (without the check, the heat page's 高频问题 query would fail with the generic incident message)
    ("alter table fct_tickets drop column place_hash", "fct_tickets.place_hash"),
])
def test_the_app_on_an_older_warehouse_says_what_is_missing_and_what_to_run(warehouse_copy, change, missing):
    """`streamlit run app.py` on a warehouse an older version made (without a mart, or a column) names what is
    missing and the command, instead of the generic incident message; after the refresh the page works."""
    from streamlit.testing.v1 import AppTest

    from onescreen import db

    con = duckdb.connect(str(warehouse_copy))
    con.execute(change)
    con.close()
    db.reset()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    shown = " ".join(e.value for e in at.error)
    assert missing in shown and "python -m etl refresh" in shown and "事件编号" in shown, shown
    assert main(["refresh", "--quiet"]) == 0
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "本期受理" in " ".join(m.value for m in at.markdown) + " ".join(link.value for link in at.get("page_link"))


# -- address areas cut by older masking code -------------------------------------------------------

VILLAGE_HEADER = "工单编号,来电时间,诉求类型,一级分类,所属街道,所属社区,诉求地址,来电人,来电号码,诉求内容,办结时间,工单状态"
VILLAGE = [  # two households of one village (马场村), one ticket again later; a phone typed into an address
    "V1,2025-10-05 09:00:00,投诉,市容环境,南宁街道,东风社区,沿江街道马场村5组17号,吴一,13812340003,垃圾堆放,,办理中",
    "V2,2025-10-06 09:00:00,投诉,市容环境,南宁街道,东风社区,沿江街道马场村3组2号,郑二,13812340004,垃圾堆放,,办理中",
    "V3,2025-10-06 10:00:00,咨询,社会保障,南宁街道,西湖社区,滨江路88号13812345678院,王五,13812340005,咨询社保,,办理中",
]
AREA_COLUMNS = "ticket_id, address_area, place_hash, row_hash"


def _village_warehouse(warehouse_copy):
    """The village tickets loaded by the code in force (V1 twice: its first version kept for rollback);
    returns their rows as loaded, stored and kept."""
    first = warehouse_copy.parent / "village.csv"
    first.write_text("\n".join([VILLAGE_HEADER, *VILLAGE]) + "\n", encoding="utf-8")
    later = warehouse_copy.parent / "village_later.csv"
    later.write_text("\n".join([VILLAGE_HEADER, VILLAGE[0].replace(",,办理中", ",2025-10-07 09:00:00,已办结")]) + "\n",
                     encoding="utf-8")
    load_files([first], db_path=warehouse_copy)
    load_files([later], db_path=warehouse_copy)
    return (query(warehouse_copy, f"select {AREA_COLUMNS} from fct_tickets where ticket_id like 'V%' order by 1"),
            query(warehouse_copy, f"select {AREA_COLUMNS} from fct_tickets_hist where ticket_id like 'V%' order by 1"))


def _as_before_the_village_cut(path):
    """The warehouse as the code before the 村民小组 cut left it: household-level areas (the whole
    address) with their place numbers and row hashes, and no record of the masking code."""
    from etl.load_tickets import place_hash_sql, row_hash_sql

    con = duckdb.connect(str(path))
    for table, personal, keys in (("fct_tickets", "ticket_pii", ["ticket_id"]),
                                  ("fct_tickets_hist", "ticket_pii_hist", ["ticket_id", "replaced_by_batch_id"])):
        match = " and ".join(f"p.{k} = {table}.{k}" for k in keys)
        con.execute(f"update {table} set address_area = p.address from {personal} p where {match} and p.address like '%村%组%'")
        columns = lambda c: f"p.{c}" if c in ("caller_name", "caller_phone", "address", "content") else f"{table}.{c}"  # noqa: E731
        con.execute(f"update {table} set place_hash = {place_hash_sql(table)}, row_hash = {row_hash_sql(columns)} "
                    f"from {personal} p where {match} and {table}.ticket_id like 'V%'")
    con.execute("drop table if exists warehouse_meta")
    con.close()


def test_areas_cut_by_older_masking_code_are_recomputed_by_refresh(warehouse_copy, monkeypatch, capsys):
    import etl.address_areas

    loaded, kept = _village_warehouse(warehouse_copy)
    assert [row[1] for row in loaded] == ["沿江街道马场村", "沿江街道马场村", "滨江路88号138****5678院"]
    assert loaded[0][2] == loaded[1][2]  # one place for 高频问题: the village
    _as_before_the_village_cut(warehouse_copy)
    old = query(warehouse_copy, f"select {AREA_COLUMNS} from fct_tickets where ticket_id like 'V%' order by 1")
    assert [row[1] for row in old] == ["沿江街道马场村5组17号", "沿江街道马场村3组2号", "滨江路88号138****5678院"]
    assert old[0][2] != old[1][2]  # two households, two places
    assert "工单的地址区域（address_area）是按旧的地址脱敏规则截取的（程序已升级）" in stale_reasons(warehouse_copy)

    masked = []
    real = etl.address_areas.mask_address
    monkeypatch.setattr(etl.address_areas, "mask_address", lambda value: masked.append(value) or real(value))
    assert main(["refresh", "--if-stale", "--quiet"]) == 0
    assert "已重建汇总表" in capsys.readouterr().out
    # Exactly what a load by the code in force stores, in the tickets and in the versions kept for rollback.
    assert query(warehouse_copy, f"select {AREA_COLUMNS} from fct_tickets where ticket_id like 'V%' order by 1") == loaded
    assert query(warehouse_copy, f"select {AREA_COLUMNS} from fct_tickets_hist where ticket_id like 'V%' order by 1") == kept
    # Each distinct address masked once, however many tickets and kept versions have it.
    distinct = query(warehouse_copy, "select count(*) from (select address from ticket_pii where address is not null "
                                     "union select address from ticket_pii_hist where address is not null)")[0][0]
    assert len(masked) == len(set(masked)) == distinct
    assert stale_reasons(warehouse_copy) == []
    before = warehouse_copy.stat().st_mtime_ns
    assert main(["refresh", "--if-stale", "--quiet"]) == 0  # now current: left alone
    assert warehouse_copy.stat().st_mtime_ns == before


NAMED = [
    "N1,2025-10-05 09:00:00,投诉,市容环境,南宁街道,东风社区,欧阳测试家，翠湖区翠湖街道幸福路8号,欧阳测试,13812340006,噪音,,办理中",
    "N2,2025-10-05 10:00:00,投诉,市容环境,南宁街道,东风社区,翠湖区翠湖街道幸福路8号 联系人欧阳测试13987654321,欧阳测试,"
    "13812340006,噪音,,办理中",
    "N3,2025-10-05 11:00:00,投诉,市容环境,南宁街道,东风社区,欧阳测试家，翠湖区翠湖街道幸福路8号,张三,13812340007,噪音,,办理中",
]


def test_an_address_holding_its_callers_name_is_stored_masked_and_refresh_masks_older_areas(warehouse_copy, capsys):
    """address_area is in fct_tickets (leaders' screens, snapshots, masked downloads): the caller's name in
    the address is masked in it, as in the content. A warehouse whose areas were cut without the name
    (the code before) gets them masked by ``etl refresh``, with their place numbers and row hashes."""
    from etl.load_tickets import place_hash_sql, row_hash_sql

    path = warehouse_copy.parent / "named.csv"
    path.write_text("\n".join([VILLAGE_HEADER, *NAMED]) + "\n", encoding="utf-8")
    load_files([path], db_path=warehouse_copy)
    loaded = query(warehouse_copy, f"select {AREA_COLUMNS} from fct_tickets where ticket_id like 'N%' order by 1")
    assert [row[1] for row in loaded] == ["欧***家，翠湖区翠湖街道幸福路8号", "翠湖区翠湖街道幸福路8号 联系人欧***139****4321",
                                          "欧阳测试家，翠湖区翠湖街道幸福路8号"]   # another caller's ticket: not a name it knows
    con = duckdb.connect(str(warehouse_copy))
    con.execute("update fct_tickets set address_area = replace(address_area, '欧***', '欧阳测试') where ticket_id like 'N%'")
    columns = lambda c: f"p.{c}" if c in ("caller_name", "caller_phone", "address", "content") else f"fct_tickets.{c}"  # noqa: E731
    con.execute(f"update fct_tickets set place_hash = {place_hash_sql('fct_tickets')}, row_hash = {row_hash_sql(columns)} "
                "from ticket_pii p where p.ticket_id = fct_tickets.ticket_id and fct_tickets.ticket_id like 'N%'")
    con.execute("drop table if exists warehouse_meta")
    con.close()
    assert query(warehouse_copy, "select count(*) from fct_tickets where address_area like '%欧阳测试%'") == [(3,)]
    assert main(["refresh", "--if-stale", "--quiet"]) == 0
    assert query(warehouse_copy, f"select {AREA_COLUMNS} from fct_tickets where ticket_id like 'N%' order by 1") == loaded


def test_a_failed_area_refresh_leaves_the_warehouse_as_it_was(warehouse_copy, monkeypatch):
    """A refresh that fails after the areas were recomputed (here: in the marts) publishes nothing."""
    import etl.load
    from etl.errors import LoadError

    _village_warehouse(warehouse_copy)
    _as_before_the_village_cut(warehouse_copy)
    before = warehouse_copy.read_bytes()
    seen = []

    def failing_finish(con, progress, action):
        seen.append(con.execute("select address_area from fct_tickets where ticket_id = 'V1'").fetchall())
        raise LoadError(f"错误：汇总表生成失败。{action}。")

    monkeypatch.setattr(etl.load, "finish", failing_finish)
    with pytest.raises(LoadError):
        refresh(warehouse_copy)
    assert seen == [[("沿江街道马场村",)]]   # the failure came after the areas were recomputed ...
    assert warehouse_copy.read_bytes() == before   # ... and none of it was published
    assert not list(warehouse_copy.parent.glob("*.staging*"))
    assert "工单的地址区域（address_area）是按旧的地址脱敏规则截取的（程序已升级）" in stale_reasons(warehouse_copy)


def test_the_masking_code_digest_ignores_comments_and_docstrings_but_not_code(tmp_path, monkeypatch):
    """Recomputing every stored address area takes a minute at 5M tickets: an edit that changes no
    behaviour (a comment, a docstring, blank lines) must not mark them stale; any code change must."""
    import etl.refresh

    source = tmp_path / "masking.py"
    monkeypatch.setattr(etl.refresh, "AREA_CODE", [source])
    original = '"""Module."""\nimport re\n\n\ndef cut(text):\n    """Cut."""\n    return re.sub("楼", "", text)\n'
    digests = {}
    for name, text in {
        "original": original,
        "comment": original.replace("import re\n", "import re  # the cut\n\n# more words\n"),
        "docstrings": original.replace('"""Module."""', '"""Another module text."""').replace('"""Cut."""', '"""Cut it."""'),
        "code": original.replace('"楼"', '"层"'),
        "no docstring, code": original.replace('    """Cut."""\n', "    text = text.strip()\n"),
    }.items():
        source.write_text(text, encoding="utf-8")
        digests[name] = etl.refresh.area_code_digest()
    assert digests["comment"] == digests["docstrings"] == digests["original"]
    assert len({digests["original"], digests["code"], digests["no docstring, code"]}) == 3


def test_an_edited_calendar_file_makes_the_marts_stale_until_refreshed(warehouse_copy, tmp_path, monkeypatch, capsys):
    """The State Council's schedule added to config/calendar_overrides.csv changes deadlines: the next
    `make run` (refresh --if-stale) rebuilds the calendar and the marts, as for an edited rules file."""
    import onescreen.settings

    day = query(warehouse_copy, "select min(calendar_date) from dim_calendar where is_workday and calendar_date > "
                                "(select min(calendar_date) from dim_calendar) + 30")[0][0]
    overrides = tmp_path / "calendar_overrides.csv"
    overrides.write_text(f"calendar_date,is_workday,holiday_name\n{day},0,调休放假\n", encoding="utf-8")
    monkeypatch.setattr(onescreen.settings, "calendar_overrides_path", lambda: overrides)
    assert stale_reasons(warehouse_copy) == [
        "工作日历有变化（config/calendar_overrides.csv 或节假日数据已更新），办理时限和超期仍按旧日历计算"]
    assert main(["refresh", "--if-stale", "--quiet"]) == 0
    assert "已重建汇总表" in capsys.readouterr().out
    assert stale_reasons(warehouse_copy) == []
    assert query(warehouse_copy, f"select is_workday, holiday_name, calendar_source from dim_calendar "
                                 f"where calendar_date = '{day}'") == [(False, "调休放假", "override")]


def test_pages_on_marts_built_before_a_rule_existed_show_what_they_counted(warehouse_copy):
    """Marts built before property.appeal_types lack it in mart_meta.rules_json: the pages read those rules
    for 口径 and 现行规则 and failed with RulesError; they show 全部 (what such marts counted) until refreshed."""
    from streamlit.testing.v1 import AppTest

    from onescreen import db
    from onescreen.rules import rules_of_marts

    con = duckdb.connect(str(warehouse_copy))
    con.execute("update mart_meta set rules_json = json_merge_patch(rules_json, '{\"property\": {\"appeal_types\": null}}')")
    stored = con.execute("select rules_json from mart_meta").fetchall()[0][0]
    con.close()
    assert "appeal_types" not in stored
    assert rules_of_marts(stored).in_force_by_key()["property.appeal_types"] == ("物业投诉计入的诉求类型", "全部")
    db.reset()
    for page in (None, "app_pages/companies.py", "app_pages/weekly.py"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        if page:
            at.switch_page(page)
        at.run()
        assert not at.exception and not at.error, (page, at.exception, [e.value for e in at.error])
    assert any("物业投诉计入的诉求类型 全部" in str(e.value) for e in [*at.markdown, *at.caption]), "weekly 口径"


def test_if_stale_migrates_inspection_ids_derived_the_old_way(warehouse_copy, tmp_path, monkeypatch, capsys):
    """A warehouse whose inspections without 考核编号 got their ids the old way (holding the score): before,
    ``refresh --if-stale`` called it current and left them, so the next reload of the export added them again."""
    import etl.load_inspections as inspections

    path = tmp_path / "noid.csv"
    path.write_text("考核日期,物业企业,小区名称,考核项目,得分\n2025-10-20,云岭物业服务有限公司,金碧花园,设施设备,85\n",
                    encoding="utf-8")
    monkeypatch.setattr(inspections, "fallback_id_sql", lambda: inspections.OLD_FALLBACK_ID)
    load_files([path], db_path=warehouse_copy)
    monkeypatch.undo()
    monkeypatch.setenv("ONESCREEN_DB", str(warehouse_copy))
    con = duckdb.connect(str(warehouse_copy))
    con.execute("delete from warehouse_meta where name = 'inspection_id_version'")   # as a warehouse made before it
    con.close()
    old_ids = query(warehouse_copy, "select inspection_id from fct_inspections where item = '设施设备' "
                                    "and inspected_on = '2025-10-20'")
    assert stale_reasons(warehouse_copy) == [
        "没有考核编号的物业考核记录的编号是按旧的规则生成的（程序已升级），重新导入同一导出会重复计入"]
    assert main(["refresh", "--if-stale", "--quiet"]) == 0
    assert "已重建汇总表" in capsys.readouterr().out
    assert stale_reasons(warehouse_copy) == []
    assert query(warehouse_copy, "select inspection_id from fct_inspections where item = '设施设备' "
                                 "and inspected_on = '2025-10-20'") != old_ids
    path.write_text("考核记录（复核）\n" + path.read_text(encoding="utf-8"), encoding="utf-8")   # not the same file
    assert load_files([path], db_path=warehouse_copy).files[0].unchanged == 1


def test_a_warehouse_without_derived_inspection_ids_is_not_stale_for_want_of_their_version(warehouse_copy):
    con = duckdb.connect(str(warehouse_copy))
    con.execute("delete from warehouse_meta where name = 'inspection_id_version'")
    con.close()
    assert stale_reasons(warehouse_copy) == []
