"""Outbox benchmarks: durable enqueue latency, delivery throughput, a 100,000-rating backlog.

Prints one JSON object per figure (JSON lines):
- outbox_enqueue: latency of ``Outbox.enqueue`` (one rating, committed with synchronous=FULL in
  WAL mode, the way the kiosk stores a rating before it says 感谢), p50/p99/max in ms, on a real
  file in the repository's out/ (or --dir), whose file system is named;
- persistqueue_enqueue: persist-queue's SQLiteAckQueue doing the same work in the same run, in
  alternating blocks with ours, at the same durability: ``auto_commit=True`` (a commit per put,
  which the ack queue enforces anyway), ``multithreading=True`` (a put connection and a get
  connection, as a delivering worker needs), its own WAL journal, and ``PRAGMA
  synchronous=FULL`` set on both connections (persist-queue sets no synchronous pragma; it
  would be the build's default). Same payload (the rating's JSON), JSON serializer. Then the
  ratio persist-queue / outbox at p50 and p99 (above 1: the outbox is faster);
- outbox_delivery: ratings/s from a filled outbox to the reference platform over HTTP on
  loopback (a separate process, as a real platform is), SyncWorker batches of 500, target
  >= 2,000 ratings/s;
- outbox_backlog_drain: seconds to deliver a 100,000-rating backlog (after an outage, say),
  checked at the platform.

    python bench/outbox.py [--samples 5000] [--delivery 20000] [--backlog 100000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devkit.platform_server import DEMO_DEVICE_ID, DEMO_DEVICE_KEY  # noqa: E402
from kiosk.platform import PlatformClient  # noqa: E402
from kiosk.ratings import Rating, RatingLevel  # noqa: E402
from offline.outbox import Kind, Outbox  # noqa: E402
from offline.sync import SyncWorker  # noqa: E402

CHINA = dt.timezone(dt.timedelta(hours=8))


def emit(**fields) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def rating(i: int) -> dict:
    return Rating(
        case_no=f"B{uuid.uuid4().hex}",
        item_code="1401002001100100",
        item_name="个人社保参保缴费证明打印",
        department="太原市人力资源和社会保障局",
        rater_ref="R" + uuid.uuid4().hex[:31],
        level=RatingLevel.SATISFIED if i % 7 else RatingLevel.VERY_SATISFIED,
        rated_at=dt.datetime.now(CHINA).replace(microsecond=0),
        device_id=DEMO_DEVICE_ID,
        region_code="140100",
        reasons=("G01", "G02") if i % 3 else (),
    ).to_json()


def file_system(path: Path) -> str:
    """The mount the file lives on, e.g. "ext4 /dev/vda on /"."""
    best = ("", "", "?")
    with open("/proc/mounts") as mounts:
        for line in mounts:
            device, point, kind, *_ = line.split()
            if str(path.resolve()).startswith(point.rstrip("/") + "/") and len(point) > len(
                best[1]
            ):
                best = (device, point, kind)
    return f"{best[2]} {best[0]} on {best[1]}"


# ---- enqueue -----------------------------------------------------------------------------------


def bench_enqueue(work: Path, samples: int, block: int) -> None:
    payloads = [rating(i) for i in range(samples)]
    box = Outbox(work / "outbox.db")
    mode = box._db.execute("PRAGMA journal_mode").fetchone()[0]
    sync = box._db.execute("PRAGMA synchronous").fetchone()[0]
    queue = _persist_queue(work / "pq")
    ours: list[float] = []
    theirs: list[float] = []
    for start in range(0, samples, block):  # alternate, so both see the same disk weather
        for p in payloads[start : start + block]:
            t = time.perf_counter()
            box.enqueue(Kind.RATING, p["rating_id"], p)
            ours.append(time.perf_counter() - t)
        if queue is not None:
            for p in payloads[start : start + block]:
                t = time.perf_counter()
                queue.put(p)
                theirs.append(time.perf_counter() - t)
    box.close()
    ours_p50, ours_p99 = percentile(ours, 0.5), percentile(ours, 0.99)
    emit(
        figure="outbox_enqueue",
        n=len(ours),
        p50_ms=ms(ours_p50),
        p99_ms=ms(ours_p99),
        max_ms=ms(max(ours)),
        journal_mode=mode,
        synchronous={2: "FULL", 3: "EXTRA"}.get(sync, sync),
        file_system=file_system(work),
    )
    if queue is None:
        emit(figure="persistqueue_enqueue", skipped="persist-queue is not installed")
        return
    import persistqueue

    pq_p50, pq_p99 = percentile(theirs, 0.5), percentile(theirs, 0.99)
    settings = {
        "class": "SQLiteAckQueue",
        "multithreading": True,
        "auto_commit": True,
        "serializer": "json",
        "journal_mode": queue._putter.execute("PRAGMA journal_mode").fetchone()[0],
        "synchronous": {2: "FULL"}.get(
            s := queue._putter.execute("PRAGMA synchronous").fetchone()[0], s
        ),
    }
    queue.close()
    emit(
        figure="persistqueue_enqueue",
        version=persistqueue.__version__,
        n=len(theirs),
        p50_ms=ms(pq_p50),
        p99_ms=ms(pq_p99),
        max_ms=ms(max(theirs)),
        settings=settings,
        ratio_p50=round(pq_p50 / ours_p50, 2),
        ratio_p99=round(pq_p99 / ours_p99, 2),
    )


def _persist_queue(path: Path):
    try:
        import persistqueue
        import persistqueue.serializers.json as pq_json
    except ImportError:
        return None
    queue = persistqueue.SQLiteAckQueue(
        str(path), multithreading=True, auto_commit=True, serializer=pq_json
    )
    for conn in {id(queue._putter): queue._putter, id(queue._getter): queue._getter}.values():
        conn.execute("PRAGMA synchronous=FULL")  # the outbox's durability
    return queue


# ---- delivery ----------------------------------------------------------------------------------


class Platform:
    """The reference platform in its own process (`python -m devkit.platform_server`)."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "devkit.platform_server", "--port", "0", "--db", str(db)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        line = self.proc.stdout.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        if not found:
            self.proc.kill()
            raise SystemExit(f"the reference platform did not start: {line!r}")
        self.url = found.group(1)

    def ratings(self) -> int:
        with urllib.request.urlopen(self.url + "/devkit/state", timeout=30) as resp:
            return json.loads(resp.read())["ratings"]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def fill(box: Outbox, n: int) -> None:
    for start in range(0, n, 1000):
        chunk = [rating(i) for i in range(start, min(n, start + 1000))]
        box.enqueue_many(Kind.RATING, [(r["rating_id"], r) for r in chunk])


def bench_delivery(work: Path, n: int, batch: int, figure: str) -> None:
    platform = Platform(work / f"{figure}-platform.db")
    box = Outbox(work / f"{figure}.db")
    client = PlatformClient(platform.url, DEMO_DEVICE_ID, DEMO_DEVICE_KEY, retries=0)
    try:
        fill(box, n)
        before = platform.ratings()
        worker = SyncWorker(box, client, batch_size=batch)
        t = time.perf_counter()
        drained = worker.drain(timeout=3600)
        elapsed = time.perf_counter() - t
        at_platform = platform.ratings() - before
    finally:
        client.close()
        box.close()
        platform.stop()
    emit(
        figure=figure,
        n=n,
        batch=batch,
        seconds=round(elapsed, 2),
        ratings_per_s=round(n / elapsed),
        drained=drained,
        at_platform=at_platform,
        target_ratings_per_s=2000,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=5000, help="enqueues timed (each side)")
    parser.add_argument("--block", type=int, default=250, help="enqueues per alternating block")
    parser.add_argument("--delivery", type=int, default=20_000, help="ratings for throughput")
    parser.add_argument("--backlog", type=int, default=100_000, help="ratings in the backlog")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--dir", type=Path, default=ROOT / "out", help="where the files go")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-outbox-", dir=args.dir))
    try:
        bench_enqueue(work, args.samples, args.block)
        if args.delivery:
            bench_delivery(work, args.delivery, args.batch, "outbox_delivery")
        if args.backlog:
            bench_delivery(work, args.backlog, args.batch, "outbox_backlog_drain")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
