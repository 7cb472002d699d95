"""Labels that break Chinese lines by the rules of kiosk/linebreak.py instead of Kivy's own.

Kivy wraps only at spaces and cuts a run without spaces wherever the width runs out, so "。"
or "）" starts a line and "12333" is split. A ``LineBreaking`` label keeps its ``text`` as
given and hands its core label the same text with newlines put where the rules allow; Kivy
then finds every line fits and breaks nothing itself.

It costs nothing extra per frame: the lines are worked out in ``texture_update``, which Kivy
runs only when the text, the width or the font changed (the texture is rebuilt then anyway),
and only for text that does not fit on one line. Lines are measured with the label's own
font (its core label's ``get_extents``, the function Kivy's layout uses, so both agree to the
pixel) and remembered per text, width and font.

Markup labels are broken on their plain text; the tags and escapes are kept where they were.
The text is measured in the bold face throughout (bold is never narrower), so a line Kivy
lays out in mixed weights always fits. Shortened labels (``shorten``) are single lines by
design and left to Kivy.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from kivy.core.text.markup import MarkupLabel as CoreMarkupLabel
from kivy.utils import get_hex_from_color

from kiosk.linebreak import line_spans

_CACHE_SIZE = 2048
# Kivy's markup: a tag is anything in brackets (see kivy.core.text.markup); the escapes of
# kivy.utils.escape_markup stand for one character each.
_MARKUP = re.compile(r"(\[[^\]]*\]|&bl;|&br;|&amp;)")
_ESCAPES = {"&bl;": "[", "&br;": "]", "&amp;": "&"}
# (text, width, markup, font) -> the text with its breaks; shared by every label: texts repeat
_BROKEN: OrderedDict[tuple, str] = OrderedDict()


class LineBreaking:
    """Mixin for a Label (put it before Label): UAX #14 line breaks at the label's width."""

    def texture_update(self, *largs) -> None:
        shown = self._broken_text()
        if shown is None:
            super().texture_update(*largs)
        elif self._label.__class__ is CoreMarkupLabel:
            self._markup_texture_update(shown)
        else:
            self._label.text = shown
            super().texture_update(*largs)

    def _broken_text(self) -> str | None:
        """The text with its line breaks, or None where Kivy's own layout is right."""
        width = self.text_size[0]
        if width is None or self.shorten or not self.text:
            return None
        pad = self._label.options["padding"]  # left, top, right, bottom
        avail = int(width - pad[0] - pad[2])
        if avail <= 0:
            return None
        key = (self.text, avail, self.markup, *self._font_key())
        shown = _BROKEN.get(key)
        if shown is None:
            shown = self._lay_out(avail)
            _BROKEN[key] = shown
            if len(_BROKEN) > _CACHE_SIZE:
                _BROKEN.popitem(last=False)
        else:
            _BROKEN.move_to_end(key)
        return shown

    def _font_key(self) -> tuple:
        o = self._label.options
        bold = True if self.markup else o["bold"]
        return (o["font_name"], o["font_size"], bold, o["italic"], o.get("font_context"))

    def _lay_out(self, avail: int) -> str:
        measurer = self._label
        if self.markup:  # measured in bold, with a plain core label of the same font
            measurer = self._plain_measurer()
        extents = measurer.get_extents
        if not self.markup:
            spans = line_spans(self.text, avail, lambda s: extents(s)[0])
            return "\n".join(self.text[a:b] for a, b in spans)
        pieces = _MARKUP.split(self.text)
        plain = "".join(p if i % 2 == 0 else _ESCAPES.get(p, "") for i, p in enumerate(pieces))
        spans = line_spans(plain, avail, lambda s: extents(s)[0])
        return _rebuild_markup(pieces, spans)

    def _plain_measurer(self):
        from kivy.core.text import Label as CoreLabel

        o = self._label.options
        return CoreLabel(
            font_name=o["font_name"],
            font_size=o["font_size"],
            bold=True,
            italic=o["italic"],
            font_context=o.get("font_context"),
        )

    def _markup_texture_update(self, shown: str) -> None:
        """Kivy 2.3's Label.texture_update for markup, with the broken text in place of
        ``self.text`` (Kivy re-reads ``self.text`` there, so it cannot be handed in)."""
        self.texture = None
        text = shown.strip() if (self.halign == "justify" or self.strip) else shown
        color = self.disabled_color if self.disabled else self.color
        self._label.text = f"[color={get_hex_from_color(color)}]{text}[/color]"
        self._label.refresh()
        if self._label.texture:
            self._label.texture.bind()
        self.refs = self._label.refs
        self.anchors = self._label.anchors
        if self._label.texture is not None:
            self.texture = self._label.texture
            self.texture_size = list(self.texture.size)
        self.is_shortened = self._label.is_shortened


def _rebuild_markup(pieces: list[str], spans: list[tuple[int, int]]) -> str:
    """The markup text with a newline at the start of each line after the first, and the
    spaces and newlines between lines dropped; tags stay where they were."""
    starts = {a for a, _b in spans[1:]}
    kept = {i for a, b in spans for i in range(a, b)}
    out: list[str] = []
    at = 0  # offset in the plain text
    for i, piece in enumerate(pieces):
        if i % 2 and piece not in _ESCAPES:  # a tag: no width, kept as it is
            out.append(piece)
            continue
        chars = [piece] if i % 2 else list(piece)
        for ch in chars:
            if at in starts:
                out.append("\n")
            if at in kept:
                out.append(ch)
            at += 1
    out.extend("\n" for a in sorted(starts) if a >= at)  # empty lines at the very end
    return "".join(out)
