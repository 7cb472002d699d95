"""The Kivy application: one window, one ScreenManager, screens built once and reused.

The app renders the journey and forwards taps to the runtime; it owns no journey logic. The
attract screen is drawn first, from the journey alone; only then are the runtime, the devices
and the network brought up (their imports and threads cost ~0.3 s a citizen need not wait
for), and the other screens built one per frame, or on first use if a citizen is faster.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import math
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kivy.app import App
from kivy.base import ExceptionHandler, ExceptionManager
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk import addresses, assets, i18n
from kiosk.config import Config
from kiosk.events import Action, QrScanned, Tick
from kiosk.i18n import N_, language
from kiosk.journey import Journey, Now, State
from kiosk.qr import REFUSAL_REASONS, QrRejected, Refusal
from kiosk.voice import prompt as voice_prompt
from kiosk.wedge import WedgeDetector
from screens import item_list, widgets  # noqa: F401  (registers the kv classes)
from screens.base import KioskScreen
from screens.theme import Theme
from screens.voice import Voice

if TYPE_CHECKING:
    from kiosk.runtime import Runtime

log = logging.getLogger("screens.app")
HERE = Path(__file__).parent
RUNTIME_RETRY_SECONDS = 30.0  # a kiosk that could not start tries again on its own

SCREENS: dict[State, str] = {
    State.ATTRACT: "screens.attract:AttractScreen",
    State.CATALOGUE: "screens.catalogue:CatalogueScreen",
    State.IDENTIFYING: "screens.identifying:IdentifyingScreen",
    State.VERIFYING: "screens.verifying:VerifyingScreen",
    State.ITEMS: "screens.items:ItemsScreen",
    State.ITEM_DETAIL: "screens.item_detail:ItemDetailScreen",
    State.SUBMITTING: "screens.submitting:SubmittingScreen",
    State.PREVIEW: "screens.preview:PreviewScreen",
    State.PRINTING: "screens.printing:PrintingScreen",
    State.TAKE_DOCUMENTS: "screens.take_documents:TakeDocumentsScreen",
    State.NOTICE_PRINTING: "screens.notice_printing:NoticePrintingScreen",
    State.NOTICE_TAKEN: "screens.notice_taken:NoticeTakenScreen",
    State.SLIP_PRINTING: "screens.slip_printing:SlipPrintingScreen",
    State.CASES: "screens.cases:CasesScreen",
    State.REPRINTING: "screens.reprinting:ReprintingScreen",
    State.RATING: "screens.rating:RatingScreen",
    State.GOODBYE: "screens.goodbye:GoodbyeScreen",
    State.COMPLAINT: "screens.complaint:ComplaintScreen",
    State.COMPLAINT_SENT: "screens.complaint_sent:ComplaintSentScreen",
    State.ERROR: "screens.error:ErrorScreen",
    State.OUT_OF_SERVICE: "screens.out_of_service:OutOfServiceScreen",
    State.PHONE: "screens.phone:PhoneScreen",
    State.ENTERPRISE: "screens.enterprise:EnterpriseScreen",
    State.REPRESENTATIVE: "screens.representative:RepresentativeScreen",
    State.VERIFY_SCAN: "screens.verify_scan:VerifyScanScreen",
    State.CHECKING: "screens.checking:CheckingScreen",
    State.VERIFY_RESULT: "screens.verify_result:VerifyResultScreen",
    State.TECH_PIN: "screens.tech_pin:TechPinScreen",
    State.TECHNICIAN: "screens.technician:TechnicianScreen",
    State.TECH_ADDRESS: "screens.tech_address:TechAddressScreen",
}


ESCAPE = 27  # Kivy's key code for Escape (and Android's back)


class _KeepRunning(ExceptionHandler):
    """An error in a handler is logged and the kiosk carries on: never a desktop, never a
    traceback on screen. ``on_error`` shows the error screen (the citizen's turn ends there and
    the kiosk returns to the attract screen). An error that repeats every frame would spin
    forever, so a burst of them ends the process instead and the supervisor (systemd
    Restart=always) starts it afresh.

    The log holds the exception's type and the code lines of its traceback, never its message
    or values: those may echo what a citizen gave (an ID number in a ValueError).
    """

    BURST, WINDOW = 50, 10.0

    def __init__(self, on_error: Callable[[], None]) -> None:
        super().__init__()
        self._times: list[float] = []
        self._on_error = on_error

    def handle_exception(self, exception):
        if isinstance(exception, KeyboardInterrupt | SystemExit):
            return ExceptionManager.RAISE
        now = time.monotonic()
        self._times = [t for t in self._times if now - t < self.WINDOW] + [now]
        if len(self._times) > self.BURST:
            log.critical("UI errors repeat every frame: stopping so the supervisor restarts")
            return ExceptionManager.RAISE
        frames = "".join(traceback.format_tb(exception.__traceback__))
        log.error("UI error kept from the citizen: %s\n%s", type(exception).__name__, frames)
        try:
            self._on_error()
        except Exception as again:  # the error screen itself failed: the kiosk still runs
            log.error("the error screen could not be shown: %s", type(again).__name__)
        return ExceptionManager.PASS


class KioskApp(App):
    hall_name = StringProperty("")
    hall_name_en = StringProperty("")
    title = N_("一证通办自助终端")
    use_kivy_settings = False  # F1 opens no settings panel on a kiosk

    def __init__(
        self,
        kiosk_config: Config,
        journey: Journey,
        make_runtime: Callable[[], Runtime],
        *,
        overlays=(),
        on_drawn=None,
        on_ready=None,
        **kw,
    ) -> None:
        super().__init__(**kw)
        self.kiosk_config = kiosk_config
        self.journey = journey
        self._make_runtime = make_runtime
        self.runtime: Runtime | None = None
        self.hall_name = kiosk_config.hall_name
        self.hall_name_en = kiosk_config.hall_name_en
        self.icon = str(assets.image("icon.png"))
        self.theme = Theme()
        self.overlays = list(overlays)  # callables(app) -> widget, e.g. the demo panel
        self.on_drawn = on_drawn  # the first screen is on the glass (systemd READY=1)
        self.on_ready = on_ready  # the runtime is up too (the autopilot starts here)
        self.screens: dict[State, KioskScreen] = {}
        self.sm: ScreenManager | None = None
        self._pending = list(SCREENS)
        self.allow_close = False
        self.render_failures: list[str] = []  # for the tests: a render must never fail
        self.voice = Voice(kiosk_config.voice)
        self.voice_on = kiosk_config.voice.enabled
        self._voiced: State | None = None  # the screen whose prompt was last given

    # ---- building -------------------------------------------------------------------------------

    def build(self):
        # locked down: fullscreen, no cursor and no Escape come from the Kivy config set before
        # the window opened (main._prepare_kivy); these hold whatever that config said
        ExceptionManager.add_handler(_KeepRunning(self._handler_failed))
        Window.clearcolor = self.theme.background
        if not self.kiosk_config.demo:
            Window.show_cursor = False  # a touch screen: no pointer drawn over the citizen's
        Window.bind(
            on_request_close=self._on_request_close,
            on_keyboard=self._on_keyboard,
            size=self._on_size,
        )
        scanner = addresses.scheme_of(self.kiosk_config.devices.qr_scanner)
        if scanner is not None and scanner.name == "qr+wedge":
            # a keyboard-wedge scanner types its payload: bursts of keys become scans
            self._wedge = WedgeDetector()
            Window.bind(on_textinput=self._on_text, on_key_down=self._on_key)
        self.theme.fit(*Window.size)
        Builder.load_file(str(HERE / "widgets.kv"))
        Builder.load_file(str(HERE / "item_list.kv"))
        root = FloatLayout()
        self.sm = ScreenManager(transition=NoTransition())
        root.add_widget(self.sm)
        first = self.journey.state if self.journey.state in SCREENS else State.ATTRACT
        self._show(first, self.journey)
        for make in self.overlays:
            root.add_widget(make(self))
        Clock.schedule_interval(self._tick, 0.5)
        # another language: the screen on show renders again (kv rules follow screens.tr)
        i18n.on_language(lambda _lang: self._show(self.journey.state, self.journey))
        return root

    def on_start(self) -> None:
        Window.bind(on_flip=self._first_flip)

    def _first_flip(self, *_args) -> None:
        """The attract screen is on the glass; now bring up devices and the network."""
        Window.unbind(on_flip=self._first_flip)
        if self.on_drawn is not None:
            self.on_drawn(self)
        Clock.schedule_once(self._start_runtime, 0)

    def _start_runtime(self, _dt) -> None:
        runtime = None
        try:
            runtime = self._make_runtime()
            runtime.listeners.append(self._on_journey)
            runtime.start()
        except Exception:
            # nothing a citizen can do: out of service, and try again; systemd sees the log
            log.exception("the kiosk could not start its devices and services")
            if runtime is not None:
                with contextlib.suppress(Exception):
                    runtime.stop()
            self.journey.halt(Now.read())
            self._show(self.journey.state, self.journey)
            Clock.schedule_once(self._start_runtime, RUNTIME_RETRY_SECONDS)
            return
        self.runtime = runtime
        runtime.desk.restart = self.restart
        if self.on_ready is not None:
            self.on_ready(self)
        Clock.schedule_once(self._build_next, 0.2)

    def _build_next(self, _dt) -> None:
        while self._pending:
            state = self._pending.pop(0)
            if state not in self.screens:
                self.screen(state)
                Clock.schedule_once(self._build_next, 0)
                return

    def screen(self, state: State) -> KioskScreen:
        screen = self.screens.get(state)
        if screen is None:
            module, cls = SCREENS[state].split(":")
            screen = getattr(importlib.import_module(module), cls).build()
            screen.has_voice = self.voice_on and voice_prompt(state) is not None
            self.screens[state] = screen
            self.sm.add_widget(screen)
        return screen

    # ---- rendering ------------------------------------------------------------------------------

    def _on_journey(self, journey: Journey) -> None:
        self._show(journey.state, journey)

    def _show(self, state: State, journey: Journey) -> None:
        self.theme.elder = journey.elder_mode
        if i18n.language() != journey.language:
            # the citizen's language: every kv rule written with tr._ and the screen on show
            # render again in it (the listener set in build)
            i18n.set_language(journey.language)
        screen = self.screen(state)
        try:
            screen.render(journey)  # render first, so old data never flashes
        except Exception:
            log.exception("render of %s failed", state.value)
            self.render_failures.append(state.value)  # the citizen sees a half-drawn screen
        self._update_countdown(screen, journey)
        if self.sm.current != screen.name:
            self.sm.current = screen.name
        if state is not self._voiced:
            self._voiced = state
            self.voice.entered(state, language())

    def _tick(self, _dt) -> None:
        if self.runtime is None:
            return
        self.runtime.dispatch(Tick())
        screen = self.screens.get(self.journey.state)
        if screen is not None:
            self._update_countdown(screen, self.journey)
            screen.tick(self.journey, self.runtime.clock())

    def _update_countdown(self, screen: KioskScreen, journey: Journey) -> None:
        if self.runtime is None:
            return
        now = self.runtime.clock()
        left = journey.remaining(now)
        screen.countdown = math.ceil(left) if (left is not None and journey.warning(now)) else 0

    @property
    def current_state(self) -> State:
        return self.journey.state

    # ---- input ----------------------------------------------------------------------------------

    def tap(self, action: str, arg: str = "") -> None:
        try:
            act = Action(action)
        except ValueError:
            log.error("unknown action %r", action)
            return
        if act is Action.REPEAT_PROMPT:
            self.voice.repeat()  # the sound is the screen's; the journey counts the touch
        if self.runtime is not None:  # a tap in the first few hundred ms waits for the next
            self.runtime.tap(act, arg)

    def _on_text(self, _window, text: str) -> None:
        for ch in text:
            self._wedge_key(ch)

    def _on_key(self, _window, key: int, *_args) -> None:
        special = {13: "enter", 271: "enter", 9: "tab"}.get(key)
        if special:
            self._wedge_key(special)

    def _wedge_key(self, key: str) -> None:
        payload = self._wedge.key(key, time.perf_counter())
        if payload is None or self.runtime is None:
            return
        if isinstance(payload, Refusal):
            self.runtime.post(QrRejected(REFUSAL_REASONS[payload], "wedge", payload.value))
        else:
            self.runtime.post(QrScanned(payload, source="wedge"))

    def _on_request_close(self, *_args, **kw) -> bool:
        return not self.allow_close  # Esc or a window manager must not close the kiosk

    def _on_keyboard(self, _window, key: int, *_args, **_kw) -> bool:
        return key == ESCAPE  # swallowed: Escape neither closes the kiosk nor goes back

    def open_settings(self, *_args) -> bool:
        return False  # Kivy's settings panel (F1) is no place for a citizen

    def _handler_failed(self) -> None:
        """A handler raised (see _KeepRunning): the citizen's turn ends on the error screen."""
        if self.runtime is not None:
            self.runtime.handler_failed()

    def _on_size(self, _window, size) -> None:
        self.theme.fit(*size)

    def restart(self) -> None:
        """The technician asked for a restart: end with the code the supervisor restarts on."""
        from kiosk.technician_desk import RESTART_EXIT_CODE

        self.exit_code = RESTART_EXIT_CODE
        Clock.schedule_once(lambda _dt: self.shutdown(), 0)

    def shutdown(self) -> None:
        self.allow_close = True
        self.stop()

    def on_stop(self) -> None:
        if self.runtime is not None:
            self.runtime.stop()
