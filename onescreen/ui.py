"""Small rendering helpers every page shares: the page header, KPI tiles, empty states, kiosk styling.

No data-derived string is ever rendered as raw HTML here: numbers are formatted by us, and text from
the warehouse goes through :func:`html.escape` before it reaches ``unsafe_allow_html``.
"""

from __future__ import annotations

import html
import math
import re
import time
from datetime import date, datetime

import streamlit as st

from onescreen import settings
from onescreen.access import WALL_PAGES
from onescreen.measures import CALLBACK_METRICS, CALLBACK_WORD
from onescreen.coverage import Coverage

# What a table shows in a cell without a value (Streamlit shows "None" otherwise): st.dataframe(placeholder=...).
MISSING = "—"
# What a select box shows while its text is cleared to type a search (Streamlit's own is "Choose an option").
SEARCH_HINT = "输入文字查找"
# How to pick a table row without a mouse (Streamlit's grid: Tab past its toolbar, arrows, Shift+Space), for the
# captions that say what picking a row does. Found in chromium: Space alone does nothing.
ROW_PICK_KEYS = "用键盘：Tab 进入表格，方向键移到该行，Shift+空格选中"
NAVY = "#0b1f3a"
PANEL = "#12294a"
ACCENT = "#36c2ff"
# The lights' one palette (maps, charts, legends, reports): told apart by lightness as well as hue, so that red
# and green differ for red-green colour-blind viewers too (CIEDE2000 19.8 simulated deuteranopia, 29.5
# protanopia; the old #d63a3a/#2e9d52 were 7.2/11.5). Maps also mark red and yellow grids by a pattern.
LIGHT_COLOURS = {"green": "#1a9e77", "yellow": "#f6c800", "red": "#b2182b", "grey": "#7f8a99"}
LIGHT_LABELS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "grey": "无数据"}
# How the maps mark a light besides its colour (onescreen.maps), said in their legends: the wall's SVG map
# by a fill pattern, the interactive (deck.gl) map by its outline.
LIGHT_MARKS = {"svg": {"red": "斜线", "yellow": "圆点"}, "deck": {"red": "白色粗框", "yellow": "黑框"}}
# A change's colour; its text also says in words whether it is good (see change_text).
GOOD_COLOUR, BAD_COLOUR, FLAT_COLOUR = "#3ecf74", "#ff6b6b", "#9aa5b1"
GOOD_WORD, BAD_WORD = "改善", "变差"
# A change against a window whose tickets are still being handled (kpi_tiles' is_provisional): not called either.
SETTLING_WORD = "暂不评判"
HONOUR = "#d4a017"      # 红榜: an honour list, gold header, not the alarm red of a red light
BLACKLIST = "#3b4252"   # 黑榜: dark grey


def contrast_ratio(foreground: str, background: str) -> float:
    """The WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21; body text needs 4.5, large text 3)."""
    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


DARK_TEXT = "#1b1b1b"


def text_colour_on(fill: str) -> str:
    """Text to draw on ``fill`` (``#rrggbb``): white or near-black, whichever contrasts more (white on the yellow
    light was 2.0:1)."""
    return max(("#ffffff", DARK_TEXT), key=lambda text: contrast_ratio(text, fill))


# Text drawn on a light's fill (WCAG ratio 6.9, 10.8, 5.1, 4.9): near-black but on red.
LIGHT_TEXT_COLOURS = {light: text_colour_on(colour) for light, colour in LIGHT_COLOURS.items()}


def fmt_number(value, digits: int = 0) -> str:
    """``1601`` -> ``1,601``; None/NaN -> ``—``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def fmt_pct(value, digits: int = 1) -> str:
    """A 0-100 rate as ``85.0%``; None/NaN -> ``—``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}%"


def light_legend_label(light: str, map_kind: str = "svg") -> str:
    """A light's name as the legend of a map (``map_kind`` ``svg`` or ``deck``) gives it, with the mark that tells
    it apart without colour: ``红灯（斜线）``."""
    mark = LIGHT_MARKS[map_kind].get(light)
    return f"{LIGHT_LABELS[light]}（{mark}）" if mark else LIGHT_LABELS[light]


def change_text(change, *, up_is_good: bool | None, unit: str = "", against: str = "环比",
                settling: bool = False, digits: int = 1, previous: Coverage | None = None,
                count: bool = False, metric: str = "") -> tuple[str, str]:
    """(text, colour) for a change: ``▲4.2% 环比（改善）`` green when the rise is good, ``（变差）`` red when it is
    bad, the word saying it for those who cannot tell the colours apart. A change that rounds to 0.0 is
    ``— 环比持平`` in grey, as is any change when ``up_is_good`` is None (neither good nor bad, e.g. 受理量).
    ``settling`` (a window still being handled, :func:`is_settling`): ``（暂不评判）`` in grey, ``（回访未完，暂不评判）``
    for a ``metric`` that waits for callbacks (:data:`onescreen.measures.CALLBACK_METRICS`). ``digits``: the
    change's decimals (0 for a count: ``▲47 个``). ``previous``: how much of the window compared with the data
    cover (:mod:`onescreen.coverage`): a count's change (``count``) against one they cover in part, or any change
    against one they miss, is ``— 上期数据不全（数据自 2025-03-10 起）`` (``无上期数据``) in grey; another change
    against one they cover in part says ``（上期数据不全）``, in grey."""
    if previous is not None and previous.withholds("count" if count else "pct"):
        return f"— {previous.note}", FLAT_COLOUR
    if previous is not None and previous.is_partial:
        text, _colour = change_text(change, up_is_good=None, unit=unit, against=against, digits=digits)
        return f"{text}（{previous.mark}）", FLAT_COLOUR
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return f"— {against}", FLAT_COLOUR
    shown = f"{abs(change):.{digits}f}"
    if float(shown) == 0:  # "▲0.0" would call a change nobody can see good or bad
        return f"— {against}持平", FLAT_COLOUR  # 环比持平, 较上月持平 (not "持平 较上月")
    arrow = "▲" if change > 0 else "▼"
    if up_is_good is None:
        return f"{arrow}{shown}{unit} {against}", FLAT_COLOUR
    if settling:
        return f"{arrow}{shown}{unit} {against}（{settling_word(metric)}）", FLAT_COLOUR
    good = (change > 0) == up_is_good
    return (f"{arrow}{shown}{unit} {against}（{GOOD_WORD if good else BAD_WORD}）",
            GOOD_COLOUR if good else BAD_COLOUR)


def is_settling(tile) -> bool:
    """Whether a KPI row's change (``kpi_tiles``) compares a window still being handled: its measure waits for
    tickets to close (按期办结率, 平均办理时长, 超期 ...) and this or the previous window has more than 1% of its
    tickets in hand and not yet due, or it waits for callbacks (解决率, 满意率, 综合得分) and more than 1% of the
    window's tickets may still get one. An unfinished week looks better than a finished one (only its quick tickets
    are closed), so the change is shown but called neither better nor worse."""
    return bool(tile.get("is_provisional", False)) or bool(tile.get("is_previous_provisional", False))


def settling_word(metric: str | None) -> str:
    """What a settling change says instead of better or worse: ``回访未完，暂不评判`` for a measure that waits for
    callbacks, else ``暂不评判``."""
    return f"{CALLBACK_WORD}，{SETTLING_WORD}" if metric in CALLBACK_METRICS else SETTLING_WORD


def tile_metric(tile) -> str | None:
    """A KPI row's metric: its ``metric`` column, or its index label when the rows are indexed by metric."""
    return tile.get("metric", getattr(tile, "name", None))


def settling_note(tile, against: str = "环比") -> str:
    """The sentence a tile's hover adds when :func:`is_settling`: how many tickets are still in hand (or still wait
    for their callback). ``against``: what the change is against (``较上月同期`` for a month under way)."""
    if not is_settling(tile):
        return ""
    current = bool(tile.get("is_provisional", False))
    if tile_metric(tile) in CALLBACK_METRICS:
        try:
            waiting = float(tile.get("awaiting_callback_count"))
        except (TypeError, ValueError):
            waiting = math.nan
        count = f" {fmt_number(waiting)} 件" if current and waiting > 0 else ""
        return (f"{'本期' if current else '上期'}还有{count}工单{CALLBACK_WORD}（在办，或办结不满回访期、尚无回访结果，"
                f"超过受理量的 1%）：这项指标会随回访到来而变化，{against}{SETTLING_WORD}好坏。")
    try:
        pending = float(tile.get("pending_count"))
    except (TypeError, ValueError):
        pending = math.nan
    count = f" {fmt_number(pending)} 件" if current and pending > 0 else ""  # (NaN > 0 is False)
    which = "本期" if current else "上期"
    return (f"{which}还有{count}工单在办且未到期（超过受理量的 1%）：这项指标会随它们办结而变化，"
            f"{against}{SETTLING_WORD}好坏。")


def tiles(items: list[str]) -> str:
    """Tiles (from :func:`tile`) in a two-column grid."""
    return '<div class="os-tiles">' + "".join(items) + "</div>"


def tile(label: str, value: str, *, note: str = "", change: tuple[str, str] | None = None, help_text: str = "",
         greyed: bool = False) -> str:
    """HTML for one KPI tile; every argument is escaped."""
    change_html = ""
    if change:
        change_html = (f'<span class="os-tile-change" style="color:{change[1]}">'  # see TILE_LINKS_CSS
                       f"{html.escape(change[0])}</span>")
    colour = "#7f8a99" if greyed else "#ffffff"
    return (
        f'<div class="os-tile" title="{html.escape(help_text)}">'
        f'<div class="os-tile-label">{html.escape(label)}</div>'
        f'<div class="os-tile-value" style="color:{colour}">{html.escape(value)}</div>'
        f'<div class="os-tile-note">{html.escape(note)} {change_html}</div></div>'
    )


# The big screen's tiles as links (st.page_link) off the wall: the same panel look, the value large.
TILE_LINKS_CSS = f"""
<style>
/* Two tiles a row; one a row when two would be narrower than a value (1366 px at 125%, 150% zoom): a value never
   breaks mid-number ("22,2/02"). */
.st-key-os_tile_links [data-testid="stHorizontalBlock"] {{ gap: 6px; row-gap: 6px; flex-wrap: wrap; }}
.st-key-os_tile_links [data-testid="stColumn"] {{ min-width: 9rem; }}
.st-key-os_tile_links [data-testid="stPageLink-NavLink"] {{ display: block; background: {PANEL}; border-radius: 6px;
  padding: 6px 10px; margin: 0 0 6px 0; text-decoration: none; }}
.st-key-os_tile_links [data-testid="stPageLink-NavLink"]:hover {{ outline: 1px solid {ACCENT}; }}
.st-key-os_tile_links [data-testid="stPageLink-NavLink"] p {{ font-size: 0.78rem; color: #9fb3c8; line-height: 1.35;
  white-space: normal; }}
.st-key-os_tile_links [data-testid="stPageLink-NavLink"] strong {{ display: block; font-size: 1.9rem; font-weight: 700;
  color: #ffffff; line-height: 1.15; white-space: nowrap; }}
/* Streamlit's coloured Markdown text is dark (made for a white page): lit up to read on the navy panel. A narrow
   tile breaks the change at its space or before （改善）, not inside a word ("（变/差）" at 1440 px). */
.st-key-os_tile_links .stMarkdownColoredText {{ filter: brightness(2.4); word-break: keep-all; }}
</style>
"""
# Markdown that a text from the data must not interpret: each is shown as it is. ``&`` would read ``&lt;`` as ``<``;
# ``/`` breaks ``:material/home:``, which Streamlit makes an icon before it reads the Markdown (escapes or not).
_MARKDOWN_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_{}[]<>()#+-.!|~$:/&"})
# Streamlit links bare addresses (www.x.cn, http://x.cn, a@x.cn) after the Markdown is read, escapes or not: an
# invisible word joiner (U+2060) after www, :// and @ leaves them text.
_BARE_LINK = re.compile(r"(?i)(?<=www)(?=\.)|(?<=://)|(?<=@)")
# A line break would let the next line start a heading (===), a code block (after a blank line) or a hard break:
# Streamlit shows a single line break as a space anyway.
_LINE_BREAK = re.compile(r"[ \t]*[\r\n][\s]*")


def markdown_text(text: str) -> str:
    """``text`` as Streamlit's Markdown shows it literally, for any Markdown that shows a text from the data or from
    a user (file, sheet, header, place and company names, messages quoting them) in a body, caption, box, label or
    help text. The Markdown around it is the caller's: ``f"**{markdown_text(name)}**"`` stays bold."""
    return _BARE_LINK.sub("\u2060", _LINE_BREAK.sub(" ", str(text))).translate(_MARKDOWN_SPECIALS)


def tile_link_label(label: str, value: str, *, note: str = "", change: tuple[str, str] | None = None) -> str:
    """The Markdown label of a KPI tile shown as a link (see :data:`TILE_LINKS_CSS`): the label, the
    value in bold (drawn large), then the note and the change in its colour (green good, red bad; its text
    says which in words, see :func:`change_text`)."""
    parts = [markdown_text(label), f"**{markdown_text(value)}**"]
    if note:
        parts.append(markdown_text(note))
    if change:
        colour = {GOOD_COLOUR: "green", BAD_COLOUR: "red"}.get(change[1], "gray")
        parts.append(f":{colour}[{markdown_text(change[0])}]")
    return " ".join(parts)


# What loads data from the command line, on the machine the app runs on (README: 命令行): the places first, so that
# the tickets fall into grids (a tickets file of places the warehouse does not know is refused as another area's).
_LOAD_COMMANDS = "`python -m etl load 导出文件`（先网格定义，再 12345、网格平台等工单导出）"
# The pages' words for what to upload, places first.
_WHAT_TO_UPLOAD = "网格定义，再上传 12345 / 网格平台工单导出"


def demo_hint() -> str:
    """Where the demo district may be built: in a fresh clone, here (what ``make run`` shows); in a deployment (a data
    folder or warehouse named by ONESCREEN_DATA_DIR or ONESCREEN_DB), only in another folder: ``python -m etl demo``
    run as the service would put 26万 invented tickets into the street's own warehouse."""
    if settings.is_deployment():
        return "；想先看看示范区，请在另一个数据文件夹中试用（见 docs/deploy.md“试用示范区”），不要生成到本系统的数据文件夹"
    return "，或 `python -m etl demo` 生成示范区"


def empty_guidance(identity=None) -> str:
    """The steps that fill an empty warehouse, as far as ``identity`` (an :class:`onescreen.access.Identity`, or
    None when no one is known) can take them: the grid definitions first, then the tickets. Demo mode (no users
    file) has no 数据导入 page: only the command line on the server. A signed-in analyst or admin has the upload
    page; anyone else is told who can load data. The demo is offered as :func:`demo_hint` says."""
    commands = _LOAD_COMMANDS + demo_hint()
    if identity is not None and identity.can("upload"):
        return (f"- 在“数据导入”页面上传{_WHAT_TO_UPLOAD}；\n"
                f"- 或在运行本系统的服务器上用命令行导入：{commands}。")
    if identity is not None and not identity.is_demo:
        return (f"- 请数据分析员或管理员在“数据导入”页面上传{_WHAT_TO_UPLOAD}"
                f"（或在运行本系统的服务器上用命令行：{commands}）。")
    demo = "（演示模式没有“数据导入”页面）" if identity is not None else ""
    return f"- 在运行本系统的服务器上用命令行导入：{commands}；导入后刷新本页{demo}。"


def empty_state(message: str = "数据仓库还是空的。") -> None:
    """Guidance instead of an empty chart: what to do to see something here (:func:`empty_guidance`, by what the
    current user can do). ``message`` is shown as written (a query's error quotes the value it refused)."""
    from onescreen import data  # (data imports this module)
    from onescreen.access import AccessError

    try:
        identity = data.current_access().identity
    except AccessError:
        identity = None
    st.info(f"{markdown_text(message)}\n\n{empty_guidance(identity)}", icon=":material/info:")


def as_of_caption(as_of: datetime | None) -> str:
    """``数据截至 2025-11-04 23:53``: the newest event in the loaded tickets, never the wall clock."""
    return f"数据截至 {as_of:%Y-%m-%d %H:%M}" if as_of else "数据截至 —（尚无工单）"


def stale_days(as_of: datetime | None, today: date | None = None) -> int | None:
    """Days from the data's last day (数据截至) to ``today`` when they are at least ``settings.stale_after_days()``:
    a wall nobody feeds keeps showing the last load's numbers under a ticking clock; None when the data are recent
    (or there are none, or the flag is off)."""
    after = settings.stale_after_days()
    if as_of is None or not after:
        return None
    days = ((today or date.today()) - as_of.date()).days
    return days if days >= after else None


def as_of_html(as_of: datetime | None, period: str, today: date | None = None) -> str:
    """The big screen's header on the right (一屏总览 and the wall pages): the data date and the period, grey, with
    ``已 N 天没有新数据`` in amber when :func:`stale_days` says the data are old."""
    stale = stale_days(as_of, today)
    # The flag on a line of its own above the date: beside it, the date broke in two in the header's narrow column.
    flag = (f"<div><span class='os-stale' title='数据截至日期早于今天 {stale} 天：请导入最新的导出文件'>"
            f"已 {stale} 天没有新数据</span></div>" if stale else "")
    # The date and the period each whole: in the narrow column of a 1024 px screen the line broke inside 2026年11月.
    return (f"<div style='text-align:right;color:#9fb3c8;padding-top:0.6rem'>{flag}"
            f"<span style='white-space:nowrap'>{html.escape(as_of_caption(as_of))}</span> "
            f"<span style='white-space:nowrap'>· {html.escape(period)}</span></div>")


BIG_SCREEN_CSS = f"""
<style>
.stApp {{ background: {NAVY}; color: #e8eef6; }}
.stApp h1, .stApp h2, .stApp h3, .stApp p, .stApp span, .stApp label {{ color: #e8eef6; }}
/* Message boxes (the demo banner) keep their own dark-on-light text: light text on them was unreadable. */
.stApp [data-testid="stAlertContainer"] p, .stApp [data-testid="stAlertContainer"] span {{ color: inherit; }}
/* So do buttons (退出登录 in the sidebar was light text on a white button). */
.stApp button p, .stApp button span {{ color: inherit; }}
.block-container {{ padding-top: 0.6rem; padding-bottom: 0; max-width: 100%; }}
/* Two tiles a row, one when two would be narrower than 9rem (a value never breaks mid-number). */
.os-tiles {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(max(9rem, calc(50% - 3px)), 1fr)); gap: 6px;
  margin-bottom: 6px; }}
.os-tile {{ background: {PANEL}; border-radius: 6px; padding: 6px 10px; }}
[data-testid="stSidebar"] {{ background: #0e2546; }}
/* Text typed in a light input box stays dark (the light text above is for the navy background). */
.stApp [data-testid="stDateInput"] input {{ color: #1b1b1b; -webkit-text-fill-color: #1b1b1b; }}
/* Captions in the big screen's secondary blue-grey (the light pages' grey would be dark on navy). */
.stApp [data-testid="stCaptionContainer"] p {{ color: #9fb3c8; }}
.os-tile-label {{ font-size: 0.85rem; color: #9fb3c8; }}
.os-tile-value {{ font-size: 1.9rem; font-weight: 700; line-height: 1.15; white-space: nowrap; }}
.os-tile-note {{ font-size: 0.78rem; color: #9fb3c8; }}
.os-tile-change {{ font-size: 0.85em; word-break: keep-all; }}
.stApp .os-stale {{ color: #1b1b1b; background: {LIGHT_COLOURS['yellow']}; padding: 1px 8px; border-radius: 4px; font-weight: 700; }}
.os-panel-title {{ font-size: 0.95rem; color: {ACCENT}; margin: 2px 0 4px 0; font-weight: 600; }}
.os-list {{ font-size: 0.9rem; line-height: 1.5; }}
/* Scoped under .stApp: `.stApp span` above outranks a bare class, and drew 红榜 light on gold (2.0:1). */
/* One box even when the title wraps (the panel is 281 px at 1440 px: 红榜's title took two lines and, inline, its gold
   broke into two ragged pieces, "…名次较上" and "月）"). */
.stApp .os-honour {{ background: {HONOUR}; color: #1b1b1b; padding: 2px 8px; border-radius: 4px; font-weight: 700;
  display: inline-block; }}
/* 高频问题: the place and category cut short with an ellipsis, never the count and its change. */
.os-recurring-row {{ display: flex; justify-content: space-between; gap: 0.5em; white-space: nowrap; }}
.os-recurring-what {{ overflow: hidden; text-overflow: ellipsis; min-width: 0; }}
.os-recurring-count {{ flex: none; }}
/* 物业红黑榜: one line a company; a long name (…物业服务有限责任公司 wrapped at 1440 px) is cut short, never the place,
   the score or the move; the row's hover names it whole. */
.os-rank-row {{ display: flex; gap: 0.3em; white-space: nowrap; }}
.os-rank-place, .os-rank-score {{ flex: none; }}
.os-rank-name {{ overflow: hidden; text-overflow: ellipsis; min-width: 0; }}
.stApp .os-black {{ background: {BLACKLIST}; color: #f0f0f0; padding: 2px 8px; border-radius: 4px; font-weight: 700;
  display: inline-block; }}
</style>
"""

KIOSK_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], footer { display: none !important; }
.block-container { padding-top: 0.3rem !important; }
/* The wall is read from metres away: tile text at 14.4-16 px (notes and changes were 10.6-12.5 px); with the SVG
   charts' 14-15 units, nothing is drawn under 12.5 px at 1920x1080 (tests/browser: the kiosk test measures it). */
.stApp .os-tile-label { font-size: 1rem; }
.stApp .os-tile-value { font-size: 2rem; }
.stApp .os-tile-note { font-size: 0.9rem; line-height: 1.3; }
.stApp .os-tile-change { font-size: 1em; }
.stApp .os-panel-title { font-size: 1rem; }
.stApp .os-list { font-size: 1rem; }
/* A laptop in a meeting (1366x768): the three panels two a row (tiles and map, then the lists) instead of three
   narrow ones whose SVG charts shrank to 8.8 px text; the page scrolls. From 1600 px up, three a row. */
@media (max-width: 1599px) {
  .st-key-os_wall [data-testid="stHorizontalBlock"] { flex-wrap: wrap; row-gap: 0.5rem; }
  .st-key-os_wall [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
    flex: 1 1 calc(50% - 1rem) !important; min-width: calc(50% - 1rem) !important; }
  /* 街道排名 and 高频问题 share the middle column's foot at 1920 px; in a half-width column, one under the other. */
  .st-key-os_wall .st-key-os_centre_foot [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
    flex: 1 1 100% !important; min-width: 100% !important; }
  /* 一屏总览's third panel alone on the second row took half of it, 红黑榜 over 超期工单 and the other half empty
     (README: 红黑榜与超期工单下一行): the panel takes the whole row and the two share it. */
  .st-key-os_wall [data-testid="stColumn"]:has(.st-key-os_right_lists) {
    flex: 1 1 100% !important; min-width: 100% !important; }
  .st-key-os_wall [data-testid="stVerticalBlock"]:has(> * > .st-key-os_right_lists) {
    flex-direction: row; flex-wrap: wrap; align-items: flex-start; }
  .st-key-os_wall [data-testid="stVerticalBlock"]:has(> * > .st-key-os_right_lists) > * {
    flex: 1 1 calc(50% - 1rem) !important; min-width: calc(50% - 1rem) !important; }
}
</style>
"""

# The wall is laid out for 1920x1080. On a larger screen (a 4K television at 3840x2160, an LED wall of 2x2 full-HD
# panels, a 2560x1440 monitor) it showed that layout's type at its 1920 size, a quarter of the screen's area for the
# text and the bottom half empty; big-screen products scale their one design to the screen instead. The main block
# is zoomed by the largest of these steps that fits both the window's width and its height (a browser's own bars
# take some height: 3840x2160 with them is 1.75), so the 1920x1080 layout fills the screen with everything in it
# (tests/browser: the kiosk tests at 3840x2160). Under 1920x1080 nothing changes (KIOSK_CSS stacks the panels).
WALL_ZOOMS = (1.25, 4 / 3, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4)
WALL_ZOOM_CSS = "<style>\n" + "\n".join(
    f"@media (min-width: {math.floor(1920 * zoom)}px) and (min-height: {math.floor(1080 * zoom)}px) {{ "
    f'[data-testid="stMainBlockContainer"] {{ zoom: {zoom:.4g}; }} }}'
    for zoom in WALL_ZOOMS
) + "\n</style>\n"


# Streamlit's own English where its API takes no text (a select box's empty search, the hint under a text box,
# the file uploader's button and note, the quick ranges under a date range's calendar), said in Chinese by the page's CSS: the English is hidden (font-size 0)
# and the Chinese drawn in its place. Streamlit's frontend bundle is left alone; the selectors are its test ids
# and react-aria's attributes (checked in a real browser: tests/browser/test_pages_browser.py).
_HIDE_EN = "font-size: 0 !important;"
# The ranges a date range box offers under its calendar ("Past Week" ...: from today back), by react-aria's keys.
DATE_QUICK_RANGES = {"pastWeek": "近一周", "pastMonth": "近一个月", "pastThreeMonths": "近三个月",
                     "pastSixMonths": "近半年", "pastYear": "近一年", "pastTwoYears": "近两年"}
_QUICK_OPTION = '[role="listbox"][aria-label="Quick select a date range"] [role="option"][data-key="{}"]'
_QUICK_OPTIONS = ",\n".join(_QUICK_OPTION.format(key) for key in DATE_QUICK_RANGES)
_QUICK_LABELS = "\n".join(f'{_QUICK_OPTION.format(key)}::after {{ content: "{label}"; font-size: 0.875rem; }}'
                          for key, label in DATE_QUICK_RANGES.items())
STREAMLIT_TEXT_CSS = f"""
<style>
[data-testid="stSelectboxVirtualDropdown"] [role="listbox"][data-empty="true"] [role="option"] span,
[data-testid="stMultiSelectDropdown"] [role="listbox"][data-empty="true"] [role="option"] span {{ {_HIDE_EN} }}
[data-testid="stSelectboxVirtualDropdown"] [role="listbox"][data-empty="true"] [role="option"] span::after,
[data-testid="stMultiSelectDropdown"] [role="listbox"][data-empty="true"] [role="option"] span::after {{
  content: "没有匹配的选项"; font-size: 0.875rem; }}
[data-testid="stTextInput"] [data-testid="InputInstructions"] > span:first-child:not(:last-child),
[data-testid="stNumberInput"] [data-testid="InputInstructions"] > span:only-child {{ {_HIDE_EN} }}
[data-testid="stTextInput"] [data-testid="InputInstructions"] > span:first-child:not(:last-child)::after,
[data-testid="stNumberInput"] [data-testid="InputInstructions"] > span:only-child::after {{
  content: "按回车确认"; font-size: 0.75rem; }}
[data-testid="stForm"] [data-testid="stTextInput"] [data-testid="InputInstructions"]
  > span:first-child:not(:last-child)::after {{ content: "按回车提交"; }}
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] p,
[data-testid="stFileUploaderDropzoneInstructions"] span {{ {_HIDE_EN} }}
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"]
  p::after {{ content: "选择文件"; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{ content: "或把文件拖到这里"; font-size: 0.875rem; }}
[data-testid="stDateInputQuickSelect"] > div:first-child,
[data-testid="stDateInputQuickSelect"] > button,
{_QUICK_OPTIONS} {{ {_HIDE_EN} }}
[data-testid="stDateInputQuickSelect"] > div:first-child::after {{ content: "快捷选择"; font-size: 0.875rem; }}
[data-testid="stDateInputQuickSelect"] > button::before {{ content: "选择区间"; font-size: 0.875rem; }}
{_QUICK_LABELS}
</style>
"""


# A metric's change (st.metric's delta) is one line cut with "…" by Streamlit: in a row of six tiles at 1440 px
# "+1,810 件（+8.9%） 环比" lost its percentage and its 环比. It wraps instead (nothing is lost, the tile grows).
METRIC_DELTA_CSS = """
<style>
[data-testid="stMetricDelta"] [data-testid="stMarkdownContainer"],
[data-testid="stMetricDelta"] [data-testid="stMarkdownContainer"] p { white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; word-break: keep-all; }
[data-testid="stMetricDelta"] { height: auto !important; }
</style>
"""


# Secondary text (captions) on the light pages: Streamlit draws captions in the text colour at 60% opacity, 4.2:1 on
# white and 4.1:1 on the sidebar (#f2f5fa); this grey, at full opacity, reads 6.8:1 and 6.2:1.
CAPTION_TEXT = "#525c6b"
# The keyboard's focus ring: dark blue with a white line inside, seen on the light pages (the blue, 6.1:1 or more)
# and on the big screen's navy sidebar and tiles (the white, 14:1 or more). Drawn inside the element (a negative
# offset), so a list that clips its overflow (the sidebar's pages) does not cut it off.
FOCUS_RING = "#1d4ed8"
LEGIBLE_CSS = f"""
<style>
[data-testid="stCaptionContainer"] {{ color: {CAPTION_TEXT}; opacity: 1; }}
[data-testid="stSidebarNavLink"]:focus-visible, [data-testid="stPageLink-NavLink"]:focus-visible {{
  outline: 2px solid {FOCUS_RING} !important; outline-offset: -2px; box-shadow: inset 0 0 0 4px #ffffff !important; }}
/* A table's toolbar (search, download, full screen) is drawn only under the mouse, but its buttons take the focus:
   shown while one of them has it. */
[data-testid="stElementToolbar"]:focus-within {{ opacity: 1 !important; }}
/* A metric's value was cut to "22…" in a narrow tile (三率分析's six at 150% zoom: 70 px each): its type shrinks
   with the tile (at most Streamlit's 2.25rem) and it wraps at a space ("2.88 / 个工作日") rather than being cut. */
[data-testid="stMetric"] {{ container-type: inline-size; }}
[data-testid="stMetricValue"] {{ font-size: min(2.25rem, 24cqi) !important; }}
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"], [data-testid="stMetricValue"] p {{
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }}
</style>
"""


# Phones and tablets (a link pasted into a WeChat work group). Nothing here reaches a desktop with a mouse or the
# wall: every rule is under a phone's width (Streamlit's own 640 px) or a touch screen's (hover: none).
SMALL_SCREEN_CSS = """
<style>
@media (max-width: 640px), (hover: none) and (pointer: coarse) {
  /* Plotly's toolbar (zoom, pan, PNG), drawn without a hover on a touch screen, covered the charts' legends and titles
     (三率分析's trend legend, 网格热力's colour bar title at 390 px); its tools need a mouse. */
  [data-testid="stPlotlyChart"] .modebar-container { display: none !important; }
  /* deck.gl took every swipe as a pan: a finger on a 520 px map could not scroll an 844 px phone's page. A vertical
     swipe now scrolls the page; a sideways one pans the map, two fingers zoom it. */
  [data-testid="stDeckGlJsonChart"] .deck-events-root { touch-action: pan-y !important; }
}
/* A finger is not a mouse pointer: the sidebar's page links were 28 px tall, a radio option (全部, 超期 ...) 22-24 px,
   the sidebar's open and close buttons 28 px. At least 40 and 36 px to tap on a touch screen (a desktop is left as
   it is); the help marks (16 px) take a tap 8 px around them without moving anything. */
@media (hover: none) and (pointer: coarse) {
  [data-testid="stSidebarNavLink"] { min-height: 2.5rem; }
  [data-testid="stRadio"] label { min-height: 2.25rem; align-items: center; }
  [data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"] button {
    min-width: 2.5rem; min-height: 2.5rem; }
  [data-testid="stTooltipHoverTarget"] { padding: 8px; margin: -8px; }
}
/* 周报's figures are drawn for an A4 page, 680 px wide (onescreen.report_charts): squeezed to a phone's 358 px, the
   bars' values shrank to 5.7 px and the trend's dates ran into each other. Narrower than that, each keeps its size in
   a box of its own that scrolls sideways (the page itself does not). */
@media (max-width: 719px) {
  [class*="st-key-weekly_chart_"] { overflow-x: auto; }
  [class*="st-key-weekly_chart_"] > [data-testid="stFullScreenFrame"] { min-width: 680px; }
}
</style>
"""
# A phone or tablet by its browser's User-Agent ("Mobile" is in every phone browser's, WeChat's too; Android tablets
# say "Android"). iPadOS Safari says it is a Mac and is not told apart.
_TOUCH_AGENT = re.compile(r"Mobi|Android|iPhone|iPad|iPod")


def small_screens() -> None:
    """Put :data:`SMALL_SCREEN_CSS` on the page (phones and tablets only; a desktop is left as it is)."""
    st.html(SMALL_SCREEN_CSS)


def is_touch_agent(agent: str | None) -> bool:
    """Whether a browser's User-Agent is a phone's or a tablet's (see :data:`_TOUCH_AGENT`)."""
    return bool(_TOUCH_AGENT.search(agent or ""))


def is_touch_device() -> bool:
    """Whether the browser that opened this session is a phone's or a tablet's (its User-Agent)."""
    try:
        agent = st.context.headers.get("User-Agent")
    except Exception:  # no browser behind the session (AppTest, a bare script run)
        agent = None
    return is_touch_agent(agent)


def plotly_chart(figure, **kwargs):
    """``st.plotly_chart(figure, **kwargs)``; on a phone or tablet (:func:`is_touch_device`) the chart takes no drag.

    Plotly cancels the page's scroll when a finger lands on a chart (to draw a zoom box): on a 390 px phone the
    charts fill most of 三率分析 and a swipe over one moved nothing. Without a drag mode a swipe scrolls the page, and
    a tap still shows the hover and picks a bar. ``figure`` may be shared (onescreen.figures.shared): it is
    not changed; a phone gets a copy (its dict).
    """
    if is_touch_device():
        spec = figure.to_dict()  # a kept figure's own dict (figures.KeptFigure): changed on copies only
        figure = {**spec, "layout": {**spec.get("layout", {}), "dragmode": False}}
    return st.plotly_chart(figure, **kwargs)


def legible() -> None:
    """Put :data:`LEGIBLE_CSS` on the page: captions at 4.5:1 or more, a visible focus on page links, a table's
    toolbar shown while it has the focus."""
    st.html(LEGIBLE_CSS)


def streamlit_texts_in_chinese() -> None:
    """Put :data:`STREAMLIT_TEXT_CSS` on the page (on every run: it takes no room, st.html sends bare styles
    aside). Text inputs need ``max_chars`` for their hint to be found (its counter tells it apart)."""
    st.html(STREAMLIT_TEXT_CSS)


def metric_deltas_wrap() -> None:
    """Put :data:`METRIC_DELTA_CSS` on the page: a long metric change wraps rather than being cut."""
    st.html(METRIC_DELTA_CSS)


# 一屏总览 off the wall, on a laptop, a phone or a tablet. Streamlit's header (60 px, white once the sidebar is folded
# away, as it is under 1024 px) covered the first 50 px of the page, whose top padding is the wall's 0.6rem: the demo
# banner's first line, or the title itself for a signed-in user. And three panels a row shrink with the room the
# sidebar leaves: on a tablet at 768 px they were about 230 px each, the street ranking's scores cut off at the panel's
# edge and the trend's dates turned on end; on a laptop with the sidebar open (1366 px: 906 px left for the panels) the
# third was 261 px, the companies' names cut short and the overdue table's places out of sight. Where the panels have
# less than OVERVIEW_THREE_PANELS_PX (the width they have at 1440 px with the sidebar open: the third panel 283 px),
# they go two a row (tiles and map, then the lists), as the wall does on a laptop (KIOSK_CSS), and the page scrolls.
# A container query on the panels' block, not the window's width: the sidebar, open or folded, decides the room left
# (1366 px with it folded keeps three panels a row, the third 351 px). The third panel then takes the whole second
# row, and 红黑榜 and 超期工单 share it side by side where each gets 300 px (a container query on the panel), else stand
# one under the other at the row's full width (1024 px with the sidebar open: 564 px). A phone (640 px and less)
# stacks Streamlit's columns itself.
OVERVIEW_THREE_PANELS_PX = 980
OVERVIEW_SMALL_SCREEN_CSS = """
<style>
@media (max-width: 1023px) {
  .block-container { padding-top: 4rem; }
}
.st-key-os_wall { container: os-wall / inline-size; }
@media (min-width: 641px) {
  @container os-wall (width < %dpx) {
    .st-key-os_wall > * > [data-testid="stHorizontalBlock"] { flex-wrap: wrap; row-gap: 1.25rem; }
    .st-key-os_wall > * > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
      flex: 1 1 calc(50%% - 1rem) !important; min-width: calc(50%% - 1rem) !important; }
    .st-key-os_wall [data-testid="stColumn"]:has(.st-key-os_right_lists) {
      flex: 1 1 100%% !important; min-width: 100%% !important; container: os-panel / inline-size; }
  }
  @container os-panel (min-width: 620px) {
    [data-testid="stVerticalBlock"]:has(> * > .st-key-os_right_lists) {
      flex-direction: row; flex-wrap: wrap; align-items: flex-start; }
    [data-testid="stVerticalBlock"]:has(> * > .st-key-os_right_lists) > * {
      flex: 1 1 calc(50%% - 1rem) !important; min-width: calc(50%% - 1rem) !important; }
  }
}
</style>
""" % OVERVIEW_THREE_PANELS_PX


def apply_big_screen_style(kiosk: bool) -> None:
    """Dark navy big-screen styling; in kiosk mode also hide the sidebar and Streamlit's chrome (off the wall, on a
    phone or tablet: :data:`OVERVIEW_SMALL_SCREEN_CSS`)."""
    st.markdown(BIG_SCREEN_CSS + (KIOSK_CSS + WALL_ZOOM_CSS if kiosk else OVERVIEW_SMALL_SCREEN_CSS),
                unsafe_allow_html=True)


def is_kiosk() -> bool:
    """``?kiosk=1`` in the URL."""
    return st.query_params.get("kiosk", "0") in ("1", "true", "yes")


def live_clock(height: int = 50) -> None:
    """A clock that ticks every second in the browser (no rerun, nothing fetched): the date and weekday on one line,
    the time under it, neither wrapping, in type that shrinks with a narrow column (1366 px, 125-150% zoom showed
    only "2026年12月2" of one long line)."""
    st.iframe(
        """<div id="clock" style="font-family:'Noto Sans CJK SC',sans-serif;color:#e8eef6;text-align:center;white-space:nowrap;
overflow:hidden;line-height:1.2">
<div id="clock-date" style="font-size:clamp(11px,8vw,16px)"></div>
<div id="clock-time" style="font-size:clamp(14px,11vw,22px);font-weight:600"></div></div>
<script>
const days = ['星期日','星期一','星期二','星期三','星期四','星期五','星期六'];
function pad(n){return String(n).padStart(2,'0');}
function tick(){const d=new Date();
 document.getElementById('clock-date').textContent=d.getFullYear()+'年'+(d.getMonth()+1)+'月'+d.getDate()+'日 '+days[d.getDay()];
 document.getElementById('clock-time').textContent=pad(d.getHours())+':'+pad(d.getMinutes())+':'+pad(d.getSeconds());}
tick(); setInterval(tick, 1000);
</script>""",
        height=height,
        alt="时钟",  # the frame's title for a screen reader (Streamlit's own is "st.iframe")
    )


def refresh_seconds() -> int:
    """``?refresh=N``: how often the big screen's and the wall pages' panels are redrawn, in seconds (60 by default,
    10 at least)."""
    value = str(st.query_params.get("refresh", "60") or "60")
    return max(10, int(value)) if value.isdigit() else 60


# The big-screen rotation of ``?carousel=N``: page file names in app_pages/, in turn.
CAROUSEL = WALL_PAGES


def carousel_next(current: str, allowed: list[str]) -> str | None:
    """The page after ``current`` in :data:`CAROUSEL`, skipping pages this user may not open;
    None when ``current`` is not in the rotation or nothing else is allowed."""
    if current not in CAROUSEL:
        return None
    turn = [name for name in CAROUSEL if name in allowed or name == current]
    following = turn[(turn.index(current) + 1) % len(turn)]
    return None if following == current else following


def carousel_seconds() -> int | None:
    """``?carousel=N`` as seconds, or None when the screen does not rotate."""
    value = str(st.query_params.get("carousel", "") or "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def carousel(seconds: int, next_page: str) -> None:
    """Go to ``next_page`` (an ``app_pages/*.py`` path, same query string) after ``seconds``: the
    rotation of ``?carousel=N``.

    Done on the server (a timed fragment calling ``st.switch_page``), not by reloading the browser:
    a reload starts a new session, and with login configured the wall screen would be asked to log
    in again at every turn.
    """
    seconds = max(10, min(int(seconds), 3600))
    started = time.monotonic()

    @st.fragment(run_every=seconds)
    def _turn() -> None:
        if time.monotonic() - started >= seconds - 1:
            st.switch_page(next_page, query_params=st.query_params.to_dict())

    _turn()


def page_link(page: str, **kwargs) -> None:
    """``st.page_link``, left out when this user's navigation has no such page (a kiosk account has
    no ticket list, so a link to it would be an error)."""
    from streamlit.errors import StreamlitPageNotFoundError

    try:
        st.page_link(page, **kwargs)
    except StreamlitPageNotFoundError:
        pass


def rules_in_force(rules) -> None:
    """An expander listing the business rules the numbers on this page follow."""
    with st.expander("口径与规则（config/rules.toml）"):
        for label, value in rules.describe():
            st.markdown(f"- **{label}**：{value}")
        st.caption(f"规则文件：{settings.rules_path()}")
