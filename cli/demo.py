"""`kiosk demo serve --write-config PATH`: the demo's platform and devices, without the kiosk.

It starts what `kiosk run --demo` starts (devkit.demo's stack: the reference platform over HTTP,
the SAM reader on a pseudo-terminal, the ESC/POS printer on TCP, the QR scanner on a
pseudo-terminal, all on this machine), writes a configuration that points at them, prints
their addresses and stays up until Ctrl-C or SIGTERM. A technician trains on it with
`kiosk doctor --config PATH` and `kiosk run --config PATH`, no hardware needed.

The configuration is written atomically and the device key goes to a file of its own beside
it (PATH with the suffix .key, mode 600), as on a real kiosk. The demo's data (the platform's
database, the printed pages, the kiosk's data directory) lives under ``--out`` and is wiped at
each start.

While it runs, a line on stdin plays a fault a technician should recognise: ``unplug reader``,
``replug reader`` (the same for ``scanner`` and ``printer``), ``paper out|low|ok``,
``cover open|closed``; ``help`` lists them.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from cli.console import print_text

EXIT_OK = 0
EXIT_FAILED = 1
COMMANDS = (
    "unplug reader",
    "replug reader",
    "unplug scanner",
    "replug scanner",
    "unplug printer",
    "replug printer",
    "paper out",
    "paper low",
    "paper ok",
    "cover open",
    "cover closed",
)


def _control(stack, line: str) -> str:
    """Play one fault on the stack; the answer to print."""
    words = line.split()
    if " ".join(words) not in COMMANDS:
        return "commands: " + ", ".join(COMMANDS)
    verb, part = words
    if part in ("reader", "scanner"):
        device = stack.sam if part == "reader" else stack.scanner
        device.unplug() if verb == "unplug" else device.replug()
    elif part == "printer":
        if verb == "unplug":
            stack.printer.stop()
        else:
            stack.printer.start()  # on the same port (kept from the first start)
    elif verb == "paper":
        level = {"low": "near_end"}.get(part, part)  # the emulator's word for it
        stack.printer.set_state(**{**stack.printer.state.as_dict(), "paper": level})
    else:
        opened = part == "open"
        stack.printer.set_state(**{**stack.printer.state.as_dict(), "cover_open": opened})
    return f"done: {verb} {part}"


def _serve(args: argparse.Namespace) -> int:
    from devkit.demo import DemoStack  # the devkit only for this command: never the kiosk's
    from kiosk import logs

    out = args.out.resolve()
    path = args.write_config.resolve()
    stack = DemoStack(out, social_cards=args.pcsc).reset()
    logs.setup(
        out / "demo" / "logs", console_level=logging.ERROR
    )  # errors only: stdout is the addresses
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    try:
        stack.start()
        data = stack.config_data(fullscreen=False, size=(540, 960))
        key_path = stack.write_config(path, data)
    except Exception as exc:
        stack.stop()
        print(f"kiosk demo: could not start: {exc}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    host, port = stack.printer_addr
    readers = data["devices"]["card_reader"]
    print_text(f"platform      {stack.platform_url}")
    print_text(f"card reader   {readers[0]}")
    for other in readers[1:]:
        print_text(f"card reader   {other}")
    print_text(f"printer       escpos+tcp://{host}:{port}")
    print_text(f"qr scanner    {data['devices']['qr_scanner']}")
    print_text(f"configuration {path} (key {key_path})")
    print_text(f"try: kiosk doctor --config {path}")
    print_text(f"     kiosk run --config {path}")
    print_text("ready: Ctrl-C stops it; type `help` for the faults it can play")

    def read_commands() -> None:
        for line in sys.stdin:
            if line.strip() and not stopped.is_set():
                try:
                    print_text(_control(stack, line))
                except Exception as exc:  # a fault played twice: say so, keep serving
                    print_text(f"could not: {exc}")

    if not args.no_stdin:
        threading.Thread(target=read_commands, name="demo-commands", daemon=True).start()
    try:
        while not stopped.wait(1.0):
            pass
    finally:
        stack.stop()
        print_text("stopped")
    return EXIT_OK


def add_commands(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    demo = subparsers.add_parser("demo", help="the demo's platform and devices, for training")
    sub = demo.add_subparsers(dest="demo_command", required=True, metavar="{serve}")
    serve = sub.add_parser(
        "serve", help="start the reference platform and device emulators, write a configuration"
    )
    serve.add_argument(
        "--write-config", type=Path, required=True, metavar="PATH", help="configuration to write"
    )
    serve.add_argument(
        "--out", type=Path, default=Path("out"), help="demo data folder, wiped (default out/)"
    )
    serve.add_argument(
        "--pcsc",
        action="store_true",
        help="also a social-security card reader (starts pcscd with a virtual reader)",
    )
    serve.add_argument("--no-stdin", action="store_true", help="read no fault commands")
    serve.set_defaults(demo_handler=_serve)
    return demo


def run(args: argparse.Namespace) -> int:
    return args.demo_handler(args)
