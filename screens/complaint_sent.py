"""投诉与建议 received: thank you (or, if it could not be stored, the window to go to)."""

from __future__ import annotations

from screens.base import KioskScreen


class ComplaintSentScreen(KioskScreen):
    kv_file = "complaint_sent.kv"
