"""What the journey holds, and the transitions every phase uses.

The citizen's session, the error on screen, the devices' statuses, the deadline of the state;
entering a state (and its deadline), beginning and ending a session, failing to the error
screen. The phase modules change a journey only through these; kiosk.journey.machine adds the
routing of events to the phases.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from kiosk import messages, pin, qr
from kiosk.complaints import Draft
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, PrinterCondition
from kiosk.events import TechnicianInfo, TestPrinted
from kiosk.i18n import SOURCE, _
from kiosk.identity import FOREIGN_CARDS
from kiosk.journey.effects import Effects, ErrorInfo, SessionEnded
from kiosk.journey.now import Now
from kiosk.journey.states import (
    ELDER_TIME_FACTOR,
    IDLE_STATES,
    MACHINE_WAITS,
    PERSON_WAITS,
    STEP_OF,
    TECHNICIAN_STATES,
    State,
)
from kiosk.models import Catalogue, Guide, IdentitySession, Item, VerifyResult
from kiosk.session import Session

log = logging.getLogger("kiosk.journey")

# how long a notice about an ended session (why it ended) stays on the attract screen once its
# citizen has gone: long enough to read while turning away, never long enough for the next one
NOTICE_SECONDS = 8.0
# how long an item's reason opened with 详情 stays on screen: read, then hidden again for
# whoever steps up next (leaving the screen hides it at once)
REVEAL_SECONDS = 30.0

BEFORE_START = Now(0.0, dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
_STARTING = DeviceState.STARTING


def _working(statuses: list[DeviceStatus]) -> bool:
    """Devices of one kind work when none has reported, or one is usable or still starting."""
    return not statuses or any(s.usable or s.state is _STARTING for s in statuses)


@dataclass(frozen=True, slots=True)
class JourneySettings:
    device_id: str
    region_code: str
    inactivity_seconds: float = 60.0
    warning_seconds: float = 20.0
    certificate_prefixes: tuple[str, ...] = (qr.DEFAULT_VERIFY_BASE_URL,)
    token_prefixes: tuple[str, ...] = qr.DEFAULT_TOKEN_PREFIXES
    # CUSS's required components ([devices] required): one of these down, the kiosk is out
    # of service. Of the card readers only the first (ID cards) can be required: a second
    # reader (social-security cards) is a convenience, not a reason to close
    required: frozenset[DeviceKind] = frozenset({DeviceKind.CARD_READER})
    required_reader: str = ""
    # the technician's mode: a PIN is configured ([technician] pin_hash), the lock after wrong
    # PINs and the quiet spell that signs a technician out (kiosk.pin)
    technician_pin_set: bool = False
    technician_idle_seconds: float = pin.IDLE_SECONDS
    technician_lock_seconds: float = pin.LOCK_SECONDS

    @classmethod
    def from_config(cls, config) -> JourneySettings:
        from kiosk.config import reader_names

        verify = config.platform.verify_base_url
        return cls(
            required=frozenset(config.devices.required),
            required_reader=reader_names(config.devices.card_readers)[0],
            device_id=config.device_id,
            region_code=config.region_code,
            inactivity_seconds=config.session.inactivity_seconds,
            warning_seconds=config.session.warning_seconds,
            certificate_prefixes=(verify,) if verify else (qr.DEFAULT_VERIFY_BASE_URL,),
            technician_pin_set=bool(config.technician.pin_hash),
        )


@dataclass
class AddressEdit:
    """One device address being edited on the technician screen: typed on the screen's
    keyboard or picked from what was found on this machine, checked before it is written."""

    kind: DeviceKind
    index: int  # which one of the kind ([devices] card_reader may list several)
    original: str
    text: str
    message: str = ""  # why it was refused (technician-facing), or an N_ text
    applying: bool = False  # written and reopened off the UI thread: the keys wait
    candidates: tuple[str, ...] = ()


@dataclass
class StaffCall:
    """呼叫工作人员, until staff acknowledge it (at the kiosk or from the platform): shown in the
    frame of every citizen screen. It belongs to the session: it ends with it (one made on the
    attract screen, with no session, lapses after the inactivity limit)."""

    call_id: str
    screen: str  # the state it was made in (for the platform: where the citizen is stuck)
    at: float  # monotonic: a call from an idle screen lapses when nobody is there any more
    acknowledged: bool = False


@dataclass
class TechnicianVisit:
    """A technician at the kiosk, from the long press until they leave: the digits typed (kept
    only until checked), what the screen says, and what the technician screen shows."""

    inactivity: pin.Inactivity
    digits: str = ""
    checking: bool = False  # the PIN is being checked: the keypad waits
    message: str = ""  # an N_ text for the PIN screen (wrong PIN, no PIN configured, ...)
    signed_in: bool = False
    info: TechnicianInfo | None = None
    confirm_restart: bool = False
    test_print: TestPrinted | None = None
    test_printing: bool = False
    card_test: str = ""  # an N_ text while waiting, then the masked result or the fault
    scan_test: str = ""  # the same for a scanned code: its kind, masked
    edit: AddressEdit | None = None  # on the address screen (TECH_ADDRESS)
    address_result: str = ""  # the last address change: applied, or why not


class JourneyCore:
    """The journey's state and its common transitions (the phases' vocabulary)."""

    def __init__(self, settings: JourneySettings) -> None:
        self.settings = settings
        self.state = State.ATTRACT
        self.session: Session | None = None
        self.error: ErrorInfo | None = None
        self.notice = ""  # a one-line message shown on the next screen (e.g. why we left)
        # a notice about an ended session, on the idle screen: gone at this moment (mono) unless
        # its citizen's card is still on the reader (see NOTICE_SECONDS)
        self.notice_until: float | None = None
        self.staff_call: StaffCall | None = None
        self.confirm_leave = False  # ‹ 返回 at the first screen of a session: "结束办理？"
        self.cards_present: set[str] = set()  # readers with a card in the field (their events)
        # the reader where an ended session's card still lies: "请取走身份证" until it is taken
        self.card_left: str | None = None
        self.elder_mode = False
        # the screens' language (kiosk.i18n.LANGUAGES): the citizen's choice, for their session
        self.language = SOURCE
        # a foreign permanent resident card was read: "Continue in English?" until answered
        self.suggest_english = False
        self.idle_touch_at = 0.0  # monotonic: the last touch on the attract screen
        self.catalogue: Catalogue | None = None
        self.catalogue_fetched_at: float | None = None
        self.catalogue_unavailable = False  # no list kept and the platform did not answer
        self.browse_item: Item | None = None
        self.browse_guide: Guide | None = None
        self.browse_guide_saved_at: float | None = None  # the kept copy's age, offline
        # 详情 on an unavailable item: (its code, hidden at this moment (mono)); a screen change
        # hides it (see enter)
        self.revealed: tuple[str, float] | None = None
        self.devices: dict[tuple[DeviceKind, str], DeviceStatus] = {}
        self.platform_reachable = True
        self.halted = False  # the kiosk could not start its devices and services (see halt)
        self.deadline: float | None = None
        self.reading_reader: str | None = None  # the reader that is reading a card right now
        self.phone_session: IdentitySession | None = None  # behind the kiosk-shown QR
        self.verify_result: VerifyResult | None = None  # of the last 证明核验
        self.checking_code: str | None = None
        self.now = BEFORE_START  # the moment of the event being handled
        self.version = 0  # bumps on every change, so a screen can tell it must redraw
        # bumps when a citizen's turn begins or ends: a reply to an effect issued in an earlier
        # turn must never reach the next citizen (the runtime drops it)
        self.epoch = 0
        # the technician's mode (kiosk.journey.technician): the lock outlives each visit
        self.lockout = pin.Lockout(seconds=settings.technician_lock_seconds)
        self.technician: TechnicianVisit | None = None
        self.complaint: Draft | None = None  # 投诉与建议 being composed (kiosk.journey.complaint)

    # ---- what a screen may read ------------------------------------------------------------

    @property
    def step(self) -> int:
        return STEP_OF.get(self.state, 0)

    @property
    def staff_call_waiting(self) -> bool:
        """A staff call not yet acknowledged (read by the heartbeat's thread: one attribute)."""
        call = self.staff_call
        return call is not None and not call.acknowledged

    @property
    def take_card(self) -> bool:
        """ "请取走身份证": a session is over (or saying goodbye) and its card is still on the
        reader."""
        return self.card_left is not None

    def remaining(self, now: float) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - now)

    def warning(self, now: float) -> bool:
        """True while the "需要更多时间" offer must be visible."""
        left = self.remaining(now)
        return (
            left is not None
            and (self.state in PERSON_WAITS or self.state in TECHNICIAN_STATES)
            and left <= self.settings.warning_seconds
        )

    def statuses(self, kind: DeviceKind) -> list[DeviceStatus]:
        return [s for (k, _source), s in self.devices.items() if k is kind]

    @property
    def reader_usable(self) -> bool:
        """The ID-card reader works (or has not reported yet)."""
        return _working(self._id_card_readers())

    def _id_card_readers(self) -> list[DeviceStatus]:
        first = self.settings.required_reader
        readers = self.statuses(DeviceKind.CARD_READER)
        return [s for s in readers if not first or s.source in (first, "")]

    @property
    def down_device(self) -> DeviceStatus | None:
        """The first required device that is down (CUSS: a required component not ready), or
        None while the kiosk can serve. A device that has not reported yet is not down."""
        for kind in DeviceKind:  # a fixed order: the reason shown does not flicker
            if kind not in self.settings.required:
                continue
            if kind is DeviceKind.CARD_READER:
                statuses = self._id_card_readers()
            else:
                statuses = self.statuses(kind)
            if not _working(statuses):
                return next(s for s in statuses if not (s.usable or s.state is _STARTING))
        return None

    @property
    def in_service(self) -> bool:
        return self.down_device is None

    @property
    def scanner_usable(self) -> bool:
        """A QR scanner answers (a keyboard wedge always counts: it cannot be asked)."""
        return any(s.usable for s in self.statuses(DeviceKind.QR_SCANNER))

    @property
    def printer_usable(self) -> bool:
        return _working(self.statuses(DeviceKind.PRINTER))

    @property
    def printer_message(self) -> messages.Message:
        """Why printing is off right now (paper out, cover open, ...) and what to do."""
        down = next((s for s in self.statuses(DeviceKind.PRINTER) if not s.usable), None)
        return messages.printer_unavailable(down)

    @property
    def printer_condition(self) -> PrinterCondition | None:
        """Why the printer cannot print, from its latest known status (None while it can).
        Every decision to print reads this, so one condition always gives one outcome."""
        if self.printer_usable:
            return None
        return next(
            c for s in self.statuses(DeviceKind.PRINTER) if (c := s.printer_condition) is not None
        )

    @property
    def printer_hold(self) -> str:
        """Why a print button is held right now, in a few words ('' while the printer prints)."""
        condition = self.printer_condition
        return messages.printer_hold_reason(condition) if condition is not None else ""

    @property
    def printer_hold_notice(self) -> str:
        """What is wrong with the printer and what happens next ('' while it prints)."""
        condition = self.printer_condition
        return messages.printer_hold_notice(condition) if condition is not None else ""

    def item_blocked_reason(self, item: Item) -> str:
        """What the screen says of an item this citizen cannot do here right now ('' if they
        can). Never the platform's reason: it may state a personal status, and bystanders
        read the screen (the reason waits behind 详情: ``revealed_reason``)."""
        if not item.available:
            return _(messages.UNAVAILABLE_HERE)
        if item.prints and not self.printer_usable:
            return _("打印机暂停服务，请到窗口办理")
        return ""

    def can_reveal(self, item: Item) -> bool:
        """The item has a reason of the platform's that 详情 can show."""
        return not item.available and bool(item.unavailable_reason)

    def revealed_reason(self, item: Item) -> str:
        """The platform's reason why this item is unavailable, only while 详情 is open on it."""
        shown = self.revealed
        if shown is None or shown[0] != item.item_code or self.mono >= shown[1]:
            return ""
        return item.unavailable_reason

    def reveal(self, item: Item) -> None:
        """详情 tapped: the reason shows (on this screen, for REVEAL_SECONDS); tapped again, hides."""
        if self.revealed is not None and self.revealed[0] == item.item_code:
            self.revealed = None
        elif self.can_reveal(item):
            self.revealed = (item.item_code, self.mono + REVEAL_SECONDS)

    # ---- what the phases use ----------------------------------------------------------------

    @property
    def mono(self) -> float:
        return self.now.monotonic

    def enter(self, state: State, *, keep_notice: bool = False) -> None:
        if state is not self.state:
            log.info("journey: %s -> %s", self.state.value, state.value)
            self.revealed = None  # a reason opened with 详情 belongs to the screen it was opened on
        if state in IDLE_STATES and self.state not in IDLE_STATES:
            self.epoch += 1
        self.state = state
        self.confirm_leave = False  # the question belongs to the screen it was asked on
        if not keep_notice and state not in IDLE_STATES:
            self.notice = ""
        self.reset_deadline()

    def reset_deadline(self) -> None:
        factor = ELDER_TIME_FACTOR if self.elder_mode else 1.0
        if self.state in PERSON_WAITS:
            limit = PERSON_WAITS[self.state] * self.settings.inactivity_seconds * factor
            # the warning must be on screen for at least warning_seconds
            limit = max(limit, self.settings.warning_seconds + 10)
            self.deadline = self.mono + limit
        elif self.state in MACHINE_WAITS:
            self.deadline = self.mono + MACHINE_WAITS[self.state]
        else:
            self.deadline = None

    def begin(self, session: Session) -> None:
        self.session = session
        self.epoch += 1
        self.notice, self.notice_until = "", None  # the last citizen's words are not for this one
        self.card_left = None
        card = session.card
        # a foreign permanent resident: greeted by their English name and offered English
        # (one tap), never switched without asking
        self.suggest_english = (
            card is not None and card.card_type in FOREIGN_CARDS and self.language == SOURCE
        )

    def leave_card(self) -> None:
        """The session is over: if its card is still on its reader, say "请取走身份证" until the
        reader reports it gone."""
        s = self.session
        if s is not None and s.card_from is not None and s.card_from in self.cards_present:
            self.card_left = s.card_from

    def idle_state(self) -> State:
        return State.ATTRACT if self.in_service else State.OUT_OF_SERVICE

    def end_session(self, reason: str, effects: Effects, notice: str = "") -> None:
        if self.session is not None:
            if self.state is not State.GOODBYE:  # goodbye has wiped it, and said take the card
                self.leave_card()
            self.session.wipe()
            self.session = None
            effects.append(SessionEnded(reason))
        self.error = None
        self.browse_item = None
        self.browse_guide = None
        self.verify_result = None  # a certificate's code and holder are someone's business
        self.checking_code = None
        self.drop_complaint()
        self.elder_mode = False
        self.language = SOURCE  # the next citizen starts in Chinese
        self.suggest_english = False
        self.staff_call = None  # the call was this citizen's: staff need not come for the next
        self.notice = notice
        self.notice_until = self.mono + NOTICE_SECONDS if notice else None
        self.enter(self.idle_state(), keep_notice=True)

    def drop_complaint(self) -> None:
        """A complaint not sent is forgotten with its callback number."""
        if self.complaint is not None:
            self.complaint.wipe()
            self.complaint = None

    def fail(self, info: ErrorInfo) -> None:
        self.error = info
        self.enter(State.ERROR)
