"""A faster stand-in for one private Streamlit function, installed by ``app.py`` for the pinned Streamlit only.

``st.dataframe(styler)`` turns the Styler's display values into a frame of strings in
``streamlit.elements.lib.pandas_styler_utils._use_display_values``: ``df.astype(str)``, then one
``iloc`` assignment per column. Under pandas 3 each of those writes into an Arrow-backed string column,
rebuilding it: 14-27 ms for 三率分析's breakdown table (9-209 rows, 22 columns), a sixth of the server's
time under 30 sessions (py-spy, docs/benchmarks.md). :func:`use_display_values` builds each column's
strings as a Python list and the frame once: the same frame (dtypes, index, labels, values; tested
against Streamlit's own function), 2-13 ms.

Only Streamlit :data:`PATCHED_FOR` is patched: after an upgrade the original runs until this module is
checked against the new version (``tests/test_streamlit_patches.py`` compares the two).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from enum import Enum
from typing import Any

import pandas as pd

PATCHED_FOR = "1.67.0"
_CELL_ID = re.compile(r"row(\d+)_col(\d+)")
replaced: dict[str, Any] = {}  # Streamlit's own functions this module stood in for, by name


def use_display_values(df: pd.DataFrame, styles: Mapping[str, Any]) -> pd.DataFrame:
    """``df`` as strings, each cell the Styler's display value where ``styles`` (``Styler._translate``) has one,
    else ``str`` of the value as ``df.astype(str)`` gives it: what Streamlit's ``_use_display_values`` returns."""
    updates: defaultdict[int, dict[int, str]] = defaultdict(dict)
    for row in styles.get("body", []):
        for cell in row:
            cell_id = cell.get("id")
            match = _CELL_ID.match(cell_id) if cell_id else None
            if not match:
                continue
            row_idx, col_idx = map(int, match.groups())
            value = cell.get("display_value")
            updates[col_idx][row_idx] = str(value.value) if isinstance(value, Enum) else str(value)
    rows = len(df)
    plain = None  # df.astype(str), only when some cell has no display value
    columns = {}
    for col_idx in range(df.shape[1]):
        shown = updates.get(col_idx, {})
        if len(shown) == rows:  # every row's display value (positions 0..rows-1)
            columns[col_idx] = [shown[r] for r in range(rows)]
            continue
        if plain is None:
            plain = df.astype(str)
        values = plain.iloc[:, col_idx].tolist()
        for row_idx, value in shown.items():
            values[row_idx] = value
        columns[col_idx] = values
    frame = pd.DataFrame(columns, index=df.index, columns=range(df.shape[1])).astype(str)
    frame.columns = df.columns
    return frame


def install() -> bool:
    """Put :func:`use_display_values` in Streamlit's place if this is Streamlit :data:`PATCHED_FOR`.
    Idempotent; returns whether the patch is in place."""
    import streamlit
    from streamlit.elements.lib import pandas_styler_utils as styler_utils

    if streamlit.__version__ != PATCHED_FOR or not hasattr(styler_utils, "_use_display_values"):
        return False
    if styler_utils._use_display_values is not use_display_values:
        replaced.setdefault("_use_display_values", styler_utils._use_display_values)
        styler_utils._use_display_values = use_display_values
    return True
