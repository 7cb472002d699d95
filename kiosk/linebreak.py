"""Where a line of Chinese (or mixed) text may break, and the lines it makes at a given width.

The break opportunities are those of the Unicode line breaking algorithm (UAX #14) as uniseg
implements it: no closing punctuation (。，、）」》…) at the start of a line, no opening
punctuation (（「《“) at the end of one, numbers, dates and Latin words whole (12333, 4.,
2026-12-02, APP). On top of it the kiosk keeps a few names whole (``KEEP_WHOLE``), which UAX #14
would cut between any two ideographs, a step's number with its first word, and a number with
the 年/月/日 after it. The rules, with examples, are in docs/line-breaking.md.

One function for every surface: the screen's labels measure with the label's font
(screens/breaking.py), the printer counts columns (kiosk/print_layout.py). Neither knows the
rules; both hand in a width and a way to measure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from uniseg.graphemecluster import grapheme_cluster_boundaries
from uniseg.linebreak import line_break, line_break_boundaries

# Width of a piece of text, in whatever unit the caller's width is (pixels, printer columns).
Measure = Callable[[str], float]

# Names a citizen reads as one word, never cut in two (UAX #14 allows a break between any two
# ideographs, so "三晋/通" would be legal). Short on purpose: only names and terms the kiosk
# shows, none longer than a line of the narrowest slip could hold.
# not words: matched in the text, whatever the language shown
KEEP_WHOLE = tuple("三晋通 一证通办 好差评 零跑腿 身份证 身份码 二维码 长辈模式 工作人员".split())

# A step's number stays with the step's first word ("4. 现场打印…", never "4." alone at a line's
# end), and a date or time written with units stays whole ("2026年12月2日", "12月02日"): UAX #14
# allows a break after "4. " and between a digit and an ideograph.
# not words: patterns
_LIST_NUMBER = re.compile(r"\s*\d{1,3}[.、．]\s*")
_DATE_UNITS = frozenset("年月日时分秒")  # not words


@lru_cache(maxsize=4096)
def _uax14(paragraph: str) -> tuple[int, ...]:
    """UAX #14's own break opportunities (uniseg is pure Python, about 0.15 ms a character,
    and the same texts are laid out again and again: cached)."""
    return tuple(line_break_boundaries(paragraph))


@lru_cache(maxsize=4096)
def break_positions(paragraph: str) -> tuple[int, ...]:
    """Offsets in ``paragraph`` (no newline) where a new line may start, ascending, ending with
    ``len(paragraph)``: UAX #14's, less those inside what the kiosk keeps whole."""
    inside: set[int] = set()
    for word in KEEP_WHOLE:
        at = paragraph.find(word)
        while at >= 0:
            inside.update(range(at + 1, at + len(word)))
            at = paragraph.find(word, at + 1)
    number = _LIST_NUMBER.match(paragraph)
    if number and number.end() < len(paragraph):
        inside.add(number.end())
    inside.update(i for i in range(1, len(paragraph)) if _in_date(paragraph, i))
    return tuple(b for b in _uax14(paragraph) if b not in inside)


def _in_date(p: str, i: int) -> bool:
    """Whether ``i`` falls inside a date or time written with units ("2026年12月2日", "9时30分")."""
    if p[i] in _DATE_UNITS:
        return _unit_after_number(p, i)
    return p[i].isdigit() and p[i - 1] in _DATE_UNITS and i >= 2 and p[i - 2].isdigit()


def line_spans(
    text: str, width: float, measure: Measure, *, rest_width: float | None = None
) -> list[tuple[int, int]]:
    """The lines of ``text`` as (start, end) offsets into it, trailing spaces left out.

    The first line of the text is ``width`` wide, every later one ``rest_width`` (a hanging
    indent makes it narrower; default ``width``). An explicit newline always starts a line.
    Lines are filled greedily at UAX #14 break opportunities; a piece with no opportunity that
    is wider than a whole line (a long code, a URL) is cut between characters, starting on the
    line it falls on. Leading spaces of a paragraph are kept (an indent) unless they leave no
    room for its first piece.
    """
    if width <= 0:
        raise ValueError("width must be positive")
    rest = width if rest_width is None else rest_width
    if rest <= 0:
        raise ValueError("rest_width must be positive")
    spans: list[tuple[int, int]] = []
    start = 0
    for paragraph in text.split("\n"):
        avail = width if not spans else rest
        spans.extend((start + a, start + b) for a, b in _paragraph(paragraph, avail, rest, measure))
        start += len(paragraph) + 1
    return spans


def break_lines(
    text: str, width: float, measure: Measure, *, rest_width: float | None = None
) -> list[str]:
    """``text`` as lines no wider than ``width`` (see ``line_spans``), without trailing spaces."""
    return [text[a:b] for a, b in line_spans(text, width, measure, rest_width=rest_width)]


def _rstrip_end(text: str, a: int, b: int) -> int:
    while b > a and text[b - 1].isspace():
        b -= 1
    return b


def _paragraph(p: str, first: float, rest: float, measure: Measure) -> list[tuple[int, int]]:
    """Greedy filling of one paragraph; ``first`` is its first line's width."""
    end = _rstrip_end(p, 0, len(p))
    if measure(p[:end]) <= first:  # the common case, and no break analysis needed
        return [(0, end)]
    lines: list[tuple[int, int]] = []
    avail = first
    line = 0  # where the current line starts
    prev = 0  # where the last piece put on it ends

    def fits(upto: int) -> bool:
        return measure(p[line : _rstrip_end(p, line, upto)]) <= avail

    for cut in break_positions(p):
        if fits(cut):
            prev = cut
            continue
        if p[line:prev].strip():  # something on this line: end it before the piece
            lines.append((line, _rstrip_end(p, line, prev)))
            avail = rest
        line = prev  # (an indent that leaves no room for the piece is dropped)
        while not fits(cut):  # a piece wider than a whole line: it has to be cut
            stop = _last_fitting(p, line, cut, fits)
            lines.append((line, _rstrip_end(p, line, stop)))
            line, avail = stop, rest
        prev = cut
    lines.append((line, _rstrip_end(p, line, len(p))))
    return lines


def _last_fitting(p: str, line: int, cut: int, fits: Callable[[int], bool]) -> int:
    """Where to end a line inside an over-long piece: at UAX #14's last opportunity that fits
    (between the parts of a kept name or a date, never between a number and its 年/月/日), else
    between characters, where possible not before closing or after opening punctuation; at
    least one character."""
    soft = [b for b in _uax14(p) if line < b < cut and not _unit_after_number(p, b) and fits(b)]
    if soft:
        return soft[-1]
    chars = [line + b for b in grapheme_cluster_boundaries(p[line:cut]) if b > 0]
    fitting = [b for b in chars if fits(b)]
    polite = [b for b in fitting if b == cut or _polite(p, b)]
    return (polite or fitting or chars)[-1 if (polite or fitting) else 0]


def _unit_after_number(p: str, i: int) -> bool:
    return p[i] in _DATE_UNITS and p[i - 1].isdigit()


# UAX #14 classes that never start a line (closing punctuation, 。，、！？：…) and that never
# end one (opening punctuation), for the last resort of cutting between characters.
_NO_START = frozenset({"CL", "CP", "EX", "IS", "NS", "IN"})
_NO_END = frozenset({"OP"})


def _polite(p: str, i: int) -> bool:
    return line_break(p[i]).name not in _NO_START and line_break(p[i - 1]).name not in _NO_END
