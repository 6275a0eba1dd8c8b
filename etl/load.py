"""Loading exports: recognise, stage, check, write, record the batch, rebuild the marts, publish.

``load_files`` is what ``python -m etl load``, ``python -m etl demo`` and the upload page all call.
One call is one transaction: every file loads, or nothing changes.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable

from etl import contracts
from etl.address_areas import AddressAreas
from etl.calendar import build_calendar
from etl.coords import configured_systems, rules_for_load
from etl.errors import LoadError, Problem
from etl.fields import (NEVER_STORED, SOURCES, Source, column_labels, columns_named, match_headers, normalise_header,
                        telling_fields, vouching)
from etl.load_inspections import flag_unknown_references, write_inspections
from etl.load_places import (check_geometries, compound_grid_contradictions_warning, flag_ambiguous_compound_names,
                              flag_repeated_compound_names, flag_unknown_compound_grids, flag_unknown_grids_for_shapes, repaired_shapes_warning,
                              write_compounds, write_grids)
from etl.load_tickets import (LOAD_FILES, LOAD_ROWS, build_staged_tickets, flag_feed_collisions, grid_contradictions_warning,
                               convert_points, file_newest, hotline_copies_warning, keep_absent_fields, older_rows_warning, record_load_rows, settle_ties_between_files,
                               start_load_record, timeline_warning, unknown_places_warnings, write_tickets,
                               foreign_places_message)
from etl.readers import RawTable, other_sheet_hint, other_sheets_note, read_export
from etl.refresh import mark_areas_current_if_empty, refresh_row_hashes
from etl.staging import (DATE_ORDERS, collect_problems, headers_look_like_data, install_macros, keep_good_rows,
                          rejected_rows, shown_header, stage)
from etl.unchanged import find_unchanged
from etl.upsert import UpsertCounts
from etl.warehouse import writer
from onescreen import settings
from onescreen.exports import to_csv_bytes
from onescreen.masking import scrub_text

Progress = Callable[[str], None]


def load_memory_limit() -> str:
    """DuckDB's memory during a load: ``$ONESCREEN_LOAD_MEMORY`` (e.g. ``"4GB"``), else 1.5 GB or half
    the machine's memory if that is less. Past it DuckDB spills to a folder beside the staging file.

    1.5 GB keeps a whole load (with Python's share) under 2 GB; measured at 1M rows (docs/benchmarks.md):
    1 GB took 28 s, 1.5 GB 24 s, 2 GB 21 s but peaked at 2.0 GB. At 5M rows DuckDB sits at this limit
    through staging, placement and the upsert and the process peaked at 1.95 GB: about 0.5 GB is
    Python, the distinct addresses being masked, and DuckDB's memory outside its buffer pool."""
    value = os.environ.get("ONESCREEN_LOAD_MEMORY", "").strip()
    if value:
        return value
    try:
        half = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):
        half = 2 << 30
    return f"{min(3 << 29, half) >> 20}MB"


@dataclass
class FilePlan:
    """What a file was recognised as, before anything is written: shown by the upload page's preview."""

    raw: RawTable
    source: Source
    mapping: dict[str, str]           # canonical field -> file header
    required: tuple[str, ...]
    missing: list[str]                # required fields with no header
    ignored: list[str]                # headers not used (by position when the header row is data)
    personal_ignored: list[str]       # headers of personal data never stored (ID numbers ...)
    date_order: str | None = None     # "day" / "month": how to read 04/11/2026 if the file does not tell
    unknown: bool = False             # no column of any known export (strict=False): ``source`` is only a default

    def shown_mapping(self) -> dict[str, str]:
        """``mapping`` with each header as messages and the rejects CSV show it (:func:`shown_header`)."""
        return {field: shown_header(self.raw.headers, header) for field, header in self.mapping.items()}

    def ignored_text(self) -> str | None:
        """The unused columns, for the upload page and the load's warnings (kept in load_batches)."""
        if not self.ignored:
            return None
        text = f"以下列未使用：{'、'.join(self.ignored)}。"
        if headers_look_like_data(self.raw.headers):
            text += "表头中有日期、号码之类的值，不像列名：文件可能缺少表头行（故只列出列的位置）。"
        return text


@dataclass
class FileReport:
    """The outcome of one file."""

    file_name: str
    source: str
    status: str                       # loaded | already_loaded
    batch_id: int | None = None
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: list[str] = field(default_factory=list)
    rejects_path: Path | None = None
    encoding: str | None = None
    sheet_name: str | None = None
    header_row: int | None = None
    problems: list[Problem] = field(default_factory=list)   # every problem found (with skip_bad_rows)
    problem_total: int = 0
    foreign_places: str | None = None  # most rows name places the warehouse does not know (foreign_places_message)

    @property
    def label(self) -> str:
        """The file as a message names it: with its sheet for a workbook (each sheet loads on its own)."""
        return f"{self.file_name}（工作表“{self.sheet_name}”）" if self.sheet_name else self.file_name


@dataclass(frozen=True)
class FileOptions:
    """Choices for one file that override the load-wide ones: the upload page sets them per file."""

    source: str | None = None
    overrides: dict[str, str] | None = None   # file header -> canonical field
    sheet: str | None = None
    date_order: str | None = None             # "day" (日/月/年) or "month" (月/日/年); None: the file tells


@dataclass
class LoadReport:
    files: list[FileReport]
    as_of: datetime | None = None
    warnings: list[str] = field(default_factory=list)


def parse_overrides(pairs: list[str] | None) -> dict[str, str]:
    """``["留言时间=received_at"]`` -> ``{"留言时间": "received_at"}``, refusing unknown canonical fields."""
    known = {name for source in SOURCES.values() for name in source.headers}
    result = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise LoadError(f"错误：--map 的写法是 \"表头=字段\"，例如 --map \"留言时间=received_at\"；收到的是 “{pair}”。")
        header, canonical = (part.strip() for part in pair.rsplit("=", 1))
        if not header:
            raise LoadError(f"错误：--map 的写法是 \"表头=字段\"，等号前要写文件中的表头，例如 --map \"留言时间=received_at\"；收到的是 “{pair}”。")
        if canonical not in known:
            raise LoadError(f"错误：--map 中的字段 “{canonical}” 不存在。可用字段：{', '.join(sorted(known))}。")
        result[header] = canonical
    return result


def _required_for(source: Source, mapping: dict[str, str]) -> tuple[str, ...]:
    if source.name == "grids" and "geometry" in mapping and not {"community_name", "street_name"} <= mapping.keys():
        return ("grid_code", "geometry")  # a shapes-only file: boundaries for grids already defined
    return source.required


def _headers_text(headers: list[str]) -> str:
    """A file's headers for a message: scrubbed of phone and ID numbers, and not listed at all when one of
    them is a value (a file without its header row: its first row of data is not printed as "headers")."""
    named = [h for h in headers if h]
    if headers_look_like_data(named):
        # Every column, its empty cells too: such a "header" row is a row of data, and its empty cells are columns.
        return f"（{len(headers)} 列，其中有日期、号码之类的值，不像列名：文件可能缺少表头行）"
    # (a sentence in the first row, as on a notes sheet, loses its full stop: the message adds its own)
    return "、".join(scrub_text(h).rstrip("。") for h in named) or "（无）"


def absent_headers(headers: list[str], overrides: dict[str, str] | None) -> list[str]:
    """The headers of ``overrides`` (``--map``) that are not among ``headers`` (compared as
    :func:`etl.fields.match_headers` compares them)."""
    present = {normalise_header(h) for h in headers if h}
    return [h for h in (overrides or {}) if normalise_header(h) not in present]


def _headers_place(raw: RawTable) -> str:
    """Where a file's headers are, for a message: a GeoJSON file's are its features' properties."""
    return "中要素的属性为" if raw.file_format == "geojson" else f"第 {raw.header_row} 行的表头为"


def _quoted(headers: list[str]) -> str:
    return "".join(f"“{scrub_text(h)}”" for h in headers)


def _absent_error(absent: list[str], raws: list[RawTable]) -> LoadError:
    """``--map`` names headers no file of ``raws`` has: say which, and the headers each file has."""
    where = "、".join(f"文件 {raw.path.name}" for raw in raws)

    def heads(raw: RawTable) -> str:
        name = f"文件 {raw.path.name} " if len(raws) > 1 else "文件"
        return f"{name}{_headers_place(raw)}：{_headers_text(raw.headers)}"

    return LoadError(
        f"错误：--map 指定的表头{_quoted(absent)}在{where} 中{'都' if len(raws) > 1 else ''}不存在，这样的对应不会生效，本次导入未写入任何数据。"
        f"{'；'.join(heads(raw) for raw in raws)}。请按文件中的写法改正 --map \"表头=字段\" 等号前的表头（可从上面复制），或去掉这一项。")


def _is_rejects_file(headers: list[str]) -> bool:
    """The layout :func:`etl.staging.rejected_rows` writes: 行号, the file's own headers, 问题."""
    named = [h for h in headers if h]
    return len(named) >= 3 and named[0] == "行号" and named[-1] == "问题"


def plan_file(path: Path, source: str | None = None, overrides: dict[str, str] | None = None, sheet: str | None = None,
              *, raw: RawTable | None = None, strict: bool = True, stream: bool = False,
              check_overrides: bool = True) -> FilePlan:
    """Read ``path`` and recognise its source and column mapping; raise LoadError if it cannot be.

    ``raw`` reuses a table already read from ``path``. With ``strict=False`` a file lacking required
    fields still gets the closest plan, those fields listed in ``missing``, instead of a LoadError:
    the upload page shows it so the user can map them by hand. ``stream=True`` leaves a CSV's rows in
    the file until staging reads them (:func:`etl.readers.read_export`).

    A header of ``overrides`` that the file lacks is a LoadError (when ``strict``), not a mapping
    silently left out; ``check_overrides=False`` (overrides shared by the files of one load, of which
    another may have that header) leaves that to the caller (:func:`load_files`).
    """
    raw = raw if raw is not None else read_export(Path(path), sheet, stream=stream)
    if _is_rejects_file(raw.headers):
        raise LoadError(
            f"错误：文件 {raw.path.name} 是导入时拒收的行（*.rejected.csv）：其中的姓名、电话、地址已脱敏，只用于查找问题，"
            "不能直接导入，否则脱敏后的值会覆盖原值。请按“行号”在原导出文件中修正这些行，再导入原文件。")
    if source is not None and source not in SOURCES:
        raise LoadError(f"错误：未知的来源类型 “{source}”，可选：{'、'.join(SOURCES)}。")
    absent = absent_headers(raw.headers, overrides)
    if absent and strict and check_overrides:
        raise _absent_error(absent, [raw])
    candidates = [SOURCES[source]] if source else list(SOURCES.values())
    scored = []
    for candidate in candidates:
        mapping = match_headers(raw.headers, candidate, overrides)
        required = _required_for(candidate, mapping)
        missing = [f for f in required if f not in mapping]
        # Every matched column counts; a signature column only under a header that names it (a roster's or a
        # compound list's 联系电话 is their contact number, no sign of a 12345 export: etl.fields.vouching).
        fit = sum(2 for f in candidate.signature if f in vouching(mapping)) + len(mapping)
        scored.append((fit, candidate, mapping, required, missing))
    # A complete candidate wins only if it fits the file about as well as the closest one: a 12345 export
    # without its 来电时间 column also has every column a grid list needs (网格编号, 所属社区, 所属街道), and
    # must be reported as a hotline export missing a field, not loaded over the grid definitions.
    # (Only a candidate whose key column is there can outweigh a complete one: a grid list with a 联系电话
    # column fits "hotline" better by count, but a file without 工单编号 is no hotline export.)
    best_fit = max([fit for fit, candidate, mapping, *_ in scored if all(k in mapping for k in candidate.key)],
                   default=0)
    # 12345 and grid-event exports share their headers; only the signatures tell them apart. A grid-platform
    # export without its 事件来源 column (事件编号, 处置层级, 是否吹哨, nothing of a caller or a callback) loaded
    # as 12345 tickets, each one counted as a 12345热线 request: it is a grid export missing that field.
    signed = {candidate.name for _, candidate, mapping, *_ in scored
              if any(f in vouching(mapping) for f in candidate.signature)}
    shadowed = {candidate.name for _, candidate, _, _, missing in scored if not missing and candidate.name not in signed
                and any(other.headers is candidate.headers and other.name in signed for _, other, *_ in scored)}
    scored.sort(key=lambda item: (not item[4] and item[1].name not in shadowed and item[0] * 2 >= best_fit, item[0]),
                reverse=True)
    _, chosen, mapping, required, missing = scored[0]
    # A staff roster or meeting notes: no column of any export (or only a 联系电话 and place names, which any list
    # has). "最接近 12345热线工单" would be a guess.
    unknown = source is None and not any(telling_fields(candidate) & vouching(found) for _, candidate, found, *_ in scored)
    if unknown and strict:
        raise LoadError(unknown_export_message(raw, hint_sheets=sheet is None))
    if missing and strict:
        found = _headers_text(raw.headers)
        if absent:  # a --map of the load meant for this file, its header mistyped, or meant for another file
            found += f"（--map 指定的表头{_quoted(absent)}不在其中）"
        missing_text = "、".join(f"{f}（如 {chosen.headers[f][0]}）" for f in missing)
        hint = f"请用 --map \"表头=字段\" 指定对应关系" + ("" if source else "，或用 --source 指定来源类型")
        if raw.file_format == "xlsx" and sheet is None:
            hint += f"；{other_sheet_hint(raw.sheet_name)}"
        raise LoadError(
            f"错误：无法识别文件 {raw.path.name} 的数据类型：最接近“{chosen.label}”，但缺少字段 {missing_text}。"
            f"文件{_headers_place(raw)}：{found}。{hint}。"
        )
    used = {i for header in mapping.values() for i in columns_named(raw.headers, header)}
    personal = {normalise_header(h) for h in NEVER_STORED}
    personal_ignored = [h for h in raw.headers if h and normalise_header(h) in personal]
    headerless = headers_look_like_data(raw.headers)
    ignored = [f"第 {i + 1} 列" if headerless else scrub_text(label)
               for i, (h, label) in enumerate(zip(raw.headers, column_labels(raw.headers)))
               if h and i not in used and h not in personal_ignored]
    return FilePlan(raw, chosen, mapping, required, missing, ignored, personal_ignored, unknown=unknown)


def unknown_export_message(raw: RawTable, hint_sheets: bool = True) -> str:
    """Why a file with no column of any known export is not loaded, the kinds that are known, and what to do."""
    # What each kind cannot do without, by its usual header: so a roster's user sees what a grid definition needs.
    known = "、".join(f"{source.label}（{'、'.join(source.headers[f][0] for f in source.required)}）"
                     for source in SOURCES.values())
    hint = ("请确认选对了文件；确是其中一类、只是表头写法不同时，请用 --source 指定来源类型，"
            "并用 --map \"表头=字段\" 指定对应关系")
    if raw.file_format == "xlsx" and hint_sheets:
        hint += f"；{other_sheet_hint(raw.sheet_name)}"
    return (f"错误：看不出文件 {raw.path.name} 是哪类导出：{_no_telling_column(raw.headers)}。文件{_headers_place(raw)}：{_headers_text(raw.headers)}。"
            f"能导入的有（括号中为必须有的列）：{known}。{hint}。")


def _no_telling_column(headers: list[str]) -> str:
    """Why no column of ``headers`` tells the kind: none matches a known field, or those that do (所属网格, 联系电话,
    place names: etl.fields.vouching, telling_fields) are on lists of every kind."""
    matched = {header for source in SOURCES.values() for header in match_headers(headers, source).values()}
    common = [h for h in headers if h and h in matched]
    if not common:
        return "没有一列表头与已知导出相符"
    return f"没有一列表头是已知导出特有的（{'、'.join(scrub_text(h) for h in common)} 这类列各种名单都有）"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _load_one(con, plan: FilePlan, sha256: str, skip_bad_rows: bool, loaded_by: str, progress: Progress) -> FileReport:
    areas: list[AddressAreas] = []
    after_cells = None
    if plan.source.name in ("hotline", "events"):
        def after_cells(con) -> str:
            # Rows stored exactly as the file has them are left alone; the addresses of the others are
            # masked in a background thread while the staging SQL runs.
            unchanged = find_unchanged(con, plan.source.name, list(plan.source.headers), list(plan.mapping))
            areas.append(AddressAreas(con, skip=unchanged))
            return unchanged
    try:
        return _load_staged(con, plan, sha256, skip_bad_rows, loaded_by, progress, after_cells, areas)
    finally:
        for running in areas:
            running.cancel()


def _load_staged(con, plan: FilePlan, sha256: str, skip_bad_rows: bool, loaded_by: str, progress: Progress,
                 after_cells, areas: list) -> FileReport:
    raw, source = plan.raw, plan.source
    report = FileReport(raw.path.name, source.name, "loaded", encoding=raw.encoding, sheet_name=raw.sheet_name, header_row=raw.header_row)
    where = f"表头在第 {raw.header_row} 行，" if raw.file_format != "geojson" else ""
    headers_sha = headers_signature(raw.headers)
    remembered = None if plan.date_order else remembered_date_order(con, source.name, headers_sha)
    staged = stage(con, raw, source, plan.mapping, plan.required, after_cells=after_cells,
                   on_read=lambda n: progress(f"{raw.path.name}：识别为“{source.label}”，{where}读取 {n:,} 行"),
                   date_order=plan.date_order or (remembered and remembered[0]))
    report.rows_read = staged.rows_read
    if source.name in ("hotline", "events"):
        flag_feed_collisions(con, source.name)
    elif source.name == "grids":
        check_geometries(con, configured_systems()[1], raw.path.name)
        if plan.required == ("grid_code", "geometry"):
            flag_unknown_grids_for_shapes(con)
    elif source.name == "compounds":
        flag_unknown_compound_grids(con)
        flag_ambiguous_compound_names(con, "compound_code" in plan.mapping)
        flag_repeated_compound_names(con, "compound_code" in plan.mapping)
    elif source.name == "inspections":
        flag_unknown_references(con)
    problems, total = collect_problems(con, raw, plan.shown_mapping())
    report.problems, report.problem_total = problems, total
    if problems and not skip_bad_rows:
        raise LoadError(
            f"错误：文件 {raw.path.name} 有 {total} 处问题，本次导入未写入任何数据。"
            f"请按下列提示修正后重新导入，或加 --skip-bad-rows 只导入没有问题的行：",
            problems,
            total,
        )
    report.rejected = keep_good_rows(con) + len(raw.bad_rows)
    if report.rejected and skip_bad_rows:
        report.rejects_path, moved = write_rejects(raw.path, to_csv_bytes(rejected_rows(con, raw, plan.shown_mapping())))
        where = f"{report.rejects_path}（原文件所在文件夹不可写）" if moved else report.rejects_path.name
        if report.rejects_path.name != f"{raw.path.stem}.rejected.csv":
            where += "（之前的同名拒收文件内容不同，保留未动）"
        report.warnings.append(f"{report.rejected} 行有问题未导入，已连同原因写入 {where}"
                               "（个人信息已脱敏）：请按其中的行号在原文件中修正，再导入原文件。")
    batch_id = con.execute("select coalesce(max(batch_id), 0) + 1 from load_batches").fetchall()[0][0]
    report.batch_id = batch_id
    counts: UpsertCounts
    newest = None
    if source.name in ("hotline", "events"):
        # A row left alone by a reload but rejected (a later duplicate of its ticket) is only rejected.
        con.execute("delete from stg_unchanged where row_no in (select row_no from stg_problems)")
        n_unchanged = con.execute("select count(*) from stg_unchanged").fetchall()[0][0]
        shown = plan.shown_mapping()   # a header that looks like data is named by its position (第 N 列)
        labels = {name: shown.get(name) or source.headers[name][0] for name in source.headers}
        rules = rules_for_load()   # a mistyped rules file stops the load here, one 错误： line naming the key
        systems = (rules.ticket_coordinates, rules.grid_coordinates)
        if {"lon", "lat"} <= set(plan.mapping):
            convert_points(con, systems[0])   # before stored (WGS84) values are given back
        if warning := keep_absent_fields(con, list(source.headers), plan.mapping, labels):
            report.warnings.append(warning)
        placed = build_staged_tickets(con, source.name, areas[0] if areas else None, "stg_unchanged", systems,
                                      report.warnings)
        unknown_places, unplaced_by_code = unknown_places_warnings(con)
        report.foreign_places = foreign_places_message(con, report.label, (rules.foreign_share_above, rules.foreign_rows_above))
        if warning := grid_contradictions_warning(con, labels):
            unknown_places.append(warning)
        areas.clear()  # its thread is done; the distinct addresses (100 MB at 5M rows) need not outlive it
        # The same ticket from an earlier file of this load, as new as this row but different: found
        # only now, on the rows as they would be stored (placed, masked), so it is settled here.
        newest = file_newest(con, "stg_unchanged")   # before any row is kept back: how recent the whole export is
        if warning := settle_ties_between_files(con, raw.path.name, labels, "stg_unchanged", raw.exported_at):
            report.warnings.append(warning)
        # A large export sits in several staging copies; each goes once the next step has it.
        _drop_temp(con, "stg_cells", "stg_parsed", "stg_rows", "stg_grid_code_typed", "stg_point_grid", "stg_address_area",
                   "stg_caller_address_area", "stg_shared_compound", "stg_kept_address_area", "stg_kept_callers")
        counts, older = write_tickets(con, batch_id, n_unchanged, raw.exported_at, newest)
        if warning := older_rows_warning(older):
            report.warnings.append(warning)
        if warning := hotline_copies_warning(con, source.name):
            report.warnings.append(warning)
        # Tickets whose grid code is unknown are said by unknown_places (their code is the thing to fix).
        unplaced = sum(n for how, n in placed.items() if how in ("community", "street", "none")) - unplaced_by_code
        if unplaced:
            report.warnings.append(f"{unplaced:,} 条工单无法定位到网格（无网格编号、坐标或可识别的小区地址），按社区/街道统计，计为“未落格”。")
        report.warnings.extend(unknown_places)
        if warning := timeline_warning(con, "stg_unchanged"):
            report.warnings.append(warning)
        record_load_rows(con, raw.path.name, "stg_unchanged", raw.exported_at)
        _drop_temp(con, "stg_tickets", "stg_older", "upsert_changed", "stg_unchanged", "stg_source_hash")
    elif source.name in ("grids", "compounds"):
        labels = {name: source.headers[name][0] for name in source.headers}
        if source.name == "grids":
            counts, kept = write_grids(con, batch_id, plan.required == ("grid_code", "geometry"), set(plan.mapping), labels)
        else:
            counts, kept = write_compounds(con, batch_id, set(plan.mapping), labels)
            if {"grid_code", "community_name"} <= set(plan.mapping) and (warning := compound_grid_contradictions_warning(con)):
                report.warnings.append(warning)
        report.warnings.extend(w for w in (kept, source.name == "grids" and repaired_shapes_warning(con)) if w)
    else:
        counts = write_inspections(con, batch_id)
    report.inserted, report.updated, report.unchanged = counts.inserted, counts.updated, counts.unchanged
    report.warnings.extend(raw.notes + staged.warnings)
    if warning := date_order_warning(staged, plan.date_order, remembered, plan.shown_mapping()):
        report.warnings.append(warning)
    if plan.personal_ignored:
        report.warnings.append(f"以下个人信息列不会保存：{'、'.join(plan.personal_ignored)}。")
    if ignored := plan.ignored_text():
        report.warnings.append(ignored)
    if raw.dropped_rows:
        report.warnings.append(f"跳过合计/说明行 {len(raw.dropped_rows)} 行。")
    # The workbook's other sheets with data, but those already loaded from this very file.
    loaded = {name for (name,) in con.execute(
        "select sheet_name from load_batches where sha256 = ? and status = 'loaded'", [sha256]).fetchall()}
    if note := other_sheets_note(raw.path.name, raw.sheet_name,
                                 {name: n for name, n in raw.other_sheets.items() if name not in loaded}):
        report.warnings.append(note)
    # The order the file's dates such as 04/11/2026 were read in, when one order read them all: a later
    # file of the same template (same headers) that does not tell is read the same way.
    read_orders = {order for order in staged.date_orders.values() if order}
    con.execute(
        """insert into load_batches (batch_id, file_name, sha256, source, loaded_at, loaded_by, encoding, sheet_name,
               header_row, rows_read, rows_inserted, rows_updated, rows_unchanged, rows_rejected, warnings, status,
               rolled_back_at, date_order, headers_sha, exported_at, newest_event_at)
           values (?, ?, ?, ?, now()::timestamp, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'loaded', null, ?, ?, ?, ?)""",
        [batch_id, raw.path.name, sha256, source.name, loaded_by, raw.encoding, raw.sheet_name, raw.header_row,
         report.rows_read, report.inserted, report.updated, report.unchanged, report.rejected, "\n".join(report.warnings),
         read_orders.pop() if len(read_orders) == 1 else None, headers_sha, raw.exported_at, newest],
    )
    progress(f"{raw.path.name}：写入 新增 {report.inserted:,}，更新 {report.updated:,}，未变 {report.unchanged:,}，拒收 {report.rejected:,}")
    return report


def headers_signature(headers: list[str]) -> str:
    """sha256 of a file's header row: the files of one export template share it (load_batches.headers_sha)."""
    return hashlib.sha256("\x1f".join(headers).encode("utf-8")).hexdigest()


def remembered_date_order(con, source: str, headers_sha: str) -> tuple[str, str, int] | None:
    """(order, file name, batch id) of the latest loaded file of ``source`` with the same headers whose
    dates such as 04/11/2026 were read in one order; None if there is none."""
    rows = con.execute(
        "select date_order, file_name, batch_id from load_batches where source = ? and headers_sha = ? "
        "and date_order is not null and status = 'loaded' order by batch_id desc limit 1", [source, headers_sha]).fetchall()
    return rows[0] if rows else None


def date_order_warning(staged, chosen: str | None, remembered: tuple[str, str, int] | None,
                       shown: dict[str, str]) -> str | None:
    """What the load says about dates such as 04/11/2026 it read in an order the file did not tell (from an
    earlier file of the same template), or in another order than the one chosen (the file told otherwise)."""
    columns = "、".join(f"「{shown.get(name, name)}」" for name in staged.assumed_orders)
    if staged.assumed_orders and not chosen and remembered:
        order, file_name, batch_id = remembered
        return (f"列{columns}中形如 04/11/2026 的日期，本文件看不出是“日/月/年”还是“月/日/年”，已按此前导入的同格式文件 "
                f"{file_name}（批次 {batch_id}）读作“{DATE_ORDERS[order]}”。如不对，请撤销本批次，导入时在“日期顺序”中选择"
                "（命令行加 --date-order）。")
    overruled = {name: order for name, order in staged.date_orders.items()
                 if chosen and order and order != chosen and name not in staged.assumed_orders}
    if overruled:
        names = "、".join(f"「{shown.get(name, name)}」" for name in overruled)
        return (f"所选日期顺序“{DATE_ORDERS[chosen]}”与文件不符：列{names}中有只能是“{DATE_ORDERS[next(iter(overruled.values()))]}”"
                "的日期（某一部分大于 12，或带 AM/PM），已按文件读取。")
    return None


def write_rejects(source: Path, data: bytes) -> tuple[Path, bool]:
    """Write a rejects CSV for ``source`` and return (its path, whether it is not beside ``source``).

    Beside the input as ``<name>.rejected.csv``; if that folder cannot be written (a read-only share),
    in ``data/rejects/``. An earlier rejects file with other content is kept (the user may be fixing
    rows from it): the next free ``<name>.rejected-2.csv`` is used. The same content (a check, then
    the load) reuses the name."""
    folders = (source.parent, settings.DATA_DIR / "rejects")
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            n = 1
            while (path := folder / f"{source.stem}.rejected{'' if n == 1 else f'-{n}'}.csv").exists() \
                    and path.read_bytes() != data:
                n += 1
            path.write_bytes(data)
            return path, folder != source.parent
        except OSError:  # read-only: permissions, or a read-only file system
            continue
    raise LoadError(f"错误：无法写入拒收行文件：{folders[0]} 和 {folders[1]} 都不可写。"
                    "请把导入文件放到可写的文件夹后重试；数据仓库未改动。")


def _drop_temp(con, *names: str) -> None:
    """Free staging tables no later step reads (temporary: they never reach the warehouse)."""
    for name in names:
        con.execute(f"drop table if exists temp.{name}")


def finish(con, progress: Progress, action: str = "本次导入已撤回") -> tuple[datetime | None, list[str]]:
    """After the files of a load (or a rollback): calendar, marts and contracts; return (as_of, warnings)."""
    span = con.execute("select min(received_at)::date, max(greatest(received_at, coalesce(due_at, received_at)))::date from fct_tickets").fetchall()[0]
    start = min(date(2020, 1, 1), span[0] or date(2020, 1, 1))
    end = max(date.today(), span[1] or date.today())
    end = date(end.year + 1, 12, 31)
    calendar_warnings = build_calendar(con, start, end)
    try:
        from etl.marts import MartsError, build_marts
        from onescreen.rules import RulesError, load_rules
    except ImportError:  # the metrics layer is optional while it is being built
        build_marts = None
    if build_marts is not None:
        progress("重建汇总表（marts）……")
        try:
            build_marts(con, load_rules())
        except (RulesError, MartsError) as error:  # a mistyped rules file is the user's to fix: no traceback
            raise LoadError(f"错误：{str(error).rstrip('。')}。{action}。") from None
    failures = contracts.run(con)
    if failures:
        raise LoadError(f"错误：操作后的数据将不满足数据约定，{action}：\n  " + "\n  ".join(failures))
    # Years the data reaches: its dates, the exports' deadlines and the deadlines derived for open tickets
    # (their overdue and near-deadline flags follow that year's calendar); not the year after, built ahead.
    last = span[1] or date.today()
    if build_marts is not None:
        open_due = con.execute("select max(due_at)::date from mart_open_tickets").fetchall()[0][0]
        last = max(last, open_due or last)
    warnings = [w for w in calendar_warnings if int(w.split(" ", 1)[0]) <= last.year]
    as_of = con.execute(
        "select max(greatest(received_at, coalesce(dispatched_at, received_at), coalesce(responded_at, received_at), "
        "coalesce(resolved_at, received_at), coalesce(callback_at, received_at))) from fct_tickets where not has_timeline_error"
    ).fetchall()[0][0]
    return as_of, warnings


def load_files(
    paths: list[Path],
    source: str | None = None,
    overrides: dict[str, str] | None = None,
    sheet: str | None = None,
    skip_bad_rows: bool = False,
    progress: Progress | None = None,
    db_path: Path | None = None,
    loaded_by: str | None = None,
    per_file: dict[Path, FileOptions] | None = None,
    dry_run: bool = False,
    date_order: str | None = None,
    allow_unknown_places: bool = False,
) -> LoadReport:
    """Load every file in one transaction and publish; raise LoadError (nothing changed) on any problem.

    ``per_file`` gives some files their own source, overrides and sheet. ``dry_run`` does everything
    (staging, reference checks, writing, marts, contracts) on the staging copy, then discards it and
    returns what the load would have done: with ``skip_bad_rows`` every file's problems are in its
    report. Rejected rows are still written beside the input. ``date_order`` (``"day"`` or ``"month"``)
    reads dates such as 04/11/2026 in files that do not tell their order (:func:`etl.staging.stage`).
    A tickets file most of whose rows name grids or streets the loaded places do not know (another area's export,
    :attr:`FileReport.foreign_places`) fails the load unless ``allow_unknown_places``; a dry run reports it.
    """
    progress = progress or (lambda message: None)
    loaded_by = loaded_by or getpass.getuser()
    reports: list[FileReport] = []

    def options(path: Path) -> tuple:
        chosen = (per_file or {}).get(Path(path))
        return (chosen.source, chosen.overrides, chosen.sheet) if chosen else (source, overrides, sheet)

    def order(path: Path) -> str | None:
        chosen = (per_file or {}).get(Path(path))
        return chosen.date_order if chosen else date_order

    try:
        with writer(db_path) as con:
            # Read the files under the lock: a second load fails at once, not after reading a big export.
            # A CSV's rows stay in the file until staging copies them into DuckDB batch by batch: held
            # whole in Arrow (as large as the file) beside DuckDB's copy, a 5M-row export peaked at 4.7 GB.
            # A load-wide --map may name a header of one of several files: it must be in one of them.
            shared = [Path(p) for p in paths if Path(p) not in (per_file or {})] if len(paths) > 1 else []
            plans = [dataclasses.replace(plan_file(Path(p), *options(p), stream=True, check_overrides=Path(p) not in shared),
                                         date_order=order(p)) for p in paths]
            raws = [plan.raw for plan in plans if plan.raw.path in shared]
            if absent := [h for h in (overrides or {}) if raws and all(h in absent_headers(r.headers, overrides) for r in raws)]:
                raise _absent_error(absent, raws)
            as_of, warnings = _load_plans(con, plans, reports, skip_bad_rows, loaded_by, progress)
            foreign = [r.foreign_places for r in reports if r.foreign_places]
            if foreign and not allow_unknown_places and not dry_run:
                raise LoadError("错误：" + "".join(foreign) + "本次导入已撤回，数据仓库没有任何改动。请确认导入的是本区域的导出"
                                "（或先导入包含这些网格的网格定义）；确实要导入区域外的数据时，加 --allow-unknown-places（导入页面上勾选“确认导入区域外的数据”）再导入一次。")
            if dry_run:
                raise _DryRun()  # the writer discards its staging copy: nothing is published
    except _DryRun:
        pass
    return LoadReport(reports, as_of, warnings)


class _DryRun(Exception):
    """Raised inside the writer to discard a dry run's staging copy."""


def _load_plans(con, plans: list[FilePlan], reports: list[FileReport], skip_bad_rows: bool, loaded_by: str,
                progress: Progress) -> tuple[datetime | None, list[str]]:
    """Write the planned files into ``con`` (appending to ``reports``); then marts and contracts."""
    install_macros(con)
    mark_areas_current_if_empty(con)
    refresh_row_hashes(con, progress)   # after an upgrade that changed how row_hash is made: else all count 更新
    # Staging tables are joined by row number and every result is ordered where order matters: letting
    # DuckDB write rows in any order makes the big statements parallel and lighter on memory.
    con.execute("set preserve_insertion_order = false")
    # One checkpoint at the end (publish) instead of one every 16 MB of changes: a large reload's
    # scattered updates are written once.
    con.execute("set checkpoint_threshold = '64GB'")
    # Past this DuckDB spills to a temporary folder beside the staging file instead of growing.
    con.execute("set memory_limit = ?", [load_memory_limit()])
    # Files are written in dependency order: places before the tickets and inspections placed in them,
    # and a shapes-only grid file after the grid attributes it gives boundaries to.
    order = {"grids": 0, "compounds": 1, "inspections": 2, "hotline": 3, "events": 3}
    if sum(plan.source.name in ("hotline", "events") for plan in plans) > 1:
        start_load_record(con)  # the same ticket in two files of the load (settle_ties_between_files)
    for plan in sorted(plans, key=lambda p: (order[p.source.name], p.required == ("grid_code", "geometry"))):
        sha256 = file_sha256(plan.raw.path)
        # The same content and the same sheet: another sheet of a workbook is other data (a CSV has none).
        previous = con.execute(
            "select batch_id from load_batches where sha256 = ? and sheet_name is not distinct from ? and status = 'loaded'",
            [sha256, plan.raw.sheet_name],
        ).fetchall()
        previous = previous[0] if previous else None
        if previous:
            report = FileReport(plan.raw.path.name, plan.source.name, "already_loaded", batch_id=previous[0],
                                sheet_name=plan.raw.sheet_name)
            reports.append(report)
            progress(f"{report.label}：已在批次 {previous[0]} 导入过，本次未做任何改动。")
            continue
        reports.append(_load_one(con, plan, sha256, skip_bad_rows, loaded_by, progress))
    _drop_temp(con, LOAD_ROWS, LOAD_FILES)
    if all(r.status == "already_loaded" for r in reports):
        return None, []
    return finish(con, progress)


def rollback(batch_id: int, db_path: Path | None = None, progress: Progress | None = None) -> dict[str, int]:
    """Undo one batch and publish; raise LoadError if it cannot be undone."""
    from etl.upsert import rollback_batch

    progress = progress or (lambda message: None)
    path = Path(db_path or settings.warehouse_path())
    if not path.exists():  # (the writer would create the warehouse, and its lock file, to find nothing to undo)
        raise LoadError(f"错误：数据仓库 {path} 还不存在，没有可撤销的导入批次。")
    with writer(db_path) as con:
        install_macros(con)
        restored = rollback_batch(con, batch_id)
        finish(con, progress, action=f"撤销批次 {batch_id} 未执行（通常是后来导入的数据仍引用它，请先撤销后来的批次）")
    return restored
