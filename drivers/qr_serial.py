"""A QR scanner in USB-CDC (virtual serial port) mode: a thread that reads lines and posts them.

CDC is the mode to prefer at a kiosk: unlike a keyboard wedge it needs no focus, no IME and no
keyboard layout. The scanner sends each payload followed by its suffix (CR, LF, CRLF or TAB,
set on the scanner); by default all of them end a frame, so a technician need not match the
setting, and the empty frame between CR and LF is skipped.

Every frame goes through kiosk.qr.accept_payload: the journey gets ``QrScanned`` with text, or
``QrRejected`` with a citizen-facing reason (junk, invalid text, over 4 KB, also for a frame that
runs past 4 KB without a terminator: the rest up to its terminator is discarded with it). Text
that is not UTF-8 is tried as GB18030 (see kiosk.qr.decode_payload for why).

A partial frame that sits with no new byte for ``stale_after`` seconds is line noise (a scanner
powering up, a cable being plugged) and is dropped with a log line, so it never glues itself to
the next scan. For a scanner that sends no suffix at all, ``idle_end`` makes silence end a frame.

The thread never dies: a port that cannot be opened or fails is NO_DEVICE and is reopened after
``reopen_interval``, backing off while it stays away (drivers.serial_device; the same path: a
replugged scanner comes back by itself); anything
unexpected is logged (type and code lines only) and the port reopened. Payloads never reach a
log, only their length. ``start`` and ``stop`` return promptly (one port read, 50 ms).
"""

from __future__ import annotations

import logging
import re
import termios
import threading
import time

import serial

from drivers.serial_device import SerialDeviceThread, open_port
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus
from kiosk.events import DeviceChanged
from kiosk.qr import (
    MAX_PAYLOAD_BYTES,
    QrRejected,
    QrScanned,
    Refusal,
    ScanRefused,
    accept_payload,
)

log = logging.getLogger("drivers.qr")

DEVICE_ERRORS: tuple[type[BaseException], ...] = (OSError, termios.error)
DEFAULT_BAUD = 115200
ANY_TERMINATOR = b"\r\n\t"
TERMINATORS: dict[str, bytes] = {
    "any": ANY_TERMINATOR,
    "cr": b"\r",
    "lf": b"\n",
    "crlf": b"\r\n",  # CR and LF each end a frame; the empty one between them is skipped
    "tab": b"\t",
}
_PORT_TIMEOUT = 0.05  # one port read; bounds how long stop() waits


class LineFramer:
    """Bytes in, frames out. Pure. ``feed`` returns the frames completed by ``data``, with
    ``None`` for a frame that exceeded ``max_length`` (reported once, then skipped to its end).
    """

    def __init__(self, terminators: bytes = ANY_TERMINATOR, max_length: int = MAX_PAYLOAD_BYTES):
        if not terminators:
            raise ValueError("at least one terminator byte is needed")
        self.max_length = max_length
        self._ends = re.compile(b"[" + re.escape(terminators) + b"]")
        self._buffer = bytearray()
        self._skipping = False  # inside a frame already reported as too long

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame (a frame being skipped counts as one byte)."""
        return len(self._buffer) or int(self._skipping)

    def feed(self, data: bytes) -> list[bytes | None]:
        out: list[bytes | None] = []
        start = 0
        for end in self._ends.finditer(data):
            piece = data[start : end.start()]
            start = end.end()
            if self._skipping:
                self._skipping = False
                continue
            if self._buffer:
                self._buffer += piece
                frame = bytes(self._buffer)
                self._buffer.clear()
            else:
                frame = piece
            if len(frame) > self.max_length:
                out.append(None)
            elif frame:
                out.append(frame)
        if not self._skipping:
            self._buffer += data[start:]
            if len(self._buffer) > self.max_length:
                self._buffer.clear()
                self._skipping = True
                out.append(None)
        return out

    def take(self) -> bytes:
        """The unfinished frame (and forget it): for silence that ends or spoils a frame."""
        frame = bytes(self._buffer)
        self._buffer.clear()
        self._skipping = False
        return frame


class SerialQrScanner(SerialDeviceThread):
    """A QR scanner on a serial (USB-CDC) port; posts QrScanned, QrRejected and DeviceChanged
    (kind QR_SCANNER, ``source=name``). Same life cycle as kiosk.devices.CardReader.

    ``port`` is what pyserial's serial_for_url opens: a device path, rfc2217://host:port or
    spy://path?file=… (kiosk.addresses makes it from the scanner's address).
    ``terminators``: the bytes that end a frame, or a name from TERMINATORS ("any" by default).
    """

    def __init__(
        self,
        port: str,
        baud: int = DEFAULT_BAUD,
        name: str = "qr",
        *,
        terminators: bytes | str = ANY_TERMINATOR,
        max_length: int = MAX_PAYLOAD_BYTES,
        reopen_interval: float = 1.0,
        stale_after: float = 1.0,
        idle_end: float | None = None,
    ):
        if baud <= 0:
            raise ValueError(f"baud rate {baud} is not positive")
        if isinstance(terminators, str):
            if terminators not in TERMINATORS:
                raise ValueError(f"terminator {terminators!r}: one of {', '.join(TERMINATORS)}")
            terminators = TERMINATORS[terminators]
        LineFramer(terminators, max_length)  # refuses a bad set now, not on the thread
        super().__init__(name, reopen_interval)
        self.port = port
        self.baud = baud
        self.terminators = terminators
        self.max_length = max_length
        self.stale_after = stale_after
        self.idle_end = idle_end
        self.scans = 0  # diagnostics: QrScanned posted
        self.rejected = 0  # diagnostics: QrRejected posted
        self.dropped = 0  # diagnostics: stale partial frames dropped
        self._status = self._make_status(DeviceState.STARTING)

    label = "QR scanner"
    log = log

    def _driver_failed(self, detail: str) -> None:
        self._report(DeviceState.HARDWARE_ERROR, detail)

    # ---- the thread -----------------------------------------------------------------------

    def _connect_and_serve(self, stop: threading.Event) -> None:
        self.open_attempts += 1
        try:
            # opening flushes the input: what a scanner sent before we listened is gone, as
            # after a power cycle
            self._serial = open_port(self.port, self.baud, timeout=_PORT_TIMEOUT)
        except (*DEVICE_ERRORS, ValueError) as exc:
            self._report(DeviceState.NO_DEVICE, f"cannot open the port: {exc}")
            return
        log.info("QR scanner %s online on %s at %d baud", self.name, self.port, self.baud)
        self._came_online()
        self._report(DeviceState.ONLINE, f"{self.baud} baud")
        try:
            self._serve(self._serial, stop)
        except DEVICE_ERRORS as exc:
            self._report(DeviceState.NO_DEVICE, f"port failed: {exc}")

    def _serve(self, port: serial.SerialBase, stop: threading.Event) -> None:
        framer = LineFramer(self.terminators, self.max_length)
        last_byte = time.monotonic()
        while not stop.is_set():
            data = port.read(max(1, port.in_waiting))
            now = time.monotonic()
            if data:
                last_byte = now
                for frame in framer.feed(data):
                    self._frame(frame)
            elif framer.pending:
                silence = now - last_byte
                if self.idle_end is not None and silence >= self.idle_end:
                    self._frame(framer.take())
                elif silence >= self.stale_after:
                    size = len(framer.take())
                    self.dropped += 1
                    log.warning(
                        "QR scanner %s: %d bytes without a terminator dropped after %.1f s"
                        " (check the scanner's suffix setting)",
                        self.name,
                        size,
                        silence,
                    )

    def _frame(self, frame: bytes | None) -> None:
        if frame is None:
            self._reject(ScanRefused(Refusal.TOO_LONG, f"a frame ran past {self.max_length} bytes"))
            return
        if not frame:
            return
        try:
            text = accept_payload(frame)
        except ScanRefused as exc:
            self._reject(exc, len(frame))
            return
        self.scans += 1
        log.info("QR scanner %s: scan of %d characters", self.name, len(text))
        self._post(QrScanned(text, self.name))

    def _reject(self, exc: ScanRefused, size: int | None = None) -> None:
        self.rejected += 1
        length = f" ({size} bytes)" if size is not None else ""
        log.info("QR scanner %s: refused %s%s", self.name, exc, length)  # never the payload
        self._post(QrRejected(exc.reason, self.name, exc.code.value))

    # ---- state and reporting --------------------------------------------------------------

    def _make_status(self, state: DeviceState, detail: str = "") -> DeviceStatus:
        return DeviceStatus(DeviceKind.QR_SCANNER, state, detail=detail, source=self.name)

    def _report(self, state: DeviceState, detail: str = "") -> None:
        """Keep the status; post DeviceChanged only when the state changed."""
        self._status = self._make_status(state, detail)
        if self._posted is not state:
            if state is not DeviceState.ONLINE:
                log.warning("QR scanner %s %s: %s", self.name, state.value, detail)
            self._posted = state
            self._post(DeviceChanged(self._status))
