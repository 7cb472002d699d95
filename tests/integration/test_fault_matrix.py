"""The fault matrix (docs/faults.md): every row a test, over the real transports.

Each test runs the kiosk's runtime as wiring.build_runtime builds it, against the demo stack on
loopback (the reference platform over HTTP, the SAM emulator on a pseudo-terminal, the printer
emulator on TCP), walks a citizen to where the fault bites, causes the fault the way the world
would (the platform told to refuse, stall, fail or garble; the printer's paper or cover or
cable; the reader's cable; a full file system; the wall clock), and asserts what the citizen
sees (the journey's state, the error's title and text), what is kept (the session, the case,
the rating, nothing printed or made twice) and what a technician sees (the log, the heartbeat
at the platform). The last test holds docs/faults.md and this file to each other.

Texts are compared through the constants the code uses (kiosk/messages.py, CODE_MESSAGES,
citizen_message_for); the error titles written inline in the journey's phase modules are
compared as written there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import time
from pathlib import Path

import pytest

import wiring
from devkit.demo import DemoStack
from devkit.loop import Loop
from kiosk import messages
from kiosk.devices import DeviceKind, Paper, PrinterCondition
from kiosk.events import Action, CardFault, Tick
from kiosk.journey import State, submit_print
from kiosk.journey import rating as rating_phase
from kiosk.platform import CODE_MESSAGES, ErrorKind, citizen_message_for
from offline.outbox import Kind, OutboxError

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SOCIAL_INSURANCE = "1401002001100100"  # 个人社保参保缴费证明打印: an instant certificate
MATRIX = ROOT / "docs/faults.md"


@dataclasses.dataclass
class Kiosk:
    runtime: object
    loop: Loop
    stack: DemoStack

    @property
    def j(self):
        return self.runtime.journey

    def at(self, state: State, timeout: float = 15.0) -> None:
        self.loop.until(lambda: self.j.state is state, f"the {state.value} screen", timeout)

    def tap(self, action: Action, arg: str = "") -> None:
        self.runtime.tap(action, arg)

    def to_items(self, citizen: str = "zhang_wei") -> None:
        self.stack.place_card(citizen)
        self.at(State.ITEMS)

    def to_detail(self, item: str = SOCIAL_INSURANCE) -> None:
        self.to_items()
        self.tap(Action.SELECT_ITEM, item)
        self.loop.until(lambda: self.j.session.guide is not None, "the guide")

    def to_preview(self) -> None:
        self.to_detail()
        self.tap(Action.CONFIRM)
        self.at(State.PREVIEW)

    def printer_noticed(self, problem) -> None:
        self.loop.until(
            lambda: any(problem(s) for s in self.j.statuses(DeviceKind.PRINTER)),
            "the printer's trouble noticed",
        )

    def staff_alert_at_platform(self, problem: str) -> None:
        """The hall's staff learn it through the heartbeat: the platform has the event."""
        platform = self.stack.platform
        self.loop.until(
            lambda: any(e.get("problem") == problem for e in platform.device_events("staff_alert")),
            f"a staff alert {problem} at the platform",
        )


@pytest.fixture
def stack(tmp_path):
    s = DemoStack(tmp_path / "demo", social_cards=False).reset().start()
    yield s
    s.stop()


@pytest.fixture
def make_kiosk(stack):
    """A started runtime with the stack's addresses; ``platform``/``data_dir``/``wall_clock``
    change what the configuration or the wiring would."""
    made = []

    def make(*, data_dir: Path | None = None, wall_clock=time.time, **platform) -> Kiosk:
        """Started, with the published list on screen unless the clock is off (the platform
        then refuses every call)."""
        config = stack.config()
        if platform:
            config = dataclasses.replace(
                config, platform=dataclasses.replace(config.platform, **platform)
            )
        if data_dir is not None:
            config = dataclasses.replace(config, data_dir=data_dir)
        loop = Loop()
        runtime = wiring.build_runtime(config, loop.call_soon, wall_clock=wall_clock)
        runtime.heartbeat_interval = 0.3  # the technician's view arrives within a second
        runtime.printer_poll_interval = 0.2
        runtime.start()
        made.append(runtime)
        kiosk = Kiosk(runtime, loop, stack)
        if wall_clock is time.time:
            kiosk.loop.until(lambda: kiosk.j.catalogue is not None, "the published list")
        return kiosk

    yield make
    for runtime in made:
        runtime.stop()


def cases_for(stack: DemoStack, request_id: str) -> list[dict]:
    return [c for c in stack.platform.cases() if c["request_id"] == request_id]


def logged(caplog, pattern: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if re.search(pattern, r.getMessage())]


# ---- the platform --------------------------------------------------------------------------


def test_platform_down_when_a_card_arrives(make_kiosk, stack, caplog):
    caplog.set_level(logging.INFO)
    k = make_kiosk()
    stack.platform.set_faults(mode="refuse")
    k.loop.until(lambda: not k.j.platform_reachable, "the outage noticed")
    assert k.j.state is State.ATTRACT and k.j.banners, "the attract screen says so"
    k.stack.place_card("zhang_wei")
    k.at(State.ERROR)
    assert k.j.error.title == "暂时无法核验身份" and k.j.error.retry is None
    assert k.j.session is None, "the card's contents were dropped at once"
    assert stack.platform.cases() == []
    assert logged(caplog, r"heartbeat refused or lost: PUT /v1/devices/.*ConnectionError")
    stack.platform.set_faults()
    k.loop.until(lambda: k.j.platform_reachable, "the platform back")
    assert logged(caplog, "heartbeat: the platform answers again")
    k.stack.remove_card()
    k.tap(Action.HOME)
    k.to_items()


def test_platform_down_at_submit(make_kiosk, stack, caplog):
    caplog.set_level(logging.INFO)
    k = make_kiosk()
    k.to_detail()
    request_id = k.j.session.request_id
    stack.platform.set_faults(mode="refuse")
    k.tap(Action.CONFIRM)
    k.at(State.ERROR)
    assert k.j.error.title == "办理未完成"
    assert k.j.error.text == citizen_message_for("", ErrorKind.UNREACHABLE)
    assert k.j.error.retry_state is State.SUBMITTING, "重试 is offered"
    assert k.j.session.request_id == request_id, "the session and its request are kept"
    assert logged(caplog, r"submit failed: unreachable POST /v1/cases")
    stack.platform.set_faults()
    k.tap(Action.RETRY)
    k.at(State.PREVIEW)
    (case,) = cases_for(stack, request_id)
    assert case["case_no"] == k.j.session.case.case_no


def test_platform_slow_beyond_the_timeout(make_kiosk, stack, caplog):
    """The platform makes the case but answers after the kiosk stopped waiting: the retry asks
    with the same request id and gets that case, never a second one."""
    caplog.set_level(logging.INFO)
    k = make_kiosk(read_timeout=1.0)
    k.to_detail()
    request_id = k.j.session.request_id
    stack.platform.set_faults(latency_ms=2500, path="/v1/cases")
    k.tap(Action.CONFIRM)
    k.at(State.ERROR)
    assert k.j.error.title == "办理未完成"
    assert k.j.error.text == citizen_message_for("", ErrorKind.TIMEOUT)
    assert k.j.error.retry_state is State.SUBMITTING
    assert logged(caplog, r"submit failed: timeout POST /v1/cases")
    stack.platform.set_faults()
    k.loop.until(lambda: len(cases_for(stack, request_id)) == 1, "the late case made")
    k.tap(Action.RETRY)
    k.at(State.PREVIEW)
    (case,) = cases_for(stack, request_id)
    assert case["case_no"] == k.j.session.case.case_no


def test_platform_answers_500(make_kiosk, stack, caplog):
    caplog.set_level(logging.INFO)
    k = make_kiosk()
    stack.platform.set_faults(
        failure_rate=1, failure_status=500, count=1, path="/v1/identity/verify"
    )
    stack.place_card("zhang_wei")
    k.at(State.ERROR)
    assert k.j.error.title == "身份核验未完成"
    assert k.j.error.text == citizen_message_for("", ErrorKind.SERVER)
    assert k.j.error.retry_state is State.VERIFYING, "重试, with the card still in memory"
    assert k.j.session is not None and k.j.session.card is not None
    assert logged(caplog, r"verify failed: server POST /v1/identity/verify: HTTP 500")
    k.tap(Action.RETRY)
    k.at(State.ITEMS)
    assert k.j.session.card is None, "forgotten once verified"


def test_platform_answers_malformed_json(make_kiosk, stack, caplog):
    caplog.set_level(logging.INFO)
    k = make_kiosk()
    stack.platform.set_faults(reply="malformed_json", count=1, path="/v1/identity/verify")
    stack.place_card("zhang_wei")
    k.at(State.ERROR)
    assert k.j.error.title == "身份核验未完成"
    assert k.j.error.text == citizen_message_for("", ErrorKind.INVALID_REPLY)
    assert k.j.session is None, "nothing kept: the card is placed again"
    assert logged(caplog, r"verify failed: invalid_reply POST /v1/identity/verify: .*not JSON")
    stack.remove_card()
    k.tap(Action.HOME)
    k.to_items()


def test_platform_answers_the_wrong_schema(make_kiosk, stack, caplog):
    """The case is made, its answer garbled by a gateway: the kiosk must not lose that case,
    and 重试 (the same request id) fetches it without making another."""
    caplog.set_level(logging.INFO)
    k = make_kiosk()
    k.to_detail()
    request_id = k.j.session.request_id
    stack.platform.set_faults(reply="wrong_schema", count=1, path="/v1/cases")
    k.tap(Action.CONFIRM)
    k.at(State.ERROR)
    assert k.j.error.title == "办理未完成"
    assert k.j.error.text == citizen_message_for("", ErrorKind.INVALID_REPLY)
    assert logged(caplog, r"submit failed: invalid_reply POST /v1/cases: .*case_no")
    assert len(cases_for(stack, request_id)) == 1, "the platform did make the case"
    assert k.j.error.retry_state is State.SUBMITTING, "重试 is offered: it is harmless"
    k.tap(Action.RETRY)
    k.at(State.PREVIEW)
    (case,) = cases_for(stack, request_id)
    assert case["case_no"] == k.j.session.case.case_no


# ---- the printer ---------------------------------------------------------------------------


def test_paper_out_before_printing(make_kiosk, stack):
    """Seen before the decision: the preview holds 打印 with the reason (one outcome, whatever
    the poll's timing), nothing is sent, and the same case prints once the roll is new."""
    k = make_kiosk()
    k.to_preview()
    case_no = k.j.session.case.case_no
    stack.printer.set_state(paper="out")
    k.printer_noticed(lambda s: s.paper is Paper.OUT)
    assert k.j.printer_hold == messages.printer_hold_reason(PrinterCondition.PAPER_OUT)
    assert k.j.printer_hold_notice == messages.printer_hold_notice(PrinterCondition.PAPER_OUT)
    k.tap(Action.PRINT)  # held: the tap does nothing
    k.loop.run_for(0.5)
    assert k.j.state is State.PREVIEW and k.j.error is None
    assert stack.printer.jobs == [] and stack.printer.rejected == b"", "nothing sent"
    k.staff_alert_at_platform("paper_out")
    stack.printer.set_state()  # staff put a new roll in: the button is released by itself
    k.printer_noticed(lambda s: s.paper is not Paper.OUT)
    assert k.j.printer_hold == ""
    k.tap(Action.PRINT)
    k.at(State.TAKE_DOCUMENTS, timeout=30)
    assert k.j.session.case.case_no == case_no, "the same case"
    assert len([job for job in stack.printer.jobs if job.cut]) == 1


def test_paper_out_during_the_job(make_kiosk, stack):
    k = make_kiosk()
    k.to_preview()
    document = k.j.session.case.document
    stack.printer.run_out_of_paper_after(600)
    k.tap(Action.PRINT)
    k.at(State.ERROR, timeout=30)
    assert k.j.error.title == "打印未完成"
    assert messages.printer_hold_notice(PrinterCondition.PAPER_OUT) in k.j.error.text
    assert document.case_no in k.j.error.text
    assert k.j.error.retry_label == submit_print.REPRINT
    k.staff_alert_at_platform("paper_out")
    stack.printer.set_state()  # staff put a new roll in
    k.tap(Action.RETRY)
    k.at(State.TAKE_DOCUMENTS, timeout=30)
    whole = [job for job in stack.printer.jobs if job.cut]
    assert len(whole) == 1 and document.verification_code in whole[0].text


def test_cover_open(make_kiosk, stack):
    """As paper out before the job: 打印 held with the reason; closed, the same case prints
    once."""
    k = make_kiosk()
    k.to_preview()
    request_id = k.j.session.request_id
    stack.printer.set_state(cover_open=True)
    k.printer_noticed(lambda s: s.cover_open)
    assert k.j.printer_hold == messages.printer_hold_reason(PrinterCondition.COVER_OPEN)
    k.tap(Action.PRINT)  # held
    k.loop.run_for(0.5)
    assert k.j.state is State.PREVIEW and stack.printer.jobs == []
    k.staff_alert_at_platform("cover_open")
    stack.printer.set_state()  # closed by the staff
    k.loop.until(lambda: k.j.printer_usable, "the printer back")
    k.tap(Action.PRINT)
    k.at(State.TAKE_DOCUMENTS, timeout=30)
    assert len(cases_for(stack, request_id)) == 1
    assert len(stack.printer.jobs) == 1


def test_printer_disconnected_mid_job(make_kiosk, stack, caplog):
    caplog.set_level(logging.INFO)
    k = make_kiosk()
    k.to_preview()
    document = k.j.session.case.document
    stack.printer.drop_connection_after(600)
    k.tap(Action.PRINT)
    k.at(State.ERROR, timeout=30)
    assert k.j.error.title == "打印未完成"
    assert document.case_no in k.j.error.text
    assert k.j.error.retry_label == submit_print.REPRINT, "reprinted only if the citizen asks"
    assert logged(caplog, r"job .* broke off after \d+ of \d+ bytes")
    k.tap(Action.RETRY)
    k.at(State.TAKE_DOCUMENTS, timeout=30)
    cut_short, whole = stack.printer.jobs
    assert not cut_short.cut and whole.cut and document.verification_code in whole.text


# ---- the reader ----------------------------------------------------------------------------


def test_reader_unplugged_mid_read(make_kiosk, stack, caplog):
    caplog.set_level(logging.INFO)
    k = make_kiosk()
    stack.sam.reply_delay = 0.8  # the card's read reply is on its way…
    stack.place_card("zhang_wei")
    k.at(State.IDENTIFYING)
    stack.sam.unplug()  # …and the USB cable is pulled
    k.at(State.ERROR)
    gone = messages.CARD_FAULTS[CardFault.DEVICE_GONE]
    assert (k.j.error.title, k.j.error.text) == (gone.title, gone.text)
    assert k.j.session is None
    k.loop.until(lambda: not k.j.reader_usable, "the reader's state")
    assert logged(caplog, r"SAM reader no_device: port failed")
    k.loop.until(
        lambda: any(
            d["status"]["devices"].get("card_reader:sam", {}).get("state") == "no_device"
            for d in stack.platform.devices_seen()
        ),
        "the heartbeat's word at the platform",
    )
    k.tap(Action.HOME)
    k.at(State.OUT_OF_SERVICE)
    stack.sam.reply_delay = 0.0
    stack.sam.replug()
    k.at(State.ATTRACT)
    stack.remove_card()
    k.to_items()


# ---- the disk ------------------------------------------------------------------------------


def test_disk_full(make_kiosk, stack, tmpfs, caplog):
    caplog.set_level(logging.INFO)
    k = make_kiosk(data_dir=tmpfs / "data")
    k.to_preview()
    k.tap(Action.PRINT)
    k.at(State.TAKE_DOCUMENTS, timeout=30)
    stack.remove_card()
    k.at(State.RATING)
    stored_before = k.runtime.outbox.counts().pending.get(Kind.RATING.value, 0)
    filler = tmpfs / "filler"
    with filler.open("wb", buffering=0) as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 4096)
    with contextlib.suppress(OutboxError):  # the last free pages
        for i in range(1000):
            k.runtime.outbox.enqueue(Kind.EVENT, f"pad-{i}", {"pad": "x" * 2000})
    k.tap(Action.RATE, "satisfied")
    k.tap(Action.SUBMIT_RATING)
    k.at(State.GOODBYE)
    assert k.j.notice == rating_phase.NOT_STORED, "a polite word, nothing for the citizen to do"
    assert "disk is full" in k.runtime.outbox.problem
    assert logged(caplog, r"rating not stored: .*disk is full")
    k.loop.until(
        lambda: any(
            "disk is full" in d["status"].get("outbox_problem", "")
            for d in stack.platform.devices_seen()
        ),
        "the heartbeat's word at the platform",
    )
    assert k.runtime.outbox.counts().pending.get(Kind.RATING.value, 0) == stored_before
    filler.unlink()  # a technician frees the disk
    assert k.runtime.outbox.enqueue(Kind.RATING, "after-the-fix", {}) is True
    assert k.runtime.outbox.problem == ""


# ---- the clock -----------------------------------------------------------------------------


def test_wall_clock_jumps_change_no_deadline(make_kiosk, stack):
    """An NTP step or a hand-set clock moves the wall clock by an hour either way: the
    citizen's time limit stays where the monotonic clock put it."""
    wall = [0.0]
    k = make_kiosk(wall_clock=lambda: time.time() + wall[0])
    mono = [0.0]
    k.runtime.clock = lambda: time.monotonic() + mono[0]
    k.to_items()
    deadline = k.j.deadline
    for jump in (3600.0, -3600.0, 86_400.0, -86_400.0):
        wall[0] = jump
        k.runtime.dispatch(Tick())
        assert (k.j.state, k.j.deadline) == (State.ITEMS, deadline), jump
        assert not k.j.warning(k.runtime.clock())
    assert k.j.session is not None, "the session is kept"
    mono[0] = deadline - time.monotonic() + 0.1  # the monotonic clock passes the limit
    k.runtime.dispatch(Tick())
    assert k.j.state is State.ATTRACT and k.j.session is None
    assert k.j.notice == messages.SESSION_TIMEOUT.text


def test_clock_off_by_more_than_five_minutes(make_kiosk, stack, caplog):
    """The platform refuses signatures more than 5 minutes off: the citizen is told the
    kiosk's clock is wrong, and the technician how far and which way (from the reply's Date)."""
    caplog.set_level(logging.INFO)
    off = [600.0]
    k = make_kiosk(wall_clock=lambda: time.time() + off[0])
    for sign, word in ((1, "ahead of"), (-1, "behind")):
        off[0] = sign * 600.0
        caplog.clear()
        stack.place_card("zhang_wei")
        k.at(State.ERROR)
        assert k.j.error.title == "身份核验未完成"
        assert k.j.error.text == CODE_MESSAGES["clock_skew"]
        assert k.j.session is None
        (line,) = logged(caplog, r"verify failed: unauthorised POST .*HTTP 401 \(clock_skew")
        seconds = re.search(rf"the kiosk's clock is (\d+) s {word} the platform's", line)
        assert seconds is not None, line
        assert 598 <= int(seconds.group(1)) <= 602
        if sign > 0:  # the heartbeat says it once, not at every beat
            k.loop.until(
                lambda: logged(caplog, r"heartbeat refused or lost: .*clock is \d+ s ahead of"),
                "the heartbeat's log line",
            )
        stack.remove_card()
        k.tap(Action.HOME)
        k.at(State.ATTRACT)
    assert stack.platform.devices_seen() == [], "the platform heard nothing from this kiosk"


# ---- the table and the tests agree ---------------------------------------------------------


def test_every_row_names_a_test_and_every_test_has_a_row():
    table = [line for line in MATRIX.read_text().splitlines() if line.startswith("|")]
    rows = table[2:]  # after the header and its rule
    named = []
    for row in rows:
        found = re.findall(r"test_fault_matrix\.py::(test_\w+)", row)
        assert len(found) == 1, f"a row of docs/faults.md names no test (or several): {row}"
        named += found
    tests = {name for name in globals() if name.startswith("test_")}
    tests.discard("test_every_row_names_a_test_and_every_test_has_a_row")
    assert sorted(set(named)) == sorted(named), "a test is named by two rows"
    assert set(named) == tests
