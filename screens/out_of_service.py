"""Out of service: why, in plain words, where to go instead, and what still works here.

The technician's reason (which device, its state) is in the log and the device events; the
maintenance phone is for staff, not for the citizen standing here.
"""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.events import Action
from kiosk.journey import Journey
from screens.base import KioskScreen


class OutOfServiceScreen(KioskScreen):
    kv_file = "out_of_service.kv"
    reason = StringProperty("")
    can_browse = BooleanProperty(True)
    can_verify = BooleanProperty(False)

    def render(self, journey: Journey) -> None:
        super().render(journey)
        self.reason = journey.out_of_service_reason
        offered = journey.offered_out_of_service
        self.can_browse = Action.BROWSE in offered
        self.can_verify = Action.VERIFY in offered
