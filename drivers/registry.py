"""Devices by URL: one small table from scheme to driver.

Demo mode differs from production only in the URLs it hands out (a pseudo-terminal instead of
/dev/ttyUSB0, a loopback port instead of the printer's address). Every URL is checked here at
start, so a technician sees a wrong address before the kiosk opens.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import parse_qsl, unquote, urlsplit

from drivers import escpos_cache
from drivers.printer_url import InvalidPrinterUrl, parse_printer_url
from kiosk.config import Config, reader_names
from kiosk.devices import CardReader, DeviceStatus, Printer, PrintJob
from kiosk.events import DeviceChanged


class DeviceUrlError(ValueError):
    pass


def open_card_reader(url: str, name: str = "") -> CardReader:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if parts.scheme == "sam+serial":
        from drivers.sam_reader import SamReader

        port = unquote(parts.path)
        if not port:
            raise DeviceUrlError(f"card reader {url!r}: no serial port path")
        options: dict = {"name": name or "sam"}
        try:
            baud_text = query.get("baud", "115200")
            options["baud"] = None if baud_text == "auto" else int(baud_text)  # None: probe
            if "poll" in query:
                options["poll_interval"] = float(query["poll"])
        except ValueError as exc:
            raise DeviceUrlError(f"card reader {url!r}: {exc}") from None
        return SamReader(port, **options)
    if parts.scheme == "pcsc":
        from drivers.pcsc_reader import PcscReader

        return PcscReader(reader_filter=query.get("reader", ""), name=name or "pcsc")
    raise DeviceUrlError(f"card reader {url!r}: scheme {parts.scheme!r} is not supported")


class CardReaders:
    """Several card readers as one: each event is tagged with the reader it came from.

    A kiosk may have a SAM reader for ID cards and a PC/SC reader for social-security cards;
    the journey ends a session only when the session's own card leaves its own reader.
    """

    def __init__(self, readers: dict[str, CardReader]) -> None:
        self.readers = readers

    def start(self, post) -> None:
        for name, reader in self.readers.items():
            reader.start(lambda event, name=name: post(_tagged(event, name)))

    def stop(self) -> None:
        for reader in self.readers.values():
            reader.stop()


def _tagged(event: object, name: str) -> object:
    if isinstance(event, DeviceChanged) and not event.status.source:
        return DeviceChanged(replace(event.status, source=name))
    if hasattr(event, "reader") and not event.reader:
        return replace(event, reader=name)
    return event


def open_card_readers(urls: tuple[str, ...]) -> CardReaders:
    return CardReaders(
        {
            name: open_card_reader(url, name)
            for name, url in zip(reader_names(urls), urls, strict=True)
        }
    )


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
        "mode": config.printer.mode,
    }
    try:
        parse_printer_url(url, **options)
    except InvalidPrinterUrl as exc:
        raise DeviceUrlError(str(exc)) from None
    # here, on the starting thread, before python-escpos is imported on the printer's
    escpos_cache.keep_in(escpos_cache.in_data_dir(config.data_dir))

    def build() -> Printer:
        from drivers.escpos_printer import EscposPrinter

        return EscposPrinter(url, **options)

    return LazyPrinter(build)


def check_device_urls(config: Config) -> None:
    """Read every device address as the drivers will, before the kiosk opens anything.

    Building a driver does no I/O (ports open on their own threads later), so this builds and
    drops them: one set of rules, and a wrong address stops the start with its key named.
    """
    open_card_readers(config.devices.card_readers)
    open_printer(config)
    open_scanner(config.devices.qr_scanner)


def open_scanner(url: str) -> CardReader | None:
    """A serial QR scanner runs its own thread; a keyboard wedge (qr+wedge:) has no driver
    here: the UI feeds its key events to kiosk.wedge. None when there is no serial scanner."""
    if not url or url.startswith("qr+wedge:"):
        return None
    parts = urlsplit(url)
    if parts.scheme != "qr+serial":
        raise DeviceUrlError(f"QR scanner {url!r}: scheme {parts.scheme!r} is not supported")
    from drivers.qr_serial import SerialQrScanner

    port = unquote(parts.path)
    if not port:
        raise DeviceUrlError(f"QR scanner {url!r}: no serial port path")
    query = dict(parse_qsl(parts.query))
    try:
        baud = int(query.get("baud", "115200"))
    except ValueError as exc:
        raise DeviceUrlError(f"QR scanner {url!r}: {exc}") from None
    end = query.get("end", "any")
    if end not in ("any", "cr", "lf", "crlf", "tab"):
        raise DeviceUrlError(f"QR scanner {url!r}: end must be any, cr, lf, crlf or tab")
    return SerialQrScanner(port, baud=baud, name="qr", terminators=end)
