"""A device's address changed on the technician screen, in the pure journey: the editor opened
from a configured address, the keyboard, a pick from what was found, the registry's check
before anything is written, the outcome (applied: the device table and service follow; failed:
the reason on screen); and the scan test, masked. The writing and reopening are the runtime's
(tests/integration/test_address_change.py); here their answers are events."""

from __future__ import annotations

from kiosk import journey as j
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus
from kiosk.events import (
    Action,
    AddressApplied,
    AddressCandidates,
    DeviceChanged,
    TechnicianInfo,
)
from kiosk.qr import QrRejected, QrScanned
from tests.unit.test_technician import GOOD, Kiosk

OLD = "sam+serial:///dev/ttyUSB0?baud=115200"
NEW = "sam+serial:///dev/ttyUSB1?baud=115200"
ADDRESSES = (("card_reader", OLD), ("printer", "escpos+tcp://127.0.0.1:9100"))


def signed_in() -> Kiosk:
    k = Kiosk()
    k.tap(Action.TECHNICIAN)
    k.type_pin(GOOD)
    assert k.state is j.State.TECHNICIAN
    k(TechnicianInfo("1.0", 5.0, (), None, 0, addresses=ADDRESSES))
    return k


def editing() -> Kiosk:
    k = signed_in()
    k.tap(Action.TECH_EDIT_ADDRESS, "card_reader:0")
    assert k.state is j.State.TECH_ADDRESS
    return k


def test_the_editor_starts_from_the_configured_address_and_asks_for_candidates():
    k = editing()
    edit = k.journey.technician.edit
    assert (edit.kind, edit.index, edit.original, edit.text) == (
        DeviceKind.CARD_READER,
        0,
        OLD,
        OLD,
    )
    assert j.ListAddressCandidates(DeviceKind.CARD_READER, OLD) in k.effects
    assert ("edit_address", "card_reader") in k.audits()


def test_an_unknown_device_opens_nothing():
    k = signed_in()
    for arg in ("card_reader:1", "qr_scanner:0", "toaster:0", "card_reader:x"):
        k.tap(Action.TECH_EDIT_ADDRESS, arg)
        assert k.state is j.State.TECHNICIAN, arg


def test_the_keyboard_types_deletes_and_clears():
    k = editing()
    k.tap(Action.TECH_KEY_CLEAR)
    for ch in "sam+serial:///dev/x":
        k.tap(Action.TECH_KEY, ch)
    k.tap(Action.TECH_KEY_DELETE)
    k.tap(Action.TECH_KEY, "y")
    k.tap(Action.TECH_KEY, "ab")  # one key is one character
    assert k.journey.technician.edit.text == "sam+serial:///dev/y"


def test_only_an_address_that_was_found_can_be_picked():
    k = editing()
    k(AddressCandidates(DeviceKind.CARD_READER, (NEW,)))
    k.tap(Action.TECH_CANDIDATE, "sam+serial:///etc/passwd")
    assert k.journey.technician.edit.text == OLD
    k.tap(Action.TECH_CANDIDATE, NEW)
    assert k.journey.technician.edit.text == NEW


def test_the_registry_refuses_a_bad_address_before_anything_is_written():
    k = editing()
    k.tap(Action.TECH_KEY_CLEAR)
    for ch in "sam+serial:///dev/ttyUSB1?baud=fast":
        k.tap(Action.TECH_KEY, ch)
    k.tap(Action.TECH_APPLY_ADDRESS)
    edit = k.journey.technician.edit
    assert "baud" in edit.message and not edit.applying
    assert not any(isinstance(e, j.ApplyAddress) for e in k.effects)
    assert ("apply_address", "refused") in k.audits()
    k.tap(Action.TECH_KEY_CLEAR)
    for ch in "escpos+tcp://127.0.0.1:9100":  # a printer's address for the card reader
        k.tap(Action.TECH_KEY, ch)
    k.tap(Action.TECH_APPLY_ADDRESS)
    assert k.journey.technician.edit.message
    assert not any(isinstance(e, j.ApplyAddress) for e in k.effects)


def test_an_unchanged_or_empty_address_is_not_written():
    k = editing()
    k.tap(Action.TECH_APPLY_ADDRESS)
    assert k.journey.technician.edit.message == "地址没有改变"
    k.tap(Action.TECH_KEY_CLEAR)
    k.tap(Action.TECH_APPLY_ADDRESS)
    assert k.journey.technician.edit.message == "请输入设备地址"
    assert not any(isinstance(e, j.ApplyAddress) for e in k.effects)


def test_applied_the_technician_screen_shows_it_and_the_device_table_follows():
    k = editing()
    # the reader moved to another port: the old one reports no device, the kiosk is out
    k(DeviceChanged(DeviceStatus(DeviceKind.CARD_READER, DeviceState.NO_DEVICE, source="x")))
    assert not k.journey.in_service
    k(AddressCandidates(DeviceKind.CARD_READER, (NEW,)))
    k.tap(Action.TECH_CANDIDATE, NEW)
    k.tap(Action.TECH_APPLY_ADDRESS)
    assert j.ApplyAddress(DeviceKind.CARD_READER, 0, NEW) in k.effects
    assert k.journey.technician.edit.applying
    k.tap(Action.TECH_KEY, "x")  # the keys wait for the outcome
    assert k.journey.technician.edit.text == NEW
    k.effects.clear()
    # the new reader reports under its own name; the old one's status is gone with it
    k(
        AddressApplied(
            True,
            f"{NEW} (kiosk.toml.bak)",
            kind=DeviceKind.CARD_READER,
            sources=("sam",),
            required=frozenset({DeviceKind.CARD_READER}),
            required_reader="sam",
        )
    )
    assert k.state is j.State.TECHNICIAN
    assert k.journey.technician.edit is None
    assert k.journey.technician.address_result.startswith(NEW)
    assert (DeviceKind.CARD_READER, "x") not in k.journey.devices
    assert j.LoadTechnicianInfo() in k.effects
    assert ("apply_address", "applied") in k.audits()
    # as at start, a reader that has not reported is not down: the new one reports at once
    services = [e for e in k.effects if isinstance(e, j.ServiceChanged)]
    assert k.journey.in_service and services and services[-1].in_service
    k(DeviceChanged(DeviceStatus(DeviceKind.CARD_READER, DeviceState.NO_DEVICE, source="sam")))
    assert not k.journey.in_service, "the new address is no better: out again, by itself"


def test_not_applied_the_reason_stays_on_the_editor():
    k = editing()
    k.tap(Action.TECH_KEY, "0")
    k.tap(Action.TECH_APPLY_ADDRESS)
    k(AddressApplied(False, "kiosk.toml: [devices] card_reader: no such port"))
    edit = k.journey.technician.edit
    assert k.state is j.State.TECH_ADDRESS
    assert edit.message.endswith("no such port") and not edit.applying
    assert ("apply_address", "failed") in k.audits()


def test_back_returns_to_the_technician_screen_and_quiet_signs_out():
    k = editing()
    k.tap(Action.BACK)
    assert k.state is j.State.TECHNICIAN and k.journey.technician.edit is None
    k.tap(Action.TECH_EDIT_ADDRESS, "printer:0")
    assert k.state is j.State.TECH_ADDRESS
    k.later(k.journey.settings.technician_idle_seconds + 1)
    assert k.state is j.State.ATTRACT and k.journey.technician is None


def test_the_scan_test_shows_the_kind_masked_never_the_code():
    k = signed_in()
    token = "SXT1.abcdefghijklmnopqrstuvwxyz0123456789"
    k(QrScanned(token))
    assert not k.journey.technician.scan_test, "not asked for: nothing shown"
    k.tap(Action.TECH_SCAN_TEST)
    assert k.journey.technician.scan_test == "请在扫码器上扫一个二维码"
    k(QrScanned(token))
    shown = k.journey.technician.scan_test
    assert shown.startswith("identity_token") and token not in shown
    assert "abcdefghijklmnop" not in shown
    assert k.state is j.State.TECHNICIAN, "a scan in the technician's mode starts nothing"
    assert ("scan_test", "identity_token") in k.audits()
    k(QrRejected("无法识别的二维码", code="too_long"))
    assert k.journey.technician.scan_test.startswith("too_long")
