"""Make a Simplified-Chinese font Kivy's default, so every label shows Chinese.

Kivy's SDL2 text provider always opens face 0 of a font file; in Noto Sans CJK's .ttc face 0 is
the Japanese one, which draws some characters the Japanese way. So the SC face is copied once
into a standalone file (fontTools, ~0.5 s) and reused from the cache on later starts.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from kiosk.fonts import FontFace, find_cjk_font

log = logging.getLogger("screens.fonts")

CACHE = Path(os.environ.get("KIOSK_FONT_CACHE", "~/.cache/kiosk/fonts")).expanduser()


def standalone(face: FontFace, cache: Path = CACHE) -> Path:
    """A file whose face 0 is ``face``; the file itself when it already is."""
    if face.index == 0:
        return face.path
    target = cache / f"{face.path.stem}-{face.index}.otf"
    if target.is_file() and target.stat().st_mtime >= face.path.stat().st_mtime:
        return target
    from fontTools.ttLib import TTCollection

    cache.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    TTCollection(str(face.path), lazy=True).fonts[face.index].save(str(tmp))
    tmp.replace(target)
    log.info("extracted %s face %d to %s", face.path.name, face.index, target)
    return target


def prepare() -> tuple[Path, Path]:
    """Regular and bold files ready for Kivy (also run at install time to warm the cache)."""
    return standalone(find_cjk_font(False)), standalone(find_cjk_font(True))


def register() -> None:
    from kivy.core.text import DEFAULT_FONT, LabelBase

    regular, bold = prepare()
    LabelBase.register(DEFAULT_FONT, fn_regular=str(regular), fn_bold=str(bold))


if __name__ == "__main__":
    for path in prepare():
        print(path)
