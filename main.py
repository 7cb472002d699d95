"""Composition root: configuration in, core + drivers + UI wired together, run.

Kivy reads its settings when it is first imported, so everything Kivy-related is imported inside
``run`` after the environment and the Kivy config are set (a cached config.ini must never
override the kiosk's own settings: KIVY_NO_CONFIG).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Sequence

from kiosk.config import Config

log = logging.getLogger("kiosk.main")


def kivy_environment(kivy_home: os.PathLike | str) -> None:
    """Before Kivy's first import: no argv parsing, no config.ini, Python logging, no stderr
    capture. Call it before anything imports Kivy."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONFIG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_HOME", str(kivy_home))


def _prepare_kivy(config: Config, window: tuple[int, int] | None) -> None:
    kivy_environment(config.data_dir / "kivy")
    from kivy.config import Config as KivyConfig

    width, height = window or (config.display.width, config.display.height)
    fullscreen = config.display.fullscreen and window is None
    KivyConfig.set("graphics", "width", str(width))
    KivyConfig.set("graphics", "height", str(height))
    KivyConfig.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    KivyConfig.set("graphics", "borderless", "1" if fullscreen else "0")
    KivyConfig.set("graphics", "resizable", "0")
    KivyConfig.set("graphics", "rotation", str(config.display.rotation))
    KivyConfig.set("graphics", "show_cursor", "1" if config.demo else "0")
    KivyConfig.set("graphics", "allow_screensaver", "0")
    KivyConfig.set("graphics", "maxfps", "30")
    KivyConfig.set("kivy", "exit_on_escape", "0")
    KivyConfig.set("kivy", "log_level", "warning")
    KivyConfig.set("input", "mouse", "mouse,disable_multitouch")


def build_runtime(config: Config, call_soon: Callable[[Callable[[], None]], None], journey=None):
    """The core with its real drivers, client and outbox (shared by the app and the tests)."""
    from drivers.registry import open_card_reader, open_printer
    from kiosk.platform import PlatformClient
    from kiosk.runtime import Runtime
    from offline.outbox import Outbox

    platform = PlatformClient(
        config.platform.url,
        config.device_id,
        config.platform.device_key,
        connect_timeout=config.platform.connect_timeout,
        read_timeout=config.platform.read_timeout,
        retries=config.platform.retries,
    )
    return Runtime(
        config,
        platform=platform,
        printer=open_printer(config),
        card_reader=open_card_reader(config.devices.card_reader),
        outbox=Outbox(config.data_dir / "outbox.db"),
        call_soon=call_soon,
        heartbeat_interval=5.0 if config.demo else 15.0,
        printer_poll_interval=2.0 if config.demo else 5.0,
        journey=journey,
    )


def _announce_ready(_app) -> None:
    """The first screen is drawn: tell systemd (Type=notify) and whoever asked by file."""
    ready_file = os.environ.get("KIOSK_READY_FILE")
    if ready_file:
        with open(ready_file, "w") as f:
            f.write(f"{time.time():.6f}\n")
    notify = os.environ.get("NOTIFY_SOCKET")
    if notify:
        address = "\0" + notify[1:] if notify.startswith("@") else notify
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock, contextlib.suppress(OSError):
            sock.sendto(b"READY=1", address)


def run(
    config: Config,
    *,
    window: tuple[int, int] | None = None,
    overlays: Sequence[Callable] = (),
    on_ready: Callable | None = None,
) -> int:
    """Run the kiosk until it is stopped; returns the process exit code."""
    _prepare_kivy(config, window)
    from kivy.clock import Clock

    from screens import fonts

    fonts.register()
    from screens.app import KioskApp

    def call_soon(fn: Callable[[], None]) -> None:
        Clock.schedule_once(lambda _dt: fn(), 0)

    from kiosk.journey import Journey, JourneySettings

    journey = Journey(JourneySettings.from_config(config))
    app = KioskApp(
        config,
        journey,
        lambda: build_runtime(config, call_soon, journey),
        overlays=overlays,
        on_drawn=_announce_ready,
        on_ready=on_ready,
    )
    # SIGTERM (systemd stop, a technician's kill) ends the kiosk cleanly: devices closed,
    # the outbox left consistent
    signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(lambda _dt: app.shutdown(), 0))
    app.run()
    return getattr(app, "exit_code", 0)
