"""Demo mode: the reference platform and the device emulators on loopback, and the kiosk on them.

The kiosk reaches them through its real drivers and client: the SAM reader over a
pseudo-terminal at 115200 baud, the printer over TCP, the platform over HTTP with signed
requests. Nothing in the kiosk knows it is a demo except the URLs it was handed.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import tomlkit

from devkit.people import BY_KEY, DEMO_TECHNICIAN_PIN, ENTERPRISES
from devkit.platform_server import (
    DEFAULT_VERIFY_BASE_URL,
    DEMO_DEVICE_ID,
    DEMO_DEVICE_KEY,
    ReferencePlatform,
)
from devkit.printer_emulator import PrinterEmulator
from devkit.qr_emulator import QrScannerEmulator, licence_url
from devkit.sam_emulator import SamEmulator
from drivers import escpos_cache
from kiosk import config as cfg
from kiosk import logs, pin
from kiosk.config_file import replace

log = logging.getLogger("devkit.demo")

PORTRAIT = (1080, 1920)
SCRIPT_NAMES = (
    "demo",
    "privacy_printer",
    "two_citizens",
    "bench_items",
    "panel",
    "cards",
    "qr",
    "printer",
    "offline",
    "wedge",
    "freeze",
    "ratings",
    "soak",
    "availability",
    "lockdown",
    "technician",
    "tech_address",
    "tech_restart",
    "help_seen",
    "voice",
    "english",
    "notice",
    "case_slip",
    "cases",
    "linebreak",
    "complaints",
)
LANDSCAPE = (1920, 1080)
# the runs with the PC/SC reader too: the interactive demo, its panel, and the scripts that show
# it. pcscd and its virtual readers are one per machine, so every other script runs without them
# (a card another run inserts there would walk into its journeys), and the tests of these few
# run on their own (`make test`: the pcsc marker)
WITH_PCSC = (None, "demo", "panel", "cards")


class DemoStack:
    """Everything a demo kiosk talks to, started and stopped together."""

    def __init__(
        self,
        out: Path,
        *,
        width_dots: int = 576,
        social_cards: bool = True,
        accelerated: bool = False,
    ) -> None:
        """``accelerated`` (the soak): the same devices and protocols, minus the waiting that
        only costs time: the SAM reader's replies are not paced at the baud rate and the
        printer keeps no PNG of each job."""
        self.out = out
        self.state_dir = out / "demo"
        self.platform = ReferencePlatform(db_path=self.state_dir / "platform.db")
        self.printer = PrinterEmulator(
            out_dir=None if accelerated else out / "printer", width_dots=width_dots
        )
        self.sam = SamEmulator(baud=115200, paced=not accelerated)
        self.scanner = QrScannerEmulator(terminator=b"\r")
        self.width_dots = width_dots
        self.platform_url = ""
        self.printer_addr: tuple[str, int] = ("", 0)
        self.sam_path = ""
        self.scanner_path = ""
        # a PC/SC reader for social-security cards, when pcscd and vpcd can run here
        self.want_pcsc = social_cards
        self.pcsc = None
        self.social_card = None

    def reset(self) -> DemoStack:
        """Every demo starts clean: no outbox or platform data of an earlier run."""
        shutil.rmtree(self.state_dir, ignore_errors=True)
        shutil.rmtree(self.out / "printer", ignore_errors=True)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return self

    def start(self) -> DemoStack:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.platform_url = self.platform.start()
        self.printer_addr = self.printer.start()
        self.sam_path = self.sam.start()
        self.scanner_path = self.scanner.start()
        if self.want_pcsc:
            self._start_pcsc()
        log.info(
            "demo stack: platform %s, printer %s:%d, SAM reader %s",
            self.platform_url,
            *self.printer_addr,
            self.sam_path,
        )
        return self

    def _start_pcsc(self) -> None:
        from devkit.pcsc_stack import PcscStack, PcscStackError, missing

        why = missing()
        if why is not None:
            log.warning("demo without a social-security card reader: %s", why)
            return
        stack = PcscStack(auto_exit=True)  # an orphan (demo killed) quits after a minute
        try:
            stack.start()
        except PcscStackError as exc:
            log.warning("demo without a social-security card reader: %s", exc)
            return
        self.pcsc = stack

    def stop(self) -> None:
        self.remove_social_card()
        if self.pcsc is not None:
            self.pcsc.stop()
        for part in (self.scanner, self.sam, self.printer, self.platform):
            try:
                part.stop()
            except Exception:
                log.exception("stopping %s", type(part).__name__)

    def config(self, size: tuple[int, int] = PORTRAIT, **options) -> cfg.Config:
        """The demo's configuration, checked as a kiosk checks its file (options: config_data's)."""
        return cfg.parse(self.config_data(size, **options), "demo", demo=True)

    def config_data(
        self,
        size: tuple[int, int] = PORTRAIT,
        fullscreen: bool = False,
        inactivity: int = 60,
        wedge: bool = False,
        max_fps: int = 30,
        required: tuple[str, ...] | None = None,
    ) -> dict:
        """The configuration's tables, as a kiosk.toml holds them (`kiosk demo serve` writes
        them to a file, the key moved to a file of its own). ``wedge``: the QR scanner is a
        keyboard wedge (typed into the window), not serial; ``required``: [devices] required
        (None: the kiosk's default)."""
        host, port = self.printer_addr
        data = {
            "kiosk": {
                "device_id": DEMO_DEVICE_ID,
                "hall_name": "太原市政务服务中心（演示）",
                "hall_name_en": "Taiyuan Government Service Centre (demo)",
                "region_code": "140100",
                "data_dir": str(self.state_dir / "data"),
                "staff_phone": "0351-1234567（演示）",
            },
            "platform": {
                "url": self.platform_url,
                "device_key": DEMO_DEVICE_KEY.hex(),
                "read_timeout": 5.0,
                "retries": 1,
                "verify_base_url": DEFAULT_VERIFY_BASE_URL,
            },
            "devices": {
                "card_reader": [f"sam+serial://{self.sam_path}?baud=115200"]
                + ([f"pcsc://?reader={quote(self.pcsc.reader)}"] if self.pcsc is not None else []),
                "printer": f"escpos+tcp://{host}:{port}",
                "qr_scanner": "qr+wedge:"
                if wedge
                else f"qr+serial://{self.scanner_path}?baud=115200",
            },
            "printer": {"width_dots": self.width_dots, "charset": "GB18030", "qr": "native"},
            "display": {
                "width": size[0],
                "height": size[1],
                "fullscreen": fullscreen,
                "max_fps": max_fps,
            },
            "session": {"inactivity_seconds": inactivity, "warning_seconds": 20},
            "technician": {"pin_hash": pin.hash_pin(DEMO_TECHNICIAN_PIN)},
        }
        if required is not None:
            data["devices"]["required"] = list(required)
        return data

    def write_config(self, path: Path, data: dict) -> Path:
        """The configuration at ``path`` and its key at PATH.key (mode 600), each atomically, as
        a real kiosk keeps them; returns the key's path."""
        key_path = path.with_suffix(".key")
        platform = dict(data["platform"])
        replace(key_path, (platform.pop("device_key") + "\n").encode(), backup=False)
        key_path.chmod(0o600)
        platform["device_key_file"] = str(key_path)
        text = (
            "# Written by the demo: its platform and devices on this machine. It is valid while\n"
            "# the demo runs; `kiosk doctor --config` and `kiosk run --config` read it.\n\n"
            + tomlkit.dumps({**data, "platform": platform})
        )
        replace(path, text.encode("utf-8"), backup=False)
        return key_path

    def config_file(self, size: tuple[int, int] = PORTRAIT, **options) -> cfg.Config:
        """The demo's configuration written to a file, and read from it as a kiosk reads its
        own: the technician screen can then change a device's address in it."""
        path = self.state_dir / "kiosk.toml"
        self.write_config(path, self.config_data(size, **options))
        return cfg.load(path, demo=True)

    # ---- what the demo panel and the scripts do ------------------------------------------------

    def device_events(self, outbox, name: str) -> list[dict]:
        """Every device event of this name a kiosk raised: those the platform received in
        heartbeats and those still in ``outbox``. Only the two together are what happened;
        either alone races the heartbeat (a device change sends one at once). The queue is
        read first: what leaves it meanwhile is at the platform by then."""
        from kiosk.storage import Kind

        queued = outbox.due(Kind.EVENT, 1000)
        by_id = {e["id"]: e for e in self.platform.device_events(name)}
        for e in queued:
            if e.payload.get("event") == name:
                by_id.setdefault(e.id, e.payload)
        return sorted(by_id.values(), key=lambda e: e["at"])

    def place_card(self, key: str) -> None:
        self.sam.place_card(BY_KEY[key].card())

    def remove_card(self) -> None:
        self.sam.remove_card()

    def insert_social_card(self, key: str) -> None:
        """A citizen's social-security card into the PC/SC reader (through vpcd)."""
        from devkit.virtual_socialcard import VirtualSocialCard

        self.remove_social_card()
        self.social_card = VirtualSocialCard(BY_KEY[key].social_card())
        self.social_card.insert()

    def remove_social_card(self) -> None:
        if self.social_card is not None:
            self.social_card.remove()
            self.social_card = None

    def show_app_code(self, key: str) -> None:
        """The citizen holds the provincial app's identity code to the scanner."""
        self.scanner.scan(self.platform.mint_token(key))

    def scan_licence(self, key: str) -> None:
        enterprise = next(e for e in ENTERPRISES if e.key == key)
        self.scanner.scan(licence_url(enterprise.uscc))

    def scan_last_certificate(self) -> bool:
        """Someone holds the last certificate this kiosk printed to the scanner."""
        payloads = [p for job in self.printer.jobs for p in job.qr_payloads]
        if not payloads:
            return False
        self.scanner.scan(payloads[-1])
        return True

    def confirm_phone(self, session_id: str, key: str) -> None:
        """The citizen scanned the kiosk's QR with the app and confirmed."""
        self.platform.confirm_session(session_id, key)


def run_demo(
    run_kiosk: Callable[..., int],
    *,
    out: Path,
    script: str | None,
    headless: bool,
    window: tuple[int, int] | None = None,
    landscape: bool = False,
) -> int:
    """`kiosk run --demo`: interactive with a display, scripted under Xvfb without one.

    ``run_kiosk`` is the composition root's ``run(config, window=, overlays=, on_ready=)``: the
    demo runs the real kiosk, only with the stack's addresses. The caller has set Kivy's
    environment (KIVY_HOME under ``out``) before anything imported Kivy.
    """
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    # the demo's data is wiped at every start, the parsed printer database need not be: a
    # cold parse (~1 s) on the printer thread competes with the first screens for the CPU
    escpos_cache.keep_in(escpos_cache.user_cache() or out / "escpos")
    size = window or (LANDSCAPE if landscape else PORTRAIT)
    if not headless and window is None:
        size = (size[0] // 2, size[1] // 2)  # a window that fits a developer's screen
    soak = script == "soak"
    stack = DemoStack(out, accelerated=soak, social_cards=script in WITH_PCSC).reset()
    logs.setup(out / "demo" / "logs", console_level=logging.WARNING if script else logging.INFO)
    stack.start()
    xvfb = None
    try:
        if headless:
            from devkit.xvfb import Xvfb

            xvfb = Xvfb(*size)
            os.environ["DISPLAY"] = xvfb.start()
            # no loudspeaker either: SDL's mixer plays to nothing (the sound layer still runs)
            os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
            print(
                f"demo: no display, running under Xvfb {os.environ['DISPLAY']} at {size[0]}x{size[1]}"
            )
        # the scripted demo waits out a short limit to photograph the countdown; the soak
        # lets a session time out now and then, and its autopilot waits for frames
        config = stack.config_file(
            size,
            inactivity=30 if script in ("demo", "soak") else 60,
            wedge=script == "wedge",
            max_fps=120 if script == "soak" else 30,
            required=("card_reader", "printer", "qr_scanner") if script == "availability" else None,
        )
        overlays = []
        on_ready = None
        if script and script not in SCRIPT_NAMES:
            print(f"demo: unknown script {script!r}; known: {', '.join(SCRIPT_NAMES)}")
            return 2
        if script:

            def on_ready(app) -> None:
                # imported only now: Kivy must not be imported before its config is set
                from devkit.autopilot import Pilot
                from devkit.scripts import SCRIPTS

                Pilot(stack, SCRIPTS[script], out, name=script, quiet=script == "soak").start(app)

        if script in (None, "panel"):  # the presenter's panel (and the script that tests it)

            def panel(app):
                from devkit.demo_panel import demo_panel

                return demo_panel(app, stack)

            overlays.append(panel)
        return run_kiosk(config, window=size, overlays=overlays, on_ready=on_ready)
    finally:
        stack.stop()
        if xvfb is not None:
            xvfb.stop()
