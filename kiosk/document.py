"""The printable document: a certificate (证明) or an acceptance receipt (受理回执), or the
kiosk's own 一次性告知 slip (kiosk/notice.py).

The platform sends the document's content; the kiosk lays it out for paper and screen. The
holder line is written the way the issuing department's template wants it; the kiosk does not
rewrite it. Described for people in docs/certificate-format.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from kiosk.validate import Reader

# The most a QR code holds (version 40, level M as printed and shown, byte mode): a longer
# qr_content passes the length limit in characters yet cannot be drawn.
QR_CONTENT_MAX_BYTES = 2331


class DocumentKind(StrEnum):
    CERTIFICATE = "certificate"
    RECEIPT = "receipt"
    NOTICE = "notice"  # 一次性告知: made by the kiosk (kiosk/notice.py), never sent by the platform
    CASE_SLIP = "case_slip"  # 办件凭条: made by the kiosk (kiosk/case_slip.py), likewise


FROM_PLATFORM = (DocumentKind.CERTIFICATE, DocumentKind.RECEIPT)


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Document:
    kind: DocumentKind
    title: str
    holder: str
    fields: tuple[Field, ...]
    body: str
    department: str
    issued_on: dt.date
    verification_code: str
    qr_content: str
    valid_until: dt.date | None = None
    purpose: str = ""
    footer: str = ""
    case_no: str = ""
    promised_date: dt.date | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # the holder may be a full name: keep it out of logs
        return f"Document({self.kind.value}, {self.title!r}, code={self.verification_code})"

    @classmethod
    def from_json(cls, r: Reader) -> Document:
        return cls(
            kind=DocumentKind(r.choice("kind", [k.value for k in FROM_PLATFORM])),
            title=r.str("title", max_len=100),
            holder=r.str("holder", max_len=200),
            fields=tuple(
                r.list(
                    "fields",
                    lambda f: Field(f.str("label", max_len=60), f.str("value", max_len=500)),
                    max_len=60,
                )
            ),
            body=r.opt_str("body", max_len=4000) or "",
            department=r.str("department", max_len=100),
            issued_on=r.date("issued_on"),
            verification_code=r.str("verification_code", max_len=64),
            qr_content=r.str("qr_content", max_len=1000, max_bytes=QR_CONTENT_MAX_BYTES),
            valid_until=r.opt_date("valid_until"),
            purpose=r.opt_str("purpose", max_len=200) or "",
            footer=r.opt_str("footer", max_len=500) or "",
            case_no=r.opt_str("case_no", max_len=50) or "",
            promised_date=r.opt_date("promised_date"),
        )

    def to_json(self) -> dict:
        return {
            "kind": self.kind.value,
            "title": self.title,
            "holder": self.holder,
            "fields": [{"label": f.label, "value": f.value} for f in self.fields],
            "body": self.body,
            "department": self.department,
            "issued_on": self.issued_on.isoformat(),
            "verification_code": self.verification_code,
            "qr_content": self.qr_content,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "purpose": self.purpose,
            "footer": self.footer,
            "case_no": self.case_no,
            "promised_date": self.promised_date.isoformat() if self.promised_date else None,
        }
