"""Devices by URL: one small table from scheme to driver.

Demo mode differs from production only in the URLs it hands out (a pseudo-terminal instead of
/dev/ttyUSB0, a loopback port instead of the printer's address). Every URL is checked here at
start, so a technician sees a wrong address before the kiosk opens.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from drivers.printer_url import InvalidPrinterUrl, parse_printer_url
from kiosk.config import Config
from kiosk.devices import CardReader, DeviceStatus, Printer, PrintJob


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


class LazyPrinter:
    """A printer whose driver is built on first use.

    python-escpos loads its printer database when imported (~0.3 s); the first use is the
    status poll on a background thread, so the first screen does not wait for it.
    """

    def __init__(self, factory: Callable[[], Printer]) -> None:
        self._factory = factory
        self._printer: Printer | None = None
        self._lock = threading.Lock()

    def _driver(self) -> Printer:
        with self._lock:
            if self._printer is None:
                self._printer = self._factory()
            return self._printer

    def status(self) -> DeviceStatus:
        return self._driver().status()

    def print_job(self, job: PrintJob, progress=None) -> None:
        self._driver().print_job(job, progress)

    def close(self) -> None:
        if self._printer is not None:
            self._printer.close()


def open_printer(config: Config) -> Printer:
    url = config.devices.printer
    options = {
        "width_dots": config.printer.width_dots,
        "charset": config.printer.charset,
        "qr_mode": config.printer.qr,
    }
    try:
        parse_printer_url(url, **options)
    except InvalidPrinterUrl as exc:
        raise DeviceUrlError(str(exc)) from None

    def build() -> Printer:
        from drivers.escpos_printer import EscposPrinter

        return EscposPrinter(url, **options)

    return LazyPrinter(build)
