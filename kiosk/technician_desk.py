"""What the technician's mode asks the runtime to do (kiosk.journey.technician's effects).

The PIN is checked off the UI thread (scrypt takes ~70 ms); the outbox is read and the test page
printed on the runtime's workers; every action becomes a ``technician`` device event through the
outbox with its action and outcome only. Restarting is the supervisor's job: the app ends with
``RESTART_EXIT_CODE`` and systemd (Restart=always) starts it afresh.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk import journey as j
from kiosk import pin
from kiosk.devices import DeviceStatus, PrintError, PrintJob
from kiosk.document import Document
from kiosk.events import PinChecked, TechnicianInfo, TestPrinted
from kiosk.storage import OutboxError
from kiosk.version import version

if TYPE_CHECKING:
    from kiosk.runtime import Reply, Runtime

log = logging.getLogger("kiosk.technician")

RESTART_EXIT_CODE = 75  # EX_TEMPFAIL: "try again"; any code restarts under Restart=always
TestPage = Callable[[DeviceStatus, str, dt.date], Document]  # (status, job id, today)


class TechnicianDesk:
    """The technician's effects, carried out for one runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.test_page: TestPage | None = None  # the printer driver's page (wiring sets it)
        self.restart: Callable[[], None] | None = None  # the app's way to end (it sets it)

    def apply(self, effect: j.Effect, reply: Reply) -> None:
        rt = self.runtime
        match effect:
            case j.CheckPin(pin=typed):
                rt._submit(self._check_pin, reply, typed, pool=rt._local)
            case j.TechnicianAudit(action=action, outcome=outcome):
                log.info("technician: %s %s", action, outcome)
                data = {"action": action, "outcome": outcome}
                rt._submit(rt._event, "technician", data, pool=rt._local)
            case j.LoadTechnicianInfo():
                rt._submit(self._info, reply, pool=rt._local)
            case j.DeliverOutbox():  # ratings past their backoff, device events in a beat
                rt.sync.poke(force=True)
                rt._beat_now.set()
            case j.TestPrint():
                rt._submit(self._test_print, reply, pool=rt._print)
            case j.RestartApp():
                log.warning("technician: restarting the app")
                if self.restart is not None:
                    self.restart()

    def _check_pin(self, reply: Reply, typed: str) -> None:
        try:
            ok = pin.verify_pin(typed, self.runtime.config.technician.pin_hash)
        except pin.PinError as exc:  # the configuration was checked at start: cannot happen
            log.error("technician PIN hash unusable: %s", exc)
            ok = False
        reply(PinChecked(ok))

    def _info(self, reply: Reply) -> None:
        rt = self.runtime
        try:
            counts = rt.outbox.counts()
            pending = tuple(sorted(counts.pending.items()))
            oldest, dead = counts.oldest_pending_age, counts.dead
        except OutboxError as exc:
            pending, oldest, dead = (), None, 0
            log.error("technician: outbox unreadable: %s", exc)
        reply(
            TechnicianInfo(
                version=version(),
                uptime_seconds=max(0.0, rt.wall_clock() - rt.started_at),
                pending=pending,
                oldest_pending_age=oldest,
                dead_letters=dead,
                outbox_problem=getattr(rt.outbox, "problem", ""),
                addresses=addresses(rt.config.devices),
            )
        )

    def _test_print(self, reply: Reply) -> None:
        rt = self.runtime
        if self.test_page is None:
            reply(TestPrinted(False, "no test page for this printer"))
            return
        status = rt.printer.status()
        if not status.usable:
            reply(TestPrinted(False, f"{status.state.value} {status.paper.value} {status.detail}"))
            return
        now = dt.datetime.fromtimestamp(rt.wall_clock()).astimezone()
        job_id = f"test-{now:%H%M%S}"
        try:
            rt.printer.print_job(PrintJob(job_id, self.test_page(status, job_id, now.date())))
        except PrintError as exc:
            reply(TestPrinted(False, str(exc)[:200]))
            return
        reply(TestPrinted(True, job_id))


def addresses(devices) -> tuple[tuple[str, str], ...]:
    """Where each device is configured ([devices]): the port a technician checks first."""
    out = [("card_reader", a) for a in devices.card_readers] + [("printer", devices.printer)]
    if devices.qr_scanner:
        out.append(("qr_scanner", devices.qr_scanner))
    return tuple(out)
