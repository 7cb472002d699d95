"""What the core keeps on the kiosk's disk, as the core sees it.

The runtime stores ratings and device events in an outbox and keeps the published list and its
guides for offline reading; offline/ implements these on SQLite and delivers the outbox in the
background. The core names only the interfaces and the values that cross them, so it depends
on no storage module; the composition root (main.py) hands it the real ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, Protocol

from kiosk.models import Catalogue, Guide


class Kind(StrEnum):
    """What an outbox record is: a 好差评 rating (delivered in batches), a device event
    (delivered with the heartbeat) or a 投诉与建议 complaint (delivered one by one, its payload
    sealed: kiosk.sealing)."""

    RATING = "rating"
    EVENT = "event"
    COMPLAINT = "complaint"


class OutboxError(Exception):
    """The outbox could not store or read; the message is fit for a technician."""


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    kind: Kind
    payload: dict
    created_at: float
    attempts: int


@dataclass(frozen=True, slots=True)
class Counts:
    pending: dict[str, int]  # kind -> records waiting
    dead: int
    oldest_pending_age: float | None  # seconds
    dropped_events: int = 0


class OutboxStore(Protocol):
    """Durable before it returns: a record enqueued survives a kill or a power cut."""

    problem: str  # the last failure ("" while all is well), for the platform's operators

    def enqueue(self, kind: Kind, record_id: str, payload: Mapping) -> bool: ...

    def due(self, kind: Kind, limit: int, now: float | None = None) -> list[Entry]: ...

    def delivered(self, ids: Iterable[str]) -> int: ...

    def counts(self, now: float | None = None) -> Counts: ...

    def close(self) -> None: ...


class CachedCatalogue(NamedTuple):
    catalogue: Catalogue  # its ``etag`` is the cached ETag
    etag: str
    fetched_at: float  # wall-clock seconds of the last fetch that returned or confirmed it

    def age(self, now: float | None = None) -> float:
        return max(0.0, (time.time() if now is None else now) - self.fetched_at)


class CachedGuide(NamedTuple):
    guide: Guide  # the public guide: ``guide.item.available`` is True, no reason
    fetched_at: float

    def age(self, now: float | None = None) -> float:
        return max(0.0, (time.time() if now is None else now) - self.fetched_at)


class CatalogueStore(Protocol):
    """The published list and every published guide, kept for reading offline."""

    def load(self) -> CachedCatalogue | None: ...

    def save(
        self, catalogue: Catalogue, etag: str | None = None, fetched_at: float | None = None
    ) -> bool: ...

    def touch(self, fetched_at: float | None = None) -> bool: ...

    def cached_guide(self, item_code: str) -> CachedGuide | None: ...

    def save_guide(self, item_code: str, guide: Guide, fetched_at: float | None = None) -> bool: ...

    def guide_codes(self) -> set[str]: ...

    def close(self) -> None: ...


class Delivery(Protocol):
    """Delivers the outbox's ratings in the background (offline.sync.SyncWorker)."""

    def start(self) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...

    def poke(self, force: bool = False) -> None: ...


# the runtime makes its delivery worker with its own health callback: (reachable, detail)
MakeDelivery = Callable[[Callable[[bool, str], None]], Delivery]
