"""Configuration: checked at start, every message names the key and says what is wrong."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kiosk import config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "kiosk.example.toml"
KEY = "00112233445566778899aabbccddeeff"


def example_data() -> dict:
    data = tomllib.loads(EXAMPLE.read_text())
    data["platform"].pop("device_key_file")
    data["platform"]["device_key"] = KEY
    return data


def test_the_example_documents_a_valid_configuration(tmp_path):
    (tmp_path / "device.key").write_text(KEY + "\n")
    text = EXAMPLE.read_text().replace("/etc/kiosk/device.key", str(tmp_path / "device.key"))
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    cfg = config.load(path)
    assert cfg.device_id == "SX-TY-0001"
    assert cfg.platform.device_key == bytes.fromhex(KEY)
    assert cfg.devices.printer == "escpos+tcp://192.168.1.50:9100"
    assert cfg.devices.card_readers == ("sam+serial:///dev/ttyUSB0?baud=115200",)
    assert cfg.session.warning_seconds == 20
    assert not cfg.demo
    assert KEY not in repr(cfg), "the key never shows in a repr"


def test_every_key_of_the_dataclasses_is_documented_in_the_example():
    text = EXAMPLE.read_text()
    for section in ("platform", "devices", "printer", "display", "session"):
        cls = type(getattr(config.parse(example_data(), "x"), section))
        for name in cls.__dataclass_fields__:
            key = {"card_readers": "card_reader"}.get(name, name)
            if key != "device_key":
                assert f"{key} =" in text, f"[{section}] {key} is not documented"


def test_missing_file_says_how_to_write_one(tmp_path):
    with pytest.raises(config.ConfigError) as err:
        config.load(tmp_path / "nope.toml")
    msg = str(err.value)
    assert "deploy/kiosk.example.toml" in msg and "--demo" in msg


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["platform"].update(url="ftp://x"), "[platform] url: must be an http"),
        (
            lambda d: d["platform"].update(read_timeout="10"),
            "[platform] read_timeout: must be a number",
        ),
        (lambda d: d["platform"].update(retries=9), "[platform] retries: must be between 0 and 5"),
        (
            lambda d: d["devices"].update(printer="lp0"),
            "[devices] printer: must be a device address",
        ),
        (lambda d: d["devices"].pop("card_reader"), "[devices] card_reader: is missing"),
        (
            lambda d: d["kiosk"].update(region_code="14"),
            "[kiosk] region_code: must be 6 to 9 digits",
        ),
        (lambda d: d["kiosk"].update(colour="red"), "[kiosk] colour: is not a known key"),
        (
            lambda d: d["printer"].update(width_dots=400),
            "[printer] width_dots: must be one of 384, 576",
        ),
        (
            lambda d: d["printer"].update(charset="BIG5"),
            "[printer] charset: must be one of GB18030, GBK",
        ),
        (
            lambda d: d["session"].update(warning_seconds=10),
            "[session] warning_seconds: must be between 20",
        ),
        (
            lambda d: d["session"].update(inactivity_seconds=30, warning_seconds=40),
            "[session] warning_seconds: must be smaller than inactivity_seconds",
        ),
        (
            lambda d: d["platform"].update(device_key="zz"),
            "[platform] device_key: must hold the key as hex",
        ),
        (
            lambda d: d["platform"].update(device_key="0011"),
            "[platform] device_key: must be at least 16 bytes",
        ),
        (lambda d: d.pop("platform"), "[top level] platform: is missing"),
        (
            lambda d: d["display"].update(fullscreen="yes"),
            "[display] fullscreen: must be true or false",
        ),
        (lambda d: d["display"].update(max_fps=0), "[display] max_fps: must be"),
    ],
)
def test_errors_name_the_key(mutate, expected):
    data = example_data()
    mutate(data)
    with pytest.raises(config.ConfigError) as err:
        config.parse(data, "kiosk.toml")
    assert expected in str(err.value)
    assert str(err.value).startswith("kiosk.toml: ")


def test_both_key_and_key_file_is_refused():
    data = example_data()
    data["platform"]["device_key_file"] = "/x"
    with pytest.raises(config.ConfigError, match="exactly one of"):
        config.parse(data, "k")


def test_unreadable_key_file_and_bad_toml(tmp_path):
    data = example_data()
    data["platform"].pop("device_key")
    data["platform"]["device_key_file"] = str(tmp_path / "missing.key")
    with pytest.raises(config.ConfigError, match="device_key_file: cannot be read"):
        config.parse(data, "k")
    bad = tmp_path / "bad.toml"
    bad.write_text("[kiosk\n")
    with pytest.raises(config.ConfigError, match="is not valid TOML"):
        config.load(bad)


def test_two_card_readers():
    data = example_data()
    data["devices"]["card_reader"] = ["sam+serial:///dev/ttyUSB0", "pcsc://?reader=ACS"]
    cfg = config.parse(data, "k")
    assert cfg.devices.card_readers == ("sam+serial:///dev/ttyUSB0", "pcsc://?reader=ACS")
    data["devices"]["card_reader"] = ["sam+serial:///dev/ttyUSB0", "nfc://x"]
    with pytest.raises(config.ConfigError, match=r"\[devices\] card_reader: 'nfc://x': must be"):
        config.parse(data, "k")
    data["devices"]["card_reader"] = []
    with pytest.raises(config.ConfigError, match="a device address or a list"):
        config.parse(data, "k")


def test_the_printer_address_may_say_how_to_print_and_is_obeyed():
    """Found in review: ?charset=GBK&mode=raster in the address used to be overridden by the
    table's defaults, so a GBK printer got GB18030 bytes."""
    data = example_data()
    data["printer"] = {}
    data["devices"]["printer"] = "escpos+tcp://10.0.0.9:9100?charset=gbk&width=384&mode=raster"
    p = config.parse(data, "x").printer
    assert (p.charset, p.width_dots, p.mode, p.qr) == ("GBK", 384, "raster", "native")


@pytest.mark.parametrize(
    ("url", "table", "expected"),
    [
        ("?charset=GBK", {"charset": "GB18030"}, "[printer] charset: is 'GB18030' but the printer"),
        ("?width=384", {"width_dots": 576}, "[printer] width_dots: is 576 but"),
        ("?width=300", {}, "[devices] printer: option width_dots must be one of 384, 576"),
        ("?mode=fast", {}, "[devices] printer: option mode must be one of text, raster"),
    ],
)
def test_the_printer_address_and_table_must_agree(url, table, expected):
    data = example_data()
    data["printer"] = table
    data["devices"]["printer"] = "escpos+tcp://10.0.0.9:9100" + url
    with pytest.raises(config.ConfigError) as err:
        config.parse(data, "x")
    assert expected in str(err.value)


def test_the_same_setting_in_both_places_is_fine():
    data = example_data()
    data["printer"] = {"charset": "GBK"}
    data["devices"]["printer"] = "escpos+tcp://10.0.0.9:9100?charset=gbk"
    assert config.parse(data, "x").printer.charset == "GBK"
