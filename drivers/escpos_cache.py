"""Where python-escpos keeps its parsed printer database: the kiosk's folder, never /tmp.

python-escpos 3.1 parses its capabilities.json (YAML, ~1 s on a kiosk) when first imported and
caches the result as a ~70 KB pickle in ESCPOS_CAPABILITIES_PICKLE_DIR, or else in a new
``tempfile.mkdtemp()`` folder: one more folder in /tmp for every process that prints, and a
cache that is never found again. A kiosk restarted by systemd for months fills /tmp. It even
calls ``mkdtemp()`` when the variable is set (it is the default argument of ``environ.get``),
so an empty folder is left behind all the same.

So: ``keep_in`` names the kiosk's folder before the first import (the printer registry does it
with the data directory, the technicians' tools with the configuration's; the demo, whose data
is wiped at every start, with the user's cache folder); ``load`` imports the
database with ``tempfile`` pointed at a scratch folder inside it for that moment, and removes
the empty folder escpos made there. A folder that cannot be written (a read-only disk) gives
way to the user's cache folder, and that to escpos's own way: the printer must work regardless,
and so must it with a full disk. A cache file cut short (escpos writes it in place: a kill at
that moment) is removed and parsed afresh.
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


_folder: str | None = None  # where keep_in said; the process's environment stays as it was


def keep_in(folder: os.PathLike | str) -> None:
    """Before python-escpos is first imported: cache its printer database in ``folder`` (the
    first call wins; so does an operator's own ESCPOS_CAPABILITIES_PICKLE_DIR). Kept here, not
    in the environment, so that no child process inherits it."""
    global _folder
    if _folder is None:
        _folder = str(folder)


def in_data_dir(data_dir: os.PathLike | str) -> Path:
    """The kiosk's cache folder: ``<data_dir>/escpos``."""
    return Path(data_dir) / SUBDIR


def load() -> None:
    """Import python-escpos's printer database, cached where ``keep_in`` said (once)."""
    if "escpos.capabilities" in sys.modules:
        return
    operator = os.environ.get(ENV)
    for folder in (operator or _folder, user_cache()):
        place = _writable(folder)
        if place is not None and _import_in(place):
            return
    # nowhere of ours can hold it (a full or read-only disk): escpos's own temporary folder
    os.environ.pop(ENV, None)
    try:
        import escpos.capabilities  # noqa: F401
    finally:
        if operator is not None:
            os.environ[ENV] = operator


def _import_in(folder: Path) -> bool:
    """Import with the cache in ``folder``; False (nothing left behind) when it cannot be.
    escpos reads the folder from the environment while it is imported, and only then."""
    try:
        scratch = Path(tempfile.mkdtemp(prefix=".import-", dir=folder))
    except OSError:
        return False
    saved_env = os.environ.get(ENV)
    os.environ[ENV] = str(folder)
    saved, tempfile.tempdir = tempfile.tempdir, str(scratch)
    try:
        for _attempt in range(2):
            try:
                import escpos.capabilities  # noqa: F401
            except Exception as exc:
                # escpos writes its pickle in place: a kill (or another process) in the middle
                # of that leaves a cut-short file that would fail every start from then on, and
                # a full disk leaves one it could not finish. Gone, and parsed afresh.
                log.warning("printer database cache in %s failed (%r)", folder, exc)
                for stale in folder.glob("*.capabilities.pickle"):
                    with contextlib.suppress(OSError):
                        stale.unlink()
                continue
            return True
        return False
    finally:
        tempfile.tempdir = saved
        if saved_env is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = saved_env
        for leftover in scratch.iterdir():  # escpos's mkdtemp(), empty
            with contextlib.suppress(OSError):
                leftover.rmdir()
        with contextlib.suppress(OSError):
            scratch.rmdir()


def user_cache() -> Path | None:
    """~/.cache/kiosk/escpos (XDG_CACHE_HOME respected); None without a home directory."""
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
