"""Telling the service manager how the kiosk is: systemd's notify protocol, in plain Python.

systemd (Type=notify) hands the kiosk an AF_UNIX datagram socket in NOTIFY_SOCKET ("@name" is
Linux's abstract namespace). The kiosk says READY=1 once its first screen is drawn, and, when
the unit has WatchdogSec=, WATCHDOG=1 more often than WATCHDOG_USEC: pings that stop (a frozen
UI thread) make systemd kill the kiosk with SIGABRT and start it again (Restart=always).

The same rules as sd_notify(3) and sd_watchdog_enabled(3): no socket, nothing is sent; a
WATCHDOG_PID that names another process means the watchdog is not ours. A message that cannot
be sent is dropped: the kiosk never stops for its supervisor.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger("kiosk.notify")

READY = "READY=1"
WATCHDOG = "WATCHDOG=1"

_failing: set[str] = set()  # messages whose last sending failed (said once in the log)


def socket_address(environ: Mapping[str, str] = os.environ) -> str | None:
    """The notify socket's address, with "@" turned into the abstract namespace's NUL."""
    path = environ.get("NOTIFY_SOCKET", "")
    if not path:
        return None
    if path.startswith("@"):
        return "\0" + path[1:]
    if not path.startswith("/"):
        return None  # sd_notify accepts only absolute paths and abstract names (and vsock)
    return path


def notify(message: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Send one state line (e.g. READY=1); True when it was sent."""
    address = socket_address(environ)
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(message.encode(), address)
    except OSError as exc:
        if message not in _failing:  # once, not with every ping
            log.warning("could not tell the service manager %s: %s", message, exc)
        _failing.add(message)
        return False
    _failing.discard(message)
    return True


def watchdog_interval(
    environ: Mapping[str, str] = os.environ, pid: int | None = None
) -> float | None:
    """Seconds between WATCHDOG=1 pings (half the watchdog's limit), or None when the service
    manager has no watchdog for this process."""
    if socket_address(environ) is None:
        return None
    try:
        usec = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    owner = environ.get("WATCHDOG_PID", "")
    if owner:
        try:
            if int(owner) != (os.getpid() if pid is None else pid):
                return None
        except ValueError:
            return None
    return usec / 1_000_000 / 2
