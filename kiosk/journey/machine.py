"""The journey's core: what it holds, how it enters a state, and how it routes an event.

``Journey.dispatch(event, now)`` takes one event and the moment (kiosk.journey.now), changes
the state and returns the effects to carry out. It does no I/O, reads no clock and knows
nothing of Kivy, so every path through it is a plain unit test and a recorded log of events
replays exactly. What each event does is in the phase modules (identify_card, items,
submit_print, …); this module keeps what is common to all of them: entering a state and its
deadline, the session's beginning and end, the error screen, the frame's own buttons (退出,
需要更多时间, 长辈模式, 呼叫工作人员) and the timeouts.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from kiosk import messages, qr
from kiosk.devices import DeviceKind, DeviceStatus
from kiosk.events import Action, Failed, Tap, Tick
from kiosk.journey import (
    availability,
    certificate,
    entry,
    identify,
    identify_card,
    identify_enterprise,
    identify_phone,
    items,
    rating,
    submit_print,
)
from kiosk.journey.effects import (
    CallStaff,
    Effect,
    Effects,
    ErrorInfo,
    LoadCatalogue,
    SessionEnded,
    StopIdentitySession,
)
from kiosk.journey.now import Now
from kiosk.journey.phase import merge
from kiosk.journey.states import (
    ELDER_TIME_FACTOR,
    IDLE_STATES,
    MACHINE_WAITS,
    PERSON_WAITS,
    STEP_OF,
    State,
)
from kiosk.models import Catalogue, Guide, IdentitySession, Item, VerifyResult
from kiosk.session import Session

log = logging.getLogger("kiosk.journey")

BEFORE_START = Now(0.0, dt.datetime(1970, 1, 1, tzinfo=dt.UTC))

ROUTES = merge(
    [
        availability.phase,
        entry.phase,
        identify.phase,
        identify_card.phase,
        identify_phone.phase,
        identify_enterprise.phase,
        items.phase,
        submit_print.phase,
        rating.phase,
        certificate.phase,
    ]
)


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
    def __init__(self, settings: JourneySettings) -> None:
        self.settings = settings
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
        self.now = BEFORE_START  # the moment of the event being handled
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
        return availability.statuses(self, kind)

    @property
    def reader_usable(self) -> bool:
        return availability.reader_usable(self)

    @property
    def printer_usable(self) -> bool:
        return availability.printer_usable(self)

    @property
    def printer_message(self) -> messages.Message:
        return availability.printer_message(self)

    def item_blocked_reason(self, item: Item) -> str:
        return availability.item_blocked_reason(self, item)

    @property
    def banners(self) -> list[str]:
        return availability.banners(self)

    @property
    def can_return_to_items(self) -> bool:
        return identify.fully_identified(self)

    @property
    def can_confirm(self) -> bool:
        return items.can_confirm(self)

    @property
    def can_submit_rating(self) -> bool:
        return rating.can_submit(self)

    # ---- the machine ------------------------------------------------------------------------

    def dispatch(self, event: object, now: Now) -> list[Effect]:
        self.now = now
        effects: Effects = []
        before = (self.state, self.deadline)
        if isinstance(event, Tap):
            self._on_tap(event, effects)
        elif isinstance(event, Tick):
            self._on_tick(effects)
        elif isinstance(event, Failed):
            handler = ROUTES.failures.get(event.op)
            if handler is not None:
                handler(self, event, effects)
        else:
            handler = ROUTES.events.get(type(event))
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

    def start(self, now: Now) -> list[Effect]:
        """First effects after start-up: fetch the public list."""
        self.now = now
        self.enter(self.idle_state())
        return [LoadCatalogue()]

    def halt(self, now: Now) -> None:
        """The kiosk cannot run its devices or services at all (it keeps trying to start):
        out of service, so nobody is invited to put a card on a reader nothing is reading."""
        self.now = now
        if self.session is not None:
            self.session.wipe()
            self.session = None
        self.error = None
        self.enter(State.OUT_OF_SERVICE)
        self.version += 1

    # ---- what the phases use ----------------------------------------------------------------

    @property
    def mono(self) -> float:
        return self.now.monotonic

    def enter(self, state: State, *, keep_notice: bool = False) -> None:
        if state is not self.state:
            log.info("journey: %s -> %s", self.state.value, state.value)
        if state in IDLE_STATES and self.state not in IDLE_STATES:
            self.epoch += 1
        self.state = state
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

    def idle_state(self) -> State:
        return State.ATTRACT if self.reader_usable else State.OUT_OF_SERVICE

    def end_session(self, reason: str, effects: Effects, notice: str = "") -> None:
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
        self.enter(self.idle_state(), keep_notice=True)

    def fail(self, info: ErrorInfo) -> None:
        self.error = info
        self.enter(State.ERROR)

    def retry_for(self, state: State) -> Effect | None:
        """The effect that tries the machine wait of ``state`` again, if there is one."""
        retry = ROUTES.retries.get(state)
        return retry(self) if retry is not None and self.session is not None else None

    # ---- time --------------------------------------------------------------------------------

    def _on_tick(self, effects: Effects) -> None:
        if self.deadline is None or self.mono < self.deadline:
            return
        state = self.state
        special = ROUTES.timeouts.get(state)
        if special is not None:
            special(self, effects)
        elif state in PERSON_WAITS:
            self.end_session(
                "timeout", effects, messages.SESSION_TIMEOUT.text if self.session else ""
            )
        else:  # a machine wait overran its guard
            op = {
                State.VERIFYING: "身份核验",
                State.SUBMITTING: "办理",
                State.PRINTING: "打印",
            }.get(state, "处理")
            retry = self.retry_for(state)
            self.fail(
                ErrorInfo(
                    f"{op}超时",
                    f"{op}没有在预期时间内完成。您可以重试，或到人工窗口办理。",
                    retry=retry,
                    retry_state=state if retry else None,
                )
            )

    # ---- taps: the frame's own buttons, then the state's -------------------------------------

    def _on_tap(self, tap: Tap, effects: Effects) -> None:
        a, state = tap.action, self.state
        if state in PERSON_WAITS:
            self.reset_deadline()  # any touch is activity
        if a is Action.MORE_TIME:
            return
        if a is Action.ELDER_MODE and state in (State.ATTRACT, State.CATALOGUE, State.ITEMS):
            self.elder_mode = not self.elder_mode
            self.reset_deadline()
            return
        if a is Action.CALL_STAFF:
            effects.append(CallStaff(state.value))
            self.notice = messages.STAFF_CALLED
            return
        if a is Action.EXIT or (a is Action.HOME and state is not State.RATING):
            if state in (State.SUBMITTING, State.PRINTING):
                return  # the case is under way; leaving now would strand the paper
            self.end_session("exit", effects)
            return
        if state is State.ERROR:
            self._tap_error(tap, effects)
            return
        handler = ROUTES.taps.get(state)
        if handler is not None:
            handler(self, tap, effects)

    def _tap_error(self, tap: Tap, effects: Effects) -> None:
        err = self.error
        if tap.action is Action.RETRY and err is not None and err.retry is not None:
            self.error = None
            self.enter(err.retry_state or self.idle_state())
            effects.append(err.retry)
        elif tap.action is Action.RETRY and err is not None and err.retry_state is not None:
            self.error = None  # try again by hand (e.g. the representative's card once more)
            self.enter(err.retry_state)
        elif tap.action in (Action.BACK, Action.HOME):
            if self.can_return_to_items:
                self.error = None
                self.enter(State.ITEMS)  # back to the list; the session is still good
            else:
                self.end_session("error", effects)
