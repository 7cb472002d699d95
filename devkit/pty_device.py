"""A device emulated on a pseudo-terminal that can be unplugged and plugged back at one path.

The driver opens ``path``, a symlink the emulator owns (like udev's /dev/idcard), never the pty
itself: ``unplug`` closes the pty (the driver's next read fails, as with a pulled USB cable)
and removes the name; ``replug`` makes a fresh pty and points the same name at it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import tty
from pathlib import Path

log = logging.getLogger("devkit.pty")


class PtyDevice:
    link_prefix = "pty-device-"  # the private folder for the symlink, when none is given
    link_name = "device"
    label = "pty device"

    def _init_pty(self, link: str | os.PathLike[str] | None) -> None:
        self.path: str | None = None
        self.pty_path: str | None = None
        self._link = Path(link) if link is not None else None
        self._own_dir: str | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._pty_lock = threading.Lock()  # writers hold it: no close in the middle of a write

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def start(self) -> str:
        """Open a pty and return the (stable) path to open."""
        if self.plugged:
            raise RuntimeError("emulator already running")
        if self._link is None:
            self._own_dir = tempfile.mkdtemp(prefix=self.link_prefix)
            self._link = Path(self._own_dir) / self.link_name
        self.path = str(self._link)
        self._plug()
        log.info("%s on %s (%s)", self.label, self.path, self.pty_path)
        return self.path

    def stop(self) -> None:
        """Close the pty: to the driver this is an unplugged device."""
        self._unplug()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None
            self._link = None

    def unplug(self) -> None:
        """The USB cable is pulled: the driver's port fails and the path disappears."""
        if self.plugged:
            self._unplug()
            log.info("%s unplugged from %s", self.label, self.path)

    def replug(self) -> None:
        """The cable is back: a new pty at the same path."""
        if self._link is None:
            raise RuntimeError("the emulator was never started")
        if not self.plugged:
            self._plug()
            log.info("%s replugged at %s (%s)", self.label, self.path, self.pty_path)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- for subclasses -------------------------------------------------------------------

    def _plugged(self, master: int) -> None:
        """The pty is up (start or replug): begin serving ``master``."""

    def _unplugging(self) -> None:
        """The pty is about to close: stop serving it."""

    def _plug(self) -> None:
        assert self._link is not None
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        # Keeping our own slave fd open means the master never sees EIO while the driver
        # closes and reopens the port; closing both is the unplug.
        with self._pty_lock:
            self._master, self._slave = master, slave
        self.pty_path = os.ttyname(slave)
        temp = self._link.with_name(self._link.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        temp.symlink_to(self.pty_path)
        temp.replace(self._link)  # atomic: the path never points at a half-made pty
        self._plugged(master)

    def _unplug(self) -> None:
        self._unplugging()
        with self._pty_lock:
            fds, self._master, self._slave = (self._master, self._slave), None, None
        for fd in fds:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        if self._link is not None and self._link.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                self._link.unlink()
