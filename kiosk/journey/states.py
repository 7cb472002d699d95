"""Every state of the citizen's journey in one table: the phase that owns it, the step it shows,
and what it waits for.

A state waits either for a person (an inactivity limit, a multiple of the configured
``inactivity_seconds``, doubled in 长辈模式, with the "需要更多时间" warning before it ends the
session) or for a machine (a guard in seconds, after which the citizen is told and offered a
retry). The transitions are in the phase modules named here, each readable in one sitting.
"""

from __future__ import annotations

from enum import StrEnum

from kiosk.i18n import N_


class State(StrEnum):
    # phase module          state                  waits for
    OUT_OF_SERVICE = "out_of_service"  # availability   -
    ATTRACT = "attract"  # entry                          -
    CATALOGUE = "catalogue"  # items                      a person ×1.5
    IDENTIFYING = "identifying"  # identify_card          the reader, 15 s
    VERIFYING = "verifying"  # identify                   the platform, 40 s
    ITEMS = "items"  # items                              a person ×1
    ITEM_DETAIL = "item_detail"  # items                  a person ×1.5
    SUBMITTING = "submitting"  # submit_print             the platform, 45 s
    PREVIEW = "preview"  # submit_print                   a person ×1 (the certificate on screen)
    PRINTING = "printing"  # submit_print                 the printer, 90 s (progress renews it)
    TAKE_DOCUMENTS = "take_documents"  # submit_print     a person ×1
    NOTICE_PRINTING = "notice_printing"  # notice_slip    the queue and the printer, 90 s
    NOTICE_TAKEN = "notice_taken"  # notice_slip          a person ×1 (take the slip)
    SLIP_PRINTING = "slip_printing"  # case_slip_print    the printer, 90 s (办件凭条)
    CASES = "cases"  # case_lookup                        a person ×1.5 (办件查询)
    REPRINTING = "reprinting"  # case_lookup              the platform and the printer, 90 s
    RATING = "rating"  # rating                           a person ×1
    GOODBYE = "goodbye"  # rating                         6 s, then the attract screen
    ERROR = "error"  # machine                            a person ×0.5
    PHONE = "phone"  # identify_phone                     a person ×1.5 (扫码办理: the kiosk's QR)
    ENTERPRISE = "enterprise"  # identify_enterprise      a person ×1 (企业办事: the licence)
    REPRESENTATIVE = (
        "representative"  # identify_enterprise  a person ×1 (the representative's card)
    )
    VERIFY_SCAN = "verify_scan"  # certificate            a person ×1 (证明核验: scan a certificate)
    CHECKING = "checking"  # certificate                  the platform, 30 s
    VERIFY_RESULT = "verify_result"  # certificate        a person ×1
    COMPLAINT = "complaint"  # complaint                  a person ×1.5 (投诉与建议)
    COMPLAINT_SENT = "complaint_sent"  # complaint        6 s, then the attract screen
    TECH_PIN = "tech_pin"  # technician                   the technician's inactivity limit
    TECHNICIAN = "technician"  # technician               the technician's inactivity limit
    TECH_ADDRESS = "tech_address"  # technician           the technician's inactivity limit


# ① 身份识别 ② 选择事项 ③ 确认办理 ④ 打印取件 ⑤ 评价
STEPS = (N_("身份识别"), N_("选择事项"), N_("确认办理"), N_("打印取件"), N_("评价"))
STEP_OF: dict[State, int] = {
    State.PHONE: 1,
    State.ENTERPRISE: 1,
    State.REPRESENTATIVE: 1,
    State.IDENTIFYING: 1,
    State.VERIFYING: 1,
    State.ITEMS: 2,
    State.ITEM_DETAIL: 3,
    State.SUBMITTING: 3,
    State.PREVIEW: 4,
    State.PRINTING: 4,
    State.TAKE_DOCUMENTS: 4,
    State.NOTICE_PRINTING: 4,
    State.NOTICE_TAKEN: 4,
    State.SLIP_PRINTING: 4,
    State.CASES: 2,
    State.REPRINTING: 4,
    State.RATING: 5,
    State.GOODBYE: 5,
}

# States that wait for a person: limit in multiples of the configured inactivity limit.
PERSON_WAITS: dict[State, float] = {
    State.CATALOGUE: 1.5,
    State.ITEMS: 1.0,
    State.ITEM_DETAIL: 1.5,
    State.TAKE_DOCUMENTS: 1.0,
    State.NOTICE_TAKEN: 1.0,
    State.CASES: 1.5,
    State.PREVIEW: 1.0,
    State.RATING: 1.0,
    State.ERROR: 0.5,
    State.PHONE: 1.5,
    State.ENTERPRISE: 1.0,
    State.REPRESENTATIVE: 1.0,
    State.VERIFY_SCAN: 1.0,
    State.VERIFY_RESULT: 1.0,
    State.COMPLAINT: 1.5,
}
# States that wait for a machine: a guard in seconds, after which the citizen is told.
MACHINE_WAITS: dict[State, float] = {
    State.IDENTIFYING: 15.0,
    State.VERIFYING: 40.0,
    State.SUBMITTING: 45.0,
    State.PRINTING: 90.0,
    State.NOTICE_PRINTING: 90.0,
    State.SLIP_PRINTING: 90.0,
    State.REPRINTING: 90.0,
    State.GOODBYE: 6.0,
    State.CHECKING: 30.0,
    State.COMPLAINT_SENT: 6.0,
}
ELDER_TIME_FACTOR = 2.0

# The technician's mode: reached only from IDLE_STATES, its own inactivity limit (kiosk.pin)
TECHNICIAN_STATES = (State.TECH_PIN, State.TECHNICIAN, State.TECH_ADDRESS)

# No session open: the kiosk waits for the next citizen.
IDLE_STATES = (State.ATTRACT, State.OUT_OF_SERVICE)
# Where a card or a scanned code starts something (no session open).
SCAN_STATES = (
    State.ATTRACT,
    State.CATALOGUE,
    State.ITEM_DETAIL,
    State.PHONE,
    State.ENTERPRISE,
    State.VERIFY_SCAN,
    State.VERIFY_RESULT,
    State.ERROR,
)
