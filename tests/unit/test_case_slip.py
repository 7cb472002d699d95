"""The 办件凭条: the case number, the item, the outcome and the document's QR; nobody's name."""

from __future__ import annotations

import dataclasses
import datetime as dt

from test_journey import case, item

from devkit.people import BY_KEY
from kiosk.case_slip import case_slip
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
