"""Signing benchmarks: what a signature costs per method and body size.

Prints one JSON object per figure (JSON lines): ``sign_ms`` for one request's headers
(canonical string, body hash, HMAC) by method (hmac-sha256; hmac-sm3 with the SM3 in use,
OpenSSL's where it has one; hmac-sm3 with gmssl's pure-Python SM3, the fallback) and body size
(an empty GET, a 1 KB identity check, a 300 KB batch of about 500 ratings).

    python bench/signing.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk import signing  # noqa: E402
from kiosk.signing import SigningMethod, sign_headers  # noqa: E402

SIZES = {"empty": 0, "1KB": 1024, "300KB": 300 * 1024}


def measure(method: SigningMethod, body: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        sign_headers("SX-TY-0001", b"k" * 32, "PUT", "/v1/ratings", body, signing=method)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runs = [
        ("hmac-sha256", SigningMethod.HMAC_SHA256, signing.SM3),
        ("hmac-sm3", SigningMethod.HMAC_SM3, signing.SM3),
        ("hmac-sm3/gmssl", SigningMethod.HMAC_SM3, signing._GmsslSM3),
    ]
    for name, method, sm3 in runs:
        with mock.patch.object(signing, "SM3", sm3):
            for size, n in SIZES.items():
                ms = measure(method, b"x" * n, args.repeat)
                backend = sm3 if isinstance(sm3, str) else "gmssl"
                if method is SigningMethod.HMAC_SHA256:
                    backend = "-"
                print(
                    json.dumps(
                        {
                            "figure": "sign_ms",
                            "method": name,
                            "sm3": backend,
                            "body": size,
                            "ms": round(ms, 3),
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
