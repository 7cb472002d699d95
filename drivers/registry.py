"""Devices by URL: one small table from scheme to driver.

Demo mode differs from production only in the URLs it hands out (a pseudo-terminal instead of
/dev/ttyUSB0, a loopback port instead of the printer's address).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

from kiosk.config import Config
from kiosk.devices import CardReader, Printer


class DeviceUrlError(ValueError):
    pass


def open_card_reader(url: str) -> CardReader:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if parts.scheme == "sam+serial":
        from drivers.sam_reader import SamReader

        port = unquote(parts.path)
        if not port:
            raise DeviceUrlError(f"card reader {url!r}: no serial port path")
        try:
            baud = int(query.get("baud", "115200"))
            poll = float(query.get("poll", "0.15"))
        except ValueError as exc:
            raise DeviceUrlError(f"card reader {url!r}: {exc}") from None
        return SamReader(port, baud=baud, poll_interval=poll)
    raise DeviceUrlError(f"card reader {url!r}: scheme {parts.scheme!r} is not supported yet")


def open_printer(config: Config) -> Printer:
    url = config.devices.printer
    if url.startswith("escpos+"):
        from drivers.escpos_printer import EscposPrinter, InvalidPrinterUrl

        try:
            return EscposPrinter(
                url,
                width_dots=config.printer.width_dots,
                charset=config.printer.charset,
                qr_mode=config.printer.qr,
            )
        except InvalidPrinterUrl as exc:
            raise DeviceUrlError(str(exc)) from None
    raise DeviceUrlError(f"printer {url!r}: scheme is not supported")
