"""The registry describing itself: as data (kiosk doctor, the technician's screens) and as
Markdown (docs/device-addresses.md, written by ``python -m kiosk.addresses``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kiosk.addresses.model import Option
from kiosk.addresses.schemes import schemes
from kiosk.devices import DeviceKind

# ---- describing itself ----------------------------------------------------------------------


def describe(kind: DeviceKind | None = None) -> list[dict[str, Any]]:
    """Every scheme (of one kind) as JSON-able data."""
    return [s.describe() for s in schemes(kind)]


def reference(groups: Iterable[DeviceKind] = tuple(DeviceKind)) -> str:
    """The reference of every scheme and option, as Markdown (docs/device-addresses.md)."""
    titles = {
        DeviceKind.CARD_READER: "Card readers (`card_reader`)",
        DeviceKind.QR_SCANNER: "QR scanners (`qr_scanner`)",
        DeviceKind.PRINTER: "Printers (`printer`)",
    }
    lines = [
        "# Device addresses",
        "",
        "<!-- Written by `python -m kiosk.addresses > docs/device-addresses.md`: the registry in",
        "kiosk/addresses/schemes.py is the source; a unit test keeps this file in step with it. -->",
        "",
        "Each device in `[devices]` is named by an address: `scheme:location?option=value&…`.",
        "An unknown or misspelt option, or a value the option does not take, stops the kiosk at",
        "start with the option named. Options marked *pyserial* are read by pyserial's URL",
        "handler and passed on to it. A `+spy` address (a byte log of the line) is refused by",
        "`kiosk run`: the log holds personal data in clear; use it with the bench tools only.",
    ]
    for kind in groups:
        lines += ["", f"## {titles[kind]}"]
        for s in schemes(kind):
            where = s.location.describe()
            if s.default_port:
                where += f" (port {s.default_port} when none is given)"
            lines += ["", f"### `{s.name}:`", "", f"{s.help}.", ""]
            lines += [f"Location: {where}. Example: `{s.example}`", ""]
            if not s.options:
                lines.append("No options.")
                continue
            lines += ["| option | takes | default | |", "|---|---|---|---|"]
            for o in s.options:
                name = "`" + "`, `".join((o.name, *o.aliases)) + "`"
                note = o.help + (f" (*pyserial*, {o.handler}://)" if o.handler else "")
                if o.unsupported:
                    note += f". Refused: {o.unsupported}"
                shown = "" if o.default in ("", None) else f"`{_shown(o)}`"
                lines.append(f"| {name} | {o.value.describe()} | {shown} | {note} |")
    return "\n".join(lines) + "\n"


def _shown(option: Option) -> str:
    value = option.default
    if option.value.base == 0:
        return f"{value:#04x}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
