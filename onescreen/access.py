"""Who may see what: roles, display tiers, area scope, and how the data layer enforces them.

Pure functions and frozen values only (no Streamlit here; ``onescreen.auth`` does the login and
``onescreen.data`` applies these rules to every query), so every rule is testable on its own.

Tiers, from least to most revealing (the issue's "display tiers"):

- ``kiosk``: the big screen. Aggregates, rankings, grid/category/hour/status only; no ticket
  numbers, names, phones, addresses or free text. Counts of 1-2 below grid level become ``<3``;
  ticket points are snapped to grid centroids. Queries that read ``ticket_pii`` are refused.
- ``meeting``: leaders and review meetings. Ticket lists with masked fields, free text scrubbed and
  cut to 50 characters (``onescreen.tickets.mask_tickets``).

Each page declares the tier of what it shows (:data:`PAGE_TIERS`); a run uses the lower of the page's
tier and the user's (``?kiosk=1`` always means kiosk). Capabilities beyond display (revealing one
phone number, uploading, rolling back, reading the audit log, unmasked export) belong to roles and
to an explicit per-user permission, never to a page or a URL.

Scope is default-deny and comes from the identity only: a user sees the district, or the streets,
communities and grids listed for them, and nothing when no area is listed. A URL or filter can
narrow within the scope, never widen it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from onescreen.masking import small_count

TIERS = ("kiosk", "meeting")
ROLES = ("kiosk", "leader", "staff", "analyst", "admin")
ROLE_LABELS = {"kiosk": "大屏", "leader": "领导", "staff": "社区/网格工作人员", "analyst": "数据分析员",
               "admin": "管理员", "demo": "演示"}
ROLE_TIER = {"kiosk": "kiosk", "leader": "meeting", "staff": "meeting", "analyst": "meeting", "admin": "meeting",
             "demo": "meeting"}
# What a role may do besides looking. ``export_unmasked`` is not here: it is a per-user permission.
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    "kiosk": frozenset(),
    "leader": frozenset(),
    "staff": frozenset({"reveal_phone"}),
    "analyst": frozenset({"upload", "rollback"}),
    "admin": frozenset({"upload", "rollback", "read_audit", "manage_users"}),
    "demo": frozenset(),
}
PERMISSIONS = ("export_unmasked",)
# Roles that may hold the explicit unmasked-export permission.
UNMASKED_EXPORT_ROLES = ("analyst", "admin")

# Each page's display tier (file name in app_pages/ without .py -> tier), or the capability it needs. A page missing here is
# treated as meeting tier: masked at worst, and never shown to a kiosk account.
PAGE_TIERS: dict[str, str] = {
    "overview": "kiosk", "lights": "kiosk", "rates": "kiosk", "heat": "kiosk", "companies": "kiosk",
    "tickets": "meeting", "weekly": "meeting", "upload": "meeting", "audit": "meeting",
}
PAGE_CAPABILITY: dict[str, str] = {"upload": "upload", "audit": "read_audit"}
# The wall's pages (the carousel's rotation): all a screen key (大屏钥匙) may open, always in kiosk mode.
WALL_PAGES = ("overview", "lights", "heat", "companies")
DEFAULT_PAGE_TIER = "meeting"

SMALL_COUNT_THRESHOLD = 3


class AccessError(PermissionError):
    """Something the current identity may not see or do (Chinese message for the user)."""


@dataclass(frozen=True)
class Scope:
    """The area a user may see: the whole district, or listed streets, communities and grids."""

    district: bool = False
    streets: tuple[str, ...] = ()
    communities: tuple[str, ...] = ()
    grids: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.district or self.streets or self.communities or self.grids)

    def key(self) -> tuple:
        """A hashable, canonical form: part of every cache key."""
        return ("district",) if self.district else (
            "area", tuple(sorted(self.streets)), tuple(sorted(self.communities)), tuple(sorted(self.grids)))

    @classmethod
    def from_key(cls, key: tuple) -> "Scope":
        """The scope a :meth:`key` was made from."""
        if key == ("district",):
            return cls(district=True)
        _, streets, communities, grids = key
        return cls(streets=tuple(streets), communities=tuple(communities), grids=tuple(grids))

    def describe(self) -> str:
        if self.district:
            return "全区"
        parts = [f"{label} {'、'.join(codes)}" for label, codes in
                 (("街道", self.streets), ("社区", self.communities), ("网格", self.grids)) if codes]
        return "；".join(parts) or "未分配区域"


DISTRICT = Scope(district=True)
NOWHERE = Scope()


@dataclass(frozen=True)
class Identity:
    """The logged-in user (or the demo identity): name, role, scope, explicit permissions."""

    name: str
    role: str
    scope: Scope = NOWHERE
    permissions: frozenset[str] = frozenset()
    method: str = "password"  # password / oidc / key (大屏钥匙) / demo
    display_name: str = ""
    email: str = ""  # an OIDC login's e-mail (lower case): what maps it to a user, checked again on every run
    # A screen key's hash, a password's fingerprint (onescreen.users.password_fingerprint): a reset key logs its
    # walls out, a changed password its sessions.
    credential: str = field(default="", repr=False)

    @property
    def is_demo(self) -> bool:
        return self.role == "demo"

    @property
    def tier(self) -> str:
        return ROLE_TIER[self.role]

    @property
    def is_wall(self) -> bool:
        """A ``kiosk``-role identity (a screen key, a password account of that role, an unmapped OIDC login):
        the wall's pages only, always in kiosk mode, no downloads."""
        return self.role == "kiosk"

    def can(self, capability: str) -> bool:
        """A role capability (``upload``, ``reveal_phone``...) or an explicit permission."""
        if capability in PERMISSIONS:
            return capability in self.permissions and self.role in UNMASKED_EXPORT_ROLES
        return capability in ROLE_CAPABILITIES.get(self.role, frozenset())


DEMO_IDENTITY = Identity(name="demo", role="demo", scope=DISTRICT, method="demo", display_name="演示用户")


@dataclass(frozen=True)
class Access:
    """What one page run may see: the identity's scope at the effective tier, and whether it may download."""

    identity: Identity
    tier: str
    downloads: bool = True

    def key(self) -> tuple:
        return (self.tier, self.identity.scope.key())


def lower_tier(*tiers: str) -> str:
    """The least revealing of the given tiers."""
    return min(tiers, key=TIERS.index)


def page_allowed(identity: Identity, url_path: str) -> bool:
    """Whether ``identity`` may open the page: its tier is within the role's, and its capability held; a
    ``kiosk``-role identity (a screen key or not) only the wall's pages."""
    if identity.is_wall and url_path not in WALL_PAGES:
        return False
    tier = PAGE_TIERS.get(url_path, DEFAULT_PAGE_TIER)
    if TIERS.index(tier) > TIERS.index(identity.tier):
        return False
    needed = PAGE_CAPABILITY.get(url_path)
    return needed is None or identity.can(needed)


def page_access(identity: Identity, url_path: str, kiosk_mode: bool = False) -> Access:
    """The access for one run of a page: the lower of the page's and the role's tier (kiosk mode: kiosk). No
    downloads on the wall: not for a ``kiosk``-role identity, nor in kiosk mode."""
    tier = lower_tier(PAGE_TIERS.get(url_path, DEFAULT_PAGE_TIER), identity.tier)
    return Access(identity, "kiosk" if kiosk_mode else tier, downloads=not (kiosk_mode or identity.is_wall))


# -- the scope against the places -------------------------------------------------------------------

@dataclass(frozen=True)
class Area:
    """A scope resolved against the places: the street, community and grid codes it covers.

    ``communities`` are whole communities (their aggregates may be shown); ``grids`` every grid the
    user may see, whole communities' grids included; ``streets`` whole streets.
    """

    district: bool
    streets: frozenset[str] = frozenset()
    communities: frozenset[str] = frozenset()
    grids: frozenset[str] = frozenset()
    home: tuple[str, str] | None = None  # (key, code): the default unit, e.g. ("community_code", "C01")
    grid_community: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    def allows(self, key: str, code) -> bool:
        """Whether the unit ``key`` (street_code/community_code/grid_code) ``code`` is in the area."""
        if self.district:
            return True
        if code is None or code == "":
            return False
        return code in {"street_code": self.streets, "community_code": self.communities,
                        "grid_code": self.grids}.get(key, frozenset())


def resolve(scope: Scope, places: pd.DataFrame) -> Area:
    """Resolve ``scope`` against ``places`` (grid_code, community_code, street_code; one row per grid).

    Codes in the scope that the warehouse does not know still count (a community loaded later); the
    home unit is the widest listed one, first in sorted order.
    """
    if scope.district:
        return Area(district=True)
    streets = set(scope.streets)
    communities = set(scope.communities)
    grids = set(scope.grids)
    if len(places):
        in_street = places[places["street_code"].isin(streets)]
        communities |= set(in_street["community_code"].dropna())
        grids |= set(places.loc[places["community_code"].isin(communities), "grid_code"].dropna())
    home = None
    for key, codes in (("street_code", scope.streets), ("community_code", scope.communities),
                       ("grid_code", scope.grids)):
        if codes:
            home = (key, sorted(codes)[0])
            break
    grid_community = dict(zip(places["grid_code"], places["community_code"])) if len(places) else {}
    return Area(False, frozenset(streets), frozenset(communities), frozenset(grids), home, grid_community)


AREA_KEYS = ("street_code", "community_code", "grid_code")
# Queries with no area parameter that a scoped user may still run: published company lists and the
# rule and vocabulary lookups. Any other query without an area parameter is refused to a scoped
# user (default deny); tests/test_access.py checks every registered query is one or the other.
PUBLIC_QUERIES = frozenset({"as_of", "mart_rules", "company_rankings", "company_history",
                            "company_compound_complaints", "ticket_categories"})
# Queries that read ticket_pii: refused at the kiosk tier, masked in run_query at the meeting tier.
PII_QUERIES = frozenset({"ticket_list"})
# Below-grid counts (compounds, addresses, small cells): small ones become "<3" at the kiosk tier.
BELOW_GRID_COUNTS: dict[str, tuple[str, ...]] = {
    "recurring_problems": ("ticket_count", "previous_ticket_count"),
    "company_compound_complaints": ("complaint_count",),
}
# Ticket-level columns never sent at the kiosk tier.
KIOSK_DROPPED_COLUMNS = ("ticket_id", "address", "address_area", "caller_name", "caller_phone", "content",
                         "place_key", "first_ticket_id", "last_ticket_id")
# Times cut to the day at the kiosk tier: one row is one person (a repeat caller), the minute of a call says too much.
KIOSK_DAY_COLUMNS: dict[str, tuple[str, ...]] = {"repeat_callers": ("first_received_at", "last_received_at")}
KIOSK_MIN_RECURRING = 3
# Queries without a grid parameter whose rows are per grid (or per unit with a level), so a user
# scoped to single grids can still get their rows (filtered by :func:`filter_rows`).
GRID_ROW_QUERIES = frozenset({"grid_lights", "rates_breakdown", "rates_breakdown_range"})
# Breakdowns whose non-geographic levels (department, source, category) aggregate over a parent area.
BREAKDOWN_QUERIES = frozenset({"rates_breakdown", "rates_breakdown_range"})


def clamp_params(name: str, accepted: Iterable[str], params: Mapping, area: Area) -> dict | None:
    """The query's parameters with the area forced into ``area``; None when the query must not run.

    A requested unit inside the area is kept; anything wider or outside (the district, another
    community) is replaced by the area's home unit. A query without area parameters runs only if it
    is in :data:`PUBLIC_QUERIES`.
    """
    params = dict(params)
    if area.district:
        return params
    accepted = set(accepted)
    if not accepted & {*AREA_KEYS, "level"}:
        return params if name in PUBLIC_QUERIES else None
    if area.home is None:
        return None
    level, unit_code = params.get("level"), params.get("unit_code")
    requested = None
    if "unit_code" in accepted and level is not None:
        if level in ("street", "community", "grid") and unit_code:
            requested = (f"{level}_code", unit_code)
        params.pop("level", None), params.pop("unit_code", None)
    for key in ("grid_code", "community_code", "street_code"):
        if params.get(key):
            requested = requested or (key, params[key])
    if requested is not None and area.allows(*requested):
        target = requested
    else:
        target = area.home
    for key in AREA_KEYS:
        params.pop(key, None)
    key, code = target
    if key in accepted:
        params[key] = code
    elif key == "grid_code" and name in GRID_ROW_QUERIES and "community_code" in accepted:
        # No grid parameter, but one row per grid: ask for the grid's community, rows are filtered after.
        params["community_code"] = area.grid_community.get(code, code)
    else:
        return None
    if name in BREAKDOWN_QUERIES and params.get("level") in ("department", "source", "category"):
        # A breakdown by department is an aggregate over the parent area: only when the parent is a
        # whole community or street the user may see.
        parent = ("community_code", params.get("community_code")) if params.get("community_code") else (
            ("street_code", params.get("street_code")) if params.get("street_code") else None)
        if parent is None or not area.allows(*parent):
            return None
    return params


def filter_rows(df: pd.DataFrame, area: Area) -> pd.DataFrame:
    """Drop result rows about units outside ``area`` (by whichever code columns the result has)."""
    if area.district or df.empty:
        return df
    keep = pd.Series(True, index=df.index)
    if "grid_code" in df:
        grid = df["grid_code"]
        keep &= grid.isna() | grid.isin(area.grids)
    if "community_code" in df:
        community = df["community_code"]
        has_grid = df["grid_code"].notna() if "grid_code" in df else pd.Series(False, index=df.index)
        keep &= has_grid | community.isna() | community.isin(area.communities)
    if "street_code" in df and not {"grid_code", "community_code"} & set(df.columns):
        keep &= df["street_code"].isin(area.streets)
    if {"level", "unit_code"} <= set(df.columns):
        allowed = {"street": area.streets, "community": area.communities, "grid": area.grids}
        # A breakdown's 未落格 / 社区不明 row counts the tickets of the area it was narrowed to that no unit holds:
        # seen by whoever may see that whole area (its community, else its street), never at large.
        communities = df["community_code"] if "community_code" in df else pd.Series(None, index=df.index)
        streets = df["street_code"] if "street_code" in df else pd.Series(None, index=df.index)
        keep &= pd.Series([
            level not in allowed or (
                (community in area.communities if pd.notna(community) else pd.notna(street) and street in area.streets)
                if code == "unassigned" else code in allowed[level])
            for level, code, community, street in zip(df["level"], df["unit_code"], communities, streets)],
            index=df.index, dtype=bool)
    return df[keep].reset_index(drop=True)


def kiosk_params(name: str, params: Mapping) -> dict:
    """Parameters adjusted for the kiosk tier (recurring problems from 3 tickets up, compounds only: ranked among
    themselves, so the list has no gaps where addresses were and holds as many rows as asked for)."""
    params = dict(params)
    if name == "recurring_problems":
        params["min_count"] = max(int(params.get("min_count") or KIOSK_MIN_RECURRING), KIOSK_MIN_RECURRING)
        params["compounds_only"] = True
    return params


def kiosk_frame(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """A result made fit for the big screen: ticket-level columns dropped, address places dropped,
    counts of 1-2 below grid level shown as ``<3`` (with the rates and changes derived from them), a
    repeat caller's calls by day only."""
    out = df.drop(columns=[c for c in KIOSK_DROPPED_COLUMNS if c in df.columns])
    for column in KIOSK_DAY_COLUMNS.get(name, ()):
        if column in out:
            out[column] = pd.to_datetime(out[column]).dt.normalize()
    if name == "recurring_problems" and "place_type" in out:
        out = out[out["place_type"] != "address"].reset_index(drop=True)
    columns = BELOW_GRID_COUNTS.get(name, ())
    if columns and len(out):
        small = pd.Series(False, index=out.index)
        for column in columns:
            if column in out:
                values = pd.to_numeric(out[column], errors="coerce")
                small |= values.between(1, SMALL_COUNT_THRESHOLD - 1)
                # Text throughout ("12", "<3"), so a table column has one type; figures read it back
                # with pd.to_numeric, which leaves "<3" out.
                out[column] = pd.Series([str(small_count(int(v), SMALL_COUNT_THRESHOLD)) if pd.notna(v) else None
                                         for v in values], index=out.index, dtype=object)
        for derived in ("change", "change_pct", "complaints_per_1k_households"):
            if derived in out:
                out[derived] = out[derived].astype("float64").where(~small)
    return out


def query_allowed_at(name: str, tier: str) -> bool:
    """Queries that read personal fields need the meeting tier."""
    return not (name in PII_QUERIES and tier == "kiosk")
