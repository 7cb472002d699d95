"""The journey's machine: routes each event to the phase that handles it.

``Journey.dispatch(event, now)`` takes one event and the moment (kiosk.journey.now), changes
the state and returns the effects to carry out. It does no I/O, reads no clock and knows
nothing of Kivy, so every path through it is a plain unit test and a recorded log of events
replays exactly. What each event does is in the phase modules (identify_card, items,
submit_print, …), which change the journey through kiosk.journey.core; this module keeps what
belongs to no phase: the frame's own buttons (退出, ‹ 返回 by the phases' back tables and the
"结束办理？" it may ask, 需要更多时间, 长辈模式, 呼叫工作人员 and its acknowledgement), the error
screen and the timeouts.
"""

from __future__ import annotations

import logging

from kiosk import i18n, messages
from kiosk.events import Action, Failed, HandlerFailed, StaffCallAcknowledged, Tap, Tick
from kiosk.i18n import N_, _
from kiosk.journey import (
    availability,
    case_lookup,
    case_slip_print,
    certificate,
    complaint,
    entry,
    identify,
    identify_card,
    identify_enterprise,
    identify_phone,
    items,
    notice_slip,
    rating,
    submit_print,
    technician,
)
from kiosk.journey.core import JourneyCore, StaffCall
from kiosk.journey.effects import (
    CallStaff,
    Effect,
    Effects,
    ErrorInfo,
    LoadCatalogue,
    StaffCallAnswered,
    StopIdentitySession,
)
from kiosk.journey.now import Now
from kiosk.journey.phase import LEAVE, merge
from kiosk.journey.states import IDLE_STATES, PERSON_WAITS, TECHNICIAN_STATES, State

log = logging.getLogger("kiosk.journey")

# the frame's own taps: they leave a pending "结束办理？" question standing
_FRAME_TAPS = (
    Action.MORE_TIME,
    Action.REPEAT_PROMPT,
    Action.CALL_STAFF,
    Action.STAFF_ACK,
    Action.ELDER_MODE,
    Action.LANGUAGE,
    Action.STAY_CHINESE,
)

# a machine wait that overran its guard: what the citizen is told
OVERRAN: dict[State | None, tuple[str, str]] = {
    State.VERIFYING: (
        N_("身份核验超时"),
        N_("身份核验没有在预期时间内完成。您可以重试，或到人工窗口办理。"),
    ),
    State.SUBMITTING: (
        N_("办理超时"),
        N_("办理没有在预期时间内完成。您可以重试，或到人工窗口办理。"),
    ),
    State.PRINTING: (
        N_("打印超时"),
        N_("打印没有在预期时间内完成。您可以重试，或到人工窗口办理。"),
    ),
    None: (N_("处理超时"), N_("处理没有在预期时间内完成。您可以重试，或到人工窗口办理。")),
}

HANDLER_FAILED = (
    N_("操作未能完成"),
    N_("本机出现异常，本次操作未能完成，请重新开始。如已提交办理，请到人工窗口查询。"),
)

ROUTES = merge(
    [
        availability.phase,
        entry.phase,
        identify.phase,
        identify_card.phase,
        identify_phone.phase,
        identify_enterprise.phase,
        items.phase,
        notice_slip.phase,
        case_slip_print.phase,
        case_lookup.phase,
        submit_print.phase,
        rating.phase,
        certificate.phase,
        complaint.phase,
        technician.phase,
    ]
)


class Journey(JourneyCore):
    """The whole journey: its state (JourneyCore) and the routing of events to the phases."""

    # ---- what a screen may read besides the state ---------------------------------------------

    @property
    def banners(self) -> list[str]:
        return availability.banners(self)

    @property
    def out_of_service_reason(self) -> str:
        return availability.out_of_service_reason(self)

    @property
    def offered_out_of_service(self) -> tuple[Action, ...]:
        return availability.offered_out_of_service(self)

    def technician_locked_for(self, now: float) -> float:
        return technician.locked_for(self, now)

    def technician_keypad_enabled(self, now: float) -> bool:
        return technician.keypad_enabled(self, now)

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
        before = (self.state, self.deadline, self.notice)
        if isinstance(event, Tap):
            self._on_tap(event, effects)
        elif isinstance(event, Tick):
            self._on_tick(effects)
        elif isinstance(event, HandlerFailed):
            self._on_handler_failed(effects)
        elif isinstance(event, StaffCallAcknowledged):
            self._on_staff_acknowledged(event.call_id)
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
        changed = (self.state, self.deadline, self.notice) != before
        if changed or effects or not isinstance(event, Tick):
            self.version += 1
        return effects

    def start(self, now: Now) -> list[Effect]:
        """First effects after start-up: fetch the public list."""
        self.now = now
        self.halted = False
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
        self.staff_call = None
        self.language, self.suggest_english = i18n.SOURCE, False  # the session's, gone with it
        self.halted = True  # nothing works, not even the list: the screen offers nothing
        self.enter(State.OUT_OF_SERVICE)
        self.version += 1

    def _on_handler_failed(self, effects: Effects) -> None:
        """A bug behind the screen: what the citizen was doing cannot be trusted to go on, so
        their turn ends (the session wiped) on the error screen, which returns to the attract
        screen like any other."""
        self.end_session("handler_failed", effects)
        self.fail(ErrorInfo(_(HANDLER_FAILED[0]), _(HANDLER_FAILED[1])))

    def retry_for(self, state: State) -> Effect | None:
        """The effect that tries the machine wait of ``state`` again, if there is one."""
        retry = ROUTES.retries.get(state)
        return retry(self) if retry is not None else None

    # ---- time --------------------------------------------------------------------------------

    def _on_tick(self, effects: Effects) -> None:
        self._expire_notice()
        items.hide_reason(self)
        self._lapse_idle_call()
        self._lapse_idle_language()
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
            title, text = OVERRAN.get(state, OVERRAN[None])
            retry = self.retry_for(state)
            self.fail(
                ErrorInfo(_(title), _(text), retry=retry, retry_state=state if retry else None)
            )

    def _lapse_idle_language(self) -> None:
        """English chosen on the attract screen by someone who then left without reading a
        card: after the inactivity limit the screen greets the next citizen in Chinese."""
        if (
            self.language != i18n.SOURCE
            and self.session is None
            and self.state in IDLE_STATES
            and self.mono - self.idle_touch_at >= self.settings.inactivity_seconds
        ):
            self.language = i18n.SOURCE
            self.version += 1

    def _lapse_idle_call(self) -> None:
        """A call made on the attract screen by someone who never began a session: once the
        inactivity limit has passed they are gone, and the next citizen must not see it."""
        call = self.staff_call
        if (
            call is not None
            and self.session is None
            and self.state in IDLE_STATES
            and self.mono - call.at >= self.settings.inactivity_seconds
        ):
            self.staff_call = None
            self.version += 1

    def _expire_notice(self) -> None:
        """A notice about an ended session is for the citizen who is leaving: it goes once
        they have had time to read it and taken their card, before the next one comes."""
        if (
            self.notice
            and self.state in IDLE_STATES
            and self.card_left is None
            and self.notice_until is not None
            and self.mono >= self.notice_until
        ):
            self.notice, self.notice_until = "", None

    # ---- 呼叫工作人员 --------------------------------------------------------------------------

    def _call_staff(self, effects: Effects) -> None:
        """One call until staff acknowledge it (more taps change nothing: they are coming);
        after an acknowledgement a tap is a new call."""
        call = self.staff_call
        if call is not None and not call.acknowledged:
            return
        call = StaffCall(self.now.id("call"), self.state.value, self.mono)
        self.staff_call = call
        effects.append(CallStaff(call.screen, call.call_id))

    def _on_staff_acknowledged(self, call_id: str) -> None:
        call = self.staff_call
        if call is not None and call.call_id == call_id:
            call.acknowledged = True

    # ---- taps: the frame's own buttons, then the state's -------------------------------------

    def _on_tap(self, tap: Tap, effects: Effects) -> None:
        a, state = tap.action, self.state
        if a is Action.TECHNICIAN:  # the hidden entry; the phase refuses it in a session
            technician.open_entry(self, effects)
            return
        if state in TECHNICIAN_STATES:  # none of the citizen's frame buttons here
            ROUTES.taps[state](self, tap, effects)
            return
        if state in PERSON_WAITS:
            self.reset_deadline()  # any touch is activity
        if state in IDLE_STATES:
            self.idle_touch_at = self.mono
        if a in (Action.MORE_TIME, Action.REPEAT_PROMPT):  # activity, nothing more here
            return
        if a is Action.ELDER_MODE and state in (State.ATTRACT, State.CATALOGUE, State.ITEMS):
            self.elder_mode = not self.elder_mode
            self.reset_deadline()
            return
        if a is Action.LANGUAGE:  # English / 中文 in the frame of every citizen screen
            if tap.arg in i18n.LANGUAGES:
                log.info("journey: language %s", tap.arg)
                self.language = tap.arg
            self.suggest_english = False  # asked and answered
            return
        if a is Action.STAY_CHINESE:
            self.suggest_english = False
            return
        if a is Action.CALL_STAFF:
            self._call_staff(effects)
            return
        if a is Action.STAFF_ACK:  # staff at the kiosk: a long press on the call's state
            call = self.staff_call
            if call is not None and not call.acknowledged:
                call.acknowledged = True
                effects.append(StaffCallAnswered(call.call_id))
            return
        if a is Action.LEAVE:
            if self.confirm_leave and tap.arg == "yes":
                self.end_session("back", effects)
            self.confirm_leave = False
            return
        if a not in _FRAME_TAPS:
            self.confirm_leave = False  # doing something else answers "结束办理？" with no
        if a is Action.EXIT or (a is Action.HOME and state is not State.RATING):
            if state in (State.SUBMITTING, State.PRINTING):
                return  # the case is under way; leaving now would strand the paper
            self.end_session("exit", effects)
            return
        back = ROUTES.backs.get(state)
        if a is Action.BACK and back is not None:
            self._back(back(self), effects)
            return
        if state is State.ERROR:
            self._tap_error(tap, effects)
            return
        handler = ROUTES.taps.get(state)
        if handler is not None:
            handler(self, tap, effects)

    def _back(self, target, effects: Effects) -> None:
        """One step back; from the first screen of a session, ask once before leaving it."""
        if target is not LEAVE:
            self.enter(target)
        elif self.session is None:
            self.enter(self.idle_state())
        else:
            self.confirm_leave = True

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
