"""The watchdog restarts a frozen kiosk: a small supervisor does what systemd does.

It reads deploy/kiosk.service (Type=notify, WatchdogSec=, Restart=always), binds a notify
socket of its own, and starts the real kiosk (`kiosk run --demo --headless --script freeze`,
the real Kivy app under Xvfb) with NOTIFY_SOCKET and WATCHDOG_USEC set as systemd sets them,
the unit's WatchdogSec scaled down so that the test takes seconds. Like systemd with
NotifyAccess=main it takes messages only from the main process (the kernel's credentials on
each datagram say who sent it), arms the watchdog at READY=1, and when no WATCHDOG=1 came for
WATCHDOG_USEC it sends the process group SIGABRT (WatchdogSignal's default) and starts the
kiosk again. The script idles on the attract screen, then sleeps on the UI thread.
"""

from __future__ import annotations

import dataclasses
import os
import re
import resource
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "kiosk.service"
ARTIFACTS = ROOT / "tests" / "artifacts" / "watchdog"
SCALE = 5  # the unit's WatchdogSec, divided by this: 30 s → 6 s
START_TIMEOUT = 120.0  # READY=1 after the start (Kivy and Xvfb on a busy machine)

pytestmark = pytest.mark.ui

_UCRED = struct.Struct("3i")  # pid, uid, gid: SCM_CREDENTIALS
_SPANS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0}


def unit_settings(path: Path, section: str = "Service") -> dict[str, str]:
    """Key=value lines of one section of a systemd unit (the last one of a key wins)."""
    settings, current = {}, ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
        elif current == section and "=" in line:
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


def seconds(span: str) -> float:
    """A systemd time span ("30s", "1min 30s", "500ms", "30") in seconds."""
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", span):
        total += float(number) * _SPANS[unit or "s"]
    return total


@dataclasses.dataclass
class Message:
    at: float
    pid: int
    text: str


class Supervisor:
    """The part of systemd that a Type=notify service with a watchdog meets."""

    def __init__(self, work: Path, notify: Path, command: list[str], watchdog: float) -> None:
        self.work = work  # each run's console and demo output
        self.command = command
        self.watchdog = watchdog
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.path = str(notify)
        self.sock.bind(self.path)
        self.messages: list[Message] = []
        self.ignored: list[Message] = []  # from processes other than the main one
        self.runs: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
        env |= {"NOTIFY_SOCKET": self.path, "WATCHDOG_USEC": str(int(self.watchdog * 1e6))}
        n = len(self.runs)
        with (self.work / f"run{n}.out").open("wb") as out:
            proc = subprocess.Popen(
                [*self.command, "--out", str(self.work / f"out{n}")],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # one process group: the unit's cgroup
                preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 0)),
            )
        self.runs.append(proc)
        return proc

    def receive(self, proc: subprocess.Popen, until: float) -> Message | None:
        """The next message from ``proc`` before ``until`` (monotonic), or None."""
        while (left := until - time.monotonic()) > 0:
            self.sock.settimeout(min(left, 0.5))
            try:
                data, ancillary, _flags, _addr = self.sock.recvmsg(
                    4096, socket.CMSG_SPACE(_UCRED.size)
                )
            except TimeoutError:
                if proc.poll() is not None:
                    return None
                continue
            pid = next(
                (
                    _UCRED.unpack(d[: _UCRED.size])[0]
                    for level, kind, d in ancillary
                    if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS
                ),
                0,
            )
            message = Message(time.monotonic(), pid, data.decode(errors="replace").strip())
            (self.messages if pid == proc.pid else self.ignored).append(message)
            if pid == proc.pid:
                return message
        return None

    def wait_ready(self, proc: subprocess.Popen) -> Message:
        deadline = time.monotonic() + START_TIMEOUT
        while (m := self.receive(proc, deadline)) is not None:
            if "READY=1" in m.text.splitlines():
                return m
        raise AssertionError(f"no READY=1 from {proc.pid}:\n{self.console(proc)[-3000:]}")

    def watch(self, proc: subprocess.Popen) -> float:
        """Armed since READY=1: wait until the pings stop for longer than the watchdog, then
        do what systemd does. Returns when the watchdog fired."""
        deadline = time.monotonic() + self.watchdog
        give_up = time.monotonic() + 120
        while time.monotonic() < give_up:
            m = self.receive(proc, deadline)
            if m is None:
                assert proc.poll() is None, f"the kiosk ended by itself:\n{self.console(proc)}"
                fired = time.monotonic()
                self.kill(proc, signal.SIGABRT)
                return fired
            if "WATCHDOG=1" in m.text.splitlines():
                deadline = m.at + self.watchdog
        raise AssertionError("the watchdog never fired")

    def kill(self, proc: subprocess.Popen, sig: signal.Signals, grace: float = 15.0) -> None:
        """The signal to the whole group (as KillMode=control-group), SIGKILL after the grace."""
        with _gone():
            os.killpg(proc.pid, sig)
        self.wait(proc, grace)

    def stop(self, proc: subprocess.Popen, grace: float = 15.0) -> None:
        """`systemctl stop`: SIGTERM to the kiosk, the rest of the group after it."""
        proc.send_signal(signal.SIGTERM)
        self.wait(proc, grace)

    def wait(self, proc: subprocess.Popen, grace: float) -> None:
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with _gone():
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def console(self, proc: subprocess.Popen) -> str:
        n = self.runs.index(proc)
        return (self.work / f"run{n}.out").read_text(errors="replace")

    def close(self) -> None:
        for proc in self.runs:
            if proc.poll() is None:
                self.kill(proc, signal.SIGKILL, grace=10)
            with _gone():  # what the kiosk started (Xvfb) goes with its group
                os.killpg(proc.pid, signal.SIGKILL)
        self.sock.close()


class _gone:
    """Signalling a process group that has already gone is no error."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        return kind is ProcessLookupError


def pings(messages: list[Message], since: float, until: float) -> list[float]:
    return [m.at for m in messages if m.text == "WATCHDOG=1" and since <= m.at <= until]


def test_the_watchdog_restarts_a_frozen_kiosk(tmp_path):
    unit = unit_settings(UNIT)
    assert unit["Type"] == "notify" and unit["NotifyAccess"] == "main"
    assert unit["Restart"] == "always"
    watchdog = seconds(unit["WatchdogSec"]) / SCALE
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("run*.out"):
        old.unlink()
    command = [sys.executable, "-m", "main", "run", "--demo", "--headless", "--script", "freeze"]
    supervisor = Supervisor(ARTIFACTS, tmp_path / "notify", command, watchdog)
    try:
        first = supervisor.start()
        ready = supervisor.wait_ready(first)
        fired = supervisor.watch(first)
        assert first.returncode == -signal.SIGABRT, supervisor.console(first)
        console = supervisor.console(first)
        assert "the UI thread freezes" in console, console[-3000:]

        second = supervisor.start()  # Restart=always
        again = supervisor.wait_ready(second)
        supervisor.stop(second)
    finally:
        supervisor.close()

    assert again.pid == second.pid != first.pid
    alive = pings(supervisor.messages, ready.at, fired)
    assert len(alive) >= 3, "regular pings while the kiosk was well"
    gaps = [b - a for a, b in zip([ready.at, *alive], alive, strict=False)]
    assert max(gaps) < watchdog, f"pings every {watchdog / 2:g} s or so, not {gaps}"
    assert second.returncode == 0, supervisor.console(second)[-3000:]
