"""证明核验: anyone can check a printed certificate's code, no identification needed.

    VERIFY_SCAN ─a certificate's QR→ CHECKING ─the platform's verdict→ VERIFY_RESULT
    CHECKING ─failure→ ERROR (retry when the platform may answer next time)

The code and the holder it names are someone's business: forgotten when the turn ends.
"""

from __future__ import annotations

from kiosk import qr
from kiosk.events import CertificateChecked, Failed, Operation
from kiosk.i18n import _
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import CheckCertificate, Effects, ErrorInfo
from kiosk.journey.phase import Phase
from kiosk.journey.states import State

phase = Phase("certificate verification")


def check(j: JourneyCore, scan: qr.Scan, effects: Effects) -> None:
    """A certificate's QR scanned where no session is open."""
    j.verify_result = None
    j.checking_code = scan.verification_code
    j.enter(State.CHECKING)
    effects.append(CheckCertificate(scan.verification_code or ""))


@phase.on(CertificateChecked)
def checked(j: JourneyCore, event: CertificateChecked, effects: Effects) -> None:
    if j.state is State.CHECKING:
        j.verify_result = event.result
        j.enter(State.VERIFY_RESULT)


@phase.failed(Operation.CHECK)
def check_failed(j: JourneyCore, event: Failed, effects: Effects) -> None:
    if j.state is not State.CHECKING:
        return
    code = j.checking_code
    retry = CheckCertificate(code) if (code and event.retryable) else None
    j.fail(ErrorInfo(_("证明核验未完成"), event.message, retry, State.CHECKING if retry else None))
