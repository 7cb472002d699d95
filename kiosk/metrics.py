"""The fleet's view of one kiosk: a Prometheus endpoint (prometheus-client), off by default.

Nothing here counts on its own: at each scrape the collector reads what the runtime already
keeps (the journey's device table, kiosk/tally.py's counters, the outbox's counts), so the
endpoint, the heartbeat and the technician see the same numbers. Only the platform's latency is
observed here, from the client's hook (kiosk/platform.py ``observe``).

Every label value is one of a fixed set of words (a device's kind and name, a state, a paper
level, an outcome, an operation): never an id, a name, a code or a path. The alert rules in
deploy/alerts.yml use these names; tests/integration/test_metrics.py keeps them in step.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Histogram, ProcessCollector, start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
)
from prometheus_client.registry import Collector

from kiosk import tally
from kiosk.devices import DeviceKind, DeviceState, Paper
from kiosk.events import Operation
from kiosk.heartbeat import device_name
from kiosk.journey import State
from kiosk.storage import Kind, OutboxError
from kiosk.version import version

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from kiosk.config import Config
    from kiosk.runtime import Runtime

log = logging.getLogger("kiosk.metrics")

# a platform call takes from a few ms (loopback) to the read timeout (10 s by default)
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class KioskCollector(Collector):
    """Reads the runtime at each scrape (the HTTP server's thread)."""

    def __init__(self, runtime: Runtime, device_id: str) -> None:
        self.runtime = runtime
        self.device_id = device_id

    def collect(self):
        rt = self.runtime
        info = InfoMetricFamily("kiosk", "the kiosk's software and identity")
        info.add_metric([], {"version": version(), "device_id": self.device_id})
        yield info
        yield GaugeMetricFamily(
            "kiosk_start_time_seconds", "when the kiosk started (Unix time)", value=rt.started_at
        )
        journey = rt.journey
        yield GaugeMetricFamily(
            "kiosk_out_of_service",
            "1 while the kiosk shows the out-of-service screen (a required device is down)",
            value=float(journey.state is State.OUT_OF_SERVICE),
        )
        yield GaugeMetricFamily(
            "kiosk_platform_reachable",
            "1 while the platform answers, 0 while the kiosk sends citizens to the window",
            value=float(journey.platform_reachable),
        )
        yield from self._devices()
        yield from self._counters(rt.tally.snapshot())
        yield from self._outbox()

    def _devices(self):
        state = GaugeMetricFamily(
            "kiosk_device_state",
            "1 for the state each device is in, 0 for the others",
            labels=["device", "kind", "state"],
        )
        paper = GaugeMetricFamily(
            "kiosk_printer_paper",
            "1 for the printer's paper level, 0 for the others",
            labels=["device", "paper"],
        )
        cover = GaugeMetricFamily(
            "kiosk_printer_cover_open", "1 while the printer's cover is open", labels=["device"]
        )
        # a copy: the UI thread changes the table (dict() of a dict is one step)
        for status in dict(self.runtime.journey.devices).values():
            name = device_name(status)
            for s in DeviceState:
                state.add_metric([name, status.kind.value, s.value], float(status.state is s))
            if status.kind is DeviceKind.PRINTER:
                for p in Paper:
                    paper.add_metric([name, p.value], float(status.paper is p))
                cover.add_metric([name], float(status.cover_open))
        yield from (state, paper, cover)

    def _counters(self, counts: dict[str, dict[str, int]]):
        def family(key: str, label: str | None, help: str, known=()) -> CounterMetricFamily:
            metric = CounterMetricFamily(f"kiosk_{key}", help, labels=[label] if label else [])
            values = dict.fromkeys(known, 0) | counts[key]
            for k, v in sorted(values.items()):
                metric.add_metric([k] if label else [], v)
            return metric

        yield family(tally.JOURNEYS_STARTED, None, "sessions begun (a card, a code, an enterprise)")
        yield family(
            tally.JOURNEYS_ENDED, "outcome", "sessions ended, by how (done, exit, timeout, …)"
        )
        yield family(tally.PRINTS, "outcome", "print jobs, whole on paper or not", ("ok", "failed"))
        yield family(
            tally.PAPER_EVENTS,
            "paper",
            "times the printer's paper became this level (out, low, jammed; full: refilled)",
            (Paper.LOW.value, Paper.OUT.value, Paper.JAMMED.value, Paper.FULL.value),
        )
        yield family(
            tally.ERRORS, "operation", "operations that failed", tuple(o.value for o in Operation)
        )
        yield family(tally.HANDLER_FAILURES, None, "exceptions behind a screen (a bug each)")

    def _outbox(self):
        try:
            counts = self.runtime.outbox.counts()
        except OutboxError as exc:
            log.warning("metrics: outbox unreadable: %s", exc)
            return
        pending = GaugeMetricFamily(
            "kiosk_outbox_pending", "records waiting to be delivered", labels=["kind"]
        )
        for kind in Kind:
            pending.add_metric([kind.value], counts.pending.get(kind.value, 0))
        yield pending
        yield GaugeMetricFamily(
            "kiosk_outbox_oldest_age_seconds",
            "age of the oldest record waiting (0 when none waits)",
            value=counts.oldest_pending_age or 0.0,
        )
        yield GaugeMetricFamily(
            "kiosk_outbox_dead_letters", "records the platform refused for good", value=counts.dead
        )
        yield CounterMetricFamily(
            "kiosk_outbox_events_dropped",
            "device events dropped, oldest first, to keep the outbox bounded (kept on disk)",
            value=counts.dropped_events,
        )


class Metrics:
    """The registry of one kiosk: the collector over its runtime and the latency histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram(
            "kiosk_platform_request_duration_seconds",
            "each HTTP attempt to the platform, by operation and outcome (ok or error)",
            ["operation", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # the process's memory, open files and CPU (process_*): a leak shows over weeks
        ProcessCollector(registry=self.registry)
        self.address: tuple[str, int] | None = None  # where it listens, once serving
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def platform_call(self, operation: str, outcome: str, seconds: float) -> None:
        """kiosk.platform.PlatformClient's ``observe`` hook (any worker thread)."""
        self.latency.labels(operation, outcome).observe(seconds)

    def watch(self, runtime: Runtime, device_id: str) -> None:
        self.registry.register(KioskCollector(runtime, device_id))

    def serve(self, host: str, port: int) -> tuple[str, int]:
        """Start the endpoint on its own thread; returns the address it listens on."""
        self._server, self._thread = start_http_server(port, host, self.registry)
        self.address = (host, self._server.server_address[1])
        log.info("metrics on http://%s:%d/metrics", *self.address)
        return self.address

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=2)


def attach(runtime: Runtime, config: Config, metrics: Metrics) -> None:
    """Serve the runtime's metrics when the configuration asks for them (wiring.py)."""
    metrics.watch(runtime, config.device_id)
    try:
        metrics.serve(config.metrics.host, config.metrics.port)
    except OSError as exc:  # citizens are served without it; the fleet sees the kiosk as down
        log.error("metrics endpoint not started on %s: %s", config.metrics.host, exc)
        return
    runtime.close_with(metrics.close)
