"""Fixtures the integration tests share."""

from __future__ import annotations

import subprocess

import pytest


@pytest.fixture
def tmpfs(tmp_path):
    """A real 2 MiB file system (root and a kernel that allows it), else skip. Room enough for
    what a kiosk keeps before the disk fills (the published list and its guides take ~400 KiB
    of the catalogue's write-ahead log), so that a test fills it on purpose, not by accident."""
    mount = tmp_path / "small"
    mount.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc}); test_outbox covers SQLITE_FULL")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, stdin=subprocess.DEVNULL)


@pytest.fixture
def stack(tmp_path):
    """The demo's platform and emulators on loopback, without the PC/SC reader (pcscd is one per
    machine, and a test that uses a social-security card starts its own stack)."""
    from devkit.demo import DemoStack

    s = DemoStack(tmp_path, social_cards=False).reset().start()
    yield s
    s.stop()
