"""python-escpos's printer database is cached in the kiosk's folder and nothing is left in /tmp.

Each case is a fresh process (escpos reads its cache once, on import) with a private, empty
TMPDIR and HOME: the kiosk's printer built as the kiosk builds it (drivers.registry, the first
status poll imports the driver), and the technicians' `kiosk printer test`. Afterwards the
TMPDIR must still be empty and the cache file in the data directory, reused by the next start.
A full disk (test_crash_safety.py puts the data directory on a real 512 KiB tmpfs) must leave
the printer working: here a cache file that cannot be written stands for it.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from devkit.printer_emulator import PrinterEmulator

ROOT = Path(__file__).resolve().parents[2]
PICKLE = f"{platform.python_version()}.capabilities.pickle"

pytestmark = pytest.mark.integration

KIOSK = textwrap.dedent(
    """
    import sys
    from drivers.registry import open_printer
    from kiosk import config as cfg

    config = cfg.parse(
        {
            "kiosk": {"device_id": "SX-TY-0001", "region_code": "140100", "data_dir": sys.argv[1]},
            "platform": {"url": "http://127.0.0.1:9", "device_key": "00" * 16},
            "devices": {"card_reader": "sam+serial:///dev/null", "printer": sys.argv[2]},
        },
        "test",
    )
    printer = open_printer(config)
    print(printer.status().state.value)  # the first poll imports the driver, as on the kiosk
    printer.close()
    """
)


@pytest.fixture
def printer():
    emulator = PrinterEmulator()
    host, port = emulator.start()
    yield f"escpos+tcp://{host}:{port}"
    emulator.stop()


@pytest.fixture
def private(tmp_path) -> dict[str, Path]:
    places = {name: tmp_path / name for name in ("tmp", "home", "data")}
    for place in places.values():
        place.mkdir()
    return places


def run(private: dict[str, Path], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESCPOS_", "XDG_"))}
    env |= {"TMPDIR": str(private["tmp"]), "HOME": str(private["home"])}
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def left_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_the_kiosk_caches_in_its_data_dir_and_leaves_tmp_alone(private, printer):
    run(private, "-c", KIOSK, str(private["data"]), printer)
    assert left_in(private["tmp"]) == []
    cache = private["data"] / "escpos" / PICKLE
    assert left_in(private["data"] / "escpos") == [PICKLE]  # no scratch folder left either
    assert cache.stat().st_size > 10_000
    first = cache.stat().st_mtime_ns

    run(private, "-c", KIOSK, str(private["data"]), printer)  # a restart reads it back
    assert cache.stat().st_mtime_ns == first
    assert left_in(private["tmp"]) == [] and left_in(private["home"]) == []


def test_a_cache_cut_short_by_a_kill_is_parsed_afresh(private, printer):
    cache = private["data"] / "escpos" / PICKLE
    cache.parent.mkdir()
    cache.write_bytes(b"\x80\x02}q\x00(X")  # escpos writes in place: killed half way
    proc = run(private, "-c", KIOSK, str(private["data"]), printer)
    assert proc.stdout.strip() == "online"
    assert cache.stat().st_size > 10_000
    assert left_in(private["tmp"]) == []


def test_a_cache_that_cannot_be_written_falls_back_and_the_printer_works(private, printer):
    """Like a full disk: the data directory's cache file cannot be written. The printer works
    all the same, cached in the user's folder, and nothing is left half-written."""
    blocked = private["data"] / "escpos" / PICKLE
    blocked.mkdir(parents=True)  # a folder where the file should go: open() fails
    proc = run(private, "-c", KIOSK, str(private["data"]), printer)
    assert proc.stdout.strip() == "online"
    assert (private["home"] / ".cache" / "kiosk" / "escpos" / PICKLE).stat().st_size > 10_000
    assert left_in(private["data"] / "escpos") == [PICKLE]  # the blocker, and no scratch
    assert left_in(private["tmp"]) == []


def test_the_printer_tool_uses_the_configured_data_dir_or_the_users_cache(private, printer):
    config = private["home"] / "kiosk.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [kiosk]
            device_id = "SX-TY-0001"
            region_code = "140100"
            data_dir = "{private["data"]}"
            [platform]
            url = "http://127.0.0.1:9"
            device_key = "{"00" * 16}"
            [devices]
            card_reader = "sam+serial:///dev/null"
            printer = "{printer}"
            """
        )
    )
    run(private, "-m", "main", "printer", "test", "--config", str(config))
    assert (private["data"] / "escpos" / PICKLE).is_file()
    run(private, "-m", "main", "printer", "test", "--url", printer)  # no configuration
    assert (private["home"] / ".cache" / "kiosk" / "escpos" / PICKLE).is_file()
    assert left_in(private["tmp"]) == []
