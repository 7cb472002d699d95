"""An ESC/POS thermal printer on TCP (port 9100 style) that renders what it receives to PNG.

It decodes the subset of ESC/POS the kiosk sends in text and in raster mode (and skips the rest
without losing sync where the length of a command is known), answers DLE EOT status queries at
once from a state that tests and the demo panel set, and refuses to "print" while its cover is
open, it is out of paper or offline, as a real printer stalls. Demo mode and tests only; the
certificates it renders hold the synthetic people of devkit/people.py (``demo_documents`` builds
every one the reference platform can issue, for tests and benchmarks).

    python -m devkit.printer_emulator --port 9100 --out out/printer
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import logging
import os
import select
import signal
import socket
import socketserver
import threading
import tty
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from PIL import Image, ImageOps

from devkit import people, seed
from kiosk.document import Document
from kiosk.models import Subject
from kiosk.print_layout import (
    Align,
    cut_image,
    line_height,
    render_qr,
    render_text_line,
    stack,
)
from kiosk.qr import CODE_ALPHABET, DEFAULT_VERIFY_BASE_URL

log = logging.getLogger("devkit.printer_emulator")

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
_ALIGN = {0: Align.LEFT, 1: Align.CENTER, 2: Align.RIGHT}
_ALIGN |= {48 + n: a for n, a in _ALIGN.items()}  # ESC a takes 0/1/2 or "0"/"1"/"2"
_EC_LETTER = {48: "L", 49: "M", 50: "Q", 51: "H"}
# ESC commands the kiosk does not use, by the number of parameter bytes (skipped, not drawn)
_ESC_PARAMS = {c: 0 for c in "2<LSv"} | {c: 1 for c in " %-3=?JKMRTUVertu{"}
_ESC_PARAMS |= {c: 2 for c in "$\\cBf"} | {"p": 3, "W": 8}


class PaperLevel(StrEnum):
    OK = "ok"
    NEAR_END = "near_end"
    OUT = "out"


@dataclass(frozen=True, slots=True)
class PrintedLine:
    """A line as printed; its style is the one in force at its first character."""

    text: str
    bold: bool = False
    width: int = 1  # width multiplier
    height: int = 1  # height multiplier
    align: Align = Align.LEFT


@dataclass(frozen=True, slots=True)
class PrintedQr:
    payload: str
    module: int
    ec: str
    align: Align


@dataclass(frozen=True, slots=True)
class PrintedImage:
    image: Image.Image  # "L", black ink on white
    align: Align


@dataclass(frozen=True, slots=True)
class Fed:
    lines: int


@dataclass(frozen=True, slots=True)
class CutMark:
    pass


Printed = PrintedLine | PrintedQr | PrintedImage | Fed | CutMark


@dataclass
class Job:
    """What one job put on paper, in order, and the bytes that made it."""

    index: int
    items: list[Printed]
    raw: bytes
    png_path: Path | None = None
    cut: bool = False  # False: ended by the connection closing

    @property
    def lines(self) -> list[PrintedLine]:
        return [i for i in self.items if isinstance(i, PrintedLine)]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def images(self) -> list[Image.Image]:
        return [i.image for i in self.items if isinstance(i, PrintedImage)]

    @property
    def qr_payloads(self) -> list[str]:
        return [i.payload for i in self.items if isinstance(i, PrintedQr)]

    def __repr__(self) -> str:  # the text holds a (synthetic) name: keep it out of logs
        return (
            f"Job({self.index}, {len(self.lines)} lines, {len(self.images)} images, "
            f"{len(self.qr_payloads)} qr, {len(self.raw)} bytes)"
        )


def render_job(items: list[Printed], width_dots: int) -> Image.Image:
    """The paper a job came out as: black on white, ``width_dots`` wide."""
    strips: list[Image.Image] = []
    for item in items:
        match item:
            case PrintedLine():
                strips.append(
                    render_text_line(
                        item.text,
                        width_dots,
                        size_w=item.width,
                        size_h=item.height,
                        bold=item.bold,
                        align=item.align,
                    )
                )
            case Fed():
                strips.append(Image.new("L", (width_dots, line_height(1) * item.lines), 255))
            case PrintedImage() | PrintedQr():
                img = (
                    item.image
                    if isinstance(item, PrintedImage)
                    else render_qr(item.payload, item.module, item.ec, border=0)
                )
                img = img.crop((0, 0, min(img.width, width_dots), img.height))
                strip = Image.new("L", (width_dots, img.height), 255)
                x = {
                    Align.LEFT: 0,
                    Align.CENTER: (width_dots - img.width) // 2,
                    Align.RIGHT: width_dots - img.width,
                }[item.align]
                strip.paste(img, (x, 0))
                strips.append(strip)
            case CutMark():
                strips.append(cut_image(width_dots))
    return stack(strips, width_dots)


class _NeedMore(Exception):
    """The buffer ends inside a command: wait for more bytes."""


class Interpreter:
    """Decodes one connection's byte stream; transport-free so it runs on TCP or a serial line.

    ``status(n)`` gives the reply byte to DLE EOT n (None: stay silent); ``accepting()`` tells
    whether content may print now. ``on_job`` receives each finished job's items and raw bytes.
    """

    def __init__(
        self,
        *,
        charset: str,
        status: Callable[[int], int | None],
        accepting: Callable[[], bool],
        on_job: Callable[[list[Printed], bytes, bool], None],
        on_reply: Callable[[bytes], object],
        on_rejected: Callable[[bytes], None],
    ) -> None:
        self.codec = {"GB18030": "gb18030", "GBK": "gbk", "GB2312": "gbk"}[charset.upper()]
        self._status = status
        self._accepting = accepting
        self._on_job = on_job
        self._on_reply = on_reply
        self._on_rejected = on_rejected
        self.buf = bytearray()
        self._reset_modes()
        self.items: list[Printed] = []
        self.raw = bytearray()
        self.line = ""
        self.line_style: PrintedLine | None = None
        self.qr_store = b""
        self.qr_module = 3
        self.qr_ec = "L"

    def _reset_modes(self) -> None:
        self.bold = False
        self.width = 1
        self.height = 1
        self.align = Align.LEFT
        self.chinese = False

    # stream

    def feed(self, data: bytes) -> None:
        self.buf += data
        while self.buf:
            try:
                n, action, realtime = self._parse(self.buf)
            except _NeedMore:
                return
            chunk = bytes(self.buf[:n])
            del self.buf[:n]
            if realtime:
                if action:
                    action()
            elif self._accepting():
                self.raw += chunk
                if action:
                    action()
            else:
                self._on_rejected(chunk)

    def close(self) -> None:
        """The connection ended: what was received after the last cut is a job too."""
        self._flush_line()
        self._finish(cut=False)

    # helpers

    def _need(self, buf: bytearray, n: int) -> None:
        if len(buf) < n:
            raise _NeedMore

    def _flush_line(self) -> None:
        if self.line_style is not None:
            s = self.line_style
            self.items.append(PrintedLine(self.line, s.bold, s.width, s.height, s.align))
        self.line, self.line_style = "", None

    def _lf(self) -> None:
        if self.line_style is None:
            self.items.append(Fed(1))
        else:
            self._flush_line()

    def _feed_lines(self, n: int) -> None:
        had_text = self.line_style is not None
        self._flush_line()
        if n - (1 if had_text else 0) > 0:
            self.items.append(Fed(n - (1 if had_text else 0)))

    def _finish(self, cut: bool) -> None:
        content = any(isinstance(i, PrintedLine | PrintedImage | PrintedQr) for i in self.items)
        if content:
            if cut:
                self.items.append(CutMark())
            self._on_job(self.items, bytes(self.raw), cut)
        self.items, self.raw = [], bytearray()

    def _text(self, s: str) -> None:
        if not s:
            return
        if self.line_style is None:
            self.line_style = PrintedLine("", self.bold, self.width, self.height, self.align)
        self.line += s

    # the parser: returns (length, action, realtime) for the command at the start of buf

    def _parse(self, buf: bytearray) -> tuple[int, Callable[[], None] | None, bool]:
        b = buf[0]
        if b >= 0x20 and b != 0x7F:
            return self._parse_text(buf)
        if b == 0x0A:
            return 1, self._lf, False
        if b == DLE:
            return self._parse_dle(buf)
        if b == ESC:
            return self._parse_esc(buf)
        if b == GS:
            return self._parse_gs(buf)
        if b == FS:
            return self._parse_fs(buf)
        if b == 0x09:
            return 1, lambda: self._text(" "), False
        return 1, None, False  # CR, NUL, FF, CAN … : nothing to draw

    def _parse_text(self, buf: bytearray) -> tuple[int, Callable[[], None] | None, bool]:
        end = 0
        n = len(buf)
        while end < n and buf[end] >= 0x20 and buf[end] != 0x7F:
            b = buf[end]
            if not self.chinese or b < 0x81 or b == 0xFF:
                end += 1
                continue
            # a multi-byte character: 2 bytes, or 4 in GB18030 when the 2nd is a digit
            if end + 1 >= n:
                break
            size = 4 if self.codec == "gb18030" and 0x30 <= buf[end + 1] <= 0x39 else 2
            if end + size > n:
                break
            end += size
        if end == 0:
            raise _NeedMore
        data = bytes(buf[:end])
        text = data.decode(self.codec if self.chinese else "cp437", errors="replace")
        return end, lambda: self._text(text), False

    def _parse_dle(self, buf: bytearray) -> tuple[int, Callable[[], None] | None, bool]:
        self._need(buf, 2)
        cmd = buf[1]
        if cmd == 0x04:  # DLE EOT n: real-time status
            self._need(buf, 3)
            n = buf[2]
            length = 4 if n in (7, 8) else 3

            def reply() -> None:
                byte = self._status(n)
                if byte is not None:
                    self._on_reply(bytes((byte,)))

            self._need(buf, length)
            return length, reply, True
        if cmd == 0x05:  # DLE ENQ n
            self._need(buf, 3)
            return 3, None, True
        if cmd == 0x14:  # DLE DC4 fn …
            self._need(buf, 3)
            length = {1: 5, 2: 5, 3: 8, 7: 4, 8: 10}.get(buf[2], 3)
            self._need(buf, length)
            return length, None, True
        return 1, None, False

    def _parse_esc(self, buf: bytearray) -> tuple[int, Callable[[], None] | None, bool]:
        self._need(buf, 2)
        cmd = chr(buf[1])
        if cmd == "@":

            def init() -> None:
                self._flush_line()
                self._reset_modes()

            return 2, init, False
        if cmd in "EG":
            self._need(buf, 3)
            on = bool(buf[2] & 1)
            return 3, lambda: setattr(self, "bold", on), False
        if cmd == "a":
            self._need(buf, 3)
            align = _ALIGN.get(buf[2], Align.LEFT)
            return 3, lambda: setattr(self, "align", align), False
        if cmd == "!":
            self._need(buf, 3)
            n = buf[2]

            def mode() -> None:
                self.bold = bool(n & 0x08)
                self.height = 2 if n & 0x10 else 1
                self.width = 2 if n & 0x20 else 1

            return 3, mode, False
        if cmd == "d":
            self._need(buf, 3)
            n = buf[2]
            return 3, lambda: self._feed_lines(n), False
        if cmd == "*":  # ESC * m nL nH d…: column bit image, skipped
            self._need(buf, 5)
            m, count = buf[2], buf[3] + 256 * buf[4]
            length = 5 + count * (1 if m in (0, 1) else 3)
            self._need(buf, length)
            return length, None, False
        if cmd == "D":  # ESC D n1 … NUL: tab stops
            end = buf.find(b"\x00", 2)
            if end < 0:
                raise _NeedMore
            return end + 1, None, False
        if cmd == "p":  # ESC p m t1 t2: drawer kick
            self._need(buf, 5)
            return 5, None, False
        if cmd in "im":  # old partial cut

            def old_cut() -> None:
                self._flush_line()
                self._finish(cut=True)

            return 2, old_cut, False
        if cmd in _ESC_PARAMS:
            length = 2 + _ESC_PARAMS[cmd]
            self._need(buf, length)
            return length, None, False
        log.warning("unknown command ESC %r skipped", cmd)
        return 2, None, False

    def _parse_gs(self, buf: bytearray) -> tuple[int, Callable[[], None] | None, bool]:
        self._need(buf, 2)
        cmd = chr(buf[1])
        if cmd == "!":
            self._need(buf, 3)
            n = buf[2]

            def size() -> None:
                self.width = min(8, (n >> 4) + 1)
                self.height = min(8, (n & 0x0F) + 1)

            return 3, size, False
        if cmd == "V":
            self._need(buf, 3)
            m = buf[2]
            length = 4 if m in (65, 66, 97, 98, 103, 104) else 3
            self._need(buf, length)

            def cut() -> None:
                self._flush_line()
                self._finish(cut=True)

            return length, cut, False
        if cmd == "v":  # GS v 0 m xL xH yL yH d…: raster bit image
            self._need(buf, 8)
            m = buf[3]
            wb, h = buf[4] + 256 * buf[5], buf[6] + 256 * buf[7]
            length = 8 + wb * h
            self._need(buf, length)
            data = bytes(buf[8:length])
            return length, lambda: self._raster(data, wb, h, m), False
        if cmd == "(":
            self._need(buf, 5)
            fn_class = chr(buf[2])
            p = buf[3] + 256 * buf[4]
            length = 5 + p
            self._need(buf, length)
            body = bytes(buf[5:length])
            if fn_class == "k":
                return length, lambda: self._two_d(body), False
            return length, None, False  # GS ( L graphics and the other GS ( functions
        if cmd == "8":  # GS 8 L p1 p2 p3 p4 …: graphics with a 4-byte length
            self._need(buf, 7)
            length = 7 + int.from_bytes(buf[3:7], "little")
            self._need(buf, length)
            return length, None, False
        if cmd == "k":  # GS k m …: 1D barcode
            self._need(buf, 3)
            m = buf[2]
            if m <= 6:
                end = buf.find(b"\x00", 3)
                if end < 0:
                    raise _NeedMore
                return end + 1, None, False
            self._need(buf, 4)
            length = 4 + buf[3]
            self._need(buf, length)
            return length, None, False
        if cmd == "*":  # GS * x y d…: define downloaded image
            self._need(buf, 4)
            length = 4 + buf[2] * buf[3] * 8
            self._need(buf, length)
            return length, None, False
        if cmd in "LWP":
            self._need(buf, 4)
            return 4, None, False
        if cmd == "^":
            self._need(buf, 5)
            return 5, None, False
        if cmd == ":":
            return 2, None, False
        if cmd in "BHhwfaIr/bc":
            self._need(buf, 3)
            return 3, None, False
        log.warning("unknown command GS %r skipped", cmd)
        return 2, None, False

    def _parse_fs(self, buf: bytearray) -> tuple[int, Callable[[], None] | None, bool]:
        self._need(buf, 2)
        cmd = chr(buf[1])
        if cmd == "&":
            return 2, lambda: setattr(self, "chinese", True), False
        if cmd == ".":
            return 2, lambda: setattr(self, "chinese", False), False
        if cmd in "!-CW":
            self._need(buf, 3)
            return 3, None, False
        if cmd in "Sp":
            self._need(buf, 4)
            return 4, None, False
        if cmd == "2":  # FS 2 c1 c2 d1…d72: user-defined Chinese character
            self._need(buf, 76)
            return 76, None, False
        log.warning("unknown command FS %r skipped", cmd)
        return 2, None, False

    # actions

    def _raster(self, data: bytes, wb: int, h: int, m: int) -> None:
        self._flush_line()
        bits = Image.frombytes("1", (wb * 8, h), data)
        img = ImageOps.invert(bits.convert("L"))  # ESC/POS: 1 = black; Pillow "1": 1 = white
        if m & 1 or m & 2:
            img = img.resize((img.width * (2 if m & 1 else 1), img.height * (2 if m & 2 else 1)))
        self.items.append(PrintedImage(img, self.align))

    def _two_d(self, body: bytes) -> None:
        if len(body) < 2 or body[0] != 49:  # cn 49: QR code (PDF417 etc. ignored)
            return
        fn, args = body[1], body[2:]
        if fn == 67 and args:
            self.qr_module = max(1, min(16, args[0]))
        elif fn == 69 and args:
            self.qr_ec = _EC_LETTER.get(args[0], "L")
        elif fn == 80:
            self.qr_store = args[1:]  # after m = 48
        elif fn == 81 and self.qr_store:
            self._flush_line()
            try:
                payload = self.qr_store.decode("utf-8")
            except UnicodeDecodeError:
                payload = self.qr_store.decode("latin-1")
            self.items.append(PrintedQr(payload, self.qr_module, self.qr_ec, self.align))


@dataclass(frozen=True, slots=True)
class PrinterState:
    """What the emulated printer reports, as tests and the demo panel set it."""

    paper: PaperLevel = PaperLevel.OK
    cover_open: bool = False
    online: bool = True
    silent: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "paper": self.paper.value,
            "cover_open": self.cover_open,
            "online": self.online,
            "silent": self.silent,
        }


@dataclass
class _State:
    paper: PaperLevel = PaperLevel.OK
    cover_open: bool = False
    online: bool = True
    silent: bool = False
    paper_out_after: int | None = None  # bytes still to accept before the paper runs out
    drop_after: int | None = None  # bytes still to accept before the line drops
    # (status questions still to answer, the state after them): a change between two questions
    change_after: tuple[int, dict] | None = None
    rejected: bytearray = field(default_factory=bytearray)


class PrinterEmulator:
    """ESC/POS printer on TCP; ``start()`` returns the (host, port) it listens on."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        out_dir: Path | None = None,
        width_dots: int = 576,
        charset: str = "GB18030",
        on_job: Callable[[Job], None] | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.out_dir = Path(out_dir) if out_dir else None
        self.width_dots = width_dots
        self.charset = charset.upper()
        self.on_job = on_job
        self._state = _State()
        self.answer_delay = 0.0  # seconds before each status answer
        self._cond = threading.Condition()
        self._jobs: list[Job] = []
        self._server: socketserver.ThreadingTCPServer | None = None
        self._thread: threading.Thread | None = None
        self._clients: set[socket.socket] = set()
        self._seq = 0
        self._pty: tuple[int, int] | None = None
        self._pty_thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # control

    def set_state(
        self,
        paper: str = "ok",
        cover_open: bool = False,
        online: bool = True,
        silent: bool = False,
    ) -> None:
        """Set everything the printer reports at once (no arguments: a healthy printer).

        ``silent`` never answers DLE EOT. To change one thing, start from ``state``:
        ``emu.set_state(**{**emu.state.as_dict(), "cover_open": True})``.
        """
        with self._cond:
            s = self._state
            s.paper = PaperLevel(paper)
            s.cover_open, s.online, s.silent = cover_open, online, silent

    @property
    def state(self) -> PrinterState:
        with self._cond:
            s = self._state
            return PrinterState(s.paper, s.cover_open, s.online, s.silent)

    def change_state_after_questions(self, n: int, **state: object) -> None:
        """After ``n`` more DLE EOT answers, ``set_state(**state)``: the printer's state changes
        between the kiosk's status questions (a cover closed between DLE EOT 1 and 2)."""
        with self._cond:
            self._state.change_after = (n, state)

    def run_out_of_paper_after(self, nbytes: int) -> None:
        """The paper ends after ``nbytes`` more bytes arrive (a job that stops half-way)."""
        with self._cond:
            self._state.paper_out_after = nbytes

    def drop_connection_after(self, nbytes: int) -> None:
        """Hang up after ``nbytes`` more bytes (a cable pulled, a printer switched off)."""
        with self._cond:
            self._state.drop_after = nbytes

    @property
    def jobs(self) -> list[Job]:
        with self._cond:
            return list(self._jobs)

    @property
    def rejected(self) -> bytes:
        """Bytes received while the printer could not print (cover open, no paper, offline)."""
        with self._cond:
            return bytes(self._state.rejected)

    def clear(self) -> None:
        with self._cond:
            self._jobs.clear()
            self._state.rejected.clear()

    def wait_for_jobs(self, n: int, timeout: float = 10.0) -> list[Job]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._jobs) >= n, timeout):
                raise TimeoutError(f"{len(self._jobs)} of {n} print jobs after {timeout} s")
            return list(self._jobs)

    # status as the printer computes it

    def _status_byte(self, n: int) -> int | None:
        if self.answer_delay:  # a slow printer (the demo uses it to show the printing screen)
            self._stopping.wait(self.answer_delay)
        with self._cond:
            s = self._state
            if s.silent:
                return None
            out = s.paper is PaperLevel.OUT
            byte = 0x12
            if n == 1 and (not s.online or s.cover_open or out):
                byte |= 0x08
            elif n == 2:
                byte |= (0x04 if s.cover_open else 0) | (0x20 if out else 0)
            elif n == 4:
                byte |= 0x6C if out else 0x0C if s.paper is PaperLevel.NEAR_END else 0
            if s.change_after is not None:
                left, state = s.change_after
                s.change_after = (left - 1, state) if left > 1 else None
                if left <= 1:
                    self.set_state(**state)  # the condition is re-entrant
            return byte

    def _accepting(self) -> bool:
        with self._cond:
            s = self._state
            return s.online and not s.cover_open and s.paper is not PaperLevel.OUT

    def _reject(self, chunk: bytes) -> None:
        with self._cond:
            self._state.rejected += chunk

    def _add_job(self, items: list[Printed], raw: bytes, cut: bool) -> None:
        with self._cond:
            self._seq += 1
            index = self._seq
        job = Job(index, items, raw, cut=cut)
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            path = self.out_dir / f"job-{index:04d}.png"
            render_job(items, self.width_dots).save(path)
            job.png_path = path
        log.info("printed %r%s", job, f" → {job.png_path}" if job.png_path else "")
        with self._cond:
            self._jobs.append(job)
            self._cond.notify_all()
        if self.on_job:
            try:
                self.on_job(job)
            except Exception:
                log.exception("on_job callback failed")

    # server

    def start(self) -> tuple[str, int]:
        emulator = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                emulator._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._stopping.clear()
        self._server = Server((self.host, self.port), Handler)
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="printer-emulator",
            daemon=True,
        )
        self._thread.start()
        log.info("ESC/POS printer emulator on %s:%d", self.host, self.port)
        return self.host, self.port

    def start_serial(self) -> str:
        """Also listen on a pseudo-terminal (a serial printer); returns its device path."""
        self._stopping.clear()
        master, slave = os.openpty()
        tty.setraw(slave)
        self._pty = (master, slave)  # the slave stays open so the line survives client closes
        self._pty_thread = threading.Thread(
            target=self._serve_pty, args=(master,), name="printer-emulator-pty", daemon=True
        )
        self._pty_thread.start()
        path = os.ttyname(slave)
        log.info("ESC/POS printer emulator on %s", path)
        return path

    def _serve_pty(self, master: int) -> None:
        """A serial line has no connections: a job ends with its cut (or when the emulator stops)."""
        interp = self._interpreter(lambda data: os.write(master, data))
        try:
            while not self._stopping.is_set():
                ready, _, _ = select.select([master], [], [], 0.1)
                if not ready:
                    continue
                try:
                    data = os.read(master, 65536)
                except OSError:
                    break
                if data and self._feed_with_triggers(interp, data):
                    interp.close()
                    interp = self._interpreter(lambda data: os.write(master, data))
        except Exception:
            log.exception("printer emulator serial line failed")
        finally:
            with contextlib.suppress(Exception):
                interp.close()

    def _interpreter(self, reply: Callable[[bytes], object]) -> Interpreter:
        return Interpreter(
            charset=self.charset,
            status=self._status_byte,
            accepting=self._accepting,
            on_job=self._add_job,
            on_reply=reply,
            on_rejected=self._reject,
        )

    def stop(self) -> None:
        self._stopping.set()
        if self._pty_thread:
            self._pty_thread.join(timeout=5)
            self._pty_thread = None
        if self._pty:
            for fd in self._pty:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._pty = None
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._cond:
            clients = list(self._clients)
        for c in clients:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
        if self._thread:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> PrinterEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, sock: socket.socket) -> None:
        """One connection; never lets an exception out of the server thread."""
        with self._cond:
            self._clients.add(sock)
        interp = self._interpreter(sock.sendall)
        try:
            while True:
                try:
                    data = sock.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                if self._feed_with_triggers(interp, data):
                    break
        except Exception:
            log.exception("printer emulator connection failed")
        finally:
            try:
                interp.close()
            except Exception:
                log.exception("printer emulator could not finish the job")
            with self._cond:
                self._clients.discard(sock)
            with contextlib.suppress(OSError):
                sock.close()

    def _feed_with_triggers(self, interp: Interpreter, data: bytes) -> bool:
        """Feed ``data``, applying armed faults at their exact byte; True: hang up now."""
        while data:
            with self._cond:
                s = self._state
                limits = [x for x in (s.paper_out_after, s.drop_after) if x is not None]
                take = min([len(data), *limits])
            interp.feed(data[:take])
            data = data[take:]
            with self._cond:
                s = self._state
                if s.paper_out_after is not None:
                    s.paper_out_after -= take
                    if s.paper_out_after <= 0:
                        s.paper_out_after = None
                        s.paper = PaperLevel.OUT
                if s.drop_after is not None:
                    s.drop_after -= take
                    if s.drop_after <= 0:
                        s.drop_after = None
                        return True
        return False


# --- what the reference platform issues, without a server -----------------------------------------


@dataclass(frozen=True, slots=True)
class DemoDocument:
    item_key: str
    holder_key: str
    document: Document

    def __repr__(self) -> str:
        return f"DemoDocument({self.item_key}, {self.holder_key})"


def _demo_holder(item: seed.SeedItem, today: dt.date) -> seed.Holder:
    """A demo citizen or enterprise that may use ``item``: 刘䶮 (liu_yan) wherever she may, so
    the rare character is on as many documents as possible; otherwise one of the others."""
    if item.subject is Subject.ENTERPRISE:
        ents = [e for e in people.ENTERPRISES if seed.eligible(item, e.accounts)]
        return seed.holder_of_enterprise(ents[item.seq % len(ents)])
    fit = [
        c
        for c in people.CITIZENS
        if seed.eligible(item, c.accounts)
        and (c.valid_to == "长期" or c.valid_to >= f"{today:%Y%m%d}")
    ]
    rare = [c for c in fit if c.key == "liu_yan"]
    return seed.holder_of_citizen((rare or fit)[0] if rare else fit[item.seq % len(fit)])


def demo_document(item: seed.SeedItem, holder: seed.Holder, today: dt.date) -> Document:
    """The document the reference platform issues for ``item`` and ``holder`` (as
    platform_server's _create_case writes it), with a code derived from both."""
    digest = hashlib.sha256(f"{item.key}:{holder.key}:{today}".encode()).digest()
    code = "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in digest[:16])
    case_no = f"{seed.REGION_CODE}{today:%Y%m%d}{item.seq:08d}"
    return seed.issue_document(
        item, holder, today, case_no=case_no, code=code, verify_base_url=DEFAULT_VERIFY_BASE_URL
    )


def demo_documents(today: dt.date | None = None) -> list[DemoDocument]:
    """Every certificate and receipt the demo can produce: one per item of devkit/seed.py."""
    today = today or dt.date(2025, 3, 14)
    out = []
    for item in seed.ITEMS:
        holder = _demo_holder(item, today)
        out.append(DemoDocument(item.key, holder.key, demo_document(item, holder, today)))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="ESC/POS printer emulator (renders jobs to PNG)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9100)
    ap.add_argument("--out", type=Path, default=Path("out/printer"))
    ap.add_argument("--width", type=int, default=576, help="paper width in dots (384 or 576)")
    ap.add_argument("--charset", default="GB18030", choices=["GB18030", "GBK"])
    ap.add_argument("--paper", default="ok", choices=[p.value for p in PaperLevel])
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    emu = PrinterEmulator(args.host, args.port, args.out, args.width, args.charset)
    emu.set_state(paper=args.paper)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    host, port = emu.start()
    print(f"escpos+tcp://{host}:{port}  (PNG files in {args.out})", flush=True)
    try:
        while not done.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
