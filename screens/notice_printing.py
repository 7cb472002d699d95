"""The 一次性告知 slip on its way: a queue number first, then the paper, with progress."""

from __future__ import annotations

from kiosk.i18n import _
from kiosk.journey import Journey
from kiosk.notice import NoticeStage
from screens.paper_progress import PaperProgressScreen


class NoticePrintingScreen(PaperProgressScreen):
    state_name = "notice_printing"

    def render(self, journey: Journey) -> None:
        super().render(journey)
        s = journey.session
        run = s.notice if s else None
        item = s.selected if s else None
        self.what = (
            _("《{name}》办事指南").format(name=item.shown_name(journey.language)) if item else ""
        )
        if run is None or run.stage is NoticeStage.QUEUE:
            self.message, self.fraction = _("正在为您取排队号…"), 0
        else:
            self.message, self.fraction = _("正在打印，请稍候…"), run.progress
