"""One outcome for each printer condition at each decision to print (docs/device-states.md).

The decisions read the latest known status: 确认办理 and 打印 are held with the condition's
reason while the printer cannot print and released when it can; a print that was started
ends on the same error, in the condition's words, however the printer failed it.
"""

from __future__ import annotations

import pytest
from test_journey import Driver, case, guide, item, to_items, to_preview, to_printing

from kiosk import journey as j
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Paper, PrinterCondition
from kiosk.events import Action, DeviceChanged, Failed, GuideLoaded, Operation, Submitted

P = DeviceKind.PRINTER
CONDITIONS = {
    PrinterCondition.PAPER_OUT: DeviceStatus(P, DeviceState.ONLINE, paper=Paper.OUT),
    PrinterCondition.JAMMED: DeviceStatus(P, DeviceState.ONLINE, paper=Paper.JAMMED),
    PrinterCondition.COVER_OPEN: DeviceStatus(P, DeviceState.USER_ERROR, cover_open=True),
    PrinterCondition.OFFLINE: DeviceStatus(P, DeviceState.OFFLINE),
    PrinterCondition.NO_DEVICE: DeviceStatus(P, DeviceState.NO_DEVICE),
    PrinterCondition.FAULT: DeviceStatus(P, DeviceState.HARDWARE_ERROR),
}
REASONS = {
    PrinterCondition.PAPER_OUT: "打印纸已用完",
    PrinterCondition.JAMMED: "打印机卡纸",
    PrinterCondition.COVER_OPEN: "打印机盖未关好",
    PrinterCondition.OFFLINE: "打印机无响应",
    PrinterCondition.NO_DEVICE: "打印机未连接",
    PrinterCondition.FAULT: "打印机故障",
}
BACK = DeviceStatus(P, DeviceState.ONLINE, paper=Paper.FULL)
each = pytest.mark.parametrize("condition", list(CONDITIONS))


def to_detail(d: Driver) -> None:
    to_items(d)
    d.tap(Action.SELECT_ITEM, "I1")
    d(GuideLoaded(guide(item("I1"))))
    assert d.journey.can_confirm


@each
def test_a_status_names_its_condition(condition):
    assert CONDITIONS[condition].printer_condition is condition
    assert BACK.printer_condition is None
    low = DeviceStatus(P, DeviceState.ONLINE, paper=Paper.LOW)
    assert low.printer_condition is None, "low paper still prints"


@each
def test_before_submitting_confirm_is_held_with_the_reason_and_released(condition):
    d = Driver()
    to_detail(d)
    d(DeviceChanged(CONDITIONS[condition]))
    assert not d.journey.can_confirm
    assert d.journey.printer_hold == REASONS[condition]
    notice = d.journey.printer_hold_notice
    assert notice.startswith(REASONS[condition]) and "已通知工作人员" in notice
    assert d.tap(Action.CONFIRM) == [] and d.state is j.State.ITEM_DETAIL, "held, no error"
    d(DeviceChanged(BACK))
    assert d.journey.can_confirm and d.journey.printer_hold == ""
    (submit,) = d.tap(Action.CONFIRM)
    assert isinstance(submit, j.SubmitCase) and d.state is j.State.SUBMITTING


@each
def test_an_item_that_prints_nothing_is_never_held(condition):
    d = Driver()
    to_items(d)
    d.tap(Action.SELECT_ITEM, "I2")
    d(GuideLoaded(guide(item("I2", prints=False))))
    d(DeviceChanged(CONDITIONS[condition]))
    assert d.journey.can_confirm


@each
def test_on_the_preview_print_is_held_whenever_the_printer_turned_bad(condition):
    """Before the submission, during it or on the preview: the preview, 打印 held."""
    bad = CONDITIONS[condition]
    during = Driver()
    to_detail(during)
    during.tap(Action.CONFIRM)
    during(DeviceChanged(bad))  # while the case was being submitted
    during(Submitted(case(item("I1"))))
    on = Driver()
    to_preview(on)
    on(DeviceChanged(bad))  # on the preview
    for d in (during, on):
        assert d.state is j.State.PREVIEW
        assert d.journey.printer_hold == REASONS[condition]
        assert d.tap(Action.PRINT) == [] and d.state is j.State.PREVIEW, "held, no error"
        d(DeviceChanged(BACK))
        (p,) = d.tap(Action.PRINT)
        assert isinstance(p, j.PrintDocument) and d.state is j.State.PRINTING


@each
def test_a_print_started_ends_in_one_error_however_the_printer_failed_it(condition):
    """Refused before any paper moved (the kiosk had not yet seen the condition) or stopped
    midway: the same screen, in the condition's words, with 重新打印 for the same job."""
    errors = []
    for driver_says in ("打印机盖未关好，请联系工作人员处理。", "打印可能未完成：缺纸"):
        d = Driver()
        p = to_printing(d)
        d(DeviceChanged(CONDITIONS[condition]))  # the print desk posts the status first
        d(Failed(Operation.PRINT, driver_says))
        assert d.state is j.State.ERROR
        e = d.journey.error
        assert e.retry == p and e.retry_label == "重新打印"
        errors.append((e.title, e.text, e.retry_label))
    assert errors[0] == errors[1]
    title, text, _label = errors[0]
    assert title == "打印未完成" and text.startswith(REASONS[condition])
    assert "C-1" in text, "the case number, for the window"


def test_a_failure_with_the_printer_still_usable_keeps_the_drivers_words():
    d = Driver()
    to_printing(d)
    d(Failed(Operation.PRINT, "打印中断，请重新打印。"))
    assert d.journey.error.text.startswith("打印中断，请重新打印。")


@each
def test_a_notice_slip_that_fails_on_a_condition_says_it_in_the_same_words(condition):
    d = Driver()
    window_item = item("I3", available=False, reason="不在此办理")
    to_items(d, (item("I1"), window_item))
    d.tap(Action.SELECT_ITEM, "I3")
    d(GuideLoaded(guide(window_item)))
    (p,) = d.tap(Action.NOTICE)  # no window named: the slip straight away
    d(DeviceChanged(CONDITIONS[condition]))
    d(Failed(Operation.NOTICE_PRINT, "打印可能未完成：缺纸"))
    assert d.state is j.State.ERROR and d.journey.error.text.startswith(REASONS[condition])
    assert d.journey.error.retry == p
