"""``onescreen.upload`` without Streamlit: sizes refused before parsing, zip bombs, sanitised names,
recognition with hand-made mappings, the staged preview, and the check (a dry run of the real load)."""

from __future__ import annotations

import hashlib
import io
import os
import time
import zipfile

import pandas as pd
import pytest

from etl.errors import LoadError
from etl.fields import IGNORE, SOURCES, match_headers
from etl.load import FileOptions, load_files
from etl.warehouse import writer
from onescreen import settings, upload

from conftest import FIXTURES, bomb_sheet, xlsx_with


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "DATA_DIR", tmp_path / "data")
    return upload.session_folder(upload.new_session_id())


@pytest.mark.parametrize("name, expected", [
    ("12345热线工单.csv", "12345热线工单.csv"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\分析员\\热线 导出.xlsx", "热线 导出.xlsx"),
    ('a<b>:"c|?.csv', "a_b_c_.csv"),
    ("a\x00b\nc.csv", "a_b_c.csv"),
    (".hidden.csv", "hidden.csv"),
    ("..", "upload"),
    ("", "upload"),
    ("长" * 200 + ".csv", "长" * 116 + ".csv"),
])
def test_sanitised_names(name, expected):
    assert upload.sanitise_name(name) == expected


def test_size_limit_refused_before_anything_is_read(folder):
    def never():
        raise AssertionError("the bytes were read")

    with pytest.raises(LoadError) as err:
        upload.save_upload(folder, "热线.csv", 51 * 1048576, never, limit=50 * 1048576)
    assert str(err.value) == ("错误：文件 热线.csv 有 51 MB，超过上传上限 50 MB，未读取。"
                              "请按时间段分成几个较小的文件再上传，或由管理员调整 ONESCREEN_UPLOAD_LIMIT_MB。")
    assert list(folder.iterdir()) == []


def test_size_limit_comes_from_the_environment(folder, monkeypatch):
    monkeypatch.setenv("ONESCREEN_UPLOAD_LIMIT_MB", "0.0001")
    data = (FIXTURES / "hotline_utf8.csv").read_bytes()
    with pytest.raises(LoadError, match="超过上传上限 0.1 KB"):
        upload.save_upload(folder, "hotline_utf8.csv", len(data), lambda: data)


def test_a_size_claim_smaller_than_the_bytes_is_not_trusted(folder):
    with pytest.raises(LoadError, match="超过上传上限"):
        upload.save_upload(folder, "x.csv", 10, lambda: b"a,b\n" * 1000, limit=1000)
    assert list(folder.iterdir()) == []


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_zip_bomb_refused_and_not_kept(folder):
    bomb = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"0" * (8 << 20)})
    with pytest.raises(LoadError) as err:
        upload.save_upload(folder, "工单.xlsx", len(bomb), lambda: bomb)
    ratio = round((8 << 20) / zipfile.ZipFile(io.BytesIO(bomb)).getinfo("xl/worksheets/sheet1.xml").compress_size)
    assert str(err.value) == (f"文件 工单.xlsx 中的 xl/worksheets/sheet1.xml 解压后是压缩时的 {ratio} 倍（工作表通常不到 100 倍），"
                              "像是“压缩炸弹”，为安全起见未读取。如果这是正常导出的文件，请按时间段分成几个较小的文件，"
                              "或在 Excel 中另存为 CSV（UTF-8）后再导入。")
    assert list(folder.iterdir()) == []


def test_zip_bomb_hidden_behind_random_padding_refused_and_not_kept(folder):
    import random

    bomb = xlsx_with(bomb_sheet(4), padding=random.Random(0).randbytes(200_000))
    with pytest.raises(LoadError, match="中的 xl/worksheets/sheet1.xml 解压后是压缩时的 .* 倍"):
        upload.save_upload(folder, "工单.xlsx", len(bomb), lambda: bomb)
    assert list(folder.iterdir()) == []


def test_a_zip_that_is_no_workbook_is_refused(folder):
    data = _zip({"readme.txt": b"hello"})
    with pytest.raises(LoadError, match="缺少 xl/workbook.xml"):
        upload.save_upload(folder, "工单.xlsx", len(data), lambda: data)


def test_saved_under_its_own_name_in_a_content_folder(folder):
    data = (FIXTURES / "hotline_utf8.csv").read_bytes()
    path = upload.save_upload(folder, "../热线/10月.csv", len(data), lambda: data)
    assert path == folder / hashlib.sha256(data).hexdigest()[:16] / "10月.csv"
    assert path.read_bytes() == data
    assert upload.file_key(path) == hashlib.sha256(data).hexdigest()[:16]


def test_content_decides_the_format_not_the_name(folder):
    data = (FIXTURES / "hotline.xlsx").read_bytes()
    path = upload.save_upload(folder, "看起来像.csv", len(data), lambda: data)
    assert upload.read_upload(path).file_format == "xlsx"
    junk = (FIXTURES / "binary.dat").read_bytes()
    path = upload.save_upload(folder, "工单.csv", len(junk), lambda: junk)
    with pytest.raises(LoadError, match="不是文本文件"):
        upload.read_upload(path)


def test_old_session_folders_are_pruned(folder):
    old = folder.parent / ("0" * 32)
    old.mkdir()
    os.utime(old, (time.time() - 3 * 24 * 3600,) * 2)
    upload.session_folder(upload.new_session_id())
    assert not old.exists() and folder.exists()
    with pytest.raises(ValueError):
        upload.session_folder("../../etc")


def test_a_discarded_upload_goes_with_its_folder_unless_a_rejects_file_is_beside_it(folder, tmp_path):
    data = (FIXTURES / "hotline_utf8.csv").read_bytes()
    first = upload.save_upload(folder, "hotline_utf8.csv", len(data), lambda: data)
    second = upload.save_upload(folder, "再次导出.csv", len(data), lambda: data)   # same content, same folder
    rejects = second.with_name("再次导出.rejected.csv")
    rejects.write_text("masked rows")
    upload.discard_upload(first)
    assert not first.exists() and second.exists()
    upload.discard_upload(second)
    assert not second.exists() and rejects.exists()
    elsewhere = tmp_path / "工单.csv"   # a file outside the uploads folder is never deleted
    elsewhere.write_bytes(data)
    upload.discard_upload(elsewhere)
    assert elsewhere.exists()


def test_files_removed_from_the_uploader_are_forgotten_and_deleted(folder):
    data = (FIXTURES / "hotline_utf8.csv").read_bytes()
    path = upload.save_upload(folder, "hotline_utf8.csv", len(data), lambda: data)
    saved = {"a": path, "b": path, "c": "错误：文件 x.csv 有 51 MB……"}   # the same file uploaded twice, a refusal
    assert upload.drop_removed(saved, {"b"}) == []
    assert saved == {"b": path} and path.exists()
    assert upload.drop_removed(saved, set()) == [path]
    assert saved == {} and not path.exists()


def test_stale_uploads_pruned_without_a_new_upload(folder):
    old = folder.parent / ("1" * 32)
    (old / "abc").mkdir(parents=True)
    os.utime(old, (time.time() - 3 * 24 * 3600,) * 2)
    upload.prune_uploads()
    assert not old.exists() and folder.exists()


def test_missing_fields_named_and_mapped_by_hand():
    raw = upload.read_upload(FIXTURES / "hotline_wrong_header.csv")
    plan = upload.plan(raw)
    assert plan.missing == ["ticket_id", "received_at"]
    assert upload.missing_message(plan) == (
        "文件 hotline_wrong_header.csv 按“12345热线工单”识别，但缺少必填字段“工单编号”、"
        "“来电时间”。请在下方列对应中为这些字段选择文件中的列，或手动选择来源类型。")
    overrides = upload.overrides_for(raw, {"ticket_id": "编号", "received_at": "日期", "content": None})
    assert overrides == {"编号": "ticket_id", "日期": "received_at", "内容": IGNORE}
    plan = upload.plan(raw, "hotline", overrides)
    assert (plan.missing, plan.mapping, plan.ignored) == ([], {"ticket_id": "编号", "received_at": "日期"}, ["内容"])


def test_ignore_unmaps_a_header_the_synonyms_know():
    headers = ["工单编号", "来电时间", "来电号码"]
    assert "caller_phone" in match_headers(headers, SOURCES["hotline"])
    assert match_headers(headers, SOURCES["hotline"], {"来电号码": IGNORE}) == {"ticket_id": "工单编号", "received_at": "来电时间"}


def test_preview_is_staged_and_masked():
    plan = upload.plan(upload.read_upload(FIXTURES / "hotline_bad_rows.csv"))
    frame = upload.preview(plan)
    assert list(frame.columns) == ["行号", "工单编号", "来电时间", "满意度",
                                   "所属社区", "来电人", "来电号码"]
    assert list(frame["行号"]) == [2, 3, 4, 5, 6]
    assert pd.api.types.is_datetime64_any_dtype(frame["来电时间"])
    assert frame["来电时间"].iloc[0] == pd.Timestamp("2025-10-05 09:00")
    assert pd.isna(frame["来电时间"].iloc[1])  # 2025-13-45 cannot be a date
    assert list(frame["来电号码"])[:2] == ["138****5678", "139****5678"]
    assert list(frame["来电人"])[:2] == ["张*", "李*"]
    assert len(upload.preview(plan, rows=2)) == 2


def test_preview_and_problems_mask_personal_numbers_typed_into_other_columns(tmp_path):
    path = tmp_path / "hotline_pii_elsewhere.csv"
    path.write_text("工单编号,来电时间,满意度,诉求来源,所属社区,来电人\n"
                    "P0001,2025-10-05 09:00,13912345678,身份证530102198807154512,东风社区,张三\n", encoding="utf-8")
    plan = upload.plan(upload.read_upload(path))
    shown = upload.preview(plan).to_string()
    assert "13912345678" not in shown and "530102198807154512" not in shown
    assert "身份证[身份证号]" in shown  # the unknown 诉求来源 as stored, its number masked


def test_preview_masks_the_callers_name_in_every_column(tmp_path):
    """As problem messages and the rejects file do (``staging.shown_value``): a name typed into the wrong column,
    or columns shifted by one, puts the caller's name anywhere; the preview masks it with its own row's caller."""
    path = tmp_path / "hotline_name_elsewhere.csv"
    path.write_text("工单编号,来电时间,承办单位,所属街道,所属社区,网格编号,来电人\n"
                    "P0001,2025-10-05 09:00,城管局,王建国,东风社区,王建国,王建国\n"
                    "P0002,2025-10-05 10:00,城管局,东风街道,东风社区,WG1,欧阳娜娜（业主）\n", encoding="utf-8")
    frame = upload.preview(upload.plan(upload.read_upload(path)))
    assert "王建国" not in frame.to_string() and "欧阳娜娜" not in frame.to_string()
    assert list(frame["所属街道"]) == ["王**", "东风街道"] and list(frame["网格编号"]) == ["王**", "WG1"]
    assert list(frame["承办单位"]) == ["城管局", "城管局"] and list(frame["所属社区"]) == ["东风社区", "东风社区"]


def test_a_file_without_its_header_row_shows_columns_by_position(tmp_path):
    """Its first row of data is read as headers, a caller's name among them: the page's unused-columns
    line, column pickers, mapping line and preview name those columns by position, never by the cell;
    the preview itself masks the data as usual, and a score with a phone typed in it is masked there too."""
    path = tmp_path / "no_header.csv"
    path.write_text("GDT0001,2026-11-04 14:32:00,欧阳测试,13987654321,东风社区\n"
                    "GDT0002,2026-11-04 15:00:00,李四,13800002222,东风社区\n", encoding="utf-8")
    raw = upload.read_upload(path)
    overrides = upload.overrides_for(raw, {"ticket_id": "GDT0001", "received_at": "2026-11-04 14:32:00",
                                           "caller_name": "欧阳测试"})
    plan = upload.plan(raw, "hotline", overrides)
    shown = [plan.ignored_text(), upload.mapping_text(plan),
             *(upload.column_choice_text(raw, option) for option in upload.column_options(raw, plan.mapping)),
             *upload.preview(plan).columns, upload.preview(plan).to_string()]
    text = "\n".join(shown)
    assert "欧阳测试" not in text and "13987654321" not in text and "139****4321" not in text.split("\n")[0]
    assert plan.ignored_text().startswith("以下列未使用：第 4 列、第 5 列。") and "文件可能缺少表头行" in plan.ignored_text()
    assert upload.mapping_text(plan) == "工单编号 ← 第 1 列；来电时间 ← 第 2 列；来电人 ← 第 3 列"
    assert "来电人（第 3 列）" in list(upload.preview(plan).columns)


def test_preview_masks_a_phone_typed_into_a_score(tmp_path):
    path = tmp_path / "inspections.csv"
    path.write_text("考核编号,考核日期,物业企业,小区名称,考核项目,得分\n"
                    "KH1,2025-12-01,明珠物业服务有限公司,荷塘苑,秩序维护,13987654321\n"
                    "KH2,2025-12-01,明珠物业服务有限公司,荷塘苑,设施设备,85\n", encoding="utf-8")
    frame = upload.preview(upload.plan(upload.read_upload(path)))
    assert list(frame["得分"]) == ["139****4321", "85.0"]


def test_check_lists_every_problem_and_writes_nothing(warehouse_copy, exports):
    before = sha256(warehouse_copy)
    files = {exports / "hotline_utf8.csv": FileOptions(), exports / "hotline_bad_rows.csv": FileOptions(source="hotline")}
    report = upload.check(files)
    assert sha256(warehouse_copy) == before
    good, bad = sorted(report.files, key=lambda f: f.file_name != "hotline_utf8.csv")
    assert (good.inserted, good.problem_total) == (2, 0)
    assert (bad.rows_read, bad.inserted, bad.rejected, bad.problem_total) == (5, 1, 4, 4)
    table = upload.problems_frame(bad.problems)
    assert list(table["行"]) == [3, 4, 5, 6]
    assert list(table["列"]) == ["来电时间", "满意度", "工单编号", "工单编号"]
    assert table["问题及处理"].iloc[3] == "缺少必填项“工单编号”。请在该行补上后重新导入，或在下方选择“只导入没有问题的行”。"
    assert bad.rejects_path == exports / "hotline_bad_rows.rejected.csv" and bad.rejects_path.exists()


def test_check_while_a_load_runs_fails_at_once(warehouse_copy):
    with writer():
        with pytest.raises(LoadError, match="另一个导入或撤销正在进行"):
            upload.check({FIXTURES / "hotline_utf8.csv": FileOptions()})


def test_progress_moves_forward_and_stays_below_done():
    seen = []
    progress = upload.LoadProgress(2, lambda fraction, text: seen.append(fraction))
    for message in ("a.csv：识别为…", "a.csv：写入…", "b.csv：已在批次 3 导入过，本次未做任何改动。", "重建汇总表（marts）……"):
        progress(message)
    assert seen == sorted(seen) and seen[-1] < 1 and seen[0] > 0


def test_page_wording_replaces_command_line_options():
    assert upload.page_text("请修正后重新导入，或加 --skip-bad-rows 只导入没有问题的行：") == \
        "请修正后重新导入，或在下方选择“只导入没有问题的行”："
    assert upload.page_text("读取的是第一个工作表“说明”，数据在别的工作表时请用 --sheet 工作表名 指定。") == \
        "读取的是第一个工作表“说明”，数据在别的工作表时请在上方“工作表”中选择。"


def test_a_mapped_header_the_file_lacks_is_said_in_page_words(warehouse_db):
    with pytest.raises(LoadError) as err:  # e.g. a mapping chosen on another sheet of the workbook
        load_files([FIXTURES / "hotline_utf8.csv"], per_file={FIXTURES / "hotline_utf8.csv": FileOptions(overrides={"问题详情": "content"})})
    assert upload.page_text(str(err.value)).endswith(
        "错误：列对应中选择的表头“问题详情”在文件 hotline_utf8.csv 中不存在，这样的对应不会生效，本次导入未写入任何数据。"
        "文件第 1 行的表头为：ticket_id、created_date、诉求类型、category、来电人、phone、address、community、status、content。"
        "请在“修改列对应”中重新选择。")


def test_preview_shows_a_deadline_given_in_working_days(tmp_path):
    """办理时限 "15个工作日" was previewed as blank (—) though the load stores it (due_workdays): the preview
    built its columns from the source's headers and dropped that one. Hours and calendar days are a time."""
    path = tmp_path / "hotline_deadlines.csv"
    path.write_text("工单编号,来电时间,办理时限\n"
                    "D1,2025-10-05 09:00,15个工作日\nD2,2025-10-05 09:00,24小时\n"
                    "D3,2025-10-05 09:00,7个自然日\nD4,2025-10-05 09:00,2025-10-17\n", encoding="utf-8")
    frame = upload.preview(upload.plan(upload.read_upload(path)))
    assert list(frame["办理时限"]) == ["15 个工作日", "2025-10-06 09:00:00", "2025-10-12 09:00:00", "2025-10-17 23:59:59"]
    path.write_text("工单编号,来电时间,办理时限\nD5,2025-10-05 09:00,2025-10-17 18:00\n", encoding="utf-8")
    frame = upload.preview(upload.plan(upload.read_upload(path)))
    assert str(frame["办理时限"].iloc[0]) == "2025-10-17 18:00:00"   # only times: left a time column


def test_an_upload_is_saved_from_its_file_in_chunks(folder, monkeypatch):
    """The uploader's file is copied to disk a chunk at a time (no second copy in memory), and refused as soon
    as its bytes pass the limit, whatever size the browser claimed."""
    monkeypatch.setattr(upload, "SAVE_CHUNK", 4)
    data = (FIXTURES / "hotline_utf8.csv").read_bytes()
    target = upload.save_upload(upload.session_folder(upload.new_session_id()), "hotline_utf8.csv", len(data),
                                io.BytesIO(data))
    assert target.read_bytes() == data and target.parent.name == hashlib.sha256(data).hexdigest()[:16]
    folder = upload.session_folder(upload.new_session_id())
    with pytest.raises(LoadError, match="超过上传上限"):
        upload.save_upload(folder, "x.csv", 10, io.BytesIO(b"a,b\n" * 1000), limit=1000)
    assert list(folder.iterdir()) == []
