"""Printing benchmarks: making a job's bytes and its preview, and how big a job is.

Prints one JSON line per figure and keeps it in bench/results.json (bench/results.py), over
every certificate and receipt the demo can produce (devkit.printer_emulator.demo_documents: one
per item of devkit/seed.py):

- render_MODE_QR_WIDTH_p90_ms: layout + ESC/POS bytes of one document, per mode (text with
  native or image QR, raster) and paper width; warm, as a kiosk is after its first job (glyphs
  cached), with the median and ``cold_ms``, the first document after the caches were emptied;
- preview_WIDTH_median_ms: render_png of one document (the on-screen preview);
- bytes_MODE_QR_WIDTH: bytes per job (median, with min, max), and what the median takes on a
  serial line at 9600 and 115200 baud (8N1, 10 bits a byte; TCP and USB are not the limit).

    .venv/bin/python bench/print.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import DERIVED, at_most, record  # noqa: E402
from devkit.printer_emulator import demo_documents  # noqa: E402
from drivers.escpos_printer import encode_document  # noqa: E402
from kiosk import print_layout  # noqa: E402
from kiosk.fonts import load_font  # noqa: E402
from kiosk.print_layout import PAPER_58MM, PAPER_80MM, render_png  # noqa: E402

SETUPS = (("text", "native"), ("text", "image"), ("raster", "native"))
WIDTHS = (PAPER_58MM, PAPER_80MM)
RENDER_P90 = at_most(
    250,
    DERIVED + "the bytes of a job are made after the tap on 打印 and before the paper moves; "
    "a quarter of a second is not yet a wait",
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round((len(ordered) - 1) * q))]


def cold() -> None:
    """Forget cached glyphs and fonts: what the first job after a start costs."""
    print_layout._glyph.cache_clear()
    load_font.cache_clear()


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = fn()
    return (time.perf_counter() - t0) * 1000, result


def bench_render(docs, runs: int) -> None:
    for mode, qr in SETUPS:
        for width in WIDTHS:
            cold()
            options = {"width_dots": width, "qr_mode": qr, "mode": mode}
            cold_ms, _ = timed(lambda o=options: encode_document(docs[0], **o))
            times: list[float] = []
            sizes: list[int] = []
            for _ in range(runs):
                for doc in docs:
                    ms, blocks = timed(lambda d=doc, o=options: encode_document(d, **o))
                    times.append(ms)
                    sizes.append(sum(map(len, blocks)))
            name = f"{mode}_{qr}_{width}"
            record(
                "print",
                f"render_{name}_p90_ms",
                round(percentile(times, 0.9), 2),
                "ms",
                RENDER_P90,
                mode=mode,
                qr=qr,
                width_dots=width,
                median_ms=round(statistics.median(times), 2),
                cold_ms=round(cold_ms, 1),
                documents=len(docs),
                runs=runs,
            )
            per_doc = sizes[: len(docs)]
            median = statistics.median(per_doc)
            record(
                "print",
                f"bytes_{name}",
                int(median),
                "bytes",
                statistic="median",
                min_bytes=min(per_doc),
                max_bytes=max(per_doc),
                serial_9600_s=round(median * 10 / 9600, 1),
                serial_115200_s=round(median * 10 / 115200, 2),
                documents=len(docs),
            )


def bench_preview(docs, runs: int) -> None:
    for width in WIDTHS:
        times = [
            timed(lambda d=doc, w=width: render_png(d, w))[0] for _ in range(runs) for doc in docs
        ]
        record(
            "print",
            f"preview_{width}_median_ms",
            round(statistics.median(times), 2),
            "ms",
            width_dots=width,
            p90_ms=round(percentile(times, 0.9), 2),
            documents=len(docs),
            runs=runs,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="passes over every document")
    args = parser.parse_args(argv)
    docs = [d.document for d in demo_documents()]
    bench_render(docs, args.runs)
    bench_preview(docs, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
