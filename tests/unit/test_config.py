"""Configuration: checked at start, every message names the key and says what is wrong."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import trustme

from kiosk import config
from kiosk.signing import SigningMethod

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
    (tmp_path / "device.key").chmod(0o600)
    text = EXAMPLE.read_text().replace("/etc/kiosk/device.key", str(tmp_path / "device.key"))
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    cfg = config.load(path)
    assert cfg.device_id == "SX-TY-0001"
    assert cfg.platform.device_key == bytes.fromhex(KEY)
    assert cfg.devices.printer == "escpos+tcp://192.168.1.50:9100"
    assert cfg.devices.card_readers == ("sam+serial:///dev/kiosk-idcard?baud=115200",)
    assert cfg.session.warning_seconds == 20
    assert not cfg.demo
    assert KEY not in repr(cfg), "the key never shows in a repr"


def test_every_key_of_the_dataclasses_is_documented_in_the_example():
    text = EXAMPLE.read_text()
    for section in ("platform", "devices", "printer", "display", "session", "technician"):
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
        (lambda d: d["platform"].update(url="ftp://x"), "[platform] url: must be an https"),
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


def test_the_required_devices_are_configured_and_the_id_card_reader_by_default():
    from kiosk.devices import DeviceKind

    data = example_data()
    assert config.parse(data, "k").devices.required == (DeviceKind.CARD_READER,)
    data["devices"]["required"] = ["card_reader", "printer", "printer"]
    assert config.parse(data, "k").devices.required == (
        DeviceKind.CARD_READER,
        DeviceKind.PRINTER,
    )
    data["devices"]["required"] = []  # a kiosk that stays open whatever fails
    assert config.parse(data, "k").devices.required == ()
    data["devices"]["required"] = ["card_reader", "scanner"]
    with pytest.raises(
        config.ConfigError,
        match=r"\[devices\] required: 'scanner' is not a kind of device "
        r"\(card_reader, qr_scanner, printer\)",
    ):
        config.parse(data, "k")
    data["devices"]["required"] = ["qr_scanner"]
    with pytest.raises(config.ConfigError, match="no qr_scanner is configured"):
        config.parse(data, "k")
    data["devices"]["qr_scanner"] = "qr+wedge:"
    assert config.parse(data, "k").devices.required == (DeviceKind.QR_SCANNER,)
    data["devices"]["required"] = "printer"
    with pytest.raises(config.ConfigError, match=r"\[devices\] required: must be a list"):
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


# ---- transport security --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5", "http://10.0.0.5:8600/yzt", "http://platform.example.gov.cn"]
)
def test_a_platform_in_clear_is_refused_unless_it_is_this_machine(url):
    data = example_data()
    data["platform"]["url"] = url
    with pytest.raises(config.ConfigError) as err:
        config.parse(data, "k")
    assert "[platform] url: must be https://" in str(err.value)
    assert "never travel in clear" in str(err.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8600",
        "http://127.3.2.1",
        "http://localhost:8600/",
        "http://LOCALHOST",
        "http://[::1]:8600",
        "https://10.0.0.5",
        "https://platform.example.gov.cn/yzt",
    ],
)
def test_https_anywhere_and_http_on_loopback_are_accepted(url):
    data = example_data()
    data["platform"]["url"] = url
    assert config.parse(data, "k").platform.url == url.rstrip("/")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o700 | 0o020])
def test_a_device_key_file_others_can_open_is_refused(tmp_path, mode):
    key_file = tmp_path / "device.key"
    key_file.write_text(KEY)
    key_file.chmod(mode)
    data = example_data()
    data["platform"].pop("device_key")
    data["platform"]["device_key_file"] = str(key_file)
    with pytest.raises(config.ConfigError) as err:
        config.parse(data, "k")
    assert f"[platform] device_key_file: {key_file} is mode {mode:04o}" in str(err.value)
    assert f"run chmod 600 {key_file}" in str(err.value)
    key_file.chmod(0o600)
    assert config.parse(data, "k").platform.device_key == bytes.fromhex(KEY)
    key_file.chmod(0o400)
    assert config.parse(data, "k").platform.device_key == bytes.fromhex(KEY)


def test_a_ca_file_is_read_at_start(tmp_path):
    ca_file = tmp_path / "province-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca_file))
    data = example_data()
    data["platform"]["ca_file"] = "province-ca.pem"
    assert config.parse(data, "k", base_dir=tmp_path).platform.ca_file == ca_file
    with pytest.raises(config.ConfigError, match=r"\[platform\] ca_file: .*cannot be read"):
        config.parse(data, "k", base_dir=tmp_path / "elsewhere")
    ca_file.write_text("not a certificate\n")
    with pytest.raises(config.ConfigError, match=r"\[platform\] ca_file: .* holds no PEM"):
        config.parse(data, "k", base_dir=tmp_path)
    data["platform"]["url"] = "http://127.0.0.1:8600"
    with pytest.raises(config.ConfigError, match=r"ca_file: only goes with an https:// url"):
        config.parse(data, "k", base_dir=tmp_path)


PIN = bytes(range(32))


@pytest.mark.parametrize(
    "written",
    [
        "sha256//AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        PIN.hex(),
        PIN.hex().upper(),
        ":".join(f"{b:02x}" for b in PIN),
    ],
    ids=["curl", "base64", "hex", "HEX", "colons"],
)
def test_a_pin_is_written_as_curl_or_hpkp_do_or_in_hex(written):
    data = example_data()
    data["platform"]["pin_sha256"] = written
    assert config.parse(data, "k").platform.pin_sha256 == (PIN,)
    data["platform"]["pin_sha256"] = [written, "sha256//" + "A" * 43 + "="]
    assert config.parse(data, "k").platform.pin_sha256 == (PIN, bytes(32))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("sha256//short", "must be the SHA-256 of the server's public key"),
        (PIN.hex()[:-2], "must be the SHA-256"),
        ([], "must be a pin or a list of pins"),
        (42, "must be a pin or a list of pins"),
    ],
)
def test_a_bad_pin_is_refused(value, expected):
    data = example_data()
    data["platform"]["pin_sha256"] = value
    with pytest.raises(config.ConfigError) as err:
        config.parse(data, "k")
    assert "[platform] pin_sha256: " in str(err.value) and expected in str(err.value)


def test_a_pin_needs_https():
    data = example_data()
    data["platform"].update(url="http://127.0.0.1:8600", pin_sha256=PIN.hex())
    with pytest.raises(config.ConfigError, match="pin_sha256: only goes with an https:// url"):
        config.parse(data, "k")


def test_signing_is_sha256_unless_sm3_is_asked_for():
    data = example_data()
    data["platform"].pop("signing", None)
    assert config.parse(data, "k").platform.signing is SigningMethod.HMAC_SHA256
    data["platform"]["signing"] = "hmac-sm3"
    assert config.parse(data, "k").platform.signing is SigningMethod.HMAC_SM3
    data["platform"]["signing"] = "hmac-md5"
    with pytest.raises(config.ConfigError, match="signing: must be one of hmac-sha256, hmac-sm3"):
        config.parse(data, "k")


@pytest.mark.parametrize("region", ["１４０１００", "١٤٠١٠٠", "14010²"])
def test_a_region_code_is_ascii_digits(region):
    data = example_data()
    data["kiosk"]["region_code"] = region
    with pytest.raises(config.ConfigError, match="region_code: must be 6 to 9 digits"):
        config.parse(data, "k")


@pytest.mark.parametrize(
    ("key", "url"),
    [
        ("card_reader", "sam+serial:///dev/ttyUSB0?baud=115200&bsud=9600"),
        ("card_reader", "sam+rfc2217://10.0.0.5:4000?bsud=9600"),
        ("card_reader", "pcsc://?raeder=ACS"),
        ("qr_scanner", "qr+serial:///dev/ttyACM0?ned=cr"),
        ("qr_scanner", "qr+rfc2217://10.0.0.5:4001?ned=cr"),
        ("qr_scanner", "qr+wedge:?ned=cr"),
        ("printer", "escpos+tcp://10.0.0.9:9100?widht=384"),
        ("printer", "escpos+serial:///dev/ttyS0?bsud=9600"),
        ("printer", "escpos+usb://0x0416:0x5011?in_pe=0x81"),
    ],
)
def test_an_unknown_option_is_refused_for_every_device(key, url):
    """Found in review: a typo in a SAM or scanner address was silently ignored (the device ran
    with the default), while the same typo in a printer address was refused."""
    data = example_data()
    data["devices"][key] = url
    with pytest.raises(config.ConfigError) as err:
        config.parse(data, "kiosk.toml")
    misspelt = url.rsplit("?", 1)[1].rsplit("&", 1)[-1].split("=")[0]
    assert f"[devices] {key}: " in str(err.value)
    assert f"unknown option {misspelt!r}" in str(err.value)
    assert "its options:" in str(err.value) or "takes no options" in str(err.value)


@pytest.mark.parametrize(
    ("key", "url"),
    [
        ("card_reader", "sam+spy:///dev/ttyUSB0?file=/tmp/sam.txt"),
        ("qr_scanner", "qr+spy:///dev/ttyACM0"),
    ],
)
def test_a_byte_log_of_the_line_is_refused_with_why_and_where_it_belongs(key, url):
    data = example_data()
    data["devices"][key] = url
    with pytest.raises(config.ConfigError) as err:
        config.parse(data, "kiosk.toml")
    msg = str(err.value)
    assert f"[devices] {key}: " in msg and "a spy:// byte log" in msg
    assert "ID number" in msg and "kiosk idcard read --port" in msg


def test_a_reader_on_another_machine_is_a_card_reader_named_sam():
    data = example_data()
    data["devices"]["card_reader"] = ["sam+rfc2217://10.0.0.5:4000?timeout=5", "pcsc://"]
    cfg = config.parse(data, "k")
    assert config.reader_names(cfg.devices.card_readers) == ["sam", "pcsc"]
    data["devices"]["card_reader"] = "escpos+tcp://10.0.0.9:9100"
    with pytest.raises(config.ConfigError, match="is a printer's address"):
        config.parse(data, "k")


def test_a_deeply_nested_file_is_refused_not_a_traceback(tmp_path):
    """tomllib recurses once per level of nesting: a file of 100,000 brackets (a corrupted or
    hostile file) is a configuration error, named, never a RecursionError."""
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(config.ConfigError, match="nested too deeply"):
        config.load(deep)


# ---- the metrics endpoint --------------------------------------------------------------------


def test_metrics_are_off_unless_asked_for():
    assert not config.parse(example_data(), "k").metrics.enabled


@pytest.mark.parametrize(
    ("listen", "host", "port"),
    [
        ("127.0.0.1:9464", "127.0.0.1", 9464),
        ("[::1]:9464", "::1", 9464),
        ("localhost:0", "localhost", 0),
    ],
)
def test_metrics_on_loopback_are_accepted(listen, host, port):
    data = example_data() | {"metrics": {"listen": listen}}
    metrics = config.parse(data, "k").metrics
    assert metrics.enabled and (metrics.host, metrics.port) == (host, port)


@pytest.mark.parametrize("listen", ["0.0.0.0:9464", "10.1.2.3:9464", "[::]:9464"])
def test_metrics_beyond_this_machine_are_refused_with_the_reason(listen):
    data = example_data() | {"metrics": {"listen": listen}}
    with pytest.raises(config.ConfigError) as err:
        config.parse(data, "k")
    msg = str(err.value)
    assert "[metrics] listen" in msg and "not a loopback address" in msg
    assert "no password" in msg and "allow_remote = true" in msg
    data["metrics"]["allow_remote"] = True
    assert config.parse(data, "k").metrics.enabled


@pytest.mark.parametrize(
    ("listen", "expected"),
    [
        ("9464", "must be host:port"),
        ("127.0.0.1:http", "must be host:port"),
        ("127.0.0.1:70000", "must be host:port"),
        ("kiosk.local:9464", "is not an IP address"),
    ],
)
def test_a_bad_metrics_address_is_named(listen, expected):
    data = example_data() | {"metrics": {"listen": listen}}
    with pytest.raises(config.ConfigError, match=r"\[metrics\] listen: .*" + expected):
        config.parse(data, "k")


def test_an_unknown_metrics_key_is_refused():
    data = example_data() | {"metrics": {"listen": "127.0.0.1:9464", "port": 1}}
    with pytest.raises(config.ConfigError, match=r"\[metrics\] port: is not a known key"):
        config.parse(data, "k")
