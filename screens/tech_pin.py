"""The technician's PIN: a numeric keypad, the digits masked, the lock's time left.

Each key forwards a tap; the digits, the check and the lock are the journey's
(kiosk.journey.technician). The time left on the lock is read again every tick.
"""

from __future__ import annotations

import math

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.i18n import _
from kiosk.journey import Journey
from screens.base import KioskScreen


class TechPinScreen(KioskScreen):
    kv_file = "tech_pin.kv"
    language_switch = BooleanProperty(False)  # the technician's screens stay Chinese
    dots = StringProperty("")
    message = StringProperty("")
    keypad = BooleanProperty(False)
    checking = BooleanProperty(False)
    locked_for = NumericProperty(0)  # whole seconds

    def render(self, journey: Journey) -> None:
        super().render(journey)
        visit = journey.technician
        self.dots = "●" * len(visit.digits) if visit is not None else ""
        self.message = _(visit.message) if visit is not None and visit.message else ""
        self.checking = bool(visit is not None and visit.checking)
        self.tick(journey, journey.mono)

    def tick(self, journey: Journey, now: float) -> None:
        self.locked_for = math.ceil(journey.technician_locked_for(now))
        self.keypad = journey.technician_keypad_enabled(now)
