"""扫码办理: the kiosk shows a one-time QR for the provincial app; an app code works too."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from kiosk.i18n import _
from kiosk.journey import Journey
from screens.base import KioskScreen
from screens.qr_image import qr_texture


class PhoneScreen(KioskScreen):
    kv_file = "phone.kv"
    texture = ObjectProperty(None, allownone=True)
    ready = BooleanProperty(False)
    valid_until = StringProperty("")
    _shown = ""

    def render(self, journey: Journey) -> None:
        super().render(journey)
        session = journey.phone_session
        self.ready = session is not None
        if session is None:
            self.valid_until = ""
            return
        if session.session_id != self._shown:  # a new or renewed code: draw it once
            self.texture = qr_texture(session.qr_content)
            self._shown = session.session_id
        local = session.expires_at.astimezone()
        self.valid_until = _("二维码有效至 {time}，过期后自动更新").format(time=f"{local:%H:%M:%S}")
