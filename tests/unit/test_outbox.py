"""The outbox on a real SQLite file: durable, idempotent, bounded events, dead letters, and
failures that say what to do and heal by themselves."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from offline.outbox import MAX_DELAY, Kind, Outbox, OutboxError


@pytest.fixture
def box(tmp_path):
    ob = Outbox(tmp_path / "outbox.db", max_events=3)
    yield ob
    ob.close()


def test_wal_and_full_sync(box):
    assert box._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert box._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_enqueue_is_visible_to_another_connection_at_once(box):
    assert box.enqueue(Kind.RATING, "r1", {"level": "satisfied"}, now=100) is True
    other = sqlite3.connect(box.path)
    assert other.execute("SELECT id, kind FROM outbox").fetchall() == [("r1", "rating")]
    other.close()


def test_same_id_twice_is_one_record(box):
    assert box.enqueue(Kind.RATING, "r1", {"a": 1}, now=100) is True
    assert box.enqueue(Kind.RATING, "r1", {"a": 2}, now=101) is False
    (entry,) = box.due(Kind.RATING, 10, now=200)
    assert entry.payload == {"a": 1}


def test_due_delivered_retry(box):
    for i in range(5):
        box.enqueue(Kind.RATING, f"r{i}", {"i": i}, now=100 + i)
    batch = box.due(Kind.RATING, 2, now=200)
    assert [e.id for e in batch] == ["r0", "r1"], "oldest first"
    box.delivered(["r0"])
    box.retry_later(["r1"], "timeout", delay=30, now=200)
    assert [e.id for e in box.due(Kind.RATING, 10, now=201)] == ["r2", "r3", "r4"]
    assert "r1" in [e.id for e in box.due(Kind.RATING, 10, now=231)]
    counts = box.counts(now=300)
    assert counts.pending == {"rating": 4}
    assert counts.oldest_pending_age == pytest.approx(199)


def test_a_retry_scheduled_before_the_clock_went_back_is_due(box):
    box.enqueue(Kind.RATING, "r", {}, now=10_000)
    box.retry_later(["r"], "unreachable", delay=60, now=10_000)
    assert box.due(Kind.RATING, 10, now=10_030) == [], "still waiting its minute"
    # the clock was a day fast and has been corrected: the retry must not wait a day
    assert [e.id for e in box.due(Kind.RATING, 10, now=10_000 - 86_400)] == ["r"]
    box.retry_later(["r"], "unreachable", delay=10 * MAX_DELAY, now=0)
    assert [e.id for e in box.due(Kind.RATING, 10, now=MAX_DELAY + 1)] == ["r"], "capped"


def test_dead_letters_keep_the_reason_and_the_attempts(box):
    box.enqueue(Kind.RATING, "bad", {"x": 1}, now=1)
    box.retry_later(["bad"], "unreachable", 0, now=2)
    assert box.dead_letter({"bad": "refused by the platform: reason_required"}, now=3) == 1
    counts = box.counts()
    assert counts.pending == {} and counts.dead == 1
    row = box._db.execute(
        "SELECT reason, payload, attempts FROM dead_letters WHERE id='bad'"
    ).fetchone()
    assert row == ("refused by the platform: reason_required", '{"x":1}', 2)


def test_settle_is_one_outcome(box):
    for i in range(4):
        box.enqueue(Kind.RATING, f"r{i}", {"i": i}, now=i)
    touched = box.settle(
        delivered=["r0"], dead={"r1": "refused"}, retry=["r2"], error="later", delay=50, now=10
    )
    assert touched == 3
    assert [e.id for e in box.due(Kind.RATING, 10, now=11)] == ["r3"]
    assert box.counts().pending == {"rating": 2} and box.counts().dead == 1
    assert box.settle() == 0


def test_events_are_bounded_oldest_dropped_and_counted(box):
    for i in range(5):
        box.enqueue(Kind.EVENT, f"e{i}", {"i": i}, now=i)
    assert [e.id for e in box.due(Kind.EVENT, 10, now=100)] == ["e2", "e3", "e4"]
    assert box.counts().dropped_events == 2
    assert box.counts().dead == 0, "dropped events are counted, not dead letters"
    box.enqueue(Kind.RATING, "r", {}, now=1)
    box.enqueue_many(Kind.RATING, [(f"m{i}", {}) for i in range(10)], now=2)
    assert box.counts().pending == {"event": 3, "rating": 11}, "ratings are never dropped"
    box.enqueue_many(Kind.EVENT, [(f"f{i}", {}) for i in range(4)], now=200)
    assert [e.id for e in box.due(Kind.EVENT, 10, now=300)] == ["f1", "f2", "f3"]
    assert box.counts().dropped_events == 6


def test_enqueue_many_is_one_transaction(box):
    assert box.enqueue_many(Kind.RATING, [("a", {}), ("b", {}), ("a", {})], now=1) == 2
    with pytest.raises(OutboxError, match="not plain JSON"):
        box.enqueue_many(Kind.RATING, [("c", {}), ("d", {"x": {1, 2}})], now=2)
    assert box.counts().pending == {"rating": 2}, "nothing of a failed batch is stored"


def test_bad_ids_and_payloads(box):
    with pytest.raises(ValueError):
        box.enqueue(Kind.RATING, "", {})
    with pytest.raises(ValueError):
        box.enqueue(Kind.RATING, "x" * 65, {})
    with pytest.raises(OutboxError, match="not plain JSON"):
        box.enqueue(Kind.RATING, "nan", {"v": float("nan")})
    with pytest.raises(OutboxError, match="not plain JSON"):
        box.enqueue(Kind.RATING, "surrogate", {"text": "\ud800"})
    assert box.counts().pending == {}


def test_retry_dead_moves_them_back(box):
    for i in range(3):
        box.enqueue(Kind.RATING, f"r{i}", {"i": i}, now=i)
    box.dead_letter({"r0": "a", "r1": "b", "r2": "c"}, now=5)
    assert box.retry_dead(["r1", "nope"], now=6) == 1
    assert [e.id for e in box.due(Kind.RATING, 10, now=6)] == ["r1"]
    assert box.counts().dead == 2
    assert box.retry_dead(now=7) == 2
    due = box.due(Kind.RATING, 10, now=7)
    assert [e.id for e in due] == ["r0", "r1", "r2"], "back in their original order"
    assert all(e.attempts == 0 for e in due)
    assert box.counts().dead == 0
    assert box.retry_dead(now=8) == 0


def test_status_shows_reasons_never_payloads(box):
    box.enqueue(Kind.RATING, "r1", {"rater_ref": "R-secret"}, now=100)
    box.enqueue(Kind.RATING, "r2", {"rater_ref": "R-secret"}, now=110)
    box.enqueue(Kind.EVENT, "e1", {"event": "paper_out"}, now=150)
    box.retry_later(["r2"], "unreachable: PUT /v1/ratings", 30, now=120)
    box.dead_letter({"r1": "refused by the platform: bad_level"}, now=130)
    st = box.status(now=200)
    assert st.pending == {"rating": 1, "event": 1}
    assert st.oldest_pending_age == {"rating": 90, "event": 50}
    assert st.retrying == {"unreachable: PUT /v1/ratings": 1}
    (dead,) = st.dead_letters
    assert (dead.id, dead.reason, dead.attempts) == ("r1", "refused by the platform: bad_level", 1)
    assert "R-secret" not in repr(st)
    assert st.dead_total == 1 and st.dropped_events == 0


def test_an_unwritable_location_does_not_stop_the_kiosk_and_heals(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    box = Outbox(blocker / "outbox.db")  # must not raise: the kiosk starts and says so
    assert "cannot create its folder" in box.problem
    with pytest.raises(OutboxError, match=r"cannot create its folder.*data_dir"):
        box.enqueue(Kind.RATING, "r1", {})
    blocker.unlink()  # the technician fixes it
    assert box.enqueue(Kind.RATING, "r1", {}) is True
    assert box.problem == ""
    box.close()


def test_a_full_database_says_so_and_recovers(box):
    """max_page_count is SQLite's own size limit: the same SQLITE_FULL a full disk gives."""
    (pages,) = box._db.execute("PRAGMA page_count").fetchone()
    box._db.execute(f"PRAGMA max_page_count={pages + 2}")
    stored = 0
    with pytest.raises(OutboxError, match="disk is full") as info:
        for i in range(10_000):
            box.enqueue(Kind.RATING, f"r{i:05d}", {"text": "很好" * 200}, now=i)
            stored += 1
    assert "free space" in str(info.value)
    assert box.counts().pending == {"rating": stored}, "every acknowledged record is there"
    assert [e.id for e in box.due(Kind.RATING, 1, now=1e9)] == ["r00000"]
    box._db.execute("PRAGMA max_page_count=1000000")  # space freed
    assert box.enqueue(Kind.RATING, "after", {}, now=20_000) is True
    assert box.counts().pending == {"rating": stored + 1}


def test_a_damaged_file_says_so(tmp_path):
    path = tmp_path / "outbox.db"
    path.write_bytes(b"this is not a database, it was overwritten " * 100)
    box = Outbox(path)
    assert "not an outbox database" in box.problem
    with pytest.raises(OutboxError, match="move it aside"):
        box.enqueue(Kind.RATING, "r", {})
    box.close()


def test_a_file_removed_underneath_is_recreated(box):
    box.enqueue(Kind.RATING, "before", {}, now=1)
    box.path.unlink()
    for suffix in ("-wal", "-shm"):
        box.path.with_name(box.path.name + suffix).unlink(missing_ok=True)
    box.enqueue(Kind.RATING, "after", {}, now=2)
    other = sqlite3.connect(box.path)
    assert other.execute("SELECT id FROM outbox").fetchall() == [("after",)]
    other.close()


def test_open_existing_creates_nothing(tmp_path):
    assert Outbox.open_existing(tmp_path / "missing" / "outbox.db") is None
    assert list(tmp_path.iterdir()) == []
    Outbox(tmp_path / "outbox.db").close()
    box = Outbox.open_existing(tmp_path / "outbox.db")
    assert box is not None and box.counts().pending == {}
    box.close()


def test_a_schema_1_file_is_brought_up_to_date(tmp_path):
    path = tmp_path / "outbox.db"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE outbox (id TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL,
            created_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL, last_error TEXT NOT NULL DEFAULT '');
        CREATE INDEX outbox_due ON outbox (kind, next_attempt_at);
        CREATE TABLE dead_letters (id TEXT PRIMARY KEY, kind TEXT NOT NULL,
            payload TEXT NOT NULL, created_at REAL NOT NULL, failed_at REAL NOT NULL,
            reason TEXT NOT NULL);
        INSERT INTO outbox VALUES ('r1', 'rating', '{}', 1, 0, 1, '');
        INSERT INTO dead_letters VALUES ('dropped-events', 'event', '{}', 0, 5, '7');
        INSERT INTO dead_letters VALUES ('r0', 'rating', '{}', 0, 5, '400 bad');
        """
    )
    db.close()
    box = Outbox(path)
    counts = box.counts()
    assert counts.pending == {"rating": 1}
    assert counts.dead == 1 and counts.dropped_events == 7
    indexes = {r[1] for r in box._db.execute("PRAGMA index_list(outbox)")}
    assert "outbox_age" in indexes and "outbox_due" not in indexes
    assert box.retry_dead(now=9) == 1
    box.close()


def test_many_threads_enqueue_at_once(box):
    def work(t: int) -> None:
        for i in range(25):
            box.enqueue(Kind.RATING, f"t{t}-{i}", {"t": t})

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert box.counts().pending == {"rating": 150}
