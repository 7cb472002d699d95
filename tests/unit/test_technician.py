"""The technician's mode in the pure journey: the hidden entry only from the idle states, the
PIN right and wrong, the lockout after five and its end, leaving by itself, the audit events.
The PIN's check itself (scrypt) is kiosk.pin's and the runtime's: here its answer is an event."""

from __future__ import annotations

import datetime as dt

from devkit.people import BY_KEY
from kiosk import journey as j
from kiosk import pin
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus
from kiosk.events import (
    Action,
    CardDetected,
    CardRead,
    DeviceChanged,
    PinChecked,
    Tap,
    TechnicianInfo,
    Tick,
)

WALL = dt.datetime(2026, 12, 2, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
GOOD = "20261202"


class Kiosk:
    """A journey fed events at a clock the test moves. ``check`` plays the runtime: a CheckPin
    effect is answered with whether the PIN is GOOD (no scrypt here)."""

    def __init__(self, *, pin_set: bool = True) -> None:
        self.now = 1000.0
        settings = j.JourneySettings("SX-TY-0001", "140100", 60, 20, technician_pin_set=pin_set)
        self.journey = j.Journey(settings)
        self.effects: list = self.journey.start(self.moment())
        for kind in DeviceKind:
            self(DeviceChanged(DeviceStatus(kind, DeviceState.ONLINE, source="x")))

    def moment(self) -> j.Now:
        return j.Now(self.now, WALL + dt.timedelta(seconds=self.now - 1000.0), 1)

    def __call__(self, event) -> list:
        out = self.journey.dispatch(event, self.moment())
        self.effects.extend(out)
        for effect in out:
            if isinstance(effect, j.CheckPin):
                self(PinChecked(effect.pin == GOOD))
        return out

    def tap(self, action: Action, arg: str = "") -> list:
        return self(Tap(action, arg))

    def type_pin(self, digits: str) -> None:
        for d in digits:
            self.tap(Action.PIN_DIGIT, d)
        self.tap(Action.PIN_ENTER)

    def later(self, seconds: float) -> None:
        self.now += seconds
        self(Tick())

    @property
    def state(self) -> j.State:
        return self.journey.state

    def audits(self) -> list[tuple[str, str]]:
        return [(e.action, e.outcome) for e in self.effects if isinstance(e, j.TechnicianAudit)]


def test_the_long_press_opens_the_pin_screen_and_the_right_pin_the_technician_screen():
    k = Kiosk()
    k.tap(Action.TECHNICIAN)
    assert k.state is j.State.TECH_PIN
    k.tap(Action.PIN_DIGIT, "2")
    assert k.journey.technician.digits == "2"
    k.tap(Action.PIN_DELETE)
    k.type_pin(GOOD)
    assert k.state is j.State.TECHNICIAN
    assert k.journey.technician.digits == "", "the digits are not kept once checked"
    assert any(isinstance(e, j.LoadTechnicianInfo) for e in k.effects)
    assert k.audits() == [("entry", "opened"), ("pin", "right")]
    k.tap(Action.TECH_LEAVE)
    assert k.state is j.State.ATTRACT and k.journey.technician is None
    assert k.audits()[-1] == ("leave", "tap")


def test_the_entry_is_reached_from_out_of_service_and_leads_back_there():
    k = Kiosk()
    k(DeviceChanged(DeviceStatus(DeviceKind.CARD_READER, DeviceState.NO_DEVICE, source="x")))
    assert k.state is j.State.OUT_OF_SERVICE
    k.tap(Action.TECHNICIAN)
    k.type_pin(GOOD)
    assert k.state is j.State.TECHNICIAN
    k(DeviceChanged(DeviceStatus(DeviceKind.CARD_READER, DeviceState.ONLINE, source="x")))
    assert k.state is j.State.TECHNICIAN, "a device coming back does not throw the technician out"
    k.tap(Action.TECH_LEAVE)
    assert k.state is j.State.ATTRACT


def test_never_reachable_while_a_citizen_is_served():
    k = Kiosk()
    k(CardDetected())
    k(CardRead(BY_KEY["zhang_wei"].card()))
    assert k.journey.session is not None
    before = k.state
    k.tap(Action.TECHNICIAN)
    assert k.state is before and k.journey.technician is None
    assert k.audits() == [("entry", "refused")]
    k2 = Kiosk()
    k2.tap(Action.BROWSE)
    k2.tap(Action.TECHNICIAN)
    assert k2.state is j.State.CATALOGUE, "only from the attract or out-of-service screen"


def test_no_pin_configured_says_so_and_stays_closed():
    k = Kiosk(pin_set=False)
    k.tap(Action.TECHNICIAN)
    assert k.state is j.State.TECH_PIN
    assert "set-pin" in k.journey.technician.message
    assert not k.journey.technician_keypad_enabled(k.now)
    k.type_pin(GOOD)
    assert k.state is j.State.TECH_PIN and not any(isinstance(e, j.CheckPin) for e in k.effects)
    assert ("entry", "no_pin") in k.audits()


def test_a_wrong_pin_is_told_and_a_short_one_is_not_checked():
    k = Kiosk()
    k.tap(Action.TECHNICIAN)
    k.type_pin("12345")
    assert not any(isinstance(e, j.CheckPin) for e in k.effects)
    k.type_pin("111111")
    assert k.state is j.State.TECH_PIN
    assert k.journey.technician.message == "密码错误"
    assert k.audits() == [("entry", "opened"), ("pin", "wrong")]


def test_five_wrong_pins_lock_for_five_minutes_then_the_right_one_opens():
    k = Kiosk()
    k.tap(Action.TECHNICIAN)
    for _ in range(pin.LOCK_AFTER):
        k.type_pin("111111")
    assert k.journey.technician_locked_for(k.now) == pin.LOCK_SECONDS
    assert ("lockout", "started") in k.audits()
    checks = sum(isinstance(e, j.CheckPin) for e in k.effects)
    k.type_pin(GOOD)
    assert k.state is j.State.TECH_PIN, "locked: not even the right PIN"
    assert sum(isinstance(e, j.CheckPin) for e in k.effects) == checks, "never checked"
    k.tap(Action.TECH_LEAVE)  # leaving and coming back does not reset the lock
    k.later(pin.LOCK_SECONDS - 60)
    k.tap(Action.TECHNICIAN)
    assert ("entry", "locked") in k.audits()
    assert k.journey.technician_locked_for(k.now) == 60
    k.later(30)
    k.tap(Action.PIN_DIGIT, "0")  # activity, but the keys are off
    k.later(30)
    assert k.journey.technician_locked_for(k.now) == 0
    k.type_pin(GOOD)
    assert k.state is j.State.TECHNICIAN
    assert [a for a in k.audits() if a[0] == "pin"] == [("pin", "wrong")] * 5 + [("pin", "right")]


def test_the_technician_leaves_by_itself_after_a_quiet_spell_with_a_warning():
    k = Kiosk()
    k.tap(Action.TECHNICIAN)
    k.type_pin(GOOD)
    k.later(pin.IDLE_SECONDS - 30)
    assert k.state is j.State.TECHNICIAN and not k.journey.warning(k.now)
    k.tap(Action.TECH_REFRESH)  # a touch: the spell starts again
    k.later(pin.IDLE_SECONDS - 10)
    assert k.state is j.State.TECHNICIAN
    assert k.journey.warning(k.now), "the warning is up before it leaves"
    k.later(10)
    assert k.state is j.State.ATTRACT and k.journey.technician is None
    assert k.audits()[-1] == ("leave", "timeout")


def test_the_pin_screen_left_alone_closes_too():
    k = Kiosk()
    k.tap(Action.TECHNICIAN)
    k.tap(Action.PIN_DIGIT, "1")
    k.later(pin.IDLE_SECONDS)
    assert k.state is j.State.ATTRACT and k.journey.technician is None
    assert k.audits()[-1] == ("pin_closed", "timeout")


def test_a_pin_answer_after_leaving_opens_nothing():
    k = Kiosk()
    k.tap(Action.TECHNICIAN)
    for d in GOOD:
        k.tap(Action.PIN_DIGIT, d)
    out = k.journey.dispatch(Tap(Action.PIN_ENTER), k.moment())  # the check is under way
    assert any(isinstance(e, j.CheckPin) for e in out)
    k.tap(Action.TECH_LEAVE)
    k(PinChecked(True))
    assert k.state is j.State.ATTRACT


def test_actions_inside_are_audited_and_restart_needs_confirmation():
    k = Kiosk()
    k.tap(Action.TECHNICIAN)
    k.type_pin(GOOD)
    info = TechnicianInfo("1.0", 12.0, (("rating", 2),), 30.0, 1)
    k(info)
    assert k.journey.technician.info == info
    k.tap(Action.TECH_DELIVER)
    assert any(isinstance(e, j.DeliverOutbox) for e in k.effects)
    k.tap(Action.TECH_RESTART)
    assert k.journey.technician.confirm_restart
    k.tap(Action.TECH_RESTART_CONFIRM, "no")
    assert not any(isinstance(e, j.RestartApp) for e in k.effects)
    k.tap(Action.TECH_RESTART)
    k.tap(Action.TECH_RESTART_CONFIRM, "yes")
    assert any(isinstance(e, j.RestartApp) for e in k.effects)
    assert k.audits()[-2:] == [("deliver_outbox", "requested"), ("restart", "confirmed")]
    for e in k.effects:  # never the PIN in what goes to the outbox
        if isinstance(e, j.TechnicianAudit):
            assert GOOD not in repr(e)


def test_the_card_read_test_shows_only_a_masked_result_and_audits_nothing_of_the_card():
    k = Kiosk()
    k.tap(Action.TECHNICIAN)
    k.type_pin(GOOD)
    person = BY_KEY["zhang_wei"]
    card = person.card()
    number, name = card.number, card.name
    k(CardRead(card))  # not asked for: nothing shown, the card wiped all the same
    assert k.journey.technician.card_test == "" and card.number != number
    k.tap(Action.TECH_CARD_TEST)
    assert k.journey.technician.card_test == "请将身份证放在读卡器上"
    k(CardRead(person.card()))
    shown = k.journey.technician.card_test
    assert number not in shown and name not in shown
    assert shown.endswith(number[-4:]) and shown.split()[1].startswith(number[:6])
    assert k.state is j.State.TECHNICIAN and k.journey.session is None
    assert k.audits()[-1] == ("card_test", "read")
    assert not any(number in repr(e) or name in repr(e) for e in k.effects)


def test_a_pin_digit_tap_does_not_show_its_digit():
    assert "7" not in repr(Tap(Action.PIN_DIGIT, "7"))
    assert "ABC" in repr(Tap(Action.SELECT_ITEM, "ABC"))
