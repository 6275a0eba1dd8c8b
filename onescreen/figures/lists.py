"""Tables and figures for 亮灯地图, 物业红黑榜 and 工单明细: plain functions, DataFrame in, DataFrame or
plotly Figure out, testable without Streamlit. Input frames are the named queries' results.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from onescreen.coverage import Coverage
from onescreen.figures import legible_axes, shared
from onescreen.rules import Rules, RulesError, rules_of_marts
from onescreen.ui import BLACKLIST, HONOUR, LIGHT_COLOURS, LIGHT_LABELS, LIGHT_TEXT_COLOURS

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif"
LIGHT_ORDER = ("red", "yellow", "green", "grey")
PERIOD_UNITS = {"month": "月", "week": "周", "day": "日"}
HOUSEHOLD_COLOURS = {"red_households": ("红色户", LIGHT_COLOURS["red"]), "yellow_households": ("黄色户", LIGHT_COLOURS["yellow"]),
                     "green_households": ("绿色户", LIGHT_COLOURS["green"])}
# Plotly fill patterns that tell the lights' bands apart without colour (the maps' marks: red hatched, yellow dotted).
LIGHT_PATTERNS = {"red": "/", "yellow": ".", "green": "", "grey": ""}
NEAR_DEADLINE_TEXT = "#9a6100"  # 临期: an amber dark enough to read as text on white (5.1:1; #b06f00 was 4.1:1)
# Hover of the grid map: column -> label (map_frame makes these columns).
MAP_TOOLTIP = {"grid_name": "网格", "community_name": "社区", "light_label": "亮灯", "light_reason": "原因",
               "on_time_text": "按期办结率", "counts_text": "工单"}


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _layout(fig: go.Figure, height: int) -> go.Figure:
    # The legend stands on the top of the plot (its bottom at the plot's top edge) in the top margin, which holds
    # one row of it: at y=1.1 anchored by its top it hung into the plot and hid the top of 各色网格占比.
    fig.update_layout(height=height, margin=dict(l=8, r=8, t=36, b=8), font=dict(family=FONT, size=13),
                      legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0), hovermode="x unified")
    return legible_axes(fig)


def light_legend(rules: Rules) -> list[tuple[str, str, str]]:
    """(light, 中文名, the rule that lights it) for the map legend, with the thresholds in ``rules``."""
    lt = rules.lights
    return [
        ("red", LIGHT_LABELS["red"],
         f"按期办结率 < {lt.red_on_time_rate_below:g}%（至少 {lt.red_min_denominator} 件已到期或办结），"
         f"或超期未办结 ≥ {lt.red_overdue_at_least} 件"),
        ("yellow", LIGHT_LABELS["yellow"],
         f"按期办结率 < {lt.yellow_on_time_rate_below:g}%，或有超期、临期工单"
         f"（临期：距时限 ≤ {rules.near_deadline_workdays:g} 个工作日）"),
        ("green", LIGHT_LABELS["green"], f"按期办结率 ≥ {lt.yellow_on_time_rate_below:g}%，且无超期、临期"),
        ("grey", LIGHT_LABELS["grey"], "本期受理的工单中没有已到期、已办结或临期的"),
    ]


SELECTED_MARK = "（所选网格）"


def map_frame(lights: pd.DataFrame, selected: str | None = None) -> pd.DataFrame:
    """``grid_lights`` rows with the text columns the map's hover shows (:data:`MAP_TOOLTIP`); the ``selected``
    grid's name says it is the one chosen (the map shows its whole community)."""
    out = lights.copy()
    if selected is not None:
        out["grid_name"] = [f"{n}{SELECTED_MARK}" if g == selected else n for g, n in zip(out["grid_code"], out["grid_name"])]
    out["light_label"] = [LIGHT_LABELS.get(x, LIGHT_LABELS["grey"]) for x in out["light"]]
    out["on_time_text"] = [
        "—（N=0）" if _missing(rate) else f"{rate:.1f}%（{num}/{den}）"
        for rate, num, den in zip(out["on_time_rate"], out["on_time_numerator"], out["on_time_denominator"])]
    out["counts_text"] = [f"受理 {n} 件，超期 {o} 件，临期 {d} 件" for n, o, d in
                          zip(out["ticket_count"], out["overdue_count"], out["near_deadline_count"])]
    return out


STREAK_LABELS = {"月": "连续月数", "周": "连续周数", "日": "连续天数"}


def grid_with_community(grid_name, community_name) -> str:
    """A grid's name with its community in front, as an address reads (``东风社区东风一网格``), unless the name already
    says it (``东风社区第3网格``, the usual naming): the lights table shows the community this way, not in a column."""
    if _missing(community_name) or str(community_name) in str(grid_name):
        return str(grid_name)
    return f"{community_name}{grid_name}"


def light_table(lights: pd.DataFrame, period_type: str = "month", selected: str | None = None) -> pd.DataFrame:
    """Red grids then yellow ones with their reasons, N and how many periods in a row they have had that light
    (``连续（月）``: ``grid_lights``' consecutive_red_periods for a red grid, consecutive_yellow_periods for a yellow
    one; the other is always 0); the longest run of its colour first, then the most overdue. 网格 names the
    community too (:func:`grid_with_community`). The ``selected`` grid (chosen in the sidebar; the table lists its
    whole community), when red or yellow, comes first, its name marked (:data:`SELECTED_MARK`)."""
    unit = PERIOD_UNITS.get(period_type, "期")
    rows = lights[lights["light"].isin(["red", "yellow"])].copy()
    rows["order"] = rows["light"].map({"red": 0, "yellow": 1})
    rows["streak"] = rows["consecutive_red_periods"].where(rows["light"] == "red", rows["consecutive_yellow_periods"])
    rows["not_selected"] = rows["grid_code"] != selected
    rows = rows.sort_values(["not_selected", "order", "streak", "overdue_count"], ascending=[True, True, False, False],
                            kind="stable")
    return pd.DataFrame({
        "亮灯": [LIGHT_LABELS[x] for x in rows["light"]],
        "网格": [grid_with_community(g, c) + ("" if code != selected else SELECTED_MARK)
                 for g, c, code in zip(rows["grid_name"], rows["community_name"], rows["grid_code"])],
        "社区": rows["community_name"].to_numpy(),
        "街道": rows["street_name"].to_numpy(),
        "原因": rows["light_reason"].to_numpy(),
        "按期办结率(%)": rows["on_time_rate"].round(1).to_numpy(),
        "N（到期或办结）": rows["on_time_denominator"].to_numpy(),
        "超期": rows["overdue_count"].to_numpy(),
        "临期": rows["near_deadline_count"].to_numpy(),
        f"连续（{unit}）": rows["streak"].to_numpy(),
        "上期": [LIGHT_LABELS.get(x, "—") if isinstance(x, str) else "—" for x in rows["previous_light"]],
        "grid_code": rows["grid_code"].to_numpy(),
    })


def light_table_columns(table: pd.DataFrame) -> tuple[list[str], dict]:
    """(column order, column config) of :func:`light_table` on screen: the light, the grid (with its community),
    why, the numbers behind it, how long and the light before, then the street: all of it without scrolling
    sideways in the page's 978 px at 1440 px (a 社区 column and a second streak column, always 0, made it scroll);
    rates to 0.1."""
    from streamlit import column_config as column  # here: the report's command line imports this module

    streak = next(c for c in table.columns if c.startswith("连续（"))
    unit = streak[len("连续（"):-1]
    first = ["亮灯", "网格", "原因", "按期办结率(%)", "N（到期或办结）", "超期", "临期", streak, "上期", "街道"]
    order = first + [c for c in table.columns if c not in first and c not in ("grid_code", "社区")]
    return order, {
        "亮灯": column.TextColumn(width=48),
        "原因": column.TextColumn(width=300),
        "按期办结率(%)": column.NumberColumn("按期办结率", format="%.1f", width=88, help="按期办结率（%）"),
        "N（到期或办结）": column.NumberColumn("N", width=48, help="按期办结率的分母：到期或已办结的工单数"),
        "超期": column.NumberColumn(width=48, help="超期未办结的工单（件）"),
        "临期": column.NumberColumn(width=48, help="临期的工单（件）"),
        streak: column.NumberColumn(STREAK_LABELS.get(unit, "连续期数"), width=72,
                                    help=f"截至本{unit}连续亮这一灯色的{STREAK_LABELS.get(unit, '期数')[2:]}："
                                         "红灯网格为连续红灯，黄灯网格为连续黄灯"),
        "上期": column.TextColumn(width=48, help="上一期的灯色"),
        "街道": column.TextColumn(width=88),
    }


def household_colours_table(lights: pd.DataFrame) -> pd.DataFrame:
    """三色户 per grid, only the grids where they were loaded; most red households first."""
    cols = list(HOUSEHOLD_COLOURS)
    rows = lights.dropna(subset=cols, how="all").sort_values(cols, ascending=False)
    out = pd.DataFrame({"网格": rows["grid_name"].to_numpy(), "社区": rows["community_name"].to_numpy(),
                        "户数": rows["households"].to_numpy()})
    for column, (label, _colour) in HOUSEHOLD_COLOURS.items():
        out[label] = rows[column].to_numpy()
    return out


@shared
def household_colours_figure(lights: pd.DataFrame, top: int = 20, height: int = 360) -> go.Figure:
    """三色户 summed per community (the ``top`` communities with most red households), stacked bars."""
    cols = list(HOUSEHOLD_COLOURS)
    sums = lights.groupby("community_name", dropna=False)[cols].sum(min_count=1).dropna(how="all")
    sums = sums.sort_values(cols, ascending=False).head(top).iloc[::-1]
    fig = go.Figure()
    for column, (label, colour) in HOUSEHOLD_COLOURS.items():
        light = column.removesuffix("_households")
        fig.add_trace(go.Bar(y=sums.index.astype(str), x=sums[column], name=label, orientation="h",
                             marker=dict(color=colour, pattern=_light_pattern(light)),
                             hovertemplate=f"{label} %{{x}} 户<extra>%{{y}}</extra>"))
    fig.update_layout(barmode="stack")
    return _layout(fig, height).update_layout(hovermode="y unified")


def household_colours_note(lights: pd.DataFrame, top: int = 20) -> str:
    """What :func:`household_colours_figure` draws, said under it: all communities, or the ``top`` of how many."""
    cols = list(HOUSEHOLD_COLOURS)
    count = len(lights.groupby("community_name", dropna=False)[cols].sum(min_count=1).dropna(how="all"))
    if count > top:
        return f"按社区汇总，红色户最多的 {top} 个社区（共 {count} 个社区；各网格见右表）。"
    return f"按社区汇总（{count} 个社区）。"


@shared
def light_share_figure(shares: pd.DataFrame, period_type: str = "month", height: int = 320) -> go.Figure:
    """Share of grids in each light per period (``light_share_over_time``), stacked to 100%; the red band
    hatched and the yellow one dotted, as on the maps, so the bands are told apart without colour."""
    fig = go.Figure()
    for light in LIGHT_ORDER:
        part = shares[shares["light"] == light]
        fig.add_trace(go.Scatter(
            x=part["period_start"], y=part["share"], name=LIGHT_LABELS[light], mode="lines", stackgroup="one",
            line=dict(width=0.5, color=LIGHT_COLOURS[light]), fillcolor=LIGHT_COLOURS[light],
            fillpattern=_light_pattern(light),
            customdata=part[["grid_count", "total_grid_count"]].to_numpy(),
            hovertemplate=f"{LIGHT_LABELS[light]} %{{y:.1f}}%（%{{customdata[0]}}/%{{customdata[1]}} 个网格）<extra></extra>"))
    fig.update_yaxes(range=[0, 100], ticksuffix="%", title=None)
    fig.update_xaxes(title=None, tickformat="%Y-%m" if period_type == "month" else "%m-%d")
    return _layout(fig, height).update_layout(legend_traceorder="normal")


def _light_pattern(light: str) -> dict:
    """A plotly fill pattern (``marker.pattern`` / ``fillpattern``) for a light: its mark (:data:`LIGHT_PATTERNS`)
    in the text colour of its fill, on the fill colour."""
    return dict(shape=LIGHT_PATTERNS[light], fgcolor=LIGHT_TEXT_COLOURS[light], bgcolor=LIGHT_COLOURS[light],
                size=9, solidity=0.3 if light == "red" else 0.12, fillmode="replace")  # the dots light, as on the wall map


def rank_change_text(change, previous_rank=None) -> str:
    """``▲2`` (moved up), ``▼1``, ``持平``; ``新进排名`` when last month was unranked."""
    if _missing(change):
        return "新进排名" if _missing(previous_rank) else "—"
    change = int(change)
    return "持平" if change == 0 else (f"▲{change}" if change > 0 else f"▼{-change}")


def ranking_table(rankings: pd.DataFrame, previous: Coverage | None = None, at_least=frozenset()) -> pd.DataFrame:
    """A red or black list for display: rank, score and its parts, complaints with N, households, moves.
    ``previous``: how much of last month the data cover (``onescreen.filters.last_month_coverage``): against a month
    they do not cover whole the moves read ``—`` (not compared). ``at_least``: the companies whose months in a row on
    the black list may have begun before the data (``onescreen.filters.streak_at_least``): the column is then text,
    theirs ``至少 N``."""
    r = rankings
    withheld = previous is not None and bool(previous.note)
    streak = r["consecutive_black_months"]
    if at_least:
        streak = pd.Series([None if _missing(n) else f"至少 {int(n)}" if c in at_least else str(int(n))
                            for c, n in zip(r["company_id"], streak)], dtype="string", index=r.index)
    return pd.DataFrame({
        "名次": r["rank"].to_numpy(),
        "物业企业": r["company_name"].to_numpy(),
        "总分": r["score"].round(1).to_numpy(),
        "考核得分": r["inspection_score"].round(1).to_numpy(),
        "投诉得分": r["complaint_score"].round(1).to_numpy(),
        "投诉（件）": r["complaint_count"].to_numpy(),
        "每千户投诉": r["complaints_per_1k_households"].round(2).to_numpy(),
        "管理户数": r["households"].astype("Int64").to_numpy(),
        "考核次数": r["inspection_count"].to_numpy(),
        "名次变化": ["—" if withheld else rank_change_text(c, p) for c, p in zip(r["rank_change"], r["previous_rank"])],
        "连续上黑榜（月）": streak.to_numpy(),
    })


def ranking_columns(listed: str, previous: Coverage | None = None, at_least: bool = False) -> tuple[list[str], dict]:
    """(column order, column config) of a red (``listed="red"``) or black list (:func:`ranking_table`) in its
    half of the page: rank, company, score and its move (and, on the black list, how many months in a row)
    readable at 1440 px, the parts of the score after them; scores always to 0.1 (as on the big screen: a
    score of 79 is shown "79.0", not "79" beside "78.6"). ``previous`` and ``at_least`` as :func:`ranking_table` was
    given them: the helps say why the moves are not shown and what 至少 means."""
    from streamlit import column_config as column

    first = ["名次", "物业企业", "总分", "名次变化"] + (["连续上黑榜（月）"] if listed == "black" else [])
    streak_help = "截至本月连续上黑榜的月数"
    rest = ["考核得分", "投诉得分", "每千户投诉", "投诉（件）", "管理户数", "考核次数"]
    return first + rest, {
        "名次": column.NumberColumn(format="%d", width=44),
        "总分": column.NumberColumn(format="%.1f", width=52),
        "名次变化": column.TextColumn("较上月", width=64, help=f"名次较上月：{previous.note}，不作比较"
                                    if previous is not None and previous.note else "名次较上月的变化（▲ 上升，▼ 下降）"),
        "连续上黑榜（月）": column.TextColumn("连续黑榜", width=68, help=streak_help + f"；至少 N：数据自 "
                                          f"{previous.data_from:%Y-%m-%d} 起，此前是否上榜不详")
                         if at_least and previous is not None and previous.data_from else
                         column.NumberColumn("连续黑榜", format="%d", width=68, help=streak_help),
        "考核得分": column.NumberColumn("考核分", format="%.1f", width=60, help="考核得分（日常考核平均分）"),
        "投诉得分": column.NumberColumn("投诉分", format="%.1f", width=60, help="投诉得分（按每千户投诉扣分）"),
        "每千户投诉": column.NumberColumn(format="%.2f", width=84),
        "投诉（件）": column.NumberColumn("投诉", format="%d", width=52, help="物业投诉（件）"),
        "管理户数": column.NumberColumn(format="%,d"),   # 4,111 as the company's detail says it
    }


def ineligible_table(rankings: pd.DataFrame) -> pd.DataFrame:
    """Companies shown but not ranked this month, and why."""
    r = rankings[~rankings["is_eligible"].fillna(False).astype(bool)]
    return pd.DataFrame({
        "物业企业": r["company_name"].to_numpy(),
        "原因": r["ineligible_reason"].fillna("缺少考核得分或投诉得分").to_numpy(),
        "管理户数": r["households"].astype("Int64").to_numpy(),
        "考核次数": r["inspection_count"].to_numpy(),
        "投诉（件）": r["complaint_count"].to_numpy(),
        "总分（不排名）": r["score"].round(1).to_numpy(),
    })


def ineligible_columns() -> dict:
    """Column config of :func:`ineligible_table`: the score to 0.1, as in the lists."""
    from streamlit import column_config as column

    return {"总分（不排名）": column.NumberColumn(format="%.1f"), "原因": column.TextColumn(width=320),
            "管理户数": column.NumberColumn(format="%,d")}


@shared
def company_history_figure(history: pd.DataFrame, height: int = 340, unfinished: date | None = None) -> go.Figure:
    """A company's monthly score and its two parts (``company_history``); months on a list are marked.

    The ``unfinished`` month (the tickets stop before its end) is not drawn as one more point of the lines: with
    a few days of inspections and no complaints yet its score jumps (82.3 -> 91.5, 投诉得分 100) and read as a
    real rise. Its points are hollow, reached by a dashed segment, named "（未结束）" on hover, in the legend and
    under the plot, and its list mark is hollow."""
    history = history.copy()
    is_open = pd.to_datetime(history["month_start"]).dt.date == unfinished if unfinished else pd.Series(False, history.index)
    done, open_rows = history[~is_open.to_numpy()], history[is_open.to_numpy()]
    fig = go.Figure()
    series = {"inspection_score": ("考核得分", "#5b8def", "dot", 1.5), "complaint_score": ("投诉得分", "#9aa5b1", "dot", 1.5),
              "score": ("总分", "#1f3b63", "solid", 2.5)}
    for column, (label, colour, dash, width) in series.items():
        total = column == "score"
        if total:
            ranks = ["未排名" if _missing(x) else f"第 {int(x)} 名" for x in done["rank"]]
            fig.add_trace(go.Scatter(x=done["month_start"], y=done[column], name=label, mode="lines+markers",
                                     line=dict(color=colour, width=width), customdata=ranks,
                                     hovertemplate="总分 %{y:.1f}（%{customdata}）<extra></extra>"))
        else:
            fig.add_trace(go.Scatter(x=done["month_start"], y=done[column], name=label, mode="lines",
                                     line=dict(color=colour, dash=dash, width=width),
                                     hovertemplate=f"{label} %{{y:.1f}}<extra></extra>"))
    if not open_rows.empty:
        month = open_rows.iloc[-1]
        last = done.iloc[[-1]] if not done.empty else done
        for column, (label, colour, dash, width) in series.items():
            total = column == "score"
            if not last.empty:  # the dashed step from the last whole month: no hover of its own
                fig.add_trace(go.Scatter(x=[last["month_start"].iloc[0], month["month_start"]],
                                         y=[last[column].iloc[0], month[column]], mode="lines", showlegend=False,
                                         line=dict(color=colour, dash="dash", width=width), hoverinfo="skip"))
            rank = "" if not total else ("，未排名" if _missing(month["rank"]) else f"，暂列第 {int(month['rank'])} 名")
            fig.add_trace(go.Scatter(
                x=[month["month_start"]], y=[month[column]], mode="markers", name="本月未结束（得分会变）",
                legendgroup="unfinished", showlegend=total,
                marker=dict(symbol="circle-open", size=11 if total else 8, color=colour, line=dict(width=2)),
                hovertemplate=f"{label} %{{y:.1f}}（未结束{rank}，得分会变）<extra></extra>"))
        fig.add_annotation(x=month["month_start"], y=0, yref="paper", yanchor="bottom", showarrow=False,
                           text="未结束", font=dict(size=12, color="#5f6b7a"))
    for listed, (label, colour, symbol) in {"red": ("上红榜", HONOUR, "star"),
                                            "black": ("上黑榜", BLACKLIST, "x")}.items():
        months = history[(history["list"] == listed).to_numpy()]
        if not months.empty:
            provisional = is_open[months.index].to_numpy()
            fig.add_trace(go.Scatter(x=months["month_start"], y=months["score"], name=label, mode="markers",
                                     marker=dict(color=colour, size=14,
                                                 symbol=[f"{symbol}-open" if p else symbol for p in provisional]),
                                     customdata=np.where(provisional, "（本月未结束，名次会变）", ""),
                                     hovertemplate=f"{label}%{{customdata}}<extra></extra>"))
    # Scores are 0-100: the axis runs a little past 100 so a line or a list marker at 100 is drawn whole, not cut
    # by the top of the plot.
    fig.update_yaxes(range=[0, 104], tickvals=[0, 20, 40, 60, 80, 100], title=None)
    fig.update_traces(cliponaxis=False)
    fig.update_xaxes(tickformat="%Y-%m", title=None)
    return _layout(fig, height)


def compound_complaints_table(compounds: pd.DataFrame) -> pd.DataFrame:
    """A company's compounds this month: households and property complaints (``company_compound_complaints``)."""
    c = compounds
    return pd.DataFrame({
        "小区": c["compound_name"].to_numpy(),
        "网格": c["grid_name"].to_numpy(),
        "社区": c["community_name"].to_numpy(),
        "户数": c["households"].to_numpy(),
        "物业投诉（件）": c["complaint_count"].to_numpy(),
        "每千户投诉": c["complaints_per_1k_households"].round(2).to_numpy(),
    })


def compound_complaints_columns() -> tuple[list[str], dict]:
    """(column order, column config) of :func:`compound_complaints_table` in its narrow column (380 px at
    1440 px): the compound, its complaints, per 1,000 households and households first; grid and community after."""
    from streamlit import column_config as column

    return ["小区", "物业投诉（件）", "每千户投诉", "户数", "网格", "社区"], {
        # A count of 1-2 is "<3" on the big screen's tier (onescreen.access): text there, a number elsewhere.
        "物业投诉（件）": column.Column("投诉", width=52, help="当月物业投诉（件）"),
        "每千户投诉": column.NumberColumn(format="%.2f", width=84),
        "户数": column.Column(width=60),
    }


@shared
def ticket_timeline_figure(steps: pd.DataFrame, height: int = 260, open_at=None) -> go.Figure:
    """One ticket's steps (``onescreen.tickets.timeline``) on a time axis; the deadline drawn as a line,
    red when the ticket is (or was closed) late. Steps that have not happened are left off. ``open_at`` (数据截至,
    for a ticket still open) is drawn too, so an overdue ticket shows how far past its deadline it now is.

    The two lines' labels stand above the plot, each on its own row (the deadline's on top) and on the side of its
    line away from the nearer edge: in the plot they ran over the steps' times, 数据截至 under the plot ran over the
    date ticks, and a deadline an hour before 数据截至 put one label on the other."""
    done = steps[steps["step"] != "办理时限"].dropna(subset=["at"])
    due = steps[steps["step"] == "办理时限"].dropna(subset=["at"])
    fig = go.Figure(go.Scatter(
        x=done["at"], y=done["step"], mode="markers+lines+text", text=done["at"].dt.strftime("%m-%d %H:%M"),
        textposition="middle right", marker=dict(size=12, color="#1f77b4"), line=dict(color="#9fb3c8"),
        customdata=done["note"], hovertemplate="%{y} %{x|%Y-%m-%d %H:%M}<br>%{customdata}<extra></extra>",
        showlegend=False))
    marks = []  # (time, colour, dash, label)
    if not due.empty:
        note, at = str(due["note"].iloc[0]), pd.Timestamp(due["at"].iloc[0])
        marks.append((at, deadline_colour(note), "dash", f"办理时限 {at:%m-%d %H:%M}：{note}"))
    if open_at is not None and not pd.isna(open_at):
        at = pd.Timestamp(open_at)
        marks.append((at, "#6b7785", "dot", f"数据截至 {at:%m-%d %H:%M}，仍未办结"))
    times = [pd.Timestamp(t) for t in done["at"]] + [at for at, *_ in marks]
    if times:
        # A little room at both ends, so a line on the first or last moment is not drawn on the plot's edge.
        first, last = min(times), max(times)
        pad = max((last - first) * 0.04, pd.Timedelta(minutes=30))
        fig.update_xaxes(range=[first - pad, last + pad])
    middle = (min(times) + (max(times) - min(times)) / 2) if times else None
    for row, (at, colour, dash, label) in enumerate(marks):
        fig.add_vline(x=at, line=dict(color=colour, dash=dash, width=1.5))
        fig.add_annotation(x=at, y=1, yref="paper", yanchor="bottom", yshift=4 + TIMELINE_ROW_PX * (len(marks) - 1 - row),
                           showarrow=False, xanchor="right" if at > middle else "left", text=label,
                           font=dict(color=colour))
    fig.update_yaxes(categoryorder="array", categoryarray=list(steps["step"])[::-1], title=None)
    # Steps are often hours apart: a tick per day labelled "%m-%d" repeated the date ("11-30, 11-30, 11-30").
    # The label follows the tick spacing plotly picks for the span (and for a zoom).
    fig.update_xaxes(title=None, tickformatstops=TIME_TICKS)
    return _layout(fig, height).update_layout(hovermode="closest",
                                              margin=dict(l=8, r=40, t=16 + TIMELINE_ROW_PX * max(len(marks), 1), b=8))


TIMELINE_ROW_PX = 20  # a row of the timeline's labels above the plot (13 px type)


# Tick labels of a time axis by the spacing of its ticks (plotly's dtick, in ms, or "M<months>"): the hour under a
# day, the day under a month, the month beyond. Numbers only: plotly's own labels are English ("Nov 30").
DAY_MS = 24 * 60 * 60 * 1000
TIME_TICKS = [
    dict(dtickrange=[None, DAY_MS - 1], value="%m-%d %H:%M"),
    dict(dtickrange=[DAY_MS, "M1"], value="%m-%d"),
    dict(dtickrange=["M1", None], value="%Y-%m"),
]


def deadline_colour(note: str) -> str:
    """The colour of a ticket's deadline by its state (``timeline``'s note): red when late (超期, 逾期办结),
    amber when near (临期), green otherwise."""
    if note.startswith(("超期", "逾期")):
        return LIGHT_COLOURS["red"]
    if note.startswith("临期"):
        return NEAR_DEADLINE_TEXT
    return LIGHT_COLOURS["green"]


def rules_from_meta(meta: pd.DataFrame) -> Rules | None:
    """The rules the marts were built with, from the ``mart_rules`` query; None when unreadable."""
    try:
        return rules_of_marts(meta.iloc[0]["rules_json"])
    except (IndexError, KeyError, TypeError, ValueError, RulesError):
        return None
