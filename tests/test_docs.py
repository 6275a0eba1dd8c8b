"""README.md and docs/metrics.md list what the code has: every named query, every command-line option,
every ``ONESCREEN_*`` setting the product reads."""

from __future__ import annotations

import argparse
import re

from conftest import ROOT
from etl.cli import build_parser
from onescreen.queries import QUERIES

README = (ROOT / "README.md").read_text(encoding="utf-8")
METRICS = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_the_named_query_table_lists_every_registered_query():
    section = METRICS.split("## 命名查询", 1)[1]
    listed = re.findall(r"^\| `([a-z_0-9]+)` \|", section, flags=re.MULTILINE)
    assert sorted(listed) == sorted(QUERIES)


def test_the_command_table_lists_every_command_and_option():
    section = README.split("## 命令行", 1)[1].split("\n## ", 1)[0]
    missing = []
    for name, sub in _subparsers(build_parser()).items():
        if f"python -m etl {name}" not in section:
            missing.append(name)
        for parser in [sub, *_subparsers(sub).values()]:
            for action in parser._actions:
                for option in action.option_strings:
                    if option.startswith("--") and option not in ("--help", "--quiet") and option not in section:
                        missing.append(f"{parser.prog} {option}")
    assert missing == []


def test_every_setting_read_from_the_environment_is_documented():
    code = [path for folder in ("onescreen", "etl", "deploy", "app_pages") for path in (ROOT / folder).rglob("*.py")]
    names = {name for path in [*code, ROOT / "app.py"]
             for name in re.findall(r"ONESCREEN_[A-Z_]+", path.read_text(encoding="utf-8"))}
    assert names, "no settings found: the search is wrong"
    assert sorted(name for name in names if name not in README) == []


DEPLOY = ROOT / "docs" / "deploy.md"


def test_the_deploy_guide_is_linked_and_its_commands_and_settings_are_real():
    """docs/deploy.md: linked from the README; every `python -m etl` command in it parses; every ONESCREEN_* setting
    it names is one the code reads (a renamed setting would leave a service unit that silently does nothing)."""
    text = DEPLOY.read_text(encoding="utf-8")
    assert "(docs/deploy.md)" in README
    commands = re.findall(r"python -m etl ([^`\n]+)", text)
    assert len(commands) >= 5
    for command in commands:
        build_parser().parse_args(command.replace("\\", "").split())
    code = "\n".join(path.read_text(encoding="utf-8") for folder in ("onescreen", "etl", "deploy")
                     for path in (ROOT / folder).rglob("*.py"))
    named = set(re.findall(r"ONESCREEN_[A-Z_]+", text))
    assert named and sorted(name for name in named if name not in code) == []


def test_the_docs_say_a_deployment_starts_empty_and_where_to_try_the_demo():
    """The deploy guide told a street that `make run` fills its new data folder with the demo district, to be undone
    batch by batch. A deployment now starts empty (etl init); the demo is tried in another folder, with `make demo`."""
    import subprocess

    text = DEPLOY.read_text(encoding="utf-8")
    assert "第一次启动是空的" in text and "python -m etl init" in text and "数据导入" in text
    assert "会在那里生成示范区" not in text
    trial = re.search(r"^ONESCREEN_DATA_DIR=(\S+) .*make demo run", text, flags=re.MULTILINE)
    assert trial and trial.group(1) != "/srv/onescreen/data"   # not the street's folder of the guide's example
    assert "部署的第一次启动是空的" in README and "make demo" in README
    recipe = subprocess.run(["make", "-n", "--no-print-directory", "-C", str(ROOT), "-o", "venv", "demo"],
                            capture_output=True, text=True, check=True).stdout
    assert "-m etl demo" in recipe
