"""English for foreign residents: the language is the citizen's choice, held by the journey for
their session (like 长辈模式) and never carried over to the next citizen."""

from __future__ import annotations

from kiosk import journey as j
from kiosk.events import Action, CardDetected, CardRead, CardRemoved, Tap, Verified
from kiosk.i18n import SOURCE
from tests.unit.test_journey import TICKET, Driver, card, item, to_items, to_printing


def test_english_switched_on_the_attract_screen_holds_for_the_session_then_resets():
    d = Driver()
    d.tap(Action.LANGUAGE, "en")
    assert d.journey.language == "en"
    to_items(d)
    assert d.journey.language == "en", "reading the card keeps the choice"
    d.tap(Action.SELECT_ITEM, "I1")
    assert d.journey.language == "en"
    d.tap(Action.EXIT)
    assert d.state is j.State.ATTRACT
    assert d.journey.language == SOURCE, "the next citizen starts in Chinese"


def test_the_switch_works_on_every_citizen_screen_and_survives_the_timeout_warning():
    d = Driver()
    to_printing(d)
    d.tap(Action.LANGUAGE, "en")
    assert d.state is j.State.PRINTING and d.journey.language == "en"
    d.tap(Action.LANGUAGE, SOURCE)
    assert d.journey.language == SOURCE
    d = Driver()
    to_items(d)
    d.tap(Action.LANGUAGE, "en")
    d.wait(45)  # the "需要更多时间" warning is up
    assert d.journey.warning(d.now) and d.journey.language == "en"
    d.tap(Action.MORE_TIME)
    assert d.state is j.State.ITEMS and d.journey.language == "en"
    d.wait(61)  # the session times out
    assert d.state is j.State.ATTRACT and d.journey.language == SOURCE


def test_a_language_switch_leaves_a_pending_question_standing_and_refuses_nonsense():
    d = Driver()
    to_items(d)
    d.tap(Action.BACK)
    assert d.journey.confirm_leave
    d.tap(Action.LANGUAGE, "en")
    assert d.journey.confirm_leave, "the question is asked again in English, not dropped"
    d.tap(Action.LANGUAGE, "fr")
    assert d.journey.language == "en"


def test_english_chosen_by_someone_who_walked_away_lapses_on_the_attract_screen():
    d = Driver()
    d.tap(Action.LANGUAGE, "en")
    d.wait(30)
    assert d.journey.language == "en"
    d.wait(31)
    assert d.journey.language == SOURCE


def read_foreign_card(d: Driver, key: str = "john_smith") -> None:
    d(CardDetected())
    d(CardRead(card(key)))
    d(Verified(TICKET, (item("I1"),)))
    assert d.state is j.State.ITEMS


def test_a_foreign_resident_card_is_greeted_by_its_english_name_and_offered_english():
    d = Driver()
    read_foreign_card(d)
    s = d.journey.session
    assert d.journey.suggest_english
    assert d.journey.language == SOURCE, "never switched without asking"
    assert s.name_for(SOURCE) == "史*斯"
    assert s.name_for("en") == "S**** ***N"
    d.tap(Action.LANGUAGE, "en")
    assert d.journey.language == "en" and not d.journey.suggest_english
    d(CardRemoved())
    assert d.journey.language == SOURCE and not d.journey.suggest_english


def test_the_suggestion_can_be_declined_and_is_not_made_to_others():
    d = Driver()
    read_foreign_card(d, "anna_ivanova")
    d(Tap(Action.STAY_CHINESE))
    assert not d.journey.suggest_english and d.journey.language == SOURCE
    assert d.state is j.State.ITEMS
    d.tap(Action.EXIT)
    to_items(d)  # a resident ID card
    assert not d.journey.suggest_english
    assert d.journey.session.name_for("en") == "张*"
    d.tap(Action.EXIT)
    d.tap(Action.LANGUAGE, "en")
    read_foreign_card(d)
    assert not d.journey.suggest_english, "already in English: nothing to offer"
