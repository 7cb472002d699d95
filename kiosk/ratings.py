"""好差评 ratings: levels by name, and the two opposite numeric code orders at the boundary.

GB/T 39046 A.8 codes 1 = 非常满意 … 5 = 非常不满意; provincial reporting interfaces use
``satisfaction`` 1 = 非常不满意 … 5 = 非常满意. Inside the kiosk a level is only ever its name.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from kiosk.i18n import N_, _


class RatingLevel(StrEnum):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASIC = "basically_satisfied"
    DISSATISFIED = "dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"

    @property
    def label(self) -> str:
        return _(_LABELS[self])

    @property
    def stars(self) -> int:
        return _STARS[self]

    @property
    def is_bad(self) -> bool:
        """差评: levels 1–2 must carry a reason."""
        return self in (RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED)

    def gbt39046_code(self) -> int:
        """GB/T 39046 A.8: 1 = 非常满意 … 5 = 非常不满意."""
        return 6 - self.stars

    def satisfaction_code(self) -> int:
        """Reporting interfaces: 1 = 非常不满意 … 5 = 非常满意."""
        return self.stars

    @classmethod
    def from_gbt39046_code(cls, code: int) -> RatingLevel:
        return _BY_STARS[6 - code]

    @classmethod
    def from_satisfaction_code(cls, code: int) -> RatingLevel:
        return _BY_STARS[code]


_LABELS = {
    RatingLevel.VERY_SATISFIED: N_("非常满意"),
    RatingLevel.SATISFIED: N_("满意"),
    RatingLevel.BASIC: N_("基本满意"),
    RatingLevel.DISSATISFIED: N_("不满意"),
    RatingLevel.VERY_DISSATISFIED: N_("非常不满意"),
}
_STARS = {
    RatingLevel.VERY_SATISFIED: 5,
    RatingLevel.SATISFIED: 4,
    RatingLevel.BASIC: 3,
    RatingLevel.DISSATISFIED: 2,
    RatingLevel.VERY_DISSATISFIED: 1,
}
_BY_STARS = {v: k for k, v in _STARS.items()}

# Levels in the order shown on screen, best first (no default, no emphasis on any one).
LEVELS_SHOWN = tuple(sorted(RatingLevel, key=lambda lv: -lv.stars))

# Reason tags offered for bad ratings; codes travel comma-separated upstream.
BAD_REASONS: dict[str, str] = {
    "R01": N_("等候时间长"),
    "R02": N_("操作复杂看不懂"),
    "R03": N_("设备故障"),
    "R04": N_("材料要求不清楚"),
    "R05": N_("结果不符合预期"),
    "R06": N_("工作人员帮助不及时"),
}
GOOD_REASONS: dict[str, str] = {
    "G01": N_("办理快捷"),
    "G02": N_("操作简单"),
    "G03": N_("无需提交材料"),
    "G04": N_("指引清楚"),
}


def reasons_for(level: RatingLevel) -> dict[str, str]:
    """The tags a citizen may give with this level: a praise never explains a complaint."""
    return BAD_REASONS if level.is_bad else GOOD_REASONS


CHANNEL_SELF_SERVICE_TERMINAL = 5  # 评价渠道 pf = 5: 大厅其他终端

# Offline channels rate the service overall and, optionally, on three dimensions.
DIMENSIONS: dict[str, str] = {
    "efficiency": N_("服务效率"),
    "competence": N_("服务水平"),
    "attitude": N_("服务态度"),
}


@dataclass(frozen=True, slots=True)
class Rating:
    """One rating of one case, as queued in the outbox and sent upstream."""

    case_no: str
    item_code: str
    item_name: str
    department: str
    rater_ref: str
    level: RatingLevel
    rated_at: dt.datetime
    device_id: str
    region_code: str
    reasons: tuple[str, ...] = ()
    text: str = ""
    dimensions: tuple[tuple[str, RatingLevel], ...] = ()  # (dimension, level), optional each
    rating_count: int = 1
    channel: int = CHANNEL_SELF_SERVICE_TERMINAL
    rating_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def to_json(self) -> dict:
        return {
            "rating_id": self.rating_id,
            "case_no": self.case_no,
            "item_code": self.item_code,
            "item_name": self.item_name,
            "department": self.department,
            "rater_ref": self.rater_ref,
            "level": self.level.value,
            "satisfaction": self.level.satisfaction_code(),
            "reasons": ",".join(self.reasons),
            "text": self.text,
            "dimensions": {
                name: {"level": level.value, "satisfaction": level.satisfaction_code()}
                for name, level in self.dimensions
            },
            "rated_at": self.rated_at.isoformat(),
            "rating_count": self.rating_count,
            "channel": self.channel,
            "region_code": self.region_code,
            "device_id": self.device_id,
        }
