"""SAM frames (GA 467): reply and command frames, the four card layouts, appended addresses,
the stream reader, and the technicians' capture decoder (``kiosk idcard parse``).

An input is bytes from the wire. It is read as it is, and once more with its LEN and check
byte made to agree with its size, so that what lies inside a frame reaches the card parsers
(a mutated frame almost never keeps a right XOR by chance).

Expected: ``SamError`` and its subclasses (FrameError, ChecksumError, TruncatedFrameError,
CardDataError, UnknownCardTypeError, SamStatusError, SamTimeout): the driver promises that
any bytes from the wire raise nothing else. Also checked, because the kiosk relies on them:
- a frame the stream reader hands out is one the frame parser accepts;
- a capture given as hex text decodes to the same bytes as the binary one;
- a card that parses has an ASCII letters-and-digits number, and neither its repr nor its
  masked JSON carries that number whole (they reach logs and terminals).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json

from cli.idcard import card_json, load_frame, parse_capture
from drivers.sam_cards import (
    join_addresses,
    parse_appended_addresses,
    parse_read_data,
    parse_read_reply,
)
from drivers.sam_protocol import (
    HEADER_LEN,
    MAX_LEN,
    MIN_REPLY_LEN,
    PREAMBLE,
    FrameReader,
    SamError,
    SamStatusError,
    SamTimeout,
    checksum,
    parse_command,
    parse_frame,
    parse_reply,
    parse_sam_id,
)
from drivers.sam_reader import fault_for
from fuzz.common import ByteStream
from kiosk.identity import IdentityCard, card_problem

EXPECTED: tuple[type[BaseException], ...] = (SamError,)
TODAY = dt.date(2025, 6, 13)
_MAX_FRAMES = 64  # frames taken from one input by the stream reader
_GARBAGE = 32  # bytes of each garbage run the stream reader is given (see stream_input)


def one_input(data: bytes) -> None:
    _frame(data)
    repaired = repair(data)
    if repaired is not None and repaired != data:
        _frame(repaired)
    with contextlib.suppress(SamError):
        parse_command(data).command  # noqa: B018 - the lookup is part of what is fuzzed
    _stream(data)


def repair(data: bytes) -> bytes | None:
    """``data`` with LEN and the check byte made right for its size (None: no room for them)."""
    if len(data) <= HEADER_LEN or not data.startswith(PREAMBLE):
        return None
    size = (len(data) - HEADER_LEN).to_bytes(2, "big")
    body = data[HEADER_LEN:-1]
    return PREAMBLE + size + body + bytes((checksum(size + body),))


def _frame(frame: bytes) -> None:
    """What the reader and ``kiosk idcard parse`` do with one reply frame."""
    with contextlib.suppress(SamError):
        _check_card(parse_capture(frame))
    if frame.startswith(PREAMBLE):
        assert load_frame(frame.hex(" ").encode()) == frame, "hex text decodes otherwise"
    try:
        _check_card(parse_read_reply(frame))
    except SamError as exc:
        fault_for(exc)
    try:
        reply = parse_reply(frame)
    except SamError:
        return
    fault_for(SamStatusError(reply.sw3))
    for fingerprint in (False, True):
        try:
            _check_card(parse_read_data(reply.data, fingerprint))
        except SamError as exc:
            fault_for(exc)
    with contextlib.suppress(SamError):
        parse_sam_id(reply.data)
    with contextlib.suppress(SamError):
        join_addresses("", parse_appended_addresses(reply.data))


def stream_input(data: bytes) -> bytes:
    """``data`` with every run of garbage cut to ``_GARBAGE`` bytes, frames kept whole.

    The reader skips garbage a preamble's length at a time; a longer run reaches no new code
    and only slows the instrumented run. A frame runs from its preamble over its LEN (a LEN
    above the maximum makes it a false preamble, which the reader skips).
    """
    out = bytearray()
    at = 0
    while at < len(data):
        start = data.find(PREAMBLE, at)
        if start < 0:
            out += data[at : at + _GARBAGE]
            break
        out += data[at : min(start, at + _GARBAGE)]
        length = int.from_bytes(data[start + 5 : start + HEADER_LEN], "big")
        end = start + (HEADER_LEN + length if length <= MAX_LEN else len(PREAMBLE))
        out += data[start:end]
        at = end
    return bytes(out)


def _stream(data: bytes) -> None:
    """The stream reader over ``data``: every frame it hands out must parse."""
    reader = FrameReader(ByteStream(stream_input(data)))
    for _ in range(_MAX_FRAMES):
        try:
            frame = reader.read_frame(0)
        except SamTimeout:
            break
        except SamError as exc:
            fault_for(exc)
            continue
        assert frame.startswith(PREAMBLE), "the reader handed out a frame without its preamble"
        parse_frame(frame, min_len=MIN_REPLY_LEN)  # must not raise: the reader checked it
        try:
            parse_reply(frame)
        except SamError:
            raise AssertionError("the reader handed out a frame that is no reply") from None


def _check_card(card: IdentityCard) -> None:
    number = card.number
    assert number and number.isascii() and number.isalnum(), "a card number of other characters"
    card_problem(card, TODAY)
    shown = json.dumps(card_json(card), ensure_ascii=False)
    card_json(card, unmasked=True)
    if len(number) >= 12:
        assert number not in repr(card), "repr(card) shows the whole number"
        assert number not in shown, "the masked JSON shows the whole number"
    card.wipe()
