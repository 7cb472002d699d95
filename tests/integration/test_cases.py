"""办件查询 and reprints (GET /v1/citizen/cases, PUT …/reprints/{request_id}) between the
kiosk's client and the reference platform over real HTTP on 127.0.0.1, each reply checked
against the contract's schemas."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from test_platform import conforms, login, make_client, raw

from devkit.platform_server import HEADER_TICKET, ReferencePlatform
from kiosk.cases import CaseState
from kiosk.platform import ErrorKind, PlatformError
from kiosk.signing import sign_headers

pytestmark = pytest.mark.integration

MONDAY = dt.date(2026, 11, 30)


@pytest.fixture()
def days() -> list[dt.date]:
    return [MONDAY]


@pytest.fixture()
def platform(days: list[dt.date]) -> Iterator[ReferencePlatform]:
    with ReferencePlatform(today=lambda: days[0]) as server:
        yield server


def get_json(platform: ReferencePlatform, method: str, path: str, ticket: str) -> tuple[int, dict]:
    from devkit.platform_server import DEMO_DEVICE_ID, DEMO_DEVICE_KEY

    body = b"{}" if method == "PUT" else b""
    headers = sign_headers(DEMO_DEVICE_ID, DEMO_DEVICE_KEY, method, path, body)
    headers[HEADER_TICKET] = ticket
    if body:
        headers["Content-Type"] = "application/json"
    reply = raw(platform, method, path, body, headers=headers)
    return reply.status_code, reply.json()


def test_a_demo_citizen_has_a_case_in_each_state_and_only_their_own(platform) -> None:
    with make_client(platform.url) as c:
        ticket = login(c, "zhang_wei")
        cases = c.cases(ticket)
        others = c.cases(login(c, "wang_guilan"))
        nobody = c.cases(login(c, "li_ming"))
    assert {k.state for k in cases} == set(CaseState)
    assert [k.applied_at for k in cases] == sorted((k.applied_at for k in cases), reverse=True)
    assert not {k.case_no for k in cases} & {k.case_no for k in others}
    assert nobody == ()
    printable = next(k for k in cases if k.state is CaseState.PRINTABLE)
    assert printable.reprintable and printable.reprints == 0 and printable.finished_at
    running = next(k for k in cases if k.state is CaseState.IN_PROGRESS)
    assert not running.reprintable and running.finished_at is None and running.promised_date
    status, body = get_json(platform, "GET", "/v1/citizen/cases", ticket.ticket)
    assert status == 200
    conforms(body, "CaseList")
    assert "张伟" not in str(body) and "140105198503120210" not in str(body)


def test_a_case_made_at_the_kiosk_is_listed_printable(platform) -> None:
    with make_client(platform.url) as c:
        ticket = login(c, "li_ming")
        items = c.available_items(ticket)
        item = next(i for i in items if i.available and i.prints)
        made = c.submit(ticket, item.item_code, str(uuid.uuid4()))
        (listed,) = c.cases(ticket)
    assert listed.case_no == made.case_no and listed.state is CaseState.PRINTABLE
    assert listed.reprintable and listed.item_name == item.name


def test_a_reprint_is_recorded_once_per_request_and_once_a_day(platform, days) -> None:
    with make_client(platform.url) as c:
        ticket = login(c, "zhang_wei")
        case = next(k for k in c.cases(ticket) if k.state is CaseState.PRINTABLE)
        request_id = str(uuid.uuid4())
        first = c.reprint(ticket, case.case_no, request_id)
        again = c.reprint(ticket, case.case_no, request_id)  # a retry: the same reprint
        assert first.reprints == again.reprints == 1
        assert first.document.case_no == case.case_no and first.document.verification_code
        assert len(platform.reprints()) == 1
        assert platform.reprints()[0]["device_id"] == c.device_id
        with pytest.raises(PlatformError) as limit:
            c.reprint(ticket, case.case_no, str(uuid.uuid4()))
        assert limit.value.code == "reprint_limit" and limit.value.status == 409
        assert "每天" in limit.value.message
        listed = next(k for k in c.cases(ticket) if k.case_no == case.case_no)
        assert not listed.reprintable and listed.reprint_refusal == "reprint_limit"
        assert listed.reprints == 1
        days[0] = MONDAY + dt.timedelta(days=1)
        tomorrow = c.reprint(ticket, case.case_no, str(uuid.uuid4()))
    assert tomorrow.reprints == 2
    status, body = get_json(
        platform, "PUT", f"/v1/citizen/cases/{case.case_no}/reprints/{request_id}", ticket.ticket
    )
    assert status == 200 and body["reprints"] == 1
    conforms(body, "Reprint")


def test_refusals_name_their_reason(platform) -> None:
    with make_client(platform.url) as c:
        ticket = login(c, "zhang_wei")
        cases = c.cases(ticket)
        running = next(k for k in cases if k.state is CaseState.IN_PROGRESS)
        theirs = next(iter(c.cases(login(c, "wang_guilan"))))
        printable = next(k for k in cases if k.state is CaseState.PRINTABLE)
        used = str(uuid.uuid4())
        c.reprint(ticket, printable.case_no, used)
        refused = {}
        for name, case_no, rid in (
            ("running", running.case_no, str(uuid.uuid4())),
            ("another's", theirs.case_no, str(uuid.uuid4())),
            ("unknown", "140100209901010000000", str(uuid.uuid4())),
            ("reused", running.case_no, used),
        ):
            with pytest.raises(PlatformError) as e:
                c.reprint(ticket, case_no, rid)
            refused[name] = (e.value.kind, e.value.code)
    assert refused == {
        "running": (ErrorKind.REJECTED, "not_printable"),
        "another's": (ErrorKind.NOT_FOUND, "unknown_case"),
        "unknown": (ErrorKind.NOT_FOUND, "unknown_case"),
        "reused": (ErrorKind.REJECTED, "request_id_reused"),
    }
    status, body = get_json(platform, "GET", "/v1/citizen/cases", "no-such-ticket")
    assert status == 401
    conforms(body, "Error")
