"""What the technician's mode asks the runtime to do (kiosk.journey.technician's effects).

The PIN is checked off the UI thread (scrypt takes ~70 ms); the outbox is read and the test page
printed on the runtime's workers; every action becomes a ``technician`` device event through the
outbox with its action and outcome only. Restarting is the supervisor's job: the app ends with
``RESTART_EXIT_CODE`` and systemd (Restart=always) starts it afresh. A device's new address is
written to the configuration (kiosk.config_edit) and that device alone reopened, by the
drivers' ``reopen`` that the composition root (wiring.py) hands over: the core knows no driver.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk import journey as j
from kiosk import logs, pin
from kiosk.config import Config, reader_names
from kiosk.config_edit import ConfigEditError, change_address
from kiosk.devices import DeviceKind, DeviceStatus, PrintError, PrintJob
from kiosk.document import Document
from kiosk.events import AddressApplied, AddressCandidates, PinChecked, TechnicianInfo, TestPrinted
from kiosk.storage import OutboxError
from kiosk.version import version

if TYPE_CHECKING:
    from kiosk.runtime import Reply, Runtime

log = logging.getLogger("kiosk.technician")

RESTART_EXIT_CODE = 75  # EX_TEMPFAIL: "try again"; any code restarts under Restart=always
LOG_LINES = 12  # the latest log lines the technician screen shows
TestPage = Callable[[DeviceStatus, str, dt.date], Document]  # (status, job id, today)
Reopen = Callable[[Config, DeviceKind], tuple[str, ...]]  # -> the kind's status sources now
Candidates = Callable[[DeviceKind, str], tuple[str, ...]]  # (kind, current) -> addresses


class TechnicianDesk:
    """The technician's effects, carried out for one runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.test_page: TestPage | None = None  # the printer driver's page (wiring sets it)
        self.restart: Callable[[], None] | None = None  # the app's way to end (it sets it)
        self.reopen: Reopen | None = None  # the drivers' (wiring sets it)
        self.candidates: Candidates | None = None  # addresses found on this machine (wiring)
        self.usb_ids: Callable[[str], str] = lambda _address: ""  # its port's VID:PID (wiring)

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
            case j.ListAddressCandidates(kind=kind, current=current):
                rt._submit(self._candidates, reply, kind, current, pool=rt._local)
            case j.ApplyAddress(kind=kind, index=index, address=address):
                rt._submit(self._apply_address, reply, kind, index, address, pool=rt._print)
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
        configured = addresses(rt.config.devices)
        reply(
            TechnicianInfo(
                version=version(),
                uptime_seconds=max(0.0, rt.wall_clock() - rt.started_at),
                pending=pending,
                oldest_pending_age=oldest,
                dead_letters=dead,
                outbox_problem=getattr(rt.outbox, "problem", ""),
                addresses=configured,
                usb_ids=tuple(self.usb_ids(a) for _kind, a in configured),
                log_lines=logs.recent(LOG_LINES),
            )
        )

    def _candidates(self, reply: Reply, kind: DeviceKind, current: str) -> None:
        found = self.candidates(kind, current) if self.candidates is not None else ()
        reply(AddressCandidates(kind, found))

    def _apply_address(self, reply: Reply, kind: DeviceKind, index: int, address: str) -> None:
        """On the print worker: no print (a test page) runs while a printer is swapped."""
        rt = self.runtime
        if self.reopen is None:
            reply(AddressApplied(False, "this kiosk cannot reopen its devices"))
            return
        try:
            changed = change_address(rt.config, kind, index, address)
        except ConfigEditError as exc:
            reply(AddressApplied(False, str(exc)[:300]))
            return
        old = rt.config
        rt.config = changed.config
        try:
            sources = self.reopen(changed.config, kind)
        except Exception as exc:  # the file is written: the next start uses it either way
            log.exception("technician: %s reopened with its new address failed", kind.value)
            reply(AddressApplied(False, f"written, but the device did not reopen: {exc}"[:300]))
            return
        was = [a for k, a in addresses(old.devices) if k == kind.value]
        log.warning(
            "technician: %s address changed to %s and applied (was %s; previous file %s)",
            kind.value,
            address,
            was[index] if index < len(was) else "",
            changed.backup,
        )
        detail = f"{address} ({changed.backup.name})"
        if changed.more_in_file:
            detail += " · other changes in the file take effect at the next start"
        if kind is DeviceKind.PRINTER:
            rt.prints.refresh()  # its status now, not at the next poll
        reply(
            AddressApplied(
                True,
                detail,
                kind=kind,
                sources=sources,
                required=frozenset(changed.config.devices.required),
                required_reader=reader_names(changed.config.devices.card_readers)[0],
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
