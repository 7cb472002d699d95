"""The 办件凭条: a short slip for a case whose certificate or receipt was not printed.

Where today the only record of a finished case is its 22-digit number on screen (the citizen
said 不打印 on the preview), a few centimetres of paper hold the number, the item, the outcome
and the document's own QR code (the verification or progress page), to follow the case on a
phone. Like the 一次性告知 slip it names the case, not the person: no name, no ID number.
Laid out by kiosk/print_layout.py; described in docs/certificate-format.md.
"""

from __future__ import annotations

import datetime as dt

from kiosk.document import Document, DocumentKind, Field
from kiosk.i18n import N_
from kiosk.models import CaseKind, CaseResult, Item
from kiosk.print_layout import chinese_date

# Fixed words on paper: Chinese whatever the screen's language (as the certificate's).
TITLE = N_("办件凭条")
FOOTER = N_("凭办件编号可在本机、“三晋通”APP或拨打12345查询办理进度。本凭条不含您的个人信息。")


def case_slip(case: CaseResult, item: Item, issued_on: dt.date) -> Document:
    """The slip for ``case`` (of ``item``), printed on ``issued_on``."""
    promised = case.document.promised_date
    if case.case_kind is CaseKind.INSTANT:
        outcome = N_("已办结")
    elif promised is not None:
        outcome = N_("已受理，承诺{date}前办结").format(date=chinese_date(promised))
    else:
        outcome = N_("已受理")
    return Document(
        kind=DocumentKind.CASE_SLIP,
        title=TITLE,
        holder="",
        fields=(
            Field(N_("事项"), item.name),
            Field(N_("办件编号"), case.case_no),
            Field(N_("办理结果"), outcome),
        ),
        body="",
        department=item.department,
        issued_on=issued_on,
        verification_code="",
        qr_content=case.document.qr_content,
        footer=FOOTER,
    )
