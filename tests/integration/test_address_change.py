"""Issue 13: a device's address changed on the technician screen and applied without a restart,
on real parts: the runtime wired as the kiosk wires it, its configuration read from a file,
each device moved to a second emulator (another pseudo-terminal, another TCP port) while the
kiosk runs. The technician types the new address on the screen's keyboard (taps), the file is
rewritten (the old one kept), the one driver reopened, and the kiosk serves with it."""

from __future__ import annotations

import logging

import pytest

import wiring
from devkit.loop import Loop
from devkit.people import BY_KEY, DEMO_TECHNICIAN_PIN
from devkit.printer_emulator import PrinterEmulator
from devkit.qr_emulator import QrScannerEmulator
from devkit.sam_emulator import SamEmulator
from kiosk import logs
from kiosk.devices import DeviceKind, DeviceState
from kiosk.events import Action
from kiosk.journey import State


@pytest.fixture
def kiosk(stack):
    logging.getLogger().addHandler(logs.RECENT)  # as kiosk.logs.setup does in the app
    config = stack.config_file()
    loop = Loop()
    runtime = wiring.build_runtime(config, loop.call_soon)
    runtime.printer_poll_interval = 0.2
    runtime.start()
    j = runtime.journey
    loop.until(lambda: all(any(s.usable for s in j.statuses(k)) for k in DeviceKind), "online")
    runtime.tap(Action.TECHNICIAN)
    for d in DEMO_TECHNICIAN_PIN:
        runtime.tap(Action.PIN_DIGIT, d)
    runtime.tap(Action.PIN_ENTER)
    loop.until(lambda: j.state is State.TECHNICIAN and j.technician.info, "signed in")
    yield runtime, loop
    runtime.stop()
    logging.getLogger().removeHandler(logs.RECENT)


def type_address(runtime, loop, slot: str, address: str) -> None:
    """What the technician does: 修改, 清空, the address key by key, 保存并应用."""
    j = runtime.journey
    runtime.tap(Action.TECH_EDIT_ADDRESS, slot)
    assert j.state is State.TECH_ADDRESS
    runtime.tap(Action.TECH_KEY_CLEAR)
    for ch in address:
        runtime.tap(Action.TECH_KEY, ch)
    assert j.technician.edit.text == address
    runtime.tap(Action.TECH_APPLY_ADDRESS)
    loop.until(lambda: j.state is State.TECHNICIAN or not j.technician.edit.applying, "the outcome")
    assert j.state is State.TECHNICIAN, j.technician.edit and j.technician.edit.message


def test_a_card_reader_moved_to_another_port_is_reopened_in_place(kiosk, stack):
    runtime, loop = kiosk
    j = runtime.journey
    file = runtime.config.file
    before = file.read_text()
    started, old_reader = runtime.started_at, runtime.card_reader.readers["sam"]
    moved = SamEmulator()
    try:
        new_path = moved.start()
        stack.sam.unplug()  # the cable moved to another port
        loop.until(lambda: not j.in_service, "out of service: the reader is gone")
        address = f"sam+serial://{new_path}?baud=115200"
        type_address(runtime, loop, "card_reader:0", address)
        loop.until(lambda: j.in_service, "back in service")
        loop.until(
            lambda: j.devices[(DeviceKind.CARD_READER, "sam")].state is DeviceState.ONLINE,
            "the reader online at its new port",
        )
        assert j.technician.address_result.startswith(address)
        assert runtime.card_reader.readers["sam"] is not old_reader
        assert runtime.started_at == started, "no restart"
        assert address in file.read_text() and stack.sam_path in before
        assert file.with_name(file.name + ".bak").read_text() == before
        # the reader works: the technician's card test reads through it, masked
        runtime.tap(Action.TECH_CARD_TEST)
        card = BY_KEY["zhang_wei"].card()
        moved.place_card(card)
        loop.until(lambda: "*" in j.technician.card_test, "the card read at the new port")
        assert card.number not in j.technician.card_test
        runtime.tap(Action.TECH_REFRESH)
        loop.until(lambda: any(address in line for line in j.technician.info.log_lines), "logged")
    finally:
        moved.stop()


def test_a_printer_and_a_scanner_moved_are_reopened_in_place(kiosk, stack):
    runtime, loop = kiosk
    j = runtime.journey
    other_printer = PrinterEmulator()
    other_scanner = QrScannerEmulator()
    try:
        host, port = other_printer.start()
        type_address(runtime, loop, "printer:0", f"escpos+tcp://{host}:{port}")
        printed_before = len(stack.printer.jobs)
        runtime.tap(Action.TECH_TEST_PRINT)
        loop.until(lambda: j.technician.test_print is not None, "the test page", 30)
        assert j.technician.test_print.ok, j.technician.test_print.detail
        assert len(other_printer.jobs) == 1 and len(stack.printer.jobs) == printed_before
        path = other_scanner.start()
        old_status = j.devices[(DeviceKind.QR_SCANNER, "qr")]
        type_address(runtime, loop, "qr_scanner:0", f"qr+serial://{path}?baud=115200")
        loop.until(  # a status from the new driver (the old one's said online already)
            lambda: (
                (status := j.devices[(DeviceKind.QR_SCANNER, "qr")]) is not old_status
                and status.state is DeviceState.ONLINE
            ),
            "the scanner open at its new port",
        )
        runtime.tap(Action.TECH_SCAN_TEST)
        other_scanner.scan("SXT1.abcdefghijklmnopqrstuvwxyz0123456789")
        loop.until(lambda: j.technician.scan_test.startswith("identity_token"), "scanned")
        assert "abcdefghijklmnop" not in j.technician.scan_test
    finally:
        other_printer.stop()
        other_scanner.stop()


def test_an_address_the_kiosk_would_refuse_leaves_the_file_and_the_device_alone(kiosk, stack):
    runtime, loop = kiosk
    j = runtime.journey
    before = runtime.config.file.read_bytes()
    reader = runtime.card_reader.readers["sam"]
    runtime.tap(Action.TECH_EDIT_ADDRESS, "card_reader:0")
    runtime.tap(Action.TECH_KEY_CLEAR)
    for ch in f"sam+spy://{stack.sam_path}?file=/tmp/line.txt":
        runtime.tap(Action.TECH_KEY, ch)
    runtime.tap(Action.TECH_APPLY_ADDRESS)
    loop.until(lambda: not j.technician.edit.applying, "the outcome")
    assert "byte log" in j.technician.edit.message
    assert runtime.config.file.read_bytes() == before
    assert runtime.card_reader.readers["sam"] is reader
