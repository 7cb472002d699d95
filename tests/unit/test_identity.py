"""ID-number and date checks (kiosk/identity.py) on input from outside: ASCII digits only."""

from __future__ import annotations

import datetime as dt

import pytest

from devkit.people import CITIZENS
from kiosk.identity import id_number_problem, parse_ymd

TODAY = dt.date(2026, 12, 1)
VALID = CITIZENS[0].number
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_a_valid_number_passes() -> None:
    assert id_number_problem(VALID, TODAY) is None


@pytest.mark.parametrize(
    "number",
    [
        VALID[:16] + "²" + VALID[17],
        VALID[:17] + "²",
        VALID.translate(ARABIC_INDIC),
        VALID.translate(FULL_WIDTH),
        VALID[:17],
        VALID + "0",
    ],
    ids=["superscript", "superscript-check", "arabic-indic", "full-width", "short", "long"],
)
def test_a_number_that_is_not_ascii_digits_is_just_invalid(number: str) -> None:
    """Found in review: '²' passed str.isdigit() and int() then raised out of the check; and
    Arabic-Indic digits, which int() reads, could pass as a valid number."""
    assert id_number_problem(number, TODAY) == "号码格式不正确"


@pytest.mark.parametrize("text", ["１９８５０３１２", "١٩٨٥٠٣١٢", "1985031²"])
def test_a_date_of_other_digits_is_no_date(text: str) -> None:
    assert parse_ymd(text) is None
    assert parse_ymd("19850312") == dt.date(1985, 3, 12)
