"""Every certificate and receipt the demo can produce, printed through the kiosk's driver on the
printer emulator over TCP and read back off the paper.

One document per item of devkit/seed.py, for a demo citizen or enterprise who may use it (刘䶮
wherever she may). Text mode with GB18030: every line of the layout arrives as text, word for
word (full-width punctuation and 䶮 included). GBK: the lines holding 䶮 arrive as pictures of
that line, nothing becomes "?". The QR code on the emulator's PNG decodes to the document's
qr_content (ZXingReader) with native and image QR in text mode and in raster mode, on 58 and
80 mm paper; each document is decoded in one of those six set-ups, and every set-up gets five
or six documents.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from devkit.printer_emulator import DemoDocument, PrinterEmulator, demo_documents
from drivers.escpos_printer import EscposPrinter, encodable
from kiosk.devices import PrintJob
from kiosk.document import Document
from kiosk.print_layout import (
    PAPER_58MM,
    PAPER_80MM,
    Cut,
    Text,
    columns,
    layout_document,
    line_images,
    render_text_line,
    stack,
    to_ink,
)

pytestmark = pytest.mark.integration

DOCS = demo_documents()
IDS = [f"{d.item_key}-{d.holder_key}" for d in DOCS]
WIDTHS = (PAPER_58MM, PAPER_80MM)
HARD = "，。：（）《》䶮"
ZXING = shutil.which("ZXingReader") or "/usr/bin/ZXingReader"
SETUPS = [  # (mode, qr, width): where each document's QR code is decoded
    (mode, qr, width)
    for mode, qr in (("text", "native"), ("text", "image"), ("raster", "native"))
    for width in WIDTHS
]


def source_text(doc: Document) -> str:
    """Everything the platform sent that is printed as words (a certificate does not print its
    case number; a receipt does)."""
    parts = [doc.title, doc.holder, doc.body, doc.purpose, doc.department, doc.footer]
    parts += [f.label + f.value for f in doc.fields] + [doc.verification_code]
    return "".join(parts) + (doc.case_no if doc.kind.value == "receipt" else "")


def rule(width: int) -> str:
    return "─" * (columns(width) // 2)


def lines_text(lines: list[str]) -> str:
    """The one normalisation allowed: line breaks (the paper's lines joined by "\\n")."""
    return "\n".join(lines).replace("\r\n", "\n")


@pytest.fixture(scope="module")
def emulators(tmp_path_factory):
    """Emulated printers kept running for the module, one per paper width, charset and output."""
    made: dict[tuple[int, str, bool], PrinterEmulator] = {}

    def get(width: int, charset: str, png: bool = False) -> PrinterEmulator:
        key = (width, charset, png)
        if key not in made:
            out = tmp_path_factory.mktemp(f"paper-{width}-{charset}") if png else None
            made[key] = PrinterEmulator(out_dir=out, width_dots=width, charset=charset)
            made[key].start()
        return made[key]

    yield get
    for emu in made.values():
        emu.stop()


def print_on(emu: PrinterEmulator, demo: DemoDocument, **options):
    """Print through EscposPrinter over TCP (status before and after, as the kiosk does)."""
    emu.clear()
    printer = EscposPrinter(f"escpos+tcp://{emu.host}:{emu.port}", timeout=5, **options)
    printer.print_job(PrintJob(f"paper-{demo.item_key}", demo.document))
    (printed,) = emu.wait_for_jobs(1)
    assert printed.cut
    return printed


def test_the_demo_documents_cover_every_item_and_the_hard_characters():
    from devkit import seed

    assert [d.item_key for d in DOCS] == [i.key for i in seed.ITEMS]
    assert {d.document.kind.value for d in DOCS} == {"certificate", "receipt"}
    everything = "".join(source_text(d.document) for d in DOCS)
    assert all(ch in everything for ch in HARD)
    assert sum("刘䶮" in d.document.holder for d in DOCS) >= 5
    assert any(d.item_key.startswith("ent_") for d in DOCS)
    for setup in SETUPS:
        assert sum(1 for i in range(len(DOCS)) if SETUPS[i % len(SETUPS)] == setup) >= 5


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("demo", DOCS, ids=IDS)
def test_gb18030_every_character_arrives_as_text(emulators, demo, width):
    doc = demo.document
    printed = print_on(emulators(width, "GB18030"), demo, width_dots=width, charset="GB18030")
    layout = [x.text for x in layout_document(doc, width) if isinstance(x, Text)]
    paper = [x.text for x in printed.lines if x.text != rule(width)]
    assert lines_text(paper) == lines_text(layout)
    assert printed.images == []  # nothing had to be drawn
    got = set(lines_text(paper))
    missing = sorted(set(re.sub(r"\s", "", source_text(doc))) - got)
    assert not missing, f"{''.join(missing)} did not reach the paper"
    assert "?" not in printed.text and "\ufffd" not in printed.text
    if "刘䶮" in doc.holder:
        assert "䶮" in printed.text


@pytest.mark.parametrize("demo", DOCS, ids=IDS)
def test_gbk_lines_with_rare_characters_arrive_as_pictures(emulators, demo):
    width = WIDTHS[DOCS.index(demo) % 2]
    doc = demo.document
    printed = print_on(emulators(width, "GBK"), demo, width_dots=width, charset="GBK")
    texts = [x for x in layout_document(doc, width) if isinstance(x, Text)]
    drawn = [x for x in texts if encodable(x.text, "GBK") is None]
    plain = [x.text for x in texts if encodable(x.text, "GBK") is not None]
    assert lines_text([x.text for x in printed.lines if x.text != rule(width)]) == lines_text(plain)
    assert "?" not in printed.text and "\ufffd" not in printed.text
    assert "䶮" not in printed.text
    assert all("䶮" in x.text for x in drawn)  # GBK lacks nothing else the demo prints
    if "䶮" in source_text(doc):
        assert drawn
    assert len(printed.images) == len(drawn)
    for line, img in zip(drawn, printed.images, strict=True):
        expected = to_ink(
            render_text_line(
                line.text,
                width,
                size_w=line.size,
                size_h=line.size,
                bold=line.bold,
                align=line.align,
            )
        )
        paper = Image.new("L", (width, img.height), 255)
        paper.paste(img, (0, 0))
        assert paper.tobytes() == expected.tobytes()


def decode_qr(path: Path) -> str:
    out = subprocess.run(
        [ZXING, "-format", "QRCode", "-bytes", str(path)],
        capture_output=True,
        timeout=30,
        check=True,
    )
    return out.stdout.decode("utf-8")


@pytest.mark.parametrize("demo", DOCS, ids=IDS)
def test_qr_on_the_paper_decodes_to_the_documents_content(emulators, demo):
    if not Path(ZXING).exists():
        pytest.skip("ZXingReader (Debian zxing-cpp-tools) not installed: cannot decode the PNG")
    mode, qr, width = SETUPS[DOCS.index(demo) % len(SETUPS)]
    emu = emulators(width, "GB18030", png=True)
    printed = print_on(emu, demo, width_dots=width, qr_mode=qr, mode=mode)
    assert printed.png_path is not None
    assert decode_qr(printed.png_path) == demo.document.qr_content
    if mode == "raster":  # the whole paper is the preview's drawing, dot for dot
        assert printed.lines == [] and printed.qr_payloads == []
        strips = [
            img
            for line in layout_document(demo.document, width)
            if not isinstance(line, Cut)
            for img in line_images(line, width)
        ]
        expected = to_ink(stack(strips, width, margin=0))
        with Image.open(printed.png_path) as png:
            paper = png.convert("L").crop((0, 16, width, 16 + expected.height))
        assert paper.tobytes() == expected.tobytes()
    elif qr == "native":
        assert printed.qr_payloads == [demo.document.qr_content]
    else:
        assert printed.qr_payloads == [] and printed.images
