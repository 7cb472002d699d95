"""The platform client's 办件查询 calls and the case desk, against a small HTTP server on
127.0.0.1 that answers as a refusing, silent, busy or garbling platform would (the real
reference platform is exercised in tests/integration/test_cases.py).

A reprint is a PUT named by its request id: the client may send it again after a lost answer
(the platform counts it once), and every request it sends names the same id."""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import ClassVar

import pytest

from kiosk import tally
from kiosk.case_desk import CaseDesk
from kiosk.cases import CaseState
from kiosk.events import CasesLoaded, Failed, Operation, ReprintRecorded
from kiosk.journey import LoadCases, ReprintCase
from kiosk.models import Subject, Ticket
from kiosk.platform import ErrorKind, PlatformClient, PlatformError
from kiosk.runtime import Runtime

TICKET = Ticket("t-1", "r-1", dt.datetime(2026, 12, 2, 10, tzinfo=dt.UTC), Subject.PERSON)
CASE_NO = "1401002026112200000003"
DOCUMENT = {
    "kind": "certificate",
    "title": "住房公积金缴存证明",
    "holder": "张伟（身份证号 140105********0210）",
    "fields": [{"label": "缴存状态", "value": "正常缴存"}],
    "department": "太原市住房公积金管理中心",
    "issued_on": "2026-11-22",
    "verification_code": "ABCDEFGH12345678",
    "qr_content": "https://yzt.shanxi.demo/v/ABCDEFGH12345678",
}
SUMMARY = {
    "case_no": CASE_NO,
    "item_code": "1401002001300700",
    "item_name": "住房公积金缴存证明",
    "department": "太原市住房公积金管理中心",
    "state": "printable",
    "applied_at": "2026-11-22T09:15:00+08:00",
    "updated_at": "2026-11-22T15:15:00+08:00",
    "finished_at": "2026-11-22T15:15:00+08:00",
    "promised_date": None,
    "reprintable": True,
    "reprint_refusal": "",
    "reprints": 0,
}
REPRINT = {
    "case_no": CASE_NO,
    "reprints": 1,
    "reprinted_at": "2026-12-02T09:30:00+08:00",
    "document": DOCUMENT,
}


class Platform(BaseHTTPRequestHandler):
    """Answers as ``modes`` say, one mode per request (the last one repeats)."""

    modes: ClassVar[list[str]] = ["ok"]
    seen: ClassVar[list[tuple[str, str, str]]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        Platform.seen.append((self.command, self.path, self.headers.get("X-Citizen-Ticket", "")))
        mode = Platform.modes.pop(0) if len(Platform.modes) > 1 else Platform.modes[0]
        if mode == "hang":
            time.sleep(1.0)
        ok = {"cases": [SUMMARY]} if self.command == "GET" else REPRINT
        status, reply = {
            "ok": (200, ok),
            "hang": (200, ok),
            "busy": (503, {"error": {"code": "busy", "message": "忙"}}),
            "limit": (409, {"error": {"code": "reprint_limit", "message": "今日已打印"}}),
            "unknown": (404, {"error": {"code": "unknown_case", "message": "无此办件"}}),
            "expired": (401, {"error": {"code": "ticket_expired", "message": "超时"}}),
            "garbled": (200, {"code": 0, "data": {"cases": "all"}}),
            "not_a_state": (200, {"cases": [{**SUMMARY, "state": "approved"}]}),
        }[mode]
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def platform() -> Iterator[str]:
    Platform.seen = []
    Platform.modes = ["ok"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Platform)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def client(url: str, **kw) -> PlatformClient:
    options = {"backoff": 0.01, "read_timeout": 0.4, **kw}
    return PlatformClient(url, "SX-TY-0001", bytes(32), **options)


def test_the_list_is_read_with_the_citizen_ticket(platform: str) -> None:
    (case,) = client(platform).cases(TICKET)
    assert case.case_no == CASE_NO and case.state is CaseState.PRINTABLE and case.reprintable
    assert case.finished_at is not None and case.promised_date is None
    assert Platform.seen == [("GET", "/v1/citizen/cases", "t-1")]


def test_a_reprint_names_its_request_and_a_retry_names_the_same(platform: str) -> None:
    Platform.modes = ["busy", "hang", "ok"]
    reprint = client(platform, retries=2).reprint(TICKET, CASE_NO, "req-1")
    assert reprint.reprints == 1 and reprint.document.verification_code == "ABCDEFGH12345678"
    paths = {path for _method, path, _ticket in Platform.seen}
    assert len(Platform.seen) == 3, "busy and silent answers are tried again (a PUT)"
    assert paths == {f"/v1/citizen/cases/{CASE_NO}/reprints/req-1"}


@pytest.mark.parametrize(
    ("mode", "kind", "code", "words"),
    [
        ("limit", ErrorKind.REJECTED, "reprint_limit", "每天"),
        ("unknown", ErrorKind.NOT_FOUND, "unknown_case", "未查询到该办件"),
        ("expired", ErrorKind.UNAUTHORISED, "ticket_expired", "超时"),
        ("garbled", ErrorKind.INVALID_REPLY, "", "有误"),
    ],
)
def test_a_refusal_is_one_error_in_plain_words(platform, mode, kind, code, words) -> None:
    Platform.modes = [mode]
    with pytest.raises(PlatformError) as caught:
        client(platform).reprint(TICKET, CASE_NO, "req-1")
    assert (caught.value.kind, caught.value.code) == (kind, code)
    assert words in caught.value.message
    assert len(Platform.seen) == 1, "a refusal is not asked again"


def test_a_silent_platform_is_a_timeout_after_the_retries(platform: str) -> None:
    Platform.modes = ["hang"]
    with pytest.raises(PlatformError) as caught:
        client(platform, retries=1).cases(TICKET)
    assert caught.value.kind is ErrorKind.TIMEOUT and caught.value.retryable
    assert len(Platform.seen) == 2


def test_a_state_the_contract_does_not_know_is_an_invalid_reply(platform: str) -> None:
    Platform.modes = ["not_a_state"]
    with pytest.raises(PlatformError) as caught:
        client(platform).cases(TICKET)
    assert caught.value.kind is ErrorKind.INVALID_REPLY


def desk(url: str, **kw) -> tuple[CaseDesk, SimpleNamespace]:
    runtime = SimpleNamespace(
        platform=client(url, **kw),
        tally=tally.Tally(),
        _set_reachable=lambda *a: None,
        _submit=lambda fn, *args: fn(*args),  # the worker's job, run here
    )
    runtime._platform_failed = functools.partial(Runtime._platform_failed, runtime)
    return CaseDesk(runtime), runtime


@pytest.mark.parametrize(
    ("mode", "retryable"),
    [("ok", None), ("limit", False), ("hang", True), ("garbled", True), ("unknown", False)],
)
def test_the_desk_answers_a_reprint_with_one_event(platform, mode, retryable) -> None:
    Platform.modes = [mode]
    answers: list[object] = []
    case_desk, runtime = desk(platform, retries=0)
    case_desk.apply(ReprintCase(TICKET, CASE_NO, "req-1"), answers.append)
    (answer,) = answers
    if retryable is None:
        assert isinstance(answer, ReprintRecorded) and answer.reprint.case_no == CASE_NO
        return
    assert isinstance(answer, Failed) and answer.op is Operation.REPRINT
    assert answer.retryable is retryable, "only what may hide a recorded reprint is retried"
    assert runtime.tally.snapshot()[tally.ERRORS] == {"reprint": 1}


def test_the_desk_answers_the_list(platform: str) -> None:
    answers: list[object] = []
    desk(platform)[0].apply(LoadCases(TICKET), answers.append)
    (answer,) = answers
    assert isinstance(answer, CasesLoaded) and answer.cases[0].case_no == CASE_NO
