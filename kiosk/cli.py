"""The `kiosk` command: run the kiosk, and the technicians' tools.

`kiosk run` needs a configuration file; `kiosk run --demo` starts the reference platform and the
device emulators on loopback and runs the kiosk against them through its real drivers. Without
a display, demo mode runs under Xvfb and drives one whole scripted journey, leaving screenshots
and the printed certificate under out/.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from kiosk import config as cfg
from kiosk import logs

log = logging.getLogger("kiosk.cli")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1080x1920") from None
    if not (320 <= w <= 7680 and 320 <= h <= 7680):
        raise argparse.ArgumentTypeError(f"{text!r}: each side must be 320 to 7680")
    return w, h


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk", description="一证通办 self-service kiosk")
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
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    return 2


def _run(args: argparse.Namespace) -> int:
    if args.script and not args.demo:
        print("kiosk: --script drives the demo devices; use it with --demo", file=sys.stderr)
        return 2
    if not args.demo:
        try:
            config = cfg.load(args.config)
        except cfg.ConfigError as exc:
            print(f"kiosk: {exc}", file=sys.stderr)
            return 2
        logs.setup(config.data_dir / "logs")
        import main as composition

        return composition.run(config, window=args.window)
    from devkit.demo import run_demo

    headless = args.headless or not os.environ.get("DISPLAY")
    return run_demo(
        out=args.out,
        script=args.script or ("demo" if headless else None),
        headless=headless,
        window=args.window,
        landscape=args.landscape,
    )


if __name__ == "__main__":
    sys.exit(main())
