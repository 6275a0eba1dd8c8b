"""``python -m etl``: help with a runnable example for every command, summaries, and expected failures
as one ``错误：`` line, exit code 1 and no traceback."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys

import pytest

from etl.cli import build_parser
from etl.warehouse import writer

from conftest import FIXTURES, ROOT, bomb_sheet, run_cli, xlsx_with

COMMANDS = ["load", "demo", "init", "check", "batches", "rollback", "refresh", "report", "users", "publish"]
# Every command line with a --help of its own, the users actions included.
HELP_COMMANDS = [*COMMANDS, "users add", "users list", "users remove", "users key", "users key add", "users key list",
                 "users key remove", "users key reset"]
LOCKED = "错误：另一个导入或撤销正在进行（warehouse.duckdb），请等它结束后再试。"


def subcommands(parser: argparse.ArgumentParser | None = None) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in (parser or build_parser())._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def help_parsers(parser: argparse.ArgumentParser | None = None, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Each command line in HELP_COMMANDS form ("users add", "users key add") and its parser."""
    found = {}
    for name, sub in subcommands(parser).items():
        found[prefix + name] = sub
        if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
            found.update(help_parsers(sub, f"{prefix}{name} "))
    return found


def help_example(name: str) -> str:
    """The first line of a command's help: its example."""
    return help_parsers()[name].description.strip().splitlines()[0]


run = run_cli


def run_process(*args: str) -> subprocess.CompletedProcess:
    """``python -m etl ARGS`` in a new process, as a user or a scheduled job runs it."""
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})


# -- help ----------------------------------------------------------------------------------------

def test_every_command_is_listed():
    assert sorted(subcommands()) == sorted(COMMANDS)


def test_top_level_help_starts_with_an_example_in_chinese(capsys):
    code, out, _ = run(["--help"], capsys)
    description = out.split("\n\n", 1)[1]
    example = description.splitlines()[0]
    assert code == 0 and example.startswith("python -m etl load ")
    assert build_parser().parse_args(shlex.split(example)[3:]).command == "load"
    assert "导入导出文件" in description


def test_every_command_line_with_help_is_listed():
    assert sorted(help_parsers()) == sorted(HELP_COMMANDS)


@pytest.mark.parametrize("name", HELP_COMMANDS)
def test_help_starts_with_a_runnable_example(name, capsys):
    code, out, _ = run([*name.split(), "--help"], capsys)
    assert code == 0
    description = out.split("\n\n", 1)[1]            # after the usage block
    example = description.splitlines()[0]
    assert example.startswith(f"python -m etl {name}"), f"{name} --help must start with an example"
    # The example is a valid command line for this very parser.
    args = build_parser().parse_args(shlex.split(example)[3:])
    assert args.command == name.split()[0]
    if " " in name:
        assert args.action == name.split()[1]
    # And the help says something in the user's language after it.
    assert len(description.splitlines()[2].strip()) > 10


def test_a_command_without_help_would_fail_this_test():
    for name, sub in help_parsers().items():  # the users actions and screen-key actions too
        assert sub.description and sub.description.strip(), f"{name} has no help"
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"


# The order a new user would run the examples in: an empty warehouse, the demo loaded into it (it writes data/demo/,
# which the load example names), removals last.
EXAMPLE_ORDER = ["init", "demo", "load", "check", "batches", "refresh", "report", "users", "users add", "users list",
                 "users key", "users key add", "users key list", "users key reset", "publish", "rollback", "users remove",
                 "users key remove"]


def test_every_help_example_runs_on_the_demo_district(warehouse_db, tmp_path, monkeypatch, capsys):
    """Each --help's first line (and the top-level one), run verbatim from a folder standing for the repository (data/ inside
    it, not there yet: a fresh clone, nothing set), succeeds: the demo district (600 tickets through ONESCREEN_DEMO_TICKETS),
    then every other example against it. The password the users example asks for is typed in by a stand-in."""
    from etl import cli
    from onescreen import settings, users

    assert sorted(EXAMPLE_ORDER) == sorted(HELP_COMMANDS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "DATA_DIR", tmp_path / "data")
    monkeypatch.delenv("ONESCREEN_DB")
    monkeypatch.delenv("ONESCREEN_DATA_DIR", raising=False)
    monkeypatch.setenv("ONESCREEN_DEMO_TICKETS", "600")
    monkeypatch.delenv("ONESCREEN_SNAPSHOTS", raising=False)
    monkeypatch.setenv("ONESCREEN_USERS", str(tmp_path / "users.json"))
    monkeypatch.setattr(users, "BCRYPT_ROUNDS", 4)
    monkeypatch.setattr(cli, "_read_password", lambda from_stdin: "example-password-1")
    examples = [help_example(name) for name in EXAMPLE_ORDER]
    examples.insert(2, build_parser().description.splitlines()[0])  # python -m etl --help's (a load)
    done = []
    for example in examples:
        if example in done:  # `users` shows the example of `users add`
            continue
        done.append(example)
        code, out, err = run(shlex.split(example)[3:], capsys)
        assert (code, "错误" in err) == (0, False), f"{example}\n{out}{err}"
    assert (tmp_path / "data" / "demo" / "hotline_part1.csv").exists()
    assert (tmp_path / "data" / "warehouse.duckdb").exists() and not warehouse_db.exists()
    assert (tmp_path / "周报.html").exists()
    assert (tmp_path / "data" / "snapshots" / "CURRENT").exists()


def test_the_demo_is_never_loaded_into_a_warehouse_holding_loaded_files(warehouse_copy, tmp_path, monkeypatch, capsys):
    """A wrong ONESCREEN_DB or ONESCREEN_DATA_DIR must not mix the invented district into real data."""
    from onescreen import settings

    monkeypatch.setattr(settings, "DATA_DIR", tmp_path / "data")
    assert run(["load", str(FIXTURES / "hotline_utf8.csv")], capsys)[0] == 0
    import duckdb

    def batches():
        with duckdb.connect(str(warehouse_copy), read_only=True) as con:
            return con.execute("select count(*), max(batch_id) from load_batches").fetchone()

    before = batches()
    code, out, err = run(["demo"], capsys)
    assert code != 0 and "已有导入的数据" in err and "示范数据不会载入其中" in err
    assert batches() == before and not (tmp_path / "data" / "demo").exists()


@pytest.mark.parametrize("variable", ["ONESCREEN_DATA_DIR", "ONESCREEN_DB"])
def test_the_demo_is_never_written_into_a_named_data_folder_that_does_not_exist(tmp_path, monkeypatch, capsys, variable):
    """An unmounted disk (or a typo) named by ONESCREEN_DATA_DIR or ONESCREEN_DB is refused in one line; nothing is
    made there. make run builds the demo whenever the warehouse is missing: it must not show invented tickets."""
    from onescreen import settings

    folder = tmp_path / "mnt" / "onescreen"
    monkeypatch.setenv("ONESCREEN_DEMO_TICKETS", "600")
    monkeypatch.delenv("ONESCREEN_DB", raising=False)
    if variable == "ONESCREEN_DATA_DIR":
        monkeypatch.setenv("ONESCREEN_DATA_DIR", str(folder))
        monkeypatch.setattr(settings, "DATA_DIR", folder)   # read once at import, as the app and make run do
    else:
        monkeypatch.setenv("ONESCREEN_DB", str(folder / "warehouse.duckdb"))
        monkeypatch.setattr(settings, "DATA_DIR", tmp_path / "data")
    code, out, err = run(["demo", "--quiet"], capsys)
    assert (code, out, err) == (1, "", f"错误：{variable} 指定的数据文件夹 {folder} 不存在，示范数据不会写到那里。"
                                       f"若这是新的数据文件夹，请先创建它（mkdir -p {folder}）；若它在另一块磁盘或网络存储上，"
                                       "请检查是否已挂载。\n")
    assert not (tmp_path / "mnt").exists() and not (tmp_path / "data").exists()


def test_make_runs_demo_refuses_an_unmounted_data_dir_in_a_process(tmp_path):
    """What `make run` runs when the warehouse is missing, as the audit ran it (ONESCREEN_DATA_DIR only)."""
    folder = tmp_path / "unmounted"
    env = {k: v for k, v in os.environ.items() if k != "ONESCREEN_DB"}
    result = subprocess.run([sys.executable, "-m", "etl", "demo", "--quiet"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env={**env, "PYTHONPATH": str(ROOT), "ONESCREEN_DATA_DIR": str(folder),
                                              "ONESCREEN_DEMO_TICKETS": "600"})
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith(f"错误：ONESCREEN_DATA_DIR 指定的数据文件夹 {folder} 不存在") and \
        result.stderr.count("\n") == 1
    assert not folder.exists()


def test_init_creates_an_empty_warehouse_that_is_current_and_passes_its_contracts(warehouse_db, capsys):
    """What `make run` makes for a deployment that has no warehouse yet: every table, empty marts with their mart_meta,
    no batch; refresh --if-stale has nothing to do and check passes. A second init changes nothing."""
    import duckdb

    from etl.refresh import stale_reasons
    from etl.warehouse import expected_columns

    warehouse_db.parent.mkdir()   # the street's folder, made (or mounted) for it
    code, out, err = run(["init", "--quiet"], capsys)
    assert (code, err) == (0, "")
    assert out == (f"已创建空的数据仓库 {warehouse_db}。导入本街道的数据：在“数据导入”页面先上传网格定义，"
                   "再上传 12345 / 网格平台导出；或用 python -m etl load 导出文件。\n")
    with duckdb.connect(str(warehouse_db), read_only=True) as con:
        tables = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
        assert set(expected_columns()) <= tables and "mart_meta" in tables
        assert con.execute("select count(*) from load_batches").fetchone() == (0,)
        assert con.execute("select ticket_count, as_of from mart_meta").fetchall() == [(0, None)]
        assert con.execute("select count(*) > 0 from dim_calendar").fetchone() == (True,)
    assert stale_reasons(warehouse_db) == []
    assert run(["check"], capsys)[:2] == (0, "数据约定检查全部通过。\n")
    before = warehouse_db.read_bytes()
    assert run(["init"], capsys) == (0, f"数据仓库 {warehouse_db} 已存在，未做任何改动。\n", "")
    assert warehouse_db.read_bytes() == before


@pytest.mark.parametrize("variable", ["ONESCREEN_DATA_DIR", "ONESCREEN_DB"])
def test_init_refuses_a_named_data_folder_that_does_not_exist(tmp_path, monkeypatch, capsys, variable):
    from onescreen import settings

    folder = tmp_path / "mnt" / "onescreen"
    monkeypatch.delenv("ONESCREEN_DB", raising=False)
    if variable == "ONESCREEN_DATA_DIR":
        monkeypatch.setenv("ONESCREEN_DATA_DIR", str(folder))
        monkeypatch.setattr(settings, "DATA_DIR", folder)
    else:
        monkeypatch.setenv("ONESCREEN_DB", str(folder / "warehouse.duckdb"))
    assert run(["init"], capsys) == (1, "", f"错误：{variable} 指定的数据文件夹 {folder} 不存在，数据仓库不会建在那里。"
                                            f"若这是新的数据文件夹，请先创建它（mkdir -p {folder}）；若它在另一块磁盘或"
                                            "网络存储上，请检查是否已挂载。\n")
    assert not (tmp_path / "mnt").exists()


@pytest.mark.parametrize("setting, made_with", [
    ({}, "-m etl demo --quiet"),                                   # a fresh clone: the demo
    ({"ONESCREEN_DATA_DIR": "data-dir"}, "-m etl init --quiet"),   # a deployment: an empty warehouse of its own
    ({"ONESCREEN_DB": "data-dir/street.duckdb"}, "-m etl init --quiet"),
])
def test_make_run_builds_the_demo_only_in_a_fresh_clone(setting, made_with, tmp_path):
    """`make run` (its warehouse step) filled a street's empty ONESCREEN_DATA_DIR with the demo district. The step runs
    here with a stand-in python that records what it was asked to run."""
    calls = tmp_path / "calls"
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    python.chmod(0o755)
    (tmp_path / "data-dir").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("ONESCREEN_DB", "ONESCREEN_DATA_DIR")}
    env.update({k: str(tmp_path / v) for k, v in setting.items()})
    # WAREHOUSE: the checkout's data/ may hold a warehouse; the fresh clone's is missing. venv: nothing installed.
    where = [] if setting else [f"WAREHOUSE={tmp_path / 'data' / 'warehouse.duckdb'}"]
    make = ["make", "-s", "--no-print-directory", "-C", str(ROOT), "-o", "venv", "warehouse", f"PY={python}", *where]
    subprocess.run(make, env=env, check=True, capture_output=True, text=True, timeout=60)
    assert calls.read_text().splitlines() == [made_with]
    warehouse = tmp_path / ("data-dir/street.duckdb" if "ONESCREEN_DB" in setting else "data-dir/warehouse.duckdb")
    if setting:   # once it exists, every start only refreshes it
        warehouse.touch()
        subprocess.run(make, env=env, check=True, capture_output=True, text=True, timeout=60)
        assert calls.read_text().splitlines() == [made_with, "-m etl refresh --if-stale --quiet"]


@pytest.mark.parametrize("example", ["check", "batches"])
def test_examples_without_arguments_run(warehouse_copy, capsys, example):
    code, out, err = run([example], capsys)
    assert (code, err) == (0, "")
    assert out


# -- commands that succeed -----------------------------------------------------------------------

def test_load_prints_a_summary_and_progress(warehouse_copy, capsys):
    code, out, err = run(["load", str(FIXTURES / "hotline_utf8.csv"), str(FIXTURES / "hotline_timeline.csv")], capsys)
    assert code == 0
    assert out == (
        "hotline_utf8.csv（12345热线工单，批次 7）：读取 2 行，新增 2，更新 0，未变 0，拒收 0\n"
        "  提示：1 条工单无法定位到网格（无网格编号、坐标或可识别的小区地址），按社区/街道统计，计为“未落格”。\n"
        "hotline_timeline.csv（12345热线工单，批次 8）：读取 3 行，新增 3，更新 0，未变 0，拒收 0\n"
        "  提示：3 条工单无法定位到网格（无网格编号、坐标或可识别的小区地址），按社区/街道统计，计为“未落格”。\n"
        "  提示：2 条工单的时间顺序不合理（如办结时间早于受理时间），已导入但不计入办理时长统计；例如 T0001、T0002。\n"
        "数据截至 2025-10-10 15:00\n"
    )
    assert "hotline_utf8.csv：识别为“12345热线工单”，表头在第 1 行，读取 2 行" in err.splitlines()
    assert "hotline_timeline.csv：写入 新增 3，更新 0，未变 0，拒收 0" in err.splitlines()


def test_load_and_rollback_on_the_command_line_are_audited(warehouse_copy, capsys):
    from onescreen import audit

    assert run(["load", "--quiet", str(FIXTURES / "hotline_utf8.csv")], capsys)[0] == 0
    assert run(["load", "--quiet", str(FIXTURES / "hotline_gbk.csv")], capsys)[0] == 0  # already loaded: not a change
    assert run(["rollback", "--quiet", "7"], capsys)[0] == 0
    events = audit.read().iloc[::-1]  # oldest first
    assert events["操作"].tolist() == ["导入", "撤销批次"]
    assert set(events["角色"]) == {"命令行"}
    assert events["内容"].tolist() == ["hotline_utf8.csv（12345热线工单，批次 7）：读取 2 行，新增 2，更新 0，拒收 0", "批次 7"]
    assert events["行数"].tolist() == [2, 4]  # the rollback: 2 tickets and their 2 personal rows, as on the page


def test_quiet_load_and_reload_says_already_loaded(warehouse_copy, capsys):
    code, out, err = run(["load", "--quiet", str(FIXTURES / "hotline_gbk.csv")], capsys)
    assert (code, out, err) == (0, "hotline_gbk.csv：已在批次 4 导入过，未做任何改动。\n", "")


def test_load_with_map_option(warehouse_copy, capsys):
    code, out, _ = run(["load", "--quiet", str(FIXTURES / "hotline_unknown_header.csv"), "--map", "留言时间=received_at"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "hotline_unknown_header.csv（12345热线工单，批次 7）：读取 2 行，新增 2，更新 0，未变 0，拒收 0"


def test_skip_bad_rows_option(warehouse_copy, exports, capsys):
    code, out, _ = run(["load", "--quiet", "--skip-bad-rows", str(exports / "hotline_bad_rows.csv")], capsys)
    assert code == 0
    assert out.splitlines()[:2] == [
        "hotline_bad_rows.csv（12345热线工单，批次 7）：读取 5 行，新增 1，更新 0，未变 0，拒收 4",
        "  提示：4 行有问题未导入，已连同原因写入 hotline_bad_rows.rejected.csv（个人信息已脱敏）：请按其中的行号在原文件中修正，再导入原文件。",
    ]
    assert (exports / "hotline_bad_rows.rejected.csv").exists()


def test_batches_and_rollback(warehouse_copy, capsys):
    code, out, _ = run(["rollback", "--quiet", "6"], capsys)
    assert (code, out) == (0, "已撤销批次 6（删除/恢复：fct_tickets 5 行，ticket_pii 5 行）。\n")
    code, out, _ = run(["batches"], capsys)
    lines = out.splitlines()
    assert lines[0] == "批次  导入时间          来源         读取/新增/更新/未变/拒收       状态      文件"
    assert [line[:4] for line in lines[1:]] == ["   1", "   2", "   3", "   4", "   5", "   6"]
    assert lines[5].endswith("hotline      7/2/2/3/0           已导入  hotline_week2.csv")
    assert lines[6].endswith("events       5/5/0/0/0           已撤销  events.xlsx")


def test_batches_without_a_warehouse(warehouse_db, capsys):
    assert run(["batches"], capsys) == (0, "数据仓库还不存在，没有导入批次。\n", "")


# -- expected failures ---------------------------------------------------------------------------

BAD_ROWS_FIRST_LINE = ("错误：文件 hotline_bad_rows.csv 有 4 处问题，本次导入未写入任何数据。"
                       "请按下列提示修正后重新导入，或加 --skip-bad-rows 只导入没有问题的行：")


@pytest.mark.parametrize(("argv", "message"), [
    (["load", "nothere.csv"], "错误：找不到文件 nothere.csv，请检查路径。"),
    (["load", str(FIXTURES / "latin1.csv")],
     "错误：无法识别文件 latin1.csv 的编码（既不是 UTF-8 也不是 GBK/GB18030），请用 Excel 另存为“CSV UTF-8”后再导入。"),
    (["load", str(FIXTURES / "binary.dat")], "错误：文件 binary.dat 不是文本文件，也不是 XLSX 工作簿，请确认导出的是 CSV 或 XLSX。"),
    (["load", str(FIXTURES / "hotline_wrong_header.csv")],
     "错误：看不出文件 hotline_wrong_header.csv 是哪类导出：没有一列表头与已知导出相符。文件第 1 行的表头为：编号、日期、内容。"
     "能导入的有（括号中为必须有的列）：12345热线工单（工单编号、来电时间）、网格平台事件（工单编号、来电时间、诉求来源）"
     "、网格定义（网格编号、所属社区、所属街道）、小区与物业（小区名称、物业企业）、物业日常考核（考核日期、物业企业、小区名称、得分）。请确认选对了文件；确是其中一类、只是表头写法不同时，"
     "请用 --source 指定来源类型，并用 --map \"表头=字段\" 指定对应关系。"),
    (["load", "--map", "留言时间", str(FIXTURES / "hotline_unknown_header.csv")],
     "错误：--map 的写法是 \"表头=字段\"，例如 --map \"留言时间=received_at\"；收到的是 “留言时间”。"),
    (["load", "--sheet", "工单", str(FIXTURES / "hotline_utf8.csv")], "错误：文件 hotline_utf8.csv 不是 XLSX 工作簿，不能指定 --sheet。"),
    (["load", "--map", "问题详情=content", str(FIXTURES / "hotline_utf8.csv")],
     "错误：--map 指定的表头“问题详情”在文件 hotline_utf8.csv 中不存在，这样的对应不会生效，本次导入未写入任何数据。"
     "文件第 1 行的表头为：ticket_id、created_date、诉求类型、category、来电人、phone、address、community、status、content。"
     "请按文件中的写法改正 --map \"表头=字段\" 等号前的表头（可从上面复制），或去掉这一项。"),
    (["load", "--map", "=received_at", str(FIXTURES / "hotline_unknown_header.csv")],
     "错误：--map 的写法是 \"表头=字段\"，等号前要写文件中的表头，例如 --map \"留言时间=received_at\"；收到的是 “=received_at”。"),
    (["rollback", "99"], "错误：没有编号为 99 的导入批次，请用 python -m etl batches 查看现有批次。"),
    (["rollback", "4"], "错误：批次 4 导入的数据已被后来的批次 5 更新，请先撤销批次 5，再撤销批次 4。"),
])
def test_expected_failures_are_one_line(warehouse_copy, capsys, argv, message):
    code, out, err = run(argv, capsys)
    assert (code, out, err) == (1, "", message + "\n")


def test_bad_rows_failure_starts_with_one_error_line(warehouse_copy, capsys):
    code, out, err = run(["load", str(FIXTURES / "hotline_bad_rows.csv"), "--quiet"], capsys)
    lines = err.splitlines()
    assert (code, out) == (1, "")
    assert lines[0] == BAD_ROWS_FIRST_LINE
    assert len(lines) == 5 and all(line.startswith("  文件 hotline_bad_rows.csv 第 ") for line in lines[1:])


def test_a_zip_bomb_given_to_load_is_refused_before_it_is_read(warehouse_copy, tmp_path, capsys, monkeypatch):
    """The command line runs the upload page's container check (etl.readers.read_xlsx) before any reader."""
    import random

    path = tmp_path / "工单.xlsx"
    path.write_bytes(xlsx_with(bomb_sheet(4), padding=random.Random(0).randbytes(200_000)))
    monkeypatch.setattr("python_calamine.CalamineWorkbook.from_path", lambda *a: pytest.fail("calamine opened it"))
    monkeypatch.setattr("fastexcel.read_excel", lambda *a: pytest.fail("fastexcel opened it"))
    code, out, err = run(["load", str(path)], capsys)
    assert (code, out) == (1, "")
    assert err.startswith("错误：文件 工单.xlsx 中的 xl/worksheets/sheet1.xml 解压后是压缩时的 ")
    assert err.endswith("请按时间段分成几个较小的文件，或在 Excel 中另存为 CSV（UTF-8）后再导入。\n") and err.count("\n") == 1

def test_check_without_a_warehouse(warehouse_db, capsys):
    code, out, err = run(["check"], capsys)
    assert (code, out, err) == (1, "", f"错误：数据仓库 {warehouse_db} 不存在，请先运行 python -m etl init 建一个空的数据仓库，再用 python -m etl load 导入网格定义和工单导出。\n")


def test_argument_errors_in_house_format(capsys):
    code, out, err = run(["load", "--source", "tickets", "x.csv"], capsys)
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == (
        "错误：argument --source: invalid choice: 'tickets' (choose from 'hotline', 'events', 'grids', 'compounds', "
        "'inspections')（用 --help 查看用法）"
    )
    code, _, err = run(["rollback", "three"], capsys)
    assert code == 1
    assert err.splitlines()[-1] == "错误：argument batch_id: invalid int value: 'three'（用 --help 查看用法）"


# -- in a real process ---------------------------------------------------------------------------

def test_process_failure_has_no_traceback(warehouse_copy):
    result = run_process("load", str(FIXTURES / "hotline_wrong_header.csv"))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("错误：看不出文件 hotline_wrong_header.csv 是哪类导出")
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_second_writer_process_fails_at_once(warehouse_copy):
    """While one load holds the warehouse, another process's load or rollback stops with the message."""
    with writer():
        load = run_process("load", "--quiet", str(FIXTURES / "hotline_utf8.csv"))
        undo = run_process("rollback", "--quiet", "6")
    for result in (load, undo):
        assert (result.returncode, result.stdout, result.stderr) == (1, "", LOCKED + "\n")


def test_process_writes_the_warehouse_and_rejects_private(warehouse_copy, exports):
    """python -m etl sets umask 077: the published warehouse and a rejects file are readable by their owner only."""
    import stat

    result = subprocess.run(["sh", "-c", 'umask 022 && exec "$0" -m etl load --quiet --skip-bad-rows "$1"', sys.executable,
                             str(exports / "hotline_bad_rows.csv")], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(warehouse_copy.stat().st_mode) == 0o600
    assert stat.S_IMODE((exports / "hotline_bad_rows.rejected.csv").stat().st_mode) == 0o600


def test_process_load_then_check(warehouse_copy):
    result = run_process("load", "--quiet", str(FIXTURES / "hotline.xlsx"))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == "hotline.xlsx（12345热线工单，批次 7）：读取 3 行，新增 3，更新 0，未变 0，拒收 0"
    result = run_process("check")
    assert (result.returncode, result.stdout, result.stderr) == (0, "数据约定检查全部通过。\n", "")


def test_rollback_without_a_warehouse_creates_nothing(warehouse_db, capsys):
    """It used to create the warehouse's lock file (and an empty staging copy) to find no batch to undo."""
    code, out, err = run_cli(["rollback", "3"], capsys)
    assert (code, out, err) == (1, "", f"错误：数据仓库 {warehouse_db} 还不存在，没有可撤销的导入批次。\n")
    assert not warehouse_db.parent.exists()


# -- a rules file that cannot be used ------------------------------------------------------------

def _rules_file(tmp_path, kind: str):
    """A rules file with a misspelt key, one that is not TOML, or a path with no file."""
    path = tmp_path / "rules.toml"
    text = (ROOT / "config" / "rules.toml").read_text(encoding="utf-8")
    if kind == "typo":
        assert "\nresponse_rate = " in text
        path.write_text(text.replace("\nresponse_rate = ", "\nrespons_rate = ", 1), encoding="utf-8")
        return path, f"错误：{path} 中有不认识的键 targets.respons_rate：请检查拼写，或删除它。"
    if kind == "not_toml":
        path.write_text(text + "\n[broken\n", encoding="utf-8")
        return path, f"错误：规则文件 {path} 不是合法的 TOML："
    path = tmp_path / "nowhere" / "rules.toml"
    return path, f"错误：找不到规则文件 {path}：请从仓库的 config/rules.toml 复制一份。"


@pytest.mark.parametrize("kind", ["typo", "not_toml", "missing"])
@pytest.mark.parametrize("argv", [["refresh", "--if-stale", "--quiet"], ["refresh", "--quiet"]])
def test_a_rules_file_that_cannot_be_used_is_one_error_line(warehouse_copy, tmp_path, monkeypatch, capsys, kind, argv):
    """What `make run` calls (refresh --if-stale) and refresh say what is wrong with the file in one line and exit 1:
    no traceback, and the warehouse is left as it was (load, rollback and demo already did: etl.load.finish)."""
    path, message = _rules_file(tmp_path, kind)
    monkeypatch.setenv("ONESCREEN_RULES", str(path))
    before = warehouse_copy.read_bytes()
    code, out, err = run(argv, capsys)
    assert (code, out) == (1, "")
    assert err.startswith(message) and err.count("\n") == 1, err
    assert warehouse_copy.read_bytes() == before


def test_a_rules_file_typo_in_a_process_has_no_traceback(warehouse_copy, tmp_path):
    path, message = _rules_file(tmp_path, "typo")
    result = subprocess.run([sys.executable, "-m", "etl", "refresh", "--if-stale", "--quiet"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "ONESCREEN_RULES": str(path)})
    assert (result.returncode, result.stdout, result.stderr) == (1, "", message + "\n")
