"""办件查询 in the journey: the list from the item list, a reprint recorded once and printed
once, refusals back on the list with their reason, failures on the error screen with the same
request id or the same print job."""

from __future__ import annotations

import datetime as dt

from test_journey import TICKET, WALL, Driver, case, item, to_items

from kiosk import journey as j
from kiosk.cases import CaseState, CaseSummary, Reprint
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Paper
from kiosk.events import (
    Action,
    CardRemoved,
    CasesLoaded,
    DeviceChanged,
    Failed,
    Operation,
    ReprintPrinted,
    ReprintProgress,
    ReprintRecorded,
)

APPLIED = WALL - dt.timedelta(days=8)


def summary(case_no: str, state: CaseState, *, reprintable: bool | None = None) -> CaseSummary:
    done = state in (CaseState.FINISHED, CaseState.PRINTABLE)
    return CaseSummary(
        case_no=case_no,
        item_code="I1",
        item_name="事项I1",
        department="市人力资源和社会保障局",
        state=state,
        applied_at=APPLIED,
        updated_at=APPLIED,
        finished_at=APPLIED if done else None,
        reprintable=state is CaseState.PRINTABLE if reprintable is None else reprintable,
        reprints=0,
    )


CASES = (
    summary("C-PRINT", CaseState.PRINTABLE),
    summary("C-DONE", CaseState.FINISHED),
    summary("C-RUN", CaseState.IN_PROGRESS),
    summary("C-NEW", CaseState.ACCEPTED),
)


def reprint_of(case_no: str = "C-PRINT", n: int = 1) -> Reprint:
    doc = case(item("I1")).document
    return Reprint(case_no, n, WALL, doc)


def to_cases(d: Driver) -> None:
    to_items(d)
    (effect,) = d.tap(Action.CASES)
    assert effect == j.LoadCases(TICKET)
    assert d.state is j.State.CASES and d.journey.session.cases.loading
    d(CasesLoaded(CASES))
    assert not d.journey.session.cases.loading


def to_reprinting(d: Driver) -> j.ReprintCase:
    to_cases(d)
    (effect,) = d.tap(Action.REPRINT, "C-PRINT")
    assert isinstance(effect, j.ReprintCase) and effect.case_no == "C-PRINT"
    assert d.state is j.State.REPRINTING
    return effect


def printer(state=DeviceState.ONLINE, paper=Paper.FULL) -> DeviceChanged:
    return DeviceChanged(DeviceStatus(DeviceKind.PRINTER, state, paper=paper))


def test_the_list_opens_from_the_items_and_back_leads_to_them() -> None:
    d = Driver()
    to_cases(d)
    assert d.journey.session.cases.cases == CASES
    assert d.journey.step == 2
    d.tap(Action.BACK)
    assert d.state is j.State.ITEMS and d.journey.session is not None


def test_only_a_reprintable_case_can_be_reprinted() -> None:
    d = Driver()
    to_cases(d)
    for case_no in ("C-DONE", "C-RUN", "C-NEW", "C-UNKNOWN"):
        assert d.tap(Action.REPRINT, case_no) == [], case_no
        assert d.state is j.State.CASES


def test_a_reprint_is_recorded_then_printed_once_and_the_list_counts_it() -> None:
    d = Driver()
    asked = to_reprinting(d)
    (job,) = d(ReprintRecorded(reprint_of()))
    assert isinstance(job, j.PrintReprint) and job.job.document == reprint_of().document
    d(ReprintProgress(job.job.job_id, 0.5))
    assert d.journey.session.cases.reprint.progress == 0.5
    d(ReprintPrinted(job.job.job_id))
    assert d.state is j.State.CASES
    lookup = d.journey.session.cases
    row = lookup.find("C-PRINT")
    assert row.reprints == 1 and not row.reprintable, "not twice in a day"
    assert "C-PRINT" in lookup.note and lookup.reprint is None
    assert d.tap(Action.REPRINT, "C-PRINT") == []
    assert asked.request_id and asked.request_id != job.job.job_id


def test_a_refusal_returns_to_the_list_with_its_reason() -> None:
    d = Driver()
    to_reprinting(d)
    d(Failed(Operation.REPRINT, "每件每天限打印一次", "reprint_limit", retryable=False))
    assert d.state is j.State.CASES
    lookup = d.journey.session.cases
    assert lookup.note == "每件每天限打印一次"
    assert not lookup.find("C-PRINT").reprintable


def test_a_platform_failure_retries_with_the_same_request_id() -> None:
    d = Driver()
    asked = to_reprinting(d)
    d(Failed(Operation.REPRINT, "平台响应超时", "timeout", retryable=True))
    assert d.state is j.State.ERROR
    (again,) = d.tap(Action.RETRY)
    assert again == asked, "the same request id: the platform counts it once"
    assert d.state is j.State.REPRINTING


def test_the_guard_while_recording_offers_the_same_request() -> None:
    d = Driver()
    asked = to_reprinting(d)
    d.wait(j.MACHINE_WAITS[j.State.REPRINTING] + 1)
    assert d.state is j.State.ERROR and d.journey.error.retry == asked


def test_paper_out_while_printing_offers_the_same_job_and_the_late_paper_is_done() -> None:
    d = Driver()
    to_reprinting(d)
    (job,) = d(ReprintRecorded(reprint_of()))
    d(Failed(Operation.REPRINT_PRINT, "打印机缺纸", retryable=True))
    assert d.state is j.State.ERROR
    err = d.journey.error
    assert err.retry == job and err.retry_label == "重新打印" and "C-PRINT" in err.text
    (again,) = d.tap(Action.RETRY)
    assert again == job, "the same job: never a second paper unasked"
    d.wait(j.MACHINE_WAITS[j.State.REPRINTING] + 1)
    assert d.state is j.State.ERROR
    d(ReprintPrinted(job.job.job_id))  # it came out after all
    assert d.state is j.State.CASES


def test_no_reprint_while_the_printer_cannot_print() -> None:
    d = Driver()
    d(printer(DeviceState.USER_ERROR, Paper.OUT))
    to_cases(d)
    assert d.tap(Action.REPRINT, "C-PRINT") == []
    assert d.state is j.State.CASES


def test_a_list_that_cannot_be_had_is_an_error_with_a_retry_and_back_to_the_items() -> None:
    d = Driver()
    to_items(d)
    d.tap(Action.CASES)
    d(Failed(Operation.CASES, "暂时无法连接", "unreachable", retryable=True))
    assert d.state is j.State.ERROR
    (again,) = d.tap(Action.RETRY)
    assert again == j.LoadCases(TICKET) and d.state is j.State.CASES
    d(Failed(Operation.CASES, "暂时无法连接", "unreachable", retryable=True))
    d.tap(Action.BACK)
    assert d.state is j.State.ITEMS


def test_a_late_list_or_reprint_from_elsewhere_changes_nothing() -> None:
    d = Driver()
    to_items(d)
    d(ReprintRecorded(reprint_of()))
    assert d.state is j.State.ITEMS and d.journey.session.cases is None
    d.tap(Action.CASES)
    d.tap(Action.BACK)  # gone back before the list came
    d(CasesLoaded(CASES))
    assert d.state is j.State.ITEMS and d.journey.session.cases.cases == ()


def test_the_session_end_forgets_the_cases() -> None:
    d = Driver()
    to_reprinting(d)
    d(ReprintRecorded(reprint_of()))
    session = d.journey.session
    d.tap(Action.EXIT)
    assert session.cases is None and d.journey.session is None


def test_a_card_taken_while_the_certificate_prints_does_not_end_the_visit() -> None:
    """The paper carries the holder's name: the session (and its screen) waits for it, so it
    never comes out to the next citizen's attract screen."""
    d = Driver()
    to_reprinting(d)
    (job,) = d(ReprintRecorded(reprint_of()))
    d(CardRemoved())
    assert d.state is j.State.REPRINTING and d.journey.session is not None
    d(ReprintPrinted(job.job.job_id))
    assert d.state is j.State.CASES and d.journey.session.cases.printed
