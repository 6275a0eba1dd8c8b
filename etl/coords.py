"""Coordinate systems of Chinese map platforms, converted to WGS84 (what the warehouse stores).

高德 and 腾讯 export GCJ-02 (WGS84 with the state's published obfuscation, 300-600 m off in cities), 百度 BD-09
(GCJ-02 shifted once more). A ticket's point in one system against a grid shape in another lands in the
neighbouring grid without any error, so every point and every shape is turned into WGS84 as it is loaded
(``[coordinates]`` of config/rules.toml says which system each export uses).

The formulas are the widely published ones (the GCJ-02 offset of the Krasovsky ellipsoid; BD-09's
0.0065/0.006 shift and its small rotation); outside China's rough bounding box GCJ-02 adds no offset, so
none is removed there. GCJ-02 to WGS84 has no closed form: it is inverted by fixed-point iteration, to well
under a centimetre. Everything works on whole numpy arrays (a million points in well under a second).
"""

from __future__ import annotations

import numpy as np

from etl.errors import LoadError
from onescreen.rules import COORDINATE_SYSTEMS as LABELS   # how each system is named to a user

SYSTEMS = tuple(LABELS)

_A = 6378245.0                      # Krasovsky 1940 semi-major axis, as GCJ-02 uses it
_EE = 0.00669342162296594323        # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0


def _outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(d lon, d lat) in degrees that GCJ-02 adds to a WGS84 point (0 outside China)."""
    x, y = lon - 105.0, lat - 35.0
    sx = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
             + sx * 2.0 / 3.0
             + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
             + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    d_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
             + sx * 2.0 / 3.0
             + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
             + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, 0.0, d_lon), np.where(outside, 0.0, d_lat)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
    d_lon, d_lat = _gcj_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """The WGS84 point whose GCJ-02 is (lon, lat): iterate w <- g - offset(w) (the offset changes by
    about 1e-5 of a degree per degree, so each step gains five digits; four steps reach ~1e-12 degrees)."""
    lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
    w_lon, w_lat = lon, lat
    for _ in range(4):
        d_lon, d_lat = _gcj_offset(w_lon, w_lat)
        w_lon, w_lat = lon - d_lon, lat - d_lat
    return w_lon, w_lat


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, np.float64) - 0.0065, np.asarray(lat, np.float64) - 0.006
    z = np.sqrt(lon * lon + lat * lat) - 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) - 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def to_wgs84(lon, lat, system: str) -> tuple[np.ndarray, np.ndarray]:
    """Points given in ``system`` (one of :data:`SYSTEMS`) as WGS84; NaN stays NaN."""
    if system == "wgs84":
        return np.asarray(lon, np.float64), np.asarray(lat, np.float64)
    if system == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if system == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    raise ValueError(f"unknown coordinate system {system!r}")


def from_wgs84(lon, lat, system: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 points as ``system`` gives them (the inverse of :func:`to_wgs84`)."""
    if system == "wgs84":
        return np.asarray(lon, np.float64), np.asarray(lat, np.float64)
    if system == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if system == "bd09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    raise ValueError(f"unknown coordinate system {system!r}")


def configured_systems() -> tuple[str, str]:
    """(ticket points' system, grid shapes' system) from ``[coordinates]`` of the rules file; a LoadError that
    names the key when the file cannot be used (the load then changes nothing)."""
    rules = rules_for_load()
    return rules.ticket_coordinates, rules.grid_coordinates


def rules_for_load():
    """The rules file in force (onescreen.rules.Rules), or the LoadError of one 错误： line naming the key when it
    cannot be used: a load then changes nothing."""
    from onescreen.rules import RulesError, load_rules

    try:
        return load_rules()
    except RulesError as error:
        raise LoadError(f"错误：{str(error).rstrip('。')}。本次导入未写入任何数据。") from None
