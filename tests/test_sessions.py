"""Sessions already logged in follow the users file: a removed user, or one whose role, area or
permissions changed, is logged out on the next page run (and a download built later is refused)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from onescreen import auth, users as user_file
from onescreen.access import AccessError

from conftest import ROOT, TEST_PASSWORD, login

APP = str(ROOT / "app.py")


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=120).run()


def events(tmp_path) -> list[tuple[str, str]]:
    lines = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    return [(e["action"], e["user"]) for e in map(json.loads, lines)]


def logged_out(at: AppTest) -> bool:
    """The login page with the note, and no data."""
    return ([t.value for t in at.title] == ["一屏 · 登录"] and [w.value for w in at.warning] == [auth.REVOKED_NOTE]
            and not at.dataframe and auth.IDENTITY_KEY not in at.session_state)


def test_a_removed_user_is_logged_out_on_the_next_run(warehouse_copy, users, tmp_path):
    at = login(app(), "admin")
    at.switch_page("app_pages/audit.py")
    assert at.run().dataframe  # the audit log, read as admin
    user_file.remove_user("admin", path=users)
    at.run()
    assert logged_out(at)
    assert events(tmp_path)[-1] == ("revoked", "admin")
    login(at, "admin")  # gone from the file: cannot log in again either
    assert [e.value for e in at.error] == ["用户名或密码不对。"]


@pytest.mark.parametrize("change", [
    {"role": "analyst", "district": True, "permissions": ("export_unmasked",)},  # admin -> analyst
    {"role": "admin", "communities": ("530302001001",), "permissions": ("export_unmasked",)},  # area narrowed
    {"role": "admin", "district": True},  # the unmasked-export permission taken away
])
def test_a_changed_role_area_or_permission_logs_the_session_out(change, warehouse_copy, users, tmp_path):
    at = login(app(), "admin")
    assert auth.IDENTITY_KEY in at.session_state
    change = dict(change)
    user_file.add_user("admin", change.pop("role"), TEST_PASSWORD, replace=True, path=users, rounds=4, **change)
    at.run()
    assert logged_out(at)
    login(at, "admin")  # logging in again gets what the file says now
    assert at.session_state[auth.IDENTITY_KEY] == user_file.identity_of("admin", user_file.load(users)["admin"])


def test_an_unchanged_user_stays_logged_in_and_the_file_is_read_once(warehouse_copy, users, monkeypatch):
    at = login(app(), "leader")
    user_file.add_user("kiosk", "kiosk", TEST_PASSWORD, replace=True, path=users, rounds=4)  # someone else changed
    reads = []
    original = user_file.load
    monkeypatch.setattr(user_file, "load", lambda path=None: reads.append(path) or original(path))
    for _ in range(3):
        at.run()
        assert not at.exception and auth.IDENTITY_KEY in at.session_state and not at.warning
    assert len(reads) == 1  # once for the replaced file, then from the cache while it stays the same


def test_a_download_built_after_the_user_was_narrowed_is_refused_and_audited(users, tmp_path):
    identity = user_file.identity_of("analyst", user_file.load(users)["analyst"])
    built = []
    download = auth.guarded(identity, lambda: built.append(1) or b"rows", "工单明细 CSV 下载")
    assert download() == b"rows"
    user_file.add_user("analyst", "analyst", TEST_PASSWORD, communities=("530302001001",), replace=True, path=users,
                       rounds=4)
    with pytest.raises(AccessError, match=auth.REVOKED_NOTE):
        download()
    assert built == [1]
    assert events(tmp_path) == [("denied", "analyst")]


def test_demo_mode_is_unchanged(warehouse_copy):
    at = app()
    assert not at.exception and any("演示模式" in w.value for w in at.warning)
    at.run()
    assert any("演示模式" in w.value for w in at.warning) and not any(t.value == "一屏 · 登录" for t in at.title)
