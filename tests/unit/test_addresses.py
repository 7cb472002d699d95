"""The registry of device addresses: every scheme declared once, read the same way everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk import addresses
from kiosk.addresses import AddressError
from kiosk.devices import DeviceKind

ROOT = Path(__file__).resolve().parents[2]
ALL_SCHEMES = sorted(addresses.SCHEMES)


def refused(text: str, **kw) -> AddressError:
    with pytest.raises(AddressError) as err:
        addresses.parse(text, **kw)
    return err.value


def test_the_schemes_the_kiosk_knows():
    assert (
        sorted(
            [
                *("sam+serial", "sam+rfc2217", "sam+spy", "pcsc"),
                *("qr+serial", "qr+rfc2217", "qr+spy", "qr+wedge"),
                *("escpos+tcp", "escpos+serial", "escpos+usb"),
            ]
        )
        == ALL_SCHEMES
    )


@pytest.mark.parametrize("name", ALL_SCHEMES)
def test_every_example_parses_and_names_are_unique(name):
    scheme = addresses.SCHEMES[name]
    address = addresses.parse(scheme.example, kind=scheme.kind)
    assert address.scheme is scheme
    names = [n for o in scheme.options for n in (o.name, *o.aliases)]
    assert len(names) == len(set(names)), f"{name}: an option name is declared twice"
    for option in scheme.options:  # every default is a value the option takes
        if option.default not in ("", None):
            assert option.value.check(option.default) == option.default, option.name


@pytest.mark.parametrize("name", ALL_SCHEMES)
def test_an_unknown_option_is_refused_naming_it_and_the_known_ones(name):
    scheme = addresses.SCHEMES[name]
    sep = "&" if "?" in scheme.example else "?"
    err = refused(scheme.example + sep + "colour=red")
    assert err.option == "colour"
    assert f"unknown option 'colour' for {name}" in err.problem
    if scheme.options:
        assert f"its options: {', '.join(scheme.option_names)}" in err.problem
    else:
        assert "takes no options" in err.problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sam+serial:///dev/ttyUSB0?bsud=9600", "unknown option 'bsud' for sam+serial (did you"),
        ("qr+serial:///dev/ttyACM0?ned=cr", "(did you mean end?); its options: baud, end"),
        ("pcsc://?raeder=ACS", "(did you mean reader?); its options: reader"),
        ("escpos+tcp://h?widht=384", "(did you mean width?)"),
        ("sam+spy:///dev/ttyUSB0?fiel=/tmp/x", "its options: baud, poll, file, color, all, raw"),
        ("sam+rfc2217://h:4000?timout=5", "(did you mean timeout?)"),
    ],
)
def test_a_misspelt_option_gets_a_suggestion(text, expected):
    assert expected in refused(text).problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sam+serial:///dev/x?baud=fast", "option baud must be a whole number from 50 to 4000000"),
        ("sam+serial:///dev/x?baud=0", "or auto, not '0'"),
        ("sam+serial:///dev/x?poll=0", "option poll must be a number of seconds from 0.01 to 5"),
        ("qr+serial:///dev/x?end=semicolon", "option end must be one of any, cr, lf, crlf, tab"),
        ("escpos+tcp://h?width=300", "option width_dots must be one of 384, 576, not '300'"),
        ("escpos+tcp://h?charset=BIG5", "option charset must be one of GB18030, GBK"),
        ("escpos+serial:///dev/ttyS0?dsrdtr=maybe", "option dsrdtr must be true or false"),
        ("escpos+usb://0416:5011?in_ep=0x100", "from 0x00 to 0xff, not '0x100'"),
        ("sam+rfc2217://h:4000?logging=loud", "option logging must be one of debug, info"),
        ("sam+rfc2217://h:4000?timeout=nan", "option timeout must be a number of seconds"),
        ("sam+serial:///dev/x?baud=9600&baud=115200", "option baud is given twice"),
        ("escpos+tcp://h?width=384&width_dots=576", "option width_dots is given twice"),
        ("sam+spy:///dev/x?raw", "option raw is refused: pyserial 3.5 writes raw bytes"),
    ],
)
def test_a_bad_value_names_the_option_and_what_it_takes(text, expected):
    assert expected in refused(text).problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lp0", "must be a device address starting with one of sam+serial:"),
        ("nfc://x", "must be a device address starting with one of"),
        ("sam+serial://dev/ttyUSB0", "needs the device's full path after three slashes"),
        ("sam+serial:ttyUSB0", "needs the device's full path"),
        ("sam+rfc2217://10.0.0.5", "needs a port after the host"),
        ("sam+rfc2217://10.0.0.5:99999", "needs a host and port"),
        ("escpos+usb://zz:11", "needs the USB vendor:product ids in hexadecimal"),
        ("escpos+usb://0416", "needs the USB vendor:product ids"),
        ("pcsc://ACS", "takes no location, only options"),
        ("qr+wedge:/dev/x", "takes no location"),
        ("sam+serial:///dev/ttyUSB0#x", "no # part"),
    ],
)
def test_a_bad_location_says_what_goes_there(text, expected):
    assert expected in refused(text).problem


def test_a_device_of_another_kind_is_named():
    err = refused("escpos+tcp://h:9100", kind=DeviceKind.CARD_READER)
    assert err.problem.startswith("is a printer's address; must be a device address")
    assert "sam+serial:, sam+rfc2217:, sam+spy:, pcsc:" in err.problem


def test_values_are_typed_and_defaults_filled():
    a = addresses.parse("sam+serial:///dev/ttyUSB0?baud=auto")
    assert (a.path, a["baud"], a["poll"], a.given) == ("/dev/ttyUSB0", None, 0.05, {"baud"})
    p = addresses.parse("escpos+tcp://10.0.0.9?width=384&charset=gbk&qr=image")
    assert (p.host, p.port, p["width_dots"], p["charset"], p["qr_mode"], p["mode"]) == (
        "10.0.0.9",
        9100,
        384,
        "GBK",
        "image",
        "text",
    )
    assert p.given == {"width_dots", "charset", "qr_mode"}
    u = addresses.parse("escpos+usb://0x0416:0x5011?in_ep=0x81&out_ep=3")
    assert (u.vendor_id, u.product_id, u["in_ep"], u["out_ep"]) == (0x416, 0x5011, 0x81, 3)
    assert addresses.parse("escpos+serial:///dev/ttyS0?dsrdtr=0")["dsrdtr"] is False
    assert addresses.parse("pcsc://?reader=ACS%20ACR")["reader"] == "ACS ACR"


def test_overrides_win_and_are_checked():
    a = addresses.parse("escpos+tcp://h?charset=GBK", overrides={"charset": "gb18030"})
    assert a["charset"] == "GB18030" and a.given == {"charset"}
    assert addresses.parse("escpos+tcp://h", overrides={"qr": "image", "mode": None})[
        "qr_mode"
    ] == ("image")
    with pytest.raises(AddressError, match="option width_dots must be one of 384, 576"):
        addresses.parse("escpos+tcp://h", overrides={"width_dots": 400})
    with pytest.raises(AddressError, match="unknown option 'speed'"):
        addresses.parse("escpos+tcp://h", overrides={"speed": 1})


@pytest.mark.parametrize(
    ("text", "port"),
    [
        ("sam+serial:///dev/ttyUSB0?baud=9600&poll=0.1", "/dev/ttyUSB0"),
        (
            "qr+serial:///dev/serial/by-id/usb-Scanner%20X-if00?end=cr",
            "/dev/serial/by-id/usb-Scanner X-if00",
        ),
        ("sam+rfc2217://10.0.0.5:4000?baud=115200", "rfc2217://10.0.0.5:4000"),
        (
            "sam+rfc2217://[fd00::5]:4000?timeout=5&ign_set_control&logging=info&baud=auto",
            "rfc2217://[fd00::5]:4000?timeout=5.0&logging=info&ign_set_control",
        ),
        (
            "qr+spy:///dev/ttyACM0?file=/tmp/a%26b.txt&color&all=0&end=lf",
            "spy:///dev/ttyACM0?file=/tmp/a%26b.txt&color",
        ),
        ("sam+spy:///dev/ttyUSB0", "spy:///dev/ttyUSB0"),
    ],
)
def test_the_serial_port_passes_pyserials_options_on_and_keeps_ours(text, port):
    address = addresses.parse(text)
    assert address.serial_port == port
    assert address.scheme.byte_log is text.startswith(("sam+spy", "qr+spy"))


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        ("/dev/ttyUSB0", "sam+serial:///dev/ttyUSB0"),
        ("/tmp/a dir/sam", "sam+serial:///tmp/a%20dir/sam"),
        ("rfc2217://127.0.0.1:4000", "sam+rfc2217://127.0.0.1:4000"),
        ("spy:///dev/ttyUSB0?file=/tmp/s.txt", "sam+spy:///dev/ttyUSB0?file=/tmp/s.txt"),
        ("sam+serial:///dev/ttyUSB0?baud=57600", "sam+serial:///dev/ttyUSB0?baud=57600"),
    ],
)
def test_a_technicians_port(port, expected):
    address = addresses.port_address(port, "sam")
    assert address.text == expected
    if port.startswith("/"):
        assert address.serial_port == port


def test_a_technicians_port_is_checked_as_an_address():
    with pytest.raises(AddressError, match="unknown option 'fiel' for sam\\+spy"):
        addresses.port_address("spy:///dev/ttyUSB0?fiel=/tmp/s.txt", "sam")
    with pytest.raises(AddressError, match="must be a device address starting with one of sam"):
        addresses.port_address("pcsc://?reader=ACS", "sam")
    with pytest.raises(AddressError, match="must be a device address starting with one of sam"):
        addresses.port_address("loop://", "sam")
    with pytest.raises(AddressError, match="must be a device's full path"):
        addresses.port_address("ttyUSB0", "sam")


def test_the_registry_describes_itself():
    described = addresses.describe()
    assert [d["scheme"] for d in described] == list(addresses.SCHEMES)
    json.dumps(described)  # plain data, for `kiosk doctor` and the technician's screens
    sam = next(d for d in described if d["scheme"] == "sam+rfc2217")
    timeout = next(o for o in sam["options"] if o["name"] == "timeout")
    assert timeout["passed_to"] == "pyserial rfc2217://" and timeout["default"] == 3.0
    assert [d["scheme"] for d in addresses.describe(DeviceKind.QR_SCANNER)] == [
        "qr+serial",
        "qr+rfc2217",
        "qr+spy",
        "qr+wedge",
    ]


def test_the_reference_in_docs_is_the_registrys():
    written = (ROOT / "docs/device-addresses.md").read_text()
    assert written == addresses.reference(), (
        "regenerate it: .venv/bin/python -m kiosk.addresses > docs/device-addresses.md"
    )


def test_the_drivers_defaults_are_the_registrys():
    """The drivers keep their own defaults for direct use (tests, tools); they must not drift
    from what an address without the option means."""
    from drivers import printer_url, qr_serial, sam_reader

    sam = addresses.SCHEMES["sam+serial"]
    assert sam.option("baud").default == sam_reader.DEFAULT_BAUD
    assert sam.option("poll").default == sam_reader.POLL_INTERVAL
    qr = addresses.SCHEMES["qr+serial"]
    assert qr.option("baud").default == qr_serial.DEFAULT_BAUD
    assert qr.option("end").value.choices == tuple(qr_serial.TERMINATORS)
    plain = printer_url.PrinterConfig(printer_url.Transport.TCP)
    parsed = printer_url.parse_printer_url("escpos+tcp://h")
    assert parsed == printer_url.PrinterConfig(printer_url.Transport.TCP, host="h")
    serial = printer_url.parse_printer_url("escpos+serial:///dev/ttyS0")
    assert (serial.baud, serial.dsrdtr) == (plain.baud, plain.dsrdtr)
    usb = printer_url.parse_printer_url("escpos+usb://0416:5011")
    assert (usb.in_ep, usb.out_ep) == (plain.in_ep, plain.out_ep)


def test_every_family_has_a_driver_and_building_one_does_no_io():
    from drivers import registry

    for scheme in addresses.schemes(DeviceKind.CARD_READER):
        reader = registry.open_card_reader(scheme.example)
        assert not getattr(reader, "running", False)
    for scheme in addresses.schemes(DeviceKind.QR_SCANNER):
        scanner = registry.open_scanner(scheme.example)
        assert isinstance(scanner, registry.WedgeScanner) is (scheme.name == "qr+wedge")
        assert not getattr(scanner, "running", False)
