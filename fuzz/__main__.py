"""``python -m fuzz``: run every harness under libFuzzer for a fixed number of runs.

Prints one JSON line per target (runs, exec/s, coverage, new inputs, findings) and writes
libFuzzer's own output to out/fuzz/<target>.log; exit status 1 if any target found anything.
New inputs go to out/fuzz/corpus/<target>/ (the kept corpus is only read);
``--merge`` then folds them into tests/data/corpus/<target>/, minimised (libFuzzer -merge=1).

    python -m fuzz [--only sam,qr] [--runs N] [--seed 1] [--merge]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fuzz.targets import CORPUS, OUT, REGRESSIONS, ROOT, TARGETS

TIMEOUT_S = 10  # one input taking longer is a finding (a hang)
RSS_LIMIT_MB = 2048
FINDINGS = ("crash-", "timeout-", "oom-", "leak-", "slow-unit-")


def libfuzzer(target: str, args: list[str], log: Path) -> int:
    cmd = [sys.executable, "-m", "fuzz.engine", target, *args]
    with log.open("w") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        return subprocess.run(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT).returncode


def stats(log: Path) -> dict[str, int]:
    """libFuzzer's figures from its log: the final stats and the INITED/DONE lines."""
    text = log.read_text(errors="replace")
    out: dict[str, int] = {}
    for name, value in re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M):
        out[name] = int(value)
    # the status lines: INITED once the seeds are in, then NEW, REDUCE, pulse… and DONE (none
    # when an input crashed: the last line before it tells how far the run had come)
    lines = re.findall(r"^#\d+\s+(\w+)\s+cov: (\d+) ft: (\d+) corp: (\d+)/", text, re.M)
    for name, found in (("inited", [x for x in lines if x[0] == "INITED"]), ("done", lines)):
        if found:
            _, cov, ft, corp = found[-1]
            out[f"{name}_cov"], out[f"{name}_ft"], out[f"{name}_corp"] = (
                int(cov),
                int(ft),
                int(corp),
            )
    return out


def run_target(target: str, runs: int, seed: int) -> dict:
    work = OUT / target
    new = OUT / "corpus" / target
    for d in (work, new):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    seeds = [str(d) for d in (CORPUS / target, REGRESSIONS / target) if d.is_dir()]
    log = OUT / f"{target}.log"
    args = [
        str(new),
        *seeds,
        f"-runs={runs}",
        f"-seed={seed}",
        f"-max_len={TARGETS[target].max_len}",
        f"-timeout={TIMEOUT_S}",
        f"-rss_limit_mb={RSS_LIMIT_MB}",
        f"-artifact_prefix={work}/",
        "-print_final_stats=1",
    ]
    start = time.monotonic()
    code = libfuzzer(target, args, log)
    seconds = time.monotonic() - start
    figures = stats(log)
    runs_done = figures.get("number_of_executed_units", 0)
    findings = sorted(p.name for p in work.iterdir() if p.name.startswith(FINDINGS))
    result = {
        "fuzz": target,
        "runs": runs_done,
        # libFuzzer's average (whole seconds: 0 for a run under one); wall: start-up included
        "exec_per_s": figures.get("average_exec_per_sec", 0),
        "exec_per_s_wall": round(runs_done / seconds) if seconds else 0,
        "seconds": round(seconds, 1),
        "cov_start": figures.get("inited_cov"),
        "cov": figures.get("done_cov"),
        "ft_start": figures.get("inited_ft"),
        "ft": figures.get("done_ft"),
        # libFuzzer's corpus (distinct inputs) after loading the kept ones, and at the end
        "corpus_start": figures.get("inited_corp"),
        "corpus": figures.get("done_corp"),
        # new corpus entries (inputs that reached something new), and the files they left in
        # out/fuzz/corpus/<target> for --merge
        "new_entries": figures.get("new_units_added", 0),
        "new_files": sum(1 for _ in new.iterdir()),
        "findings": len(findings) or int(code != 0),
        "exit_status": code,
        "seed": seed,
        "log": str(log.relative_to(ROOT)),
    }
    if findings:
        result["artifacts"] = [str((work / f).relative_to(ROOT)) for f in findings]
    return result


def merge(target: str) -> dict:
    """Fold the last run's new inputs into the kept corpus, minimised."""
    kept = CORPUS / target
    kept.mkdir(parents=True, exist_ok=True)
    before = sum(1 for _ in kept.iterdir())
    with tempfile.TemporaryDirectory(prefix=f"merge-{target}-", dir=OUT) as tmp:
        sources = [str(kept)]
        for extra in (OUT / "corpus" / target, OUT / "seeds" / target):
            if extra.is_dir():
                sources.append(str(extra))
        log = OUT / f"{target}.merge.log"
        code = libfuzzer(
            target, [tmp, *sources, "-merge=1", f"-max_len={TARGETS[target].max_len}"], log
        )
        if code != 0:
            raise SystemExit(f"merge of {target} failed (exit {code}): see {log}")
        shutil.rmtree(kept)
        shutil.copytree(tmp, kept)
    files = list(kept.iterdir())
    return {
        "merge": target,
        "kept_before": before,
        "kept": len(files),
        "bytes": sum(p.stat().st_size for p in files),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated targets (default: all)")
    parser.add_argument("--runs", type=int, help="runs per target (default: each one's own)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--merge", action="store_true", help="minimise into the kept corpus")
    args = parser.parse_args(argv)
    targets = args.only.split(",") if args.only else list(TARGETS)
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s): {', '.join(unknown)}; known: {', '.join(TARGETS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    if args.merge:
        for target in targets:
            print(json.dumps(merge(target)), flush=True)
        return 0
    failed = False
    for target in targets:
        result = run_target(target, args.runs or TARGETS[target].runs, args.seed)
        failed |= bool(result["findings"])
        print(json.dumps(result), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
