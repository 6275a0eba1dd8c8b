"""Grid shapes: reading a geometry cell, its centroid, and finding the grid a point lies in."""

from __future__ import annotations

import json
import math

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import mapping, shape

from etl.coords import to_wgs84


# GEOS's reasons (shapely.is_valid_reason) for the invalid boundaries make_valid repairs, in words.
INVALID_REASONS = {"Self-intersection": "自相交", "Ring Self-intersection": "自相交",
                   "Hole lies outside shell": "内环（洞）在外环之外", "Nested holes": "内环相互嵌套",
                   "Interior is disconnected": "内部被内环分割成几块", "Nested shells": "中的几个面相互嵌套"}


class ProjectedCoordinates(ValueError):
    """Coordinates far beyond any longitude/latitude (metres of a projection such as CGCS2000 / Gauss-Kruger): said
    once for the file (:func:`etl.load_places.check_geometries`), not once per grid."""


def parse_geometry(text: str):
    """A GeoJSON geometry or WKT text as a valid shapely (Multi)Polygon; ValueError with a Chinese reason."""
    return _parse_geometry(text)[0]


def _wgs84(xy: np.ndarray, system: str) -> np.ndarray:
    return np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], system))


def _parse_geometry(text: str, system: str = "wgs84"):
    """(valid geometry in WGS84, the geometry as given if it had to be repaired, else None); ``system``: the
    coordinate system the text is in (etl.coords.SYSTEMS)."""
    text = text.strip()
    try:
        geometry = shape(json.loads(text)) if text.startswith("{") else shapely.from_wkt(text)
    except Exception:
        raise ValueError("无法识别的边界，应为 GeoJSON 几何或 WKT 文本。") from None
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"网格边界应为面（Polygon），这里是 {geometry.geom_type}。")
    if not np.isfinite(shapely.get_coordinates(geometry)).all():  # GEOS refuses NaN/Infinity with its own error
        raise ValueError("网格边界的坐标中有非数字或无穷大（NaN、Infinity），请检查坐标。")
    if system != "wgs84":
        geometry = shapely.transform(geometry, lambda xy: _wgs84(xy, system))
    given = None
    try:
        if not geometry.is_valid:
            given = geometry
            geometry = shapely.make_valid(geometry)
            if geometry.geom_type == "GeometryCollection":
                polygons = [g for g in geometry.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
                geometry = shapely.union_all(polygons) if polygons else geometry
    except GEOSException:
        raise ValueError("网格边界为空或自相交无法修复，请检查坐标。") from None
    if geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError("网格边界为空或自相交无法修复，请检查坐标。")
    minx, miny, maxx, maxy = geometry.bounds
    if not (73 <= minx <= maxx <= 136 and 3 <= miny <= maxy <= 54):
        if 73 <= miny <= maxy <= 136 and 3 <= minx <= maxx <= 54:   # (25.0, 102.7) where (102.7, 25.0) was meant
            raise ValueError("网格边界坐标的经度和纬度写反了（这里是“纬度, 经度”）：GeoJSON 要求每个点写作 [经度, 纬度]，"
                             "请在导出时调换顺序。")
        if max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90:   # metres, not degrees
            raise ProjectedCoordinates("网格边界是投影坐标（米），不是经纬度（度）。")
        raise ValueError("网格边界坐标不在中国经纬度范围内，请确认使用 WGS84/GCJ-02 经纬度（度）而非投影坐标。")
    return geometry, given


def area_m2(geometry) -> float:
    """The area in square metres of a (Multi)Polygon in longitude/latitude degrees (WGS84; GCJ-02's
    offset of a few hundred metres changes it by less than 0.01%).

    Measured in the cylindrical equal-area projection of the WGS84 ellipsoid (Snyder, Map Projections,
    eq. 3-12): equal-area, so the shoelace area there is the area on the ellipsoid of the shape whose
    edges are straight in longitude/latitude, as the boundaries are stored. An invalid shape gets its
    rings' shoelace area, as GIS software shows it (the loops of a bow-tie cancel out)."""
    a, e = 6378137.0, math.sqrt(6.69437999014e-3)

    def project(coordinates):
        sin = np.sin(np.radians(coordinates[:, 1]))
        q = (1 - e * e) * (sin / (1 - (e * sin) ** 2) - np.log((1 - e * sin) / (1 + e * sin)) / (2 * e))
        return np.column_stack([a * np.radians(coordinates[:, 0]), a * q / 2])

    return float(shapely.transform(geometry, project).area)


def geometry_record(text: str, system: str = "wgs84") -> tuple[str, float, float, tuple[str, float, float] | None]:
    """(GeoJSON text in WGS84, centroid lon, centroid lat, repair) for a geometry cell given in ``system``;
    ``repair`` is None for a valid boundary, else (what was wrong in words, area as given, area as repaired, in m²)."""
    geometry, given = _parse_geometry(text, system)
    point = geometry.representative_point() if not geometry.centroid.within(geometry) else geometry.centroid
    repair = None
    if given is not None:
        reason = shapely.is_valid_reason(given).split("[", 1)[0]
        repair = (INVALID_REASONS.get(reason, "无效"), area_m2(given), area_m2(geometry))
    return json.dumps(mapping(geometry), ensure_ascii=False, separators=(",", ":")), round(point.x, 6), round(point.y, 6), repair


def merge_geometries(texts: list[str]) -> str:
    """The parts of one grid given as several features (an enclave, 飞地网格) as one GeoJSON geometry: their union,
    a MultiPolygon when the parts do not touch. ValueError (a Chinese reason) when a part cannot be read."""
    merged = shapely.union_all([parse_geometry(text) for text in texts])
    return json.dumps(mapping(merged), ensure_ascii=False, separators=(",", ":"))


class GridIndex:
    """An STRtree over grid polygons: ``locate(lon, lat)`` gives the grid code of each point or None."""

    def __init__(self, codes: list[str], geometries: list):
        self.codes = np.array(codes, dtype=object)
        self.tree = shapely.STRtree(geometries)

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        points = shapely.points(lon, lat)
        result = np.full(len(points), None, dtype=object)
        point_index, grid_index = self.tree.query(points, predicate="intersects")
        # A point on a shared border belongs to the first grid found, deterministically.
        order = np.lexsort((grid_index, point_index))
        point_index, grid_index = point_index[order], grid_index[order]
        first = np.unique(point_index, return_index=True)[1]
        result[point_index[first]] = self.codes[grid_index[first]]
        return result


def grid_index(con) -> GridIndex | None:
    """The index over every grid with a shape in ``dim_grids``, or None if there is none."""
    rows = con.execute("select grid_code, geometry_geojson from dim_grids where geometry_geojson is not null order by grid_code").fetchall()
    if not rows:
        return None
    return GridIndex([r[0] for r in rows], [shape(json.loads(r[1])) for r in rows])
