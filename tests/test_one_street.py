"""A street that installs OneScreen for itself: the whole area is that street.

The fixture district (tests/conftest.py) is such an install: one street, 南宁街道 (530302001), two communities, four
grids, loaded through the real ETL from hand-made files. An account over the whole warehouse (demo mode here) saw
"全区 基层治理一屏总览", "全区 物业红黑榜", a ``全区周报-….html`` and a 街道排名 of one bar; the street is named instead
and its communities are ranked (社区排名).
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conftest import run_cli  # noqa: E402
from onescreen import area  # noqa: E402

APP = str(Path(__file__).resolve().parent.parent / "app.py")
STREET = "南宁街道"


def _run(page: str | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}")
        at.run()
    assert [e.value for e in at.exception] == [] and not at.error
    return at


def _texts(at) -> str:
    return " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)


def test_the_whole_area_is_named_for_its_street_only_when_there_is_one():
    one = pd.DataFrame({"street_code": ["QS"], "street_name": ["青山街道"]})
    two = pd.DataFrame({"street_code": ["QS", "LS"], "street_name": ["青山街道", "绿水街道"]})
    unnamed = pd.DataFrame({"street_code": ["QS"], "street_name": [None]})
    assert area.whole_area_name(one) == "青山街道" and area.ranking_level(one) == "community"
    assert area.whole_area_name(two) == "全区" and area.ranking_level(two) == "street"
    assert area.whole_area_name(unnamed) == "QS"
    assert area.whole_area_name(one.iloc[0:0]) == "全区"


def test_the_overview_names_the_street_and_ranks_its_communities(warehouse_copy):
    at = _run(query={"period_type": "month", "period_start": "2025-10-01"})
    titles = [m.value for m in at.markdown if "基层治理一屏总览" in m.value]
    assert titles == [f"### {STREET} 基层治理一屏总览"]
    text = _texts(at)
    assert "社区排名（" in text and "街道排名（" not in text and "全区" not in text
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        communities = {r[0] for r in con.execute("select community_name from dim_communities").fetchall()}
    assert len(communities) == 2
    on_wall = _run(query={"period_type": "month", "period_start": "2025-10-01", "kiosk": "1"})
    svg = _texts(on_wall)
    assert "社区排名" in svg and all(name in svg for name in communities)


def test_the_red_black_wall_names_the_street(warehouse_copy):
    at = _run("companies.py", query={"kiosk": "1"})
    assert any(m.value.startswith("### ") and f"{STREET} 物业红黑榜" in m.value for m in at.markdown)
    assert "全区" not in _texts(at)


def test_the_weekly_report_is_the_streets(warehouse_copy, tmp_path, capsys, monkeypatch):
    from onescreen import settings

    monkeypatch.setattr(settings, "DATA_DIR", tmp_path)
    code, stdout, _ = run_cli(["report", "--week", "2025-W40", "--quiet"], capsys)
    assert code == 0, stdout
    assert [p.name for p in (tmp_path / "reports").iterdir()] == [f"{STREET}周报-2025-W40.html"]
    assert stdout.startswith(f"已生成{STREET}周报 2025年第40周")


def test_the_rates_page_says_its_breakdowns_count_the_street(warehouse_copy):
    """A breakdown by source counts the whole area, which on this install is the street, not a district."""
    at = _run("rates.py", {"period_type": "month", "period_start": "2025-10-01"})
    at.selectbox(key="rates_level").set_value("source").run()
    captions = " ".join(c.value for c in at.caption)
    assert f"按诉求来源分解为{STREET}口径" in captions and "全区口径" not in captions
