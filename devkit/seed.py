"""Demo data of the reference platform: the published items, their guides, who may use them,
and what each certificate says.

One place for all of it, so that the reference server, the demo panel and the tests agree on
which citizen sees which item (docs/service-items.md says what an item holds; devkit/people.py
holds the people).
The wording of guides and certificates follows real Shanxi/Taiyuan templates closely enough for
a demo; the figures on certificates are made up, deterministic per citizen and item.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass

from devkit import people as p
from kiosk.document import Document, DocumentKind, Field
from kiosk.masking import mask_number
from kiosk.models import CaseKind, MaterialSource, Subject

CATALOGUE_VERSION = "2025.1"
REGION_CODE = "140100"  # 太原市

LICENCE = MaterialSource.LICENCE
SHARED = MaterialSource.SHARED
PLEDGE = MaterialSource.PLEDGE
CITIZEN = MaterialSource.CITIZEN

PURPOSE = "本证明仅用于办理相关业务"
FOOTER = "本证明由太原市一体化政务服务平台自助终端出具，扫描二维码或登录“三晋通”APP输入核验码可核验真伪。"
RECEIPT_FOOTER = "凭受理编号可在本机、“三晋通”APP或拨打12345查询办理进度。"

_INSTANT_PROCESS = (
    "1. 在自助终端放置居民身份证，核验身份；"
    "2. 选择本事项，确认办理；"
    "3. 平台通过电子证照库和数据共享自动获取所需材料，即时出具结果；"
    "4. 现场打印带核验码的证明，请取走身份证和证明。"
)
_PROMISED_PROCESS = (
    "1. 在自助终端放置居民身份证，核验身份；"
    "2. 选择本事项，阅读办事指南{pledge}并确认提交；"
    "3. 打印受理回执；"
    "4. 承办部门在承诺时限内审核办结，结果以短信通知{tail}。"
)


@dataclass(frozen=True)
class MaterialSeed:
    name: str
    source: MaterialSource
    note: str = ""
    required: bool = True

    def to_json(self) -> dict:
        out = {
            "name": self.name,
            "source": self.source.value,
            "required": self.required,
            "note": self.note,
        }
        if self.name in MATERIALS_EN:
            out["name_en"] = MATERIALS_EN[self.name]
        return out


@dataclass(frozen=True)
class SeedItem:
    """One published item (事项) with its guide (办事指南) and its eligibility rule."""

    key: str
    seq: int  # order in the published list
    name: str
    department: str
    dept_code: str  # 3 digits, part of the implementation code
    item_type: str  # 07 确认, 10 其他, 20 公共服务, 05 给付
    category: str
    case_kind: CaseKind
    visits: int
    requires: str | None  # account the subject must hold (devkit/people.py), None: anyone
    conditions: str
    materials: tuple[MaterialSeed, ...]
    legal_basis: str
    phone: str
    subject: Subject = Subject.PERSON
    promised_days: int | None = None
    fee: str = "不收费"
    pledge_text: str = ""
    result_tail: str = ""  # promised items: how the result reaches the citizen
    valid_days: int = 90  # certificates: validity from the day of issue
    unavailable_reason: str = ""  # overrides the reason for the missing account

    @property
    def item_code(self) -> str:
        """实施编码 (demo): area + item type + department + sequence + 业务办理项 00."""
        return f"{REGION_CODE}{self.item_type}{self.dept_code}{self.seq:03d}00"

    @property
    def prints(self) -> bool:
        """An instant item prints its certificate on the spot; a promised one only a receipt."""
        return self.case_kind is CaseKind.INSTANT

    @property
    def process(self) -> str:
        if self.case_kind is CaseKind.INSTANT:
            return _INSTANT_PROCESS
        return _PROMISED_PROCESS.format(
            pledge="，阅读并确认告知承诺书" if self.pledge_text else "",
            tail=self.result_tail,
        )

    def reason_missing(self) -> str:
        if self.unavailable_reason:
            return self.unavailable_reason
        return REASONS.get(self.requires or "", "您暂不符合本事项的办理条件，请到人工窗口咨询")

    def item_json(self, available: bool | None = None, reason: str = "") -> dict:
        out = {
            "item_code": self.item_code,
            "name": self.name,
            "department": self.department,
            "category": self.category,
            "subject": self.subject.value,
            "case_kind": self.case_kind.value,
            "promised_days": self.promised_days,
            "visits": self.visits,
            "prints": self.prints,
        }
        english = ITEMS_EN.get(self.key)
        if english is not None:
            out["name_en"] = english[0]
        if self.department in DEPARTMENTS_EN:
            out["department_en"] = DEPARTMENTS_EN[self.department]
        if available is not None:
            out["available"] = available
            out["unavailable_reason"] = "" if available else reason
        return out

    def guide_json(self, available: bool | None = None, reason: str = "") -> dict:
        return {
            "item": self.item_json(available, reason),
            "conditions": self.conditions,
            "process": self.process,
            "fee": self.fee,
            "legal_basis": self.legal_basis,
            "phone": self.phone,
            "materials": [m.to_json() for m in self.materials],
            "pledge_text": self.pledge_text,
            "guide_url": GUIDE_URL + self.item_code,
            **({"summary_en": ITEMS_EN[self.key][1]} if self.key in ITEMS_EN else {}),
            **({"window": w} if (w := window_json(self.department)) else {}),
        }


# Why an item is not available, by the account it needs: short, and says where to go instead.
REASONS: dict[str, str] = {
    p.SOCIAL_INSURANCE: "您暂无职工社会保险参保记录，可拨打12333或到社保窗口咨询",
    p.RESIDENT_PENSION: "您暂无城乡居民养老保险参保记录，需到社区（村）或社保窗口办理参保",
    p.PENSION_PAID: "您暂未领取养老保险待遇，办理退休需到社保窗口",
    p.UNEMPLOYED: "您暂无失业登记记录，需到公共就业服务机构窗口办理失业登记",
    p.MEDICAL: "您暂无基本医疗保险参保记录，需到医保窗口咨询参保",
    p.HOUSING_FUND: "您暂无住房公积金缴存记录",
    p.HOUSING_LOAN_CLEARED: "您暂无已结清的住房公积金贷款",
    p.TAX: "您暂无个人所得税纳税记录",
    p.PROPERTY: "您暂无不动产登记业务记录",
    p.HUKOU: "您的户籍不在本市，需到户籍所在地公安机关窗口办理",
    p.DRIVER: "您暂无本市机动车驾驶证信息，需到车管所窗口办理",
    p.MARRIED: "未查询到您的婚姻登记记录，需到婚姻登记处窗口办理",
    p.LOW_INCOME: "您暂非低保或特困供养对象，申请需到街道（乡镇）窗口办理",
    p.DISABILITY: "您暂无残疾人证信息，需到区县残联窗口办理",
    p.BIRTH_RECORD: "未查询到您的出生医学证明信息，需到出生医院或区县卫健部门窗口办理",
    p.EDUCATION: "未查询到您的学历学籍信息，需到毕业学校或教育局窗口办理",
    p.SELF_EMPLOYED: "您名下暂无个体工商户登记信息",
    p.SOCIAL_CARD: "您暂未申领社会保障卡，需到社保卡服务网点办理",
    p.CREDIT: "暂无法在本机查询您的信用报告，需到人民银行征信查询网点办理",
    p.VETERAN: "您暂无退役军人优待证信息，需到退役军人服务站窗口办理",
}

RSJ = "太原市人力资源和社会保障局（社会保险中心）"
RSJ_CARD = "太原市人力资源和社会保障局"
YBJ = "太原市医疗保障局"
GJJ = "太原市住房公积金管理中心"
SWJ = "国家税务总局太原市税务局"
BDC = "太原市不动产登记中心"
GAJ = "太原市公安局"
GAJ_PCS = "太原市公安局（户籍派出所）"
JJ = "太原市公安局交通警察支队"
MZJ = "太原市民政局"
CL = "太原市残疾人联合会"
WJW = "太原市卫生健康委员会"
JYJ = "太原市教育局"
SPJ = "太原市行政审批服务管理局"
RMYH = "中国人民银行山西省分行"
TYJR = "太原市退役军人事务局"

# English for a handful of items, as a platform may publish it for foreign residents (optional
# in the contract: the other items stay Chinese on English screens): name and a guide summary
_EN_INSTANT = (
    " Place your ID card on the kiosk, choose the service and confirm: the platform fetches the"
    " records itself and the certificate, with a verification QR, is printed on the spot. Free"
    " of charge."
)
ITEMS_EN: dict[str, tuple[str, str]] = {
    "si_payment_proof": (
        "Social Security contribution certificate",
        "For anyone insured with Taiyuan's employee Social Security: a certificate of your"
        " contributions." + _EN_INSTANT,
    ),
    "medical_proof": (
        "Medical insurance certificate",
        "For anyone with basic medical insurance in Taiyuan: a certificate of your cover."
        + _EN_INSTANT,
    ),
    "medical_account": (
        "Medical insurance personal account statement",
        "For anyone with basic medical insurance in Taiyuan: the payments in and out of your"
        " personal account." + _EN_INSTANT,
    ),
    "tax_record": (
        "Individual income tax payment record",
        "For anyone who has paid individual income tax: a record of the tax paid." + _EN_INSTANT,
    ),
    "fund_deposit_proof": (
        "Housing provident fund contribution certificate",
        "For anyone paying into a housing provident fund account in Taiyuan: a certificate of"
        " your contributions." + _EN_INSTANT,
    ),
    "credit_report": (
        "Personal credit report",
        "Your personal credit report from the People's Bank of China's credit reference"
        " centre." + _EN_INSTANT,
    ),
}
DEPARTMENTS_EN: dict[str, str] = {
    RSJ: "Taiyuan Social Insurance Centre",
    RSJ_CARD: "Taiyuan Human Resources and Social Security Bureau",
    YBJ: "Taiyuan Healthcare Security Administration",
    GJJ: "Taiyuan Housing Provident Fund Management Centre",
    SWJ: "Taiyuan Taxation Bureau, State Taxation Administration",
    BDC: "Taiyuan Real Estate Registration Centre",
    GAJ: "Taiyuan Public Security Bureau",
    GAJ_PCS: "Taiyuan Public Security Bureau (household registration police station)",
    JJ: "Taiyuan Traffic Police Detachment",
    MZJ: "Taiyuan Civil Affairs Bureau",
    CL: "Taiyuan Disabled Persons' Federation",
    WJW: "Taiyuan Health Commission",
    JYJ: "Taiyuan Education Bureau",
    SPJ: "Taiyuan Administrative Approval Service Bureau",
    RMYH: "People's Bank of China, Shanxi Branch",
    TYJR: "Taiyuan Veterans Affairs Bureau",
}
MATERIALS_EN: dict[str, str] = {
    "居民身份证": "Resident ID card",
    "社会保险个人参保缴费记录": "Social Security contribution record",
    "基本医疗保险参保信息": "Basic medical insurance record",
    "医保个人账户收支记录": "Medical insurance account record",
    "个人所得税纳税申报及入库记录": "Income tax filing and payment record",
    "住房公积金个人账户缴存信息": "Housing provident fund contribution record",
    "个人信用信息": "Personal credit record",
}

# The hall's staffed windows (办理窗口) by department: the queuing system's id of the window, its
# name, where it is, its hours. Demo data of a Taiyuan hall; a real platform has its own.
HOURS = "周一至周五 9:00—12:00，13:30—17:00（法定节假日除外）"
WINDOWS: dict[str, tuple[str, str, str, str]] = {
    RSJ: ("A08", "社会保险综合窗口（A08—A12）", "一楼东区", HOURS),
    RSJ_CARD: ("A13", "社会保障卡服务窗口（A13）", "一楼东区", HOURS),
    YBJ: ("A15", "医疗保障窗口（A15—A16）", "一楼东区", HOURS),
    GJJ: ("B03", "住房公积金窗口（B03—B06）", "一楼西区", HOURS),
    SWJ: ("B10", "税务综合窗口（B10—B14）", "一楼西区", "周一至周日 9:00—17:00"),
    BDC: ("C01", "不动产登记窗口（C01—C08）", "二楼东区", HOURS),
    GAJ: ("C12", "公安户政窗口（C12—C14）", "二楼西区", HOURS),
    GAJ_PCS: ("C12", "公安户政窗口（C12—C14）", "二楼西区", HOURS),
    JJ: ("C16", "交警车驾管窗口（C16—C18）", "二楼西区", HOURS),
    MZJ: ("D02", "民政综合窗口（D02）", "三楼", HOURS),
    CL: ("D04", "残联服务窗口（D04）", "三楼", HOURS),
    WJW: ("D05", "卫生健康窗口（D05）", "三楼", HOURS),
    JYJ: ("D06", "教育服务窗口（D06）", "三楼", HOURS),
    SPJ: ("E01", "企业开办综合窗口（E01—E05）", "一楼北区", HOURS),
    RMYH: ("D08", "征信查询窗口（D08）", "三楼", HOURS),
    TYJR: ("D09", "退役军人服务窗口（D09）", "三楼", HOURS),
}
GUIDE_URL = "https://zwfw.example.gov.cn/guide/"  # the demo's 政务服务网 (not a real address)


def window_json(department: str) -> dict | None:
    found = WINDOWS.get(department)
    if found is None:
        return None
    window, name, location, hours = found
    return {"window": window, "name": name, "location": location, "hours": hours}


ID_CARD = MaterialSeed("居民身份证", LICENCE, "读取身份证后自动核验，无需提交复印件")
HUKOU_BOOK = MaterialSeed("居民户口簿", LICENCE, "从电子证照库调取")
BUSINESS_LICENCE = MaterialSeed("营业执照", LICENCE, "凭统一社会信用代码从电子证照库调取")

PLEDGE_LAW = "《国务院办公厅关于全面推行证明事项和涉企经营许可事项告知承诺制的指导意见》（国办发〔2020〕42号）"


def _items() -> tuple[SeedItem, ...]:
    instant = CaseKind.INSTANT
    promised = CaseKind.PROMISED
    return (
        SeedItem(
            "si_payment_proof",
            1,
            "个人社保参保缴费证明打印",
            RSJ,
            "011",
            "20",
            "社会保障",
            instant,
            0,
            p.SOCIAL_INSURANCE,
            "在本市参加企业职工基本养老保险、失业保险或工伤保险的参保人员。",
            (ID_CARD, MaterialSeed("社会保险个人参保缴费记录", SHARED, "由社保系统共享")),
            "《中华人民共和国社会保险法》",
            "12333",
            valid_days=90,
        ),
        SeedItem(
            "resident_pension_proof",
            2,
            "城乡居民养老保险参保证明",
            RSJ,
            "011",
            "20",
            "社会保障",
            instant,
            0,
            p.RESIDENT_PENSION,
            "在本市参加城乡居民基本养老保险的人员。",
            (ID_CARD, MaterialSeed("城乡居民养老保险参保登记信息", SHARED, "由社保系统共享")),
            "《国务院关于建立统一的城乡居民基本养老保险制度的意见》（国发〔2014〕8号）",
            "12333",
        ),
        SeedItem(
            "pension_paid_proof",
            3,
            "养老金领取（待遇）证明打印",
            RSJ,
            "011",
            "20",
            "社会保障",
            instant,
            0,
            p.PENSION_PAID,
            "在本市按月领取基本养老保险待遇的人员。",
            (ID_CARD, MaterialSeed("养老保险待遇核定及发放记录", SHARED, "由社保系统共享")),
            "《中华人民共和国社会保险法》",
            "12333",
        ),
        SeedItem(
            "unemployment_proof",
            4,
            "失业登记证明查询打印",
            RSJ,
            "011",
            "07",
            "社会保障",
            instant,
            0,
            p.UNEMPLOYED,
            "已在本市公共就业服务机构办理失业登记且登记状态有效的人员。",
            (
                ID_CARD,
                MaterialSeed("就业创业证（就业失业登记证）", LICENCE, "从电子证照库调取"),
                MaterialSeed("失业登记信息", SHARED, "由就业服务系统共享"),
            ),
            "《就业服务与就业管理规定》",
            "12333",
            valid_days=30,
        ),
        SeedItem(
            "medical_proof",
            5,
            "医保参保凭证打印",
            YBJ,
            "012",
            "20",
            "医疗保障",
            instant,
            0,
            p.MEDICAL,
            "在本市参加职工基本医疗保险或城乡居民基本医疗保险的人员。",
            (ID_CARD, MaterialSeed("基本医疗保险参保信息", SHARED, "由医保信息平台共享")),
            "《中华人民共和国社会保险法》《医疗保障基金使用监督管理条例》",
            "12393",
        ),
        SeedItem(
            "medical_account",
            6,
            "医保个人账户明细查询",
            YBJ,
            "012",
            "20",
            "医疗保障",
            instant,
            0,
            p.MEDICAL,
            "在本市参加基本医疗保险并建立个人账户的人员。",
            (ID_CARD, MaterialSeed("医保个人账户收支记录", SHARED, "由医保信息平台共享")),
            "《医疗保障基金使用监督管理条例》",
            "12393",
            valid_days=30,
        ),
        SeedItem(
            "fund_deposit_proof",
            7,
            "住房公积金缴存证明",
            GJJ,
            "013",
            "20",
            "住房公积金",
            instant,
            0,
            p.HOUSING_FUND,
            "在太原市住房公积金管理中心建立个人账户的缴存职工。",
            (ID_CARD, MaterialSeed("住房公积金个人账户缴存信息", SHARED, "由公积金系统共享")),
            "《住房公积金管理条例》",
            "12329",
        ),
        SeedItem(
            "fund_deposit_detail",
            8,
            "公积金缴存明细打印",
            GJJ,
            "013",
            "20",
            "住房公积金",
            instant,
            0,
            p.HOUSING_FUND,
            "在太原市住房公积金管理中心建立个人账户的缴存职工。",
            (ID_CARD, MaterialSeed("住房公积金个人账户明细", SHARED, "由公积金系统共享")),
            "《住房公积金管理条例》",
            "12329",
            valid_days=30,
        ),
        SeedItem(
            "fund_loan_cleared",
            9,
            "公积金贷款结清证明",
            GJJ,
            "013",
            "07",
            "住房公积金",
            instant,
            0,
            p.HOUSING_LOAN_CLEARED,
            "住房公积金个人住房贷款本息已全部结清的借款人。",
            (
                ID_CARD,
                MaterialSeed("住房公积金借款合同及还款记录", SHARED, "由公积金系统共享"),
                MaterialSeed("不动产权证书", LICENCE, "从电子证照库调取，用于核对抵押物"),
            ),
            "《住房公积金管理条例》",
            "12329",
            valid_days=180,
        ),
        SeedItem(
            "fund_withdrawal",
            10,
            "公积金离职/退休提取",
            GJJ,
            "013",
            "05",
            "住房公积金",
            promised,
            0,
            p.HOUSING_FUND,
            "与单位终止劳动关系后未重新就业满半年、或已办理退休手续的缴存职工，"
            "可申请提取本人住房公积金账户余额。",
            (
                ID_CARD,
                MaterialSeed(
                    "社会保障卡金融账户信息", SHARED, "提取资金转入本人社会保障卡金融账户"
                ),
                MaterialSeed(
                    "离职证明或终止劳动关系证明", PLEDGE, "以告知承诺替代，无需提交纸质证明"
                ),
                MaterialSeed("退休审批信息", SHARED, "退休提取时由社保系统共享", required=False),
            ),
            "《住房公积金管理条例》；" + PLEDGE_LAW,
            "12329",
            promised_days=3,
            pledge_text=(
                "本人承诺：已与原工作单位终止劳动关系（或已办理退休手续），"
                "未在其他单位重新就业并缴存住房公积金；所提供的信息真实、准确、完整。"
                "如有不实，本人愿意承担退回提取资金、纳入个人失信记录等相应法律责任。"
            ),
            result_tail="，提取资金转入本人社会保障卡金融账户",
        ),
        SeedItem(
            "tax_record",
            11,
            "个人所得税纳税记录开具",
            SWJ,
            "014",
            "20",
            "税务",
            instant,
            0,
            p.TAX,
            "在中国境内取得所得并已申报缴纳个人所得税的纳税人。",
            (ID_CARD, MaterialSeed("个人所得税纳税申报及入库记录", SHARED, "由税务系统共享")),
            "《中华人民共和国个人所得税法》《中华人民共和国税收征收管理法》",
            "12366",
            valid_days=90,
        ),
        SeedItem(
            "property_record",
            12,
            "不动产登记信息查询结果证明（有房无房）",
            BDC,
            "015",
            "20",
            "不动产",
            instant,
            0,
            p.HUKOU,
            "本市户籍居民查询本人名下在本市行政区域内登记的不动产信息。",
            (
                ID_CARD,
                HUKOU_BOOK,
                MaterialSeed("不动产登记簿信息", SHARED, "由不动产登记系统共享"),
            ),
            "《不动产登记暂行条例》《不动产登记资料查询暂行办法》",
            "0351-12345",
            valid_days=30,
            unavailable_reason="您的户籍不在本市，需到不动产登记中心窗口查询",
        ),
        SeedItem(
            "property_progress",
            13,
            "不动产登记办理进度查询",
            BDC,
            "015",
            "20",
            "不动产",
            instant,
            0,
            p.PROPERTY,
            "在本市申请过不动产登记业务的申请人。",
            (ID_CARD, MaterialSeed("不动产登记业务受理信息", SHARED, "由不动产登记系统共享")),
            "《不动产登记暂行条例》",
            "0351-12345",
            valid_days=30,
        ),
        SeedItem(
            "hukou_proof",
            14,
            "户籍证明/户口信息查询",
            GAJ,
            "016",
            "07",
            "公安户政",
            instant,
            0,
            p.HUKOU,
            "户籍在本市的居民查询本人户籍登记信息。",
            (ID_CARD, HUKOU_BOOK, MaterialSeed("常住人口登记信息", SHARED, "由公安人口系统共享")),
            "《中华人民共和国户口登记条例》",
            "0351-12345",
            valid_days=90,
        ),
        SeedItem(
            "id_card_renewal",
            15,
            "居民身份证换领（到期/损坏）",
            GAJ,
            "016",
            "10",
            "公安户政",
            promised,
            1,
            p.HUKOU,
            "本市户籍居民身份证有效期届满前三个月内、已过期或证件严重损坏不能辨认的。",
            (
                ID_CARD,
                HUKOU_BOOK,
                MaterialSeed("本人人像及指纹信息", CITIZEN, "须到户籍派出所现场采集，无需自带照片"),
            ),
            "《中华人民共和国居民身份证法》",
            "0351-12345",
            promised_days=15,
            fee="工本费20元，到派出所采集人像时缴纳",
            result_tail="，新证可到户籍派出所领取或选择邮寄（本事项需到派出所现场采集人像和指纹1次）",
        ),
        SeedItem(
            "no_crime_proof",
            16,
            "无犯罪记录证明",
            GAJ_PCS,
            "016",
            "07",
            "公安户政",
            promised,
            0,
            p.HUKOU,
            "本市户籍居民或在本市居住的人员，因就业、出国等需要开具本人无犯罪记录证明。",
            (
                ID_CARD,
                HUKOU_BOOK,
                MaterialSeed("违法犯罪记录信息", SHARED, "由公安机关内部核查"),
            ),
            "《公安机关办理无犯罪记录证明工作规定》",
            "0351-12345",
            promised_days=3,
            result_tail="，电子证明推送至“三晋通”APP，也可到派出所领取纸质证明",
        ),
        SeedItem(
            "traffic_violations",
            17,
            "交通违法记录查询/处理",
            JJ,
            "017",
            "20",
            "交通",
            instant,
            0,
            p.DRIVER,
            "持有本市核发机动车驾驶证的驾驶人，查询本人交通违法记录及记分情况。",
            (
                ID_CARD,
                MaterialSeed("机动车驾驶证", LICENCE, "从电子证照库调取电子驾驶证"),
                MaterialSeed("交通违法记录", SHARED, "由公安交管系统共享"),
            ),
            "《中华人民共和国道路交通安全法》",
            "12123",
            valid_days=30,
        ),
        SeedItem(
            "safe_driving_proof",
            18,
            "机动车驾驶人安全驾驶证明",
            JJ,
            "017",
            "07",
            "交通",
            instant,
            0,
            p.DRIVER,
            "持有本市核发机动车驾驶证的驾驶人，证明本人一定期间内的安全驾驶情况。",
            (
                MaterialSeed("机动车驾驶证", LICENCE, "从电子证照库调取电子驾驶证"),
                MaterialSeed("驾驶人交通违法及事故记录", SHARED, "由公安交管系统共享"),
            ),
            "《机动车驾驶证申领和使用规定》",
            "12123",
            valid_days=90,
        ),
        SeedItem(
            "marriage_record",
            19,
            "婚姻登记记录证明",
            MZJ,
            "018",
            "07",
            "民政",
            promised,
            1,
            p.MARRIED,
            "在本省办理过婚姻登记的当事人，因办理房产、公积金、出国等需要证明本人婚姻登记记录。",
            (
                ID_CARD,
                HUKOU_BOOK,
                MaterialSeed("婚姻登记记录", SHARED, "由民政婚姻登记信息系统共享"),
                MaterialSeed("申请用途说明", PLEDGE, "以告知承诺替代，无需提交单位证明"),
            ),
            "《婚姻登记条例》；" + PLEDGE_LAW,
            "0351-12345",
            promised_days=5,
            pledge_text=(
                "本人承诺：本次申请的婚姻登记记录证明仅用于本人办理相关业务，"
                "所提供的信息真实、准确；不将证明用于非法用途。"
                "如有虚假承诺，本人愿意承担相应法律责任。"
            ),
            result_tail="，需本人持身份证到婚姻登记处领取证明1次",
        ),
        SeedItem(
            "low_income_proof",
            20,
            "低保/特困供养对象证明",
            MZJ,
            "018",
            "07",
            "民政",
            promised,
            0,
            p.LOW_INCOME,
            "经审批纳入本市最低生活保障或特困人员救助供养范围、且在保的对象。",
            (
                ID_CARD,
                HUKOU_BOOK,
                MaterialSeed("低保或特困供养审批信息", SHARED, "由民政救助系统共享"),
                MaterialSeed("家庭收入和财产状况说明", PLEDGE, "以告知承诺替代"),
            ),
            "《社会救助暂行办法》；" + PLEDGE_LAW,
            "0351-12345",
            promised_days=5,
            pledge_text=(
                "本人承诺：本人及家庭成员的收入、财产状况与申报时相比无重大变化，"
                "所提供的信息真实、准确、完整。如有隐瞒或虚报，本人愿意退回已领取的救助资金，"
                "并承担相应法律责任。"
            ),
            result_tail="，电子证明推送至“三晋通”APP，也可到街道（乡镇）窗口领取",
        ),
        SeedItem(
            "disability_card",
            21,
            "残疾人证信息查询打印",
            CL,
            "019",
            "20",
            "其他",
            instant,
            0,
            p.DISABILITY,
            "持有第三代《中华人民共和国残疾人证》的残疾人。",
            (ID_CARD, MaterialSeed("中华人民共和国残疾人证", LICENCE, "从电子证照库调取")),
            "《中华人民共和国残疾人保障法》《中华人民共和国残疾人证管理办法》",
            "0351-12385",
            valid_days=90,
        ),
        SeedItem(
            "birth_record",
            22,
            "出生医学证明信息查询",
            WJW,
            "020",
            "20",
            "卫健教育",
            instant,
            0,
            p.BIRTH_RECORD,
            "在本省出生并签发《出生医学证明》的本人（或其监护人）。",
            (ID_CARD, MaterialSeed("出生医学证明", LICENCE, "从电子证照库调取")),
            "《中华人民共和国母婴保健法》",
            "12320",
            valid_days=90,
        ),
        SeedItem(
            "education_record",
            23,
            "学历/学籍证明查询",
            JYJ,
            "021",
            "20",
            "卫健教育",
            instant,
            0,
            p.EDUCATION,
            "学历信息已在国家学历证书电子注册系统或本省学籍系统登记的人员。",
            (
                ID_CARD,
                MaterialSeed("毕业证书", LICENCE, "从电子证照库调取"),
                MaterialSeed("学历证书电子注册信息", SHARED, "由教育部门共享"),
            ),
            "《中华人民共和国教育法》",
            "0351-12345",
            valid_days=180,
        ),
        SeedItem(
            "self_employed_licence",
            24,
            "个体工商户营业执照信息打印",
            SPJ,
            "022",
            "20",
            "市场监管",
            instant,
            0,
            p.SELF_EMPLOYED,
            "在本市登记的个体工商户经营者本人。",
            (ID_CARD, MaterialSeed("营业执照（个体工商户）", LICENCE, "从电子证照库调取")),
            "《促进个体工商户发展条例》《中华人民共和国市场主体登记管理条例》",
            "12315",
            valid_days=30,
        ),
        SeedItem(
            "social_card_status",
            25,
            "社会保障卡状态查询/临时挂失",
            RSJ_CARD,
            "011",
            "20",
            "社会保障",
            instant,
            0,
            p.SOCIAL_CARD,
            "已申领社会保障卡的持卡人。临时挂失在本机查询后选择办理，正式挂失和补换卡需到服务网点。",
            (ID_CARD, MaterialSeed("社会保障卡信息", SHARED, "由社保卡管理系统共享")),
            "《中华人民共和国社会保险法》",
            "12333",
            valid_days=30,
        ),
        SeedItem(
            "credit_report",
            26,
            "个人信用报告查询",
            RMYH,
            "023",
            "20",
            "其他",
            instant,
            0,
            p.CREDIT,
            "年满18周岁，查询本人信用报告。",
            (ID_CARD, MaterialSeed("个人信用信息", SHARED, "由金融信用信息基础数据库提供")),
            "《征信业管理条例》",
            "400-810-8866",
            fee="每年前两次免费，本机仅提供免费查询",
            valid_days=30,
        ),
        SeedItem(
            "veteran_card",
            27,
            "退役军人优待证信息查询",
            TYJR,
            "024",
            "20",
            "其他",
            instant,
            0,
            p.VETERAN,
            "已申领退役军人优待证（或烈士、因公牺牲军人、病故军人遗属优待证）的人员。",
            (
                ID_CARD,
                MaterialSeed("退役军人优待证", LICENCE, "从电子证照库调取"),
                MaterialSeed("退役军人信息", SHARED, "由退役军人信息系统共享"),
            ),
            "《中华人民共和国退役军人保障法》",
            "0351-12345",
            valid_days=90,
        ),
        # Enterprise items (法人, identified by the unified social credit code).
        SeedItem(
            "ent_licence_info",
            28,
            "企业基本信息（营业执照信息）打印",
            SPJ,
            "022",
            "20",
            "市场监管",
            instant,
            0,
            None,
            "在本市登记的企业，由法定代表人或经办人查询打印本企业登记信息。",
            (BUSINESS_LICENCE, MaterialSeed("法定代表人身份证", LICENCE, "从电子证照库调取")),
            "《中华人民共和国市场主体登记管理条例》",
            "12315",
            subject=Subject.ENTERPRISE,
            valid_days=30,
        ),
        SeedItem(
            "ent_si_proof",
            29,
            "企业社保参保证明",
            RSJ,
            "011",
            "20",
            "社会保障",
            instant,
            0,
            p.SOCIAL_INSURANCE,
            "在本市办理社会保险登记的用人单位。",
            (BUSINESS_LICENCE, MaterialSeed("单位参保缴费信息", SHARED, "由社保系统共享")),
            "《中华人民共和国社会保险法》",
            "12333",
            subject=Subject.ENTERPRISE,
            valid_days=90,
            unavailable_reason="本单位暂无社会保险登记信息，请到社保窗口咨询",
        ),
        SeedItem(
            "ent_tax_credit",
            30,
            "企业纳税信用等级查询",
            SWJ,
            "014",
            "20",
            "税务",
            instant,
            0,
            p.TAX,
            "已办理涉税信息确认并参加纳税信用评价的企业。",
            (BUSINESS_LICENCE, MaterialSeed("纳税信用评价结果", SHARED, "由税务系统共享")),
            "《纳税信用管理办法（试行）》",
            "12366",
            subject=Subject.ENTERPRISE,
            valid_days=90,
            unavailable_reason="本单位暂无纳税信用评价结果，请到办税服务厅咨询",
        ),
        SeedItem(
            "ent_fund_proof",
            31,
            "企业住房公积金缴存证明",
            GJJ,
            "013",
            "20",
            "住房公积金",
            instant,
            0,
            p.HOUSING_FUND,
            "在太原市住房公积金管理中心办理缴存登记的单位。",
            (BUSINESS_LICENCE, MaterialSeed("单位住房公积金缴存信息", SHARED, "由公积金系统共享")),
            "《住房公积金管理条例》",
            "12329",
            subject=Subject.ENTERPRISE,
            valid_days=90,
            unavailable_reason="本单位暂无住房公积金缴存登记",
        ),
    )


ITEMS: tuple[SeedItem, ...] = _items()
BY_CODE: dict[str, SeedItem] = {i.item_code: i for i in ITEMS}
BY_ITEM_KEY: dict[str, SeedItem] = {i.key: i for i in ITEMS}
PERSON_ITEMS = tuple(i for i in ITEMS if i.subject is Subject.PERSON)
ENTERPRISE_ITEMS = tuple(i for i in ITEMS if i.subject is Subject.ENTERPRISE)


def eligible(item: SeedItem, accounts: frozenset[str] | set[str]) -> bool:
    return item.requires is None or item.requires in accounts


# Enterprises for which the reference platform issues certificates only once the legal
# representative has placed their own ID card at the kiosk (a USCC alone is public knowledge).
# The other demo enterprise shows the lighter rule: the USCC is enough.
REPRESENTATIVE_REQUIRED: frozenset[str] = frozenset({"jinshang_tech"})


def representative_required(enterprise_key: str) -> bool:
    return enterprise_key in REPRESENTATIVE_REQUIRED


def needs_representative(item: SeedItem, enterprise_key: str) -> bool:
    """Only items that issue a certificate need the representative in person."""
    return (
        item.subject is Subject.ENTERPRISE
        and item.prints
        and representative_required(enterprise_key)
    )


def representative_of(enterprise_key: str) -> str:
    """The citizen key (devkit/people.py) of the enterprise's legal representative."""
    return next(e.representative_key for e in p.ENTERPRISES if e.key == enterprise_key)


# ---------------------------------------------------------------------------------------------
# Certificate content


@dataclass(frozen=True)
class Holder:
    """Who the document is for, as the platform knows them (synthetic people only)."""

    key: str
    name: str
    number: str  # ID number or USCC
    subject: Subject
    accounts: frozenset[str]
    address: str = ""
    issuer: str = ""
    birth: str = ""  # YYYYMMDD
    sex: str = ""
    nation: str = ""

    @property
    def holder_line(self) -> str:
        if self.subject is Subject.ENTERPRISE:
            return f"{self.name}（统一社会信用代码 {self.number}）"
        return f"{self.name}（身份证号 {mask_number(self.number)}）"


def holder_of_citizen(c: p.DemoCitizen) -> Holder:
    return Holder(
        c.key,
        c.name,
        c.number,
        Subject.PERSON,
        c.accounts,
        c.address,
        c.issuer,
        c.birth,
        "男" if c.sex.value == "male" else "女",
        c.nation,
    )


def holder_of_enterprise(e: p.DemoEnterprise) -> Holder:
    return Holder(e.key, e.name, e.uscc, Subject.ENTERPRISE, e.accounts)


@dataclass(frozen=True)
class Content:
    title: str
    fields: tuple[tuple[str, str], ...]
    body: str


def _cn(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _ym(d: dt.date) -> str:
    return f"{d.year}年{d.month:02d}月"


def _money(x: float) -> str:
    return f"{x:,.2f}"


def _months_back(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.year * 12 + d.month - 1 - n, 12)
    return dt.date(y, m + 1, 1)


def _ymd(s: str) -> dt.date:
    return dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))


EMPLOYERS = {
    "zhang_wei": "太原晋商科技有限公司",
    "li_ming": "太原龙城物流有限公司",
    "zhao_min": "太原市万柏林区千峰南路小学",
    "liu_yan": "灵活就业人员",
    "sun_qiang": "山西汾河食品有限公司",
    "wu_jun": "灵活就业人员（个体工商户）",
    "zheng_li": "太原市晋阳街道社区卫生服务中心",
}
_DISTRICTS = ("小店区", "迎泽区", "杏花岭区", "万柏林区", "尖草坪区", "晋源区")


def _district(h: Holder) -> str:
    for d in _DISTRICTS:
        if d in h.address:
            return d
    return "小店区"


def _pcs(h: Holder) -> str:
    """户籍派出所 from the card's address (demo naming)."""
    street = h.address.split("区", 1)[-1][:2] if "区" in h.address else "城区"
    return f"{h.issuer or '太原市公安局'}{street}派出所"


def _uscc_check(body17: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(alphabet.index(c) * w for c, w in zip(body17, weights, strict=True))
    return alphabet[(31 - total % 31) % 31]


Writer = Callable[[Holder, dt.date, random.Random], Content]
_WRITERS: dict[str, Writer] = {}


def _writer(key: str) -> Callable[[Writer], Writer]:
    def register(fn: Writer) -> Writer:
        _WRITERS[key] = fn
        return fn

    return register


@_writer("si_payment_proof")
def _si(h: Holder, today: dt.date, rng: random.Random) -> Content:
    first = _months_back(today, rng.randint(60, 200))
    months = (today.year - first.year) * 12 + today.month - first.month - rng.randint(0, 6)
    stopped = p.UNEMPLOYED in h.accounts
    last = _months_back(today, rng.randint(3, 9) if stopped else 1)
    status = "暂停缴费" if stopped else "正常参保缴费"
    base = rng.randrange(4200, 12000, 100)
    return Content(
        "社会保险个人参保缴费证明",
        (
            ("参保险种", "企业职工基本养老保险、失业保险、工伤保险"),
            ("参保单位", EMPLOYERS.get(h.key, "太原市某用人单位")),
            ("参保状态", status),
            ("首次参保年月", _ym(first)),
            ("累计缴费月数", f"{months}个月"),
            ("最近缴费年月", _ym(last)),
            ("当前缴费基数", f"{_money(base)}元"),
        ),
        f"兹证明上述人员自{_ym(first)}起在我市参加企业职工基本养老保险，截至{_ym(last)}"
        f"累计缴费{months}个月，当前参保状态为“{status}”。特此证明。",
    )


@_writer("resident_pension_proof")
def _rp(h: Holder, today: dt.date, rng: random.Random) -> Content:
    start = dt.date(2012, rng.randint(1, 12), 1)
    receiving = p.PENSION_PAID in h.accounts
    status = "享受待遇" if receiving else "正常参保缴费"
    return Content(
        "城乡居民基本养老保险参保证明",
        (
            ("参保险种", "城乡居民基本养老保险"),
            ("参保地", f"太原市{_district(h)}"),
            ("参保年月", _ym(start)),
            ("参保状态", status),
            ("缴费档次", "—" if receiving else f"每年{rng.choice((300, 500, 1000))}元"),
        ),
        f"兹证明上述人员自{_ym(start)}起在太原市{_district(h)}参加城乡居民基本养老保险，"
        f"当前参保状态为“{status}”。特此证明。",
    )


@_writer("pension_paid_proof")
def _pp(h: Holder, today: dt.date, rng: random.Random) -> Content:
    resident = p.RESIDENT_PENSION in h.accounts
    kind = "城乡居民基本养老保险" if resident else "企业职工基本养老保险"
    start = dt.date(_ymd(h.birth).year + (60 if resident else 55), _ymd(h.birth).month, 1)
    start = start + dt.timedelta(days=31)
    start = start.replace(day=1)
    amount = rng.uniform(180, 320) if resident else rng.uniform(2800, 4600)
    return Content(
        "养老保险待遇领取证明",
        (
            ("养老保险类型", kind),
            ("待遇开始年月", _ym(start)),
            ("当前领取状态", "正常发放"),
            ("月发放金额", f"{_money(amount)}元"),
            ("发放方式", "社会保障卡金融账户"),
            ("最近发放年月", _ym(_months_back(today, 0))),
        ),
        f"兹证明上述人员自{_ym(start)}起按月领取{kind}待遇，当前待遇发放正常，"
        f"月发放金额{_money(amount)}元。特此证明。",
    )


@_writer("unemployment_proof")
def _up(h: Holder, today: dt.date, rng: random.Random) -> Content:
    registered = today - dt.timedelta(days=rng.randint(40, 200))
    number = f"1401{rng.randint(10, 99)}{registered:%Y%m}{rng.randint(0, 9999):04d}"
    return Content(
        "失业登记证明",
        (
            ("登记状态", "失业（登记有效）"),
            ("失业登记日期", _cn(registered)),
            ("登记机构", f"太原市{_district(h)}公共就业服务中心"),
            ("就业创业证编号", number),
            ("领取失业保险金", "是，按月领取中"),
        ),
        f"兹证明上述人员于{_cn(registered)}在太原市{_district(h)}公共就业服务中心办理失业登记，"
        "截至出具之日登记状态有效。特此证明。",
    )


@_writer("medical_proof")
def _mp(h: Holder, today: dt.date, rng: random.Random) -> Content:
    employee = p.SOCIAL_INSURANCE in h.accounts
    kind = "职工基本医疗保险" if employee else "城乡居民基本医疗保险"
    start = _months_back(today, rng.randint(24, 180))
    return Content(
        "基本医疗保险参保凭证",
        (
            ("参保险种", kind),
            ("参保地", "太原市本级" if employee else f"太原市{_district(h)}"),
            ("参保状态", "正常参保"),
            ("参保日期", _cn(start)),
            ("医保编码", f"14010000000{rng.randint(0, 10**10 - 1):010d}"),
            (f"{today.year}年度缴费状态", "已缴费"),
        ),
        f"兹证明上述人员自{_cn(start)}起参加{kind}，截至出具之日参保状态正常。特此证明。",
    )


@_writer("medical_account")
def _ma(h: Holder, today: dt.date, rng: random.Random) -> Content:
    balance = rng.uniform(800, 6000)
    lines: list[tuple[str, str]] = [("统计期间", f"{today.year}年01月至{_ym(today)}")]
    income = spend = 0.0
    for n in range(min(today.month, 4), 0, -1):
        month = _months_back(today, n - 1)
        amount = rng.uniform(90, 260)
        income += amount
        lines.append((f"{_ym(month)} 划入", f"+{_money(amount)}元"))
        if rng.random() < 0.6:
            cost = rng.uniform(20, 180)
            spend += cost
            lines.append((f"{_ym(month)} 药店购药", f"-{_money(cost)}元"))
    lines += [
        ("本期划入合计", f"{_money(income)}元"),
        ("本期支出合计", f"{_money(spend)}元"),
        ("当前账户余额", f"{_money(balance)}元"),
    ]
    return Content(
        "医保个人账户明细",
        tuple(lines),
        "以上为上述人员基本医疗保险个人账户在统计期间内的收支明细，数据截至出具之日。",
    )


def _fund_account(h: Holder, rng: random.Random) -> str:
    return f"1401{rng.randint(0, 10**10 - 1):010d}"


@_writer("fund_deposit_proof")
def _fd(h: Holder, today: dt.date, rng: random.Random) -> Content:
    base = rng.randrange(4500, 15000, 100)
    monthly = base * 0.12 * 2
    opened = _months_back(today, rng.randint(36, 150))
    balance = monthly * rng.randint(10, 60)
    return Content(
        "住房公积金缴存证明",
        (
            ("个人账号", _fund_account(h, rng)),
            ("缴存单位", EMPLOYERS.get(h.key, "太原市某用人单位")),
            ("开户日期", _cn(opened)),
            ("当前缴存状态", "正常缴存"),
            ("缴存基数", f"{_money(base)}元"),
            ("缴存比例", "单位12%，个人12%"),
            ("月缴存额", f"{_money(monthly)}元"),
            ("缴至年月", _ym(_months_back(today, 1))),
            ("账户余额", f"{_money(balance)}元"),
        ),
        f"兹证明上述职工自{_cn(opened)}起在我中心建立住房公积金个人账户，当前缴存状态为"
        f"“正常缴存”，已缴存至{_ym(_months_back(today, 1))}。特此证明。",
    )


@_writer("fund_deposit_detail")
def _fdd(h: Holder, today: dt.date, rng: random.Random) -> Content:
    base = rng.randrange(4500, 15000, 100)
    monthly = base * 0.12 * 2
    lines: list[tuple[str, str]] = [
        ("个人账号", _fund_account(h, rng)),
        ("统计期间", f"{_ym(_months_back(today, 12))}至{_ym(_months_back(today, 1))}"),
    ]
    for n in range(12, 0, -1):
        lines.append((f"{_ym(_months_back(today, n))} 汇缴", f"{_money(monthly)}元"))
    lines.append(("合计", f"{_money(monthly * 12)}元"))
    return Content(
        "住房公积金个人缴存明细",
        tuple(lines),
        "以上为上述职工住房公积金个人账户在统计期间内的缴存明细。",
    )


@_writer("fund_loan_cleared")
def _flc(h: Holder, today: dt.date, rng: random.Random) -> Content:
    granted = _months_back(today, rng.randint(80, 160))
    cleared = today - dt.timedelta(days=rng.randint(20, 300))
    amount = rng.randrange(200_000, 600_000, 10_000)
    contract = f"GJJ{granted:%Y}{rng.randint(0, 999999):06d}"
    return Content(
        "住房公积金贷款结清证明",
        (
            ("借款合同编号", contract),
            ("贷款金额", f"{_money(amount)}元"),
            ("贷款发放日期", _cn(granted)),
            ("结清日期", _cn(cleared)),
            ("结清方式", rng.choice(("正常还款结清", "提前还款结清"))),
            ("抵押物坐落", h.address or "太原市"),
        ),
        f"兹证明上述借款人借款合同编号为{contract}的住房公积金个人住房贷款本息已于"
        f"{_cn(cleared)}全部结清，可凭本证明到不动产登记机构办理抵押注销登记。特此证明。",
    )


@_writer("tax_record")
def _tr(h: Holder, today: dt.date, rng: random.Random) -> Content:
    start = _months_back(today, 12)
    end = _months_back(today, 1)
    lines: list[tuple[str, str]] = [("统计期间", f"{_ym(start)}至{_ym(end)}")]
    total_income = total_tax = 0.0
    for n in range(3, 0, -1):
        month = _months_back(today, n)
        income = rng.uniform(6000, 16000)
        tax = max(0.0, (income - 5000) * 0.03)
        total_income += income
        total_tax += tax
        lines.append((f"{_ym(month)} 工资薪金", f"收入{_money(income)}元，入库税额{_money(tax)}元"))
    lines += [
        ("扣缴义务人", EMPLOYERS.get(h.key, "太原市某扣缴单位")),
        ("近三个月收入合计", f"{_money(total_income)}元"),
        ("近三个月已缴税额合计", f"{_money(total_tax)}元"),
    ]
    return Content(
        "中华人民共和国个人所得税纳税记录",
        tuple(lines),
        "以上为上述纳税人在统计期间内个人所得税的申报入库记录（部分），数据来源于税务系统。"
        "本记录不作为完税证明。",
    )


@_writer("property_record")
def _pr(h: Holder, today: dt.date, rng: random.Random) -> Content:
    has = p.PROPERTY in h.accounts
    fields: list[tuple[str, str]] = [
        ("查询范围", "太原市行政区域内已登记的不动产"),
        ("查询截止日期", _cn(today)),
        ("查询结果", "有不动产登记记录" if has else "无不动产登记记录"),
    ]
    if has:
        fields += [
            (
                "不动产权证号",
                f"晋（{today.year - rng.randint(2, 12)}）太原市不动产权第"
                f"{rng.randint(0, 9999999):07d}号",
            ),
            ("坐落", h.address),
            ("用途", "住宅"),
            ("建筑面积", f"{rng.uniform(60, 140):.2f}平方米"),
            ("权利状态", "现势"),
        ]
    body = (
        f"经查询太原市不动产登记簿，截至{_cn(today)}，上述人员名下"
        + ("有以上不动产登记记录。" if has else "无不动产登记记录。")
        + "本结果仅反映查询时点的登记簿记载情况。"
    )
    return Content("不动产登记信息查询结果证明", tuple(fields), body)


@_writer("property_progress")
def _pg(h: Holder, today: dt.date, rng: random.Random) -> Content:
    accepted = today - dt.timedelta(days=rng.randint(3, 20))
    done = rng.random() < 0.5
    return Content(
        "不动产登记办理进度查询结果",
        (
            ("业务编号", f"BDC{accepted:%Y%m%d}{rng.randint(0, 99999):05d}"),
            ("登记类型", rng.choice(("转移登记", "抵押权注销登记", "变更登记"))),
            ("受理日期", _cn(accepted)),
            ("当前环节", "已登簿，可领取证书" if done else "审核中"),
            ("领证方式", "窗口领取或邮寄"),
        ),
        "以上为上述申请人在本市申请的不动产登记业务的最新办理进度。",
    )


@_writer("hukou_proof")
def _hk(h: Holder, today: dt.date, rng: random.Random) -> Content:
    birth = _ymd(h.birth)
    return Content(
        "户籍证明",
        (
            ("性别", h.sex),
            ("民族", h.nation),
            ("出生日期", _cn(birth)),
            ("户籍地址", h.address),
            ("户口性质", "居民家庭户口"),
            ("与户主关系", rng.choice(("户主", "配偶", "子女")) if birth.year > 1960 else "户主"),
            ("户籍登记机关", _pcs(h)),
        ),
        f"兹证明上述人员户籍登记在{_pcs(h)}辖区，以上信息与常住人口登记信息一致。特此证明。",
    )


@_writer("traffic_violations")
def _tv(h: Holder, today: dt.date, rng: random.Random) -> Content:
    pending = rng.choice((0, 0, 1))
    done = rng.randint(0, 3)
    points = rng.choice((0, 0, 1, 3)) if pending or done else 0
    return Content(
        "交通违法记录查询结果",
        (
            ("准驾车型", "C1"),
            ("记分周期", f"{today.year - 1}年{birth_md(h)}至{today.year}年{birth_md(h)}"),
            ("本周期累计记分", f"{points}分"),
            ("未处理违法记录", f"{pending}条"),
            ("已处理违法记录", f"{done}条"),
        ),
        "以上为上述驾驶人在公安交通管理信息系统中的交通违法记录情况。"
        + ("有未处理的违法记录，可通过“交管12123”APP或到交警大队窗口处理。" if pending else ""),
    )


def birth_md(h: Holder) -> str:
    b = _ymd(h.birth)
    return f"{b.month}月{b.day}日"


@_writer("safe_driving_proof")
def _sd(h: Holder, today: dt.date, rng: random.Random) -> Content:
    first = dt.date(_ymd(h.birth).year + rng.randint(20, 28), rng.randint(1, 12), 1)
    since = _months_back(today, 36)
    return Content(
        "机动车驾驶人安全驾驶证明",
        (
            ("准驾车型", "C1"),
            ("初次领证日期", _cn(first)),
            ("驾驶证状态", "正常"),
            ("统计期间", f"{_cn(since)}至{_cn(today)}"),
            ("交通违法记录", rng.choice(("无", "1次（已处理）"))),
            ("交通事故记录", "无负同等及以上责任的交通事故"),
        ),
        f"兹证明上述驾驶人自{_cn(since)}至{_cn(today)}期间，无负同等及以上责任的交通事故记录，"
        "无饮酒、醉酒驾驶记录。特此证明。",
    )


@_writer("disability_card")
def _dc(h: Holder, today: dt.date, rng: random.Random) -> Content:
    issued = dt.date(today.year - rng.randint(1, 5), rng.randint(1, 12), 1)
    return Content(
        "残疾人证信息查询结果",
        (
            ("残疾类别", "肢体残疾"),
            ("残疾等级", "二级"),
            ("发证日期", _cn(issued)),
            ("有效期至", _cn(issued.replace(year=issued.year + 10))),
            ("证件状态", "有效"),
            ("发证机关", f"太原市{_district(h)}残疾人联合会"),
        ),
        "以上为上述人员《中华人民共和国残疾人证》的登记信息，与电子证照库记录一致。",
    )


@_writer("birth_record")
def _br(h: Holder, today: dt.date, rng: random.Random) -> Content:
    birth = _ymd(h.birth)
    return Content(
        "出生医学证明信息查询结果",
        (
            (
                "出生医学证明编号",
                f"{chr(ord('M') + rng.randint(0, 5))}{rng.randint(0, 10**9 - 1):09d}",
            ),
            ("出生日期", _cn(birth)),
            ("出生地点", f"山西省太原市{_district(h)}"),
            ("签发机构", f"太原市{_district(h)}妇幼保健计划生育服务中心"),
            ("证件状态", "有效"),
        ),
        "以上为上述人员《出生医学证明》的签发信息，与电子证照库记录一致。",
    )


@_writer("education_record")
def _er(h: Holder, today: dt.date, rng: random.Random) -> Content:
    birth = _ymd(h.birth)
    grad = birth.year + 22
    still = grad > today.year or (grad == today.year and today.month < 7)
    level = "本科" if rng.random() < 0.6 else "专科"
    school = rng.choice(("晋阳理工学院", "龙城师范学院", "太原职业技术学院"))
    status = "在籍（在读）" if still else "毕业"
    return Content(
        "学历信息查询结果",
        (
            ("学历层次", level),
            ("学校名称", school),
            (
                "专业",
                rng.choice(("计算机科学与技术", "会计学", "汉语言文学", "机械设计制造及其自动化")),
            ),
            ("入学年月", f"{grad - 4}年09月"),
            ("毕（结）业年月", "—" if still else f"{grad}年07月"),
            ("学籍/学历状态", status),
            ("证书编号", "—" if still else f"1{rng.randint(0, 10**17 - 1):017d}"),
        ),
        f"经查询，上述人员学历（学籍）信息如上，当前状态为“{status}”。",
    )


@_writer("self_employed_licence")
def _se(h: Holder, today: dt.date, rng: random.Random) -> Content:
    district = _district(h)
    body17 = f"92140{rng.randint(100, 199)}MA{rng.randint(0, 9999999):07d}"
    registered = dt.date(today.year - rng.randint(1, 8), rng.randint(1, 12), rng.randint(1, 28))
    return Content(
        "个体工商户营业执照信息",
        (
            ("名称", f"太原市{district}{h.name[:1]}记餐饮店"),
            ("统一社会信用代码", body17 + _uscc_check(body17)),
            ("类型", "个体工商户"),
            ("经营者", h.name),
            ("组成形式", "个人经营"),
            ("经营场所", h.address),
            ("经营范围", "餐饮服务；食品销售（仅销售预包装食品）"),
            ("注册日期", _cn(registered)),
            ("登记机关", f"太原市{district}行政审批服务管理局"),
            ("登记状态", "存续（在营）"),
        ),
        "以上为上述个体工商户在市场主体登记系统中的登记信息，与电子营业执照一致。",
    )


@_writer("social_card_status")
def _sc(h: Holder, today: dt.date, rng: random.Random) -> Content:
    issued = dt.date(today.year - rng.randint(1, 6), rng.randint(1, 12), 1)
    return Content(
        "社会保障卡状态查询结果",
        (
            ("卡号", f"*****{rng.randint(0, 9999):04d}"),
            ("卡片类型", "第三代社会保障卡"),
            ("卡片状态", "正常"),
            ("金融账户状态", "已激活"),
            ("合作银行", rng.choice(("中国工商银行", "中国建设银行", "中国银行", "中国农业银行"))),
            ("发卡日期", _cn(issued)),
            ("有效期至", _cn(issued.replace(year=issued.year + 10))),
        ),
        "上述持卡人的社会保障卡当前状态正常。如卡片遗失，可拨打12333或到合作银行网点办理挂失。",
    )


@_writer("credit_report")
def _cr(h: Holder, today: dt.date, rng: random.Random) -> Content:
    accounts = rng.randint(1, 5)
    return Content(
        "个人信用报告（简版）",
        (
            ("报告编号", f"{today:%Y%m%d}{rng.randint(0, 10**12 - 1):012d}"),
            ("查询时间", _cn(today)),
            ("信用卡账户数", f"{accounts}个"),
            ("贷款账户数", f"{rng.randint(0, 2)}个"),
            ("当前逾期账户数", "0个"),
            ("近五年逾期记录", "无"),
            ("近两年机构查询记录", f"{rng.randint(0, 6)}次"),
        ),
        "本报告由中国人民银行征信中心出具，仅供本人了解自身信用状况使用，请妥善保管。",
    )


@_writer("veteran_card")
def _vc(h: Holder, today: dt.date, rng: random.Random) -> Content:
    issued = dt.date(2022, rng.randint(1, 12), rng.randint(1, 28))
    family = h.key == "zhou_xiuying"
    return Content(
        "退役军人优待证信息查询结果",
        (
            (
                "优待证类别",
                "烈士、因公牺牲军人、病故军人遗属优待证" if family else "退役军人优待证",
            ),
            ("优待证编号", f"14{rng.randint(0, 10**10 - 1):010d}"),
            ("发证日期", _cn(issued)),
            ("发证机关", TYJR),
            ("证件状态", "有效"),
        ),
        "以上为上述人员优待证的登记信息，与退役军人信息系统记录一致。持证人可按规定享受相关优待。",
    )


@_writer("ent_licence_info")
def _el(h: Holder, today: dt.date, rng: random.Random) -> Content:
    founded = dt.date(today.year - rng.randint(2, 12), rng.randint(1, 12), rng.randint(1, 28))
    return Content(
        "企业登记基本信息",
        (
            ("类型", "有限责任公司（自然人投资或控股）"),
            ("注册资本", f"{rng.choice((100, 300, 500, 1000))}万元人民币"),
            ("成立日期", _cn(founded)),
            ("住所", "山西省太原市小店区长治路"),
            ("经营范围", "一般项目：技术服务、技术开发、技术咨询；食品销售（仅销售预包装食品）"),
            ("登记机关", SPJ),
            ("登记状态", "存续（在营、开业、在册）"),
        ),
        "以上为上述企业在市场主体登记系统中的登记信息，与电子营业执照一致。",
    )


@_writer("ent_si_proof")
def _esi(h: Holder, today: dt.date, rng: random.Random) -> Content:
    return Content(
        "单位社会保险参保缴费证明",
        (
            ("参保险种", "企业职工基本养老保险、失业保险、工伤保险"),
            ("单位参保状态", "正常参保"),
            ("当前参保人数", f"{rng.randint(8, 260)}人"),
            ("缴至年月", _ym(_months_back(today, 1))),
            ("欠费情况", "无欠费"),
        ),
        f"兹证明上述单位在我市参加社会保险，已足额缴费至{_ym(_months_back(today, 1))}，"
        "无欠费记录。特此证明。",
    )


@_writer("ent_tax_credit")
def _etc(h: Holder, today: dt.date, rng: random.Random) -> Content:
    return Content(
        "纳税信用等级查询结果",
        (
            ("评价年度", f"{today.year - 1}年度"),
            ("纳税信用级别", rng.choice(("A", "B", "M"))),
            ("评价机关", SWJ),
        ),
        "以上为上述纳税人最近一个评价年度的纳税信用评价结果。",
    )


@_writer("ent_fund_proof")
def _efp(h: Holder, today: dt.date, rng: random.Random) -> Content:
    return Content(
        "单位住房公积金缴存证明",
        (
            ("单位账号", f"1401{rng.randint(0, 10**8 - 1):08d}"),
            ("缴存状态", "正常缴存"),
            ("缴存人数", f"{rng.randint(8, 260)}人"),
            ("缴存比例", "单位12%，个人12%"),
            ("缴至年月", _ym(_months_back(today, 1))),
        ),
        f"兹证明上述单位在我中心正常缴存住房公积金，已缴存至{_ym(_months_back(today, 1))}。特此证明。",
    )


def certificate_content(item: SeedItem, holder: Holder, today: dt.date) -> Content:
    """What the certificate of an instant item says for this holder (deterministic per day)."""
    seed = hashlib.sha256(f"{holder.key}:{item.key}".encode()).digest()
    rng = random.Random(int.from_bytes(seed[:8], "big"))
    writer = _WRITERS.get(item.key)
    if writer is None:  # a promised item: the receipt is written by receipt_content
        raise KeyError(item.key)
    return writer(holder, today, rng)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """承诺办结时限 counts working days; weekends are skipped (no holiday calendar in the demo)."""
    d = start
    left = days
    while left > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            left -= 1
    return d


def receipt_content(
    item: SeedItem, holder: Holder, today: dt.date, case_no: str, promised: dt.date
) -> Content:
    """受理回执 of a promised item."""
    fields: list[tuple[str, str]] = [
        ("事项名称", item.name),
        ("受理编号", case_no),
        ("受理日期", _cn(today)),
        ("受理部门", item.department),
        ("承诺办结时限", f"{item.promised_days}个工作日"),
        ("预计办结日期", _cn(promised)),
    ]
    if item.key == "fund_withdrawal":
        reason = "退休提取" if p.PENSION_PAID in holder.accounts else "离职提取"
        fields.append(("提取原因", reason))
        fields.append(("到账方式", "转入本人社会保障卡金融账户"))
    if item.pledge_text:
        fields.append(("告知承诺", "申请人已阅读并确认告知承诺书"))
    if item.visits:
        fields.append(("到现场次数", f"最多跑{item.visits}次"))
    body = (
        f"您申请的“{item.name}”已于{_cn(today)}受理，承诺于{_cn(promised)}前"
        f"（{item.promised_days}个工作日内）办结{item.result_tail}。请妥善保管本回执。"
    )
    return Content("受理回执", tuple(fields), body)


def issue_document(
    item: SeedItem,
    holder: Holder,
    today: dt.date,
    *,
    case_no: str,
    code: str,
    verify_base_url: str,
) -> Document:
    """What the platform issues for a case: a certificate (即办件) or an acceptance receipt
    (承诺件) with its promised date, carrying the verification code and its QR content."""
    promised = None
    if item.case_kind is CaseKind.INSTANT:
        content = certificate_content(item, holder, today)
        kind, purpose, footer = DocumentKind.CERTIFICATE, PURPOSE, FOOTER
        valid_until = today + dt.timedelta(days=item.valid_days)
    else:
        promised = add_working_days(today, item.promised_days or 1)
        content = receipt_content(item, holder, today, case_no, promised)
        kind, purpose, footer = DocumentKind.RECEIPT, "", RECEIPT_FOOTER
        valid_until = None
    return Document(
        kind=kind,
        title=content.title,
        holder=holder.holder_line,
        fields=tuple(Field(label, value) for label, value in content.fields),
        body=content.body,
        department=item.department,
        issued_on=today,
        verification_code=code,
        qr_content=f"{verify_base_url}{code}",
        valid_until=valid_until,
        purpose=purpose,
        footer=footer,
        case_no=case_no,
        promised_date=promised,
    )
