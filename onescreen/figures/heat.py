"""Figures and the density deck of the 网格热力 page: query DataFrames in, plotly Figures / pydeck Decks out.

Offline by construction: the choropleth is a plotly ``choroplethmap`` trace on ``map_style="white-bg"``
with its GeoJSON inline (no tiles, no geo file fetched), and the density deck uses the local blank
MapLibre style of :mod:`onescreen.maps`. Only aggregates reach the browser: grids, cells, matrix cells.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk

from onescreen.figures import nice_ticks, on_screen, shared
from onescreen.figures.lists import SELECTED_MARK
from onescreen.maps import SELECTED_LINE, CompactDeck
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


# The colour scale of tickets per 1,000 households, on both maps of 网格热力 (:func:`density_scale`).
SCALE_MIN_HOUSEHOLDS = 100  # a grid with fewer households does not set the scale: one ticket moves its rate by 10+
SCALE_MIN_GRIDS = 10        # fewer grids setting the scale: too few to call one an outlier, the top is the largest
SCALE_PERCENTILE = 95
SCALE_OUTLIER_RATIO = 2.0   # a rate more than this times the 95th percentile is an outlier
SCALE_TICK_ROOM = 0.85      # when the top is "≥ 120", round ticks above this share of it are left out (no overlap)


@dataclass(frozen=True)
class DensityScale:
    """Where the colours of tickets per 1,000 households end: :func:`density_scale`'s answer."""

    top: float              # the scale runs from 0 to ``top``; a grid above it is drawn in the darkest colour
    above_count: int        # grids with a rate above ``top`` (clipped)
    small_above_count: int  # of those, grids with fewer than SCALE_MIN_HOUSEHOLDS households
    maximum: float          # the largest rate of all (0 without any)

    @property
    def is_clipped(self) -> bool:
        return self.above_count > 0

    def ticks(self) -> list[tuple[float, str]]:
        """The legend's ticks: :func:`density_ticks`."""
        return density_ticks(self.top, self.is_clipped)


def density_scale(grids: pd.DataFrame) -> DensityScale:
    """The top of the colour scale of ``tickets_per_1k_households`` (the ``grid_ticket_density`` query, with
    ``households``) on the heat page's two maps, the desk's choropleth and the wall's SVG map. The bottom is 0.

    The rule, so that one outlier does not make every other grid pale:

    1. Only grids with at least :data:`SCALE_MIN_HOUSEHOLDS` (100) households set the scale: the rate of a small
       grid (a school, a market, 40 households) is unstable, 30 tickets there are 750 per 1,000. When no grid
       with a rate has that many households, all grids with a rate set it; when none of those setting it has a
       ticket, the largest rate of all is the top.
    2. With fewer than :data:`SCALE_MIN_GRIDS` (10) such grids, the top is their largest rate: too few grids to
       call one an outlier, and each can be read on its own.
    3. Otherwise the top is the largest of their rates that is at most :data:`SCALE_OUTLIER_RATIO` (2) times
       their 95th percentile (nearest rank below, so a single outlier never sets it). A normal spread has its
       largest rate well within twice the 95th percentile: the top is the largest rate and nothing is clipped.
       (When that percentile is 0, nearly every grid without a ticket, the top is the largest rate.)

    Every grid above the top (outliers and small grids alike) is drawn in the darkest colour, and the legend
    ends ``≥ top``; hovers and lists keep each grid's exact rate. Grids without households have no rate (grey).
    """
    rated = grids[grids["tickets_per_1k_households"].notna()]
    rates = rated["tickets_per_1k_households"].astype(float)
    if rates.empty:
        return DensityScale(0.0, 0, 0, 0.0)
    households = pd.to_numeric(rated["households"], errors="coerce")
    large = households >= SCALE_MIN_HOUSEHOLDS
    setting = rates[large] if large.any() else rates
    top = float(setting.max())
    if len(setting) >= SCALE_MIN_GRIDS:
        percentile = float(setting.quantile(SCALE_PERCENTILE / 100, interpolation="lower"))
        if percentile > 0:
            top = float(setting[setting <= SCALE_OUTLIER_RATIO * percentile].max())
    if top <= 0:  # the grids setting the scale have no tickets: the others' largest rate, nothing clipped
        top = float(rates.max())
    above = rates > top
    return DensityScale(top=top, above_count=int(above.sum()), small_above_count=int((above & ~large).sum()),
                        maximum=float(rates.max()))


def density_ticks(top: float, clipped: bool = False) -> list[tuple[float, str]]:
    """The ticks of a density legend from 0 to ``top`` as (value, label): round values, and when grids are above
    the top (``clipped``, :attr:`DensityScale.is_clipped`), the top itself labelled ``≥ top`` with the round
    values too close to it left out."""
    if top <= 0:
        return [(0.0, "0")]
    ticks = [(t, f"{t:g}") for t in nice_ticks(0, top, 5)]
    if not clipped:
        return ticks
    return [(t, label) for t, label in ticks if t <= SCALE_TICK_ROOM * top] + [(top, f"≥ {top:.1f}")]


def density_scale_note(scale: DensityScale, where: str) -> str:
    """The sentence under a map whose scale is clipped: how many grids are above its top and ``where`` to read
    their exact values; "" when none is."""
    if not scale.is_clipped:
        return ""
    small = (f"其中 {scale.small_above_count} 个户数不足 {SCALE_MIN_HOUSEHOLDS} 户，每千户数字不稳定，不参与确定色标上限。"
             if scale.small_above_count else "")
    return (f"{scale.above_count} 个网格每千户工单高于色标上限 {scale.top:.1f}（最高 {scale.maximum:.1f}），"
            f"画成最深色，确切数值{where}。{small}")


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


# The width (px) of 网格热力's map at 1440 px: three fifths of the page (587 px) less its colour bar. The view is
# fitted to it (at 900 px the district's east and west edges fell outside the map, cut straight).
MAP_PX = 480
# The shortest and the tallest the map is drawn (px): its height follows the district's shape (fitted_height).
MAP_HEIGHTS = (300, 640)


def _mercator(lat: float) -> float:
    lat = max(min(lat, 85.0), -85.0)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _view(lons: list[float], lats: list[float], width_px: int, height_px: int) -> dict[str, float]:
    """Centre and zoom (512-pixel world, as MapLibre and deck.gl use) that show every point."""
    if not lons:
        return {"longitude": 105.0, "latitude": 35.0, "zoom": 3.0}
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    zoom = min(math.log2(width_px / 512 / (max(east - west, 1e-6) / 360.0)),
               math.log2(height_px / 512 / (max(_mercator(north) - _mercator(south), 1e-6) / (2 * math.pi))))
    centre_lat = math.degrees(2 * math.atan(math.exp((_mercator(north) + _mercator(south)) / 2)) - math.pi / 2)
    return {"longitude": round((west + east) / 2, 6), "latitude": round(centre_lat, 6),
            "zoom": round(max(0.0, min(zoom - 0.3, 18.0)), 2)}


def fitted_height(lons: list[float], lats: list[float], width_px: int, bounds: tuple[int, int] = MAP_HEIGHTS) -> int:
    """The height (px) of a map ``width_px`` wide whose view (:func:`_view`) the points fill as much up and down as
    across, within ``bounds``: a district wider than tall at a fixed 520 px had white bands above and below it."""
    if not lons:
        return bounds[0]
    across = max(max(lons) - min(lons), 1e-6) / 360.0
    up = (_mercator(max(lats)) - _mercator(min(lats))) / (2 * math.pi)
    return int(round(min(max(width_px * up / across, bounds[0]), bounds[1])))


# The grid chosen in the sidebar on 网格热力's plotly map: the lights maps' blue (onescreen.maps.SELECTED_LINE) over
# a white edge, as the wall's SVG maps draw it, so the line stays apart from its dark red neighbours.
SELECTED_COLOUR = "rgb({},{},{})".format(*SELECTED_LINE[0][:3])
SELECTED_TRACE = "所选网格"


# 每千户工单最多的网格 beside the map: its rows, and the chosen grid's row tinted in the maps' blue (an inline CSS
# background st.dataframe draws itself: nothing fetched).
TOP_DENSITY_ROWS = 10
SELECTED_ROW_CSS = "background-color: rgba({},{},{},0.16); font-weight: 600".format(*SELECTED_LINE[0][:3])


def top_density_table(grids: pd.DataFrame, selected: str | None = None, rows: int = TOP_DENSITY_ROWS):
    """(Styler, note) of the ``rows`` grids with the most tickets per 1,000 households (``grid_ticket_density``, in
    that order; grids without households left out). The grid whose ``grid_code`` is ``selected`` (chosen in the
    sidebar; the maps outline it in blue) is marked there as on the maps (:data:`SELECTED_MARK`, its row tinted
    blue). ``note`` says where the chosen grid stands when it is not among the rows (its rank among the grids
    with households and its value, or why it has none), else None (no grid chosen, or one ``grids`` lacks)."""
    rated = grids[grids["tickets_per_1k_households"].notna()]
    top = rated.head(rows)
    chosen = top["grid_code"].eq(selected).to_numpy()  # all False when no grid is chosen
    table = pd.DataFrame({
        "网格": [f"{n}{SELECTED_MARK}" if selected and g == selected else n
               for g, n in zip(top["grid_code"], top["grid_name"])],
        "社区": top["community_name"], "工单（件）": top["ticket_count"], "户数": top["households"],
        "每千户": top["tickets_per_1k_households"],
    }).reset_index(drop=True)
    styled = table.style.format({"工单（件）": "{:,.0f}", "户数": "{:,.0f}", "每千户": "{:,.1f}"}, na_rep="—")
    if chosen.any():
        styled = styled.apply(lambda row: [SELECTED_ROW_CSS if chosen[row.name] else ""] * len(row), axis=1)
        return styled, None
    return styled, _chosen_note(grids, rated, selected, rows) if selected else None


def _chosen_note(grids: pd.DataFrame, rated: pd.DataFrame, selected: str, rows: int) -> str | None:
    own = grids[grids["grid_code"] == selected]
    if own.empty:  # a grid the places do not know (a stale link): the page says so above
        return None
    row = own.iloc[0]
    name = f"所选网格 {row['grid_name']}"
    if pd.isna(row["tickets_per_1k_households"]):
        return f"{name}：工单 {int(row['ticket_count'])} 件，没有户数，不计算每千户，不参与排序。"
    rate = float(row["tickets_per_1k_households"])
    rank = int((rated["tickets_per_1k_households"] > rate).sum()) + 1
    return (f"{name}：每千户 {rate:.1f} 件（工单 {int(row['ticket_count'])} 件 / {int(row['households']):,} 户），"
            f"在有户数的 {len(rated)} 个网格中居第 {rank}，不在前 {rows} 名。")


def selected_outline_traces(feature: dict | None) -> list[go.Scattermap]:
    """The outline of the chosen grid's ``feature`` (from :func:`_feature`) on a plotly map: a white line under a
    blue one (:data:`SELECTED_COLOUR`, :data:`SELECTED_LINE`'s width), no hover of their own (the grid's fill
    keeps its hover); none without a feature."""
    if feature is None:
        return []
    polygons = [feature["geometry"]["coordinates"]] if feature["geometry"]["type"] == "Polygon" \
        else feature["geometry"]["coordinates"]
    lons: list[float | None] = []
    lats: list[float | None] = []
    for rings in polygons:
        for ring in rings:  # each ring a line of its own: None lifts the pen
            lons += [p[0] for p in ring] + [None]
            lats += [p[1] for p in ring] + [None]
    width = SELECTED_LINE[1]
    return [go.Scattermap(lon=lons, lat=lats, mode="lines", line=dict(color=colour, width=line_width),
                          name=SELECTED_TRACE, hoverinfo="skip", showlegend=False)
            for colour, line_width in (("#ffffff", width + 2), (SELECTED_COLOUR, width))]


@shared
def density_choropleth(grids: pd.DataFrame, *, precision: int = 5, simplify_tolerance: float | None = None,
                       height: int | None = None, width_px: int = MAP_PX, selected: str | None = None) -> go.Figure:
    """Grids coloured by ``tickets_per_1k_households`` (``grid_ticket_density`` query), ``height`` px high (by
    default as the district's shape needs at ``width_px``: :func:`fitted_height`).

    Grids without households (no rate) are drawn in flat grey in a second trace; grids without a
    shape are left off. The colours run from 0 to the top of :func:`density_scale`, a grid above it in the
    darkest, and the colour bar's last label says ``≥ top`` then. The colour bar states the unit; the hover
    shows the grid, its community, the tickets (N), the households and the exact rate. The grid whose
    ``grid_code`` is ``selected`` (chosen in the sidebar: the map shows its whole community) is outlined in blue
    on top, as the lights maps outline it (:func:`selected_outline_traces`), its hover name marked
    (:data:`onescreen.figures.lists.SELECTED_MARK`).
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
        return [[f"{r.grid_name}{SELECTED_MARK}" if r.grid_code == selected else r.grid_name,
                 r.street_name or "", r.community_name or "", r.ticket_count,
                 "—" if pd.isna(r.households) else f"{r.households:,.0f}",
                 "—（无户数）" if pd.isna(r.tickets_per_1k_households) else f"{r.tickets_per_1k_households:.1f}"]
                for r in frame.itertuples(index=False)]

    rated = shown[shown["tickets_per_1k_households"].notna()]
    unrated = shown[shown["tickets_per_1k_households"].isna()]
    scale = density_scale(grids)  # of every grid, drawn or not: the same top as the wall's map
    ticks = scale.ticks()
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
            featureidkey="id", colorscale=DENSITY_SCALE, zmin=0, zmax=scale.top if scale.top > 0 else None,
            marker_opacity=0.85, name="每千户工单量", marker_line_width=0.5, marker_line_color="#ffffff",
            customdata=custom(rated), hovertemplate=hover,
            colorbar=dict(title=dict(text="每千户<br>工单（件）"), thickness=14,
                          tickvals=[value for value, _ in ticks], ticktext=[label for _, label in ticks]),
        ))
    for trace in selected_outline_traces(next((f for f in features if selected and f["id"] == selected), None)):
        fig.add_trace(trace)
    points = [p for f in features for p in _positions(f["geometry"])]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    height = height or fitted_height(lons, lats, width_px)
    view = _view(lons, lats, width_px, height)
    fig.update_layout(
        map=dict(style="white-bg", center=dict(lon=view["longitude"], lat=view["latitude"]), zoom=view["zoom"]),
        height=height, margin=dict(l=0, r=0, t=0, b=0), showlegend=False,
    )
    return fig


def density_deck(points: pd.DataFrame, grids: pd.DataFrame | None = None, *, radius_m: int = 250,
                 height: int = 520, width_px: int = 900, selected: str | None = None) -> pdk.Deck:
    """Hexagons summing ``ticket_count`` of the located cells (``ticket_points`` query) over grid outlines.

    Rows with ``is_located`` false (tickets without coordinates) are not drawn. ``grids`` (with
    ``geometry_geojson``) adds the outlines as the base layer; the one whose ``grid_code`` is ``selected`` is
    outlined in the lights maps' thick blue in a layer on top (``grid-selected``, :data:`SELECTED_LINE`). The
    basemap is the local blank style.
    """
    located = points[points["is_located"].fillna(False).astype(bool)] if "is_located" in points else points
    cells = [{"position": [round(float(lon), 5), round(float(lat), 5)], "n": int(n)}
             for lon, lat, n in zip(located["lon"], located["lat"], located["ticket_count"])]
    layers = []
    outline_points: list[list[float]] = []
    chosen: list[dict] = []  # the selected grid's outline
    if grids is not None and not grids.empty:
        outlines = []
        for code, geometry in zip(grids["grid_code"], grids["geometry_geojson"]):
            feature = _feature(code, geometry, 5, None)
            if feature is not None:
                ring_sets = [feature["geometry"]["coordinates"]] if feature["geometry"]["type"] == "Polygon" \
                    else feature["geometry"]["coordinates"]
                outlines += [{"polygon": rings[0]} for rings in ring_sets]
                outline_points += _positions(feature["geometry"])
                if selected and code == selected:
                    chosen += [{"polygon": rings[0]} for rings in ring_sets]
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
    if chosen:  # over the hexagons, so they do not hide it
        line, width = SELECTED_LINE
        layers.append(pdk.Layer("PolygonLayer", data=chosen, id="grid-selected", get_polygon="polygon",
                                get_line_color=line, get_line_width=width, line_width_units='"pixels"',
                                stroked=True, filled=False, pickable=False))
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
