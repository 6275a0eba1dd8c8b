"""数据导入: upload exports, see what each was recognised as, fix the column mapping, preview, check
(a dry run of the real load), load with progress, and undo a batch. The same load path as
``python -m etl load``; every decision lives in ``onescreen/upload.py``, this page renders it.

Session state keys (all ``up_``): ``up_session`` uploads folder id; ``up_saved`` uploader file id ->
saved path or refusal (the file is deleted once loaded or removed from the uploader); ``up_cache`` read
tables and sheet lists; ``up_checked`` (choices, check result); ``up_result`` the last load's report;
``up_undo`` the batch awaiting confirmation; ``up_notice`` a message for the next run; ``up_round``
bumped after a load so the uploader starts empty.
Undo is confirmed with a second button rather than ``st.dialog``: the same in a browser and in AppTest.
"""

from __future__ import annotations

import dataclasses
import math

import streamlit as st

from etl.errors import LoadError
from etl.fields import SOURCES
from etl.load import FileOptions, rollback
from etl.staging import DATE_ORDERS, shown_header
from onescreen import audit, data, db, settings, ui, upload

UNDO_SHOWN = 10
MODES = {"none": "不导入任何数据（默认）：修正文件后重新上传", "skip": "只导入没有问题的行：有问题的行可下载（已脱敏），按行号在原文件中修正后重新上传原文件"}
state = st.session_state

st.title("数据导入")
identity = data.current_access().identity
if not identity.can("upload"):  # app.py already leaves the page out of the navigation
    st.error("只有数据分析员和管理员可以导入数据。")
    st.stop()
if not db.warehouse_exists() or upload.is_empty():   # a deployment starts with an empty warehouse (python -m etl init)
    created = "" if db.warehouse_exists() else "第一次导入会创建它。"
    st.info(f"数据仓库还是空的：{created}请先导入网格定义、小区与物业，再导入 12345 / 网格平台工单，工单才能落到网格"
            f"{ui.demo_hint()}。", icon=":material/info:")
st.caption("先导入网格和小区，再导入 12345 与网格平台工单（同一次上传会自动按此顺序导入）。"
           "导入期间其他人可以照常查看；导入完成后，其他页面随即显示新数据，无需刷新浏览器（大屏在下一次定时刷新时换上）。")
if notice := state.pop("up_notice", None):
    st.success(notice)

# Every name on this page comes from the user's files (file, sheet and header names, and the ETL's messages quoting
# them): it goes through ui.markdown_text before it reaches Markdown, so 2025*11*月.csv is not shown as emphasis.
md = ui.markdown_text


def error_box(message: str) -> None:
    """An ETL message (a LoadError's, plain text that names files, sheets and headers) in a red box, as written."""
    st.error(md(upload.page_text(message)))


def notes_box(file_name: str, notes: list[str]) -> None:
    """A file's warnings in a yellow box naming the file (:func:`onescreen.upload.notes_text`)."""
    st.warning(upload.notes_text(md(file_name), [md(n) for n in notes]))


def show_problems(problems, total: int) -> None:
    st.dataframe(upload.problems_frame(problems), hide_index=True, placeholder=ui.MISSING, width="stretch")
    if total > len(problems):
        st.caption(f"还有 {total - len(problems)} 处未列出。")


def rejects_download(item, key: str) -> None:
    if item.rejects_path and item.rejects_path.exists():
        st.download_button(f"下载被拒收的行（{md(item.rejects_path.name)}，含原因，已脱敏）", item.rejects_path.read_bytes(),
                           file_name=item.rejects_path.name, mime="text/csv", key=key)


if report := state.get("up_result"):
    with st.container(border=True):
        st.subheader("导入结果")
        for i, item in enumerate(report.files):
            (st.info if item.status == "already_loaded" else st.success)(md(upload.file_summary(item)))
            # What the analyst must notice (未落格, 双派单, damaged phone numbers ...) in a yellow box naming the file;
            # what was left out on purpose (personal, unused columns) stays a grey line, so a clean load stays green.
            notable, quiet = upload.load_notes(item)
            if notable:
                notes_box(item.file_name, notable)
            for note in quiet:
                st.caption(f"提示：{md(note)}")
            rejects_download(item, f"up_rejects_result_{i}")
        for warning in report.warnings:
            st.warning(md(warning))
        if report.as_of:
            st.markdown(f"**数据截至 {report.as_of:%Y-%m-%d %H:%M}**")


def cached(key: tuple, compute):
    store = state.setdefault("up_cache", {})
    if key not in store:
        try:
            store[key] = compute()
        except LoadError as error:
            store[key] = error
    return store[key]


def file_section(path) -> FileOptions | None:
    """Recognition, mapping and preview of one file; its load options, or None while it cannot load."""
    key = upload.file_key(path)
    with st.container(border=True):
        st.markdown(f"**{md(path.name)}**")
        sheets = cached(("sheets", str(path)), lambda: upload.sheet_names(path))
        sheet = (st.selectbox("工作表", list(sheets), format_func=sheets.get, key=f"up_sheet_{key}",
                              placeholder=ui.SEARCH_HINT)
                 if isinstance(sheets, dict) and len(sheets) > 1 else None)
        raw = cached(("raw", str(path), sheet), lambda: upload.read_upload(path, sheet))
        if isinstance(raw, LoadError):
            error_box(str(raw))
            unreadable.append(path.name)
            return None
        labels = {"": "自动识别", **{name: source.label for name, source in SOURCES.items()}}
        picked = st.selectbox("来源类型", list(labels), format_func=labels.get, key=f"up_source_{key}",
                              placeholder=ui.SEARCH_HINT)
        auto = upload.plan(raw, picked or None)
        source, fields = auto.source.name, list(auto.source.headers)

        def widget(field: str) -> str:
            return f"up_map_{key}_{source}_{field}"

        chosen = {f: state.get(widget(f), auto.mapping.get(f, "")) for f in fields}
        touched = any(chosen[f] != auto.mapping.get(f, "") for f in fields)
        overrides = upload.overrides_for(raw, chosen) if touched else None
        plan = upload.plan(raw, source, overrides) if touched else auto
        # A file with no column of any known export (a staff roster, meeting notes) is said to be so, its mapping
        # closed: "识别为 12345热线工单" with 27 column pickers open was a guess. A source picked by hand still works.
        unknown = plan.unknown
        st.caption(f"{'看不出来源类型' if unknown else f'识别为 **{plan.source.label}**'} · 编码 {raw.encoding or '—'} · "
                   f"表头在第 {raw.header_row} 行 · 工作表 {md(raw.sheet_name or '—')} · "
                   f"{cached(('rows', str(path), sheet), lambda: upload.rows_text(raw))}")
        if others := upload.other_sheets_text(raw):
            st.warning(md(others))
        if unknown:
            st.warning(md(upload.unknown_message(plan)))
        else:
            st.markdown("列对应：" + md(upload.mapping_text(plan)))
        if plan.missing and not unknown:
            st.warning(md(upload.missing_message(plan)))
        if plan.personal_ignored:
            st.caption(f"以下个人信息列不会保存：{md('、'.join(plan.personal_ignored))}")
        if ignored := plan.ignored_text():
            st.caption(md(ignored.removesuffix("。")))   # the page's captions end without one
        doubled = sorted({h for h in chosen.values() if h and list(chosen.values()).count(h) > 1})
        if doubled:  # (a header row that holds data names its columns by position: a cell may be a name)
            doubled = [shown_header(raw.headers, h) for h in doubled]
            st.warning(f"列 {md('、'.join(doubled))} 被选给了多个字段，只有一个会生效，请改正。")
        with st.expander("修改列对应（字段 ← 文件表头）", expanded=bool(plan.missing) and not unknown):
            options = upload.column_options(raw, auto.mapping)
            columns = st.columns(3)
            for i, field in enumerate(fields):
                mark = "（必填）" if field in plan.required else ""
                label = upload.field_label(plan.source, field)
                current = chosen[field] if chosen[field] in options else ""
                columns[i % 3].selectbox(f"{label}{mark}", options, index=options.index(current),
                                         format_func=lambda h: upload.column_choice_text(raw, h), key=widget(field),
                                         placeholder=ui.SEARCH_HINT)
        if untold := cached(("untold", str(path), sheet, repr(plan.mapping)), lambda: upload.untold_date_columns(plan)):
            remembered = cached(("remembered", str(path), sheet, plan.source.name), lambda: upload.remembered_order(plan))
            plan = dataclasses.replace(plan, date_order=date_order_choice(untold, remembered, key))
        with st.expander(f"预览前 {upload.PREVIEW_ROWS} 行（入库后的样子：日期已解析，个人信息已脱敏）"):
            try:  # two same-named columns that both have data: the user picks one above
                st.dataframe(upload.preview(plan), hide_index=True, placeholder=ui.MISSING, width="stretch")
            except LoadError as error:
                error_box(str(error))
    if plan.missing:
        return None
    return FileOptions(source=source if picked or touched else None, overrides=overrides, sheet=sheet,
                       date_order=plan.date_order)


def date_order_choice(untold: list[str], remembered: tuple[str, str, int] | None, key: str) -> str | None:
    """Ask how to read dates such as 04/11/2026 that nothing in the file tells the order of; None: as the
    last loaded file of the same template was read (``remembered``, :func:`onescreen.upload.remembered_order`;
    refused when there is none)."""
    automatic = (f"同上次（按此前导入的同格式文件 {md(remembered[1])}：{DATE_ORDERS[remembered[0]]}）" if remembered
                 else "不指定（这些日期将被拒收）")
    labels = {"": automatic, **{order: f"{words}（04/11/2026 是 {'11月4日' if order == 'day' else '4月11日'}）"
                                for order, words in DATE_ORDERS.items()}}
    chosen = st.radio("日期顺序", list(labels), format_func=labels.get, key=f"up_date_order_{key}", horizontal=True,
                      help="形如 04/11/2026 的日期可以是 11月4日（日/月/年），也可以是 4月11日（月/日/年）。"
                           "文件中有大于 12 的日或带 AM/PM 的时间时按文件判断，不必选择。")
    st.caption(f"列{'、'.join(f'「{md(h)}」' for h in untold)}中形如 04/11/2026 的日期，"
               "文件本身看不出是“日/月/年”还是“月/日/年”：请按导出系统的写法选择。")
    return chosen or None


def user_name() -> str:
    """The logged-in user, recorded as the batch's loaded_by and in the audit log."""
    return identity.name


def run_load(options: dict, skip_bad_rows: bool, allow_unknown_places: bool = False) -> None:
    bar = st.progress(0.0, text="开始导入……")
    try:
        report = upload.load(options, skip_bad_rows, upload.LoadProgress(len(options), lambda f, t: bar.progress(f, text=t)),
                             loaded_by=user_name(), allow_unknown_places=allow_unknown_places)
    except LoadError as error:
        bar.empty()
        error_box(error.summary if error.problems else str(error))
        if error.problems:
            show_problems(error.problems, error.total)
        return
    audit.record("upload", user=identity.name, role=identity.role,
                 detail="；".join(upload.file_summary(item) for item in report.files),
                 rows=sum(item.inserted + item.updated for item in report.files))
    state["up_result"] = report
    for path in options:  # loaded: the raw exports (names, phones, ID numbers) leave the disk
        upload.discard_upload(path)
    for name in ("up_checked", "up_saved", "up_cache"):
        state.pop(name, None)
    state["up_round"] = state.get("up_round", 0) + 1
    st.rerun()


def check_section(options: dict) -> None:
    signature = repr(sorted((str(p), o.source, sorted((o.overrides or {}).items()), o.sheet, o.date_order)
                            for p, o in options.items()))
    if st.button("检查", type="primary", key="up_check", help="在数据副本上试导入：找出所有问题，不写入任何数据"):
        with st.spinner("正在检查（在数据副本上试导入，不写入任何数据）……"):
            try:
                state["up_checked"] = (signature, upload.check(options))
            except LoadError as error:
                state["up_checked"] = (signature, error)
    checked = state.get("up_checked")
    if not checked:
        st.caption("导入前请先检查：找出每一处问题（行、列、值、怎么改），这一步不写入任何数据。")
        return
    if checked[0] != signature:
        st.caption("文件或列对应有变化，请重新检查。")
        return
    result = checked[1]
    if isinstance(result, LoadError):
        error_box(str(result))
        return
    foreign = upload.foreign_places(result)  # another area's export: first, in red, before any file's lines
    for message in foreign:
        st.error(md(message), icon=":material/error:")
    for i, item in enumerate(result.files):
        if item.status == "already_loaded":
            st.info(md(upload.file_summary(item)))
        elif item.problem_total:
            # What the other rows would do and what the load would warn about, as for a clean file: the choice
            # below (只导入没有问题的行) is made on it, and a warning read only after the load takes an undo.
            st.warning(f"{md(item.file_name)}：有 {item.problem_total} 处问题（{item.rejected} 行），"
                       f"其余 {item.rows_read - item.rejected:,} 行没有问题；只导入这些行时新增 {item.inserted:,}，"
                       f"更新 {item.updated:,}，未变 {item.unchanged:,}。")
            show_problems(item.problems, item.problem_total)
            rejects_download(item, f"up_rejects_check_{i}")
        elif not item.foreign_places:  # another area's export is never 检查通过: said below as an error
            st.success(f"{md(item.file_name)}：检查通过，{item.rows_read:,} 行，导入后新增 {item.inserted:,}，"
                       f"更新 {item.updated:,}，未变 {item.unchanged:,}。")
        if item.status != "already_loaded" and (notes := upload.check_notes(item)):  # before the load, not after
            notes_box(item.file_name, notes)
    has_problems = any(item.problem_total for item in result.files)
    mode = st.radio("有问题的行", list(MODES), format_func=MODES.get, key="up_mode") if has_problems else "none"
    confirmed = bool(foreign) and st.checkbox(upload.FOREIGN_CONFIRM, key="up_foreign")
    if all(item.status == "already_loaded" for item in result.files):
        st.info("这些文件都已导入过，再次导入不会做任何改动。")
    if st.button("导入", type="primary", key="up_load",
                 disabled=(has_problems and mode == "none") or (bool(foreign) and not confirmed)):
        run_load(options, skip_bad_rows=mode == "skip", allow_unknown_places=confirmed)


limit_mb = settings.upload_limit_bytes() / 1048576
# No ``type`` filter and the server's larger upload limit (.streamlit/config.toml): the browser refused a .docx or a
# file over the limit with English hover text; here each file reaches the page's own checks, which say in Chinese
# what is wrong with it (the content decides the format, not the name). Only files over the server's limit are
# still refused by the browser: the caption says so in Chinese.
server_mb = max(math.ceil(limit_mb), st.get_option("server.maxUploadSize"))
files = st.file_uploader(f"选择导出文件（CSV、XLSX 或 GeoJSON，可多选；每个文件不超过 {limit_mb:g} MB）",
                         accept_multiple_files=True, key=f"up_files_{state.get('up_round', 0)}",
                         max_upload_size=server_mb)
st.caption(f"超过 {server_mb:g} MB 的文件上传框会直接拒收（显示英文提示“File must be {server_mb:.1f}MB or smaller.”）："
           "请按时间段分成几个较小的文件再上传。")
saved = state.setdefault("up_saved", {})
if removed := {str(path) for path in upload.drop_removed(saved, {uploaded.file_id for uploaded in files or []})}:
    state["up_cache"] = {key: value for key, value in state.get("up_cache", {}).items() if key[1] not in removed}
paths = []
for uploaded in files or []:
    if uploaded.file_id not in saved:
        state.pop("up_result", None)  # a new upload starts a new round
        try:
            folder = upload.session_folder(state.setdefault("up_session", upload.new_session_id()))
            saved[uploaded.file_id] = upload.save_upload(folder, uploaded.name, uploaded.size, uploaded)
        except LoadError as error:
            saved[uploaded.file_id] = str(error)
    if isinstance(saved[uploaded.file_id], str):
        error_box(saved[uploaded.file_id])
    elif saved[uploaded.file_id] not in paths:
        paths.append(saved[uploaded.file_id])

unreadable: list[str] = []  # files file_section could not read: no choice on this page fixes them
if paths:
    options = {path: file_section(path) for path in paths}
    if unreadable:  # (an empty export among this week's files held the others back, the way out unsaid)
        st.info(f"文件 {md('、'.join(unreadable))} 无法读取，不能导入：请点上传框中该文件右侧的 ×，把它移除，其余文件才能检查和导入；"
                "按上面的提示改正后再重新上传。", icon=":material/info:")
    if len(unreadable) < sum(o is None for o in options.values()):
        st.info("请先解决上面标出的问题（选择来源类型或列对应），再检查和导入。", icon=":material/info:")
    elif not unreadable:
        check_section(options)

st.subheader("导入记录")
history = upload.history()
if history.empty:
    st.caption("还没有导入批次。")
else:
    st.dataframe(history, hide_index=True, placeholder=ui.MISSING, width="stretch",
                 height=min(400, 38 + 35 * len(history)),
                 column_config={"导入时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                                "撤销时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                                # 181,534 rather than 181534 (the browser's locale groups the digits)
                                **{name: st.column_config.NumberColumn(format="localized")
                                   for name in ("读取", "新增", "更新", "未变", "拒收")}})
    loaded = history[history["状态"] == "已导入"].head(UNDO_SHOWN).to_dict("records")
    if loaded:
        st.markdown("**撤销批次**：删除该批次新增的数据，恢复它更新前的数据。后来的批次改过它的数据时，要先撤销后来的批次。")
    for row in loaded:
        text_col, button_col = st.columns([6, 1])
        text_col.write(f"批次 {row['批次']} · {md(row['文件'])} · {row['来源']} · {row['导入时间']:%Y-%m-%d %H:%M} · "
                       f"新增 {row['新增']:,}，更新 {row['更新']:,}")
        button_col.button("撤销", key=f"up_undo_{row['批次']}", on_click=state.__setitem__, args=("up_undo", int(row["批次"])))
    pending = state.get("up_undo")
    if pending is not None:
        box = st.empty()  # the question goes away once it is answered
        with box.container():
            st.warning(f"确定撤销批次 {pending} 吗？撤销后该批次的数据从所有页面消失，可以重新导入同一文件。")
            confirm_col, cancel_col = st.columns(2)
            cancel_col.button("取消", key="up_undo_cancel", on_click=state.pop, args=("up_undo", None))
            confirmed = confirm_col.button(f"确认撤销批次 {pending}", type="primary", key="up_undo_confirm")
        if confirmed:
            state.pop("up_undo", None)
            box.empty()
            try:
                with st.spinner(f"正在撤销批次 {pending}……"):
                    restored = rollback(pending)
            except LoadError as error:
                error_box(str(error))
            else:
                detail, rows = upload.undo_audit(pending, restored)
                audit.record("rollback", user=identity.name, role=identity.role, detail=detail, rows=rows)
                state.pop("up_result", None)
                state["up_notice"] = upload.undo_summary(pending, restored)
                st.rerun()
