"""Privacy through the running app (AppTest): what a kiosk session sends, users of different areas in
turn, a user with no area, login and its audit, and errors that show an incident id and log masked."""

from __future__ import annotations

import json
import logging
import re

import duckdb
import openpyxl
import pyarrow as pa
import pytest
from google.protobuf import text_format
from streamlit.testing.v1 import AppTest

from onescreen import errors
from onescreen.users import add_user

from conftest import ROOT, TEST_PASSWORD, login

APP = str(ROOT / "app.py")
DONGFENG, XIHU = "530302001001", "530302001002"
KIOSK_PAGES = ["overview", "lights", "heat", "companies"]  # a kiosk account's: the wall's (access.WALL_PAGES)


def app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def open_page(at: AppTest, page: str) -> AppTest:
    if page == "overview":  # the default page, where every session starts
        return at
    at.switch_page(f"app_pages/{page}.py")
    return at.run()


def sent(at: AppTest) -> str:
    """Everything the session would send to the browser: every element's message as text, with the
    Arrow tables of dataframes and charts decoded (they travel as bytes)."""
    parts: list[str] = []

    def decode(message) -> None:
        for descriptor, value in message.ListFields():
            values = value if isinstance(value, (list, tuple)) or hasattr(value, "extend") else [value]
            for item in values:
                if isinstance(item, bytes):
                    try:
                        parts.append(pa.ipc.open_stream(item).read_all().to_pandas().to_string())
                    except Exception:
                        parts.append(item.decode("utf-8", "replace"))
                elif hasattr(item, "ListFields"):
                    decode(item)

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(text_format.MessageToString(proto, as_utf8=True))
            decode(proto)
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    return "\n".join(parts)


def personal_values(path) -> dict[str, set[str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("select ticket_id, caller_name, caller_phone, address, content from ticket_pii").fetchall()
    finally:
        con.close()
    return {
        "ticket_id": {r[0] for r in rows},
        "caller_name": {r[1] for r in rows if r[1]},
        "caller_phone": {r[2] for r in rows if r[2]},
        "address": {r[3] for r in rows if r[3] and re.search(r"\d+(栋|号楼|单元|室)", r[3])},
        "content": {r[4] for r in rows if r[4]},
    }


def leaks(text: str, values: dict[str, set[str]]) -> list[str]:
    # Streamlit's widget ids are hex hashes ("$$ID-3f36e7612fe4ecf16885199226e1ebb8-f_time"): one can hold eleven
    # digits in a row that read as a mobile number. They are no data; the scan for phone-like numbers skips them.
    text = re.sub(r"\$\$ID-[0-9a-f]{32}", "$$ID-", text)
    found = [f"{field}={value}" for field, items in values.items() for value in items if value in text]
    found += [f"phone-like={m}" for m in re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)]
    return found


def tiles(at: AppTest) -> str:
    """The big screen's KPI tiles: HTML on the wall (kiosk), links to 工单明细 otherwise."""
    html = [m.value for m in at.markdown if 'class="os-tile"' in m.value]
    return " ".join(html + [link.value for link in at.get("page_link")])


# -- the big screen --------------------------------------------------------------------------------

def test_a_kiosk_url_sends_no_personal_data(warehouse_copy):
    at = app({"kiosk": "1"})
    assert not at.exception and "本期受理" in tiles(at)
    text = sent(at)
    assert "超期工单" in text  # the scan saw the panels
    assert leaks(text, personal_values(warehouse_copy)) == []


@pytest.mark.parametrize("page", KIOSK_PAGES)
def test_a_kiosk_account_sees_aggregates_only_on_every_page(page, warehouse_copy, users):
    at = login(app(), "kiosk")
    at = open_page(at, page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert leaks(sent(at), personal_values(warehouse_copy)) == []


def test_a_kiosk_account_cannot_open_the_ticket_list(warehouse_copy, users):
    at = login(app(), "kiosk")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/tickets.py")


def test_the_meeting_ticket_list_is_masked(warehouse_copy):
    at = open_page(app({"range": "all"}), "tickets")  # demo mode: the meeting tier, every ticket
    text = sent(at)
    values = personal_values(warehouse_copy)
    assert "张*" in text and "小区垃圾清运不及时，电话138****5678" in text  # scrubbed free text is allowed here
    assert leaks(text, {k: v for k, v in values.items() if k not in ("ticket_id", "content")}) == []
    # Another person named in the text (the fixture's 2025100800007: 举报人刘芳) is masked as the caller is.
    assert "无证经营，举报人刘*称多次发现" in text and "刘芳" not in text



def test_the_ticket_downloads_say_which_one_to_open_in_excel(warehouse_copy):
    """The caption said the CSV opens in Excel as it is: Excel shows the ticket numbers as 2.0251E+12 and a CSV
    saved again from there has lost their digits. It points the Excel user to the Excel download."""
    at = open_page(app({"range": "all"}), "tickets")
    assert ("下载符合条件的全部工单（最多 20,000 张），脱敏方式与屏幕相同。在 Excel 中查看请下载 Excel：其中工单编号是文本；"
            "CSV（带 BOM 的 UTF-8）供其他系统读取，用 Excel 直接打开时工单编号会变成科学计数法（如 2.0251E+12），另存后无法还原。"
            ) in [c.value for c in at.caption]

def test_a_name_written_without_a_label_is_masked_on_the_list_in_downloads_and_the_report(warehouse_copy, monkeypatch):
    """12345 operators write other people's names with no label (王小明来电称): every ticket's text starts so here, and
    the ticket list, both its downloads and the 周报 (whose oldest open tickets leave the text out) show 王** only."""
    import io
    import zipfile

    from streamlit.runtime.media_file_manager import MediaFileManager

    from onescreen.report import build_report, parse_period
    from onescreen.report_render import render

    con = duckdb.connect(str(warehouse_copy))
    con.execute("update ticket_pii set content = '王小明来电称' || coalesce(content, '')")
    con.close()
    built: dict = {}
    register = MediaFileManager.add_deferred

    def keep(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        built[file_name.rsplit(".", 1)[1]] = data_callable   # what a click on the button runs
        return register(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    at = open_page(app({"range": "all"}), "tickets")
    assert not at.exception, [e.value for e in at.exception]
    text = sent(at)
    assert "王**来电称" in text and "王小明" not in text
    csv = built["csv"]().decode("utf-8-sig")
    assert "王**来电称" in csv and "王小明" not in csv
    sheet = openpyxl.load_workbook(io.BytesIO(built["xlsx"]())).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert any(c.startswith("王**来电称") for c in cells) and not any("王小明" in c for c in cells)

    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        report = build_report(con, parse_period("2025-W40"))
    finally:
        con.close()
    assert not report.sections["oldest_open"].frame.empty   # tickets that carry the name are in it
    for fmt in ("html", "json", "xlsx", "docx"):
        data = render(report, fmt)
        parts = [data] if fmt in ("html", "json") else [zipfile.ZipFile(io.BytesIO(data)).read(n)
                                                         for n in zipfile.ZipFile(io.BytesIO(data)).namelist()]
        assert not any("王小明".encode() in part for part in parts), fmt


# -- scope -------------------------------------------------------------------------------------------

@pytest.fixture
def area_users(users):
    for name, community in (("east", DONGFENG), ("west", XIHU)):
        add_user(name, "staff", TEST_PASSWORD, communities=[community], path=users, rounds=4)
    return users


def test_two_users_of_different_communities_in_turn_see_only_their_own(warehouse_copy, area_users):
    reference = {}
    for community in (DONGFENG, XIHU):
        at = login(app({"community_code": community, "street_code": "530302001"}), "leader")
        reference[community] = tiles(at)
    assert reference[DONGFENG] != reference[XIHU]
    # In turn, twice, and asking the URL for the other community: the cache must not mix them.
    for _ in range(2):
        for name, own, other in (("east", DONGFENG, XIHU), ("west", XIHU, DONGFENG)):
            at = login(app({"community_code": other, "street_code": "530302001"}), name)
            assert tiles(at) == reference[own], name
            assert at.query_params["community_code"] == own
            listed = open_page(at, "tickets")
            names = set(listed.dataframe[0].value["社区"])
            assert names == {"东风社区" if own == DONGFENG else "西湖社区"}, name


def test_a_user_with_no_area_sees_nothing(warehouse_copy, users):
    at = login(app(), "nobody")
    assert not at.exception
    assert any("没有分配任何区域" in i.value for i in at.info)
    assert tiles(at) == "" and not at.dataframe
    at = open_page(at, "tickets")
    assert not at.dataframe and any("没有分配任何区域" in i.value for i in at.info)


# -- login and audit --------------------------------------------------------------------------------

def test_login_is_required_with_a_users_file_and_audited(warehouse_copy, users, tmp_path):
    at = app()
    assert [t.value for t in at.title] == ["一屏 · 登录"] and not tiles(at)
    login(at, "leader", "wrong-password")
    assert [e.value for e in at.error] == ["用户名或密码不对。"]
    login(at, "leader")
    assert "本期受理" in tiles(at)
    events = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["action"], e["user"]) for e in events] == [("login_failed", "leader"), ("login", "leader")]
    assert TEST_PASSWORD not in (tmp_path / "audit.jsonl").read_text(encoding="utf-8")


def test_only_the_admin_reads_the_audit_log(warehouse_copy, users):
    with pytest.raises(ValueError):
        login(app(), "analyst").switch_page("app_pages/audit.py")
    at = open_page(login(app(), "admin"), "audit")
    table = at.dataframe[0].value
    assert {"登录"} <= set(table["操作"]) and "admin" in set(table["用户"])


# -- errors and logs ----------------------------------------------------------------------------------

def test_a_failing_page_shows_an_incident_id_and_logs_masked(warehouse_copy, monkeypatch, caplog):
    from onescreen import data

    def broken():
        raise ValueError("来电人 张三 13812345678 身份证 530302199001011234 投诉")

    monkeypatch.setattr(data, "as_of", broken)
    with caplog.at_level(logging.ERROR, logger="onescreen"):
        at = open_page(app(), "tickets")
    shown = " ".join(e.value for e in at.error)
    incident = re.search(r"事件编号 (E-[0-9A-F]{6})", shown)
    assert incident, shown
    assert "13812345678" not in shown and "张三" not in shown and "Traceback" not in shown
    logged = caplog.text
    assert incident.group(1) in logged and "Traceback" in logged and "138****5678" in logged
    assert "13812345678" not in logged and "530302199001011234" not in logged


def test_the_log_filter_masks_every_record():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "call %s about %s", ("13812345678", "a@b.cn"), None)
    errors.ScrubFilter().filter(record)
    assert record.getMessage() == "call 138****5678 about [邮箱]"


def test_audit_details_are_scrubbed(tmp_path):
    from onescreen import audit

    event = audit.record("export", user="u", detail="给 13812345678 回电", path=tmp_path / "a.jsonl")
    assert event["detail"] == "给 138****5678 回电"
    assert "13812345678" not in (tmp_path / "a.jsonl").read_text(encoding="utf-8")


def test_audit_filters_are_scrubbed(tmp_path):
    """A filter is typed by a user too: a phone number pasted into the 工单编号 search is no record to keep."""
    from onescreen import audit

    event = audit.record("export", user="u", filters={"ticket_id": "0571 8888 8888", "street_code": "S01", "source": None},
                         path=tmp_path / "a.jsonl")
    assert event["filters"] == {"ticket_id": "0571-****8888", "street_code": "S01"}
    assert "8888 8888" not in (tmp_path / "a.jsonl").read_text(encoding="utf-8")


def test_staff_reveal_one_phone_on_the_page_with_a_reason(warehouse_copy, area_users, tmp_path):
    at = login(app({"ticket_id": "2025100100001", "range": "all"}), "east")
    at = open_page(at, "tickets")
    assert "13812345678" not in sent(at)
    button = at.button(key="t_reveal")
    assert button.disabled  # no reason yet
    at.text_input(key="t_reveal_reason").input("回访核实办理结果").run()
    at.button(key="t_reveal").click().run()
    assert "联系电话：13812345678" in [t.value for t in at.text]
    at.run()  # the next run shows it no more
    assert "13812345678" not in sent(at)
    events = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["action"], e["user"]) for e in events][-1] == ("reveal_phone", "east")


def test_a_leader_has_no_reveal_button(warehouse_copy, users):
    at = open_page(login(app({"ticket_id": "2025100100001", "range": "all"}), "leader"), "tickets")
    assert "t_reveal" not in [b.key for b in at.button]


def test_production_settings():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["showErrorLinks"] is False
    assert config["server"]["enableXsrfProtection"] is True
    assert 1 <= config["server"]["maxUploadSize"] <= 200
    assert config["browser"]["gatherUsageStats"] is False


def test_tiles_escape_what_they_are_given():
    from onescreen import ui

    tile = ui.tile("<b>x</b>", "<script>alert(1)</script>", note="&", help_text='"onmouseover="x')
    assert "<script>" not in tile and "&lt;script&gt;" in tile and "<b>x" not in tile
    assert '"onmouseover="' not in tile


def test_the_carousel_keeps_the_session(warehouse_copy, users):
    # The rotation is a server-side page switch, so a logged-in wall screen stays logged in.
    at = login(app({"carousel": "10"}), "kiosk")
    assert not at.exception and "本期受理" in tiles(at)
    assert "window.parent.location" not in sent(at)


def test_the_carousel_turns_through_the_big_screen_pages_a_user_may_open():
    from onescreen.ui import carousel_next

    everything = ["overview", "lights", "rates", "heat", "companies", "tickets"]
    assert [carousel_next(p, everything) for p in ("overview", "lights", "heat", "companies")] == [
        "lights", "heat", "companies", "overview"]
    assert carousel_next("lights", ["overview", "lights", "companies"]) == "companies"  # no heat page for this user
    assert carousel_next("tickets", everything) is None  # not a big-screen page: no rotation
    assert carousel_next("overview", ["overview"]) is None


@pytest.mark.parametrize(("page", "tier"), [("overview", "kiosk"), ("lights", "kiosk"), ("tickets", "meeting")])
def test_each_page_runs_at_its_declared_tier(page, tier, warehouse_copy, users):
    at = open_page(login(app(), "leader"), page)
    assert at.session_state["os_access"].tier == tier


def test_five_failed_logins_lock_the_name_for_every_session(warehouse_copy, users, tmp_path):
    """The lockout used to live in the session: a page reload (a new session) could guess again at once."""
    from onescreen import auth

    auth.THROTTLE.clear()
    try:
        for _ in range(auth.MAX_FAILURES):  # each guess from a fresh session, as a reloading script would
            assert [e.value for e in login(app(), "Leader ", "wrong-password").error] == ["用户名或密码不对。"]
        at = login(app(), "leader")  # the right password, in yet another session: refused during the lockout
        assert [e.value for e in at.error] == [f"登录失败次数过多，请 {auth.LOCKOUT_SECONDS} 秒后再试。"]
        assert not tiles(at)
        assert "本期受理" in tiles(login(app(), "analyst"))  # another name is not locked
        events = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
        assert [e["action"] for e in events].count("login_failed") == auth.MAX_FAILURES + 1
        auth.THROTTLE.clear("leader")
        assert "本期受理" in tiles(login(app(), "leader"))
    finally:
        auth.THROTTLE.clear()


def test_guessing_many_names_neither_floods_the_audit_log_nor_locks_out_real_users(warehouse_copy, users, tmp_path,
                                                                                    monkeypatch):
    """Random names bypassed the per-name lockout: each guess cost a password check and an audit line. After
    MAX_FAILURES_ALL failures in a minute, unknown names are refused unchecked and audited once a minute; a
    real user still logs in; a locked name's refusals are audited once a minute too."""
    from onescreen import auth

    monkeypatch.setattr(auth, "MAX_FAILURES_ALL", 3)
    checks = []
    real_authenticate = auth.users.authenticate
    monkeypatch.setattr(auth.users, "authenticate", lambda *a, **k: checks.append(a[0]) or real_authenticate(*a, **k))
    auth.THROTTLE.clear()
    try:
        for i in range(6):
            assert [e.value for e in login(app(), f"guess{i}", "x").error] == ["用户名或密码不对。"]
        assert checks == ["guess0", "guess1", "guess2"]           # the rest were refused without a check
        assert "本期受理" in tiles(login(app(), "leader"))        # a real name is still checked, and logs in
        for _ in range(auth.MAX_FAILURES + 3):
            login(app(), "analyst", "wrong-password")
        events = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
        failed = [e for e in events if e["action"] == "login_failed"]
        assert len([e for e in failed if e["user"] == "*"]) == 1       # the flood: one line
        assert len([e for e in failed if e["user"].startswith(auth.UNKNOWN_NAME)]) == 3
        assert len([e for e in failed if e["user"] == "analyst"]) == auth.MAX_FAILURES + 1   # 5 checks, 1 lockout line
    finally:
        auth.THROTTLE.clear()


def test_login_throttle_forgets_old_failures_and_bounds_its_names():
    from onescreen.auth import LOCKOUT_SECONDS, LoginThrottle

    throttle = LoginThrottle(max_names=3)
    for _ in range(7):
        throttle.fail("a", now=1000.0)
    assert throttle.recent("a", now=1000.0) == 5 and throttle.recent(" A", now=1000.0) == 5
    assert throttle.recent("a", now=1000.0 + LOCKOUT_SECONDS) == 0
    for name in ("b", "c", "d"):
        throttle.fail(name, now=1001.0)
    assert throttle.recent("a", now=1001.0) == 0 and throttle.recent("d", now=1001.0) == 1  # "a" forgotten first


def test_the_ticket_list_in_kiosk_mode_says_why_it_is_empty(warehouse_copy):
    """It used to show only the generic 页面出错了 with an incident number (the reason went to the log)."""
    at = open_page(app({"kiosk": "1"}), "tickets")
    assert not at.dataframe and not at.exception
    assert [e.value.split("（事件编号")[0] for e in at.error] == [
        "大屏只显示汇总数据，不显示工单明细。要看工单明细，请在普通模式（地址中没有 kiosk=1）下用有权限的账号打开本页。"]


def test_the_login_page_says_when_the_users_file_has_no_users(warehouse_copy, users):
    from onescreen.users import remove_user

    assert not [w for w in app().warning if "还没有用户" in w.value]
    for name in list(json.loads(users.read_text(encoding="utf-8"))["users"]):
        remove_user(name, path=users)
    at = app()
    assert [t.value for t in at.title] == ["一屏 · 登录"] and not tiles(at)  # still no demo mode
    assert [w.value for w in at.warning if "还没有用户" in w.value] == [
        "用户文件中还没有用户，暂时没有人能登录。管理员请在服务器上运行 python -m etl users add 用户名 --role admin "
        "--district 添加账号。"]


def test_the_audit_log_names_roles_as_the_sidebar_does(tmp_path):
    """审计日志 showed role codes (admin, leader) while the sidebar says 管理员, 领导; a failed login (no role) showed
    an empty cell. Roles are now the sidebar's names, the command line 命令行, no role —."""
    from onescreen import audit
    from onescreen.access import ROLE_LABELS

    log = tmp_path / "a.jsonl"
    audit.record("login", user="boss", role="leader", path=log)
    audit.record("login", user="root", role="admin", path=log)
    audit.record("login_failed", user="who", path=log)
    audit.record("upload", user="ops", role="cli", path=log)
    audit.record("login", user="old", role="retired-role", path=log)
    frame = audit.read(log).iloc[::-1]
    assert frame["角色"].tolist() == [ROLE_LABELS["leader"], ROLE_LABELS["admin"], "—", "命令行", "retired-role"]
    assert ROLE_LABELS["leader"] == "领导" and ROLE_LABELS["admin"] == "管理员"
