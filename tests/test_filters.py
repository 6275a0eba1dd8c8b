"""``filters.unit_filters``: a breakdown row -> the URL filters that open its tickets."""

from __future__ import annotations

import pandas as pd

from onescreen.filters import unit_filters


def row(**values) -> pd.Series:
    base = {"unit_code": "X", "unit_name": "某单位", "street_code": None, "community_code": None, "grid_code": None}
    return pd.Series({**base, **values})


def test_a_geographic_unit_carries_its_parents():
    grid = row(unit_code="G1", unit_name="一网格", street_code="S1", community_code="C1", grid_code="G1")
    assert unit_filters(grid, "grid") == ("一网格", {"street_code": "S1", "community_code": "C1", "grid_code": "G1"})
    community = row(unit_code="C1", unit_name="一社区", street_code="S1", community_code="C1")
    assert unit_filters(community, "community") == ("一社区", {"street_code": "S1", "community_code": "C1"})
    assert unit_filters(row(unit_code="S1", unit_name="一街道", street_code="S1"), "street") == ("一街道", {"street_code": "S1"})


def test_source_and_category_are_filters_too():
    assert unit_filters(row(unit_code="随手拍", unit_name="随手拍"), "source") == ("随手拍", {"source": "随手拍"})
    assert unit_filters(row(unit_code="物业管理", unit_name="物业管理"), "category") == ("物业管理", {"category": "物业管理"})


def test_no_link_where_no_filter_fits():
    assert unit_filters(row(unit_code="区住建局", unit_name="区住建局"), "department") is None
    assert unit_filters(row(unit_code="G9", grid_code="G9", street_code=float("nan")), "grid") is None


# -- the date range of the shared filters (URL date_from/date_to) -----------------------------------

from datetime import date, datetime, time  # noqa: E402

import pytest  # noqa: E402

from onescreen import tickets  # noqa: E402
from onescreen.filters import Filters, RangeError, cut_time, parse_range, same_days_note  # noqa: E402


def test_a_range_is_two_iso_dates_both_days_included():
    assert parse_range("2025-10-01", "2025-10-15") == (date(2025, 10, 1), date(2025, 10, 15))
    assert parse_range("2025-10-01", "2025-10-01") == (date(2025, 10, 1), date(2025, 10, 1))
    assert parse_range("", "") is None


@pytest.mark.parametrize("date_from, date_to, message", [
    ("2025-10-05", "2025-10-01",
     "自定义区间的开始日期 2025-10-05 晚于结束日期 2025-10-01：请重新选择起止日期。已按周期显示。"),
    ("2025-10-01", "",
     "自定义区间缺少结束日期（date_to）：地址中要同时有 date_from 和 date_to，如 date_from=2025-10-01&date_to=2025-10-15。"
     "已按周期显示。"),
    ("", "2025-10-15",
     "自定义区间缺少开始日期（date_from）：地址中要同时有 date_from 和 date_to，如 date_from=2025-10-01&date_to=2025-10-15。"
     "已按周期显示。"),
    ("2025-13-01", "2025-10-15", "自定义区间的日期“2025-13-01”无法识别：请写成 2025-10-01 这样的日期。已按周期显示。"),
])
def test_an_unusable_range_is_refused_in_chinese(date_from, date_to, message):
    with pytest.raises(RangeError) as error:
        parse_range(date_from, date_to)
    assert str(error.value) == message


def test_filters_with_a_range_select_its_days_and_keep_it_in_the_url():
    period = Filters("month", date(2025, 10, 1), street_code="S1")
    ranged = Filters("month", date(2025, 10, 1), street_code="S1", date_from=date(2025, 10, 3),
                     date_to=date(2025, 10, 9))
    assert not period.is_range and ranged.is_range
    assert period.days() == (date(2025, 10, 1), date(2025, 10, 31))
    assert ranged.days() == (date(2025, 10, 3), date(2025, 10, 9))
    assert period.time_params() == {"period_type": "month", "period_start": date(2025, 10, 1)}
    assert ranged.time_params() == {"start": date(2025, 10, 3), "end": date(2025, 10, 9)}
    assert (period.time_label(), ranged.time_label()) == ("2025年10月", "2025-10-03 至 2025-10-09")
    assert ranged.as_query_params() == {"period_type": "month", "period_start": "2025-10-01", "street_code": "S1",
                                        "date_from": "2025-10-03", "date_to": "2025-10-09"}
    assert "date_from" not in period.as_query_params()
    # Figures made per month by rule show the month of the range's last day.
    assert Filters("week", date(2025, 9, 29), date_from=date(2025, 9, 20), date_to=date(2025, 10, 2)).month() == \
        date(2025, 10, 1)
    assert Filters("week", date(2025, 9, 29)).month() == date(2025, 9, 1)


def test_the_ticket_list_takes_the_range_of_the_shared_filters():
    ranged = Filters("month", date(2025, 10, 1), date_from=date(2025, 10, 3), date_to=date(2025, 10, 9))
    params = tickets.list_params(ranged)
    assert (params["received_from"], params["received_before"]) == (date(2025, 10, 3), date(2025, 10, 10))
    assert "received_from" not in tickets.list_params(ranged, whole_period=True)


def test_a_ticket_download_is_named_after_every_choice_that_narrowed_it():
    month = Filters("month", date(2025, 10, 1), source="12345热线", category="城市管理")
    plain = tickets.list_params(Filters("month", date(2025, 10, 1)))
    assert tickets.download_stem("全区", "2025年10月受理", plain) == "工单明细_全区_2025年10月受理_全部"
    searched = tickets.list_params(month, status="overdue", category_l2="占道经营", ticket_id=" AUD4 ")
    assert tickets.download_stem("东风街道", "2025年10月受理", searched) == \
        "工单明细_东风街道_2025年10月受理_超期_12345热线_城市管理_占道经营_编号含AUD4"
    # A phone pasted into the search is masked; what no file name may hold (*, /, spaces) becomes _.
    pasted = tickets.list_params(month, ticket_id="138 1234 5678/x")
    assert tickets.download_stem("全区", "2025-10-03 至 2025-10-09 受理", pasted) == \
        "工单明细_全区_2025-10-03_至_2025-10-09_受理_全部_12345热线_城市管理_编号含138_5678_x"


def test_place_choices_list_each_level_in_code_order_and_name_unnamed_units_by_code():
    from onescreen.data import PlaceChoices

    places = pd.DataFrame({
        "grid_code": ["G3", "G1", "G2", "G4"], "grid_name": ["三格", "一格", None, "四格"],
        "community_code": ["C2", "C1", "C1", "C3"], "community_name": ["二社", "一社", "一社", None],
        "street_code": ["S1", "S1", "S1", "S2"], "street_name": ["一街", "一街", "一街", "二街"],
    })
    choices = PlaceChoices.from_places(places)
    assert choices.streets == (("S1", "一街"), ("S2", "二街"))
    assert choices.communities["S1"] == (("C1", "一社"), ("C2", "二社"))
    assert choices.communities["S2"] == (("C3", "C3"),)
    assert choices.grids["C1"] == (("G1", "一格"), ("G2", "G2"))
    assert "S3" not in choices.communities and choices.grids.get("C9", ()) == ()
    with pytest.raises(TypeError):
        choices.grids["C1"] = ()  # shared by every session of the scope: read-only


@pytest.mark.parametrize("last_receipt, cut", [
    (datetime(2026, 12, 10, 11, 59, 52), time(11, 59, 53)),   # the tickets stop just before noon
    (datetime(2026, 12, 10, 11, 59, 52, 500000), time(11, 59, 53)),
    (datetime(2026, 12, 10, 23, 59, 59), None),                # a receipt in the day's last second: a whole day
    (None, None),
])
def test_the_time_a_day_under_way_stops_at(last_receipt, cut):
    assert cut_time(last_receipt) == cut
    assert cut_time(last_receipt, last_receipt) == cut  # 数据截至 the same day: still under way


def test_a_last_receipt_day_followed_by_later_data_is_whole():
    """A callback the next morning (数据截至 12-11 08:30) says the export was made after 12-10 was over: its last
    receipt at 23:40 is where the tickets happened to stop, not where the day did."""
    assert cut_time(datetime(2026, 12, 10, 23, 40), datetime(2026, 12, 11, 8, 30)) is None
    assert cut_time(datetime(2026, 12, 10, 11, 59, 52), datetime(2026, 12, 10, 12, 5)) == time(11, 59, 53)


def test_a_month_under_way_names_the_days_and_the_time_it_is_compared_with():
    month = Filters("month", date(2026, 12, 1), data_to=date(2026, 12, 10), data_until=time(11, 59, 53))
    assert month.compare_params() == {"start": date(2026, 12, 1), "end": date(2026, 12, 10), "compare_to": "month",
                                      "until": time(11, 59, 53)}
    assert month.same_days_label() == "上月同期（2026-11-01 至 2026-11-10 11:59）"
    assert month.previous_window() == {"previous_start": date(2026, 11, 1),
                                       "previous_end": datetime(2026, 11, 10, 11, 59, 53)}
    assert "工单只到 12-10 11:59" in same_days_note(month)
    assert "data_until" not in month.as_query_params()
    whole_day = Filters("month", date(2026, 12, 1), data_to=date(2026, 12, 10))
    assert whole_day.same_days_label() == "上月同期（2026-11-01 至 2026-11-10）"
    assert "工单只到 12-10）" in same_days_note(whole_day)


# -- a window compared with that the data cover in part (onescreen.coverage) --------------------------------------

from onescreen import ui  # noqa: E402
from onescreen.coverage import coverage, days_coverage  # noqa: E402


def test_a_window_the_data_begin_inside_is_partial_and_one_before_them_has_no_data():
    """The data begin on 2025-03-10: March (against April) holds part of its days, February none, April all."""
    first = date(2025, 3, 10)
    march = coverage(date(2025, 3, 1), date(2025, 4, 1), first)
    assert march.is_partial and march.note == "上期数据不全（数据自 2025-03-10 起）"
    assert march.withholds("count") and not march.withholds("pct") and not march.withholds("workdays")
    february = coverage(date(2025, 2, 1), date(2025, 3, 1), first)
    assert february.is_missing and february.note == "无上期数据（数据自 2025-03-10 起）" and february.withholds("pct")
    assert coverage(date(2025, 3, 10), date(2025, 3, 17), first).note == ""  # begins on the first day: whole
    assert coverage(date(2025, 3, 1), date(2025, 4, 1), None).note == ""  # nothing known: taken as whole
    # A window ending at a time of its last day (the same days up to 11:59) that reaches into the first day is partial.
    assert coverage(date(2025, 3, 9), datetime(2025, 3, 10, 11, 59), first).is_partial
    assert days_coverage(date(2025, 3, 1), date(2025, 3, 9), first).is_missing  # both days included: ends the 9th
    assert days_coverage(date(2025, 3, 1), date(2025, 3, 10), first, word="上月").mark == "上月数据不全"


def test_a_change_against_a_partial_window_is_withheld_for_a_count_and_not_judged_for_a_rate():
    """The big screen's tiles (ui.change_text): ▲52.3% against three weeks of March is not a rise to show; a rate's
    change is shown in grey and says against what, never 改善/变差."""
    march = coverage(date(2025, 3, 1), date(2025, 4, 1), date(2025, 3, 10))
    assert ui.change_text(52.3, up_is_good=None, unit="%", previous=march, count=True) == (
        "— 上期数据不全（数据自 2025-03-10 起）", ui.FLAT_COLOUR)
    assert ui.change_text(1.23, up_is_good=True, unit="个百分点", previous=march) == (
        "▲1.2个百分点 环比（上期数据不全）", ui.FLAT_COLOUR)
    missing = coverage(date(2025, 2, 1), date(2025, 3, 1), date(2025, 3, 10))
    assert ui.change_text(None, up_is_good=True, previous=missing) == ("— 无上期数据（数据自 2025-03-10 起）", ui.FLAT_COLOUR)
    whole = coverage(date(2025, 4, 1), date(2025, 5, 1), date(2025, 3, 10))
    assert ui.change_text(1.23, up_is_good=True, unit="个百分点", previous=whole) == ("▲1.2个百分点 环比（改善）", ui.GOOD_COLOUR)


def test_a_row_of_tickets_no_unit_holds_carries_its_area_and_level():
    """未落格 of a community, 社区不明 of a street, the district's 街道不明, 未分类 and 未注明承办单位: the area the row
    counts (none: the whole district) and ``unassigned``, which 工单明细 reads (onescreen.tickets.UNASSIGNED)."""
    community = row(unit_code="unassigned", unit_name="未落格", street_code="S1", community_code="C1")
    assert unit_filters(community, "grid") == ("未落格", {"street_code": "S1", "community_code": "C1", "unassigned": "grid"})
    street = row(unit_code="unassigned", unit_name="社区不明", street_code="S1")
    assert unit_filters(street, "community") == ("社区不明", {"street_code": "S1", "unassigned": "community"})
    assert unit_filters(row(unit_code="unassigned", unit_name="街道不明"), "street") == ("街道不明", {"unassigned": "street"})
    assert unit_filters(row(unit_code="unassigned", unit_name="未分类"), "category") == ("未分类", {"unassigned": "category"})
    assert unit_filters(row(unit_code="unassigned", unit_name="未注明承办单位"), "department") == (
        "未注明承办单位", {"unassigned": "department"})
    assert unit_filters(row(unit_code="unassigned", unit_name="未注明"), "source") is None  # a ticket always has a source


def test_a_week_label_names_the_year_of_a_start_in_the_year_before():
    """ISO week 1 of 2026 starts on 2025-12-29: "2026年第1周（12-29 起）" read as a date in 2026 (the 周报's
    去年同期 of 2026's week 53 is that week). Within its own year a week keeps the short form."""
    from datetime import date

    from onescreen.filters import period_label

    assert period_label("week", date(2025, 12, 29)) == "2026年第1周（2025-12-29 起）"
    assert period_label("week", date(2024, 12, 30)) == "2025年第1周（2024-12-30 起）"
    assert period_label("week", date(2026, 12, 28)) == "2026年第53周（12-28 起）"   # its own year: short
    assert period_label("week", date(2021, 1, 4)) == "2021年第1周（01-04 起）"
    assert period_label("week", date(2025, 10, 6)) == "2025年第41周（10-06 起）"


def test_a_range_past_the_data_is_compared_on_the_same_days_up_to_them():
    """2026-11-30 to 12-06 with tickets up to 12-03 11:59: not its 4 days against the whole 7 days before (a fall of
    about 40% every week), but against the first 4 of them and the same dates a year before, and the page says so."""
    from onescreen.filters import range_past_data_note

    ranged = Filters("week", date(2026, 11, 30), date_from=date(2026, 11, 30), date_to=date(2026, 12, 6),
                     data_to=date(2026, 12, 3), data_until=time(11, 59, 53))
    assert ranged.runs_past_data and not ranged.is_partial
    assert ranged.compare_params() == {"start": date(2026, 11, 30), "end": date(2026, 12, 6),
                                       "through": date(2026, 12, 3), "until": time(11, 59, 53)}
    assert ranged.previous_window() == {"previous_start": date(2026, 11, 23),
                                        "previous_end": datetime(2026, 11, 26, 11, 59, 53)}
    assert ranged.against() == "环比"
    assert ranged.compared_label() == "此前 7 天的同样天数（2026-11-23 至 2026-11-26 11:59）"
    assert range_past_data_note(ranged) == (
        "所选区间 2026-11-30 至 2026-12-06 在数据截至（2026-12-03 11:59）之后的日子还没有数据，环比、同比只比较到 12月3日："
        "与此前 7 天的同样天数（2026-11-23 至 2026-11-26 11:59）、去年同期（2025-11-30 至 2025-12-03 11:59）相比，"
        "不与整段相比（否则件数像是大幅下降）。")
    assert "data_to" not in ranged.as_query_params() and ranged.as_query_params()["date_to"] == "2026-12-06"
    inside = Filters("week", date(2026, 11, 30), date_from=date(2026, 11, 30), date_to=date(2026, 12, 2))
    assert not inside.runs_past_data and inside.compare_params() == {"start": date(2026, 11, 30), "end": date(2026, 12, 2)}
    assert inside.compared_label() == "此前 3 天"


def test_the_custom_range_offered_for_a_period_under_way_ends_at_the_last_day_with_data():
    from onescreen.filters import default_range

    assert default_range("week", date(2026, 11, 30), date(2026, 12, 3)) == (date(2026, 11, 30), date(2026, 12, 3))
    assert default_range("month", date(2026, 11, 1), date(2026, 12, 3)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert default_range("day", date(2026, 12, 3), date(2026, 12, 3)) == (date(2026, 12, 3), date(2026, 12, 3))
