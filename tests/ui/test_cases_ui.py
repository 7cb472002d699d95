"""办件查询 on the real Kivy app under Xvfb: the demo citizen's cases in each state with their
dates, 再次打印 held back while the paper is out, then a certificate printed once more and the
reprint recorded at the reference platform; its PNG's QR decodes to the certificate's
verification page. Screenshots and the PNG are in tests/artifacts/ui-cases*/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_app_ui import ARTIFACTS, run_script, subsequence
from test_notice_ui import ZXING, decode_qr

from devkit.platform_server import DEMO_DEVICE_ID
from kiosk.cases import CaseState

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("landscape", [False, True], ids=["portrait", "landscape"])
def test_cases_are_listed_and_a_certificate_is_printed_once_more(landscape: bool) -> None:
    out = ARTIFACTS / ("ui-cases" + ("-landscape" if landscape else ""))
    report = run_script("cases", out, *(["--landscape"] if landscape else []))
    record = report.get("record", {})
    assert report["ok"], record.get("failure")
    seen = [s for _, s in report["screens_seen"]]
    assert subsequence(["items", "cases", "reprinting", "cases", "items", "attract"], seen), seen
    assert record["states"] == sorted(s.value for s in CaseState)
    reprint = record["reprint"]
    (recorded,) = record["reprints"]
    assert recorded["case_no"] == reprint["case_no"] and recorded["device_id"] == DEMO_DEVICE_ID
    assert recorded["number"] == 1
    text = "".join(reprint["text"].split())
    assert reprint["code"] and reprint["code"] in text
    png = Path(reprint["png"])
    assert png.is_file()
    shutil.copy(png, out / "reprint.png")
    if not Path(ZXING).exists():
        pytest.skip("ZXingReader (Debian zxing-cpp-tools) not installed: the QR was not decoded")
    decoded = decode_qr(png)
    assert decoded in reprint["qr_payloads"] and "/v/" in decoded
