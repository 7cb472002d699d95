"""The 办件凭条 on its way to the paper, with progress."""

from __future__ import annotations

from kiosk.i18n import _
from kiosk.journey import Journey
from screens.paper_progress import PaperProgressScreen


class SlipPrintingScreen(PaperProgressScreen):
    state_name = "slip_printing"

    def render(self, journey: Journey) -> None:
        super().render(journey)
        s = journey.session
        self.message = _("正在打印办件凭条，请稍候…")
        self.fraction = s.slip_progress if s else 0
        self.what = _("办件编号：{case_no}").format(case_no=s.case.case_no) if s and s.case else ""
