"""Serial devices reached through pyserial's URL handlers, against the emulators.

rfc2217://: pyserial's own RFC 2217 server side (devkit.rfc2217_bridge) serves the emulator's
pseudo-terminal over TCP on 127.0.0.1, as a port server in a hall's cabinet would; the drivers
are built from their addresses as the kiosk builds them. spy://: the byte log of the line, read
back and checked frame by frame.
"""

from __future__ import annotations

import dataclasses
import json
import queue
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import main
from cli import idcard as idcard_tool
from devkit.people import BY_KEY
from devkit.qr_emulator import QrScannerEmulator
from devkit.rfc2217_bridge import Rfc2217Bridge
from devkit.sam_emulator import SamEmulator
from devkit.sam_encode import read_reply_frame
from drivers.registry import open_card_reader, open_scanner
from drivers.sam_protocol import Command
from kiosk.devices import DeviceState
from kiosk.events import CardDetected, CardRead, DeviceChanged
from kiosk.identity import IdentityCard
from kiosk.qr import QrScanned

pytestmark = pytest.mark.integration

WAIT = 15.0  # generous upper bound for one event over TCP; never a timing assertion
TOKEN = "SXT1.c2VjcmV0LXRva2VuLXZhbHVlLTAxMjM0NTY3ODk.sig"


def fields_of(card: IdentityCard) -> dict[str, object]:
    return {f.name: getattr(card, f.name) for f in dataclasses.fields(card)}


def expect(events: queue.Queue, kind: type, timeout: float = WAIT):
    event = events.get(timeout=timeout)
    assert isinstance(event, kind), f"expected {kind.__name__}, got {event!r}"
    return event


def expect_state(events: queue.Queue, *states: DeviceState) -> DeviceChanged:
    """The next status change, which must be one of ``states``; the last one is waited for
    (a probe missed on a loaded machine shows as OFFLINE first, and is let pass)."""
    for _ in range(4):
        event = expect(events, DeviceChanged)
        assert event.status.state in states, event.status
        if event.status.state is states[-1]:
            return event
    pytest.fail(f"not {states[-1].value} after four status changes")


def spy_log(path: Path) -> tuple[bytes, bytes]:
    """(bytes written, bytes read) from pyserial's spy:// hex dump (its FormatHexdump lines:
    ``000001.234 TX   0000  AA AA AA 96 69 …  ascii``)."""
    sent, received = bytearray(), bytearray()
    for line in path.read_text().splitlines():
        match = re.match(r"\S+ (TX|RX)\s+[0-9A-F]{4}  (.{49})", line)
        if match:
            data = bytes.fromhex("".join(re.findall(r"[0-9A-F]{2}", match.group(2))))
            (sent if match.group(1) == "TX" else received).extend(data)
    return bytes(sent), bytes(received)


@pytest.fixture
def events() -> queue.Queue:
    return queue.Queue()


@pytest.fixture
def sam() -> Iterator[SamEmulator]:
    with SamEmulator(115200) as emu:
        yield emu


@pytest.fixture
def bridged_sam(sam: SamEmulator) -> Iterator[Rfc2217Bridge]:
    assert sam.path is not None
    with Rfc2217Bridge(sam.path) as bridge:
        yield bridge


def read_card_through(address: str, emulator: SamEmulator, events: queue.Queue, key: str):
    reader = open_card_reader(address, "sam", read_timeout=1.0)
    reader.start(events.put)
    try:
        online = expect_state(events, DeviceState.OFFLINE, DeviceState.ONLINE)
        card = BY_KEY[key].card()
        emulator.place_card(card)
        expect(events, CardDetected)
        read = expect(events, CardRead)
        assert fields_of(read.card) == fields_of(card)
        return online, card
    finally:
        reader.stop()


# ---- rfc2217:// ---------------------------------------------------------------------------------


def test_a_card_read_through_an_rfc2217_port_server(bridged_sam, sam, events) -> None:
    port = bridged_sam.port
    online, _ = read_card_through(
        f"sam+rfc2217://127.0.0.1:{port}?baud=115200&timeout=5", sam, events, "zhang_wei"
    )
    assert online.status.detail.endswith("115200 baud")
    assert bridged_sam.clients == 1 and sam.commands[Command.READ] == 1


def test_probing_the_rate_through_an_rfc2217_port_server(events) -> None:
    """The rate the driver tries travels as RFC 2217 SET-BAUDRATE to the port server, which
    sets it on the line: the SAM at 57600 answers only once the driver has reached 57600."""
    with SamEmulator(57600) as emu, Rfc2217Bridge(emu.path or "") as bridge:
        online, _ = read_card_through(
            f"sam+rfc2217://127.0.0.1:{bridge.port}?baud=auto", emu, events, "li_ming"
        )
    assert "57600 baud (probed)" in online.status.detail


def test_a_port_server_that_loses_its_reader_and_gets_it_back(bridged_sam, sam, events) -> None:
    reader = open_card_reader(f"sam+rfc2217://127.0.0.1:{bridged_sam.port}", "sam")
    reader.start(events.put)
    try:
        expect_state(events, DeviceState.OFFLINE, DeviceState.ONLINE)
        sam.unplug()  # the port server's port fails: it drops the connection
        gone = expect_state(events, DeviceState.NO_DEVICE)
        assert "port failed" in gone.status.detail or "cannot open" in gone.status.detail
        sam.replug()
        expect_state(events, DeviceState.ONLINE)
        sam.place_card(BY_KEY["zhang_wei"].card())
        expect(events, CardDetected)
        expect(events, CardRead)
    finally:
        reader.stop()
    assert bridged_sam.clients >= 2


def test_nothing_listening_is_no_device(events) -> None:
    bridge = Rfc2217Bridge("/nonexistent")
    bridge.start()
    bridge.stop()  # the port is free again: nothing listens there
    reader = open_card_reader(f"sam+rfc2217://127.0.0.1:{bridge.port}", "sam")
    reader.start(events.put)
    try:
        gone = expect_state(events, DeviceState.NO_DEVICE)
        assert "cannot open the port" in gone.status.detail
    finally:
        reader.stop()


def test_a_qr_scan_through_an_rfc2217_port_server(events) -> None:
    with QrScannerEmulator() as emu, Rfc2217Bridge(emu.path or "") as bridge:
        scanner = open_scanner(f"qr+rfc2217://127.0.0.1:{bridge.port}?end=cr")
        assert scanner is not None
        scanner.start(events.put)
        try:
            expect_state(events, DeviceState.ONLINE)
            emu.scan(TOKEN)
            assert expect(events, QrScanned).payload == TOKEN
        finally:
            scanner.stop()


# ---- spy:// -------------------------------------------------------------------------------------


def test_a_spy_log_holds_every_frame_of_a_card_read(sam, events, tmp_path: Path) -> None:
    """And so the card's name in clear: why the kiosk refuses it (kiosk.config)."""
    log = tmp_path / "sam.txt"
    _, card = read_card_through(f"sam+spy://{sam.path}?file={log}", sam, events, "zhang_wei")
    sent, received = spy_log(log)
    assert Command.STATUS.frame in sent and Command.READ.frame in sent
    assert read_reply_frame(card) in received
    assert card.name.encode("utf-16-le") in received


def test_a_spy_log_of_a_qr_scanner_holds_the_token(events, tmp_path: Path) -> None:
    log = tmp_path / "qr.txt"
    with QrScannerEmulator() as emu:
        scanner = open_scanner(f"qr+spy://{emu.path}?file={log}")
        assert scanner is not None
        scanner.start(events.put)
        try:
            expect_state(events, DeviceState.ONLINE)
            emu.scan(TOKEN)
            assert expect(events, QrScanned).payload == TOKEN
        finally:
            scanner.stop()
    assert TOKEN.encode() + b"\r" in spy_log(log)[1]


# ---- kiosk idcard read --port URL -----------------------------------------------------------------


def test_idcard_read_through_rfc2217(bridged_sam, sam, capsys) -> None:
    sam.place_card(BY_KEY["zhang_wei"].card())
    port = f"rfc2217://127.0.0.1:{bridged_sam.port}"
    status = main.cli(["idcard", "read", "--port", port, "--baud", "115200", "--timeout", "10"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert json.loads(out)["name"] == "张*" and f"reader online on {port}" in err


def test_idcard_read_with_a_spy_log_warns_of_the_personal_data(sam, tmp_path, capsys) -> None:
    card = BY_KEY["li_ming"].card()
    sam.place_card(card)
    log = tmp_path / "bench.txt"
    status = idcard_tool.main(
        ["idcard", "read", "--port", f"spy://{sam.path}?file={log}", "--timeout", "10"]
    )
    out, err = capsys.readouterr()
    assert status == 0, err
    assert json.loads(out)["number"] != card.number  # masked on the terminal...
    assert f"spy:// byte log ({log}) holds every byte" in err and "ID number" in err
    assert card.number.encode("utf-16-le") in spy_log(log)[1]  # ...but not in the log


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        (
            "spy:///dev/ttyUSB0?fiel=/tmp/x",
            "unknown option 'fiel' for sam+spy (did you mean file?)",
        ),
        ("sam+serial:///dev/ttyUSB0?baud=9600", "gives another baud than --baud"),
        ("loop://", "must be a device address starting with one of sam+serial:"),
    ],
)
def test_idcard_read_refuses_a_bad_port_before_opening_it(port, expected, capsys) -> None:
    argv = ["idcard", "read", "--port", port, "--baud", "115200"]
    assert idcard_tool.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and expected in err and err.count("\n") == 1
