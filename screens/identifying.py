"""Reading the card: keep it still."""

from __future__ import annotations

from screens.base import KioskScreen


class IdentifyingScreen(KioskScreen):
    kv_file = "identifying.kv"
