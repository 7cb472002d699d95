"""Finding a CJK font on the machine, for the print preview and bitmap printing.

Thermal printers carry their own Chinese font; the kiosk only needs one for the on-screen preview,
for the emulator's PNG and for lines the printer's charset cannot encode. A kiosk image ships
Noto Sans CJK; WenQuanYi Micro Hei is the fallback found on older Debian-based images.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from kiosk.i18n import _

if TYPE_CHECKING:
    from PIL import ImageFont


class FontFace(NamedTuple):
    """A font file and the face inside it (a .ttc holds several): unpacks as (path, index)."""

    path: Path
    index: int = 0


class FontNotFound(RuntimeError):
    pass


# In Noto Sans CJK .ttc files face 2 is Simplified Chinese (0 JP, 1 KR, 3 TC, 4 HK): the SC face
# draws 骨, 直, 户 the mainland way.
_NOTO_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/noto-cjk"))
_REGULAR = tuple(FontFace(d / "NotoSansCJK-Regular.ttc", 2) for d in _NOTO_DIRS)
_BOLD = tuple(FontFace(d / "NotoSansCJK-Bold.ttc", 2) for d in _NOTO_DIRS)
_FALLBACK = (FontFace(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),)
_ENV = "KIOSK_CJK_FONT"  # "path" or "path#index": lets an installer point at another font


def _from_env() -> FontFace | None:
    value = os.environ.get(_ENV, "").strip()
    if not value:
        return None
    path, _, index = value.partition("#")
    return FontFace(Path(path), int(index or 0))


def find_cjk_font(bold: bool = False) -> FontFace:
    """The font face to use; bold falls back to regular when no bold file exists."""
    env = _from_env()
    candidates = ((env,) if env else ()) + (_BOLD if bold else ()) + _REGULAR + _FALLBACK
    for face in candidates:
        if face.path.is_file():
            return face
    raise FontNotFound(
        _(
            "未找到中文字体：请安装 fonts-noto-cjk 或 fonts-wqy-microhei（或设置 {env}=路径#序号）"
        ).format(env=_ENV)
    )


@lru_cache(maxsize=64)
def load_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """A Pillow font at ``size`` pixels; cached because loading a .ttc costs milliseconds."""
    from PIL import ImageFont  # not at import: the kiosk's start only needs the paths

    face = find_cjk_font(bold)
    # BASIC layout: CJK needs no shaping here, and raqm costs ~0.3 ms per call on Noto CJK.
    return ImageFont.truetype(
        str(face.path), size, index=face.index, layout_engine=ImageFont.Layout.BASIC
    )
