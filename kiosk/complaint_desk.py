"""What a 投诉与建议 asks the runtime to do (kiosk.journey.complaint's StoreComplaint).

The complaint goes into the outbox sealed (kiosk.sealing: AES-GCM, a key derived from the device
key) before the citizen is thanked, exactly as a rating would, and the delivery worker is poked
to send it now: online it leaves the disk within a moment, offline it waits there sealed. Its
callback number never rests on disk in clear and is never logged (docs/complaints.md).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kiosk import tally
from kiosk.complaints import Complaint
from kiosk.events import ComplaintStored, Failed, Operation
from kiosk.i18n import _
from kiosk.sealing import Sealer
from kiosk.storage import Kind, OutboxError

if TYPE_CHECKING:
    from kiosk.runtime import Reply, Runtime

log = logging.getLogger("kiosk.complaints")


class ComplaintDesk:
    """Seals complaints into one runtime's outbox."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.sealer = Sealer(runtime.config.platform.device_key)

    def store(self, reply: Reply, complaint: Complaint) -> None:
        rt = self.runtime
        sealed = self.sealer.seal(complaint.complaint_id, complaint.to_json())
        try:
            rt.outbox.enqueue(Kind.COMPLAINT, complaint.complaint_id, sealed)
        except OutboxError as exc:
            log.error("complaint not stored: %s", exc)
            rt.tally.count(tally.ERRORS, Operation.COMPLAINT.value)
            reply(Failed(Operation.COMPLAINT, _("意见暂未保存成功。"), str(exc), retryable=False))
            return
        log.info("complaint %s stored (%s)", complaint.complaint_id, complaint.category.value)
        reply(ComplaintStored(complaint.complaint_id))
        rt.sync.poke()
