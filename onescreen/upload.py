"""The 数据导入 page's logic, callable and testable without Streamlit.

An upload goes: size checked before a byte is parsed -> saved under a sanitised name in the session's
folder (``DATA_DIR/uploads/<session>/<content hash>/``, so batch history shows the user's file name and
the rejects CSV lands beside it) -> XLSX container checked (zip bomb) -> read once -> recognised
(:func:`etl.load.plan_file`, overridable per file) -> previewed through the real staging -> checked by a
dry run of the real load -> loaded, and the saved file deleted (kept after a failed load, for a retry;
deleted too when the user removes it from the uploader; any left are removed after two days).
Every expected failure is an :class:`etl.errors.LoadError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import shutil
import time
import unicodedata
import uuid
from collections.abc import Callable
from typing import BinaryIO
from pathlib import Path

import duckdb
import pandas as pd

from etl.errors import LoadError, Problem
from etl.fields import IGNORE, SOURCES, column_labels, columns_named, same_named
from etl.load import (FileOptions, FilePlan, LoadReport, headers_signature, load_files, plan_file,
                      remembered_date_order, unknown_export_message)
from etl.readers import RawTable, check_xlsx_container, read_export, totals_rows, workbook_sheets
from etl.staging import (KINDS, cell_sql, headers_look_like_data, install_macros, shown_header, shown_value, slash_date_orders,
                         stage)
from onescreen import settings
from onescreen.masking import PERSONAL_FIELDS, scrub_number

PREVIEW_ROWS = 20
KEEP_UPLOADS_SECONDS = 2 * 24 * 3600
NAME_MAX = 120
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_SESSION_ID = re.compile(r"^[0-9a-f]{32}$")

# The ETL's messages name command-line options; on the page the same choice is a button.
_PAGE_WORDING = {
    "或加 --skip-bad-rows 只导入没有问题的行": "或在下方选择“只导入没有问题的行”",
    "或使用 --skip-bad-rows 只导入其余行": "或在下方选择“只导入没有问题的行”",
    "请用 python -m etl batches 查看现有批次": "请在下方导入记录中查看现有批次",
    "数据在别的工作表时请用 --sheet 工作表名 指定": "数据在别的工作表时请在上方“工作表”中选择",
    "要导入隐藏的工作表请用 --sheet 工作表名 指定": "要导入隐藏的工作表请在上方“工作表”中选择",
    "请把同一文件再导入一次，用 --sheet 工作表名 指定要导入的工作表": "请把同一文件再上传导入一次，在“工作表”中选择要导入的工作表",
    "--map 指定的表头": "列对应中选择的表头",
    "请用 --source 指定来源类型，并用 --map \"表头=字段\" 指定对应关系":
        "请在“来源类型”中选择，再在“修改列对应”中为各字段选择文件中的列",
    "请按文件中的写法改正 --map \"表头=字段\" 等号前的表头（可从上面复制），或去掉这一项": "请在“修改列对应”中重新选择",
}


def page_text(message: str) -> str:
    """An ETL message reworded for the page (options of the command line become page controls)."""
    for cli, page in _PAGE_WORDING.items():
        message = message.replace(cli, page)
    return re.sub(r'或用 --map "[^"]*" 指定要用的一列', "或在“修改列对应”中为该字段选择要用的一列", message)


def new_session_id() -> str:
    """A random folder name for one browser session's uploads."""
    return uuid.uuid4().hex


def uploads_root() -> Path:
    """``DATA_DIR/uploads``: one folder per browser session that uploaded."""
    return settings.DATA_DIR / "uploads"


def prune_uploads() -> None:
    """Remove the session folders not touched for two days (a session that ended without loading,
    or a load that failed and was never retried). Run when the server starts and before each upload."""
    root = uploads_root()
    if not root.is_dir():
        return
    cutoff = time.time() - KEEP_UPLOADS_SECONDS
    for old in root.iterdir():
        if old.is_dir() and _SESSION_ID.match(old.name) and old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)


def session_folder(session_id: str) -> Path:
    """``DATA_DIR/uploads/<session_id>``, created; folders older than two days are removed first."""
    if not _SESSION_ID.match(session_id):
        raise ValueError(f"not a session id: {session_id!r}")
    prune_uploads()
    folder = uploads_root() / session_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def discard_upload(path: Path) -> None:
    """Delete a saved upload once the page no longer needs it (loaded, or removed from the uploader),
    and its content folder once nothing else is in it. A rejects CSV beside it stays (masked; the
    page still offers it for download) until its session folder is pruned. Only files under
    :func:`uploads_root` are ever deleted: a path from anywhere else is left alone."""
    path = Path(path)
    if not path.resolve().is_relative_to(uploads_root().resolve()):
        return
    path.unlink(missing_ok=True)
    try:
        path.parent.rmdir()
    except OSError:  # a rejects CSV, or another name of the same content, is still there
        pass


def drop_removed(saved: dict[str, Path | str], current_ids: set[str]) -> list[Path]:
    """Forget the uploads the user removed from the uploader (``saved``: uploader file id -> saved path,
    or the refusal's text), delete their saved files and return those paths; a file still listed
    under another id stays."""
    dropped = []
    for file_id in [i for i in saved if i not in current_ids]:
        path = saved.pop(file_id)
        if isinstance(path, Path) and path not in saved.values():
            discard_upload(path)
            dropped.append(path)
    return dropped


def sanitise_name(name: str) -> str:
    """A file name safe to write: no folders, control or reserved characters, no leading dot, at most
    120 characters (the extension kept); Chinese is kept. ``../../etc/passwd`` -> ``passwd``."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    if len(name) > NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and len(ext) <= 10 else ""
        name = (stem if ext else name)[: NAME_MAX - len(ext) - 1].rstrip(" .") + (f".{ext}" if ext else "")
    return name or "upload"


def check_size(name: str, size: int, limit: int | None = None) -> None:
    """Refuse a file larger than the upload limit, before anything reads it."""
    limit = settings.upload_limit_bytes() if limit is None else limit
    if size > limit:
        raise LoadError(
            f"错误：文件 {name} 有 {_size_text(size)}，超过上传上限 {_size_text(limit)}，未读取。"
            "请按时间段分成几个较小的文件再上传，或由管理员调整 ONESCREEN_UPLOAD_LIMIT_MB。"
        )


def _size_text(n: int) -> str:
    return f"{round(n / 1048576, 1):g} MB" if n >= 1048576 else f"{round(n / 1024, 1):g} KB"


SAVE_CHUNK = 1 << 20


def save_upload(folder: Path, name: str, size: int, source: Callable[[], bytes] | BinaryIO,
                limit: int | None = None) -> Path:
    """Check the size, then write the bytes to ``folder/<hash>/<sanitised name>`` and check an XLSX container;
    return the path. A refused file is not kept. ``source`` is a binary file (the uploader's, read from its
    start in 1 MB chunks: no second copy of the file in memory) or a function returning the bytes."""
    check_size(name, size, limit)
    stream = io.BytesIO(source()) if callable(source) else source
    stream.seek(0)
    digest, written, head = hashlib.sha256(), 0, b""
    partial = folder / f".{uuid.uuid4().hex}.part"
    try:
        with partial.open("wb") as out:
            while chunk := stream.read(SAVE_CHUNK):
                written += len(chunk)
                check_size(name, written, limit)  # the browser's size is a claim; the bytes are the fact
                head = head or chunk[:4]
                digest.update(chunk)
                out.write(chunk)
        target = folder / digest.hexdigest()[:16] / sanitise_name(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    if head == b"PK\x03\x04":
        try:
            check_xlsx_container(target)
        except LoadError:
            shutil.rmtree(target.parent, ignore_errors=True)
            raise
    return target


def file_key(path: Path) -> str:
    """A short stable key for widgets about one saved upload (its content-hash folder)."""
    return Path(path).parent.name


def read_upload(path: Path, sheet: str | None = None) -> RawTable:
    """The upload as read by the ETL (content decides the format, not the name)."""
    return read_export(Path(path), sheet)


def sheet_names(path: Path) -> dict[str, str]:
    """The sheets of an XLSX upload, name -> what the sheet selector shows (``上月备份（隐藏）`` for a
    hidden sheet): the visible sheets, then the hidden ones, each in the workbook's order, so the
    selector starts on the sheet the ETL reads when none is chosen. Empty for CSV/GeoJSON."""
    with Path(path).open("rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            return {}
    names, hidden = workbook_sheets(path)
    return {name: f"{name}（隐藏）" if name in hidden else name for name in sorted(names, key=lambda n: n in hidden)}


def rows_text(raw: RawTable) -> str:
    """How many rows the recognition line says: the rows of data, as the check and the load count them. A CSV's
    totals row (``合计：30条``) is still in ``raw`` until staging leaves it out (an XLSX reader already has):
    a 30-ticket export was "31 行" here and "30 行" in the check, so it is counted apart."""
    table = raw.table.select([name for name in raw.table.column_names if name != "row_no"])
    _, totals = totals_rows([column.combine_chunks() for column in table.columns], table.num_rows)
    left_out = len(totals) + len(raw.dropped_rows)
    return f"{table.num_rows - len(totals):,} 行" + (f"（另有合计行 {left_out} 行，不导入）" if left_out else "")


def other_sheets_text(raw: RawTable) -> str | None:
    """The preview's line for a workbook whose other visible sheets hold data (only the chosen one loads)."""
    if not raw.other_sheets:
        return None
    listed = "、".join(f"“{name}”（{n:,} 行）" for name, n in raw.other_sheets.items())
    return (f"工作表{listed}也有数据；一次只导入所选的工作表“{raw.sheet_name}”，"
            "导入后在“工作表”中换选其他工作表，再导入一次。")


def plan(raw: RawTable, source: str | None = None, overrides: dict[str, str] | None = None) -> FilePlan:
    """Recognise ``raw`` without refusing it: missing required fields are listed in ``plan.missing``."""
    return plan_file(raw.path, source, overrides, raw=raw, strict=False)


def overrides_for(raw: RawTable, chosen: dict[str, str | None]) -> dict[str, str]:
    """``{column: field}`` that makes the mapping exactly ``chosen`` (field -> column label, or a header two
    columns share, or None): every other column is marked unused, so no synonym list sneaks a column back in."""
    result = {header: name for name, header in chosen.items() if header}
    for label in column_labels(raw.headers):
        if label and label not in result:
            result[label] = IGNORE
    return result


def column_options(raw: RawTable, mapping: dict[str, str]) -> list[str]:
    """The choices of a field's column picker: "" (不使用), every column by its label (a header two columns
    share with its position: ``满意度（第 14 列）``), and a shared header the recognition mapped (its
    column is chosen by the data at the check: :func:`column_choice_text`)."""
    labels = [label for header, label in zip(raw.headers, column_labels(raw.headers)) if header]
    return ["", *labels, *sorted({mapping[f] for f in same_named(raw.headers, mapping)})]


def column_choice_text(raw: RawTable, option: str) -> str:
    """How the picker shows ``option``: 不使用, the label, or a shared header with its positions."""
    if not option:
        return "不使用"
    if headers_look_like_data(raw.headers):   # a file without its header row: its cells may be names
        return shown_header(raw.headers, option)
    positions = columns_named(raw.headers, option)
    if len(positions) > 1:
        return f"{option}（第 {'、'.join(str(i + 1) for i in positions)} 列中有数据的一列）"
    return option


# Field names a user reads (the page never shows ``ticket_id``): the usual export header, except where
# that header would mislead.
_LABEL_OVERRIDES = {("events", "received_at"): "上报时间", ("grids", "geometry"): "边界（GeoJSON）",
                    ("events", "caller_name"): "上报人", ("events", "caller_phone"): "联系电话"}


def field_label(source, field: str) -> str:
    """The Chinese name of a canonical field of ``source`` (a :class:`etl.fields.Source`)."""
    return _LABEL_OVERRIDES.get((source.name, field)) or source.headers[field][0]


def mapping_text(file_plan: FilePlan) -> str:
    """``工单编号 ← 编号；来电时间 ← 日期``: each field and the file header that fills it."""
    return "；".join(f"{field_label(file_plan.source, f)} ← {h}" for f, h in file_plan.shown_mapping().items()) or "（无）"


def unknown_message(file_plan: FilePlan) -> str:
    """What the page says of a file with no column of any known export (:attr:`etl.load.FilePlan.unknown`); the
    workbook's other sheets that hold an export have their own line (:func:`other_sheets_text`)."""
    return page_text(unknown_export_message(file_plan.raw, hint_sheets=False).removeprefix("错误："))


def missing_message(file_plan: FilePlan) -> str:
    """What to do when required fields have no column: name each field as a user knows it."""
    fields = "、".join(f"“{field_label(file_plan.source, f)}”" for f in file_plan.missing)
    return (f"文件 {file_plan.raw.path.name} 按“{file_plan.source.label}”识别，但缺少必填字段{fields}。"
            "请在下方列对应中为这些字段选择文件中的列，或手动选择来源类型。")


def _scrub_numbers(column: pd.Series) -> pd.Series:
    """A number or code column with a phone or ID number in it (``scrub_number``) masked; such a column
    becomes text, since one table column cannot mix numbers and masked strings."""
    scrubbed = column.map(scrub_number)
    if scrubbed.equals(column):
        return column
    return scrubbed.map(lambda v: v if v is None or pd.isna(v) else str(scrub_number(v)))


def _deadline_column(due_at: pd.Series, workdays: pd.Series) -> pd.Series:
    """办理时限 as the preview shows it: the time, or ``15 个工作日`` where the export gave working days (the load
    stores them as ``due_workdays`` and counts the deadline on the working-day calendar; hours and calendar days
    are already a time). A column with both becomes text, the times written out."""
    counted = due_at.isna() & workdays.notna()
    if not counted.any():
        return due_at
    texts = [f"{float(n):g} 个工作日" if told else (None if pd.isna(t) else str(t))
             for t, n, told in zip(due_at, workdays, counted)]
    return pd.Series(texts, index=due_at.index, dtype="object")


def preview(file_plan: FilePlan, rows: int = PREVIEW_ROWS) -> pd.DataFrame:
    """The first rows as they will be stored: the real staging (dates parsed, values normalised) on an
    in-memory database, personal fields masked. Columns are named by the field's Chinese name, with
    the file's header in brackets when it differs (``来电号码（phone）``)."""
    sample = dataclasses.replace(file_plan.raw, table=file_plan.raw.table.slice(0, rows), bad_rows=[])
    con = duckdb.connect(":memory:")
    try:
        install_macros(con)
        stage(con, sample, file_plan.source, file_plan.mapping, file_plan.required, date_order=file_plan.date_order)
        frame = con.execute("select * from stg_parsed order by row_no").df()
    finally:
        con.close()
    fields = [f for f in file_plan.source.headers if f in file_plan.mapping]
    if "due_workdays" in frame.columns:
        frame["due_at"] = _deadline_column(frame["due_at"], frame["due_workdays"])
    frame = frame[["row_no", *fields]].copy()
    callers = frame["caller_name"].tolist() if "caller_name" in frame.columns else [None] * len(frame)
    for field in fields:
        if field in PERSONAL_FIELDS or (field != "geometry" and pd.api.types.is_string_dtype(frame[field])):
            # shown as problem messages and the rejects file show a cell: the row's caller's name masked in
            # every column, a phone or ID number typed into another column too
            frame[field] = [shown_value(field, value, caller_name=caller) for value, caller in zip(frame[field], callers)]
        elif field != "geometry":
            frame[field] = _scrub_numbers(frame[field])
    if "geometry" in frame.columns:
        frame["geometry"] = frame["geometry"].map(lambda v: v if not isinstance(v, str) or len(v) < 60 else v[:57] + "…")
    shown = file_plan.shown_mapping()

    def name(field: str) -> str:
        label, header = field_label(file_plan.source, field), shown[field]
        return label if label == header else f"{label}（{header}）"

    return frame.rename(columns={"row_no": "行号", **{f: name(f) for f in fields}})


def untold_date_columns(file_plan: FilePlan) -> list[str]:
    """The headers (as messages show them) of the file's time columns with dates such as 04/11/2026 whose
    日/月/年 or 月/日/年 order nothing in the file tells (:func:`etl.staging.slash_date_orders`): the upload
    page then asks for it, since without an earlier file of the same template they are refused."""
    raw = file_plan.raw
    columns = {f: f"c{columns_named(raw.headers, header)[0]}" for f, header in file_plan.mapping.items()
               if KINDS.get(f) in ("ts", "deadline", "date")}
    times = [f for f, column in columns.items() if column in raw.table.column_names]
    if not times:
        return []
    con = duckdb.connect(":memory:")
    try:
        install_macros(con)
        con.register("raw_input", raw.table)
        cells = ", ".join(f"{cell_sql(f, columns[f])} as {f}" for f in times)
        con.execute(f"create temp view stg_cells as select {cells} from raw_input")
        orders = slash_date_orders(con, times)
    finally:
        con.close()
    shown = file_plan.shown_mapping()
    return [shown[f] for f, order in orders.items() if order is None]


def remembered_order(file_plan: FilePlan) -> tuple[str, str, int] | None:
    """(order, file name, batch id) the load would read this file's untold dates in: that of the latest
    loaded file of the same template (:func:`etl.load.remembered_date_order`), from the writer's file."""
    from onescreen import db

    if not db.warehouse_exists():
        return None
    con = db._open(settings.warehouse_path())
    try:
        con.execute(f"use {db.CATALOG}")
        return remembered_date_order(con, file_plan.source.name, headers_signature(file_plan.raw.headers))
    except duckdb.Error:   # a warehouse no load has written to since load_batches got the column
        return None
    finally:
        con.close()


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Problems as a table for the page: file, row, column, masked value, what to do."""
    return pd.DataFrame(
        [(p.file_name, p.row_no, p.column or "", p.value or "", page_text(p.message)) for p in problems],
        columns=["文件", "行", "列", "值（已脱敏）", "问题及处理"],
    )


def check(files: dict[Path, FileOptions], db_path: Path | None = None) -> LoadReport:
    """A dry run of the real load (staging, reference checks, writing, marts, contracts) on a throwaway
    copy of the warehouse: every file's problems are in its report; nothing is published."""
    return load_files(list(files), per_file=files, skip_bad_rows=True, dry_run=True, db_path=db_path,
                      loaded_by="check")


def load(files: dict[Path, FileOptions], skip_bad_rows: bool, progress: Callable[[str], None] | None = None,
         loaded_by: str | None = None, db_path: Path | None = None, allow_unknown_places: bool = False) -> LoadReport:
    """Load the files in one transaction and publish (the same path as ``python -m etl load``); a file from another
    area (:attr:`etl.load.FileReport.foreign_places`) only with ``allow_unknown_places`` (the page's confirmation)."""
    return load_files(list(files), per_file=files, skip_bad_rows=skip_bad_rows, progress=progress,
                      loaded_by=loaded_by, db_path=db_path, allow_unknown_places=allow_unknown_places)


FOREIGN_CONFIRM = "确认导入区域外的数据"


def foreign_places(report: LoadReport) -> list[str]:
    """What the page's check says, as an error, of the files from another area (most rows name unknown places)."""
    return [page_text(item.foreign_places) + f"导入前请确认文件是本区域的导出；确实要导入时，勾选“{FOREIGN_CONFIRM}”。"
            for item in report.files if item.foreign_places]


class LoadProgress:
    """Turns the load's progress messages into a fraction for a progress bar: ``show(fraction, text)``."""

    def __init__(self, n_files: int, show: Callable[[float, str], None]):
        self.steps, self.done, self.show = 2 * n_files + 1, 0, show

    def __call__(self, message: str) -> None:
        self.done += 2 if "已在批次" in message else 1
        self.show(min(self.done / self.steps, 0.99), message)


# Warnings that only say what was left out on purpose (personal and unused columns): a clean load has them.
QUIET_WARNINGS = ("以下个人信息列不会保存", "以下列未使用")


def load_notes(item) -> tuple[list[str], list[str]]:
    """(the warnings of a file's load an analyst must notice: 未落格 tickets, 双派单, phone numbers Excel damaged,
    rows not loaded, other sheets ..., the ones that only say what was left out on purpose: :data:`QUIET_WARNINGS`),
    worded for the page."""
    notes = [page_text(w) for w in item.warnings]
    return [n for n in notes if not n.startswith(QUIET_WARNINGS)], [n for n in notes if n.startswith(QUIET_WARNINGS)]


def notes_text(file_name: str, notes: list[str]) -> str:
    """A file's warnings as one Markdown text for a warning box: the file and how many, then one line each. The
    name and the notes are put in as given: the page escapes them first (``onescreen.ui.markdown_text``)."""
    return f"{file_name}：{len(notes)} 条提示，请留意：\n\n" + "\n".join(f"- {n}" for n in notes)


def check_notes(item) -> list[str]:
    """The warnings of a file's check worth reading before loading it (unknown grid codes, grid events that
    count a hotline ticket twice, fields kept from the stored rows ...), worded for the page; not those its
    section above says already (personal and unused columns, other sheets), nor the rejected rows the check lists."""
    said = ("以下个人信息列不会保存", "以下列未使用", f"文件 {item.file_name} 的工作表")
    # (the rows with problems: the check's own table above lists them, and nothing is loaded yet)
    rejected = f"{item.rejected} 行有问题未导入，" if item.rejected else None
    return [page_text(w) for w in item.warnings if not w.startswith(said) and not (rejected and w.startswith(rejected))]


def file_summary(item) -> str:
    """One line for one file of a load or a check."""
    label = SOURCES[item.source].label if item.source in SOURCES else item.source
    if item.status == "already_loaded":
        return f"{item.label}（{label}）：已在批次 {item.batch_id} 导入过，本次未做任何改动。"
    return (f"{item.file_name}（{label}，批次 {item.batch_id}）：读取 {item.rows_read:,} 行，新增 {item.inserted:,}，"
            f"更新 {item.updated:,}，未变 {item.unchanged:,}，拒收 {item.rejected:,}")


HISTORY_SQL = """
select batch_id as 批次, loaded_at as 导入时间, loaded_by as 导入人, file_name as 文件, source as 来源,
       rows_read as 读取, rows_inserted as 新增, rows_updated as 更新, rows_unchanged as 未变,
       rows_rejected as 拒收, case status when 'loaded' then '已导入' else '已撤销' end as 状态,
       rolled_back_at as 撤销时间
from load_batches order by batch_id desc
"""


def is_empty() -> bool:
    """Whether the published warehouse holds neither grids nor tickets (missing, or made empty by ``etl init``)."""
    from onescreen import db

    if not db.warehouse_exists():
        return True
    con = db._open(settings.warehouse_path())
    try:
        return not con.execute(f"select exists (select 1 from {db.CATALOG}.dim_grids) "
                               f"or exists (select 1 from {db.CATALOG}.fct_tickets)").fetchone()[0]
    finally:
        con.close()


def history() -> pd.DataFrame:
    """Every load batch, newest first, from the published warehouse (read-only); empty if none yet."""
    from onescreen import db

    if not db.warehouse_exists():
        return pd.DataFrame(columns=["批次", "导入时间", "导入人", "文件", "来源", "读取", "新增", "更新", "未变", "拒收", "状态", "撤销时间"])
    # The writer's file, whatever the screens read (a snapshot has no load batches); attached to a
    # fresh in-memory database as onescreen.db does, so a replaced file is never read stale.
    con = db._open(settings.warehouse_path())
    try:
        frame = con.execute(HISTORY_SQL.replace("from load_batches", f"from {db.CATALOG}.load_batches")).df()
    finally:
        con.close()
    frame["来源"] = frame["来源"].map(lambda s: SOURCES[s].label if s in SOURCES else s)
    return frame


TABLE_LABELS = {
    "dim_streets": "街道", "dim_communities": "社区", "dim_grids": "网格", "dim_companies": "物业企业",
    "dim_compounds": "小区", "fct_tickets": "工单", "ticket_pii": "工单联系人信息", "fct_inspections": "物业考核",
}


# The table a batch is about, by preference: a 12345 batch also writes ticket_pii (one row per ticket), a grid
# batch dim_communities and dim_streets; counting those too doubled a batch's rows in the audit log.
MAIN_TABLES = ("fct_tickets", "fct_inspections", "dim_compounds", "dim_grids")


def undo_audit(batch_id: int, restored: dict[str, int]) -> tuple[str, int]:
    """(the audit log's detail, its row count) for an undone batch: the rows of the batch's main table
    (:data:`MAIN_TABLES`, as its upload was logged), the other tables it wrote named in the detail."""
    main = next((t for t in MAIN_TABLES if t in restored), next(iter(restored), None))
    if main is None:
        return f"批次 {batch_id}：无数据行", 0
    others = "，".join(f"{TABLE_LABELS.get(t, t)} {n:,} 行" for t, n in restored.items() if t != main)
    detail = f"批次 {batch_id}：{TABLE_LABELS.get(main, main)} {restored[main]:,} 行" + (f"（另有 {others}）" if others else "")
    return detail, restored[main]


def undo_summary(batch_id: int, restored: dict[str, int]) -> str:
    """The message after an undo: what the batch had written, table by table."""
    detail = "，".join(f"{TABLE_LABELS.get(t, t)} {n:,} 行" for t, n in restored.items()) or "无数据行"
    return f"已撤销批次 {batch_id}：删除了它写入的 {detail}，并恢复了它更新前的数据。"
