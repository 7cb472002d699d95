"""`kiosk doctor` against `kiosk demo serve`: both real commands, run as a technician runs them.

The demo serves the reference platform and the emulated devices on loopback and writes the
configuration; the doctor reads it and asks every part through the kiosk's own drivers and
client. It passes; and when the demo plays a fault (a device unplugged, the paper out), the
doctor fails naming that device and nothing else. PC/SC is left out: pcscd is one per machine
and belongs to other runs, so the doctor is pointed at a socket that does not exist
(PCSCLITE_CSOCK_NAME) and says there is no PC/SC service, which it skips when no PC/SC reader
is configured.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import stat
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.people import BY_KEY
from devkit.sam_emulator import SamEmulator
from drivers.sam_protocol import Command

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
KIOSK = [sys.executable, "-c", "import main, sys; sys.exit(main.cli())"]
ENV = {**os.environ, "PCSCLITE_CSOCK_NAME": "/nonexistent/pcscd.comm"}
# what is not "ok" on a demo: no TLS on loopback http, no systemd here, no PC/SC service
NOT_OK_ON_A_DEMO = {"platform tls": "skip", "pc/sc readers": "skip", "watchdog": "warn"}


class Served:
    """`kiosk demo serve` as a child process: its lines, and faults sent on its stdin."""

    def __init__(self, tmp: Path) -> None:
        self.config = tmp / "demo.toml"
        self.proc = subprocess.Popen(
            [*KIOSK, "demo", "serve", "--write-config", str(self.config), "--out", str(tmp)],
            cwd=ROOT,
            env=ENV,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def until(self, start: str, timeout: float = 30.0) -> str:
        """The first line (from now on) that starts with ``start``."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {start!r} line; seen: {self.seen}") from None
            self.seen.append(line)
            if line.startswith(start):
                return line

    def say(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        assert self.until("done:") == f"done: {command}"

    def address(self, name: str) -> str:
        return next(line for line in self.seen if line.startswith(name)).split()[-1]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    demo = Served(tmp_path_factory.mktemp("demo-serve"))
    try:
        demo.until("ready:")
        yield demo
    finally:
        if demo.proc.poll() is None:
            demo.proc.send_signal(signal.SIGTERM)
            demo.proc.wait(timeout=30)


def doctor(config: Path, *extra: str) -> tuple[int, list[dict]]:
    done = subprocess.run(
        [*KIOSK, "doctor", "--config", str(config), "--json", *extra],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


def outcomes(results: list[dict]) -> dict[str, str]:
    return {r["check"]: r["outcome"] for r in results}


def test_the_doctor_passes_against_the_demo(served):
    data_dir = Path(tomllib.loads(served.config.read_text())["kiosk"]["data_dir"])
    code, results = doctor(served.config)
    seen = outcomes(results)
    assert code == 0, results
    expected = {
        "configuration",
        "serial ports",
        "pc/sc readers",
        "card reader sam",
        "printer",
        "qr scanner",
        "platform",
        "platform tls",
        "platform signed",
        "clock",
        "disk",
        "font",
        "key file",
        "watchdog",
    }
    assert set(seen) == expected
    assert {k: v for k, v in seen.items() if v != "ok"} == NOT_OK_ON_A_DEMO
    by_name = {r["check"]: r["detail"] for r in results}
    assert "SAM 05.01-20230615-0001140100-0020240001" in by_name["card reader sam"]
    assert "paper full" in by_name["printer"]
    assert "accepted (304)" in by_name["platform signed"]
    assert "mode 0600" in by_name["key file"]
    # the doctor may run as root: it leaves nothing in the kiosk's data directory
    assert not data_dir.exists() and "created at first start" in by_name["disk"]


def test_the_text_output_is_one_line_per_check_and_exits_0(served):
    done = subprocess.run(
        [*KIOSK, "doctor", "--config", str(served.config)],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 14
    assert all(line.split()[0] in ("ok", "skip", "warn") for line in lines), lines


def test_the_demo_wrote_its_key_apart_and_closed(served):
    key = served.config.with_suffix(".key")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(served.config.stat().st_mode) == 0o600
    text = served.config.read_text()
    assert f'device_key_file = "{key}"' in text and "device_key =" not in text
    done = subprocess.run(
        [*KIOSK, "config", "check", str(served.config)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("fault", "undo", "check", "said"),
    [
        ("unplug printer", "replug printer", "printer", "Connection refused"),
        ("unplug reader", "replug reader", "card reader sam", "no_device: cannot open the port"),
        ("unplug scanner", "replug scanner", "qr scanner", "no_device: cannot open the port"),
        ("paper out", "paper ok", "printer", "paper out"),
        ("cover open", "cover closed", "printer", "cover open"),
    ],
)
def test_the_doctor_names_the_device_the_demo_broke(served, fault, undo, check, said):
    served.say(fault)
    try:
        code, results = doctor(served.config)
    finally:
        served.say(undo)
    assert code == 1
    failed = [r for r in results if r["outcome"] == "fail"]
    assert [r["check"] for r in failed] == [check], failed
    assert said in failed[0]["detail"] and failed[0]["hint"]
    # and with the device back, it passes again
    assert doctor(served.config)[0] == 0


def test_the_platform_gone_is_named_and_the_rest_is_not_tried(served, tmp_path):
    """A configuration pointing at a port nobody listens on: the platform fails once, the
    signed call and the clock are not tried (one cause, one failure)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    text = served.config.read_text()
    live = text.split('url = "', 1)[1].split('"', 1)[0]
    config = tmp_path / "kiosk.toml"
    config.write_text(text.replace(live, f"http://127.0.0.1:{dead}"))
    code, results = doctor(config)
    seen = outcomes(results)
    assert code == 1
    detail = {r["check"]: r["detail"] for r in results}
    assert seen["platform"] == "fail" and "Connection refused" in detail["platform"]
    assert seen["platform signed"] == "skip" and seen["clock"] == "skip"


def test_a_broken_configuration_is_named_and_the_machine_still_checked(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text('[kiosk]\ndevice_id = "X"\nregion_code = "14"\n')
    code, results = doctor(config)
    seen = outcomes(results)
    assert code == 1
    assert seen["configuration"] == "fail"
    assert "[platform]" in results[0]["detail"] or "[kiosk]" in results[0]["detail"]
    assert {"serial ports", "pc/sc readers", "font", "watchdog"} <= set(seen)
    assert "printer" not in seen


def test_the_sam_probe_reads_no_card(tmp_path):
    """A citizen's card left on the reader: the doctor asks the SAM its status and id, and
    stops the driver before its first "find": the card is never looked for, let alone read."""
    from cli.doctor_checks import card_reader

    with SamEmulator(baud=115200) as sam:
        sam.place_card(BY_KEY["zhang_wei"].card())
        [result] = card_reader("card reader sam", f"sam+serial://{sam.path}?baud=115200", "sam")
        assert result.outcome.value == "ok", result
        heard = set(sam.commands)
    assert heard == {Command.STATUS, Command.SAM_ID}, heard
    assert BY_KEY["zhang_wei"].name not in result.line()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_demo_serve_stops_cleanly_on_a_signal(tmp_path, signum):
    demo = Served(tmp_path)
    demo.until("ready:")
    printer = demo.address("printer").removeprefix("escpos+tcp://")
    reader = demo.address("card reader").removeprefix("sam+serial://").split("?")[0]
    assert Path(reader).exists()
    demo.proc.send_signal(signum)
    assert demo.proc.wait(timeout=30) == 0
    demo.until("stopped")
    host, port = printer.rsplit(":", 1)
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, int(port)), 2):
        pass
    assert not os.path.lexists(reader), "the reader's pseudo-terminal and its link are gone"


# ---- the platform over HTTPS: the certificate verified, pinned ---------------------------------


@pytest.fixture(scope="module")
def https_platform(tmp_path_factory):
    import trustme

    from devkit.platform_server import ReferencePlatform

    folder = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(
        str(folder / "server.pem")
    )
    trustme.CA().cert_pem.write_to_path(str(folder / "other-ca.pem"))
    with ReferencePlatform(tls_cert=folder / "server.pem") as platform:
        yield platform, folder


def https_config(url: str, ca_file: Path, pins: list[str] | None = None):
    from devkit.platform_server import DEMO_DEVICE_ID, DEMO_DEVICE_KEY
    from kiosk import config as cfg

    platform = {"url": url, "device_key": DEMO_DEVICE_KEY.hex(), "ca_file": str(ca_file)}
    if pins:
        platform["pin_sha256"] = pins
    data = {
        "kiosk": {"device_id": DEMO_DEVICE_ID, "region_code": "140100"},
        "platform": platform,
        "devices": {"card_reader": "sam+serial:///dev/null", "printer": "escpos+tcp://127.0.0.1"},
    }
    return cfg.parse(data, "test")


def test_tls_verified_against_the_provinces_ca(https_platform):
    from cli.doctor_checks import platform as check_platform

    server, pki = https_platform
    results = {r.check: r for r in check_platform(https_config(server.url, pki / "ca.pem"))}
    assert [r.outcome.value for r in results.values()] == ["ok"] * 4, results
    assert "verified for 127.0.0.1" in results["platform tls"].detail
    assert "accepted (304)" in results["platform signed"].detail


def test_a_certificate_of_another_ca_fails_and_nothing_is_signed(https_platform):
    from cli.doctor_checks import platform as check_platform

    server, pki = https_platform
    server.clear_call_log()
    results = {r.check: r for r in check_platform(https_config(server.url, pki / "other-ca.pem"))}
    assert results["platform tls"].outcome.value == "fail"
    assert "not verified" in results["platform tls"].detail
    assert results["platform signed"].outcome.value == "skip"
    assert not server.call_log(), "nothing reached the platform"


def test_a_key_that_matches_no_pin_fails(https_platform):
    from cli.doctor_checks import platform as check_platform

    server, pki = https_platform
    other = "sha256//" + "A" * 43 + "="
    results = {
        r.check: r for r in check_platform(https_config(server.url, pki / "ca.pem", pins=[other]))
    }
    assert results["platform tls"].outcome.value == "fail"
    assert "matches no pin_sha256" in results["platform tls"].detail


def test_low_paper_is_a_warning_not_a_failure(served):
    served.say("paper low")
    try:
        code, results = doctor(served.config)
    finally:
        served.say("paper ok")
    assert code == 0
    [printer] = [r for r in results if r["check"] == "printer"]
    assert printer["outcome"] == "warn" and "paper low" in printer["detail"], printer
