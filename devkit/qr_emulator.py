"""A QR scanner in USB-CDC mode on a pseudo-terminal: what it "reads" goes down the line.

The kiosk's driver (drivers.qr_serial) opens the emulator's path with pyserial as it opens
/dev/ttyACM0, so demo mode and the integration tests exercise the real serial path.

What makes it honest:
- A scan is the payload's bytes and the scanner's suffix, written as the device sends them:
  all at once (a CDC scanner fills USB packets, the baud rate is not applied on USB), or one
  byte at a time with a gap, to cut frames across reads.
- Unplugging: the emulator is reached through a symlink it owns (like a udev rule's
  /dev/qrscanner), so ``unplug`` closes the pty (the driver's next read fails: a hang-up) and
  removes the name (reopening fails as for a vanished /dev/ttyACM0); ``replug`` brings a fresh
  pty back at the same path. What is scanned while nobody has the port open is lost, as with a
  real scanner (opening a port flushes its input).

    python -m devkit.qr_emulator [--link PATH] [--suffix cr|lf|crlf|tab]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import select
import shutil
import sys
import tempfile
import threading
import time
import tty
from pathlib import Path

from kiosk.qr import DEFAULT_VERIFY_BASE_URL

log = logging.getLogger("devkit.qr_emulator")

SUFFIXES: dict[str, bytes] = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "tab": b"\t"}
_GIVE_UP = 2.0  # seconds a write waits for a reader that stopped reading


def licence_url(uscc: str, https: bool = False) -> str:
    """What a business licence's QR code holds (营业执照)."""
    scheme = "https" if https else "http"
    return f"{scheme}://www.gsxt.gov.cn/index.html?uniscid={uscc}"


def certificate_url(code: str, base_url: str = DEFAULT_VERIFY_BASE_URL) -> str:
    """What a printed certificate's QR code holds."""
    return f"{base_url}{code}"


class QrScannerEmulator:
    """A CDC QR scanner: ``scan`` sends a payload and the suffix; unplug/replug the cable.

    ``path`` is a symlink the emulator owns (``link``, or one in a private temporary folder)
    that stays the same across ``unplug``/``replug``; ``pty_path`` is the pty behind it now.
    """

    def __init__(self, terminator: bytes = b"\r", *, link: str | os.PathLike[str] | None = None):
        self.terminator = terminator
        self.path: str | None = None
        self.pty_path: str | None = None
        self.scans = 0
        self._lock = threading.Lock()  # one write at a time, and none across an unplug
        self._link = Path(link) if link is not None else None
        self._own_dir: str | None = None
        self._master: int | None = None
        self._slave: int | None = None

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def start(self) -> str:
        """Open a pty and return the (stable) path to open."""
        if self.plugged:
            raise RuntimeError("emulator already running")
        if self._link is None:
            self._own_dir = tempfile.mkdtemp(prefix="qr-emulator-")
            self._link = Path(self._own_dir) / "qrscanner"
        self.path = str(self._link)
        self._plug()
        log.info("QR scanner emulator on %s (%s)", self.path, self.pty_path)
        return self.path

    def stop(self) -> None:
        self._unplug()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None
            self._link = None

    def unplug(self) -> None:
        """The USB cable is pulled: the driver's port fails and the path disappears."""
        if self.plugged:
            self._unplug()
            log.info("QR scanner emulator unplugged from %s", self.path)

    def replug(self) -> None:
        """The cable is back: a new pty at the same path."""
        if self._link is None:
            raise RuntimeError("the emulator was never started")
        if not self.plugged:
            self._plug()
            log.info("QR scanner emulator replugged at %s (%s)", self.path, self.pty_path)

    def __enter__(self) -> QrScannerEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- scanning -------------------------------------------------------------------------

    def scan(self, payload: str | bytes, terminator: bytes | None = None, gap: float = 0.0) -> None:
        """Send one payload (str as UTF-8) and the suffix (``terminator`` overrides the
        emulator's own; b"" for none). ``gap`` > 0: one byte at a time, ``gap`` s apart."""
        data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
        self.write(data + (self.terminator if terminator is None else terminator), gap)
        self.scans += 1

    def write(self, data: bytes, gap: float = 0.0) -> None:
        """Raw bytes down the line (several scans in one write, noise, half a frame...)."""
        with self._lock:
            if self._master is None:
                raise RuntimeError("the scanner is unplugged")
            if gap <= 0:
                self._write_all(self._master, data)
                return
            for i in range(len(data)):
                self._write_all(self._master, data[i : i + 1])
                time.sleep(gap)

    @staticmethod
    def _write_all(master: int, data: bytes) -> None:
        view = memoryview(data)
        give_up = time.monotonic() + _GIVE_UP
        while view:
            _, writable, _ = select.select([], [master], [], 0.05)
            if writable:
                with contextlib.suppress(BlockingIOError):
                    view = view[os.write(master, view) :]
            elif time.monotonic() > give_up:
                log.warning("QR scanner emulator: nobody reads; %d bytes lost", len(view))
                return

    # ---- the pseudo-terminal --------------------------------------------------------------

    def _plug(self) -> None:
        assert self._link is not None
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        # Keeping our own slave fd open means the master never sees EIO while the driver
        # closes and reopens the port; closing both is the unplug.
        with self._lock:
            self._master, self._slave = master, slave
        self.pty_path = os.ttyname(slave)
        temp = self._link.with_name(self._link.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        temp.symlink_to(self.pty_path)
        temp.replace(self._link)  # atomic: the path never points at a half-made pty

    def _unplug(self) -> None:
        with self._lock:
            fds, self._master, self._slave = (self._master, self._slave), None, None
        for fd in fds:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        if self._link is not None and self._link.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                self._link.unlink()


_HELP = (
    "commands: scan <text> | licence <uscc> | certificate <code> | token <text> | junk | "
    "unplug | replug | quit"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="USB-CDC QR scanner emulator on a pty")
    parser.add_argument("--link", help="stable path to create for the scanner (a symlink)")
    parser.add_argument("--suffix", choices=sorted(SUFFIXES), default="cr")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    emulator = QrScannerEmulator(SUFFIXES[args.suffix], link=args.link)
    print(emulator.start(), flush=True)
    print(_HELP, file=sys.stderr, flush=True)
    try:
        for line in sys.stdin:
            command, _, rest = line.strip().partition(" ")
            try:
                if command == "scan" and rest:
                    emulator.scan(rest)
                elif command == "licence" and rest:
                    emulator.scan(licence_url(rest.strip()))
                elif command == "certificate" and rest:
                    emulator.scan(certificate_url(rest.strip()))
                elif command == "token" and rest:
                    emulator.scan("SXT1." + rest.strip())
                elif command == "junk":
                    emulator.scan(b"\x00\x01\x1b[\xff\xfe\x80")
                elif command == "unplug":
                    emulator.unplug()
                elif command == "replug":
                    emulator.replug()
                elif command == "quit":
                    return 0
                elif command:
                    print("?", _HELP, file=sys.stderr, flush=True)
            except RuntimeError as exc:
                print(f"? {exc}", file=sys.stderr, flush=True)
        while True:  # stdin closed: keep the pty until interrupted
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        emulator.stop()


if __name__ == "__main__":
    raise SystemExit(main())
