"""Nothing promised is lost: kill the rating process hundreds of times, then count.

devkit/rating_harness.py is a kiosk that only rates: the real Outbox, SyncWorker and
PlatformClient against the reference platform running here, over HTTP on loopback. It says
"ACK <id>" the moment enqueue returns (when the kiosk would show 感谢). We SIGKILL it at seeded
random moments, over and over, on two outboxes at once (two kiosks in a hall), then let a last
pass deliver what is left, and check that the platform holds every acknowledged rating exactly
once and that no outbox holds anything. The second run takes the platform away for part of the
time, so a growing backlog and the kills come together.

The rest: a full disk and a read-only file system (a real tmpfs, when this machine lets us
mount one) give a technician's message, and the kiosk carries on with a polite word.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from devkit.platform_server import DEMO_DEVICE_ID, DEMO_DEVICE_KEY, ReferencePlatform
from offline.outbox import Kind, Outbox, OutboxError

ROOT = Path(__file__).resolve().parents[2]
LANES = 2  # harness processes alive at a time, each with its own outbox
DELAY = (0.020, 0.400)  # seconds from READY to SIGKILL
PAUSE = "0.001"  # between ratings: most kills land in enqueue or in a delivery, not in sleep


@dataclasses.dataclass
class Tally:
    begun: set[str] = dataclasses.field(default_factory=set)
    acked: set[str] = dataclasses.field(default_factory=set)
    kills: int = 0
    in_enqueue: int = 0  # killed between BEGIN and ACK
    in_delivery: int = 0  # killed with a batch on its way or its outcome not yet recorded
    in_outage: int = 0  # killed while the platform refused connections
    failures: list[str] = dataclasses.field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.begun |= other.begun
        self.acked |= other.acked
        self.kills += other.kills
        self.in_enqueue += other.in_enqueue
        self.in_delivery += other.in_delivery
        self.in_outage += other.in_outage
        self.failures += other.failures


def harness(platform: ReferencePlatform, db: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "devkit.rating_harness",
        "--url",
        platform.url,
        "--key",
        DEMO_DEVICE_KEY.hex(),
        "--device-id",
        DEMO_DEVICE_ID,
        "--db",
        str(db),
        *extra,
    ]


def read_lines(path: Path) -> list[str]:
    text = path.read_bytes().decode()
    return text.split("\n")[:-1]  # a line without its newline was never fully written


def run_and_kill(platform: ReferencePlatform, db: Path, work: Path, delay: float, n: int) -> Tally:
    """Start the harness, wait for READY, let it work ``delay`` seconds, SIGKILL it."""
    out, err = work / f"run{n:04d}.out", work / f"run{n:04d}.err"
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen(
            harness(platform, db, "--pause", PAUSE, "--seed", str(n)),
            stdout=o,
            stderr=e,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
        )
    tally = Tally()
    try:
        deadline = time.monotonic() + 20
        while not out.read_bytes().startswith(b"READY\n"):
            if proc.poll() is not None or time.monotonic() > deadline:
                tally.failures.append(f"run {n}: no READY: {err.read_text()[-2000:]}")
                return tally
            time.sleep(0.002)
        time.sleep(delay)
    finally:
        proc.send_signal(signal.SIGKILL)
        outage = platform.faults.mode == "refuse"
        code = proc.wait()
    if code != -signal.SIGKILL:
        tally.failures.append(f"run {n}: ended by itself ({code}): {err.read_text()[-2000:]}")
    tally.kills, tally.in_outage = 1, int(outage)
    last_rating, last_delivery = "", ""
    for line in read_lines(out):
        word, _, arg = line.partition(" ")
        if word == "BEGIN":
            tally.begun.add(arg)
            last_rating = word
        elif word == "ACK":
            tally.acked.add(arg)
            last_rating = word
        elif word in ("SEND", "SENT", "SETTLED"):
            last_delivery = word
    tally.in_enqueue = int(last_rating == "BEGIN")
    tally.in_delivery = int(last_delivery in ("SEND", "SENT"))
    return tally


def kill_many(platform: ReferencePlatform, tmp: Path, kills: int, seed: int) -> tuple[Tally, list]:
    """``kills`` runs spread over LANES outboxes, the lanes side by side."""
    total, dbs = Tally(), []
    results: queue.Queue[Tally] = queue.Queue()

    def lane(k: int) -> None:
        rng = random.Random(seed * 100 + k)
        work = tmp / f"lane{k}"
        work.mkdir()
        db = work / "outbox.db"
        dbs.append(db)
        for n in range(k, kills, LANES):
            results.put(run_and_kill(platform, db, work, rng.uniform(*DELAY), n))

    threads = [threading.Thread(target=lane, args=(k,)) for k in range(LANES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    while not results.empty():
        total.add(results.get())
    return total, dbs


def drain(platform: ReferencePlatform, db: Path) -> None:
    proc = subprocess.run(
        harness(platform, db, "--drain", "--timeout", "60"),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-500:] + proc.stderr[-2000:]
    assert proc.stdout.splitlines()[-1] == "DRAINED 0"


def check(platform: ReferencePlatform, tally: Tally, dbs: list[Path]) -> None:
    assert tally.failures == []
    for db in dbs:
        drain(platform, db)
        with contextlib.closing(sqlite3.connect(db)) as conn:
            assert conn.execute("SELECT count(*) FROM outbox").fetchone() == (0,), db
            assert conn.execute("SELECT id, reason FROM dead_letters").fetchall() == [], db
    stored = Counter(r["rating_id"] for r in platform.ratings())
    twice = [rid for rid, n in stored.items() if n != 1]
    assert twice == [], "a rating stored more than once"
    lost = tally.acked - set(stored)
    assert not lost, f"{len(lost)} acknowledged ratings never reached the platform"
    assert set(stored) <= tally.begun, "the platform holds a rating nobody made"
    with contextlib.closing(sqlite3.connect(platform.db_path)) as conn:
        rows = conn.execute("SELECT count(*), count(DISTINCT rating_id) FROM ratings").fetchone()
    assert rows[0] == rows[1] == len(stored)
    # the kills landed where they matter, not only in sleeps between ratings
    assert tally.in_enqueue > 0 and tally.in_delivery > 0, tally


@pytest.fixture
def platform(tmp_path):
    p = ReferencePlatform(db_path=tmp_path / "platform.db")
    p.start()
    yield p
    p.stop()


def test_hundreds_of_kills_lose_and_double_nothing(platform, tmp_path):
    tally, dbs = kill_many(platform, tmp_path, kills=150, seed=1)
    assert tally.kills == 150
    assert len(tally.acked) > 150, "ratings were made and acknowledged"
    check(platform, tally, dbs)


def test_kills_while_the_platform_comes_and_goes(platform, tmp_path):
    stop = threading.Event()

    def outages() -> None:
        # refused for most of the run, in two spells: the backlog grows across many kills
        for down, up in ((5.0, 1.5), (4.0, 0.0)):
            if stop.wait(1.0):
                return
            platform.set_faults(mode="refuse")
            stop.wait(down)
            platform.set_faults()
            if stop.wait(up):
                return

    faults = threading.Thread(target=outages)
    faults.start()
    try:
        tally, dbs = kill_many(platform, tmp_path, kills=80, seed=2)
    finally:
        stop.set()
        faults.join()
        platform.set_faults()
    assert tally.kills == 80
    assert tally.in_outage > 0, "kills landed while the platform was away"
    check(platform, tally, dbs)


# ---- a full disk, a read-only file system: a technician's message, and the kiosk goes on ----


@pytest.fixture
def tmpfs(tmp_path):
    """A real 512 KiB file system (root and a kernel that allows it), else skip."""
    mount = tmp_path / "small"
    mount.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc}); test_outbox covers SQLITE_FULL")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, stdin=subprocess.DEVNULL)


def fill(mount: Path) -> Path:
    filler = mount / "filler"
    with filler.open("wb", buffering=0) as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 4096)
    return filler


def test_a_full_disk_is_said_plainly_and_heals(tmpfs):
    box = Outbox(tmpfs / "data" / "outbox.db")
    box.enqueue(Kind.RATING, "before", {"level": "satisfied"})
    filler = fill(tmpfs)
    with pytest.raises(OutboxError, match="disk is full: free space"):
        for i in range(1000):  # whatever page was still free fills up quickly
            box.enqueue(Kind.RATING, f"r{i}", {"text": "好" * 300})
    assert "disk is full" in box.problem
    assert box.counts().pending["rating"] >= 1, "what was stored is still there"
    filler.unlink()
    assert box.enqueue(Kind.RATING, "after", {}) is True
    assert box.problem == ""
    box.close()


def test_a_read_only_file_system_is_said_plainly(tmpfs):
    box = Outbox(tmpfs / "outbox.db")
    box.enqueue(Kind.RATING, "before", {})
    box.close()
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True, stdin=subprocess.DEVNULL)
    box = Outbox(tmpfs / "outbox.db")
    with pytest.raises(OutboxError, match="mounted read-only: check the disk"):
        box.enqueue(Kind.RATING, "r", {})
    box.close()
    nothing = Outbox(tmpfs / "new" / "outbox.db")  # cannot even create its folder: no crash
    with pytest.raises(OutboxError, match="cannot create its folder"):
        nothing.enqueue(Kind.RATING, "r", {})
    nothing.close()


def test_the_kiosk_carries_on_when_its_disk_is_full(tmpfs, tmp_path):
    """The whole journey with the outbox on a full disk: a polite word, then goodbye."""
    import main as composition
    from devkit.demo import DemoStack
    from kiosk.events import Action
    from kiosk.journey import State

    stack = DemoStack(tmp_path / "demo", social_cards=False).reset().start()
    calls: queue.Queue = queue.Queue()

    def until(cond, what: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            with contextlib.suppress(queue.Empty):
                calls.get(timeout=0.1)()

    config = dataclasses.replace(stack.config(), data_dir=tmpfs / "data")
    runtime = composition.build_runtime(config, calls.put)
    runtime.start()
    try:
        j = runtime.journey
        stack.place_card("zhang_wei")
        until(lambda: j.state is State.ITEMS, "the item list")
        runtime.tap(Action.SELECT_ITEM, "1401002001100100")
        until(lambda: j.session.guide is not None, "the guide")
        runtime.tap(Action.CONFIRM)
        preview = getattr(State, "PREVIEW", None)  # newer journeys show the certificate first

        def rating_screen() -> bool:
            if preview is not None and j.state is preview:
                runtime.tap(Action.PRINT)
            elif j.state is State.TAKE_DOCUMENTS and stack.sam.card_present:
                stack.remove_card()
            return j.state is State.RATING

        until(rating_screen, "the rating screen", timeout=30)
        filler = fill(tmpfs)
        with contextlib.suppress(OutboxError):  # eat the last free pages
            for i in range(1000):
                runtime.outbox.enqueue(Kind.EVENT, f"pad-{i}", {"pad": "x" * 2000})
        runtime.tap(Action.RATE, "satisfied")
        runtime.tap(Action.SUBMIT_RATING)
        until(lambda: j.state is State.GOODBYE, "goodbye")
        assert j.notice == "评价暂未保存成功，感谢您的参与。"
        assert "disk is full" in runtime.outbox.problem
        filler.unlink()
        assert runtime.outbox.enqueue(Kind.RATING, "after-the-fix", {}) is True
    finally:
        runtime.stop()
        runtime.outbox.close()
        stack.stop()
    assert os.path.exists(tmpfs / "data" / "outbox.db")
