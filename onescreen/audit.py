"""The audit log: who did what, when, with which filter, on how many rows.

Logins (and failed ones), sessions logged out because their user changed, uploads, rollbacks, exports,
phone reveals, unmasked exports and user changes are appended, one JSON object per line, to ``$ONESCREEN_AUDIT`` or ``data/audit.jsonl``
(outside the warehouse, which the app only reads and a load replaces). Appends are serialised by a
lock within the process and written with ``O_APPEND`` so lines from two processes (the app and the
CLI) do not interleave. Details and filters are scrubbed of personal data before writing (a reveal records which
ticket and why, never the number); only admins can read the log (``app_pages/audit.py``).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import pandas as pd

from onescreen import settings
from onescreen.access import ROLE_LABELS
from onescreen.masking import scrub_text

ACTIONS = {
    "login": "登录", "login_failed": "登录失败", "logout": "退出", "upload": "导入", "rollback": "撤销批次",
    "export": "导出", "export_unmasked": "未脱敏导出", "reveal_phone": "查看完整电话", "user_add": "添加用户",
    "user_remove": "删除用户", "denied": "拒绝访问", "revoked": "权限变更退出",
}
COLUMNS = {"at": "时间", "user": "用户", "role": "角色", "action": "操作", "detail": "内容", "filters": "筛选",
           "rows": "行数"}
# The role as the sidebar names it (access.ROLE_LABELS); the command line (etl) records "cli". A failed login has
# no role: "—". A code not known here (an older log) is shown as written.
ROLE_NAMES = {**ROLE_LABELS, "cli": "命令行", "": "—"}
_lock = threading.Lock()


def audit_path() -> Path:
    """``$ONESCREEN_AUDIT`` or ``data/audit.jsonl``."""
    value = os.environ.get("ONESCREEN_AUDIT")
    return Path(value).expanduser().resolve() if value else settings.DATA_DIR / "audit.jsonl"


def record(action: str, *, user: str, role: str = "", detail: str = "", filters: Mapping | None = None,
           rows: int | None = None, path: Path | None = None) -> dict:
    """Append one event and return it. ``action`` must be one of :data:`ACTIONS`."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = {
        "at": datetime.now().isoformat(timespec="seconds"),
        "user": str(user), "role": str(role), "action": action,
        "detail": scrub_text(str(detail)) if detail else "",
        # A filter is typed by the user too (工单编号 search: a phone number pasted there): scrubbed as the detail is.
        "filters": {str(k): scrub_text(str(v)) for k, v in (filters or {}).items() if v not in (None, "")},
        "rows": None if rows is None else int(rows),
    }
    line = (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8")
    path = path or audit_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    return event


def read(path: Path | None = None, limit: int = 5000) -> pd.DataFrame:
    """The newest ``limit`` events, newest first, with Chinese headers and Chinese action and role names
    (:data:`ACTIONS`, :data:`ROLE_NAMES`); a broken line is skipped."""
    path = path or audit_path()
    events = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
    events = events[-limit:][::-1]
    frame = pd.DataFrame(events, columns=list(COLUMNS))
    frame["at"] = pd.to_datetime(frame["at"], errors="coerce")
    frame["action"] = frame["action"].map(lambda a: ACTIONS.get(a, a))
    frame["role"] = frame["role"].map(lambda r: ROLE_NAMES.get(r, r) if isinstance(r, str) else "—")
    frame["filters"] = frame["filters"].map(
        lambda f: "；".join(f"{k}={v}" for k, v in f.items()) if isinstance(f, dict) else "")
    frame["rows"] = frame["rows"].astype("Int64")
    return frame.rename(columns=COLUMNS)
