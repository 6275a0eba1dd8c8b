"""Table tests for onescreen.masking: every row states the exact output."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from onescreen.masking import (
    mask_address,
    mask_frame,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_value,
    scrub_number,
    scrub_text,
    small_count,
)

NAN = float("nan")


def same_empty(result, value) -> bool:
    """Empty values must come back as the very same empty value."""
    if isinstance(value, float) and math.isnan(value):
        return isinstance(result, float) and math.isnan(result)
    return result is value or (result is pd.NA and value is pd.NA) or result == value


EMPTIES = [None, NAN, pd.NA, pd.NaT, np.nan, "", "   "]


@pytest.mark.parametrize("func", [mask_phone, mask_id_number, mask_name, mask_address, scrub_text])
@pytest.mark.parametrize("value", EMPTIES, ids=repr)
def test_empty_values_come_back_unchanged(func, value):
    assert same_empty(func(value), value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "138****5678"),
        (13812345678, "138****5678"),
        (13812345678.0, "138****5678"),
        (np.int64(13812345678), "138****5678"),
        ("13812345678.0", "138****5678"),
        (" 138 1234 5678 ", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("+8613812345678", "138****5678"),
        ("8613812345678", "138****5678"),
        ("0086 13812345678", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),
        ("＋８６　１３８１２３４５６７８", "138****5678"),
        ("0755-12345678", "0755-****5678"),
        ("0874-3123456", "0874-***3456"),
        ("010-12345678", "010-****5678"),
        ("01012345678", "010-****5678"),
        ("(0755)12345678", "0755-****5678"),
        ("（０７５５）１２３４５６７８", "0755-****5678"),
        ("+86 755 12345678", "0755-****5678"),
        ("0755-12345678-801", "0755-****5678-801"),
        ("3123456", "***3456"),
        ("12345678", "****5678"),
        ("1381234567", "******4567"),
        ("13812345678/13987654321", "138****5678/139****4321"),
        ("13812345678，0874-3123456", "138****5678，0874-***3456"),
        # Written in groups the patterns do not expect, or in Chinese numerals.
        ("0571 8888 8888", "0571-****8888"),
        ("138/1234/5678", "138****5678"),
        ("1381234 5678", "138****5678"),
        ("一三八一二三四五六七八", "138****5678"),
        ("123 4567 89", "*****6789"),
        ("110", "110"),
        ("12345", "12345"),
        ("未知", "未知"),
        ("0755-12345678转801", "0755-****5678转801"),
        # A name in the phone field (columns swapped in the export, or a contact typed in) is a name.
        ("王建国", "王**"),
        ("13812345678（张先生）", "138****5678（张**）"),
        ("Ｊｏｈｎ", "Ｊ***"),
        ("110105194912310021", "[身份证号]"),   # masking's own placeholder stays readable
    ],
)
def test_mask_phone(value, expected):
    assert mask_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "show_last4", "expected"),
    [
        ("110105194912310021", False, "******************"),
        ("110105194912310021", True, "**************0021"),
        ("11010519491231002X", True, "**************002X"),
        ("11010519491231002x", True, "**************002X"),
        ("11010519491231002x", False, "******************"),
        ("１１０１０５１９４９１２３１００２Ｘ", True, "**************002X"),
        (" 110105 19491231 002X ", True, "**************002X"),
        ("110105491231002", False, "***************"),
        ("110105491231002", True, "***********1002"),
        (110105194912310021, True, "**************0021"),
        ("1234", True, "****"),
        ("abc", True, "***"),
        ("11010519491231002Y", True, "******************"),
    ],
)
def test_mask_id_number(value, show_last4, expected):
    assert mask_id_number(value, show_last4=show_last4) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("张三", "张*"),
        ("王", "*"),
        ("李小龙", "李**"),
        ("欧阳娜娜", "欧***"),
        ("司马光", "司**"),
        ("诸葛孔明", "诸***"),
        (" 张三 ", "张*"),
        ("阿卜杜·艾尼", "阿*****"),
        ("John", "J***"),
        ("John Smith", "J*********"),
        # Words that are no name (GENERIC_CALLERS) stay: 工单明细's 来电人 read "匿*" for 匿名, like a surname.
        ("匿名", "匿名"),
        ("市民", "市民"),
        (" 匿名 ", "匿名"),
        ("王先生", "王**"),
        ("匿名者", "匿**"),
    ],
)
def test_mask_name(value, expected):
    assert mask_name(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("东风路88号金碧花园3栋2单元501室", "东风路88号金碧花园"),
        ("翠湖区南宁街道东风路88号", "翠湖区南宁街道东风路88号"),
        ("金碧花园12号楼", "金碧花园"),
        ("金碧花园12/502", "金碧花园"),
        ("东风路88号，电话0571 8888 8888", "东风路88号，电话0571-****8888"),
        ("金碧花园１２号楼３０１", "金碧花园"),
        ("金碧花园3幢", "金碧花园"),
        ("金碧花园二单元", "金碧花园"),
        ("金碧花园第一栋", "金碧花园"),
        ("金碧花园B座1203", "金碧花园"),
        ("金碧花园A区3栋", "金碧花园"),
        ("金碧花园3#楼", "金碧花园"),
        ("金碧花园3-2-501", "金碧花园"),
        ("金碧花园3号501", "金碧花园"),
        # A road's house number is the address; what follows it (floor, room, door) is cut.
        ("青年路194号5楼", "青年路194号"),
        ("青年路194号501室", "青年路194号"),
        ("青年路194号501", "青年路194号"),
        ("人民街12号-3", "人民街12号"),
        ("东风路88号金碧花园3号501", "东风路88号金碧花园"),
        ("金碧花园，5层", "金碧花园"),
        ("东风路88-1号", "东风路88-1号"),
        ("东风路12号院", "东风路12号院"),
        ("东风路12号院内3排5号", "东风路12号院"),
        ("国贸大楼", "国贸大楼"),
        ("3栋2单元501室", "[地址]"),
        ("东风路88号 13812345678", "东风路88号 138****5678"),
        # A village's 村民小组 and house number name one household: cut at the group.
        ("沿江街道马场村5组17号", "沿江街道马场村"),
        ("石龙村八组", "石龙村"),
        ("石龙村3队12号", "石龙村"),
        ("沿江街道马场村17号", "沿江街道马场村"),  # a village's house number is one household too
        ("马场村十七号", "马场村"),
        ("马场村委会", "马场村委会"),
    ],
)
def test_mask_address(value, expected):
    assert mask_address(value) == expected


@pytest.mark.parametrize(
    ("text", "caller_name", "expected"),
    [
        ("路灯不亮", None, "路灯不亮"),
        ("电话13812345678", None, "电话138****5678"),
        ("电话１３８１２３４５６７８，请回电", None, "电话138****5678，请回电"),
        ("号码+86 139 8765 4321", None, "号码139****4321"),
        ("座机0755-12345678或（0874）3123456", None, "座机0755-****5678或0874-***3456"),
        ("联系电话：3123456", None, "联系电话：***3456"),
        ("TEL 12345678", None, "TEL ****5678"),
        ("身份证110105194912310021", None, "身份证[身份证号]"),
        ("身份证11010519491231002X号", None, "身份证[身份证号]号"),
        ("老证110105491231002", None, "老证[身份证号]"),
        ("卡号6222021234567890123", None, "卡号[银行卡号]"),
        ("卡号6222 0212 3456 7890 123请核实", None, "卡号[银行卡号]请核实"),
        ("卡号6222-0212-3456-7890", None, "卡号[银行卡号]"),
        ("邮箱zhang.san@example.com.cn谢谢", None, "邮箱[邮箱]谢谢"),
        ("邮箱13812345678@qq.com", None, "邮箱[邮箱]"),
        ("车牌云D12345违停", None, "车牌云D***45违停"),
        ("京A·12345", None, "京A***45"),
        ("粤BD12345新能源车", None, "粤B****45新能源车"),
        ("云a12345", None, "云A***45"),
        ("云A1234学", None, "云A***4学"),
        ("金额12345678元，工单20240101123456，时间2024-05-01 10:30", None,
         "金额12345678元，工单20240101123456，时间2024-05-01 10:30"),
        ("张三反映：张三家门口漏水", "张三", "张*反映：张*家门口漏水"),
        ("欧阳娜娜来电", "欧阳娜娜", "欧***来电"),
        ("王先生来电", "王", "王先生来电"),
        (
            "张三（身份证11010519491231002x，手机+86 13812345678，邮箱zs@qq.com）称云D12345占道，"
            "退款请打到6222021234567890",
            "张三",
            "张*（身份证[身份证号]，手机138****5678，邮箱[邮箱]）称云D***45占道，退款请打到[银行卡号]",
        ),
        (13812345678, None, "138****5678"),
        # A dwelling in a compound is cut as the address column cuts it; a floor alone or a count stays.
        ("张女士称住金碧花园3栋2单元501室，楼上噪音", None, "张女士称住金碧花园[楼栋]，楼上噪音"),
        ("金碧花园12号楼3单元门口", None, "金碧花园[楼栋]门口"),
        ("B座1203漏水", None, "[楼栋]漏水"),
        ("３－２－５０１业主", None, "[楼栋]业主"),
        ("二单元 楼道堆物", None, "[楼栋] 楼道堆物"),
        ("3楼的灯坏了，十户居民反映", None, "3楼的灯坏了，十户居民反映"),
        ("2025-10-07来电，东风路88号", None, "2025-10-07来电，东风路88号"),
        # ID numbers and mobiles typed in groups with spaces, dashes or dots (full-width ones too).
        ("证件号 110105 19900307 1234", None, "证件号 [身份证号]"),
        ("身份证：110105-19900307-1234", None, "身份证：[身份证号]"),
        ("身份证：１１０１０５－１９９００３０７－１２３４", None, "身份证：[身份证号]"),
        ("老证 110105 900307 123", None, "老证 [身份证号]"),
        ("手机号139.8765.4321", None, "手机号139****4321"),
        ("手机号１３９．８７６５．４３２１", None, "手机号139****4321"),
        ("手机 139 8765 4321", None, "手机 139****4321"),
        # ... while dates, times, amounts and ticket numbers are no such groups.
        ("2025-11-04 14:32来电", None, "2025-11-04 14:32来电"),
        ("金额 1,234.56元，2025.11.04", None, "金额 1,234.56元，2025.11.04"),
        ("工单GD2026113000048已办结", None, "工单GD2026113000048已办结"),
        ("编号 2025-1104-0001", None, "编号 2025-1104-0001"),
        # A compound surname before 先生/女士 tells more than the masked name (欧***) when the caller has it.
        ("欧阳先生反映", "欧阳测试", "欧*先生反映"),
        ("上官女士和欧阳测试来电", "欧阳测试", "上官女士和欧***来电"),
        ("东方路口，东方先生", "东方明", "东方路口，东*先生"),
        ("欧阳先生反映", "王五", "欧阳先生反映"),
        # A QQ number or WeChat ID after its word: the number keeps its last 4 digits (as a phone), an ID its first
        # character; a group, a payment or a year after the word is no account.
        ("联系人QQ：987654321", None, "联系人QQ：*****4321"),
        ("qq号 12345678", None, "qq号 ****5678"),
        ("微信号：zhangsan_1990", None, "微信号：z************"),
        ("加微信wxid_abc123反映", None, "加微信w**********反映"),
        ("WeChat: tom_lee88", None, "WeChat: t********"),
        ("加微信群反映", None, "加微信群反映"),
        ("用微信支付了物业费", None, "用微信支付了物业费"),
        ("QQ群12345678", None, "QQ群12345678"),
        ("微信 2023年", None, "微信 2023年"),
        ("邮箱12345@qq.com", None, "邮箱[邮箱]"),
    ],
)
def test_scrub_text(text, caller_name, expected):
    assert scrub_text(text, caller_name=caller_name) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Phones and ID numbers written in groups the patterns do not expect, or in Chinese numerals.
        ("座机 0571 8888 8888", "座机 0571-****8888"),
        ("电话010 1234 5678", "电话010-****5678"),
        ("(0571) 8888 8888", "0571-****8888"),
        ("（0571）8888 8888", "0571-****8888"),
        ("电话(0571)8888-8888转", "电话0571-****8888转"),
        ("138/1234/5678", "138****5678"),
        ("138_1234_5678", "138****5678"),
        ("138  1234  5678", "138****5678"),
        ("138–1234–5678", "138****5678"),
        ("138，1234，5678", "138****5678"),
        ("1 3 8 1 2 3 4 5 6 7 8", "138****5678"),
        ("1381-234-5678", "138****5678"),
        ("138-123-45678", "138****5678"),
        ("13 812 345 678", "138****5678"),
        ("1381234 5678", "138****5678"),
        ("一三八一二三四五六七八", "138****5678"),
        ("13８1234五678", "138****5678"),
        ("幺三八幺二三四五六七八", "138****5678"),
        ("身份证 110105 1990 0307 1234", "身份证 [身份证号]"),
        ("身份证110105-1990-0307-123X", "身份证[身份证号]"),
        ("卡号622202 1234567890 123", "卡号[银行卡号]"),
        ("座机 8888 8888", "座机 ****8888"),
        # A date before a mobile does not hide it, nor is masked itself.
        ("2025.11.04 138 1234 5678来电", "2025.11.04 138****5678来电"),
        # Dates, times, amounts and counts are no numbers of a person.
        ("2025-11-04 10:30来电", "2025-11-04 10:30来电"),
        ("金额1,234,567.89元", "金额1,234,567.89元"),
        ("共12,345,678人", "共12,345,678人"),
        ("2025 11 04", "2025 11 04"),
        ("一二三楼", "一二三楼"),
        ("0755-12345678-801", "0755-****5678-801"),
        # Accounts and plates written other ways.
        ("vx:zhangsan88", "vx:z*********"),
        ("V信zhangsan88", "V信z*********"),
        ("扣扣123456789", "扣扣*****6789"),
        ("京 A 12345", "京A***45"),
        # A label, then a bracket or a quote; a name typed with a space.
        ("联系人（孙七）反映", "联系人（孙*）反映"),
        ("联系人【周八】", "联系人【周*】"),
        ("联系人“张三”", "联系人“张*”"),
        ("姓名 张 三", "姓名 张**"),
        ("联系人 李明 反映", "联系人 李* 反映"),
        # 市民, 居民, 村民 as roles: a word starting with a surname after them is a name.
        ("市民赵六反映", "市民赵*反映"),
        ("市民张三丰来电", "市民张**来电"),
        ("市民广场", "市民广场"),
        ("市民文明公约", "市民文明公约"),
        ("居民家中漏水", "居民家中漏水"),
        ("村民代表大会", "村民代表大会"),
        # Two numbers joined by a dash or a slash are a flat, unless a unit follows.
        ("住在幸福小区12-502楼上", "住在幸福小区[楼栋]楼上"),
        ("住12/502", "住[楼栋]"),
        ("3-5-10天内", "3-5-10天内"),
        ("收费100-200元", "收费100-200元"),
        ("300-500米", "300-500米"),
        # Date ranges, dates in a list, coordinates, amounts, ratios: none is a number of a person (review).
        ("2025.11.01-2025.11.30期间", "2025.11.01-2025.11.30期间"),
        ("2025/11/01-2025/11/30", "2025/11/01-2025/11/30"),
        ("2025-11-01,2025-11-02", "2025-11-01,2025-11-02"),
        ("统计周期2025-11-01—2025-11-30", "统计周期2025-11-01—2025-11-30"),
        ("2025-11-01 138 1234 5678", "2025-11-01 138****5678"),
        ("坐标120.123456,30.123456", "坐标120.123456,30.123456"),
        ("金额138,000,000.00元", "金额138,000,000.00元"),
        ("编号 01234567890", "编号 01234567890"),
        ("30/100户", "30/100户"),
        ("户数 120/150", "户数 120/150"),
    ],
)
def test_scrub_text_finds_numbers_and_names_written_loosely(text, expected):
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    ("text", "caller_name", "expected"),
    [
        ("张三反映楼上漏水", "张三先生", "张*反映楼上漏水"),
        ("欧阳娜娜来电", "欧阳娜娜（业主）", "欧***来电"),
        ("张三和李四都说", "张三/李四", "张*和李*都说"),
        ("张三说", "张 三", "张*说"),
        ("张 三说", "张 三", "张**说"),
        ("市民反映", "市民", "市民反映"),
        # A form cut from the cell is a name only in a name's shape: 西湖社区, 物业, 网格员 are no names (review).
        ("西湖社区张三反映", "西湖社区 张三", "西湖社区张*反映"),
        ("物业不作为，张三说", "物业/张三", "物业不作为，张*说"),
        ("李四说网格员没来", "李四 网格员", "李*说网格员没来"),
        ("社区居民都说", "社区 居民", "社区居民都说"),
    ],
)
def test_scrub_text_finds_the_caller_in_any_form_of_the_name(text, caller_name, expected):
    """The 来电人 cell as it is, without a note in brackets, each of several names, without a form of address."""
    assert scrub_text(text, caller_name=caller_name) == expected


def test_a_time_column_value_is_shown_without_flats_masked():
    assert scrub_text("26-11-01") == "[楼栋]"
    assert scrub_text("26-11-01", dwellings=False) == "26-11-01"


@pytest.mark.parametrize(
    ("value", "caller_name", "expected"),
    [("0571 8888 8888", None, "0571-****8888"), ("一三八一二三四五六七八", None, "138****5678"),
     ("2025110400012", None, "2025110400012"), ("6222021234567890123", None, "6222021234567890123"),
     ("张三", None, "张三"), ("张三", "张三先生", "张*"), ("A0001", "张三", "A0001")],
)
def test_scrub_number_hides_a_phone_in_groups_and_the_callers_name(value, caller_name, expected):
    assert scrub_number(value, caller_name=caller_name) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A name that a label introduces keeps its first character, as the 来电人 column does.
        ("联系人：李明，电话13812345678", "联系人：李*，电话138****5678"),
        ("业主王建国反映楼上漏水", "业主王**反映楼上漏水"),
        ("报警人张伟称有人砸车", "报警人张*称有人砸车"),
        ("我叫刘芳，住金碧花园", "我叫刘*，住金碧花园"),
        ("姓名:陈小红", "姓名:陈**"),
        ("来电人赵四", "来电人赵*"),
        ("投诉人孙丽丽", "投诉人孙**"),
        ("举报人 周 强反映", "举报人 周**反映"),   # a name typed with a space inside (周 强) is still a name
        ("联系人为李明", "联系人为李*"),
        ("名字叫王五", "名字叫王*"),
        ("本人叫钱七七", "本人叫钱**"),
        ("当事人：欧阳娜娜", "当事人：欧***"),
        ("业主：司马光", "业主：司**"),
        ("业主是王建国", "业主是王**"),
        ("租户张强不交房租", "租户张*不交房租"),
        ("姓名：刘䶮", "姓名：刘*"),                  # GB18030 characters outside GBK are Chinese characters too
        ("求助人ＬＩ，姓名　王𠀀", "求助人Ｌ*，姓名　王*"),   # ＬＩ: a name in full-width Latin letters
        # A name in Latin letters after a label keeps its first letter; a phone or mail word there is no name, and
        # the number after it is still found.
        ("联系人：John Smith，电话13812345678", "联系人：J*********，电话138****5678"),
        ("我叫Zhang Wei", "我叫Z********"),
        ("举报人O'Brien称", "举报人O******称"),
        ("联系人：JOHN SMITH反映", "联系人：J*********反映"),
        ("联系人Tel 3123456", "联系人Tel ***3456"),
        ("联系人Email: wang@example.com", "联系人Email: [邮箱]"),
        # The name ends before a word that hardly occurs in names; without one, up to 4 characters go.
        ("业主李家豪家门口漏水", "业主李**家门口漏水"),
        ("联系人王建国先生", "联系人王**先生"),
        ("业主李明多次来电", "业主李*多次来电"),
        ("业主李明楼上漏水", "业主李***漏水"),
        # ... and a phone or plate right after the name is still found.
        ("联系人李明电话3123456", "联系人李*电话***3456"),
        ("联系人李明云A12345", "联系人李*云A***45"),
        # A surname with a form of address tells only the surname: it stays.
        ("业主张先生反映", "业主张先生反映"),
        ("联系人李女士", "联系人李女士"),
        ("来电人王阿姨称", "来电人王阿姨称"),
        ("联系人欧阳先生", "联系人欧阳先生"),
        ("租户张某", "租户张某"),
        # Words, not names, after a label stay.
        ("业主委员会门口", "业主委员会门口"),
        ("业主们反映", "业主们反映"),
        ("联系人不详", "联系人不详"),
        ("联系人：物业公司", "联系人：物业公司"),
        ("来电人反映：金碧花园路灯不亮", "来电人反映：金碧花园路灯不亮"),
        ("来电人称：噪音", "来电人称：噪音"),
        ("业主车辆乱停", "业主车辆乱停"),
        ("业主与物业因收费问题发生纠纷", "业主与物业因收费问题发生纠纷"),
        ("联系人电话13812345678", "联系人电话138****5678"),
        ("姓名、电话未留", "姓名、电话未留"),
        ("联系人手机13812345678", "联系人手机138****5678"),
        # Headers named in load messages (列「反映人手机」) are words too.
        ("反映人手机", "反映人手机"), ("联系人微信", "联系人微信"), ("投诉人证件号", "投诉人证件号"),
        ("举报人住址", "举报人住址"), ("当事人年龄", "当事人年龄"), ("联系人关系", "联系人关系"),
        # ... and so is prose about these fields (the 口径 texts, load messages).
        ("来电人只以编号区分", "来电人只以编号区分"), ("来电人上一次同类诉求", "来电人上一次同类诉求"),
        ("不显示姓名和号码", "不显示姓名和号码"), ("已把姓名脱敏后保存", "已把姓名脱敏后保存"),
        ("匿名来电人", "匿名来电人"),
        # After a role (业主, 住户 ...) only a word starting with a surname is a name.
        ("楼上住户深夜噪音扰民", "楼上住户深夜噪音扰民"),
        ("高层住户水压过低", "高层住户水压过低"),
        ("业主装修扰民", "业主装修扰民"),
        ("房东不退押金", "房东不退押金"),
        # A word a label precedes that is on no list is masked: harder than needed, never a name shown.
        ("联系人深夜", "联系人深*"),
    ],
)
def test_scrub_text_masks_a_name_after_a_label(text, expected):
    assert scrub_text(text) == expected
    assert mask_value("content", text, caller_name="无关") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A name the writer gives as their own, with no label: after 我是/本人, a word starting with a surname that
        # something a name ends at follows.
        ("我是王小明，家住金碧花园", "我是王**，家住金碧花园"),
        ("本人李明反映楼道漏水", "本人李*反映楼道漏水"),
        ("本人是欧阳娜娜", "本人是欧***"),
        ("你好我是张三", "你好我是张*"),
        ("本人王建国电话13812345678", "本人王**电话138****5678"),
        # ... and words there stay.
        ("我是幸福小区业主", "我是幸福小区业主"),
        ("我是王府井小区的", "我是王府井小区的"),
        ("本人于昨日下午来电", "本人于昨日下午来电"),
        ("本人于今天，", "本人于今天，"),
        ("我是党员，", "我是党员，"),
        ("我是车主。", "我是车主。"),
        ("我是居民，", "我是居民，"),
        ("我是高三学生", "我是高三学生"),
        ("我是否可以申请", "我是否可以申请"),
        ("本人姓王", "本人姓王"),
        ("我是王先生，", "我是王先生，"),   # a surname with a form of address tells only the surname, as after a label
        ("我是欧阳女士。", "我是欧阳女士。"),
        # Occupations, roles, origins and kin that start with a surname stay too.
        *((f"我是{word}，", f"我是{word}，") for word in ("司机", "程序员", "农民", "江苏人", "申请人", "代理人", "经营者",
                                                     "毕业生", "钟点工", "施工方", "师傅", "管家", "孙子", "卫生员")),
    ],
)
def test_scrub_text_masks_a_name_given_as_ones_own(text, expected):
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # An e-mail address written so that no program finds it.
        ("邮箱zhangsan at 163 dot com", "邮箱[邮箱]"),
        ("发到 wang(at)qq点com 谢谢", "发到 [邮箱] 谢谢"),
        ("联系 li.ming#gmail.com 即可", "联系 [邮箱] 即可"),
        ("编号#3 and so on", "编号#3 and so on"),
        ("I am at home dot", "I am at home dot"),
        ("邮箱lisi@163点com", "邮箱[邮箱]"),
        ("zhangsan@163 dot com", "[邮箱]"),
        ("lisi@163(dot)com", "[邮箱]"),
        # A room number read out in Chinese numerals.
        ("住十二栋五零二室漏水", "住[楼栋]漏水"),
        ("十二栋五零二", "[楼栋]"),
        ("三栋二单元五零一", "[楼栋]"),
        ("第三层楼", "第三层楼"),
        ("3栋一九九八年的老楼", "[楼栋]一九九八年的老楼"),   # a year after the building is no room
    ],
)
def test_scrub_text_masks_addresses_written_out(text, expected):
    assert scrub_text(text) == expected


def test_a_name_after_a_label_is_found_whatever_its_surname():
    """Every surname of the demo district's callers (and every compound one) starts a name after a label
    and after a role, so the role's surname list leaves none of them shown."""
    from etl.demo_vocab import COMPOUND_SURNAMES as DEMO_COMPOUNDS, SURNAMES as DEMO_SURNAMES
    from onescreen.masking import COMPOUND_SURNAMES

    for surname in [*DEMO_SURNAMES, *DEMO_COMPOUNDS, *COMPOUND_SURNAMES]:
        name = surname + "建国"
        masked = name[0] + "*" * (len(name) - 1)
        assert scrub_text(f"联系人{name}，") == f"联系人{masked}，", name
        assert scrub_text(f"业主{name}反映") == f"业主{masked}反映", name


def test_the_callers_name_and_a_labelled_name_are_both_masked():
    assert scrub_text("来电人张三反映，联系人李四", caller_name="张三") == "来电人张*反映，联系人李*"
    assert mask_address("翠湖区幸福路8号 联系人李明", caller_name="张三") == "翠湖区幸福路8号 联系人李*"


@pytest.mark.parametrize(
    ("text", "max_len", "expected"),
    [
        ("路灯不亮", 10, "路灯不亮"),
        ("路灯不亮", 4, "路灯不亮"),
        ("路灯不亮了", 4, "路灯不…"),
        ("路灯不亮", 1, "…"),
        ("张三电话13812345678请回电", 9, "张*电话138*…"),
    ],
)
def test_scrub_text_cuts_after_masking(text, max_len, expected):
    assert scrub_text(text, caller_name="张三", max_len=max_len) == expected


def test_scrub_text_refuses_a_max_len_below_one():
    with pytest.raises(ValueError, match="max_len must be at least 1, got 0"):
        scrub_text("路灯不亮", max_len=0)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("caller_name", "欧阳娜娜", "欧***"),
        ("caller_phone", 13812345678, "138****5678"),
        ("address", "东风路88号金碧花园3栋", "东风路88号金碧花园"),
        ("content", "身份证110105194912310021", "身份证[身份证号]"),
        ("id_number", "11010519491231002X", "******************"),
        ("grid_code", "13812345678", "13812345678"),
        ("received_at", 13812345678, 13812345678),
        ("caller_phone", "", ""),
        ("caller_phone", None, None),
    ],
)
def test_mask_value(field, value, expected):
    assert mask_value(field, value) == expected


def test_mask_value_passes_caller_name_to_content():
    assert mask_value("content", "张三说", caller_name="张三") == "张*说"


@pytest.mark.parametrize(
    ("address", "caller_name", "expected"),
    [
        ("欧阳测试家，翠湖区翠湖街道幸福路8号", "欧阳测试", "欧***家，翠湖区翠湖街道幸福路8号"),
        ("翠湖区翠湖街道幸福路8号 联系人欧阳测试13987654321", "欧阳测试", "翠湖区翠湖街道幸福路8号 联系人欧***139****4321"),
        ("张三家，东风路88号3栋2单元", "张三", "张*家，东风路88号"),
        ("东风路88号", "张三", "东风路88号"),
        ("张三家，东风路88号", None, "张三家，东风路88号"),
        # a caller recorded as a word, not a name: nothing to hide, and the place keeps its name
        ("翠湖区市民广场东侧", "市民", "翠湖区市民广场东侧"),
        ("业主委员会门口，东风路88号", " 业主 ", "业主委员会门口，东风路88号"),
    ],
)
def test_mask_address_masks_the_callers_name(address, caller_name, expected):
    """The address column feeds address_area, which leaders' screens show: a caller's name in it is hidden."""
    assert mask_address(address, caller_name=caller_name) == expected
    assert mask_value("address", address, caller_name=caller_name) == expected


def test_mask_frame_masks_the_callers_name_in_the_address():
    frame = pd.DataFrame({"caller_name": ["欧阳测试"], "address": ["欧阳测试家，幸福路8号"]})
    assert mask_frame(frame)["address"].tolist() == ["欧***家，幸福路8号"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13987654321", "139****4321"),
        ("110105199003071234", "[身份证号]"),
        ("110105900307123", "[身份证号]"),
        ("13987654321.0", "139****4321.0"),
        (13987654321, "139****4321"),
        (" 139-8765-4321", " 139****4321"),
        # Short numbers, codes, long ticket numbers and coordinates stay readable, to be fixed.
        ("105", "105"),
        ("-3", "-3"),
        ("约300户", "约300户"),
        ("2025100700012345", "2025100700012345"),
        ("GD2026113000048", "GD2026113000048"),
        ("102.712345678901234", "102.712345678901234"),
        (85.5, 85.5),
        (None, None),
    ],
)
def test_scrub_number(value, expected):
    """A number or code column is not scrubbed as free text, but a whole mobile or ID number in it is hidden."""
    assert scrub_number(value) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, 0), (1, "<3"), (2, "<3"), (3, 3), (250, 250), (np.int64(2), "<3")],
)
def test_small_count(n, expected):
    assert small_count(n) == expected


@pytest.mark.parametrize(("n", "threshold", "expected"), [(4, 5, "<5"), (5, 5, 5), (1, 1, 1)])
def test_small_count_threshold(n, threshold, expected):
    assert small_count(n, threshold=threshold) == expected


def test_small_count_refuses_negative_counts():
    with pytest.raises(ValueError, match="a count cannot be negative, got -1"):
        small_count(-1)


def test_mask_frame_masks_personal_columns_only_and_leaves_input_alone():
    df = pd.DataFrame(
        {
            "ticket_id": ["T1", "T2", "T3"],
            "caller_name": ["张三", "欧阳娜娜", None],
            "caller_phone": [13812345678, np.nan, 8613987654321],
            "address": ["东风路88号金碧花园3栋2单元501室", "翠湖区南宁街道东风路88号", ""],
            "content": ["张三反映噪音", "欧阳娜娜：电话0755-12345678", "身份证110105194912310021"],
            "id_number": ["11010519491231002X", None, "110105491231002"],
            "satisfaction": ["满意", "不满意", "满意"],
        },
        index=[10, 11, 12],
    )
    before = df.copy()

    out = mask_frame(df)

    pd.testing.assert_frame_equal(df, before)
    assert list(out.columns) == list(df.columns)
    assert list(out.index) == [10, 11, 12]
    assert out["ticket_id"].tolist() == ["T1", "T2", "T3"]
    assert out["satisfaction"].tolist() == ["满意", "不满意", "满意"]
    assert out["caller_name"].tolist()[:2] == ["张*", "欧***"]
    assert pd.isna(out["caller_name"].tolist()[2])
    assert out["caller_phone"].tolist()[0] == "138****5678"
    assert pd.isna(out["caller_phone"].tolist()[1])
    assert out["caller_phone"].tolist()[2] == "139****4321"
    assert out["address"].tolist() == ["东风路88号金碧花园", "翠湖区南宁街道东风路88号", ""]
    assert out["content"].tolist() == ["张*反映噪音", "欧***：电话0755-****5678", "身份证[身份证号]"]
    assert out["id_number"].tolist()[0] == "******************"
    assert pd.isna(out["id_number"].tolist()[1])
    assert out["id_number"].tolist()[2] == "***************"


def test_mask_frame_without_personal_columns_is_an_equal_copy():
    df = pd.DataFrame({"grid_code": ["G001"], "tickets": [3]})
    out = mask_frame(df)
    pd.testing.assert_frame_equal(out, df)
    assert out is not df


# Pieces that start or make up every kind of match, so random strings of them hit each alternative
# at many positions (and near-misses next to digits, letters and Chinese text).
_PIECES = ["1", "3", "8", "0", "9", "6", "13812345678", "0755", "010", "(", ")", "+", "+86 ", "0086", "-", " ",
           "@", ".", "_", "%", "a", "X", "com", "Tel", "tel:", "电话", "手机号", "座机", "固话", "联系方式", "是",
           "云", "京", "A", "D", "12345", "挂", "·", "院", "内", "第", "三", "号楼", "栋", "单元", "室", "号", "#",
           "路", "来电称", "，", "：", "１３８", "－", "（", "＠", "11010519900307123X", "6222021234567890123",
           "2-301", "3号-2", "B座", "区2", "村", "17号", "路12号", "5楼",
           "联系人", "业主", "住户", "我叫", "姓名", "名字", "报警人", "来电人", "房东", "为", "叫", "王", "建国", "欧阳",
           "娜娜", "先生", "们", "委员会", "反映", "深夜", "䶮", "不详", "QQ", "qq号", "微信", "微信号", "WeChat", "wx",
           "zhang_1990", "12345", "群", "John", " Smith", "Tel", "ＬＩ", "vx", "V信", "扣扣", "威信", "市民", "居民", "村民",
           "（", "【", "“", " ", "广场"]


@pytest.mark.parametrize("guarded, alternatives", [
    ("_PII", "_PII_ALTERNATIVES"), ("_ADDRESS_DETAIL", "_ADDRESS_DETAIL_ALTERNATIVES")])
def test_first_character_guard_finds_exactly_what_the_pattern_alone_finds(guarded, alternatives):
    """The guard in front of _PII and _ADDRESS_DETAIL only speeds the scan: every match, its span and
    its named groups, is the same as the unguarded pattern's, on random texts built from the pieces
    the patterns look for (a character missing from the guard would lose the matches starting with it)."""
    import random
    import re

    from onescreen import masking

    fast = getattr(masking, guarded)
    plain = re.compile(getattr(masking, alternatives), re.VERBOSE)
    rng = random.Random(20261130)
    texts = ["".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 12))) for _ in range(20000)]
    matched = 0
    for text in texts:
        text = masking._normalise(text)
        expected = [(m.span(), m.lastgroup, m.groupdict()) for m in plain.finditer(text)]
        assert [(m.span(), m.lastgroup, m.groupdict()) for m in fast.finditer(text)] == expected, text
        matched += bool(expected)
    assert matched > 1000   # the texts do exercise the patterns


def test_plain_mobile_shortcut_masks_as_the_general_path(monkeypatch):
    """mask_phone's shortcut for a bare 11-digit mobile gives what the general path gives, and only
    for such cells (full-width digits, a +86 prefix or a 12th digit go the general way)."""
    import random
    import re

    from onescreen import masking

    rng = random.Random(7)
    values = ["".join(rng.choice("0123456789") for _ in range(rng.randint(9, 13))) for _ in range(3000)]
    values += ["1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9)) for _ in range(3000)]
    values += ["１３８１２３４５６７８", "+8613812345678", "138 1234 5678", "13812345678.0", " 13912345678 "]
    fast = [masking.mask_phone(v) for v in values]
    monkeypatch.setattr(masking, "_PLAIN_MOBILE", re.compile(r"(?!)"))
    assert [masking.mask_phone(v) for v in values] == fast
    assert sum(f.count("****") == 1 and len(f) == 11 for f in fast) >= 3000
