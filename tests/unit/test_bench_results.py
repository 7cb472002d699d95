"""bench/results.py: every figure kept once, with its target, whether it was met, the machine."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

# bench/ is a folder of scripts, not an installed package: load the module from its file
_spec = importlib.util.spec_from_file_location(
    "bench_results", Path(__file__).resolve().parents[2] / "bench" / "results.py"
)
results = importlib.util.module_from_spec(_spec)
sys.modules["bench_results"] = results  # dataclasses look their module up
_spec.loader.exec_module(results)


@pytest.fixture
def kept(tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    monkeypatch.setattr(results, "RESULTS", path)
    return path


def test_a_figure_is_printed_and_kept_with_its_verdict(kept, capsys):
    results.record(
        "outbox", "delivery_ratings_per_s", 1500, "ratings/s", results.at_least(2000, "x")
    )
    results.record("outbox", "enqueue_p99_ms", 12.5, "ms", results.at_most(50, "y"), n=10)
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    entries = json.loads(kept.read_text())
    assert entries == printed
    slow, fast = entries
    assert (slow["target"], slow["met"]) == (">= 2000", False)
    assert (fast["target"], fast["met"], fast["detail"]["n"]) == ("<= 50", True, 10)
    assert set(fast["machine"]) == {"cpu", "cores", "python", "kernel"}
    assert fast["detail"]["target_basis"] == "y"
    assert fast["when"]


def test_a_figure_recorded_again_replaces_the_earlier_one(kept):
    results.record("qr", "classify_per_s", 1, "payloads/s")
    results.record("qr", "classify_per_s", 2, "payloads/s")
    results.record("qr", "wedge_keys_per_s", 3, "keys/s")
    entries = results.load()
    assert [(e["figure"], e["value"], e["met"]) for e in entries] == [
        ("classify_per_s", 2, None),
        ("wedge_keys_per_s", 3, None),
    ]


def test_clear_starts_a_new_run(kept):
    results.record("qr", "classify_per_s", 1, "payloads/s")
    results.main(["--clear"])
    assert results.load() == []
