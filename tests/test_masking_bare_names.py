"""Citizens' names written with no label before a reporting verb, as 12345 operators write them (王小明来电称,
李建国反映, 经与孙立群沟通): onescreen.masking finds them by a surname, 1-2 more characters and the verb after them,
and leaves alone the places, organisations and roles that look alike (张家港来电, 居委会反映, 该户主表示)."""

from __future__ import annotations

import pandas as pd
import pytest

from onescreen.masking import mask_address, mask_frame, mask_name_in_unit, scrub_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The operator's usual forms: a full name, then 来电, 反映, 投诉, 诉：, 称, 表示, 说 ...
        ("王小明来电称小区路灯不亮", "王**来电称小区路灯不亮"),
        # After a date or time (a digit before 日, 时): 11月3日王小明来电.
        ("11月3日王小明来电", "11月3日王**来电"), ("下午3时王小明来电称", "下午3时王**来电称"),
        # Names the guards for handling notes must not hide (the third review): surnames 于 and 经, a day word before
        # the name, given names that are also words or places, names with 时 or 次.
        ("于海涛来电反映", "于**来电反映"), ("据于小军反映", "据于**反映"), ("经与于建国沟通", "经与于**沟通"),
        ("经海涛来电", "经**来电"), ("今日王小明来电反映", "今日王**来电反映"), ("近日王小明多次反映", "近日王**多次反映"),
        ("张高峰来电称", "张**来电称"), ("刘宁波来电", "刘**来电"), ("陈安阳反映", "陈**反映"), ("王常德投诉", "王**投诉"),
        # A place alone before a verb is none (江北反映), but a surname before it makes a name.
        ("张江北来电", "张**来电"), ("王江南反映", "王**反映"), ("李金山称", "李**称"), ("，刘洪山投诉", "，刘**投诉"),
        ("李时珍来电反映", "李**来电反映"), ("刘次华投诉", "刘**投诉"),
        # A two-character name found before its verb is masked where it stands elsewhere too.
        ("邻居王伟私搭乱建，王伟称已拆除", "邻居王*私搭乱建，王*称已拆除"),
        ("李建国反映楼上漏水", "李**反映楼上漏水"),
        ("张桂英投诉物业不作为", "张**投诉物业不作为"),
        ("刘德华诉：楼上住户深夜噪音扰民", "刘**诉：楼上住户深夜噪音扰民"),
        ("刘德华诉称物业乱收费", "刘**诉称物业乱收费"),
        ("王伟反映噪音扰民", "王*反映噪音扰民"),
        ("赵丽华称家中停水", "赵**称家中停水"),
        ("陈志强表示不满意", "陈**表示不满意"),
        ("周建明举报有人占道经营", "周**举报有人占道经营"),
        ("吴丽萍求助：家中老人独居", "吴**求助：家中老人独居"),
        ("郑海涛咨询公租房申请条件", "郑**咨询公租房申请条件"),
        ("黄志刚说物业不管", "黄**说物业不管"),
        ("冯志刚致电12345反映", "冯**致电12345反映"),
        ("韩梅梅要求尽快处理", "韩**要求尽快处理"),
        ("黄金龙反映", "黄**反映"),   # a name may start like a word (黄金)
        # Compound surnames.
        ("欧阳娜娜来电反映", "欧***来电反映"),
        ("司马光称有人砸车", "司**称有人砸车"),
        ("诸葛亮投诉", "诸**投诉"),
        # After punctuation, a space, a date or a time.
        ("来电人称：李建国反映楼道堆物", "来电人称：李**反映楼道堆物"),
        ("市民来电反映，王小明称家中停水", "市民来电反映，王**称家中停水"),
        ("2025年11月3日王小明来电", "2025年11月3日王**来电"),
        ("11月3日 王小明来电", "11月3日 王**来电"),
        ("上午10时王伟来电", "上午10时王*来电"),
        # A name after a word that introduces a person: 经与, 与, 和, 据, 向, 邻居, kin, 网格员 ...
        ("经与孙立群沟通，已解决", "经与孙**沟通，已解决"),
        ("经与孙立群电话联系", "经与孙**电话联系"),
        ("据王小明反映", "据王**反映"),
        ("邻居王小明也反映过", "邻居王**也反映过"),
        ("其妻子李芳称", "其妻子李*称"),
        ("网格员李国华表示已上门", "网格员李**表示已上门"),
        ("联系人：李明，王伟称", "联系人：李*，王*称"),
        # A second caller or a neighbour, who is not the row's caller: masked all the same.
        ("市民来电反映楼上漏水，楼上住户王建国称不是他家", "市民来电反映楼上漏水，楼上住户王**称不是他家"),
        # Names joined by 和, 与, 及, 、 before one verb.
        ("张三和李四反映", "张*和李*反映"),
        ("王小明、李建国投诉", "王**、李**投诉"),
        ("王小明与李建国协商", "王**与李**协商"),
        # A word between the name and its verb: 多次, 再次, 也, 本人, 先生, 等人, 夫妇 ...
        ("王小明多次来电", "王**多次来电"),
        ("王小明再次反映", "王**再次反映"),
        ("王小明先生来电称", "王**先生来电称"),
        ("王小明等人反映", "王**等人反映"),
        ("王小明夫妇投诉", "王**夫妇投诉"),
        ("王小明本人来电", "王**本人来电"),
        # A name found so is masked wherever else the text has it.
        ("其邻居刘建华私搭乱建，刘建华称已审批", "其邻居刘**私搭乱建，刘**称已审批"),
        # Labels already found before stay found (来电人, 业主 ...).
        ("来电人赵丽华称", "来电人赵**称"),
        ("业主陈志强表示", "业主陈**表示"),
        ("市民张桂英投诉", "市民张**投诉"),
    ],
)
def test_a_name_before_a_reporting_verb_is_masked(text, expected):
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # A surname with a form of address tells only the surname (as after a label): it stays.
        "王先生来电称", "李女士反映", "欧阳先生来电", "张某反映", "王某某称", "王总表示", "李工称", "刘姐反映",
        "张老师反映", "王师傅称", "赵阿姨投诉", "王家反映",
        # Places.
        "张家港来电", "王府井", "王府井附近商户反映", "高新区表示", "李家村村委会反映", "张家口市民反映", "东风路反映",
        "金碧花园反映", "幸福小区业主反映", "江苏人反映", "王家庄村民投诉", "石龙村反映",
        # Places written without their 区 or 省 (江北反映), and ones that keep their 区/县/市/镇/街/路/村.
        "江北反映", "江北来电", "，江北反映", "据江北反映", "江南来电称", "山东来电", "广西来电反映", "，金山反映", "黄浦来电",
        "徐汇反映", "龙岗来电", "罗湖来电", "昌平来电", "房山来电", "丰台来电", "江宁来电", "秦淮来电", "石景山来电",
        "江北区反映", "江北区来电", "洪山区来电", "江北县来电", "万州市来电", "石桥镇来电", "城东街反映", "黄山路来电",
        "周村反映", "，江北街道反映",
        # Organisations and offices.
        "物业公司反映", "居委会反映", "社区书记反映", "城管局表示", "派出所称", "市政府称", "东川物业投诉",
        "东方物业投诉", "万科物业称", "高新区管委会表示", "经与物业沟通", "经与社区沟通", "经与公司沟通",
        "经与城管局沟通", "经与国土所联系", "经与水务局联系", "，公司表示", "，单位表示", "，学校称", "，管理处称",
        # Roles, groups, kin and other words.
        "本小区居民反映", "多名居民投诉", "该户主表示", "全体业主反映", "，双方表示", "，司机称", "，车主反映",
        "，房东称", "，家人反映", "，家属表示", "，施工方表示", "经与包工头沟通", "，孙子反映",
        "，游客投诉", "，明天来电", "，全家反对", "高管表示", "水电工称", "包租婆称",
        # A verb that is part of another word: 声称, 据说, 名称.
        "商家声称", "，公司声称", "据说", "小区名称", "，常说", "，时常说起", "周报的说明写",
        # Adverbs before a verb.
        "，明确要求", "，强烈投诉", "，经常反映", "，马上联系", "，公开表示", "，曾经投诉", "，及时沟通",
        # Words of everyday 12345 texts before a verb (方便联系, 周末联系, 顾客反映, 向上级反映, 曾多次反映).
        "请方便联系", "，方便时联系", "周末联系", "周一联系", "，周日联系", "安排联系", "，顾客反映", "，顾客投诉",
        "，曾多次反映", "陆续反映", "单元长反映", "向上级反映", "，包括联系",
        # A verb after a label is no name (经与申请人沟通, 与当事人协商, 向投诉人解释).
        "经与申请人沟通", "与来电人沟通后", "与当事人协商", "向投诉人解释", "已与反映人核实", "与申请人确认",
        # Handling notes (经 is a surname, but 经核实 is how nearly every note starts), words and places the review
        # found masked, each all through its text.
        "经核实，该路段路灯由城管局管理。经核实确认后已安排维修。", "经调查核实", "经检查确认", "经走访核实", "经协调沟通",
        "经沟通协商", "经调解协商", "经电话联系", "经查询确认", "经查看确认", "据了解反映",
        "市民反映燃气公司安装人员态度差，安装要求不合理。", "该项目已取得许可证。许可证咨询请拨打12345",
        "高峰时段来电反映拥堵", "夏天来电", "凌晨来电称", "杭州来电", "广州来电", "武汉来电", "华为来电", "麦当劳投诉",
        # The demo's texts.
        "来电人反映：金碧花园路灯不亮", "市民来电反映附近有店铺无证经营", "群众来电反映：楼上住户深夜噪音扰民",
        "来电称瑞和路39号附近频繁停电", "务工人员反映工程款和工资被拖欠", "群众随手拍反映", "业主与物业因收费问题发生纠纷",
        "家中老人独居，希望提供上门养老服务", "网格员巡查发现太和路居民咨询医保参保政策",
    ],
)
def test_words_that_look_like_a_name_before_a_verb_stay(text):
    assert scrub_text(text) == text


def test_the_callers_name_and_another_name_without_a_label_are_both_masked():
    assert scrub_text("张三来电称邻居王小明反映过", caller_name="张三") == "张*来电称邻居王**反映过"
    assert mask_address("东风路88号 王小明称", caller_name="张三") == "东风路88号 王**称"
    frame = pd.DataFrame({"caller_name": ["张三"], "content": ["李建国反映楼上漏水"]})
    assert mask_frame(frame)["content"].tolist() == ["李**反映楼上漏水"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Kin or a role right before a name, with no label and no verb: the name of 2-3 characters is masked.
        ("其母亲李秀英独居", "其母亲李**独居"), ("老人张桂兰行动不便", "老人张**行动不便"),
        ("其父亲王大明长期卧床", "其父亲王**长期卧床"), ("老伴周桂芳住院", "老伴周**住院"),
        ("独居老人何秀兰", "独居老人何**"), ("外婆钱淑芬", "外婆钱**"), ("亲属马丽娟不同意", "亲属马**不同意"),
        ("其子黄志强外出务工", "其子黄**外出务工"), ("老人江桂英（82岁）", "老人江**（82岁）"), ("租客冯晓东", "租客冯**"),
        ("父亲胡建军2020年去世", "父亲胡**2020年去世"), ("邻居冯志刚家的狗", "邻居冯**家的狗"),
        # A two-character name: the next character is kept when it ends a name or starts an everyday word.
        ("女儿陈静在外地", "女儿陈*在外地"), ("丈夫赵军经常打骂", "丈夫赵*经常打骂"), ("孙子吴昊上学", "孙子吴*上学"),
        ("其女杨帆未成年", "其女杨*未成年"), ("儿媳许梅与老人发生争执", "儿媳许*与老人发生争执"), ("女婿罗军", "女婿罗*"),
        ("哥哥曹磊", "哥哥曹*"),
        # A compound surname keeps its first character only.
        ("母亲欧阳秀英", "母亲欧***"),
        # Found once, masked all through the text.
        ("老人王秀兰独居，王秀兰行动不便", "老人王**独居，王**行动不便"),
        # The roles found as labels (业主, 租户 ...): 拒 ends the name.
        ("业主王建国家漏水", "业主王**家漏水"), ("租户刘洋拒不配合", "租户刘*拒不配合"), ("业主刘洋拒缴物业费", "业主刘*拒缴物业费"),
        # With a verb after it, both rules agree.
        ("妻子孙丽华称", "妻子孙**称"), ("邻居刘建华私搭乱建", "邻居刘**私搭乱建"),
    ],
)
def test_a_name_right_after_kin_or_a_role_is_masked(text, expected):
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Everyday words after kin and roles, many starting with a surname (和, 常, 居, 上, 向, 高, 车, 养, 空, 单, 双 ...).
        "业主委员会", "居民楼", "老人活动中心", "租户信息", "邻居家", "居民反映", "老人和孩子", "老人常年独居",
        "老人平时一人在家", "老人居住的房屋", "孙子上学", "邻居向物业反映", "父亲经常喝酒", "老人安全隐患", "老人申请低保",
        "母亲节", "邻居养狗扰民", "邻居空调外机滴水", "老人高龄独居", "儿子车祸受伤", "老人单独居住", "老人双腿残疾",
        "老人房产纠纷", "老人于家中摔倒", "老人及家属", "邻居单元门口", "老人公寓", "老人卫生间", "老人时常忘关燃气",
        "邻居施工噪音", "邻居强行占用", "老人能否享受", "女儿常住外地", "老人明显消瘦", "住户全部搬离", "业主大会",
        "老人空巢", "老人危房改造", "老人相关补贴", "老人居家养老", "老人安置房", "邻居田地被占", "老人长期卧床",
        "邻居车辆", "孙子孙女", "老人万一摔倒", "邻居关系紧张", "老人经济困难", "老人钱财被骗", "老人全家",
        "家中老人独居，希望提供上门养老服务",
        # A surname with a form of address tells only the surname.
        "邻居王阿姨", "老人张某", "其母亲王某某", "老人吴某",
    ],
)
def test_everyday_words_after_kin_or_a_role_stay(text):
    assert scrub_text(text) == text


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        # A person's name after the unit, in brackets, or before it with a space or a sign: masked.
        ("城管科张伟", "城管科张*"), ("城管科 张伟", "城管科 张*"), ("城管科张建国", "城管科张**"), ("区城管局（张建国）", "区城管局（张**）"),
        ("城管科欧阳娜娜", "城管科欧***"), ("区民政局/李明", "区民政局/李*"), ("东川物业公司刘洋", "东川物业公司刘*"),
        ("张伟 城管科", "张* 城管科"), ("王伟、区教育局", "王*、区教育局"), ("城管科（联系人：张伟）", "城管科（联系人：张*）"),
        # Units, units within units, places and titles: kept.
        ("区住建局", "区住建局"), ("住建局房管科", "住建局房管科"), ("市场监管局高新所", "市场监管局高新所"),
        ("张家港市城管局", "张家港市城管局"), ("区城管局环卫处", "区城管局环卫处"), ("城管局执法大队", "城管局执法大队"),
        ("区城管局城东中队", "区城管局城东中队"), ("市政府办公厅", "市政府办公厅"), ("东风社区居委会", "东风社区居委会"),
        ("供电所王庄", "供电所王庄"), ("城管局江北", "城管局江北"), ("城管科张科长", "城管科张科长"),
        ("万科物业王经理", "万科物业王经理"), ("云南万科物业服务有限公司", "云南万科物业服务有限公司"),
    ],
)
def test_a_persons_name_next_to_a_unit_is_masked(unit, expected):
    assert mask_name_in_unit(unit) == expected
