"""办件凭条 on the real Kivy app under Xvfb: a certificate declined on the preview (不打印),
then the short slip printed from the take-away screen; its PNG's QR decodes to the case's page.
Screenshots and the slip's PNG are in tests/artifacts/ui-case-slip*/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_app_ui import ARTIFACTS, run_script, subsequence
from test_notice_ui import ZXING, decode_qr

from devkit.people import BY_KEY

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("landscape", [False, True], ids=["portrait", "landscape"])
def test_a_declined_certificate_gets_its_slip(landscape: bool) -> None:
    out = ARTIFACTS / ("ui-case-slip" + ("-landscape" if landscape else ""))
    report = run_script("case_slip", out, *(["--landscape"] if landscape else []))
    assert report["ok"], report.get("record", {}).get("failure")
    seen = [s for _, s in report["screens_seen"]]
    assert subsequence(
        ["preview", "take_documents", "slip_printing", "take_documents", "rating", "attract"], seen
    ), seen
    assert "printing" not in seen, "the certificate itself was not printed"
    slip = report["record"]["slip"]
    text = "".join(slip["text"].split())
    assert slip["case_no"] in text and "办件凭条" in text
    person = BY_KEY["zhang_wei"].card()
    assert person.name not in text and person.number[:6] not in text
    png = Path(slip["png"])
    assert png.is_file()
    shutil.copy(png, out / "slip.png")
    if not Path(ZXING).exists():
        pytest.skip("ZXingReader (Debian zxing-cpp-tools) not installed: the QR was not decoded")
    assert decode_qr(png) == slip["qr_content"]
