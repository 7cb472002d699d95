"""企业办事: scan the business licence's QR code (the enterprise's one credential)."""

from __future__ import annotations

from screens.base import KioskScreen


class EnterpriseScreen(KioskScreen):
    kv_file = "enterprise.kv"
