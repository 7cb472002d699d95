"""办件查询: the citizen's cases, and a finished certificate printed once more.

    ITEMS ─办件查询→ CASES (the list, loading first: LoadCases) ─‹ 返回→ ITEMS
    CASES ─再次打印 on a case the platform allows it for, the printer able→ REPRINTING
    REPRINTING: the platform records the reprint and sends the certificate (ReprintCase, once
        per request id), then the certificate on paper (PrintReprint, once per job id)
    REPRINTING ─printed→ CASES (the row counts the reprint; a line says it is out)
    REPRINTING ─the platform refused (once a day, not printable)→ CASES with the reason
    REPRINTING ─the platform or the printer failed, or the guard→ ERROR: 重试 sends the same
        request id (never a second reprint counted), 重新打印 the same job (never a second
        paper unasked)
    the list could not be had → ERROR (重试); ‹ 返回 from the error screen: the item list

Only the citizen's own cases reach the list (the platform answers by the ticket); the
certificate printed is the platform's document, held in the session until it ends. The
contract and the rules: docs/cases.md.
"""

from __future__ import annotations

import dataclasses
import logging

from kiosk.cases import CaseLookup, ReprintRun, ReprintStage
from kiosk.devices import PrintJob
from kiosk.events import (
    Action,
    CasesLoaded,
    Failed,
    Operation,
    ReprintPrinted,
    ReprintProgress,
    ReprintRecorded,
    Tap,
)
from kiosk.i18n import N_, _
from kiosk.journey.core import JourneyCore
from kiosk.journey.effects import Effect, Effects, ErrorInfo, LoadCases, PrintReprint, ReprintCase
from kiosk.journey.phase import Phase
from kiosk.journey.states import State

log = logging.getLogger("kiosk.journey")

phase = Phase("case lookup")

REPRINT = N_("重新打印")
RETRY = N_("重试")
PRINTED_NOTE = N_("办件{case_no}的证明已再次打印，请取走。")


def _lookup(j: JourneyCore) -> CaseLookup | None:
    s = j.session
    return s.cases if s is not None else None


def _run(j: JourneyCore) -> ReprintRun | None:
    lookup = _lookup(j)
    return lookup.reprint if lookup is not None else None


def can_open(j: JourneyCore) -> bool:
    """办件查询 is the identified citizen's (their ticket asks the platform)."""
    s = j.session
    return s is not None and s.ticket is not None


def open_list(j: JourneyCore, effects: Effects) -> None:
    """From the item list: the list afresh each time (states change while one waits)."""
    s = j.session
    assert s is not None and s.ticket is not None
    s.cases = CaseLookup()
    j.enter(State.CASES)
    effects.append(LoadCases(s.ticket))


def can_reprint(j: JourneyCore, case_no: str) -> bool:
    lookup = _lookup(j)
    case = lookup.find(case_no) if lookup is not None else None
    return case is not None and case.reprintable and j.printer_usable


@phase.back(State.CASES)
def back_from_cases(j: JourneyCore) -> State:
    return State.ITEMS


@phase.on(CasesLoaded)
def loaded(j: JourneyCore, event: CasesLoaded, effects: Effects) -> None:
    lookup = _lookup(j)
    if lookup is None or j.state is not State.CASES:
        return
    lookup.cases = event.cases
    lookup.loading = False


@phase.failed(Operation.CASES)
def list_failed(j: JourneyCore, event: Failed, effects: Effects) -> None:
    s = j.session
    if s is None or s.ticket is None or j.state is not State.CASES:
        return
    retry = LoadCases(s.ticket) if event.retryable else None
    j.fail(ErrorInfo(_("办件查询暂时无法使用"), event.message, retry, State.CASES))


@phase.tap(State.CASES)
def tap_cases(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    s = j.session
    lookup = _lookup(j)
    if s is None or s.ticket is None or lookup is None or lookup.loading:
        return
    if tap.action is not Action.REPRINT or not can_reprint(j, tap.arg):
        return
    lookup.note, lookup.printed = "", False
    lookup.reprint = ReprintRun(tap.arg, j.now.id("request"), j.now.id("job"))
    j.enter(State.REPRINTING)
    effects.append(ReprintCase(s.ticket, tap.arg, lookup.reprint.request_id))


@phase.on(ReprintRecorded)
def recorded(j: JourneyCore, event: ReprintRecorded, effects: Effects) -> None:
    run = _run(j)
    if run is None or j.state is not State.REPRINTING or run.stage is not ReprintStage.RECORDING:
        return
    if event.reprint.case_no != run.case_no:
        return
    lookup = _lookup(j)
    assert lookup is not None
    case = lookup.find(run.case_no)
    if case is not None:
        lookup.replace(case.with_reprint(event.reprint))  # counted at the platform now
    run.document = event.reprint.document
    run.stage = ReprintStage.PRINTING
    run.progress = 0.0
    log.info("reprint: recorded (%d so far), printing", event.reprint.reprints)
    effects.append(PrintReprint(PrintJob(run.job_id, run.document)))


@phase.failed(Operation.REPRINT)
def refused(j: JourneyCore, event: Failed, effects: Effects) -> None:
    run = _run(j)
    lookup = _lookup(j)
    if run is None or lookup is None or j.state is not State.REPRINTING:
        return
    if event.retryable:  # the platform did not answer: the same request id again
        _fail(j, event.message, RETRY)
        return
    # the platform said no (once a day, nothing printable): the list, saying why
    case = lookup.find(run.case_no)
    if case is not None:
        lookup.replace(dataclasses.replace(case, reprintable=False))
    lookup.reprint = None
    lookup.note = event.message
    j.enter(State.CASES)


@phase.retry(State.REPRINTING)
def _again(j: JourneyCore) -> Effect | None:
    s = j.session
    run = _run(j)
    if s is None or s.ticket is None or run is None:
        return None
    if run.document is None:
        return ReprintCase(s.ticket, run.case_no, run.request_id)
    return PrintReprint(PrintJob(run.job_id, run.document))


@phase.timeout(State.REPRINTING)
def overran(j: JourneyCore, effects: Effects) -> None:
    run = _run(j)
    if run is not None and run.document is None:
        _fail(j, _("政务服务平台响应超时。请稍后再试，或到人工窗口办理。"), RETRY)
    else:
        _fail(j, _("打印没有在预期时间内完成。"), REPRINT)


@phase.on(ReprintProgress)
def progress(j: JourneyCore, event: ReprintProgress, effects: Effects) -> None:
    run = _run(j)
    if run is not None and j.state is State.REPRINTING and event.job_id == run.job_id:
        run.progress = max(run.progress, min(1.0, event.fraction))
        j.reset_deadline()  # the guard is for a stalled printer, not a slow line


@phase.on(ReprintPrinted)
def printed(j: JourneyCore, event: ReprintPrinted, effects: Effects) -> None:
    run = _run(j)
    lookup = _lookup(j)
    if run is None or lookup is None or event.job_id != run.job_id:
        return
    # the paper may come out after the guard gave up: it is done, not to be printed again
    err = j.error
    late = j.state is State.ERROR and err is not None and err.retry_state is State.REPRINTING
    if j.state is State.REPRINTING or late:
        run.stage = ReprintStage.PRINTED
        run.progress = 1.0
        j.error = None
        lookup.reprint = None
        lookup.note = _(PRINTED_NOTE).format(case_no=run.case_no)
        lookup.printed = True
        j.enter(State.CASES)


@phase.failed(Operation.REPRINT_PRINT)
def print_failed(j: JourneyCore, event: Failed, effects: Effects) -> None:
    if j.state is State.REPRINTING:
        _fail(j, event.message, REPRINT)


def _fail(j: JourneyCore, message: str, label: str) -> None:
    run = _run(j)
    text = message
    if run is not None:
        text += "\n" + _("您的办件编号：{case_no}").format(case_no=run.case_no)
    again = _again(j)
    j.fail(
        ErrorInfo(_("证明未能再次打印"), text, again, State.REPRINTING if again else None, label)
    )
