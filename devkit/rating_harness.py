"""A stand-in kiosk that only rates, for the crash test (tests/integration/test_crash_safety.py).

It uses the kiosk's real Outbox, SyncWorker and PlatformClient against a running platform, and
no display and no devices, so it starts fast and can be killed hundreds of times. It keeps
creating ratings (kiosk.ratings.Rating, each with a case number of its own) and enqueues them;
the moment ``enqueue`` returns is the moment the kiosk would show 感谢, and the harness says so
on stdout. Meanwhile its SyncWorker delivers in the background.

What it prints, one line per write (a killed process never leaves half a line behind):

    READY                 the outbox is open and the worker runs: kill me now
    BEGIN <rating_id>     about to enqueue
    ACK <rating_id>       enqueue returned: the rating is promised
    SEND <n>              a batch of n is on its way to the platform
    SENT <n>              the platform answered for n
    SETTLED <n>           the outbox recorded the outcome of n
    DRAINED <pending>     (--drain) nothing new was made; <pending> ratings are still queued

``--ack-before-commit`` makes it deliberately broken, so that the crash test can show it would
catch the fault: ``enqueue`` keeps the rating in memory and returns at once, and a thread
commits what was kept every 50 ms (the "faster" outbox someone might write). A kill between
the ACK and that commit loses a rating that was promised.

Run: python -m devkit.rating_harness --url http://127.0.0.1:PORT --key HEX --db out/h/outbox.db
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import threading
import time
import uuid
from collections.abc import Mapping

# Lean on purpose: no devkit.platform_server (it pulls in the seed data), no Kivy, no drivers.
from kiosk.platform import PlatformClient, RatingsReply
from kiosk.ratings import Rating, RatingLevel, reasons_for
from offline.outbox import Kind, Outbox
from offline.sync import SyncWorker

DEMO_DEVICE_ID = "SX-TY-0001"  # devkit.platform_server.DEMO_DEVICE_ID, without its imports
CHINA = dt.timezone(dt.timedelta(hours=8))
ITEM = ("1401002001100100", "个人社保参保缴费证明打印", "太原市人力资源和社会保障局")


def say(line: str) -> None:
    """One write(2) per line, straight to the pipe: no buffer to lose when killed."""
    os.write(1, (line + "\n").encode())


class LoudClient(PlatformClient):
    def send_ratings(self, records: list[dict]) -> RatingsReply:
        say(f"SEND {len(records)}")
        reply = super().send_ratings(records)
        say(f"SENT {len(records)}")
        return reply


class LoudOutbox(Outbox):
    def settle(self, **kwargs) -> int:
        touched = super().settle(**kwargs)
        say(f"SETTLED {touched}")
        return touched


class HastyOutbox(LoudOutbox):
    """Deliberately broken (--ack-before-commit): acknowledges before the row is committed."""

    FLUSH_EVERY = 0.05

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self._kept: list[tuple[str, Mapping]] = []
        self._kept_lock = threading.Lock()
        threading.Thread(target=self._flush_forever, name="hasty-flush", daemon=True).start()

    def enqueue(self, kind: Kind, record_id: str, payload: Mapping, now=None) -> bool:
        with self._kept_lock:
            self._kept.append((record_id, payload))
        return True  # "stored" – only in memory, for up to FLUSH_EVERY seconds

    def _flush_forever(self) -> None:
        while True:
            time.sleep(self.FLUSH_EVERY)
            with self._kept_lock:
                kept, self._kept = self._kept, []
            if kept:
                self.enqueue_many(Kind.RATING, kept)


def make_rating(rng: random.Random, device_id: str, region: str) -> Rating:
    level = rng.choice(list(RatingLevel))
    pool = reasons_for(level)
    reasons = tuple(sorted(rng.sample(sorted(pool), rng.randint(1 if level.is_bad else 0, 2))))
    return Rating(
        case_no=f"HX{uuid.uuid4().hex}",
        item_code=ITEM[0],
        item_name=ITEM[1],
        department=ITEM[2],
        rater_ref=f"R{uuid.uuid4().hex[:31]}",
        level=level,
        rated_at=dt.datetime.now(CHINA).replace(microsecond=0),
        device_id=device_id,
        region_code=region,
        reasons=reasons,
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rating_harness", description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="the platform, e.g. http://127.0.0.1:8600")
    p.add_argument("--key", required=True, help="the device key, hexadecimal")
    p.add_argument("--device-id", default=DEMO_DEVICE_ID)
    p.add_argument("--region", default="140100")
    p.add_argument("--db", required=True, help="the outbox file")
    p.add_argument("--count", type=int, default=0, help="stop after this many ratings (0: never)")
    p.add_argument("--pause", type=float, default=0.0, help="seconds between ratings")
    p.add_argument("--batch", type=int, default=50, help="delivery batch size")
    p.add_argument("--seed", type=int, default=None, help="random levels and reasons")
    p.add_argument("--drain", action="store_true", help="make nothing: deliver what is queued")
    p.add_argument("--timeout", type=float, default=30.0, help="--drain: give up after this")
    p.add_argument(
        "--ack-before-commit",
        action="store_true",
        help="deliberately broken: say ACK before the rating is committed (for the crash test)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    client = LoudClient(
        args.url,
        args.device_id,
        bytes.fromhex(args.key),
        connect_timeout=1.0,
        read_timeout=5.0,
        retries=0,
    )
    outbox = HastyOutbox(args.db) if args.ack_before_commit else LoudOutbox(args.db)
    worker = SyncWorker(
        outbox,
        client,
        batch_size=args.batch,
        idle_interval=0.05,
        base_backoff=0.05,
        max_backoff=0.5,
    )
    if args.drain:
        say("READY")
        drained = worker.drain(timeout=args.timeout)
        pending = outbox.counts().pending.get(Kind.RATING.value, 0)
        say(f"DRAINED {pending}")
        return 0 if drained else 1
    say("READY")  # before the worker starts, so that no SEND comes first
    worker.start()
    rng = random.Random(args.seed)
    made = 0
    while not args.count or made < args.count:
        rating = make_rating(rng, args.device_id, args.region)
        say(f"BEGIN {rating.rating_id}")
        outbox.enqueue(Kind.RATING, rating.rating_id, rating.to_json())
        say(f"ACK {rating.rating_id}")  # the kiosk shows 感谢 now
        worker.poke()
        made += 1
        if args.pause:
            time.sleep(args.pause)
    worker.drain(timeout=args.timeout)
    worker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
