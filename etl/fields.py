"""Canonical fields of every source and the export headers each one is known by.

This is the one place where header synonyms live. A header that is not listed here can be mapped on
the command line with ``--map "留言时间=received_at"`` or in the upload page.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

# Canonical ticket fields, shared by the ``hotline`` and ``events`` sources. No bare "id" or "name": a staff
# or contact list (id, name, phone, created_date) has those, and was taken for a hotline export.
TICKET_HEADERS: dict[str, list[str]] = {
    "ticket_id": ["工单编号", "工单号", "热线单号", "事件编号", "受理编号", "工单ID", "事件ID", "案件编号", "ticket_id", "ticket id", "case id"],
    "source": ["诉求来源", "来源", "事件来源", "来源渠道", "上报渠道", "渠道", "source", "channel"],
    "appeal_type": ["诉求类型", "诉求性质", "工单类型", "来电类型", "事件类型", "appeal_type", "type"],
    "category_l1": ["一级分类", "诉求分类", "问题分类", "事项分类", "大类", "事件大类", "category_l1", "category"],
    "category_l2": ["二级分类", "诉求子类", "小类", "问题子类", "事件小类", "category_l2", "subcategory"],
    "received_at": ["来电时间", "受理时间", "登记时间", "上报时间", "创建时间", "发现时间", "received_at", "created_date", "created at"],
    "dispatched_at": ["派单时间", "派发时间", "交办时间", "分派时间", "dispatched_at"],
    "responded_at": ["签收时间", "响应时间", "接单时间", "首次联系时间", "responded_at"],
    "resolved_at": ["办结时间", "结案时间", "处置完成时间", "完成时间", "办理完成时间", "resolved_at", "closed_date", "closed at"],
    "due_at": ["办理时限", "截止时间", "办结时限", "期限", "到期时间", "要求办结时间", "due_at", "due date"],
    "callback_at": ["回访时间", "回访日期", "callback_at"],
    "is_resolved": ["是否解决", "解决情况", "问题是否解决", "is_resolved", "resolved"],
    "satisfaction": ["满意度", "是否满意", "回访满意度", "满意情况", "评价结果", "satisfaction"],
    "status": ["工单状态", "办理状态", "状态", "事件状态", "status"],
    "handling_level": ["办理层级", "处置层级", "解决层级", "流转层级", "handling_level"],
    "is_whistle": ["是否吹哨", "吹哨报到", "吹哨", "is_whistle"],
    "is_consultation": ["是否会商", "联合会商", "会商", "is_consultation"],
    "department": ["承办单位", "责任单位", "处置单位", "主办单位", "办理单位", "department", "agency"],
    "street_name": ["所属街道", "街道", "街道/镇", "乡镇街道", "街镇", "street_name", "street"],
    "community_name": ["所属社区", "社区", "社区/村", "村社区", "村居", "community_name", "community"],
    "grid_code": ["网格编号", "网格编码", "所属网格", "网格", "网格名称", "grid_code", "grid"],
    "address": ["诉求地址", "事发地址", "地址", "发生地址", "事件地址", "详细地址", "address", "incident_address"],
    "lon": ["经度", "longitude", "lon", "lng", "x坐标"],
    "lat": ["纬度", "latitude", "lat", "y坐标"],
    "caller_name": ["来电人", "来电人姓名", "诉求人", "诉求人姓名", "反映人", "联系人", "上报人", "caller_name"],
    "caller_phone": ["来电号码", "联系电话", "诉求人电话", "联系方式", "手机号码", "电话", "caller_phone", "phone"],
    "content": ["诉求内容", "来电内容", "问题描述", "事件描述", "工单内容", "诉求描述", "content", "descriptor", "description"],
}

GRID_HEADERS: dict[str, list[str]] = {
    "grid_code": ["网格编号", "网格编码", "网格代码", "grid_code"],
    "grid_name": ["网格名称", "网格", "grid_name"],
    "community_code": ["社区编号", "社区编码", "社区代码", "community_code"],
    "community_name": ["所属社区", "社区", "社区名称", "社区/村", "community_name"],
    "street_code": ["街道编号", "街道编码", "街道代码", "street_code"],
    "street_name": ["所属街道", "街道", "街道名称", "街道/镇", "street_name"],
    "grid_type": ["网格类型", "网格类别", "grid_type"],
    "households": ["户数", "总户数", "住户数", "households"],
    "population": ["人口", "人口数", "常住人口", "population"],
    "red_households": ["红色户", "红色户数", "红标户数", "red_households"],
    "yellow_households": ["黄色户", "黄色户数", "黄标户数", "yellow_households"],
    "green_households": ["绿色户", "绿色户数", "绿标户数", "green_households"],
    "worker_name": ["网格员", "网格员姓名", "专职网格员", "worker_name"],
    "geometry": ["geometry", "边界", "网格边界", "wkt"],
}

COMPOUND_HEADERS: dict[str, list[str]] = {
    "compound_code": ["小区编号", "小区编码", "小区代码", "compound_code"],
    "compound_name": ["小区名称", "小区", "项目名称", "compound_name"],
    "grid_code": ["网格编号", "网格编码", "所属网格", "grid_code"],
    "community_name": ["所属社区", "社区", "community_name"],
    "company_name": ["物业企业", "物业公司", "物业服务企业", "物业服务单位", "company_name"],
    "households": ["户数", "总户数", "住户数", "households"],
    "address": ["小区地址", "地址", "坐落", "address"],
}

INSPECTION_HEADERS: dict[str, list[str]] = {
    "inspection_id": ["考核编号", "检查编号", "记录编号", "inspection_id"],
    "inspected_on": ["考核日期", "检查日期", "考核时间", "检查时间", "inspected_on", "date"],
    "company_name": ["物业企业", "物业公司", "物业服务企业", "被考核单位", "company_name"],
    "compound_name": ["小区名称", "小区", "项目名称", "compound_name"],
    "compound_code": ["小区编号", "小区编码", "compound_code"],
    "item": ["考核项目", "检查项目", "考核内容", "item"],
    "score": ["得分", "考核得分", "检查得分", "分数", "score"],
    "inspector": ["考核人", "检查人", "inspector"],
}

# An override that maps a header to this uses it for no field, even if a synonym list knows it.
IGNORE = ""

# Columns some exports carry that the product never stores (reported as ignored).
NEVER_STORED = ["身份证号", "身份证号码", "证件号码", "证件号", "id_number", "银行卡号"]


@dataclass(frozen=True)
class Source:
    """One kind of export: its canonical fields, the ones it cannot do without, and its signature."""

    name: str
    label: str
    headers: dict[str, list[str]]
    required: tuple[str, ...]
    key: tuple[str, ...]
    # Fields whose presence points to this source rather than another with similar headers.
    signature: tuple[str, ...] = ()
    date_fields: tuple[str, ...] = ()
    text_fields: tuple[str, ...] = field(default=())


TICKET_DATE_FIELDS = ("received_at", "dispatched_at", "responded_at", "resolved_at", "due_at", "callback_at")

SOURCES: dict[str, Source] = {
    "hotline": Source(
        name="hotline",
        label="12345热线工单",
        headers=TICKET_HEADERS,
        required=("ticket_id", "received_at"),
        key=("ticket_id",),
        signature=("caller_phone", "satisfaction", "callback_at", "is_resolved", "appeal_type"),
        date_fields=TICKET_DATE_FIELDS,
    ),
    "events": Source(
        name="events",
        label="网格平台事件",
        headers=TICKET_HEADERS,
        required=("ticket_id", "received_at", "source"),
        key=("ticket_id",),
        signature=("source", "handling_level", "is_whistle"),
        date_fields=TICKET_DATE_FIELDS,
    ),
    "grids": Source(
        name="grids",
        label="网格定义",
        headers=GRID_HEADERS,
        required=("grid_code", "community_name", "street_name"),
        key=("grid_code",),
        signature=("grid_type", "population", "red_households", "worker_name"),
    ),
    "compounds": Source(
        name="compounds",
        label="小区与物业",
        headers=COMPOUND_HEADERS,
        required=("compound_name", "company_name"),
        key=("compound_name",),  # by compound_code when the file has one (etl.staging.key_fields)
        signature=("compound_code", "company_name"),
    ),
    "inspections": Source(
        name="inspections",
        label="物业日常考核",
        headers=INSPECTION_HEADERS,
        required=("inspected_on", "company_name", "compound_name", "score"),
        key=("inspection_id",),
        signature=("score", "item", "inspector"),
        date_fields=("inspected_on",),
    ),
}


def normalise_header(text: object) -> str:
    """A header as compared against the synonym lists: trimmed, no inner spaces, no marks like ``*``."""
    if text is None:
        return ""
    value = str(text).replace("\ufeff", "").strip()
    value = re.sub(r"[\s\u3000\u200b-\u200d\u2060\ufeff*＊:：]+", "", value)   # zero-width ones pasted from the web
    value = re.sub(r"[（(].*?[)）]$", "", value)  # "办理时限(工作日)" -> "办理时限"
    value = re.sub(r"^[【\[「〔](.+)[】\]」〕]$", r"\1", value)  # "【诉求内容】" -> "诉求内容"
    return value.lower()


def header_unit(text: object) -> str | None:
    """The unit a header writes in trailing brackets, which :func:`normalise_header` drops:
    ``办理时限（小时）`` -> ``小时``, ``得分(满分10分)`` -> ``满分10分``; None when there are none."""
    if text is None:
        return None
    value = re.sub(r"[\s\u3000\u200b-\u200d\u2060\ufeff*＊]+", "", str(text))
    found = re.search(r"[（(]([^（()）]*)[)）]$", value)
    if not found:
        return None
    unit = re.sub(r"^单位[:：]?", "", found.group(1))
    return unit or None


# A deadline header's unit -> how a bare number under it is read (etl.staging.apply_deadline_unit).
DEADLINE_UNITS: dict[str, str] = {
    "小时": "hours", "时": "hours", "h": "hours", "hour": "hours", "hours": "hours", "小時": "hours",
    "工作日": "workdays", "个工作日": "workdays", "個工作日": "workdays", "workdays": "workdays",
    # 天 as a cell reads it (15天: working days, the hotline's usual deadline), so a header （天） and its cells agree.
    "天": "workdays", "日": "workdays",
    "自然日": "days", "日历日": "days", "日历天": "days", "自然天": "days", "days": "days",
}


def score_scale(unit: str | None) -> float | None:
    """The full mark a score header's unit states: 100 for none, ``分``, ``百分制``, ``满分100分``; 10 for
    ``满分10分``, ``10分制``, ``满分10``; None for a unit that states no full mark (``等级``)."""
    if unit is None or unit.lower() in ("分", "百分制", "百分", "points"):
        return 100.0
    found = re.fullmatch(r"(?:满分)?(\d{1,4}(?:\.\d+)?)分?(?:制)?", unit)
    if found and (unit.startswith("满分") or unit.endswith("制")):
        full = float(found.group(1))
        return full if full > 0 else None
    return None


def column_labels(headers: list[str]) -> list[str]:
    """Each column's name as a mapping gives it: its header, with its position when another column's header
    reads the same (as :func:`normalise_header` compares them): ``满意度（第 14 列）``. A file with two
    满意度 columns then has two choices a user can tell apart (``--map "满意度（第 14 列）=satisfaction"``)."""
    norms = [normalise_header(h) for h in headers]
    counts = Counter(n for n in norms if n)
    return [f"{h}（第 {i + 1} 列）" if n and counts[n] > 1 else h for i, (h, n) in enumerate(zip(headers, norms))]


def columns_named(headers: list[str], name: str) -> list[int]:
    """The positions (0-based) of the columns ``name`` stands for: one for a column label
    (:func:`column_labels`), every column whose header reads like ``name`` otherwise (several when
    the file has that header twice)."""
    labels = column_labels(headers)
    if name in labels:
        return [labels.index(name)]
    norm = normalise_header(name)
    return [i for i, h in enumerate(headers) if norm and normalise_header(h) == norm]


def same_named(headers: list[str], mapping: dict[str, str]) -> dict[str, list[int]]:
    """The fields of ``mapping`` whose header several columns share (field -> their positions): which of
    them carries the field is decided by their data (:func:`etl.staging.stage`)."""
    return {name: positions for name, header in mapping.items() if len(positions := columns_named(headers, header)) > 1}


def match_headers(headers: list[str], source: Source, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Map canonical field -> the file header (or column label, :func:`column_labels`) that carries it.

    ``overrides`` maps a file header or column label to a canonical field (from ``--map``) and wins over
    the lists; :data:`IGNORE` as the field leaves that column unused (the upload page's 不使用).
    The first header that matches a field takes it; a column is never used for two fields. A header
    that two columns share maps as the header itself: :func:`same_named` finds it, and staging picks
    the column by its data or refuses the file, rather than silently taking the last one.
    """
    overrides = overrides or {}
    labels = column_labels(headers)
    mapping: dict[str, str] = {}
    used: set[int] = set()

    def free(name: str) -> tuple[str, list[int]] | None:
        positions = [i for i in columns_named(headers, name) if i not in used]
        if not positions:
            return None
        return (labels[positions[0]] if len(positions) == 1 else headers[positions[0]]), positions

    for header, canonical in overrides.items():
        found = free(header)
        if found is not None and (canonical == IGNORE or canonical in source.headers):
            if canonical != IGNORE:
                mapping[canonical] = found[0]
            used.update(found[1])
    for canonical, synonyms in source.headers.items():
        if canonical in mapping:
            continue
        for synonym in synonyms:
            if (found := free(synonym)) is not None:
                mapping[canonical] = found[0]
                used.update(found[1])
                break
    return mapping


# Fields a summary table also has (统计: 街道, 件数): matching only these says nothing of what the file is.
_PLACE_NAMES = frozenset({"street_name", "community_name"})

# Headers any list of people or places carries (a grid workers' roster, a compound list with its property office's
# number): in a ticket export they hold the caller's number, but they say nothing of what a file is. 来电号码 and
# 诉求人电话 do (a caller).
COMMON_HEADERS = frozenset({"联系电话", "联系方式", "电话", "手机号码", "phone"})


def vouching(mapping: dict[str, str]) -> set[str]:
    """The fields of ``mapping`` (field -> header or column label) whose header says what kind of file it is: all but
    those found under a header of :data:`COMMON_HEADERS` (a roster's 联系电话 is no sign of a 12345 export)."""
    return {name for name, header in mapping.items() if normalise_header(header) not in COMMON_HEADERS}


def telling_fields(source: Source) -> set[str]:
    """The fields whose column says a file may be an export of ``source``: its key, signature and required
    fields but the place names (a street column alone is no export)."""
    return {*source.key, *source.signature, *source.required} - _PLACE_NAMES


def looks_like_export(headers: list[str]) -> bool:
    """Whether any column of ``headers`` is a telling field (:func:`telling_fields`) of a known export, under a
    header that says so (:func:`vouching`): false for a staff roster, meeting notes or a summary sheet (街道, 件数)."""
    return any(telling_fields(source) & vouching(match_headers(headers, source)) for source in SOURCES.values())


def header_score(cells: list[object]) -> int:
    """How many cells of a row are known headers of any source: finds the header row below titles."""
    known = {normalise_header(s) for src in SOURCES.values() for syns in src.headers.values() for s in syns}
    return sum(1 for c in cells if normalise_header(c) in known)
