"""The items this citizen can complete here, grouped; the others with the reason why not."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk import messages
from kiosk.i18n import _
from kiosk.journey import Journey
from screens.base import KioskScreen
from screens.item_list import rows


class ItemsScreen(KioskScreen):
    kv_file = "items.kv"
    summary = StringProperty("")
    empty = StringProperty("")
    device_notice = StringProperty("")
    _shown: tuple = ()

    def render(self, journey: Journey) -> None:
        super().render(journey)
        s = journey.session
        items = s.items if s else ()
        doable = [i for i in items if not journey.item_blocked_reason(i)]
        summary = _("您可在本机办理{n}项，材料由平台自动调取，无需提交纸质材料")
        self.summary = summary.format(n=len(doable)) if doable else ""
        self.empty = "" if doable else _(messages.NOTHING_AVAILABLE)
        printer = journey.printer_message
        notice = _("{title}：{text}").format(title=printer.title, text=printer.text)
        self.device_notice = "" if journey.printer_usable else notice
        # the list is data only; rebuild it when the items or what blocks them changed
        revealed = journey.revealed if s else None
        key = (
            s.started_at if s else None,
            len(items),
            journey.printer_usable,
            journey.elder_mode,
            revealed,
            journey.language,
        )
        if key != self._shown:
            t = self.theme
            self.ids.list.data = rows(
                items,
                journey.item_blocked_reason,
                header_height=t.px(84),
                row_height=t.px(200) * (1.3 if t.elder else 1),
                prefix="items",
                can_reveal=journey.can_reveal,
                revealed=journey.revealed_reason,
            )
            if key[:4] != self._shown[:4]:  # 详情 opened or closed: stay where the row is
                self.ids.list.scroll_y = 1
            self._shown = key
