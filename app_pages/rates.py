"""三率分析: the rates and composite score over time against targets, a breakdown by unit with N and rank,
办理时长 distribution, escalation-level shares and 超期/临期 counts, for the shared filters."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from onescreen import data, filters, measures, ui
from onescreen.coverage import Coverage
from onescreen.figures import lists
from onescreen.figures import rates as figures
from onescreen.koujing import CALLBACK_SENTENCE, KOUJING, LABELS, koujing
from onescreen.queries import QUERIES, period_bounds, range_bounds, window_params
from onescreen.rules import PROACTIVE_SOURCES, load_rules
from onescreen.tickets import UNASSIGNED

LEVEL_LABELS = {"street": "街道", "community": "社区", "grid": "网格", "department": "承办单位",
                "source": "诉求来源", "category": "诉求分类"}
BREAKDOWN_METRICS = ("composite_score", "response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate",
                     "closure_rate", "ticket_count", "overdue_count")
# Why a source has no rate at all (shown under the breakdown by 诉求来源).
KOUJING_NO_RATE = {"resolution_rate": "解决率、满意率来自对来电人的回访，网格员上报、视频巡查等渠道没有回访。",
                   "satisfaction_rate": "解决率、满意率来自对来电人的回访，网格员上报、视频巡查等渠道没有回访。",
                   "response_rate": "从不提供签收时间的渠道（如视频巡查）不计响应率。"}
TILE_METRICS = ("ticket_count", "response_rate", "resolution_rate", "satisfaction_rate", "composite_score",
                "on_time_rate")
CHANGE_UNITS = {"pct": " 个百分点", "score": " 分", "workdays": " 个工作日", "count": " 件"}
TREND_SPAN = {"month": pd.DateOffset(months=12), "week": pd.DateOffset(weeks=25), "day": pd.DateOffset(days=59)}
# The longest trend drawn for a custom date range (its most recent part when the range is longer).
RANGE_TREND_MAX = {"month": pd.DateOffset(years=10), "week": pd.DateOffset(weeks=156), "day": pd.DateOffset(days=365)}


def rate_scope(f: filters.Filters) -> tuple[dict[str, str], str]:
    """The unit the rates are for (query parameters) and a note when a filter could not be applied.

    The marts hold areas, sources and categories as separate levels, not crossed: an area filter wins;
    without one, a category (else a source) becomes the unit.
    """
    if f.scope():
        ignored = "、".join(n for n, v in (("诉求来源", f.source), ("诉求分类", f.category)) if v)
        return f.scope(), (f"三率指标按区域统计，不与{ignored}交叉；本页未按{ignored}筛选。" if ignored else "")
    if f.category:
        return {"level": "category", "unit_code": f.category}, (
            f"已选分类：三率为该分类{data.whole_area_name()}口径，未再按诉求来源筛选。" if f.source else "")
    if f.source:
        return {"level": "source", "unit_code": f.source}, ""
    return {}, ""


def scope_label(f: filters.Filters) -> str:
    """``翠湖街道 / 新华社区`` for the area filters, or ``全区``; a chosen category or source is appended."""
    places = data.places()
    parts = []
    for code, column, name in ((f.street_code, "street_code", "street_name"),
                               (f.community_code, "community_code", "community_name"),
                               (f.grid_code, "grid_code", "grid_name")):
        if code:
            match = places.loc[places[column] == code, name]
            parts.append(str(match.iloc[0]) if len(match) else code)
    label = " / ".join(parts) or data.whole_area_name()
    if not f.scope() and (f.category or f.source):
        label += f"（{f.category or f.source}）"
    return label


def change_delta(row: pd.Series, up_is_good: bool | None = None, against: str = "环比",
                 previous: Coverage | None = None) -> str | None:
    """The period-over-period change as st.metric's delta: points for rates, count and % for counts, with
    ``（改善）`` or ``（变差）`` when ``up_is_good`` says which (the colour alone does not tell everyone). A change
    that rounds to zero at the shown precision is ``环比持平`` (see :func:`is_flat`). ``against``: what the change is
    against (``较上月同期`` for a month under way, :meth:`onescreen.filters.Filters.against`). ``previous``: how much of
    that window the data cover (:mod:`onescreen.coverage`): a count's change against one they cover in part (any
    change against one they miss) is ``上期数据不全`` (``无上期数据``; the caption above the tiles gives the data's first
    day and why); another says ``（上期数据不全）`` instead of better or worse."""
    partial = previous is not None and previous.is_partial
    if previous is not None and previous.withholds(row["unit"]):
        return previous.mark  # (the caption above the tiles gives the date and why)
    if pd.isna(row["change"]):
        return None
    if is_flat(row):
        return f"{against}持平" + (f"（{previous.mark}）" if partial else "")
    word = "" if up_is_good is None else (f"（{ui.settling_word(ui.tile_metric(row))}）" if ui.is_settling(row) else
                                           f"（{ui.GOOD_WORD if (row['change'] > 0) == up_is_good else ui.BAD_WORD}）")
    if partial:
        word = f"（{previous.mark}）"
    if row["unit"] != "count":
        return f"{row['change']:+.{_digits(row)}f}{CHANGE_UNITS[row['unit']]} {against}{word}"
    pct = "" if pd.isna(row["change_pct"]) else f"（{row['change_pct']:+.1f}%）"
    return f"{row['change']:+,.0f} 件{pct} {against}{word}"


def _digits(row: pd.Series) -> int:
    return 0 if row["unit"] == "count" else (2 if row["unit"] == "workdays" else 1)


def is_flat(row: pd.Series) -> bool:
    """Whether the change is zero as shown (``+0.0``): neither good nor bad, drawn grey without an arrow."""
    return pd.notna(row["change"]) and round(abs(float(row["change"])), _digits(row)) == 0


def value_text(value, unit: str) -> str:
    if unit == "pct":
        return ui.fmt_pct(value)
    if unit == "workdays":
        return "—" if pd.isna(value) else f"{value:.2f} 个工作日"
    return ui.fmt_number(value, 1 if unit == "score" else 0)


def tile_note(row: pd.Series, against: str = "环比", year_ago: Coverage | None = None) -> str:
    """The N, year-over-year change and target under a tile. ``year_ago``: how much of the window the 同比 is against
    (去年同期) the data cover, as :func:`change_delta`'s ``previous``: a count's change against one they cover in part,
    any change against one they miss, is ``同比 去年同期数据不全`` (``同比 无去年同期数据``); another says
    ``（去年同期数据不全）``."""
    parts = []
    if row["unit"] == "workdays" and pd.notna(row["denominator"]):
        parts.append(f"已办结 N = {ui.fmt_number(row['denominator'])}")
    if pd.notna(row["denominator"]) and row["unit"] == "pct":
        parts.append(f"N = {ui.fmt_number(row['numerator'], 0 if float(row['numerator']).is_integer() else 1)}"
                     f"/{ui.fmt_number(row['denominator'])}")
    if year_ago is not None and year_ago.withholds(row["unit"]):
        parts.append(f"同比 {year_ago.mark}")  # (the caption above the tiles gives the date and why)
    elif pd.notna(row["yoy_change"]):
        change = float(row["yoy_change"])
        digits = 0 if row["unit"] == "count" else (2 if row["unit"] == "workdays" else 1)
        text = f"{change:+,.{digits}f}"
        text = "持平" if text.lstrip("+-").strip("0.,") == "" else text  # never "-0.0"
        parts.append(f"同比 {text}{CHANGE_UNITS.get(row['unit'], '') if text != '持平' else ''}"
                     + (f"（{year_ago.mark}）" if year_ago is not None and year_ago.is_partial else ""))
    elif pd.isna(row["value"]):
        parts.append("同比 —（本期无数据）")  # e.g. no ticket of this period has had its resolution asked yet
    elif "yoy_value" in row and pd.notna(row["yoy_value"]):
        parts.append("同比 —")
    else:
        parts.append("同比 —（去年同期无数据）")
    if pd.notna(row["target"]):
        parts.append(f"目标 {row['target']:g}%")
    if ui.is_settling(row):  # (the tile's help says how many and why)
        waiting = measures.CALLBACK_WORD if ui.tile_metric(row) in measures.CALLBACK_METRICS else "尚有工单在办"
        parts.append(f"{'本期' if row.get('is_provisional') else '上期'}{waiting}，{against}{ui.SETTLING_WORD}")
    return " · ".join(parts)


# Counts of tickets in a state at the as-of time (overdue, due within a day), not events of the period.
STATE_COUNTS = ("overdue_count", "near_deadline_count")


def state_withheld(metric: str, row: pd.Series) -> bool:
    """Whether ``metric``'s change is not shown: a count of tickets in a state at the as-of time (超期, 临期) while
    this period or the one before still has tickets in hand and not yet due (:func:`onescreen.ui.is_settling`). A
    period under way has its tickets near their deadline and few past it yet, an older one has none near and its
    late ones past: "+66 件（+6600.0%）" 临期 over a note saying 环比暂不评判 compared two different moments of the
    tickets' lives. The tile says 暂不评判 with no number; its hover gives both counts."""
    return metric in STATE_COUNTS and ui.is_settling(row)


def show_tiles(tiles: pd.DataFrame, metrics: tuple[str, ...], against: str, previous: Coverage | None = None,
               year_ago: Coverage | None = None) -> None:
    """st.metric tiles of ``metrics`` (``kpi_tiles`` rows), each change against ``against`` (``previous``: how much
    of that window the data cover, :func:`change_delta`) and its N, 同比 (``year_ago``: of 去年同期, :func:`tile_note`)
    and target under it. 超期 and 临期 show no change while either window is still being handled (:func:`state_withheld`)."""
    rows = tiles.set_index("metric")
    compared = previous is None or not (previous.is_partial or previous.is_missing)
    for column, metric in zip(st.columns(len(metrics)), metrics):
        row = rows.loc[metric]
        inverse = metric in ("overdue_count", "avg_handling_workdays")
        # 受理量 is neither good nor bad; 临期 is a state at the as-of time, which a closed period no longer has
        # (its change against one is not news: it was shown as an alarm).
        neutral = metric in ("ticket_count", "near_deadline_count")
        flat = is_flat(row)
        withheld = state_withheld(metric, row)
        both = ""
        if withheld and pd.notna(row.get("previous_value")):
            both = (f"本期 {ui.fmt_number(row['value'])} 件，上期 {ui.fmt_number(row['previous_value'])} 件，"
                    "都是数据截至时的状态：本期的工单还没到期的多，不与上期比较。")
        column.metric(row["label"], value_text(row["value"], row["unit"]),
                      delta=(f"{against}{ui.SETTLING_WORD}" if withheld and not (previous is not None
                                                                                 and previous.withholds(row["unit"]))
                             else change_delta(row, None if neutral else not inverse, against, previous)),
                      delta_color="off" if neutral or flat or withheld or ui.is_settling(row) or not compared
                      else ("inverse" if inverse else "normal"),
                      delta_arrow="off" if flat or withheld or (previous is not None and previous.withholds(row["unit"]))
                      else "auto",
                      help=" ".join(filter(None, [row["koujing"], ui.settling_note(row, against), both])))
        column.caption(tile_note(row, against, year_ago))


def rules_for_page():
    try:
        return load_rules()
    except Exception:  # a broken rules file is reported on the import side; the page still shows numbers
        return None


f = filters.active()
st.title("三率分析")
if f is None:
    ui.empty_state()
    st.stop()

scope, scope_note = rate_scope(f)
first_day, last_day = f.days()
# A period reads its rows of the marts; a custom date range sums their day rows (the *_range queries), as does
# a week or month under way, compared with the same days of the one before (Filters.compare_params).
period = f.time_params()
compare = f.compare_params()
ranged = "start" in compare
this = "所选区间" if f.is_range else "本期"
if f.is_range:  # the trend: every period of the chosen grain that overlaps the range
    trend_start = period_bounds(f.period_type, first_day)["period_start"]
    trend_end = last_day
    earliest = period_bounds(f.period_type, (pd.Timestamp(last_day) - RANGE_TREND_MAX[f.period_type]).date())
    cut = trend_start < earliest["period_start"]
    trend_start = max(trend_start, earliest["period_start"])
else:
    trend_end = period_bounds(f.period_type, f.period_start)["period_start"]
    trend_start = (pd.Timestamp(trend_end) - TREND_SPAN[f.period_type]).date()
default_level = "grid" if f.community_code else ("community" if f.street_code else "street")


def breakdown_calls(level: str, metric: str) -> tuple[dict[str, str], dict[str, data.Call]]:
    """The breakdown's area narrowing, and its queries by ``level`` and ``metric``: this period (``current``), the
    one before and the same one a year before (a range: the windows before it)."""
    narrow = {"street_code": f.street_code, "community_code": f.community_code} if level in ("street", "community", "grid") else {}
    # By composite score the table is the ranking: ranked units in rank order first, then those not ranked.
    order_by = dict(sort="composite_rank", order="asc") if metric == "composite_score" else dict(sort=metric, order="desc")
    args = dict(level=level, **order_by, **{k: v for k, v in narrow.items() if v})
    if ranged:
        before = range_bounds(**compare)
        return narrow, {
            "current": data.Call("rates_breakdown_range", {**compare, **args}),
            "previous": data.Call("rates_breakdown_range",
                                  {**window_params(before["previous_start"], before["previous_end"]), **args}),
            "yoy": data.Call("rates_breakdown_range", {**window_params(before["yoy_start"], before["yoy_end"]), **args})}
    bounds = period_bounds(f.period_type, f.period_start)
    return narrow, {
        "current": data.Call("rates_breakdown", {**period, **args}),
        "previous": data.Call("rates_breakdown", dict(period_type=f.period_type, period_start=bounds["previous_start"],
                                                      **args)),
        "yoy": data.Call("rates_breakdown", dict(period_type=f.period_type, period_start=bounds["yoy_start"], **args))}


# The page's queries, run two at a time before it draws; each read below takes its parameters from here. The
# breakdown's by the values its widgets had in the last run (or their defaults) before they are drawn.
calls = {
    "tiles": data.Call("kpi_tiles_range" if ranged else "kpi_tiles", {**compare, **scope}),
    "trend": data.Call("rates_trend", dict(period_type=f.period_type, start=trend_start, end=trend_end, **scope)),
    **breakdown_calls(st.session_state.get("rates_level", default_level),
                      st.session_state.get("rates_metric", BREAKDOWN_METRICS[0]))[1],
    "rules": data.Call("mart_rules", {}),
    "distribution": data.Call("handling_time_distribution", {**period, **scope}),
    "shares": data.Call("escalation_shares", {**period, **scope}),
    "sources": data.Call("category_mix", dict(by="source", limit=1000, **compare, **f.scope())),
}
data.prefetch(calls.values())
try:
    tiles = measures.shown_changes(calls["tiles"].run())
except data.QueryError as exc:
    ui.empty_state(str(exc))
    st.stop()
tile_koujing = dict(zip(tiles["metric"], tiles["koujing"]))
st.caption(f"{ui.as_of_caption(data.as_of())} · {f.time_label()} · 范围：{ui.markdown_text(scope_label(f))}")
if scope_note:
    st.info(scope_note, icon=":material/info:")
if f.is_range:
    st.caption(f"自定义区间：件数和各率的分子、分母按日相加，率由相加后的分子 ÷ 分母计算；环比为此前 "
               f"{(last_day - first_day).days + 1} 天，同比为去年同期日期。", help=KOUJING["date_range"])

# The windows compared with may begin before the data do (the first month loaded; 去年同期 in the first year): their
# counts are short.
covered, year_ago = filters.previous_coverage(f), filters.year_ago_coverage(f)
if covered.note or year_ago.note:
    st.caption(covered.sentence() + year_ago.sentence())
show_tiles(tiles, TILE_METRICS, f.against(), covered, year_ago)

st.subheader("三率与综合得分趋势")
trend_options = ("response_rate", "resolution_rate", "satisfaction_rate", "composite_score", "on_time_rate",
                 "closure_rate")
chosen = st.multiselect("显示指标", trend_options, default=list(figures.TREND_METRICS), format_func=LABELS.get,
                        key="rates_trend_metrics", placeholder="选择要画的指标")
trend = calls["trend"].run()
if trend.empty or not chosen:
    st.info("所选范围在这段时间没有工单，或没有选择指标。" if chosen else "请至少选择一个指标。")
else:
    ui.plotly_chart(figures.rates_trend_figure(trend, period_type=f.period_type, metrics=tuple(chosen)),
                    width="stretch", key="rates_trend_chart")
    st.caption("悬停查看每期的分子/分母（N）。红色虚线为目标值（config/rules.toml）；综合得分无目标。"
               + measures.trend_callback_note(trend, chosen))
    if f.is_range:
        unit = filters.PERIOD_LABELS[f.period_type]
        st.caption(f"趋势按{unit}画出与所选区间重叠的每个{unit}，每点为整个{unit}的值（首尾的{unit}可能只有一部分在区间内）"
                   + ("；区间较长，只画最近的部分。" if cut else "。"))
with st.expander("口径：三率与综合得分"):
    for metric in chosen or trend_options:
        st.markdown(f"**{LABELS[metric]}**：{tile_koujing.get(metric, KOUJING[metric])}")

st.subheader("分解与排名")
left, right = st.columns(2)
level = left.selectbox("分解维度", list(LEVEL_LABELS), index=list(LEVEL_LABELS).index(default_level),
                       format_func=LEVEL_LABELS.get, key="rates_level", placeholder=ui.SEARCH_HINT)
metric = right.selectbox("指标", BREAKDOWN_METRICS, format_func=LABELS.get, key="rates_metric",
                         placeholder=ui.SEARCH_HINT)
narrow, breakdown = breakdown_calls(level, metric)
current = breakdown["current"].run()
if metric == "composite_score":  # those not ranked by their score, as the chart draws them
    current = current.sort_values(["composite_rank", "composite_score"], ascending=[True, False],
                                  na_position="last", kind="stable").reset_index(drop=True)
if current.empty:
    st.info(f"{this}没有按{LEVEL_LABELS[level]}统计的工单。")
else:
    previous, yoy = breakdown["previous"].run(), breakdown["yoy"].run()
    tile = tiles.set_index("metric").loc[metric]  # its target, and its unit for what a change may be shown against
    target = tile["target"]
    marts_rules = lists.rules_from_meta(calls["rules"].run())  # the rules the ranks were made with
    # Every table here has the composite rank and the two rates that wait for callbacks: while they come, said once.
    if callback_note := measures.ranking_callback_note(current, this):
        st.caption(callback_note, help=CALLBACK_SENTENCE)
    chart, table_column = st.columns([2, 3])
    without = current.loc[current[metric].isna(), "unit_name"].fillna(current["unit_code"]).tolist()
    with chart:
        if len(without) < len(current):
            ui.plotly_chart(figures.breakdown_bar(current, metric, target=None if pd.isna(target) else float(target)),
                            width="stretch", key="rates_breakdown_chart")
        st.caption("灰色：不参与综合排名的单位（分母不足最小分母，或缺少同层级排名所依据的率），照常显示。"
                   "单位多于 40 个时只画最好和最差各 20 个，表中为全部。")
        if without:
            # A unit without the metric is neither drawn nor put in order with the others: named here (N 无数据).
            names = "、".join(ui.markdown_text(n) for n in without[:8]) + (f" 等 {len(without)} 个" if len(without) > 8 else "")
            st.caption(f"{this}没有{LABELS[metric]}的{LEVEL_LABELS[level]}（无数据，不画出、不参与排序，表中列在最后）："
                       f"{names}。" + (KOUJING_NO_RATE.get(metric, "") if level == "source" else ""))
    # Against a window the data cover in part a count's change is withheld, against one they miss every change.
    table = figures.breakdown_table(current, previous, yoy, metric,
                                    marts_rules.min_denominator if marts_rules else None,
                                    withhold_previous=covered.withholds(tile["unit"]),
                                    withhold_yoy=year_ago.withholds(tile["unit"]))
    narrowed = any(narrow.values())
    # Ranks stay the whole area's: headed 全区排名 (街道内排名 on a one-street warehouse, 南湖区内排名 when named).
    within = (data.rank_header(), data.whole_area_name()) if narrowed else None
    order, columns = figures.breakdown_columns(table, metric, within)
    with table_column:
        picked = st.dataframe(figures.grey_unranked(table, metric), hide_index=True, placeholder=ui.MISSING,
                              width="stretch", column_order=order, column_config=columns,
                              height=min(460, 35 * (len(table) + 1) + 3), on_select="rerun",
                              selection_mode="single-row", key="rates_breakdown_table")
        rows = picked.selection.rows if picked is not None else []
        link = filters.unit_filters(current.iloc[rows[0]], level) if rows else None
        if link is not None:
            name, params = link
            if "unassigned" in params:  # 未落格 etc.: named with the area it counts (东风社区 · 未落格, 全区 · 街道不明)
                name = f"{filters.area_name(**{k: v for k, v in params.items() if k in filters.AREA_LABELS})} · {name}"
            # The row counts its unit alone (a street every source and category, a source the whole district):
            # the link carries the time and that unit only, so the list holds the tickets the row counts.
            ui.page_link("app_pages/tickets.py", label=f"打开 {ui.markdown_text(name)} {this}的工单明细 →", icon=":material/list_alt:",
                         query_params={**f.time_query_params(), **params})
        elif level in ("street", "community", "grid", "source", "category"):
            st.caption(f"选中一行可打开该单位{this}的工单明细（{ui.ROW_PICK_KEYS}）。")
        elif level == "department" and current["unit_code"].eq("unassigned").any():
            # Only that row links: 工单明细 has no department filter (filters.unit_filters), said so that picking
            # another row and getting no link is not a puzzle.
            st.caption(f"选中“{UNASSIGNED['department']}”一行可打开其{this}的工单明细（{ui.ROW_PICK_KEYS}）；"
                       "工单明细不按承办单位筛选，其他行没有链接。")
        if covered.note:  # (the change columns compare with those windows too)
            st.caption(f"环比：{covered.sentence()}")
        if year_ago.note:
            st.caption(f"同比：{year_ago.sentence()}")
        span = f"{first_day:%Y%m%d}" + (f"-{last_day:%Y%m%d}" if f.is_range else "")
        # Built when clicked (the table shown), not on every run of the page.
        st.download_button("下载分解表（CSV）", lambda table=table, within=within: figures.breakdown_csv(table, within),
                           file_name=f"三率分解_{LEVEL_LABELS[level]}_{span}.csv",
                           mime="text/csv", key="rates_breakdown_csv", on_click="ignore")
    if level in ("department", "source", "category"):
        st.caption(f"按{LEVEL_LABELS[level]}分解为{data.whole_area_name()}口径，不受区域筛选影响。")
    elif narrowed and current["unit_code"].eq("unassigned").any():
        # The query's remainder row (parts/rates_breakdown_remainder.sql): said once, so the rows' sum is not a puzzle.
        area = "社区" if f.community_code else "街道"
        name = current.loc[current["unit_code"].eq("unassigned"), "unit_name"].iloc[0]
        st.caption(f"“{name}”为本{area}没有落到任何{LEVEL_LABELS[level]}的工单，单独一行、不参与排名；"
                   f"各行相加即本{area}合计。")
    with st.expander("口径：排名、环比与同比"):
        st.markdown(f"**{LABELS['composite_score']}**：{tile_koujing['composite_score']}")
        st.markdown(f"**{LABELS['change']}**：{KOUJING['change']}")
        if metric in tile_koujing:
            st.markdown(f"**{LABELS[metric]}**：{tile_koujing[metric]}")

st.subheader("办理时长、办结层级与未诉先办")
left, right = st.columns(2)
with left:
    distribution = calls["distribution"].run()
    closed = int(distribution["handling_count"].max()) if not distribution.empty else 0
    if closed == 0:
        st.info(f"{this}没有已办结工单，暂无办理时长分布。")
    else:
        ui.plotly_chart(figures.handling_time_figure(distribution), width="stretch", key="rates_handling_chart")
    avg = tiles.set_index("metric").loc["avg_handling_workdays"]
    st.caption(f"已办结 N = {closed:,} 件 · 平均 {value_text(avg['value'], 'workdays')}",
               help=QUERIES["handling_time_distribution"].koujing)
with right:
    shares = calls["shares"].run()
    known = int(shares["escalation_denominator"].max()) if not shares.empty else 0
    if known == 0:
        st.info(f"{this}已办结工单都没有注明办结层级（导出中无“办结层级”列时常见）。")
    else:
        ui.plotly_chart(figures.escalation_figure(shares), width="stretch", key="rates_escalation_chart")
        grid_share = shares.set_index("handling_level")["share"].get("grid")
        st.metric("小事不出网格（网格办结占比）", ui.fmt_pct(grid_share), help=KOUJING["escalation_share"])
    st.caption(f"注明办结层级的已办结 N = {known:,} 件", help=KOUJING["escalation_share"])
    # 未诉先办 counts by area only (the source is what it measures; a category filter is not applied either),
    # by the proactive sources of the rules the marts were built with (as the report and 重复诉求 are).
    page_rules = lists.rules_from_meta(calls["rules"].run()) or rules_for_page()
    found = measures.proactive(calls["sources"].run(),
                               page_rules.proactive_sources if page_rules else PROACTIVE_SOURCES)
    change = pd.Series({"change": found.change, "change_pct": None, "unit": "pct"})  # as a tile's row
    st.metric("未诉先办（主动发现占比）", ui.fmt_pct(found.share),
              delta=change_delta(change, True, f.against(), covered),
              delta_color="off" if found.change is None or is_flat(change) or covered.note else "normal",
              help=koujing("proactive_share", page_rules) + "按区域统计，不按诉求来源、分类筛选。")
    st.caption(f"主动发现 {found.count:,} 件 / 受理 {found.total:,} 件"
               + ("（本区域全部来源、分类，未按所选来源、分类筛选）" if f.source or f.category else ""))
    escalated = tiles.set_index("metric")
    whistle_col, consult_col = st.columns(2)
    for column, metric, label in ((whistle_col, "whistle_count", "吹哨报到"), (consult_col, "consultation_count", "联合会商")):
        if metric in escalated.index:
            row = escalated.loc[metric]
            closed_text = f"其中已办结 {ui.fmt_number(row['numerator'])} 件" if pd.notna(row["numerator"]) else ""
            column.metric(f"{label}（件）", ui.fmt_number(row["value"]), help=KOUJING[metric])
            column.caption(closed_text)

st.subheader("超期与临期")
show_tiles(tiles, ("overdue_count", "near_deadline_count", "avg_handling_workdays"), f.against(), covered, year_ago)
late = int((current["overdue_count"].fillna(0) + current["near_deadline_count"].fillna(0)).gt(0).sum()) if not current.empty else 0
if late:
    ui.plotly_chart(figures.overdue_bar(current), width="stretch", key="rates_overdue_chart")
    # The chart draws at most 15 (overdue_bar's top): "最多的 15 个" over a chart of 11 grids read as if 4 were missing.
    listed = f"超期、临期最多的 15 个单位（共 {late} 个）" if late > 15 else f"有超期或临期工单的全部 {late} 个单位"
    st.caption(f"按{LEVEL_LABELS[level]}列出{listed}（{this}受理的工单，数据截至时的状态）。")
elif not current.empty:
    st.success(f"{this}受理的工单没有超期或临期的。")

rules = rules_for_page()
if rules is not None:
    ui.rules_in_force(rules)
