"""The `kiosk` command: a production kiosk never falls into demo mode by accident."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import main

ROOT = Path(__file__).resolve().parents[2]


def test_run_without_a_configuration_refuses_and_says_how(tmp_path, capsys):
    assert main.cli(["run", "--config", str(tmp_path / "kiosk.toml")]) == 2
    err = capsys.readouterr().err
    assert "no configuration" in err and "deploy/kiosk.example.toml" in err and "--demo" in err
    assert "Traceback" not in err


def test_a_bad_configuration_names_the_key(tmp_path, capsys):
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[kiosk]\ndevice_id = "X"\nregion_code = "14"\n'
        '[platform]\nurl = "https://p.example"\ndevice_key = "00112233445566778899aabbccddeeff"\n'
        '[devices]\ncard_reader = "sam+serial:///dev/ttyUSB0"\nprinter = "escpos+tcp://10.0.0.5"\n'
    )
    assert main.cli(["run", "--config", str(path)]) == 2
    assert "[kiosk] region_code: must be 6 to 9 digits" in capsys.readouterr().err


def test_a_device_address_the_driver_cannot_read_stops_the_start(tmp_path, capsys):
    """Found in review: it used to pass the check and leave a dead attract screen."""
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[kiosk]\ndevice_id = "X"\nregion_code = "140100"\n'
        '[platform]\nurl = "https://p.example"\ndevice_key = "00112233445566778899aabbccddeeff"\n'
        '[devices]\ncard_reader = "sam+serial:///dev/ttyUSB0?baud=fast"\n'
        'printer = "escpos+tcp://10.0.0.5"\n'
    )
    assert main.cli(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "[devices] card_reader: 'sam+serial:///dev/ttyUSB0?baud=fast': option baud" in err
    assert "Traceback" not in err


def test_a_misspelt_scanner_option_stops_the_start(tmp_path, capsys):
    """It used to be ignored (the scanner ran with the default suffix) while the same typo in
    the printer's address was refused."""
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[kiosk]\ndevice_id = "X"\nregion_code = "140100"\n'
        '[platform]\nurl = "https://p.example"\ndevice_key = "00112233445566778899aabbccddeeff"\n'
        '[devices]\ncard_reader = "sam+serial:///dev/ttyUSB0"\n'
        'printer = "escpos+tcp://10.0.0.5"\nqr_scanner = "qr+serial:///dev/ttyACM0?ned=cr"\n'
    )
    assert main.cli(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "[devices] qr_scanner: unknown option 'ned' for qr+serial (did you mean end?)" in err
    assert "its options: baud, end" in err and "Traceback" not in err


def test_run_refuses_a_byte_log_and_says_where_it_belongs(tmp_path, capsys):
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[kiosk]\ndevice_id = "X"\nregion_code = "140100"\n'
        '[platform]\nurl = "https://p.example"\ndevice_key = "00112233445566778899aabbccddeeff"\n'
        '[devices]\ncard_reader = "sam+spy:///dev/ttyUSB0?file=/tmp/sam.txt"\n'
        'printer = "escpos+tcp://10.0.0.5"\n'
    )
    assert main.cli(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "[devices] card_reader: 'sam+spy:///dev/ttyUSB0?file=/tmp/sam.txt': a spy://" in err
    assert "ID number" in err and "kiosk idcard read --port" in err and "Traceback" not in err


def test_script_needs_demo(capsys):
    assert main.cli(["run", "--script", "demo"]) == 2
    assert "--demo" in capsys.readouterr().err


def test_the_console_script_default_path_refuses_too():
    kiosk = Path(sys.executable).with_name("kiosk")
    proc = subprocess.run(
        [kiosk, "run"], cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    assert proc.returncode == 2
    assert "/etc/kiosk/kiosk.toml" in proc.stderr and "Traceback" not in proc.stderr


def test_kiosk_run_imports_none_of_the_technicians_tools():
    """`kiosk run` builds its parser without importing the tools (python-escpos among their
    imports), which a kiosk restarted by systemd would pay for at every start."""
    code = (
        "import sys, main\n"
        "main.parser('run').parse_args(['run', '--demo'])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('cli.', 'escpos'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
    every = subprocess.run(
        [sys.executable, "-m", "main", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert all(name in every.stdout for name in ("idcard", "qr", "printer", "outbox"))
