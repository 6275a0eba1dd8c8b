"""Figures and the density deck of the 网格热力 page: query DataFrames in, plotly Figures / pydeck Decks out.

Offline by construction: the choropleth is a plotly ``choroplethmap`` trace on ``map_style="white-bg"``
with its GeoJSON inline (no tiles, no geo file fetched), and the density deck uses the local blank
MapLibre style of :mod:`onescreen.maps`. Only aggregates reach the browser: grids, cells, matrix cells.
"""

from __future__ import annotations

import functools
import json
import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk

from onescreen.figures import on_screen, shared
from onescreen.maps import CompactDeck
from onescreen.settings import map_style_url

DENSITY_SCALE = "YlOrRd"
COUNT_SCALE = "Blues"
NO_HOUSEHOLDS_COLOUR = "#c8ccd2"
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# deck.gl colour range for the hexagons, light yellow (few) to dark red (many).
HEX_COLOURS = [[255, 255, 178], [254, 217, 118], [254, 178, 76], [253, 141, 60], [240, 59, 32], [189, 0, 38]]
OUTLINE_COLOUR = [90, 100, 115, 160]
CURRENT_COLOUR = "#d63a3a"
PREVIOUS_COLOUR = "#b8c2cf"


def _feature(code: str, geometry: Any, precision: int, simplify_tolerance: float | None) -> dict | None:
    """A GeoJSON Feature with id ``code`` and rounded coordinates; None for a missing or unusable shape.

    A shape given as GeoJSON text (as the queries return it) is parsed and rounded once and then
    remembered: the heat page draws the same 650 grids at every rerun (80 ms of each). The Feature is
    shared: read it, never change it."""
    if isinstance(geometry, str):
        return _feature_from_text(code, geometry, precision, simplify_tolerance)
    return _make_feature(code, geometry, precision, simplify_tolerance)


@functools.lru_cache(maxsize=50_000)
def _feature_from_text(code: str, geometry: str, precision: int, simplify_tolerance: float | None) -> dict | None:
    return _make_feature(code, geometry, precision, simplify_tolerance)


def _make_feature(code: str, geometry: Any, precision: int, simplify_tolerance: float | None) -> dict | None:
    if geometry is None or (isinstance(geometry, float) and math.isnan(geometry)):
        return None
    try:
        geo = json.loads(geometry) if isinstance(geometry, str) else geometry
        if simplify_tolerance:
            from shapely.geometry import mapping, shape

            geo = json.loads(json.dumps(mapping(shape(geo).simplify(simplify_tolerance, preserve_topology=True))))
        if geo["type"] not in ("Polygon", "MultiPolygon"):
            return None
    except (ValueError, TypeError, KeyError):
        return None

    def rounded(value):
        if isinstance(value[0], (int, float)):
            return [round(value[0], precision), round(value[1], precision)]
        return [rounded(part) for part in value]

    return {"type": "Feature", "id": code, "properties": {},
            "geometry": {"type": geo["type"], "coordinates": rounded(geo["coordinates"])}}


def _positions(geometry: dict) -> list[list[float]]:
    rings = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [point for polygon in rings for point in polygon[0]]


def _view(lons: list[float], lats: list[float], width_px: int, height_px: int) -> dict[str, float]:
    """Centre and zoom (512-pixel world, as MapLibre and deck.gl use) that show every point."""
    if not lons:
        return {"longitude": 105.0, "latitude": 35.0, "zoom": 3.0}
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)

    def merc(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    zoom = min(math.log2(width_px / 512 / (max(east - west, 1e-6) / 360.0)),
               math.log2(height_px / 512 / (max(merc(north) - merc(south), 1e-6) / (2 * math.pi))))
    centre_lat = math.degrees(2 * math.atan(math.exp((merc(north) + merc(south)) / 2)) - math.pi / 2)
    return {"longitude": round((west + east) / 2, 6), "latitude": round(centre_lat, 6),
            "zoom": round(max(0.0, min(zoom - 0.3, 18.0)), 2)}


@shared
def density_choropleth(grids: pd.DataFrame, *, precision: int = 5, simplify_tolerance: float | None = None,
                       height: int = 520, width_px: int = 900) -> go.Figure:
    """Grids coloured by ``tickets_per_1k_households`` (``grid_ticket_density`` query).

    Grids without households (no rate) are drawn in flat grey in a second trace; grids without a
    shape are left off. The colour bar states the unit; the hover shows the grid, its community,
    the tickets (N), the households and the rate.
    """
    features, rows = [], []
    for row in grids.itertuples(index=False):
        feature = _feature(row.grid_code, row.geometry_geojson, precision, simplify_tolerance)
        if feature is not None:
            features.append(feature)
            rows.append(row)
    shown = pd.DataFrame(rows, columns=grids.columns)
    geojson = {"type": "FeatureCollection", "features": features}
    hover = ("<b>%{customdata[0]}</b><br>%{customdata[1]} · %{customdata[2]}<br>工单 %{customdata[3]:,.0f} 件"
             " · 户数 %{customdata[4]}<br>每千户 %{customdata[5]}<extra></extra>")

    def custom(frame: pd.DataFrame) -> list[list[Any]]:
        return [[r.grid_name, r.street_name or "", r.community_name or "", r.ticket_count,
                 "—" if pd.isna(r.households) else f"{r.households:,.0f}",
                 "—（无户数）" if pd.isna(r.tickets_per_1k_households) else f"{r.tickets_per_1k_households:.1f}"]
                for r in frame.itertuples(index=False)]

    rated = shown[shown["tickets_per_1k_households"].notna()]
    unrated = shown[shown["tickets_per_1k_households"].isna()]
    fig = go.Figure()
    if not unrated.empty:
        fig.add_trace(go.Choroplethmap(
            geojson=geojson, locations=unrated["grid_code"], z=[0] * len(unrated), featureidkey="id",
            colorscale=[[0, NO_HOUSEHOLDS_COLOUR], [1, NO_HOUSEHOLDS_COLOUR]], showscale=False,
            name="无户数", marker_line_width=0.5, marker_line_color="#ffffff", customdata=custom(unrated),
            hovertemplate=hover,
        ))
    if not rated.empty:
        fig.add_trace(go.Choroplethmap(
            geojson=geojson, locations=rated["grid_code"], z=rated["tickets_per_1k_households"],
            featureidkey="id", colorscale=DENSITY_SCALE, zmin=0, marker_opacity=0.85, name="每千户工单量",
            marker_line_width=0.5, marker_line_color="#ffffff", customdata=custom(rated), hovertemplate=hover,
            colorbar=dict(title=dict(text="每千户<br>工单（件）"), thickness=14),
        ))
    points = [p for f in features for p in _positions(f["geometry"])]
    view = _view([p[0] for p in points], [p[1] for p in points], width_px, height)
    fig.update_layout(
        map=dict(style="white-bg", center=dict(lon=view["longitude"], lat=view["latitude"]), zoom=view["zoom"]),
        height=height, margin=dict(l=0, r=0, t=0, b=0), showlegend=False,
    )
    return fig


def density_deck(points: pd.DataFrame, grids: pd.DataFrame | None = None, *, radius_m: int = 250,
                 height: int = 520, width_px: int = 900) -> pdk.Deck:
    """Hexagons summing ``ticket_count`` of the located cells (``ticket_points`` query) over grid outlines.

    Rows with ``is_located`` false (tickets without coordinates) are not drawn. ``grids`` (with
    ``geometry_geojson``) adds the outlines as the base layer. The basemap is the local blank style.
    """
    located = points[points["is_located"].fillna(False).astype(bool)] if "is_located" in points else points
    cells = [{"position": [round(float(lon), 5), round(float(lat), 5)], "n": int(n)}
             for lon, lat, n in zip(located["lon"], located["lat"], located["ticket_count"])]
    layers = []
    outline_points: list[list[float]] = []
    if grids is not None and not grids.empty:
        outlines = []
        for code, geometry in zip(grids["grid_code"], grids["geometry_geojson"]):
            feature = _feature(code, geometry, 5, None)
            if feature is not None:
                ring_sets = [feature["geometry"]["coordinates"]] if feature["geometry"]["type"] == "Polygon" \
                    else feature["geometry"]["coordinates"]
                outlines += [{"polygon": rings[0]} for rings in ring_sets]
                outline_points += _positions(feature["geometry"])
        layers.append(pdk.Layer("PolygonLayer", data=outlines, id="grid-outline", get_polygon="polygon",
                                filled=False, stroked=True, get_line_color=OUTLINE_COLOUR,
                                line_width_min_pixels=1, pickable=False))
    layers.append(pdk.Layer(
        "HexagonLayer", data=cells, id="ticket-density", get_position="position", radius=radius_m,
        # pydeck turns a bare string into a JavaScript expression ("@@=SUM", undefined in the browser,
        # and nothing is drawn): the aggregation names must be passed as literal strings.
        get_color_weight="n", color_aggregation=pdk.types.String("SUM"),
        get_elevation_weight="n", elevation_aggregation=pdk.types.String("SUM"),
        extruded=False, coverage=0.9, opacity=0.75, color_range=HEX_COLOURS, pickable=True,
    ))
    base = outline_points or [c["position"] for c in cells]
    view = _view([p[0] for p in base], [p[1] for p in base], width_px, height)
    return CompactDeck(
        layers=layers, initial_view_state=pdk.ViewState(**view), map_style=map_style_url(), map_provider=None,
        tooltip={"html": "约 {colorValue} 件工单", "style": {"fontSize": "13px"}}, height=height,
    )


# Counts are written in the cells up to this many columns, at a fixed size; past it (communities: dozens) plotly
# shrank them to fit, down to 5 px at 150% zoom, and only the colours and the hover say the counts.
MATRIX_TEXT_MAX_UNITS = 10
MATRIX_TEXT_SIZE = 12


def matrix_counts_written(matrix: pd.DataFrame) -> bool:
    """Whether :func:`matrix_heatmap` writes the counts in its cells (the page says where to find them otherwise)."""
    return matrix["unit_code"].nunique() <= MATRIX_TEXT_MAX_UNITS


@shared
def matrix_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Categories (rows, most tickets on top) × streets or communities (columns): ticket counts, written in the
    cells when there are at most :data:`MATRIX_TEXT_MAX_UNITS` columns.

    ``matrix`` is the ``category_street_matrix`` query (one row per unit and category with tickets);
    missing combinations are 0.
    """
    units = matrix.drop_duplicates("unit_code")[["unit_code", "unit_name"]]
    totals = matrix.groupby("category_l1")["ticket_count"].sum().sort_values()
    grid = (matrix.pivot_table(index="category_l1", columns="unit_code", values="ticket_count", aggfunc="sum")
            .reindex(index=totals.index, columns=units["unit_code"]).fillna(0).astype(int))
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=units["unit_name"].tolist(), y=grid.index.tolist(), colorscale=COUNT_SCALE,
        texttemplate="%{z:,}" if matrix_counts_written(matrix) else None, textfont=dict(size=MATRIX_TEXT_SIZE),
        colorbar=dict(title=dict(text="件"), thickness=12), xgap=1, ygap=1,
        hovertemplate="%{x} · %{y}：%{z:,.0f} 件<extra></extra>",
    ))
    fig.update_xaxes(type="category", side="top")
    fig.update_yaxes(type="category")
    return on_screen(fig.update_layout(height=max(300, 24 * len(grid) + 120), margin=dict(l=10, r=10, t=40, b=10)))


@shared
def weekday_hour_heatmap(counts: pd.DataFrame) -> go.Figure:
    """7 × 24 heatmap of tickets by weekday of receipt (周一 on top) and hour (0-23 时)."""
    grid = (counts.pivot_table(index="weekday", columns="hour", values="ticket_count", aggfunc="sum")
            .reindex(index=range(1, 8), columns=range(24)).fillna(0).astype(int))
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=[f"{h}时" for h in range(24)], y=list(WEEKDAYS), colorscale=DENSITY_SCALE,
        colorbar=dict(title=dict(text="件"), thickness=12), xgap=1, ygap=1,
        hovertemplate="%{y} %{x}：%{z:,.0f} 件<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    return on_screen(fig.update_layout(height=300, margin=dict(l=10, r=10, t=10, b=10)))


@shared
def recurring_figure(problems: pd.DataFrame, *, top: int = 15) -> go.Figure:
    """Grouped bars of 本期 against 上期 tickets for the ``top`` recurring (place, category) pairs."""
    rows = problems.head(top).iloc[::-1]
    names = [f"{p} · {c}" for p, c in zip(rows["place_name"], rows["category_l1"])]
    fig = go.Figure([
        # pd.to_numeric: on the big screen small counts arrive as the text "<3" (onescreen.access).
        go.Bar(x=pd.to_numeric(rows["previous_ticket_count"], errors="coerce"), y=names, orientation="h", name="上期", marker_color=PREVIOUS_COLOUR,
               hovertemplate="%{y}<br>上期 %{x:,.0f} 件<extra></extra>"),
        go.Bar(x=pd.to_numeric(rows["ticket_count"], errors="coerce"), y=names, orientation="h", name="本期", marker_color=CURRENT_COLOUR,
               hovertemplate="%{y}<br>本期 %{x:,.0f} 件<extra></extra>"),
    ])
    fig.update_yaxes(type="category")
    fig.update_xaxes(title_text="件")
    return on_screen(fig.update_layout(barmode="group", height=max(260, 34 * len(rows) + 90),
                                   margin=dict(l=10, r=10, t=30, b=10),
                                   legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, traceorder="reversed")))


# The recurring problems (网格热力's 高频问题 table) in their column, 580 px at 1440 px: where, what and how many
# (now, before, the change) first; type and places after.
RECURRING_ORDER = ["排名", "地点", "一级分类", "本期（件）", "上期（件）", "变化（件）", "类型", "网格", "社区", "街道",
                   "涉及天数", "最近受理"]


def recurring_columns() -> dict:
    """Column config of the recurring problems table: short labels with the unit in the help. Counts of 1-2
    are "<3" on the big screen's tier (text), so the count columns have no number type."""
    from streamlit import column_config as column  # here: the report's command line imports the figures

    return {
        "排名": column.NumberColumn(width=44),
        "一级分类": column.Column(width=76),
        "本期（件）": column.Column("本期", width=52, help="本期受理（件）"),
        "上期（件）": column.Column("上期", width=52, help="上期受理（件）"),
        "变化（件）": column.Column("变化", width=52, help="比上期增减（件）"),
        "类型": column.Column(width=52),
    }
