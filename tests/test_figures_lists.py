"""Tables and figures of 亮灯地图, 物业红黑榜 and 工单明细 (onescreen/figures/lists.py), and the masked ticket
list (onescreen/tickets.py) over the fixture district: plain functions, no Streamlit."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pandas as pd
import pytest

from onescreen import tickets
from onescreen.figures import AXIS_TEXT, lists
from onescreen.filters import Filters
from onescreen.rules import load_rules
from onescreen.ui import BLACKLIST, HONOUR, LIGHT_COLOURS

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
UNMASKED = ("13812345678", "08743123456", "13900001111", "张三", "3栋2单元501室")


def _lights() -> pd.DataFrame:
    rows = [  # grid, light, rate, num, den, overdue, near, consecutive red, consecutive yellow, previous,
        # red/yellow/green households
        ("G1", "red", 50.0, 1, 2, 3, 0, 2, 0, "red", 5, 10, 100),
        ("G2", "yellow", 90.0, 9, 10, 1, 1, 0, 1, "green", None, None, None),
        ("G3", "green", 100.0, 4, 4, 0, 0, 0, 0, "yellow", 1, 2, 50),
        ("G4", "grey", None, 0, 0, 0, 0, 0, 0, None, None, None, None),
        ("G5", "red", 70.0, 7, 10, 0, 0, 5, 0, "red", 9, 1, 10),
    ]
    df = pd.DataFrame(rows, columns=["grid_code", "light", "on_time_rate", "on_time_numerator", "on_time_denominator",
                                     "overdue_count", "near_deadline_count", "consecutive_red_periods",
                                     "consecutive_yellow_periods",
                                     "previous_light", "red_households", "yellow_households", "green_households"])
    df["grid_name"] = df["grid_code"] + "网格"
    df["community_name"] = ["一社区", "一社区", "二社区", "二社区", "二社区"]
    df["street_name"] = "一街道"
    df["light_reason"] = "理由"
    df["ticket_count"] = [4, 12, 4, 1, 10]
    df["households"] = 500
    return df


def test_legend_states_the_thresholds_in_force():
    legend = dict((light, text) for light, _label, text in lists.light_legend(load_rules()))
    assert legend["red"] == "按期办结率 < 80%（至少 5 件已到期或办结），或超期未办结 ≥ 3 件"
    assert "按期办结率 < 95%" in legend["yellow"] and "1 个工作日" in legend["yellow"]
    assert list(legend) == ["red", "yellow", "green", "grey"]


def test_map_frame_hover_shows_the_deciding_figures_and_n():
    frame = lists.map_frame(_lights()).set_index("grid_code")
    assert frame.loc["G1", "on_time_text"] == "50.0%（1/2）"
    assert frame.loc["G4", "on_time_text"] == "—（N=0）"
    assert frame.loc["G2", "counts_text"] == "受理 12 件，超期 1 件，临期 1 件"
    assert frame.loc["G4", "light_label"] == "无数据"
    assert set(lists.MAP_TOOLTIP) <= set(frame.columns) | {"grid_name"}


def test_light_table_lists_red_then_yellow_longest_red_run_first():
    table = lists.light_table(_lights(), "week")
    assert list(table["grid_code"]) == ["G5", "G1", "G2"]
    assert list(table["亮灯"]) == ["红灯", "红灯", "黄灯"]
    assert list(table["连续（周）"]) == [5, 2, 1]  # G2 is yellow for the first week
    assert list(table["N（到期或办结）"]) == [10, 2, 10]
    assert list(table["网格"]) == ["二社区G5网格", "一社区G1网格", "一社区G2网格"]  # the community in front



def test_light_table_says_how_long_a_yellow_grid_has_been_yellow_longest_first():
    """grid_lights' consecutive_yellow_periods (the 周报 lists it) was not on the page: a grid yellow for the third
    week in a row read like one that just turned. It is 连续（周） of a yellow grid (of a red one, its red run), and the
    longest yellow run comes first among the yellow grids as the longest red run does among the red."""
    lights = pd.concat([_lights(), _lights().iloc[[1]].assign(grid_code="G6", grid_name="G6网格", overdue_count=0,
                                                              consecutive_yellow_periods=3)], ignore_index=True)
    table = lists.light_table(lights, "week")
    assert list(table["grid_code"]) == ["G5", "G1", "G6", "G2"]  # G6 has fewer overdue tickets but a longer run
    assert list(table["连续（周）"]) == [5, 2, 3, 1]
    order, config = lists.light_table_columns(table)
    assert config["连续（周）"]["label"] == "连续周数"
    assert config["连续（周）"]["help"] == "截至本周连续亮这一灯色的周数：红灯网格为连续红灯，黄灯网格为连续黄灯"


def test_light_table_on_screen_reads_light_grid_reason_and_numbers_first_rates_to_one_decimal():
    table = lists.light_table(_lights())
    order, config = lists.light_table_columns(table)
    assert order == ["亮灯", "网格", "原因", "按期办结率(%)", "N（到期或办结）", "超期", "临期", "连续（月）", "上期", "街道"]
    # The community is in 网格 (一社区G1网格): no column of its own.
    assert sorted(order + ["grid_code", "社区"]) == sorted(table.columns)
    # 71.0 was shown "71" beside "65.2" (Streamlit drops a float's trailing zero).
    assert config["按期办结率(%)"]["type_config"]["format"] == "%.1f"
    assert config["N（到期或办结）"]["label"] == "N" and "分母" in config["N（到期或办结）"]["help"]


def test_a_grid_is_named_with_its_community_unless_its_name_says_it():
    assert lists.grid_with_community("麒麟社区第18网格", "麒麟社区") == "麒麟社区第18网格"
    assert lists.grid_with_community("东风一网格", "东风社区") == "东风社区东风一网格"
    assert lists.grid_with_community("第3网格", None) == "第3网格"


def test_household_colours_only_where_loaded():
    table = lists.household_colours_table(_lights())
    assert list(table["网格"]) == ["G5网格", "G1网格", "G3网格"]
    assert list(table.columns[-3:]) == ["红色户", "黄色户", "绿色户"]
    none_loaded = _lights().assign(red_households=None, yellow_households=None, green_households=None)
    assert lists.household_colours_table(none_loaded).empty
    fig = lists.household_colours_figure(_lights())
    assert [t.name for t in fig.data] == ["红色户", "黄色户", "绿色户"]
    assert list(fig.data[0].y) == ["一社区", "二社区"]  # most red households at the top of the bars
    assert list(fig.data[0].x) == [5, 10]
    assert [t.marker.pattern.shape for t in fig.data] == ["/", ".", ""]  # the bands told apart without colour
    # the chart says when it shows only the communities with the most red households
    assert lists.household_colours_note(_lights()) == "按社区汇总（2 个社区）。"
    assert lists.household_colours_note(_lights(), top=1) == "按社区汇总，红色户最多的 1 个社区（共 2 个社区；各网格见右表）。"
    assert len(lists.household_colours_figure(_lights(), top=1).data[0].y) == 1


def test_light_share_figure_stacks_the_four_lights_in_their_colours():
    shares = pd.DataFrame({"period_start": pd.to_datetime(["2025-09-01"] * 4 + ["2025-10-01"] * 4),
                           "light": ["red", "yellow", "green", "grey"] * 2,
                           "grid_count": [1, 1, 2, 0, 2, 0, 1, 1], "total_grid_count": 4,
                           "share": [25.0, 25.0, 50.0, 0.0, 50.0, 0.0, 25.0, 25.0]})
    fig = lists.light_share_figure(shares)
    assert [t.name for t in fig.data] == ["红灯", "黄灯", "绿灯", "无数据"]
    assert all(t.stackgroup == "one" for t in fig.data)
    assert fig.data[0].fillcolor == LIGHT_COLOURS["red"]
    assert list(fig.data[0].y) == [25.0, 50.0]
    # Not by colour alone: red hatched, yellow dotted (as on the maps), green and grey plain.
    assert [t.fillpattern.shape for t in fig.data] == ["/", ".", "", ""]
    assert fig.data[0].fillpattern.bgcolor == LIGHT_COLOURS["red"] and fig.data[0].fillpattern.fgcolor == "#ffffff"
    assert fig.data[1].fillpattern.fgcolor == "#1b1b1b"  # dark marks on yellow


@pytest.mark.parametrize("build", ["light_share", "household_colours", "company_history"])
def test_a_horizontal_legend_stands_above_the_plot_not_over_it(build):
    """各色网格占比's legend (y=1.1, anchored by its top) hung over the top of the stacked areas at 1440 and 1920 px:
    the legend's bottom is now at the plot's top edge, in a top margin that holds one row of it."""
    fig = {"light_share": lambda: lists.light_share_figure(pd.DataFrame(
               {"period_start": pd.to_datetime(["2025-10-01"]), "light": ["red"], "grid_count": [1],
                "total_grid_count": [1], "share": [100.0]})),
           "household_colours": lambda: lists.household_colours_figure(pd.DataFrame(
               {"community_name": ["A"], "red_households": [1], "yellow_households": [2], "green_households": [3]})),
           "company_history": lambda: lists.company_history_figure(pd.DataFrame(
               {"month_start": pd.to_datetime(["2025-10-01"]), "score": [80.0], "inspection_score": [85.0],
                "complaint_score": [75.0], "rank": [1], "list": ["red"]}))}[build]()
    legend = fig.layout.legend
    assert (legend.orientation, legend.yanchor) == ("h", "bottom") and legend.y >= 1
    assert fig.layout.margin.t >= 32  # one row of 13 px type and its padding
    # Ticks and axis titles legible on the white page, as on the other analysis charts (Streamlit's grey: 3.7:1).
    axes = [fig.layout[name] for name in fig.layout if name.startswith(("xaxis", "yaxis"))]
    assert axes and all(a.tickfont.color == AXIS_TEXT and a.title.font.color == AXIS_TEXT for a in axes)


def test_near_deadline_text_reads_on_white():
    from onescreen.ui import contrast_ratio

    assert contrast_ratio(lists.NEAR_DEADLINE_TEXT, "#ffffff") >= 4.5


@pytest.mark.parametrize("change, previous, text", [
    (2, 5, "▲2"), (-1, 3, "▼1"), (0, 4, "持平"), (None, None, "新进排名"), (float("nan"), 7, "—"),
])
def test_rank_change_text(change, previous, text):
    assert lists.rank_change_text(change, previous) == text


def _rankings() -> pd.DataFrame:
    return pd.DataFrame({
        "company_id": ["A", "B", "C"], "company_name": ["A物业", "B物业", "C物业"], "rank": [1, 2, None],
        "score": [95.456, 60.0, 70.0], "inspection_score": [92.4, 50.0, 80.0], "complaint_score": [100.0, 75.0, 55.0],
        "complaint_count": [0, 5, 9], "complaints_per_1k_households": [0.0, 2.5, 112.5],
        "households": [3505.0, 2000.0, 80.0], "inspection_count": [14, 3, 1], "rank_change": [0, None, None],
        "previous_rank": [1, None, 4], "consecutive_black_months": [0, 2, 0], "is_eligible": [True, True, False],
        "ineligible_reason": [None, None, "管理户数 80 户，不足 100 户"], "list": ["red", "black", None],
        "month_start": pd.to_datetime(["2025-10-01"] * 3)})


def test_ranking_and_ineligible_tables():
    table = lists.ranking_table(_rankings())
    assert list(table.columns) == ["名次", "物业企业", "总分", "考核得分", "投诉得分", "投诉（件）", "每千户投诉",
                                   "管理户数", "考核次数", "名次变化", "连续上黑榜（月）"]
    assert table.iloc[0]["总分"] == 95.5 and table.iloc[0]["名次变化"] == "持平"
    assert table.iloc[1]["名次变化"] == "新进排名" and table.iloc[1]["连续上黑榜（月）"] == 2
    ineligible = lists.ineligible_table(_rankings())
    assert list(ineligible["物业企业"]) == ["C物业"]
    assert ineligible.iloc[0]["原因"] == "管理户数 80 户，不足 100 户"


def test_company_history_marks_the_months_on_a_list():
    history = pd.DataFrame({"month_start": pd.to_datetime(["2025-08-01", "2025-09-01", "2025-10-01"]),
                            "score": [60.0, 55.0, 90.0], "inspection_score": [50.0, 45.0, 85.0],
                            "complaint_score": [75.0, 70.0, 97.5], "rank": [5, 6, 1],
                            "list": ["black", "black", "red"]})
    fig = lists.company_history_figure(history)
    names = [t.name for t in fig.data]
    assert names == ["考核得分", "投诉得分", "总分", "上红榜", "上黑榜"]
    assert fig.data[3].marker.color == HONOUR and len(fig.data[3].x) == 1
    assert fig.data[4].marker.color == BLACKLIST and len(fig.data[4].x) == 2
    assert list(fig.data[2].customdata) == ["第 5 名", "第 6 名", "第 1 名"]


def test_company_history_says_the_unfinished_month_is_provisional():
    """A month with a day of tickets put a company on the black list like a whole month (helper's UI review); its
    score (a few inspections, no complaints yet: 投诉得分 100) was one more point of the solid line, a jump of 82.3
    -> 91.5 a leader read as a rise. It is now off the solid lines: a dashed step to hollow points, "未结束" on
    hover, in the legend and under the plot."""
    from datetime import date

    history = pd.DataFrame({"month_start": pd.to_datetime(["2025-08-01", "2025-09-01", "2025-10-01"]),
                            "score": [75.0, 70.0, 40.0], "inspection_score": [70.0, 65.0, 40.0],
                            "complaint_score": [80.0, 80.0, 40.0], "rank": [4, 3, 9], "list": [None, "black", "black"]})
    fig = lists.company_history_figure.uncached(history, unfinished=date(2025, 10, 1))
    october = pd.Timestamp("2025-10-01")
    solid = [t for t in fig.data if t.name in ("考核得分", "投诉得分", "总分")]
    assert len(solid) == 3 and all(october not in pd.to_datetime(list(t.x)) for t in solid)
    assert list(solid[2].customdata) == ["第 4 名", "第 3 名"]
    steps = [t for t in fig.data if t.mode == "lines" and t.line.dash == "dash"]
    assert len(steps) == 3 and all(t.hoverinfo == "skip" and t.showlegend is False for t in steps)
    hollow = [t for t in fig.data if t.legendgroup == "unfinished"]
    assert len(hollow) == 3 and all(t.marker.symbol == "circle-open" for t in hollow)
    assert all(list(pd.to_datetime(list(t.x))) == [october] for t in hollow)
    assert all("未结束" in t.hovertemplate and "得分会变" in t.hovertemplate for t in hollow)
    assert [t.showlegend for t in hollow] == [False, False, True] and "未结束" in hollow[2].name
    assert "暂列第 9 名" in hollow[2].hovertemplate
    assert [a.text for a in fig.layout.annotations] == ["未结束"]
    black = next(t for t in fig.data if t.name == "上黑榜")
    assert list(black.marker.symbol) == ["x", "x-open"]
    assert list(black.customdata) == ["", "（本月未结束，名次会变）"]
    whole = lists.company_history_figure.uncached(history)
    assert [t.name for t in whole.data] == ["考核得分", "投诉得分", "总分", "上黑榜"] and not whole.layout.annotations
    assert list(whole.data[3].marker.symbol) == ["x", "x"] and list(whole.data[2].customdata) == ["第 4 名", "第 3 名", "第 9 名"]


def test_company_history_draws_a_score_of_100_whole():
    """A month without complaints scores 100 for them: the axis runs past 100 far enough for a list marker there
    (14 px) to be drawn whole, and no trace is cut at the plot's edge (the top of 0-100.5 cut them)."""
    history = pd.DataFrame({"month_start": pd.to_datetime(["2025-09-01", "2025-10-01"]), "score": [90.0, 100.0],
                            "inspection_score": [85.0, 100.0], "complaint_score": [97.5, 100.0], "rank": [1, 1],
                            "list": ["red", "red"]})
    fig = lists.company_history_figure.uncached(history)
    low, high = fig.layout.yaxis.range
    plot_px = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    marker_px = max(t.marker.size or 0 for t in fig.data)
    assert (high - 100) / (high - low) * plot_px >= marker_px / 2
    assert all(t.cliponaxis is False for t in fig.data)
    assert list(fig.layout.yaxis.tickvals)[-1] == 100  # no tick past the top of the scale


def test_red_and_black_lists_show_scores_to_one_decimal_with_the_deciding_columns_first():
    for listed in ("red", "black"):
        order, config = lists.ranking_columns(listed)
        table = lists.ranking_table(_rankings())
        assert set(order) <= set(table.columns)
        assert order[:4] == ["名次", "物业企业", "总分", "名次变化"]
        assert ("连续上黑榜（月）" in order) == (listed == "black")  # only the black list counts months on it
        # A score of 79.0 was shown "79" beside "78.6" (and "79.0" on the big screen): always one decimal.
        for column in ("总分", "考核得分", "投诉得分"):
            assert config[column]["type_config"]["format"] == "%.1f", column
    assert lists.ineligible_columns()["总分（不排名）"]["type_config"]["format"] == "%.1f"
    order, config = lists.compound_complaints_columns()
    assert order[:3] == ["小区", "物业投诉（件）", "每千户投诉"]
    assert config["每千户投诉"]["type_config"]["format"] == "%.2f"


def test_compound_complaints_table():
    compounds = pd.DataFrame({"compound_name": ["甲小区"], "grid_name": ["G1网格"], "community_name": ["一社区"],
                              "households": [400], "complaint_count": [3], "complaints_per_1k_households": [7.5]})
    assert lists.compound_complaints_table(compounds).iloc[0].tolist() == ["甲小区", "G1网格", "一社区", 400, 3, 7.5]


def test_rules_from_meta_reads_the_rules_the_marts_used():
    rules = load_rules()
    assert lists.rules_from_meta(pd.DataFrame({"rules_json": [rules.to_json()]})).digest() == rules.digest()
    assert lists.rules_from_meta(pd.DataFrame({"rules_json": ["{}"]})) is None
    assert lists.rules_from_meta(pd.DataFrame(columns=["rules_json"])) is None


def _ticket(**overrides) -> dict:
    row = dict(ticket_id="T1", received_at=pd.Timestamp("2025-10-01 09:00"), dispatched_at=pd.Timestamp("2025-10-01 10:00"),
               responded_at=pd.Timestamp("2025-10-01 11:00"), resolved_at=pd.NaT, callback_at=pd.NaT,
               due_at=pd.Timestamp("2025-10-03 09:00"), is_due_derived=True, is_open=True, is_overdue=True,
               is_near_deadline=False, overdue_workdays=2.25, remaining_workdays=None, is_closed_late=None,
               source="12345热线", appeal_type="投诉", department="城管局", handling_level=None,
               is_resolved=None, satisfaction=None)
    return {**row, **overrides}


def test_timeline_steps_and_deadline_note():
    steps = tickets.timeline(_ticket())
    assert list(steps["step"]) == ["受理", "派单", "签收（响应）", "办结", "回访", "办理时限"]
    assert steps["at"].isna().tolist() == [False, False, False, True, True, False]
    assert steps.iloc[-1]["note"] == "超期 2.2 个工作日（时限按诉求类型推算）"
    # Derived from the export's number of working days, not from the appeal type: says so.
    assert tickets.timeline(_ticket(due_workdays=5.0)).iloc[-1]["note"] == "超期 2.2 个工作日（时限按导出的 5 个工作日推算）"
    assert tickets.timeline(_ticket(due_workdays=pd.NA)).iloc[-1]["note"] == "超期 2.2 个工作日（时限按诉求类型推算）"
    closed = tickets.timeline(_ticket(is_open=False, is_overdue=False, resolved_at=pd.Timestamp("2025-10-02 09:00"),
                                      is_closed_late=False, is_due_derived=False, handling_level="社区",
                                      callback_at=pd.Timestamp("2025-10-04"), is_resolved=True, satisfaction="满意"))
    assert closed.set_index("step").loc["办理时限", "note"] == "按期办结"
    assert closed.set_index("step").loc["回访", "note"] == "已解决、满意"
    assert closed.set_index("step").loc["办结", "note"] == "社区级办结"
    still_open = tickets.timeline(_ticket(handling_level="社区"))  # the export names where it is being handled
    assert still_open.set_index("step").loc["办结", "note"] == ""


@pytest.mark.parametrize("overrides, label", [
    ({}, "超期"), ({"is_overdue": False, "is_near_deadline": True}, "临期"), ({"is_overdue": False}, "办理中"),
    ({"is_open": False, "is_closed_late": True}, "逾期办结"), ({"is_open": False, "is_closed_late": False}, "按期办结"),
    ({"is_open": False, "is_closed_late": float("nan")}, "已办结"),
])
def test_state_label(overrides, label):
    assert tickets.state_label(_ticket(**overrides)) == label


STATE_CASES = [({}, "超期"), ({"is_overdue": False, "is_near_deadline": True}, "临期"), ({"is_overdue": False}, "办理中"),
               ({"is_open": False, "is_closed_late": True}, "逾期办结"),
               ({"is_open": False, "is_closed_late": False}, "按期办结"),
               ({"is_open": False, "is_closed_late": None}, "已办结"),
               ({"is_overdue": None, "is_near_deadline": None}, "办理中"),
               ({"is_overdue": float("nan"), "is_near_deadline": True}, "临期"),
               ({"is_open": float("nan"), "is_closed_late": False}, "按期办结")]


@pytest.mark.parametrize("dtype", [object, "boolean"])
def test_state_labels_of_a_frame_are_the_state_label_of_each_row(dtype):
    frame = pd.DataFrame([_ticket(**overrides) for overrides, _ in STATE_CASES])
    flags = ["is_open", "is_overdue", "is_near_deadline", "is_closed_late"]
    frame[flags] = frame[flags].astype(dtype)  # object columns holding None, or pandas' nullable booleans
    expected = [label for _, label in STATE_CASES]
    assert [tickets.state_label(row) for row in pd.DataFrame([_ticket(**o) for o, _ in STATE_CASES]).to_dict("records")] == expected
    assert list(tickets.state_labels(frame)) == expected
    assert list(tickets.display_frame(frame)["办理状态"]) == expected
    assert list(tickets.state_labels(frame.drop(columns=["is_closed_late"]).iloc[3:6])) == ["已办结"] * 3
    assert list(tickets.state_labels(frame.iloc[0:0])) == []


def test_timeline_figure_draws_the_deadline_red_when_late():
    fig = lists.ticket_timeline_figure(tickets.timeline(_ticket()))
    assert list(fig.data[0].y) == ["受理", "派单", "签收（响应）"]  # steps not yet happened are left off
    assert fig.layout.shapes[0].line.color == LIGHT_COLOURS["red"]
    assert fig.layout.annotations[0].text.startswith("办理时限 10-03 09:00：超期")


@pytest.mark.parametrize("overrides, colour", [
    ({}, LIGHT_COLOURS["red"]),
    ({"is_overdue": False, "is_near_deadline": True, "remaining_workdays": 0.5}, lists.NEAR_DEADLINE_TEXT),
    ({"is_overdue": False, "remaining_workdays": 2.0}, LIGHT_COLOURS["green"]),
    ({"is_open": False, "is_closed_late": True, "resolved_at": pd.Timestamp("2025-10-04")}, LIGHT_COLOURS["red"]),
    ({"is_open": False, "is_closed_late": False, "resolved_at": pd.Timestamp("2025-10-02")}, LIGHT_COLOURS["green"]),
])
def test_timeline_deadline_colour_follows_the_state(overrides, colour):
    """临期 is amber (it was green, as if the ticket were in no hurry); late red, otherwise green."""
    fig = lists.ticket_timeline_figure.uncached(tickets.timeline(_ticket(**overrides)))
    assert fig.layout.shapes[0].line.color == colour
    assert fig.layout.annotations[0].font.color == colour


def _tick_format(axis, dtick_ms: float) -> str | None:
    """The label format plotly uses on ``axis`` for ticks ``dtick_ms`` apart (its tickformatstops, else tickformat)."""
    for stop in axis.tickformatstops or ():
        low, high = stop.dtickrange
        month = 30 * 24 * 3600 * 1000
        low = None if low is None else (month * int(low[1:]) if isinstance(low, str) else low)
        high = None if high is None else (month * int(high[1:]) if isinstance(high, str) else high)
        if (low is None or dtick_ms >= low) and (high is None or dtick_ms <= high):
            return stop.value
    return axis.tickformat


def test_timeline_ticks_name_the_hour_when_the_steps_are_hours_apart():
    """Steps an hour or two apart got ticks every few hours, all labelled by the day ("12-01, 12-01, 12-01")."""
    steps = tickets.timeline(_ticket(is_overdue=False, overdue_workdays=None, remaining_workdays=1.5,
                                     due_at=pd.Timestamp("2025-10-01 18:00")))
    axis = lists.ticket_timeline_figure.uncached(steps).layout.xaxis
    hour = 3600 * 1000
    for dtick in (hour, 3 * hour, 12 * hour):
        assert "%H" in _tick_format(axis, dtick), dtick
    day_ticks = [pd.Timestamp("2025-10-01") + pd.Timedelta(hours=h) for h in (0, 6, 12, 18)]
    labels = [t.strftime(_tick_format(axis, 6 * hour)) for t in day_ticks]
    assert len(set(labels)) == len(labels)
    assert _tick_format(axis, 24 * hour) == "%m-%d" and _tick_format(axis, 31 * 24 * hour) == "%Y-%m"


def test_mask_tickets_masks_every_personal_field():
    raw = pd.DataFrame({"ticket_id": ["1"], "caller_name": ["张三"], "caller_phone": ["+86 138-1234-5678"],
                        "address": ["东风路88号金碧花园3栋2单元501室"],
                        "content": ["张三反映：" + "小区垃圾清运不及时，" * 6 + "电话13812345678"]})
    masked = tickets.mask_tickets(raw).iloc[0]
    assert masked["caller_name"] == "张*" and masked["caller_phone"] == "138****5678"
    assert masked["address"] == "东风路88号金碧花园"
    assert masked["content"].startswith("张*反映：") and len(masked["content"]) == 50
    assert raw.iloc[0]["caller_name"] == "张三"  # the input is not modified


def test_list_params_from_the_shared_filters():
    f = Filters("month", date(2025, 10, 15), street_code="S1", source="12345热线")
    params = tickets.list_params(f, status="overdue", ticket_id=" 2025 ")
    assert params["received_from"] == date(2025, 10, 1) and params["received_before"] == date(2025, 11, 1)
    assert params["street_code"] == "S1" and params["source"] == "12345热线" and params["category_l1"] is None
    assert (params["sort"], params["order"], params["ticket_id"]) == ("overdue_workdays", "desc", "2025")
    everything = tickets.list_params(f, status="nonsense", whole_period=True)
    assert everything["status"] == "all" and "received_from" not in everything
    between = tickets.list_params(f, received_between=(date(2025, 10, 9), date(2025, 10, 3)))
    assert (between["received_from"], between["received_before"]) == (date(2025, 10, 3), date(2025, 10, 10))


@pytest.fixture(scope="module")
def district(fixture_warehouse):
    con = duckdb.connect(str(fixture_warehouse), read_only=True)
    yield con
    con.close()


def test_ticket_list_is_masked_before_it_leaves_the_query(district):
    frame = tickets.list_tickets(district, limit=50)
    assert len(frame) == 12 and frame["total_count"].iloc[0] == 12
    text = frame.astype(str).to_csv()
    assert not MOBILE.findall(text)
    assert not [value for value in UNMASKED if value in text]
    row = frame.set_index("ticket_id").loc["2025100100001"]
    assert (row["caller_name"], row["caller_phone"], row["address"]) == ("张*", "138****5678", "东风路88号金碧花园")
    assert row["content"] == "小区垃圾清运不及时，电话138****5678"
    shown = tickets.display_frame(frame)
    assert "联系电话" in shown.columns and not MOBILE.findall(shown.astype(str).to_csv())


def test_ticket_display_frame_gives_working_days_to_one_decimal():
    frame = pd.DataFrame({"ticket_id": ["A", "B", "C"], "is_open": [True, True, False],
                          "overdue_workdays": [2.25, None, None], "remaining_workdays": [None, 4.54150462962963, None]})
    shown = tickets.display_frame(frame)
    assert shown["超期（工作日）"].tolist()[0] == 2.2 and shown["剩余（工作日）"].tolist()[1] == 4.5
    assert shown["超期（工作日）"].isna().tolist() == [False, True, True]


@pytest.mark.parametrize("status, timing", [("all", ["超期（工作日）"]), ("overdue", ["超期（工作日）"]),
                                            ("open", ["超期（工作日）", "剩余（工作日）"]),
                                            ("near_deadline", ["剩余（工作日）"]), ("closed", ["办结时间"]),
                                            ("returned", [])])
def test_ticket_list_on_screen_shows_the_timing_of_its_status_beside_the_state(status, timing):
    shown = list(tickets.COLUMNS.values())
    order, config = tickets.screen_columns(status, shown)
    assert sorted(order) == sorted(shown)  # every column, the ones read first first
    assert order[:3 + len(timing)] == ["工单编号", "受理时间", "办理状态", *timing]
    assert order[3 + len(timing):3 + len(timing) + 5] == ["一级分类", "二级分类", "街道", "社区", "网格"]
    assert config["工单编号"]["pinned"] is True
    assert config["超期（工作日）"]["type_config"]["format"] == "%.1f"


def test_ticket_list_filters_and_counts(district):
    first = tickets.list_tickets(district, limit=2)
    assert len(first) == 2 and first["total_count"].iloc[0] == 12
    assert list(first["received_at"]) == sorted(first["received_at"], reverse=True)
    open_ids = set(tickets.list_tickets(district, status="open")["ticket_id"])
    assert open_ids == {"SJ20251003003", "SJ20251005005", "2025100800006"}
    assert len(tickets.list_tickets(district, status="closed")) == 9
    assert list(tickets.list_tickets(district, ticket_id="sj2025100")["ticket_id"]) == [
        "SJ20251005005", "SJ20251004004", "SJ20251003003", "SJ20251002002", "SJ20251001001"]
    october = tickets.list_tickets(district, received_from=date(2025, 10, 1), received_before=date(2025, 10, 2))
    assert set(october["ticket_id"]) == {"2025100100003", "SJ20251001001"}
    assert tickets.list_tickets(district, ticket_id="no-such-ticket").empty


def test_ticket_list_narrows_to_one_compound(district):
    expected = {r[0] for r in district.execute("select ticket_id from fct_tickets where compound_code = 'CP01'").fetchall()}
    assert expected  # the fixture has tickets placed at compound CP01 by their address
    frame = tickets.list_tickets(district, compound_code="CP01", limit=100)
    assert set(frame["ticket_id"]) == expected and frame["total_count"].iloc[0] == len(expected)


def test_an_open_tickets_timeline_runs_to_the_as_of_time():
    """An overdue ticket's timeline stopped at its deadline: nothing showed how late it is now."""
    fig = lists.ticket_timeline_figure(tickets.timeline(_ticket()), open_at=pd.Timestamp("2025-10-16 09:00"))
    assert [s.line.dash for s in fig.layout.shapes] == ["dash", "dot"]
    assert fig.layout.shapes[1].x0 == pd.Timestamp("2025-10-16 09:00")
    assert fig.layout.annotations[1].text == "数据截至 10-16 09:00，仍未办结"
    closed = lists.ticket_timeline_figure(tickets.timeline(_ticket()))
    assert len(closed.layout.shapes) == 1 and len(closed.layout.annotations) == 1


@pytest.mark.parametrize(("due_at", "open_at"), [
    ("2025-10-03 09:00", "2025-10-03 09:24"),  # 24 minutes late: the two lines almost on each other
    ("2025-10-01 12:00", "2025-10-16 09:00"),  # a deadline near the first steps, long overdue
    ("2025-10-20 09:00", "2025-10-03 09:00"),  # not yet due: 数据截至 before the deadline
])
def test_timeline_labels_stand_above_the_plot_on_rows_of_their_own(due_at, open_at):
    """Seen in the browser: 数据截至's label under the plot ran over the date ticks, the deadline's (in the plot)
    over the steps' times, and with a deadline just before 数据截至 one label lay on the other."""
    fig = lists.ticket_timeline_figure(tickets.timeline(_ticket(due_at=pd.Timestamp(due_at))), open_at=pd.Timestamp(open_at))
    deadline, as_of = fig.layout.annotations
    assert deadline.text.startswith("办理时限") and as_of.text.startswith("数据截至")
    for label in (deadline, as_of):
        assert (label.yref, label.y, label.yanchor) == ("paper", 1, "bottom")  # above the plot, not in it or under it
    assert deadline.yshift - as_of.yshift >= lists.TIMELINE_ROW_PX  # a row each
    assert fig.layout.margin.t >= deadline.yshift + lists.TIMELINE_ROW_PX  # the upper row is inside the figure
    low, high = (pd.Timestamp(x) for x in fig.layout.xaxis.range)
    for label in (deadline, as_of):
        at = pd.Timestamp(label.x)
        assert low < at < high  # a line on the last moment is not on the plot's edge
        # Written away from the nearer edge, so it is not cut off by it.
        assert label.xanchor == ("right" if at - low > high - at else "left")


def test_timeline_note_says_under_a_tenth_of_a_working_day_not_zero():
    late = tickets.timeline(_ticket(overdue_workdays=0.02, is_due_derived=False)).set_index("step")
    assert late.loc["办理时限", "note"] == "超期不足 0.1 个工作日"
    soon = tickets.timeline(_ticket(is_overdue=False, is_near_deadline=True, overdue_workdays=None,
                                    remaining_workdays=0.01, is_due_derived=False)).set_index("step")
    assert soon.loc["办理时限", "note"] == "临期，剩余不足 0.1 个工作日"


def test_light_table_and_map_mark_the_selected_grid():
    """With a grid chosen the lights page lists its whole community: the grid comes first and says it is the one."""
    lights = _lights()
    table = lists.light_table(lights, "month", selected="G2")
    assert table.iloc[0]["grid_code"] == "G2" and table.iloc[0]["网格"].endswith(lists.SELECTED_MARK)
    assert sum(name.endswith(lists.SELECTED_MARK) for name in table["网格"]) == 1
    assert list(lists.light_table(lights, "month")["grid_code"]) == ["G5", "G1", "G2"]
    assert list(table["grid_code"]) == ["G2", "G5", "G1"]
    named = lists.map_frame(lights, selected="G3").set_index("grid_code")["grid_name"]
    assert named["G3"].endswith(lists.SELECTED_MARK) and not named["G1"].endswith(lists.SELECTED_MARK)
