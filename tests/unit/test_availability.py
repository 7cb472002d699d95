"""Availability by configuration (CUSS): which devices are required, out of service with the
reason, what still works, and the kiosk back by itself; the pure journey, no devices."""

from __future__ import annotations

import datetime as dt

import pytest

from devkit.people import BY_KEY
from kiosk import journey as j
from kiosk import qr
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Paper
from kiosk.events import (
    Action,
    CardDetected,
    CardRead,
    DeviceChanged,
    HandlerFailed,
    Tap,
    Tick,
    Verified,
)
from kiosk.models import CaseKind, Item, Subject, Ticket

WALL = dt.datetime(2026, 11, 27, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TICKET = Ticket("t-1", "rater-1", WALL + dt.timedelta(minutes=15), Subject.PERSON)
CERT = "https://yzt.shanxi.demo/v/ABCDEFGH23456789"
ALL = frozenset(DeviceKind)

READER = DeviceKind.CARD_READER
PRINTER = DeviceKind.PRINTER
SCANNER = DeviceKind.QR_SCANNER


def status(kind: DeviceKind, state: DeviceState, source: str = "", **kw) -> DeviceStatus:
    source = source or {READER: "sam", SCANNER: "qr"}.get(kind, "")
    return DeviceStatus(kind, state, source=source, detail=f"{kind.value} {state.value}", **kw)


def online(kind: DeviceKind) -> DeviceChanged:
    return DeviceChanged(status(kind, DeviceState.ONLINE, paper=Paper.FULL))


class Kiosk:
    """A journey fed events at a clock the test moves; keeps every effect."""

    def __init__(self, required=frozenset({READER})) -> None:
        self.now = 1000.0
        settings = j.JourneySettings(
            "SX-TY-0001",
            "140100",
            60,
            20,
            required=frozenset(required),
            required_reader="sam",
            certificate_prefixes=("https://yzt.shanxi.demo/v/",),
        )
        self.journey = j.Journey(settings)
        self.effects: list = self.journey.start(self.moment())
        for kind in DeviceKind:
            self(online(kind))

    def moment(self) -> j.Now:
        return j.Now(self.now, WALL + dt.timedelta(seconds=self.now - 1000.0), 1)

    def __call__(self, event) -> list:
        out = self.journey.dispatch(event, self.moment())
        self.effects.extend(out)
        return out

    def tap(self, action: Action) -> list:
        return self(Tap(action))

    @property
    def state(self) -> j.State:
        return self.journey.state

    def service_changes(self) -> list[j.ServiceChanged]:
        return [e for e in self.effects if isinstance(e, j.ServiceChanged)]


# what "failing" means for each kind: the states a driver reports when the device is down
FAILURES = {
    READER: [DeviceState.NO_DEVICE, DeviceState.OFFLINE, DeviceState.HARDWARE_ERROR],
    SCANNER: [DeviceState.NO_DEVICE, DeviceState.HARDWARE_ERROR],
    PRINTER: [DeviceState.NO_DEVICE, DeviceState.OFFLINE, DeviceState.HARDWARE_ERROR],
}
REASONS = {
    READER: "身份证读卡器暂时不能使用",
    PRINTER: "打印机暂时不能使用",
    SCANNER: "扫码器暂时不能使用",
}


@pytest.mark.parametrize(
    ("kind", "state"), [(k, s) for k, states in FAILURES.items() for s in states]
)
def test_each_required_device_failing_takes_the_kiosk_out_and_back(kind, state):
    k = Kiosk(required=ALL)
    assert k.state is j.State.ATTRACT and k.journey.in_service
    k(DeviceChanged(status(kind, state)))
    assert k.state is j.State.OUT_OF_SERVICE
    assert k.journey.out_of_service_reason == REASONS[kind]
    (change,) = k.service_changes()
    device = f"{kind.value}:{k.journey.down_device.source}" if kind is not PRINTER else "printer"
    assert change == j.ServiceChanged(False, device, state.value, f"{kind.value} {state.value}")
    k(DeviceChanged(status(kind, state)))  # the same report again: nothing new to tell
    assert len(k.service_changes()) == 1
    k(online(kind))
    assert k.state is j.State.ATTRACT, "back by itself with the first usable report"
    assert k.service_changes()[-1] == j.ServiceChanged(True)


@pytest.mark.parametrize(
    "fault",
    [
        {"paper": Paper.OUT},
        {"paper": Paper.JAMMED},
        {"cover_open": True, "state": DeviceState.USER_ERROR},
    ],
)
def test_a_required_printer_that_cannot_print_is_down_but_low_paper_is_not(fault):
    k = Kiosk(required={READER, PRINTER})
    kw = {"paper": Paper.FULL, "state": DeviceState.ONLINE} | fault
    state = kw.pop("state")
    k(DeviceChanged(status(PRINTER, state, **kw)))
    assert k.state is j.State.OUT_OF_SERVICE
    k(DeviceChanged(status(PRINTER, DeviceState.ONLINE, paper=Paper.LOW)))
    assert k.state is j.State.ATTRACT, "CUSS: low paper is still ready"


@pytest.mark.parametrize("kind", [PRINTER, SCANNER])
def test_a_device_not_required_only_takes_away_what_needs_it(kind):
    k = Kiosk()  # the default: the ID-card reader alone
    k(DeviceChanged(status(kind, DeviceState.NO_DEVICE)))
    assert k.state is j.State.ATTRACT and k.journey.in_service
    assert k.service_changes() == []
    if kind is PRINTER:
        printing = Item("I1", "事项", "局", "类", Subject.PERSON, CaseKind.INSTANT, None, 0, True)
        assert k.journey.item_blocked_reason(printing) == "打印机暂停服务，请到窗口办理"
        assert k.journey.banners, "the attract screen says what does not work"
    else:
        assert not k.journey.scanner_usable


def test_a_second_card_reader_is_never_required():
    k = Kiosk(required=ALL)
    k(DeviceChanged(status(READER, DeviceState.NO_DEVICE, source="pcsc")))
    assert k.state is j.State.ATTRACT, "the social-security card reader is a convenience"


def test_a_device_still_starting_does_not_close_the_kiosk():
    k = Kiosk(required=ALL)
    k(DeviceChanged(status(PRINTER, DeviceState.STARTING)))
    assert k.state is j.State.ATTRACT


def test_nothing_required_means_never_out_of_service():
    k = Kiosk(required=frozenset())
    for kind in DeviceKind:
        k(DeviceChanged(status(kind, DeviceState.NO_DEVICE)))
    assert k.state is j.State.ATTRACT


def test_two_devices_down_the_kiosk_returns_only_when_both_are_back():
    k = Kiosk(required=ALL)
    k(DeviceChanged(status(READER, DeviceState.NO_DEVICE)))
    k(DeviceChanged(status(PRINTER, DeviceState.NO_DEVICE)))
    k(online(READER))
    assert k.state is j.State.OUT_OF_SERVICE
    assert k.journey.out_of_service_reason == REASONS[PRINTER], "the reason follows the device"
    assert [c.device for c in k.service_changes()] == ["card_reader:sam", "printer"]
    k(online(PRINTER))
    assert k.state is j.State.ATTRACT


def test_out_of_service_offers_the_list_and_certificate_checks_while_a_scanner_works():
    k = Kiosk()
    k(DeviceChanged(status(READER, DeviceState.NO_DEVICE)))
    assert k.journey.offered_out_of_service == (Action.BROWSE, Action.VERIFY)
    k.tap(Action.BROWSE)
    assert k.state is j.State.CATALOGUE
    k.tap(Action.BACK)
    assert k.state is j.State.OUT_OF_SERVICE, "back to where the citizen came from"
    k.tap(Action.VERIFY)
    assert k.state is j.State.VERIFY_SCAN
    (effect,) = k(qr.QrScanned(CERT))
    assert isinstance(effect, j.CheckCertificate), "证明核验 needs no card reader"
    k(DeviceChanged(status(SCANNER, DeviceState.NO_DEVICE)))
    k.journey.state = j.State.OUT_OF_SERVICE
    assert k.journey.offered_out_of_service == (Action.BROWSE,)
    assert k.tap(Action.VERIFY) == [] and k.state is j.State.OUT_OF_SERVICE
    assert k.tap(Action.PHONE) == [] and k.state is j.State.OUT_OF_SERVICE


def test_a_kiosk_that_could_not_start_offers_nothing_until_it_does():
    k = Kiosk()
    k.journey.halt(k.moment())
    assert k.state is j.State.OUT_OF_SERVICE
    assert k.journey.offered_out_of_service == ()
    assert k.tap(Action.BROWSE) == [] and k.state is j.State.OUT_OF_SERVICE
    k.journey.start(k.moment())
    assert k.state is j.State.ATTRACT


def test_no_turn_begins_out_of_service_even_from_a_screen_that_still_works():
    k = Kiosk(required={READER, PRINTER})
    k(DeviceChanged(status(PRINTER, DeviceState.NO_DEVICE)))
    k.tap(Action.BROWSE)
    assert k.state is j.State.CATALOGUE
    k(CardDetected(reader="sam"))  # the reader works; the required printer does not
    assert k.state is j.State.ERROR and "打印机暂时不能使用" in k.journey.error.text
    card = BY_KEY["zhang_wei"].card()
    assert k(CardRead(card, reader="sam")) == [], "no identification starts"
    assert k.journey.session is None
    k.tap(Action.BACK)
    k.tap(Action.VERIFY)
    assert k(qr.QrScanned("SXT1." + "A" * 40)) == [], "nor by the app's identity code"
    assert k.state is j.State.ERROR and "暂停自助办理" in k.journey.error.title
    k.tap(Action.BACK)
    assert k.state is j.State.OUT_OF_SERVICE


def test_a_session_under_way_is_not_cut_short_and_ends_out_of_service():
    k = Kiosk(required=ALL)
    k(CardDetected(reader="sam"))
    k(CardRead(BY_KEY["zhang_wei"].card(), reader="sam"))
    k(Verified(TICKET, ()))
    assert k.state is j.State.ITEMS
    k(DeviceChanged(status(PRINTER, DeviceState.NO_DEVICE)))
    assert k.state is j.State.ITEMS and k.journey.session is not None
    k.tap(Action.EXIT)
    assert k.state is j.State.OUT_OF_SERVICE


def test_a_failed_handler_ends_the_turn_on_the_error_screen_then_attract():
    k = Kiosk()
    k(CardDetected(reader="sam"))
    k(CardRead(BY_KEY["zhang_wei"].card(), reader="sam"))
    k(Verified(TICKET, ()))
    session = k.journey.session
    out = k(HandlerFailed())
    assert k.state is j.State.ERROR and k.journey.session is None
    assert session.ticket is None, "the session was wiped"
    assert j.SessionEnded("handler_failed") in out
    assert k.journey.error.retry is None, "nothing to retry: the turn is over"
    k.now += 60
    k(Tick())
    assert k.state is j.State.ATTRACT, "back to the attract screen by itself"
