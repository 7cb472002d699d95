"""Addresses a device could have on this machine, for the technician screen's 修改: serial
ports (udev's stable names first: /dev/kiosk-*, /dev/serial/by-id/…), PC/SC readers for a card
reader, USB printers by their ids. Each candidate is a whole address, ready to apply; the
current address's scheme and options are kept where the candidate's transport matches, so
picking another port does not lose a configured baud rate.
"""

from __future__ import annotations

import glob
import logging
import os
from urllib.parse import quote, urlsplit

from kiosk import addresses
from kiosk.devices import DeviceKind

log = logging.getLogger("kiosk.discovery")

MAX_CANDIDATES = 12  # what fits the screen; udev's stable names come first
# the serial scheme of each kind, when the current address is not a serial one
SERIAL_SCHEME = {
    DeviceKind.CARD_READER: "sam+serial",
    DeviceKind.QR_SCANNER: "qr+serial",
    DeviceKind.PRINTER: "escpos+serial",
}


def serial_ports() -> list[str]:
    """Serial ports as pyserial lists them, stable names (udev links) first."""
    from serial.tools import list_ports

    try:
        found = [p.device for p in list_ports.comports(include_links=True)]
    except OSError as exc:
        log.warning("serial ports could not be listed: %s", exc)
        found = []
    stable = sorted(glob.glob("/dev/kiosk-*") + glob.glob("/dev/serial/by-id/*"))
    return list(dict.fromkeys(stable + sorted(found)))


def port_descriptions() -> dict[str, str]:
    """Serial port (and udev link) -> "USB 1a86:7523 description", as pyserial sees them."""
    from serial.tools import list_ports

    found: dict[str, str] = {}
    try:
        ports = list_ports.comports(include_links=True)
    except OSError as exc:
        log.warning("serial ports could not be listed: %s", exc)
        return found
    for port in ports:
        usb = f"USB {port.vid:04x}:{port.pid:04x} " if port.vid is not None else ""
        found[port.device] = f"{usb}{port.description}".strip()
    return found


def usb_ids(port: str) -> str:
    """ "USB 1a86:7523 …" for a local serial port on USB (by its path or a link to it), else
    "": what a technician compares with the adapter in hand."""
    try:
        real = os.path.realpath(port)
    except (OSError, ValueError):
        return ""
    ports = port_descriptions()
    what = ports.get(port) or ports.get(real) or ""
    return what if what.startswith("USB") else ""


def address_usb_ids(text: str) -> str:
    """usb_ids of the port a device address names on this machine ("" for any other)."""
    try:
        address = addresses.parse(text)
    except addresses.AddressError:
        return ""
    return usb_ids(address.path) if address.scheme.transport == "serial" else ""


def pcsc_readers() -> list[str]:
    try:
        from drivers.pcsc_reader import list_readers
    except ImportError:  # pyscard missing: no PC/SC on this machine
        return []
    return list_readers()[1]


def candidates(kind: DeviceKind, current: str) -> tuple[str, ...]:
    """Whole addresses for ``kind`` found on this machine, other than ``current``."""
    scheme = addresses.scheme_of(current)
    serial = SERIAL_SCHEME[kind]
    query = ""
    if scheme is not None and scheme.name == serial:
        query = urlsplit(current).query  # the same options at another port
    out = [f"{serial}://{port}" + (f"?{query}" if query else "") for port in serial_ports()]
    if kind is DeviceKind.CARD_READER:
        out += [f"pcsc://?reader={quote(name)}" for name in pcsc_readers()]
    usable = [a for a in dict.fromkeys(out) if a != current and _parses(a, kind)]
    return tuple(usable[:MAX_CANDIDATES])


def _parses(text: str, kind: DeviceKind) -> bool:
    try:
        addresses.parse(text, kind=kind)
    except addresses.AddressError:
        return False
    return True
