"""config/rules.toml: the shipped file loads, and every broken file is refused naming the key."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # until the project sets pythonpath

from onescreen.koujing import KOUJING, koujing  # noqa: E402
from onescreen.rules import RulesError, load_rules  # noqa: E402

SHIPPED = (ROOT / "config" / "rules.toml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_rules_are_the_issue_defaults():
    rules = load_rules(ROOT / "config" / "rules.toml")
    assert (rules.targets.response_rate, rules.targets.resolution_rate, rules.targets.satisfaction_rate) == (97, 97, 97)
    w = rules.composite_weights
    assert (w.response, w.resolution, w.satisfaction) == (0.30, 0.35, 0.35)
    assert rules.response_limit_hours == 24
    assert dict(rules.deadline_workdays) == {"咨询": 2, "求助": 10, "建议": 10, "投诉": 15, "举报": 15}
    assert rules.deadline_for("咨询") == 2 and rules.deadline_for(None) == rules.fallback_deadline_workdays
    assert rules.basic_satisfied_weight == 1.0 and rules.near_deadline_workdays == 1
    assert rules.min_denominator == 10
    assert rules.property_rules.categories == ("物业管理",)
    assert ("响应时限", "24 小时") in rules.in_force()
    assert ("默认办理时限", "咨询 2、求助 10、建议 10、投诉 15、举报 15 个工作日") in rules.in_force()


def test_the_foreign_area_limits_are_load_rules_with_defaults(tmp_path):
    """[foreign_places] ships today's limits; a rules file from before it loads with them. They decide no figure: the
    rules the marts are built by (their digest) are the same with or without the section, whatever it says."""
    shipped = load_rules(ROOT / "config" / "rules.toml")
    assert (shipped.foreign_share_above, shipped.foreign_rows_above) == (50, 50)
    section = SHIPPED[SHIPPED.index("[foreign_places]"):]
    old = load_rules(write(tmp_path, SHIPPED.replace(section, "")))
    assert (old.foreign_share_above, old.foreign_rows_above) == (50, 50)
    changed = load_rules(write(tmp_path, SHIPPED.replace("rows_above = 50", "rows_above = 500")))
    assert changed.foreign_rows_above == 500
    assert shipped.digest() == old.digest() == changed.digest()
    assert "foreign_places" not in shipped.as_dict()


def test_default_path_follows_the_environment(tmp_path, monkeypatch):
    path = write(tmp_path, SHIPPED.replace("limit_hours = 24", "limit_hours = 48"))
    monkeypatch.setenv("ONESCREEN_RULES", str(path))
    assert load_rules().response_limit_hours == 48


@pytest.mark.parametrize("old, new, key, message", [
    ("response_rate = 97.0        # 响应率目标\n", "", "targets.response_rate",
     "{path} 缺少 targets.response_rate：请按 config/rules.toml 的样子补上。"),
    ("limit_hours = 24", 'limit_hours = "24小时"', "response.limit_hours",
     "{path} 中 response.limit_hours 应为 0.01 到 8760 之间的数，现为 '24小时'。"),
    ("response_rate = 97.0", "response_rate = 970", "targets.response_rate",
     "{path} 中 targets.response_rate 应为 0 到 100 之间的数，现为 970。"),
    ("min_denominator = 10", "min_denominator = 9.5", "ranking.min_denominator",
     "{path} 中 ranking.min_denominator 应为 0 到 1000000 之间的整数，现为 9.5。"),
    ('"咨询" = 2', '"咨询" = 0', "deadlines.by_appeal_type.咨询",
     "{path} 中 deadlines.by_appeal_type.咨询 应为 1 到 365 之间的整数，现为 0。"),
    ("response = 0.30", "response = 0.50", "composite_weights",
     "{path} 中 composite_weights 下各权重之和应为 1，现为 1.2。"),
    ("response_rate = 97.0", "respones_rate = 97.0", "targets.respones_rate",
     "{path} 中有不认识的键 targets.respones_rate：请检查拼写，或删除它。"),
    ('categories = ["物业管理"]', "categories = []", "property.categories",
     "{path} 中 property.categories 应为非空的文字列表，例如 [\"物业管理\"]，现为 []。"),
    ('appeal_types = ["投诉", "举报", "求助"]', 'appeal_types = ["投诉", ""]', "property.appeal_types",
     "{path} 中 property.appeal_types 应为非空的文字列表，例如 [\"投诉\", \"举报\"]，现为 ['投诉', '']。"),
    ("rows_above = 50", "rows_above = -1", "foreign_places.rows_above",
     "{path} 中 foreign_places.rows_above 应为 0 到 100000000 之间的整数，现为 -1。"),
    ("share_above = 50.0", "share_abve = 50.0", "foreign_places.share_abve",
     "{path} 中有不认识的键 foreign_places.share_abve：请检查拼写，或删除它。"),
    ("yellow_on_time_rate_below = 95.0", "yellow_on_time_rate_below = 70.0", "lights.yellow_on_time_rate_below",
     "{path} 中 lights.yellow_on_time_rate_below 不能小于 lights.red_on_time_rate_below（黄灯阈值应不低于红灯阈值）。"),
])
def test_errors_name_the_key(tmp_path, old, new, key, message):
    assert old in SHIPPED
    path = write(tmp_path, SHIPPED.replace(old, new, 1))
    with pytest.raises(RulesError) as error:
        load_rules(path)
    assert error.value.key == key
    assert str(error.value) == message.format(path=path)


def test_unreadable_files(tmp_path):
    with pytest.raises(RulesError, match="^找不到规则文件 .*nope.toml：请从仓库的 config/rules.toml 复制一份。$"):
        load_rules(tmp_path / "nope.toml")
    with pytest.raises(RulesError, match=r"^规则文件 .*rules.toml 不是合法的 TOML："):
        load_rules(write(tmp_path, "[targets\nresponse_rate = 97"))


def test_koujing_states_the_rules_in_force():
    rules = load_rules(ROOT / "config" / "rules.toml")
    text = koujing("response_rate", rules)
    assert text.startswith(KOUJING["response_rate"])
    assert text.endswith("（现行规则：响应时限 24 小时；响应率目标 97%）")
    assert koujing("ticket_count", rules) == KOUJING["ticket_count"]
