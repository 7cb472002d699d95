"""Reference implementation of the province's shared platform (docs/platform-api.yaml).

Real HTTP on loopback and SQLite on disk, so that the kiosk's client, its retries and its
offline outbox are tested against the same bytes a gateway would send. It can be told to be
slow, to fail, to hang or to go away (``set_faults``), which is what the integration tests and
the demo panel's "network down" button use. It also stands in for the citizen's phone app
(三晋通): ``mint_token`` makes the code the app shows, ``confirm_session`` is the app's call
after scanning the kiosk's session QR (the same through ``/devkit/app/*``). It answers every
request, whatever is sent to it, with the contract's error body, and speaks HTTPS when given a
certificate (``tls_cert``).

Run alone: ``python -m devkit.platform_server --port 8600``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import random
import re
import secrets
import socket
import sqlite3
import ssl
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from devkit import case_records, people, seed
from kiosk.complaints import MAX_PHRASES, Category, phone_valid
from kiosk.identity import CardType, normalise_id_number
from kiosk.masking import mask_name, mask_token
from kiosk.models import Subject
from kiosk.ratings import CHANNEL_SELF_SERVICE_TERMINAL, DIMENSIONS, RatingLevel
from kiosk.signing import MAX_SKEW_SECONDS, SIGNED_HEADERS, Rejection, check
from kiosk.validate import InvalidData, Reader

log = logging.getLogger("devkit.platform")

DEMO_DEVICE_ID = "SX-TY-0001"
DEMO_DEVICE_KEY = b"demo-only:SX-TY-0001:2f0c9a7e5b3d41c8"
DEFAULT_VERIFY_BASE_URL = "https://yzt.shanxi.demo/v/"
DEFAULT_APP_BIND_URL = "https://yzt.shanxi.demo/app/bind"
APP_TOKEN_PREFIX = "SXT1."  # what the kiosk's QR classifier recognises as a 三晋通 token
DEFAULT_SESSION_TTL = 120.0
DEFAULT_POLL_AFTER_MS = 1000
SESSION_COLLECT_S = 60.0  # a confirmed session's ticket can be collected this long
MAX_TOKEN_TTL = 3600.0
MAX_TOKEN_LEN = 512
ACK_TOLD_SECONDS = 600.0  # a staff call's acknowledgement: in heartbeat replies this long
HEADER_TICKET = "X-Citizen-Ticket"
MAX_BODY = 4 * 1024 * 1024
MAX_DEPTH = 32  # no body of the contract is nested half as deep
MAX_RATINGS_PER_BATCH = 1000
CHINA_TZ = dt.timezone(dt.timedelta(hours=8))

# Verification codes: 16 characters, no I or O (read aloud and typed by people).
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_PATTERN = re.compile(r"[0-9A-HJ-NP-Z]{16}")
_REGION_PATTERN = re.compile(r"[0-9]{6,9}")  # ASCII: \d takes full-width digits too
_CONTENT_LENGTH = re.compile(r"[0-9]{1,12}")
# GB 32100-2015 alphabet (no I, O, S, V, Z). The check character is not enforced: some genuine
# early pilot codes fail it, so the register decides (docs/codes.md).
USCC_PATTERN = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")

MESSAGES = {
    "unsigned": "请求未签名",
    "unknown_device": "终端未登记",
    "bad_timestamp": "请求时间格式不正确",
    "clock_skew": "终端时间与平台相差超过5分钟",
    "bad_nonce": "请求随机数不正确",
    "bad_signature": "请求签名不正确",
    "bad_signature_method": "不支持该签名算法",
    "replayed_nonce": "请求重复提交",
    "bad_request": "请求内容不正确",
    "bad_json": "请求内容不是有效的JSON",
    "body_too_large": "请求内容过大",
    "batch_too_large": "单批评价不能超过1000条",
    "unknown_person": "平台中未查到该证件的登记信息",
    "card_mismatch": "证件信息与平台登记信息不一致",
    "card_expired": "证件已过有效期",
    "unsupported_method": "暂不支持该核验方式",
    "unknown_token": "身份码无效",
    "token_expired": "身份码已过期",
    "token_used": "身份码已使用",
    "malformed_uscc": "统一社会信用代码格式不正确",
    "unknown_enterprise": "平台中未查到该企业的登记信息",
    "not_enterprise": "该凭证不是企业身份核验凭证",
    "not_representative": "该证件持有人不是企业法定代表人",
    "representative_required": "须由企业法定代表人本人核验身份",
    "unknown_session": "扫码登录会话不存在",
    "session_expired": "扫码登录二维码已过期",
    "session_not_pending": "扫码登录会话已确认",
    "nonce_mismatch": "二维码内容不一致",
    "ticket_required": "缺少身份核验凭证",
    "ticket_invalid": "身份核验凭证无效",
    "ticket_expired": "身份核验已超时，请重新核验",
    "unknown_item": "未找到该事项",
    "not_eligible": "不符合该事项的办理条件",
    "pledge_required": "该事项须先确认告知承诺",
    "request_id_reused": "办件请求编号已用于其他申请",
    "malformed_code": "核验码格式不正确",
    "unknown_case": "未找到该办件",
    "not_printable": "该办件没有可打印的证明",
    "reprint_limit": "该证明今日已再次打印，每件每天限一次",
    "device_mismatch": "终端编号与签名终端不一致",
    "consent_required": "留下回访电话须经本人同意",
    "complaint_id_mismatch": "请求路径与内容中的投诉编号不一致",
    "not_found": "请求的地址不存在",
    "method_not_allowed": "不支持该请求方法",
    "uri_too_long": "请求地址过长",
    "headers_too_large": "请求头过大",
    "http_version_not_supported": "不支持该HTTP版本",
    "injected_failure": "政务服务平台暂时不可用",
    "internal": "平台内部错误",
}


# The HTTP layer's own refusals (before any route is known), by status.
HTTP_ERRORS = {
    400: "bad_request",
    414: "uri_too_long",
    431: "headers_too_large",
    505: "http_version_not_supported",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str = "",
        detail: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message or MESSAGES.get(code, code)
        self.detail = detail
        self.headers = headers

    def reply(self) -> _Reply:
        return _Reply(self.status, self.body(), self.headers)

    def body(self) -> dict:
        err = {"code": self.code, "message": self.message}
        if self.detail:
            err["detail"] = self.detail
        return {"error": err}


REPLY_FAULTS = ("", "malformed_json", "wrong_schema")


@dataclass(frozen=True)
class Faults:
    latency_ms: int = 0
    failure_rate: float = 0.0
    failure_status: int = 503
    mode: str = "normal"  # normal | hang | refuse
    count: int = 0  # latency and failures for the next `count` requests only (0: until changed)
    retry_after_s: int | None = None  # injected 429 and 503 say Retry-After: this many seconds
    reply: str = ""  # "" | malformed_json | wrong_schema: the request is handled, its reply spoilt
    path: str = ""  # only requests whose path starts with this (e.g. /v1/cases); "" for all

    def __post_init__(self) -> None:
        if self.mode not in ("normal", "hang", "refuse"):
            raise ValueError(f"unknown fault mode {self.mode!r}")
        if self.reply not in REPLY_FAULTS:
            raise ValueError(f"unknown reply fault {self.reply!r}")
        if self.path and (not self.path.startswith("/v1/") or self.mode == "refuse"):
            raise ValueError("path is a /v1/ path prefix, and refuse takes every path away")
        if self.count < 0 or (self.count and self.mode != "normal"):
            raise ValueError("count is for latency and failures: a number of requests, >= 0")
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError("failure_rate must be within 0..1")
        if not 400 <= self.failure_status <= 599:
            raise ValueError("failure_status must be an HTTP error status")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.retry_after_s is not None and self.retry_after_s < 0:
            raise ValueError("retry_after_s must not be negative")


@dataclass(frozen=True)
class DeliveryCounts:
    """What the platform saw of rating deliveries. The kiosk delivers at least once (an answer
    lost to a crash or the network means the batch goes again), so duplicates delivered are
    allowed; the platform keeps exactly one of each, so duplicates stored must be 0."""

    requests: int  # PUT /v1/ratings calls that carried at least one record
    deliveries: int  # rating records received, every attempt counted
    duplicates_delivered: int  # deliveries of a rating id received before
    stored: int  # rating rows stored
    duplicates_stored: int  # rows beyond the first for a rating id


@dataclass
class _Reply:
    status: int
    body: Any = None  # dict -> JSON; bytes -> as is; None -> no body
    headers: dict[str, str] | None = None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subjects (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE, birth TEXT NOT NULL DEFAULT '', accounts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    item_code TEXT PRIMARY KEY, key TEXT NOT NULL, position INTEGER NOT NULL,
    subject TEXT NOT NULL, requires TEXT, published INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS tickets (
    ticket TEXT PRIMARY KEY, subject_id INTEGER NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS cases (
    id INTEGER PRIMARY KEY, case_no TEXT NOT NULL UNIQUE, device_id TEXT NOT NULL,
    request_id TEXT NOT NULL, item_code TEXT NOT NULL, subject_id INTEGER NOT NULL,
    case_kind TEXT NOT NULL, created_at TEXT NOT NULL, promised_date TEXT,
    document TEXT NOT NULL, UNIQUE (device_id, request_id));
CREATE TABLE IF NOT EXISTS certificates (
    code TEXT PRIMARY KEY, case_no TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL,
    holder_name TEXT NOT NULL, department TEXT NOT NULL, issued_on TEXT NOT NULL,
    valid_until TEXT, status TEXT NOT NULL DEFAULT 'valid');
-- No unique key on rating_id or (case_no, rating_count): the server's own check answers a
-- known id as a duplicate, so a broken check would show as a second row, and the crash test
-- (tests/integration/test_crash_safety.py) would see it.
CREATE TABLE IF NOT EXISTS ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT, rating_id TEXT NOT NULL, case_no TEXT NOT NULL,
    rating_count INTEGER NOT NULL, device_id TEXT NOT NULL, received_at TEXT NOT NULL,
    record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ratings_by_id ON ratings (rating_id);
CREATE INDEX IF NOT EXISTS ratings_by_case ON ratings (case_no, rating_count);
-- Every rating record received, once per attempt: a retry after a lost answer shows here.
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY, rating_id TEXT NOT NULL, request INTEGER NOT NULL,
    received_at TEXT NOT NULL, outcome TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_by_rating ON deliveries (rating_id);
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY, last_seen TEXT NOT NULL, sent_at TEXT NOT NULL,
    status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS device_events (
    device_id TEXT NOT NULL, event_id TEXT NOT NULL, received_at TEXT NOT NULL,
    event TEXT NOT NULL, PRIMARY KEY (device_id, event_id));
-- Staff calls acknowledged in the hall's system: told to the calling kiosk in heartbeat replies.
CREATE TABLE IF NOT EXISTS staff_acks (
    device_id TEXT NOT NULL, call_id TEXT NOT NULL, acknowledged_at REAL NOT NULL,
    PRIMARY KEY (device_id, call_id));
CREATE TABLE IF NOT EXISTS app_tokens (
    token_hash TEXT PRIMARY KEY, subject_id INTEGER NOT NULL, expires_at REAL NOT NULL,
    used_at REAL);
CREATE TABLE IF NOT EXISTS identity_sessions (
    session_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, nonce_hash TEXT NOT NULL,
    created_at REAL NOT NULL, expires_at REAL NOT NULL, status TEXT NOT NULL,
    subject_id INTEGER, confirmed_at REAL);
CREATE TABLE IF NOT EXISTS representatives (
    ticket TEXT PRIMARY KEY, person_id INTEGER NOT NULL, confirmed_at REAL NOT NULL);
-- The hall's queuing system: the last number given per window and day.
CREATE TABLE IF NOT EXISTS queue_numbers (
    window TEXT NOT NULL, day TEXT NOT NULL, last INTEGER NOT NULL, called INTEGER NOT NULL,
    PRIMARY KEY (window, day));
-- 投诉与建议, one row per complaint_id (PUT is idempotent by it); the callback number is the
-- platform's to keep, not the kiosk's.
CREATE TABLE IF NOT EXISTS complaints (
    complaint_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, received_at TEXT NOT NULL,
    record TEXT NOT NULL, deliveries INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS nonces (
    device_id TEXT NOT NULL, nonce TEXT NOT NULL, spent_at REAL NOT NULL,
    PRIMARY KEY (device_id, nonce));
"""


class _Store:
    """SQLite behind one lock: the reference server favours simple and correct over parallel."""

    def __init__(self, path: Path) -> None:
        self.lock = threading.RLock()
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self._set_aside_old_ratings()
        self.db.executescript(_SCHEMA)
        self._bring_back_old_ratings()
        self._nonce_inserts = 0

    def _set_aside_old_ratings(self) -> None:
        """A file from an older server keyed ratings by rating_id (no duplicate could be
        stored, so none could be seen): set aside, copied into the new table once it exists."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(ratings)")}
        if columns and "id" not in columns:
            self.db.execute("ALTER TABLE ratings RENAME TO ratings_v1")

    def _bring_back_old_ratings(self) -> None:
        if not self.db.execute("SELECT 1 FROM sqlite_master WHERE name='ratings_v1'").fetchone():
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(
                "INSERT INTO ratings (rating_id, case_no, rating_count, device_id, received_at,"
                " record) SELECT rating_id, case_no, rating_count, device_id, received_at, record"
                " FROM ratings_v1 ORDER BY rowid"
            )
            self.db.execute("DROP TABLE ratings_v1")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def seed(self, citizens: Iterable[people.DemoCitizen] = people.CITIZENS) -> str:
        """Insert the demo data (idempotent) and return the server's secret for rater refs."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                row = self.db.execute("SELECT value FROM meta WHERE key='secret'").fetchone()
                secret = row["value"] if row else secrets.token_hex(32)
                self.db.execute("INSERT OR IGNORE INTO meta VALUES ('secret', ?)", (secret,))
                self.add_citizens(citizens)
                for e in people.ENTERPRISES:
                    self._upsert_subject(Subject.ENTERPRISE, e.key, e.name, e.uscc, "", e.accounts)
                for item in seed.ITEMS:
                    self.db.execute(
                        "INSERT INTO items (item_code, key, position, subject, requires) "
                        "VALUES (?,?,?,?,?) ON CONFLICT(item_code) DO UPDATE SET key=excluded.key,"
                        " position=excluded.position, subject=excluded.subject,"
                        " requires=excluded.requires",
                        (item.item_code, item.key, item.seq, item.subject.value, item.requires),
                    )
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            return secret

    def add_citizens(self, citizens: Iterable[people.DemoCitizen]) -> None:
        """Register people (inside the caller's transaction, or on their own)."""
        for c in citizens:
            # a foreign resident's card may carry only the English name: the kiosk sends that
            name = c.name or c.name_en
            self._upsert_subject(Subject.PERSON, c.key, name, c.number, c.birth, c.accounts)

    def _upsert_subject(
        self, kind: Subject, key: str, name: str, number: str, birth: str, accounts: frozenset[str]
    ) -> None:
        self.db.execute(
            "INSERT INTO subjects (kind, key, name, number, birth, accounts) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(key) DO UPDATE SET kind=excluded.kind, name=excluded.name,"
            " number=excluded.number, birth=excluded.birth, accounts=excluded.accounts",
            (kind.value, key, name, number, birth, json.dumps(sorted(accounts))),
        )

    def query(self, sql: str, args: tuple | list = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    def one(self, sql: str, args: tuple | list = ()) -> sqlite3.Row | None:
        with self.lock:
            return self.db.execute(sql, args).fetchone()

    def execute(self, sql: str, args: tuple | list = ()) -> None:
        with self.lock:
            self.db.execute(sql, args)

    def nonce_spent(self, device_id: str, nonce: str) -> bool:
        return (
            self.one("SELECT 1 FROM nonces WHERE device_id=? AND nonce=?", (device_id, nonce))
            is not None
        )

    def spend_nonce(self, device_id: str, nonce: str, now: float) -> None:
        with self.lock:
            self.db.execute("INSERT OR IGNORE INTO nonces VALUES (?,?,?)", (device_id, nonce, now))
            self._nonce_inserts += 1
            if self._nonce_inserts % 500 == 0:  # a spent nonce matters only within the skew
                self.db.execute(
                    "DELETE FROM nonces WHERE spent_at < ?", (now - 3 * MAX_SKEW_SECONDS,)
                )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a hall of kiosks (or a test's threads) connecting at once
    platform: ReferencePlatform
    tls: ssl.SSLContext | None = None

    def get_request(self):
        sock, address = super().get_request()
        if self.tls is not None:  # the handshake happens in the request's own thread
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address) -> None:
        # a client that gave up mid-handshake or mid-request: nothing to answer, nothing to print
        log.debug("connection from %s ended early", client_address[0], exc_info=True)

    def process_request(self, request, client_address):
        self.platform._track(request, add=True)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        self.platform._track(request, add=False)
        super().shutdown_request(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server_version = "ReferencePlatform/1.0"
    timeout = 60
    server: _Server

    def do_GET(self) -> None:
        self.server.platform._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.platform._handle(self, "POST")

    def do_PUT(self) -> None:
        self.server.platform._handle(self, "PUT")

    def do_DELETE(self) -> None:
        self.server.platform._handle(self, "DELETE")

    def __getattr__(self, name: str) -> Any:
        # any other method (PATCH, HEAD, OPTIONS, anything) gets the contract's answer too,
        # instead of the standard library's HTML 501
        if name.startswith("do_"):
            return lambda: self.server.platform._handle(self, name[3:])
        raise AttributeError(name)

    def setup(self) -> None:
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's own refusals (a malformed request line, too many headers…)
        in the contract's error body, not its HTML page."""
        self.close_connection = True
        code_name = HTTP_ERRORS.get(code, "bad_request" if code < 500 else "internal")
        reply = ApiError(code, code_name, headers={"Connection": "close"}).reply()
        self.server.platform._send(self, reply)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # each call is logged by the platform, without the query string


class ReferencePlatform:
    """The province's platform, in-process, on 127.0.0.1 (see docs/platform-api.yaml)."""

    def __init__(
        self,
        db_path: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        devices: dict[str, bytes] | None = None,
        today: Callable[[], dt.date] | None = None,
        verify_base_url: str = DEFAULT_VERIFY_BASE_URL,
        ticket_ttl: int = 900,
        session_ttl: float = DEFAULT_SESSION_TTL,
        app_bind_url: str = DEFAULT_APP_BIND_URL,
        poll_after_ms: int = DEFAULT_POLL_AFTER_MS,
        tls_cert: Path | str | None = None,
        tls_key: Path | str | None = None,
        citizens: Iterable[people.DemoCitizen] = (),
    ) -> None:
        """``tls_cert``: a PEM file with the server's certificate chain (and its key, unless
        ``tls_key`` names another file); the platform then speaks HTTPS only. ``citizens``:
        people registered besides the demo's own (devkit.people.synthetic_citizens; see also
        ``register``)."""
        self._tmpdir: tempfile.TemporaryDirectory | None = None
        if db_path is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="refplatform-")
            db_path = Path(self._tmpdir.name) / "platform.db"
        self.db_path = Path(db_path)
        self.host = host
        self.port = port
        self.devices: dict[str, bytes] = dict(devices or {DEMO_DEVICE_ID: DEMO_DEVICE_KEY})
        self.today = today or dt.date.today
        self.verify_base_url = verify_base_url
        self.ticket_ttl = ticket_ttl
        self.session_ttl = session_ttl  # may be changed while running (tests, demo)
        self.app_bind_url = app_bind_url
        self.poll_after_ms = poll_after_ms
        self._citizens = {c.key: c for c in (*people.CITIZENS, *citizens)}
        self._store: _Store | None = None
        self._secret = b""
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None
        if tls_cert is not None:
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(str(tls_cert), str(tls_key) if tls_key else None)
        self._faults = Faults()
        self._fault_left = 0  # requests still to fault, for Faults.count
        self._fault_cond = threading.Condition()
        # one change of faults at a time, listening and unlistening included; a change
        # scheduled for later (a timer) applies only if nothing changed since (generation)
        self._fault_change = threading.RLock()
        self._fault_generation = 0
        self._fault_timer: threading.Timer | None = None
        self._rng = random.Random(20240601)
        self._stopping = threading.Event()
        self._inflight: set[tuple[str, str]] = set()
        self._inflight_lock = threading.Lock()
        self._calls: deque[tuple[str, str, int]] = deque(maxlen=20_000)
        self._catalogue_body = b""
        self._catalogue_etag = ""
        self.queue_available = True  # the hall's queuing system answers (/devkit/queue)

    # ---- life cycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://{self.host}:{self.port}"

    def start(self) -> str:
        self._store = _Store(self.db_path)
        self._secret = self._store.seed(self._citizens.values()).encode()
        case_records.create_tables(self._store.db)
        with self._store.lock:
            case_records.add_history(
                self._store.db,
                self.today(),
                lambda key: seed.holder_of_citizen(self._citizens[key]),
                self._new_code,
                self.verify_base_url,
            )
        self._build_catalogue()
        self._stopping.clear()
        self._listen()
        log.info("reference platform listening on %s", self.url)
        return self.url

    def stop(self) -> None:
        self._stopping.set()
        with self._fault_change:
            self._fault_generation += 1
            if self._fault_timer is not None:
                self._fault_timer.cancel()
            with self._fault_cond:
                self._faults = Faults()
                self._fault_cond.notify_all()
            self._unlisten()
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> ReferencePlatform:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _listen(self) -> None:
        """Listen, unless listening already (idempotent: a fault may be set twice)."""
        if self._httpd is not None:
            return
        httpd = _Server((self.host, self.port), _Handler)
        httpd.platform = self
        httpd.tls = self._tls
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"refplatform:{self.port}",
            daemon=True,
        )
        self._thread.start()

    def _unlisten(self) -> None:
        """Stop listening and cut every open connection; nothing to do when not listening."""
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._conns_lock:
            conns = list(self._conns)
            self._conns.clear()
        for conn in conns:  # keep-alive connections would otherwise outlive the "outage"
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._conns_lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    # ---- control (Python API; the same through /devkit/*) ------------------------------------

    def set_faults(
        self,
        latency_ms: int = 0,
        failure_rate: float = 0.0,
        failure_status: int = 503,
        mode: str = "normal",
        duration_s: float | None = None,
        count: int = 0,
        retry_after_s: int | None = None,
        reply: str = "",
        path: str = "",
    ) -> None:
        """Make /v1 slow, failing, hanging or unreachable, or spoil its replies (``reply``:
        malformed_json cuts the JSON in half, wrong_schema wraps it in a gateway's envelope);
        ``duration_s`` reverts to normal, ``count`` limits the faults to that many requests,
        ``path`` to the requests whose path starts with it. The last call wins, from whatever
        thread: changes are serialised, and one scheduled earlier is dropped."""
        faults = Faults(
            int(latency_ms),
            float(failure_rate),
            int(failure_status),
            mode,
            int(count),
            retry_after_s,
            reply,
            path,
        )
        with self._fault_change:
            self._fault_generation += 1
            self._apply_faults(faults, duration_s)

    def _apply_faults(self, faults: Faults, duration_s: float | None) -> None:
        if self._fault_timer is not None:
            self._fault_timer.cancel()
            self._fault_timer = None
        with self._fault_cond:
            self._faults = faults
            self._fault_left = faults.count
            self._rng = random.Random(20240601)
            self._fault_cond.notify_all()
        if faults.mode == "refuse":
            self._unlisten()
        elif self._store is not None and not self._stopping.is_set():
            self._listen()
        if duration_s:
            self._schedule_faults(duration_s, {})
        log.info("faults now %s", faults)

    def _schedule_faults(self, delay: float, faults: dict[str, Any]) -> None:
        """Apply ``faults`` after ``delay`` unless they were changed meanwhile."""
        generation = self._fault_generation

        def later() -> None:
            with self._fault_change:
                if generation != self._fault_generation or self._stopping.is_set():
                    return
                self._fault_generation += 1
                duration = faults.get("duration_s")
                self._apply_faults(
                    Faults(**{k: v for k, v in faults.items() if k != "duration_s"}), duration
                )

        if self._fault_timer is not None:
            self._fault_timer.cancel()
        self._fault_timer = threading.Timer(delay, later)
        self._fault_timer.daemon = True
        self._fault_timer.start()

    def _take_faults(self, path: str) -> Faults:
        """The faults for one request; faults set for ``count`` requests end after them, and
        faults for one path leave the others alone (and uncounted)."""
        with self._fault_cond:
            faults = self._faults
            if faults.path and not path.startswith(faults.path):
                return Faults()
            if faults.count:
                self._fault_left -= 1
                if self._fault_left <= 0:
                    self._faults = Faults()
                    self._fault_cond.notify_all()
            return faults

    @property
    def faults(self) -> Faults:
        return self._faults

    def register(self, citizens: Iterable[people.DemoCitizen]) -> None:
        """More people the platform knows (their cards verify, their items are given), now or
        at start. Kept in memory too: a certificate is written from the person's record."""
        citizens = list(citizens)
        self._citizens.update((c.key, c) for c in citizens)
        if self._store is not None:
            with self.store.lock:
                self.store.add_citizens(citizens)

    def add_device(self, device_id: str, key: bytes) -> None:
        self.devices[device_id] = key

    def revoke(self, code: str) -> bool:
        """Revoke a certificate (e.g. issued in error). Returns False when the code is unknown."""
        with self.store.lock:
            row = self.store.one("SELECT 1 FROM certificates WHERE code=?", (code.upper(),))
            if row is None:
                return False
            self.store.execute(
                "UPDATE certificates SET status='revoked' WHERE code=?", (code.upper(),)
            )
            return True

    def expire(self, code: str) -> bool:
        """Move a certificate's validity to yesterday, so that verification says expired."""
        yesterday = (self.today() - dt.timedelta(days=1)).isoformat()
        with self.store.lock:
            row = self.store.one("SELECT 1 FROM certificates WHERE code=?", (code.upper(),))
            if row is None:
                return False
            self.store.execute(
                "UPDATE certificates SET valid_until=? WHERE code=?", (yesterday, code.upper())
            )
            return True

    def mint_token(self, citizen_key: str, ttl_s: float = 120) -> str:
        """What the citizen's phone app (三晋通) shows: a single-use opaque token.

        Only its keyed hash is stored, so the database never holds a usable token.
        """
        if not 0 <= ttl_s <= MAX_TOKEN_TTL:
            raise ApiError(400, "bad_request", detail=f"ttl_s: outside 0..{MAX_TOKEN_TTL:g}")
        person = self._person_by_key(citizen_key)
        token = APP_TOKEN_PREFIX + secrets.token_urlsafe(24)
        now = time.time()
        with self.store.lock:
            self.store.execute("DELETE FROM app_tokens WHERE expires_at < ?", (now - 3600,))
            self.store.execute(
                "INSERT INTO app_tokens VALUES (?,?,?,NULL)",
                (self._keyed_hash("token", token), person["id"], now + ttl_s),
            )
        return token

    def confirm_session(self, session_id: str, citizen_key: str, nonce: str | None = None) -> None:
        """The phone app's authenticated call after scanning the kiosk's session QR.

        ``nonce`` is the ``n`` parameter of the QR content: the proof that the app read this
        kiosk's screen. The Python API may omit it (tests and the demo panel stand in for the
        app); the HTTP path requires it. Raises ApiError (unknown_session, nonce_mismatch,
        session_expired, session_not_pending, unknown_person).
        """
        now = time.time()
        with self.store.lock:
            row = self.store.one(
                "SELECT * FROM identity_sessions WHERE session_id=?", (session_id,)
            )
            if row is None:
                raise ApiError(404, "unknown_session")
            if nonce is not None and not hmac.compare_digest(
                self._keyed_hash("nonce", nonce), row["nonce_hash"]
            ):
                raise ApiError(403, "nonce_mismatch")
            status = _session_status(row, now)
            if status == "expired":
                raise ApiError(410, "session_expired")
            if status != "pending":
                raise ApiError(409, "session_not_pending")
            person = self._person_by_key(citizen_key)
            self.store.execute(
                "UPDATE identity_sessions SET status='confirmed', subject_id=?, confirmed_at=?"
                " WHERE session_id=?",
                (person["id"], now, session_id),
            )

    def _person_by_key(self, citizen_key: str) -> sqlite3.Row:
        row = self.store.one(
            "SELECT * FROM subjects WHERE key=? AND kind='person'", (str(citizen_key),)
        )
        if row is None:
            raise ApiError(404, "unknown_person")
        return row

    def _keyed_hash(self, purpose: str, value: str) -> str:
        """Tokens and nonces are stored as HMACs with the server secret, never in clear."""
        return hmac.new(self._secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def ratings(self) -> list[dict]:
        rows = self.store.query("SELECT record, received_at FROM ratings ORDER BY id")
        return [{**json.loads(r["record"]), "received_at": r["received_at"]} for r in rows]

    def complaints(self) -> list[dict]:
        """Complaints received, oldest first, each with how often it was delivered."""
        rows = self.store.query(
            "SELECT record, received_at, deliveries FROM complaints ORDER BY rowid"
        )
        return [
            {
                **json.loads(r["record"]),
                "received_at": r["received_at"],
                "deliveries": r["deliveries"],
            }
            for r in rows
        ]

    def delivery_counts(self) -> DeliveryCounts:
        """How often ratings arrived and how often they were stored (see DeliveryCounts)."""
        with self.store.lock:
            d = self.store.one(
                "SELECT count(DISTINCT request) AS requests, count(*) AS deliveries,"
                " count(DISTINCT rating_id) AS ids FROM deliveries"
            )
            r = self.store.one(
                "SELECT count(*) AS n, count(DISTINCT rating_id) AS ids FROM ratings"
            )
        return DeliveryCounts(
            requests=d["requests"],
            deliveries=d["deliveries"],
            duplicates_delivered=d["deliveries"] - d["ids"],
            stored=r["n"],
            duplicates_stored=r["n"] - r["ids"],
        )

    def cases(self) -> list[dict]:
        """The cases kiosks made (the demo's past cases, applied for at a window, left out)."""
        rows = self.store.query(
            "SELECT c.case_no, c.item_code, c.case_kind, c.device_id, c.request_id, c.created_at,"
            " c.promised_date, f.code, f.status FROM cases c"
            " LEFT JOIN certificates f ON f.case_no = c.case_no WHERE c.device_id != ?"
            " ORDER BY c.id",
            (case_records.HALL_DEVICE,),
        )
        return [
            {
                "case_no": r["case_no"],
                "item_code": r["item_code"],
                "item_name": seed.BY_CODE[r["item_code"]].name,
                "case_kind": r["case_kind"],
                "device_id": r["device_id"],
                "request_id": r["request_id"],
                "created_at": r["created_at"],
                "promised_date": r["promised_date"],
                "verification_code": r["code"],
                "document_status": r["status"],
            }
            for r in rows
        ]

    def devices_seen(self) -> list[dict]:
        rows = self.store.query("SELECT * FROM devices ORDER BY device_id")
        return [
            {
                "device_id": r["device_id"],
                "last_seen": r["last_seen"],
                "sent_at": r["sent_at"],
                "status": json.loads(r["status"]),
            }
            for r in rows
        ]

    def device_events(self, event: str | None = None) -> list[dict]:
        """Device events received in heartbeats (staff alerts, staff calls), oldest first."""
        rows = self.store.query("SELECT * FROM device_events ORDER BY rowid")
        out = [{"device_id": r["device_id"], **json.loads(r["event"])} for r in rows]
        return [e for e in out if event is None or e.get("event") == event]

    def acknowledge_call(self, call_id: str) -> bool:
        """Hall staff acknowledge a kiosk's staff call (what their console would do): the
        kiosk hears it in its next heartbeat's reply. False when no such call was received."""
        call = next(
            (e for e in self.device_events("call_staff") if e.get("call_id") == call_id), None
        )
        if call is None:
            return False
        self.store.execute(
            "INSERT OR IGNORE INTO staff_acks VALUES (?,?,?)",
            (call["device_id"], call_id, time.time()),
        )
        return True

    def state(self) -> dict:
        def count(table: str, where: str = "") -> int:
            return self.store.one(f"SELECT COUNT(*) AS n FROM {table} {where}")["n"]

        return {
            "url": self.url,
            "items": count("items", "WHERE published=1"),
            "citizens": count("subjects", "WHERE kind='person'"),
            "enterprises": count("subjects", "WHERE kind='enterprise'"),
            "tickets_active": count("tickets", f"WHERE expires_at > {time.time()}"),
            "app_tokens_unused": count(
                "app_tokens", f"WHERE used_at IS NULL AND expires_at > {time.time()}"
            ),
            "identity_sessions": count("identity_sessions"),
            "cases": count("cases"),
            "certificates": count("certificates"),
            "ratings": count("ratings"),
            "complaints": count("complaints"),
            "devices": count("devices"),
            "faults": asdict(self._faults),
        }

    def call_log(self) -> list[tuple[str, str, int]]:
        """(method, path without query, status) of every /v1 call seen; 0 = never answered."""
        return list(self._calls)

    def clear_call_log(self) -> None:
        self._calls.clear()

    @property
    def store(self) -> _Store:
        if self._store is None:
            raise RuntimeError("the reference platform is not started")
        return self._store

    # ---- HTTP ----------------------------------------------------------------------------------

    def _handle(self, h: _Handler, method: str) -> None:
        """Every request gets an answer in the contract's shape, whatever went wrong inside."""
        try:
            self._answer(h, method)
        except Exception:
            log.exception("unexpected error on %s %s", method, _log_path(urlsplit(h.path).path))
            h.close_connection = True
            self._send(h, _Reply(500, ApiError(500, "internal").body(), {"Connection": "close"}))

    def _answer(self, h: _Handler, method: str) -> None:
        raw_path = h.path
        path = urlsplit(raw_path).path
        length_text = h.headers.get("Content-Length") or "0"
        if not _CONTENT_LENGTH.fullmatch(length_text):  # ASCII digits only, like every number
            h.close_connection = True  # where this body ends is anybody's guess
            error = ApiError(400, "bad_request", detail="Content-Length: not a length")
            self._send(h, error.reply())
            return
        length = int(length_text)
        if length > MAX_BODY:
            h.close_connection = True
            self._send(h, _Reply(413, ApiError(413, "body_too_large").body()))
            return
        body = h.rfile.read(length) if length else b""

        if path.startswith("/devkit/"):
            self._send(h, self._devkit(method, path, body))
            return
        if not path.startswith("/v1/"):
            self._send(h, _Reply(404, ApiError(404, "not_found").body()))
            return

        started = time.monotonic()
        if self._faults.mode == "refuse" or self._httpd is None or self._stopping.is_set():
            h.close_connection = True  # a connection that outlived the outage
            self._calls.append((method, path, 0))
            return
        reply = self._signed(h, method, raw_path, path, body)
        # logged before the answer leaves, so a client that has its answer sees the call logged
        self._calls.append((method, path, reply.status))
        if reply.status == 0:
            h.close_connection = True
        else:
            self._send(h, reply)
        log.debug(
            "%s %s -> %s in %d ms",
            method,
            _log_path(path),
            reply.status,
            (time.monotonic() - started) * 1000,
        )

    def _injected(self, faults: Faults) -> _Reply | None:
        """A failure or a hang instead of the answer (the request is not processed)."""
        if faults.mode == "hang":
            with self._fault_cond:
                while self._faults.mode == "hang" and not self._stopping.is_set():
                    self._fault_cond.wait(0.5)
            return _Reply(0)
        if faults.failure_rate:
            with self._fault_cond:
                fail = self._rng.random() < faults.failure_rate
            if fail:
                busy = faults.retry_after_s is not None and faults.failure_status in (429, 503)
                headers = {"Retry-After": str(faults.retry_after_s)} if busy else None
                return ApiError(faults.failure_status, "injected_failure", headers=headers).reply()
        return None

    def _signed(self, h: _Handler, method: str, raw_path: str, path: str, body: bytes) -> _Reply:
        """Check the signature and spend the nonce as the contract says, and only then let the
        injected faults in: a slow answer comes from a request the platform did handle (and
        whose nonce is spent), exactly what a client's retry meets in real life."""
        headers = {name: h.headers.get(name, "") for name in SIGNED_HEADERS}
        verdict = check(headers, self.devices.get, method, raw_path, body)
        if isinstance(verdict, Rejection):
            return _Reply(verdict.status, ApiError(verdict.status, verdict.code).body())
        device_id, nonce = verdict
        key = (device_id, nonce)
        with self._inflight_lock:
            if key in self._inflight or self.store.nonce_spent(device_id, nonce):
                return _Reply(401, ApiError(401, "replayed_nonce").body())
            self._inflight.add(key)
        faults = self._take_faults(path)
        reply = _Reply(500, ApiError(500, "internal").body())
        try:
            reply = self._injected(faults) or self._route(h, method, path, body, device_id)
        except ApiError as e:
            reply = e.reply()
        except Exception:
            log.exception("unexpected error on %s %s", method, _log_path(path))
        finally:
            with self._inflight_lock:
                self._inflight.discard(key)
                if 0 < reply.status < 500 and self._store is not None:
                    self._store.spend_nonce(device_id, nonce, time.time())
        if faults.reply:  # handled as asked (the case is made), then the answer is spoilt
            reply = _spoilt(reply, faults.reply)
        if faults.latency_ms and reply.status:
            self._stopping.wait(faults.latency_ms / 1000)  # handled, answered late
        return reply

    def _send(self, h: _Handler, reply: _Reply) -> None:
        try:
            h.send_response(reply.status)
            for name, value in (reply.headers or {}).items():
                h.send_header(name, value)
            if reply.status in (204, 304):
                h.end_headers()
                return
            if isinstance(reply.body, bytes):
                data = reply.body
            elif reply.body is None:
                data = b""
            else:
                data = json.dumps(reply.body, ensure_ascii=False).encode()
            h.send_header("Content-Type", "application/json; charset=utf-8")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            if h.command != "HEAD":  # a HEAD answer has the headers of one, never the body
                h.wfile.write(data)
        except OSError:
            h.close_connection = True

    # ---- routes -------------------------------------------------------------------------------

    def _route(self, h: _Handler, method: str, path: str, body: bytes, device_id: str) -> _Reply:
        parts = [unquote(s) for s in path.split("/")[2:]]  # after "/v1/"
        ticket = h.headers.get(HEADER_TICKET)
        routes: dict[tuple[str, ...], dict[str, Callable[[], _Reply]]] = {}
        if parts == ["identity", "verify"]:
            routes = {"POST": lambda: self._verify_identity(_json(body))}
        elif parts == ["identity", "sessions"]:
            routes = {"POST": lambda: self._start_session(_json(body), device_id)}
        elif len(parts) == 3 and parts[:2] == ["identity", "sessions"]:
            routes = {"GET": lambda: self._poll_session(parts[2], device_id)}
        elif parts == ["identity", "representative"]:
            routes = {"POST": lambda: self._confirm_representative(_json(body), ticket)}
        elif parts == ["citizen", "items"]:
            routes = {"GET": lambda: self._citizen_items(ticket)}
        elif len(parts) == 3 and parts[0] == "items" and parts[2] == "guide":
            routes = {"GET": lambda: self._guide(parts[1], ticket)}
        elif parts == ["cases"]:
            routes = {"POST": lambda: self._submit(_json(body), ticket, device_id)}
        elif parts == ["citizen", "cases"]:
            routes = {"GET": lambda: self._citizen_cases(ticket)}
        elif len(parts) == 5 and parts[:2] == ["citizen", "cases"] and parts[3] == "reprints":
            routes = {"PUT": lambda: self._reprint(parts[2], parts[4], ticket, device_id)}
        elif parts == ["queue", "tickets"]:
            routes = {"POST": lambda: self._queue_ticket(_json(body))}
        elif len(parts) == 2 and parts[0] == "certificates":
            routes = {"GET": lambda: self._verify_certificate(parts[1])}
        elif parts == ["catalogue"]:
            routes = {"GET": lambda: self._catalogue(h.headers.get("If-None-Match", ""))}
        elif parts == ["ratings"]:
            routes = {"PUT": lambda: self._ratings(_json(body), device_id)}
        elif len(parts) == 2 and parts[0] == "complaints":
            routes = {"PUT": lambda: self._complaint(parts[1], _json(body), device_id)}
        elif len(parts) == 3 and parts[0] == "devices" and parts[2] == "heartbeat":
            routes = {"PUT": lambda: self._heartbeat(parts[1], _json(body), device_id)}
        else:
            raise ApiError(404, "not_found")
        if method not in routes:
            allow = ", ".join(sorted(routes))
            raise ApiError(405, "method_not_allowed", headers={"Allow": allow})
        return routes[method]()

    def rater_ref(self, number: str) -> str:
        """Opaque and stable per person; not reversible without the server's secret."""
        return "R" + hmac.new(self._secret, number.encode(), hashlib.sha256).hexdigest()[:31]

    def _verify_identity(self, body: Any) -> _Reply:
        r = _reader(body)
        method = _field(lambda: r.str("method", max_len=30))
        if method in ("id_card", "social_security_card"):
            card = _field(lambda: r.obj_("card"))
            return _Reply(200, self._open_ticket(self._match_card(card, method)))
        if method == "qr_token":
            token = _field(lambda: r.str("token", max_len=MAX_TOKEN_LEN)).strip()
            return _Reply(200, self._open_ticket(self._redeem_token(token)))
        if method == "uscc":
            uscc = _field(lambda: r.str("uscc", max_len=40)).strip().upper()
            if not USCC_PATTERN.fullmatch(uscc):
                raise ApiError(400, "malformed_uscc")
            row = self.store.one(
                "SELECT * FROM subjects WHERE number=? AND kind='enterprise'", (uscc,)
            )
            if row is None:
                raise ApiError(404, "unknown_enterprise")
            return _Reply(200, self._open_ticket(row))
        raise ApiError(400, "unsupported_method")

    def _match_card(self, card: Reader, method: str) -> sqlite3.Row:
        """The registered person a card belongs to, or why the card is refused."""
        card_type = _field(lambda: card.choice("card_type", [t.value for t in CardType]))
        if (method == "social_security_card") != (card_type == CardType.SOCIAL_SECURITY.value):
            raise ApiError(400, "bad_request", detail="card.card_type: disagrees with method")
        if method == "social_security_card":
            _field(lambda: card.str("card_number", max_len=20))
        name = _field(lambda: card.str("name", max_len=100)).strip()
        number = normalise_id_number(_field(lambda: card.str("number", max_len=30)))
        birth = _field(lambda: card.opt_date("birth_date"))
        valid_to = _field(lambda: card.opt_date("valid_to"))
        row = self.store.one("SELECT * FROM subjects WHERE number=? AND kind='person'", (number,))
        if row is None:
            raise ApiError(404, "unknown_person")
        if row["name"] != name or (birth is not None and birth.strftime("%Y%m%d") != row["birth"]):
            raise ApiError(403, "card_mismatch")
        if valid_to is not None and valid_to < self.today():
            raise ApiError(403, "card_expired")
        return row

    def _redeem_token(self, token: str) -> sqlite3.Row:
        """Single use: the first redemption wins, under the store lock."""
        digest = self._keyed_hash("token", token)
        now = time.time()
        with self.store.lock:
            row = self.store.one("SELECT * FROM app_tokens WHERE token_hash=?", (digest,))
            if row is None:
                raise ApiError(404, "unknown_token")
            if row["used_at"] is not None:
                raise ApiError(409, "token_used")
            if now >= row["expires_at"]:
                raise ApiError(410, "token_expired")
            self.store.execute("UPDATE app_tokens SET used_at=? WHERE token_hash=?", (now, digest))
            subject = self.store.one("SELECT * FROM subjects WHERE id=?", (row["subject_id"],))
        if subject is None:  # the register lost the person since the token was minted
            raise ApiError(404, "unknown_token")
        return subject

    def _open_ticket(self, subject: sqlite3.Row) -> dict:
        ticket = secrets.token_urlsafe(32)
        now = time.time()
        expires = now + self.ticket_ttl
        with self.store.lock:
            self.store.execute("DELETE FROM tickets WHERE expires_at < ?", (now - 3600,))
            self.store.execute("DELETE FROM representatives WHERE confirmed_at < ?", (now - 86400,))
            self.store.execute(
                "INSERT INTO tickets VALUES (?,?,?)", (ticket, subject["id"], expires)
            )
        enterprise = subject["kind"] == Subject.ENTERPRISE.value
        return {
            "ticket": ticket,
            "rater_ref": self.rater_ref(subject["number"]),
            "expires_at": dt.datetime.fromtimestamp(expires, CHINA_TZ).isoformat(
                timespec="seconds"
            ),
            "subject": subject["kind"],
            "representative_required": enterprise and seed.representative_required(subject["key"]),
        }

    def _start_session(self, body: Any, device_id: str) -> _Reply:
        if body is not None and not isinstance(body, dict):
            raise ApiError(400, "bad_request", detail="body: expected an object or nothing")
        session_id = secrets.token_urlsafe(18)
        nonce = secrets.token_urlsafe(12)
        now = time.time()
        expires = now + self.session_ttl
        with self.store.lock:
            self.store.execute(
                "DELETE FROM identity_sessions WHERE expires_at < ?",
                (now - 3600 - SESSION_COLLECT_S,),
            )
            self.store.execute(
                "INSERT INTO identity_sessions VALUES (?,?,?,?,?,'pending',NULL,NULL)",
                (session_id, device_id, self._keyed_hash("nonce", nonce), now, expires),
            )
        return _Reply(
            201,
            {
                "session_id": session_id,
                "qr_content": f"{self.app_bind_url}?s={session_id}&n={nonce}",
                "expires_at": dt.datetime.fromtimestamp(expires, CHINA_TZ).isoformat(
                    timespec="seconds"
                ),
                "poll_after_ms": self.poll_after_ms,
            },
        )

    def _poll_session(self, session_id: str, device_id: str) -> _Reply:
        """The first read after confirmation hands the ticket over and consumes the session."""
        with self.store.lock:
            row = self.store.one(
                "SELECT * FROM identity_sessions WHERE session_id=? AND device_id=?",
                (session_id, device_id),  # another kiosk cannot collect this one's citizen
            )
            if row is None:
                raise ApiError(404, "unknown_session")
            status = _session_status(row, time.time())
            if status != "confirmed":
                return _Reply(200, {"status": status})
            subject = self.store.one("SELECT * FROM subjects WHERE id=?", (row["subject_id"],))
            self.store.execute(
                "UPDATE identity_sessions SET status='consumed' WHERE session_id=?", (session_id,)
            )
            if subject is None:
                return _Reply(200, {"status": "consumed"})
            return _Reply(200, {"status": "confirmed", **self._open_ticket(subject)})

    def _confirm_representative(self, body: Any, ticket: str | None) -> _Reply:
        enterprise = self._subject(ticket)
        assert enterprise is not None and ticket is not None
        if enterprise["kind"] != Subject.ENTERPRISE.value:
            raise ApiError(400, "not_enterprise")
        r = _reader(body)
        card = _field(lambda: r.obj_("card"))
        card_type = _field(lambda: card.choice("card_type", [t.value for t in CardType]))
        method = "social_security_card" if card_type == CardType.SOCIAL_SECURITY else "id_card"
        try:
            person = self._match_card(card, method)
        except ApiError as e:
            if e.code == "unknown_person":  # nobody the register knows represents anything
                raise ApiError(403, "not_representative") from None
            raise
        if person["key"] != seed.representative_of(enterprise["key"]):
            raise ApiError(403, "not_representative")
        self.store.execute(
            "INSERT OR REPLACE INTO representatives VALUES (?,?,?)",
            (ticket, person["id"], time.time()),
        )
        return _Reply(200, {"confirmed": True})

    def _representative_confirmed(self, ticket: str) -> bool:
        row = self.store.one("SELECT 1 FROM representatives WHERE ticket=?", (ticket,))
        return row is not None

    def _subject(self, ticket: str | None, required: bool = True) -> sqlite3.Row | None:
        if not ticket:
            if required:
                raise ApiError(401, "ticket_required")
            return None
        row = self.store.one(
            "SELECT s.*, t.expires_at FROM tickets t JOIN subjects s ON s.id = t.subject_id"
            " WHERE t.ticket=?",
            (ticket,),
        )
        if row is None:
            raise ApiError(401, "ticket_invalid")
        if time.time() >= row["expires_at"]:
            raise ApiError(401, "ticket_expired")
        return row

    @staticmethod
    def _accounts(subject: sqlite3.Row) -> frozenset[str]:
        return frozenset(json.loads(subject["accounts"]))

    def _published(self, subject_kind: str | None = None) -> list[seed.SeedItem]:
        sql = "SELECT item_code FROM items WHERE published=1"
        args: tuple = ()
        if subject_kind:
            sql += " AND subject=?"
            args = (subject_kind,)
        rows = self.store.query(sql + " ORDER BY position", args)
        return [seed.BY_CODE[r["item_code"]] for r in rows if r["item_code"] in seed.BY_CODE]

    @staticmethod
    def _item_for(item: seed.SeedItem, subject: sqlite3.Row) -> dict:
        if item.subject.value != subject["kind"]:
            return item.item_json(
                False,
                "本事项面向企业办理"
                if item.subject is Subject.ENTERPRISE
                else "本事项面向个人办理",
            )
        ok = seed.eligible(item, ReferencePlatform._accounts(subject))
        return item.item_json(ok, "" if ok else item.reason_missing())

    def _citizen_items(self, ticket: str | None) -> _Reply:
        subject = self._subject(ticket)
        assert subject is not None
        items = [self._item_for(i, subject) for i in self._published(subject["kind"])]
        return _Reply(200, {"items": items})

    def _guide(self, item_code: str, ticket: str | None) -> _Reply:
        item = seed.BY_CODE.get(item_code)
        if item is None or item_code not in {i.item_code for i in self._published()}:
            raise ApiError(404, "unknown_item")
        subject = self._subject(ticket, required=False)
        if subject is None:
            return _Reply(200, item.guide_json())
        state = self._item_for(item, subject)
        return _Reply(200, item.guide_json(state["available"], state["unavailable_reason"]))

    def _submit(self, body: Any, ticket: str | None, device_id: str) -> _Reply:
        subject = self._subject(ticket)
        assert subject is not None
        r = _reader(body)
        item_code = _field(lambda: r.str("item_code", max_len=50))
        request_id = _field(lambda: r.str("request_id", max_len=64))
        pledged = _field(lambda: r.bool("pledge_confirmed", False))
        with self.store.lock:
            old = self.store.one(
                "SELECT * FROM cases WHERE device_id=? AND request_id=?", (device_id, request_id)
            )
            if old is not None:
                if old["subject_id"] != subject["id"] or old["item_code"] != item_code:
                    raise ApiError(409, "request_id_reused")
                return _Reply(200, self._case_json(old))
            item = seed.BY_CODE.get(item_code)
            if item is None or item_code not in {i.item_code for i in self._published()}:
                raise ApiError(404, "unknown_item")
            state = self._item_for(item, subject)
            if not state["available"]:
                raise ApiError(
                    403, "not_eligible", f"不符合办理条件：{state['unavailable_reason']}"
                )
            if (
                subject["kind"] == Subject.ENTERPRISE.value
                and seed.needs_representative(item, subject["key"])
                and not self._representative_confirmed(ticket or "")
            ):
                raise ApiError(403, "representative_required")
            if item.pledge_text and not pledged:
                raise ApiError(422, "pledge_required")
            row = self._create_case(item, subject, device_id, request_id)
        return _Reply(201, self._case_json(row))

    def _create_case(
        self, item: seed.SeedItem, subject: sqlite3.Row, device_id: str, request_id: str
    ) -> sqlite3.Row:
        today = self.today()
        db = self.store.db
        db.execute("BEGIN IMMEDIATE")
        try:
            next_id = db.execute("SELECT COALESCE(MAX(id), 0) + 1 AS n FROM cases").fetchone()["n"]
            case_no = f"{seed.REGION_CODE}{today:%Y%m%d}{next_id:08d}"
            code = self._new_code(db)
            holder = self._holder(subject)
            document = seed.issue_document(
                item,
                holder,
                today,
                case_no=case_no,
                code=code,
                verify_base_url=self.verify_base_url,
            ).to_json()
            case_records.insert_case(
                db,
                case_id=next_id,
                device_id=device_id,
                request_id=request_id,
                item=item,
                subject=subject,
                created_at=dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds"),
                issued=today,
                code=code,
                document=document,
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return db.execute("SELECT * FROM cases WHERE id=?", (next_id,)).fetchone()

    @staticmethod
    def _new_code(db: sqlite3.Connection) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
            if db.execute("SELECT 1 FROM certificates WHERE code=?", (code,)).fetchone() is None:
                return code

    def _holder(self, subject: sqlite3.Row) -> seed.Holder:
        if subject["kind"] == Subject.ENTERPRISE.value:
            ent = next(e for e in people.ENTERPRISES if e.key == subject["key"])
            return seed.holder_of_enterprise(ent)
        return seed.holder_of_citizen(self._citizens[subject["key"]])

    @staticmethod
    def _case_json(row: sqlite3.Row) -> dict:
        return {
            "case_no": row["case_no"],
            "item_code": row["item_code"],
            "case_kind": row["case_kind"],
            "document": json.loads(row["document"]),
        }

    def _citizen_cases(self, ticket: str | None) -> _Reply:
        subject = self._subject(ticket)
        assert subject is not None
        with self.store.lock:
            cases = case_records.list_cases(self.store.db, subject["id"], self.today())
        return _Reply(200, {"cases": cases})

    def _reprint(self, case_no: str, request_id: str, ticket: str | None, device_id: str) -> _Reply:
        subject = self._subject(ticket)
        assert subject is not None
        if not 0 < len(request_id) <= 64 or not 0 < len(case_no) <= 50:
            raise ApiError(400, "bad_request", detail="case_no or request_id: not a valid length")
        with self.store.lock:
            try:
                reply = case_records.reprint(
                    self.store.db, subject["id"], case_no, request_id, device_id, self.today()
                )
            except case_records.Refused as no:
                raise ApiError(no.status, no.code) from None
        return _Reply(200, reply)

    def reprints(self) -> list[dict]:
        """Every reprint recorded (for tests)."""
        with self.store.lock:
            return case_records.reprints_recorded(self.store.db)

    def _queue_ticket(self, body: Any) -> _Reply:
        """A number for a window, counted per window and per day (a hall's queuing system:
        numbers start again at 1 each morning; ``waiting`` is those given and not yet called,
        the demo calling one every few numbers)."""
        r = _reader(body)
        item_code = _field(lambda: r.str("item_code", max_len=50))
        window = _field(lambda: r.str("window", max_len=16))
        item = seed.BY_CODE.get(item_code)
        if item is None or item_code not in {i.item_code for i in self._published()}:
            raise ApiError(404, "unknown_item")
        known = seed.window_json(item.department)
        if known is None or known["window"] != window:
            raise ApiError(404, "unknown_window", "该事项不在此窗口办理")
        if not self.queue_available:
            raise ApiError(503, "queue_unavailable")
        day = self.today().isoformat()
        with self.store.lock:
            row = self.store.one(
                "SELECT last, called FROM queue_numbers WHERE window=? AND day=?", (window, day)
            )
            last, called = (row["last"], row["called"]) if row else (0, 0)
            last += 1
            called = max(called, last - 1 - (last % 5))  # someone is served now and then
            self.store.execute(
                "INSERT OR REPLACE INTO queue_numbers VALUES (?,?,?,?)", (window, day, last, called)
            )
        return _Reply(
            201,
            {
                "number": f"{window}-{last:03d}",
                "window": window,
                "waiting": last - 1 - called,
                "issued_at": dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds"),
            },
        )

    def queue_numbers(self) -> list[dict]:
        """Every number given, per window and day (for tests)."""
        rows = self.store.query("SELECT * FROM queue_numbers ORDER BY day, window")
        return [dict(r) for r in rows]

    def _verify_certificate(self, code: str) -> _Reply:
        code = code.strip().upper()
        if not CODE_PATTERN.fullmatch(code):
            raise ApiError(400, "malformed_code")
        row = self.store.one("SELECT * FROM certificates WHERE code=?", (code,))
        if row is None:
            return _Reply(200, {"status": "not_found"})
        status = "authentic"
        if row["status"] == "revoked":
            status = "revoked"
        elif row["valid_until"] and dt.date.fromisoformat(row["valid_until"]) < self.today():
            status = "expired"
        return _Reply(
            200,
            {
                "status": status,
                "title": row["title"],
                "holder_masked": mask_name(row["holder_name"]),
                "department": row["department"],
                "issued_on": row["issued_on"],
                "valid_until": row["valid_until"],
            },
        )

    def _build_catalogue(self) -> None:
        items = [i.item_json() for i in self._published()]
        body = {"version": seed.CATALOGUE_VERSION, "items": items}
        data = json.dumps(body, ensure_ascii=False, sort_keys=True).encode()
        self._catalogue_body = data
        self._catalogue_etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'

    def _catalogue(self, if_none_match: str) -> _Reply:
        etag = self._catalogue_etag
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",") if t.strip()]
        if "*" in tags or etag in tags:
            return _Reply(304, None, headers)
        return _Reply(200, self._catalogue_body, headers)

    def _ratings(self, body: Any, device_id: str) -> _Reply:
        r = _reader(body)
        records = _field(lambda: r._get("ratings", False))
        if not isinstance(records, list):
            raise ApiError(400, "bad_request", detail="ratings: expected a list")
        if len(records) > MAX_RATINGS_PER_BATCH:
            raise ApiError(413, "batch_too_large")
        accepted: list[str] = []
        duplicates: list[str] = []
        rejected: list[dict] = []
        checked: list[tuple[str, dict]] = []
        for rec in records:
            rating_id, reason = _check_rating(rec, device_id)
            if reason:
                rejected.append({"rating_id": rating_id, "reason": reason})
            else:
                checked.append((rating_id, rec))
        now = dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds")
        with self.store.lock:
            db = self.store.db
            known, taken = self._stored_before(db, checked)
            rows = []
            for rid, rec in checked:
                slot = (rec["case_no"], rec["rating_count"])
                if rid in known:
                    duplicates.append(rid)
                elif slot in taken:
                    rejected.append({"rating_id": rid, "reason": "already_rated"})
                else:
                    known.add(rid)
                    taken.add(slot)
                    accepted.append(rid)
                    rows.append(
                        (
                            rid,
                            rec["case_no"],
                            rec["rating_count"],
                            device_id,
                            now,
                            json.dumps(rec, ensure_ascii=False),
                        )
                    )
            outcomes = [
                *((rid, "accepted") for rid in accepted),
                *((rid, "duplicate") for rid in duplicates),
                *((refusal["rating_id"], "rejected") for refusal in rejected),
            ]
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT INTO ratings (rating_id, case_no, rating_count, device_id,"
                    " received_at, record) VALUES (?,?,?,?,?,?)",
                    rows,
                )
                (request,) = db.execute(
                    "SELECT COALESCE(MAX(request), 0) + 1 FROM deliveries"
                ).fetchone()
                db.executemany(
                    "INSERT INTO deliveries (rating_id, request, received_at, outcome)"
                    " VALUES (?,?,?,?)",
                    [(rid, request, now, outcome) for rid, outcome in outcomes],
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return _Reply(200, {"accepted": accepted, "duplicates": duplicates, "rejected": rejected})

    @staticmethod
    def _stored_before(
        db: sqlite3.Connection, checked: list[tuple[str, dict]]
    ) -> tuple[set[str], set[tuple[str, int]]]:
        """What of this batch is stored already: its rating ids (the contract answers them as
        duplicates) and its (case_no, rating_count) slots (another id there: already_rated)."""
        ids = [rid for rid, _ in checked]
        known = _in_query(db, "SELECT rating_id FROM ratings WHERE rating_id IN ({})", ids)
        cases = sorted({rec["case_no"] for _, rec in checked})
        taken = {
            (row[0], row[1])
            for row in _in_rows(
                db, "SELECT case_no, rating_count FROM ratings WHERE case_no IN ({})", cases
            )
        }
        return known, taken

    def _complaint(self, complaint_id: str, body: Any, device_id: str) -> _Reply:
        """投诉与建议: stored once per complaint_id; a repeat is answered as a duplicate."""
        r = _reader(body)
        if _field(lambda: r.str("complaint_id", max_len=64)) != complaint_id:
            raise ApiError(409, "complaint_id_mismatch")
        _field(lambda: r.choice("category", [c.value for c in Category]))
        phrases = _field(lambda: r.str_list("phrases", max_len=MAX_PHRASES))
        if not phrases or any(not p or len(p) > 40 for p in phrases):
            raise ApiError(400, "bad_request", detail="phrases: one to six codes")
        phone = _field(lambda: r.str("callback_phone", max_len=11, allow_empty=True))
        consent = _field(lambda: r.bool("callback_consent"))
        if phone and not phone_valid(phone):
            raise ApiError(400, "bad_request", detail="callback_phone: not a mobile number")
        if phone and not consent:
            raise ApiError(400, "consent_required")
        _field(lambda: r.datetime("submitted_at"))
        if not re.fullmatch(r"[0-9]{6,9}", _field(lambda: r.str("region_code", max_len=9))):
            raise ApiError(400, "bad_request", detail="region_code: 6 to 9 digits")
        if _field(lambda: r.str("device_id", max_len=64)) != device_id:
            raise ApiError(403, "device_mismatch")
        now = dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds")
        with self.store.lock:
            known = self.store.one(
                "SELECT 1 FROM complaints WHERE complaint_id = ?", (complaint_id,)
            )
            if known is not None:
                self.store.execute(
                    "UPDATE complaints SET deliveries = deliveries + 1 WHERE complaint_id = ?",
                    (complaint_id,),
                )
                return _Reply(200, {"complaint_id": complaint_id, "status": "duplicate"})
            self.store.execute(
                "INSERT INTO complaints (complaint_id, device_id, received_at, record)"
                " VALUES (?,?,?,?)",
                (complaint_id, device_id, now, json.dumps(body, ensure_ascii=False)),
            )
        return _Reply(201, {"complaint_id": complaint_id, "status": "accepted"})

    def _heartbeat(self, path_device: str, body: Any, device_id: str) -> _Reply:
        if path_device != device_id:
            raise ApiError(403, "device_mismatch")
        r = _reader(body)
        sent_at = _field(lambda: r.datetime("sent_at"))
        _field(lambda: r.obj_("status"))
        status = json.dumps(body["status"], ensure_ascii=False)
        if len(status) > 64_000:
            raise ApiError(413, "body_too_large")
        events = body["status"].get("events")
        events = [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []
        now = dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds")
        with self.store.lock:
            self.store.execute(
                "INSERT INTO devices VALUES (?,?,?,?) ON CONFLICT(device_id) DO UPDATE SET"
                " last_seen=excluded.last_seen, sent_at=excluded.sent_at, status=excluded.status",
                (device_id, now, sent_at.isoformat(), status),
            )
            # staff alerts and other device events are kept, once each: a heartbeat whose reply
            # was lost sends them again (at-least-once), so the event id decides
            for event in events:
                event_id = event.get("id")
                if isinstance(event_id, str) and 0 < len(event_id) <= 64:
                    self.store.execute(
                        "INSERT OR IGNORE INTO device_events VALUES (?,?,?,?)",
                        (device_id, event_id, now, json.dumps(event, ensure_ascii=False)),
                    )
            # staff calls acknowledged lately, every beat: a reply lost on the way is repeated
            acks = self.store.query(
                "SELECT call_id FROM staff_acks WHERE device_id=? AND acknowledged_at > ?"
                " ORDER BY acknowledged_at",
                (device_id, time.time() - ACK_TOLD_SECONDS),
            )
        if acks:
            return _Reply(200, {"acknowledged_calls": [r["call_id"] for r in acks]})
        return _Reply(204)

    # ---- /devkit (unsigned; reference server only) --------------------------------------------

    def _devkit(self, method: str, path: str, body: bytes) -> _Reply:
        try:
            parts = [unquote(s) for s in path.split("/")[2:]]
            if parts == ["state"] and method == "GET":
                return _Reply(200, self.state())
            if parts == ["ratings"] and method == "GET":
                return _Reply(200, {"ratings": self.ratings()})
            if parts == ["complaints"] and method == "GET":
                return _Reply(200, {"complaints": self.complaints()})
            if parts == ["deliveries"] and method == "GET":
                return _Reply(200, asdict(self.delivery_counts()))
            if parts == ["cases"] and method == "GET":
                return _Reply(200, {"cases": self.cases()})
            if parts == ["devices"] and method == "GET":
                return _Reply(200, {"devices": self.devices_seen()})
            if parts == ["faults"] and method == "POST":
                r = _reader(_json(body))
                mode = _field(lambda: r.opt_str("mode", max_len=10)) or "normal"
                args = {
                    "latency_ms": _field(lambda: r.opt_int("latency_ms", lo=0, hi=600_000)) or 0,
                    "failure_rate": _field(
                        lambda: (
                            r.number("failure_rate")
                            if r.obj.get("failure_rate") is not None
                            else 0.0
                        )
                    ),
                    "failure_status": _field(lambda: r.opt_int("failure_status", lo=400, hi=599))
                    or 503,
                    "mode": mode,
                    "duration_s": _field(
                        lambda: (
                            r.number("duration_s") if r.obj.get("duration_s") is not None else None
                        )
                    ),
                    "count": _field(lambda: r.opt_int("count", lo=0, hi=1_000_000)) or 0,
                    "retry_after_s": _field(lambda: r.opt_int("retry_after_s", lo=0, hi=86_400)),
                    "reply": _field(lambda: r.opt_str("reply", max_len=20)) or "",
                    "path": _field(lambda: r.opt_str("path", max_len=200)) or "",
                }
                if mode == "refuse" and not args["duration_s"]:
                    raise ApiError(
                        400,
                        "bad_request",
                        detail="refuse needs duration_s: this socket goes away too",
                    )
                try:
                    Faults(
                        args["latency_ms"],
                        args["failure_rate"],
                        args["failure_status"],
                        mode,
                        args["count"],
                        args["retry_after_s"],
                        args["reply"],
                        args["path"],
                    )
                except ValueError as e:
                    raise ApiError(400, "bad_request", detail=str(e)) from None
                if mode == "refuse":  # closes this very socket: answer first, then apply
                    with self._fault_change:  # unless another setting comes first
                        self._fault_generation += 1
                        self._schedule_faults(0.05, args)
                else:
                    self.set_faults(**args)
                return _Reply(200, {"faults": args})
            if parts == ["queue"] and method == "POST":
                r = _reader(_json(body))
                self.queue_available = _field(lambda: r.bool("available"))
                return _Reply(200, {"available": self.queue_available})
            if (
                len(parts) == 3
                and parts[0] == "certificates"
                and parts[2] == "revoke"
                and method == "POST"
            ):
                if not self.revoke(parts[1]):
                    raise ApiError(404, "not_found", "未找到该核验码")
                return _Reply(200, {"verification_code": parts[1].upper(), "status": "revoked"})
            if (
                len(parts) == 3
                and parts[0] == "certificates"
                and parts[2] == "expire"
                and method == "POST"
            ):
                if not self.expire(parts[1]):
                    raise ApiError(404, "not_found", "未找到该核验码")
                row = self.store.one(
                    "SELECT valid_until FROM certificates WHERE code=?", (parts[1].upper(),)
                )
                return _Reply(
                    200,
                    {
                        "verification_code": parts[1].upper(),
                        "status": "expired",
                        "valid_until": row["valid_until"] if row else None,
                    },
                )
            if (
                len(parts) == 3
                and parts[0] == "staff-calls"
                and parts[2] == "acknowledge"
                and method == "POST"
            ):
                if not self.acknowledge_call(parts[1]):
                    raise ApiError(404, "not_found", "未找到该呼叫")
                return _Reply(200, {"call_id": parts[1], "status": "acknowledged"})
            if parts == ["app", "tokens"] and method == "POST":
                r = _reader(_json(body))
                citizen = _field(lambda: r.str("citizen", max_len=64))
                ttl = _field(lambda: r.number("ttl_s") if r.obj.get("ttl_s") is not None else 120)
                token = self.mint_token(citizen, ttl)
                expires = dt.datetime.now(CHINA_TZ) + dt.timedelta(seconds=ttl)
                return _Reply(
                    200, {"token": token, "expires_at": expires.isoformat(timespec="seconds")}
                )
            if (
                len(parts) == 4
                and parts[:2] == ["app", "sessions"]
                and parts[3] == "confirm"
                and method == "POST"
            ):
                r = _reader(_json(body))
                citizen = _field(lambda: r.str("citizen", max_len=64))
                nonce = _field(lambda: r.str("nonce", max_len=100))
                self.confirm_session(parts[2], citizen, nonce)
                return _Reply(200, {"status": "confirmed"})
            raise ApiError(404, "not_found")
        except ApiError as e:
            return e.reply()


def _spoilt(reply: _Reply, how: str) -> _Reply:
    """What a broken gateway makes of a reply: JSON cut in half (malformed_json), or the
    answer wrapped in an envelope the contract does not know (wrong_schema)."""
    if reply.body is None:
        return reply
    data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
    if how == "malformed_json":
        return _Reply(reply.status, data[: max(1, len(data) // 2)], reply.headers)
    envelope = {"code": 0, "msg": "success", "data": json.loads(data)}
    return _Reply(reply.status, envelope, reply.headers)


def _log_path(path: str) -> str:
    """Verification codes and session ids are QR content: keep them out of logs."""
    for prefix in ("/v1/certificates/", "/v1/identity/sessions/"):
        if path.startswith(prefix):
            return prefix + mask_token(path.removeprefix(prefix))
    return path


def _session_status(row: sqlite3.Row, now: float) -> str:
    """pending | confirmed | expired | consumed, with time taken into account."""
    if row["status"] == "consumed":
        return "consumed"
    if row["status"] == "confirmed":
        return "confirmed" if now < row["confirmed_at"] + SESSION_COLLECT_S else "expired"
    return "pending" if now < row["expires_at"] else "expired"


def _json(body: bytes) -> Any:
    try:
        obj = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError, RecursionError):  # nested past the parser's limit
        raise ApiError(400, "bad_json") from None
    if _deeper_than(obj, MAX_DEPTH):
        raise ApiError(400, "bad_request", detail=f"body: nested deeper than {MAX_DEPTH} levels")
    return obj


def _deeper_than(obj: Any, limit: int) -> bool:
    """Without recursion, so that the check itself cannot run out of stack."""
    todo = [(obj, 0)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if depth >= limit:
                return True
            todo.extend((v, depth + 1) for v in value)
    return False


def _reader(obj: Any) -> Reader:
    try:
        return Reader(obj, "")
    except InvalidData as e:
        raise ApiError(400, "bad_request", detail=str(e)) from None


def _field(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except InvalidData as e:
        raise ApiError(400, "bad_request", detail=str(e)) from None


def _in_query(db: sqlite3.Connection, sql: str, values: list[str]) -> set[str]:
    return {row[0] for row in _in_rows(db, sql, values)}


def _in_rows(db: sqlite3.Connection, sql: str, values: list[str]) -> list[tuple]:
    out: list[tuple] = []
    for start in range(0, len(values), 900):
        chunk = values[start : start + 900]
        out += db.execute(sql.format(",".join("?" * len(chunk))), chunk).fetchall()
    return out


_LEVELS = {lv.value: lv for lv in RatingLevel}


def _check_rating(rec: Any, device_id: str) -> tuple[str, str]:
    """(rating_id, reason it is rejected or "")."""
    if not isinstance(rec, dict):
        return "", "not_an_object"
    rid = rec.get("rating_id")
    if not isinstance(rid, str) or not 1 <= len(rid) <= 64:
        return (rid[:64] if isinstance(rid, str) else ""), "bad_rating_id"
    r = Reader(rec, "")
    try:
        for key, max_len in (
            ("case_no", 50),
            ("item_code", 50),
            ("item_name", 100),
            ("department", 100),
            ("rater_ref", 100),
            ("device_id", 64),
        ):
            r.str(key, max_len=max_len)
        reasons = r.opt_str("reasons", max_len=200) or ""
        text = r.opt_str("text", max_len=500) or ""
        level = _LEVELS.get(r.str("level", max_len=30))
        satisfaction = r.int("satisfaction", lo=1, hi=5)
        r.int("rating_count", lo=1, hi=2)
        channel = r.int("channel")
        region = r.str("region_code", max_len=9)
    except InvalidData as e:
        return rid, f"invalid: {e}"
    if level is None:
        return rid, "bad_level"
    if level.satisfaction_code() != satisfaction:
        return rid, "level_mismatch"
    if level.is_bad and not (reasons.strip(" ,") or text.strip()):
        return rid, "reason_required"
    if channel != CHANNEL_SELF_SERVICE_TERMINAL:
        return rid, "bad_channel"
    try:
        r.datetime("rated_at")
    except InvalidData:
        return rid, "bad_rated_at"
    if not _REGION_PATTERN.fullmatch(region):
        return rid, "bad_region_code"
    dimensions = rec.get("dimensions", {})
    if not isinstance(dimensions, dict) or not set(dimensions) <= set(DIMENSIONS):
        return rid, "bad_dimensions"
    for value in dimensions.values():
        level = value.get("level") if isinstance(value, dict) else None
        dim = _LEVELS.get(level) if isinstance(level, str) else None
        if dim is None or dim.satisfaction_code() != value.get("satisfaction"):
            return rid, "bad_dimensions"
    if rec["device_id"] != device_id:
        return rid, "device_mismatch"
    return rid, ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Reference 一证通办 platform on loopback")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8600)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: temporary)")
    parser.add_argument("--verify-base-url", default=DEFAULT_VERIFY_BASE_URL)
    parser.add_argument("--ticket-ttl", type=int, default=900)
    parser.add_argument(
        "--session-ttl", type=float, default=DEFAULT_SESSION_TTL, help="kiosk-shown QR, seconds"
    )
    parser.add_argument("--app-bind-url", default=DEFAULT_APP_BIND_URL)
    parser.add_argument("--tls-cert", type=Path, default=None, help="PEM: serve HTTPS")
    parser.add_argument("--tls-key", type=Path, default=None, help="PEM key, if not in --tls-cert")
    parser.add_argument(
        "--synthetic",
        type=int,
        default=0,
        metavar="N",
        help="also register N synthetic citizens (kiosk_runner --citizens N)",
    )
    parser.add_argument("--synthetic-seed", type=int, default=1, help="their seed")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    platform = ReferencePlatform(
        args.db,
        args.host,
        args.port,
        verify_base_url=args.verify_base_url,
        ticket_ttl=args.ticket_ttl,
        session_ttl=args.session_ttl,
        app_bind_url=args.app_bind_url,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
    )
    if args.synthetic:
        from devkit import privacy_audit

        platform.register(privacy_audit.citizens(args.synthetic, args.synthetic_seed))
    url = platform.start()
    print(f"reference platform on {url}  (device {DEMO_DEVICE_ID}; Ctrl-C stops)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        platform.stop()


if __name__ == "__main__":
    main()
