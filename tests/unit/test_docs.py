"""The project's documents: every one that is cited exists here, and their figures are the code's.

Code, tests and docs cite facts (protocols, rules, sizes) from docs/ in this repository, never
from files a checkout does not have.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".git", ".venv", "out", "build", "dist", "__pycache__", ".pytest_cache"}
SKIP_DIRS |= {".ruff_cache", ".hypothesis", "artifacts"}
TEXT_SUFFIXES = {".py", ".kv", ".md", ".yaml", ".yml", ".toml", ".service", ".txt", ".cfg"}
TEXT_NAMES = {"Makefile", "run"}

# a file name ending in .md, with or without a directory, not part of a URL or a longer word
MD_MENTION = re.compile(r"(?<![\w/.:-])((?:\.\.?/)*[\w-][\w./-]*\.md)(?![\w])")


def project_files() -> list[Path]:
    out = []
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT)
        if any(part in SKIP_DIRS or part.endswith(".egg-info") for part in rel.parts[:-1]):
            continue
        if path.is_file() and (path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES):
            out.append(path)
    return out


def mentions(text: str) -> list[str]:
    return MD_MENTION.findall(text)


def resolves(mention: str, where: Path) -> bool:
    """A mention names a file in the repository, from the mentioning file's folder or the root."""
    for base in (where.parent, ROOT):
        target = (base / mention).resolve()
        if target.is_relative_to(ROOT) and target.is_file():
            return True
    return False


def test_the_mention_finder_finds_what_it_must() -> None:
    md = ".md"  # spelt apart, so that this file cites none of them itself
    text = f"see UI{md}, docs/ui{md}#type, (codes{md}) and ../shared/DESIGN{md}; not x{md}x"
    assert mentions(text) == [f"UI{md}", f"docs/ui{md}", f"codes{md}", f"../shared/DESIGN{md}"]
    assert mentions("https://github.com/kivy/kivy/blob/master/README" + ".md") == []


def test_every_document_mentioned_is_in_the_repository() -> None:
    missing = [
        f"{path.relative_to(ROOT)}: {mention}"
        for path in project_files()
        for mention in mentions(path.read_text(encoding="utf-8", errors="replace"))
        if not resolves(mention, path)
    ]
    assert not missing, "documents cited but not in the repository:\n" + "\n".join(missing)


def test_nothing_points_outside_the_repository() -> None:
    outside = re.compile(r"\.\./shared\b|shared/reference")
    bad = [
        str(path.relative_to(ROOT))
        for path in project_files()
        if path != Path(__file__) and outside.search(path.read_text(errors="replace"))
    ]
    assert not bad, f"these files point at files outside the repository: {bad}"


# ---- docs/ui.md: the colour tables are the theme's ---------------------------------------------


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2.x contrast ratio of two sRGB colours."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


ROW = re.compile(r"^\| `(\w+)`[^|]*\| (#[0-9A-F]{6}) \| *([\d.]*) *\| *([\d.]*) *\|", re.MULTILINE)


def colour_tables() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    text = (ROOT / "docs/ui.md").read_text(encoding="utf-8")
    colours = text.split("## Colours", 1)[1].split("## Type", 1)[0]
    normal, elder = colours.split("### 长辈模式", 1)
    return ROW.findall(normal), ROW.findall(elder)


def test_contrast_of_a_known_pair() -> None:
    assert round(contrast("#000000", "#FFFFFF"), 2) == 21.0
    assert round(contrast("#767676", "#FFFFFF"), 2) == 4.54  # the usual 4.5:1 grey


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_the_ui_colour_tables_are_the_themes(elder: bool) -> None:
    from screens.theme import COLOURS, ELDER_COLOURS

    rows = colour_tables()[elder]
    palette = ELDER_COLOURS if elder else COLOURS
    assert {token for token, *_ in rows} == set(palette), "every token, and only those"
    for token, hex_colour, on_white, on_background in rows:
        assert palette[token].upper() == hex_colour, token
        for figure, ground in ((on_white, "#FFFFFF"), (on_background, COLOURS["background"])):
            if figure:
                assert figure == f"{contrast(hex_colour, ground):.2f}", (token, ground)
