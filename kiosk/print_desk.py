"""Print jobs and the printer's watcher, for one runtime.

A job is sent once: one still on its way to the paper is never queued a second time (a citizen
who asks again after a time-out gets the answer of the run already going), and one that came
out whole is answered as printed without printing it again. While a job runs the printer is
busy (XFS/CUSS: usable, not polled: the job reads its own status). Between jobs a watcher
polls its status, counts paper changes, and tells hall staff of what they can fix (paper,
cover, the printer gone) once per change, through a device event.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import deque
from typing import TYPE_CHECKING

from kiosk import device_events, tally
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Paper, PrintError
from kiosk.events import DeviceChanged, Failed, Operation, Printed, PrintProgress

if TYPE_CHECKING:
    from kiosk.runtime import Reply, Runtime

log = logging.getLogger("kiosk.runtime")

# How a print job is answered: (progress, printed, a failure's operation); the 一次性告知's
# are kiosk.notice_desk's
PrintAnswers = tuple[type, type, Operation]
CASE_ANSWERS: PrintAnswers = (PrintProgress, Printed, Operation.PRINT)


class PrintDesk:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()
        self._printed: deque[str] = deque(maxlen=200)  # whole on paper: never again
        self.status: DeviceStatus | None = None  # the printer's last known status

    def print_once(self, reply: Reply, job, answers: PrintAnswers = CASE_ANSWERS) -> None:
        with self._lock:
            if job.job_id in self._in_flight:
                log.warning("print job %s is still printing: not sent again", job.job_id)
                return
            if job.job_id in self._printed:
                log.warning("print job %s already came out whole: not sent again", job.job_id)
                reply(answers[1](job.job_id))
                return
            self._in_flight.add(job.job_id)
        rt = self.runtime
        try:
            rt._print.submit(rt._guarded, self._print_job, reply, job, answers)
        except RuntimeError:  # shutting down
            self._done(job.job_id)

    def _done(self, job_id: str, *, printed: bool = False) -> None:
        with self._lock:
            self._in_flight.discard(job_id)
            if printed:
                self._printed.append(job_id)

    def _print_job(self, reply: Reply, job, answers: PrintAnswers) -> None:
        rt = self.runtime
        progress_type, printed_type, op = answers
        printed = False
        last = self.status
        if last is not None:
            self.changed(dataclasses.replace(last, state=DeviceState.BUSY))
        try:
            rt.printer.print_job(job, progress=lambda f: reply(progress_type(job.job_id, f)))
            printed = True
        except PrintError as exc:
            log.warning("print job %s failed: %s", job.job_id, exc)
            rt.tally.count(tally.PRINTS, "failed")
            rt.tally.count(tally.ERRORS, op.value)
            if exc.status is not None:
                self.changed(exc.status)
            reply(Failed(op, str(exc), retryable=True))
        finally:
            self._done(job.job_id, printed=printed)
        if printed:
            rt.tally.count(tally.PRINTS, "ok")
            reply(printed_type(job.job_id))
            self.refresh()

    # ---- the watcher ------------------------------------------------------------------------

    def watch(self) -> None:
        """The printer's thread: its status every ``printer_poll_interval`` between jobs."""
        rt = self.runtime
        while not rt._stop.is_set():
            if not self._in_flight:  # a job reads its own status
                self.refresh()
            rt._stop.wait(rt.printer_poll_interval)

    def refresh(self) -> None:
        try:
            status = self.runtime.printer.status()
        except Exception as exc:  # a driver surprise must not kill the watcher
            log.warning("printer status failed: %s", exc)
            status = DeviceStatus(DeviceKind.PRINTER, DeviceState.HARDWARE_ERROR, detail=str(exc))
        self.changed(status)

    def changed(self, status: DeviceStatus) -> None:
        if status == self.status:
            return
        before, self.status = self.status, status
        paper_before = before.paper if before is not None else Paper.UNKNOWN
        if status.paper is not paper_before and status.paper is not Paper.UNKNOWN:
            self.runtime.tally.count(tally.PAPER_EVENTS, status.paper.value)
        self.runtime.post(DeviceChanged(status))
        self._alert_staff(before, status)

    def _alert_staff(self, before: DeviceStatus | None, now: DeviceStatus) -> None:
        """Paper low, out or jammed, cover open, printer gone: hall staff can fix these, so a
        device event tells them (through the heartbeat) once per change, not once per poll."""
        problem = device_events.printer_trouble(now)
        if problem and problem != device_events.printer_trouble(before):
            self.runtime._event("staff_alert", {"device": "printer", "problem": problem})
