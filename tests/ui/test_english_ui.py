"""Issue 12 item 7 on the real app under Xvfb: English from the attract screen to goodbye for a
foreign permanent resident, with the certificate still printed in official Chinese.

The rule for an English screen: no visible label holds a Chinese character, except
- an item's name the platform gave only in Chinese (no ``name_en``: data the kiosk cannot
  translate, and the name the hall's staff will recognise),
- the citizen's own Chinese name (the masked name on their card),
- the frame's language switch back, "中文", which names Chinese in Chinese so that a reader of
  Chinese finds it (as "English" is named in English on a Chinese screen).
The certificate's preview is a picture of the Chinese paper, not a label, and is not read.
"""

from __future__ import annotations

import re

import pytest

from tests.ui.test_app_ui import ARTIFACTS, run_script

pytestmark = pytest.mark.ui

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
LANGUAGE_SWITCH = "中文"


def chinese_left(text: str, allowed: list[str]) -> str:
    """What is Chinese in a label once the allowed names are taken out ('' when nothing)."""
    for name in sorted(allowed, key=len, reverse=True):
        text = text.replace(name, "")
    if text.strip() == LANGUAGE_SWITCH:
        return ""
    return "".join(CJK.findall(text))


@pytest.mark.parametrize("landscape", [False, True], ids=["portrait", "landscape"])
def test_english_from_attract_to_goodbye(landscape):
    out = ARTIFACTS / ("ui-english" + ("-landscape" if landscape else ""))
    report = run_script("english", out, *(["--landscape"] if landscape else []))
    record = report["record"]
    assert report["ok"], record.get("failure")
    data = record["chinese_data"]
    allowed = [data["citizen_name"], *data["items_only_in_chinese"]]
    screens = record["english_screens"]
    assert set(screens) >= {
        "attract",
        "items",
        "item_detail",
        "preview",
        "take_documents",
        "rating",
        "goodbye",
    }
    for screen, texts in screens.items():
        left = {t: chinese_left(t, allowed) for t in texts}
        assert {t: c for t, c in left.items() if c} == {}, f"Chinese on the English {screen}"
    assert any("Social Security contribution certificate" in t for t in screens["items"])
    assert any(t.startswith("Hello, S") for t in screens["items"]), "greeted by the card's name"

    # the switch goes both ways, at once, on every label
    assert any("请将身份证放在感应区" in t for t in record["attract_back_in_chinese"])
    assert not record["suggested_when_english"], "nothing to offer someone already in English"

    # the paper stays official Chinese whatever the screen said
    printed = record["printed"]
    paper = printed["text"].replace("\n", "")
    assert printed["title"] in paper and printed["code"] in paper
    assert "验证码" in paper
    assert not re.search(r"Certificate|Verification|Case number|Valid until", paper)

    # the next citizen starts in Chinese
    assert record["next_citizen_language"] == "zh_CN"
    assert any("请将身份证放在感应区" in t for t in record["next_citizen_texts"])
    # a foreign card read on a Chinese screen: offered English by its English name, not switched
    assert record["language_before_the_offer_is_taken"] == "zh_CN"
    assert any(t.startswith("Welcome, I") for t in record["offer_texts"])
    assert "Continue in English" in record["offer_texts"]
    shots = {p.name.split("-", 1)[1] for p in (out / "screens").glob("*.png")}
    assert {"attract_en.png", "items_en.png", "goodbye_en.png", "items_offer.png"} <= shots
