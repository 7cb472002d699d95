"""The vocabulary of device addresses: a scheme, its options, what each option's value may be.

Pure data; the schemes themselves are declared in kiosk.addresses.schemes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kiosk.devices import DeviceKind


class AddressError(ValueError):
    """A device address that cannot be used; ``problem`` says why, without the address."""

    def __init__(self, text: str, problem: str, option: str = "") -> None:
        super().__init__(f"{text!r}: {problem}")
        self.text = text
        self.problem = problem
        self.option = option  # the option concerned, when there is one


# ---- what an option's value may be --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Value:
    """The type of an option's value and how its text in an address is read.

    ``kind`` is int, float, str or bool; ``choices`` limit it to a few values; ``low``/``high``
    bound a number; ``words`` are texts that stand for a value (baud=auto: None); ``base`` 0
    reads 0x81 as hexadecimal; ``upper`` compares text in capitals (gbk is GBK).
    """

    kind: type
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    words: tuple[tuple[str, Any], ...] = ()
    base: int = 10
    upper: bool = False
    unit: str = ""

    def describe(self) -> str:
        if self.choices:
            text = "one of " + ", ".join(map(str, self.choices))
        elif self.kind is bool:
            text = "true or false (the name alone: true)"
        elif self.kind is str:
            text = "text"
        else:
            noun = "a whole number" if self.kind is int else "a number"
            if self.unit:
                noun = f"{noun} of {self.unit}"
            text = noun + (" (0x… for hexadecimal)" if self.base == 0 else "")
            if self.low is not None and self.high is not None:
                low, high = _number(self.low, self.base), _number(self.high, self.base)
                text += f" from {low} to {high}"
        if self.words:
            text += ", or " + " or ".join(word for word, _ in self.words)
        return text

    def read(self, text: str) -> Any:
        """The value an address's text stands for; ValueError says what the option takes."""
        for word, value in self.words:
            if text.lower() == word:
                return value
        try:
            if self.kind is bool:
                value = _FLAGS[text.lower()]
            elif self.kind is int:
                value = int(text, self.base)
            elif self.kind is float:
                value = float(text)
            else:
                value = text
        except (KeyError, ValueError):
            raise ValueError(f"must be {self.describe()}, not {text!r}") from None
        return self.check(value, text)

    def check(self, value: Any, text: str | None = None) -> Any:
        """A typed value (from a table, an override) checked like one read from text."""
        shown = repr(text) if text is not None else repr(value)
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.kind) or (self.kind is not bool and isinstance(value, bool)):
            raise ValueError(f"must be {self.describe()}, not {shown}")
        if self.upper:
            value = value.upper()
        if self.choices and value not in self.choices:
            raise ValueError(f"must be {self.describe()}, not {shown}")
        if self.kind is float and not math.isfinite(value):
            raise ValueError(f"must be {self.describe()}, not {shown}")
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            raise ValueError(f"must be {self.describe()}, not {shown}")
        return value


_FLAGS = {"": True, "1": True, "true": True, "yes": True, "on": True}
_FLAGS |= {"0": False, "false": False, "no": False, "off": False}


def _number(value: float, base: int) -> str:
    if base == 0:
        return f"{int(value):#04x}"
    return str(value) if isinstance(value, int) else f"{value:g}"


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a scheme: its name (and shorter names), type, default and a line of help.

    ``handler`` names pyserial's URL handler that reads it (rfc2217, spy): such an option is
    passed on in the port URL rather than consumed here. ``unsupported`` says why the kiosk
    refuses an option the handler knows.
    """

    name: str
    value: Value
    default: Any
    help: str
    aliases: tuple[str, ...] = ()
    handler: str = ""
    unsupported: str = ""

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "takes": self.value.describe(),
            "default": self.default,
            "help": self.help,
        }
        if self.aliases:
            out["aliases"] = list(self.aliases)
        if self.handler:
            out["passed_to"] = f"pyserial {self.handler}://"
        if self.unsupported:
            out["refused"] = self.unsupported
        return out


class Location(StrEnum):
    """How the part between the scheme and the query is read."""

    PATH = "path"  # sam+serial:///dev/ttyUSB0: an absolute device path (three slashes)
    HOST_PORT = "host:port"  # escpos+tcp://192.168.1.50:9100
    USB_IDS = "vendor:product"  # escpos+usb://0x0416:0x5011, hexadecimal
    NONE = "none"  # pcsc://?reader=ACS, qr+wedge:

    def describe(self) -> str:
        return _LOCATION_HELP[self]


_LOCATION_HELP = {
    Location.PATH: "a device path after three slashes, e.g. ///dev/ttyUSB0",
    Location.HOST_PORT: "//host:port",
    Location.USB_IDS: "//vendor:product, the USB ids in hexadecimal (lsusb shows them)",
    Location.NONE: "nothing: only options",
}


@dataclass(frozen=True, slots=True)
class Scheme:
    """One kind of address: what device it names, how it is reached, what options it takes."""

    name: str  # sam+serial
    kind: DeviceKind
    family: str  # the driver: sam, pcsc, qr, escpos (also a card reader's event name)
    transport: str  # serial, rfc2217, spy; tcp, usb; "" for pcsc and the wedge
    location: Location
    options: tuple[Option, ...]
    help: str
    example: str
    default_port: int = 0  # HOST_PORT: the port when none is written (0: one must be)
    byte_log: bool = False  # writes every byte of the line somewhere, in clear

    def option(self, name: str) -> Option | None:
        """The option called ``name`` (or by one of its shorter names)."""
        for option in self.options:
            if name == option.name or name in option.aliases:
                return option
        return None

    @property
    def option_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.options)

    def describe(self) -> dict[str, Any]:
        """The scheme as JSON-able data, for `kiosk doctor` and the technician's screens."""
        return {
            "scheme": self.name,
            "kind": self.kind.value,
            "help": self.help,
            "location": self.location.describe()
            + (f" (port {self.default_port} when none is given)" if self.default_port else ""),
            "example": self.example,
            "byte_log": self.byte_log,
            "options": [o.describe() for o in self.options],
        }
