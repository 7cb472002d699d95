"""The 256-byte text block of a read reply, for the four card types a SAM reads.

Text is UCS-2 little-endian, space padded, at fixed offsets that differ per card type (the type
flag sits at offset 248). The layouts below are shared with the encoder in devkit/, so that the
emulator writes exactly what this module reads; the unit tests check them against the reference
offsets independently.

Parsing is strict: a field that cannot be read raises ``CardDataError`` naming the field (never
its value), so that a damaged read is retried rather than sent to the platform half right.
"""

from __future__ import annotations

import datetime as dt

from drivers.sam_protocol import (
    ADDRESS_LEN,
    MAX_ADDRESSES,
    CardDataError,
    Command,
    FrameError,
    Sw3,
    TruncatedFrameError,
    UnknownCardTypeError,
    parse_reply,
)
from kiosk.i18n import N_
from kiosk.identity import NATIONS, CardType, IdentityCard, Sex, parse_ymd

__all__ = [
    "ADDRESS_CARD_TYPES",
    "FINGERPRINT_LEN",
    "LAYOUTS",
    "LONG_TERM",
    "PHOTO_LEN",
    "TEXT_LEN",
    "TYPE_FLAGS",
    "CardDataError",
    "UnknownCardTypeError",
    "join_addresses",
    "parse_appended_addresses",
    "parse_read_data",
    "parse_read_reply",
    "parse_text",
]

TEXT_LEN = 256
PHOTO_LEN = 1024
FINGERPRINT_LEN = 1024
TYPE_FLAG_OFFSET = 248
LONG_TERM = N_("长期")

# type flag character → card type; blank (space, or NUL on some readers) is the resident card
TYPE_FLAGS: dict[str, CardType] = {
    " ": CardType.RESIDENT,
    "\x00": CardType.RESIDENT,
    "J": CardType.HK_MO_TW_PERMIT,
    "I": CardType.FOREIGN_2017,
    "Y": CardType.FOREIGN_2023,
}

Layout = dict[str, tuple[int, int]]  # field → (byte offset, byte length)

_RESIDENT: Layout = {
    "name": (0, 30),
    "sex": (30, 2),
    "nation": (32, 4),
    "birth_date": (36, 16),
    "address": (52, 70),
    "number": (122, 36),
    "issuer": (158, 30),
    "valid_from": (188, 16),
    "valid_to": (204, 16),
}
_PERMIT: Layout = {
    **{k: v for k, v in _RESIDENT.items() if k != "nation"},
    "pass_number": (220, 18),
    "issue_count": (238, 4),
}
_FOREIGN_2017: Layout = {
    "name_en": (0, 120),
    "sex": (120, 2),
    "number": (122, 30),
    "nationality": (152, 6),
    "name": (158, 30),
    "valid_from": (188, 16),
    "valid_to": (204, 16),
    "birth_date": (220, 16),
    "card_version": (236, 4),
    "issuer": (240, 8),
}
_FOREIGN_2023: Layout = {
    "name": (0, 30),
    "sex": (30, 2),
    "issue_count": (32, 4),  # renewal count (换证次数)
    "birth_date": (36, 16),
    "name_en": (52, 70),  # characters 1–35; 36–46 follow in name_en_2
    "number": (122, 36),
    "valid_from": (188, 16),
    "valid_to": (204, 16),
    "name_en_2": (220, 22),
    "nationality": (242, 6),
    "previous_number_link": (250, 6),
}

LAYOUTS: dict[CardType, Layout] = {
    CardType.RESIDENT: _RESIDENT,
    CardType.HK_MO_TW_PERMIT: _PERMIT,
    CardType.FOREIGN_2017: _FOREIGN_2017,
    CardType.FOREIGN_2023: _FOREIGN_2023,
}

# Cards with an address field, and so an append area (30 03) for later addresses.
ADDRESS_CARD_TYPES = frozenset({CardType.RESIDENT, CardType.HK_MO_TW_PERMIT})
NEW_ADDRESS_OPEN = N_("（新住址：")
NEW_ADDRESS_SEP = N_("；")
NEW_ADDRESS_CLOSE = N_("）")


def parse_read_reply(raw: bytes, with_fingerprint: bool | None = None) -> IdentityCard:
    """A complete ``30 01`` / ``30 10`` reply frame → card. Raises SamError subclasses only."""
    command = Command.READ_FINGERPRINT if with_fingerprint else Command.READ
    reply = parse_reply(raw).expect(command, Sw3.OK)
    return parse_read_data(reply.data, with_fingerprint)


def parse_read_data(data: bytes, with_fingerprint: bool | None = None) -> IdentityCard:
    """Reply data after SW: lengths (2 or 3, big-endian) then text, photo and fingerprint.

    ``with_fingerprint`` None tells the two forms apart by whether the lengths add up.
    """
    data = bytes(data)
    if len(data) < 4:
        raise TruncatedFrameError(f"read reply data of {len(data)} bytes has no lengths")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    fp_len = 0
    start = 4
    two_fit = 4 + text_len + photo_len == len(data)
    if with_fingerprint or (with_fingerprint is None and not two_fit):
        if len(data) < 6:
            raise TruncatedFrameError("read reply data has no fingerprint length")
        fp_len = int.from_bytes(data[4:6], "big")
        start = 6
    if start + text_len + photo_len + fp_len != len(data):
        raise FrameError("read reply lengths do not add up to its size")
    if text_len != TEXT_LEN:
        raise FrameError(f"text block of {text_len} bytes, expected {TEXT_LEN}")
    text = data[start : start + text_len]
    photo = data[start + text_len : start + text_len + photo_len]
    fingerprint = data[start + text_len + photo_len :]
    card = parse_text(text)
    card.photo = bytearray(photo)
    card.fingerprint = bytearray(fingerprint)
    return card


def parse_text(block: bytes) -> IdentityCard:
    """The 256-byte text block → IdentityCard (photo and fingerprint left empty)."""
    block = bytes(block)
    if len(block) != TEXT_LEN:
        raise TruncatedFrameError(f"text block of {len(block)} bytes, expected {TEXT_LEN}")
    flag = _decode(block, "card_type", TYPE_FLAG_OFFSET, 2)
    card_type = TYPE_FLAGS.get(flag)
    if card_type is None:
        raise UnknownCardTypeError(flag if flag.isprintable() else f"U+{ord(flag[0]):04X}")
    fields = _Fields(block, LAYOUTS[card_type])

    if card_type is CardType.FOREIGN_2017:
        name_en = fields.text("name_en")
        name = fields.text("name")
    elif card_type is CardType.FOREIGN_2023:
        # the English name runs on across two fields: join before trimming, so that a space at
        # the 35th character survives
        name_en = (fields.raw("name_en") + fields.raw("name_en_2")).strip(" ")
        _check_text("name_en", name_en)
        name = fields.text("name")
    else:
        name_en = ""
        name = fields.text("name")
    if not (name or name_en):
        raise CardDataError("name", "empty")

    number = fields.text("number")
    if not number or not (number.isascii() and number.isalnum()):
        raise CardDataError("number", "empty or not letters and digits")

    card = IdentityCard(
        card_type=card_type,
        name=name,
        number=number.upper(),
        name_en=name_en,
        sex=Sex.from_code(fields.text("sex")),
        birth_date=fields.date("birth_date"),
        valid_from=fields.date("valid_from"),
        valid_to=fields.date("valid_to", long_term=True),
        issuer=fields.text("issuer") if "issuer" in fields.layout else "",
    )
    if card_type is CardType.RESIDENT:
        card.nation = NATIONS.get(fields.text("nation"))
        card.address = fields.text("address")
    elif card_type is CardType.HK_MO_TW_PERMIT:
        card.address = fields.text("address")
        card.pass_number = fields.text("pass_number") or None
        card.issue_count = fields.count("issue_count")
    elif card_type is CardType.FOREIGN_2017:
        card.nationality = fields.text("nationality") or None
    else:
        card.nationality = fields.text("nationality") or None
        card.issue_count = fields.count("issue_count")
    return card


class _Fields:
    def __init__(self, block: bytes, layout: Layout):
        self.block = block
        self.layout = layout

    def raw(self, name: str) -> str:
        offset, size = self.layout[name]
        return _decode(self.block, name, offset, size)

    def text(self, name: str) -> str:
        value = self.raw(name).strip(" \x00")
        _check_text(name, value)
        return value

    def date(self, name: str, long_term: bool = False) -> dt.date | None:
        value = self.text(name)
        if long_term and value == LONG_TERM:
            return None
        date = parse_ymd(value) if value.isascii() else None
        if date is None:
            raise CardDataError(name, "not a date (YYYYMMDD)")
        return date

    def count(self, name: str) -> int | None:
        value = self.text(name)
        if not value:
            return None
        if not (value.isascii() and value.isdigit()):
            raise CardDataError(name, "not a number")
        return int(value)


def _decode(block: bytes, name: str, offset: int, size: int) -> str:
    try:
        return block[offset : offset + size].decode("utf-16-le")
    except UnicodeDecodeError:
        raise CardDataError(name, "not valid UCS-2 text") from None


def _check_text(name: str, value: str) -> None:
    # Only control characters are refused: rare name characters may sit in the private-use
    # area on older cards, and addresses may hold an ideographic space.
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in value):
        raise CardDataError(name, "control characters")


def parse_appended_addresses(data: bytes) -> list[str]:
    """Data of a ``30 03`` reply → the appended addresses in card order (blank slots dropped).

    Each address fills 70 bytes of UCS-2 LE, space padded; the last one is the current address.
    """
    data = bytes(data)
    if not data or len(data) % ADDRESS_LEN or len(data) > ADDRESS_LEN * MAX_ADDRESSES:
        raise FrameError(
            f"appended-address data of {len(data)} bytes is not 1 to {MAX_ADDRESSES} "
            f"blocks of {ADDRESS_LEN}"
        )
    addresses = []
    for offset in range(0, len(data), ADDRESS_LEN):
        padding = " \x00\u3000"  # not words: spaces, NULs and the ideographic space
        value = _decode(data, "appended_address", offset, ADDRESS_LEN).strip(padding)
        _check_text("appended_address", value)
        if value:
            addresses.append(value)
    return addresses


def join_addresses(address: str, appended: list[str]) -> str:
    """The card's address with its appended ones: ``原住址（新住址：甲；乙）``.

    IdentityCard has a single address field, and the platform and the screens want one string;
    the printed address stays first (it matches the card face the citizen holds) and the later
    ones follow in card order, the last being the current address.
    """
    if not appended:
        return address
    return address + NEW_ADDRESS_OPEN + NEW_ADDRESS_SEP.join(appended) + NEW_ADDRESS_CLOSE
