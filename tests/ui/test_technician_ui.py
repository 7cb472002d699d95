"""Issue 13 item 2 on the real app under Xvfb: the technician's hidden entry held with real
touch events, a wrong PIN, the lock after five and after coming back, the right PIN once it ran
out (the kiosk's monotonic clock moved on), the devices and the outbox on screen, a test page,
restart asked for, leaving; each step a ``technician`` device event. Runs without the PC/SC
stack (shared by the machine)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kiosk.technician_desk import RESTART_EXIT_CODE
from tests.ui.test_app_ui import ARTIFACTS, ROOT, run_script

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("landscape", [False, True], ids=["portrait", "landscape"])
def test_technician_entry_lockout_and_screen(landscape):
    out = ARTIFACTS / ("ui-technician" + ("-landscape" if landscape else ""))
    report = run_script("technician", out, *(["--landscape"] if landscape else []))
    record = report["record"]
    seen = [s for _, s in report["screens_seen"]]
    assert seen.count("tech_pin") == 3 and seen.count("technician") == 1, seen
    assert seen[-1] == "attract"
    assert record["wrong_message"] == "密码错误"
    assert record["dots_after_wrong"] == "", "the digits typed are cleared"
    assert record["keypad_after_lock"] is False
    assert any("键盘已锁定，请 5 分 0 秒后再试" in t for t in record["locked_text"])
    assert 55 <= record["locked_for_after_4_min"] <= 60, "the lock outlives leaving"
    assert record["device_rows"] == [
        "tech.device:card_reader:sam",
        "tech.device:printer:",
        "tech.device:qr_scanner:qr",
    ]
    assert all("正常" in t for t in record["device_texts"]), record["device_texts"]
    assert "版本" in record["about"] and "已运行" in record["about"]
    assert "待发送" in record["outbox_before"] and "死信" in record["outbox_before"]
    assert record["test_print"][0] is True and record["test_page_title"]
    assert record["audit"][:7] == [["entry", "opened"]] + [["pin", "wrong"]] * 5 + [
        ["lockout", "started"]
    ]
    assert ["entry", "locked"] in record["audit"]
    assert record["card_result"] and record["card_result_masked"], record["card_result"]
    assert "*" in record["card_result"]
    assert "sam+serial://" in record["addresses"], "the configured port"
    for step in (
        ["pin", "right"],
        ["deliver_outbox", "requested"],
        ["test_print", "ok"],
        ["card_test", "read"],
        ["restart", "confirmed"],
        ["leave", "tap"],
    ):
        assert step in record["audit"], step
    # what the kiosk sends (the platform adds the record's id): nothing but the action
    assert set(record["audit_keys"]) - {"id"} == {"action", "at", "device_id", "event", "outcome"}
    assert record["pin_in_events"] is False
    shots = {p.name.split("-", 1)[1] for p in (out / "screens").glob("*.png")}
    assert {"tech_pin.png", "tech_pin_locked.png", "technician.png"} <= shots
    assert "identity_token" in record["scan_result"] and record["scan_result_masked"]
    assert record["log_lines"], "the latest log lines are shown"
    assert ["scan_test", "identity_token"] in record["audit"]


@pytest.mark.parametrize("landscape", [False, True], ids=["portrait", "landscape"])
def test_a_device_address_changed_on_the_screen_is_applied_without_a_restart(landscape):
    out = ARTIFACTS / ("ui-tech-address" + ("-landscape" if landscape else ""))
    report = run_script("tech_address", out, *(["--landscape"] if landscape else []))
    record = report["record"]
    seen = [s for _, s in report["screens_seen"]]
    assert seen.index("out_of_service") < seen.index("tech_address") < seen.index("items"), seen
    assert "baud" in record["refused"] and record["file_after_typo_unchanged"]
    assert record["typed"].startswith("sam+serial:///") and record["typed"].endswith("115200")
    assert record["address_result"].startswith("已保存并应用")
    assert record["file_has_new"] and record["backup_is_old"] and record["same_process"]
    assert "*" in record["card_test"]
    assert ["apply_address", "refused"] in record["audit"]
    assert ["apply_address", "applied"] in record["audit"]
    shots = {p.name.split("-", 1)[1] for p in (out / "screens").glob("*.png")}
    assert {
        "tech_address.png",
        "tech_address_refused.png",
        "technician_address_applied.png",
    } <= shots


def test_restart_ends_the_app_with_the_code_its_supervisor_restarts_on():
    """重启应用 for real (the other tests record the request instead): the process ends with
    RESTART_EXIT_CODE, which systemd's Restart=always restarts, having stopped cleanly."""
    out = ARTIFACTS / "ui-tech-restart"
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    command = [sys.executable, "-m", "main", "run", "--demo", "--headless"]
    proc = subprocess.run(
        [*command, "--script", "tech_restart", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )
    (out / "console.txt").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    assert proc.returncode == RESTART_EXIT_CODE, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    log = (out / "demo" / "logs" / "kiosk.jsonl").read_text()
    assert "technician: restarting the app" in log
