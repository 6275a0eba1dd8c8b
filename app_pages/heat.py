"""网格热力: tickets per 1,000 households by grid, the density of located tickets, category × street and
weekday × hour heatmaps, the recurring problems (高频问题, 类诉齐办) and the repeat requests of one caller
(重复诉求), for the shared filters.

On the wall (``?kiosk=1``, the carousel) the page is :func:`wall` instead: one dark 1920×1080 screen."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from onescreen import data, exports, filters, ui
from onescreen import wall as wall_view
from onescreen.figures import heat as figures
from onescreen.figures import kiosk as kiosk_charts
from onescreen.figures import lists
from onescreen.koujing import KOUJING, koujing
from onescreen.maps import grid_fill_svg
from onescreen.tickets import UNASSIGNED

MIN_COUNT_DEFAULT = {"month": 3, "week": 2, "day": 2}
PLACE_TYPES = {"compound": "小区", "address": "地址"}


def filter_label(f: filters.Filters) -> str:
    """``范围：翠湖街道 · 来源：12345热线 · 分类：全部``, from the filters in force."""
    places = data.places()
    area = data.whole_area_name()
    for code, column, name in ((f.grid_code, "grid_code", "grid_name"),
                               (f.community_code, "community_code", "community_name"),
                               (f.street_code, "street_code", "street_name")):
        if code:
            match = places.loc[places[column] == code, name]
            area = str(match.iloc[0]) if len(match) else code
            break
    return f"范围：{area} · 来源：{f.source or '全部'} · 分类：{f.category or '全部'}"


def repeat_table(callers: pd.DataFrame) -> pd.DataFrame:
    """The callers with repeat requests as users read them: a caller is a number, never a name or phone, and
    no ticket number is shown (this page is of the big-screen tier: onescreen.access drops them)."""
    def when(column: str) -> pd.Series:  # the day only: one row is one person (onescreen.access keeps no more)
        return pd.to_datetime(callers[column]).dt.strftime("%Y-%m-%d")

    return pd.DataFrame({
        "排名": callers["rank"],
        "来电人": "来电人 " + callers["caller_no"].astype("int64").astype(str),
        "一级分类": callers["category_l1"],
        "重复（件）": callers["repeat_count"],
        "最短间隔（天）": callers["shortest_gap_days"],
        "原诉求受理日": when("first_received_at"),
        "最近受理日": when("last_received_at"),
        "街道": callers["street_name"],
        "社区": callers["community_name"],
        "网格": callers["grid_name"],
    })


def repeat_change(summary: pd.Series, before: str, comparable: bool = True) -> str | None:
    """st.metric's delta for the repeat count against the window before: fewer repeats is better. None when
    the window before has no requests, or began before the data had ``repeat.window_days`` behind it (its
    repeats are undercounted: their earlier calls are not in the warehouse), so is not ``comparable``."""
    previous = summary["previous_repeat_count"]
    if pd.isna(previous) or not comparable:
        return None
    change = int(summary["repeat_count"]) - int(previous)
    if change == 0:
        return f"较{before}持平"  # "持平 上月" lacked its 较
    return f"{change:+,} 件 较{before}（{ui.GOOD_WORD if change < 0 else ui.BAD_WORD}）"


def grid_tickets_link(f: filters.Filters, row: pd.Series | None, this: str) -> bool:
    """A link to the tickets of the picked row's grid and category (this period), when the row has a known grid;
    whether one was shown."""
    grid = data.places().set_index("grid_code") if row is not None else None
    if row is None or row["grid_code"] not in grid.index:
        return False
    place = grid.loc[row["grid_code"]]
    ui.page_link("app_pages/tickets.py", icon=":material/list_alt:",
                 label=f"打开 {ui.markdown_text(place['grid_name'])} {this}的{ui.markdown_text(row['category_l1'])}工单 →",
                 query_params={**f.as_query_params(), "street_code": place["street_code"],
                               "community_code": place["community_code"], "grid_code": row["grid_code"],
                               "category": row["category_l1"]})
    return True


def recurring_table(problems: pd.DataFrame) -> pd.DataFrame:
    """The recurring problems as users read them (Chinese headers)."""
    return pd.DataFrame({
        "排名": problems["rank"],
        "地点": problems["place_name"],
        "类型": problems["place_type"].map(PLACE_TYPES),
        "一级分类": problems["category_l1"],
        "街道": problems["street_name"],
        "社区": problems["community_name"],
        "网格": problems["grid_name"],
        "本期（件）": problems["ticket_count"],
        "上期（件）": problems["previous_ticket_count"],
        "变化（件）": problems["change"],
        "涉及天数": problems["day_count"],
        "最近受理": pd.to_datetime(problems["last_received_at"]).dt.strftime("%Y-%m-%d %H:%M"),
    })


WALL_TOP_GRIDS = 12  # the grids listed beside the wall's map


def wall(f: filters.Filters, head: wall_view.Head) -> None:
    """The page on the wall (kiosk mode, the carousel): the month's tickets per 1,000 households by grid as a large
    map with its scale, the district's figures and the grids with the most. All sources and categories, as the big
    screen counts; no widgets, no ticket points (a hexagon map below the fold is for the desk)."""
    month = f.month()  # the big screen's month
    first_day = month
    last_day = (pd.Timestamp(month) + pd.DateOffset(months=1) - pd.DateOffset(days=1)).date()
    wall_view.header(head, f"{wall_view.scope_name(f)} 网格热力", wall_view.month_label(month))
    grids = data.q("grid_ticket_density", start=first_day, end=last_day, street_code=f.street_code or None,
                   community_code=f.community_code or None, grid_code=None, source=None, category_l1=None)
    shaped = grids[grids["geometry_geojson"].notna()]
    if shaped.empty or grids["ticket_count"].sum() == 0:
        ui.empty_state("本月没有可上图的落格工单（或还没有网格边界）。")
        return
    rated = grids[grids["tickets_per_1k_households"].notna()]
    scale = figures.density_scale(grids)  # the desk's choropleth has the same top
    tickets, households = int(grids["ticket_count"].sum()), rated["households"].sum()
    koujing_text = KOUJING["tickets_per_1k_households"]
    scope = wall_view.scope_name(f)
    left, right = st.container(key="os_wall").columns([7, 5], gap="medium")
    with left:
        wall_view.panel_title(f"网格每千户工单量（{filters.period_label('month', month)}受理，全部来源和分类）")
        shown = shaped.assign(
            rate_text=[f"{v:.1f} 件" if pd.notna(v) else "—（无户数）" for v in shaped["tickets_per_1k_households"]],
            households_text=[ui.fmt_number(v) for v in shaped["households"]])
        st.markdown(grid_fill_svg(
            shown, [kiosk_charts.density_colour(v, scale.top) for v in shown["tickets_per_1k_households"]],
            tooltip_fields={"grid_name": "网格", "community_name": "社区", "rate_text": "每千户工单",
                            "ticket_count": "工单（件，N）", "households_text": "户数"},
            height=740, width_px=1040, simplify_tolerance=0.0002, label="网格每千户工单量地图",
            selected=f.grid_code or None), unsafe_allow_html=True)
        st.markdown(kiosk_charts.density_legend_svg(scale.top, width=1040, clipped=scale.is_clipped),
                    unsafe_allow_html=True)
    with right:
        if f.grid_code:  # the grid's own figures; the map, the tiles and the list are its community's
            own = grids[grids["grid_code"] == f.grid_code]
            row = own.iloc[0] if not own.empty else None
            rate = row["tickets_per_1k_households"] if row is not None else None
            rank = int((rated["tickets_per_1k_households"] > rate).sum()) + 1 if pd.notna(rate) else None
            wall_view.grid_note(f, len(grids), "本月没有工单" if row is None else
                                f"本月工单 {int(row['ticket_count'])} 件，" + (
                                    f"每千户 {rate:.1f} 件，在有户数的 {len(rated)} 个网格中居第 {rank}" if rank else "无户数，不计算每千户"))
        wall_view.unfiltered_note(f, "本页")
        st.markdown(ui.tiles([
            ui.tile("落格工单", f"{tickets:,} 件", note=f"{scope} {len(grids):,} 个网格",
                    help_text=f"{scope}本月受理且落到网格的工单 N = {tickets:,} 件，{len(grids):,} 个网格。" + koujing_text),
            ui.tile(f"{scope}每千户", ui.fmt_number(tickets and rated["ticket_count"].sum() * 1000 / households, 1)
                    if households else "—", note=f"{ui.fmt_number(households)} 户（有户数的网格）",
                    help_text="有户数的网格合计：工单 × 1000 ÷ 户数。" + koujing_text),
        ]), unsafe_allow_html=True)
        top = rated.head(WALL_TOP_GRIDS)
        wall_view.panel_title(f"每千户工单最多的 {len(top)} 个网格")
        rows = [wall_view.row(
            [(str(rank), "os-wall-small"), (str(r["grid_name"]), ""), (str(r["community_name"] or ""), "os-wall-small"),
             (f"{r['tickets_per_1k_households']:.1f}", "os-wall-num"),
             (f"{int(r['ticket_count'])} 件 / {ui.fmt_number(r['households'])} 户", "os-wall-small os-wall-right")],
            f"{r['grid_name']}（{r['community_name']}，{r['street_name']}）：本月工单 {int(r['ticket_count'])} 件（N），"
            f"户数 {ui.fmt_number(r['households'])}，每千户 {r['tickets_per_1k_households']:.1f} 件。" + koujing_text)
            for rank, (_, r) in enumerate(top.iterrows(), start=1)]
        st.markdown(wall_view.table(rows, "没有有户数的网格。", head=[("", ""), ("网格", ""), ("社区", ""),
                                                                  ("每千户", "os-wall-num"), ("工单 / 户数", "os-wall-num")]),
                    unsafe_allow_html=True)
        without = len(grids) - len(rated)
        wall_view.note("每千户工单 = 本月受理的工单 × 1000 ÷ 网格户数；颜色越深越多。"
                       + (f"{without} 个网格没有户数，灰色，不计算。" if without else "")
                       + figures.density_scale_note(scale, "见上方列表和地图悬停")
                       + "悬停地图或一行看工单件数（N）和户数。")


f = filters.active()
if ui.is_kiosk():
    wall_view.screen(wall)
    st.stop()
st.title("网格热力")
if f is None:
    ui.empty_state()
    st.stop()

first_day, last_day = f.days()  # the period, or the custom date range (both days included)
# The window the recurring problems are compared with: the period before, or as many days right before; for a
# week or month under way the same days of the one before (Filters.previous_window).
compared = f.previous_window()
previous_start = compared["previous_start"]
this = "所选区间" if f.is_range else "本期"
common = dict(start=first_day, end=last_day, street_code=f.street_code or None,
              community_code=f.community_code or None, grid_code=f.grid_code or None, source=f.source or None,
              category_l1=f.category or None)
level = "community" if f.street_code else "street"  # the matrix's columns
# The widget below sets it; before it is drawn, its value of the last run (or its default).
min_count = st.session_state.get("heat_min_count", MIN_COUNT_DEFAULT[f.period_type])
# The page's queries, run two at a time before it draws (a cold page at 5M tickets: ~140 ms of queries); each call
# below reads its parameters from here and finds the result cached.
calls = {
    "density": data.Call("grid_ticket_density", {**common, "grid_code": None}),
    "points": data.Call("ticket_points", common),
    "matrix": data.Call("category_street_matrix", {**common, "level": level}),
    "hours": data.Call("weekday_hour_counts", common),
    "recurring": data.Call("recurring_problems", {**common, **compared, "min_count": int(min_count), "limit": 50}),
    "rules": data.Call("mart_rules", {}),
    "repeats": data.Call("repeat_summary", {**common, **compared}),
    "callers": data.Call("repeat_callers", {**common, "limit": 50}),
}
data.prefetch(calls.values())
try:
    grids = calls["density"].run()
except data.QueryError as exc:
    ui.empty_state(str(exc))
    st.stop()
st.caption(f"{ui.as_of_caption(data.as_of())} · {f.time_label()}"
           + ("" if f.is_range else f"（{first_day:%m-%d} 至 {last_day:%m-%d} 受理）") + f" · {ui.markdown_text(filter_label(f))}")

st.subheader("网格每千户工单量")
has_shape = grids["geometry_geojson"].notna()
# Both maps outline the chosen grid in blue, as 亮灯地图 and the wall do, said in the same words (onescreen.wall).
outlined = bool(f.grid_code) and bool((has_shape & grids["grid_code"].eq(f.grid_code)).any())
if grids.empty or not has_shape.any():
    st.info("还没有网格边界：导入网格 GeoJSON（python -m etl load grids.geojson）后这里显示热力图。")
elif grids["ticket_count"].sum() == 0:
    st.info(f"{this}在所选范围、来源和分类下没有落格的工单。换一个周期或放宽筛选试试。")
else:
    left, right = st.columns([3, 2])
    with left:
        ui.plotly_chart(figures.density_choropleth(grids, selected=f.grid_code or None), width="stretch",
                        key="heat_choropleth")
    with right:
        # The chosen grid is marked as on the maps; when it is not among the top rows, a line says where it stands.
        table, chosen_note = figures.top_density_table(grids, f.grid_code or None)
        st.markdown("**每千户工单最多的网格**")
        st.dataframe(table, hide_index=True, placeholder=ui.MISSING, width="stretch", key="heat_top_density",
                     column_config={"工单（件）": st.column_config.NumberColumn("工单", help="工单（件）"),
                                    "每千户": st.column_config.NumberColumn(help="每千户工单（件）")})
        if chosen_note:
            st.caption(ui.markdown_text(chosen_note))
    without = int((grids["tickets_per_1k_households"].isna()).sum())
    # The map and its table count the grid's whole community when a grid is chosen, the point map below the grid
    # alone: each caption names the area it counts, so 13 grids here and 1 below read as what they are.
    mapped = filters.area_name(f.street_code, f.community_code)
    chosen = (f"地图和表显示所选网格 {ui.markdown_text(filters.area_name(grid_code=f.grid_code))} 所在社区的全部网格"
              "（下方其他图表只计所选网格）。" + ("所选网格在地图上以蓝色粗框标出。" if outlined else "所选网格没有边界，未上图。")
              ) if f.grid_code else "选择网格时地图显示其所在社区，所选网格以蓝色粗框标出。"
    st.caption(f"{ui.markdown_text(mapped)}：落格工单 N = {int(grids['ticket_count'].sum()):,} 件，{len(grids):,} 个网格"
               + (f"；{without} 个网格无户数（灰色，不计算）" if without else "") + "。"
               + figures.density_scale_note(figures.density_scale(grids), "见地图悬停和右侧表格") + chosen,
               help=KOUJING["tickets_per_1k_households"])

st.subheader("工单点位密度")
points = calls["points"].run()  # the page is kiosk tier for every user: points at grid centroids
located = points[points["is_located"]]
unlocated = int(points.loc[~points["is_located"], "ticket_count"].sum())
unplaced = int(points.loc[points["is_placed"].eq(False), "ticket_count"].sum())  # no grid: 未落格
unmapped = unlocated - unplaced  # in a grid that has no point to draw them at
if points.empty:
    st.info(f"{this}在所选筛选下没有工单。")
elif located.empty:
    st.info(f"{this}所选工单都没有可上图的网格代表点（大屏不显示工单的具体位置）："
            + "，".join(part for part in (f"{unplaced:,} 件未落格" if unplaced else "",
                                          f"{unmapped:,} 件所在网格没有边界" if unmapped else "") if part) + "。")
else:
    outlines = grids[has_shape] if has_shape.any() else None
    st.pydeck_chart(figures.density_deck(located, outlines, selected=f.grid_code or None), height=520,
                    key="heat_density_deck")
    st.caption(f"{ui.markdown_text(filters.area_name(f.street_code, f.community_code, f.grid_code))}："
               f"已落格的工单 {int(located['ticket_count'].sum()) + unmapped:,} 件，按网格汇总画在 {len(located):,} 个网格"
               "的代表点上（大屏不显示工单的具体位置）" + (f"，其中 {unmapped:,} 件所在网格没有边界，未上图" if unmapped else "")
               + f"；未落格未上图 {unplaced:,} 件。" + ("所选网格在地图上以蓝色粗框标出。" if outlined else ""))
if unplaced:  # the tickets 三率分析's 未落格 row lists too: 工单明细 with unassigned=grid, these filters
    name = f"{filters.area_name(f.street_code, f.community_code)} · {UNASSIGNED['grid']}"
    ui.page_link("app_pages/tickets.py", icon=":material/list_alt:",
                 label=f"打开 {ui.markdown_text(name)} {this}的工单明细（{unplaced:,} 张）→",
                 query_params={**f.as_query_params(), "unassigned": "grid"})

left, right = st.columns(2)
with left:
    st.subheader(f"分类 × {'社区' if level == 'community' else '街道'}")
    matrix = calls["matrix"].run()
    if matrix.empty:
        st.info(f"{this}在所选筛选下没有工单。")
    else:
        ui.plotly_chart(figures.matrix_heatmap(matrix), width="stretch", key="heat_matrix")
        hover = "" if figures.matrix_counts_written(matrix) else "；单位较多，格中不写件数，悬停查看"
        st.caption(f"N = {int(matrix['ticket_count'].sum()):,} 件{hover}",
                   help=KOUJING["category_street_matrix"])
with right:
    st.subheader("星期 × 时段")
    hours = calls["hours"].run()
    if hours["ticket_count"].sum() == 0:
        st.info(f"{this}在所选筛选下没有工单。")
    else:
        ui.plotly_chart(figures.weekday_hour_heatmap(hours), width="stretch", key="heat_weekday_hour")
        st.caption(f"N = {int(hours['ticket_count'].sum()):,} 件，按受理时间", help=KOUJING["weekday_hour"])

st.subheader("高频问题（类诉齐办）")
min_count = st.number_input(f"同一地点、同一分类{this}至少（件）", min_value=2, max_value=100,
                            value=MIN_COUNT_DEFAULT[f.period_type], step=1, key="heat_min_count")
problems = calls["recurring"].run(min_count=int(min_count))
if problems.empty:
    st.info(f"{this}没有同一小区或地址、同一分类反复出现 {int(min_count)} 次及以上的诉求。可以调低件数再看。")
else:
    before = f.compared_label() or f"前一个{filters.PERIOD_LABELS[f.period_type]}"
    covered = filters.previous_coverage(f)
    if covered.note:
        # The window before began before the data did: its counts are short, so every place would read as rising.
        problems = problems.assign(previous_ticket_count=pd.NA, change=pd.NA)
        st.caption(f"共 {len(problems)} 处（最多列 50 处）。上期为{before}，早于已导入的数据（工单从 "
                   f"{covered.data_from:%Y-%m-%d} 起），不作比较。", help=KOUJING["recurring_problems"])
    else:
        rising = int((problems["change"] > 0).sum())
        st.caption(f"共 {len(problems)} 处（最多列 50 处），其中 {rising} 处比上期增多。上期为{before}。",
                   help=KOUJING["recurring_problems"])
    left, right = st.columns([2, 3])
    with left:
        ui.plotly_chart(figures.recurring_figure(problems), width="stretch", key="heat_recurring_chart")
    with right:
        picked = st.dataframe(recurring_table(problems), hide_index=True, placeholder=ui.MISSING, width="stretch",
                              column_order=figures.RECURRING_ORDER, column_config=figures.recurring_columns(),
                              height=min(460, 35 * (len(problems) + 1) + 3), on_select="rerun",
                              selection_mode="single-row", key="heat_recurring_table")
        rows = picked.selection.rows if picked is not None else []
        if not grid_tickets_link(f, problems.iloc[rows[0]] if rows else None, this):
            st.caption(f"选中一行可打开该处所在网格、该分类{this}的工单明细（{ui.ROW_PICK_KEYS}）。")

st.subheader("重复诉求（同一来电人反复来电）")
rules = lists.rules_from_meta(calls["rules"].run())
summary = calls["repeats"].run().iloc[0]
before = f.compared_label() or f"上{filters.PERIOD_LABELS[f.period_type]}"
if not summary["ticket_count"]:
    st.info(f"{this}在所选筛选下没有群众诉求工单（主动发现渠道的工单不计重复诉求）。")
else:
    count_col, share_col, caller_col = st.columns(3)
    span = data.ticket_span()
    window = rules.repeat_window_days if rules else 30
    # The window before must have had a full repeat window of data behind it, else its repeats are undercounted.
    comparable = span is not None and previous_start >= span[0] + timedelta(days=window)
    count_col.metric("重复诉求", f"{int(summary['repeat_count']):,} 件", delta=repeat_change(summary, before, comparable),
                     delta_color="inverse",
                     help=koujing("repeat_requests", rules) + ("" if comparable else
                          f"数据从 {span[0]:%Y-%m-%d} 起，上期之前不足 {window} 天，上期的重复诉求偏少，不作比较。" if span else ""))
    share_col.metric("占群众诉求", ui.fmt_pct(summary["repeat_share"]),
                     help=f"{this}受理群众诉求 {int(summary['ticket_count']):,} 件（不含主动发现渠道），其中重复诉求 "
                          f"{int(summary['repeat_count']):,} 件。" + KOUJING["repeat_requests"])
    caller_col.metric("涉及来电人", f"{int(summary['caller_count']):,} 人",
                      help="有重复诉求的来电人数（按来电号码区分，不显示姓名和号码）。")
    if not summary["repeat_count"]:
        st.info(f"{this}没有同一来电人就同一分类再次来电的工单。")
    else:
        callers = calls["callers"].run()
        shown = repeat_table(callers)
        st.caption(f"重复最多的来电人：列出 {len(callers)} 行（同一人的不同分类各占一行，最多列 50 行；来电人编号"
                   f"每次重建汇总表重新编排）。"
                   f"选中一行可打开该网格、该分类{this}的工单明细（{ui.ROW_PICK_KEYS}）。",
                   help=koujing("repeat_callers", rules))
        picked = st.dataframe(shown, hide_index=True, placeholder=ui.MISSING, width="stretch",
                              height=min(460, 35 * (len(shown) + 1) + 3), on_select="rerun",
                              selection_mode="single-row", key="heat_repeat_table")
        st.download_button("下载重复来电表（CSV）", exports.to_csv_bytes(shown),
                           file_name=f"重复来电_{first_day:%Y%m%d}-{last_day:%Y%m%d}.csv", mime="text/csv",
                           key="heat_repeat_csv")
        rows = picked.selection.rows if picked is not None else []
        grid_tickets_link(f, callers.iloc[rows[0]] if rows else None, this)
