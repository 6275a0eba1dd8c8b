"""The local users file: names, bcrypt-hashed passwords, roles, area scopes and permissions.

It works with no network at all. The file is JSON (``$ONESCREEN_USERS`` or ``config/users.json``, or ``users.json`` in
``$ONESCREEN_DATA_DIR`` (:func:`onescreen.settings.default_users_path`),
git-ignored: it holds password hashes; :func:`mode` says what happens without one) and is managed by
``python -m etl users``; every write goes to a temporary file that replaces the old one, so a reader
never sees half a file. ::

    {"version": 1, "users": {"wang": {"role": "staff", "password_hash": "$2b$12$...",
     "streets": [], "communities": ["CM01"], "grids": [], "district": false,
     "permissions": [], "email": "", "display_name": "王"}}}

Passwords are hashed with bcrypt (cost 12, about 0.3 s here: slow on purpose). An OIDC login
(``st.login``) maps to a user here by e-mail; an OIDC user with no entry has no role and no area.

A screen key (大屏钥匙, ``python -m etl users key add``) is a ``kiosk`` account with no password and a
``key_hash``: the sha256 of a random 256-bit key that is printed once and never stored. The wall's address
carries the key (``/?kiosk=1&key=...``), so a wall logs itself in again after a server restart.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import bcrypt

from onescreen import settings
from onescreen.access import PERMISSIONS, ROLES, UNMASKED_EXPORT_ROLES, Identity, Scope

BCRYPT_ROUNDS = 12
PASSWORD_MIN_CHARS = 8
PASSWORD_MAX_BYTES = 72  # bcrypt uses only the first 72 bytes; longer ones are refused, not cut
_NAME = re.compile(r"^[A-Za-z0-9_.@\-\u4e00-\u9fff]{1,64}$")


class UserError(ValueError):
    """An expected failure managing users (message starts with ``错误：``)."""


# ``ONESCREEN_USERS=demo`` asks for demo mode explicitly (tests, benchmarks), whatever config/users.json holds.
DEMO_SETTING = "demo"


def _setting() -> str:
    return os.environ.get("ONESCREEN_USERS", "").strip()


def configured_path() -> Path | None:
    """``$ONESCREEN_USERS``, else :func:`onescreen.settings.default_users_path` (``config/users.json``, or
    ``users.json`` in ``$ONESCREEN_DATA_DIR``); None for ``ONESCREEN_USERS=demo``."""
    value = _setting()
    if value == DEMO_SETTING:
        return None
    return Path(value).expanduser().resolve() if value else settings.default_users_path()


def users_path() -> Path:
    """The users file to manage: ``$ONESCREEN_USERS`` or ``config/users.json`` (refused in explicit demo mode)."""
    path = configured_path()
    if path is None:
        raise UserError("错误：ONESCREEN_USERS=demo 表示演示模式，没有用户文件；要管理用户，请把 ONESCREEN_USERS "
                        "设为用户文件的路径，或取消它（默认 config/users.json）。")
    return path


def mode() -> str:
    """How the app admits people: ``"login"`` when the users file exists; ``"demo"`` (no login) in a fresh clone
    with no users file (no ``$ONESCREEN_*`` setting names a data folder or warehouse, no ``config/users.json``) or
    when ``ONESCREEN_USERS=demo`` asks for it by name; ``"missing"`` when ``$ONESCREEN_USERS`` names a file that
    does not exist, or the default file's folder is missing (users.json of an ``$ONESCREEN_DATA_DIR`` that is not
    mounted); ``"setup"`` in a deployment (:func:`onescreen.settings.is_deployment`) whose default users file does
    not exist yet (nobody ran ``python -m etl users add``, or the data folder is an empty mount point).

    Only ``"login"`` and ``"demo"`` open the app. A deployment holds a street's real data: without a users file it
    refuses to open rather than show that data to anyone on the network; ``ONESCREEN_USERS=demo`` is the one
    explicit way to open one without a login (:func:`open_deployment`)."""
    path = configured_path()
    if path is None:
        return "demo"
    if path.is_file():
        return "login"
    if _setting() or not path.parent.is_dir():
        return "missing"
    return "setup" if settings.is_deployment() else "demo"


def open_deployment() -> bool:
    """Whether this deployment opens without a login because ``ONESCREEN_USERS=demo`` says so (a trial of the demo
    district in its own folder, a benchmark): the app warns in the log and shows a 未设置登录 banner."""
    return settings.is_deployment() and _setting() == DEMO_SETTING


def exists(path: Path | None = None) -> bool:
    """Whether the users file exists (``path``, or the configured one)."""
    path = path or configured_path()
    return path is not None and path.is_file()


def load(path: Path | None = None) -> dict[str, dict]:
    """Every user record by name; ``{}`` when there is no file. A broken file raises :class:`UserError`."""
    path = path or configured_path()
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        users = data["users"]
        if not isinstance(users, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise UserError(f"错误：用户文件 {path} 格式不对，请用 python -m etl users 重新生成。") from None
    return users


# The records last read, by path, with the file's (inode, mtime, size): every page run asks whether its
# user still holds what the session holds, and this makes that a stat() unless the file was replaced.
_records_cache: dict[Path, tuple[tuple[int, int, int], dict[str, dict]]] = {}
_records_lock = threading.Lock()


def records(path: Path | None = None) -> dict[str, dict]:
    """Like :func:`load`, but read again only when the file changed (``save`` replaces it: a new inode).

    The result is shared between callers: read it, never change it (use :func:`load` to edit users).
    """
    path = path or configured_path()
    if path is None:
        return {}
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    with _records_lock:
        hit = _records_cache.get(path)
        if hit is not None and hit[0] == signature:
            return hit[1]
    users = load(path)  # may be newer than ``signature``: then the next call's stat differs and reads again
    with _records_lock:
        _records_cache[path] = (signature, users)
    return users


def save(users: dict[str, dict], path: Path | None = None) -> Path:
    """Write all users atomically (owner-only permissions where the system has them)."""
    path = path or users_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": 1, "users": users}, ensure_ascii=False, indent=2, sort_keys=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".users-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def hash_password(password: str, rounds: int | None = None) -> str:
    """A bcrypt hash of ``password`` (refuses passwords bcrypt would silently cut or that are too short)."""
    if len(password) < PASSWORD_MIN_CHARS:
        raise UserError(f"错误：密码至少 {PASSWORD_MIN_CHARS} 个字符。")
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise UserError(f"错误：密码不能超过 {PASSWORD_MAX_BYTES} 字节（约 24 个汉字或 72 个英文字符）。")
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds or BCRYPT_ROUNDS)).decode("ascii")


# A fixed hash to compare against when the user does not exist, so a wrong name takes as long as a
# wrong password (no user enumeration by timing).
@functools.cache
def _dummy_hash() -> bytes:
    return bcrypt.hashpw(b"onescreen-no-such-user", bcrypt.gensalt(BCRYPT_ROUNDS))


@functools.cache
def check_seconds() -> float:
    """How long one password check takes on this machine (timed once): what a refusal without a check
    waits, so that it takes as long as a check."""
    start = time.perf_counter()
    bcrypt.checkpw(b"x", _dummy_hash())
    return time.perf_counter() - start


def check_new_user(name: str, role: str, *, streets=(), communities=(), grids=(), district: bool = False,
                   permissions=(), replace: bool = False, path: Path | None = None) -> None:
    """Every check :func:`add_user` makes except the password's, so a command can refuse before asking."""
    if not _NAME.match(name):
        raise UserError(f"错误：用户名 {name!r} 只能由字母、数字、汉字和 _ . @ - 组成（最多 64 个字符）。")
    if role not in ROLES:
        raise UserError(f"错误：角色只能是 {'|'.join(ROLES)}，不能是 {role!r}。")
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown:
        raise UserError(f"错误：未知权限 {'、'.join(unknown)}；可用：{'、'.join(PERMISSIONS)}。")
    if "export_unmasked" in permissions and role not in UNMASKED_EXPORT_ROLES:
        raise UserError(f"错误：只有 {'、'.join(UNMASKED_EXPORT_ROLES)} 角色可以有未脱敏导出权限。")
    if district and (streets or communities or grids):
        raise UserError("错误：--district（全区）与 --street/--community/--grid 不能同时使用。")
    if name in load(path) and not replace:
        raise UserError(f"错误：用户 {name} 已存在；要重设请加 --replace，或先 python -m etl users remove {name}。")


def add_user(name: str, role: str, password: str, *, streets=(), communities=(), grids=(), district: bool = False,
             permissions=(), email: str = "", display_name: str = "", replace: bool = False,
             path: Path | None = None, rounds: int | None = None) -> dict:
    """Add (or with ``replace`` overwrite) one user and return its record. Checks before writing."""
    check_new_user(name, role, streets=streets, communities=communities, grids=grids, district=district,
                   permissions=permissions, replace=replace, path=path)
    users = load(path)
    record = {
        "role": role, "password_hash": hash_password(password, rounds), "district": bool(district),
        "streets": sorted(set(streets)), "communities": sorted(set(communities)), "grids": sorted(set(grids)),
        "permissions": sorted(set(permissions)), "email": email, "display_name": display_name,
    }
    users[name] = record
    save(users, path)
    return record


def remove_user(name: str, path: Path | None = None) -> None:
    """Remove one user; an unknown name raises :class:`UserError`."""
    users = load(path)
    if name not in users:
        raise UserError(f"错误：没有用户 {name}（用 python -m etl users list 查看）。")
    del users[name]
    save(users, path)


def identity_of(name: str, record: dict, method: str = "password") -> Identity:
    """The :class:`Identity` a user record grants."""
    scope = Scope(district=bool(record.get("district")), streets=tuple(record.get("streets") or ()),
                  communities=tuple(record.get("communities") or ()), grids=tuple(record.get("grids") or ()))
    role = record.get("role")
    if role not in ROLES:  # a hand-edited file: no role means nothing
        role, scope = "kiosk", Scope()
    return Identity(name=name, role=role, scope=scope, permissions=frozenset(record.get("permissions") or ()),
                    method=method, display_name=str(record.get("display_name") or name),
                    email=str(record.get("email") or "").strip().lower() if method == "oidc" else "",
                    credential=_credential(record, method))


def _credential(record: dict, method: str) -> str:
    """What ties a session to the credential it logged in with: a screen key's hash, a password's fingerprint
    (:func:`password_fingerprint`); nothing for OIDC (the provider checks its own password)."""
    if method == "key":
        return str(record.get("key_hash") or "")
    if method == "password":
        return password_fingerprint(str(record.get("password_hash") or ""))
    return ""


def authenticate(name: str, password: str, path: Path | None = None) -> Identity | None:
    """The identity for a correct name and password, else None (same work either way). A screen key's
    account has no password: it never logs in here."""
    record = load(path).get(name.strip()) if name else None
    stored = str(record.get("password_hash") or "") if record else ""
    try:
        ok = bcrypt.checkpw(password.encode("utf-8"), stored.encode("ascii") if stored else _dummy_hash())
    except ValueError:  # a malformed hash in a hand-edited file
        ok = False
    if not ok or not stored:
        return None
    return identity_of(name.strip(), record)


def identity_for_email(email: str, path: Path | None = None) -> Identity | None:
    """The identity of the user whose ``email`` matches (OIDC login), or None."""
    wanted = (email or "").strip().lower()
    if not wanted:
        return None
    for name, record in records(path).items():
        if str(record.get("email", "")).strip().lower() == wanted:
            return identity_of(name, record, method="oidc")
    return None


def oidc_identity(email: str, path: Path | None = None) -> Identity:
    """What an OIDC login with ``email`` grants: its user's identity, or no role and no area when unmapped."""
    email = (email or "").strip().lower()
    return identity_for_email(email, path) or Identity(name=email or "oidc", role="kiosk", scope=Scope(),
                                                       method="oidc", email=email)


def password_fingerprint(password_hash: str) -> str:
    """A short fingerprint of a stored password hash (sha256, first 16 hex): what a password session keeps, so a
    changed password logs it out, without the session holding the bcrypt hash itself. ``""`` for no hash."""
    if not password_hash:
        return ""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def _grant(identity: Identity) -> tuple:
    """What an identity may do: who, role, area, permissions and which credential (a screen key's hash, a
    password's fingerprint; not its display name)."""
    return identity.name, identity.role, identity.scope.key(), identity.permissions, identity.credential


def still_granted(identity: Identity, path: Path | None = None) -> bool:
    """Whether the users file still grants ``identity`` (kept by a logged-in session) everything it holds.

    False when the user was removed, or their role, area or permissions changed in any way (narrowed or
    widened: either way the session must log in again to get what the file now says); for a password login,
    also when the password was changed; for an OIDC login, also when the e-mail now maps to another user or
    to none; for a screen key, also when the key was reset or removed. A broken users file grants nothing.
    The demo identity holds while the app runs in demo mode (:func:`mode`).
    """
    if identity.is_demo:
        return not exists(path) if path is not None else mode() == "demo"
    try:
        if identity.method == "oidc":
            now = oidc_identity(identity.email, path)
        else:
            record = records(path).get(identity.name)
            now = None if record is None else identity_of(identity.name, record, method=identity.method)
    except UserError:
        return False
    return now is not None and _grant(now) == _grant(identity)


# -- screen keys (大屏钥匙) ---------------------------------------------------------------------------

KEY_BYTES = 32  # secrets.token_urlsafe(32): 256 random bits, 43 characters
KEY_MAX_CHARS = 128  # anything longer in an address is not a key: refused without hashing it


def hash_key(key: str) -> str:
    """The sha256 (hex) of a screen key: what the users file keeps. A random 256-bit key needs no slow hash
    (nothing to guess), and a wall's every new session checks it."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def is_key_account(record: dict) -> bool:
    """Whether a user record is a screen key's account."""
    return bool(record.get("key_hash"))


def _key_account(name: str, path: Path | None) -> dict:
    users = load(path)
    if name not in users or not is_key_account(users[name]):
        raise UserError(f"错误：没有名为 {name} 的大屏钥匙（用 python -m etl users key list 查看）。")
    return users


def add_key(name: str, *, streets=(), communities=(), grids=(), district: bool = False,
            path: Path | None = None) -> str:
    """Create the screen key account ``name`` (role ``kiosk``, the given area) and return its key: the only
    time the key exists in plain text. The users file keeps only its hash."""
    check_new_user(name, "kiosk", streets=streets, communities=communities, grids=grids, district=district, path=path)
    if not (district or streets or communities or grids):
        raise UserError("错误：大屏钥匙要指定区域：--district（全区），或 --street/--community/--grid。")
    key = secrets.token_urlsafe(KEY_BYTES)
    users = load(path)
    users[name] = {
        "role": "kiosk", "password_hash": "", "key_hash": hash_key(key),
        "key_created_at": datetime.now().isoformat(timespec="seconds"), "district": bool(district),
        "streets": sorted(set(streets)), "communities": sorted(set(communities)), "grids": sorted(set(grids)),
        "permissions": [], "email": "", "display_name": "",
    }
    save(users, path)
    return key


def reset_key(name: str, path: Path | None = None) -> str:
    """A new key for the screen key account ``name`` (same area); the old key stops working at once, and a wall
    logged in with it is logged out at its next run. Returns the new key."""
    users = _key_account(name, path)
    key = secrets.token_urlsafe(KEY_BYTES)
    users[name] = {**users[name], "key_hash": hash_key(key), "key_created_at": datetime.now().isoformat(timespec="seconds")}
    save(users, path)
    return key


def remove_key(name: str, path: Path | None = None) -> None:
    """Revoke the screen key ``name`` (its account is removed); a password user's name is refused."""
    users = _key_account(name, path)
    del users[name]
    save(users, path)


def key_accounts(path: Path | None = None) -> dict[str, dict]:
    """The screen key accounts by name."""
    return {name: record for name, record in load(path).items() if is_key_account(record)}


def key_identity(key: str, path: Path | None = None) -> Identity | None:
    """The identity of the screen key ``key`` (the account whose hash matches, role ``kiosk`` only), else None.

    Only a ``kiosk`` record counts: a key hash put by hand on another role's record grants nothing.
    """
    if not key or len(key) > KEY_MAX_CHARS:
        return None
    wanted = hash_key(key)
    found = None
    for name, record in records(path).items():
        stored = str(record.get("key_hash") or "")
        if stored and hmac.compare_digest(stored, wanted) and record.get("role") == "kiosk":
            found = identity_of(name, record, method="key")
    return found
