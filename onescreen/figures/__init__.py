"""Plain figure builders: ``DataFrame -> plotly Figure``, tested without Streamlit. One module per page family."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio


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
