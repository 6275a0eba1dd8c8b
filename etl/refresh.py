"""Bring an existing warehouse up to the code and the rules in force, without loading a file.

A warehouse made by an older version may lack a column or a mart table that the pages now read, and
marts built before ``config/rules.toml`` was edited show figures by the old rules while the pages
state the new ones. Its tickets' ``address_area`` (the address cut after the compound or road) may
have been cut by older masking code: a cut that no longer stops where it now must (马场村5组17号, one
household, before the cut stopped at a 村民小组) stays in the stored rows until their tickets are
reloaded. :func:`stale_reasons` says which (cheap: a read-only look, for every ``make run``);
:func:`refresh` adds the missing columns, recomputes the address areas if their code changed, then
rebuilds the calendar, the marts and the contracts in one publish, exactly as the end of a load does.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from etl.warehouse import missing_columns, open_readonly, writer

ROOT = Path(__file__).resolve().parent.parent
# The code that turns a ticket's address into its address_area (onescreen.masking.mask_address, run
# per distinct address by etl.address_areas). Stored areas cut by other code are recomputed.
AREA_CODE = [ROOT / "onescreen" / "masking.py", ROOT / "etl" / "address_areas.py"]
AREA_KEY = "address_area_code"   # its row in warehouse_meta


def area_code_digest() -> str:
    """First 12 hex digits of SHA-256 over the code of :data:`AREA_CODE`: its syntax tree without
    docstrings, so an edit of a comment, a docstring or the layout does not mark every stored area
    stale (recomputing them takes a minute at 5M tickets)."""
    digest = hashlib.sha256()
    for path in AREA_CODE:
        digest.update(path.name.encode("utf-8") + b"\0" + _code_only(path.read_text("utf-8")).encode("utf-8"))
    return digest.hexdigest()[:12]


def _code_only(source: str) -> str:
    """``ast.dump`` of ``source`` with every docstring removed (comments and line numbers never appear)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def _has(con, table: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = 'main' and table_name = ?",
                            [table]).fetchall()[0][0])


def areas_stale(con) -> bool:
    """Whether stored tickets may have an address_area cut by other code than :data:`AREA_CODE`: the
    warehouse records another digest, or none (made before it was recorded). Only tickets with their
    personal row (every loaded one: ``ticket_pii`` keeps the address) can be recomputed."""
    personal = [t for t in ("ticket_pii", "ticket_pii_hist") if _has(con, t)]
    if not personal or not _has_rows(con, personal):
        return False
    stored = con.execute("select value from warehouse_meta where name = ?", [AREA_KEY]).fetchall() \
        if _has(con, "warehouse_meta") else []
    return not stored or stored[0][0] != area_code_digest()


def _has_rows(con, tables: list[str]) -> bool:
    return bool(con.execute("select " + " or ".join(f"exists (select 1 from {t})" for t in tables)).fetchall()[0][0])


def mark_areas_current(con) -> None:
    """Record that every stored address_area was cut by the code in force (on a writer's connection)."""
    con.execute("insert or replace into warehouse_meta values (?, ?)", [AREA_KEY, area_code_digest()])


def mark_areas_current_if_empty(con) -> None:
    """Before a load: a warehouse without tickets has no stale areas, and the load cuts its own by the
    code in force (so a new warehouse is not "stale" after its first load)."""
    if not _has_rows(con, ["ticket_pii", "ticket_pii_hist"]):
        mark_areas_current(con)


# (tickets table, its personal table, the columns joining them)
_AREA_TABLES = (("fct_tickets", "ticket_pii", ("ticket_id",)),
                ("fct_tickets_hist", "ticket_pii_hist", ("ticket_id", "replaced_by_batch_id")))


def refresh_address_areas(con, progress: Callable[[str], None] = lambda _: None) -> int:
    """Recompute ``address_area`` from the address kept in ``ticket_pii`` where it was cut by other code
    (:func:`areas_stale`), with what depends on it: ``place_hash`` (the place 高频问题 groups by) and
    ``row_hash`` (so that a reload of the same export finds the ticket unchanged). The versions kept for
    rollback (``fct_tickets_hist`` with ``ticket_pii_hist``) too: a rollback must not bring a household
    back. Each distinct address is masked once, as a load does; only rows whose area changes are
    written (an address that may hold its caller's name: once per (address, caller) pair, masked with
    the name). Returns how many rows changed. The caller's writer is the transaction: if anything after
    fails, the published warehouse is left as it was.

    The original address is used, not the stored area: cutting an area again is not always the same
    as cutting its address (a phone number in an address is masked to ``138****5678`` in the area, and
    ``5678队`` then reads as a 生产队)."""
    from etl.address_areas import CALLER_IN_ADDRESS, AddressAreas
    from etl.load_tickets import place_hash_sql, row_hash_sql

    if not areas_stale(con):
        return 0
    progress("按现行脱敏规则重算工单的地址区域（address_area）……")
    query = ("select address from ticket_pii where address is not null "
             "union select address from ticket_pii_hist where address is not null")
    callers = (f"select address, caller_name from ticket_pii where {CALLER_IN_ADDRESS} "
               f"union select address, caller_name from ticket_pii_hist where {CALLER_IN_ADDRESS}")
    areas = AddressAreas(con, addresses=query, callers=callers)
    con.register("refresh_area_frame", areas.table())
    con.execute("create or replace temp table refresh_areas as select address, address_area from refresh_area_frame")
    con.unregister("refresh_area_frame")
    # The area of an address that may hold its caller's name is masked with that name, as a load does.
    con.register("refresh_caller_frame", areas.caller_table())
    con.execute("create or replace temp table refresh_caller_areas as "
                "select address, caller_name, address_area from refresh_caller_frame")
    con.unregister("refresh_caller_frame")
    changed = 0
    for table, personal, keys in _AREA_TABLES:
        key_list = ", ".join(keys)
        con.execute(
            f"""create or replace temp table refresh_changed as
            select {', '.join(f't.{k}' for k in keys)}, coalesce(ca.address_area, a.address_area) as new_area
            from {table} t join {personal} p using ({key_list}) left join refresh_areas a on a.address = p.address
            left join refresh_caller_areas ca on ca.address = p.address and ca.caller_name = p.caller_name
            where t.address_area is distinct from coalesce(ca.address_area, a.address_area)""")
        n = con.execute("select count(*) from refresh_changed").fetchall()[0][0]
        if n:
            def column(name: str) -> str:
                if name == "address_area":
                    return "c.new_area"
                return f"p.{name}" if name in ("caller_name", "caller_phone", "address", "content") else f"{table}.{name}"

            match = " and ".join(f"{table}.{k} = c.{k} and p.{k} = c.{k}" for k in keys)
            con.execute(
                f"""update {table} set address_area = c.new_area,
                    place_hash = {place_hash_sql(table, area="c.new_area")},
                    row_hash = {row_hash_sql(column)}
                from refresh_changed c, {personal} p where {match}""")
        changed += n
    for temp in ("refresh_areas", "refresh_caller_areas", "refresh_changed"):
        con.execute(f"drop table if exists temp.{temp}")
    mark_areas_current(con)
    if changed:
        progress(f"地址区域已按现行规则重算：{changed:,} 行有变化")
    return changed


ROW_HASH_KEY = "row_hash_version"   # its row in warehouse_meta: how the stored tickets' row_hash were made
INSPECTION_ROW_HASH_KEY = "inspection_row_hash_version"   # and the stored inspections'


def refresh_row_hashes(con, progress: Callable[[str], None] = lambda _: None) -> int:
    """Make every stored ticket's ``row_hash`` (and its versions kept for rollback) again from its stored
    columns when the warehouse records another way of making it than the code's
    (:data:`etl.load_tickets.ROW_HASH_VERSION`), or none (made before it was recorded); record the code's.
    The same for the stored inspections (``fct_inspections`` and ``fct_inspections_hist``), by their own
    version (:data:`etl.load_inspections.ROW_HASH_VERSION`, recorded as :data:`INSPECTION_ROW_HASH_KEY`).
    Returns how many rows were rehashed (0 when current, or for a warehouse without tickets or inspections).

    Before a load: the upsert compares a staged row's hash with the stored one, and a hash made the old way
    differs from every new one, so the first reload after an upgrade would count every ticket it gives again
    as 更新 (and copy each to history) when nothing changed. Made again from the stored columns, the hash
    is the one the same cells give now (as :func:`refresh_address_areas` relies on)."""
    return (_refresh_ticket_row_hashes(con, progress) + _refresh_inspection_row_hashes(con, progress)
            + refresh_inspection_ids(con, progress))


def _recorded(con, key: str) -> str | None:
    stored = con.execute("select value from warehouse_meta where name = ?", [key]).fetchall()
    return stored[0][0] if stored else None


def _refresh_ticket_row_hashes(con, progress: Callable[[str], None]) -> int:
    from etl.load_tickets import ROW_HASH_VERSION, row_hash_sql

    if _recorded(con, ROW_HASH_KEY) == ROW_HASH_VERSION:
        return 0
    changed = 0
    if _has_rows(con, [table for table, _, _ in _AREA_TABLES]):
        progress("按新的算法重算已存工单的行内容摘要（row_hash），仅在程序升级后的第一次导入时进行……")
        for table, personal, keys in _AREA_TABLES:
            def column(name: str) -> str:
                return f"p.{name}" if name in ("caller_name", "caller_phone", "address", "content") else f"t.{name}"

            key_list = ", ".join(keys)
            match = " and ".join(f"{table}.{k} = h.{k}" for k in keys)
            # A ticket without its personal row (written by hand) hashes those columns as null, as staging would.
            changed += con.execute(
                f"""update {table} set row_hash = h.row_hash
                from (select {', '.join(f't.{k}' for k in keys)}, {row_hash_sql(column)} as row_hash
                      from {table} t left join {personal} p using ({key_list})) h
                where {match}""").fetchall()[0][0]
    con.execute("insert or replace into warehouse_meta values (?, ?)", [ROW_HASH_KEY, ROW_HASH_VERSION])
    return changed


def _refresh_inspection_row_hashes(con, progress: Callable[[str], None]) -> int:
    from etl.load_inspections import ROW_HASH_VERSION, row_hash_sql

    if _recorded(con, INSPECTION_ROW_HASH_KEY) == ROW_HASH_VERSION:
        return 0
    changed = 0
    tables = ["fct_inspections", "fct_inspections_hist"]   # the versions kept for rollback too
    if _has_rows(con, tables):
        progress("按新的算法重算已存物业考核记录的行内容摘要（row_hash），仅在程序升级后的第一次导入时进行……")
        for table in tables:
            changed += con.execute(f"update {table} set row_hash = {row_hash_sql()}").fetchall()[0][0]
    con.execute("insert or replace into warehouse_meta values (?, ?)", [INSPECTION_ROW_HASH_KEY, ROW_HASH_VERSION])
    return changed


INSPECTION_ID_KEY = "inspection_id_version"   # its row in warehouse_meta: how the derived inspection ids were made


def refresh_inspection_ids(con, progress: Callable[[str], None] = lambda _: None) -> int:
    """Give the stored inspections whose id was derived (an export without 考核编号) another way than the code's
    (:data:`etl.load_inspections.INSPECTION_ID_VERSION`; none recorded: version 1, which held the score) the id the
    code derives now from their stored columns, with the row hash that depends on it, and record the version.
    Returns how many rows changed.

    Before a load: with the old ids the reload of an export would add every such inspection again. Under version
    1 a corrected score was a second inspection: rows that now share an id are one inspection given several
    times. The one of the latest batch stays; each earlier one becomes the version it replaced (history,
    ``replaced_by_batch_id`` that batch), as if that batch had corrected it, so a rollback puts it back. Rows of
    one batch that share an id (one file gave the same inspection twice with different scores; nothing tells
    which is right) keep their old ids: loading such a file again is refused, saying why."""
    from etl.load_inspections import INSPECTION_ID_VERSION, derived_id_sql, fallback_id_sql, row_hash_sql

    if _recorded(con, INSPECTION_ID_KEY) == INSPECTION_ID_VERSION:
        return 0
    changed = 0
    if _has_rows(con, ["fct_inspections", "fct_inspections_hist"]):
        new_id = fallback_id_sql()
        con.execute(
            f"""create or replace temp table refresh_ids as
            with derived as (
                select inspection_id as old_id, {new_id} as new_id, batch_id from fct_inspections where {derived_id_sql()}),
            counted as (
                select *, count(*) over (partition by new_id, batch_id) as in_batch, max(batch_id) over (partition by new_id) as latest
                from derived)
            select *, max(in_batch) over (partition by new_id) > 1 as is_ambiguous from counted""")
        if con.execute("select count(*) from refresh_ids where old_id <> new_id").fetchall()[0][0]:
            progress("按新的规则重算没有考核编号的物业考核记录的编号，仅在程序升级后的第一次导入时进行……")
        # Earlier versions of one inspection: to history, as replaced by the latest batch that gave it.
        con.execute(
            """insert into fct_inspections_hist by name
            select t.* replace (i.new_id as inspection_id), i.latest as replaced_by_batch_id
            from fct_inspections t join refresh_ids i on i.old_id = t.inspection_id
            where not i.is_ambiguous and i.batch_id < i.latest""")
        changed += con.execute(
            "delete from fct_inspections where inspection_id in "
            "(select old_id from refresh_ids where not is_ambiguous and batch_id < latest)").fetchall()[0][0]
        changed += con.execute(
            "update fct_inspections set inspection_id = i.new_id from refresh_ids i where fct_inspections.inspection_id = i.old_id "
            "and not i.is_ambiguous and i.batch_id = i.latest and i.old_id <> i.new_id").fetchall()[0][0]
        # The versions kept for rollback: each the id of its own columns, but those of an inspection left as it was.
        changed += con.execute(
            f"update fct_inspections_hist set inspection_id = {new_id} where {derived_id_sql()} "
            f"and inspection_id <> {new_id} and inspection_id not in (select old_id from refresh_ids where is_ambiguous)"
            ).fetchall()[0][0]
        for table in ("fct_inspections", "fct_inspections_hist"):
            con.execute(f"update {table} set row_hash = {row_hash_sql()} where {derived_id_sql()}")
        con.execute("drop table if exists temp.refresh_ids")
    con.execute("insert or replace into warehouse_meta values (?, ?)", [INSPECTION_ID_KEY, INSPECTION_ID_VERSION])
    return changed


def pending_migrations(con) -> list[str]:
    """What :func:`refresh_row_hashes` would change in the warehouse of ``con`` (read-only is enough), one Chinese
    line each: stored rows whose row hash, or whose derived 考核编号 (:func:`refresh_inspection_ids`), were made
    another way than the code's. A load does these first; ``refresh --if-stale`` must not call such a warehouse
    current (the pages would show figures from inspections a reload then counts twice, or as all changed)."""
    from etl.load_inspections import INSPECTION_ID_VERSION, derived_id_sql, fallback_id_sql
    from etl.load_inspections import ROW_HASH_VERSION as INSPECTION_ROW_HASH_VERSION
    from etl.load_tickets import ROW_HASH_VERSION

    if not _has(con, "warehouse_meta"):
        return []
    checks = [
        (ROW_HASH_KEY, ROW_HASH_VERSION, ["fct_tickets", "fct_tickets_hist"],
         "已存工单的行内容摘要（row_hash）是按旧的算法计算的（程序已升级），重新导入时会把未变的工单都算作更新"),
        (INSPECTION_ROW_HASH_KEY, INSPECTION_ROW_HASH_VERSION, ["fct_inspections", "fct_inspections_hist"],
         "已存物业考核记录的行内容摘要（row_hash）是按旧的算法计算的（程序已升级）"),
        (INSPECTION_ID_KEY, INSPECTION_ID_VERSION, ["fct_inspections", "fct_inspections_hist"],
         "没有考核编号的物业考核记录的编号是按旧的规则生成的（程序已升级），重新导入同一导出会重复计入"),
    ]
    reasons = []
    for key, version, tables, reason in checks:
        present = [t for t in tables if _has(con, t)]
        if _recorded(con, key) == version or not present:
            continue
        if key == INSPECTION_ID_KEY:   # only derived ids the code now derives otherwise (given ones are never rewritten)
            present = [f"(select 1 from {t} where {derived_id_sql()} and inspection_id <> {fallback_id_sql()})"
                       for t in present]
        if _has_rows(con, present):
            reasons.append(reason)
    return reasons


def rules_label() -> str:
    """The rules file in use as a user knows it: ``config/rules.toml`` for the checkout's own, else its full path
    (``$ONESCREEN_RULES``), so the message sends them to the file they edit."""
    from onescreen import settings

    path = settings.rules_path()
    return "config/rules.toml" if path == settings.CONFIG_DIR / "rules.toml" else str(path)


def stale_reasons(path: Path | None = None) -> list[str]:
    """Why the warehouse at ``path`` needs :func:`refresh` (Chinese, one line each); empty if current."""
    from etl.marts import MARTS, sql_digest
    from onescreen.rules import load_rules

    con = open_readonly(path)
    if con is None:
        return []
    try:
        reasons = [f"表 {table} 缺少列 {column}（程序已升级）" for table, column, _ in missing_columns(con)]
        tables = {row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'").fetchall()}
        if areas_stale(con):
            reasons.append("工单的地址区域（address_area）是按旧的地址脱敏规则截取的（程序已升级）")
        reasons += pending_migrations(con)
        missing = [m for m in MARTS if m not in tables]
        if missing:
            reasons.append(f"缺少汇总表 {'、'.join(missing)}（程序已升级）")
        else:
            meta = con.execute("select * from mart_meta").df().iloc[0]
            if meta.get("sql_digest") != sql_digest():
                reasons.append("汇总表的计算程序已更新（程序已升级）")
            if meta["rules_digest"] != load_rules().digest():
                reasons.append(f"规则文件 {rules_label()} 已修改，汇总表仍按旧规则计算")
        if "dim_calendar" in tables and calendar_changed(con):
            reasons.append("工作日历有变化（config/calendar_overrides.csv 或节假日数据已更新），办理时限和超期仍按旧日历计算")
        return reasons
    finally:
        con.close()


def calendar_changed(con) -> bool:
    """Whether the stored working-day calendar differs from the one the code and
    ``config/calendar_overrides.csv`` give now for the same dates (a published 调休 schedule added to the
    file changes deadlines and overdue flags only when the calendar and the marts are rebuilt)."""
    from etl.calendar import calendar_frame

    stored = con.execute("select calendar_date, is_workday, holiday_name from dim_calendar order by 1").df()
    if stored.empty:
        return False
    now, _warnings = calendar_frame(stored["calendar_date"].iloc[0].date(), stored["calendar_date"].iloc[-1].date())
    return not (len(now) == len(stored)
                and now["is_workday"].tolist() == stored["is_workday"].tolist()
                and now["holiday_name"].fillna("").tolist() == stored["holiday_name"].fillna("").tolist())


def create_empty(path: Path | None = None, progress: Callable[[str], None] = lambda _: None) -> bool:
    """Create an empty warehouse at ``path`` (default :func:`onescreen.settings.warehouse_path`) unless one exists:
    every table, the working-day calendar, the marts built on no data with their ``mart_meta`` and the versions a
    first load would record, published like any load, so that the pages show their empty state (not a missing
    file) and ``refresh --if-stale`` finds it current. Returns whether it was created.

    What ``make run`` does for a deployment (``ONESCREEN_DATA_DIR`` or ``ONESCREEN_DB`` set) that has no warehouse
    yet: a street starts with its own data, never with the demo district's invented tickets."""
    from etl.load import finish
    from onescreen import settings

    published = Path(path or settings.warehouse_path())
    if published.exists():
        return False
    with writer(published) as con:
        refresh_row_hashes(con, progress)   # records the code's versions: nothing stored was made another way
        mark_areas_current(con)
        finish(con, progress, action="数据仓库未创建")
    return True


def refresh(path: Path | None = None, progress: Callable[[str], None] = lambda _: None) -> tuple[datetime | None, list[str]]:
    """Add missing columns (and their history twins', as every write does), make the row hashes again if
    made another way (:func:`refresh_row_hashes`), recompute the address areas if their code changed
    (:func:`refresh_address_areas`), rebuild calendar, marts and contracts; publish.

    Returns (as_of, warnings) like the end of a load. Raises :class:`etl.errors.LoadError` when the
    rules file is wrong or a contract fails; the published warehouse is then unchanged.
    """
    from etl.load import finish

    with writer(path) as con:  # the writer adds missing columns (etl.warehouse.create_schema)
        refresh_row_hashes(con, progress)
        refresh_address_areas(con, progress)
        return finish(con, progress, action="汇总表未重建，数据仓库保持原样")
