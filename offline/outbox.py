"""The outbox: ratings and device events on disk before anything is promised to anyone.

SQLite in WAL mode with synchronous=FULL, so a record that ``enqueue`` returned for survives a
crash or a power cut. Every record carries a client-made id; the platform stores by that id, so
sending a record twice is harmless and the sync worker may retry freely.

What goes in here must be free of personal data: ratings carry the platform's opaque rater
reference, never an ID number or a name.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (kind, next_attempt_at);
CREATE TABLE IF NOT EXISTS dead_letters (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    failed_at REAL NOT NULL,
    reason TEXT NOT NULL
);
"""


class Kind(StrEnum):
    RATING = "rating"
    EVENT = "event"


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
    pending: dict[str, int]
    dead: int
    oldest_pending_age: float | None  # seconds


class Outbox:
    def __init__(self, path: Path, *, max_events: int = 10_000) -> None:
        self.path = path
        self.max_events = max_events
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OutboxError(f"outbox {path}: cannot be opened ({exc})") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def enqueue(self, kind: Kind, record_id: str, payload: dict, now: float | None = None) -> None:
        """Durable when this returns. A record id already queued is left as it is."""
        now = time.time() if now is None else now
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "INSERT OR IGNORE INTO outbox (id, kind, payload, created_at, next_attempt_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (record_id, kind.value, body, now, now),
                )
                if kind is Kind.EVENT:
                    self._trim_events()
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise OutboxError(f"outbox {self.path}: cannot store ({exc})") from exc

    def _trim_events(self) -> None:
        """Device events are bounded: the oldest go first, and the loss is counted."""
        (count,) = self._db.execute("SELECT count(*) FROM outbox WHERE kind = 'event'").fetchone()
        excess = count - self.max_events
        if excess > 0:
            self._db.execute(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE kind = 'event'"
                " ORDER BY created_at LIMIT ?)",
                (excess,),
            )
            self._db.execute(
                "INSERT INTO dead_letters (id, kind, payload, created_at, failed_at, reason)"
                " VALUES ('dropped-events', 'event', '{}', 0, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET failed_at = excluded.failed_at,"
                " reason = CAST(CAST(reason AS INTEGER) + ? AS TEXT)",
                (time.time(), str(excess), excess),
            )

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("ROLLBACK")

    def due(self, kind: Kind, limit: int, now: float | None = None) -> list[Entry]:
        now = time.time() if now is None else now
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, payload, created_at, attempts FROM outbox"
                " WHERE kind = ? AND next_attempt_at <= ? ORDER BY created_at LIMIT ?",
                (kind.value, now, limit),
            ).fetchall()
        return [Entry(r[0], Kind(r[1]), json.loads(r[2]), r[3], r[4]) for r in rows]

    def delivered(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if not ids:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])
            self._db.execute("COMMIT")

    def retry_later(self, ids: Iterable[str], error: str, delay: float, now: float | None = None):
        now = time.time() if now is None else now
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?"
                " WHERE id = ?",
                [(now + delay, error[:500], i) for i in ids],
            )
            self._db.execute("COMMIT")

    def dead_letter(self, reasons: dict[str, str], now: float | None = None) -> None:
        """Records the platform refused for good: kept, with the reason, for technicians."""
        now = time.time() if now is None else now
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            for record_id, reason in reasons.items():
                self._db.execute(
                    "INSERT OR REPLACE INTO dead_letters (id, kind, payload, created_at,"
                    " failed_at, reason) SELECT id, kind, payload, created_at, ?, ?"
                    " FROM outbox WHERE id = ?",
                    (now, reason[:500], record_id),
                )
                self._db.execute("DELETE FROM outbox WHERE id = ?", (record_id,))
            self._db.execute("COMMIT")

    def counts(self, now: float | None = None) -> Counts:
        now = time.time() if now is None else now
        with self._lock:
            pending = dict(
                self._db.execute("SELECT kind, count(*) FROM outbox GROUP BY kind").fetchall()
            )
            (dead,) = self._db.execute(
                "SELECT count(*) FROM dead_letters WHERE id != 'dropped-events'"
            ).fetchone()
            (oldest,) = self._db.execute("SELECT min(created_at) FROM outbox").fetchone()
        return Counts(pending, dead, None if oldest is None else max(0.0, now - oldest))
