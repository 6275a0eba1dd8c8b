"""Plain figure builders: ``DataFrame -> plotly Figure``, tested without Streamlit. One module per page family."""

from __future__ import annotations

import functools
import hashlib
import math
import pickle
import threading
from collections import OrderedDict

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from onescreen.frames import private_view

# Results kept by ``shared``: a few per page and filter combination in use. The largest measured is the heat
# page's choropleth of the demo's 650 grids, 1.5 MB (a rates chart 0.07 MB), and a kept figure also keeps its
# dict once drawn (:class:`KeptFigure`): at most about 400 MB in all.
SHARED_MAX = 128
_shared: OrderedDict = OrderedDict()
_shared_lock = threading.Lock()


def white(fig: go.Figure, template: str = "plotly_white") -> go.Figure:
    """``fig`` with a registered plotly template (``plotly_white``, the report's ``simple_white``),
    applied the way plotly applies its default template.

    ``update_layout(template=...)`` validates the registered template again, a deep copy of it: about
    40 ms a figure here, 140 ms of a rates page's first run. The template is already valid, so it is
    set without that check; the figure is the same (tests/test_figures_rates_heat.py).
    """
    layout = fig.layout
    layout._validate = False
    try:
        layout.template = pio.templates[template]
    finally:
        layout._validate = fig._validate
    return fig


# Tick labels and axis titles on the analysis pages: Streamlit's chart theme draws them #808495, 3.7:1 on white at
# 12 px; this grey reads 7.5:1. Set on the axes (the theme's own axis colours outrank a figure's font colour).
AXIS_TEXT = "#4a5568"


# A label drawn inside a bar: plotly shrinks it to fit (三率's ranking at 7.7 px, 办结层级's "区 2.4%" at 3 px); one
# that would be smaller than this is left out instead (its value is in the hover and the table).
MIN_LABEL_PX = 11


def legible_axes(fig: go.Figure) -> go.Figure:
    """Every axis's ticks and title in :data:`AXIS_TEXT` (Streamlit's theme draws them at 3.7:1 on white)."""
    fig.update_xaxes(tickfont_color=AXIS_TEXT, title_font_color=AXIS_TEXT)
    return fig.update_yaxes(tickfont_color=AXIS_TEXT, title_font_color=AXIS_TEXT)


def on_screen(fig: go.Figure) -> go.Figure:
    """``fig`` as the light pages show it: :func:`white`, with every axis's ticks and title in :data:`AXIS_TEXT`,
    a bar's label outside it in the same grey, and no label in a bar smaller than :data:`MIN_LABEL_PX`.
    Call it last, when the figure has all its axes."""
    legible_axes(fig)
    fig.update_layout(uniformtext=dict(minsize=MIN_LABEL_PX, mode="hide"))
    fig.update_traces(outsidetextfont_color=AXIS_TEXT, selector=dict(type="bar"))  # the theme's #808495 otherwise
    return white(fig)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values from ``low`` to ``high`` (inclusive where they fall on a step): about ``count``."""
    if not high > low:
        return [low]
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [round(first + i * step, 6) for i in range(int((high - first) / step + 1e-9) + 1)]


def _inputs_digest(args: tuple, kwargs: dict) -> bytes:
    """A digest of a builder's inputs, by value: their pickle. Equal bytes mean equal inputs (a pickle holds
    every value, dtype, column and index label); equal inputs pickled differently (another block layout)
    only miss the cache. 0.6 ms for a 200 × 42 frame, where ``pandas.util.hash_pandas_object`` took 5 ms."""
    return hashlib.blake2b(pickle.dumps((args, kwargs), protocol=5), digest_size=20).digest()


class KeptFigure(go.Figure):
    """A figure :func:`shared` keeps: its ``to_dict`` is made once and handed out again.

    ``st.plotly_chart`` turns the figure into a dict with ``to_dict``, a deep copy of every trace and of the
    layout: 10% of the server's time under 30 sessions, each drawing the same kept figures (py-spy,
    docs/benchmarks.md). A kept figure is never changed (see :func:`shared`), so its dict stays right; the dict is
    shared too: read it, never change it (``ui.plotly_chart`` copies what it changes for a phone)."""

    def to_dict(self):
        spec = self.__dict__.get("_kept_dict")
        if spec is None:
            spec = super().to_dict()
            self.__dict__["_kept_dict"] = spec
        return spec


def _keep(result):
    if type(result) is go.Figure:
        result.__class__ = KeptFigure
    return result


def _handout(result):
    return private_view(result) if isinstance(result, pd.DataFrame) else result


def shared(build):
    """``build`` whose result is kept and handed to every later call with equal inputs, in every session.

    Building a plotly figure is mostly plotly validating every property: 10-40 ms a figure, most of a
    page's script time once its queries are cached, and every viewer of the same screen and filters asks
    for the same figures. The :data:`SHARED_MAX` results used last are kept. Inputs are compared by value
    (``_inputs_digest``); a call with an input that cannot be pickled is built afresh. **A returned figure
    is shared: hand it to ``st.plotly_chart`` (which copies it) and never change it** (tests/test_figures_shared.py
    runs every page and checks each kept result is still as built); a table comes as a copy-on-write view
    (:func:`onescreen.frames.private_view`).
    ``build.uncached`` is the plain builder.
    """

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        try:
            key = (build, _inputs_digest(args, kwargs))
        except (pickle.PicklingError, TypeError, AttributeError):  # something without a pickle: build it afresh
            return build(*args, **kwargs)
        with _shared_lock:
            if key in _shared:
                _shared.move_to_end(key)
                return _handout(_shared[key])
        result = _keep(build(*args, **kwargs))  # outside the lock: two sessions may build the same figure at once
        with _shared_lock:
            _shared[key] = result
            while len(_shared) > SHARED_MAX:
                _shared.popitem(last=False)
        return _handout(result)

    wrapper.uncached = build
    return wrapper


def clear_shared() -> None:
    """Forget every result :func:`shared` kept (the pages benchmark's cold runs start from nothing)."""
    with _shared_lock:
        _shared.clear()
