"""Platform replies: the bodies the kiosk reads from the province's platform, through the
client's own reading (``PlatformClient._read``: UTF-8, JSON, then the model's ``from_json``),
the error bodies of refused calls, and what the kiosk then does with a certificate (lay it out
for paper and the preview screen). The same JSON is read as a job file of ``kiosk printer
render`` (a document, or a job wrapping one), which technicians hand in from outside too.

Every body is offered to every reply parser, as if any endpoint had sent it; the error-body
reader sees it under the statuses the client tells apart.

Expected: ``PlatformError`` (the client turns anything unreadable into one, kind
invalid_reply), ``JobError`` from ``load_job``, nothing from ``_status_error`` (it builds an
error, it never raises). Also
checked: a document that was read is laid out without error, and written back with
``to_json`` it reads back the same; a shown-QR session that was read can be drawn; every
text read is valid Unicode.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import fields, is_dataclass

import requests

from cli.printer import JobError, load_job
from kiosk.document import Document
from kiosk.models import (
    CaseResult,
    Catalogue,
    Guide,
    IdentitySession,
    Item,
    SessionPoll,
    Ticket,
    VerifyResult,
)
from kiosk.platform import ErrorKind, PlatformClient, PlatformError, _status_error
from kiosk.print_layout import PAPER_58MM, PAPER_80MM, layout_document, qr_modules
from kiosk.validate import Reader

EXPECTED: tuple[type[BaseException], ...] = (PlatformError, JobError)

PARSERS = {
    "ticket": Ticket.from_json,
    "identity_session": IdentitySession.from_json,
    "session_poll": SessionPoll.from_json,
    "items": lambda r: tuple(r.list("items", Item.from_json, max_len=5000)),  # available_items
    "guide": Guide.from_json,
    "case": CaseResult.from_json,
    "verify": VerifyResult.from_json,
    "catalogue": lambda r: Catalogue.from_json(r, etag='"c1"'),
}
ERROR_STATUSES = (302, 400, 401, 404, 409, 429, 500, 503)
_URL = "http://127.0.0.1:8080/v1/fuzz"
_REQUEST = requests.PreparedRequest()
_REQUEST.prepare(method="GET", url=_URL)


def response(body: bytes, status: int = 200) -> requests.Response:
    """A requests Response as the session would hand it over, holding ``body``."""
    resp = requests.Response()
    resp._content = body
    resp.status_code = status
    resp.url = _URL
    resp.request = _REQUEST
    return resp


def one_input(data: bytes) -> None:
    resp = response(data)
    for parse in PARSERS.values():
        try:
            result = PlatformClient._read(resp, parse)
        except PlatformError as exc:
            assert exc.kind is ErrorKind.INVALID_REPLY, f"unreadable reply gave {exc.kind}"
            continue
        _check_unicode(result)
        if isinstance(result, CaseResult):
            _check_document(result.document)
        elif isinstance(result, IdentitySession):
            qr_modules(result.qr_content)  # the library and level screens/qr_image.py draws with
    with contextlib.suppress(JobError):
        _check_document(load_job(data)[1])
    for status in ERROR_STATUSES:
        error = _status_error(response(data, status), "GET", "/v1/fuzz", 0.0)
        assert isinstance(error, PlatformError) and error.message, "an error without words"
        str(error)


def _check_unicode(value: object) -> None:
    """Every text read is real Unicode: it goes on to SQLite, logs and Kivy labels, which all
    need UTF-8 (a JSON escape can make a lone surrogate, which has none)."""
    if isinstance(value, str):
        value.encode("utf-8")
    elif isinstance(value, tuple | list):
        for v in value:
            _check_unicode(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_unicode(k)
            _check_unicode(v)
    elif is_dataclass(value):
        for f in fields(value):
            _check_unicode(getattr(value, f.name))


def _check_document(document: Document) -> None:
    for width in (PAPER_58MM, PAPER_80MM):
        layout_document(document, width)
    again = Document.from_json(Reader(json.loads(json.dumps(document.to_json())), ""))
    assert again == document, "a document does not read back as it was written"
