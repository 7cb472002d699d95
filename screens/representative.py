"""The enterprise's representative confirms with their own ID card (when the platform asks)."""

from __future__ import annotations

from screens.base import KioskScreen


class RepresentativeScreen(KioskScreen):
    kv_file = "representative.kv"
