"""Composition root and the `kiosk` command: configuration in, core + drivers + UI wired, run.

Kivy reads its settings when it is first imported, so everything Kivy-related is imported inside
``run`` after the environment and the Kivy config are set (a cached config.ini must never
override the kiosk's own settings: KIVY_NO_CONFIG).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk import config as cfg
from kiosk import logs, notify
from kiosk.config import Config
from kiosk.i18n import _
from wiring import build_runtime

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
    KivyConfig.set("graphics", "maxfps", str(config.display.max_fps))
    KivyConfig.set("kivy", "exit_on_escape", "0")
    KivyConfig.set("kivy", "log_level", "warning")
    KivyConfig.set("input", "mouse", "mouse,disable_multitouch")


def _announce_ready(_app) -> None:
    """The first screen is drawn: tell systemd (Type=notify) and whoever asked by file."""
    ready_file = os.environ.get("KIOSK_READY_FILE")
    if ready_file:
        with open(ready_file, "w") as f:
            f.write(f"{time.time():.6f}\n")
    notify.notify(notify.READY)


def _keep_watchdog(clock) -> None:
    """systemd's watchdog (WatchdogSec=) pinged from the UI thread's clock: a frozen screen
    stops the pings, and systemd kills and restarts the kiosk."""
    interval = notify.watchdog_interval()
    if interval is None:
        return

    def ping(_dt) -> None:  # returns None: a ping that could not be sent ends no schedule
        notify.notify(notify.WATCHDOG)

    log.info("watchdog: a ping every %.1f s", interval)
    clock.schedule_interval(ping, interval)


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

    fonts.register(config.data_dir)
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
    _keep_watchdog(Clock)
    # SIGTERM (systemd stop, a technician's kill) ends the kiosk cleanly: devices closed,
    # the outbox left consistent
    signal.signal(signal.SIGTERM, lambda *_args: Clock.schedule_once(lambda _dt: app.shutdown(), 0))
    app.run()
    return getattr(app, "exit_code", 0)


# ---- the `kiosk` command ---------------------------------------------------------------------


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1080x1920") from None
    if not (320 <= w <= 7680 and 320 <= h <= 7680):
        raise argparse.ArgumentTypeError(f"{text!r}: each side must be 320 to 7680")
    return w, h


def parser(named: str | None = None) -> argparse.ArgumentParser:
    """The `kiosk` command line; ``named`` is the subcommand given, so that only its tool is
    imported (None: all, for the full help)."""
    p = argparse.ArgumentParser(prog="kiosk", description=_("一证通办 self-service kiosk"))
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the kiosk")
    run.add_argument("--config", type=Path, help=f"configuration file (default {cfg.DEFAULT_PATH})")
    run.add_argument(
        "--demo",
        action="store_true",
        help="start the reference platform and device emulators on loopback and use them",
    )
    run.add_argument(
        "--script",
        help="demo only: drive the kiosk through a scripted journey (default without a display: demo)",
    )
    run.add_argument(
        "--out", type=Path, default=Path("out"), help="demo output folder (default out/)"
    )
    run.add_argument("--window", type=_size, help="window size WIDTHxHEIGHT instead of fullscreen")
    run.add_argument(
        "--headless", action="store_true", help="run under Xvfb even when a display is present"
    )
    run.add_argument(
        "--landscape", action="store_true", help="demo only: a 1920x1080 landscape screen"
    )
    import cli as tools  # the technicians' tools, one module per subcommand

    tools.add_commands(sub, named)
    return p


def cli(argv: list[str] | None = None) -> int:
    """The `kiosk` console script."""
    argv = sys.argv[1:] if argv is None else argv
    named = argv[0] if argv and not argv[0].startswith("-") else None
    args = parser(named).parse_args(argv)
    if args.command == "run":
        return _run(args)
    import cli as tools

    return tools.run(args)


def _run(args: argparse.Namespace) -> int:
    if args.script and not args.demo:
        print("kiosk: --script drives the demo devices; use it with --demo", file=sys.stderr)
        return 2
    if not args.demo:
        from drivers.registry import check_device_urls
        from kiosk.addresses import AddressError

        try:
            config = cfg.load(args.config)
            check_device_urls(config)
        except cfg.ConfigError as exc:
            print(f"kiosk: {exc}", file=sys.stderr)
            return 2
        except AddressError as exc:  # kiosk.config read them all: a driver that disagrees
            print(f"kiosk: {config.source}: [devices] {exc}", file=sys.stderr)
            return 2
        logs.setup(config.data_dir / "logs")
        return run(config, window=args.window)
    from devkit.demo import run_demo

    headless = args.headless or not os.environ.get("DISPLAY")
    kivy_environment(args.out.resolve() / "demo" / "kivy")
    return run_demo(
        run,
        out=args.out,
        script=args.script or ("demo" if headless else None),
        headless=headless,
        window=args.window,
        landscape=args.landscape,
    )


if __name__ == "__main__":
    sys.exit(cli())
