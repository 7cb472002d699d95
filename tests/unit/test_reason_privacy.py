"""An item's unavailable reason is the citizen's business: the screen says only a neutral
sentence, and the platform's reason shows behind 详情 (docs/privacy.md, "On screen")."""

from __future__ import annotations

import json
import logging
import tempfile

from test_journey import Driver, guide, item, to_items

import main
from kiosk import journey as j
from kiosk.events import Action, GuideLoaded
from kiosk.journey.core import REVEAL_SECONDS

main.kivy_environment(tempfile.mkdtemp(prefix="kivy-unit-"))

from screens.item_list import rows  # noqa: E402

NEUTRAL = "本机暂不能为您办理此事项，请咨询窗口"
PERSONAL = {  # what platforms answer: each states something about the person
    "I3": "您不属于城乡低保对象，需到民政窗口核实",
    "I4": "未查询到您的残疾人证信息",
    "I5": "您已办理失业登记，请到就业窗口办理",
}


def blocked_items():
    return tuple(item(code, available=False, reason=why) for code, why in PERSONAL.items())


def list_data(d: Driver) -> list[dict]:
    jn = d.journey
    return rows(
        jn.session.items,
        jn.item_blocked_reason,
        header_height=10,
        row_height=100,
        prefix="items",
        can_reveal=jn.can_reveal,
        revealed=jn.revealed_reason,
    )


def shown(data: list[dict]) -> str:
    return " ".join(str(v) for row in data for v in row.values())


def start() -> Driver:
    d = Driver()
    to_items(d, (item("I1"), *blocked_items()))
    return d


def test_the_list_says_only_the_neutral_sentence_whatever_the_reason():
    d = start()
    for it in blocked_items():
        assert d.journey.item_blocked_reason(it) == NEUTRAL
        assert d.journey.can_reveal(it)
    text = shown(list_data(d))
    assert text.count(NEUTRAL) == len(PERSONAL)
    for why in PERSONAL.values():
        assert why not in text
    assert not d.journey.can_reveal(item("I6", available=False)), "nothing more to show"


def test_detail_reveals_one_row_only_and_hides_again():
    d = start()
    d.tap(Action.REVEAL_REASON, "I4")
    data = list_data(d)
    (row,) = [r for r in data if r.get("item_code") == "I4"]
    assert row["detail"] == PERSONAL["I4"] and row["reason"] == NEUTRAL
    others = shown([r for r in data if r.get("item_code") != "I4"])
    assert PERSONAL["I3"] not in others and PERSONAL["I5"] not in others
    d.tap(Action.REVEAL_REASON, "I4")  # 收起
    assert PERSONAL["I4"] not in shown(list_data(d))
    d.tap(Action.REVEAL_REASON, "I3")
    d.wait(REVEAL_SECONDS)
    assert PERSONAL["I3"] not in shown(list_data(d)), "hidden again after its time"
    d.tap(Action.REVEAL_REASON, "I5")
    d.tap(Action.SELECT_ITEM, "I5")  # leaving the screen hides it
    assert d.state is j.State.ITEM_DETAIL
    assert d.journey.revealed_reason(item("I5", available=False, reason=PERSONAL["I5"])) == ""
    d.tap(Action.BACK)
    assert PERSONAL["I5"] not in shown(list_data(d))


def test_the_guide_of_an_item_for_a_window_shows_the_reason_only_behind_detail():
    d = start()
    it = blocked_items()[0]
    d.tap(Action.SELECT_ITEM, it.item_code)
    d(GuideLoaded(guide(it)))
    assert d.journey.revealed_reason(it) == ""
    d.tap(Action.REVEAL_REASON)
    assert d.journey.revealed_reason(it) == PERSONAL["I3"]
    d.tap(Action.REVEAL_REASON)
    assert d.journey.revealed_reason(it) == ""
    d.tap(Action.REVEAL_REASON)
    d.wait(600)  # the session times out: the next citizen sees nothing of it
    assert d.state is j.State.ATTRACT and d.journey.revealed is None


def test_an_available_item_has_no_detail_to_open():
    d = start()
    d.tap(Action.REVEAL_REASON, "I1")
    assert d.journey.revealed is None


def test_no_reason_in_the_logs(caplog):
    caplog.set_level(logging.DEBUG)
    d = start()
    for code in PERSONAL:
        d.tap(Action.REVEAL_REASON, code)
        d.tap(Action.SELECT_ITEM, code)
        d.tap(Action.REVEAL_REASON)
        d.tap(Action.BACK)
    logged = caplog.text + " ".join(repr(t) for t in d.trace) + repr(d.journey.session.items)
    assert "journey:" in caplog.text, "the journey logged its way"
    for why in PERSONAL.values():
        assert why not in logged


def test_a_refusal_for_eligibility_keeps_its_reason_out_of_the_error_detail():
    """The platform's 403 not_eligible may carry the reason: the log gets the code only."""
    import requests

    from kiosk.platform import _status_error

    resp = requests.Response()
    resp.status_code = 403
    body = {"error": {"code": "not_eligible", "message": f"不符合办理条件：{PERSONAL['I3']}"}}
    resp._content = json.dumps(body, ensure_ascii=False).encode()
    resp.headers["Content-Type"] = "application/json"
    error = _status_error(resp, "POST", "/v1/cases", 0.0)
    assert error.code == "not_eligible" and "not_eligible" in error.detail
    assert PERSONAL["I3"] not in error.detail + str(error) + error.message
