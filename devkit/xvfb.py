"""A virtual X server for running the real app without a display (demo without a screen, ui tests).

Xvfb picks a free display number itself (-displayfd), so parallel runs never collide.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time


class XvfbError(RuntimeError):
    pass


class Xvfb:
    def __init__(self, width: int = 1080, height: int = 1920, depth: int = 24) -> None:
        self.width, self.height, self.depth = width, height, depth
        self.display: str | None = None
        self._proc: subprocess.Popen | None = None

    def start(self) -> str:
        binary = shutil.which("Xvfb")
        if binary is None:
            raise XvfbError("Xvfb is not installed (Debian package xvfb): run `make run` once")
        read_fd, write_fd = os.pipe()
        log = tempfile.TemporaryFile()  # noqa: SIM115  (kept open for the server's life)
        self._proc = subprocess.Popen(
            [
                binary,
                "-displayfd",
                str(write_fd),
                "-screen",
                "0",
                f"{self.width}x{self.height}x{self.depth}",
                "-nolisten",
                "tcp",
                "-ac",
                "+extension",
                "GLX",
            ],
            pass_fds=(write_fd,),
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
        os.close(write_fd)
        number = b""
        deadline = time.monotonic() + 15
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            while not number.endswith(b"\n") and time.monotonic() < deadline:
                chunk = pipe.read(16)
                if not chunk:
                    break
                number += chunk
        if not number.strip().isdigit():
            self.stop()
            log.seek(0)
            raise XvfbError(f"Xvfb did not start: {log.read().decode(errors='replace')[-500:]}")
        self.display = f":{number.strip().decode()}"
        return self.display

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc = None

    def __enter__(self) -> Xvfb:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
