"""物业红黑榜: the month's red list (an honour list) and black list side by side, the companies not ranked
and why, and one company's score history and its compounds' complaints. Aggregates only.

On the wall (``?kiosk=1``, the carousel) the page is :func:`wall` instead: one dark 1920×1080 screen."""

from __future__ import annotations

import html
from datetime import date

import pandas as pd
import streamlit as st

from onescreen import data, filters, ui
from onescreen import wall as wall_view
from onescreen.coverage import Coverage, rank_moves_note, streak_note
from onescreen.figures import lists
from onescreen.koujing import koujing
from onescreen.rules import load_rules

WALL_STREAK_MONTHS = 24  # how far back the wall counts a red-list company's months in a row


def _red_streaks(month: date, listed: pd.DataFrame) -> dict[str, int]:
    """How many months in a row, up to ``month``, each company of this month's red list was on it (the marts count
    the black list's months, not the red's): read back a month at a time while any of them was still there."""
    streaks = {company: 1 for company in listed["company_id"]}
    going = set(streaks)
    for back in range(1, WALL_STREAK_MONTHS):
        earlier = data.q("company_rankings", month=(pd.Timestamp(month) - pd.DateOffset(months=back)).date())
        going &= set(earlier.loc[earlier["list"] == "red", "company_id"]) if not earlier.empty else set()
        if not going:
            break
        for company in going:
            streaks[company] += 1
    return streaks


def _wall_list(rows: pd.DataFrame, listed: str, streaks: dict[str, int], eligible: int, month: date,
               covered: Coverage) -> str:
    """One list on the wall: place, company, score (large), the move of its rank against last month (▲ up is
    better, green; ▼ red; 新进 when it was not ranked), months on this list in a row; the hover gives the
    score's parts and N (inspections, complaints, households) and says the move in words. Against a last month the
    data do not cover whole (``covered``) no move is shown (a grey —, as on 一屏总览), and a run of months that may
    have begun before the data reads 至少 N 个月 (:func:`onescreen.filters.streak_at_least`)."""
    out = []
    for place, (_, r) in enumerate(rows.iterrows(), start=1):
        change = r["rank_change"]
        move = lists.rank_change_text(change, r["previous_rank"])
        if covered.note:
            move, colour, words = "—", ui.FLAT_COLOUR, f"名次较上月：{covered.note}，不作比较"
        elif pd.isna(change):
            colour, words = ui.FLAT_COLOUR, "上月未参与排名" if pd.isna(r["previous_rank"]) else "上月名次不详"
        elif change == 0:
            colour, words = ui.FLAT_COLOUR, "名次与上月相同"
        else:
            up = change > 0
            colour = ui.GOOD_COLOUR if up else ui.BAD_COLOUR
            words = f"名次较上月{'上升' if up else '下降'} {abs(int(change))} 位（{ui.GOOD_WORD if up else ui.BAD_WORD}）"
        streak = int(streaks.get(r["company_id"], 0) or 0)
        floor = filters.streak_at_least(month, streak)
        which = "红榜" if listed == "red" else "黑榜"
        hover = (f"{r['company_name']}：{data.whole_area_name()}第 {int(r['rank'])} / {eligible} 名，总分 {r['score']:.1f}"
                 f"（考核得分 {r['inspection_score']:.1f}，考核 {int(r['inspection_count'])} 次；投诉得分 "
                 f"{r['complaint_score']:.1f}，物业投诉 {int(r['complaint_count'])} 件，管理 {ui.fmt_number(r['households'])} 户，"
                 f"每千户 {ui.fmt_number(r['complaints_per_1k_households'], 2)} 件）。{words}；"
                 + (f"至少连续 {streak} 个月上{which}（数据自 {covered.data_from:%Y-%m-%d} 起，此前是否上榜不详）。" if floor
                    else f"连续 {streak} 个月上{which}。"))
        cells = [(f"倒{place}" if listed == "black" else str(place), "os-wall-small"), (str(r["company_name"]), ""),
                 (f"{r['score']:.1f}", "os-wall-num"), (move, "os-wall-move"),
                 (f"至少 {streak} 个月" if floor else f"{streak} 个月" if streak >= 2 else "首次" if streak == 1 else "—",
                  "os-wall-small"),
                 (ui.fmt_number(r["complaints_per_1k_households"], 2), "os-wall-small os-wall-right")]
        html_row = wall_view.row(cells, hover)
        out.append(html_row.replace("<td class='os-wall-move'>", f"<td class='os-wall-move' style='color:{colour}'>", 1))
    return wall_view.table(out, "本月无企业上榜（符合排名条件的企业太少）。",
                           head=[("", ""), ("物业企业", ""), ("总分", "os-wall-num"), ("较上月", ""),
                                 ("连续上榜", ""), ("每千户投诉", "os-wall-num")], large=True)


def wall(f: filters.Filters, head: wall_view.Head) -> None:
    """The page on the wall (kiosk mode, the carousel): the month's red list (an honour list, gold) and black list
    (dark grey), ten each side by side, with the moves against last month and the months in a row explained, and
    the month's complaints. No widgets: the month is the big screen's."""
    month = f.month()
    rules = lists.rules_from_meta(data.q("mart_rules")) or load_rules()
    wall_view.header(head, f"{data.whole_area_name()} 物业红黑榜", wall_view.month_label(month))
    rankings = data.q("company_rankings", month=month)
    if rankings.empty:
        ui.empty_state("这个月没有物业企业数据：请先导入小区与物业、物业考核文件。")
        return
    eligible = int(rankings["is_eligible"].fillna(False).astype(bool).sum())
    red = rankings[rankings["list"] == "red"].sort_values("rank")
    black = rankings[rankings["list"] == "black"].sort_values("rank", ascending=False)  # the worst first
    streaks = {**_red_streaks(month, red),
               **dict(zip(black["company_id"], black["consecutive_black_months"].fillna(0).astype(int)))}
    covered = filters.last_month_coverage(month)
    honour_col, black_col = st.container(key="os_wall").columns(2, gap="medium")
    with honour_col:
        st.markdown("<span class='os-wall-head os-wall-honour'>红榜<small>总分最高 · 荣誉榜</small></span>"
                    + _wall_list(red, "red", streaks, eligible, month, covered), unsafe_allow_html=True)
    with black_col:
        st.markdown("<span class='os-wall-head os-wall-black'>黑榜<small>总分最低 · 最差在前</small></span>"
                    + _wall_list(black, "black", streaks, eligible, month, covered), unsafe_allow_html=True)
    before = data.q("company_rankings", month=(pd.Timestamp(month) - pd.DateOffset(months=1)).date())
    complaints = int(rankings["complaint_count"].sum())
    households = rankings["households"].sum()
    previous = int(before["complaint_count"].sum()) if not before.empty else None
    change = ui.change_text(None if previous is None else complaints - previous, up_is_good=False, unit=" 件",
                            against="较上月", digits=0, previous=covered, count=True)
    st.markdown(ui.tiles([
        ui.tile("参与排名企业", f"{eligible} / {len(rankings)} 家",
                note=f"红榜、黑榜各 {int(rankings['list_size'].max())} 家", help_text=koujing("red_black_list", rules)),
        ui.tile(f"物业投诉（{data.whole_area_name()}企业）", f"{complaints:,} 件", change=change,
                note=f"每千户 {ui.fmt_number(complaints * 1000 / households, 2) if households else '—'} 件",
                help_text=f"{len(rankings)} 家企业管理 {ui.fmt_number(households)} 户。"
                          + koujing("complaints_per_1k_households", rules)),
    ]), unsafe_allow_html=True)
    floors = any(filters.streak_at_least(month, n) for n in streaks.values())
    wall_view.note((rank_moves_note(covered) if covered.note else
                    "较上月：名次较上月的变化，▲ 上升（改善，绿）、▼ 下降（变差，红）、持平，新进排名为上月未参与排名。")
                   + "连续上榜：截至本月连续在该榜的月数"
                   + (f"；{streak_note(covered.data_from)}" if floors else "。")
                   + "每千户投诉 = 物业投诉 × 1000 ÷ 管理户数。"
                   f"入榜条件：管理户数 ≥ {rules.property_rules.min_households} 户且当月考核 ≥ "
                   f"{rules.property_rules.min_inspections} 次。悬停一行看总分的构成和 N。")


if ui.is_kiosk():
    wall_view.screen(wall, "还没有物业红黑榜：数据仓库里没有工单和考核记录。", ready=lambda: data.ticket_span() is not None)
    st.stop()

st.title("物业红黑榜")
f = filters.active()
span = data.ticket_span()
if f is None or span is None:
    ui.empty_state("还没有物业红黑榜：数据仓库里没有工单和考核记录。")
    st.stop()


def _list_header(title: str, subtitle: str, background: str, colour: str) -> None:
    st.markdown(f"<div style='background:{background};color:{colour};padding:6px 12px;border-radius:6px;"
                f"font-weight:700;font-size:1.15rem'>{html.escape(title)}"
                f"<span style='font-weight:400;font-size:0.85rem;margin-left:0.8rem'>{html.escape(subtitle)}</span>"
                "</div>", unsafe_allow_html=True)


def _mirror(name: str, value: str) -> None:
    """Keep a page choice in the URL (left out when it is the default), so the view can be shared."""
    if value and st.query_params.get(name) != value:
        st.query_params[name] = value
    elif not value and name in st.query_params:
        del st.query_params[name]


rules = lists.rules_from_meta(data.q("mart_rules")) or load_rules()  # the lists follow these
months = [d.date() for d in pd.date_range(span[0].replace(day=1), span[1], freq="MS")][::-1]
wanted = f.month()  # the lists are monthly by rule: a date range shows the month of its last day
asked = str(st.query_params.get("month", ""))
try:  # 2025-10 or 2025-10-01 (any day of the month)
    wanted = date.fromisoformat(asked + "-01" if len(asked) == 7 else asked).replace(day=1)
except ValueError:
    if asked:
        st.warning(f"地址中的月份“{ui.markdown_text(asked[:20])}”不是日期（应写作 2025-10）：显示{wanted.year}年{wanted.month}月。")
# The sidebar's period moved since the last run: this page's month follows it (it kept its own, so the
# two boxes could name different months).
if st.session_state.get("company_sidebar_month") not in (None, f.month()) and f.month() in months:
    st.session_state["company_month"] = wanted = f.month()
st.session_state["company_sidebar_month"] = f.month()
# The month the tickets stop in before its end: its lists are provisional (more complaints and inspections to come).
open_month = months[0] if months and filters.unfinished("month", months[0], span[1]) else None
month = st.selectbox("月份", months, index=months.index(wanted) if wanted in months else 0,
                     format_func=lambda d: f"{d.year}年{d.month}月" + ("（未结束）" if d == open_month else ""),
                     key="company_month", placeholder=ui.SEARCH_HINT)
_mirror("month", month.isoformat() if month != f.month() else "")
month_label = f"{month.year}年{month.month}月"  # the chosen month, not necessarily this one
if month == open_month:
    st.info(f"{month_label}尚未结束（工单只到 {span[1]:%m-%d}）：投诉和考核还会增加，得分和名次会变，月底后才是本月的红黑榜。",
            icon=":material/hourglass_top:")
rankings = data.q("company_rankings", month=month)
st.caption(f"{ui.as_of_caption(data.as_of())} · {data.whole_area_name()}物业企业（不受街道、社区筛选影响）")
if f.is_range:
    st.info(f"物业红黑榜按月评定，不能按自定义区间 {f.time_label()} 计算；默认显示区间最后一天所在的月份。",
            icon=":material/info:")
if rankings.empty:
    st.info("这个月没有物业企业数据。请先导入小区与物业、物业考核文件，或换一个月份。", icon=":material/info:")
    st.stop()

eligible = int(rankings["is_eligible"].fillna(False).astype(bool).sum())
list_size = int(rankings["list_size"].max()) if rankings["list_size"].notna().any() else 0
# Last month's ranks stand on its complaints: against a month the data begin inside (or after) no move is shown.
covered = filters.last_month_coverage(month)
if covered.note:
    st.caption(rank_moves_note(covered))
st.markdown(f"{month_label}共 {len(rankings)} 家企业，{eligible} 家符合排名条件，红榜、黑榜各 {list_size} 家"
            f"（min({rules.property_rules.list_size_max}, ⌊{eligible} ÷ {rules.property_rules.list_size_divisor}⌋)）。",
            help=koujing("red_black_list", rules))

honour_col, black_col = st.columns(2)
for column, listed, title, background, colour in (
        (honour_col, "red", "红榜", ui.HONOUR, "#1b1b1b"), (black_col, "black", "黑榜", ui.BLACKLIST, "#f0f0f0")):
    rows = rankings[rankings["list"] == listed]
    if listed == "black":
        rows = rows.sort_values("rank", ascending=False)  # the worst first
    with column:
        _list_header(title, "总分最高" if listed == "red" else "总分最低（最差在前）", background, colour)
        if rows.empty:
            st.caption(f"{month_label}无企业上榜（符合排名条件的企业太少）。")
        else:
            at_least = {c for c, n in zip(rows["company_id"], rows["consecutive_black_months"])
                        if pd.notna(n) and filters.streak_at_least(month, int(n))} if listed == "black" else set()
            order, columns = lists.ranking_columns(listed, previous=covered, at_least=bool(at_least))
            st.dataframe(lists.ranking_table(rows, previous=covered, at_least=at_least), hide_index=True,
                         placeholder=ui.MISSING, width="stretch", key=f"list_{listed}", column_order=order,
                         column_config=columns)

ineligible = lists.ineligible_table(rankings)
with st.expander(f"不参与排名的企业（{len(ineligible)} 家）及原因", expanded=False):
    if ineligible.empty:
        st.caption(f"{month_label}所有企业都参与排名。")
    else:
        st.caption(f"入榜条件：管理户数 ≥ {rules.property_rules.min_households} 户，"
                   f"当月考核 ≥ {rules.property_rules.min_inspections} 次。")
        st.dataframe(ineligible, hide_index=True, placeholder=ui.MISSING, width="stretch",
                     column_config=lists.ineligible_columns())

st.subheader("单个企业")
names = dict(zip(rankings["company_id"], rankings["company_name"]))
order = list(rankings["company_id"])
chosen = st.query_params.get("company_id", "")
company = st.selectbox("物业企业", order, index=order.index(chosen) if chosen in order else 0,
                       format_func=lambda c: names.get(c, c), key="company_pick", placeholder=ui.SEARCH_HINT)
_mirror("company_id", company if company != order[0] else "")
row = rankings[rankings["company_id"] == company].iloc[0]
tiles = st.columns(5)
tiles[0].metric("总分", ui.fmt_number(row["score"], 1),
                help=koujing("company_score", rules))
tiles[1].metric("名次", "不排名" if pd.isna(row["rank"]) else f"第 {int(row['rank'])} / {eligible} 名",
                delta=(f"— 名次较上月：{covered.mark}" if covered.note and pd.notna(row["rank"])
                       else None if covered.note or pd.isna(row["rank_change"])
                       else f"{int(row['rank_change']):+d} 名（较上月）" if row["rank_change"] else "持平（较上月）"),
                delta_color="off" if covered.note else "normal",
                delta_arrow="auto" if not covered.note and pd.notna(row["rank_change"]) and row["rank_change"] else "off")
tiles[2].metric("物业投诉", f"{int(row['complaint_count'])} 件",
                help=koujing("complaints_per_1k_households", rules))
tiles[3].metric("每千户投诉", ui.fmt_number(row["complaints_per_1k_households"], 2))
tiles[4].metric("管理户数", ui.fmt_number(row["households"]))
if isinstance(row["ineligible_reason"], str):
    st.caption(f"{month_label}不参与排名：{row['ineligible_reason']}")

history_col, compounds_col = st.columns([3, 2])
with history_col:
    st.markdown(f"**历月得分**（至{month_label}）")
    # Up to the chosen month: a later month (often the unfinished one) is not what the page is about.
    history = data.q("company_history", company_id=company, end=month)
    if history.dropna(subset=["score"]).empty:
        st.caption("这家企业还没有得分（没有考核记录）。")
    else:
        ui.plotly_chart(lists.company_history_figure(history, unfinished=open_month), width="stretch",
                        key="company_history")
with compounds_col:
    st.markdown(f"**各小区 {month_label} 物业投诉**")
    compounds = data.q("company_compound_complaints", company_id=company, month=month)
    if compounds.empty:
        st.caption("没有这家企业管理的小区记录。")
    else:
        order, columns = lists.compound_complaints_columns()
        picked = st.dataframe(lists.compound_complaints_table(compounds), hide_index=True, placeholder=ui.MISSING,
                              width="stretch", column_order=order, column_config=columns,
                              height=320, on_select="rerun", selection_mode="single-row", key="company_compounds")
        rows = picked.selection.rows if picked is not None else []
        categories = list(rules.property_rules.categories)
        if rows:
            compound = compounds.iloc[rows[0]]
            # The complaints the row counts (the rules' categories and appeal types), not every ticket of the category.
            link = {"period_type": "month", "period_start": month.isoformat(), "compound_code": compound["compound_code"],
                    "property_complaint": "1"}
            if len(categories) == 1:
                link["category"] = categories[0]
            ui.page_link("app_pages/tickets.py", icon=":material/list_alt:", query_params=link,
                         label=f"打开 {ui.markdown_text(compound.get('compound_name', compound['compound_code']))} "
                               f"{month_label}的{ui.markdown_text('、'.join(categories))}工单 →")
        else:
            st.caption(f"选中一个小区可打开它{month_label}的物业投诉工单（{ui.ROW_PICK_KEYS}）。")

with st.expander("口径"):
    for metric in ("company_score", "complaints_per_1k_households", "red_black_list", "rules_in_force"):
        st.markdown(f"- {koujing(metric, rules)}")
ui.rules_in_force(rules)
