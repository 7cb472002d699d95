"""Social-security card records over PC/SC: the whole APDU dialogue of ``read_social_card``
(SELECT SSSE, EF05, EF06, READ RECORD of every field, with 61xx and 6Cxx handling) answered
by the input, and the record parsing on its own.

An input is the card's answers in order, each a length byte and that many bytes (an answer
shorter than a status word is what a broken card or reader gives); the same replies are also
read as the eight records of ``card_from_records`` directly.

Expected: ``SocialCardError`` and its subclasses (the module's promise for anything a card
answers). Checked: a card that parses has a letters-and-digits number of at least 15
characters and a birth date, and its repr does not carry the number whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from drivers.socialcard import FIELDS, SocialCardError, card_from_records, read_social_card
from fuzz.common import split_replies
from kiosk.identity import IdentityCard, card_problem

EXPECTED: tuple[type[BaseException], ...] = (SocialCardError,)
TODAY = dt.date(2025, 6, 13)
_MAX_ANSWERS = 40  # more than a complete read takes, with every 61xx and 6Cxx detour


def one_input(data: bytes) -> None:
    answers = split_replies(data, _MAX_ANSWERS)
    given = iter(answers)

    def transmit(apdu: bytes) -> bytes:
        return next(given, b"")

    with contextlib.suppress(SocialCardError):
        _check(read_social_card(transmit))
    records = dict(zip(FIELDS, answers, strict=False))
    with contextlib.suppress(SocialCardError):
        _check(card_from_records(records))


def _check(card: IdentityCard) -> None:
    number = card.number
    assert len(number) >= 15 and number.isascii() and number.isalnum(), "a bad number read"
    assert card.birth_date is not None, "a card without a birth date"
    assert number not in repr(card), "repr(card) shows the whole number"
    card_problem(card, TODAY)
