"""Time in the demo district (``etl.demo``): the 13 months covered (a year and the same month a
year before, so 同比 has something to compare), holidays, working days, arrivals.

Times are int64 seconds since 1970-01-01 in local time (no zone), so whole columns stay numpy
arrays; ``NEVER`` marks something that has not happened and never will.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

NEVER = np.iinfo(np.int64).max  # "this never happened" in int64 second timestamps
DAY = 86_400
HOUR = 3_600

# Lunar new year's day; the Spring Festival holiday runs from its eve for eight days.
LUNAR_NEW_YEAR = {
    2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10",
    2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13",
    2030: "2030-02-03", 2031: "2031-01-23", 2032: "2032-02-11", 2033: "2033-01-31", 2034: "2034-02-19",
    2035: "2035-02-08",
}

# Relative ticket volume by hour of day.
HOTLINE_HOURS_WORKDAY = [0.6, 0.35, 0.25, 0.2, 0.25, 0.4, 0.9, 2.2, 4.5, 7.2, 7.8, 7.0,
                         4.6, 3.8, 6.2, 6.8, 6.6, 5.9, 4.0, 3.6, 3.3, 2.8, 1.9, 1.1]
HOTLINE_HOURS_WEEKEND = [0.9, 0.5, 0.35, 0.3, 0.3, 0.45, 0.9, 1.9, 3.8, 5.6, 6.2, 5.9,
                         4.8, 4.3, 5.2, 5.5, 5.4, 5.0, 4.2, 4.0, 3.7, 3.1, 2.2, 1.4]
OFFICE_HOURS = [0.05, 0.03, 0.02, 0.02, 0.03, 0.05, 0.2, 1.5, 6.0, 8.5, 8.0, 6.0,
                2.0, 2.5, 6.5, 8.0, 7.5, 5.5, 1.5, 0.6, 0.4, 0.3, 0.2, 0.1]
ALL_DAY_HOURS = [1.5, 1.2, 1.0, 0.9, 0.9, 1.1, 2.0, 3.5, 5.0, 5.5, 5.5, 5.0,
                 4.5, 4.5, 5.0, 5.2, 5.2, 5.0, 4.5, 4.5, 4.2, 3.5, 2.8, 2.0]
EVENING_HOURS = [2.5, 2.0, 1.5, 1.0, 0.8, 0.8, 1.2, 2.0, 3.0, 3.5, 3.5, 3.5,
                 3.5, 3.5, 3.8, 4.0, 4.2, 4.5, 5.0, 5.5, 6.0, 5.5, 4.5, 3.5]
EVENT_SOURCE_TIMING = {  # source -> (weekday hours, weekend hours, weekend day factor)
    "网格员上报": (OFFICE_HOURS, OFFICE_HOURS, 0.3),
    "视频巡查": (ALL_DAY_HOURS, ALL_DAY_HOURS, 0.8),
    "随手拍": (HOTLINE_HOURS_WORKDAY, HOTLINE_HOURS_WEEKEND, 0.9),
    "110非警务": (EVENING_HOURS, EVENING_HOURS, 1.1),
    "来访": (OFFICE_HOURS, OFFICE_HOURS, 0.15),
}
WEEKDAY_FACTOR = np.array([1.12, 1.05, 1.02, 1.0, 0.97, 0.66, 0.60])  # Monday first


# Months covered: a year ending with the current month, plus the same month a year before.
MONTHS = 13


@dataclass(frozen=True)
class Period:
    """The MONTHS months covered, as int64 seconds."""

    month_starts: np.ndarray  # MONTHS + 1 values: the month starts and the start of the month after
    end: int  # exclusive: nothing happens at or after this second (the last export time)
    part1_end: int  # exclusive end of the first hotline export (start of the last month)
    overlap_start: int  # start of month 11, the month both hotline exports contain
    holidays: np.ndarray  # datetime64[D] public holidays in and after the period


def stamp(at: int) -> str:
    """An export time, one minute before the exclusive end ``at``: '2025-11-30 23:59'."""
    return str(np.datetime64(at - 60, "s").astype("datetime64[m]")).replace("T", " ")


def make_period(end_month: dt.date | None, now: dt.datetime) -> Period:
    """The MONTHS months ending with ``end_month`` (default: the month of ``now``, cut at its hour)."""
    current = dt.date(now.year, now.month, 1)
    last = current if end_month is None else dt.date(end_month.year, end_month.month, 1)
    if last > current:
        raise ValueError(f"end_month {last:%Y-%m} is in the future")
    months = np.arange(np.datetime64(last, "M") - (MONTHS - 1), np.datetime64(last, "M") + 2)
    starts = months.astype("datetime64[s]").astype(np.int64)
    end = int(starts[-1])
    if last == current:  # stop at the current hour so no ticket lies in the future
        end = min(end, int(np.datetime64(now.replace(minute=0, second=0, microsecond=0), "s").astype(np.int64)))
    first_year = int(str(months[0])[:4])
    return Period(starts, end, int(starts[MONTHS - 1]), int(starts[MONTHS - 2]), _holidays(range(first_year, first_year + 3)))


def _holidays(years) -> np.ndarray:
    """Main public holidays: enough for realistic dips and deadlines, not an official calendar."""
    days: list[np.datetime64] = []
    for year in years:
        days.append(np.datetime64(f"{year}-01-01"))
        days += list(np.datetime64(f"{year}-04-04") + np.arange(3))
        days += list(np.datetime64(f"{year}-05-01") + np.arange(5))
        days += list(np.datetime64(f"{year}-10-01") + np.arange(7))
        if year in LUNAR_NEW_YEAR:
            days += list(np.datetime64(LUNAR_NEW_YEAR[year]) - 1 + np.arange(8))
    return np.array(sorted(set(days)), dtype="datetime64[D]")


def add_workdays(at: np.ndarray, workdays: np.ndarray, holidays: np.ndarray) -> np.ndarray:
    """Deadline ``workdays`` working days after each time, at the same time of day."""
    day = at // DAY
    due_day = np.busday_offset(day.astype("datetime64[D]"), workdays, roll="forward", holidays=holidays)
    return due_day.astype(np.int64) * DAY + at % DAY


def sample_received(rng: np.random.Generator, n: int, period: Period, hours_workday, hours_weekend,
                    weekend_factor: float | None, month_factor: np.ndarray) -> np.ndarray:
    """Arrival times (int64 seconds), sorted: weekday and hour rhythm, holiday dips, seasons.

    ``weekend_factor`` is the weight of a Saturday or Sunday against a weekday (None: the hotline's).
    """
    first_day, end_day = period.month_starts[0] // DAY, -(-period.end // DAY)
    days = np.arange(first_day, end_day)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    is_off = np.isin(days.astype("datetime64[D]"), period.holidays)
    month = np.searchsorted(period.month_starts, days * DAY, side="right") - 1
    factor = WEEKDAY_FACTOR[weekday] if weekend_factor is None else np.where(
        weekday >= 5, weekend_factor, WEEKDAY_FACTOR[np.minimum(weekday, 4)])
    spring = np.zeros(days.size, dtype=bool)
    for new_year in LUNAR_NEW_YEAR.values():
        start = np.datetime64(new_year).astype(np.int64) - 1
        spring |= (days >= start) & (days < start + 8)
    factor = factor * np.where(spring, 0.45, np.where(is_off, 0.6, 1.0))
    factor = factor * month_factor[month] * (1 + 0.012 * month) * rng.lognormal(0, 0.07, days.size)

    cdf_workday = np.cumsum(hours_workday) / np.sum(hours_workday)
    cdf_weekend = np.cumsum(hours_weekend) / np.sum(hours_weekend)
    cdf = np.where((weekday >= 5)[:, None], cdf_weekend[None, :], cdf_workday[None, :])
    # The last day may be cut at the current hour: it keeps only the share of its hours before that.
    open_share = np.ones(days.size)
    last_hours = (period.end - days[-1] * DAY) // HOUR
    if last_hours < 24:
        open_share[-1] = cdf[-1, last_hours - 1] if last_hours > 0 else 0.0
    weight = factor * open_share
    day_idx = np.sort(rng.choice(days.size, size=n, p=weight / weight.sum()))
    u = rng.random(n) * open_share[day_idx]
    hour = np.minimum((u[:, None] >= cdf[day_idx]).sum(axis=1), 23)
    seconds = days[day_idx] * DAY + hour * HOUR + rng.integers(0, HOUR, n)
    return np.sort(np.minimum(seconds, period.end - 1))


def month_of(at: np.ndarray, period: Period) -> np.ndarray:
    """Index (0 to MONTHS - 1) of the covered month of each time."""
    return np.searchsorted(period.month_starts, at, side="right") - 1


def calendar_months(period: Period) -> np.ndarray:
    """Calendar month (0 = January) of each of the months covered."""
    return period.month_starts[:MONTHS].astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) % 12


def sequence_within(group: np.ndarray) -> np.ndarray:
    """1, 2, 3... within runs of equal values of a sorted array."""
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    lengths = np.diff(np.r_[starts, len(group)])
    return np.arange(len(group)) - np.repeat(starts, lengths) + 1
