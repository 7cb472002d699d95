"""一次性告知 on the real Kivy app under Xvfb: a citizen whose items must be done at a window
prints a slip with a queue number, then one while the hall's queuing system is down; the slip
reaches the printer emulator, is drawn to PNG, and its QR decodes to the guide's address.
Screenshots and the slips' PNGs are in tests/artifacts/ui-notice*/ for a person to look at."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from test_app_ui import ARTIFACTS, run_script, subsequence

from devkit.people import BY_KEY

pytestmark = pytest.mark.ui

ZXING = "/usr/bin/ZXingReader"


def decode_qr(path: Path) -> str:
    out = subprocess.run(
        [ZXING, "-format", "QRCode", "-bytes", str(path)],
        capture_output=True,
        timeout=30,
        check=True,
    )
    return out.stdout.decode("utf-8")


@pytest.mark.parametrize("landscape", [False, True], ids=["portrait", "landscape"])
def test_a_slip_with_a_queue_number_and_one_without(landscape: bool) -> None:
    out = ARTIFACTS / ("ui-notice" + ("-landscape" if landscape else ""))
    report = run_script("notice", out, *(["--landscape"] if landscape else []))
    assert report["ok"], report.get("record", {}).get("failure")
    seen = [s for _, s in report["screens_seen"]]
    slip = ["items", "item_detail", "notice_printing", "notice_taken", "items"]
    assert subsequence(slip + slip[1:] + ["attract"], seen), seen

    with_number, without = report["record"]["notices"]
    assert with_number["queue_outcome"] == "issued"
    assert with_number["number"] == f"{with_number['window']}-001"
    assert without["queue_outcome"] == "unavailable" and without["number"] == ""
    assert "取号机" in "".join(without["text"].split())
    numbers = report["record"]["queue_numbers"]
    assert [(n["window"], n["last"]) for n in numbers] == [(with_number["window"], 1)], (
        "no number was taken while the queue was down, and none twice"
    )
    assert report["record"]["session_after"]

    person = BY_KEY["zhang_wei"].card()
    for printed in (with_number, without):
        text = "".join(printed["text"].split())
        assert person.name not in text and person.number[:6] not in text, "nothing personal"
        png = Path(printed["png"])
        assert png.is_file()
        if Path(ZXING).exists():
            assert decode_qr(png) == printed["guide_url"]
        shutil.copy(png, out / f"slip-{printed['queue_outcome']}.png")
    if not Path(ZXING).exists():
        pytest.skip("ZXingReader (Debian zxing-cpp-tools) not installed: the QR was not decoded")
    shots = {p.name.split("-", 1)[1] for p in (out / "screens").glob("*.png")}
    assert {"notice_detail.png", "notice_taken.png", "notice_no_number_taken.png"} <= shots
