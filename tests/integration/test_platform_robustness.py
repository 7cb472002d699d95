"""The reference platform answers every request with the contract's error body, whatever it is
sent (docs/platform-api.yaml, "Conventions"), and its fault injection cannot break it for good.
Each test here was a fault found in review: it failed against the code before the fix."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
import requests

from devkit import people, seed
from devkit.platform_server import DEMO_DEVICE_ID, DEMO_DEVICE_KEY, ReferencePlatform
from kiosk.platform import ErrorKind, PlatformClient, PlatformError
from kiosk.ratings import Rating, RatingLevel
from kiosk.signing import HEADER_TIMESTAMP, sign_headers

pytestmark = pytest.mark.integration

CHINA = dt.timezone(dt.timedelta(hours=8))
DEEP = 100_000


@pytest.fixture(scope="module")
def platform() -> Iterator[ReferencePlatform]:
    with ReferencePlatform() as server:
        yield server


@pytest.fixture()
def client(platform: ReferencePlatform) -> Iterator[PlatformClient]:
    with PlatformClient(
        platform.url, DEMO_DEVICE_ID, DEMO_DEVICE_KEY, read_timeout=5.0, backoff=0.01
    ) as c:
        yield c


def signed(
    platform: ReferencePlatform,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, Any] | None = None,
) -> requests.Response:
    all_headers: dict[str, Any] = dict(
        sign_headers(DEMO_DEVICE_ID, DEMO_DEVICE_KEY, method, path, body)
    )
    all_headers.update(headers or {})
    return requests.request(method, platform.url + path, data=body, headers=all_headers, timeout=10)


def error_code(reply: requests.Response) -> str:
    """The contract's error body, or an assertion that says what came instead."""
    assert reply.headers.get("Content-Type", "").startswith("application/json"), reply.text[:200]
    body = reply.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    return body["error"]["code"]


# ---- fault injection -----------------------------------------------------------------------


def test_rapid_refuse_and_normal_toggles_leave_the_platform_listening(platform, client) -> None:
    """Found in review: a refuse and a normal from two threads raced, the re-listen failed with
    "Address already in use" in one of them, and the platform never listened again."""
    errors: list[BaseException] = []

    def toggle(mode: str) -> None:
        try:
            for _ in range(50):
                platform.set_faults(mode=mode)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=toggle, args=(m,)) for m in ("refuse", "normal")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    platform.set_faults()
    assert errors == []
    assert client.catalogue() is not None


def test_a_delayed_refuse_does_not_outlive_a_later_setting(platform, client) -> None:
    """Over HTTP a refuse applies a moment after it is answered; a setting made in that moment
    is the last word, and the pending refuse must not take the socket away after it."""
    reply = requests.post(
        f"{platform.url}/devkit/faults", json={"mode": "refuse", "duration_s": 30}, timeout=5
    )
    assert reply.status_code == 200
    platform.set_faults(latency_ms=1)  # before the refuse's moment has passed
    platform.set_faults()
    state = requests.get(f"{platform.url}/devkit/state", timeout=5).json()
    assert state["faults"]["mode"] == "normal"
    assert client.catalogue() is not None
    threading.Event().wait(0.3)  # the refuse was due 0.05 s after its answer
    assert platform.faults.mode == "normal"
    assert client.catalogue() is not None


# ---- ratings -------------------------------------------------------------------------------


def test_one_malformed_rating_is_judged_alone(platform, client) -> None:
    """Found in review: a dimension whose level is a list made the whole batch a 500."""
    ticket = client.verify_identity(people.BY_KEY["wu_jun"].card())
    cases = [
        client.submit(ticket, seed.BY_ITEM_KEY[k].item_code, str(uuid.uuid4())).case_no
        for k in ("si_payment_proof", "tax_record")
    ]

    def record(case_no: str) -> dict:
        return Rating(
            case_no=case_no,
            item_code=seed.BY_ITEM_KEY["si_payment_proof"].item_code,
            item_name="个人社保参保缴费证明打印",
            department=seed.RSJ,
            rater_ref="R" + "0" * 31,
            level=RatingLevel.SATISFIED,
            rated_at=dt.datetime(2025, 6, 13, 10, 5, tzinfo=CHINA),
            device_id=DEMO_DEVICE_ID,
            region_code="140100",
        ).to_json()

    good = record(cases[0])
    odd = {**record(cases[1]), "dimensions": {"attitude": {"level": ["satisfied"]}}}
    unhashable = {**record(cases[1]), "rating_id": str(uuid.uuid4()), "level": ["satisfied"]}
    reply = client.send_ratings([good, odd, unhashable])
    assert reply.accepted == (good["rating_id"],)
    assert reply.rejected[odd["rating_id"]] == "bad_dimensions"
    assert reply.rejected[unhashable["rating_id"]].startswith("invalid: level")


# ---- headers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp",
    [
        b"\xb2",  # '²' in Latin-1, which is how HTTP header bytes are read
        "١٧١٨٠٠٠٠٠٠".encode(),  # Arabic-Indic digits, as UTF-8 bytes
        b"1" * 5000,  # more digits than int() takes from a string
    ],
)
def test_a_timestamp_that_is_not_ascii_digits_is_bad_timestamp(platform, timestamp) -> None:
    """Found in review: str.isdigit took '²', int() then raised, and the connection dropped
    without an answer."""
    reply = signed(platform, "GET", "/v1/catalogue", headers={HEADER_TIMESTAMP: timestamp})
    assert reply.status_code == 401 and error_code(reply) == "bad_timestamp"


def test_a_signature_that_is_not_ascii_is_bad_signature(platform) -> None:
    reply = signed(platform, "GET", "/v1/catalogue", headers={"X-Kiosk-Signature": b"\xe9" * 64})
    assert reply.status_code == 401 and error_code(reply) == "bad_signature"


# ---- bodies --------------------------------------------------------------------------------


def test_a_deeply_nested_body_is_a_contract_400(platform) -> None:
    """Found in review: 100,000 nested brackets gave a 500 (or no answer on /devkit)."""
    body = b"[" * DEEP + b"]" * DEEP
    reply = signed(platform, "PUT", "/v1/ratings", body)
    assert reply.status_code == 400 and error_code(reply) == "bad_json"
    reply = requests.post(f"{platform.url}/devkit/faults", data=body, timeout=10)
    assert reply.status_code == 400 and error_code(reply) == "bad_json"
    nested: Any = {}
    for _ in range(200):  # parses, but no contract body is nested like this
        nested = {"x": nested}
    status = json.dumps({"sent_at": "2025-06-13T10:00:00+08:00", "status": nested}).encode()
    reply = signed(platform, "PUT", f"/v1/devices/{DEMO_DEVICE_ID}/heartbeat", status)
    assert reply.status_code == 400 and error_code(reply) == "bad_request"


@pytest.mark.parametrize("length", ["abc", "-1", "١٢"], ids=["letters", "negative", "arabic-indic"])
def test_a_malformed_content_length_is_a_contract_400(platform, length) -> None:
    with socket.create_connection((platform.host, platform.port), timeout=5) as sock:
        sock.sendall(
            f"PUT /v1/ratings HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode()
        )
        head, _, body = _read_reply(sock)
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["error"]["code"] == "bad_request"


def _read_reply(sock: socket.socket) -> tuple[bytes, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head, headers, rest


# ---- methods -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PATCH", "OPTIONS", "TRACE", "DELETE", "FROBNICATE"])
def test_every_method_gets_a_json_answer_and_405_says_what_is_allowed(platform, method) -> None:
    """Found in review: methods without a handler got the standard library's HTML 501, and
    405 came without Allow."""
    reply = signed(platform, method, "/v1/ratings")
    assert reply.status_code == 405 and error_code(reply) == "method_not_allowed"
    assert reply.headers["Allow"] == "PUT"
    reply = signed(platform, method, "/v1/catalogue")
    assert reply.status_code == 405 and reply.headers["Allow"] == "GET"
    reply = requests.request(method, platform.url + "/v1/catalogue", timeout=5)
    assert reply.status_code == 401 and error_code(reply) == "unsigned"
    reply = signed(platform, method, "/v1/no-such-thing")
    assert reply.status_code == 404 and error_code(reply) == "not_found"
    reply = requests.request(method, platform.url + "/devkit/state", timeout=5)
    assert reply.status_code in (404, 405)
    error_code(reply)


def test_head_gets_405_with_allow_and_no_body(platform) -> None:
    reply = signed(platform, "HEAD", "/v1/catalogue")
    assert reply.status_code == 405 and reply.headers["Allow"] == "GET"
    assert reply.content == b""
    assert signed(platform, "GET", "/v1/catalogue").status_code == 200  # the connection is fine


def test_refusals_of_the_http_layer_get_the_contract_body(platform) -> None:
    """Too many header lines: the standard library refuses before any handler runs."""
    with socket.create_connection((platform.host, platform.port), timeout=5) as sock:
        extra = "".join(f"X-{i}: {i}\r\n" for i in range(101))
        sock.sendall(f"GET /v1/catalogue HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())
        head, _, body = _read_reply(sock)
    assert head.startswith(b"HTTP/1.1 431"), head
    assert json.loads(body)["error"]["code"] == "headers_too_large"


# ---- the client's side of deep replies -----------------------------------------------------


class _Deep(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    replies: ClassVar[dict[str, tuple[int, bytes]]] = {
        "/v1/catalogue": (200, b"[" * DEEP + b"]" * DEEP),
        "/v1/certificates/23456789ABCDEFGH": (404, b'{"error":' * DEEP + b"1" + b"}" * DEEP),
    }

    def do_GET(self) -> None:
        status, data = self.replies[self.path]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_deeply_nested_reply_is_an_invalid_reply_not_a_crash() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Deep)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with PlatformClient(url, DEMO_DEVICE_ID, DEMO_DEVICE_KEY, retries=0) as c:
            with pytest.raises(PlatformError) as info:
                c.catalogue()
            assert info.value.kind is ErrorKind.INVALID_REPLY
            with pytest.raises(PlatformError) as info:
                c.verify_certificate("23456789ABCDEFGH")
            assert (info.value.kind, info.value.code) == (ErrorKind.NOT_FOUND, "")
    finally:
        server.shutdown()
        server.server_close()
