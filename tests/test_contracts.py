"""Data contracts: unique non-null keys, accepted values and references, each failure naming the table,
the column and the offending values; ``python -m etl check``; a load that would break one is refused."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from etl import contracts
from etl.cli import main
from etl.errors import LoadError
from etl.load import load_files

from conftest import FIXTURES


def tamper(path, *statements: str) -> None:
    con = duckdb.connect(str(path))
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()


def failures(path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return contracts.run(con)
    finally:
        con.close()


def test_fixture_district_meets_every_contract(fixture_warehouse):
    assert failures(fixture_warehouse) == []


def test_every_contract_names_existing_tables_and_columns(fixture_warehouse):
    """A contract on a column that does not exist would fail every load: keep them in step with the schema."""
    con = duckdb.connect(str(fixture_warehouse), read_only=True)
    try:
        columns = set(con.execute("select table_name, column_name from information_schema.columns").fetchall())
    finally:
        con.close()
    named = [(t, c) for t, key in contracts.UNIQUE_KEYS.items() for c in key]
    named += [(t, c) for t, c, _ in contracts.ACCEPTED_VALUES]
    named += [pair for t, c, p, pc in contracts.REFERENCES for pair in ((t, c), (p, pc))]
    assert [pair for pair in named if pair not in columns] == []


def test_broken_reference_names_table_column_and_value(warehouse_copy):
    tamper(warehouse_copy, "update fct_tickets set grid_code = 'ZZ-09' where ticket_id = '2025100100003'",
           "update fct_tickets set grid_code = 'AA-01' where ticket_id = 'SJ20251001001'")
    assert failures(warehouse_copy) == ["表 fct_tickets 的列 grid_code 引用了 dim_grids 中不存在的值：AA-01、ZZ-09。"]


def test_value_not_accepted_lists_the_allowed_ones(warehouse_copy):
    tamper(warehouse_copy, "update fct_tickets set satisfaction = '很好' where ticket_id = '2025100100002'",
           "update fct_tickets set placed_by = 'guess' where ticket_id = '2025100100004'")
    assert failures(warehouse_copy) == [
        "表 fct_tickets 的列 satisfaction 有不允许的取值：很好（允许：满意、基本满意、不满意）。",
        "表 fct_tickets 的列 placed_by 有不允许的取值：guess（允许：grid_code、coordinates、address、community、street、none）。",
    ]


def test_orphan_personal_row_is_reported(warehouse_copy):
    tamper(warehouse_copy, "insert into ticket_pii values ('X404', '某某', '13800000000', null, null, 99)")
    assert failures(warehouse_copy) == ["表 ticket_pii 的列 ticket_id 引用了 fct_tickets 中不存在的值：X404。"]


def test_null_and_duplicate_keys_are_reported():
    # Tables without primary keys, as a mart or a hand-made table may be.
    con = duckdb.connect()
    con.execute("create table dim_streets (street_code varchar, street_name varchar)")
    con.execute("insert into dim_streets values ('S2', '乙'), ('S1', '甲'), ('S1', '甲'), ('S2', '乙'), (null, '丙')")
    con.execute("create table mart_rates (period_type varchar, period_start date, level varchar, unit_code varchar)")
    con.execute("insert into mart_rates values ('month', '2025-10-01', 'grid', 'DF-01'), ('month', '2025-10-01', 'grid', 'DF-01'), "
                "('year', '2025-01-01', 'grid', 'DF-01')")
    assert contracts.run(con) == [
        "表 dim_streets 的键 street_code 有 1 行为空。",
        "表 dim_streets 的键 street_code 有重复值：S1、S2。",
        "表 mart_rates 的键 period_type, period_start, level, unit_code 有重复值：month/2025-10-01/grid/DF-01。",
        "表 mart_rates 的列 period_type 有不允许的取值：year（允许：day、week、month）。",
    ]
    con.close()



def test_keys_the_warehouse_enforces_are_not_read_again(fixture_warehouse):
    """A declared primary key cannot hold a duplicate or a null (DuckDB refuses the write), so the contracts do
    not scan it again (every ticket number twice per load); the marts' keys, which no constraint guards, are read."""
    con = duckdb.connect(str(fixture_warehouse), read_only=True)
    read: list[str] = []

    class Recording:
        def execute(self, sql, *args):
            read.append(sql)
            return con.execute(sql, *args)

    try:
        declared = con.execute("select table_name, constraint_column_names from duckdb_constraints() "
                               "where constraint_type = 'PRIMARY KEY'").fetchall()
        assert ("fct_tickets", ["ticket_id"]) in declared and ("ticket_pii", ["ticket_id"]) in declared
        assert contracts.run(Recording()) == []
    finally:
        con.close()
    grouped = [sql for sql in read if "having count(*) > 1" in sql]
    assert not [sql for sql in grouped if " from fct_tickets " in sql or " from ticket_pii " in sql]
    assert [sql for sql in grouped if " from mart_rates " in sql]

def test_check_command_fails_naming_the_breach(warehouse_copy, capsys):
    tamper(warehouse_copy, "update dim_compounds set company_id = 'CO-GONE' where compound_code = 'CP04'")
    assert main(["check"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "错误：数据约定检查未通过：\n"
        "  表 dim_compounds 的列 company_id 引用了 dim_companies 中不存在的值：CO-GONE。\n"
    )


def test_check_command_passes(warehouse_copy, capsys):
    assert main(["check"]) == 0
    assert capsys.readouterr() == ("数据约定检查全部通过。\n", "")


def test_load_that_would_break_a_contract_is_refused(warehouse_copy):
    """Contracts run at the end of every load, inside its transaction: a breach publishes nothing."""
    tamper(warehouse_copy, "insert into ticket_pii values ('X404', '某某', '13800000000', null, null, 99)")
    before = hashlib.sha256(warehouse_copy.read_bytes()).hexdigest()
    with pytest.raises(LoadError) as err:
        load_files([FIXTURES / "hotline_utf8.csv"])
    assert str(err.value) == (
        "错误：操作后的数据将不满足数据约定，本次导入已撤回：\n"
        "  表 ticket_pii 的列 ticket_id 引用了 fct_tickets 中不存在的值：X404。"
    )
    assert hashlib.sha256(warehouse_copy.read_bytes()).hexdigest() == before


def test_broken_rules_file_fails_the_load_without_traceback(warehouse_copy, tmp_path, monkeypatch, capsys):
    rules = tmp_path / "rules.toml"
    rules.write_text('[targets]\nresponse_rate = "high"\n', encoding="utf-8")
    monkeypatch.setenv("ONESCREEN_RULES", str(rules))
    before = hashlib.sha256(warehouse_copy.read_bytes()).hexdigest()
    assert main(["load", "--quiet", str(FIXTURES / "hotline_utf8.csv")]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"错误：{rules} 中 targets.response_rate 应为 0 到 100 之间的数，现为 'high'。本次导入未写入任何数据。\n")
    assert hashlib.sha256(warehouse_copy.read_bytes()).hexdigest() == before
