"""ESC/POS thermal printers through python-escpos 3.1: certificates and receipts on paper.

Two ways to put a document on paper, chosen by configuration (``mode=`` in the printer URL):

- text: ``FS &`` (Chinese mode) and the text encoded in the charset the printer is configured
  for, sent with ``_raw``; sizes and bold by ESC/POS. python-escpos's ``text()`` is avoided on
  purpose: its MagicEncode prints full-width punctuation and characters outside U+4E00–U+9FA5 as
  "?" (upstream #190, #269, #491). A line the charset cannot encode (䶮 in GBK) is drawn with the
  CJK font and sent as a raster image, so no character becomes "?".
- raster: every layout line is drawn exactly as the preview draws it and sent as ``GS v 0``
  images, one band per line (a QR code in bands of at most RASTER_BAND dots). Always correct,
  whatever font the printer has; larger and slower on a serial line.

The printer is named by URL (see ``parse_printer_url``)::

    escpos+tcp://192.168.1.50:9100?width_dots=576&charset=GB18030&qr_mode=native&mode=text
    escpos+usb://0x0416:0x5011?in_ep=0x81&out_ep=0x03&timeout=5
    escpos+serial:///dev/ttyS0?baud=115200&dsrdtr=1

Connections (``Link``): TCP and serial get a fresh connection for each job or status query. USB
keeps one, because python-escpos's ``Usb.open()`` resets the device (set_configuration + reset),
which must not happen every few seconds nor while the printer still prints the last job from its
buffer. After any error the connection is closed and dropped, and the next attempt builds a fresh
instance (a power-cycled USB printer has a new device handle: python-escpos #437, #459); failed
attempts to open are spaced out by BACKOFF. Nothing is ever resent: a query may be asked again on
a fresh connection, a job's bytes never (a refilled printer must not reprint by itself), and a
reprint the citizen asks for is a new call that prints.
"""

# ruff: noqa: E402  (python-escpos is imported after escpos_cache.load(), below)
from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

from drivers import escpos_cache

# python-escpos parses its printer database on import: cached in the kiosk's folder, not /tmp
escpos_cache.load()

from escpos.constants import QR_ECLEVEL_H, QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q
from escpos.escpos import Escpos
from escpos.printer import Dummy, Network, Serial
from PIL import Image, ImageOps

from drivers.printer_url import (
    CHARSETS,
    PrinterConfig,
    PrintMode,
    QrMode,
    Transport,
    parse_printer_url,
)
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Paper, PrintError, PrintJob
from kiosk.document import Document
from kiosk.i18n import N_, _
from kiosk.messages import printer_problem as citizen_message
from kiosk.print_layout import (
    Cut,
    Feed,
    LayoutLine,
    Qr,
    Rule,
    Text,
    char_width,
    columns,
    layout_document,
    line_images,
    render_text_line,
    to_ink,
)

log = logging.getLogger("drivers.printer")

FS_CHINESE_ON = b"\x1c\x26"  # FS &
ESC_ALIGN_LEFT = b"\x1ba\x00"
ESC_LINE_SPACING_DEFAULT = b"\x1b\x32"
GS_RASTER = b"\x1dv0"  # GS v 0 m xL xH yL yH d1…dk
DLE_EOT = b"\x10\x04"
RASTER_BAND = 64  # dots: a double-size line (56) is one band; a QR code goes in a few
_EC = {"L": QR_ECLEVEL_L, "M": QR_ECLEVEL_M, "Q": QR_ECLEVEL_Q, "H": QR_ECLEVEL_H}


# --- status --------------------------------------------------------------------------------------


def valid_status_byte(b: int) -> bool:
    """A DLE EOT reply has bits 1 and 4 set and bits 0 and 7 clear (0xx1xx10)."""
    return (b & 0x93) == 0x12


def torn(printer: int | None, offline_cause: int | None, roll: int | None) -> bool:
    """The three answers disagree: DLE EOT 1 says offline, yet DLE EOT 2 names no cause (cover,
    feed button, paper end, error). Typically a cover closed between the two questions; asked
    once more, the printer gives a consistent picture, and no alert is raised for a state that
    never was. A printer that stays offline without a cause still reads offline the second time.
    """
    if printer is None or offline_cause is None or roll is None:
        return False
    return bool(printer & 0x08) and not offline_cause & 0x6C


def decode_status(
    printer: int | None, offline_cause: int | None, roll: int | None, detail: str = ""
) -> DeviceStatus:
    """Status from the replies to DLE EOT 1, 2 and 4 (None: no or invalid reply).

    A missing reply is never taken as "ok" (python-escpos's paper_status() does that). Paper out
    is reported as supply OUT on a reachable printer, the XFS way: the kiosk stays up for
    query-only items and ``DeviceStatus.usable`` is False. A cover open is USER_ERROR.
    """
    replies = [printer, offline_cause, roll]
    replies = [r if r is not None and valid_status_byte(r) else None for r in replies]
    printer, offline_cause, roll = replies
    if detail == "":
        detail = "DLE EOT 1/2/4: " + " ".join("--" if r is None else f"{r:02X}" for r in replies)
    paper = Paper.UNKNOWN
    if roll is not None:
        if roll & 0x60 == 0x60:
            paper = Paper.OUT
        elif roll & 0x0C == 0x0C:
            paper = Paper.LOW
        else:
            paper = Paper.FULL
    if offline_cause is not None and offline_cause & 0x20:
        paper = Paper.OUT  # paper-end stop
    cover_open = offline_cause is not None and bool(offline_cause & 0x04)
    if cover_open:
        state = DeviceState.USER_ERROR
    elif offline_cause is not None and offline_cause & 0x40:
        state = DeviceState.HARDWARE_ERROR
    elif None in (printer, offline_cause, roll):
        state = DeviceState.OFFLINE
        detail += " (no status reply)"
    elif paper is Paper.OUT:
        state = DeviceState.ONLINE
    elif printer is not None and printer & 0x08:
        state = DeviceState.OFFLINE
    else:
        state = DeviceState.ONLINE
    return DeviceStatus(
        DeviceKind.PRINTER, state, paper=paper, cover_open=cover_open, detail=detail
    )


BROKEN_OFF = N_("打印中途中断，证明可能不完整，请联系工作人员。")


# --- bytes of a job ------------------------------------------------------------------------------


def encodable(text: str, charset: str) -> bytes | None:
    """``text`` in the printer's charset, or None when it must go out as a bitmap.

    GB18030 printers carry glyphs for the BMP part (2-byte and Ext-A); supplementary-plane
    characters (𠮷 U+20BB7) are drawn instead. In Chinese mode every multi-byte code prints in
    a full-width cell, so a character the layout counts as one column (¥, À, Uyghur letters)
    is drawn too: the paper then matches the preview. Control bytes never reach the wire.
    """
    if charset == "GB18030" and any(ord(ch) > 0xFFFF for ch in text):
        return None
    if any(ord(ch) >= 0x80 and char_width(ch) != 2 for ch in text):
        return None
    try:
        data = text.encode(CHARSETS[charset])
    except UnicodeEncodeError:
        return None
    return None if any(b < 0x20 or b == 0x7F for b in data) else data


def raster_bytes(img: Image.Image, band: int | None = RASTER_BAND) -> bytes:
    """``GS v 0`` images of a drawing (grey "L", turned into dots), ``band`` dots tall each.

    Each band is cut after its last inked byte on the right (at least one byte wide): a blank
    band costs a few bytes instead of a whole row of paper. That is exact only when the image is
    printed left-aligned, so callers send ``ESC a 0`` first (``_raster``).
    """
    bits = ImageOps.invert(to_ink(img)).convert("1", dither=Image.Dither.NONE)  # 1 = ink
    band = band or bits.height
    out = bytearray()
    for top in range(0, bits.height, band):
        piece = bits.crop((0, top, bits.width, min(bits.height, top + band)))
        box = piece.getbbox()
        wb = max(1, math.ceil(box[2] / 8)) if box else 1
        piece = piece.crop((0, 0, wb * 8, piece.height))
        h = piece.height
        out += GS_RASTER + bytes((0, wb & 0xFF, wb >> 8, h & 0xFF, h >> 8)) + piece.tobytes()
    return bytes(out)


def _raster(p: Escpos, img: Image.Image, band: int | None = RASTER_BAND) -> None:
    p._raw(ESC_ALIGN_LEFT + raster_bytes(img, band))


def _text(p: Escpos, line: Text, width_dots: int, charset: str) -> None:
    data = encodable(line.text, charset)
    if data is None:  # one image per line: the same drawing the preview makes of it
        img = render_text_line(
            line.text,
            width_dots,
            size_w=line.size,
            size_h=line.size,
            bold=line.bold,
            align=line.align,
        )
        _raster(p, img, band=None)
        return
    p.set(
        align=line.align.value, bold=line.bold, custom_size=True, width=line.size, height=line.size
    )
    # FS ! sets the size of Chinese characters on printers where GS ! sizes only ASCII
    fs_size = b"\x1c!" + bytes((0x0C if line.size > 1 else 0,))
    p._raw(fs_size + FS_CHINESE_ON + data + b"\n")


def encode_layout(
    lines: list[LayoutLine],
    *,
    width_dots: int,
    charset: str,
    qr_mode: QrMode,
    mode: PrintMode = PrintMode.TEXT,
) -> list[bytes]:
    """ESC/POS bytes for each layout line (the first block also initialises the printer)."""
    p = Dummy()
    blocks: list[bytes] = []
    p.hw("INIT")
    p._raw(ESC_LINE_SPACING_DEFAULT)
    for line in lines:
        if isinstance(line, Cut):
            p.set(align="left", bold=False, custom_size=True, width=1, height=1)
            p.cut()
        elif mode is PrintMode.RASTER or (isinstance(line, Qr) and qr_mode is QrMode.IMAGE):
            for img in line_images(line, width_dots):
                _raster(p, img)
        else:
            match line:
                case Text():
                    _text(p, line, width_dots, charset)
                case Rule():
                    _text(p, Text("─" * (columns(width_dots) // 2)), width_dots, charset)
                case Feed():
                    p.print_and_feed(line.lines)
                case Qr():
                    p.set(align="center")
                    p.qr(line.content, ec=_EC[line.ec], size=line.module, native=True)
                    p._raw(b"\n")
                    p.set(align="left")
        blocks.append(p.output)
        p.clear()
    return blocks


def encode_document(
    document: Document,
    *,
    width_dots: int = 576,
    charset: str = "GB18030",
    qr_mode: QrMode | str = QrMode.NATIVE,
    mode: PrintMode | str = PrintMode.TEXT,
) -> list[bytes]:
    """The bytes of ``document``, block by layout line (what print_job sends, status aside)."""
    lines = layout_document(document, width_dots)
    return encode_layout(
        lines, width_dots=width_dots, charset=charset, qr_mode=QrMode(qr_mode), mode=PrintMode(mode)
    )


def chunks(data: bytes, limit: int, parts: int = 6) -> list[bytes]:
    """A job in a few sends, so progress moves while the printer is fed; no send longer than
    ``limit`` bytes, so a slow line finishes each one well within the write timeout."""
    size = max(1, min(limit, math.ceil(len(data) / parts)))
    return [data[i : i + size] for i in range(0, len(data), size)]


# --- connections ---------------------------------------------------------------------------------


class PrinterIo(Protocol):
    """One open connection to a printer, whatever carries it."""

    def write(self, data: bytes) -> None: ...

    def read(self, timeout: float) -> bytes:
        """What arrives within ``timeout`` seconds; b"" on silence; raises when the link is gone."""
        ...

    def drain(self) -> None:
        """Drop late replies, so one is never taken for the answer to the next query."""
        ...

    def close(self) -> None: ...


Opener = Callable[[PrinterConfig], PrinterIo]


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class _SocketIo:
    def __init__(self, conn: Network, timeout: float) -> None:
        self.conn, self.sock, self.timeout = conn, conn.device, timeout

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self, timeout: float) -> bytes:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(16)
        except TimeoutError:
            return b""
        finally:
            self.sock.settimeout(self.timeout)
        if not data:
            raise ConnectionError("printer closed the connection")
        return data

    def drain(self) -> None:
        self.sock.setblocking(False)
        try:
            while True:
                if not self.sock.recv(256):
                    raise ConnectionError("printer closed the connection")
        except BlockingIOError:
            pass
        finally:
            self.sock.settimeout(self.timeout)

    def close(self) -> None:
        self.conn.close()


class _SerialIo:
    def __init__(self, conn: Serial, timeout: float) -> None:
        self.conn, self.port, self.timeout = conn, conn.device, timeout
        self.port.write_timeout = timeout  # python-escpos sets none: a stall would hang forever

    def write(self, data: bytes) -> None:
        self.port.write(data)

    def read(self, timeout: float) -> bytes:
        self.port.timeout = timeout
        try:
            data = self.port.read(1)  # read(16) would wait out the timeout for 16 bytes
            return data + self.port.read(self.port.in_waiting) if data else data
        finally:
            self.port.timeout = self.timeout

    def drain(self) -> None:
        self.port.reset_input_buffer()

    def close(self) -> None:
        self.conn.close()


class _UsbIo:
    """Bulk endpoints through pyusb, every transfer with a timeout (Usb(timeout=0) waits forever).

    Untested on a real printer here (none is attached); the path through pyusb and libusb to
    "no such device" is tested.
    """

    def __init__(self, conn: Escpos, timeout: float) -> None:
        import usb.core  # pyusb: only where a USB printer is configured

        self._usb_error = usb.core.USBError
        self._timeout_error = getattr(usb.core, "USBTimeoutError", ())  # pyusb ≥ 1.2
        self.conn, self.dev, self.timeout = conn, conn.device, timeout

    def write(self, data: bytes) -> None:
        self.dev.write(self.conn.out_ep, data, _ms(self.timeout))

    def read(self, timeout: float) -> bytes:
        try:
            # 64: a whole full-speed bulk packet; a smaller buffer overflows on a long reply
            return bytes(self.dev.read(self.conn.in_ep, 64, _ms(timeout)))
        except self._usb_error as e:
            if (self._timeout_error and isinstance(e, self._timeout_error)) or e.errno in (
                60,
                110,
            ):
                return b""
            raise

    def drain(self) -> None:
        for _attempt in range(8):
            if not self.read(0.005):
                return

    def close(self) -> None:
        self.conn.close()  # usb.util.dispose_resources: releases the interface


def open_io(config: PrinterConfig) -> PrinterIo:
    """Open the printer named by ``config`` through python-escpos; raises when it cannot."""
    c = config
    conn: Escpos
    match c.transport:
        case Transport.TCP:
            conn = Network(c.host, c.port, timeout=c.timeout)
            conn.open()
            return _SocketIo(conn, c.timeout)
        case Transport.SERIAL:
            conn = Serial(c.device, baudrate=c.baud, timeout=c.timeout, dsrdtr=c.dsrdtr)
            conn.open()
            return _SerialIo(conn, c.timeout)
        case Transport.USB:
            from escpos.printer import Usb  # its open() needs pyusb, imported only here

            conn = Usb(
                c.vendor_id,
                c.product_id,
                timeout=_ms(c.timeout),
                in_ep=c.in_ep,
                out_ep=c.out_ep,
            )
            conn.open()
            try:
                return _UsbIo(conn, c.timeout)
            except Exception:
                with contextlib.suppress(Exception):
                    conn.close()
                raise
    raise ValueError(f"unknown transport {c.transport!r}")


BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0)  # seconds before the next open after 1, 2, 3 … failures


class PrinterUnreachable(ConnectionError):
    """The last attempt to open failed and the next one is not due yet."""

    def __init__(self, wait: float, last_error: str) -> None:
        super().__init__(f"{last_error} (next attempt in {wait:.1f} s)")
        self.wait = wait


class Link:
    """The connection to the printer, and when to try again after it failed.

    ``keep_open``: one connection serves every job and query until it fails (USB); otherwise a
    fresh one is opened for each and closed after it. A connection that failed is closed and
    dropped for good; the next ``acquire`` builds a fresh instance at once. An attempt to open
    that fails schedules the next one BACKOFF[n] seconds later; until then ``acquire`` raises
    PrinterUnreachable without touching the device. Not thread-safe: the driver holds its lock.
    """

    def __init__(
        self,
        opener: Callable[[], PrinterIo],
        *,
        keep_open: bool,
        clock: Callable[[], float] = time.monotonic,
        backoff: tuple[float, ...] = BACKOFF,
    ) -> None:
        self._opener = opener
        self.keep_open = keep_open
        self._clock = clock
        self._backoff = backoff
        self._io: PrinterIo | None = None
        self.failures = 0  # failed opens in a row
        self.opened = 0  # connections opened so far (each a fresh instance)
        self._next_try = 0.0
        self.last_error = ""
        self.answered = False  # the current connection has answered a status query

    @property
    def current(self) -> PrinterIo | None:
        return self._io

    def acquire(self) -> tuple[PrinterIo, bool]:
        """The connection, and whether it was already open (it may have gone stale since)."""
        if self._io is not None:
            return self._io, True
        wait = self._next_try - self._clock()
        if wait > 0:
            raise PrinterUnreachable(wait, self.last_error)
        try:
            io = self._opener()
        except Exception as e:
            self.failures += 1
            self._next_try = (
                self._clock() + self._backoff[min(self.failures, len(self._backoff)) - 1]
            )
            self.last_error = f"{type(e).__name__}: {e}"
            raise
        if self.failures:
            log.info("printer reachable again after %d failed attempts", self.failures)
        self.failures, self._next_try, self.last_error = 0, 0.0, ""
        self._io = io
        self.answered = False
        self.opened += 1
        return io, False

    def release(self) -> None:
        """The operation went well: keep the connection, or close it."""
        if not self.keep_open:
            self._drop()

    def broken(self) -> None:
        """The connection failed (or cannot be trusted): close it; the next one is fresh."""
        self._drop()

    def close(self) -> None:
        self._drop()

    def _drop(self) -> None:
        io, self._io = self._io, None
        if io is None:
            return
        try:
            io.close()
        except Exception:  # closing a broken connection may fail; it is gone either way
            log.debug("closing the printer connection failed", exc_info=True)


# --- the driver ----------------------------------------------------------------------------------


AFTER_JOB_TIMEOUT = 3.0  # seconds: the first status answer after a job may wait for it
SEND_LIMIT = 16384  # bytes per send on TCP and USB


class EscposPrinter:
    """A kiosk.devices.Printer on an ESC/POS printer; thread-safe, one job at a time.

    ``opener`` and ``clock`` exist for tests of the connection policy (a fake printer link).
    """

    def __init__(
        self,
        url: str,
        *,
        width_dots: int | None = None,
        charset: str | None = None,
        qr_mode: str | None = None,
        mode: str | None = None,
        timeout: float | None = None,
        status_timeout: float | None = None,
        opener: Opener | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = parse_printer_url(
            url,
            width_dots=width_dots,
            charset=charset,
            qr_mode=qr_mode,
            mode=mode,
            timeout=timeout,
            status_timeout=status_timeout,
        )
        open_ = opener or open_io
        self._link = Link(
            lambda: open_(self.config),
            keep_open=self.config.transport is Transport.USB,
            clock=clock,
        )
        self._lock = threading.Lock()
        self.last_status: DeviceStatus | None = None  # from the last query, before or after a job

    def __repr__(self) -> str:
        return f"EscposPrinter({self.config.describe()})"

    @property
    def link(self) -> Link:
        return self._link

    # status

    def _replies(self, io: PrinterIo, first_timeout: float | None = None) -> list[int | None]:
        """DLE EOT 1, 2, 4. ``first_timeout``: a printer still taking in a job answers later."""
        replies: list[int | None] = []
        for n in (1, 2, 4):
            io.drain()
            io.write(DLE_EOT + bytes((n,)))
            data = io.read(
                first_timeout if n == 1 and first_timeout else self.config.status_timeout
            )
            if not data:
                # Silence: stop asking, or a late answer would be read as the next one.
                return replies + [None] * (3 - len(replies))
            replies.append(data[0])
        return replies

    def _ask(self) -> DeviceStatus:
        """Status on the link's connection. A kept connection that fails, or that answered before
        and falls silent, may be stale (a power-cycled USB printer): it is dropped and the
        question asked once more on a fresh instance. Safe: a query, unlike a job, may be
        repeated. A fresh connection that is silent is kept: the printer is silent, not the
        handle (a one-way printer must not be reset by a reopen at every poll)."""
        for attempt in (1, 2):
            io, reused = self._link.acquire()
            try:
                replies = self._replies(io)
                if torn(*replies):  # the state changed between the questions: ask again
                    replies = self._replies(io)
            except Exception as e:
                self._link.broken()
                if not reused or attempt == 2:
                    raise
                log.info("printer connection stale (%s): opening a fresh one", type(e).__name__)
                continue
            if replies[0] is not None:
                self._link.answered = True
            elif reused and self._link.answered and attempt == 1:
                log.info("kept printer connection fell silent: opening a fresh one")
                self._link.broken()
                continue
            return decode_status(*replies)
        raise AssertionError("unreachable")

    def status(self) -> DeviceStatus:
        """Ask the printer (DLE EOT 1, 2, 4); never raises."""
        with self._lock:
            try:
                st = self._ask()
            except Exception as e:
                st = self._unreachable(e)
            else:
                self._link.release()
            self.last_status = st
            return st

    def _unreachable(self, e: BaseException) -> DeviceStatus:
        if not isinstance(e, PrinterUnreachable):
            level = logging.WARNING if self._link.failures <= 1 else logging.DEBUG
            log.log(level, "printer %s unreachable: %s", self.config.describe(), type(e).__name__)
        return DeviceStatus(
            DeviceKind.PRINTER,
            DeviceState.NO_DEVICE,
            detail=" ".join(f"{self.config.describe()}: {type(e).__name__}: {e}".split())[:200],
        )

    # printing

    def encode(self, document: Document) -> list[bytes]:
        """The bytes this printer's configuration makes of ``document``, block by layout line."""
        c = self.config
        return encode_document(
            document, width_dots=c.width_dots, charset=c.charset, qr_mode=c.qr_mode, mode=c.mode
        )

    def _send_limit(self) -> int:
        c = self.config
        if c.transport is Transport.SERIAL:  # half the write timeout's worth of line time
            return max(256, int(c.baud / 10 * c.timeout / 2))
        return SEND_LIMIT

    def print_job(self, job: PrintJob, progress: Callable[[float], None] | None = None) -> None:
        """Print one job or raise PrintError; checks status before and after, never retries.

        The same job printed twice prints twice: a reprint is the citizen's request, and the
        driver keeps no memory of job ids to dedupe it away.
        """
        try:
            data = b"".join(self.encode(job.document))
        except Exception as e:
            log.exception("job %s: layout failed", job.job_id)
            raise PrintError(_("证明排版失败，请联系工作人员。"), started=False) from e
        parts = chunks(data, self._send_limit())
        with self._lock:
            try:
                before = self._ask()
            except Exception as e:
                status = self._unreachable(e)
                self.last_status = status
                raise PrintError(citizen_message(status), status, started=False) from e
            self.last_status = before
            io = self._link.current
            if not before.usable or io is None:
                self._link.release()
                log.warning("job %s refused: %s", job.job_id, before.detail)
                raise PrintError(citizen_message(before), before, started=False)
            sent = 0
            try:
                for part in parts:
                    io.write(part)
                    sent += len(part)
                    self._report(progress, 0.95 * sent / len(data))
                replies = self._replies(io, AFTER_JOB_TIMEOUT)
            except Exception as e:
                self._link.broken()
                log.warning(
                    "job %s broke off after %d of %d bytes: %s",
                    job.job_id,
                    sent,
                    len(data),
                    type(e).__name__,
                )
                raise PrintError(BROKEN_OFF, started=True) from e
            after = decode_status(*replies)
            self.last_status = after
            if replies[0] is None and self._link.keep_open:
                self._link.broken()
            else:
                self._link.release()
            if not after.usable or after.paper is Paper.UNKNOWN:
                log.warning("job %s: printer after the job: %s", job.job_id, after.detail)
                raise PrintError(
                    _("打印可能未完成：{why}").format(why=citizen_message(after)),
                    after,
                    started=True,
                )
            log.info("job %s printed (%d bytes, paper %s)", job.job_id, len(data), after.paper)
            self._report(progress, 1.0)

    @staticmethod
    def _report(progress: Callable[[float], None] | None, fraction: float) -> None:
        if progress is None:
            return
        try:
            progress(fraction)
        except Exception:  # a broken progress display must not break the print
            log.exception("progress callback failed")

    def close(self) -> None:
        """Close a kept connection (USB); TCP and serial hold none between jobs."""
        with self._lock:
            self._link.close()
