"""Printer URLs: where a printer is and how to talk to it, checked without loading python-escpos.

The schemes (escpos+tcp, escpos+serial, escpos+usb), their options, types and defaults are
declared in kiosk.addresses with every other device's; this module turns a parsed address into
the driver's settings. Kept apart from the driver so that the configuration can be checked at
start while the ESC/POS stack (python-escpos loads its printer database, ~0.3 s) is imported
later, off the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiosk.addresses import AddressError
from kiosk.addresses import parse as parse_address
from kiosk.devices import DeviceKind

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


def parse_printer_url(url: str, **overrides: object) -> PrinterConfig:
    """Read a printer URL through the registry of addresses (kiosk.addresses); keyword
    ``overrides`` (option names, typed values; None is skipped) win over the query."""
    try:
        address = parse_address(url, kind=DeviceKind.PRINTER, overrides=overrides)
    except AddressError as exc:
        raise InvalidPrinterUrl(str(exc)) from None
    v = address.values
    transport = Transport(address.scheme.transport)
    where: dict[str, object] = {}
    match transport:
        case Transport.TCP:
            where = {"host": address.host, "port": address.port}
        case Transport.USB:
            where = {"vendor_id": address.vendor_id, "product_id": address.product_id}
            where |= {"in_ep": v["in_ep"], "out_ep": v["out_ep"]}
        case Transport.SERIAL:
            where = {"device": address.path, "baud": v["baud"], "dsrdtr": v["dsrdtr"]}
    return PrinterConfig(
        transport=transport,
        width_dots=v["width_dots"],
        charset=v["charset"],
        qr_mode=QrMode(v["qr_mode"]),
        mode=PrintMode(v["mode"]),
        timeout=v["timeout"],
        status_timeout=v["status_timeout"],
        **where,  # type: ignore[arg-type]
    )
