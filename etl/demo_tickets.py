"""Tickets in the demo district (``etl.demo``): the full life of every 12345 hotline ticket and
grid-platform event, from arrival to callback. The writers show each as of an export time.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely

from etl import demo_vocab as V
from etl.demo_calendar import (DAY, EVENT_SOURCE_TIMING, MONTHS, HOTLINE_HOURS_WEEKEND, HOTLINE_HOURS_WORKDAY, HOUR, NEVER,
                               Period, add_workdays, calendar_months, month_of, sample_received, sequence_within)
from etl.demo_place import District, person_names


def _category_table(categories: dict) -> pd.DataFrame:
    """One row per second-level category: its first level, overall weight, season and text."""
    rows = []
    for l1, spec in categories.items():
        share, subcategories = spec[0], spec[-1]
        total = sum(w for _, w, _, _ in subcategories)
        for l2, w, season, text in subcategories:
            rows.append({"l1": l1, "l2": l2, "weight": share * w / total, "season": season, "text": text})
    table = pd.DataFrame(rows)
    seasons = np.array([V.SEASONS[s] for s in table["season"]])  # (n_l2, 12)
    table.attrs["seasons"] = seasons
    return table


def _sample_categories(rng: np.random.Generator, table: pd.DataFrame, month: np.ndarray, period: Period) -> np.ndarray:
    """Index into the category table for each ticket, with each month's seasonal mix."""
    calendar = calendar_months(period)
    out = np.empty(month.size, dtype=int)
    for m in range(MONTHS):
        rows = np.flatnonzero(month == m)
        p = table["weight"].to_numpy() * table.attrs["seasons"][:, calendar[m]]
        out[rows] = rng.choice(len(table), size=rows.size, p=p / p.sum())
    return out


def _seasonal_volume(table: pd.DataFrame, period: Period) -> np.ndarray:
    """Relative volume of each covered month implied by the seasons of its categories (damped)."""
    mix = table["weight"].to_numpy() @ table.attrs["seasons"]
    return np.sqrt(mix[calendar_months(period)] / mix.mean())


def _pick(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    """``size`` indices drawn with the given (unnormalised) weights."""
    weights = np.asarray(weights, dtype=float)
    return rng.choice(weights.size, size=size, p=weights / weights.sum())


def _locate(rng: np.random.Generator, n: int, at_compound: np.ndarray, is_property: np.ndarray,
            district: District, compounds: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Grid index and compound index (-1 when not at a compound) of each ticket."""
    grids = district.grids
    compound = np.full(n, -1)
    prop = np.flatnonzero(is_property)
    compound[prop] = _pick(rng, compounds["complaint_weight"], prop.size)
    other = np.flatnonzero(at_compound & ~is_property)
    compound[other] = _pick(rng, compounds["households"], other.size)
    grid = np.empty(n, dtype=int)
    grid[compound >= 0] = compounds["grid_idx"].to_numpy()[compound[compound >= 0]]
    street_level = np.flatnonzero(compound < 0)
    weight = grids["households"].to_numpy() * np.where(grids["grid_type"] == "专属网格", 0.6, 1.0)
    grid[street_level] = _pick(rng, weight, street_level.size)
    return grid, compound


def _addresses(rng: np.random.Generator, grid: np.ndarray, compound: np.ndarray, district: District,
               compounds: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Where each ticket happened as written by the operator, and a short place phrase for the text."""
    n = grid.size
    grids = district.grids
    street = grids["street_name"].to_numpy()[grid]
    community = grids["community_name"].to_numpy()[grid]
    rural = grids["is_rural"].to_numpy()[grid]
    r = rng.integers(0, 1_000_000, size=(n, 6))
    style = rng.random(n)
    address = np.empty(n, dtype=object)
    place = np.empty(n, dtype=object)
    c_name = compounds["compound_name"].to_numpy()
    c_road, c_no = compounds["road"].to_numpy(), compounds["number"].to_numpy()
    # Roads of the same street that cross each road (not 麒麟东路与麒麟西路).
    crossings = {road: [x for x in roads if x[:2] != road[:2]] for roads in district.roads.values() for road in roads}
    for i in range(n):
        c = compound[i]
        if c >= 0:
            name = c_name[c]
            building, unit, floor, room = r[i, 0] % 28 + 1, r[i, 1] % 4 + 1, r[i, 2] % 24 + 1, r[i, 3] % 4 + 1
            if style[i] < 0.78:
                address[i] = f"{c_road[c]}{c_no[c]}号{name}{building}栋{unit}单元{floor}{room:02d}室"
            elif style[i] < 0.9:
                address[i] = f"{name}{building}栋"
            else:
                address[i] = f"{V.DISTRICT}{street[i]}{name}"
            place[i] = f"{name}{building}栋" if style[i] < 0.5 else name
        elif rural[i]:
            address[i] = f"{street[i]}{community[i]}{r[i, 0] % 9 + 1}组{r[i, 1] % 80 + 1}号"
            place[i] = f"{community[i]}{r[i, 0] % 9 + 1}组"
        else:
            roads = district.roads[street[i]]
            road = roads[r[i, 4] % len(roads)]
            crossing = crossings[road]
            cross = crossing[r[i, 5] % len(crossing)]
            if style[i] < 0.6:
                address[i] = f"{road}{r[i, 0] % 400 + 1}号附近"
                place[i] = f"{road}{r[i, 0] % 400 + 1}号附近"
            elif style[i] < 0.85:
                address[i] = f"{road}与{cross}交叉口"
                place[i] = address[i]
            else:
                address[i] = f"{V.DISTRICT}{street[i]}{road}{r[i, 0] % 400 + 1}号"
                place[i] = road
    return address, place


def _street_office(street: np.ndarray) -> np.ndarray:
    """The office of each street: 南宁街道办事处, or 越州镇人民政府 for a town."""
    return np.array([f"{s}人民政府" if s.endswith("镇") else f"{s}办事处" for s in street], dtype=object)


def _choose_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One categorical draw per row from a (rows x options) probability table."""
    cumulative = np.cumsum(probabilities, axis=1)
    u = rng.random(len(probabilities)) * cumulative[:, -1]
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), probabilities.shape[1] - 1)


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int, low: float, high: float) -> np.ndarray:
    """Durations in whole seconds: skewed like real waiting times, clipped to [low, high]."""
    return np.clip(rng.lognormal(math.log(median), sigma, n), low, high).astype(np.int64)


# A caller's answer at the callback. Rows: (not solved, good), (not solved, bad), (solved, good), (solved, bad),
# where bad is a late grid or a poorly run property company; columns 满意/基本满意/不满意.
SATISFACTION_P = np.array([[0.15, 0.30, 0.55], [0.08, 0.27, 0.65], [0.87, 0.10, 0.03], [0.70, 0.18, 0.12]])

STUCK_STREAM = 23
# Contents that name another person than the caller (联系人：李明。): drawn from a stream of their own.
NAMED_STREAM = 29


def _side_stream(rng: np.random.Generator, key: int) -> np.random.Generator:
    """A generator of its own for a later addition to the demo, seeded from ``rng``'s seed and ``key``: drawing
    from it leaves ``rng``'s stream, and so every figure drawn from it after, as it was."""
    seed = rng.bit_generator.seed_seq
    return np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, key)))


def _closed_late(rng: np.random.Generator, due: np.ndarray, holidays: np.ndarray) -> np.ndarray:
    """When each stuck ticket is closed after all: 10 to 60 working days after its deadline (most within five
    weeks, a few dragging on), during office hours. A stuck ticket is one nobody closed in time, not one nobody
    ever closes: those received in the last weeks before the export are still open then, the older ones were
    closed late, so the backlog at the export holds weeks of them rather than a year."""
    workdays = 10 + np.floor(50 * rng.beta(1.0, 6.0, due.size)).astype(np.int64)
    day = add_workdays(due, workdays, holidays) // DAY * DAY
    return day + rng.integers(9 * HOUR, 18 * HOUR, due.size)


def _phones(rng: np.random.Generator, n: int, landline_share: float) -> np.ndarray:
    """Mobile numbers (11 digits) and some local landlines written as '0874-3123456'."""
    prefixes = np.array(["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                         "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186", "187",
                         "188", "189", "191", "198", "199"])
    mobile = np.char.add(prefixes[rng.integers(0, prefixes.size, n)], np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8))
    landline = np.char.add("0874-", rng.integers(3_000_000, 3_999_999, n).astype(str))
    return np.where(rng.random(n) < landline_share, landline, mobile).astype(object)


def build_hotline(rng: np.random.Generator, n: int, district: District, compounds: pd.DataFrame,
                  companies: pd.DataFrame, period: Period) -> dict[str, np.ndarray]:
    """The full life of every hotline ticket; each export shows it as of its own export time."""
    table = _category_table(V.HOTLINE_CATEGORIES)
    received = sample_received(rng, n, period, HOTLINE_HOURS_WORKDAY, HOTLINE_HOURS_WEEKEND, None,
                               _seasonal_volume(table, period))
    month = month_of(received, period)
    category = _sample_categories(rng, table, month, period)
    l1_names = list(V.HOTLINE_CATEGORIES)
    l1 = table["l1"].to_numpy()[category]
    l1_idx = np.array([l1_names.index(x) for x in table["l1"]])[category]
    specs = list(V.HOTLINE_CATEGORIES.values())
    appeal_idx = _choose_rows(rng, np.array([s[1] for s in specs])[l1_idx])
    appeal = np.array(V.APPEAL_TYPES, dtype=object)[appeal_idx]
    is_property = l1 == "物业管理"
    at_compound = rng.random(n) < np.array([s[2] for s in specs])[l1_idx]
    grid, compound = _locate(rng, n, at_compound, is_property, district, compounds)
    grids = district.grids
    street = grids["street_name"].to_numpy()[grid]
    late_grid = grids["is_late"].to_numpy()[grid]
    company_poor = companies["is_poor"].to_numpy()[compounds["company_idx"].to_numpy()]
    poor = is_property & (compound >= 0) & company_poor[np.maximum(compound, 0)]
    bad = late_grid | poor

    department = np.empty(n, dtype=object)
    office = _street_office(street)
    for k, spec in enumerate(specs):
        rows = np.flatnonzero(l1_idx == k)
        names = list(spec[3])
        chosen = np.array(names, dtype=object)[_pick(rng, list(spec[3].values()), rows.size)]
        department[rows] = np.where(chosen == "{street_office}", office[rows], chosen)

    # Timeline. Night calls wait for the morning shift to be dispatched.
    hour = received % DAY // HOUR
    night = (hour >= 21) | (hour < 7)
    morning = (received // DAY + (hour >= 21)) * DAY + 8 * HOUR
    dispatched = np.where(night, morning + _lognormal(rng, 1200, 0.6, n, 60, 3 * HOUR),
                          received + _lognormal(rng, 2400, 0.9, n, 120, 8 * HOUR))
    in_time = rng.random(n) < np.where(late_grid, 0.72, 0.965)
    quick = np.minimum(dispatched + _lognormal(rng, 1.5 * HOUR, 1.0, n, 60, 40 * HOUR), received + 23 * HOUR + 50 * 60)
    responded = np.where(in_time, np.maximum(quick, dispatched + 60),
                         received + rng.integers(24 * HOUR + 60, 72 * HOUR, n))
    workdays = np.array([V.APPEAL_DUE_WORKDAYS[a] for a in V.APPEAL_TYPES])[appeal_idx]
    due = add_workdays(received, workdays, period.holidays)
    extended_due = add_workdays(due, np.full(n, 10), period.holidays)

    u = rng.random(n)
    # Stuck tickets (nobody closes them in time, _closed_late) are more frequent in the last three months: the
    # recent months are the worse ones.
    p_returned, p_stuck = 0.012, np.where(month >= 10, 0.01, 0.004)
    p_extended, p_late = 0.025, np.where(late_grid, 0.35, np.where(poor, 0.15, 0.06))
    returned = u < p_returned
    stuck = ~returned & (u < p_returned + p_stuck)
    extended = ~returned & ~stuck & (u < p_returned + p_stuck + p_extended)
    late = ~returned & ~stuck & ~extended & (u < p_returned + p_stuck + p_extended + p_late)
    span = np.maximum(due - responded, HOUR)
    on_time = np.where(appeal_idx == 0,
                       np.minimum(_lognormal(rng, 4 * HOUR, 1.0, n, 600, 30 * DAY), span * 0.95),
                       span * rng.beta(1.3, 2.5, n)).astype(np.int64) + responded
    resolved = np.where(late, due + rng.exponential(3 * DAY, n).astype(np.int64) + 600, on_time)
    resolved = np.where(extended, due + (rng.uniform(0.1, 0.9, n) * (extended_due - due)).astype(np.int64), resolved)
    # Stuck tickets close late after all (their delays drawn from a stream of their own).
    resolved = np.where(stuck, _closed_late(_side_stream(rng, STUCK_STREAM), due, period.holidays), resolved)
    resolved = np.where(returned, NEVER, resolved)
    returned_at = np.where(returned, responded + rng.integers(HOUR, 30 * HOUR, n), NEVER)

    # Callbacks: was it solved, was the caller satisfied. Worse in late grids and at poor companies.
    called = (resolved != NEVER) & (rng.random(n) < 0.93)
    callback = np.where(called, resolved + _lognormal(rng, 18 * HOUR, 0.7, n, 1800, 6 * DAY), NEVER)
    p_solved = np.where(bad, 0.78, 0.92) - np.where((resolved != NEVER) & (resolved > due), 0.08, 0.0)
    is_solved = rng.random(n) < p_solved
    satisfaction_p = SATISFACTION_P[is_solved.astype(int) * 2 + bad.astype(int)]
    satisfaction = np.array(["满意", "基本满意", "不满意"], dtype=object)[_choose_rows(rng, satisfaction_p)]

    # A handful of impossible timelines (closed before the call came in), all in months only the
    # first export holds, so the data-quality warnings have something to report.
    candidates = np.flatnonzero((resolved != NEVER) & (month < 10))
    broken = rng.choice(candidates, size=min(candidates.size, max(3, round(20 * n / 182_000))), replace=False)
    resolved[broken] = received[broken] - rng.integers(HOUR, 48 * HOUR, broken.size)

    # Callers: a pool in which some people call again and again.
    pool = max(1, int(n * 0.75))
    person = np.minimum((pool * rng.random(n) ** 1.6).astype(int), pool - 1)
    # Repeat requests (重复诉求): some callers ring again about the same kind of matter within weeks, because
    # the first answer did not settle it. A few tickets take the caller of the ticket of the same category
    # just before them (if within 30 days). Drawn from a generator of their own, which leaves the main
    # stream (and every other demo figure) as it was.
    repeat_rng = np.random.default_rng(np.random.SeedSequence(rng.bit_generator.seed_seq.entropy, spawn_key=(12345,)))
    order = np.lexsort((received, l1_idx))
    earlier = np.empty(n, dtype=np.int64)
    earlier[order[1:]], earlier[order[:1]] = order[:-1], order[:1]
    gap = received - received[earlier]
    again = (l1_idx[earlier] == l1_idx) & (gap > 0) & (gap <= 30 * DAY) & (repeat_rng.random(n) < 0.06)
    person = np.where(again, person[earlier], person)
    full_names = person_names(rng, pool)
    form = rng.random(pool)
    polite = np.char.add(np.array([x[:2] if x[:2] in V.COMPOUND_SURNAMES else x[0] for x in full_names]).astype(str),
                         np.where(rng.random(pool) < 0.5, "先生", "女士"))
    caller_names = np.where(form < 0.12, "匿名", np.where(form < 0.27, polite, full_names)).astype(object)
    caller_phones = _phones(rng, pool, 0.08)

    address, place = _addresses(rng, grid, compound, district, compounds)
    lead = np.array(["来电人反映：", "市民来电反映", "来电称", "来电人称：", "群众来电反映："], dtype=object)[rng.integers(0, 5, n)]
    demand = np.array(V.HOTLINE_DEMANDS, dtype=object)[rng.integers(0, len(V.HOTLINE_DEMANDS), n)]
    text = table["text"].to_numpy()[category]
    # The place goes into the text for problems that happen somewhere, not for questions.
    located = np.isin(l1, ["物业管理", "城市管理", "环境保护", "噪音扰民", "交通出行", "供水供电", "供暖燃气", "住房保障"])
    located &= ~np.char.startswith(text.astype(str), "咨询")
    content = lead + np.where(located, place, "") + text + demand
    with_phone = rng.random(n) < 0.015
    content[with_phone] = content[with_phone] + "联系电话" + caller_phones[person[with_phone]] + "。"
    # About 1% name someone else, a relative to contact or a neighbour with the same problem: the pages mask such
    # a name as they mask the caller's (onescreen.masking: a name after a label).
    named_rng = _side_stream(rng, NAMED_STREAM)
    named = np.flatnonzero(named_rng.random(n) < 0.01)
    other = full_names[named_rng.integers(0, pool, named.size)]
    phrase = np.array(["联系人：", "业主"], dtype=object)[named_rng.integers(0, 2, named.size)]
    content[named] = content[named] + phrase + other + np.where(phrase == "业主", "也反映此问题。", "。")

    # The operator leaves the grid blank on ~15% of tickets, sometimes the community and street too.
    no_grid = rng.random(n) < 0.15
    no_community = no_grid & (rng.random(n) < 0.25)
    no_street = no_community & (rng.random(n) < 0.3)
    day = received // DAY
    ids = [f"GD{d}{s:05d}" for d, s in zip(np.char.replace(day.astype("datetime64[D]").astype(str), "-", ""), sequence_within(day))]
    return {
        "id": np.array(ids, dtype=object),
        "received": received, "dispatched": dispatched, "responded": responded, "resolved": resolved,
        "due": due, "extended_due": extended_due, "extended": extended, "returned_at": returned_at,
        "callback": callback, "is_solved": is_solved, "satisfaction": satisfaction, "is_bad": bad,
        "appeal": appeal, "l1": l1, "l2": table["l2"].to_numpy()[category], "department": department,
        "street": np.where(no_street, "", street).astype(object),
        "community": np.where(no_community, "", grids["community_name"].to_numpy()[grid]).astype(object),
        "grid_code": np.where(no_grid, "", grids["grid_code"].to_numpy()[grid]).astype(object),
        "address": address, "caller": caller_names[person], "phone": caller_phones[person], "content": content,
    }


def build_events(rng: np.random.Generator, n: int, district: District, compounds: pd.DataFrame,
                 period: Period) -> dict[str, np.ndarray]:
    """Grid-platform events as of the last export time (there is one export only)."""
    table = _category_table(V.EVENT_CATEGORIES)
    volume = _seasonal_volume(table, period)
    source_names = list(V.EVENT_SOURCES)
    counts = rng.multinomial(n, list(V.EVENT_SOURCES.values()))
    parts = [sample_received(rng, k, period, *EVENT_SOURCE_TIMING[s], volume) for s, k in zip(source_names, counts)]
    received = np.concatenate(parts)
    source_idx = np.repeat(np.arange(len(source_names)), counts)
    order = np.argsort(received, kind="stable")
    received, source_idx = received[order], source_idx[order]
    source = np.array(source_names, dtype=object)[source_idx]
    month = month_of(received, period)
    category = _sample_categories(rng, table, month, period)
    l1 = table["l1"].to_numpy()[category]
    specs = V.EVENT_CATEGORIES
    at_compound = rng.random(n) < np.array([specs[x][1] for x in l1])
    grid, compound = _locate(rng, n, at_compound, l1 == "物业管理", district, compounds)
    grids = district.grids
    late_grid = grids["is_late"].to_numpy()[grid]

    level_names = list(V.HANDLING_LEVELS)
    level_idx = _pick(rng, list(V.HANDLING_LEVELS.values()), n)
    level = np.array(level_names, dtype=object)[level_idx]
    whistle = (level_idx >= 2) & (rng.random(n) < 0.2)
    # Joint consultations (联合会商) for unclear duties: a few events above grid level. Drawn from a
    # child generator so the main stream (and every other demo figure) stays as it was.
    consult_rng = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])
    consultation = (level_idx >= 1) & ~whistle & (consult_rng.random(n) < 0.05)
    street = grids["street_name"].to_numpy()[grid]
    community = grids["community_name"].to_numpy()[grid]
    committee = np.array([f"{c}村委会" if c.endswith("村") else f"{c}居委会" for c in community], dtype=object)
    enforcement = np.array([f"{s}综合行政执法队" for s in street], dtype=object)
    district_dept = np.array([specs[x][2] for x in l1], dtype=object)
    office = np.where(rng.random(n) < 0.3, enforcement, _street_office(street))
    department = np.select([level_idx == 0, level_idx == 1, level_idx == 2],
                           [grids["grid_name"].to_numpy()[grid], committee, office], district_dept)

    self_handled = (source_idx == 0) & (level_idx == 0)
    dispatched = received + np.where(self_handled, rng.integers(60, 300, n), _lognormal(rng, 480, 0.8, n, 60, 4 * HOUR))
    slow = late_grid & (rng.random(n) < 0.2)
    responded = np.where(slow, received + rng.integers(24 * HOUR + 60, 60 * HOUR, n),
                         np.minimum(dispatched + _lognormal(rng, 2400, 1.0, n, 60, 20 * HOUR), received + 23 * HOUR))
    responded = np.maximum(responded, dispatched + 30)
    due = add_workdays(received, np.array(list(V.LEVEL_DUE_WORKDAYS.values()))[level_idx], period.holidays)
    span = np.maximum(due - responded, HOUR)
    on_time = responded + np.where(level_idx == 0, np.minimum(_lognormal(rng, 20 * HOUR, 0.8, n, 900, 20 * DAY), span * 0.95),
                                   span * rng.beta(1.5, 2.5, n)).astype(np.int64)
    late = rng.random(n) < np.where(late_grid, 0.25, 0.05)
    resolved = np.where(late, due + rng.exponential(2 * DAY, n).astype(np.int64) + 600, on_time)
    stuck = rng.random(n) < np.where(month >= 10, 0.008, 0.003)
    resolved = np.where(stuck, _closed_late(_side_stream(rng, STUCK_STREAM), due, period.holidays), resolved)

    lon, lat = _points_in_grids(rng, grids["geometry"].to_numpy(), grid)
    no_point = rng.random(n) < np.select([source == "来访", source == "110非警务"], [0.4, 0.25], 0.04)
    lon[no_point], lat[no_point] = np.nan, np.nan
    no_grid = rng.random(n) < np.where(np.isin(source, ["来访", "110非警务"]), 0.1, 0.01)

    _, place = _addresses(rng, grid, compound, district, compounds)
    lead = np.array([V.EVENT_SOURCE_LEADS[s] for s in source_names], dtype=object)[source_idx]
    tail = np.where(level_idx == 0, "，已现场处置。", np.where(whistle, "，需多部门联合处置，已吹哨。", "，需上报协调处置。"))
    content = lead + place + table["text"].to_numpy()[category] + tail
    day = received // DAY
    ids = [f"SJ{d}{s:05d}" for d, s in zip(np.char.replace(day.astype("datetime64[D]").astype(str), "-", ""), sequence_within(day))]
    return {
        "id": np.array(ids, dtype=object), "received": received, "source": source,
        "l1": l1, "l2": table["l2"].to_numpy()[category],
        "dispatched": dispatched, "responded": responded, "resolved": resolved, "due": due,
        "level": level, "whistle": np.where(whistle, "是", "否").astype(object),
        "consultation": np.where(consultation, "是", "否").astype(object), "department": department,
        "street": street, "community": community,
        "grid_code": np.where(no_grid, "", grids["grid_code"].to_numpy()[grid]).astype(object),
        "lon": lon, "lat": lat, "content": content,
        # Some terminals store the report time as text: '2025年9月14日 8时5分'.
        "received_as_text": rng.random(n) < 0.12,
    }


def _points_in_grids(rng: np.random.Generator, polygons: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A random point inside the polygon of each ticket's grid, rounded to 6 decimals."""
    lon, lat = np.full(grid.size, np.nan), np.full(grid.size, np.nan)
    order = np.argsort(grid, kind="stable")
    bounds = np.r_[0, np.flatnonzero(np.diff(grid[order])) + 1, grid.size]
    for a, b in zip(bounds[:-1], bounds[1:]):
        rows = order[a:b]
        polygon = polygons[grid[rows[0]]]
        minx, miny, maxx, maxy = polygon.bounds
        found_x, found_y = np.empty(0), np.empty(0)
        while found_x.size < rows.size:
            x = np.round(rng.uniform(minx, maxx, 3 * rows.size + 8), 6)
            y = np.round(rng.uniform(miny, maxy, 3 * rows.size + 8), 6)
            inside = shapely.contains_xy(polygon, x, y)
            found_x, found_y = np.r_[found_x, x[inside]], np.r_[found_y, y[inside]]
        lon[rows], lat[rows] = found_x[: rows.size], found_y[: rows.size]
    return lon, lat
