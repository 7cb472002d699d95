"""The Kivy application: one window, one ScreenManager, screens built once and reused.

The app renders the journey and forwards taps to the runtime; it owns no journey logic. The
attract screen is built first so the kiosk is on screen quickly; the others are built one per
frame in the background after the first frame, or on first use if a citizen is faster.
"""

from __future__ import annotations

import importlib
import logging
import math
import time
from pathlib import Path

from kivy.app import App
from kivy.base import ExceptionHandler, ExceptionManager
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.events import Action, Tick
from kiosk.journey import Journey, State
from kiosk.runtime import Runtime
from screens import item_list, widgets  # noqa: F401  (registers the kv classes)
from screens.base import KioskScreen
from screens.theme import Theme

log = logging.getLogger("screens.app")
HERE = Path(__file__).parent

SCREENS: dict[State, str] = {
    State.ATTRACT: "screens.attract:AttractScreen",
    State.CATALOGUE: "screens.catalogue:CatalogueScreen",
    State.IDENTIFYING: "screens.identifying:IdentifyingScreen",
    State.VERIFYING: "screens.verifying:VerifyingScreen",
    State.ITEMS: "screens.items:ItemsScreen",
    State.ITEM_DETAIL: "screens.item_detail:ItemDetailScreen",
    State.SUBMITTING: "screens.submitting:SubmittingScreen",
    State.PRINTING: "screens.printing:PrintingScreen",
    State.TAKE_DOCUMENTS: "screens.take_documents:TakeDocumentsScreen",
    State.RATING: "screens.rating:RatingScreen",
    State.GOODBYE: "screens.goodbye:GoodbyeScreen",
    State.ERROR: "screens.error:ErrorScreen",
    State.OUT_OF_SERVICE: "screens.out_of_service:OutOfServiceScreen",
}


class _KeepRunning(ExceptionHandler):
    """An error in a callback is logged and the kiosk carries on: never a desktop, never a
    traceback on screen. An error that repeats every frame would spin forever, so a burst of
    them ends the process instead and the supervisor (systemd Restart=always) starts it afresh.
    """

    BURST, WINDOW = 50, 10.0

    def __init__(self) -> None:
        super().__init__()
        self._times: list[float] = []

    def handle_exception(self, exception):
        if isinstance(exception, KeyboardInterrupt | SystemExit):
            return ExceptionManager.RAISE
        now = time.monotonic()
        self._times = [t for t in self._times if now - t < self.WINDOW] + [now]
        if len(self._times) > self.BURST:
            log.critical("UI errors repeat every frame: stopping so the supervisor restarts")
            return ExceptionManager.RAISE
        log.error("UI error kept from the citizen", exc_info=exception)
        return ExceptionManager.PASS


class KioskApp(App):
    hall_name = StringProperty("")
    title = "一证通办自助终端"

    def __init__(self, runtime: Runtime, *, overlays=(), on_ready=None, **kw) -> None:
        super().__init__(**kw)
        self.runtime = runtime
        self.hall_name = runtime.config.hall_name
        self.theme = Theme()
        self.overlays = list(overlays)  # callables(app) -> widget, e.g. the demo panel
        self.on_ready = on_ready  # called once the attract screen has been drawn
        self.screens: dict[State, KioskScreen] = {}
        self.sm: ScreenManager | None = None
        self._pending = list(SCREENS)
        self.allow_close = False

    # ---- building -------------------------------------------------------------------------------

    def build(self):
        ExceptionManager.add_handler(_KeepRunning())
        Window.clearcolor = self.theme.background
        Window.bind(on_request_close=self._on_request_close, size=self._on_size)
        self.theme.fit(*Window.size)
        Builder.load_file(str(HERE / "widgets.kv"))
        Builder.load_file(str(HERE / "item_list.kv"))
        root = FloatLayout()
        self.sm = ScreenManager(transition=NoTransition())
        root.add_widget(self.sm)
        journey = self.runtime.journey
        first = journey.state if journey.state in SCREENS else State.ATTRACT
        self._show(first, journey)
        for make in self.overlays:
            root.add_widget(make(self))
        self.runtime.listeners.append(self._on_journey)
        Clock.schedule_interval(self._tick, 0.5)
        return root

    def on_start(self) -> None:
        # start devices and network only once the window is up: the screen comes first
        Clock.schedule_once(self._after_first_frame, 0)

    def _after_first_frame(self, _dt) -> None:
        Clock.schedule_once(self._drawn, 0)
        self.runtime.start()
        Clock.schedule_once(self._build_next, 0.2)

    def _drawn(self, _dt) -> None:
        if self.on_ready is not None:
            self.on_ready(self)

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
            self.screens[state] = screen
            self.sm.add_widget(screen)
        return screen

    # ---- rendering ------------------------------------------------------------------------------

    def _on_journey(self, journey: Journey) -> None:
        self._show(journey.state, journey)

    def _show(self, state: State, journey: Journey) -> None:
        self.theme.elder = journey.elder_mode
        screen = self.screen(state)
        try:
            screen.render(journey)  # render first, so old data never flashes
        except Exception:
            log.exception("render of %s failed", state.value)
        self._update_countdown(screen, journey)
        if self.sm.current != screen.name:
            self.sm.current = screen.name

    def _tick(self, _dt) -> None:
        self.runtime.dispatch(Tick())
        journey = self.runtime.journey
        screen = self.screens.get(journey.state)
        if screen is not None:
            self._update_countdown(screen, journey)

    def _update_countdown(self, screen: KioskScreen, journey: Journey) -> None:
        now = self.runtime.clock()
        left = journey.remaining(now)
        screen.countdown = math.ceil(left) if (left is not None and journey.warning(now)) else 0

    @property
    def current_state(self) -> State:
        return self.runtime.journey.state

    # ---- input ----------------------------------------------------------------------------------

    def tap(self, action: str, arg: str = "") -> None:
        try:
            act = Action(action)
        except ValueError:
            log.error("unknown action %r", action)
            return
        self.runtime.tap(act, arg)

    def _on_request_close(self, *_args, **kw) -> bool:
        return not self.allow_close  # Esc or a window manager must not close the kiosk

    def _on_size(self, _window, size) -> None:
        self.theme.fit(*size)

    def shutdown(self) -> None:
        self.allow_close = True
        self.stop()

    def on_stop(self) -> None:
        self.runtime.stop()
