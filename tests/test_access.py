"""Access rules (onescreen.access) as tables, and the data layer enforcing them on the fixture district:
tiers, area scope (default deny), the kiosk tier's aggregates-only rules, revealing one phone number,
unmasked export, and cache keys that carry the scope."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from onescreen import access as acl
from onescreen import data
from onescreen.access import Access, Area, Identity, Scope
from onescreen.queries import QUERIES, QueryError

DONGFENG, XIHU = "530302001001", "530302001002"
STREET = "530302001"
PLACES = pd.DataFrame({
    "grid_code": ["DF-01", "DF-02", "XH-01", "XH-02"],
    "community_code": [DONGFENG, DONGFENG, XIHU, XIHU],
    "street_code": [STREET] * 4,
})


def ident(role: str, **scope) -> Identity:
    return Identity(name=f"{role}-user", role=role, scope=Scope(**scope))


def area(**scope) -> Area:
    return acl.resolve(Scope(**scope), PLACES)


# -- pure rules ---------------------------------------------------------------------------------------

def test_every_query_is_scoped_by_area_or_declared_public():
    unscoped = [name for name, query in QUERIES.items()
                if not set(query.accepted()) & {*acl.AREA_KEYS, "level"} and name not in acl.PUBLIC_QUERIES]
    assert unscoped == []


def test_only_the_declared_queries_read_ticket_pii():
    assert {name for name, query in QUERIES.items() if "ticket_pii" in query.sql} == acl.PII_QUERIES


@pytest.mark.parametrize(("role", "page", "allowed"), [
    ("kiosk", "overview", True), ("kiosk", "lights", True), ("kiosk", "tickets", False), ("kiosk", "upload", False),
    ("leader", "tickets", True), ("leader", "upload", False), ("leader", "audit", False),
    ("staff", "tickets", True), ("staff", "upload", False),
    ("analyst", "upload", True), ("analyst", "audit", False),
    ("admin", "upload", True), ("admin", "audit", True), ("admin", "weekly", True),
    ("demo", "tickets", True), ("demo", "upload", False), ("demo", "audit", False),
    ("kiosk", "some_new_page", False), ("leader", "some_new_page", True),
])
def test_pages_by_role(role, page, allowed):
    assert acl.page_allowed(ident(role, district=True), page) is allowed


@pytest.mark.parametrize(("role", "page", "kiosk_mode", "tier"), [
    ("leader", "overview", False, "kiosk"), ("leader", "tickets", False, "meeting"),
    ("leader", "tickets", True, "kiosk"), ("kiosk", "tickets", False, "kiosk"), ("admin", "unknown", False, "meeting"),
])
def test_tier_of_a_page_run(role, page, kiosk_mode, tier):
    assert acl.page_access(ident(role, district=True), page, kiosk_mode).tier == tier


@pytest.mark.parametrize(("role", "method", "kiosk_mode", "downloads"), [
    ("leader", "password", False, True), ("leader", "password", True, False),  # the wall: no downloads
    ("kiosk", "password", False, False), ("kiosk", "key", False, False), ("kiosk", "oidc", False, False),
])
def test_downloads_of_a_page_run(role, method, kiosk_mode, downloads):
    identity = acl.Identity(name="x", role=role, scope=acl.DISTRICT, method=method)
    assert acl.page_access(identity, "rates", kiosk_mode).downloads is downloads
    assert acl.page_allowed(identity, "rates") is (role != "kiosk")  # a kiosk role: the wall's pages only


@pytest.mark.parametrize(("capability", "role", "permissions", "expected"), [
    ("reveal_phone", "staff", (), True), ("reveal_phone", "leader", (), False), ("reveal_phone", "admin", (), False),
    ("export_unmasked", "admin", ("export_unmasked",), True), ("export_unmasked", "admin", (), False),
    ("export_unmasked", "staff", ("export_unmasked",), False), ("upload", "analyst", (), True),
    ("upload", "demo", (), False), ("read_audit", "analyst", (), False),
])
def test_capabilities(capability, role, permissions, expected):
    assert Identity("x", role, permissions=frozenset(permissions)).can(capability) is expected


def test_resolve_expands_streets_and_communities_to_grids():
    assert area(communities=(DONGFENG,)).grids == {"DF-01", "DF-02"}
    assert area(streets=(STREET,)).communities == {DONGFENG, XIHU}
    assert area(grids=("XH-01",)).communities == frozenset()
    assert area(communities=(XIHU, DONGFENG)).home == ("community_code", DONGFENG)
    assert area().home is None


KPI = QUERIES["kpi_tiles"].accepted()
LIGHTS = QUERIES["grid_lights"].accepted()


@pytest.mark.parametrize(("name", "accepted", "params", "scope", "expected"), [
    # The district sees what it asks for.
    ("kpi_tiles", KPI, {"community_code": XIHU}, {"district": True}, {"community_code": XIHU}),
    # Asking for nothing (the district) or for another community gives the home unit.
    ("kpi_tiles", KPI, {}, {"communities": (DONGFENG,)}, {"community_code": DONGFENG}),
    ("kpi_tiles", KPI, {"community_code": XIHU}, {"communities": (DONGFENG,)}, {"community_code": DONGFENG}),
    ("kpi_tiles", KPI, {"street_code": STREET}, {"communities": (DONGFENG,)}, {"community_code": DONGFENG}),
    ("kpi_tiles", KPI, {"level": "district"}, {"communities": (DONGFENG,)}, {"community_code": DONGFENG}),
    ("kpi_tiles", KPI, {"level": "community", "unit_code": XIHU}, {"communities": (DONGFENG,)},
     {"community_code": DONGFENG}),
    # Narrowing within the scope is kept.
    ("kpi_tiles", KPI, {"grid_code": "DF-02"}, {"communities": (DONGFENG,)}, {"grid_code": "DF-02"}),
    ("kpi_tiles", KPI, {"community_code": XIHU}, {"streets": (STREET,)}, {"community_code": XIHU}),
    # A grid-only user on a query without a grid parameter: the grid's community, rows filtered after.
    ("grid_lights", LIGHTS, {}, {"grids": ("XH-01",)}, {"community_code": XIHU}),
    ("light_share_over_time", QUERIES["light_share_over_time"].accepted(), {}, {"grids": ("XH-01",)}, None),
    # No area parameter: public lookups run, anything else is refused; no scope refuses everything.
    ("company_rankings", QUERIES["company_rankings"].accepted(), {"month": "2025-10-01"}, {"grids": ("XH-01",)},
     {"month": "2025-10-01"}),
    ("kpi_tiles", KPI, {}, {}, None),
    ("rates_breakdown", QUERIES["rates_breakdown"].accepted(), {"level": "department"}, {"grids": ("XH-01",)}, None),
    # The same rules over a custom date range.
    ("rates_breakdown_range", QUERIES["rates_breakdown_range"].accepted(), {"level": "department"},
     {"grids": ("XH-01",)}, None),
    ("rates_breakdown_range", QUERIES["rates_breakdown_range"].accepted(), {"level": "grid", "start": "2025-10-01"},
     {"grids": ("XH-01",)}, {"level": "grid", "start": "2025-10-01", "community_code": XIHU}),
    ("kpi_tiles_range", QUERIES["kpi_tiles_range"].accepted(), {"street_code": STREET, "start": "2025-10-01"},
     {"communities": (DONGFENG,)}, {"community_code": DONGFENG, "start": "2025-10-01"}),
])
def test_clamp_params(name, accepted, params, scope, expected):
    assert acl.clamp_params(name, accepted, params, area(**scope)) == expected


def test_filter_rows_keeps_only_the_area():
    rows = pd.DataFrame({"grid_code": ["DF-01", "XH-01", None, None],
                         "community_code": [DONGFENG, XIHU, DONGFENG, XIHU], "n": [1, 2, 3, 4]})
    assert list(acl.filter_rows(rows, area(communities=(DONGFENG,)))["n"]) == [1, 3]
    assert list(acl.filter_rows(rows, area(grids=("XH-01",)))["n"]) == [2]
    units = pd.DataFrame({"level": ["street", "community", "community", "grid"],
                          "unit_code": [STREET, DONGFENG, XIHU, "DF-01"], "n": [1, 2, 3, 4]})
    assert list(acl.filter_rows(units, area(communities=(DONGFENG,)))["n"]) == [2, 4]
    assert list(acl.filter_rows(units, Area(district=True))["n"]) == [1, 2, 3, 4]


def test_kiosk_params_rank_compounds_among_themselves_from_three_tickets():
    params = acl.kiosk_params("recurring_problems", {"min_count": 2, "limit": 50})
    assert params == {"min_count": 3, "limit": 50, "compounds_only": True}
    assert acl.kiosk_params("ticket_list", {"limit": 50}) == {"limit": 50}


def test_kiosk_frame_drops_ticket_columns_addresses_and_small_counts():
    problems = pd.DataFrame({
        "place_type": ["compound", "address", "compound"], "place_key": ["a", "b", "c"],
        "place_name": ["金碧花园", "东风路88号", "翠湖小区"], "ticket_count": [5, 4, 3],
        "previous_ticket_count": [1, 0, 0], "change": [4.0, 4.0, 3.0], "change_pct": [400.0, None, None],
    })
    out = acl.kiosk_frame("recurring_problems", problems)
    assert list(out["place_name"]) == ["金碧花园", "翠湖小区"]
    assert "place_key" not in out
    assert list(out["ticket_count"]) == ["5", "3"]
    assert list(out["previous_ticket_count"]) == ["<3", "0"]
    assert out["change"].isna().tolist() == [True, False]  # 5 - "<3" would give the small count away
    compounds = pd.DataFrame({"compound_code": ["a", "b", "c"], "complaint_count": [0, 2, 7],
                              "complaints_per_1k_households": [0.0, 4.0, 14.0]})
    out = acl.kiosk_frame("company_compound_complaints", compounds)
    assert list(out["complaint_count"]) == ["0", "<3", "7"]
    assert out["complaints_per_1k_households"].isna().tolist() == [False, True, False]
    overdue = pd.DataFrame({"ticket_id": ["T1"], "category_l1": ["环境卫生"], "overdue_workdays": [3.0]})
    assert list(acl.kiosk_frame("overdue_list", overdue).columns) == ["category_l1", "overdue_workdays"]


# -- the data layer on the fixture district ----------------------------------------------------------

def run(name: str, role: str = "leader", tier: str = "meeting", **params) -> pd.DataFrame:
    """``data.fetch`` as a user of ``role``; scope keywords go in ``scope``."""
    scope = params.pop("scope", {"district": True})
    return data.fetch(name, Access(ident(role, **scope), tier), **params)


OCTOBER = {"period_type": "month", "period_start": "2025-10-01"}


def test_kiosk_tier_refuses_ticket_lists_and_cannot_read_personal_fields(warehouse_copy):
    with pytest.raises(QueryError, match="大屏"):
        run("ticket_list", tier="kiosk")
    from onescreen import db

    with db.connect() as cur:
        data._hide_personal_table(cur)
        with pytest.raises(Exception, match="kiosk tier"):
            cur.execute("select count(*) from ticket_pii").fetchall()


def test_kiosk_points_are_grid_centroids(warehouse_copy):
    points = run("ticket_points", tier="kiosk", start="2025-09-01", end="2025-10-31")
    located = points[points["is_located"]]
    centroids = {(103.785, 25.485), (103.795, 25.485), (103.785, 25.495), (103.795, 25.495)}
    assert len(located) and {(round(x, 3), round(y, 3)) for x, y in zip(located["lon"], located["lat"])} <= centroids
    assert points["ticket_count"].sum() == run("ticket_points", start="2025-09-01", end="2025-10-31")["ticket_count"].sum()


def test_a_community_user_gets_their_community_whatever_they_ask(warehouse_copy):
    own = run("kpi_tiles", **OCTOBER, community_code=DONGFENG)
    other = run("kpi_tiles", **OCTOBER, community_code=XIHU)
    for asked in ({}, {"community_code": XIHU}, {"street_code": STREET}, {"level": "district"}):
        mine = run("kpi_tiles", role="staff", scope={"communities": (DONGFENG,)}, **OCTOBER, **asked)
        pd.testing.assert_frame_equal(mine, own)
    assert not own["value"].equals(other["value"])
    rows = run("ticket_list", role="staff", scope={"communities": (DONGFENG,)}, community_code=XIHU)
    assert set(rows["community_name"]) == {"东风社区"}
    assert sorted(rows["ticket_id"]) == sorted(run("ticket_list", community_code=DONGFENG)["ticket_id"])


def test_a_user_with_no_area_gets_nothing(warehouse_copy):
    for name, params in (("ticket_list", {}), ("kpi_tiles", OCTOBER), ("grid_lights", OCTOBER),
                         ("overdue_list", {}), ("rates_trend", {})):
        assert run(name, scope={}, **params).empty, name


def test_cache_keys_carry_the_tier_and_scope(warehouse_copy):
    version = data.db.warehouse_version()
    params = data._params_key({"status": "all"})
    east = data._cached_query(version, "ticket_list", params, "meeting", Scope(communities=(DONGFENG,)).key())
    west = data._cached_query(version, "ticket_list", params, "meeting", Scope(communities=(XIHU,)).key())
    assert set(east["community_name"]) == {"东风社区"} and set(west["community_name"]) == {"西湖社区"}
    with pytest.raises(QueryError):
        data._cached_query(version, "ticket_list", params, "kiosk", acl.DISTRICT.key())


def test_staff_reveal_one_phone_in_their_area_with_a_reason_audited(warehouse_copy, tmp_path):
    staff = Access(ident("staff", communities=(DONGFENG,)), "meeting")
    assert data.reveal_phone(staff, "2025100100001", "回访核实办理结果") == "13812345678"
    with pytest.raises(acl.AccessError, match="不在您负责的区域"):
        data.reveal_phone(staff, "2025100100002", "回访核实办理结果")
    with pytest.raises(acl.AccessError, match="理由"):
        data.reveal_phone(staff, "2025100100001", "看看")
    with pytest.raises(acl.AccessError):
        data.reveal_phone(Access(ident("leader", district=True), "meeting"), "2025100100001", "回访核实办理结果")
    log = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    events = [json.loads(line) for line in log.splitlines()]
    assert [e["action"] for e in events] == ["reveal_phone", "denied"]
    assert events[0]["user"] == "staff-user" and "2025100100001" in events[0]["detail"]
    assert "回访核实" in events[0]["detail"]
    assert "13812345678" not in log


def test_unmasked_export_needs_the_explicit_permission(warehouse_copy):
    allowed = Identity("boss", "admin", acl.DISTRICT, frozenset({"export_unmasked"}))
    rows = data.fetch_unmasked("ticket_list", Access(allowed, "meeting"), status="all")
    assert "张三" in set(rows["caller_name"]) and "13812345678" in set(rows["caller_phone"])
    masked = run("ticket_list", status="all")
    assert "张三" not in set(masked["caller_name"]) and "张*" in set(masked["caller_name"])
    for refused in (Identity("a", "analyst", acl.DISTRICT), Identity("s", "staff", acl.DISTRICT, frozenset({"export_unmasked"}))):
        with pytest.raises(acl.AccessError):
            data.fetch_unmasked("ticket_list", Access(refused, "meeting"))
    scoped = Identity("boss", "admin", Scope(communities=(XIHU,)), frozenset({"export_unmasked"}))
    assert set(data.fetch_unmasked("ticket_list", Access(scoped, "meeting"))["community_name"]) == {"西湖社区"}


def test_ad_hoc_sql_cannot_name_ticket_pii_and_needs_a_login(warehouse_copy):
    with pytest.raises(acl.AccessError):
        data.sql("select caller_phone from ticket_pii")
    with pytest.raises(acl.AccessError, match="未登录"):
        data.sql("select count(*) from fct_tickets")
    with pytest.raises(acl.AccessError, match="未登录"):
        data.q("as_of")


def test_a_cached_frame_is_not_changed_by_what_a_page_does_with_its_copy(warehouse_copy, monkeypatch):
    """Results are kept once for every session (st.cache_resource); each caller's copy is its own."""
    monkeypatch.setattr(data, "current_access", lambda: Access(ident("leader", district=True), "meeting"))
    first = data.q("ticket_list", limit=5)
    kept = first.copy(deep=True)
    first["ticket_id"] = "changed"
    first.loc[first.index[0], "address"] = "changed"
    first.iloc[0, 1] = None
    first.index.name = "renamed"
    first.columns.name = "renamed"
    again = data.q("ticket_list", limit=5)
    pd.testing.assert_frame_equal(again, kept)
    assert again.index.name is None and again.columns.name is None
    places = data.sql("select grid_code from dim_grids order by 1")
    places.loc[0, "grid_code"] = "X"
    assert data.sql("select grid_code from dim_grids order by 1").loc[0, "grid_code"] != "X"


def test_run_together_runs_the_jobs_two_at_a_time_and_gives_their_results_in_order():
    """The 周报 builds its sections through data.run_together: both workers run at once (each job waits for the
    other at a barrier: one after another, the first would time out), the results come in the jobs' order, and a
    job's error is raised to the caller."""
    import threading

    meeting = threading.Barrier(2, timeout=10)

    def job(value):
        def run():
            meeting.wait()
            return value, threading.current_thread().name
        return run

    results = data.run_together([job("a"), job("b")])
    assert [value for value, _ in results] == ["a", "b"]
    assert len({thread for _, thread in results}) == 2

    def failing():
        raise QueryError("没有名为 x 的查询")

    with pytest.raises(QueryError, match="没有名为 x 的查询"):
        data.run_together([lambda: 1, failing])


def test_run_together_jobs_see_the_page_runs_session():
    """Each worker carries the page run's context: a job reads this session's state (the access data.q checks)."""
    from streamlit.testing.v1 import AppTest

    def page():
        import streamlit as st

        from onescreen import data

        st.session_state["who"] = "东风社区网格员"
        st.write("、".join(data.run_together([lambda: st.session_state["who"]] * 3)))

    at = AppTest.from_function(page).run()
    assert not at.exception, at.exception
    assert at.markdown[0].value == "东风社区网格员、东风社区网格员、东风社区网格员"
