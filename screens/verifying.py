"""Verifying the identity with the platform."""

from __future__ import annotations

from screens.base import KioskScreen


class VerifyingScreen(KioskScreen):
    kv_file = "verifying.kv"
