"""Figures of the 三率分析 page: DataFrames from the named queries in, plotly Figures out.

Rates are 0-100 (``*_rate``, ``composite_score``); counts are ``*_count``. Every hover shows the N
behind a rate (numerator/denominator), since a rate without its N cannot be judged.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from onescreen.exports import to_csv_bytes
from onescreen.figures import MIN_LABEL_PX, nice_ticks, on_screen, shared
from onescreen.figures.overview import add_waiting_legend, add_waiting_points, text_width
from onescreen.koujing import LABELS
from onescreen.measures import CALLBACK_METRICS, callback_points
from onescreen.ui import LIGHT_COLOURS, text_colour_on

RATE_COLOURS = {
    "response_rate": "#1f4e99",
    "resolution_rate": "#2e9d52",
    "satisfaction_rate": "#e08a00",
    "on_time_rate": "#0e8a8a",
    "closure_rate": "#6b7a90",
    "composite_score": "#7b3fb5",
}
TARGET_COLOUR = "#d63a3a"
UNRANKED_COLOUR = "#c3c9d2"
RANKED_COLOUR = "#1f4e99"
OVERDUE_COLOUR = LIGHT_COLOURS["red"]  # the lights' palette: late as a red light, near as a yellow one
NEAR_DEADLINE_COLOUR = LIGHT_COLOURS["yellow"]
TREND_METRICS = ("response_rate", "resolution_rate", "satisfaction_rate", "composite_score")
# The rate -> (numerator column, denominator column) its N comes from.
RATE_N = {metric: (f"{metric[:-5]}_numerator", f"{metric[:-5]}_denominator")
          for metric in ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate", "closure_rate")}
TARGETS = {"response_rate": "response_target", "resolution_rate": "resolution_target",
           "satisfaction_rate": "satisfaction_target"}
TICK_FORMATS = {"month": "%Y-%m", "week": "%m-%d", "day": "%m-%d"}
# A bar's value label outside its end, as the analysis pages draw it (px, with room to spare: they draw 12), and the
# narrowest plot area of 三率分析's breakdown chart (px: two fifths of the page at 1440 px, less the units' names).
BAR_LABEL_PX = 13
BAR_PLOT_PX = 260
UNRANKED_TEXT_COLOUR = "#6b7280"  # 4.8:1 on white (#9aa5b1 was 2.5:1); still lighter than the ranked rows
NO_DATA = "无数据"
ESCALATION_COLOURS = {"grid": LIGHT_COLOURS["green"], "community": "#8fd3bd", "street": LIGHT_COLOURS["yellow"],
                      "district": LIGHT_COLOURS["red"]}


def _count(value) -> str:
    """``12`` -> ``12``, ``12.5`` (满意率 numerators are weighted) -> ``12.5``, missing -> ``—``."""
    if value is None or pd.isna(value):
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


RATE_METRICS = ("response_rate", "resolution_rate", "satisfaction_rate")  # the rates of the composite score
COUNT_METRICS = ("ticket_count", "overdue_count")


def unranked_reason(row, min_denominator: float | None) -> str:
    """Why a unit of ``rates_breakdown`` is not ranked: 归属不明 (未落格 and the like), 分母不足 (one of its rates has
    fewer than ``min_denominator`` answers), 无数据 (no rate at all), or the rates it lacks that the others of
    its level are ranked on (网格员上报 has no callback: ``否（无解决率、满意率）``)."""
    if row["unit_code"] == "unassigned":
        return "否（归属不明）"
    present = [rate for rate in RATE_METRICS if pd.notna(row[rate])]
    if not present:
        return "否（无数据）"
    if min_denominator is None or any(row[RATE_N[rate][1]] < min_denominator for rate in present):
        return "否（分母不足）"
    return "否（无" + "、".join(LABELS[rate] for rate in RATE_METRICS if rate not in present) + "）"


@shared
def breakdown_table(current: pd.DataFrame, previous: pd.DataFrame, yoy: pd.DataFrame, metric: str,
                    min_denominator: float | None = None, withhold_previous: bool = False,
                    withhold_yoy: bool = False) -> pd.DataFrame:
    """The ``rates_breakdown`` rows of this period as users read them (Chinese headers, each rate with its N),
    with the chosen metric's 环比 (against ``previous``) and 同比 (against ``yoy``), in ``current``'s order;
    参与排名 says why a unit is not ranked (:func:`unranked_reason`, with the marts' ``min_denominator``);
    待回访 and 回访未完 how many of its tickets still wait for a callback and whether more than 1% of them do.
    ``withhold_previous`` / ``withhold_yoy``: that change is left empty, as the window compared with is not
    covered by the data enough for it (``onescreen.coverage.Coverage.withholds``: a count against a window the
    data cover in part, anything against one they do not cover).
    Shared like the figures: each caller gets its own copy-on-write view of the kept table."""
    label = LABELS[metric]

    def before(frame: pd.DataFrame, withheld: bool = False) -> pd.Series:
        """The metric of the same unit in another period, if it had one (and it may be compared with)."""
        if withheld:
            return pd.Series(np.nan, index=current.index, dtype="float64")
        values = frame.drop_duplicates("unit_code").set_index("unit_code")[metric]
        return current["unit_code"].map(values)

    unit = "（件）" if metric in ("ticket_count", "overdue_count") else ("（分）" if metric == "composite_score"
                                                                       else "（百分点）")
    columns = {
        "综合排名": current["composite_rank"].astype("float64"),
        "单位": current["unit_name"].fillna(current["unit_code"]),
        "编码": current["unit_code"].mask(current["unit_code"].eq("unassigned")),  # 未落格 etc. have no code
        "受理量": current["ticket_count"],
    }
    for rate in ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate", "closure_rate"):
        numerator, denominator = RATE_N[rate]
        columns[f"{LABELS[rate]}%"] = current[rate].round(1)
        columns[f"{LABELS[rate]}N"] = [f"{_count(n)}/{_count(d)}" for n, d in zip(current[numerator], current[denominator])]
    columns["综合得分"] = current["composite_score"].round(1)
    # + 0.0: a change that rounds to zero from below is -0.0, which a table shows as "-0.0" (翠湖街道's 环比).
    columns[f"{label}环比{unit}"] = (current[metric] - before(previous, withhold_previous)).round(1) + 0.0
    columns[f"{label}同比{unit}"] = (current[metric] - before(yoy, withhold_yoy)).round(1) + 0.0
    columns["名次变化"] = current["rank_change"].astype("float64")
    columns["超期"] = current["overdue_count"]
    columns["临期"] = current["near_deadline_count"]
    columns["平均办理时长（工作日）"] = current["avg_handling_workdays"].round(2)
    if "awaiting_callback_count" in current:  # its 解决率, 满意率 and score still move (the query's own flag)
        columns["待回访（件）"] = current["awaiting_callback_count"]
        columns["回访未完"] = current["is_callback_provisional"].map({True: "是", False: "否"})
    needed = ["unit_code", "is_ranked", *RATE_METRICS, *(RATE_N[rate][1] for rate in RATE_METRICS)]
    columns["参与排名"] = ["是" if row["is_ranked"] is True else
                       unranked_reason(row, min_denominator) for row in current[needed].to_dict("records")]
    return pd.DataFrame(columns).reset_index(drop=True)


# The composite rank's header and help: the rank among every unit of the level in the whole area, which a table
# narrowed to one street or community (``within``) must say, or 377 in a community of 10 grids reads as wrong.
# The whole area's rank is kept there, not renumbered: it is the ranking the monthly review calls out, and what
# 名次变化 and the unnarrowed table show for the same unit. ``within`` is (header, the whole area's name), as
# onescreen.area names them: (全区排名, 全区), (街道内排名, 南宁街道) on a one-street warehouse, (南湖区内排名, 南湖区).
RANK_LABEL = "综合排名"
RANK_HELP = "综合得分在全层级的名次；灰色行不参与排名"
Within = tuple[str, str]


def rank_head(within: Within | None = None) -> tuple[str, str]:
    """(header, help) of the composite rank column: 综合排名, or the whole area's rank when ``within`` is given."""
    if within is None:
        return RANK_LABEL, RANK_HELP
    header, area = within
    return header, f"综合得分在{area}同一层级所有单位中的名次（不是本表内的名次）；灰色行不参与排名"


def metric_columns(metric: str) -> tuple[str, str | None]:
    """The breakdown table's column of ``metric`` and of its N (None for a count)."""
    label = LABELS[metric]
    if metric in RATE_N:
        return f"{label}%", f"{label}N"
    return {"composite_score": "综合得分", "ticket_count": "受理量", "overdue_count": "超期"}[metric], None


def breakdown_columns(table: pd.DataFrame, metric: str, within: Within | None = None) -> tuple[list[str], dict]:
    """(column order, column config) of the breakdown table on screen, readable in its column of the page
    (580 px at 1440 px wide): the unit, the chosen metric with its N, 环比 and 同比 and whether ranked come
    first (led by the composite rank and followed by its move when the metric is the composite score), under
    short labels (the long ones as help); the other rates, counts and the code follow. The CSV keeps every
    column under its full name. ``within``: the table lists the units of one street or community only; their
    ranks stay the whole area's (377 in a community of 10 grids), so the rank is headed as :func:`rank_head` says
    (全区排名, 街道内排名 on a one-street warehouse)."""
    from streamlit import column_config as st_column  # here: the report's command line imports this module

    value, n = metric_columns(metric)
    changes = [c for c in table.columns if c.startswith(f"{LABELS[metric]}环比") or c.startswith(f"{LABELS[metric]}同比")]
    if metric == "composite_score":
        first = ["综合排名", "单位", value, *changes, "名次变化", "参与排名"]
    else:  # ordered by another metric: that metric leads, the composite rank follows (it is not this order's rank)
        first = ["单位", value, *([n] if n else []), *changes, "参与排名", "综合排名", "名次变化"]
    # A change with no value at all (no 同比 without a year before) goes to the end.
    first = [c for c in first if table[c].notna().any() or c not in (*changes, "名次变化")]
    order = first + [c for c in table.columns if c not in first and c != "编码"] + ["编码"]
    rank, rank_help = rank_head(within)
    config: dict = {
        # 72 px holds 全区排名 and 街道内排名; a configured area's name (南湖区城东片区内排名) gets room for its header.
        "综合排名": st_column.NumberColumn(rank, width=72 if len(rank) <= 5 else 14 * len(rank) + 20,
                                       help=rank_help),
        "名次变化": st_column.NumberColumn("名次变化", width=64, help=f"{rank}较上期的变化（正数为上升）"),
        "参与排名": st_column.TextColumn("参与排名", width=160,
                                     help="不参与排名的原因：分母不足、无某率（同层级其他单位按它排名）或归属不明"),
    }
    if n:
        config[n] = st_column.TextColumn("N", width=92, help=f"{LABELS[metric]}的分子/分母")
    for column in changes:
        config[column] = st_column.NumberColumn(column[len(LABELS[metric]):len(LABELS[metric]) + 2], width=64,
                                                help=column)
    return order, config


def breakdown_csv(table: pd.DataFrame, within: Within | None = None) -> bytes:
    """The breakdown table (:func:`breakdown_table`) as the CSV users download: ranks as whole numbers
    (floats on screen, where a missing rank is a dash), a missing value as an empty cell; the rank headed as on
    screen (:func:`rank_head` of ``within``, :func:`breakdown_columns`)."""
    return to_csv_bytes(table.astype({"综合排名": "Int64", "名次变化": "Int64"})
                        .rename(columns={"综合排名": rank_head(within)[0]}))


@shared
def grey_unranked(table: pd.DataFrame, metric: str | None = None):
    """The breakdown table (:func:`breakdown_table`) as a Styler: rows of units that are
    not ranked in grey (shown, not ranked: see 综合得分's 口径), numbers formatted, a missing value as a dash,
    and the N of the chosen ``metric`` as 无数据 where it is 0/0 (a source without callbacks has no 解决率).
    Kept and shared like a figure: Streamlit marshals it once (``streamlit_patches.marshall_styler_once``)."""
    grey = ~table["参与排名"].eq("是").fillna(False).to_numpy(dtype=bool)
    styled = table.style
    if grey.any():
        # The CSS of every cell in one object array ("" = none): a Python call per row took 0.2 s for 650
        # grids, and a frame of the unranked rows built from a scalar (22 Arrow string columns) 5 ms for 9.
        css = np.full(table.shape, "", dtype=object)
        css[grey, :] = f"color: {UNRANKED_TEXT_COLOUR}"
        styled = styled.apply(lambda _: css, axis=None)
    # One format call (a second one resets the columns it does not name). Ranks are floats so that a
    # missing rank is NaN, which na_rep shows as a dash (pd.NA would show "None").
    formats = {column: _one_decimal for column, dtype in table.dtypes.items() if pd.api.types.is_float_dtype(dtype)}
    formats.update({"综合排名": "{:.0f}", "名次变化": _rank_change, "平均办理时长（工作日）": "{:.2f}"})
    styled = styled.format(formats, na_rep="—")
    _, n = metric_columns(metric) if metric is not None else (None, None)
    if n is not None:  # the rate itself is empty (a table shows its placeholder there, whatever the Styler says)
        styled = styled.format(lambda text: NO_DATA if text == "0/0" else text, subset=[n])
    return styled


def _one_decimal(value: float) -> str:
    """``1,234.5``; a value that rounds to zero is ``0.0``, never ``-0.0`` (a change of -0.04)."""
    text = f"{value:,.1f}"
    return "0.0" if text == "-0.0" else text


def _rank_change(change: float) -> str:
    """A move in rank as the lists say it: ``+2``, ``-1``, ``持平`` (not ``+0``)."""
    return "持平" if change == 0 else f"{change:+.0f}"


PERIOD_SPAN = {"month": pd.Timedelta(days=30), "week": pd.Timedelta(days=7), "day": pd.Timedelta(days=1)}


def _layout(fig: go.Figure, *, height: int, **extra) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), **extra)
    return on_screen(fig)


@shared
def rates_trend_figure(trend: pd.DataFrame, *, period_type: str = "month",
                       metrics: tuple[str, ...] = TREND_METRICS) -> go.Figure:
    """One line per metric over ``period_start``, plus a dashed target line per distinct target.

    ``trend`` is the ``rates_trend`` query. Rates whose targets are equal share one target line
    (named after all of them), so three 97% targets draw one line, not three on top of each other.
    The hover of each point shows its N (numerator/denominator) and the ticket count. Periods still 回访未完
    (``is_callback_provisional``) draw 解决率, 满意率 and 综合得分 hollow on a dotted line, with a legend entry.
    """
    fig = go.Figure()
    x = pd.to_datetime(trend["period_start"])
    waiting = callback_points(trend)  # 回访未完: drawn hollow on a dotted line (add_waiting_points)
    for metric in metrics:
        numerator, denominator = RATE_N.get(metric, (None, None))
        custom = pd.DataFrame({
            "numerator": trend[numerator] if numerator else math.nan,
            "denominator": trend[denominator] if denominator else math.nan,
            "tickets": trend["ticket_count"],
        }, index=trend.index)
        n_text = "N = %{customdata[0]:,.1~f}/%{customdata[1]:,.0f}<br>" if numerator else ""
        hover = f"{LABELS[metric]} %{{y:.1f}}<br>{n_text}受理 %{{customdata[2]:,.0f}} 件<extra></extra>"
        marks = waiting if metric in CALLBACK_METRICS else waiting & False
        fig.add_trace(go.Scatter(
            x=x, y=trend[metric].where(~marks), name=LABELS[metric], mode="lines+markers",
            line=dict(color=RATE_COLOURS[metric], width=2, dash="dot" if metric == "composite_score" else "solid"),
            customdata=custom.to_numpy(), hovertemplate=hover, legendgroup=LABELS[metric],
        ))
        add_waiting_points(fig, x, trend[metric], marks, colour=RATE_COLOURS[metric], name=LABELS[metric],
                           hovertemplate=hover, customdata=custom.to_numpy())
    if (waiting & trend[[m for m in metrics if m in CALLBACK_METRICS]].notna().any(axis=1)).any():
        add_waiting_legend(fig, UNRANKED_TEXT_COLOUR)
    by_value: dict[float, list[str]] = {}
    for metric in metrics:
        column = TARGETS.get(metric)
        if column and column in trend and trend[column].notna().any():
            by_value.setdefault(float(trend[column].dropna().iloc[0]), []).append(LABELS[metric])
    # The target line spans the periods drawn; a single period gets half a period either side (a line
    # from a point to itself was in the legend but not on the chart).
    ends = [x.min(), x.max()] if len(x) else []
    if len(x) and ends[0] == ends[1]:
        half = PERIOD_SPAN.get(period_type, pd.Timedelta(days=1)) / 2
        ends = [ends[0] - half, ends[1] + half]
    for value, names in sorted(by_value.items()):
        fig.add_trace(go.Scatter(
            x=ends, y=[value, value], mode="lines",
            name=f"目标 {value:g}%（{'、'.join(names)}）", line=dict(color=TARGET_COLOUR, dash="dash", width=1.5),
            hovertemplate=f"{'、'.join(names)}目标 {value:g}%<extra></extra>",
        ))
    # Rates sit near the top of 0-100: start the axis a little below the lowest value or target so the
    # lines are not squashed against the top, and always show 100.
    lowest = min([*pd.concat([trend[m] for m in metrics]).dropna().tolist(), *by_value, 100.0])
    fig.update_xaxes(tickformat=TICK_FORMATS.get(period_type, "%Y-%m-%d"))
    if 0 < x.nunique() <= 12:  # one tick per period: plotly's own ticks fall between them ("10月, 10月, 11月")
        fig.update_xaxes(tickmode="array", tickvals=sorted(x.unique()))
    fig.update_yaxes(title_text="%　（综合得分：分）", range=[max(0.0, math.floor((lowest - 5) / 5) * 5), 101])
    return _layout(fig, height=360, hovermode="x unified")


def count_ticks(top: float) -> dict:
    """An axis of counts (件) up to ``top``: whole numbers only. Up to 5 plotly ticked it every 0.5 (a community's
    超期 chart read 0, 0.5, 1, 1.5 ... 件)."""
    return dict(tickformat=",d", **({"dtick": 1} if top <= 5 else {}))


def _best_and_worst(rows: pd.DataFrame, count: int) -> pd.DataFrame:
    """``rows`` (in order), or its first and last ``count // 2`` when there are more than ``count``."""
    if len(rows) <= count:
        return rows
    return pd.concat([rows.head(count // 2), rows.tail(count - count // 2)])


@shared
def breakdown_bar(breakdown: pd.DataFrame, metric: str, *, target: float | None = None,
                  max_bars: int = 40) -> go.Figure:
    """Horizontal bars of ``metric`` per unit, best on top; units not ranked are drawn grey.

    ``breakdown`` is the ``rates_breakdown`` query (``unit_name``, ``is_ranked``, the metric and its N).
    With more than ``max_bars`` units with a value, only the best and worst ``max_bars // 2`` are
    drawn (the table beside it lists them all). By composite score the ranked units come first, in rank order,
    and the units not ranked after them. A ``target`` adds a dashed vertical line.
    """
    rows = breakdown[breakdown[metric].notna()].sort_values(metric, ascending=False)
    if metric == "composite_score":
        # The ranking: ranked units in their order, then the others in grey (a score of 响应率 alone, higher than
        # any of three rates, on top read as first place).
        is_ranked = rows["is_ranked"].fillna(False).astype(bool)
        ranked_rows = _best_and_worst(rows[is_ranked], max_bars)
        rows = pd.concat([ranked_rows, rows[~is_ranked].head(max(0, max_bars - len(ranked_rows)))])
    else:
        rows = _best_and_worst(rows, max_bars)
    rows = rows.iloc[::-1]  # plotly draws the first bar at the bottom
    ranked = rows["is_ranked"].fillna(False).astype(bool)
    numerator, denominator = RATE_N.get(metric, (None, None))
    if numerator:
        n_text = [f"N = {_count(n)}/{_count(d)}" for n, d in zip(rows[numerator], rows[denominator])]
    else:
        n_text = [f"受理 {n:,.0f} 件" for n in rows["ticket_count"]]
    status = ["" if r else "（不参与排名）" for r in ranked]
    is_count = metric in COUNT_METRICS
    labels = [f"{v:,.0f}" if is_count else f"{v:.1f}" for v in rows[metric]]
    fig = go.Figure(go.Bar(
        x=rows[metric], y=rows["unit_name"].fillna(rows["unit_code"]), orientation="h",
        marker_color=[RANKED_COLOUR if r else UNRANKED_COLOUR for r in ranked],
        # Outside the bar's end, at full size (inside, plotly shrank them to the bar: 7.7 px).
        text=labels, textposition="outside", textangle=0,
        constraintext="none", cliponaxis=False,
        customdata=list(zip(n_text, status)),
        hovertemplate=f"%{{y}}<br>{LABELS.get(metric, metric)} %{{x:{',.0f' if is_count else '.1f'}}}<br>"
                      "%{customdata[0]}%{customdata[1]}<extra></extra>",
    ))
    if target is not None:
        fig.add_vline(x=target, line_dash="dash", line_color=TARGET_COLOUR,
                      annotation_text=f"目标 {target:g}%", annotation_position="top")
    fig.update_yaxes(type="category")
    # Counts are not out of 100: their axis runs to the longest bar (a fixed 0-100 cut off every bar past 100).
    # A rate's axis is 0-100 and holds its target line.
    top = max(float(rows[metric].max()) if len(rows) else 0.0, 1.0) if is_count else \
        max(100.0, target if target is not None else 0.0)
    # The labels stand past the bars' ends and must fit inside the plot: on the page, plotly drew no label
    # (display="none") for a bar reaching the axis' end (a community's grids at 100), and the 10 px margin cut one at
    # 99.3 to "99.:". The axis runs on past ``top`` by the longest label at the narrowest the plot is drawn; a rate's
    # ticks still stop at 100.
    room = max((text_width(t, BAR_LABEL_PX) for t in labels), default=0.0) + 6  # px, with plotly's pad before it
    high = top * BAR_PLOT_PX / (BAR_PLOT_PX - room)
    ticks = count_ticks(high) if is_count else dict(tickvals=nice_ticks(0, top, 2))
    fig.update_xaxes(title_text=LABELS.get(metric, metric), range=[0, high], **ticks)
    return _layout(fig, height=max(260, 22 * len(rows) + 80), showlegend=False)


@shared
def handling_time_figure(distribution: pd.DataFrame) -> go.Figure:
    """Bars of closed tickets per 办理时长 band (working days), labelled with count and share."""
    labels = [f"{n:,.0f} 件<br>{s:.1f}%" if pd.notna(s) else f"{n:,.0f} 件"
              for n, s in zip(distribution["ticket_count"], distribution["share"])]
    # At 1366 px the tall bars lost their labels (only the short ones kept them): with the axis ending at the
    # tallest bar there was no room above it, and plotly shrinks an outside label to its bar's width (33 px) and
    # drops it when that is too small. The axis now runs on past the tallest bar by room for the two lines, and the
    # labels keep their size, the smallest the charts use (a little wider than a bar; bars stand 40 px apart at 1366 px).
    fig = go.Figure(go.Bar(
        x=distribution["bucket_label"], y=distribution["ticket_count"], text=labels, textposition="outside",
        marker_color="#1f4e99", cliponaxis=False, constraintext="none", textfont=dict(size=MIN_LABEL_PX),
        hovertemplate="%{x}：%{y:,.0f} 件<extra></extra>",
    ))
    tallest = float(distribution["ticket_count"].max()) if len(distribution) else 0.0
    fig.update_xaxes(type="category", title_text="办理时长（工作日）")
    fig.update_yaxes(title_text="已办结工单（件）", range=[0, max(tallest, 1.0) * HISTOGRAM_HEADROOM])
    return _layout(fig, height=320, showlegend=False)


# The y axis of 办理时长 runs this far past the tallest bar: its two-line label (about 32 px) above it in a plot that
# is about 150 px tall at 1366 px (the band names turned on end under it).
HISTOGRAM_HEADROOM = 1.3


@shared
def escalation_figure(shares: pd.DataFrame) -> go.Figure:
    """One stacked horizontal bar: share of closed tickets closed at 网格/社区/街道/区 (小事不出网格)."""
    fig = go.Figure()
    for row in shares.itertuples():
        share = 0.0 if pd.isna(row.share) else float(row.share)
        fig.add_trace(go.Bar(
            # The legend says each share too: a segment too narrow for its label (街道, 区 at 1366 px) has none.
            x=[share], y=["办结层级"], orientation="h", name=f"{row.handling_level_label} {share:.1f}%",
            marker_color=ESCALATION_COLOURS.get(row.handling_level, LIGHT_COLOURS["grey"]),
            text=[f"{row.handling_level_label} {share:.1f}%"], textposition="inside", insidetextanchor="middle",
            hovertemplate=f"{row.handling_level_label}：{row.closed_count:,.0f}/{row.escalation_denominator:,.0f} 件"
                          f"（{share:.1f}%）<extra></extra>",
        ))
    fig.update_xaxes(range=[0, 100], title_text="占注明办结层级的已办结工单 %")
    fig.update_yaxes(showticklabels=False)
    for trace in fig.data:  # dark labels on the light bars (white on yellow was 2.0:1)
        trace.insidetextfont = dict(color=text_colour_on(trace.marker.color))
    fig = _layout(fig, height=170, barmode="stack")
    return fig.update_layout(legend_traceorder="normal")


@shared
def overdue_bar(breakdown: pd.DataFrame, *, top: int = 15) -> go.Figure:
    """Stacked bars of 超期 and 临期 open tickets for the ``top`` units with most of them."""
    rows = breakdown.assign(total=breakdown["overdue_count"].fillna(0) + breakdown["near_deadline_count"].fillna(0))
    rows = rows[rows["total"] > 0].sort_values(["total", "overdue_count"], ascending=False).head(top).iloc[::-1]
    names = rows["unit_name"].fillna(rows["unit_code"])
    fig = go.Figure([
        go.Bar(x=rows["overdue_count"], y=names, orientation="h", name=LABELS["overdue_count"],
               marker_color=OVERDUE_COLOUR, hovertemplate="%{y}：超期 %{x:,.0f} 件<extra></extra>"),
        go.Bar(x=rows["near_deadline_count"], y=names, orientation="h", name=LABELS["near_deadline_count"],
               marker_color=NEAR_DEADLINE_COLOUR, hovertemplate="%{y}：临期 %{x:,.0f} 件<extra></extra>"),
    ])
    fig.update_yaxes(type="category")
    fig.update_xaxes(title_text="件", **count_ticks(float(rows["total"].max()) if len(rows) else 0.0))
    return _layout(fig, height=max(220, 22 * len(rows) + 90), barmode="stack")
