"""Issue 13 on the real app under Xvfb: each required device failing and coming back by itself;
the lockdown (Escape, the close request, an exception behind a button). Runs without the PC/SC stack (shared by the machine)."""

from __future__ import annotations

import pytest

from tests.ui.test_app_ui import ARTIFACTS, run_script

pytestmark = pytest.mark.ui

PLANTED = "张三丰"  # the name in the planted bug's message (the masking filter knows no names)


@pytest.mark.parametrize("landscape", [False, True], ids=["portrait", "landscape"])
def test_each_required_device_fails_and_the_kiosk_returns_by_itself(landscape):
    out = ARTIFACTS / ("ui-availability" + ("-landscape" if landscape else ""))
    report = run_script("availability", out, *(["--landscape"] if landscape else []))
    seen = [s for _, s in report["screens_seen"]]
    # out, and back by itself, once per device (the reader's once more: list and 证明核验)
    assert seen.count("out_of_service") == 5 and seen[-1] == "attract", seen
    record = report["record"]
    assert record["reasons"] == {
        "card_reader": "身份证读卡器暂时不能使用",
        "printer": "打印机暂时不能使用",
        "qr_scanner": "扫码器暂时不能使用",
    }
    assert record["offered"] == {
        "card_reader": ["browse", "verify"],
        "printer": ["browse", "verify"],
        "qr_scanner": ["browse"],
    }
    for kind, texts in record["texts"].items():
        shown = " ".join(texts)
        assert record["reasons"][kind] in shown and "人工窗口" in shown
        assert "0351" not in shown and "电话" not in shown, "no maintenance phone for citizens"
    events = record["out_of_service_events"]
    assert [(e["device"], e["state"]) for e in events] == [
        ("card_reader:sam", "no_device"),
        ("printer", "no_device"),
        ("qr_scanner:qr", "no_device"),
    ]
    assert all(e["detail"] for e in events), "the technician's reason"
    assert record["in_service_events"] == 3
    shots = {p.name.split("-", 1)[1] for p in (out / "screens").glob("*.png")}
    assert {f"out_of_service_{kind}.png" for kind in record["reasons"]} <= shots


def test_escape_and_close_are_refused_and_an_exception_in_a_handler_shows_the_error_screen():
    out = ARTIFACTS / "ui-lockdown"
    report = run_script("lockdown", out)
    record = report["record"]
    assert record["exit_on_escape"] is False
    assert record["escape_swallowed"] and record["close_refused"]
    assert record["error_title"] == "操作未能完成"
    assert record["handler_failures"] == 1 and record["handler_failures_at_end"] == 1
    seen = [s for _, s in report["screens_seen"]]
    error = seen.index("error")
    assert seen[error + 1] == "attract", "back to the attract screen by itself"
    assert "items" in seen[error:], "and serving the next citizen"
    logs = [
        f.read_text(errors="replace") for f in (out / "demo" / "logs").rglob("*") if f.is_file()
    ]
    assert any("UI error kept from the citizen: ValueError" in text for text in logs)
    assert not any(PLANTED in text for text in logs), "the exception's message is not logged"
    assert PLANTED not in (out / "console.txt").read_text()
