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


def test_paper_stays_chinese_whatever_the_screen_says():
    """A certificate, a 办件凭条 and a 一次性告知 slip laid out while the screens are in English
    carry the same Chinese words as in Chinese: they are official documents."""
    from devkit.seed import BY_ITEM_KEY
    from kiosk import i18n
    from kiosk.case_slip import case_slip
    from kiosk.models import Guide
    from kiosk.notice import notice_document
    from kiosk.print_layout import Text, layout_document
    from kiosk.validate import Reader
    from tests.unit.test_journey import TODAY, case

    seeded = BY_ITEM_KEY["si_payment_proof"]
    guide = Guide.from_json(Reader(seeded.guide_json(True, ""), "guide"))
    assert guide.summary_en and guide.item.name_en, "an item the platform gave English for"
    it = item("I1")
    documents = lambda: [  # noqa: E731
        case(it).document,
        case_slip(case(it), it, TODAY),
        notice_document(guide, None, TODAY),
    ]

    def printed() -> list[str]:
        return [
            "\n".join(line.text for line in layout_document(d) if isinstance(line, Text))
            for d in documents()
        ]

    chinese = printed()
    i18n.set_language("en")
    try:
        assert i18n._("办件凭条") == "Case slip", "the English catalogue is compiled and active"
        assert printed() == chinese
    finally:
        i18n.set_language(SOURCE)
    assert all("验证码" in t or "办件" in t or "告知" in t for t in chinese)
