"""办件查询: the citizen's cases, each with its state and dates; 再次打印 on a printable one.

The rows are data for a RecycleView (built once, recycled); a row's button forwards the tap
with its case number. Nothing here decides what may be reprinted: the journey does.
"""

from __future__ import annotations

import datetime as dt

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview import RecycleView

from kiosk.cases import STATE_LABELS, CaseState, CaseSummary
from kiosk.i18n import _
from kiosk.journey import Journey
from kiosk.platform import citizen_message_for
from screens.base import KioskScreen
from screens.widgets import OneBarBinding


class CaseRow(BoxLayout):
    # the row carries its button's kid, so that a list scrolled by its data (the autopilot's
    # reveal) brings the button into view; the row itself is not a button
    kid = StringProperty("")
    enabled = BooleanProperty(False)
    case_no = StringProperty("")
    name = StringProperty("")
    state = StringProperty("")
    state_kind = StringProperty("")  # "done", "printable" or "running": the label's colour
    dates = StringProperty("")
    reprint_note = StringProperty("")
    can_reprint = BooleanProperty(False)
    show_reprint = BooleanProperty(False)


class CaseList(OneBarBinding, RecycleView):
    pass


def _day(at: dt.datetime | dt.date | None) -> str:
    return at.strftime("%Y-%m-%d") if at is not None else ""


def dates_line(case: CaseSummary) -> str:
    """申请 and 办结, or 申请 and the last change (the promised date goes on the next line)."""
    applied = _("申请 {date}").format(date=_day(case.applied_at))
    if case.finished_at is not None:
        return applied + "  ·  " + _("办结 {date}").format(date=_day(case.finished_at))
    return applied + "  ·  " + _("更新 {date}").format(date=_day(case.updated_at))


def note_line(case: CaseSummary, journey: Journey) -> str:
    """One short line under the dates: the promise, the reprints, or why not now."""
    if case.state is not CaseState.PRINTABLE:
        if case.promised_date is None:
            return ""
        return _("承诺 {date} 前办结").format(date=_day(case.promised_date))
    if not case.reprintable and case.reprint_refusal == "reprint_limit":
        return _("今日已打印过，明天可再打印")
    if not case.reprintable and case.reprint_refusal:
        return citizen_message_for(case.reprint_refusal)
    if not journey.printer_usable:
        return _("打印机暂停服务，暂不能打印")
    return _("已再次打印{n}次").format(n=case.reprints) if case.reprints else ""


def row(case: CaseSummary, journey: Journey, height: float) -> dict:
    printable = case.state is CaseState.PRINTABLE
    note = note_line(case, journey)
    kind = {CaseState.PRINTABLE: "printable", CaseState.FINISHED: "done"}.get(case.state, "running")
    return {
        "kid": f"cases.reprint:{case.case_no}",
        "case_no": case.case_no,
        "name": case.item_name,
        "state": _(STATE_LABELS[case.state]),
        "state_kind": kind,
        "dates": dates_line(case),
        "reprint_note": note,
        "show_reprint": printable,
        "can_reprint": printable and case.reprintable and journey.printer_usable,
        "height": height,
    }


class CasesScreen(KioskScreen):
    kv_file = "cases.kv"
    summary = StringProperty("")
    loading = BooleanProperty(True)
    note = StringProperty("")
    note_kind = StringProperty("info")  # "success" after a reprint came out
    device_notice = StringProperty("")
    _shown: tuple = ()

    def render(self, journey: Journey) -> None:
        super().render(journey)
        s = journey.session
        lookup = s.cases if s else None
        cases = lookup.cases if lookup else ()
        self.loading = lookup is None or lookup.loading
        self.note = lookup.note if lookup else ""
        self.note_kind = "success" if lookup is not None and lookup.printed else "info"
        if self.loading:
            self.summary = _("正在查询您的办件…")
        elif cases:
            self.summary = _("共{n}件，按申请时间从新到旧排列").format(n=len(cases))
        else:
            self.summary = _("暂未查询到您的办件")
        printer = journey.printer_message
        notice = _("{title}：{text}").format(title=printer.title, text=printer.text)
        printable = any(c.state is CaseState.PRINTABLE for c in cases)
        self.device_notice = "" if journey.printer_usable or not printable else notice
        key = (id(lookup), cases, journey.printer_usable, journey.elder_mode)
        if key != self._shown:
            t = self.theme
            height = t.px(220) * (1.3 if t.elder else 1)
            self.ids.list.data = [row(c, journey, height) for c in cases]
            if not self._shown or self._shown[0] != key[0]:
                self.ids.list.scroll_y = 1  # a new list from the top; a row changed: stay
            self._shown = key
