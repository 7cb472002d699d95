"""IdentityCard → the bytes a SAM sends: the 256-byte text block and whole read replies.

Used by the SAM emulator and the tests. It writes through the same layout table the driver
reads with (drivers.sam_cards.LAYOUTS), and refuses values that would not fit a real card rather
than truncating them silently.
"""

from __future__ import annotations

import datetime as dt

from drivers.sam_cards import FINGERPRINT_LEN, LAYOUTS, LONG_TERM, PHOTO_LEN, TEXT_LEN
from drivers.sam_protocol import Sw3, reply_frame
from kiosk.identity import NATIONS, CardType, IdentityCard, Sex

_FLAG = {
    CardType.RESIDENT: " ",
    CardType.HK_MO_TW_PERMIT: "J",
    CardType.FOREIGN_2017: "I",
    CardType.FOREIGN_2023: "Y",
}
_SEX_CODE = {Sex.UNKNOWN: "0", Sex.MALE: "1", Sex.FEMALE: "2", Sex.UNSPECIFIED: "9"}
_NATION_CODE = {name: code for code, name in NATIONS.items()}
_EN_SPLIT = 35  # Y cards: English-name characters in the first field


def encode_text(card: IdentityCard) -> bytes:
    """The 256-byte UCS-2 LE text block, space padded. ValueError if a value does not fit."""
    if card.card_type not in LAYOUTS:
        raise ValueError(f"a SAM does not read {card.card_type.value} cards")
    layout = LAYOUTS[card.card_type]
    block = bytearray(" ".encode("utf-16-le") * (TEXT_LEN // 2))

    def put(name: str, value: str) -> None:
        offset, size = layout[name]
        data = value.encode("utf-16-le")
        if len(data) > size:
            raise ValueError(f"{name} needs {len(data)} bytes, the card has {size}")
        block[offset : offset + size] = data + " ".encode("utf-16-le") * ((size - len(data)) // 2)

    put("sex", _SEX_CODE[card.sex])
    put("number", card.number)
    put("birth_date", _ymd(card.birth_date))
    put("valid_from", _ymd(card.valid_from))
    put("valid_to", LONG_TERM if card.valid_to is None else _ymd(card.valid_to))
    if "issuer" in layout:
        put("issuer", card.issuer)
    if card.card_type is CardType.FOREIGN_2023:
        put("name", card.name)
        put("name_en", card.name_en[:_EN_SPLIT])
        put("name_en_2", card.name_en[_EN_SPLIT:])
    elif card.card_type is CardType.FOREIGN_2017:
        put("name", card.name)
        put("name_en", card.name_en)
    else:
        put("name", card.name)
        put("address", card.address)
    if card.card_type is CardType.RESIDENT:
        if card.nation not in _NATION_CODE:
            raise ValueError("nation is not one of the GB 3304 names")
        put("nation", _NATION_CODE[card.nation])
    if card.card_type is CardType.HK_MO_TW_PERMIT:
        put("pass_number", card.pass_number or "")
    if card.card_type in (CardType.HK_MO_TW_PERMIT, CardType.FOREIGN_2023):
        put("issue_count", "" if card.issue_count is None else f"{card.issue_count:02d}")
    if card.card_type in (CardType.FOREIGN_2017, CardType.FOREIGN_2023):
        put("nationality", card.nationality or "")
    flag_at = 248
    block[flag_at : flag_at + 2] = _FLAG[card.card_type].encode("utf-16-le")
    return bytes(block)


def read_reply_data(card: IdentityCard, fingerprint: bool = False) -> bytes:
    """Data of a ``30 01`` reply (two lengths), or ``30 10`` (three) with ``fingerprint``."""
    photo = _padded("photo", card.photo, PHOTO_LEN)
    text = encode_text(card)
    lengths = len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big")
    if not fingerprint:
        return lengths + text + photo
    fp = _padded("fingerprint", card.fingerprint, FINGERPRINT_LEN)
    return lengths + len(fp).to_bytes(2, "big") + text + photo + fp


def read_reply_frame(card: IdentityCard, fingerprint: bool = False) -> bytes:
    """The complete reply frame: 1295 bytes, or 2321 with ``fingerprint``."""
    return reply_frame(Sw3.OK, read_reply_data(card, fingerprint))


def address_reply_data(addresses: list[str]) -> bytes:
    """Data of a ``30 03`` reply: 70 bytes of UCS-2 per appended address."""
    out = bytearray()
    for address in addresses:
        data = address.encode("utf-16-le")
        if len(data) > 70:
            raise ValueError("an appended address holds at most 35 characters")
        out += data + " ".encode("utf-16-le") * ((70 - len(data)) // 2)
    return bytes(out)


def _ymd(date: dt.date | None) -> str:
    if date is None:
        raise ValueError("a card date is missing")
    return f"{date.year:04d}{date.month:02d}{date.day:02d}"


def _padded(name: str, data: bytes | bytearray, size: int) -> bytes:
    if len(data) > size:
        raise ValueError(f"{name} of {len(data)} bytes, the card holds {size}")
    return bytes(data) + bytes(size - len(data))
