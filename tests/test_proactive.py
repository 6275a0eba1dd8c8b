"""未诉先办 (proactive share): tickets of the sources that find problems first (``proactive.sources`` in
config/rules.toml: 网格员上报 and 视频巡查) among all tickets received, by area and period. The district is
tests/test_repeat_requests.py's (tests/metrics_fixture.py plus its calls); expected figures are counted here
from the ticket lists, not by the code under test."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # until the project sets pythonpath

from metrics_fixture import GRID_REPORT, TICKETS, VIDEO  # noqa: E402
from onescreen import measures  # noqa: E402
from onescreen.queries import run_query  # noqa: E402
from onescreen.rules import RulesError, load_rules, rules_from_dict  # noqa: E402
from test_repeat_requests import CALLS, build, october_page, served  # noqa: E402,F401

PROACTIVE = (GRID_REPORT, VIDEO)


def received(month: str, street: str | None = None) -> list[str]:
    """The sources of the district's tickets received in ``month`` (``2025-10``), in ``street`` if given."""
    streets = {"G1": "S1", "G2": "S1", "G3": "S1", "G4": "S2"}
    rows = [(t["source"], t.get("street_code") or streets.get(t["grid_code"])) for t in TICKETS
            if str(t["received_at"]).startswith(month)]
    rows += [(c[5], streets[c[1]]) for c in CALLS if c[2].startswith(month)]
    return [source for source, s in rows if street is None or s == street]


@pytest.fixture(scope="module")
def con():
    connection = build()
    yield connection
    connection.close()


def test_proactive_counts_the_listed_sources_this_period_and_the_last():
    mix = pd.DataFrame({"source": ["12345热线", "网格员上报", "视频巡查", "随手拍"],
                        "ticket_count": [60, 25, 5, 10], "previous_ticket_count": [70, 20, 0, 10]})
    found = measures.proactive(mix, PROACTIVE)
    assert (found.count, found.total, found.previous_count, found.previous_total) == (30, 100, 20, 100)
    assert found.share == 30.0 and found.previous_share == 20.0 and found.change == pytest.approx(10.0)
    assert measures.proactive(mix, ("视频巡查",)).share == 5.0
    nothing = measures.proactive(mix.iloc[0:0], PROACTIVE)
    assert nothing.share is None and nothing.change is None


def test_the_mix_by_source_counts_each_source_by_area_and_period(con):
    october = run_query(con, "category_mix", by="source", limit=1000, period_type="month", period_start="2025-10-01")
    assert dict(zip(october["source"], october["ticket_count"])) == pd.Series(received("2025-10")).value_counts().to_dict()
    assert dict(zip(october["source"], october["previous_ticket_count"])) == \
        pd.Series(received("2025-09")).value_counts().reindex(october["source"], fill_value=0).to_dict()
    street = run_query(con, "category_mix", by="source", limit=1000, period_type="month", period_start="2025-10-01",
                       street_code="S2")
    assert street["ticket_count"].sum() == len(received("2025-10", "S2"))
    found = measures.proactive(october, PROACTIVE)
    sources = received("2025-10")
    assert found.count == sum(s in PROACTIVE for s in sources) > 0 and found.total == len(sources)


def test_the_proactive_sources_are_a_rule_a_file_may_leave_out():
    assert load_rules().proactive_sources == PROACTIVE
    data = load_rules().as_dict()
    del data["proactive"]
    assert rules_from_dict(data).proactive_sources == PROACTIVE
    data["proactive"] = {"sources": []}
    with pytest.raises(RulesError, match=r"proactive\.sources 应为非空的文字列表，例如 \[\"网格员上报\", \"视频巡查\"\]"):
        rules_from_dict(data)


def test_the_rates_page_and_the_big_screen_show_the_share(served):
    sources = received("2025-10")
    share = 100 * sum(s in PROACTIVE for s in sources) / len(sources)
    before = received("2025-09")
    change = share - 100 * sum(s in PROACTIVE for s in before) / len(before)
    rates = october_page("rates.py")
    metric = [m for m in rates.metric if m.label == "未诉先办（主动发现占比）"]
    assert len(metric) == 1 and metric[0].value == f"{share:.1f}%"
    assert f"{change:+.1f} 个百分点 环比" in metric[0].delta
    wall = october_page("overview.py", kiosk="1")
    line = [m.value for m in wall.markdown if "小事不出网格" in m.value][0]
    assert f"未诉先办 <b>{share:.0f}%</b>" in line


def test_the_report_counts_proactive_tickets_with_the_escalation(con):
    from onescreen.report import build_report, parse_period

    rows = build_report(con, parse_period("2025-10")).sections["escalation"].frame.set_index("key")
    sources = received("2025-10")
    assert rows.loc["proactive_count", "count"] == sum(s in PROACTIVE for s in sources)
    assert rows.loc["proactive_count", "denominator"] == len(sources)
    assert rows.loc["proactive_count", "item"] == "未诉先办：主动发现的工单（网格员上报、视频巡查）"


def test_a_quarters_report_adds_up_its_months(con):
    from onescreen.report import build_report, parse_period

    rows = build_report(con, parse_period("2025Q4")).sections["escalation"].frame.set_index("key")
    sources = received("2025-10") + received("2025-11") + received("2025-12")
    assert rows.loc["proactive_count", "count"] == sum(s in PROACTIVE for s in sources)
    assert rows.loc["proactive_count", "denominator"] == len(sources) > len(received("2025-10"))


def test_the_rates_page_says_the_share_ignores_a_category_filter(served):
    rates = october_page("rates.py", category="市容环境")
    sources = received("2025-10")   # every category: the share is by area only
    metric = [m for m in rates.metric if m.label == "未诉先办（主动发现占比）"][0]
    assert metric.value == f"{100 * sum(s in PROACTIVE for s in sources) / len(sources):.1f}%"
    captions = [c.value for c in rates.caption if c.value.startswith("主动发现 ")]
    assert captions == [f"主动发现 {sum(s in PROACTIVE for s in sources):,} 件 / 受理 {len(sources):,} 件"
                        "（本区域全部来源、分类，未按所选来源、分类筛选）"]
