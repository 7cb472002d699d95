"""Laying out a certificate or receipt for a thermal printer, and drawing the same layout to PNG.

One list of layout lines drives the ESC/POS bytes (drivers/escpos_printer.py, in text and in raster
mode), the preview (``render_png``) and the emulator's PNG, so what the citizen or a technician
sees on screen is what comes out on paper: same line breaks, same sizes, same alignment. In raster
mode the paper is literally the preview's drawing (``line_images``), turned into dots by ``to_ink``.

Widths are counted the way a Chinese thermal printer counts them. Font A is 12×24 dots, so a
58 mm head (384 dots) holds 32 columns and an 80 mm head (576 dots) 48. In Chinese mode every
double-byte character (ideographs, full-width punctuation, and the "ambiguous" characters such as
─ … · that GB2312/GBK store as double-byte) is printed 24 dots wide: two columns.
Described for people in docs/certificate-format.md.

The fixed words on paper (受理编号, 有效期至, 验证码, …) are entries of the catalogue marked with
N_() and printed in Chinese whatever the screen's language: a certificate is the issuing
department's document, its template Chinese.
"""

from __future__ import annotations

import datetime as dt
import threading
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageOps

from kiosk.document import Document, DocumentKind
from kiosk.fonts import load_font
from kiosk.i18n import N_
from kiosk.linebreak import break_lines

PAPER_58MM = 384
PAPER_80MM = 576
DOTS_PER_COLUMN = 12  # font A is 12 dots wide; a double-byte character takes two columns
FONT_DOTS = 24  # font A is 24 dots tall
LINE_GAP = 8  # dots between lines, close to the printers' default 1/6-inch line spacing

# Grey at or below this is a burnt dot. A little past half-grey: the anti-aliased edges of thin
# strokes at 24 px stay on, so a 1-dot stroke of 䶮 or 𠮷 does not break up on the head.
INK_THRESHOLD = 150

# Preview colours: the UI tokens (text #1A1A1A on white, secondary #555555).
INK = (0x1A, 0x1A, 0x1A)
PAPER = (0xFF, 0xFF, 0xFF)


class Align(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Text:
    """One printed line, already wrapped: it fits ``columns(width, size)``."""

    text: str
    size: int = 1  # width and height multiplier, 1 or 2
    bold: bool = False
    align: Align = Align.LEFT


@dataclass(frozen=True, slots=True)
class Rule:
    """A horizontal line across the paper (printed as ─ characters)."""


@dataclass(frozen=True, slots=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True, slots=True)
class Qr:
    content: str
    module: int = 4  # dots per module; chosen by the layout so the code is about half the width
    ec: str = "M"  # error correction: M survives a scuffed or folded slip


@dataclass(frozen=True, slots=True)
class Cut:
    pass


LayoutLine = Text | Rule | Feed | Qr | Cut


# --- widths and wrapping -------------------------------------------------------------------------


def columns(width_dots: int, size: int = 1) -> int:
    """Columns of font A on a head ``width_dots`` wide, at width multiplier ``size``."""
    return width_dots // (DOTS_PER_COLUMN * size)


def char_width(ch: str) -> int:
    """Columns one character takes: ASCII 1; wide, full-width and ambiguous 2; combining 0."""
    code = ord(ch)
    if 0x20 <= code < 0x7F:
        return 1
    if code < 0x20 or code == 0x7F or unicodedata.combining(ch):
        return 0
    # Ambiguous (A) characters are double-byte in GB2312/GBK and print full width in Chinese mode.
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


def display_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def clean_text(text: str) -> str:
    """Normalise newlines and drop control and format characters.

    Text from the platform must never smuggle printer commands (ESC, GS, DLE …) onto the wire.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(
        ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    )


def wrap(text: str, width: int, *, hanging: int = 0) -> list[str]:
    """Wrap ``text`` to ``width`` columns; continuation lines are indented by ``hanging`` spaces.

    Explicit newlines start new lines. Lines break where Unicode's line breaking rules allow
    (kiosk/linebreak.py): never before closing or after opening punctuation, never inside a
    number, a date or a Latin word unless it cannot fit on a line of its own. A paragraph's
    leading indent is kept, up to half a line.
    """
    if width <= 0:
        raise ValueError("width must be positive")
    hanging = min(max(hanging, 0), width // 2)
    paragraphs = [_cap_indent(p, width // 2) for p in clean_text(text).split("\n")]
    lines = break_lines("\n".join(paragraphs), width, display_width, rest_width=width - hanging)
    return [line if i == 0 or not line else " " * hanging + line for i, line in enumerate(lines)]


def _cap_indent(paragraph: str, most: int) -> str:
    body = paragraph.lstrip(" ")
    return paragraph[: min(len(paragraph) - len(body), most)] + body


# --- the layout of a document --------------------------------------------------------------------


def chinese_date(day: dt.date) -> str:
    return N_("{year}年{month}月{day}日").format(year=day.year, month=day.month, day=day.day)


def qr_modules(content: str, ec: str = "M") -> int:
    """Modules per side of the QR code for ``content`` (version 1 is 21)."""
    code = qrcode.QRCode(error_correction=_QR_EC[ec], border=0)
    code.add_data(content)
    code.make(fit=True)
    return code.modules_count


_QR_EC = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def qr_module_dots(content: str, width_dots: int) -> int:
    """Module size that makes the code about half the paper wide (≥ 3 dots so phones read it)."""
    return max(3, min(8, (width_dots // 2) // (qr_modules(content) + 2)))


def _paragraph(text: str, cols: int, align: Align = Align.LEFT, **style) -> list[Text]:
    return [Text(line, align=align, **style) for line in wrap(text, cols)]


def _field(label: str, value: str, cols: int) -> list[Text]:
    head = N_("{label}：").format(label=label) if label else ""
    hanging = display_width(head) if display_width(head) <= cols // 2 else 4
    return [Text(line) for line in wrap(head + value, cols, hanging=hanging)]


def layout_document(document: Document, width_dots: int = PAPER_80MM) -> list[LayoutLine]:
    """The lines that print ``document`` on a head ``width_dots`` wide (384 or 576)."""
    if width_dots < DOTS_PER_COLUMN * 16:
        raise ValueError(f"paper too narrow: {width_dots} dots")
    cols = columns(width_dots)
    receipt = document.kind is DocumentKind.RECEIPT
    notice = document.kind is DocumentKind.NOTICE
    out: list[LayoutLine] = []

    title = document.title or (N_("受理回执") if receipt else N_("证明"))
    out += _paragraph(title, columns(width_dots, 2), Align.CENTER, size=2, bold=True)
    if receipt and "回执" not in title:  # not words: the department's title already says it
        out.append(Text(N_("受理回执"), bold=True, align=Align.CENTER))
    number = document.extra.get("queue_number", "")
    if notice and number:  # 一次性告知: the queue number is what the citizen looks for first
        out.append(Feed())
        out.append(Text(N_("排队号"), align=Align.CENTER))
        out += _paragraph(number, columns(width_dots, 2), Align.CENTER, size=2, bold=True)
    out.append(Feed())

    if document.holder:
        out += _paragraph(document.holder, cols)
    given = {f.value.strip() for f in document.fields}  # the platform may list these itself
    if receipt and document.case_no and document.case_no not in given:
        out += _field(N_("受理编号"), document.case_no, cols)
    for f in document.fields:
        out += _field(f.label, f.value, cols)

    if document.body:
        out.append(Feed())
        for para in clean_text(document.body).split("\n"):
            indented = para if (not para or para[0].isspace()) else "    " + para
            out += _paragraph(indented, cols)
    if document.purpose:
        out += _field(N_("用途"), document.purpose, cols)
    if receipt and document.promised_date:
        promised = chinese_date(document.promised_date)
        if promised not in given:
            out += _field(N_("承诺办结日期"), promised, cols)

    out.append(Feed())
    out += _paragraph(document.department, cols, Align.RIGHT)
    out.append(Text(chinese_date(document.issued_on), align=Align.RIGHT))
    if document.valid_until:
        out += _field(N_("有效期至"), chinese_date(document.valid_until), cols)

    out.append(Rule())
    site = document.extra.get("verify_site", N_("政务服务网"))
    if document.qr_content:
        out.append(Qr(document.qr_content, qr_module_dots(document.qr_content, width_dots)))
    code_label = N_("查询码") if receipt else N_("验证码")
    if document.verification_code:
        line = N_("{label}：{code}").format(label=code_label, code=document.verification_code)
        out += _paragraph(line, cols, Align.CENTER)
    if notice:
        hint = N_("扫码在手机上查看办事指南") if document.qr_content else ""
    elif document.kind is DocumentKind.CASE_SLIP:
        hint = N_("扫码在手机上查看办理进度") if document.qr_content else ""
    elif receipt:
        hint = N_("扫码或登录{site}查询办理进度")
    else:
        hint = N_("扫码或登录{site}核验")
    if hint:
        out += _paragraph(hint.format(site=site), cols, Align.CENTER)
    if document.footer:
        out.append(Feed())
        out += _paragraph(document.footer, cols, Align.CENTER)
    out.append(Cut())
    return out


def layout_text(lines: list[LayoutLine]) -> str:
    """The text a layout prints, one line per printed line (for tests and logs of layout)."""
    return "\n".join(line.text for line in lines if isinstance(line, Text))


# --- drawing -------------------------------------------------------------------------------------


def line_height(size: int = 1) -> int:
    return FONT_DOTS * size + LINE_GAP


def _hard_wrap(text: str, cols: int) -> list[str]:
    """What a printer does with a line longer than the head: it continues on the next line."""
    lines, cur, w = [], "", 0
    for ch in text:
        cw = char_width(ch)
        if w + cw > cols and cur:
            lines.append(cur)
            cur, w = "", 0
        cur += ch
        w += cw
    return [*lines, cur]


_FONT_LOCK = threading.Lock()


@lru_cache(maxsize=8192)
def _glyph(ch: str, px: int, bold: bool, cell: int) -> Image.Image:
    """One character in its printer cell, as a mask (255 = ink); cached, since drawing a glyph
    costs far more than pasting it. A glyph wider than its cell (W, M, @) is squeezed into it."""
    font = load_font(px, bold)
    with _FONT_LOCK:  # FreeType faces are not thread-safe; the emulator draws on its own threads
        adv = font.getlength(ch)
        width = max(cell, round(adv))
        mask = Image.new("L", (width, px + LINE_GAP), 0)
        ImageDraw.Draw(mask).text(
            ((width - adv) / 2, _baseline(px)), ch, font=font, fill=255, anchor="ls"
        )
    if width > cell:
        mask = mask.resize((cell, mask.height), Image.Resampling.LANCZOS)
    return mask


def _baseline(px: int) -> int:
    return LINE_GAP // 2 + round(px * 0.84)


def render_text_line(
    text: str,
    width_dots: int,
    *,
    size_w: int = 1,
    size_h: int = 1,
    bold: bool = False,
    align: Align = Align.LEFT,
) -> Image.Image:
    """One printed line as a white "L" image ``width_dots`` wide, glyphs in printer cells.

    Each character sits in its printer cell (12 dots per column, times the width multiplier), so
    the drawing lands where the printer's own font would. A line wider than the head continues
    on a second line, as on paper. Used by the preview, by the emulator, and by the driver for
    lines the printer's charset cannot encode.
    """
    size_w, size_h = max(1, size_w), max(1, size_h)
    cols = max(1, width_dots // (DOTS_PER_COLUMN * size_w))
    rows = _hard_wrap(text, cols) if display_width(text) > cols else [text]
    px = FONT_DOTS * size_h
    pitch = line_height(size_h)
    col_px = DOTS_PER_COLUMN * size_h  # drawn at height scale, stretched to size_w below
    img = Image.new("L", (width_dots, pitch * len(rows)), 255)
    for r, row in enumerate(rows):
        content = display_width(row) * col_px
        strip = Image.new("L", (max(1, content), pitch), 255)
        x = 0
        for ch in row:
            cell = char_width(ch) * col_px
            if cell:
                strip.paste(0, (x, 0), _glyph(ch, px, bold, cell))
                x += cell
        if size_w != size_h:
            strip = strip.resize((max(1, content * size_w // size_h), pitch))
        left = {
            Align.LEFT: 0,
            Align.CENTER: (width_dots - strip.width) // 2,
            Align.RIGHT: width_dots - strip.width,
        }[align]
        img.paste(strip, (max(0, left), r * pitch))
    return img


def to_ink(grey: Image.Image) -> Image.Image:
    """A grey drawing ("L", 0 ink) as the dots a thermal head burns: pure 0/255, no dithering
    (dithered glyph edges print as a grey fuzz)."""
    return grey.convert("L").point(lambda v: 0 if v <= INK_THRESHOLD else 255)


def render_qr(content: str, module: int, ec: str = "M", border: int = 1) -> Image.Image:
    """The QR code as an "L" image, ``module`` dots per module."""
    code = qrcode.QRCode(error_correction=_QR_EC[ec], box_size=module, border=border)
    code.add_data(content)
    code.make(fit=True)
    return code.make_image().get_image().convert("L")


def _rule_image(width_dots: int) -> Image.Image:
    img = Image.new("L", (width_dots, line_height(1)), 255)
    span = columns(width_dots) // 2 * 2 * DOTS_PER_COLUMN
    mid = img.height // 2
    ImageDraw.Draw(img).rectangle((0, mid - 1, span - 1, mid), fill=0)
    return img


def cut_image(width_dots: int) -> Image.Image:
    img = Image.new("L", (width_dots, 24), 255)
    draw = ImageDraw.Draw(img)
    for x in range(0, width_dots, 12):
        draw.line((x, 12, x + 6, 12), fill=140)
    return img


def line_images(line: LayoutLine, width_dots: int) -> list[Image.Image]:
    """The strips of paper one layout line becomes, top to bottom."""
    match line:
        case Text():
            return [
                render_text_line(
                    line.text,
                    width_dots,
                    size_w=line.size,
                    size_h=line.size,
                    bold=line.bold,
                    align=line.align,
                )
            ]
        case Rule():
            return [_rule_image(width_dots)]
        case Feed():
            return [Image.new("L", (width_dots, line_height(1) * line.lines), 255)]
        case Qr():
            qr = render_qr(line.content, line.module, line.ec)
            strip = Image.new("L", (width_dots, qr.height + LINE_GAP * 2), 255)
            strip.paste(qr, ((width_dots - qr.width) // 2, LINE_GAP))
            return [strip]
        case Cut():
            return [cut_image(width_dots)]
    raise TypeError(f"not a layout line: {line!r}")


def stack(strips: list[Image.Image], width_dots: int, margin: int = 16) -> Image.Image:
    """Strips of paper one under another, on white, with a small top and bottom margin."""
    height = sum(s.height for s in strips) + 2 * margin
    paper = Image.new("L", (width_dots, max(height, 1)), 255)
    y = margin
    for s in strips:
        paper.paste(s, (0, y))
        y += s.height
    return paper


def render_lines(
    lines: list[LayoutLine],
    width_dots: int,
    ink: tuple[int, int, int] = INK,
    paper: tuple[int, int, int] = PAPER,
) -> Image.Image:
    """Draw layout lines on a strip of paper ``width_dots`` wide (RGB)."""
    strips = [img for line in lines for img in line_images(line, width_dots)]
    grey = stack(strips, width_dots)
    return ImageOps.colorize(grey, black=ink, white=paper)


def render_png(document: Document, width_dots: int = PAPER_80MM) -> Image.Image:
    """The preview of ``document`` as printed: same lines as the paper, drawn with a CJK font."""
    return render_lines(layout_document(document, width_dots), width_dots)
