"""The spoken prompts (issue 12 part 6): one per citizen screen, from the catalogue; the build
with espeak-ng (real: it is a Debian package `make` installs) keeps a hall's recordings and
makes again only what changed; the journey counts 再听一遍 as activity and nothing more."""

from __future__ import annotations

import shutil

import pytest

from cli import voice as build_voice
from kiosk import config, voice
from kiosk.journey import TECHNICIAN_STATES, State
from kiosk.journey.states import MACHINE_WAITS, PERSON_WAITS

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is missing (make test installs it)"
)


def test_every_citizen_screen_has_a_prompt_and_the_technicians_none():
    citizen = (
        set(PERSON_WAITS) | set(MACHINE_WAITS) | {State.ATTRACT, State.OUT_OF_SERVICE}
    ) - set(TECHNICIAN_STATES)
    assert citizen <= set(voice.PROMPTS), citizen - set(voice.PROMPTS)
    assert not set(TECHNICIAN_STATES) & set(voice.PROMPTS)
    assert State.ATTRACT not in voice.SPOKEN_ON_ENTRY, "nobody may be at an idle kiosk"


def test_a_recording_is_played_before_the_build_s_file(tmp_path):
    folder = tmp_path / "zh_CN"
    folder.mkdir()
    (folder / "items.wav").write_bytes(b"made")
    assert voice.sound_file(State.ITEMS, "zh_CN", tmp_path) == folder / "items.wav"
    (folder / "items.ogg").write_bytes(b"recorded")
    assert voice.sound_file(State.ITEMS, "zh_CN", tmp_path) == folder / "items.ogg"
    assert voice.sound_file(State.TECHNICIAN, "zh_CN", tmp_path) is None


@needs_espeak
def test_the_build_makes_keeps_and_never_overwrites_a_recording(tmp_path):
    first = build_voice.build(tmp_path, languages=("zh_CN",))
    assert first == {"made": len(voice.PROMPTS), "kept": 0, "recorded": 0}
    items = tmp_path / "zh_CN" / "items.wav"
    assert items.read_bytes()[:4] == b"RIFF"
    again = build_voice.build(tmp_path, languages=("zh_CN",))
    assert again["made"] == 0 and again["kept"] == len(voice.PROMPTS)
    items.write_bytes(b"RIFF the hall's own voice")  # a recording put in the made file's place
    (tmp_path / "zh_CN" / "goodbye.ogg").write_bytes(b"OggS recorded")
    third = build_voice.build(tmp_path, languages=("zh_CN",))
    assert third["recorded"] == 2
    assert items.read_bytes() == b"RIFF the hall's own voice"
    assert voice.sound_file(State.GOODBYE, "zh_CN", tmp_path).suffix == ".ogg"


@needs_espeak
def test_a_changed_text_is_made_again_and_a_gone_prompt_s_file_removed(tmp_path, monkeypatch):
    build_voice.build(tmp_path, languages=("zh_CN",))
    stale = tmp_path / "zh_CN" / "rating.wav"
    before = stale.read_bytes()
    prompts = dict(voice.PROMPTS)
    prompts[State.RATING] = "请评价。"
    del prompts[State.GOODBYE]
    monkeypatch.setattr(voice, "PROMPTS", prompts)
    counts = build_voice.build(tmp_path, languages=("zh_CN",))
    assert counts["made"] == 1 and stale.read_bytes() != before
    assert not (tmp_path / "zh_CN" / "goodbye.wav").exists()


def test_an_untranslated_prompt_gets_no_file(tmp_path):
    texts = build_voice.texts("en")
    for name, words in texts.items():
        assert words != voice.PROMPTS[State(name.removesuffix(".wav"))], "Chinese read as English"


def test_voice_configuration():
    base = {
        "kiosk": {"device_id": "K1", "region_code": "140100"},
        "platform": {"url": "http://127.0.0.1:1", "device_key": "00" * 16},
        "devices": {
            "card_reader": "sam+serial:///dev/ttyUSB0",
            "printer": "escpos+tcp://127.0.0.1:9100",
        },
    }
    assert config.parse(base, "t").voice == config.VoiceConfig(True, 0.8)
    muted = config.parse({**base, "voice": {"enabled": False, "volume": 1}}, "t").voice
    assert muted == config.VoiceConfig(False, 1.0)
    with pytest.raises(config.ConfigError, match="volume"):
        config.parse({**base, "voice": {"volume": 3}}, "t")
