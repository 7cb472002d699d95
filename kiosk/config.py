"""The kiosk's configuration: one TOML file, checked completely at start.

A production kiosk must never fall into demo mode by accident, so a missing file is an error
that says how to write one (deploy/kiosk.example.toml documents every key). Every message names
the key and says what is wrong, because the person reading it is a technician at a hall with a
keyboard plugged in for five minutes.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import ssl
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk import addresses, pin, signing
from kiosk.devices import DeviceKind
from kiosk.i18n import _

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
    signing: signing.SigningMethod = signing.SigningMethod.HMAC_SHA256
    ca_file: Path | None = None  # the province's CA for its gateway, besides the system's
    pin_sha256: tuple[bytes, ...] = ()  # SHA-256 digests of pinned SubjectPublicKeyInfos
    device_key_file: Path | None = None  # where the key was read (None: in this file)


@dataclass(frozen=True, slots=True)
class DevicesConfig:
    card_readers: tuple[str, ...]  # `card_reader` in the file: one address or a list
    printer: str
    qr_scanner: str = ""
    # CUSS's required components: one of these down takes the kiosk out of service. The
    # ID-card reader alone by default (a second reader, for social-security cards, never is)
    required: tuple[DeviceKind, ...] = (DeviceKind.CARD_READER,)


@dataclass(frozen=True, slots=True)
class PrinterConfig:
    """How to print; each key is also an option of the printer's address (kiosk.addresses)."""

    width_dots: int = addresses.default("escpos+tcp", "width_dots")
    charset: str = addresses.default("escpos+tcp", "charset")
    qr: str = addresses.default("escpos+tcp", "qr_mode")
    mode: str = addresses.default("escpos+tcp", "mode")


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
class VoiceConfig:
    """The spoken prompts ([voice]): on unless a hall mutes them; how loud (0 to 1)."""

    enabled: bool = True
    volume: float = 0.8


@dataclass(frozen=True, slots=True)
class TechnicianConfig:
    """The technician's entry: the PIN's hash (kiosk.pin; empty: no technician screen)."""

    pin_hash: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    """The Prometheus endpoint ([metrics]): off unless ``listen`` is given."""

    host: str = ""
    port: int = 0  # 0 with a host: any free port (tests)
    allow_remote: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.host)


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
    technician: TechnicianConfig = TechnicianConfig()
    metrics: MetricsConfig = MetricsConfig()
    voice: VoiceConfig = VoiceConfig()
    demo: bool = False
    hall_name_en: str = ""  # the hall's name on English screens (empty: hall_name there too)
    source: str = ""  # where it came from, for messages
    file: Path | None = None  # the file it was read from (the technician screen writes it)


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


_KIND_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
}


def _platform_url(value: str) -> str | None:
    """https:// for the platform; http:// only for this machine (the demo's reference platform),
    because the kiosk sends names and ID numbers to it."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an https:// address"
    if parts.scheme == "http" and not _loopback(parts.hostname or ""):
        return (
            f"must be https://, not {value!r}: names and ID numbers never travel in clear "
            "(http:// is only for this machine: 127.0.0.1, ::1 or localhost)"
        )
    return None


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _device_address(kind: DeviceKind, *, in_list: bool = False):
    """Check a device address against the registry (kiosk.addresses), as the drivers read it.

    A byte log (spy://) is refused whatever its device: it would keep on disk, in clear, what
    the line carries (a card's name and ID number, a QR code's token)."""

    def check(value: str) -> str | None:
        shown = f"{value!r}: " if in_list else ""
        try:
            address = addresses.parse(value, kind=kind)
        except addresses.AddressError as exc:
            return shown + exc.problem
        if address.scheme.byte_log:
            return shown + addresses.BYTE_LOG_REFUSED
        return None

    return check


def _between(lo: float, hi: float):
    return lambda v: None if lo <= v <= hi else f"must be between {lo} and {hi}, not {v}"


def _one_of(*choices):
    return lambda v: None if v in choices else f"must be one of {', '.join(map(str, choices))}"


def _printer_config(printer: _Section, url: str) -> PrinterConfig:
    """The [printer] table and the printer address may each say how to print; they must agree,
    because the driver, the on-screen preview and the test page all use this one answer.
    Each key of the table is an option of the address (``qr`` is ``qr_mode``'s short name)."""
    address = addresses.parse(url, kind=DeviceKind.PRINTER)  # checked with [devices] already
    values: dict[str, Any] = {}
    for key in PrinterConfig.__dataclass_fields__:
        option = address.scheme.option(key)
        assert option is not None, f"[printer] {key} is no option of {address.scheme.name}"
        table = printer.get(key, option.value.kind, None)
        if table is not None:
            try:
                table = option.value.check(table)
            except ValueError as exc:
                raise printer.error(key, str(exc)) from None
        in_url = address[option.name] if option.name in address.given else None
        if table is not None and in_url is not None and table != in_url:
            raise printer.error(
                key,
                f"is {table!r} but the printer address in [devices] says {in_url!r}: "
                "say it in one place",
            )
        values[key] = table if table is not None else address[option.name]
    return PrinterConfig(**values)


def parse(data: dict, source: str, *, base_dir: Path | None = None, demo: bool = False) -> Config:
    root = _Section(data, "top level", source)
    kiosk = _Section(root.get("kiosk", dict, hint="the [kiosk] table"), "kiosk", source)
    platform = _Section(root.get("platform", dict, hint="the [platform] table"), "platform", source)
    devices = _Section(root.get("devices", dict, hint="the [devices] table"), "devices", source)
    printer = _Section(root.get("printer", dict, {}), "printer", source)
    display = _Section(root.get("display", dict, {}), "display", source)
    session = _Section(root.get("session", dict, {}), "session", source)
    technician = _Section(root.get("technician", dict, {}), "technician", source)
    metrics = _Section(root.get("metrics", dict, {}), "metrics", source)
    voice = _Section(root.get("voice", dict, {}), "voice", source)
    root.finish()

    def path(value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() or base_dir is None else base_dir / p

    device_id = kiosk.get(
        "device_id",
        str,
        check=lambda v: None if v.strip() and len(v) <= 64 else "must be 1 to 64 characters",
    )
    key, key_file = _device_key(platform, path)
    url = platform.get("url", str, check=_platform_url).rstrip("/")
    cfg = Config(
        device_id=device_id,
        hall_name=kiosk.get("hall_name", str, _("政务服务中心")),
        region_code=kiosk.get(
            "region_code",
            str,
            check=lambda v: None if re.fullmatch(r"[0-9]{6,9}", v) else "must be 6 to 9 digits",
        ),
        data_dir=path(kiosk.get("data_dir", str, "/var/lib/kiosk")),
        staff_phone=kiosk.get("staff_phone", str, ""),
        hall_name_en=kiosk.get("hall_name_en", str, ""),
        platform=PlatformConfig(
            url=url,
            device_key=key,
            connect_timeout=platform.get("connect_timeout", float, 3.0, check=_between(0.1, 30)),
            read_timeout=platform.get("read_timeout", float, 10.0, check=_between(0.5, 120)),
            retries=platform.get("retries", int, 2, check=_between(0, 5)),
            verify_base_url=platform.get("verify_base_url", str, ""),
            signing=_signing(platform),
            ca_file=_ca_file(platform, path, url),
            pin_sha256=_pins(platform, url),
            device_key_file=key_file,
        ),
        devices=DevicesConfig(
            card_readers=_card_readers(devices),
            printer=devices.get("printer", str, check=_device_address(DeviceKind.PRINTER)),
            qr_scanner=devices.get(
                "qr_scanner",
                str,
                "",
                check=lambda v: _device_address(DeviceKind.QR_SCANNER)(v) if v else None,
            ),
            required=_required(devices),
        ),
        printer=_printer_config(printer, devices.data["printer"]),
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
        technician=TechnicianConfig(
            pin_hash=technician.get("pin_hash", str, "", check=_pin_hash),
        ),
        metrics=_metrics(metrics),
        voice=VoiceConfig(
            enabled=voice.get("enabled", bool, True),
            volume=voice.get("volume", float, 0.8, check=_between(0.0, 1.0)),
        ),
        demo=demo,
        source=source,
    )
    if cfg.session.warning_seconds >= cfg.session.inactivity_seconds:
        raise session.error("warning_seconds", "must be smaller than inactivity_seconds")
    for section in (
        kiosk,
        platform,
        devices,
        printer,
        display,
        session,
        technician,
        metrics,
        voice,
    ):
        section.finish()
    return cfg


def _pin_hash(value: str) -> str | None:
    if not value:
        return None  # no PIN yet: the technician screen stays closed
    try:
        pin.parse_hash(value)
    except pin.PinError as exc:
        return str(exc)
    return None


def _listen_address(value: str) -> tuple[str, int] | str:
    """``host:port`` or ``[v6]:port`` → (host, port); a problem as text."""
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        return f"must be host:port (e.g. 127.0.0.1:9464), not {value!r}"
    if host.lower() != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return f"{host!r} is not an IP address (name the address to listen on, not a host)"
    return host, int(port)


def _metrics(metrics: _Section) -> MetricsConfig:
    """Off by default. On loopback unless ``allow_remote``: the endpoint answers anyone who can
    reach it, unauthenticated, and tells them which devices are down and what the kiosk has
    done; a hall's network is shared with the public's Wi-Fi more often than not."""
    listen = metrics.get("listen", str, "")
    allow_remote = metrics.get("allow_remote", bool, False)
    if not listen:
        return MetricsConfig()
    parsed = _listen_address(listen)
    if isinstance(parsed, str):
        raise metrics.error("listen", parsed)
    host, port = parsed
    if not _loopback(host) and not allow_remote:
        raise metrics.error(
            "listen",
            f"{listen!r} is not a loopback address: the metrics endpoint has no password and "
            "would tell anyone on the hall's network which devices are down. Keep it on "
            "127.0.0.1 (a Prometheus agent on the kiosk, or federation through a tunnel), or "
            "set allow_remote = true when this network is the province's monitoring network",
        )
    return MetricsConfig(host=host, port=port, allow_remote=allow_remote)


def reader_names(urls: tuple[str, ...]) -> list[str]:
    """The name each card reader's events carry: "sam", "pcsc", then "sam2", "pcsc3"…"""
    names: list[str] = []
    for url in urls:
        base = addresses.family_of(url) or "sam"
        names.append(base if base not in names else f"{base}{len(names) + 1}")
    return names


def _card_readers(devices: _Section) -> tuple[str, ...]:
    """One reader, or a list (e.g. a SAM reader for ID cards and a PC/SC reader)."""
    value = devices.get("card_reader", object, hint="the ID-card reader's address")
    urls = [value] if isinstance(value, str) else value
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
        raise devices.error("card_reader", "must be a device address or a list of them")
    check = _device_address(DeviceKind.CARD_READER, in_list=True)
    for url in urls:
        problem = check(url)
        if problem:
            raise devices.error("card_reader", problem)
    return tuple(urls)


def _required(devices: _Section) -> tuple[DeviceKind, ...]:
    """Which kinds of device the kiosk cannot serve without (``required``; the ID-card reader
    by default). A kind that is not configured cannot be required."""
    value = devices.get("required", list, [DeviceKind.CARD_READER.value])
    kinds = ", ".join(k.value for k in DeviceKind)
    out: list[DeviceKind] = []
    for name in value:
        if not isinstance(name, str) or name not in DeviceKind._value2member_map_:
            raise devices.error("required", f"{name!r} is not a kind of device ({kinds})")
        kind = DeviceKind(name)
        if kind is DeviceKind.QR_SCANNER and not devices.data.get("qr_scanner"):
            raise devices.error("required", "names qr_scanner, but no qr_scanner is configured")
        if kind not in out:
            out.append(kind)
    return tuple(out)


def _device_key(platform: _Section, path) -> tuple[bytes, Path | None]:
    hex_key = platform.get("device_key", str, None)
    key_file = platform.get("device_key_file", str, None)
    if (hex_key is None) == (key_file is None):
        raise platform.error("device_key_file", "give exactly one of device_key_file or device_key")
    file = None
    if key_file is not None:
        file = path(key_file)
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            text = file.read_text().strip()
        except OSError as exc:
            raise platform.error("device_key_file", f"cannot be read ({exc.strerror})") from None
        problem = key_mode_problem(file, mode)
        if problem:
            raise platform.error("device_key_file", problem)
        hex_key, where = text, "device_key_file"
    else:
        where = "device_key"
    try:
        key = bytes.fromhex(hex_key)
    except ValueError:
        raise platform.error(where, "must hold the key as hexadecimal digits") from None
    if len(key) < 16:
        raise platform.error(where, "must be at least 16 bytes (32 hex digits)")
    return key, file


def key_mode_problem(file: Path, mode: int) -> str | None:
    """The key signs as this kiosk: nobody but the kiosk's user may read or replace it."""
    if mode & 0o077:
        return (
            f"{file} is mode {mode:04o}, open to users other than the kiosk's: run chmod 600 {file}"
        )
    return None


def _signing(platform: _Section) -> signing.SigningMethod:
    names = [m.value for m in signing.SigningMethod]
    method = signing.SigningMethod(
        platform.get("signing", str, signing.SigningMethod.HMAC_SHA256.value, check=_one_of(*names))
    )
    if not signing.available(method):
        raise platform.error(
            "signing", "hmac-sm3 needs SM3: an OpenSSL with SM3, or the gmssl package"
        )
    return method


def _ca_file(platform: _Section, path, url: str) -> Path | None:
    value = platform.get("ca_file", str, None)
    if value is None:
        return None
    if not url.startswith("https://"):
        raise platform.error("ca_file", "only goes with an https:// url")
    file = path(value)
    try:  # read now, so that a wrong file is named at start and not at the first citizen
        ssl.create_default_context(cafile=str(file))
    except (ssl.SSLError, ValueError):  # an SSLError is an OSError too: first
        raise platform.error("ca_file", f"{file} holds no PEM certificate") from None
    except OSError as exc:
        raise platform.error("ca_file", f"{file} cannot be read ({exc.strerror})") from None
    return file


def _pins(platform: _Section, url: str) -> tuple[bytes, ...]:
    value = platform.get("pin_sha256", object, None)
    if value is None:
        return ()
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise platform.error("pin_sha256", "must be a pin or a list of pins")
    if not url.startswith("https://"):
        raise platform.error("pin_sha256", "only goes with an https:// url")
    from kiosk.tls import parse_pin  # requests and urllib3: only when pins are configured

    pins = []
    for text in texts:
        try:
            pins.append(parse_pin(text))
        except ValueError as exc:
            raise platform.error("pin_sha256", f"{text!r} {exc}") from None
    return tuple(pins)


def load(path: Path | None, *, demo: bool = False) -> Config:
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
    except RecursionError:  # tomllib recurses once per level: a corrupted or hostile file
        raise ConfigError(f"{path}: is not valid TOML (nested too deeply)") from None
    return dataclasses.replace(
        parse(data, str(path), base_dir=path.parent, demo=demo), file=path.absolute()
    )
