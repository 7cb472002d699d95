"""The keyboard-wedge detector: a scanner's burst of keys is a scan, a person typing never is."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.qr import Refusal
from kiosk.wedge import MAX_GAP, MIN_LENGTH, WedgeDetector

PAYLOAD = "SXT1.abcdef0123456789"


def feed(detector: WedgeDetector, keys: list[tuple[str, float]]) -> list[str]:
    """Every payload the detector returns for these (key, time) events."""
    return [p for k, t in keys if (p := detector.key(k, t)) is not None]


def burst(text: str, start: float = 10.0, gap: float = 0.004, end: str = "enter"):
    keys = [(ch, start + i * gap) for i, ch in enumerate(text)]
    return [*keys, (end, start + len(text) * gap)]


def typed(text: str, start: float = 10.0, gap: float = 0.15, end: str = "enter"):
    return burst(text, start, gap, end)


def test_defaults_follow_the_reference() -> None:
    detector = WedgeDetector()
    assert (detector.max_gap, detector.min_length) == (MAX_GAP, MIN_LENGTH) == (0.03, 6)


@pytest.mark.parametrize("end", ["enter", "numpadenter", "\r", "\n", "tab", "\t"])
def test_a_burst_ending_with_enter_or_tab_is_a_scan(end: str) -> None:
    assert feed(WedgeDetector(), burst(PAYLOAD, end=end)) == [PAYLOAD]


def test_a_person_typing_is_never_a_scan() -> None:
    detector = WedgeDetector()
    assert feed(detector, typed(PAYLOAD)) == []
    assert feed(detector, typed(PAYLOAD, start=20.0, gap=0.031)) == []
    # a fast typist's rollover pairs are close, the rest is not
    keys = []
    t = 30.0
    for i, ch in enumerate("hello world"):
        t += 0.01 if i % 2 else 0.12
        keys.append((ch, t))
    keys.append(("enter", t + 0.01))
    assert feed(detector, keys) == []


def test_short_bursts_are_not_scans() -> None:
    assert feed(WedgeDetector(), burst("abcde")) == []
    assert feed(WedgeDetector(), burst("abcdef")) == ["abcdef"]
    assert feed(WedgeDetector(min_length=3), burst("abc")) == ["abc"]


def test_a_slow_key_inside_a_burst_restarts_it() -> None:
    detector = WedgeDetector()
    keys = burst("abcdefghij")
    keys[4] = (keys[4][0], keys[4][1] + 0.5)  # the fifth key comes late...
    later = [(k, t + 0.5) for k, t in keys[5:]]  # ...and the rest keep pace after it
    assert feed(detector, keys[:5] + later) == ["efghij"]  # never the whole payload


def test_a_slow_enter_ends_nothing() -> None:
    detector = WedgeDetector()
    keys = burst(PAYLOAD)
    keys[-1] = ("enter", keys[-1][1] + 0.2)
    assert feed(detector, keys) == []
    assert feed(detector, burst(PAYLOAD, start=20.0)) == [PAYLOAD]  # and the next scan works


def test_typing_before_a_scan_does_not_spoil_it() -> None:
    detector = WedgeDetector()
    keys = typed("abc", end="backspace") + typed("xyz", start=11.0)[:-1]
    assert feed(detector, keys + burst(PAYLOAD, start=12.0)) == [PAYLOAD]


def test_the_gap_boundary_is_inside() -> None:
    detector = WedgeDetector(max_gap=0.25)  # binary-exact times: no rounding at the boundary
    assert feed(detector, burst("abcdef", start=1.0, gap=0.25)) == ["abcdef"]
    assert feed(detector, burst("abcdef", start=9.0, gap=0.375)) == []


def test_modifiers_are_ignored_and_other_keys_break_a_burst() -> None:
    detector = WedgeDetector()
    keys = []
    t = 5.0
    for ch in "AbCdEf":
        if ch.isupper():
            keys.append(("shift", t))
            t += 0.002
        keys.append((ch, t))
        t += 0.002
    keys.append(("enter", t))
    assert feed(detector, keys) == ["AbCdEf"]
    keys = burst("abcdefgh", start=6.0)
    keys.insert(4, ("backspace", keys[3][1] + 0.001))
    assert feed(detector, keys) == []  # "efgh" is too short and "abcd" was broken off
    keys = burst("abcdefgh", start=7.0)
    keys.insert(8, ("\x1b", keys[7][1] + 0.001))  # Escape just before the Enter
    assert feed(detector, keys) == []


def test_a_clock_going_backwards_breaks_a_burst() -> None:
    detector = WedgeDetector()
    keys = burst("abcdefgh", start=5.0)
    keys[3] = (keys[3][0], 1.0)
    assert feed(detector, keys) == []


def test_an_overlong_burst_is_refused_not_passed_on() -> None:
    detector = WedgeDetector(max_length=50)
    assert feed(detector, burst("x" * 51)) == [Refusal.TOO_LONG], "refused, with a message"
    assert detector.overflows == 1 and detector.pending == 0
    assert feed(detector, burst("y" * 50, start=20.0)) == ["y" * 50]
    default = WedgeDetector()
    assert feed(default, burst("z" * 4097, gap=0.001)) == [Refusal.TOO_LONG]
    assert feed(default, burst("z" * 4096, start=100.0, gap=0.001)) == ["z" * 4096]


def test_pending_tells_a_burst_in_progress() -> None:
    detector = WedgeDetector()
    for k, t in burst("abc")[:-1]:
        detector.key(k, t)
    assert detector.pending == 3
    detector.reset()
    assert detector.pending == 0


def test_bad_settings() -> None:
    with pytest.raises(ValueError):
        WedgeDetector(max_gap=0)
    with pytest.raises(ValueError):
        WedgeDetector(min_length=0)
    with pytest.raises(ValueError):
        WedgeDetector(min_length=10, max_length=5)


# ---- properties -----------------------------------------------------------------------------

CHARS = st.characters(blacklist_categories=("Cc", "Cs"))
FAST = st.floats(0.0, MAX_GAP * 0.99)  # clear of float rounding at the boundary
SLOW = st.floats(MAX_GAP * 1.05, 10.0)
ENDS = st.sampled_from(["enter", "tab", "\r", "\t", "numpadenter"])


@st.composite
def scans(draw):
    text = draw(st.text(CHARS, min_size=MIN_LENGTH, max_size=80))
    gaps = draw(st.lists(FAST, min_size=len(text), max_size=len(text)))
    return text, gaps, draw(ENDS)


def timed(text: str, gaps: list[float], end: str, start: float) -> list[tuple[str, float]]:
    keys, t = [], start
    for ch, gap in zip([*text, end], [0.0, *gaps], strict=True):
        t += gap
        keys.append((ch, t))
    return keys


@given(scans(), st.floats(0.0, 1000.0), st.text(CHARS, max_size=10), SLOW)
def test_a_fast_burst_with_enter_is_always_found(scan, start, before, pause) -> None:
    """Whatever was typed before it, after a pause."""
    text, gaps, end = scan
    detector = WedgeDetector()
    keys = [(ch, start - pause - 0.2 * (len(before) - i)) for i, ch in enumerate(before)]
    assert feed(detector, keys + timed(text, gaps, end, start)) == [text]


@given(scans(), st.data(), SLOW, st.floats(0.0, 1000.0))
def test_a_long_gap_inside_never_yields_the_whole_sequence(scan, data, slow, start) -> None:
    text, gaps, end = scan
    where = data.draw(st.integers(0, len(gaps) - 1))  # the gap before key where + 1
    gaps = [*gaps[:where], slow, *gaps[where + 1 :]]
    found = feed(WedgeDetector(), timed(text, gaps, end, start))
    assert text not in found
    for payload in found:  # at most the part after the gap, if it alone is a whole scan
        assert text.endswith(payload) and len(payload) < len(text)


@given(st.lists(st.tuples(CHARS, SLOW), max_size=60), ENDS)
def test_slow_keys_never_make_a_scan(keys, end) -> None:
    detector = WedgeDetector()
    t = 0.0
    for ch, gap in keys:
        t += gap
        assert detector.key(ch, t) is None
    assert detector.key(end, t + 0.01) is None


def test_a_wedge_scanner_reports_itself_online_once_it_cannot_be_asked() -> None:
    from drivers.registry import open_scanner
    from kiosk.devices import DeviceKind, DeviceState
    from kiosk.events import DeviceChanged

    posted: list[object] = []
    scanner = open_scanner("qr+wedge:")
    assert scanner is not None
    scanner.start(posted.append)
    (event,) = posted
    assert isinstance(event, DeviceChanged)
    status = event.status
    assert (status.kind, status.state, status.source) == (
        DeviceKind.QR_SCANNER,
        DeviceState.ONLINE,
        "wedge",
    )
    assert status.usable and "cannot be asked" in status.detail
    scanner.stop()
