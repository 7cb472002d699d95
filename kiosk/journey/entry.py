"""The one entry point: from the attract screen to each way in, and back out of the scan screens.

    ATTRACT ─查看清单→ CATALOGUE          ─扫码办理→ PHONE          ─企业办事→ ENTERPRISE
            ─证明核验→ VERIFY_SCAN         a scanned code goes where its kind says:
              identity token → VERIFYING, business licence → VERIFYING, certificate → CHECKING
    PHONE, ENTERPRISE, VERIFY_SCAN, VERIFY_RESULT ─‹ 返回→ ATTRACT

A card placed on the reader starts identification from any of these (identify_card). A code
scanned during someone's session changes nothing.
"""

from __future__ import annotations

import logging

from kiosk import messages, qr
from kiosk.events import Action, Tap
from kiosk.i18n import _
from kiosk.journey import (
    availability,
    certificate,
    complaint,
    identify_enterprise,
    identify_phone,
    technician,
)
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import Effects, ErrorInfo, LoadCatalogue, StartIdentitySession
from kiosk.journey.phase import Phase
from kiosk.journey.scan import classify
from kiosk.journey.states import SCAN_STATES, State

log = logging.getLogger("kiosk.journey")

phase = Phase("entry")


@phase.tap(State.ATTRACT)
def tap_attract(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    if tap.action is Action.BROWSE:
        j.enter(State.CATALOGUE)
        if j.catalogue is None:
            effects.append(LoadCatalogue())
    elif tap.action is Action.PHONE and not availability.platform_down(j):
        j.phone_session = None
        j.enter(State.PHONE)
        effects.append(StartIdentitySession())
    elif tap.action is Action.ENTERPRISE:
        j.enter(State.ENTERPRISE)
    elif tap.action is Action.VERIFY:
        j.enter(State.VERIFY_SCAN)
    elif tap.action is Action.COMPLAINT:
        complaint.begin(j)  # anonymous: no session


@phase.back(State.PHONE, State.ENTERPRISE, State.VERIFY_SCAN, State.VERIFY_RESULT)
def back_from_scan_screen(j: JourneyCore) -> State:
    """扫码办理 / 企业办事 / 证明核验 and its result: back to where the citizen came from (no
    session is open on these screens)."""
    j.verify_result = None
    j.checking_code = None
    return j.idle_state()


@phase.on(qr.QrScanned)
def scanned(j: JourneyCore, event: qr.QrScanned, effects: Effects) -> None:
    if j.state is State.TECHNICIAN:
        technician.scan_read(j, event, effects)  # the technician's scan test
        return
    if j.session is not None or j.state not in SCAN_STATES:
        return  # a code scanned in the middle of someone's session changes nothing
    try:
        scan = classify(j, event.payload)
    except qr.ScanRefused as refused:
        j.fail(ErrorInfo(_("无法读取二维码"), refused.reason))
        return
    log.info("scanned: %s", qr.describe(scan))
    j.browse_item = j.browse_guide = None
    if scan.kind is qr.QrKind.UNKNOWN:
        j.fail(ErrorInfo(messages.QR_UNKNOWN.title, messages.QR_UNKNOWN.text))
    elif scan.kind is not qr.QrKind.CERTIFICATE and availability.refuse_out_of_service(j):
        return  # 证明核验 goes on out of service; identification by code does not
    elif availability.platform_down(j):
        return
    elif scan.kind is qr.QrKind.CERTIFICATE:
        certificate.check(j, scan, effects)
    elif scan.kind is qr.QrKind.IDENTITY_TOKEN:
        identify_phone.verify_token(j, scan, effects)
    elif scan.kind is qr.QrKind.BUSINESS_LICENCE:
        identify_enterprise.verify_licence(j, scan, effects)


@phase.on(qr.QrRejected)
def rejected(j: JourneyCore, event: qr.QrRejected, effects: Effects) -> None:
    if j.state is State.TECHNICIAN:
        technician.scan_rejected(j, event, effects)
    elif j.session is None and j.state in SCAN_STATES:
        j.fail(ErrorInfo(_("无法读取二维码"), event.reason))
