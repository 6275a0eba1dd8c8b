"""工单明细: the tickets behind any number, with personal fields masked on the server, one ticket's
timeline, and CSV/XLSX downloads (masked, audited). Meeting tier: masked lists. Staff may reveal one
phone number of a ticket in their area with a reason; a user with the explicit ``export_unmasked``
permission may download unmasked, with a reason. Both are audited and neither is cached.

URL parameters (other pages link here with the shared filters, whose period or date range
``date_from``..``date_to`` sets the receipt dates, plus these): ``status`` =
all/open/overdue/near_deadline/returned/closed/voided (``onescreen.tickets.STATUSES``), ``range=all`` (every receipt date instead of the shared
filters' time), ``category_l2``, ``ticket_id`` (part of a ticket number), ``compound_code``,
``property_complaint=1`` (only the property complaints as 物业红黑榜 counts them) and ``unassigned`` =
street/community/grid/department/category (only the tickets of the area with no unit of that level: a
community's 未落格, ``onescreen.tickets.UNASSIGNED``). An older
``range=2025-10-01..2025-10-15`` is read as the shared date range (``onescreen.filters``).
"""

from __future__ import annotations

import streamlit as st

from onescreen import audit, auth, data, exports, filters, tickets, ui
from onescreen.figures import lists
from onescreen.koujing import koujing

st.title("工单明细")
f = filters.active()
if f is None or not data.available():
    ui.empty_state("还没有工单可以列出。")
    st.stop()


def _url(name: str, default: str = "") -> str:
    value = st.query_params.get(name, default)
    return value if isinstance(value, str) else default


def _mirror(name: str, value: str, default: str = "") -> None:
    """Keep a page choice in the URL (left out when it is the default), so the view can be shared."""
    if value and value != default:
        if st.query_params.get(name) != value:
            st.query_params[name] = value
    elif name in st.query_params:
        del st.query_params[name]


statuses = list(tickets.STATUSES)
wanted_status = _url("status", "all")
status_col, range_col, category_col, id_col = st.columns([2.8, 2.2, 1.8, 1.8])  # 所选：2026年11月 whole at 1440 px
status = status_col.radio("办理状态", statuses, horizontal=True, format_func=tickets.STATUSES.get, key="t_status",
                          index=statuses.index(wanted_status) if wanted_status in statuses else 0,
                          help="超期、临期、未办结为数据截至时的状态。已撤销：撤回或作废的工单，只计入受理量，"
                               "不计入任何办理数字，也不列入“已办结”。" + koujing("overdue_count"))
RANGES = {"period": f"所选：{f.time_label()}", "all": "不限"}
range_kind = "all" if _url("range") == "all" else "period"
range_kind = range_col.selectbox("受理时间", list(RANGES), index=list(RANGES).index(range_kind), format_func=RANGES.get,
                                 key="t_range_kind", placeholder=ui.SEARCH_HINT,
                                 help="所选：左侧筛选的“时间”（一个周期，或自定义区间，含起止当天）；不限：全部时间受理的工单。")
whole_period = range_kind == "all"
categories = data.q("ticket_categories", category_l1=f.category or None)
l2_options = [""] + sorted(set(categories["category_l2"]))
wanted_l2 = _url("category_l2")
category_l2 = category_col.selectbox("二级分类", l2_options, format_func=lambda v: v or "全部", key="t_category_l2",
                                     placeholder=ui.SEARCH_HINT,
                                     index=l2_options.index(wanted_l2) if wanted_l2 in l2_options else 0)
ticket_id = id_col.text_input("工单编号（包含）", value=_url("ticket_id"), key="t_ticket_id", max_chars=40,
                              placeholder="输入编号的一部分")
for name, value, default in (("status", status, "all"), ("range", "all" if whole_period else "", ""),
                             ("category_l2", category_l2, ""), ("ticket_id", ticket_id.strip(), "")):
    _mirror(name, value, default)

compound_code = _url("compound_code")  # set by links from 物业红黑榜 (one compound's complaints)
property_complaint = _url("property_complaint") == "1"  # (those links: the complaints the list counts)
# Set by 三率分析's 未落格 / 社区不明 / 街道不明 / 未分类 / 未注明承办单位 rows: the tickets of the area with no unit of that
# level. Dropped (and left out of the URL) when unknown, or when the sidebar now picks a unit of that level.
unassigned = tickets.unassigned_filter(f, _url("unassigned"))
_mirror("unassigned", unassigned)
unassigned_label = f"{filters.area_name(**f.scope())} · {tickets.UNASSIGNED[unassigned]}" if unassigned else ""
chosen = tickets.list_params(f, status=status, category_l2=category_l2, ticket_id=ticket_id, compound_code=compound_code,
                             property_complaint=property_complaint, unassigned=unassigned, whole_period=whole_period)
# The list in pages of PAGE_ROWS (the 页码 box under the table); other choices start again at page 1.
choice_key = repr(sorted((name, str(value)) for name, value in chosen.items()))
if st.session_state.get("t_page_of") != choice_key:
    st.session_state["t_page_of"] = choice_key
    st.session_state["t_page"] = 1
page = int(st.session_state.get("t_page") or 1)
params = {**chosen, "page": page}
frame = data.q("ticket_list", **params)
if frame.empty and page > 1:  # the list has since become shorter (a new load): back to its first page
    st.session_state["t_page"] = page = 1
    params = {**chosen, "page": page}
    frame = data.q("ticket_list", **params)
total = int(frame["total_count"].iloc[0]) if not frame.empty else 0
if whole_period:
    period_text = "全部时间受理"
else:
    period_text = f"{f.time_label()} 受理" if f.is_range else f"{f.time_label()}受理"
shared = " · ".join(x for x in (f.source, f.category) if x) or "全部来源和分类"
if compound_code:
    shared += f" · 小区 {compound_code}"
if property_complaint:
    shared += " · 物业投诉（按物业红黑榜口径）"
if unassigned:
    shared += f" · {unassigned_label}"
    note_col, clear_col = st.columns([5, 1], vertical_alignment="center")
    note_col.info(f"只列出 **{ui.markdown_text(unassigned_label)}**：{ui.markdown_text(filters.area_name(**f.scope()))}"
                  f"内{tickets.UNASSIGNED_NOTES[unassigned]}（三率分析分解表中的“{tickets.UNASSIGNED[unassigned]}”一行）。",
                  icon=":material/filter_alt:")
    clear_col.button("列出全部工单", key="t_unassigned_clear", on_click=lambda: st.query_params.pop("unassigned", None),
                     help=f"取消“{tickets.UNASSIGNED[unassigned]}”，列出左侧筛选范围内的全部工单。")
st.caption(f"{period_text} · {tickets.STATUSES[status]} · {ui.markdown_text(shared)}（来源、分类、区域在左侧筛选）· "
           f"{ui.as_of_caption(data.as_of())}")

if frame.empty:
    st.info("没有符合条件的工单。可以换一个状态、把受理时间改为“不限”或其他日期，或在左侧放宽筛选。", icon=":material/info:")
    st.stop()

pages = -(-total // tickets.PAGE_ROWS)
first_row = (page - 1) * tickets.PAGE_ROWS + 1
st.markdown(f"共 **{total:,}** 张工单" + (f"，第 {page}/{pages} 页：第 {first_row:,}–{first_row + len(frame) - 1:,} 张"
                                          if pages > 1 else "") + "。个人信息已脱敏。", help=koujing("ticket_masking"))
table = tickets.display_frame(frame)
order, columns = tickets.screen_columns(status, list(table.columns))
picked = st.dataframe(
    table, hide_index=True, placeholder=ui.MISSING, width="stretch", height=min(420, 38 + 35 * len(table)),
    on_select="rerun", selection_mode="single-row", column_order=order, column_config=columns,
    key=f"ticket_table_{page}",  # a row picked on one page is not picked on the next
)

if pages > 1:
    st.number_input("页码", min_value=1, max_value=pages, step=1, key="t_page",
                    help=f"每页 {tickets.PAGE_ROWS} 张，顺序与上表相同（点表头排序只排本页）；下载不分页，从第 1 张起"
                         f"（最多 {tickets.EXPORT_MAX_ROWS:,} 张）。")

export_params = {**params, "limit": tickets.EXPORT_MAX_ROWS, "page": 1}
# Downloads are built when clicked, outside this run: they get the access explicitly, and are built only while
# the users file still grants it (auth.guarded).
access = data.current_access()
identity = access.identity


def _download(kind: str, build) -> bytes:
    """Masked rows in the user's scope, audited (who, what, filter, rows)."""
    frame = tickets.display_frame(data.fetch("ticket_list", access, **export_params))
    audit.record("export", user=identity.name, role=identity.role, detail=f"工单明细 {kind}（已脱敏）",
                 filters=export_params, rows=len(frame))
    return build(frame)


# The area leads the name: downloads for two communities of one month are two files, not 工单明细_… and 工单明细_… (1).
area = unassigned_label.replace(" · ", "") if unassigned else filters.area_name(**f.scope())
stem = tickets.download_stem(area, period_text, chosen)
if total > tickets.EXPORT_MAX_ROWS:
    stem += f"_前{tickets.EXPORT_MAX_ROWS}张"
    st.warning(f"符合条件的工单共 {total:,} 张，超过单次下载的上限 {tickets.EXPORT_MAX_ROWS:,} 张：下载的是按当前顺序的前 "
               f"{tickets.EXPORT_MAX_ROWS:,} 张。请缩小时间或区域后分批下载。", icon=":material/warning:")
csv_col, xlsx_col, note_col = st.columns([1, 1, 3])
csv_col.download_button(
    "下载 CSV", auth.guarded(identity, lambda: _download("CSV", exports.to_csv_bytes), "工单明细 CSV 下载"),
    file_name=f"{stem}.csv", mime="text/csv", icon=":material/download:", key="t_csv", on_click="ignore")
xlsx_col.download_button(
    "下载 Excel", auth.guarded(identity, lambda: _download("Excel", lambda frame: exports.to_xlsx_bytes({"工单明细": frame})),
                             "工单明细 Excel 下载"),
    file_name=f"{stem}.xlsx", icon=":material/download:", key="t_xlsx", on_click="ignore",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
# Not "Excel 可直接打开" for the CSV: Excel shows 2025100100001 as 2.0251E+12, drops the digits of a longer ticket
# number past the 15th, and a CSV saved again from there keeps them lost (the import then refuses it).
note_col.caption(f"下载符合条件的全部工单（最多 {tickets.EXPORT_MAX_ROWS:,} 张），脱敏方式与屏幕相同。在 Excel 中查看请下载 Excel："
                 "其中工单编号是文本；CSV（带 BOM 的 UTF-8）供其他系统读取，用 Excel 直接打开时工单编号会变成科学计数法"
                 "（如 2.0251E+12），另存后无法还原。")

if identity.can("export_unmasked"):
    with st.expander("未脱敏导出（需要说明理由，记入审计日志）"):
        reason = st.text_input("导出理由", key="t_unmasked_reason", max_chars=100,
                               placeholder="如：按区纪委函（2025）12 号调取原始工单")


        def _unmasked() -> bytes:
            frame = tickets.display_frame(data.fetch_unmasked("ticket_list", access, **export_params))
            audit.record("export_unmasked", user=identity.name, role=identity.role,
                         detail=f"工单明细 Excel（未脱敏）；理由：{reason.strip()}", filters=export_params, rows=len(frame))
            return exports.to_xlsx_bytes({"工单明细（未脱敏）": frame}, mask=False)

        st.download_button("下载未脱敏 Excel", auth.guarded(identity, _unmasked, "未脱敏导出"), file_name=f"{stem}_未脱敏.xlsx", icon=":material/warning:", key="t_unmasked",
                           on_click="ignore", disabled=len(reason.strip()) < 4,
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        st.caption("只在确有需要时使用；文件含完整个人信息，按规定保管。理由至少 4 个字。")

st.subheader("工单时间线")
rows = picked.selection.rows if picked is not None else []
if rows:
    selected = frame.iloc[rows[0]]
elif total == 1:
    selected = frame.iloc[0]
else:
    selected = None
    st.caption(f"在上表中选中一行（{ui.ROW_PICK_KEYS}；或按工单编号搜到唯一一张），查看它从受理到回访的时间线。")
if selected is not None:
    steps = tickets.timeline(selected.to_dict())
    # st.text, not markdown: these strings come from the exports.
    st.text(" · ".join(x for x in (selected["ticket_id"], selected["category_l1"], selected["category_l2"],
                                   tickets.state_label(selected.to_dict())) if isinstance(x, str)))
    still_open = tickets.state_label(selected.to_dict()) in tickets.STATES[:4]  # 已退单, 超期, 临期, 办理中
    ui.plotly_chart(lists.ticket_timeline_figure(steps, open_at=data.as_of() if still_open else None), width="stretch",
                    key="ticket_timeline")
    # Half the page for the steps: a note such as "临期，剩余 0.7 个工作日" was cut off in two fifths of it.
    left, right = st.columns(2)
    left.dataframe(steps.rename(columns={"step": "环节", "at": "时间", "note": "说明"}), hide_index=True,
                   placeholder=ui.MISSING, width="stretch", key="ticket_steps",
                   column_config={"环节": st.column_config.TextColumn(width=100),
                                  "时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", width=128)})
    content = selected.get("content")
    right.markdown("**诉求内容（脱敏摘要）**")
    right.text(content if isinstance(content, str) and content else "（无）")
    if identity.can("reveal_phone"):
        with right.expander("查看完整联系电话（本辖区负责人，需说明理由，记入审计日志）"):
            reason = st.text_input("理由", key="t_reveal_reason", max_chars=100, placeholder="如：回访核实办理结果")
            if st.button("显示完整电话", key="t_reveal", disabled=len(reason.strip()) < 4):
                try:
                    phone = data.reveal_phone(access, str(selected["ticket_id"]), reason.strip())
                except data.AccessError as error:
                    st.error(ui.markdown_text(str(error)))   # it may quote the ticket number
                else:
                    # Shown for this run only: not cached, not kept in the session.
                    st.text(f"联系电话：{phone or '（导出中没有电话）'}")
    if bool(selected.get("has_timeline_error")):
        right.warning("这张工单的时间顺序不合理（如办结早于受理），不计入办理时长统计。")
