"""The kiosk's configuration: one TOML file, checked completely at start.

A production kiosk must never fall into demo mode by accident, so a missing file is an error
that says how to write one (deploy/kiosk.example.toml documents every key). Every message names
the key and says what is wrong, because the person reading it is a technician at a hall with a
keyboard plugged in for five minutes.
"""

from __future__ import annotations

import contextlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DEFAULT_PATH = Path("/etc/kiosk/kiosk.toml")
EXAMPLE_PATH = "deploy/kiosk.example.toml"


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and why."""


@dataclass(frozen=True, slots=True)
class PlatformConfig:
    url: str
    device_key: bytes = field(repr=False)
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    retries: int = 2
    verify_base_url: str = ""


@dataclass(frozen=True, slots=True)
class DevicesConfig:
    card_readers: tuple[str, ...]  # `card_reader` in the file: one address or a list
    printer: str
    qr_scanner: str = ""


@dataclass(frozen=True, slots=True)
class PrinterConfig:
    width_dots: int = 576
    charset: str = "GB18030"
    qr: str = "native"
    mode: str = "text"


@dataclass(frozen=True, slots=True)
class DisplayConfig:
    width: int = 1080
    height: int = 1920
    rotation: int = 0
    fullscreen: bool = True
    max_fps: int = 30  # frames drawn per second at most: a kiosk screen needs no more


@dataclass(frozen=True, slots=True)
class SessionConfig:
    inactivity_seconds: int = 60
    warning_seconds: int = 20


@dataclass(frozen=True, slots=True)
class Config:
    device_id: str
    hall_name: str
    region_code: str
    data_dir: Path
    staff_phone: str
    platform: PlatformConfig
    devices: DevicesConfig
    printer: PrinterConfig = PrinterConfig()
    display: DisplayConfig = DisplayConfig()
    session: SessionConfig = SessionConfig()
    demo: bool = False
    source: str = ""  # where it came from, for messages


class _Section:
    """Typed access to one table of the file; each error names ``[table] key``."""

    def __init__(self, data: Any, name: str, source: str) -> None:
        self.name = name
        self.source = source
        if not isinstance(data, dict):
            raise self.error(None, "must be a table")
        self.data = data
        self.used: set[str] = set()

    def error(self, key: str | None, what: str) -> ConfigError:
        where = f"[{self.name}]" + (f" {key}" if key else "")
        return ConfigError(f"{self.source}: {where}: {what}")

    def get(self, key: str, kind: type, default: Any = ..., *, check=None, hint: str = "") -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                raise self.error(key, "is missing" + (f" ({hint})" if hint else ""))
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(key, f"must be {_KIND_NAMES.get(kind, kind.__name__)}, not {value!r}")
        if check is not None:
            problem = check(value)
            if problem:
                raise self.error(key, problem)
        return value

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.error(unknown[0], f"is not a known key (see {EXAMPLE_PATH})")


_KIND_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an http:// or https:// address"
    return None


def _device_url(schemes: tuple[str, ...]):
    def check(value: str) -> str | None:
        scheme = value.split(":", 1)[0]
        if ":" not in value or scheme not in schemes:
            return f"must be a device address starting with one of {', '.join(s + ':' for s in schemes)}"
        return None

    return check


def _between(lo: float, hi: float):
    return lambda v: None if lo <= v <= hi else f"must be between {lo} and {hi}, not {v}"


def _one_of(*choices):
    return lambda v: None if v in choices else f"must be one of {', '.join(map(str, choices))}"


# [printer] key → (its names in the printer URL's query, type, default, allowed values)
_PRINTER_KEYS: dict[str, tuple[tuple[str, ...], type, Any, tuple]] = {
    "width_dots": (("width_dots", "width"), int, 576, (384, 576)),
    "charset": (("charset",), str, "GB18030", ("GB18030", "GBK")),
    "qr": (("qr", "qr_mode"), str, "native", ("native", "image")),
    "mode": (("mode",), str, "text", ("text", "raster")),
}


def _printer_config(printer: _Section, devices: _Section) -> PrinterConfig:
    """The [printer] table and the printer address may each say how to print; they must agree,
    because the driver, the on-screen preview and the test page all use this one answer."""
    url = devices.data.get("printer")
    query = dict(parse_qsl(urlsplit(url).query)) if isinstance(url, str) else {}
    values: dict[str, Any] = {}
    for key, (names, kind, default, allowed) in _PRINTER_KEYS.items():
        table = printer.get(key, kind, None, check=_one_of(*allowed))
        in_url: Any = next((query[n] for n in names if n in query), None)
        if in_url is not None:
            with contextlib.suppress(ValueError):  # text that is no number is refused below
                in_url = kind(in_url.upper() if key == "charset" else in_url)
            if in_url not in allowed:
                raise devices.error("printer", f"option {names[0]} {_one_of(*allowed)(in_url)}")
        if table is not None and in_url is not None and table != in_url:
            raise printer.error(
                key,
                f"is {table!r} but the printer address in [devices] says {in_url!r}: "
                "say it in one place",
            )
        values[key] = table if table is not None else in_url if in_url is not None else default
    return PrinterConfig(**values)


CARD_READER_SCHEMES = ("sam+serial", "pcsc")
PRINTER_SCHEMES = ("escpos+tcp", "escpos+usb", "escpos+serial")
QR_SCHEMES = ("qr+serial", "qr+wedge")


def parse(data: dict, source: str, *, base_dir: Path | None = None, demo: bool = False) -> Config:
    root = _Section(data, "top level", source)
    kiosk = _Section(root.get("kiosk", dict, hint="the [kiosk] table"), "kiosk", source)
    platform = _Section(root.get("platform", dict, hint="the [platform] table"), "platform", source)
    devices = _Section(root.get("devices", dict, hint="the [devices] table"), "devices", source)
    printer = _Section(root.get("printer", dict, {}), "printer", source)
    display = _Section(root.get("display", dict, {}), "display", source)
    session = _Section(root.get("session", dict, {}), "session", source)
    root.finish()

    def path(value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() or base_dir is None else base_dir / p

    device_id = kiosk.get(
        "device_id", str, check=lambda v: None if v.strip() else "must not be empty"
    )
    key = _device_key(platform, path)
    cfg = Config(
        device_id=device_id,
        hall_name=kiosk.get("hall_name", str, "政务服务中心"),
        region_code=kiosk.get(
            "region_code",
            str,
            check=lambda v: None if v.isdigit() and 6 <= len(v) <= 9 else "must be 6 to 9 digits",
        ),
        data_dir=path(kiosk.get("data_dir", str, "/var/lib/kiosk")),
        staff_phone=kiosk.get("staff_phone", str, ""),
        platform=PlatformConfig(
            url=platform.get("url", str, check=_http_url).rstrip("/"),
            device_key=key,
            connect_timeout=platform.get("connect_timeout", float, 3.0, check=_between(0.1, 30)),
            read_timeout=platform.get("read_timeout", float, 10.0, check=_between(0.5, 120)),
            retries=platform.get("retries", int, 2, check=_between(0, 5)),
            verify_base_url=platform.get("verify_base_url", str, ""),
        ),
        devices=DevicesConfig(
            card_readers=_card_readers(devices),
            printer=devices.get("printer", str, check=_device_url(PRINTER_SCHEMES)),
            qr_scanner=devices.get(
                "qr_scanner",
                str,
                "",
                check=lambda v: _device_url(QR_SCHEMES)(v) if v else None,
            ),
        ),
        printer=_printer_config(printer, devices),
        display=DisplayConfig(
            width=display.get("width", int, 1080, check=_between(320, 7680)),
            height=display.get("height", int, 1920, check=_between(320, 7680)),
            rotation=display.get("rotation", int, 0, check=_one_of(0, 90, 180, 270)),
            fullscreen=display.get("fullscreen", bool, True),
            max_fps=display.get("max_fps", int, 30, check=_between(10, 240)),
        ),
        session=SessionConfig(
            inactivity_seconds=session.get("inactivity_seconds", int, 60, check=_between(30, 600)),
            warning_seconds=session.get("warning_seconds", int, 20, check=_between(20, 120)),
        ),
        demo=demo,
        source=source,
    )
    if cfg.session.warning_seconds >= cfg.session.inactivity_seconds:
        raise session.error("warning_seconds", "must be smaller than inactivity_seconds")
    for section in (kiosk, platform, devices, printer, display, session):
        section.finish()
    return cfg


def reader_names(urls: tuple[str, ...]) -> list[str]:
    """The name each card reader's events carry: "sam", "pcsc", then "sam2", "pcsc3"…"""
    names: list[str] = []
    for url in urls:
        base = "pcsc" if url.startswith("pcsc:") else "sam"
        names.append(base if base not in names else f"{base}{len(names) + 1}")
    return names


def _card_readers(devices: _Section) -> tuple[str, ...]:
    """One reader, or a list (e.g. a SAM reader for ID cards and a PC/SC reader)."""
    value = devices.get("card_reader", object, hint="the ID-card reader's address")
    urls = [value] if isinstance(value, str) else value
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
        raise devices.error("card_reader", "must be a device address or a list of them")
    check = _device_url(CARD_READER_SCHEMES)
    for url in urls:
        problem = check(url)
        if problem:
            raise devices.error("card_reader", f"{url!r}: {problem}")
    return tuple(urls)


def _device_key(platform: _Section, path) -> bytes:
    hex_key = platform.get("device_key", str, None)
    key_file = platform.get("device_key_file", str, None)
    if (hex_key is None) == (key_file is None):
        raise platform.error("device_key_file", "give exactly one of device_key_file or device_key")
    if key_file is not None:
        try:
            text = path(key_file).read_text().strip()
        except OSError as exc:
            raise platform.error("device_key_file", f"cannot be read ({exc.strerror})") from None
        hex_key, where = text, "device_key_file"
    else:
        where = "device_key"
    try:
        key = bytes.fromhex(hex_key)
    except ValueError:
        raise platform.error(where, "must hold the key as hexadecimal digits") from None
    if len(key) < 16:
        raise platform.error(where, "must be at least 16 bytes (32 hex digits)")
    return key


def load(path: Path | None) -> Config:
    """Read and check the file; a missing file says how to write one."""
    path = path or DEFAULT_PATH
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"no configuration at {path}. A kiosk does not start without one (and never falls "
            f"into demo mode by itself). Copy {EXAMPLE_PATH} to {DEFAULT_PATH}, fill in the "
            f"device id, the platform address and key, and the device addresses; "
            f"or run `kiosk run --demo` to try the kiosk with emulated devices."
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: is not valid TOML ({exc})") from None
    return parse(data, str(path), base_dir=path.parent)
