"""Tickets for the 工单明细 page: the list behind any number and one ticket's timeline, masked.

The named query ``ticket_list`` is the only query that reads ``ticket_pii``; its registry entry runs
:func:`mask_tickets` inside ``run_query``, so an unmasked value never reaches the page cache
(``onescreen.data``), the browser or a download. :func:`list_tickets` runs on the cursor it is given and
:func:`fetch_tickets` on one of its own; the rest are plain functions of their arguments, testable without
Streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

import numpy as np
import pandas as pd

from onescreen import db
from onescreen.masking import mask_address, mask_name, mask_phone, scrub_text
from onescreen.queries import run_query

CONTENT_MAX_CHARS = 50
PAGE_ROWS = 500            # rows in one page of the table (the page number picks the others)
EXPORT_MAX_ROWS = 20000    # rows in one download (XLSX writing takes about 1 s per 1,000 rows)

STATUSES: dict[str, str] = {"all": "全部", "open": "未办结", "overdue": "超期", "near_deadline": "临期",
                            "returned": "已退单", "closed": "已办结", "voided": "已撤销"}
# What ticket_list's ``unassigned`` lists (the names mart_rates gives those rows), and what that means.
UNASSIGNED: dict[str, str] = {"street": "街道不明", "community": "社区不明", "grid": "未落格",
                              "department": "未注明承办单位", "category": "未分类"}
UNASSIGNED_NOTES: dict[str, str] = {"street": "没有落到任何街道的工单", "community": "没有落到任何社区的工单",
                                    "grid": "没有落到任何网格的工单", "department": "没有注明承办单位的工单",
                                    "category": "没有一级分类的工单"}
# The shared filter (a ``Filters`` field) that picks a unit of the level: chosen, it replaces the level's 'unassigned'.
UNASSIGNED_CLASH: dict[str, tuple[str, ...]] = {"street": ("street_code",), "community": ("community_code",),
                                                "grid": ("grid_code",), "department": (), "category": ("category",)}
# The order each status view is most useful in (an allow-listed identifier of ticket_list).
STATUS_SORT: dict[str, tuple[str, str]] = {"overdue": ("overdue_workdays", "desc"),
                                           "near_deadline": ("remaining_workdays", "asc")}

# Display order: what a meeting asks first (where, what, how late), then who, then the rest.
COLUMNS: dict[str, str] = {
    "ticket_id": "工单编号", "received_at": "受理时间", "state": "办理状态", "due_at": "办理时限",
    "overdue_workdays": "超期（工作日）", "category_l1": "一级分类", "category_l2": "二级分类",
    "street_name": "街道", "community_name": "社区", "grid_name": "网格", "content": "诉求内容（摘要）",
    "caller_name": "来电人", "caller_phone": "联系电话", "address": "地址", "source": "诉求来源",
    "appeal_type": "诉求类型", "department": "承办单位", "status": "工单状态",
    "remaining_workdays": "剩余（工作日）", "resolved_at": "办结时间", "handling_level": "办结层级",
    "satisfaction": "满意度",
}


# On screen the columns a status view is read by come first (工单明细 at 1440 px shows about 950 px of table):
# the number, when received, the state and how late (or how long left, or when closed), what and where.
# Downloads keep COLUMNS' order.
SCREEN_TIMING: dict[str, tuple[str, ...]] = {
    "open": ("超期（工作日）", "剩余（工作日）"), "near_deadline": ("剩余（工作日）",), "closed": ("办结时间",),
    "returned": (),  # a returned ticket is in nobody's hands: never overdue, no time left to count
    "voided": ()}  # nor a voided one (已撤销: withdrawn or cancelled, no work to do)
SCREEN_FIRST = ("工单编号", "受理时间", "办理状态", "<timing>", "一级分类", "二级分类", "街道", "社区", "网格", "办理时限")


def screen_columns(status: str, shown: list[str]) -> tuple[list[str], dict]:
    """(column order, column config) of the ticket list on screen for a ``status`` view of the
    :func:`display_frame` columns ``shown``: the columns it is read by first (:data:`SCREEN_FIRST`, the
    timing column of the status), at widths that fit them side by side, the ticket number pinned while
    the rest scrolls; working days as numbers to 0.1 (sorted as numbers), times to the minute."""
    from streamlit import column_config as column

    timing = SCREEN_TIMING.get(status, ("超期（工作日）",))
    first = [c for name in SCREEN_FIRST for c in (timing if name == "<timing>" else (name,))]
    order = [c for c in first if c in shown] + [c for c in shown if c not in first]
    when = dict(format="YYYY-MM-DD HH:mm", width=120)  # "2025-11-30 23:21" is 98 px in chromium
    config = {
        "工单编号": column.TextColumn(width=128, pinned=True),  # GD2025113000043: 107 px
        "受理时间": column.DatetimeColumn(**when),
        "办理时限": column.DatetimeColumn(**when),
        "办结时间": column.DatetimeColumn(**when),
        "办理状态": column.TextColumn(width=72),
        # The unit in the header (工作日, not days), as 一屏总览's 超期工作日: 5 characters need 86 px.
        "超期（工作日）": column.NumberColumn("超期工作日", format="%.1f", width=86,
                                          help="超期的工作日数（数据截至时未办结且已过办理时限）"),
        "剩余（工作日）": column.NumberColumn("剩余工作日", format="%.1f", width=86, help="距办理时限还剩的工作日数"),
        "一级分类": column.TextColumn(width=76),
        "二级分类": column.TextColumn(width=92),
        "街道": column.TextColumn(width=80),
        "社区": column.TextColumn(width=80),
        "诉求内容（摘要）": column.TextColumn(width=320),
    }
    return order, {name: value for name, value in config.items() if name in shown}


def mask_tickets(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with its personal columns masked for the meeting tier.

    Names keep their first character, phones ``138****5678``, addresses are cut before any building,
    unit, floor or room (``onescreen.masking.mask_address``), address and content are scrubbed (their own
    caller's name included), and content is cut to 50 characters. Columns that are absent are skipped; other columns are untouched.
    """
    out = df.copy()
    # Plain lists: stepping through an Arrow-backed column value by value costs more than the masking.
    names = df["caller_name"].tolist() if "caller_name" in df else [None] * len(df)
    if "content" in df:
        out["content"] = [scrub_text(text, caller_name=name, max_len=CONTENT_MAX_CHARS)
                          for text, name in zip(df["content"].tolist(), names)]
    if "address" in df:
        out["address"] = [mask_address(value, caller_name=name) for value, name in zip(df["address"].tolist(), names)]
    for column, mask in (("caller_name", mask_name), ("caller_phone", mask_phone)):
        if column in df:
            out[column] = [mask(value) for value in df[column].tolist()]
    return out


def list_params(filters, *, status: str = "all", category_l2: str = "", ticket_id: str = "",
                whole_period: bool = False, received_between: tuple | None = None, compound_code: str = "",
                property_complaint: bool = False, unassigned: str = "", limit: int | None = None,
                page: int = 1) -> dict:
    """Parameters of ``ticket_list`` for the shared ``filters`` (``onescreen.filters.Filters``) plus the
    page's own choices. Tickets received in the filters' period or date range are listed;
    ``whole_period`` drops the time (every ticket received so far); ``received_between`` = (first
    day, last day), both included, replaces it with another date range. ``property_complaint``: only the
    property complaints as 物业红黑榜 counts them. ``unassigned`` (a key of :data:`UNASSIGNED`): only the tickets of
    the filters' area with no unit of that level (a community's 未落格). ``page`` (from 1) picks which ``limit`` rows
    of the list."""
    if status not in STATUSES:
        status = "all"
    params = {**filters.scope(), "source": filters.source or None, "category_l1": filters.category or None,
              "category_l2": category_l2 or None, "ticket_id": ticket_id.strip() or None, "status": status,
              "compound_code": compound_code or None, **({"property_complaint": True} if property_complaint else {}),
              **({"unassigned": unassigned} if unassigned else {}),
              "limit": limit or PAGE_ROWS, "page": max(1, int(page))}
    if received_between is None and not whole_period:
        received_between = filters.days()
    if received_between is not None:
        first, last = sorted(received_between)
        params.update(received_from=first, received_before=last + timedelta(days=1))
    sort, order = STATUS_SORT.get(status, ("received_at", "desc"))
    return {**params, "sort": sort, "order": order}


_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')


def download_stem(area: str, period_text: str, params: Mapping) -> str:
    """A download's file name without its extension, naming every choice that narrowed the list (``params`` of
    :func:`list_params`): two downloads of one month, one of them a search for 编号含 AUD4 or one 二级分类, are two
    files with two names, not one name and a (1). A searched text is masked as the screen masks text (a phone pasted
    into the search) and every character a file name cannot hold becomes ``_``."""
    parts = ["工单明细", area, period_text, STATUSES.get(params.get("status") or "all", "全部")]
    parts += [value for value in (params.get("source"), params.get("category_l1"), params.get("category_l2")) if value]
    if params.get("compound_code"):
        parts.append(f"小区{params['compound_code']}")
    if params.get("property_complaint"):
        parts.append("物业投诉")
    if params.get("ticket_id"):
        parts.append(f"编号含{scrub_text(str(params['ticket_id']))}")
    return "_".join(_NOT_IN_FILE_NAMES.sub("_", str(part)).strip("_") for part in parts if part)


def unassigned_filter(filters, value: str) -> str:
    """The URL's ``unassigned`` as the list applies it: a key of :data:`UNASSIGNED`, or ``""`` when it is none or
    the shared ``filters`` already pick a unit of that level (a grid chosen in the sidebar ends the grid's 未落格)."""
    if value not in UNASSIGNED or any(getattr(filters, name) for name in UNASSIGNED_CLASH[value]):
        return ""
    return value


def list_tickets(con, **params) -> pd.DataFrame:
    """``ticket_list`` on the cursor ``con``: masked rows (see the query for the parameters)."""
    return run_query(con, "ticket_list", **params)


def fetch_tickets(params: Mapping) -> pd.DataFrame:
    """``ticket_list`` on a cursor of its own, uncached and NOT limited to a user's area: for trusted
    callers (the CLI). Pages use ``onescreen.data.fetch``, which enforces tier and scope."""
    with db.connect() as cur:
        return list_tickets(cur, **dict(params))


def state_label(row: Mapping) -> str:
    """超期 / 临期 / 办理中 / 逾期办结 / 按期办结 / 已办结 for one ticket at the as-of time (:func:`state_labels`
    of a one-row frame: one rule for a row and for a page)."""
    return str(state_labels(pd.DataFrame([dict(row)]))[0])


STATES = ("已退单", "超期", "临期", "办理中", "已办结", "逾期办结", "按期办结", "已撤销")


def state_labels(df: pd.DataFrame) -> np.ndarray:
    """The state of every row at once: a voided ticket (status 已撤销) is 已撤销, neither open nor closed; open
    tickets are 已退单 (returned to be dispatched again), 超期, 临期 or 办理中; closed ones 逾期办结 or 按期办结, or
    已办结 when lateness is unknown. A missing flag (None, NaN, NA) is not true."""

    def flag(column: str) -> np.ndarray:  # true where the row's value is true; a missing column or value is not
        if column not in df:
            return np.zeros(len(df), dtype=bool)
        values = df[column]
        return (values.notna() & values.astype(object).fillna(False).astype(bool)).to_numpy(dtype=bool)

    is_open = flag("is_open")
    late_missing = df["is_closed_late"].isna().to_numpy() if "is_closed_late" in df else np.ones(len(df), dtype=bool)
    voided = (df["status"] == "已撤销").fillna(False).to_numpy(dtype=bool) if "status" in df else np.zeros(len(df), bool)
    choices = [voided, is_open & flag("is_returned"), is_open & flag("is_overdue"), is_open & flag("is_near_deadline"),
               is_open, late_missing, flag("is_closed_late")]
    return np.select(choices, (STATES[7], *STATES[:6]), default=STATES[6])


def display_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The (already masked) list with a 办理状态 column and Chinese headers, for the table and downloads."""
    out = df.copy()
    out["state"] = state_labels(df)
    for column in ("overdue_workdays", "remaining_workdays"):  # working days to one decimal, not 4.54150462962963
        if column in out.columns:
            out[column] = pd.to_numeric(out[column]).round(1)
    keep = [c for c in COLUMNS if c in out.columns]
    return out[keep].rename(columns=COLUMNS)


def _text(value) -> str:
    return "" if _missing(value) else str(value)


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _workdays(what: str, value: float) -> str:
    """``超期 2.4 个工作日``; under 0.05 ``超期不足 0.1 个工作日`` (24 minutes past a deadline read "超期 0.0")."""
    return f"{what}不足 0.1 个工作日" if float(value) < 0.05 else f"{what} {float(value):.1f} 个工作日"


def timeline(row: Mapping) -> pd.DataFrame:
    """One ticket's steps (受理 → 派单 → 签收 → 办结 → 回访) and its deadline.

    Columns: ``step``, ``at`` (NaT when the step has not happened), ``note``. The deadline row says
    whether the ticket is overdue (by how many working days), near its deadline, or was closed late
    or on time.
    """
    resolved = row.get("is_resolved")
    answer = "" if _missing(resolved) else ("已解决" if resolved else "未解决")
    callback = "、".join(x for x in (answer, _text(row.get("satisfaction"))) if x)
    state = state_label(row)
    due_note = state
    overdue, remaining = row.get("overdue_workdays"), row.get("remaining_workdays")
    if state == "超期" and not _missing(overdue):
        due_note = _workdays("超期", overdue)
    elif state in ("临期", "办理中") and not _missing(remaining):
        due_note = f"{state}，" + _workdays("剩余", remaining)
    if row.get("is_due_derived") is True or row.get("is_due_derived") == 1:
        # Derived from the export's number of working days (15个工作日) when it gave one, else from the appeal type.
        workdays = row.get("due_workdays")
        due_note += "（时限按诉求类型推算）" if _missing(workdays) else f"（时限按导出的 {int(workdays)} 个工作日推算）"
    # The level it was closed at, only once closed: an open ticket's export can already carry a 办理层级
    # (where it is being handled), which read as "社区级办结" under a ticket still 办理中.
    level = _text(row.get("handling_level")) if not _missing(row.get("resolved_at")) else ""
    steps = [
        ("受理", row.get("received_at"), " ".join(x for x in (_text(row.get("source")), _text(row.get("appeal_type"))) if x)),
        ("派单", row.get("dispatched_at"), _text(row.get("department"))),
        ("签收（响应）", row.get("responded_at"), ""),
        ("办结", row.get("resolved_at"), f"{level}级办结" if level else ""),
        ("回访", row.get("callback_at"), callback),
        ("办理时限", row.get("due_at"), due_note),
    ]
    frame = pd.DataFrame(steps, columns=["step", "at", "note"])
    frame["at"] = pd.to_datetime(frame["at"])
    return frame
