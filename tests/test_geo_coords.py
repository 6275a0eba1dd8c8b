"""Coordinate systems: GCJ-02 (高德、腾讯) and BD-09 (百度) points and shapes are converted to WGS84 as they are
loaded ([coordinates] of config/rules.toml), checked against published reference pairs; a load whose points
fall outside every grid but would fall inside in another system says which system and which setting."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from etl.coords import bd09_to_gcj02, from_wgs84, gcj02_to_bd09, gcj02_to_wgs84, to_wgs84, wgs84_to_gcj02
from etl.geo import geometry_record
from etl.load import load_files
from onescreen.rules import RulesError, load_rules

from conftest import ROOT
from test_load import query

# (WGS84 lon, lat) -> (GCJ-02 lon, lat): the test pairs of googollee/eviltransform (Shanghai, Shenzhen, Beijing).
GCJ_PAIRS = [((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
             ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
             ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069))]
# (from, to, point, expected): the test pairs of hujiulong/gcoord (to 5 decimal places there).
GCOORD_PAIRS = [("gcj02", "wgs84", (123, 45), (122.99395597, 44.99804071)),
                ("gcj02", "bd09", (123, 45), (123.00636499, 45.00636899)),
                ("bd09", "gcj02", (123, 45), (122.99363304, 44.99365430)),
                ("bd09", "wgs84", (123, 45), (122.98762210, 44.99171540)),
                ("wgs84", "bd09", (123, 45), (123.0124491, 45.0083293)),
                ("wgs84", "gcj02", (123, 45), (123.00607541, 45.00197815))]


@pytest.mark.parametrize("wgs, gcj", GCJ_PAIRS)
def test_wgs84_to_gcj02_matches_the_reference_pairs(wgs, gcj):
    assert np.allclose(wgs84_to_gcj02(*wgs), gcj, rtol=0, atol=1e-9)
    assert np.allclose(gcj02_to_wgs84(*gcj), wgs, rtol=0, atol=1e-8)   # under a millimetre


@pytest.mark.parametrize("source, target, point, expected", GCOORD_PAIRS)
def test_conversions_match_gcoord(source, target, point, expected):
    converted = {("gcj02", "bd09"): gcj02_to_bd09, ("bd09", "gcj02"): bd09_to_gcj02}.get((source, target))
    if converted is None:
        converted = (lambda x, y: to_wgs84(x, y, source)) if target == "wgs84" else (lambda x, y: from_wgs84(x, y, target))
    assert np.allclose(converted(*point), expected, rtol=0, atol=5e-6)


def test_conversions_are_vectorised_round_trips_and_leave_points_outside_china():
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(74, 134, 10_000), rng.uniform(18, 53, 10_000)
    for system, tolerance in (("gcj02", 1e-9), ("bd09", 1e-5)):   # BD-09's published inverse is approximate
        back = from_wgs84(*to_wgs84(lon, lat, system), system)
        assert np.abs(back[0] - lon).max() < tolerance and np.abs(back[1] - lat).max() < tolerance
    assert np.array_equal(np.column_stack(to_wgs84([2.35, np.nan], [48.85, 30.0], "gcj02")),
                          [[2.35, 48.85], [np.nan, np.nan]], equal_nan=True)


def test_a_grid_shape_in_gcj02_is_stored_in_wgs84():
    ring = [[103.78, 25.48], [103.79, 25.48], [103.79, 25.49], [103.78, 25.49], [103.78, 25.48]]
    text = json.dumps({"type": "Polygon", "coordinates": [ring]})
    stored = np.array(json.loads(geometry_record(text, "gcj02")[0])["coordinates"][0])
    assert np.allclose(stored, np.column_stack(gcj02_to_wgs84(*np.array(ring).T)), rtol=0, atol=1e-12)
    assert not np.allclose(stored, ring, rtol=0, atol=1e-3)   # 200-300 m apart here


def _rules(tmp_path: Path, monkeypatch, tickets: str = "wgs84", grids: str = "wgs84") -> Path:
    text = (ROOT / "config" / "rules.toml").read_text(encoding="utf-8")
    text = text.replace('tickets = "wgs84"', f'tickets = "{tickets}"').replace('grids = "wgs84"', f'grids = "{grids}"')
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("ONESCREEN_RULES", str(path))
    return path


def test_a_coordinate_system_the_program_does_not_know_is_refused(tmp_path, monkeypatch):
    _rules(tmp_path, monkeypatch, tickets="gcj-02")
    with pytest.raises(RulesError, match="coordinates.tickets 应为\"wgs84\"、\"gcj02\" 或 \"bd09\" 之一"):
        load_rules()


# Points inside the fixture grids DF-01 and DF-02 (south row, 103.78-103.80 x 25.48-25.49), near their south edge: in
# GCJ-02 they lie some 330 m further south, outside every grid.
WGS_POINTS = [(103.7805 + 0.0018 * i, 25.4812 + 0.0001 * i) for i in range(10)]
HEADER = "工单编号,来电时间,诉求类型,一级分类,诉求内容,经度,纬度"


def _points_export(path: Path, system: str) -> Path:
    lon, lat = from_wgs84(*np.array(WGS_POINTS).T, system)
    rows = [f"P{i:02d},2025-10-09 09:00:00,投诉,市容环境,路灯不亮,{x:.6f},{y:.6f}" for i, (x, y) in enumerate(zip(lon, lat))]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _placed(path: Path) -> list[tuple]:
    return query(path, "select ticket_id, grid_code, placed_by, round(lon, 6), round(lat, 6) from fct_tickets "
                       "where ticket_id like 'P__' order by 1")


def test_gcj02_points_against_wgs84_grids_are_said_with_the_setting_to_change(warehouse_copy, tmp_path, monkeypatch):
    _rules(tmp_path, monkeypatch)
    report = load_files([_points_export(tmp_path / "amap.csv", "gcj02")]).files[0]
    assert {row[2] for row in _placed(warehouse_copy)} == {"none"}
    hint = next(w for w in report.warnings if "坐标" in w and "[coordinates]" in w)
    assert hint == ("10 条有经纬度的工单落在所有网格之外；若工单经纬度是 GCJ-02（高德、腾讯） 坐标，其中 10 条能落入网格。"
                    "规则文件 config/rules.toml 的 [coordinates] tickets 现为 \"wgs84\"，工单经纬度确是 GCJ-02（高德、腾讯） 时"
                    "请改为 tickets = \"gcj02\"，再撤销本批次、重新导入这个文件。")


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_points_in_the_configured_system_are_placed_and_stored_in_wgs84(warehouse_copy, tmp_path, monkeypatch, system):
    _rules(tmp_path, monkeypatch, tickets=system)
    report = load_files([_points_export(tmp_path / f"{system}.csv", system)]).files[0]
    placed = _placed(warehouse_copy)
    assert [(grid, how) for _, grid, how, *_ in placed] == [("DF-01", "coordinates")] * 6 + [("DF-02", "coordinates")] * 4
    assert np.allclose([row[3:] for row in placed], WGS_POINTS, rtol=0, atol=3e-6)
    assert not any("[coordinates]" in w for w in report.warnings)


def test_wgs84_points_load_as_before_without_a_hint(warehouse_copy, tmp_path, monkeypatch):
    _rules(tmp_path, monkeypatch)
    report = load_files([_points_export(tmp_path / "gps.csv", "wgs84")]).files[0]
    assert {row[2] for row in _placed(warehouse_copy)} == {"coordinates"}
    assert not any("[coordinates]" in w for w in report.warnings)
