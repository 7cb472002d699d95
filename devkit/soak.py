"""The soak: thousands of journeys through the real app, its resources sampled as they go.

``make soak`` runs ``python -m devkit.soak``, which starts the real app
(``kiosk run --demo --headless --script soak``: Xvfb, the reference platform and the device
emulators on loopback, the autopilot tapping with real touch events) and judges what the
``soak`` script (devkit/scripts.py) wrote while it ran:

- every ``every`` journeys the script samples its own process (``Sampler``): resident memory
  (VmRSS), open file descriptors by kind, threads (Python's and the kernel's tasks), Python
  objects tracked by the collector (after a collection) by type, Kivy widgets, Clock events;
- the first ``warmup`` journeys (10 %) fill caches, pools and lazily made screens; after them
  resident memory may grow by at most 5 %, and open files and threads must stay constant;
- any failed journey fails the soak (the autopilot stops at the first, with a screenshot).

The process holds the demo stack too (platform server, emulators): its threads and sockets are
in the counts, told apart in the samples by thread name and fd kind.

Output in ``out/soak/``: samples.jsonl (one line per sample), summary.json, report.json (the
autopilot's), screens/FAILED.png on failure.

    .venv/bin/python -m devkit.soak [--journeys 5000] [--every 50] [--out out/soak]
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
import types
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_JOURNEYS = 5000
MAX_RSS_GROWTH = 5.0  # percent, after warm-up
# half the portrait screen in each direction: the same widgets, a quarter of the pixels for
# the software renderer under Xvfb to fill
SOAK_WINDOW = "540x960"
SNAPSHOTS = 5  # looks at open files and threads per sample
ENV_JOURNEYS = "KIOSK_SOAK_JOURNEYS"
ENV_EVERY = "KIOSK_SOAK_EVERY"
ENV_SEED = "KIOSK_SOAK_SEED"

# threads the demo stack runs in the app's process (everything else is the kiosk's or Kivy's)
_DEVKIT_THREADS = re.compile(
    r"refplatform|process_request_thread|sam-emulator|printer-emulator|virtual-socialcard"
)


def warmup_of(journeys: int) -> int:
    return journeys // 10


# ---- in the app's process ------------------------------------------------------------------


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _tcp_sockets() -> tuple[dict[int, tuple[int, int]], set[int]]:
    """TCP sockets of this network namespace: inode -> (local port, remote port), and the
    listening ports."""
    sockets: dict[int, tuple[int, int]] = {}
    listening: set[int] = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote = (int(a.rsplit(":", 1)[1], 16) for a in fields[1:3])
            sockets[int(fields[9])] = (local, remote)
            if fields[3] == "0A":
                listening.add(local)
    return sockets, listening


def _fds(names: dict[int, str]) -> dict[str, int]:
    """Open file descriptors by kind. TCP sockets are named by the server port at either end
    (``names``): "served ..." are the ends of the servers this process runs for the demo,
    the others the kiosk's connections."""
    sockets, listening = _tcp_sockets()
    kinds: collections.Counter[str] = collections.Counter()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed while we looked (the listing's own fd)
            continue
        if target.startswith("socket:["):
            ends = sockets.get(int(target[8:-1]))
            if ends is None:
                kinds["socket"] += 1
            elif ends[0] in listening:
                kinds[f"served {names.get(ends[0], ends[0])}"] += 1
            else:
                kinds[f"tcp {names.get(ends[1], ends[1])}"] += 1
        elif target.startswith("pipe:"):
            kinds["pipe"] += 1
        elif target.startswith("anon_inode:"):
            kinds[target.removeprefix("anon_inode:").strip("[]")] += 1
        elif target.startswith("/dev/"):
            kinds["dev"] += 1
        else:
            kinds[Path(target).suffix.lstrip(".") or "file"] += 1
    return dict(sorted(kinds.items()))


def _thread_groups(threads: list[threading.Thread]) -> dict[str, int]:
    names = collections.Counter(re.sub(r"\d+", "N", t.name) for t in threads)
    return dict(sorted(names.items()))


class _ErrorCount(logging.Handler):
    """Counts what the app logs at error level or above: a journey can end well on screen
    while something failed behind it (a render, a worker)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.first) < 5:
            self.first.append(f"{record.name}: {record.getMessage()}"[:300])


def _callback_name(callback) -> str:
    """What a Kivy binding (a BoundCallback) calls, as Owner.method: bindings that pile up
    journey after journey are the commonest Kivy leak."""
    for ref in gc.get_referents(callback):
        if isinstance(ref, types.MethodType):
            return f"{type(ref.__self__).__qualname__}.{ref.__func__.__name__}"
        if isinstance(ref, types.FunctionType):
            return ref.__qualname__
        if hasattr(ref, "method_name"):  # kivy.weakmethod.WeakMethod
            return f"weak {ref.method_name}"
    return "?"


def _dead_ids(app) -> list[str]:
    """Widgets a screen names in its ids (weak references) that were collected."""
    dead = []
    for screen in app.screens.values():
        for name, proxy in screen.ids.items():
            try:
                proxy.__self__  # noqa: B018  (touching a dead proxy raises)
            except ReferenceError:
                dead.append(f"{screen.name}.{name}")
    return dead


class Sampler:
    """Samples this process and appends one JSON line per sample to ``path``."""

    def __init__(
        self, path: Path, journeys: int, warmup: int, ports: dict[int, str] | None = None
    ) -> None:
        """``ports``: names of the demo's server ports, for the sockets' kinds."""
        self.path = path
        self.ports = ports or {}
        self.journeys = journeys
        self.warmup = warmup
        self.started = time.monotonic()
        self._types: collections.Counter[str] | None = None
        self._widget_types: collections.Counter[str] | None = None
        self._callbacks: collections.Counter[str] | None = None
        self.errors = _ErrorCount()
        logging.getLogger().addHandler(self.errors)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")

    def _handles(self) -> dict:
        """Open files and threads, the fewest of a few looks 0.1 s apart: the printer's status
        poll (a connection a few ms long) or a guide fetch (a thread) must not pass for a leak,
        while anything leaked is there at every look."""
        looks = []
        for look in range(SNAPSHOTS):
            if look:
                time.sleep(0.1)
            threads = threading.enumerate()
            fds = _fds(self.ports)
            looks.append(
                {
                    "fds": sum(fds.values()),
                    "kiosk_fds": sum(n for k, n in fds.items() if not k.startswith("served")),
                    "fd_kinds": fds,
                    "threads": len(threads),
                    "kiosk_threads": sum(1 for t in threads if not _DEVKIT_THREADS.search(t.name)),
                    "tasks": len(os.listdir("/proc/self/task")),
                    "thread_names": _thread_groups(threads),
                }
            )
        return min(looks, key=lambda look: look["kiosk_fds"] + look["kiosk_threads"])

    def sample(self, done: int, app=None) -> dict:
        gc.collect()
        objects = gc.get_objects()
        by_type = collections.Counter(type(o).__qualname__ for o in objects)
        widget_types: collections.Counter[str] = collections.Counter()
        callbacks = collections.Counter(
            _callback_name(o) for o in objects if type(o).__name__ == "BoundCallback"
        )
        row: dict = {"journeys": done, "seconds": round(time.monotonic() - self.started, 1)}
        if app is not None:
            from kivy.clock import Clock
            from kivy.uix.widget import Widget

            # type(), not isinstance: a dead WeakProxy raises on __class__
            widget_types.update(t.__qualname__ for o in objects if issubclass(t := type(o), Widget))
            roots = [app.root, *(s for s in app.screens.values() if s.parent is None)]
            row["widget_tree"] = sum(1 for root in roots for _ in root.walk(restrict=False))
            row["clock_events"] = len(Clock.get_events())
            row["dead_ids"] = _dead_ids(app)
        row |= {
            "rss_kb": _rss_kb(),
            "cpu_s": round(sum(os.times()[:2]), 1),
            "blocks": sys.getallocatedblocks(),
            **self._handles(),
            "objects": len(objects),
            "widgets": sum(widget_types.values()),
            "errors_logged": self.errors.count,
            "first_errors": self.errors.first,
        }
        del objects
        if done >= self.warmup:
            if self._types is None:
                self._types, self._widget_types = by_type, widget_types
                self._callbacks = callbacks
            else:  # what grew since warm-up, to point at a leak
                row["grown_types"] = dict((by_type - self._types).most_common(12))
                row["grown_widgets"] = dict((widget_types - self._widget_types).most_common(12))
                row["grown_bindings"] = dict((callbacks - self._callbacks).most_common(12))
        with self.path.open("a") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        return row


# ---- the verdict -----------------------------------------------------------------------------


@dataclass
class Verdict:
    journeys: int
    wanted: int
    failure: str | None
    warmup: int
    samples: int
    rss_warm_mb: float
    rss_end_mb: float
    rss_max_mb: float
    rss_growth_pct: float
    rss_slope_kb_per_1000: float
    kiosk_fds: tuple[int, int]  # min, max after warm-up: the kiosk's own
    kiosk_threads: tuple[int, int]
    fds: tuple[int, int]  # the whole process, the demo's servers included
    threads: tuple[int, int]
    tasks: tuple[int, int]
    objects_warm: int
    objects_end: int
    widgets_warm: int
    widgets_end: int
    errors_logged: int
    dead_ids: list[str]
    seconds: float
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs (0 when undefined)."""
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0


def judge(rows: list[dict], wanted: int, warmup: int, failure: str | None) -> Verdict:
    """Pass: every journey done, none failed, nothing logged at error level, no widget lost
    from a screen; after warm-up resident memory within +5 % and the kiosk's open files and
    threads constant (the demo's own servers, in the same process, open a socket and a thread
    per connection: they are reported, not judged)."""
    done = rows[-1]["journeys"] if rows else 0
    after = [r for r in rows if r["journeys"] >= warmup]
    problems = []
    if failure:
        problems.append(f"a journey failed: {failure}")
    if done < wanted:
        problems.append(f"{done} of {wanted} journeys done")
    if len(after) < 2:
        problems.append("fewer than two samples after warm-up: nothing to compare")
        after = after or rows[-1:] or [{}]
    first, last = after[0], after[-1]

    def span(key: str) -> tuple[int, int]:
        values = [r.get(key, 0) for r in after]
        return min(values), max(values)

    rss_warm, rss_end = first.get("rss_kb", 0), last.get("rss_kb", 0)
    growth = 100.0 * (rss_end - rss_warm) / rss_warm if rss_warm else 0.0
    kiosk_fds, kiosk_threads = span("kiosk_fds"), span("kiosk_threads")
    if growth > MAX_RSS_GROWTH:
        problems.append(f"resident memory grew {growth:.1f} % after warm-up (limit 5 %)")
    if kiosk_fds[0] != kiosk_fds[1]:
        problems.append(f"open files not constant after warm-up: {kiosk_fds[0]}..{kiosk_fds[1]}")
    if kiosk_threads[0] != kiosk_threads[1]:
        problems.append(
            f"threads not constant after warm-up: {kiosk_threads[0]}..{kiosk_threads[1]}"
        )
    errors = last.get("errors_logged", 0)
    if errors:
        problems.append(f"{errors} error(s) logged, the first: {last.get('first_errors')}")
    dead = sorted({name for r in rows for name in r.get("dead_ids", ())})
    if dead:
        problems.append(f"widgets lost from their screens: {', '.join(dead)}")
    slope = 1000 * _slope(
        [r.get("journeys", 0) for r in after], [r.get("rss_kb", 0) for r in after]
    )
    return Verdict(
        journeys=done,
        wanted=wanted,
        failure=failure,
        warmup=warmup,
        samples=len(rows),
        rss_warm_mb=round(rss_warm / 1024, 1),
        rss_end_mb=round(rss_end / 1024, 1),
        rss_max_mb=round(max(r.get("rss_kb", 0) for r in after) / 1024, 1),
        rss_growth_pct=round(growth, 2),
        rss_slope_kb_per_1000=round(slope, 1),
        kiosk_fds=kiosk_fds,
        kiosk_threads=kiosk_threads,
        fds=span("fds"),
        threads=span("threads"),
        tasks=span("tasks"),
        objects_warm=first.get("objects", 0),
        objects_end=last.get("objects", 0),
        widgets_warm=first.get("widgets", 0),
        widgets_end=last.get("widgets", 0),
        errors_logged=errors,
        dead_ids=dead,
        seconds=last.get("seconds", 0.0),
        problems=problems,
    )


def summary_lines(v: Verdict, rows: list[dict]) -> list[str]:
    objects = v.objects_end - v.objects_warm
    lines = [
        f"soak: {v.journeys} of {v.wanted} journeys in {v.seconds / 60:.1f} min, "
        f"{1 if v.failure else 0} failed, {v.errors_logged} errors logged",
        f"  resident memory: {v.rss_warm_mb} MB at warm-up end (journey {v.warmup}), "
        f"{v.rss_end_mb} MB at the end, max {v.rss_max_mb} MB: {v.rss_growth_pct:+.2f} % "
        f"(limit +{MAX_RSS_GROWTH:.0f} %), trend {v.rss_slope_kb_per_1000:+.0f} kB per 1000",
        "  after warm-up, min..max: kiosk open files {}..{}, kiosk threads {}..{}; "
        "whole process (demo servers too) files {}..{}, threads {}..{}, tasks {}..{}".format(
            *v.kiosk_fds, *v.kiosk_threads, *v.fds, *v.threads, *v.tasks
        ),
        f"  Python objects: {v.objects_warm} -> {v.objects_end} ({objects:+d}); "
        f"Kivy widgets {v.widgets_warm} -> {v.widgets_end}",
    ]
    after = [r for r in rows if r["journeys"] >= v.warmup]
    for key, title in (("fd_kinds", "open files"), ("thread_names", "threads")):
        varied = _varied([r.get(key, {}) for r in after])
        if varied:
            lines.append(f"  {title} that varied after warm-up: {varied}")
    for key, title in (
        ("grown_widgets", "widgets"),
        ("grown_bindings", "Kivy bindings"),
        ("grown_types", "objects"),
    ):
        grown = rows[-1].get(key) if rows else None
        if grown:
            lines.append(
                f"  {title} grown since warm-up: "
                + ", ".join(f"{k} +{n}" for k, n in grown.items())
            )
    lines.append("soak: PASSED" if v.ok else "soak: FAILED: " + "; ".join(v.problems))
    return lines


def _varied(counts: list[dict[str, int]]) -> str:
    """ "tcp platform 1..2, ..." for the kinds whose count was not the same in every sample."""
    kinds = sorted({k for c in counts for k in c})
    spans = {k: (min(c.get(k, 0) for c in counts), max(c.get(k, 0) for c in counts)) for k in kinds}
    return ", ".join(f"{k} {lo}..{hi}" for k, (lo, hi) in spans.items() if lo != hi)


def read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# ---- the driver ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--journeys", type=int, default=int(os.environ.get(ENV_JOURNEYS, DEFAULT_JOURNEYS))
    )
    ap.add_argument("--every", type=int, help="journeys between samples (default journeys/100)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--window", default=SOAK_WINDOW, help=f"default {SOAK_WINDOW}")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "soak")
    ap.add_argument("--judge-only", action="store_true", help="judge the samples of an earlier run")
    args = ap.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    every = args.every or max(1, args.journeys // 100)
    if not args.judge_only:
        env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
        env |= {ENV_JOURNEYS: str(args.journeys), ENV_EVERY: str(every), ENV_SEED: str(args.seed)}
        cmd = [sys.executable, "-m", "main", "run", "--demo", "--headless", "--script", "soak"]
        cmd += ["--window", args.window, "--out", str(out)]
        print(f"soak: {args.journeys} journeys, a sample every {every}; output in {out}")
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
        print(f"soak: the app exited with {proc.returncode}")
    rows = read_rows(out / "samples.jsonl")
    failure = None
    report_path = out / "report.json"
    if report_path.exists():
        report = json.loads(report_path.read_text())
        failure = report["record"].get("failure") if not report["ok"] else None
    else:
        failure = "the app left no report (it crashed or was killed)"
    verdict = judge(rows, args.journeys, warmup_of(args.journeys), failure)
    (out / "summary.json").write_text(json.dumps(asdict(verdict), indent=2, ensure_ascii=False))
    print("\n".join(summary_lines(verdict, rows)), flush=True)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
