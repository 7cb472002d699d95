"""The 办件凭条: the case number, the item, the outcome and the document's QR; nobody's name."""

from __future__ import annotations

import dataclasses
import datetime as dt

from test_journey import Driver, case, item, to_preview, to_printing

from devkit.people import BY_KEY
from kiosk import journey as j
from kiosk.case_slip import case_slip
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Paper
from kiosk.document import DocumentKind
from kiosk.events import (
    Action,
    CardRemoved,
    DeviceChanged,
    Failed,
    NoticePrinted,
    NoticePrintProgress,
    Operation,
    Printed,
)
from kiosk.models import CaseKind
from kiosk.print_layout import PAPER_58MM, Qr, Text, layout_document

CASE_NO = "1401002026120200000017"  # 22 digits, as the platform's case numbers


def printed(doc) -> tuple[str, list[Qr]]:
    lines = layout_document(doc, PAPER_58MM)
    text = "".join("".join(ln.text.split()) for ln in lines if isinstance(ln, Text))
    return text, [ln for ln in lines if isinstance(ln, Qr)]


def test_a_certificate_not_printed_gets_its_number_outcome_and_qr_on_a_slip() -> None:
    done = dataclasses.replace(case(item("I1")), case_no=CASE_NO)
    doc = case_slip(done, item("I1"), dt.date(2026, 12, 2))
    text, (qr,) = printed(doc)
    for words in ("办件凭条", "事项I1", CASE_NO, "已办结", "2026年12月2日", "查看办理进度"):
        assert words in text, words
    assert qr.content == done.document.qr_content
    assert "核验" not in text and "验证码" not in text, "the slip is not the certificate"


def test_a_promised_case_says_when_it_will_be_done() -> None:
    it = item("I2", kind=CaseKind.PROMISED)
    base = case(it)
    receipt = dataclasses.replace(
        base,
        case_no=CASE_NO,
        case_kind=CaseKind.PROMISED,
        document=dataclasses.replace(base.document, promised_date=dt.date(2026, 12, 9)),
    )
    text, _qr = printed(case_slip(receipt, it, dt.date(2026, 12, 2)))
    assert "已受理，承诺2026年12月9日前办结" in text


def test_the_slip_names_nobody() -> None:
    person = BY_KEY["zhang_wei"].card()
    done = case(item("I1"))
    holder = dataclasses.replace(done.document, holder=f"兹证明：{person.name}，{person.number}")
    doc = case_slip(dataclasses.replace(done, document=holder), item("I1"), dt.date(2026, 12, 2))
    text, _qr = printed(doc)
    assert doc.holder == ""
    assert person.name not in text and person.number not in text
    assert person.number[:6] not in text


# ---- the journey: offered after 不打印 only ----------------------------------------------------


def declined(d: Driver) -> None:
    to_preview(d)
    d.tap(Action.NO_PRINT)
    assert d.state is j.State.TAKE_DOCUMENTS and d.journey.session.print_declined


def test_after_no_print_the_slip_prints_and_the_take_away_screen_says_so() -> None:
    d = Driver()
    declined(d)
    assert j.case_slip_print.can_print(d.journey)
    (p,) = d.tap(Action.CASE_SLIP)
    assert isinstance(p, j.PrintNotice) and p.job.document.kind is DocumentKind.CASE_SLIP
    s = d.journey.session
    assert d.state is j.State.SLIP_PRINTING
    assert s.case.case_no in {f.value for f in p.job.document.fields}
    d(NoticePrintProgress(p.job.job_id, 0.5))
    assert s.slip_progress == 0.5
    d(NoticePrinted(p.job.job_id))
    assert d.state is j.State.TAKE_DOCUMENTS and s.slip_printed
    assert not j.case_slip_print.can_print(d.journey), "one slip"
    assert d.tap(Action.CASE_SLIP) == []
    d.tap(Action.DOCUMENTS_TAKEN)
    assert d.state is j.State.RATING


def test_no_slip_when_the_paper_itself_came_out_or_cannot() -> None:
    d = Driver()
    p = to_printing(d)
    d(Printed(p.job.job_id))
    assert d.state is j.State.TAKE_DOCUMENTS
    assert d.tap(Action.CASE_SLIP) == [] and d.state is j.State.TAKE_DOCUMENTS
    d2 = Driver()
    declined(d2)
    d2(DeviceChanged(DeviceStatus(DeviceKind.PRINTER, DeviceState.ONLINE, paper=Paper.OUT)))
    assert d2.tap(Action.CASE_SLIP) == []


def test_a_failed_slip_shows_the_case_number_and_reprints_the_same_job() -> None:
    d = Driver()
    declined(d)
    (p,) = d.tap(Action.CASE_SLIP)
    d(Failed(Operation.NOTICE_PRINT, "打印机缺纸", retryable=True))
    assert d.state is j.State.ERROR
    assert d.journey.session.case.case_no in d.journey.error.text
    (again,) = d.tap(Action.RETRY)
    assert again == p and d.state is j.State.SLIP_PRINTING
    d.wait(91)
    assert d.state is j.State.ERROR, "a stalled printer is told"
    d(NoticePrinted(p.job.job_id))
    assert d.state is j.State.TAKE_DOCUMENTS, "paper after the guard gave up is done"


def test_the_card_taken_while_the_slip_prints_keeps_the_case_for_its_rating() -> None:
    d = Driver()
    declined(d)
    (p,) = d.tap(Action.CASE_SLIP)
    d(CardRemoved())
    assert d.state is j.State.SLIP_PRINTING and d.journey.session is not None
    d(NoticePrinted(p.job.job_id))
    assert d.state is j.State.TAKE_DOCUMENTS
