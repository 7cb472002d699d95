"""The fleet's view: the metrics endpoint over real HTTP after real journeys, read with
prometheus-client's own parser; the alert rules name metrics that exist; the heartbeat carries
the status and counters, and every device change, through the outbox while the platform is away.

The runtime is wired as the kiosk wires it (wiring.build_runtime) against the demo stack: the
SAM reader on a pseudo-terminal, the printer on TCP, the reference platform over HTTP. No PC/SC
reader (social_cards=False): the endpoint does not depend on one.
"""

from __future__ import annotations

import dataclasses
import re
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

import wiring
from devkit.loop import Loop
from devkit.people import BY_KEY
from kiosk.config import MetricsConfig
from kiosk.devices import DeviceKind
from kiosk.events import Action
from kiosk.journey import State
from offline.outbox import Kind

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SOCIAL_INSURANCE = "1401002001100100"  # an instant certificate, printed


@pytest.fixture
def kiosk(stack):
    config = dataclasses.replace(stack.config(), metrics=MetricsConfig("127.0.0.1", 0))
    loop = Loop()
    runtime = wiring.build_runtime(config, loop.call_soon)
    runtime.heartbeat_interval = 60.0  # only a device change makes a beat go within the test
    runtime.printer_poll_interval = 0.2
    runtime.start()
    yield runtime, loop
    runtime.stop()


def journey(runtime, loop, stack, citizen: str = "zhang_wei") -> None:
    """A card, the item, the certificate printed, the card taken, a rating, goodbye."""
    j = runtime.journey
    stack.place_card(citizen)
    loop.until(lambda: j.state is State.ITEMS, "the item list")
    runtime.tap(Action.SELECT_ITEM, SOCIAL_INSURANCE)
    loop.until(lambda: j.session.guide is not None, "the guide")
    runtime.tap(Action.CONFIRM)
    loop.until(lambda: j.state is State.PREVIEW, "the preview")
    runtime.tap(Action.PRINT)
    loop.until(lambda: j.state is State.TAKE_DOCUMENTS, "the certificate printed")
    stack.remove_card()
    loop.until(lambda: j.state is State.RATING, "the rating screen")
    runtime.tap(Action.RATE, "satisfied")
    runtime.tap(Action.SUBMIT_RATING)
    loop.until(lambda: j.state is State.GOODBYE, "goodbye")
    runtime.tap(Action.HOME)
    loop.until(lambda: j.state is State.ATTRACT, "the attract screen")


def scrape(runtime) -> tuple[str, dict[tuple[str, tuple], float]]:
    host, port = runtime.metrics.address
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as resp:
        assert resp.status == 200
        text = resp.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return text, samples


def value(samples, name: str, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_the_endpoint_tells_the_fleet_what_the_kiosk_did(kiosk, stack):
    runtime, loop = kiosk
    j = runtime.journey
    loop.until(lambda: j.catalogue is not None, "the published list")
    journey(runtime, loop, stack)
    journey(runtime, loop, stack, "li_ming")
    stack.printer.set_state(paper="out")
    loop.until(lambda: not j.printer_usable, "the paper out noticed")

    text, samples = scrape(runtime)
    assert value(samples, "kiosk_journeys_started_total") == 2
    # 首页 on the goodbye screen: the frame's button, which ends a session as "exit"
    assert value(samples, "kiosk_journeys_ended_total", outcome="exit") == 2
    assert value(samples, "kiosk_prints_total", outcome="ok") == 2
    assert value(samples, "kiosk_prints_total", outcome="failed") == 0
    assert value(samples, "kiosk_paper_events_total", paper="out") == 1
    assert value(samples, "kiosk_errors_total", operation="verify") == 0
    assert value(samples, "kiosk_printer_paper", device="printer", paper="out") == 1
    assert value(samples, "kiosk_printer_paper", device="printer", paper="full") == 0
    assert value(samples, "kiosk_printer_cover_open", device="printer") == 0
    reader = {"device": "card_reader:sam", "kind": "card_reader"}
    assert value(samples, "kiosk_device_state", **reader, state="online") == 1
    assert value(samples, "kiosk_device_state", **reader, state="offline") == 0
    assert value(samples, "kiosk_outbox_pending", kind="rating") >= 0
    assert value(samples, "kiosk_outbox_oldest_age_seconds") >= 0
    assert value(samples, "kiosk_outbox_events_dropped_total") == 0
    assert value(samples, "kiosk_info", version=runtime_version(), device_id="SX-TY-0001") == 1
    assert 0 < value(samples, "kiosk_start_time_seconds") <= time.time()
    assert value(samples, "kiosk_out_of_service") == 0
    assert value(samples, "kiosk_platform_reachable") == 1
    assert value(samples, "process_open_fds") > 0
    latency = "kiosk_platform_request_duration_seconds"
    assert value(samples, f"{latency}_count", operation="verify_identity", outcome="ok") == 2
    assert value(samples, f"{latency}_count", operation="submit", outcome="ok") == 2
    assert value(samples, f"{latency}_bucket", operation="submit", outcome="ok", le="+Inf") == 2

    # nothing of the two citizens, their cases or codes in any label or value
    for key in ("zhang_wei", "li_ming"):
        card = BY_KEY[key].card()
        assert card.name not in text and card.number not in text
    for case in stack.platform.cases():
        assert case["case_no"] not in text


def runtime_version() -> str:
    from kiosk.version import version

    return version()


def test_errors_and_failed_prints_are_counted_by_operation(kiosk, stack):
    runtime, loop = kiosk
    j = runtime.journey
    loop.until(lambda: j.catalogue is not None, "the published list")
    stack.printer.run_out_of_paper_after(200)  # the paper ends in the middle of the job
    stack.place_card("zhang_wei")
    loop.until(lambda: j.state is State.ITEMS, "the item list")
    runtime.tap(Action.SELECT_ITEM, SOCIAL_INSURANCE)
    loop.until(lambda: j.session.guide is not None, "the guide")
    runtime.tap(Action.CONFIRM)
    loop.until(lambda: j.state is State.PREVIEW, "the preview")
    runtime.tap(Action.PRINT)
    loop.until(lambda: j.state is State.ERROR, "the print failure said")
    _, samples = scrape(runtime)
    assert value(samples, "kiosk_prints_total", outcome="failed") == 1
    assert value(samples, "kiosk_errors_total", operation="print") == 1
    assert value(samples, "kiosk_paper_events_total", paper="out") == 1


def test_a_port_already_taken_leaves_the_kiosk_running_without_metrics(stack, caplog):
    """The endpoint is for the fleet; citizens are served without it. The error says where."""
    import logging
    import socket

    caplog.set_level(logging.ERROR, logger="kiosk.metrics")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = dataclasses.replace(stack.config(), metrics=MetricsConfig("127.0.0.1", port))
        loop = Loop()
        runtime = wiring.build_runtime(config, loop.call_soon)
        try:
            runtime.start()
            loop.until(lambda: runtime.journey.catalogue is not None, "the published list")
            assert runtime.metrics.address is None
            assert any(
                "metrics endpoint not started on 127.0.0.1" in r.message for r in caplog.records
            )
        finally:
            runtime.stop()


def test_without_a_listen_address_there_is_no_endpoint(stack):
    runtime = wiring.build_runtime(stack.config(), Loop().call_soon)
    try:
        assert runtime.metrics is None
    finally:
        runtime.stop()


def test_the_alert_rules_are_well_formed_and_name_metrics_that_exist(kiosk):
    runtime, loop = kiosk
    loop.until(lambda: runtime.journey.catalogue is not None, "the published list")
    # the printer's gauges (paper, cover) exist once it has reported, and the paper-out rule
    # names one of them: wait for the printer itself, not any device
    loop.until(lambda: runtime.journey.statuses(DeviceKind.PRINTER), "the printer's status")
    _, samples = scrape(runtime)
    served = {name for name, _labels in samples} | {
        re.sub(r"_(bucket|count|sum|total)$", "", name) for name, _labels in samples
    }
    served.add("up")  # Prometheus's own series for every target

    scrape_config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    assert scrape_config["rule_files"] == ["alerts.yml"]
    (job,) = scrape_config["scrape_configs"]
    assert job["job_name"] == "kiosk" and job["metrics_path"] == "/metrics"

    rules = yaml.safe_load((ROOT / "deploy" / "alerts.yml").read_text())
    (group,) = rules["groups"]
    names = {rule["alert"] for rule in group["rules"]}
    assert names == {"KioskPaperOut", "KioskDeviceOffline", "KioskOutboxStuck", "KioskDown"}
    for rule in group["rules"]:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]
        used = set(re.findall(r"\b(kiosk_[a-z_]+|up)\b", rule["expr"]))
        assert used, f"{rule['alert']} names no metric"
        assert used <= served, f"{rule['alert']} names {sorted(used - served)}, not served"
    assert 'job="kiosk"' in next(r["expr"] for r in group["rules"] if r["alert"] == "KioskDown")


def test_a_device_change_goes_to_the_platform_at_once_and_waits_out_an_outage(kiosk, stack):
    """Each change of a device's status is a device event in the outbox and a heartbeat at once
    (the interval is a minute here); while the platform is away the events wait on disk and
    arrive, in order, when it answers again. The heartbeat carries the counters too."""
    runtime, loop = kiosk
    j = runtime.journey
    loop.until(lambda: j.catalogue is not None, "the published list")
    journey(runtime, loop, stack)
    stack.printer.set_state(paper="near_end")
    loop.until(
        lambda: any(e["paper"] == "low" for e in stack.platform.device_events("device_status")),
        "the paper's change at the platform",
    )
    (seen,) = stack.platform.devices_seen()
    status = seen["status"]
    assert status["counters"]["journeys_started"] == {"": 1}
    assert status["counters"]["prints"] == {"ok": 1}
    assert status["devices"]["printer"]["paper"] == "low"
    assert status["app"] == runtime_version() and status["uptime_s"] >= 0

    stack.platform.set_faults(mode="refuse")
    stack.printer.set_state(paper="out")
    loop.until(lambda: not j.printer_usable, "the paper out noticed")
    loop.until(
        lambda: runtime.outbox.counts().pending.get(Kind.EVENT.value, 0) >= 1,
        "the change kept in the outbox",
    )
    stack.printer.set_state(paper="ok")
    loop.until(lambda: j.printer_usable, "the refill noticed")
    assert not any(e["paper"] == "out" for e in stack.platform.device_events("device_status"))

    stack.platform.set_faults()
    runtime.heartbeat_interval = 0.3  # the platform's return is noticed by the next beat
    loop.until(
        lambda: runtime.outbox.counts().pending.get(Kind.EVENT.value, 0) == 0,
        "the outbox emptied",
        timeout=30,
    )
    papers = [e["paper"] for e in stack.platform.device_events("device_status")]
    printer_papers = [p for p in papers if p != "unknown"]
    assert printer_papers[-3:] == ["low", "out", "full"], papers
