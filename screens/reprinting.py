"""再次打印 on its way: the platform records the reprint, then the certificate, with progress."""

from __future__ import annotations

from kiosk.cases import ReprintStage
from kiosk.i18n import _
from kiosk.journey import Journey
from screens.paper_progress import PaperProgressScreen


class ReprintingScreen(PaperProgressScreen):
    state_name = "reprinting"

    def render(self, journey: Journey) -> None:
        super().render(journey)
        s = journey.session
        lookup = s.cases if s else None
        run = lookup.reprint if lookup else None
        case = lookup.find(run.case_no) if lookup and run else None
        self.what = (
            _("《{name}》 办件编号：{case_no}").format(name=case.item_name, case_no=case.case_no)
            if case
            else ""
        )
        if run is None or run.stage is ReprintStage.RECORDING:
            self.message, self.fraction = _("正在调取证明…"), 0
        else:
            self.message, self.fraction = _("正在打印，请稍候…"), run.progress
