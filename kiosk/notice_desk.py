"""What the 一次性告知 asks the runtime to do (kiosk.journey.notice_slip's effects).

A queue number from the hall's queuing system, through the platform: any failure (refused,
unreachable, too slow) only leaves the number off the slip, so it is answered as a ``Failed``
the journey prints on without. The slip itself goes through the runtime's one print worker,
once per job like a certificate, answered with the notice's own progress and printed events.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kiosk import journey as j
from kiosk import tally
from kiosk.events import Failed, NoticePrinted, NoticePrintProgress, Operation, QueueTicketIssued
from kiosk.platform import PlatformError

if TYPE_CHECKING:
    from kiosk.runtime import Reply, Runtime

log = logging.getLogger("kiosk.notice")

NOTICE_ANSWERS = (NoticePrintProgress, NoticePrinted, Operation.NOTICE_PRINT)


class NoticeDesk:
    """The 一次性告知's effects, carried out for one runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def apply(self, effect: j.Effect, reply: Reply) -> None:
        match effect:
            case j.TakeQueueNumber(item_code=code, window=window):
                self.runtime._submit(self._queue_number, reply, code, window)
            case j.PrintNotice(job=job):
                self.runtime.prints.print_once(reply, job, NOTICE_ANSWERS)

    def _queue_number(self, reply: Reply, item_code: str, window: str) -> None:
        try:
            ticket = self.runtime.platform.queue_ticket(item_code, window)
        except PlatformError as exc:
            log.info("queue number not had: %s %s", exc.kind, exc.code)
            self.runtime.tally.count(tally.ERRORS, Operation.QUEUE.value)
            reply(Failed(Operation.QUEUE, exc.message, str(exc), retryable=False))
            return
        reply(QueueTicketIssued(ticket))
