"""Identification of an enterprise (企业办事): its business licence, then, where the platform asks,
its legal representative's own ID card.

    ENTERPRISE ─licence QR→ VERIFYING ─ticket→ ITEMS
                                      ─ticket requires the representative→ REPRESENTATIVE
    REPRESENTATIVE ─the representative's card→ VERIFYING ─confirmed→ ITEMS
                                                         ─refused→ ERROR (place the card again)
    REPRESENTATIVE ─‹ 返回→ ATTRACT (the session ends)
"""

from __future__ import annotations

from kiosk import messages, qr
from kiosk.events import CardRead, Failed, Operation, RepresentativeConfirmed
from kiosk.i18n import N_, _
from kiosk.identity import card_problem
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import ConfirmRepresentative, Effects, ErrorInfo, VerifyEnterprise
from kiosk.journey.phase import LEAVE, Leave, Phase
from kiosk.journey.states import State
from kiosk.session import Session

phase = Phase("identification of an enterprise")

PLACE_AGAIN = N_("重新放置身份证")


def verify_licence(j: JourneyCore, scan: qr.Scan, effects: Effects) -> None:
    """A business licence's QR scanned where no session is open."""
    uscc = scan.uscc or ""
    j.begin(Session(started_at=j.mono, uscc=uscc, display_name=_("企业用户")))
    j.enter(State.VERIFYING)
    if scan.uscc_valid is False:
        j.notice = messages.USCC_CHECK_FAILED
    effects.append(VerifyEnterprise(uscc))


def representative_card(j: JourneyCore, event: CardRead, effects: Effects) -> None:
    """The legal representative put their own card on the reader (REPRESENTATIVE)."""
    s = j.session
    assert s is not None and s.ticket is not None
    problem = card_problem(event.card, j.now.today)
    if problem is not None:
        event.card.wipe()
        msg = messages.CARD_PROBLEMS[problem]
        j.fail(
            ErrorInfo(
                msg.title, msg.text, retry_state=State.REPRESENTATIVE, retry_label=PLACE_AGAIN
            )
        )
        return
    s.card = event.card  # held only until the platform has answered
    s.card_from = event.reader
    j.enter(State.VERIFYING)
    effects.append(ConfirmRepresentative(s.ticket, event.card))


@phase.on(RepresentativeConfirmed)
def confirmed(j: JourneyCore, event: RepresentativeConfirmed, effects: Effects) -> None:
    s = j.session
    if s is not None and j.state is State.VERIFYING:
        s.forget_card()
        s.representative_confirmed = True
        j.enter(State.ITEMS)


@phase.failed(Operation.REPRESENTATIVE)
def representative_failed(j: JourneyCore, event: Failed, effects: Effects) -> None:
    s = j.session
    if j.state is not State.VERIFYING or s is None:
        return
    s.forget_card()
    j.fail(
        ErrorInfo(
            _("法定代表人身份未通过核验"), event.message, None, State.REPRESENTATIVE, PLACE_AGAIN
        )
    )


@phase.back(State.REPRESENTATIVE)
def back_from_representative(j: JourneyCore) -> Leave:
    return LEAVE  # the enterprise's session is open: leaving it is asked once
