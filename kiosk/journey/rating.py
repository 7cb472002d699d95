"""好差评: the citizen rates the case (or skips), the rating is on disk before the thank-you,
and the kiosk says goodbye.

    RATING ─a level (and, for the two bad levels, at least one reason)→ 提交 → (stored) → GOODBYE
    RATING ─跳过 / 首页→ GOODBYE ─6 s or a tap→ ATTRACT
    a rating that could not be stored: GOODBYE with a polite word (nothing for the citizen to do)

There is no default level. Goodbye says the citizen's data is gone from the kiosk: it is wiped
on entering GOODBYE.
"""

from __future__ import annotations

from kiosk.events import Action, Failed, Operation, RatingStored, Tap
from kiosk.i18n import N_
from kiosk.journey import complaint
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import Effects, StoreRating
from kiosk.journey.phase import Phase
from kiosk.journey.states import State
from kiosk.ratings import DIMENSIONS, Rating, RatingLevel, reasons_for

phase = Phase("rating")

NOT_STORED = N_("评价暂未保存成功，感谢您的参与。")


def can_submit(j: JourneyCore) -> bool:
    s = j.session
    if s is None or s.rating_level is None or s.case is None or s.ticket is None:
        return False
    return not s.rating_level.is_bad or bool(s.rating_reasons)


def goodbye(j: JourneyCore, *, keep_notice: bool = False) -> None:
    """Goodbye says the citizen's data is gone from the kiosk: make it true at once."""
    if j.session is not None:
        j.leave_card()  # its card still on the reader: goodbye says take it
        j.session.wipe()
    j.enter(State.GOODBYE, keep_notice=keep_notice)


def _rating(j: JourneyCore) -> Rating:
    s = j.session
    assert s is not None and s.rating_level is not None
    assert s.case is not None and s.ticket is not None
    item = s.selected
    return Rating(
        case_no=s.case.case_no,
        item_code=s.case.item_code,
        item_name=item.name if item else "",
        department=item.department if item else s.case.document.department,
        rater_ref=s.ticket.rater_ref,
        level=s.rating_level,
        rated_at=j.now.wall,
        device_id=j.settings.device_id,
        region_code=j.settings.region_code,
        reasons=tuple(sorted(s.rating_reasons)),
        dimensions=tuple(
            (name, s.rating_dimensions[name]) for name in DIMENSIONS if name in s.rating_dimensions
        ),
        rating_id=j.now.id("rating"),
    )


@phase.tap(State.RATING)
def tap_rating(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    s = j.session
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
    elif tap.action is Action.SUBMIT_RATING and can_submit(j):
        s.rating_saving = True
        effects.append(StoreRating(_rating(j)))
    elif tap.action in (Action.SKIP_RATING, Action.HOME):
        goodbye(j)


@phase.on(RatingStored)
def stored(j: JourneyCore, event: RatingStored, effects: Effects) -> None:
    if j.state is State.RATING and j.session is not None:
        j.session.rating_saving = False
        goodbye(j)


@phase.failed(Operation.RATING)
def not_stored(j: JourneyCore, event: Failed, effects: Effects) -> None:
    if j.state is not State.RATING:
        return
    if j.session is not None:
        j.session.rating_saving = False
    j.notice = NOT_STORED
    goodbye(j, keep_notice=True)


@phase.tap(State.GOODBYE)
def tap_goodbye(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    if tap.action in (Action.HOME, Action.BACK):
        j.end_session("done", effects)
    elif tap.action is Action.COMPLAINT:  # the session ends; the complaint carries none of it
        j.end_session("done", effects)
        complaint.begin(j)


@phase.timeout(State.GOODBYE)
def goodbye_over(j: JourneyCore, effects: Effects) -> None:
    j.end_session("done", effects)
