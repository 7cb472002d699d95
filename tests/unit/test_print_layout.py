"""Layout of certificates and receipts for thermal paper: widths, wrapping, content, preview."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.printer_url import PrinterConfig, Transport
from drivers.test_page import check_page
from kiosk.devices import DeviceKind, DeviceState, DeviceStatus, Paper
from kiosk.document import Document, DocumentKind, Field
from kiosk.fonts import find_cjk_font
from kiosk.print_layout import (
    INK_THRESHOLD,
    PAPER_58MM,
    PAPER_80MM,
    Align,
    Cut,
    Feed,
    Qr,
    Rule,
    Text,
    char_width,
    clean_text,
    columns,
    display_width,
    layout_document,
    layout_text,
    render_png,
    render_text_line,
    to_ink,
    wrap,
)

NAME = "刘䶮"  # a synthetic citizen of devkit/people.py; 䶮 is U+4DAE (CJK Ext A)


def certificate(**changes) -> Document:
    doc = Document(
        kind=DocumentKind.CERTIFICATE,
        title="残疾人证明",
        holder=f"兹证明：{NAME}，女，汉族，1963年8月30日出生，公民身份号码140110196308300242。",
        fields=(
            Field("户籍地址", "山西省太原市晋源区晋祠路一段8号（晋祠镇）"),
            Field("残疾类别", "肢体残疾（二级）"),
            Field("证件编号", "14011019630830024242B2"),
        ),
        body="经核查，该同志信息与《中华人民共和国残疾人证》记载一致。\n特此证明。",
        department="太原市晋源区残疾人联合会",
        issued_on=dt.date(2024, 5, 6),
        verification_code="7K3M-9QXA-2PLD",
        qr_content="https://zwfw.example.gov.cn/v?c=7K3M9QXA2PLD&s=3f8a2c1d9e",
        valid_until=dt.date(2024, 8, 6),
        purpose="申请最低生活保障",
        footer="本证明仅用于上述用途，复印无效。",
    )
    return replace(doc, **changes)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- widths --------------------------------------------------------------------------------------


def test_columns_of_58_and_80_mm_paper():
    assert columns(PAPER_58MM) == 32
    assert columns(PAPER_80MM) == 48
    assert columns(PAPER_58MM, 2) == 16
    assert columns(PAPER_80MM, 2) == 24


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("A", 1),
        ("中", 2),
        ("䶮", 2),
        ("，", 2),
        ("。", 2),
        ("：", 2),
        ("（", 2),
        ("）", 2),
        ("《", 2),
        ("》", 2),
        ("─", 2),  # ambiguous, double-byte in GBK
        ("　", 2),  # ideographic space
        ("e\u0301", 1),  # combining accent takes no column
    ],
)
def test_character_widths(text, width):
    assert display_width(text) == width


def test_mixed_width():
    assert display_width("ABC中文，123") == 3 + 4 + 2 + 3
    assert char_width("\x1b") == 0


# --- wrapping ------------------------------------------------------------------------------------


def test_cjk_wraps_at_width_in_columns():
    lines = wrap("一二三四五六七八九十", 8)
    assert lines == ["一二三四", "五六七八", "九十"]


def test_ascii_words_are_not_split():
    lines = wrap("please verify certificate 7K3M9QXA2PLD at the hall", 16)
    assert all(display_width(line) <= 16 for line in lines)
    for word in ("please", "verify", "certificate", "7K3M9QXA2PLD", "hall"):
        assert any(word in line for line in lines), word


def test_digits_move_to_next_line_rather_than_split():
    lines = wrap("公民身份号码140110196308300242。", 20)
    assert lines == ["公民身份号码", "140110196308300242。"]


def test_masked_id_number_stays_in_one_piece():
    lines = wrap(f"{NAME}（身份证号 140110********0242）", 32)
    assert lines == [f"{NAME}（身份证号", "140110********0242）"]


def test_run_longer_than_a_line_is_split():
    token = "A" * 40
    lines = wrap(token, 16)
    assert lines == ["A" * 16, "A" * 16, "A" * 8]


def test_full_width_punctuation_never_starts_a_line():
    text = "一二三四五六七，八九十。一二三四五六七八）"
    for width in range(4, 24):
        lines = wrap(text, width)
        assert squash("".join(lines)) == text
        assert all(display_width(line) <= width for line in lines)
        assert not any(line[:1] in "，。）" for line in lines[1:]), (width, lines)


def test_closing_marks_in_a_row_stay_off_the_line_start():
    cases = [
        ("本证明仅用于上述用途（复印无效）。", 6),
        ("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳》），。", 12),
    ]
    for text, narrowest in cases:  # narrower, the marks cannot all move: the line breaks anyway
        for width in range(narrowest, 40):
            lines = wrap(text, width)
            assert squash("".join(lines)) == text
            assert not any(line[:1] in "）。》，" for line in lines[1:]), (width, lines)


def test_opening_bracket_never_ends_a_line():
    for width in range(6, 24):
        lines = wrap("申请人需提交《居民户口簿》（原件）及复印件", width)
        assert not any(line[-1:] in "《（" for line in lines), (width, lines)


def test_hanging_indent_for_continuations():
    lines = wrap("户籍地址：山西省太原市晋源区晋祠路一段8号", 20, hanging=10)
    assert lines[0].startswith("户籍地址：")
    assert all(line.startswith(" " * 10) for line in lines[1:])
    assert all(display_width(line) <= 20 for line in lines)


def test_newlines_and_empty_text():
    assert wrap("", 10) == [""]
    assert wrap("甲\n\n乙", 10) == ["甲", "", "乙"]


def test_control_characters_cannot_reach_the_printer():
    assert clean_text("正文\x1b@\x1dV\x00末尾\u200b") == "正文@V末尾"
    assert all(ch == "\n" or ord(ch) >= 0x20 for line in wrap("A\x1d\x56\x00B", 10) for ch in line)


def test_zero_width_is_refused():
    with pytest.raises(ValueError):
        wrap("x", 0)


_chars = st.sampled_from([*"中文证明刘䶮，。：（）《》、 ABCxyz0189-./", "  ", "\n"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_chars, max_size=120).map("".join), st.integers(min_value=4, max_value=48))
def test_wrap_keeps_every_character_and_fits(text, width):
    lines = wrap(text, width)
    assert all(display_width(line) <= width for line in lines)
    assert squash("".join(lines)) == squash(text)


# --- certificate layout --------------------------------------------------------------------------


@pytest.mark.parametrize("width", [PAPER_58MM, PAPER_80MM])
def test_certificate_layout_holds_every_piece(width):
    doc = certificate()
    lines = layout_document(doc, width)
    texts = [line for line in lines if isinstance(line, Text)]
    for line in texts:
        assert display_width(line.text) <= columns(width, line.size), line
    printed = squash(layout_text(lines))

    title = texts[0]
    assert (title.text, title.size, title.bold, title.align) == (
        "残疾人证明",
        2,
        True,
        Align.CENTER,
    )
    for piece in (doc.holder, doc.body, doc.purpose, doc.department, doc.footer):
        assert squash(piece) in printed
    for f in doc.fields:
        assert squash(f"{f.label}：{f.value}") in printed
    assert "2024年5月6日" in printed
    assert "有效期至：2024年8月6日" in printed
    assert f"验证码：{doc.verification_code}" in printed
    assert "扫码或登录政务服务网核验" in printed

    dept = [t for t in texts if t.text.strip() in doc.department]
    assert dept and all(t.align is Align.RIGHT for t in dept)
    assert next(t for t in texts if t.text == "2024年5月6日").align is Align.RIGHT

    qrs = [line for line in lines if isinstance(line, Qr)]
    assert [q.content for q in qrs] == [doc.qr_content]
    assert qrs[0].module >= 3
    # the verification code is printed under the QR code, the cut ends the paper
    i_qr = lines.index(qrs[0])
    assert isinstance(lines[i_qr + 1], Text) and doc.verification_code in lines[i_qr + 1].text
    assert isinstance(lines[-1], Cut)
    assert any(isinstance(line, Rule) for line in lines)
    assert any(isinstance(line, Feed) for line in lines)


SLIP_NO_START = "。，、；：！？）」』》】”…"
SLIP_NO_END = "（「『《【“"


def slip(document: Document, width: int) -> list[str]:
    return [t.text.strip() for t in layout_document(document, width) if isinstance(t, Text)]


@pytest.mark.parametrize("width", [PAPER_58MM, PAPER_80MM])
def test_slips_keep_the_line_breaking_rules(width):
    """Certificates, receipts and the test page break lines by UAX #14 (kiosk/linebreak.py)."""
    receipt = certificate(
        kind=DocumentKind.RECEIPT,
        title="城乡居民养老保险待遇领取资格认证受理回执",
        case_no="SX2026120200417",
        fields=(Field("办理事项", "城乡居民养老保险待遇领取资格认证（三晋通APP同步）"),),
        body=(
            "1. 在自助终端放置居民身份证，核验身份；\n"
            "4. 现场打印带核验码的证明，请取走身份证和证明。\n"
            "您暂无职工社会保险参保记录，可拨打12333或到社保窗口咨询。"
            "本回执有效期至2026-12-02（以最后核验日期为准），也可在“三晋通”APP查询办理进度。"
        ),
        promised_date=dt.date(2026, 12, 2),
    )
    page = check_page(
        PrinterConfig(Transport.TCP, host="127.0.0.1", width_dots=width),
        DeviceStatus(DeviceKind.PRINTER, DeviceState.ONLINE, paper=Paper.FULL, detail="就绪"),
        "a1b2c3",
        dt.date(2026, 12, 2),
    )
    for doc in (certificate(), receipt, page):
        lines = slip(doc, width)
        assert not [x for x in lines if x[:1] in SLIP_NO_START], lines
        assert not [x for x in lines if x[-1:] in SLIP_NO_END], lines
    lines = slip(receipt, width)
    for whole in ("12333", "2026-12-02", "“三晋通”APP", "4. 现场", "2026年12月2日"):
        assert any(whole in x for x in lines), (whole, lines)


def test_field_continuations_are_indented_under_the_value():
    doc = certificate(
        fields=(Field("户籍地址", "山西省太原市晋源区晋祠路一段8号院3号楼2单元501室"),)
    )
    texts = [t.text for t in layout_document(doc, PAPER_58MM) if isinstance(t, Text)]
    i = next(i for i, t in enumerate(texts) if t.startswith("户籍地址："))
    assert texts[i + 1].startswith(" " * display_width("户籍地址："))
    assert not texts[i + 1].strip().startswith("户籍地址")


def test_narrow_paper_needs_more_lines():
    doc = certificate()
    narrow = [x for x in layout_document(doc, PAPER_58MM) if isinstance(x, Text)]
    wide = [x for x in layout_document(doc, PAPER_80MM) if isinstance(x, Text)]
    assert len(narrow) > len(wide)
    assert squash(layout_text(narrow)) == squash(layout_text(wide))


def test_qr_module_grows_with_paper():
    doc = certificate()
    q58 = next(x for x in layout_document(doc, PAPER_58MM) if isinstance(x, Qr))
    q80 = next(x for x in layout_document(doc, PAPER_80MM) if isinstance(x, Qr))
    assert q80.module > q58.module


def test_receipt_shows_case_number_and_promised_date():
    doc = certificate(
        kind=DocumentKind.RECEIPT,
        title="最低生活保障申请",
        case_no="SX2024050600123",
        promised_date=dt.date(2024, 5, 20),
        valid_until=None,
    )
    lines = layout_document(doc, PAPER_58MM)
    printed = squash(layout_text(lines))
    assert "受理回执" in printed
    assert "受理编号：SX2024050600123" in printed
    assert "承诺办结日期：2024年5月20日" in printed
    assert f"查询码：{doc.verification_code}" in printed
    assert "有效期至" not in printed
    assert isinstance(lines[-1], Cut)


def test_receipt_does_not_repeat_what_the_platform_listed():
    doc = certificate(
        kind=DocumentKind.RECEIPT,
        title="受理回执",
        case_no="14010020250314000020",
        promised_date=dt.date(2025, 3, 21),
        fields=(
            Field("受理编号", "14010020250314000020"),
            Field("预计办结日期", "2025年3月21日"),
        ),
    )
    printed = layout_text(layout_document(doc, PAPER_58MM))
    assert printed.count("14010020250314000020") == 1
    assert printed.count("2025年3月21日") == 1 and "承诺办结日期" not in printed


def test_optional_parts_are_left_out():
    doc = certificate(purpose="", footer="", valid_until=None, body="", fields=())
    printed = layout_text(layout_document(doc, PAPER_80MM))
    assert "用途" not in printed and "有效期至" not in printed


# --- drawing -------------------------------------------------------------------------------------


def test_font_finder_gives_a_face():
    path, index = find_cjk_font()
    assert path.is_file() and index >= 0
    assert find_cjk_font(bold=True).path.is_file()


@pytest.mark.parametrize("width", [PAPER_58MM, PAPER_80MM])
def test_preview_has_the_paper_width_and_ink(width):
    img = render_png(certificate(), width)
    assert img.width == width
    assert img.height > 600
    assert img.mode == "RGB"
    assert img.convert("L").getextrema()[0] < 60  # there is dark ink on it


def test_text_line_alignment_lands_where_the_printer_puts_it():
    def ink_box(align):
        img = render_text_line("证明", 384, align=align)
        return img.point(lambda v: 255 if v < 128 else 0).getbbox()

    left, center, right = (ink_box(a) for a in Align)
    assert left[0] < 4
    assert abs((center[0] + center[2]) / 2 - 192) < 4
    assert right[2] > 380


def test_ink_is_pure_black_and_white_without_dither():
    img = to_ink(render_text_line(NAME, 384))
    assert set(img.getdata()) == {0, 255}
    grey = render_text_line(NAME, 384)
    assert all(
        (g <= INK_THRESHOLD) == (i == 0) for g, i in zip(grey.getdata(), img.getdata(), strict=True)
    )


def test_overlong_line_continues_like_on_paper():
    one = render_text_line("中" * 16, 384)
    two = render_text_line("中" * 17, 384)
    assert two.height == 2 * one.height
