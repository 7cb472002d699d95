"""A PC/SC stack for tests and demo mode: pcscd with the vpcd driver, started only if need be.

What has to be on the machine (Debian 12): ``pcscd`` (the daemon) and ``vsmartcard-vpcd`` (the
driver, with its /etc/reader.conf.d/vpcd). pcscd then lists the readers "Virtual PCD 00 00" and
"Virtual PCD 00 01" and waits for a virtual card (devkit.virtual_socialcard) on TCP 35963/35964.

Why it is done this way:

- pcsc-lite 1.9 has one socket, /run/pcscd/pcscd.comm, and one pid file beside it, both compiled
  in: a second pcscd refuses to start while the first lives, and the vpcd ports can be bound only
  once. So a pcscd that already answers (a system service, one socket-activated by systemd on a
  desktop, or another test run's) is reused as it is, and never stopped by us; only a pcscd this
  module started is stopped by it. A stale socket left by a killed pcscd is harmless: pcscd
  finds its owner dead and cleans up.
- No systemd and no desktop session are needed: pcscd runs in the foreground as our child
  (``--foreground``), so it dies with stop() and its exit code is ours to see. It needs root (or
  a writable /run/pcscd), which a CI container and the developer's machine here have; polkit is
  not built into Debian 12's pcscd, so root clients are not asked for a desktop session either.
- ``--auto-exit`` makes an orphaned pcscd (the test process killed before its teardown) quit by
  itself after 60 s without clients; a running PcscReader polls every second and keeps it alive.
- pcscd is never given ``--apdu``: that logs every APDU, and a card's APDUs carry a person's data.

vpcd listens on every interface (its config says /dev/null:0x8C7B): do not install
vsmartcard-vpcd on a production kiosk, or anyone on the hall's network can insert a card.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

from drivers.pcsc_reader import list_readers

log = logging.getLogger("devkit.pcsc_stack")

PCSCD = "/usr/sbin/pcscd"
VPCD_CONFIG = Path("/etc/reader.conf.d/vpcd")
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
VPCD_READER = "Virtual PCD 00 00"
VPCD_PORT = 35963
DEBIAN_PACKAGES = ("pcscd", "vsmartcard-vpcd")


class PcscStackError(RuntimeError):
    pass


def socket_path() -> str:
    """Where clients find pcscd (libpcsclite honours PCSCLITE_CSOCK_NAME; pcscd 1.9 does not)."""
    return os.environ.get("PCSCLITE_CSOCK_NAME", "/run/pcscd/pcscd.comm")


def service_running() -> bool:
    """A pcscd answers: asked through libpcsclite, as the kiosk asks it.

    Not by poking its socket: pcscd accepts slowly from a tiny backlog, so a bare connect with a
    timeout fails (EAGAIN) whenever a few clients arrive at once.
    """
    return list_readers()[0]


def reader_names() -> list[str]:
    """The readers pcscd lists, or [] when it does not answer."""
    return list_readers()[1]


def missing(pcscd: str = PCSCD) -> str | None:
    """Why the stack cannot run here (for a test to skip with), or None."""
    packages = " ".join(DEBIAN_PACKAGES)
    if service_running():
        return None  # start() reuses it; whether it has vpcd shows there
    if not (shutil.which(pcscd) or Path(pcscd).exists()):
        return f"pcscd is not installed ({pcscd}); Debian packages: {packages}"
    if not VPCD_DRIVER.exists() or not VPCD_CONFIG.exists():
        return f"the vpcd driver is not installed ({VPCD_CONFIG}); Debian packages: {packages}"
    run_dir = Path(socket_path()).parent
    if os.geteuid() != 0 and not os.access(
        run_dir if run_dir.exists() else run_dir.parent, os.W_OK
    ):
        return f"pcscd is not running and starting it needs root (to write {run_dir})"
    return None


class PcscStack:
    """pcscd with the vpcd reader, for as long as the stack is started."""

    def __init__(
        self,
        reader: str = VPCD_READER,
        *,
        pcscd: str = PCSCD,
        auto_exit: bool = True,
        timeout: float = 10.0,
        log_path: str | Path | None = None,
    ):
        self.reader = reader
        self.pcscd = pcscd
        self.auto_exit = auto_exit
        self.timeout = timeout
        self.log_path = log_path  # pcscd's own messages (errors only: never card data)
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PcscStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def owned(self) -> bool:
        """This stack started the pcscd that runs (and will stop it)."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.owned and self._process is not None else None

    def start(self) -> None:
        """Reuse a running pcscd or start one; return once the reader is listed."""
        if self.owned:
            return
        if service_running():
            log.info("reusing the running pcscd")
        else:
            reason = missing(self.pcscd)
            if reason:
                raise PcscStackError(reason)
            self._spawn()
        try:
            self._wait_for_reader()
        except PcscStackError:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the pcscd we started (SIGTERM, then SIGKILL); a reused one is left alone."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            log.warning("pcscd did not stop on SIGTERM; killing it")
            process.kill()
            process.wait(timeout=5.0)
        log.info("pcscd stopped (exit %s)", process.returncode)

    def _spawn(self) -> None:
        args = [self.pcscd, "--foreground"]
        if self.auto_exit:
            args.append("--auto-exit")
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C meant for the kiosk reaches us, not pcscd
            )
        finally:
            if not isinstance(out, int):
                out.close()
        log.info("pcscd started (pid %d)", self._process.pid)

    def _wait_for_reader(self) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            names = reader_names()
            if self.reader in names:
                return
            if self._process is not None and self._process.poll() is not None:
                raise PcscStackError(
                    f"pcscd exited with {self._process.returncode} before listing {self.reader!r}"
                )
            if time.monotonic() >= deadline:
                listed = ", ".join(names) or "none"
                raise PcscStackError(
                    f"pcscd does not list {self.reader!r} after {self.timeout:.0f} s "
                    f"(readers: {listed}); is {VPCD_CONFIG} there, and was the running pcscd "
                    "started after vsmartcard-vpcd was installed?"
                )
            time.sleep(0.1)


def main() -> None:
    """`python -m devkit.pcsc_stack`: run pcscd with vpcd until Ctrl-C (for trying things)."""
    logging.basicConfig(level=logging.INFO)
    stack = PcscStack(auto_exit=False)
    stack.start()
    print(f"readers: {', '.join(reader_names())}; pcscd {'ours' if stack.owned else 'reused'}")
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)
    stack.stop()


if __name__ == "__main__":
    main()
