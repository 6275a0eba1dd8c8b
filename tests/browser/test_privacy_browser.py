"""What a big-screen (kiosk) browser actually receives holds no personal data.

Every websocket frame the server sends to a kiosk session of the big-screen pages is recorded and
searched for the callers' names, phone numbers, ID numbers and the free text of the tickets in the
test warehouse (read from ``ticket_pii``), and for any 11-digit mobile number at all. The frames are
Streamlit's protobuf messages: text in them is UTF-8, so a leaked value would appear as its bytes.
"""

from __future__ import annotations

import re

import duckdb
import pytest

from .conftest import open_page

pytestmark = pytest.mark.browser

KIOSK_PAGES = ["/?kiosk=1", "/lights?kiosk=1", "/heat?kiosk=1", "/companies?kiosk=1"]
# Not inside a longer token (element ids are hex strings that can hold 11 digits in a row).
MOBILE = re.compile(rb"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


def _personal_values(warehouse) -> dict[str, list[str]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select caller_name, caller_phone, content from ticket_pii "
            "where caller_name is not null or caller_phone is not null order by ticket_id limit 3000").fetchall()
    finally:
        con.close()
    # Full names of three characters or more: shorter ones are also ordinary words of the page
    # ("于红" in "低于红灯线"); two-character names are covered by the phone and text checks of the same rows.
    names = sorted({r[0] for r in rows if r[0] and len(r[0]) >= 3 and r[0] not in ("匿名",)})
    phones = sorted({r[1] for r in rows if r[1] and len(r[1]) >= 7})
    texts = sorted({r[2][:20] for r in rows if r[2] and len(r[2]) >= 20})
    return {"name": names, "phone": phones, "text": texts}


@pytest.mark.parametrize("path", KIOSK_PAGES)
def test_kiosk_frames_carry_no_personal_data(path, browser, streamlit_server, demo_warehouse, artifacts_dir):
    personal = _personal_values(demo_warehouse)
    assert personal["name"] and personal["phone"] and personal["text"], "the warehouse has personal data to look for"
    frames: list[bytes] = []
    with open_page(browser, streamlit_server, artifacts_dir, width=1920, height=1080) as bp:
        def record(ws):
            ws.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, bytes)
                                                                 else payload.encode("utf-8")))

        bp.page.on("websocket", record)
        bp.goto(path)
        bp.wait_charts()
    received = b"".join(frames)
    assert len(received) > 10_000, "the page sent almost nothing: the scan would prove nothing"
    assert "数据截至".encode("utf-8") in received  # the frames are readable UTF-8 text
    contexts = [received[max(0, m.start() - 40):m.end() + 10] for m in MOBILE.finditer(received)]
    assert contexts == []
    leaked = {kind: [v for v in values if v.encode("utf-8") in received] for kind, values in personal.items()}
    assert leaked == {"name": [], "phone": [], "text": []}
