"""Synthetic citizens and enterprises of the demo (no real person).

One list feeds both the reference platform (who is eligible for what) and the card emulators
(what the card says), so a card placed on the emulated reader is a citizen the platform knows.
ID numbers carry valid GB 11643 check characters.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from kiosk.identity import CardType, IdentityCard, Sex, id_check_char

DEMO_TECHNICIAN_PIN = "20261202"  # the demo kiosk's technician (a real one: `config set-pin`)

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


# ---- synthetic citizens in bulk (the privacy audit, load tests) --------------------------------

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容")
_GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鑫宇浩然"
    "子涵欣怡梓轩雨泽一诺思远嘉懿俊熙晨阳佳琪语桐梦瑶皓轩铭博文昊天宏志建国海峰晓东"
    "春梅秋菊冬雪立新振华永胜淑珍凤琴翠兰德明家豪昕悦沐辰瑾瑜堃喆昇玥珺淼"
)
# rare characters of real given names that GBK cannot encode (CJK Extension A; GB18030 can)
_RARE = "䶮㛃㵘䘵"
_FOREIGN_SURNAMES = (
    "SMITH",
    "JOHNSON",
    "MUELLER",
    "IVANOVA",
    "TANAKA",
    "NGUYEN",
    "GARCIA",
    "MARTIN",
    "ROSSI",
    "KOWALSKI",
    "NOVAK",
    "PETROV",
)
_FOREIGN_GIVEN = (
    "ANNA",
    "JOHN",
    "MARIA",
    "PETER",
    "YUKI",
    "MINH",
    "ELENA",
    "LUCA",
    "SOFIA",
    "DAVID",
    "OLGA",
    "THOMAS",
)
_FOREIGN_SURNAMES_CN = (
    "史密斯",
    "约翰逊",
    "穆勒",
    "伊万诺娃",
    "田中",
    "阮",
    "加西亚",
    "马丁",
    "罗西",
    "科瓦尔斯基",
    "诺瓦克",
    "彼得罗夫",
)
_FOREIGN_GIVEN_CN = (
    "安娜",
    "约翰",
    "玛丽亚",
    "彼得",
    "由纪",
    "明",
    "叶连娜",
    "卢卡",
    "索菲亚",
    "大卫",
    "奥尔加",
    "托马斯",
)
_NATIONALITY = (
    ("USA", "840"),
    ("RUS", "643"),
    ("JPN", "392"),
    ("KOR", "410"),
    ("DEU", "276"),
    ("GBR", "826"),
    ("FRA", "250"),
    ("VNM", "704"),
)
_AREAS = {  # GB/T 2260 codes of 太原 and its districts, and the issuing office
    "140105": ("小店区", "太原市公安局小店分局"),
    "140106": ("迎泽区", "太原市公安局迎泽分局"),
    "140107": ("杏花岭区", "太原市公安局杏花岭分局"),
    "140108": ("尖草坪区", "太原市公安局尖草坪分局"),
    "140109": ("万柏林区", "太原市公安局万柏林分局"),
    "140110": ("晋源区", "太原市公安局晋源分局"),
}
_STREETS = (
    "平阳路",
    "长风街",
    "府西街",
    "和平南路",
    "迎新街",
    "晋祠路",
    "亲贤北街",
    "柳巷南路",
    "胜利街",
    "千峰南路",
    "坞城路",
    "体育路",
    "双塔西街",
    "学府街",
    "南内环街",
    "桃园路",
)
_OPTIONAL_ACCOUNTS = (
    HOUSING_FUND,
    PROPERTY,
    DRIVER,
    MARRIED,
    EDUCATION,
    SOCIAL_CARD,
    CREDIT,
    UNEMPLOYED,
    DISABILITY,
    LOW_INCOME,
    VETERAN,
    SELF_EMPLOYED,
)


def synthetic_citizens(count: int, seed: int, *, avoid: str = "") -> tuple[DemoCitizen, ...]:
    """``count`` distinct synthetic citizens, the same for the same ``seed``.

    Names of 2 to 4 characters (compound surnames, one in about twelve with a rare character
    GBK cannot encode), about one in eight a foreign permanent resident with an English name
    and a transliterated Chinese one (2017 or 2023 card), valid ID numbers (GB 11643 check characters, docs/codes.md), birth
    dates, addresses, cards valid from 2016–2024 for 20 years or for good (so valid today), and
    accounts that make the common certificates available. Keys are ``synthetic_0000``, ….

    ``avoid``: public text the kiosk may legitimately hold (the published list, its guides, its
    messages). A name that occurs in it, in any of the encodings a privacy audit searches, is
    drawn again: a hit in that text would say nothing about the citizen.
    """
    rng = random.Random(seed)
    taken = ({c.name for c in CITIZENS} | {c.name_en for c in CITIZENS}) - {""}  # the demo's
    numbers = {c.number for c in CITIZENS}
    people: list[DemoCitizen] = []
    avoided = [avoid.encode(e) for e in ("utf-8", "utf-16-le", "gb18030")] if avoid else []
    while len(people) < count:
        foreign = rng.random() < 0.125
        if foreign:
            i, k = rng.randrange(len(_FOREIGN_SURNAMES)), rng.randrange(len(_FOREIGN_GIVEN))
            name_en = f"{_FOREIGN_SURNAMES[i]} {_FOREIGN_GIVEN[k]}"
            name = f"{_FOREIGN_GIVEN_CN[k]}·{_FOREIGN_SURNAMES_CN[i]}"  # as the card writes it
        else:
            name_en = ""
            surname = (
                rng.choice(_COMPOUND_SURNAMES) if rng.random() < 0.06 else rng.choice(_SURNAMES)
            )
            given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))
            if rng.random() < 0.08:
                given = given[:-1] + rng.choice(_RARE)
            name = (surname + given)[:4]
        if name in taken or name_en in taken or not _distinct(name, name_en, avoided):
            continue
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 65))
        valid_from = dt.date(rng.randint(2016, 2024), rng.randint(1, 12), rng.randint(1, 28))
        valid_to = "长期" if birth.year < 1975 else f"{valid_from.year + 20}{valid_from:%m%d}"
        area = rng.choice(sorted(_AREAS))
        district, issuer = _AREAS[area]
        address = f"山西省太原市{district}{rng.choice(_STREETS)}{rng.randint(1, 399)}号"
        if rng.random() < 0.3:
            address += f"{rng.randint(1, 20)}单元{rng.randint(101, 2802)}室"
        sex = rng.choice((Sex.MALE, Sex.FEMALE))
        seq = rng.randrange(0, 999, 2) + (1 if sex is Sex.MALE else 0)
        card_type = CardType.RESIDENT
        nationality = None
        accounts = {SOCIAL_INSURANCE, MEDICAL, TAX, HUKOU}
        if foreign:
            nationality, numeric = rng.choice(_NATIONALITY)
            if rng.random() < 0.5:
                card_type = CardType.FOREIGN_2017
                number = f"{nationality}14{birth:%y%m%d}{seq:03d}{rng.randint(0, 9)}"
            else:
                card_type = CardType.FOREIGN_2023
                first17 = f"914{numeric}{birth:%Y%m%d}{seq:03d}"
                number = first17 + id_check_char(first17)
            accounts = {SOCIAL_INSURANCE, MEDICAL, TAX}
        else:
            first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
            number = first17 + id_check_char(first17)
            accounts |= set(rng.sample(_OPTIONAL_ACCOUNTS, rng.randint(0, 4)))
        if number in numbers:
            continue
        social = None
        if not foreign and rng.random() < 0.2:
            social = f"A{rng.randrange(10**8):08d}"
        taken |= {name, name_en} - {""}
        numbers.add(number)
        people.append(
            DemoCitizen(
                key=f"synthetic_{len(people):04d}",
                name=name,
                number=number,
                sex=sex,
                nation=None if foreign else rng.choice(("汉",) * 8 + ("回", "满", "蒙古")),
                birth=f"{birth:%Y%m%d}",
                address="" if foreign else address,
                issuer="" if foreign else issuer,
                valid_from=f"{valid_from:%Y%m%d}",
                valid_to=valid_to,
                accounts=frozenset(accounts),
                note="synthetic",
                card_type=card_type,
                name_en=name_en,
                nationality=nationality,
                issue_count=1 if card_type is CardType.FOREIGN_2023 else None,
                social_card_number=social,
            )
        )
    return tuple(people)


def _distinct(name: str, name_en: str, avoided: list[bytes]) -> bool:
    """Not in the public text (in any encoding), and not made of printable ASCII in UTF-16:
    its bytes could then turn up in any hex string or English word."""
    for text in (name, name_en):
        if not text:
            continue
        wide = text.encode("utf-16-le")
        if all(0x20 <= b < 0x7F for b in wide):
            return False
        for encoded in (text.encode("utf-8"), wide, text.encode("gb18030")):
            if any(encoded in blob for blob in avoided):
                return False
    return True
