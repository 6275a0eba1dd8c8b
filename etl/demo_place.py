"""Places in the demo district (``etl.demo``): outline, grids, communities, streets, compounds,
property companies and their daily inspections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from etl import demo_vocab as V
from etl.demo_calendar import DAY, MONTHS, Period, sequence_within

KM_PER_DEG_LON = 111.32 * math.cos(math.radians(V.DISTRICT_LAT))
KM_PER_DEG_LAT = 110.77
CORE = np.array([-1.5, 0.8])  # the old town centre, km from the district's reference point


@dataclass
class District:
    outline: shapely.Polygon  # lon/lat
    grids: pd.DataFrame  # one row per grid, in grid_code order; ``geometry`` holds lon/lat polygons
    roads: dict[str, list[str]]  # street name -> its roads


def build_district(rng: np.random.Generator) -> District:
    """~650 grids tiling an irregular outline, in 60 communities and 8 streets, with their people."""
    outline = _outline(rng)
    points = _grid_seeds(rng, outline, 650)
    for _ in range(2):  # Lloyd relaxation: fewer slivers, the dense core survives
        cells = _voronoi_cells(points, outline)
        points = shapely.get_coordinates(shapely.centroid(cells))
    cells = _voronoi_cells(points, outline)
    centroids = shapely.get_coordinates(shapely.centroid(cells))

    community_of = _kmeans(rng, centroids, 60)
    community_xy = np.array([centroids[community_of == c].mean(axis=0) for c in range(60)])
    street_of_community = _streets(rng, community_xy)  # index into V.STREETS

    # Villages: every community of the town, then the communities farthest out, 14 in all.
    in_town = street_of_community == len(V.STREETS) - 1
    outer_first = np.argsort(-np.where(in_town, -1.0, np.hypot(*(community_xy - CORE).T)))
    is_village = in_town.copy()
    is_village[outer_first[: max(0, 14 - int(in_town.sum()))]] = True

    rows = []
    urban_names, village_names = iter(V.URBAN_COMMUNITIES), iter(V.VILLAGES)
    order = sorted(range(60), key=lambda c: (street_of_community[c], -community_xy[c, 1], community_xy[c, 0]))
    community_seq: dict[int, int] = {}
    community_name: dict[int, str] = {}
    for c in order:
        s = street_of_community[c]
        community_seq[c] = sum(1 for k in community_seq if street_of_community[k] == s) + 1
        community_name[c] = f"{next(village_names)}村" if is_village[c] else f"{next(urban_names)}社区"
    for c in order:
        s = street_of_community[c]
        members = np.flatnonzero(community_of == c)
        members = members[np.lexsort((centroids[members, 0], -centroids[members, 1]))]
        for g_seq, g in enumerate(members, start=1):
            rows.append({
                "cell": g,
                "grid_code": f"S{s + 1:02d}C{community_seq[c]:02d}G{g_seq:02d}",
                "community_code": f"S{s + 1:02d}C{community_seq[c]:02d}",
                "community_name": community_name[c],
                "street_code": f"S{s + 1:02d}",
                "street_name": V.STREETS[s],
                "is_rural": bool(is_village[c]),
            })
    grids = pd.DataFrame(rows).sort_values("grid_code", ignore_index=True)
    n = len(grids)
    grids["x"], grids["y"] = centroids[grids["cell"], 0], centroids[grids["cell"], 1]
    grids["core_km"] = np.hypot(grids["x"] - CORE[0], grids["y"] - CORE[1])

    grid_type = np.where(grids["is_rural"], "农村网格", "综合网格").astype(object)
    urban = np.flatnonzero(~grids["is_rural"].to_numpy())
    dedicated = np.sort(rng.choice(urban, size=len(V.DEDICATED_UNITS), replace=False))
    grid_type[dedicated] = "专属网格"
    grids["grid_type"] = grid_type
    # "东风社区第3网格" is grid G03 of 东风社区; a dedicated grid is named after what it covers.
    unit_of = dict(zip(dedicated, V.DEDICATED_UNITS))
    grids["grid_name"] = [f"{unit_of[i]}专属网格" if i in unit_of else f"{row.community_name}第{int(row.grid_code[-2:])}网格"
                          for i, row in enumerate(grids.itertuples())]

    low = np.where(grid_type == "综合网格", 220, 150)
    high = np.where(grid_type == "综合网格", 600, np.where(grid_type == "农村网格", 420, 320))
    households = rng.integers(low, high + 1)
    red = np.round(households * rng.uniform(0.01, 0.04, n)).astype(int)
    yellow = np.round(households * rng.uniform(0.06, 0.10, n)).astype(int)
    grids["households"] = households
    grids["population"] = np.round(households * rng.normal(2.6, 0.15, n)).astype(int)
    grids["red_households"], grids["yellow_households"] = red, yellow
    grids["green_households"] = households - red - yellow
    workers = person_names(rng, n + n // 8)
    second = rng.random(n) < 0.1
    grids["worker_name"] = [f"{workers[i]}、{workers[n + i % (n // 8)]}" if second[i] else workers[i] for i in range(n)]
    # About 5% of grids are chronically late: slow to respond, often overdue, less satisfied callers.
    grids["is_late"] = rng.random(n) < 0.05

    to_lonlat = lambda xy: np.round(np.column_stack([V.DISTRICT_LON + xy[:, 0] / KM_PER_DEG_LON,
                                                     V.DISTRICT_LAT + xy[:, 1] / KM_PER_DEG_LAT]), 6)
    grids["geometry"] = shapely.make_valid(shapely.transform(cells[grids["cell"].to_numpy()], to_lonlat))
    outline_ll = shapely.transform(outline, to_lonlat)

    shuffled = list(rng.permutation(V.ROADS))
    per_street = len(shuffled) // len(V.STREETS)
    roads = {name: shuffled[i * per_street:(i + 1) * per_street] for i, name in enumerate(V.STREETS)}
    return District(outline_ll, grids.drop(columns="cell"), roads)


def _outline(rng: np.random.Generator) -> shapely.Polygon:
    """An irregular, roughly 20 km x 16 km district in km around the reference point."""
    theta = np.linspace(0, 2 * np.pi, 44, endpoint=False)
    radius = 1 + rng.normal(0, 0.012, theta.size)
    for k, amplitude in zip(range(2, 6), (0.07, 0.05, 0.035, 0.025)):
        radius += amplitude * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    x, y = radius * np.cos(theta), radius * np.sin(theta)
    x = (x - (x.max() + x.min()) / 2) * 20 / (x.max() - x.min())
    y = (y - (y.max() + y.min()) / 2) * 16 / (y.max() - y.min())
    return shapely.Polygon(np.column_stack([x, y]))


def _grid_seeds(rng: np.random.Generator, outline: shapely.Polygon, n: int) -> np.ndarray:
    """Seed points denser in the old town than in the countryside."""
    minx, miny, maxx, maxy = outline.bounds
    dense = rng.normal(CORE, 3.0, size=(n * 3, 2))
    sparse = rng.uniform((minx, miny), (maxx, maxy), size=(n * 3, 2))
    dense = dense[shapely.contains_xy(outline, dense[:, 0], dense[:, 1])][: int(n * 0.6)]
    sparse = sparse[shapely.contains_xy(outline, sparse[:, 0], sparse[:, 1])][: n - len(dense)]
    return np.vstack([dense, sparse])


def _voronoi_cells(points: np.ndarray, outline: shapely.Polygon) -> np.ndarray:
    """Voronoi cells of the points clipped to the outline: one polygon per point, tiling the outline."""
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=outline, ordered=True)
    clipped = shapely.intersection(shapely.get_parts(diagram), outline)
    cells, strays = [], []
    for geometry in clipped:
        parts = sorted((p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon"), key=lambda p: -p.area)
        cells.append(parts[0])
        strays += parts[1:]
    # A cell cut in two by a concave stretch of the outline: its stray piece goes to the neighbour
    # sharing the longest border, so the cells still tile the outline exactly.
    tree = shapely.STRtree(cells)
    for piece in strays:
        candidates = tree.query(piece, predicate="intersects")
        best = max(candidates, key=lambda j: shapely.intersection(piece.boundary, cells[j].boundary).length)
        cells[best] = shapely.union(cells[best], piece)
    return np.array(cells, dtype=object)


def _streets(rng: np.random.Generator, community_xy: np.ndarray) -> np.ndarray:
    """Street index (into V.STREETS) of each community, about the same number of communities each.

    The rural town (越州镇, last) is the cap of communities farthest out in one direction; the old
    town (翠湖街道, first) is the ring nearest the core; the other six streets are slices around it.
    """
    n = len(community_xy)
    per_street = n // len(V.STREETS)
    offset = community_xy - CORE
    direction = rng.uniform(0, 2 * np.pi)
    street = np.zeros(n, dtype=int)
    town = np.argsort(-(offset @ np.array([np.cos(direction), np.sin(direction)])))[:per_street]
    street[town] = len(V.STREETS) - 1
    rest = np.setdiff1d(np.arange(n), town)
    rest = rest[np.argsort(np.hypot(offset[rest, 0], offset[rest, 1]))]
    outer = rest[per_street + 1:]  # the nearest per_street + 1 stay in the old town (street 0)
    angle = (np.arctan2(offset[outer, 1], offset[outer, 0]) - direction) % (2 * np.pi)
    for rank, members in enumerate(np.array_split(outer[np.argsort(angle)], len(V.STREETS) - 2), start=1):
        street[members] = rank
    return street


def _kmeans(rng: np.random.Generator, points: np.ndarray, k: int, iterations: int = 25) -> np.ndarray:
    """Cluster label of each point: contiguous clusters of similar size in count."""
    centres = points[rng.choice(len(points), size=k, replace=False)]
    for _ in range(iterations):
        label = np.argmin(((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
        for c in range(k):
            members = points[label == c]
            # An empty cluster restarts at the point farthest from its current centre.
            centres[c] = members.mean(axis=0) if len(members) else points[np.argmax(((points - centres[label]) ** 2).sum(axis=1))]
    return np.argmin(((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Chinese personal names, with a few compound surnames such as 欧阳."""
    surnames = np.array(list(V.SURNAMES) + V.COMPOUND_SURNAMES)
    weights = np.concatenate([1 / np.arange(1, len(V.SURNAMES) + 1) ** 0.6, np.full(len(V.COMPOUND_SURNAMES), 0.01)])
    chars = np.array(list(V.GIVEN_CHARS))
    surname = surnames[rng.choice(len(surnames), size=n, p=weights / weights.sum())]
    first = chars[rng.integers(0, len(chars), n)]
    second = np.where(rng.random(n) < 0.7, chars[rng.integers(0, len(chars), n)], "")
    return np.char.add(np.char.add(surname, first), second).astype(object)


def build_compounds(rng: np.random.Generator, district: District, n: int = 700) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compounds (mostly in the urban grids near the core) and the property companies running them.

    Companies: 40, sizes spread like real markets, three with a single compound below 100
    households, four poorly run (``is_poor``: low inspection scores, three times the complaints).
    """
    grids = district.grids
    names = _compound_names(rng, district, n)
    type_factor = grids["grid_type"].map({"综合网格": 1.0, "专属网格": 0.15, "农村网格": 0.08}).to_numpy()
    weight = type_factor * np.exp(-grids["core_km"].to_numpy() / 6.0)
    grid_idx = np.sort(rng.choice(len(grids), size=n, p=weight / weight.sum()))
    households = np.clip(np.round(rng.lognormal(math.log(420), 0.6, n)), 80, 1500).astype(int)

    stems = list(rng.permutation(V.COMPANY_STEMS))
    suffixes = rng.choice(len(V.COMPANY_SUFFIXES), size=len(stems), p=[0.35, 0.3, 0.25, 0.1])
    company_names = [stem + V.COMPANY_SUFFIXES[s] for stem, s in zip(stems, suffixes)]
    n_companies = len(company_names)
    # Three small companies run one small compound each (below 100 households in total).
    tiny = np.arange(n_companies - 3, n_companies)
    company = np.empty(n, dtype=int)
    tiny_compounds = rng.choice(n, size=len(tiny), replace=False)
    company[tiny_compounds] = tiny
    households[tiny_compounds] = rng.integers(80, 100, len(tiny))
    # The others: each runs at least one compound, a few run dozens.
    n_regular = n_companies - len(tiny)
    rest = rng.permutation(np.setdiff1d(np.arange(n), tiny_compounds))
    share = 1 / np.arange(1, n_regular + 1) ** 0.9
    company[rest[:n_regular]] = np.arange(n_regular)
    company[rest[n_regular:]] = rng.choice(n_regular, size=len(rest) - n_regular, p=share / share.sum())
    # A few poorly run companies among the mid-sized ones: low scores, more complaints.
    poor = np.sort(rng.choice(np.arange(3, 20), size=4, replace=False))
    companies = pd.DataFrame({
        "company_name": company_names,
        "is_poor": np.isin(np.arange(n_companies), poor),
        "quality": rng.normal(88, 2.5, n_companies),
    })
    companies.loc[companies["is_poor"], "quality"] = rng.normal(72, 3, len(poor))

    street = grids["street_name"].to_numpy()[grid_idx]
    road_idx = rng.integers(0, 10_000, n)
    roads = np.array([district.roads[s][r % len(district.roads[s])] for s, r in zip(street, road_idx)], dtype=object)
    numbers = rng.integers(1, 400, n)
    compounds = pd.DataFrame({
        "compound_code": [f"XQ{i + 1:04d}" for i in range(n)],
        "compound_name": names,
        "grid_idx": grid_idx,
        "grid_code": grids["grid_code"].to_numpy()[grid_idx],
        "community_name": grids["community_name"].to_numpy()[grid_idx],
        "street_name": street,
        "company_idx": company,
        "company_name": np.array(company_names, dtype=object)[company],
        "households": households,
        "road": roads,
        "number": numbers,
        # How often residents call about property management, beyond size and company.
        "complaint_weight": households * np.where(companies["is_poor"].to_numpy()[company], 3.0, 1.0)
        * rng.lognormal(0, 0.5, n),
    })
    compounds["address"] = [f"{V.DISTRICT}{s}{r}{k}号" for s, r, k in zip(street, roads, numbers)]
    return compounds, companies


def _compound_names(rng: np.random.Generator, district: District, n: int) -> np.ndarray:
    """Unique compound names, none of which is part of another name or of a place name."""
    candidates = [p + s for p in V.COMPOUND_PREFIXES for s in V.COMPOUND_SUFFIXES if not p.endswith(s[0])]
    places = set(V.ROADS) | set(V.STREETS) | set(district.grids["community_name"]) | set(district.grids["grid_name"])
    blob = "\n".join(candidates)
    usable = [c for c in candidates if blob.count(c) == 1 and not any(c in place for place in places)]
    return np.array(usable, dtype=object)[np.sort(rng.choice(len(usable), size=n, replace=False))][rng.permutation(n)]


def build_inspections(rng: np.random.Generator, compounds: pd.DataFrame, companies: pd.DataFrame,
                      period: Period) -> pd.DataFrame:
    """2-4 inspections per compound per month, on working days, scored by how well each company runs."""
    n_compounds = len(compounds)
    per_month = rng.integers(2, 5, size=(MONTHS, n_compounds))
    month = np.repeat(np.arange(MONTHS), per_month.sum(axis=1))
    compound = np.concatenate([np.repeat(np.arange(n_compounds), per_month[m]) for m in range(MONTHS)])
    starts = period.month_starts
    # Inspectors visit on working days only.
    day = np.empty(len(month), dtype=np.int64)
    u = rng.random(len(month))
    for m in range(MONTHS):
        days = np.arange(starts[m] // DAY, starts[m + 1] // DAY)
        workdays = days[np.is_busday(days.astype("datetime64[D]"), holidays=period.holidays)]
        rows = month == m
        day[rows] = workdays[(u[rows] * workdays.size).astype(int)]
    company = compounds["company_idx"].to_numpy()[compound]
    keep = day * DAY < period.end
    # Two companies with several compounds, not among the poorly run ones, skip one month entirely.
    sizes = np.bincount(compounds["company_idx"], minlength=len(companies))
    skipping = rng.choice(np.flatnonzero(~companies["is_poor"].to_numpy() & (sizes >= 3)), size=2, replace=False)
    for c, skipped_month in zip(skipping, rng.integers(3, 9, size=2)):
        keep &= ~((company == c) & (month == skipped_month))

    compound_offset = rng.normal(0, 2.0, n_compounds)
    score = companies["quality"].to_numpy()[company] + compound_offset[compound] + rng.normal(0, 4.0, len(month))
    frame = pd.DataFrame({
        "day": day,
        "compound_idx": compound,
        "item": np.array(V.INSPECTION_ITEMS, dtype=object)[rng.integers(0, len(V.INSPECTION_ITEMS), len(month))],
        "score": np.round(np.clip(score, 0, 100), 1),
        "inspector": np.array(V.INSPECTORS, dtype=object)[rng.integers(0, len(V.INSPECTORS), len(month))],
    })[keep].sort_values(["day", "compound_idx"], kind="stable", ignore_index=True)
    frame["company_name"] = compounds["company_name"].to_numpy()[frame["compound_idx"]]
    frame["compound_name"] = compounds["compound_name"].to_numpy()[frame["compound_idx"]]
    yyyymm = frame["day"].to_numpy().astype("datetime64[D]").astype("datetime64[M]")
    seq = sequence_within(yyyymm.astype(np.int64))
    frame["inspection_id"] = [f"KH{str(m).replace('-', '')}{s:05d}" for m, s in zip(yyyymm, seq)]
    return frame
