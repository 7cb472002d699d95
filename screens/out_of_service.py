"""Out of service: why, and where to go instead (with the maintainer's phone)."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import StringProperty

from kiosk.devices import DeviceKind
from kiosk.i18n import _
from kiosk.journey import Journey
from screens.base import KioskScreen


class OutOfServiceScreen(KioskScreen):
    kv_file = "out_of_service.kv"
    reason = StringProperty("")
    phone = StringProperty("")

    def render(self, journey: Journey) -> None:
        super().render(journey)
        readers = journey.statuses(DeviceKind.CARD_READER)
        self.reason = _("身份证读卡器暂时不能使用") if readers else _("设备正在启动")
        phone = App.get_running_app().kiosk_config.staff_phone
        self.phone = _("设备维护电话：{phone}").format(phone=phone) if phone else ""
