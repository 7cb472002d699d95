"""The resident ID card reader: a thread that polls a SAM over a serial port and posts events.

A SAM only finds a card once per placement: after a good read, "find" answers 80 until the card
has left the field. So removal is detected by asking "select" while find answers 80 (90: the card
is still there; 81: it has gone). A card swapped faster than one poll shows up as a new find.

The hot path is find → select → read → appended address, chained without a pause; the only wait
is the poll interval between finds, which bounds the time from placing a card to its first find
(0.05 s: card placed → CardRead stays within 250 ms at 115200 baud, the read reply alone being
~115 ms on the wire).

The thread never dies: a vanished port is reported as NO_DEVICE and reopened every second (at
the same path: a replugged reader comes back by itself); a SAM that stops answering is OFFLINE;
anything unexpected is logged (type and code lines only, never values) and the port is
reopened. Card contents never reach a log: IdentityCard's repr is masked. ``start`` and ``stop``
return promptly: every wait on the port is cancelled by ``stop`` within one port read.
"""

from __future__ import annotations

import dataclasses
import logging
import termios
import threading
import time

import serial

from drivers.sam_cards import (
    ADDRESS_CARD_TYPES,
    join_addresses,
    parse_appended_addresses,
    parse_read_data,
)
from drivers.sam_protocol import (
    Command,
    FrameError,
    SamCancelled,
    SamError,
    SamLink,
    SamStatusError,
    SamTimeout,
    Sw3,
    UnknownCardTypeError,
    parse_sam_id,
)
from drivers.serial_device import SerialDeviceThread, open_port
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Media
from kiosk.events import (
    CardDetected,
    CardFault,
    CardRead,
    CardReadFailed,
    CardRemoved,
    DeviceChanged,
)
from kiosk.identity import IdentityCard

log = logging.getLogger("drivers.sam")

# What the port raises when the device is unplugged: pyserial's SerialException is an OSError;
# termios.error comes from flushing a tty whose other end has gone.
DEVICE_ERRORS: tuple[type[BaseException], ...] = (OSError, termios.error)

# The rates vendor SDKs try, in their order, when the reader's rate is not configured.
BAUD_RATES: tuple[int, ...] = (115200, 57600, 38400, 19200, 9600)
DEFAULT_BAUD = 115200
POLL_INTERVAL = 0.05  # between finds while no card is being read (see the module docstring)
PROBE_TIMEOUT = 0.3  # for the status reply at each rate tried (11 bytes: 12 ms at 9600)

# Every status a SAM can give maps to what the citizen is told if a select or read ends with it.
# 90/91/9F are not failures in themselves; as the answer to a step that needed another status
# they mean the read did not happen, and the card is read again.
FAULT_FOR_SW3: dict[int, CardFault] = {
    Sw3.OK: CardFault.READ_FAILED,
    Sw3.NO_CONTENT: CardFault.READ_FAILED,
    Sw3.CARD_FOUND: CardFault.READ_FAILED,
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
    Sw3.COMMAND_ERROR: CardFault.READ_FAILED,
    Sw3.UNRECOGNISED_ERROR: CardFault.READ_FAILED,
}

_SAM_BROKEN = (Sw3.SAM_SELF_TEST_FAILED, Sw3.SAM_NOT_AUTHORIZED)
_NO_APPENDED = (Sw3.NO_CONTENT, Sw3.COMMAND_ERROR)  # 21: a SAM that does not know 30 03
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


class SamReader(SerialDeviceThread):
    """kiosk.devices.CardReader for GA 467 SAM readers on a serial (or USB-CDC) port.

    ``port`` is what pyserial's serial_for_url opens: a device path, rfc2217://host:port (a
    reader on another machine) or spy://path?file=… (a byte log); kiosk.addresses makes it.
    ``baud=None`` probes BAUD_RATES with the status command at every (re)connect, starting with
    the rate found last time, and keeps the first that answers; the status detail names it.
    Events carry ``reader=name`` and statuses ``source=name``.
    """

    def __init__(
        self,
        port: str,
        baud: int | None = DEFAULT_BAUD,
        poll_interval: float = POLL_INTERVAL,
        read_timeout: float = 1.0,
        *,
        with_fingerprint: bool = False,
        reopen_interval: float = 1.0,
        retry_interval: float = 1.0,
        max_retries: int = 2,
        probe_timeout: float = PROBE_TIMEOUT,
        name: str = "sam",
    ):
        if baud is not None and baud <= 0:
            raise ValueError(f"baud rate {baud} is not positive")
        super().__init__(name, reopen_interval)
        self.port = port
        self.baud = baud  # as configured; None: probe
        self.line_baud: int | None = baud  # the rate in use (found by probing when baud is None)
        self.poll_interval = poll_interval
        self.read_timeout = read_timeout
        self.with_fingerprint = with_fingerprint
        self.retry_interval = retry_interval  # after a failed read, while the card stays
        self.max_retries = max_retries
        self.probe_timeout = probe_timeout
        self._status = DeviceStatus(DeviceKind.CARD_READER, DeviceState.STARTING, source=name)
        self._posted: tuple[DeviceState, Media] | None = None
        self._reset_card_state()

    label = "SAM reader"
    log = log

    def _driver_failed(self, detail: str) -> None:
        self._lost(DeviceState.HARDWARE_ERROR, detail)

    def _connect_and_serve(self, stop: threading.Event) -> None:
        self.open_attempts += 1
        first = self.baud or self.line_baud or DEFAULT_BAUD
        try:
            self._serial = open_port(
                self.port, first, timeout=_PORT_TIMEOUT, write_timeout=self.read_timeout
            )
        except (*DEVICE_ERRORS, ValueError) as exc:
            self._report(DeviceState.NO_DEVICE, Media.UNKNOWN, f"cannot open the port: {exc}")
            return
        link = SamLink(self._serial, read_timeout=self.read_timeout, baud=first, cancel=stop)
        try:
            if self.baud is None:
                self._probe(link, self._serial)
            else:
                self._check_status(link)
            self._serve(link, stop)
        except SamCancelled:
            return
        except DEVICE_ERRORS as exc:
            self._lost(DeviceState.NO_DEVICE, f"port failed: {exc}")
        except _Unresponsive as exc:
            self._lost(DeviceState.OFFLINE, str(exc))
        except SamStatusError as exc:
            self._lost(DeviceState.HARDWARE_ERROR, str(exc))

    def _check_status(self, link: SamLink) -> None:
        try:
            link.transact(Command.STATUS).expect(Command.STATUS)
        except (SamTimeout, FrameError) as exc:
            raise _Unresponsive(
                f"no valid answer to SAM status at {link.baud} baud: {exc}"
            ) from None

    def _probe(self, link: SamLink, port: serial.SerialBase) -> None:
        """Find the line speed: the first rate at which the status command gets a valid frame.

        A valid frame with a bad status still settles the rate (the SAM heard us; it is broken,
        which the caller reports as a hardware error).
        """
        rates = list(BAUD_RATES)
        if self.line_baud in rates:  # the rate found last time comes first
            rates.remove(self.line_baud)
            rates.insert(0, self.line_baud)
        for baud in rates:
            if baud != link.baud:
                port.baudrate = baud
                link.baud = baud
            try:
                reply = link.transact(Command.STATUS, self.probe_timeout)
            except (SamTimeout, FrameError) as exc:
                log.debug("no SAM answer at %d baud: %s", baud, exc)
                continue
            self.line_baud = baud
            log.info("SAM answers at %d baud", baud)
            reply.expect(Command.STATUS)
            return
        raise _Unresponsive(
            f"no valid answer to SAM status at any of {', '.join(map(str, rates))} baud"
        )

    def _serve(self, link: SamLink, stop: threading.Event) -> None:
        self.line_baud = link.baud
        detail = ""
        try:
            sam_id = parse_sam_id(link.transact(Command.SAM_ID).expect(Command.SAM_ID).data)
            detail = f"SAM {sam_id}, "
        except SamCancelled:
            raise
        except SamError as exc:
            log.info("SAM id not available: %s", exc)
            detail = "SAM id unknown, "
        detail += f"{link.baud} baud" + (" (probed)" if self.baud is None else "")
        log.info("SAM reader online on %s (%s)", self.port, detail)
        self._reset_card_state()
        self._came_online()
        self._report(DeviceState.ONLINE, Media.ABSENT, detail)
        self._silent = 0
        next_poll = time.monotonic()
        while not stop.wait(max(0.0, next_poll - time.monotonic())):
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
        self._post(CardDetected(reader=self.name))
        if self._read_card(link):
            self._read_ok = True
            self._failures = 0
        else:
            self._failures += 1
            self._retry_at = time.monotonic() + self.retry_interval

    def _read_card(self, link: SamLink) -> bool:
        command = Command.READ_FINGERPRINT if self.with_fingerprint else Command.READ
        self._reading = True
        card: IdentityCard | None = None
        try:
            link.transact(Command.SELECT).expect(Command.SELECT)
            reply = link.transact(command).expect(command)
            card = parse_read_data(reply.data, self.with_fingerprint)
            if card.card_type in ADDRESS_CARD_TYPES:
                card.address = join_addresses(card.address, self._read_appended(link))
        except SamCancelled:
            if card is not None:
                card.wipe()
            raise
        except SamError as exc:
            if card is not None:
                card.wipe()
            self._reading = False
            fault = fault_for(exc)
            log.info("card read failed: %s (%s)", fault.value, exc)
            self._post(CardReadFailed(fault, str(exc), reader=self.name))
            return False
        except BaseException:
            if card is not None:
                card.wipe()
            raise  # _reading stays set: _lost tells the journey the read is over
        self._reading = False
        log.info("card read: %r", card)
        self._post(CardRead(card, reader=self.name))
        return True

    def _read_appended(self, link: SamLink) -> list[str]:
        """Addresses written to the card after it was issued (30 03); [] when it has none.

        A read that is not sure of the current address fails as a whole (the citizen places the
        card again) rather than send the platform an address that may be out of date. One
        retry first: the card is still selected, so only the exchange is repeated.
        """
        for attempt in (1, 2):
            try:
                reply = link.transact(Command.READ_ADDRESS)
            except (SamTimeout, FrameError) as exc:
                if attempt == 2:
                    raise
                log.debug("appended address read failed, once more: %s", exc)
                continue
            if reply.sw3 in _NO_APPENDED:
                if reply.sw3 == Sw3.COMMAND_ERROR:
                    log.info("this SAM does not read appended addresses (30 03 answers 21)")
                return []
            return parse_appended_addresses(reply.expect(Command.READ_ADDRESS).data)
        return []  # not reached

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
        self._post(CardRemoved(reader=self.name))

    def _lost(self, state: DeviceState, detail: str) -> None:
        """The device went away (or wrong) mid-session: settle what the journey was told."""
        if self._reading:
            fault = CardFault.DEVICE_GONE if state is DeviceState.NO_DEVICE else CardFault.SAM_FAULT
            self._post(CardReadFailed(fault, detail, reader=self.name))
        present = self._present
        self._reset_card_state()
        log.warning("SAM reader %s: %s", state.value, detail)
        self._report(state, Media.UNKNOWN, detail)
        if present:
            self._post(CardRemoved(reader=self.name))

    def _report(self, state: DeviceState, media: Media, detail: str = "") -> None:
        """Keep the status; post DeviceChanged only when state or media changed."""
        self._status = DeviceStatus(
            DeviceKind.CARD_READER, state, media=media, detail=detail, source=self.name
        )
        if self._posted != (state, media):
            self._posted = (state, media)
            self._post(DeviceChanged(self._status))

    def _set_media(self, media: Media) -> None:
        self._status = dataclasses.replace(self._status, media=media)
