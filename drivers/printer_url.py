"""Printer URLs: where a printer is and how to talk to it, checked without loading python-escpos.

Kept apart from the driver so that the configuration can be checked at start while the
ESC/POS stack (python-escpos loads its printer database, ~0.3 s) is imported later, off the
UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from urllib.parse import parse_qsl, unquote, urlsplit

CHARSETS = {"GB18030": "gb18030", "GBK": "gbk", "GB2312": "gb2312"}


class Transport(StrEnum):
    TCP = "tcp"
    USB = "usb"
    SERIAL = "serial"


class QrMode(StrEnum):
    NATIVE = "native"  # GS ( k: the printer draws the code (small, sharp, fast)
    IMAGE = "image"  # drawn here and sent as a raster: for printers without GS ( k


class PrintMode(StrEnum):
    TEXT = "text"  # FS & and the printer's own Chinese font: small jobs, fast on any link
    RASTER = "raster"  # the whole page drawn here with the CJK font: exactly the preview


class InvalidPrinterUrl(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class PrinterConfig:
    transport: Transport
    host: str = ""
    port: int = 9100
    vendor_id: int = 0
    product_id: int = 0
    in_ep: int = 0x82
    out_ep: int = 0x01
    device: str = ""
    baud: int = 9600
    dsrdtr: bool = True
    width_dots: int = 576
    charset: str = "GB18030"
    qr_mode: QrMode = QrMode.NATIVE
    mode: PrintMode = PrintMode.TEXT
    timeout: float = 10.0  # connect and write
    status_timeout: float = 0.5  # one DLE EOT reply

    def describe(self) -> str:
        """Where the printer is, for technicians' logs."""
        match self.transport:
            case Transport.TCP:
                return f"escpos+tcp://{self.host}:{self.port}"
            case Transport.USB:
                return f"escpos+usb://{self.vendor_id:#06x}:{self.product_id:#06x}"
            case Transport.SERIAL:
                return f"escpos+serial://{self.device}?baud={self.baud}"
        return str(self.transport)


_OPTIONS = {
    "width_dots": ("width_dots", int),
    "width": ("width_dots", int),
    "charset": ("charset", str),
    "qr_mode": ("qr_mode", QrMode),
    "qr": ("qr_mode", QrMode),
    "mode": ("mode", PrintMode),
    "timeout": ("timeout", float),
    "status_timeout": ("status_timeout", float),
    "baud": ("baud", int),
    "dsrdtr": ("dsrdtr", lambda v: str(v).lower() in ("1", "true", "yes", "on")),
    "in_ep": ("in_ep", lambda v: int(str(v), 0)),
    "out_ep": ("out_ep", lambda v: int(str(v), 0)),
}


def parse_printer_url(url: str, **overrides: object) -> PrinterConfig:
    """Read a printer URL; keyword ``overrides`` (same names as the query options) win."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not scheme.startswith("escpos+"):
        raise InvalidPrinterUrl(f"not an ESC/POS printer URL: {url!r}")
    try:
        transport = Transport(scheme.removeprefix("escpos+"))
    except ValueError:
        raise InvalidPrinterUrl(f"unknown printer transport {scheme!r} in {url!r}") from None
    values: dict[str, object] = {"transport": transport}
    try:
        match transport:
            case Transport.TCP:
                if not parts.hostname:
                    raise InvalidPrinterUrl(f"no host in {url!r}")
                values["host"] = parts.hostname
                values["port"] = parts.port or 9100
            case Transport.USB:
                vid, _, pid = parts.netloc.partition(":")
                values["vendor_id"] = int(vid, 16)
                values["product_id"] = int(pid, 16)
            case Transport.SERIAL:
                if not parts.path:
                    raise InvalidPrinterUrl(f"no device path in {url!r}")
                values["device"] = unquote(parts.path)
        for key, raw in [*parse_qsl(parts.query), *overrides.items()]:
            if raw is None:
                continue
            if key not in _OPTIONS:
                raise InvalidPrinterUrl(f"unknown printer option {key!r} in {url!r}")
            name, convert = _OPTIONS[key]
            values[name] = convert(raw)
    except ValueError as e:
        if isinstance(e, InvalidPrinterUrl):
            raise
        raise InvalidPrinterUrl(f"bad printer URL {url!r}: {e}") from None
    config = PrinterConfig(**values)  # type: ignore[arg-type]
    if not 192 <= config.width_dots <= 832 or config.width_dots % 8:
        raise InvalidPrinterUrl(f"width_dots must be 384 or 576 (got {config.width_dots})")
    if config.charset.upper() not in CHARSETS:
        raise InvalidPrinterUrl(f"charset must be one of {sorted(CHARSETS)}, got {url!r}")
    return replace(config, charset=config.charset.upper())
