"""GA 467 "SAM_V" frames spoken by resident ID card readers over a serial line.

A frame is ``AA AA AA 96 69 | LEN_H LEN_L | body | CHK``; LEN counts the body and CHK, and CHK
is the XOR of everything after the preamble. The same framing carries commands (``CMD PARA``)
and replies (``SW1 SW2 SW3 [data]``). Everything here raises ``SamError`` subclasses only, so a
caller can treat any bytes from the wire without fearing a stray ``IndexError``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from enum import Enum, IntEnum
from functools import reduce
from operator import xor
from typing import Protocol

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN = len(PREAMBLE) + 2
MIN_COMMAND_LEN = 3  # CMD PARA CHK
MIN_REPLY_LEN = 4  # SW1 SW2 SW3 CHK
# The longest reply in the protocol is 30 10 (LEN 0x090A); anything much longer is line noise.
MAX_LEN = 0x1000
ADDRESS_LEN = 70  # bytes of UCS-2 per appended address in a 30 03 reply
MAX_ADDRESSES = 8  # more than a card's append area holds; a longer 30 03 reply is not one

# The most data a reply to each command can carry. A longer reply is a late answer to an earlier
# command (a read that timed out and then arrived) and is skipped rather than misread.
_SHORT_REPLY_DATA = 32
_REPLY_DATA_LIMIT: dict[str, int] = {
    "READ": MAX_LEN,
    "READ_FINGERPRINT": MAX_LEN,
    "READ_ADDRESS": ADDRESS_LEN * MAX_ADDRESSES,
}


# ---- errors --------------------------------------------------------------------------------


class SamError(Exception):
    """Base of every error this driver raises about the SAM, its frames or the card data."""


class FrameError(SamError):
    """Bytes that do not make a valid frame (or valid data inside one)."""


class ChecksumError(FrameError):
    """A frame whose XOR check byte does not match."""


class TruncatedFrameError(FrameError):
    """A frame that started but did not finish in time, or a buffer cut short."""


class SamTimeout(SamError):
    """Nothing came back within the time allowed."""


class SamCancelled(SamError):
    """The wait for a reply was abandoned because the caller is stopping (not a device fault)."""


class CardDataError(FrameError):
    """A well-framed reply whose card data cannot be understood. ``field`` names the culprit.

    The message never carries the field's value: it may be personal data.
    """

    def __init__(self, field: str, problem: str):
        super().__init__(f"card field {field!r}: {problem}")
        self.field = field
        self.problem = problem


class UnknownCardTypeError(CardDataError):
    """The type flag at offset 248 is none of blank / I / J / Y."""

    def __init__(self, flag: str):
        super().__init__("card_type", f"unknown type flag {flag!r}")
        self.flag = flag


class SamStatusError(SamError):
    """The SAM answered, with a status other than the one the step needs."""

    def __init__(self, sw3: int, command: Command | None = None):
        self.sw3 = sw3
        self.command = command
        self.meaning = describe_sw3(sw3)
        where = f" to {command.name.lower()}" if command is not None else ""
        super().__init__(f"SAM status {sw3:02X} ({self.meaning}){where}")


# ---- status codes --------------------------------------------------------------------------


class Sw3(IntEnum):
    """SW3, the status byte of every reply."""

    OK = 0x90
    NO_CONTENT = 0x91
    CARD_FOUND = 0x9F
    CHECKSUM_ERROR = 0x10
    LENGTH_ERROR = 0x11
    COMMAND_ERROR = 0x21
    NOT_AUTHORIZED = 0x23
    UNRECOGNISED_ERROR = 0x24
    CARD_AUTH_FAILED = 0x31
    SAM_AUTH_FAILED = 0x32
    VERIFY_ERROR = 0x33
    UNKNOWN_CARD_TYPE = 0x40
    READ_FAILED = 0x41
    RANDOM_FAILED = 0x47
    SAM_SELF_TEST_FAILED = 0x60
    SAM_NOT_AUTHORIZED = 0x66
    FIND_FAILED = 0x80
    SELECT_FAILED = 0x81


SW3_MEANINGS: dict[int, str] = {
    Sw3.OK: "OK",
    Sw3.NO_CONTENT: "no content for this item",
    Sw3.CARD_FOUND: "card found",
    Sw3.CHECKSUM_ERROR: "checksum error in what the terminal sent",
    Sw3.LENGTH_ERROR: "length error",
    Sw3.COMMAND_ERROR: "command error",
    Sw3.NOT_AUTHORIZED: "not authorized",
    Sw3.UNRECOGNISED_ERROR: "unrecognised error",
    Sw3.CARD_AUTH_FAILED: "card failed to authenticate the SAM",
    Sw3.SAM_AUTH_FAILED: "SAM failed to authenticate the card",
    Sw3.VERIFY_ERROR: "verification error",
    Sw3.UNKNOWN_CARD_TYPE: "unknown card type",
    Sw3.READ_FAILED: "read failed",
    Sw3.RANDOM_FAILED: "random-number failure",
    Sw3.SAM_SELF_TEST_FAILED: "SAM self-test failed",
    Sw3.SAM_NOT_AUTHORIZED: "SAM not authorized",
    Sw3.FIND_FAILED: "find card failed",
    Sw3.SELECT_FAILED: "select card failed",
}


def describe_sw3(sw3: int) -> str:
    return SW3_MEANINGS.get(sw3, f"unknown status 0x{sw3 & 0xFF:02X}")


# ---- commands ------------------------------------------------------------------------------


class Command(Enum):
    """The commands a terminal sends: value is (CMD, PARA)."""

    RESET = (0x10, 0xFF)
    STATUS = (0x11, 0xFF)
    SAM_ID = (0x12, 0xFF)
    FIND = (0x20, 0x01)
    SELECT = (0x20, 0x02)
    READ = (0x30, 0x01)
    READ_FINGERPRINT = (0x30, 0x10)
    READ_ADDRESS = (0x30, 0x03)

    @property
    def cmd(self) -> int:
        return self.value[0]

    @property
    def para(self) -> int:
        return self.value[1]

    @property
    def frame(self) -> bytes:
        return command_frame(self.cmd, self.para)

    @property
    def max_reply_data(self) -> int:
        """The most data bytes a genuine reply to this command carries."""
        return _REPLY_DATA_LIMIT.get(self.name, _SHORT_REPLY_DATA)

    @classmethod
    def lookup(cls, cmd: int, para: int) -> Command | None:
        return _COMMANDS.get((cmd, para))


_COMMANDS = {c.value: c for c in Command}


def checksum(data: bytes | bytearray | memoryview) -> int:
    """XOR of the bytes given (from LEN_H through the last body byte).

    One C-level reduce rather than a Python loop: as fast, and a coverage-guided fuzzer (which
    instruments every bytecode branch) is not slowed by a loop over every byte of every frame.
    """
    return reduce(xor, data, 0)


def build_frame(body: bytes) -> bytes:
    """Wrap a body (command or reply) into a complete frame."""
    length = len(body) + 1
    if length > 0xFFFF:
        raise FrameError(f"body of {len(body)} bytes does not fit a frame")
    head = length.to_bytes(2, "big")
    return PREAMBLE + head + body + bytes([checksum(head + body)])


def command_frame(cmd: int, para: int, data: bytes = b"") -> bytes:
    return build_frame(bytes([cmd, para]) + data)


def reply_frame(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    return build_frame(bytes([sw1, sw2, sw3]) + data)


# ---- parsing complete frames ---------------------------------------------------------------


def parse_frame(raw: bytes, min_len: int = MIN_COMMAND_LEN, max_len: int = MAX_LEN) -> bytes:
    """Check one complete frame and return its body (without LEN and CHK)."""
    raw = bytes(raw)
    if len(raw) < HEADER_LEN:
        raise TruncatedFrameError(f"frame of {len(raw)} bytes is shorter than a header")
    if raw[: len(PREAMBLE)] != PREAMBLE:
        raise FrameError("frame does not start with the AA AA AA 96 69 preamble")
    length = int.from_bytes(raw[5:7], "big")
    _check_length(length, min_len, max_len)
    if len(raw) < HEADER_LEN + length:
        raise TruncatedFrameError(f"frame announces {length} bytes, has {len(raw) - HEADER_LEN}")
    if len(raw) > HEADER_LEN + length:
        raise FrameError(f"{len(raw) - HEADER_LEN - length} bytes after the frame's end")
    if checksum(raw[5:-1]) != raw[-1]:
        raise ChecksumError(f"checksum {raw[-1]:02X}, expected {checksum(raw[5:-1]):02X}")
    return raw[HEADER_LEN:-1]


def _check_length(length: int, min_len: int, max_len: int) -> None:
    if length < min_len:
        raise FrameError(f"LEN {length} below the minimum of {min_len}")
    if length > max_len:
        raise FrameError(f"LEN {length} above the maximum of {max_len}")


@dataclass(frozen=True, slots=True, repr=False)
class Reply:
    """A reply body split into its status and data. Data may hold card contents: no repr."""

    sw3: int
    data: bytes = b""
    sw1: int = 0
    sw2: int = 0

    def __repr__(self) -> str:
        return f"Reply(sw3={self.sw3:02X}, {len(self.data)} data bytes)"

    @property
    def meaning(self) -> str:
        return describe_sw3(self.sw3)

    def expect(self, command: Command | None, *codes: int) -> Reply:
        """Return self if SW3 is one of ``codes`` (default 90), else raise SamStatusError."""
        if self.sw3 not in (codes or (Sw3.OK,)):
            raise SamStatusError(self.sw3, command)
        return self


def parse_reply(raw: bytes) -> Reply:
    body = parse_frame(raw, min_len=MIN_REPLY_LEN)
    return Reply(sw1=body[0], sw2=body[1], sw3=body[2], data=bytes(body[3:]))


@dataclass(frozen=True, slots=True)
class CommandFrame:
    cmd: int
    para: int
    data: bytes = b""

    @property
    def command(self) -> Command | None:
        return Command.lookup(self.cmd, self.para)


def parse_command(raw: bytes) -> CommandFrame:
    body = parse_frame(raw, min_len=MIN_COMMAND_LEN)
    return CommandFrame(body[0], body[1], bytes(body[2:]))


@dataclass(frozen=True, slots=True)
class SamId:
    """The SAM's identity: printed ``%02d.%02d-%08u-%010u-%010u`` by vendor tools."""

    parts: tuple[int, int, int, int, int]

    def __str__(self) -> str:
        a, b, c, d, e = self.parts
        return f"{a:02d}.{b:02d}-{c:08d}-{d:010d}-{e:010d}"


def parse_sam_id(data: bytes) -> SamId:
    if len(data) < 16:
        raise TruncatedFrameError(f"SAM id of {len(data)} bytes, expected 16")
    le = int.from_bytes
    return SamId(
        (
            le(data[0:2], "little"),
            le(data[2:4], "little"),
            le(data[4:8], "little"),
            le(data[8:12], "little"),
            le(data[12:16], "little"),
        )
    )


def encode_sam_id(sam_id: SamId) -> bytes:
    a, b, c, d, e = sam_id.parts
    return (
        a.to_bytes(2, "little")
        + b.to_bytes(2, "little")
        + c.to_bytes(4, "little")
        + d.to_bytes(4, "little")
        + e.to_bytes(4, "little")
    )


# ---- reading frames from a byte stream ------------------------------------------------------


class ByteSource(Protocol):
    """What the frame reader needs from a port: pyserial's ``read(n)`` with a short timeout."""

    def read(self, size: int = 1) -> bytes: ...


class FrameReader:
    """Assembles frames from a byte stream, skipping garbage up to the next preamble.

    It never asks the port for more bytes than the current frame still needs, so the bytes of a
    following frame stay in the port. The port must have a finite (short) read timeout; the
    deadlines are kept here. A partial frame survives ``poll`` timeouts, so a slow sender can be
    polled in short slices (the emulator does that). Setting ``cancel`` ends any wait within
    one port read (SamCancelled), so a stopping thread is never held for a whole deadline.
    """

    def __init__(
        self,
        port: ByteSource,
        *,
        min_len: int = MIN_REPLY_LEN,
        max_len: int = MAX_LEN,
        byte_time: float = 0.0,
        cancel: threading.Event | None = None,
    ):
        self._port = port
        self._min_len = min_len
        self._max_len = max_len
        self.byte_time = byte_time  # seconds per byte on the wire, to stretch the deadline
        self._cancel = cancel
        self._buf = bytearray()
        self.discarded = 0  # garbage bytes skipped, for diagnostics

    @property
    def pending(self) -> int:
        """Bytes held for a frame not yet complete."""
        return len(self._buf)

    def clear(self) -> None:
        self._buf.clear()

    def poll(self, timeout: float) -> bytes | None:
        """Return one complete, checked frame, or None if none completed within ``timeout``.

        Raises FrameError (the bad frame consumed) for a bad length or checksum.
        """
        deadline = time.monotonic() + timeout
        while True:
            if not self._fill(len(PREAMBLE), deadline):
                self._drop_garbage()
                return None
            if not self._drop_garbage():
                continue
            if not self._fill(HEADER_LEN, deadline):
                return None
            length = int.from_bytes(self._buf[5:7], "big")
            try:
                _check_length(length, self._min_len, self._max_len)
            except FrameError:
                del self._buf[: len(PREAMBLE)]  # a false preamble: look again after it
                self.discarded += len(PREAMBLE)
                raise
            if self.byte_time:
                deadline = max(deadline, time.monotonic() + length * self.byte_time * 1.5 + 0.05)
            if not self._fill(HEADER_LEN + length, deadline):
                return None
            frame = bytes(self._buf[: HEADER_LEN + length])
            del self._buf[: HEADER_LEN + length]
            if checksum(frame[5:-1]) != frame[-1]:
                raise ChecksumError(
                    f"checksum {frame[-1]:02X}, expected {checksum(frame[5:-1]):02X}"
                )
            return frame

    def read_frame(self, timeout: float) -> bytes:
        """One complete frame within ``timeout`` (stretched by the wire time once LEN is known).

        SamTimeout if nothing at all arrived; TruncatedFrameError if a frame started but did
        not finish; FrameError if only garbage arrived.
        """
        discarded = self.discarded
        frame = self.poll(timeout)
        if frame is not None:
            return frame
        partial = bool(self._buf)  # after garbage is dropped, what is left starts a frame
        self._buf.clear()
        if partial:
            raise TruncatedFrameError("frame did not complete in time")
        if self.discarded != discarded:
            raise FrameError(f"{self.discarded - discarded} bytes without a frame preamble")
        raise SamTimeout(f"no reply within {timeout:.2f} s")

    def _fill(self, size: int, deadline: float) -> bool:
        """Read until the buffer holds ``size`` bytes; False at the deadline."""
        while len(self._buf) < size:
            if self._cancel is not None and self._cancel.is_set():
                raise SamCancelled("stopped while waiting for a reply")
            before = time.monotonic()
            chunk = self._port.read(size - len(self._buf))
            if chunk:
                self._buf += chunk
                continue
            now = time.monotonic()
            if now >= deadline:
                return False
            if now - before < 0.001:  # a port that does not block: do not spin
                time.sleep(0.001)
        return True

    def _drop_garbage(self) -> bool:
        """Discard bytes before the preamble; True if the buffer now starts with it."""
        at = self._buf.find(PREAMBLE)
        if at == 0:
            return True
        if at < 0:
            # keep the longest tail that could still be the start of a preamble
            keep = 0
            for k in range(min(len(PREAMBLE) - 1, len(self._buf)), 0, -1):
                if self._buf[-k:] == PREAMBLE[:k]:
                    keep = k
                    break
            at = len(self._buf) - keep
        self.discarded += at
        del self._buf[:at]
        return False


class SerialLike(ByteSource, Protocol):
    def write(self, data: bytes) -> int | None: ...


class SamLink:
    """One request at a time to a SAM over a pyserial-like port.

    Replies carry no reference to their command, so a late reply must never be taken for the
    answer to the next one: after a timeout the reply is still owed, and the next exchange first
    waits for it (at most one read timeout) and drops it; after any failed exchange the line is
    drained until it falls quiet; input is flushed before each command; and a reply too long
    for the command just sent (a read reply that came after all that) is skipped. Changing the
    rate forgives what is owed: it would arrive as noise.
    """

    def __init__(
        self,
        port: SerialLike,
        *,
        read_timeout: float = 1.0,
        baud: int = 115200,
        cancel: threading.Event | None = None,
    ):
        self.port = port
        self.read_timeout = read_timeout
        self._cancel = cancel
        self._frames = FrameReader(port, min_len=MIN_REPLY_LEN, cancel=cancel)
        self.baud = baud
        self._dirty = False  # the last exchange failed: bytes may still be on their way
        self._owed = False  # the last exchange timed out: its reply may still come
        self.stale = 0  # late replies skipped, for diagnostics
        self.drained = 0  # bytes drained after failed exchanges

    @property
    def baud(self) -> int:
        return self._baud

    @baud.setter
    def baud(self, baud: int) -> None:
        """The line speed the port now runs at (it only stretches deadlines: set the port too)."""
        self._baud = baud
        self._frames.byte_time = 10.0 / baud
        self._owed = False

    def transact(self, command: Command, timeout: float | None = None) -> Reply:
        """Send ``command`` and return its reply; SamError subclasses only."""
        if self._owed:
            self._await_owed()
        if self._dirty:
            self._drain()
        self._frames.clear()
        flush = getattr(self.port, "reset_input_buffer", None)
        if flush is not None:
            flush()
        self.port.write(command.frame)
        deadline = time.monotonic() + (self.read_timeout if timeout is None else timeout)
        floor = 0.0
        try:
            while True:
                frame = self._frames.read_frame(max(deadline - time.monotonic(), floor))
                reply = parse_reply(frame)
                if len(reply.data) <= command.max_reply_data:
                    self._dirty = False
                    return reply
                self.stale += 1
                floor = 0.1  # the real reply follows right behind the stale one
        except SamCancelled:
            raise
        except SamTimeout:
            self._dirty = self._owed = True
            raise
        except SamError:
            self._dirty = True
            raise

    def _await_owed(self) -> None:
        """Wait (bounded) for the reply of a command that timed out, and drop it."""
        self._owed = False
        try:
            self._frames.read_frame(self.read_timeout)
            self.stale += 1
        except SamCancelled:
            raise
        except SamError:
            pass  # nothing came, or noise: the drain that follows settles the line

    def _drain(self) -> None:
        """Read and drop input until the line has been quiet for a while (bounded)."""
        quiet = max(0.05, 100 * self._frames.byte_time)
        start = last = time.monotonic()
        while True:
            if self._cancel is not None and self._cancel.is_set():
                raise SamCancelled("stopped while draining the line")
            before = time.monotonic()
            chunk = self.port.read(4096)
            now = time.monotonic()
            if chunk:
                self.drained += len(chunk)
                last = now
            elif now - last >= quiet:
                break
            elif now - before < 0.001:
                time.sleep(0.001)  # a port that does not block: do not spin
            if now - start >= self.read_timeout:
                break
        self._dirty = False
