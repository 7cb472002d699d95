"""投诉与建议 on the real Kivy app under Xvfb: one complaint from the attract screen while the
platform answers, one from goodbye while it is away; the number typed on the keypad shows
masked, the complaint waiting offline lies in the outbox sealed, and both reach the reference
platform and leave the disk. Screenshots in tests/artifacts/ui-complaints*/."""

from __future__ import annotations

import pytest
from test_app_ui import ARTIFACTS, run_script, subsequence

from devkit.complaint_script import MASKED, PHONE

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("landscape", [False, True], ids=["portrait", "landscape"])
def test_a_complaint_online_and_one_after_an_outage(landscape: bool) -> None:
    out = ARTIFACTS / ("ui-complaints" + ("-landscape" if landscape else ""))
    report = run_script("complaints", out, *(["--landscape"] if landscape else []))
    record = report.get("record", {})
    assert report["ok"], record.get("failure")
    seen = [s for _, s in report["screens_seen"]]
    online = ["attract", "complaint", "complaint_sent", "attract"]
    offline = ["rating", "goodbye", "complaint", "complaint_sent", "attract"]
    assert subsequence([*online, "items", *offline], seen), seen

    assert record["shown"] == [MASKED, MASKED]
    assert record["waiting_while_offline"] == 1
    assert record["stored_fields"] == ["box", "sealed"], "only the sealed box waited on disk"
    assert record["in_clear_while_offline"] == [] and record["in_clear_after"] == []
    first, second = record["complaints"]
    for c in (first, second):
        assert c["callback_phone"] == PHONE and c["callback_consent"] is True
        assert c["category"] == "efficiency" and c["phrases"] == ["long_wait", "many_trips"]
        assert c["deliveries"] == 1
    assert first["complaint_id"] != second["complaint_id"]
    assert record["session_after"]
    shots = {p.name.split("-", 1)[1] for p in (out / "screens").glob("*.png")}
    assert {"complaint_ready.png", "complaint_offline_sent.png", "goodbye.png"} <= shots
