"""PcscReader against virtual social-security cards, through a real pcscd with the vpcd driver.

Needs the Debian packages pcscd and vsmartcard-vpcd (and root to start pcscd, unless one runs);
the module skips, saying which, when they are missing. A running system pcscd is reused; the test
that stops and restarts pcscd runs only when the pcscd is ours.
"""

from __future__ import annotations

import dataclasses
import queue
from collections.abc import Iterator

import pytest

from devkit.pcsc_stack import PcscStack, PcscStackError, missing
from devkit.people import BY_KEY
from devkit.virtual_socialcard import VirtualSocialCard
from drivers.pcsc_reader import PcscReader
from drivers.socialcard import EF06
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

# pcscd and its virtual readers are one per machine: `make test` runs these on their own
pytestmark = [pytest.mark.integration, pytest.mark.pcsc]

READER = "Virtual PCD 00 00"  # vpcd port 35963
SECOND = "Virtual PCD 00 01"  # vpcd port 35964
WAIT = 8.0  # generous upper bound for one event; never a timing assertion
WANG = BY_KEY["wang_guilan"].social_card()
ZHOU = BY_KEY["zhou_xiuying"].social_card()


def fields_of(card: IdentityCard) -> dict[str, object]:
    return {f.name: getattr(card, f.name) for f in dataclasses.fields(card)}


def expect(events: queue.Queue, kind: type, timeout: float = WAIT):
    event = events.get(timeout=timeout)
    assert isinstance(event, kind), f"expected {kind.__name__}, got {event!r}"
    if kind is not DeviceChanged:
        assert event.reader == "social" or event.reader == "second", event
    return event


def expect_status(events: queue.Queue, state: DeviceState) -> DeviceChanged:
    event = expect(events, DeviceChanged)
    assert event.status.kind is DeviceKind.CARD_READER
    assert event.status.state is state, event.status
    return event


def expect_quiet(events: queue.Queue, seconds: float = 0.5) -> None:
    with pytest.raises(queue.Empty):
        event = events.get(timeout=seconds)
        pytest.fail(f"unexpected {event!r}")


@pytest.fixture(scope="module")
def stack() -> Iterator[PcscStack]:
    reason = missing()
    if reason:  # pcscd or vpcd not installed (`make test` installs them): nothing to run
        pytest.skip(reason)
    # installed but not answering is a failure, never a skip: a skip here would hide a broken
    # PC/SC path on every machine where it happens; 30 s for a slow, loaded machine
    s = PcscStack(READER, timeout=30.0)
    try:
        s.start()
    except PcscStackError as exc:
        pytest.fail(f"PC/SC stack installed but not working: {exc}")
    yield s
    s.stop()


@pytest.fixture
def events() -> queue.Queue:
    return queue.Queue()


@pytest.fixture
def cards() -> Iterator[list[VirtualSocialCard]]:
    made: list[VirtualSocialCard] = []
    yield made
    for card in made:
        card.remove()


@pytest.fixture
def insert(cards):
    def insert(holder: IdentityCard, port: int = 35963, **faults) -> VirtualSocialCard:
        card = VirtualSocialCard(holder, port, **faults)
        card.insert()
        cards.append(card)
        return card

    return insert


@pytest.fixture
def reader(stack: PcscStack, events: queue.Queue) -> Iterator[PcscReader]:
    r = PcscReader(READER, name="social")
    r.start(events.put)
    online = expect_status(events, DeviceState.ONLINE)
    assert (online.status.media, online.status.detail) == (Media.ABSENT, READER)
    yield r
    r.stop()


def read(events: queue.Queue, holder: IdentityCard) -> IdentityCard:
    expect(events, CardDetected)
    card = expect(events, CardRead).card
    assert fields_of(card) == fields_of(holder)
    return card


def test_insert_read_remove_and_another_holder(reader, events, insert) -> None:
    card = insert(WANG)
    got = read(events, WANG)
    assert (got.name, got.number, got.card_number) == ("王桂兰", "140106194809050321", "A14010058")
    assert reader.status().media is Media.PRESENT
    expect_quiet(events)  # a card that was read is not read again while it stays
    assert card.headers.count(bytes.fromhex("00A40400")) == 1  # one SELECT SSSE
    assert len(card.headers) == 12  # and nothing beyond EF05 and EF06
    card.remove()
    expect(events, CardRemoved)
    assert reader.status().media is Media.ABSENT

    card = insert(ZHOU)
    read(events, ZHOU)
    card.remove()
    expect(events, CardRemoved)
    expect_quiet(events)


@pytest.mark.parametrize(
    ("faults", "fault", "detail"),
    [
        ({"pin_protected": {EF06}}, CardFault.AUTH_FAILED, "6982"),
        ({"ssse": False}, CardFault.UNKNOWN_CARD, "select SSSE answered SW 6A82"),
        ({"drop_at": 8}, CardFault.READ_FAILED, "PC/SC"),  # pulled while EF06 is read
    ],
    ids=["pin", "not-ssse", "pulled"],
)
def test_faults(reader, events, insert, faults, fault, detail) -> None:
    card = insert(ZHOU, **faults)
    expect(events, CardDetected)
    failed = expect(events, CardReadFailed)
    assert failed.fault is fault and detail in failed.detail
    assert "周" not in failed.detail and ZHOU.number not in failed.detail
    card.remove()
    expect(events, CardRemoved)
    expect_quiet(events)


def test_a_card_already_present_is_read_at_start(stack, events, insert) -> None:
    card = insert(WANG)
    r = PcscReader(READER, name="social")
    r.start(events.put)
    try:
        expect_status(events, DeviceState.ONLINE)
        read(events, WANG)
        card.remove()
        expect(events, CardRemoved)
    finally:
        r.stop()


def test_each_reader_hears_only_its_own_cards(reader, events, insert) -> None:
    second_events: queue.Queue = queue.Queue()
    second = PcscReader(SECOND, name="second")
    second.start(second_events.put)
    try:
        assert expect_status(second_events, DeviceState.ONLINE).status.detail == SECOND
        card = insert(ZHOU, port=35964)
        assert expect(second_events, CardDetected).reader == "second"
        assert expect(second_events, CardRead).reader == "second"
        card.remove()
        assert expect(second_events, CardRemoved).reader == "second"
        expect_quiet(events)  # nothing reached the first reader
    finally:
        second.stop()

    nowhere: queue.Queue = queue.Queue()
    absent = PcscReader("No such reader")
    absent.start(nowhere.put)
    try:
        status = expect_status(nowhere, DeviceState.NO_DEVICE).status
        assert "no PC/SC reader matching" in status.detail
    finally:
        absent.stop()


def test_pcscd_going_away_and_coming_back(stack, reader, events, insert) -> None:
    if not stack.owned:
        pytest.skip("the running pcscd is not ours to stop")
    card = insert(WANG)
    read(events, WANG)

    late_events: queue.Queue = queue.Queue()
    late = PcscReader(READER, name="second")
    try:
        stack.stop()
        expect(events, CardRemoved)
        gone = expect_status(events, DeviceState.NO_DEVICE).status
        assert "not running" in gone.detail and gone.media is Media.UNKNOWN
        assert not card.inserted  # vpcd went with pcscd
        late.start(late_events.put)  # a reader started while there is no pcscd at all
        assert "not running" in expect_status(late_events, DeviceState.NO_DEVICE).status.detail
        expect_quiet(events, 2.5)  # retries quietly, no repeated reports
        assert reader.running and late.running
    finally:
        stack.start()

    assert expect_status(events, DeviceState.ONLINE).status.detail == READER
    expect_status(late_events, DeviceState.ONLINE)
    late.stop()
    card = insert(ZHOU)
    read(events, ZHOU)
    card.remove()
    expect(events, CardRemoved)
