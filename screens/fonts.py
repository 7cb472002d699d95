"""Make a Simplified-Chinese font Kivy's default, so every label shows Chinese.

Kivy's SDL2 text provider always opens face 0 of a font file; in Noto Sans CJK's .ttc face 0 is
the Japanese one, which draws some characters the Japanese way. So the SC face is copied once
into a standalone file (fontTools, ~0.5 s) in the assets (kiosk.assets) and reused from there.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk import assets
from kiosk.fonts import FontFace, find_cjk_font

log = logging.getLogger("screens.fonts")


def standalone(face: FontFace, places: list[Path]) -> Path:
    """A file whose face 0 is ``face``; the file itself when it already is. The first place
    that holds a current copy is used; otherwise the first the kiosk may write gets one."""
    if face.index == 0:
        return face.path
    name = f"{face.path.stem}-{face.index}.otf"
    for folder in places:
        target = folder / name
        if target.is_file() and target.stat().st_mtime >= face.path.stat().st_mtime:
            return target
    folder = next((f for f in places if assets.writable(f)), places[-1])
    target = folder / name
    from fontTools.ttLib import TTCollection

    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    TTCollection(str(face.path), lazy=True).fonts[face.index].save(str(tmp))
    tmp.replace(target)
    log.info("extracted %s face %d to %s", face.path.name, face.index, target)
    return target


def prepare(data_dir: Path | None = None) -> tuple[Path, Path]:
    """Regular and bold files ready for Kivy (run at install time to fill assets/fonts)."""
    places = assets.fonts(data_dir)
    return standalone(find_cjk_font(False), places), standalone(find_cjk_font(True), places)


def register(data_dir: Path | None = None) -> None:
    from kivy.core.text import DEFAULT_FONT, LabelBase

    regular, bold = prepare(data_dir)
    LabelBase.register(DEFAULT_FONT, fn_regular=str(regular), fn_bold=str(bold))


if __name__ == "__main__":
    for path in prepare():
        print(path)
