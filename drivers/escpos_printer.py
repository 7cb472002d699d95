"""ESC/POS thermal printers through python-escpos 3.1: certificates and receipts on paper.

Chinese text goes out the way Chinese printers take it: ``FS &`` (Chinese mode) and the text
encoded in the charset the printer is configured for, sent with ``_raw``. python-escpos's
``text()`` is avoided on purpose: its MagicEncode prints full-width punctuation and characters
outside U+4E00–U+9FA5 as "?" (upstream #190, #269, #491). A line the charset cannot encode (䶮
in GBK) is drawn with the CJK font and sent as a raster image, so no character becomes "?".

The printer is named by URL (see ``parse_printer_url``)::

    escpos+tcp://192.168.1.50:9100?width_dots=576&charset=GB18030&qr_mode=native&timeout=10
    escpos+usb://0x0416:0x5011?in_ep=0x81&out_ep=0x03        (needs pyusb)
    escpos+serial:///dev/ttyS0?baud=115200&dsrdtr=1

A connection is opened for each job or status query and closed after it: a printer that was
power-cycled, unplugged or restarted is met by a fresh connection every time (python-escpos
#437, #459), and nothing is ever retried on its own (a refilled printer must not reprint).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from escpos.constants import QR_ECLEVEL_H, QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q
from escpos.escpos import Escpos
from escpos.printer import Dummy, Network, Serial

from drivers.printer_url import (
    CHARSETS,
    QrMode,
    Transport,
    parse_printer_url,
)
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Paper, PrintError, PrintJob
from kiosk.document import Document
from kiosk.print_layout import (
    Cut,
    Feed,
    LayoutLine,
    Qr,
    Rule,
    Text,
    columns,
    layout_document,
    render_text_line,
)

log = logging.getLogger("drivers.printer")

FS_CHINESE_ON = b"\x1c\x26"  # FS &
DLE_EOT = b"\x10\x04"
_EC = {"L": QR_ECLEVEL_L, "M": QR_ECLEVEL_M, "Q": QR_ECLEVEL_Q, "H": QR_ECLEVEL_H}


# --- status --------------------------------------------------------------------------------------


def valid_status_byte(b: int) -> bool:
    """A DLE EOT reply has bits 1 and 4 set and bits 0 and 7 clear (0xx1xx10)."""
    return (b & 0x93) == 0x12


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


def citizen_message(status: DeviceStatus) -> str:
    """What the screen says when the printer cannot take a job (plain words, who can help)."""
    if status.state is DeviceState.NO_DEVICE:
        return "打印机未连接，暂时无法打印，请联系工作人员。"
    if status.cover_open:
        return "打印机盖未关好，请联系工作人员处理。"
    if status.paper is Paper.OUT:
        return "打印纸已用完，请联系工作人员更换打印纸。"
    if status.paper is Paper.JAMMED:
        return "打印机卡纸，请联系工作人员处理。"
    if status.state is DeviceState.HARDWARE_ERROR:
        return "打印机故障，请联系工作人员。"
    return "打印机暂时无响应，请联系工作人员。"


# --- bytes of a job ------------------------------------------------------------------------------


def encodable(text: str, charset: str) -> bytes | None:
    """``text`` in the printer's charset, or None when it must go out as a bitmap.

    GB18030 printers carry glyphs for the BMP part (2-byte and Ext-A); supplementary-plane
    characters (𠮷 U+20BB7) are drawn instead. Control bytes never reach the wire as text.
    """
    if charset == "GB18030" and any(ord(ch) > 0xFFFF for ch in text):
        return None
    try:
        data = text.encode(CHARSETS[charset])
    except UnicodeEncodeError:
        return None
    return None if any(b < 0x20 or b == 0x7F for b in data) else data


def _buffer(width_dots: int) -> Dummy:
    """A python-escpos buffer whose profile knows the paper width (for image centring)."""
    p = Dummy()
    data = dict(p.profile.profile_data)
    data["media"] = {"dpi": 203, "width": {"mm": width_dots // 8, "pixels": width_dots}}
    p.profile.profile_data = data  # instance attribute: the shared profile class stays as is
    return p


def _text(p: Escpos, line: Text, width_dots: int, charset: str) -> None:
    data = encodable(line.text, charset)
    if data is None:
        img = render_text_line(
            line.text,
            width_dots,
            size_w=line.size,
            size_h=line.size,
            bold=line.bold,
            align=line.align,
        )
        p.set(align="left")
        p.image(img.point(lambda v: 255 if v > 150 else 0), impl="bitImageRaster")
        return
    p.set(
        align=line.align.value, bold=line.bold, custom_size=True, width=line.size, height=line.size
    )
    p._raw(FS_CHINESE_ON + data + b"\n")


def encode_layout(
    lines: list[LayoutLine], *, width_dots: int, charset: str, qr_mode: QrMode
) -> list[bytes]:
    """ESC/POS bytes for each layout line (the first block also initialises the printer)."""
    p = _buffer(width_dots)
    blocks: list[bytes] = []
    p.hw("INIT")
    p._raw(b"\x1b\x32")  # default line spacing
    for line in lines:
        match line:
            case Text():
                _text(p, line, width_dots, charset)
            case Rule():
                _text(p, Text("─" * (columns(width_dots) // 2)), width_dots, charset)
            case Feed():
                p.print_and_feed(line.lines)
            case Qr():
                p.set(align="center")
                if qr_mode is QrMode.NATIVE:
                    p.qr(line.content, ec=_EC[line.ec], size=line.module, native=True)
                    p._raw(b"\n")
                else:
                    p.qr(line.content, ec=_EC[line.ec], size=line.module, native=False, center=True)
                p.set(align="left")
            case Cut():
                p.set(align="left", bold=False, custom_size=True, width=1, height=1)
                p.cut()
        blocks.append(p.output)
        p.clear()
    return blocks


def encode_document(
    document: Document,
    *,
    width_dots: int = 576,
    charset: str = "GB18030",
    qr_mode: QrMode = QrMode.NATIVE,
) -> list[bytes]:
    lines = layout_document(document, width_dots)
    return encode_layout(lines, width_dots=width_dots, charset=charset, qr_mode=qr_mode)


def _chunks(blocks: list[bytes], parts: int = 6) -> list[bytes]:
    """Group blocks into a few sends, so progress moves while the printer is fed."""
    total = sum(len(b) for b in blocks)
    target = max(1, total // parts)
    out: list[bytes] = []
    cur = bytearray()
    for b in blocks:
        cur += b
        if len(cur) >= target:
            out.append(bytes(cur))
            cur.clear()
    if cur:
        out.append(bytes(cur))
    return out


# --- the driver ----------------------------------------------------------------------------------


AFTER_JOB_TIMEOUT = 3.0  # seconds: the first status answer after a job may wait for it


class EscposPrinter:
    """A kiosk.devices.Printer on an ESC/POS printer; thread-safe, one job at a time."""

    def __init__(
        self,
        url: str,
        *,
        width_dots: int | None = None,
        charset: str | None = None,
        qr_mode: str | None = None,
        timeout: float | None = None,
        status_timeout: float | None = None,
    ) -> None:
        self.config = parse_printer_url(
            url,
            width_dots=width_dots,
            charset=charset,
            qr_mode=qr_mode,
            timeout=timeout,
            status_timeout=status_timeout,
        )
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"EscposPrinter({self.config.describe()})"

    # connection

    def _open(self) -> Escpos:
        c = self.config
        match c.transport:
            case Transport.TCP:
                conn: Escpos = Network(c.host, c.port, timeout=c.timeout)
            case Transport.SERIAL:
                conn = Serial(c.device, baudrate=c.baud, timeout=c.timeout, dsrdtr=c.dsrdtr)
            case Transport.USB:
                from escpos.printer import Usb  # needs pyusb, only where a USB printer is used

                conn = Usb(
                    c.vendor_id,
                    c.product_id,
                    timeout=max(1, int(c.timeout * 1000)),
                    in_ep=c.in_ep,
                    out_ep=c.out_ep,
                )
        conn.open()
        if c.transport is Transport.SERIAL:
            conn.device.write_timeout = c.timeout  # python-escpos sets none: a stall would hang
        return conn

    def _close_conn(self, conn: Escpos | None) -> None:
        if conn is None:
            return
        try:
            conn.close()
        except Exception:  # closing a broken connection may fail; it is gone either way
            log.debug("closing %s failed", self.config.describe(), exc_info=True)

    def _read_reply(self, conn: Escpos, timeout: float | None = None) -> bytes:
        """Whatever arrives within the timeout; b"" on silence; ConnectionError on hang-up."""
        t = timeout or self.config.status_timeout
        dev = conn.device
        match self.config.transport:
            case Transport.TCP:
                dev.settimeout(t)
                try:
                    data = dev.recv(16)
                except TimeoutError:
                    return b""
                finally:
                    dev.settimeout(self.config.timeout)
                if not data:
                    raise ConnectionError("printer closed the connection")
                return data
            case Transport.SERIAL:
                dev.timeout = t
                try:
                    data = dev.read(1)  # read(16) would wait out the timeout for 16 bytes
                    return data + dev.read(dev.in_waiting) if data else data
                finally:
                    dev.timeout = self.config.timeout
            case Transport.USB:
                import usb.core

                try:
                    return bytes(dev.read(conn.in_ep, 16, max(1, int(t * 1000))))
                except usb.core.USBTimeoutError:
                    return b""
        return b""

    def _drain(self, conn: Escpos) -> None:
        """Drop late replies, so a reply is never taken for the answer to the next query."""
        dev = conn.device
        if self.config.transport is Transport.TCP:
            dev.setblocking(False)
            try:
                while True:
                    if not dev.recv(256):
                        raise ConnectionError("printer closed the connection")
            except BlockingIOError:
                pass
            finally:
                dev.settimeout(self.config.timeout)
        elif self.config.transport is Transport.SERIAL:
            dev.reset_input_buffer()

    def _query_status(self, conn: Escpos, first_timeout: float | None = None) -> DeviceStatus:
        """DLE EOT 1, 2, 4. ``first_timeout``: a printer still taking in a job answers later."""
        replies: list[int | None] = []
        for n in (1, 2, 4):
            self._drain(conn)
            conn._raw(DLE_EOT + bytes((n,)))
            data = self._read_reply(conn, first_timeout if n == 1 else None)
            if not data:
                # Silence: stop asking, or a late answer would be read as the next one.
                replies += [None] * (3 - len(replies))
                break
            replies.append(data[0])
        return decode_status(*replies)

    # Printer protocol

    def status(self) -> DeviceStatus:
        """Ask the printer (DLE EOT 1, 2, 4) on a fresh connection; never raises."""
        with self._lock:
            conn = None
            try:
                conn = self._open()
                return self._query_status(conn)
            except Exception as e:
                return self._unreachable(e)
            finally:
                self._close_conn(conn)

    def _unreachable(self, e: BaseException) -> DeviceStatus:
        log.warning("printer %s unreachable: %s", self.config.describe(), type(e).__name__)
        return DeviceStatus(
            DeviceKind.PRINTER,
            DeviceState.NO_DEVICE,
            detail=f"{self.config.describe()}: {type(e).__name__}: {e}"[:200],
        )

    def print_job(self, job: PrintJob, progress: Callable[[float], None] | None = None) -> None:
        """Print one job or raise PrintError; checks status before and after, never retries."""
        c = self.config
        try:
            blocks = encode_document(
                job.document, width_dots=c.width_dots, charset=c.charset, qr_mode=c.qr_mode
            )
        except Exception as e:
            log.exception("job %s: layout failed", job.job_id)
            raise PrintError("证明排版失败，请联系工作人员。", started=False) from e
        chunks = _chunks(blocks)
        total = sum(len(ch) for ch in chunks)
        with self._lock:
            conn = None
            try:
                try:
                    conn = self._open()
                    before = self._query_status(conn)
                except Exception as e:
                    status = self._unreachable(e)
                    raise PrintError(citizen_message(status), status, started=False) from e
                if not before.usable:
                    log.warning("job %s refused: %s", job.job_id, before.detail)
                    raise PrintError(citizen_message(before), before, started=False)
                sent = 0
                try:
                    for chunk in chunks:
                        conn._raw(chunk)
                        sent += len(chunk)
                        self._report(progress, 0.95 * sent / total)
                    after = self._query_status(conn, AFTER_JOB_TIMEOUT)
                except Exception as e:
                    log.warning(
                        "job %s broke off after %d of %d bytes: %s",
                        job.job_id,
                        sent,
                        total,
                        type(e).__name__,
                    )
                    raise PrintError(
                        "打印中断，证明可能不完整，请联系工作人员。", started=True
                    ) from e
                if not after.usable or after.paper is Paper.UNKNOWN:
                    log.warning("job %s: printer after the job: %s", job.job_id, after.detail)
                    raise PrintError(
                        "打印可能未完成：" + citizen_message(after), after, started=True
                    )
                log.info("job %s printed (%d bytes, paper %s)", job.job_id, total, after.paper)
                self._report(progress, 1.0)
            finally:
                self._close_conn(conn)

    @staticmethod
    def _report(progress: Callable[[float], None] | None, fraction: float) -> None:
        if progress is None:
            return
        try:
            progress(fraction)
        except Exception:  # a broken progress display must not break the print
            log.exception("progress callback failed")

    def close(self) -> None:
        """Nothing to release: a connection lives only for one job or one status query."""
        with self._lock:
            pass
