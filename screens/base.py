"""The base of every kiosk screen: render the journey's state, forward taps, nothing more.

A screen is built once (its .kv loaded on first use) and reused for every citizen; ``render``
is called whenever the journey changed and must only copy values into properties. Journey
logic never lives here.
"""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.i18n import SOURCE, _
from kiosk.journey import Journey

HERE = Path(__file__).parent


class KioskScreen(Screen):
    kv_file = ""  # set by subclasses: the screen's own .kv beside it
    step = NumericProperty(0)
    countdown = NumericProperty(0)  # seconds left, only while the warning is due
    greeting = StringProperty("")
    notice = StringProperty("")
    has_voice = BooleanProperty(False)  # a spoken prompt: the frame offers 再听一遍
    staff_call = StringProperty("")  # "", "called" or "acknowledged" (the frame's banner)
    take_card = BooleanProperty(False)  # "请取走身份证": an ended session's card on the reader
    confirm_leave = BooleanProperty(False)  # "结束办理？" in the bottom bar
    language = StringProperty(SOURCE)  # the journey's: the frame's English / 中文 switch
    language_switch = BooleanProperty(True)  # a citizen screen: the frame offers English / 中文
    suggest_english = BooleanProperty(False)  # a foreign resident card: "Continue in English?"
    greeting_en = StringProperty("")  # the suggestion's greeting, by the card's English name

    @classmethod
    def build(cls) -> KioskScreen:
        path = str(HERE / cls.kv_file)
        if cls.kv_file and path not in Builder.files:
            Builder.load_file(path)
        return cls(name=cls.screen_name())

    @classmethod
    def screen_name(cls) -> str:
        return cls.kv_file.removesuffix(".kv")

    @property
    def theme(self):
        return App.get_running_app().theme

    def tap(self, action: str, arg: str = "") -> None:
        App.get_running_app().tap(action, arg)

    def render(self, journey: Journey) -> None:
        s = journey.session
        self.step = journey.step
        name = s.name_for(journey.language) if s else ""
        self.greeting = _("{name}，您好").format(name=name) if name else ""
        self.language = journey.language
        self.suggest_english = journey.suggest_english
        # in English whatever the screen's language: it is offered to someone who reads English
        english_name = (s.display_name_en or s.display_name) if s else ""
        self.greeting_en = f"Welcome, {english_name}." if english_name else "Welcome."
        self.notice = _(journey.notice)
        call = journey.staff_call
        self.staff_call = "" if call is None else "acknowledged" if call.acknowledged else "called"
        self.take_card = journey.take_card
        self.confirm_leave = journey.confirm_leave

    def tick(self, journey: Journey, now: float) -> None:
        """Every half second on screen: what shows a running time reads it again here."""

    def on_enter(self, *_args) -> None:
        self._spin(True)

    def on_leave(self, *_args) -> None:
        self._spin(False)

    def _spin(self, active: bool) -> None:
        from screens.widgets import BusySpinner

        for w in self.walk(restrict=True):
            if isinstance(w, BusySpinner):
                w.active = active
