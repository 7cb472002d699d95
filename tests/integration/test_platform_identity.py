"""Identification without an ID card on the reader: a phone-app token, a kiosk-shown session QR,
an enterprise by its USCC with its legal representative; and the certificate verdicts. The
client (kiosk/platform.py) against the reference platform over real HTTP on 127.0.0.1, replies
checked against docs/platform-api.yaml with the checker of test_platform.py."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from test_platform import conforms

from devkit import people, seed
from devkit.platform_server import (
    APP_TOKEN_PREFIX,
    DEFAULT_APP_BIND_URL,
    DEMO_DEVICE_ID,
    DEMO_DEVICE_KEY,
    ApiError,
    ReferencePlatform,
)
from kiosk.document import DocumentKind
from kiosk.identity import CardType, IdentityCard
from kiosk.models import SessionStatus, Subject, Ticket, VerifyStatus
from kiosk.platform import CODE_MESSAGES, ErrorKind, PlatformClient, PlatformError
from kiosk.signing import sign_headers

pytestmark = pytest.mark.integration

FRIDAY = dt.date(2025, 6, 13)
JINSHANG = next(e for e in people.ENTERPRISES if e.key == "jinshang_tech")
FENHE = next(e for e in people.ENTERPRISES if e.key == "fenhe_food")


@pytest.fixture(scope="module")
def platform() -> Iterator[ReferencePlatform]:
    with ReferencePlatform(today=lambda: FRIDAY) as server:
        yield server


def make_client(url: str, device: str = DEMO_DEVICE_ID, key: bytes = DEMO_DEVICE_KEY):
    return PlatformClient(url, device, key, connect_timeout=1.0, read_timeout=3.0, backoff=0.01)


@pytest.fixture()
def client(platform: ReferencePlatform) -> Iterator[PlatformClient]:
    with make_client(platform.url) as c:
        yield c


@pytest.fixture()
def sent(client: PlatformClient) -> list[dict]:
    """The JSON bodies the client sends, as they left it (to check them against the contract)."""
    bodies: list[dict] = []

    def keep(resp: requests.Response, *args: Any, **kwargs: Any) -> None:
        if resp.request.body:
            bodies.append(json.loads(resp.request.body))

    client.session.hooks["response"].append(keep)
    return bodies


def signed(platform: ReferencePlatform, method: str, path: str, body: Any = None):
    data = json.dumps(body).encode() if body is not None else b""
    headers = sign_headers(DEMO_DEVICE_ID, DEMO_DEVICE_KEY, method, path, data)
    return requests.request(method, platform.url + path, data=data, headers=headers, timeout=5)


def devkit(platform: ReferencePlatform, path: str, body: Any = None) -> requests.Response:
    return requests.post(f"{platform.url}/devkit{path}", json=body, timeout=5)


def fails(call: Any, *args: Any) -> PlatformError:
    with pytest.raises(PlatformError) as info:
        call(*args)
    return info.value


def code_of(key: str) -> str:
    return seed.BY_ITEM_KEY[key].item_code


# ---- phone-app token (三晋通 / 网证) ----------------------------------------------------------


def test_a_token_identifies_the_citizen_once(platform, client, sent) -> None:
    token = platform.mint_token("zhang_wei")
    assert token.startswith(APP_TOKEN_PREFIX)
    ticket = client.verify_token(f"{token}\r\n")  # scanners append line ends
    assert ticket.subject is Subject.PERSON and not ticket.representative_required
    by_card = client.verify_identity(people.BY_KEY["zhang_wei"].card())
    assert ticket.rater_ref == by_card.rater_ref, "the same person by either credential"
    assert any(i.available for i in client.available_items(ticket))
    conforms(sent[0], "VerifyRequest")
    assert sent[0] == {"method": "qr_token", "token": token}

    e = fails(client.verify_token, token)
    assert (e.kind, e.code, e.status) == (ErrorKind.REJECTED, "token_used", 409)
    assert e.message == CODE_MESSAGES["token_used"] and not e.retryable
    for text in (e.detail, str(e), repr(e), e.message):
        assert token not in text and token[5:15] not in text


def test_an_expired_and_an_unknown_token(platform, client) -> None:
    expired = platform.mint_token("li_ming", ttl_s=0)
    e = fails(client.verify_token, expired)
    assert (e.kind, e.code, e.status) == (ErrorKind.REJECTED, "token_expired", 410)
    assert "刷新" in e.message

    never_minted = APP_TOKEN_PREFIX + "A" * 32
    e = fails(client.verify_token, never_minted)
    assert (e.kind, e.code, e.status) == (ErrorKind.NOT_FOUND, "unknown_token", 404)
    reply = signed(platform, "POST", "/v1/identity/verify", {"method": "qr_token", "token": ""})
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "bad_request"
    conforms(reply.json(), "Error")


def test_tokens_minted_over_http_for_every_card_type(platform, client) -> None:
    for key in ("chan_kaming", "john_smith", "anna_ivanova", "wang_guilan"):
        reply = devkit(platform, "/app/tokens", {"citizen": key, "ttl_s": 60})
        assert reply.status_code == 200, reply.text
        conforms(reply.json(), "DevkitToken")
        left = dt.datetime.fromisoformat(reply.json()["expires_at"]) - dt.datetime.now(dt.UTC)
        assert dt.timedelta(seconds=50) < left <= dt.timedelta(seconds=61)
        ticket = client.verify_token(reply.json()["token"])
        assert ticket.rater_ref == client.verify_identity(people.BY_KEY[key].card()).rater_ref
    assert devkit(platform, "/app/tokens", {"citizen": "nobody"}).status_code == 404
    bad_ttl = devkit(platform, "/app/tokens", {"citizen": "li_ming", "ttl_s": -1})
    assert bad_ttl.status_code == 400


def test_tokens_are_stored_hashed(platform) -> None:
    token = platform.mint_token("chen_hao", ttl_s=600)
    db = sqlite3.connect(platform.db_path)
    try:
        rows = [tuple(r) for r in db.execute("SELECT * FROM app_tokens")]
    finally:
        db.close()
    assert rows and not any(token in str(v) or token[5:] in str(v) for r in rows for v in r)
    for path in platform.db_path.parent.glob(platform.db_path.name + "*"):  # db, -wal, -shm
        data = path.read_bytes()
        assert token.encode() not in data and token[5:].encode() not in data, path.name


# ---- kiosk-shown session QR (扫码登录) ----------------------------------------------------------


def nonce_of(qr_content: str) -> str:
    return parse_qs(urlsplit(qr_content).query)["n"][0]


def test_a_session_is_confirmed_in_the_app_and_collected_once(platform, client) -> None:
    session = client.start_identity_session()
    assert session.qr_content.startswith(DEFAULT_APP_BIND_URL + "?")
    query = parse_qs(urlsplit(session.qr_content).query)
    assert query["s"] == [session.session_id] and query["n"][0]
    assert session.poll_after_ms == 1000
    left = session.expires_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=110) < left <= dt.timedelta(seconds=121)
    assert query["n"][0] not in repr(session) and session.session_id not in repr(session)

    assert client.poll_identity_session(session.session_id).status is SessionStatus.PENDING
    assert client.poll_identity_session(session.session_id).ticket is None

    path = f"/app/sessions/{session.session_id}/confirm"
    wrong = devkit(platform, path, {"citizen": "wang_guilan", "nonce": "not-the-nonce"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "nonce_mismatch"
    nonce = nonce_of(session.qr_content)
    assert devkit(platform, path, {"citizen": "wang_guilan", "nonce": nonce}).json() == {
        "status": "confirmed"
    }
    again = devkit(platform, path, {"citizen": "li_ming", "nonce": nonce})
    assert again.status_code == 409 and again.json()["error"]["code"] == "session_not_pending"

    first = client.poll_identity_session(session.session_id)
    assert first.status is SessionStatus.CONFIRMED and first.ticket is not None
    wang = client.verify_identity(people.BY_KEY["wang_guilan"].card())
    assert first.ticket.rater_ref == wang.rater_ref and first.ticket.subject is Subject.PERSON
    assert any(i.available for i in client.available_items(first.ticket))
    second = client.poll_identity_session(session.session_id)
    assert second.status is SessionStatus.CONSUMED and second.ticket is None


def test_session_replies_follow_the_contract(platform) -> None:
    started = signed(platform, "POST", "/v1/identity/sessions")
    assert started.status_code == 201
    conforms(started.json(), "IdentitySession")
    session_id = started.json()["session_id"]
    path = f"/v1/identity/sessions/{session_id}"
    conforms(signed(platform, "GET", path).json(), "SessionPoll")
    platform.confirm_session(session_id, "li_ming")  # the Python API stands in for the app
    confirmed = signed(platform, "GET", path).json()
    conforms(confirmed, "SessionPoll")
    conforms(confirmed, "Ticket")
    assert signed(platform, "GET", path).json() == {"status": "consumed"}
    assert signed(platform, "POST", "/v1/identity/sessions", {}).status_code == 201


def test_an_expired_session_cannot_be_confirmed(platform, client) -> None:
    platform.session_ttl = 0
    try:
        session = client.start_identity_session()
    finally:
        platform.session_ttl = 120
    path = f"/app/sessions/{session.session_id}/confirm"
    late = devkit(platform, path, {"citizen": "li_ming", "nonce": nonce_of(session.qr_content)})
    assert late.status_code == 410 and late.json()["error"]["code"] == "session_expired"
    conforms(late.json(), "Error")
    with pytest.raises(ApiError) as info:
        platform.confirm_session(session.session_id, "li_ming")
    assert (info.value.status, info.value.code) == (410, "session_expired")
    poll = client.poll_identity_session(session.session_id)
    assert poll.status is SessionStatus.EXPIRED and poll.ticket is None
    assert "二维码" in CODE_MESSAGES["session_expired"]


def test_only_the_kiosk_that_opened_a_session_can_collect_it(platform, client) -> None:
    session = client.start_identity_session()
    platform.confirm_session(session.session_id, "zhao_min")
    platform.add_device("SX-TY-0002", b"second-kiosk-key")
    with make_client(platform.url, "SX-TY-0002", b"second-kiosk-key") as other:
        e = fails(other.poll_identity_session, session.session_id)
    assert (e.kind, e.code, e.status) == (ErrorKind.NOT_FOUND, "unknown_session", 404)
    assert client.poll_identity_session(session.session_id).status is SessionStatus.CONFIRMED
    missing = devkit(
        platform, "/app/sessions/no-such-session/confirm", {"citizen": "x", "nonce": "y"}
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_session"


def test_logs_carry_neither_tokens_nor_session_qr_content(platform, client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    token = platform.mint_token("zheng_li")
    ticket = client.verify_token(token)
    with pytest.raises(PlatformError):
        client.verify_token(token)
    session = client.start_identity_session()
    client.poll_identity_session(session.session_id)
    assert "POST /v1/identity/verify -> 200" in caplog.text
    assert "GET /v1/identity/sessions/" in caplog.text
    for secret in (token, token[5:], ticket.ticket, session.session_id, session.qr_content):
        assert secret not in caplog.text
    assert nonce_of(session.qr_content) not in caplog.text


# ---- enterprise by USCC, and its legal representative ---------------------------------------


def test_an_enterprise_sees_the_four_enterprise_items(platform, client, sent) -> None:
    ticket = client.verify_enterprise(JINSHANG.uscc)
    conforms(sent[0], "VerifyRequest")
    assert ticket.subject is Subject.ENTERPRISE and ticket.representative_required
    items = client.available_items(ticket)
    assert [i.item_code for i in items] == [i.item_code for i in seed.ENTERPRISE_ITEMS]
    assert all(i.subject is Subject.ENTERPRISE and i.available for i in items)

    fenhe = client.verify_enterprise(f"  {FENHE.uscc.lower()} ")
    assert fenhe.subject is Subject.ENTERPRISE and not fenhe.representative_required
    assert fenhe.rater_ref != ticket.rater_ref
    open_items = {i.item_code for i in client.available_items(fenhe) if i.available}
    assert code_of("ent_fund_proof") not in open_items and len(open_items) == 3
    case = client.submit(fenhe, code_of("ent_tax_credit"), str(uuid.uuid4()))
    assert case.document.kind is DocumentKind.CERTIFICATE
    assert case.document.holder == f"{FENHE.name}（统一社会信用代码 {FENHE.uscc}）"

    reply = signed(platform, "POST", "/v1/identity/verify", {"method": "uscc", "uscc": FENHE.uscc})
    conforms(reply.json(), "Ticket")
    assert reply.json()["representative_required"] is False


def test_unknown_and_malformed_credit_codes(client) -> None:
    e = fails(client.verify_enterprise, "91110108551385082Q")  # valid shape, not registered
    assert (e.kind, e.code, e.status) == (ErrorKind.NOT_FOUND, "unknown_enterprise", 404)
    assert e.message == CODE_MESSAGES["unknown_enterprise"]
    e = fails(client.verify_enterprise, "91350100M0001TGQXM")  # a pilot code failing the check
    assert e.code == "unknown_enterprise", "the check character is the register's call"
    for bad in ("91140100MA0K8Q1X3", "91140100MA0K8Q1X3CC", "9114010OMA0K8Q1X3C", "营业执照"):
        e = fails(client.verify_enterprise, bad)
        assert (e.kind, e.code, e.status) == (ErrorKind.REJECTED, "malformed_uscc", 400), bad


def test_certificates_wait_for_the_legal_representative(platform, client, sent) -> None:
    ticket = client.verify_enterprise(JINSHANG.uscc)
    code = code_of("ent_si_proof")
    e = fails(client.submit, ticket, code, str(uuid.uuid4()))
    assert (e.kind, e.code, e.status) == (ErrorKind.REJECTED, "representative_required", 403)
    assert "法定代表人" in e.message

    for key in ("li_ming", "wu_jun"):  # wu_jun represents the other enterprise
        e = fails(client.confirm_representative, ticket, people.BY_KEY[key].card())
        assert (e.code, e.status) == ("not_representative", 403), key
        assert people.BY_KEY[key].number not in e.detail
    stranger = IdentityCard(CardType.RESIDENT, "王五", "360426199101010071")
    assert fails(client.confirm_representative, ticket, stranger).code == "not_representative"
    wrong_name = people.BY_KEY[JINSHANG.representative_key].card()
    wrong_name.name = "张三"
    assert fails(client.confirm_representative, ticket, wrong_name).code == "card_mismatch"
    assert fails(client.submit, ticket, code, str(uuid.uuid4())).code == "representative_required"

    sent.clear()
    assert client.confirm_representative(ticket, people.BY_KEY["zhang_wei"].card()) is None
    conforms(sent[0], "RepresentativeRequest")
    case = client.submit(ticket, code, str(uuid.uuid4()))
    assert case.document.holder == f"{JINSHANG.name}（统一社会信用代码 {JINSHANG.uscc}）"
    result = client.verify_certificate(case.document.verification_code)
    assert result.status is VerifyStatus.AUTHENTIC and JINSHANG.name not in result.holder_masked

    fresh = client.verify_enterprise(JINSHANG.uscc)  # the confirmation belongs to one ticket
    assert fails(client.submit, fresh, code, str(uuid.uuid4())).code == "representative_required"


def test_representative_replies_follow_the_contract(platform, client) -> None:
    ticket = client.verify_enterprise(JINSHANG.uscc)
    zhang = people.BY_KEY["zhang_wei"]
    card = {"card_type": "resident", "name": zhang.name, "number": zhang.number}
    path = "/v1/identity/representative"
    data = json.dumps({"card": card}).encode()
    headers = {
        **sign_headers(DEMO_DEVICE_ID, DEMO_DEVICE_KEY, "POST", path, data),
        "X-Citizen-Ticket": ticket.ticket,
    }
    reply = requests.post(platform.url + path, data=data, headers=headers, timeout=5)
    assert reply.status_code == 200
    conforms(reply.json(), "RepresentativeConfirmed")

    person = client.verify_identity(zhang.card())
    e = fails(client.confirm_representative, person, zhang.card())
    assert (e.code, e.status) == ("not_enterprise", 400)
    none = Ticket("t" * 20, "r", dt.datetime.now(dt.UTC), Subject.ENTERPRISE)
    e = fails(client.confirm_representative, none, zhang.card())
    assert (e.kind, e.code) == (ErrorKind.UNAUTHORISED, "ticket_invalid")


# ---- certificate verification (证明核验) ------------------------------------------------------


def test_every_certificate_verdict(platform, client) -> None:
    ticket = client.verify_identity(people.BY_KEY["ouyang_xiaoming"].card())
    first = client.submit(ticket, code_of("hukou_proof"), str(uuid.uuid4())).document
    second = client.submit(ticket, code_of("social_card_status"), str(uuid.uuid4())).document

    result = client.verify_certificate(first.verification_code)
    assert result.status is VerifyStatus.AUTHENTIC and result.holder_masked == "欧**明"
    assert client.verify_certificate("23456789ABCDEFGH").status is VerifyStatus.NOT_FOUND

    reply = devkit(platform, f"/certificates/{first.verification_code.lower()}/expire")
    assert reply.status_code == 200 and reply.json()["status"] == "expired"
    assert reply.json()["valid_until"] == (FRIDAY - dt.timedelta(days=1)).isoformat()
    expired = client.verify_certificate(first.verification_code)
    assert expired.status is VerifyStatus.EXPIRED and expired.holder_masked == "欧**明"
    assert expired.valid_until == FRIDAY - dt.timedelta(days=1)
    conforms(
        signed(platform, "GET", f"/v1/certificates/{first.verification_code}").json(),
        "VerifyResult",
    )

    assert platform.expire(second.verification_code) and not platform.expire("2" * 16)
    assert platform.revoke(second.verification_code)
    revoked = client.verify_certificate(second.verification_code)
    assert revoked.status is VerifyStatus.REVOKED, "revocation wins over expiry"
    assert devkit(platform, f"/certificates/{'2' * 16}/expire").status_code == 404


def test_devkit_state_counts_tokens_and_sessions(platform) -> None:
    platform.mint_token("wu_jun")
    state = requests.get(f"{platform.url}/devkit/state", timeout=5).json()
    conforms(state, "DevkitState")
    assert state["app_tokens_unused"] >= 1 and state["identity_sessions"] >= 1


def test_every_new_error_code_has_citizen_words() -> None:
    for code in (
        "unknown_token",
        "token_expired",
        "token_used",
        "unknown_enterprise",
        "malformed_uscc",
        "not_representative",
        "representative_required",
        "session_expired",
        "unknown_session",
    ):
        assert "。" in CODE_MESSAGES[code], code
