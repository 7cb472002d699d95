"""投诉与建议 against the reference platform over HTTP, with the real outbox on disk: the
contract's operation (idempotent, refusals), and the kiosk's own runtime sending a complaint
online and through an outage, where it waits sealed on disk and is deleted once delivered
(docs/complaints.md)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3

import pytest

import wiring as composition
from devkit.loop import Loop
from devkit.platform_server import DEMO_DEVICE_ID, DEMO_DEVICE_KEY, ReferencePlatform
from kiosk.complaints import Category, Complaint
from kiosk.events import Action
from kiosk.journey import State
from kiosk.platform import PlatformClient, PlatformError
from kiosk.sealing import Sealer

PHONE = "13912345678"
CHINA = dt.timezone(dt.timedelta(hours=8))


def complaint(cid: str = "c-1", **changes) -> dict:
    record = Complaint(
        complaint_id=cid,
        category=Category.EFFICIENCY,
        phrases=("long_wait", "many_trips"),
        submitted_at=dt.datetime(2026, 12, 2, 9, 30, tzinfo=CHINA),
        device_id=DEMO_DEVICE_ID,
        region_code="140100",
        phone=PHONE,
        consent=True,
    ).to_json()
    record.update(changes)
    return record


@pytest.fixture
def platform(tmp_path):
    p = ReferencePlatform(db_path=tmp_path / "platform.db")
    p.start()
    yield p
    p.stop()


def client(url: str) -> PlatformClient:
    return PlatformClient(url, DEMO_DEVICE_ID, DEMO_DEVICE_KEY, retries=0)


# ---- the contract's operation ---------------------------------------------------------------


def test_a_complaint_is_stored_once_by_its_id(platform):
    with client(platform.url) as c:
        assert c.send_complaint(complaint()) is True
        assert c.send_complaint(complaint()) is False, "a retry is a duplicate"
    (stored,) = platform.complaints()
    assert stored["callback_phone"] == PHONE and stored["deliveries"] == 2
    assert stored["phrases"] == ["long_wait", "many_trips"]


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"callback_consent": False}, 400, "consent_required"),
        ({"callback_phone": "1234"}, 400, "bad_request"),
        ({"category": "weather"}, 400, "bad_request"),
        ({"phrases": []}, 400, "bad_request"),
        ({"complaint_id": "another"}, 409, "complaint_id_mismatch"),
        ({"device_id": "SX-TY-9999"}, 403, "device_mismatch"),
    ],
)
def test_what_the_platform_refuses(platform, changes, status, code):
    with client(platform.url) as c, pytest.raises(PlatformError) as caught:
        c._call("PUT", "/v1/complaints/c-1", body=complaint(**changes), expect=(200, 201), op="t")
    assert (caught.value.status, caught.value.code) == (status, code)
    assert platform.complaints() == []


def test_an_anonymous_complaint_has_no_number(platform):
    with client(platform.url) as c:
        c.send_complaint(complaint("c-2", callback_phone="", callback_consent=False))
    (stored,) = platform.complaints()
    assert stored["callback_phone"] == "" and stored["callback_consent"] is False


# ---- the kiosk's runtime: online, and through an outage ------------------------------------


@pytest.fixture
def kiosk(stack):
    loop = Loop()
    runtime = composition.build_runtime(stack.config(), loop.call_soon)
    runtime.start()
    yield runtime, loop
    runtime.stop()


def complain(runtime, loop) -> None:
    j = runtime.journey
    loop.until(lambda: j.state is State.ATTRACT, what="the attract screen")
    runtime.tap(Action.COMPLAINT)
    runtime.tap(Action.COMPLAINT_CATEGORY, Category.DEVICE.value)
    runtime.tap(Action.COMPLAINT_PHRASE, "no_scan")
    for digit in PHONE:
        runtime.tap(Action.COMPLAINT_DIGIT, digit)
    runtime.tap(Action.COMPLAINT_CONSENT)
    runtime.tap(Action.SUBMIT_COMPLAINT)
    loop.until(lambda: j.state is State.COMPLAINT_SENT, what="the thank-you")
    assert j.notice == ""


def waiting(path) -> list[tuple[str, dict]]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT id, payload FROM outbox WHERE kind = 'complaint'").fetchall()
    return [(i, json.loads(p)) for i, p in rows]


def on_disk(folder) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_a_complaint_sent_online_leaves_the_disk(kiosk, stack):
    runtime, loop = kiosk
    complain(runtime, loop)
    loop.until(lambda: len(stack.platform.complaints()) == 1, what="the complaint delivered")
    outbox = stack.config().data_dir / "outbox.db"
    loop.until(lambda: waiting(outbox) == [], what="the complaint deleted")
    (stored,) = stack.platform.complaints()
    assert stored["callback_phone"] == PHONE and stored["category"] == "device"


def test_through_an_outage_it_waits_sealed_then_is_delivered_and_deleted(kiosk, stack):
    runtime, loop = kiosk
    data = stack.config().data_dir
    stack.platform.set_faults(mode="refuse")
    complain(runtime, loop)
    ((cid, payload),) = waiting(data / "outbox.db")
    assert set(payload) == {"sealed", "box"}, "only the sealed box is on disk"
    opened = Sealer(DEMO_DEVICE_KEY).open(cid, payload)
    assert opened["callback_phone"] == PHONE and opened["complaint_id"] == cid
    assert PHONE.encode() not in on_disk(data), "the number is nowhere on disk in clear"
    assert PHONE.encode("utf-16-le") not in on_disk(data)
    assert stack.platform.complaints() == []

    stack.platform.set_faults()
    runtime.sync.poke(force=True)
    loop.until(lambda: len(stack.platform.complaints()) == 1, what="delivered once back")
    loop.until(lambda: waiting(data / "outbox.db") == [], what="deleted once delivered")
    (stored,) = stack.platform.complaints()
    assert stored["complaint_id"] == cid and stored["callback_phone"] == PHONE
    assert PHONE.encode() not in on_disk(data)


# ---- the delivery worker's rules for complaints ----------------------------------------------


def test_a_refused_complaint_is_a_dead_letter_still_sealed(platform, tmp_path):
    from offline.outbox import Kind, Outbox
    from offline.sync import SyncWorker

    sealer = Sealer(DEMO_DEVICE_KEY)
    with Outbox(tmp_path / "outbox.db") as box:
        bad = complaint("c-bad", callback_consent=False)  # a number without consent
        box.enqueue(Kind.COMPLAINT, "c-bad", sealer.seal("c-bad", bad))
        box.enqueue(Kind.COMPLAINT, "c-good", sealer.seal("c-good", complaint("c-good")))
        worker = SyncWorker(box, client(platform.url), sealer=sealer, base_backoff=0.01)
        worker.run_once()
        assert [c["complaint_id"] for c in platform.complaints()] == ["c-good"]
        assert box.counts().pending == {} and box.counts().dead == 1
        with contextlib.closing(sqlite3.connect(box.path)) as db:
            ((reason, payload),) = db.execute("SELECT reason, payload FROM dead_letters")
        assert "consent" in reason and set(json.loads(payload)) == {"sealed", "box"}


def test_a_complaint_waits_out_a_retry_after(platform, tmp_path):
    from offline.outbox import Kind, Outbox
    from offline.sync import SyncWorker

    sealer = Sealer(DEMO_DEVICE_KEY)
    with Outbox(tmp_path / "outbox.db") as box:
        box.enqueue(Kind.COMPLAINT, "c-1", sealer.seal("c-1", complaint()))
        platform.set_faults(failure_rate=1.0, failure_status=503, retry_after_s=120)
        worker = SyncWorker(box, client(platform.url), sealer=sealer, max_backoff=300.0)
        assert worker.run_once() == 120.0
        assert box.counts().pending == {"complaint": 1} and box.counts().dead == 0
        platform.set_faults()
        worker.run_once(force=True)
        assert box.counts().pending == {} and len(platform.complaints()) == 1
