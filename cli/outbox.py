"""`kiosk outbox`: what waits to be sent, what the platform refused, and another try for it.

For technicians: ``status`` shows per kind how many records wait and for how long, why the
waiting ones failed last, the dead letters with the platform's reasons and how many device
events were dropped over the limit; ``retry`` puts dead letters back into the outbox (all, or
those named with --id) so the running kiosk sends them again in its next round. Neither shows a
payload: ids, counts, ages and reasons only. Both work while the kiosk runs (SQLite WAL), and on
a kiosk that has queued nothing yet they report zeros without creating a file.

Which outbox: the configured kiosk's (--config, default /etc/kiosk/kiosk.toml), the demo's
(--demo: out/demo/data/outbox.db in the repository, or under --out), or a file (--db).

Exit status: 0 done; 1 (retry) an --id that is not a dead letter; 2 the configuration or the
file is not usable, with one line on stderr saying why.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

from cli.console import print_json, print_text
from kiosk import config as cfg
from kiosk.masking import scrub
from offline.outbox import Kind, Outbox, OutboxError, Status

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_UNUSABLE = 2
REPO = Path(__file__).resolve().parents[1]
DEMO_OUT = REPO / "out"
OUTBOX_FILE = "outbox.db"


def add_commands(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``outbox status`` and ``outbox retry`` to a parser's subcommands; dispatch with
    run()."""
    outbox = subparsers.add_parser(
        "outbox", help="ratings and device events waiting to be sent; refused ones"
    )
    sub = outbox.add_subparsers(dest="outbox_command", required=True, metavar="{status,retry}")
    status = sub.add_parser("status", help="what waits, for how long, and what was refused")
    _where(status)
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.add_argument(
        "--limit", type=int, default=50, help="dead letters listed, newest first (default 50)"
    )
    status.set_defaults(outbox_handler=_status)
    retry = sub.add_parser("retry", help="move dead letters back to the outbox for another try")
    _where(retry)
    retry.add_argument(
        "--id", action="append", dest="ids", metavar="ID", help="only this one (repeatable)"
    )
    retry.add_argument("--json", action="store_true", help="print one JSON object")
    retry.set_defaults(outbox_handler=_retry)
    return outbox


def _where(p: argparse.ArgumentParser) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--config", type=Path, help=f"configuration file (default {cfg.DEFAULT_PATH})"
    )
    which.add_argument("--demo", action="store_true", help="the demo kiosk's outbox")
    which.add_argument("--db", type=Path, help="an outbox file")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"--demo: the demo output folder (default {DEMO_OUT})",
    )


def run(args: argparse.Namespace) -> int:
    """Run the ``outbox`` subcommand parsed by a parser that add_commands() extended."""
    return args.outbox_handler(args)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: ``python -m cli.outbox outbox status --demo``."""
    parser = argparse.ArgumentParser(prog="kiosk")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


def outbox_path(args: argparse.Namespace) -> Path:
    """The file the options name; raises cfg.ConfigError for a configuration that is not usable."""
    if args.db is not None:
        return args.db
    if args.demo:
        return (args.out or DEMO_OUT) / "demo" / "data" / OUTBOX_FILE
    return cfg.load(args.config).data_dir / OUTBOX_FILE


def status_json(path: Path, status: Status | None, now: float) -> dict[str, Any]:
    """The report as one JSON object; ``status`` None: there is no outbox file yet."""
    kinds = [k.value for k in Kind]
    if status is None:
        pending = dict.fromkeys(kinds, 0)
        return {
            "path": str(path),
            "exists": False,
            "pending": pending,
            "oldest_pending_age_s": dict.fromkeys(kinds),
            "retrying": {},
            "dead_total": 0,
            "dead_letters": [],
            "dropped_events": 0,
        }
    return {
        "path": str(path),
        "exists": True,
        "pending": {k: status.pending.get(k, 0) for k in kinds},
        "oldest_pending_age_s": {
            k: round(status.oldest_pending_age[k], 1) if k in status.oldest_pending_age else None
            for k in kinds
        },
        "retrying": {scrub(error): n for error, n in status.retrying.items()},
        "dead_total": status.dead_total,
        "dead_letters": [
            {
                "id": d.id,
                "kind": d.kind,
                "failed_at": _iso(d.failed_at),
                "reason": scrub(d.reason),
                "attempts": d.attempts,
            }
            for d in status.dead_letters
        ],
        "dropped_events": status.dropped_events,
    }


def _status(args: argparse.Namespace) -> int:
    try:
        path = outbox_path(args)
    except cfg.ConfigError as exc:
        return _fail(str(exc))
    now = time.time()
    try:
        box = Outbox.open_existing(path)
        if box is None:
            report = status_json(path, None, now)
        else:
            with box:
                report = status_json(path, box.status(now, max_dead=max(0, args.limit)), now)
    except OutboxError as exc:
        return _fail(str(exc))
    if args.json:
        print_json(report)
    else:
        print_text(human(report))
    return EXIT_OK


def _retry(args: argparse.Namespace) -> int:
    try:
        path = outbox_path(args)
    except cfg.ConfigError as exc:
        return _fail(str(exc))
    wanted = list(dict.fromkeys(args.ids)) if args.ids else None
    try:
        box = Outbox.open_existing(path)
        if box is None:
            moved, missing = 0, wanted or []
        else:
            with box:
                known = {d.id for d in box.status(max_dead=1_000_000).dead_letters}
                missing = [i for i in wanted or [] if i not in known]
                moved = box.retry_dead(
                    None if wanted is None else [i for i in wanted if i in known]
                )
    except OutboxError as exc:
        return _fail(str(exc))
    if args.json:
        print_json({"path": str(path), "moved": moved, "not_found": missing})
    else:
        lines = [f"outbox {path}"]
        if moved:
            lines.append(
                f"  {moved} dead letter{'s' * (moved != 1)} back in the outbox: the kiosk sends"
                " them again in its next round (see `kiosk outbox status`)"
            )
        else:
            lines.append("  no dead letters moved")
        lines += [f"  not a dead letter here: {i}" for i in missing]
        print_text("\n".join(lines))
    return EXIT_NOT_FOUND if missing else EXIT_OK


# ---- words ------------------------------------------------------------------------------------

_NAMES = {
    "rating": ("rating", "ratings"),
    "event": ("device event", "device events"),
    "complaint": ("complaint", "complaints"),
}


def human(report: dict[str, Any]) -> str:
    """The report as a technician reads it on a small screen."""
    lines = [f"outbox {report['path']}"]
    if not report["exists"]:
        lines.append("  no outbox file yet: nothing has been queued on this kiosk")
    waiting = []
    for kind, n in report["pending"].items():
        one, many = _NAMES.get(kind, (kind, kind))
        text = f"{n} {one if n == 1 else many}"
        age = report["oldest_pending_age_s"].get(kind)
        if n and age is not None:
            text += f" (oldest {duration(age)})"
        waiting.append(text)
    lines.append("  waiting: " + ", ".join(waiting))
    if report["retrying"]:
        lines.append("  last failure of those waiting:")
        lines += [f"    {n:>6}  {error}" for error, n in report["retrying"].items()]
    lines.append(f"  refused by the platform (dead letters): {report['dead_total']}")
    for d in report["dead_letters"]:
        tries = f"{d['attempts']} attempt{'s' * (d['attempts'] != 1)}"
        lines.append(f"    {d['failed_at']}  {d['kind']:<6}  {d['id']}  {d['reason']} ({tries})")
    shown = len(report["dead_letters"])
    if shown < report["dead_total"]:
        lines.append(f"    … and {report['dead_total'] - shown} more (--limit)")
    if report["dead_total"]:
        lines.append("    to send them again: kiosk outbox retry [--id ID]")
    lines.append(f"  device events dropped over the limit: {report['dropped_events']}")
    return "\n".join(lines)


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days {hours % 24} h"


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def _fail(reason: str) -> int:
    print(f"kiosk outbox: {' '.join(reason.split())}", file=sys.stderr, flush=True)
    return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
