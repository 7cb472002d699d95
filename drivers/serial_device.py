"""The life of a device on a serial port that runs its own thread (ID-card reader, QR scanner).

One thread per device opens the port, serves it until it fails, closes it and tries again
after ``reopen_interval``, doubled for each attempt in a row that did not bring the device
online, up to ``max_reopen_interval`` (a device unplugged for a week costs a few opens a
minute; one plugged back is found within that); nothing that happens on it may end the thread,
and nothing it logs may carry data read from the device. Subclasses say how to serve the port
(``_connect_and_serve``) and what a driver failure means for their status (``_driver_failed``);
they open their port with ``open_port``.
"""

from __future__ import annotations

import logging
import threading
import traceback

import serial

from kiosk.devices import DeviceStatus, Post

_STOP_WAIT = 2.0  # stop() waits at most this long for the thread (it ends within one read)


def open_port(
    url: str, baud: int, *, timeout: float, write_timeout: float | None = None
) -> serial.SerialBase:
    """Open a port through pyserial's URL handlers: a device path, rfc2217://host:port (a port
    on another machine) or spy://path?… (a byte log); kiosk.addresses makes the URL.

    Exclusive, so a second program cannot read the same line. pyserial's RFC 2217 client has
    no write timeout (it refuses one at open): its writes go to a TCP socket, which does not
    stall on a blocked line the way a tty does, so it is left out there.
    """
    port = serial.serial_for_url(url, baud, timeout=timeout, exclusive=True, do_not_open=True)
    if write_timeout is not None and not url.lower().startswith("rfc2217://"):
        port.write_timeout = write_timeout
    port.open()
    return port


class SerialDeviceThread:
    label = "serial device"  # for logs and the thread's name
    log = logging.getLogger("drivers")
    max_reopen_interval = 8.0  # seconds: the longest wait between two attempts to open

    def __init__(self, name: str, reopen_interval: float) -> None:
        self.name = name
        self.reopen_interval = reopen_interval
        self.open_attempts = 0  # diagnostics: how often the port was (re)opened
        self.failed_in_a_row = 0  # attempts since the device was last online
        self._post_to: Post | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._serial: serial.SerialBase | None = None
        self._status: DeviceStatus
        self._posted: object = None  # the last state posted, so a change is posted once

    # ---- the device interface -------------------------------------------------------------

    def start(self, post: Post) -> None:
        """Start the thread and return at once (the port is opened on the thread)."""
        if self.running:
            raise RuntimeError(f"{self.label} already started")
        self._post_to = post
        self._posted = None  # a restarted device reports its state afresh
        self._stop = threading.Event()
        thread_name = f"{self.label.replace(' ', '-')}-{self.name}"
        self._thread = threading.Thread(target=self._run, name=thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the thread and close the port; safe to call from the device's own callback."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None or thread is threading.current_thread():
            return  # from a post callback: the thread ends and closes the port itself
        thread.join(timeout=_STOP_WAIT)
        if thread.is_alive():
            self.log.warning("%s thread did not stop in time", self.label)
        self._close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def status(self) -> DeviceStatus:
        return self._status

    # ---- the thread -----------------------------------------------------------------------

    def reopen_delay(self) -> float:
        """How long to wait before the next attempt (the backoff)."""
        n = max(0, self.failed_in_a_row - 1)
        return min(self.reopen_interval * 2 ** min(n, 16), self.max_reopen_interval)

    def _run(self) -> None:
        stop = self._stop
        while not stop.is_set():
            self.failed_in_a_row += 1  # until the subclass says the device came online
            try:
                self._connect_and_serve(stop)
            except Exception as exc:  # last line: the thread must not die
                self._log_unexpected(exc)
                self._driver_failed(f"driver error {type(exc).__name__}")
            finally:
                self._close()
            stop.wait(max(self.reopen_interval, self.reopen_delay()))

    def _came_online(self) -> None:
        """The device answers: the next failure is tried again after ``reopen_interval``."""
        self.failed_in_a_row = 0

    def _connect_and_serve(self, stop: threading.Event) -> None:
        raise NotImplementedError

    def _driver_failed(self, detail: str) -> None:
        raise NotImplementedError

    def _post(self, event: object) -> None:
        if self._post_to is None:
            return
        try:
            self._post_to(event)
        except Exception as exc:
            self.log.error("posting %s failed: %s", type(event).__name__, type(exc).__name__)

    def _close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            try:
                port.close()
            except Exception as exc:
                self.log.debug("closing the port: %s", type(exc).__name__)

    def _log_unexpected(self, exc: BaseException) -> None:
        # The exception's message could echo data; the code lines of the traceback cannot.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        self.log.error(
            "unexpected %s in the %s thread:\n%s", type(exc).__name__, self.label, frames
        )
