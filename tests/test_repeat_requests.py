"""重复诉求: a caller (one phone number) asking again about the same first-level category within
``repeat.window_days`` (config/rules.toml, 30) of their previous request. The tickets below are added to
tests/metrics_fixture.py's district; every expected figure is worked out by hand from them.

    caller A, 13800001111 written four ways:
      R1 10-02 物业管理 (first)        R2 10-20 物业管理, 18 days after R1: a repeat
      R3 10-25 城市管理 (another category: not a repeat)
      R4 11-25 物业管理, 36 days after R2: not a repeat at 30 days, a repeat at 40
    caller B, landline 0874-3135265:
      R5 09-20 噪音扰民 (first)        R6 10-05 噪音扰民 in G4 (street S2), 15 days after R5: a repeat
    no phone (R8, R9) and a 5-digit number (R10, R11): the same category on the same day, never repeats.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # until the project sets pythonpath

from etl.marts import build_marts  # noqa: E402
from metrics_fixture import TICKETS, at, build_warehouse  # noqa: E402
from onescreen.queries import run_query  # noqa: E402
from onescreen.rules import RulesError, load_rules, rules_from_dict, rules_of_marts  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PLACES = {"G1": ("C1", "一社区", "S1", "一街道"), "G4": ("C3", "三社区", "S2", "二街道")}
CALLS = [  # ticket_id, grid, received_at, category_l1, caller_phone
    ("R1", "G1", "2025-10-02 09:00", "物业管理", "13800001111"),
    ("R2", "G1", "2025-10-20 10:00", "物业管理", "138-0000-1111"),
    ("R3", "G1", "2025-10-25 11:00", "城市管理", "+86 138 0000 1111"),
    ("R4", "G1", "2025-11-25 12:00", "物业管理", "8613800001111"),
    ("R5", "G4", "2025-09-20 08:00", "噪音扰民", "0874-3135265"),
    ("R6", "G4", "2025-10-05 08:30", "噪音扰民", "(0874)3135265"),
    ("R8", "G1", "2025-10-10 09:00", "市容环境", None),
    ("R9", "G1", "2025-10-10 10:00", "市容环境", None),
    ("R10", "G1", "2025-10-11 09:00", "市容环境", "12345"),
    ("R11", "G1", "2025-10-11 10:00", "市容环境", "12345"),
]
PHONE_DIGITS = ("13800001111", "3135265")
OCTOBER = dict(start="2025-10-01", end="2025-10-31")


def build(path=":memory:", **rule_changes):
    con = duckdb.connect(str(path))
    build_warehouse(con)
    for ticket_id, grid, received, category, phone in CALLS:
        community, community_name, street, street_name = PLACES[grid]
        con.execute(
            "insert into fct_tickets (ticket_id, feed, source, appeal_type, category_l1, received_at, street_code,"
            " street_name, community_code, community_name, grid_code, placed_by, has_timeline_error, row_hash,"
            " batch_id) values (?, 'hotline', '12345热线', '投诉', ?, ?, ?, ?, ?, ?, ?, 'grid_code', false, 'h', 1)",
            [ticket_id, category, received, street, street_name, community, community_name, grid])
        con.execute("insert into ticket_pii (ticket_id, caller_name, caller_phone, batch_id) values (?, '张三', ?, 1)",
                    [ticket_id, phone])
    build_marts(con, dataclasses.replace(load_rules(), **rule_changes))
    return con


@pytest.fixture(scope="module")
def con():
    connection = build()
    yield connection
    connection.close()


def repeats(con) -> dict:
    return {row[0]: row[1:] for row in con.execute(
        "select ticket_id, previous_ticket_id, caller_no, days_since_previous from mart_repeat_requests").fetchall()}


def test_a_repeat_is_the_same_number_and_category_within_the_window(con):
    # R2 comes back to R1 (18 days); R6 to R5 (15 days, the number with brackets); callers are numbered
    # by their first ticket: A (R1) is 1, B (R5) is 2.
    assert repeats(con) == {"R2": ("R1", 1, 18), "R6": ("R5", 2, 15)}


def test_the_window_is_a_rule(tmp_path):
    wider = build(repeat_window_days=40)
    try:
        assert repeats(wider) == {"R2": ("R1", 1, 18), "R4": ("R2", 1, 36), "R6": ("R5", 2, 15)}
    finally:
        wider.close()


def test_repeat_summary_counts_the_window_and_the_one_before(con):
    october = [t for t in TICKETS if str(t["received_at"]).startswith("2025-10")]
    september = [t for t in TICKETS if str(t["received_at"]).startswith("2025-09")]
    mine_october = [c for c in CALLS if c[2].startswith("2025-10")]   # R1 R2 R3 R6 R8 R9 R10 R11
    summary = run_query(con, "repeat_summary", previous_start="2025-09-01", **OCTOBER).iloc[0].to_dict()
    assert summary["ticket_count"] == len(october) + len(mine_october)
    assert summary["repeat_count"] == 2 and summary["caller_count"] == 2
    assert summary["repeat_share"] == pytest.approx(200 / (len(october) + 8))
    assert summary["previous_ticket_count"] == len(september) + 1   # R5
    assert summary["previous_repeat_count"] == 0 and summary["previous_repeat_share"] == 0
    # Without a window before, the previous figures are null, not 0.
    alone = run_query(con, "repeat_summary", **OCTOBER).iloc[0]
    assert alone["repeat_count"] == 2 and alone.isna()["previous_repeat_count"]


def test_repeat_queries_follow_the_area_and_category_filters(con):
    street = run_query(con, "repeat_summary", street_code="S2", **OCTOBER).iloc[0]
    assert (street["repeat_count"], street["caller_count"]) == (1, 1)
    assert list(run_query(con, "repeat_callers", grid_code="G4", **OCTOBER)["first_ticket_id"]) == ["R5"]
    assert run_query(con, "repeat_summary", category_l1="城市管理", **OCTOBER).iloc[0]["repeat_count"] == 0


def test_repeat_callers_lists_each_caller_and_category(con):
    callers = run_query(con, "repeat_callers", **OCTOBER)
    # Both have one repeat; the latest first. B's first ticket lies before the window.
    assert callers[["rank", "caller_no", "category_l1", "repeat_count", "shortest_gap_days", "first_ticket_id",
                    "last_ticket_id", "grid_name", "street_name"]].values.tolist() == [
        [1, 1, "物业管理", 1, 18, "R1", "R2", "网格1", "一街道"],
        [2, 2, "噪音扰民", 1, 15, "R5", "R6", "网格4", "二街道"]]
    assert callers["first_received_at"].tolist() == [at("2025-10-02 09:00"), at("2025-09-20 08:00")]
    assert callers["last_received_at"].tolist() == [at("2025-10-20 10:00"), at("2025-10-05 08:30")]
    assert len(run_query(con, "repeat_callers", limit=1, **OCTOBER)) == 1
    assert run_query(con, "repeat_callers", start="2025-11-01", end="2025-11-30").empty


def test_no_phone_number_leaves_the_mart_or_the_queries(con):
    frames = [con.execute("select * from mart_repeat_requests").df(),
              run_query(con, "repeat_callers", **OCTOBER),
              run_query(con, "repeat_summary", previous_start="2025-09-01", **OCTOBER)]
    text = " ".join(frame.astype(str).to_csv() for frame in frames)
    assert "R2" in text   # the search below would find a number in these frames
    assert not [digits for digits in PHONE_DIGITS if digits in text]
    assert "张三" not in text


def test_a_rules_file_from_before_the_repeat_rule_still_loads(tmp_path):
    text = (ROOT / "config" / "rules.toml").read_text(encoding="utf-8")
    before, _, _ = text.partition("\n[repeat]")
    older = tmp_path / "rules.toml"
    older.write_text(before, encoding="utf-8")
    assert load_rules(older).repeat_window_days == 30
    # ... and so do marts built before it (their rules_json has no "repeat").
    data = load_rules().as_dict()
    del data["repeat"]
    assert rules_of_marts(json.dumps(data, ensure_ascii=False)).repeat_window_days == 30


def test_a_bad_window_names_its_key():
    data = load_rules().as_dict()
    data["repeat"]["window_days"] = 0
    with pytest.raises(RulesError, match=r"repeat\.window_days 应为 1 到 366 之间的整数") as error:
        rules_from_dict(data)
    assert error.value.key == "repeat.window_days"
    assert ("重复诉求·距上次同类来电不超过", "30 天") in load_rules().in_force()


@pytest.fixture
def served(tmp_path, monkeypatch):
    """The warehouse above as the app's (ONESCREEN_DB)."""
    path = tmp_path / "warehouse.duckdb"
    build(path).close()
    monkeypatch.setenv("ONESCREEN_DB", str(path))
    from onescreen import db
    db.reset()
    yield path
    db.reset()


def october_page(page: str, **query) -> AppTest:
    at_ = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in {"period_type": "month", "period_start": "2025-10-01", **query}.items():
        at_.query_params[key] = value
    at_.run()
    at_.switch_page(f"app_pages/{page}")
    at_.run()
    assert [e.value for e in at_.exception] == []
    return at_


def test_the_big_screen_counts_the_repeat_requests(served):
    wall = october_page("overview.py", kiosk="1")
    line = [m.value for m in wall.markdown if "小事不出网格" in m.value]
    assert len(line) == 1 and "重复诉求 <b>2</b> 件" in line[0]
    street = october_page("overview.py", kiosk="1", street_code="S2")
    assert "重复诉求 <b>1</b> 件" in [m.value for m in street.markdown if "小事不出网格" in m.value][0]


def test_the_heat_page_shows_repeat_requests_and_their_callers(served):
    at_ = october_page("heat.py")
    metrics = {m.label: m.value for m in at_.metric}
    assert metrics["重复诉求"] == "2 件" and metrics["涉及来电人"] == "2 人"
    table = [d for d in at_.dataframe if "来电人" in d.value.columns]
    assert len(table) == 1
    assert table[0].value[["来电人", "一级分类", "重复（件）", "首次受理", "最近受理", "网格"]].values.tolist() == [
        ["来电人 1", "物业管理", 1, "2025-10-02 09:00", "2025-10-20 10:00", "网格1"],
        ["来电人 2", "噪音扰民", 1, "2025-09-20 08:00", "2025-10-05 08:30", "网格4"]]
    # The page is of the big-screen tier: neither a phone number nor a ticket number reaches it.
    page_text = " ".join(str(x.value) for x in [*at_.markdown, *at_.caption, *at_.metric]) + table[0].value.to_csv()
    assert not [digits for digits in PHONE_DIGITS if digits in page_text]
    assert not [ticket for ticket in ("R1", "R2", "R5", "R6") if ticket in page_text]


def test_the_monthly_report_lists_the_repeat_callers_without_their_numbers(con):
    from onescreen.report import build_report, parse_period
    from onescreen.report_render import render

    report = build_report(con, parse_period("2025-10"))
    section = report.sections["repeat_callers"]
    assert section.frame[["caller", "category_l1", "repeat_count", "first_ticket_id", "last_ticket_id"]].values.tolist() == [
        ["来电人 1", "物业管理", 1, "R1", "R2"], ["来电人 2", "噪音扰民", 1, "R5", "R6"]]
    assert section.note.startswith("本期重复诉求 2 件，占受理量 ")
    assert "上期 0 件" in section.note
    html = render(report, "html").decode("utf-8")
    assert "重复诉求：反复来电的来电人" in html and "2025-10-20 10:00" in html
    for fmt in ("html", "json"):
        text = render(report, fmt).decode("utf-8")
        assert "来电人 2" in text
        assert not [digits for digits in PHONE_DIGITS if digits in text]
    # A month without repeats says so.
    november = build_report(con, parse_period("2025-11")).sections["repeat_callers"]
    assert november.frame.empty and november.note.startswith("本期重复诉求 0 件")
