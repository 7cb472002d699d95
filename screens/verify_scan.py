"""证明核验: anyone can check a certificate's QR, without identifying."""

from __future__ import annotations

from screens.base import KioskScreen


class VerifyScanScreen(KioskScreen):
    kv_file = "verify_scan.kv"
