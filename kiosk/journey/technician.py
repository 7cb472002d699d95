"""The technician's mode: a hidden entry, a PIN, and a screen of the kiosk's own state.

    ATTRACT, OUT_OF_SERVICE ─long press (≥3 s) in the top-left corner→ TECH_PIN
    TECH_PIN ─right PIN→ TECHNICIAN          ─返回 / quiet for IDLE_SECONDS→ where it came from
    TECHNICIAN ─退出 / quiet for IDLE_SECONDS→ ATTRACT or OUT_OF_SERVICE
    TECHNICIAN ─修改 (a device's address)→ TECH_ADDRESS ─返回 / applied→ TECHNICIAN

Only from the idle states: a citizen's session never shares the screen with it. The PIN is
checked off the UI thread (scrypt, ~70 ms) against ``[technician] pin_hash`` (kiosk.pin); five
wrong PINs in a row lock the keypad for five minutes on the journey's monotonic clock, and the
lock outlives leaving and coming back. No PIN configured: the PIN screen says so and its keypad
stays off. Every action is audited as a ``technician`` device event (action and outcome only:
never the PIN, never a citizen's data).

A device's address is edited on TECH_ADDRESS: typed on the screen's keyboard (no input method,
no physical keyboard at a kiosk) or picked from the addresses found on this machine, checked by
the address registry at once, then written to the configuration file and the device reopened
by the runtime (ApplyAddress), with no restart: the new driver's statuses reach the device
table like any other, and the kiosk returns to service by itself when the device answers.
"""

from __future__ import annotations

from kiosk import addresses, masking, pin, qr
from kiosk.devices import DeviceKind
from kiosk.events import (
    Action,
    AddressApplied,
    AddressCandidates,
    CardRead,
    CardReadFailed,
    PinChecked,
    Tap,
    TechnicianInfo,
    TestPrinted,
)
from kiosk.i18n import N_
from kiosk.journey import availability
from kiosk.journey.core import AddressEdit, JourneyCore, TechnicianVisit
from kiosk.journey.effects import (
    ApplyAddress,
    CheckPin,
    DeliverOutbox,
    Effects,
    ListAddressCandidates,
    LoadTechnicianInfo,
    RestartApp,
    TechnicianAudit,
    TestPrint,
)
from kiosk.journey.phase import Phase
from kiosk.journey.scan import classify
from kiosk.journey.states import IDLE_STATES, State

phase = Phase("technician")

LONG_PRESS_SECONDS = 3.0  # the hidden entry: held this long in the top-left corner
PIN_MAX = 8  # digits the keypad takes (kiosk.pin: 6 to 8)

NO_PIN = N_("本机未设置维护密码，维护模式不可用。请用 kiosk config set-pin 设置。")
WRONG_PIN = N_("密码错误")
SHORT_PIN = N_("密码为 6 到 8 位数字")
LOCKED = N_("错误次数过多，已锁定")
CARD_WAITING = N_("请将身份证放在读卡器上")
SCAN_WAITING = N_("请在扫码器上扫一个二维码")
ADDRESS_EMPTY = N_("请输入设备地址")
ADDRESS_UNCHANGED = N_("地址没有改变")
ADDRESS_MAX = 512  # characters the keyboard takes: longer than any real address


def open_entry(j: JourneyCore, effects: Effects) -> None:
    """The long press: the PIN screen, only while no one's turn is open."""
    if j.state not in IDLE_STATES or j.session is not None:
        effects.append(TechnicianAudit("entry", "refused"))
        return
    visit = TechnicianVisit(pin.Inactivity(j.mono, j.settings.technician_idle_seconds))
    if not j.settings.technician_pin_set:
        visit.message = NO_PIN
        outcome = "no_pin"
    elif not j.lockout.allowed(j.mono):
        outcome = "locked"
    else:
        outcome = "opened"
    j.technician = visit
    j.enter(State.TECH_PIN)
    _touched(j)
    effects.append(TechnicianAudit("entry", outcome))


def locked_for(j: JourneyCore, now: float) -> float:
    """Seconds the keypad stays locked (0: open). Reads only: a screen asks every tick."""
    until = j.lockout.until
    return 0.0 if until is None else max(0.0, until - now)


def keypad_enabled(j: JourneyCore, now: float) -> bool:
    v = j.technician
    return (
        v is not None
        and j.settings.technician_pin_set
        and not v.checking
        and locked_for(j, now) == 0.0
    )


def _touched(j: JourneyCore) -> None:
    """Activity: the quiet spell starts again (the deadline is the technician's own)."""
    v = j.technician
    assert v is not None
    v.inactivity.touched(j.mono)
    j.deadline = v.inactivity.last + v.inactivity.seconds


def _leave(j: JourneyCore, why: str, effects: Effects) -> None:
    signed_in = j.technician is not None and j.technician.signed_in
    j.technician = None
    j.enter(j.idle_state())
    effects.append(TechnicianAudit("leave" if signed_in else "pin_closed", why))


@phase.tap(State.TECH_PIN)
def tap_pin(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    v = j.technician
    if v is None:  # cannot happen: the state and the visit go together
        j.enter(j.idle_state())
        return
    _touched(j)
    a = tap.action
    if a in (Action.TECH_LEAVE, Action.BACK):
        _leave(j, "tap", effects)
        return
    if not keypad_enabled(j, j.mono):
        return  # no PIN configured, locked, or a check under way: the keys do nothing
    if a is Action.PIN_DIGIT and len(tap.arg) == 1 and tap.arg in "0123456789":
        if len(v.digits) < PIN_MAX:
            v.digits += tap.arg
            v.message = ""
    elif a is Action.PIN_DELETE:
        v.digits = v.digits[:-1]
    elif a is Action.PIN_ENTER:
        typed, v.digits = v.digits, ""
        if not pin.PIN_PATTERN.fullmatch(typed):
            v.message = SHORT_PIN
            return
        v.checking = True
        effects.append(CheckPin(typed))


@phase.on(PinChecked)
def pin_checked(j: JourneyCore, event: PinChecked, effects: Effects) -> None:
    v = j.technician
    if j.state is not State.TECH_PIN or v is None or not v.checking:
        return  # the technician left meanwhile: nothing opens
    v.checking = False
    if event.ok:
        j.lockout.succeeded()
        v.signed_in = True
        v.message = ""
        j.enter(State.TECHNICIAN)
        _touched(j)
        effects.append(TechnicianAudit("pin", "right"))
        effects.append(LoadTechnicianInfo())
        return
    j.lockout.failed(j.mono)
    effects.append(TechnicianAudit("pin", "wrong"))
    if j.lockout.allowed(j.mono):
        v.message = WRONG_PIN
    else:
        v.message = LOCKED
        effects.append(TechnicianAudit("lockout", "started"))


@phase.tap(State.TECHNICIAN)
def tap_technician(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    v = j.technician
    if v is None or not v.signed_in:
        j.enter(j.idle_state())
        return
    _touched(j)
    a = tap.action
    if a in (Action.TECH_LEAVE, Action.BACK):
        _leave(j, "tap", effects)
    elif a is Action.TECH_REFRESH:
        effects.append(LoadTechnicianInfo())
    elif a is Action.TECH_DELIVER:
        effects.append(TechnicianAudit("deliver_outbox", "requested"))
        effects.append(DeliverOutbox())
        effects.append(LoadTechnicianInfo())
    elif a is Action.TECH_TEST_PRINT and not v.test_printing:
        v.test_printing = True
        v.test_print = None
        effects.append(TestPrint())
    elif a is Action.TECH_CARD_TEST:
        v.card_test = CARD_WAITING
    elif a is Action.TECH_SCAN_TEST:
        v.scan_test = SCAN_WAITING
    elif a is Action.TECH_EDIT_ADDRESS:
        _edit(j, v, tap.arg, effects)
    elif a is Action.TECH_RESTART:
        v.confirm_restart = True
    elif a is Action.TECH_RESTART_CONFIRM:
        v.confirm_restart = False
        if tap.arg == "yes":
            effects.append(TechnicianAudit("restart", "confirmed"))
            effects.append(RestartApp())


@phase.on(TechnicianInfo)
def info_loaded(j: JourneyCore, event: TechnicianInfo, effects: Effects) -> None:
    if j.state is State.TECHNICIAN and j.technician is not None:
        j.technician.info = event


@phase.on(TestPrinted)
def test_printed(j: JourneyCore, event: TestPrinted, effects: Effects) -> None:
    effects.append(TechnicianAudit("test_print", "ok" if event.ok else "failed"))
    if j.state is State.TECHNICIAN and j.technician is not None:
        j.technician.test_printing = False
        j.technician.test_print = event


def _edit(j: JourneyCore, v: TechnicianVisit, arg: str, effects: Effects) -> None:
    """修改 beside a configured address: its editor, starting from the address as it is."""
    kind_text, _sep, index_text = arg.partition(":")
    configured = [(k, a) for k, a in (v.info.addresses if v.info else ()) if k == kind_text]
    try:
        kind = DeviceKind(kind_text)
        index = int(index_text or 0)
        original = configured[index][1]
    except (ValueError, IndexError):
        return  # not a device shown on the screen: nothing to edit
    v.edit = AddressEdit(kind, index, original, original)
    v.address_result = ""
    j.enter(State.TECH_ADDRESS)
    _touched(j)
    effects.append(TechnicianAudit("edit_address", kind.value))
    effects.append(ListAddressCandidates(kind, original))


@phase.tap(State.TECH_ADDRESS)
def tap_address(j: JourneyCore, tap: Tap, effects: Effects) -> None:
    v = j.technician
    e = v.edit if v is not None else None
    if v is None or e is None or not v.signed_in:
        j.enter(j.idle_state())
        return
    _touched(j)
    a = tap.action
    if a in (Action.BACK, Action.TECH_LEAVE):
        v.edit = None
        j.enter(State.TECHNICIAN)
        return
    if e.applying:
        return  # written and reopened meanwhile: the keys wait for the outcome
    if a is Action.TECH_KEY and len(tap.arg) == 1 and tap.arg.isprintable():
        if len(e.text) < ADDRESS_MAX:
            e.text += tap.arg
            e.message = ""
    elif a is Action.TECH_KEY_DELETE:
        e.text, e.message = e.text[:-1], ""
    elif a is Action.TECH_KEY_CLEAR:
        e.text, e.message = "", ""
    elif a is Action.TECH_CANDIDATE and tap.arg in e.candidates:
        e.text, e.message = tap.arg, ""
    elif a is Action.TECH_APPLY_ADDRESS:
        _apply(e, effects)


def _apply(e: AddressEdit, effects: Effects) -> None:
    """Checked here first by the registry (pure, instant: a typo is named before anything is
    written); the runtime checks the whole configuration again before writing it."""
    text = e.text.strip()
    if not text:
        e.message = ADDRESS_EMPTY
        return
    if text == e.original:
        e.message = ADDRESS_UNCHANGED
        return
    try:
        addresses.parse(text, kind=e.kind)
    except addresses.AddressError as exc:
        e.message = exc.problem
        effects.append(TechnicianAudit("apply_address", "refused"))
        return
    e.applying = True
    effects.append(ApplyAddress(e.kind, e.index, text))


@phase.on(AddressCandidates)
def candidates_found(j: JourneyCore, event: AddressCandidates, effects: Effects) -> None:
    e = j.technician.edit if j.technician is not None else None
    if j.state is State.TECH_ADDRESS and e is not None and e.kind is event.kind:
        e.candidates = event.candidates


@phase.on(AddressApplied)
def address_applied(j: JourneyCore, event: AddressApplied, effects: Effects) -> None:
    """The runtime wrote the file and reopened the device (or could not). Applied: the device
    table forgets the drivers that are gone and service is decided again; the technician sees
    the device's new status on the technician screen."""
    effects.append(TechnicianAudit("apply_address", "applied" if event.ok else "failed"))
    if event.ok and event.kind is not None:
        availability.devices_reconfigured(j, event, effects)
    v = j.technician
    e = v.edit if v is not None else None
    if v is None or e is None:
        return  # the technician left meanwhile (the change, if made, stands)
    e.applying = False
    if not event.ok:
        e.message = event.detail
        return
    v.address_result = event.detail
    v.edit = None
    if j.state is State.TECH_ADDRESS:
        j.enter(State.TECHNICIAN)
        effects.append(LoadTechnicianInfo())


@phase.timeout(State.TECH_PIN, State.TECHNICIAN, State.TECH_ADDRESS)
def quiet(j: JourneyCore, effects: Effects) -> None:
    """Nobody touched the screen for the technician's inactivity limit: back to idle."""
    v = j.technician
    if v is not None and not v.inactivity.expired(j.mono):
        j.deadline = v.inactivity.last + v.inactivity.seconds
        return
    _leave(j, "timeout", effects)


def card_read(j: JourneyCore, event: CardRead, effects: Effects) -> None:
    """The card-read test: only the masked name and number reach the screen; the card is wiped
    at once and nothing of it goes into the audit."""
    v = j.technician
    if v is not None and v.card_test:
        v.card_test = (
            f"{masking.mask_name(event.card.name)} {masking.mask_number(event.card.number)}"
        )
        _touched(j)
        effects.append(TechnicianAudit("card_test", "read"))
    event.card.wipe()


def scan_read(j: JourneyCore, event: qr.QrScanned, effects: Effects) -> None:
    """The scan test: the code's kind and masked parts (kiosk.qr.describe, as in the log);
    never the code itself, which may open a certificate or an identity to whoever holds it."""
    v = j.technician
    if v is None or not v.scan_test:
        return
    try:
        scan = classify(j, event.payload)
    except qr.ScanRefused as refused:
        v.scan_test = refused.reason
        outcome = "refused"
    else:
        v.scan_test = qr.describe(scan)
        outcome = scan.kind.value
    _touched(j)
    effects.append(TechnicianAudit("scan_test", outcome))


def scan_rejected(j: JourneyCore, event: qr.QrRejected, effects: Effects) -> None:
    v = j.technician
    if v is not None and v.scan_test:
        v.scan_test = f"{event.code or 'refused'}: {event.reason}"
        _touched(j)
        effects.append(TechnicianAudit("scan_test", event.code or "refused"))


def card_read_failed(j: JourneyCore, event: CardReadFailed, effects: Effects) -> None:
    v = j.technician
    if v is not None and v.card_test:
        v.card_test = event.fault.value
        effects.append(TechnicianAudit("card_test", event.fault.value))
