"""`kiosk config check` and `kiosk config set-pin`: the file checked as `kiosk run` reads it,
and the PIN's hash written atomically with every other byte of the file kept."""

from __future__ import annotations

import difflib
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import main
from kiosk import config, pin
from kiosk.config_file import ConfigFileError, set_value

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "kiosk.example.toml"
KEY = "00112233445566778899aabbccddeeff"


@pytest.fixture()
def example(tmp_path) -> Path:
    """The example configuration, made valid here: its key file written, mode 600."""
    key = tmp_path / "device.key"
    key.write_text(KEY + "\n")
    key.chmod(0o600)
    path = tmp_path / "kiosk.toml"
    path.write_text(EXAMPLE.read_text().replace("/etc/kiosk/device.key", str(key)))
    path.chmod(0o640)
    return path


def kiosk(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import main, sys; sys.exit(main.cli())", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_check_passes_a_valid_file(example, capsys):
    assert main.cli(["config", "check", str(example)]) == 0
    assert capsys.readouterr().out.strip() == f"{example}: ok"


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (('region_code = "140100"', 'region_code = "14"'), "[kiosk] region_code: must be 6 to 9"),
        (("retries = 2", "retries = 9"), "[platform] retries: must be between 0 and 5"),
        (('qr = "native"', 'qr = "native"\nqr_size = 3'), "[printer] qr_size: is not a known"),
        (
            ('printer = "escpos+tcp://192.168.1.50:9100"', 'printer = "escpos+tcp://h?speed=1"'),
            "[devices] printer: unknown option 'speed' for escpos+tcp",
        ),
        (("# pin_hash = ", 'pin_hash = "1234" # '), "[technician] pin_hash: must look like"),
    ],
)
def test_check_names_the_key(example, capsys, edit, named):
    example.write_text(example.read_text().replace(*edit))
    assert main.cli(["config", "check", str(example)]) == 1
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err


def test_check_refuses_a_key_file_others_may_read(example, tmp_path, capsys):
    (tmp_path / "device.key").chmod(0o644)
    assert main.cli(["config", "check", str(example)]) == 1
    assert "[platform] device_key_file" in capsys.readouterr().err


def test_check_of_a_missing_file_says_how_to_write_one(tmp_path, capsys):
    assert main.cli(["config", "check", str(tmp_path / "none.toml")]) == 1
    assert "deploy/kiosk.example.toml" in capsys.readouterr().err


def test_set_pin_adds_the_hash_and_keeps_every_other_byte(example):
    before = example.read_bytes()
    done = kiosk("config", "set-pin", "--config", str(example), "--pin-stdin", stdin="24681357\n")
    assert done.returncode == 0, done.stderr
    assert "24681357" not in done.stdout + done.stderr
    after = example.read_bytes()
    added = [
        line
        for line in difflib.ndiff(before.decode().splitlines(), after.decode().splitlines())
        if line[:2] in ("+ ", "- ")
    ]
    assert len(added) == 1 and added[0].startswith("+ pin_hash = "), (
        "one line is added to [technician], nothing else changes"
    )
    stored = tomllib.loads(after.decode())["technician"]["pin_hash"]
    assert pin.verify_pin("24681357", stored) and "24681357" not in after.decode()
    assert config.load(example).technician.pin_hash == stored
    assert (example.parent / "kiosk.toml.bak").read_bytes() == before
    assert stat.S_IMODE(example.stat().st_mode) == 0o640, "the file keeps its mode"
    assert not [p for p in example.parent.iterdir() if p.name.endswith(".tmp")]


def test_set_pin_again_changes_one_line(example):
    done = kiosk("config", "set-pin", "--config", str(example), "--pin-stdin", stdin="111111\n")
    assert done.returncode == 0, done.stderr
    first = example.read_text()
    done = kiosk("config", "set-pin", "--config", str(example), "--pin-stdin", stdin="222222\n")
    assert done.returncode == 0, done.stderr
    second = example.read_text()
    changed = [
        line
        for line in difflib.ndiff(first.splitlines(), second.splitlines())
        if line.startswith(("+ ", "- "))
    ]
    assert len(changed) == 2 and all("pin_hash" in line for line in changed), changed
    assert pin.verify_pin("222222", config.load(example).technician.pin_hash)
    assert (example.parent / "kiosk.toml.bak").read_text() == first


@pytest.mark.parametrize("typed", ["12345", "123456789", "abcdef", ""])
def test_set_pin_refuses_a_pin_that_is_not_6_to_8_digits(example, typed):
    before = example.read_bytes()
    done = kiosk("config", "set-pin", "--config", str(example), "--pin-stdin", stdin=typed + "\n")
    assert done.returncode == 1
    assert "6 to 8 digits" in done.stderr and "Traceback" not in done.stderr
    assert example.read_bytes() == before
    assert not (example.parent / "kiosk.toml.bak").exists()


def test_set_pin_asks_twice_without_echo_and_refuses_two_different_pins(example):
    """getpass reads the terminal: a real pseudo-terminal, typed into."""
    import pty

    def typed(first: str, second: str) -> tuple[int, str]:
        pid, fd = pty.fork()
        if pid == 0:  # the child: the kiosk command on the terminal
            os.chdir(ROOT)
            os.execv(
                sys.executable,
                [
                    sys.executable,
                    "-c",
                    "import main, sys; sys.exit(main.cli())",
                    "config",
                    "set-pin",
                    "--config",
                    str(example),
                ],
            )
        seen = b""
        for answer in (first, second):
            while b": " not in seen.rsplit(b"\n", 1)[-1]:
                seen += os.read(fd, 1024)
            os.write(fd, answer.encode() + b"\n")
            seen += b"\n"
        while True:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")

    before = example.read_bytes()
    code, seen = typed("314159", "314158")
    assert code == 1 and "differ" in seen and "31415" not in seen, seen
    assert example.read_bytes() == before
    code, seen = typed("314159", "314159")
    assert code == 0 and "31415" not in seen, seen
    assert pin.verify_pin("314159", config.load(example).technician.pin_hash)


def test_a_file_that_is_not_toml_is_left_alone(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[kiosk\n")
    with pytest.raises(ConfigFileError, match="not valid TOML"):
        set_value(path, "technician", "pin_hash", "x")
    assert path.read_text() == "[kiosk\n"


def test_a_configuration_behind_a_link_is_changed_where_it_lives(example, tmp_path):
    link = tmp_path / "current.toml"
    link.symlink_to(example)
    set_value(link, "technician", "pin_hash", pin.hash_pin("123456", n=16))
    assert link.is_symlink(), "the link is kept, its target changed"
    assert "pin_hash" in tomllib.loads(example.read_text())["technician"]
