"""A wall logged in with a screen key (大屏钥匙) comes back by itself after the server restarts: the browser is not
reloaded and nobody types anything, as in a command hall at night. Before, every new session of the wall showed the
login page until someone came with a keyboard."""

from __future__ import annotations

import json

import pytest

from onescreen import users

from .conftest import _free_port, open_page, run_server
from .test_pages_browser import assert_healthy, ticket_tile

pytestmark = pytest.mark.browser
RESTART_TIMEOUT_MS = 120_000


def key_logins(audit_path) -> list[dict]:
    if not audit_path.exists():
        return []
    events = [json.loads(line) for line in audit_path.read_text(encoding="utf-8").splitlines()]
    return [e for e in events if e["action"] == "login" and e["detail"] == "大屏钥匙登录"]


def test_the_wall_logs_itself_in_again_after_a_server_restart(browser, demo_warehouse, artifacts_dir, tmp_path):
    users_file = tmp_path / "users.json"
    key = users.add_key("指挥大厅", district=True, path=users_file)
    log = artifacts_dir / "wall-key-server.log"
    audit_path = log.with_suffix(".audit.jsonl")  # where run_server sends the audit log
    audit_path.unlink(missing_ok=True)
    env = {"ONESCREEN_USERS": str(users_file)}
    port = _free_port()
    with open_page(browser, f"http://127.0.0.1:{port}", artifacts_dir, width=1920, height=1080) as bp:
        with run_server(demo_warehouse, log, env, port=port):
            bp.goto(f"/?kiosk=1&refresh=10&key={key}")
            ticket_tile(bp).wait_for(timeout=60_000)
            assert bp.page.get_by_label("用户名", exact=True).count() == 0
            assert len(key_logins(audit_path)) == 1
        with run_server(demo_warehouse, log, env, port=port):  # restarted: every session of the wall is gone
            # The wall's own refresh (?refresh=10) runs again on a new session: it logs in with its key again.
            deadline_ms = RESTART_TIMEOUT_MS
            while len(key_logins(audit_path)) < 2 and deadline_ms > 0:
                bp.page.wait_for_timeout(500)  # polls the audit log file; the page itself is not waited on by time
                deadline_ms -= 500
            assert len(key_logins(audit_path)) == 2, "the wall did not log in again by itself after the restart"
            bp.wait_idle()
            ticket_tile(bp).wait_for(timeout=60_000)
            bp.screenshot("wall-key-after-restart")
            assert bp.page.get_by_label("用户名", exact=True).count() == 0
            assert bp.page.get_by_text("一屏 · 登录").count() == 0
            assert_healthy(bp)
    assert key not in audit_path.read_text(encoding="utf-8")
    assert key not in log.read_text(encoding="utf-8")
