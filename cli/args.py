"""Argument types the technicians' tools share."""

from __future__ import annotations

import argparse


def seconds(text: str) -> float:
    """A time limit on the command line: a number of seconds, above 0 and at most 120."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 120:
        raise argparse.ArgumentTypeError("the timeout must be between 0 and 120 seconds")
    return value
