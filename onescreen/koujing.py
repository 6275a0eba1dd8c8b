"""The definitions (口径) of every number the product shows, written once, in Chinese.

``KOUJING[metric]`` is the text to show next to the number (tooltip or legend); ``LABELS[metric]`` its
short name. ``koujing(metric, rules)`` appends the rule values in force (``RULE_KEYS``), so the text
says "24 小时" when the rules say 24. These texts describe what ``etl/sql/marts/*.sql`` computes:
change one, change the other.
"""

from __future__ import annotations

from onescreen.rules import Rules

LABELS: dict[str, str] = {
    "as_of": "数据截至",
    "ticket_count": "受理量",
    "response_rate": "响应率",
    "resolution_rate": "解决率",
    "satisfaction_rate": "满意率",
    "on_time_rate": "按期办结率",
    "closure_rate": "办结率",
    "composite_score": "综合得分",
    "overdue_count": "超期",
    "overdue_backlog": "超期在办",
    "near_deadline_count": "临期",
    "avg_handling_workdays": "平均办理时长",
    "handling_time_distribution": "办理时长分布",
    "property_complaint_count": "物业投诉量",
    "whistle_count": "吹哨报到",
    "consultation_count": "联合会商",
    "escalation_share": "办结层级占比",
    "due_at": "办理时限",
    "light": "网格亮灯",
    "company_score": "物业企业总分",
    "complaints_per_1k_households": "每千户投诉量",
    "red_black_list": "物业红黑榜",
    "category_mix": "诉求分类构成",
    "change": "环比/同比",
    "date_range": "日期区间",
    "ticket_masking": "个人信息脱敏",
    "rules_in_force": "现行规则",
    "tickets_per_1k_households": "每千户工单量",
    "ticket_density": "工单点位密度",
    "category_street_matrix": "分类×街道",
    "weekday_hour": "星期×时段",
    "recurring_problems": "高频问题（类诉齐办）",
    "repeat_requests": "重复诉求",
    "repeat_callers": "重复来电",
    "proactive_share": "未诉先办",
}

# Why a period's 解决率 and 满意率 (and the 综合得分 built on them) are not final when it ends: callbacks come after
# closure (demo: within 7 days for 99.99%), and tickets close up to weeks after the period.
CALLBACK_SENTENCE = ("回访未完：一个时段受理的工单中，仍在办理或办结不满回访期而尚无回访结果的（只计有回访的来源，"
                     "网格员上报等从无回访的来源不计）超过受理量的 1% 时，"
                     "该时段的解决率、满意率和综合得分还会随回访到来而变化，照常显示但标“回访未完”，其变化暂不评判。")

KOUJING: dict[str, str] = {
    "as_of": "已导入工单中最新的事件时间（受理、派单、签收、办结、回访中最晚者；办理时限不算事件），"
             "不是当前钟表时间。时间线异常的工单只取其受理时间。超期、临期、响应是否到期都以此刻为准。",
    "ticket_count": "统计周期内受理（来电/上报）的工单数，含各来源渠道。工单归属于其受理时间所在的周期"
                    "（日、周一起始的周、自然月）；状态（是否办结、超期等）为数据截至时的状态。"
                    "已撤销（撤销、作废）的工单确曾受理，计入受理量，但不计入任何办理数字（未办结、超期、临期、"
                    "各率、办理时长、亮灯、物业投诉），在工单明细“全部”中可查。",
    "response_rate": "响应率 = 在响应时限内签收的工单数 ÷（已签收的工单数 + 未签收但响应时限已到的工单数）。"
                     "响应时限按自然小时，从派单时间起算，无派单时间的从受理时间起算。"
                     "从不提供签收时间的来源渠道（如视频巡查）整体不计入本率，不算作超时。",
    "resolution_rate": "解决率 = 回访表示“已解决”的工单数 ÷ 有回访结果（是否解决）的工单数。"
                       "这是群众的评价；与承办单位自报的办结率不是一回事。未回访的工单不计入。" + CALLBACK_SENTENCE,
    "satisfaction_rate": "满意率 =（满意 + 基本满意 × 折算权重）÷ 有满意度评价（满意、基本满意、不满意）"
                         "的工单数。未评价的工单不计入。" + CALLBACK_SENTENCE,
    "on_time_rate": "按期办结率 = 按期办结数 ÷（按期办结数 + 逾期办结数 + 未办结且已超期数）。"
                    "未办结、尚在时限内的工单和已退单、已撤销的工单不计入分母。办结时间不晚于办理时限即为按期。"
                    "重办的工单按未办结计（第一次的办结时间不算办结）。",
    "closure_rate": "办结率 = 已办结数 ÷（已办结数 + 未办结且已超期数），即已办结工单占“已办结或已到期”"
                    "工单的比例（已退单、已撤销的不计；重办的按未办结计）。这是承办单位的办结情况，不是解决率。",
    "composite_score": "综合得分 = Σ（权重 × 率）÷ Σ（有数据的率的权重），率为响应率、解决率、满意率"
                       "（0-100）。某率没有分母时不参与计算，其余按权重归一。任一参与计算的率分母小于"
                       "最小分母的单位照常显示，但不参与排名。同一层级按同样的率排名：其他参与排名的单位有某率"
                       "而本单位没有（如网格员上报、视频巡查没有回访，无解决率、满意率）时，本单位照常显示，"
                       "不参与排名。" + CALLBACK_SENTENCE,
    "overdue_count": "超期 = 数据截至时未办结且已过办理时限的工单数（按受理周期归属），含重办（重新交办）和"
                     "待派单（从未派出：时限从受理起算，群众同样在等）的工单。已退单（承办单位退回、等待重新派单，"
                     "原时限随退单失效，重新派单后重新起算）和已撤销的工单不计超期、临期。",
    "overdue_backlog": "超期在办 = 数据截至时仍未办结且已过办理时限的全部工单，不论何时受理（大屏“超期在办”）；"
                       "“其中本期受理”为本期受理的部分。已退单、已撤销的工单不计入；重办、待派单的计入。",
    "near_deadline_count": "临期 = 数据截至时未办结、尚未超期、距办理时限不超过临期窗口（工作日，按工作日时钟计）"
                           "的工单数，含重办、待派单的工单。已退单（等待重新派单，原时限已失效）和已撤销的工单不计超期、临期。",
    "avg_handling_workdays": "办理时长 = 从受理到办结的工作日数（小数）。工作日时钟：每个工作日计 24 小时，"
                             "法定节假日和周末不走时，调休上班日照常计入；在非工作日受理或办结的，按其后第一个"
                             "工作日零点计。平均值只计已办结工单（重办的按未办结、已撤销的都不计），时间线异常"
                             "（如办结早于受理）的工单不计入时长统计。",
    "handling_time_distribution": "已办结工单按办理时长（工作日，口径同平均办理时长）分档："
                                  "不足 1、1-2、2-3、3-5、5-10、10-15、15 个工作日及以上（含下限不含上限）。"
                                  "时间线异常的工单不计入。",
    "property_complaint_count": "物业投诉量 = 受理的、一级分类属于物业投诉分类、诉求类型属于物业投诉计入的诉求类型"
                                "（没有诉求类型的也计入）的工单数；已撤销的工单不计。",
    "whistle_count": "吹哨报到工单数（标记为吹哨的工单），及其中已办结的件数。",
    "consultation_count": "联合会商工单数（职责不清、经联合会商明确承办的工单，导出“是否会商”为是），及其中已办结的件数。",
    "escalation_share": "办结层级占比 = 在网格、社区、街道、区各级办结的工单数 ÷ 注明办结层级的已办结工单数"
                        "（小事不出网格、大事不出社区）。",
    "due_at": "办理时限：导出文件有办理时限的用文件中的（写小时数的，如 24小时，为受理时刻起 N 个自然小时，"
              "夜间、周末、节假日都计）；没有的按诉求类型的默认时限（工作日）推算："
              "从受理时刻起在工作日时钟上走满 N 个工作日，即第 N 个工作日的同一时刻；"
              "非工作日受理的，为其后第 N 个工作日 24:00。节假日不计，调休上班日计入。",
    "light": "网格亮灯按该网格在统计周期内受理的工单计：本期没有已到期、已办结或临期的工单为灰灯；"
             "按期办结率低于红灯阈值（已到期或已办结的工单不少于红灯最少件数时）或超期件数达到红灯件数为红灯；"
             "按期办结率低于黄灯阈值（件数不足时低于红灯阈值也只判黄灯）或有任何超期、"
             "临期工单为黄灯；其余为绿灯。连续红灯数为截至本周期连续亮红灯的周期数，连续黄灯数同样数连续亮黄灯的周期数。",
    "company_score": "物业企业月度总分 = 考核权重 × 考核得分 + 投诉权重 × 投诉得分。考核得分为其各小区当月考核"
                     "平均分的平均；投诉得分 = max(0, 100 − 每千户投诉扣分 × 每千户投诉量)。"
                     "管理户数或当月考核次数不足的企业照常显示，但不参与排名。",
    "complaints_per_1k_households": "每千户投诉量 = 当月在该企业管理小区发生的物业投诉数 × 1000 ÷ 管理户数。",
    "red_black_list": "有资格企业 n 家时，红榜为总分最高的 min(最多名额, ⌊n ÷ 除数⌋) 家，黑榜为最低的同样多家；"
                      "同分时每千户投诉量少者在前，再按企业名称。名次变化 = 上月名次 − 本月名次（正数为上升）；"
                      "连续上黑榜月数截至本月计。",
    "category_mix": "按一级分类统计本周期与上一周期受理的工单数及占比，可按街道、社区、网格筛选。",
    "change": "环比 = 本期 − 上期（周期类型相同的前一期）；同比 = 本期 − 去年同期（周为 52 周前）。"
              "尚未结束的周、月（工单只到 12 月 10 日）与上期同期比（11 月 1 日至 10 日，写“较上月同期”“较上周同期”），"
              "不与上期整期比；最后一天只比到同一时刻（工单只到 11:59 时，上期那一天也只到 11:59）。按日看最后一天"
              "（工单仍在进来）时与前一日的同一时刻之前比（“较前一日同期”）。率的变化为百分点，件数另给变化百分比。",
    "date_range": "自定义日期区间：受理日期在起止日期之间（含两端）的工单。件数和各率的分子、分母由日汇总逐日相加，"
                  "率用相加后的分子 ÷ 分母重新计算，综合得分按生成指标时的权重计算，排名只在各率分母都不小于最小分母的"
                  "单位之间进行；办结、超期等状态仍为数据截至时的状态。环比为紧挨在前、天数相同的区间，同比为去年同一"
                  "日期区间。网格亮灯和物业红黑榜按周期评定，不能按自定义区间计算。",
    "ticket_masking": "工单明细中的个人信息在服务器端脱敏后才发送到浏览器：姓名只留第一个字（张*），"
                      "手机号留前 3 位和后 4 位（138****5678），座机留区号和后 4 位，地址只到门牌号或小区"
                      "（不含楼栋、单元、层、室；农村地址不含村民小组和门牌），诉求内容去掉电话、证件号、"
                      "银行卡号、邮箱、车牌、QQ 号、微信号、楼栋单元门牌（写作[楼栋]）和来电人姓名后截取前 50 个字；"
                      "内容中写在“联系人”“业主”“投诉人”“我叫”等之后的其他人姓名同样只留第一个字（联系人：李*，拼音或外文名"
                      "只留首字母），"
                      "没有这类词引出的其他人姓名无法可靠识别，不会去掉。下载文件与屏幕上相同。",
    "rules_in_force": "图上的颜色、榜单和阈值按生成指标时的规则计算（mart_meta）；修改 config/rules.toml 后，"
                      "需重新生成指标（导入数据或 python -m etl demo）才会生效。",
    "tickets_per_1k_households": "每千户工单量 = 统计周期内受理、落在该网格的工单数 × 1000 ÷ 网格户数"
                                 "（dim_grids.households）。户数为空或为 0 的网格不计算（灰色）；未落格的工单"
                                 "不计入任何网格。按所选来源、分类筛选。",
    "ticket_density": "有经纬度的工单按约 200 米见方的格子汇总后的点位件数（统计周期内受理，按所选区域、来源、"
                      "分类筛选）；没有经纬度的工单不上图，另计件数。",
    "category_street_matrix": "统计周期内受理的工单按一级分类和所在街道交叉计数；未落到街道的工单计入“街道不明”（与三率分析同名）。",
    "weekday_hour": "统计周期内受理的工单按受理时间的星期（周一至周日）和小时（0-23 时）计数。",
    "recurring_problems": "同一小区（地址识别出的小区）或同一地址（只到门牌号或小区，不含楼栋、单元、层、室）、同一一级"
                          "分类在统计周期内受理不少于最少件数的，列为高频问题，按本期件数排序；上期为前一个同类"
                          "周期，变化 = 本期 − 上期。既无小区也无地址的工单和已撤销的工单不计入。",
    "repeat_requests": "重复诉求 = 来电号码相同、一级分类相同，受理日期距该来电人上一次同类诉求不超过规定天数（自然日）、且晚于"
                       "上一次的群众诉求工单；占比 = 重复诉求件数 ÷ 同期受理的群众诉求数。群众诉求不含主动发现渠道（如网格员上报、"
                       "视频巡查：号码是上报人的）的工单。号码去掉空格、横线、点和括号（含全角），全角数字改为半角，去掉开头的 +86、"
                       "0086（13 位以 86 开头的去掉 86）后比较；整理后不是 7-12 位数字的（如被 Excel 改成 1.38E+10、打了星号、一格"
                       "两个号码、带分机）和没有号码、没有一级分类的工单不算；同一座机带不带区号算两个号码。已撤销的工单不是诉求："
                       "既不算重复诉求，也不算作后来来电所追溯的上一次诉求（但仍计入受理量，即占比的分母）。工单归属其受理时间所在的"
                       "周期，上一次来电可以在周期之前，所以数据开始后的头一段时间偏少。",
    "repeat_callers": "同一来电人、同一一级分类在统计周期内的重复诉求件数；来电人只以编号区分（每次重建汇总表重新编号，不同"
                      "日期的报告之间编号不对应），不显示姓名和号码。“原诉求”是本期第一件重复诉求所追溯的上一件工单（可在本期之前），"
                      "“最近”是本期最后一件；所在网格按最近一件。",
    "proactive_share": "未诉先办（主动发现占比）= 来源为规定的主动发现渠道（如网格员上报、视频巡查）的工单数 ÷ "
                       "统计周期内受理的全部工单数：问题由网格员、视频巡查先发现，不等群众来电投诉。",
}

# Rules whose values are appended to a metric's 口径 (dotted keys of config/rules.toml).
RULE_KEYS: dict[str, tuple[str, ...]] = {
    "response_rate": ("response.limit_hours", "targets.response_rate"),
    "resolution_rate": ("targets.resolution_rate", "callback.window_days"),
    "satisfaction_rate": ("satisfaction.basic_satisfied_weight", "targets.satisfaction_rate", "callback.window_days"),
    "composite_score": ("composite_weights.response", "composite_weights.resolution",
                        "composite_weights.satisfaction", "ranking.min_denominator", "callback.window_days"),
    "near_deadline_count": ("near_deadline.window_workdays",),
    "property_complaint_count": ("property.categories", "property.appeal_types"),
    "due_at": ("deadlines.by_appeal_type", "deadlines.fallback_workdays"),
    "overdue_count": ("deadlines.by_appeal_type", "deadlines.fallback_workdays"),
    "on_time_rate": ("deadlines.by_appeal_type", "deadlines.fallback_workdays"),
    "light": ("lights.red_on_time_rate_below", "lights.red_min_denominator", "lights.red_overdue_at_least",
              "lights.yellow_on_time_rate_below", "near_deadline.window_workdays"),
    "company_score": ("property.inspection_weight", "property.complaint_weight",
                      "property.complaint_points_per_1k", "property.min_households",
                      "property.min_inspections", "property.categories", "property.appeal_types"),
    "complaints_per_1k_households": ("property.categories", "property.appeal_types"),
    "red_black_list": ("property.list_size_max", "property.list_size_divisor"),
    "repeat_requests": ("repeat.window_days",),
    "repeat_callers": ("repeat.window_days",),
    "proactive_share": ("proactive.sources",),
}


def koujing(metric: str, rules: Rules | None = None) -> str:
    """The 口径 of ``metric``, followed by the values of the rules it depends on when ``rules`` is given.

    Raises KeyError for a metric without a definition (a number must not be shown without one).
    """
    text = KOUJING[metric]
    keys = RULE_KEYS.get(metric, ())
    if rules is None or not keys:
        return text
    in_force = rules.in_force_by_key()
    values = "；".join(f"{in_force[k][0]} {in_force[k][1]}" for k in keys)
    return f"{text}（现行规则：{values}）"
