"""A headless kiosk for the crash test and the privacy audit: the real runtime, whole journeys.

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
    JOURNEY <n> <kind> <outcome>   (--citizens) synthetic citizen n's journey is over
    DONE <n>             (--citizens) every citizen was served; the kiosk stops (with --hold:
                         once its stdin is closed)

With ``--citizens N`` (the privacy audit, tests/integration/test_privacy_audit.py) it serves N
distinct synthetic citizens (devkit.privacy_audit.citizens: the platform must know them), one
journey each, of varying kinds (JOURNEY_KINDS: printed or not, rated with reasons or skipped, the
card taken away early, an expired card, a failing platform, paper running out, a spoilt card
read), and logs at ``--log`` level through kiosk/logs.py into the data directory. ``--leak``
makes it a deliberately leaky kiosk, which the audit must catch.

Run: python -m devkit.kiosk_runner --url http://127.0.0.1:PORT --key HEX --data-dir out/k
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import queue
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from devkit.people import BY_KEY, DemoCitizen
from devkit.printer_emulator import PrinterEmulator
from devkit.sam_emulator import Fault, SamEmulator
from kiosk import config as cfg
from kiosk.complaints import Category, Complaint
from kiosk.devices import DeviceKind
from kiosk.events import Action, CardRemoved, Tick
from kiosk.journey import Journey, State
from kiosk.ratings import DIMENSIONS, RatingLevel, reasons_for
from offline.outbox import Kind

DEMO_DEVICE_ID = "SX-TY-0001"  # devkit.platform_server.DEMO_DEVICE_ID, without its imports
CITIZEN = "zhang_wei"
ITEM = "1401002001100100"  # 个人社保参保缴费证明打印: an instant certificate
TICK = 0.5  # seconds, as screens/app.py
STEP_TIMEOUT = 20.0
# --citizens: the kinds of journey, in turn, so that every path that may write to disk is taken
JOURNEY_KINDS = (
    "print",  # the certificate printed, the card taken, rated (reasons when the level is bad)
    "no_print",  # 不打印 on the preview, 我已取走, rated, the card taken on goodbye
    "card_removed",  # the card taken away on the item list: the session ends at once
    "skip_rating",  # printed, the rating skipped
    "expired_card",  # the card expired yesterday: refused before any session
    "platform_error",  # the platform answers 500 to the case: the error screen, then 重试
    "print",
    "paper_out",  # the paper ends in the middle of the certificate: 重新打印 after a refill
    "read_fault",  # the card read spoilt on the line: placed again
    "no_print",
)
LEAKS = ("log", "tempfile", "outbox", "elsewhere", "complaint")


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


class Leak:
    """A deliberately leaky kiosk (``--leak``), so that the privacy audit is seen to fail: the
    citizen's name logged at DEBUG (``log``); name and number in a temporary file, in
    UTF-16-LE, GBK/GB18030 and JSON escapes (``tempfile``); both in a device event of the
    outbox, which is delivered and deleted, leaving only SQLite's pages behind (``outbox``);
    the number in a file beside the folder that holds the data directory (``elsewhere``), where
    only a record of what the process wrote can point; a complaint with the citizen's mobile
    number stored in clear, not sealed (``complaint``)."""

    def __init__(self, kinds: list[str], data_dir: Path) -> None:
        self.kinds = set(kinds)
        self.elsewhere = data_dir.resolve().parent.parent / "left-behind.txt"

    def seen(self, citizen: DemoCitizen, runtime) -> None:
        if "log" in self.kinds:
            logging.getLogger("kiosk.runtime").debug("serving %s", citizen.name)
        if "tempfile" in self.kinds:
            try:
                gbk = citizen.name.encode("gbk")
            except UnicodeEncodeError:
                gbk = citizen.name.encode("gb18030")
            data = [citizen.name.encode("utf-16-le"), gbk, json.dumps(citizen.name).encode()]
            data.append(citizen.number.encode("utf-16-le"))
            with tempfile.NamedTemporaryFile("wb", prefix="kiosk-", delete=False) as f:
                f.write(b"\n".join(data))
        if "outbox" in self.kinds:
            event = {"event": "leak", "who": citizen.name, "number": citizen.number}
            runtime.outbox.enqueue(Kind.EVENT, str(uuid.uuid4()), event)
        if "complaint" in self.kinds:
            from devkit import privacy_audit

            complaint = Complaint(
                complaint_id=str(uuid.uuid4()),
                category=Category.OTHER,
                phrases=("guidance",),
                submitted_at=dt.datetime.now().astimezone(),
                device_id=runtime.config.device_id,
                region_code=runtime.config.region_code,
                phone=privacy_audit.phone_of(citizen),
                consent=True,
            )
            runtime.outbox.enqueue(Kind.COMPLAINT, complaint.complaint_id, complaint.to_json())
        if "elsewhere" in self.kinds:
            with self.elsewhere.open("a") as f:
                f.write(citizen.number + "\n")


class Citizens:
    """Walks citizens through the kiosk, one after another, and says what happens."""

    def __init__(
        self,
        runtime,
        loop: Loop,
        sam: SamEmulator,
        rng: random.Random,
        printer: PrinterEmulator | None = None,
    ) -> None:
        self.runtime = runtime
        self.j: Journey = runtime.journey
        self.loop = loop
        self.sam = sam
        self.rng = rng
        self.printer = printer
        self.removals = 0  # CardRemoved events seen (the journey may ignore them)
        runtime.record = self._recorded
        self._state: State | None = None
        runtime.listeners.append(self._moved)

    def _recorded(self, event: object, now: object) -> None:
        if isinstance(event, CardRemoved):
            self.removals += 1

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

    # ---- --citizens: one journey per synthetic citizen, of varying kinds ---------------------

    def serve(self, citizen: DemoCitizen, kind: str, leak: Leak) -> str:
        """One journey of ``kind`` for ``citizen``; returns how it went (a word)."""
        card = citizen.card()
        leak.seen(citizen, self.runtime)
        if kind == "expired_card":
            card.valid_to = dt.date.today() - dt.timedelta(days=1)
            self.sam.place_card(card)
            self.at(State.ERROR)
            self.runtime.tap(Action.HOME)
            self.at(State.ATTRACT)
            self.sam.remove_card()
            # then a complaint from the attract screen while complaints cannot reach the
            # platform: it waits in the outbox, sealed, and goes at the next round
            self.platform_fault(failure_rate=1, failure_status=503, count=1, path="/v1/complaints")
            self.complain(citizen)
            return "refused"
        outcome = "done"
        if kind == "read_fault":
            self.sam.inject_fault(Fault.BAD_CHECKSUM)
            self.sam.place_card(card)
            self.at(State.ERROR)
            removed = self.removals
            self.sam.remove_card()  # the SAM did read it: the citizen puts the card down again
            self.loop.until(lambda: self.removals > removed, "the card seen gone")
            card, outcome = citizen.card(), "read_again"
        self.sam.place_card(card)
        self.at(State.ITEMS)
        if kind == "card_removed":
            self.sam.remove_card()
            self.at(State.ATTRACT)
            return "left"
        if kind == "platform_error":
            self.platform_fault(failure_rate=1, failure_status=500, count=1, path="/v1/cases")
        self.choose_item()
        if kind == "platform_error" and self.j.state is State.ERROR:
            outcome = "retried"
            self.runtime.tap(Action.RETRY)
            self.at(State.PREVIEW)
        if kind == "no_print":
            self.runtime.tap(Action.NO_PRINT)
            self.at(State.TAKE_DOCUMENTS)
            self.runtime.tap(Action.DOCUMENTS_TAKEN)
            self.at(State.RATING)
        else:
            if kind == "paper_out":
                self.printer.run_out_of_paper_after(400)
            self.runtime.tap(Action.PRINT)
            self.loop.until(
                lambda: self.j.state in (State.TAKE_DOCUMENTS, State.ERROR), "the paper", 40
            )
            if self.j.state is State.ERROR:
                outcome = "reprinted"
                self.printer.set_state()  # staff refill the paper, the citizen taps 重新打印
                self.runtime.tap(Action.RETRY)
                self.at(State.TAKE_DOCUMENTS, timeout=40)
            self.sam.remove_card()
            self.at(State.RATING)
        if kind == "skip_rating":
            self.runtime.tap(Action.SKIP_RATING)
        else:
            self.rate()
        self.at(State.GOODBYE)
        self.sam.remove_card()
        if kind == "skip_rating":  # 投诉与建议 from goodbye instead, with a callback number
            self.complain(citizen)
            return outcome
        self.runtime.tap(Action.HOME)
        self.at(State.ATTRACT)
        return outcome

    def complain(self, citizen: DemoCitizen) -> None:
        """投诉与建议 (from the attract or the goodbye screen) with the citizen's mobile number
        typed on the keypad, consent given; back on the attract screen."""
        from devkit.privacy_audit import phone_of

        tap = self.runtime.tap
        tap(Action.COMPLAINT)
        self.at(State.COMPLAINT)
        category = self.rng.choice(list(Category))
        tap(Action.COMPLAINT_CATEGORY, category.value)
        tap(Action.COMPLAINT_PHRASE, category.phrases[0])
        for digit in phone_of(citizen):
            tap(Action.COMPLAINT_DIGIT, digit)
        tap(Action.COMPLAINT_CONSENT)
        tap(Action.SUBMIT_COMPLAINT)
        self.at(State.COMPLAINT_SENT)
        if self.j.notice:
            raise Stuck(f"complaint not stored: {self.j.notice}")
        tap(Action.HOME)
        self.at(State.ATTRACT)

    def choose_item(self) -> None:
        """An item this citizen may do here, its guide, its pledge if it has one, 确认办理."""
        s = self.j.session
        usable = [i for i in s.items if not self.j.item_blocked_reason(i)]
        item = self.rng.choice(usable)
        self.runtime.tap(Action.SELECT_ITEM, item.item_code)
        self.loop.until(lambda: s.guide is not None, "the guide")
        if s.guide.pledge_text:
            self.runtime.tap(Action.PLEDGE)
        self.runtime.tap(Action.CONFIRM)
        self.loop.until(lambda: self.j.state in (State.PREVIEW, State.ERROR), "the case")

    def rate(self) -> None:
        level = self.rng.choice(list(RatingLevel))
        self.runtime.tap(Action.RATE, level.value)
        if level.is_bad:
            for reason in self.rng.sample(sorted(reasons_for(level)), 2):
                self.runtime.tap(Action.REASON, reason)
        if self.rng.random() < 0.3:
            dimension = self.rng.choice(sorted(DIMENSIONS))
            self.runtime.tap(Action.DIMENSION, f"{dimension}:{level.value}")
        self.runtime.tap(Action.SUBMIT_RATING)

    def platform_fault(self, **faults) -> None:
        """The reference platform's own fault switch (/devkit/faults: unsigned, devkit only)."""
        import requests

        url = self.runtime.platform.base_url + "/devkit/faults"
        requests.post(url, json=faults, timeout=5).raise_for_status()

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
    p.add_argument(
        "--citizens",
        type=int,
        default=0,
        help="serve this many synthetic citizens (the platform must know them), then stop",
    )
    p.add_argument("--citizen-seed", type=int, default=1, help="--citizens: whose")
    p.add_argument(
        "--log",
        choices=("debug", "info"),
        default=None,
        help="log through kiosk/logs.py into <data-dir>/logs at this level",
    )
    p.add_argument(
        "--hold",
        action="store_true",
        help="--citizens: after DONE, keep running until stdin is closed",
    )
    p.add_argument(
        "--leak",
        action="append",
        choices=LEAKS,
        default=[],
        help="a deliberately leaky kiosk, for proving the privacy audit (repeatable)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    import wiring  # the kiosk's own wiring: the runtime exactly as the app builds it
    from kiosk import logs

    if args.log:
        level = logging.DEBUG if args.log == "debug" else logging.INFO
        logs.setup(args.data_dir / "logs", console_level=logging.WARNING, file_level=level)

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
        if args.citizens:
            return serve_citizens(args, runtime, loop, sam, printer)
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


def serve_citizens(args, runtime, loop: Loop, sam: SamEmulator, printer: PrinterEmulator) -> int:
    """--citizens: each synthetic citizen once, the journey's kind in turn; then deliver."""
    from devkit import privacy_audit

    served = privacy_audit.citizens(args.citizens, args.citizen_seed)
    citizens = Citizens(runtime, loop, sam, random.Random(args.citizen_seed), printer)
    leak = Leak(args.leak, args.data_dir)
    say("READY")
    citizens.at(State.ATTRACT, timeout=60)
    # the printer's first answer: python-escpos is loaded (it points tempfile elsewhere meanwhile)
    loop.until(lambda: runtime.journey.statuses(DeviceKind.PRINTER), "the printer", 30)
    for n, citizen in enumerate(served):
        kind = JOURNEY_KINDS[n % len(JOURNEY_KINDS)]
        try:
            outcome = citizens.serve(citizen, kind, leak)
        except Stuck as exc:
            say(f"AGAIN {n} {exc}")
            citizens.recover()
            outcome = "stuck"
        say(f"JOURNEY {n} {kind} {outcome}")
    runtime.sync.poke()
    drained = runtime.sync.drain(timeout=30)
    say(f"DONE {len(served)}")
    if args.hold:  # the audit copies the files as they are while the kiosk runs (SQLite's WAL)
        sys.stdin.read()
    return 0 if drained else 1


if __name__ == "__main__":
    sys.exit(main())
