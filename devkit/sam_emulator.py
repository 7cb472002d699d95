"""A resident ID card SAM reader on a pseudo-terminal, answering GA 467 frames byte for byte.

The kiosk's real driver (drivers.sam_reader) opens the slave side with pyserial exactly as it
opens /dev/ttyUSB0, so demo mode and the integration tests exercise the real serial path. The
emulator keeps the baud rate's timing (a 1295-byte read reply takes ~112 ms at 115200) so that
timeouts and latencies measured against it mean something.

    python -m devkit.sam_emulator --card zhang_wei
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import logging
import os
import select
import sys
import threading
import time
import tty
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Injection:
    """A one-shot fault for the next answer to a command (for tests and the demo panel)."""

    sw3: int | None = None  # answer with this status (and no data) instead
    corrupt: bool = False  # spoil the reply's check byte
    silent: bool = False  # do not answer at all
    garbage: bytes = b""  # line noise sent before the reply
    truncate: int | None = None  # send only this many bytes of the reply


class _FdSource:
    """``read(n)`` with a short timeout over a non-blocking file descriptor."""

    def __init__(self, fd: int, timeout: float):
        self.fd = fd
        self.timeout = timeout

    def read(self, size: int = 1) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], self.timeout)
        if not ready:
            return b""
        try:
            return os.read(self.fd, size)
        except BlockingIOError:
            return b""


class SamEmulator:
    """One SAM reader with a card field: place_card / remove_card, served on a pty."""

    def __init__(self, baud: int = 115200, *, sam_id: SamId | None = None):
        self.baud = baud
        self.sam_id = sam_id or SamId((5, 1, 20230615, 1140100, 20240001))
        self.appended_addresses: list[str] = []  # 30 03 answers 91 while this is empty
        self.reply_delay = 0.0  # seconds a read takes before the reply starts (a slow card)
        self.path: str | None = None
        self.frames_seen = 0
        self.commands: collections.Counter[Command] = collections.Counter()
        self._lock = threading.Lock()
        self._card: IdentityCard | None = None
        self._card_read = False
        self._injections: dict[Command, collections.deque[Injection]] = {}
        self._master: int | None = None
        self._slave: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # ---- the card field -------------------------------------------------------------------

    def place_card(self, card: IdentityCard) -> None:
        """Put a card on the reader (replacing any card there); it can be read once."""
        with self._lock:
            self._card = card
            self._card_read = False

    def remove_card(self) -> None:
        with self._lock:
            self._card = None
            self._card_read = False

    @property
    def card_present(self) -> bool:
        with self._lock:
            return self._card is not None

    def inject(self, command: Command, injection: Injection) -> None:
        """Spoil the next answer to ``command`` (queued: one injection per answer)."""
        with self._lock:
            self._injections.setdefault(command, collections.deque()).append(injection)

    # ---- the pseudo-terminal --------------------------------------------------------------

    def start(self) -> str:
        """Open a pty, start answering on it and return the slave path (e.g. /dev/pts/7)."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("emulator already running")
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        # The emulator keeps its own slave fd open so that the master never sees EIO while the
        # driver closes and reopens the port.
        self._master, self._slave = master, slave
        self.path = os.ttyname(slave)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="sam-emulator", daemon=True)
        self._thread.start()
        log.info("SAM emulator on %s at %d baud", self.path, self.baud)
        return self.path

    def stop(self) -> None:
        """Stop answering and close the pty: to the driver this is an unplugged reader."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None

    def __enter__(self) -> SamEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- serving --------------------------------------------------------------------------

    def _serve(self) -> None:
        assert self._master is not None
        master = self._master
        frames = FrameReader(_FdSource(master, _POLL / 2), min_len=MIN_COMMAND_LEN)
        while not self._stop.is_set():
            try:
                try:
                    frame = frames.poll(_POLL)
                except ChecksumError:
                    self.frames_seen += 1
                    self._send(master, reply_frame(Sw3.CHECKSUM_ERROR))
                    continue
                except FrameError:
                    self.frames_seen += 1
                    self._send(master, reply_frame(Sw3.LENGTH_ERROR))
                    continue
                if frame is None:
                    continue
                self.frames_seen += 1
                self._answer(master, parse_command(frame))
            except OSError as exc:
                if not self._stop.is_set():
                    log.warning("SAM emulator pty failed: %s", exc)
                return
            except Exception:
                log.exception("SAM emulator failed to answer a frame")

    def _answer(self, master: int, frame: CommandFrame) -> None:
        command = frame.command
        if command is None:
            self._send(master, reply_frame(Sw3.COMMAND_ERROR))
            return
        self.commands[command] += 1
        if self.reply_delay and command in (Command.READ, Command.READ_FINGERPRINT):
            self._stop.wait(self.reply_delay)
        with self._lock:
            queue = self._injections.get(command)
            injection = queue.popleft() if queue else None
            reply = self._reply(command) if injection is None or injection.sw3 is None else None
        if injection is None:
            self._send(master, reply)
            return
        if injection.silent:
            return
        if reply is None:
            reply = reply_frame(injection.sw3 or 0)
        if injection.corrupt:
            reply = reply[:-1] + bytes([reply[-1] ^ 0xFF])
        if injection.truncate is not None:
            reply = reply[: injection.truncate]
        self._send(master, injection.garbage + reply)

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
        if command in (Command.READ, Command.READ_FINGERPRINT):
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

    def _send(self, master: int, data: bytes) -> None:
        """Write ``data`` so that its last byte leaves after len*10/baud seconds."""
        start = time.monotonic()
        per_byte = 10.0 / self.baud
        sent = 0
        while sent < len(data):
            chunk = data[sent : sent + _CHUNK]
            delay = start + (sent + len(chunk)) * per_byte - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            view = memoryview(chunk)
            give_up = time.monotonic() + 1.0  # the other side stopped reading
            while view:
                _, writable, _ = select.select([], [master], [], 0.05)
                if writable:
                    with contextlib.suppress(BlockingIOError):
                        view = view[os.write(master, view) :]
                elif time.monotonic() > give_up or self._stop.is_set():
                    return
            sent += len(chunk)


def main(argv: list[str] | None = None) -> int:
    from devkit.people import BY_KEY

    parser = argparse.ArgumentParser(description="SAM ID card reader emulator on a pty")
    parser.add_argument("--card", choices=sorted(BY_KEY), help="demo citizen to place")
    parser.add_argument("--baud", type=int, default=115200)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    emulator = SamEmulator(args.baud)
    path = emulator.start()
    if args.card:
        emulator.place_card(BY_KEY[args.card].card())
    print(path, flush=True)
    print("commands: place <key> | remove | quit", file=sys.stderr, flush=True)
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "place" and len(words) == 2 and words[1] in BY_KEY:
                emulator.place_card(BY_KEY[words[1]].card())
            elif words[0] == "remove":
                emulator.remove_card()
            elif words[0] == "quit":
                return 0
            else:
                print("?", file=sys.stderr, flush=True)
        while True:  # stdin closed: keep serving until interrupted
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        emulator.stop()


if __name__ == "__main__":
    raise SystemExit(main())
