"""The text catalogue: current with the code, complete for translators, and in use."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from kiosk import assets, i18n, messages
from kiosk.events import CardFault

ROOT = Path(__file__).resolve().parents[2]
POT = ROOT / "assets" / "locale" / "kiosk.pot"


def marked_in_code() -> set[str]:
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    return {
        msg
        for _file, _line, msg, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={"_": None, "N_": None}
        )
    }


def ids(path: Path) -> set[str]:
    with open(path, "rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_the_template_holds_every_marked_text_and_nothing_else():
    """A text marked in code but missing from kiosk.pot would never reach a translator."""
    code, template = marked_in_code(), ids(POT)
    assert len(code) > 300
    assert code - template == set(), "run `make i18n`: the template misses texts"
    assert template - code == set(), "run `make i18n`: the template holds texts gone from code"


def test_the_english_file_lists_every_text_for_its_translator():
    english = ROOT / "assets" / "locale" / "en" / "LC_MESSAGES" / "kiosk.po"
    assert ids(english) == ids(POT)


def test_a_translated_catalogue_is_what_the_kiosk_shows(tmp_path, monkeypatch):
    """English is a matter of translating a file: give the catalogue one line, compile it,
    switch, and the words the journey and the screens read come out translated."""
    title = messages.CARD_FAULTS[CardFault.NO_CARD].title_id
    po = tmp_path / "locale" / "en" / "LC_MESSAGES" / "kiosk.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'msgid "{title}"\nmsgstr "No card was read"\n\n'
        'msgid "办件编号：{case_no}"\nmsgstr "Case number: {case_no}"\n',
        encoding="utf-8",
    )
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [pybabel, "-q", "compile", "-D", "kiosk", "-d", str(tmp_path / "locale")], check=True
    )
    monkeypatch.setenv(assets.ENV, str(tmp_path))
    monkeypatch.setattr(i18n, "_catalogues", {})
    heard: list[str] = []
    i18n.on_language(heard.append)
    try:
        i18n.set_language("en")
        assert messages.CARD_FAULTS[CardFault.NO_CARD].title == "No card was read"
        assert i18n._("办件编号：{case_no}").format(case_no="C1") == "Case number: C1"
        assert i18n._("读取证件失败") == "读取证件失败", "untranslated: the source text"
        assert heard == ["en"], "the screens are told to render again"
    finally:
        i18n.set_language(i18n.SOURCE)
        i18n._listeners.remove(heard.append)
    assert messages.CARD_FAULTS[CardFault.NO_CARD].title == title


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language"):
        i18n.set_language("fr")


# texts that are Chinese on purpose in every language: samples of Chinese type for the
# printer's test page (which checks that Chinese prints)
SAME_IN_ENGLISH = {"䶮", "，。：（）《》、；！？“”"}
_PLACEHOLDER = re.compile(r"\{[A-Za-z_]*\}|%[a-zA-Z]")


def test_every_text_has_an_english_translation_with_its_placeholders():
    """English is complete: no screen falls back to Chinese, and a translation keeps every
    {name} the code fills in (a lost one raises KeyError or drops the value on screen). strftime
    formats may reorder their fields; %d counts stay."""
    english = ROOT / "assets" / "locale" / "en" / "LC_MESSAGES" / "kiosk.po"
    with open(english, "rb") as f:
        catalogue = [m for m in read_po(f) if m.id]
    assert len(catalogue) > 300
    untranslated = [m.id for m in catalogue if not m.string]
    assert untranslated == [], f"{len(untranslated)} texts untranslated"
    for m in catalogue:
        if m.id in SAME_IN_ENGLISH:
            continue
        assert m.string != m.id, m.id
        if "%Y" in m.id or "%m" in m.id:
            continue  # a strftime format: English orders day, month and year its own way
        assert sorted(_PLACEHOLDER.findall(m.string)) == sorted(_PLACEHOLDER.findall(m.id)), m.id
