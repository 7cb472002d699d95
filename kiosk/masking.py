"""Masking of personal data for screens, slips and logs (GB/T 35273 §7.2).

Masking happens at the source: screens receive values from here, never the raw ones.
"""

from __future__ import annotations

import re

_MASK = "*"


def mask_name(name: str) -> str:
    """张三丰 → 张*丰, 张三 → 张*, 欧阳小明 → 欧**明; Latin names keep first and last letter."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + _MASK
    middle = "".join(" " if ch == " " else _MASK for ch in name[1:-1])
    return name[0] + middle + name[-1]


def mask_number(number: str) -> str:
    """ID numbers: first 6 and last 4 (140105********1234); short codes keep 2 + 2."""
    number = (number or "").strip()
    if len(number) >= 12:
        return number[:6] + _MASK * (len(number) - 10) + number[-4:]
    if len(number) > 4:
        return number[:2] + _MASK * (len(number) - 4) + number[-2:]
    return _MASK * len(number)


def mask_token(token: str) -> str:
    """QR tokens and other secrets: length and a 4-character prefix only, never the content."""
    token = token or ""
    return f"{token[:4]}…({len(token)} chars)" if len(token) > 8 else f"…({len(token)} chars)"


def mask_mobile(digits: str) -> str:
    """A mainland mobile number as typed so far: the 4th to 7th digits never shown
    (13812345678 → 138****5678, 13812 → 138**)."""
    digits = (digits or "").strip()
    return digits[:3] + _MASK * len(digits[3:7]) + digits[7:]


# 11-digit mainland mobile numbers (1, then 3-9, then 9 digits), alone or after +86 / 86
_MOBILE_LIKE = re.compile(r"(?<![0-9A-Za-z])(\+?86[- ]?)?(1[3-9]\d{9})(?![0-9A-Za-z])")

# 18-character ID numbers (resident, J permits, 2023 foreigner cards) and 15-character 2017
# foreigner numbers; used by the log filter as a second line of defence.
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|[A-Z]{3}\d{12})(?![0-9A-Za-z])")
# identity tokens as the kiosk's QR codes carry them (kiosk.qr.DEFAULT_TOKEN_PREFIXES: 三晋通,
# 网证); kiosk.qr does not import here, so the two prefixes are said again
_TOKEN_LIKE = re.compile(r"(?i)(?<![0-9A-Za-z])((?:SXT1\.|CTID:)[^\s\"',;)\]}]+)")
# a value after a key that names a person or a secret: name=张三, "holder": "李四", 姓名：王五,
# token=..., ticket: ...
_KEYED = re.compile(  # not words: keys as written in log text
    r"(?i)(?<![0-9A-Za-z_])(?P<key>name|holder|姓名|token|ticket)"
    r"(?P<sep>[\"']?\s*[:=：]\s*[\"']?)(?P<value>[^\s\"',;)\]}&]+)"
)
_NAME_KEYS = frozenset({"name", "holder", "姓名"})  # not words: keys


def _keyed(m: re.Match) -> str:
    value = m.group("value")
    key = m.group("key")
    if "…" in value or _MASK in value:  # masked already (a token above, or at the source)
        return m.group(0)
    masked = mask_name(value) if key.lower() in _NAME_KEYS else mask_token(value)
    return key + m.group("sep") + masked


def scrub(text: str) -> str:
    """Mask what in free text looks like an ID number, a mobile number, an identity token, or
    the value of a key that names a person or a secret (the log filter's second line of
    defence: nothing personal is meant to reach a log call at all)."""
    text = _ID_LIKE.sub(lambda m: mask_number(m.group(1)), text)
    text = _MOBILE_LIKE.sub(lambda m: (m.group(1) or "") + mask_mobile(m.group(2)), text)
    text = _TOKEN_LIKE.sub(lambda m: mask_token(m.group(1)), text)
    return _KEYED.sub(_keyed, text)
