"""The sync worker against the reference platform over HTTP on loopback.

Some answers the reference platform never gives by itself (a whole batch refused because of one
record, a reply lost after the platform stored the batch, a gateway's body limit): for those a
small gateway stands in front of it here, as a province's gateway would, forwarding the signed
requests untouched over real HTTP and misbehaving on command.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import random
import sqlite3
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devkit.platform_server import DEMO_DEVICE_ID, DEMO_DEVICE_KEY, ReferencePlatform
from kiosk.platform import PlatformClient
from kiosk.ratings import Rating, RatingLevel
from offline.outbox import Kind, Outbox
from offline.sync import SyncWorker, backoff_ceiling

CHINA = dt.timezone(dt.timedelta(hours=8))
POISON = "毒丸"  # a record carrying this in its text makes the gateway refuse the whole batch


def rating(i: int, **changes) -> dict:
    record = Rating(
        case_no=f"SYNC{i:08d}",
        item_code="1401002001100100",
        item_name="个人社保参保缴费证明打印",
        department="太原市人力资源和社会保障局",
        rater_ref="R" + "0" * 31,
        level=RatingLevel.SATISFIED,
        rated_at=dt.datetime(2026, 11, 27, 10, 0, tzinfo=CHINA),
        device_id=DEMO_DEVICE_ID,
        region_code="140100",
        rating_id=f"rid-{i:06d}",
    ).to_json()
    record.update(changes)
    return record


class Gateway:
    """Forwards /v1 requests to the platform as they are (signatures intact), unless told to
    refuse a batch holding ``poison`` (400), to refuse batches over ``max_batch`` records
    (413), to answer every request with ``status``, or to lose the reply after forwarding."""

    def __init__(self, upstream: str, seed: int = 0) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.poison = ""
        self.max_batch = 0
        self.status = 0
        self.lose_rate = 0.0
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.batches: list[tuple[int, int]] = []  # (records, status answered; 0: reply lost)
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 40 ms stalls between headers and body

            def do_PUT(self) -> None:
                gateway.handle(self)

            def do_GET(self) -> None:
                gateway.handle(self)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        records = len(json.loads(body)["ratings"]) if h.path == "/v1/ratings" else -1
        with self.lock:
            lose = self.rng.random() < self.lose_rate
        if self.status:
            return self.answer(h, records, self.status, "injected")
        if records >= 0 and self.poison and self.poison.encode() in body:
            return self.answer(h, records, 400, "bad_request")
        if records >= 0 and self.max_batch and records > self.max_batch:
            return self.answer(h, records, 413, "body_too_large")
        conn = http.client.HTTPConnection(self.upstream, timeout=10)
        headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(h.command, h.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if lose:  # the platform has it; the kiosk never hears so
            self.batches.append((records, 0))
            h.close_connection = True
            return None
        self.batches.append((records, resp.status))
        h.send_response(resp.status)
        h.send_header("Content-Type", resp.getheader("Content-Type", "application/json"))
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
        return None

    def answer(self, h: BaseHTTPRequestHandler, records: int, status: int, code: str) -> None:
        self.batches.append((records, status))
        data = json.dumps({"error": {"code": code, "message": "网关拒绝"}}).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


@pytest.fixture
def platform(tmp_path):
    p = ReferencePlatform(db_path=tmp_path / "platform.db")
    p.start()
    yield p
    p.stop()


@pytest.fixture
def gateway(platform):
    g = Gateway(platform.url)
    yield g
    g.stop()


@pytest.fixture
def box(tmp_path):
    b = Outbox(tmp_path / "outbox.db")
    yield b
    b.close()


def client(url: str, key: bytes = DEMO_DEVICE_KEY, read_timeout: float = 5.0) -> PlatformClient:
    return PlatformClient(url, DEMO_DEVICE_ID, key, retries=0, read_timeout=read_timeout)


def worker(box: Outbox, url: str, **kwargs) -> SyncWorker:
    kwargs.setdefault("batch_size", 50)
    kwargs.setdefault("base_backoff", 0.01)
    kwargs.setdefault("max_backoff", 0.05)
    return SyncWorker(box, client(url, kwargs.pop("key", DEMO_DEVICE_KEY)), **kwargs)


def fill(box: Outbox, n: int, start: int = 0) -> list[dict]:
    records = [rating(i) for i in range(start, start + n)]
    for i, r in enumerate(records):
        box.enqueue(Kind.RATING, r["rating_id"], r, now=1000.0 + start + i)
    return records


def rows(box: Outbox) -> dict[str, tuple[int, str]]:
    with contextlib.closing(sqlite3.connect(box.path)) as db:
        return {i: (a, e) for i, a, e in db.execute("SELECT id, attempts, last_error FROM outbox")}


def dead(box: Outbox) -> dict[str, str]:
    with contextlib.closing(sqlite3.connect(box.path)) as db:
        return dict(db.execute("SELECT id, reason FROM dead_letters"))


def stored(platform: ReferencePlatform) -> Counter:
    return Counter(r["rating_id"] for r in platform.ratings())


# ---- batches ------------------------------------------------------------------------------------


def test_delivery_in_batches_oldest_first(box, platform, gateway):
    records = fill(box, 120)
    w = worker(box, gateway.url)
    w.run_once()
    assert gateway.batches == [(50, 200), (50, 200), (20, 200)]
    assert w.delivered_total == 120 and box.counts().pending == {}
    got = platform.ratings()
    assert [r["rating_id"] for r in got] == [r["rating_id"] for r in records], "oldest first"
    assert got[0]["satisfaction"] == 4 and got[0]["channel"] == 5


def test_a_gateway_body_limit_makes_batches_smaller(box, platform, gateway):
    fill(box, 100)
    gateway.max_batch = 30
    w = worker(box, gateway.url)
    w.run_once()
    assert set(stored(platform).values()) == {1} and len(stored(platform)) == 100
    assert w.batch_size == 25, "halved until the gateway takes it"
    assert (50, 413) in gateway.batches and dead(box) == {}


# ---- backoff --------------------------------------------------------------------------------------


def test_backoff_grows_with_full_jitter_within_bounds(box, platform):
    fill(box, 3)
    health = []
    w = worker(
        box,
        platform.url,
        base_backoff=0.5,
        max_backoff=8.0,
        rng=random.Random(7),
        on_health=lambda ok, detail: health.append(ok),
    )
    platform.set_faults(mode="refuse")
    delays = [w.run_once(force=True) for _ in range(9)]
    expected_rng = random.Random(7)
    ceilings = [backoff_ceiling(n, 0.5, 8.0) for n in range(1, 10)]
    assert ceilings == [0.5, 1, 2, 4, 8, 8, 8, 8, 8]
    assert delays == [expected_rng.uniform(0, c) for c in ceilings], "deterministic with a seed"
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert w.failures == 9 and health and not any(health)
    assert {a for a, _ in rows(box).values()} == {9}, "every record counted each try"
    assert all("unreachable" in e for _, e in rows(box).values())
    # the records wait their turn: a round now sends nothing
    assert w.run_once() == w.idle_interval
    platform.set_faults()
    assert w.drain(timeout=10)
    assert w.failures == 0 and health[-1] is True, "back: said once it worked"
    assert len(stored(platform)) == 3


def test_after_an_outage_the_backlog_goes_at_once(box, platform):
    fill(box, 60)
    w = worker(box, platform.url, base_backoff=60.0, max_backoff=60.0, rng=random.Random(1))
    platform.set_faults(mode="refuse")
    w.run_once()
    platform.set_faults()
    box.enqueue(Kind.RATING, "rid-new", rating(999), now=5000.0)  # a citizen rates: poke
    w.run_once()
    assert len(stored(platform)) == 61, "one success and what waited in backoff follows"


# ---- what keeps records, what dead-letters them -------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_keeps_every_record(box, platform, status):
    fill(box, 10)
    w = worker(box, platform.url)
    platform.set_faults(failure_rate=1.0, failure_status=status)
    w.run_once(force=True)
    assert box.counts().pending == {"rating": 10} and dead(box) == {}
    assert all(a == 1 and f"[{status}]" in e for a, e in rows(box).values())
    platform.set_faults()
    assert w.drain(timeout=10) and len(stored(platform)) == 10


def test_unreachable_and_timeouts_keep_every_record(box, platform):
    fill(box, 10)
    w = worker(box, platform.url)
    platform.set_faults(mode="refuse")
    w.run_once(force=True)
    assert box.counts().pending == {"rating": 10}
    w.platform.close()
    w.platform = client(platform.url, read_timeout=0.3)
    platform.set_faults(mode="hang")
    w.run_once(force=True)
    platform.set_faults()
    assert all(a == 2 and e.startswith("timeout") for a, e in rows(box).values())
    assert dead(box) == {}
    assert w.drain(timeout=10) and set(stored(platform).values()) == {1}


@pytest.mark.parametrize("status", [401, 403, 404, 408, 429])
def test_answers_about_the_device_or_the_moment_keep_records(box, platform, gateway, status):
    fill(box, 5)
    gateway.status = status
    w = worker(box, gateway.url)
    w.run_once(force=True)
    assert box.counts().pending == {"rating": 5} and dead(box) == {}
    gateway.status = 0
    assert w.drain(timeout=10) and len(stored(platform)) == 5


def test_a_wrong_device_key_is_401_and_nothing_is_dead_lettered(box, platform):
    fill(box, 5)
    w = worker(box, platform.url, key=b"not the key of this device!!")
    w.run_once(force=True)
    assert box.counts().pending == {"rating": 5} and dead(box) == {}
    assert all("unauthorised" in e and "[401]" in e for _, e in rows(box).values())
    w.platform.close()
    w.platform = client(platform.url)
    assert w.drain(timeout=10) and len(stored(platform)) == 5


def test_records_refused_by_the_platform_are_dead_lettered_with_the_reason(box, platform):
    fill(box, 6)
    bad = {
        "bad-level": rating(100, rating_id="bad-level", satisfaction=1),
        "bad-reason": rating(
            101,
            rating_id="bad-reason",
            level="very_dissatisfied",
            satisfaction=1,
        ),
        "bad-channel": rating(102, rating_id="bad-channel", channel=1),
    }
    for rid, record in bad.items():
        box.enqueue(Kind.RATING, rid, record, now=1003.5)
    w = worker(box, platform.url)
    w.run_once()
    assert dead(box) == {
        "bad-level": "refused by the platform: level_mismatch",
        "bad-reason": "refused by the platform: reason_required",
        "bad-channel": "refused by the platform: bad_channel",
    }
    assert box.counts().pending == {} and len(stored(platform)) == 6
    status = box.status()
    assert status.dead_total == 3 and all(d.attempts == 1 for d in status.dead_letters)
    # a technician sends them again (after a fix upstream, say): still refused, still kept
    assert box.retry_dead() == 3
    w.run_once()
    assert set(dead(box)) == set(bad) and len(stored(platform)) == 6


def test_a_whole_batch_refused_for_one_record_is_split_down_to_it(box, platform, gateway):
    records = fill(box, 40)
    poisoned = rating(500, rating_id="poisoned", text=POISON)
    box.enqueue(Kind.RATING, "poisoned", poisoned, now=1017.5)  # in the middle of the batch
    gateway.poison = POISON
    w = worker(box, gateway.url)
    w.run_once()
    assert set(stored(platform)) == {r["rating_id"] for r in records}
    assert list(dead(box)) == ["poisoned"]
    assert "HTTP 400" in dead(box)["poisoned"] and "bad_request" in dead(box)["poisoned"]
    assert box.counts().pending == {}
    assert len(gateway.batches) <= 2 * 6 + 1, "a binary search, not one request per record"


def test_a_lone_refused_record_is_dead_lettered_only_if_the_platform_takes_an_empty_batch(
    box, platform, gateway
):
    box.enqueue(Kind.RATING, "poisoned", rating(1, rating_id="poisoned", text=POISON))
    gateway.poison = POISON
    w = worker(box, gateway.url)
    w.run_once()
    assert gateway.batches == [(1, 400), (0, 200)], "the empty batch shows the platform is fine"
    assert list(dead(box)) == ["poisoned"]


def test_a_gateway_refusing_everything_dead_letters_nothing(box, platform, gateway):
    fill(box, 20)
    gateway.status = 400
    w = worker(box, gateway.url)
    w.run_once(force=True)
    assert dead(box) == {}, "400 to every batch, even an empty one: not the records' fault"
    assert box.counts().pending == {"rating": 20}
    assert all("HTTP 400" in e for _, e in rows(box).values())
    assert gateway.batches[-1] == (0, 400)
    gateway.status = 0
    assert w.drain(timeout=10) and len(stored(platform)) == 20


# ---- exactly once -------------------------------------------------------------------------------


def test_exactly_once_at_the_platform_after_a_retry_storm(tmp_path, platform, gateway):
    """Lost replies (stored upstream, never acknowledged), 5xx, three workers on one outbox,
    ratings queued again under their own ids: each rating is at the platform once."""
    box = Outbox(tmp_path / "storm.db")
    records = fill(box, 600)
    gateway.lose_rate = 0.3
    platform.set_faults(failure_rate=0.2, failure_status=503)
    workers = [worker(box, gateway.url, batch_size=40, rng=random.Random(k)) for k in range(3)]

    def requeue() -> None:  # a confused caller queues the same ratings again, now and then
        rng = random.Random(99)
        for _ in range(300):
            r = records[rng.randrange(len(records))]
            box.enqueue(Kind.RATING, r["rating_id"], r)
            time.sleep(0.002)

    threads = [threading.Thread(target=requeue)]
    threads += [threading.Thread(target=w.drain, kwargs={"timeout": 30}) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gateway.lose_rate = 0.0
    platform.set_faults()
    assert workers[0].drain(timeout=20)
    assert (0 in {s for _, s in gateway.batches}) and any(s == 503 for _, s in gateway.batches)
    counts = stored(platform)
    assert set(counts) == {r["rating_id"] for r in records}
    assert set(counts.values()) == {1}
    assert dead(box) == {} and box.counts().pending == {}
    with contextlib.closing(sqlite3.connect(platform.db_path)) as db:
        assert db.execute("SELECT count(*) FROM ratings").fetchone() == (600,)
    for w in workers:
        w.platform.close()
    box.close()


def test_the_worker_thread_delivers_on_a_poke(box, platform):
    w = worker(box, platform.url, idle_interval=60.0)
    w.start()
    try:
        time.sleep(0.05)  # the first round found nothing; the next is a minute away
        fill(box, 3)
        w.poke()
        deadline = time.monotonic() + 10
        while len(stored(platform)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(stored(platform)) == 3
    finally:
        w.stop()
    assert box.counts().pending == {}


def test_a_record_the_client_cannot_send_is_set_aside(box, platform):
    """A damaged row (bytes that are not UTF-8, say after a disk fault) must not block the
    outbox: it goes to the dead letters, the rest goes to the platform."""
    fill(box, 4)
    with contextlib.closing(sqlite3.connect(box.path)) as db:
        db.execute(
            "INSERT INTO outbox (id, kind, payload, created_at, next_attempt_at)"
            " VALUES ('odd', 'rating', CAST(? AS TEXT), 1001.5, 0)",
            (b'{"rating_id":"odd","text":"\xff\xfe"}',),
        )
        db.commit()
    w = worker(box, platform.url)
    w.run_once()
    assert len(stored(platform)) == 4
    assert dead(box) == {"odd": "cannot be sent: UnicodeEncodeError"}
    assert box.counts().pending == {}


def test_outbox_file_stays_small_of_secrets(box, platform):
    """What the worker writes while failing is technicians' text, never payload fragments."""
    box.enqueue(Kind.RATING, "r1", rating(1, rater_ref="R-very-private-ref"))
    w = worker(box, platform.url)
    platform.set_faults(failure_rate=1.0, failure_status=503)
    w.run_once(force=True)
    platform.set_faults()
    ((_, error),) = rows(box).values()
    assert "R-very-private-ref" not in error
    assert Path(box.path).exists()


def test_a_forced_poke_sends_what_waits_in_backoff(box, platform):
    fill(box, 5)
    w = worker(
        box,
        platform.url,
        base_backoff=120.0,
        max_backoff=120.0,
        idle_interval=60.0,
        rng=random.Random(1),
    )
    platform.set_faults(mode="refuse")
    assert w.run_once() > 10, "fails: every record now waits (seeded: some 16 s)"
    platform.set_faults()
    w.start()
    try:
        w.poke()  # an ordinary poke: nothing is due yet
        time.sleep(0.2)
        assert len(stored(platform)) == 0
        w.poke(force=True)  # the heartbeat saw the platform come back
        deadline = time.monotonic() + 10
        while len(stored(platform)) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(stored(platform)) == 5
    finally:
        w.stop()


def test_drain_works_after_the_thread_stopped(box, platform):
    w = worker(box, platform.url)
    w.start()
    w.stop()
    fill(box, 7)
    assert w.drain(timeout=10) and len(stored(platform)) == 7


# ---- the published list, kept for offline reading -------------------------------------------


def test_the_published_list_and_guides_read_offline(tmp_path, platform):
    from devkit.people import BY_KEY
    from offline.catalogue_cache import CatalogueCache

    cache = CatalogueCache(tmp_path / "catalogue.db")
    with client(platform.url) as c:
        fetched = c.catalogue()
        assert cache.save(fetched, fetched.etag, fetched_at=100.0)
        assert c.catalogue(fetched.etag) is None, "304: not modified"
        assert cache.touch(fetched_at=200.0)
        ticket = c.verify_identity(BY_KEY["zhang_wei"].card())
        code = fetched.items[0].item_code
        personal = c.guide(code, ticket)
        assert cache.save_guide(code, personal)
        public = c.guide(code)
    platform.set_faults(mode="refuse")  # the network is gone: the cache answers
    cached = cache.load()
    assert cached.catalogue == fetched and cached.etag == fetched.etag
    assert cached.fetched_at == 200.0
    assert cache.guide(code) == public, "the public guide, whatever the citizen could do"
    cache.close()
    assert ticket.ticket.encode() not in (tmp_path / "catalogue.db").read_bytes()


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize(("retry_after", "expected"), [(120, 120.0), (3600, 300.0)])
def test_a_retry_after_is_the_next_backoff_within_max_backoff(
    box, platform, status, retry_after, expected
):
    """The platform says when to come back (docs/platform-api.yaml, "Retries"): the worker
    waits that long, but never longer than its own max_backoff."""
    fill(box, 3)
    platform.set_faults(failure_rate=1.0, failure_status=status, retry_after_s=retry_after)
    w = worker(box, platform.url, max_backoff=300.0)
    started = time.time()
    assert w.run_once() == expected
    assert box.due(Kind.RATING, 10, now=started + expected - 1) == []
    assert len(box.due(Kind.RATING, 10, now=time.time() + expected + 1)) == 3
    platform.set_faults()
    w.run_once(force=True)
    assert box.counts().pending == {} and len(stored(platform)) == 3
