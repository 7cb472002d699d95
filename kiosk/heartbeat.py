"""The heartbeat: the kiosk's status and counters to the platform, with the device events queued.

A beat carries what the platform's operators watch (each device's state, paper and cover, the
outbox's depth and oldest record, the counters of kiosk/tally.py, the version and uptime) and
every device event waiting in the outbox (staff alerts and calls, each device's change of
status). The runtime beats on a schedule and at once when a device changes; a beat that is not
accepted leaves the events in the outbox, so what happened while the platform was away arrives,
in order, when it is back (at least once: each event's id makes a repeat harmless). A beat is
also how the kiosk notices that the platform answers again, and how it hears that hall staff
acknowledged a staff call (the reply names the calls).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from kiosk.devices import DeviceStatus
from kiosk.events import StaffCallAcknowledged
from kiosk.platform import ErrorKind, PlatformClient, PlatformError
from kiosk.storage import Kind, OutboxError, OutboxStore
from kiosk.tally import Tally
from kiosk.version import version

log = logging.getLogger("kiosk.heartbeat")

MAX_EVENTS = 100  # per beat: a long outage's events go over several beats
AWAY_BEAT = 5.0  # s between beats while the platform is away: its return is noticed soon
# s between beats while a staff call waits: its acknowledgement rides on a beat's reply
STAFF_CALL_BEAT = 3.0


def device_name(status: DeviceStatus) -> str:
    """How a device is named to the platform and in the metrics: its kind, and which one when
    the kiosk has more than one of that kind (``card_reader:pcsc``)."""
    return f"{status.kind.value}:{status.source}" if status.source else status.kind.value


def device_summary(status: DeviceStatus) -> dict:
    return {
        "state": status.state.value,
        "paper": status.paper.value,
        "cover_open": status.cover_open,
    }


class Heartbeat:
    """One beat at a time, on the runtime's heartbeat thread."""

    def __init__(
        self,
        *,
        platform: PlatformClient,
        outbox: OutboxStore,
        tally: Tally,
        devices: Callable[[], Iterable[DeviceStatus]],
        answered: Callable[[bool, str], None],
        wall_clock: Callable[[], float],
        started_at: float,
        post: Callable[[object], None] = lambda _event: None,
    ) -> None:
        self.platform = platform
        self.outbox = outbox
        self.tally = tally
        self.devices = devices  # the journey's table, read as a copy
        self.answered = answered  # (reachable, detail): how the platform answered this beat
        self.wall_clock = wall_clock
        self.started_at = started_at
        self.post = post  # events for the journey (thread-safe): staff calls acknowledged
        self._trouble = ""  # the last failure logged (kind and code)

    def status(self, events: list) -> dict:
        oldest = None
        try:
            counts = self.outbox.counts()
            pending, oldest = counts.pending, counts.oldest_pending_age
        except OutboxError as exc:  # a broken disk must not end the heartbeat
            log.error("heartbeat: %s", exc)
            pending = {}
        status = {
            "app": version(),
            "uptime_s": round(self.wall_clock() - self.started_at),
            "devices": {device_name(s): device_summary(s) for s in self.devices()},
            "outbox": pending,
            "outbox_oldest_s": None if oldest is None else round(oldest),
            "counters": self.tally.snapshot(),
            "events": [{"id": e.id, **e.payload} for e in events],
        }
        if self.outbox.problem:  # the platform's operators see a full disk before anyone else
            status["outbox_problem"] = self.outbox.problem
        return status

    def once(self) -> bool:
        """Send one beat; True when the platform accepted it."""
        try:
            events = self.outbox.due(Kind.EVENT, MAX_EVENTS)
        except OutboxError as exc:
            log.error("heartbeat: %s", exc)
            events = []
        try:
            calls = self.platform.heartbeat(self.status(events))
        except PlatformError as exc:
            trouble = f"{exc.kind} {exc.code}"
            if trouble != self._trouble:  # once per change, not every beat
                self._trouble = trouble
                log.warning("heartbeat refused or lost: %s", exc.detail)
            away = exc.kind in (ErrorKind.UNREACHABLE, ErrorKind.TIMEOUT, ErrorKind.SERVER)
            self.answered(not away, exc.detail)
            return False
        try:
            self.outbox.delivered(e.id for e in events)
        except OutboxError as exc:  # sent again with the next heartbeat: harmless
            log.error("heartbeat: %s", exc)
        if self._trouble:
            self._trouble = ""
            log.info("heartbeat: the platform answers again")
        self.answered(True, "")
        for call_id in calls:  # the journey keeps only the call it shows
            self.post(StaffCallAcknowledged(call_id))
        return True

    def run(
        self,
        stop: threading.Event,
        beat_now: threading.Event,
        *,
        interval: Callable[[], float],
        staff_waiting: Callable[[], bool],
    ) -> None:
        """Beat until ``stop``: every ``interval()``, at once when ``beat_now`` is set, more
        often while the platform is away or a staff call waits. How the kiosk notices the
        platform is back: it must outlive any surprise in a beat."""
        while not stop.is_set():
            beat_now.clear()  # a change from now on is in the next beat
            wait = interval()
            if staff_waiting():
                wait = min(STAFF_CALL_BEAT, wait)
            try:
                if not self.once():
                    wait = min(AWAY_BEAT, wait)
            except Exception:
                log.exception("heartbeat failed")
            beat_now.wait(wait)
