"""Output of the technicians' tools: one place decides how text reaches the terminal."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_text(text: str) -> None:
    """A line on stdout, in UTF-8 even on a terminal that is not (a kiosk's serial console)."""
    text += "\n"
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


def print_json(obj: Any) -> None:
    """One JSON object on one line, Chinese as itself rather than \\u escapes."""
    print_text(json.dumps(obj, ensure_ascii=False))
