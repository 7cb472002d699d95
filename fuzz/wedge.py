"""Keyboard-wedge bursts: key events with their times, through the wedge detector.

Each event is two bytes: the key (printable ASCII, a key name, a control character, or any
code point) and the gap since the previous key (a quarter millisecond per step; 255: the clock
went back). The first byte picks the detector's limits, small enough for "too long" to happen.

Expected: nothing at all (``WedgeDetector.key`` never raises). Checked: whatever it returns is
None, Refusal.TOO_LONG, or a payload of ``min_length`` to ``max_length`` characters that are
exactly the last character keys fed, each at most ``max_gap`` after the one before and the
Enter/Tab that ended them (modifier keys aside): the timing rule of kiosk/wedge.py.
"""

from __future__ import annotations

import itertools

from kiosk.qr import Refusal
from kiosk.wedge import ENTER_KEYS, MODIFIER_KEYS, TAB_KEYS, WedgeDetector

EXPECTED: tuple[type[BaseException], ...] = ()

NAMED = (
    "enter",
    "tab",
    "return",
    "numpadenter",
    "\r",
    "\n",
    "\t",
    "shift",
    "capslock",
    "backspace",
    "escape",
    "left",
    "",
    "ab",
    "\x00",
    "\x1f",
    "\x7f",
    "\x85",
    "中",
    "\u3000",
)


def key_of(code: int, extra: int) -> str:
    if code < 0x60:
        return chr(0x20 + code)
    if code < 0x60 + len(NAMED):
        return NAMED[code - 0x60]
    return chr((code << 8 | extra) % 0x110000)


def one_input(data: bytes) -> None:
    if not data:
        return
    limits = data[0]
    min_length = 1 + limits % 8
    max_length = min_length + (limits >> 3) % 16 if limits & 0x80 else 4096
    detector = WedgeDetector(min_length=min_length, max_length=max_length)
    history: list[tuple[str, float]] = []  # non-modifier keys with their times
    t = 0.0
    for at in range(1, len(data) - 1, 2):
        code, gap = data[at], data[at + 1]
        key = key_of(code, data[at - 1])
        t += -0.01 if gap == 255 else gap / 4000
        overflows = detector.overflows
        result = detector.key(key, t)
        assert detector.overflows in (overflows, overflows + 1)
        assert detector.pending <= max_length
        if key not in MODIFIER_KEYS:
            history.append((key, t))
        if result is None or result is Refusal.TOO_LONG:
            continue
        assert isinstance(result, str), f"key returned {type(result).__name__}"
        assert key in ENTER_KEYS or key in TAB_KEYS, "a payload without Enter or Tab"
        assert min_length <= len(result) <= max_length, "a payload of the wrong length"
        burst = history[-len(result) - 1 :]
        assert "".join(k for k, _ in burst[:-1]) == result, "not the keys that were fed"
        times = [when for _, when in burst]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(0.0 <= g <= detector.max_gap for g in gaps), "a slow key inside a scan"
