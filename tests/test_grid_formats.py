"""Grid boundaries that are not GeoJSON in longitude/latitude: a shapefile, a zip of one, projected metres.

A .shp upload was called "不是文本文件，也不是 XLSX 工作簿", a zip of one "缺少 xl/workbook.xml", and a GeoJSON in
CGCS2000 / Gauss-Kruger metres was refused with the same sentence once per grid. Each is now one message that says
what the file is and how to export GeoJSON in WGS84 (EPSG:4326).
"""

from __future__ import annotations

import json
import zipfile

import pytest

from conftest import FIXTURES
from etl.errors import LoadError
from etl.load import load_files
from etl.readers import read_export

HOW = "ogr2ogr -f GeoJSON -t_srs EPSG:4326 grids.geojson grids.shp"


@pytest.mark.parametrize("name", ["网格.shp", "网格.dbf", "网格.prj"])
def test_a_shapefile_part_is_named_and_the_way_to_geojson_given(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\x00\x00\x27\x0a" + bytes(96) if name.endswith(".shp") else b"\x03\x7e\x0b\x1d" + bytes(60))
    if name.endswith(".prj"):
        path.write_text('PROJCS["CGCS2000_3_Degree_GK_Zone_35"]', encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        read_export(path)
    message = str(caught.value)
    assert message.startswith(f"文件 {name} 是 Shapefile") and "EPSG:4326" in message and HOW in message
    assert "QGIS" in message


def test_a_shp_by_its_content_and_a_zip_holding_one(tmp_path):
    renamed = tmp_path / "grids.bin"
    renamed.write_bytes(b"\x00\x00\x27\x0a" + bytes(96))
    with pytest.raises(LoadError, match="是 Shapefile"):
        read_export(renamed)
    archive = tmp_path / "网格shp.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in ("网格.shp", "网格.shx", "网格.dbf", "网格.prj"):
            z.writestr(part, b"\x00\x00\x27\x0a" + bytes(96))
    with pytest.raises(LoadError) as caught:
        read_export(archive)
    assert "是 Shapefile" in str(caught.value) and "xl/workbook.xml" not in str(caught.value) and HOW in str(caught.value)


def test_projected_coordinates_are_refused_once_for_the_file(tmp_path, warehouse_db):
    grids = json.loads((FIXTURES / "grids.geojson").read_text(encoding="utf-8"))

    def metres(coords):
        if isinstance(coords[0], (int, float)):
            return [35_000_000 + coords[0] * 10_000, coords[1] * 110_000]
        return [metres(c) for c in coords]

    for feature in grids["features"]:
        feature["geometry"]["coordinates"] = metres(feature["geometry"]["coordinates"])
    path = tmp_path / "网格_CGCS2000投影.geojson"
    path.write_text(json.dumps(grids, ensure_ascii=False), encoding="utf-8")
    codes = [f["properties"]["网格编号"] for f in grids["features"]]
    with pytest.raises(LoadError) as caught:
        load_files([path], db_path=warehouse_db, loaded_by="tests")
    message = str(caught.value)
    assert message.count("网格边界是投影坐标") == 1 and message.count("个网格") == 1, message  # once, not per grid
    assert f"{len(codes)} 个网格，如 {'、'.join(codes[:3])}等" in message and HOW in message
    if warehouse_db.exists():  # nothing published (the writer discards its staging copy)
        import duckdb
        with duckdb.connect(str(warehouse_db), read_only=True) as con:
            assert con.execute("select count(*) from dim_grids").fetchone()[0] == 0
    with pytest.raises(LoadError):  # with --skip-bad-rows too: the whole file is in another coordinate system
        load_files([path], db_path=warehouse_db, loaded_by="tests", skip_bad_rows=True)
