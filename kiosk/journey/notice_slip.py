"""一次性告知: the slip and a queue number for an item that cannot be done here.

    ITEM_DETAIL (an item the citizen cannot do here) ─打印办事指南和排队号→ NOTICE_PRINTING
    NOTICE_PRINTING: a number for the item's window first (TakeQueueNumber), then the slip on
        paper, with the number or, when the queuing system did not answer, without it and
        saying where to take one; no window named: the slip straight away
    NOTICE_PRINTING ─printed→ NOTICE_TAKEN ─‹ 返回 / 我已取走→ ITEMS
    NOTICE_PRINTING ─the printer failed or the guard→ ERROR, which shows the window and the
        number on screen (the citizen never leaves with nothing); 重新打印 prints the same slip
        (the same job, the same number: never a second number by itself)

The slip is made by kiosk/notice.py; what happened (the number or its absence, printed) stays
in the session's ``notice`` until the session ends.
"""

from __future__ import annotations

import logging

from kiosk.devices import PrintJob
from kiosk.events import (
    Action,
    Failed,
    NoticePrinted,
    NoticePrintProgress,
    Operation,
    QueueTicketIssued,
    Tap,
)
from kiosk.i18n import N_, _
from kiosk.journey import case_slip_print
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import Effect, Effects, ErrorInfo, PrintNotice, TakeQueueNumber
from kiosk.journey.phase import Phase
from kiosk.journey.states import State
from kiosk.notice import NoticeRun, NoticeStage, QueueOutcome, notice_document

log = logging.getLogger("kiosk.journey")

phase = Phase("notice slip")

REPRINT = N_("重新打印")


def can_print(j: JourneyCore) -> bool:
    """The item on screen cannot be done here, its guide is read and the printer can print."""
    s = j.session
    if s is None or s.selected is None or s.guide is None:
        return False
    return not s.selected.available and j.printer_usable


def start(j: JourneyCore, effects: Effects) -> None:
    """打印办事指南和排队号 on the guide of an item that cannot be done here."""
    s = j.session
    assert s is not None and s.selected is not None and s.guide is not None
    if s.notice is not None and s.notice.item_code == s.selected.item_code:
        run = s.notice  # asked again for the same item: the same slip, the same number
    else:
        run = s.notice = NoticeRun(s.selected.item_code, j.now.id("job"))
    j.enter(State.NOTICE_PRINTING)
    window = s.guide.window
    if run.document is None and window is not None:
        run.stage = NoticeStage.QUEUE
        effects.append(TakeQueueNumber(run.item_code, window.window))
    else:
        _print(j, run, effects)


def _print(j: JourneyCore, run: NoticeRun, effects: Effects) -> None:
    s = j.session
    assert s is not None and s.guide is not None
    if run.document is None:
        run.document = notice_document(s.guide, run.queue, j.now.today)
    run.stage = NoticeStage.PRINTING
    run.progress = 0.0
    effects.append(PrintNotice(PrintJob(run.job_id, run.document)))


def _run(j: JourneyCore) -> NoticeRun | None:
    s = j.session
    return s.notice if s is not None else None


@phase.tap(State.NOTICE_TAKEN)
def tap_taken(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    if tap.action in (Action.BACK, Action.DOCUMENTS_TAKEN):
        j.enter(State.ITEMS)


@phase.on(QueueTicketIssued)
def queue_issued(j: JourneyCore, event: QueueTicketIssued, effects: Effects) -> None:
    run = _run(j)
    if run is None or j.state is not State.NOTICE_PRINTING or run.stage is not NoticeStage.QUEUE:
        return
    run.queue = event.ticket
    run.queue_outcome = QueueOutcome.ISSUED
    log.info("notice: queue number issued for window %s", event.ticket.window)
    _print(j, run, effects)


@phase.failed(Operation.QUEUE)
def queue_failed(j: JourneyCore, event: Failed, effects: Effects) -> None:
    run = _run(j)
    if run is None or j.state is not State.NOTICE_PRINTING or run.stage is not NoticeStage.QUEUE:
        return
    run.queue_outcome = QueueOutcome.UNAVAILABLE  # the slip says where to take a number
    log.info("notice: no queue number (%s)", event.detail or "no detail")
    _print(j, run, effects)


@phase.retry(State.NOTICE_PRINTING)
def print_again(j: JourneyCore) -> Effect | None:
    run = _run(j)
    if run is None or run.document is None:
        return None
    return PrintNotice(PrintJob(run.job_id, run.document))


@phase.timeout(State.NOTICE_PRINTING)
def overran(j: JourneyCore, effects: Effects) -> None:
    run = _run(j)
    if run is not None and run.stage is NoticeStage.QUEUE:
        # the queuing system never answered within the guard: the slip goes without a number
        run.queue_outcome = QueueOutcome.UNAVAILABLE
        j.reset_deadline()
        _print(j, run, effects)
        return
    _fail(j, _("打印没有在预期时间内完成。"))


@phase.on(NoticePrintProgress)
def progress(j: JourneyCore, event: NoticePrintProgress, effects: Effects) -> None:
    if j.state is State.SLIP_PRINTING:  # the same print path carries the 办件凭条
        case_slip_print.progress(j, event)
        return
    run = _run(j)
    if run is not None and j.state is State.NOTICE_PRINTING and event.job_id == run.job_id:
        run.progress = max(run.progress, min(1.0, event.fraction))
        j.reset_deadline()  # the guard is for a stalled printer, not a slow line


@phase.on(NoticePrinted)
def printed(j: JourneyCore, event: NoticePrinted, effects: Effects) -> None:
    case_slip_print.printed(j, event)  # its own job id: a no-op for the 一次性告知's
    run = _run(j)
    if run is None or event.job_id != run.job_id:
        return
    # the paper may come out after the guard gave up: it is done, not to be printed again
    err = j.error
    late = j.state is State.ERROR and err is not None and err.retry_state is State.NOTICE_PRINTING
    if j.state is State.NOTICE_PRINTING or late:
        run.stage = NoticeStage.PRINTED
        run.progress = 1.0
        j.error = None
        log.info("notice: printed (queue %s)", run.queue_outcome.value)
        j.enter(State.NOTICE_TAKEN)


@phase.failed(Operation.NOTICE_PRINT)
def print_failed(j: JourneyCore, event: Failed, effects: Effects) -> None:
    case_slip_print.print_failed(j, event)
    if j.state is State.NOTICE_PRINTING:
        # the printer's condition in its own words, as for a certificate (submit_print)
        _fail(j, j.printer_hold_notice or event.message)


def _fail(j: JourneyCore, message: str) -> None:
    """The printer let the citizen down: the screen says what the slip would have said."""
    s = j.session
    run = _run(j)
    lines = [message]
    window = s.guide.window if s is not None and s.guide is not None else None
    if window is not None:
        where = window.name
        if window.location:
            where = _("{name}（{location}）").format(name=window.name, location=window.location)
        lines.append(
            _("请到{window}办理，办公时间：{hours}。").format(window=where, hours=window.hours)
        )
    if run is not None and run.queue is not None:
        lines.append(_("您的排队号：{number}").format(number=run.queue.number))
    retry = print_again(j)
    state = State.NOTICE_PRINTING if retry is not None else None
    j.fail(ErrorInfo(_("办事指南未能打印"), "\n".join(lines), retry, state, REPRINT))
