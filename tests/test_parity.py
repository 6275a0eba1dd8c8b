"""Parity: every named query answers the same on DuckDB and on ClickHouse (chdb) from one snapshot.

``make parity`` runs this file; ``make test`` includes it. A small demo district is published as a
Parquet snapshot (``etl.publish``); each query runs with a set of parameters drawn from that data
(every period type, each level of area, filters on and off) through ``onescreen.queries.run_query``
on a DuckDB reading the snapshot and on chdb reading the same files through ``onescreen.engine``.

"The same" means: the same columns in the same order, the same number of rows in the same order, and
equal values, where NULL equals NULL, a date equals the same day at midnight, an integer equals the
same float, and floats agree to 12 significant digits (both engines sum doubles, in their own order).
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etl import publish
from etl.demo import generate_demo
from etl.load import load_files
from onescreen import db, engine
from onescreen.queries import QUERIES, run_query


def demo_warehouse(folder: Path) -> Path:
    """A small demo district (13 months, every source and feature), loaded into ``folder``."""
    files = generate_demo(folder / "exports", seed=11, end_month=date(2025, 11, 1), n_tickets=3000)
    warehouse = folder / "warehouse.duckdb"
    load_files([path for path, _ in files], db_path=warehouse, loaded_by="tests")
    return warehouse


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    """The demo district, loaded and published."""
    folder = tmp_path_factory.mktemp("parity")
    return publish.publish(demo_warehouse(folder), folder / "snapshots")


@pytest.fixture(scope="module")
def duck(snapshot):
    con = db._open_snapshot(snapshot)
    yield con
    con.close()


@pytest.fixture(scope="module")
def chdb_backend(snapshot):
    backend = engine.ChdbBackend(snapshot.id, snapshot.path, {n: t["path"] for n, t in snapshot.tables.items()})
    yield backend
    backend.drop()


def _one(con, sql):
    return con.execute(sql).fetchone()[0]


def parity_cases(con) -> dict[str, list[dict]]:
    """Parameters for every named query, drawn from the data so each case has rows to compare."""
    months = [r[0] for r in con.execute(
        "select distinct period_start from mart_rates where period_type = 'month' order by 1").fetchall()]
    weeks = [r[0] for r in con.execute(
        "select distinct period_start from mart_rates where period_type = 'week' order by 1").fetchall()]
    days = [r[0] for r in con.execute(
        "select distinct period_start from mart_rates where period_type = 'day' order by 1").fetchall()]
    street = _one(con, "select min(street_code) from dim_grids")
    community = _one(con, "select min(community_code) from dim_grids")
    grid = _one(con, "select min(grid_code) from fct_tickets")
    category = _one(con, "select category_l1 from fct_tickets group by 1 order by count(*) desc limit 1")
    source = _one(con, "select min(source) from fct_tickets")
    company = _one(con, "select min(company_id) from mart_company_rankings")
    compound = _one(con, "select min(compound_code) from fct_tickets")
    ticket = _one(con, "select min(ticket_id) from fct_tickets")
    first, last = con.execute("select min(received_at)::date, max(received_at)::date from fct_tickets").fetchone()
    month, week, day = months[-1], weeks[-1], days[len(days) // 2]
    periods = [dict(period_type="month", period_start=month), dict(period_type="week", period_start=week),
               dict(period_type="day", period_start=day), dict(period_type="month", period_start=months[0])]
    areas = [{}, dict(street_code=street), dict(community_code=community), dict(grid_code=grid)]
    ranges = [{}, dict(start=first, end=last), dict(start=last - timedelta(days=6), end=last)]
    # A week under way that stops at 13:00 of its last day, against the same days and hours of the week before.
    so_far = dict(start=last - timedelta(days=last.weekday()), end=last, compare_to="week", until=time(13))
    ticket_filters = [{}, dict(street_code=street), dict(category_l1=category), dict(source=source),
                      dict(grid_code=grid, category_l1=category)]
    return {
        "as_of": [{}],
        "kpi_tiles": [dict(**p, **a) for p in periods for a in areas],
        "kpi_tiles_range": [dict(**r, **a) for r in ranges[1:] + [so_far] for a in areas]
        + [dict(**so_far, level="category", unit_code=category), dict(**so_far, level="source", unit_code=source)],
        "rates_breakdown_range": [dict(**ranges[2], level=level) for level in
                                  ("street", "community", "grid", "department", "source", "category")]
        + [dict(**ranges[1], level="grid", street_code=street, sort="ticket_count", order="asc")]
        + [dict(**so_far, level=level) for level in ("street", "grid", "department", "source", "category")]
        # narrowed to an area: its 未落格 / 社区不明 row (the area's row less its units')
        + [dict(**r, level="grid", community_code=community) for r in (ranges[1], ranges[2], so_far)]
        + [dict(**ranges[2], level="community", street_code=street)],
        "rates_trend": [dict(period_type=t, **a, **r) for t in ("month", "week", "day") for a in areas[:2]
                        for r in ranges[:2]],
        "rates_breakdown": [dict(**p, level=level, sort=sort, order=order)
                            for p in periods[:3]
                            for level in ("street", "community", "grid", "department", "source", "category")
                            for sort, order in (("composite_score", "desc"), ("ticket_count", "asc"))]
        + [dict(**periods[0], level="grid", street_code=street), dict(**periods[0], level="community",
                                                                      community_code=community)]
        + [dict(**p, level="grid", community_code=community) for p in periods[:2]]
        + [dict(**periods[0], level="community", street_code=street)],
        "grid_lights": [dict(**p, **f) for p in periods for f in ({}, dict(street_code=street), dict(light="red"),
                                                                    dict(community_code=community))],
        "light_share_over_time": [dict(period_type=t, **f) for t in ("month", "week")
                                  for f in ({}, dict(street_code=street), dict(start=first, end=last))],
        "company_rankings": [dict(month=m, **f) for m in months for f in ({}, dict(list="red"), dict(list="black"))],
        "company_history": [dict(company_id=company), dict(company_id=company, start=months[0], end=month)],
        "overdue_list": [dict(state=s, **f) for s in ("overdue", "near_deadline", "open")
                         for f in ({}, dict(street_code=street), dict(category_l1=category))],
        "category_mix": [dict(**p, **a) for p in periods[:2] for a in areas[:3]] + [dict(**periods[0], limit=3)]
        + [dict(**ranges[2], **a) for a in areas[:2]]
        + [dict(by="source", **p, **a) for p in periods[:2] for a in areas[:3]] + [dict(by="source", **ranges[2])]
        + [dict(**so_far, **a) for a in areas[:2]],
        "escalation_shares": [dict(**p, **a) for p in periods for a in areas] + [dict(**ranges[2], **a) for a in areas],
        "handling_time_distribution": [dict(**p, **a) for p in periods for a in areas]
        + [dict(**ranges[2], **a) for a in areas],
        "ticket_list": [dict(status=s, **f) for s in ("all", "open", "overdue", "near_deadline", "closed", "voided")
                        for f in ticket_filters]
        + [dict(sort=s, order=o) for s in ("due_at", "overdue_workdays", "remaining_workdays", "ticket_id")
           for o in ("asc", "desc")]
        + [dict(status=s, property_complaint=True) for s in ("all", "open", "closed")]
        + [dict(ticket_id=ticket), dict(compound_code=compound), dict(received_from=last - timedelta(days=6),
                                                                      received_before=last), dict(limit=5),
           dict(limit=5, page=3), dict(status="open", limit=2, page=2)]
        # a breakdown's 未落格 / 社区不明 / 街道不明 / 未注明承办单位 / 未分类 row (filters.unit_filters)
        + [dict(unassigned="grid", community_code=community), dict(unassigned="grid", street_code=street, status="closed"),
           dict(unassigned="community", street_code=street), dict(unassigned="street"),
           dict(unassigned="grid", status="open"), dict(unassigned="department"), dict(unassigned="category")],
        "ticket_categories": [{}, dict(category_l1=category)],
        "company_compound_complaints": [dict(company_id=company, month=month), dict(month=month), {}],
        "mart_rules": [{}],
        "grid_ticket_density": [dict(**f, **r) for f in ticket_filters[:4] for r in ranges],
        "ticket_points": [dict(**f, **r) for f in ticket_filters[:4] for r in ranges]
        + [dict(cell_size_m=1000), dict(limit=3)],
        "ticket_grid_points": [dict(**f, **r) for f in ticket_filters[:4] for r in ranges],
        "category_street_matrix": [dict(level=lv, **f, **r) for lv in ("street", "community")
                                   for f in ticket_filters[:3] for r in ranges[:2]],
        "weekday_hour_counts": [dict(**f, **r) for f in ticket_filters[:4] for r in ranges],
        "recurring_problems": [dict(**f, **r) for f in ticket_filters[:4] for r in ranges]
        + [dict(min_count=1), dict(min_count=1, start=last - timedelta(days=6), end=last,
                                   previous_start=last - timedelta(days=13)),
           dict(min_count=1, start=last - timedelta(days=6), end=last, previous_start=last - timedelta(days=13),
                previous_end=datetime.combine(last - timedelta(days=7), time(13)))],
        "repeat_summary": [dict(**f, **r) for f in ticket_filters[:4] for r in ranges[1:]]
        + [dict(start=last - timedelta(days=6), end=last, previous_start=last - timedelta(days=13)),
           dict(start=first + timedelta(days=30), end=last, previous_start=first),
           dict(start=last - timedelta(days=6), end=last, previous_start=last - timedelta(days=13),
                previous_end=datetime.combine(last - timedelta(days=7), time(13)))],
        "repeat_callers": [dict(**f, **r) for f in ticket_filters[:4] for r in ranges[1:]] + [dict(**ranges[1], limit=3)],
    }


def test_every_named_query_has_parity_cases(duck):
    assert set(parity_cases(duck)) == set(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_answers_the_same_on_duckdb_and_clickhouse(name, duck, chdb_backend):
    cases = parity_cases(duck)[name]
    assert cases, name
    rows = 0
    for params in cases:
        expected = run_query(duck.cursor(), name, **params)
        actual = run_query(engine.ClickHouseCursor(chdb_backend), name, **params)
        assert_same_frame(expected, actual, f"{name}({params})")
        rows += len(expected)
    # The cases are drawn from the data: at least one of them must have rows to compare.
    assert rows > 0, f"{name}: every case was empty, so parity proves nothing"


def assert_same_frame(expected: pd.DataFrame, actual: pd.DataFrame, context: str) -> None:
    assert list(actual.columns) == list(expected.columns), context
    assert len(actual) == len(expected), f"{context}: {len(expected)} rows on DuckDB, {len(actual)} on ClickHouse"
    for column in expected.columns:
        left, right = _values(expected[column]), _values(actual[column])
        for row, (a, b) in enumerate(zip(left, right)):
            assert _same(a, b), (f"{context}: column {column}, row {row}: DuckDB {a!r}, ClickHouse {b!r}\n"
                                 f"DuckDB row: {expected.iloc[row].to_dict()}\nClickHouse row: {actual.iloc[row].to_dict()}")


def _values(series: pd.Series) -> list:
    return [_value(v) for v in series.tolist()]


def _value(v):
    if v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, (pd.Timestamp, datetime)):
        return pd.Timestamp(v).tz_localize(None) if pd.Timestamp(v).tzinfo else pd.Timestamp(v)
    if isinstance(v, date):
        return pd.Timestamp(v)
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    if isinstance(v, (list, tuple, np.ndarray)):
        return tuple(_value(x) for x in v)
    return v


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def test_the_narrowed_breakdown_cases_have_an_area_s_unplaced_row(duck):
    """The cases narrowed to a community or street compare the row computed from the area's row (未落格 inside it)."""
    for name in ("rates_breakdown", "rates_breakdown_range"):
        narrowed = [run_query(duck.cursor(), name, **params) for params in parity_cases(duck)[name]
                    if params.get("community_code") and params.get("level") == "grid"]
        assert any(((frame["unit_code"] == "unassigned") & frame["community_code"].notna()).any() for frame in narrowed), name
