"""Submitting the request to the platform."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.journey import Journey
from screens.base import KioskScreen


class SubmittingScreen(KioskScreen):
    kv_file = "submitting.kv"
    item_name = StringProperty("")

    def render(self, journey: Journey) -> None:
        super().render(journey)
        s = journey.session
        self.item_name = s.selected.shown_name(journey.language) if s and s.selected else ""
