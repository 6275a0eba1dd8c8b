"""亮灯地图: every grid's light for the chosen period, the rule that lit it, the red and yellow grids,
the share of each light over time and the 三色户 per grid. Aggregates only (no personal data).

On the wall (``?kiosk=1``, the carousel) the page is :func:`wall` instead: one dark 1920×1080 screen."""

from __future__ import annotations

import html
from datetime import date

import pandas as pd
import streamlit as st

from onescreen import data, filters, ui
from onescreen import wall as wall_view
from onescreen.coverage import Coverage, coverage
from onescreen.figures import lists
from onescreen.koujing import koujing
from onescreen.maps import grid_light_deck, grid_light_svg
from onescreen.queries import period_bounds
from onescreen.rules import load_rules

TREND_PERIODS = {"month": 12, "week": 26, "day": 60}
TREND_STEP = {"month": pd.DateOffset(months=1), "week": pd.DateOffset(weeks=1), "day": pd.DateOffset(days=1)}

WALL_RED_ROWS = 15  # the red grids listed on the wall (what fits 1080 px beside the map); the rest counted


def before_coverage(period_type: str, start: date, word: str = "上期") -> Coverage:
    """How much of the period before the one starting ``start`` (what the grid counts per light are compared with)
    the loaded tickets cover (:mod:`onescreen.coverage`): its lights stand only on the tickets from the first one on,
    so the counts' changes are withheld (a period before the data has no lights at all, not none of each)."""
    span = data.ticket_span()
    return coverage(period_bounds(period_type, start)["previous_start"], start, span[0] if span else None, word)


def coverage_sentence(previous: Coverage) -> str:
    """Why the changes of the grid counts per light are not shown (empty for a whole period before)."""
    if previous.is_partial:
        return (f"{previous.note}：{previous.word}的灯色只按其后受理的工单评定，各色网格数较{previous.word}的变化"
                "不作比较。")
    return previous.sentence()


def wall(f: filters.Filters, head: wall_view.Head) -> None:
    """The page on the wall (kiosk mode, the carousel): the month's lights as the big screen draws them, the
    counts against last month, the rule, and the red grids with their reasons. No widgets, no links."""
    month = f.month()  # lights are lit per month on the wall, as on the big screen
    rules = lists.rules_from_meta(data.q("mart_rules")) or load_rules()
    area = {k: v for k, v in f.scope().items() if k != "grid_code"}
    wall_view.header(head, f"{wall_view.scope_name(f)} 亮灯地图", wall_view.month_label(month))
    lights = data.q("grid_lights", period_type="month", period_start=month, **area)
    if lights.empty:
        ui.empty_state("本月没有网格亮灯数据。")
        return
    on_time = data.q("kpi_tiles", period_type="month", period_start=month, **area).set_index("metric")
    settling = "on_time_rate" in on_time.index and ui.is_settling(on_time.loc["on_time_rate"])
    counts, previous = lights["light"].value_counts(), lights["previous_light"].value_counts()
    covered = before_coverage("month", month, "上月")
    left, middle, right = st.container(key="os_wall").columns([3, 5, 4], gap="small")
    with left:
        chosen = lights[lights["grid_code"] == f.grid_code] if f.grid_code else lights.iloc[0:0]
        if f.grid_code:
            grid = chosen.iloc[0] if not chosen.empty else None
            reason = grid["light_reason"] if grid is not None and isinstance(grid["light_reason"], str) else ""
            wall_view.grid_note(f, len(lights), "本月没有亮灯记录" if grid is None else
                                ui.LIGHT_LABELS.get(grid["light"], ui.LIGHT_LABELS["grey"]) + (f"：{reason}" if reason else ""))
        wall_view.unfiltered_note(f, "亮灯")
        tiles = []
        for light in lists.LIGHT_ORDER:
            now, before = int(counts.get(light, 0)), int(previous.get(light, 0))
            # More red or yellow grids is worse, more green better; grey neither.
            up_is_good = {"red": False, "yellow": False, "green": True}.get(light)
            change = ui.change_text(now - before, up_is_good=up_is_good, unit=" 个", against="较上月",
                                    settling=settling, digits=0, previous=covered, count=True)
            tiles.append(ui.tile(f"{ui.LIGHT_LABELS[light]}网格", f"{now} 个", note=f"共 {len(lights)} 个网格",
                                 change=change, help_text=f"{ui.LIGHT_LABELS[light]} {now} 个，上月 {before} 个；"
                                 f"共 {len(lights)} 个网格。" + koujing("light", rules)))
        st.markdown(ui.tiles(tiles), unsafe_allow_html=True)
        if covered.note:
            wall_view.note(coverage_sentence(covered))
        wall_view.panel_title("亮灯规则（现行）")
        for light, _label, rule in lists.light_legend(rules):
            st.markdown(f"<div class='os-list' style='margin-bottom:0.4rem'><span style='white-space:nowrap'>"
                        f"<span style='color:{ui.LIGHT_COLOURS[light]}'>■</span> "
                        f"<b>{html.escape(ui.light_legend_label(light, 'svg'))}</b></span>：{html.escape(rule)}</div>",
                        unsafe_allow_html=True)
        wall_view.note("按期办结率 = 按期办结 ÷（按期办结 + 逾期办结 + 未办结已超期）；N 为该分母。"
                       "按本月受理的工单计，状态为数据截至时。")
    with middle:
        legend = "　".join(f"<span style='white-space:nowrap'><span style='color:{ui.LIGHT_COLOURS[k]}'>■</span> "
                          f"{ui.light_legend_label(k, 'svg')} {int(counts.get(k, 0))}</span>"
                          for k in lists.LIGHT_ORDER)
        st.markdown(f"<div class='os-panel-title'>{legend}</div>", unsafe_allow_html=True)
        st.markdown(grid_light_svg(lists.map_frame(lights, selected=f.grid_code or None), tooltip_fields=lists.MAP_TOOLTIP,
                                   height=680, width_px=740, simplify_tolerance=0.0002, selected=f.grid_code or None),
                    unsafe_allow_html=True)
        missing = int(lights["geometry_geojson"].isna().sum())
        if missing:
            wall_view.note(f"{missing} 个网格没有边界，未上图。")
    with right:
        red = lists.light_table(lights[lights["light"] == "red"], "month", selected=f.grid_code or None)
        wall_view.panel_title(f"红灯网格 {len(red)} 个（连续红灯月数多的在前）")
        rows = [wall_view.row(
            [(r["网格"], ""), (r["原因"], "os-wall-small os-wall-wrap"), (f"{int(r['连续（月）'])} 个月", "os-wall-num")],
            f"{r['网格']}（{r['街道']}）：{r['原因']}。按期办结率 {ui.fmt_pct(r['按期办结率(%)'])}"
            f"（N = {int(r['N（到期或办结）'])} 件到期或办结），超期 {int(r['超期'])} 件，临期 {int(r['临期'])} 件；"
            f"已连续 {int(r['连续（月）'])} 个月红灯，上月{r['上期']}。")
            for _, r in red.head(WALL_RED_ROWS).iterrows()]
        st.markdown(wall_view.table(rows, "本月没有红灯网格。", head=[("网格", ""), ("原因", ""), ("连续红灯", "os-wall-num")]),
                    unsafe_allow_html=True)
        if len(red) > WALL_RED_ROWS:
            wall_view.note(f"另有 {len(red) - WALL_RED_ROWS} 个红灯网格。悬停一行看按期办结率及其 N、超期和临期件数。")
        else:
            wall_view.note("悬停一行看按期办结率及其 N、超期和临期件数。")


if ui.is_kiosk():
    wall_view.screen(wall, "还没有可显示的网格亮灯：数据仓库里没有工单。", ready=data.available)
    st.stop()

st.title("亮灯地图")
f = filters.active()
if f is None or not data.available():
    ui.empty_state("还没有可显示的网格亮灯：数据仓库里没有工单。")
    st.stop()

rules = lists.rules_from_meta(data.q("mart_rules")) or load_rules()  # the colours follow these
area = {k: v for k, v in f.scope().items() if k != "grid_code"}
start = period_bounds(f.period_type, f.period_start)["period_start"]
lights = data.q("grid_lights", period_type=f.period_type, period_start=start, **area)
st.caption(f"{filters.period_label(f.period_type, start)} · {ui.as_of_caption(data.as_of())} · "
           "按本期受理的工单计，状态为数据截至时"
           + ("（网格的全部来源、分类，未按所选来源、分类筛选）" if f.source or f.category else ""))
# Links to the tickets of the period shown (with a date range chosen, the period holding its last day), of every
# source and category: the lights count them all, whatever the sidebar's source or category.
period_params = {k: v for k, v in f.as_query_params().items() if k not in ("date_from", "date_to", "source", "category")}
if f.is_range:  # lights are lit per period by rule: an arbitrary range has no light
    st.info(f"亮灯按{filters.PERIOD_LABELS[f.period_type]}评定（阈值按一个完整周期的工单设定），不能按自定义区间"
            f" {f.time_label()} 计算；以下为区间最后一天所在的{filters.period_label(f.period_type, start)}。",
            icon=":material/info:")
if lights.empty:
    st.info("所选范围在本期没有网格。请在左侧换一个街道、社区或周期。", icon=":material/info:")
    st.stop()
# Lights are read against the grids around: a chosen grid shows its whole community (the counts, the map, the
# table), said here, the grid outlined on the map and first in the table; the overdue link is the grid's own.
chosen = lights[lights["grid_code"] == f.grid_code] if f.grid_code else lights.iloc[0:0]
if f.grid_code:
    community = lights["community_name"].dropna()
    where = f"{community.iloc[0]}" if len(community) else "其所在社区"
    if chosen.empty:
        st.info(f"选择网格时地图、各色网格数和下表显示其所在社区（{ui.markdown_text(where)}）的全部 {len(lights)} 个网格；"
                "所选网格本期没有亮灯记录。", icon=":material/info:")
    else:
        grid = chosen.iloc[0]
        light = ui.LIGHT_LABELS.get(grid["light"], ui.LIGHT_LABELS["grey"])
        reason = f"：{grid['light_reason']}" if isinstance(grid["light_reason"], str) and grid["light_reason"] else ""
        st.info(f"选择网格时地图、各色网格数和下表显示其所在社区（{ui.markdown_text(where)}）的全部 {len(lights)} 个网格。"
                f"所选网格 {ui.markdown_text(grid['grid_name'])} 本期{light}{ui.markdown_text(reason)}，"
                "在地图上以蓝色粗框标出" + ("，在下表中列在最前" if grid["light"] in ("red", "yellow") else "")
                + "；“查看本期超期工单”只列这个网格的工单。", icon=":material/info:")

counts = lights["light"].value_counts()
previous = lights["previous_light"].value_counts()
# Lights stand on the on-time rate and the overdue count: while this period or the last still has tickets in hand
# and not yet due (kpi_tiles' is_provisional), its lights still move, and a change is not called better or worse.
on_time = data.q("kpi_tiles", period_type=f.period_type, period_start=start, **area).set_index("metric").loc["on_time_rate"]
settling = ui.is_settling(on_time)
# The period before may begin before the data do (the first month loaded): its lights stand on part of its tickets.
covered = before_coverage(f.period_type, start)
if covered.note:
    st.caption(coverage_sentence(covered))
for column, light in zip(st.columns(4), lists.LIGHT_ORDER):
    now, before = int(counts.get(light, 0)), int(previous.get(light, 0))
    # The word says what the colour says (more red or yellow grids is worse, more green better; grey neither).
    worse_better = (ui.BAD_WORD, ui.GOOD_WORD)
    word = {"red": worse_better, "yellow": worse_better, "green": worse_better[::-1]}.get(light)
    judged = (f"，{ui.SETTLING_WORD}" if settling else f"，{word[0] if now > before else word[1]}") if word else ""
    withheld = covered.withholds("count")  # (the caption above gives the date and why)
    column.metric(f"{ui.LIGHT_LABELS[light]}网格", f"{now} 个",
                  delta=covered.mark if withheld else f"{now - before:+d} 个（较上期{judged}）" if now != before
                  else "持平（较上期）",
                  delta_color={"red": "inverse", "yellow": "inverse", "green": "normal"}.get(light, "off")
                  if now != before and not settling and not withheld else "off",  # no change (or an unsettled one) is neither
                  delta_arrow="auto" if now != before and not withheld else "off",
                  help=" ".join(filter(None, [f"共 {len(lights)} 个网格。" + koujing("light", rules),
                                              ui.settling_note(on_time)])))

map_col, legend_col = st.columns([3, 1])
with map_col:
    deck = grid_light_deck(lists.map_frame(lights, selected=f.grid_code), tooltip_fields=lists.MAP_TOOLTIP, height=520,
                           width_px=900, selected=f.grid_code)
    st.pydeck_chart(deck, height=520, key="lights_map")
    missing = int(lights["geometry_geojson"].isna().sum())
    if missing:
        st.caption(f"{missing} 个网格没有边界，未上图（见下表）。")
with legend_col:
    st.markdown("**图例（现行规则）**")
    for light, _label, rule in lists.light_legend(rules):  # the label says the map's mark besides the colour
        st.markdown(f"<div style='margin-bottom:0.5rem'><span style='white-space:nowrap'><span style='color:"
                    f"{ui.LIGHT_COLOURS[light]};font-size:1.2rem'>■</span> "
                    f"<b>{html.escape(ui.light_legend_label(light, 'deck'))}</b></span>："
                    f"{html.escape(rule)}</div>",
                    unsafe_allow_html=True)
    st.caption("按期办结率 = 按期办结 ÷（按期办结 + 逾期办结 + 未办结已超期）；N 为该分母。")
    ui.page_link("app_pages/tickets.py", icon=":material/list_alt:",
                 label=(f"查看 {ui.markdown_text(chosen.iloc[0]['grid_name'])} 本期超期工单 →" if not chosen.empty
                        else "查看所选网格本期超期工单 →" if f.grid_code else "查看本期超期工单 →"),
                 query_params={**period_params, "status": "overdue"})

unit = lists.PERIOD_UNITS.get(f.period_type, "期")
st.subheader("红灯、黄灯网格")
table = lists.light_table(lights, f.period_type, selected=f.grid_code)
if table.empty:
    st.success("本期没有红灯、黄灯网格。")
else:
    st.caption(f"红灯 {int(counts.get('red', 0))} 个、黄灯 {int(counts.get('yellow', 0))} 个；"
               f"“{lists.STREAK_LABELS[unit]}”为截至本{unit}连续亮这一灯色（红灯、黄灯）的{lists.STREAK_LABELS[unit][2:]}。"
               f"选中一行可打开该网格的工单明细（{ui.ROW_PICK_KEYS}）。")
    order, columns = lists.light_table_columns(table)
    picked = st.dataframe(table, hide_index=True, placeholder=ui.MISSING, width="stretch",
                          height=min(420, 38 + 35 * len(table)), column_order=order, column_config=columns,
                          on_select="rerun", selection_mode="single-row", key="light_table")
    rows = picked.selection.rows if picked is not None else []
    if rows:
        grid = lights[lights["grid_code"] == table.iloc[rows[0]]["grid_code"]].iloc[0]
        place = {k: grid[k] for k in ("street_code", "community_code", "grid_code") if pd.notna(grid[k])}
        ui.page_link("app_pages/tickets.py", label=f"打开 {ui.markdown_text(grid['grid_name'])} 的工单明细 →", icon=":material/list_alt:",
                     query_params={**period_params, **place})

st.subheader("各色网格占比变化")
trend_start = (pd.Timestamp(start) - TREND_STEP[f.period_type] * (TREND_PERIODS[f.period_type] - 1)).date()
shares = data.q("light_share_over_time", period_type=f.period_type, start=trend_start, end=start, **area)
if shares.empty:
    st.info("这段时间没有亮灯记录。", icon=":material/info:")
else:
    span = {"day": "天", "week": "周", "month": "个月"}[f.period_type]
    st.caption(f"近 {TREND_PERIODS[f.period_type]} {span}，每{unit}各色网格数 ÷ 网格总数。")
    ui.plotly_chart(lists.light_share_figure(shares, f.period_type), width="stretch", key="light_share")

st.subheader("三色户")
households = lists.household_colours_table(lights)
if households.empty:
    st.info("尚未导入三色户（网格定义中的红色户、黄色户、绿色户户数）。导入带这些列的网格文件后显示。", icon=":material/info:")
else:
    totals = {label: int(households[label].sum()) for label, _ in lists.HOUSEHOLD_COLOURS.values()}
    st.caption(f"{len(households)} 个网格已导入三色户：" + "、".join(f"{k} {v:,} 户" for k, v in totals.items()))
    chart_col, table_col = st.columns([1, 1])
    with chart_col:
        ui.plotly_chart(lists.household_colours_figure(lights), width="stretch", key="household_colours")
        st.caption(lists.household_colours_note(lights))
    table_col.dataframe(households, hide_index=True, placeholder=ui.MISSING, width="stretch", height=360)

with st.expander("口径"):
    st.markdown(koujing("light", rules))
    st.markdown(koujing("rules_in_force"))
ui.rules_in_force(rules)
