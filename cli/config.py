"""`kiosk config check PATH` and `kiosk config set-pin`: the configuration file, from a shell.

``check`` reads the file exactly as `kiosk run` does (every key, every device address, each
driver built from its address) without opening a device or starting anything; the message names
the key. ``set-pin`` asks for the technician's PIN twice without echo (or reads one line from
stdin with ``--pin-stdin``, for an installer's script), and writes its salted scrypt hash
(kiosk.pin) to ``[technician] pin_hash``: the file is changed atomically, every other byte kept,
the previous version left beside it as PATH.bak (kiosk.config_file). Neither prints the PIN,
the hash or the device key.

Exit status: 0 done (the file is valid / the PIN is set); 1 the file is not valid, or the PIN
was refused (not 6 to 8 digits, the two entries differ); 2 bad arguments.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from cli.console import print_text
from kiosk import config as cfg
from kiosk import pin
from kiosk.config_file import ConfigFileError, set_value

EXIT_OK = 0
EXIT_INVALID = 1


def check(path: Path) -> str | None:
    """What is wrong with the file at ``path`` for `kiosk run`, None when nothing is."""
    from drivers.registry import check_device_urls
    from kiosk.addresses import AddressError

    try:
        config = cfg.load(path)
        check_device_urls(config)
    except cfg.ConfigError as exc:
        return str(exc)
    except AddressError as exc:
        return f"{path}: [devices] {exc}"
    return None


def _check(args: argparse.Namespace) -> int:
    problem = check(args.path)
    if problem:
        return _fail(problem)
    print_text(f"{args.path}: ok")
    return EXIT_OK


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().strip()
    first = getpass.getpass("technician PIN (6-8 digits): ")
    pin.check_format(first)
    if getpass.getpass("the same PIN again: ") != first:
        raise pin.PinError("the two PINs differ; nothing was changed")
    return first


def _set_pin(args: argparse.Namespace) -> int:
    path = args.config or cfg.DEFAULT_PATH
    if not path.is_file():
        return _fail(f"{path}: no such file (see {cfg.EXAMPLE_PATH})")
    try:
        hashed = pin.hash_pin(_read_pin(args.pin_stdin))
        backup = set_value(path, "technician", "pin_hash", hashed)
    except (pin.PinError, ConfigFileError) as exc:
        return _fail(str(exc))
    except (EOFError, KeyboardInterrupt):
        return _fail("no PIN given; nothing was changed")
    print_text(f"{path}: the technician PIN is set (the previous file is kept as {backup})")
    return EXIT_OK


def add_commands(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``config check`` and ``config set-pin``; run() dispatches."""
    config = subparsers.add_parser("config", help="check a configuration file, set the PIN")
    sub = config.add_subparsers(dest="config_command", required=True, metavar="{check,set-pin}")
    check_p = sub.add_parser("check", help="validate a configuration as `kiosk run` would")
    check_p.add_argument("path", type=Path, help="the configuration file")
    check_p.set_defaults(config_handler=_check)
    set_pin = sub.add_parser("set-pin", help="set the technician's PIN (kept as a scrypt hash)")
    set_pin.add_argument(
        "--config", type=Path, help=f"configuration file (default {cfg.DEFAULT_PATH})"
    )
    set_pin.add_argument(
        "--pin-stdin", action="store_true", help="read the PIN from one line of stdin (scripts)"
    )
    set_pin.set_defaults(config_handler=_set_pin)
    return config


def run(args: argparse.Namespace) -> int:
    return args.config_handler(args)


def _fail(reason: str) -> int:
    print(f"kiosk config: {' '.join(reason.split())}", file=sys.stderr, flush=True)
    return EXIT_INVALID
