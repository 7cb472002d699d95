"""The published list (公布清单) and the item guides on disk, for reading without a network.

What is kept is public: the catalogue as the platform publishes it, with its ETag and the time it
was fetched, and each item's guide in its public form. A guide fetched with a citizen's ticket
says whether *that citizen* may use the item (``available`` / ``unavailable_reason``); that part
is personal and is never written here, so a guide read back from the cache is the public one.

One SQLite file: every save is one transaction (atomic: a reader sees the old list or the new
one, never half of each) and survives a kill. A cache must never stop the kiosk, so nothing here
raises: a failure is logged and reads as "nothing cached" (None) or "not saved" (False).

The platform client hands out model objects, not raw JSON; the serialisers below turn them back
into the contract's JSON (docs/platform-api.yaml), and every read goes through the models' own
checked ``from_json``, so the cache can never hand the journey something the client would not.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from kiosk.models import Catalogue, Guide, Item, Material, Window
from kiosk.storage import CachedCatalogue, CachedGuide
from kiosk.validate import InvalidData, Reader

log = logging.getLogger("offline.catalogue")

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS catalogue (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL,
    etag TEXT NOT NULL,
    version TEXT NOT NULL,
    fetched_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS guides (
    item_code TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    fetched_at REAL NOT NULL
);
"""


# ---- the contract's JSON, from the models ---------------------------------------------------


def item_json(item: Item) -> dict[str, Any]:
    """An item as the public catalogue publishes it (no per-citizen availability)."""
    return {
        "item_code": item.item_code,
        "name": item.name,
        "department": item.department,
        "category": item.category,
        "subject": item.subject.value,
        "case_kind": item.case_kind.value,
        "promised_days": item.promised_days,
        "visits": item.visits,
        "prints": item.prints,
        # English only where the platform gave it (optional fields: absent otherwise)
        **({"name_en": item.name_en} if item.name_en else {}),
        **({"department_en": item.department_en} if item.department_en else {}),
    }


def material_json(material: Material) -> dict[str, Any]:
    return {
        "name": material.name,
        "source": material.source.value,
        "required": material.required,
        "note": material.note,
        **({"name_en": material.name_en} if material.name_en else {}),
    }


def guide_json(guide: Guide) -> dict[str, Any]:
    """A guide in its public form: whatever was said about one citizen is left out."""
    return {
        "item": item_json(guide.item),
        "conditions": guide.conditions,
        "process": guide.process,
        "fee": guide.fee,
        "legal_basis": guide.legal_basis,
        "phone": guide.phone,
        "materials": [material_json(m) for m in guide.materials],
        "pledge_text": guide.pledge_text,
        "guide_url": guide.guide_url,
        **({"summary_en": guide.summary_en} if guide.summary_en else {}),
        **({"window": window_json(guide.window)} if guide.window is not None else {}),
    }


def window_json(window: Window) -> dict[str, Any]:
    return {
        "window": window.window,
        "name": window.name,
        "location": window.location,
        "hours": window.hours,
    }


def catalogue_json(catalogue: Catalogue) -> dict[str, Any]:
    return {"version": catalogue.version, "items": [item_json(i) for i in catalogue.items]}


def _public_guide(guide: Guide | Mapping) -> Guide:
    """Checked like a platform reply, then rebuilt from its public fields only."""
    if isinstance(guide, Mapping):
        guide = Guide.from_json(Reader(dict(guide), "guide"))
    return Guide.from_json(Reader(guide_json(guide), "guide"))


def _catalogue(catalogue: Catalogue | Mapping, etag: str) -> Catalogue:
    if isinstance(catalogue, Mapping):
        return Catalogue.from_json(Reader(dict(catalogue), "catalogue"), etag=etag)
    return Catalogue.from_json(Reader(catalogue_json(catalogue), "catalogue"), etag=etag)


class CatalogueCache:
    """The kiosk's copy of the published list and of the guides it has seen."""

    def __init__(self, path: os.PathLike | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def close(self) -> None:
        with self._lock:
            db, self._db = self._db, None
            if db is not None:
                with contextlib.suppress(sqlite3.Error):
                    db.close()

    def __repr__(self) -> str:
        return f"CatalogueCache({self.path})"

    # ---- the list -----------------------------------------------------------------------------

    def load(self) -> CachedCatalogue | None:
        """The cached list, or None when there is none (or it cannot be read)."""
        row = self._run(
            "read the list",
            lambda db: db.execute("SELECT body, etag, fetched_at FROM catalogue").fetchone(),
            create=False,
        )
        if row is None:
            return None
        body, etag, fetched_at = row
        try:
            catalogue = Catalogue.from_json(Reader(json.loads(body), "catalogue"), etag=etag)
        except (ValueError, InvalidData) as exc:  # InvalidData is a ValueError; both named
            log.warning("catalogue cache %s: the cached list is unreadable (%s)", self.path, exc)
            return None
        return CachedCatalogue(catalogue, etag, fetched_at)

    def save(
        self,
        catalogue: Catalogue | Mapping,
        etag: str | None = None,
        fetched_at: float | None = None,
    ) -> bool:
        """Replace the list (a ``Catalogue`` from the client, or the platform's JSON). Guides of
        items no longer published are dropped with it. False when it could not be saved."""
        if etag is None:
            etag = catalogue.etag if isinstance(catalogue, Catalogue) else ""
        fetched_at = time.time() if fetched_at is None else fetched_at
        try:
            checked = _catalogue(catalogue, etag)
        except InvalidData as exc:
            log.warning("catalogue cache: not saving a list that does not fit (%s)", exc)
            return False
        body = json.dumps(catalogue_json(checked), ensure_ascii=False, separators=(",", ":"))
        codes = [(i.item_code,) for i in checked.items]

        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR REPLACE INTO catalogue (id, body, etag, version, fetched_at)"
                " VALUES (1, ?, ?, ?, ?)",
                (body, etag, checked.version, fetched_at),
            )
            db.execute("CREATE TEMP TABLE IF NOT EXISTS published (code TEXT PRIMARY KEY)")
            db.execute("DELETE FROM published")
            db.executemany("INSERT OR IGNORE INTO published VALUES (?)", codes)
            db.execute("DELETE FROM guides WHERE item_code NOT IN (SELECT code FROM published)")

        return self._write("save the list", write)

    def touch(self, fetched_at: float | None = None) -> bool:
        """The platform answered 304 Not Modified: the cached list is current as of now."""
        fetched_at = time.time() if fetched_at is None else fetched_at
        return self._write(
            "refresh the list's time",
            lambda db: (
                db.execute("UPDATE catalogue SET fetched_at = ?", (fetched_at,)).rowcount == 1
            ),
            create=False,
        )

    # ---- the guides ---------------------------------------------------------------------------

    def guide(self, item_code: str) -> Guide | None:
        cached = self.cached_guide(item_code)
        return None if cached is None else cached.guide

    def cached_guide(self, item_code: str) -> CachedGuide | None:
        row = self._run(
            "read a guide",
            lambda db: db.execute(
                "SELECT body, fetched_at FROM guides WHERE item_code = ?", (item_code,)
            ).fetchone(),
            create=False,
        )
        if row is None:
            return None
        try:
            guide = Guide.from_json(Reader(json.loads(row[0]), "guide"))
        except (ValueError, InvalidData) as exc:
            log.warning("catalogue cache: the guide of %s is unreadable (%s)", item_code, exc)
            return None
        return CachedGuide(guide, row[1])

    def save_guide(
        self, item_code: str, guide: Guide | Mapping, fetched_at: float | None = None
    ) -> bool:
        """Keep an item's guide (a ``Guide`` from the client, or the platform's JSON), in its
        public form. False when it could not be saved or does not fit the contract."""
        fetched_at = time.time() if fetched_at is None else fetched_at
        try:
            public = _public_guide(guide)
        except InvalidData as exc:
            log.warning("catalogue cache: not saving a guide that does not fit (%s)", exc)
            return False
        if public.item.item_code != item_code:
            log.warning(
                "catalogue cache: the guide of %s was offered as %s",
                public.item.item_code,
                item_code,
            )
            return False
        body = json.dumps(guide_json(public), ensure_ascii=False, separators=(",", ":"))
        return self._write(
            "save a guide",
            lambda db: db.execute(
                "INSERT OR REPLACE INTO guides (item_code, body, fetched_at) VALUES (?, ?, ?)",
                (item_code, body, fetched_at),
            ),
        )

    def guide_codes(self) -> set[str]:
        """Items whose guide is cached (to fetch the others while the platform is there)."""
        rows = self._run(
            "list the guides",
            lambda db: db.execute("SELECT item_code FROM guides").fetchall(),
            create=False,
        )
        return {r[0] for r in rows or ()}

    # ---- plumbing -----------------------------------------------------------------------------

    def _write(
        self, what: str, work: Callable[[sqlite3.Connection], object], *, create: bool = True
    ) -> bool:
        """One transaction; False when it failed or ``work`` said nothing was done."""

        def tx(db: sqlite3.Connection) -> bool:
            db.execute("BEGIN IMMEDIATE")
            try:
                done = work(db) is not False
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
            return done

        return bool(self._run(what, tx, create=create))

    def _run(self, what: str, work: Callable[[sqlite3.Connection], T], *, create: bool) -> T | None:
        with self._lock:
            try:
                db = self._conn(create)
                if db is None:
                    return None
                return work(db)
            except (sqlite3.Error, OSError) as exc:
                log.warning("catalogue cache %s: cannot %s (%s)", self.path, what, exc)
                if self._db is not None:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.close()
                    self._db = None
                if _damaged(exc):  # public data, fetched again: start afresh
                    log.warning("catalogue cache %s: damaged; removed", self.path)
                    for suffix in ("", "-wal", "-shm"):
                        with contextlib.suppress(OSError):
                            os.unlink(f"{self.path}{suffix}")
                return None

    def _conn(self, create: bool) -> sqlite3.Connection | None:
        """Opened at first use; reading an absent cache creates nothing."""
        if self._db is not None:
            return self._db
        if not create and not self.path.exists():
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=5000")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # a lost last save is fetched again
            db.executescript(SCHEMA)
        except sqlite3.Error:
            db.close()
            raise
        self._db = db
        return db


def _damaged(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
