"""Sessions already logged in follow the users file: a removed user, or one whose role, area, permissions or
password changed, is logged out on the next page run (and a download built later is refused).
And when there is no users file: demo mode only in a fresh clone or when asked for by name; a missing named one
is an error; a deployment without one shows only how to create the first account."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from streamlit.testing.v1 import AppTest

from onescreen import auth, settings, users as user_file
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


def test_a_changed_password_logs_the_session_out(warehouse_copy, users, tmp_path):
    at = login(app(), "leader")
    assert auth.IDENTITY_KEY in at.session_state and not at.exception
    assert TEST_PASSWORD not in repr(at.session_state[auth.IDENTITY_KEY])
    stored = user_file.load(users)["leader"]["password_hash"]
    assert stored not in repr(at.session_state[auth.IDENTITY_KEY].credential)  # a fingerprint, not the bcrypt hash
    user_file.add_user("leader", "leader", "new-password-2", district=True, replace=True, path=users, rounds=4)
    at.run()
    assert logged_out(at)
    assert events(tmp_path)[-1] == ("revoked", "leader")
    login(at, "leader")  # the old password no longer logs in, the new one does
    assert [e.value for e in at.error] == ["用户名或密码不对。"]
    login(at, "leader", "new-password-2")
    assert auth.IDENTITY_KEY in at.session_state and not at.exception


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


# -- no users file --------------------------------------------------------------------------------

def test_a_users_file_named_but_missing_is_an_error_page_not_demo_mode(warehouse_copy, tmp_path, monkeypatch):
    missing = tmp_path / "user.json"  # a typo of users.json
    monkeypatch.setenv("ONESCREEN_USERS", str(missing))
    at = app()
    assert not at.exception and [t.value for t in at.title] == ["一屏"]
    assert [e.value for e in at.error] == [
        f"找不到用户文件 {missing}：环境变量 ONESCREEN_USERS 指定了它，但它不存在，所以本应用不能打开（不会改用演示模式）。"
        "管理员请在服务器上用同样的 ONESCREEN_USERS 运行 python -m etl users add 用户名 --role admin --district 创建第一个用户；"
        "或改正 ONESCREEN_USERS 的路径。确实只要演示时，设 ONESCREEN_USERS=demo 或取消它。"]
    assert not at.warning and not at.metric and not at.dataframe and not at.text_input  # no banner, data or login
    at.switch_page("app_pages/tickets.py")
    at.run()
    assert [t.value for t in at.title] == ["一屏"] and not at.dataframe


@pytest.mark.parametrize("setting, config_has_users, deployment, mode", [
    (None, False, False, "demo"),  # a fresh clone: `make run` shows the demo
    (None, True, False, "login"),
    ("demo", True, False, "demo"),  # asked for by name, whatever config/ holds
    ("users.json", True, False, "login"),
    ("user.json", True, False, "missing"),
    (None, False, True, "setup"),  # a deployment nobody made an account for: no data, how to make one
    (None, True, True, "login"),
    ("demo", False, True, "demo"),  # a deployment opened without a login on purpose (with a banner)
])
def test_demo_mode_only_when_no_users_file_was_asked_for(setting, config_has_users, deployment, mode, tmp_path,
                                                          monkeypatch):
    monkeypatch.setattr(settings, "CONFIG_DIR", tmp_path)
    monkeypatch.delenv("ONESCREEN_DATA_DIR", raising=False)
    if deployment:
        monkeypatch.setenv("ONESCREEN_DB", str(tmp_path / "warehouse.duckdb"))
    else:
        monkeypatch.delenv("ONESCREEN_DB", raising=False)
    if config_has_users:
        user_file.add_user("wang", "admin", TEST_PASSWORD, district=True, path=tmp_path / "users.json", rounds=4)
    if setting is None:
        monkeypatch.delenv("ONESCREEN_USERS")
    else:
        monkeypatch.setenv("ONESCREEN_USERS", setting if setting == "demo" else str(tmp_path / setting))
    assert user_file.mode() == mode


def clone_config(tmp_path, monkeypatch) -> None:
    """A fresh clone's config/ (no users.json) and no ONESCREEN_USERS."""
    config = tmp_path / "config"
    shutil.copytree(settings.CONFIG_DIR, config, ignore=shutil.ignore_patterns("users.json"))
    monkeypatch.setattr(settings, "CONFIG_DIR", config)
    monkeypatch.delenv("ONESCREEN_USERS")


def test_a_fresh_clone_without_a_users_file_shows_the_demo(warehouse_copy, tmp_path, monkeypatch):
    clone_config(tmp_path, monkeypatch)
    # No ONESCREEN_* setting: the warehouse is data/warehouse.duckdb of the checkout (here the fixture's copy).
    monkeypatch.delenv("ONESCREEN_DB")
    monkeypatch.setattr(settings, "DATA_DIR", warehouse_copy.parent)
    at = app()
    assert not at.exception and [w.value for w in at.warning] == [auth.DEMO_BANNER] and not at.error


@pytest.mark.parametrize("named", ["ONESCREEN_DB", "ONESCREEN_DATA_DIR"])
def test_a_deployment_without_a_users_file_shows_only_how_to_make_the_first_account(named, warehouse_copy, tmp_path,
                                                                                     monkeypatch):
    clone_config(tmp_path, monkeypatch)
    if named == "ONESCREEN_DATA_DIR":  # an empty mount point named as the data folder
        folder = tmp_path / "mnt"
        folder.mkdir()
        monkeypatch.setenv("ONESCREEN_DATA_DIR", str(folder))
        monkeypatch.setattr(settings, "DATA_DIR", folder)
        command = f"ONESCREEN_DATA_DIR={folder} ONESCREEN_DB={warehouse_copy}"
        users_path = folder / "users.json"
    else:
        command = f"ONESCREEN_DB={warehouse_copy}"
        users_path = settings.CONFIG_DIR / "users.json"
    at = app()
    assert not at.exception and [t.value for t in at.title] == ["一屏"]
    assert [e.value for e in at.error] == [
        "还没有设置任何账号，所以本系统暂不能打开（部署中没有用户文件时不会改用演示模式）。管理员请在运行本系统的服务器上、"
        f"本系统的文件夹中运行：\n\n`{command} python -m etl users add 用户名 --role admin --district`\n\n"
        f"按提示输入两次密码，即在 `{users_path}` 建好第一个账号（管理员、全区）；然后刷新本页登录。"
        "其他账号同样用 python -m etl users add 添加（python -m etl users --help 说明角色和区域）。"]
    nothing = lambda at: not (at.warning or at.metric or at.dataframe or at.text_input or at.sidebar  # noqa: E731
                              or at.get("page_link") or at.get("plotly_chart") or at.get("download_button"))
    assert nothing(at) and auth.IDENTITY_KEY not in at.session_state
    at.switch_page("app_pages/tickets.py")
    at.run()
    assert [t.value for t in at.title] == ["一屏"] and nothing(at)


def test_a_deployment_opened_without_a_login_says_so_on_the_page_and_in_the_log(warehouse_copy, caplog):
    # ONESCREEN_USERS=demo (tests/conftest.py) with ONESCREEN_DB set: opened on purpose, never silently.
    auth._open_logged.clear()
    at = app()
    assert not at.exception and [w.value for w in at.warning] == [auth.OPEN_BANNER]
    assert auth.OPEN_LOG in [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


def test_users_commands_refuse_explicit_demo_mode(capsys):
    from conftest import run_cli

    code, _, err = run_cli(["users", "list"], capsys)
    assert (code, err) == (1, "错误：ONESCREEN_USERS=demo 表示演示模式，没有用户文件；要管理用户，请把 ONESCREEN_USERS "
                              "设为用户文件的路径，或取消它（默认 config/users.json）。\n")


@pytest.mark.parametrize("args, address", [([], "127.0.0.1"), (["BIND=0.0.0.0"], "0.0.0.0")])
def test_make_run_listens_on_this_machine_only_unless_asked(args, address):
    recipe = subprocess.run(["make", "-n", "--no-print-directory", "-C", str(ROOT), "run", *args], capture_output=True, text=True,
                            check=True).stdout.splitlines()[-1]
    assert "-m onescreen.serve app.py --server.port " in recipe and recipe.endswith(f" --server.address {address}")


# -- what a failed login writes to the audit log -----------------------------------------------------

def test_a_failed_login_audits_only_a_name_that_exists(warehouse_copy, users, tmp_path):
    auth.THROTTLE.clear()
    try:
        at = app()
        for name in ("leader", TEST_PASSWORD, TEST_PASSWORD, "someone-else"):  # a password typed as the name, twice
            login(at, name, "wrong-password")
    finally:
        auth.THROTTLE.clear()
    logged = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert TEST_PASSWORD not in logged and "someone-else" not in logged
    names = [user for action, user in events(tmp_path)]
    assert names[0] == "leader" and all(n.startswith("（未知用户名）") and len(n) == 7 + 8 for n in names[1:])
    assert names[1] == names[2] != names[3]  # the same guess can still be counted


# -- OIDC: only an e-mail the provider vouches for maps to a user ----------------------------------------

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-cookie-secret",
        "client_id": "onescreen", "client_secret": "test-secret",
        "server_metadata_url": "https://sso.example.gov.cn/realms/gov/.well-known/openid-configuration"}


def oidc_app(users, claims: dict, **auth) -> AppTest:
    """The app with ``[auth]`` configured and a provider login whose ID token held ``claims`` (``st.user``);
    the user ``admin`` has the e-mail wang@gov.cn."""
    user_file.add_user("admin", "admin", TEST_PASSWORD, district=True, email="Wang@Gov.cn", replace=True, path=users,
                       rounds=4)
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = {**AUTH, **auth}
    at.user = {"is_logged_in": True, "provider": "default", **claims}
    return at.run()


@pytest.mark.parametrize("verified, accept_unclaimed, refusal", [
    (True, False, None),
    ("true", False, None),             # some providers send the claim as a string
    (False, True, auth.OIDC_UNVERIFIED),
    ("false", False, auth.OIDC_UNVERIFIED),
    ("yes", False, auth.OIDC_UNVERIFIED),
    (None, False, auth.OIDC_UNCLAIMED),  # no claim (Azure AD/Entra work accounts): refused unless configured
    (None, True, None),
])
def test_an_oidc_email_maps_only_when_verified(verified, accept_unclaimed, refusal):
    claims = {"email": "wang@gov.cn"} | ({} if verified is None else {"email_verified": verified})
    assert auth.oidc_refusal(claims, accept_unclaimed) == refusal
    assert auth.oidc_refusal({"email_verified": False}) is None  # no e-mail: maps to nobody anyway


def test_an_unverified_oidc_email_is_refused_on_the_login_page_and_audited_once(warehouse_copy, users, tmp_path):
    at = oidc_app(users, {"email": "wang@gov.cn", "email_verified": False})
    assert not at.exception and [t.value for t in at.title] == ["一屏 · 登录"]
    assert [e.value for e in at.error] == [auth.OIDC_UNVERIFIED]
    assert auth.IDENTITY_KEY not in at.session_state and not at.dataframe
    at.run()  # the provider's session stays: every run refuses, the log says it once
    assert [e.value for e in at.error] == [auth.OIDC_UNVERIFIED] and auth.IDENTITY_KEY not in at.session_state
    logged = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["action"], e["user"], e["detail"]) for e in logged] == [
        ("login_failed", "admin", "OIDC（default）：邮箱未验证（email_verified 不为 true），拒绝登录")]
    at.user["email_verified"] = True  # verified at the provider, logged in again
    at.run()
    assert at.session_state[auth.IDENTITY_KEY].name == "admin" and not at.error
    assert events(tmp_path)[-1] == ("login", "admin")


def test_an_oidc_token_without_email_verified_is_refused_unless_the_setting_allows(warehouse_copy, users, tmp_path):
    at = oidc_app(users, {"email": "wang@gov.cn"})
    assert [e.value for e in at.error] == [auth.OIDC_UNCLAIMED] and auth.IDENTITY_KEY not in at.session_state
    assert events(tmp_path) == [("login_failed", "admin")]
    at = oidc_app(users, {"email": "wang@gov.cn"}, accept_email_without_verified_claim="true")  # a string: not true
    assert [e.value for e in at.error] == [auth.OIDC_UNCLAIMED]
    at = oidc_app(users, {"email": "wang@gov.cn"}, accept_email_without_verified_claim=True)
    assert not at.error and at.session_state[auth.IDENTITY_KEY].name == "admin"
    assert events(tmp_path)[-1] == ("login", "admin")


@pytest.mark.parametrize("page, query, title", [
    ("weekly.py", {"report": "2025-W41", "street_code": "530302001"}, "周报"),
    ("upload.py", {"street_code": "530302001"}, "数据导入"),
    ("rates.py", {"period_type": "week", "period_start": "2025-09-29", "category": "物业管理"}, "三率分析"),
])
def test_a_shared_link_opens_its_page_and_filters_after_the_login(warehouse_copy, users, page, query, title):
    """A link sent to a colleague (/weekly?report=2025-W41&street_code=530302001) asks for a login first: after it, the
    linked page opens with every parameter of the link, not 一屏总览 of the default month."""
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(f"app_pages/{page}")  # the address asked for (before the first run: by its file name)
    at.run()
    assert [t.value for t in at.title] == ["一屏 · 登录"]
    login(at, "admin")
    assert not at.exception
    assert title in [t.value for t in at.title], [t.value for t in at.title]
    for key, value in query.items():
        assert at.query_params[key] == value, (key, at.query_params)
    if page == "weekly.py":
        assert at.selectbox(key="weekly_period_week").value.code == "2025-W41"
