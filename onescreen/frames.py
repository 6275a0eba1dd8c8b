"""One frame kept for every session, handed to each caller as a view of its own."""

from __future__ import annotations

import pandas as pd


def private_view(frame: pd.DataFrame) -> pd.DataFrame:
    """A caller's own view of a frame that is kept and shared, its data not copied. pandas' copy-on-write (the
    only mode since pandas 3) copies whatever the caller changes, columns or cells, so the kept frame stays as
    it was; the index and column labels are new objects too (renaming them changes only this view)."""
    view = frame.copy(deep=False)
    view.index = frame.index.copy()
    view.columns = frame.columns.copy()
    return view
