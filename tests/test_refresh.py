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
    assert stale_reasons(warehouse_copy) == ["config/rules.toml 已修改，汇总表仍按旧规则计算"]
    assert main(["refresh", "--if-stale", "--quiet"]) == 0
    assert "已重建汇总表" in capsys.readouterr().out
    assert stale_reasons(warehouse_copy) == []
    assert query(warehouse_copy, "select rules_digest from mart_meta") == [(load_rules(rules).digest(),)]


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
