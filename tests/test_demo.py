"""The demo generator writes deterministic export files with the quirks real exports have."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import pytest
import python_calamine
import shapely

from etl.demo import generate_demo
from etl.fields import SOURCES, match_headers
from etl.load import load_files
from etl.staging import ENUMS

END_MONTH = dt.date(2025, 11, 1)
N_TICKETS = 3000


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Path]:
    messages: list[str] = []
    files = generate_demo(tmp_path_factory.mktemp("demo"), seed=7, end_month=END_MONTH, n_tickets=N_TICKETS,
                          progress=messages.append)
    assert any(re.search(r"网格 6\d\d 个", m) for m in messages), messages
    return {path.name: path for path, _ in files} | {"_files": files}


def hotline_rows(path: Path) -> tuple[list[str], dict[str, dict[str, str]], list[dict[str, str]], str]:
    """(title line, export line), records by ticket id, records, totals line."""
    lines = path.read_bytes().decode("gbk").split("\r\n")
    assert lines[-1] == ""
    title, exported, body, totals = lines[0], lines[1], lines[2:-2], lines[-2]
    records = list(csv.DictReader(io.StringIO("\n".join(body))))
    return [title, exported], {r["工单编号"]: r for r in records}, records, totals


def sheet_rows(path: Path) -> list[tuple]:
    """Cell values of the first sheet, empty cells as None (calamine: ten times faster than openpyxl)."""
    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    return [tuple(None if v == "" else v for v in row) for row in rows]


def merged_ranges(path: Path) -> list[str]:
    """Merged ranges straight from the sheet XML (calamine does not report them)."""
    with zipfile.ZipFile(path) as archive:
        return re.findall(r'<mergeCell ref="([A-Z0-9:]+)"', archive.read("xl/worksheets/sheet1.xml").decode())


def test_files_come_in_load_order(demo):
    files = demo["_files"]
    assert [source for _, source in files] == ["grids", "compounds", "inspections", "hotline", "hotline", "events"]
    assert [p.name for p, _ in files] == ["grids.geojson", "compounds.csv", "inspections.xlsx",
                                          "hotline_part1.csv", "hotline_part2.csv", "events.xlsx"]
    assert all(p.stat().st_size > 1000 for p, _ in files)


def test_same_seed_and_month_give_the_same_bytes(demo, tmp_path):
    again = generate_demo(tmp_path / "again", seed=7, end_month=END_MONTH, n_tickets=N_TICKETS)
    for path, _ in again:
        assert path.read_bytes() == demo[path.name].read_bytes(), path.name


def test_a_future_end_month_is_refused(tmp_path):
    next_year = dt.date(dt.date.today().year + 1, 1, 1)
    with pytest.raises(ValueError, match="in the future"):
        generate_demo(tmp_path, end_month=next_year, n_tickets=100)
    assert not list(tmp_path.iterdir())


def test_the_current_month_stops_before_now(tmp_path):
    files = dict((source, path) for path, source in generate_demo(tmp_path, n_tickets=600))
    _, _, records, _ = hotline_rows(tmp_path / "hotline_part2.csv")
    received = [dt.datetime.strptime(r["受理时间"], "%Y-%m-%d %H:%M:%S" if "-" in r["受理时间"] else "%Y/%m/%d %H:%M")
                for r in records]
    now = dt.datetime.now()
    assert max(received) < now
    assert min(received) >= dt.datetime(now.year - (now.month == 1), (now.month - 2) % 12 + 1, 1)
    assert files["events"].exists()


def test_every_header_is_a_known_synonym(demo):
    """The loader maps each column the generator writes, so nothing is silently dropped."""
    def check(headers: list[str], source: str) -> None:
        mapping = match_headers(headers, SOURCES[source])
        assert sorted(mapping.values()) == sorted(headers), (source, set(headers) - set(mapping.values()))

    grids = json.loads(demo["grids.geojson"].read_text(encoding="utf-8"))
    check(list(grids["features"][0]["properties"]), "grids")
    check(demo["compounds.csv"].read_text(encoding="utf-8-sig").splitlines()[0].split(","), "compounds")
    for name in ("hotline_part1.csv", "hotline_part2.csv"):
        check(demo[name].read_bytes().decode("gbk").split("\r\n")[2].split(","), "hotline")
    check(list(sheet_rows(demo["inspections.xlsx"])[3]), "inspections")
    check(list(sheet_rows(demo["events.xlsx"])[1]), "events")


def test_grids_tile_the_district(demo):
    collection = json.loads(demo["grids.geojson"].read_text(encoding="utf-8"))
    features = collection["features"]
    assert 600 <= len(features) <= 700
    props = [f["properties"] for f in features]
    assert list(props[0]) == ["网格编号", "网格名称", "社区编号", "所属社区", "街道编号", "所属街道", "网格类型",
                              "户数", "人口", "红色户", "黄色户", "绿色户", "网格员"]
    codes = [p["网格编号"] for p in props]
    assert len(set(codes)) == len(codes) and all(re.fullmatch(r"S0[1-8]C\d\dG\d\d", c) for c in codes)
    assert all(p["网格编号"].startswith(p["社区编号"]) and p["社区编号"].startswith(p["街道编号"]) for p in props)
    assert len({p["社区编号"] for p in props}) == 60 and len({p["所属街道"] for p in props}) == 8
    assert {p["网格类型"] for p in props} == {"综合网格", "专属网格", "农村网格"}
    assert all(150 <= p["户数"] <= 600 and p["红色户"] + p["黄色户"] + p["绿色户"] == p["户数"] for p in props)
    assert all(p["红色户"] < p["黄色户"] < p["绿色户"] for p in props)

    polygons = [shapely.geometry.shape(f["geometry"]) for f in features]
    assert all(f["geometry"]["type"] == "Polygon" for f in features)
    assert all(p.is_valid and len(p.exterior.coords) <= 41 for p in polygons)
    union = shapely.union_all(polygons)
    # One piece without holes: no gaps between grids. Areas add up: no overlaps.
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert sum(p.area for p in polygons) == pytest.approx(union.area, rel=1e-6)
    tree = shapely.STRtree(polygons)
    left, right = tree.query(polygons, predicate="intersects")
    pairs = left < right
    shapes = np.array(polygons, dtype=object)
    overlaps = shapely.area(shapely.intersection(shapes[left[pairs]], shapes[right[pairs]]))
    assert overlaps.max() < 1e-9  # square degrees: about 0.01 m²
    minx, miny, maxx, maxy = union.bounds
    assert 18 < (maxx - minx) * 100.5 < 22 and 14 < (maxy - miny) * 110.8 < 18  # km
    assert 103.6 < minx and maxx < 104.0 and 25.4 < miny and maxy < 25.6


def test_compounds_csv_has_a_bom_and_known_grids(demo):
    raw = demo["compounds.csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    grid_codes = {f["properties"]["网格编号"] for f in json.loads(demo["grids.geojson"].read_text(encoding="utf-8"))["features"]}
    assert 650 <= len(rows) <= 750
    names = [r["小区名称"] for r in rows]
    assert len(set(names)) == len(names)
    assert not [a for a in names for b in names if a != b and a in b]  # address matching stays unambiguous
    assert {r["所属网格"] for r in rows} <= grid_codes
    assert all(80 <= int(r["总户数"]) <= 1500 and r["小区地址"].startswith("翠湖区") for r in rows)
    households = {}
    for r in rows:
        households[r["物业服务企业"]] = households.get(r["物业服务企业"], 0) + int(r["总户数"])
    assert 35 <= len(households) <= 45
    assert sum(1 for total in households.values() if total < 100) >= 2


def test_inspections_workbook_has_title_rows_and_date_cells(demo):
    table = sheet_rows(demo["inspections.xlsx"])
    assert table[0][0] == "翠湖区物业服务日常考核记录" and merged_ranges(demo["inspections.xlsx"]) == ["A1:G1"]
    assert table[1][0] == "导出时间：2025-11-30"
    assert all(v is None for v in table[2])
    assert table[3] == ("考核编号", "考核日期", "物业企业", "小区名称", "考核项目", "得分", "考核人")
    rows = table[4:]
    assert all(isinstance(r[1], dt.date) and dt.date(2024, 11, 1) <= r[1] < dt.date(2025, 12, 1) for r in rows)
    assert all(r[1].weekday() < 5 for r in rows)
    assert all(0 <= r[5] <= 100 and round(r[5], 1) == r[5] for r in rows)
    assert {r[4] for r in rows} == {"环境卫生", "秩序维护", "设施设备", "绿化养护", "消防安全"}
    months: dict[str, set] = {}
    for r in rows:
        months.setdefault(r[2], set()).add((r[1].year, r[1].month))
    assert sum(1 for m in months.values() if len(m) == 13) >= 30
    assert sum(1 for m in months.values() if len(m) == 12) == 2  # two companies skip one month
    by_company: dict[str, list[float]] = {}
    for r in rows:
        by_company.setdefault(r[2], []).append(r[5])
    means = sorted(sum(v) / len(v) for v in by_company.values())
    assert means[0] < 75 < 85 < means[-1]  # poorly run companies stand out


def test_hotline_exports_are_gbk_with_title_and_totals(demo):
    for name, header in (("hotline_part1.csv", "来电时间"), ("hotline_part2.csv", "受理时间")):
        raw = demo[name].read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        (title, exported), by_id, records, totals = hotline_rows(demo[name])
        assert title == "翠湖区12345政务服务便民热线工单明细表" and "," not in title
        assert re.fullmatch(r"导出时间：\d{4}-\d\d-\d\d 23:59", exported)
        assert header in records[0]
        assert totals == f"合计：{len(records)}条"
        assert all(re.fullmatch(r"GD\d{13}", r["工单编号"]) for r in records)
        assert len(by_id) == len(records)
    assert hotline_rows(demo["hotline_part1.csv"])[0][1] == "导出时间：2025-10-31 23:59"
    assert hotline_rows(demo["hotline_part2.csv"])[0][1] == "导出时间：2025-11-30 23:59"


def test_hotline_content_quirks(demo):
    _, _, records, _ = hotline_rows(demo["hotline_part1.csv"])
    long_form, short_form = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d\d"
    received = [r["来电时间"] for r in records]
    assert all(re.fullmatch(long_form, v) or re.fullmatch(short_form, v) for v in received)
    assert 0.03 < sum(bool(re.fullmatch(short_form, v)) for v in received) / len(received) < 0.15
    assert {r["诉求来源"] for r in records} == {"12345热线"}
    assert {r["诉求类型"] for r in records} == {"咨询", "求助", "投诉", "举报", "建议"}
    # Only words the loader keeps as they are (etl.staging.ENUMS); the rarer ones: test_every_status_the_rules_know_shows.
    assert {r["工单状态"] for r in records} <= {word for word, status in ENUMS["status"].items() if word == status}
    assert {r["满意度"] for r in records} == {"满意", "基本满意", "不满意", ""}
    blank_grid = sum(r["网格编号"] == "" for r in records) / len(records)
    assert 0.08 < blank_grid < 0.22
    assert any(r["来电号码"].startswith("0874-") for r in records)
    assert all(re.fullmatch(r"1\d{10}|0874-\d{7}", r["来电号码"]) for r in records)
    assert any(re.search(r"1\d{10}", r["诉求内容"]) for r in records)  # phone numbers hide in the text

    def when(text: str) -> dt.datetime:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S" if "-" in text else "%Y/%m/%d %H:%M")

    impossible = [r for r in records if r["办结时间"] and when(r["办结时间"]) < when(r["来电时间"])]
    assert 3 <= len(impossible) <= 30


def test_some_contents_name_another_person_whom_masking_hides(demo):
    """About 1% of the texts name someone besides the caller (联系人：李明。, 业主王建国也反映此问题。), so the
    demo shows (and the pages' tests could see) that such a name is masked too, with only its first character."""
    from onescreen.masking import scrub_text

    records = [r for part in ("hotline_part1.csv", "hotline_part2.csv") for r in hotline_rows(demo[part])[2]]
    pattern = r"(联系人：|业主)([^\W\d_]{2,4}?)(。|也反映此问题。)$"
    contents = [(r.get("诉求内容", r.get("来电内容")), r["来电人"]) for r in records]   # part 2 names it 来电内容
    named = [(content, caller, m) for content, caller in contents if (m := re.search(pattern, content))]
    assert 0.003 < len(named) / len(records) < 0.03
    for content, caller, m in named:
        masked = scrub_text(content, caller_name=caller)
        label, name, tail = m.groups()
        assert masked.endswith(label + name[0] + "*" * (len(name) - 1) + tail) and name not in masked, masked


def test_some_callers_ring_again_about_the_same_matter_within_weeks(demo):
    # 重复诉求: the same number and first-level category within 30 days of that caller's previous call.
    _, _, records, _ = hotline_rows(demo["hotline_part1.csv"])

    def when(text: str) -> dt.datetime:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S" if "-" in text else "%Y/%m/%d %H:%M")

    last: dict[tuple[str, str], dt.datetime] = {}
    repeats = 0
    for r in sorted(records, key=lambda r: when(r["来电时间"])):
        key, at = (r["来电号码"], r["一级分类"]), when(r["来电时间"])
        repeats += key in last and at - last[key] <= dt.timedelta(days=30)
        last[key] = at
    assert 0.03 < repeats / len(records) < 0.15, repeats / len(records)


def test_property_complaints_happen_at_compounds(demo):
    compounds = list(csv.DictReader(io.StringIO(demo["compounds.csv"].read_text(encoding="utf-8-sig"))))
    grid_of = {c["小区名称"]: c["所属网格"] for c in compounds}
    _, _, records, _ = hotline_rows(demo["hotline_part1.csv"])
    property_tickets = [r for r in records if r["一级分类"] == "物业管理"]
    assert 0.12 < len(property_tickets) / len(records) < 0.25
    for r in property_tickets:
        named = [name for name in grid_of if name in r["诉求地址"]]
        assert len(named) == 1, r["诉求地址"]
        assert r["网格编号"] in ("", grid_of[named[0]])
    blank_but_findable = [r for r in records if not r["网格编号"] and any(n in r["诉求地址"] for n in grid_of)]
    assert blank_but_findable


def test_the_later_export_repeats_the_overlap_month_with_newer_status(demo):
    _, part1, _, _ = hotline_rows(demo["hotline_part1.csv"])
    _, part2, _, _ = hotline_rows(demo["hotline_part2.csv"])
    both = part1.keys() & part2.keys()
    assert both and all(i[2:8] == "202510" for i in both)
    assert not {i for i in part1 if i[2:8] == "202511"} and not {i for i in part2 if i[2:8] < "202510"}
    newer = [i for i in both if part1[i]["工单状态"] == "办理中" and part2[i]["办理状态"] == "已办结"]
    assert len(newer) >= 0.1 * len(both)
    for i in newer:
        assert part1[i]["办结时间"] == part1[i]["回访时间"] == part1[i]["满意度"] == ""
        assert part2[i]["办结时间"] != ""
    assert any(part2[i]["回访时间"] and part2[i]["满意度"] for i in newer)
    assert all(part1[i]["来电时间"][:10].replace("/", "-") == part2[i]["受理时间"][:10].replace("/", "-")
               or "/" in part1[i]["来电时间"] + part2[i]["受理时间"] for i in both)


def test_events_workbook(demo):
    table = sheet_rows(demo["events.xlsx"])
    assert table[0][0] == "网格化服务管理平台事件清单" and merged_ranges(demo["events.xlsx"]) == ["A1:S1"]
    header = list(table[1])
    assert header[:3] == ["事件编号", "上报时间", "事件来源"] and header[-3:] == ["经度", "纬度", "事件描述"]
    rows = [dict(zip(header, r)) for r in table[2:]]
    assert 850 <= len(rows) <= 950
    assert all(re.fullmatch(r"SJ\d{13}", r["事件编号"]) for r in rows)
    as_date = [r for r in rows if isinstance(r["上报时间"], dt.datetime)]
    as_text = [r for r in rows if isinstance(r["上报时间"], str)]
    assert len(as_date) > 0.8 * len(rows) and as_text
    assert all(re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{1,2}时\d{1,2}分", r["上报时间"]) for r in as_text)
    assert {r["事件来源"] for r in rows} == {"网格员上报", "视频巡查", "随手拍", "110非警务", "来访"}
    levels = [r["办理层级"] for r in rows]
    assert set(levels) == {"网格", "社区", "街道", "区"} and 0.5 < levels.count("网格") / len(rows) < 0.7
    assert {r["是否吹哨"] for r in rows} == {"是", "否"}
    assert {r["是否会商"] for r in rows} == {"是", "否"}
    assert all(isinstance(r["派发时间"], dt.datetime) and isinstance(r["办结时限"], dt.datetime) for r in rows)

    grids = {f["properties"]["网格编号"]: shapely.geometry.shape(f["geometry"])
             for f in json.loads(demo["grids.geojson"].read_text(encoding="utf-8"))["features"]}
    located = [r for r in rows if r["经度"] is not None and r["所属网格"]]
    assert 0.8 * len(rows) < len(located) < len(rows)
    assert all(grids[r["所属网格"]].intersects(shapely.Point(r["经度"], r["纬度"])) for r in located)


def test_stuck_tickets_are_closed_late_so_the_backlog_is_weeks_old_not_a_year(demo):
    """Tickets nobody closed in time are closed 10 to 60 working days late, not never: a year of them piled up on the
    big screen (超期在办 1,428, every one 超期 230-241 个工作日). At an export, the open tickets are recent ones."""
    (_, exported), _, records, _ = hotline_rows(demo["hotline_part1.csv"])
    at = dt.datetime.strptime(exported.removeprefix("导出时间："), "%Y-%m-%d %H:%M")

    def when(text: str) -> dt.datetime:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S" if "-" in text else "%Y/%m/%d %H:%M")

    overdue = [at - when(r["办理时限"]) for r in records
               if r["工单状态"] in ("办理中", "延期") and when(r["办理时限"]) < at]
    assert overdue and max(overdue) < dt.timedelta(days=95)  # 60 working days and the holidays among them
    closed_late = [when(r["办结时间"]) - when(r["办理时限"]) for r in records
                   if r["工单状态"] == "已办结" and when(r["办结时间"]) > when(r["办理时限"])]
    assert sum(late > dt.timedelta(days=14) for late in closed_late) >= 3  # the stuck ones, closed after all
    assert max(closed_late) < dt.timedelta(days=95)


def _status(record: dict[str, str]) -> str:
    return record.get("工单状态", record.get("办理状态"))   # part 2 names it 办理状态


def _when(text: str) -> dt.datetime | None:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S" if "-" in text else "%Y/%m/%d %H:%M") if text else None


def test_every_status_the_rules_know_shows(demo):
    """已撤销, 重办 and 待派单 (docs/metrics.md, 工单状态) are in the exports as a real one writes them, so the demo
    screens show their rules at work: a withdrawn ticket never closed, a reopened one with the callback that found it
    unsolved, tickets waiting to be dispatched (some past their deadline); a ticket of both exports changes its status
    only with a later event time (no tie the load would have to settle)."""
    (_, exported), part2, _, _ = hotline_rows(demo["hotline_part2.csv"])
    _, part1, _, _ = hotline_rows(demo["hotline_part1.csv"])
    at = dt.datetime.strptime(exported.removeprefix("导出时间："), "%Y-%m-%d %H:%M")
    tickets = part1 | part2
    voided = [r for r in tickets.values() if _status(r) == "已撤销"]
    assert 0.002 < len(voided) / len(tickets) < 0.01
    assert all(r["办结时间"] == r["回访时间"] == r["满意度"] == "" for r in voided)
    reopened = [r for r in part2.values() if _status(r) == "重办"]
    assert reopened and all(r["办结时间"] and r["回访时间"] and r["是否解决"] == "否" for r in reopened)
    waiting = [r for r in part2.values() if _status(r) == "待派单"]
    assert waiting and all(r["派单时间"] == r["签收时间"] == r["办结时间"] == "" for r in waiting)
    assert any(_when(r["办理时限"]) < at for r in waiting)   # waiting past the deadline: overdue

    def newest(r: dict[str, str]) -> dt.datetime:
        times = [_when(r[c]) for c in (next(c for c in ("来电时间", "受理时间") if c in r), "派单时间", "签收时间", "办结时间", "回访时间")]
        return max(t for t in times if t).replace(second=0)

    new_statuses = {"已撤销", "重办", "待派单"}
    changed = [i for i in part1.keys() & part2.keys()
               if _status(part1[i]) != _status(part2[i]) and {_status(part1[i]), _status(part2[i])} & new_statuses]
    assert all(newest(part2[i]) > newest(part1[i]) for i in changed)


@pytest.fixture(scope="module")
def demo_load(demo, tmp_path_factory):
    """(warehouse path, load report) of the demo loaded as ``python -m etl demo`` loads it."""
    path = tmp_path_factory.mktemp("demo_warehouse") / "warehouse.duckdb"
    return path, load_files([p for p, _ in demo["_files"]], db_path=path, loaded_by="tests")


@pytest.fixture(scope="module")
def demo_warehouse(demo_load) -> Path:
    return demo_load[0]


def test_the_two_hotline_exports_load_without_a_tie_to_own_up_to(demo_load):
    """Tickets extended or returned between the two hotline exports (no event time moves) differ at the same progress;
    the exports' title rows (导出时间) say the second is the later, so the load takes it without a warning: a new
    user's first load says nothing that is the generator's own doing."""
    report = demo_load[1]
    part2 = next(f for f in report.files if f.file_name == "hotline_part2.csv")
    assert part2.updated > 0
    assert not [w for f in report.files for w in f.warnings if "最新进展时间相同" in w or "更新的进展" in w]


def test_the_marts_count_the_demo_statuses_by_the_rules(demo_warehouse):
    """Loaded, the demo's 已撤销 tickets count in 受理量 only (never open, closed or overdue); its 重办 ones are in hand
    although their export carries a 办结时间 (open, overdue once past the deadline); its 待派单 ones are in hand and
    overdue once past the deadline (docs/metrics.md, 工单状态)."""
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        by_status = {row[0]: row[1:] for row in con.execute("""
            select t.status, count(*), count(o.ticket_id), count(*) filter (where o.is_overdue),
                   count(*) filter (where o.due_at < (select as_of from mart_meta)),
                   count(*) filter (where t.resolved_at is not null), count(*) filter (where t.dispatched_at is null)
            from fct_tickets t left join mart_open_tickets o using (ticket_id)
            where t.source = '12345热线' group by t.status""").fetchall()}
        rates = con.execute("""
            select sum(ticket_count), sum(closed_count), sum(open_count), sum(overdue_count) from mart_rates
            where period_type = 'month' and level = 'source' and unit_code = '12345热线'""").fetchone()
    finally:
        con.close()
    n, opened, overdue, past_due, with_resolved, undispatched = by_status["已撤销"]
    assert n >= 3 and opened == overdue == 0
    n, opened, overdue, past_due, with_resolved, undispatched = by_status["重办"]
    assert n >= 1 and opened == with_resolved == n and overdue == past_due
    n, opened, overdue, past_due, with_resolved, undispatched = by_status["待派单"]
    assert n >= 1 and opened == undispatched == n and overdue == past_due >= 1
    in_hand = ("办理中", "延期", "重办", "待派单")
    assert rates == (sum(v[0] for v in by_status.values()), by_status["已办结"][0],
                     sum(by_status[s][0] for s in in_hand if s in by_status),
                     sum(by_status[s][2] for s in in_hand if s in by_status))


def test_the_ticket_list_shows_the_demo_statuses_where_a_user_looks(demo_warehouse, monkeypatch):
    """工单明细 on the demo: a 待派单 ticket past its deadline is under 超期, a 重办 one under 未办结 (neither under 已办结),
    each with its 工单状态; a 已撤销 one is under 全部 as 已撤销 and under no count of work."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ONESCREEN_DB", str(demo_warehouse))
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        waiting, reopened, voided = (con.execute(
            f"select min(ticket_id) from fct_tickets t left join mart_open_tickets o using (ticket_id) where {where}"
        ).fetchone()[0] for where in ("t.status = '待派单' and o.is_overdue", "t.status = '重办'", "t.status = '已撤销'"))
    finally:
        con.close()

    def listed(status: str, ticket_id: str) -> list[tuple[str, str]]:
        at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
        at.query_params.update({"status": status, "range": "all", "ticket_id": ticket_id})
        at.run()
        at.switch_page("app_pages/tickets.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        tables = [d.value for d in at.dataframe if "工单编号" in d.value.columns]
        return [(r["办理状态"], r["工单状态"]) for r in tables[0].to_dict("records")] if tables else []

    assert listed("overdue", waiting) == [("超期", "待派单")]
    assert listed("open", reopened) in ([("办理中", "重办")], [("超期", "重办")], [("临期", "重办")])
    assert listed("closed", reopened) == listed("closed", waiting) == []
    assert listed("all", voided) == [("已撤销", "已撤销")]
    assert listed("open", voided) == listed("closed", voided) == []
