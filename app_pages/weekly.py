"""周报: the review pack for one ISO week (default: the last complete week in the data), month or quarter,
for the area in the shared filters, with the same pack as HTML (offline, A4), XLSX and JSON downloads.

All figures come from ``onescreen.report.build_report`` (named queries over the marts), so they equal the
other pages'. The oldest open tickets are masked (no caller, phone or content; address cut to compound).
"""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from onescreen import auth, data, filters, ui
from onescreen.figures import lists
from onescreen.report import COLUMN_LABELS, KINDS, Period, ReportError, build_report, data_span, default_period, \
    parse_period, period_options
from onescreen.report_charts import report_figures
from onescreen.report_render import FORMATS, empty_text, display_frame, downloaded, file_name, kpi_display_frame, kpi_headers, \
    number_formats, signed_formats

KIND_LABELS = {"week": "周报（周例会）", "month": "月报（月分析）", "quarter": "季报（季调度）"}
# Short labels, the detail in one line under the buttons: four buttons in a row at 1366 px and 125% zoom cut the long
# labels ("下载 HTML 报告（可离线…"). (Not in each button's help: Streamlit 1.67 draws a download button with help twice
# in the page, one copy for its tooltip, and a hover text is out of reach of touch screens and keyboards.)
FORMAT_LABELS = {"html": "下载 HTML 报告", "xlsx": "下载 XLSX", "docx": "下载 Word", "json": "下载 JSON"}
FORMAT_HELP = {"html": "可离线打开、A4 打印", "xlsx": "每部分一张表", "docx": "可编辑，不含图表", "json": "供其他系统使用"}

st.title("周报")
f = filters.active()
if f is None or not data.available():
    ui.empty_state("还没有周报：数据仓库里没有工单。")
    st.stop()


class _PageSource:
    """The report's queries through ``onescreen.data``: cached, and limited to this user's scope and tier."""

    def query(self, name: str, **params) -> pd.DataFrame:
        return data.q(name, **params)

    def sql(self, statement: str, params: list | None = None) -> pd.DataFrame:
        return data.sql(statement, params)

    def run_together(self, jobs):
        return data.run_together(jobs)


source = _PageSource()
span = data_span(source)
if span is None:
    ui.empty_state("还没有周报：数据仓库里没有工单。")
    st.stop()
as_of, first = span

# ?report=2025-W41 (or 2025-10, 2025Q4) opens that pack, so a link can be sent before the meeting.
wanted: Period | None = None
try:
    wanted = parse_period(str(st.query_params.get("report", ""))) if st.query_params.get("report") else None
except ReportError:
    wanted = None
kinds = list(KINDS)
# ?report_kind=quarter: the latest pack of a kind (the default period moves on with the data; ?report pins one).
wanted_kind = wanted.kind if wanted else st.query_params.get("report_kind", kinds[0])
kind = st.radio("报告类型", kinds, index=kinds.index(wanted_kind) if wanted_kind in kinds else 0,
                format_func=KIND_LABELS.get, horizontal=True, key="weekly_kind")
options = period_options(as_of, first, kind)
default = default_period(as_of, kind, first)
chosen = wanted if wanted is not None and wanted.kind == kind and wanted in options else default
period = st.selectbox("周期", options, index=options.index(chosen) if chosen in options else 0,
                      format_func=lambda p: p.label + ("（未结束）" if p.end > as_of.date() else ""),
                      key=f"weekly_period_{kind}", placeholder=ui.SEARCH_HINT)
if period == default:
    st.query_params.pop("report", None)
    if kind == kinds[0]:
        st.query_params.pop("report_kind", None)
    elif st.query_params.get("report_kind") != kind:
        st.query_params["report_kind"] = kind  # 季报 chosen: the address says so (it fell back to 周报)
else:
    st.query_params.pop("report_kind", None)
    if st.query_params.get("report") != period.code:
        st.query_params["report"] = period.code

try:
    with st.spinner("正在汇总……"):
        report = build_report(source, period, street_code=f.street_code or None,
                              community_code=f.community_code or None)
except ReportError as error:
    st.info(ui.markdown_text(str(error)), icon=":material/info:")   # plain text (it names codes and tables)
    st.stop()
meta = report.meta

if meta.get("data_to"):  # under way: its days so far against the same days (the labels name them)
    compared = (f"对比：{meta['previous_label']}、{meta['yoy_label']} · 本周期尚未结束（工单只到 {meta['data_through']}），"
                "与相同天数比较")
else:
    compared = f"上期：{meta['previous_label']} · 去年同期：{meta['yoy_label']}" + (
        "" if meta["is_complete"] else " · 本周期尚未结束")
st.caption(f"{ui.as_of_caption(as_of)} · 范围：{ui.markdown_text(meta['scope_name'])}（侧栏筛选街道、社区）· {compared}"
           + (f" · 已导入的工单从 {meta['data_from']:%Y-%m-%d} 起受理，本期只含其后的部分" if meta.get("data_from") else "")
           + (f" · {meta['previous_note']}" if meta.get("previous_note") else "")
           + (f" · {meta['yoy_note']}" if meta.get("yoy_note") else ""))
if f.grid_code:
    st.caption("周报按街道或社区汇总：已选的网格不单独出报告，以下为其所在社区。")

# Rendered only when clicked (the HTML inlines plotly.js, about 5 MB), from the figures shown here; built outside
# this run, so they get the identity explicitly, and only while the users file still grants it (auth.guarded).
identity = data.current_access().identity
shown_filters = {"report": period.code, "street_code": f.street_code, "community_code": f.community_code}
columns = st.columns(len(FORMATS))
for column, fmt in zip(columns, FORMATS):
    build = functools.partial(downloaded, report, fmt, user=identity.name, role=identity.role, filters=shown_filters)
    column.download_button(
        FORMAT_LABELS[fmt], data=auth.guarded(identity, build, f"周报 {FORMAT_LABELS[fmt].removeprefix('下载 ')}"),
        file_name=file_name(report, fmt), mime=FORMATS[fmt][0], key=f"weekly_download_{fmt}", on_click="ignore")
st.caption("；".join(f"{FORMAT_LABELS[fmt].removeprefix('下载 ')}：{FORMAT_HELP[fmt]}" for fmt in FORMATS))


# Sections whose tables are wider than the page at 1440 px: the columns a meeting reads first, at widths that keep
# them side by side (the downloads keep the report's order). The lights tables fit whole in the page's 978 px, as
# 亮灯地图's does: 网格 names the community (lists.grid_with_community), so no 社区 column, and no 网格编号 (the
# downloads keep both: SCREEN_LEFT_OUT); the rate's N beside it as "N".
SECTION_COLUMNS: dict[str, tuple[list[str], dict]] = {
    "light_changes": (["变化", "网格", "灯", "上期灯", "亮灯依据", "按期办结率（%）", "N（到期或办结）", "超期", "连续红灯期数",
                       "街道"],
                      {"变化": st.column_config.Column(width=52), "灯": st.column_config.Column(width=52),
                       "上期灯": st.column_config.Column(width=60), "亮灯依据": st.column_config.Column(width=280),
                       "按期办结率（%）": st.column_config.Column("按期办结率", width=84, help="按期办结率（%）"),
                       "N（到期或办结）": st.column_config.Column("N", width=48, help="N（到期或办结）：按期办结率的分母（件）"),
                       "超期": st.column_config.Column(width=48),
                       "连续红灯期数": st.column_config.Column("连续红灯", width=72, help="连续红灯期数"),
                       "街道": st.column_config.Column(width=88)}),
    "yellow_lights": (["变化", "网格", "连续黄灯期数", "上期灯", "亮灯依据", "按期办结率（%）", "N（到期或办结）", "超期", "临期",
                       "街道"],
                      {"变化": st.column_config.Column(width=52), "上期灯": st.column_config.Column(width=60),
                       "连续黄灯期数": st.column_config.Column("连续黄灯", width=72, help="连续黄灯期数"),
                       "亮灯依据": st.column_config.Column(width=280),
                       "按期办结率（%）": st.column_config.Column("按期办结率", width=84, help="按期办结率（%）"),
                       "N（到期或办结）": st.column_config.Column("N", width=48, help="N（到期或办结）：按期办结率的分母（件）"),
                       "超期": st.column_config.Column(width=48), "临期": st.column_config.Column(width=48),
                       "街道": st.column_config.Column(width=88)}),
    "oldest_open": (["工单编号", "受理时间", "超期（工作日）", "剩余（工作日）", "一级分类", "二级分类", "网格", "承办单位",
                     COLUMN_LABELS["address"], "办理时限", "是否超期", "工单状态", "诉求来源", "诉求类型", "社区", "街道"],
                    {"工单编号": st.column_config.Column(width=136, pinned=True),
                     "受理时间": st.column_config.Column(width=128),
                     "超期（工作日）": st.column_config.Column("超期工作日", width=86, help="超期的工作日数"),
                     "剩余（工作日）": st.column_config.Column("剩余工作日", width=86,
                                                        help="距办理时限还剩的工作日数（尚未超期的工单）"),
                     "一级分类": st.column_config.Column(width=76), "二级分类": st.column_config.Column(width=92),
                     "办理时限": st.column_config.Column(width=128)}),
    # 重复诉求 as the heat page shows it: the receipt days (the gap is in days; the downloads keep the minute), 网格
    # naming the community, short headers with the unit in the hover.
    "repeat_callers": (["来电人", "一级分类", "重复（件）", "最短间隔（天）", "原诉求工单", "原诉求受理", "最近工单", "最近受理",
                        "网格", "街道"],
                       {"来电人": st.column_config.Column(width=88), "一级分类": st.column_config.Column(width=80),
                        "重复（件）": st.column_config.Column("重复", width=48, help="重复诉求件数（件）"),
                        "最短间隔（天）": st.column_config.Column("最短间隔", width=72,
                                                            help="同类诉求两次来电的最短间隔（自然日，天）"),
                        "原诉求工单": st.column_config.Column(width=130), "原诉求受理": st.column_config.Column(width=92),
                        "最近工单": st.column_config.Column(width=130), "最近受理": st.column_config.Column(width=92),
                        "街道": st.column_config.Column(width=88)}),
}

# Columns left off a section's table on screen (still in the downloads): said by another column.
SCREEN_LEFT_OUT: dict[str, tuple[str, ...]] = {"light_changes": ("社区", "网格编号"), "yellow_lights": ("社区", "网格编号"),
                                               "repeat_callers": ("社区",)}
# Times shown as their day on screen (the section's sentence or another column says why the minute is not needed).
SCREEN_DAYS: dict[str, tuple[str, ...]] = {"repeat_callers": ("原诉求受理", "最近受理")}


def section_columns(key: str, frame: pd.DataFrame, shown: list[str],
                    labels: dict[str, str] | None = None) -> tuple[list[str] | None, dict]:
    """The column order and configuration of a section's table (``shown``: its ``display_frame``'s columns): its
    numbers shown as the HTML report rounds them (``number_formats``), the section's screen columns
    (:data:`SECTION_COLUMNS`) over them."""
    order, screen = SECTION_COLUMNS.get(key, (None, {}))
    if order is not None:
        left_out = SCREEN_LEFT_OUT.get(key, ())
        order = [c for c in order if c in shown] + [c for c in shown if c not in order and c not in left_out]
    config = {label: st.column_config.NumberColumn(format=fmt) for label, fmt in number_formats(frame, labels).items()}
    for label, extra in screen.items():  # a label, width or help of the section's own, the number format kept
        config[label] = {**config.get(label, {}), **{k: v for k, v in extra.items() if v is not None}}
    return order, config


def _table(key: str, frame: pd.DataFrame, labels: dict[str, str] | None = None) -> None:
    """A section's table (``display_frame``) in its columns (:func:`section_columns`); ``labels``: the section's own
    headers (a period under way: 上月同期受理量)."""
    shown = display_frame(frame, labels)
    if "社区" in SCREEN_LEFT_OUT.get(key, ()) and {"网格", "社区"} <= set(shown.columns):  # the community in 网格
        shown["网格"] = [lists.grid_with_community(g, c) for g, c in zip(shown["网格"], shown["社区"])]
    for column in SCREEN_DAYS.get(key, ()):
        if column in shown:
            shown[column] = [None if v is None else str(v)[:10] for v in shown[column]]
    order, columns = section_columns(key, frame, list(shown.columns), labels)
    signed = signed_formats(frame, labels)  # changes as +19 and −3: a Styler's text over the numbers (a printf format writes -3)
    st.dataframe(shown.style.format(signed, na_rep=ui.MISSING) if signed else shown, hide_index=True, placeholder=ui.MISSING, key=f"weekly_{key}", column_order=order,
                 column_config=columns)


figures = report_figures(report)
kpis = report.sections["kpis"]
st.subheader(kpis.title)
st.caption(kpis.note)
# Each row has its own unit (件, %, 个工作日, and changes in 个百分点), so its cells stay text, right-aligned like numbers.
headers = kpi_headers(meta)  # 本期, 上期 (or 上月同期 ...), 去年同期 are the value columns
kpi_table = kpi_display_frame(kpis.frame, headers, report.previous, report.year_ago)
# A value column, sized by Streamlit from the short rates, cut 平均办理时长's "2.94 个工作日": to "工作日" on a phone or
# tablet (390 and 768 px), to ".61 个工作日" at 1440 px with the sidebar open. A fixed width gives it room everywhere.
value_width = 112
value_columns = (headers[1], headers[2], headers[4])
# Every row in view: at Streamlit's default height the last two (吹哨报到, 联合会商) were below the fold of the table.
st.dataframe(kpi_table, hide_index=True, placeholder=ui.MISSING, key="weekly_kpis", height=35 * (len(kpi_table) + 1) + 3,
             column_config={h: st.column_config.TextColumn(
                 alignment="right", width=value_width if h in value_columns else None)
                 for h in kpi_table.columns[1:]})
for key, section in report.sections.items():
    if key == "kpis":
        if "kpis" in figures:
            ui.plotly_chart(figures["kpis"], key="weekly_chart_kpis")
        continue
    st.subheader(section.title)
    if section.note:
        st.caption(section.note)
    if key in figures:
        ui.plotly_chart(figures[key], key=f"weekly_chart_{key}")
    if key == "koujing":
        for row in section.frame.itertuples():
            st.markdown(f"- **{ui.markdown_text(row.label)}**：{ui.markdown_text(row.text)}")  # 138****5678
    elif section.frame.empty:
        st.caption(empty_text(section))
    else:
        _table(key, section.frame, section.labels)
