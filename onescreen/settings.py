"""Settings from the environment, with defaults, so tests can point everything at a temporary folder.

One home for paths: everything is derived from ``Path(__file__)`` or an environment variable, never
the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The folder of what the app writes by default (the warehouse, uploads, rejects, reports, snapshots, the audit log):
# ``$ONESCREEN_DATA_DIR`` or ``data/`` of the checkout. Read once, when the app or a command starts; each path below
# that has a variable of its own (``ONESCREEN_DB``, ``ONESCREEN_AUDIT`` ...) still takes it first.
DATA_DIR = Path(os.environ["ONESCREEN_DATA_DIR"]).expanduser().resolve() if os.environ.get("ONESCREEN_DATA_DIR") else ROOT / "data"
CONFIG_DIR = ROOT / "config"
STATIC_DIR = ROOT / "static"


def warehouse_path() -> Path:
    """The published warehouse file: ``$ONESCREEN_DB`` or ``data/warehouse.duckdb``."""
    value = os.environ.get("ONESCREEN_DB")
    if value:
        return Path(value).expanduser().resolve()
    return DATA_DIR / "warehouse.duckdb"


def data_dir_is_set() -> bool:
    """Whether ``$ONESCREEN_DATA_DIR`` moves what the app writes out of the checkout."""
    return bool(os.environ.get("ONESCREEN_DATA_DIR"))


def is_deployment() -> bool:
    """Whether a data folder or warehouse was named (``$ONESCREEN_DATA_DIR`` or ``$ONESCREEN_DB``): a street's own
    installation, which starts empty and never gets the demo district unless asked by name; a fresh clone (neither
    set) shows the demo."""
    return bool(os.environ.get("ONESCREEN_DB") or os.environ.get("ONESCREEN_DATA_DIR"))


def missing_warehouse_advice() -> str:
    """What to run when there is no warehouse: in a deployment an empty one and the street's own files (the demo
    would put 26万 invented tickets into its folder), in a fresh clone the demo or a load."""
    if is_deployment():
        return "python -m etl init 建一个空的数据仓库，再用 python -m etl load 导入网格定义和工单导出"
    return "python -m etl demo 生成示范区，或用 python -m etl load 导入导出文件"


def no_data_advice() -> str:
    """What to run when the warehouse holds no tickets yet (as :func:`missing_warehouse_advice`)."""
    if is_deployment():
        return "python -m etl load 导入网格定义和工单导出（先网格定义）"
    return "python -m etl demo 生成示范区，或用 python -m etl load 导入导出文件"


def default_users_path() -> Path:
    """The users file when ``$ONESCREEN_USERS`` is not set: ``config/users.json``; with ``$ONESCREEN_DATA_DIR`` set,
    ``users.json`` in that folder, unless only ``config/users.json`` exists (an install that made its users before
    keeps them; move the file into the data folder to switch). Password hashes then sit with the rest of the data,
    in the folder that is backed up, not in a checkout that ``git pull`` updates."""
    in_config = CONFIG_DIR / "users.json"
    if not data_dir_is_set():
        return in_config
    in_data = DATA_DIR / "users.json"
    return in_data if in_data.is_file() or not in_config.is_file() else in_config


def run_dir() -> Path:
    """Where ``make replicas`` keeps nginx's config, pid, logs and the shared cookie secret: ``run/`` in
    ``$ONESCREEN_DATA_DIR`` when set, else ``run/`` of the checkout (git-ignored)."""
    return (DATA_DIR if data_dir_is_set() else ROOT) / "run"


def missing_data_folders() -> list[tuple[str, Path]]:
    """The data folders named explicitly (``ONESCREEN_DB``'s folder, ``$ONESCREEN_DATA_DIR``) that do not exist, as
    (variable, folder). Such a folder is usually a disk or network share not mounted yet, or a typo: nothing should
    be created there (``make run`` would fill it with the demo district and serve it). ``data/`` of the checkout,
    the default, is not named by anyone and is created as needed."""
    named = []
    if os.environ.get("ONESCREEN_DB"):
        named.append(("ONESCREEN_DB", warehouse_path().parent))
    if data_dir_is_set():
        named.append(("ONESCREEN_DATA_DIR", DATA_DIR))
    return [(name, folder) for name, folder in named if not folder.is_dir()]


def rules_path() -> Path:
    """The business rules file: ``$ONESCREEN_RULES`` or ``config/rules.toml``."""
    value = os.environ.get("ONESCREEN_RULES")
    return Path(value).expanduser().resolve() if value else CONFIG_DIR / "rules.toml"


def calendar_overrides_path() -> Path:
    """Working-day overrides for years the calendar package does not know."""
    return CONFIG_DIR / "calendar_overrides.csv"


def upload_limit_bytes() -> int:
    """Largest export accepted, checked before parsing (``$ONESCREEN_UPLOAD_LIMIT_MB``, default 50)."""
    return int(float(os.environ.get("ONESCREEN_UPLOAD_LIMIT_MB", "50")) * 1024 * 1024)


def stale_after_days() -> int:
    """Days after its 数据截至 date from which the big screen says its data are old (``$ONESCREEN_STALE_DAYS``,
    default 3: a weekend's gap is not flagged; 0 turns the flag off)."""
    return max(0, int(os.environ.get("ONESCREEN_STALE_DAYS", "3")))


# A blank basemap served by this app (static/blank-style.json): grids on a plain background, offline.
BLANK_STYLE_URL = "/app/static/blank-style.json"


def map_style_url() -> str:
    """The basemap style of every map: ``$ONESCREEN_MAP_STYLE`` (a MapLibre style JSON on the site's
    own intranet tile server, e.g. ``http://gis.example.gov.cn/styles/street.json``) or the blank
    style served by this app. Nothing is fetched from the internet unless that variable says so."""
    return os.environ.get("ONESCREEN_MAP_STYLE", "").strip() or BLANK_STYLE_URL


def snapshot_dir() -> Path | None:
    """``$ONESCREEN_SNAPSHOTS``: read the live snapshot in this folder (``python -m etl publish``)
    instead of the warehouse file. Unset (the default, one street): read the warehouse file."""
    value = os.environ.get("ONESCREEN_SNAPSHOTS", "").strip()
    return Path(value).expanduser().resolve() if value else None


ENGINES = ("duckdb", "chdb", "clickhouse")


def engine() -> str:
    """``$ONESCREEN_ENGINE``: where the named queries run. ``duckdb`` (default) reads the warehouse
    file or the live snapshot in-process; ``chdb`` runs ClickHouse's engine in-process on the live
    snapshot; ``clickhouse`` sends them to a ClickHouse server (``$ONESCREEN_CLICKHOUSE_URL``)."""
    value = os.environ.get("ONESCREEN_ENGINE", "").strip().lower() or "duckdb"
    if value not in ENGINES:
        raise ValueError(f"错误：ONESCREEN_ENGINE 只能是 {'、'.join(ENGINES)}，不能是 {value!r}。")
    return value


def clickhouse_url() -> str:
    """``$ONESCREEN_CLICKHOUSE_URL``: the server's HTTP interface, e.g.
    ``http://reader:secret@ch1.example.gov.cn:8123/?database=onescreen``."""
    value = os.environ.get("ONESCREEN_CLICKHOUSE_URL", "").strip()
    if not value:
        raise ValueError("错误：ONESCREEN_ENGINE=clickhouse 需要 ONESCREEN_CLICKHOUSE_URL（如 http://用户:密码@主机:8123/?database=onescreen）。")
    return value
