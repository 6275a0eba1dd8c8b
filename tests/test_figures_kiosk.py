"""The wall screen's charts as static SVG (onescreen.figures.kiosk): the data they draw, read back from the markup."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from onescreen.figures import kiosk
from onescreen.figures.overview import RATE_COLOURS

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    """The chart's <svg>, parsed as XML (so the markup is well formed), after checking it is one line."""
    assert "\n" not in markup and markup.startswith('<div class="os-svg-chart"')
    return ET.fromstring(markup).find(f"{SVG}svg")


def texts(svg: ET.Element) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}text")]


def target_texts(svg: ET.Element) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "os-target-label"]


def titles(svg: ET.Element, tag: str) -> list[str]:
    return [mark.find(f"{SVG}title").text for mark in svg.iter(f"{SVG}{tag}")]


@pytest.mark.parametrize(("low", "high", "ticks"), [
    (85.0, 100, [85, 90, 95, 100]),
    (0.0, 100, [0, 20, 40, 60, 80, 100]),
    (91.3, 100, [92, 94, 96, 98, 100]),
    (50, 50, [50]),
])
def test_nice_ticks(low, high, ticks):
    assert kiosk.nice_ticks(low, high) == ticks


def test_trend_draws_every_rate_point_breaks_the_line_at_a_gap_and_labels_the_target():
    trend = pd.DataFrame({
        "period_start": pd.to_datetime(["2025-07-01", "2025-08-01", "2025-09-01", "2025-10-01"]),
        "response_rate": [96.0, 97.5, None, 98.25],
        "resolution_rate": [90.0, 91.0, 92.0, 93.0],
        "satisfaction_rate": [None, None, None, None],  # no rated tickets: not drawn, not in the legend
    })
    svg = parse(kiosk.rates_trend_svg(trend, {"response_rate": 97.0, "resolution_rate": 97.0, "satisfaction_rate": 95.0}))
    assert titles(svg, "circle") == ["2025-07 响应率 96.0%", "2025-08 响应率 97.5%", "2025-10 响应率 98.2%",
                                     "2025-07 解决率 90.0%", "2025-08 解决率 91.0%", "2025-09 解决率 92.0%",
                                     "2025-10 解决率 93.0%"]
    assert [c.get("data-period") for c in svg.iter(f"{SVG}circle")][:3] == ["2025-07", "2025-08", "2025-10"]
    paths = {p.get("stroke"): p.get("d") for p in svg.iter(f"{SVG}path")}
    # Response: one segment for 07-08 only (the point after the gap stands alone); resolution: one line of four.
    assert paths[RATE_COLOURS["response_rate"]].count("L") == 1
    assert paths[RATE_COLOURS["resolution_rate"]].count("L") == 3
    assert RATE_COLOURS["satisfaction_rate"] not in paths
    shown = texts(svg)
    legend_and_axes = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") != "os-target-label"]
    assert "满意率" not in legend_and_axes and {"响应率", "解决率"} <= set(legend_and_axes)
    # One dashed line per distinct target, naming its rates when there are several (as the plotly figure).
    assert target_texts(svg) == ["满意率", "目标 95%", "响应率、解决率", "目标 97%"]
    assert [t for t in shown if t.endswith("%") and "目标" not in t] == ["85%", "90%", "95%", "100%"]
    assert "2025-10" in shown  # the month shown is always labelled


TWELVE_MONTHS = pd.DataFrame({
    "period_start": pd.date_range("2024-11-01", periods=12, freq="MS"),
    "response_rate": [96.5] * 11 + [96.9], "resolution_rate": [89.5] * 11 + [95.6],
    "satisfaction_rate": [90.8] * 11 + [96.2]})


@pytest.mark.parametrize("targets", [
    {"response_rate": 97, "resolution_rate": 97, "satisfaction_rate": 97},
    {"response_rate": 97, "resolution_rate": 95, "satisfaction_rate": 97},
    {"response_rate": 97, "resolution_rate": 96, "satisfaction_rate": 95},
    {"response_rate": 97, "resolution_rate": 96.5, "satisfaction_rate": 96},
    {"response_rate": 97.2, "resolution_rate": 97.1, "satisfaction_rate": 97},
])
def test_target_labels_clear_their_lines_the_rates_and_each_other(targets):
    """"目标 97%" was drawn inside the plot under its dashed line, over the last points of a rate near the target.
    The labels stand in the right margin, past the end of every line, joined to their own line by a leader, and
    never on each other, for one, two or three targets however close."""
    svg = parse(kiosk.rates_trend_svg(TWELVE_MONTHS, targets))
    dashed = [e for e in svg.iter(f"{SVG}line") if e.get("stroke-dasharray")]
    leaders = [e for e in svg.iter(f"{SVG}line") if e.get("stroke") == kiosk.TARGET_COLOUR and not e.get("stroke-dasharray")]
    labels = [t for t in svg.iter(f"{SVG}text") if t.get("class") == "os-target-label"]
    assert len(dashed) == len(leaders) == len(set(targets.values()))
    plot_right = float(dashed[0].get("x2"))
    rightmost_mark = max(float(c.get("cx")) + float(c.get("r")) for c in svg.iter(f"{SVG}circle"))
    assert rightmost_mark <= plot_right
    assert all(float(t.get("x")) > plot_right and t.get("text-anchor") == "start" for t in labels)
    width = float(svg.get("viewBox").split()[2])
    assert all(float(t.get("x")) + kiosk.text_width(t.text, kiosk.TARGET_LABEL_SIZE) <= width for t in labels)  # not cut
    for line, leader in zip(dashed, leaders):  # each leader starts at the end of its own line
        assert (leader.get("x1"), leader.get("y1")) == (line.get("x2"), line.get("y1"))
    # A label's lines (the rates, then 目标 N%) are centred on its leader's end; labels do not overlap.
    blocks, k = [], 0
    for leader in leaders:
        lines = 1 if len(leaders) == 1 else 2
        ys = [float(t.get("y")) for t in labels[k:k + lines]]
        k += lines
        centre = float(leader.get("y2"))
        assert abs((ys[0] + ys[-1]) / 2 - kiosk.TARGET_LABEL_SIZE * 0.35 - centre) < 0.2
        assert all(b - a >= kiosk.TARGET_LABEL_SIZE + 3 for a, b in zip(ys, ys[1:]))   # a label's own lines clear
        blocks.append((ys[0] - kiosk.TARGET_LABEL_SIZE, ys[-1] + 3))  # from the first line's top to the last's descent
    blocks.sort()
    assert all(upper[1] <= lower[0] for upper, lower in zip(blocks, blocks[1:])), blocks
    assert k == len(labels)


@pytest.mark.parametrize(("wanted", "placed"), [
    ([50.0, 200.0], [50.0, 200.0]),             # apart already: left where they are
    ([100.0, 110.0, 120.0], [80.0, 110.0, 140.0]),  # stacked around where they want to be
    ([120.0, 100.0], [125.0, 95.0]),            # in the caller's order
    ([5.0, 10.0], [0.0, 30.0]),                 # not above the top
    ([290.0, 295.0], [270.0, 300.0]),           # nor below the bottom
])
def test_spread_labels(wanted, placed):
    assert kiosk.spread_labels(wanted, 30, 0, 300) == placed


def test_trend_without_data_says_so():
    empty = pd.DataFrame({"period_start": [], "response_rate": []})
    assert texts(parse(kiosk.rates_trend_svg(empty, {"response_rate": 97.0}))) == ["暂无数据"]


def test_category_mix_shows_the_top_eight_with_counts_and_escapes_names():
    mix = pd.DataFrame({
        "category_l1": ["物业<管理>", "城市&管理", *[f"分类{i}" for i in range(8)]],
        "ticket_count": [1200, 800, *range(80, 0, -10)],
        "previous_count": [1000, None, *range(80, 0, -10)],
    })
    markup = kiosk.category_mix_svg(mix)
    assert "物业&lt;管理&gt;" in markup and "<管理>" not in markup
    svg = parse(markup)
    rects = [r for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(rects) == 16  # 8 categories, this period and the previous
    tips = [r.find(f"{SVG}title").text for r in rects]
    assert tips[0] == "物业<管理>：本期 1,200 件，上期 1,000 件" and tips[2] == "城市&管理：本期 800 件，上期 0 件"
    widths = [float(r.get("width")) for r in rects]
    assert widths[0] == max(widths) and widths[0] / widths[1] == pytest.approx(1.2, rel=1e-3)
    assert "1,200" in texts(svg) and "分类6" not in texts(svg)


def test_category_mix_writes_the_count_past_a_longer_previous_bar():
    # The count (14 px) is taller than this period's bar (9 px) and reached over the 上期 bar below it: on the wall
    # 物业管理's "2,992" was written across its longer grey bar.
    mix = pd.DataFrame({"category_l1": ["物业管理", "城市管理"], "ticket_count": [2992, 2045],
                        "previous_count": [3100, 1700]})
    svg = parse(kiosk.category_mix_svg(mix))
    bars = [r for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    counts = {t.text: float(t.get("x")) for t in svg.iter(f"{SVG}text") if t.text in ("2,992", "2,045")}
    ends = [float(r.get("x")) + float(r.get("width")) for r in bars]  # this period's, the previous', for each
    assert counts["2,992"] > max(ends[0], ends[1]) and counts["2,045"] > max(ends[2], ends[3])
    assert counts["2,992"] > ends[1] > ends[0]  # (the previous bar is the longer one here)
    assert all(x + kiosk.text_width("2,992", kiosk.TICK_SIZE) <= 560 for x in counts.values())


def test_street_ranking_puts_the_best_first_and_greys_the_unranked():
    ranking = pd.DataFrame({
        "unit_name": ["甲街道", "乙街道", "丙街道", "丁街道"],
        "composite_score": [88.5, 93.25, None, 70.0],
        "is_ranked": [True, True, False, False],
        "ticket_count": [1200, 3400, 2, 5],
    })
    svg = parse(kiosk.street_ranking_svg(ranking))
    assert titles(svg, "rect") == ["乙街道：93.2 分（受理 3,400 件）", "甲街道：88.5 分（受理 1,200 件）",
                                   "丁街道：70.0 分（受理 5 件），不参与排名（样本不足或缺少某率）",
                                   "丙街道：无得分（受理 2 件），不参与排名（样本不足或缺少某率）"]
    fills = [r.get("fill") for r in svg.iter(f"{SVG}rect")]
    assert fills == [kiosk.CURRENT_COLOUR, kiosk.CURRENT_COLOUR, kiosk.UNRANKED_COLOUR, kiosk.UNRANKED_COLOUR]
    assert [t for t in texts(svg) if re.fullmatch(r"[\d.]+|—", t)] == ["93.2", "88.5", "70.0", "—"]


def test_many_streets_get_smaller_type_so_names_never_overlap():
    ranking = pd.DataFrame({"unit_name": [f"第{i}街道" for i in range(24)], "composite_score": [90.0 - i for i in range(24)],
                            "is_ranked": [True] * 24, "ticket_count": [100] * 24})
    svg = parse(kiosk.street_ranking_svg(ranking, height=260))
    names = [t for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert len(names) == 24
    ys, size = [float(t.get("y")) for t in names], float(names[0].get("font-size"))
    assert size < kiosk.FONT_SIZE and min(b - a for a, b in zip(ys, ys[1:])) >= size
    assert max(ys) <= 260
    few = parse(kiosk.street_ranking_svg(ranking.head(5), height=260))
    assert {t.get("font-size") for t in few.iter(f"{SVG}text") if t.get("text-anchor") == "end"} == {str(kiosk.FONT_SIZE)}


def test_density_colours_run_from_light_yellow_to_dark_red_and_grey_without_a_rate():
    first, last = kiosk.DENSITY_STOPS[0], kiosk.DENSITY_STOPS[-1]
    assert kiosk.density_colour(0, 300) == "#{:02x}{:02x}{:02x}".format(*first)
    assert kiosk.density_colour(300, 300) == kiosk.density_colour(900, 300) == "#{:02x}{:02x}{:02x}".format(*last)
    assert kiosk.density_colour(None, 300) == kiosk.density_colour(float("nan"), 300) == kiosk.NO_RATE_COLOUR
    reds = [int(kiosk.density_colour(v, 300)[3:5], 16) for v in (0, 75, 150, 225, 300)]  # green falls as it rises
    assert reds == sorted(reds, reverse=True)
    assert kiosk.density_colour(5, 0) == "#{:02x}{:02x}{:02x}".format(*first)  # no rate above zero: all lightest


def test_density_legend_names_its_unit_ticks_from_zero_and_the_grey():
    svg = parse(kiosk.density_legend_svg(392.0, width=800))
    shown = texts(svg)
    assert shown[0] == "每千户工单（件）" and shown[-1] == "无户数"
    assert shown[1:-1] == ["0", "100", "200", "300"]
    stops = [s.get("stop-color") for s in svg.iter(f"{SVG}stop")]
    assert len(stops) == len(kiosk.DENSITY_STOPS)



def test_density_legend_with_grids_above_its_top_ends_with_the_top_marked_at_the_bar_end():
    svg = parse(kiosk.density_legend_svg(80.0, width=800, clipped=True))
    marks = [t for t in svg.iter(f"{SVG}text")]
    assert [t.text for t in marks][1:-1] == ["0", "20", "40", "60", "≥ 80.0"]
    top = marks[-2]
    bar = next(r for r in svg.iter(f"{SVG}rect") if r.get("fill") == "url(#os-density-scale)")
    bar_end = float(bar.get("x")) + float(bar.get("width"))
    assert top.get("text-anchor") == "end" and float(top.get("x")) == pytest.approx(bar_end, abs=0.1)  # clear of the grey
    assert "更高的画成最深色" in svg.get("aria-label")
    assert "≥" not in "".join(texts(parse(kiosk.density_legend_svg(80.0, width=800))))


def test_a_median_grid_is_no_paler_on_the_wall_when_one_grid_is_far_out():
    """The wall colours each grid with density_colour(rate, density_scale(grids).top): a 750 beside rates of 20-80
    (or a 40-household grid) must not wash the others out."""
    from onescreen.figures import heat

    normal = [20.0 + 3 * i for i in range(21)]  # median 50

    def frame(rates, households):
        return pd.DataFrame({"tickets_per_1k_households": rates, "households": households})

    def median_colour(grids: pd.DataFrame) -> str:
        return kiosk.density_colour(50.0, heat.density_scale(grids).top)

    alone = median_colour(frame(normal, [300] * 21))
    assert median_colour(frame(normal + [750.0], [300] * 22)) == alone
    assert median_colour(frame(normal + [750.0], [300] * 21 + [40])) == alone
    # The old scale (0 to the maximum) drew the median grid almost as pale as an empty one.
    assert kiosk.density_colour(50.0, 750.0) != alone
    assert kiosk.density_colour(750.0, 80.0) == "#{:02x}{:02x}{:02x}".format(*kiosk.DENSITY_STOPS[-1])

def _recurring(rows: list[tuple]) -> pd.DataFrame:
    """recurring_problems rows as the big screen's tier returns them: counts as text, "<3" for 1-2, change NaN then."""
    return pd.DataFrame(rows, columns=["place_name", "category_l1", "street_name", "community_name", "ticket_count",
                                       "previous_ticket_count", "change"])


def test_the_walls_recurring_problems_say_place_category_count_and_the_change_as_news():
    problems = _recurring([
        ("翠湖花园", "物业管理", "翠湖街道", "东风社区", "12", "9", 3.0),
        ("<金碧>小区", "城市管理", "南宁街道", None, "7", "10", -3.0),
        ("云岭苑", "噪音扰民", "益宁街道", "新华社区", "5", "5", 0.0),
        ("滇池苑", "物业管理", "益宁街道", "新华社区", "4", "<3", float("nan")),
    ])
    markup = kiosk.recurring_list_html(problems, koujing="口径文字。")
    assert "\n" not in markup and markup.startswith("<div class='os-list os-recurring'>")
    rows = re.findall(r"<div class='os-recurring-row' title='([^']*)'><span class='os-recurring-what'>([^<]*)</span>"
                      r"<span class='os-recurring-count'><b>([^<]*)</b> 件(?: <span style='color:([^']*)'>([^<]*)</span>)?",
                      markup)
    assert [(what, n, move) for _, what, n, _, move in rows] == [
        ("翠湖花园 · 物业管理", "12", "▲3"), ("&lt;金碧&gt;小区 · 城市管理", "7", "▼3"),
        ("云岭苑 · 噪音扰民", "5", "持平"), ("滇池苑 · 物业管理", "4", "上期&lt;3")]
    colours = [colour for *_, colour, _ in rows]
    assert colours == [kiosk.RISE_COLOUR, kiosk.FALL_COLOUR, kiosk.FLAT_COLOUR, kiosk.FLAT_COLOUR]  # a rise is bad news
    hovers = [hover for hover, *_ in rows]
    assert hovers[0] == "翠湖花园（翠湖街道东风社区），物业管理：本期 12 件。上期 9 件，增加 3 件（变差）。口径文字。"
    assert "减少 3 件（改善）" in hovers[1] and "上期 &lt;3 件。" in hovers[3]


def test_the_walls_recurring_problems_are_few_without_a_change_when_nothing_came_before_and_say_when_none():
    rows = [(f"小区{i}", "物业管理", "翠湖街道", "东风社区", str(20 - i), "3", 1.0) for i in range(10)]
    markup = kiosk.recurring_list_html(_recurring(rows), limit=8, compared=False)
    assert markup.count("os-recurring-row") == 8 and "▲" not in markup and "上期" not in markup
    empty = kiosk.recurring_list_html(_recurring([]), empty="本期没有反复出现的诉求")
    assert "os-recurring-row" not in empty and "本期没有反复出现的诉求" in empty

