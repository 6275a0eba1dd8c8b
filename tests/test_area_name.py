"""The area's own name (config/rules.toml ``[area] name``): a district office calls its screens and 周报 南湖区.

The fixture district is a one-street warehouse (南宁街道, tests/conftest.py): without the setting it is named for its
street (tests/test_one_street.py); with it, the overview, the walls and the 周报 carry the configured name, and the
ranking level (its communities) does not change.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conftest import run_cli  # noqa: E402
from onescreen import area  # noqa: E402
from onescreen.rules import RulesError, load_area_name, load_rules  # noqa: E402
from test_one_street import _run, _texts  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = (ROOT / "config" / "rules.toml").read_text(encoding="utf-8")
NAME = "南湖区城东片区"


def _rules_named(tmp_path: Path, line: str) -> Path:
    assert 'name = ""' in SHIPPED
    path = tmp_path / "rules.toml"
    path.write_text(SHIPPED.replace('name = ""', line, 1), encoding="utf-8")
    return path


@pytest.fixture
def named(tmp_path, monkeypatch) -> Path:
    """ONESCREEN_RULES pointed at the shipped rules with ``[area] name = "南湖区城东片区"``."""
    path = _rules_named(tmp_path, f'name = "  {NAME} "')
    monkeypatch.setenv("ONESCREEN_RULES", str(path))
    return path


def test_the_setting_names_the_whole_area_and_leaves_the_ranking_level(named):
    one = pd.DataFrame({"street_code": ["QS"], "street_name": ["青山街道"]})
    two = pd.DataFrame({"street_code": ["QS", "LS"], "street_name": ["青山街道", "绿水街道"]})
    assert area.whole_area_name(one) == NAME and area.whole_area_name(two) == NAME
    assert area.ranking_level(one) == "community" and area.ranking_level(two) == "street"


def test_a_narrowed_tables_rank_is_headed_by_the_whole_areas_name(monkeypatch, tmp_path):
    one = pd.DataFrame({"street_code": ["QS"], "street_name": ["青山街道"]})
    two = pd.DataFrame({"street_code": ["QS", "LS"], "street_name": ["青山街道", "绿水街道"]})
    assert area.rank_header(two) == "全区排名" and area.rank_header(one) == "街道内排名"
    monkeypatch.setenv("ONESCREEN_RULES", str(_rules_named(tmp_path, 'name = "南湖区"')))
    assert area.rank_header(two) == "南湖区内排名" and area.rank_header(one) == "南湖区内排名"


def test_the_rates_page_heads_a_narrowed_rank_with_the_name(warehouse_copy, named):
    import json

    at = _run("rates.py", {"period_type": "month", "period_start": "2025-10-01", "street_code": "530302001"})
    table = next(t for t in at.dataframe if t.key == "rates_breakdown_table")
    column = json.loads(table.proto.columns)["综合排名"]
    assert column["label"] == f"{NAME}内排名" and f"综合得分在{NAME}同一层级所有单位中的名次" in column["help"]
    assert column["width"] >= 14 * len(column["label"])  # the header is not cut to 南湖区城…


def test_the_shipped_file_names_nothing_and_the_name_is_not_a_rule(named):
    assert load_area_name(ROOT / "config" / "rules.toml") == ""
    # Renaming the area counts nothing: the marts built by the shipped rules stay current.
    assert load_rules(named).digest() == load_rules(ROOT / "config" / "rules.toml").digest()


@pytest.mark.parametrize("line, key, message", [
    ('nmae = "南湖区"', "area.nmae", "{path} 中有不认识的键 area.nmae：请检查拼写，或删除它。"),
    ('name = "南湖区/城东"', "area.name",
     '{path} 中 area.name 应为不超过 30 个字的一行文字，不含 \\ / : * ? " < > |（它也是周报文件名的一部分），'
     "例如 \"南湖区\"；留空则按原样称“全区”或唯一街道的名称，现为 '南湖区/城东'。"),
    ("name = 3", "area.name",
     '{path} 中 area.name 应为不超过 30 个字的一行文字，不含 \\ / : * ? " < > |（它也是周报文件名的一部分），'
     "例如 \"南湖区\"；留空则按原样称“全区”或唯一街道的名称，现为 3。"),
])
def test_a_wrong_area_section_is_refused_naming_the_key(warehouse_copy, tmp_path, capsys, monkeypatch, line, key, message):
    path = _rules_named(tmp_path, line)
    for load in (load_rules, load_area_name):
        with pytest.raises(RulesError) as error:
            load(path)
        assert error.value.key == key and str(error.value) == message.format(path=path)
    # The command line says so in one 错误： line; the screens keep the name they had.
    monkeypatch.setenv("ONESCREEN_RULES", str(path))
    code, _, stderr = run_cli(["refresh"], capsys)
    assert code == 1 and stderr == "错误：" + message.format(path=path) + "\n"
    assert area.whole_area_name(pd.DataFrame({"street_code": ["QS", "LS"]})) == "全区"


def test_the_overview_and_its_wall_carry_the_name(warehouse_copy, named):
    at = _run(query={"period_type": "month", "period_start": "2025-10-01"})
    assert [m.value for m in at.markdown if "基层治理一屏总览" in m.value] == [f"### {NAME} 基层治理一屏总览"]
    text = _texts(at)
    assert "社区排名（" in text and "南宁街道 基层治理" not in text
    on_wall = _run(query={"period_type": "month", "period_start": "2025-10-01", "kiosk": "1"})
    assert any(m.value == f"### {NAME} 基层治理一屏总览" for m in on_wall.markdown)


@pytest.mark.parametrize("page, title", [("companies.py", "物业红黑榜"), ("lights.py", "亮灯地图"),
                                         ("heat.py", "网格热力")])
def test_a_wall_page_carries_the_name(warehouse_copy, named, page, title):
    at = _run(page, query={"kiosk": "1"})
    heads = [m.value for m in at.markdown if m.value.startswith("### ") and title in m.value]
    assert heads and all(NAME in h for h in heads), heads


def test_the_weekly_report_carries_the_name(warehouse_copy, named, tmp_path, capsys, monkeypatch):
    from onescreen import settings

    monkeypatch.setattr(settings, "DATA_DIR", tmp_path)
    code, stdout, _ = run_cli(["report", "--week", "2025-W40", "--quiet"], capsys)
    assert code == 0, stdout
    written = list((tmp_path / "reports").iterdir())
    assert [p.name for p in written] == [f"{NAME}周报-2025-W40.html"]
    assert stdout.startswith(f"已生成{NAME}周报 2025年第40周")
    assert f"<title>{NAME}周报 " in written[0].read_text(encoding="utf-8")
