"""QR codes drawn on screen: qrcode → Pillow → a Kivy texture with hard pixel edges."""

from __future__ import annotations

import qrcode
from kivy.graphics.texture import Texture


def qr_texture(content: str) -> Texture:
    img = qrcode.make(
        content, border=2, box_size=8, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    rgb = img.get_image().convert("RGB")
    texture = Texture.create(size=rgb.size, colorfmt="rgb")
    texture.blit_buffer(rgb.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
    texture.flip_vertical()
    texture.mag_filter = "nearest"  # scaled up, the modules stay sharp squares
    texture.min_filter = "nearest"
    return texture
