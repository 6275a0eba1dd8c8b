"""A deterministic demo district written as the messy export files the ETL reads.

    from pathlib import Path
    from etl.demo import generate_demo
    for path, source in generate_demo(Path("data/demo"), end_month=datetime.date(2025, 11, 1)):
        print(source, path)

The district (翠湖区, fictional, around 25.49°N 103.79°E) has 8 streets, ~60 communities, ~650 grids
tiling its outline, ~700 compounds run by ~40 property companies, 13 months (a year plus the same month a year before) of daily inspections,
12345 hotline tickets (two overlapping GBK exports) and grid-platform events (XLSX). Each file
carries the quirks real exports have: title rows, an export-time line, totals rows, mixed date
formats, a later export repeating tickets with a newer status, a few impossible timelines, and every
status the rules know: a few tickets withdrawn (已撤销), reopened after a callback (重办) or still waiting
to be dispatched (待派单), ``etl.demo_statuses``.

Everything comes from ``numpy.random.default_rng(seed)``: the same seed and the same past
``end_month`` give byte-identical files. Only the default (current) month looks at the clock, to
stop tickets at the current hour.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from etl import demo_vocab as V
from etl.demo_calendar import DAY, Period, make_period, stamp
from etl.demo_place import District, build_compounds, build_district, build_inspections
from etl.demo_statuses import add_statuses, seen_at
from etl.demo_tickets import build_events, build_hotline

HOTLINE_TITLE = f"{V.DISTRICT}12345政务服务便民热线工单明细表"
EVENTS_TITLE = "网格化服务管理平台事件清单"
INSPECTIONS_TITLE = f"{V.DISTRICT}物业服务日常考核记录"

HOTLINE_COLUMNS = ["工单编号", "来电时间", "诉求来源", "诉求类型", "一级分类", "二级分类", "派单时间", "签收时间",
                   "办结时间", "办理时限", "回访时间", "是否解决", "满意度", "工单状态", "承办单位", "所属街道",
                   "所属社区", "网格编号", "诉求地址", "来电人", "来电号码", "诉求内容"]
# The later export comes from an upgraded platform that renamed a few columns.
HOTLINE_RENAMED = {"来电时间": "受理时间", "来电号码": "联系电话", "工单状态": "办理状态", "诉求内容": "来电内容"}
EVENT_COLUMNS = ["事件编号", "上报时间", "事件来源", "事件大类", "事件小类", "派发时间", "签收时间", "办结时间",
                 "办结时限", "办理层级", "是否吹哨", "是否会商", "处置单位", "所属街道", "所属社区", "所属网格", "经度", "纬度",
                 "事件描述"]
INSPECTION_COLUMNS = ["考核编号", "考核日期", "物业企业", "小区名称", "考核项目", "得分", "考核人"]

CHUNK_ROWS = 20_000  # rows turned into text at a time, to bound memory


def generate_demo(out_dir: Path, seed: int = 2025, end_month: dt.date | None = None,
                  n_tickets: int = 260_000, progress: Callable[[str], None] | None = None) -> list[tuple[Path, str]]:
    """Write the demo exports into out_dir and return (path, source) in the order they must be loaded.

    ``end_month`` is the first day of the last of the 13 months covered (default: this month, whose
    tickets stop at the current hour); a past month is covered through its last day, a future one is
    refused. ``n_tickets`` counts distinct tickets, about 70% hotline and 30% grid events. The
    same seed and end_month give byte-identical files. ``progress`` receives short Chinese messages.
    """
    say = progress or (lambda message: None)
    period = make_period(end_month, dt.datetime.now())
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng_geo, rng_compounds, rng_inspections, rng_hotline, rng_events = np.random.default_rng(seed).spawn(5)

    district = build_district(rng_geo)
    compounds, companies = build_compounds(rng_compounds, district)
    inspections = build_inspections(rng_inspections, compounds, companies, period)
    files = [
        (_write_grids(out_dir / "grids.geojson", district), "grids"),
        (_write_compounds(out_dir / "compounds.csv", compounds), "compounds"),
        (_write_inspections(out_dir / "inspections.xlsx", inspections, period), "inspections"),
    ]
    grids = district.grids
    say(f"生成街道 {grids['street_code'].nunique()} 个、社区 {grids['community_code'].nunique()} 个、网格 {len(grids)} 个")
    say(f"生成小区 {len(compounds)} 个、物业企业 {len(companies)} 家、物业考核记录 {len(inspections)} 条")

    # Hotline tickets first, then events: one of the two large tables in memory at a time.
    n_hotline = round(n_tickets * 0.7)
    hotline = add_statuses(rng_hotline, build_hotline(rng_hotline, n_hotline, district, compounds, companies, period),
                           period)
    for name, rows, snapshot_at, renamed in (
        ("hotline_part1.csv", hotline["received"] < period.part1_end, period.part1_end, False),
        ("hotline_part2.csv", hotline["received"] >= period.overlap_start, period.end, True),
    ):
        files.append((_write_hotline(out_dir / name, hotline, rows, snapshot_at, renamed, rng_hotline), "hotline"))
        say(f"生成12345热线工单 {name}：{int(rows.sum())} 条")
    del hotline
    events = build_events(rng_events, n_tickets - n_hotline, district, compounds, period)
    files.append((_write_events(out_dir / "events.xlsx", events, period), "events"))
    say(f"生成网格事件 events.xlsx：{len(events['id'])} 条")
    say(f"演示数据已写入 {out_dir}")
    return files


def _write_grids(path: Path, district: District) -> Path:
    """GeoJSON FeatureCollection, one Polygon feature per grid, properties under Chinese headers."""
    grids = district.grids
    geometry = shapely.orient_polygons(grids["geometry"].to_numpy())  # RFC 7946: counter-clockwise shells
    features = []
    for row, geom in zip(grids.itertuples(), geometry):
        properties = {
            "网格编号": row.grid_code, "网格名称": row.grid_name, "社区编号": row.community_code,
            "所属社区": row.community_name, "街道编号": row.street_code, "所属街道": row.street_name,
            "网格类型": row.grid_type, "户数": int(row.households), "人口": int(row.population),
            "红色户": int(row.red_households), "黄色户": int(row.yellow_households),
            "绿色户": int(row.green_households), "网格员": row.worker_name,
        }
        rings = [shapely.get_coordinates(geom.exterior).tolist()] + [shapely.get_coordinates(r).tolist() for r in geom.interiors]
        feature = {"type": "Feature", "properties": properties, "geometry": {"type": "Polygon", "coordinates": rings}}
        features.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    header = json.dumps({"type": "FeatureCollection", "name": f"{V.DISTRICT}网格"}, ensure_ascii=False)[:-1]
    path.write_text(header + ',"features":[\n' + ",\n".join(features) + "\n]}\n", encoding="utf-8")
    return path


def _write_compounds(path: Path, compounds: pd.DataFrame) -> Path:
    """UTF-8 CSV with a byte-order mark, as Excel saves it."""
    frame = pd.DataFrame({
        "小区编号": compounds["compound_code"], "小区名称": compounds["compound_name"],
        "所属网格": compounds["grid_code"], "所属社区": compounds["community_name"],
        "物业服务企业": compounds["company_name"], "总户数": compounds["households"],
        "小区地址": compounds["address"],
    })
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def _write_inspections(path: Path, inspections: pd.DataFrame, period: Period) -> Path:
    """XLSX: merged title, export-date line, blank row, header on row 4, real date cells."""
    headers = INSPECTION_COLUMNS
    workbook = _workbook(path, INSPECTIONS_TITLE, period)
    sheet = workbook.add_worksheet("考核记录")
    title = workbook.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    head = workbook.add_format({"bold": True, "border": 1, "align": "center", "bg_color": "#DDEBF7"})
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 12, workbook.add_format({"num_format": "yyyy-mm-dd"}))
    sheet.set_column(2, 3, 24)
    sheet.set_column(4, 4, 10)
    sheet.set_column(5, 5, 8, workbook.add_format({"num_format": "0.0"}))
    sheet.set_column(6, 6, 10)
    sheet.merge_range(0, 0, 0, len(headers) - 1, INSPECTIONS_TITLE, title)
    sheet.write_string(1, 0, f"导出时间：{stamp(period.end)[:10]}")
    sheet.write_row(3, 0, headers, head)  # row 3 (the third) stays blank, as the real export has it
    serial = _excel_serial(inspections["day"].to_numpy() * DAY, np.ones(len(inspections), dtype=bool))
    columns = [inspections["inspection_id"].tolist(), serial, inspections["company_name"].tolist(),
               inspections["compound_name"].tolist(), inspections["item"].tolist(),
               inspections["score"].astype(float).tolist(), inspections["inspector"].tolist()]
    workbook.close()
    _append_rows(path, 4, columns, "snsssns")
    return path


def _write_hotline(path: Path, tickets: dict[str, np.ndarray], rows: np.ndarray, at: int, renamed: bool,
                   rng: np.random.Generator) -> Path:
    """One hotline export as seen at time ``at``: GBK, title and export-time lines, totals row."""
    idx = np.flatnonzero(rows)
    if renamed:
        idx = idx[::-1]  # the newer platform lists the latest tickets first
    short = rng.random(idx.size) < 0.08  # rows written by an older export job: '2025/9/14 0:12'
    header = [HOTLINE_RENAMED.get(h, h) if renamed else h for h in HOTLINE_COLUMNS]
    with open(path, "wb") as f:
        f.write(f"{HOTLINE_TITLE}\r\n导出时间：{stamp(at)}\r\n".encode("gbk"))
        f.write(_csv_text([header]).encode("gbk"))
        for start in range(0, idx.size, CHUNK_ROWS):  # in chunks: the text of 170k rows is ~200 MB
            chunk = slice(start, start + CHUNK_ROWS)
            columns = _hotline_columns({k: v[idx[chunk]] for k, v in tickets.items()}, at, short[chunk])
            f.write(_csv_text(zip(*columns)).encode("gbk"))
        f.write(f"合计：{idx.size}条\r\n".encode("gbk"))
    return path


def _hotline_columns(t: dict[str, np.ndarray], at: int, short: np.ndarray) -> list[list[str]]:
    """The HOTLINE_COLUMNS of some tickets as seen at time ``at``: later steps are still blank."""
    def when(values: np.ndarray, show: np.ndarray | None = None) -> list[str]:
        show = values < at if show is None else show
        text = _iso(values, show)
        mixed = np.flatnonzero(short & show)
        text[mixed] = _short(values[mixed])
        return text.tolist()

    n = len(t["id"])
    seen = seen_at(t, at)
    called = seen["callback"] < at
    columns = {
        "工单编号": t["id"], "来电时间": when(t["received"]), "诉求来源": ["12345热线"] * n,
        "诉求类型": t["appeal"], "一级分类": t["l1"], "二级分类": t["l2"], "派单时间": when(t["dispatched"]),
        "签收时间": when(t["responded"]), "办结时间": when(seen["resolved"]),
        "办理时限": when(seen["due"], np.ones(n, dtype=bool)), "回访时间": when(seen["callback"]),
        "是否解决": np.where(called, np.where(seen["is_solved"], "是", "否"), ""),
        "满意度": np.where(called, seen["satisfaction"], ""), "工单状态": seen["status"],
        "承办单位": t["department"], "所属街道": t["street"], "所属社区": t["community"],
        "网格编号": t["grid_code"], "诉求地址": t["address"], "来电人": t["caller"],
        "来电号码": t["phone"], "诉求内容": t["content"],
    }
    assert list(columns) == HOTLINE_COLUMNS
    return [c if isinstance(c, list) else c.tolist() for c in columns.values()]


def _write_events(path: Path, events: dict[str, np.ndarray], period: Period) -> Path:
    """The grid platform's XLSX: merged title row, header on row 2, real date cells (some as text)."""
    n = len(events["id"])
    at = period.end
    workbook = _workbook(path, EVENTS_TITLE, period)
    sheet = workbook.add_worksheet("事件清单")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    widths = {0: 18, 1: 19, 2: 11, 3: 10, 4: 14, 5: 19, 6: 19, 7: 19, 8: 19, 12: 22, 13: 12, 14: 12, 15: 12,
              16: 12, 17: 11, 18: 50}
    for col, width in widths.items():
        sheet.set_column(col, col, width, date_format if col in (1, 5, 6, 7, 8) else None)
    sheet.merge_range(0, 0, 0, len(EVENT_COLUMNS) - 1, EVENTS_TITLE,
                      workbook.add_format({"bold": True, "font_size": 14, "align": "center"}))
    sheet.write_row(1, 0, EVENT_COLUMNS, workbook.add_format({"bold": True, "border": 1, "bg_color": "#E2EFDA"}))

    everything = np.ones(n, dtype=bool)
    received = _excel_serial(events["received"], everything)
    as_text = np.flatnonzero(events["received_as_text"])
    for i, text in zip(as_text, _chinese(events["received"][as_text])):
        received[i] = text
    coordinate = lambda v: [None if math.isnan(x) else float(x) for x in v]
    columns = [
        events["id"].tolist(), received, events["source"].tolist(), events["l1"].tolist(), events["l2"].tolist(),
        _excel_serial(events["dispatched"], events["dispatched"] < at),
        _excel_serial(events["responded"], events["responded"] < at),
        _excel_serial(events["resolved"], events["resolved"] < at),
        _excel_serial(events["due"], everything),
        events["level"].tolist(), events["whistle"].tolist(), events["consultation"].tolist(), events["department"].tolist(),
        events["street"].tolist(), events["community"].tolist(), events["grid_code"].tolist(),
        coordinate(events["lon"]), coordinate(events["lat"]), events["content"].tolist(),
    ]
    workbook.close()
    _append_rows(path, 2, columns, "sasssnnnnsssssssnns")
    return path


def _workbook(path: Path, title: str, period: Period) -> xlsxwriter.Workbook:
    """A workbook whose only time stamp derives from the period, so the bytes are reproducible."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    workbook.set_properties({"title": title, "created": _created(period)})
    return workbook


def _created(period: Period) -> dt.datetime:
    """Workbook creation time stamped into the file: the export time, never the wall clock."""
    return np.datetime64(period.end - 60, "s").astype(dt.datetime)


def _append_rows(path: Path, first_row: int, columns: list[list], kinds: str) -> None:
    """Add the data rows to the first sheet of a workbook xlsxwriter has written and closed.

    xlsxwriter spends ~10 µs on every cell: 15 s for the events sheet alone. Its workbook (styles,
    merged title, header, column formats) stays as written; only the bulk rows are generated here,
    in the same inline-string form xlsxwriter's constant_memory mode uses. ``kinds`` has one letter
    per column: n(umber), s(tring) or a(ny of the two); None and '' leave the cell out. A cell takes
    the style of its column (set with ``set_column``), so dates show as dates.
    """
    sheet_name = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    xml = next(data for info, data in entries if info.filename == sheet_name).decode("utf-8")
    styles: dict[int, str] = {}
    for col in re.finditer(r"<col ([^>]*)/>", xml):
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', col.group(1)))
        for c in range(int(attributes["min"]) - 1, int(attributes["max"])):
            if "style" in attributes:
                styles[c] = f' s="{attributes["style"]}"'
    n = len(columns[0])
    refs = [(f'<c r="{xl_col_to_name(c)}', styles.get(c, "")) for c in range(len(columns))]
    chunks = []
    for start in range(0, n, CHUNK_ROWS):  # in chunks: 1.4 million cell strings at once need ~300 MB
        numbers = [str(r) for r in range(first_row + 1 + start, first_row + 1 + min(n, start + CHUNK_ROWS))]
        cells = [[
            "" if v is None or v == ""
            else f'{at}{r}"{style} t="inlineStr"><is><t>{_xml_text(v)}</t></is></c>' if kind == "s" or isinstance(v, str)
            else f'{at}{r}"{style}><v>{v:.16G}</v></c>'  # xlsxwriter's own number format
            for r, v in zip(numbers, values[start:start + CHUNK_ROWS])
        ] for (at, style), values, kind in zip(refs, columns, kinds)]
        chunks.append("".join([f'<row r="{r}">{"".join(row)}</row>' for r, row in zip(numbers, zip(*cells))]).encode())
    head, tail = xml.split("</sheetData>", 1)
    last = f"{xl_col_to_name(len(columns) - 1)}{first_row + n}"
    head = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', head, count=1)
    sheet = b"".join([head.encode(), *chunks, b"</sheetData>", tail.encode()])
    del chunks
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            # Level 1: three times faster than the default on the big sheet, files ~20% larger.
            archive.writestr(info, sheet if info.filename == sheet_name else data, compresslevel=1)


def _xml_text(value: str) -> str:
    if "&" in value or "<" in value or ">" in value:
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def _csv_text(rows) -> str:
    """CSV lines with CRLF ends, quoted only where a field needs it.

    Joined by hand, three times faster than the csv module; the generated text rarely needs
    quoting, and when a comma, quote or line break shows up the csv module writes the lines.
    """
    rows = list(rows)
    text = "".join([",".join(row) + "\r\n" for row in rows])
    if '"' in text or "\n" in text.replace("\r\n", "") or text.count(",") != sum(len(row) - 1 for row in rows):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        text = buffer.getvalue()
    return text


def _iso(at: np.ndarray, show: np.ndarray) -> np.ndarray:
    """'2025-10-07 12:44:00', or '' where not shown."""
    text = np.char.replace(np.datetime_as_string(np.where(show, at, 0).astype("datetime64[s]"), unit="s"), "T", " ")
    text = text.astype(object)
    text[~show] = ""
    return text


def _short(at: np.ndarray) -> list[str]:
    """'2025/9/14 0:12': the unpadded style some export jobs use."""
    text = np.datetime_as_string(at.astype("datetime64[s]"), unit="m")
    return [f"{int(t[:4])}/{int(t[5:7])}/{int(t[8:10])} {int(t[11:13])}:{t[14:16]}" for t in text]


def _chinese(at: np.ndarray) -> list[str]:
    """'2025年9月14日 8时5分'."""
    text = np.datetime_as_string(at.astype("datetime64[s]"), unit="m")
    return [f"{int(t[:4])}年{int(t[5:7])}月{int(t[8:10])}日 {int(t[11:13])}时{int(t[14:16])}分" for t in text]


def _excel_serial(at: np.ndarray, show: np.ndarray) -> list[float | None]:
    """Excel date numbers (days since 1899-12-30), None where not shown."""
    serial = (at - np.datetime64("1899-12-30T00:00:00", "s").astype(np.int64)) / DAY
    return [float(v) if s else None for v, s in zip(serial, show)]
