"""Client of the province's shared platform (contract: docs/platform-api.yaml).

One ``requests.Session``, a timeout on every call, every /v1 request signed with the device key
(kiosk/signing.py), and retries only where a repeat cannot do harm: GET and PUT (ratings and
heartbeats are idempotent by id), never POST (a second identity check or a second case would
be a different event; a POST is tried again only when its connection could not even be made).
The retries are ours, not urllib3's: every attempt is signed afresh, since a platform that
answered too late for us has spent the first attempt's nonce. HTTPS is verified
against the system's or the province's CA, and against pinned keys when configured
(kiosk/tls.py). Every reply is checked field by field before it reaches the journey; whatever
goes wrong comes out as one ``PlatformError`` with a plain Chinese message for the citizen and a
PII-free detail for the technician.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from kiosk.cases import CaseSummary, Reprint, read_cases
from kiosk.i18n import N_, _
from kiosk.identity import CardType, IdentityCard
from kiosk.masking import mask_token, scrub
from kiosk.models import (
    CaseResult,
    Catalogue,
    Guide,
    IdentitySession,
    Item,
    QueueTicket,
    SessionPoll,
    Ticket,
    VerifyResult,
)
from kiosk.signing import SigningMethod, sign_headers, skew_words
from kiosk.tls import PinMismatch, PinnedAdapter
from kiosk.validate import InvalidData, Reader

log = logging.getLogger("kiosk.platform")

T = TypeVar("T")

HEADER_TICKET = "X-Citizen-Ticket"
MAX_RATINGS_PER_BATCH = 1000
MAX_REPLY_BYTES = 8 * 1024 * 1024
IDEMPOTENT = frozenset({"GET", "PUT"})
# Answers that say "not now" rather than "no": an idempotent call is tried again.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# The longest Retry-After an interactive call waits for (seconds). A platform that asks for more
# gets no more attempts: the citizen is told now, not held in front of the screen, and the
# background outbox worker (offline/sync.py) waits the Retry-After before its next round.
MAX_RETRY_AFTER = 2.0
# A queue number waits no longer than this for its answer (seconds): the slip prints without it.
QUEUE_READ_TIMEOUT = 5.0


# Verification codes and identity-session ids travel in paths and are QR content: masked.
_CODE_IN_PATH = re.compile(r"(/v1/(?:certificates|identity/sessions)/)([^/\s?\"']+)")


class _MaskCodesInUrls(logging.Filter):
    """urllib3 logs request URLs (debug lines, retry warnings); a verification code or a
    session id in a path is QR content, so it is masked there too. Installed once, on urllib3's
    own loggers."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is not ours to judge
            return True
        masked = _CODE_IN_PATH.sub(lambda m: m.group(1) + mask_token(m.group(2)), text)
        if masked != text:
            record.msg, record.args = masked, None
        return True


_URL_FILTER = _MaskCodesInUrls()
for _name in ("urllib3.connectionpool", "urllib3.util.retry"):
    if _URL_FILTER not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_URL_FILTER)


class ErrorKind(StrEnum):
    UNREACHABLE = "unreachable"  # no connection (network down, platform gone)
    TIMEOUT = "timeout"  # connected, no answer in time
    SERVER = "server"  # 5xx, after retries where retries are allowed
    REJECTED = "rejected"  # 4xx: the platform said no (not eligible, card mismatch, …)
    NOT_FOUND = "not_found"  # 404
    UNAUTHORISED = "unauthorised"  # 401: device signature, clock, or the citizen ticket
    INVALID_REPLY = "invalid_reply"  # the reply does not fit the contract


_RETRYABLE = frozenset({ErrorKind.UNREACHABLE, ErrorKind.TIMEOUT, ErrorKind.SERVER})

_KIND_MESSAGES: dict[ErrorKind, str] = {
    ErrorKind.UNREACHABLE: N_("暂时无法连接政务服务平台。请稍后再试，或到人工窗口办理。"),
    ErrorKind.TIMEOUT: N_("政务服务平台响应超时。请稍后再试，或到人工窗口办理。"),
    ErrorKind.SERVER: N_("政务服务平台暂时无法处理您的请求。请稍后再试，或到人工窗口办理。"),
    ErrorKind.REJECTED: N_("您的申请未能受理。请到人工窗口咨询。"),
    ErrorKind.NOT_FOUND: N_("未查询到相关信息。请到人工窗口咨询。"),
    ErrorKind.UNAUTHORISED: N_("本机暂时无法使用政务服务平台。请到人工窗口办理，我们会尽快修复。"),
    ErrorKind.INVALID_REPLY: N_("政务服务平台返回的信息有误。请稍后再试，或到人工窗口办理。"),
}

# Server error codes whose message may state something personal about the citizen (docs/privacy.md)
PERSONAL_CODES = frozenset({"not_eligible"})

# Server error codes (docs/platform-api.yaml, Error.code) that deserve their own words.
CODE_MESSAGES: dict[str, str] = {
    "unknown_person": N_("平台中未查询到您的身份信息。请到人工窗口办理。"),
    "card_mismatch": N_("证件信息与平台登记的信息不一致。请到人工窗口核实。"),
    "card_expired": N_("您的证件已过有效期。请到人工窗口办理，或先办理证件换领。"),
    "ticket_expired": N_("为保护您的信息，本次办理已超时退出。请重新放置身份证。"),
    "ticket_invalid": N_("身份核验已失效。请重新放置身份证。"),
    "ticket_required": N_("请先放置身份证核验身份。"),
    "not_eligible": N_("您暂不符合该事项的办理条件。请到人工窗口咨询。"),
    "pledge_required": N_("办理该事项须先阅读并确认告知承诺书。"),
    "unknown_item": N_("该事项暂不能在本机办理。请到人工窗口咨询。"),
    "request_id_reused": N_("本次申请未能提交。请重新选择事项办理。"),
    "malformed_code": N_("无法识别该核验码。请核对后重新扫描或输入。"),
    "clock_skew": N_("本机时间不准确，暂时无法办理。请到人工窗口办理，我们会尽快修复。"),
    "unknown_token": N_(
        "未能识别您出示的身份码。请在手机APP中刷新身份码后重新出示，或放置身份证。"
    ),
    "token_expired": N_("您出示的身份码已过期。请在手机APP中刷新身份码后重新出示。"),
    "token_used": N_("该身份码已经使用过。请在手机APP中刷新身份码后重新出示。"),
    "session_expired": N_("二维码已过期。请重新获取二维码，用手机APP扫码。"),
    "unknown_session": N_("扫码登录已失效。请重新获取二维码，用手机APP扫码。"),
    "malformed_uscc": N_("无法识别该统一社会信用代码。请核对后重新输入，或扫描营业执照二维码。"),
    "unknown_enterprise": N_(
        "平台中未查询到该企业的登记信息。请核对统一社会信用代码，或到人工窗口办理。"
    ),
    "not_enterprise": N_("请先核验企业身份。"),
    "not_representative": N_(
        "该证件持有人不是本企业的法定代表人。请法定代表人本人放置身份证，或到人工窗口办理。"
    ),
    "representative_required": N_("办理本事项须由企业法定代表人本人放置身份证核验。"),
    "queue_unavailable": N_("排队叫号系统暂时无法取号，请到门口取号机取号。"),
    "unknown_window": N_("未能为该窗口取号，请到门口取号机取号。"),
    "reprint_limit": N_(
        "该证明今天已经再次打印过一次，每件每天限打印一次。请明天再来，或到人工窗口办理。"
    ),
    "not_printable": N_("该办件暂无可在本机打印的证明。请到人工窗口咨询。"),
    "unknown_case": N_("未查询到该办件。请到人工窗口咨询。"),
}


def citizen_message_for(code: str, kind: ErrorKind | None = None) -> str:
    """Plain words for a server error code, else for the kind of failure."""
    if code in CODE_MESSAGES:
        return _(CODE_MESSAGES[code])
    return _(_KIND_MESSAGES.get(kind or ErrorKind.SERVER, _KIND_MESSAGES[ErrorKind.SERVER]))


class PlatformError(Exception):
    """Anything that went wrong talking to the platform.

    ``message`` is for the citizen (what happened and what to do); ``detail`` is for the
    technician and never contains personal data.
    """

    def __init__(
        self,
        kind: ErrorKind,
        detail: str,
        *,
        code: str = "",
        status: int | None = None,
        message: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.code = code
        self.status = status
        self.message = message or citizen_message_for(code, kind)
        self.detail = detail
        self.retry_after = retry_after  # seconds the platform asked to be left alone (429/503)

    @property
    def retryable(self) -> bool:
        return self.kind in _RETRYABLE

    def __str__(self) -> str:
        code = f" {self.code}" if self.code else ""
        status = f" [{self.status}]" if self.status is not None else ""
        return f"{self.kind.value}{code}{status}: {self.detail}"

    def __repr__(self) -> str:
        return f"PlatformError({self})"


@dataclass(frozen=True, slots=True)
class RatingsReply:
    accepted: tuple[str, ...]
    duplicates: tuple[str, ...]
    rejected: dict[str, str]  # rating_id -> reason


@dataclass(frozen=True, slots=True)
class Probe:
    """What `PlatformClient.probe` saw: the status, the refusal's code, the reply's Date."""

    status: int
    code: str
    date: str | None
    signed_at: float

    @property
    def accepted(self) -> bool:
        return self.status in (200, 304)


class PlatformClient:
    """Talks to the platform for one device. Safe to share between threads for simple calls."""

    def __init__(
        self,
        base_url: str,
        device_id: str,
        device_key: bytes,
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.3,
        signing: SigningMethod = SigningMethod.HMAC_SHA256,
        ca_file: str | None = None,
        pins: tuple[bytes, ...] = (),
        max_retry_after: float = MAX_RETRY_AFTER,
        wall_clock: Callable[[], float] = time.time,
        observe: Callable[[str, str, float], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.wall_clock = wall_clock  # signatures carry it; the platform allows 5 minutes off
        self.device_id = device_id
        self._key = device_key
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.signing = SigningMethod(signing)
        self.max_retry_after = max_retry_after
        # (operation, outcome, seconds) of every HTTP attempt: the metrics' latency histograms.
        # The operation is the method's name and the outcome "ok" or "error": no path, no code.
        self.observe = observe
        # passed on every request, so that neither the environment nor anything else can
        # replace the province's CA (and nothing here can ever turn verification off)
        self._verify: str | bool = str(ca_file) if ca_file else True
        self.session = requests.Session()
        self.session.mount("https://", PinnedAdapter(pins))
        self.session.mount("http://", HTTPAdapter())  # loopback only (kiosk/config.py)

    def __repr__(self) -> str:
        return f"PlatformClient({self.base_url}, device={self.device_id})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- calls ---------------------------------------------------------------------------------

    def verify_identity(self, card: IdentityCard) -> Ticket:
        # a social-security card is a second identification method: the platform checks it
        # against its own records (card number and holder), not a GA 467 card read
        social = card.card_type is CardType.SOCIAL_SECURITY
        body = {
            "method": "social_security_card" if social else "id_card",
            "card": _card_json(card),
        }
        resp = self._call(
            "POST", "/v1/identity/verify", body=body, expect=(200,), op="verify_identity"
        )
        return self._read(resp, Ticket.from_json)

    def verify_token(self, token: str) -> Ticket:
        """A short-lived code from the citizen's phone app (三晋通, 网证), resolved by the
        platform: the kiosk never decodes it. Single use: a second try says token_used."""
        body = {"method": "qr_token", "token": token.strip()}
        resp = self._call(
            "POST", "/v1/identity/verify", body=body, expect=(200,), op="verify_token"
        )
        return self._read(resp, Ticket.from_json)

    def start_identity_session(self) -> IdentitySession:
        """A one-time QR for the kiosk to show; the citizen scans it with the app."""
        resp = self._call(
            "POST", "/v1/identity/sessions", expect=(200, 201), op="start_identity_session"
        )
        return self._read(resp, IdentitySession.from_json)

    def poll_identity_session(self, session_id: str) -> SessionPoll:
        """The first poll after the app confirmed returns the ticket, later ones say consumed.

        Consuming on read means a reply lost on the way loses the ticket: the citizen scans a
        fresh QR (a retried request with the spent nonce is refused, never answered twice).
        """
        path = f"/v1/identity/sessions/{quote(session_id, safe='')}"
        shown = f"/v1/identity/sessions/{mask_token(session_id)}"
        resp = self._call("GET", path, expect=(200,), shown=shown, op="poll_identity_session")
        return self._read(resp, SessionPoll.from_json, shown=shown)

    def verify_enterprise(self, uscc: str) -> Ticket:
        """An enterprise by its 统一社会信用代码; see ``Ticket.representative_required``."""
        body = {"method": "uscc", "uscc": uscc.strip().upper()}
        resp = self._call(
            "POST", "/v1/identity/verify", body=body, expect=(200,), op="verify_enterprise"
        )
        return self._read(resp, Ticket.from_json)

    def confirm_representative(self, ticket: Ticket, card: IdentityCard) -> None:
        """The legal representative's own card, for an enterprise ticket that requires it.

        Raises PlatformError ``not_representative`` (403) when the card's holder does not
        represent the enterprise.
        """
        body = {"card": _card_json(card)}
        self._call(
            "POST",
            "/v1/identity/representative",
            body=body,
            ticket=ticket,
            expect=(200,),
            op="confirm_representative",
        )

    def available_items(self, ticket: Ticket) -> tuple[Item, ...]:
        resp = self._call(
            "GET", "/v1/citizen/items", ticket=ticket, expect=(200,), op="available_items"
        )
        return self._read(resp, lambda r: tuple(r.list("items", Item.from_json, max_len=5000)))

    def guide(self, item_code: str, ticket: Ticket | None = None) -> Guide:
        path = f"/v1/items/{quote(item_code, safe='')}/guide"
        resp = self._call("GET", path, ticket=ticket, expect=(200,), op="guide")
        return self._read(resp, Guide.from_json)

    def submit(
        self, ticket: Ticket, item_code: str, request_id: str, pledge_confirmed: bool = False
    ) -> CaseResult:
        body = {
            "item_code": item_code,
            "request_id": request_id,
            "pledge_confirmed": bool(pledge_confirmed),
        }
        resp = self._call(
            "POST", "/v1/cases", body=body, ticket=ticket, expect=(200, 201), op="submit"
        )
        return self._read(resp, CaseResult.from_json)

    def queue_ticket(self, item_code: str, window: str) -> QueueTicket:
        """A number at ``window`` from the hall's queuing system (anonymous: no ticket sent).

        Never repeated by itself (each call takes a number), and given a short read time: a
        number is a convenience on the slip, which prints without one when this fails.
        """
        body = {"item_code": item_code, "window": window}
        resp = self._call(
            "POST",
            "/v1/queue/tickets",
            body=body,
            expect=(201,),
            op="queue_ticket",
            read_timeout=QUEUE_READ_TIMEOUT,
        )
        return self._read(resp, QueueTicket.from_json)

    def cases(self, ticket: Ticket) -> tuple[CaseSummary, ...]:
        """The ticket's subject's own cases, newest first (办件查询)."""
        resp = self._call("GET", "/v1/citizen/cases", ticket=ticket, expect=(200,), op="cases")
        return self._read(resp, read_cases)

    def reprint(self, ticket: Ticket, case_no: str, request_id: str) -> Reprint:
        """Record one reprint of ``case_no``'s certificate and get the document to print.

        A PUT named by ``request_id``: the platform counts it once however often it arrives,
        so it is retried like any idempotent call. Refusals: ``reprint_limit`` (once per case
        per day), ``not_printable``, ``unknown_case``.
        """
        path = f"/v1/citizen/cases/{quote(case_no, safe='')}/reprints/{quote(request_id, safe='')}"
        resp = self._call("PUT", path, body={}, ticket=ticket, expect=(200,), op="reprint")
        return self._read(resp, Reprint.from_json)

    def verify_certificate(self, code: str) -> VerifyResult:
        code = code.strip()
        path = f"/v1/certificates/{quote(code, safe='')}"
        shown = f"/v1/certificates/{mask_token(code)}"
        resp = self._call("GET", path, expect=(200,), shown=shown, op="verify_certificate")
        return self._read(resp, VerifyResult.from_json, shown=shown)

    def catalogue(self, etag: str | None = None) -> Catalogue | None:
        """The published list; None when it has not changed since ``etag``."""
        headers = {"If-None-Match": etag} if etag else None
        resp = self._call(
            "GET", "/v1/catalogue", headers=headers, expect=(200, 304), op="catalogue"
        )
        if resp.status_code == 304:
            return None
        new_etag = resp.headers.get("ETag", "")
        return self._read(resp, lambda r: Catalogue.from_json(r, etag=new_etag))

    def send_ratings(self, records: list[dict]) -> RatingsReply:
        """Deliver a batch (idempotent by rating_id, so a retry never duplicates)."""
        if len(records) > MAX_RATINGS_PER_BATCH:
            raise ValueError(f"at most {MAX_RATINGS_PER_BATCH} ratings per batch")
        resp = self._call(
            "PUT", "/v1/ratings", body={"ratings": records}, expect=(200,), op="send_ratings"
        )

        def read(r: Reader) -> RatingsReply:
            rejected = r.list(
                "rejected",
                lambda x: (
                    x.str("rating_id", max_len=64, allow_empty=True),
                    x.str("reason", max_len=200),
                ),
                max_len=MAX_RATINGS_PER_BATCH,
            )
            return RatingsReply(
                accepted=tuple(r.str_list("accepted", max_len=MAX_RATINGS_PER_BATCH)),
                duplicates=tuple(r.str_list("duplicates", max_len=MAX_RATINGS_PER_BATCH)),
                rejected=dict(rejected),
            )

        return self._read(resp, read)

    def send_complaint(self, record: dict) -> bool:
        """Deliver one 投诉与建议 (idempotent by complaint_id); True when stored now, False when
        the platform had it already. The record holds a callback number: it is never logged
        (the path names only the id)."""
        complaint_id = record.get("complaint_id")
        if not isinstance(complaint_id, str) or not complaint_id:
            raise ValueError("a complaint without an id")
        path = f"/v1/complaints/{quote(complaint_id, safe='')}"
        resp = self._call("PUT", path, body=record, expect=(200, 201), op="send_complaint")

        def read(r: Reader) -> tuple[str, str]:
            return r.str("complaint_id", max_len=64), r.choice("status", ("accepted", "duplicate"))

        answered, status = self._read(resp, read)
        if answered != complaint_id:  # a reply about another complaint acknowledges nothing
            raise PlatformError(
                ErrorKind.INVALID_REPLY,
                "PUT /v1/complaints: the reply names another complaint",
                status=resp.status_code,
            )
        return status == "accepted"

    def heartbeat(self, status: dict) -> tuple[str, ...]:
        """Send the status; the answer names the staff calls hall staff have acknowledged
        (their ids, as the kiosk sent them), or nothing. A reply the contract does not know
        is no acknowledgement: the beat itself was accepted."""
        sent_at = dt.datetime.fromtimestamp(self.wall_clock()).astimezone()
        body = {"sent_at": sent_at.isoformat(timespec="seconds"), "status": status}
        path = f"/v1/devices/{quote(self.device_id, safe='')}/heartbeat"
        resp = self._call("PUT", path, body=body, expect=(200, 204), op="heartbeat")
        if resp.status_code == 204:
            return ()
        try:
            calls = self._read(resp, lambda r: r.str_list("acknowledged_calls", max_len=100))
        except PlatformError as exc:
            log.warning("heartbeat: %s (no acknowledgement taken from it)", exc.detail)
            return ()
        return tuple(calls)

    def probe(self) -> Probe:
        """One signed call that changes nothing, for `kiosk doctor`: the published list asked
        with ``If-None-Match: *`` (a 304 without a body). A refusal of the signature (401) is
        an answer here, not an error, so that its code and the reply's Date (the clock) can be
        shown; anything else fails as any call does."""
        signed_at = self.wall_clock()
        resp = self._call(
            "GET",
            "/v1/catalogue",
            headers={"If-None-Match": "*"},
            expect=(200, 304, 401, 403),
            op="probe",
        )
        code = _error_body(resp)[0] if resp.status_code in (401, 403) else ""
        return Probe(resp.status_code, code, resp.headers.get("Date"), signed_at)

    # ---- plumbing ------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        op: str,
        body: dict | None = None,
        ticket: Ticket | None = None,
        headers: dict[str, str] | None = None,
        expect: tuple[int, ...],
        shown: str | None = None,
        read_timeout: float | None = None,
    ) -> requests.Response:
        shown = shown or path
        timeout = self.timeout
        if read_timeout is not None:
            timeout = (self.timeout[0], min(self.timeout[1], read_timeout))
        url = self.base_url + path
        parts = urlsplit(url)
        signed_path = parts.path + (f"?{parts.query}" if parts.query else "")
        data = (
            json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            if body is not None
            else b""
        )
        base_headers = {"Accept": "application/json"}
        if body is not None:
            base_headers["Content-Type"] = "application/json; charset=utf-8"
        if ticket is not None:
            base_headers[HEADER_TICKET] = ticket.ticket
        base_headers.update(headers or {})
        idempotent = method in IDEMPOTENT
        attempts = 1 + self.retries
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            # a retry is a new request: new timestamp, new nonce
            sent_at = self.wall_clock()
            signed = sign_headers(
                self.device_id, self._key, method, signed_path, data, sent_at, self.signing
            )
            started = time.monotonic()
            try:
                resp = self.session.request(
                    method,
                    url,
                    data=data or None,
                    headers={**base_headers, **signed},
                    timeout=timeout,
                    allow_redirects=False,
                    verify=self._verify,
                )
            except requests.RequestException as exc:
                self._observed(op, "error", started)
                log.debug(
                    "%s %s -> %s in %d ms",
                    method,
                    shown,
                    type(exc).__name__,
                    (time.monotonic() - started) * 1000,
                )
                error = PlatformError(_transport_kind(exc), f"{method} {shown}: {_describe(exc)}")
                if last or not _worth_retrying(exc, idempotent):
                    raise error from None
                self._pause(attempt, None)
                continue
            log.debug(
                "%s %s -> %s in %d ms",
                method,
                shown,
                resp.status_code,
                (time.monotonic() - started) * 1000,
            )
            self._observed(op, "ok" if resp.status_code in expect else "error", started)
            if resp.status_code in expect:
                if len(resp.content) > MAX_REPLY_BYTES:
                    raise PlatformError(
                        ErrorKind.INVALID_REPLY,
                        f"{method} {shown}: reply larger than {MAX_REPLY_BYTES} bytes",
                        status=resp.status_code,
                    )
                return resp
            error = _status_error(resp, method, shown, sent_at)
            if last or not idempotent or resp.status_code not in RETRY_STATUSES:
                raise error
            if error.retry_after is not None and error.retry_after > self.max_retry_after:
                raise error  # busy for longer than a citizen should wait: say so now
            self._pause(attempt, error.retry_after)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _observed(self, op: str, outcome: str, started: float) -> None:
        if self.observe is not None:
            try:
                self.observe(op, outcome, time.monotonic() - started)
            except Exception:  # a metric never fails a citizen's call
                log.exception("platform call not observed")

    def _pause(self, attempt: int, retry_after: float | None) -> None:
        """Exponential backoff between attempts, or the platform's (short) Retry-After."""
        time.sleep(max(self.backoff * 2 ** (attempt - 1), retry_after or 0.0))

    @staticmethod
    def _read(resp: requests.Response, parse: Callable[[Reader], T], shown: str | None = None) -> T:
        where = f"{resp.request.method} {shown or urlsplit(resp.url).path}"
        try:
            obj = json.loads(resp.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # nested beyond reason
            raise PlatformError(
                ErrorKind.INVALID_REPLY,
                f"{where}: reply is not JSON",
                status=resp.status_code,
            ) from None
        try:
            return parse(Reader(obj, ""))
        except InvalidData as exc:
            raise PlatformError(
                ErrorKind.INVALID_REPLY, f"{where}: {exc}", status=resp.status_code
            ) from None


def _card_json(card: IdentityCard) -> dict:
    social = card.card_type is CardType.SOCIAL_SECURITY
    return {
        "card_type": card.card_type.value,
        "name": card.name or card.name_en,
        "number": card.number,
        "birth_date": card.birth_date.isoformat() if card.birth_date else None,
        "valid_to": card.valid_to.isoformat() if card.valid_to else None,
        **({"card_number": card.card_number} if social else {}),
    }


def _status_error(resp: requests.Response, method: str, shown: str, at: float) -> PlatformError:
    status = resp.status_code
    code, server_message = _error_body(resp)
    retry_after = _retry_after(resp)
    if status == 401:
        kind = ErrorKind.UNAUTHORISED
    elif status == 404:
        kind = ErrorKind.NOT_FOUND
    elif status == 429:  # too many requests: the platform is busy, the citizen did nothing wrong
        kind = ErrorKind.SERVER
    elif 400 <= status < 500:
        kind = ErrorKind.REJECTED
    elif status >= 500:
        kind = ErrorKind.SERVER
    else:  # an unexpected 2xx or 3xx: not what the contract says
        kind = ErrorKind.INVALID_REPLY
    # a refusal for eligibility may give the citizen's status as its reason (no pension, low
    # income): the code says enough for a technician, and the words stay out of the log
    said = f" ({code}: {scrub(server_message)[:120]})" if code else ""
    if code in PERSONAL_CODES:
        said = f" ({code})"
    wait = f", retry after {retry_after:g} s" if retry_after is not None else ""
    # refused for the kiosk's clock: how far off it is, and which way, is the first thing to know
    off = f"; {skew_words(resp.headers.get('Date'), at)}" if code == "clock_skew" else ""
    return PlatformError(
        kind,
        f"{method} {shown}: HTTP {status}{said}{wait}{off}",
        code=code,
        status=status,
        retry_after=retry_after,
    )


def _retry_after(resp: requests.Response) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date), None when absent or
    unreadable. Parsed by urllib3, which knows both forms."""
    value = resp.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(Retry(0).parse_retry_after(value)))
    except (InvalidHeader, ValueError, OverflowError):
        return None


def _error_body(resp: requests.Response) -> tuple[str, str]:
    try:
        r = Reader(json.loads(resp.content.decode("utf-8")), "").obj_("error")
        return r.str("code", max_len=64), r.opt_str("message", max_len=500) or ""
    except (UnicodeDecodeError, ValueError, RecursionError):  # InvalidData is a ValueError
        return "", ""


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception, what it wraps (requests → urllib3 MaxRetryError → reason), and so on."""
    seen: list[BaseException] = []
    todo: list[Any] = [exc]
    while todo:
        e = todo.pop()
        if not isinstance(e, BaseException) or any(e is s for s in seen) or len(seen) > 20:
            continue
        seen.append(e)
        todo.extend(e.args)
        todo.append(getattr(e, "reason", None))
        todo.append(e.__cause__)
        todo.append(e.__context__)
    return seen


def _transport_kind(exc: requests.RequestException) -> ErrorKind:
    causes = _causes(exc)
    if any(isinstance(c, ReadTimeoutError | requests.ReadTimeout) for c in causes):
        return ErrorKind.TIMEOUT
    if any(isinstance(c, ConnectTimeoutError | NewConnectionError) for c in causes):
        return ErrorKind.UNREACHABLE
    if isinstance(exc, requests.Timeout):
        return ErrorKind.TIMEOUT
    # a certificate that does not verify, or a key that is not pinned: no trusted connection
    # can be had, which for the kiosk is the platform being unreachable (the detail says why)
    return ErrorKind.UNREACHABLE


def _worth_retrying(exc: requests.RequestException, idempotent: bool) -> bool:
    """Connection failures and time-outs may pass; a certificate or pin that does not match
    will not, and the kiosk must not knock again and again on a stranger's door. A POST is
    tried again only when no connection was ever made, so that not a byte of it left: a
    second identity check or a second case would be a different event."""
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    if not idempotent:
        return any(isinstance(c, ConnectTimeoutError | NewConnectionError) for c in _causes(exc))
    return isinstance(exc, requests.ConnectionError | requests.Timeout)


def _describe(exc: requests.RequestException) -> str:
    """Short technician text: the innermost cause, without URLs' query strings or bodies."""
    causes = _causes(exc)
    pin = next((c for c in causes if isinstance(c, PinMismatch)), None)
    if pin is not None:
        return scrub(f"TLS: {pin}")
    unverified = next((c for c in causes if isinstance(c, ssl.SSLCertVerificationError)), None)
    if unverified is not None:
        return scrub(
            f"TLS: the platform's certificate does not verify ({unverified.verify_message}; "
            "[platform] ca_file names the province's CA)"
        )
    inner = next(
        (c for c in causes if not isinstance(c, requests.RequestException | MaxRetryError)),
        exc,
    )
    text = f"{type(exc).__name__} ({type(inner).__name__})"
    return scrub(text)
