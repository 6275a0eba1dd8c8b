"""Figures of the review pack (周报): sections of :class:`onescreen.report.Report` in, plotly Figures out.

Sized for an A4 page (680 × 300 px fits the printable width at 96 dpi) and drawn with system fonts only:
the same figures go to the 周报 page and, inlined, to the offline HTML report.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from onescreen.figures import white
from onescreen.figures.rates import RATE_COLOURS
from onescreen.measures import CALLBACK_METRICS
from onescreen.report import NO_SAMPLE, NO_TICKETS, missing_reasons
from onescreen.ui import LIGHT_COLOURS

FONT_FAMILY = ('"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
               '"WenQuanYi Micro Hei", sans-serif')
WIDTH, HEIGHT = 680, 300
RATES = ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")
RATE_LABELS = {"response_rate": "响应率", "resolution_rate": "解决率", "satisfaction_rate": "满意率",
               "on_time_rate": "按期办结率"}
# The longest bar label of a chart, in characters (16 Chinese ones are about a third of the A4 chart's width).
LABEL_CHARS = 16
COMPARE_COLOURS = {"value": "#1f4e99", "previous_value": "#8fa9d6", "yoy_value": "#c3c9d2"}


def _layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title={"text": title, "font": {"size": 15}}, width=WIDTH,
                      height=HEIGHT, margin={"l": 55, "r": 55, "t": 45, "b": 40},
                      font={"family": FONT_FAMILY, "size": 12},
                      legend={"orientation": "h", "y": -0.18, "x": 0})
    return white(fig, "simple_white")


def rates_comparison_figure(kpis: pd.DataFrame, previous_word: str = "上期") -> go.Figure:
    """The three rates and 按期办结率: this period, the previous one and the same period last year
    (``previous_word``: ``上期``, or ``上月同期`` for a period under way)."""
    rows = kpis.set_index("metric").reindex(list(RATES))
    labels = [RATE_LABELS[m] for m in RATES]
    fig = go.Figure()
    for name, column in (("本期", "value"), (previous_word, "previous_value"), ("去年同期", "yoy_value")):
        values = rows[column].astype("float64")
        fig.add_bar(name=name, x=labels, y=values, marker_color=COMPARE_COLOURS[column],
                    text=[f"{v:.1f}%" if pd.notna(v) else "—" for v in values], textposition="outside",
                    hovertemplate="%{x} " + name + "：%{y:.1f}%<extra></extra>")
    fig.update_traces(cliponaxis=False)
    fig.update_layout(barmode="group", yaxis={"range": [0, 105], "ticksuffix": "%"})
    # No bar for this period: say why in the plot (a period without tickets is not a row of zero rates).
    why = missing_reasons(kpis.reset_index(drop=True)).set_index(kpis["metric"].to_numpy())["value"]
    reasons = [why.get(m) for m in RATES if isinstance(why.get(m), str)]
    if len(reasons) == len(RATES):
        fig.add_annotation(text=f"本期{NO_TICKETS if NO_TICKETS in reasons else NO_SAMPLE}：各率无从计算（不是 0%）",
                           xref="paper", yref="paper", x=0.5, y=0.6, showarrow=False, font={"size": 14, "color": "#4a5868"})
    return _layout(fig, "三率与按期办结率")


def trend_figure(trend: pd.DataFrame, period_kind: str) -> go.Figure:
    """Rates (lines, left axis) and tickets received (bars, right axis) over the recent periods."""
    fig = go.Figure()
    x = pd.to_datetime(trend["period_start"])
    # Plotly draws an overlaying axis above its base: the bars take the base axis so the lines stay visible.
    fig.add_bar(name="受理量", x=x, y=trend["ticket_count"], marker_color="#e6ebf2",
                hovertemplate="%{x|%Y-%m-%d} 受理 %{y:,}<extra></extra>")
    # A period still 回访未完 (trend_table's callback_pending) draws its 解决率 and 满意率 as hollow points.
    pending = list(trend["callback_pending"] == "是") if "callback_pending" in trend else [False] * len(trend)
    for metric in RATES:
        moving = pending if metric in CALLBACK_METRICS else [False] * len(trend)
        fig.add_scatter(name=RATE_LABELS[metric], x=x, y=trend[metric], mode="lines+markers", yaxis="y2",
                        line={"color": RATE_COLOURS[metric], "width": 2},
                        marker={"symbol": ["circle-open" if flag else "circle" for flag in moving], "size": 8},
                        customdata=["（回访未完）" if flag else "" for flag in moving],
                        hovertemplate="%{x|%Y-%m-%d} " + RATE_LABELS[metric] + "：%{y:.1f}%%{customdata}<extra></extra>")
    # A tick at each period's start (a week's Monday: plotly's own ticks fell on Sundays), and the rates' axis
    # at plotly's round steps: plotly.js 4 syncs an overlaying axis's ticks to its base axis by default
    # (tickmode "sync"), which put them at the bar axis's 0, 2000, 4000 and read 87.92%, 91.2%, 94.47%.
    fig.update_layout(yaxis={"title": "受理量", "side": "right", "showgrid": False},
                      yaxis2={"title": "率（%）", "ticksuffix": "%", "overlaying": "y", "side": "left",
                              "tickmode": "auto"},
                      xaxis={"tickmode": "array", "tickvals": list(x),
                             "ticktext": [d.strftime("%m-%d" if period_kind == "week" else "%Y-%m") for d in x]})
    return _layout(fig, "近期走势")


def light_counts_figure(counts: pd.DataFrame) -> go.Figure:
    """Grids per light, this period against the previous one."""
    fig = go.Figure()
    fig.add_bar(name="上期", x=counts["light_label"], y=counts["previous_grid_count"], marker_color="#c3c9d2",
                hovertemplate="上期 %{x}：%{y} 个网格<extra></extra>")
    fig.add_bar(name="本期", x=counts["light_label"], y=counts["grid_count"],
                marker_color=[LIGHT_COLOURS[c] for c in counts["light"]], text=counts["grid_count"],
                textposition="outside", hovertemplate="本期 %{x}：%{y} 个网格<extra></extra>")
    fig.update_traces(cliponaxis=False)  # the count above the tallest bar stays visible
    fig.update_layout(barmode="group", yaxis={"title": "网格数"})
    return _layout(fig, "网格亮灯")


def rises_figure(rises: pd.DataFrame, name_column: str, title: str, previous_word: str = "上期") -> go.Figure:
    """Horizontal bars: how many more tickets than the previous period (``previous_word``: ``上期``, or
    ``上月同期`` for a period under way), largest rise on top."""
    frame = rises.iloc[::-1]
    names = [str(name) for name in frame[name_column]]
    fig = go.Figure(go.Bar(
        x=frame["change"], y=frame[name_column], orientation="h", marker_color="#d9822b",
        text=[f"+{c:,}（{n:,} 件）" for c, n in zip(frame["change"], frame["ticket_count"])], textposition="auto",
        # At the font's size: plotly shrank a label inside its bar to the bar's height, 8 px on the 周报 page.
        constraintext="none", insidetextfont={"color": "#1a1a1a"},
        customdata=frame[["previous_ticket_count"]],
        hovertemplate="%{y}：增加 %{x:,} 件（" + previous_word + " %{customdata[0]:,}）<extra></extra>"))
    # The axis shows a long name's first characters (the hover and the table have it whole): a 40-character category
    # took all but 125 px of the A4 width, and the counts beside the bars were cut.
    fig.update_layout(xaxis={"title": f"比{previous_word}增加（件）"},
                      yaxis={"tickmode": "array", "tickvals": names, "ticktext": [_short(name) for name in names]})
    return _layout(fig, title).update_layout(height=max(HEIGHT, 80 + 26 * len(frame)))


def _short(name: str) -> str:
    """``name``, or its first characters and an ellipsis when longer than :data:`LABEL_CHARS`."""
    return name if len(name) <= LABEL_CHARS else name[:LABEL_CHARS - 1] + "…"


def report_figures(report) -> dict[str, go.Figure]:
    """The pack's figures, keyed by the section they illustrate (only sections with something to draw)."""
    sections = report.sections
    previous_word = report.meta.get("previous_word", "上期")
    figures: dict[str, go.Figure] = {"kpis": rates_comparison_figure(sections["kpis"].frame, previous_word)}
    if not sections["trend"].frame.empty:
        figures["trend"] = trend_figure(sections["trend"].frame, report.period.kind)
    figures["light_counts"] = light_counts_figure(sections["light_counts"].frame)
    if not sections["category_rises"].frame.empty:
        figures["category_rises"] = rises_figure(sections["category_rises"].frame, "category_l1", "受理量增幅最大的诉求分类",
                                                 previous_word)
    return figures
