"""The privacy audit: 200 synthetic citizens through the real kiosk, then every byte it wrote
is searched for each of them.

The kiosk is devkit/kiosk_runner.py (wiring.build_runtime's Runtime, the SAM reader on a
pseudo-terminal, the printer on TCP) in a process of its own, with its own HOME, TMPDIR and
data directory under one folder, logging at DEBUG through kiosk/logs.py. It serves 200 distinct
synthetic citizens (devkit.people.synthetic_citizens: names of 2 to 4 characters, rare ones
GBK cannot encode, foreign residents with English names, valid ID numbers), registered at the
test's own reference platform, one journey each and of every kind (printed or not, rated with
reasons or skipped, the card taken away early, an expired card, a 500 from the platform, the
paper running out mid-certificate, a spoilt card read; 投诉与建议 with the citizen's mobile number,
some sent while the platform refused them, so that they waited in the outbox). strace records every file the process
creates or opens for writing, so that the folder is known to hold all of them.

Then devkit/privacy_audit.py searches every file in the folder, SQLite's pages and WAL
included (a copy taken while the kiosk still ran, and the folder after it stopped), for every
citizen's name, English name, ID number, social-security card number, address and mobile
number, in UTF-8,
UTF-16-LE, GBK (GB18030 where GBK cannot encode) and JSON escapes: 0 hits. The platform's
database and the printed pages hold names legitimately: they are not the kiosk's, and are kept
outside the folder. The figures are printed and kept in tests/artifacts/privacy-audit/.

The audit is itself tested: a kiosk told to leak (the name logged at DEBUG, written to a
temporary file, put in an outbox record, a complaint stored unsealed) is caught, in each
encoding and each place.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from devkit import privacy_audit
from devkit.kiosk_runner import JOURNEY_KINDS, LEAKS
from devkit.platform_server import DEMO_DEVICE_KEY, ReferencePlatform

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "privacy-audit"
CITIZENS = 200
SEED = 7
# what each kind of journey must have come to: proof that the path was taken
OUTCOMES = {
    "print": "done",
    "no_print": "done",
    "card_removed": "left",
    "skip_rating": "done",
    "expired_card": "refused",
    "platform_error": "retried",
    "paper_out": "reprinted",
    "read_fault": "read_again",
}


@dataclass
class Run:
    root: Path  # everything the kiosk wrote: home/, tmp/, data/ (and the reader's link)
    snapshot: Path  # a copy of root taken while the kiosk still ran (SQLite's -wal and -shm)
    journeys: list[tuple[str, str]] = field(default_factory=list)  # (kind, outcome)
    again: list[str] = field(default_factory=list)
    written: set[Path] | None = None  # every path the process wrote (None: no strace here)
    written_outside: list[str] | None = None
    seconds: float = 0.0


def run_kiosk(tmp_path: Path, platform: ReferencePlatform, count: int, seed: int, *extra: str):
    """The kiosk runner serving ``count`` citizens in a folder of its own, under strace."""
    root = tmp_path / "kiosk"
    home, tmp, data = root / "home", root / "tmp", root / "data"
    for folder in (home, tmp):
        folder.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env |= {"HOME": str(home), "TMPDIR": str(tmp), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [
        sys.executable,
        "-m",
        "devkit.kiosk_runner",
        "--url",
        platform.url,
        "--key",
        DEMO_DEVICE_KEY.hex(),
        "--data-dir",
        str(data),
        "--citizens",
        str(count),
        "--citizen-seed",
        str(seed),
        "--log",
        "debug",
        "--hold",
        *extra,
    ]
    trace = tmp_path / "strace.log"  # outside the folder: it is the test's, not the kiosk's
    traced = shutil.which("strace") is not None
    if traced:
        command = privacy_audit.strace_command(trace) + command
    run = Run(root, tmp_path / "snapshot")
    started = time.monotonic()
    with (tmp_path / "kiosk.err").open("wb") as err:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=home,
            env=env,
            text=True,
        )
        try:
            for line in proc.stdout:
                word, _, rest = line.rstrip("\n").partition(" ")
                if word == "JOURNEY":
                    _n, kind, outcome = rest.split()
                    run.journeys.append((kind, outcome))
                elif word == "AGAIN":
                    run.again.append(rest)
                elif word == "DONE":
                    shutil.copytree(root, run.snapshot, symlinks=True)
                    break
            proc.stdin.close()
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    run.seconds = time.monotonic() - started
    assert code == 0, (tmp_path / "kiosk.err").read_text()[-3000:]
    if traced:
        run.written = privacy_audit.written_paths(trace, home)
        run.written_outside = privacy_audit.written_outside(trace, root, home)
    return run


def audit(run: Run, served) -> privacy_audit.Report:
    report = privacy_audit.search(run.root, served)
    return privacy_audit.search(run.snapshot, served, report)


def describe(report: privacy_audit.Report) -> str:
    return "\n".join(
        f"{h.path}@{h.offset}: {h.needle.citizen}'s {h.needle.what} in {h.needle.encoding}"
        for h in report.hits[:40]
    )


@pytest.fixture
def platform(tmp_path):
    (tmp_path / "platform").mkdir()  # names are in its database: never inside the kiosk's folder
    p = ReferencePlatform(db_path=tmp_path / "platform" / "platform.db")
    p.start()
    yield p
    p.stop()


def test_two_hundred_citizens_leave_nothing_on_disk(platform, tmp_path):
    served = privacy_audit.citizens(CITIZENS, SEED)
    platform.register(served)
    run = run_kiosk(tmp_path, platform, CITIZENS, SEED)

    # every citizen was served, and every kind of journey went the way it was meant to
    assert run.again == []
    assert len(run.journeys) == CITIZENS
    kinds = Counter(run.journeys)
    for kind in set(JOURNEY_KINDS):
        assert kinds[(kind, OUTCOMES[kind])] == JOURNEY_KINDS.count(kind) * CITIZENS // len(
            JOURNEY_KINDS
        ), (kind, kinds)
    assert len({c.name for c in served}) == CITIZENS
    assert any(c.name_en for c in served) and any(_gbk_fails(c.name) for c in served), (
        "English names and names GBK cannot encode are among them"
    )

    # complaints went with the citizens' mobile numbers (from goodbye after a skipped rating,
    # and from the attract screen through an outage of /v1/complaints), and were delivered
    complained = [
        c
        for c, (kind, _o) in zip(served, run.journeys, strict=True)
        if kind in ("skip_rating", "expired_card")
    ]
    received = {r["callback_phone"] for r in platform.complaints()}
    assert received == {privacy_audit.phone_of(c) for c in complained}

    # the places the kiosk writes were written, at DEBUG
    data = run.root / "data"
    assert (data / "outbox.db").is_file() and (data / "catalogue.db").is_file()
    assert (run.snapshot / "data" / "outbox.db-wal").is_file(), "the WAL, as it was in use"
    logged = (data / "logs" / "kiosk.jsonl").read_text(encoding="utf-8")
    assert '"level": "debug"' in logged and "journey: rating -> goodbye" in logged
    masked = [c.card().masked_name for c in served] + [c.card().masked_number for c in served]
    assert sum(m in logged for m in masked) > CITIZENS, "it speaks of them, masked (allowed)"
    assert list((data / "escpos").glob("*.pickle")), "python-escpos's cache is in the folder"

    # and nowhere else (strace's witness): what is outside the folder was not searched
    if run.written is not None:
        assert {data / "outbox.db", data / "logs" / "kiosk.jsonl"} <= run.written
        assert run.written_outside == []

    report = audit(run, served)
    figures = {
        "journeys": len(run.journeys),
        "kinds": {f"{k}:{o}": n for (k, o), n in sorted(kinds.items())},
        "kiosk_seconds": round(run.seconds, 1),
        "strace": run.written is not None,
        **report.figures(),
    }
    if run.written is not None:
        # written in the folder and removed before the end, so searched only if the copy
        # caught them (SQLite's journals while a database is created, the reader's link)
        inside = {p.relative_to(run.root) for p in run.written if p.is_relative_to(run.root)}
        figures["paths_written"] = len(inside)
        figures["written_then_removed"] = sorted(
            str(p)
            for p in inside
            if not (run.root / p).exists() and not (run.snapshot / p).exists()
        )
    line = json.dumps(figures, ensure_ascii=False)
    print(f"\nprivacy-audit: {line}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "figures.json").write_text(line + "\n")
    assert report.needles > 5 * CITIZENS and report.files >= 8
    assert report.hits == [], describe(report)


def test_the_audit_catches_a_leaky_kiosk(platform, tmp_path):
    """The name logged at DEBUG, name and number in a temporary file (UTF-16-LE, GBK or
    GB18030, JSON escapes), both in an outbox record delivered and deleted since: each is found,
    in its place and its encoding. The number in a file outside the kiosk's folder: strace's
    record names it."""
    seed = next(s for s in range(1, 200) if _gbk_fails(privacy_audit.citizens(3, s)[0].name))
    served = privacy_audit.citizens(3, seed)  # the first one's name needs GB18030
    platform.register(served)
    run = run_kiosk(tmp_path, platform, 3, seed, *(f"--leak={leak}" for leak in LEAKS))
    assert run.again == [] and len(run.journeys) == 3
    report = audit(run, served)
    found = {(Path(h.path).parts[0], h.needle.what, h.needle.encoding) for h in report.hits}
    logs = {(h.needle.what, h.needle.encoding) for h in report.hits if "logs" in h.path}
    assert ("name", "utf-8") in logs
    assert {
        ("tmp", "name", "utf-16-le"),
        ("tmp", "name", "gb18030"),
        ("tmp", "name", "gbk"),
        ("tmp", "name", "json"),
        ("tmp", "number", "utf-16-le"),
    } <= found, found
    in_outbox = {h.needle.what for h in report.hits if Path(h.path).name.startswith("outbox.db")}
    assert in_outbox >= {"name", "number", "phone"}, report.figures()
    assert {h.needle.citizen for h in report.hits} == {c.key for c in served}
    if run.written_outside is not None:
        assert run.written_outside == [str(tmp_path / "left-behind.txt")]


def _gbk_fails(name: str) -> bool:
    try:
        name.encode("gbk")
    except UnicodeEncodeError:
        return True
    return False
