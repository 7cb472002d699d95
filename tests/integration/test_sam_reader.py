"""SamReader against SamEmulator over a real pseudo-terminal at 115200 baud."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import queue
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from cli import idcard as idcard_tool
from devkit.people import BY_KEY
from devkit.sam_emulator import FAULTS, Fault, Injection, SamEmulator, uart_resample
from drivers.sam_protocol import PREAMBLE, Command, Sw3, parse_reply, reply_frame
from drivers.sam_reader import BAUD_RATES, SamReader
from kiosk.devices import DeviceKind, DeviceState, Media
from kiosk.events import (
    CardDetected,
    CardFault,
    CardRead,
    CardReadFailed,
    CardRemoved,
    DeviceChanged,
)
from kiosk.identity import CardType, IdentityCard

pytestmark = pytest.mark.integration

WAIT = 10.0  # generous upper bound for one event; never a timing assertion


def fields_of(card: IdentityCard) -> dict[str, object]:
    return {f.name: getattr(card, f.name) for f in dataclasses.fields(card)}


def expect(events: queue.Queue, kind: type, timeout: float = WAIT):
    event = events.get(timeout=timeout)
    assert isinstance(event, kind), f"expected {kind.__name__}, got {event!r}"
    return event


def expect_status(events: queue.Queue, state: DeviceState, timeout: float = WAIT) -> DeviceChanged:
    event = expect(events, DeviceChanged, timeout)
    assert event.status.kind is DeviceKind.CARD_READER and event.status.source
    assert event.status.state is state, event.status
    return event


def expect_probed_online(events: queue.Queue) -> DeviceChanged:
    """ONLINE after probing. On a loaded machine a probe can miss the SAM's answer: the reader
    then reports OFFLINE and probes again, which is what it should do, so that is let pass."""
    for _ in range(3):
        event = expect(events, DeviceChanged)
        if event.status.state is DeviceState.ONLINE:
            return event
        assert event.status.state is DeviceState.OFFLINE, event.status
    pytest.fail("not online after three probes")


def expect_quiet(events: queue.Queue, seconds: float = 0.2) -> None:
    with pytest.raises(queue.Empty):
        event = events.get(timeout=seconds)
        pytest.fail(f"unexpected {event!r}")


@pytest.fixture
def emulator() -> Iterator[SamEmulator]:
    emu = SamEmulator(115200)
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def events() -> queue.Queue:
    return queue.Queue()


def start_reader(path: str, events: queue.Queue, baud: int | None = 115200, **options) -> SamReader:
    # the production read timeout, so that a loaded test machine does not fail a read; tests of
    # a timeout expiring set a short one
    options = {"poll_interval": 0.05, "read_timeout": 1.0, **options}
    reader = SamReader(path, baud, **options)
    reader.start(events.put)
    return reader


@pytest.fixture
def reader(emulator: SamEmulator, events: queue.Queue) -> Iterator[SamReader]:
    assert emulator.path is not None
    r = start_reader(emulator.path, events, retry_interval=0.1)
    online = expect_status(events, DeviceState.ONLINE)
    assert online.status.media is Media.ABSENT and online.status.detail.startswith("SAM 05.01-")
    yield r
    r.stop()


def place_and_read(emulator: SamEmulator, events: queue.Queue, key: str) -> IdentityCard:
    card = BY_KEY[key].card()
    emulator.place_card(card)
    expect(events, CardDetected)
    read = expect(events, CardRead)
    if read.card.fingerprint and not card.fingerprint:  # 30 10 of a card without fingerprints
        card.fingerprint = bytearray(1024)
    assert fields_of(read.card) == fields_of(card)
    return read.card


def test_place_remove_place_again_and_a_second_card(emulator, reader, events) -> None:
    card = place_and_read(emulator, events, "zhang_wei")
    assert (card.name, card.number, card.nation) == ("张伟", "140105198503120210", "汉")
    assert len(card.photo) == 1024 and reader.status().media is Media.PRESENT
    expect_quiet(events)  # a card that was read is not read again while it stays

    emulator.remove_card()
    expect(events, CardRemoved)
    assert reader.status().media is Media.ABSENT

    place_and_read(emulator, events, "zhang_wei")
    emulator.remove_card()
    expect(events, CardRemoved)

    card = place_and_read(emulator, events, "wang_guilan")
    assert card.valid_to is None  # 长期
    emulator.remove_card()
    expect(events, CardRemoved)
    expect_quiet(events)
    assert emulator.commands[Command.READ] == 3
    assert reader.running


def test_card_swapped_for_another(emulator, reader, events) -> None:
    place_and_read(emulator, events, "li_ming")
    emulator.remove_card()
    emulator.place_card(BY_KEY["zhao_min"].card())
    expect(events, CardRemoved)
    expect(events, CardDetected)
    assert expect(events, CardRead).card.name == "赵敏"


@pytest.mark.parametrize(
    ("command", "injection", "fault"),
    [
        (Command.SELECT, Injection(sw3=Sw3.SELECT_FAILED), CardFault.SELECT_FAILED),
        (Command.READ, Injection(sw3=Sw3.READ_FAILED), CardFault.READ_FAILED),
        (Command.READ, Injection(sw3=Sw3.UNKNOWN_CARD_TYPE), CardFault.UNKNOWN_CARD),
        (Command.READ, Injection(sw3=Sw3.SAM_AUTH_FAILED), CardFault.AUTH_FAILED),
        (Command.READ, Injection(sw3=Sw3.SAM_NOT_AUTHORIZED), CardFault.SAM_FAULT),
    ],  # every SW3 → fault pair is checked in tests/unit/test_sam_protocol.py
    ids=lambda v: v.name if isinstance(v, Command | CardFault) else "",
)
def test_sam_refusals_are_reported_then_the_card_is_retried(
    emulator, reader, events, command, injection, fault
) -> None:
    emulator.inject(command, injection)
    emulator.place_card(BY_KEY["chen_hao"].card())
    expect(events, CardDetected)
    failed = expect(events, CardReadFailed)
    assert failed.fault is fault
    assert "陈" not in failed.detail and "140108" not in failed.detail
    # the SAM did not read the card: it is still unread in the field, so the reader tries again
    expect(events, CardDetected)
    assert expect(events, CardRead).card.name == "陈浩"
    assert reader.running


def test_a_failing_post_does_not_kill_the_thread(emulator, events) -> None:
    def post(event: object) -> None:
        events.put(event)
        if isinstance(event, CardRead):
            raise RuntimeError("the UI bridge broke")

    assert emulator.path is not None
    reader = SamReader(emulator.path, poll_interval=0.05)
    reader.start(post)
    try:
        expect_status(events, DeviceState.ONLINE)
        place_and_read(emulator, events, "sun_qiang")
        emulator.remove_card()
        expect(events, CardRemoved)
        place_and_read(emulator, events, "sun_qiang")
        assert reader.running
    finally:
        reader.stop()


def test_garbage_before_a_reply_is_skipped(emulator, reader, events) -> None:
    emulator.inject(Command.READ, Injection(garbage=b"\x00\xaa\xaa\x13\xaa\xaa\xaa\x96"))
    place_and_read(emulator, events, "liu_yan")


def test_a_card_that_keeps_failing_waits_for_removal(emulator, reader, events) -> None:
    for _ in range(5):
        emulator.inject(Command.READ, Injection(sw3=Sw3.READ_FAILED))
    emulator.place_card(BY_KEY["wu_jun"].card())
    for _ in range(reader.max_retries + 1):
        expect(events, CardDetected)
        assert expect(events, CardReadFailed).fault is CardFault.READ_FAILED
    expect_quiet(events, 0.4)
    assert emulator.commands[Command.READ] == reader.max_retries + 1
    emulator.remove_card()
    expect(events, CardRemoved)


def test_fingerprint_read(emulator, events) -> None:
    assert emulator.path is not None
    reader = start_reader(emulator.path, events, with_fingerprint=True)
    try:
        expect_status(events, DeviceState.ONLINE)
        card = BY_KEY["zheng_li"].card()
        card.fingerprint = bytearray(range(256)) * 4
        emulator.place_card(card)
        expect(events, CardDetected)
        read = expect(events, CardRead).card
        assert read.has_fingerprint and read.fingerprint == card.fingerprint
        assert emulator.commands[Command.READ_FINGERPRINT] == 1
    finally:
        reader.stop()


def test_unplug_is_reported_and_the_reader_keeps_trying(tmp_path: Path, events) -> None:
    """Configured by a stable name (a symlink, as udev gives /dev/idcard): replug finds it."""
    first, second = SamEmulator(), SamEmulator()
    link = tmp_path / "idcard"
    link.symlink_to(first.start())
    second.start()  # started while the first still holds its pty, so its path differs
    reader = start_reader(str(link), events, reopen_interval=0.2)
    try:
        expect_status(events, DeviceState.ONLINE)
        first.place_card(BY_KEY["ma_yun"].card())
        expect(events, CardDetected)
        expect(events, CardRead)

        first.stop()  # unplugged, with a card on it
        gone = expect_status(events, DeviceState.NO_DEVICE)
        assert gone.status.detail
        expect(events, CardRemoved)

        # the old path is dead and the new reader sits elsewhere: nothing found, still trying
        attempts = reader.open_attempts
        expect_quiet(events, 0.6)
        assert reader.running and reader.open_attempts > attempts
        assert reader.status().state is DeviceState.NO_DEVICE

        link.unlink()
        assert second.path is not None
        link.symlink_to(second.path)  # replugged
        expect_status(events, DeviceState.ONLINE)
        second.place_card(BY_KEY["ouyang_xiaoming"].card())
        expect(events, CardDetected)
        assert expect(events, CardRead).card.name == "欧阳晓明"
    finally:
        reader.stop()
        first.stop()
        second.stop()


def test_a_reader_that_stays_away_is_tried_less_often_and_found_when_back(
    tmp_path: Path, events
) -> None:
    """Re-probing backs off while the device is away (reopen_interval doubled per failed
    attempt, up to max_reopen_interval) and starts again from the short wait once it answers."""
    link = tmp_path / "idcard"
    reader = SamReader(str(link), 115200, poll_interval=0.05, reopen_interval=0.02)
    reader.max_reopen_interval = 0.16
    reader.start(events.put)
    emulator = SamEmulator(115200)
    try:
        expect_status(events, DeviceState.NO_DEVICE)
        delays = []
        while len(delays) < 6:  # what the thread waits after each failed attempt, as it goes
            attempts = reader.open_attempts
            while reader.open_attempts == attempts:
                time.sleep(0.005)
            delays.append(reader.reopen_delay())
        assert delays == sorted(delays) and delays[0] < 0.16, f"backs off: {delays}"
        assert delays[-1] == 0.16, f"up to the cap: {delays}"
        link.symlink_to(emulator.start())  # plugged in: found within the longest wait
        expect_status(events, DeviceState.ONLINE)
        assert reader.failed_in_a_row == 0 and reader.reopen_delay() == 0.02
    finally:
        reader.stop()
        emulator.stop()


def test_sam_that_stops_answering_goes_offline_then_recovers(emulator, events) -> None:
    assert emulator.path is not None
    reader = start_reader(emulator.path, events, read_timeout=0.2, reopen_interval=0.2)
    expect_status(events, DeviceState.ONLINE)
    for _ in range(3):
        emulator.inject(Command.FIND, Injection(silent=True))
    offline = expect_status(events, DeviceState.OFFLINE)
    assert "find" in offline.status.detail
    expect_status(events, DeviceState.ONLINE)  # reopened; the SAM answers again
    place_and_read(emulator, events, "zhou_xiuying")
    reader.stop()


def test_sam_self_test_failure_is_a_hardware_error(emulator, events) -> None:
    emulator.inject(Command.STATUS, Injection(sw3=Sw3.SAM_SELF_TEST_FAILED))
    assert emulator.path is not None
    reader = start_reader(emulator.path, events, reopen_interval=0.1)
    try:
        error = expect_status(events, DeviceState.HARDWARE_ERROR)
        assert "60" in error.status.detail
        expect_status(events, DeviceState.ONLINE)
    finally:
        reader.stop()


def test_stop_ends_the_thread_and_closes_the_port(emulator, events) -> None:
    assert emulator.path is not None
    real = os.path.realpath(emulator.path)

    def open_fds() -> int:
        fds = Path("/proc/self/fd")
        count = 0
        for fd in fds.iterdir():
            with contextlib.suppress(OSError):
                count += os.readlink(fd) == real
        return count

    held_by_emulator = open_fds()
    reader = start_reader(emulator.path, events)
    expect_status(events, DeviceState.ONLINE)
    assert open_fds() == held_by_emulator + 1
    reader.stop()
    assert not reader.running and open_fds() == held_by_emulator
    expect_quiet(events, 0.2)


def test_emulator_answers_bad_checksum_and_ignores_garbage(emulator) -> None:
    assert emulator.path is not None
    with serial.Serial(emulator.path, 115200, timeout=1.0) as port:
        bad = bytearray(Command.FIND.frame)
        bad[-1] ^= 0x01
        port.write(b"\x13\x37\xaa" + bytes(bad))
        assert parse_reply(port.read(11)).sw3 == Sw3.CHECKSUM_ERROR
        port.write(b"\xaa\xaa\x00" + Command.STATUS.frame)
        assert port.read(11) == reply_frame(Sw3.OK)
        port.write(Command.READ_ADDRESS.frame)
        assert parse_reply(port.read(11)).sw3 == Sw3.NO_CONTENT
        emulator.appended_addresses = ["山西省太原市小店区平阳路1号"]
        port.write(Command.READ_ADDRESS.frame)
        reply = parse_reply(port.read(7 + 3 + 70 + 1))
        assert reply.sw3 == Sw3.OK and reply.data.decode("utf-16-le").startswith("山西省")
    assert emulator.frames_seen == 4


def test_latency_card_placed_to_card_read(emulator, events) -> None:
    """Benchmark (printed, never asserted): default poll interval and timeouts."""
    assert emulator.path is not None
    reader = SamReader(emulator.path)  # defaults: 115200, poll 0.05 s, read timeout 1 s
    reader.start(events.put)
    latencies: list[float] = []
    try:
        expect_status(events, DeviceState.ONLINE)
        keys = sorted(BY_KEY)
        rng = random.Random(20240615)
        for i in range(20):
            card = BY_KEY[keys[i % len(keys)]].card()
            time.sleep(rng.uniform(0, reader.poll_interval))  # at any moment of the poll cycle
            emulator.place_card(card)
            placed = time.monotonic()
            expect(events, CardDetected)
            expect(events, CardRead)
            latencies.append(time.monotonic() - placed)
            emulator.remove_card()
            expect(events, CardRemoved)
    finally:
        reader.stop()
    ms = sorted(1000 * x for x in latencies)
    figures = {
        "bench": "sam_placed_to_read_ms",
        "baud": 115200,
        "poll_interval_s": reader.poll_interval,
        "n": len(ms),
        "p50": round(statistics.median(ms), 1),
        "p95": round(ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))], 1),
        "min": round(ms[0], 1),
        "max": round(ms[-1], 1),
    }
    print(json.dumps(figures))


# ---- events name their reader ----------------------------------------------------------------


def test_events_carry_the_reader_name(emulator, events) -> None:
    assert emulator.path is not None
    reader = start_reader(emulator.path, events, name="desk-1", retry_interval=0.1)
    try:
        assert expect_status(events, DeviceState.ONLINE).status.source == "desk-1"
        emulator.inject_fault(Fault.READ_FAILED)
        emulator.place_card(BY_KEY["li_ming"].card())
        assert expect(events, CardDetected).reader == "desk-1"
        assert expect(events, CardReadFailed).reader == "desk-1"
        assert expect(events, CardDetected).reader == "desk-1"
        assert expect(events, CardRead).reader == "desk-1"
        emulator.remove_card()
        assert expect(events, CardRemoved).reader == "desk-1"
        assert reader.status().source == "desk-1"
    finally:
        reader.stop()


# ---- the line speed: the emulator honours it, the reader probes it ---------------------------


def test_uart_model() -> None:
    data = bytes(range(256))
    for baud in BAUD_RATES:
        assert uart_resample(data, baud, baud) == data
    for command, (sent, heard) in itertools.product(Command, itertools.permutations(BAUD_RATES, 2)):
        garbled = uart_resample(command.frame, sent, heard)
        assert PREAMBLE not in garbled and garbled != command.frame
    # a slow sender's start bit spans many fast bit times: framing errors, delivered as NUL
    slow_zero = uart_resample(b"\x00", 9600, 115200)
    assert len(slow_zero) >= 8 and slow_zero[:-1] == bytes(len(slow_zero) - 1)
    assert uart_resample(b"\x55", 115200, None) == b"\x00"


def test_emulator_answers_only_at_its_own_rate() -> None:
    with SamEmulator(57600) as emu, SamEmulator(57600, answer_noise=True) as noisy:
        assert emu.path is not None and noisy.path is not None
        with serial.Serial(emu.path, 115200, timeout=0.3) as port:
            port.write(Command.STATUS.frame)
            assert port.read(11) == b""  # the SAM heard noise and kept quiet
            port.baudrate = 57600
            port.write(Command.STATUS.frame)
            assert port.read(11) == reply_frame(Sw3.OK)
        assert emu.frames_seen == 1 and emu.garbled > 0
        with serial.Serial(noisy.path, 9600, timeout=0.3) as port:
            port.write(Command.STATUS.frame)
            heard = port.read(64)
            assert heard and PREAMBLE not in heard  # its error frame, heard at the wrong rate
            port.baudrate = 57600
            port.reset_input_buffer()
            port.write(Command.STATUS.frame)
            assert port.read(11) == reply_frame(Sw3.OK)


@pytest.mark.parametrize(
    ("baud", "noisy"),
    [(57600, False), (9600, True), (57600, True)],
    ids=["57600", "9600-noisy", "57600-noisy"],
)
def test_probing_finds_the_rate(events, baud: int, noisy: bool) -> None:
    with SamEmulator(baud, answer_noise=noisy) as emu:
        assert emu.path is not None
        reader = start_reader(emu.path, events, baud=None, read_timeout=1.0)
        try:
            online = expect_probed_online(events)
            assert online.status.detail.endswith(f", {baud} baud (probed)")
            assert reader.line_baud == baud and reader.baud is None
            assert emu.garbled > 0  # the rates tried first really crossed the line garbled
            card = place_and_read(emu, events, "zhang_wei")  # a whole read at that rate
            assert len(card.photo) == 1024
        finally:
            reader.stop()


def test_a_fixed_wrong_rate_is_offline(events) -> None:
    with SamEmulator(9600) as emu:
        assert emu.path is not None
        reader = start_reader(emu.path, events, baud=115200, reopen_interval=0.2)
        try:
            offline = expect_status(events, DeviceState.OFFLINE)
            assert "115200 baud" in offline.status.detail
            assert emu.frames_seen == 0 and emu.garbled > 0
        finally:
            reader.stop()


def test_probing_again_after_a_replug_at_another_rate(events) -> None:
    with SamEmulator(57600) as emu:
        assert emu.path is not None
        reader = start_reader(emu.path, events, baud=None, reopen_interval=0.1)
        try:
            assert "57600 baud" in expect_probed_online(events).status.detail
            emu.unplug()
            expect_status(events, DeviceState.NO_DEVICE)
            emu.baud = 19200  # another reader model on the same cable
            emu.replug()
            assert "19200 baud (probed)" in expect_probed_online(events).status.detail
            place_and_read(emu, events, "li_ming")
        finally:
            reader.stop()


# ---- appended addresses (30 03) ---------------------------------------------------------------

NEW_HOMES = ["山西省太原市小店区平阳路1号", "山西省晋中市榆次区迎宾街2号"]


def test_appended_addresses_follow_the_printed_one(emulator, reader, events) -> None:
    card = BY_KEY["zhang_wei"].card()
    emulator.place_card(card, NEW_HOMES)
    expect(events, CardDetected)
    read = expect(events, CardRead).card
    assert read.address == f"{card.address}（新住址：{NEW_HOMES[0]}；{NEW_HOMES[1]}）"
    assert emulator.commands[Command.READ_ADDRESS] == 1
    emulator.remove_card()
    expect(events, CardRemoved)
    place_and_read(emulator, events, "zhang_wei")  # none appended: 91, the address as printed
    assert emulator.commands[Command.READ_ADDRESS] == 2


def test_appended_address_of_a_permit_and_none_asked_of_a_foreign_card(
    emulator, reader, events
) -> None:
    permit = next(c for c in BY_KEY.values() if c.card_type is CardType.HK_MO_TW_PERMIT).card()
    emulator.place_card(permit, NEW_HOMES[:1])
    expect(events, CardDetected)
    assert expect(events, CardRead).card.address == f"{permit.address}（新住址：{NEW_HOMES[0]}）"
    emulator.remove_card()
    expect(events, CardRemoved)
    asked = emulator.commands[Command.READ_ADDRESS]
    for card_type in (CardType.FOREIGN_2017, CardType.FOREIGN_2023):
        key = next(k for k, c in BY_KEY.items() if c.card_type is card_type)
        place_and_read(emulator, events, key)
        emulator.remove_card()
        expect(events, CardRemoved)
    assert emulator.commands[Command.READ_ADDRESS] == asked  # no address field, no 30 03


@pytest.mark.parametrize(
    ("injections", "outcome"),
    [
        ([Injection(corrupt=True)], "appended"),  # retried once, then good
        ([Injection(truncate=20), Injection(corrupt=True)], CardFault.BAD_FRAME),
        ([Injection(silent=True), Injection(silent=True)], CardFault.TIMEOUT),
        ([Injection(sw3=Sw3.COMMAND_ERROR)], "printed"),  # a SAM without 30 03
        ([Injection(sw3=Sw3.READ_FAILED)], CardFault.READ_FAILED),
    ],
    ids=["damaged-once", "damaged-twice", "silent-twice", "not-supported", "read-failed"],
)
def test_appended_address_read_going_wrong(emulator, events, injections, outcome) -> None:
    assert emulator.path is not None
    timeout = 0.3 if any(i.silent or i.truncate for i in injections) else 1.0
    reader = start_reader(emulator.path, events, read_timeout=timeout)
    try:
        expect_status(events, DeviceState.ONLINE)
        for injection in injections:
            emulator.inject(Command.READ_ADDRESS, injection)
        card = BY_KEY["wang_guilan"].card()
        emulator.place_card(card, NEW_HOMES[1:])
        expect(events, CardDetected)
        if outcome == "appended":
            assert expect(events, CardRead).card.address.endswith(f"（新住址：{NEW_HOMES[1]}）")
        elif outcome == "printed":
            assert expect(events, CardRead).card.address == card.address
        else:
            # never an address that may be out of date: the whole read fails, the card goes back
            assert expect(events, CardReadFailed).fault is outcome
            expect_quiet(events)
            emulator.remove_card()
            expect(events, CardRemoved)
    finally:
        reader.stop()


# ---- the named faults, each as the reader reports it ------------------------------------------

FAULT_OUTCOMES: dict[Fault, tuple[CardFault | None, str]] = {
    Fault.NO_CARD: (CardFault.NO_CARD, "retried"),
    Fault.SELECT_FAILED: (CardFault.SELECT_FAILED, "retried"),
    Fault.READ_FAILED: (CardFault.READ_FAILED, "retried"),
    Fault.BAD_CHECKSUM: (CardFault.BAD_FRAME, "place again"),
    Fault.TRUNCATED: (CardFault.BAD_FRAME, "place again"),
    Fault.SILENT: (CardFault.TIMEOUT, "place again"),
    Fault.LINE_NOISE: (None, "read"),
}


def test_every_fault_has_an_expected_outcome() -> None:
    assert set(FAULT_OUTCOMES) == set(Fault) == set(FAULTS)


@pytest.mark.parametrize("fault", list(Fault), ids=str)
@pytest.mark.parametrize("fingerprint", [False, True], ids=["30-01", "30-10"])
def test_named_faults(emulator, events, fault: Fault, fingerprint: bool) -> None:
    assert emulator.path is not None
    timeout = 0.3 if fault in (Fault.SILENT, Fault.TRUNCATED) else 1.0  # what must expire
    reader = start_reader(
        emulator.path,
        events,
        retry_interval=0.1,
        with_fingerprint=fingerprint,
        read_timeout=timeout,
    )
    try:
        expect_status(events, DeviceState.ONLINE)
        expected, then = FAULT_OUTCOMES[fault]
        emulator.inject_fault(fault)
        card = BY_KEY["chen_hao"].card()
        emulator.place_card(card)
        expect(events, CardDetected)
        if expected is None:
            read = expect(events, CardRead).card
            assert (read.name, read.number, len(read.fingerprint)) == (
                card.name,
                card.number,
                1024 if fingerprint else 0,
            )
            return
        failed = expect(events, CardReadFailed)
        assert failed.fault is expected and failed.reader == "sam"
        if then == "retried":  # the SAM did not read the card: it is read on the next try
            expect(events, CardDetected)
            expect(events, CardRead)
        else:  # the SAM read it but the reply was lost: only a new placement reads it again
            expect_quiet(events, 0.3)
            emulator.remove_card()
            expect(events, CardRemoved)
            place_and_read(emulator, events, "chen_hao")
        command = Command.READ_FINGERPRINT if fingerprint else Command.READ
        assert emulator.commands[command] >= 1 and reader.status().state is DeviceState.ONLINE
    finally:
        reader.stop()


def test_no_card_no_events(emulator, reader, events) -> None:
    expect_quiet(events, 0.4)
    assert emulator.commands[Command.FIND] >= 2 and emulator.commands[Command.SELECT] == 0
    assert reader.status().media is Media.ABSENT


def test_a_slow_card_within_the_timeout_is_read(emulator, reader, events) -> None:
    emulator.reply_delay = 0.5  # the reader's read timeout is 1 s here
    place_and_read(emulator, events, "zhou_xiuying")


def test_a_card_slower_than_the_timeout_and_its_late_reply(emulator, events) -> None:
    """The late 1295-byte reply lands while the reader polls: skipped, never taken for an answer."""
    assert emulator.path is not None
    reader = start_reader(emulator.path, events, read_timeout=0.3, retry_interval=0.1)
    try:
        expect_status(events, DeviceState.ONLINE)
        emulator.reply_delay = 0.5
        emulator.place_card(BY_KEY["zhou_xiuying"].card())
        expect(events, CardDetected)
        assert expect(events, CardReadFailed).fault is CardFault.TIMEOUT
        expect_quiet(events, 0.6)  # no false removal, no offline, no second read
        assert reader.status().state is DeviceState.ONLINE
        emulator.reply_delay = 0.0
        emulator.remove_card()
        expect(events, CardRemoved)
        place_and_read(emulator, events, "zhou_xiuying")
    finally:
        reader.stop()


# ---- unplugged and replugged at the same path -------------------------------------------------


def test_unplugged_and_replugged_at_the_same_path(events) -> None:
    with SamEmulator() as emu:
        path = emu.path
        assert path is not None
        reader = start_reader(path, events, reopen_interval=0.1)
        try:
            expect_status(events, DeviceState.ONLINE)
            place_and_read(emu, events, "ma_yun")

            emu.unplug()
            gone = expect_status(events, DeviceState.NO_DEVICE)
            assert gone.status.detail and gone.status.media is Media.UNKNOWN
            expect(events, CardRemoved)  # the session must end: the card is out of reach
            assert not os.path.exists(path)
            attempts = reader.open_attempts
            expect_quiet(events, 0.4)
            assert reader.running and reader.open_attempts > attempts

            emu.replug()
            assert emu.path == path and os.path.exists(path)
            expect_status(events, DeviceState.ONLINE)
            # the card still lies on it: the freshly powered SAM finds it and it is read again
            expect(events, CardDetected)
            expect(events, CardRead)
        finally:
            reader.stop()


def test_unplugged_in_the_middle_of_a_read(events) -> None:
    with SamEmulator() as emu:
        assert emu.path is not None
        reader = start_reader(emu.path, events, read_timeout=3.0, reopen_interval=0.1)
        try:
            expect_status(events, DeviceState.ONLINE)
            emu.reply_delay = 2.0
            emu.place_card(BY_KEY["zhao_min"].card())
            expect(events, CardDetected)
            emu.unplug()
            assert expect(events, CardReadFailed).fault is CardFault.DEVICE_GONE
            expect_status(events, DeviceState.NO_DEVICE)
            expect(events, CardRemoved)
            emu.reply_delay = 0.0
            emu.replug()
            expect_status(events, DeviceState.ONLINE)
            expect(events, CardDetected)
            assert expect(events, CardRead).card.name == "赵敏"
        finally:
            reader.stop()


# ---- never blocking the caller ----------------------------------------------------------------


def test_stop_in_the_middle_of_a_long_wait(emulator, events) -> None:
    assert emulator.path is not None
    reader = start_reader(emulator.path, events, read_timeout=30.0)
    expect_status(events, DeviceState.ONLINE)
    emulator.reply_delay = 20.0
    emulator.place_card(BY_KEY["zhang_wei"].card())
    expect(events, CardDetected)
    thread = reader._thread
    assert thread is not None
    reader.stop()  # waits at most 2 s: only a cancelled wait lets the thread end in that time
    assert not thread.is_alive()
    expect_quiet(events, 0.2)  # stopping is not a read failure


def test_start_returns_before_the_port_is_opened(tmp_path: Path, events) -> None:
    reader = SamReader(str(tmp_path / "no-such-port"), reopen_interval=0.1)
    reader.start(events.put)
    try:
        assert reader.running
        gone = expect_status(events, DeviceState.NO_DEVICE)
        assert "cannot open the port" in gone.status.detail
    finally:
        reader.stop()
    assert not reader.running


def test_stop_from_the_reader_callback(emulator) -> None:
    assert emulator.path is not None
    stopped = threading.Event()

    def post(event: object) -> None:
        if isinstance(event, DeviceChanged) and event.status.state is DeviceState.ONLINE:
            reader.stop()  # e.g. the kiosk shutting down from an event handler
            stopped.set()

    reader = SamReader(emulator.path, read_timeout=0.3)
    reader.start(post)
    thread = reader._thread
    assert thread is not None and stopped.wait(WAIT)
    thread.join(WAIT)
    assert not thread.is_alive() and not reader.running


# ---- fingerprints end to end ------------------------------------------------------------------


def test_fingerprints_and_appended_address_of_a_permit(emulator, events) -> None:
    assert emulator.path is not None
    reader = start_reader(emulator.path, events, with_fingerprint=True)
    try:
        expect_status(events, DeviceState.ONLINE)
        permit = next(c for c in BY_KEY.values() if c.card_type is CardType.HK_MO_TW_PERMIT)
        card = permit.card()
        card.fingerprint = bytearray(reversed(range(256))) * 4
        emulator.place_card(card, NEW_HOMES[:1])
        expect(events, CardDetected)
        read = expect(events, CardRead).card
        assert read.fingerprint == card.fingerprint and read.has_fingerprint
        assert read.address.endswith(f"（新住址：{NEW_HOMES[0]}）")
        assert emulator.commands[Command.READ] == 0
    finally:
        reader.stop()


# ---- kiosk idcard read ------------------------------------------------------------------------


def run_tool(argv: list[str], capsys) -> tuple[int, str, str]:
    status = idcard_tool.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_idcard_read_prints_the_card_masked(emulator, capsys) -> None:
    assert emulator.path is not None
    card = BY_KEY["zhang_wei"].card()
    emulator.place_card(card, NEW_HOMES[:1])
    status, out, err = run_tool(
        ["idcard", "read", "--port", emulator.path, "--baud", "115200", "--timeout", "5"], capsys
    )
    assert status == 0, err
    obj = json.loads(out)
    assert obj == idcard_tool.card_json(
        dataclasses.replace(card, address=f"{card.address}（新住址：{NEW_HOMES[0]}）")
    )
    assert obj["name"] == "张*" and card.number not in out and "平阳路" not in out
    assert "115200 baud" in err


def test_idcard_read_probing_unmasked_with_fingerprints(events, capsys) -> None:
    with SamEmulator(57600) as emu:
        assert emu.path is not None
        key = next(k for k, c in BY_KEY.items() if c.card_type is CardType.FOREIGN_2023)
        card = BY_KEY[key].card()
        card.fingerprint = bytearray(b"\x01") * 1024
        emu.place_card(card)
        status, out, err = run_tool(
            ["idcard", "read", "--port", emu.path, "--unmasked", "--fingerprint"], capsys
        )
    assert status == 0, err
    obj = json.loads(out)
    assert obj == idcard_tool.card_json(card, unmasked=True) and obj["has_fingerprint"] is True
    assert "57600 baud (probed)" in err


def test_idcard_read_reports_failures_then_reads(emulator, capsys) -> None:
    assert emulator.path is not None
    emulator.inject_fault(Fault.SELECT_FAILED)
    emulator.place_card(BY_KEY["li_ming"].card())
    status, out, err = run_tool(["idcard", "read", "--port", emulator.path], capsys)
    assert status == 0 and json.loads(out)["card_type"] == "resident"
    assert "select_failed" in err and "证件没有放稳" in err


def test_idcard_read_without_a_card_or_a_device(emulator, tmp_path: Path, capsys) -> None:
    assert emulator.path is not None
    status, out, err = run_tool(
        ["idcard", "read", "--port", emulator.path, "--timeout", "0.5"], capsys
    )
    assert (status, out) == (1, "") and "no card read within 0.5 s" in err.splitlines()[-1]
    status, out, err = run_tool(["idcard", "read", "--port", str(tmp_path / "none")], capsys)
    assert (status, out, err.count("\n")) == (2, "", 1) and "no_device" in err
    with SamEmulator(9600) as slow:
        assert slow.path is not None
        status, out, err = run_tool(
            ["idcard", "read", "--port", slow.path, "--baud", "115200"], capsys
        )
    assert (status, out) == (2, "") and "offline" in err


def test_idcard_parse_in_a_process_never_shows_a_traceback(tmp_path: Path) -> None:
    from devkit.sam_encode import read_reply_frame

    frame = read_reply_frame(BY_KEY["zhang_wei"].card())
    command = [sys.executable, "-m", "cli.idcard", "idcard", "parse", "-"]
    good = subprocess.run(command, input=frame.hex(" ").encode(), capture_output=True, timeout=30)
    assert good.returncode == 0 and json.loads(good.stdout)["name"] == "张*"
    for bad in (frame[:-3], frame[:-1] + b"\x00", b"not a frame"):
        done = subprocess.run(command, input=bad, capture_output=True, timeout=30)
        assert done.returncode == 2 and done.stdout == b""
        err = done.stderr.decode()
        assert err.count("\n") == 1 and "Traceback" not in err
