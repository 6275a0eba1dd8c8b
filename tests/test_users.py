"""``python -m etl users`` and the users file: add, list, remove, refusals as one ``错误：`` line (exit 1,
nothing written), bcrypt hashes never printed, and authentication."""

from __future__ import annotations

import io
import json

from pathlib import Path

import pytest

from conftest import run_cli
from onescreen import users
from onescreen.access import Scope

PASSWORD = "correct-horse-1"


def run(argv: list[str], capsys, monkeypatch, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    monkeypatch.setattr(users, "BCRYPT_ROUNDS", 4)  # fast hashes in tests; 12 in real use
    return run_cli(argv, capsys)


@pytest.fixture
def users_file(tmp_path, monkeypatch):
    path = tmp_path / "users.json"
    monkeypatch.setenv("ONESCREEN_USERS", str(path))
    monkeypatch.setenv("ONESCREEN_DB", str(tmp_path / "no-warehouse.duckdb"))  # area codes not checked (see below)
    return path


def test_add_list_remove(users_file, capsys, monkeypatch, tmp_path):
    code, out, err = run(["users", "add", "wang", "--role", "staff", "--community", "CM01", "--community", "CM02",
                          "--password-stdin"], capsys, monkeypatch, PASSWORD + "\n")
    assert (code, err) == (0, "")
    assert out == f"已添加用户 wang（社区/网格工作人员，区域：社区 CM01、CM02）：{users_file}\n"
    record = json.loads(users_file.read_text(encoding="utf-8"))["users"]["wang"]
    assert record["role"] == "staff" and record["communities"] == ["CM01", "CM02"]
    assert record["password_hash"].startswith("$2b$") and PASSWORD not in users_file.read_text(encoding="utf-8")
    identity = users.authenticate("wang", PASSWORD)
    assert identity.role == "staff" and identity.scope == Scope(communities=("CM01", "CM02"))
    assert users.authenticate("wang", "wrong-password") is None
    assert users.authenticate("nobody", PASSWORD) is None

    code, out, _ = run(["users", "list"], capsys, monkeypatch)
    assert code == 0 and out == "wang\t社区/网格工作人员（staff）\t区域：社区 CM01、CM02\n"
    assert "$2b$" not in out

    code, out, _ = run(["users", "remove", "wang"], capsys, monkeypatch)
    assert (code, out) == (0, f"已删除用户 wang。\n提示：{NO_USERS_LEFT.format(path=users_file)}\n")
    assert users.load() == {}
    actions = [json.loads(line)["action"] for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    assert actions == ["user_add", "user_remove"]


NO_USERS_LEFT = "用户文件 {path} 中没有用户：网页需要登录，但还没有人能登录；用 python -m etl users add 添加。"


def test_an_empty_users_file_is_not_demo_mode(users_file, capsys, monkeypatch):
    """Removing the last user leaves a file with no users: the app still asks for a login nobody can
    pass (it must not open to everyone), and the commands say so instead of promising demo mode."""
    code, out, _ = run(["users", "list"], capsys, monkeypatch)
    assert (code, out) == (0, f"还没有用户文件（{users_file}）：ONESCREEN_USERS 指定了它，网页拒绝打开（不是演示模式）；"
                              "用 python -m etl users add 用户名 --role admin --district 添加第一个用户。\n")
    run(["users", "add", "wang", "--role", "admin", "--district", "--password-stdin"], capsys, monkeypatch,
        PASSWORD + "\n")
    run(["users", "add", "li", "--role", "leader", "--district", "--password-stdin"], capsys, monkeypatch,
        PASSWORD + "\n")
    code, out, _ = run(["users", "remove", "li"], capsys, monkeypatch)
    assert (code, out) == (0, "已删除用户 li。\n")  # one left: nothing to warn about
    code, out, _ = run(["users", "remove", "wang"], capsys, monkeypatch)
    assert (code, out) == (0, f"已删除用户 wang。\n提示：{NO_USERS_LEFT.format(path=users_file)}\n")
    code, out, _ = run(["users", "list"], capsys, monkeypatch)
    assert (code, out) == (0, NO_USERS_LEFT.format(path=users_file) + "\n")
    assert users.exists() and users.load() == {}  # still a users file: not demo mode


def test_a_user_without_an_area_is_warned_about(users_file, capsys, monkeypatch):
    code, out, _ = run(["users", "add", "li", "--role", "leader", "--password-stdin"], capsys, monkeypatch,
                       PASSWORD + "\n")
    assert code == 0
    assert out.splitlines()[-1] == "提示：没有指定区域，这个用户登录后看不到任何数据；用 --district 或 --community 等指定后 --replace。"
    assert users.authenticate("li", PASSWORD).scope.is_empty


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (["--role", "leader", "--district"], "short\n", "错误：密码至少 8 个字符。"),
    (["--role", "leader", "--district"], "长" * 30 + "\n", "错误：密码不能超过 72 字节（约 24 个汉字或 72 个英文字符）。"),
    (["--role", "staff", "--district", "--community", "C1"], PASSWORD + "\n",
     "错误：--district（全区）与 --street/--community/--grid 不能同时使用。"),
    (["--role", "leader", "--district", "--allow-unmasked-export"], PASSWORD + "\n",
     "错误：只有 analyst、admin 角色可以有未脱敏导出权限。"),
    (["--role", "leader", "--district"], "", "错误：没有终端可以输入密码；在脚本中用 --password-stdin 从标准输入读入。"),
])
def test_refusals_are_one_line_and_write_nothing(users_file, capsys, monkeypatch, argv, stdin, message):
    stdin_flag = ["--password-stdin"] if stdin else []
    code, out, err = run(["users", "add", "zhao", *argv, *stdin_flag], capsys, monkeypatch, stdin)
    assert (code, out, err) == (1, "", message + "\n")
    assert not users_file.exists()


def test_an_existing_user_needs_replace(users_file, capsys, monkeypatch):
    run(["users", "add", "zhao", "--role", "kiosk", "--district", "--password-stdin"], capsys, monkeypatch, PASSWORD + "\n")
    code, _, err = run(["users", "add", "zhao", "--role", "admin", "--district", "--password-stdin"], capsys,
                       monkeypatch, PASSWORD + "\n")
    assert (code, err) == (1, "错误：用户 zhao 已存在；要重设请加 --replace，或先 python -m etl users remove zhao。\n")
    code, _, _ = run(["users", "add", "zhao", "--role", "admin", "--district", "--replace", "--password-stdin"],
                     capsys, monkeypatch, "another-pass-2\n")
    assert code == 0 and users.authenticate("zhao", "another-pass-2").role == "admin"
    code, _, err = run(["users", "remove", "qian"], capsys, monkeypatch)
    assert (code, err) == (1, "错误：没有用户 qian（用 python -m etl users list 查看）。\n")


def test_an_unknown_role_is_refused_by_the_parser(users_file, capsys, monkeypatch):
    code, _, err = run(["users", "add", "zhao", "--role", "root"], capsys, monkeypatch)
    assert code == 1 and err.splitlines()[-1].startswith("错误：argument --role: invalid choice")


def test_a_broken_users_file_is_reported(users_file, capsys, monkeypatch):
    users_file.write_text("{not json", encoding="utf-8")
    code, _, err = run(["users", "list"], capsys, monkeypatch)
    assert (code, err) == (1, f"错误：用户文件 {users_file} 格式不对，请用 python -m etl users 重新生成。\n")


def test_oidc_accounts_map_by_email(users_file):
    users.add_user("wu", "leader", PASSWORD, district=True, email="Wu@Gov.cn", path=users_file, rounds=4)
    assert users.identity_for_email("wu@gov.cn").name == "wu"
    assert users.identity_for_email("other@gov.cn") is None


def test_area_codes_the_warehouse_lacks_are_warned_about(users_file, capsys, monkeypatch, warehouse_copy):
    """A mistyped code used to be accepted silently: the user then saw nothing."""
    import duckdb

    con = duckdb.connect(str(warehouse_copy), read_only=True)
    street, community = con.execute("select street_code, community_code from dim_communities limit 1").fetchone()
    con.close()
    code, out, _ = run(["users", "add", "zhao", "--role", "staff", "--community", community, "--community", "CM99",
                        "--password-stdin"], capsys, monkeypatch, PASSWORD + "\n")
    assert code == 0
    assert [line for line in out.splitlines() if line.startswith("提示")] == [
        "提示：数据仓库中没有编号为 CM99 的社区，这个用户看不到它的数据。请核对编号（见网格定义，或在页面侧栏选好区域后地址栏中的 "
        "street_code、community_code、grid_code）后用 --replace 重设；若这个区域的网格定义还没导入，导入后即可生效。"]
    code, out, _ = run(["users", "add", "qian", "--role", "leader", "--street", street, "--password-stdin"],
                       capsys, monkeypatch, PASSWORD + "\n")
    assert code == 0 and "提示" not in out
    # A screen key for a mistyped street: the wall would stay empty, said the same way.
    code, out, _ = run(["users", "key", "add", "大厅", "--street", "NOPE999"], capsys, monkeypatch)
    assert code == 0
    assert [line for line in out.splitlines() if line.startswith("提示")] == [
        "提示：数据仓库中没有编号为 NOPE999 的街道，这块大屏看不到它的数据。请核对编号（见网格定义，或在页面侧栏选好区域后地址栏中的 "
        "street_code、community_code、grid_code）后用 python -m etl users key remove 大厅 收回后重新添加；"
        "若这个区域的网格定义还没导入，导入后即可生效。"]


def test_a_session_identity_holds_while_the_file_grants_the_same(users_file):
    users.add_user("wu", "analyst", PASSWORD, district=True, permissions=["export_unmasked"], path=users_file,
                   rounds=4, display_name="吴")
    identity = users.identity_of("wu", users.load()["wu"])
    assert users.still_granted(identity)
    records = users.load(users_file)
    records["wu"]["display_name"] = "吴工"
    users.save(records, users_file)  # a new display name: still granted
    assert users.still_granted(identity)
    users.add_user("wu", "analyst", "another-password", district=True, permissions=["export_unmasked"], replace=True,
                   path=users_file, rounds=4, display_name="吴工")  # the same grant with a new password: logged out
    assert not users.still_granted(identity)
    identity = users.identity_of("wu", users.load()["wu"])
    for change in ({"role": "leader", "district": True}, {"role": "analyst", "district": True},
                   {"role": "analyst", "communities": ["CM01"], "permissions": ["export_unmasked"]},
                   {"role": "admin", "district": True, "permissions": ["export_unmasked"]}):  # wider is a change too
        change = dict(change)
        users.add_user("wu", change.pop("role"), PASSWORD, replace=True, path=users_file, rounds=4, **change)
        assert not users.still_granted(identity), change
    users.remove_user("wu")
    assert not users.still_granted(identity)
    users_file.write_text("{broken", encoding="utf-8")
    assert not users.still_granted(identity)


def test_an_oidc_session_holds_while_its_email_maps_to_the_same_user(users_file):
    users.add_user("wu", "leader", PASSWORD, district=True, email="Wu@Gov.cn", path=users_file, rounds=4)
    mapped, unmapped = users.oidc_identity(" wu@gov.cn"), users.oidc_identity("Other@Gov.cn")
    assert (mapped.name, mapped.method, unmapped.name, unmapped.role, unmapped.scope.is_empty) == (
        "wu", "oidc", "other@gov.cn", "kiosk", True)
    assert users.still_granted(mapped) and users.still_granted(unmapped)
    users.add_user("wu", "leader", PASSWORD, district=True, email="other@gov.cn", replace=True, path=users_file,
                   rounds=4)
    assert not users.still_granted(mapped)  # wu's account now belongs to another e-mail
    assert not users.still_granted(unmapped)  # the other e-mail now maps to a user: log in again to get it


# -- where the users file is when ONESCREEN_DATA_DIR moves the data ----------------------------------

@pytest.mark.parametrize("data_dir_set, in_config, in_data, expected", [
    (False, False, True, "config"),   # no ONESCREEN_DATA_DIR: config/users.json as always
    (True, False, False, "data"),     # a new install with its own data folder keeps its users there
    (True, True, False, "config"),    # an install that made config/users.json before keeps using it
    (True, True, True, "data"),       # once moved to the data folder, that one
])
def test_the_users_file_follows_the_data_folder_without_stranding_an_existing_one(
        tmp_path, monkeypatch, data_dir_set, in_config, in_data, expected):
    from onescreen import settings

    config, data = tmp_path / "config", tmp_path / "data"
    config.mkdir()
    data.mkdir()
    monkeypatch.setattr(settings, "CONFIG_DIR", config)
    monkeypatch.setattr(settings, "DATA_DIR", data)
    monkeypatch.delenv("ONESCREEN_USERS")
    monkeypatch.delenv("ONESCREEN_DB", raising=False)
    if data_dir_set:
        monkeypatch.setenv("ONESCREEN_DATA_DIR", str(data))
    else:
        monkeypatch.delenv("ONESCREEN_DATA_DIR", raising=False)
    for folder, present in ((config, in_config), (data, in_data)):
        if present:
            users.add_user("wang", "admin", PASSWORD, district=True, path=folder / "users.json", rounds=4)
    assert users.users_path() == {"config": config, "data": data}[expected] / "users.json"
    # Without a users file a deployment (a data folder named) shows how to make the first account, a clone the demo.
    assert users.mode() == ("login" if users.users_path().is_file() else "setup" if data_dir_set else "demo")


def test_a_data_folder_that_is_not_there_never_opens_demo_mode(tmp_path, monkeypatch):
    """ONESCREEN_DATA_DIR on a disk not mounted yet, the warehouse elsewhere (ONESCREEN_DB): the users file in that
    folder is missing because the folder is, which is no reason to let everyone in without a login."""
    from onescreen import settings

    config, data = tmp_path / "config", tmp_path / "not-mounted"
    config.mkdir()
    monkeypatch.setattr(settings, "CONFIG_DIR", config)
    monkeypatch.setattr(settings, "DATA_DIR", data)
    monkeypatch.setenv("ONESCREEN_DATA_DIR", str(data))
    monkeypatch.delenv("ONESCREEN_USERS")
    assert users.mode() == "missing"
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60).run()
    assert [e.value for e in at.error] and f"找不到数据文件夹 {data}" in at.error[0].value
    assert not at.dataframe and "演示模式" not in " ".join(m.value for m in at.markdown)
    data.mkdir()   # mounted (or an empty mount point), no users file yet: still no demo mode
    assert users.mode() == "setup"


def test_users_add_writes_the_file_the_app_reads_in_the_data_folder(tmp_path, capsys, monkeypatch):
    """ONESCREEN_DATA_DIR set, no ONESCREEN_USERS, a fresh clone: `python -m etl users add` writes
    $ONESCREEN_DATA_DIR/users.json, not config/ of the checkout, and the app then asks for a login."""
    from onescreen import settings

    config, data = tmp_path / "config", tmp_path / "data"
    config.mkdir()
    data.mkdir()
    monkeypatch.setattr(settings, "CONFIG_DIR", config)
    monkeypatch.setattr(settings, "DATA_DIR", data)
    monkeypatch.setenv("ONESCREEN_DATA_DIR", str(data))
    monkeypatch.setenv("ONESCREEN_DB", str(tmp_path / "no-warehouse.duckdb"))
    monkeypatch.delenv("ONESCREEN_USERS")
    assert users.mode() == "setup"
    code, out, err = run(["users", "list"], capsys, monkeypatch)
    assert (code, out) == (0, f"还没有用户文件（{data / 'users.json'}）：这是一个部署（设了 ONESCREEN_DATA_DIR 或 "
                              "ONESCREEN_DB），网页只说明怎样建账号、不显示数据（不是演示模式）；用 python -m etl users add "
                              "用户名 --role admin --district 添加第一个用户。\n")
    code, out, err = run(["users", "add", "wang", "--role", "admin", "--district", "--password-stdin"], capsys, monkeypatch,
                         stdin=PASSWORD + "\n")
    assert (code, err) == (0, "") and out.endswith(f"{data / 'users.json'}\n"), out
    assert (data / "users.json").is_file() and not (config / "users.json").exists()
    assert users.mode() == "login" and users.authenticate("wang", PASSWORD) is not None
