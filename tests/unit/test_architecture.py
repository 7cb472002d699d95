"""Rules of the house that a grep can keep: the layers, the font, the lint."""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> set[str]:
    """Every module this file imports at run time, wherever the import stands (a function's
    own lazy import included); imports only for type checkers are not dependencies."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):  # drop `if TYPE_CHECKING:` blocks
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from pkg import mod` names the module mod; `from mod import name` names mod
            names.update(f"{node.module}:{alias.name}" for alias in node.names)
    return names


def imported_modules(path: Path) -> set[str]:
    return {n.split(":")[0] for n in imports(path)}


def files(*dirs: str) -> list[Path]:
    return [p for d in dirs for p in sorted((ROOT / d).rglob("*.py"))]


PACKAGES = ("kiosk", "drivers", "offline", "screens", "cli", "devkit", "bench", "fuzz")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def module_graph() -> dict[str, set[str]]:
    """The project's modules and which of them each one imports."""
    paths = [*files(*PACKAGES), ROOT / "main.py", ROOT / "wiring.py"]
    names = {module_name(p): p for p in paths}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        uses = set()
        for n in imports(path):
            module, _, attr = n.partition(":")
            uses.add(f"{module}.{attr}" if f"{module}.{attr}" in names else module)
        graph[name] = {u for u in uses if u in names and u != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_itself_round_a_circle():
    found = cycles(module_graph())
    assert not found, f"import cycles: {found}"


def test_no_package_imports_itself_round_a_circle():
    """kiosk is the bottom: drivers, offline and screens use it; devkit and main use them all;
    nothing below imports what stands above it."""
    packages: dict[str, set[str]] = {}
    for module, uses in module_graph().items():
        top = module.split(".")[0]
        packages.setdefault(top, set()).update(u.split(".")[0] for u in uses)
    for top, uses in packages.items():
        uses.discard(top)
    assert not cycles(packages), f"package cycles: {cycles(packages)}"
    assert packages["kiosk"] == set(), "the core uses nothing of the project but itself"


# Modules longer than this say why beside them here; the journey's phases stay much smaller.
MAX_LINES = 600
JOURNEY_MAX_LINES = 400
LONG_FOR_A_REASON = {
    "devkit/seed.py": "the demo's data: 31 published items with their guides, as tables",
    "devkit/platform_server.py": "the reference platform: every operation of the contract",
    "devkit/printer_emulator.py": "an ESC/POS interpreter: each command the kiosk may send",
    "devkit/scripts.py": "the autopilot's scripts: one generator per scripted journey",
    "drivers/escpos_printer.py": "status, encoding and the job's life on one printer link",
    "kiosk/platform.py": "the client of every operation of the contract, and what each failure means",
}


@pytest.mark.parametrize(
    "path",
    [*files(*PACKAGES), ROOT / "main.py", ROOT / "wiring.py"],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_modules_are_small_enough_to_read_in_one_sitting(path):
    rel = str(path.relative_to(ROOT))
    lines = len(path.read_text().splitlines())
    limit = JOURNEY_MAX_LINES if rel.startswith("kiosk/journey/") else MAX_LINES
    if rel in LONG_FOR_A_REASON:
        return
    assert lines <= limit, f"{rel} has {lines} lines (limit {limit}): split it or say why"


def test_the_journey_reads_no_clock_and_draws_no_id():
    """Time and ids come in with each event (kiosk.journey.now), so a log replays exactly."""
    for path in files("kiosk/journey"):
        if path.name == "now.py":
            continue
        used = {n.split(".")[0] for n in imported_modules(path)}
        assert not used & {"time", "uuid", "random", "secrets"}, path.name
        assert ".now()" not in path.read_text() and ".today()" not in path.read_text(), path.name


@pytest.mark.parametrize(
    "path", files("kiosk", "drivers", "offline"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_the_core_imports_no_kivy_and_no_devkit(path):
    bad = {
        n
        for n in imported_modules(path)
        if n.split(".")[0] in ("kivy", "devkit", "screens", "cli", "main", "wiring")
    }
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", files("screens"), ids=lambda p: str(p.relative_to(ROOT)))
def test_screens_never_import_the_devkit(path):
    bad = {n for n in imported_modules(path) if n.split(".")[0] == "devkit"}
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


# ---- every word from the catalogue -------------------------------------------------------------

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
NOT_WORDS = "# not words"  # a literal of Chinese characters that is data, not text to translate
TEXT_PACKAGES = ("kiosk", "drivers", "offline", "screens", "cli")


def unmarked_chinese(path: Path) -> list[str]:
    """Chinese in a string literal that is neither a docstring nor the text of _() / N_()."""
    source = path.read_text()
    tree = ast.parse(source)
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)
            if name in ("_", "N_") and node.args:
                allowed.add(id(node.args[0]))
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = body[0] if body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                allowed.add(id(first.value))
    exempt_lines = {
        tok.start[0]
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.COMMENT and tok.string.startswith(NOT_WORDS)
    }
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # an f-string's words cannot be in a catalogue
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if CJK.search(text) and not exempt_lines & {node.lineno, node.lineno - 1}:
                bad.append(f"{node.lineno}: f-string {text[:40]!r} (use _(...).format())")
            allowed.update(id(v) for v in node.values)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and CJK.search(node.value)
            and id(node) not in allowed
            and not exempt_lines & {node.lineno, node.lineno - 1}
        ):
            bad.append(f"{node.lineno}: {node.value[:40]!r}")
    return bad


@pytest.mark.parametrize(
    "path", [*files(*TEXT_PACKAGES), ROOT / "main.py"], ids=lambda p: str(p.relative_to(ROOT))
)
def test_every_chinese_text_in_code_is_marked_for_the_catalogue(path):
    """Names of data (an item, a department) come from the platform; words the kiosk itself
    says are marked, so that a translation is a matter of translating a file."""
    bad = unmarked_chinese(path)
    assert not bad, f"{path.relative_to(ROOT)}: not marked with _() or N_(): {bad}"


@pytest.mark.parametrize(
    "path", sorted((ROOT / "screens").glob("*.kv")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_every_chinese_text_in_kv_rules_is_marked_for_the_catalogue(path):
    literal = re.compile(r"""(?<![\w.])(?:tr\._\()?(['"])((?:(?!\1).)*)\1""")
    bad = []
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if line.strip().startswith("#") or NOT_WORDS in line:
            continue
        for match in literal.finditer(line):
            if CJK.search(match.group(2)) and not match.group(0).startswith("tr._("):
                bad.append(f"{n}: {match.group(2)[:40]!r}")
    assert not bad, f"{path.name}: not marked with tr._(): {bad}"


@pytest.mark.parametrize(
    "path", [*files(*TEXT_PACKAGES), ROOT / "main.py"], ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_function_that_translates_uses_underscore_as_a_throwaway_name(path):
    """`name, _, value = …` in a function that also calls _() makes _ a local string there: the
    text is never shown (found once on the rating screen, where a render stopped half-way)."""
    tree = ast.parse(path.read_text())
    bad = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        params = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
        params += [a for a in (fn.args.vararg, fn.args.kwarg) if a is not None]
        stores = any(a.arg == "_" for a in params) or any(
            (isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store))
            or (isinstance(n, ast.ExceptHandler) and n.name == "_")
            for n in ast.walk(fn)
        )
        calls = any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
            for n in ast.walk(fn)
        )
        if stores and calls:
            bad.append(f"line {fn.lineno}")
    assert not bad, f"{path.relative_to(ROOT)}: _ is both a throwaway name and the catalogue: {bad}"
