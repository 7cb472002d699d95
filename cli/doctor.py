"""`kiosk doctor`: a technician's first look at a kiosk, one line per check.

It reads the configuration as `kiosk run` does and asks every part the kiosk depends on, each
through the kiosk's own code: the serial ports the machine has (with USB VID:PID), the PC/SC
readers, each configured device through the device registry's driver (the SAM reader's status
and SAM id, the printer's DLE EOT status, the scanner's port opened), the platform (reachable,
its TLS certificate verified, a signed call accepted, the clock against its Date header), the
data directory's free space, the CJK font, the device key file's mode and systemd's watchdog.

Each check runs on its own thread with a time limit, so a dead device cannot hang the command.
Nothing personal is ever read: the card reader is stopped as soon as it reports its state, so
no card on it is looked for, let alone read; the scanner's port is closed before it could hear
a scan. Every failure comes with a short hint. The kiosk should be stopped first
(`systemctl stop kiosk`): its devices are opened exclusively.

Exit status: 0 when no check failed (warnings and skipped checks allowed); 1 when one did;
2 bad arguments.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

from cli import doctor_checks as c
from cli.args import seconds
from cli.console import print_json, print_text
from cli.doctor_checks import Check, Outcome, Result
from drivers import escpos_cache
from kiosk import config as cfg

EXIT_OK = 0
EXIT_FAILED = 1
DEFAULT_TIMEOUT = 15.0  # seconds per check


def run_checks(checks: Iterable[Check], timeout: float) -> Iterable[Result]:
    """Each check on a daemon thread: one that does not return in time is a failure, and its
    thread is left behind (it cannot keep the command from ending)."""
    for check in checks:
        box: list[list[Result]] = []

        def work(check: Check = check, box: list = box) -> None:
            try:
                box.append(check.run())
            except Exception as exc:  # a check's own bug is a failed check, not a traceback
                name = type(exc).__name__
                box.append([Result(check.name, Outcome.FAIL, f"{name}: {exc}"[:200], check.hint)])

        thread = threading.Thread(target=work, name=f"doctor-{check.name}", daemon=True)
        thread.start()
        thread.join(timeout)
        if box:
            yield from box[0]
        else:
            yield Result(check.name, Outcome.FAIL, f"no answer within {timeout:g} s", check.hint)


def checks_for(config_path: Path) -> list[Check]:
    """The checks, in the order a technician reads them: the file, the machine, the devices,
    the platform, the rest. Without a usable configuration, only the machine's own."""
    problem = ""
    try:
        config = cfg.load(config_path)
    except cfg.ConfigError as exc:
        config, problem = None, str(exc)
    checks = [
        Check("configuration", lambda: c.configuration(config_path, config, problem), ""),
        Check("serial ports", c.serial_ports, "pyserial could not list the ports"),
        Check("pc/sc readers", lambda: c.pcsc_readers(config), c.PCSC_HINT),
    ]
    if config is not None:
        checks += c.device_checks(config)
        checks.append(Check("platform", lambda: c.platform(config), c.PLATFORM_HINT))
        checks.append(Check("disk", lambda: c.disk(config.data_dir), ""))
    checks.append(Check("font", lambda: c.font(config.data_dir if config else None), ""))
    if config is not None:
        checks.append(Check("key file", lambda: c.key_file(config), ""))
    checks.append(Check("watchdog", c.watchdog, "systemctl did not answer"))
    return checks


def _doctor(args: argparse.Namespace) -> int:
    # drivers log for the kiosk's journal; here a warning would only repeat a line (and
    # python-escpos's logging.info() would give the root logger a stderr handler)
    logging.getLogger().addHandler(logging.NullHandler())
    # python-escpos's parsed database in the technician's own cache, never in the kiosk's data
    # directory: the doctor may run as root, and must not leave files there the kiosk's user
    # cannot replace (the first call wins; a user without a home: escpos's default, /tmp)
    escpos_cache.keep_in(escpos_cache.user_cache() or "")
    failed = False
    for result in run_checks(checks_for(args.config or cfg.DEFAULT_PATH), args.timeout):
        failed |= result.outcome is Outcome.FAIL
        try:
            print_json(result.as_json()) if args.json else print_text(result.line())
        except BrokenPipeError:  # `kiosk doctor | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_FAILED
    return EXIT_FAILED if failed else EXIT_OK


def add_commands(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    doctor = subparsers.add_parser(
        "doctor", help="check the devices, the platform and the machine, one line each"
    )
    doctor.add_argument(
        "--config", type=Path, help=f"configuration file (default {cfg.DEFAULT_PATH})"
    )
    doctor.add_argument("--json", action="store_true", help="one JSON object per check")
    doctor.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT,
        help=f"seconds each check may take (default {DEFAULT_TIMEOUT:g})",
    )
    return doctor


def run(args: argparse.Namespace) -> int:
    return _doctor(args)
