"""Logging that holds no personal data: structured lines, and a masking filter as second line.

The first line of defence is that nothing personal is ever put into a log call (cards and
sessions have masked reprs). The filter here catches what slips through: anything shaped like
an ID number is masked before a record is written anywhere.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
import time
from pathlib import Path

from kiosk.masking import scrub


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = str(record.msg)
        cleaned = scrub(message)
        record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # tracebacks go to the file, scrubbed; never to a citizen
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "t": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created))
            + f".{int(record.msecs):03d}",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup(
    log_dir: Path | None, *, console_level: int = logging.INFO, file_level: int = logging.INFO
) -> None:
    """Console and (with ``log_dir``) rotated JSON lines, both through the scrubber.
    ``file_level=logging.DEBUG`` is for diagnosis (and the privacy audit, which must see
    everything the kiosk could write)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    scrubber = ScrubFilter()
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level)
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    console.addFilter(scrubber)
    root.addHandler(console)
    if log_dir is not None:
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            file_handler = logging.handlers.RotatingFileHandler(
                log_dir / "kiosk.jsonl", maxBytes=5_000_000, backupCount=5, encoding="utf-8"
            )
        except OSError as exc:
            root.warning("file log unavailable in %s: %s", log_dir, exc)
        else:
            file_handler.setLevel(file_level)
            file_handler.setFormatter(JsonLines())
            file_handler.addFilter(scrubber)
            root.addHandler(file_handler)
    for noisy in ("urllib3", "PIL", "kivy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
