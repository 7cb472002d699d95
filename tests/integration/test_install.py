"""Installation: `make install` staged under DESTDIR (nothing of this machine touched), the
systemd unit checked by systemd itself, the udev rules checked line by line.

systemd cannot run as PID 1 here, so the unit is judged by `systemd-analyze verify` (every key
known and well formed, the program there and executable) and `systemd-analyze security` (the
hardening, as a figure). This Debian's udev (systemd 252) has no `udevadm verify` (254 and
later), so the rules get the structural check below, which the same grammar drives.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "/opt/kiosk"
EXEC = f"{PREFIX}/.venv/bin/kiosk"
MAX_EXPOSURE = 3.0  # systemd-analyze security: 0 (locked down) … 10 (UNSAFE); it was 9.0


def make_install(root: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(
        ["make", "-s", "install", f"DESTDIR={root}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    done = make_install(root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"staged in {root}: no user created" in done.stdout
    return root


def test_make_install_puts_everything_in_place(staged):
    kiosk = staged / EXEC.lstrip("/")
    assert kiosk.is_file() and os.access(kiosk, os.X_OK)
    out = subprocess.run([kiosk, "--help"], capture_output=True, text=True, timeout=60, check=True)
    assert "self-service kiosk" in out.stdout
    app = staged / PREFIX.lstrip("/")
    assert list((app / "assets" / "fonts").glob("*.otf")), "the CJK font extracted at install"
    assert list((app / "assets" / "locale").rglob("*.mo")), "the catalogue compiled"
    assert list((app / "kiosk" / "__pycache__").glob("*.pyc")), "compiled: /opt is read-only"
    assert not (app / "tests").exists() and not (app / ".git").exists()
    unit = staged / "etc/systemd/system/kiosk.service"
    assert unit.read_text() == (ROOT / "deploy/kiosk.service").read_text()
    rules = staged / "etc/udev/rules.d/70-kiosk-devices.rules"
    assert rules.read_text() == (ROOT / "deploy/70-kiosk-devices.rules").read_text()
    config = staged / "etc/kiosk/kiosk.toml"
    assert config.read_text() == (ROOT / "deploy/kiosk.example.toml").read_text()
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o750


def test_a_second_install_keeps_the_configuration(staged):
    config = staged / "etc/kiosk/kiosk.toml"
    config.write_text(config.read_text() + "\n# this hall's own settings\n")
    again = make_install(staged)
    assert again.returncode == 0, again.stdout + again.stderr
    assert config.read_text().endswith("# this hall's own settings\n")


def systemd_analyze(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["systemd-analyze", *args], capture_output=True, text=True, timeout=120, check=False
    )


def unit_for(staged: Path, text: str, tmp_path: Path) -> Path:
    """The unit as installed, its program at the staged path (verify checks it is there)."""
    unit = tmp_path / "kiosk.service"
    unit.write_text(text.replace(EXEC, str(staged / EXEC.lstrip("/"))))
    return unit


def unit_problems(unit: Path) -> str:
    done = systemd_analyze("verify", "--man=no", str(unit))
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return "\n".join(lines) if done.returncode or lines else ""


needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is missing (Debian package systemd, in the Makefile's list)",
)


@needs_systemd
def test_systemd_accepts_the_unit(staged, tmp_path):
    assert (
        unit_problems(unit_for(staged, (ROOT / "deploy/kiosk.service").read_text(), tmp_path)) == ""
    )


@needs_systemd
@pytest.mark.parametrize(
    ("good", "bad"),
    [
        ("Restart=always", "Restart=sometimes"),
        ("ProtectSystem=strict", "ProtectSystem=strictly"),
        ("WatchdogSec=30s", "WatchdogSec=thirty"),
        (f"ExecStart={EXEC}", "ExecStart=/opt/kiosk/.venv/bin/nothing-here"),
    ],
)
def test_the_unit_check_sees_a_broken_unit(staged, tmp_path, good, bad):
    text = (ROOT / "deploy/kiosk.service").read_text()
    assert good in text
    assert unit_problems(unit_for(staged, text.replace(good, bad), tmp_path)) != ""


@needs_systemd
def test_the_unit_is_hardened(staged, tmp_path):
    text = (ROOT / "deploy/kiosk.service").read_text()
    for line in (
        "User=kiosk",
        "Restart=always",
        "WatchdogSec=30s",
        "Type=notify",
        "PrivateTmp=yes",
        "ProtectSystem=strict",
        "StateDirectory=kiosk",
        "ProtectHome=yes",
        "NoNewPrivileges=yes",
        "WantedBy=multi-user.target",  # no desktop session
    ):
        assert re.search(rf"^{re.escape(line)}$", text, re.M), line
    unit = unit_for(staged, text, tmp_path)
    done = systemd_analyze("security", "--offline=yes", "--no-pager", str(unit))
    found = re.search(r"Overall exposure level for kiosk\.service: (\d+\.\d)", done.stdout)
    assert found, done.stdout + done.stderr
    exposure = float(found.group(1))
    print(f"systemd-analyze security: exposure {exposure}")
    assert exposure <= MAX_EXPOSURE


# ---- udev rules ---------------------------------------------------------------------------

RULES = ROOT / "deploy/70-kiosk-devices.rules"
# udev(7): KEY[{attr}] OPERATOR "value", pairs separated by commas
PAIR = re.compile(
    r'\s*(?P<key>[A-Z]+(?:\{[A-Za-z_.]+\})?)\s*(?P<op>==|!=|\+=|-=|:=|=)\s*"(?P<value>[^"]*)"\s*'
)
MATCH_KEYS = {"SUBSYSTEM", "KERNEL", "KERNELS", "ATTR", "ATTRS", "ENV", "DRIVERS", "ACTION"}
ASSIGN_KEYS = {"SYMLINK", "GROUP", "MODE", "OWNER", "ENV", "TAG"}


def rule_problems(text: str) -> list[str]:
    problems = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pairs = []
        for part in line.split(","):
            m = PAIR.fullmatch(part)
            if m is None:
                problems.append(f'line {n}: {part.strip()!r} is not KEY op "value"')
                continue
            pairs.append((m["key"].split("{")[0], m["op"], m["value"], m["key"]))
        matches = [p for p in pairs if p[1] in ("==", "!=")]
        assigns = [p for p in pairs if p[1] in ("=", "+=", "-=", ":=")]
        if not matches or not assigns:
            problems.append(f"line {n}: a rule needs a match and an assignment")
        for key, op, value, full in pairs:
            if op in ("==", "!=") and key not in MATCH_KEYS:
                problems.append(f"line {n}: {full} is not a key to match")
            if op not in ("==", "!=") and key not in ASSIGN_KEYS:
                problems.append(f"line {n}: {full} cannot be assigned")
            if full.endswith(("{idVendor}", "{idProduct}")) and not re.fullmatch(
                r"[0-9a-f]{4}", value
            ):
                problems.append(f"line {n}: {full} must be four lower-case hex digits")
            if key == "MODE" and not re.fullmatch(r"0[0-7]{3}", value):
                problems.append(f"line {n}: MODE {value!r}")
    return problems


def test_the_udev_rules_parse_and_name_each_device():
    text = RULES.read_text()
    assert rule_problems(text) == []
    rules = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    links = {re.search(r'SYMLINK\+="([^"]+)"', r)[1] for r in rules}
    assert links == {"kiosk-idcard", "kiosk-scanner", "kiosk-printer"}
    for rule in rules:
        assert 'GROUP="kiosk"' in rule and 'MODE="0660"' in rule, rule
        assert "idVendor" in rule and "idProduct" in rule, rule
    assert "lsusb" in text and "udevadm info" in text, "the comments say how to find VID/PID"


@pytest.mark.parametrize(
    "line",
    [
        'SUBSYSTEM=="tty", ATTRS{idVendor}=="1A86", SYMLINK+="x", GROUP="kiosk"',
        'SUBSYSTEM=="tty" ATTRS{idVendor}=="1a86", SYMLINK+="x"',
        'SUBSYSTEM=="tty", SYMLINK+="x", MODE="660"',
        'SUBSYSTEM=="tty", ATTRS{idVendor}=="1a86"',
        'SUBSYSTEM="tty", GROUP="kiosk"',
    ],
)
def test_the_rules_check_sees_a_broken_rule(line):
    assert rule_problems(line) != []
