"""A device's address changed in the configuration file while the kiosk runs (the technician
screen's 修改).

The new file is checked exactly as the kiosk checks it at start (kiosk.config.parse, with every
address through the registry), so a change the kiosk would refuse at its next start is refused
now, with the same message; then only that one key is written (kiosk.config_file: the rest of
the file byte for byte, atomic, the previous file kept as PATH.bak) and the file read back.
What the running kiosk takes from it is the devices and the printer's settings: a file edited
by hand since the start (a new platform address, say) takes effect at the next start, and the
technician is told so.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kiosk import config as cfg
from kiosk.config_file import ConfigFileError, set_value
from kiosk.devices import DeviceKind

# the key of [devices] that holds each kind's address
KEYS: dict[DeviceKind, str] = {
    DeviceKind.CARD_READER: "card_reader",
    DeviceKind.PRINTER: "printer",
    DeviceKind.QR_SCANNER: "qr_scanner",
}


class ConfigEditError(Exception):
    """The address was not written; the message says why (technician-facing)."""


@dataclass(frozen=True, slots=True)
class Changed:
    config: cfg.Config  # the running configuration with the new devices
    backup: Path  # the previous file
    more_in_file: bool  # the file differs from the running kiosk in more than this address


def change_address(config: cfg.Config, kind: DeviceKind, index: int, address: str) -> Changed:
    path = config.file
    if path is None:
        raise ConfigEditError(
            f"the configuration was not read from a file ({config.source}): nothing to write"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigEditError(f"{path}: cannot be read ({exc})") from None
    devices = data.get("devices")
    if not isinstance(devices, dict):
        raise ConfigEditError(f"{path}: has no [devices] table")
    key = KEYS[kind]
    value: str | list[str] = address
    if kind is DeviceKind.CARD_READER:
        current = devices.get(key)
        urls = [current] if isinstance(current, str) else list(current or [])
        if not 0 <= index < len(urls):
            raise ConfigEditError(f"{path}: [devices] {key} has no reader {index + 1}")
        urls[index] = address
        value = urls if isinstance(current, list) else address
    elif index != 0:
        raise ConfigEditError(f"[devices] {key} is a single address")
    devices[key] = value
    try:
        checked = cfg.parse(data, str(path), base_dir=path.parent, demo=config.demo)
    except cfg.ConfigError as exc:
        raise ConfigEditError(str(exc)) from None
    try:
        backup = set_value(path, "devices", key, value)
        written = cfg.load(path, demo=config.demo)
    except (ConfigFileError, cfg.ConfigError) as exc:
        raise ConfigEditError(str(exc)) from None
    if written.devices != checked.devices:  # cannot happen: set_value reads its value back
        raise ConfigEditError(f"{path}: [devices] did not read back as written")
    running = dataclasses.replace(config, devices=written.devices, printer=written.printer)
    more = dataclasses.replace(written, source=config.source, file=config.file) != running
    return Changed(running, backup, more)
