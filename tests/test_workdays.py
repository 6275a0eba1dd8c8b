"""Deadlines and working-day durations around the 2025 and 2026 holidays, against answers worked out by
hand from the State Council's schedules (国办发明电〔2024〕12号 for 2025, 〔2025〕7号 for 2026):

2025: 元旦 Jan 1; 春节 Jan 28-Feb 4 off, Sun Jan 26 and Sat Feb 8 worked; 国庆/中秋 Oct 1-8 off, Sun Sep 28
and Sat Oct 11 worked. 2026: 元旦 Jan 1-3 off, Sun Jan 4 worked; 春节 Feb 15-23 off, Sat Feb 14 and Sat
Feb 28 worked; 中秋 Sep 25-27 off; 国庆 Oct 1-7 off, Sun Sep 20 and Sat Oct 10 worked.

Each case is a ticket without a deadline in the export (咨询: 2 working days, 求助: 10) built into a
tiny warehouse with the calendar of etl/calendar.py, through the real mart SQL.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from etl.calendar import build_calendar
from etl.marts import build_marts
from metrics_fixture import SCHEMA, at
from onescreen.rules import load_rules


def _warehouse(*tickets: tuple) -> duckdb.DuckDBPyConnection:
    """Tickets (ticket_id, received_at, appeal_type, resolved_at) in one grid; the marts built."""
    con = duckdb.connect()
    con.execute(SCHEMA.read_text(encoding="utf-8"))
    build_calendar(con, date(2025, 1, 1), date(2026, 12, 31))
    con.executemany(
        "insert into fct_tickets (ticket_id, feed, source, appeal_type, category_l1, received_at, resolved_at,"
        " street_code, community_code, grid_code, placed_by, has_timeline_error, row_hash, batch_id)"
        " values (?, 'hotline', '12345热线', ?, '市容环境', ?, ?, 'S1', 'C1', 'G1', 'grid_code', false, 'h', 1)",
        [(ticket_id, appeal, received, resolved) for ticket_id, received, appeal, resolved in tickets])
    build_marts(con, load_rules())
    return con


CLOSED = [  # ticket, received, appeal type, closed, the deadline by hand, closed late, working days taken
    # Received on a holiday (Oct 1): the clock stands until Oct 9; 2nd working day Oct 10, at its end.
    ("holiday", "2025-10-01 14:00", "咨询", "2025-10-10 20:00", "2025-10-11 00:00", False, 1 + 20 / 24),
    # Received on the 调休 Saturday Oct 11 (a working day): Sun Oct 12 off -> Mon 13, Tue 14.
    ("adjusted_saturday", "2025-10-11 20:00", "咨询", "2025-10-14 19:00", "2025-10-14 20:00", False, 47 / 24),
    # Friday 23:30 before the 调休 Sunday Sep 28: Sun 28, Mon 29.
    ("late_evening", "2025-09-26 23:30", "咨询", "2025-09-29 23:45", "2025-09-29 23:30", True, 2 + 0.25 / 24),
    # Across New Year 2026: Jan 1-3 off, Sun Jan 4 worked -> Jan 4, Mon Jan 5.
    ("new_year", "2025-12-31 18:00", "咨询", "2026-01-05 17:00", "2026-01-05 18:00", False, 47 / 24),
    # 春节 2025: Jan 28-Feb 4 off -> Feb 5, Feb 6.
    ("spring_2025", "2025-01-27 15:00", "咨询", "2025-02-06 15:00", "2025-02-06 15:00", False, 2.0),
    # 春节 2026: Sat Feb 14 worked, Feb 15-23 off -> Feb 14, Tue Feb 24.
    ("spring_2026", "2026-02-13 10:00", "咨询", "2026-02-24 10:01", "2026-02-24 10:00", True, 2 + 1 / 1440),
    # 国庆 2026, 求助 10 days: Oct 8, 9, Sat 10 (worked), 12-16, 19, 20.
    ("national_day_2026", "2026-09-30 10:00", "求助", "2026-10-20 10:00", "2026-10-20 10:00", False, 10.0),
    # Received Saturday Sep 27 (off): 24:00 of the 2nd working day (Sun 28 worked, Mon 29).
    ("received_day_off", "2025-09-27 10:00", "咨询", "2025-09-29 23:00", "2025-09-30 00:00", False, 47 / 24),
    # Received Thursday 00:00:00 (a date without a time): the same time of day on the 2nd working day
    # after (Fri 26, Sun 28 worked) is Sunday 00:00. Closed on the Saturday between: two working days
    # taken, on time, as it is for a ticket received a second later.
    ("midnight", "2025-09-25 00:00:00", "咨询", "2025-09-27 12:00", "2025-09-28 00:00", False, 2.0),
    ("a_second_later", "2025-09-25 00:00:01", "咨询", "2025-09-27 12:00", "2025-09-28 00:00:01", False, 2 - 1 / 86400),
]


@pytest.fixture(scope="module")
def closed():
    con = _warehouse(*[(t, received, appeal, resolved) for t, received, appeal, resolved, *_ in CLOSED])
    yield con
    con.close()


@pytest.mark.parametrize(("ticket", "due", "late", "taken"), [(t, due, late, taken) for t, _r, _a, _c, due, late, taken in CLOSED])
def test_derived_deadlines_and_durations_around_holidays(closed, ticket, due, late, taken):
    got = closed.execute("select due_at, is_closed_late from mart_derived_deadlines where ticket_id = ?", [ticket]).fetchall()
    assert got == [(at(due), late)]
    day = CLOSED[[t for t, *_ in CLOSED].index(ticket)][1][:10]
    rates = closed.execute(
        "select handling_count, handling_workdays_sum, closed_late_count from mart_rates"
        " where period_type = 'day' and period_start = ? and level = 'district'", [day]).fetchall()
    (count, total, late_count), = rates
    per_day = [c for c in CLOSED if c[1][:10] == day]
    assert count == len(per_day) and late_count == sum(c[5] for c in per_day)
    assert total == pytest.approx(sum(c[6] for c in per_day))


def test_an_open_ticket_received_at_midnight_is_not_overdue_over_the_weekend_before_its_last_day():
    """Received Thursday 2025-09-25 00:00, 咨询 (2 working days): due Sunday Sep 28 00:00 (a 调休
    Sunday). At 数据截至 Saturday 12:00 it is not overdue (it was said 超期 0.0 个工作日): no working
    time is left, so it is near its deadline."""
    con = _warehouse(("midnight", "2025-09-25 00:00:00", "咨询", None),
                     ("as_of", "2025-09-27 12:00", "咨询", None))
    row = con.execute("select due_at, is_overdue, is_near_deadline, overdue_workdays, remaining_workdays"
                      " from mart_open_tickets where ticket_id = 'midnight'").fetchall()
    assert row == [(at("2025-09-28 00:00"), False, True, None, 0.0)]
