"""The reference platform counts every rating delivery and could store a duplicate.

The crash test (test_crash_safety.py) is only as strong as what the platform lets it see: with
the rating id as primary key a second copy could never be stored, so "stored exactly once"
could not fail. Here the platform keeps every attempt and stores without a unique key; its own
check answers a known id as a duplicate (docs/platform-api.yaml), and a platform whose check
is broken is seen storing twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from devkit.platform_server import DEMO_DEVICE_ID, DEMO_DEVICE_KEY, ReferencePlatform
from kiosk.platform import PlatformClient
from kiosk.ratings import Rating, RatingLevel

pytestmark = pytest.mark.integration

CHINA = dt.timezone(dt.timedelta(hours=8))
SPEC = Path(__file__).resolve().parents[2] / "docs" / "platform-api.yaml"


def rating(level: RatingLevel = RatingLevel.SATISFIED) -> Rating:
    return Rating(
        case_no=f"HX{uuid.uuid4().hex}",
        item_code="1401002001100100",
        item_name="个人社保参保缴费证明打印",
        department="太原市人力资源和社会保障局",
        rater_ref="R" + "0" * 31,
        level=level,
        rated_at=dt.datetime(2025, 6, 13, 10, 5, tzinfo=CHINA),
        device_id=DEMO_DEVICE_ID,
        region_code="140100",
    )


class ForgetfulPlatform(ReferencePlatform):
    """Deliberately broken: it never looks at what it stored before."""

    @staticmethod
    def _stored_before(db, checked):
        return set(), set()


def deliver_twice(platform: ReferencePlatform) -> list[Rating]:
    good = [rating(), rating(RatingLevel.VERY_SATISFIED), rating()]
    bad = rating(RatingLevel.DISSATISFIED)  # no reason: rejected, but received all the same
    records = [r.to_json() for r in [*good, bad]]
    with PlatformClient(platform.url, DEMO_DEVICE_ID, DEMO_DEVICE_KEY, retries=0) as client:
        client.send_ratings(records)
        client.send_ratings(records)  # the answer was lost: the kiosk sends the batch again
        client.send_ratings([])  # the sync worker's "are you taking anything?": no record
    return good


@pytest.fixture
def platform(tmp_path):
    with ReferencePlatform(db_path=tmp_path / "platform.db") as p:
        yield p


def test_every_attempt_is_counted_and_one_copy_kept(platform):
    good = deliver_twice(platform)
    counts = platform.delivery_counts()
    assert (counts.requests, counts.deliveries, counts.duplicates_delivered) == (2, 8, 4)
    assert (counts.stored, counts.duplicates_stored) == (3, 0)
    assert [r["rating_id"] for r in platform.ratings()] == [r.rating_id for r in good]
    reply = requests.get(f"{platform.url}/devkit/deliveries", timeout=5).json()
    schema = yaml.safe_load(SPEC.read_text(encoding="utf-8"))["components"]["schemas"]
    assert set(reply) == set(schema["DevkitDeliveries"]["required"])
    assert reply == {
        "requests": 2,
        "deliveries": 8,
        "duplicates_delivered": 4,
        "stored": 3,
        "duplicates_stored": 0,
    }
    with contextlib.closing(sqlite3.connect(platform.db_path)) as db:
        outcomes = db.execute(
            "SELECT request, outcome, count(*) FROM deliveries GROUP BY request, outcome"
        ).fetchall()
    assert sorted(outcomes) == [
        (1, "accepted", 3),
        (1, "rejected", 1),
        (2, "duplicate", 3),
        (2, "rejected", 1),
    ]


def test_a_platform_whose_check_is_broken_is_seen_storing_twice(tmp_path):
    with ForgetfulPlatform(db_path=tmp_path / "platform.db") as platform:
        deliver_twice(platform)
        counts = platform.delivery_counts()
    assert (counts.stored, counts.duplicates_stored) == (6, 3)


def test_a_file_from_the_older_server_is_brought_forward(tmp_path):
    path = tmp_path / "platform.db"
    old = rating()
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "CREATE TABLE ratings (rating_id TEXT PRIMARY KEY, case_no TEXT NOT NULL,"
            " rating_count INTEGER NOT NULL, device_id TEXT NOT NULL, received_at TEXT NOT NULL,"
            " record TEXT NOT NULL, UNIQUE (case_no, rating_count))"
        )
        db.execute(
            "INSERT INTO ratings VALUES (?,?,1,?,?,?)",
            (old.rating_id, old.case_no, DEMO_DEVICE_ID, "2025-06-13T10:05:00+08:00", "{}"),
        )
    with ReferencePlatform(db_path=path) as platform:
        assert platform.delivery_counts().stored == 1
        deliver_twice(platform)
        assert platform.delivery_counts().stored == 4
    with contextlib.closing(sqlite3.connect(path)) as db:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "ratings_v1" not in names
