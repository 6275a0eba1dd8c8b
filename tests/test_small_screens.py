"""Phones and tablets without a browser: which User-Agents are a touch screen's, and what ``ui.plotly_chart`` hands
Streamlit for one (a copy without a drag mode; the shared figure is left as built). The pages themselves at 390 and
768 px: tests/browser/test_mobile_browser.py."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from onescreen import ui

PHONES_AND_TABLETS = [
    # WeChat's in-app browser on Android and on an iPhone, Chrome on an Android tablet, Safari on an iPhone.
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36 "
    "MicroMessenger/8.0.50",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
    "MicroMessenger/8.0.50",
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Mobile/15E148 Safari/604.1",
]
DESKTOPS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    # WeChat for Windows opens links in its own browser: a desktop with a mouse.
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0 Safari/537.36 "
    "NetType/WIFI MicroMessenger/7.0.20 WindowsWechat",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0 Safari/537.36",
    "",
    None,
]


@pytest.mark.parametrize("agent", PHONES_AND_TABLETS)
def test_phones_and_tablets_are_touch_screens(agent):
    assert ui.is_touch_agent(agent)


@pytest.mark.parametrize("agent", DESKTOPS)
def test_desktops_are_not(agent):
    assert not ui.is_touch_agent(agent)


def test_a_phone_gets_a_copy_of_the_figure_without_a_drag_mode(monkeypatch):
    """Figures are shared between sessions (onescreen.figures.shared): the phone's change is made on a copy."""
    shown = []
    monkeypatch.setattr(ui.st, "plotly_chart", lambda figure, **kwargs: shown.append((figure, kwargs)))
    from onescreen.figures import KeptFigure

    figure = KeptFigure(go.Bar(x=["响应率"], y=[96.4]))  # as figures.shared keeps it: one dict, handed out again
    monkeypatch.setattr(ui, "is_touch_device", lambda: True)
    ui.plotly_chart(figure, width="stretch", key="k")
    monkeypatch.setattr(ui, "is_touch_device", lambda: False)
    ui.plotly_chart(figure, width="stretch", key="k")
    (phone, phone_kwargs), (desktop, desktop_kwargs) = shown
    assert phone["layout"]["dragmode"] is False and list(phone["data"][0]["y"]) == [96.4]
    assert desktop is figure and figure.layout.dragmode is None
    assert "dragmode" not in figure.to_dict()["layout"]  # the kept dict, which every session's chart is drawn from
    assert phone_kwargs == desktop_kwargs == {"width": "stretch", "key": "k"}
