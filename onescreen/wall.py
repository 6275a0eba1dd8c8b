"""The carousel's pages on the wall (``?kiosk=1``): 亮灯地图, 网格热力 and 物业红黑榜 drawn as the big screen is.

In kiosk mode those pages show a wall view instead of their analysts' light page: the big screen's dark theme
(:data:`onescreen.ui.BIG_SCREEN_CSS` and :data:`onescreen.ui.KIOSK_CSS`), its header (title, ticking clock, data
date), no widgets, the month the big screen's map and lists show (``Filters.month()``: the latest month, or the
one before in a new month's first days), the main content within 1920×1080 and,
at 1366×768, panels two a row (the wall's columns are keyed ``os_wall``, which KIOSK_CSS wraps). Each page keeps
its own panels in its file; what they share is here. Every text from data is escaped. Like the big screen's, a wall
page's panels are redrawn every ``?refresh=`` seconds (60 by default) under a clock drawn once (:func:`screen`): a
page left on a screen without the carousel shows a new load.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from onescreen import auth, data, db, filters, ui, users

# The wall lists: one row a line, the number large and the rest small; a row's hover holds its N and 口径.
WALL_CSS = f"""
<style>
.stApp .os-wall-note {{ font-size: 0.95rem; color: #9fb3c8; line-height: 1.45; }}
.stApp .os-wall-list {{ width: 100%; border-collapse: collapse; font-size: 1.05rem; }}
.stApp .os-wall-list td {{ padding: 3px 6px; border-bottom: 1px solid rgba(255,255,255,0.08); color: #e8eef6;
  vertical-align: baseline; white-space: nowrap; }}
.stApp .os-wall-list td.os-wall-wrap {{ white-space: normal; }}
.stApp .os-wall-list td.os-wall-num {{ text-align: right; font-size: 1.35rem; font-weight: 700; }}
.stApp .os-wall-list td.os-wall-right {{ text-align: right; }}
.stApp .os-wall-list td.os-wall-move {{ font-weight: 700; }}
.stApp .os-wall-list td.os-wall-small {{ font-size: 0.95rem; color: #9fb3c8; }}
.stApp .os-wall-list th {{ padding: 2px 6px; font-size: 0.9rem; font-weight: 400; color: #9fb3c8; text-align: left;
  border-bottom: 1px solid rgba(255,255,255,0.2); white-space: nowrap; }}
.stApp .os-wall-list th.os-wall-num {{ text-align: right; }}
.stApp .os-wall-large td {{ font-size: 1.3rem; padding: 7px 8px; }}
.stApp .os-wall-large td.os-wall-num {{ font-size: 1.7rem; }}
.stApp .os-wall-large td.os-wall-small {{ font-size: 1.05rem; }}
/* A map as tall as its column's width makes it (its viewBox's shape), not a fixed height around a letterboxed map. */
.st-key-os_wall .os-svg-map, .st-key-os_wall .os-svg-map svg {{ height: auto !important; }}
/* A laptop (1366x768): a wall of two panels puts them one a row (KIOSK_CSS puts three two a row); the page
   scrolls, nothing shrinks. */
@media (max-width: 1599px) {{
  .st-key-os_wall [data-testid="stColumn"]:first-child:nth-last-child(2),
  .st-key-os_wall [data-testid="stColumn"]:first-child:nth-last-child(2) ~ [data-testid="stColumn"] {{
    flex: 1 1 100% !important; min-width: 100% !important; }}
}}
.stApp .os-wall-list tr:hover td {{ background: rgba(54,194,255,0.10); }}
.stApp .os-wall-head {{ display: block; padding: 6px 12px; border-radius: 6px; font-size: 1.3rem; font-weight: 700;
  margin-bottom: 4px; }}
.stApp .os-wall-head small {{ font-size: 0.95rem; font-weight: 400; margin-left: 0.8rem; }}
.stApp .os-wall-honour {{ background: {ui.HONOUR}; color: #1b1b1b; }}
.stApp .os-wall-honour small {{ color: #1b1b1b; }}
.stApp .os-wall-black {{ background: {ui.BLACKLIST}; color: #f0f0f0; }}
.stApp .os-wall-black small {{ color: #f0f0f0; }}
</style>
"""


def start() -> None:
    """Put the big screen's kiosk styling and :data:`WALL_CSS` on the page (st.html: bare styles take no room)."""
    ui.apply_big_screen_style(True)
    st.html(WALL_CSS)


def follow_new_data() -> None:
    """What a timed panel rerun (the big screen's, a wall page's) does first: rerun the whole app when the users file
    no longer grants the session what it holds (a removed user, a reset or removed screen key: the full run logs it
    out; a wall that does not rotate pages only ever reruns its panels, so it would keep showing data); read one
    published state (a fragment rerun runs on its own), and when new data changed the periods on offer (a new
    month began), rerun the whole app once, so the filters are read again and a screen that follows the latest
    period moves on."""
    identity = st.session_state.get(auth.IDENTITY_KEY)
    if identity is not None and not users.still_granted(identity):
        st.rerun()
    db.pin()
    if data.ticket_span() != st.session_state.get(filters.SPAN_KEY):
        st.rerun()


@dataclass(frozen=True)
class Head:
    """The header's left (title) and right (data date, period) cells, made once beside the clock."""

    left: DeltaGenerator
    right: DeltaGenerator


def screen(draw: Callable[[filters.Filters, Head], None], empty: str | None = None,
           ready: Callable[[], bool] = lambda: True) -> None:
    """A wall page: the styling and the ticking clock once, then ``draw(filters, head)`` in a fragment that runs
    again every ``?refresh=`` seconds (:func:`onescreen.ui.refresh_seconds`), as the big screen's panels do, so
    the clock never flickers and a new load shows up without a reload. Without data (no filters, or ``ready()``
    false) the guidance ``empty`` instead (``ui.empty_state``'s own words when None)."""
    start()
    left, middle, right = st.columns([4, 3, 3])
    with middle:
        ui.live_clock()

    @st.fragment(run_every=ui.refresh_seconds())
    def panels() -> None:
        follow_new_data()
        f = filters.active()
        if f is None or not ready():
            ui.empty_state(*([empty] if empty else []))
            return
        draw(f, Head(left, right))

    panels()


def scope_name(f: filters.Filters) -> str:
    """The area the wall shows, for its title: the narrowest of the filters' community or street, else the whole area's name (data.whole_area_name). A chosen
    grid names its community: the wall pages (as the analysts' maps) show the grid among its community's grids, and a
    title naming the grid over 13 grids' counts said otherwise; :func:`grid_note` says which grid was chosen."""
    places = data.places()
    for code, column, name in ((f.community_code, "community_code", "community_name"),
                               (f.street_code, "street_code", "street_name")):
        if code:
            match = places.loc[places[column] == code, name]
            return str(match.iloc[0]) if len(match) else code
    return data.whole_area_name()


def grid_name(f: filters.Filters) -> str | None:
    """The chosen grid's name (its code when the places do not know it), or None when no grid is chosen."""
    if not f.grid_code:
        return None
    match = data.places().loc[lambda p: p["grid_code"] == f.grid_code, "grid_name"].dropna()
    return str(match.iloc[0]) if len(match) else f.grid_code


def grid_note(f: filters.Filters, grids: int, own: str = "") -> None:
    """With a grid chosen (``?grid_code=``), say on the wall that it shows the grid's whole community (``grids``
    grids), the grid outlined in blue; ``own``: the grid's own figure, said first. Nothing without a chosen grid."""
    name = grid_name(f)
    if name is None:
        return
    note(f"所选网格：{name}{'（' + own + '）' if own else ''}。本页显示其所在社区（{scope_name(f)}）的全部 {grids} 个网格，"
         "所选网格在地图上以蓝色粗框标出。")


def unfiltered_note(f: filters.Filters, what: str) -> None:
    """Say that ``what`` counts every source and category when the address chose one (``?source=``, ``?category=``):
    the wall counts as the big screen does, by area and time only."""
    if f.source or f.category:
        note(f"{what}按全部诉求来源和分类统计，未按所选来源、分类筛选（按来源、分类看请到分析员页面）。")


def month_label(month: date) -> str:
    """``2026年11月``, with ``（未结束）`` when the tickets stop before the month's end."""
    span = data.ticket_span()
    open_month = span is not None and filters.unfinished("month", month, span[1])
    return filters.period_label("month", month) + ("（未结束）" if open_month else "")


def header(head: Head, title: str, period: str) -> None:
    """The big screen's header in ``head`` (:func:`screen`): the title (an ``h3``) left, the data date and the
    period right (the ticking clock between them is drawn once)."""
    head.left.markdown(f"### {ui.markdown_text(title)}")
    head.right.markdown(ui.as_of_html(data.as_of(), period), unsafe_allow_html=True)


def panel_title(text: str) -> None:
    """A panel's title in the big screen's accent colour."""
    st.markdown(f"<div class='os-panel-title'>{html.escape(text)}</div>", unsafe_allow_html=True)


def note(text: str) -> None:
    """A small explanatory line (the rule, what an arrow means), blue-grey on the navy."""
    st.markdown(f"<div class='os-wall-note'>{html.escape(text)}</div>", unsafe_allow_html=True)


def row(cells: list[tuple[str, str]], hover: str) -> str:
    """One ``<tr>`` of a wall list: ``cells`` as (text, class) pairs, escaped; the row's hover ``hover``."""
    tds = "".join(f"<td class='{cls}'>{html.escape(text)}</td>" if cls else f"<td>{html.escape(text)}</td>"
                  for text, cls in cells)
    return f"<tr title='{html.escape(hover, quote=True)}'>{tds}</tr>"


def table(rows: list[str], empty: str, head: list[tuple[str, str]] = (), large: bool = False) -> str:
    """Rows from :func:`row` as one list (one line of HTML, for ``st.markdown``) under the small column names
    ``head`` ((text, class) pairs), or ``empty`` when there are none; ``large``: bigger type, for a page of few rows."""
    if not rows:
        return f"<div class='os-wall-note'>{html.escape(empty)}</div>"
    names = "".join(f"<th class='{cls}'>{html.escape(text)}</th>" for text, cls in head)
    return (f"<table class='os-wall-list{' os-wall-large' if large else ''}'>" + (f"<tr>{names}</tr>" if head else "")
            + "".join(rows) + "</table>")
