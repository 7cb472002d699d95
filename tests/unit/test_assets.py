"""The assets folder: one module knows where it is; the font goes where the kiosk may write."""

from __future__ import annotations

from pathlib import Path

from kiosk import assets
from screens import fonts

ROOT = Path(__file__).resolve().parents[2]


def test_the_checkout_is_the_default_and_holds_the_icon_and_the_voice_folder(monkeypatch):
    monkeypatch.delenv(assets.ENV, raising=False)
    assert assets.root() == ROOT / "assets"
    assert assets.image("icon.png").is_file()
    assert assets.voice("zh_CN").parent.is_dir()


def test_an_installer_can_point_elsewhere(monkeypatch, tmp_path):
    monkeypatch.setenv(assets.ENV, str(tmp_path))
    assert assets.image("icon.png") == tmp_path / "images" / "icon.png"
    assert assets.fonts(tmp_path / "data") == [tmp_path / "fonts", tmp_path / "data" / "fonts"]


def test_the_font_is_extracted_into_the_assets_once(monkeypatch, tmp_path):
    monkeypatch.setenv(assets.ENV, str(tmp_path / "assets"))
    regular, _bold = fonts.prepare(tmp_path / "data")
    assert regular.parent == tmp_path / "assets" / "fonts" and regular.is_file()
    mtime = regular.stat().st_mtime_ns
    assert fonts.prepare(tmp_path / "data")[0].stat().st_mtime_ns == mtime, "reused, not redone"


def test_a_kiosk_that_may_not_write_its_assets_keeps_the_font_in_its_data_dir(
    monkeypatch, tmp_path
):
    monkeypatch.setenv(assets.ENV, str(tmp_path / "assets"))
    monkeypatch.setattr(assets, "writable", lambda folder: "assets" not in folder.parts)
    regular, _bold = fonts.prepare(tmp_path / "data")
    assert regular.parent == tmp_path / "data" / "fonts" and regular.is_file()
