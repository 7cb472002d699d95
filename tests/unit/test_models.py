"""Reading platform replies (kiosk/models.py, kiosk/document.py): the shapes of
docs/platform-api.yaml are accepted, anything else is refused with the path of the bad value,
and no JSON value whatsoever makes a parser raise anything but InvalidData."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.document import Document, DocumentKind
from kiosk.models import (
    CaseKind,
    CaseResult,
    Catalogue,
    Guide,
    IdentitySession,
    Item,
    Material,
    MaterialSource,
    SessionPoll,
    SessionStatus,
    Subject,
    Ticket,
    VerifyResult,
    VerifyStatus,
)
from kiosk.print_layout import qr_modules
from kiosk.validate import InvalidData, Reader

ITEM = {
    "item_code": "1401002001300700",
    "name": "住房公积金缴存证明",
    "department": "太原市住房公积金管理中心",
    "category": "住房公积金",
    "subject": "person",
    "case_kind": "instant",
    "promised_days": None,
    "visits": 0,
    "prints": True,
    "available": False,
    "unavailable_reason": "您暂无住房公积金缴存记录",
}
PROMISED_ITEM = {
    **ITEM,
    "item_code": "1401000701801900",
    "name": "婚姻登记记录证明",
    "case_kind": "promised",
    "promised_days": 5,
    "visits": 1,
    "prints": False,
}
MATERIAL = {"name": "居民户口簿", "source": "licence", "required": True, "note": "从电子证照库调取"}
GUIDE = {
    "item": PROMISED_ITEM,
    "conditions": "在本省办理过婚姻登记的当事人。",
    "process": "1. 核验身份；2. 确认提交；3. 打印受理回执。",
    "fee": "不收费",
    "legal_basis": "《婚姻登记条例》",
    "phone": "0351-12345",
    "materials": [
        {"name": "居民身份证", "source": "licence"},
        MATERIAL,
        {"name": "婚姻登记记录", "source": "shared", "required": True},
        {"name": "申请用途说明", "source": "pledge", "note": "以告知承诺替代"},
    ],
    "pledge_text": "本人承诺：所提供的信息真实、准确。",
}
TICKET = {
    "ticket": "4h6ztkELYELFPGdy-v5stSkcLOCrq1LRDwOYgKcyStQ",
    "rater_ref": "Re26308e2601d9366d06c0c025fbded2",
    "expires_at": "2025-06-12T09:45:00+08:00",
    "subject": "person",
}
DOCUMENT = {
    "kind": "certificate",
    "title": "住房公积金缴存证明",
    "holder": "张伟（身份证号 140105********0210）",
    "fields": [
        {"label": "当前缴存状态", "value": "正常缴存"},
        {"label": "缴至年月", "value": "2025年05月"},
    ],
    "body": "兹证明上述职工在我中心正常缴存住房公积金。特此证明。",
    "department": "太原市住房公积金管理中心",
    "issued_on": "2025-06-12",
    "verification_code": "J02RMCL4M2GT6UEU",
    "qr_content": "https://yzt.shanxi.demo/v/J02RMCL4M2GT6UEU",
    "valid_until": "2025-09-10",
    "purpose": "本证明仅用于办理相关业务",
    "footer": "扫描二维码可核验真伪。",
    "case_no": "1401002025061200000001",
    "promised_date": None,
}
CASE = {
    "case_no": "1401002025061200000001",
    "item_code": "1401002001300700",
    "case_kind": "instant",
    "document": DOCUMENT,
}
VERIFY = {
    "status": "authentic",
    "title": "住房公积金缴存证明",
    "holder_masked": "张*",
    "department": "太原市住房公积金管理中心",
    "issued_on": "2025-06-12",
    "valid_until": "2025-09-10",
}
CATALOGUE = {"version": "2025.1", "items": [ITEM, PROMISED_ITEM]}
ENTERPRISE_TICKET = {**TICKET, "subject": "enterprise", "representative_required": True}
SESSION = {
    "session_id": "7QmR0yXc2bVd9kLp3sTz8wNe",
    "qr_content": "https://yzt.shanxi.demo/app/bind?s=7QmR0yXc2bVd9kLp3sTz8wNe&n=Yq4hB7tK1xPz9cWd",
    "expires_at": "2025-06-12T09:32:00+08:00",
    "poll_after_ms": 1000,
}
POLL_CONFIRMED = {"status": "confirmed", **TICKET, "representative_required": False}

PARSERS: dict[str, tuple[Callable[[Reader], Any], dict]] = {
    "item": (Item.from_json, ITEM),
    "material": (Material.from_json, MATERIAL),
    "guide": (Guide.from_json, GUIDE),
    "ticket": (Ticket.from_json, TICKET),
    "document": (Document.from_json, DOCUMENT),
    "case": (CaseResult.from_json, CASE),
    "verify": (VerifyResult.from_json, VERIFY),
    "catalogue": (Catalogue.from_json, CATALOGUE),
    "identity_session": (IdentitySession.from_json, SESSION),
    "session_poll": (SessionPoll.from_json, POLL_CONFIRMED),
}


def read(parse: Callable[[Reader], Any], obj: Any) -> Any:
    return parse(Reader(obj, ""))


# ---- happy paths ---------------------------------------------------------------------------


def test_item() -> None:
    item = read(Item.from_json, ITEM)
    assert item.subject is Subject.PERSON and item.case_kind is CaseKind.INSTANT
    assert item.promised_days is None and item.visits == 0 and item.prints
    assert not item.available and item.unavailable_reason == "您暂无住房公积金缴存记录"
    assert item.tags == ["零跑腿", "即办", "可现场打印"]


def test_item_availability_defaults_to_true_in_the_public_catalogue() -> None:
    public = {k: v for k, v in ITEM.items() if k not in ("available", "unavailable_reason")}
    item = read(Item.from_json, public)
    assert item.available and item.unavailable_reason == ""


def test_promised_item_tags() -> None:
    assert read(Item.from_json, PROMISED_ITEM).tags == ["最多跑1次", "承诺5个工作日"]


def test_guide_with_materials_and_pledge() -> None:
    guide = read(Guide.from_json, GUIDE)
    assert guide.item.case_kind is CaseKind.PROMISED
    sources = [m.source for m in guide.materials]
    assert sources == [
        MaterialSource.LICENCE,
        MaterialSource.LICENCE,
        MaterialSource.SHARED,
        MaterialSource.PLEDGE,
    ]
    assert not any(m.citizen_brings for m in guide.materials)
    assert guide.materials[0].required and guide.materials[0].note == ""
    assert guide.pledge_text.startswith("本人承诺")


def test_ticket_keeps_the_time_zone_and_hides_the_ticket_in_repr() -> None:
    ticket = read(Ticket.from_json, TICKET)
    assert ticket.expires_at == dt.datetime(2025, 6, 12, 1, 45, tzinfo=dt.UTC)
    assert TICKET["ticket"] not in repr(ticket) and TICKET["rater_ref"] not in repr(ticket)


def test_a_ticket_needs_no_representative_unless_it_says_so() -> None:
    assert read(Ticket.from_json, TICKET).representative_required is False
    ticket = read(Ticket.from_json, ENTERPRISE_TICKET)
    assert ticket.subject is Subject.ENTERPRISE and ticket.representative_required
    assert "representative_required" in repr(ticket) and TICKET["ticket"] not in repr(ticket)
    with pytest.raises(InvalidData, match=r"^representative_required: expected true or false"):
        read(Ticket.from_json, {**ENTERPRISE_TICKET, "representative_required": "yes"})


def test_an_identity_session_keeps_its_nonce_out_of_repr() -> None:
    session = read(IdentitySession.from_json, SESSION)
    assert session.qr_content == SESSION["qr_content"] and session.poll_after_ms == 1000
    assert session.expires_at == dt.datetime(2025, 6, 12, 1, 32, tzinfo=dt.UTC)
    shown = repr(session)
    assert "Yq4hB7tK1xPz9cWd" not in shown and "bind?" not in shown
    assert SESSION["session_id"] not in shown and "poll_after_ms=1000" in shown


def test_a_confirmed_poll_carries_the_ticket_and_the_others_nothing() -> None:
    poll = read(SessionPoll.from_json, POLL_CONFIRMED)
    assert poll.status is SessionStatus.CONFIRMED and poll.ticket is not None
    assert poll.ticket.ticket == TICKET["ticket"] and poll.ticket.subject is Subject.PERSON
    for status in ("pending", "expired", "consumed"):
        other = read(SessionPoll.from_json, {**POLL_CONFIRMED, "status": status})
        assert other.status.value == status and other.ticket is None
    assert read(SessionPoll.from_json, {"status": "pending"}).ticket is None


def test_case_result_with_certificate() -> None:
    case = read(CaseResult.from_json, CASE)
    doc = case.document
    assert doc.kind is DocumentKind.CERTIFICATE
    assert doc.issued_on == dt.date(2025, 6, 12) and doc.valid_until == dt.date(2025, 9, 10)
    assert [f.label for f in doc.fields] == ["当前缴存状态", "缴至年月"]
    assert doc.qr_content.endswith(doc.verification_code)
    assert "张伟" not in repr(doc)


def test_receipt_with_promised_date() -> None:
    receipt = {
        **DOCUMENT,
        "kind": "receipt",
        "title": "受理回执",
        "valid_until": None,
        "promised_date": "2025-06-19",
    }
    case = read(CaseResult.from_json, {**CASE, "case_kind": "promised", "document": receipt})
    assert case.case_kind is CaseKind.PROMISED
    assert case.document.kind is DocumentKind.RECEIPT
    assert case.document.promised_date == dt.date(2025, 6, 19)
    assert case.document.valid_until is None


def test_document_round_trips_through_to_json() -> None:
    doc = read(Document.from_json, DOCUMENT)
    assert read(Document.from_json, doc.to_json()) == doc


def test_a_qr_content_no_qr_code_can_hold_is_refused() -> None:
    """1000 characters fit the length limit, but 1000 Chinese ones are 3000 bytes of UTF-8:
    more than a QR code holds at level M (2331), and drawing it raised ValueError on the
    preview and the phone-login screens. Seen while writing fuzz/platform_replies.py."""
    fits = "证" * 777  # 2331 bytes: a version-40 QR code, the largest there is
    too_long = fits + "a"
    assert qr_modules(fits) == 177
    with pytest.raises(ValueError):
        qr_modules(too_long)
    assert read(Document.from_json, {**DOCUMENT, "qr_content": fits}).qr_content == fits
    assert read(IdentitySession.from_json, {**SESSION, "qr_content": fits}).qr_content == fits
    expected = "qr_content: more than 2331 bytes as UTF-8"
    with pytest.raises(InvalidData) as info:
        read(CaseResult.from_json, {**CASE, "document": {**DOCUMENT, "qr_content": too_long}})
    assert str(info.value) == f"document.{expected}"
    with pytest.raises(InvalidData) as info:
        read(IdentitySession.from_json, {**SESSION, "qr_content": too_long})
    assert str(info.value) == expected


def test_text_with_a_lone_surrogate_is_refused() -> None:
    """A JSON escape can make a lone surrogate (\\ud800), which is no Unicode text: SQLite (the
    catalogue cache), a QR code and a label all fail when they encode it. Seen while writing
    fuzz/platform_replies.py."""
    reply = json.loads(json.dumps({**DOCUMENT, "holder": "张"}).replace("\\u5f20", "\\ud800"))
    assert reply["holder"] == "\ud800"
    with pytest.raises(InvalidData) as info:
        read(CaseResult.from_json, {**CASE, "document": reply})
    assert str(info.value) == "document.holder: not Unicode text (a lone surrogate)"
    with pytest.raises(InvalidData) as info:
        read(Document.from_json, {**DOCUMENT, "qr_content": "https://yzt.shanxi.demo/v/\udc80"})
    assert str(info.value) == "qr_content: not Unicode text (a lone surrogate)"
    with pytest.raises(InvalidData) as info:
        Reader({"accepted": ["r-1", "r-\udfff"]}, "").str_list("accepted")
    assert str(info.value) == "accepted: not Unicode text (a lone surrogate)"
    emoji = json.loads('"\\ud83d\\ude00"')  # a pair is one character, and welcome
    assert read(Document.from_json, {**DOCUMENT, "holder": emoji}).holder == "\U0001f600"


@pytest.mark.parametrize("status", [s.value for s in VerifyStatus])
def test_verify_result(status: str) -> None:
    result = read(VerifyResult.from_json, {**VERIFY, "status": status})
    assert result.status.value == status
    assert result.issued_on == dt.date(2025, 6, 12)


def test_verify_result_not_found_needs_only_the_status() -> None:
    result = read(VerifyResult.from_json, {"status": "not_found"})
    assert result.status is VerifyStatus.NOT_FOUND
    assert result.title == "" and result.issued_on is None


def test_catalogue_keeps_the_etag_it_is_given() -> None:
    catalogue = Catalogue.from_json(Reader(CATALOGUE, ""), etag='"abc"')
    assert catalogue.version == "2025.1" and catalogue.etag == '"abc"'
    assert [i.case_kind for i in catalogue.items] == [CaseKind.INSTANT, CaseKind.PROMISED]


# ---- error paths name the field ------------------------------------------------------------


def broken(obj: dict, path: tuple[Any, ...], value: Any = ..., delete: bool = False) -> dict:
    obj = copy.deepcopy(obj)
    target = obj
    for step in path[:-1]:
        target = target[step]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return obj


@pytest.mark.parametrize(
    ("parser", "obj", "expected"),
    [
        (
            Catalogue.from_json,
            broken(CATALOGUE, ("items", 1, "name"), 3),
            "items[1].name: expected text, got a number",
        ),
        (
            Catalogue.from_json,
            broken(CATALOGUE, ("items", 1, "name"), None),
            "items[1].name: is null",
        ),
        (
            Catalogue.from_json,
            broken(CATALOGUE, ("items", 0, "visits"), "0"),
            "items[0].visits: expected a whole number, got text",
        ),
        (
            Catalogue.from_json,
            broken(CATALOGUE, ("items", 0, "visits"), 10),
            "items[0].visits: 10 is outside 0..9",
        ),
        (
            Catalogue.from_json,
            broken(CATALOGUE, ("items", 0, "case_kind"), "urgent"),
            "items[0].case_kind: 'urgent' is not one of instant, promised",
        ),
        (
            Catalogue.from_json,
            broken(CATALOGUE, ("items", 1), []),
            "items[1]: expected an object, got a list",
        ),
        (
            Catalogue.from_json,
            broken(CATALOGUE, ("items",), {}),
            "items: expected a list, got an object",
        ),
        (Catalogue.from_json, broken(CATALOGUE, ("version",), delete=True), "version: missing"),
        (
            Item.from_json,
            broken(ITEM, ("prints",), "yes"),
            "prints: expected true or false, got text",
        ),
        (Item.from_json, broken(ITEM, ("promised_days",), 0), "promised_days: 0 is outside 1..365"),
        (Item.from_json, broken(ITEM, ("name",), "  "), "name: empty"),
        (Item.from_json, broken(ITEM, ("name",), "事" * 101), "name: longer than 100 characters"),
        (
            Guide.from_json,
            broken(GUIDE, ("materials", 2, "source"), "paper"),
            "materials[2].source: 'paper' is not one of licence, shared, pledge, citizen",
        ),
        (
            Guide.from_json,
            broken(GUIDE, ("item", "subject"), "robot"),
            "item.subject: 'robot' is not one of person, enterprise",
        ),
        (Guide.from_json, broken(GUIDE, ("phone",), delete=True), "phone: missing"),
        (
            Ticket.from_json,
            broken(TICKET, ("expires_at",), "2025-06-12T09:45:00"),
            "expires_at: '2025-06-12T09:45:00' has no time zone",
        ),
        (
            Ticket.from_json,
            broken(TICKET, ("expires_at",), "tomorrow"),
            "expires_at: 'tomorrow' is not a date and time",
        ),
        (
            CaseResult.from_json,
            broken(CASE, ("document", "fields", 1, "value"), None),
            "document.fields[1].value: is null",
        ),
        (
            CaseResult.from_json,
            broken(CASE, ("document", "issued_on"), "12/06/2025"),
            "document.issued_on: '12/06/2025' is not a date (YYYY-MM-DD)",
        ),
        (
            CaseResult.from_json,
            broken(CASE, ("document", "kind"), "poster"),
            "document.kind: 'poster' is not one of certificate, receipt",
        ),
        (
            CaseResult.from_json,
            broken(CASE, ("document",), "pdf"),
            "document: expected an object, got text",
        ),
        (
            VerifyResult.from_json,
            broken(VERIFY, ("status",), "genuine"),
            "status: 'genuine' is not one of authentic, not_found, revoked, expired",
        ),
        (
            VerifyResult.from_json,
            broken(VERIFY, ("valid_until",), 20250910),
            "valid_until: expected text, got a number",
        ),
        (
            SessionPoll.from_json,
            broken(POLL_CONFIRMED, ("ticket",), delete=True),
            "ticket: missing",
        ),
        (
            SessionPoll.from_json,
            broken(POLL_CONFIRMED, ("status",), "scanned"),
            "status: 'scanned' is not one of pending, confirmed, expired, consumed",
        ),
        (
            IdentitySession.from_json,
            broken(SESSION, ("poll_after_ms",), 0),
            "poll_after_ms: 0 is outside 100..60000",
        ),
        (
            IdentitySession.from_json,
            broken(SESSION, ("qr_content",), None),
            "qr_content: is null",
        ),
    ],
)
def test_errors_name_the_path_of_the_bad_value(parser: Callable, obj: dict, expected: str) -> None:
    with pytest.raises(InvalidData) as info:
        read(parser, obj)
    assert str(info.value) == expected


def test_the_reader_prefix_appears_in_the_path() -> None:
    with pytest.raises(InvalidData, match=r"^reply\.items\[1\]\.name: is null$"):
        Catalogue.from_json(Reader(broken(CATALOGUE, ("items", 1, "name"), None)))


@pytest.mark.parametrize("value", [None, [], "items", 3, True])
@pytest.mark.parametrize("name", sorted(PARSERS))
def test_a_reply_that_is_not_an_object_is_refused(name: str, value: Any) -> None:
    with pytest.raises(InvalidData, match="expected an object"):
        read(PARSERS[name][0], value)


# ---- property: nothing but InvalidData, whatever arrives --------------------------------------

FIELD_NAMES = sorted(
    {key for _, sample in PARSERS.values() for key in sample}
    | {"label", "value", "source", "required", "note"}
)

leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "",
            " ",
            "2025-06-12",
            "2025-02-30",
            "2025-06-12T09:45:00+08:00",
            "2025-06-12T09:45:00",
            "9999-12-31T23:59:59+23:59",
            "0000-01-01",
            "instant",
            "promised",
            "person",
            "enterprise",
            "licence",
            "certificate",
            "receipt",
            "authentic",
            "\x00",
            "\ud800",
        ]
    )
)
json_values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=25,
)


def paths_of(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for key, value in obj.items():
            out += paths_of(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            out += paths_of(value, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, sample: dict) -> dict:
    """A valid reply with one to three values replaced or removed: reaches the deep fields."""
    obj = copy.deepcopy(sample)
    for _ in range(draw(st.integers(1, 3))):
        paths = paths_of(obj)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        target = obj
        try:
            for step in path[:-1]:
                target = target[step]
            if draw(st.booleans()) and isinstance(target, dict):
                del target[path[-1]]
            else:
                target[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the way there
    return obj


def only_invalid_data(parse: Callable[[Reader], Any], obj: Any) -> None:
    with contextlib.suppress(InvalidData):
        read(parse, obj)


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_json_raises_only_invalid_data(name: str, data: st.DataObject) -> None:
    parse, _sample = PARSERS[name]
    only_invalid_data(parse, data.draw(json_values))


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_replies_raise_only_invalid_data(name: str, data: st.DataObject) -> None:
    parse, sample = PARSERS[name]
    only_invalid_data(parse, data.draw(mutated(sample)))


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_every_sample_is_valid(name: str) -> None:
    parse, sample = PARSERS[name]
    assert read(parse, sample) is not None
