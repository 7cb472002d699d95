"""Issue 12 item 4 on the real app under Xvfb: 呼叫工作人员 shown as "已呼叫工作人员" until hall
staff acknowledge it from the platform (the heartbeat's reply) and, a second time, at the kiosk
(held); ‹ 返回 from an item's guide to the list, and from the list one question before the
session ends; "请取走身份证" on the attract screen until the card is taken."""

from __future__ import annotations

import pytest

from tests.ui.test_app_ui import ARTIFACTS, run_script

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("landscape", [False, True], ids=["portrait", "landscape"])
def test_help_is_seen_and_back_goes_one_step(landscape):
    out = ARTIFACTS / ("ui-help" + ("-landscape" if landscape else ""))
    report = run_script("help_seen", out, *(["--landscape"] if landscape else []))
    record = report["record"]
    assert report["ok"], report.get("record", {}).get("failure")
    call = record["call"]
    assert call["screen"] == "items" and call["call_id"] == record["call_shown"]
    assert any("工作人员已收到呼叫" in t for t in record["acknowledged_texts"])
    first, second = record["calls"]
    assert record["kiosk_ack"] == [{"call_id": second, "by": "kiosk"}] and first != second
    seen = [s for _, s in report["screens_seen"]]
    back = seen[seen.index("item_detail") :]
    assert back[:3] == ["item_detail", "items", "attract"], "one step back, then leaving"
    assert record["asked_in"] == "items" and record["session_while_asking"]
    assert "请取走身份证" in record["attract_texts"]
    assert record["staff_call_cleared"], "the call ended with the session"
    assert record["take_card_after_removal"] is False
    shots = {p.name.split("-", 1)[1] for p in (out / "screens").glob("*.png")}
    assert {
        "items_staff_called.png",
        "items_staff_acknowledged.png",
        "items_confirm_leave.png",
        "attract_take_card.png",
    } <= shots
