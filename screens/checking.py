"""The platform checks the scanned certificate."""

from __future__ import annotations

from screens.base import KioskScreen


class CheckingScreen(KioskScreen):
    kv_file = "checking.kv"
