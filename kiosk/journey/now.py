"""The moment an event is handled: the only source of time and fresh ids the journey has.

The runtime makes one ``Now`` per event (the monotonic clock for timeouts, the wall clock for
dates on records, and random bits for ids); the journey reads no clock and draws no random
number of its own, so a recorded log of (event, now) replays to the same states and effects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Now:
    monotonic: float  # seconds, for deadlines: never jumps with the wall clock
    wall: dt.datetime  # aware local time, for what goes on records (a rating's time)
    seed: int = 0  # 128 random bits; ids made in this moment derive from it

    @classmethod
    def read(cls, monotonic: float | None = None, wall: float | None = None) -> Now:
        """The real moment (the runtime's, never the journey's); ``wall`` in seconds since
        the epoch, from the runtime's wall clock."""
        return cls(
            time.monotonic() if monotonic is None else monotonic,
            dt.datetime.fromtimestamp(time.time() if wall is None else wall).astimezone(),
            secrets.randbits(128),
        )

    @property
    def today(self) -> dt.date:
        return self.wall.date()

    def id(self, purpose: str) -> str:
        """A fresh id for ``purpose`` ("request", "job", "rating"): a UUID, distinct per
        purpose and per moment, the same whenever the moment is replayed."""
        digest = hashlib.sha256(f"{self.seed:032x}:{purpose}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))
