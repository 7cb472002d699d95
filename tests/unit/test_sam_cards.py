"""The 256-byte text block of the four card types: reference offsets, round trips, strictness."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devkit.people import CITIZENS
from devkit.sam_encode import address_reply_data, encode_text, read_reply_data, read_reply_frame
from drivers.sam_cards import (
    CardDataError,
    UnknownCardTypeError,
    join_addresses,
    parse_appended_addresses,
    parse_read_data,
    parse_read_reply,
    parse_text,
)
from drivers.sam_protocol import (
    FrameError,
    SamError,
    SamStatusError,
    Sw3,
    build_frame,
    checksum,
    reply_frame,
)
from kiosk.identity import CardType, IdentityCard, Sex, id_check_char

PHOTO = bytes(range(256)) * 4  # 1024 bytes, not a real WLT image
FINGERPRINT = bytes(reversed(range(256))) * 4


def fields_of(card: IdentityCard) -> dict[str, object]:
    return {f.name: getattr(card, f.name) for f in dataclasses.fields(card)}


def number18(first17: str) -> str:
    return first17 + id_check_char(first17)


def permit_card() -> IdentityCard:
    return IdentityCard(
        card_type=CardType.HK_MO_TW_PERMIT,
        name="陈家乐",
        number=number18("81000019940823002"),
        sex=Sex.MALE,
        birth_date=dt.date(1994, 8, 23),
        address="山西省太原市小店区体育路10号",
        issuer="太原市公安局",
        valid_from=dt.date(2021, 3, 1),
        valid_to=dt.date(2026, 3, 1),
        pass_number="H12345678",
        issue_count=2,
        photo=bytearray(PHOTO),
    )


def foreign_2017_card() -> IdentityCard:
    return IdentityCard(
        card_type=CardType.FOREIGN_2017,
        name="史密斯",
        name_en="SMITH, JOHN ALEXANDER",
        number="USA110075081502",
        sex=Sex.MALE,
        birth_date=dt.date(1975, 8, 15),
        nationality="USA",
        issuer="1500",
        valid_from=dt.date(2017, 6, 1),
        valid_to=dt.date(2027, 6, 1),
        photo=bytearray(PHOTO),
    )


# 34 letters, a space as the 35th character, then 11 more: the split falls on the space
LONG_EN = "ABCDEFGHIJ" * 3 + "ABCD" + " " + "KLMNOPQRSTU"


def foreign_2023_card(name_en: str = LONG_EN) -> IdentityCard:
    return IdentityCard(
        card_type=CardType.FOREIGN_2023,
        name="安娜",
        name_en=name_en,
        number="932156199001011234",
        sex=Sex.FEMALE,
        birth_date=dt.date(1990, 1, 1),
        nationality="DEU",
        issue_count=1,
        valid_from=dt.date(2023, 12, 1),
        valid_to=dt.date(2033, 12, 1),
        photo=bytearray(PHOTO),
    )


HAND_MADE = [permit_card, foreign_2017_card, foreign_2023_card]


# ---- independent of the encoder: blocks written from the reference table ---------------------


def block(*fields: tuple[int, int, str]) -> bytes:
    """Build a text block from (offset, byte length, text) exactly as docs/sam-reader.md lays it out."""
    out = bytearray(" ".encode("utf-16-le") * 128)
    for offset, size, text in fields:
        data = text.encode("utf-16-le")
        assert len(data) <= size
        out[offset : offset + len(data)] = data
    return bytes(out)


def test_resident_block_from_the_reference_offsets() -> None:
    card = parse_text(
        block(
            (0, 30, "王桂兰"),
            (30, 2, "2"),
            (32, 4, "05"),
            (36, 16, "19480905"),
            (52, 70, "山西省太原市迎泽区桥东街12号院3单元"),
            (122, 36, "14010619480905032x"),
            (158, 30, "太原市公安局迎泽分局"),
            (188, 16, "20100905"),
            (204, 16, "长期"),
        )
    )
    assert card.card_type is CardType.RESIDENT
    assert (card.name, card.sex, card.nation) == ("王桂兰", Sex.FEMALE, "维吾尔")
    assert card.birth_date == dt.date(1948, 9, 5)
    assert card.address == "山西省太原市迎泽区桥东街12号院3单元"
    assert card.number == "14010619480905032X"  # lowercase x normalised
    assert card.issuer == "太原市公安局迎泽分局"
    assert (card.valid_from, card.valid_to) == (dt.date(2010, 9, 5), None)
    assert card.name_en == "" and card.nationality is None and card.pass_number is None


def test_permit_block_from_the_reference_offsets() -> None:
    card = parse_text(
        block(
            (0, 30, "陈家乐"),
            (30, 2, "1"),
            (36, 16, "19940823"),
            (52, 70, "广东省深圳市福田区"),
            (122, 36, "810000199408230021"),
            (158, 30, "深圳市公安局"),
            (188, 16, "20210301"),
            (204, 16, "20260301"),
            (220, 18, "H12345678"),
            (238, 4, "03"),
            (248, 2, "J"),
        )
    )
    assert card.card_type is CardType.HK_MO_TW_PERMIT
    assert (card.name, card.sex, card.nation) == ("陈家乐", Sex.MALE, None)
    assert (card.pass_number, card.issue_count) == ("H12345678", 3)
    assert card.valid_to == dt.date(2026, 3, 1) and card.address == "广东省深圳市福田区"


def test_foreign_2017_block_from_the_reference_offsets() -> None:
    card = parse_text(
        block(
            (0, 120, "SMITH, JOHN"),
            (120, 2, "1"),
            (122, 30, "USA110075081502"),
            (152, 6, "USA"),
            (158, 30, "史密斯"),
            (188, 16, "20170601"),
            (204, 16, "20270601"),
            (220, 16, "19750815"),
            (236, 4, "20"),
            (240, 8, "1500"),
            (248, 2, "I"),
        )
    )
    assert card.card_type is CardType.FOREIGN_2017
    assert (card.name_en, card.name, card.number) == ("SMITH, JOHN", "史密斯", "USA110075081502")
    assert (card.nationality, card.issuer, card.nation) == ("USA", "1500", None)
    assert card.birth_date == dt.date(1975, 8, 15)


def test_foreign_2023_block_from_the_reference_offsets() -> None:
    card = parse_text(
        block(
            (0, 30, "安娜"),
            (30, 2, "2"),
            (32, 4, "01"),
            (36, 16, "19900101"),
            (52, 70, LONG_EN[:35]),
            (122, 36, "932156199001011234"),
            (188, 16, "20231201"),
            (204, 16, "20331201"),
            (220, 22, LONG_EN[35:]),
            (242, 6, "DEU"),
            (248, 2, "Y"),
        )
    )
    assert card.card_type is CardType.FOREIGN_2023
    assert card.name_en == LONG_EN and card.name_en[34] == " "
    assert (card.name, card.sex, card.nationality, card.issue_count) == (
        "安娜",
        Sex.FEMALE,
        "DEU",
        1,
    )
    assert card.valid_from == dt.date(2023, 12, 1)


# ---- round trips through the encoder --------------------------------------------------------


@pytest.mark.parametrize("citizen", CITIZENS, ids=lambda c: c.key)
def test_demo_citizens_round_trip(citizen) -> None:
    card = citizen.card()
    parsed = parse_read_reply(read_reply_frame(card))
    assert fields_of(parsed) == fields_of(card)
    assert parsed.nation == citizen.nation


@pytest.mark.parametrize("make", HAND_MADE, ids=lambda f: f.__name__)
def test_hand_made_cards_round_trip(make) -> None:
    card = make()
    assert fields_of(parse_read_reply(read_reply_frame(card))) == fields_of(card)


@pytest.mark.parametrize("make", HAND_MADE, ids=lambda f: f.__name__)
def test_fingerprint_reply_round_trip(make) -> None:
    card = make()
    card.fingerprint = bytearray(FINGERPRINT)
    frame = read_reply_frame(card, fingerprint=True)
    parsed = parse_read_reply(frame, with_fingerprint=True)
    assert fields_of(parsed) == fields_of(card) and parsed.has_fingerprint
    assert fields_of(parse_read_reply(frame)) == fields_of(card)  # told apart by the lengths


def test_read_reply_frame_layout() -> None:
    card = CITIZENS[0].card()
    frame = read_reply_frame(card)
    assert len(frame) == 1295 and frame[5:7] == b"\x05\x08"
    assert frame[7:10] == b"\x00\x00\x90" and frame[10:14] == b"\x01\x00\x04\x00"
    assert frame[14:270] == encode_text(card) and frame[270:1294] == bytes(card.photo)
    assert frame[1294] == checksum(frame[5:1294])
    fp_frame = read_reply_frame(card, fingerprint=True)
    assert len(fp_frame) == 2321 and fp_frame[5:7] == b"\x09\x0a"
    assert fp_frame[10:16] == b"\x01\x00\x04\x00\x04\x00"


def test_type_flag_at_offset_248() -> None:
    flags = {make().card_type: encode_text(make())[248:250] for make in HAND_MADE}
    assert flags == {
        CardType.HK_MO_TW_PERMIT: "J".encode("utf-16-le"),
        CardType.FOREIGN_2017: "I".encode("utf-16-le"),
        CardType.FOREIGN_2023: "Y".encode("utf-16-le"),
    }
    assert encode_text(CITIZENS[0].card())[248:250] == b" \x00"


def test_short_english_name_on_a_2023_card() -> None:
    card = foreign_2023_card("DOE JANE")
    assert parse_text(encode_text(card)).name_en == "DOE JANE"


def test_encoder_refuses_values_that_do_not_fit() -> None:
    card = CITIZENS[0].card()
    card.address = "山" * 36
    with pytest.raises(ValueError, match="address"):
        encode_text(card)
    card = foreign_2023_card("X" * 47)
    with pytest.raises(ValueError, match="name_en_2"):
        encode_text(card)


# ---- strictness -----------------------------------------------------------------------------


def resident_block(**overrides: str) -> bytes:
    values = {
        "name": (0, 30, "张伟"),
        "sex": (30, 2, "1"),
        "nation": (32, 4, "01"),
        "birth_date": (36, 16, "19850312"),
        "number": (122, 36, "140105198503120210"),
        "valid_from": (188, 16, "20150312"),
        "valid_to": (204, 16, "20350312"),
    }
    for name, text in overrides.items():
        offset, size, _ = values[name]
        values[name] = (offset, size, text)
    return block(*values.values())


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("birth_date", "19850230"),
        ("birth_date", "1985031"),
        ("birth_date", "１９８５０３１２"),  # full-width digits are not a date on a card
        ("valid_from", ""),
        ("valid_to", "永久"),
    ],
)
def test_bad_dates_name_the_field(field: str, text: str) -> None:
    with pytest.raises(CardDataError) as info:
        parse_text(resident_block(**{field: text}))
    assert info.value.field == field
    assert text not in str(info.value) or not text  # the value itself is never in the message
    assert isinstance(info.value, FrameError)


def test_missing_name_or_number_is_refused() -> None:
    with pytest.raises(CardDataError) as info:
        parse_text(resident_block(name=""))
    assert info.value.field == "name"
    with pytest.raises(CardDataError) as info:
        parse_text(resident_block(number="1401-05"))
    assert info.value.field == "number"


def test_control_characters_are_refused() -> None:
    with pytest.raises(CardDataError) as info:
        parse_text(resident_block(name="张\n伟"))
    assert info.value.field == "name"


def test_unknown_nation_code_gives_none() -> None:
    assert parse_text(resident_block(nation="77")).nation is None
    assert parse_text(resident_block(nation="98")).nation == "外国血统中国籍人士"


def test_sex_codes() -> None:
    assert [parse_text(resident_block(sex=c)).sex for c in "0129"] == [
        Sex.UNKNOWN,
        Sex.MALE,
        Sex.FEMALE,
        Sex.UNSPECIFIED,
    ]


def test_unknown_type_flag() -> None:
    data = bytearray(resident_block())
    data[248:250] = "Q".encode("utf-16-le")
    with pytest.raises(UnknownCardTypeError) as info:
        parse_text(bytes(data))
    assert info.value.flag == "Q" and info.value.field == "card_type"


def test_invalid_utf16_is_a_card_data_error() -> None:
    data = bytearray(resident_block())
    data[0:2] = b"\x00\xd8"  # a lone high surrogate
    with pytest.raises(CardDataError) as info:
        parse_text(bytes(data))
    assert info.value.field == "name"


def test_lengths_must_add_up() -> None:
    data = read_reply_data(CITIZENS[0].card())
    with pytest.raises(FrameError, match="add up"):
        parse_read_data(data[:-1])
    with pytest.raises(FrameError, match="text block"):
        parse_read_data(b"\x00\x10\x00\x00" + bytes(16))


def test_non_ok_read_reply_raises_status_error() -> None:
    with pytest.raises(SamStatusError) as info:
        parse_read_reply(reply_frame(Sw3.READ_FAILED))
    assert info.value.sw3 == 0x41


# ---- appended addresses (30 03) -------------------------------------------------------------


def address_slot(text: str) -> bytes:
    """70 bytes of UCS-2 LE, space padded, as docs/sam-reader.md gives a 30 03 entry."""
    data = text.encode("utf-16-le")
    return data + b" \x00" * ((70 - len(data)) // 2)


def test_appended_addresses_from_reference_slots() -> None:
    data = address_slot("山西省太原市小店区平阳路1号") + address_slot("山西省晋中市榆次区迎宾街2号")
    assert parse_appended_addresses(data) == [
        "山西省太原市小店区平阳路1号",
        "山西省晋中市榆次区迎宾街2号",
    ]
    assert parse_appended_addresses(address_slot("")) == []  # a blank slot is no address
    assert parse_appended_addresses(address_slot("北京市" + "\u3000")) == ["北京市"]
    assert address_reply_data(["山西省太原市小店区平阳路1号"]) == address_slot(
        "山西省太原市小店区平阳路1号"
    )


@pytest.mark.parametrize("size", [0, 1, 69, 71, 70 * 9])
def test_appended_addresses_of_a_wrong_size(size: int) -> None:
    with pytest.raises(FrameError, match="blocks of 70"):
        parse_appended_addresses(bytes(size))


def test_appended_address_strictness() -> None:
    with pytest.raises(CardDataError) as info:
        parse_appended_addresses(b"\x00\xd8" + address_slot("")[2:])
    assert info.value.field == "appended_address"
    with pytest.raises(CardDataError):
        parse_appended_addresses(address_slot("太原\n小店"))


def test_join_addresses() -> None:
    assert join_addresses("山西省太原市迎泽区", []) == "山西省太原市迎泽区"
    assert join_addresses("山西省太原市迎泽区", ["太原市小店区"]) == (
        "山西省太原市迎泽区（新住址：太原市小店区）"
    )
    assert join_addresses("甲", ["乙", "丙"]) == "甲（新住址：乙；丙）"


# ---- fuzz: any bytes, only SamError ---------------------------------------------------------

_valid_frames = [read_reply_frame(c.card()) for c in CITIZENS[:3]] + [
    read_reply_frame(make(), fingerprint=True) for make in HAND_MADE
]


def _only_sam_errors(frame: bytes) -> IdentityCard | None:
    try:
        return parse_read_reply(frame)
    except SamError:
        return None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1400))
def test_random_frames_raise_only_sam_errors(data: bytes) -> None:
    _only_sam_errors(data)
    _only_sam_errors(build_frame(data))  # well framed, random content


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_valid_frames), st.data())
def test_truncated_frames_raise_only_sam_errors(frame: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(frame) - 1))
    assert _only_sam_errors(frame[:cut]) is None
    body = frame[7 + 3 : 7 + 3 + data.draw(st.integers(0, 300))]  # data cut, framed again
    _only_sam_errors(reply_frame(Sw3.OK, body))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_valid_frames), st.data())
def test_mutated_text_blocks_raise_only_sam_errors(frame: bytes, data: st.DataObject) -> None:
    """Mutations inside the text block, with the checksum fixed so the card parser sees them."""
    mutated = bytearray(frame)
    start = 14 if frame[5:7] == b"\x05\x08" else 16
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(start, start + 255))
        mutated[at] = data.draw(st.integers(0, 255))
    mutated[-1] = checksum(mutated[5:-1])
    card = _only_sam_errors(bytes(mutated))
    assert card is None or isinstance(card, IdentityCard)


_cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))


@settings(max_examples=100, deadline=None)
@given(
    name=st.text(_cjk, min_size=1, max_size=15),
    address=st.text(_cjk, max_size=35),
    number=st.from_regex(r"\A[0-9]{17}[0-9X]\Z"),
    sex=st.sampled_from(list(Sex)),
    nation=st.sampled_from(["汉", "回", "满", "蒙古", "外国血统中国籍人士"]),
    birth=_dates,
    valid_from=_dates,
    valid_to=st.one_of(st.none(), _dates),
)
def test_any_resident_card_round_trips(**kw) -> None:
    card = IdentityCard(
        card_type=CardType.RESIDENT,
        name=kw["name"],
        number=kw["number"],
        sex=kw["sex"],
        birth_date=kw["birth"],
        nation=kw["nation"],
        address=kw["address"],
        valid_from=kw["valid_from"],
        valid_to=kw["valid_to"],
        photo=bytearray(PHOTO),
    )
    assert fields_of(parse_read_reply(read_reply_frame(card))) == fields_of(card)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=700))
def test_random_appended_address_data_raises_only_sam_errors(data: bytes) -> None:
    try:
        addresses = parse_appended_addresses(data)
    except SamError:
        return
    assert all(isinstance(a, str) and a for a in addresses)
