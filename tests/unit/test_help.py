"""Help that is seen: 呼叫工作人员 until staff acknowledge, ‹ 返回 one step back (leaving asks
once), "请取走身份证" at every end while the card lies on the reader, and notices that belong
to the session that caused them. The journey alone: no display, device or network."""

from __future__ import annotations

import pytest

from kiosk import journey as j
from kiosk import messages
from kiosk.events import (
    Action,
    CardDetected,
    CardRemoved,
    CatalogueLoaded,
    GuideLoaded,
    HandlerFailed,
    StaffCallAcknowledged,
)
from kiosk.journey.core import NOTICE_SECONDS
from kiosk.journey.machine import ROUTES
from kiosk.journey.phase import LEAVE
from kiosk.models import Catalogue
from tests.unit.test_journey import Driver, guide, item, to_items


def ended(effects) -> list[str]:
    return [e.reason for e in effects if isinstance(e, j.SessionEnded)]


# ---- 呼叫工作人员 ------------------------------------------------------------------------------


def test_a_call_stays_shown_on_every_screen_until_staff_acknowledge_at_the_kiosk():
    d = Driver()
    to_items(d)
    (call,) = d.tap(Action.CALL_STAFF)
    assert isinstance(call, j.CallStaff) and call.state == "items" and call.call_id
    shown = d.journey.staff_call
    assert shown is not None and not shown.acknowledged
    d.tap(Action.SELECT_ITEM, "I1")  # the citizen goes on while waiting
    d(GuideLoaded(guide(item("I1"))))
    assert d.state is j.State.ITEM_DETAIL
    assert d.journey.staff_call is shown and not shown.acknowledged, (
        "still 已呼叫 on the next screen"
    )
    assert d.tap(Action.CALL_STAFF) == [], "one call until acknowledged: staff are coming"
    (answered,) = d.tap(Action.STAFF_ACK)
    assert answered == j.StaffCallAnswered(call.call_id), "the platform hears it too"
    assert d.journey.staff_call.acknowledged
    assert d.tap(Action.STAFF_ACK) == []


def test_a_call_acknowledged_from_the_platform_and_only_that_call():
    d = Driver()
    to_items(d)
    (call,) = d.tap(Action.CALL_STAFF)
    d(StaffCallAcknowledged("some-other-call"))
    assert not d.journey.staff_call.acknowledged
    v = d.journey.version
    d(StaffCallAcknowledged(call.call_id))
    assert d.journey.staff_call.acknowledged and d.journey.version > v, "the screen redraws"
    (again,) = d.tap(Action.CALL_STAFF)
    assert again.call_id != call.call_id, "after an acknowledgement a tap is a new call"
    assert not d.journey.staff_call.acknowledged


def test_a_call_ends_with_its_session_and_a_late_acknowledgement_changes_nothing():
    d = Driver()
    to_items(d)
    (call,) = d.tap(Action.CALL_STAFF)
    d.tap(Action.EXIT)
    assert d.state is j.State.ATTRACT and d.journey.staff_call is None
    d(StaffCallAcknowledged(call.call_id))
    assert d.journey.staff_call is None
    assert d.journey.notice == "", "no 已呼叫 word left for the next citizen"


def test_a_call_from_the_attract_screen_lapses_when_nobody_stayed():
    d = Driver()
    d.tap(Action.CALL_STAFF)
    d.wait(59)
    assert d.journey.staff_call is not None, "staff may take a while"
    d.wait(2)
    assert d.journey.staff_call is None, "not shown to the next citizen"


def test_a_call_from_the_attract_screen_stays_with_the_session_it_begins():
    d = Driver()
    d.tap(Action.CALL_STAFF)
    call = d.journey.staff_call
    to_items(d)
    d.wait(50)
    assert d.journey.staff_call is call


# ---- ‹ 返回 --------------------------------------------------------------------------------


def test_back_from_the_detail_goes_to_the_list_and_from_the_list_asks_once():
    d = Driver()
    to_items(d)
    d.tap(Action.SELECT_ITEM, "I1")
    d.tap(Action.BACK)
    assert d.state is j.State.ITEMS and d.journey.session is not None
    assert d.tap(Action.BACK) == [], "the first screen of the session: asked, not ended"
    assert d.state is j.State.ITEMS and d.journey.session is not None
    assert d.journey.confirm_leave
    d.tap(Action.LEAVE, "no")
    assert not d.journey.confirm_leave and d.journey.session is not None
    d.tap(Action.BACK)
    assert ended(d.tap(Action.LEAVE, "yes")) == ["back"]
    assert d.state is j.State.ATTRACT and d.journey.session is None


def test_the_question_stands_through_the_frames_buttons_and_goes_with_anything_else():
    d = Driver()
    to_items(d)
    d.tap(Action.BACK)
    d.tap(Action.MORE_TIME)
    d.tap(Action.CALL_STAFF)
    assert d.journey.confirm_leave
    d.tap(Action.SELECT_ITEM, "I1")
    assert d.state is j.State.ITEM_DETAIL and not d.journey.confirm_leave
    assert d.tap(Action.LEAVE, "yes") == [] and d.journey.session is not None


def test_a_timeout_while_asking_ends_the_session_as_any_timeout():
    d = Driver()
    to_items(d)
    d.tap(Action.BACK)
    assert ended(d.wait(61)) == ["timeout"]
    assert not d.journey.confirm_leave


@pytest.mark.parametrize(
    ("state", "target"),
    [
        (j.State.CATALOGUE, j.State.ATTRACT),
        (j.State.ITEMS, LEAVE),
        (j.State.PHONE, j.State.ATTRACT),
        (j.State.ENTERPRISE, j.State.ATTRACT),
        (j.State.REPRESENTATIVE, LEAVE),
        (j.State.VERIFY_SCAN, j.State.ATTRACT),
        (j.State.VERIFY_RESULT, j.State.ATTRACT),
    ],
)
def test_every_screen_with_a_back_button_says_where_it_leads(state, target):
    d = Driver()
    assert ROUTES.backs[state](d.journey) == target


def test_back_from_a_browsed_guide_goes_to_the_list():
    d = Driver()
    d.tap(Action.BROWSE)
    d(CatalogueLoaded(Catalogue((item("I1"),), "v1"), 0.0))
    d.tap(Action.SELECT_ITEM, "I1")
    assert d.state is j.State.ITEM_DETAIL
    d.tap(Action.BACK)
    assert d.state is j.State.CATALOGUE and d.journey.browse_item is None
    d.tap(Action.BACK)
    assert d.state is j.State.ATTRACT


# ---- 请取走身份证 -------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["timeout", "back", "exit", "handler_failed"])
def test_every_end_says_take_the_card_while_it_lies_on_the_reader(how):
    d = Driver()
    to_items(d)
    assert not d.journey.take_card, "in the session the card is in use"
    if how == "timeout":
        d.wait(61)
    elif how == "back":
        d.tap(Action.BACK)
        d.tap(Action.LEAVE, "yes")
    elif how == "exit":
        d.tap(Action.EXIT)
    else:
        d(HandlerFailed())
    assert d.journey.session is None and d.journey.take_card
    d.wait(NOTICE_SECONDS * 3)
    assert d.journey.take_card, "as long as the card is there"
    d(CardRemoved())
    assert not d.journey.take_card


def test_goodbye_says_take_the_card_when_it_is_still_there():
    d = Driver()
    to_items(d)
    d.tap(Action.SELECT_ITEM, "I2")
    d(GuideLoaded(guide(item("I2", prints=False))))
    j.rating.goodbye(d.journey)  # the end of a case, wherever it came from
    assert d.state is j.State.GOODBYE and d.journey.take_card
    d.wait(7)
    assert d.state is j.State.ATTRACT and d.journey.take_card
    d(CardRemoved())
    assert not d.journey.take_card


def test_no_take_the_card_when_it_was_taken_or_there_was_none():
    d = Driver()
    to_items(d)
    d(CardRemoved())  # the citizen took it: the session ends ("已退出")
    assert d.state is j.State.ATTRACT and not d.journey.take_card
    d.tap(Action.BROWSE)
    d.tap(Action.BACK)
    assert not d.journey.take_card


def test_the_next_citizens_session_starts_without_the_take_card_word():
    d = Driver()
    to_items(d)
    d.tap(Action.EXIT)
    assert d.journey.take_card
    d(CardRemoved())
    d(CardDetected())
    assert not d.journey.take_card


# ---- notices belong to their session ------------------------------------------------------


def test_a_notice_about_an_ended_session_is_gone_before_the_next_citizen():
    d = Driver()
    to_items(d)
    d.wait(61)
    assert d.journey.notice == messages.SESSION_TIMEOUT.text
    d.wait(NOTICE_SECONDS + 1)
    assert d.journey.notice, "shown while the card is still there: its citizen is here"
    d(CardRemoved())
    v = d.journey.version
    d.wait(1)
    assert d.state is j.State.ATTRACT and d.journey.notice == ""
    assert d.journey.version > v, "the attract screen redraws without it"


def test_a_card_removed_notice_goes_after_a_while_by_itself():
    d = Driver()
    to_items(d)
    d(CardRemoved())
    assert d.journey.notice == messages.CARD_REMOVED.text
    d.wait(NOTICE_SECONDS - 1)
    assert d.journey.notice
    d.wait(2)
    assert d.journey.notice == ""


def test_a_new_session_never_shows_the_last_ones_notice():
    d = Driver()
    to_items(d)
    d(CardRemoved())
    assert d.journey.notice == messages.CARD_REMOVED.text
    to_items(d)  # the next citizen within seconds
    assert d.journey.notice == ""
