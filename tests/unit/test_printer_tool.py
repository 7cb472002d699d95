"""`kiosk printer render` without a device, and the printer driver's connection policy.

The policy (a kept USB connection, a fresh instance after an error, backoff between failed
opens, nothing ever resent) is tested on a fake link: pyusb is not installed here and no USB
printer is attached, so this is a test of the policy code, not of USB. The real transports run
against the emulator in tests/integration/test_printer.py.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cli import printer as printer_tool
from drivers.escpos_printer import (
    BACKOFF,
    BROKEN_OFF,
    DLE_EOT,
    EscposPrinter,
    chunks,
    encode_document,
    raster_bytes,
)
from drivers.printer_url import PrinterConfig, parse_printer_url
from kiosk import config
from kiosk.devices import DeviceState, Paper, PrintError, PrintJob
from kiosk.document import Document, DocumentKind, Field
from kiosk.print_layout import render_text_line

NAME = "刘䶮"  # synthetic citizen (devkit/people.py)


def document(**changes) -> Document:
    base = {
        "kind": DocumentKind.CERTIFICATE,
        "title": "户籍证明",
        "holder": f"{NAME}（身份证号 140110********0242）",
        "fields": (Field("户籍地址", "山西省太原市晋源区晋祠路一段8号"),),
        "body": "该同志户籍信息与《居民户口簿》记载一致：特此证明。",
        "department": "太原市公安局晋源分局晋祠派出所",
        "issued_on": dt.date(2024, 5, 6),
        "verification_code": "7K3M9QXA2PLD",
        "qr_content": "https://yzt.shanxi.demo/v/7K3M9QXA2PLD",
    }
    return Document(**(base | changes))


# --- a fake printer link -------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakePrinter:
    """A printer that can be switched off and on: each power cycle makes old handles stale."""

    def __init__(self) -> None:
        self.present = True
        self.generation = 0
        self.opens: list[float] = []  # clock time of each attempt to open
        self.received = bytearray()  # every byte of content that reached the paper
        self.fail_after: int | None = None  # content bytes until the link breaks mid-job
        self.silent = False
        self.ios: list[FakeIo] = []

    def power_cycle(self, back: bool) -> None:
        self.generation += 1
        self.present = back


class FakeIo:
    def __init__(self, printer: FakePrinter) -> None:
        self.printer, self.generation = printer, printer.generation
        self.replies = bytearray()
        self.closed = False

    def _alive(self) -> None:
        p = self.printer
        if self.closed or not p.present or p.generation != self.generation:
            raise OSError(19, "No such device (stale handle)")

    def write(self, data: bytes) -> None:
        self._alive()
        if data.startswith(DLE_EOT):
            if not self.printer.silent:
                self.replies.append(0x12)
            return
        if self.printer.fail_after is not None:
            room = self.printer.fail_after - len(self.printer.received)
            if len(data) > room:
                self.printer.received += data[: max(0, room)]
                raise TimeoutError("write timed out")
        self.printer.received += data

    def read(self, timeout: float) -> bytes:
        self._alive()
        data, self.replies = bytes(self.replies[:1]), self.replies[1:]
        return data

    def drain(self) -> None:
        self.replies.clear()

    def close(self) -> None:
        self.closed = True


def fake_opener(printer: FakePrinter, clock: Clock):
    def open_(config: PrinterConfig) -> FakeIo:
        printer.opens.append(clock.now)
        if not printer.present:
            raise OSError(2, "printer not found")
        io = FakeIo(printer)
        printer.ios.append(io)
        return io

    return open_


@pytest.fixture
def world():
    clock, printer = Clock(), FakePrinter()
    return clock, printer


def usb(world, url: str = "escpos+usb://0x0416:0x5011?timeout=5") -> EscposPrinter:
    clock, printer = world
    return EscposPrinter(url, opener=fake_opener(printer, clock), clock=clock)


def test_usb_keeps_one_connection_tcp_opens_one_each_time(world):
    clock, printer = world
    driver = usb(world)
    for _ in range(3):
        assert driver.status().state is DeviceState.ONLINE
    assert len(printer.opens) == 1 and not printer.ios[0].closed
    tcp = EscposPrinter("escpos+tcp://10.0.0.5", opener=fake_opener(printer, clock), clock=clock)
    for _ in range(3):
        assert tcp.status().state is DeviceState.ONLINE
    assert len(printer.opens) == 4 and all(io.closed for io in printer.ios[1:])
    driver.close()
    assert printer.ios[0].closed


def test_power_cycled_printer_that_is_back_answers_on_a_fresh_instance(world):
    _clock, printer = world
    driver = usb(world)
    assert driver.status().usable
    printer.power_cycle(back=True)  # the old handle is stale, the printer is there again
    st = driver.status()
    assert st.state is DeviceState.ONLINE and st.paper is Paper.FULL
    assert len(printer.ios) == 2 and printer.ios[0].closed and not printer.ios[1].closed


def test_power_cycle_then_backoff_then_back_without_a_restart(world):
    clock, printer = world
    driver = usb(world)
    assert driver.status().usable
    printer.power_cycle(back=False)
    st = driver.status()  # stale handle: dropped; a fresh instance cannot open yet
    assert st.state is DeviceState.NO_DEVICE and not st.usable
    assert printer.ios[0].closed
    assert len(printer.opens) == 2
    printer.present = True
    clock.now += BACKOFF[0] / 2
    assert driver.status().state is DeviceState.NO_DEVICE  # backing off: the device untouched
    assert len(printer.opens) == 2
    clock.now += BACKOFF[0] / 2
    assert driver.status().state is DeviceState.ONLINE
    assert len(printer.opens) == 3 and driver.link.failures == 0


def test_backoff_grows_between_failed_opens_and_caps(world):
    clock, printer = world
    driver = usb(world)
    printer.present = False
    for _ in range(240):  # a status poll every half second for two minutes
        assert driver.status().state is DeviceState.NO_DEVICE
        clock.now += 0.5
    gaps = [b - a for a, b in zip(printer.opens, printer.opens[1:], strict=False)]
    assert gaps[: len(BACKOFF)] == list(BACKOFF)
    assert set(gaps[len(BACKOFF) :]) == {BACKOFF[-1]}


def test_a_job_after_a_power_cycle_prints_once_on_a_fresh_instance(world):
    _clock, printer = world
    driver = usb(world)
    assert driver.status().usable
    printer.power_cycle(back=True)
    job = PrintJob("job-1", document())
    driver.print_job(job)
    expected = b"".join(encode_document(job.document))
    assert bytes(printer.received) == expected  # exactly once
    assert len(printer.ios) == 2


def test_a_job_that_breaks_midway_is_started_and_never_resent(world):
    clock, printer = world
    driver = usb(world)
    printer.fail_after = 300
    with pytest.raises(PrintError) as info:
        driver.print_job(PrintJob("job-1", document()))
    assert info.value.started is True
    assert str(info.value) == BROKEN_OFF and "中断" in str(info.value)
    assert len(printer.received) == 300
    assert printer.ios[0].closed  # the broken connection is dropped
    printer.fail_after = None
    for _ in range(3):  # status polls go on; the job's bytes are never sent again by themselves
        clock.now += 20
        assert driver.status().usable
    assert len(printer.received) == 300
    assert len(printer.ios) == 2


def test_a_reprint_with_the_same_job_id_prints_again(world):
    _clock, printer = world
    driver = usb(world)
    job = PrintJob("job-1", document())
    driver.print_job(job)
    driver.print_job(job)  # the citizen asked for a reprint
    one = b"".join(encode_document(job.document))
    assert bytes(printer.received) == one + one


def test_a_kept_connection_that_falls_silent_is_replaced_once(world):
    _clock, printer = world
    driver = usb(world)
    assert driver.status().usable
    printer.silent = True
    st = driver.status()
    assert st.state is DeviceState.OFFLINE and st.paper is Paper.UNKNOWN and not st.usable
    assert printer.ios[0].closed  # it answered before: maybe stale, so a fresh one was tried
    assert len(printer.ios) == 2 and not printer.ios[1].closed  # silent too: kept
    assert driver.status().state is DeviceState.OFFLINE
    printer.silent = False
    assert driver.status().usable
    assert len(printer.ios) == 2


def test_a_printer_that_never_answers_is_not_reopened_at_every_poll(world):
    clock, printer = world
    printer.silent = True  # a one-way printer: Usb.open() resets the device, so keep one handle
    driver = usb(world)
    for _ in range(10):
        assert not driver.status().usable
        clock.now += 5
    assert len(printer.opens) == 1
    with pytest.raises(PrintError) as info:
        driver.print_job(PrintJob("job-1", document()))
    assert info.value.started is False and printer.received == b""


def test_a_job_is_refused_without_sending_while_unreachable(world):
    _clock, printer = world
    driver = usb(world)
    printer.present = False
    with pytest.raises(PrintError) as info:
        driver.print_job(PrintJob("job-1", document()))
    assert info.value.started is False
    assert info.value.status is not None and info.value.status.state is DeviceState.NO_DEVICE
    assert printer.received == b""


def test_sends_are_small_enough_for_a_slow_serial_line():
    data = bytes(range(256)) * 100
    parts = chunks(data, limit=4800)
    assert b"".join(parts) == data and max(map(len, parts)) <= 4800 and len(parts) >= 6
    assert b"".join(chunks(b"x" * 10, limit=4800)) == b"x" * 10
    serial = EscposPrinter("escpos+serial:///dev/ttyS0?baud=9600&timeout=10")
    assert serial._send_limit() == 4800  # half of 10 s of a 9600-baud line


def test_usb_url_carries_explicit_timeouts():
    c = parse_printer_url("escpos+usb://0x0416:0x5011")
    assert c.timeout > 0 and c.status_timeout > 0
    assert parse_printer_url("escpos+usb://0x0416:0x5011?timeout=3").timeout == 3.0


# --- configuration ---------------------------------------------------------------------------------


def kiosk_config(printer: dict):
    data = {
        "kiosk": {"device_id": "T-1", "region_code": "140100"},
        "platform": {"url": "https://p.example", "device_key": "00" * 16},
        "devices": {"card_reader": "sam+serial:///dev/ttyUSB0", "printer": "escpos+tcp://h"},
        "printer": printer,
    }
    return config.parse(data, "kiosk.toml")


def test_mode_is_read_from_the_printer_table_and_checked():
    assert kiosk_config({}).printer.mode == "text"
    assert kiosk_config({"mode": "raster"}).printer.mode == "raster"
    with pytest.raises(config.ConfigError) as info:
        kiosk_config({"mode": "bitmap"})
    assert "[printer] mode: must be one of text, raster" in str(info.value)


# --- raster bytes --------------------------------------------------------------------------------


def test_raster_band_is_cut_after_its_last_ink_and_blank_bands_are_tiny():
    img = render_text_line("证明", 576)  # ink in the first 48 dots only
    data = raster_bytes(img, band=None)
    assert data[:4] == b"\x1dv0\x00"
    wb, h = data[4] + 256 * data[5], data[6] + 256 * data[7]
    assert (wb, h) == (6, img.height) and len(data) == 8 + wb * h
    blank = raster_bytes(render_text_line("", 576), band=None)
    assert blank[4:6] == b"\x01\x00" and len(blank) == 8 + img.height


# --- render --------------------------------------------------------------------------------------


def test_load_job_takes_a_document_or_a_job():
    doc = document()
    assert printer_tool.load_job(json.dumps(doc.to_json()).encode()) == ("render", doc)
    wrapped = {"job_id": "j-7", "document": doc.to_json()}
    assert printer_tool.load_job(json.dumps(wrapped).encode()) == ("j-7", doc)


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b'{"kind": "certificate"', "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "document: expected an object"),
        (json.dumps({"kind": "certificate"}).encode(), "document.title: missing"),
        (json.dumps({"document": {"kind": "letter"}}).encode(), "job.document.kind"),
        # json raises these as RecursionError and a bare ValueError (fuzz/platform_replies.py)
        (b"[" * 5000, "not valid JSON: nested too deep"),
        (b'{"job_id": ' + b"7" * 5000 + b"}", "not valid JSON: a number of more than 4300"),
    ],
)
def test_bad_jobs_name_the_problem(content, field):
    with pytest.raises(printer_tool.JobError) as info:
        printer_tool.load_job(content)
    assert field in str(info.value)


def test_render_writes_the_exact_bytes_and_the_preview(tmp_path, capsys):
    doc = document()
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"job_id": "j-1", "document": doc.to_json()}, ensure_ascii=False))
    for mode in ("text", "raster"):
        out, png = tmp_path / f"{mode}.bin", tmp_path / f"{mode}.png"
        argv = ["printer", "render", str(job), "--escpos", str(out), "--png", str(png)]
        argv += ["--width", "384", "--charset", "gbk", "--qr", "image", "--mode", mode]
        assert printer_tool.main(argv) == 0
        expected = encode_document(doc, width_dots=384, charset="GBK", qr_mode="image", mode=mode)
        assert out.read_bytes() == b"".join(expected)
        summary = json.loads(capsys.readouterr().out)
        assert summary["bytes"] == out.stat().st_size and summary["mode"] == mode
        assert summary["png_size"][0] == 384
        assert summary["bitmap_lines"] >= 1  # 䶮 is not in GBK
        assert NAME not in json.dumps(summary, ensure_ascii=False)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_refuses_bad_input_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": "certificate", "title": "证明"}))
    assert printer_tool.main(["printer", "render", str(bad), "--png", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "document.holder: missing" in err
    assert not (tmp_path / "x").exists()
    good = tmp_path / "good.json"
    good.write_text(json.dumps(document().to_json()))
    assert printer_tool.main(["printer", "render", str(good)]) == 2  # nothing to write
    assert "--escpos" in capsys.readouterr().err
    missing = str(tmp_path / "missing.json")
    assert printer_tool.main(["printer", "render", missing, "--png", "x.png"]) == 2
    with pytest.raises(SystemExit) as info:
        printer_tool.main(["printer", "render", str(good), "--png", "x.png", "--width", "500"])
    assert info.value.code == 2


def test_test_refuses_bad_arguments(tmp_path, capsys):
    assert printer_tool.main(["printer", "test", "--url", "escpos+lpt://x"]) == 2
    assert "escpos+lpt" in capsys.readouterr().err
    assert printer_tool.main(["printer", "test", "--config", str(tmp_path / "none.toml")]) == 2
    assert "no configuration" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        printer_tool.main(["printer", "test", "--url", "escpos+tcp://h", "--config", "k.toml"])
    assert info.value.code == 2
