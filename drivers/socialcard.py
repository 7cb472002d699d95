"""The social-security card (社会保障卡) as seen through any APDU pipe: commands, records, parsing.

Only the SSSE application's EF05 (card) and EF06 (holder) are read: by the 2012 file-structure
rules they are the files readable without a PIN or a PSAM. The birthplace (EF06 tag 0C) and the
card identification code (EF05 tag 01) are left on the card: the kiosk has no use for them.

The module is pure: ``read_social_card`` takes a ``transmit`` callable (command APDU in, response
APDU with SW out), so the same code runs on pyscard, in unit tests and against the virtual card.
Errors say which command, field or status word failed, never the value read: a message may end
up in a log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from kiosk.identity import NATIONS, CardType, IdentityCard, Sex, parse_ymd

Transmit = Callable[[bytes], bytes]

# not words: the application's identifier, 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF
SSSE_AID = "sx1.sh.社会保障".encode("gbk")
SELECT_SSSE = bytes((0x00, 0xA4, 0x04, 0x00, len(SSSE_AID))) + SSSE_AID

EF05 = 0xEF05  # card: identification code, issue and expiry dates, card number
EF06 = 0xEF06  # holder: social-security (= ID) number, name, sex, nation, birthplace, birth date

_MAX_GET_RESPONSE = 8  # 61xx chains longer than this are a broken card, not a long answer


class Sw(IntEnum):
    """The status words this module acts on (ISO/IEC 7816-4)."""

    OK = 0x9000
    WRONG_LENGTH = 0x6700
    SECURITY_NOT_SATISFIED = 0x6982
    AUTH_BLOCKED = 0x6983
    CONDITIONS_NOT_SATISFIED = 0x6985
    NO_CURRENT_EF = 0x6986
    FUNCTION_NOT_SUPPORTED = 0x6A81
    FILE_NOT_FOUND = 0x6A82
    RECORD_NOT_FOUND = 0x6A83
    WRONG_P1P2 = 0x6A86
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00


SECURITY_SWS = frozenset({Sw.SECURITY_NOT_SATISFIED, Sw.AUTH_BLOCKED})


@dataclass(frozen=True, slots=True)
class Field:
    """One record of an elementary file, read by its tag (P1) with READ RECORD."""

    name: str
    ef: int
    tag: int
    length: int  # the value's length; the record adds tag and length bytes
    fixed: bool = True  # False: text that may be shorter than its size

    @property
    def label(self) -> str:
        return f"{self.name} (EF{self.ef & 0xFF:02X} tag {self.tag:02X})"


ISSUE_DATE = Field("issue_date", EF05, 0x05, 4)
EXPIRY_DATE = Field("expiry_date", EF05, 0x06, 4)
CARD_NUMBER = Field("card_number", EF05, 0x07, 9, fixed=False)
NUMBER = Field("number", EF06, 0x08, 18, fixed=False)
NAME = Field("name", EF06, 0x09, 30, fixed=False)
SEX = Field("sex", EF06, 0x0A, 1)
NATION = Field("nation", EF06, 0x0B, 1)
BIRTH_DATE = Field("birth_date", EF06, 0x0D, 4)

FIELDS: tuple[Field, ...] = (
    ISSUE_DATE,
    EXPIRY_DATE,
    CARD_NUMBER,
    NUMBER,
    NAME,
    SEX,
    NATION,
    BIRTH_DATE,
)


# ---- errors --------------------------------------------------------------------------------


class SocialCardError(Exception):
    """Reading or parsing the card failed. ``field``/``sw``/``command`` say where, never what."""

    def __init__(
        self, message: str, *, field: str | None = None, sw: int | None = None, command: str = ""
    ):
        super().__init__(message)
        self.field = field
        self.sw = sw
        self.command = command


class CardStatusError(SocialCardError):
    """A command answered a status word other than 9000."""

    def __init__(self, command: str, sw: int, field: str | None = None):
        super().__init__(f"{command} answered SW {sw:04X}", field=field, sw=sw, command=command)


class NotSocialCardError(CardStatusError):
    """The card refused the SSSE application: it is some other card."""


class SecurityStatusError(CardStatusError):
    """The file wants a PIN or a PSAM (6982) or its key is blocked (6983)."""


class ResponseError(SocialCardError):
    """The card's answer has no room for a status word, or chains without end."""


class RecordError(SocialCardError):
    """A record is not the TLV that was asked for (wrong tag, length or size)."""


class FieldValueError(SocialCardError):
    """A record is well formed but its value cannot be what the field holds."""


# ---- commands ------------------------------------------------------------------------------


def select_file(fid: int) -> bytes:
    """SELECT an elementary file of the current DF by its file identifier."""
    return bytes((0x00, 0xA4, 0x02, 0x00, 0x02, fid >> 8, fid & 0xFF))


def read_record(tag: int, length: int) -> bytes:
    """READ RECORD by record identifier (P2=00: first occurrence of tag P1); Le = tag+len+value."""
    return bytes((0x00, 0xB2, tag, 0x00, (length + 2) & 0xFF))


def get_response(le: int) -> bytes:
    return bytes((0x00, 0xC0, 0x00, 0x00, le & 0xFF))


def exchange(transmit: Transmit, apdu: bytes, command: str, field: str | None = None) -> bytes:
    """Send one command and return its data; follows 61xx (GET RESPONSE) and 6Cxx (wrong Le).

    T=0 cards answer a SELECT with 61xx and keep the data for GET RESPONSE; a wrong Le draws
    6Cxx with the right one. Anything but 9000 at the end raises CardStatusError.
    """
    response = transmit(apdu)
    sw = _sw(response, command)
    if sw >> 8 == 0x6C and len(apdu) == 5:  # a case-2 command: its last byte is Le
        response = transmit(apdu[:-1] + bytes((sw & 0xFF,)))
        sw = _sw(response, command)
    data = bytearray(response[:-2])
    for _ in range(_MAX_GET_RESPONSE):
        if sw >> 8 != 0x61:
            break
        response = transmit(get_response(sw & 0xFF))
        sw = _sw(response, command)
        data += response[:-2]
    else:
        raise ResponseError(f"{command}: GET RESPONSE chain does not end", command=command)
    if sw != Sw.OK:
        error = SecurityStatusError if sw in SECURITY_SWS else CardStatusError
        raise error(command, sw, field)
    return bytes(data)


def _sw(response: bytes, command: str) -> int:
    if len(response) < 2:
        raise ResponseError(f"{command}: answer of {len(response)} bytes", command=command)
    return response[-2] << 8 | response[-1]


# ---- reading -------------------------------------------------------------------------------


def read_records(transmit: Transmit) -> dict[Field, bytes]:
    """SELECT SSSE, then EF05 and EF06, and READ RECORD every field; raw TLV records by field."""
    try:
        exchange(transmit, SELECT_SSSE, "select SSSE")
    except CardStatusError as exc:
        raise NotSocialCardError("select SSSE", exc.sw or 0) from None
    records: dict[Field, bytes] = {}
    for ef in (EF05, EF06):
        exchange(transmit, select_file(ef), f"select EF{ef & 0xFF:02X}")
        for f in FIELDS:
            if f.ef == ef:
                records[f] = exchange(
                    transmit, read_record(f.tag, f.length), f"read {f.label}", f.name
                )
    return records


def read_social_card(transmit: Transmit) -> IdentityCard:
    """The holder as an IdentityCard; raises SocialCardError (or the transport's own errors)."""
    return card_from_records(read_records(transmit))


# ---- parsing -------------------------------------------------------------------------------


def parse_tlv(field: Field, record: bytes) -> bytes:
    """The value of one record ``tag len value``; text fields may be shorter than their size."""
    if len(record) < 2:
        raise RecordError(f"{field.label}: record of {len(record)} bytes", field=field.name)
    tag, length = record[0], record[1]
    if tag != field.tag:
        raise RecordError(f"{field.label}: record has tag {tag:02X}", field=field.name)
    if length > len(record) - 2:
        raise RecordError(f"{field.label}: record shorter than its length", field=field.name)
    if length > field.length or (field.fixed and length != field.length):
        raise RecordError(f"{field.label}: value of {length} bytes", field=field.name)
    return record[2 : 2 + length]


def bcd_digits(field: Field, value: bytes) -> str:
    """Packed BCD to digits; trailing F nibbles are padding."""
    digits = value.hex().upper().rstrip("F")
    if not digits.isdigit() and digits:
        raise FieldValueError(f"{field.label}: not BCD", field=field.name)
    return digits


def bcd_date(field: Field, value: bytes, *, required: bool) -> dt.date | None:
    """YYYYMMDD in BCD; all zeros or all F mean "not set" where the field is optional."""
    if value in (bytes(len(value)), b"\xff" * len(value)):
        if required:
            raise FieldValueError(f"{field.label}: not set", field=field.name)
        return None
    date = parse_ymd(bcd_digits(field, value))
    if date is None:
        raise FieldValueError(f"{field.label}: not a date", field=field.name)
    return date


def ascii_code(field: Field, value: bytes, *, min_length: int = 1) -> str:
    """Letters and digits, padded with NUL, space or FF."""
    text = value.rstrip(b"\x00\xff ").lstrip(b" ")
    if not text.isascii() or not text.isalnum() or len(text) < min_length:
        raise FieldValueError(f"{field.label}: not a code", field=field.name)
    return text.decode("ascii").upper()


def gbk_name(value: bytes) -> str:
    """GBK, zero-padded; decoded as GB18030 (its superset) so rarer characters still read."""
    text = value.rstrip(b"\x00\xff").strip(b" ")
    try:
        name = text.decode("gb18030")
    except UnicodeDecodeError:
        raise FieldValueError(f"{NAME.label}: not GBK text", field=NAME.name) from None
    if not name or not name.isprintable():
        raise FieldValueError(f"{NAME.label}: empty or not printable", field=NAME.name)
    return name


def sex_of(value: bytes) -> Sex:
    """ASCII '1'/'2' (GB/T 2261.1; '0' unknown, '9' unspecified); raw 01/02 also seen."""
    code = value[0]
    if code in b"0129":
        return Sex.from_code(chr(code))
    if code in (0, 1, 2, 9):
        return Sex.from_code(str(code))
    raise FieldValueError(f"{SEX.label}: not a sex code", field=SEX.name)


def nation_of(value: bytes) -> str | None:
    """GB 3304 code in BCD; a code outside the table (00, 99 …) is no nation rather than an error."""
    return NATIONS.get(bcd_digits(NATION, value).zfill(2))


def card_from_records(records: dict[Field, bytes]) -> IdentityCard:
    """Build the card from the raw records (as READ RECORD returned them)."""
    values: dict[Field, bytes] = {}
    for f in FIELDS:
        if f not in records:
            raise RecordError(f"{f.label}: not read", field=f.name)
        values[f] = parse_tlv(f, records[f])
    card_number = values[CARD_NUMBER].rstrip(b"\x00\xff ")
    return IdentityCard(
        card_type=CardType.SOCIAL_SECURITY,
        name=gbk_name(values[NAME]),
        number=ascii_code(NUMBER, values[NUMBER], min_length=15),
        sex=sex_of(values[SEX]),
        birth_date=bcd_date(BIRTH_DATE, values[BIRTH_DATE], required=True),
        nation=nation_of(values[NATION]),
        issuer="",
        valid_from=bcd_date(ISSUE_DATE, values[ISSUE_DATE], required=False),
        valid_to=bcd_date(EXPIRY_DATE, values[EXPIRY_DATE], required=False),
        card_number=ascii_code(CARD_NUMBER, card_number) if card_number else None,
    )
