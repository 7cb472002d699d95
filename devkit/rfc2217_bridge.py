"""A serial port served over TCP with RFC 2217, as a port server in a hall's cabinet serves one.

pyserial's own server side (``serial.rfc2217.PortManager``, as in pyserial's
examples/rfc2217_server.py) is put in front of a device's port, on 127.0.0.1, so the kiosk's
drivers can be tested reading an emulated card through ``sam+rfc2217://127.0.0.1:PORT``. The
line speed a driver sets travels as an RFC 2217 SET-BAUDRATE and is set on the port here, where
the SAM emulator sees it, so probing the rate works as it does with a real port server.

One client at a time, as with ser2net: the port is opened when a client connects and closed
when it leaves, so an unplugged emulator ends the connection and a replugged one serves the
next. Tests only (devkit is never imported by the kiosk).

    python -m devkit.rfc2217_bridge /path/to/device [--port 4000]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import socket
import threading

import serial
from serial.rfc2217 import PortManager

log = logging.getLogger("devkit.rfc2217")

_READ = 0.05  # seconds a port read or a socket receive waits: bounds how long stop() takes


class _PtyPort(serial.Serial):
    """A pseudo-terminal has no modem lines, and pyserial's ioctls for them fail on one (ENOTTY):
    setting them does nothing here and reading them says inactive. A real port has real lines;
    the emulators sit on ptys."""

    def _update_dtr_state(self) -> None:
        with contextlib.suppress(OSError):
            super()._update_dtr_state()

    def _update_rts_state(self) -> None:
        with contextlib.suppress(OSError):
            super()._update_rts_state()

    @property
    def cts(self) -> bool:
        return False

    @property
    def dsr(self) -> bool:
        return False

    @property
    def ri(self) -> bool:
        return False

    @property
    def cd(self) -> bool:
        return False


class _Client:
    """The connection PortManager writes its answers to; the port's reader writes there too."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self._lock:
            self.sock.sendall(data)


class Rfc2217Bridge:
    """Serves ``device`` (a path) to one RFC 2217 client at a time on ``host``:``port``."""

    def __init__(self, device: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.device = device
        self.host = host
        self.port = port
        self.clients = 0  # connections served (a reconnecting driver makes more than one)
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def url(self) -> str:
        return f"rfc2217://{self.host}:{self.port}"

    def start(self) -> str:
        """Listen and return the rfc2217:// URL of the port."""
        server = socket.create_server((self.host, self.port))
        server.settimeout(_READ)
        self.port = server.getsockname()[1]
        self._server = server
        self._stop.clear()
        self._thread = threading.Thread(target=self._accept, name="rfc2217-bridge", daemon=True)
        self._thread.start()
        log.info("RFC 2217 bridge for %s on %s", self.device, self.url)
        return self.url

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._server is not None:
            self._server.close()
            self._server = None

    def __enter__(self) -> Rfc2217Bridge:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- serving --------------------------------------------------------------------------

    def _accept(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                sock, _peer = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.clients += 1
            with sock:
                self._serve(sock)

    def _serve(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(_READ)
        try:
            port = _PtyPort(self.device, timeout=_READ)
        except (OSError, ValueError) as exc:  # nothing at the path: the client is let go
            log.info("RFC 2217 bridge: cannot open %s: %s", self.device, exc)
            return
        client = _Client(sock)
        manager = PortManager(port, client)
        done = threading.Event()

        def port_to_client() -> None:
            try:
                while not done.is_set():
                    data = port.read(port.in_waiting or 1)
                    if data:
                        client.write(b"".join(manager.escape(data)))
            except OSError as exc:  # the device went away, or the client did
                log.info("RFC 2217 bridge: %s", exc)
            finally:
                done.set()

        reader = threading.Thread(target=port_to_client, name="rfc2217-port", daemon=True)
        reader.start()
        try:
            while not done.is_set() and not self._stop.is_set():
                try:
                    data = sock.recv(4096)
                except TimeoutError:
                    continue
                if not data:
                    break
                port.write(b"".join(manager.filter(data)))
        except OSError as exc:
            log.info("RFC 2217 bridge: %s", exc)
        finally:
            done.set()
            reader.join(timeout=5)
            port.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("device", help="the serial port (or emulator's path) to serve")
    parser.add_argument("--port", type=int, default=4000, help="TCP port on 127.0.0.1")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    bridge = Rfc2217Bridge(args.device, port=args.port)
    print(bridge.start(), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        bridge.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
