"""The 一次性告知 slip: everything a citizen needs for an item the kiosk cannot do, on paper.

For an item that must be done at a staffed window, the kiosk prints the window, where it is and
its hours, the materials (which ones the platform already holds and which the citizen brings),
a summary of the guide and, when the hall's queuing system answered, a number for that window;
without a number the slip says where to take one. The slip is about the item, not the person:
no name, no ID number, and not the reason the item is unavailable to this citizen (that reason
may tell a stranger who finds the slip about someone's pension, disability or low income).
Laid out and printed like a certificate (kiosk/print_layout.py); described in
docs/certificate-format.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from kiosk.document import Document, DocumentKind, Field
from kiosk.i18n import N_
from kiosk.models import Guide, MaterialSource, QueueTicket

# Fixed words on paper: Chinese whatever the screen's language (as the certificate's).
TITLE = N_("一次性告知单")
NO_NUMBER = N_("排队叫号系统暂时无法取号，请到大厅门口的取号机取号。")
NO_WINDOW = N_("请到大厅咨询台询问办理窗口。")
FOOTER = N_("请携带本单及上列需本人提供的材料到窗口办理。本单不含您的个人信息。")
BRINGS = N_("需本人提供")
FETCHED = {
    MaterialSource.LICENCE: N_("已从电子证照库调取，无需提交"),
    MaterialSource.SHARED: N_("通过数据共享获取，无需提交"),
    MaterialSource.PLEDGE: N_("可以告知承诺替代"),
    MaterialSource.CITIZEN: BRINGS,
}
SUMMARY_CHARS = 200  # each part of the guide on paper: a slip, not the whole guide


class NoticeStage(StrEnum):
    QUEUE = "queue"  # asking the queuing system for a number
    PRINTING = "printing"
    PRINTED = "printed"


class QueueOutcome(StrEnum):
    """What the queuing system did for this slip: the journey's record of it."""

    NOT_ASKED = "not_asked"  # the guide names no window
    ISSUED = "issued"
    UNAVAILABLE = "unavailable"  # refused, failed or too slow: the slip says where to take one


@dataclass
class NoticeRun:
    """One 一次性告知 slip asked for in a session: its job, its number, how far it got. The
    slip (``document``) is made once, so a reprint is the same paper with the same number."""

    item_code: str
    job_id: str
    stage: NoticeStage = NoticeStage.QUEUE
    queue: QueueTicket | None = None
    queue_outcome: QueueOutcome = QueueOutcome.NOT_ASKED
    document: Document | None = None
    progress: float = 0.0


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def notice_document(guide: Guide, queue: QueueTicket | None, issued_on: dt.date) -> Document:
    """The slip for ``guide``'s item, with ``queue``'s number when there is one."""
    item, window = guide.item, guide.window
    fields = [Field(N_("事项"), item.name), Field(N_("实施部门"), item.department)]
    if window is not None:
        fields.append(Field(N_("办理窗口"), window.name))
        if window.location:
            fields.append(Field(N_("窗口位置"), window.location))
        fields.append(Field(N_("办公时间"), window.hours))
    else:
        fields.append(Field(N_("办理窗口"), NO_WINDOW))
    if queue is not None:
        waiting = N_("前面还有{n}人").format(n=queue.waiting)
        number = N_("{number}（{waiting}）").format(number=queue.number, waiting=waiting)
        fields.append(Field(N_("排队号"), number))
    else:
        fields.append(Field(N_("排队号"), NO_NUMBER))
    if guide.phone:
        fields.append(Field(N_("咨询电话"), guide.phone))

    body: list[str] = [N_("所需材料：")]
    if not guide.materials:
        body.append(N_("本事项无需提交材料。"))
    for n, m in enumerate(guide.materials, 1):
        body.append(
            N_("{n}. {name}（{source}）").format(n=n, name=m.name, source=FETCHED[m.source])
        )
    # the guide's 办理流程 is left off: it is the route of the published item (the kiosk's own,
    # in the demo), not what happens at the window, where the staff lead the citizen through it
    for label, text in ((N_("办理条件"), guide.conditions), (N_("收费标准"), guide.fee)):
        if text.strip():
            body.append(N_("{label}：{value}").format(label=label, value=_short(text)))

    return Document(
        kind=DocumentKind.NOTICE,
        title=TITLE,
        holder="",
        fields=tuple(fields),
        body="\n".join(body),
        department=item.department,
        issued_on=issued_on,
        verification_code="",
        qr_content=guide.guide_url,
        footer=FOOTER,
        extra={"queue_number": queue.number} if queue is not None else {},
    )
