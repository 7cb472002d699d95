"""A resident ID card SAM reader on a pseudo-terminal, answering GA 467 frames byte for byte.

The kiosk's real driver (drivers.sam_reader) opens the emulator's path with pyserial exactly as
it opens /dev/ttyUSB0, so demo mode and the integration tests exercise the real serial path.

What makes it honest:
- Timing: replies leave at the emulator's baud rate (a 1295-byte read reply takes ~112 ms at
  115200), so timeouts and latencies measured against it mean something. ``paced=False``
  drops only this pacing (the soak's thousands of journeys); the bytes stay the same.
- Line speed: Linux keeps the speed the driver set on the slave side of the pty (pyserial's
  tcsetattr) and shows it on the master too, so the emulator reads it with termios.tcgetattr.
  When it differs from the emulator's own rate, every byte crossing the line is passed through
  a model of a UART sampling 8N1 at the wrong rate (``uart_resample``): the SAM hears noise and
  stays silent, as a real one does; with ``answer_noise`` it answers noise with an error frame,
  which the driver in turn hears as noise.
- Unplugging: the emulator is reached through a symlink it owns (like udev's /dev/idcard), so
  ``unplug`` closes the pty (the driver's port fails with EIO) and removes the name (reopening
  fails as for a vanished /dev/ttyUSB0), and ``replug`` brings a fresh pty back at the same
  path, with a freshly powered SAM.
- Faults for tests and the demo panel: ``inject_fault(Fault.X)``, ``reply_delay`` for a slow
  card, ``unplug``/``replug``; ``inject`` for anything finer.

    python -m devkit.sam_emulator --card zhang_wei [--baud 57600]
"""

from __future__ import annotations

import argparse
import bisect
import collections
import contextlib
import logging
import os
import select
import sys
import termios
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from devkit.pty_device import PtyDevice
from devkit.sam_encode import address_reply_data, read_reply_frame
from drivers.sam_protocol import (
    MIN_COMMAND_LEN,
    ChecksumError,
    Command,
    CommandFrame,
    FrameError,
    FrameReader,
    SamId,
    Sw3,
    encode_sam_id,
    parse_command,
    reply_frame,
)
from kiosk.identity import IdentityCard

log = logging.getLogger("devkit.sam_emulator")

_CHUNK = 64  # bytes written at a time while keeping the wire timing
_POLL = 0.05  # how often the serving thread looks at its stop flag
_READS = (Command.READ, Command.READ_FINGERPRINT)

_STANDARD_RATES = (
    *(50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400),
    *(57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000),
    *(2000000, 2500000, 3000000, 3500000, 4000000),
)
_RATE_OF_SPEED = {
    getattr(termios, f"B{rate}"): rate for rate in _STANDARD_RATES if hasattr(termios, f"B{rate}")
}


# ---- the wire -------------------------------------------------------------------------------


def line_rates(fd: int) -> tuple[int | None, int | None]:
    """(input, output) baud rate of the tty behind ``fd`` (either side of a pty): what the
    program on the slave side set. None for a rate outside the standard table."""
    attrs = termios.tcgetattr(fd)
    return _RATE_OF_SPEED.get(attrs[4]), _RATE_OF_SPEED.get(attrs[5])


def uart_resample(data: bytes, sent_baud: int | None, heard_baud: int | None) -> bytes:
    """What a UART sampling 8N1 at ``heard_baud`` receives of ``data`` sent at ``sent_baud``.

    The sender's bytes are laid back to back as start bit, 8 data bits LSB first, stop bit,
    then an idle (high) line. The receiver waits for a low level, samples each data bit in the
    middle of where it expects it, and checks the stop bit; a byte whose stop bit is low is a
    framing error and is delivered as NUL (what Linux does without IGNPAR/PARMRK). An unknown
    rate on either side hears only framing errors.
    """
    data = bytes(data)
    if sent_baud == heard_baud and sent_baud is not None:
        return data
    if not data:
        return b""
    if sent_baud is None or heard_baud is None:
        return bytes(len(data))
    bits: list[int] = []
    for byte in data:
        bits.append(0)
        bits.extend((byte >> i) & 1 for i in range(8))
        bits.append(1)
    lows = [i for i, bit in enumerate(bits) if bit == 0]
    n = len(bits)

    def level(t: float) -> int:
        k = int(t * sent_baud)
        return bits[k] if k < n else 1

    out = bytearray()
    bit_time = 1.0 / heard_baud
    t = 0.0
    while True:
        k = int(t * sent_baud)
        if k >= n:
            break
        if bits[k]:  # hunt for the next falling edge
            at = bisect.bisect_right(lows, k)
            if at == len(lows):
                break
            t = lows[at] / sent_baud
        value = 0
        for j in range(8):
            value |= level(t + (j + 1.5) * bit_time) << j
        stop_at = t + 9.5 * bit_time
        out.append(value if level(stop_at) else 0)
        t = stop_at
    return bytes(out)


# ---- faults ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Injection:
    """A one-shot fault for the next answer to a command (for tests and the demo panel)."""

    sw3: int | None = None  # answer with this status (and no data) instead
    corrupt: bool = False  # spoil the reply's check byte
    silent: bool = False  # do not answer at all
    garbage: bytes = b""  # line noise sent before the reply
    truncate: int | None = None  # send only this many bytes of the reply


class Fault(StrEnum):
    """Named faults, each a one-shot injection (see FAULTS), for tests and the demo panel.

    What the driver makes of each: NO_CARD → CardReadFailed(no_card), SELECT_FAILED →
    (select_failed), READ_FAILED → (read_failed), all three retried while the card stays;
    BAD_CHECKSUM and TRUNCATED → (bad_frame), SILENT → (timeout), the card to be placed again
    (the SAM did read it); LINE_NOISE → the card is read all the same.
    """

    NO_CARD = "no_card"  # the card slips away after find: select answers 80
    SELECT_FAILED = "select_failed"  # select answers 81
    READ_FAILED = "read_failed"  # read answers 41
    BAD_CHECKSUM = "bad_checksum"  # the read reply's check byte is spoilt
    TRUNCATED = "truncated"  # the read reply stops after 700 of its bytes
    SILENT = "silent"  # the read reply is lost
    LINE_NOISE = "line_noise"  # noise on the line before the read reply


LINE_NOISE = b"\x00\xaa\xaa\x13\xaa\xaa\xaa\x96\xff"

FAULTS: dict[Fault, tuple[Command, Injection]] = {
    Fault.NO_CARD: (Command.SELECT, Injection(sw3=Sw3.FIND_FAILED)),
    Fault.SELECT_FAILED: (Command.SELECT, Injection(sw3=Sw3.SELECT_FAILED)),
    Fault.READ_FAILED: (Command.READ, Injection(sw3=Sw3.READ_FAILED)),
    Fault.BAD_CHECKSUM: (Command.READ, Injection(corrupt=True)),
    Fault.TRUNCATED: (Command.READ, Injection(truncate=700)),
    Fault.SILENT: (Command.READ, Injection(silent=True)),
    Fault.LINE_NOISE: (Command.READ, Injection(garbage=LINE_NOISE)),
}


def _queue_key(command: Command) -> Command:
    # a read fault spoils whichever read the driver uses (with or without fingerprints)
    return Command.READ if command is Command.READ_FINGERPRINT else command


# ---- the emulator ---------------------------------------------------------------------------


class _LineSource:
    """``read(n)`` with a short timeout on the master side, hearing bytes at the emulator's rate.

    Everything available is taken at once and resampled as one burst, then handed out in the
    sizes the frame reader asks for.
    """

    def __init__(self, emulator: SamEmulator, fd: int, timeout: float):
        self.emulator = emulator
        self.fd = fd
        self.timeout = timeout
        self.pending = bytearray()

    def read(self, size: int = 1) -> bytes:
        if not self.pending:
            ready, _, _ = select.select([self.fd], [], [], self.timeout)
            if not ready:
                return b""
            try:
                data = os.read(self.fd, 4096)
            except BlockingIOError:
                return b""
            self.pending += self.emulator._hear(self.fd, data)
        out = bytes(self.pending[:size])
        del self.pending[:size]
        return out


class SamEmulator(PtyDevice):
    """One SAM reader with a card field: place_card / remove_card, served on a pty.

    ``path`` is a symlink the emulator owns (``link``, or one in a private temporary folder)
    that stays the same across ``unplug``/``replug``; ``pty_path`` is the pty behind it now.
    """

    def __init__(
        self,
        baud: int = 115200,
        *,
        sam_id: SamId | None = None,
        link: str | os.PathLike[str] | None = None,
        answer_noise: bool = False,
        paced: bool = True,
    ):
        self.baud = baud  # the SAM's own rate; it may be changed while unplugged
        self.sam_id = sam_id or SamId((5, 1, 20230615, 1140100, 20240001))
        self.appended_addresses: list[str] = []  # 30 03 answers 91 while this is empty
        self.reply_delay = 0.0  # seconds a read takes before the reply starts (a slow card)
        self.answer_noise = answer_noise  # answer an unframeable burst with SW3 10
        # False: replies leave as fast as the pty takes them, the frames unchanged (the soak
        # runs thousands of journeys; everything that measures latency keeps the wire's timing)
        self.paced = paced
        self.frames_seen = 0
        self.garbled = 0  # bytes that crossed the line at mismatched rates, both directions
        self.commands: collections.Counter[Command] = collections.Counter()
        self._lock = threading.Lock()
        self._card: IdentityCard | None = None
        self._card_read = False
        self._injections: dict[Command, collections.deque[Injection]] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._init_pty(link)

    link_prefix = "sam-emulator-"
    link_name = "idcard"
    label = "SAM emulator"

    # ---- the card field -------------------------------------------------------------------

    def place_card(self, card: IdentityCard, appended_addresses: Sequence[str] = ()) -> None:
        """Put a card on the reader (replacing any card there); it can be read once.

        ``appended_addresses``: addresses written to the card after issue (30 03), oldest first.
        """
        with self._lock:
            self._card = card
            self._card_read = False
            self.appended_addresses = list(appended_addresses)

    def remove_card(self) -> None:
        with self._lock:
            self._card = None
            self._card_read = False
            self.appended_addresses = []

    @property
    def card_present(self) -> bool:
        with self._lock:
            return self._card is not None

    def inject(self, command: Command, injection: Injection) -> None:
        """Spoil the next answer to ``command`` (queued: one injection per answer)."""
        with self._lock:
            self._injections.setdefault(_queue_key(command), collections.deque()).append(injection)

    def inject_fault(self, fault: Fault | str, times: int = 1) -> None:
        """Spoil the next ``times`` answers the named fault concerns."""
        command, injection = FAULTS[Fault(fault)]
        for _ in range(times):
            self.inject(command, injection)

    def clear_faults(self) -> None:
        with self._lock:
            self._injections.clear()

    # ---- the pseudo-terminal --------------------------------------------------------------

    def _plugged(self, master: int) -> None:
        with self._lock:
            self._card_read = False  # a freshly powered SAM finds the card again
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(master, self._stop), name="sam-emulator", daemon=True
        )
        self._thread.start()

    def _unplugging(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None

    # ---- the line -------------------------------------------------------------------------

    def _rates(self, master: int) -> tuple[int | None, int | None]:
        try:
            return line_rates(master)
        except termios.error:
            return None, None

    def _hear(self, master: int, data: bytes) -> bytes:
        """Bytes the driver sent, as the SAM's UART receives them."""
        _, driver_out = self._rates(master)
        if driver_out == self.baud:
            return data
        self.garbled += len(data)
        return uart_resample(data, driver_out, self.baud)

    def _say(self, master: int, data: bytes) -> bytes:
        """Bytes the SAM sends, as the driver's UART receives them."""
        driver_in, _ = self._rates(master)
        if driver_in == self.baud:
            return data
        self.garbled += len(data)
        return uart_resample(data, self.baud, driver_in)

    # ---- serving --------------------------------------------------------------------------

    def _serve(self, master: int, stop: threading.Event) -> None:
        frames = FrameReader(_LineSource(self, master, _POLL / 2), min_len=MIN_COMMAND_LEN)
        while not stop.is_set():
            try:
                discarded = frames.discarded
                try:
                    frame = frames.poll(_POLL)
                except ChecksumError:
                    self.frames_seen += 1
                    self._send(master, reply_frame(Sw3.CHECKSUM_ERROR), stop)
                    continue
                except FrameError:
                    self.frames_seen += 1
                    self._send(master, reply_frame(Sw3.LENGTH_ERROR), stop)
                    continue
                if frame is None:
                    if self.answer_noise and frames.discarded > discarded:
                        self._send(master, reply_frame(Sw3.CHECKSUM_ERROR), stop)
                    continue
                self.frames_seen += 1
                self._answer(master, parse_command(frame), stop)
            except OSError as exc:
                if not stop.is_set():
                    log.warning("SAM emulator pty failed: %s", exc)
                return
            except Exception:
                log.exception("SAM emulator failed to answer a frame")

    def _answer(self, master: int, frame: CommandFrame, stop: threading.Event) -> None:
        command = frame.command
        if command is None:
            self._send(master, reply_frame(Sw3.COMMAND_ERROR), stop)
            return
        self.commands[command] += 1
        if self.reply_delay and command in _READS:
            stop.wait(self.reply_delay)
        with self._lock:
            queue = self._injections.get(_queue_key(command))
            injection = queue.popleft() if queue else None
            reply = self._reply(command) if injection is None or injection.sw3 is None else None
        if injection is None:
            assert reply is not None
            self._send(master, reply, stop)
            return
        if injection.silent:
            return
        if reply is None:
            reply = reply_frame(injection.sw3 or 0)
        if injection.corrupt:
            reply = reply[:-1] + bytes([reply[-1] ^ 0xFF])
        if injection.truncate is not None:
            reply = reply[: injection.truncate]
        self._send(master, injection.garbage + reply, stop)

    def _reply(self, command: Command) -> bytes:
        """The well-behaved answer; called with the lock held."""
        card = self._card
        if command is Command.FIND:
            if card is not None and not self._card_read:
                return reply_frame(Sw3.CARD_FOUND, bytes(4))
            return reply_frame(Sw3.FIND_FAILED)
        if command is Command.SELECT:
            return (
                reply_frame(Sw3.OK, bytes(8))
                if card is not None
                else reply_frame(Sw3.SELECT_FAILED)
            )
        if command in _READS:
            if card is None:
                return reply_frame(Sw3.READ_FAILED)
            try:
                frame = read_reply_frame(card, command is Command.READ_FINGERPRINT)
            except ValueError as exc:
                log.warning("card %r cannot be encoded: %s", card, exc)
                return reply_frame(Sw3.READ_FAILED)
            self._card_read = True
            return frame
        if command is Command.READ_ADDRESS:
            if not self.appended_addresses:
                return reply_frame(Sw3.NO_CONTENT)
            return reply_frame(Sw3.OK, address_reply_data(self.appended_addresses))
        if command is Command.SAM_ID:
            return reply_frame(Sw3.OK, encode_sam_id(self.sam_id))
        return reply_frame(Sw3.OK)  # reset, status

    def _send(self, master: int, data: bytes, stop: threading.Event) -> None:
        """Write ``data`` so that its last byte leaves after len*10/baud seconds (paced)."""
        start = time.monotonic()
        per_byte = 10.0 / self.baud if self.paced else 0.0
        sent = 0
        while sent < len(data):
            chunk = data[sent : sent + _CHUNK]
            delay = start + (sent + len(chunk)) * per_byte - time.monotonic()
            if delay > 0 and stop.wait(delay):
                return
            view = memoryview(self._say(master, chunk))
            give_up = time.monotonic() + 1.0  # the other side stopped reading
            while view:
                _, writable, _ = select.select([], [master], [], 0.05)
                if writable:
                    with contextlib.suppress(BlockingIOError):
                        view = view[os.write(master, view) :]
                elif time.monotonic() > give_up or stop.is_set():
                    return
            sent += len(chunk)


_HELP = (
    "commands: place <key> | remove | unplug | replug | fault <name> | slow <seconds> | "
    "baud <rate> (while unplugged) | quit"
)


def main(argv: list[str] | None = None) -> int:
    from devkit.people import BY_KEY

    parser = argparse.ArgumentParser(description="SAM ID card reader emulator on a pty")
    parser.add_argument("--card", choices=sorted(BY_KEY), help="demo citizen to place")
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--link", help="stable path to create for the reader (a symlink)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    emulator = SamEmulator(args.baud, link=args.link)
    path = emulator.start()
    if args.card:
        emulator.place_card(BY_KEY[args.card].card())
    print(path, flush=True)
    print(_HELP, file=sys.stderr, flush=True)
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            try:
                if words[0] == "place" and len(words) == 2 and words[1] in BY_KEY:
                    emulator.place_card(BY_KEY[words[1]].card())
                elif words == ["remove"]:
                    emulator.remove_card()
                elif words == ["unplug"]:
                    emulator.unplug()
                elif words == ["replug"]:
                    emulator.replug()
                elif words[0] == "fault" and len(words) == 2:
                    emulator.inject_fault(words[1])
                elif words[0] == "slow" and len(words) == 2:
                    emulator.reply_delay = float(words[1])
                elif words[0] == "baud" and len(words) == 2 and not emulator.plugged:
                    emulator.baud = int(words[1])
                elif words == ["quit"]:
                    return 0
                else:
                    print("?", _HELP, file=sys.stderr, flush=True)
            except ValueError as exc:
                print(f"? {exc}", file=sys.stderr, flush=True)
        while True:  # stdin closed: keep serving until interrupted
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        emulator.stop()


if __name__ == "__main__":
    raise SystemExit(main())
