"""Logging that holds no personal data: JSON lines, to the journal or to a rotated file.

One JSON object a line: ``time`` (ISO 8601 with the offset), ``level``, ``logger``,
``message``, then any structured fields the call gave (``log.info("...", extra={"device":
"printer"})``), and ``exc`` for a traceback. Under systemd (stderr is the journal's stream:
JOURNAL_STREAM names it) the lines go to stderr, each with its syslog priority in front
(``<3>``), which journald reads and strips: `journalctl -u kiosk -p warning -o cat` shows the
JSON of warnings and worse, and the journal rotates them. Anywhere else they go to
``<data_dir>/logs/kiosk.jsonl``, rotated at 5 MB with 5 kept (30 MB at most), and a short human
line goes to stderr.

The first line of defence is that nothing personal is ever put into a log call (cards and
sessions have masked reprs). The filter here, on every handler, catches what slips through:
kiosk.masking.scrub masks what looks like an ID number, an identity token, or the value of a
name or token key, in the message, in each text field and in a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
import os
import sys
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from kiosk.masking import scrub

FILE_NAME = "kiosk.jsonl"
MAX_BYTES = 5_000_000
BACKUPS = 5

# what every LogRecord has: anything else on a record came from ``extra`` (structured fields)
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
}
# syslog priorities (sd-daemon(3)) for the journal's stream
_PRIORITY = {"CRITICAL": 2, "ERROR": 3, "WARNING": 4, "INFO": 6, "DEBUG": 7}


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields a log call gave through ``extra``."""
    return {
        k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")
    }


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return scrub(str(value))  # anything else as its masked text: never an object's raw repr


class ScrubFilter(logging.Filter):
    """The second line of defence, on every handler: the message, each structured field and
    the traceback masked before any handler formats the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = str(record.msg)
        record.msg, record.args = scrub(message), None
        for key, value in fields(record).items():
            setattr(record, key, _scrubbed(value))
        if record.exc_info and record.exc_info[1] is not None:
            # tracebacks go to the log, scrubbed; never to a citizen
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line; ``priority``: with journald's ``<N>`` in front."""

    def __init__(self, *, priority: bool = False) -> None:
        super().__init__()
        self.priority = priority

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created)
            .astimezone()
            .isoformat("T", "milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in fields(record).items():
            entry.setdefault(key, value)
        if record.exc_text:
            entry["exc"] = record.exc_text
        line = json.dumps(entry, ensure_ascii=False, default=str)
        if self.priority:
            return f"<{_PRIORITY.get(record.levelname, 6)}>{line}"
        return line


class Recent(logging.Handler):
    """The latest lines, in memory only, for the technician screen: under systemd the log is
    in the journal, which the kiosk's own user may not be allowed to read back."""

    def __init__(self, capacity: int = 200) -> None:
        super().__init__(logging.INFO)
        self.lines: deque[str] = deque(maxlen=capacity)
        self.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
        )
        self.addFilter(ScrubFilter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record).splitlines()[0][:300])
        except Exception:
            self.handleError(record)


RECENT = Recent()


def recent(n: int) -> tuple[str, ...]:
    """The last ``n`` lines logged since start (info and worse, scrubbed, one line each)."""
    return tuple(list(RECENT.lines)[-n:])


def under_journal(environ: Mapping[str, str] = os.environ, stream: TextIO | None = None) -> bool:
    """systemd connects stderr to the journal and says so: JOURNAL_STREAM is its device and
    inode (systemd.exec(5)); a stderr redirected elsewhere since does not match."""
    stream = sys.stderr if stream is None else stream
    dev, _, ino = environ.get("JOURNAL_STREAM", "").partition(":")
    if not (dev.isdigit() and ino.isdigit()):
        return False
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (int(dev), int(ino))


def setup(
    log_dir: Path | None,
    *,
    console_level: int = logging.INFO,
    file_level: int = logging.INFO,
    environ: Mapping[str, str] = os.environ,
) -> str:
    """JSON lines to the journal under systemd; else to a rotated file in ``log_dir`` (when
    given) and short lines to stderr. Every handler has the scrubber. ``file_level=DEBUG`` is
    for diagnosis (and the privacy audit, which must see everything the kiosk could write).
    Returns where the JSON lines go: "journal", the file's path, or "" (stderr only)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler is not RECENT:
            handler.close()
    root.addHandler(RECENT)
    scrubber = ScrubFilter()
    for noisy in ("urllib3", "PIL", "kivy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    if under_journal(environ):
        journal = logging.StreamHandler(sys.stderr)
        journal.setLevel(min(console_level, file_level))
        journal.setFormatter(JsonLines(priority=True))
        journal.addFilter(scrubber)
        root.addHandler(journal)
        return "journal"

    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level)
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    console.addFilter(scrubber)
    root.addHandler(console)
    if log_dir is None:
        return ""
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_dir / FILE_NAME, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError as exc:
        root.warning("file log unavailable in %s: %s", log_dir, exc)
        return ""
    file_handler.setLevel(file_level)
    file_handler.setFormatter(JsonLines())
    file_handler.addFilter(scrubber)
    root.addHandler(file_handler)
    return str(log_dir / FILE_NAME)
