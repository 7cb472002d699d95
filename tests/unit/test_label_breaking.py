"""Labels break Chinese lines by the rules (screens/breaking.py), and Kivy adds no break of its own.

No window is needed: a core label lays its text out (``render``) without drawing it, and its
lines are what the screen would show. The font is the kiosk's own CJK font.
"""

from __future__ import annotations

import re
import tempfile

import pytest

import main

main.kivy_environment(tempfile.mkdtemp(prefix="kivy-unit-"))

from kivy.uix.label import Label  # noqa: E402
from kivy.utils import escape_markup  # noqa: E402

from screens import fonts  # noqa: E402
from screens.breaking import LineBreaking  # noqa: E402
from tests.unit.test_linebreak import SAMPLES, violations  # noqa: E402

fonts.register()


class BreakingLabel(LineBreaking, Label):
    pass


def kivy_lines(label: Label, text: str) -> list[str]:
    """The lines Kivy lays ``text`` out in, at the label's width and font."""
    label._label.text = text
    label._label.render()
    return ["".join(w.text for w in line.words) for line in label._label._cached_lines]


def spans_of(text: str, lines: list[str]) -> list[tuple[int, int]]:
    """Where each shown line sits in ``text`` (lines are in order, spaces between them dropped)."""
    spans, at = [], 0
    for line in lines:
        a = text.index(line, at) if line else at
        spans.append((a, a + len(line)))
        at = a + len(line)
    return spans


WIDTHS = (420, 500, 555, 760)  # from where the longest code (15 characters) fits


@pytest.mark.parametrize("text", SAMPLES)
def test_labels_keep_the_rules_and_kivy_keeps_the_lines(text):
    for width in WIDTHS:
        label = BreakingLabel(text=text, font_size=40, text_size=(width, None))
        shown = label._broken_text()
        lines = kivy_lines(label, shown)
        assert lines == shown.split("\n"), width  # Kivy found every line fits
        assert violations(text, spans_of(text, lines)) == [], (width, lines)


def test_kivy_alone_breaks_them():
    """The same check on Kivy's own wrapping of the same sentences fails: it can fail."""
    found = []
    for text in SAMPLES:
        for width in WIDTHS:
            label = BreakingLabel(text=text, font_size=40, text_size=(width, None))
            found += violations(text, spans_of(text, kivy_lines(label, text)))
    assert any("closing mark starts" in v for v in found)
    assert any("'三晋通'" in v for v in found)


def test_markup_is_broken_on_its_text_and_keeps_its_tags():
    steps = (
        "1. 在自助终端放置居民身份证，核验身份；\n4. 现场打印带核验码的证明，请取走身份证和证明。"
    )
    text = (
        f"[b]办理流程[/b]  {escape_markup(steps)}\n[color=#c05621]更新于 12月02日 09:30。[/color]"
    )
    for width in WIDTHS:
        label = BreakingLabel(text=text, font_size=34, text_size=(width, None), markup=True)
        shown = label._broken_text()
        assert shown.count("[b]") == 1 and shown.count("[/color]") == 1
        plain = [re.sub(r"\[[^\]]*\]", "", line) for line in shown.split("\n")]
        assert kivy_lines(label, shown) == plain, width
        assert not any(line[:1] in "。，；" for line in plain), plain
        assert any("12月02日" in line for line in plain), plain


def test_single_lines_and_shortened_labels_are_left_alone():
    label = BreakingLabel(text="‹ 返回", font_size=40, text_size=(400, None))
    assert label._broken_text() == "‹ 返回"
    label = BreakingLabel(text=SAMPLES[0], text_size=(200, 60), shorten=True)
    assert label._broken_text() is None
    assert BreakingLabel(text=SAMPLES[0])._broken_text() is None  # no width: one line
