"""One status model for every device (CEN/XFS and CUSS), and the interfaces drivers offer.

Drivers run their own threads and never touch the UI: they report through a ``post`` callable
that the application hands them (on the UI side it marshals onto the Kivy clock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from kiosk.document import Document


class DeviceKind(StrEnum):
    CARD_READER = "card_reader"
    QR_SCANNER = "qr_scanner"
    PRINTER = "printer"


class DeviceState(StrEnum):
    STARTING = "starting"
    ONLINE = "online"
    OFFLINE = "offline"
    NO_DEVICE = "no_device"
    HARDWARE_ERROR = "hardware_error"
    USER_ERROR = "user_error"
    BUSY = "busy"


class Media(StrEnum):
    UNKNOWN = "unknown"
    PRESENT = "present"
    ABSENT = "absent"
    JAMMED = "jammed"


class Paper(StrEnum):
    UNKNOWN = "unknown"
    FULL = "full"
    LOW = "low"
    OUT = "out"
    JAMMED = "jammed"


class PrinterCondition(StrEnum):
    """Why a printer cannot print, one name per thing the citizen is told (and staff fix)."""

    NO_DEVICE = "no_device"
    COVER_OPEN = "cover_open"
    PAPER_OUT = "paper_out"
    JAMMED = "jammed"
    FAULT = "fault"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    kind: DeviceKind
    state: DeviceState
    media: Media = Media.UNKNOWN
    paper: Paper = Paper.UNKNOWN
    cover_open: bool = False
    detail: str = ""  # for technicians; never personal data
    source: str = ""  # which device of its kind (a kiosk may have two card readers)

    @property
    def usable(self) -> bool:
        """CUSS: a required component counts as ready when online or busy (low paper is fine)."""
        if self.state not in (DeviceState.ONLINE, DeviceState.BUSY):
            return False
        if self.kind is DeviceKind.PRINTER:
            return not self.cover_open and self.paper not in (Paper.OUT, Paper.JAMMED)
        return True

    @property
    def printer_condition(self) -> PrinterCondition | None:
        """A printer's reason not to print (None while usable); the first that applies, in the
        order a person must fix them: connect it, close the cover, load paper, clear a jam."""
        if self.usable or self.state is DeviceState.STARTING:
            return None
        if self.state is DeviceState.NO_DEVICE:
            return PrinterCondition.NO_DEVICE
        if self.cover_open:
            return PrinterCondition.COVER_OPEN
        if self.paper is Paper.OUT:
            return PrinterCondition.PAPER_OUT
        if self.paper is Paper.JAMMED:
            return PrinterCondition.JAMMED
        if self.state is DeviceState.HARDWARE_ERROR:
            return PrinterCondition.FAULT
        return PrinterCondition.OFFLINE


Post = Callable[[object], None]


class CardReader(Protocol):
    """Reads identity cards on its own thread and posts CardRead / CardRemoved / failures."""

    def start(self, post: Post) -> None: ...

    def stop(self) -> None: ...


class Printer(Protocol):
    def status(self) -> DeviceStatus: ...

    def print_job(self, job: PrintJob, progress: Callable[[float], None] | None = None) -> None:
        """Print one job or raise PrintError. Never retries a job by itself."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class PrintJob:
    """A job has an id so that a reprint is a deliberate act on the same job, never a replay."""

    job_id: str
    document: Document


class PrintError(Exception):
    """A print that did not complete. ``started`` tells whether paper may hold part of it."""

    def __init__(self, message: str, status: DeviceStatus | None = None, started: bool = False):
        super().__init__(message)
        self.status = status
        self.started = started
