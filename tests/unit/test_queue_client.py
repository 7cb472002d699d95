"""The platform client's queue-number call and the notice desk: every way the queuing system
can let the kiosk down ends in one ``Failed(QUEUE)`` the journey prints the slip without.

A small HTTP server on 127.0.0.1 answers as a broken queuing system would (refusal, silence,
a garbled reply); the real reference platform is exercised in tests/integration/test_queue.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import ClassVar

import pytest

import kiosk.platform as platform_module
from kiosk import tally
from kiosk.events import Failed, Operation, QueueTicketIssued
from kiosk.journey import TakeQueueNumber
from kiosk.notice_desk import NoticeDesk
from kiosk.platform import ErrorKind, PlatformClient, PlatformError


class QueueSystem(BaseHTTPRequestHandler):
    """Answers POST /v1/queue/tickets as ``mode`` says; counts the requests."""

    mode: ClassVar[str] = "ok"
    requests: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        QueueSystem.requests.append(body)
        if self.mode == "hang":
            time.sleep(1.5)
        status, reply = {
            "ok": (
                201,
                {
                    "number": "A08-001",
                    "window": "A08",
                    "waiting": 0,
                    "issued_at": "2026-12-02T09:00:00+08:00",
                },
            ),
            "hang": (201, {}),
            "down": (503, {"error": {"code": "queue_unavailable", "message": "排队系统无响应"}}),
            "unknown": (404, {"error": {"code": "unknown_window", "message": "无此窗口"}}),
            "garbled": (201, {"code": 0, "data": {"no": 1}}),
        }[self.mode]
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def queue() -> Iterator[str]:
    QueueSystem.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), QueueSystem)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def client(url: str, **kw) -> PlatformClient:
    return PlatformClient(url, "SX-TY-0001", bytes(32), backoff=0.01, **kw)


def test_a_number_is_read(queue: str) -> None:
    QueueSystem.mode = "ok"
    ticket = client(queue).queue_ticket("1401002001300700", "A08")
    assert (ticket.number, ticket.window, ticket.waiting) == ("A08-001", "A08", 0)
    assert QueueSystem.requests == [{"item_code": "1401002001300700", "window": "A08"}]


@pytest.mark.parametrize(
    ("mode", "kind", "code"),
    [
        ("down", ErrorKind.SERVER, "queue_unavailable"),
        ("unknown", ErrorKind.NOT_FOUND, "unknown_window"),
        ("garbled", ErrorKind.INVALID_REPLY, ""),
    ],
)
def test_a_refusal_is_one_error_and_never_a_second_number(queue, mode, kind, code) -> None:
    QueueSystem.mode = mode
    with pytest.raises(PlatformError) as caught:
        client(queue).queue_ticket("1401002001300700", "A08")
    assert (caught.value.kind, caught.value.code) == (kind, code)
    assert len(QueueSystem.requests) == 1, "a POST that reached the queue is never repeated"
    assert "取号机" in caught.value.message or kind is ErrorKind.INVALID_REPLY


def test_a_silent_queue_is_given_up_on_soon(queue: str, monkeypatch) -> None:
    """The citizen's slip waits for the queue no longer than QUEUE_READ_TIMEOUT, however long
    the client's own read time-out is."""
    QueueSystem.mode = "hang"
    monkeypatch.setattr(platform_module, "QUEUE_READ_TIMEOUT", 0.3)
    started = time.monotonic()
    with pytest.raises(PlatformError) as caught:
        client(queue, read_timeout=30).queue_ticket("1401002001300700", "A08")
    assert caught.value.kind is ErrorKind.TIMEOUT
    assert time.monotonic() - started < 1.4, "waited for the silent queue"
    assert len(QueueSystem.requests) == 1


@pytest.mark.parametrize("mode", ["ok", "down", "hang", "garbled"])
def test_the_desk_answers_every_outcome_with_one_event(queue, mode, monkeypatch) -> None:
    QueueSystem.mode = mode
    monkeypatch.setattr(platform_module, "QUEUE_READ_TIMEOUT", 0.3)
    answers: list[object] = []
    runtime = SimpleNamespace(
        platform=client(queue),
        tally=tally.Tally(),
        _submit=lambda fn, *args: fn(*args),  # the worker's job, run here
    )
    NoticeDesk(runtime).apply(TakeQueueNumber("1401002001300700", "A08"), answers.append)
    (answer,) = answers
    if mode == "ok":
        assert isinstance(answer, QueueTicketIssued)
    else:
        assert isinstance(answer, Failed) and answer.op is Operation.QUEUE
        assert not answer.retryable, "a retry would take a second number"
        assert runtime.tally.snapshot()[tally.ERRORS] == {"queue": 1}
