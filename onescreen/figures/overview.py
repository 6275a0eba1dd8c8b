"""Figures for the big screen: dark, large type, one accent colour, target lines labelled."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from onescreen.figures import shared

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif"
TEXT = "#e8eef6"
GRID = "rgba(255,255,255,0.12)"
RATE_COLOURS = {"response_rate": "#36c2ff", "resolution_rate": "#7ee081", "satisfaction_rate": "#f5c04a"}
RATE_LABELS = {"response_rate": "响应率", "resolution_rate": "解决率", "satisfaction_rate": "满意率"}


def _dark(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        height=height, margin=dict(l=8, r=8, t=24, b=8), paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        font=dict(family=FONT, color=TEXT, size=13), legend=dict(orientation="h", y=1.14, x=0, font=dict(color=TEXT)),
    )
    fig.update_xaxes(gridcolor=GRID, zeroline=False)
    fig.update_yaxes(gridcolor=GRID, zeroline=False)
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


@shared
def rates_trend_figure(trend: pd.DataFrame, targets: dict[str, float], height: int = 230) -> go.Figure:
    """The three rates per period (``period_start`` and ``*_rate`` columns) with their targets
    (``{"response_rate": 97.0, ...}``): one dashed line per distinct target, naming the rates it is for."""
    fig = go.Figure()
    for column, label in RATE_LABELS.items():
        if column in trend:
            fig.add_trace(go.Scatter(
                x=trend["period_start"], y=trend[column], name=label, mode="lines+markers",
                line=dict(color=RATE_COLOURS[column], width=2), hovertemplate=f"{label} %{{y:.1f}}%<extra>%{{x|%Y-%m}}</extra>",
            ))
    by_value, y_range = trend_targets_and_range(trend, targets)
    for value, labels in sorted(by_value.items()):
        which = "" if len(by_value) == 1 else "、".join(labels)
        fig.add_hline(y=value, line=dict(color="#ff6b6b", dash="dash", width=1),
                      annotation_text=f"{which}目标 {value:g}%", annotation_font_color="#ff6b6b",
                      annotation_position="bottom right")
    fig.update_yaxes(range=list(y_range), ticksuffix="%")
    fig.update_xaxes(tickformat="%Y-%m")  # plotly's default month ticks are English ("Jan 2026")
    return _dark(fig, height)


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
    ))
    fig.update_xaxes(range=[0, 105])
    return _dark(fig, height)
