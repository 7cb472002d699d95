"""The fuzz targets, what one `make fuzz` gives each, and where their inputs are kept."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "corpus"  # kept, minimised inputs (seeds for every run)
REGRESSIONS = ROOT / "tests" / "data" / "regressions"  # inputs that once found a bug
OUT = ROOT / "out" / "fuzz"  # logs, new inputs of the last run, crash artifacts


@dataclass(frozen=True)
class Target:
    runs: int  # libFuzzer -runs of one `make fuzz`
    max_len: int  # the longest input libFuzzer makes


# name (a module of this package) → its run
TARGETS: dict[str, Target] = {
    # the longest frame the reader takes (LEN 0x1000), and a little more
    "sam": Target(runs=1_000_000, max_len=4200),
    # a little over MAX_PAYLOAD_BYTES, so that "too long" is reached too
    "qr": Target(runs=300_000, max_len=4200),
    # 300 key events: past the longest burst the small limits allow
    "wedge": Target(runs=300_000, max_len=600),
    "platform_replies": Target(runs=200_000, max_len=16384),
    "printer_status": Target(runs=100_000, max_len=64),
    "socialcard": Target(runs=300_000, max_len=1024),
}


def kept_inputs(target: str) -> list[Path]:
    """Every kept input of ``target``: its corpus and its regressions, in a stable order."""
    return sorted(
        p for d in (CORPUS / target, REGRESSIONS / target) if d.is_dir() for p in d.iterdir()
    )
