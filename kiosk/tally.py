"""What the kiosk has done since it started, counted: for the heartbeat and the metrics endpoint.

One plain table of counters, fed by the runtime where things happen (a session begun or ended,
a job on paper or not, the paper's state changing, an operation failing), read by the heartbeat
(a copy in every beat) and by kiosk/metrics.py (Prometheus counters at each scrape). Every key
is one of a fixed set of words: a reason, an outcome, an operation, a paper state; never
anything a citizen typed or carried, so no label can hold personal data.
"""

from __future__ import annotations

import threading
from collections import Counter

# the families, and the label each one's keys go under in Prometheus
JOURNEYS_STARTED = "journeys_started"  # no label: a session began (card, code, enterprise)
JOURNEYS_ENDED = "journeys_ended"  # outcome: done, exit, timeout, card_removed, refused, error
PRINTS = "prints"  # outcome: ok, failed
PAPER_EVENTS = "paper_events"  # paper: what the printer's paper became (low, out, jammed, full)
ERRORS = "errors"  # operation: kiosk.events.Operation
HANDLER_FAILURES = "handler_failures"  # no label: code behind a screen raised (a bug each)

FAMILIES = (JOURNEYS_STARTED, JOURNEYS_ENDED, PRINTS, PAPER_EVENTS, ERRORS, HANDLER_FAILURES)


class Tally:
    """Thread-safe counters by family and key (worker threads and the UI thread count)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, Counter[str]] = {family: Counter() for family in FAMILIES}

    def count(self, family: str, key: str = "") -> None:
        with self._lock:
            self._counts[family][key] += 1  # an unknown family is a bug: KeyError

    def snapshot(self) -> dict[str, dict[str, int]]:
        """A copy: {family: {key: count}}; the keyless family under ""."""
        with self._lock:
            return {family: dict(counts) for family, counts in self._counts.items()}
