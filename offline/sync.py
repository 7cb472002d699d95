"""The background worker that delivers the outbox to the platform.

Batches, exponential backoff with jitter while the platform is away, and a poke to send at once
after a new rating. A record the platform refuses for good (a 4xx about that record) goes to the
dead-letter table with the reason; everything else stays queued until it is delivered.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

from kiosk.platform import ErrorKind, PlatformClient, PlatformError
from offline.outbox import Kind, Outbox, OutboxError

log = logging.getLogger("offline.sync")

PERMANENT = (ErrorKind.REJECTED, ErrorKind.NOT_FOUND)


class SyncWorker:
    def __init__(
        self,
        outbox: Outbox,
        platform: PlatformClient,
        *,
        batch_size: int = 500,
        idle_interval: float = 10.0,
        base_backoff: float = 2.0,
        max_backoff: float = 300.0,
        on_health: Callable[[bool, str], None] | None = None,
    ) -> None:
        self.outbox = outbox
        self.platform = platform
        self.batch_size = batch_size
        self.idle_interval = idle_interval
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.on_health = on_health
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0
        self.delivered_total = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def poke(self) -> None:
        """Something new is queued: try now rather than at the next interval."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self.run_once()
            except Exception:  # the worker must outlive any surprise
                log.exception("outbox sync: unexpected error")
                wait = self.idle_interval
            self._wake.wait(wait)
            self._wake.clear()

    def backoff(self) -> float:
        """Exponential backoff with full jitter, so a hall of kiosks does not stampede."""
        ceiling = min(self.max_backoff, self.base_backoff * 2 ** min(self._failures, 16))
        return random.uniform(self.base_backoff / 2, ceiling)

    def run_once(self) -> float:
        """Deliver what is due; returns how long to wait before the next round."""
        while not self._stop.is_set():
            try:
                batch = self.outbox.due(Kind.RATING, self.batch_size)
            except OutboxError as exc:
                log.error("outbox sync: %s", exc)
                return self.idle_interval
            if not batch:
                return self.idle_interval
            try:
                reply = self.platform.send_ratings([e.payload for e in batch])
            except PlatformError as exc:
                ids = [e.id for e in batch]
                if exc.kind in PERMANENT and exc.status not in (None, 401, 408, 429):
                    # the whole batch was refused: file each record with the reason
                    self.outbox.dead_letter(
                        {i: f"{exc.status} {exc.code}: {exc.detail}" for i in ids}
                    )
                    log.warning("outbox sync: batch of %d refused (%s)", len(ids), exc.code)
                    continue
                self._failures += 1
                delay = self.backoff()
                self.outbox.retry_later(ids, f"{exc.kind}: {exc.detail}", delay)
                if self.on_health is not None and exc.kind in (
                    ErrorKind.UNREACHABLE,
                    ErrorKind.TIMEOUT,
                ):
                    self.on_health(False, exc.detail)
                log.info("outbox sync: %d pending, retry in %.1f s (%s)", len(ids), delay, exc.kind)
                return delay
            self._failures = 0
            done = list(reply.accepted) + list(reply.duplicates)
            self.outbox.delivered(done)
            if reply.rejected:
                self.outbox.dead_letter(dict(reply.rejected))
                log.warning("outbox sync: %d ratings refused by the platform", len(reply.rejected))
            self.delivered_total += len(done)
            unanswered = {e.id for e in batch} - set(done) - set(reply.rejected)
            if unanswered:  # the platform skipped some: try them again later, never drop them
                self.outbox.retry_later(unanswered, "not acknowledged", self.backoff())
            if len(batch) < self.batch_size:
                return self.idle_interval
        return 0.0

    def drain(self, timeout: float = 10.0) -> bool:
        """Deliver everything now (tests, shutdown); True when nothing rating-kind is left."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.run_once()
            if not self.outbox.counts().pending.get(Kind.RATING.value):
                return True
            time.sleep(0.05)
        return False
