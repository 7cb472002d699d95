"""Benchmark figures, printed and kept the same way by every benchmark.

``record`` prints one figure as a JSON line that says whether it met its target, and keeps it
in bench/results.json: a list of {benchmark, figure, value, unit, target, met, machine, when,
detail}, where a figure recorded again replaces the earlier one. ``make bench`` empties the
file first, so the committed file holds one run's figures from one machine.

A target carries its basis: the issue that set it, or, where the issues name a figure without a
number, the reasoning of the number chosen here (``DERIVED``), for the lead to confirm.

    .venv/bin/python bench/results.py          # the figures of bench/results.json as a table
    .venv/bin/python bench/results.py --clear  # start a new run
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(os.environ.get("BENCH_RESULTS", Path(__file__).with_name("results.json")))
DERIVED = "derived here, no number in the issues: "


@dataclass(frozen=True)
class Target:
    op: str  # "<=" or ">="
    value: float
    basis: str

    def met(self, value: float) -> bool:
        return value <= self.value if self.op == "<=" else value >= self.value

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


def at_most(value: float, basis: str) -> Target:
    return Target("<=", value, basis)


def at_least(value: float, basis: str) -> Target:
    return Target(">=", value, basis)


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def record(
    benchmark: str,
    figure: str,
    value: float,
    unit: str,
    target: Target | None = None,
    **detail,
) -> dict:
    """Print the figure and keep it; ``detail``: how it was measured (runs, p50, method...)."""
    entry = {
        "benchmark": benchmark,
        "figure": figure,
        "value": value,
        "unit": unit,
        "target": str(target) if target else None,
        "met": target.met(value) if target else None,
        "machine": machine(),
        "when": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "detail": {
            **({"target_basis": target.basis} if target else {}),
            "load_average": round(os.getloadavg()[0], 2),
            **detail,
        },
    }
    print(json.dumps(entry, ensure_ascii=False), flush=True)
    _keep(entry)
    return entry


def _keep(entry: dict) -> None:
    kept = [
        e for e in load() if (e["benchmark"], e["figure"]) != (entry["benchmark"], entry["figure"])
    ]
    kept.append(entry)
    temp = RESULTS.with_suffix(".tmp")
    temp.write_text(json.dumps(kept, ensure_ascii=False, indent=1) + "\n")
    temp.replace(RESULTS)


def load() -> list[dict]:
    try:
        return json.loads(RESULTS.read_text())
    except FileNotFoundError:
        return []


def table(entries: list[dict]) -> str:
    lines = []
    for e in entries:
        verdict = {True: "met", False: "NOT MET", None: ""}[e["met"]]
        target = f"target {e['target']} {e['unit']}" if e["target"] else ""
        lines.append(
            f"{e['benchmark']:<8} {e['figure']:<40} {e['value']:>12g} {e['unit']:<10} "
            f"{target:<22} {verdict}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clear", action="store_true", help="empty the results: a new run")
    args = ap.parse_args(argv)
    if args.clear:
        RESULTS.write_text("[]\n")
        return 0
    entries = load()
    print(table(entries))
    missed = [e for e in entries if e["met"] is False]
    print(f"{len(entries)} figures, {len(missed)} below target", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
