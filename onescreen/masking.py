"""Masking of personal data (脱敏), one set of pure functions for screens, charts, logs, exports and
error messages.

Contract shared by every function here:

- Input is a raw value as an export delivers it: ``str``, ``int`` or ``float`` (a phone read as a
  number), ``None``, ``NaN``, ``pandas.NA``, with stray whitespace or full-width characters.
- Empty values (``None``, ``NaN``, ``NA``, ``NaT``, ``''`` or whitespace only) come back unchanged,
  so a column keeps its missing markers.
- Nothing raises on odd input. A value in a personal field that does not look like what it should
  be is masked harder, never passed through.
- Full-width digits and letters are recognised; text that is not masked is returned exactly as it
  came in (matching happens on a normalised copy of the same length).

Decisions (each one is a row in ``tests/test_masking.py``):

- Phones: a mobile keeps its first 3 and last 4 digits (``138****5678``); a landline keeps its area
  code and last 4 digits, the rest becomes ``*`` of the same length (``0874-***3456``); a number
  without area code keeps its last 4. Country code (+86, 86, 0086) and separators are dropped.
- ID numbers are never shown: every character becomes ``*`` (same length, so an 18-digit and a
  15-digit number are still told apart). ``show_last4=True`` keeps the last 4 of a well-formed
  number for staff; a malformed value is always fully masked. In free text: ``[身份证号]``.
- Names keep only their first character, compound surnames included (``欧阳娜娜`` -> ``欧***``);
  a one-character name becomes ``*``. Latin names the same way (``John`` -> ``J***``).
- Addresses are cut before the first building, unit, room or floor detail, and what is left is
  scrubbed like free text.
- Free text: phones as above, ID numbers ``[身份证号]``, bank cards (any 16-19 digit number, no Luhn
  check: a mistyped card is still personal) ``[银行卡号]``, e-mail addresses ``[邮箱]``, vehicle plates
  keep province, city letter and last 2 characters (``云D***45``) so repeated reports about one car
  can still be matched by eye, a QQ number after its word keeps its last 4 digits and a WeChat ID its
  first character (``QQ：****5678``, ``微信号：z***********``), and the caller's name (2 characters or more) is
  masked wherever it occurs, in any form of :func:`caller_names` (张三先生 in the 来电人 cell finds 张三). Bare 7-8
  digit numbers are masked only after a phone word (电话, 手机, 座机, ...), since amounts and dates look the same.
- Numbers written in groups the patterns do not expect (0571 8888 8888, 138/1234/5678, 13 812 345 678) or in
  Chinese numerals (一三八一二三四五六七八) are found by a second pass that reads their digits alone
  (:data:`_LOOSE_NUMBER`): 11 starting with 13-19 a mobile, 15 or 18 with a birth date an ID number, 15-19 a bank
  card, 10-12 starting with an area code a landline; dates, times and amounts are none of these.
- Other people's names in free text are masked where a label introduces them (:data:`NAME_LABELS`:
  ``联系人：李明`` -> ``联系人：李*``, 报警人, 投诉人, 我叫, 姓名 ...; ``:``, ``：``, 是, 为, 叫, spaces, brackets
  and quotes may follow the label; a name may have a space inside: 姓名 张 三): 2 to 4 Chinese characters keep the first, as a name does. After a role that
  usually precedes an ordinary word (:data:`NAME_ROLES`: 业主, 租户, 住户, 市民 ...) only a word starting
  with a surname (:data:`SURNAMES`, compound ones included) is a name: ``业主王建国反映`` ->
  ``业主王**反映``, ``楼上住户深夜`` stays. A word listed as no name stays (业主们, 业主委员会,
  联系人不详, 来电人反映, 联系人物业公司: an organisation as contact is no personal data); any other word
  there is masked, harder than needed at worst. A surname with a form of address (张先生, 李女士,
  王阿姨, 欧阳先生, 张某) tells only the surname and stays. A name ends before a word that hardly
  occurs in names (反映, 称, 电话, 先生, 的 ...); otherwise the following characters are masked with it,
  up to 4 in all. A Latin name after a label keeps its first letter (``联系人：John Smith`` -> ``联系人：J*********``);
  a name with neither a label before it nor a reporting verb after it is found only right after kin or a role
  (:data:`_KIN_WORDS`: 其母亲李秀英独居 -> 其母亲李**独居, 老人张桂兰, 租客冯晓东), 2-3 characters starting with a surname and
  not an everyday word (老人和孩子, 孙子上学, 邻居家 stay), and then masked all through the text as a bare name is.
- A name with no label, written as 12345 operators write it before a reporting verb (王小明来电称, 李建国反映,
  刘德华诉：, 经与孙立群沟通) is masked the same way, and so is every other occurrence of it in the text: a surname
  (:data:`SURNAMES`, compound ones included) and 1-2 more characters right before the verb (来电, 反映, 投诉, 称,
  表示 ...; a few words such as 多次, 先生, 等人 may stand between), after the start, a sign, a space or a word that
  introduces a person (与, 据, 邻居, 网格员, a date's 日). Names joined by 和, 与, 、 before one verb are each masked.
  Places, organisations, roles and kin in that shape stay (张家港来电, 江北反映, 居委会反映, 高新区表示, 该户主表示, 王总表示,
  王家反映), as does a surname with a form of address (王先生来电称).
"""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Callable

import pandas as pd

# Canonical fields that hold personal data, and how each is masked (see ``mask_value``).
PERSONAL_FIELDS = ("caller_name", "caller_phone", "address", "content", "id_number")

ID_PLACEHOLDER = "[身份证号]"
BANK_CARD_PLACEHOLDER = "[银行卡号]"
EMAIL_PLACEHOLDER = "[邮箱]"
ADDRESS_PLACEHOLDER = "[地址]"
ELLIPSIS = "…"

# One character for one character, so positions in the normalised copy match the original.
_FULLWIDTH = {0xFF10 + i: ord("0") + i for i in range(10)}
_FULLWIDTH.update({0xFF21 + i: ord("A") + i for i in range(26)})
_FULLWIDTH.update({0xFF41 + i: ord("a") + i for i in range(26)})
_FULLWIDTH.update({ord(a): ord(b) for a, b in zip("＋－＠．＿（）　—", "+-@._() -")})
_HAS_FULLWIDTH = re.compile("[" + "".join(re.escape(chr(c)) for c in _FULLWIDTH) + "]")

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
# Between the groups of an ID number (6-8-4) or a mobile (3-4-4), as people type them: 110105 19900307 1234,
# 110105-19900307-1234, 139.8765.4321 (full-width spaces, dashes and dots are normalised to these first).
# Only between those groups, so a date (2025-11-04) or an amount (1,234.56) has too few digits to match.
_SEP = r"[ .-]?"
# What a 来电人 cell holds when the caller gave no name: words, not names. Nothing is masked as such a "name" (a
# caller recorded as 市民 does not turn 市民广场 into 市*广场, nor 区市民服务中心 into 区市*服务中心).
GENERIC_CALLERS = frozenset({"市民", "群众", "居民", "村民", "业主", "住户", "租户", "商户", "网友", "游客", "来电人", "来电者",
                             "匿名", "未知", "不详", "保密", "无", "先生", "女士", "小姐", "未提供", "拒绝透露", "不愿透露"})

# Two-character surnames: the surname alone before 先生, 女士, ... is masked too when the caller's name starts
# with one (a one-character surname before 先生 tells no more than the masked name, 王*, does).
COMPOUND_SURNAMES = frozenset({"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "夏侯", "尉迟", "公孙",
                               "长孙", "宇文", "司徒", "西门", "端木", "独孤", "南宫", "轩辕", "澹台", "申屠", "呼延",
                               "万俟", "钟离", "濮阳", "百里", "赫连", "闻人", "太史", "东郭"})
_FORM_OF_ADDRESS = "先生|女士|小姐|老师|师傅|阿姨|大爷|大妈|大姐|大哥|老人|同志|某"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ebef"   # Chinese characters, rare ones (䶮, 𠀀) included
# Words after which free text names a person: 联系人：李明, 报警人张伟称, 我叫刘芳, 姓名:陈小红.
NAME_LABELS = ("姓名", "名字", "名叫", "我叫", "本人叫", "联系人", "联络人", "来电人", "来电者", "反映人", "投诉人", "举报人",
               "报警人", "求助人", "当事人", "申请人", "承租人")
# Roles that may precede a name (业主王建国反映) but far more often an ordinary word (楼上住户深夜..., 业主装修):
# after these only a word starting with a surname is taken for a name.
NAME_ROLES = ("业主", "租户", "住户", "户主", "房东", "房主", "市民", "居民", "村民")
# What may stand between a label and its name: 联系人（孙七）, 联系人【周八】, 联系人“张三”.
_OPENING = "（(【\\[“\"'「『"
# Single-character surnames: the 百家姓 and the common ones it lacks (闫, 付, 肖, 覃 ...).
SURNAMES = frozenset(
    "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎鲁韦昌马苗凤花方"
    "俞任袁柳酆鲍史唐费廉岑薛雷贺倪汤滕殷罗毕郝邬安常乐于时傅皮卞齐康伍余元卜顾孟平黄和穆萧尹姚邵湛汪祁毛禹狄米贝明臧"
    "计伏成戴谈宋茅庞熊纪舒屈项祝董梁杜阮蓝闵席季麻强贾路娄危江童颜郭梅盛林刁钟徐邱骆高夏蔡田樊胡凌霍虞万支柯昝管卢莫"
    "经房裘缪干解应宗丁宣贲邓郁单杭洪包诸左石崔吉钮龚程嵇邢滑裴陆荣翁荀羊於惠甄曲家封芮羿储靳汲邴糜松井段富巫乌焦巴弓"
    "牧隗山谷车侯宓蓬全郗班仰秋仲伊宫宁仇栾暴甘钭厉戎祖武符刘景詹束龙叶幸司韶郜黎蓟薄印宿白怀蒲邰从鄂索咸籍赖卓蔺屠蒙"
    "池乔阴郁胥能苍双闻莘党翟谭贡劳逄姬申扶堵冉宰郦雍郤璩桑桂濮牛寿通边扈燕冀郏浦尚农温别庄晏柴瞿阎充慕连茹习宦艾鱼容"
    "向古易慎戈廖庾终暨居衡步都耿满弘匡国文寇广禄阙东欧殳沃利蔚越夔隆师巩厍聂晁勾敖融冷訾辛阚那简饶空曾毋沙乜养鞠须丰"
    "巢关蒯相查后荆红游竺权逯盖益桓公闫付肖覃佘揭晋兰麦粟银阳丛岳练代尉")
# What follows such a label without being a name, tested at the first character after it (and its 是/为/叫):
# 业主们, 业主委员会, 联系人不详, 来电人反映, 联系人物业公司 keep their words. Single characters here are never (or
# hardly ever) surnames; a word that starts with a surname (车辆, 高空, 方面) is listed whole. Anything else is
# masked as a name: masking a role or an organisation is the accepted cost, a name shown is not.
_NOT_A_NAME = "|".join([
    *"们的地得在已均都也又还再不未没无非否是为叫自私擅多每各该此其这与及或并且对因被把让给从就才需可会想称说讲问表"
     "反来去到投举报求咨询认提联电手座固微邮证址性情意诉号姓名委群现今昨前后即进入出装乱堆停违拒欠交缴购买卖租住物家屋室本"
     "一二三四五六七八九十几两仅则将由按以用中里处所亦却但只编留复脱",
    "小区", "小孩", "车辆", "车位", "车库", "高空", "高价", "安装", "安全", "全体", "全部", "方面", "一方", "何时", "何处",
    "于是", "关于", "应该", "应当", "能否", "要求", "有关", "有人", "时常", "常年", "平时", "成员", "代表", "大会", "大门",
    "万元", "金额", "钱款", "楼上", "楼下", "楼道", "门口", "门前", "单位", "公司", "公共", "东侧", "西侧", "南侧", "北侧",
    "上述", "上门", "下水", "水管", "电梯", "燃气", "暖气", "房屋", "房子", "房间", "社区", "居委", "村委", "街道", "派出所",
    "邻居", "信息", "身份", "双方", "何不", "何故", "水压", "水费", "水电", "年龄", "籍贯", "关系", "工作", "职业",
    "同样", "同一", "同时", "同意", "广场", "文明", "上一", "上次", "上个", "上周", "上月", "和电", "和号", "和手", "和地", "和住", "和身", "和联",
    # what is done with the person a label names (经与申请人沟通, 与当事人协商, 向投诉人解释)
    "沟通", "协商", "协调", "解释", "核实", "确认", "商量", "见面", "面谈", "签字", "回电", "回访", "答复", "告知", "了解",
    "达成", "约定", "取得",
    *sorted(GENERIC_CALLERS, key=len, reverse=True)])
# A surname with a form of address (张先生, 李女士, 王阿姨, 欧阳先生) tells only the surname: it stays.
_TITLES = _FORM_OF_ADDRESS + "|奶奶|爷爷|叔叔|婶婶|阿婆|婆婆|老伯|老太|经理|主任|书记|老板|医生|律师|家属"
# Where a name written after a label ends (业主王建国反映: 王建国). Only words that hardly occur inside a name;
# any other following character is taken into the name, up to 4 in all. The phone words and a plate's start
# also end it at its second character, so the scan still finds the number (联系人李明电话3123456).
_PII_WORD = rf"电话|手机|座机|固话|联系方式|[{_PROVINCES}][A-Za-z]"
_NAME_END = (rf"{_PII_WORD}|{_TITLES}|反映|反应|来电|投诉|举报|报警|求助|表示|要求|希望|联系|号码|身份|多次|夫妇|一家|今天|"
             "昨天|现在|目前|[的等在住于和与及家是已也都又还不未没对因被把让给从到去说讲问称自私电拒]")
_COMPOUNDS = "|".join(sorted(COMPOUND_SURNAMES))
# A name the writer gives as their own with no label (我是王小明，…; 本人李明反映): after 我是/本人 a word that starts
# with a surname is a name only when something a name ends at follows it (a sign, a space, the end, 反映 ...):
# 我是幸福小区业主 or 本人于昨日下午 go on as words. The words below start with a surname and still are no name.
_SELF_ROLES = "党员|车主|房东|房主|房客|家长|家属|经理|包工头|管理员|居委|于[今昨明前本上去当同近]"
# ... nor do words ending like an occupation, a role, a person's origin or kin (司机, 程序员, 农民, 江苏人, 申请人,
# 毕业生, 钟点工, 施工方, 师傅, 管家, 孙子): a name ending so after 我是 (张国民，) is the accepted miss.
_SELF_WORD_ENDINGS = "人员工者生民方机师傅长主户客子妈爸友姐哥弟妹家届级族"
_SELF_NAME_END = r"[\s，,。.；;：:！!？?、（(]|$|反映|来电|投诉|举报|求助|电话|手机|联系|家住|住在"
# A name in Latin letters after a label (联系人：John Smith, 我叫Zhang Wei): a word, then up to two more each starting
# with a capital. Not a phone or account word (联系人Tel 3123456: the number is still found after Tel).
_LATIN_NAME = (r"(?!(?i:tel|phone|mobile|mob|fax|qq|wechat|weixin|wx|e-?mail|mail|id|no)(?![A-Za-z]))"
               r"[A-Za-zＡ-Ｚａ-ｚ][A-Za-zＡ-Ｚａ-ｚ'.\-]*(?:[\ ·][A-ZＡ-Ｚ][A-Za-zＡ-Ｚａ-ｚ'.\-]*){0,2}")
# An e-mail address written so that no program finds it (zhangsan at 163 dot com, zhangsan#163.com, wang(at)qq点com).
_AT = r"(?:[(\[（]\s*(?i:at)\s*[)\]）]|\s(?i:at)\s|艾特|\#|[@＠])"
_DOT = r"(?:\.|[(\[（]\s*(?i:dot)\s*[)\]）]|\s(?i:dot)\s|点)"
# Every alternative below starts with one of these characters. Testing them first lets the scan pass
# over a Chinese character in one step instead of trying all eight alternatives there (4x faster on
# the ticket list's content; tests/test_masking.py checks the guard against the unguarded pattern).
_PII_FIRST = rf"\dA-Za-z._%+\-(电手座固联微威扣{_PROVINCES}{''.join(sorted({label[0] for label in NAME_LABELS + NAME_ROLES}))}"
_PII_ALTERNATIVES = rf"""
    (?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{{2,}})
  | (?P<email_written>[A-Za-z0-9._%+-]{{2,}}\s*{_AT}\s*[A-Za-z0-9-]+(?:\s*{_DOT}\s*[A-Za-z0-9-]+)*?\s*{_DOT}\s*
        (?i:com|cn|net|org|edu|gov)(?![A-Za-z]))
  | (?P<id_number>(?<!\d)(?:[1-9]\d{{5}}{_SEP}(?:18|19|20)\d{{2}}{_DATE}{_SEP}\d{{3}}[\dXx]
                          |[1-9]\d{{5}}{_SEP}\d{{2}}{_DATE}{_SEP}\d{{3}})(?!\d))
  | (?P<bank_card>(?<!\d)(?:\d{{16,19}}|\d{{4}}(?:[ -]\d{{4}}){{3}}(?:[ -]?\d{{1,3}})?)(?!\d))
  | (?P<mobile>(?<!\d)(?:(?:\+\ ?|00)?86[ -]?)?(?P<m1>1[3-9]\d){_SEP}(?P<m2>\d{{4}}){_SEP}(?P<m3>\d{{4}})(?!\d))
  | (?P<landline>(?<!\d)(?P<cc>(?:\+\ ?|00)86[ -]?)?\(?
        (?:(?P<a3>0?(?:10|2\d))\)?[ -]?(?P<l8>\d{{8}}) | (?P<a4>0?[3-9]\d{{2}})\)?[ -]?(?P<l7>\d{{7,8}}))(?!\d))
  | (?P<short_phone>(?P<kw>(?:电话|手机|座机|固话|联系方式|[Tt][Ee][Ll])(?:号码?)?)[:：\s是为]*(?P<local>\d{{7,8}})(?!\d))
  | (?P<account>(?<![A-Za-z])(?:(?i:qq|wechat|weixin|wx|vx|v信)|微信|威信|扣扣)(?:号码?|账号|(?i:id))?[:：\s是为]*
        (?P<acct>[A-Za-z0-9][A-Za-z0-9_\-]{{4,}}))
  | (?P<plate>[{_PROVINCES}]\s?(?P<city>[A-Za-z])[·•・.\s-]?(?=[A-Za-z]{{0,4}}\d)
        (?P<serial>[A-Za-z0-9]{{4}}[挂学警港澳领使试超]|[A-Za-z0-9]{{5,6}})(?![A-Za-z0-9]))
  | (?P<labelled_name>(?:{"|".join(NAME_LABELS)}|(?:{"|".join(NAME_ROLES)})(?=[\s:：]*(?:是|为)?[\s:：]*(?:{_COMPOUNDS}|[{"".join(sorted(SURNAMES))}])))
        [\s:：]*(?:是|为|叫)?[\s:：{_OPENING}]*
        (?P<name>(?!{_NOT_A_NAME})(?!(?:{_COMPOUNDS}|[{_HAN}])(?:{_TITLES}))
                 [{_HAN}]\ ?(?!{_PII_WORD})[{_HAN}](?:\ ?(?!{_NAME_END})[{_HAN}]){{0,2}}
               | {_LATIN_NAME}))
  | (?P<self_named>(?:我是|本人是?)[\s:：]*
        (?P<self>(?!{_NOT_A_NAME}|{_SELF_ROLES})(?!(?:{_COMPOUNDS}|[{_HAN}])(?:{_TITLES}))
                 (?:{_COMPOUNDS}|[{"".join(sorted(SURNAMES))}])[{_HAN}]{{1,2}}(?<![{_SELF_WORD_ENDINGS}]))
        (?={_SELF_NAME_END}))
"""
_PII = re.compile(rf"(?=[{_PII_FIRST}])(?:{_PII_ALTERNATIVES})", re.VERBOSE)
# A name with no label before it, as 12345 operators write it: a surname and 1-2 more characters right before a
# reporting verb (王小明来电称, 李建国反映, 刘德华诉：, 经与孙立群沟通). Found from the verb backwards
# (:func:`_mask_bare_names`), so the scan costs one search for the verbs, not a try at every surname. A few words may
# stand between the name and its verb (王小明多次来电, 王小明先生来电称). 称 and 说 ending another word (声称, 名称,
# 据说) are no verb.
_BARE_FILLERS = ("先生", "女士", "本人", "多次", "再次", "又", "也", "曾", "今日", "今天", "昨日", "昨天", "近日", "等人", "夫妇",
                 "一家", "家属", "电话")
_BARE_VERBS = ("来电", "来访", "致电", "打来电话", "打电话", "反映", "反应", "投诉", "举报", "求助", "咨询", "报警", "诉(?=[:：称])",
               "(?<![声宣号简名职自堪对俗统爱尊昵谎扬戏])称", "(?<![据听小传虽再如解演游学常])说(?![明服])", "表示", "告知",
               "要求", "询问", "留言", "来信", "沟通", "联系", "协商", "核实", "确认")
# The lookahead lets the scan pass over every other character in one step (as :data:`_PII_FIRST` does); the
# lookbehinds keep only a verb with a surname 2 to 4 characters before it, the only ones a name can stand before.
_BARE_SURNAME_FIRST = "[" + "".join(sorted(SURNAMES | {c[0] for c in COMPOUND_SURNAMES})) + "]"
_BARE_VERB = re.compile(
    f"(?=[{''.join(sorted({w[0] for w in _BARE_FILLERS + _BARE_VERBS if w[0] not in '(?'} | {'称', '说'}))}])"
    f"(?:(?<={_BARE_SURNAME_FIRST}.)|(?<={_BARE_SURNAME_FIRST}..)|(?<={_BARE_SURNAME_FIRST}...))"
    f"(?:{'|'.join(_BARE_FILLERS)})?(?:{'|'.join(_BARE_VERBS)})")
# What may stand right before such a name: a sign, a space, the start (tested in code), or one of these words, which
# introduce a person (经与孙立群沟通, 据王小明反映, 邻居王小明也反映过) or end a date or time (11月3日王小明来电).
_BEFORE_BARE_NAME = re.compile(
    "(?:与|和|及|同|跟|据|向|让|请|对|给|经|系|(?<=[\\d一二三四五六七八九十今昨前近当次同该翌本])[日号]|(?<=[\\d一二三四五六七八九十])[时分]|邻居|隔壁|对门|楼上|楼下|住户|租户|业主|居民|村民|市民|来电人|"
    "网格员|工作人员|民警|其子|其女|其夫|其妻|儿子|女儿|丈夫|妻子|父亲|母亲|老伴|亲属|家属|朋友|同事|亲戚|租客|房客|另有|还有)$")
# Surnames that far more often are words introducing what follows (据了解, 与物业协商): no bare name starts with one.
# 经 and 于 are common surnames too (于海涛来电): only their everyday words are kept out (:data:`_BARE_NOT_FIRST_WORDS`).
_BARE_NOT_FIRST = frozenset("据与及同跟让请对给系和")
_BARE_NOT_FIRST_WORDS = frozenset({
    "经核", "经调", "经检", "经走", "经协", "经沟", "经电", "经查", "经过", "经现", "经上", "经多", "经了", "经反", "经审", "经研",
    "经询", "经联", "经确", "经工", "经社", "经网", "经街", "经物", "经办", "经营", "经理", "经济", "经常", "经实", "经初", "经再",
    "经入", "经派", "经回", "经相", "经有", "经区", "经市", "经单", "经承", "经处", "经排", "经督", "经勘", "经测",
    "于是", "于今", "于此", "于当", "于昨", "于本", "于上", "于下", "于次", "于近", "于前", "于该", "于同", "于每", "于明"})
# Names joined before one verb (张三和李四反映, 王小明、李建国投诉) are each masked.
_NAME_JOINERS = "和与及、跟同"
# Words in a name's shape (a surname, 1-2 more characters) that name no person: a role, a group, an organisation, kin, a
# time; nor does one ending in such a word (太和路居民咨询: 路居民), or ending like a place, an organisation or a role
# (:data:`_BARE_WORD_ENDINGS`).
_BARE_NOT_NAMES = frozenset({
    "公司", "公众", "公安", "公交", "公寓", "家人", "家长", "家里", "家中", "双方", "司机", "车主", "车辆", "房东", "房主", "房客",
    "房屋", "房子", "单位", "全体", "全家", "全部", "明天", "明日", "时间", "时常", "平时", "平台", "安监", "安保", "安全",
    "文明", "文化", "经理", "经办", "经营", "管理", "管委", "包工", "施工", "高层", "高空", "申请", "卫生", "水务", "水厂",
    "电力", "方面", "有关", "黄金", "白天", "孙子", "孙女", "岳父", "岳母", "师生", "游客", "路人", "通知", "居委", "关于",
    "应该", "应当", "能否", "成员", "代表", "于是", "何时", "同时", "同意", "常年", "信息", "金额", "钱款", "万元", "上述",
    # adverbs and verbs before a verb (明确要求, 强烈投诉, 经常反映, 马上联系, 公开表示)
    "明确", "强烈", "强调", "严格", "严肃", "严重", "全力", "全面", "马上", "经常", "常常", "曾经", "公开", "郑重", "随即",
    "随时", "当场", "当面", "终于", "连续", "连日", "连夜", "高度", "充分", "通过", "居然", "简单", "从未", "从来", "从不",
    "万一", "宁愿", "宁可", "后来", "相互", "尤其", "一向", "向来", "时时", "时刻", "共同", "及时",
    # everyday words of 12345 texts before a verb (方便联系, 周末联系, 顾客反映, 向上级反映, 单元长反映, 经调查核实,
    # 安装要求, 凌晨来电, 杭州来电, 华为来电)
    "调查", "检查", "走访", "协调", "调解", "查看", "查询", "电话", "核实", "沟通", "协商", "确认", "安装", "夏季",
    "冬季", "春节", "时段", "便时", "多次", "武汉", "沈阳", "邯郸", "包头", "柳州", "万达", "麦当劳", "肯德基",
    "方便", "周末", "周一", "周二", "周三", "周四", "周五", "周六", "周日", "周天", "安排", "顾客", "陆续", "单元长", "上级",
    "包括",
    *(word for word in GENERIC_CALLERS if len(word) >= 2)})
# Words that look like a full name but are far more often a time, a place or a company before a verb (凌晨来电,
# 宁波来电, 华为来电): none alone; the same characters after a surname are a given name (张高峰, 刘宁波, 陈安阳).
# Places in that shape (江北反映, 山东来电): provinces, regions and city districts written without their 区 or 省 (a place
# that keeps its 区/县/市/镇/街/路/村 ends like one: :data:`_BARE_WORD_ENDINGS`).
_PLACE_WORDS = frozenset({
    "江北", "江南", "江东", "江西", "山东", "山西", "广东", "广西", "云南", "关东", "关中",
    "黄浦", "徐汇", "杨浦", "浦东", "闵行", "松江", "金山", "东城", "丰台", "房山", "昌平", "平谷", "怀柔", "石景山",
    "越秀", "白云", "黄埔", "龙岗", "龙华", "罗湖", "江干", "上城", "下城", "萧山", "余杭", "富阳", "秦淮", "江宁", "高淳",
    "江阴", "江都", "江津", "巴南", "梁平", "荣昌", "武隆", "东丽", "武清", "宁河", "金牛", "武侯", "成华", "温江", "双流",
    "江岸", "江汉", "武昌", "洪山", "江夏", "蔡甸", "黄陂"})
_BARE_NOT_NAMES_WHOLE = frozenset({"凌晨", "夏天", "冬天", "春天", "秋天", "华为", "宁波", "洛阳", "贵阳", "南阳", "衡阳", "岳阳",
                                   "信阳", "安阳", "咸阳", "邵阳", "常德", *_PLACE_WORDS})
# Characters hardly ever in a name (周报的说明, 给从到去说, 曾多次, 方便时): a word holding one is none.
_NOT_IN_A_NAME = frozenset("的地得了么吗呢吧啊着过是在也都就还又或被把让给从到去说讲问称自已不没未无这那其该此每各个们我你他她它证")
_BARE_WORD_ENDINGS = ("们者员人局所站队部处科办厂店馆院校司会委区县市省镇乡村港口界庄湾坝寨屯堡沟桥营铺坡塘洼井府苑园路街巷楼"
                      "场业户主商组室团社行厅署屋栋号门道线车机头属岛方工婆管州")
# A surname and one of these (王总, 李工, 刘姐, 张母) is a form of address or kin: it tells only the surname.
_BARE_ONE_CHAR_FORMS = "总工姐哥叔婶姨伯爷奶婆嫂妈爸老某家氏父母夫妻子女"
_ENDS_IN_TITLE = re.compile(rf"(?:{_TITLES})$")
_ALL_HAN = re.compile(rf"[{_HAN}]+")
# Kin and roles that a name follows with no label and no verb (其母亲李秀英独居, 老人张桂兰行动不便, 租客冯晓东): a word
# starting with a surname right after one is a name of 2-3 characters (3-4 with a compound surname), unless it is an
# everyday word (老人和孩子, 邻居家, 孙子上学, 老人居住的房屋: :data:`_NOT_A_NAME`, :data:`_BARE_NOT_NAMES` and the words
# below). The roles of :data:`NAME_ROLES` (业主王建国) are found as labels already.
_KIN_WORDS = ("母亲", "父亲", "儿子", "女儿", "老人", "邻居", "丈夫", "妻子", "老伴", "孙子", "孙女", "外孙", "儿媳", "女婿",
              "媳妇", "老公", "老婆", "爱人", "哥哥", "姐姐", "弟弟", "妹妹", "爷爷", "奶奶", "外公", "外婆", "亲属", "家属",
              "租客", "房客", "前夫", "前妻", "其母", "其父", "其子", "其女", "其夫", "其妻")
_KIN_NAME = re.compile(f"(?=[{''.join(sorted({w[0] for w in _KIN_WORDS}))}])(?:{'|'.join(_KIN_WORDS)})"
                       f"(?=(?:{_COMPOUNDS})|{_BARE_SURNAME_FIRST})")
# Surnames that after kin are nearly always a word (邻居向物业反映, 邻居养狗, 老人空巢), and words after kin that start
# with a surname (老人居住, 孙子上学, 老人高龄, 邻居空调): neither starts a name there.
_KIN_NOT_FIRST = frozenset("向养空那") | _BARE_NOT_FIRST
_KIN_NOT_NAMES = frozenset({
    "居住", "居家", "常住", "上学", "上下", "上班", "上街", "高龄", "高血", "车祸", "养老", "安置", "安康", "单独", "单元", "明显",
    "双腿", "双眼", "双手", "田地", "强行", "房产", "钱财", "应急", "危房", "相关", "能力", "能够", "于家", "平日", "全身",
    "长期"}) | _BARE_NOT_NAMES | _BARE_NOT_FIRST_WORDS
_KIN_NOT_A_NAME = re.compile(f"(?:{_NOT_A_NAME})|(?:{_COMPOUNDS}|[{_HAN}])(?:{_TITLES})")
_KIN_NAME_END = re.compile(_NAME_END)
# The second pass (:func:`_mask_loose_numbers`): a number written in groups the patterns above do not expect
# (0571 8888 8888, 138/1234/5678, 1 3 8 1 2 3 4 5 6 7 8, 110105 1990 0307 1234, 622202 1234567890 123) or in
# Chinese numerals (一三八一二三四五六七八). Runs of digits with one or two separator characters between them,
# read in a copy where Chinese numerals are digits; what a run (or a stretch of its groups) is, is decided by
# its digits alone: 11 starting 13-19 a mobile, 15 or 18 with a birth date an ID number, 15-19 a bank card,
# 10-12 starting with an area code a landline. A date (2025-11-04 10:30) or an amount (1,234,567) is none of them.
_SPOKEN_DIGITS = {ord(c): ord(d) for c, d in zip("〇零一二三四五六七八九幺", "001234567891")}
_HAS_SPOKEN_DIGIT = re.compile("[" + "".join(chr(c) for c in _SPOKEN_DIGITS) + "]")
_LOOSE_SEPARATOR = r"[ \t/_\-–—，,、()]{1,2}"   # not the dot: decimals (120.123456) and dotted dates stay apart
_LOOSE_NUMBER = re.compile(rf"(?<![\d*])\d(?:(?:{_LOOSE_SEPARATOR})?\d){{6,}}(?:[Xx](?![A-Za-z]))?")
_LOOSE_GROUP = re.compile(r"\d+[Xx]?")
_BEFORE_LOCAL_NUMBER = re.compile(r"(?:电话|手机|座机|固话|联系方式|[Tt][Ee][Ll])(?:号码?)?[:：\s是为]*$")
_ID_DIGITS = re.compile(rf"[1-9]\d{{5}}(?:(?:18|19|20)\d{{2}}{_DATE}\d{{3}}[\dX]|\d{{2}}{_DATE}\d{{3}})")
_PLAIN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_FIELD_NOISE = re.compile(r"^(\d+)\.0+$")
_ID_SHAPE = re.compile(r"\d{17}[\dX]|\d{15}")
# Words a phone field may hold besides numbers: placeholders for a missing number, phone words, and the
# placeholders masking itself writes ([身份证号] for an ID number typed into the field).
PHONE_FIELD_WORDS = frozenset({"未知", "无", "不详", "匿名", "保密", "空号", "拒绝透露", "不愿透露", "未提供", "无号码",
                               "转", "分机", "手机", "电话", "座机", "固话", "ext", "Ext", "EXT", "tel", "Tel", "TEL",
                               *(p.strip("[]") for p in (ID_PLACEHOLDER, BANK_CARD_PLACEHOLDER, EMAIL_PLACEHOLDER))})
_WORDS = re.compile(r"[^\W\d_]+")   # runs of letters (Chinese or Latin), full-width ones included

_NUMERAL = "0-9一二三四五六七八九十百零〇两"
_ADDRESS_DETAIL_FIRST = rf"第{_NUMERAL}A-Za-z内\d#\-"   # the first character of every alternative (as _PII_FIRST)
_ADDRESS_DETAIL_ALTERNATIVES = rf"""
    第?[{_NUMERAL}]+\s*(?:号楼|栋|幢|座|单元|室|层|楼|号房|户|组|队)
  | (?<![A-Za-z])[A-Za-z]\s*(?:栋|幢|座|单元|区\d)
  | \d+\s*[-—/]\s*\d+(?!\d|\s*号)
  | (?<![\d路街道巷弄])\d+号[-—]?\d{{1,4}}(?!\d)
  | (?<=号)-?\d{{1,4}}(?!\d)
  | (?<=院)内
  | (?<=村)[{_NUMERAL}]+\s*号
  | \d*\#
"""
# A dwelling inside a compound written in free text (住金碧花园3栋2单元501室, B座1203, 3-2-501): the content
# column would otherwise be more precise than the address column, cut before such detail. A floor
# alone (3楼的灯坏了) names no household and stays; so do counts like 十户.
_DWELLING_UNIT = (r"(?:第?[0-9一二三四五六七八九十两]+\s*(?:号楼|栋|幢|单元)|[0-9]+\s*(?:室|号房|层|楼)"
                  r"|[一二三四五六七八九零〇]{3,4}\s*(?:室|号房))")
# A room number after a building, in digits or read out in Chinese numerals (十二栋五零二).
_ROOM = r"(?:[0-9]{3,4}(?![0-9])|[一二三四五六七八九零〇]{3,4}(?![一二三四五六七八九十零〇年月号届级]))"
# Numbers joined by dashes are a dwelling (3-2-501, 12-502, 12/502) unless a unit follows: 3-5-10天, 100-200元.
_NOT_A_QUANTITY = r"(?!\s*[天日月年元块米个次人岁%％号点分秒斤克吨度份件条张户家])"
_DWELLING = re.compile(rf"""(?=[第0-9一二三四五六七八九十两A-Za-z])(?:
    (?:(?<![A-Za-z])[A-Za-z]\s*(?:栋|幢|座|单元)\s*)?(?:{_DWELLING_UNIT}\s*[-—]?\s*)+{_ROOM}?
  | (?<![A-Za-z])[A-Za-z]\s*(?:栋|幢|座|单元)\s*{_ROOM}?
  | (?<![0-9-])[0-9]{{1,3}}-[0-9]{{1,3}}-[0-9]{{2,4}}(?![0-9-]){_NOT_A_QUANTITY}
  | (?<![0-9/.-])[0-9]{{1,3}}-[0-9]{{3,4}}(?![0-9/.-]){_NOT_A_QUANTITY}
  | (?<![0-9/.-])[0-9]{{1,2}}/[0-9]{{3,4}}(?![0-9/.-]){_NOT_A_QUANTITY}
)""", re.VERBOSE)
_DWELLING_WORD = re.compile("[栋幢座元室层楼\\-－—/]")   # every dwelling above has one of these
_FLOOR_ONLY = re.compile(r"(?:[0-9]+\s*[层楼]\s*)+")
DWELLING_PLACEHOLDER = "[楼栋]"
_ADDRESS_DETAIL = re.compile(rf"(?=[{_ADDRESS_DETAIL_FIRST}])(?:{_ADDRESS_DETAIL_ALTERNATIVES})", re.VERBOSE)
_ADDRESS_TAIL = " \t,，、;；:：-—#(（"


def _is_empty(value: object) -> bool:
    """None, NaN, NA, NaT, '' and whitespace-only strings."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_text(value: object) -> str:
    """Text of a value; integral floats lose their ``.0`` (a phone read as a number)."""
    if type(value) is str:   # the usual case, before the slower checks below
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _normalise(text: str) -> str:
    """Full-width digits, letters and a few signs to ASCII, keeping every position."""
    # translate() looks every character up in a dict: only worth it when one of them is there.
    return text.translate(_FULLWIDTH) if _HAS_FULLWIDTH.search(text) else text


def _substitute(text: str, pattern: re.Pattern[str], replace: Callable[[re.Match[str], str], str]) -> str:
    """``pattern.sub`` matched on the normalised text; ``replace(match, raw)`` gets the original span."""
    parts, position = [], 0
    for match in pattern.finditer(_normalise(text)):
        replacement = replace(match, text[match.start() : match.end()])
        parts += [text[position : match.start()], replacement]
        position = match.end()
    parts.append(text[position:])
    return "".join(parts)


def _keep_last4(digits: str) -> str:
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def _mask_match(match: re.Match[str], raw: str) -> str:
    kind = match.lastgroup
    if kind in ("email", "email_written"):
        return EMAIL_PLACEHOLDER
    if kind == "id_number":
        return ID_PLACEHOLDER
    if kind == "bank_card":
        return BANK_CARD_PLACEHOLDER
    if kind == "mobile":
        return f"{match['m1']}****{match['m3']}"
    if kind == "landline":
        area, local = match["a3"] or match["a4"], match["l8"] or match["l7"]
        if not area.startswith("0"):
            # After +86 the trunk 0 is dropped; without either, 10-11 bare digits are no landline.
            if not match["cc"]:
                return raw
            area = "0" + area
        return f"{area}-{_keep_last4(local)}"
    if kind == "short_phone":
        return raw[: match.start("local") - match.start()] + _keep_last4(match["local"])
    if kind == "account":   # a QQ number keeps its last 4 digits, as a phone does; a WeChat ID its first character
        start, account = match.start("acct") - match.start(), match["acct"]
        return raw[:start] + (_keep_last4(account) if account.isdigit() else mask_name(account))
    if kind in ("labelled_name", "self_named"):
        start = match.start("name" if kind == "labelled_name" else "self") - match.start()
        return raw[:start] + mask_name(raw[start:])
    if kind == "plate":
        serial = match["serial"]
        prefix = raw[0] + match["city"].upper()
        return prefix + "*" * (len(serial) - 2) + serial[-2:].upper()
    return raw


def _classify_digits(digits: str) -> str | None:
    """What a run of digits written loosely is masked as (see :data:`_LOOSE_NUMBER`), or None."""
    n = len(digits)
    if "X" in digits:
        return ID_PLACEHOLDER if n == 18 and _ID_DIGITS.fullmatch(digits) else None
    if n == 11 and digits[0] == "1" and digits[1] in "3456789":
        return f"{digits[:3]}****{digits[-4:]}"
    if n in (15, 18) and _ID_DIGITS.fullmatch(digits):
        return ID_PLACEHOLDER
    if 15 <= n <= 19:
        return BANK_CARD_PLACEHOLDER
    if 10 <= n <= 12 and digits[0] == "0" and (digits[1] != "1" or digits[:3] == "010"):
        area = digits[:3] if digits[1] in "12" else digits[:4]
        if 7 <= n - len(area) <= 8:
            return f"{area}-{_keep_last4(digits[len(area):])}"
    return None


def _mask_loose_number(match: re.Match[str], raw: str, before: str, phone_field: bool) -> str:
    """One run of :data:`_LOOSE_NUMBER`: as a whole, or the longest stretches of its groups that are a number of
    a kind (a date written before a mobile, 2025.11.04 138 1234 5678, leaves the mobile to be found)."""
    groups = [(g.start(), g.end(), g.group().upper()) for g in _LOOSE_GROUP.finditer(match.group())]
    separators = {match.group()[a[1]:b[0]] for a, b in zip(groups, groups[1:])}
    if separators <= {",", "，"} and len(groups[0][2]) <= 3 and all(len(g[2]) == 3 for g in groups[1:]):
        return raw   # an amount with thousands separators: 138,000,000
    # A date (2025-11-01, 2025/11/30) joins no number: 2025-11-01,2025-11-02 is two dates, not a bank card.
    dated = set()
    for i in range(len(groups) - 2):
        year, month, day = (g[2] for g in groups[i : i + 3])
        if len(year) == 4 and year[:2] in ("19", "20") and len(month) <= 2 and len(day) <= 2 and month.isdigit() \
                and day.isdigit() and 1 <= int(month) <= 12 and 1 <= int(day) <= 31:
            dated |= {i, i + 1, i + 2}
    whole = "".join(g[2] for g in groups)
    if phone_field and _classify_digits(whole) is None:
        return _keep_last4(whole)
    if 7 <= len(whole) <= 8 and _BEFORE_LOCAL_NUMBER.search(before):   # 座机 8888 8888
        return _keep_last4(whole)
    parts, position, i = [], 0, 0
    while i < len(groups):
        for j in range(len(groups), i, -1):
            if dated.intersection(range(i, j)):
                continue
            masked = _classify_digits("".join(g[2] for g in groups[i:j]))
            if masked is not None:
                parts += [raw[position : groups[i][0]], masked]
                position, i = groups[j - 1][1], j
                break
        else:
            i += 1
    parts.append(raw[position:])
    return "".join(parts)


def _mask_loose_numbers(text: str, phone_field: bool = False) -> str:
    """The second pass over text the patterns have masked: numbers written loosely (:data:`_LOOSE_NUMBER`). In a
    phone field any such run of 7 digits or more keeps only its last 4."""
    digits = _normalise(text)
    if _HAS_SPOKEN_DIGIT.search(digits):
        digits = digits.translate(_SPOKEN_DIGITS)
    parts, position = [], 0
    for match in _LOOSE_NUMBER.finditer(digits):
        start = match.start()
        before = digits[max(start - 12, 0) : start]
        masked = _mask_loose_number(match, text[start : match.end()], before, phone_field)
        if before.endswith("(") and ")" in match.group() and ")" not in _normalise(masked):
            start -= 1   # (0571) 8888 8888: the area code's bracket goes with the one it closed
        parts += [text[position : start], masked]
        position = match.end()
    if not parts:
        return text
    parts.append(text[position:])
    return "".join(parts)


def mask_phone(value):
    """Mask a phone field: ``'+86 138-1234-5678'`` -> ``'138****5678'``, ``'0755-12345678'`` ->
    ``'0755-****5678'``, ``'3123456'`` -> ``'***3456'``.

    Several numbers in one cell are each masked; any other run of 7 or more digits (as long as a
    local landline) keeps only its last 4, while shorter ones (110, 12345, an extension) are public
    service numbers and stay. Words are not a phone: a name typed into the field (or columns swapped
    in the export: ``'王建国'``, ``'13812345678（张先生）'``) keeps its first character, as a name does;
    only the usual placeholders and phone words (未知, 无, 保密, 转, 分机, ...) stay. Empty values come
    back unchanged.
    """
    if _is_empty(value):
        return value
    text = _as_text(value).strip()
    if _PLAIN_MOBILE.fullmatch(text):   # the usual cell, masked as the general path below would
        return f"{text[:3]}****{text[-4:]}"
    noise = _PHONE_FIELD_NOISE.match(_normalise(text))
    if noise:
        text = text[: len(noise.group(1))]
    text = _mask_loose_numbers(_substitute(text, _PII, _mask_match), phone_field=True)
    return _WORDS.sub(lambda match: match.group() if match.group() in PHONE_FIELD_WORDS else mask_name(match.group()), text)


def mask_id_number(value, show_last4: bool = False):
    """Mask an ID number completely: every character becomes ``*`` (spaces and dashes dropped).

    With ``show_last4`` (staff views) a well-formed number (18 characters ending in a digit or X,
    or 15 digits) keeps its last 4, X in upper case; anything else is still fully masked.
    """
    if _is_empty(value):
        return value
    compact = re.sub(r"[\s-]", "", _normalise(_as_text(value))).upper()
    if show_last4 and _ID_SHAPE.fullmatch(compact):
        return _keep_last4(compact)
    return "*" * len(compact)


def mask_name(value):
    """Keep the first character only: ``'张三'`` -> ``'张*'``, ``'欧阳娜娜'`` -> ``'欧***'``, ``'王'`` -> ``'*'``.
    A word that is no name (:data:`GENERIC_CALLERS`: ``'匿名'``, ``'市民'``) stays as it is: ``'匿*'`` read as a surname."""
    if _is_empty(value):
        return value
    name = _as_text(value).strip()
    if name in GENERIC_CALLERS:
        return name
    if len(name) == 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)


def mask_address(value, caller_name=None):
    """Cut an address before building, unit, room or floor detail, then scrub what is left.

    ``'东风路88号金碧花园3栋2单元501室'`` -> ``'东风路88号金碧花园'``; ``'东风路88号'`` stays, and so does a
    road's house number before a floor or room (``'青年路194号5楼'`` -> ``'青年路194号'``); a village's
    ``'马场村5组17号'`` or ``'马场村17号'`` (村民小组, house number: one household) -> ``'马场村'``. An address
    that is nothing but detail becomes ``'[地址]'``. ``caller_name`` is masked in what is left, as in
    :func:`scrub_text` (``'张三家，东风路88号'`` -> ``'张*家，东风路88号'``).
    """
    if _is_empty(value):
        return value
    text = _as_text(value).strip()
    detail = _ADDRESS_DETAIL.search(_normalise(text))
    if detail:
        text = text[: detail.start()].rstrip(_ADDRESS_TAIL)
        if not text:
            return ADDRESS_PLACEHOLDER
    return scrub_text(text, caller_name=caller_name)


def _mask_dwelling(match: re.Match[str], raw: str) -> str:
    if _FLOOR_ONLY.fullmatch(match.group().strip()):
        return raw
    return DWELLING_PLACEHOLDER + raw[len(raw.rstrip()):]   # the spaces after it stay


_CALLER_NOTE = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
_CALLER_PARTS = re.compile(r"[/／、,，;；\s]+")
_CALLER_TITLE = re.compile(rf"(?:{_TITLES})$")
# How a place or an organisation's name ends (东风社区, 金碧花园, 城管局): a part of the 来电人 cell that does is no name.
_PLACE_ENDINGS = ("社区|小区|街道|村|镇|乡|委会|物业|公司|网格|网格员|花园|大厦|广场|中心|医院|学校|楼|苑|园|路|街|巷|局|所|站|"
                  "队|部|处|科|办|厂|店|馆|院")
_PERSON_NAME = re.compile(rf"(?!.*(?:{_PLACE_ENDINGS})$)(?:(?:{_COMPOUNDS})[{_HAN}]{{1,2}}|[{''.join(sorted(SURNAMES))}][{_HAN}]{{1,3}})")


# A unit column (承办单位, 物业企业) names an organisation; a person's name typed after it (城管科张伟, 城管科（张伟）) or
# before it with a space (张伟 城管科) is the contact, shown in every ranking unless masked. How a unit ends:
UNIT_ENDINGS = _PLACE_ENDINGS + "|组|室|会|委|厅|署|司|大队|中队|支队|分局|分公司"
_UNIT_END = re.compile(f"(?:{UNIT_ENDINGS})$")
_UNIT_SEPARATORS = " \t\u3000:：、/,，-—（(【["
_UNIT_LEADING_NAME = re.compile(rf"\s*([{_HAN}]{{2,4}})[\s\u3000、/,，:：\-—]+(\S.*)$")
# A surname and a title (张科长, 李队长, 王主任) tells only the surname: it stays, as after a label.
_UNIT_TITLE = re.compile(rf"(?:{_TITLES})$|[长员]$")


def _is_person_in_unit(word: str) -> bool:
    """Whether ``word`` next to a unit is a person's name: a surname (compound ones included) and 1-2 more Chinese
    characters, not a place or an organisation (高新所, 房管科, 江北), a title (张科长) or an everyday word."""
    surname = 2 if word[:2] in COMPOUND_SURNAMES else 1
    return (surname < len(word) <= surname + 2 and _ALL_HAN.fullmatch(word) is not None
            and (surname == 2 or word[0] in SURNAMES) and word[-1] not in _BARE_WORD_ENDINGS
            and word not in _BARE_NOT_NAMES and word not in _BARE_NOT_NAMES_WHOLE and word[:2] not in _BARE_NOT_NAMES
            and _NOT_IN_A_NAME.isdisjoint(word) and not _UNIT_TITLE.search(word))


def mask_name_in_unit(value):
    """A unit's name (承办单位, 物业企业) with a person's name written after it or before it masked:
    ``'城管科张伟'`` -> ``'城管科张*'``, ``'区城管局（张建国）'`` -> ``'区城管局（张**）'``, ``'张伟 城管科'`` ->
    ``'张* 城管科'``; then scrubbed as free text (``'区住建局（联系人：李四）'`` -> ``'区住建局（联系人：李*）'``). The unit
    must end like one (:data:`UNIT_ENDINGS`: 局, 科, 所, 中心, 公司 ...), so 住建局房管科, 市场监管局高新所 and
    张家港市城管局 stay; a name before the unit needs a space or a sign between them."""
    if _is_empty(value):
        return value
    text = scrub_text(value)
    core = text.rstrip()
    closing = core[-1] in "）)】]"
    if closing:
        core = core[:-1]
    for length in (2, 3, 4):
        name, unit = core[-length:], core[:-length]
        if len(unit) >= 2 and _UNIT_END.search(unit.rstrip(_UNIT_SEPARATORS)) and _is_person_in_unit(name):
            return unit + mask_name(name) + text[len(core):]
    leading = _UNIT_LEADING_NAME.match(text)
    if leading and _UNIT_END.search(leading.group(2).rstrip("）)】] \t")) and _is_person_in_unit(leading.group(1)):
        return text[: leading.start(1)] + mask_name(leading.group(1)) + text[leading.end(1) :]
    return text


@functools.lru_cache(maxsize=4096)
def caller_names(caller_name: str) -> tuple[str, ...]:
    """The forms the caller's name may take in free text, longest first: the 来电人 cell as it is, without a note
    in brackets (``欧阳娜娜（业主）``), each of several names (``张三/李四``), without a form of address after it
    (``张三先生`` -> ``张三``) or the spaces inside it (``张 三``). Forms shorter than 2 characters, and words that are
    no name (:data:`GENERIC_CALLERS`), are left out."""
    name = caller_name.strip()
    core = _CALLER_NOTE.sub("", name).strip()
    parts = {core, re.sub(r"\s+", "", core), *_CALLER_PARTS.split(core)}
    # A form cut from the cell counts only when it has a name's shape (a surname and 1-3 more characters): the
    # cell 西湖社区 张三 must not make 西湖社区 a name to hide in every place name and text.
    forms = {form for part in parts for form in (part, _CALLER_TITLE.sub("", part)) if _PERSON_NAME.fullmatch(form)}
    return tuple(sorted((f for f in forms | {name} if len(f) >= 2 and f not in GENERIC_CALLERS), key=len, reverse=True))


def _mask_caller(text: str, caller_name) -> str:
    """``text`` with the caller's name (2 characters or more, in any form of :func:`caller_names`) masked
    wherever it occurs, and, when the name starts with a compound surname, that surname before a form of address
    (``欧阳先生``): a masked name keeps one character, so ``欧阳先生`` beside ``欧***`` would tell more than the
    name column does."""
    if _is_empty(caller_name):
        return text
    name = _as_text(caller_name).strip()
    if len(name) < 2 or name in GENERIC_CALLERS:
        return text
    for form in caller_names(name):
        if form in text:
            text = text.replace(form, mask_name(form))
    if name[:2] in COMPOUND_SURNAMES:
        text = re.sub(re.escape(name[:2]) + f"(?={_FORM_OF_ADDRESS})", name[0] + "*", text)
    return text


def _bare_name_start(text: str, end: int) -> int | None:
    """Where a name with no label that ends at ``end`` (right before its verb) starts, or None. The shortest that fits
    wins (张三和李四: 李四, after 和): a surname (compound or single) and 1-2 more characters, all Chinese, preceded by
    the start, a character that is no Chinese one, or a word of :data:`_BEFORE_BARE_NAME`; not a word of
    :data:`_BARE_NOT_NAMES`, nor ending like a place or a role, nor a surname with a form of address (王先生)."""
    if end < 2 or text[end - 1] in _BARE_WORD_ENDINGS or text[end - 1] in _NOT_IN_A_NAME:
        return None   # the one check common to every length, first: most verbs follow no name
    for length in (2, 3, 4):
        start = end - length
        if start < 0:
            return None
        word = text[start:end]
        if word[:2] in COMPOUND_SURNAMES:
            if length == 2:
                continue
        elif word[0] not in SURNAMES or word[0] in _BARE_NOT_FIRST or word[:2] in _BARE_NOT_FIRST_WORDS or length == 4:
            continue
        if word in _BARE_NOT_NAMES_WHOLE:   # a word that is also a given name: only alone (张高峰来电 is a name)
            continue
        if (not _ALL_HAN.fullmatch(word) or word in _BARE_NOT_NAMES or word[-2:] in _BARE_NOT_NAMES
                or not _NOT_IN_A_NAME.isdisjoint(word[1:])
                or (length == 2 and word[1] in _BARE_ONE_CHAR_FORMS) or _ENDS_IN_TITLE.search(word)):
            continue
        if start == 0 or not _ALL_HAN.match(text[start - 1]) or _BEFORE_BARE_NAME.search(text, max(start - 4, 0), start):
            return start
    return None


def _name_after_kin(text: str, start: int) -> str | None:
    """The name that starts at ``start``, right after a word of :data:`_KIN_WORDS`, or None: a surname and 1 more
    Chinese character, and a third unless it ends a name (:data:`_NAME_END`: 李秀英独居, 刘洋拒不配合) or starts an
    everyday word (赵军经常). An everyday word (:data:`_KIN_NOT_NAMES` ...) or a surname with a form of address
    (王阿姨, 张某) is none."""
    surname = 2 if text[start : start + 2] in COMPOUND_SURNAMES else 1
    end = start + surname + 1
    word = text[start:end]
    if (len(word) < end - start or (surname == 1 and word[0] not in SURNAMES) or not _ALL_HAN.fullmatch(word) or text[start] in _KIN_NOT_FIRST
            or word[-2:] in _KIN_NOT_NAMES or _KIN_NOT_A_NAME.match(text, start)
            or not _NOT_IN_A_NAME.isdisjoint(word) or word[-1] in _BARE_WORD_ENDINGS or word[-1] in _BARE_ONE_CHAR_FORMS):
        return None
    third = text[end : end + 1]
    if (third and _ALL_HAN.fullmatch(third) and third not in _NOT_IN_A_NAME and not _KIN_NAME_END.match(text, end)
            and text[end : end + 2] not in _KIN_NOT_NAMES):
        word += third
    return word


def _mask_bare_names(text: str) -> str:
    """``text`` with every name that no label introduces, written before a reporting verb (:data:`_BARE_VERB`),
    masked as a name: ``王小明来电称`` -> ``王**来电称``; names joined by 和, 与, 、 before one verb are each masked.
    A name found so is masked wherever else it occurs in the text (其邻居刘建华私搭乱建，刘建华称: both)."""
    names = set()
    for verb in _BARE_VERB.finditer(text):
        end = verb.start()
        while (start := _bare_name_start(text, end)) is not None:
            names.add(text[start:end])
            if start < 2 or text[start - 1] not in _NAME_JOINERS:
                break
            end = start - 1
    for kin in _KIN_NAME.finditer(text):
        if (name := _name_after_kin(text, kin.end())) is not None:
            names.add(name)
    # Everywhere in the text (邻居王伟私搭乱建，王伟称: both): a name shown once is shown. A word taken for a name is
    # masked all through too, which is why the guards above list the everyday words that look like names.
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return text


def scrub_text(text, caller_name=None, max_len: int | None = None, dwellings: bool = True):
    """Mask every piece of personal data in free text, then cut it to ``max_len`` characters.

    Phones become ``138****5678`` / ``0755-****5678``, ID numbers ``[身份证号]``, bank cards
    ``[银行卡号]``, e-mails ``[邮箱]``, plates ``云D***45``, a dwelling inside a compound
    (``3栋2单元501室``, ``B座1203``, ``3-2-501``) ``[楼栋]``, a name after a label (``联系人：李明`` ->
    ``联系人：李*``) or before a reporting verb (``王小明来电称`` -> ``王**来电称``), and every occurrence of ``caller_name`` (when it has 2 characters or more) its
    masked form. The cut happens after masking, so it can never expose half a number; the result,
    ``…`` included, is at most ``max_len`` characters. ``dwellings=False`` leaves numbers joined by dashes alone
    (a mistyped date, 26-11-01, shown in a message about a time column, is no flat).
    """
    if max_len is not None and max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")
    if _is_empty(text):
        return text
    result = _mask_caller(_as_text(text), caller_name)
    result = _mask_loose_numbers(_mask_bare_names(_substitute(result, _PII, _mask_match)))
    if dwellings and _DWELLING_WORD.search(result):   # most texts have none: the scan for where one starts costs more
        result = _substitute(result, _DWELLING, _mask_dwelling)
    if max_len is not None and len(result) > max_len:
        result = result[: max_len - 1] + ELLIPSIS
    return result


def scrub_number(value, caller_name=None):
    """A value of a number or code column (a score, a count, a coordinate, a ticket number) as it may be
    shown in an error message or a rejects file: when the whole value is a mobile or an ID number
    (``13987654321``, ``110105199003071234``, with separators or Excel's ``.0``) it is masked as in free
    text; anything else comes back unchanged, so a mistyped score or code stays readable to be fixed.

    Free-text scrubbing would also hide a 16-19 digit ticket number as a bank card, hence this narrower
    rule. An ID-shaped ticket number (region code, date, serial) is hidden too: the row number finds it. So is a
    whole value that is a phone written in groups (0571 8888 8888), and the caller's name (``caller_name``, as in
    :func:`scrub_text`) wherever it occurs.
    """
    if _is_empty(value):
        return value
    text = _as_text(value)
    if caller_name is not None and (masked := _mask_caller(text, caller_name)) != text:
        return scrub_number(masked)
    normalised = _normalise(text).strip()
    noise = _PHONE_FIELD_NOISE.match(normalised)
    match = _PII.fullmatch(noise.group(1) if noise else normalised)
    if match and match.lastgroup in ("mobile", "id_number"):
        return scrub_text(text)
    loose = _LOOSE_NUMBER.fullmatch(normalised.translate(_SPOKEN_DIGITS))
    if loose and _classify_digits("".join(g.upper() for g in _LOOSE_GROUP.findall(loose.group()))) not in (
            None, BANK_CARD_PLACEHOLDER):
        return scrub_text(text)
    return value


def mask_value(field: str, value, *, caller_name=None):
    """Mask ``value`` by its canonical field name; fields not in ``PERSONAL_FIELDS`` pass unchanged.

    ``caller_name`` is used only for ``content`` and ``address``, so the caller's name is masked inside them.
    """
    if field == "caller_name":
        return mask_name(value)
    if field == "caller_phone":
        return mask_phone(value)
    if field == "address":
        return mask_address(value, caller_name=caller_name)
    if field == "content":
        return scrub_text(value, caller_name=caller_name)
    if field == "id_number":
        return mask_id_number(value)
    return value


def mask_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every column named after a personal field masked.

    ``content`` and ``address`` are masked with the same row's unmasked ``caller_name`` when that column
    exists. Other columns, the index and the column order are untouched; ``df`` itself is not modified.
    """
    out = df.copy()
    for column in df.columns:
        if column not in PERSONAL_FIELDS:
            continue
        if column in ("content", "address") and "caller_name" in df.columns:
            masked = [mask_value(column, text, caller_name=name) for text, name in zip(df[column], df["caller_name"])]
        else:
            masked = [mask_value(column, value) for value in df[column]]
        out[column] = pd.Series(masked, index=df.index)
    return out


def small_count(n, threshold: int = 3):
    """A count safe for a public screen: ``0`` stays ``0``, 1 to ``threshold - 1`` become ``'<3'``.

    Counts below grid level that small could point at one household (kiosk rule). Counts at or
    above the threshold, and empty values, come back unchanged.
    """
    if _is_empty(n):
        return n
    if n < 0:
        raise ValueError(f"a count cannot be negative, got {n}")
    if 0 < n < threshold:
        return f"<{threshold}"
    return n
