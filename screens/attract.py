"""Attract screen: put the card on the reader; or browse the published list without one."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk import addresses
from kiosk.journey import Journey
from screens.base import KioskScreen


class AttractScreen(KioskScreen):
    kv_file = "attract.kv"
    banner = StringProperty("")
    item_count = NumericProperty(0)
    elder = BooleanProperty(False)
    can_identify = BooleanProperty(True)
    social_card = BooleanProperty(False)  # a PC/SC reader takes social-security cards too

    def render(self, journey: Journey) -> None:
        super().render(journey)
        self.banner = "\n".join(journey.banners)
        self.item_count = len(journey.catalogue.items) if journey.catalogue else 0
        self.elder = journey.elder_mode
        self.can_identify = journey.platform_reachable
        readers = App.get_running_app().kiosk_config.devices.card_readers
        self.social_card = any(addresses.family_of(url) == "pcsc" for url in readers)
