"""Business rules (targets, weights, deadlines, thresholds) read from ``config/rules.toml``.

``load_rules()`` returns a frozen :class:`Rules` or raises :class:`RulesError` whose message is one
Chinese sentence naming the file and the offending key (``targets.response_rate``), so a user who
edited the file knows what to fix. Unknown keys are refused too: a misspelt key would otherwise be
ignored silently and the default would stay in force.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onescreen import settings


class RulesError(ValueError):
    """A rules file that cannot be used; ``key`` is the dotted key at fault (or ``None``)."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


# (dotted key, Chinese label, kind, minimum, maximum, unit shown in "rules in force").
# kinds: pct (0-100 number), number, weight (0-1 number), int, str_list, workday_map.
_SPEC: list[tuple[str, str, str, float | None, float | None, str]] = [
    ("targets.response_rate", "响应率目标", "pct", 0, 100, "%"),
    ("targets.resolution_rate", "解决率目标", "pct", 0, 100, "%"),
    ("targets.satisfaction_rate", "满意率目标", "pct", 0, 100, "%"),
    ("composite_weights.response", "综合得分权重·响应率", "weight", 0, 1, ""),
    ("composite_weights.resolution", "综合得分权重·解决率", "weight", 0, 1, ""),
    ("composite_weights.satisfaction", "综合得分权重·满意率", "weight", 0, 1, ""),
    ("response.limit_hours", "响应时限", "number", 0.01, 24 * 365, " 小时"),
    ("deadlines.fallback_workdays", "默认办理时限·其他类型", "int", 1, 365, " 个工作日"),
    ("deadlines.by_appeal_type", "默认办理时限", "workday_map", 1, 365, " 个工作日"),
    ("satisfaction.basic_satisfied_weight", "“基本满意”折算权重", "weight", 0, 1, ""),
    ("near_deadline.window_workdays", "临期窗口", "number", 0, 30, " 个工作日"),
    ("ranking.min_denominator", "参与排名的最小分母", "int", 0, 1_000_000, " 件"),
    ("lights.red_on_time_rate_below", "红灯·按期办结率低于", "pct", 0, 100, "%"),
    ("lights.red_overdue_at_least", "红灯·超期件数不少于", "int", 1, 1_000_000, " 件"),
    ("lights.red_min_denominator", "红灯·按期办结率至少按多少件判定", "int", 1, 1_000_000, " 件"),
    ("lights.yellow_on_time_rate_below", "黄灯·按期办结率低于", "pct", 0, 100, "%"),
    ("property.categories", "物业投诉分类", "str_list", None, None, ""),
    ("property.appeal_types", "物业投诉计入的诉求类型", "str_list", None, None, ""),
    ("property.min_households", "入榜最少管理户数", "int", 0, 10_000_000, " 户"),
    ("property.min_inspections", "入榜最少当月考核次数", "int", 0, 10_000, " 次"),
    ("property.inspection_weight", "物业总分权重·考核得分", "weight", 0, 1, ""),
    ("property.complaint_weight", "物业总分权重·投诉得分", "weight", 0, 1, ""),
    ("property.complaint_points_per_1k", "每千户投诉扣分", "number", 0, 100, " 分"),
    ("property.list_size_max", "红黑榜最多名额", "int", 0, 1000, " 家"),
    ("property.list_size_divisor", "红黑榜名额除数（⌊n/除数⌋）", "int", 1, 1000, ""),
    ("repeat.window_days", "重复诉求·距上次同类来电不超过", "int", 1, 366, " 天"),
    ("callback.window_days", "回访期·办结后等回访的天数", "int", 0, 366, " 天"),
    ("proactive.sources", "未诉先办·主动发现的诉求来源", "str_list", None, None, ""),
    ("coordinates.tickets", "工单经纬度的坐标系", "coordinate_system", None, None, ""),
    ("coordinates.grids", "网格边界的坐标系", "coordinate_system", None, None, ""),
]
# Rules of a load alone, validated as the others (one line naming the key) but left out of the rules the marts are
# built by (Rules.as_dict, its digest, mart_meta.rules_json): no figure depends on them, so changing one (or an
# upgrade that adds one) does not make the marts stale.
_LOAD_SPEC: list[tuple[str, str, str, float | None, float | None, str]] = [
    ("foreign_places.share_above", "区域外的导出·落不到本区域的行超过文件行数的", "pct", 0, 100, "%"),
    ("foreign_places.rows_above", "区域外的导出·且超过", "int", 0, 100_000_000, " 行"),
]
# Coordinate systems of exported points and shapes (etl/coords.py converts each to WGS84 as it is loaded).
COORDINATE_SYSTEMS = {"wgs84": "WGS84（GPS、天地图）", "gcj02": "GCJ-02（高德、腾讯）", "bd09": "BD-09（百度）"}
# Keys a rules file (or marts built before the key existed) may leave out, with the value they then take.
# Only keys added after users had rules files of their own: a file from before them keeps working.
PROACTIVE_SOURCES = ("网格员上报", "视频巡查")  # 未诉先办: the sources that find problems before anyone calls
# The area's own name (``[area] name``), for wall titles, the overview, 红黑榜 and the 周报's title and file name.
# It counts nothing, so it stays out of :meth:`Rules.as_dict` and the digest: renaming the area must not make the
# marts stale. Empty or absent: 全区, or the street on a one-street warehouse (onescreen/area.py).
AREA_NAME_KEY = "area.name"
AREA_NAME_MAX_CHARS = 30
_AREA_NAME_FORBIDDEN = '\\/:*?"<>|'  # the name is part of the 周报's file name
_DEFAULTS: dict[str, Any] = {"repeat.window_days": 30, "proactive.sources": list(PROACTIVE_SOURCES),
                             "lights.red_min_denominator": 5, "callback.window_days": 7,
                             "coordinates.tickets": "wgs84", "coordinates.grids": "wgs84",
                             "foreign_places.share_above": 50.0, "foreign_places.rows_above": 50}


@dataclass(frozen=True)
class Targets:
    response_rate: float
    resolution_rate: float
    satisfaction_rate: float


@dataclass(frozen=True)
class CompositeWeights:
    response: float
    resolution: float
    satisfaction: float


@dataclass(frozen=True)
class LightRules:
    red_on_time_rate_below: float
    red_overdue_at_least: int
    yellow_on_time_rate_below: float
    # The on-time rate lights a grid red only over at least so many due or closed tickets: 0 of 1 is not a
    # red light (a grid's week is often 2-6 tickets); below it the rate can light yellow at most.
    red_min_denominator: int = 5


@dataclass(frozen=True)
class PropertyRules:
    categories: tuple[str, ...]
    appeal_types: tuple[str, ...]   # a ticket without an appeal type counts too
    min_households: int
    min_inspections: int
    inspection_weight: float
    complaint_weight: float
    complaint_points_per_1k: float
    list_size_max: int
    list_size_divisor: int


@dataclass(frozen=True)
class Rules:
    """The rules in force. Percentages are 0-100, weights 0-1, deadlines in working days."""

    targets: Targets
    composite_weights: CompositeWeights
    response_limit_hours: float
    fallback_deadline_workdays: int
    deadline_workdays: tuple[tuple[str, int], ...]  # (appeal type, working days)
    basic_satisfied_weight: float
    near_deadline_workdays: float
    min_denominator: int
    lights: LightRules
    property_rules: PropertyRules
    repeat_window_days: int = 30    # 重复诉求: same caller, same first-level category, within so many days
    proactive_sources: tuple[str, ...] = PROACTIVE_SOURCES
    # 回访期: days after closure within which a ticket's callback may still come (解决率/满意率 wait for it)
    callback_window_days: int = 7
    # The coordinate systems exports write ticket points and grid shapes in (COORDINATE_SYSTEMS); loads store WGS84.
    ticket_coordinates: str = "wgs84"
    grid_coordinates: str = "wgs84"
    # A ticket file is another area's export (refused unless confirmed) when more than this share (%) of its rows,
    # and more than this many rows, land in no loaded street (etl.load_tickets.foreign_places_message). Load-only
    # (_LOAD_SPEC): not in as_dict.
    foreign_share_above: float = 50.0
    foreign_rows_above: int = 50

    def deadline_for(self, appeal_type: str | None) -> int:
        """Default deadline in working days for an appeal type (fallback when unknown or empty)."""
        return dict(self.deadline_workdays).get(appeal_type or "", self.fallback_deadline_workdays)

    def as_dict(self) -> dict[str, Any]:
        """The rules shaped like the TOML file (what the digest and ``mart_meta.rules_json`` hold)."""
        t, w, lt, p = self.targets, self.composite_weights, self.lights, self.property_rules
        return {
            "targets": {"response_rate": t.response_rate, "resolution_rate": t.resolution_rate,
                        "satisfaction_rate": t.satisfaction_rate},
            "composite_weights": {"response": w.response, "resolution": w.resolution,
                                  "satisfaction": w.satisfaction},
            "response": {"limit_hours": self.response_limit_hours},
            "deadlines": {"fallback_workdays": self.fallback_deadline_workdays,
                          "by_appeal_type": dict(self.deadline_workdays)},
            "satisfaction": {"basic_satisfied_weight": self.basic_satisfied_weight},
            "near_deadline": {"window_workdays": self.near_deadline_workdays},
            "ranking": {"min_denominator": self.min_denominator},
            "lights": {"red_on_time_rate_below": lt.red_on_time_rate_below,
                       "red_overdue_at_least": lt.red_overdue_at_least,
                       "red_min_denominator": lt.red_min_denominator,
                       "yellow_on_time_rate_below": lt.yellow_on_time_rate_below},
            "property": {"categories": list(p.categories), "appeal_types": list(p.appeal_types),
                         "min_households": p.min_households,
                         "min_inspections": p.min_inspections, "inspection_weight": p.inspection_weight,
                         "complaint_weight": p.complaint_weight,
                         "complaint_points_per_1k": p.complaint_points_per_1k,
                         "list_size_max": p.list_size_max, "list_size_divisor": p.list_size_divisor},
            "repeat": {"window_days": self.repeat_window_days},
            "proactive": {"sources": list(self.proactive_sources)},
            "callback": {"window_days": self.callback_window_days},
            "coordinates": {"tickets": self.ticket_coordinates, "grids": self.grid_coordinates},
        }

    def to_json(self) -> str:
        """Canonical JSON of :meth:`as_dict` (sorted keys, Chinese kept readable)."""
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True)

    def digest(self) -> str:
        """First 12 hex digits of the SHA-256 of :meth:`to_json`: shows which rules built the marts."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()[:12]

    def in_force(self) -> list[tuple[str, str]]:
        """(label, value) pairs in Chinese for the "现行规则" panel, in file order."""
        return list(self.in_force_by_key().values())

    def describe(self) -> list[tuple[str, str]]:
        """Alias of :meth:`in_force` (the name the UI helpers use)."""
        return self.in_force()

    def in_force_by_key(self) -> dict[str, tuple[str, str]]:
        """The same pairs keyed by dotted rule key (``targets.response_rate``), for 口径 texts."""
        data = self.as_dict()
        pairs: dict[str, tuple[str, str]] = {}
        for key, label, kind, _lo, _hi, unit in _SPEC:
            value = _get(data, key)
            if kind == "workday_map":
                text = "、".join(f"{k} {v}" for k, v in value.items())
                pairs[key] = (label, f"{text}{unit}")
            elif kind == "str_list":
                pairs[key] = (label, "、".join(value) or "全部")
            elif kind == "coordinate_system":
                pairs[key] = (label, COORDINATE_SYSTEMS[value])
            else:
                pairs[key] = (label, f"{_fmt(value)}{unit}")
        return pairs


def load_rules(path: Path | None = None) -> Rules:
    """Read and validate the rules file (default ``settings.rules_path()``).

    Raises :class:`RulesError` naming the file and the key when the file is missing, is not TOML,
    lacks a key, has a key it does not know, or holds a value of the wrong type or out of range.
    """
    path = Path(path) if path is not None else settings.rules_path()
    return rules_from_dict(_read(path), source=str(path))


def load_area_name(path: Path | None = None) -> str:
    """The ``[area] name`` of the rules file (default ``settings.rules_path()``), stripped; "" when absent.

    Checks only the ``[area]`` section (a typo elsewhere is :func:`load_rules`'s to report), and raises
    :class:`RulesError` as :func:`load_rules` does: for an unreadable file, an unknown key under ``[area]`` or a
    name that cannot title a page or name a file.
    """
    path = Path(path) if path is not None else settings.rules_path()
    data = _read(path)
    section = data.get("area", {})
    _refuse_unknown_keys({"area": section}, str(path))
    return _area_name(str(path), section)


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError(f"找不到规则文件 {path}：请从仓库的 config/rules.toml 复制一份。") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"规则文件 {path} 不是合法的 TOML：{exc}。") from None


def _area_name(source: str, section: dict[str, Any]) -> str:
    value = section.get("name", "")
    name = value.strip() if isinstance(value, str) else None
    if (name is None or len(name) > AREA_NAME_MAX_CHARS or any(c in _AREA_NAME_FORBIDDEN for c in name)
            or any(not c.isprintable() for c in name)):
        raise RulesError(f"{source} 中 {AREA_NAME_KEY} 应为不超过 {AREA_NAME_MAX_CHARS} 个字的一行文字，不含 "
                         f"{' '.join(_AREA_NAME_FORBIDDEN)}（它也是周报文件名的一部分），例如 \"南湖区\"；"
                         f"留空则按原样称“全区”或唯一街道的名称，现为 {value!r}。", AREA_NAME_KEY)
    return name


def rules_of_marts(rules_json: str) -> Rules:
    """The rules stored with the marts (``mart_meta.rules_json``), for showing what they were built by.

    Marts built before a rule existed lack its key; they are shown with what they counted then: before
    ``property.appeal_types``, property complaints counted every appeal type (an empty tuple, shown as
    全部). Such marts are stale, and the next ``etl refresh`` rebuilds them by the rules in force.
    """
    data = json.loads(rules_json)
    every_type = isinstance(data.get("property"), dict) and "appeal_types" not in data["property"]
    if every_type:
        data["property"]["appeal_types"] = ["全部"]
    rules = rules_from_dict(data, source="mart_meta.rules_json")
    if every_type:
        rules = dataclasses.replace(rules, property_rules=dataclasses.replace(rules.property_rules, appeal_types=()))
    return rules


def rules_from_dict(data: dict[str, Any], source: str = "规则") -> Rules:
    """Validate a TOML-shaped dict (as :meth:`Rules.as_dict` writes it) and build :class:`Rules`."""
    _refuse_unknown_keys(data, source)
    _area_name(source, data.get("area", {}))  # checked with the rest; read by load_area_name (not a 口径)
    v = {key: _check(source, key, _lookup(data, key, source), kind, lo, hi)
         for key, _label, kind, lo, hi, _unit in _SPEC + _LOAD_SPEC}
    _check_sum(source, "composite_weights", [v["composite_weights.response"],
               v["composite_weights.resolution"], v["composite_weights.satisfaction"]])
    _check_sum(source, "property.inspection_weight",
               [v["property.inspection_weight"], v["property.complaint_weight"]],
               what="property.inspection_weight 与 property.complaint_weight 之和")
    if v["lights.yellow_on_time_rate_below"] < v["lights.red_on_time_rate_below"]:
        raise RulesError(f"{source} 中 lights.yellow_on_time_rate_below 不能小于 lights.red_on_time_rate_below"
                         f"（黄灯阈值应不低于红灯阈值）。", "lights.yellow_on_time_rate_below")
    return Rules(
        targets=Targets(v["targets.response_rate"], v["targets.resolution_rate"],
                        v["targets.satisfaction_rate"]),
        composite_weights=CompositeWeights(v["composite_weights.response"],
                                           v["composite_weights.resolution"],
                                           v["composite_weights.satisfaction"]),
        response_limit_hours=v["response.limit_hours"],
        fallback_deadline_workdays=v["deadlines.fallback_workdays"],
        deadline_workdays=tuple(v["deadlines.by_appeal_type"].items()),
        basic_satisfied_weight=v["satisfaction.basic_satisfied_weight"],
        near_deadline_workdays=v["near_deadline.window_workdays"],
        min_denominator=v["ranking.min_denominator"],
        lights=LightRules(v["lights.red_on_time_rate_below"], v["lights.red_overdue_at_least"],
                          v["lights.yellow_on_time_rate_below"], v["lights.red_min_denominator"]),
        property_rules=PropertyRules(tuple(v["property.categories"]), tuple(v["property.appeal_types"]),
                               v["property.min_households"],
                               v["property.min_inspections"], v["property.inspection_weight"],
                               v["property.complaint_weight"], v["property.complaint_points_per_1k"],
                               v["property.list_size_max"], v["property.list_size_divisor"]),
        repeat_window_days=v["repeat.window_days"],
        proactive_sources=tuple(v["proactive.sources"]),
        callback_window_days=v["callback.window_days"],
        ticket_coordinates=v["coordinates.tickets"],
        grid_coordinates=v["coordinates.grids"],
        foreign_share_above=v["foreign_places.share_above"],
        foreign_rows_above=v["foreign_places.rows_above"],
    )


def _get(data: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        data = data[part]
    return data


def _lookup(data: dict[str, Any], key: str, source: str) -> Any:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            if key in _DEFAULTS:
                return _DEFAULTS[key]
            raise RulesError(f"{source} 缺少 {key}：请按 config/rules.toml 的样子补上。", key)
        node = node[part]
    return node


def _refuse_unknown_keys(data: dict[str, Any], source: str) -> None:
    known = {key for key, *_ in _SPEC + _LOAD_SPEC} | {AREA_NAME_KEY}
    prefixes = {key.rsplit(".", 1)[0] for key in known}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, value in node.items():
            key = f"{prefix}{name}"
            if key in known:
                continue
            if key in prefixes and isinstance(value, dict):
                walk(value, key + ".")
            else:
                raise RulesError(f"{source} 中有不认识的键 {key}：请检查拼写，或删除它。", key)

    walk(data, "")


def _check(source: str, key: str, value: Any, kind: str, lo: float | None, hi: float | None) -> Any:
    def fail(expected: str) -> RulesError:
        return RulesError(f"{source} 中 {key} 应为{expected}，现为 {value!r}。", key)

    if kind == "coordinate_system":
        if not isinstance(value, str) or value.strip().lower() not in COORDINATE_SYSTEMS:
            return _raise(fail("\"wgs84\"、\"gcj02\" 或 \"bd09\" 之一"))
        return value.strip().lower()
    if kind == "str_list":
        if (not isinstance(value, list) or not value
                or not all(isinstance(x, str) and x.strip() for x in value)):
            example = {"property.appeal_types": '["投诉", "举报"]', "proactive.sources": '["网格员上报", "视频巡查"]'}.get(
                key, '["物业管理"]')
            return _raise(fail(f"非空的文字列表，例如 {example}"))
        return [x.strip() for x in value]
    if kind == "workday_map":
        if not isinstance(value, dict) or not value:
            return _raise(fail("“诉求类型 = 工作日数”的表"))
        for name, days in value.items():
            _check(source, f"{key}.{name}", days, "int", lo, hi)
        return {str(name): int(days) for name, days in value.items()}
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            return _raise(fail(f" {_fmt(lo)} 到 {_fmt(hi)} 之间的整数"))
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not lo <= value <= hi:
        return _raise(fail(f" {_fmt(lo)} 到 {_fmt(hi)} 之间的数"))
    return float(value)


def _check_sum(source: str, key: str, values: list[float], what: str | None = None) -> None:
    if abs(sum(values) - 1.0) > 1e-6:
        what = what or f"{key} 下各权重之和"
        raise RulesError(f"{source} 中 {what}应为 1，现为 {_fmt(sum(values))}。", key)


def _raise(error: RulesError) -> Any:
    raise error


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}" if value == round(value, 6) else f"{value:.6g}"
    return str(value)
