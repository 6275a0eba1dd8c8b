"""One gate for every download button: none on the wall.

A ``kiosk``-role identity (a screen key, a password account of that role, an unmapped OIDC login) and any run in
kiosk mode (``?kiosk=1``) may not download anything (:attr:`onescreen.access.Access.downloads`, set by
:func:`onescreen.access.page_access`). Rather than a check beside each ``st.download_button`` of each page (the
next page's button would be the one forgotten), :func:`install` wraps Streamlit's ``download_button`` itself, in
the sidebar, columns and containers too: a run whose access allows no downloads gets no button at all (the call
draws nothing and returns False, as an unclicked button does). A run with no access recorded (no login) gets none
either. Installed by ``app.py``; idempotent.
"""

from __future__ import annotations

import functools

from onescreen.access import AccessError


def allowed() -> bool:
    """Whether this page run may offer downloads (its :class:`~onescreen.access.Access` says so)."""
    from onescreen import data  # (data imports Streamlit's caches: only when a page runs)

    try:
        return data.current_access().downloads
    except AccessError:
        return False


def _gated(original):
    @functools.wraps(original)
    def download_button(self, *args, **kwargs):
        if not allowed():
            return False
        return original(self, *args, **kwargs)

    download_button.gated = True
    return download_button


def install() -> None:
    """Put the gate in front of ``st.download_button`` and ``DeltaGenerator.download_button`` (``column.``,
    ``st.sidebar.`` ...)."""
    import streamlit
    from streamlit.delta_generator import DeltaGenerator

    if not getattr(DeltaGenerator.download_button, "gated", False):
        DeltaGenerator.download_button = _gated(DeltaGenerator.download_button)
    # ``st.download_button`` is the main container's method, bound when Streamlit was imported: bind it again.
    streamlit.download_button = streamlit._main.download_button
