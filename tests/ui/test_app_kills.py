"""The real Kivy app, killed in the middle of its journeys, loses and doubles no rating.

`kiosk run --demo --headless --script ratings` walks citizens through the app under Xvfb with
real touch events, one after another, and prints "RATE <case>" as the rating is submitted and
"ACK <case>" when the thank-you is on screen. Its process group (the app, its Xvfb) gets
SIGKILL at a chosen moment: in the rating's write, in its delivery, or anywhere in a journey.
The demo's platform died with it, but its SQLite file did not: the test opens that file with a
reference platform of its own, restarts the kiosk's runtime on the killed app's data directory
(devkit/kiosk_runner.py --drain: wiring.build_runtime, as the app builds it) to deliver what is
left, and counts. A Kivy app starts in seconds, not milliseconds, so there are few kills here;
the hundreds are in tests/integration/test_crash_safety.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devkit.platform_server import DEMO_DEVICE_KEY, ReferencePlatform

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "app-kills"
APP = [sys.executable, "-m", "main", "run", "--demo", "--headless", "--script", "ratings"]
RUNNER = [sys.executable, "-m", "devkit.kiosk_runner", "--key", DEMO_DEVICE_KEY.hex()]
STEP = re.compile(r"^\[ratings\] \d+ (\S+)\s+(.*)$")  # the autopilot's: screen, what it did
LINE = re.compile(r"\] \d+ (\S+)\s+(RATE|ACK) (\S+)$")
# (what to wait for in the console, how many of it, then seconds until the kill)
PLANS = (
    ("RATE", 2, (0.0, 0.05)),  # the second rating being written, or its first delivery
    ("ACK", 1, (0.0, 0.5)),  # just after the thank-you: the delivery on its way
    ("ACK", 1, (0.5, 4.0)),  # anywhere in the next citizen's journey
)

pytestmark = pytest.mark.ui


def said(console: Path) -> list[tuple[str, str, str]]:
    """(screen, RATE|ACK, case number) in order; a line cut by the kill does not count."""
    lines = console.read_bytes().decode(errors="replace").split("\n")[:-1]
    return [m.groups() for line in lines if (m := LINE.search(line))]


def kill_the_app(out: Path, plan: tuple[str, int, tuple[float, float]], rng) -> str:
    """Run the app until the plan says, SIGKILL its process group; returns where it was."""
    word, count, delay = plan
    console = out.with_suffix(".txt")
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    with console.open("wb") as sink:
        proc = subprocess.Popen(
            [*APP, "--out", str(out)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while sum(1 for _, w, _ in said(console) if w == word) < count:
            assert proc.poll() is None, console.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, console.read_text(errors="replace")[-3000:]
            time.sleep(0.005)
        time.sleep(rng.uniform(*delay))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    steps = console.read_bytes().decode(errors="replace").split("\n")[:-1]
    last = next(m for line in reversed(steps) if (m := STEP.search(line)))
    if last.group(2).startswith("RATE"):
        return "writing the rating"
    if last.group(2).startswith("ACK"):
        return "just after the thank-you"
    return f"{last.group(1)} ({last.group(2)})"


def restart_and_count(out: Path) -> dict:
    """The killed app's platform file served again, its outbox delivered by the kiosk's
    runtime on the same data directory; then what the platform holds."""
    data = out / "demo" / "data"
    with ReferencePlatform(db_path=out / "demo" / "platform.db") as platform:
        proc = subprocess.run(
            [*RUNNER, "--url", platform.url, "--data-dir", str(data), "--drain"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert proc.returncode == 0, proc.stdout[-500:] + proc.stderr[-2000:]
        assert proc.stdout.splitlines()[-1] == "DRAINED 0"
        counts = platform.delivery_counts()
        stored = [r["case_no"] for r in platform.ratings()]
    with contextlib.closing(sqlite3.connect(data / "outbox.db")) as db:
        assert db.execute("SELECT count(*) FROM outbox WHERE kind='rating'").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM dead_letters").fetchone() == (0,)
    return {"counts": counts, "stored": stored}


def test_the_real_app_killed_mid_journey_loses_and_doubles_nothing():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    figures = {"kills": 0, "landed": [], "acknowledged": 0, "deliveries": 0, "stored": 0}
    figures |= {"duplicates_delivered": 0, "duplicates_stored": 0, "missing": 0}
    for n, plan in enumerate(PLANS):
        out = ARTIFACTS / f"run{n}"
        figures["landed"].append(kill_the_app(out, plan, rng))
        acked = {case for _, word, case in said(out.with_suffix(".txt")) if word == "ACK"}
        made = {case for _, word, case in said(out.with_suffix(".txt")) if word == "RATE"}
        seen = restart_and_count(out)
        counts = seen["counts"]
        figures["kills"] += 1
        figures["acknowledged"] += len(acked)
        figures["deliveries"] += counts.deliveries
        figures["stored"] += counts.stored
        figures["duplicates_delivered"] += counts.duplicates_delivered
        figures["duplicates_stored"] += counts.duplicates_stored
        figures["missing"] += len(acked - set(seen["stored"]))
        assert set(seen["stored"]) <= made, "the platform holds a rating nobody made"
    line = json.dumps({"test": "kivy-app", **figures}, ensure_ascii=False)
    print(f"\ncrash-safety: {line}")
    (ARTIFACTS / "figures.json").write_text(line + "\n")
    assert figures["acknowledged"] >= len(PLANS)
    assert figures["missing"] == 0, "acknowledged ratings never reached the platform"
    assert figures["duplicates_stored"] == 0, "a rating stored more than once"
