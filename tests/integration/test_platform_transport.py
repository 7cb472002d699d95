"""How the client talks to the platform over real HTTP: every attempt signed afresh, Retry-After
within a citizen's patience, and both signing methods (docs/platform-api.yaml, "Signing" and
"Retries and idempotency")."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from devkit import people
from devkit.platform_server import DEMO_DEVICE_ID, DEMO_DEVICE_KEY, ReferencePlatform
from kiosk.platform import MAX_RETRY_AFTER, ErrorKind, PlatformClient, PlatformError
from kiosk.ratings import Rating, RatingLevel
from kiosk.signing import HEADER_METHOD, HEADER_NONCE, SigningMethod, sign_headers

pytestmark = pytest.mark.integration

CHINA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def platform() -> Iterator[ReferencePlatform]:
    with ReferencePlatform() as server:
        yield server


@pytest.fixture()
def faulty(platform: ReferencePlatform) -> Iterator[ReferencePlatform]:
    platform.set_faults()
    platform.clear_call_log()
    try:
        yield platform
    finally:
        platform.set_faults()


def client(url: str, **kw) -> PlatformClient:
    options = {"connect_timeout": 1.0, "read_timeout": 5.0, "retries": 2, "backoff": 0.01}
    options.update(kw)
    return PlatformClient(url, DEMO_DEVICE_ID, DEMO_DEVICE_KEY, **options)


def calls_when_logged(platform: ReferencePlatform, n: int) -> list[tuple[str, str, int]]:
    """The call log once it holds ``n`` calls: a late answer is logged when it is sent."""
    deadline = time.monotonic() + 30
    while len(platform.call_log()) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    return platform.call_log()


def a_rating() -> dict:
    return Rating(
        case_no=f"T{uuid.uuid4().hex[:20]}",
        item_code="1401002001100100",
        item_name="个人社保参保缴费证明打印",
        department="太原市人力资源和社会保障局",
        rater_ref="R" + "0" * 31,
        level=RatingLevel.SATISFIED,
        rated_at=dt.datetime(2026, 11, 27, 10, 0, tzinfo=CHINA),
        device_id=DEMO_DEVICE_ID,
        region_code="140100",
    ).to_json()


# ---- a retry is a new request --------------------------------------------------------------


def test_a_reply_slower_than_the_read_timeout_is_retried_with_a_fresh_signature(faulty) -> None:
    """Found in review: urllib3's Retry sent the same signed headers again; the platform had
    answered the first attempt (too late for the kiosk) and spent its nonce, so the retry got
    401 replayed_nonce and the citizen was told the kiosk is out of order."""
    faulty.set_faults(latency_ms=2000, count=1)
    with client(faulty.url, read_timeout=0.5) as c:
        assert c.catalogue() is not None
    calls = calls_when_logged(faulty, 2)
    assert calls == [("GET", "/v1/catalogue", 200)] * 2  # the late answer, and the retry's


def test_a_put_answered_too_late_is_delivered_once(faulty) -> None:
    """The platform stored the batch but answered after the read timeout: the retry (signed
    afresh) hears that the rating is a duplicate, which is as good as accepted."""
    record = a_rating()
    faulty.set_faults(latency_ms=2000, count=1)
    with client(faulty.url, read_timeout=0.5) as c:
        reply = c.send_ratings([record])
    assert reply.duplicates == (record["rating_id"],) and reply.accepted == ()
    assert [r["rating_id"] for r in faulty.ratings()].count(record["rating_id"]) == 1
    assert calls_when_logged(faulty, 2) == [("PUT", "/v1/ratings", 200)] * 2


def test_a_post_answered_too_late_is_not_repeated(faulty) -> None:
    faulty.set_faults(latency_ms=1500, count=1)
    with client(faulty.url, read_timeout=0.5) as c, pytest.raises(PlatformError) as info:
        c.verify_identity(people.BY_KEY["zhang_wei"].card())
    assert info.value.kind is ErrorKind.TIMEOUT and info.value.retryable
    assert calls_when_logged(faulty, 1) == [("POST", "/v1/identity/verify", 200)]


def test_a_post_whose_connection_was_never_made_is_tried_again(faulty) -> None:
    """Nothing of it left the kiosk, so a second try cannot make a second event (and a
    platform restarting, or a listen queue overflowing, is not worth a citizen's retry)."""
    faulty.set_faults(mode="refuse", duration_s=0.3)
    with client(faulty.url, retries=5, backoff=0.2) as c:
        assert c.verify_identity(people.BY_KEY["zhang_wei"].card()).ticket
    assert faulty.call_log() == [("POST", "/v1/identity/verify", 200)]


def test_every_attempt_has_its_own_nonce(faulty) -> None:
    faulty.set_faults(failure_rate=1.0, failure_status=502)
    seen: list[str] = []
    with client(faulty.url, retries=3) as c:
        c.session.hooks["response"].append(
            lambda r, *a, **k: seen.append(r.request.headers[HEADER_NONCE])
        )
        with pytest.raises(PlatformError) as info:
            c.catalogue()
    assert info.value.status == 502
    assert len(seen) == 4 and len(set(seen)) == 4


# ---- Retry-After ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_a_short_retry_after_is_waited_for(faulty, status) -> None:
    faulty.set_faults(failure_rate=1.0, failure_status=status, retry_after_s=1, count=1)
    started = time.monotonic()
    with client(faulty.url) as c:
        assert c.catalogue() is not None
    assert time.monotonic() - started >= 1.0  # a lower bound: the platform's wish was kept
    assert faulty.call_log() == [("GET", "/v1/catalogue", status), ("GET", "/v1/catalogue", 200)]


@pytest.mark.parametrize("status", [429, 503])
def test_a_long_retry_after_ends_the_call_at_once(faulty, status) -> None:
    """A platform that asks for an hour gets no second attempt, and the citizen is told at
    once that the platform is busy (an earlier review: never hold a citizen for minutes)."""
    faulty.set_faults(failure_rate=1.0, failure_status=status, retry_after_s=3600)
    outcome: list[PlatformError] = []

    def call() -> None:
        with client(faulty.url, retries=5) as c:
            try:
                c.catalogue()
            except PlatformError as exc:
                outcome.append(exc)

    t = threading.Thread(target=call, daemon=True)
    t.start()
    t.join(timeout=60)  # liveness, not speed: honouring the header would take an hour
    assert not t.is_alive(), "the client waited for the platform's Retry-After"
    (e,) = outcome
    assert (e.kind, e.status, e.retry_after) == (ErrorKind.SERVER, status, 3600.0)
    assert e.retryable and "稍后再试" in e.message and "retry after 3600 s" in e.detail
    assert faulty.call_log() == [("GET", "/v1/catalogue", status)]


def test_the_retry_after_cap_is_small() -> None:
    assert MAX_RETRY_AFTER <= 5


# ---- signing methods -----------------------------------------------------------------------


@pytest.mark.parametrize("method", list(SigningMethod))
def test_both_signing_methods_work_over_http(faulty, method) -> None:
    seen: list[str] = []
    with client(faulty.url, signing=method) as c:
        c.session.hooks["response"].append(
            lambda r, *a, **k: seen.append(r.request.headers[HEADER_METHOD])
        )
        ticket = c.verify_identity(people.BY_KEY["zhang_wei"].card())
        assert c.available_items(ticket)
        record = a_rating()
        assert c.send_ratings([record]).accepted == (record["rating_id"],)
    assert set(seen) == {method.value}
    assert all(status < 400 for _, _, status in faulty.call_log())


def test_a_signature_of_one_method_named_as_the_other_is_refused(faulty) -> None:
    headers = sign_headers(
        DEMO_DEVICE_ID, DEMO_DEVICE_KEY, "GET", "/v1/catalogue", b"", signing=SigningMethod.HMAC_SM3
    )
    headers[HEADER_METHOD] = SigningMethod.HMAC_SHA256.value
    reply = requests.get(faulty.url + "/v1/catalogue", headers=headers, timeout=5)
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "bad_signature"
    del headers[HEADER_METHOD]  # absent means hmac-sha256
    reply = requests.get(faulty.url + "/v1/catalogue", headers=headers, timeout=5)
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "bad_signature"
    headers[HEADER_METHOD] = "hmac-md5"
    reply = requests.get(faulty.url + "/v1/catalogue", headers=headers, timeout=5)
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "bad_signature_method"


def test_a_wrong_key_fails_with_sm3_too(faulty) -> None:
    with (
        PlatformClient(
            faulty.url, DEMO_DEVICE_ID, b"another-key-entirely", signing=SigningMethod.HMAC_SM3
        ) as c,
        pytest.raises(PlatformError) as info,
    ):
        c.catalogue()
    assert (info.value.kind, info.value.code) == (ErrorKind.UNAUTHORISED, "bad_signature")
