"""投诉与建议: the journey's rules, the keypad and its mask, the sealing of a complaint at rest
and its key (docs/complaints.md)."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from kiosk import journey as j
from kiosk.complaints import PHRASES, Category, Complaint, Draft, phone_valid
from kiosk.events import Action, ComplaintStored, Failed, Operation, RatingStored, Tap
from kiosk.logs import ScrubFilter
from kiosk.masking import mask_mobile, scrub
from kiosk.ratings import RatingLevel
from kiosk.sealing import COMPLAINTS, Sealer, Unsealable, derive_key
from tests.unit.test_journey import Driver, to_preview

PHONE = "13812345678"
KEY = bytes(range(32))


def compose(d: Driver, phone: str = PHONE, *, consent: bool = True) -> None:
    d.tap(Action.COMPLAINT_CATEGORY, Category.EFFICIENCY.value)
    d.tap(Action.COMPLAINT_PHRASE, "long_wait")
    for digit in phone:
        d.tap(Action.COMPLAINT_DIGIT, digit)
    if consent and phone:
        d.tap(Action.COMPLAINT_CONSENT)


# ---- the journey ---------------------------------------------------------------------------


def test_an_anonymous_complaint_from_the_attract_screen():
    d = Driver()
    d.tap(Action.COMPLAINT)
    assert d.state is j.State.COMPLAINT and d.journey.session is None
    assert d.tap(Action.SUBMIT_COMPLAINT) == [], "nothing chosen: nothing to send"
    d.tap(Action.COMPLAINT_CATEGORY, Category.DEVICE.value)
    assert d.tap(Action.SUBMIT_COMPLAINT) == [], "a category alone says nothing"
    d.tap(Action.COMPLAINT_PHRASE, "no_print")
    d.tap(Action.COMPLAINT_PHRASE, "no_scan")
    (store,) = d.tap(Action.SUBMIT_COMPLAINT)
    assert isinstance(store, j.StoreComplaint)
    c = store.complaint
    assert c.category is Category.DEVICE and c.phrases == ("no_print", "no_scan")
    assert c.phone == "" and not c.consent and c.device_id == "SX-TY-0001"
    assert c.to_json()["callback_phone"] == "" and c.to_json()["callback_consent"] is False
    assert d.tap(Action.SUBMIT_COMPLAINT) == [], "sent once: the screen waits for the disk"
    d(ComplaintStored(c.complaint_id))
    assert d.state is j.State.COMPLAINT_SENT and d.journey.complaint is None
    d.wait(7)
    assert d.state is j.State.ATTRACT


def test_a_callback_number_needs_eleven_digits_and_consent():
    d = Driver()
    d.tap(Action.COMPLAINT)
    compose(d, PHONE[:10], consent=False)
    draft = d.journey.complaint
    assert draft.phone_problem and d.tap(Action.SUBMIT_COMPLAINT) == []
    d.tap(Action.COMPLAINT_DIGIT, PHONE[10])
    d.tap(Action.COMPLAINT_DIGIT, "9")  # a twelfth digit is not taken
    assert draft.phone == PHONE
    assert draft.phone_problem and d.tap(Action.SUBMIT_COMPLAINT) == [], "no consent yet"
    d.tap(Action.COMPLAINT_CONSENT)
    (store,) = d.tap(Action.SUBMIT_COMPLAINT)
    assert store.complaint.phone == PHONE and store.complaint.consent
    assert store.complaint.to_json()["callback_phone"] == PHONE
    assert PHONE not in repr(store) and PHONE not in repr(store.complaint)


def test_deleting_the_number_takes_the_consent_with_it():
    d = Driver()
    d.tap(Action.COMPLAINT)
    compose(d)
    assert d.journey.complaint.consent
    for _ in PHONE:
        d.tap(Action.COMPLAINT_DELETE)
    draft = d.journey.complaint
    assert draft.phone == "" and not draft.consent and draft.ready, "anonymous again"
    d.tap(Action.COMPLAINT_CONSENT)
    assert not draft.consent, "no consent without a number"


def test_another_category_drops_the_phrases_of_the_first():
    d = Driver()
    d.tap(Action.COMPLAINT)
    d.tap(Action.COMPLAINT_CATEGORY, Category.ATTITUDE.value)
    d.tap(Action.COMPLAINT_PHRASE, "rude")
    d.tap(Action.COMPLAINT_PHRASE, "no_print")  # another category's phrase: ignored
    assert d.journey.complaint.phrases == ["rude"]
    d.tap(Action.COMPLAINT_PHRASE, "rude")  # a second tap takes it back
    assert d.journey.complaint.phrases == []
    d.tap(Action.COMPLAINT_PHRASE, "rude")
    d.tap(Action.COMPLAINT_CATEGORY, Category.OTHER.value)
    assert d.journey.complaint.phrases == [] and d.journey.complaint.category is Category.OTHER
    d.tap(Action.COMPLAINT_CATEGORY, "nonsense")
    assert d.journey.complaint.category is Category.OTHER


@pytest.mark.parametrize("leave", ["back", "home", "timeout"])
def test_leaving_drops_the_draft_and_its_digits(leave):
    d = Driver()
    d.tap(Action.COMPLAINT)
    compose(d)
    draft = d.journey.complaint
    if leave == "back":
        d.tap(Action.BACK)
    elif leave == "home":
        d.tap(Action.HOME)
    else:
        d.wait(60 * 1.5 + 1)
    assert d.state is j.State.ATTRACT
    assert d.journey.complaint is None and draft.phone == "", "the digits are gone"


def test_a_complaint_after_goodbye_carries_nothing_of_the_session():
    d = Driver()
    to_preview(d)
    d.tap(Action.NO_PRINT)
    d.tap(Action.DOCUMENTS_TAKEN)
    d.tap(Action.RATE, RatingLevel.SATISFIED.value)
    (store,) = d.tap(Action.SUBMIT_RATING)
    d(RatingStored(store.rating.rating_id))
    assert d.state is j.State.GOODBYE
    ended = d.tap(Action.COMPLAINT)
    assert any(isinstance(e, j.SessionEnded) for e in ended)
    assert d.state is j.State.COMPLAINT and d.journey.session is None
    compose(d)
    (store,) = d.tap(Action.SUBMIT_COMPLAINT)
    text = json.dumps(store.complaint.to_json(), ensure_ascii=False)
    assert "C-1" not in text and "rater-1" not in text and "140105" not in text


def test_a_complaint_not_stored_is_said_and_dropped():
    d = Driver()
    d.tap(Action.COMPLAINT)
    compose(d)
    d.tap(Action.SUBMIT_COMPLAINT)
    d(Failed(Operation.COMPLAINT, "", "disk full", retryable=False))
    assert d.state is j.State.COMPLAINT_SENT and d.journey.notice
    assert d.journey.complaint is None
    d.tap(Action.HOME)
    assert d.state is j.State.ATTRACT


def test_a_late_answer_does_not_move_another_screen():
    d = Driver()
    d.tap(Action.COMPLAINT)
    compose(d)
    (store,) = d.tap(Action.SUBMIT_COMPLAINT)
    d.tap(Action.HOME)
    d(ComplaintStored(store.complaint.complaint_id))
    assert d.state is j.State.ATTRACT


def test_the_digits_never_reach_a_tap_s_repr():
    assert "7" not in repr(Tap(Action.COMPLAINT_DIGIT, "7"))


# ---- the keypad's number on screen and in logs --------------------------------------------


def test_the_number_is_masked_as_it_is_typed():
    assert [mask_mobile(PHONE[:n]) for n in (0, 3, 4, 7, 8, 11)] == [
        "",
        "138",
        "138*",
        "138****",
        "138****5",
        "138****5678",
    ]


def test_phone_rules():
    assert phone_valid(PHONE) and phone_valid("19912345678")
    assert not phone_valid("12812345678") and not phone_valid("1381234567")
    draft = Draft()
    for key in ("1", "x", "12", "3"):
        draft.digit(key)
    assert draft.phone == "13"


def test_the_log_scrubber_masks_mobile_numbers():
    assert scrub(f"call {PHONE} or +86{PHONE}.") == "call 138****5678 or +86138****5678."
    assert scrub("case 2026112713812345678 and 110105199003071234") == (
        "case 2026112713812345678 and 110105********1234"
    ), "a longer number is not a phone (and an ID number keeps its own mask)"
    record = logging.LogRecord("k", logging.INFO, "", 0, "number %s", (PHONE,), None)
    ScrubFilter().filter(record)
    assert record.getMessage() == "number 138****5678"


# ---- sealing at rest ------------------------------------------------------------------------


def complaint(phone: str = PHONE) -> Complaint:
    import datetime as dt

    return Complaint(
        complaint_id="c-1",
        category=Category.ATTITUDE,
        phrases=("rude",),
        submitted_at=dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC),
        device_id="SX-TY-0001",
        region_code="140100",
        phone=phone,
        consent=True,
    )


def test_a_sealed_complaint_opens_to_what_went_in():
    sealer = Sealer(KEY)
    record = complaint().to_json()
    sealed = sealer.seal("c-1", record)
    assert sealer.open("c-1", sealed) == record
    assert set(sealed) == {"sealed", "box"}


def test_the_ciphertext_holds_no_trace_of_the_number():
    stored = json.dumps(Sealer(KEY).seal("c-1", complaint().to_json()))
    assert PHONE not in stored
    for n in range(len(PHONE) - 5):  # no six digits of it in a row either
        assert PHONE[n : n + 6] not in stored
    box = base64.b64decode(json.loads(stored)["box"])
    for encoded in (PHONE.encode(), PHONE.encode("utf-16-le")):
        assert encoded not in box
    assert "rude" not in stored and "attitude" not in stored, "nothing of it in clear"


def test_each_record_has_its_own_nonce():
    sealer = Sealer(KEY)
    one = sealer.seal("c-1", complaint().to_json())
    two = sealer.seal("c-1", complaint().to_json())
    assert one["box"][:16] != two["box"][:16] and one != two


def test_a_sealed_record_opens_only_with_its_key_and_id():
    sealed = Sealer(KEY).seal("c-1", complaint().to_json())
    with pytest.raises(Unsealable):
        Sealer(bytes(32)).open("c-1", sealed)  # another device's key
    with pytest.raises(Unsealable):
        Sealer(KEY).open("c-2", sealed)  # moved onto another record
    with pytest.raises(Unsealable):
        Sealer(KEY, b"another purpose").open("c-1", sealed)
    box = bytearray(base64.b64decode(sealed["box"]))
    box[-1] ^= 1
    with pytest.raises(Unsealable):
        Sealer(KEY).open("c-1", {"sealed": 1, "box": base64.b64encode(bytes(box)).decode()})
    with pytest.raises(Unsealable):
        Sealer(KEY).open("c-1", complaint().to_json())  # a record stored in clear


def test_the_key_is_derived_per_purpose_and_is_not_the_device_key():
    key = derive_key(KEY, COMPLAINTS)
    assert len(key) == 32 and key != KEY and KEY not in key
    assert key == derive_key(KEY, COMPLAINTS), "the same on every start: it is never stored"
    assert key != derive_key(KEY, b"kiosk outbox rating v1")
    assert key != derive_key(bytes(32), COMPLAINTS)
    # RFC 5869 with SHA-256, no salt: the first block is HMAC(HMAC(0, ikm), info | 0x01)
    import hashlib
    import hmac

    prk = hmac.new(bytes(32), KEY, hashlib.sha256).digest()
    assert key == hmac.new(prk, COMPLAINTS + b"\x01", hashlib.sha256).digest()
    with pytest.raises(ValueError):
        derive_key(b"", COMPLAINTS)
    assert repr(Sealer(KEY)) == "Sealer(…)"


def test_every_category_has_phrases_with_distinct_codes():
    codes = [code for phrases in PHRASES.values() for code, _text in phrases]
    assert len(codes) == len(set(codes))
    assert all(1 <= len(PHRASES[c]) <= 6 for c in Category)
