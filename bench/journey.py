"""Journey benchmarks: cold start to the attract screen, and card placed -> item list drawn.

Prints one JSON object per figure (JSON lines). Targets (issue 2): cold start <= 1.5 s;
card placed -> items drawn p95 <= 700 ms with the SAM emulator at 115200 baud.

Cold start is measured the way a hall starts the kiosk: the platform and the devices are
already there (the demo stack, started here), and `kiosk run --config FILE` is launched as a
fresh process; the clock stops when the app has drawn its first screen (KIOSK_READY_FILE, the
same moment it tells systemd READY=1).

Card -> items runs the real app under Xvfb with the autopilot: the card is put on the emulated
reader and the clock stops at the first frame that shows the item list.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devkit.demo import DemoStack  # noqa: E402
from devkit.platform_server import DEMO_DEVICE_KEY  # noqa: E402
from devkit.xvfb import Xvfb  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo), 1)


def emit(**fields) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def config_file(stack: DemoStack, path: Path) -> Path:
    host, port = stack.printer_addr
    path.write_text(
        f"""
[kiosk]
device_id = "SX-TY-0001"
hall_name = "太原市政务服务中心"
region_code = "140100"
data_dir = "{path.parent / "data"}"

[platform]
url = "{stack.platform_url}"
device_key = "{DEMO_DEVICE_KEY.hex()}"

[devices]
card_reader = "sam+serial://{stack.sam_path}?baud=115200"
printer = "escpos+tcp://{host}:{port}"

[display]
width = 1080
height = 1920
fullscreen = false
"""
    )
    return path


def cold_start(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        tmp = Path(tmp)
        stack = DemoStack(tmp / "out").reset().start()
        xvfb = Xvfb(1080, 1920)
        env = {**os.environ, "DISPLAY": xvfb.start()}
        cfg = config_file(stack, tmp / "kiosk.toml")
        times = []
        try:
            for _ in range(runs):
                ready = tmp / "ready"
                ready.unlink(missing_ok=True)
                start = time.time()
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "main",
                        "run",
                        "--config",
                        str(cfg),
                        "--window",
                        "1080x1920",
                    ],
                    cwd=ROOT,
                    env={**env, "KIOSK_READY_FILE": str(ready)},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    stdin=subprocess.DEVNULL,
                )
                deadline = time.time() + 30
                while not ready.exists() or not ready.read_text().strip():
                    if time.time() > deadline or proc.poll() is not None:
                        raise SystemExit("cold start: the kiosk did not draw its first screen")
                    time.sleep(0.01)
                times.append(float(ready.read_text()) - start)
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        finally:
            xvfb.stop()
            stack.stop()
    emit(
        bench="cold_start_to_attract_s",
        runs=runs,
        p50=round(statistics.median(times), 3),
        max=round(max(times), 3),
        target_max=1.5,
    )


def card_to_items(rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-items-") as tmp:
        out = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
        env["KIOSK_BENCH_ROUNDS"] = str(rounds)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "main",
                "run",
                "--demo",
                "--headless",
                "--script",
                "bench_items",
                "--out",
                str(out),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
        if proc.returncode != 0:
            raise SystemExit(f"card -> items: the run failed\n{proc.stdout[-2000:]}")
        samples = json.loads((out / "report.json").read_text())["record"]["card_to_items_ms"]
    emit(
        bench="card_placed_to_items_drawn_ms",
        baud=115200,
        journeys=len(samples),
        p50=percentile(samples, 0.5),
        p95=percentile(samples, 0.95),
        min=min(samples),
        max=max(samples),
        target_p95=700,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cold-runs", type=int, default=7)
    ap.add_argument("--journeys", type=int, default=24)
    args = ap.parse_args()
    cold_start(args.cold_runs)
    card_to_items(args.journeys)


if __name__ == "__main__":
    main()
