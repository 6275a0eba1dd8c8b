"""Generated hotline exports for the benchmarks, cached under bench/out/ (git-ignored).

    python bench/bench_data.py --rows 1000000,5000000     # generate (or reuse) the files, print their paths

The tickets come from the demo generator (``etl.demo_tickets.build_hotline``) and are written with the
demo's own column writer (``etl.demo._hotline_columns``): the same 22 columns, title and export-time
lines, totals row, mixed date styles and impossible timelines as ``python -m etl demo`` writes. The
difference is scale: tickets are built one chunk of 1M at a time (memory stays ~2 GB) and each size
in ``--rows`` is a prefix of the largest, so the 1M and 5M files come out of one pass:

- ``hotline_<N>_utf8.csv`` and ``hotline_<N>_gbk.csv``: one export of N tickets as seen at the end of
  the demo year, in UTF-8 and in GBK;
- ``hotline_<N>_utf8_changed10.csv`` (for the smallest N, or ``reload_rows``): the same N tickets with 10% of them changed
  (a later callback: satisfaction and content differ), for the overlapping-reload benchmark;
- ``hotline_<X>.xlsx``: the first X tickets (default 200,000) as an XLSX export, real date cells;
- ``grids.geojson``, ``compounds.csv``, ``inspections.xlsx``: the demo district the tickets are placed in.

A ``manifest.json`` records what was generated with which seed; files are regenerated only when missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from benchlib import OUT  # noqa: E402
from etl import demo  # noqa: E402
from etl.demo_calendar import DAY, make_period, stamp  # noqa: E402
from etl.demo_place import build_compounds, build_district, build_inspections  # noqa: E402
from etl.demo_tickets import build_hotline  # noqa: E402

SEED = 2025
END_MONTH = dt.date(2025, 10, 1)  # a past month: byte-identical files on every machine
CHUNK = 1_000_000
VERSION = 1  # bump when the file layout changes, to regenerate cached files
TIME_COLUMNS = ("来电时间", "派单时间", "签收时间", "办结时间", "办理时限", "回访时间")


def paths(rows: int, out: Path = OUT) -> dict[str, Path]:
    return {
        "utf8": out / f"hotline_{rows}_utf8.csv",
        "gbk": out / f"hotline_{rows}_gbk.csv",
        "changed": out / f"hotline_{rows}_utf8_changed10.csv",
    }


def xlsx_path(rows: int, out: Path = OUT) -> Path:
    return out / f"hotline_{rows}.xlsx"


def place_files(out: Path = OUT) -> list[Path]:
    return [out / "grids.geojson", out / "compounds.csv", out / "inspections.xlsx"]


def _manifest(out: Path) -> dict:
    path = out / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _save_manifest(out: Path, manifest: dict) -> None:
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))


def ensure(sizes: list[int], xlsx_rows: int = 200_000, out: Path = OUT, say=print, reload_rows: int | None = None) -> dict:
    """Generate whatever is missing; return the manifest (paths, sizes in bytes, generation seconds).

    The changed-10% export is made for ``reload_rows`` (default: the smallest size; 0: none).
    """
    out.mkdir(parents=True, exist_ok=True)
    reload_rows = min(sizes) if reload_rows is None else reload_rows
    manifest = _manifest(out)
    if manifest.get("version") != VERSION or manifest.get("seed") != SEED:
        manifest = {"version": VERSION, "seed": SEED, "files": {}}
    files = manifest["files"]
    sizes = sorted(set(sizes))
    wanted_csv = [n for n in sizes if not all(p.exists() and str(p) in files for p in _csv_targets(n, reload_rows))]
    wanted_xlsx = xlsx_rows if xlsx_rows and not (xlsx_path(xlsx_rows, out).exists() and str(xlsx_path(xlsx_rows, out)) in files) else 0
    need_places = not all(p.exists() for p in place_files(out))
    if not (wanted_csv or wanted_xlsx or need_places):
        return manifest

    started = time.perf_counter()
    period = make_period(END_MONTH, dt.datetime(2026, 1, 1))
    rng_geo, rng_compounds, rng_inspections, rng_hotline, _ = np.random.default_rng(SEED).spawn(5)
    district = build_district(rng_geo)
    compounds, companies = build_compounds(rng_compounds, district)
    if need_places:
        inspections = build_inspections(rng_inspections, compounds, companies, period)
        demo._write_grids(out / "grids.geojson", district)
        demo._write_compounds(out / "compounds.csv", compounds)
        demo._write_inspections(out / "inspections.xlsx", inspections, period)
        say(f"wrote the demo district: {', '.join(p.name for p in place_files(out))}")

    largest = max(wanted_csv + [wanted_xlsx] + [0])
    if wanted_csv or wanted_xlsx:
        _write_tickets(out, sizes if wanted_csv else [], wanted_xlsx, largest, district, compounds, companies,
                       period, rng_hotline, files, say, reload_rows)
    manifest["generated_seconds"] = round(time.perf_counter() - started, 1)
    _save_manifest(out, manifest)
    return manifest


def _csv_targets(n: int, reload_rows: int) -> list[Path]:
    p = paths(n)
    targets = [p["utf8"], p["gbk"]]
    if n == reload_rows:
        targets.append(p["changed"])
    return targets


def _write_tickets(out, sizes, xlsx_rows, largest, district, compounds, companies, period, rng, files, say,
                   reload_rows) -> None:
    at = period.end
    header = demo._csv_text([demo.HOTLINE_COLUMNS])
    preamble = f"{demo.HOTLINE_TITLE}\r\n导出时间：{stamp(at)}\r\n"
    handles = {}
    for n in sizes:
        p = paths(n, out)
        handles[(n, "utf8")] = (open(p["utf8"], "wb"), "utf-8")
        handles[(n, "gbk")] = (open(p["gbk"], "wb"), "gbk")
        if n == reload_rows:
            handles[(n, "changed")] = (open(p["changed"], "wb"), "utf-8")
    for f, encoding in handles.values():
        f.write((preamble + header).encode(encoding))
    per_day: dict[int, int] = {}  # tickets numbered so far on each day, across chunks
    change_rng = np.random.default_rng(SEED + 1)
    xlsx_columns: list[list] | None = None
    written = 0
    while written < largest:
        n = min(CHUNK, largest - written)
        t0 = time.perf_counter()
        tickets = build_hotline(rng, n, district, compounds, companies, period)
        # Ticket numbers GD<yyyymmdd><5 digits>, unique across chunks.
        day = tickets["received"] // DAY
        order = np.argsort(day, kind="stable")
        seq = np.empty(n, dtype=np.int64)
        for d, start, count in zip(*np.unique(day[order], return_index=True, return_counts=True)):
            base = per_day.get(int(d), 0)
            seq[order[start:start + count]] = base + np.arange(1, count + 1)
            per_day[int(d)] = base + count
        dates = np.char.replace(day.astype("datetime64[D]").astype(str), "-", "")
        tickets["id"] = np.array([f"GD{d}{s:05d}" for d, s in zip(dates, seq)], dtype=object)
        short = rng.random(n) < 0.08  # rows written by an older export job: '2025/9/14 0:12'
        changed = change_rng.random(n) < 0.10
        if xlsx_rows and written < xlsx_rows:
            xlsx_columns = _xlsx_columns(tickets, at, slice(0, min(n, xlsx_rows - written)), xlsx_columns)
        for start in range(0, n, demo.CHUNK_ROWS):
            part = slice(start, min(n, start + demo.CHUNK_ROWS))
            columns = demo._hotline_columns({k: v[part] for k, v in tickets.items()}, at, short[part])
            rows = list(zip(*columns))
            text = demo._csv_text(rows)
            targets = [(key, f, enc) for key, (f, enc) in handles.items() if written + part.start < key[0]]
            for (size, kind), f, enc in targets:
                limit = size - (written + part.start)  # rows this file still takes
                chunk_text = text if limit >= len(rows) else demo._csv_text(rows[:limit])
                if kind == "changed":
                    chunk_text = demo._csv_text(_change(rows[:limit], changed[part][:limit]))
                f.write(chunk_text.encode(enc))
        written += n
        say(f"  tickets {written:,}/{largest:,} ({time.perf_counter() - t0:.0f} s for this chunk)")
        del tickets
    for (size, kind), (f, enc) in handles.items():
        f.write(f"合计：{size}条\r\n".encode(enc))
        f.close()
        path = paths(size, out)[kind]
        files[str(path)] = {"rows": size, "bytes": path.stat().st_size, "encoding": enc}
    if xlsx_rows and xlsx_columns is not None:
        _write_xlsx(xlsx_path(xlsx_rows, out), xlsx_columns, period)
        files[str(xlsx_path(xlsx_rows, out))] = {"rows": xlsx_rows, "bytes": xlsx_path(xlsx_rows, out).stat().st_size}
        say(f"  wrote {xlsx_path(xlsx_rows, out).name}")


def _change(rows: list[tuple], changed: np.ndarray) -> list[tuple]:
    """10% of the tickets as a later export shows them: a different callback result and a note."""
    idx_sat, idx_content = demo.HOTLINE_COLUMNS.index("满意度"), demo.HOTLINE_COLUMNS.index("诉求内容")
    flip = {"满意": "基本满意", "基本满意": "不满意", "不满意": "满意", "": "满意"}
    result = []
    for row, change in zip(rows, changed):
        if change:
            row = list(row)
            row[idx_sat] = flip.get(row[idx_sat], "满意")
            row[idx_content] = row[idx_content] + "（回访后补充说明）"
            row = tuple(row)
        result.append(row)
    return result


def _xlsx_columns(tickets: dict, at: int, part: slice, previous: list[list] | None) -> list[list]:
    """The HOTLINE_COLUMNS of some tickets for the XLSX: time columns as Excel serials (real date cells)."""
    t = {k: v[part] for k, v in tickets.items()}
    n = len(t["id"])
    columns = demo._hotline_columns(t, at, np.zeros(n, dtype=bool))
    extension_seen = t["extended"] & (t["due"] <= at)
    due = np.where(extension_seen, t["extended_due"], t["due"])
    serials = {
        "来电时间": demo._excel_serial(t["received"], np.ones(n, dtype=bool)),
        "派单时间": demo._excel_serial(t["dispatched"], t["dispatched"] < at),
        "签收时间": demo._excel_serial(t["responded"], t["responded"] < at),
        "办结时间": demo._excel_serial(t["resolved"], t["resolved"] < at),
        "办理时限": demo._excel_serial(due, np.ones(n, dtype=bool)),
        "回访时间": demo._excel_serial(t["callback"], t["callback"] < at),
    }
    for name, values in serials.items():
        columns[demo.HOTLINE_COLUMNS.index(name)] = values
    if previous is None:
        return columns
    return [a + b for a, b in zip(previous, columns)]


def _write_xlsx(path: Path, columns: list[list], period) -> None:
    """An XLSX hotline export: merged title, export-time line, header on row 3, real date cells."""
    headers = demo.HOTLINE_COLUMNS
    workbook = demo._workbook(path, demo.HOTLINE_TITLE, period)
    sheet = workbook.add_worksheet("工单明细")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for name in TIME_COLUMNS:
        col = headers.index(name)
        sheet.set_column(col, col, 19, date_format)
    sheet.merge_range(0, 0, 0, len(headers) - 1, demo.HOTLINE_TITLE,
                      workbook.add_format({"bold": True, "font_size": 14, "align": "center"}))
    sheet.write_string(1, 0, f"导出时间：{stamp(period.end)}")
    sheet.write_row(2, 0, headers, workbook.add_format({"bold": True, "border": 1}))
    workbook.close()
    kinds = "".join("n" if h in TIME_COLUMNS else "s" for h in headers)
    demo._append_rows(path, 3, columns, kinds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1000000,5000000", help="comma-separated ticket counts")
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    args = parser.parse_args()
    manifest = ensure([int(x) for x in args.rows.split(",")], args.xlsx_rows)
    for path, info in manifest["files"].items():
        print(f"{info['bytes'] / 1e6:9.1f} MB  {info['rows']:>9,} rows  {path}")


if __name__ == "__main__":
    main()
