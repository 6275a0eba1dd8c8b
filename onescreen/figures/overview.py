"""Figures for the big screen: dark, large type, one accent colour, target lines labelled."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from onescreen.figures import shared
from onescreen.measures import CALLBACK_METRICS, CALLBACK_WORD, callback_points

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif"
TEXT = "#e8eef6"
AXIS_TEXT = "#9fb3c8"  # ticks and axis titles: 7.7:1 on the navy (Streamlit's chart theme drew them #808495, 4.4:1)
GRID = "rgba(255,255,255,0.12)"
RATE_COLOURS = {"response_rate": "#36c2ff", "resolution_rate": "#7ee081", "satisfaction_rate": "#f5c04a"}
RATE_LABELS = {"response_rate": "响应率", "resolution_rate": "解决率", "satisfaction_rate": "满意率"}
TARGET_COLOUR = "#ff6b6b"
LABEL_SIZE = 12  # the targets' labels
LABEL_LINE_PX = 15  # one line of them
LEADER_PX = 10  # the leader from a target line's end to its label
MARGIN = dict(l=8, r=8, t=30, b=8)


def _dark(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        height=height, margin=dict(MARGIN), paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        # The legend stands on the plot's top edge, in the top margin (at y=1.14 anchored by its top, a legend that
        # wrapped to two rows in the narrow column hung over the trend's 100% line).
        font=dict(family=FONT, color=TEXT, size=13),
        legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0, font=dict(color=TEXT)),
    )
    fig.update_xaxes(gridcolor=GRID, zeroline=False, tickfont_color=AXIS_TEXT, title_font_color=AXIS_TEXT)
    fig.update_yaxes(gridcolor=GRID, zeroline=False, tickfont_color=AXIS_TEXT, title_font_color=AXIS_TEXT)
    return fig


def trend_targets_and_range(trend: pd.DataFrame,
                            targets: dict[str, float]) -> tuple[dict[float, list[str]], tuple[float, float]]:
    """The trend's target lines, ``{value: [rate labels]}`` for the rates the trend has, and its y range:
    from 5 below the lowest rate or target (90 when there are none) to just over 100."""
    by_value: dict[float, list[str]] = {}
    for column, value in targets.items():
        if column in RATE_LABELS and column in trend:
            by_value.setdefault(float(value), []).append(RATE_LABELS[column])
    lows = [trend[c].min() for c in RATE_LABELS if c in trend and trend[c].notna().any()]
    floor = min([*by_value, *lows]) if (lows or by_value) else 90.0
    return by_value, (max(0, floor - 5), 100.5)


def text_width(text: str, size: float) -> float:
    """About how wide ``text`` is at font ``size``: a CJK character is square, anything else about 0.6 of it."""
    return sum(size if ord(c) > 0x2E7F else 0.6 * size for c in str(text))


def target_labels(by_value: dict[float, list[str]]) -> list[tuple[float, list[str]]]:
    """The lines of each target's label, lowest target first: ``目标 97%`` alone when there is one target;
    with several, the rates it is for above it (``响应率、满意率`` / ``目标 97%``), short enough for a margin."""
    named = len(by_value) > 1
    return [(value, (["、".join(labels)] if named else []) + [f"目标 {value:g}%"])
            for value, labels in sorted(by_value.items())]


def label_gap(labels: list[tuple[float, list[str]]], line_px: float = LABEL_LINE_PX) -> float:
    """How far apart (pixels) the centres of :func:`target_labels` must be: a label's lines (``line_px`` each) and a space."""
    return line_px * max((len(lines) for _, lines in labels), default=1) + 6


def spread_labels(wanted: list[float], gap: float, low: float, high: float) -> list[float]:
    """Positions (pixels, down the screen) for labels that want to be centred at ``wanted``, with centres at least
    ``gap`` apart and between ``low`` and ``high`` (when they fit): labels that would overlap are stacked as a
    group centred on where they want to be, so each stays as near its own line as the others allow."""
    groups: list[tuple[float, list[float]]] = []  # (first centre, the wanted positions of its labels)
    for want in sorted(wanted):
        groups.append((want, [want]))
        while True:
            start, members = groups[-1]
            start = min(max(start, low), high - gap * (len(members) - 1))
            groups[-1] = (start, members)
            if len(groups) < 2 or groups[-2][0] + gap * len(groups[-2][1]) <= start:
                break
            merged = groups[-2][1] + members
            groups[-2:] = [(sum(merged) / len(merged) - gap * (len(merged) - 1) / 2, merged)]
    placed = [start + gap * k for start, members in groups for k in range(len(members))]
    # Back in the caller's order (equal positions wanted get consecutive places, in order).
    out = [0.0] * len(wanted)
    for position, i in zip(placed, sorted(range(len(wanted)), key=lambda i: wanted[i])):
        out[i] = position
    return out


# The legend entry of a trend's 回访未完 points (measures.callback_points): hollow markers on a dotted line.
WAITING_LEGEND = "空心：回访未完"  # short: the wall's trend has a narrow column (the caption under it says more)
WAITING_SYMBOL = "circle-open"


def add_waiting_points(fig: go.Figure, x: pd.Series, y: pd.Series, waiting: pd.Series, *, colour: str, name: str,
                       hovertemplate: str, customdata=None, width: float = 2) -> None:
    """Draw a rate's 回访未完 points (``waiting``, on ``y``'s index) apart from its line: hollow markers on a
    dotted line, hovered like the others with 回访未完 added, joined to the settled point before them by a dotted
    leg that takes no hover (the settled trace hovers that point). The caller draws the settled points
    (``y.where(~waiting)``) as its usual line, and adds :func:`add_waiting_legend` once."""
    x, y, waiting = pd.Series(list(x), index=y.index), y.astype("float64"), waiting.reindex(y.index, fill_value=False)
    shown = waiting & y.notna()
    if not shown.any():
        return
    line = dict(color=colour, width=max(1.0, width - 0.5), dash="dot")
    positions = list(range(len(y)))
    for at in positions[1:]:  # the legs from a settled point into a run of waiting ones
        if shown.iloc[at] and not waiting.iloc[at - 1] and pd.notna(y.iloc[at - 1]):
            fig.add_trace(go.Scatter(x=[x.iloc[at - 1], x.iloc[at]], y=[y.iloc[at - 1], y.iloc[at]], mode="lines",
                                     line=line, hoverinfo="skip", showlegend=False, legendgroup=name))
    fig.add_trace(go.Scatter(
        x=x, y=y.where(waiting), name=f"{name}（{CALLBACK_WORD}）", mode="lines+markers", line=line,
        marker=dict(symbol=WAITING_SYMBOL, size=8, color=colour, line=dict(width=2, color=colour)),
        customdata=customdata, hovertemplate=hovertemplate.replace("<extra>", f"（{CALLBACK_WORD}）<extra>", 1),
        showlegend=False, legendgroup=name,
    ))


def add_waiting_legend(fig: go.Figure, colour: str) -> None:
    """The legend entry saying what hollow, dotted points are (a trace without points: only its legend shows)."""
    fig.add_trace(go.Scatter(x=[None], y=[None], name=WAITING_LEGEND, mode="lines+markers", hoverinfo="skip",
                             line=dict(color=colour, width=1.5, dash="dot"),
                             marker=dict(symbol=WAITING_SYMBOL, size=8, color=colour, line=dict(width=2, color=colour))))


@shared
def rates_trend_figure(trend: pd.DataFrame, targets: dict[str, float], height: int = 230) -> go.Figure:
    """The three rates per period (``period_start`` and ``*_rate`` columns) with their targets
    (``{"response_rate": 97.0, ...}``): one dashed line per distinct target, naming the rates it is for. The
    periods still 回访未完 (``is_callback_provisional``) draw 解决率 and 满意率 hollow on a dotted line, and the
    legend says what that means."""
    fig = go.Figure()
    waiting = callback_points(trend)
    for column, label in RATE_LABELS.items():
        if column in trend:
            marks = waiting if column in CALLBACK_METRICS else waiting & False
            hover = f"{label} %{{y:.1f}}%<extra>%{{x|%Y-%m}}</extra>"
            fig.add_trace(go.Scatter(
                x=trend["period_start"], y=trend[column].where(~marks), name=label, mode="lines+markers",
                line=dict(color=RATE_COLOURS[column], width=2), hovertemplate=hover, legendgroup=label,
            ))
            add_waiting_points(fig, trend["period_start"], trend[column], marks, colour=RATE_COLOURS[column], name=label,
                               hovertemplate=hover)
    if (waiting & trend[[c for c in CALLBACK_METRICS if c in trend]].notna().any(axis=1)).any():
        add_waiting_legend(fig, AXIS_TEXT)
    by_value, y_range = trend_targets_and_range(trend, targets)
    labels = target_labels(by_value)
    # In the right margin, each joined to the end of its dashed line by a short leader: inside the plot a label sat
    # on its line and on the last points of a rate near the target. Labels of close targets (95% and 96%) are moved
    # apart. Plotly places them in pixels, so the plot's height is taken at its least (the legend wrapped to three
    # rows, the dates slanted): with more room the labels only stand a little further apart than they must.
    plot_px = height - MARGIN["t"] - MARGIN["b"] - 100
    wanted = [plot_px * (y_range[1] - value) / (y_range[1] - y_range[0]) for value, _ in labels]
    for (value, lines), want, at in zip(labels, wanted, spread_labels(wanted, label_gap(labels), 0, plot_px)):
        fig.add_hline(y=value, line=dict(color=TARGET_COLOUR, dash="dash", width=1))
        fig.add_annotation(x=1, xref="paper", y=value, yref="y", xanchor="left", yanchor="middle", align="left",
                           showarrow=True, arrowhead=0, arrowwidth=1, arrowcolor=TARGET_COLOUR, standoff=0,
                           ax=LEADER_PX, ay=at - want, text="<br>".join(lines),
                           font=dict(color=TARGET_COLOUR, size=LABEL_SIZE))
    fig.update_yaxes(range=list(y_range), ticksuffix="%")
    fig.update_xaxes(tickformat="%Y-%m")  # plotly's default month ticks are English ("Jan 2026")
    _dark(fig, height)
    width = max((text_width(line, LABEL_SIZE) for _, lines in labels for line in lines), default=0)
    return fig.update_layout(margin=dict(MARGIN, r=MARGIN["r"] + LEADER_PX + math.ceil(width) + 4))


@shared
def category_mix_figure(mix: pd.DataFrame, height: int = 230) -> go.Figure:
    """Top categories: this period against the previous (``category_l1``, ``ticket_count``, ``previous_count``)."""
    mix = mix.head(8).iloc[::-1]
    fig = go.Figure()
    if "previous_count" in mix:
        fig.add_trace(go.Bar(y=mix["category_l1"], x=mix["previous_count"], orientation="h", name="上期",
                             marker_color="rgba(159,179,200,0.45)"))
    fig.add_trace(go.Bar(y=mix["category_l1"], x=mix["ticket_count"], orientation="h", name="本期", marker_color="#36c2ff"))
    fig.update_layout(barmode="group", bargap=0.25)
    return _dark(fig, height)


@shared
def street_ranking_figure(ranking: pd.DataFrame, height: int = 230) -> go.Figure:
    """Streets by composite score; units not ranked (tiny N) in grey, with N on hover."""
    ranking = ranking.sort_values("composite_score", ascending=True, na_position="first")
    colours = ["#36c2ff" if ranked else "#5c6b7a" for ranked in ranking["is_ranked"].fillna(False)]
    fig = go.Figure(go.Bar(
        y=ranking["unit_name"], x=ranking["composite_score"], orientation="h", marker_color=colours,
        text=[f"{v:.1f}" if pd.notna(v) else "—" for v in ranking["composite_score"]], textposition="outside",
        customdata=ranking[["ticket_count"]], hovertemplate="%{y}：%{x:.1f} 分（受理 %{customdata[0]} 件）<extra></extra>",
        cliponaxis=False,
    ))
    fig.update_xaxes(range=[0, 105])
    # The scores stand after their bars: past the axis's end they were cut at the chart's edge in a 360 px panel
    # (a tablet's overview). They may run into the right margin, which is as wide as the longest of them.
    widest = max((text_width(text, 13) for text in fig.data[0].text), default=0)
    return _dark(fig, height).update_layout(margin=dict(MARGIN, r=MARGIN["r"] + math.ceil(widest)))
