"""Telling a keyboard-wedge scanner from a person at a keyboard, by timing alone. Pure.

A wedge scanner "types" its payload as key events, a few milliseconds apart, and ends with Enter
or Tab. A person is slower: even a fast typist's keys come 80-200 ms apart, with only the odd
rollover pair closer than 30 ms, and nobody sustains it over six keys and an Enter.

The timing rule (``max_gap`` seconds, ``min_length`` characters):
- a burst is a run of keys in which every key (characters and the final Enter/Tab) arrives at
  most ``max_gap`` after the key before it (a gap equal to ``max_gap`` is still inside);
- a scan is a burst of at least ``min_length`` characters whose last key is Enter or Tab;
- a character after a longer gap (or a clock that went backwards) starts a new burst with
  itself; Enter/Tab after a longer gap ends nothing; any other key (Backspace, arrows, Escape)
  ends the burst; modifier keys (Shift for capitals, CapsLock) are ignored altogether;
- a burst longer than ``max_length`` characters is dropped up to its Enter/Tab or its next long
  gap: such a payload is no QR code (``overflows`` counts them).

So a person typing, however long, never produces a scan, and a scan interrupted by a slow key is
never returned whole. The first character's own gap is not measured: nothing before a scan says
when it begins. Feed each character once (Kivy: ``on_textinput``, or ``on_key_down``'s
codepoint) and special keys by name (``on_key_down``'s keycode name: "enter", "tab", "shift"...),
with times from one monotonic clock taken when the event arrives. Keys queued while the UI
thread was busy arrive close together, which keeps a scan whole; a stall that falls between two
keys of a scan splits it, and the citizen scans again (a lost scan, never a wrong one).
"""

from __future__ import annotations

from kiosk.qr import MAX_PAYLOAD_BYTES, Refusal

MAX_GAP = 0.03  # seconds between keys of one scan
MIN_LENGTH = 6  # characters in a scan, before its Enter/Tab

ENTER_KEYS = frozenset({"enter", "return", "numpadenter", "kp_enter", "\r", "\n"})
TAB_KEYS = frozenset({"tab", "\t"})
MODIFIER_KEYS = frozenset(
    {
        *("shift", "lshift", "rshift", "ctrl", "lctrl", "rctrl", "alt", "lalt", "ralt"),
        *("alt-gr", "altgr", "capslock", "numlock", "super", "lsuper", "rsuper"),
        *("meta", "lmeta", "rmeta", "compose"),
    }
)


class WedgeDetector:
    """Feed every key with its time; ``key`` returns the payload when a scan completes."""

    def __init__(
        self,
        max_gap: float = MAX_GAP,
        min_length: int = MIN_LENGTH,
        max_length: int = MAX_PAYLOAD_BYTES,
    ):
        if not max_gap > 0:
            raise ValueError("max_gap must be positive")
        if min_length < 1 or max_length < min_length:
            raise ValueError("need 1 <= min_length <= max_length")
        self.max_gap = max_gap
        self.min_length = min_length
        self.max_length = max_length
        self.overflows = 0  # bursts dropped for being too long
        self._chars: list[str] = []
        self._last: float | None = None  # time of the burst's last key; None: no burst
        self._overflowed = False

    @property
    def pending(self) -> int:
        """Characters in the burst so far (0 when none): lets the UI hold back echoing keys."""
        return len(self._chars)

    def reset(self) -> None:
        self._chars.clear()
        self._last = None
        self._overflowed = False

    def key(self, key: str, t: float) -> str | Refusal | None:
        """One key: a single character, or a key name ("enter", "tab", "shift", "backspace").

        Returns the payload when a scan completes, Refusal.TOO_LONG when a scanner's burst ran
        past the limit (the same refusal as on the serial path), else None."""
        if key in MODIFIER_KEYS:
            return None
        last = self._last
        in_burst = last is not None and 0.0 <= t - last <= self.max_gap
        if key in ENTER_KEYS or key in TAB_KEYS:
            payload = "".join(self._chars)
            overflowed = self._overflowed
            complete = in_burst and not overflowed and len(payload) >= self.min_length
            self.reset()
            if in_burst and overflowed:
                return Refusal.TOO_LONG  # a scan, but too long: the citizen is told so
            return payload if complete else None
        if len(key) != 1 or key < " " or key == "\x7f":
            self.reset()  # editing or navigation: a person at the keyboard
            return None
        if not in_burst:
            self.reset()
        self._last = t
        if self._overflowed:
            return None
        self._chars.append(key)
        if len(self._chars) > self.max_length:
            self._chars.clear()
            self._overflowed = True
            self.overflows += 1
        return None
