"""Changing the configuration file in place: one key at a time, atomically, the rest untouched.

A kiosk's configuration is written by hand, with comments that explain its choices; a tool that
changes one key must leave every other byte as it was (tomlkit keeps the document's text), and
a power cut in the middle must leave either the old file or the new one, never half of each:
the new text goes to a temporary file in the same folder, is flushed to the disk (fsync), and
is renamed over the old one, whose previous version is kept beside it as ``PATH.bak``. The new
file keeps the old one's mode (it may hold the device key) and, where allowed, its owner.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import tomllib
from pathlib import Path

import tomlkit
import tomlkit.exceptions

BACKUP_SUFFIX = ".bak"


class ConfigFileError(Exception):
    """The file cannot be changed; the message says why."""


def set_value(path: Path, table: str, key: str, value: str | list[str]) -> Path:
    """Set ``[table] key = value`` in the file at ``path`` (the table is added at the end when
    missing); returns the backup's path. A symbolic link is followed: its target changes."""
    path = Path(path).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigFileError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ConfigFileError(f"{path}: is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigFileError(f"{path}: is not valid TOML ({exc})") from None
    section = doc.get(table)
    if section is None:
        section = tomlkit.table()
        doc.add(table, section)
    elif not isinstance(section, dict):
        raise ConfigFileError(f"{path}: [{table}] is not a table")
    section[key] = value
    new_text = tomlkit.dumps(doc)
    if tomllib.loads(new_text).get(table, {}).get(key) != value:  # what the kiosk will read
        raise ConfigFileError(f"{path}: [{table}] {key} would not read back as written")
    return replace(path, new_text.encode("utf-8"))


def replace(path: Path, data: bytes, *, backup: bool = True) -> Path:
    """Put ``data`` at ``path`` atomically, keeping the previous file as PATH.bak (unless
    ``backup`` is false); returns the backup's path. A new file is mode 600 (mkstemp's). The
    folder is flushed too, so the rename itself survives a power cut."""
    path = Path(path)
    kept = path.with_name(path.name + BACKUP_SUFFIX)
    try:
        old = path.stat()
    except FileNotFoundError:
        old = None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if old is not None:
                os.fchmod(f.fileno(), stat.S_IMODE(old.st_mode))
                with contextlib.suppress(PermissionError):  # only root may give it away
                    os.fchown(f.fileno(), old.st_uid, old.st_gid)
            os.fsync(f.fileno())
        if old is not None and backup:
            _keep_previous(path, kept)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return kept


def _keep_previous(path: Path, backup: Path) -> None:
    """PATH.bak becomes the current file: a second name for it (the file itself stays in
    place until the rename), or a copy where the file system has no hard links."""
    backup.unlink(missing_ok=True)
    try:
        os.link(path, backup)
    except OSError:
        data = path.read_bytes()
        fd = os.open(
            backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IMODE(path.stat().st_mode)
        )
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            os.fsync(f.fileno())


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
