"""Rules of the house that a grep can keep: the layers, the font, the lint."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def files(*dirs: str) -> list[Path]:
    return [p for d in dirs for p in sorted((ROOT / d).rglob("*.py"))]


@pytest.mark.parametrize(
    "path", files("kiosk", "drivers", "offline"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_the_core_imports_no_kivy_and_no_devkit(path):
    bad = {n for n in imports(path) if n.split(".")[0] in ("kivy", "devkit", "screens", "main")}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", files("screens"), ids=lambda p: str(p.relative_to(ROOT)))
def test_screens_never_import_the_devkit(path):
    bad = {n for n in imports(path) if n.split(".")[0] == "devkit"}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_every_screen_has_its_own_kv():
    from screens.app import SCREENS

    for target in SCREENS.values():
        module = target.split(":")[0].split(".")[1]
        assert (ROOT / "screens" / f"{module}.py").is_file()
        assert (ROOT / "screens" / f"{module}.kv").is_file(), f"{module}.kv is missing"


def test_every_character_the_kiosk_shows_is_in_the_font():
    """A missing glyph is a box on a citizen's screen: check every character we ship."""
    from fontTools.ttLib import TTFont

    from screens.fonts import prepare

    texts = [p.read_text() for p in (ROOT / "screens").glob("*.kv")]
    texts += [p.read_text() for p in files("screens")]
    texts += [
        (ROOT / "kiosk" / name).read_text() for name in ("messages.py", "models.py", "ratings.py")
    ]
    texts += [p.read_text() for p in files("kiosk/journey")]
    texts += [(ROOT / "devkit" / name).read_text() for name in ("seed.py", "people.py")]
    wanted = {ch for text in texts for ch in text if ord(ch) > 0x7F}
    for path in prepare():
        cmap = TTFont(str(path), lazy=True).getBestCmap()
        missing = sorted(ch for ch in wanted if ord(ch) not in cmap)
        assert not missing, f"{path.name} lacks {''.join(missing)}"


def test_ruff_is_clean():
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is not installed in this environment")
    check = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-3000:]
    fmt = subprocess.run([ruff, "format", "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout[-3000:]
