"""The technicians' tools: `kiosk idcard|qr|printer|outbox|config|doctor|demo|voice …`, one module per subcommand.

Each module adds its subcommand to the `kiosk` parser (``add_commands``) and runs it
(``run(args)`` → exit status); all of them write through cli.console (one JSON object per line,
UTF-8 whatever the terminal, personal data masked unless asked). `kiosk run` itself belongs to
the composition root (main.py). A subcommand's module is imported when the command line names
it, so `kiosk run` pays for none of them.
"""

from __future__ import annotations

import argparse
import importlib

# subcommand -> its module (imported only when needed)
COMMANDS = {
    "idcard": "cli.idcard",
    "qr": "cli.qr",
    "printer": "cli.printer",
    "outbox": "cli.outbox",
    "config": "cli.config",
    "doctor": "cli.doctor",
    "demo": "cli.demo",
    "voice": "cli.voice",
}


def add_commands(subparsers: argparse._SubParsersAction, named: str | None = None) -> None:
    """Every tool's subcommand. ``named``: the subcommand the command line names, when known;
    the other tools then get a placeholder instead of being imported (`kiosk run` imports
    none of them)."""
    for name, module in COMMANDS.items():
        if named is None or name == named:
            importlib.import_module(module).add_commands(subparsers)
        else:
            subparsers.add_parser(name, help=f"see `kiosk {name} --help`")


def run(args: argparse.Namespace) -> int:
    return importlib.import_module(COMMANDS[args.command]).run(args)
