"""The citizen's journey as a pure state machine, one module per phase.

Where to find a behaviour:

| module | holds |
|---|---|
| states | every state, its step and what it waits for (a person, or a machine's guard) |
| core | what the journey holds; entering a state, a session's beginning and end, the error screen |
| machine | the Journey: routing events to the phases, the frame's buttons, the error screen's taps, timeouts |
| now | the moment an event is handled: the only source of time and ids |
| effects | what the journey asks the runtime to do |
| phase | how a phase declares what it handles (events, taps, failures, retries, timeouts) |
| availability | devices, the platform, out of service, the published list's arrival |
| entry | the attract screen's ways in, scanned codes routed by kind |
| identify / identify_card / identify_phone / identify_enterprise | identification |
| items | the citizen's items, guides, the published list browsed |
| submit_print | the case, the preview, the paper |
| notice_slip | 一次性告知: the slip and a queue number for an item that cannot be done here |
| case_slip_print | 办件凭条: a short slip for a case whose paper was declined |
| case_lookup | 办件查询: the citizen's cases, and a certificate printed once more |
| rating | 好差评 and goodbye |
| complaint | 投诉与建议: category, phrases, an optional callback number |
| certificate | 证明核验 |
| technician | the technician's hidden entry, PIN, lockout and screen |
"""

from kiosk.journey.core import JourneySettings
from kiosk.journey.effects import (
    TECHNICIAN_EFFECTS,
    ApplyAddress,
    CallStaff,
    CheckCertificate,
    CheckPin,
    ConfirmRepresentative,
    DeliverOutbox,
    Effect,
    Effects,
    ErrorInfo,
    ListAddressCandidates,
    LoadCases,
    LoadCatalogue,
    LoadGuide,
    LoadTechnicianInfo,
    PrintDocument,
    PrintNotice,
    PrintReprint,
    ReprintCase,
    RestartApp,
    ServiceChanged,
    SessionEnded,
    StaffCallAnswered,
    StartIdentitySession,
    StopIdentitySession,
    StoreComplaint,
    StoreRating,
    SubmitCase,
    TakeQueueNumber,
    TechnicianAudit,
    TestPrint,
    VerifyEnterprise,
    VerifyIdentity,
    VerifyToken,
)
from kiosk.journey.machine import Journey
from kiosk.journey.now import Now
from kiosk.journey.states import (
    IDLE_STATES,
    MACHINE_WAITS,
    PERSON_WAITS,
    SCAN_STATES,
    STEP_OF,
    STEPS,
    TECHNICIAN_STATES,
    State,
)

__all__ = [
    "IDLE_STATES",
    "MACHINE_WAITS",
    "PERSON_WAITS",
    "SCAN_STATES",
    "STEPS",
    "STEP_OF",
    "TECHNICIAN_EFFECTS",
    "TECHNICIAN_STATES",
    "ApplyAddress",
    "CallStaff",
    "CheckCertificate",
    "CheckPin",
    "ConfirmRepresentative",
    "DeliverOutbox",
    "Effect",
    "Effects",
    "ErrorInfo",
    "Journey",
    "JourneySettings",
    "ListAddressCandidates",
    "LoadCases",
    "LoadCatalogue",
    "LoadGuide",
    "LoadTechnicianInfo",
    "Now",
    "PrintDocument",
    "PrintNotice",
    "PrintReprint",
    "ReprintCase",
    "RestartApp",
    "ServiceChanged",
    "SessionEnded",
    "StaffCallAnswered",
    "StartIdentitySession",
    "State",
    "StopIdentitySession",
    "StoreComplaint",
    "StoreRating",
    "SubmitCase",
    "TakeQueueNumber",
    "TechnicianAudit",
    "TestPrint",
    "VerifyEnterprise",
    "VerifyIdentity",
    "VerifyToken",
]
