"""一次性告知: the journey's rules for the slip and its queue number, and what the slip says."""

from __future__ import annotations

import dataclasses
import datetime as dt

from test_journey import TICKET, WALL, Driver, guide, item, to_items

from devkit.people import BY_KEY
from kiosk import journey as j
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Paper
from kiosk.document import DocumentKind
from kiosk.events import (
    Action,
    CardRemoved,
    DeviceChanged,
    Failed,
    GuideLoaded,
    NoticePrinted,
    NoticePrintProgress,
    Operation,
    QueueTicketIssued,
)
from kiosk.models import Guide, Material, MaterialSource, QueueTicket, Window
from kiosk.notice import NoticeStage, QueueOutcome, notice_document
from kiosk.print_layout import PAPER_58MM, Qr, Text, layout_document

WINDOW = Window(
    "A08", "社会保险综合窗口（A08—A12）", "周一至周五 9:00—12:00，13:30—17:00", "一楼东区"
)
NUMBER = QueueTicket("A08-017", "A08", 3, WALL)
REASON = "您暂非低保或特困供养对象，申请需到街道（乡镇）窗口办理"


def window_guide(code: str = "I3", *, window: Window | None = WINDOW) -> Guide:
    g = guide(item(code, available=False, reason=REASON))
    return dataclasses.replace(
        g,
        window=window,
        guide_url=f"https://zwfw.example.gov.cn/guide/{code}",
        materials=(
            Material("居民身份证", MaterialSource.LICENCE, True),
            Material("低保申请书", MaterialSource.CITIZEN, True),
        ),
    )


def to_notice_guide(d: Driver, g: Guide | None = None) -> Guide:
    """A session on the guide of I3, an item this citizen must do at a window."""
    g = g or window_guide()
    to_items(d, (item("I1"), g.item))
    (load,) = d.tap(Action.SELECT_ITEM, g.item.item_code)
    assert isinstance(load, j.LoadGuide) and load.ticket is TICKET
    assert d.state is j.State.ITEM_DETAIL
    d(GuideLoaded(g))
    return g


def test_an_item_for_a_window_opens_its_guide_but_cannot_be_confirmed():
    d = Driver()
    to_notice_guide(d)
    assert not d.journey.can_confirm
    assert d.tap(Action.CONFIRM) == []
    assert d.state is j.State.ITEM_DETAIL
    assert j.notice_slip.can_print(d.journey)


def test_the_slip_takes_a_number_for_the_items_window_then_prints_it():
    d = Driver()
    to_notice_guide(d)
    (ask,) = d.tap(Action.NOTICE)
    assert ask == j.TakeQueueNumber("I3", "A08")
    assert d.state is j.State.NOTICE_PRINTING
    (p,) = d(QueueTicketIssued(NUMBER))
    assert isinstance(p, j.PrintNotice)
    doc = p.job.document
    assert doc.kind is DocumentKind.NOTICE and doc.extra["queue_number"] == "A08-017"
    run = d.journey.session.notice
    assert run.queue_outcome is QueueOutcome.ISSUED and run.stage is NoticeStage.PRINTING
    d.wait(80)
    d(NoticePrintProgress(p.job.job_id, 0.5))  # progress renews the 90 s guard
    d.wait(80)
    assert d.state is j.State.NOTICE_PRINTING
    d(NoticePrinted(p.job.job_id))
    assert d.state is j.State.NOTICE_TAKEN and run.stage is NoticeStage.PRINTED
    d.tap(Action.BACK)
    assert d.state is j.State.ITEMS
    assert d.journey.session.notice is run, "what happened stays with the session"


def test_no_number_when_the_queue_fails_and_the_slip_says_where_to_take_one():
    d = Driver()
    to_notice_guide(d)
    d.tap(Action.NOTICE)
    (p,) = d(Failed(Operation.QUEUE, "排队叫号系统暂时无法取号", "503 queue_unavailable", False))
    assert isinstance(p, j.PrintNotice)
    assert d.journey.session.notice.queue_outcome is QueueOutcome.UNAVAILABLE
    assert "queue_number" not in p.job.document.extra
    said = {f.label: f.value for f in p.job.document.fields}
    assert "取号机" in said["排队号"]


def test_a_queue_that_never_answers_does_not_hold_the_slip():
    d = Driver()
    to_notice_guide(d)
    d.tap(Action.NOTICE)
    (p,) = d.wait(91)
    assert isinstance(p, j.PrintNotice) and d.state is j.State.NOTICE_PRINTING
    assert d.journey.session.notice.queue_outcome is QueueOutcome.UNAVAILABLE
    assert d(QueueTicketIssued(NUMBER)) == [], "a number after the slip went is not printed"


def test_no_window_named_prints_at_once_without_asking_the_queue():
    d = Driver()
    to_notice_guide(d, window_guide(window=None))
    (p,) = d.tap(Action.NOTICE)
    assert isinstance(p, j.PrintNotice)
    assert d.journey.session.notice.queue_outcome is QueueOutcome.NOT_ASKED


def test_a_failed_print_shows_window_and_number_and_reprints_the_same_slip():
    d = Driver()
    to_notice_guide(d)
    d.tap(Action.NOTICE)
    (p,) = d(QueueTicketIssued(NUMBER))
    d(Failed(Operation.NOTICE_PRINT, "打印机缺纸", retryable=True))
    assert d.state is j.State.ERROR
    err = d.journey.error
    assert "A08-017" in err.text and "社会保险综合窗口" in err.text and "9:00" in err.text
    assert err.retry == p and err.retry_state is j.State.NOTICE_PRINTING
    (again,) = d.tap(Action.RETRY)
    assert again == p, "the same job and the same number: never a second number by itself"
    # asked once more from the guide later: still the same slip
    d(NoticePrinted(p.job.job_id))
    d.tap(Action.BACK)
    d.tap(Action.SELECT_ITEM, "I3")
    (same,) = d.tap(Action.NOTICE)
    assert same == p


def test_paper_after_the_guard_gave_up_is_taken_as_printed():
    d = Driver()
    to_notice_guide(d)
    d.tap(Action.NOTICE)
    (p,) = d(QueueTicketIssued(NUMBER))
    d.wait(91)
    assert d.state is j.State.ERROR
    d(NoticePrinted(p.job.job_id))
    assert d.state is j.State.NOTICE_TAKEN


def test_no_slip_for_an_item_that_can_be_done_here_or_without_a_printer():
    d = Driver()
    to_items(d)
    d.tap(Action.SELECT_ITEM, "I1")
    d(GuideLoaded(guide(item("I1"))))
    assert d.tap(Action.NOTICE) == [] and d.state is j.State.ITEM_DETAIL
    d2 = Driver()
    to_notice_guide(d2)
    d2(DeviceChanged(DeviceStatus(DeviceKind.PRINTER, DeviceState.ONLINE, paper=Paper.OUT)))
    assert d2.tap(Action.NOTICE) == [] and d2.state is j.State.ITEM_DETAIL


def test_the_slip_is_wiped_with_the_session():
    d = Driver()
    to_notice_guide(d)
    d.tap(Action.NOTICE)
    session = d.journey.session
    d.tap(Action.EXIT)
    assert session.notice is None and d.journey.session is None


# ---- what the slip says ---------------------------------------------------------------------------


def texts(doc, width: int = PAPER_58MM) -> str:
    return "\n".join(ln.text for ln in layout_document(doc, width) if isinstance(ln, Text))


def test_the_slip_has_window_hours_materials_guide_number_and_date():
    g = window_guide()
    doc = notice_document(g, NUMBER, dt.date(2026, 12, 2))
    lines = layout_document(doc, PAPER_58MM)
    printed = texts(doc)
    for words in ("一次性告知单", "社会保险综合窗口", "一楼东区", "9:00—12:00", "A08-017",
                  "前面还有3人", "居民身份证", "已从电子证照库调取", "低保申请书", "需本人提供",
                  "办理条件", "收费标准", "12345", "2026年12月2日"):  # fmt: skip
        assert words.replace(" ", "") in "".join(printed.split()), words
    big = [ln for ln in lines if isinstance(ln, Text) and ln.size == 2]
    assert [ln.text for ln in big] == ["一次性告知单", "A08-017"], "the number stands out"
    (qr,) = [ln for ln in lines if isinstance(ln, Qr)]
    assert qr.content == "https://zwfw.example.gov.cn/guide/I3"
    assert "核验" not in printed, "a slip is not a certificate"


def test_the_slip_holds_nothing_about_the_person():
    person = BY_KEY["zhang_wei"].card()
    doc = notice_document(window_guide(), NUMBER, dt.date(2026, 12, 2))
    printed = texts(doc) + repr(doc.to_json())
    assert person.name not in printed and person.number not in printed
    assert person.number[:6] not in printed and person.number[-4:] not in printed
    assert doc.holder == ""
    assert REASON not in printed, "why it is unavailable to this person stays off the paper"


def test_without_a_number_the_slip_says_to_take_one_at_the_door():
    doc = notice_document(window_guide(), None, dt.date(2026, 12, 2))
    printed = texts(doc)
    assert "取号机" in printed and "A08-" not in printed
    big = [ln.text for ln in layout_document(doc) if isinstance(ln, Text) and ln.size == 2]
    assert big == ["一次性告知单"]


def test_the_card_taken_while_the_slip_prints_does_not_end_the_visit():
    d = Driver()
    to_notice_guide(d)
    d.tap(Action.NOTICE)
    (p,) = d(QueueTicketIssued(NUMBER))
    d(CardRemoved())
    assert d.state is j.State.NOTICE_PRINTING and d.journey.session is not None
    d(NoticePrinted(p.job.job_id))
    assert d.state is j.State.NOTICE_TAKEN
