"""The big screen's three charts as static SVG, for kiosk mode (the wall screen).

On the wall nobody hovers or clicks, and plotly.js was the heaviest thing the screen's browser loaded:
evaluating its module took about 1 s of the 3.6 s until the big screen was drawn (chromium, software
rendering, 2 cores; docs/benchmarks.md). These functions draw the figures of
:mod:`onescreen.figures.overview` (same data, colours and targets) as SVG markup that the browser lays out
by itself: no chart JavaScript, the text in the page's own fonts, and a ``<title>`` on every mark, which is
a tooltip wherever there is a mouse after all. Off the wall the big screen keeps its plotly charts, whose
bars open the tickets behind them.

Each function returns one ``<div>`` for ``st.markdown(..., unsafe_allow_html=True)``: a single line, so
Markdown passes it through as one HTML block. Every text that comes from data is escaped. The wall's 高频问题
(:func:`recurring_list_html`) is a list, not a chart: a few lines of text in the style of the red and black lists.
"""

from __future__ import annotations

import math
from html import escape

import pandas as pd

from onescreen.figures import nice_ticks, shared
from onescreen.figures.heat import HEX_COLOURS, density_ticks
from onescreen.figures.overview import FONT, GRID, LEADER_PX, RATE_COLOURS, RATE_LABELS, WAITING_LEGEND, \
    TARGET_COLOUR, TEXT, label_gap, spread_labels, target_labels, text_width, trend_targets_and_range
from onescreen.measures import CALLBACK_METRICS, CALLBACK_WORD, callback_points

MUTED = "#9fb3c8"
RISE_COLOUR, FALL_COLOUR, FLAT_COLOUR = "#ff6b6b", "#3ecf74", "#9aa5b1"  # onescreen.ui's bad, good and flat colours
CURRENT_COLOUR = "#36c2ff"
PREVIOUS_COLOUR = "rgba(159,179,200,0.45)"
UNRANKED_COLOUR = "#5c6b7a"
FONT_SIZE = 15   # the wall is read from metres away: names 15 and ticks, values, targets 14 (SVG units: 12.9-14 px drawn)
TICK_SIZE = 14
TARGET_LABEL_SIZE = TICK_SIZE   # 目标 97% beside the trend
TARGET_LINE_PX = 17             # one line of those labels (the desktop's 15 is for 12 px text)
WAITING_LABEL = WAITING_LEGEND  # the trend's legend entry for its hollow points (short: the legend is one line)


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    """A chart ``width`` × ``height`` (SVG units), shown ``height`` px high and as wide as its column."""
    return (f'<div class="os-svg-chart" style="height:{height}px"><svg xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {width} {height}" style="width:100%;height:{height}px;display:block;font-family:{FONT}" '
            f'role="img" aria-label="{escape(label)}">' + "".join(body) + "</svg></div>")


def _text(x: float, y: float, text: str, *, anchor: str = "start", colour: str = TEXT, size: int = FONT_SIZE,
          extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{colour}" font-size="{size}"{extra}>'
            f"{escape(text)}</text>")


def _legend(items: list[tuple[str, str]], y: float = 14, x: float = 4) -> list[str]:
    """Coloured squares with labels along the top, as plotly's horizontal legend."""
    body = []
    for label, colour in items:
        body.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="11" height="11" fill="{colour}"/>')
        body.append(_text(x + 15, y, label))
        x += 15 + FONT_SIZE * len(label) + 18
    return body


def _empty(width: int, height: int, label: str, message: str) -> str:
    return _svg(width, height, label, [_text(width / 2, height / 2, message, anchor="middle", colour=MUTED)])


@shared
def rates_trend_svg(trend: pd.DataFrame, targets: dict[str, float], width: int = 560, height: int = 250) -> str:
    """:func:`~onescreen.figures.overview.rates_trend_figure` as SVG: the three rates per period with
    markers, a dashed line per distinct target naming the rates it is for, the same y range."""
    label = "三率趋势"
    columns = [c for c in RATE_LABELS if c in trend and trend[c].notna().any()]
    if trend.empty or not columns:
        return _empty(width, height, label, "暂无数据")
    by_value, (low, high) = trend_targets_and_range(trend, targets)
    labels = target_labels(by_value)
    # The targets' labels stand in a right margin as wide as the widest, beside their dashed lines' ends: inside
    # the plot "目标 97%" sat on its line and on the last points of a rate near it.
    label_w = max((text_width(line, TARGET_LABEL_SIZE) for _, lines in labels for line in lines), default=0)
    left, right, top, bottom = 46, 10 + (LEADER_PX + math.ceil(label_w) + 2 if labels else 0), 30, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    periods = [pd.Timestamp(p) for p in trend["period_start"]]
    n = len(periods)

    def x(i: int) -> float:
        return left + plot_w * (i + 0.5) / n

    def y(v: float) -> float:
        return top + plot_h * (high - v) / (high - low)

    # 回访未完 (measures.callback_points): 解决率 and 满意率 of those periods are hollow on a dotted line, and said so.
    waiting = callback_points(trend).tolist()
    marked = [c for c in columns if c in CALLBACK_METRICS]
    shows_waiting = any(w and pd.notna(v) for c in marked for w, v in zip(waiting, trend[c]))
    body = _legend([(RATE_LABELS[c], RATE_COLOURS[c]) for c in columns])
    if shows_waiting:
        legend_x = 4 + sum(15 + FONT_SIZE * len(RATE_LABELS[c]) + 18 for c in columns)
        body.append(f'<circle cx="{legend_x + 5:.1f}" cy="{14 - 4.5:.1f}" r="4" fill="none" stroke="{MUTED}" '
                    'stroke-width="2"/>')
        body.append(_text(legend_x + 15, 14, WAITING_LABEL, colour=MUTED, extra=' class="os-waiting-label"'))
    for tick in nice_ticks(low, 100):
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y(tick) + 4, f"{tick:g}%", anchor="end", colour=MUTED, size=TICK_SIZE))
    every = max(1, math.ceil(n / max(1, plot_w // 64)))  # a "2025-10" label needs about 64 units
    for i, period in enumerate(periods):
        if (n - 1 - i) % every == 0:  # always the last period, the one shown
            body.append(_text(x(i), height - 6, period.strftime("%Y-%m"), anchor="middle", colour=MUTED, size=TICK_SIZE))
    # Centres of the label blocks, apart enough that close targets (95% and 96%) keep their labels apart; a leader
    # joins each to the end of its line.
    gap = label_gap(labels, TARGET_LINE_PX)
    centres = spread_labels([y(value) for value, _ in labels], gap, top + gap / 2, height - bottom - gap / 2)
    for (value, lines), centre in zip(labels, centres):
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                    f'stroke="{TARGET_COLOUR}" stroke-width="1" stroke-dasharray="5,4"/>')
        body.append(f'<line x1="{width - right}" x2="{width - right + LEADER_PX}" y1="{y(value):.1f}" '
                    f'y2="{centre:.1f}" stroke="{TARGET_COLOUR}" stroke-width="1"/>')
        first = centre - TARGET_LINE_PX * (len(lines) - 1) / 2 + TARGET_LABEL_SIZE * 0.35  # baseline of its first line
        for k, line in enumerate(lines):
            body.append(_text(width - right + LEADER_PX + 2, first + TARGET_LINE_PX * k, line, colour=TARGET_COLOUR,
                              size=TARGET_LABEL_SIZE, extra=' class="os-target-label"'))
    for column in columns:
        colour, name = RATE_COLOURS[column], RATE_LABELS[column]
        marks = waiting if column in CALLBACK_METRICS else [False] * n
        points = [(i, float(v)) for i, v in enumerate(trend[column]) if pd.notna(v)]
        runs: list[list[tuple[int, float]]] = []
        for i, v in points:  # a missing period breaks the line, as in plotly
            if runs and runs[-1][-1][0] == i - 1:
                runs[-1].append((i, v))
            else:
                runs.append([(i, v)])
        for run in runs:
            # Each leg solid, or dotted when it leads to a point still 回访未完.
            for dotted in (False, True):
                legs = [(a, b) for a, b in zip(run, run[1:]) if marks[b[0]] == dotted]
                if legs:
                    path = " ".join(f"M{x(a[0]):.1f},{y(a[1]):.1f} L{x(b[0]):.1f},{y(b[1]):.1f}" for a, b in legs)
                    body.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"'
                                + (' stroke-dasharray="2,4" stroke-linecap="round"' if dotted else "") + "/>")
        for i, v in points:
            fill = f'fill="none" stroke="{colour}" stroke-width="2"' if marks[i] else f'fill="{colour}"'
            title = f"{periods[i]:%Y-%m} {name} {v:.1f}%" + (f"（{CALLBACK_WORD}）" if marks[i] else "")
            body.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" {fill} '
                        f'data-period="{periods[i]:%Y-%m}"><title>{escape(title)}</title></circle>')
    return _svg(width, height, label, body)


def _hbar_frame(names: pd.Series, width: int, height: int, top: int, right: int):
    """Geometry of a horizontal bar chart: the left edge of the bars, their length scale, the row band and
    the type size (smaller when many rows share the height, so names never overlap)."""
    rows = max(len(names), 1)
    band = (height - top - 4) / rows
    size = max(8, min(FONT_SIZE, int(band * 0.8)))
    left = min(8 + max((text_width(n, size) for n in names), default=2 * size), 150)
    return left, width - left - right, band, size


@shared
def category_mix_svg(mix: pd.DataFrame, width: int = 560, height: int = 250) -> str:
    """:func:`~onescreen.figures.overview.category_mix_figure` as SVG: the top 8 categories, this period's
    bar above the previous period's, the count at the end of this period's bar."""
    label = "诉求分类"
    mix = mix.head(8)
    if mix.empty:
        return _empty(width, height, label, "本期没有工单")
    has_previous = "previous_count" in mix
    top, right = 24, 52
    left, span, band, size = _hbar_frame(mix["category_l1"], width, height, top, right)
    counts = mix["ticket_count"].fillna(0).astype(float)
    previous = mix["previous_count"].fillna(0).astype(float) if has_previous else counts * 0
    scale = span / max(float(counts.max()), float(previous.max()), 1.0)
    bar = band * (0.36 if has_previous else 0.7)
    body = _legend([("本期", CURRENT_COLOUR)] + ([("上期", PREVIOUS_COLOUR)] if has_previous else []))
    for k, (name, now, before) in enumerate(zip(mix["category_l1"], counts, previous)):
        y0 = top + band * k + band * 0.12
        name = str(name)
        tip = f"{name}：本期 {now:,.0f} 件" + (f"，上期 {before:,.0f} 件" if has_previous else "")
        body.append(_text(left - 6, y0 + (bar * (2 if has_previous else 1)) / 2 + size * 0.35, name, anchor="end",
                          size=size))
        body.append(f'<rect x="{left:.1f}" y="{y0:.1f}" width="{max(now * scale, 1):.1f}" height="{bar:.1f}" '
                    f'fill="{CURRENT_COLOUR}"><title>{escape(tip)}</title></rect>')
        # Past both bars: the count is taller than its bar and stood over a longer 上期 bar below it (物业管理's 2,992).
        body.append(_text(left + max(now, before) * scale + 4, y0 + bar / 2 + size * 0.35, f"{now:,.0f}",
                          size=min(size, TICK_SIZE)))
        if has_previous:
            body.append(f'<rect x="{left:.1f}" y="{y0 + bar:.1f}" width="{max(before * scale, 1):.1f}" height="{bar:.1f}" '
                        f'fill="{PREVIOUS_COLOUR}"><title>{escape(tip)}</title></rect>')
    return _svg(width, height, label, body)


@shared
def street_ranking_svg(ranking: pd.DataFrame, width: int = 740, height: int = 260, label: str = "街道排名") -> str:
    """:func:`~onescreen.figures.overview.street_ranking_figure` as SVG: streets (or a one-street warehouse's
    communities, ``label`` 社区排名) by composite score, the best at the top, units not ranked (too few tickets)
    in grey, the score at the end of each bar."""
    if ranking.empty:
        return _empty(width, height, label, "暂无数据")
    ranking = ranking.sort_values("composite_score", ascending=False, na_position="last")
    top, right = 6, 48
    left, span, band, size = _hbar_frame(ranking["unit_name"], width, height, top, right)
    scale = span / 105  # the plotly figure's x range: 0 to 105
    bar = band * 0.7
    body = []
    for k, row in enumerate(ranking.itertuples(index=False)):
        y0 = top + band * k + band * 0.15
        score = row.composite_score
        ranked = bool(row.is_ranked) if pd.notna(row.is_ranked) else False
        length = float(score) * scale if pd.notna(score) else 0.0
        tip = (f"{row.unit_name}：{score:.1f} 分" if pd.notna(score) else f"{row.unit_name}：无得分") + \
            f"（受理 {row.ticket_count:,} 件）" + ("" if ranked else "，不参与排名（样本不足或缺少某率）")
        body.append(_text(left - 6, y0 + bar / 2 + size * 0.35, str(row.unit_name), anchor="end",
                          colour=TEXT if ranked else MUTED, size=size))
        body.append(f'<rect x="{left:.1f}" y="{y0:.1f}" width="{max(length, 1):.1f}" height="{bar:.1f}" '
                    f'fill="{CURRENT_COLOUR if ranked else UNRANKED_COLOUR}"><title>{escape(tip)}</title></rect>')
        body.append(_text(left + length + 4, y0 + bar / 2 + size * 0.35, f"{score:.1f}" if pd.notna(score) else "—",
                          size=min(size, TICK_SIZE)))
    return _svg(width, height, label, body)


# 网格热力 on the wall: the YlOrRd scale of the density hexagons, light yellow (few) to dark red (many), read on the
# navy; a grid without households (no rate) in the unranked grey.
DENSITY_STOPS = HEX_COLOURS
NO_RATE_COLOUR = UNRANKED_COLOUR


def density_colour(value: float | None, high: float) -> str:
    """``#rrggbb`` of ``value`` on :data:`DENSITY_STOPS` from 0 to ``high`` (linear between the stops), the darkest
    above ``high`` (the top of :func:`onescreen.figures.heat.density_scale`); grey when there is no value."""
    if value is None or pd.isna(value):
        return NO_RATE_COLOUR
    position = min(max(float(value) / high, 0.0), 1.0) * (len(DENSITY_STOPS) - 1) if high > 0 else 0.0
    low_stop = min(int(position), len(DENSITY_STOPS) - 2)
    share = position - low_stop
    channels = [round(a + (b - a) * share) for a, b in zip(DENSITY_STOPS[low_stop], DENSITY_STOPS[low_stop + 1])]
    return "#" + "".join(f"{c:02x}" for c in channels)


@shared
def density_legend_svg(high: float, unit: str = "每千户工单（件）", width: int = 560, height: int = 58, *,
                       clipped: bool = False) -> str:
    """The colour scale of :func:`density_colour` as a bar from 0 to ``high`` with round ticks, its ``unit``
    above it, and the grey of a grid without households beside it. ``clipped`` (grids above ``high``, drawn in
    the darkest colour: :func:`onescreen.figures.heat.density_scale`): the bar ends ``≥ high``."""
    left, right, bar_top, bar_h = 8, 120, 22, 14
    span = width - left - right
    stops = "".join(f'<stop offset="{k / (len(DENSITY_STOPS) - 1):.3f}" stop-color="rgb({r},{g},{b})"/>'
                    for k, (r, g, b) in enumerate(DENSITY_STOPS))
    body = [f'<defs><linearGradient id="os-density-scale">{stops}</linearGradient></defs>',
            _text(left, 15, unit, colour=MUTED, size=TICK_SIZE),
            f'<rect x="{left}" y="{bar_top}" width="{span}" height="{bar_h}" fill="url(#os-density-scale)"/>']
    for tick, text in density_ticks(high, clipped):
        x = left + span * tick / high if high > 0 else left
        # The top's "≥ 120.0" ends at the bar's end, clear of the grey square beside it.
        anchor = "end" if clipped and tick == high else "middle"
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bar_top + bar_h}" y2="{bar_top + bar_h + 4}" stroke="{MUTED}"/>')
        body.append(_text(x, bar_top + bar_h + 18, text, anchor=anchor, colour=MUTED, size=TICK_SIZE))
    grey_x = width - right + 24
    body.append(f'<rect x="{grey_x}" y="{bar_top}" width="{bar_h}" height="{bar_h}" fill="{NO_RATE_COLOUR}"/>')
    body.append(_text(grey_x + bar_h + 6, bar_top + bar_h - 1, "无户数", size=TICK_SIZE))
    return _svg(width, height, f"{unit}图例：" + (f"0 至 {high:.1f}，更高的画成最深色" if clipped else f"0 至 {high:g}"), body)


def recurring_list_html(problems: pd.DataFrame, *, limit: int = 8, koujing: str = "", compared: bool = True,
                        empty: str = "本期没有反复出现的同类诉求") -> str:
    """The wall's 高频问题: the first ``limit`` rows of ``recurring_problems`` as ``小区 · 分类 N 件 ▲3``, the change
    against the window before (a rise is bad news: red; a fall green), its words, the place's community and
    ``koujing`` in each row's hover. ``compared=False`` (no data before the window): no change shown. At the
    big screen's tier the rows are compounds only and a count of 1-2 arrives as the text ``<3``
    (onescreen.access.kiosk_frame): the change is then unknown, and the row says 上期<3."""
    if problems.empty:
        return f"<div class='os-list os-recurring' style='color:{MUTED}'>{escape(empty)}</div>"
    rows = []
    for r in problems.head(limit).itertuples(index=False):
        count = pd.to_numeric(r.ticket_count, errors="coerce")  # "<3" (and None) read as NaN
        change = pd.to_numeric(getattr(r, "change", None), errors="coerce")
        before = str(r.previous_ticket_count) if pd.notna(r.previous_ticket_count) else ""
        shown_count = f"{count:,.0f}" if pd.notna(count) else str(r.ticket_count)
        if not compared:
            move, colour, words = "", FLAT_COLOUR, ""
        elif pd.notna(change) and change:
            up = change > 0
            move, colour = f"{'▲' if up else '▼'}{abs(change):,.0f}", RISE_COLOUR if up else FALL_COLOUR
            words = f"上期 {before} 件，{'增加' if up else '减少'} {abs(change):,.0f} 件（{'变差' if up else '改善'}）。"
        elif pd.notna(change):
            move, colour, words = "持平", FLAT_COLOUR, f"上期 {before} 件，持平。"
        else:
            move, colour, words = f"上期{before}", FLAT_COLOUR, f"上期 {before} 件。"
        where = "".join(str(v) for v in (r.street_name, r.community_name) if isinstance(v, str))
        hover = f"{r.place_name}{f'（{where}）' if where else ''}，{r.category_l1}：本期 {shown_count} 件。{words}{koujing}"
        rows.append(f"<div class='os-recurring-row' title='{escape(hover, quote=True)}'>"
                    f"<span class='os-recurring-what'>{escape(str(r.place_name))} · {escape(str(r.category_l1))}</span>"
                    f"<span class='os-recurring-count'><b>{escape(shown_count)}</b> 件"
                    + (f" <span style='color:{colour}'>{escape(move)}</span>" if move else "") + "</span></div>")
    return "<div class='os-list os-recurring'>" + "".join(rows) + "</div>"
