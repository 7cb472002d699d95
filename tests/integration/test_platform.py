"""The platform client (kiosk/platform.py) against the reference platform
(devkit/platform_server.py) over real HTTP on 127.0.0.1, and every reply checked against the
schemas of docs/platform-api.yaml, so both sides of the contract are held to the document."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests
import yaml

from devkit import people, seed
from devkit.platform_server import (
    DEFAULT_VERIFY_BASE_URL,
    DEMO_DEVICE_ID,
    DEMO_DEVICE_KEY,
    ReferencePlatform,
)
from kiosk.document import DocumentKind
from kiosk.identity import CardType, IdentityCard
from kiosk.models import CaseKind, MaterialSource, Subject, Ticket, VerifyStatus
from kiosk.platform import ErrorKind, PlatformClient, PlatformError, citizen_message_for
from kiosk.ratings import Rating, RatingLevel
from kiosk.signing import HEADER_NONCE, sign_headers

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "docs" / "platform-api.yaml").read_text(encoding="utf-8"))
FRIDAY = dt.date(2025, 6, 13)
CHINA = dt.timezone(dt.timedelta(hours=8))


# ---- a small checker for the OpenAPI 3.0 schemas used in the contract ---------------------------


def conforms(value: Any, schema: dict | str, path: str = "reply") -> None:
    """Raise AssertionError naming the path where ``value`` leaves the schema."""
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    if "$ref" in schema:
        target: Any = SPEC
        for step in schema["$ref"].removeprefix("#/").split("/"):
            target = target[step]
        return conforms(value, target, path)
    for part in schema.get("allOf", []):
        conforms(value, part, path)
    if "oneOf" in schema:
        fits = []
        for part in schema["oneOf"]:
            try:
                conforms(value, part, path)
            except AssertionError:
                continue
            fits.append(part)
        assert len(fits) == 1, f"{path}: fits {len(fits)} of the oneOf alternatives, not 1"
    if value is None:
        assert schema.get("nullable"), f"{path}: null is not allowed"
        return
    kind = schema.get("type")
    types = {
        "object": dict,
        "array": list,
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
    }
    if kind:
        assert isinstance(value, types[kind]), f"{path}: expected {kind}, got {value!r}"
        if kind in ("integer", "number"):
            assert not isinstance(value, bool), f"{path}: expected {kind}, got a boolean"
    if "enum" in schema:
        assert value in schema["enum"], f"{path}: {value!r} not in {schema['enum']}"
    if isinstance(value, str):
        assert len(value) <= schema.get("maxLength", 10**9), f"{path}: too long"
        if "pattern" in schema:
            assert re.search(schema["pattern"], value), f"{path}: {value!r} does not match"
        if schema.get("format") == "date":
            dt.date.fromisoformat(value)
        if schema.get("format") == "date-time":
            assert dt.datetime.fromisoformat(value).tzinfo, f"{path}: no time zone"
    if isinstance(value, int | float) and not isinstance(value, bool):
        assert value >= schema.get("minimum", -(10**18)), f"{path}: below minimum"
        assert value <= schema.get("maximum", 10**18), f"{path}: above maximum"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"{path}.{key}: missing"
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                conforms(value[key], sub, f"{path}.{key}")
    if isinstance(value, list):
        assert len(value) <= schema.get("maxItems", 10**9), f"{path}: too many entries"
        for i, entry in enumerate(value):
            conforms(entry, schema.get("items", {}), f"{path}[{i}]")


# ---- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def days() -> list[dt.date]:
    return [FRIDAY]


@pytest.fixture(scope="module")
def platform(days: list[dt.date]) -> Iterator[ReferencePlatform]:
    with ReferencePlatform(today=lambda: days[0]) as server:
        yield server


@pytest.fixture()
def faulty(platform: ReferencePlatform) -> Iterator[ReferencePlatform]:
    platform.clear_call_log()
    try:
        yield platform
    finally:
        platform.set_faults()


def make_client(url: str, key: bytes = DEMO_DEVICE_KEY, **kw: Any) -> PlatformClient:
    options = {"connect_timeout": 1.0, "read_timeout": 3.0, "retries": 2, "backoff": 0.01}
    options.update(kw)
    return PlatformClient(url, DEMO_DEVICE_ID, key, **options)


@pytest.fixture()
def client(platform: ReferencePlatform) -> Iterator[PlatformClient]:
    with make_client(platform.url) as c:
        yield c


def login(client: PlatformClient, key: str) -> Ticket:
    return client.verify_identity(people.BY_KEY[key].card())


def code_of(key: str) -> str:
    return seed.BY_ITEM_KEY[key].item_code


def raw(
    platform: ReferencePlatform,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    **sign: Any,
) -> requests.Response:
    signed = headers or sign_headers(DEMO_DEVICE_ID, DEMO_DEVICE_KEY, method, path, body, **sign)
    return requests.request(method, platform.url + path, data=body, headers=signed, timeout=5)


def rating(case_no: str, level: RatingLevel = RatingLevel.SATISFIED, **kw: Any) -> Rating:
    values: dict[str, Any] = {
        "case_no": case_no,
        "item_code": code_of("si_payment_proof"),
        "item_name": "个人社保参保缴费证明打印",
        "department": seed.RSJ,
        "rater_ref": "R" + "0" * 31,
        "level": level,
        "rated_at": dt.datetime(2025, 6, 13, 10, 5, tzinfo=CHINA),
        "device_id": DEMO_DEVICE_ID,
        "region_code": "140100",
    }
    values.update(kw)
    return Rating(**values)


# ---- identity ------------------------------------------------------------------------------


def test_verify_identity_opens_a_short_lived_ticket(platform, client) -> None:
    zhang = people.BY_KEY["zhang_wei"]
    body = {
        "method": "id_card",
        "card": {
            "card_type": "resident",
            "name": zhang.name,
            "number": zhang.number,
            "birth_date": "1985-03-12",
            "valid_to": "2035-03-12",
        },
    }
    reply = raw(platform, "POST", "/v1/identity/verify", json.dumps(body).encode())
    assert reply.status_code == 200
    conforms(reply.json(), "Ticket")

    ticket = login(client, "zhang_wei")
    assert ticket.subject is Subject.PERSON
    left = ticket.expires_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=14) < left <= dt.timedelta(minutes=15)
    assert ticket.expires_at.utcoffset() is not None
    assert zhang.number not in ticket.rater_ref and zhang.number[-6:] not in ticket.rater_ref
    assert login(client, "zhang_wei").rater_ref == ticket.rater_ref  # stable per person
    assert login(client, "zhang_wei").ticket != ticket.ticket  # a fresh ticket every time
    assert login(client, "li_ming").rater_ref != ticket.rater_ref


def test_every_card_type_and_the_social_security_card_identify(platform, client) -> None:
    for key in ("chan_kaming", "john_smith", "anna_ivanova"):
        ticket = client.verify_identity(people.BY_KEY[key].card())
        assert ticket.subject is Subject.PERSON, key
        assert any(i.available for i in client.available_items(ticket)), key
    wang = people.BY_KEY["wang_guilan"]
    by_card = client.verify_identity(wang.card())
    by_social = client.verify_identity(wang.social_card())
    assert by_social.rater_ref == by_card.rater_ref, "the same person by either credential"
    calls = [c for c in platform.call_log() if c[1] == "/v1/identity/verify"]
    assert calls[-1][2] == 200
    body = {
        "method": "social_security_card",
        "card": {"card_type": "resident", "name": wang.name, "number": wang.number},
    }
    reply = raw(platform, "POST", "/v1/identity/verify", json.dumps(body).encode())
    assert reply.status_code == 400, "the method and the card type must agree"


def test_an_unknown_number_is_not_found(client) -> None:
    card = IdentityCard(CardType.RESIDENT, "王五", "360426199101010071")
    with pytest.raises(PlatformError) as info:
        client.verify_identity(card)
    e = info.value
    assert (e.kind, e.code, e.status) == (ErrorKind.NOT_FOUND, "unknown_person", 404)
    assert e.message == citizen_message_for("unknown_person") and "窗口" in e.message
    assert not e.retryable


def test_a_name_that_does_not_belong_to_the_number_is_refused(client) -> None:
    card = people.BY_KEY["zhang_wei"].card()
    card.name = "张三"
    with pytest.raises(PlatformError) as info:
        client.verify_identity(card)
    assert (info.value.kind, info.value.code, info.value.status) == (
        ErrorKind.REJECTED,
        "card_mismatch",
        403,
    )
    assert "不一致" in info.value.message
    assert "张三" not in info.value.detail and card.number not in info.value.detail


def test_an_expired_card_is_refused_by_the_platform_too(client) -> None:
    with pytest.raises(PlatformError) as info:
        login(client, "sun_qiang")
    assert (info.value.kind, info.value.code) == (ErrorKind.REJECTED, "card_expired")


# ---- the citizen's list and guides ---------------------------------------------------------


def test_eligibility_differs_between_citizens(platform, client) -> None:
    reply = raw(
        platform,
        "GET",
        "/v1/citizen/items",
        headers={
            **sign_headers(DEMO_DEVICE_ID, DEMO_DEVICE_KEY, "GET", "/v1/citizen/items", b""),
            "X-Citizen-Ticket": login(client, "zhang_wei").ticket,
        },
    )
    conforms(reply.json(), "ItemList")

    zhang = client.available_items(login(client, "zhang_wei"))
    li = client.available_items(login(client, "li_ming"))
    assert len(zhang) == len(li) == 27
    assert all(i.subject is Subject.PERSON for i in zhang)
    open_to_zhang = {i.item_code for i in zhang if i.available}
    open_to_li = {i.item_code for i in li if i.available}
    assert code_of("fund_deposit_proof") in open_to_zhang - open_to_li
    assert code_of("unemployment_proof") in open_to_li - open_to_zhang
    fund = next(i for i in li if i.item_code == code_of("fund_deposit_proof"))
    assert not fund.available and fund.unavailable_reason == "您暂无住房公积金缴存记录"
    assert all(i.unavailable_reason == "" for i in zhang if i.available)


def test_ma_yun_sees_every_item_and_none_available(client) -> None:
    items = client.available_items(login(client, "ma_yun"))
    assert len(items) == 27
    assert not any(i.available for i in items)
    assert all(i.unavailable_reason for i in items)
    assert any("窗口" in i.unavailable_reason for i in items)


def test_guide_lists_materials_the_platform_fetches(platform, client) -> None:
    code = code_of("fund_deposit_proof")
    conforms(raw(platform, "GET", f"/v1/items/{code}/guide").json(), "Guide")

    public = client.guide(code)
    assert public.item.item_code == code and public.item.available
    sources = {m.source for m in public.materials}
    assert {MaterialSource.LICENCE, MaterialSource.SHARED} <= sources
    assert "居民身份证" in [m.name for m in public.materials]
    assert not any(m.citizen_brings for m in public.materials)
    assert public.phone == "12329" and public.conditions and public.process
    assert public.pledge_text == ""

    for_li = client.guide(code, login(client, "li_ming"))
    assert not for_li.item.available and for_li.item.unavailable_reason


def test_pledge_items_carry_the_pledge_text(client) -> None:
    guide = client.guide(code_of("marriage_record"))
    assert guide.pledge_text.startswith("本人承诺")
    assert MaterialSource.PLEDGE in {m.source for m in guide.materials}
    assert guide.item.case_kind is CaseKind.PROMISED and guide.item.promised_days == 5


def test_an_unknown_item_has_no_guide(client) -> None:
    with pytest.raises(PlatformError) as info:
        client.guide("999999")
    assert (info.value.kind, info.value.code) == (ErrorKind.NOT_FOUND, "unknown_item")


# ---- cases, certificates, verification -----------------------------------------------------


def test_an_instant_item_issues_a_verifiable_certificate(platform, client, days) -> None:
    zhang = people.BY_KEY["zhang_wei"]
    ticket = login(client, "zhang_wei")
    case = client.submit(ticket, code_of("fund_deposit_proof"), str(uuid.uuid4()))
    doc = case.document
    assert case.case_kind is CaseKind.INSTANT and doc.kind is DocumentKind.CERTIFICATE
    assert doc.title == "住房公积金缴存证明" and doc.department == seed.GJJ
    assert doc.holder == "张伟（身份证号 140105********0210）"
    assert zhang.number not in json.dumps(doc.to_json(), ensure_ascii=False)
    labels = {f.label: f.value for f in doc.fields}
    assert labels["当前缴存状态"] == "正常缴存" and "缴存单位" in labels
    assert doc.purpose == "本证明仅用于办理相关业务" and doc.footer and doc.body
    assert doc.issued_on == FRIDAY and doc.valid_until and doc.valid_until > FRIDAY
    assert re.fullmatch(r"[0-9A-HJ-NP-Z]{16}", doc.verification_code)
    assert doc.qr_content == DEFAULT_VERIFY_BASE_URL + doc.verification_code
    assert doc.case_no == case.case_no

    result = client.verify_certificate(doc.verification_code)
    assert result.status is VerifyStatus.AUTHENTIC
    assert (result.title, result.holder_masked, result.department) == (doc.title, "张*", seed.GJJ)
    assert (result.issued_on, result.valid_until) == (doc.issued_on, doc.valid_until)
    checked = raw(platform, "GET", f"/v1/certificates/{doc.verification_code}")
    conforms(checked.json(), "VerifyResult")
    assert client.verify_certificate(doc.verification_code.lower()).status is VerifyStatus.AUTHENTIC

    days[0] = doc.valid_until + dt.timedelta(days=1)
    try:
        assert client.verify_certificate(doc.verification_code).status is VerifyStatus.EXPIRED
    finally:
        days[0] = FRIDAY

    assert platform.revoke(doc.verification_code)
    result = client.verify_certificate(doc.verification_code)
    assert result.status is VerifyStatus.REVOKED and result.title == doc.title


def test_every_instant_item_writes_a_certificate_for_someone(platform, client) -> None:
    """Each of the 22 instant personal items has content; some eligible citizen gets it."""
    tickets = {c.key: login(client, c.key) for c in people.CITIZENS if c.key != "sun_qiang"}
    for item in seed.PERSON_ITEMS:
        if item.case_kind is not CaseKind.INSTANT:
            continue
        who = next(
            k for k, c in people.BY_KEY.items() if k in tickets and seed.eligible(item, c.accounts)
        )
        body = json.dumps({"item_code": item.item_code, "request_id": str(uuid.uuid4())})
        headers = sign_headers(DEMO_DEVICE_ID, DEMO_DEVICE_KEY, "POST", "/v1/cases", body.encode())
        headers["X-Citizen-Ticket"] = tickets[who].ticket
        reply = raw(platform, "POST", "/v1/cases", body.encode(), headers=headers)
        assert reply.status_code == 201, (item.key, reply.text)
        conforms(reply.json(), "CaseResult")
        document = reply.json()["document"]
        assert document["kind"] == "certificate" and len(document["fields"]) >= 3, item.key


def test_a_revoked_certificate_via_the_devkit_control(platform, client) -> None:
    case = client.submit(login(client, "li_ming"), code_of("unemployment_proof"), "devkit-revoke")
    code = case.document.verification_code
    reply = requests.post(f"{platform.url}/devkit/certificates/{code}/revoke", timeout=5)
    assert reply.status_code == 200 and reply.json()["status"] == "revoked"
    assert client.verify_certificate(code).status is VerifyStatus.REVOKED
    missing = requests.post(f"{platform.url}/devkit/certificates/{'2' * 16}/revoke", timeout=5)
    assert missing.status_code == 404


def test_unknown_and_malformed_codes(client) -> None:
    assert client.verify_certificate("23456789ABCDEFGH").status is VerifyStatus.NOT_FOUND
    for bad in ("TOO-SHORT", "O" * 16, "../../v1/catalogue"):
        with pytest.raises(PlatformError) as info:
            client.verify_certificate(bad)
        assert (info.value.kind, info.value.code, info.value.status) == (
            ErrorKind.REJECTED,
            "malformed_code",
            400,
        )


def test_a_promised_item_issues_a_receipt_with_a_weekday_promise(client) -> None:
    ticket = login(client, "zhang_wei")
    code = code_of("fund_withdrawal")
    with pytest.raises(PlatformError) as info:
        client.submit(ticket, code, str(uuid.uuid4()))
    assert (info.value.code, info.value.status) == ("pledge_required", 422)
    assert "承诺" in info.value.message

    case = client.submit(ticket, code, str(uuid.uuid4()), pledge_confirmed=True)
    doc = case.document
    assert case.case_kind is CaseKind.PROMISED and doc.kind is DocumentKind.RECEIPT
    assert doc.title == "受理回执" and doc.case_no == case.case_no
    # Friday + 3 working days skips the weekend: Wednesday.
    assert doc.promised_date == dt.date(2025, 6, 18) and doc.promised_date.weekday() < 5
    assert {"受理编号": case.case_no}.items() <= {f.label: f.value for f in doc.fields}.items()
    assert doc.verification_code and doc.qr_content.endswith(doc.verification_code)


def test_the_same_request_id_gives_one_case(platform, client) -> None:
    ticket = login(client, "zhao_min")
    request_id = str(uuid.uuid4())
    platform.clear_call_log()
    first = client.submit(ticket, code_of("fund_loan_cleared"), request_id)
    again = client.submit(login(client, "zhao_min"), code_of("fund_loan_cleared"), request_id)
    assert again == first
    same = [c for c in platform.cases() if c["request_id"] == request_id]
    assert [c["case_no"] for c in same] == [first.case_no]
    assert [s for m, p, s in platform.call_log() if p == "/v1/cases"] == [201, 200]

    with pytest.raises(PlatformError) as info:  # the id now belongs to that case
        client.submit(ticket, code_of("fund_deposit_proof"), request_id)
    assert (info.value.code, info.value.status) == ("request_id_reused", 409)


def test_concurrent_retries_of_one_request_still_give_one_case(platform, client) -> None:
    ticket = login(client, "chen_hao")
    request_id = str(uuid.uuid4())
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda _: client.submit(ticket, code_of("hukou_proof"), request_id), range(8))
        )
    assert len({r.case_no for r in results}) == 1
    assert len([c for c in platform.cases() if c["request_id"] == request_id]) == 1


def test_cases_and_rater_refs_survive_a_restart(tmp_path) -> None:
    db = tmp_path / "platform.db"
    with ReferencePlatform(db) as first, make_client(first.url) as c:
        ticket = login(c, "wang_guilan")
        case = c.submit(ticket, code_of("pension_paid_proof"), "restart-1")
    with ReferencePlatform(db) as second, make_client(second.url) as c:
        assert c.verify_certificate(case.document.verification_code).status is (
            VerifyStatus.AUTHENTIC
        )
        again = login(c, "wang_guilan")
        assert again.rater_ref == ticket.rater_ref
        assert c.submit(again, code_of("pension_paid_proof"), "restart-1") == case


def test_an_ineligible_citizen_cannot_submit(client) -> None:
    with pytest.raises(PlatformError) as info:
        client.submit(login(client, "li_ming"), code_of("fund_deposit_proof"), str(uuid.uuid4()))
    e = info.value
    assert (e.kind, e.code, e.status) == (ErrorKind.REJECTED, "not_eligible", 403)
    assert e.message == citizen_message_for("not_eligible")


def test_an_expired_ticket_ends_the_session() -> None:
    with ReferencePlatform(ticket_ttl=0) as short, make_client(short.url) as c:
        ticket = login(c, "zhang_wei")
        with pytest.raises(PlatformError) as info:
            c.available_items(ticket)
        e = info.value
        assert (e.kind, e.code, e.status) == (ErrorKind.UNAUTHORISED, "ticket_expired", 401)
        assert "重新放置身份证" in e.message
        with pytest.raises(PlatformError) as info:
            c.submit(ticket, code_of("si_payment_proof"), "x")
        assert info.value.code == "ticket_expired"


# ---- ratings, catalogue, heartbeat ---------------------------------------------------------


def test_ratings_are_idempotent_and_checked(platform, client) -> None:
    cases = [
        client.submit(login(client, "wu_jun"), code_of(key), str(uuid.uuid4())).case_no
        for key in ("si_payment_proof", "tax_record", "credit_report", "veteran_card")
    ]
    good = [
        rating(cases[0], RatingLevel.VERY_SATISFIED, reasons=("G01", "G03")),
        rating(cases[1], RatingLevel.DISSATISFIED, reasons=("R01",)),
        rating(cases[2], RatingLevel.VERY_DISSATISFIED, text="打印机卡纸"),
    ]
    bad = rating(cases[3], RatingLevel.DISSATISFIED)  # a bad rating without a reason
    records = [r.to_json() for r in [*good, bad]]
    conforms({"ratings": records}, "RatingsBatch")
    before = len(platform.ratings())

    first = client.send_ratings(records)
    assert first.accepted == tuple(r.rating_id for r in good)
    assert first.duplicates == ()
    assert first.rejected == {bad.rating_id: "reason_required"}

    second = client.send_ratings(records)
    assert second.accepted == () and second.duplicates == first.accepted
    assert second.rejected == {bad.rating_id: "reason_required"}
    assert len(platform.ratings()) == before + 3

    stored = {r["rating_id"]: r for r in platform.ratings()}
    assert stored[good[0].rating_id]["satisfaction"] == 5
    assert stored[good[0].rating_id]["reasons"] == "G01,G03"

    again = rating(cases[0], RatingLevel.BASIC)  # a second first-rating of the same case
    follow_up = rating(cases[0], RatingLevel.SATISFIED, rating_count=2)
    wrong_code = {**rating(cases[3]).to_json(), "satisfaction": 2}
    wrong_channel = rating(cases[3], channel=4)
    no_zone = {**rating(cases[3]).to_json(), "rated_at": "2025-06-13T10:05:00"}
    other_device = rating(cases[3], device_id="SX-TY-0002")
    missing = {k: v for k, v in rating(cases[3]).to_json().items() if k != "case_no"}
    reply = client.send_ratings(
        [
            again.to_json(),
            follow_up.to_json(),
            wrong_code,
            wrong_channel.to_json(),
            no_zone,
            other_device.to_json(),
            missing,
        ]
    )
    assert reply.accepted == (follow_up.rating_id,)
    assert reply.rejected == {
        again.rating_id: "already_rated",
        wrong_code["rating_id"]: "level_mismatch",
        wrong_channel.rating_id: "bad_channel",
        no_zone["rating_id"]: "bad_rated_at",
        other_device.rating_id: "device_mismatch",
        missing["rating_id"]: "invalid: case_no: missing",
    }
    devkit = requests.get(f"{platform.url}/devkit/ratings", timeout=5).json()["ratings"]
    assert len(devkit) == len(platform.ratings())


def test_a_batch_over_the_limit_is_refused(platform, client) -> None:
    with pytest.raises(ValueError):
        client.send_ratings([{}] * 1001)
    body = json.dumps({"ratings": [{}] * 1001}).encode()
    reply = raw(platform, "PUT", "/v1/ratings", body)
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "batch_too_large"


def test_catalogue_etag_and_304(platform, client) -> None:
    reply = raw(platform, "GET", "/v1/catalogue")
    conforms(reply.json(), "Catalogue")

    catalogue = client.catalogue()
    assert catalogue is not None and catalogue.version == seed.CATALOGUE_VERSION
    assert catalogue.etag.startswith('"') and catalogue.etag == reply.headers["ETag"]
    subjects = [i.subject for i in catalogue.items]
    assert subjects.count(Subject.PERSON) == 27 and subjects.count(Subject.ENTERPRISE) == 4
    categories = (
        "社会保障 医疗保障 住房公积金 税务 不动产 公安户政 交通 民政 卫健教育 市场监管 其他"
    )
    assert {i.category for i in catalogue.items} == set(categories.split())
    assert all(i.available for i in catalogue.items)

    assert client.catalogue(catalogue.etag) is None
    headers = sign_headers(DEMO_DEVICE_ID, DEMO_DEVICE_KEY, "GET", "/v1/catalogue", b"")
    headers["If-None-Match"] = catalogue.etag
    unchanged = raw(platform, "GET", "/v1/catalogue", headers=headers)
    assert unchanged.status_code == 304 and unchanged.content == b""
    stale = client.catalogue('"0000"')
    assert stale is not None and stale.etag == catalogue.etag


def test_heartbeat(platform, client) -> None:
    status = {"app": "0.1.0", "printer": {"state": "online", "paper": "low"}, "outbox": 3}
    assert client.heartbeat(status) == (), "nothing acknowledged: 204"
    seen = {d["device_id"]: d for d in platform.devices_seen()}
    assert seen[DEMO_DEVICE_ID]["status"] == status
    path = "/v1/devices/SX-TY-0002/heartbeat"
    body = json.dumps({"sent_at": "2025-06-13T10:00:00+08:00", "status": {}}).encode()
    reply = raw(platform, "PUT", path, body)
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "device_mismatch"
    conforms(reply.json(), "Error")


def test_a_staff_call_acknowledged_comes_back_on_every_heartbeat_reply(platform, client) -> None:
    call_id = str(uuid.uuid4())
    event = {"id": str(uuid.uuid4()), "event": "call_staff", "screen": "items"}
    assert client.heartbeat({"events": [event | {"call_id": call_id}]}) == ()
    ack = f"/devkit/staff-calls/{call_id}/acknowledge"
    assert requests.post(platform.url + "/devkit/staff-calls/nobody/acknowledge").status_code == 404
    reply = requests.post(platform.url + ack)
    assert reply.status_code == 200 and reply.json() == {
        "call_id": call_id,
        "status": "acknowledged",
    }
    assert client.heartbeat({}) == (call_id,)
    assert client.heartbeat({}) == (call_id,), "told again: a reply lost on the way is repeated"
    body = json.dumps({"sent_at": "2025-06-13T10:00:00+08:00", "status": {}}).encode()
    answer = raw(platform, "PUT", f"/v1/devices/{DEMO_DEVICE_ID}/heartbeat", body)
    assert answer.status_code == 200
    conforms(answer.json(), "HeartbeatReply")


# ---- signatures ----------------------------------------------------------------------------


def test_a_wrong_key_is_unauthorised(platform) -> None:
    with (
        make_client(platform.url, key=b"not-the-device-key") as c,
        pytest.raises(PlatformError) as info,
    ):
        c.catalogue()
    e = info.value
    assert (e.kind, e.code, e.status) == (ErrorKind.UNAUTHORISED, "bad_signature", 401)
    assert not e.retryable and "人工窗口" in e.message


def test_an_unknown_device_is_unauthorised(platform) -> None:
    with (
        PlatformClient(platform.url, "SX-TY-9999", DEMO_DEVICE_KEY, retries=0) as c,
        pytest.raises(PlatformError) as info,
    ):
        c.catalogue()
    assert (info.value.kind, info.value.code) == (ErrorKind.UNAUTHORISED, "unknown_device")


def test_a_replayed_request_is_refused(platform) -> None:
    body = json.dumps({"sent_at": "2025-06-13T10:00:00+08:00", "status": {}}).encode()
    path = f"/v1/devices/{DEMO_DEVICE_ID}/heartbeat"
    headers = sign_headers(DEMO_DEVICE_ID, DEMO_DEVICE_KEY, "PUT", path, body)
    # 200 when a staff call of this device was acknowledged lately (an earlier test's)
    assert raw(platform, "PUT", path, body, headers=headers).status_code in (200, 204)
    replay = raw(platform, "PUT", path, body, headers=headers)
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "replayed_nonce"


def test_a_skewed_clock_is_refused(platform) -> None:
    now = dt.datetime.now(dt.UTC).timestamp()
    for skew in (-400, 400):
        reply = raw(platform, "GET", "/v1/catalogue", now=now + skew)
        assert reply.status_code == 401 and reply.json()["error"]["code"] == "clock_skew"
        conforms(reply.json(), "Error")


def test_an_unsigned_request_is_refused(platform) -> None:
    reply = requests.get(platform.url + "/v1/catalogue", timeout=5)
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "unsigned"


def test_a_failed_answer_does_not_spend_the_nonce(faulty) -> None:
    headers = sign_headers(DEMO_DEVICE_ID, DEMO_DEVICE_KEY, "GET", "/v1/catalogue", b"")
    faulty.set_faults(failure_rate=1.0, failure_status=503)
    assert raw(faulty, "GET", "/v1/catalogue", headers=headers).status_code == 503
    faulty.set_faults()
    assert raw(faulty, "GET", "/v1/catalogue", headers=headers).status_code == 200
    assert raw(faulty, "GET", "/v1/catalogue", headers=headers).status_code == 401


# ---- faults --------------------------------------------------------------------------------


def test_latency_beyond_the_read_timeout_is_a_timeout(faulty) -> None:
    faulty.set_faults(latency_ms=1500)
    with (
        make_client(faulty.url, read_timeout=0.3, retries=0) as c,
        pytest.raises(PlatformError) as info,
    ):
        c.catalogue()
    assert info.value.kind is ErrorKind.TIMEOUT and info.value.retryable
    assert "超时" in info.value.message and info.value.detail.startswith("GET /v1/catalogue")


def test_latency_within_the_read_timeout_is_just_slow(faulty, client) -> None:
    faulty.set_faults(latency_ms=100)
    assert client.catalogue() is not None


def test_5xx_retries_get_and_put_but_never_post(faulty, client) -> None:
    faulty.set_faults(failure_rate=1.0, failure_status=503)
    with pytest.raises(PlatformError) as info:
        client.catalogue()
    e = info.value
    assert (e.kind, e.status, e.code) == (ErrorKind.SERVER, 503, "injected_failure")
    assert e.retryable and "稍后再试" in e.message

    with pytest.raises(PlatformError):
        client.send_ratings([])
    with pytest.raises(PlatformError) as info:
        client.verify_identity(people.BY_KEY["zhang_wei"].card())
    assert info.value.kind is ErrorKind.SERVER

    calls = faulty.call_log()
    assert [c for c in calls if c[1] == "/v1/catalogue"] == [("GET", "/v1/catalogue", 503)] * 3
    assert [c for c in calls if c[1] == "/v1/ratings"] == [("PUT", "/v1/ratings", 503)] * 3
    assert [c for c in calls if c[1] == "/v1/identity/verify"] == [
        ("POST", "/v1/identity/verify", 503)
    ]


def test_a_partial_failure_rate_is_absorbed_by_retries(faulty, client) -> None:
    faulty.set_faults(failure_rate=0.3)
    for _ in range(10):
        assert client.catalogue() is not None
    assert 503 in {s for _, _, s in faulty.call_log()}


def test_a_refusing_platform_is_unreachable_and_comes_back(faulty, client) -> None:
    assert client.catalogue() is not None  # a pooled keep-alive connection exists now
    faulty.set_faults(mode="refuse")
    with pytest.raises(PlatformError) as info:
        client.catalogue()
    e = info.value
    assert e.kind is ErrorKind.UNREACHABLE and e.status is None and e.retryable
    assert e.message == "暂时无法连接政务服务平台。请稍后再试，或到人工窗口办理。"
    with pytest.raises(PlatformError) as info:
        client.verify_identity(people.BY_KEY["zhang_wei"].card())
    assert info.value.kind is ErrorKind.UNREACHABLE
    faulty.set_faults()
    assert client.catalogue() is not None


def test_a_hanging_platform_is_a_timeout(faulty) -> None:
    faulty.set_faults(mode="hang")
    with make_client(faulty.url, read_timeout=0.3, retries=0) as c:
        with pytest.raises(PlatformError) as info:
            c.available_items(Ticket("t" * 20, "r", dt.datetime.now(dt.UTC), Subject.PERSON))
        assert info.value.kind is ErrorKind.TIMEOUT
        faulty.set_faults()
        assert c.catalogue() is not None


def test_faults_through_the_devkit_control(faulty, client) -> None:
    reply = requests.post(
        f"{faulty.url}/devkit/faults", json={"failure_rate": 1.0, "failure_status": 502}, timeout=5
    )
    assert reply.status_code == 200
    state = requests.get(f"{faulty.url}/devkit/state", timeout=5).json()
    assert state["faults"]["failure_status"] == 502 and state["items"] == 31
    assert (state["citizens"], state["enterprises"]) == (
        len(people.CITIZENS),
        len(people.ENTERPRISES),
    )
    conforms(state, "DevkitState")
    with pytest.raises(PlatformError) as info:
        client.catalogue()
    assert info.value.status == 502
    refused = requests.post(f"{faulty.url}/devkit/faults", json={"mode": "refuse"}, timeout=5)
    assert refused.status_code == 400  # would take the control socket away for good
    requests.post(f"{faulty.url}/devkit/faults", json={}, timeout=5)
    assert client.catalogue() is not None
    cases = requests.get(f"{faulty.url}/devkit/cases", timeout=5).json()["cases"]
    for case in cases:
        conforms(case, "DevkitCase")


def test_a_spoilt_reply_comes_after_the_signature_and_the_work(faulty, client) -> None:
    """reply= spoils the answer to a request the platform checked and handled: an unsigned one
    is still refused in the contract's words, a signed one is handled and its answer cut in half
    (malformed_json) or wrapped in an envelope (wrong_schema). path= spares the other paths,
    count= ends it."""
    faulty.set_faults(reply="malformed_json", path="/v1/catalogue")
    unsigned = requests.get(faulty.url + "/v1/catalogue", timeout=5)
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "unsigned"
    with pytest.raises(PlatformError) as info:
        client.catalogue()
    assert info.value.kind is ErrorKind.INVALID_REPLY and "not JSON" in info.value.detail
    client.heartbeat({})  # another path: untouched
    faulty.set_faults(reply="wrong_schema", count=1, path="/v1/identity/verify")
    with pytest.raises(PlatformError) as info:
        login(client, "zhang_wei")
    assert info.value.kind is ErrorKind.INVALID_REPLY
    assert login(client, "zhang_wei").ticket, "count=1: the next answer is whole"
    control = f"{faulty.url}/devkit/faults"
    assert requests.post(control, json={"reply": "wrong_schema"}, timeout=5).status_code == 200
    wrapped = raw(faulty, "GET", "/v1/catalogue")
    assert wrapped.status_code == 200 and set(wrapped.json()) == {"code", "msg", "data"}
    assert wrapped.json()["data"]["version"] == seed.CATALOGUE_VERSION
    for bad in (
        {"reply": "garbled"},
        {"path": "/devkit/state"},
        {"path": "/v1/", "mode": "refuse", "duration_s": 1},
    ):
        assert requests.post(control, json=bad, timeout=5).status_code == 400, bad


# ---- replies that break the contract -------------------------------------------------------


class _Liar(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    replies: ClassVar[dict[str, bytes]] = {}
    errors: ClassVar[dict[str, bytes]] = {}  # 404 with this body

    def do_GET(self) -> None:
        error = self.errors.get(self.path, b'{"error":{"code":"x","message":"x"}}')
        data = self.replies.get(self.path.split("?")[0], error)
        self.send_response(200 if self.path in self.replies else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def liar() -> Iterator[str]:
    item = seed.BY_ITEM_KEY["tax_record"].item_json(True)
    _Liar.replies = {
        "/v1/citizen/items": json.dumps({"items": [item, item, {**item, "name": None}]}).encode(),
        "/v1/catalogue": b"<html>gateway error</html>",
        "/v1/certificates/23456789ABCDEFGH": json.dumps({"status": "fine"}).encode(),
        "/v1/certificates/DEEP234567890ABC": b"[" * 100_000,  # deeper than json can recurse
    }
    _Liar.errors = {"/v1/items/deep/guide": b'{"error":' * 50_000 + b"{}" + b"}" * 50_000}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Liar)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_malformed_items_list_is_an_invalid_reply(liar) -> None:
    ticket = Ticket("t" * 20, "r", dt.datetime.now(dt.UTC), Subject.PERSON)
    with make_client(liar) as c:
        with pytest.raises(PlatformError) as info:
            c.available_items(ticket)
        e = info.value
        assert e.kind is ErrorKind.INVALID_REPLY and not e.retryable
        assert e.detail == "GET /v1/citizen/items: items[2].name: is null"
        assert "平台" in e.message

        with pytest.raises(PlatformError) as info:
            c.catalogue()
        assert info.value.kind is ErrorKind.INVALID_REPLY
        assert info.value.detail == "GET /v1/catalogue: reply is not JSON"

        with pytest.raises(PlatformError) as info:
            c.verify_certificate("23456789ABCDEFGH")
        assert info.value.kind is ErrorKind.INVALID_REPLY
        assert "23456789ABCDEFGH" not in info.value.detail  # a code is QR content: masked
        assert "status: 'fine' is not one of" in info.value.detail

        with pytest.raises(PlatformError) as info:
            c.guide("1401")  # the liar answers 404 with an error body
        assert (info.value.kind, info.value.code) == (ErrorKind.NOT_FOUND, "x")


def test_json_nested_too_deep_is_an_invalid_reply(liar) -> None:
    """json raises RecursionError there, not ValueError (seen while writing the fuzz harness:
    libFuzzer cannot reach it, no new branch leads deeper; tests/data/regressions keeps it)."""
    with make_client(liar) as c:
        with pytest.raises(PlatformError) as info:
            c.verify_certificate("DEEP234567890ABC")
        assert info.value.kind is ErrorKind.INVALID_REPLY
        assert info.value.detail.endswith(": reply is not JSON")

        with pytest.raises(PlatformError) as info:
            c.guide("deep")  # a 404 whose error body nests too deep: no code, still a 404
        assert (info.value.kind, info.value.code) == (ErrorKind.NOT_FOUND, "")


# ---- privacy -------------------------------------------------------------------------------


def test_logs_carry_no_personal_data_nor_tickets(platform, client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    person = people.BY_KEY["liu_yan"]
    ticket = login(client, "liu_yan")
    client.available_items(ticket)
    case = client.submit(ticket, code_of("disability_card"), str(uuid.uuid4()))
    client.verify_certificate(case.document.verification_code)
    with pytest.raises(PlatformError):
        client.submit(ticket, code_of("fund_deposit_proof"), str(uuid.uuid4()))
    text = caplog.text
    assert "POST /v1/identity/verify -> 200" in text and "GET /v1/citizen/items -> 200" in text
    for secret in (
        person.name,
        person.number,
        ticket.ticket,
        ticket.rater_ref,
        case.document.verification_code,
    ):
        assert secret not in text


# ---- standalone ----------------------------------------------------------------------------


def test_runs_standalone() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "devkit.platform_server", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        state = requests.get(url.group(0) + "/devkit/state", timeout=5).json()
        assert state["items"] == 31
        with make_client(url.group(0)) as c:
            assert len(c.available_items(login(c, "chen_hao"))) == 27
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_nonce_header_is_fresh_on_each_client_call(platform, client) -> None:
    seen: list[str] = []
    hook = lambda r, *a, **k: seen.append(r.request.headers[HEADER_NONCE])  # noqa: E731
    client.session.hooks["response"].append(hook)
    client.catalogue()
    client.catalogue()
    assert len(set(seen)) == 2


class _Busy(BaseHTTPRequestHandler):
    """A gateway that is busy and asks to be left alone for an hour."""

    protocol_version = "HTTP/1.1"
    calls = 0

    def do_GET(self) -> None:
        type(self).calls += 1
        data = b'{"error":{"code":"busy","message":"busy"}}'
        self.send_response(503)
        self.send_header("Retry-After", "3600")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_retry_after_header_never_holds_the_kiosk() -> None:
    """Found in review: urllib3 slept for the server's Retry-After (up to hours) on each retry,
    holding a citizen and a platform worker. Now a Retry-After beyond a couple of seconds ends
    the call at once, with the wait for whoever can afford it (the outbox worker)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Busy)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        c = PlatformClient(url, DEMO_DEVICE_ID, b"k" * 16, retries=1, backoff=0.01)
        outcome: list[object] = []

        def call() -> None:
            try:
                c.catalogue(None)
            except PlatformError as exc:
                outcome.append(exc.kind)

        t = threading.Thread(target=call, daemon=True)
        t.start()
        t.join(timeout=60)  # liveness, not speed: respecting the header would take two hours
        assert not t.is_alive(), "the client slept for the server's Retry-After"
        assert outcome == [ErrorKind.SERVER] and _Busy.calls == 1
    finally:
        server.shutdown()
        server.server_close()
