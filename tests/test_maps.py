"""The grid map is a plain function: check the deck it builds, without Streamlit or a browser."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from onescreen import maps
from onescreen.settings import STATIC_DIR


def _square(x: float, y: float, size: float = 0.01) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def grids() -> pd.DataFrame:
    multi = {
        "type": "MultiPolygon",
        "coordinates": [_square(103.83, 25.50)["coordinates"], _square(103.85, 25.50)["coordinates"]],
    }
    return pd.DataFrame(
        {
            "grid_code": ["G001", "G002", "G003", "G004", "G005"],
            "grid_name": ["东风一网格", "东风二网格", "南苑网格", "北城网格", "无图网格"],
            "light": ["green", "yellow", "red", None, "green"],
            "on_time_pct": [97.5, 88.0, 61.25, None, 90.0],
            "geometry_geojson": [
                json.dumps(_square(103.7812345678, 25.4812345678)),
                json.dumps(_square(103.80, 25.48)),
                json.dumps(multi),
                json.dumps(_square(103.80, 25.52)),
                None,
            ],
        }
    )


def _spec(deck) -> dict:
    return json.loads(deck.to_json())


def test_deck_uses_local_blank_style_and_no_outside_url(grids):
    deck = maps.grid_light_deck(grids, tooltip_fields={"grid_name": "网格"})
    text = deck.to_json()
    assert _spec(deck)["mapStyle"] == "/app/static/blank-style.json"
    assert "mapProvider" not in _spec(deck)
    assert not re.search(r"https?://", text), text[:500]
    assert "cartocdn" not in text and "mapbox" not in text


def test_a_site_can_name_its_intranet_basemap(grids, monkeypatch):
    monkeypatch.setenv("ONESCREEN_MAP_STYLE", "http://gis.intranet.example/styles/street.json")
    assert _spec(maps.grid_light_deck(grids, tooltip_fields=["grid_code"]))["mapStyle"] == \
        "http://gis.intranet.example/styles/street.json"
    monkeypatch.setenv("ONESCREEN_MAP_STYLE", " ")
    assert _spec(maps.grid_light_deck(grids, tooltip_fields=["grid_code"]))["mapStyle"] == maps.BLANK_STYLE_URL


def test_blank_style_file_is_self_contained():
    style = json.loads((STATIC_DIR / "blank-style.json").read_text(encoding="utf-8"))
    assert style["version"] == 8
    assert style["sources"] == {}
    assert "glyphs" not in style and "sprite" not in style
    assert [layer["type"] for layer in style["layers"]] == ["background"]
    assert "http" not in json.dumps(style)


def test_every_polygon_present_with_its_light_colour(grids):
    layer = _spec(maps.grid_light_deck(grids, tooltip_fields=["grid_code"]))["layers"][0]
    assert layer["@@type"] == "PolygonLayer"
    by_grid: dict[str, list] = {}
    for row in layer["data"]:
        by_grid.setdefault(row["grid_code"], []).append(row)
    # The MultiPolygon becomes two polygons; the grid without a shape is left off.
    assert {code: len(rows) for code, rows in by_grid.items()} == {"G001": 1, "G002": 1, "G003": 2, "G004": 1}
    colours = {code: rows[0]["fill"] for code, rows in by_grid.items()}
    assert colours == {
        "G001": maps.LIGHT_COLOURS["green"],
        "G002": maps.LIGHT_COLOURS["yellow"],
        "G003": maps.LIGHT_COLOURS["red"],
        "G004": maps.LIGHT_COLOURS["grey"],
    }
    assert layer["getFillColor"] == "@@=fill" and layer["getPolygon"] == "@@=polygon"


def test_red_and_yellow_grids_are_outlined_not_only_coloured(grids):
    """Red and green look alike to red-green colour-blind viewers: the outline tells red and yellow grids apart."""
    layer = _spec(maps.grid_light_deck(grids, tooltip_fields=["grid_code"]))["layers"][0]
    assert layer["getLineColor"] == "@@=line" and layer["getLineWidth"] == "@@=width"
    assert layer["lineWidthUnits"] == "pixels"
    style = {row["grid_code"]: (row["line"], row["width"]) for row in layer["data"]}
    assert style["G003"] == ([255, 255, 255, 255], 3.0)  # red: thick white
    assert style["G002"] == ([20, 20, 20, 230], 2.0)  # yellow: dark
    assert style["G001"] == style["G004"] == (maps.LINE_COLOUR, 1.0)  # green and grey: the thin default
    assert len({(tuple(line), width) for line, width in style.values()}) == 3


def test_map_colours_are_the_ui_palette():
    """One palette: the maps' fills are onescreen.ui's light colours, and red and green differ in lightness."""
    from onescreen.ui import LIGHT_COLOURS

    for light, colour in LIGHT_COLOURS.items():
        assert "#%02x%02x%02x" % tuple(maps.LIGHT_COLOURS[light][:3]) == colour
    luminance = {k: 0.2126 * r + 0.7152 * g + 0.0722 * b for k, (r, g, b, _) in maps.LIGHT_COLOURS.items()}
    assert luminance["green"] - luminance["red"] > 40  # not the hue alone


def test_message_is_compact_and_rounded(grids):
    text = maps.grid_light_deck(grids, tooltip_fields={"grid_name": "网格"}).to_json()
    assert "\n" not in text and ", " not in text
    assert "东风一网格" in text  # UTF-8, not \\u escapes
    assert "103.78123," in text and "103.7812345678" not in text
    # Only the tooltip columns travel to the browser.
    assert "on_time_pct" not in text and "geometry_geojson" not in text


def test_tooltip_lists_the_callers_fields_in_chinese(grids):
    deck = maps.grid_light_deck(grids, tooltip_fields={"grid_name": "网格", "on_time_pct": "按时办结率(%)"})
    html = deck._tooltip["html"]
    assert "<b>网格</b>：{grid_name}" in html and "<b>按时办结率(%)</b>：{on_time_pct}" in html
    rows = _spec(deck)["layers"][0]["data"]
    assert [r["on_time_pct"] for r in rows if r["grid_name"] == "北城网格"] == ["—"]
    assert _spec(deck)["layers"][0]["pickable"] is True


def test_view_is_fitted_to_the_data(grids):
    view = _spec(maps.grid_light_deck(grids))["initialViewState"]
    assert 103.78 < view["longitude"] < 103.86
    assert 25.48 < view["latitude"] < 25.53
    assert 10 < view["zoom"] < 14


def test_empty_frame_gives_an_empty_map():
    empty = pd.DataFrame({"light": [], "geometry_geojson": []})
    spec = _spec(maps.grid_light_deck(empty))
    assert spec["layers"][0]["data"] == []
    assert spec["initialViewState"]["zoom"] == 3.0


def test_simplify_reduces_points():
    ring = [[103.8 + 0.01 * i / 100, 25.5 + 1e-7 * (i % 2)] for i in range(101)]
    ring += [[103.81, 25.51], [103.8, 25.51], ring[0]]
    df = pd.DataFrame({"light": ["green"], "geometry_geojson": [json.dumps({"type": "Polygon", "coordinates": [ring]})]})
    plain = _spec(maps.grid_light_deck(df, precision=8))["layers"][0]["data"][0]["polygon"][0]
    simple = _spec(maps.grid_light_deck(df, simplify_tolerance=1e-5))["layers"][0]["data"][0]["polygon"][0]
    assert len(simple) < 10 < len(plain)
    # Worked-out shapes are remembered per text and tolerance, shared between decks: unchanged by use.
    assert _spec(maps.grid_light_deck(df, simplify_tolerance=1e-5))["layers"][0]["data"][0]["polygon"][0] == simple
    assert _spec(maps.grid_light_deck(df, precision=8))["layers"][0]["data"][0]["polygon"][0] == plain


def test_bad_geometry_names_the_row():
    df = pd.DataFrame({"light": ["red"], "geometry_geojson": ['{"type": "Point", "coordinates": [1, 2]}']}, index=[7])
    with pytest.raises(ValueError, match=r"row 7: geometry type 'Point' is not Polygon or MultiPolygon"):
        maps.grid_light_deck(df)
    df = pd.DataFrame({"light": ["red"], "geometry_geojson": ["not json"]}, index=[8])
    with pytest.raises(ValueError, match=r"row 8: geometry is not valid GeoJSON"):
        maps.grid_light_deck(df)


def test_missing_column_is_refused():
    with pytest.raises(ValueError, match=r"missing columns \['geometry_geojson'\]"):
        maps.grid_light_deck(pd.DataFrame({"light": ["red"]}))


# --- the wall screen's map: the same polygons as SVG (grid_light_svg) -----------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def _svg_paths(markup: str) -> list:
    import xml.etree.ElementTree as ET

    assert "\n" not in markup and markup.startswith('<div class="os-svg-map"')
    return list(ET.fromstring(markup).iter(f"{SVG}path"))


def test_svg_map_draws_every_shape_in_its_light_colour_inside_the_frame(grids):
    markup = maps.grid_light_svg(grids, tooltip_fields={"grid_name": "网格", "on_time_pct": "按期办结率"},
                                 width_px=400, height=300)
    paths = _svg_paths(markup)
    assert [p.get("data-light") for p in paths] == ["green", "yellow", "red", "grey"]  # G005 has no shape
    fills = {p.get("data-light"): p.get("fill") for p in paths}
    green, grey = maps.LIGHT_COLOURS["green"], maps.LIGHT_COLOURS["grey"]
    assert fills["green"] == f"rgb({green[0]},{green[1]},{green[2]})" and fills["grey"] == f"rgb({grey[0]},{grey[1]},{grey[2]})"
    assert paths[2].get("d").count("M") == 2  # the MultiPolygon's two squares in one path
    coords = [float(v) for p in paths for v in re.findall(r"-?\d+(?:\.\d+)?", p.get("d"))]
    xs, ys = coords[0::2], coords[1::2]
    assert 0 <= min(xs) and max(xs) <= 400 and 0 <= min(ys) and max(ys) <= 300
    assert max(xs) - min(xs) > 300 or max(ys) - min(ys) > 250  # fitted: the shapes fill the frame
    # North is up: the grid at latitude 25.52 is drawn above those at 25.48.
    top_of = {p.get("data-light"): min(float(y) for y in re.findall(r",(-?[\d.]+)", p.get("d"))) for p in paths}
    assert top_of["grey"] < top_of["yellow"]
    assert [p.find(f"{SVG}title").text for p in paths][:2] == ["网格：东风一网格\n按期办结率：97.5", "网格：东风二网格\n按期办结率：88.0"]


def test_svg_map_hatches_red_grids_and_dots_yellow_ones(grids):
    """Not by colour alone: a red grid is filled with a hatch pattern, a yellow one with dots, each pattern
    defined once in the red or yellow of the palette; green and grey grids are plain."""
    markup = maps.grid_light_svg(grids, width_px=400, height=300)
    fills = {p.get("data-light"): p.get("fill") for p in _svg_paths(markup)}
    assert fills["red"] == "url(#os-light-red)" and fills["yellow"] == "url(#os-light-yellow)"
    assert fills["green"].startswith("rgb(") and fills["grey"].startswith("rgb(")
    import xml.etree.ElementTree as ET

    root = ET.fromstring(markup)
    patterns = {p.get("id"): p for p in root.iter(f"{SVG}pattern")}
    assert set(patterns) == {"os-light-red", "os-light-yellow"}
    r, g, b, _ = maps.LIGHT_COLOURS["red"]
    red = patterns["os-light-red"]
    assert red.get("patternTransform") == "rotate(45)"  # diagonal stripes
    assert [rect.get("fill") for rect in red.iter(f"{SVG}rect")] == [f"rgb({r},{g},{b})", "#ffffff"]
    assert len(list(patterns["os-light-yellow"].iter(f"{SVG}circle"))) == 1
    assert markup.count("<pattern") == 2  # once per map, however many grids


def test_svg_map_escapes_names_and_refuses_what_the_deck_refuses(grids):
    grids.loc[0, "grid_name"] = "<b>东风</b>&一"
    markup = maps.grid_light_svg(grids, tooltip_fields={"grid_name": "网格"})
    assert "&lt;b&gt;东风&lt;/b&gt;&amp;一" in markup and "<b>" not in markup
    bad = grids.assign(geometry_geojson=['{"type": "Point", "coordinates": [1, 2]}'] + [None] * 4)
    with pytest.raises(ValueError, match="row 0"):
        maps.grid_light_svg(bad)
    with pytest.raises(ValueError, match="missing columns"):
        maps.grid_light_svg(grids.drop(columns=["light"]))
    assert _svg_paths(maps.grid_light_svg(grids.iloc[:0])) == []
    empty = grids.assign(geometry_geojson=['{"type": "MultiPolygon", "coordinates": []}'] + [None] * 4)
    assert _svg_paths(maps.grid_light_svg(empty)) == []


def test_fill_map_gives_each_grid_its_own_colour_skipping_grids_without_a_shape(grids):
    """grid_fill_svg (网格热力 on the wall): the fills follow the rows, a row without a shape (G005) drops its own
    colour and no other; the frame and paths are the light map's."""
    fills = ["#000001", "#000002", "#000003", "#000004", "#000005"]
    markup = maps.grid_fill_svg(grids, fills, tooltip_fields={"grid_name": "网格"}, width_px=400, height=300,
                                label="每千户")
    paths = _svg_paths(markup)
    assert [p.get("fill") for p in paths] == fills[:4]
    assert [p.find(f"{SVG}title").text for p in paths] == ["网格：东风一网格", "网格：东风二网格", "网格：南苑网格", "网格：北城网格"]
    lights = _svg_paths(maps.grid_light_svg(grids, width_px=400, height=300))
    assert [p.get("d") for p in paths] == [p.get("d") for p in lights]
    assert 'aria-label="每千户"' in markup
    shapeless_first = grids.iloc[[4, 0]]  # the shapeless row before a drawn one: that one keeps its colour
    assert [p.get("fill") for p in _svg_paths(maps.grid_fill_svg(shapeless_first, ["#0000aa", "#0000bb"]))] == ["#0000bb"]


def test_deck_outlines_the_selected_grid_in_a_layer_on_top(grids):
    """亮灯地图 with a grid chosen draws its whole community: the chosen grid is outlined in blue on top."""
    plain = _spec(maps.grid_light_deck(grids))
    assert [layer["id"] for layer in plain["layers"]] == ["grid-light"]
    spec = _spec(maps.grid_light_deck(grids, selected="G003"))
    assert [layer["id"] for layer in spec["layers"]] == ["grid-light", "grid-selected"]
    outline = spec["layers"][1]
    assert len(outline["data"]) == 2  # G003 is a MultiPolygon of two squares
    assert outline["getLineColor"] == maps.SELECTED_LINE[0] and outline["filled"] is False
    assert [layer["id"] for layer in _spec(maps.grid_light_deck(grids, selected="NOPE"))["layers"]] == ["grid-light"]
