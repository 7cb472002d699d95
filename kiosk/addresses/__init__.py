"""Device addresses: every scheme the kiosk understands, declared once, and the one parser.

A device is named by a URL, after pyserial's URL handlers: the scheme says what the device is
and how it is reached, the location where, the query how. The configuration check
(kiosk.config), the drivers (drivers.registry), the technicians' tools and the screens all read
addresses here, so an option is typed, defaulted and refused the same way everywhere: an
unknown or misspelt one is named along with the scheme's options, a bad value along with what
the option takes.

A serial device (the SAM reader, the serial QR scanner) is opened with pyserial's
``serial_for_url``, so its line may be reached three ways, its *transport*::

    sam+serial:///dev/ttyUSB0?baud=115200           the port on this machine
    sam+rfc2217://10.0.0.5:4000?baud=115200         a port on another machine (RFC 2217)
    sam+spy:///dev/ttyUSB0?file=/tmp/sam.txt        the port here, with a byte log of the line

Our options (``baud``, ``poll``, ``end``) are consumed here; those of pyserial's handler
(rfc2217's ``timeout``, spy's ``file``…) are checked here too and passed on in the port URL the
driver opens (``Address.serial_port``). A byte log holds what the card reader read (a name, an
ID number) or a scanner's tokens, in clear: the kiosk refuses it (kiosk.config), the bench tools
allow it with a warning.

Pure data and parsing: no I/O, no pyserial. ``python -m kiosk.addresses`` prints the reference
(docs/device-addresses.md is that output).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from kiosk.addresses.model import AddressError, Location, Option, Scheme, Value
from kiosk.addresses.reference import describe, reference
from kiosk.addresses.schemes import BYTE_LOG_REFUSED, SCHEMES, default, schemes
from kiosk.devices import DeviceKind

__all__ = [
    "BYTE_LOG_REFUSED",
    "SCHEMES",
    "Address",
    "AddressError",
    "Location",
    "Option",
    "Scheme",
    "Value",
    "default",
    "describe",
    "family_of",
    "parse",
    "port_address",
    "reference",
    "scheme_of",
    "schemes",
]

# ---- addresses ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Address:
    """A parsed device address: the scheme, where, and every option's value (given or default).

    ``given`` holds the options written in the address (by their full names), so the [printer]
    table can be reconciled with it.
    """

    text: str
    scheme: Scheme
    path: str = ""
    host: str = ""
    port: int = 0
    vendor_id: int = 0
    product_id: int = 0
    values: Mapping[str, Any] = field(default_factory=dict)
    given: frozenset[str] = frozenset()

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def serial_port(self) -> str:
        """What serial.serial_for_url opens: the path, or pyserial's URL with its options."""
        t = self.scheme.transport
        if t == "serial":
            return self.path
        if t == "rfc2217":
            host = f"[{self.host}]" if ":" in self.host else self.host
            where = f"rfc2217://{host}:{self.port}"
        elif t == "spy":
            where = f"spy://{self.path}"
        else:
            raise ValueError(f"{self.scheme.name} is not a serial device")
        passed = []
        for option in self.scheme.options:
            if option.handler and option.name in self.given:
                value = self.values[option.name]
                if option.value.kind is bool:
                    if value:
                        passed.append(option.name)
                else:
                    passed.append(f"{option.name}={quote(str(value), safe='/:')}")
        return where + ("?" + "&".join(passed) if passed else "")


_KIND_WORDS = {
    DeviceKind.CARD_READER: "a card reader's",
    DeviceKind.QR_SCANNER: "a QR scanner's",
    DeviceKind.PRINTER: "a printer's",
}


def parse(
    text: str,
    *,
    kind: DeviceKind | None = None,
    family: str = "",
    overrides: Mapping[str, Any] | None = None,
) -> Address:
    """Read a device address of ``kind`` (any kind when None); AddressError says what is wrong.

    ``overrides`` (by option name, typed values, None skipped) win over the address's query:
    the printer test's --width, the [printer] table.
    """
    allowed = schemes(kind, family)
    name = text.split(":", 1)[0].lower() if isinstance(text, str) and ":" in text else ""
    scheme = SCHEMES.get(name)
    if scheme is None or scheme not in allowed:
        starts = ", ".join(s.name + ":" for s in allowed)
        problem = f"must be a device address starting with one of {starts}"
        if scheme is not None and kind is not None:
            problem = f"is {_KIND_WORDS[scheme.kind]} address; {problem}"
        raise AddressError(str(text), problem)
    parts = urlsplit(text)
    if parts.fragment or text.endswith("#"):
        raise AddressError(text, "a device address has no # part")
    found: dict[str, Any] = _location(text, scheme, parts)
    values = {o.name: o.default for o in scheme.options}
    given: set[str] = set()
    for key, raw in parse_qsl(parts.query, keep_blank_values=True):
        option = scheme.option(key)
        if option is None:
            raise AddressError(text, _unknown(scheme, key), key)
        if option.name in given:
            raise AddressError(text, f"option {option.name} is given twice", option.name)
        if option.unsupported and raw.lower() not in ("0", "false", "no", "off"):
            raise AddressError(
                text, f"option {option.name} is refused: {option.unsupported}", option.name
            )
        try:
            values[option.name] = option.value.read(raw)
        except ValueError as exc:
            raise AddressError(text, f"option {option.name} {exc}", option.name) from None
        given.add(option.name)
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        option = scheme.option(key)
        if option is None:
            raise AddressError(text, _unknown(scheme, key), key)
        try:
            values[option.name] = option.value.check(value)
        except ValueError as exc:
            raise AddressError(text, f"option {option.name} {exc}", option.name) from None
    return Address(text, scheme, values=MappingProxyType(values), given=frozenset(given), **found)


def _location(text: str, scheme: Scheme, parts) -> dict[str, Any]:
    netloc, path = parts.netloc, unquote(parts.path)
    match scheme.location:
        case Location.PATH:
            if netloc or not path.startswith("/"):
                raise AddressError(
                    text,
                    f"needs the device's full path after three slashes, e.g. {scheme.example}",
                )
            return {"path": path}
        case Location.HOST_PORT:
            try:
                port = parts.port
            except ValueError:
                port = -1
            if not parts.hostname or path or port == -1:
                raise AddressError(text, f"needs a host and port, e.g. {scheme.example}")
            if port is None and not scheme.default_port:
                raise AddressError(text, f"needs a port after the host, e.g. {scheme.example}")
            return {"host": parts.hostname, "port": port or scheme.default_port}
        case Location.USB_IDS:
            vid, colon, pid = netloc.partition(":")
            try:
                ids = int(vid, 16), int(pid, 16)
            except ValueError:
                ids = (-1, -1)
            if not colon or path or not all(0 <= i <= 0xFFFF for i in ids):
                raise AddressError(
                    text, f"needs the USB vendor:product ids in hexadecimal, e.g. {scheme.example}"
                )
            return {"vendor_id": ids[0], "product_id": ids[1]}
    if netloc or path:
        raise AddressError(text, f"takes no location, only options, e.g. {scheme.example}")
    return {}


def _unknown(scheme: Scheme, key: str) -> str:
    names = [n for o in scheme.options for n in (o.name, *o.aliases)]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    problem = f"unknown option {key!r} for {scheme.name}"
    if close:
        problem += f" (did you mean {close[0]}?)"
    if not scheme.options:
        return problem + f"; {scheme.name} takes no options"
    return problem + f"; its options: {', '.join(scheme.option_names)}"


def scheme_of(text: str) -> Scheme | None:
    """The scheme an address names, or None (for the screens: which devices are there)."""
    name = text.split(":", 1)[0].lower() if ":" in text else ""
    return SCHEMES.get(name)


def family_of(text: str) -> str:
    """The driver family an address names (sam, pcsc, qr, escpos), or "" for none known."""
    scheme = scheme_of(text)
    return scheme.family if scheme is not None else ""


def port_address(text: str, family: str) -> Address:
    """A technician's ``--port``: a device path (/dev/ttyUSB0), one of pyserial's port URLs
    (rfc2217://host:port, spy:///dev/ttyUSB0?file=…), or a whole address (sam+serial://…)."""
    if "://" not in text:
        if not text.startswith("/"):
            raise AddressError(
                text, "must be a device's full path (/dev/ttyUSB0) or an address (rfc2217://…)"
            )
        url = f"{family}+serial://{quote(text, safe='/')}"
    elif text.lower().startswith(family + "+"):
        url = text
    else:
        url = f"{family}+{text}"
    return parse(url, family=family)
