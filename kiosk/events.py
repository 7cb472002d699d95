"""Events that drive the journey: from devices, from the platform worker, and from the screen.

Devices and workers post them from their threads; the application delivers them to the journey
on one thread (the UI thread), so the journey itself never needs a lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiosk.cases import CaseSummary, Reprint
from kiosk.devices import DeviceKind, DeviceStatus
from kiosk.identity import IdentityCard
from kiosk.models import (
    CaseResult,
    Catalogue,
    Guide,
    IdentitySession,
    Item,
    QueueTicket,
    Ticket,
    VerifyResult,
)
from kiosk.qr import QrRejected, QrScanned

__all__ = ["QrRejected", "QrScanned"]  # scanner events live with the classifier


class CardFault(StrEnum):
    """Why reading a card failed; each has a citizen-facing message in kiosk/messages.py."""

    NO_CARD = "no_card"
    SELECT_FAILED = "select_failed"
    READ_FAILED = "read_failed"
    BAD_FRAME = "bad_frame"
    TIMEOUT = "timeout"
    UNKNOWN_CARD = "unknown_card"
    AUTH_FAILED = "auth_failed"
    SAM_FAULT = "sam_fault"
    DEVICE_GONE = "device_gone"


class Action(StrEnum):
    """What a tap on a screen asks for."""

    BROWSE = "browse"  # 查看一证通办清单 (no card needed)
    SELECT_ITEM = "select_item"  # arg: item_code
    CONFIRM = "confirm"  # confirm the item on the detail screen
    PLEDGE = "pledge"  # toggle the 告知承诺 confirmation
    BACK = "back"
    EXIT = "exit"
    MORE_TIME = "more_time"
    REPEAT_PROMPT = (
        "repeat_prompt"  # 再听一遍: the screen speaks its prompt again (screens/voice.py)
    )
    CALL_STAFF = "call_staff"
    STAFF_ACK = "staff_ack"  # hall staff at the kiosk: a long press on "已呼叫工作人员"
    LEAVE = "leave"  # the answer to "结束办理？": arg "yes" or "no"
    DOCUMENTS_TAKEN = "documents_taken"
    PRINT = "print"  # on the preview: print it
    NO_PRINT = "no_print"  # on the preview: do not print (the case number is shown)
    NOTICE = "notice"  # an item that cannot be done here: print its 一次性告知 and a queue number
    REVEAL_REASON = "reveal_reason"  # 详情: arg item_code; shows why it cannot be done here
    CASE_SLIP = "case_slip"  # after 不打印: a short 办件凭条 with the case number and a QR
    CASES = "cases"  # 办件查询: the citizen's cases (from the item list)
    REPRINT = "reprint"  # 再次打印 a finished case's certificate; arg: case_no
    RATE = "rate"  # arg: level name
    REASON = "reason"  # arg: reason code (toggles)
    DIMENSION = "dimension"  # arg: "efficiency:satisfied" (tapping the chosen one clears it)
    SUBMIT_RATING = "submit_rating"
    SKIP_RATING = "skip_rating"
    RETRY = "retry"
    HOME = "home"
    ELDER_MODE = "elder_mode"  # toggles 长辈模式
    LANGUAGE = "language"  # arg: "en" or "zh_CN" (the frame's English / 中文 switch)
    STAY_CHINESE = "stay_chinese"  # the foreign resident card's suggestion of English: no thanks
    PHONE = "phone"  # 扫码办理: show the kiosk's QR / scan an app code
    ENTERPRISE = "enterprise"  # 企业办事: scan the business licence
    VERIFY = "verify"  # 证明核验: scan a certificate's QR
    # the technician's mode (kiosk.journey.technician)
    TECHNICIAN = "technician"  # the hidden long press in a corner of attract / out of service
    PIN_DIGIT = "pin_digit"  # arg: "0".."9"
    PIN_DELETE = "pin_delete"
    PIN_ENTER = "pin_enter"
    TECH_LEAVE = "tech_leave"
    TECH_REFRESH = "tech_refresh"  # read the outbox, version and uptime again
    TECH_DELIVER = "tech_deliver"  # deliver the outbox now
    TECH_TEST_PRINT = "tech_test_print"
    TECH_CARD_TEST = "tech_card_test"  # read a card, show it masked
    TECH_RESTART = "tech_restart"  # asks for confirmation
    TECH_RESTART_CONFIRM = "tech_restart_confirm"  # arg: "yes" or "no"
    TECH_SCAN_TEST = "tech_scan_test"  # scan a code, show its kind (masked)
    TECH_EDIT_ADDRESS = "tech_edit_address"  # arg: "<device kind>:<index>", e.g. "card_reader:0"
    TECH_KEY = "tech_key"  # the address keyboard; arg: the character
    TECH_KEY_DELETE = "tech_key_delete"
    TECH_KEY_CLEAR = "tech_key_clear"
    TECH_CANDIDATE = "tech_candidate"  # arg: an address found on this machine
    TECH_APPLY_ADDRESS = "tech_apply_address"  # check, write the file, reopen the device
    COMPLAINT = "complaint"  # 投诉与建议 (attract screen, goodbye)
    COMPLAINT_CATEGORY = "complaint_category"  # arg: a kiosk.complaints.Category value
    COMPLAINT_PHRASE = "complaint_phrase"  # arg: a phrase code of the category (toggles)
    COMPLAINT_DIGIT = "complaint_digit"  # the callback number's keypad; arg: "0".."9"
    COMPLAINT_DELETE = "complaint_delete"
    COMPLAINT_CONSENT = "complaint_consent"  # toggles consent to be called back
    SUBMIT_COMPLAINT = "submit_complaint"


@dataclass(frozen=True, slots=True)
class Tap:
    action: Action
    arg: str = ""

    def __repr__(self) -> str:  # a PIN's or a phone number's digits never reach a log or a replay
        secret = self.action in (Action.PIN_DIGIT, Action.COMPLAINT_DIGIT)
        arg = "•" if secret else self.arg
        return f"Tap({self.action.value!r}, {arg!r})"


@dataclass(frozen=True, slots=True)
class Tick:
    """The clock moved on; carries no data (the time comes with every dispatch)."""


# ``reader`` names the reader an event came from (a kiosk may have a SAM reader for ID cards
# and a PC/SC reader for social-security cards); a session ends only when its own card leaves.


@dataclass(frozen=True, slots=True)
class CardDetected:
    """A card entered the reader's field; reading starts."""

    reader: str = ""


@dataclass(frozen=True, slots=True, repr=False)
class CardRead:
    card: IdentityCard
    reader: str = ""

    def __repr__(self) -> str:
        return f"CardRead({self.card!r}, reader={self.reader!r})"


@dataclass(frozen=True, slots=True)
class CardReadFailed:
    fault: CardFault
    detail: str = ""  # technical, no personal data
    reader: str = ""


@dataclass(frozen=True, slots=True)
class CardRemoved:
    reader: str = ""


@dataclass(frozen=True, slots=True)
class DeviceChanged:
    status: DeviceStatus


@dataclass(frozen=True, slots=True)
class PlatformHealth:
    reachable: bool
    detail: str = ""


class Operation(StrEnum):
    """What the kiosk asked for that can fail; each has its own handling in the journey."""

    VERIFY = "verify"  # identity: card, phone-app token, kiosk QR, enterprise
    REPRESENTATIVE = "representative"  # an enterprise's legal representative's own card
    PHONE = "phone"  # the session behind the kiosk-shown QR
    CHECK = "check"  # 证明核验: a printed certificate's code
    GUIDE = "guide"  # an item's guide
    SUBMIT = "submit"  # a case
    PRINT = "print"  # a certificate or receipt on paper
    RATING = "rating"  # a 好差评 rating to the outbox
    COMPLAINT = "complaint"  # a 投诉与建议 to the outbox (sealed)
    CATALOGUE = "catalogue"  # the published list
    QUEUE = "queue"  # a number from the hall's queuing system, for a 一次性告知 slip
    NOTICE_PRINT = "notice_print"  # the 一次性告知 slip on paper
    CASES = "cases"  # 办件查询: the citizen's cases
    REPRINT = "reprint"  # a reprint of a certificate, recorded at the platform
    REPRINT_PRINT = "reprint_print"  # that certificate on paper


@dataclass(frozen=True, slots=True)
class Failed:
    """An operation failed; ``op`` says which, so the journey routes it by type."""

    op: Operation
    message: str  # citizen-facing, plain words
    detail: str = ""  # technician-facing, no personal data
    retryable: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "op", Operation(self.op))  # an unknown operation is a bug


@dataclass(frozen=True, slots=True)
class Verified:
    ticket: Ticket
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class GuideLoaded:
    guide: Guide
    saved_at: float | None = None  # set when the kiosk's kept copy stands in for the platform


@dataclass(frozen=True, slots=True)
class Submitted:
    result: CaseResult


@dataclass(frozen=True, slots=True)
class PrintProgress:
    job_id: str
    fraction: float


@dataclass(frozen=True, slots=True)
class Printed:
    job_id: str


@dataclass(frozen=True, slots=True)
class RatingStored:
    rating_id: str


@dataclass(frozen=True, slots=True)
class ComplaintStored:
    complaint_id: str


@dataclass(frozen=True, slots=True)
class CatalogueLoaded:
    catalogue: Catalogue
    fetched_at: float  # wall-clock seconds, for "data as of"


@dataclass(frozen=True, slots=True)
class CertificateChecked:
    result: VerifyResult


@dataclass(frozen=True, slots=True)
class IdentitySessionStarted:
    """The platform opened a session for the kiosk-shown QR (扫码登录)."""

    session: IdentitySession


@dataclass(frozen=True, slots=True)
class IdentitySessionExpired:
    session_id: str


@dataclass(frozen=True, slots=True)
class RepresentativeConfirmed:
    """The enterprise's representative confirmed with their own ID card."""


@dataclass(frozen=True, slots=True)
class StaffCallAcknowledged:
    """Hall staff acknowledged a call from the platform (it came back on a heartbeat's reply).
    A call the kiosk no longer shows (another citizen's, one already answered) is ignored."""

    call_id: str


@dataclass(frozen=True, slots=True)
class HandlerFailed:
    """Code behind the screen raised where nothing caught it (a bug): the citizen's turn ends
    on the error screen, and the kiosk goes on. Carries nothing of the exception: its message
    may hold what the citizen gave."""


@dataclass(frozen=True, slots=True)
class PinChecked:
    """The technician's PIN was checked against the configured hash (off the UI thread)."""

    ok: bool


@dataclass(frozen=True, slots=True)
class TechnicianInfo:
    """What the technician screen shows besides the devices: no payloads, no citizen data."""

    version: str
    uptime_seconds: float
    pending: tuple[tuple[str, int], ...]  # (kind, records waiting)
    oldest_pending_age: float | None  # seconds
    dead_letters: int
    outbox_problem: str = ""
    addresses: tuple[tuple[str, str], ...] = ()  # (device kind, configured address)
    usb_ids: tuple[str, ...] = ()  # each address's USB ids ("USB 1a86:7523 …") or ""
    log_lines: tuple[str, ...] = ()  # the latest log lines, masked (kiosk.logs.recent)


@dataclass(frozen=True, slots=True)
class AddressCandidates:
    """Addresses found on this machine for one device (serial ports, udev names, PC/SC
    readers), each ready to use: the technician picks one instead of typing it."""

    kind: DeviceKind
    candidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddressApplied:
    """A device address the technician changed: written to the configuration and the device
    reopened (``ok``), or why not (``detail``, technician-facing). ``sources``: the names the
    kind's drivers now report under (a status of any other name is a driver that is gone: a
    reader renamed by its new scheme); ``required`` and ``required_reader``: [devices] required
    and the ID-card reader's name, as the new configuration has them."""

    ok: bool
    detail: str = ""
    kind: DeviceKind | None = None
    sources: tuple[str, ...] = ()
    required: frozenset[DeviceKind] = frozenset()
    required_reader: str = ""


@dataclass(frozen=True, slots=True)
class TestPrinted:
    """The technician's test page: printed, or why not (technician-facing, no personal data)."""

    ok: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class QueueTicketIssued:
    ticket: QueueTicket


@dataclass(frozen=True, slots=True)
class NoticePrintProgress:
    """As PrintProgress, for the 一次性告知 slip (its own phase answers it)."""

    job_id: str
    fraction: float


@dataclass(frozen=True, slots=True)
class NoticePrinted:
    job_id: str


@dataclass(frozen=True, slots=True)
class CasesLoaded:
    cases: tuple[CaseSummary, ...]


@dataclass(frozen=True, slots=True)
class ReprintRecorded:
    """The platform recorded a reprint and sent the certificate to print."""

    reprint: Reprint


@dataclass(frozen=True, slots=True)
class ReprintProgress:
    """As PrintProgress, for a reprinted certificate (its own phase answers it)."""

    job_id: str
    fraction: float


@dataclass(frozen=True, slots=True)
class ReprintPrinted:
    job_id: str
