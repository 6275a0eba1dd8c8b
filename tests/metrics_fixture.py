"""A tiny hand-made warehouse whose every metric is worked out by hand in tests/test_metrics.py.

Write it to disk to look at it: ``python tests/metrics_fixture.py /tmp/metrics.duckdb``.

Calendar facts used (chinese-calendar): 2025-09-27 Sat off, 2025-09-28 Sun worked (调休),
2025-10-01..08 National Day / Mid-autumn holidays, 2025-10-11 Sat worked (调休), 2025-10-12 Sun off.
Working-day index relative to Fri 2025-09-26 = k: Sep 28 k+1, Sep 29 k+2, Sep 30 k+3, Oct 9 k+4,
Oct 10 k+5, Oct 11 k+6, Oct 13 k+7, Oct 14 k+8, Oct 15 k+9, Oct 16 k+10.

Geography: street S1 (communities C1, C2), street S2 (community C3). Grids G1, G2 in C1, G3 in C2
(never a ticket: grey), G4 in C3 (the property complaints). T31 has no grid (community C2 only).
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import duckdb

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "etl" / "sql" / "schema.sql"

GRIDS = {  # grid_code: (community_code, community_name, street_code, street_name)
    "G1": ("C1", "一社区", "S1", "一街道"),
    "G2": ("C1", "一社区", "S1", "一街道"),
    "G3": ("C2", "二社区", "S1", "一街道"),
    "G4": ("C3", "三社区", "S2", "二街道"),
}
COMPANIES = {"A": "A物业", "B": "B物业", "C": "C物业", "D": "D物业", "E": "E物业", "F": "F物业"}
COMPOUNDS = [  # compound_code, company_id, households, grid_code
    ("PA1", "A", 600, "G4"), ("PA2", "A", 400, "G4"), ("PB", "B", 2000, "G4"), ("PC", "C", 80, "G4"),
    ("PD", "D", 500, "G2"), ("PE", "E", 500, "G1"), ("PF", "F", 400, "G2"),
]
INSPECTIONS = [  # inspected_on, company_id, compound_code, score   (no inspections at all in August)
    ("2025-09-10", "A", "PA1", 90), ("2025-09-10", "B", "PB", 85), ("2025-09-11", "D", "PD", 70),
    ("2025-09-11", "E", "PE", 50), ("2025-09-12", "F", "PF", 60),
    ("2025-10-10", "A", "PA1", 80), ("2025-10-14", "A", "PA1", 90), ("2025-10-11", "A", "PA2", 95),
    ("2025-10-10", "B", "PB", 80), ("2025-10-10", "C", "PC", 95), ("2025-10-13", "D", "PD", 60),
    ("2025-10-13", "E", "PE", 50),  # F: none in October
]

HOTLINE, GRID_REPORT, VIDEO = "12345热线", "网格员上报", "视频巡查"  # 视频巡查 never has a response time


def _t(ticket_id, grid, received, appeal, category, source=HOTLINE, **kw):
    return dict(ticket_id=ticket_id, grid_code=grid, received_at=received, appeal_type=appeal,
                category_l1=category, source=source, **kw)


TICKETS = [
    # G1, August: closed late (derived due Tue Aug 19 10:00, closed Aug 20 10:00): G1 red in August.
    _t("T30", "G1", "2025-08-15 10:00", "咨询", "市容环境", responded_at="2025-08-15 11:00",
       resolved_at="2025-08-20 10:00", handling_level="网格"),
    # No grid: placed in community C2 only (closed on time). Counted as 'unassigned' at grid level.
    _t("T31", None, "2025-08-20 10:00", "投诉", "市容环境", resolved_at="2025-08-21 10:00", handling_level="社区",
       community_code="C2", community_name="二社区", street_code="S1", street_name="一街道"),
    # G1, September.
    # T2: 求助 10 working days over the holiday: Sep 28 (调休 Sun) and Oct 11 (调休 Sat) count, Oct 1-8 do
    # not -> due Thu Oct 16 16:00; still open at as-of Oct 16 09:00: 7 hours left -> 临期.
    _t("T2", "G1", "2025-09-26 16:00", "求助", "市容环境", dispatched_at="2025-09-26 16:30",
       responded_at="2025-09-26 17:00"),
    # T3: 咨询 2 working days from Tue Sep 30 10:00 -> Oct 10 10:00 (a weekday-only count would say
    # Oct 2); closed Oct 10 09:00: on time. Handling (k+4.375) - (k+2.41667) = 1.958333 working days.
    _t("T3", "G1", "2025-09-30 10:00", "咨询", "市容环境", responded_at="2025-09-30 11:00",
       resolved_at="2025-10-10 09:00", handling_level="网格"),
    # G1, October.
    # T4: 咨询 from Thu Oct 9 09:00 -> due Sat Oct 11 09:00 (调休 Saturday); closed Mon Oct 13 09:00: late.
    _t("T4", "G1", "2025-10-09 09:00", "咨询", "市容环境", dispatched_at="2025-10-09 09:30",
       responded_at="2025-10-09 10:00", resolved_at="2025-10-13 09:00", callback_at="2025-10-13 15:00",
       is_resolved=True, satisfaction="满意", handling_level="社区"),
    # T5: open overdue (export deadline Oct 14 18:00); response 25 h after dispatch: late; whistle.
    _t("T5", "G1", "2025-10-09 10:00", "求助", "道路交通", dispatched_at="2025-10-09 11:00",
       responded_at="2025-10-10 12:00", due_at="2025-10-14 18:00", is_whistle=True),
    # T6: closed on time, 基本满意; no dispatch time: response limit from receipt (12 h: in time).
    _t("T6", "G1", "2025-10-13 08:00", "投诉", "市容环境", responded_at="2025-10-13 20:00",
       due_at="2025-10-20 18:00", resolved_at="2025-10-15 14:00", callback_at="2025-10-15 18:00",
       is_resolved=True, satisfaction="基本满意", handling_level="网格", compound_code="PE"),
    # T7: closed on time, no callback, never signed for (response due Oct 11 13:00: counted, late);
    # property category but no compound: a property complaint of no company. Whistle and a joint
    # consultation (会商), closed.
    _t("T7", "G1", "2025-10-10 12:00", "投诉", "物业管理", dispatched_at="2025-10-10 13:00",
       resolved_at="2025-10-14 12:00", handling_level="街道", is_whistle=True, is_consultation=True),
    # T8: timeline error (closed before received): out of durations and of the as-of time (its bogus
    # callback is in December), still counted in the rates; 不满意, not resolved.
    _t("T8", "G1", "2025-10-13 10:00", "咨询", "市容环境", dispatched_at="2025-10-13 10:05",
       responded_at="2025-10-13 10:10", resolved_at="2025-10-12 10:00", callback_at="2025-12-31 10:00",
       is_resolved=False, satisfaction="不满意", handling_level="网格", has_timeline_error=True),
    # T1: open, not yet due (投诉 15 working days -> Tue Nov 4 10:00); response 24.5 h: late; in 会商.
    _t("T1", "G1", "2025-10-14 10:00", "投诉", "市容环境", dispatched_at="2025-10-14 10:30",
       responded_at="2025-10-15 11:00", is_consultation=True),
    # T11: the newest event (as-of = Oct 16 09:00); response not yet due: left out of the response rate.
    _t("T11", "G1", "2025-10-16 09:00", "投诉", "市容环境"),
    # G2.
    # T20: September, 咨询 from Mon Sep 29 09:00 -> due Oct 9 09:00; closed Oct 9 10:00: late. G2 red.
    _t("T20", "G2", "2025-09-29 09:00", "咨询", "市容环境", source=GRID_REPORT,
       responded_at="2025-09-29 09:30", resolved_at="2025-10-09 10:00", handling_level="网格"),
    # T21: open overdue (export deadline Mon Oct 13 09:00: 3 working days late at as-of).
    _t("T21", "G2", "2025-10-10 09:00", "求助", "市容环境", source=VIDEO, due_at="2025-10-13 09:00"),
    # T22: 咨询 from Fri Oct 10 10:00 -> Oct 13 10:00; closed on the 调休 Saturday Oct 11 15:00: on time,
    # 1.208333 working days. At compound PD but not a property category: no complaint for D.
    _t("T22", "G2", "2025-10-10 10:00", "咨询", "市容环境", source=VIDEO, resolved_at="2025-10-11 15:00",
       handling_level="区", compound_code="PD"),
] + [
    # G4: seven property complaints, all exemplary (1.0 working day each): A 3, B 3, C 1.
    _t(f"P{i}", "G4", "2025-10-13 09:00", "投诉", "物业管理", dispatched_at="2025-10-13 09:10",
       responded_at="2025-10-13 10:00", resolved_at="2025-10-14 09:00", callback_at="2025-10-14 12:00",
       is_resolved=True, satisfaction="满意", handling_level="网格", department="物业科", compound_code=code)
    for i, code in enumerate(["PA1", "PA1", "PA2", "PB", "PB", "PB", "PC"], start=1)
]

TICKET_COLUMNS = ("ticket_id", "feed", "source", "appeal_type", "category_l1", "received_at", "dispatched_at",
                  "responded_at", "resolved_at", "due_at", "callback_at", "is_resolved", "satisfaction",
                  "handling_level", "is_whistle", "is_consultation", "department", "street_code", "street_name",
                  "community_code", "community_name", "grid_code", "compound_code", "placed_by",
                  "has_timeline_error", "row_hash", "batch_id")


def fill_calendar(con: duckdb.DuckDBPyConnection, start: date, end: date) -> None:
    """dim_calendar as etl/calendar.py will build it: one row per date, running working-day index."""
    rows, index, day = [], 0, start
    while day <= end:
        workday = chinese_calendar.is_workday(day)
        index += workday
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        rows.append((day, workday, on_holiday, name, index, "chinese_calendar"))
        day += timedelta(days=1)
    con.executemany("insert into dim_calendar values (?, ?, ?, ?, ?, ?)", rows)


def build_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schema from etl/sql/schema.sql and insert the fixture rows."""
    con.execute(SCHEMA.read_text(encoding="utf-8"))
    fill_calendar(con, date(2025, 1, 1), date(2025, 12, 31))
    streets = {(s, sn) for _c, _cn, s, sn in GRIDS.values()}
    con.executemany("insert into dim_streets (street_code, street_name) values (?, ?)", sorted(streets))
    communities = {(c, cn, s) for c, cn, s, _sn in GRIDS.values()}
    con.executemany("insert into dim_communities (community_code, community_name, street_code) values (?, ?, ?)",
                    sorted(communities))
    con.executemany(
        "insert into dim_grids (grid_code, grid_name, community_code, community_name, street_code, street_name,"
        " households) values (?, ?, ?, ?, ?, ?, 300)",
        [(g, f"网格{g[1:]}", *place) for g, place in GRIDS.items()])
    con.executemany("insert into dim_companies (company_id, company_name) values (?, ?)", list(COMPANIES.items()))
    con.executemany(
        "insert into dim_compounds (compound_code, compound_name, grid_code, company_id, households)"
        " values (?, ?, ?, ?, ?)", [(code, f"{code}小区", grid, company, hh) for code, company, hh, grid in COMPOUNDS])
    con.executemany(
        "insert into fct_inspections (inspection_id, inspected_on, company_id, compound_code, score, row_hash,"
        " batch_id) values (?, ?, ?, ?, ?, 'h', 1)",
        [(f"I{i}", *row) for i, row in enumerate(INSPECTIONS)])
    insert_tickets(con, TICKETS)


def insert_tickets(con: duckdb.DuckDBPyConnection, tickets: list[dict]) -> None:
    """Insert ``tickets`` (made with ``_t``) into fct_tickets, placed in their grid's community and street
    unless they say otherwise (a ticket without a grid gives its own)."""
    rows = []
    for ticket in tickets:
        community, community_name, street, street_name = GRIDS.get(ticket["grid_code"], (None,) * 4)
        full = dict(feed="hotline", department="城管科", street_code=street, street_name=street_name,
                    community_code=community, community_name=community_name, placed_by="grid_code",
                    has_timeline_error=False, row_hash="h", batch_id=1)
        full.update(ticket)
        rows.append([full.get(col) for col in TICKET_COLUMNS])
    placeholders = ", ".join("?" for _ in TICKET_COLUMNS)
    con.executemany(f"insert into fct_tickets ({', '.join(TICKET_COLUMNS)}) values ({placeholders})", rows)


def at(text: str) -> datetime:
    """'2025-10-16 09:00' -> datetime, for comparing with timestamps the marts return."""
    return datetime.fromisoformat(text)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from etl.marts import build_marts
    from onescreen.rules import load_rules

    connection = duckdb.connect(sys.argv[1])
    build_warehouse(connection)
    print(build_marts(connection, load_rules()))
