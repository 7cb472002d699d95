"""What an identity card tells the kiosk, and the checks made before a session may start.

The card object lives in memory for one session only; its repr is masked so that a stray log
line or traceback never carries a name or a number.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum

from kiosk.i18n import N_, _
from kiosk.masking import mask_name, mask_number


class CardType(StrEnum):
    RESIDENT = "resident"
    HK_MO_TW_PERMIT = "hk_mo_tw_permit"
    FOREIGN_2017 = "foreign_2017"
    FOREIGN_2023 = "foreign_2023"
    SOCIAL_SECURITY = "social_security"


CARD_TYPE_LABELS = {
    CardType.RESIDENT: N_("居民身份证"),
    CardType.HK_MO_TW_PERMIT: N_("港澳台居民居住证"),
    CardType.FOREIGN_2017: N_("外国人永久居留身份证"),
    CardType.FOREIGN_2023: N_("外国人永久居留身份证"),
    CardType.SOCIAL_SECURITY: N_("社会保障卡"),
}


class Sex(StrEnum):
    UNKNOWN = "unknown"
    MALE = "male"
    FEMALE = "female"
    UNSPECIFIED = "unspecified"

    @classmethod
    def from_code(cls, code: str) -> Sex:
        return {"0": cls.UNKNOWN, "1": cls.MALE, "2": cls.FEMALE, "9": cls.UNSPECIFIED}.get(
            code.strip(), cls.UNKNOWN
        )


# 外国人永久居留身份证, both generations: the holder may read English better than Chinese
FOREIGN_CARDS = frozenset({CardType.FOREIGN_2017, CardType.FOREIGN_2023})

# GB 3304 nation codes.
NATIONS: dict[str, str] = {
    f"{i:02d}": name
    for i, name in enumerate(
        N_(
            "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
            "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 "
            "塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
        ).split(),
        start=1,
    )
}
NATIONS["97"] = N_("其他")
NATIONS["98"] = N_("外国血统中国籍人士")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# ASCII only: str.isdigit() also takes '²' (which int() refuses) and Arabic-Indic or full-width
# digits (which int() reads), and a card number is neither.
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_YMD = re.compile(r"[0-9]{8}")


def id_check_char(first17: str) -> str:
    """GB 11643 / ISO 7064 MOD 11-2 check character for the first 17 digits."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalise_id_number(number: str) -> str:
    return number.strip().upper()


def id_number_problem(number: str, today: dt.date | None = None) -> str | None:
    """Why an 18-character ID number (resident card or J permit) is not valid, or None."""
    number = normalise_id_number(number)
    if not _ID_SHAPE.fullmatch(number):
        return _("号码格式不正确")
    if id_check_char(number[:17]) != number[17]:
        return _("号码校验位不正确")
    birth = parse_ymd(number[6:14])
    if birth is None:
        return _("号码中的出生日期不存在")
    if birth > (today or dt.date.today()):
        return _("号码中的出生日期在未来")
    return None


def parse_ymd(text: str) -> dt.date | None:
    text = text.strip()
    if not _YMD.fullmatch(text):
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


@dataclass(slots=True, eq=False)
class IdentityCard:
    card_type: CardType
    name: str
    number: str
    sex: Sex = Sex.UNKNOWN
    birth_date: dt.date | None = None
    nation: str | None = None
    address: str = ""
    issuer: str = ""
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None  # None: 长期 (long-term)
    name_en: str = ""
    nationality: str | None = None
    pass_number: str | None = None
    issue_count: int | None = None
    card_number: str | None = None  # the card's own number (social-security cards)
    photo: bytearray = field(default_factory=bytearray)
    fingerprint: bytearray = field(default_factory=bytearray)

    @property
    def has_fingerprint(self) -> bool:
        return any(self.fingerprint)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name or self.name_en)

    @property
    def masked_number(self) -> str:
        return mask_number(self.number)

    def __repr__(self) -> str:
        return f"IdentityCard({self.card_type.value}, {self.masked_name}, {self.masked_number})"

    __str__ = __repr__

    def wipe(self) -> None:
        """Overwrite what can be overwritten and drop the rest."""
        for buf in (self.photo, self.fingerprint):
            buf[:] = bytes(len(buf))
            buf.clear()
        self.name = self.number = self.address = self.issuer = self.name_en = ""
        self.birth_date = self.valid_from = self.valid_to = None
        self.nation = self.nationality = self.pass_number = self.card_number = None
        self.issue_count = None


# 港澳台居民居住证: the number's region part says Hong Kong, Macau or Taiwan
PERMIT_PREFIXES = frozenset({"810000", "820000", "830000"})


class CardProblem(StrEnum):
    """Reasons a card that was read cannot start a session."""

    BAD_NUMBER = "bad_number"
    BAD_BIRTH_DATE = "bad_birth_date"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"


def card_problem(card: IdentityCard, today: dt.date | None = None) -> CardProblem | None:
    """Checks made before a session starts: number, birth date, validity period."""
    today = today or dt.date.today()
    if (
        card.card_type in (CardType.RESIDENT, CardType.HK_MO_TW_PERMIT, CardType.SOCIAL_SECURITY)
        and id_number_problem(card.number, today) is not None
    ):
        return CardProblem.BAD_NUMBER
    if card.card_type is CardType.HK_MO_TW_PERMIT and card.number[:6] not in PERMIT_PREFIXES:
        return CardProblem.BAD_NUMBER
    if card.birth_date is None or card.birth_date > today:
        return CardProblem.BAD_BIRTH_DATE
    if card.card_type in (CardType.RESIDENT, CardType.HK_MO_TW_PERMIT) and card.number[
        6:14
    ] != card.birth_date.strftime("%Y%m%d"):
        return CardProblem.BAD_BIRTH_DATE  # the chip contradicts itself: not a card to trust
    if card.valid_from is not None and card.valid_from > today:
        return CardProblem.NOT_YET_VALID
    if card.valid_to is not None and card.valid_to < today:
        return CardProblem.EXPIRED
    return None
