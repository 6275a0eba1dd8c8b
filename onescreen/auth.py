"""Login for the app: the local users file (bcrypt) or a configured OIDC provider (``st.login``),
and demo mode in a fresh clone with no users file.

- Demo mode (a fresh clone: no ``$ONESCREEN_*`` setting names a data folder or warehouse, no ``config/users.json``;
  or ``ONESCREEN_USERS=demo``): everyone is the demo identity, the meeting tier over the whole district, with a
  visible 演示模式 banner; no upload, no unmasking. ``$ONESCREEN_USERS`` naming a missing file is an error page,
  never demo mode. A deployment (``$ONESCREEN_DATA_DIR`` or ``$ONESCREEN_DB`` set) without a users file shows only
  how to create the first account (:func:`setup_page`): its data are a street's own. ``ONESCREEN_USERS=demo`` is
  the one way to open a deployment without a login: a warning in the log and a 未设置登录 banner say so.
- With a users file, a session must log in. The identity lives in ``st.session_state`` (server
  side; no widget has its key, so the browser cannot set it). A page reload starts a new session and
  asks again. OIDC, when ``[auth]`` is configured in ``.streamlit/secrets.toml``, logs in through
  the provider and maps the e-mail to a user in the users file; an unmapped account sees nothing. Only an
  e-mail the provider vouches for maps (``email_verified`` true; :func:`oidc_refusal`): otherwise anyone who
  may set an address at the provider could claim a configured user's.
- A wall's address may carry a screen key (``/?kiosk=1&key=...``, :func:`key_login`): a session with none logs in
  as the key's account (kiosk tier, the wall pages only, its area), so a wall comes back by itself after a server
  restart. The key stays in the address on purpose: after a restart the browser reconnects with the address it
  shows, and a key taken out of it would leave the wall on the login page. It is never logged or audited.
- Every page run checks the session's identity against the users file again (a stat() when the file has
  not changed): a removed user, or one whose role, area, permissions or password changed, is logged out and
  asked to log in again. Downloads built after the run (``guarded``) check the same before building.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import shlex
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import streamlit as st

from onescreen import audit, filters, ui, users
from onescreen.access import (
    DEMO_IDENTITY,
    PAGE_CAPABILITY,
    PAGE_TIERS,
    ROLE_LABELS,
    AccessError,
    Identity,
    Scope,
    page_allowed,
)

IDENTITY_KEY = "os_identity"
FAILURES_KEY = "os_login_failures"
REVOKED_KEY = "os_revoked"
REVOKED_NOTE = "账号已被删除，或权限、密码已变更，请重新登录。"
OIDC_REFUSED_KEY = "os_oidc_refused"
KEY_PARAM = "key"  # ?key=: a screen key (大屏钥匙)
KEY_TRIED_KEY = "os_key_tried"  # the hash of a key refused in this session: not checked (nor counted) again
KEY_REFUSED_KEY = "os_key_refused"
KEY_REFUSED = ("大屏钥匙无效或已被收回，不能自动登录。请管理员在服务器上运行 python -m etl users key list 查看大屏钥匙，"
               "用 python -m etl users key reset 名称 生成新钥匙，并更新大屏浏览器的地址。")
# The name screen-key failures are counted and audited under in the failed-login limiter (never the key).
KEY_FAILURE_NAME = "（大屏钥匙）"
MAX_FAILURES = 5
LOCKOUT_SECONDS = 60
# Failed logins of all names together, per server process and minute: guessing random names is bounded
# too (each guess costs a bcrypt check, and each was a line in the audit log).
MAX_FAILURES_ALL = 30


class LoginThrottle:
    """Recent failed logins per user name, shared by every session of this server process.

    A lockout kept only in the session was undone by reloading the page (a new session). Kept here, five
    failures for a name lock that name for everyone for ``LOCKOUT_SECONDS``; a correct password after the
    lockout clears it. At most ``max_names`` names are remembered (guessing random names cannot grow it
    without bound): the least recently failed are forgotten first. Behind `make replicas` each replica
    counts its own (at most replicas × 5 guesses a minute).
    """

    def __init__(self, max_names: int = 10_000):
        self._failures: dict[str, list[float]] = {}
        self._all: list[float] = []                 # every failure of the last minute, any name
        self._locked_audited: dict[str, float] = {}  # when a refusal while locked was last audited, by key
        self._lock = threading.Lock()
        self.max_names = max_names

    @staticmethod
    def _key(name: str) -> str:
        return name.strip().casefold()[:64]

    def recent(self, name: str, now: float | None = None) -> int:
        now = time.time() if now is None else now
        with self._lock:
            times = [t for t in self._failures.get(self._key(name), []) if now - t < LOCKOUT_SECONDS]
            return len(times)

    def fail(self, name: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        key = self._key(name)
        with self._lock:
            times = [t for t in self._failures.pop(key, []) if now - t < LOCKOUT_SECONDS]
            self._failures[key] = [*times, now][-MAX_FAILURES:]   # re-inserted: the newest failure is last
            while len(self._failures) > self.max_names:
                del self._failures[next(iter(self._failures))]
            self._all = [t for t in self._all if now - t < LOCKOUT_SECONDS][-MAX_FAILURES_ALL:] + [now]

    def flooded(self, now: float | None = None) -> bool:
        """Whether :data:`MAX_FAILURES_ALL` logins failed in the last minute, whatever the names."""
        now = time.time() if now is None else now
        with self._lock:
            return sum(1 for t in self._all if now - t < LOCKOUT_SECONDS) >= MAX_FAILURES_ALL

    def first_refusal(self, key: str, now: float | None = None) -> bool:
        """True once per ``LOCKOUT_SECONDS`` for ``key`` (a name, or ``*`` for all): a refusal while locked is
        audited once a minute, not once per attempt (refusals cost nothing, so they come as fast as asked)."""
        now = time.time() if now is None else now
        with self._lock:
            if now - self._locked_audited.get(key, float("-inf")) < LOCKOUT_SECONDS:
                return False
            self._locked_audited.pop(key, None)
            self._locked_audited[key] = now
            while len(self._locked_audited) > self.max_names:
                del self._locked_audited[next(iter(self._locked_audited))]
            return True

    def clear(self, name: str | None = None) -> None:
        with self._lock:
            if name is None:
                self._failures.clear()
                self._all.clear()
                self._locked_audited.clear()
            else:
                self._failures.pop(self._key(name), None)


THROTTLE = LoginThrottle()
# Keys the hash of unknown names in the audit log. Random per server process: the same guess hashes the same
# until a restart, and a short hash of a password typed into the name field cannot be looked up in a table.
_UNKNOWN_NAME_KEY = secrets.token_bytes(32)
UNKNOWN_NAME = "（未知用户名）"


def _known(name: str) -> bool:
    try:
        return name.strip() in users.records()
    except users.UserError:
        return False


def audited_name(name: str) -> str:
    """The name a failed login is audited under: the user name when that user exists, else
    ``（未知用户名）`` and a short keyed hash (people type passwords into the name field; the log must not
    keep them, but repeated guesses of one name can still be counted)."""
    name = name.strip()
    if _known(name):
        return name
    digest = hmac.new(_UNKNOWN_NAME_KEY, name.casefold().encode("utf-8"), hashlib.sha256).hexdigest()[:8]
    return f"{UNKNOWN_NAME}{digest}"
DEMO_BANNER = ("演示模式：没有配置用户文件，任何打开本页的人都按“会议”级别查看（个人信息已脱敏）；"
               "不能导入数据、不能查看完整信息。创建用户：python -m etl users add 用户名 --role admin --district")
# A deployment opened on purpose with ONESCREEN_USERS=demo (users.open_deployment): its data may be a street's own.
# One line on a 1920 px wall, as DEMO_BANNER is: at two lines it pushed the big screen 7 px past 1080.
OPEN_BANNER = ("未设置登录（演示模式，ONESCREEN_USERS=demo）：能访问本机的任何人都按“会议”级别查看这里的数据（已脱敏）；"
               "正式使用请去掉它并创建账号：python -m etl users add 用户名 --role admin --district")
OPEN_LOG = ("ONESCREEN_USERS=demo in a deployment (ONESCREEN_DATA_DIR or ONESCREEN_DB is set): the app opens without a "
            "login and anyone who can reach it sees this data; unset it and create users with python -m etl users add")
logger = logging.getLogger("onescreen")
_open_logged = threading.Event()


def oidc_configured() -> bool:
    """Whether ``.streamlit/secrets.toml`` configures an OIDC provider for ``st.login``."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


# ``[auth]`` in .streamlit/secrets.toml: accept an OIDC e-mail whose token says nothing about verification.
# Streamlit ignores keys it does not know there (only a table with client_id etc. is a provider).
ACCEPT_UNCLAIMED_SETTING = "accept_email_without_verified_claim"
OIDC_UNVERIFIED = ("统一身份认证表示这个账号的邮箱还没有验证（email_verified 为 false），不能用它登录。"
                   "请先在单位统一身份认证中验证邮箱，或用用户名和密码登录。")
OIDC_UNCLAIMED = ("统一身份认证没有说明这个账号的邮箱是否已验证（身份令牌中没有 email_verified），不能用它登录。"
                  "请联系管理员：若单位认证系统中的邮箱都由管理员设定、个人不能修改（如 Azure AD/Entra ID 的工作账号），"
                  f"可在 .streamlit/secrets.toml 的 [auth] 中设 {ACCEPT_UNCLAIMED_SETTING} = true。")


def accept_unclaimed_email() -> bool:
    """Whether ``[auth]`` sets ``accept_email_without_verified_claim = true`` (a TOML boolean; anything else,
    or no setting, is false)."""
    try:
        return st.secrets["auth"].get(ACCEPT_UNCLAIMED_SETTING) is True
    except Exception:  # no secrets file, or no [auth]
        return False


def oidc_refusal(claims: Mapping, accept_unclaimed: bool = False) -> str | None:
    """Why an OIDC login with these ID-token ``claims`` (``st.user``) may not map its e-mail to a user, or None.

    The e-mail names the user, so the provider must vouch for it: ``email_verified`` true (a JSON boolean, or
    the string ``"true"`` some providers send). False, or anything else, is refused. A token without the claim
    is refused unless ``accept_unclaimed``: Keycloak and Authing send it with the ``email`` scope (Streamlit asks
    for it), Google too; Azure AD/Entra ID sends none for work accounts, whose address the tenant's
    administrators set. A login without an e-mail maps to no user anyway and is not refused here.
    """
    if not str(claims.get("email") or "").strip():
        return None
    verified = claims.get("email_verified")
    if verified is None:
        return None if accept_unclaimed else OIDC_UNCLAIMED
    if verified is True or (isinstance(verified, str) and verified.strip().lower() == "true"):
        return None
    return OIDC_UNVERIFIED


def refuse_oidc(claims: Mapping, reason: str) -> None:
    """Keep an OIDC login whose e-mail is not vouched for out (the login page says why), audited once per
    session and e-mail: the provider's session stays, so every run of this session comes back here.

    Audited under the user the e-mail would have mapped to (that is who was claimed), else the e-mail.
    """
    email = str(claims.get("email") or "").strip().lower()
    if st.session_state.get(OIDC_REFUSED_KEY, (None,))[0] != email:
        try:
            claimed = users.identity_for_email(email)
        except users.UserError:  # a broken users file: reported at the next password login
            claimed = None
        why = "身份令牌中没有 email_verified" if reason == OIDC_UNCLAIMED else "邮箱未验证（email_verified 不为 true）"
        audit.record("login_failed", user=claimed.name if claimed else email,
                     detail=f"OIDC（{claims.get('provider') or 'default'}）：{why}，拒绝登录")
    st.session_state[OIDC_REFUSED_KEY] = (email, reason)


def current_identity() -> Identity | None:
    """The demo identity without a users file; otherwise the logged-in identity, or None. When
    ``$ONESCREEN_USERS`` names a file that does not exist, an error page instead (the run stops).

    A session's identity is kept only while the users file still grants it the same role, area and
    permissions (:func:`onescreen.users.still_granted`); otherwise the session is logged out here
    (audited) and the login page says why.
    """
    mode = users.mode()
    if mode == "missing":
        missing_users_page(users.users_path())
    if mode == "setup":
        setup_page(users.users_path())
    if mode == "demo":
        if users.open_deployment() and not _open_logged.is_set():
            _open_logged.set()  # once per server process, not once per run
            logger.warning(OPEN_LOG)
        st.session_state.pop(IDENTITY_KEY, None)
        return DEMO_IDENTITY
    identity = st.session_state.get(IDENTITY_KEY)
    if isinstance(identity, Identity) and not identity.is_demo:
        if users.still_granted(identity):
            return identity
        revoke(identity)
        if identity.method != "key":
            return None
        # A wall: its key may still be good (only its area changed), then it logs in again at once; a reset or
        # removed key is refused below and the login page says why.
    if (identity := key_login()) is not None:
        return identity
    if oidc_configured():
        try:
            logged_in = st.user.is_logged_in
        except Exception:
            logged_in = False
        if logged_in:
            claims = st.user.to_dict()
            refusal = oidc_refusal(claims, accept_unclaimed_email())
            if refusal:
                refuse_oidc(claims, refusal)
                return None
            st.session_state.pop(OIDC_REFUSED_KEY, None)
            identity = users.oidc_identity(str(claims.get("email") or ""))
            st.session_state[IDENTITY_KEY] = identity
            audit.record("login", user=identity.name, role=identity.role, detail="OIDC")
            return identity
    return None


def key_login() -> Identity | None:
    """Log this session in with the screen key in its address (``?key=``), if any; the identity, else None.

    A wrong key is refused, counted in the failed-login limiter (:data:`THROTTLE`, under
    :data:`KEY_FAILURE_NAME`) and audited without the key; the same key is not tried again in this session. A key
    is checked even while that name is locked: a lock would let anyone who sends five wrong keys keep every wall
    on the login page, and a 256-bit key cannot be guessed anyway; past the flood limit (:data:`MAX_FAILURES_ALL`)
    refusals are audited once a minute, as refused password logins are.
    """
    key = str(st.query_params.get(KEY_PARAM, "") or "")
    if not key:
        return None
    tried = users.hash_key(key[:users.KEY_MAX_CHARS + 1])
    if st.session_state.get(KEY_TRIED_KEY) == tried:
        return None
    try:
        identity = users.key_identity(key)
    except users.UserError:  # a broken users file: grants nothing
        identity = None
    if identity is None:
        st.session_state[KEY_TRIED_KEY] = tried
        st.session_state[KEY_REFUSED_KEY] = True
        THROTTLE.fail(KEY_FAILURE_NAME)
        if not THROTTLE.flooded() or THROTTLE.first_refusal(KEY_FAILURE_NAME):
            audit.record("login_failed", user=KEY_FAILURE_NAME, detail="大屏钥匙无效或已收回")
        return None
    st.session_state[IDENTITY_KEY] = identity
    for stale in (KEY_TRIED_KEY, KEY_REFUSED_KEY, REVOKED_KEY, FAILURES_KEY):
        st.session_state.pop(stale, None)
    audit.record("login", user=identity.name, role=identity.role, detail="大屏钥匙登录")
    return identity


def missing_users_page(path: Path) -> None:
    """``$ONESCREEN_USERS`` names a users file that does not exist: refuse to open, never fall back to
    demo mode (a typo or an unmounted disk must not open the data to everyone); stops the run."""
    st.title("一屏")
    if not path.parent.is_dir():   # users.json of an ONESCREEN_DATA_DIR that is not there (not mounted, a typo)
        st.error(f"找不到数据文件夹 {path.parent}（环境变量 ONESCREEN_DATA_DIR），其中的用户文件 {path} 也就不存在，"
                 "所以本应用不能打开（不会改用演示模式）。请检查磁盘或网络共享是否已挂载、路径是否写对，再重启服务。",
                 icon=":material/error:")
        st.stop()
    st.error(f"找不到用户文件 {path}：环境变量 ONESCREEN_USERS 指定了它，但它不存在，所以本应用不能打开"
             "（不会改用演示模式）。管理员请在服务器上用同样的 ONESCREEN_USERS 运行 "
             "python -m etl users add 用户名 --role admin --district 创建第一个用户；或改正 ONESCREEN_USERS 的路径。"
             "确实只要演示时，设 ONESCREEN_USERS=demo 或取消它。", icon=":material/error:")
    st.stop()


def setup_command() -> str:
    """The command that creates the first account of this deployment, with the settings that name its data folder
    or warehouse (run without them, ``python -m etl users`` would write another users file than the app reads)."""
    named = [f"{name}={shlex.quote(value)}" for name in ("ONESCREEN_DATA_DIR", "ONESCREEN_DB")
             if (value := os.environ.get(name, "").strip())]
    return " ".join([*named, "python -m etl users add 用户名 --role admin --district"])


def setup_page(path: Path) -> None:
    """A deployment (a data folder or warehouse named) without a users file: nobody can log in yet, and the street's
    data are not shown to whoever opens the page (never demo mode); only how to create the first account. Stops
    the run."""
    st.title("一屏")
    st.error(f"还没有设置任何账号，所以本系统暂不能打开（部署中没有用户文件时不会改用演示模式）。管理员请在运行本系统的服务器上、"
             f"本系统的文件夹中运行：\n\n`{setup_command()}`\n\n"
             f"按提示输入两次密码，即在 `{path}` 建好第一个账号（管理员、全区）；然后刷新本页登录。"
             "其他账号同样用 python -m etl users add 添加（python -m etl users --help 说明角色和区域）。",
             icon=":material/person_off:")
    st.stop()


def revoke(identity: Identity) -> None:
    """Log this session out because the users file no longer grants ``identity`` what it holds.

    An OIDC session stays logged in at the provider: its next run maps the e-mail again, to what the
    users file grants now.
    """
    audit.record("revoked", user=identity.name, role=identity.role,
                 detail="用户已被删除，或角色、区域、权限、密码已变更：会话已退出")
    st.session_state.pop(IDENTITY_KEY, None)
    st.session_state[REVOKED_KEY] = True
    filters.forget()


def guarded(identity: Identity, build: Callable[[], bytes], what: str) -> Callable[[], bytes]:
    """``build`` for a ``download_button``, run only while the users file still grants ``identity``.

    A download is built when clicked, outside any page run (so :func:`current_identity` does not see it):
    a user removed or narrowed since the page ran gets an error instead of the file, audited.
    """
    def build_if_granted() -> bytes:
        if not users.still_granted(identity):
            audit.record("denied", user=identity.name, role=identity.role, detail=f"{what}：{REVOKED_NOTE}")
            raise AccessError(REVOKED_NOTE)
        return build()

    return build_if_granted


def login_page() -> None:
    """The login form (and the OIDC button when configured); stops the run."""
    st.title("一屏 · 登录")
    if st.session_state.get(REVOKED_KEY):
        st.warning(REVOKED_NOTE, icon=":material/logout:")
    if OIDC_REFUSED_KEY in st.session_state:
        st.error(st.session_state[OIDC_REFUSED_KEY][1], icon=":material/no_accounts:")
    if st.session_state.get(KEY_REFUSED_KEY):
        st.error(KEY_REFUSED, icon=":material/vpn_key_off:")
    try:
        nobody = not users.load()
    except users.UserError:  # a broken file: authenticate() reports it on submit
        nobody = False
    if nobody:
        st.warning("用户文件中还没有用户，暂时没有人能登录。管理员请在服务器上运行 "
                   "python -m etl users add 用户名 --role admin --district 添加账号。", icon=":material/person_off:")
    failures = st.session_state.get(FAILURES_KEY, [])
    recent = [t for t in failures if time.time() - t < LOCKOUT_SECONDS]
    with st.form("os_login", clear_on_submit=True):
        name = st.text_input("用户名", key="os_login_name", max_chars=64)
        password = st.text_input("密码", type="password", key="os_login_password", max_chars=128)
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        # Per session (one browser trying many names) and per name (many sessions trying one name).
        if THROTTLE.flooded() and not _known(name):
            # Guessing many names: an unknown one is refused unchecked (a real user's name still logs in),
            # after the time a check takes, so the answer does not tell which names exist.
            time.sleep(users.check_seconds())
            if THROTTLE.first_refusal("*"):
                audit.record("login_failed", user="*", detail=f"一分钟内登录失败 {MAX_FAILURES_ALL} 次以上，不存在的用户名"
                             "暂不核对密码、不逐条记录（一分钟内只记这一条）")
            st.error("用户名或密码不对。")
        elif len(recent) >= MAX_FAILURES or THROTTLE.recent(name) >= MAX_FAILURES:
            if THROTTLE.first_refusal(LoginThrottle._key(name)):
                audit.record("login_failed", user=audited_name(name),
                             detail="失败次数过多，暂时锁定，未核对密码（一分钟内只记一次）")
            st.error(f"登录失败次数过多，请 {LOCKOUT_SECONDS} 秒后再试。")
        else:
            identity = users.authenticate(name, password)
            if identity is None:
                st.session_state[FAILURES_KEY] = [*recent, time.time()]
                THROTTLE.fail(name)
                audit.record("login_failed", user=audited_name(name))
                st.error("用户名或密码不对。")
            else:
                st.session_state[IDENTITY_KEY] = identity
                st.session_state.pop(FAILURES_KEY, None)
                st.session_state.pop(REVOKED_KEY, None)
                THROTTLE.clear(name)
                audit.record("login", user=identity.name, role=identity.role)
                st.rerun()
    if oidc_configured():
        st.button("使用单位统一身份认证登录", on_click=st.login, key="os_oidc_login")
    st.caption("账号由管理员用 python -m etl users add 创建。")
    st.stop()


def logout(identity: Identity) -> None:
    """Forget the identity of this session (and leave the OIDC provider's session)."""
    audit.record("logout", user=identity.name, role=identity.role)
    st.session_state.pop(IDENTITY_KEY, None)
    filters.forget()  # the filters this session chose are not carried to the next user's first page
    if identity.method == "oidc":
        st.logout()


def page_name(page) -> str:
    """The key of ``access.PAGE_TIERS`` for an ``st.Page``: its file name in app_pages/ without ``.py``.

    Not ``page.url_path``: Streamlit reports the default page's as ``""``.
    """
    source = getattr(page, "_page", None)
    if isinstance(source, (str, Path)):
        return Path(source).stem
    return page.url_path


def allowed_pages(identity: Identity, pages: list) -> list:
    """The ``st.Page`` entries this identity may open (navigation shows only these)."""
    return [page for page in pages if page_allowed(identity, page_name(page))]


# Who may open a page that needs a capability (access.PAGE_CAPABILITY), as its closed page says.
CAPABILITY_ROLES = {"upload": "数据分析员或管理员", "read_audit": "管理员"}


def closed_pages(identity: Identity, pages: list) -> list:
    """For each page ``identity`` may not open, a hidden page at the same address that says why in Chinese
    (otherwise a bookmark or a typed address of /upload gets Streamlit's English "Page not found")."""
    closed = []
    for page in pages:
        name = page_name(page)
        if page_allowed(identity, name):
            continue
        needed = PAGE_CAPABILITY.get(name)
        who = CAPABILITY_ROLES.get(needed, "有权限的账号")

        def explain(title=page.title, who=who) -> None:
            st.title(title)
            if identity.is_demo:
                st.info(f"“{title}”需要以{who}身份登录；当前是演示模式（没有配置用户文件），不能打开。"
                        "管理员可用 python -m etl users add 用户名 --role 角色 创建账号。", icon=":material/lock:")
            else:
                st.info(f"“{title}”只对{who}开放；当前账号（{ROLE_LABELS.get(identity.role, identity.role)}）不能打开。"
                        "如需使用，请联系管理员。", icon=":material/lock:")

        closed.append(st.Page(explain, title=page.title, icon=page.icon, url_path=page.url_path, visibility="hidden"))
    return closed


def show_identity(identity: Identity, kiosk: bool) -> None:
    """The demo banner (未设置登录 in a deployment opened with ``ONESCREEN_USERS=demo``), and in the sidebar who
    is logged in, their area and a logout button."""
    if identity.is_demo:
        st.warning(OPEN_BANNER if users.open_deployment() else DEMO_BANNER, icon=":material/warning:")
        return
    if kiosk:
        return
    with st.sidebar:
        st.caption(f"当前用户：{ui.markdown_text(identity.display_name or identity.name)}"
                   f"（{ROLE_LABELS.get(identity.role, identity.role)}） · 区域：{ui.markdown_text(identity.scope.describe())}")
        st.button("退出登录", key="os_logout", on_click=logout, args=(identity,))


def no_scope_page(identity: Identity) -> None:
    """What a user mapped to no area sees: nothing but how to get access; stops the run."""
    st.title("一屏")
    st.info(f"账号 {ui.markdown_text(identity.name)} 还没有分配任何区域（街道、社区或网格），因此看不到任何数据。"
            "请联系管理员：python -m etl users add 用户名 --role 角色 --community 社区编号 --replace", icon=":material/lock:")
    st.button("退出登录", key="os_logout_noscope", on_click=logout, args=(identity,))
    st.stop()


__all__ = ["IDENTITY_KEY", "PAGE_TIERS", "current_identity", "key_login", "setup_page", "revoke", "guarded", "login_page", "logout", "allowed_pages",
           "show_identity", "no_scope_page", "oidc_configured", "oidc_refusal", "page_name"]
