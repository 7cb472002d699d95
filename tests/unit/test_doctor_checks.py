"""`kiosk doctor`'s own machinery: a check that hangs or breaks is a failed line, never a hung
command or a traceback; the checks of the machine that need no device."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from cli.doctor import run_checks
from cli.doctor_checks import Check, Outcome, Result, disk, key_file, watchdog
from kiosk import config as cfg

KEY = "00112233445566778899aabbccddeeff"


def test_a_check_that_hangs_fails_in_time_and_the_next_one_runs():
    never = threading.Event()

    def hangs() -> list[Result]:
        never.wait()
        return []

    checks = [
        Check("dead device", hangs, "check its power"),
        Check("next", lambda: [Result("next", Outcome.OK, "fine")], ""),
    ]
    started = time.monotonic()
    results = list(run_checks(checks, timeout=0.2))
    assert time.monotonic() - started < 5
    assert results[0] == Result(
        "dead device", Outcome.FAIL, "no answer within 0.2 s", "check its power"
    )
    assert results[1].outcome is Outcome.OK
    never.set()


def test_a_check_that_breaks_is_a_failed_line():
    def breaks() -> list[Result]:
        raise PermissionError("[Errno 13] Permission denied: '/dev/ttyUSB0'")

    [result] = run_checks([Check("card reader sam", breaks, "add the user to dialout")], 5)
    assert result.outcome is Outcome.FAIL
    assert result.detail.startswith("PermissionError: [Errno 13]")
    assert result.line().endswith("-> add the user to dialout")


def test_a_line_says_the_hint_only_when_something_is_wrong():
    assert "->" not in Result("disk", Outcome.OK, "9 GiB free", "unused").line()
    assert Result("disk", Outcome.FAIL, "10 MiB free", "free some").line() == (
        "fail  disk               10 MiB free  -> free some"
    )


def test_not_under_systemd_is_a_warning_naming_the_unit_file():
    if Path("/run/systemd/system").is_dir():
        return  # under systemd the answer is systemctl's: not this machine's case
    [result] = watchdog()
    assert result.outcome is Outcome.WARN
    assert "not under systemd" in result.detail and "WatchdogSec=30s" in result.detail


def test_a_key_kept_in_a_configuration_others_may_read_is_a_warning(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[kiosk]\ndevice_id = "X"\nregion_code = "140100"\n'
        f'[platform]\nurl = "https://p.example"\ndevice_key = "{KEY}"\n'
        '[devices]\ncard_reader = "sam+serial:///dev/ttyUSB0"\nprinter = "escpos+tcp://10.0.0.5"\n'
    )
    path.chmod(0o644)
    [result] = key_file(cfg.load(path))
    assert result.outcome is Outcome.WARN and "chmod 600" in result.hint
    path.chmod(0o600)
    assert key_file(cfg.load(path))[0].outcome is Outcome.OK


def test_a_data_directory_yet_to_be_made_is_measured_where_it_will_be(tmp_path):
    [result] = disk(tmp_path / "not" / "yet")
    assert result.outcome is Outcome.OK, result
    assert "created at first start" in result.detail
