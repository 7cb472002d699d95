"""Widgets every screen shares: the frame (top and bottom bars), buttons, panels, pictures.

Each widget that a person can tap has a ``kid`` (kiosk id) such as ``bottom.exit`` or
``items.row:ITEMCODE``; the autopilot and the ui tests find widgets by it and tap them with real
touch events.
"""

from __future__ import annotations

from kivy.animation import Animation
from kivy.app import App
from kivy.clock import Clock
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.journey.technician import LONG_PRESS_SECONDS
from screens.breaking import LineBreaking


class KLabel(LineBreaking, Label):
    """A label that wraps to its width and grows to its text (for Chinese paragraphs)."""

    role = OptionProperty("body", options=["body", "small", "title", "big"])


class WrapLabel(LineBreaking, Label):
    """A plain label whose lines break by the Chinese rules (docs/line-breaking.md)."""


class KButton(ButtonBehavior, LineBreaking, Label):
    kid = StringProperty("")
    kind = OptionProperty(
        "secondary", options=["primary", "secondary", "warning", "danger", "ghost", "choice"]
    )
    selected = BooleanProperty(False)  # for choice buttons (rating levels, reasons)
    compact = BooleanProperty(False)  # smaller words, for rows of many choices
    enabled = BooleanProperty(True)
    action = StringProperty("")
    arg = StringProperty("")
    bg = ColorProperty((1, 1, 1, 1))
    fg = ColorProperty((0, 0, 0, 1))
    edge = ColorProperty((0, 0, 0, 0))

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        t = theme()
        self.bind(kind=self._restyle, selected=self._restyle, enabled=self._restyle)
        self.bind(state=self._restyle)
        t.bind(primary=self._restyle, elder=self._restyle)
        self._restyle()

    def _restyle(self, *_args) -> None:
        t = theme()
        pressed = self.state == "down"
        if not self.enabled:
            self.bg, self.fg, self.edge = (0.93, 0.94, 0.96, 1), t.secondary, t.border
        elif self.kind == "primary":
            self.bg = _darker(t.primary) if pressed else t.primary
            self.fg, self.edge = t.white, self.bg
        elif self.kind == "warning":
            self.bg = _darker(t.warning) if pressed else t.warning
            self.fg, self.edge = t.white, self.bg
        elif self.kind == "danger":
            self.bg, self.fg, self.edge = t.white, t.danger, t.danger
        elif self.kind == "ghost":
            self.bg, self.fg, self.edge = (0, 0, 0, 0), t.primary, (0, 0, 0, 0)
        elif self.kind == "choice" and self.selected:
            self.bg, self.fg, self.edge = t.primary_soft, t.primary, t.primary
        else:
            self.bg = t.primary_soft if pressed else t.white
            self.fg, self.edge = t.primary if self.kind != "choice" else t.text, t.border

    def on_release(self) -> None:
        if self.enabled and self.action:
            tap(self, self.action, self.arg)

    def on_touch_down(self, touch):
        if not self.enabled and self.collide_point(*touch.pos):
            return True  # swallow: a disabled button does nothing, visibly
        return super().on_touch_down(touch)


class VoiceButton(ButtonBehavior, Label):
    """再听一遍 in the top bar: white on the bar's colour, as wide as its words (its own rule:
    a KButton's width follows the row, this one the text)."""

    kid = StringProperty("top.repeat")
    shown = BooleanProperty(False)

    def on_release(self) -> None:
        if self.shown:
            tap(self, "repeat_prompt")


class OneBarBinding:
    """For scroll views (ScrollView, RecycleView): one binding of the bar's colour, however
    much they scroll.

    Kivy 2.3's ScrollView.update_from_scroll binds ``bar_color`` again on every call (every
    frame that scrolls, resizes or relays the content) and unbinds it once, when the bar fades:
    the rest stay. The soak counted three or four more a journey, for ever, each one called on
    every later scroll. Unbinding before each update keeps one.
    """

    def update_from_scroll(self, *largs) -> None:
        self.funbind("bar_color", self._change_bar_color)
        super().update_from_scroll(*largs)


class KScrollView(OneBarBinding, ScrollView):
    """The ScrollView of every screen (see OneBarBinding)."""


class Panel(BoxLayout):
    """A white card with a thin border (docs/ui.md)."""


class TopBar(BoxLayout):
    screen = ObjectProperty(None, allownone=True, rebind=True)


class EnglishSuggestion(BoxLayout):
    """ "Continue in English?" after a foreign permanent resident's card was read."""

    screen = ObjectProperty(None, allownone=True, rebind=True)  # rebind: follow its language


class PaperProgressLayout(BoxLayout):
    """The progress screens' one layout: what is printing, a message, the progress."""

    screen = ObjectProperty(None, allownone=True, rebind=True)


class StepIndicator(BoxLayout):
    step = NumericProperty(0)
    steps = ListProperty([])


class CountdownBanner(ButtonBehavior, BoxLayout):
    """ "还剩 15 秒 · 需要更多时间": shown only while the warning is due; one tap extends."""

    kid = StringProperty("top.more_time")
    seconds = NumericProperty(0)

    def on_release(self) -> None:
        tap(self, "more_time")


class LongPress:
    """Held for LONG_PRESS_SECONDS, the widget forwards its ``long_action`` (released early:
    nothing). For what only staff should do without a staff screen of its own."""

    long_action = ""

    def on_touch_down(self, touch):
        if not getattr(self, "enabled", True) or not self.collide_point(*touch.pos):
            return super().on_touch_down(touch)
        touch.grab(self)
        touch.ud[self] = Clock.schedule_once(
            lambda _dt: tap(self, self.long_action), LONG_PRESS_SECONDS
        )
        return True

    def on_touch_up(self, touch):
        if touch.grab_current is not self:
            return super().on_touch_up(touch)
        touch.ungrab(self)
        touch.ud.pop(self).cancel()  # released early: nothing (released late: already sent)
        return True


class StaffCallBanner(LongPress, BoxLayout):
    """ "已呼叫工作人员 · 请稍候" from the call until staff acknowledge it, then "工作人员已收到";
    staff acknowledge at the kiosk by holding it (a citizen's short tap does nothing)."""

    kid = StringProperty("top.staff_call")
    state = OptionProperty("", options=["", "called", "acknowledged"])
    enabled = BooleanProperty(False)  # only a call not yet acknowledged can be held
    long_action = "staff_ack"


class AlertBanner(BoxLayout):
    """One bold line on the warning colour across the frame (e.g. "请取走身份证"); no height
    without text."""

    text = StringProperty("")


class TechCorner(LongPress, Widget):
    """The technician's hidden entry: held for LONG_PRESS_SECONDS in the top-left corner, it
    forwards ``technician`` (the journey decides whether anything opens). Draws nothing."""

    kid = StringProperty("tech.corner")
    long_action = "technician"


class BottomBar(BoxLayout):
    screen = ObjectProperty(None, allownone=True, rebind=True)
    show_back = BooleanProperty(True)
    show_exit = BooleanProperty(True)
    asking = BooleanProperty(False)  # "结束办理？": 结束办理 / 继续办理 instead of 返回 / 退出


class Notice(BoxLayout):
    text = StringProperty("")
    kind = OptionProperty("info", options=["info", "warning", "danger", "success"])


class BusySpinner(Widget):
    """A calm rotating arc: something is happening. Turns only while its screen is shown."""

    angle = NumericProperty(0)
    active = BooleanProperty(False)

    def on_active(self, _instance, active: bool) -> None:
        Animation.cancel_all(self)
        self.angle = 0
        if active:
            anim = Animation(angle=360, duration=1.2)
            anim.repeat = True
            anim.start(self)


class ProgressPanel(BoxLayout):
    message = StringProperty("")
    detail = StringProperty("")
    fraction = NumericProperty(-1)  # < 0: indeterminate


class Picture(Widget):
    """A drawing that keeps its proportions in any box: it draws into (bx, by, bw, bh)."""

    aspect = NumericProperty(1.0)  # width / height of the drawing
    bx = NumericProperty(0)
    by = NumericProperty(0)
    bw = NumericProperty(1)
    bh = NumericProperty(1)

    def on_kv_post(self, _base) -> None:
        self.bind(pos=self._fit, size=self._fit, aspect=self._fit)
        self._fit()

    def _fit(self, *_args) -> None:
        self.bw = max(1.0, min(self.width, self.height * self.aspect))
        self.bh = self.bw / self.aspect
        self.bx = self.x + (self.width - self.bw) / 2
        self.by = self.y + (self.height - self.bh) / 2


class ReaderPicture(Picture):
    """The card reader with a card going onto it (drawn, so it scales crisply)."""


class PaperPicture(Picture):
    """The paper slot with a slip coming out, and the card on the reader. ``paper`` False:
    nothing was printed, so only the card is shown to be taken."""

    paper = BooleanProperty(True)


class ScanPicture(Picture):
    """A document's QR code held to the scanner window (a licence or a printed certificate)."""

    kind = OptionProperty("licence", options=["licence", "certificate"])


def theme():
    return App.get_running_app().theme


def tap(widget, action: str, arg: str = "") -> None:
    """Hand a tap to the screen that holds the widget (screens forward it to the runtime)."""
    w = widget.parent
    while w is not None and not hasattr(w, "tap"):
        parent = w.parent
        w = None if parent is w else parent  # the Window is its own parent
    if w is not None:
        w.tap(action, arg)


def _darker(colour, factor: float = 0.8):
    r, g, b, a = colour
    return (r * factor, g * factor, b * factor, a)
