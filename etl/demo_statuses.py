"""The hotline statuses of the demo district (``etl.demo``) beyond 办理中, 已办结, 已退单 and 延期, so that the rules
the product has for them (docs/metrics.md, 工单状态) show on the demo screens:

- 已撤销: the caller withdraws the request within a day or two; nothing is done, nothing is closed.
- 重办: the callback finds a closed ticket unsolved and it is handed back (reopened at the callback); it is
  closed again some working days later, with a new 办结时间 and a new callback.
- 待派单: received, not yet dispatched: the dispatch centre's queue of the last two days, and a few tickets
  whose department is in dispute, waiting for days (the shortest deadline is two working days, so only these
  ever show a 待派单 ticket past its deadline).

Each is drawn from a generator of its own (``etl.demo_tickets._side_stream``): the main stream, and every
figure of the other tickets, stays as it was. Only a few rows of each export change, and the two hotline
exports never disagree about a ticket without a later event time saying which is newer.
"""

from __future__ import annotations

import numpy as np

from etl.demo_calendar import DAY, HOUR, NEVER, Period, add_workdays
from etl.demo_tickets import SATISFACTION_P, _choose_rows, _lognormal, _side_stream

WITHDRAWN_STREAM = 31
REOPENED_STREAM = 37
WAITING_STREAM = 41

WITHDRAWN_SHARE = 0.005  # of all tickets
REOPENED_SHARE = 0.01  # of all tickets
WAITING_SHARE = 0.04  # of the last two days' tickets
DISPUTED_SHARE = 0.0015  # of the tickets received 2 to 15 days before the last export
DISPUTED_DAYS = 15
# Each status shows at least this often, even in the small demos of the tests and the browser tests.
AT_LEAST = 3


def add_statuses(rng: np.random.Generator, tickets: dict[str, np.ndarray], period: Period) -> dict[str, np.ndarray]:
    """``tickets`` (``etl.demo_tickets.build_hotline``) with some tickets withdrawn, reopened or left undispatched,
    and the fields :func:`seen_at` reads. ``rng`` is the hotline's generator: only side streams of it are used."""
    t = dict(tickets)
    n = len(t["id"])
    for key in ("withdrawn", "reopened", "resolved_again", "callback_again"):
        t[key] = np.full(n, NEVER)
    t["is_solved_again"] = np.zeros(n, dtype=bool)
    t["satisfaction_again"] = np.full(n, "", dtype=object)
    # Not the tickets with an impossible timeline (closed before received): they stay as the warnings show them.
    sound = (t["resolved"] == NEVER) | (t["resolved"] >= t["received"])
    _withdraw(_side_stream(rng, WITHDRAWN_STREAM), t, sound, period)
    _reopen(_side_stream(rng, REOPENED_STREAM), t, sound, period)
    _hold(_side_stream(rng, WAITING_STREAM), t, sound, period)
    return t


def _withdraw(rng: np.random.Generator, t: dict[str, np.ndarray], sound: np.ndarray, period: Period) -> None:
    """已撤销: withdrawn 30 minutes to two days after the call, before anyone closed it; whatever had not happened by
    then never happens. A ticket of both exports is withdrawn before the first one is taken, if at all: no event
    time would tell the later export's 已撤销 from the earlier one's 办理中."""
    n = len(t["id"])
    withdrawn = t["received"] + _lognormal(rng, 8 * HOUR, 0.9, n, 1800, 2 * DAY)
    eligible = sound & (t["returned_at"] == NEVER) & (withdrawn < t["resolved"])
    eligible &= (t["received"] >= period.part1_end) | (withdrawn < period.part1_end)
    chosen = _some(rng, eligible, round(WITHDRAWN_SHARE * n))
    t["withdrawn"] = np.where(chosen, withdrawn, NEVER)
    for key in ("dispatched", "responded"):
        t[key] = np.where(chosen & (t[key] >= withdrawn), NEVER, t[key])
    for key in ("resolved", "callback"):
        t[key] = np.where(chosen, NEVER, t[key])
    t["extended"] = t["extended"] & ~chosen


def _reopen(rng: np.random.Generator, t: dict[str, np.ndarray], sound: np.ndarray, period: Period) -> None:
    """重办: a closed ticket whose callback found it unsolved is handed back at the callback and closed again one to
    ten working days later (office hours), then called back again. A ticket only the first export holds is closed
    again before that export: it would stay 重办 in the warehouse for good, with no later export to close it."""
    n = len(t["id"])
    candidates = sound & (t["callback"] != NEVER) & ~t["is_solved"] & (t["withdrawn"] == NEVER)
    workdays = 1 + np.floor(10 * rng.beta(1.3, 2.5, n)).astype(np.int64)
    again = add_workdays(np.where(candidates, t["callback"], 0), workdays, period.holidays) // DAY * DAY
    again += rng.integers(9 * HOUR, 18 * HOUR, n)
    callback = again + _lognormal(rng, 18 * HOUR, 0.7, n, 1800, 6 * DAY)
    solved = rng.random(n) < 0.8
    good_or_bad = np.where(t["is_bad"], 3, 2)  # SATISFACTION_P rows of a solved ticket
    satisfaction = np.array(["满意", "基本满意", "不满意"], dtype=object)[_choose_rows(rng, SATISFACTION_P[good_or_bad])]
    candidates &= (t["received"] >= period.overlap_start) | (again < period.part1_end)
    chosen = _some(rng, candidates, round(REOPENED_SHARE * n))
    # Some still reopened at the last export (the 重办 a visitor sees), however small the demo.
    pending = candidates & (t["callback"] < period.end) & (again >= period.end)
    chosen |= _some(rng, pending & ~chosen, AT_LEAST - int((pending & chosen).sum()), at_least=0)
    t["reopened"] = np.where(chosen, t["callback"], NEVER)
    t["resolved_again"] = np.where(chosen, again, NEVER)
    t["callback_again"] = np.where(chosen, callback, NEVER)
    t["is_solved_again"] = chosen & solved
    t["satisfaction_again"] = np.where(chosen, satisfaction, "")


def _hold(rng: np.random.Generator, t: dict[str, np.ndarray], sound: np.ndarray, period: Period) -> None:
    """待派单: some of the last two days' tickets are still waiting to be dispatched at the last export, and a few
    older ones, in dispute over whose duty they are, past their deadline: their whole handling moves to after it."""
    n = len(t["id"])
    age = period.end - t["received"]
    dispatched = period.end + _lognormal(rng, 2 * HOUR, 0.8, n, 600, 2 * DAY)
    eligible = sound & (t["returned_at"] == NEVER) & (t["withdrawn"] == NEVER) & (t["reopened"] == NEVER)
    recent = eligible & (age < 2 * DAY)
    disputed = eligible & (age >= 2 * DAY) & (age < DISPUTED_DAYS * DAY)
    chosen = _some(rng, recent, round(WAITING_SHARE * recent.sum()))
    chosen |= _some(rng, disputed & (t["due"] < period.end), round(DISPUTED_SHARE * disputed.sum()))
    delay = np.where(chosen, dispatched - t["dispatched"], 0)
    for key in ("dispatched", "responded", "resolved", "callback"):
        t[key] = np.where(chosen & (t[key] != NEVER), t[key] + np.maximum(delay, 0), t[key])
    t["extended"] = t["extended"] & ~chosen


def _some(rng: np.random.Generator, eligible: np.ndarray, count: int, at_least: int = AT_LEAST) -> np.ndarray:
    """``count`` (at least ``at_least``, at most all) of the ``eligible`` rows, drawn at random, as a mask."""
    rows = np.flatnonzero(eligible)
    chosen = np.zeros(eligible.size, dtype=bool)
    chosen[rng.choice(rows, size=min(rows.size, max(count, at_least)), replace=False)] = True
    return chosen


def seen_at(t: dict[str, np.ndarray], at: int) -> dict[str, np.ndarray]:
    """What an export at time ``at`` shows of each ticket: its status, 办结时间, callback and its answers (the later
    closure's once a reopened ticket is closed again), and the deadline (extended once the extension is seen)."""
    again = t["resolved_again"] < at
    resolved = np.where(again, t["resolved_again"], t["resolved"])
    reopened = (t["reopened"] < at) & ~again
    extended = t["extended"] & (t["due"] <= at)
    status = np.select(
        [t["withdrawn"] < at, t["returned_at"] < at, reopened, resolved < at, t["dispatched"] >= at, extended],
        ["已撤销", "已退单", "重办", "已办结", "待派单", "延期"], "办理中")
    return {
        "status": status, "resolved": resolved,
        "callback": np.where(again, t["callback_again"], t["callback"]),
        "is_solved": np.where(again, t["is_solved_again"], t["is_solved"]),
        "satisfaction": np.where(again, t["satisfaction_again"], t["satisfaction"]),
        "due": np.where(extended, t["extended_due"], t["due"]),
    }
