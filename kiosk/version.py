"""The kiosk's version as installed (pyproject.toml's), for the heartbeat and the metrics."""

from __future__ import annotations

from functools import cache
from importlib import metadata


@cache
def version() -> str:
    try:
        return metadata.version("yizheng-kiosk")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"
