"""The citizen's journey as a pure state machine.

``Journey.dispatch(event, now)`` takes one event and the monotonic time, changes the state and
returns the effects to carry out (platform calls, printing, storing a rating). It does no I/O,
reads no clock and knows nothing of Kivy, so every path through it is a plain unit test. The
screen renders ``state`` and the session's masked values; it never decides anything itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from kiosk import messages, qr
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, PrintJob
from kiosk.events import (
    Action,
    CardDetected,
    CardFault,
    CardRead,
    CardReadFailed,
    CardRemoved,
    CatalogueLoaded,
    CertificateChecked,
    DeviceChanged,
    Failed,
    GuideLoaded,
    IdentitySessionExpired,
    IdentitySessionStarted,
    PlatformHealth,
    Printed,
    PrintProgress,
    RatingStored,
    RepresentativeConfirmed,
    Submitted,
    Tap,
    Tick,
    Verified,
)
from kiosk.identity import IdentityCard, card_problem
from kiosk.models import Catalogue, Guide, IdentitySession, Item, Ticket, VerifyResult
from kiosk.ratings import DIMENSIONS, Rating, RatingLevel, reasons_for
from kiosk.session import Session

log = logging.getLogger("kiosk.journey")


class State(StrEnum):
    OUT_OF_SERVICE = "out_of_service"
    ATTRACT = "attract"
    CATALOGUE = "catalogue"
    IDENTIFYING = "identifying"
    VERIFYING = "verifying"
    ITEMS = "items"
    ITEM_DETAIL = "item_detail"
    SUBMITTING = "submitting"
    PREVIEW = "preview"  # the certificate on screen before it goes on paper
    PRINTING = "printing"
    TAKE_DOCUMENTS = "take_documents"
    RATING = "rating"
    GOODBYE = "goodbye"
    ERROR = "error"
    PHONE = "phone"  # 扫码办理: the kiosk shows its QR; an app code works too
    ENTERPRISE = "enterprise"  # 企业办事: scan the business licence
    REPRESENTATIVE = "representative"  # the enterprise's representative puts their ID card
    VERIFY_SCAN = "verify_scan"  # 证明核验: scan a certificate
    CHECKING = "checking"  # the platform checks the certificate
    VERIFY_RESULT = "verify_result"


# ① 身份识别 ② 选择事项 ③ 确认办理 ④ 打印取件 ⑤ 评价
STEPS = ("身份识别", "选择事项", "确认办理", "打印取件", "评价")
STEP_OF: dict[State, int] = {
    State.PHONE: 1,
    State.ENTERPRISE: 1,
    State.REPRESENTATIVE: 1,
    State.IDENTIFYING: 1,
    State.VERIFYING: 1,
    State.ITEMS: 2,
    State.ITEM_DETAIL: 3,
    State.SUBMITTING: 3,
    State.PREVIEW: 4,
    State.PRINTING: 4,
    State.TAKE_DOCUMENTS: 4,
    State.RATING: 5,
    State.GOODBYE: 5,
}

# States that wait for a person: limit in multiples of the configured inactivity limit.
PERSON_WAITS: dict[State, float] = {
    State.CATALOGUE: 1.5,
    State.ITEMS: 1.0,
    State.ITEM_DETAIL: 1.5,
    State.TAKE_DOCUMENTS: 1.0,
    State.PREVIEW: 1.0,
    State.RATING: 1.0,
    State.ERROR: 0.5,
    State.PHONE: 1.5,
    State.ENTERPRISE: 1.0,
    State.REPRESENTATIVE: 1.0,
    State.VERIFY_SCAN: 1.0,
    State.VERIFY_RESULT: 1.0,
}
# States that wait for a machine: a guard in seconds, after which the citizen is told.
MACHINE_WAITS: dict[State, float] = {
    State.IDENTIFYING: 15.0,
    State.VERIFYING: 40.0,
    State.SUBMITTING: 45.0,
    State.PRINTING: 90.0,
    State.GOODBYE: 6.0,
    State.CHECKING: 30.0,
}
# Where a scanned code is taken (no session open): anything a citizen may scan from.
IDLE_STATES = (State.ATTRACT, State.OUT_OF_SERVICE)

SCAN_STATES = (
    State.ATTRACT,
    State.CATALOGUE,
    State.ITEM_DETAIL,
    State.PHONE,
    State.ENTERPRISE,
    State.VERIFY_SCAN,
    State.VERIFY_RESULT,
    State.ERROR,
)
ELDER_TIME_FACTOR = 2.0


# ---- effects: what the application must do for the journey ---------------------------------


@dataclass(frozen=True, slots=True)
class VerifyIdentity:
    card: IdentityCard = field(repr=False)


@dataclass(frozen=True, slots=True)
class LoadGuide:
    item_code: str
    ticket: Ticket | None  # None when browsing the public list


@dataclass(frozen=True, slots=True)
class SubmitCase:
    ticket: Ticket
    item_code: str
    request_id: str
    pledge_confirmed: bool


@dataclass(frozen=True, slots=True)
class PrintDocument:
    job: PrintJob


@dataclass(frozen=True, slots=True)
class StoreRating:
    rating: Rating


@dataclass(frozen=True, slots=True)
class LoadCatalogue:
    pass


@dataclass(frozen=True, slots=True)
class CallStaff:
    state: str


@dataclass(frozen=True, slots=True)
class VerifyToken:
    token: str = field(repr=False)  # opaque, from a phone app: never logged, never stored


@dataclass(frozen=True, slots=True)
class VerifyEnterprise:
    uscc: str


@dataclass(frozen=True, slots=True)
class ConfirmRepresentative:
    ticket: Ticket
    card: IdentityCard = field(repr=False)


@dataclass(frozen=True, slots=True)
class StartIdentitySession:
    """Open (or renew) the session behind the kiosk-shown QR, and watch it."""


@dataclass(frozen=True, slots=True)
class StopIdentitySession:
    """The citizen left the 扫码办理 screen: stop watching."""


@dataclass(frozen=True, slots=True)
class CheckCertificate:
    code: str


@dataclass(frozen=True, slots=True)
class SessionEnded:
    reason: str  # "done", "timeout", "exit", "card_removed", ... for counts; never personal


Effect = (
    VerifyIdentity
    | VerifyToken
    | VerifyEnterprise
    | ConfirmRepresentative
    | StartIdentitySession
    | StopIdentitySession
    | CheckCertificate
    | LoadGuide
    | SubmitCase
    | PrintDocument
    | StoreRating
    | LoadCatalogue
    | CallStaff
    | SessionEnded
)


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    title: str
    text: str
    retry: Effect | None = None
    retry_state: State | None = None
    retry_label: str = "重试"


@dataclass(frozen=True, slots=True)
class JourneySettings:
    device_id: str
    region_code: str
    inactivity_seconds: float = 60.0
    warning_seconds: float = 20.0
    certificate_prefixes: tuple[str, ...] = (qr.DEFAULT_VERIFY_BASE_URL,)
    token_prefixes: tuple[str, ...] = qr.DEFAULT_TOKEN_PREFIXES
    # the ID-card reader is the one required device of 一证通办 (CUSS: required component);
    # a second reader (social-security cards) is a convenience, not a reason to stay open
    required_reader: str = ""

    @classmethod
    def from_config(cls, config) -> JourneySettings:
        from kiosk.config import reader_names

        verify = config.platform.verify_base_url
        return cls(
            required_reader=reader_names(config.devices.card_readers)[0],
            device_id=config.device_id,
            region_code=config.region_code,
            inactivity_seconds=config.session.inactivity_seconds,
            warning_seconds=config.session.warning_seconds,
            certificate_prefixes=(verify,) if verify else (qr.DEFAULT_VERIFY_BASE_URL,),
        )


class Journey:
    def __init__(
        self,
        settings: JourneySettings,
        wall_clock: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone(),
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.settings = settings
        self._wall = wall_clock
        self._today = today
        self.state = State.ATTRACT
        self.session: Session | None = None
        self.error: ErrorInfo | None = None
        self.notice = ""  # a one-line message shown on the next screen (e.g. why we left)
        self.elder_mode = False
        self.catalogue: Catalogue | None = None
        self.catalogue_fetched_at: float | None = None
        self.catalogue_unavailable = False  # no list kept and the platform did not answer
        self.browse_item: Item | None = None
        self.browse_guide: Guide | None = None
        self.browse_guide_saved_at: float | None = None  # the kept copy's age, offline
        self.devices: dict[tuple[DeviceKind, str], DeviceStatus] = {}
        self.platform_reachable = True
        self.deadline: float | None = None
        self.reading_reader: str | None = None  # the reader that is reading a card right now
        self.phone_session: IdentitySession | None = None  # behind the kiosk-shown QR
        self.verify_result: VerifyResult | None = None  # of the last 证明核验
        self.checking_code: str | None = None
        self._entered_at = 0.0
        self._now = 0.0
        self.version = 0  # bumps on every change, so a screen can tell it must redraw
        # bumps when a citizen's turn begins or ends: a reply to an effect issued in an earlier
        # turn must never reach the next citizen (the runtime drops it)
        self.epoch = 0

    # ---- what a screen may read ------------------------------------------------------------

    @property
    def step(self) -> int:
        return STEP_OF.get(self.state, 0)

    def remaining(self, now: float) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - now)

    def warning(self, now: float) -> bool:
        """True while the "需要更多时间" offer must be visible."""
        left = self.remaining(now)
        return (
            left is not None
            and self.state in PERSON_WAITS
            and left <= self.settings.warning_seconds
        )

    def statuses(self, kind: DeviceKind) -> list[DeviceStatus]:
        return [s for (k, _source), s in self.devices.items() if k is kind]

    @property
    def reader_usable(self) -> bool:
        """The required ID-card reader works (or has not reported yet)."""
        down = (DeviceState.NO_DEVICE, DeviceState.HARDWARE_ERROR, DeviceState.OFFLINE)
        required = self.settings.required_reader
        readers = [
            s
            for s in self.statuses(DeviceKind.CARD_READER)
            if not required or s.source in (required, "")
        ]
        return not readers or any(s.state not in down for s in readers)

    @property
    def printer_usable(self) -> bool:
        printers = self.statuses(DeviceKind.PRINTER)
        return not printers or any(s.usable or s.state is DeviceState.STARTING for s in printers)

    @property
    def printer_message(self) -> messages.Message:
        """Why printing is off right now (paper out, cover open, ...) and what to do."""
        down = next((s for s in self.statuses(DeviceKind.PRINTER) if not s.usable), None)
        return messages.printer_unavailable(down)

    def item_blocked_reason(self, item: Item) -> str:
        """Why this citizen cannot do this item here right now ('' if they can)."""
        if not item.available:
            return item.unavailable_reason or "需到窗口办理"
        if item.prints and not self.printer_usable:
            return "打印机暂停服务，请到窗口办理"
        return ""

    @property
    def banners(self) -> list[str]:
        """What does not work right now and what still does, for the attract screen."""
        out = []
        if not self.platform_reachable:
            out.append(
                "暂时无法连接政务服务平台：身份核验与办理暂停，可查看一证通办清单，办理请到人工窗口。"
            )
        if not self.printer_usable:
            out.append(self.printer_message.title + "：" + self.printer_message.text)
        return out

    # ---- the machine ------------------------------------------------------------------------

    def dispatch(self, event: object, now: float) -> list[Effect]:
        self._now = now
        effects: list[Effect] = []
        before = (self.state, self.deadline)
        handler = _HANDLERS.get(type(event))
        if handler is None:
            log.warning("journey: no handler for %s", type(event).__name__)
        else:
            handler(self, event, effects)
        if before[0] is State.PHONE and self.state is not State.PHONE:
            self.phone_session = None
            effects.append(StopIdentitySession())
        if (self.state, self.deadline) != before or effects or not isinstance(event, Tick):
            self.version += 1
        return effects

    def start(self, now: float) -> list[Effect]:
        """First effects after start-up: fetch the public list."""
        self._now = now
        self._enter(State.ATTRACT if self.reader_usable else State.OUT_OF_SERVICE)
        return [LoadCatalogue()]

    def halt(self, now: float) -> None:
        """The kiosk cannot run its devices or services at all (it keeps trying to start):
        out of service, so nobody is invited to put a card on a reader nothing is reading."""
        self._now = now
        if self.session is not None:
            self.session.wipe()
            self.session = None
        self.error = None
        self._enter(State.OUT_OF_SERVICE)
        self.version += 1

    def _enter(self, state: State, *, keep_notice: bool = False) -> None:
        if state is not self.state:
            log.info("journey: %s -> %s", self.state.value, state.value)
        if state in IDLE_STATES and self.state not in IDLE_STATES:
            self.epoch += 1
        self.state = state
        self._entered_at = self._now
        if not keep_notice and state not in (State.ATTRACT, State.OUT_OF_SERVICE):
            self.notice = ""
        self._reset_deadline()

    def _reset_deadline(self) -> None:
        factor = ELDER_TIME_FACTOR if self.elder_mode else 1.0
        if self.state in PERSON_WAITS:
            limit = PERSON_WAITS[self.state] * self.settings.inactivity_seconds * factor
            # the warning must be on screen for at least warning_seconds
            limit = max(limit, self.settings.warning_seconds + 10)
            self.deadline = self._now + limit
        elif self.state in MACHINE_WAITS:
            self.deadline = self._now + MACHINE_WAITS[self.state]
        else:
            self.deadline = None

    def _begin(self, session: Session) -> None:
        self.session = session
        self.epoch += 1

    def _idle_state(self) -> State:
        return State.ATTRACT if self.reader_usable else State.OUT_OF_SERVICE

    def _end_session(self, reason: str, effects: list[Effect], notice: str = "") -> None:
        if self.session is not None:
            self.session.wipe()
            self.session = None
            effects.append(SessionEnded(reason))
        self.error = None
        self.browse_item = None
        self.browse_guide = None
        self.verify_result = None  # a certificate's code and holder are someone's business
        self.checking_code = None
        self.elder_mode = False
        self.notice = notice
        self._enter(self._idle_state(), keep_notice=True)

    def _fail(self, info: ErrorInfo) -> None:
        self.error = info
        self._enter(State.ERROR)

    # ---- handlers ---------------------------------------------------------------------------

    def _on_tick(self, _event: Tick, effects: list[Effect]) -> None:
        if self.deadline is None or self._now < self.deadline:
            return
        state = self.state
        if state is State.GOODBYE:
            self._end_session("done", effects)
        elif state in PERSON_WAITS:
            self._end_session(
                "timeout", effects, messages.SESSION_TIMEOUT.text if self.session else ""
            )
        elif state is State.IDENTIFYING:
            self._fail(_card_fault_info(CardReadFailed(CardFault.TIMEOUT)))
        else:  # a machine wait overran its guard
            op = {
                State.VERIFYING: "身份核验",
                State.SUBMITTING: "办理",
                State.PRINTING: "打印",
            }.get(state, "处理")
            retry = self._retry_for(state)
            self._fail(
                ErrorInfo(
                    f"{op}超时",
                    f"{op}没有在预期时间内完成。您可以重试，或到人工窗口办理。",
                    retry=retry,
                    retry_state=state if retry else None,
                )
            )

    def _retry_for(self, state: State) -> Effect | None:
        s = self.session
        if s is None:
            return None
        if state is State.VERIFYING and s.card is not None:
            return VerifyIdentity(s.card)
        if state is State.VERIFYING and s.uscc:
            return VerifyEnterprise(s.uscc)
        if state is State.SUBMITTING and s.ticket and s.selected:
            return SubmitCase(s.ticket, s.selected.item_code, s.request_id, s.pledge_confirmed)
        if state is State.PRINTING and s.case is not None and s.job_id:
            return PrintDocument(PrintJob(s.job_id, s.case.document))
        return None

    def _on_card_detected(self, event: CardDetected, effects: list[Effect]) -> None:
        if self.session is None and self.state in SCAN_STATES:
            self.browse_item = self.browse_guide = None
            self.error = None
            self.reading_reader = event.reader
            self._enter(State.IDENTIFYING)

    def _on_card_read(self, event: CardRead, effects: list[Effect]) -> None:
        if self.state is State.REPRESENTATIVE and self.session is not None:
            self._representative_card(event, effects)
            return
        if self.session is not None:
            # a second card while a session is open: not this citizen's session to change
            event.card.wipe()
            return
        if self.state not in (*SCAN_STATES, State.IDENTIFYING):
            event.card.wipe()
            return
        problem = card_problem(event.card, self._today())
        if problem is not None:
            event.card.wipe()
            msg = messages.CARD_PROBLEMS[problem]
            self._fail(ErrorInfo(msg.title, msg.text))
            return
        if not self.platform_reachable:
            event.card.wipe()
            self._fail(
                ErrorInfo(
                    "暂时无法核验身份",
                    "政务服务平台暂时无法连接，身份核验与办理暂停。请到人工窗口办理，或稍后再试。",
                )
            )
            return
        self.browse_item = self.browse_guide = None
        self._begin(Session.from_card(event.card, self._now, event.reader))
        self.error = None
        self._enter(State.VERIFYING)
        effects.append(VerifyIdentity(event.card))

    def _representative_card(self, event: CardRead, effects: list[Effect]) -> None:
        s = self.session
        assert s is not None and s.ticket is not None
        problem = card_problem(event.card, self._today())
        if problem is not None:
            event.card.wipe()
            msg = messages.CARD_PROBLEMS[problem]
            self._fail(
                ErrorInfo(
                    msg.title,
                    msg.text,
                    retry_state=State.REPRESENTATIVE,
                    retry_label="重新放置身份证",
                )
            )
            return
        s.card = event.card  # held only until the platform has answered
        self._enter(State.VERIFYING)
        effects.append(ConfirmRepresentative(s.ticket, event.card))

    def _platform_down(self) -> bool:
        if self.platform_reachable:
            return False
        self._fail(
            ErrorInfo(
                "暂时无法核验",
                "政务服务平台暂时无法连接，身份核验与办理暂停。请到人工窗口办理，或稍后再试。",
            )
        )
        return True

    def _on_qr_scanned(self, event: qr.QrScanned, effects: list[Effect]) -> None:
        if self.session is not None or self.state not in SCAN_STATES:
            return  # a code scanned in the middle of someone's session changes nothing
        try:
            scan = qr.classify(
                event.payload,
                certificate_prefixes=self.settings.certificate_prefixes,
                token_prefixes=self.settings.token_prefixes,
            )
        except qr.ScanRefused as refused:
            self._fail(ErrorInfo("无法读取二维码", refused.reason))
            return
        log.info("scanned: %s", qr.describe(scan))
        self.browse_item = self.browse_guide = None
        if scan.kind is qr.QrKind.UNKNOWN:
            self._fail(ErrorInfo(messages.QR_UNKNOWN.title, messages.QR_UNKNOWN.text))
        elif self._platform_down():
            return
        elif scan.kind is qr.QrKind.CERTIFICATE:
            self.verify_result = None
            self.checking_code = scan.verification_code
            self._enter(State.CHECKING)
            effects.append(CheckCertificate(scan.verification_code or ""))
        elif scan.kind is qr.QrKind.IDENTITY_TOKEN:
            self._begin(Session(started_at=self._now))
            self._enter(State.VERIFYING)
            effects.append(VerifyToken(scan.token or ""))
        elif scan.kind is qr.QrKind.BUSINESS_LICENCE:
            uscc = scan.uscc or ""
            self._begin(Session(started_at=self._now, uscc=uscc))
            self.session.display_name = "企业用户"
            self._enter(State.VERIFYING)
            if scan.uscc_valid is False:
                self.notice = messages.USCC_CHECK_FAILED
            effects.append(VerifyEnterprise(uscc))

    def _on_qr_rejected(self, event: qr.QrRejected, effects: list[Effect]) -> None:
        if self.session is None and self.state in SCAN_STATES:
            self._fail(ErrorInfo("无法读取二维码", event.reason))

    def _on_identity_session(self, event: IdentitySessionStarted, effects: list[Effect]) -> None:
        if self.state is State.PHONE:
            self.phone_session = event.session

    def _on_identity_session_expired(
        self, event: IdentitySessionExpired, effects: list[Effect]
    ) -> None:
        s = self.phone_session
        if self.state is State.PHONE and s is not None and s.session_id == event.session_id:
            self.phone_session = None
            effects.append(StartIdentitySession())  # a fresh code replaces the old one

    def _on_representative(self, event: RepresentativeConfirmed, effects: list[Effect]) -> None:
        s = self.session
        if s is not None and self.state is State.VERIFYING:
            s.forget_card()
            s.representative_confirmed = True
            self._enter(State.ITEMS)

    def _on_certificate(self, event: CertificateChecked, effects: list[Effect]) -> None:
        if self.state is State.CHECKING:
            self.verify_result = event.result
            self._enter(State.VERIFY_RESULT)

    def _on_card_failed(self, event: CardReadFailed, effects: list[Effect]) -> None:
        if self.session is None and self.state in (
            State.ATTRACT,
            State.CATALOGUE,
            State.IDENTIFYING,
            State.ERROR,
            State.ITEM_DETAIL,
        ):
            self._fail(_card_fault_info(event))

    def _on_card_removed(self, event: CardRemoved, effects: list[Effect]) -> None:
        s = self.session
        if s is None:
            if self.state is State.IDENTIFYING and event.reader == self.reading_reader:
                self._enter(self._idle_state())
            return
        if event.reader != s.reader:
            return  # a card left another reader: not this citizen's card
        if self.state in (State.SUBMITTING, State.PREVIEW, State.PRINTING):
            s.forget_card()  # the case is under way; the citizen is still here for the paper
        elif self.state is State.TAKE_DOCUMENTS:
            s.forget_card()
            self._enter(State.RATING)
        elif self.state in (State.RATING, State.GOODBYE):
            s.forget_card()
        else:
            self._end_session("card_removed", effects, messages.CARD_REMOVED.text)

    def _on_verified(self, event: Verified, effects: list[Effect]) -> None:
        if self.state is State.PHONE and self.session is None:
            self._begin(Session(started_at=self._now))  # confirmed in the phone app
        s = self.session
        if s is None or self.state not in (State.VERIFYING, State.PHONE):
            return
        s.ticket = event.ticket
        s.items = event.items
        s.forget_card()
        if event.ticket.representative_required:
            self._enter(State.REPRESENTATIVE)
        else:
            self._enter(State.ITEMS)

    def _on_guide(self, event: GuideLoaded, effects: list[Effect]) -> None:
        if self.state is not State.ITEM_DETAIL:
            return
        code = event.guide.item.item_code
        if self.session is not None and self.session.selected is not None:
            if self.session.selected.item_code == code:
                self.session.guide = event.guide
        elif self.browse_item is not None and self.browse_item.item_code == code:
            self.browse_guide = event.guide
            self.browse_guide_saved_at = event.saved_at

    def _on_submitted(self, event: Submitted, effects: list[Effect]) -> None:
        s = self.session
        if s is None or self.state is not State.SUBMITTING:
            return
        s.case = event.result
        s.forget_card()
        # a certificate, or for a promised case its acceptance receipt, is shown first and goes
        # on paper when the citizen says so; without a printer the screen is the record
        if self.printer_usable:
            self._enter(State.PREVIEW)
        else:
            self._enter(State.TAKE_DOCUMENTS)

    def _on_print_progress(self, event: PrintProgress, effects: list[Effect]) -> None:
        s = self.session
        if s is not None and self.state is State.PRINTING and event.job_id == s.job_id:
            s.print_progress = max(s.print_progress, min(1.0, event.fraction))
            self._reset_deadline()  # the guard is for a stalled printer, not a slow line

    def _on_printed(self, event: Printed, effects: list[Effect]) -> None:
        s = self.session
        if s is None or event.job_id != s.job_id:
            return
        # the paper may come out after the guard gave up: it is done, not to be printed again
        late = (
            self.state is State.ERROR
            and self.error is not None
            and self.error.retry_state is State.PRINTING
        )
        if self.state is State.PRINTING or late:
            s.print_progress = 1.0
            self.error = None
            self._enter(State.TAKE_DOCUMENTS)

    def _on_rating_stored(self, event: RatingStored, effects: list[Effect]) -> None:
        if self.state is State.RATING and self.session is not None:
            self.session.rating_saving = False
            self._goodbye()

    def _goodbye(self, *, keep_notice: bool = False) -> None:
        """Goodbye says the citizen's data is gone from the kiosk: make it true at once."""
        if self.session is not None:
            self.session.wipe()
        self._enter(State.GOODBYE, keep_notice=keep_notice)

    def _on_failed(self, event: Failed, effects: list[Effect]) -> None:
        s = self.session
        if event.op == "catalogue":
            # a list kept on the kiosk stays; without one, the list screen must say so
            self.catalogue_unavailable = self.catalogue is None
            return
        if event.op == "guide" and self.state is State.ITEM_DETAIL:
            retry_item = s.selected if s is not None else self.browse_item
            retry = LoadGuide(retry_item.item_code, s.ticket if s else None) if retry_item else None
            self._fail(ErrorInfo("办事指南暂时无法显示", event.message, retry, State.ITEM_DETAIL))
        elif event.op == "check" and self.state is State.CHECKING:
            code = self.checking_code
            retry = CheckCertificate(code) if (code and event.retryable) else None
            self._fail(
                ErrorInfo("证明核验未完成", event.message, retry, State.CHECKING if retry else None)
            )
        elif event.op == "phone" and self.state is State.PHONE:
            self._fail(
                ErrorInfo(
                    "二维码暂时无法显示",
                    event.message,
                    StartIdentitySession() if event.retryable else None,
                    State.PHONE if event.retryable else None,
                )
            )
        elif event.op == "representative" and self.state is State.VERIFYING and s is not None:
            s.forget_card()
            self._fail(
                ErrorInfo(
                    "法定代表人身份未通过核验",
                    event.message,
                    None,
                    State.REPRESENTATIVE,
                    "重新放置身份证",
                )
            )
        elif event.op == "verify" and self.state is State.VERIFYING:
            retry = self._retry_for(State.VERIFYING) if event.retryable else None
            self._fail(
                ErrorInfo(
                    "身份核验未完成", event.message, retry, State.VERIFYING if retry else None
                )
            )
            if retry is None and s is not None and s.ticket is None:
                # a token is single-use, a refused card is refused: nothing left to keep
                s.wipe()
                self.session = None
                effects.append(SessionEnded("refused"))
        elif event.op == "submit" and self.state is State.SUBMITTING:
            retry = self._retry_for(State.SUBMITTING) if event.retryable else None
            self._fail(
                ErrorInfo("办理未完成", event.message, retry, State.SUBMITTING if retry else None)
            )
        elif event.op == "print" and self.state is State.PRINTING:
            retry = self._retry_for(State.PRINTING)
            case_no = s.case.case_no if s and s.case else ""
            text = event.message
            if case_no:
                text += f"\n您的办件编号：{case_no}，也可凭此到人工窗口打印。"
            self._fail(ErrorInfo("打印未完成", text, retry, State.PRINTING, "重新打印"))
        elif event.op == "rating" and self.state is State.RATING:
            if s is not None:
                s.rating_saving = False
            self.notice = "评价暂未保存成功，感谢您的参与。"
            self._goodbye(keep_notice=True)

    def _on_device(self, event: DeviceChanged, effects: list[Effect]) -> None:
        self.devices[(event.status.kind, event.status.source)] = event.status
        if self.state is State.OUT_OF_SERVICE and self.reader_usable:
            self._enter(State.ATTRACT)
        elif self.state is State.ATTRACT and not self.reader_usable:
            self._enter(State.OUT_OF_SERVICE)

    def _on_health(self, event: PlatformHealth, effects: list[Effect]) -> None:
        was = self.platform_reachable
        self.platform_reachable = event.reachable
        if event.reachable and not was:
            effects.append(LoadCatalogue())  # back online: is the list shown still current?

    def _on_catalogue(self, event: CatalogueLoaded, effects: list[Effect]) -> None:
        self.catalogue_unavailable = False
        self.catalogue = event.catalogue
        self.catalogue_fetched_at = event.fetched_at

    # ---- taps -------------------------------------------------------------------------------

    def _on_tap(self, tap: Tap, effects: list[Effect]) -> None:
        a, state = tap.action, self.state
        if state in PERSON_WAITS:
            self._reset_deadline()  # any touch is activity
        if a is Action.MORE_TIME:
            return
        if a is Action.ELDER_MODE and state in (State.ATTRACT, State.CATALOGUE, State.ITEMS):
            self.elder_mode = not self.elder_mode
            self._reset_deadline()
            return
        if a is Action.CALL_STAFF:
            effects.append(CallStaff(state.value))
            self.notice = messages.STAFF_CALLED
            return
        if a is Action.EXIT or (a is Action.HOME and state is not State.RATING):
            if state in (State.SUBMITTING, State.PRINTING):
                return  # the case is under way; leaving now would strand the paper
            self._end_session("exit", effects)
            return
        handler = _TAPS.get(state)
        if handler is not None:
            handler(self, tap, effects)

    def _tap_attract(self, tap: Tap, effects: list[Effect]) -> None:
        if tap.action is Action.BROWSE:
            self._enter(State.CATALOGUE)
            if self.catalogue is None:
                effects.append(LoadCatalogue())
        elif tap.action is Action.PHONE and not self._platform_down():
            self.phone_session = None
            self._enter(State.PHONE)
            effects.append(StartIdentitySession())
        elif tap.action is Action.ENTERPRISE:
            self._enter(State.ENTERPRISE)
        elif tap.action is Action.VERIFY:
            self._enter(State.VERIFY_SCAN)

    def _tap_scan_screen(self, tap: Tap, effects: list[Effect]) -> None:
        """扫码办理 / 企业办事 / 证明核验 and its result: back to where the citizen came from."""
        if tap.action is Action.BACK:
            self.verify_result = None
            self.checking_code = None
            self._enter(self._idle_state())

    def _tap_representative(self, tap: Tap, effects: list[Effect]) -> None:
        if tap.action is Action.BACK:
            self._end_session("exit", effects)

    def _tap_catalogue(self, tap: Tap, effects: list[Effect]) -> None:
        if tap.action is Action.BACK:
            self._enter(self._idle_state())
        elif tap.action is Action.SELECT_ITEM and self.catalogue is not None:
            item = next((i for i in self.catalogue.items if i.item_code == tap.arg), None)
            if item is not None:
                self.browse_item, self.browse_guide = item, None
                self._enter(State.ITEM_DETAIL)
                effects.append(LoadGuide(item.item_code, None))

    def _tap_items(self, tap: Tap, effects: list[Effect]) -> None:
        s = self.session
        if s is None:
            return
        if tap.action is Action.BACK:
            self._end_session("exit", effects)
        elif tap.action is Action.SELECT_ITEM:
            item = next((i for i in s.items if i.item_code == tap.arg), None)
            if item is None or self.item_blocked_reason(item):
                return
            s.choose(item)
            self._enter(State.ITEM_DETAIL)
            if s.guide is None:
                effects.append(LoadGuide(item.item_code, s.ticket))

    def _tap_detail(self, tap: Tap, effects: list[Effect]) -> None:
        s = self.session
        if s is None:  # browsing the public list
            if tap.action is Action.BACK:
                self.browse_item = self.browse_guide = None
                self._enter(State.CATALOGUE)
            return
        if tap.action is Action.BACK:
            self._enter(State.ITEMS)
        elif tap.action is Action.PLEDGE:
            s.pledge_confirmed = not s.pledge_confirmed
        elif tap.action is Action.CONFIRM and self.can_confirm:
            assert s.selected is not None and s.ticket is not None
            if self.item_blocked_reason(s.selected):
                msg = self.printer_message
                self._fail(ErrorInfo(msg.title, msg.text))
                return
            self._enter(State.SUBMITTING)
            effects.append(
                SubmitCase(s.ticket, s.selected.item_code, s.request_id, s.pledge_confirmed)
            )

    @property
    def can_return_to_items(self) -> bool:
        """After an error: is there a list to go back to (identified, and fully)?"""
        s = self.session
        if s is None or s.ticket is None:
            return False
        return not s.ticket.representative_required or s.representative_confirmed

    @property
    def can_confirm(self) -> bool:
        s = self.session
        if s is None or s.guide is None or s.selected is None or s.ticket is None:
            return False
        return not s.guide.pledge_text or s.pledge_confirmed

    def _tap_preview(self, tap: Tap, effects: list[Effect]) -> None:
        s = self.session
        if s is None or s.case is None:
            return
        if tap.action is Action.PRINT:
            if not self.printer_usable:
                msg = self.printer_message
                text = f"{msg.text}\n您的办件编号：{s.case.case_no}，可凭此到人工窗口打印。"
                self._fail(ErrorInfo(msg.title, text))
                return
            s.job_id = s.job_id or str(uuid.uuid4())
            s.print_progress = 0.0
            self._enter(State.PRINTING)
            effects.append(PrintDocument(PrintJob(s.job_id, s.case.document)))
        elif tap.action in (Action.NO_PRINT, Action.BACK):
            s.print_declined = True
            self._enter(State.TAKE_DOCUMENTS)

    def _tap_take(self, tap: Tap, effects: list[Effect]) -> None:
        if tap.action is Action.DOCUMENTS_TAKEN:
            self._enter(State.RATING)

    def _tap_rating(self, tap: Tap, effects: list[Effect]) -> None:
        s = self.session
        if s is None or s.rating_saving:
            return
        if tap.action is Action.RATE:
            try:
                level = RatingLevel(tap.arg)
            except ValueError:
                return
            if level is not s.rating_level:
                s.rating_level = level
                s.rating_reasons.clear()
        elif tap.action is Action.REASON and s.rating_level is not None:
            if tap.arg in reasons_for(s.rating_level):
                s.rating_reasons.symmetric_difference_update({tap.arg})
        elif tap.action is Action.DIMENSION and s.rating_level is not None:
            name, _, value = tap.arg.partition(":")
            try:
                level = RatingLevel(value)
            except ValueError:
                return
            if name not in DIMENSIONS:
                return
            if s.rating_dimensions.get(name) is level:
                del s.rating_dimensions[name]  # a second tap takes the choice back
            else:
                s.rating_dimensions[name] = level
        elif tap.action is Action.SUBMIT_RATING and self.can_submit_rating:
            assert s.rating_level is not None and s.case is not None and s.ticket is not None
            item = s.selected
            rating = Rating(
                case_no=s.case.case_no,
                item_code=s.case.item_code,
                item_name=item.name if item else "",
                department=item.department if item else s.case.document.department,
                rater_ref=s.ticket.rater_ref,
                level=s.rating_level,
                rated_at=self._wall(),
                device_id=self.settings.device_id,
                region_code=self.settings.region_code,
                reasons=tuple(sorted(s.rating_reasons)),
                dimensions=tuple(
                    (name, s.rating_dimensions[name])
                    for name in DIMENSIONS
                    if name in s.rating_dimensions
                ),
            )
            s.rating_saving = True
            effects.append(StoreRating(rating))
        elif tap.action in (Action.SKIP_RATING, Action.HOME):
            self._goodbye()

    @property
    def can_submit_rating(self) -> bool:
        s = self.session
        if s is None or s.rating_level is None or s.case is None or s.ticket is None:
            return False
        return not s.rating_level.is_bad or bool(s.rating_reasons)

    def _tap_error(self, tap: Tap, effects: list[Effect]) -> None:
        err = self.error
        if tap.action is Action.RETRY and err is not None and err.retry is not None:
            self.error = None
            self._enter(err.retry_state or self._idle_state())
            effects.append(err.retry)
        elif tap.action is Action.RETRY and err is not None and err.retry_state is not None:
            self.error = None  # try again by hand (e.g. the representative's card once more)
            self._enter(err.retry_state)
        elif tap.action in (Action.BACK, Action.HOME):
            if self.can_return_to_items:
                self.error = None
                self._enter(State.ITEMS)  # back to the list; the session is still good
            else:
                self._end_session("error", effects)

    def _tap_goodbye(self, tap: Tap, effects: list[Effect]) -> None:
        if tap.action in (Action.HOME, Action.BACK):
            self._end_session("done", effects)


def _card_fault_info(event: CardReadFailed) -> ErrorInfo:
    msg = messages.CARD_FAULTS[event.fault]
    return ErrorInfo(msg.title, msg.text)


_HANDLERS: dict[type, Callable] = {
    Tick: Journey._on_tick,
    Tap: Journey._on_tap,
    CardDetected: Journey._on_card_detected,
    CardRead: Journey._on_card_read,
    CardReadFailed: Journey._on_card_failed,
    CardRemoved: Journey._on_card_removed,
    Verified: Journey._on_verified,
    GuideLoaded: Journey._on_guide,
    Submitted: Journey._on_submitted,
    PrintProgress: Journey._on_print_progress,
    Printed: Journey._on_printed,
    RatingStored: Journey._on_rating_stored,
    Failed: Journey._on_failed,
    DeviceChanged: Journey._on_device,
    PlatformHealth: Journey._on_health,
    CatalogueLoaded: Journey._on_catalogue,
    qr.QrScanned: Journey._on_qr_scanned,
    qr.QrRejected: Journey._on_qr_rejected,
    IdentitySessionStarted: Journey._on_identity_session,
    IdentitySessionExpired: Journey._on_identity_session_expired,
    RepresentativeConfirmed: Journey._on_representative,
    CertificateChecked: Journey._on_certificate,
}

_TAPS: dict[State, Callable] = {
    State.ATTRACT: Journey._tap_attract,
    State.PHONE: Journey._tap_scan_screen,
    State.ENTERPRISE: Journey._tap_scan_screen,
    State.VERIFY_SCAN: Journey._tap_scan_screen,
    State.VERIFY_RESULT: Journey._tap_scan_screen,
    State.REPRESENTATIVE: Journey._tap_representative,
    State.CATALOGUE: Journey._tap_catalogue,
    State.ITEMS: Journey._tap_items,
    State.ITEM_DETAIL: Journey._tap_detail,
    State.PREVIEW: Journey._tap_preview,
    State.TAKE_DOCUMENTS: Journey._tap_take,
    State.RATING: Journey._tap_rating,
    State.ERROR: Journey._tap_error,
    State.GOODBYE: Journey._tap_goodbye,
}
