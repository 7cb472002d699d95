"""Every device scheme the kiosk understands, declared once: options, types, defaults, help.

To add a device or an option, add it here: the configuration check, the drivers, the tools,
the screens and docs/device-addresses.md all follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.addresses.model import Location, Option, Scheme, Value
from kiosk.devices import DeviceKind

# ---- the schemes ----------------------------------------------------------------------------

_BAUD = Value(int, low=50, high=4_000_000)

SAM_OPTIONS = (
    Option(
        "baud",
        Value(int, low=50, high=4_000_000, words=(("auto", None),)),
        115200,
        "line speed; auto tries 115200, 57600, 38400, 19200, 9600 at every connect",
    ),
    Option(
        "poll",
        Value(float, low=0.01, high=5.0, unit="seconds"),
        0.05,
        "seconds between looks for a card",
    ),
)
QR_OPTIONS = (
    Option("baud", _BAUD, 115200, "line speed (a USB-CDC scanner ignores it)"),
    Option(
        "end",
        Value(str, choices=("any", "cr", "lf", "crlf", "tab")),
        "any",
        "the suffix that ends a scan, as set on the scanner; any takes CR, LF and TAB",
    ),
)


@dataclass(frozen=True, slots=True)
class _Transport:
    """How a serial device's line is reached: one of pyserial's URL handlers."""

    name: str
    location: Location
    options: tuple[Option, ...]
    help: str
    example: str  # the part after sam+, e.g. rfc2217://10.0.0.5:4000
    byte_log: bool = False


SERIAL_TRANSPORTS = (
    _Transport("serial", Location.PATH, (), "a serial port on this machine", "serial:///dev/{dev}"),
    _Transport(
        "rfc2217",
        Location.HOST_PORT,
        (
            Option(
                "timeout",
                Value(float, low=0.1, high=60.0, unit="seconds"),
                3.0,
                "seconds to wait for the port server's answers",
                handler="rfc2217",
            ),
            Option(
                "logging",
                Value(str, choices=("debug", "info", "warning", "error")),
                "",
                "pyserial's log of the RFC 2217 negotiation (never the data)",
                handler="rfc2217",
            ),
            Option(
                "ign_set_control",
                Value(bool),
                False,
                "do not wait for the server to confirm DTR/RTS changes",
                handler="rfc2217",
            ),
            Option(
                "poll_modem",
                Value(bool),
                False,
                "ask the server for the modem lines instead of waiting for notices",
                handler="rfc2217",
            ),
        ),
        "a serial port on another machine, served over TCP by an RFC 2217 port server",
        "rfc2217://10.0.0.5:{tcp}",
    ),
    _Transport(
        "spy",
        Location.PATH,
        (
            Option(
                "file",
                Value(str),
                "",
                "where the byte log goes (default: standard error)",
                handler="spy",
            ),
            Option("color", Value(bool), False, "colour the log's lines", handler="spy"),
            Option("all", Value(bool), False, "log empty reads too", handler="spy"),
            Option(
                "raw",
                Value(bool),
                False,
                "raw bytes instead of a hex dump",
                handler="spy",
                unsupported="pyserial 3.5 writes raw bytes to a text stream and fails; "
                "the hex dump (the default) works",
            ),
        ),
        "a serial port on this machine, with a hex dump of every byte both ways "
        "(it holds personal data in clear: technicians' bench tools only, never `kiosk run`)",
        "spy:///dev/{dev}?file=/tmp/{family}-bytes.txt",
        byte_log=True,
    ),
)

_PRINTING = (
    Option(
        "width_dots",
        Value(int, choices=(384, 576)),
        576,
        "paper width in dots: 384 (58 mm) or 576 (80 mm)",
        aliases=("width",),
    ),
    Option(
        "charset",
        Value(str, choices=("GB18030", "GBK"), upper=True),
        "GB18030",
        "the double-byte charset the printer is set to in Chinese mode",
    ),
    Option(
        "qr_mode",
        Value(str, choices=("native", "image")),
        "native",
        "native: the printer draws the QR code (GS ( k); image: drawn here, sent as a picture",
        aliases=("qr",),
    ),
    Option(
        "mode",
        Value(str, choices=("text", "raster")),
        "text",
        "text: the printer's own Chinese font; raster: every line drawn here, as the preview",
    ),
    Option(
        "timeout",
        Value(float, low=0.1, high=120.0, unit="seconds"),
        10.0,
        "seconds for connecting and writing",
    ),
    Option(
        "status_timeout",
        Value(float, low=0.05, high=10.0, unit="seconds"),
        0.5,
        "seconds to wait for one status (DLE EOT) reply",
    ),
)


def _serial_schemes(
    family: str, kind: DeviceKind, options: tuple[Option, ...], what: str, dev: str
) -> list[Scheme]:
    schemes = []
    for t in SERIAL_TRANSPORTS:
        tail = t.example.format(dev=dev, tcp=4000 if family == "sam" else 4001, family=family)
        schemes.append(
            Scheme(
                name=f"{family}+{t.name}",
                kind=kind,
                family=family,
                transport=t.name,
                location=t.location,
                options=options + t.options,
                help=f"{what}: {t.help}",
                example=f"{family}+{tail}",
                byte_log=t.byte_log,
            )
        )
    return schemes


SCHEMES: dict[str, Scheme] = {
    s.name: s
    for s in [
        *_serial_schemes(
            "sam", DeviceKind.CARD_READER, SAM_OPTIONS, "ID-card SAM reader (GA 467)", "ttyUSB0"
        ),
        Scheme(
            name="pcsc",
            kind=DeviceKind.CARD_READER,
            family="pcsc",
            transport="",
            location=Location.NONE,
            options=(
                Option(
                    "reader",
                    Value(str),
                    "",
                    "part of the reader's name as pcsc_scan lists it; empty: the first reader",
                ),
            ),
            help="social-security card reader on PC/SC (pcscd)",
            example="pcsc://?reader=ACS",
        ),
        *_serial_schemes(
            "qr", DeviceKind.QR_SCANNER, QR_OPTIONS, "QR scanner in USB-CDC mode", "ttyACM0"
        ),
        Scheme(
            name="qr+wedge",
            kind=DeviceKind.QR_SCANNER,
            family="qr",
            transport="",
            location=Location.NONE,
            options=(),
            help="QR scanner as a keyboard (wedge): the window reads its keys",
            example="qr+wedge:",
        ),
        Scheme(
            name="escpos+tcp",
            kind=DeviceKind.PRINTER,
            family="escpos",
            transport="tcp",
            location=Location.HOST_PORT,
            options=_PRINTING,
            help="ESC/POS printer on the network (raw TCP)",
            example="escpos+tcp://192.168.1.50:9100",
            default_port=9100,
        ),
        Scheme(
            name="escpos+serial",
            kind=DeviceKind.PRINTER,
            family="escpos",
            transport="serial",
            location=Location.PATH,
            options=(
                *_PRINTING,
                Option("baud", _BAUD, 9600, "line speed"),
                Option("dsrdtr", Value(bool), True, "DSR/DTR hardware flow control"),
            ),
            help="ESC/POS printer on a serial port",
            example="escpos+serial:///dev/ttyS0?baud=9600",
        ),
        Scheme(
            name="escpos+usb",
            kind=DeviceKind.PRINTER,
            family="escpos",
            transport="usb",
            location=Location.USB_IDS,
            options=(
                *_PRINTING,
                Option("in_ep", Value(int, low=0, high=0xFF, base=0), 0x82, "USB IN endpoint"),
                Option("out_ep", Value(int, low=0, high=0xFF, base=0), 0x01, "USB OUT endpoint"),
            ),
            help="ESC/POS printer on USB (python-escpos, libusb)",
            example="escpos+usb://0x0416:0x5011",
        ),
    ]
}

BYTE_LOG_REFUSED = (
    "a spy:// byte log writes everything on the line in clear (a card's name and ID number, "
    "a QR code's token) and the kiosk never keeps one while it serves citizens; use it on a "
    "bench with the technicians' tools, e.g. kiosk idcard read --port \"spy:///dev/ttyUSB0"
    '?file=/tmp/sam.txt", and delete the log afterwards'
)


def schemes(kind: DeviceKind | None = None, family: str = "") -> list[Scheme]:
    return [
        s
        for s in SCHEMES.values()
        if (kind is None or s.kind is kind) and (not family or s.family == family)
    ]


def default(scheme: str, option: str) -> Any:
    """An option's declared default (for the [printer] table's own defaults)."""
    found = SCHEMES[scheme].option(option)
    assert found is not None, f"{scheme} has no option {option}"
    return found.default
