"""The outbox: ratings and device events on disk before anything is promised to anyone.

SQLite in WAL mode with synchronous=FULL, so a record that ``enqueue`` returned for survives a
crash, a kill or a power cut. Every record carries a client-made id; the platform stores by that
id, so sending a record twice is harmless and the sync worker may retry freely.

A disk that fills up, a file system remounted read-only or a damaged file must not stop the
kiosk: every failure comes out as one ``OutboxError`` whose message tells a technician what to
do, and the next call tries again (reopening the file if need be), so the outbox recovers by
itself once the disk is fixed.

What goes in here must be free of personal data: ratings carry the platform's opaque rater
reference, never an ID number or a name.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from kiosk.storage import Counts, Entry, Kind, OutboxError

log = logging.getLogger("offline.outbox")

T = TypeVar("T")

SCHEMA_VERSION = 2
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
CREATE INDEX IF NOT EXISTS outbox_age ON outbox (kind, created_at);
CREATE TABLE IF NOT EXISTS dead_letters (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    failed_at REAL NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

# A retry is never scheduled further ahead than this. It also guards against the clock: a record
# whose next attempt lies further ahead than this was scheduled before the clock went back, and
# is due now rather than days from now.
MAX_DELAY = 3600.0
MAX_ID_LEN = 64
MAX_REASON_LEN = 500
DEFAULT_MAX_EVENTS = 10_000
JOURNAL_SIZE_LIMIT = 8 * 1024 * 1024
_DROPPED = "dropped_events"
_V1_DROPPED_ROW = "dropped-events"  # schema 1 counted drops in a pseudo dead letter


__all__ = ["Counts", "Entry", "Kind", "Outbox", "OutboxError"]  # the first four: kiosk.storage

_INSERT = (
    "INSERT OR IGNORE INTO outbox (id, kind, payload, created_at, next_attempt_at)"
    " VALUES (?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record the platform refused for good. No payload here: the status tool shows reasons."""

    id: str
    kind: str
    created_at: float
    failed_at: float
    reason: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Status:
    """Everything `kiosk outbox status` shows, read in one transaction."""

    pending: dict[str, int]
    oldest_pending_age: dict[str, float]  # kind -> seconds
    retrying: dict[str, int]  # last error -> records that failed with it and wait
    dead_letters: tuple[DeadLetter, ...]
    dead_total: int
    dropped_events: int


class Outbox:
    """One SQLite file, one connection, one lock: calls from any thread, one at a time.

    The constructor does not raise when the file cannot be opened (the kiosk must start with a
    broken disk, say so and carry on): it logs, and every call tries to open it again and raises
    ``OutboxError`` while it cannot; ``problem`` holds the last failure for a status display.
    With ``create=False`` (tools) nothing is created and a file that cannot be opened raises.
    """

    def __init__(
        self,
        path: os.PathLike | str,
        *,
        max_events: int = DEFAULT_MAX_EVENTS,
        create: bool = True,
    ) -> None:
        self.path = Path(path)
        self.max_events = max_events
        self.problem = ""  # the last failure, "" once a call succeeds again
        self._create = create
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._inode: tuple[int, int] | None = None
        with self._lock:
            try:
                self._conn()
            except OutboxError as exc:
                if not create:
                    raise
                log.error("%s", exc)

    @classmethod
    def open_existing(
        cls, path: os.PathLike | str, *, max_events: int = DEFAULT_MAX_EVENTS
    ) -> Outbox | None:
        """For technicians' tools: None when there is no outbox yet (nothing is created);
        OutboxError when there is one that cannot be opened."""
        path = Path(path)
        if not path.is_file():
            return None
        return cls(path, max_events=max_events, create=False)

    def close(self) -> None:
        with self._lock:
            self._drop_connection()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Outbox({self.path})"

    # ---- writing ------------------------------------------------------------------------------

    def enqueue(
        self, kind: Kind, record_id: str, payload: Mapping, now: float | None = None
    ) -> bool:
        """Durable when this returns (committed with a full sync). A record id already queued is
        left as it is (False). Raises OutboxError when the record could not be stored."""
        now = time.time() if now is None else now
        row = (_check_id(record_id), kind.value, _dumps(self.path, payload), now, now)

        def write(db: sqlite3.Connection) -> bool:
            added = db.execute(_INSERT, row).rowcount == 1
            if kind is Kind.EVENT and added:
                self._trim_events(db)
            return added

        return self._write("store the record", write)

    def enqueue_many(
        self, kind: Kind, records: Iterable[tuple[str, Mapping]], now: float | None = None
    ) -> int:
        """Several records in one transaction (one sync); returns how many were new."""
        now = time.time() if now is None else now
        rows = [(_check_id(rid), kind.value, _dumps(self.path, p), now, now) for rid, p in records]

        def write(db: sqlite3.Connection) -> int:
            added = db.executemany(_INSERT, rows).rowcount
            if kind is Kind.EVENT and added:
                self._trim_events(db)
            return added

        return self._write("store the record", write)

    def _trim_events(self, db: sqlite3.Connection) -> None:
        """Device events are bounded: the oldest go first, and the loss is counted."""
        (count,) = db.execute("SELECT count(*) FROM outbox WHERE kind = 'event'").fetchone()
        excess = count - self.max_events
        if excess > 0:
            db.execute(
                "DELETE FROM outbox WHERE rowid IN (SELECT rowid FROM outbox WHERE kind = 'event'"
                " ORDER BY created_at, rowid LIMIT ?)",
                (excess,),
            )
            _add_meta(db, _DROPPED, excess)
            log.warning("outbox: %d old device events dropped (limit %d)", excess, self.max_events)

    def delivered(self, ids: Iterable[str]) -> int:
        """The platform has these: gone from the outbox."""
        return self.settle(delivered=ids)

    def retry_later(
        self, ids: Iterable[str], error: str, delay: float, now: float | None = None
    ) -> int:
        return self.settle(retry=ids, error=error, delay=delay, now=now)

    def dead_letter(self, reasons: Mapping[str, str], now: float | None = None) -> int:
        """Records the platform refused for good: kept, with the reason, for technicians."""
        return self.settle(dead=reasons, now=now)

    def settle(
        self,
        *,
        delivered: Iterable[str] = (),
        dead: Mapping[str, str] | None = None,
        retry: Iterable[str] = (),
        error: str = "",
        delay: float = 0.0,
        now: float | None = None,
    ) -> int:
        """The outcome of one delivery in one transaction (one sync): delivered records go,
        refused ones move to the dead letters, the rest wait ``delay`` seconds. Returns how
        many records it touched."""
        now = time.time() if now is None else now
        gone = [(i,) for i in delivered]
        refused = [(now, reason[:MAX_REASON_LEN], i) for i, reason in (dead or {}).items()]
        later = min(max(0.0, delay), MAX_DELAY) + now
        waiting = [(later, error[:MAX_REASON_LEN], i) for i in retry]
        if not (gone or refused or waiting):
            return 0

        def write(db: sqlite3.Connection) -> int:
            touched = db.executemany("DELETE FROM outbox WHERE id = ?", gone).rowcount
            touched += db.executemany(
                "INSERT OR REPLACE INTO dead_letters"
                " (id, kind, payload, created_at, failed_at, reason, attempts)"
                " SELECT id, kind, payload, created_at, ?1, ?2, attempts + 1"
                " FROM outbox WHERE id = ?3",
                refused,
            ).rowcount
            db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for _, _, i in refused])
            touched += db.executemany(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?,"
                " last_error = ? WHERE id = ?",
                waiting,
            ).rowcount
            return touched

        return self._write("record the delivery", write)

    def retry_dead(self, ids: Iterable[str] | None = None, now: float | None = None) -> int:
        """Dead letters back into the outbox for another try (all, or the ones named)."""
        now = time.time() if now is None else now
        wanted = None if ids is None else [(i,) for i in ids]

        def write(db: sqlite3.Connection) -> int:
            where, args = ("", [()]) if wanted is None else (" WHERE id = ?", wanted)
            before = db.total_changes
            for arg in args:
                db.execute(
                    "INSERT OR IGNORE INTO outbox"
                    " (id, kind, payload, created_at, attempts, next_attempt_at, last_error)"
                    " SELECT id, kind, payload, created_at, 0, ?, 'retried from the dead letters'"
                    f" FROM dead_letters{where}",
                    (now, *arg),
                )
            moved = db.total_changes - before
            for arg in args:
                db.execute(f"DELETE FROM dead_letters{where}", arg)
            return moved

        return self._write("move dead letters back", write)

    # ---- reading ------------------------------------------------------------------------------

    def due(self, kind: Kind, limit: int, now: float | None = None) -> list[Entry]:
        """The oldest records of a kind whose time has come (``now=math.inf``: all of them)."""
        now = time.time() if now is None else now
        rows = self._read(
            lambda db: db.execute(
                "SELECT id, kind, payload, created_at, attempts FROM outbox"
                " WHERE kind = ? AND (next_attempt_at <= ? OR next_attempt_at > ?)"
                " ORDER BY created_at, rowid LIMIT ?",
                (kind.value, now, now + MAX_DELAY, limit),
            ).fetchall()
        )
        entries = []
        for r in rows:
            try:
                entries.append(Entry(r[0], Kind(r[1]), json.loads(r[2]), r[3], r[4]))
            except ValueError:  # cannot happen through enqueue; never let one row block the rest
                log.error("outbox: record %s is unreadable; moved to the dead letters", r[0])
                self.dead_letter({r[0]: "unreadable in the outbox"})
        return entries

    def counts(self, now: float | None = None) -> Counts:
        now = time.time() if now is None else now

        def read(db: sqlite3.Connection) -> Counts:
            pending = dict(db.execute("SELECT kind, count(*) FROM outbox GROUP BY kind"))
            (dead,) = db.execute("SELECT count(*) FROM dead_letters").fetchone()
            (oldest,) = db.execute("SELECT min(created_at) FROM outbox").fetchone()
            age = None if oldest is None else max(0.0, now - oldest)
            return Counts(pending, dead, age, _meta(db, _DROPPED))

        return self._read(read)

    def status(self, now: float | None = None, *, max_dead: int = 100) -> Status:
        """What a technician needs: no payloads, only counts, ages, ids and reasons."""
        now = time.time() if now is None else now

        def read(db: sqlite3.Connection) -> Status:
            db.execute("BEGIN")  # one consistent picture while the kiosk keeps writing
            try:
                rows = db.execute(
                    "SELECT kind, count(*), min(created_at) FROM outbox GROUP BY kind"
                ).fetchall()
                retrying = dict(
                    db.execute(
                        "SELECT last_error, count(*) FROM outbox WHERE last_error != ''"
                        " GROUP BY last_error ORDER BY count(*) DESC LIMIT 20"
                    )
                )
                dead = tuple(
                    DeadLetter(*r)
                    for r in db.execute(
                        "SELECT id, kind, created_at, failed_at, reason, attempts"
                        " FROM dead_letters ORDER BY failed_at DESC LIMIT ?",
                        (max_dead,),
                    )
                )
                (dead_total,) = db.execute("SELECT count(*) FROM dead_letters").fetchone()
                dropped = _meta(db, _DROPPED)
            finally:
                db.execute("COMMIT")
            return Status(
                pending={kind: n for kind, n, _ in rows},
                oldest_pending_age={kind: max(0.0, now - oldest) for kind, _, oldest in rows},
                retrying=retrying,
                dead_letters=dead,
                dead_total=dead_total,
                dropped_events=dropped,
            )

        return self._read(read)

    # ---- plumbing -----------------------------------------------------------------------------

    def _write(self, what: str, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            db = self._conn()
            try:
                db.execute("BEGIN IMMEDIATE")
                result = work(db)
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._failed(db, exc)
                raise self._error(what, exc) from exc
            self.problem = ""
            return result

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            db = self._conn()
            try:
                result = work(db)
            except sqlite3.Error as exc:
                self._failed(db, exc)
                raise self._error("read", exc) from exc
            return result

    def _conn(self) -> sqlite3.Connection:
        """The open connection; reopened when the file was replaced or removed underneath it
        (a connection to a deleted file would write ratings nowhere)."""
        if self._db is not None:
            try:
                st = os.stat(self.path)
                same = (st.st_dev, st.st_ino) == self._inode
            except OSError:
                same = False
            if same:
                return self._db
            log.warning("outbox %s: the file was replaced or removed; reopening it", self.path)
            self._drop_connection()
        try:
            if self._create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            mode = "rwc" if self._create else "rw"
            uri = f"file:{quote(str(self.path.absolute()))}?mode={mode}"
            db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        except OSError as exc:
            raise self._note(
                f"outbox {self.path}: cannot create its folder ({exc.strerror}); check the disk"
                " and the data_dir setting"
            ) from exc
        except sqlite3.Error as exc:
            raise self._error("open", exc) from exc
        # a damaged row must not make every read fail: undecodable bytes stay escaped, and
        # the record is set aside when it cannot be sent (offline.sync)
        db.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
        try:
            db.execute("PRAGMA busy_timeout=5000")
            (mode,) = db.execute("PRAGMA journal_mode=WAL").fetchone()
            if mode != "wal":
                raise sqlite3.OperationalError(f"cannot use WAL (journal mode stays {mode})")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
            _migrate(db)
            st = os.stat(self.path)
        except (sqlite3.Error, OSError) as exc:
            with contextlib.suppress(sqlite3.Error):
                db.close()
            if isinstance(exc, OSError):
                raise self._note(f"outbox {self.path}: vanished while opening it") from exc
            raise self._error("open", exc) from exc
        self._db, self._inode = db, (st.st_dev, st.st_ino)
        return db

    def _failed(self, db: sqlite3.Connection, exc: sqlite3.Error) -> None:
        with contextlib.suppress(sqlite3.Error):
            if db.in_transaction:
                db.execute("ROLLBACK")
        # a full disk or a busy file heal by themselves; anything else: start afresh next time
        if _primary(exc) not in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            self._drop_connection()

    def _drop_connection(self) -> None:
        db, self._db, self._inode = self._db, None, None
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.close()

    def _note(self, message: str) -> OutboxError:
        self.problem = message
        return OutboxError(message)

    def _error(self, what: str, exc: sqlite3.Error) -> OutboxError:
        return self._note(explain(self.path, what, exc))


def explain(path: Path, what: str, exc: sqlite3.Error) -> str:
    """A technician's sentence for an SQLite failure: what happened and what to do."""
    code = _primary(exc)
    advice = {
        sqlite3.SQLITE_FULL: "the disk is full: free space on the data partition",
        sqlite3.SQLITE_READONLY: "the file is read-only: check the permissions of the data"
        " folder and of the file",
        sqlite3.SQLITE_CANTOPEN: "the file cannot be opened: check that the data folder exists"
        " and is writable",
        sqlite3.SQLITE_PERM: "permission denied: check the permissions of the data folder",
        sqlite3.SQLITE_IOERR: "disk I/O error: check the disk (a full or failing disk)",
        sqlite3.SQLITE_CORRUPT: "the file is damaged: move it aside (the kiosk starts a new one)"
        " and keep it for recovery",
        sqlite3.SQLITE_NOTADB: "the file is not an outbox database: move it aside",
        sqlite3.SQLITE_BUSY: "the file is locked by another program",
        sqlite3.SQLITE_LOCKED: "the file is locked by another program",
    }.get(code, "")
    if code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR) and (
        _read_only_mount(path)
    ):
        advice = "the file system holding it is mounted read-only: check the disk and remount it"
    name = getattr(exc, "sqlite_errorname", "") or type(exc).__name__
    said = f"{advice} ({name}: {exc})" if advice else f"{name}: {exc}"
    return f"outbox {path}: cannot {what}: {said}"


def _read_only_mount(path: Path) -> bool:
    for folder in (path.parent, *path.parent.parents):
        try:
            return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
        except OSError:  # not there (yet): ask its parent
            continue
    return False


def _primary(exc: sqlite3.Error) -> int:
    code = getattr(exc, "sqlite_errorcode", None)
    return -1 if code is None else code & 0xFF


def _check_id(record_id: str) -> str:
    if not isinstance(record_id, str) or not 1 <= len(record_id) <= MAX_ID_LEN:
        raise ValueError(f"a record id is 1 to {MAX_ID_LEN} characters, not {record_id!r}")
    return record_id


def _dumps(path: Path, payload: Mapping) -> str:
    try:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        text.encode("utf-8")  # a lone surrogate would fail later, in SQLite or on the wire
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise OutboxError(f"outbox {path}: a record is not plain JSON ({exc})") from None
    return text


def _meta(db: sqlite3.Connection, key: str) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return 0 if row is None else int(row[0])


def _add_meta(db: sqlite3.Connection, key: str, amount: int) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
        (key, amount),
    )


def _migrate(db: sqlite3.Connection) -> None:
    """Create the tables, or bring a file written by an older kiosk up to date."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version >= SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        # one statement at a time: executescript would commit half way
        for statement in filter(None, (s.strip() for s in SCHEMA.split(";"))):
            db.execute(statement)
        columns = {r[1] for r in db.execute("PRAGMA table_info(dead_letters)")}
        if "attempts" not in columns:
            db.execute("ALTER TABLE dead_letters ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0")
        db.execute("DROP INDEX IF EXISTS outbox_due")
        row = db.execute(
            "SELECT reason FROM dead_letters WHERE id = ?", (_V1_DROPPED_ROW,)
        ).fetchone()
        if row is not None:
            with contextlib.suppress(ValueError):
                _add_meta(db, _DROPPED, int(row[0]))
            db.execute("DELETE FROM dead_letters WHERE id = ?", (_V1_DROPPED_ROW,))
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
