"""Synthetic citizens and enterprises of the demo (no real person).

One list feeds both the reference platform (who is eligible for what) and the card emulators
(what the card says), so a card placed on the emulated reader is a citizen the platform knows.
ID numbers carry valid GB 11643 check characters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kiosk.identity import CardType, IdentityCard, Sex

# Accounts a person may hold; the platform's items require one of them (see devkit/seed.py).
SOCIAL_INSURANCE = "social_insurance"
RESIDENT_PENSION = "resident_pension"
PENSION_PAID = "pension_paid"
UNEMPLOYED = "unemployed"
MEDICAL = "medical"
HOUSING_FUND = "housing_fund"
HOUSING_LOAN_CLEARED = "housing_loan_cleared"
TAX = "tax"
PROPERTY = "property"
HUKOU = "hukou"
DRIVER = "driver"
MARRIED = "married"
LOW_INCOME = "low_income"
DISABILITY = "disability"
BIRTH_RECORD = "birth_record"
EDUCATION = "education"
SELF_EMPLOYED = "self_employed"
SOCIAL_CARD = "social_card"
CREDIT = "credit"
VETERAN = "veteran"


@dataclass(frozen=True)
class DemoCitizen:
    key: str
    name: str
    number: str
    sex: Sex
    nation: str
    birth: str
    address: str
    issuer: str
    valid_from: str
    valid_to: str  # YYYYMMDD or 长期
    accounts: frozenset[str] = field(default_factory=frozenset)
    note: str = ""
    card_type: CardType = CardType.RESIDENT
    name_en: str = ""
    nationality: str | None = None
    pass_number: str | None = None
    issue_count: int | None = None
    social_card_number: str | None = None  # holds a social-security card (PC/SC demo)

    def card(self) -> IdentityCard:
        resident = self.card_type is CardType.RESIDENT
        return IdentityCard(
            card_type=self.card_type,
            name=self.name,
            number=self.number,
            sex=self.sex,
            birth_date=_ymd(self.birth),
            nation=self.nation if resident else None,
            address=self.address,
            issuer=self.issuer,
            valid_from=_ymd(self.valid_from),
            valid_to=_ymd(self.valid_to),
            name_en=self.name_en,
            nationality=self.nationality,
            pass_number=self.pass_number,
            issue_count=self.issue_count,
            photo=bytearray(b"WLT" + bytes(1021)),
        )

    def social_card(self) -> IdentityCard:
        """The holder's social-security card (SSSE): ID number, name, card number, dates."""
        if self.social_card_number is None:
            raise ValueError(f"{self.key} holds no social-security card")
        issued = dt.date(2019, 6, 1)
        return IdentityCard(
            card_type=CardType.SOCIAL_SECURITY,
            name=self.name,
            number=self.number,
            sex=self.sex,
            birth_date=_ymd(self.birth),
            nation=self.nation,
            valid_from=issued,
            valid_to=issued.replace(year=issued.year + 10),
            card_number=self.social_card_number,
        )


def _ymd(s: str) -> dt.date | None:
    return None if s == "长期" else dt.date(int(s[:4]), int(s[4:6]), int(s[6:]))


_ALL_COMMON = frozenset({SOCIAL_INSURANCE, MEDICAL, TAX, HUKOU, SOCIAL_CARD, CREDIT})

CITIZENS: tuple[DemoCitizen, ...] = (
    DemoCitizen(
        "zhang_wei",
        "张伟",
        "140105198503120210",
        Sex.MALE,
        "汉",
        "19850312",
        "山西省太原市小店区长风街道平阳路88号",
        "太原市公安局小店分局",
        "20150312",
        "20350312",
        _ALL_COMMON | {HOUSING_FUND, PROPERTY, DRIVER, MARRIED, EDUCATION},
        "employee with a housing-fund account, a flat and a driving licence",
    ),
    DemoCitizen(
        "wang_guilan",
        "王桂兰",
        "140106194809050321",
        Sex.FEMALE,
        "汉",
        "19480905",
        "山西省太原市迎泽区桥东街12号院3单元",
        "太原市公安局迎泽分局",
        "20100905",
        "长期",
        frozenset({RESIDENT_PENSION, PENSION_PAID, MEDICAL, HUKOU, SOCIAL_CARD, PROPERTY}),
        "retired, 78, long-term card: pension certificates",
        social_card_number="A14010058",
    ),
    DemoCitizen(
        "li_ming",
        "李明",
        "140107199207180451",
        Sex.MALE,
        "回",
        "19920718",
        "山西省太原市杏花岭区府西街道解放路156号",
        "太原市公安局杏花岭分局",
        "20120718",
        "20320718",
        _ALL_COMMON | {UNEMPLOYED, EDUCATION},
        "registered unemployed, no housing fund",
    ),
    DemoCitizen(
        "zhao_min",
        "赵敏",
        "140109197601010681",
        Sex.FEMALE,
        "满",
        "19760101",
        "山西省太原市万柏林区和平南路96号",
        "太原市公安局万柏林分局",
        "20160101",
        "20360101",
        _ALL_COMMON | {HOUSING_FUND, HOUSING_LOAN_CLEARED, PROPERTY, MARRIED, DRIVER},
        "paid off a housing-fund loan",
    ),
    DemoCitizen(
        "chen_hao",
        "陈浩",
        "140108200104230112",
        Sex.MALE,
        "汉",
        "20010423",
        "山西省太原市尖草坪区迎新街道新兰路9号",
        "太原市公安局尖草坪分局",
        "20190423",
        "20290423",
        frozenset({MEDICAL, HUKOU, EDUCATION, BIRTH_RECORD, SOCIAL_CARD}),
        "student: few items",
    ),
    DemoCitizen(
        "liu_yan",
        "刘䶮",
        "140110196308300242",
        Sex.FEMALE,
        "汉",
        "19630830",
        "山西省太原市晋源区晋祠路一段8号",
        "太原市公安局晋源分局",
        "20130830",
        "20330830",
        _ALL_COMMON | {DISABILITY, LOW_INCOME, PROPERTY},
        "rare character (U+4DAE) in the name; disability and minimum-income certificates",
    ),
    DemoCitizen(
        "sun_qiang",
        "孙强",
        "140105199002151371",
        Sex.MALE,
        "蒙古",
        "19900215",
        "山西省太原市小店区亲贤北街201号",
        "太原市公安局小店分局",
        "20100215",
        "20200215",
        _ALL_COMMON | {HOUSING_FUND},
        "EXPIRED card (valid to 2020-02-15): the kiosk must refuse it",
    ),
    DemoCitizen(
        "zhou_xiuying",
        "周秀英",
        "140106195506110889",
        Sex.FEMALE,
        "汉",
        "19550611",
        "山西省太原市迎泽区柳巷南路5号",
        "太原市公安局迎泽分局",
        "20150611",
        "长期",
        frozenset({PENSION_PAID, MEDICAL, HUKOU, SOCIAL_CARD, VETERAN}),
        "retired, veteran family",
        social_card_number="A14010231",
    ),
    DemoCitizen(
        "wu_jun",
        "吴军",
        "140107198809091531",
        Sex.MALE,
        "汉",
        "19880909",
        "山西省太原市杏花岭区胜利街368号",
        "太原市公安局杏花岭分局",
        "20180909",
        "20380909",
        _ALL_COMMON | {SELF_EMPLOYED, DRIVER, VETERAN, PROPERTY},
        "self-employed, veteran",
    ),
    DemoCitizen(
        "zheng_li",
        "郑丽",
        "140109197005200729",
        Sex.FEMALE,
        "汉",
        "19700520",
        "山西省太原市万柏林区千峰南路33号",
        "太原市公安局万柏林分局",
        "20100520",
        "20300520",
        _ALL_COMMON | {HOUSING_FUND, MARRIED, EDUCATION},
        "housing fund, marriage record (a promised item)",
    ),
    DemoCitizen(
        "ouyang_xiaoming",
        "欧阳晓明",
        "140105199511201912",
        Sex.MALE,
        "汉",
        "19951120",
        "山西省太原市小店区坞城路92号",
        "太原市公安局小店分局",
        "20151120",
        "20351120",
        frozenset({HUKOU, SOCIAL_CARD}),
        "four-character name (欧**明)",
    ),
    DemoCitizen(
        "ma_yun",
        "马芸",
        "140108198103030469",
        Sex.FEMALE,
        "回",
        "19810303",
        "山西省太原市尖草坪区柴村街道6号",
        "太原市公安局尖草坪分局",
        "20210303",
        "20410303",
        frozenset(),
        "known to the platform but eligible for nothing: the empty list",
    ),
    DemoCitizen(
        "chan_kaming",
        "陈家明",
        "810000199005120039",
        Sex.MALE,
        None,
        "19900512",
        "山西省太原市小店区体育路101号",
        "太原市公安局",
        "20210601",
        "20310601",
        frozenset({SOCIAL_INSURANCE, MEDICAL, TAX, HOUSING_FUND}),
        "Hong Kong resident with a residence permit (J card)",
        card_type=CardType.HK_MO_TW_PERMIT,
        pass_number="H60123456",
        issue_count=2,
    ),
    DemoCitizen(
        "john_smith",
        "史密斯",
        "USA148801011280",
        Sex.MALE,
        None,
        "19880101",
        "",
        "",
        "20190315",
        "20290315",
        frozenset({SOCIAL_INSURANCE, MEDICAL, TAX}),
        "foreign permanent resident, 2017 card (I card)",
        card_type=CardType.FOREIGN_2017,
        name_en="SMITH JOHN",
        nationality="USA",
    ),
    DemoCitizen(
        "anna_ivanova",
        "安娜",
        "914840198807200011",
        Sex.FEMALE,
        None,
        "19880720",
        "",
        "",
        "20240110",
        "20340110",
        frozenset({SOCIAL_INSURANCE, MEDICAL, TAX, EDUCATION}),
        "foreign permanent resident, 2023 card (Y card)",
        card_type=CardType.FOREIGN_2023,
        name_en="IVANOVA ANNA",
        nationality="RUS",
    ),
)


@dataclass(frozen=True)
class DemoEnterprise:
    key: str
    name: str
    uscc: str
    representative_key: str  # the citizen who represents it
    accounts: frozenset[str]


ENTERPRISES: tuple[DemoEnterprise, ...] = (
    DemoEnterprise(
        "jinshang_tech",
        "太原晋商科技有限公司",
        "91140100MA0K8Q1X3C",
        "zhang_wei",
        frozenset({SOCIAL_INSURANCE, TAX, HOUSING_FUND}),
    ),
    DemoEnterprise(
        "fenhe_food",
        "山西汾河食品有限公司",
        "91140105MA0L2R7A05",
        "wu_jun",
        frozenset({SOCIAL_INSURANCE, TAX}),
    ),
)

BY_KEY = {c.key: c for c in CITIZENS}
BY_NUMBER = {c.number: c for c in CITIZENS}
