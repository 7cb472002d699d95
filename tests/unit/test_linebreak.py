"""Chinese line breaking (kiosk/linebreak.py) on the kiosk's own sentences.

Every rule is checked by ``violations``; ``test_the_checks_catch_a_naive_breaker`` runs the same
checks on a breaker that cuts wherever the width runs out (what Kivy does to text without
spaces), so each check is shown to be able to fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk.linebreak import KEEP_WHOLE, break_lines, line_spans
from kiosk.print_layout import display_width

POT = Path(__file__).resolve().parents[2] / "assets" / "locale" / "kiosk.pot"

# From the catalogue (asserted below), filled in as the screens fill them.
CATALOGUE = {
    "也可以打开“三晋通”或国家网络身份认证（网证）的身份码，对准扫码口": {},
    "办件编号：{case_no}\n您选择了不打印证明。如需纸质证明，可凭办件编号到人工窗口打印，"
    "或在“三晋通”APP查询。": {"case_no": "SX2026120200417"},
    "本机可识别：营业执照二维码、三晋通或国家网络身份认证（网证）的身份码、"
    "本机出具证明上的核验二维码。请确认后重新扫码。": {},
    "您出示的身份码已过期。请在手机APP中刷新身份码后重新出示。": {},
    "网络暂时中断，以上是本机保存的指南，更新于 {when}。内容可能不是最新，请以人工窗口答复为准。": {
        "when": "12月02日 09:30"
    },
    "为保护您的信息，本次办理已超时退出。请重新放置身份证。": {},
}
# From the reference platform's items (devkit/seed.py): what the platform sends to be shown.
PLATFORM = [
    "您暂无职工社会保险参保记录，可拨打12333或到社保窗口咨询",
    "4. 现场打印带核验码的证明，请取走身份证和证明。",
    "本证明有效期至2026-12-02（以最后核验日期为准）。逾期请重新申请《居民户口簿》「原件」。",
]
SAMPLES = [k.format(**v) for k, v in CATALOGUE.items()] + PLATFORM

NO_START = "。，、；：！？）」』》】”…"
NO_END = "（「『《【“"
# What must never be cut: numbers, codes, dates, Latin words, the kept names.
WHOLE = re.compile(
    r"\d+年\d+月\d+日|\d+月\d+日|\d+(?:[-.:]\d+)*|[A-Za-z0-9]+|"
    + "|".join(map(re.escape, KEEP_WHOLE))
)

Spans = list[tuple[int, int]]


def violations(text: str, spans: Spans) -> list[str]:
    """Every broken rule in ``text`` cut into ``spans``, named."""
    found = []
    starts = {a for a, _ in spans[1:] if text[a - 1 : a] != "\n"}
    for a, b in spans:
        line = text[a:b]
        if a in starts and line[:1] in NO_START:
            found.append(f"closing mark starts a line: {line!r}")
        if line[-1:] in NO_END:
            found.append(f"opening mark ends a line: {line!r}")
    for m in WHOLE.finditer(text):
        if any(m.start() < s < m.end() for s in starts):
            found.append(f"cut: {m.group()!r}")
    list_number = re.match(r"\d+\. ", text)
    if list_number and list_number.end() in starts:
        found.append("a step's number alone at a line's end")
    return found


def naive_spans(text: str, width: int, measure: Callable[[str], float]) -> Spans:
    """Kivy's way: break after the last space that lets the line fit; where a line holds no
    space, after the last character that fits."""
    spans, start = [], 0
    for para in text.split("\n"):
        a, i = 0, 1
        while i <= len(para):
            if measure(para[a:i].rstrip()) > width and i - 1 > a:
                spaces = [j + 1 for j in range(a, i - 1) if para[j] == " " and para[j + 1] != " "]
                cut = spaces[-1] if spaces else i - 1
                spans.append((start + a, start + len(para[a:cut].rstrip()) + a))
                a = cut
            i += 1
        spans.append((start + a, start + len(para)))
        start += len(para) + 1
    return spans


def test_the_samples_are_the_catalogues():
    ids = {m.id for m in read_po(POT.open("rb")) if isinstance(m.id, str)}
    assert set(CATALOGUE) <= ids


@pytest.mark.parametrize("text", SAMPLES)
def test_every_rule_holds_at_every_width(text):
    for width in range(16, 61):
        spans = line_spans(text, width, display_width)
        assert violations(text, spans) == [], width
        lines = [text[a:b] for a, b in spans]
        assert all(display_width(line) <= width for line in lines), (width, lines)
        assert "".join(lines).replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_the_checks_catch_a_naive_breaker():
    """Each check fails somewhere on the same sentences when lines are cut anywhere."""
    seen = " ".join(
        v
        for text in SAMPLES
        for width in range(16, 61)
        for v in violations(text, naive_spans(text, width, display_width))
    )
    for kind in ("closing mark starts", "opening mark ends", "'三晋通'", "'12333'", "'APP'"):
        assert kind in seen, kind
    assert "'2026-12-02'" in seen and "step's number" in seen


def test_what_a_citizen_reads():
    text = SAMPLES[1]  # 15 characters a line: a narrow panel at a large size
    assert break_lines(text, 30, display_width) == [
        "办件编号：SX2026120200417",
        "您选择了不打印证明。如需纸质证",
        "明，可凭办件编号到人工窗口打",
        "印，或在“三晋通”APP查询。",
    ]
    assert break_lines(PLATFORM[0], 20, display_width) == [
        "您暂无职工社会保险参",
        "保记录，可拨打12333",
        "或到社保窗口咨询",
    ]


def test_measured_in_pixels_too():
    """The unit is the caller's: a label measures in pixels, with its font's widths."""

    def pixels(s: str) -> float:
        return sum(40.0 if display_width(ch) == 2 else 21.5 for ch in s)

    for width in (300, 410.5, 777):
        spans = line_spans(SAMPLES[0], width, pixels)
        assert violations(SAMPLES[0], spans) == []
        assert all(pixels(SAMPLES[0][a:b]) <= width for a, b in spans)


def test_newlines_stay_and_indents_are_kept():
    assert break_lines("甲\n\n乙\n", 10, display_width) == ["甲", "", "乙", ""]
    assert break_lines("    经核查，信息一致。", 12, display_width) == [
        "    经核查，",
        "信息一致。",
    ]


def test_rest_width_for_a_hanging_indent():
    lines = break_lines(
        "户籍地址：山西省太原市晋源区晋祠路一段8号", 20, display_width, rest_width=10
    )
    assert display_width(lines[0]) <= 20 and all(display_width(x) <= 10 for x in lines[1:])


def test_a_piece_wider_than_a_line_is_cut_and_only_then():
    assert break_lines("验证码：" + "7K3M9QXA2PLD" * 2, 10, display_width) == [
        "验证码：",
        "7K3M9QXA2P",
        "LD7K3M9QXA",
        "2PLD",
    ]
    # a date wider than the line breaks between its parts, not inside a number
    assert break_lines("有效期至2026年12月2日", 8, display_width) == [
        "有效期至",
        "2026年",
        "12月2日",
    ]


def test_zero_width_is_refused():
    with pytest.raises(ValueError):
        line_spans("x", 0, display_width)
