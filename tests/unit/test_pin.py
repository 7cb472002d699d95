"""The technician's PIN: the hash kept in the configuration, its check, the lockout, the idle
sign-out. The clock is passed in, so five minutes pass in a line."""

from __future__ import annotations

import pytest

from kiosk import pin

FAST = {"n": 2**4, "r": 8, "p": 1}  # the format is the same at any cost; tests need no 50 ms


def test_a_hash_records_its_parameters_and_verifies_only_its_pin():
    stored = pin.hash_pin("123456")
    scheme, n, r, p, _salt, _digest = stored.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", pin.N, pin.R, pin.P)
    assert "123456" not in stored
    assert pin.verify_pin("123456", stored)
    assert not pin.verify_pin("123457", stored)
    assert not pin.verify_pin("1234567", stored)


def test_each_hash_has_its_own_salt():
    a, b = pin.hash_pin("20240601", **FAST), pin.hash_pin("20240601", **FAST)
    assert a != b
    assert pin.verify_pin("20240601", a) and pin.verify_pin("20240601", b)


def test_other_costs_read_back_from_the_text():
    stored = pin.hash_pin("87654321", **FAST)
    assert pin.parse_hash(stored).n == 16
    assert pin.verify_pin("87654321", stored)


@pytest.mark.parametrize("bad", ["12345", "123456789", "12345a", "１２３４５６", " 123456", ""])
def test_a_pin_is_six_to_eight_ascii_digits(bad):
    with pytest.raises(pin.PinError, match="6 to 8 digits"):
        pin.hash_pin(bad)
    assert not pin.verify_pin(bad, pin.hash_pin("123456", **FAST))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("123456", "must look like"),
        (
            "bcrypt$16$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "like",
        ),
        ("scrypt$x$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "not a number"),
        ("scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "power of 2"),
        ("scrypt$4194304$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "power of 2"),
        ("scrypt$1048576$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==", "out of bounds"),
        ("scrypt$16$8$1$AA==$AAAAAAAAAAAAAAAAAAAAAA==", "implausible length"),
        ("scrypt$16$8$1$AAAAAAAAAAAAAAAAAAAAAA==$not base64!", "base64"),
    ],
)
def test_a_tampered_hash_is_refused_before_scrypt_runs(text, why):
    """A file that asks for 8 GiB of memory per check is refused, not obeyed."""
    with pytest.raises(pin.PinError, match=why):
        pin.parse_hash(text)


def test_five_wrong_pins_lock_for_five_minutes_then_a_fresh_count():
    stored = pin.hash_pin("246810", **FAST)
    lock = pin.Lockout()
    now = 1000.0
    for _ in range(4):
        assert not lock.attempt("000000", stored, now)
        assert lock.allowed(now)
    assert not lock.attempt("000000", stored, now)  # the fifth
    assert not lock.allowed(now)
    assert lock.remaining(now) == pytest.approx(300.0)
    # the right PIN is not even checked while locked
    assert not lock.attempt("246810", stored, now + 299.0)
    assert lock.remaining(now + 299.0) == pytest.approx(1.0)
    assert lock.attempt("246810", stored, now + 300.0)
    assert lock.wrong == 0
    # after the lock a fresh count of five
    for _ in range(4):
        lock.attempt("000000", stored, now + 301.0)
    assert lock.allowed(now + 301.0)


def test_a_right_pin_resets_the_count():
    stored = pin.hash_pin("135790", **FAST)
    lock = pin.Lockout()
    for _ in range(4):
        lock.attempt("999999", stored, 0.0)
    assert lock.attempt("135790", stored, 1.0)
    for _ in range(4):
        lock.attempt("999999", stored, 2.0)
    assert lock.allowed(2.0), "the count started again after the right PIN"


def test_the_technician_is_signed_out_after_a_quiet_spell():
    idle = pin.Inactivity(now=50.0, seconds=120.0)
    assert not idle.expired(169.9)
    idle.touched(100.0)
    assert not idle.expired(219.9)
    assert idle.expired(220.0)
    idle.touched(10.0)  # a late event from before does not move the clock back
    assert idle.expired(220.0)
