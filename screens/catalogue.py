"""The published 一证通办 list (公布清单), browsable without a card."""

from __future__ import annotations

import time

from kivy.properties import StringProperty

from kiosk.journey import Journey
from screens.base import KioskScreen
from screens.item_list import rows


class CatalogueScreen(KioskScreen):
    kv_file = "catalogue.kv"
    summary = StringProperty("")
    _shown_version = ""

    def render(self, journey: Journey) -> None:
        super().render(journey)
        cat = journey.catalogue
        if cat is None:
            self.summary = "正在获取清单…"
            self.ids.list.data = []
            self._shown_version = ""
            return
        fetched = journey.catalogue_fetched_at
        self.summary = f"共{len(cat.items)}项，只需身份证（企业凭统一社会信用代码）即可办理"
        if fetched:
            when = time.strftime("%m月%d日 %H:%M", time.localtime(fetched))
            minutes = max(0, int((time.time() - fetched) // 60))
            age = (
                "刚刚更新"
                if minutes < 2
                else f"{minutes}分钟前"
                if minutes < 120
                else f"{minutes // 60}小时前"
            )
            self.summary += f"\n清单更新于 {when}（{age}）"
            if not journey.platform_reachable:
                self.summary += "；网络暂时中断，显示的是本机保存的清单"
        key = f"{cat.version}/{journey.elder_mode}"
        if self._shown_version != key:  # rows are data only: replace when it changed
            t = self.theme
            self.ids.list.data = rows(
                cat.items,
                lambda _i: "",
                header_height=t.px(84),
                row_height=t.px(200) * (1.3 if t.elder else 1),
                prefix="catalogue",
            )
            self._shown_version = key
