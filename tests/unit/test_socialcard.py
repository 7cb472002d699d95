"""The social-security card: APDUs, TLV records, parsing, the virtual card's answers (no I/O)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devkit.people import CITIZENS
from devkit.virtual_socialcard import EF07, CardOs, encode_records
from drivers.pcsc_reader import PcscReader, fault_for
from drivers.socialcard import (
    BIRTH_DATE,
    EF05,
    EF06,
    EXPIRY_DATE,
    FIELDS,
    ISSUE_DATE,
    NAME,
    NATION,
    NUMBER,
    SELECT_SSSE,
    SEX,
    CardStatusError,
    FieldValueError,
    NotSocialCardError,
    RecordError,
    ResponseError,
    SecurityStatusError,
    SocialCardError,
    card_from_records,
    exchange,
    read_record,
    read_social_card,
    select_file,
)
from kiosk.events import CardFault
from kiosk.identity import CardType, IdentityCard, Sex

SOCIAL_HOLDERS = [c.social_card() for c in CITIZENS if c.social_card_number]


def fields_of(card: IdentityCard) -> dict[str, object]:
    return {f.name: getattr(card, f.name) for f in dataclasses.fields(card)}


def holder(**changes) -> IdentityCard:
    base = IdentityCard(
        card_type=CardType.SOCIAL_SECURITY,
        name="欧阳小明",
        number="14010519900215137X",
        sex=Sex.MALE,
        birth_date=dt.date(1990, 2, 15),
        nation="蒙古",
        valid_from=dt.date(2021, 3, 1),
        valid_to=dt.date(2031, 3, 1),
        card_number="A14012345",
    )
    return dataclasses.replace(base, **changes)


def records_of(card: IdentityCard) -> dict:
    files = encode_records(card)
    return {f: files[f.ef][f.tag] for f in FIELDS}


class Recorder:
    """A transmit that records the commands and answers from a CardOs."""

    def __init__(self, os: CardOs) -> None:
        self.os = os
        self.commands: list[bytes] = []

    def __call__(self, apdu: bytes) -> bytes:
        self.commands.append(apdu)
        return self.os.execute(apdu)


# ---- commands --------------------------------------------------------------------------------


def test_commands_are_the_reference_bytes() -> None:
    assert SELECT_SSSE.hex().upper() == "00A404000F7378312E73682EC9E7BBE1B1A3D5CF"
    assert select_file(EF05) == bytes.fromhex("00A4020002EF05")
    assert select_file(EF06) == bytes.fromhex("00A4020002EF06")
    assert read_record(0x08, 18) == bytes.fromhex("00B2080014")  # Le = 18 + tag + length
    assert read_record(0x09, 30) == bytes.fromhex("00B2090020")


def test_reading_sends_exactly_the_ssse_sequence() -> None:
    transmit = Recorder(CardOs(encode_records(SOCIAL_HOLDERS[0])))
    read_social_card(transmit)
    assert [c.hex().upper() for c in transmit.commands] == [
        "00A404000F7378312E73682EC9E7BBE1B1A3D5CF",
        "00C0000013",  # the T=0 card answered 6113: its FCI comes with GET RESPONSE
        "00A4020002EF05",
        "00B2050006",
        "00B2060006",
        "00B207000B",
        "00A4020002EF06",
        "00B2080014",
        "00B2090020",
        "00B20A0003",
        "00B20B0003",
        "00B20D0006",
    ]


# ---- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("card", SOCIAL_HOLDERS, ids=lambda c: c.card_number)
def test_demo_holders_read_back_unchanged(card: IdentityCard) -> None:
    read = read_social_card(CardOs(encode_records(card)).execute)
    assert fields_of(read) == fields_of(card)
    assert read.card_type is CardType.SOCIAL_SECURITY and read.issuer == ""


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"name": "刘䶮", "sex": Sex.FEMALE},  # U+4DAE is not in GBK: the card holds GB18030
        {"name": "阿依古丽·买买提江", "nation": "维吾尔"},  # 9 characters: 18 of 30 bytes
        {"valid_to": None},  # no expiry written
        {"nation": None, "sex": Sex.UNSPECIFIED},
        {"card_number": None},
    ],
)
def test_synthetic_holders_read_back(changes: dict) -> None:
    card = holder(**changes)
    assert fields_of(read_social_card(CardOs(encode_records(card)).execute)) == fields_of(card)


def test_values_of_the_reference_layout() -> None:
    records = records_of(holder())
    assert records[NUMBER] == b"\x08\x12" + b"14010519900215137X"
    assert records[NAME] == b"\x09\x1e" + "欧阳小明".encode("gbk") + bytes(22)
    assert records[SEX] == b"\x0a\x01" + b"1"
    assert records[NATION] == b"\x0b\x01\x02"  # 蒙古 = 02 in BCD
    assert records[BIRTH_DATE] == b"\x0d\x04\x19\x90\x02\x15"
    assert records[ISSUE_DATE] == b"\x05\x04\x20\x21\x03\x01"
    assert records[EXPIRY_DATE] == b"\x06\x04\x20\x31\x03\x01"
    assert encode_records(holder())[EF06][0x0C] == b"\x0c\x03\x14\x01\x05"  # birthplace


def test_lenient_where_real_cards_differ() -> None:
    records = records_of(holder())
    records[SEX] = b"\x0a\x01\x02"  # a raw 02 instead of '2'
    records[NATION] = b"\x0b\x01\x99"  # a code outside GB 3304: no nation, not an error
    records[NAME] = b"\x09\x08" + "欧阳小明".encode("gbk")  # shorter than 30, no padding
    records[NUMBER] = b"\x08\x12" + b"14010519900215137x"
    card = card_from_records(records)
    assert (card.sex, card.nation, card.name) == (Sex.FEMALE, None, "欧阳小明")
    assert card.number == "14010519900215137X"


# ---- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "record", "error"),
    [
        (NUMBER, b"\x09\x12" + b"1" * 18, RecordError),  # another tag
        (NUMBER, b"\x08", RecordError),  # no length
        (NUMBER, b"\x08\x12" + b"1" * 10, RecordError),  # shorter than its length says
        (NUMBER, b"\x08\x13" + b"1" * 19, RecordError),  # longer than the field
        (BIRTH_DATE, b"\x0d\x03\x19\x90\x02", RecordError),  # a date of 3 bytes
        (BIRTH_DATE, b"\x0d\x04\x19\x90\x02\x30", FieldValueError),  # 30 February
        (BIRTH_DATE, b"\x0d\x04\x19\x9a\x02\x15", FieldValueError),  # not BCD
        (BIRTH_DATE, b"\x0d\x04\x00\x00\x00\x00", FieldValueError),  # birth date is required
        (ISSUE_DATE, b"\x05\x04\x20\x21\x13\x01", FieldValueError),  # month 13
        (NAME, b"\x09\x1e" + bytes(30), FieldValueError),  # empty
        (NAME, b"\x09\x02\xff\x30", FieldValueError),  # not GBK
        (NAME, b"\x09\x02\x41\x0a", FieldValueError),  # a control character
        (NUMBER, b"\x08\x12" + b"140105199002" + bytes(6), FieldValueError),  # too short
        (NUMBER, b"\x08\x12" + b"14010519900215137-", FieldValueError),
        (SEX, b"\x0a\x01M", FieldValueError),
        (NATION, b"\x0b\x01\x0a", FieldValueError),
    ],
)
def test_bad_records_name_the_field_and_not_the_value(field, record, error) -> None:
    records = records_of(holder())
    secret = records[field]
    records[field] = record
    with pytest.raises(error) as caught:
        card_from_records(records)
    assert caught.value.field == field.name
    message = str(caught.value)
    assert field.name in message
    for value in ("欧阳", "14010519900215137X", "1990", "A14012345"):
        assert value not in message
    assert secret.hex() not in message


def test_a_missing_record_is_an_error() -> None:
    records = records_of(holder())
    del records[NATION]
    with pytest.raises(RecordError, match="nation"):
        card_from_records(records)


def test_status_words_become_typed_errors() -> None:
    os = CardOs(encode_records(holder()), ssse=False)
    with pytest.raises(NotSocialCardError) as caught:
        read_social_card(os.execute)
    assert caught.value.sw == 0x6A82 and caught.value.command == "select SSSE"

    os = CardOs(encode_records(holder()), pin_protected={EF06})
    with pytest.raises(SecurityStatusError) as caught:
        read_social_card(os.execute)
    assert (caught.value.sw, caught.value.field) == (0x6982, "number")
    assert "6982" in str(caught.value)

    files = encode_records(holder())
    del files[EF05][0x07]
    with pytest.raises(CardStatusError) as caught:
        read_social_card(CardOs(files).execute)
    assert (caught.value.sw, caught.value.field) == (0x6A83, "card_number")


def test_exchange_follows_61xx_and_6cxx() -> None:
    answers = iter([b"\x61\x02", b"\xaa\xbb\x61\x01", b"\xcc\x90\x00"])
    assert exchange(lambda apdu: next(answers), b"\x00\xa4\x04\x00\x01\x01", "select") == bytes(
        (0xAA, 0xBB, 0xCC)
    )

    sent: list[bytes] = []

    def wrong_le(apdu: bytes) -> bytes:
        sent.append(apdu)
        return b"\x6c\x04" if apdu[-1] != 4 else b"\x01\x02\x03\x04\x90\x00"

    assert exchange(wrong_le, read_record(0x05, 4), "read") == b"\x01\x02\x03\x04"
    assert sent == [read_record(0x05, 4), bytes.fromhex("00B2050004")]


def test_exchange_refuses_broken_answers() -> None:
    with pytest.raises(ResponseError):
        exchange(lambda apdu: b"\x90", SELECT_SSSE, "select SSSE")
    with pytest.raises(ResponseError, match="does not end"):
        exchange(lambda apdu: b"\x00\x61\x01", SELECT_SSSE, "select SSSE")


def test_faults_for_the_journey() -> None:
    assert fault_for(NotSocialCardError("select SSSE", 0x6A82)) is CardFault.UNKNOWN_CARD
    assert fault_for(SecurityStatusError("read", 0x6982)) is CardFault.AUTH_FAILED
    assert fault_for(CardStatusError("select EF05", 0x6A82)) is CardFault.READ_FAILED
    assert fault_for(FieldValueError("bad", field="name")) is CardFault.READ_FAILED
    assert fault_for(ResponseError("short")) is CardFault.READ_FAILED


def test_reader_filter_is_a_case_blind_substring() -> None:
    assert PcscReader("acs acr").matches("ACS ACR39U ICC Reader 00 00")
    assert not PcscReader("Virtual PCD 00 01").matches("Virtual PCD 00 00")
    assert PcscReader("").matches("anything")


# ---- the virtual card's answers ----------------------------------------------------------------


def test_virtual_card_answers_proper_status_words() -> None:
    os = CardOs(encode_records(holder()))

    def sw(apdu_hex: str) -> str:
        return os.execute(bytes.fromhex(apdu_hex))[-2:].hex().upper()

    assert sw("00B2080014") == "6986"  # no file selected yet
    assert sw("00A4020002EF05") == "6A82"  # EF05 lives in the SSSE application
    assert sw("80A404000F7378312E73682EC9E7BBE1B1A3D5CF") == "6E00"
    assert sw("00A404000F7378312E73682EC9E7BBE1B1A3D5CF") == "6113"
    assert sw("00A4020002EF99") == "6A82"
    assert sw("00A4020002EF07") == "9000"
    assert sw("00B2010000") == "6982"  # behind the PIN
    assert EF07 in os.pin_protected
    assert sw("00A4020002EF06") == "9000"
    assert sw("00B2080010") == "6C14"
    assert sw("00B2080000") == "9000"
    assert sw("00B2200000") == "6A83"
    assert sw("00B2080414") == "6A86"
    assert sw("0084000008") == "6D00"  # GET CHALLENGE: not on this card
    assert sw("00C0000010") == "6985"  # nothing to hand over
    assert sw("00A4") == "6700"


# ---- outside bytes -----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_records_raise_only_social_card_errors(data) -> None:
    records = records_of(holder())
    for field in data.draw(st.sets(st.sampled_from(FIELDS), min_size=1)):
        if data.draw(st.booleans()):
            records[field] = data.draw(st.binary(max_size=40))
        else:  # well-formed TLV around random bytes, to reach the value parsers
            value = data.draw(st.binary(max_size=field.length))
            records[field] = bytes((field.tag, len(value))) + value
    try:
        card = card_from_records(records)
    except SocialCardError as exc:
        assert exc.field in {f.name for f in FIELDS}
        return
    assert card.card_type is CardType.SOCIAL_SECURITY and card.name and card.number


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=st.lists(st.binary(max_size=40), min_size=1, max_size=30))
def test_random_answers_raise_only_social_card_errors(answers: list[bytes]) -> None:
    replies = iter(answers)

    def transmit(apdu: bytes) -> bytes:
        return next(replies, b"\x6f\x00")

    try:
        card = read_social_card(transmit)
    except SocialCardError:
        return
    assert card.card_type is CardType.SOCIAL_SECURITY
