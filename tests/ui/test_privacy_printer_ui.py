"""Issue 12, parts 8 and 9 on the real app under Xvfb: an unavailable item's reason shows only
behind 详情; a printer condition holds the print button with its reason on the guide and the
preview, and the printer's recovery releases it. Normal size and 长辈模式, both orientations."""

from __future__ import annotations

import pytest

from tests.ui.test_app_ui import ARTIFACTS, run_script

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("landscape", [False, True], ids=["portrait", "landscape"])
def test_reasons_behind_detail_and_the_printer_held_before_the_decision(landscape: bool) -> None:
    out = ARTIFACTS / ("ui-privacy-printer" + ("-landscape" if landscape else ""))
    report = run_script("privacy_printer", out, *(["--landscape"] if landscape else []))
    assert report["ok"], report
    for mode in ("normal", "elder"):
        r = report["record"][mode]
        assert r["reasons_in_rows"] == [], "a platform's reason in the list's data"
        assert r["neutral_rows"] >= r["blocked"] >= 1
        assert r["revealed_others"] == [], "详情 opened more than its own row"
        assert r["row_hidden_on_leaving"] and r["guide_hidden_on_leaving"]
        assert "本机暂不能为您办理此事项" in r["guide_before"]
        assert not r["guide_reason_before_tap"], "the guide showed the reason unasked"
        hold, notice = r["detail_hold"]
        assert hold == "打印纸已用完" and "已通知工作人员" in notice
        assert r["detail_released"]
        hold, notice = r["preview_hold"]
        assert hold == "打印机盖未关好" and "已通知工作人员" in notice
        assert r["preview_released"] and r["jobs_while_held"] == 0
    shots = {p.name.split("-", 1)[1] for p in (out / "screens").glob("*.png")}
    for mode in ("normal", "elder"):
        for name in ("items_detail", "guide_detail", "detail_paper_out", "preview_cover_open"):
            assert f"{name}_{mode}.png" in shots, shots
