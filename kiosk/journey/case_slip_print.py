"""办件凭条: a short slip for a case whose paper the citizen declined.

    TAKE_DOCUMENTS (after 不打印: the case number on screen is the only record)
        ─打印办件凭条→ SLIP_PRINTING ─printed→ TAKE_DOCUMENTS (which then says the slip is out)
    SLIP_PRINTING ─the printer failed or the guard→ ERROR with the case number, 重新打印 (the
        same job: never printed again unasked)

The slip is kiosk/case_slip.py's; it goes through the same print path as the 一次性告知 slip
(PrintNotice, answered with the notice's events, which kiosk.journey.notice_slip hands over
while this state is on).
"""

from __future__ import annotations

from kiosk.case_slip import case_slip
from kiosk.devices import PrintJob
from kiosk.events import Failed, NoticePrinted, NoticePrintProgress
from kiosk.i18n import N_, _
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import Effect, Effects, ErrorInfo, PrintNotice
from kiosk.journey.phase import Phase
from kiosk.journey.states import State

phase = Phase("case slip")

REPRINT = N_("重新打印")


def can_print(j: JourneyCore) -> bool:
    """Offered on the take-away screen when the case's paper was declined and none is out."""
    s = j.session
    return (
        s is not None
        and s.case is not None
        and s.selected is not None
        and s.print_declined  # so nothing of the case went on paper
        and not s.slip_printed
        and j.printer_usable
    )


def start(j: JourneyCore, effects: Effects) -> None:
    s = j.session
    assert s is not None and s.case is not None and s.selected is not None
    # only from the take-away screen, once: a retry after a failure is the error screen's
    # (print_again, the same job)
    s.slip = PrintJob(j.now.id("job"), case_slip(s.case, s.selected, j.now.today))
    s.slip_progress = 0.0
    j.enter(State.SLIP_PRINTING)
    effects.append(PrintNotice(s.slip))


@phase.retry(State.SLIP_PRINTING)
def print_again(j: JourneyCore) -> Effect | None:
    s = j.session
    return PrintNotice(s.slip) if s is not None and s.slip is not None else None


@phase.timeout(State.SLIP_PRINTING)
def overran(j: JourneyCore, effects: Effects) -> None:
    fail(j, _("打印没有在预期时间内完成。"))


def progress(j: JourneyCore, event: NoticePrintProgress) -> None:
    s = j.session
    if s is not None and s.slip is not None and event.job_id == s.slip.job_id:
        s.slip_progress = max(s.slip_progress, min(1.0, event.fraction))
        j.reset_deadline()  # the guard is for a stalled printer, not a slow line


def printed(j: JourneyCore, event: NoticePrinted) -> None:
    s = j.session
    if s is None or s.slip is None or event.job_id != s.slip.job_id:
        return
    err = j.error
    late = j.state is State.ERROR and err is not None and err.retry_state is State.SLIP_PRINTING
    if j.state is State.SLIP_PRINTING or late:
        s.slip_printed = True
        s.slip_progress = 1.0
        j.error = None
        j.enter(State.TAKE_DOCUMENTS)


def fail(j: JourneyCore, message: str) -> None:
    s = j.session
    text = message
    if s is not None and s.case is not None:
        text += "\n" + _("您的办件编号：{case_no}").format(case_no=s.case.case_no)
    retry = print_again(j)
    state = State.SLIP_PRINTING if retry is not None else None
    j.fail(ErrorInfo(_("办件凭条未能打印"), text, retry, state, REPRINT))


def print_failed(j: JourneyCore, event: Failed) -> None:
    if j.state is State.SLIP_PRINTING:
        fail(j, event.message)
