"""onescreen.streamlit_patches: the stand-in returns exactly what Streamlit's own function returns."""

from __future__ import annotations

import enum
import os

import numpy as np
import pandas as pd
import pytest
import streamlit
from streamlit.elements import arrow
from streamlit.runtime.caching import cache_utils
from streamlit.runtime.scriptrunner import magic
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.elements.lib import pandas_styler_utils as styler_utils
from streamlit.proto.ArrowData_pb2 import ArrowData

from onescreen import streamlit_patches
from onescreen.figures import rates


def streamlits_own():
    return streamlit_patches.replaced.get("_use_display_values", styler_utils._use_display_values)


def breakdown(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(rows)
    return pd.DataFrame({
        "综合排名": [float(i + 1) if i % 4 else np.nan for i in range(rows)],
        "单位": [f"单位{i}" for i in range(rows)],
        "受理量": rng.integers(0, 5000, rows),
        "响应率%": rng.uniform(0, 100, rows).round(1),
        "响应率N": [f"{i}/{i + 3}" for i in range(rows)],
        "名次变化": [float(i % 5 - 2) if i % 3 else np.nan for i in range(rows)],
        "平均办理时长（工作日）": rng.uniform(0, 9, rows),
        "参与排名": ["是" if i % 4 else "否（分母不足）" for i in range(rows)],
    })


class Level(enum.Enum):
    GRID = "网格"


def translated(styler):
    styler._compute()
    return styler._translate(False, False)


@pytest.mark.parametrize("styler", [
    pytest.param(lambda: rates.grey_unranked(breakdown(9)), id="breakdown 9 rows"),
    pytest.param(lambda: rates.grey_unranked(breakdown(209)), id="breakdown 209 rows"),
    pytest.param(lambda: rates.grey_unranked(breakdown(0)), id="empty"),
    pytest.param(lambda: pd.DataFrame({"a": [1.5, None], "b": [Level.GRID, None]}).style, id="unformatted, an Enum"),
    pytest.param(lambda: pd.DataFrame({"a": range(30)}, index=list("abcdefghijklmnopqrstuvwxyz1234")).style
                 .format("{:03d}"), id="other index"),
    pytest.param(lambda: breakdown(20).style.hide([2, 5]).format(precision=3), id="hidden rows"),
])
def test_the_same_frame_as_streamlits_own(styler, monkeypatch):
    styled = styler()
    styles = translated(styled)
    expected = streamlits_own()(styled.data, styles)
    pd.testing.assert_frame_equal(streamlit_patches.use_display_values(styled.data, styles), expected)


def test_a_styler_trimmed_to_its_maximum_rows_keeps_the_other_rows_as_text():
    styled = breakdown(50).style.format(precision=4)
    with pd.option_context("styler.render.max_rows", 10):
        styles = translated(styled)
    expected = streamlits_own()(styled.data, styles)
    pd.testing.assert_frame_equal(streamlit_patches.use_display_values(styled.data, styles), expected)


def test_installed_only_for_the_streamlit_it_was_checked_against(monkeypatch):
    monkeypatch.setattr(styler_utils, "_use_display_values", streamlits_own())
    monkeypatch.setattr(arrow, "marshall_styler", styler_utils.marshall_styler)
    own_arg_name = streamlit_patches.replaced.get("_get_positional_arg_name", cache_utils._get_positional_arg_name)
    monkeypatch.setattr(cache_utils, "_get_positional_arg_name", own_arg_name)
    own_bytecode = streamlit_patches.replaced.get("ScriptCache.get_bytecode", ScriptCache.get_bytecode)
    monkeypatch.setattr(ScriptCache, "get_bytecode", own_bytecode)
    monkeypatch.setattr(streamlit, "__version__", "99.0.0")
    assert streamlit_patches.install() is False
    assert styler_utils._use_display_values is streamlits_own()
    assert cache_utils._get_positional_arg_name is own_arg_name
    assert arrow.marshall_styler is styler_utils.marshall_styler
    assert ScriptCache.get_bytecode is own_bytecode
    monkeypatch.setattr(streamlit, "__version__", streamlit_patches.PATCHED_FOR)
    assert streamlit_patches.install() is True
    assert styler_utils._use_display_values is streamlit_patches.use_display_values
    assert arrow.marshall_styler is streamlit_patches.marshall_styler_once
    assert streamlit_patches.replaced["marshall_styler"] is styler_utils.marshall_styler
    assert cache_utils._get_positional_arg_name is streamlit_patches.positional_arg_name
    assert ScriptCache.get_bytecode is streamlit_patches.script_bytecode
    assert streamlit_patches.install() is True  # twice: still the stand-in, the original still known
    assert streamlit_patches.replaced["_use_display_values"] is not streamlit_patches.use_display_values


@pytest.mark.parametrize("styler", [
    pytest.param(lambda: rates.grey_unranked.uncached(breakdown(9), "response_rate"), id="breakdown 9 rows"),
    pytest.param(lambda: rates.grey_unranked.uncached(breakdown(209)), id="breakdown 209 rows"),
    pytest.param(lambda: rates.grey_unranked.uncached(breakdown(0)), id="empty"),
    pytest.param(lambda: breakdown(20).style.hide([2, 5]).set_caption("说明").format(precision=3), id="caption, hidden rows"),
])
def test_a_styler_is_marshalled_once_and_each_time_as_streamlit_would(styler, monkeypatch):
    """st.dataframe(styler) on every run of every session: the kept breakdown Styler is marshalled once, and each
    run's proto is the one Streamlit's own marshall_styler makes."""
    calls = []

    def counted(proto, styled, default_uuid):
        calls.append(default_uuid)
        styler_utils.marshall_styler(proto, styled, default_uuid)

    monkeypatch.setitem(streamlit_patches.replaced, "marshall_styler", counted)
    styled = styler()
    expected = ArrowData()
    styler_utils.marshall_styler(expected, styled, "7")
    assert expected.styler.display_values  # something to compare
    runs = [ArrowData() for _ in range(3)]
    for proto in runs:
        streamlit_patches.marshall_styler_once(proto, styled, "7")
    assert calls == ["7"]
    assert all(proto == expected for proto in runs)
    other = ArrowData()
    streamlit_patches.marshall_styler_once(other, styled, "8")  # another place on the page: marshalled again
    assert calls == ["7", "8"]
    streamlit_patches.marshall_styler_once(ArrowData(), styler(), "7")  # another Styler object
    assert calls == ["7", "8", "7"]


def test_the_breakdown_styler_is_kept_for_equal_tables():
    first = rates.grey_unranked(breakdown(12), "response_rate")
    assert rates.grey_unranked(breakdown(12).copy(), "response_rate") is first
    assert rates.grey_unranked(breakdown(12)) is not first


def _plain(a, b, *rest, c=1, **more):
    return a


def test_a_cached_functions_argument_names_are_streamlits_and_looked_up_once(monkeypatch):
    """Streamlit names each positional argument of a cached function's call (to hash it, and to skip ``_name``
    arguments) with inspect.signature: remembered per function and index, the same names."""
    streamlit_patches.install()
    own = streamlit_patches.replaced["_get_positional_arg_name"]
    assert [streamlit_patches.positional_arg_name(_plain, i) for i in (-1, 0, 1, 2, 3)] == \
        [own(_plain, i) for i in (-1, 0, 1, 2, 3)] == [None, "a", "b", None, None]
    calls = []
    monkeypatch.setitem(streamlit_patches.replaced, "_get_positional_arg_name",
                        lambda func, i: calls.append(i) or own(func, i))
    streamlit_patches._remembered_arg_name.cache_clear()
    for _ in range(3):
        assert streamlit_patches.positional_arg_name(_plain, 1) == "b"
    assert calls == [1]
    streamlit_patches._remembered_arg_name.cache_clear()


def test_a_callable_that_cannot_be_a_key_is_named_as_streamlit_would():
    class Unhashable:
        __hash__ = None

        def __call__(self, a, b):
            return a

    streamlit_patches.install()
    own = streamlit_patches.replaced["_get_positional_arg_name"]
    func = Unhashable()
    assert streamlit_patches.positional_arg_name(func, 1) == own(func, 1) == "b"


@pytest.fixture
def compiles(monkeypatch):
    """The scripts Streamlit compiles (its magic rewrite runs once per compile), in order."""
    seen = []
    own = magic.add_magic
    monkeypatch.setattr(magic, "add_magic", lambda code, path: seen.append(path) or own(code, path))
    streamlit_patches.install()
    return seen


def test_a_script_is_compiled_once_although_each_new_session_clears_the_cache(tmp_path, compiles):
    """A new session clears the ScriptCache every session shares; the file has not changed, so its bytecode
    (what Streamlit's own method compiled) is handed back without compiling it again."""
    script = tmp_path / "page.py"
    script.write_text("import streamlit as st\nst.write('一屏')\n", encoding="utf-8")
    cache = ScriptCache()
    first = cache.get_bytecode(str(script))
    own = streamlit_patches.replaced["ScriptCache.get_bytecode"](ScriptCache(), str(script))
    assert first.co_code == own.co_code and first.co_consts == own.co_consts
    cache.clear()
    assert cache.get_bytecode(str(script)) is first
    assert ScriptCache().get_bytecode(str(script)) is first  # another runtime's cache (AppTest makes its own)
    assert compiles == [str(script), str(script)]  # ours, then Streamlit's own above


def test_a_script_changed_on_disk_is_compiled_again_without_a_file_watcher(tmp_path, compiles):
    """With the file watcher off nothing clears the cache when a page is edited: the file's new modification time
    and size make the next run compile the new text (Streamlit's own cache alone would hand back the old one)."""
    script = tmp_path / "page.py"
    script.write_text("x = 1\n", encoding="utf-8")
    cache = ScriptCache()
    old = cache.get_bytecode(str(script))
    script.write_text("x = 22\n", encoding="utf-8")
    os.utime(script, ns=(script.stat().st_atime_ns, script.stat().st_mtime_ns + 1_000_000))
    new = cache.get_bytecode(str(script))
    assert 22 in new.co_consts and 22 not in old.co_consts
    assert cache.get_bytecode(str(script)) is new
    assert compiles == [str(script), str(script)]


def test_a_missing_script_raises_streamlits_own_error(tmp_path):
    streamlit_patches.install()
    with pytest.raises(FileNotFoundError):
        ScriptCache().get_bytecode(str(tmp_path / "gone.py"))
