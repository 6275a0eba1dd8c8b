"""Screen keys (大屏钥匙): a wall logs itself in from its address (``/?kiosk=1&key=...``), so a server restart does
not leave it on the login page; the key grants the wall pages only, is stored and logged nowhere, and a removed or
reset key logs the wall out. A password account of the kiosk role is a wall as well: the wall pages only, no
downloads."""

from __future__ import annotations

import hashlib
import json
import logging
import re

import pytest
from streamlit.testing.v1 import AppTest

from onescreen import auth, errors, users as user_file
from onescreen.access import WALL_PAGES, page_allowed

from conftest import ROOT, TEST_PASSWORD, login, run_cli

APP = str(ROOT / "app.py")
ALL_PAGES = ("overview", "lights", "rates", "heat", "companies", "tickets", "weekly", "upload", "audit")


@pytest.fixture(autouse=True)
def _fresh_limiter():
    auth.THROTTLE.clear()
    yield
    auth.THROTTLE.clear()


def wall(key: str, page: str | None = None, **query) -> AppTest:
    """The app opened as a wall browser opens it: ``?kiosk=1&key=...`` (and ``query``), on ``page`` if given."""
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in {"kiosk": "1", "key": key, **query}.items():
        at.query_params[name] = value
    if page:
        at.switch_page(f"app_pages/{page}.py")
    return at.run()


def audit_text(tmp_path) -> str:
    path = tmp_path / "audit.jsonl"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def events(tmp_path) -> list[tuple[str, str, str]]:
    return [(e["action"], e["user"], e["detail"]) for e in map(json.loads, audit_text(tmp_path).splitlines())]


def on_login_page(at: AppTest) -> bool:
    return [t.value for t in at.title] == ["一屏 · 登录"] and auth.IDENTITY_KEY not in at.session_state


def test_the_key_is_printed_once_and_only_its_hash_is_stored(users, tmp_path, capsys):
    code, out, err = run_cli(["users", "key", "add", "指挥大厅", "--district"], capsys)
    assert (code, err) == (0, "")
    key = out.splitlines()[2]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key)  # secrets.token_urlsafe(32)
    assert f"/?kiosk=1&carousel=60&key={key}" in out
    stored = users.read_text(encoding="utf-8")
    assert key not in stored and hashlib.sha256(key.encode()).hexdigest() in stored
    record = user_file.load(users)["指挥大厅"]
    assert record["role"] == "kiosk" and record["district"] and not record["password_hash"]
    code, listed, _ = run_cli(["users", "key", "list"], capsys)
    assert code == 0 and listed.startswith("指挥大厅\t区域：全区") and key not in listed
    assert user_file.authenticate("指挥大厅", key) is None  # no password: the key is not one either
    assert key not in audit_text(tmp_path)
    assert [(action, detail) for action, _, detail in events(tmp_path)] == [("user_add", "添加大屏钥匙 指挥大厅：全区")]
    code, out, err = run_cli(["users", "key", "add", "墙2"], capsys)
    assert (code, err.strip()) == (1, "错误：大屏钥匙要指定区域：--district（全区），或 --street/--community/--grid。")
    code, out, err = run_cli(["users", "key", "remove", "leader"], capsys)  # a password user is not a key
    assert (code, err.strip()) == (1, "错误：没有名为 leader 的大屏钥匙（用 python -m etl users key list 查看）。")
    assert "leader" in user_file.load(users)


def test_the_wall_address_logs_in_with_the_wall_pages_only(warehouse_copy, users, tmp_path):
    key = user_file.add_key("指挥大厅", district=True, path=users)
    at = wall(key, carousel="60")
    assert not at.exception and not on_login_page(at)
    identity = at.session_state[auth.IDENTITY_KEY]
    assert (identity.name, identity.role, identity.method, identity.scope.district) == ("指挥大厅", "kiosk", "key", True)
    assert [page for page in ALL_PAGES if page_allowed(identity, page)] == list(WALL_PAGES)
    assert events(tmp_path) == [("login", "指挥大厅", "大屏钥匙登录")]
    at.run()  # the next refresh: still the wall, no second login
    assert auth.IDENTITY_KEY in at.session_state and len(events(tmp_path)) == 1
    assert key not in audit_text(tmp_path)


@pytest.mark.parametrize("page", ["tickets", "upload", "weekly", "rates", "audit"])
def test_a_key_cannot_open_tickets_upload_or_download(page, warehouse_copy, users):
    key = user_file.add_key("指挥大厅", district=True, path=users)
    at = wall(key, page)
    assert not at.exception and auth.IDENTITY_KEY in at.session_state
    assert any("不能打开" in i.value for i in at.info), [i.value for i in at.info]
    assert not at.dataframe and not at.get("download_button") and not at.get("file_uploader")


def test_a_key_shows_the_wall_even_without_kiosk_in_the_address(warehouse_copy, users):
    key = user_file.add_key("指挥大厅", district=True, path=users)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["key"] = key
    at.switch_page("app_pages/heat.py")  # the analyst's heat page has tables and a CSV download
    at.run()
    assert not at.exception and auth.IDENTITY_KEY in at.session_state
    assert at.query_params["kiosk"] == "1"
    assert not at.dataframe and not at.get("download_button") and not at.sidebar.button


@pytest.mark.parametrize("page", ["rates", "tickets", "upload", "weekly", "audit"])
def test_a_kiosk_password_account_cannot_open_more_than_the_wall(page, warehouse_copy, users):
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(f"app_pages/{page}.py")  # a bookmark of the page, then the login
    login(at.run(), "kiosk")
    assert not at.exception and at.session_state[auth.IDENTITY_KEY].method == "password"
    assert at.query_params["kiosk"] == "1"  # the wall, whatever the address said
    assert any("不能打开" in i.value for i in at.info), [i.value for i in at.info]
    assert not at.dataframe and not at.get("download_button") and not at.get("file_uploader")


def test_a_kiosk_password_account_gets_the_wall_pages_without_downloads(warehouse_copy, users):
    at = login(AppTest.from_file(APP, default_timeout=120).run(), "kiosk")
    identity = at.session_state[auth.IDENTITY_KEY]
    assert [page for page in ALL_PAGES if page_allowed(identity, page)] == list(WALL_PAGES)
    at.switch_page("app_pages/heat.py")  # the analyst's heat page has tables and a CSV download
    at.run()
    assert not at.exception and at.query_params["kiosk"] == "1"
    assert not at.dataframe and not at.get("download_button") and not at.sidebar.button


def test_no_page_offers_a_download_in_kiosk_mode(warehouse_copy, users):
    # One gate (onescreen.downloads) for every download button: 三率分析 has no wall view of its own.
    at = login(AppTest.from_file(APP, default_timeout=120).run(), "leader")
    at.switch_page("app_pages/rates.py")
    at.run()
    assert [b.label for b in at.get("download_button")] == ["下载分解表（CSV）"]
    at.query_params["kiosk"] = "1"
    at.run()
    assert not at.exception and at.get("markdown") and not at.get("download_button")


def test_a_wrong_key_is_refused_counted_and_never_logged(warehouse_copy, users, tmp_path):
    good = user_file.add_key("指挥大厅", district=True, path=users)
    wrong = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    at = wall(wrong)
    assert not at.exception and on_login_page(at)
    assert [e.value for e in at.error] == [auth.KEY_REFUSED]
    assert auth.THROTTLE.recent(auth.KEY_FAILURE_NAME) == 1
    assert events(tmp_path) == [("login_failed", auth.KEY_FAILURE_NAME, "大屏钥匙无效或已收回")]
    at.run()  # the same session's next run does not try (nor count) the same key again
    assert auth.THROTTLE.recent(auth.KEY_FAILURE_NAME) == 1 and len(events(tmp_path)) == 1
    assert wrong not in audit_text(tmp_path) and good not in audit_text(tmp_path)
    assert not wall(good).exception  # a lock on the name would let anyone keep the walls out: the right key works


def test_a_removed_or_reset_key_logs_the_wall_out_at_its_next_run(warehouse_copy, users, tmp_path):
    key = user_file.add_key("指挥大厅", district=True, path=users)
    at = wall(key)
    assert auth.IDENTITY_KEY in at.session_state
    new_key = user_file.reset_key("指挥大厅", path=users)
    at.run()
    assert on_login_page(at) and [e.value for e in at.error] == [auth.KEY_REFUSED]
    assert [a for a, *_ in events(tmp_path)] == ["login", "revoked", "login_failed"]
    at = wall(new_key)
    assert auth.IDENTITY_KEY in at.session_state
    user_file.remove_key("指挥大厅", path=users)
    at.run()
    assert on_login_page(at) and not at.dataframe
    assert key not in audit_text(tmp_path) and new_key not in audit_text(tmp_path)


def test_a_wall_whose_area_changed_logs_in_again_with_the_new_area(warehouse_copy, users, tmp_path):
    key = user_file.add_key("指挥大厅", district=True, path=users)
    at = wall(key)
    records = user_file.load(users)
    records["指挥大厅"] = {**records["指挥大厅"], "district": False, "communities": ["530302001001"]}
    user_file.save(records, users)
    at.run()
    identity = at.session_state[auth.IDENTITY_KEY]
    assert not on_login_page(at) and identity.scope.communities == ("530302001001",) and not identity.scope.district
    assert [a for a, *_ in events(tmp_path)] == ["login", "revoked", "login"]


def test_a_key_put_on_another_role_by_hand_grants_nothing(users):
    key = user_file.add_key("指挥大厅", district=True, path=users)
    records = user_file.load(users)
    records["指挥大厅"]["role"] = "admin"
    user_file.save(records, users)
    assert user_file.key_identity(key, users) is None


def test_a_key_in_a_logged_address_is_scrubbed():
    record = logging.LogRecord("tornado.access", logging.INFO, __file__, 1, "200 GET /?kiosk=1&key=%s (127.0.0.1)",
                               ("g4b1-X30V7c3BZaFYdtJ-LUPOl_Gj7hx2MbWfWx7x2g",), None)
    errors.ScrubFilter().filter(record)
    assert record.getMessage() == "200 GET /?kiosk=1&key=*** (127.0.0.1)"


def test_the_nginx_access_log_writes_no_query_string():
    template = (ROOT / "deploy" / "nginx.conf.template").read_text(encoding="utf-8")
    log_format = template.split("log_format onescreen", 1)[1].split(";", 1)[0]
    assert "$request_uri" not in log_format and "$args" not in log_format and '"$request"' not in log_format
    assert '"$request_method $uri $server_protocol"' in log_format
    # At error level nginx writes a failed upstream connection's whole request line (a wall's key with it).
    assert [line.split()[-1] for line in template.splitlines() if line.startswith("error_log")] == ["crit;"]


def test_the_deploy_guides_nginx_sample_logs_no_key_and_its_wall_uses_one():
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    sample = guide.split("```nginx", 1)[1].split("```", 1)[0]
    assert '"$request_method $uri $server_protocol"' in sample and '"$request"' not in sample
    assert "access_log /var/log/nginx/onescreen-access.log onescreen;" in sample and " crit;" in sample
    wall_line = next(line for line in guide.splitlines() if line.startswith("Exec=chromium"))
    assert "key=" in wall_line


def test_a_key_account_has_no_password(users):
    user_file.add_key("指挥大厅", district=True, path=users)
    assert user_file.authenticate("指挥大厅", TEST_PASSWORD) is None
    assert user_file.authenticate("指挥大厅", "") is None


def test_a_timed_panel_rerun_sends_a_removed_key_to_the_login(warehouse_copy, users, monkeypatch):
    """A wall that does not rotate pages only reruns its panels (a fragment every ?refresh= seconds): that rerun
    itself must notice a removed key and rerun the whole app, whose run logs the wall out."""
    from onescreen import wall as wall_view

    key = user_file.add_key("指挥大厅", district=True, path=users)
    identity = wall(key).session_state[auth.IDENTITY_KEY]
    reruns = []
    monkeypatch.setattr(wall_view.st, "rerun", lambda: reruns.append("app"))
    monkeypatch.setattr(wall_view.st, "session_state", {auth.IDENTITY_KEY: identity})
    monkeypatch.setattr(wall_view.db, "pin", lambda: None)
    monkeypatch.setattr(wall_view.data, "ticket_span", lambda: None)
    wall_view.follow_new_data()
    assert reruns == []   # still granted, nothing new: the panels just redraw
    user_file.remove_key("指挥大厅", path=users)
    wall_view.follow_new_data()
    assert reruns == ["app"]


def test_every_streamlit_logger_scrubs_keys_and_personal_data(log_scrubbing):
    """Streamlit gives each of its loggers a handler of its own and does not pass records up: a filter on the root's
    and ``streamlit``'s handlers never saw them. Records are scrubbed as they are made, for every logger."""
    from streamlit.logger import get_logger

    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    logger = get_logger("streamlit.runtime.some_module_of_theirs")
    keep = Keep()
    logger.addHandler(keep)
    try:
        logger.warning("GET /?kiosk=1&key=%s from 王小明 13812345678", "g4b1-X30V7c3BZaFYdtJ-LUPOl_Gj7hx2MbWfWx7x2g")
    finally:
        logger.removeHandler(keep)
    assert seen == ["GET /?kiosk=1&key=*** from 王小明 138****5678"]
