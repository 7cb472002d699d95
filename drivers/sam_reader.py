"""The resident ID card reader: a thread that polls a SAM over a serial port and posts events.

A SAM only finds a card once per placement: after a good read, "find" answers 80 until the card
has left the field. So removal is detected by asking "select" while find answers 80 (90: the card
is still there; 81: it has gone). A card swapped faster than one poll shows up as a new find.

The thread never dies: a vanished port is reported as NO_DEVICE and reopened every second; a SAM
that stops answering is OFFLINE; anything unexpected is logged (type and code lines only, never
values) and the port is reopened. Card contents never reach a log: IdentityCard's repr is masked.
"""

from __future__ import annotations

import logging
import termios
import threading
import time
import traceback

import serial

from drivers.sam_cards import parse_read_data
from drivers.sam_protocol import (
    Command,
    FrameError,
    SamError,
    SamLink,
    SamStatusError,
    SamTimeout,
    Sw3,
    UnknownCardTypeError,
    parse_sam_id,
)
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Media, Post
from kiosk.events import (
    CardDetected,
    CardFault,
    CardRead,
    CardReadFailed,
    CardRemoved,
    DeviceChanged,
)

log = logging.getLogger("drivers.sam")

# What the port raises when the device is unplugged: pyserial's SerialException is an OSError;
# termios.error comes from flushing a tty whose other end has gone.
DEVICE_ERRORS: tuple[type[BaseException], ...] = (OSError, termios.error)

FAULT_FOR_SW3: dict[int, CardFault] = {
    Sw3.FIND_FAILED: CardFault.NO_CARD,
    Sw3.SELECT_FAILED: CardFault.SELECT_FAILED,
    Sw3.READ_FAILED: CardFault.READ_FAILED,
    Sw3.UNKNOWN_CARD_TYPE: CardFault.UNKNOWN_CARD,
    Sw3.CARD_AUTH_FAILED: CardFault.AUTH_FAILED,
    Sw3.SAM_AUTH_FAILED: CardFault.AUTH_FAILED,
    Sw3.VERIFY_ERROR: CardFault.AUTH_FAILED,
    Sw3.RANDOM_FAILED: CardFault.AUTH_FAILED,
    Sw3.SAM_SELF_TEST_FAILED: CardFault.SAM_FAULT,
    Sw3.SAM_NOT_AUTHORIZED: CardFault.SAM_FAULT,
    Sw3.NOT_AUTHORIZED: CardFault.SAM_FAULT,
    Sw3.CHECKSUM_ERROR: CardFault.BAD_FRAME,  # our command arrived damaged: line noise
    Sw3.LENGTH_ERROR: CardFault.BAD_FRAME,
}

_SAM_BROKEN = (Sw3.SAM_SELF_TEST_FAILED, Sw3.SAM_NOT_AUTHORIZED)
_PORT_TIMEOUT = 0.02  # pyserial's per-read timeout; the real deadlines live in FrameReader
_SILENT_LIMIT = 3  # polls in a row without a valid answer before the SAM counts as offline


def fault_for(error: SamError) -> CardFault:
    """The citizen-facing category of a failed select/read."""
    if isinstance(error, UnknownCardTypeError):
        return CardFault.UNKNOWN_CARD
    if isinstance(error, SamStatusError):
        return FAULT_FOR_SW3.get(error.sw3, CardFault.READ_FAILED)
    if isinstance(error, SamTimeout):
        return CardFault.TIMEOUT
    if isinstance(error, FrameError):
        return CardFault.BAD_FRAME
    return CardFault.READ_FAILED


class _Unresponsive(SamError):
    """The port is open but the SAM does not answer sensibly."""


class SamReader:
    """kiosk.devices.CardReader for GA 467 SAM readers on a serial (or USB-CDC) port."""

    def __init__(
        self,
        port: str,
        baud: int = 115200,
        poll_interval: float = 0.15,
        read_timeout: float = 1.0,
        *,
        with_fingerprint: bool = False,
        reopen_interval: float = 1.0,
        retry_interval: float = 1.0,
        max_retries: int = 2,
    ):
        self.port = port
        self.baud = baud
        self.poll_interval = poll_interval
        self.read_timeout = read_timeout
        self.with_fingerprint = with_fingerprint
        self.reopen_interval = reopen_interval
        self.retry_interval = retry_interval  # after a failed read, while the card stays
        self.max_retries = max_retries
        self.open_attempts = 0  # diagnostics: how often the port was (re)opened
        self._post_to: Post | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._serial: serial.Serial | None = None
        self._status = DeviceStatus(DeviceKind.CARD_READER, DeviceState.STARTING)
        self._posted: tuple[DeviceState, Media] | None = None
        self._reset_card_state()

    # ---- CardReader -----------------------------------------------------------------------

    def start(self, post: Post) -> None:
        if self.running:
            raise RuntimeError("SAM reader already started")
        self._post_to = post
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sam-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the thread and close the port; waits at most a few seconds."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=2 * self.read_timeout + 2.0)
            if thread.is_alive():
                log.warning("SAM reader thread did not stop in time")
        self._close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def status(self) -> DeviceStatus:
        return self._status

    # ---- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._connect_and_serve()
            except Exception as exc:  # last line: the thread must not die
                self._log_unexpected(exc)
                self._lost(DeviceState.HARDWARE_ERROR, f"driver error {type(exc).__name__}")
            finally:
                self._close()
            self._stop.wait(self.reopen_interval)

    def _connect_and_serve(self) -> None:
        self.open_attempts += 1
        try:
            self._serial = serial.Serial(
                self.port,
                self.baud,
                timeout=_PORT_TIMEOUT,
                write_timeout=self.read_timeout,
                exclusive=True,
            )
        except (*DEVICE_ERRORS, ValueError) as exc:
            self._report(DeviceState.NO_DEVICE, Media.UNKNOWN, f"cannot open the port: {exc}")
            return
        link = SamLink(self._serial, read_timeout=self.read_timeout, baud=self.baud)
        try:
            self._serve(link)
        except DEVICE_ERRORS as exc:
            self._lost(DeviceState.NO_DEVICE, f"port failed: {exc}")
        except _Unresponsive as exc:
            self._lost(DeviceState.OFFLINE, str(exc))
        except SamStatusError as exc:
            self._lost(DeviceState.HARDWARE_ERROR, str(exc))

    def _serve(self, link: SamLink) -> None:
        try:
            link.transact(Command.STATUS).expect(Command.STATUS)
        except (SamTimeout, FrameError) as exc:
            raise _Unresponsive(f"no valid answer to SAM status: {exc}") from None
        detail = ""
        try:
            sam_id = parse_sam_id(link.transact(Command.SAM_ID).expect(Command.SAM_ID).data)
            detail = f"SAM {sam_id}"
        except SamError as exc:
            log.info("SAM id not available: %s", exc)
        log.info("SAM reader online on %s (%s)", self.port, detail or "no id")
        self._reset_card_state()
        self._report(DeviceState.ONLINE, Media.ABSENT, detail)
        self._silent = 0
        next_poll = time.monotonic()
        while not self._stop.wait(max(0.0, next_poll - time.monotonic())):
            next_poll = time.monotonic() + self.poll_interval
            try:
                reply = link.transact(Command.FIND)
            except (SamTimeout, FrameError) as exc:
                self._no_answer(Command.FIND, exc)
                continue
            self._silent = 0
            if reply.sw3 == Sw3.CARD_FOUND:
                self._found(link)
            elif reply.sw3 == Sw3.FIND_FAILED:
                if self._present:
                    self._check_removed(link)
            elif reply.sw3 in _SAM_BROKEN:
                raise SamStatusError(reply.sw3, Command.FIND)
            else:
                log.debug("find answered %02X (%s)", reply.sw3, reply.meaning)

    def _found(self, link: SamLink) -> None:
        if self._present and self._read_ok:
            # the card that was read must have left: another one came in within one poll
            self._removed()
        if self._present and (
            self._failures > self.max_retries or time.monotonic() < self._retry_at
        ):
            return  # a card that failed: wait before retrying, or for it to be taken away
        self._present = True
        self._set_media(Media.PRESENT)
        self._post(CardDetected())
        if self._read_card(link):
            self._read_ok = True
            self._failures = 0
        else:
            self._failures += 1
            self._retry_at = time.monotonic() + self.retry_interval

    def _read_card(self, link: SamLink) -> bool:
        command = Command.READ_FINGERPRINT if self.with_fingerprint else Command.READ
        self._reading = True
        try:
            link.transact(Command.SELECT).expect(Command.SELECT)
            reply = link.transact(command).expect(command)
            card = parse_read_data(reply.data, self.with_fingerprint)
        except SamError as exc:
            self._reading = False
            fault = fault_for(exc)
            log.info("card read failed: %s (%s)", fault.value, exc)
            self._post(CardReadFailed(fault, str(exc)))
            return False
        self._reading = False
        log.info("card read: %r", card)
        self._post(CardRead(card))
        return True

    def _check_removed(self, link: SamLink) -> None:
        try:
            reply = link.transact(Command.SELECT)
        except (SamTimeout, FrameError) as exc:
            self._no_answer(Command.SELECT, exc)
            return
        self._silent = 0
        if reply.sw3 in (Sw3.SELECT_FAILED, Sw3.FIND_FAILED):
            self._removed()
        elif reply.sw3 != Sw3.OK:
            log.debug("select (removal check) answered %02X (%s)", reply.sw3, reply.meaning)

    def _no_answer(self, command: Command, exc: SamError) -> None:
        self._silent += 1
        log.debug("no valid answer to %s: %s", command.name.lower(), exc)
        if self._silent >= _SILENT_LIMIT:
            raise _Unresponsive(f"no valid answer to {command.name.lower()}: {exc}")

    # ---- state and reporting --------------------------------------------------------------

    def _reset_card_state(self) -> None:
        self._present = False  # a card is in the field as far as the journey knows
        self._read_ok = False  # ... and it was read
        self._reading = False  # between CardDetected and its outcome
        self._failures = 0
        self._retry_at = 0.0
        self._silent = 0

    def _removed(self) -> None:
        self._reset_card_state()
        self._set_media(Media.ABSENT)
        self._post(CardRemoved())

    def _lost(self, state: DeviceState, detail: str) -> None:
        """The device went away (or wrong) mid-session: settle what the journey was told."""
        if self._reading:
            fault = CardFault.DEVICE_GONE if state is DeviceState.NO_DEVICE else CardFault.SAM_FAULT
            self._post(CardReadFailed(fault, detail))
        present = self._present
        self._reset_card_state()
        log.warning("SAM reader %s: %s", state.value, detail)
        self._report(state, Media.UNKNOWN, detail)
        if present:
            self._post(CardRemoved())

    def _report(self, state: DeviceState, media: Media, detail: str = "") -> None:
        """Keep the status; post DeviceChanged only when state or media changed."""
        self._status = DeviceStatus(DeviceKind.CARD_READER, state, media=media, detail=detail)
        if self._posted != (state, media):
            self._posted = (state, media)
            self._post(DeviceChanged(self._status))

    def _set_media(self, media: Media) -> None:
        s = self._status
        self._status = DeviceStatus(s.kind, s.state, media=media, detail=s.detail)

    def _post(self, event: object) -> None:
        if self._post_to is None:
            return
        try:
            self._post_to(event)
        except Exception as exc:
            log.error("posting %s failed: %s", type(event).__name__, type(exc).__name__)

    def _close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            try:
                port.close()
            except Exception as exc:
                log.debug("closing the port: %s", type(exc).__name__)

    @staticmethod
    def _log_unexpected(exc: BaseException) -> None:
        # The exception's message could echo data; the code lines of the traceback cannot.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("unexpected %s in the SAM reader thread:\n%s", type(exc).__name__, frames)
