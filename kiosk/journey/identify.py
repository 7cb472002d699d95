"""Identification, whatever the credential: the platform's answer, and a failed verification.

    VERIFYING ─ticket and items→ ITEMS, or REPRESENTATIVE when the enterprise's ticket asks for
              its legal representative's own card (identify_enterprise)
    VERIFYING ─failure→ ERROR: retry when the platform may answer next time; a refused card or a
              spent token ends the session at once (nothing is left worth keeping)

The ways in are identify_card (ID card, social-security card), identify_phone (the kiosk's QR,
a phone-app code) and identify_enterprise (a business licence).
"""

from __future__ import annotations

from kiosk.events import Failed, Operation, Verified
from kiosk.i18n import _
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import (
    Effect,
    Effects,
    ErrorInfo,
    SessionEnded,
    VerifyEnterprise,
    VerifyIdentity,
)
from kiosk.journey.phase import Phase
from kiosk.journey.states import State
from kiosk.session import Session

phase = Phase("identification")


def fully_identified(j: JourneyCore) -> bool:
    """Identified, and fully (an enterprise's representative confirmed where required): there
    is a list to go back to after an error."""
    s = j.session
    if s is None or s.ticket is None:
        return False
    return not s.ticket.representative_required or s.representative_confirmed


@phase.on(Verified)
def verified(j: JourneyCore, event: Verified, effects: Effects) -> None:
    if j.state is State.PHONE and j.session is None:
        j.begin(Session(started_at=j.mono))  # confirmed in the phone app
    s = j.session
    if s is None or j.state not in (State.VERIFYING, State.PHONE):
        return
    s.ticket = event.ticket
    s.items = event.items
    s.forget_card()
    j.enter(State.REPRESENTATIVE if event.ticket.representative_required else State.ITEMS)


@phase.retry(State.VERIFYING)
def verify_again(j: JourneyCore) -> Effect | None:
    s = j.session
    if s is not None and s.card is not None:
        return VerifyIdentity(s.card)
    if s is not None and s.uscc:
        return VerifyEnterprise(s.uscc)
    return None


@phase.failed(Operation.VERIFY)
def verify_failed(j: JourneyCore, event: Failed, effects: Effects) -> None:
    if j.state is not State.VERIFYING:
        return
    s = j.session
    retry = verify_again(j) if event.retryable else None
    j.fail(ErrorInfo(_("身份核验未完成"), event.message, retry, State.VERIFYING if retry else None))
    if retry is None and s is not None and s.ticket is None:
        # a token is single-use, a refused card is refused: nothing left to keep
        s.wipe()
        j.session = None
        effects.append(SessionEnded("refused"))
