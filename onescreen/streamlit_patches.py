"""Faster stand-ins for a few private Streamlit functions, installed by ``app.py`` for the pinned Streamlit only.

``st.dataframe(styler)`` turns the Styler's display values into a frame of strings in
``streamlit.elements.lib.pandas_styler_utils._use_display_values``: ``df.astype(str)``, then one
``iloc`` assignment per column. Under pandas 3 each of those writes into an Arrow-backed string column,
rebuilding it: 14-27 ms for 三率分析's breakdown table (9-209 rows, 22 columns), a sixth of the server's
time under 30 sessions (py-spy, docs/benchmarks.md). :func:`use_display_values` builds each column's
strings as a Python list and the frame once: the same frame (dtypes, index, labels, values; tested
against Streamlit's own function), 2-13 ms.

And ``st.dataframe(styler)`` marshals the Styler (``_compute``, ``_translate``, display values) on every run of
every session: 3-13 ms for 9-209 rows of 8 columns, about three times that for 三率分析's 22. The breakdown's
Styler is kept and shared (``figures.shared``), so :func:`marshall_styler_once` marshals each Styler object once
and hands later runs a copy of the result.

And every call of an ``st.cache_data``/``st.cache_resource`` function names its positional arguments with
``inspect.signature``, once per argument (``cache_utils._get_positional_arg_name``): 9% of a server's GIL time
under 30 sessions, each run calling the data layer's cached functions dozens of times. A function's parameters do
not change: :func:`positional_arg_name` remembers them.

And every new session empties the server's cache of compiled page scripts: ``AppSession`` connects
``_on_source_file_changed`` to the config with ``force_connect=True``, which calls it at once, and it clears the
``ScriptCache`` every session shares. The next run of every session then reads, AST-rewrites ("magic") and compiles
``app.py`` and its page again: 11.5% of a server's GIL time while 30 sessions open (py-spy, docs/benchmarks.md).
:func:`script_bytecode` keeps each script's bytecode with its file's modification time and size: the same file
is compiled once, and a file changed on disk is compiled again at its next run (with or without a file watcher).

Only Streamlit :data:`PATCHED_FOR` is patched: after an upgrade the original runs until this module is
checked against the new version (``tests/test_streamlit_patches.py`` compares the two).
"""

from __future__ import annotations

import functools
import os
import re
import threading
import weakref
from collections import defaultdict
from collections.abc import Mapping
from enum import Enum
from typing import Any

import pandas as pd

PATCHED_FOR = "1.67.0"
_CELL_ID = re.compile(r"row(\d+)_col(\d+)")
replaced: dict[str, Any] = {}  # Streamlit's own functions this module stood in for, by name
# Each Styler marshalled (weakly: a session's own Styler goes with its run) -> (default uuid, its ArrowData.styler).
_marshalled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# One Styler at a time: a Styler's _compute rewrites its own state, and a kept one is shared by every session.
_marshall_lock = threading.Lock()
# Each script's path -> ((modification time, size, magic on), bytecode), for every ScriptCache (script_bytecode).
_compiled: dict[str, tuple[tuple, Any]] = {}


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


def marshall_styler_once(proto, styler, default_uuid: str) -> None:
    """Streamlit's ``marshall_styler(proto, styler, default_uuid)``, run once per Styler object (and default uuid):
    later calls copy the ``proto.styler`` (uuid, caption, styles, display values) the first one made. Everything it
    writes is in ``proto.styler``. A Styler must not be changed once shown (a kept one never is: figures.shared)."""
    original = replaced["marshall_styler"]
    with _marshall_lock:
        kept = _marshalled.get(styler)
        if kept is not None and kept[0] == default_uuid:
            proto.styler.ParseFromString(kept[1])
            return
        original(proto, styler, default_uuid)
        _marshalled[styler] = (default_uuid, proto.styler.SerializeToString())


def positional_arg_name(func, arg_index: int) -> str | None:
    """Streamlit's ``_get_positional_arg_name(func, arg_index)``, remembered per function and index (the cached
    functions are module-level: a few dozen; a callable that cannot be a dict key is asked every time)."""
    try:
        return _remembered_arg_name(func, arg_index)
    except TypeError:
        return replaced["_get_positional_arg_name"](func, arg_index)


@functools.lru_cache(maxsize=4096)
def _remembered_arg_name(func, arg_index: int) -> str | None:
    return replaced["_get_positional_arg_name"](func, arg_index)


def script_bytecode(cache, script_path: str) -> Any:
    """Streamlit's ``ScriptCache.get_bytecode(script_path)``, kept while the file's modification time and size (and
    the ``runner.magicEnabled`` option) stay the same, whether or not the cache was cleared since. A file changed on
    disk drops out of ``cache`` and is compiled again by Streamlit's own method. A file that cannot be read is left
    to Streamlit (its error is the one to show)."""
    from streamlit import config

    path = os.path.abspath(script_path)
    try:
        found = os.stat(path)
    except OSError:
        return replaced["ScriptCache.get_bytecode"](cache, script_path)
    stamp = (found.st_mtime_ns, found.st_size, config.get_option("runner.magicEnabled"))
    kept = _compiled.get(path)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    with cache._lock:
        cache._cache.pop(path, None)  # compiled before the change: Streamlit's own cache would hand it back
    bytecode = replaced["ScriptCache.get_bytecode"](cache, script_path)
    _compiled[path] = (stamp, bytecode)
    return bytecode


def install() -> bool:
    """Put :func:`use_display_values`, :func:`marshall_styler_once`, :func:`positional_arg_name` and
    :func:`script_bytecode` in Streamlit's place if this is Streamlit :data:`PATCHED_FOR`. Idempotent; returns
    whether the patches are in place."""
    import streamlit
    from streamlit.elements import arrow
    from streamlit.elements.lib import pandas_styler_utils as styler_utils
    from streamlit.runtime.caching import cache_utils
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    if (streamlit.__version__ != PATCHED_FOR or not hasattr(styler_utils, "_use_display_values")
            or not hasattr(arrow, "marshall_styler") or not hasattr(cache_utils, "_get_positional_arg_name")
            or not hasattr(ScriptCache, "get_bytecode")):
        return False
    if ScriptCache.get_bytecode is not script_bytecode:
        replaced.setdefault("ScriptCache.get_bytecode", ScriptCache.get_bytecode)
        ScriptCache.get_bytecode = script_bytecode
    if cache_utils._get_positional_arg_name is not positional_arg_name:
        replaced.setdefault("_get_positional_arg_name", cache_utils._get_positional_arg_name)
        cache_utils._get_positional_arg_name = positional_arg_name
    if styler_utils._use_display_values is not use_display_values:
        replaced.setdefault("_use_display_values", styler_utils._use_display_values)
        styler_utils._use_display_values = use_display_values
    if arrow.marshall_styler is not marshall_styler_once:  # arrow.py calls it by the name it imported
        replaced.setdefault("marshall_styler", arrow.marshall_styler)
        arrow.marshall_styler = marshall_styler_once
    return True
