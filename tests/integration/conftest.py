"""Fixtures the integration tests share."""

from __future__ import annotations

import subprocess

import pytest


@pytest.fixture
def tmpfs(tmp_path):
    """A real 512 KiB file system (root and a kernel that allows it), else skip."""
    mount = tmp_path / "small"
    mount.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
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
