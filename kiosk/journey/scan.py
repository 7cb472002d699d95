"""A scanned code's kind, by this kiosk's prefixes: for the entry and the technician's scan
test alike."""

from __future__ import annotations

from kiosk import qr
from kiosk.journey.core import JourneyCore


def classify(j: JourneyCore, payload: str) -> qr.Scan:
    """What a scanned code is (kiosk.qr, with the configured prefixes); raises ScanRefused."""
    return qr.classify(
        payload,
        certificate_prefixes=j.settings.certificate_prefixes,
        token_prefixes=j.settings.token_prefixes,
    )
