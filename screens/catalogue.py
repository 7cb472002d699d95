"""The published 一证通办 list (公布清单), browsable without a card."""

from __future__ import annotations

import time

from kivy.properties import StringProperty

from kiosk.i18n import _
from kiosk.journey import Journey
from screens.base import KioskScreen
from screens.item_list import rows


def saved_when(fetched: float, now: float | None = None) -> str:
    """11月27日 10:30（25分钟前）: when a kept copy was fetched, and how long ago."""
    now = time.time() if now is None else now
    when = time.strftime(_("%m月%d日 %H:%M"), time.localtime(fetched))
    minutes = max(0, int((now - fetched) // 60))
    if minutes < 2:
        return _("{when}（刚刚更新）").format(when=when)
    if minutes < 120:
        return _("{when}（{n}分钟前）").format(when=when, n=minutes)
    return _("{when}（{n}小时前）").format(when=when, n=minutes // 60)


class CatalogueScreen(KioskScreen):
    kv_file = "catalogue.kv"
    summary = StringProperty("")
    _shown_version = ""

    def render(self, journey: Journey) -> None:
        super().render(journey)
        cat = journey.catalogue
        if cat is None:
            self.summary = (
                _("网络暂时中断，本机还没有保存清单，暂时无法查看。请到人工窗口咨询，或稍后再试。")
                if journey.catalogue_unavailable
                else _("正在获取清单…")
            )
            self.ids.list.data = []
            self._shown_version = ""
            return
        fetched = journey.catalogue_fetched_at
        self.summary = _("共{n}项，只需身份证（企业凭统一社会信用代码）即可办理").format(
            n=len(cat.items)
        )
        if fetched:
            self.summary += "\n" + _("清单更新于 {when}").format(when=saved_when(fetched))
            if not journey.platform_reachable:
                self.summary += _("；网络暂时中断，显示的是本机保存的清单")
        key = f"{cat.version}/{journey.elder_mode}/{journey.language}"
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
