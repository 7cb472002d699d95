"""Devices by address: from a parsed address (kiosk.addresses) to its driver.

The schemes, their options, types and defaults are declared in kiosk.addresses, which the
configuration check reads too; this module only maps a scheme's family to a driver, imported
when it is first needed (python-escpos must not be imported at start). Demo mode differs from
production only in the addresses it hands out (a pseudo-terminal instead of /dev/ttyUSB0, a
loopback port instead of the printer's address). Serial devices get ``Address.serial_port``,
which pyserial's ``serial_for_url`` opens: a local path, rfc2217://, or spy://.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from drivers import escpos_cache
from drivers.printer_url import InvalidPrinterUrl, parse_printer_url
from kiosk import addresses
from kiosk.addresses import Address, AddressError
from kiosk.config import Config, reader_names
from kiosk.devices import CardReader, DeviceKind, DeviceState, DeviceStatus, Printer, PrintJob
from kiosk.events import DeviceChanged


def open_card_reader(url: str | Address, name: str = "", **options) -> CardReader:
    """The card reader an address names; ``options`` go to the driver as they are (a
    technician's tool adds with_fingerprint, the tests their short timeouts)."""
    address = _address(url, DeviceKind.CARD_READER)
    if address.scheme.family == "sam":
        from drivers.sam_reader import SamReader

        settings = {"baud": address["baud"], "poll_interval": address["poll"]} | options
        return SamReader(address.serial_port, name=name or "sam", **settings)
    if address.scheme.family == "pcsc":
        from drivers.pcsc_reader import PcscReader

        return PcscReader(reader_filter=address["reader"], name=name or "pcsc", **options)
    raise AddressError(address.text, f"no card reader driver for {address.scheme.name}")


def _address(url: str | Address, kind: DeviceKind) -> Address:
    return url if isinstance(url, Address) else addresses.parse(url, kind=kind)


class CardReaders:
    """Several card readers as one: each event is tagged with the reader it came from.

    A kiosk may have a SAM reader for ID cards and a PC/SC reader for social-security cards;
    the journey ends a session only when the session's own card leaves its own reader.
    """

    def __init__(self, readers: dict[str, CardReader], urls: dict[str, str] | None = None) -> None:
        self.readers = readers
        self.urls = urls or {}  # each reader's address, to see which one a change concerns
        self._post = None

    def start(self, post) -> None:
        self._post = post
        for name, reader in self.readers.items():
            self._start(name, reader)

    def _start(self, name: str, reader: CardReader) -> None:
        post = self._post
        reader.start(lambda event: post(_tagged(event, name)))

    def stop(self) -> None:
        for reader in self.readers.values():
            reader.stop()

    def reopen(self, urls: tuple[str, ...]) -> tuple[str, ...]:
        """The readers at these addresses: a reader whose address changed is stopped (its port
        closed) before its successor starts, the others read on undisturbed. Returns the
        readers' names now."""
        names = reader_names(urls)
        wanted = dict(zip(names, urls, strict=True))
        changed = [n for n in self.readers if self.urls.get(n) != wanted.get(n)]
        for name in changed:
            self.readers.pop(name).stop()
        for name, url in wanted.items():
            if name not in self.readers:
                reader = open_card_reader(url, name)
                self.readers[name] = reader
                if self._post is not None:
                    self._start(name, reader)
        self.readers = {n: self.readers[n] for n in names}  # in the configuration's order
        self.urls = wanted
        return tuple(names)


def _tagged(event: object, name: str) -> object:
    if isinstance(event, DeviceChanged) and not event.status.source:
        return DeviceChanged(replace(event.status, source=name))
    if hasattr(event, "reader") and not event.reader:
        return replace(event, reader=name)
    return event


def open_card_readers(urls: tuple[str, ...]) -> CardReaders:
    named = dict(zip(reader_names(urls), urls, strict=True))
    return CardReaders({name: open_card_reader(url, name) for name, url in named.items()}, named)


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

    def swap(self, factory: Callable[[], Printer]) -> None:
        """Another printer from now on (a new address): the old driver is closed, the new one
        built on its first use, like the first."""
        with self._lock:
            old, self._printer, self._factory = self._printer, None, factory
        if old is not None:
            old.close()


def open_printer(config: Config) -> LazyPrinter:
    return LazyPrinter(_printer_factory(config))


def _printer_factory(config: Config) -> Callable[[], Printer]:
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
        raise AddressError(url, str(exc)) from None
    # here, on the starting thread, before python-escpos is imported on the printer's
    escpos_cache.keep_in(escpos_cache.in_data_dir(config.data_dir))

    def build() -> Printer:
        from drivers.escpos_printer import EscposPrinter

        return EscposPrinter(url, **options)

    return build


def check_device_urls(config: Config) -> None:
    """Build every driver from its address, before the kiosk opens anything.

    kiosk.config has read every address already; building a driver does no I/O (ports open on
    their own threads later), so this builds and drops them, a second line behind the check.
    """
    open_card_readers(config.devices.card_readers)
    open_printer(config)
    open_scanner(config.devices.qr_scanner)


class WedgeScanner:
    """A keyboard-wedge scanner: it types into the window (the UI feeds its keys to
    kiosk.wedge), and a keyboard cannot be asked whether it is there. It reports the one state
    it can claim, once, so the journey knows a scanner is configured (证明核验 stays offered)."""

    STATUS = DeviceStatus(
        DeviceKind.QR_SCANNER,
        DeviceState.ONLINE,
        detail="keyboard wedge: types into the window; its state cannot be asked",
        source="wedge",
    )

    def start(self, post) -> None:
        post(DeviceChanged(self.STATUS))

    def stop(self) -> None:
        pass


def open_scanner(url: str | Address, **options) -> CardReader | None:
    """A serial QR scanner runs its own thread; a keyboard wedge (qr+wedge:) only reports its
    status (WedgeScanner). None when no scanner is configured."""
    if not url:
        return None
    address = _address(url, DeviceKind.QR_SCANNER)
    if address.scheme.name == "qr+wedge":
        return WedgeScanner()
    from drivers.qr_serial import SerialQrScanner

    settings = {"baud": address["baud"], "terminators": address["end"]} | options
    return SerialQrScanner(address.serial_port, name="qr", **settings)


def reopen(runtime, config: Config, kind: DeviceKind) -> tuple[str, ...]:
    """The runtime's drivers of ``kind`` reopened at the addresses of ``config`` (the technician
    changed one), without a restart; returns the names they report their status under. Off the
    UI thread: stopping a reader waits for its thread."""
    if kind is DeviceKind.CARD_READER:
        return runtime.card_reader.reopen(config.devices.card_readers)
    if kind is DeviceKind.PRINTER:
        runtime.printer.swap(_printer_factory(config))
        return ("",)
    old, new = runtime.scanner, open_scanner(config.devices.qr_scanner)
    if old is not None:
        old.stop()
    runtime.scanner = new
    if new is None:
        return ()
    new.start(runtime.post)
    return (new.STATUS.source,) if isinstance(new, WedgeScanner) else (new.name,)
