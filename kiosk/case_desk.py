"""What 办件查询 asks the runtime to do (kiosk.journey.case_lookup's effects).

The list and the reprint go to the platform on its workers; a reprint is a PUT named by its
request id, so the client may retry it and the platform counts it once. The certificate then
goes through the runtime's one print worker, once per job like any other paper, answered
with the reprint's own progress and printed events.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kiosk import journey as j
from kiosk.events import CasesLoaded, Operation, ReprintPrinted, ReprintProgress, ReprintRecorded
from kiosk.platform import ErrorKind, PlatformError

if TYPE_CHECKING:
    from kiosk.models import Ticket
    from kiosk.runtime import Reply, Runtime

log = logging.getLogger("kiosk.cases")

REPRINT_ANSWERS = (ReprintProgress, ReprintPrinted, Operation.REPRINT_PRINT)


class CaseDesk:
    """办件查询's effects, carried out for one runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def apply(self, effect: j.Effect, reply: Reply) -> None:
        match effect:
            case j.LoadCases(ticket=ticket):
                self.runtime._submit(self._cases, reply, ticket)
            case j.ReprintCase(ticket=ticket, case_no=case_no, request_id=request_id):
                self.runtime._submit(self._reprint, reply, ticket, case_no, request_id)
            case j.PrintReprint(job=job):
                self.runtime.prints.print_once(reply, job, REPRINT_ANSWERS)

    def _cases(self, reply: Reply, ticket: Ticket) -> None:
        try:
            cases = self.runtime.platform.cases(ticket)
        except PlatformError as exc:
            self.runtime._platform_failed(reply, Operation.CASES, exc)
            return
        reply(CasesLoaded(cases))

    def _reprint(self, reply: Reply, ticket: Ticket, case_no: str, request_id: str) -> None:
        try:
            reprint = self.runtime.platform.reprint(ticket, case_no, request_id)
        except PlatformError as exc:
            # a garbled answer may hide a reprint the platform recorded: asking again with the
            # same request id gets that one, never a second, so it is offered like a time-out
            garbled = exc.kind is ErrorKind.INVALID_REPLY
            self.runtime._platform_failed(reply, Operation.REPRINT, exc, exc.retryable or garbled)
            return
        log.info("reprint recorded: %d of this case", reprint.reprints)
        reply(ReprintRecorded(reprint))
