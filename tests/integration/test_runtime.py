"""The runtime with its real drivers, client and outbox against the demo stack, without a display.

Card over a pseudo-terminal, platform over HTTP, printer over TCP, outbox on disk: the same
wiring as the kiosk (wiring.build_runtime), with a plain queue standing in for the Kivy clock.
"""

from __future__ import annotations

import sqlite3
import time

import pytest

import wiring as composition
from devkit.loop import Loop
from kiosk.devices import DeviceKind, DeviceState
from kiosk.events import Action
from kiosk.journey import State
from offline.outbox import Kind, Outbox
from offline.sync import SyncWorker

SOCIAL_INSURANCE = "1401002001100100"


@pytest.fixture
def kiosk(stack, tmp_path):
    loop = Loop()
    runtime = composition.build_runtime(stack.config(), loop.call_soon)
    runtime.start()
    yield runtime, loop
    runtime.stop()


def test_a_whole_journey_through_real_transports(kiosk, stack):
    runtime, loop = kiosk
    j = runtime.journey
    loop.until(lambda: j.catalogue is not None, what="the published list")
    assert len(j.catalogue.items) == 31

    stack.place_card("zhang_wei")
    loop.until(lambda: j.state is State.ITEMS, what="the item list")
    assert j.session.display_name == "张*"
    runtime.tap(Action.SELECT_ITEM, SOCIAL_INSURANCE)
    loop.until(lambda: j.session.guide is not None, what="the guide")
    runtime.tap(Action.CONFIRM)
    loop.until(lambda: j.state is State.PREVIEW, what="the certificate on screen")
    runtime.tap(Action.PRINT)
    loop.until(lambda: j.state is State.TAKE_DOCUMENTS, what="the printed certificate")
    doc = j.session.case.document
    (job,) = stack.printer.wait_for_jobs(1)
    assert doc.title in job.text and doc.verification_code in job.text
    assert "张伟" in job.text, "the certificate names its holder as the department's template does"
    assert job.qr_payloads == [doc.qr_content]

    stack.remove_card()
    loop.until(lambda: j.state is State.RATING, what="the rating screen")
    runtime.tap(Action.RATE, "satisfied")
    runtime.tap(Action.SUBMIT_RATING)
    loop.until(lambda: j.state is State.GOODBYE, what="goodbye")
    runtime.sync.poke()
    loop.until(lambda: len(stack.platform.ratings()) == 1, what="the rating at the platform")
    (stored,) = stack.platform.ratings()
    assert stored["level"] == "satisfied" and stored["satisfaction"] == 4
    assert stored["channel"] == 5 and stored["device_id"] == "SX-TY-0001"


def test_a_real_journey_replays_from_its_event_log(stack, tmp_path):
    """Everything the journey depended on was in its log: the devices' and the platform's
    events and the moments they were handled at. Replayed into a fresh journey, the same
    states and effects come out (ids and times included)."""
    import copy

    from kiosk.journey import Journey, JourneySettings

    loop = Loop()
    runtime = composition.build_runtime(stack.config(), loop.call_soon)
    log: list = []
    seen: list = []
    runtime.record = lambda event, now: log.append((copy.deepcopy(event), now))
    live = runtime.journey
    dispatch = live.dispatch

    def traced(event, now):
        effects = dispatch(event, now)
        seen.append((live.state, live.deadline, live.epoch, [repr(e) for e in effects]))
        return effects

    live.dispatch = traced
    runtime.start()
    try:
        j = runtime.journey
        loop.until(lambda: j.catalogue is not None, what="the published list")
        stack.place_card("zhang_wei")
        loop.until(lambda: j.state is State.ITEMS, what="the item list")
        runtime.tap(Action.SELECT_ITEM, SOCIAL_INSURANCE)
        loop.until(lambda: j.session.guide is not None, what="the guide")
        runtime.tap(Action.CONFIRM)
        loop.until(lambda: j.state is State.PREVIEW, what="the certificate on screen")
        runtime.tap(Action.PRINT)
        loop.until(lambda: j.state is State.TAKE_DOCUMENTS, what="the printed certificate")
        stack.remove_card()
        loop.until(lambda: j.state is State.RATING, what="the rating screen")
        runtime.tap(Action.RATE, "satisfied")
        runtime.tap(Action.SUBMIT_RATING)
        loop.until(lambda: j.state is State.GOODBYE, what="goodbye")
    finally:
        runtime.stop()

    fresh = Journey(JourneySettings.from_config(runtime.config))
    fresh.start(log[0][1])
    replayed = []
    for event, now in log:
        effects = fresh.dispatch(copy.deepcopy(event), now)
        replayed.append((fresh.state, fresh.deadline, fresh.epoch, [repr(e) for e in effects]))
    assert len(replayed) == len(seen) > 10
    assert replayed == seen
    assert {s for s, *_ in seen} >= {State.VERIFYING, State.PRINTING, State.GOODBYE}
    assert any("StoreRating" in e for *_, effects in seen for e in effects)


@pytest.fixture
def logged(kiosk):
    """The kiosk's own log files in its data directory, plus every DEBUG record unscrubbed:
    what the code logs must hold nothing personal even before the scrubber sees it."""
    import logging

    from kiosk import logs

    data_dir = kiosk[0].config.data_dir
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    logs.setup(data_dir / "logs")
    raw = logging.FileHandler(data_dir / "logs" / "raw-debug.log", encoding="utf-8")
    raw.setLevel(logging.DEBUG)
    root.addHandler(raw)
    yield kiosk
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(saved[0])
    for handler in saved[1]:
        root.addHandler(handler)


def test_nothing_personal_reaches_the_kiosk_disk(logged, stack, tmp_path):
    runtime, loop = logged
    j = runtime.journey
    stack.place_card("zhang_wei")
    loop.until(lambda: j.state is State.ITEMS)
    runtime.tap(Action.SELECT_ITEM, SOCIAL_INSURANCE)
    loop.until(lambda: j.session.guide is not None)
    runtime.tap(Action.CONFIRM)
    loop.until(lambda: j.state is State.PREVIEW)
    runtime.tap(Action.PRINT)
    loop.until(lambda: j.state is State.TAKE_DOCUMENTS)
    stack.remove_card()
    loop.until(lambda: j.state is State.RATING)
    runtime.tap(Action.RATE, "very_satisfied")
    runtime.tap(Action.SUBMIT_RATING)
    loop.until(lambda: j.state is State.GOODBYE)
    data_dir = runtime.config.data_dir
    forbidden = ("张伟", "140105198503120210", "平阳路")
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "outbox.db" for p in files)
    logged_lines = (data_dir / "logs" / "raw-debug.log").read_text(encoding="utf-8")
    assert "journey: rating -> goodbye" in logged_lines, "the log did record the journey"
    assert (data_dir / "logs" / "kiosk.jsonl").stat().st_size > 0
    for path in files:
        blob = path.read_bytes()
        for word in forbidden:
            assert word.encode() not in blob, f"{word} found in {path}"
            assert word.encode("utf-16-le") not in blob, f"{word} found in {path}"


def test_platform_down_is_said_and_recovers(kiosk, stack):
    runtime, loop = kiosk
    j = runtime.journey
    loop.until(lambda: j.catalogue is not None)
    stack.platform.set_faults(mode="refuse")
    runtime.heartbeat_interval = 0.3
    loop.until(lambda: not j.platform_reachable, timeout=20, what="the outage noticed")
    assert any("人工窗口" in b for b in j.banners)
    stack.platform.set_faults()
    loop.until(lambda: j.platform_reachable, timeout=20, what="the recovery noticed")


def test_printer_out_of_paper_blocks_printing_items(kiosk, stack):
    runtime, loop = kiosk
    j = runtime.journey
    stack.printer.set_state(paper="out")
    runtime.printer_poll_interval = 0.2
    loop.until(lambda: not j.printer_usable, timeout=10, what="paper out noticed")
    stack.place_card("zhang_wei")
    loop.until(lambda: j.state is State.ITEMS)
    item = next(i for i in j.session.items if i.item_code == SOCIAL_INSURANCE)
    assert j.item_blocked_reason(item) == "打印机暂停服务，请到窗口办理"
    runtime.tap(Action.SELECT_ITEM, SOCIAL_INSURANCE)
    assert j.state is State.ITEMS
    assert stack.printer.jobs == []


def test_sync_delivers_a_backlog_exactly_once_after_an_outage(stack, tmp_path):
    from kiosk.platform import PlatformClient

    cfg = stack.config()
    client = PlatformClient(cfg.platform.url, cfg.device_id, cfg.platform.device_key, retries=0)
    box = Outbox(tmp_path / "outbox.db")
    worker = SyncWorker(box, client, batch_size=50, base_backoff=0.05, max_backoff=0.1)
    records = []
    for i in range(120):
        rec = {
            "rating_id": f"r-{i:04d}",
            "case_no": f"C{i:06d}",
            "item_code": SOCIAL_INSURANCE,
            "item_name": "个人社保参保缴费证明打印",
            "department": "市人社局",
            "rater_ref": "ref-1",
            "level": "satisfied",
            "satisfaction": 4,
            "reasons": "",
            "text": "",
            "rated_at": "2026-11-27T10:00:00+08:00",
            "rating_count": 1,
            "channel": 5,
            "region_code": "140100",
            "device_id": cfg.device_id,
        }
        records.append(rec)
        box.enqueue(Kind.RATING, rec["rating_id"], rec)
    stack.platform.set_faults(mode="refuse")
    worker.run_once()
    assert box.counts().pending == {"rating": 120}, "nothing is lost while the platform is away"
    stack.platform.set_faults()
    time.sleep(0.15)
    assert worker.drain(timeout=15)
    assert len(stack.platform.ratings()) == 120
    box.enqueue(Kind.RATING, "r-0001", records[1])  # an id already delivered
    assert worker.drain(timeout=5)
    assert len(stack.platform.ratings()) == 120, "a retried id never creates a second rating"
    db = sqlite3.connect(box.path)
    assert db.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
    client.close()
    box.close()


def test_paper_running_low_prints_and_tells_the_staff(kiosk, stack):
    runtime, loop = kiosk
    j = runtime.journey
    runtime.printer_poll_interval = 0.2
    stack.printer.set_state(paper="near_end")

    def alerts() -> list[dict]:  # queued or already at the platform: a change beats at once
        return stack.device_events(runtime.outbox, "staff_alert")

    loop.until(
        lambda: any(e.get("problem") == "paper_low" for e in alerts()),
        timeout=10,
        what="a staff alert for low paper",
    )
    assert j.printer_usable, "low paper still prints"
    loop.run_for(1.0)  # several more polls of the same low paper
    assert len(alerts()) == 1, "one alert per change, not one per poll"


def test_a_required_printer_gone_closes_the_kiosk_with_the_reason_until_it_is_back(stack, tmp_path):
    loop = Loop()
    config = stack.config(required=("card_reader", "printer"))
    runtime = composition.build_runtime(config, loop.call_soon)
    runtime.printer_poll_interval = 0.2
    runtime.start()
    j = runtime.journey

    def events(name: str) -> list[dict]:  # queued or already at the platform
        return stack.device_events(runtime.outbox, name)

    try:
        loop.until(lambda: j.statuses(DeviceKind.PRINTER), what="the printer's first status")
        assert j.state is State.ATTRACT
        stack.printer.stop()  # its port closed: connections refused
        loop.until(lambda: j.state is State.OUT_OF_SERVICE, what="out of service")
        assert j.out_of_service_reason == "打印机暂时不能使用"
        loop.until(lambda: events("out_of_service"), what="the technicians' device event")
        (event,) = events("out_of_service")
        assert event["device"] == "printer" and event["state"] == "no_device"
        assert "Connection refused" in event["detail"], "the technician's reason"
        stack.printer.start()  # the same port again
        loop.until(lambda: j.state is State.ATTRACT, timeout=20, what="back by itself")
        loop.until(lambda: events("in_service"), what="the kiosk back, told")
        assert len(events("out_of_service")) == 1

        stack.place_card("zhang_wei")  # and the printer says busy while it prints
        loop.until(lambda: j.state is State.ITEMS, what="the item list")
        seen: list[DeviceState] = []
        runtime.listeners.append(
            lambda jj: seen.append(next(iter(jj.statuses(DeviceKind.PRINTER))).state)
        )
        runtime.tap(Action.SELECT_ITEM, SOCIAL_INSURANCE)
        loop.until(lambda: j.session.guide is not None, what="the guide")
        runtime.tap(Action.CONFIRM)
        loop.until(lambda: j.state is State.PREVIEW, what="the certificate on screen")
        runtime.tap(Action.PRINT)
        loop.until(lambda: j.state is State.TAKE_DOCUMENTS, what="the printed certificate")
        loop.until(lambda: seen[-1] is DeviceState.ONLINE, what="the printer idle again")
        assert DeviceState.BUSY in seen
    finally:
        runtime.stop()


def test_a_late_reply_never_reaches_the_next_citizen(kiosk, stack):
    """A's card is verified slowly, A walks away, B puts a card down, then A's ticket arrives:
    it must be dropped, and B must see B's own items (found by review: it used to be taken)."""
    runtime, loop = kiosk
    j = runtime.journey
    loop.until(lambda: j.catalogue is not None)
    stack.platform.set_faults(latency_ms=1500)
    stack.place_card("zhang_wei")  # A: has a housing-fund account
    loop.until(lambda: j.state is State.VERIFYING, what="A verifying")
    stack.remove_card()
    loop.until(lambda: j.state is State.ATTRACT, what="A gone")
    stack.platform.set_faults(latency_ms=3000)  # B's calls finish after A's late ones
    stack.place_card("wang_guilan")  # B: a pensioner without one
    loop.until(lambda: j.state is State.VERIFYING, what="B verifying")
    loop.run_for(5.5)  # A's verify + item list arrive in here, while B is still verifying
    assert j.state is State.VERIFYING, "A's answer was taken for B's"
    stack.platform.set_faults()
    loop.until(lambda: j.state is State.ITEMS, timeout=20, what="B's items")
    assert j.session.display_name == "王*兰"
    mine = {i.item_code for i in j.session.items if i.available}
    assert mine == eligible_codes("wang_guilan")
    assert mine != eligible_codes("zhang_wei")


def eligible_codes(key: str) -> set[str]:
    from devkit import seed
    from devkit.people import BY_KEY

    accounts = BY_KEY[key].accounts
    return {
        i.item_code
        for i in seed.ITEMS
        if i.subject.value == "person" and seed.eligible(i, accounts)
    }


def test_a_print_job_is_never_sent_twice_without_a_failure(kiosk, stack):
    """Asked again while it prints (a slow printer past the guard), or after it came out whole,
    the same job reaches the printer once (found in review: a timeout retry queued a copy)."""
    from kiosk import journey as jr
    from kiosk.devices import PrintJob

    runtime, loop = kiosk
    j = runtime.journey
    stack.place_card("zhang_wei")
    loop.until(lambda: j.state is State.ITEMS)
    runtime.tap(Action.SELECT_ITEM, SOCIAL_INSURANCE)
    loop.until(lambda: j.session.guide is not None)
    runtime.tap(Action.CONFIRM)
    loop.until(lambda: j.state is State.PREVIEW)
    stack.printer.answer_delay = 0.3  # a slow printer: the job is in flight for a while
    runtime.tap(Action.PRINT)
    job = PrintJob(j.session.job_id, j.session.case.document)
    runtime._apply([jr.PrintDocument(job)])  # the citizen's retry while it still prints
    loop.until(lambda: j.state is not State.PRINTING, timeout=30, what="the paper")
    assert j.state is State.TAKE_DOCUMENTS, (j.state, j.error)
    runtime._apply([jr.PrintDocument(job)])  # and once more after it came out
    loop.run_for(3)
    assert len(stack.printer.jobs) == 1


def test_a_staff_call_reaches_the_platform_and_its_acknowledgement_comes_back(kiosk, stack):
    """The call as a device event at once (a beat goes now), hall staff acknowledge it at the
    platform, and the next beat's reply tells the journey: within seconds, not a 15 s beat."""
    runtime, loop = kiosk
    runtime.heartbeat_interval = 60.0  # only the call's own beats can bring the answer in time
    j = runtime.journey
    stack.place_card("zhang_wei")
    loop.until(lambda: j.state is State.ITEMS, what="the item list")
    runtime.tap(Action.CALL_STAFF)
    call_id = j.staff_call.call_id
    loop.until(lambda: stack.platform.device_events("call_staff"), what="the call at the platform")
    (event,) = stack.platform.device_events("call_staff")
    assert (event["call_id"], event["screen"]) == (call_id, "items")
    loop.run_for(1.0)  # the beats that came with the card and the call are over
    assert stack.platform.acknowledge_call(call_id)
    loop.until(lambda: j.staff_call.acknowledged, timeout=10, what="the acknowledgement")
    runtime.tap(Action.EXIT)
    assert j.staff_call is None and j.take_card, "the card is still on the reader"
    stack.remove_card()
    loop.until(lambda: not j.take_card, what="the card taken")
