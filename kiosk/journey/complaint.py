"""投诉与建议: a complaint composed by taps, sealed into the outbox, and a thank-you.

    ATTRACT ─投诉与建议→ COMPLAINT (anonymous: no session is opened)
    GOODBYE ─投诉与建议→ COMPLAINT (the session has ended: nothing of it goes with the complaint)
    COMPLAINT ─a category, at least one phrase, (a number: 11 digits and consent) → 提交
              → (stored) → COMPLAINT_SENT ─6 s or a tap→ ATTRACT
    COMPLAINT ─‹ 返回 / 首页 / the inactivity limit→ ATTRACT, the draft and its digits dropped
    a complaint that could not be stored: COMPLAINT_SENT with a polite word and the window

The callback number is optional and typed on a numeric keypad; the screen shows it masked
(kiosk.masking.mask_mobile). It leaves the journey only inside the StoreComplaint effect.
"""

from __future__ import annotations

from kiosk.complaints import Complaint, Draft
from kiosk.events import Action, ComplaintStored, Failed, Operation, Tap
from kiosk.i18n import N_
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import Effects, StoreComplaint
from kiosk.journey.phase import Phase
from kiosk.journey.states import State

phase = Phase("complaint")

NOT_STORED = N_("意见暂未保存成功，请到人工窗口反映，感谢您的理解。")


def begin(j: JourneyCore) -> None:
    """Open an empty complaint (from the attract screen, or after goodbye)."""
    j.drop_complaint()
    j.complaint = Draft()
    j.enter(State.COMPLAINT)


@phase.tap(State.COMPLAINT)
def tap_complaint(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    draft = j.complaint
    if draft is None or draft.saving:
        return
    a = tap.action
    if a is Action.COMPLAINT_CATEGORY:
        draft.choose(tap.arg)
    elif a is Action.COMPLAINT_PHRASE:
        draft.toggle_phrase(tap.arg)
    elif a is Action.COMPLAINT_DIGIT:
        draft.digit(tap.arg)
    elif a is Action.COMPLAINT_DELETE:
        draft.delete()
    elif a is Action.COMPLAINT_CONSENT and draft.phone:
        draft.consent = not draft.consent
    elif a is Action.SUBMIT_COMPLAINT and draft.ready:
        assert draft.category is not None
        draft.saving = True
        complaint = Complaint(
            complaint_id=j.now.id("complaint"),
            category=draft.category,
            phrases=tuple(draft.phrases),
            submitted_at=j.now.wall,
            device_id=j.settings.device_id,
            region_code=j.settings.region_code,
            phone=draft.phone,
            consent=draft.consent,
        )
        effects.append(StoreComplaint(complaint))


@phase.back(State.COMPLAINT)
def back_from_complaint(j: JourneyCore) -> State:
    j.drop_complaint()
    return j.idle_state()


@phase.on(ComplaintStored)
def stored(j: JourneyCore, event: ComplaintStored, effects: Effects) -> None:
    if j.state is State.COMPLAINT:
        j.drop_complaint()
        j.enter(State.COMPLAINT_SENT)


@phase.failed(Operation.COMPLAINT)
def not_stored(j: JourneyCore, event: Failed, effects: Effects) -> None:
    if j.state is not State.COMPLAINT:
        return
    j.drop_complaint()
    j.notice = NOT_STORED
    j.enter(State.COMPLAINT_SENT, keep_notice=True)


@phase.tap(State.COMPLAINT_SENT)
def tap_sent(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    if tap.action in (Action.HOME, Action.BACK):
        j.end_session("done", effects)


@phase.timeout(State.COMPLAINT_SENT)
def sent_over(j: JourneyCore, effects: Effects) -> None:
    j.end_session("done", effects)
