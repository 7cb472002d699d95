"""`kiosk printer`: what the kiosk would send a printer, and a test page on a real one.

``render`` writes the exact ESC/POS bytes the kiosk's driver makes of a document (replay them
with ``nc printer 9100 < job.bin`` or ``cat job.bin > /dev/usb/lp0``) and the preview PNG drawn
from the same layout; it touches no device. ``test`` prints a test page through the kiosk's own
driver (so it proves the address, the charset, the QR mode and the paper width) with the
status read back on the page, and prints the status as one JSON line. Neither prints personal
data on the terminal; the files ``render`` writes hold what the job holds, where it is told.

Exit status: 0 done; 1 the printer refused the test page or broke off (the reason on stderr);
2 bad arguments, an unreadable or invalid job, an unusable configuration (one line on stderr).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import uuid
from pathlib import Path
from typing import Any

from cli.args import seconds
from cli.console import print_json
from drivers import escpos_cache
from drivers.printer_url import (
    InvalidPrinterUrl,
    PrintMode,
    QrMode,
)
from drivers.test_page import check_page
from kiosk import addresses
from kiosk.config import ConfigError
from kiosk.config import load as load_config
from kiosk.devices import DeviceStatus, PrintError, PrintJob
from kiosk.document import Document
from kiosk.messages import printer_problem as citizen_message
from kiosk.print_layout import PAPER_80MM, Text, layout_document, render_lines
from kiosk.validate import InvalidData, Reader

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_UNUSABLE = 2

_ESCPOS = addresses.SCHEMES["escpos+tcp"]  # every escpos scheme takes the printing options
WIDTHS: tuple[int, ...] = _ESCPOS.option("width_dots").value.choices
CHARSETS: tuple[str, ...] = _ESCPOS.option("charset").value.choices


class JobError(ValueError):
    """The job file cannot be used; the message names the field."""


# ---- the job --------------------------------------------------------------------------------


def load_job(data: bytes) -> tuple[str, Document]:
    """A Document as kiosk.document.Document.to_json() writes it, or {"job_id", "document"}."""
    try:
        obj = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise JobError("not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise JobError(f"not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    except RecursionError:
        raise JobError("not valid JSON: nested too deep") from None
    except ValueError:  # not a JSONDecodeError: a number of more than 4300 digits
        raise JobError("not valid JSON: a number of more than 4300 digits") from None
    try:
        if isinstance(obj, dict) and "document" in obj:
            r = Reader(obj, "job")
            job_id = r.opt_str("job_id", max_len=64) or "render"
            return job_id, Document.from_json(r.obj_("document"))
        return "render", Document.from_json(Reader(obj, "document"))
    except InvalidData as e:
        raise JobError(str(e)) from None


def render_job(
    document: Document, *, width_dots: int, charset: str, qr_mode: QrMode, mode: PrintMode
) -> tuple[bytes, Any, int]:
    """(ESC/POS bytes, preview image, lines that go as pictures) from one layout."""
    from drivers.escpos_printer import encodable, encode_layout  # python-escpos: only now

    lines = layout_document(document, width_dots)
    data = b"".join(
        encode_layout(lines, width_dots=width_dots, charset=charset, qr_mode=qr_mode, mode=mode)
    )
    texts = [line for line in lines if isinstance(line, Text)]
    if mode is PrintMode.RASTER:
        bitmaps = len(texts)
    else:
        bitmaps = sum(1 for line in texts if encodable(line.text, charset) is None)
    return data, render_lines(lines, width_dots), bitmaps


def _render(args: argparse.Namespace) -> int:
    if args.escpos is None and args.png is None:
        return _fail("nothing to write: give --escpos OUT.bin and/or --png OUT.png")
    try:
        raw = sys.stdin.buffer.read() if args.job == "-" else Path(args.job).read_bytes()
    except OSError as e:
        return _fail(f"cannot read {args.job}: {e.strerror or e}")
    try:
        job_id, document = load_job(raw)
    except JobError as e:
        return _fail(f"invalid job: {e}")
    qr_mode, mode = QrMode(args.qr), PrintMode(args.mode)
    try:
        data, preview, bitmaps = render_job(
            document, width_dots=args.width, charset=args.charset, qr_mode=qr_mode, mode=mode
        )
    except Exception as e:  # a layout bug must still end in one line, not a traceback
        return _fail(f"cannot lay out the document ({type(e).__name__}: {e})")
    out: dict[str, Any] = {
        "job_id": job_id,
        "kind": document.kind.value,
        "width_dots": args.width,
        "charset": args.charset,
        "qr": qr_mode.value,
        "mode": mode.value,
        "bytes": len(data),
        "bitmap_lines": bitmaps,
    }
    try:
        if args.escpos is not None:
            args.escpos.write_bytes(data)
            out["escpos"] = str(args.escpos)
        if args.png is not None:
            preview.save(args.png, format="PNG")
            out["png"] = str(args.png)
            out["png_size"] = list(preview.size)
    except OSError as e:
        return _fail(f"cannot write: {e.strerror or e} ({e.filename or ''})")
    print_json(out)
    return EXIT_OK


# ---- the test page --------------------------------------------------------------------------


def status_json(status: DeviceStatus) -> dict[str, Any]:
    return {
        "state": status.state.value,
        "paper": status.paper.value,
        "cover_open": status.cover_open,
        "usable": status.usable,
        "detail": status.detail,
    }


def _printer_url(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The printer URL and its options: from --url, or from the configuration file."""
    options = {"width_dots": args.width, "charset": args.charset, "qr_mode": args.qr}
    options |= {"mode": args.mode, "timeout": args.timeout}
    if args.url:
        return args.url, options
    config = load_config(args.config)
    escpos_cache.keep_in(escpos_cache.in_data_dir(config.data_dir))  # if this user may write
    base = {
        "width_dots": config.printer.width_dots,
        "charset": config.printer.charset,
        "qr_mode": config.printer.qr,
        "mode": config.printer.mode,
    }
    return config.devices.printer, base | {k: v for k, v in options.items() if v is not None}


def _test(args: argparse.Namespace) -> int:
    try:
        url, options = _printer_url(args)
        from drivers.escpos_printer import EscposPrinter  # after the configuration is read

        printer = EscposPrinter(url, **options)
    except (ConfigError, InvalidPrinterUrl) as e:
        return _fail(str(e))
    job_id = f"test-{uuid.uuid4().hex[:8]}"
    c = printer.config
    out: dict[str, Any] = {
        "printer": c.describe(),
        "job_id": job_id,
        "width_dots": c.width_dots,
        "charset": c.charset,
        "qr": c.qr_mode.value,
        "mode": c.mode.value,
    }
    try:
        before = printer.status()
        if not before.usable:
            out |= {"printed": False, "started": False, "reason": citizen_message(before)}
            print_json(out | status_json(before))
            reason = f"not printed: {citizen_message(before)} ({before.detail})"
            return _fail(reason, EXIT_REFUSED)
        page = check_page(c, before, job_id, dt.date.today())
        try:
            printer.print_job(PrintJob(job_id, page))
        except PrintError as e:
            after = e.status or printer.last_status or before
            out |= {"printed": False, "started": e.started, "reason": str(e)}
            print_json(out | status_json(after))
            return _fail(f"not printed: {e} ({after.detail})", EXIT_REFUSED)
        print_json(out | {"printed": True} | status_json(printer.last_status or before))
        return EXIT_OK
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    finally:
        printer.close()


# ---- the command line -----------------------------------------------------------------------


def _options(p: argparse.ArgumentParser, *, defaults: bool) -> None:
    """--width/--charset/--qr/--mode; without defaults they override the configuration."""

    def d(value: object) -> object:
        return value if defaults else None

    p.add_argument("--width", type=int, choices=WIDTHS, default=d(PAPER_80MM), help="dots")
    p.add_argument("--charset", choices=CHARSETS, default=d("GB18030"), type=str.upper)
    p.add_argument("--qr", choices=[m.value for m in QrMode], default=d("native"))
    p.add_argument("--mode", choices=[m.value for m in PrintMode], default=d("text"))


def add_commands(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``printer render`` and ``printer test`` to a parser's subcommands; run() dispatches."""
    printer = subparsers.add_parser(
        "printer", help="render a document to ESC/POS bytes and PNG, or print a test page"
    )
    sub = printer.add_subparsers(dest="printer_command", required=True, metavar="{render,test}")
    render = sub.add_parser("render", help="write the ESC/POS bytes and the preview of a job")
    render.add_argument("job", help="JOB.json: a document, or {job_id, document}; - reads stdin")
    render.add_argument("--escpos", type=Path, metavar="OUT.bin", help="write the bytes here")
    render.add_argument("--png", type=Path, metavar="OUT.png", help="write the preview here")
    _options(render, defaults=True)
    render.set_defaults(printer_handler=_render)
    test = sub.add_parser("test", help="print a test page and show the printer's status")
    where = test.add_mutually_exclusive_group()
    where.add_argument("--config", type=Path, help="kiosk configuration (default /etc/kiosk)")
    where.add_argument(
        "--url",
        help="printer address, e.g. escpos+tcp://192.168.1.50:9100 (docs/device-addresses.md)",
    )
    _options(test, defaults=False)
    test.add_argument("--timeout", type=seconds, help="seconds for connecting and writing")
    test.set_defaults(printer_handler=_test)
    return printer


def run(args: argparse.Namespace) -> int:
    """Run the ``printer`` subcommand parsed by a parser that add_commands() extended."""
    # The driver logs for the kiosk's journal; here its warnings would only repeat the one line
    # on stderr (python-escpos's logging.info() gives the root logger a stderr handler).
    driver_log = logging.getLogger("drivers.printer")
    if not any(isinstance(h, logging.NullHandler) for h in driver_log.handlers):
        driver_log.addHandler(logging.NullHandler())
    propagate, driver_log.propagate = driver_log.propagate, False
    try:
        return args.printer_handler(args)
    finally:
        driver_log.propagate = propagate


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: ``python -m cli.printer printer render JOB.json …``."""
    parser = argparse.ArgumentParser(prog="kiosk")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


def _fail(reason: str, status: int = EXIT_UNUSABLE) -> int:
    print(f"kiosk printer: {' '.join(reason.split())}", file=sys.stderr, flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
