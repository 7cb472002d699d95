"""Where python-escpos keeps its parsed printer database: the kiosk's folder, never /tmp.

python-escpos 3.1 parses its capabilities.json (YAML, ~1 s on a kiosk) when first imported and
caches the result as a ~70 KB pickle in ESCPOS_CAPABILITIES_PICKLE_DIR, or else in a new
``tempfile.mkdtemp()`` folder: one more folder in /tmp for every process that prints, and a
cache that is never found again. A kiosk restarted by systemd for months fills /tmp. It even
calls ``mkdtemp()`` when the variable is set (it is the default argument of ``environ.get``),
so an empty folder is left behind all the same.

So: ``keep_in`` names the kiosk's folder before the first import (the printer registry does it
with the data directory, the technicians' tools with the configuration's); ``load`` imports the
database with ``tempfile`` pointed at a scratch folder inside it for that moment, and removes
the empty folder escpos made there. A folder that cannot be written (a read-only disk) gives
way to the user's cache folder, and that to escpos's own way: the printer must work regardless.
A cache file cut short (escpos writes it in place: a kill at that moment) is parsed afresh.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from pathlib import Path

log = logging.getLogger("drivers.escpos_cache")

ENV = "ESCPOS_CAPABILITIES_PICKLE_DIR"
SUBDIR = "escpos"  # inside the kiosk's data directory


def keep_in(data_dir: os.PathLike | str) -> None:
    """Before python-escpos is first imported: cache its printer database under ``data_dir``.
    An operator's own ESCPOS_CAPABILITIES_PICKLE_DIR wins."""
    os.environ.setdefault(ENV, str(Path(data_dir) / SUBDIR))


def load() -> None:
    """Import python-escpos's printer database, cached where ``keep_in`` said (once)."""
    if "escpos.capabilities" in sys.modules:
        return
    folder = _writable(os.environ.get(ENV)) or _writable(_user_cache())
    if folder is None:
        import escpos.capabilities  # its own temporary folder, as before

        return
    if os.environ.get(ENV) != str(folder):
        os.environ[ENV] = str(folder)
    scratch = Path(tempfile.mkdtemp(prefix=".import-", dir=folder))
    saved, tempfile.tempdir = tempfile.tempdir, str(scratch)
    try:
        try:
            import escpos.capabilities
        except Exception as exc:
            # escpos writes its pickle in place: a kill (or another process) in the middle of
            # that leaves a cut-short file, which would fail every start from then on
            log.warning("printer database cache in %s unreadable (%r): parsed afresh", folder, exc)
            for stale in folder.glob("*.capabilities.pickle"):
                stale.unlink(missing_ok=True)
            import escpos.capabilities  # noqa: F401
    finally:
        tempfile.tempdir = saved
        for leftover in scratch.iterdir():  # escpos's mkdtemp(), empty
            with contextlib.suppress(OSError):
                leftover.rmdir()
        with contextlib.suppress(OSError):
            scratch.rmdir()


def _user_cache() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME")
    try:
        root = Path(base) if base else Path.home() / ".cache"
    except RuntimeError:  # no home directory at all
        return None
    return root / "kiosk" / SUBDIR


def _writable(folder: os.PathLike | str | None) -> Path | None:
    if not folder:
        return None
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK | os.X_OK) else None
