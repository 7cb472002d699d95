"""The 一次性告知 slip is out: where to go, the queue number, and back to the list."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.i18n import _
from kiosk.journey import Journey
from kiosk.notice import QueueOutcome
from screens.base import KioskScreen


class NoticeTakenScreen(KioskScreen):
    kv_file = "notice_taken.kv"
    headline = StringProperty("")
    with_number = BooleanProperty(False)
    details = StringProperty("")

    def render(self, journey: Journey) -> None:
        super().render(journey)
        s = journey.session
        run = s.notice if s else None
        guide = s.guide if s else None
        take = _("请取走办事指南凭条")
        self.with_number = bool(run and run.queue)
        if run is None or guide is None:
            self.headline, self.details = "✓  " + take, ""
            return
        lines = []
        if run.queue is not None:  # the number is the headline; one title line: landscape is short
            self.headline = _("您的排队号：{number}").format(number=run.queue.number)
            lines.append(_("{take}，前面还有{n}人").format(take=take, n=run.queue.waiting))
        else:
            self.headline = "✓  " + take
        w = guide.window
        lines.append(
            _("请到{name}（{location}）办理\n办公时间：{hours}").format(
                name=w.name, location=w.location, hours=w.hours
            )
            if w is not None
            else _("请到人工窗口办理")
        )
        if run.queue_outcome is QueueOutcome.UNAVAILABLE:
            lines.append(_("排队叫号系统暂时无法取号，请到大厅门口的取号机取号。"))
        self.details = "\n".join(lines)
