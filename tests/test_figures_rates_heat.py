"""Figures of 三率分析 and 网格热力 as plain functions (no Streamlit), and the heat page's named queries
over the hand-made fixture of tests/metrics_fixture.py."""

from __future__ import annotations

import json
import re
import pickle
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # until the project sets pythonpath

from onescreen.figures import heat, rates  # noqa: E402
from onescreen.figures.overview import text_width  # noqa: E402
from onescreen.maps import BLANK_STYLE_URL, SELECTED_LINE  # noqa: E402
from onescreen.queries import run_query  # noqa: E402

SQUARE = json.dumps({"type": "Polygon", "coordinates": [[[103.0, 25.0], [103.01, 25.0], [103.01, 25.01],
                                                         [103.0, 25.01], [103.0, 25.0]]]})


def trend_frame(**targets) -> pd.DataFrame:
    frame = pd.DataFrame({
        "period_start": [date(2025, 9, 1), date(2025, 10, 1)],
        "ticket_count": [30, 40],
        "response_rate": [90.0, 95.0], "response_numerator": [18, 19], "response_denominator": [20, 20],
        "resolution_rate": [80.0, 85.0], "resolution_numerator": [8, 17], "resolution_denominator": [10, 20],
        "satisfaction_rate": [70.0, 75.0], "satisfaction_numerator": [7.0, 7.5], "satisfaction_denominator": [10, 10],
        "composite_score": [79.0, 84.0],
    })
    for column in ("response_target", "resolution_target", "satisfaction_target"):
        frame[column] = targets.get(column, 97.0)
    return frame


def breakdown_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "unit_code": ["A", "B", "C", "D"], "unit_name": ["甲", "乙", "丙", None],
        "composite_score": [92.0, 88.0, 99.0, None], "is_ranked": [True, True, False, False],
        "response_rate": [95.0, 90.0, 100.0, None], "response_numerator": [19, 18, 2, 0],
        "response_denominator": [20, 20, 2, 0], "ticket_count": [20, 20, 2, 0],
        "overdue_count": [3, 0, 0, 0], "near_deadline_count": [1, 2, 0, 0],
    })


def test_rates_trend_has_one_line_per_metric_and_one_shared_target_line():
    fig = rates.rates_trend_figure(trend_frame())
    names = [trace.name for trace in fig.data]
    assert names == ["响应率", "解决率", "满意率", "综合得分", "目标 97%（响应率、解决率、满意率）"]
    assert all(trace.type == "scatter" for trace in fig.data)
    target = fig.data[-1]
    assert list(target.y) == [97.0, 97.0] and target.line.dash == "dash"
    assert list(fig.data[0].y) == [90.0, 95.0]
    assert fig.data[2].customdata[1].tolist() == [7.5, 10, 40]  # the N (weighted numerator) in the hover
    assert fig.data[3].line.dash == "dot"
    assert tuple(fig.layout.yaxis.range) == (65, 101)  # a little below the lowest rate (70), up to 100


def test_rates_trend_ticks_each_period_once_and_draws_a_single_periods_target():
    fig = rates.rates_trend_figure.uncached(trend_frame())
    assert [pd.Timestamp(v) for v in fig.layout.xaxis.tickvals] == sorted(pd.to_datetime(trend_frame()["period_start"]))
    one = rates.rates_trend_figure.uncached(trend_frame().iloc[:1])
    start = pd.Timestamp(trend_frame()["period_start"].iloc[0])
    target = one.data[-1]
    assert target.name.startswith("目标") and target.x[0] < start < target.x[1]  # a visible segment, not a point


def test_rates_trend_draws_distinct_targets_apart_and_only_for_shown_rates():
    fig = rates.rates_trend_figure(trend_frame(response_target=95.0),
                                   metrics=("response_rate", "resolution_rate", "composite_score"))
    targets = {trace.name: trace.y[0] for trace in fig.data if trace.name.startswith("目标")}
    assert targets == {"目标 95%（响应率）": 95.0, "目标 97%（解决率）": 97.0}


def test_breakdown_bar_greys_units_that_are_not_ranked_and_puts_the_best_on_top():
    fig = rates.breakdown_bar(breakdown_frame(), "composite_score", target=90.0)
    bar = fig.data[0]
    assert bar.type == "bar" and bar.orientation == "h"
    # The ranking: 甲 and 乙 in rank order on top, then 丙, not ranked, whose 99.0 (a score of fewer rates) was
    # drawn above both as if first. D has no score; plotly draws the last bar on top.
    assert list(bar.y) == ["丙", "乙", "甲"]
    assert list(bar.marker.color) == [rates.UNRANKED_COLOUR, rates.RANKED_COLOUR, rates.RANKED_COLOUR]
    assert rates.UNRANKED_COLOUR != rates.RANKED_COLOUR
    assert "不参与排名" in bar.customdata[0][1]
    assert fig.layout.shapes[0].x0 == 90.0 and fig.layout.shapes[0].line.dash == "dash"
    assert fig.layout.xaxis.range[0] == 0 and fig.layout.xaxis.tickvals[-1] == 100


def test_breakdown_bar_by_another_metric_keeps_its_own_order_and_an_axis_that_holds_counts():
    by_rate = rates.breakdown_bar(breakdown_frame(), "response_rate", target=97.0)
    assert list(by_rate.data[0].y) == ["乙", "甲", "丙"]  # 100.0, 95.0, 90.0: not a ranking, the rate's own order
    assert by_rate.layout.xaxis.tickvals[-1] == 100 and by_rate.layout.shapes[0].x0 == 97.0
    counts = breakdown_frame().assign(overdue_count=[463, 120, 0, 0])
    fig = rates.breakdown_bar(counts, "overdue_count")
    low, high = fig.layout.xaxis.range
    assert low == 0 and high >= 463  # a fixed 0-100 axis cut the bars of counts past 100 off the chart
    assert list(fig.data[0].text)[-1] == "463"  # a count, not "463.0"


def _label_fits(fig, plot_px: float = rates.BAR_PLOT_PX) -> bool:
    """Whether every bar's label, past the bar's end, ends inside a plot ``plot_px`` wide."""
    bar, (low, high) = fig.data[0], fig.layout.xaxis.range
    return all((x - low) / (high - low) * plot_px + text_width(t, rates.BAR_LABEL_PX) <= plot_px
               for x, t in zip(bar.x, bar.text))


def test_breakdown_bar_leaves_room_for_the_label_of_a_bar_that_reaches_the_edge():
    # A grid at 100 ended at the plot's right edge: on the page its label "100.0" was not drawn at all, and a grid's
    # at 99.3 read "99.:". The axis runs on past 100 (its ticks stop there) and past the longest count.
    fig = rates.breakdown_bar.uncached(breakdown_frame(), "response_rate")
    assert "100.0" in list(fig.data[0].text) and _label_fits(fig)
    assert list(fig.layout.xaxis.tickvals) == [0, 50, 100]
    counts = rates.breakdown_bar.uncached(breakdown_frame().assign(ticket_count=[12345, 20, 2, 0]), "ticket_count")
    assert list(counts.data[0].text)[-1] == "12,345" and _label_fits(counts)


def test_breakdown_table_says_why_a_unit_is_not_ranked():
    frame = pd.DataFrame({
        "unit_code": ["12345热线", "网格员上报", "随手拍", "unassigned", "视频巡查"],
        "unit_name": ["12345热线", "网格员上报", "随手拍", "未注明", "视频巡查"],
        "is_ranked": [True, False, False, False, False],
        "response_rate": [95.0, 99.0, 100.0, 90.0, None], "response_numerator": [95, 99, 3, 9, 0],
        "response_denominator": [100, 100, 3, 10, 0],
        "resolution_rate": [90.0, None, None, None, None], "resolution_numerator": [45, 0, 0, 0, 0],
        "resolution_denominator": [50, 0, 0, 0, 0],
        "satisfaction_rate": [91.0, None, None, None, None], "satisfaction_numerator": [45.5, 0, 0, 0, 0],
        "satisfaction_denominator": [50, 0, 0, 0, 0],
    })
    for column in ("on_time", "closure"):
        frame[f"{column}_rate"], frame[f"{column}_numerator"], frame[f"{column}_denominator"] = 90.0, 9, 10
    frame = frame.assign(composite_score=[92.0, 99.0, 100.0, 90.0, None], composite_rank=[1, None, None, None, None],
                         ticket_count=100, rank_change=None, overdue_count=0, near_deadline_count=0,
                         avg_handling_workdays=1.0)
    before = frame.assign(resolution_rate=[88.0, None, None, None, None])
    table = rates.breakdown_table.uncached(frame, before, frame.iloc[:0], "resolution_rate", 10)
    assert list(table["参与排名"]) == ["是", "否（无解决率、满意率）", "否（分母不足）", "否（归属不明）", "否（无数据）"]
    shown = rates.grey_unranked(table, "resolution_rate").to_html()
    assert shown.count(">无数据<") == 4  # the N of the four without a 解决率 (0/0), the rate itself a dash
    order, config = rates.breakdown_columns(table, "resolution_rate")
    assert order[:6] == ["单位", "解决率%", "解决率N", "解决率环比（百分点）", "参与排名", "综合排名"]  # no 同比 at all
    assert order[-1] == "编码" and sorted(order) == sorted(table.columns)


def test_breakdown_bar_shows_n_and_keeps_the_best_and_worst_when_there_are_too_many():
    frame = pd.DataFrame({"unit_code": [f"U{i}" for i in range(10)], "unit_name": [f"单位{i}" for i in range(10)],
                          "response_rate": [float(i * 10) for i in range(10)], "response_numerator": range(10),
                          "response_denominator": [10] * 10, "is_ranked": [True] * 10, "ticket_count": [10] * 10})
    bar = rates.breakdown_bar(frame, "response_rate", max_bars=4).data[0]
    assert list(bar.x) == [0.0, 10.0, 80.0, 90.0]  # the worst two and the best two, best on top
    assert bar.customdata[-1][0] == "N = 9/10"


def test_handling_time_and_escalation_figures():
    distribution = pd.DataFrame({"bucket_label": ["不足1个工作日", "1-2个工作日"], "ticket_count": [3, 1],
                                 "share": [75.0, 25.0], "handling_count": [4, 4]})
    bar = rates.handling_time_figure(distribution).data[0]
    assert bar.type == "bar" and list(bar.y) == [3, 1] and "75.0%" in bar.text[0]
    shares = pd.DataFrame({"handling_level": ["grid", "community", "street", "district"],
                           "handling_level_label": ["网格", "社区", "街道", "区"], "closed_count": [6, 2, 2, 0],
                           "share": [60.0, 20.0, 20.0, None], "escalation_denominator": [10] * 4})
    fig = rates.escalation_figure(shares)
    assert fig.layout.barmode == "stack"
    assert [t.x[0] for t in fig.data] == [60.0, 20.0, 20.0, 0.0]
    assert fig.data[0].marker.color == rates.ESCALATION_COLOURS["grid"]


def test_overdue_bar_leaves_out_units_with_nothing_overdue_or_near():
    fig = rates.overdue_bar(breakdown_frame())
    assert [t.name for t in fig.data] == ["超期", "临期"]
    assert list(fig.data[0].y) == ["乙", "甲"] and list(fig.data[0].x) == [0, 3] and list(fig.data[1].x) == [2, 1]


def test_count_axes_tick_whole_numbers():
    # A community's 超期与临期 chart with at most 3 tickets a grid was ticked 0, 0.5, 1, 1.5 ... 件.
    fig = rates.overdue_bar.uncached(breakdown_frame())
    assert fig.layout.xaxis.tickformat == ",d" and fig.layout.xaxis.dtick == 1
    small = rates.breakdown_bar.uncached(breakdown_frame(), "overdue_count")
    assert small.layout.xaxis.tickformat == ",d" and small.layout.xaxis.dtick == 1
    many = rates.overdue_bar.uncached(breakdown_frame().assign(overdue_count=[300, 40, 0, 0]))
    assert many.layout.xaxis.tickformat == ",d" and many.layout.xaxis.dtick is None  # plotly's own whole steps
    assert rates.breakdown_bar.uncached(breakdown_frame(), "response_rate").layout.xaxis.tickformat is None


def grids_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "grid_code": ["G1", "G2", "G3"], "grid_name": ["一网格", "二网格", "三网格"],
        "community_name": ["一社区"] * 3, "street_name": ["一街道"] * 3, "households": [200, None, 100],
        "ticket_count": [10, 4, 0], "tickets_per_1k_households": [50.0, None, 0.0],
        "geometry_geojson": [SQUARE, SQUARE, None],
    })


def test_density_choropleth_is_offline_with_a_colour_scale_and_grey_grids_without_households():
    fig = heat.density_choropleth(grids_frame())
    assert [t.type for t in fig.data] == ["choroplethmap", "choroplethmap"]
    grey, rated = fig.data
    assert list(rated.locations) == ["G1"] and list(rated.z) == [50.0]  # G3 has no shape: left off
    assert rated.colorscale[0][1].lower() == "rgb(255,255,204)"  # YlOrRd starts pale yellow
    assert rated.colorscale[-1][1].lower() == "rgb(128,0,38)"
    assert "每千户" in rated.colorbar.title.text
    assert list(grey.locations) == ["G2"] and grey.showscale is False
    assert fig.layout.map.style == "white-bg"
    assert [f["id"] for f in rated.geojson["features"]] == ["G1", "G2"]
    assert "http" not in fig.to_json()
    # Shapes parsed once are remembered and shared: drawing again, or the deck, must not change them.
    heat.density_deck(pd.DataFrame({"lon": [103.0], "lat": [25.0], "ticket_count": [1]}), grids_frame())
    assert heat.density_choropleth(grids_frame()).to_json() == fig.to_json()



NORMAL_RATES = [20.0 + 3 * i for i in range(21)]  # 20, 23, ..., 80: a normal spread of 21 grids, median 50


def rated_grids(rates: list[float], households: list[float | None] | None = None) -> pd.DataFrame:
    """grid_ticket_density rows with these rates (300 households each unless told), all with a shape."""
    households = households or [300] * len(rates)
    return pd.DataFrame({
        "grid_code": [f"G{i:02d}" for i in range(len(rates))], "grid_name": [f"{i}网格" for i in range(len(rates))],
        "community_name": ["一社区"] * len(rates), "street_name": ["一街道"] * len(rates), "households": households,
        "ticket_count": [0 if h is None else round(r * h / 1000) for r, h in zip(rates, households)],
        "tickets_per_1k_households": [None if h is None else r for r, h in zip(rates, households)],
        "geometry_geojson": [SQUARE] * len(rates),
    })


@pytest.mark.parametrize(("rates", "households", "top", "above", "small_above"), [
    # No outlier: the largest rate is the top, nothing clipped.
    (NORMAL_RATES, None, 80.0, 0, 0),
    # One outlier of 300 households (750 per 1,000): the top stays at the normal spread's largest, 80.
    (NORMAL_RATES + [750.0], None, 80.0, 1, 0),
    # Two far out: both above the top.
    (NORMAL_RATES + [600.0, 750.0], None, 80.0, 2, 0),
    # A tiny grid (40 households, 30 tickets = 750 per 1,000) never sets the scale, even among few grids.
    (NORMAL_RATES + [750.0], [300] * 21 + [40], 80.0, 1, 1),
    ([20.0, 40.0, 60.0, 750.0], [300, 300, 300, 40], 60.0, 1, 1),
    # Few grids (under 10): too few to call one an outlier, the top is the largest.
    ([20.0, 40.0, 60.0, 80.0, 750.0], None, 750.0, 0, 0),
    # A long tail but no outlier: 154 is exactly twice the 95th percentile (77, nearest rank below), kept.
    (NORMAL_RATES + [154.0], None, 154.0, 0, 0),
    (NORMAL_RATES + [154.5], None, 80.0, 1, 0),
    # Nearly every grid without a ticket (the 95th percentile is 0): the largest rate is the top.
    ([0.0] * 19 + [10.0], None, 10.0, 0, 0),
    # Only small grids have tickets: their largest rate is the top (a scale of 0 to 0 would say nothing).
    ([0.0] * 12 + [25.0], [300] * 12 + [40], 25.0, 0, 0),
    # Only small grids at all: they set the scale among themselves.
    ([10.0, 20.0, 30.0], [50, 50, 50], 30.0, 0, 0),
    # Grids without households (no rate) do not count; none with a rate: a scale of 0.
    (NORMAL_RATES + [900.0], [300] * 21 + [None], 80.0, 0, 0),
    ([5.0, 6.0], [None, None], 0.0, 0, 0),
])
def test_density_scale_tops_at_the_normal_spread_not_at_an_outlier_or_a_tiny_grid(rates, households, top, above,
                                                                                   small_above):
    scale = heat.density_scale(rated_grids(rates, households))
    assert scale.top == pytest.approx(top)
    assert (scale.above_count, scale.small_above_count, scale.is_clipped) == (above, small_above, above > 0)


def test_density_ticks_end_with_the_top_marked_or_plus_when_grids_are_above_it():
    assert heat.density_ticks(80.0) == [(0, "0"), (20, "20"), (40, "40"), (60, "60"), (80, "80")]
    # Clipped: "≥ 80.0" at the top, and the round 80 it would sit on is not written twice.
    assert heat.density_ticks(80.0, clipped=True) == [(0, "0"), (20, "20"), (40, "40"), (60, "60"), (80.0, "≥ 80.0")]
    # A round tick just below the top (60 of 63.5) would overlap its label: left out.
    assert heat.density_ticks(63.5) == [(0, "0"), (20, "20"), (40, "40"), (60, "60")]
    assert heat.density_ticks(63.5, clipped=True) == [(0, "0"), (20, "20"), (40, "40"), (63.5, "≥ 63.5")]
    assert heat.density_ticks(0.0) == [(0.0, "0")]


def test_density_scale_note_counts_the_grids_above_the_top_and_says_where_their_values_are():
    with_outlier = heat.density_scale(rated_grids(NORMAL_RATES + [600.0, 750.0], [300] * 22 + [40]))
    note = heat.density_scale_note(with_outlier, "见右侧列表")
    assert note.startswith("2 个网格每千户工单高于色标上限 80.0（最高 750.0），画成最深色，确切数值见右侧列表。")
    assert "其中 1 个户数不足 100 户" in note
    assert "户数不足" not in heat.density_scale_note(heat.density_scale(rated_grids(NORMAL_RATES + [750.0])), "")
    assert heat.density_scale_note(heat.density_scale(rated_grids(NORMAL_RATES)), "见右侧列表") == ""


def test_density_choropleth_tops_its_colours_at_the_scale_and_keeps_exact_rates_in_the_hover():
    rated = heat.density_choropleth.uncached(rated_grids(NORMAL_RATES + [750.0])).data[-1]
    assert (rated.zmin, rated.zmax) == (0, 80.0)  # not 750: the outlier does not make the others pale
    assert max(rated.z) == 750.0 and rated.customdata[-1][5] == "750.0"  # its exact rate, drawn darkest
    assert list(rated.colorbar.tickvals) == [0, 20, 40, 60, 80.0]
    assert list(rated.colorbar.ticktext) == ["0", "20", "40", "60", "≥ 80.0"]
    normal = heat.density_choropleth.uncached(rated_grids(NORMAL_RATES)).data[-1]
    assert normal.zmax == 80.0 and list(normal.colorbar.ticktext) == ["0", "20", "40", "60", "80"]
    few = heat.density_choropleth.uncached(rated_grids([20.0, 40.0, 60.0, 80.0, 750.0])).data[-1]
    assert few.zmax == 750.0 and not any("≥" in t for t in few.colorbar.ticktext)

def test_density_deck_draws_located_cells_over_outlines_on_the_local_style():
    points = pd.DataFrame({"lon": [103.005, 103.006, None], "lat": [25.005, 25.004, None],
                           "ticket_count": [5, 2, 9], "is_located": [True, True, False]})
    deck = heat.density_deck(points, grids_frame())
    outline, hexagons = deck.layers
    assert outline.type == "PolygonLayer" and len(outline.data) == 2
    assert hexagons.type == "HexagonLayer"
    assert sum(cell["n"] for cell in hexagons.data) == 7  # the 9 tickets without coordinates are not drawn
    assert deck.map_style == BLANK_STYLE_URL
    assert 102.9 < deck.initial_view_state.longitude < 103.1
    text = deck.to_json()
    assert "http" not in text and "\n" not in text
    # A bare string would become the JavaScript expression "@@=SUM" and the browser would draw nothing.
    assert '"colorAggregation":"SUM"' in text and '"getColorWeight":"@@=n"' in text


def test_heat_maps_outline_the_chosen_grid_in_the_lights_maps_blue_and_nothing_without_a_choice():
    """网格热力 with a grid chosen draws the grid's whole community: the chosen grid was not told apart on either map.
    Both outline it as 亮灯地图 does (onescreen.maps.SELECTED_LINE's blue, a layer or traces on top); no choice, or a
    chosen grid without a shape, draws no outline."""
    blue = "rgb({},{},{})".format(*SELECTED_LINE[0][:3])
    plain = heat.density_choropleth.uncached(grids_frame())
    assert [t.type for t in plain.data] == ["choroplethmap", "choroplethmap"]
    fig = heat.density_choropleth.uncached(grids_frame(), selected="G1")
    assert [t.type for t in fig.data] == ["choroplethmap", "choroplethmap", "scattermap", "scattermap"]
    edge, outline = fig.data[2:]
    assert (outline.line.color, outline.line.width) == (blue, SELECTED_LINE[1]) and outline.mode == "lines"
    assert edge.line.color == "#ffffff" and edge.line.width > outline.line.width  # the white edge under the blue
    ring = json.loads(SQUARE)["coordinates"][0]
    assert list(outline.lon) == [p[0] for p in ring] + [None] and list(outline.lat) == [p[1] for p in ring] + [None]
    assert outline.hoverinfo == "skip" and outline.name == "所选网格"
    rated = fig.data[1]
    assert rated.customdata[0][0] == "一网格（所选网格）"  # its hover names it chosen
    assert fig.data[0].customdata[0][0] == "二网格"
    assert [t.type for t in heat.density_choropleth.uncached(grids_frame(), selected="G3").data] == \
        ["choroplethmap", "choroplethmap"]  # G3 has no shape
    assert "http" not in fig.to_json()

    points = pd.DataFrame({"lon": [103.005], "lat": [25.005], "ticket_count": [5], "is_located": [True]})
    assert [layer.id for layer in heat.density_deck(points, grids_frame()).layers] == ["grid-outline", "ticket-density"]
    deck = heat.density_deck(points, grids_frame(), selected="G2")
    assert [layer.id for layer in deck.layers] == ["grid-outline", "ticket-density", "grid-selected"]
    chosen = deck.layers[-1]
    assert chosen.data == [{"polygon": ring}] and chosen.get_line_color == SELECTED_LINE[0]
    assert chosen.get_line_width == SELECTED_LINE[1] and chosen.filled is False
    assert [layer.id for layer in heat.density_deck(points, grids_frame(), selected="G3").layers] == \
        ["grid-outline", "ticket-density"]


def test_matrix_heatmap_fills_missing_pairs_with_zero_and_puts_the_biggest_category_on_top():
    matrix = pd.DataFrame({"unit_code": ["S1", "S1", "S2"], "unit_name": ["一街道", "一街道", "二街道"],
                           "category_l1": ["市容环境", "物业管理", "物业管理"], "ticket_count": [7, 1, 7]})
    heatmap = heat.matrix_heatmap(matrix).data[0]
    assert heatmap.type == "heatmap" and list(heatmap.x) == ["一街道", "二街道"]
    assert list(heatmap.y) == ["市容环境", "物业管理"]
    assert heatmap.z.tolist() == [[7, 0], [1, 7]]
    assert heatmap.texttemplate == "%{z:,}" and heatmap.textfont.size == heat.MATRIX_TEXT_SIZE   # written, at a set size


def test_matrix_heatmap_writes_no_counts_in_cells_too_narrow_for_them():
    """Dozens of communities: plotly shrank the counts to fit the cells (5 px at 150% zoom); past
    MATRIX_TEXT_MAX_UNITS columns the colours and the hover say them."""
    codes = [f"C{i:02d}" for i in range(heat.MATRIX_TEXT_MAX_UNITS + 1)]
    matrix = pd.DataFrame({"unit_code": codes, "unit_name": [f"{c}社区" for c in codes], "category_l1": "物业管理",
                           "ticket_count": range(1, len(codes) + 1)})
    heatmap = heat.matrix_heatmap.uncached(matrix).data[0]
    assert heatmap.texttemplate is None and heatmap.z.tolist() == [list(range(1, len(codes) + 1))]
    assert heat.matrix_heatmap.uncached(matrix.iloc[:-1]).data[0].texttemplate == "%{z:,}"


def test_weekday_hour_heatmap_is_seven_by_twenty_four():
    counts = pd.DataFrame({"weekday": [1, 7], "hour": [9, 23], "ticket_count": [7, 2]})
    fig = heat.weekday_hour_heatmap(counts)
    heatmap = fig.data[0]
    assert heatmap.z.shape == (7, 24) and heatmap.z[0][9] == 7 and heatmap.z[6][23] == 2 and heatmap.z.sum() == 9
    assert heatmap.y[0] == "周一" and heatmap.x[9] == "9时"
    assert heatmap.colorscale[0][1].lower() == "rgb(255,255,204)"
    assert fig.layout.yaxis.autorange == "reversed"


def test_recurring_figure_compares_this_period_with_the_previous():
    problems = pd.DataFrame({"place_name": ["PB小区", "PA1小区"], "category_l1": ["物业管理"] * 2,
                             "ticket_count": [3, 2], "previous_ticket_count": [1, 0]})
    previous, current = heat.recurring_figure(problems).data
    assert (previous.name, current.name) == ("上期", "本期")
    assert list(current.y) == ["PA1小区 · 物业管理", "PB小区 · 物业管理"] and list(current.x) == [2, 3]
    assert list(previous.x) == [0, 1]


@pytest.fixture(scope="module")
def con(metrics_con):
    return metrics_con


OCTOBER = {"start": "2025-10-01", "end": "2025-10-31"}


def test_grid_ticket_density_per_1k_households(con):
    grids = run_query(con, "grid_ticket_density", **OCTOBER).set_index("grid_code")
    assert grids["ticket_count"].to_dict() == {"G1": 7, "G4": 7, "G2": 2, "G3": 0}
    assert grids.loc["G1", "tickets_per_1k_households"] == pytest.approx(7 * 1000 / 300)
    video = run_query(con, "grid_ticket_density", source="视频巡查", **OCTOBER).set_index("grid_code")
    assert video["ticket_count"].to_dict() == {"G2": 2, "G1": 0, "G3": 0, "G4": 0}
    assert list(run_query(con, "grid_ticket_density", street_code="S2")["grid_code"]) == ["G4"]


def test_ticket_points_counts_tickets_without_coordinates_apart(con):
    points = run_query(con, "ticket_points", **OCTOBER)
    assert len(points) == 1  # the fixture has no coordinates: one row counts the 16 October tickets
    row = points.iloc[0]
    assert (bool(row["is_located"]), row["ticket_count"]) == (False, 16) and pd.isna(row["lon"])


def test_category_street_matrix_and_weekday_hours(con):
    matrix = run_query(con, "category_street_matrix", **OCTOBER)
    cells = {(r.unit_name, r.category_l1): r.ticket_count for r in matrix.itertuples()}
    assert cells == {("一街道", "市容环境"): 7, ("一街道", "道路交通"): 1, ("一街道", "物业管理"): 1,
                     ("二街道", "物业管理"): 7}
    communities = run_query(con, "category_street_matrix", level="community", street_code="S1", **OCTOBER)
    assert set(communities["unit_name"]) == {"一社区"}
    hours = run_query(con, "weekday_hour_counts", **OCTOBER)
    assert len(hours) == 168 and hours["ticket_count"].sum() == 16
    monday_nine = hours[(hours["weekday"] == 1) & (hours["hour"] == 9)]["ticket_count"].item()
    assert monday_nine == 7  # the seven property complaints of Monday 13 October, 09:00


def test_recurring_problems_ranks_places_where_a_category_comes_back(con):
    problems = run_query(con, "recurring_problems", previous_start="2025-09-01", min_count=2, **OCTOBER)
    assert problems[["place_name", "category_l1", "ticket_count", "previous_ticket_count"]].values.tolist() == [
        ["PB小区", "物业管理", 3, 0], ["PA1小区", "物业管理", 2, 0]]
    assert list(problems["rank"]) == [1, 2] and list(problems["place_type"]) == ["compound", "compound"]
    assert len(run_query(con, "recurring_problems", min_count=3, **OCTOBER)) == 1


def test_recurring_problems_leave_voided_tickets_out():
    """已撤销 is no request: with P4 (PB) and P1 (PA1) voided, PB has two complaints and PA1 one, under the two
    the list asks for."""
    from etl.marts import build_marts
    from metrics_fixture import build_warehouse
    from onescreen.rules import load_rules

    connection = duckdb.connect()
    try:
        build_warehouse(connection)
        connection.execute("update fct_tickets set status = '已撤销' where ticket_id in ('P1', 'P4')")
        build_marts(connection, load_rules())
        problems = run_query(connection, "recurring_problems", previous_start="2025-09-01", min_count=2, **OCTOBER)
        assert problems[["place_name", "category_l1", "ticket_count"]].values.tolist() == [["PB小区", "物业管理", 2]]
    finally:
        connection.close()


def _recurring_by_hand(tickets: pd.DataFrame, compounds: dict[str, str], start: str, end: str,
                       previous_start: str | None, min_count: int, limit: int,
                       compounds_only: bool = False) -> list[tuple]:
    """高频问题 reckoned plainly from its definition (onescreen/koujing.py), by the places' text; with
    ``compounds_only`` (the big screen's tier), compounds alone, ranked among themselves."""
    places = tickets["compound_code"].notna() | (tickets["address_area"].notna() & (not compounds_only))
    places &= tickets["status"].ne("已撤销")   # a voided ticket is no request
    t = tickets[places].copy()
    t = t[(t["received_at"] >= pd.Timestamp(previous_start or start)) & (t["received_at"] < pd.Timestamp(end) + pd.Timedelta(days=1))]
    t["place_type"] = t["compound_code"].map(lambda c: "address" if c is None else "compound")
    t["place_key"] = t["compound_code"].fillna(t["address_area"])
    t["current"] = t["received_at"] >= pd.Timestamp(start)
    rows = []
    for (place_type, place_key, category), group in t.groupby(["place_type", "place_key", "category_l1"]):
        current = group[group["current"]]
        if len(current) < min_count:
            continue
        units = current.groupby(["street_name", "community_name", "grid_code"]).size().reset_index(name="n")
        units = units.sort_values(["n", "grid_code", "community_name", "street_name"], ascending=[False, True, True, True])
        unit = units.iloc[0]
        name = compounds.get(place_key, place_key) if place_type == "compound" else place_key
        rows.append((len(current), len(current) - (len(group) - len(current)), name, category, place_type, place_key,
                     len(group) - len(current), current["received_at"].dt.date.nunique(),
                     current["received_at"].min(), current["received_at"].max(), unit["grid_code"]))
    rows.sort(key=lambda r: (-r[0], -r[1], r[2], r[3]))
    return [(rank, *row) for rank, row in enumerate(rows[:limit], start=1)]


def test_recurring_problems_matches_a_plain_reckoning_with_many_ties():
    """The query counts places by their number (place_hash) and names only those that can be shown; the
    list must be exactly what counting by text gives, ties broken by name, at every limit."""
    import random

    from etl.warehouse import create_schema

    rng = random.Random(7)
    connection = duckdb.connect()
    create_schema(connection)
    compounds = {f"P{i}": f"{'甲乙丙'[i % 3]}{i}小区" for i in range(6)}
    connection.executemany("insert into dim_compounds (compound_code, compound_name, grid_code) values (?, ?, 'G1')",
                           list(compounds.items()))
    places = [(code, None) for code in compounds] + [(None, f"幸福路{i}号") for i in range(8)] + [(None, None)]
    rows = []
    for i in range(900):
        compound, area = rng.choice(places)
        grid = rng.choice(["G1", "G2", "G3"])
        received = pd.Timestamp("2025-09-01") + pd.Timedelta(minutes=rng.randrange(61 * 24 * 60))
        rows.append((f"T{i}", "hotline", "12345热线", rng.choice(["物业管理", "市容环境", "道路交通"]), received,
                     "一街道", "一社区", grid, compound, area, "grid_code", False, "h", 1,
                     "已撤销" if i % 13 == 0 else "办理中"))
    connection.executemany(
        "insert into fct_tickets (ticket_id, feed, source, category_l1, received_at, street_name, community_name,"
        " grid_code, compound_code, address_area, placed_by, has_timeline_error, row_hash, batch_id, status)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    from etl.load_tickets import fill_place_hashes

    assert fill_place_hashes(connection) == sum(1 for r in rows if r[8] or r[9])
    tickets = connection.execute("select * from fct_tickets").df()
    tickets = tickets.astype(object).where(tickets.notna(), None)
    tickets["received_at"] = pd.to_datetime(tickets["received_at"])
    columns = ["rank", "ticket_count", "change", "place_name", "category_l1", "place_type", "place_key",
               "previous_ticket_count", "day_count", "first_received_at", "last_received_at", "grid_code"]
    checked = 0
    for compounds_only in (False, True):
        for previous_start in (None, "2025-09-01"):
            for min_count, limit in ((1, 1), (1, 2), (3, 5), (5, 7), (8, 3), (2, 50), (40, 50)):
                got = run_query(connection, "recurring_problems", start="2025-10-01", end="2025-10-31",
                                previous_start=previous_start, min_count=min_count, limit=limit,
                                compounds_only=compounds_only)
                expected = _recurring_by_hand(tickets, compounds, "2025-10-01", "2025-10-31", previous_start,
                                              min_count, limit, compounds_only)
                case = (compounds_only, previous_start, min_count, limit)
                assert [tuple(r) for r in got[columns].itertuples(index=False)] == expected, case
                checked += len(expected)
                if compounds_only and expected:  # ranks 1, 2, ... with no gap where an address was
                    assert set(got["place_type"]) == {"compound"}
                    assert list(got["rank"]) == list(range(1, len(got) + 1))
    assert checked > 100  # the lists were not all empty
    connection.close()


def test_overview_trend_draws_each_distinct_target():
    from onescreen.figures.overview import rates_trend_figure

    trend = pd.DataFrame({"period_start": pd.to_datetime(["2025-09-01", "2025-10-01"]),
                          "response_rate": [98.0, 99.0], "resolution_rate": [90.0, 92.0],
                          "satisfaction_rate": [95.0, 96.0]})
    same = rates_trend_figure(trend, {"response_rate": 97.0, "resolution_rate": 97.0, "satisfaction_rate": 97.0})
    assert [a.text for a in same.layout.annotations] == ["目标 97%"]
    apart = rates_trend_figure(trend, {"response_rate": 97.0, "resolution_rate": 90.0, "satisfaction_rate": 97.0})
    assert sorted(a.text for a in apart.layout.annotations) == ["响应率、满意率<br>目标 97%", "解决率<br>目标 90%"]
    assert sorted(s.y0 for s in apart.layout.shapes) == [90.0, 97.0]


@pytest.mark.parametrize("targets", [(97, 97, 97), (97, 95, 97), (97, 96, 95), (97, 96.5, 96), (97.2, 97.1, 97)])
def test_overview_trend_target_labels_stand_in_the_right_margin_apart(targets):
    """"目标 97%" sat inside the plot on its line and on the last points of 响应率: the labels are in a right
    margin as wide as the widest, each led from the end of its line, and close targets' labels stand apart at
    any plot height from the least the chart can have (legend in three rows) up."""
    from onescreen.figures import overview

    trend = pd.DataFrame({"period_start": pd.date_range("2024-11-01", periods=12, freq="MS"),
                          "response_rate": [96.5] * 12, "resolution_rate": [89.5] * 12, "satisfaction_rate": [90.8] * 12})
    fig = overview.rates_trend_figure(trend, dict(zip(("response_rate", "resolution_rate", "satisfaction_rate"), targets)),
                                      height=250)
    notes = fig.layout.annotations
    assert len(notes) == len(set(targets))
    assert all((a.xref, a.x, a.xanchor, a.showarrow, a.ax) == ("paper", 1, "left", True, overview.LEADER_PX)
               for a in notes)
    widest = max(overview.text_width(line, overview.LABEL_SIZE) for a in notes for line in a.text.split("<br>"))
    assert fig.layout.margin.r >= overview.LEADER_PX + widest
    assert fig.layout.legend.yanchor == "bottom" and fig.layout.legend.y >= 1  # above the plot, not over its top
    low, high = fig.layout.yaxis.range
    least = 250 - fig.layout.margin.t - fig.layout.margin.b - 100
    for plot_px in (least, least * 1.5, least * 3):
        centres = sorted(plot_px * (high - a.y) / (high - low) + a.ay for a in notes)
        gap = overview.label_gap([(a.y, a.text.split("<br>")) for a in notes])
        assert all(b - a >= gap - 0.5 for a, b in zip(centres, centres[1:])), (plot_px, centres)


def test_white_gives_the_same_figure_as_the_plotly_white_template():
    """onescreen.figures.white skips plotly's re-validation of the template, nothing else: the figure's
    JSON equals update_layout(template="plotly_white")'s, and the registered template is left as it was."""
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    from onescreen.figures import white

    registered = pio.templates["plotly_white"].to_plotly_json()

    def figure():
        return go.Figure(go.Bar(x=["甲", "乙"], y=[3, 4])).update_layout(height=300, barmode="group")

    expected = json.loads(figure().update_layout(template="plotly_white").to_json())
    assert json.loads(white(figure()).to_json()) == expected
    assert json.loads(white(figure()).to_json()) == expected   # twice: the shared template still whole
    assert expected["layout"]["template"]["layout"]["plot_bgcolor"] == "white"
    assert pio.templates["plotly_white"].to_plotly_json() == registered
    simple = json.loads(figure().update_layout(template="simple_white").to_json())   # the report's
    assert json.loads(white(figure(), "simple_white").to_json()) == simple != expected


def test_breakdown_table_greys_exactly_the_unranked_rows_and_dashes_missing_values():
    import re

    table = pd.DataFrame({
        "综合排名": [1.0, float("nan"), 2.0, float("nan")],
        "单位": ["一街", "二街", "三街", "未落格"],
        "响应率%": [98.25, 40.0, float("nan"), 1234.56],
        "名次变化": [2.0, float("nan"), -1.0, float("nan")],
        "平均办理时长（工作日）": [1.234, 2.0, 3.5, float("nan")],
        "参与排名": ["是", "否（分母不足）", "是", "否（分母不足）"],
    })
    html = rates.grey_unranked(table).to_html()
    style = html[html.index("<style"):html.index("</style>")]
    styled_cells = set()
    for block in re.findall(r"([^{}]+)\{([^}]*)\}", style):
        if rates.UNRANKED_TEXT_COLOUR in block[1]:
            styled_cells |= {(int(r), int(c)) for r, c in re.findall(r"row(\d+)_col(\d+)", block[0])}
    assert styled_cells == {(row, col) for row in (1, 3) for col in range(len(table.columns))}
    cells = {(int(r), int(c)): v for r, c, v in re.findall(r'_row(\d+)_col(\d+)" class="[^"]*" >([^<]*)<', html)}
    assert [cells[(row, 0)] for row in range(4)] == ["1", "—", "2", "—"]
    assert [cells[(row, 2)] for row in range(4)] == ["98.2", "40.0", "—", "1,234.6"]
    assert [cells[(row, 3)] for row in range(4)] == ["+2", "—", "-1", "—"]
    assert [cells[(row, 4)] for row in range(4)] == ["1.23", "2.00", "3.50", "—"]

    all_ranked = rates.grey_unranked(table[table["参与排名"] == "是"]).to_html()
    assert rates.UNRANKED_TEXT_COLOUR not in all_ranked


def _breakdown(units: list[str], metric_values: list[float], ranked: list[bool]) -> pd.DataFrame:
    """``rates_breakdown`` rows with the columns ``breakdown_table`` reads."""
    n = len(units)
    frame = pd.DataFrame({"unit_code": units, "unit_name": [None if u == "X" else f"{u}街" for u in units],
                          "composite_rank": [float(i + 1) if r else float("nan") for i, r in enumerate(ranked)],
                          "ticket_count": [10 * (i + 1) for i in range(n)], "composite_score": metric_values,
                          "rank_change": [1.0] * n, "overdue_count": [0] * n, "near_deadline_count": [1] * n,
                          "avg_handling_workdays": [1.234] * n, "is_ranked": ranked})
    for rate in ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate", "closure_rate"):
        numerator, denominator = rates.RATE_N[rate]
        frame[rate], frame[numerator], frame[denominator] = 90.04, 9.0, 10
    frame["satisfaction_numerator"] = 9.5
    return frame


def test_breakdown_table_rows_columns_and_changes():
    current = _breakdown(["A", "B", "X"], [90.0, 80.0, 70.0], [True, True, False])
    previous = _breakdown(["B", "A"], [85.0, 91.25], [True, True])  # another order; X had no tickets
    yoy = _breakdown(["A"], [88.0], [True])
    table = rates.breakdown_table.uncached(current, previous, yoy, "composite_score")
    assert list(table["单位"]) == ["A街", "B街", "X"]  # current's order; a unit without a name shows its code
    assert table["综合得分环比（分）"].tolist()[:2] == [-1.2, -5.0] and pd.isna(table["综合得分环比（分）"].iloc[2])
    assert table["综合得分同比（分）"].tolist()[0] == 2.0 and table["综合得分同比（分）"].iloc[1:].isna().all()
    assert list(table["参与排名"]) == ["是", "是", "否（分母不足）"]
    assert table["综合排名"].iloc[:2].tolist() == [1.0, 2.0] and pd.isna(table["综合排名"].iloc[2])
    assert list(table["满意率N"]) == ["9.5/10"] * 3 and list(table["响应率%"]) == [90.0] * 3
    counts = rates.breakdown_table.uncached(current, current, current, "ticket_count")
    assert list(counts["受理量环比（件）"]) == [0, 0, 0]
    def again(frame: pd.DataFrame) -> pd.DataFrame:  # an equal frame, as st.cache_data hands one out
        return pickle.loads(pickle.dumps(frame))

    for _ in range(2):  # built, then handed out from figures.shared: the same table both times
        pd.testing.assert_frame_equal(
            rates.breakdown_table(again(current), again(previous), again(yoy), "composite_score"), table)


def test_breakdown_csv_writes_ranks_as_whole_numbers_and_no_code_for_unassigned_units():
    current = _breakdown(["A", "B", "unassigned"], [90.0, 80.0, 70.0], [True, True, False])
    current["unit_name"] = ["A街", "B街", "街道不明"]
    table = rates.breakdown_table.uncached(current, current, current, "composite_score")
    assert table["编码"].iloc[:2].tolist() == ["A", "B"] and pd.isna(table["编码"].iloc[2])  # not "unassigned"
    lines = rates.breakdown_csv(table).decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","))) for line in lines[1:]]
    assert [(r["综合排名"], r["单位"], r["编码"], r["名次变化"]) for r in rows] == [
        ("1", "A街", "A", "1"), ("2", "B街", "B", "1"), ("", "街道不明", "", "1")]
    assert table["综合排名"].dtype == "float64"  # the table shown is left as it was


def test_recurring_problems_on_screen_read_place_category_and_counts_first():
    assert heat.RECURRING_ORDER[:6] == ["排名", "地点", "一级分类", "本期（件）", "上期（件）", "变化（件）"]
    config = heat.recurring_columns()
    assert {config[c]["label"] for c in ("本期（件）", "上期（件）", "变化（件）")} == {"本期", "上期", "变化"}
    assert all("type_config" not in config[c] or config[c]["type_config"].get("type") != "number"
               for c in ("本期（件）", "上期（件）", "变化（件）"))  # "<3" on the big screen's tier is text


def test_axis_text_of_every_analysis_chart_reads_at_seven_to_one():
    """Streamlit's chart theme drew ticks and axis titles #808495, 3.7:1 on white at 12 px (4.4:1 on the big screen's
    navy). The shared layouts set every axis's ticks and title: the light pages' grey reads 7:1 or more on white, the
    big screen's blue-grey on navy; the theme's axis colours outrank a figure's font colour, so it is the axes'."""
    from onescreen import ui
    from onescreen.figures import AXIS_TEXT, overview

    shares = pd.DataFrame({"handling_level": ["grid", "district"], "handling_level_label": ["网格", "区"],
                           "closed_count": [6, 4], "share": [60.0, 40.0], "escalation_denominator": [10, 10]})
    light = [
        rates.rates_trend_figure.uncached(trend_frame()),
        rates.breakdown_bar.uncached(breakdown_frame(), "composite_score"),
        rates.handling_time_figure.uncached(pd.DataFrame({"bucket_label": ["不足1个工作日"], "ticket_count": [3],
                                                          "share": [100.0], "handling_count": [3]})),
        rates.escalation_figure.uncached(shares),
        rates.overdue_bar.uncached(breakdown_frame()),
        heat.matrix_heatmap.uncached(pd.DataFrame({"unit_code": ["S1"], "unit_name": ["一街道"],
                                                   "category_l1": ["市容环境"], "ticket_count": [7]})),
        heat.weekday_hour_heatmap.uncached(pd.DataFrame({"weekday": [1], "hour": [9], "ticket_count": [7]})),
        heat.recurring_figure.uncached(pd.DataFrame({"place_name": ["PB小区"], "category_l1": ["物业管理"],
                                                     "ticket_count": [3], "previous_ticket_count": [1]})),
    ]
    assert ui.contrast_ratio(AXIS_TEXT, "#ffffff") >= 7
    trend = pd.DataFrame({"period_start": pd.to_datetime(["2025-09-01"]), "response_rate": [98.0],
                          "resolution_rate": [90.0], "satisfaction_rate": [95.0]})
    dark = [overview.rates_trend_figure.uncached(trend, {"response_rate": 97.0})]
    assert ui.contrast_ratio(overview.AXIS_TEXT, ui.NAVY) >= 7
    for figures, colour in ((light, AXIS_TEXT), (dark, overview.AXIS_TEXT)):
        for fig in figures:
            axes = [fig.layout[name] for name in fig.layout if name.startswith(("xaxis", "yaxis"))]
            assert axes and all(a.tickfont.color == colour and a.title.font.color == colour for a in axes), fig


def test_unranked_rows_are_grey_yet_legible():
    """Unranked rows of the 三率 table were #9aa5b1 on white, 2.5:1; their grey now reads 4.5:1 or more and still
    differs from the ranked rows' text (the 参与排名 column says 否 as well)."""
    from onescreen import ui

    assert ui.contrast_ratio(rates.UNRANKED_TEXT_COLOUR, "#ffffff") >= 4.5
    assert rates.UNRANKED_TEXT_COLOUR.lower() != "#1b2433"


def test_labels_in_bars_are_never_shrunk_below_eleven_px_and_read_on_their_bar():
    """Plotly shrank labels to fit their bar (三率 ranking 7.7 px, 办结层级's "区 2.4%" 3 px) and drew them white on
    the yellow and light green bars (2.0:1, 2.2:1). A label under 11 px is left out (the hover and the table have
    it), the ranking's values stand outside their bars at full size, and a label inside a bar is white or
    near-black, whichever reads better on it (4.5:1 or more)."""
    from onescreen import ui
    from onescreen.figures import AXIS_TEXT, MIN_LABEL_PX

    shares = pd.DataFrame({"handling_level": ["grid", "community", "street", "district"],
                           "handling_level_label": ["网格", "社区", "街道", "区"], "closed_count": [6, 2, 1, 1],
                           "share": [60.0, 20.0, 10.0, 10.0], "escalation_denominator": [10] * 4})
    escalation = rates.escalation_figure.uncached(shares)
    for trace in escalation.data:
        assert ui.contrast_ratio(trace.insidetextfont.color, trace.marker.color) >= 4.5, trace.name
    assert escalation.data[2].insidetextfont.color != "#ffffff"  # 街道's yellow bar: dark text
    ranking = rates.breakdown_bar.uncached(breakdown_frame(), "composite_score").data[0]
    assert (ranking.textposition, ranking.constraintext, ranking.outsidetextfont.color) == ("outside", "none",
                                                                                             AXIS_TEXT)
    for fig in (escalation, rates.handling_time_figure.uncached(pd.DataFrame(
            {"bucket_label": ["不足1个工作日"], "ticket_count": [3], "share": [100.0], "handling_count": [3]}))):
        assert (fig.layout.uniformtext.minsize, fig.layout.uniformtext.mode) == (MIN_LABEL_PX, "hide")
    assert MIN_LABEL_PX >= 11


def test_density_choropleth_fits_a_wide_district_into_the_pages_map():
    """The view was fitted to a 900 px map, but 网格热力 draws it 481 px wide at 1440 px (three fifths of the page, less
    the colour bar): the demo district's east and west edges fell outside, cut straight. A district twice as wide as
    tall now fits that width."""
    wide = json.dumps({"type": "Polygon", "coordinates": [[[103.0, 25.0], [103.2, 25.0], [103.2, 25.1],
                                                           [103.0, 25.1], [103.0, 25.0]]]})
    grids = grids_frame().assign(geometry_geojson=[wide, wide, None])
    view = heat.density_choropleth.uncached(grids).layout.map
    drawn_px = 0.2 / 360 * 512 * 2 ** view.zoom  # the district's width on the map at that zoom
    assert drawn_px <= 481


@pytest.mark.parametrize("across, up", [(0.12, 0.08), (0.2, 0.1), (0.08, 0.16)], ids=["demo-like", "wide", "tall"])
def test_density_choropleth_is_as_tall_as_its_district_needs(across, up):
    """The map was 520 px high whatever the district's shape: a district wider than tall (the demo's, about 1.2 : 1)
    filled 61% of it, with white bands above and below. Its height now follows the shape at the page's map width
    (300 to 640 px): the district fills it up and down as much as across, and still fits both ways."""
    import math

    box = json.dumps({"type": "Polygon", "coordinates": [[[103.0, 25.0], [103.0 + across, 25.0],
                                                          [103.0 + across, 25.0 + up], [103.0, 25.0 + up],
                                                          [103.0, 25.0]]]})
    fig = heat.density_choropleth.uncached(grids_frame().assign(geometry_geojson=[box, box, None]))
    scale = 512 * 2 ** fig.layout.map.zoom

    def mercator(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    wide_px = across / 360 * scale
    high_px = (mercator(25.0 + up) - mercator(25.0)) / (2 * math.pi) * scale
    assert wide_px <= heat.MAP_PX and high_px <= fig.layout.height  # the whole district shows
    assert 300 <= fig.layout.height <= 640
    if fig.layout.height > 300:  # (a very wide district keeps the shortest map: bands are then unavoidable)
        assert high_px / fig.layout.height >= 0.75, (fig.layout.height, high_px)
    assert heat.density_choropleth.uncached(grids_frame().assign(geometry_geojson=[box, box, None]),
                                            height=520).layout.height == 520  # a height given is kept


def test_a_change_that_rounds_to_zero_reads_0_0_without_a_sign():
    """翠湖街道's 环比 read "-0.0" in the breakdown table (a change of -0.04): the tiles already say 持平; the table now
    says 0.0, in its numbers and in the text it shows."""
    import math
    import re

    current = _breakdown(["A", "B"], [90.0, 80.0], [True, True])
    previous = _breakdown(["A", "B"], [90.04, 79.0], [True, True])
    table = rates.breakdown_table.uncached(current, previous, previous, "composite_score")
    change = table["综合得分环比（分）"]
    assert change.tolist() == [0.0, 1.0] and math.copysign(1, change.iloc[0]) == 1.0
    html = rates.grey_unranked.uncached(table).to_html()
    column = list(table.columns).index("综合得分环比（分）")
    shown = re.findall(rf'_row(\d+)_col{column}" class="[^"]*" >([^<]*)<', html)
    assert [text for _, text in shown] == ["0.0", "1.0"]
    raw = table.assign(**{"综合得分环比（分）": [-0.04, -1.0]})  # unrounded: the format alone says 0.0
    html = rates.grey_unranked.uncached(raw).to_html()
    assert [text for _, text in re.findall(rf'_row(\d+)_col{column}" class="[^"]*" >([^<]*)<', html)] == ["0.0", "-1.0"]


def test_handling_time_labels_have_room_above_the_tallest_bar_and_escalation_shares_are_in_the_legend():
    """At 1366 px /rates' 办理时长 lost the labels of its tall bars (no room above them; plotly shrank an outside
    label to its 33 px bar and dropped it) and 办结层级's 街道 and 区 segments had none (too narrow). The axis now
    runs on past the tallest bar, the labels keep their size, and the legend gives every level's share."""
    from onescreen.figures import MIN_LABEL_PX

    distribution = pd.DataFrame({"bucket_label": ["不足1个工作日", "1-2个工作日"], "ticket_count": [6853, 229],
                                 "share": [96.8, 3.2], "handling_count": [7082, 7082]})
    fig = rates.handling_time_figure.uncached(distribution)
    bar = fig.data[0]
    assert (bar.textposition, bar.constraintext, bar.cliponaxis) == ("outside", "none", False)
    assert bar.textfont.size >= MIN_LABEL_PX
    low, high = fig.layout.yaxis.range
    assert low == 0 and high >= 1.25 * 6853
    shares = pd.DataFrame({"handling_level": ["grid", "community", "street", "district"],
                           "handling_level_label": ["网格", "社区", "街道", "区"], "closed_count": [619, 250, 107, 25],
                           "share": [61.9, 25.0, 10.7, 2.5], "escalation_denominator": [1001] * 4})
    assert [t.name for t in rates.escalation_figure.uncached(shares).data] == ["网格 61.9%", "社区 25.0%", "街道 10.7%",
                                                                              "区 2.5%"]


def test_the_top_density_table_marks_the_chosen_grid_or_says_its_rank_below_it():
    grids = pd.DataFrame({
        "grid_code": [f"G{i:02d}" for i in range(13)], "grid_name": [f"{i}号网格" for i in range(13)],
        "community_name": "东风社区", "ticket_count": list(range(26, 0, -2)),
        "households": [400.0] * 12 + [None],
    })
    grids["tickets_per_1k_households"] = 1000 * grids["ticket_count"] / grids["households"]
    plain, note = heat.top_density_table(grids)
    assert note is None and len(plain.data) == heat.TOP_DENSITY_ROWS and "background" not in plain.to_html()
    assert plain.to_html().count(">65.0<") == 1  # 26 tickets / 400 households, one decimal

    marked, note = heat.top_density_table(grids, "G03")
    assert note is None and marked.data["网格"].tolist()[3] == "3号网格（所选网格）"
    html = marked.to_html()
    style = html[html.index("<style"):html.index("</style>")]
    assert sorted({int(r) for r in re.findall(r"row(\d+)_col\d+", style)}) == [3]

    below, note = heat.top_density_table(grids, "G11")
    assert not any("所选网格" in n for n in below.data["网格"])
    assert note == "所选网格 11号网格：每千户 10.0 件（工单 4 件 / 400 户），在有户数的 12 个网格中居第 12，不在前 10 名。"
    assert heat.top_density_table(grids, "G12")[1] == "所选网格 12号网格：工单 2 件，没有户数，不计算每千户，不参与排序。"
    assert heat.top_density_table(grids, "NO-SUCH")[1] is None
