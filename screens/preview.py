"""The certificate (or receipt) on screen before it goes on paper: the same layout as the paper.

kiosk.print_layout draws the document from the same line list the printer receives, so what
the citizen checks here is what comes out of the slot.
"""

from __future__ import annotations

from kivy.app import App
from kivy.graphics.texture import Texture
from kivy.properties import NumericProperty, ObjectProperty, StringProperty

from kiosk.document import DocumentKind
from kiosk.i18n import _
from kiosk.journey import Journey
from kiosk.print_layout import render_png
from screens.base import KioskScreen


class PreviewScreen(KioskScreen):
    kv_file = "preview.kv"
    texture = ObjectProperty(None, allownone=True)
    paper_height = NumericProperty(1)
    what = StringProperty("")
    case_no = StringProperty("")
    # the printer cannot print: why 确认打印 is held, and what happens next
    hold = StringProperty("")
    hold_notice = StringProperty("")
    _shown = ""

    def render(self, journey: Journey) -> None:
        super().render(journey)
        s = journey.session
        case = s.case if s else None
        if case is None:
            return
        self.hold = journey.printer_hold
        self.hold_notice = journey.printer_hold_notice
        doc = case.document
        kind = _("证明") if doc.kind is DocumentKind.CERTIFICATE else _("受理回执")
        self.what = _("请核对{kind}内容，确认无误后打印").format(kind=kind)
        self.case_no = _("办件编号：{case_no}").format(case_no=case.case_no)
        if doc.verification_code != self._shown:  # draw each document once
            width = App.get_running_app().kiosk_config.printer.width_dots
            image = render_png(doc, width).convert("RGB")
            texture = Texture.create(size=image.size, colorfmt="rgb")
            texture.blit_buffer(image.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
            texture.flip_vertical()
            self.texture = texture
            self.paper_height = image.height / image.width
            self._shown = doc.verification_code
