"""A short soak: thirty varied journeys through the real app, as `make soak` runs five thousand.

Memory is not judged on so few journeys (the caches are still filling); what is: every journey
done, nothing logged at error level behind a journey that looked fine, no widget lost from a
screen. It also keeps `make soak` itself working, which `make test` does not run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "artifacts" / "ui-soak"

pytestmark = pytest.mark.ui


def test_thirty_varied_journeys_fail_nothing_and_log_no_error():
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    args = ["--journeys", "30", "--every", "10", "--seed", "7", "--out", str(OUT)]
    proc = subprocess.run(
        [sys.executable, "-m", "devkit.soak", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    (OUT / "console.txt").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    summary = json.loads((OUT / "summary.json").read_text())
    assert summary["failure"] is None, proc.stdout[-3000:]
    assert summary["journeys"] == 30
    assert summary["errors_logged"] == 0, summary["problems"]
    assert summary["dead_ids"] == []
    report = json.loads((OUT / "report.json").read_text())
    kinds = report["record"]["soak_journeys"]
    assert len(kinds) >= 6, f"too little variety: {kinds}"
    record = report["record"]
    assert record["platform_ratings"] == record.get("soak_rated", 0), "a rating went missing"
