"""The Kivy settings of a production kiosk (main._prepare_kivy): fullscreen from the
configuration, no cursor, Escape closing nothing. The app's own side of the lockdown (Escape
swallowed, the close request refused, an exception on the error screen) is shown on the real
app in tests/ui/test_availability_ui.py."""

from __future__ import annotations

import tempfile

import pytest

import main
from kiosk import config

main.kivy_environment(tempfile.mkdtemp(prefix="kivy-unit-"))

from kivy.config import Config as KivyConfig  # noqa: E402

KEYS = [
    ("graphics", "fullscreen"),
    ("graphics", "borderless"),
    ("graphics", "show_cursor"),
    ("graphics", "width"),
    ("graphics", "height"),
    ("kivy", "exit_on_escape"),
]


def kiosk_config(tmp_path, *, fullscreen: bool = True, demo: bool = False) -> config.Config:
    data = {
        "kiosk": {"device_id": "SX-TY-0001", "region_code": "140100", "data_dir": str(tmp_path)},
        "platform": {"url": "https://gw.example.gov.cn", "device_key": "00" * 16},
        "devices": {
            "card_reader": "sam+serial:///dev/ttyUSB0",
            "printer": "escpos+tcp://192.168.1.50:9100",
        },
        "display": {"width": 1080, "height": 1920, "fullscreen": fullscreen},
    }
    return config.parse(data, "test", demo=demo)


@pytest.fixture
def kivy_config():
    saved = {key: KivyConfig.get(*key) for key in KEYS}
    yield
    for key, value in saved.items():
        KivyConfig.set(*key, value)


def settings() -> dict[str, str]:
    return {name: KivyConfig.get(section, name) for section, name in KEYS}


def test_a_production_kiosk_is_fullscreen_with_no_cursor_and_no_escape(kivy_config, tmp_path):
    main._prepare_kivy(kiosk_config(tmp_path), None)
    assert settings() == {
        "fullscreen": "auto",
        "borderless": "1",
        "show_cursor": "0",
        "width": "1080",
        "height": "1920",
        "exit_on_escape": "0",
    }


def test_fullscreen_comes_from_the_configuration_and_the_demo_shows_a_cursor(kivy_config, tmp_path):
    main._prepare_kivy(kiosk_config(tmp_path, fullscreen=False), None)
    assert settings()["fullscreen"] == "0" and settings()["show_cursor"] == "0"
    main._prepare_kivy(kiosk_config(tmp_path, demo=True), (540, 960))
    assert settings()["fullscreen"] == "0", "a window of the size asked for"
    assert settings()["show_cursor"] == "1" and settings()["exit_on_escape"] == "0"
