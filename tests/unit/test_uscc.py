"""The unified social credit code check (GB 32100-2015), against docs/codes.md."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devkit.people import ENTERPRISES
from kiosk.uscc import (
    USCC_ALPHABET,
    USCC_WEIGHTS,
    UsccProblem,
    is_uscc_shaped,
    is_valid_uscc,
    uscc_check_char,
    uscc_problem,
)

VALID = "91110108551385082Q"  # the reference's valid example
PILOT = "91350100M0001TGQXM"  # genuine, but fails the check (early pilot)


def test_alphabet_and_weights_are_the_reference_ones() -> None:
    assert USCC_ALPHABET == "0123456789ABCDEFGHJKLMNPQRTUWXY"
    assert len(USCC_ALPHABET) == 31 and not set("IOSVZ") & set(USCC_ALPHABET)
    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_reference_vectors() -> None:
    assert uscc_problem(VALID) is None and is_valid_uscc(VALID)
    assert uscc_check_char(VALID[:17]) == "Q"
    assert uscc_problem(PILOT) is UsccProblem.CHECK  # right shape: the platform decides
    assert is_uscc_shaped(PILOT) and not is_valid_uscc(PILOT)
    assert uscc_problem(VALID[:17] + "R") is UsccProblem.CHECK


def test_check_31_maps_to_0() -> None:
    # a sum that is 0 mod 31 gives 31 - 0 = 31, which the standard maps to "0"
    assert uscc_check_char("0" * 17) == "0"
    assert uscc_problem("0" * 18) is None
    # "1" at position 1 (weight 1) then "U" (value 27, weight 3 → 81): 82 mod 31 = 20 → 11 → B;
    # checked by hand so the weights and the alphabet values are both exercised
    assert uscc_check_char("1U" + "0" * 15) == "B"


@pytest.mark.parametrize(
    "code",
    [
        "",
        VALID[:17],  # too short
        VALID + "0",  # too long
        VALID.lower(),  # codes are upper case
        "91110108551385082I",  # I is not in the alphabet
        "9111010855138508OQ",  # nor O
        "91110108551385082S",  # nor S
        "9111010855138508VQ",
        "9111010855138508ZQ",
        "911101A8551385082Q",  # the area code is digits
        "91１10108551385082Q",  # full-width digit
        " 91110108551385082Q",
    ],
)
def test_format_problems(code: str) -> None:
    assert uscc_problem(code) is UsccProblem.FORMAT
    assert not is_valid_uscc(code)


def test_the_demo_enterprises_have_valid_codes() -> None:
    for enterprise in ENTERPRISES:
        assert uscc_problem(enterprise.uscc) is None, enterprise.key


def test_check_char_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        uscc_check_char("9111010855138508")
    with pytest.raises(ValueError):
        uscc_check_char("9111010855138508I")


CHAR = st.sampled_from(USCC_ALPHABET)
DIGIT = st.sampled_from("0123456789")
BODY = st.tuples(
    st.text(CHAR, min_size=2, max_size=2),
    st.text(DIGIT, min_size=6, max_size=6),
    st.text(CHAR, min_size=9, max_size=9),
).map("".join)


@given(BODY)
def test_body_plus_its_check_char_is_always_valid(body: str) -> None:
    assert uscc_problem(body + uscc_check_char(body)) is None


@given(BODY, st.integers(0, 17), st.integers(1, 30))
def test_any_single_substitution_is_caught(body: str, position: int, shift: int) -> None:
    """31 is prime and no weight is 0 mod 31, so one changed character always shows."""
    code = body + uscc_check_char(body)
    old = code[position]
    if 2 <= position <= 7:  # stay within the shape: the area code holds digits
        if old == str((int(old) + shift) % 10):
            return
        new = str((int(old) + shift) % 10)
    else:
        new = USCC_ALPHABET[(USCC_ALPHABET.index(old) + shift) % 31]
    changed = code[:position] + new + code[position + 1 :]
    assert uscc_problem(changed) is UsccProblem.CHECK
