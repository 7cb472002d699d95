"""SamReader against SamEmulator over a real pseudo-terminal at 115200 baud."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import queue
import random
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from devkit.people import BY_KEY
from devkit.sam_emulator import Injection, SamEmulator
from drivers.sam_protocol import Command, Sw3, parse_reply, reply_frame
from drivers.sam_reader import SamReader
from kiosk.devices import DeviceKind, DeviceState, Media
from kiosk.events import (
    CardDetected,
    CardFault,
    CardRead,
    CardReadFailed,
    CardRemoved,
    DeviceChanged,
)
from kiosk.identity import IdentityCard

pytestmark = pytest.mark.integration

WAIT = 5.0  # generous upper bound for one event; never a timing assertion


def fields_of(card: IdentityCard) -> dict[str, object]:
    return {f.name: getattr(card, f.name) for f in dataclasses.fields(card)}


def expect(events: queue.Queue, kind: type, timeout: float = WAIT):
    event = events.get(timeout=timeout)
    assert isinstance(event, kind), f"expected {kind.__name__}, got {event!r}"
    return event


def expect_status(events: queue.Queue, state: DeviceState, timeout: float = WAIT) -> DeviceChanged:
    event = expect(events, DeviceChanged, timeout)
    assert event.status.kind is DeviceKind.CARD_READER
    assert event.status.state is state, event.status
    return event


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


def start_reader(path: str, events: queue.Queue, **options) -> SamReader:
    options = {"poll_interval": 0.05, "read_timeout": 0.3, **options}
    reader = SamReader(path, 115200, **options)
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


@pytest.mark.parametrize(
    ("injection", "fault"),
    [
        (Injection(corrupt=True), CardFault.BAD_FRAME),
        (Injection(truncate=700), CardFault.BAD_FRAME),
        (Injection(silent=True), CardFault.TIMEOUT),
    ],
    ids=["checksum", "truncated", "silent"],
)
def test_reply_lost_on_the_wire_needs_the_card_placed_again(
    emulator, reader, events, injection, fault
) -> None:
    """The SAM read the card but its reply was spoilt: find now answers 80 until removal."""
    emulator.inject(Command.READ, injection)
    emulator.place_card(BY_KEY["chen_hao"].card())
    expect(events, CardDetected)
    assert expect(events, CardReadFailed).fault is fault
    expect_quiet(events)
    emulator.remove_card()
    expect(events, CardRemoved)
    place_and_read(emulator, events, "chen_hao")


def test_a_failing_post_does_not_kill_the_thread(emulator, events) -> None:
    def post(event: object) -> None:
        events.put(event)
        if isinstance(event, CardRead):
            raise RuntimeError("the UI bridge broke")

    assert emulator.path is not None
    reader = SamReader(emulator.path, poll_interval=0.05, read_timeout=0.3)
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
    reader = SamReader(emulator.path)  # defaults: 115200, poll 0.15 s, read timeout 1 s
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
        "poll_interval_s": 0.15,
        "n": len(ms),
        "p50": round(statistics.median(ms), 1),
        "p95": round(ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))], 1),
        "min": round(ms[0], 1),
        "max": round(ms[-1], 1),
    }
    print(json.dumps(figures))
