"""`kiosk idcard`: read one card from a SAM reader, or decode a captured read reply.

For technicians installing or diagnosing a reader: ``read`` goes through the kiosk's own driver
(so it proves the port, the rate and the SAM), ``parse`` decodes a reply frame captured on the
line (from a serial sniffer, as binary or as a hex dump). Both print one JSON object with the
same keys; personal data is masked unless ``--unmasked`` is given, since a terminal's scrollback
is easily photographed. Nothing is written anywhere else.

Exit status: 0 a card; 1 no card within the timeout; 2 the input or the device is not usable,
with one line on stderr saying why.
"""

from __future__ import annotations

import argparse
import queue
import sys
import time
from pathlib import Path
from typing import Any

from cli.console import print_json
from drivers.sam_cards import ADDRESS_CARD_TYPES, parse_read_data
from drivers.sam_protocol import PREAMBLE, Command, FrameError, SamError, Sw3, parse_reply
from kiosk.addresses import Address, AddressError, port_address
from kiosk.devices import DeviceState
from kiosk.events import CardRead, CardReadFailed, DeviceChanged
from kiosk.i18n import _
from kiosk.identity import CardType, IdentityCard
from kiosk.masking import mask_name, mask_number
from kiosk.messages import CARD_FAULTS

EXIT_OK = 0
EXIT_NO_CARD = 1
EXIT_UNUSABLE = 2

# The keys of the JSON object, in the order printed.
CARD_KEYS = (
    "card_type",
    "name",
    "name_en",
    "sex",
    "nation",
    "birth_date",
    "address",
    "number",
    "issuer",
    "valid_from",
    "valid_to",
    "nationality",
    "pass_number",
    "issue_count",
    "has_fingerprint",
)
_HEX_DIGITS = "0123456789abcdefABCDEF"
ADDRESS_KEPT = 6  # characters of an address shown when masked (province and city, roughly)


class InputError(SamError):
    """The input is not a frame at all (neither binary nor hex)."""


# ---- the card as JSON -----------------------------------------------------------------------


def mask_address(address: str) -> str:
    """山西省太原市小店区… → 山西省太原市****: the first six characters, the rest starred."""
    return address[:ADDRESS_KEPT] + "*" * max(0, len(address) - ADDRESS_KEPT)


def card_json(card: IdentityCard, *, unmasked: bool = False) -> dict[str, Any]:
    """The card as a flat JSON object with CARD_KEYS. A field the card type does not carry, or
    that the card leaves blank, is null; dates are ISO; ``valid_to`` null means 长期."""

    def text(value: str | None, mask) -> str | None:
        if not value:
            return None
        return value if unmasked else mask(value)

    permit = card.card_type is CardType.HK_MO_TW_PERMIT
    values: dict[str, Any] = {
        "card_type": card.card_type.value,
        "name": text(card.name, mask_name),
        "name_en": text(card.name_en, mask_name),
        "sex": card.sex.value,
        "nation": card.nation if card.card_type is CardType.RESIDENT else None,
        # the number's hidden middle is the birth date: printed whole, it would unmask it
        "birth_date": _iso(card.birth_date) if unmasked else _year_only(card.birth_date),
        "address": text(card.address, mask_address)
        if card.card_type in ADDRESS_CARD_TYPES
        else None,
        "number": text(card.number, mask_number),
        "issuer": card.issuer or None,
        "valid_from": _iso(card.valid_from),
        "valid_to": _iso(card.valid_to),
        "nationality": card.nationality or None,
        "pass_number": text(card.pass_number, mask_number) if permit else None,
        "issue_count": card.issue_count if permit else None,
        "has_fingerprint": card.has_fingerprint,
    }
    return {key: values[key] for key in CARD_KEYS}


def _iso(date) -> str | None:
    return date.isoformat() if date is not None else None


def _year_only(date) -> str | None:
    """1948-09-05 → 1948-**-**: the shape of a date, without what the masked number hides."""
    return f"{date.year:04d}-**-**" if date is not None else None


# ---- parse ----------------------------------------------------------------------------------


def load_frame(data: bytes) -> bytes:
    """The frame bytes of a capture: binary as is, or hex text with any whitespace."""
    if data.startswith(PREAMBLE):
        return data
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise InputError(
            "neither a binary frame (no AA AA AA 96 69 preamble) nor hex text"
        ) from None
    digits = "".join(text.split())
    if not digits:
        raise InputError("the input is empty")
    if digits.strip(_HEX_DIGITS):
        raise InputError("neither a binary frame (no AA AA AA 96 69 preamble) nor hex text")
    if len(digits) % 2:
        raise InputError(f"hex text with an odd number of digits ({len(digits)})")
    frame = bytes.fromhex(digits)
    if not frame.startswith(PREAMBLE):
        raise InputError("the hex text does not start with the AA AA AA 96 69 preamble")
    return frame


def parse_capture(data: bytes) -> IdentityCard:
    """A captured 30 01 / 30 10 reply (binary or hex) → card. SamError subclasses only."""
    reply = parse_reply(load_frame(data))
    if reply.sw3 != Sw3.OK:
        raise FrameError(
            f"SAM status {reply.sw3:02X} ({reply.meaning}): not a successful read reply"
        )
    if len(reply.data) <= Command.FIND.max_reply_data:
        raise FrameError(f"a reply with {len(reply.data)} data bytes is not a read reply")
    return parse_read_data(reply.data)


def _parse(args: argparse.Namespace) -> int:
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror or exc}")
    try:
        card = parse_capture(data)
    except SamError as exc:
        return _fail(f"not a valid read reply: {exc}")
    except Exception as exc:  # a parser bug must still end in one line, not a traceback
        return _fail(f"cannot decode the reply ({type(exc).__name__})")
    try:
        print_json(card_json(card, unmasked=args.unmasked))
    finally:
        card.wipe()
    return EXIT_OK


# ---- read -----------------------------------------------------------------------------------


def _read(args: argparse.Namespace) -> int:
    from drivers.registry import open_card_reader  # pyserial only when a port is used

    try:
        address = port_address(args.port, "sam")
        baud = _line_speed(args.baud, address)
    except AddressError as exc:
        return _fail(f"--port {exc}")
    if address.scheme.byte_log:
        where = address["file"] or "standard error"
        _note(
            f"warning: the spy:// byte log ({where}) holds every byte read from the card in "
            "clear, the name and ID number included: keep it on this bench, delete it when done"
        )
    events: queue.Queue[object] = queue.Queue()
    reader = open_card_reader(address, "kiosk-idcard", baud=baud, with_fingerprint=args.fingerprint)
    reader.start(events.put)
    deadline = time.monotonic() + args.timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                state = reader.status()
                return _fail(
                    f"no card read within {args.timeout:g} s (reader {state.state.value}"
                    + (f": {state.detail})" if state.detail else ")"),
                    EXIT_NO_CARD,
                )
            try:
                event = events.get(timeout=remaining)
            except queue.Empty:
                continue
            if isinstance(event, DeviceChanged):
                status = event.status
                if status.state is DeviceState.ONLINE:
                    _note(f"reader online on {args.port} ({status.detail}); place a card")
                elif status.state is not DeviceState.STARTING:
                    return _fail(f"card reader {status.state.value}: {status.detail}")
            elif isinstance(event, CardReadFailed):
                message = CARD_FAULTS.get(event.fault)
                said = message and _("{title}：{text}").format(
                    title=message.title, text=message.text
                )
                words = f" – {said}" if said else ""
                _note(f"read failed: {event.fault.value} ({event.detail}){words}")
            elif isinstance(event, CardRead):
                try:
                    print_json(card_json(event.card, unmasked=args.unmasked))
                finally:
                    event.card.wipe()
                return EXIT_OK
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    finally:
        reader.stop()


def _line_speed(option: int | None, address: Address) -> int | None:
    """--baud N, else the address's ?baud=, else auto (None): the tool probes unless told."""
    if "baud" not in address.given:
        return option
    if option is not None and option != address["baud"]:
        raise AddressError(
            address.text, "gives another baud than --baud: say it in one place", "baud"
        )
    return address["baud"]


# ---- the command line -----------------------------------------------------------------------


def _baud(text: str) -> int | None:
    if text == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a baud rate or 'auto'") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a baud rate")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the timeout must be positive")
    return value


def add_commands(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``idcard read`` and ``idcard parse`` to a parser's subcommands; dispatch with run()."""
    idcard = subparsers.add_parser(
        "idcard", help="read an ID card from a SAM reader, or decode a captured reply"
    )
    sub = idcard.add_subparsers(dest="idcard_command", required=True, metavar="{read,parse}")
    read = sub.add_parser("read", help="read one card and print it as JSON")
    read.add_argument(
        "--port",
        required=True,
        help="serial port (/dev/ttyUSB0), a reader on another machine (rfc2217://HOST:PORT), "
        "a byte log of the line (spy:///dev/ttyUSB0?file=LOG: holds personal data), "
        "or a whole address (sam+serial:///dev/ttyUSB0?baud=115200); see docs/device-addresses.md",
    )
    read.add_argument(
        "--baud",
        type=_baud,
        default=None,
        metavar="N|auto",
        help="line speed, or auto to probe 115200…9600 (default auto)",
    )
    read.add_argument(
        "--timeout",
        type=_seconds,
        default=15.0,
        help="seconds to wait for a card (default 15)",
    )
    read.add_argument("--fingerprint", action="store_true", help="read fingerprints too (30 10)")
    read.add_argument("--unmasked", action="store_true", help="show personal data unmasked")
    read.set_defaults(idcard_handler=_read)
    parse = sub.add_parser("parse", help="decode a captured 30 01 / 30 10 reply frame")
    parse.add_argument("file", help="binary frame or hex text; - reads standard input")
    parse.add_argument("--unmasked", action="store_true", help="show personal data unmasked")
    parse.set_defaults(idcard_handler=_parse)
    return idcard


def run(args: argparse.Namespace) -> int:
    """Run the ``idcard`` subcommand parsed by a parser that add_commands() extended."""
    return args.idcard_handler(args)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: ``python -m cli.idcard idcard parse FILE``."""
    parser = argparse.ArgumentParser(prog="kiosk")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


def _note(text: str) -> None:
    print(f"kiosk idcard: {text}", file=sys.stderr, flush=True)


def _fail(reason: str, status: int = EXIT_UNUSABLE) -> int:
    _note(" ".join(reason.split()))  # one line, whatever the reason holds
    return status


if __name__ == "__main__":
    raise SystemExit(main())
