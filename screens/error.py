"""Something went wrong: what happened, what to do, who can help."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.i18n import N_, _
from kiosk.journey import Journey
from kiosk.messages import STAFF_HINT
from screens.base import KioskScreen


class ErrorScreen(KioskScreen):
    kv_file = "error.kv"
    title = StringProperty("")
    text = StringProperty("")
    retry_label = StringProperty("")
    back_label = StringProperty(N_("返回首页"))
    staff_hint = StringProperty("")
    can_retry = BooleanProperty(False)

    def render(self, journey: Journey) -> None:
        super().render(journey)
        err = journey.error
        self.title = _(err.title) if err else _("出现问题")
        self.text = _(err.text) if err else ""
        self.staff_hint = _(STAFF_HINT)
        self.can_retry = bool(err and (err.retry is not None or err.retry_state is not None))
        self.retry_label = _(err.retry_label) if err else ""
        self.back_label = _("返回事项列表") if journey.can_return_to_items else _("返回首页")
