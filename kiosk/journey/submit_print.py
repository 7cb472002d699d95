"""Submitting the case and putting its certificate (or a promised case's receipt) on paper.

    ITEM_DETAIL ─确认办理→ SUBMITTING ─the case→ PREVIEW (the paper on screen first)
    PREVIEW ─打印→ PRINTING ─printed→ TAKE_DOCUMENTS ─我已取走 / the card taken→ RATING
    PREVIEW ─不打印→ TAKE_DOCUMENTS (the case number is the record; the screen says it was the
            citizen's choice)
    SUBMITTING / PRINTING ─failure or the guard→ ERROR (retry: the same request id, the same print
            job: the platform never makes a second case, nothing is reprinted unasked)

The printer's conditions (paper out, jammed, cover open, offline, not connected) have one
outcome at each decision (docs/device-states.md, "A printer that cannot print"): 确认办理 and
打印 are held with the reason while the latest known status says the printer cannot print, and
a print that was started ends on the error screen in the condition's words with 重新打印,
whether the printer refused it or stopped midway.

Paper that comes out after the guard gave up is done: the citizen goes on, it is never printed
again by itself. Leaving is refused while the case is under way.
"""

from __future__ import annotations

from kiosk.devices import PrintJob
from kiosk.events import Action, Failed, Operation, Printed, PrintProgress, Submitted, Tap
from kiosk.i18n import N_, _
from kiosk.journey import case_slip_print
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import Effect, Effects, ErrorInfo, PrintDocument, SubmitCase
from kiosk.journey.phase import Phase
from kiosk.journey.states import State

phase = Phase("submitting and printing")

REPRINT = N_("重新打印")


def submit(j: JourneyCore, effects: Effects) -> None:
    """确认办理 on a guide the citizen can confirm."""
    s = j.session
    assert s is not None and s.selected is not None and s.ticket is not None
    if j.item_blocked_reason(s.selected):  # held on the guide (items.can_confirm)
        return
    j.enter(State.SUBMITTING)
    effects.append(SubmitCase(s.ticket, s.selected.item_code, s.request_id, s.pledge_confirmed))


@phase.retry(State.SUBMITTING)
def submit_again(j: JourneyCore) -> Effect | None:
    s = j.session
    if s is None or s.ticket is None or s.selected is None:
        return None
    return SubmitCase(s.ticket, s.selected.item_code, s.request_id, s.pledge_confirmed)


@phase.on(Submitted)
def submitted(j: JourneyCore, event: Submitted, effects: Effects) -> None:
    s = j.session
    if s is None or j.state is not State.SUBMITTING:
        return
    s.case = event.result
    s.forget_card()
    # a certificate, or for a promised case its acceptance receipt, is shown first and goes
    # on paper when the citizen says so; a printer that cannot print holds 打印 there (the
    # same outcome whenever the printer turned bad: before, during or after the submission)
    j.enter(State.PREVIEW)


@phase.failed(Operation.SUBMIT)
def submit_failed(j: JourneyCore, event: Failed, effects: Effects) -> None:
    if j.state is not State.SUBMITTING:
        return
    retry = submit_again(j) if event.retryable else None
    j.fail(ErrorInfo(_("办理未完成"), event.message, retry, State.SUBMITTING if retry else None))


@phase.tap(State.PREVIEW)
def tap_preview(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    s = j.session
    if s is None or s.case is None:
        return
    if tap.action is Action.PRINT:
        if not j.printer_usable:  # held with its reason; released when the printer is back
            return
        s.job_id = s.job_id or j.now.id("job")
        s.print_progress = 0.0
        j.enter(State.PRINTING)
        effects.append(PrintDocument(PrintJob(s.job_id, s.case.document)))
    elif tap.action in (Action.NO_PRINT, Action.BACK):
        s.print_declined = True
        j.enter(State.TAKE_DOCUMENTS)


@phase.retry(State.PRINTING)
def print_again(j: JourneyCore) -> Effect | None:
    s = j.session
    if s is None or s.case is None or not s.job_id:
        return None
    return PrintDocument(PrintJob(s.job_id, s.case.document))


@phase.on(PrintProgress)
def progress(j: JourneyCore, event: PrintProgress, effects: Effects) -> None:
    s = j.session
    if s is not None and j.state is State.PRINTING and event.job_id == s.job_id:
        s.print_progress = max(s.print_progress, min(1.0, event.fraction))
        j.reset_deadline()  # the guard is for a stalled printer, not a slow line


@phase.on(Printed)
def printed(j: JourneyCore, event: Printed, effects: Effects) -> None:
    s = j.session
    if s is None or event.job_id != s.job_id:
        return
    # the paper may come out after the guard gave up: it is done, not to be printed again
    late = j.state is State.ERROR and j.error is not None and j.error.retry_state is State.PRINTING
    if j.state is State.PRINTING or late:
        s.print_progress = 1.0
        j.error = None
        j.enter(State.TAKE_DOCUMENTS)


@phase.failed(Operation.PRINT)
def print_failed(j: JourneyCore, event: Failed, effects: Effects) -> None:
    if j.state is not State.PRINTING:
        return
    s = j.session
    case_no = s.case.case_no if s and s.case else ""
    # the printer's condition (its status arrives before the failure: kiosk.print_desk) says
    # what happened, whether the job was refused before any paper moved or broke off midway
    text = j.printer_hold_notice or event.message
    if case_no:
        text += "\n" + _("您的办件编号：{case_no}，也可凭此到人工窗口打印。").format(
            case_no=case_no
        )
    j.fail(ErrorInfo(_("打印未完成"), text, print_again(j), State.PRINTING, REPRINT))


@phase.tap(State.TAKE_DOCUMENTS)
def tap_take(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    if tap.action is Action.DOCUMENTS_TAKEN:
        j.enter(State.RATING)
    elif tap.action is Action.CASE_SLIP and case_slip_print.can_print(j):
        case_slip_print.start(j, effects)
