"""A headless kiosk for the crash test: the real runtime, driven through whole journeys.

``wiring.build_runtime`` wires the Runtime with its real drivers, PlatformClient, Outbox and
SyncWorker exactly as the app does; a plain loop stands in for the Kivy clock (it runs what
the runtime posts, and ticks every half second as the app does). The devices are emulated in
this process, over their real transports: the SAM reader on a pseudo-terminal, the printer on
TCP. The platform runs elsewhere (``--url``; the test's own reference platform), so that it
outlives the kills and counts what arrives.

A journey is a citizen's: a card on the reader, the item list, an item, its certificate
printed, the card taken away, a rating tapped and submitted through ``Runtime.tap``, and the
thank-you (the runtime's ``RatingStored``). Then the next citizen. What it prints, one write
per line (a killed process never leaves half a line behind):

    READY                the runtime runs: kill me now
    STATE <state>        the journey moved to another screen
    RATE <case_no>       the rating is submitted: the outbox is writing it
    ACK <case_no>        the thank-you is on screen: the rating is promised
    AGAIN <why>          a journey did not go through (the platform away, a timeout): next one
    DRAINED <pending>    (--drain) nothing new was made; <pending> ratings are still queued

Run: python -m devkit.kiosk_runner --url http://127.0.0.1:PORT --key HEX --data-dir out/k
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from devkit.people import BY_KEY
from devkit.printer_emulator import PrinterEmulator
from devkit.sam_emulator import SamEmulator
from kiosk import config as cfg
from kiosk.events import Action, Tick
from kiosk.journey import Journey, State
from kiosk.ratings import RatingLevel, reasons_for
from offline.outbox import Kind

DEMO_DEVICE_ID = "SX-TY-0001"  # devkit.platform_server.DEMO_DEVICE_ID, without its imports
CITIZEN = "zhang_wei"
ITEM = "1401002001100100"  # 个人社保参保缴费证明打印: an instant certificate
TICK = 0.5  # seconds, as screens/app.py
STEP_TIMEOUT = 20.0


def say(line: str) -> None:
    """One write(2) per line, straight to the pipe: no buffer to lose when killed."""
    os.write(1, (line + "\n").encode())


class Stuck(Exception):
    """A journey did not reach the next screen in time."""


class Loop:
    """What the Kivy clock is to the app: posted calls run here, on this (the UI) thread."""

    def __init__(self) -> None:
        self.calls: queue.Queue[Callable[[], None]] = queue.Queue()
        self.tick: Callable[[], None] = lambda: None
        self._next_tick = time.monotonic() + TICK

    def call_soon(self, fn: Callable[[], None]) -> None:
        self.calls.put(fn)

    def until(self, ready: Callable[[], bool], what: str, timeout: float = STEP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            now = time.monotonic()
            if now >= deadline:
                raise Stuck(f"no {what} within {timeout:g} s")
            if now >= self._next_tick:
                self._next_tick = now + TICK
                self.tick()
                continue
            with contextlib.suppress(queue.Empty):
                self.calls.get(timeout=min(self._next_tick, deadline) - now)()


def kiosk_config(url: str, key: str, data_dir: Path, sam_path: str, printer: tuple[str, int]):
    host, port = printer
    data = {
        "kiosk": {
            "device_id": DEMO_DEVICE_ID,
            "hall_name": "崩溃测试",
            "region_code": "140100",
            "data_dir": str(data_dir),
        },
        "platform": {"url": url, "device_key": key, "read_timeout": 5.0, "retries": 1},
        "devices": {
            "card_reader": [f"sam+serial://{sam_path}?baud=115200"],
            "printer": f"escpos+tcp://{host}:{port}",
            "qr_scanner": "",
        },
        "printer": {"width_dots": 576, "charset": "GB18030", "qr": "native"},
    }
    return cfg.parse(data, "kiosk_runner", demo=True)


class Citizens:
    """Walks citizens through the kiosk, one after another, and says what happens."""

    def __init__(self, runtime, loop: Loop, sam: SamEmulator, rng: random.Random) -> None:
        self.runtime = runtime
        self.j: Journey = runtime.journey
        self.loop = loop
        self.sam = sam
        self.rng = rng
        self._state: State | None = None
        runtime.listeners.append(self._moved)

    def _moved(self, journey: Journey) -> None:
        if journey.state is not self._state:
            self._state = journey.state
            say(f"STATE {journey.state.value}")

    def at(self, state: State, timeout: float = STEP_TIMEOUT) -> None:
        self.loop.until(lambda: self.j.state is state, f"{state.value} screen", timeout)

    def one(self) -> str:
        """One whole journey; returns the case number rated."""
        j, tap = self.j, self.runtime.tap
        self.at(State.ATTRACT, timeout=60)  # after a restart: the reader comes online first
        self.sam.place_card(BY_KEY[CITIZEN].card())
        self.at(State.ITEMS)
        tap(Action.SELECT_ITEM, ITEM)
        self.loop.until(lambda: j.session is not None and j.session.guide is not None, "guide")
        tap(Action.CONFIRM)
        self.at(State.PREVIEW)
        tap(Action.PRINT)
        self.at(State.TAKE_DOCUMENTS, timeout=40)
        self.sam.remove_card()
        self.at(State.RATING)
        level = self.rng.choice(list(RatingLevel))
        tap(Action.RATE, level.value)
        if level.is_bad:
            tap(Action.REASON, self.rng.choice(sorted(reasons_for(level))))
        case_no = j.session.case.case_no
        say(f"RATE {case_no}")
        tap(Action.SUBMIT_RATING)
        self.at(State.GOODBYE)
        if j.notice:  # the outbox could not store it: the kiosk said so, nothing was promised
            raise Stuck(f"rating not stored: {j.notice}")
        say(f"ACK {case_no}")  # 感谢 on screen
        tap(Action.HOME)
        return case_no

    def recover(self) -> None:
        """After a journey that went wrong: the card away, home, as a citizen would leave."""
        self.sam.remove_card()
        with contextlib.suppress(Stuck):
            self.loop.until(lambda: self.j.state is not State.GOODBYE, "the end of goodbye", 8)
        if self.j.state is not State.ATTRACT:
            self.runtime.tap(Action.HOME)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk_runner", description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="the platform, e.g. http://127.0.0.1:8600")
    p.add_argument("--key", required=True, help="the device key, hexadecimal")
    p.add_argument("--data-dir", required=True, type=Path, help="the kiosk's data directory")
    p.add_argument("--journeys", type=int, default=0, help="stop after this many (0: never)")
    p.add_argument("--seed", type=int, default=None, help="random rating levels")
    p.add_argument("--drain", action="store_true", help="no journeys: deliver what is queued")
    p.add_argument("--timeout", type=float, default=30.0, help="--drain: give up after this")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    import wiring  # the kiosk's own wiring: the runtime exactly as the app builds it

    # the reader's link beside the data directory: a killed runner leaves nothing in /tmp
    devices = args.data_dir.with_name(args.data_dir.name + "-devices")
    devices.mkdir(parents=True, exist_ok=True)
    sam = SamEmulator(baud=115200, link=devices / "idcard-reader")
    printer = PrinterEmulator()
    loop = Loop()
    runtime = None
    try:
        config = kiosk_config(args.url, args.key, args.data_dir, sam.start(), printer.start())
        runtime = wiring.build_runtime(config, loop.call_soon)
        loop.tick = lambda: runtime.dispatch(Tick())
        runtime.start()
        if args.drain:
            say("READY")
            drained = runtime.sync.drain(timeout=args.timeout)
            pending = runtime.outbox.counts().pending.get(Kind.RATING.value, 0)
            say(f"DRAINED {pending}")
            return 0 if drained else 1
        citizens = Citizens(runtime, loop, sam, random.Random(args.seed))
        say("READY")
        done, stuck = 0, 0
        while not args.journeys or done < args.journeys:
            try:
                citizens.one()
            except Stuck as exc:
                stuck += 1
                say(f"AGAIN {exc}")
                if stuck >= 5:
                    print(f"kiosk_runner: {stuck} journeys in a row went wrong", file=sys.stderr)
                    return 1
                citizens.recover()
                continue
            done, stuck = done + 1, 0
        return 0
    finally:
        if runtime is not None:
            runtime.stop()
        printer.stop()
        sam.stop()


if __name__ == "__main__":
    sys.exit(main())
