"""Design tokens (docs/ui.md) in one place, scaled from the real screen.

Sizes in docs/ui.md are given for 1080 px on the short side; ``Theme`` multiplies them by the
actual short side / 1080, and by 1.5 in 长辈模式, so kv files say ``app.theme.body`` and never a
constant. Elderly mode also switches to the colour variants meant for 7:1 contrast (docs/ui.md
gives every token's contrast, and says where one falls short).
"""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty
from kivy.utils import get_color_from_hex as hexc

BASE_SHORT_SIDE = 1080.0
ELDER_FACTOR = 1.5

COLOURS = {
    "primary": "#1F5FBF",
    "text": "#1A1A1A",
    "secondary": "#555555",
    "success": "#1E7D32",
    "warning": "#B25E00",
    "danger": "#C62828",
    "background": "#F5F7FA",
    "card": "#FFFFFF",
    "border": "#D9DEE7",
    "primary_soft": "#E8F0FB",
    "disabled": "#9AA3AF",
}
ELDER_COLOURS = {
    "primary": "#163F80",
    "warning": "#8A4600",
    "success": "#145A24",
    "danger": "#A31F1F",
    "secondary": "#333333",
}


class Theme(EventDispatcher):
    scale = NumericProperty(1.0)  # short side / 1080
    elder = BooleanProperty(False)
    landscape = BooleanProperty(False)
    line_height = NumericProperty(1.4)

    # type
    body = NumericProperty(32)
    small = NumericProperty(26)
    title = NumericProperty(52)
    big = NumericProperty(64)
    # touch targets and spacing
    button_primary = NumericProperty(120)
    button = NumericProperty(96)
    gap = NumericProperty(24)
    pad = NumericProperty(40)
    radius = NumericProperty(16)
    bar = NumericProperty(120)

    primary = ColorProperty(hexc(COLOURS["primary"]))
    text = ColorProperty(hexc(COLOURS["text"]))
    secondary = ColorProperty(hexc(COLOURS["secondary"]))
    success = ColorProperty(hexc(COLOURS["success"]))
    warning = ColorProperty(hexc(COLOURS["warning"]))
    danger = ColorProperty(hexc(COLOURS["danger"]))
    background = ColorProperty(hexc(COLOURS["background"]))
    card = ColorProperty(hexc(COLOURS["card"]))
    border = ColorProperty(hexc(COLOURS["border"]))
    primary_soft = ColorProperty(hexc(COLOURS["primary_soft"]))
    disabled = ColorProperty(hexc(COLOURS["disabled"]))
    white = ColorProperty((1, 1, 1, 1))

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.bind(scale=self._recompute, elder=self._recompute)
        self._recompute()

    def fit(self, width: float, height: float) -> None:
        self.scale = max(0.3, min(width, height) / BASE_SHORT_SIDE)
        self.landscape = width > height

    def px(self, value: float) -> float:
        """A size from docs/ui.md (at 1080 px) in pixels of this screen."""
        return value * self.scale

    def _recompute(self, *_args) -> None:
        s = self.scale
        t = s * (ELDER_FACTOR if self.elder else 1.0)
        self.body = 32 * t
        self.small = 26 * t
        self.title = 52 * t
        self.big = 64 * t
        self.button_primary = (160 if self.elder else 120) * s
        self.button = (136 if self.elder else 96) * s
        self.gap = 24 * s
        self.pad = 40 * s
        self.radius = 16 * s
        self.bar = 120 * s
        palette = {**COLOURS, **(ELDER_COLOURS if self.elder else {})}
        for name in ("primary", "secondary", "success", "warning", "danger"):
            setattr(self, name, hexc(palette[name]))
