"""What breaking a label's lines by the Chinese rules costs (screens/breaking.py).

The catalogue's longest sentences, laid out in a portrait panel's paragraph label (body size,
32 px, 1000 px wide; 长辈模式: 48 px) with the kiosk's CJK font, measured with the label's own
``get_extents`` as the screens do. Per label, the median over the sentences:
- cold_ms: the first time a text is shown (UAX #14 analysis, measuring, no cache);
- new_width_ms: the same text at another width (a rotation, 长辈模式): analysis cached;
- cached_ms: shown again at the same width and font (every later render);
- kivy_layout_ms: Kivy's own layout of the same text, which runs anyway, for comparison.

    python bench/linebreak.py [--longest 20] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import main  # noqa: E402

main.kivy_environment(tempfile.mkdtemp(prefix="kivy-bench-"))

from babel.messages.pofile import read_po  # noqa: E402
from kivy.uix.label import Label  # noqa: E402

from bench.results import DERIVED, at_most, record  # noqa: E402
from kiosk import linebreak  # noqa: E402
from screens import breaking, fonts  # noqa: E402

# One frame at the kiosk's 30 fps is 33 ms, shared by every label a screen shows for the first
# time; a long paragraph's first layout should take well under a third of it.
COLD_MS = 10.0


class BreakingLabel(breaking.LineBreaking, Label):
    pass


def longest_sentences(n: int) -> list[str]:
    pot = ROOT / "assets" / "locale" / "kiosk.pot"
    ids = {m.id for m in read_po(pot.open("rb")) if isinstance(m.id, str) and m.id}
    return sorted(ids, key=len, reverse=True)[:n]


def clear_caches() -> None:
    linebreak._uax14.cache_clear()
    linebreak.break_positions.cache_clear()
    breaking._BROKEN.clear()


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def main_(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--longest", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    fonts.register()
    texts = longest_sentences(args.longest)
    figures: dict[str, list[float]] = {k: [] for k in ("cold", "width", "cached", "kivy")}
    for size, width in ((32, 1000), (48, 1000)):
        for text in texts:
            per: dict[str, list[float]] = {k: [] for k in figures}
            for _ in range(args.rounds):
                clear_caches()
                label = BreakingLabel(text=text, font_size=size, text_size=(width, None))
                per["cold"].append(timed(label._broken_text))
                label.text_size = (width * 0.6, None)
                per["width"].append(timed(label._broken_text))
                per["cached"].append(timed(label._broken_text))
                shown = label._broken_text()
                label._label.text = shown
                per["kivy"].append(timed(label._label.render))
            for k in figures:
                figures[k].append(statistics.median(per[k]))
    detail = {
        "texts": len(texts),
        "chars_median": statistics.median(len(t) for t in texts),
        "chars_max": max(len(t) for t in texts),
        "sizes_px": [32, 48],
        "rounds": args.rounds,
    }
    record(
        "linebreak",
        "cold_ms",
        round(statistics.median(figures["cold"]), 3),
        "ms/label",
        at_most(COLD_MS, DERIVED + "a third of one 30 fps frame for a long paragraph"),
        max_ms=round(max(figures["cold"]), 3),
        **detail,
    )
    record("linebreak", "new_width_ms", round(statistics.median(figures["width"]), 3), "ms/label")
    record("linebreak", "cached_ms", round(statistics.median(figures["cached"]), 4), "ms/label")
    record("linebreak", "kivy_layout_ms", round(statistics.median(figures["kivy"]), 3), "ms/label")


if __name__ == "__main__":
    main_()
