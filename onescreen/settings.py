"""Settings from the environment, with defaults, so tests can point everything at a temporary folder.

One home for paths: everything is derived from ``Path(__file__)`` or an environment variable, never
the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
CONFIG_DIR = ROOT / "config"
STATIC_DIR = ROOT / "static"


def warehouse_path() -> Path:
    """The published warehouse file: ``$ONESCREEN_DB`` or ``data/warehouse.duckdb``."""
    value = os.environ.get("ONESCREEN_DB")
    if value:
        return Path(value).expanduser().resolve()
    return DATA_DIR / "warehouse.duckdb"


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


# A blank basemap served by this app (static/blank-style.json): grids on a plain background, offline.
BLANK_STYLE_URL = "/app/static/blank-style.json"


def map_style_url() -> str:
    """The basemap style of every map: ``$ONESCREEN_MAP_STYLE`` (a MapLibre style JSON on the site's
    own intranet tile server, e.g. ``http://gis.example.gov.cn/styles/street.json``) or the blank
    style served by this app. Nothing is fetched from the internet unless that variable says so."""
    return os.environ.get("ONESCREEN_MAP_STYLE", "").strip() or BLANK_STYLE_URL
