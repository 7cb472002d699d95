"""Fuzz every parser of SAM bytes with a seeded mutator of valid frames.

Each case takes a valid frame (read replies of every demo card with and without fingerprints,
status replies, appended-address replies) and spoils it one way: random bytes, random content
in a good frame, truncation, bit flips (with the checksum left wrong or fixed, so the content
parsers see them), a lying LEN field, lying text/photo/fingerprint lengths, a changed card-type
flag, random text-block bytes, a random SW3, or garbage spliced in. Every case is then fed to
the read-reply parser (30 01, 30 10 and detect), the `kiosk idcard parse` decoder (binary and
hex), the JSON view of any card that parses, the stream reader, and the appended-address
parser. Only the driver's own errors (SamError) may escape; anything else is a bug.

Prints one JSON line; exit status 1 if anything unexpected escaped. Not part of `make test`
(a short hypothesis run is); about 40 s for the default 200,000 cases.

    .venv/bin/python bench/fuzz_sam.py [--cases 200000] [--seed 1]
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli.idcard import card_json, parse_capture  # noqa: E402
from devkit.people import CITIZENS  # noqa: E402
from devkit.sam_encode import address_reply_data, read_reply_frame  # noqa: E402
from drivers.sam_cards import parse_appended_addresses, parse_read_reply  # noqa: E402
from drivers.sam_protocol import (  # noqa: E402
    FrameReader,
    SamError,
    SamTimeout,
    Sw3,
    checksum,
    parse_reply,
    reply_frame,
)

HEADER = 7
TEXT_AT = {1295: 14, 2321: 16}  # where the text block starts, by frame size


class ByteStream:
    """An in-memory port that returns what it holds (a serial port with timeout 0)."""

    def __init__(self, data: bytes):
        self.data = bytearray(data)

    def read(self, size: int = 1) -> bytes:
        out = bytes(self.data[:size])
        del self.data[:size]
        return out


def fix(frame: bytearray) -> bytearray:
    """Make the check byte right again, so that what lies inside reaches the content parsers."""
    if len(frame) > HEADER:
        frame[-1] = checksum(frame[5:-1])
    return frame


def base_frames() -> list[bytes]:
    frames = []
    for citizen in CITIZENS:
        card = citizen.card()
        frames.append(read_reply_frame(card))
        card.fingerprint = bytearray(range(256)) * 4
        frames.append(read_reply_frame(card, fingerprint=True))
    frames += [reply_frame(Sw3.OK), reply_frame(Sw3.CARD_FOUND, bytes(4))]
    frames.append(reply_frame(Sw3.OK, address_reply_data(["山西省太原市小店区平阳路1号"] * 2)))
    return frames


# ---- mutators: each takes (rng, a valid frame) and returns bytes ----------------------------


def random_bytes(rng: random.Random, frame: bytes) -> bytes:
    return rng.randbytes(rng.randrange(0, 2400))


def random_content(rng: random.Random, frame: bytes) -> bytes:
    body = rng.randbytes(rng.randrange(0, len(frame)))
    return bytes(fix(bytearray(frame[:5] + (len(body) + 1).to_bytes(2, "big") + body + b"\0")))


def truncate(rng: random.Random, frame: bytes) -> bytes:
    return frame[: rng.randrange(0, len(frame))]


def bit_flips(rng: random.Random, frame: bytes) -> bytes:
    out = bytearray(frame)
    for _ in range(rng.randint(1, 16)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def bit_flips_fixed(rng: random.Random, frame: bytes) -> bytes:
    out = bytearray(frame)
    for _ in range(rng.randint(1, 16)):
        out[rng.randrange(HEADER, max(HEADER + 1, len(out) - 1))] ^= 1 << rng.randrange(8)
    return bytes(fix(out))


def length_lie(rng: random.Random, frame: bytes) -> bytes:
    out = bytearray(frame)
    length = int.from_bytes(out[5:7], "big")
    lie = rng.choice([rng.randrange(0, 0x10000), length + rng.randint(-8, 8), 0, 0xFFFF])
    out[5:7] = (lie % 0x10000).to_bytes(2, "big")
    return bytes(fix(out) if rng.random() < 0.5 else out)


def data_length_lie(rng: random.Random, frame: bytes) -> bytes:
    out = bytearray(frame)
    if len(out) < 16:
        return bytes(out)
    at = rng.choice([10, 12, 14])  # text, photo, fingerprint lengths
    out[at : at + 2] = rng.randrange(0, 0x10000).to_bytes(2, "big")
    return bytes(fix(out))


def type_flag(rng: random.Random, frame: bytes) -> bytes:
    out = bytearray(frame)
    start = TEXT_AT.get(len(out))
    if start is None:
        return bytes(out)
    flag = rng.choice([rng.randbytes(2), *(c.encode("utf-16-le") for c in " IJY\0Q")])
    out[start + 248 : start + 250] = flag
    return bytes(fix(out))


def text_bytes(rng: random.Random, frame: bytes) -> bytes:
    out = bytearray(frame)
    start = TEXT_AT.get(len(out))
    if start is None:
        return bit_flips_fixed(rng, frame)
    for _ in range(rng.randint(1, 24)):
        out[start + rng.randrange(256)] = rng.randrange(256)
    return bytes(fix(out))


def status_byte(rng: random.Random, frame: bytes) -> bytes:
    out = bytearray(frame)
    if len(out) > 9:
        out[rng.choice([7, 8, 9])] = rng.randrange(256)
    return bytes(fix(out))


def splice(rng: random.Random, frame: bytes) -> bytes:
    at = rng.randrange(len(frame) + 1)
    noise = rng.randbytes(rng.randrange(1, 32))
    if rng.random() < 0.3:
        noise = b"\xaa\xaa\xaa\x96\x69" + noise  # a false preamble
    return frame[:at] + noise + frame[at:]


def address_data(rng: random.Random, frame: bytes) -> bytes:
    blocks = rng.randint(0, 9)
    size = blocks * 70 + rng.choice([0, 0, 0, rng.randint(-3, 3)])
    data = bytearray(rng.randbytes(max(0, size)))
    if rng.random() < 0.5:  # mostly CJK and spaces: decodes, exercises the trimming
        for i in range(0, len(data) - 1, 2):
            data[i : i + 2] = chr(rng.choice([0x20, 0x3000, 0x4E00 + rng.randrange(500)])).encode(
                "utf-16-le"
            )
    return reply_frame(Sw3.OK, bytes(data))


MUTATORS: dict[str, Callable[[random.Random, bytes], bytes]] = {
    f.__name__: f
    for f in (
        random_bytes,
        random_content,
        truncate,
        bit_flips,
        bit_flips_fixed,
        length_lie,
        data_length_lie,
        type_flag,
        text_bytes,
        status_byte,
        splice,
        address_data,
    )
}


# ---- the parsers under test -----------------------------------------------------------------


def exercise(data: bytes, rng: random.Random) -> int:
    """Feed ``data`` to every parser; return how many parsed. Only SamError is expected."""
    ok = 0
    for fingerprint in (None, False, True):
        try:
            card = parse_read_reply(data, with_fingerprint=fingerprint)
        except SamError:
            continue
        ok += 1
        card_json(card)
        card_json(card, unmasked=True)
    capture = data if rng.random() < 0.8 else data.hex(" ").encode()
    try:
        card_json(parse_capture(capture))
        ok += 1
    except SamError:
        pass
    try:
        reply = parse_reply(data)
        parse_appended_addresses(reply.data)
        ok += 1
    except SamError:
        pass
    reader = FrameReader(ByteStream(data + rng.randbytes(rng.randrange(0, 8))))
    for _ in range(64):
        try:
            reader.read_frame(0)
        except SamTimeout:
            break
        except SamError:
            continue
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    frames = base_frames()
    names = list(MUTATORS)
    by_mutator: collections.Counter[str] = collections.Counter()
    parsed = 0
    unexpected: list[dict[str, str]] = []
    unexpected_count = 0
    start = time.monotonic()
    for _ in range(args.cases):
        name = rng.choice(names)
        data = MUTATORS[name](rng, rng.choice(frames))
        by_mutator[name] += 1
        try:
            parsed += exercise(data, rng) > 0
        except Exception as exc:  # counting what escaped is the point
            unexpected_count += 1
            if len(unexpected) < 5:
                unexpected.append(
                    {
                        "mutator": name,
                        "error": type(exc).__name__,
                        "where": traceback.format_tb(exc.__traceback__)[-1].strip(),
                        "input_hex": data[:64].hex(),
                    }
                )
    print(
        json.dumps(
            {
                "bench": "fuzz_sam",
                "cases": args.cases,
                "unexpected": unexpected_count,
                "seconds": round(time.monotonic() - start, 1),
                "seed": args.seed,
                "cases_with_a_successful_parse": parsed,
                "by_mutator": dict(sorted(by_mutator.items())),
                **({"first_unexpected": unexpected} if unexpected else {}),
            },
            ensure_ascii=False,
        ),
        flush=True,
    )
    return 1 if unexpected_count else 0


if __name__ == "__main__":
    raise SystemExit(main())
