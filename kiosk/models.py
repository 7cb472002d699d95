"""Domain values exchanged with the platform, each read from JSON with path-naming checks.

The contract is docs/platform-api.yaml; a reply that does not fit raises InvalidData, which the
client turns into a PlatformError with a plain message for the citizen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from kiosk.document import QR_CONTENT_MAX_BYTES, Document
from kiosk.i18n import N_, SOURCE, _
from kiosk.masking import mask_token
from kiosk.validate import Reader


class CaseKind(StrEnum):
    INSTANT = "instant"  # 即办件
    PROMISED = "promised"  # 承诺件


class Subject(StrEnum):
    PERSON = "person"  # 自然人
    ENTERPRISE = "enterprise"  # 法人


class MaterialSource(StrEnum):
    LICENCE = "licence"  # 电子证照库
    SHARED = "shared"  # 数据共享
    PLEDGE = "pledge"  # 告知承诺 replaces the proof
    CITIZEN = "citizen"  # the citizen must bring it


# The contract's categories (docs/platform-api.yaml, Item.category): a fixed vocabulary, so
# the catalogue translates them where they head the list; another category is shown as sent
CATEGORIES = (
    N_("社会保障"),
    N_("医疗保障"),
    N_("住房公积金"),
    N_("税务"),
    N_("不动产"),
    N_("公安户政"),
    N_("交通"),
    N_("民政"),
    N_("卫健教育"),
    N_("市场监管"),
    N_("其他"),
)


@dataclass(frozen=True, slots=True)
class Item:
    item_code: str
    name: str
    department: str
    category: str
    subject: Subject
    case_kind: CaseKind
    promised_days: int | None
    visits: int
    prints: bool
    available: bool = True
    # the platform's reason why this citizen cannot do it here: it may state a personal status
    # (no pension, low income, a disability certificate), so it stays out of reprs and logs
    unavailable_reason: str = field(default="", repr=False)
    # English where the platform has it (optional in the contract): shown on English screens
    name_en: str = ""
    department_en: str = ""

    def shown_name(self, language: str) -> str:
        """The name on screen: English on English screens when the platform gave one."""
        return (self.name_en if language != SOURCE else "") or self.name

    def shown_department(self, language: str) -> str:
        return (self.department_en if language != SOURCE else "") or self.department

    @classmethod
    def from_json(cls, r: Reader) -> Item:
        kind = CaseKind(r.choice("case_kind", [k.value for k in CaseKind]))
        return cls(
            item_code=r.str("item_code", max_len=50),
            name=r.str("name", max_len=100),
            department=r.str("department", max_len=100),
            category=r.str("category", max_len=40),
            subject=Subject(r.choice("subject", [s.value for s in Subject])),
            case_kind=kind,
            promised_days=r.opt_int("promised_days", lo=1, hi=365),
            visits=r.int("visits", lo=0, hi=9),
            prints=r.bool("prints"),
            available=r.bool("available", True),
            unavailable_reason=r.opt_str("unavailable_reason", max_len=200) or "",
            name_en=r.opt_str("name_en", max_len=200) or "",
            department_en=r.opt_str("department_en", max_len=200) or "",
        )

    @property
    def tags(self) -> list[str]:
        """Short labels shown on the item's row (docs/ui.md: 零跑腿/跑一次, 即办/承诺 N 日)."""
        tags = [_("零跑腿") if self.visits == 0 else _("最多跑{n}次").format(n=self.visits)]
        if self.case_kind is CaseKind.INSTANT:
            tags.append(_("即办"))
        else:
            days = self.promised_days
            tags.append(_("承诺{n}个工作日").format(n=days) if days else _("承诺件"))
        if self.prints:
            tags.append(_("可现场打印"))
        return tags


@dataclass(frozen=True, slots=True)
class Material:
    name: str
    source: MaterialSource
    required: bool
    note: str = ""
    name_en: str = ""  # optional: English screens show it

    def shown_name(self, language: str) -> str:
        return (self.name_en if language != SOURCE else "") or self.name

    @property
    def citizen_brings(self) -> bool:
        return self.source is MaterialSource.CITIZEN

    @classmethod
    def from_json(cls, r: Reader) -> Material:
        return cls(
            name=r.str("name", max_len=100),
            source=MaterialSource(r.choice("source", [s.value for s in MaterialSource])),
            required=r.bool("required", True),
            note=r.opt_str("note", max_len=300) or "",
            name_en=r.opt_str("name_en", max_len=200) or "",
        )


@dataclass(frozen=True, slots=True)
class Window:
    """Where an item is handled in this hall (办理窗口): the queuing system's id of the window,
    its name, where it is, and its opening hours, as the 一次性告知 slip prints them."""

    window: str
    name: str
    hours: str
    location: str = ""

    @classmethod
    def from_json(cls, r: Reader) -> Window:
        return cls(
            window=r.str("window", max_len=16),
            name=r.str("name", max_len=60),
            hours=r.str("hours", max_len=200),
            location=r.opt_str("location", max_len=100) or "",
        )


@dataclass(frozen=True, slots=True)
class QueueTicket:
    """A number at a staffed window from the hall's queuing system; anonymous."""

    number: str
    window: str
    waiting: int
    issued_at: dt.datetime

    @classmethod
    def from_json(cls, r: Reader) -> QueueTicket:
        return cls(
            number=r.str("number", max_len=16),
            window=r.str("window", max_len=16),
            waiting=r.int("waiting", lo=0, hi=9999),
            issued_at=r.datetime("issued_at"),
        )


@dataclass(frozen=True, slots=True)
class Guide:
    item: Item
    conditions: str
    process: str
    fee: str
    legal_basis: str
    phone: str
    materials: tuple[Material, ...]
    pledge_text: str = ""
    window: Window | None = None  # where to go when the item cannot be done here
    guide_url: str = ""  # the guide on the 政务服务网, for a phone
    # optional: the guide in English (conditions, process, fee in a few plain sentences);
    # English screens show it in place of the Chinese sections, which stay the authority
    summary_en: str = ""

    @classmethod
    def from_json(cls, r: Reader) -> Guide:
        window = r.opt_obj("window")
        return cls(
            item=Item.from_json(r.obj_("item")),
            conditions=r.str("conditions", max_len=2000),
            process=r.str("process", max_len=2000),
            fee=r.str("fee", max_len=200),
            legal_basis=r.opt_str("legal_basis", max_len=2000) or "",
            phone=r.str("phone", max_len=40),
            materials=tuple(r.list("materials", Material.from_json, max_len=50)),
            pledge_text=r.opt_str("pledge_text", max_len=2000) or "",
            window=Window.from_json(window) if window is not None else None,
            guide_url=r.opt_str("guide_url", max_len=300) or "",
            summary_en=r.opt_str("summary_en", max_len=2000) or "",
        )


@dataclass(frozen=True, slots=True)
class Ticket:
    """A short-lived citizen ticket and the opaque rater reference for 好差评.

    ``representative_required``: an enterprise ticket (by USCC) whose certificate items need
    the legal representative's own ID card first (``PlatformClient.confirm_representative``).
    """

    ticket: str
    rater_ref: str
    expires_at: dt.datetime
    subject: Subject
    representative_required: bool = False

    def __repr__(self) -> str:
        extra = ", representative_required" if self.representative_required else ""
        return (
            f"Ticket(subject={self.subject.value}, expires_at={self.expires_at.isoformat()}{extra})"
        )

    @classmethod
    def from_json(cls, r: Reader) -> Ticket:
        return cls(
            ticket=r.str("ticket", max_len=200),
            rater_ref=r.str("rater_ref", max_len=100),
            expires_at=r.datetime("expires_at"),
            subject=Subject(r.choice("subject", [s.value for s in Subject])),
            representative_required=r.bool("representative_required", False),
        )


@dataclass(frozen=True, slots=True)
class IdentitySession:
    """A kiosk-shown QR the citizen scans with the provincial app (扫码登录).

    ``qr_content`` carries a nonce that proves the app read this screen: it is drawn, never
    logged, so the repr leaves it out (and masks the session id, which is in the QR too).
    """

    session_id: str
    qr_content: str
    expires_at: dt.datetime
    poll_after_ms: int

    def __repr__(self) -> str:
        return (
            f"IdentitySession(session_id={mask_token(self.session_id)}, "
            f"expires_at={self.expires_at.isoformat()}, poll_after_ms={self.poll_after_ms})"
        )

    @classmethod
    def from_json(cls, r: Reader) -> IdentitySession:
        return cls(
            session_id=r.str("session_id", max_len=100),
            qr_content=r.str("qr_content", max_len=1000, max_bytes=QR_CONTENT_MAX_BYTES),
            expires_at=r.datetime("expires_at"),
            poll_after_ms=r.int("poll_after_ms", lo=100, hi=60_000),
        )


class SessionStatus(StrEnum):
    PENDING = "pending"  # shown, not yet scanned and confirmed in the app
    CONFIRMED = "confirmed"  # this reply carries the ticket (once)
    EXPIRED = "expired"  # the QR's time is over: show a new one
    CONSUMED = "consumed"  # the ticket was already handed over


@dataclass(frozen=True, slots=True)
class SessionPoll:
    """One look at an identity session; ``ticket`` only when the status is confirmed."""

    status: SessionStatus
    ticket: Ticket | None = None

    @classmethod
    def from_json(cls, r: Reader) -> SessionPoll:
        status = SessionStatus(r.choice("status", [s.value for s in SessionStatus]))
        ticket = Ticket.from_json(r) if status is SessionStatus.CONFIRMED else None
        return cls(status=status, ticket=ticket)


@dataclass(frozen=True, slots=True)
class CaseResult:
    case_no: str
    item_code: str
    case_kind: CaseKind
    document: Document

    @classmethod
    def from_json(cls, r: Reader) -> CaseResult:
        return cls(
            case_no=r.str("case_no", max_len=50),
            item_code=r.str("item_code", max_len=50),
            case_kind=CaseKind(r.choice("case_kind", [k.value for k in CaseKind])),
            document=Document.from_json(r.obj_("document")),
        )


class VerifyStatus(StrEnum):
    AUTHENTIC = "authentic"
    NOT_FOUND = "not_found"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    status: VerifyStatus
    title: str = ""
    holder_masked: str = ""
    department: str = ""
    issued_on: dt.date | None = None
    valid_until: dt.date | None = None

    @classmethod
    def from_json(cls, r: Reader) -> VerifyResult:
        return cls(
            status=VerifyStatus(r.choice("status", [s.value for s in VerifyStatus])),
            title=r.opt_str("title", max_len=100) or "",
            holder_masked=r.opt_str("holder_masked", max_len=100) or "",
            department=r.opt_str("department", max_len=100) or "",
            issued_on=r.opt_date("issued_on"),
            valid_until=r.opt_date("valid_until"),
        )


@dataclass(frozen=True, slots=True)
class Catalogue:
    items: tuple[Item, ...]
    version: str
    etag: str = ""

    @classmethod
    def from_json(cls, r: Reader, etag: str = "") -> Catalogue:
        return cls(
            items=tuple(r.list("items", Item.from_json, max_len=5000)),
            version=r.str("version", max_len=64),
            etag=etag,
        )
