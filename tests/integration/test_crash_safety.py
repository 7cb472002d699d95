"""Nothing promised is lost, nothing is stored twice: kill the kiosk hundreds of times, count.

Two kinds of kiosk are killed with SIGKILL at seeded random moments, over and over, on two
outboxes at once (two kiosks in a hall), each restarted on the same data directory:

- devkit/rating_harness.py, a kiosk that only rates: the real Outbox, SyncWorker and
  PlatformClient, no devices, so it starts fast and most kills land in a rating being written
  or a batch being delivered. It says "ACK <id>" the moment ``enqueue`` returns (感谢).
- devkit/kiosk_runner.py, the kiosk itself without its screen: wiring.build_runtime's Runtime
  and SyncWorker with the SAM reader on a pseudo-terminal and the printer on TCP, walking
  whole journeys (card, item, certificate printed, rating tapped) and saying "ACK <case>" when
  the thank-you is reached. Its kills come just after it submits a rating (in the write), just
  after a thank-you (in the delivery), while a card is verified, while a certificate prints,
  or at any moment.

The platform is the test's own reference platform (another process than the kiosk), which
records every delivery attempt and stores ratings without a unique key. After the kills a
last pass delivers what is left, and the figures are: ratings acknowledged, deliveries
(attempts), stored, duplicates delivered (allowed: delivery is at least once), duplicates
stored (must be 0) and acknowledged but missing (must be 0). The figures are printed and kept
in tests/artifacts/crash-safety/.

The proof is itself tested: the harness with ``--ack-before-commit`` (an outbox that
acknowledges before its commit) must be caught losing ratings. Beside it (test_platform_
deliveries.py) a platform whose duplicate check is broken is caught storing twice.

The rest: a full disk and a read-only file system (a real tmpfs, when this machine lets us
mount one) give a technician's message, and the kiosk carries on with a polite word.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
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
from collections.abc import Callable
from pathlib import Path

import pytest

from devkit.platform_server import DEMO_DEVICE_ID, DEMO_DEVICE_KEY, ReferencePlatform
from offline.outbox import Kind, Outbox, OutboxError

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "crash-safety"
LANES = 2  # kiosk processes alive at a time, each with its own outbox
DELAY = (0.020, 0.400)  # seconds from READY to SIGKILL (the rating harness)
PAUSE = "0.001"  # between ratings: most kills land in enqueue or in a delivery, not in sleep
# The kiosk runner is killed a moment after one of its lines (its 1st or 2nd such line), in
# turn: in the rating's write, in its delivery, mid-identification, mid-print, or at any time.
TARGETS = (
    ("RATE ", (0.0, 0.010)),
    ("ACK ", (0.0, 0.030)),
    ("STATE verifying\n", (0.0, 0.050)),
    ("STATE printing\n", (0.0, 0.050)),
    ("", (0.05, 3.0)),
)


@dataclasses.dataclass
class Tally:
    begun: set[str] = dataclasses.field(default_factory=set)  # ratings made (BEGIN / RATE)
    acked: set[str] = dataclasses.field(default_factory=set)
    kills: int = 0
    in_enqueue: int = 0  # killed between BEGIN (RATE) and ACK: in the rating's write
    in_delivery: int = 0  # killed with a batch on its way or its outcome not yet recorded
    in_outage: int = 0  # killed while the platform refused connections
    landed: Counter = dataclasses.field(default_factory=Counter)  # the kiosk runner's screens
    failures: list[str] = dataclasses.field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.begun |= other.begun
        self.acked |= other.acked
        self.kills += other.kills
        self.in_enqueue += other.in_enqueue
        self.in_delivery += other.in_delivery
        self.in_outage += other.in_outage
        self.landed += other.landed
        self.failures += other.failures


@dataclasses.dataclass(frozen=True)
class Kiosk:
    """How to start one kind of kiosk on an outbox, and what it calls a rating."""

    module: str  # devkit.rating_harness | devkit.kiosk_runner
    key: str  # the platform's field that the ACK lines name: rating_id | case_no
    where: str  # --db | --data-dir
    outbox: str  # the outbox file inside ``where``'s path ("" when it is the file)
    extra: tuple[str, ...] = ()

    def command(self, platform: ReferencePlatform, path: Path, *extra: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            self.module,
            "--url",
            platform.url,
            "--key",
            DEMO_DEVICE_KEY.hex(),
            self.where,
            str(path),
            *self.extra,
            *extra,
        ]

    def outbox_file(self, path: Path) -> Path:
        return path / self.outbox if self.outbox else path


HARNESS = Kiosk("devkit.rating_harness", "rating_id", "--db", "", ("--device-id", DEMO_DEVICE_ID))
HASTY = dataclasses.replace(HARNESS, extra=(*HARNESS.extra, "--ack-before-commit"))
RUNNER = Kiosk("devkit.kiosk_runner", "case_no", "--data-dir", "outbox.db")


def read_lines(path: Path) -> list[str]:
    text = path.read_bytes().decode()
    return text.split("\n")[:-1]  # a line without its newline was never fully written


def wait_for(proc: subprocess.Popen, out: Path, ready: Callable[[bytes], bool], timeout: float):
    deadline = time.monotonic() + timeout
    while not ready(out.read_bytes()):
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


def run_and_kill(
    kiosk: Kiosk,
    platform: ReferencePlatform,
    path: Path,
    work: Path,
    n: int,
    delay: float,
    after: tuple[str, int] = ("", 0),
) -> Tally:
    """Start the kiosk, wait for READY (and for the ``after`` line to come n times), let it
    work ``delay`` seconds, SIGKILL it, and read what it said."""
    out, err = work / f"run{n:04d}.out", work / f"run{n:04d}.err"
    extra = ("--pause", PAUSE) if kiosk.module == HARNESS.module else ()
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen(
            kiosk.command(platform, path, *extra, "--seed", str(n)),
            stdout=o,
            stderr=e,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
        )
    tally = Tally()
    try:
        if not wait_for(proc, out, lambda b: b.startswith(b"READY\n"), 30):
            tally.failures.append(f"run {n}: no READY: {err.read_text()[-2000:]}")
            return tally
        line, times = after
        if line and not wait_for(proc, out, lambda b: b.count(f"\n{line}".encode()) >= times, 60):
            tally.failures.append(f"run {n}: no {line!r}: {err.read_text()[-2000:]}")
            return tally
        time.sleep(delay)
    finally:
        proc.send_signal(signal.SIGKILL)
        outage = platform.faults.mode == "refuse"
        code = proc.wait()
    if code != -signal.SIGKILL:
        tally.failures.append(f"run {n}: ended by itself ({code}): {err.read_text()[-2000:]}")
    tally.kills, tally.in_outage = 1, int(outage)
    last_rating, last_delivery, state = "", "", ""
    for line in read_lines(out):
        word, _, arg = line.partition(" ")
        if word in ("BEGIN", "RATE"):
            tally.begun.add(arg)
            last_rating = "BEGIN"
        elif word == "ACK":
            tally.acked.add(arg)
            last_rating = word
        elif word in ("SEND", "SENT", "SETTLED"):
            last_delivery = word
        elif word == "STATE":
            state = arg
    tally.in_enqueue = int(last_rating == "BEGIN")
    tally.in_delivery = int(last_delivery in ("SEND", "SENT"))
    if kiosk.module == RUNNER.module and not tally.in_enqueue:
        if last_rating == "ACK" and state in ("goodbye", "attract"):
            state = "after a thank-you"  # its rating on its way to the platform, or there
        tally.landed[state or "starting"] += 1
    return tally


def kill_many(
    kiosk: Kiosk, platform: ReferencePlatform, tmp: Path, kills: int, seed: int
) -> tuple[Tally, list[Path]]:
    """``kills`` runs spread over LANES kiosks (outboxes), the lanes side by side."""
    total, paths = Tally(), []
    results: queue.Queue[Tally] = queue.Queue()

    def lane(k: int) -> None:
        rng = random.Random(seed * 100 + k)
        work = tmp / f"lane{k}"
        work.mkdir()
        path = work / ("outbox.db" if kiosk.where == "--db" else "data")
        paths.append(path)
        for n in range(k, kills, LANES):
            if kiosk.module != RUNNER.module:
                delay, after = rng.uniform(*DELAY), ("", 0)
            else:
                line, span = TARGETS[n // LANES % len(TARGETS)]
                delay, after = rng.uniform(*span), (line, rng.randint(1, 2))
            results.put(run_and_kill(kiosk, platform, path, work, n, delay, after))

    threads = [threading.Thread(target=lane, args=(k,)) for k in range(LANES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    while not results.empty():
        total.add(results.get())
    return total, paths


def drain(kiosk: Kiosk, platform: ReferencePlatform, path: Path) -> None:
    proc = subprocess.run(
        kiosk.command(platform, path, "--drain", "--timeout", "60"),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-500:] + proc.stderr[-2000:]
    assert proc.stdout.splitlines()[-1] == "DRAINED 0"


@dataclasses.dataclass(frozen=True)
class Figures:
    kills: int
    landed: dict[str, int]  # where the kills came: in a rating's write, a delivery, a screen
    acknowledged: int  # ratings the kiosk said thank you for
    requests: int  # rating batches the platform received
    deliveries: int  # rating records the platform received, every attempt
    stored: int
    duplicates_delivered: int  # allowed: a batch whose answer was lost goes again
    duplicates_stored: int  # must be 0
    missing: int  # acknowledged but not stored: must be 0
    unknown: int  # stored but never made: must be 0


def settle(kiosk: Kiosk, platform: ReferencePlatform, tally: Tally, paths: list[Path], name: str):
    """Deliver what is left, then count. The figures are printed and kept as an artifact."""
    assert tally.failures == []
    for path in paths:
        drain(kiosk, platform, path)
        with contextlib.closing(sqlite3.connect(kiosk.outbox_file(path))) as conn:
            assert conn.execute("SELECT count(*) FROM outbox WHERE kind = 'rating'").fetchone() == (
                0,
            ), path
            assert conn.execute("SELECT id, reason FROM dead_letters").fetchall() == [], path
    stored = Counter(r[kiosk.key] for r in platform.ratings())
    counts = platform.delivery_counts()
    landed = dict(tally.landed)
    landed |= {"writing a rating": tally.in_enqueue, "delivering": tally.in_delivery}
    if tally.in_outage:
        landed["platform away"] = tally.in_outage
    figures = Figures(
        kills=tally.kills,
        landed={k: v for k, v in sorted(landed.items()) if v},
        acknowledged=len(tally.acked),
        requests=counts.requests,
        deliveries=counts.deliveries,
        stored=counts.stored,
        duplicates_delivered=counts.duplicates_delivered,
        duplicates_stored=counts.duplicates_stored,
        missing=len(tally.acked - set(stored)),
        unknown=len(set(stored) - tally.begun),
    )
    line = json.dumps({"test": name, **dataclasses.asdict(figures)}, ensure_ascii=False)
    print(f"\ncrash-safety: {line}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(line + "\n")
    return figures


def assert_sound(figures: Figures) -> None:
    assert figures.missing == 0, (
        f"{figures.missing} acknowledged ratings never reached the platform"
    )
    assert figures.duplicates_stored == 0, "a rating stored more than once"
    assert figures.unknown == 0, "the platform holds a rating nobody made"
    assert figures.acknowledged <= figures.stored <= figures.deliveries


@pytest.fixture
def platform(tmp_path):
    p = ReferencePlatform(db_path=tmp_path / "platform.db")
    p.start()
    yield p
    p.stop()


def test_hundreds_of_kills_lose_and_double_nothing(platform, tmp_path):
    tally, paths = kill_many(HARNESS, platform, tmp_path, kills=110, seed=1)
    figures = settle(HARNESS, platform, tally, paths, "harness")
    assert figures.kills == 110
    assert figures.acknowledged > 110, "ratings were made and acknowledged"
    assert_sound(figures)
    # the kills landed where they matter, not only in sleeps between ratings
    assert tally.in_enqueue > 0 and tally.in_delivery > 0, tally
    # and some cut a delivery after the platform stored it: those went again, and the
    # platform's duplicate answer (not luck) kept them to one copy
    assert figures.duplicates_delivered > 0, figures


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
        tally, paths = kill_many(HARNESS, platform, tmp_path, kills=60, seed=2)
    finally:
        stop.set()
        faults.join()
        platform.set_faults()
    figures = settle(HARNESS, platform, tally, paths, "harness-outages")
    assert figures.kills == 60
    assert tally.in_outage > 0, "kills landed while the platform was away"
    assert_sound(figures)


def test_the_real_kiosk_runtime_killed_mid_journey(platform, tmp_path):
    """wiring.build_runtime's Runtime and SyncWorker, whole journeys, devices on their transports."""
    tally, paths = kill_many(RUNNER, platform, tmp_path, kills=32, seed=3)
    figures = settle(RUNNER, platform, tally, paths, "kiosk-runtime")
    assert figures.kills == 32
    assert figures.acknowledged >= 16, "journeys reached the thank-you"
    assert_sound(figures)
    # where each kill lands is chance (printed with the figures); that each run reached its
    # line before the kill is not: tally.failures is empty


def test_the_proof_catches_an_outbox_that_acknowledges_before_committing(platform, tmp_path):
    """The same kills against a deliberately broken outbox: the loss must be seen."""
    tally, paths = kill_many(HASTY, platform, tmp_path, kills=16, seed=4)
    figures = settle(HARNESS, platform, tally, paths, "ack-before-commit")
    assert figures.kills == 16
    assert figures.missing > 0, "ratings acknowledged before their commit were lost to kills"
    assert figures.duplicates_stored == 0 and figures.unknown == 0


# ---- a full disk, a read-only file system: a technician's message, and the kiosk goes on ----


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
    import wiring as composition
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
