"""Maps as plain functions: a DataFrame in, a ``pydeck.Deck`` out, testable without Streamlit.

Every deck must work on an intranet with no internet:

- the basemap is ``static/blank-style.json`` served by Streamlit at :data:`BLANK_STYLE_URL`
  (``server.enableStaticServing``), or a site's intranet style named by ``$ONESCREEN_MAP_STYLE``
  (:func:`onescreen.settings.map_style_url`). An empty ``map_style`` makes Streamlit's frontend substitute a
  Carto style from the internet, and a style passed as a dict breaks the frontend;
- ``map_provider`` is ``None`` so no provider key or provider default style is involved.

The message sent to the browser is kept small: coordinates rounded, only the tooltip columns kept,
and JSON written compactly, without indentation and with Chinese as UTF-8 rather than escapes
(pydeck indents by default, which made a 2,000-grid map several megabytes larger).
"""

from __future__ import annotations

import functools
import html
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from onescreen.figures import shared
from onescreen.settings import BLANK_STYLE_URL, map_style_url  # noqa: F401  (BLANK_STYLE_URL re-exported)
from onescreen.ui import LIGHT_COLOURS as _LIGHT_HEX

# RGBA fill per light, the palette of onescreen.ui nearly opaque (see there why these colours); anything else
# (no data, unknown value) is drawn grey, fainter.
LIGHT_COLOURS: dict[str, list[int]] = {
    light: [int(colour[i:i + 2], 16) for i in (1, 3, 5)] + [140 if light == "grey" else 235]
    for light, colour in _LIGHT_HEX.items()
}
LINE_COLOUR = [255, 255, 255, 110]
# Besides its colour a red grid is told by a thick white outline on the interactive map and a hatch on the
# SVG one, a yellow grid by a dark outline and dots (ui.LIGHT_MARKS names them in the legends).
LINE_STYLES: dict[str, tuple[list[int], float]] = {"red": ([255, 255, 255, 255], 3.0), "yellow": ([20, 20, 20, 230], 2.0)}
# The grid chosen in the sidebar (the map shows its whole community): a thick blue outline, a colour no light uses.
SELECTED_LINE: tuple[list[int], float] = ([21, 101, 192, 255], 5.0)
_SVG_PATTERNS = {
    "red": '<pattern id="os-light-red" patternUnits="userSpaceOnUse" width="7" height="7" '
           'patternTransform="rotate(45)"><rect width="7" height="7" fill="{fill}"/>'
           '<rect width="2.2" height="7" fill="#ffffff" fill-opacity="0.85"/></pattern>',
    "yellow": '<pattern id="os-light-yellow" patternUnits="userSpaceOnUse" width="7" height="7">'
              '<rect width="7" height="7" fill="{fill}"/><circle cx="3.5" cy="3.5" r="0.9" fill="#1b1b1b" '
              'fill-opacity="0.5"/></pattern>',
}
# The white outline is all but lost between two light yellow grids: theirs is dark.
_SVG_STROKES = {"yellow": ' stroke="rgba(11,26,51,0.55)"'}

# Used only when there is nothing to fit the view to: roughly the whole of China.
_FALLBACK_VIEW = {"latitude": 35.0, "longitude": 105.0, "zoom": 3.0}


class CompactDeck(pdk.Deck):
    """A ``pydeck.Deck`` whose JSON has no indentation or spaces.

    ``st.pydeck_chart`` sends ``deck.to_json()`` to the browser, so this is what keeps the
    websocket message small.
    """

    def to_json(self) -> str:
        return json.dumps(
            self, sort_keys=True, default=default_serialize, separators=(",", ":"), ensure_ascii=False
        )


def grid_light_deck(
    grids_df: pd.DataFrame,
    *,
    tooltip_fields: Mapping[str, str] | Sequence[str] = (),
    light_column: str = "light",
    geometry_column: str = "geometry_geojson",
    precision: int = 5,
    simplify_tolerance: float | None = None,
    height: int = 500,
    width_px: int = 1000,
    selected: str | None = None,
) -> pdk.Deck:
    """Grid polygons coloured by traffic light, with the view fitted to the data.

    ``grids_df`` has one row per grid: ``geometry_column`` holds a GeoJSON Polygon or MultiPolygon
    as a string (rows where it is null are left off the map), ``light_column`` one of
    ``green``/``yellow``/``red``/``grey`` (anything else is grey). ``tooltip_fields`` names the
    columns shown on hover, either as ``{column: 中文标签}`` or a list of columns (labelled by
    name); only those columns are sent to the browser. Coordinates are rounded to ``precision``
    decimals (5 is about one metre); ``simplify_tolerance`` (degrees) simplifies each shape first.
    ``width_px`` and ``height`` are the expected size of the map, used to choose the zoom. The grid whose
    ``grid_code`` is ``selected`` (chosen in the sidebar, drawn among its community's grids) gets a thick blue
    outline, in a layer of its own on top (:data:`SELECTED_LINE`).

    Raises ``ValueError`` naming the row when a geometry is not a GeoJSON polygon.
    """
    labels = _tooltip_labels(tooltip_fields)
    records: list[dict[str, Any]] = []
    for light, _, polygons, extra in _grid_shapes(grids_df, labels, light_column, geometry_column,
                                                  simplify_tolerance, precision, "grid_light_deck"):
        line, width = LINE_STYLES.get(light, (LINE_COLOUR, 1.0))
        for rounded in polygons:
            records.append({"polygon": rounded, "fill": LIGHT_COLOURS[light], "line": line, "width": width, **extra})

    layer = pdk.Layer(
        "PolygonLayer",
        data=records,
        id="grid-light",
        get_polygon="polygon",
        get_fill_color="fill",
        get_line_color="line",
        get_line_width="width",
        line_width_units='"pixels"',  # quoted: pydeck sends a bare string as an accessor ("@@=pixels")
        line_width_min_pixels=1,
        stroked=True,
        filled=True,
        pickable=bool(labels),
    )
    layers = [layer]
    if selected is not None and "grid_code" in grids_df.columns:
        chosen = grids_df[grids_df["grid_code"] == selected]
        outlines = [{"polygon": rounded} for _, _, polygons, _ in _grid_shapes(
            chosen, {}, light_column, geometry_column, simplify_tolerance, precision, "grid_light_deck")
            for rounded in polygons]
        if outlines:
            line, width = SELECTED_LINE
            layers.append(pdk.Layer("PolygonLayer", data=outlines, id="grid-selected", get_polygon="polygon",
                                    get_line_color=line, get_line_width=width, line_width_units='"pixels"',
                                    stroked=True, filled=False, pickable=False))
    tooltip: dict[str, Any] | bool = False
    if labels:
        html = "<br/>".join(f"<b>{label}</b>：{{{col}}}" for col, label in labels.items())
        tooltip = {"html": html, "style": {"fontSize": "13px"}}
    return CompactDeck(
        layers=layers,
        initial_view_state=pdk.ViewState(**_fitted_view(records, width_px, height)),
        map_style=map_style_url(),
        map_provider=None,
        tooltip=tooltip,
        height=height,
    )


def _grid_shapes(grids_df: pd.DataFrame, labels: dict[str, str], light_column: str, geometry_column: str,
                 simplify_tolerance: float | None, precision: int, caller: str):
    """Each grid with a shape, for the deck and the SVG map alike: ``(light, geometry, polygons, tooltip)``,
    the light one of :data:`LIGHT_COLOURS` (anything else grey), the geometry as given, its polygons
    simplified and rounded, and ``{column: value}`` for ``labels``' columns. Rows without a shape are left
    out; a missing column raises ``ValueError`` naming ``caller``."""
    missing = [c for c in [geometry_column, light_column, *labels] if c not in grids_df.columns]
    if missing:
        raise ValueError(f"{caller}: missing columns {missing}")
    tooltip_values = {col: _plain_values(grids_df[col]) for col in labels}
    lights = grids_df[light_column].tolist()
    for pos, (index, geometry) in enumerate(zip(grids_df.index, grids_df[geometry_column])):
        if geometry is None or (isinstance(geometry, float) and math.isnan(geometry)):
            continue
        light = str(lights[pos]).lower()
        yield (light if light in LIGHT_COLOURS else "grey", geometry,
               _rounded_polygons(geometry, index, simplify_tolerance, precision),
               {col: values[pos] for col, values in tooltip_values.items()})


def _tooltip_labels(fields: Mapping[str, str] | Sequence[str]) -> dict[str, str]:
    if isinstance(fields, Mapping):
        return dict(fields)
    if isinstance(fields, str):
        return {fields: fields}
    return {col: col for col in fields}


def _plain_values(series: pd.Series) -> list[Any]:
    """Python scalars (JSON-serialisable), with missing values shown as a dash."""
    return ["—" if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in series.tolist()]


def _rounded_polygons(geometry: Any, index: Any, simplify_tolerance: float | None, precision: int) -> list[list[list]]:
    """The polygons of one shape, simplified and with rounded coordinates.

    A shape given as GeoJSON text (as the queries return it) is worked out once and then remembered:
    the big screen and the light map draw the same 650 grids at every rerun, and simplifying them
    took 150 ms of each. The polygons are shared: read them, never change them."""
    if isinstance(geometry, str):
        try:
            return _rounded_polygons_from_text(geometry, simplify_tolerance, precision)
        except ValueError:
            pass  # not remembered: raised again below, naming the row
    return _round(_polygons(geometry, index, simplify_tolerance), precision)


@functools.lru_cache(maxsize=50_000)
def _rounded_polygons_from_text(geometry: str, simplify_tolerance: float | None, precision: int) -> list[list[list]]:
    return _round(_polygons(geometry, None, simplify_tolerance), precision)


def _round(polygons: list[list[list]], precision: int) -> list[list[list]]:
    return [[[[round(x, precision), round(y, precision)] for x, y, *_ in ring] for ring in rings] for rings in polygons]


def _polygons(geometry: Any, index: Any, simplify_tolerance: float | None) -> list[list[list]]:
    """The polygons (each a list of rings) of one GeoJSON Polygon or MultiPolygon."""
    try:
        geo = json.loads(geometry) if isinstance(geometry, str) else geometry
        kind = geo["type"]
        if simplify_tolerance:
            from shapely.geometry import mapping, shape

            geo = json.loads(json.dumps(mapping(shape(geo).simplify(simplify_tolerance, preserve_topology=True))))
            kind = geo["type"]
        if kind == "Polygon":
            return [geo["coordinates"]]
        if kind == "MultiPolygon":
            return list(geo["coordinates"])
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"grid_light_deck: row {index!r}: geometry is not valid GeoJSON ({exc})") from exc
    raise ValueError(f"grid_light_deck: row {index!r}: geometry type {kind!r} is not Polygon or MultiPolygon")


def _mercator_y(lat: float) -> float:
    lat = max(min(lat, 85.0), -85.0)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _fitted_view(records: list[dict[str, Any]], width_px: int, height_px: int) -> dict[str, float]:
    """Centre and zoom that show every polygon with a small margin.

    deck.gl's Web Mercator world is ``512 * 2**zoom`` pixels wide (not 256 as for raster tiles).
    """
    xs = [pt[0] for r in records for pt in r["polygon"][0]]
    ys = [pt[1] for r in records for pt in r["polygon"][0]]
    if not xs:
        return dict(_FALLBACK_VIEW)
    west, east, south, north = min(xs), max(xs), min(ys), max(ys)
    lon_fraction = max(east - west, 1e-6) / 360.0
    y_fraction = max(_mercator_y(north) - _mercator_y(south), 1e-6) / (2 * math.pi)
    zoom = min(math.log2(width_px / 512 / lon_fraction), math.log2(height_px / 512 / y_fraction))
    centre_y = (_mercator_y(north) + _mercator_y(south)) / 2
    centre_lat = math.degrees(2 * math.atan(math.exp(centre_y)) - math.pi / 2)
    return {
        "latitude": round(centre_lat, 6),
        "longitude": round((west + east) / 2, 6),
        "zoom": round(max(0.0, min(zoom - 0.2, 18.0)), 2),
    }


@shared  # 14 ms for 650 grids; every wall screen of a scope draws the same map
def grid_light_svg(
    grids_df: pd.DataFrame,
    *,
    tooltip_fields: Mapping[str, str] | Sequence[str] = (),
    light_column: str = "light",
    geometry_column: str = "geometry_geojson",
    simplify_tolerance: float | None = None,
    height: int = 500,
    width_px: int = 1000,
    background: str = "#0b1a33",
    selected: str | None = None,
) -> str:
    """:func:`grid_light_deck`'s map as static SVG, for the wall screen (kiosk mode), in one ``<div>`` line
    for ``st.markdown(..., unsafe_allow_html=True)``.

    On the wall nobody pans, zooms or hovers, and deck.gl was the slowest thing left to draw there: its
    WebGL frames, rendered in software by a browser without a GPU, held the page for 2-3 s after the map
    appeared (chromium trace, docs/benchmarks.md). The same polygons (Web Mercator, fitted to
    ``width_px`` × ``height`` with a margin) as SVG paths the browser draws at once, in the same colours;
    red grids hatched and yellow ones dotted (``<pattern>`` fills, one definition each) so they are told apart
    without colour; each grid's ``<title>`` holds ``tooltip_fields``, a tooltip wherever there is a mouse. The grid
    whose ``grid_code`` is ``selected`` is outlined as on the deck (:func:`_svg_selected`). Raises
    ``ValueError`` naming the row when a geometry is not a GeoJSON polygon, as the deck does."""
    labels = _tooltip_labels(tooltip_fields)
    shapes = []
    for light, geometry, polygons, values in _grid_shapes(grids_df, labels, light_column, geometry_column,
                                                          simplify_tolerance, 5, "grid_light_svg"):
        r, g, b, a = LIGHT_COLOURS[light]
        fill = f"url(#os-light-{light})" if light in _SVG_PATTERNS else f"rgb({r},{g},{b})"
        attributes = f'fill="{fill}" fill-opacity="{a / 255:.2f}"{_SVG_STROKES.get(light, "")} data-light="{html.escape(light)}"'
        shapes.append((attributes, geometry, polygons, _tip(labels, values)))
    patterns = "".join(pattern.format(fill="rgb({},{},{})".format(*LIGHT_COLOURS[light][:3]))
                       for light, pattern in _SVG_PATTERNS.items())
    return _svg_map(shapes, simplify_tolerance, height, width_px, background, "亮灯地图", patterns,
                    _svg_selected(grids_df, selected, light_column, geometry_column, simplify_tolerance))


def grid_fill_svg(
    grids_df: pd.DataFrame,
    fills: Sequence[str],
    *,
    tooltip_fields: Mapping[str, str] | Sequence[str] = (),
    geometry_column: str = "geometry_geojson",
    simplify_tolerance: float | None = None,
    height: int = 500,
    width_px: int = 1000,
    background: str = "#0b1a33",
    label: str = "网格地图",
    selected: str | None = None,
) -> str:
    """Grids drawn as :func:`grid_light_svg` draws them, each filled with its own colour: ``fills`` (``#rrggbb``,
    one per row of ``grids_df``), for a choropleth on the wall (网格热力's tickets per 1,000 households). Each
    grid's ``<title>`` holds ``tooltip_fields``; ``label`` names the map for a screen reader; the grid whose
    ``grid_code`` is ``selected`` is outlined (:func:`_svg_selected`)."""
    labels = _tooltip_labels(tooltip_fields)
    has_shape = grids_df[geometry_column].notna().to_numpy() if geometry_column in grids_df else []
    shown = [fill for fill, kept in zip(fills, has_shape) if kept]  # _grid_shapes leaves out the rows without one
    shapes = [(f'fill="{html.escape(fill)}"', geometry, polygons, _tip(labels, values))
              for fill, (_light, geometry, polygons, values) in zip(
                  shown, _grid_shapes(grids_df.assign(_light="grey"), labels, "_light", geometry_column,
                                      simplify_tolerance, 5, "grid_fill_svg"))]
    return _svg_map(shapes, simplify_tolerance, height, width_px, background, label,
                    selected=_svg_selected(grids_df.assign(_light="grey"), selected, "_light", geometry_column,
                                           simplify_tolerance))


def _svg_selected(grids_df: pd.DataFrame, selected: str | None, light_column: str, geometry_column: str,
                  simplify_tolerance: float | None) -> list[tuple[Any, list]]:
    """(geometry, polygons) of the grid ``selected`` (a ``grid_code``), for the SVG maps' outline; none without one.
    A wall page with a grid chosen shows the grid's whole community (as the analysts' pages do): the outline says
    which of its grids was chosen, in the deck's blue (:data:`SELECTED_LINE`) over a white edge that keeps it apart
    from a red grid's hatch on the navy."""
    if not selected or "grid_code" not in grids_df.columns:
        return []
    chosen = grids_df[grids_df["grid_code"] == selected]
    return [(geometry, polygons) for _, geometry, polygons, _ in _grid_shapes(
        chosen, {}, light_column, geometry_column, simplify_tolerance, 5, "grid_selected_svg")]


def _tip(labels: dict[str, str], values: dict[str, Any]) -> str:
    return "\n".join(f"{label}：{values[col]}" for col, label in labels.items())


def _svg_map(shapes: list[tuple[str, Any, list, str]], simplify_tolerance: float | None, height: int, width_px: int,
             background: str, label: str, defs: str = "", selected: Sequence[tuple[Any, list]] = ()) -> str:
    """The SVG of :func:`grid_light_svg` and :func:`grid_fill_svg`: ``shapes`` (the path's fill attributes, the
    geometry, its polygons, the tooltip) in Web Mercator, fitted to ``width_px`` × ``height`` with a margin; the
    ``selected`` shapes ((geometry, polygons), :func:`_svg_selected`) outlined on top."""
    shapes = [shape for shape in shapes if any(rings and rings[0] for rings in shape[2])]  # an empty one draws nothing
    body = []
    bounds = [_bounds_from_text(geometry, simplify_tolerance) if isinstance(geometry, str) else _bounds(polygons)
              for _, geometry, polygons, _ in shapes]
    if bounds:
        west, east = min(b[0] for b in bounds), max(b[1] for b in bounds)
        south, north = min(b[2] for b in bounds), max(b[3] for b in bounds)
        margin = 0.04
        # Web Mercator x is in radians of longitude: the same unit as its y.
        scale = min(width_px * (1 - 2 * margin) / max(math.radians(east - west), 1e-9),
                    height * (1 - 2 * margin) / max(north - south, 1e-9))
        x0 = width_px / 2 - scale * math.radians(east - west) / 2
        y0 = height / 2 + scale * (north - south) / 2

        frame = (round(x0, 6), round(y0, 6), round(scale, 6), west, south)
        for attributes, geometry, polygons, tip in shapes:
            # The same grids in the same frame at every rerun of the wall screen: their paths are remembered.
            d = (_svg_path_from_text(geometry, simplify_tolerance, frame) if isinstance(geometry, str)
                 else _svg_path(polygons, frame))
            title = f"<title>{html.escape(tip).replace(chr(10), '&#10;')}</title>" if tip else ""  # one line
            body.append(f'<path d="{d}" {attributes}>{title}</path>')
        line = "rgb({},{},{})".format(*SELECTED_LINE[0][:3])
        for geometry, polygons in selected:
            d = (_svg_path_from_text(geometry, simplify_tolerance, frame) if isinstance(geometry, str)
                 else _svg_path(polygons, frame))
            body.append(f'<path d="{d}" fill="none" stroke="#ffffff" stroke-width="7" pointer-events="none"/>'
                        f'<path d="{d}" fill="none" stroke="{line}" stroke-width="{SELECTED_LINE[1]:g}" '
                        'pointer-events="none" data-selected="1"/>')
    return (f'<div class="os-svg-map" style="height:{height}px"><svg xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {width_px} {height}" style="width:100%;height:{height}px;display:block" role="img" '
            f'aria-label="{html.escape(label)}"><defs>{defs}</defs><rect width="{width_px}" height="{height}" fill="{background}"/>'
            f'<g fill-rule="evenodd" stroke="rgba({",".join(map(str, LINE_COLOUR[:3]))},{LINE_COLOUR[3] / 255:.2f})" '
            'stroke-width="1">' + "".join(body) + "</g></svg></div>")


@functools.lru_cache(maxsize=50_000)
def _svg_path_from_text(geometry: str, simplify_tolerance: float | None, frame: tuple) -> str:
    return _svg_path(_rounded_polygons_from_text(geometry, simplify_tolerance, 5), frame)


def _svg_path(polygons: list[list[list]], frame: tuple) -> str:
    """SVG path data of one shape's polygons (each ring closed; holes by the even-odd rule) in ``frame``:
    ``(x0, y0, scale, west, south)`` puts Web Mercator (longitude in radians, y) on the SVG's units, y down."""
    x0, y0, scale, west, south = frame
    parts = []
    for rings in polygons:
        for ring in rings:
            out, last = [], None
            for lon, lat, *_ in ring:
                xy = (round(x0 + scale * math.radians(lon - west), 1), round(y0 - scale * (_mercator_y(lat) - south), 1))
                if xy != last:  # points closer than a tenth of a unit are one
                    out.append(f"{xy[0]:g},{xy[1]:g}")
                    last = xy
            parts.append("M" + "L".join(out) + "Z")
    return "".join(parts)


@functools.lru_cache(maxsize=50_000)
def _bounds_from_text(geometry: str, simplify_tolerance: float | None) -> tuple[float, float, float, float]:
    return _bounds(_rounded_polygons_from_text(geometry, simplify_tolerance, 5))


def _bounds(polygons: list[list[list]]) -> tuple[float, float, float, float]:
    """West, east (longitude) and south, north (Web Mercator y) of the shape's outer rings."""
    xs = [pt[0] for rings in polygons for pt in rings[0]]
    ys = [_mercator_y(pt[1]) for rings in polygons for pt in rings[0]]
    return min(xs), max(xs), min(ys), max(ys)
