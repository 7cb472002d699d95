"""The outbox on a real SQLite file: durable, idempotent, bounded events, dead letters."""

from __future__ import annotations

import sqlite3

import pytest

from offline.outbox import Kind, Outbox, OutboxError


@pytest.fixture
def box(tmp_path):
    ob = Outbox(tmp_path / "outbox.db", max_events=3)
    yield ob
    ob.close()


def test_wal_and_full_sync(box):
    assert box._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert box._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_enqueue_is_visible_to_another_connection_at_once(box):
    box.enqueue(Kind.RATING, "r1", {"level": "satisfied"}, now=100)
    other = sqlite3.connect(box.path)
    assert other.execute("SELECT id, kind FROM outbox").fetchall() == [("r1", "rating")]


def test_same_id_twice_is_one_record(box):
    box.enqueue(Kind.RATING, "r1", {"a": 1}, now=100)
    box.enqueue(Kind.RATING, "r1", {"a": 2}, now=101)
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


def test_dead_letters_keep_the_reason(box):
    box.enqueue(Kind.RATING, "bad", {"x": 1}, now=1)
    box.dead_letter({"bad": "400 invalid: reasons missing"})
    assert box.counts().pending == {}
    assert box.counts().dead == 1
    row = box._db.execute("SELECT reason, payload FROM dead_letters WHERE id='bad'").fetchone()
    assert row == ("400 invalid: reasons missing", '{"x":1}')


def test_events_are_bounded_oldest_dropped_and_counted(box):
    for i in range(5):
        box.enqueue(Kind.EVENT, f"e{i}", {"i": i}, now=i)
    assert [e.id for e in box.due(Kind.EVENT, 10, now=100)] == ["e2", "e3", "e4"]
    (dropped,) = box._db.execute(
        "SELECT reason FROM dead_letters WHERE id='dropped-events'"
    ).fetchone()
    assert dropped == "2"
    box.enqueue(Kind.RATING, "r", {}, now=1)
    assert box.counts().pending == {"event": 3, "rating": 1}, "ratings are never dropped"


def test_unwritable_location_says_so(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutboxError, match="cannot be opened"):
        Outbox(blocker / "sub" / "outbox.db")
