"""``filters.unit_filters``: a breakdown row -> the URL filters that open its tickets."""

from __future__ import annotations

import pandas as pd

from onescreen.filters import unit_filters


def row(**values) -> pd.Series:
    base = {"unit_code": "X", "unit_name": "某单位", "street_code": None, "community_code": None, "grid_code": None}
    return pd.Series({**base, **values})


def test_a_geographic_unit_carries_its_parents():
    grid = row(unit_code="G1", unit_name="一网格", street_code="S1", community_code="C1", grid_code="G1")
    assert unit_filters(grid, "grid") == ("一网格", {"street_code": "S1", "community_code": "C1", "grid_code": "G1"})
    community = row(unit_code="C1", unit_name="一社区", street_code="S1", community_code="C1")
    assert unit_filters(community, "community") == ("一社区", {"street_code": "S1", "community_code": "C1"})
    assert unit_filters(row(unit_code="S1", unit_name="一街道", street_code="S1"), "street") == ("一街道", {"street_code": "S1"})


def test_source_and_category_are_filters_too():
    assert unit_filters(row(unit_code="随手拍", unit_name="随手拍"), "source") == ("随手拍", {"source": "随手拍"})
    assert unit_filters(row(unit_code="物业管理", unit_name="物业管理"), "category") == ("物业管理", {"category": "物业管理"})


def test_no_link_where_no_filter_fits():
    assert unit_filters(row(unit_code="unassigned", unit_name="未落格"), "grid") is None
    assert unit_filters(row(unit_code="区住建局", unit_name="区住建局"), "department") is None
    assert unit_filters(row(unit_code="G9", grid_code="G9", street_code=float("nan")), "grid") is None
