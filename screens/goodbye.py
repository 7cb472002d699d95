"""Goodbye: thank you; the session is about to be wiped."""

from __future__ import annotations

from screens.base import KioskScreen


class GoodbyeScreen(KioskScreen):
    kv_file = "goodbye.kv"
