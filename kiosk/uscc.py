"""The unified social credit code (统一社会信用代码, GB 32100-2015) and its check character.

A failed check is not a refusal: some genuine early pilot codes fail it (91350100M0001TGQXM),
so callers warn and let the platform decide. Only a code of the wrong shape is no code at all.
"""

from __future__ import annotations

import re
from enum import StrEnum

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
USCC_LENGTH = 18
# 3^(i-1) mod 31 for positions 1..17: 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
USCC_WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(USCC_LENGTH - 1))

# Registration authority and organisation type, area code (GB/T 2260, six digits), then the
# organisation code and the check character. ASCII only: ``\d`` would take full-width digits.
_CHAR = "[0-9A-HJ-NPQRTUWXY]"
USCC_PATTERN = f"{_CHAR}{{2}}[0-9]{{6}}{_CHAR}{{10}}"
_SHAPE = re.compile(USCC_PATTERN)
_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}


class UsccProblem(StrEnum):
    """Why a code is not a valid USCC; FORMAT means it is not one, CHECK that it may still be."""

    FORMAT = "format"
    CHECK = "check"


def uscc_check_char(first17: str) -> str:
    """The 18th character for 17 characters of the alphabet (31 - sum mod 31, 31 → 0)."""
    if len(first17) != USCC_LENGTH - 1:
        raise ValueError(f"a USCC check needs 17 characters, got {len(first17)}")
    try:
        total = sum(_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not in the USCC alphabet") from None
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_uscc_shaped(code: str) -> bool:
    return _SHAPE.fullmatch(code) is not None


def uscc_problem(code: str) -> UsccProblem | None:
    """None for a valid code; FORMAT for the wrong shape (case matters: codes are upper case);
    CHECK for the right shape with the wrong check character."""
    if not is_uscc_shaped(code):
        return UsccProblem.FORMAT
    if uscc_check_char(code[:17]) != code[17]:
        return UsccProblem.CHECK
    return None


def is_valid_uscc(code: str) -> bool:
    return uscc_problem(code) is None
