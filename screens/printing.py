"""Printing the certificate or receipt, with progress."""

from __future__ import annotations

from kivy.properties import NumericProperty, StringProperty

from kiosk.document import DocumentKind
from kiosk.i18n import _
from kiosk.journey import Journey
from screens.base import KioskScreen


class PrintingScreen(KioskScreen):
    kv_file = "printing.kv"
    fraction = NumericProperty(0)
    what = StringProperty("")

    def render(self, journey: Journey) -> None:
        super().render(journey)
        s = journey.session
        self.fraction = s.print_progress if s else 0
        doc = s.case.document if s and s.case else None
        if doc is None:
            self.what = ""
        else:
            kind = _("证明") if doc.kind is DocumentKind.CERTIFICATE else _("受理回执")
            self.what = _("《{title}》（{kind}）").format(title=doc.title, kind=kind)
