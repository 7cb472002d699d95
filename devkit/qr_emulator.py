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
import sys
import time

from devkit.pty_device import PtyDevice
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


class QrScannerEmulator(PtyDevice):
    """A CDC QR scanner: ``scan`` sends a payload and the suffix; unplug/replug the cable.

    ``path`` is a symlink the emulator owns (``link``, or one in a private temporary folder)
    that stays the same across ``unplug``/``replug``; ``pty_path`` is the pty behind it now.
    """

    def __init__(self, terminator: bytes = b"\r", *, link: str | os.PathLike[str] | None = None):
        self.terminator = terminator
        self.scans = 0
        self._init_pty(link)

    link_prefix = "qr-emulator-"
    link_name = "qrscanner"
    label = "QR scanner emulator"

    # ---- scanning -------------------------------------------------------------------------

    def scan(self, payload: str | bytes, terminator: bytes | None = None, gap: float = 0.0) -> None:
        """Send one payload (str as UTF-8) and the suffix (``terminator`` overrides the
        emulator's own; b"" for none). ``gap`` > 0: one byte at a time, ``gap`` s apart."""
        data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
        self.write(data + (self.terminator if terminator is None else terminator), gap)
        self.scans += 1

    def write(self, data: bytes, gap: float = 0.0) -> None:
        """Raw bytes down the line (several scans in one write, noise, half a frame...)."""
        with self._pty_lock:
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
