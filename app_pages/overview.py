"""一屏总览: everything a street leader needs on one 1920×1080 screen, no scrolling, no clicking.

Aggregates only (kiosk tier): no ticket numbers, names, phones, addresses or free text. Off the wall
(no ``?kiosk=1``) and for a user who may open 工单明细, the numbers lead to the tickets behind them:
the KPI tiles are links, and selecting a category bar or an overdue row offers a link, each carrying
the same area and time (the big screen counts every source and category, so the links do too).
"""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from onescreen import access as acl
from onescreen import area as area_names
from onescreen import data, filters, measures, ui
from onescreen import wall as wall_view
from onescreen.coverage import Coverage
from onescreen.figures import kiosk as kiosk_charts
from onescreen.figures import lists
from onescreen.figures.overview import category_mix_figure, rates_trend_figure, street_ranking_figure
from onescreen.koujing import koujing
from onescreen.maps import grid_light_deck, grid_light_svg
from onescreen.rules import load_rules

kiosk = ui.is_kiosk()
ui.apply_big_screen_style(kiosk)
rules = load_rules()

head_left, head_mid, head_right = st.columns([4, 3, 3])  # the title whole at 1366 px with the sidebar
with head_mid:
    ui.live_clock()

if not data.available():
    head_left.markdown("### 基层治理一屏总览")
    ui.empty_state()
    st.stop()

TICKETS_PAGE = "app_pages/tickets.py"
# Links to 工单明细: never on the wall (kiosk mode), and only for a user whose navigation has that page.
links = not kiosk and acl.page_allowed(data.current_access().identity, "tickets")
if links:
    st.markdown(ui.TILE_LINKS_CSS, unsafe_allow_html=True)


def _ticket_link(f: filters.Filters, **extra: str) -> dict[str, str]:
    """Query parameters of 工单明细 for a number on this screen: its area and time, every source and
    category (as the screen counts), plus ``extra``."""
    params = {k: v for k, v in f.as_query_params().items() if k not in ("source", "category")}
    return {**params, **extra}


def _tiles(kpis: pd.DataFrame, backlog: pd.DataFrame, f: filters.Filters) -> None:
    by_metric = kpis.set_index("metric")
    this = "区间" if f.is_range else "本期"
    previous = filters.previous_coverage(f)  # a window compared with that began before the data did says so

    def row(metric: str):
        return by_metric.loc[metric] if metric in by_metric.index else None

    specs = [
        ("ticket_count", f"{this}受理", None, False),  # more tickets is neither good nor bad
        ("response_rate", "响应率", True, True),
        ("resolution_rate", "解决率", True, True),
        ("satisfaction_rate", "满意率", True, True),
        ("on_time_rate", "按期办结率", True, True),
    ]
    tiles: list[dict] = []
    for metric, label, up_is_good, is_rate in specs:
        r = row(metric)
        if r is None:
            continue
        value = ui.fmt_pct(r["value"]) if is_rate else ui.fmt_number(r["value"])
        change = ui.change_text(r["change"] if is_rate else r["change_pct"], up_is_good=up_is_good,
                                unit="个百分点" if is_rate else "%", against=f.against(), settling=ui.is_settling(r),
                                previous=previous, count=not is_rate, metric=metric)
        parts = [f"目标 {r['target']:g}%"] if is_rate and pd.notna(r.get("target")) else []
        if is_rate and pd.notna(r.get("denominator")):
            parts.append(f"{int(r['numerator']):,}/{int(r['denominator']):,} 件")
        greyed = bool(is_rate and pd.notna(r.get("denominator")) and r["denominator"] < rules.min_denominator)
        tiles.append(dict(label=label, value=value, note=" · ".join(parts), change=change,
                          help_text=" ".join(filter(None, [str(r.get("koujing", "")), ui.settling_note(r, f.against()),
                                                           previous.sentence()])),
                          greyed=greyed, link=_ticket_link(f)))
    # 超期在办 is the whole backlog at the as-of time (whenever received), not only this period's tickets.
    overdue = row("overdue_count")
    total = int(backlog["total_count"].iloc[0]) if not backlog.empty else 0
    received = f"其中{this}受理 {ui.fmt_number(overdue['value'])} 件" if overdue is not None else ""
    tiles.append(dict(label="超期在办", value=ui.fmt_number(total), note=received, change=None,
                      help_text=koujing("overdue_backlog"), greyed=False,
                      link=_ticket_link(f, status="overdue", range="all")))
    if not links:
        st.markdown(ui.tiles([ui.tile(t["label"], t["value"], note=t["note"], change=t["change"],
                                      help_text=t["help_text"], greyed=t["greyed"]) for t in tiles]),
                    unsafe_allow_html=True)
        return
    # Each tile is a link to the tickets behind it (st.page_link: same session, no new login).
    with st.container(key="os_tile_links"):
        for start in range(0, len(tiles), 2):
            for column, t in zip(st.columns(2, gap="small"), tiles[start:start + 2]):
                with column:
                    note = t["note"] + ("（样本不足，不排名）" if t["greyed"] else "")
                    ui.page_link(TICKETS_PAGE, label=ui.tile_link_label(t["label"], t["value"], note=note,
                                                                        change=t["change"]),
                                 query_params=t["link"], help=f"打开这些工单的明细。{t['help_text']}", width="stretch")


def _list_html(title_class: str, title: str, frame: pd.DataFrame, *, from_worst: bool = False,
               previous: Coverage | None = None, at_least=lambda months: False) -> str:
    """A red or black list for the wall: place, company, score, the move of its rank against last month (▲ up
    is better, in green; ▼ in red; the words in the hover with the score's N). The black list counts from the
    worst (``from_worst``): its places read 倒1, 倒2 ..., not the ranks 37, 36 the companies page shows.
    ``previous``: how much of last month the data cover (:func:`onescreen.filters.last_month_coverage`); against a
    month they cover in part or not at all no move is shown (its ranks stand on part of its complaints, or none):
    a grey ``—``, and the hover says ``上月数据不全（数据自 …）`` / ``无上月数据（…）``. ``at_least(months)``: whether a
    black-list run of that many months may have begun before the data (:func:`onescreen.filters.streak_at_least`):
    it reads 至少连续N个月. Each row is one line: a name too long for the panel (281 px at 1440 px) ends in …, and the
    row's hover begins with it whole."""
    withheld = previous is not None and bool(previous.note)
    rows, whole_area = [], data.whole_area_name()
    for place, (_, r) in enumerate(frame.iterrows(), start=1):
        change, colour = r.get("rank_change"), ui.FLAT_COLOUR
        if withheld:
            move, move_words = "—", f"名次较上月：{previous.note}，不作比较"
        elif pd.notna(change) and change:
            up = change > 0
            move, colour = f"{'▲' if up else '▼'}{abs(int(change))}", ui.GOOD_COLOUR if up else ui.BAD_COLOUR
            move_words = f"名次较上月{'上升' if up else '下降'} {abs(int(change))} 位（{'改善' if up else '变差'}）"
        elif pd.notna(change):
            move, move_words = "—", "名次与上月相同"
        else:
            move, move_words = "新进", "上月未参与排名"
        streak = r.get("consecutive_black_months")
        if title_class == "os-black" and pd.notna(streak) and streak >= 2:
            floor = at_least(int(streak))
            move += f" {'至少' if floor else ''}连续{int(streak)}个月"
            move_words += (f"；已至少连续 {int(streak)} 个月上黑榜（数据自 {previous.data_from:%Y-%m-%d} 起，此前是否上榜不详）"
                           if floor and previous is not None and previous.data_from else f"；已连续 {int(streak)} 个月上黑榜")
        households, complaints = r.get("households"), r.get("complaint_count")
        basis = (f"管理 {ui.fmt_number(households)} 户，物业投诉 {ui.fmt_number(complaints)} 件"
                 if pd.notna(households) and pd.notna(complaints) else "")
        name = str(r["company_name"])
        hover = f"{name}：{whole_area}第 {int(r['rank'])} 名，总分 {r['score']:.1f}。{move_words}。{basis}"
        label = f"倒{place}" if from_worst else str(int(r["rank"]))
        rows.append(f"<div class='os-rank-row' title='{html.escape(hover, quote=True)}'><span class='os-rank-place'>{label}"
                    f"</span> <span class='os-rank-name'>{html.escape(name)}</span> <span class='os-rank-score'>"
                    f"<b>{r['score']:.1f}</b> <span style='color:{colour}'>{html.escape(move)}</span></span></div>")
    body = "".join(rows) or "<div style='color:#9fb3c8'>本月无符合条件的企业</div>"
    return f"<div class='os-list'><span class='{title_class}'>{title}</span>{body}</div>"


def _overdue_html(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<div class='os-list' style='color:#9fb3c8'>当前没有超期工单</div>"
    lines = []
    for _, r in frame.iterrows():
        place = next((r[c] for c in ("grid_name", "community_name", "street_name") if pd.notna(r.get(c))), "未落格")
        days = r.get("overdue_workdays")
        days_text = f"超期{int(days)}个工作日" if pd.notna(days) else "已超期"
        lines.append(f"<div>{html.escape(str(r.get('category_l1') or '未分类'))} · {html.escape(str(place))} · {days_text}</div>")
    items = "".join(lines)
    # A slow vertical scroll (CSS only): the list repeats so the loop has no jump. The copy is hidden from screen
    # readers (read once, not twice); a viewer who asks for reduced motion gets the list still, once, scrollable.
    return (
        "<style>@keyframes os-scroll {from {transform: translateY(0);} to {transform: translateY(-50%);}}"
        ".os-scroll {height: 300px; overflow: hidden; margin-bottom: 10px;} .os-scroll-inner {animation: os-scroll 60s linear infinite;}"
        "@media (prefers-reduced-motion: reduce) {.os-scroll {overflow-y: auto;} .os-scroll-inner {animation: none;}"
        " .os-scroll-copy {display: none;}}</style>"
        f"<div class='os-list os-scroll'><div class='os-scroll-inner'><div>{items}</div>"
        f"<div class='os-scroll-copy' aria-hidden='true'>{items}</div></div></div>"
    )


@st.fragment(run_every=ui.refresh_seconds())
def screen() -> None:
    """The data panels; refreshed quietly every ``?refresh=`` seconds (a new load shows up here)."""
    wall_view.follow_new_data()
    f = filters.active()
    if f is None:
        ui.empty_state()
        return
    as_of = data.as_of()
    scope = f.scope()
    # The street ranking and the red/black lists stay district-wide when an area is chosen: said in their titles.
    # A one-street warehouse is named for its street and ranks its communities (a ranking of one street is one bar).
    whole_area, rank_level = data.whole_area_name(), data.ranking_level()
    district_wide = f"{whole_area}，" if f.street_code or f.community_code or f.grid_code else ""
    month = f.month()  # lights and the red/black lists are made per month by rule
    # "本月" only for the month the data are in; an older month (chosen, or the default in a month's first
    # days, see filters.default_period) is named.
    this_month = as_of is not None and month == as_of.date().replace(day=1)
    month_label = "本月" if this_month and not f.is_range else filters.period_label("month", month)
    head_left.markdown(f"### {ui.markdown_text(_scope_name(f))} 基层治理一屏总览")
    head_right.markdown(ui.as_of_html(as_of, f.time_label()), unsafe_allow_html=True)
    if f.source or f.category:  # the marts cross area with period only
        head_right.caption("大屏按区域和时间统计，未按诉求来源、分类筛选（按来源、分类看请到三率分析、工单明细）。")
    if f.is_range:
        first, last = f.days()
        head_right.caption(f"自定义区间：环比为此前 {(last - first).days + 1} 天；亮灯和物业红黑榜按月评定，"
                           f"不能按区间计算，显示 {month_label}。")
        if f.runs_past_data and kiosk:  # off the wall the note above the page says it; the wall, small, here
            head_right.caption(filters.range_past_data_note(f))
    # A month under way is compared with the same days of the month before (Filters.compare_params).
    compare = f.compare_params()
    previous = filters.previous_coverage(f)  # the window compared with: the data may miss it in part or whole
    first_day, last_day = f.days()
    # The twelve months up to the one shown (not a month just begun after it, nor any later month).
    first_month = (pd.Timestamp(month) - pd.DateOffset(months=11)).date()
    # The screen's queries, run two at a time before it draws; each read below takes its parameters from here.
    calls = {
        "lights": data.Call("grid_lights", dict(period_type="month", period_start=month,
                                                **{k: v for k, v in scope.items() if k != "grid_code"})),
        "ranking": data.Call("rates_breakdown_range" if f.is_range else "rates_breakdown",
                             dict(f.time_params(), level=rank_level)),
        "recurring": _recurring_call(f, previous),
        "kpis": data.Call("kpi_tiles_range" if "start" in compare else "kpi_tiles", {**compare, **scope}),
        "overdue": data.Call("overdue_list", dict(state="overdue", limit=40, **scope)),
        "trend": data.Call("rates_trend", dict(period_type="month", start=first_month, end=month, **scope)),
        "mix": data.Call("category_mix", {**compare, **scope}),
        "companies": data.Call("company_rankings", dict(month=month)),
        "shares": data.Call("escalation_shares", {**f.time_params(), **scope}),
        "repeats": data.Call("repeat_summary", dict(start=first_day, end=last_day, **scope)),
        "rules": data.Call("mart_rules", {}),
        "sources": data.Call("category_mix", dict(by="source", limit=1000, **compare, **scope)),
    }
    data.prefetch(calls.values())
    # Keyed, so the wall's CSS can stack the three panels two a row on a laptop (ui.KIOSK_CSS) instead of shrinking them.
    left, middle, right = st.container(key="os_wall").columns([3, 4, 3], gap="small")
    # The map first: off the wall the browser fetches and compiles deck.gl (and then plotly) as soon as the
    # first element of its kind arrives, so the slowest element to draw starts while the rest of the script
    # runs. Columns place each element; the order they are sent in does not move them.
    with middle:
        lights = calls["lights"].run()
        counts = lights["light"].value_counts() if not lights.empty else pd.Series(dtype=int)
        map_kind = "svg" if kiosk else "deck"  # the label names the map's mark besides the colour
        # Each mark stays on the line of its label and count (the title wraps between items, never inside one).
        legend = "　".join(f"<span style='white-space:nowrap'><span style='color:{ui.LIGHT_COLOURS[k]}'>■</span> "
                          f"{ui.light_legend_label(k, map_kind)} {int(counts.get(k, 0))}</span>"
                          for k in ("red", "yellow", "green", "grey"))
        st.markdown(f"<div class='os-panel-title'>亮灯地图（{month_label}）　{legend}</div>", unsafe_allow_html=True)
        if lights.empty:
            st.caption("本期没有网格数据。")
        else:
            # The lights page's hover: the light, its reason, the on-time rate with its N, the counts.
            tooltips, lights = lists.MAP_TOOLTIP, lists.map_frame(lights, selected=f.grid_code)
            if kiosk:  # the wall: SVG the browser draws at once (see onescreen.maps.grid_light_svg)
                st.markdown(grid_light_svg(lights, tooltip_fields=tooltips, height=520, width_px=760,
                                           simplify_tolerance=0.0002, selected=f.grid_code or None),
                            unsafe_allow_html=True)
            else:
                # The middle column is 381 px wide at 1440 px with the sidebar (573 at 1920): the zoom is chosen for
                # the narrowest, so the whole district shows (chosen for 760 px, its sides were cut off at 1440).
                deck = grid_light_deck(lights, tooltip_fields=tooltips, height=520, width_px=380, simplify_tolerance=0.0002,
                                       selected=f.grid_code)
                st.pydeck_chart(deck, height=520, key="overview_map")
        st.caption(f"红灯：按期办结率 < {rules.lights.red_on_time_rate_below:g}%（≥ {rules.lights.red_min_denominator} 件时）"
                   f"或超期 ≥ {rules.lights.red_overdue_at_least} 件；"
                   f"黄灯：按期办结率 < {rules.lights.yellow_on_time_rate_below:g}% 或有超期/临期；灰：无到期、办结或临期工单。"
                   + ("选择网格时地图显示其所在社区，所选网格以蓝色粗框标出。" if f.grid_code else ""))
        # 街道排名 and 高频问题 side by side under the map on the wall (SCREENS.md); keyed, so a laptop stacks them
        # (ui.KIOSK_CSS). Off the wall, beside the sidebar, the middle column is too narrow for two (381 px at 1440
        # px: the ranking's scores were cut): one under the other, the page scrolls.
        foot = st.container(key="os_centre_foot")
        ranking_column, recurring_column = foot.columns(2, gap="small") if kiosk else (foot, foot)
        with ranking_column:
            ranking = calls["ranking"].run()
            ranking = ranking[ranking["unit_code"] != "unassigned"]  # 街道不明 is not a street to rank
            # Scores still moving while the period's callbacks come: said, the figures shown all the same. On the wall
            # (no scrolling at 1080 px) in the panel's title, the whole note on hover; elsewhere as a caption.
            callback_note = measures.ranking_callback_note(ranking, "本区间" if f.is_range else "本期")
            hover = "灰色：不参与排名（样本不足或缺少某率）" + (f"。{callback_note}" if callback_note else "")
            said = "回访未完，仅供参考" if kiosk and callback_note else "灰色不排名"   # one line in half a column
            title = area_names.RANKING_TITLES[rank_level]
            st.markdown(f"<div class='os-panel-title' title='{html.escape(hover, quote=True)}'>{title}（"
                        f"{district_wide}综合得分，{said}）</div>", unsafe_allow_html=True)
            if callback_note and not kiosk:
                st.caption(callback_note)
            if not ranking.empty:
                if kiosk:  # drawn for half the middle column: 360 px at 1920
                    st.markdown(kiosk_charts.street_ranking_svg(ranking, width=360, height=260, label=title),
                                unsafe_allow_html=True)
                elif links:
                    _street_links(f, street_ranking_figure(ranking, height=260), ranking, rank_level)
                else:
                    ui.plotly_chart(street_ranking_figure(ranking, height=260), width="stretch",
                                    config={"displayModeBar": False})
        with recurring_column:
            _recurring(f, "本区间" if f.is_range else "本期", calls["recurring"], previous)
    kpis = measures.shown_changes(calls["kpis"].run())
    overdue = calls["overdue"].run()
    with left:
        _tiles(kpis, overdue, f)
        st.markdown("<div class='os-panel-title'>三率趋势（近 12 个月）</div>", unsafe_allow_html=True)
        trend = calls["trend"].run()
        targets = {"response_rate": rules.targets.response_rate, "resolution_rate": rules.targets.resolution_rate,
                   "satisfaction_rate": rules.targets.satisfaction_rate}
        if kiosk:
            st.markdown(kiosk_charts.rates_trend_svg(trend, targets, height=240), unsafe_allow_html=True)
        else:
            ui.plotly_chart(rates_trend_figure(trend, targets, height=250), width="stretch",
                            config={"displayModeBar": False})
        # (On the wall the chart's own legend says what a hollow point is: no room for a caption at 1080 px.)
        if (waiting_note := measures.trend_callback_note(trend, tuple(targets))) and not kiosk:
            st.caption(waiting_note)
        compared = ("本区间与此前等长区间" + ("的同样天数" if f.runs_past_data else "")) if f.is_range else f"本期与{f.against().removeprefix('较')}" if f.is_partial else "本期与上期"
        st.markdown(f"<div class='os-panel-title' title='{html.escape(previous.sentence(), quote=True)}'>诉求分类（{compared}"
                    f"{'；' + previous.note if previous.note else ''}）</div>", unsafe_allow_html=True)
        mix = calls["mix"].run()
        if mix.empty:
            st.caption("所选区间没有工单。" if f.is_range else "本期没有工单。")
        else:
            mix = mix.rename(columns={"previous_ticket_count": "previous_count"})
            if kiosk:
                st.markdown(kiosk_charts.category_mix_svg(mix, height=240), unsafe_allow_html=True)
            elif links:
                _category_links(f, category_mix_figure(mix, height=250))
            else:
                ui.plotly_chart(category_mix_figure(mix, height=250), width="stretch", config={"displayModeBar": False})
    with right:
        companies = calls["companies"].run()
        red = companies[companies["list"] == "red"].sort_values("rank").head(5) if not companies.empty else companies
        # The black list counts from the worst: 1 is the lowest score.
        black = companies[companies["list"] == "black"].sort_values("rank", ascending=False).head(5) if not companies.empty else companies
        # Last month's ranks stand on its complaints: a month the data begin inside (or after) moves nobody.
        last_month = filters.last_month_coverage(month)
        moves = f"名次较上月：{last_month.mark}" if last_month.note else "箭头为名次较上月"
        # Keyed, so that under 1600 px (ui.KIOSK_CSS) the lists and the overdue tickets share the last row side by
        # side; at 1920 px they stand one under the other in this column.
        lists_box, overdue_box = st.container(key="os_right_lists"), st.container(key="os_right_overdue")
        lists_box.markdown(_list_html("os-honour", f"物业红榜（{district_wide}{month_label}，{moves}）", red,
                                      previous=last_month), unsafe_allow_html=True)
        lists_box.markdown(_list_html("os-black", f"物业黑榜（{district_wide}{month_label}，倒数）", black, from_worst=True,
                                      previous=last_month, at_least=lambda months: filters.streak_at_least(month, months)),
                           unsafe_allow_html=True)
    with overdue_box:
        st.markdown("<div class='os-panel-title'>超期工单</div>", unsafe_allow_html=True)
        if links:
            _overdue_links(f, overdue)
        else:
            st.markdown(_overdue_html(overdue), unsafe_allow_html=True)
        shares = calls["shares"].run()
        grid_share = shares.loc[shares["handling_level"] == "grid", "share"]
        whistle = kpis.set_index("metric")["value"].get("whistle_count")
        consultation = kpis.set_index("metric")["value"].get("consultation_count")
        repeats = calls["repeats"].run().iloc[0]
        # By the rules the marts were built with, as the repeat count itself (onescreen.report does the same).
        marts_rules = lists.rules_from_meta(calls["rules"].run()) or rules
        repeat_help = html.escape(koujing("repeat_requests", marts_rules), quote=True)
        found = measures.proactive(calls["sources"].run(), marts_rules.proactive_sources)
        proactive_help = html.escape(koujing("proactive_share", marts_rules), quote=True)
        # Two lines, each item kept whole (a line breaks between items, never inside one).
        grid_help = html.escape(koujing("escalation_share", marts_rules), quote=True)
        whistle_help = html.escape(koujing("whistle_count", marts_rules), quote=True)
        consultation_help = html.escape(koujing("consultation_count", marts_rules), quote=True)
        items = [f"<span title='{grid_help}'>小事不出网格 "
                 f"<b>{ui.fmt_pct(grid_share.iloc[0] if len(grid_share) else None, 0)}</b></span>",
                 f"<span title='{proactive_help}'>未诉先办 <b>{ui.fmt_pct(found.share, 0)}</b></span>",
                 f"<span title='{whistle_help}'>吹哨 <b>{ui.fmt_number(whistle)}</b> 件</span>",
                 f"<span title='{consultation_help}'>会商 <b>{ui.fmt_number(consultation)}</b> 件</span>",
                 f"<span title='{repeat_help}'>重复诉求 <b>{ui.fmt_number(repeats['repeat_count'] if found.total else None)}"
                 f"</b> 件</span>"]
        whole = [f"<span style='white-space:nowrap'>{item}</span>" for item in items]
        st.markdown(f"<div class='os-list'>{' · '.join(whole[:2])}<br>{' · '.join(whole[2:])}</div>",
                    unsafe_allow_html=True)


def _recurring_call(f: filters.Filters, previous: Coverage) -> data.Call:
    """高频问题's query: compounds where one category keeps coming back this period, against the window before (none
    when the data miss that window in part or whole: it would count too few). The page runs at the big screen's tier,
    so the query lists compounds only (no address) from 3 tickets up, and counts of 1-2 come as ``<3``
    (onescreen.access.kiosk_params, kiosk_frame). ``previous``: :func:`onescreen.filters.previous_coverage`."""
    first_day, last_day = f.days()
    window = f.previous_window() if not previous.note else {"previous_start": None}
    return data.Call("recurring_problems", dict(start=first_day, end=last_day, **f.scope(), **window,
                                                min_count=acl.KIOSK_MIN_RECURRING, limit=8))


def _recurring(f: filters.Filters, period_label: str, call: data.Call, previous: Coverage) -> None:
    """高频问题 (``call`` and ``previous``: as :func:`_recurring_call` was given them)."""
    compared = not previous.note  # a window the data miss in part (or whole) would count too few: nothing compared
    problems = call.run()
    basis = (koujing("recurring_problems") + f"大屏只列小区（不列地址），同一小区同一分类至少 {acl.KIOSK_MIN_RECURRING} 件；"
             f"1-2 件显示为“<3”。" + ("" if compared else f"{previous.note}，不作比较。"))
    help_text = html.escape(basis, quote=True)
    ranged = "较此前等长区间" + ("的同样天数" if f.runs_past_data else "")
    against = (f"，箭头为{ranged if f.is_range else f.against() if f.is_partial else '较上期'}" if compared else "")
    st.markdown(f"<div class='os-panel-title' title='{help_text}'>高频问题（{period_label}{against}）</div>",
                unsafe_allow_html=True)
    st.markdown(kiosk_charts.recurring_list_html(
        problems, koujing=basis, compared=compared,
        empty=f"{period_label}没有同一小区、同一分类反复出现 {acl.KIOSK_MIN_RECURRING} 次及以上的诉求"),
        unsafe_allow_html=True)


def _street_links(f: filters.Filters, figure, ranking: pd.DataFrame, level: str = "street") -> None:
    """The street ranking (``level`` street, or community on a one-street warehouse), selectable: a selected bar
    offers that unit's tickets (this time)."""
    event = ui.plotly_chart(figure, width="stretch", config={"displayModeBar": False}, on_select="rerun",
                            selection_mode="points", key="overview_street_ranking")
    points = event.selection.points if event is not None else []
    name = next((p.get("y") for p in points if p.get("y")), None)
    chosen = ranking[ranking["unit_name"] == name] if name is not None else ranking.iloc[0:0]
    if chosen.empty:
        st.caption(f"点选一个{'社区' if level == 'community' else '街道'}，可打开其工单明细。")
        return
    params = {k: v for k, v in _ticket_link(f).items() if k not in ("street_code", "community_code", "grid_code")}
    params[f"{level}_code"] = str(chosen["unit_code"].iloc[0])
    ui.page_link(TICKETS_PAGE, label=f"打开{ui.markdown_text(str(name))}{ui.markdown_text(f.time_label())}的工单明细 →",
                 icon=":material/list_alt:", query_params=params)


def _category_links(f: filters.Filters, figure) -> None:
    """The category bars, selectable: a selected bar offers its tickets (this area and time)."""
    event = ui.plotly_chart(figure, width="stretch", config={"displayModeBar": False}, on_select="rerun",
                            selection_mode="points", key="overview_category_mix")
    points = event.selection.points if event is not None else []
    category = next((p.get("y") for p in points if p.get("y")), None)
    if category is None:
        st.caption("点选一个分类，可打开其工单明细。")
    elif category == "未分类":
        st.caption("未分类的工单没有分类可筛选：请在工单明细中按区域和时间查看。")
    else:
        ui.page_link(TICKETS_PAGE, label=f"打开“{ui.markdown_text(category)}”{ui.markdown_text(f.time_label())}的工单明细 →",
                     icon=":material/list_alt:", query_params=_ticket_link(f, category=str(category)))


def _overdue_links(f: filters.Filters, overdue: pd.DataFrame) -> None:
    """The overdue tickets as a selectable table: a selected row offers the overdue tickets of its grid
    and category; without a selection, all overdue tickets (the 超期在办 backlog)."""
    if overdue.empty:
        st.markdown("<div class='os-list' style='color:#9fb3c8'>当前没有超期工单</div>", unsafe_allow_html=True)
        return
    places = data.places().set_index("grid_code")
    table = pd.DataFrame({
        "分类": overdue["category_l1"].fillna("未分类"),
        "地点": [next((r[c] for c in ("grid_name", "community_name", "street_name") if pd.notna(r.get(c))), "未落格")
               for _, r in overdue.iterrows()],
        "超期（工作日）": overdue["overdue_workdays"].round(1),
    })
    # The panel is about 280 px wide at 1440 px: category and days at fixed widths, the place last (cut short
    # with an ellipsis rather than pushing the days out of sight). The days' header says their unit (工作日, not
    # days), as the wall's list does in words.
    picked = st.dataframe(table, hide_index=True, placeholder=ui.MISSING, width="stretch", height=260, on_select="rerun",
                          selection_mode="single-row", key="overview_overdue", column_order=["分类", "超期（工作日）", "地点"],
                          column_config={"分类": st.column_config.TextColumn(width=72),
                                         "超期（工作日）": st.column_config.NumberColumn(
                                             "超期工作日", format="%.1f", width=86, help="超期的工作日数"),
                                         "地点": st.column_config.TextColumn(width=88)})
    rows = picked.selection.rows if picked is not None else []
    backlog = int(overdue["total_count"].iloc[0])
    if not rows:
        ui.page_link(TICKETS_PAGE, label=f"查看全部 {backlog:,} 张超期工单 →", icon=":material/list_alt:",
                     query_params=_ticket_link(f, status="overdue", range="all"))
        return
    chosen = overdue.iloc[rows[0]]
    extra = {"status": "overdue", "range": "all"}
    where = "所选区域"
    if pd.notna(chosen.get("grid_code")) and chosen["grid_code"] in places.index:
        place = places.loc[chosen["grid_code"]]
        extra.update(street_code=place["street_code"], community_code=place["community_code"],
                     grid_code=chosen["grid_code"])
        where = str(place["grid_name"])
    what = "超期工单"
    if pd.notna(chosen.get("category_l1")):
        extra["category"] = str(chosen["category_l1"])
        what = f"{chosen['category_l1']}超期工单"
    ui.page_link(TICKETS_PAGE, label=f"打开 {ui.markdown_text(where)} 的{ui.markdown_text(what)} →",
                 icon=":material/list_alt:", query_params=_ticket_link(f, **extra))


def _scope_name(f: filters.Filters) -> str:
    places = data.places()
    if f.grid_code:  # the KPIs count the grid: the title names it, not its community
        match = places.loc[places["grid_code"] == f.grid_code, "grid_name"]
        return match.iloc[0] if len(match) else f.grid_code
    if f.community_code:
        match = places.loc[places["community_code"] == f.community_code, "community_name"]
        return match.iloc[0] if len(match) else f.community_code
    if f.street_code:
        match = places.loc[places["street_code"] == f.street_code, "street_name"]
        return match.iloc[0] if len(match) else f.street_code
    return data.whole_area_name()


screen()
