"""Identification by card: an ID card on the SAM reader, a social-security card on PC/SC.

    ATTRACT (and the other scan states) ─card detected→ IDENTIFYING ─read→ VERIFYING
    IDENTIFYING ─read failed / 15 s→ ERROR (what to do with the card)
    a card that is expired, not yet valid or contradicts itself → ERROR, no session begins
    the session's own card removed → ATTRACT ("已退出"), except while the case is under way or
    the citizen is taking papers / rating (the card is only forgotten then)
    a session ended with its card still on the reader → "请取走身份证" until it is taken

The card's contents are held only until the platform has answered; a second card during a
session is not this citizen's and is dropped at once.
"""

from __future__ import annotations

from kiosk import messages
from kiosk.events import CardDetected, CardFault, CardRead, CardReadFailed, CardRemoved
from kiosk.i18n import _
from kiosk.identity import card_problem
from kiosk.journey import availability, identify_enterprise, technician
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import Effects, ErrorInfo, VerifyIdentity
from kiosk.journey.phase import Phase
from kiosk.journey.states import SCAN_STATES, State
from kiosk.session import Session

phase = Phase("identification by card")

# where a failed read is worth telling (no session open, nothing else on screen that matters)
_READ_FAULT_STATES = (
    State.ATTRACT,
    State.CATALOGUE,
    State.IDENTIFYING,
    State.ERROR,
    State.ITEM_DETAIL,
)


def fault_info(fault: CardFault) -> ErrorInfo:
    msg = messages.CARD_FAULTS[fault]
    return ErrorInfo(msg.title, msg.text)


def problem_info(j: JourneyCore, card) -> ErrorInfo | None:
    """Why this card cannot start anything today (expired, not yet valid, inconsistent)."""
    problem = card_problem(card, j.now.today)
    if problem is None:
        return None
    msg = messages.CARD_PROBLEMS[problem]
    return ErrorInfo(msg.title, msg.text)


@phase.on(CardDetected)
def detected(j: JourneyCore, event: CardDetected, effects: Effects) -> None:
    j.cards_present.add(event.reader)
    if j.session is None and j.state in SCAN_STATES:
        j.browse_item = j.browse_guide = None
        j.error = None
        if availability.refuse_out_of_service(j):
            return  # e.g. browsing the list while the required printer is down
        j.reading_reader = event.reader
        j.enter(State.IDENTIFYING)


@phase.on(CardRead)
def read(j: JourneyCore, event: CardRead, effects: Effects) -> None:
    if j.state is State.REPRESENTATIVE and j.session is not None:
        identify_enterprise.representative_card(j, event, effects)
        return
    if j.state is State.TECHNICIAN:  # the technician's card-read test: masked, then wiped
        technician.card_read(j, event, effects)
        return
    if j.session is not None:
        # a second card while a session is open: not this citizen's session to change
        event.card.wipe()
        return
    if j.state not in (*SCAN_STATES, State.IDENTIFYING) or not j.in_service:
        event.card.wipe()  # out of service: the citizen was told when the card was detected
        return
    problem = problem_info(j, event.card)
    if problem is not None:
        event.card.wipe()
        j.fail(problem)
        return
    if not j.platform_reachable:
        event.card.wipe()
        j.fail(
            ErrorInfo(
                _("暂时无法核验身份"),
                _("政务服务平台暂时无法连接，身份核验与办理暂停。请到人工窗口办理，或稍后再试。"),
            )
        )
        return
    j.browse_item = j.browse_guide = None
    j.begin(Session.from_card(event.card, j.mono, event.reader))
    j.error = None
    j.enter(State.VERIFYING)
    effects.append(VerifyIdentity(event.card))


@phase.on(CardReadFailed)
def read_failed(j: JourneyCore, event: CardReadFailed, effects: Effects) -> None:
    if j.state is State.TECHNICIAN:
        technician.card_read_failed(j, event, effects)
    elif j.session is None and j.state in _READ_FAULT_STATES:
        j.fail(fault_info(event.fault))


@phase.timeout(State.IDENTIFYING)
def reader_silent(j: JourneyCore, effects: Effects) -> None:
    j.fail(fault_info(CardFault.TIMEOUT))


# the card may leave while these run: the paper is still to come (and, for a case, its rating)
UNDER_WAY = (
    State.SUBMITTING,
    State.PREVIEW,
    State.PRINTING,
    State.NOTICE_PRINTING,
    State.SLIP_PRINTING,
    State.REPRINTING,  # a certificate with the holder's name: never left to the next citizen
)


@phase.on(CardRemoved)
def removed(j: JourneyCore, event: CardRemoved, effects: Effects) -> None:
    j.cards_present.discard(event.reader)
    if j.card_left == event.reader:
        j.card_left = None  # the ended session's card is taken: "请取走身份证" has done its job
    s = j.session
    if s is None:
        if j.state is State.IDENTIFYING and event.reader == j.reading_reader:
            j.enter(j.idle_state())
        return
    if event.reader != s.reader:
        return  # a card left another reader: not this citizen's card
    if j.state in UNDER_WAY:
        s.forget_card()  # the case or a slip is under way; the citizen is still here for the paper
    elif j.state is State.TAKE_DOCUMENTS:
        s.forget_card()
        j.enter(State.RATING)
    elif j.state in (State.RATING, State.GOODBYE):
        s.forget_card()
    else:
        j.end_session("card_removed", effects, messages.CARD_REMOVED.text)
