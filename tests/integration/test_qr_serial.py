"""SerialQrScanner against QrScannerEmulator over a real pseudo-terminal at 115200 baud."""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Iterator

import pytest

from devkit.qr_emulator import QrScannerEmulator, certificate_url, licence_url
from drivers.qr_serial import SerialQrScanner
from kiosk.devices import DeviceKind, DeviceState
from kiosk.events import DeviceChanged
from kiosk.qr import MAX_PAYLOAD_BYTES, QrKind, QrRejected, QrScanned, Refusal, classify

pytestmark = pytest.mark.integration

WAIT = 5.0  # generous upper bound for one event; never a timing assertion
VALID = "91110108551385082Q"
CODE = "7K3M9Q2X4R8T6W1Z"
TOKEN = "SXT1.c2VjcmV0LXRva2VuLXZhbHVlLTAxMjM0NTY3ODk.sig"


def expect(events: queue.Queue, kind: type, timeout: float = WAIT):
    event = events.get(timeout=timeout)
    assert isinstance(event, kind), f"expected {kind.__name__}, got {event!r}"
    return event


def expect_status(events: queue.Queue, state: DeviceState) -> DeviceChanged:
    event = expect(events, DeviceChanged)
    assert event.status.kind is DeviceKind.QR_SCANNER
    assert event.status.state is state, event.status
    assert event.status.source == "qr"
    return event


def expect_scan(events: queue.Queue, payload: str) -> QrScanned:
    event = expect(events, QrScanned)
    assert event.payload == payload and event.source == "qr"
    return event


def expect_rejected(events: queue.Queue, code: Refusal) -> QrRejected:
    event = expect(events, QrRejected)
    assert event.code == code.value and event.source == "qr", event
    assert any("\u4e00" <= ch <= "\u9fff" for ch in event.reason)
    return event


def expect_quiet(events: queue.Queue, seconds: float = 0.2) -> None:
    with pytest.raises(queue.Empty):
        event = events.get(timeout=seconds)
        pytest.fail(f"unexpected {event!r}")


def wait_for(condition, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


@pytest.fixture
def emulator() -> Iterator[QrScannerEmulator]:
    emu = QrScannerEmulator()
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def events() -> queue.Queue:
    return queue.Queue()


def start_scanner(path: str, events: queue.Queue, **options) -> SerialQrScanner:
    scanner = SerialQrScanner(path, 115200, "qr", **{"reopen_interval": 0.2, **options})
    scanner.start(events.put)
    return scanner


@pytest.fixture
def scanner(emulator: QrScannerEmulator, events: queue.Queue) -> Iterator[SerialQrScanner]:
    assert emulator.path is not None
    s = start_scanner(emulator.path, events)
    expect_status(events, DeviceState.ONLINE)
    yield s
    s.stop()


@pytest.mark.parametrize("suffix", [b"\r", b"\n", b"\r\n", b"\t"], ids=["cr", "lf", "crlf", "tab"])
def test_each_framing_gives_one_scan(emulator, scanner, events, suffix: bytes) -> None:
    emulator.terminator = suffix
    emulator.scan(licence_url(VALID))
    event = expect_scan(events, licence_url(VALID))
    assert classify(event.payload).uscc == VALID
    emulator.scan(certificate_url(CODE))
    assert classify(expect_scan(events, certificate_url(CODE)).payload).verification_code == CODE
    expect_quiet(events)  # CRLF gave no second, empty scan


@pytest.mark.parametrize(("name", "suffix"), [("cr", b"\r"), ("lf", b"\n"), ("tab", b"\t")])
def test_a_configured_terminator(emulator, events, name: str, suffix: bytes) -> None:
    assert emulator.path is not None
    scanner = start_scanner(emulator.path, events, terminators=name)
    try:
        expect_status(events, DeviceState.ONLINE)
        emulator.scan(TOKEN, terminator=suffix)
        expect_scan(events, TOKEN)
    finally:
        scanner.stop()


def test_two_scans_back_to_back_in_one_write(emulator, scanner, events) -> None:
    emulator.write(f"{TOKEN}\r{licence_url(VALID)}\r\n{CODE}\t".encode())
    expect_scan(events, TOKEN)
    expect_scan(events, licence_url(VALID))
    expect_scan(events, CODE)
    expect_quiet(events)


def test_a_payload_split_over_writes(emulator, scanner, events) -> None:
    payload = licence_url(VALID)
    emulator.write(payload[:20].encode())
    expect_quiet(events)  # half a frame is no scan
    emulator.write(payload[20:].encode() + b"\r")
    expect_scan(events, payload)
    emulator.scan("统一社会信用代码：" + VALID, gap=0.001)  # one byte per write, mid-character
    expect_scan(events, "统一社会信用代码：" + VALID)


def test_junk_is_rejected_and_the_next_scan_is_fine(emulator, scanner, events) -> None:
    emulator.scan(b"abc\x00\x1b[2J")
    expect_rejected(events, Refusal.CONTROL_CHAR)
    emulator.scan(b"\xff\xfe\x80\x81")
    expect_rejected(events, Refusal.NOT_TEXT)
    emulator.scan("abc\ufffd")
    expect_rejected(events, Refusal.REPLACEMENT_CHAR)
    emulator.scan(TOKEN)
    expect_scan(events, TOKEN)
    assert (scanner.scans, scanner.rejected) == (1, 3)


def test_gb18030_text_is_accepted(emulator, scanner, events) -> None:
    emulator.scan(("企业名称：山西汾河食品有限公司 " + VALID).encode("gb18030"))
    event = expect_scan(events, "企业名称：山西汾河食品有限公司 " + VALID)
    assert classify(event.payload).kind is QrKind.BUSINESS_LICENCE


def test_an_overlong_frame_is_rejected_once(emulator, scanner, events) -> None:
    emulator.write(b"x" * (MAX_PAYLOAD_BYTES + 1))  # no terminator yet
    expect_rejected(events, Refusal.TOO_LONG)
    emulator.write(b"x" * 3000 + b"\r")  # the rest of the same frame
    emulator.scan(CODE)
    expect_scan(events, CODE)
    emulator.scan(b"y" * MAX_PAYLOAD_BYTES)  # at the limit: taken
    expect_scan(events, "y" * MAX_PAYLOAD_BYTES)
    expect_quiet(events)


def test_a_stale_partial_frame_is_dropped(emulator, events) -> None:
    assert emulator.path is not None
    scanner = start_scanner(emulator.path, events, stale_after=0.1)
    try:
        expect_status(events, DeviceState.ONLINE)
        emulator.write(b"\x00noise")
        wait_for(lambda: scanner.dropped == 1)
        emulator.scan(TOKEN)
        expect_scan(events, TOKEN)  # not glued to the noise
        expect_quiet(events)
    finally:
        scanner.stop()


def test_silence_can_end_a_frame(emulator, events) -> None:
    assert emulator.path is not None
    scanner = start_scanner(emulator.path, events, idle_end=0.1)
    try:
        expect_status(events, DeviceState.ONLINE)
        emulator.scan(TOKEN, terminator=b"")
        expect_scan(events, TOKEN)
    finally:
        scanner.stop()


def test_unplug_and_replug(emulator, scanner, events) -> None:
    emulator.scan(TOKEN)
    expect_scan(events, TOKEN)
    emulator.unplug()
    gone = expect_status(events, DeviceState.NO_DEVICE)
    assert "port failed" in gone.status.detail
    assert scanner.status().state is DeviceState.NO_DEVICE
    expect_quiet(events, 0.5)  # reopening keeps failing, reported once
    emulator.replug()
    expect_status(events, DeviceState.ONLINE)
    emulator.scan(CODE)
    expect_scan(events, CODE)
    assert scanner.running and scanner.open_attempts >= 2


def test_a_scanner_plugged_in_after_start(emulator, events) -> None:
    assert emulator.path is not None
    emulator.unplug()
    scanner = start_scanner(emulator.path, events)
    try:
        expect_status(events, DeviceState.NO_DEVICE)
        emulator.replug()
        expect_status(events, DeviceState.ONLINE)
        emulator.scan(TOKEN)
        expect_scan(events, TOKEN)
    finally:
        scanner.stop()


def test_a_failing_post_does_not_kill_the_thread(emulator) -> None:
    assert emulator.path is not None
    seen: queue.Queue = queue.Queue()

    def post(event: object) -> None:
        seen.put(event)
        raise RuntimeError("the UI bridge failed")

    scanner = start_scanner(emulator.path, queue.Queue())
    scanner.stop()
    scanner.start(post)
    try:
        expect(seen, DeviceChanged)
        emulator.scan(TOKEN)
        expect_scan(seen, TOKEN)
        emulator.scan(CODE)
        expect_scan(seen, CODE)
        assert scanner.running
    finally:
        scanner.stop()


def test_stop_is_prompt_and_final(emulator, scanner, events) -> None:
    scanner.stop()
    assert not scanner.running
    scanner.stop()  # twice is fine
    emulator.scan(TOKEN)
    expect_quiet(events)


def test_payloads_never_reach_the_log(emulator, scanner, events, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    emulator.scan(TOKEN)
    event = expect_scan(events, TOKEN)
    assert TOKEN not in repr(event)
    emulator.scan(b"secret\x00junk")
    expect_rejected(events, Refusal.CONTROL_CHAR)
    text = caplog.text
    assert TOKEN not in text and TOKEN[5:25] not in text and "secret" not in text
    assert "scan of" in text and "refused" in text
