"""The background worker that delivers the outbox's ratings and complaints to the platform.

Batches, exponential backoff with full jitter while the platform is away, and a poke to send at
once after a new rating. Nothing leaves the outbox until the platform has it or has refused it
for good:

- a rating the platform refuses in its answer (a 4xx about that record) goes to the dead
  letters with the platform's reason, for a technician to see (`kiosk outbox status`);
- a whole batch refused for its content (400, 409, 413, 422) is split in halves and sent again
  until the refusal is pinned on single records, and those are dead-lettered only when the
  platform takes other batches meanwhile (or an empty one): a gateway that answers 400 to
  everything keeps everything queued. A 413 also makes later batches smaller;
- everything else keeps the records queued and waits: no connection, timeouts, 5xx, a reply
  that does not parse, and the 4xx answers that are about the device or the moment rather than
  the record (401 signature or clock, 403, 404/405 wrong address, 408, 429 and the like). A
  Retry-After (429, 503) is honoured: the next round is no sooner, though never later than
  ``max_backoff``.

Complaints (投诉与建议) go one by one after the ratings of each round, by the same rules: a
refusal of its content sends one to the dead letters, anything else keeps it waiting with the
same backoff. Each is stored sealed (kiosk.sealing); it is opened in memory just before it is
sent and deleted once the platform has it.

Record ids make every retry harmless: the platform answers an id it already has as a duplicate.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable

from kiosk.platform import (
    MAX_RATINGS_PER_BATCH,
    ErrorKind,
    PlatformClient,
    PlatformError,
    RatingsReply,
)
from kiosk.sealing import Sealer, Unsealable
from offline.outbox import Entry, Kind, Outbox, OutboxError

log = logging.getLogger("offline.sync")

# Whole-batch answers that refuse the content: one of the records is at fault, so split.
SPLIT_STATUSES = frozenset({400, 409, 413, 422})
_UNREACHABLE = (ErrorKind.UNREACHABLE, ErrorKind.TIMEOUT)
_NEVER = threading.Event()  # a stop signal for rounds run by a caller, not by the thread


def backoff_ceiling(failures: int, base: float, cap: float) -> float:
    """The upper bound of the wait after ``failures`` failures in a row (1, 2, …)."""
    return min(cap, base * 2 ** min(max(failures, 1) - 1, 40))


def should_split(exc: PlatformError) -> bool:
    """True when a whole-batch refusal is about what the batch holds (not the device, the
    address, the moment or the network)."""
    return exc.status in SPLIT_STATUSES


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
        rng: random.Random | None = None,
        sealer: Sealer | None = None,
    ) -> None:
        self.outbox = outbox
        self.platform = platform
        self.batch_size = max(1, min(batch_size, MAX_RATINGS_PER_BATCH))
        self.idle_interval = idle_interval
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.on_health = on_health
        self.rng = rng or random.Random()
        self.sealer = sealer  # opens complaints; without one they wait for a worker that has it
        self.delivered_total = 0
        self.dead_total = 0
        self.failures = 0  # delivery failures in a row
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._force = False
        self._round = threading.Lock()  # one delivery round at a time (thread, drain, tests)
        self._held: set[str] = set()
        self._thread: threading.Thread | None = None

    # ---- life ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="outbox-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def poke(self, force: bool = False) -> None:
        """Something new is queued: try now rather than at the next interval. ``force``: the
        platform is back, so send what waits in backoff too."""
        if force:
            self._force = True
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before reading the flag: a poke from now on is not lost
            force, self._force = self._force, False
            try:
                wait = self._rounds(force, self._stop)
            except Exception:  # the worker must outlive any surprise
                log.exception("outbox sync: unexpected error")
                wait = self.idle_interval
            self._wake.wait(wait)

    # ---- one round ----------------------------------------------------------------------------

    def backoff(self) -> float:
        """Full jitter (anywhere from 0 to the exponential ceiling), so a hall of kiosks coming
        back from the same outage does not knock on the platform's door in step."""
        ceiling = backoff_ceiling(self.failures, self.base_backoff, self.max_backoff)
        return self.rng.uniform(0.0, ceiling)

    def run_once(self, *, force: bool = False) -> float:
        """Deliver what is due (``force``: everything queued); returns how long to wait before
        the next round. Works whether or not the thread runs (tests, shutdown)."""
        return self._rounds(force, _NEVER)

    def _rounds(self, force: bool, stop: threading.Event) -> float:
        with self._round:
            failures = self.failures
            wait = self._rating_rounds(force, stop)
            if stop.is_set() or self.failures > failures:
                return wait  # the platform is away or said when to come back: not now
            try:
                waited = self._complaints(force)
            except OutboxError as exc:
                log.error("outbox sync: %s", exc)
                return self.idle_interval
            return wait if waited is None else waited  # the platform's word on complaints

    def _complaints(self, force: bool) -> float | None:
        """Deliver the complaints that are due, oldest first, one call each. None when all
        went (or none was due); else the wait before the next try."""
        if self.sealer is None:
            return None
        due = self.outbox.due(Kind.COMPLAINT, self.batch_size, math.inf if force else None)
        for n, entry in enumerate(due):
            try:
                self.platform.send_complaint(self.sealer.open(entry.id, entry.payload))
            except (Unsealable, TypeError, ValueError) as exc:  # never sendable as it is
                self._dead_complaint(entry.id, f"cannot be sent: {exc}")
                continue
            except PlatformError as exc:
                if should_split(exc):  # refused for what it holds
                    self._dead_complaint(entry.id, exc.detail)
                    continue
                return self._wait([e.id for e in due[n:]], exc)
            self.outbox.delivered([entry.id])  # the platform has it: gone from the disk
            self.delivered_total += 1
            if self.failures:
                self.failures = 0
                self._health(True, "")
        return None

    def _dead_complaint(self, complaint_id: str, reason: str) -> None:
        self.outbox.dead_letter({complaint_id: reason})  # still sealed there
        self.dead_total += 1
        log.warning("outbox sync: complaint %s refused (%s)", complaint_id, reason)

    def _rating_rounds(self, force: bool, stop: threading.Event) -> float:
        self._held = set()  # answered "not now": they wait for the next round
        while not stop.is_set():
            now = math.inf if force else None
            try:
                batch = self.outbox.due(Kind.RATING, self.batch_size + len(self._held), now)
                batch = [e for e in batch if e.id not in self._held][: self.batch_size]
                if not batch:
                    return self.idle_interval
                was_failing = self.failures > 0
                wait = self._deliver(batch)
            except OutboxError as exc:
                log.error("outbox sync: %s", exc)
                return self.idle_interval
            if wait is not None:
                return wait
            if was_failing:  # the platform is back: what waits in backoff may go now
                force = True
            elif len(batch) < self.batch_size:
                return self.idle_interval
        return 0.0

    def _deliver(self, batch: list[Entry]) -> float | None:
        """Send one batch, splitting it where its content is refused. None: all settled; else
        the platform is away (or says wait) and the rest was rescheduled after this delay."""
        parts = [batch]
        suspects: dict[str, PlatformError] = {}  # refused even alone
        answered = False  # the platform took some batch of this round
        while parts:
            part = parts.pop()
            try:
                reply = self.platform.send_ratings([e.payload for e in part])
            except (TypeError, ValueError) as exc:  # a record the client cannot even send
                if len(part) > 1:
                    mid = len(part) // 2
                    parts += [part[mid:], part[:mid]]
                    continue
                reason = f"cannot be sent: {type(exc).__name__}"
                self.outbox.dead_letter({part[0].id: reason})
                self.dead_total += 1
                log.error("outbox sync: rating %s %s", part[0].id, reason)
                continue
            except PlatformError as exc:
                if not should_split(exc):
                    held = [e.id for p in (*parts, part) for e in p] + list(suspects)
                    return self._wait(held, exc)
                if len(part) == 1:
                    suspects[part[0].id] = exc
                    continue
                if exc.status == 413:
                    self.batch_size = max(1, min(self.batch_size, len(part)) // 2)
                    log.warning(
                        "outbox sync: batch too large for the platform; %d from now on",
                        self.batch_size,
                    )
                mid = len(part) // 2
                parts += [part[mid:], part[:mid]]  # the older half goes first
                continue
            answered = True
            self._settle(part, reply)
        if suspects:
            wait = self._judge(suspects, answered)
            if wait is not None:
                return wait
        if self.failures:
            self.failures = 0
            self._health(True, "")
        return None

    def _judge(self, suspects: dict[str, PlatformError], answered: bool) -> float | None:
        """Records refused even when sent alone are at fault only if the platform takes other
        batches: a gateway that answers 400 to everything must not empty the outbox into the
        dead letters. An empty batch (valid by the contract) asks when nothing else did."""
        if not answered:
            try:
                self.platform.send_ratings([])
            except PlatformError as exc:
                return self._wait(list(suspects), exc)
        self.outbox.dead_letter({i: exc.detail for i, exc in suspects.items()})
        self.dead_total += len(suspects)
        for rating_id, exc in suspects.items():
            log.warning("outbox sync: rating %s refused (%s)", rating_id, exc.code or exc.status)
        return None

    def _wait(self, ids: list[str], exc: PlatformError) -> float:
        self.failures += 1
        delay = self.backoff()
        if exc.retry_after is not None:  # the platform said when (429/503): not before that
            delay = min(self.max_backoff, max(delay, exc.retry_after))
        self.outbox.retry_later(ids, str(exc), delay)
        if exc.kind in _UNREACHABLE:
            self._health(False, exc.detail)
        level = logging.ERROR if exc.kind is ErrorKind.UNAUTHORISED else logging.INFO
        log.log(level, "outbox sync: %d waiting, retry in %.1f s (%s)", len(ids), delay, exc)
        return delay

    def _settle(self, part: list[Entry], reply: RatingsReply) -> None:
        sent = {e.id for e in part}
        # only what was in this batch counts: a confused reply must not touch other records
        done = [i for i in dict.fromkeys((*reply.accepted, *reply.duplicates)) if i in sent]
        refused = {
            i: f"refused by the platform: {reason}"
            for i, reason in reply.rejected.items()
            if i in sent and i not in done
        }
        unanswered = sent - set(done) - set(refused)
        delay = self.backoff() if unanswered else 0.0
        self.outbox.settle(
            delivered=done,
            dead=refused,
            retry=unanswered,
            error="not acknowledged by the platform",
            delay=delay,
        )
        self._held |= unanswered
        self.delivered_total += len(done)
        self.dead_total += len(refused)
        if refused:
            log.warning("outbox sync: %d ratings refused by the platform", len(refused))
        if unanswered:  # the platform skipped some: try them again later, never drop them
            log.warning("outbox sync: %d ratings not acknowledged", len(unanswered))

    def _health(self, reachable: bool, detail: str) -> None:
        if self.on_health is not None:
            try:
                self.on_health(reachable, detail)
            except Exception:
                log.exception("outbox sync: health listener failed")

    # ---- for shutdown and tests ---------------------------------------------------------------

    def drain(self, timeout: float = 10.0) -> bool:
        """Deliver everything now, backoff or not; True when no rating or complaint (one this
        worker can open) is left waiting."""
        deadline = time.monotonic() + timeout
        while True:
            wait = self.run_once(force=True)
            try:
                pending = self.outbox.counts().pending
                kinds = (Kind.RATING, Kind.COMPLAINT) if self.sealer else (Kind.RATING,)
                if not any(pending.get(kind.value) for kind in kinds):
                    return True
            except OutboxError as exc:
                log.error("outbox sync: %s", exc)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(max(wait, 0.01), 0.2, remaining))
