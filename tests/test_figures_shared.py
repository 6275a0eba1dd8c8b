"""``onescreen.figures.shared``: a figure built once per distinct input and handed to every later caller."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import json

import pandas as pd
import plotly.graph_objects as go
import pytest
from pandas.io.formats.style import Styler
from plotly.utils import PlotlyJSONEncoder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import onescreen.figures as figures_pkg  # noqa: E402
from onescreen.figures import rates, shared  # noqa: E402


def shares_frame(grid_share: float = 60.0) -> pd.DataFrame:
    return pd.DataFrame({
        "handling_level": ["grid", "community"], "handling_level_label": ["网格", "社区"],
        "closed_count": [6, 4], "escalation_denominator": [10, 10], "share": [grid_share, 100 - grid_share],
    })


def test_equal_inputs_get_the_same_figure_and_it_is_the_builders_figure():
    first = rates.escalation_figure(shares_frame())
    again = rates.escalation_figure(shares_frame().copy())  # equal by value, another object
    assert again is first
    assert first.to_dict() == rates.escalation_figure.uncached(shares_frame()).to_dict()


def test_a_kept_figure_makes_its_dict_once():
    """st.plotly_chart asks every figure for its dict (a deep copy of the figure): a kept one makes it once."""
    kept = rates.escalation_figure(shares_frame(41.0))
    plain = rates.escalation_figure.uncached(shares_frame(41.0))
    assert isinstance(kept, figures_pkg.KeptFigure) and type(plain) is go.Figure
    assert kept.to_dict() is kept.to_dict()
    assert kept.to_dict() == plain.to_dict() == go.Figure.to_dict(kept)
    assert plain.to_dict() is not plain.to_dict()


def test_different_values_or_arguments_build_another_figure():
    sixty = rates.escalation_figure(shares_frame(60.0))
    seventy = rates.escalation_figure(shares_frame(70.0))
    assert seventy is not sixty
    assert [bar.x[0] for bar in seventy.data] == [70.0, 30.0]
    assert [bar.x[0] for bar in sixty.data] == [60.0, 40.0]
    renamed = shares_frame().rename(index={0: 5})  # same values, other index labels
    assert rates.escalation_figure(renamed) is not sixty


def test_keyword_arguments_are_part_of_the_inputs():
    breakdown = pd.DataFrame({"unit_code": ["a", "b"], "unit_name": ["甲", "乙"], "overdue_count": [3, 1],
                              "near_deadline_count": [1, 2]})
    one = rates.overdue_bar(breakdown, top=1)
    two = rates.overdue_bar(breakdown, top=2)
    assert one is not two
    assert list(one.data[0].y) == ["甲"] and sorted(two.data[0].y) == ["乙", "甲"]


def test_an_input_without_a_pickle_is_built_every_time():
    calls = []

    @shared
    def build(value, how):
        calls.append(value)
        return [value]

    assert build(1, how=lambda x: x) is not build(1, how=lambda x: x)
    assert calls == [1, 1]
    assert build(date(2026, 1, 1), how="same") is build(date(2026, 1, 1), how="same")
    assert len(calls) == 3


def test_the_oldest_figures_are_dropped_beyond_the_limit(monkeypatch):
    monkeypatch.setattr(figures_pkg, "SHARED_MAX", 3)
    monkeypatch.setattr(figures_pkg, "_shared", type(figures_pkg._shared)())
    built = []

    @shared
    def build(value):
        built.append(value)
        return [value]

    first = build(0)
    for value in (1, 2, 3):
        build(value)
    assert len(figures_pkg._shared) == 3
    assert build(3) is build(3) and built == [0, 1, 2, 3]
    assert build(0) is not first  # dropped, built again
    assert built == [0, 1, 2, 3, 0]


@pytest.mark.parametrize("builder", [
    rates.rates_trend_figure, rates.breakdown_bar, rates.handling_time_figure, rates.escalation_figure,
    rates.overdue_bar])
def test_rates_builders_are_shared(builder):
    assert builder.uncached is not builder


def test_clear_shared_forgets_every_figure():
    first = rates.escalation_figure(shares_frame(55.0))
    figures_pkg.clear_shared()
    assert len(figures_pkg._shared) == 0
    assert rates.escalation_figure(shares_frame(55.0)) is not first


def _shown(value) -> str:
    """A value kept by figures.shared in a form that shows any change made to it."""
    if isinstance(value, pd.DataFrame):
        return value.to_json(date_format="iso")
    if isinstance(value, Styler):  # the breakdown table's (what it shows: values, formats, colours)
        return value.to_html()
    if isinstance(value, go.Figure):  # from the figure itself, not the dict a KeptFigure keeps
        return json.dumps(go.Figure.to_dict(value), cls=PlotlyJSONEncoder, sort_keys=True)
    return value if isinstance(value, str) else value.to_json()


def test_no_page_changes_a_shared_figure_or_table(warehouse_copy, monkeypatch):
    """Every page runs (desk and wall): what figures.shared hands out must still be as it was built, since a
    page that changed a shared figure or table would change it for every session."""
    from streamlit.testing.v1 import AppTest

    built: dict = {}

    class Recording(type(figures_pkg._shared)):
        def __setitem__(self, key, value):
            built[key] = _shown(value)
            super().__setitem__(key, value)

    monkeypatch.setattr(figures_pkg, "_shared", Recording())
    root = Path(__file__).resolve().parent.parent
    pages = sorted(p.name for p in (root / "app_pages").glob("*.py") if p.name not in ("upload.py", "audit.py"))
    for query in ({}, {"kiosk": "1"}):
        for page in pages:
            at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
            for name, value in query.items():
                at.query_params[name] = value
            at.run()
            at.switch_page(f"app_pages/{page}")
            at.run()
            at.run()  # a rerun gets the kept figures
            assert not at.exception, (page, query)
    kept = dict(figures_pkg._shared.items())
    assert len(kept) >= 10, "the pages used fewer shared figures than they draw"
    assert {key: _shown(value) for key, value in kept.items()} == {key: built[key] for key in kept}
    # Nor the dict a kept figure hands st.plotly_chart (figures.KeptFigure): drawn from, by every session.
    dicts = {key: value.__dict__["_kept_dict"] for key, value in kept.items() if "_kept_dict" in getattr(value, "__dict__", {})}
    assert dicts, "no page drew a kept figure"
    assert {key: json.dumps(d, cls=PlotlyJSONEncoder, sort_keys=True) for key, d in dicts.items()} == {key: built[key] for key in dicts}


def test_a_shared_table_comes_as_a_view_of_its_own():
    builds = []

    @shared
    def table(n):
        builds.append(n)
        return pd.DataFrame({"单位": [f"u{i}" for i in range(n)], "值": range(n)})

    first = table(3)
    first["单位"] = "changed"
    first.loc[0, "值"] = 99
    first.index.name = "renamed"
    again = table(3)
    assert list(again["单位"]) == ["u0", "u1", "u2"] and list(again["值"]) == [0, 1, 2]
    assert again.index.name is None
    assert builds == [3]  # built once, handed out twice
