"""Every kept fuzz input, replayed through its harness without the fuzzing engine.

The corpora (tests/data/corpus/) hold what the coverage-guided fuzzer found worth keeping,
the regressions (tests/data/regressions/) the inputs that once found a bug: replaying them in
every test run keeps a fixed finding fixed. See docs/fuzzing.md.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from fuzz.targets import CORPUS, REGRESSIONS, TARGETS, kept_inputs

CASES = [(target, path) for target in TARGETS for path in kept_inputs(target)]


def _id(case: tuple[str, Path]) -> str:
    target, path = case
    return f"{path.parent.parent.name}/{target}/{path.name[:28]}"


@pytest.mark.parametrize("target", TARGETS)
def test_every_target_keeps_a_corpus(target: str) -> None:
    kept = list((CORPUS / target).iterdir()) if (CORPUS / target).is_dir() else []
    assert len(kept) >= 3, f"tests/data/corpus/{target} lost its inputs"


def test_the_kept_inputs_stay_small() -> None:
    files = [p for d in (CORPUS, REGRESSIONS) if d.is_dir() for p in d.rglob("*") if p.is_file()]
    assert len(files) < 1000
    assert sum(p.stat().st_size for p in files) < 1_000_000


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_a_kept_input_raises_nothing_unexpected(case: tuple[str, Path]) -> None:
    target, path = case
    importlib.import_module(f"fuzz.{target}").one_input(path.read_bytes())
