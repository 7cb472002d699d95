"""What the journey asks the application to do (effects), and what an error screen offers.

Effects are plain values: the runtime carries them out on its threads and answers with events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.complaints import Complaint
from kiosk.devices import DeviceKind, PrintJob
from kiosk.i18n import N_
from kiosk.identity import IdentityCard
from kiosk.journey.states import State
from kiosk.models import Ticket
from kiosk.ratings import Rating


@dataclass(frozen=True, slots=True)
class VerifyIdentity:
    card: IdentityCard = field(repr=False)


@dataclass(frozen=True, slots=True)
class VerifyToken:
    token: str = field(repr=False)  # opaque, from a phone app: never logged, never stored


@dataclass(frozen=True, slots=True)
class VerifyEnterprise:
    uscc: str


@dataclass(frozen=True, slots=True)
class ConfirmRepresentative:
    ticket: Ticket
    card: IdentityCard = field(repr=False)


@dataclass(frozen=True, slots=True)
class StartIdentitySession:
    """Open (or renew) the session behind the kiosk-shown QR, and watch it."""


@dataclass(frozen=True, slots=True)
class StopIdentitySession:
    """The citizen left the 扫码办理 screen: stop watching."""


@dataclass(frozen=True, slots=True)
class CheckCertificate:
    code: str


@dataclass(frozen=True, slots=True)
class LoadGuide:
    item_code: str
    ticket: Ticket | None  # None when browsing the public list


@dataclass(frozen=True, slots=True)
class SubmitCase:
    ticket: Ticket
    item_code: str
    request_id: str
    pledge_confirmed: bool


@dataclass(frozen=True, slots=True)
class PrintDocument:
    job: PrintJob


@dataclass(frozen=True, slots=True)
class TakeQueueNumber:
    """Ask the hall's queuing system (through the platform) for a number at ``window``."""

    item_code: str
    window: str


@dataclass(frozen=True, slots=True)
class PrintNotice:
    """Print the 一次性告知 slip: the printer's path, answered with the notice's own events."""

    job: PrintJob


@dataclass(frozen=True, slots=True)
class LoadCases:
    """办件查询: the citizen's own cases."""

    ticket: Ticket


@dataclass(frozen=True, slots=True)
class ReprintCase:
    """Record a reprint of ``case_no`` at the platform (once per ``request_id``) and get the
    certificate to print."""

    ticket: Ticket
    case_no: str
    request_id: str


@dataclass(frozen=True, slots=True)
class PrintReprint:
    """Print a reprinted certificate: the printer's path, answered with the reprint's events."""

    job: PrintJob


@dataclass(frozen=True, slots=True)
class StoreRating:
    rating: Rating


@dataclass(frozen=True, slots=True)
class StoreComplaint:
    """Seal the complaint into the outbox (its delivery follows in the background)."""

    complaint: Complaint


@dataclass(frozen=True, slots=True)
class LoadCatalogue:
    pass


@dataclass(frozen=True, slots=True)
class CallStaff:
    """A citizen asked for help: a ``call_staff`` device event, sent at once. ``call_id`` is
    what the platform names when staff acknowledge it."""

    state: str
    call_id: str = ""


@dataclass(frozen=True, slots=True)
class StaffCallAnswered:
    """Staff acknowledged the call at the kiosk: the platform hears it too (a device event)."""

    call_id: str


@dataclass(frozen=True, slots=True)
class SessionEnded:
    reason: str  # "done", "timeout", "exit", "card_removed", ... for counts; never personal


@dataclass(frozen=True, slots=True)
class ServiceChanged:
    """The kiosk went out of service or came back (CUSS UNAVAILABLE / AVAILABLE): for the
    technicians, in the log and as a device event. ``device`` is ``kind`` or ``kind:source``;
    ``state`` and ``detail`` are the down device's (empty when back); never personal data."""

    in_service: bool
    device: str = ""
    state: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CheckPin:
    """Check the technician's PIN against [technician] pin_hash (scrypt: off the UI thread)."""

    pin: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class TechnicianAudit:
    """A technician's action as a device event: the action and its outcome, nothing else
    (never the PIN, never citizen data)."""

    action: str
    outcome: str


@dataclass(frozen=True, slots=True)
class LoadTechnicianInfo:
    """Read the outbox's counts, the version and the uptime for the technician screen."""


@dataclass(frozen=True, slots=True)
class DeliverOutbox:
    """Deliver what waits in the outbox now, past any backoff."""


@dataclass(frozen=True, slots=True)
class TestPrint:
    """Print the printer's test page."""


@dataclass(frozen=True, slots=True)
class ListAddressCandidates:
    """Look for addresses this device could have on this machine (ports, readers)."""

    kind: DeviceKind
    current: str  # the address being edited: its options are kept on another port


@dataclass(frozen=True, slots=True)
class ApplyAddress:
    """Write a device's new address into the configuration file (checked as at start, atomic,
    the previous file kept) and reopen that device with it, without restarting the app."""

    kind: DeviceKind
    index: int  # which one of the kind ([devices] card_reader may list several)
    address: str


@dataclass(frozen=True, slots=True)
class RestartApp:
    """End the app with the code its supervisor restarts it on."""


Effect = (
    VerifyIdentity
    | VerifyToken
    | VerifyEnterprise
    | ConfirmRepresentative
    | StartIdentitySession
    | StopIdentitySession
    | CheckCertificate
    | LoadGuide
    | SubmitCase
    | PrintDocument
    | TakeQueueNumber
    | PrintNotice
    | LoadCases
    | ReprintCase
    | PrintReprint
    | StoreRating
    | StoreComplaint
    | LoadCatalogue
    | CallStaff
    | StaffCallAnswered
    | SessionEnded
    | ServiceChanged
    | CheckPin
    | TechnicianAudit
    | LoadTechnicianInfo
    | DeliverOutbox
    | TestPrint
    | ListAddressCandidates
    | ApplyAddress
    | RestartApp
)
TECHNICIAN_EFFECTS = (
    CheckPin,
    TechnicianAudit,
    LoadTechnicianInfo,
    DeliverOutbox,
    TestPrint,
    ListAddressCandidates,
    ApplyAddress,
    RestartApp,
)
Effects = list[Effect]  # what one event asks for, in order


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """The error screen: what happened, what to do, and what a retry does (an effect to carry
    out again and the state to wait in, or only a state to go back to)."""

    title: str
    text: str
    retry: Effect | None = None
    retry_state: State | None = None
    retry_label: str = N_("重试")
