"""kiosk.notify against real AF_UNIX datagram sockets, the way systemd listens."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from kiosk import notify


@pytest.fixture
def listener(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify"
    sock.bind(str(path))
    sock.settimeout(5)
    yield sock, str(path)
    sock.close()


def test_ready_reaches_a_socket_named_by_path(listener):
    sock, path = listener
    assert notify.notify(notify.READY, {"NOTIFY_SOCKET": path}) is True
    assert sock.recv(4096) == b"READY=1"


def test_an_abstract_socket_is_named_with_an_at_sign():
    name = f"kiosk-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert notify.notify(notify.WATCHDOG, {"NOTIFY_SOCKET": "@" + name}) is True
        assert sock.recv(4096) == b"WATCHDOG=1"


def test_without_a_socket_nothing_is_sent_and_nothing_is_watched(tmp_path):
    assert notify.notify(notify.READY, {}) is False
    assert notify.watchdog_interval({"WATCHDOG_USEC": "30000000"}) is None
    assert notify.notify(notify.READY, {"NOTIFY_SOCKET": "relative/path"}) is False
    # a socket that went away: dropped quietly, the kiosk carries on
    assert notify.notify(notify.WATCHDOG, {"NOTIFY_SOCKET": str(tmp_path / "gone")}) is False
    assert notify.notify(notify.WATCHDOG, {"NOTIFY_SOCKET": str(tmp_path / "gone")}) is False


def test_the_watchdog_pings_at_half_its_limit_for_its_own_process(listener):
    _sock, path = listener
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"}
    assert notify.watchdog_interval(env) == 15.0
    assert notify.watchdog_interval({**env, "WATCHDOG_PID": str(os.getpid())}) == 15.0
    assert notify.watchdog_interval({**env, "WATCHDOG_PID": "1"}, pid=4242) is None


@pytest.mark.parametrize("usec", ["", "0", "-5", "thirty"])
def test_no_usable_watchdog_limit_means_no_pings(listener, usec):
    _sock, path = listener
    assert notify.watchdog_interval({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": usec}) is None


def test_a_watchdog_pid_that_is_not_a_number_is_not_ours(listener):
    _sock, path = listener
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "main"}
    assert notify.watchdog_interval(env) is None
