"""`kiosk qr parse TEXT`: what the kiosk would make of a QR payload, as one JSON object.

For technicians checking a scanner or a printed code. The output never holds an identity
token, only its length; exit 0 for anything classified (unknown included), 2 for a payload the
kiosk refuses (one line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from cli.console import print_json
from kiosk.qr import (
    DEFAULT_TOKEN_PREFIXES,
    DEFAULT_VERIFY_BASE_URL,
    QrKind,
    Scan,
    ScanRefused,
    classify,
)

EXIT_OK = 0
EXIT_REFUSED = 2
_STDIN_LIMIT = 1 << 20  # read no further: anything this long is refused anyway
_FRAMING = b"\r\n\t"


def scan_json(scan: Scan) -> dict[str, Any]:
    """The parts of a scan a technician may see."""
    out: dict[str, Any] = {"kind": scan.kind.value}
    if scan.kind is QrKind.BUSINESS_LICENCE:
        out.update(uscc=scan.uscc, uscc_valid=scan.uscc_valid)
    elif scan.kind is QrKind.CERTIFICATE:
        out["verification_code"] = scan.verification_code
    elif scan.kind is QrKind.IDENTITY_TOKEN:
        out["length"] = len(scan.token or "")
    return out


def add_commands(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``qr parse`` to a parser's subcommands; dispatch with run()."""
    qr = subparsers.add_parser("qr", help="classify a scanned QR payload")
    sub = qr.add_subparsers(dest="qr_command", required=True, metavar="{parse}")
    parse = sub.add_parser("parse", help="classify one payload and print it as JSON")
    parse.add_argument("text", help="the payload; - reads standard input (one trailing newline)")
    parse.add_argument(
        "--verify-base-url",
        action="append",
        dest="verify_base_urls",
        metavar="URL",
        help=f"certificate verification URL prefix (repeatable; default {DEFAULT_VERIFY_BASE_URL})",
    )
    parse.add_argument(
        "--token-prefix",
        action="append",
        dest="token_prefixes",
        metavar="PREFIX",
        help=f"identity token prefix (repeatable; default {' '.join(DEFAULT_TOKEN_PREFIXES)})",
    )
    parse.set_defaults(qr_handler=_parse)
    return qr


def run(args: argparse.Namespace) -> int:
    """Run the ``qr`` subcommand parsed by a parser that add_commands() extended."""
    return args.qr_handler(args)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: ``python -m cli.qr qr parse TEXT``."""
    parser = argparse.ArgumentParser(prog="kiosk")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


def _parse(args: argparse.Namespace) -> int:
    if args.text == "-":
        try:
            data = sys.stdin.buffer.read(_STDIN_LIMIT)
        except (OSError, AttributeError, ValueError) as exc:  # closed or missing stdin
            print(f"kiosk qr: cannot read standard input: {exc}", file=sys.stderr, flush=True)
            return EXIT_REFUSED
        data = data.rstrip(_FRAMING)  # the line's end is framing, as a scanner's suffix is
    else:
        # back to the bytes the shell passed, so undecodable input is judged as the driver
        # judges it (UTF-8, else GB18030) rather than as surrogate escapes
        data = os.fsencode(args.text)
    try:
        scan = classify(
            data,
            certificate_prefixes=tuple(args.verify_base_urls or (DEFAULT_VERIFY_BASE_URL,)),
            token_prefixes=tuple(args.token_prefixes or DEFAULT_TOKEN_PREFIXES),
        )
    except ScanRefused as exc:
        detail = f" ({exc.detail})" if exc.detail else ""
        print(f"kiosk qr: refused: {exc.code.value}{detail}", file=sys.stderr, flush=True)
        return EXIT_REFUSED
    print_json(scan_json(scan))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
