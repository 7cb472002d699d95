"""投诉与建议: a complaint composed from a category and common phrases, with an optional
callback number (docs/complaints.md).

Typing Chinese on a kiosk is hard, so nothing is typed but digits: the citizen picks a category
and any of its phrases, and may leave an 11-digit mobile number for a call back. The number is
the only personal datum here; it is shown masked (kiosk.masking.mask_mobile), never logged (the
record's repr hides it) and sealed at rest (kiosk.sealing).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum

from kiosk.i18n import N_, _
from kiosk.masking import mask_mobile

PHONE_DIGITS = 11
# a mainland mobile number: 1, then 3-9, then nine digits
_MOBILE = re.compile(r"1[3-9][0-9]{9}")  # ASCII digits only (\d takes any script's)
MAX_PHRASES = 6  # every phrase of a category may be chosen; this bounds the record


class Category(StrEnum):
    ATTITUDE = "attitude"
    EFFICIENCY = "efficiency"
    DEVICE = "device"
    MATERIALS = "materials"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _(_LABELS[self])

    @property
    def phrases(self) -> tuple[str, ...]:
        """The phrases' codes, in the order shown."""
        return tuple(code for code, _text in PHRASES[self])


_LABELS = {
    Category.ATTITUDE: N_("服务态度"),
    Category.EFFICIENCY: N_("办事效率"),
    Category.DEVICE: N_("设备故障"),
    Category.MATERIALS: N_("材料要求"),
    Category.OTHER: N_("其他"),
}

# (code, text): the code goes to the platform, the text is shown in the kiosk's language
PHRASES: dict[Category, tuple[tuple[str, str], ...]] = {
    Category.ATTITUDE: (
        ("impatient", N_("工作人员不耐心")),
        ("unclear", N_("解释不清楚")),
        ("rude", N_("态度生硬")),
        ("praise", N_("服务很好，提出表扬")),
    ),
    Category.EFFICIENCY: (
        ("long_wait", N_("等候时间太长")),
        ("many_trips", N_("需要多次跑腿")),
        ("slow_process", N_("办理流程太慢")),
    ),
    Category.DEVICE: (
        ("no_print", N_("无法打印")),
        ("card_unread", N_("读不出证件")),
        ("screen", N_("屏幕不灵敏")),
        ("no_scan", N_("无法扫码")),
    ),
    Category.MATERIALS: (
        ("too_many", N_("材料要求太多")),
        ("unclear_list", N_("材料说明不清楚")),
        ("inconsistent", N_("窗口与清单要求不一致")),
    ),
    Category.OTHER: (
        ("add_item", N_("希望增加可办事项")),
        ("guidance", N_("希望有人现场指导")),
        ("environment", N_("大厅环境需改善")),
    ),
}


def phrase_text(category: Category, code: str) -> str:
    """A phrase as shown, in the kiosk's language ('' for a code the category lacks)."""
    return next((_(text) for c, text in PHRASES[category] if c == code), "")


def phone_valid(digits: str) -> bool:
    """An 11-digit mainland mobile number."""
    return bool(_MOBILE.fullmatch(digits))


@dataclass(frozen=True, slots=True)
class Complaint:
    """One complaint as the platform receives it (docs/platform-api.yaml, Complaint)."""

    complaint_id: str
    category: Category
    phrases: tuple[str, ...]
    submitted_at: dt.datetime
    device_id: str
    region_code: str
    phone: str = field(default="", repr=False)  # only with consent to be called back
    consent: bool = False

    def __repr__(self) -> str:
        phone = mask_mobile(self.phone) if self.phone else ""
        return (
            f"Complaint({self.complaint_id}, {self.category.value}, {self.phrases}, "
            f"phone={phone!r})"
        )

    def to_json(self) -> dict:
        return {
            "complaint_id": self.complaint_id,
            "category": self.category.value,
            "phrases": list(self.phrases),
            "callback_phone": self.phone if self.consent else "",
            "callback_consent": self.consent and bool(self.phone),
            "submitted_at": self.submitted_at.isoformat(),
            "device_id": self.device_id,
            "region_code": self.region_code,
        }


# why 提交 waits, for the line under the keypad
PHONE_INCOMPLETE = N_("请输入11位手机号码，或清空号码匿名提交")
PHONE_INVALID = N_("手机号码不正确，请检查后重新输入")
CONSENT_NEEDED = N_("留下号码请勾选同意回访")


@dataclass
class Draft:
    """A complaint being composed on the screen: the journey holds it until it is stored or
    the citizen leaves (then it is dropped, the digits with it)."""

    category: Category | None = None
    phrases: list[str] = field(default_factory=list)  # codes, in the category's order
    phone: str = field(default="", repr=False)
    consent: bool = False
    saving: bool = False  # handed to the outbox: the screen waits

    def __repr__(self) -> str:
        return f"Draft({self.category}, {self.phrases}, phone={mask_mobile(self.phone)!r})"

    def choose(self, value: str) -> None:
        """A category; choosing another drops the phrases of the first."""
        try:
            category = Category(value)
        except ValueError:
            return
        if category is not self.category:
            self.category = category
            self.phrases.clear()

    def toggle_phrase(self, code: str) -> None:
        if self.category is None or code not in self.category.phrases:
            return
        chosen = set(self.phrases) ^ {code}
        self.phrases = [c for c in self.category.phrases if c in chosen]

    def digit(self, key: str) -> None:
        if len(key) == 1 and key in "0123456789" and len(self.phone) < PHONE_DIGITS:
            self.phone += key

    def delete(self) -> None:
        self.phone = self.phone[:-1]
        if not self.phone:
            self.consent = False  # consent belongs to a number

    @property
    def phone_problem(self) -> str:
        """Why the number stops 提交 (an N_ text), or ''."""
        if not self.phone:
            return ""
        if len(self.phone) < PHONE_DIGITS:
            return PHONE_INCOMPLETE
        if not phone_valid(self.phone):
            return PHONE_INVALID
        return "" if self.consent else CONSENT_NEEDED

    @property
    def ready(self) -> bool:
        return self.category is not None and bool(self.phrases) and not self.phone_problem

    def wipe(self) -> None:
        self.phone = ""
        self.consent = False
