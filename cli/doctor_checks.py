"""The checks `kiosk doctor` runs (cli/doctor.py runs them, each with a time limit).

Each returns Results whose detail says what was found and whose hint says what to do about a
failure, in a technician's words. None of them reads personal data (see cli/doctor.py).
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import stat
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from drivers.discovery import port_descriptions, usb_ids
from kiosk import addresses
from kiosk.config import Config, key_mode_problem, reader_names
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Paper

KIOSK_RUNNING = "if the kiosk is running it holds the port: `systemctl stop kiosk` first"
PCSC_HINT = "start pcscd (`systemctl start pcscd`) and plug the reader in"
PLATFORM_HINT = "check the network and [platform] url"
MIN_FREE = 200 * 1024 * 1024  # below: a failure (the outbox and the logs need room)
LOW_FREE = 1024 * 1024 * 1024  # below: a warning
SKEW_WARN = 60.0  # seconds off the platform's clock worth a warning
SKEW_FAIL = 240.0  # the platform refuses signatures 300 s off: fail well before that
UNIT = "kiosk"
UNIT_FILES = (
    Path("/etc/systemd/system/kiosk.service"),
    Path(__file__).resolve().parent.parent / "deploy" / "kiosk.service",
)


class Outcome(StrEnum):
    OK = "ok"
    WARN = "warn"  # works, but look at it
    FAIL = "fail"
    SKIP = "skip"  # does not apply here (no such device configured, not under systemd)


@dataclass(frozen=True, slots=True)
class Result:
    check: str
    outcome: Outcome
    detail: str
    hint: str = ""

    def line(self) -> str:
        hint = f"  -> {self.hint}" if self.hint and self.outcome is not Outcome.OK else ""
        return f"{self.outcome.value:<4}  {self.check:<18} {self.detail}{hint}"

    def as_json(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class Check:
    """A named check: a function returning its results, run with a time limit."""

    name: str
    run: Callable[[], list[Result]]
    hint: str  # said when it does not answer in time


def ok(check: str, detail: str) -> Result:
    return Result(check, Outcome.OK, detail)


def fail(check: str, detail: str, hint: str) -> Result:
    return Result(check, Outcome.FAIL, detail, hint)


# ---- the configuration and the machine ------------------------------------------------------


def configuration(path: Path, config: Config | None, problem: str) -> list[Result]:
    if config is None:
        return [fail("configuration", problem, f"fix it, then `kiosk config check {path}`")]
    from drivers.registry import check_device_urls
    from kiosk.addresses import AddressError

    try:
        check_device_urls(config)
    except AddressError as exc:
        return [fail("configuration", f"{path}: [devices] {exc}", "fix the device address")]
    return [ok("configuration", f"{path}: valid (device {config.device_id})")]


def serial_ports() -> list[Result]:
    ports = port_descriptions()
    if not ports:
        return [ok("serial ports", "none on this machine")]
    listed = "; ".join(f"{device} ({what})" for device, what in sorted(ports.items()))
    return [ok("serial ports", f"{len(ports)}: {listed}")]


def pcsc_readers(config: Config | None) -> list[Result]:
    wanted = config is not None and any(
        addresses.family_of(url) == "pcsc" for url in config.devices.card_readers
    )
    outcome = Outcome.FAIL if wanted else Outcome.SKIP
    try:
        from drivers.pcsc_reader import list_readers
    except ImportError as exc:
        return [Result("pc/sc readers", outcome, f"pyscard cannot be used here ({exc})", PCSC_HINT)]
    service, names = list_readers()
    if not service:
        return [Result("pc/sc readers", outcome, "no PC/SC service (pcscd) running", PCSC_HINT)]
    if not names:
        return [Result("pc/sc readers", outcome, "pcscd runs, but sees no reader", PCSC_HINT)]
    return [ok("pc/sc readers", f"{len(names)}: {'; '.join(names)}")]


# ---- the devices, through the registry's drivers --------------------------------------------


def device_checks(config: Config) -> list[Check]:
    checks = []
    for name, url in zip(
        reader_names(config.devices.card_readers), config.devices.card_readers, strict=True
    ):
        label = f"card reader {name}"
        checks.append(
            Check(label, lambda u=url, n=name, c=label: card_reader(c, u, n), KIOSK_RUNNING)
        )
    checks.append(Check("printer", lambda: printer(config), "check the printer's power"))
    checks.append(Check("qr scanner", lambda: scanner(config.devices.qr_scanner), KIOSK_RUNNING))
    return checks


def first_status(device, timeout: float) -> DeviceStatus | None:
    """Start a threaded device and stop it at its first report, from that report's own call:
    a SAM reader stops before its first "find" (no card is looked for, none read), a scanner
    before it reads its port. None when it said nothing within ``timeout``."""
    said: list[DeviceStatus] = []
    done = threading.Event()

    def post(event: object) -> None:
        status = getattr(event, "status", None)
        if isinstance(status, DeviceStatus) and status.state is not DeviceState.STARTING:
            device.stop()  # on the device's thread: it ends after this call, port closed
            said.append(status)
            done.set()

    device.start(post)
    if not done.wait(timeout):
        device.stop()
        return None
    return said[0]


def _usb(port: str) -> str:
    """ " (USB 1a86:7523 …)" for a local serial port on USB, else ""."""
    what = usb_ids(port)
    return f" ({what})" if what else ""


def card_reader(check: str, url: str, name: str) -> list[Result]:
    from drivers.registry import open_card_reader

    address = addresses.parse(url, kind=DeviceKind.CARD_READER)
    if address.scheme.family == "pcsc":
        return [pcsc_reader(check, open_card_reader(address, name))]
    reader = open_card_reader(address, name, read_timeout=2.0, reopen_interval=60.0)
    status = first_status(reader, 10.0)
    where = f"{url}{_usb(address.serial_port)}"
    if status is None:
        return [fail(check, f"{where}: no status within 10 s", KIOSK_RUNNING)]
    if status.state is DeviceState.ONLINE:
        return [ok(check, f"{where}: online, {status.detail}")]
    hints = {
        DeviceState.NO_DEVICE: f"check the cable and the port in [devices]; {KIOSK_RUNNING}",
        DeviceState.OFFLINE: "the port opens but the SAM does not answer: check the reader's "
        "power and baud= (baud=auto probes)",
        DeviceState.HARDWARE_ERROR: "the SAM reports a fault: the reader needs service",
    }
    return [
        fail(check, f"{where}: {status.state.value}: {status.detail}", hints.get(status.state, ""))
    ]


def pcsc_reader(check: str, reader) -> Result:
    """A PC/SC reader matching the address's reader= is present (no card is touched)."""
    from drivers.pcsc_reader import list_readers

    service, names = list_readers()
    if not service:
        return fail(check, "no PC/SC service (pcscd) running", PCSC_HINT)
    matching = [n for n in names if reader.matches(n)]
    if not matching:
        seen = "; ".join(names) or "none"
        return fail(
            check, f"no reader matches {reader.reader_filter!r} (present: {seen})", PCSC_HINT
        )
    return ok(check, f"present: {matching[0]}")


def printer(config: Config) -> list[Result]:
    from drivers.registry import open_printer

    device = open_printer(config)
    try:
        status = device.status()  # DLE EOT 1, 2 and 4 through the kiosk's own driver
    finally:
        device.close()
    url = config.devices.printer
    paper = f"paper {status.paper.value}" + (", cover open" if status.cover_open else "")
    if status.usable and status.paper is Paper.LOW:
        return [Result("printer", Outcome.WARN, f"{url}: online, {paper}", "load a new roll soon")]
    if status.usable:
        return [ok("printer", f"{url}: {status.state.value}, {paper}")]
    if status.state is DeviceState.NO_DEVICE:
        hint = "check the printer's power, cable or network, and [devices] printer"
    elif status.cover_open or status.paper in (Paper.OUT, Paper.JAMMED):
        hint = "close the cover, load paper, clear a jam"
    else:
        hint = "see docs/printer.md for the printer's states"
    return [fail("printer", f"{url}: {status.state.value}, {paper} ({status.detail})", hint)]


def scanner(url: str) -> list[Result]:
    if not url:
        return [Result("qr scanner", Outcome.SKIP, "none configured")]
    from drivers.registry import open_scanner

    device = open_scanner(url, reopen_interval=60.0)
    if device is None:  # a keyboard wedge types into the kiosk's window: nothing to open
        return [ok("qr scanner", f"{url}: keyboard wedge, read by the kiosk's window")]
    address = addresses.parse(url, kind=DeviceKind.QR_SCANNER)
    where = f"{url}{_usb(address.serial_port)}"
    status = first_status(device, 10.0)
    if status is None:
        return [fail("qr scanner", f"{where}: no status within 10 s", KIOSK_RUNNING)]
    if status.state is DeviceState.ONLINE:
        return [ok("qr scanner", f"{where}: port opens ({status.detail})")]
    hint = f"check the cable and the port in [devices] qr_scanner; {KIOSK_RUNNING}"
    return [fail("qr scanner", f"{where}: {status.state.value}: {status.detail}", hint)]


# ---- the platform ---------------------------------------------------------------------------


def platform(config: Config) -> list[Result]:
    """Reachable, TLS verified, a signed call accepted, the clock: in that order, each only
    when the one before it passed (one cause, one failure)."""
    url = config.platform.url
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    started = time.monotonic()
    try:
        socket.create_connection((host, port), timeout=config.platform.connect_timeout).close()
    except OSError as exc:
        return [
            fail("platform", f"{url}: cannot connect ({exc})", PLATFORM_HINT),
            Result("platform tls", Outcome.SKIP, "not tried: the platform is unreachable"),
            Result("platform signed", Outcome.SKIP, "not tried: the platform is unreachable"),
            Result("clock", Outcome.SKIP, "not measured: the platform is unreachable"),
        ]
    results = [ok("platform", f"{url}: connects in {(time.monotonic() - started) * 1000:.0f} ms")]
    tls = _tls(config, host, port)
    results.append(tls)
    if tls.outcome is Outcome.FAIL:
        results.append(Result("platform signed", Outcome.SKIP, "not tried: TLS failed"))
        results.append(Result("clock", Outcome.SKIP, "not measured: TLS failed"))
        return results
    return results + _signed(config)


def _tls(config: Config, host: str, port: int) -> Result:
    if not config.platform.url.startswith("https://"):
        return Result(
            "platform tls", Outcome.SKIP, "http:// on this machine (a demo): no TLS to verify"
        )
    from kiosk.tls import format_pin, spki_sha256

    ca = config.platform.ca_file
    context = ssl.create_default_context(cafile=str(ca) if ca else None)
    hint = "the certificate must chain to the system's CAs or [platform] ca_file"
    try:
        with (
            socket.create_connection((host, port), timeout=config.platform.connect_timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True) or b""
            cert = tls.getpeercert() or {}
    except ssl.SSLCertVerificationError as exc:
        return fail("platform tls", f"not verified: {exc.verify_message}", hint)
    except (ssl.SSLError, OSError) as exc:
        return fail("platform tls", f"handshake failed: {exc}", hint)
    pins = config.platform.pin_sha256
    if pins and spki_sha256(der) not in pins:
        return fail(
            "platform tls",
            f"the certificate's key {format_pin(spki_sha256(der))} matches no pin_sha256",
            "the gateway changed its key: update [platform] pin_sha256",
        )
    expires = ssl.cert_time_to_seconds(cert["notAfter"]) if "notAfter" in cert else None
    what = f"verified for {host}" + (", pinned" if pins else "")
    if expires is not None:
        days = (expires - time.time()) / 86400
        what += f", expires in {days:.0f} days"
        if days < 30:
            return Result("platform tls", Outcome.WARN, what, "tell the platform's operators")
    source = f"CA file {ca}" if ca else "the system's CAs"
    return ok("platform tls", f"{what} ({source})")


def _signed(config: Config) -> list[Result]:
    from kiosk.platform import PlatformError
    from kiosk.signing import clock_skew
    from wiring import platform_client

    with platform_client(config, retries=0) as client:
        try:
            probe = client.probe()
        except PlatformError as exc:
            return [
                fail("platform signed", str(exc), PLATFORM_HINT),
                Result("clock", Outcome.SKIP, "not measured: no reply"),
            ]
    what = f"GET /v1/catalogue signed as {config.device_id} ({config.platform.signing.value})"
    if probe.accepted:
        results = [ok("platform signed", f"{what}: accepted ({probe.status})")]
    else:
        hint = (
            "set the clock (`timedatectl set-ntp true`)"
            if probe.code == "clock_skew"
            else "device_id and the device key must be those the platform registered"
        )
        refused = f"{what}: refused, {probe.status} {probe.code or 'without a code'}"
        results = [fail("platform signed", refused, hint)]
    skew = clock_skew(probe.date, probe.signed_at)
    if skew is None:
        results.append(Result("clock", Outcome.WARN, "the reply has no Date header to go by"))
        return results
    way = "ahead of" if skew > 0 else "behind"
    said = f"{abs(skew):.0f} s {way} the platform's Date (the platform allows 300 s)"
    if abs(skew) >= SKEW_FAIL:
        results.append(fail("clock", said, "set the clock (`timedatectl set-ntp true`)"))
    elif abs(skew) >= SKEW_WARN:
        results.append(Result("clock", Outcome.WARN, said, "check NTP (`timedatectl`)"))
    else:
        results.append(ok("clock", said))
    return results


# ---- the rest of the machine ----------------------------------------------------------------


def disk(data_dir: Path) -> list[Result]:
    from kiosk import assets

    existing = data_dir
    while not existing.exists():
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    said = f"{data_dir}: {free / 2**30:.1f} GiB free"
    if not data_dir.exists():
        said += " (created at first start)"
    if not assets.writable(data_dir):
        return [
            fail("disk", f"{data_dir}: not writable by {_user()}", "chown it to the kiosk user")
        ]
    if free < MIN_FREE:
        return [fail("disk", said, "free space: old logs, or a larger disk")]
    if free < LOW_FREE:
        return [Result("disk", Outcome.WARN, said, "free some space soon")]
    return [ok("disk", said)]


def _user() -> str:
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def font(data_dir: Path | None) -> list[Result]:
    from kiosk import assets
    from kiosk.fonts import FontNotFound, find_cjk_font

    try:
        face = find_cjk_font()
        bold = find_cjk_font(bold=True)
    except FontNotFound as exc:
        return [fail("font", str(exc), "apt install fonts-noto-cjk")]
    said = f"{face.path} face {face.index}" + (", bold too" if bold != face else "")
    if face.index == 0:
        return [ok("font", said)]
    places = assets.fonts(data_dir)
    copy = f"{face.path.stem}-{face.index}.otf"
    ready = next((p / copy for p in places if (p / copy).is_file()), None)
    if ready is not None:
        return [ok("font", f"{said}; the screen's copy {ready}")]
    if any(assets.writable(p) for p in places):
        return [ok("font", f"{said}; the screen's copy is made at first start")]
    return [
        Result(
            "font",
            Outcome.WARN,
            f"{said}; no place to keep the screen's copy",
            "run `python -m screens.fonts` as the installer",
        )
    ]


def key_file(config: Config) -> list[Result]:
    file = config.platform.device_key_file
    if file is None:  # the key is in the configuration itself: that file must be kept close
        mode = stat.S_IMODE(Path(config.source).stat().st_mode)
        if mode & 0o077:
            return [
                Result(
                    "key file",
                    Outcome.WARN,
                    f"the device key is in {config.source}, mode {mode:04o}",
                    f"chmod 600 {config.source}, or move the key to a device_key_file",
                )
            ]
        return [ok("key file", f"the device key is in {config.source}, mode {mode:04o}")]
    mode = stat.S_IMODE(file.stat().st_mode)
    problem = key_mode_problem(file, mode)
    if problem:
        return [fail("key file", problem, f"chmod 600 {file}")]
    return [ok("key file", f"{file}: mode {mode:04o}, owner {_owner(file)}")]


def _owner(path: Path) -> str:
    import pwd

    uid = path.stat().st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def watchdog() -> list[Result]:
    """systemd's WatchdogSec for the kiosk's unit, asked of systemd where it runs."""
    if not Path("/run/systemd/system").is_dir():
        unit = next((f for f in UNIT_FILES if f.is_file()), None)
        said = "not under systemd"
        if unit is not None:
            line = next(
                (x for x in unit.read_text().splitlines() if x.startswith("WatchdogSec=")), ""
            )
            said += f"; {unit} says {line or 'no WatchdogSec='}"
        return [Result("watchdog", Outcome.WARN, said, "production kiosks run under systemd")]
    shown = subprocess.run(
        ["systemctl", "show", UNIT, "-p", "LoadState", "-p", "WatchdogUSec"],
        capture_output=True,
        text=True,
        timeout=5,
    )
    values = dict(line.split("=", 1) for line in shown.stdout.splitlines() if "=" in line)
    if values.get("LoadState") != "loaded":
        return [fail("watchdog", f"{UNIT}.service is not installed", "see deploy/kiosk.service")]
    usec = values.get("WatchdogUSec", "0")
    if usec in ("0", "", "infinity"):
        return [
            fail("watchdog", f"{UNIT}.service sets no WatchdogSec=", "see deploy/kiosk.service")
        ]
    return [ok("watchdog", f"{UNIT}.service: WatchdogSec={usec}")]
