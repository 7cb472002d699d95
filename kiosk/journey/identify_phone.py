"""Identification by phone (扫码办理): the kiosk shows a one-time QR that the citizen scans with
the province's app, or the citizen shows the app's identity code to the scanner.

    PHONE ─the platform opened a session→ (its QR on screen) ─confirmed in the app→ ITEMS
          ─the code expired→ a fresh one replaces it
          ─the platform could not make a code→ ERROR (retry)
    a phone-app code scanned (from PHONE or the attract screen) → VERIFYING
    leaving PHONE stops the watching (the machine adds StopIdentitySession)
"""

from __future__ import annotations

from kiosk import qr
from kiosk.events import Failed, IdentitySessionExpired, IdentitySessionStarted, Operation
from kiosk.i18n import _
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import Effects, ErrorInfo, StartIdentitySession, VerifyToken
from kiosk.journey.phase import Phase
from kiosk.journey.states import State
from kiosk.session import Session

phase = Phase("identification by phone")


def verify_token(j: JourneyCore, scan: qr.Scan, effects: Effects) -> None:
    """A phone app's identity code scanned where no session is open (single use)."""
    j.begin(Session(started_at=j.mono))
    j.enter(State.VERIFYING)
    effects.append(VerifyToken(scan.token or ""))


@phase.on(IdentitySessionStarted)
def session_started(j: JourneyCore, event: IdentitySessionStarted, effects: Effects) -> None:
    if j.state is State.PHONE:
        j.phone_session = event.session


@phase.on(IdentitySessionExpired)
def session_expired(j: JourneyCore, event: IdentitySessionExpired, effects: Effects) -> None:
    s = j.phone_session
    if j.state is State.PHONE and s is not None and s.session_id == event.session_id:
        j.phone_session = None
        effects.append(StartIdentitySession())  # a fresh code replaces the old one


@phase.failed(Operation.PHONE)
def phone_failed(j: JourneyCore, event: Failed, effects: Effects) -> None:
    if j.state is not State.PHONE:
        return
    retry = StartIdentitySession() if event.retryable else None
    j.fail(ErrorInfo(_("二维码暂时无法显示"), event.message, retry, State.PHONE if retry else None))
