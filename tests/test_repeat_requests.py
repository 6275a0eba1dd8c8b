"""重复诉求: a citizen (one phone number) asking again about the same first-level category at most
``repeat.window_days`` (config/rules.toml, 30) calendar days after their previous request. The tickets below
are added to tests/metrics_fixture.py's district; every expected figure is worked out by hand from them.

    caller A, 13800001111 written five ways:
      R1 10-02 09:00 物业管理 (first)     R2 10-20 10:00 物业管理, 18 days after R1: a repeat
      R3 10-25 物业管理 "+86 138 0000 1111", 5 days after R2: a repeat
      R12 10-25 11:00 城市管理 "0086-13800001111" (another category: not a repeat)
      R4 11-25 12:00 物业管理 "8613800001111", 31 days after R3: not a repeat at 30 days, a repeat at 40
    caller B, landline 0874-3135265:
      R5 09-20 08:00 噪音扰民 (first)     R6 10-05 08:30 噪音扰民 "（0874）３１３５２６５" in G4 (street S2),
      15 days after R5: a repeat; R7 10-20 23:00 噪音扰民, exactly 15 days after R6 by date: a repeat
    caller C, 13900002222: R13 09-01 07:00 and R14 10-01 23:00 市容环境: 30 days apart by date, 30 days and 16
      hours by the clock: a repeat (the window counts days); R15 the same second as R14: one call, not a repeat
    caller D, 13700009999: R26 09-25 in G4 and R27 10-08 in G1, 城市管理: a repeat whose earlier call lies in
      another grid (a page for G1 does not name it)
    never repeats: no phone (R8, R9), a 5-digit number (R10, R11), 1.38E+10 and 138****1111 twice each
      (R16-R19), two numbers in one cell twice (R20, R21), no category twice (R22, R23), a grid worker's own
      reports under the same number (R24, R25: 网格员上报 is a proactive source).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # until the project sets pythonpath

from etl.marts import build_marts  # noqa: E402
from metrics_fixture import GRID_REPORT, HOTLINE, TICKETS, VIDEO, at, build_warehouse  # noqa: E402
from onescreen.queries import run_query  # noqa: E402
from onescreen.rules import RulesError, load_rules, rules_from_dict, rules_of_marts  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PLACES = {"G1": ("C1", "一社区", "S1", "一街道"), "G4": ("C3", "三社区", "S2", "二街道")}
CALLS = [  # ticket_id, grid, received_at, category_l1, caller_phone, source
    ("R1", "G1", "2025-10-02 09:00", "物业管理", "13800001111", HOTLINE),
    ("R2", "G1", "2025-10-20 10:00", "物业管理", "138-0000-1111", HOTLINE),
    ("R3", "G1", "2025-10-25 10:30", "物业管理", "+86 138 0000 1111", HOTLINE),
    ("R12", "G1", "2025-10-25 11:00", "城市管理", "0086-13800001111", HOTLINE),
    ("R4", "G1", "2025-11-25 12:00", "物业管理", "8613800001111", HOTLINE),
    ("R5", "G4", "2025-09-20 08:00", "噪音扰民", "0874-3135265", HOTLINE),
    ("R6", "G4", "2025-10-05 08:30", "噪音扰民", "（0874）３１３５２６５", HOTLINE),
    ("R7", "G4", "2025-10-20 23:00", "噪音扰民", "0874 3135265", HOTLINE),
    ("R13", "G1", "2025-09-01 07:00", "市容环境", "13900002222", HOTLINE),
    ("R14", "G1", "2025-10-01 23:00", "市容环境", "13900002222", HOTLINE),
    ("R15", "G1", "2025-10-01 23:00", "市容环境", "13900002222", HOTLINE),
    ("R26", "G4", "2025-09-25 09:00", "城市管理", "13700009999", HOTLINE),
    ("R27", "G1", "2025-10-08 09:00", "城市管理", "137 0000 9999", HOTLINE),
    ("R8", "G1", "2025-10-10 09:00", "市容环境", None, HOTLINE),
    ("R9", "G1", "2025-10-10 10:00", "市容环境", None, HOTLINE),
    ("R10", "G1", "2025-10-11 09:00", "市容环境", "12345", HOTLINE),
    ("R11", "G1", "2025-10-11 10:00", "市容环境", "12345", HOTLINE),
    ("R16", "G1", "2025-10-12 09:00", "城市管理", "1.38E+10", HOTLINE),
    ("R17", "G1", "2025-10-12 10:00", "城市管理", "1.38E+10", HOTLINE),
    ("R18", "G1", "2025-10-12 11:00", "城市管理", "138****1111", HOTLINE),
    ("R19", "G1", "2025-10-12 12:00", "城市管理", "138****1111", HOTLINE),
    ("R20", "G1", "2025-10-13 09:00", "城市管理", "13700001111/13600002222", HOTLINE),
    ("R21", "G1", "2025-10-13 10:00", "城市管理", "13700001111/13600002222", HOTLINE),
    ("R22", "G1", "2025-10-14 09:00", None, "13500003333", HOTLINE),
    ("R23", "G1", "2025-10-14 10:00", None, "13500003333", HOTLINE),
    ("R24", "G1", "2025-10-15 09:00", "城市管理", "13300004444", GRID_REPORT),
    ("R25", "G1", "2025-10-16 09:00", "城市管理", "13300004444", GRID_REPORT),
]
PHONE_DIGITS = ("13800001111", "3135265", "13900002222", "13700009999")
OCTOBER = dict(start="2025-10-01", end="2025-10-31")


def build(path=":memory:", voided=(), **rule_changes):
    """The fixture's warehouse with CALLS added; ``voided``: ticket ids whose status is 已撤销."""
    con = duckdb.connect(str(path))
    build_warehouse(con)
    for ticket_id, grid, received, category, phone, source in CALLS:
        community, community_name, street, street_name = PLACES[grid]
        con.execute(
            "insert into fct_tickets (ticket_id, feed, source, appeal_type, category_l1, received_at, street_code,"
            " street_name, community_code, community_name, grid_code, placed_by, has_timeline_error, row_hash,"
            " batch_id) values (?, 'hotline', ?, '投诉', ?, ?, ?, ?, ?, ?, ?, 'grid_code', false, 'h', 1)",
            [ticket_id, source, category, received, street, street_name, community, community_name, grid])
        con.execute("insert into ticket_pii (ticket_id, caller_name, caller_phone, batch_id) values (?, '张三', ?, 1)",
                    [ticket_id, phone])
    for ticket_id in voided:
        con.execute("update fct_tickets set status = '已撤销' where ticket_id = ?", [ticket_id])
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


# Callers are numbered by the earliest call their repeats come back to: C (R13, 09-01) 1, B (R5, 09-20) 2,
# D (R26, 09-25) 3, A (R1, 10-02) 4.
EXPECTED = {"R2": ("R1", 4, 18), "R3": ("R2", 4, 5), "R6": ("R5", 2, 15), "R7": ("R6", 2, 15), "R14": ("R13", 1, 30),
            "R27": ("R26", 3, 13)}


def test_a_repeat_is_the_same_number_and_category_within_the_window(con):
    assert repeats(con) == EXPECTED


def test_the_window_is_a_rule():
    wider = build(repeat_window_days=40)
    try:
        assert repeats(wider) == {**EXPECTED, "R4": ("R3", 4, 31)}
    finally:
        wider.close()
    narrower = build(repeat_window_days=15)
    try:
        # R2 (18 days) and R14 (30) drop out; C has no repeat left, and A's earliest is now R2 (10-20):
        # B (09-20) 1, D (09-25) 2, A 3.
        assert repeats(narrower) == {"R3": ("R2", 3, 5), "R6": ("R5", 1, 15), "R7": ("R6", 1, 15), "R27": ("R26", 2, 13)}
    finally:
        narrower.close()


def test_a_voided_ticket_is_neither_a_repeat_nor_the_request_one_comes_back_to(con):
    """已撤销 (withdrawn, or cancelled as made in error) is no request. A's R2 voided: not a repeat, and R3 comes back
    to R1 (23 days); C's R13 voided: R14 has no earlier request, so C has no repeats and the callers are numbered
    B 1, D 2, A 3. The voided tickets still count among the requests received (受理量)."""
    voided = build(voided=("R2", "R13"))
    try:
        assert repeats(voided) == {"R3": ("R1", 3, 23), "R6": ("R5", 1, 15), "R7": ("R6", 1, 15),
                                   "R27": ("R26", 2, 13)}
        before = run_query(con, "repeat_summary", previous_start="2025-09-01", **OCTOBER).iloc[0]
        after = run_query(voided, "repeat_summary", previous_start="2025-09-01", **OCTOBER).iloc[0]
        assert (after["ticket_count"], after["previous_ticket_count"]) == \
            (before["ticket_count"], before["previous_ticket_count"])
        assert (after["repeat_count"], after["caller_count"]) == (4, 3)   # R3 R6 R7 R27
        callers = run_query(voided, "repeat_callers", **OCTOBER)
        assert callers[["caller_no", "category_l1", "repeat_count", "first_ticket_id", "last_ticket_id"]].values.tolist() \
            == [[1, "噪音扰民", 2, "R5", "R7"], [3, "物业管理", 1, "R1", "R3"], [2, "城市管理", 1, "R26", "R27"]]
    finally:
        voided.close()


def test_the_proactive_sources_are_a_rule(con):
    # With no proactive source of the district's (网格员上报 and 视频巡查 are not listed), the grid worker's two
    # reports under one number are a repeat, and those sources' tickets count among the citizens' requests.
    every = build(proactive_sources=("随手拍",))
    try:
        assert repeats(every)["R25"][0] == "R24"
        proactive = sum(1 for t in TICKETS if t["source"] in (GRID_REPORT, VIDEO)
                        and str(t["received_at"]).startswith("2025-10"))
        assert proactive > 0
        assert run_query(every, "repeat_summary", **OCTOBER).iloc[0]["ticket_count"] == \
            run_query(con, "repeat_summary", **OCTOBER).iloc[0]["ticket_count"] + proactive + 2   # R24, R25
    finally:
        every.close()


def test_repeat_summary_counts_the_window_and_the_one_before(con):
    october = [t for t in TICKETS if str(t["received_at"]).startswith("2025-10")]
    september = [t for t in TICKETS if str(t["received_at"]).startswith("2025-09")]
    # Citizens' requests: every ticket but those of the proactive sources (网格员上报 and 视频巡查).
    citizens = [t for t in TICKETS if t["source"] not in (GRID_REPORT, VIDEO)]
    october = [t for t in citizens if str(t["received_at"]).startswith("2025-10")]
    september = [t for t in citizens if str(t["received_at"]).startswith("2025-09")]
    mine_october = [c for c in CALLS if c[2].startswith("2025-10") and c[5] == HOTLINE]   # R24, R25 are not
    summary = run_query(con, "repeat_summary", previous_start="2025-09-01", **OCTOBER).iloc[0].to_dict()
    assert summary["ticket_count"] == len(october) + len(mine_october)
    assert summary["repeat_count"] == 6 and summary["caller_count"] == 4   # R2 R3 R6 R7 R14 R27
    assert summary["repeat_share"] == pytest.approx(600 / summary["ticket_count"])
    assert summary["previous_ticket_count"] == len(september) + 3   # R5, R13, R26
    assert summary["previous_repeat_count"] == 0 and summary["previous_repeat_share"] == 0
    # Without a window before, or before the data began, the previous figures are null, not 0.
    alone = run_query(con, "repeat_summary", **OCTOBER).iloc[0]
    assert alone["repeat_count"] == 6 and alone.isna()["previous_repeat_count"]
    first = run_query(con, "repeat_summary", start="2025-01-01", end="2025-01-31", previous_start="2024-12-01").iloc[0]
    assert first["ticket_count"] == 0 and first.isna()["previous_repeat_count"] and first.isna()["repeat_share"]


def test_repeat_queries_follow_the_area_and_category_filters(con):
    street = run_query(con, "repeat_summary", street_code="S2", **OCTOBER).iloc[0]
    assert (street["repeat_count"], street["caller_count"]) == (2, 1)
    assert list(run_query(con, "repeat_callers", grid_code="G4", **OCTOBER)["first_ticket_id"]) == ["R5"]
    assert run_query(con, "repeat_summary", category_l1="城市管理", **OCTOBER).iloc[0]["repeat_count"] == 1   # R27
    assert run_query(con, "repeat_summary", category_l1="市容环境", **OCTOBER).iloc[0]["repeat_count"] == 1   # R14
    # A page for one grid does not name an earlier call in another grid (D's R26 lies in G4).
    g1 = run_query(con, "repeat_callers", grid_code="G1", **OCTOBER).set_index("caller_no")
    assert sorted(g1.index) == [1, 3, 4]
    assert g1.loc[3, "last_ticket_id"] == "R27" and pd.isna(g1.loc[3, "first_ticket_id"])
    assert pd.isna(g1.loc[3, "first_received_at"]) and g1.loc[4, "first_ticket_id"] == "R1"


def test_repeat_callers_lists_each_caller_and_category(con):
    callers = run_query(con, "repeat_callers", **OCTOBER)
    # Most repeats first, then the latest; B's and C's original requests lie before the window.
    assert callers[["rank", "caller_no", "category_l1", "repeat_count", "shortest_gap_days", "first_ticket_id",
                    "last_ticket_id", "grid_name", "street_name"]].values.tolist() == [
        [1, 4, "物业管理", 2, 5, "R1", "R3", "网格1", "一街道"],
        [2, 2, "噪音扰民", 2, 15, "R5", "R7", "网格4", "二街道"],
        [3, 3, "城市管理", 1, 13, "R26", "R27", "网格1", "一街道"],
        [4, 1, "市容环境", 1, 30, "R13", "R14", "网格1", "一街道"]]
    assert callers["first_received_at"].tolist() == [at("2025-10-02 09:00"), at("2025-09-20 08:00"),
                                                      at("2025-09-25 09:00"), at("2025-09-01 07:00")]
    assert callers["last_received_at"].tolist() == [at("2025-10-25 10:30"), at("2025-10-20 23:00"),
                                                     at("2025-10-08 09:00"), at("2025-10-01 23:00")]
    assert len(run_query(con, "repeat_callers", limit=1, **OCTOBER)) == 1
    assert run_query(con, "repeat_callers", start="2025-11-01", end="2025-11-30").empty


def test_no_phone_number_leaves_the_mart_or_the_queries(con):
    frames = [con.execute("select * from mart_repeat_requests").df(),
              run_query(con, "repeat_callers", **OCTOBER),
              run_query(con, "repeat_summary", previous_start="2025-09-01", **OCTOBER)]
    text = " ".join(frame.astype(str).to_csv() for frame in frames)
    assert "R2" in text and "R14" in text   # the search below would find a number in these frames
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
    assert len(line) == 1 and "重复诉求 <b>6</b> 件" in line[0]
    street = october_page("overview.py", kiosk="1", street_code="S2")
    assert "重复诉求 <b>2</b> 件" in [m.value for m in street.markdown if "小事不出网格" in m.value][0]


def test_the_heat_page_shows_repeat_requests_and_their_callers(served):
    at_ = october_page("heat.py")
    metrics = {m.label: m.value for m in at_.metric}
    assert metrics["重复诉求"] == "6 件" and metrics["涉及来电人"] == "4 人"
    # The data begin on 08-15: September had no full 30 days of calls behind it, so no change is claimed.
    repeat_metric = [m for m in at_.metric if m.label == "重复诉求"][0]
    assert repeat_metric.delta in (None, "") and "不作比较" in repeat_metric.help
    table = [d for d in at_.dataframe if "来电人" in d.value.columns]
    assert len(table) == 1
    assert table[0].value[["来电人", "一级分类", "重复（件）", "原诉求受理日", "最近受理日", "网格"]].values.tolist() == [
        ["来电人 4", "物业管理", 2, "2025-10-02", "2025-10-25", "网格1"],
        ["来电人 2", "噪音扰民", 2, "2025-09-20", "2025-10-20", "网格4"],
        ["来电人 3", "城市管理", 1, "2025-09-25", "2025-10-08", "网格1"],
        ["来电人 1", "市容环境", 1, "2025-09-01", "2025-10-01", "网格1"]]
    # The page is of the big-screen tier: no phone number, ticket number or time of a call reaches it.
    page_text = " ".join(str(x.value) for x in [*at_.markdown, *at_.caption, *at_.metric]) + table[0].value.to_csv()
    assert not [digits for digits in PHONE_DIGITS if digits in page_text]
    assert not [ticket for ticket in ("R1", "R2", "R5", "R6", "R13", "R26") if ticket in page_text]
    assert "10:30" not in page_text and "23:00" not in page_text


def test_the_monthly_report_lists_the_repeat_callers_without_their_numbers(con):
    from onescreen.report import build_report, parse_period
    from onescreen.report_render import render

    report = build_report(con, parse_period("2025-10"))
    section = report.sections["repeat_callers"]
    assert section.frame[["caller", "category_l1", "repeat_count", "first_ticket_id", "last_ticket_id"]].values.tolist() == [
        ["来电人 4", "物业管理", 2, "R1", "R3"], ["来电人 2", "噪音扰民", 2, "R5", "R7"],
        ["来电人 3", "城市管理", 1, "R26", "R27"], ["来电人 1", "市容环境", 1, "R13", "R14"]]
    assert section.note.startswith("本期重复诉求 6 件，占群众诉求 ")
    assert "涉及来电人 4 人；上期 0 件。下表列出重复最多的 4 行（最多 10 行" in section.note
    html = render(report, "html").decode("utf-8")
    assert "重复诉求：反复来电的来电人" in html and "2025-10-25 10:30" in html   # the meeting tier keeps the minute
    for fmt in ("html", "json"):
        text = render(report, fmt).decode("utf-8")
        assert "来电人 2" in text
        assert not [digits for digits in PHONE_DIGITS if digits in text]
    # A month without repeats says so. November is under way (its last call the 25th): against 1-25 October, which
    # holds all six of October's repeats.
    november = build_report(con, parse_period("2025-11")).sections["repeat_callers"]
    assert november.frame.empty and november.note.startswith("本期重复诉求 0 件")
    assert "上月同期 6 件" in november.note


def test_the_big_screen_tier_keeps_a_callers_calls_by_day_and_no_ticket_number(con):
    from onescreen.access import kiosk_frame

    callers = run_query(con, "repeat_callers", **OCTOBER)
    wall = kiosk_frame("repeat_callers", callers)
    assert not {"first_ticket_id", "last_ticket_id"} & set(wall.columns)
    assert wall["first_received_at"].tolist()[0] == pd.Timestamp("2025-10-02")
    assert wall["last_received_at"].tolist()[0] == pd.Timestamp("2025-10-25")
    assert wall["repeat_count"].tolist() == callers["repeat_count"].tolist()   # counts of a person are not cut to <3


def test_a_month_under_way_counts_the_same_days_of_the_month_before(con):
    """October up to the 10th against September 1-10 (``previous_end``): the previous figures are those days'
    own, not all of September's (the recurring places likewise: tests/test_metric_queries.py)."""
    from onescreen.queries import run_query

    so_far = run_query(con, "repeat_summary", start="2025-10-01", end="2025-10-10", previous_start="2025-09-01",
                       previous_end="2025-09-11").iloc[0]
    days = run_query(con, "repeat_summary", start="2025-09-01", end="2025-09-10").iloc[0]
    whole = run_query(con, "repeat_summary", start="2025-10-01", end="2025-10-10", previous_start="2025-09-01").iloc[0]
    assert (so_far["previous_ticket_count"], so_far["previous_repeat_count"]) == (days["ticket_count"], days["repeat_count"])
    assert so_far["previous_ticket_count"] < whole["previous_ticket_count"]
    assert so_far["ticket_count"] == whole["ticket_count"]   # (this window is the same either way)


def test_the_weekly_repeat_table_fits_the_page_at_1440_px(served):
    """周报's 重复诉求 table scrolled sideways at 1440 px (about 1,111 px of columns in the page's 978 px, 网格 and 街道
    out of sight): as on its lights tables, 网格 names the community (社区 left to the downloads), 重复（件） and
    最短间隔（天） are headed 重复 and 最短间隔 (the unit in the hover), and the receipt times read as days, as on the heat
    page (the gap is in days; the downloads keep the minute). Names as long as the demo's."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_pages import PAGE_PX, _first_columns_fit

    with duckdb.connect(str(served)) as connection:
        connection.execute("update mart_repeat_requests set street_name = '白石江街道', community_name = '麒麟社区';"
                           "update dim_grids set grid_name = '麒麟社区第18网格'")
    table = next(t for t in october_page("weekly.py", report="2025-10").dataframe if "来电人" in t.value.columns)
    order = list(table.proto.column_order)
    assert order and "社区" not in order and "社区" in table.value.columns  # (the frame the downloads are made from keeps it)
    _first_columns_fit(table, order, PAGE_PX)
    assert set(table.value["网格"]) == {"麒麟社区第18网格"}
    columns = json.loads(table.proto.columns)
    assert (columns["重复（件）"]["label"], columns["最短间隔（天）"]["label"]) == ("重复", "最短间隔")
    assert "件" in columns["重复（件）"]["help"] and "天" in columns["最短间隔（天）"]["help"]
    assert table.value[["原诉求受理", "最近受理"]].values.tolist()[0] == ["2025-10-02", "2025-10-25"]
