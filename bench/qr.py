"""QR benchmarks: classifier throughput over a realistic mix, and a seeded fuzz run.

Prints one JSON line per figure and keeps it in bench/results.json (bench/results.py):
- classify_per_s: payloads classified per second over a mix of what a hall's scanner sees
  (licence URLs, certificate URLs and codes, identity tokens, Chinese text, other URLs, junk);
- wedge_keys_per_s: keys through the keyboard-wedge detector;
- fuzz_unexpected: a seeded random run (mutated real payloads, random text, random bytes), counting
  cases and any exception other than ScanRefused (must be 0), plus invariants: a token never
  shows in a repr, a licence's USCC is 18 characters.

    python bench/qr.py [--cases 200000] [--seed 4]
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import DERIVED, at_least, at_most, record  # noqa: E402
from kiosk.qr import (  # noqa: E402
    DEFAULT_VERIFY_BASE_URL,
    QrKind,
    ScanRefused,
    classify,
    describe,
)
from kiosk.uscc import USCC_ALPHABET, uscc_check_char  # noqa: E402
from kiosk.wedge import WedgeDetector  # noqa: E402

CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
CLASSIFY_PER_S = 3000


def uscc(rng: random.Random, valid: bool = True) -> str:
    body = (
        rng.choice("159Y")
        + rng.choice("123")
        + "".join(rng.choices("0123456789", k=6))
        + "".join(rng.choices(USCC_ALPHABET, k=9))
    )
    check = uscc_check_char(body)
    if not valid:
        check = USCC_ALPHABET[(USCC_ALPHABET.index(check) + rng.randint(1, 30)) % 31]
    return body + check


def realistic(rng: random.Random) -> str | bytes:
    """One payload, drawn roughly as a hall sees them."""
    roll = rng.random()
    if roll < 0.30:
        scheme = rng.choice(["http", "https"])
        host = rng.choice(["www.gsxt.gov.cn", "gsxt.gov.cn"])
        return f"{scheme}://{host}/index.html?uniscid={uscc(rng, rng.random() < 0.95)}"
    if roll < 0.50:
        code = "".join(rng.choices(CODE_ALPHABET, k=16))
        return DEFAULT_VERIFY_BASE_URL + code if rng.random() < 0.8 else code
    if roll < 0.75:
        prefix = rng.choice(["SXT1.", "CTID:"])
        return prefix + "".join(rng.choices(TOKEN_ALPHABET, k=rng.randint(40, 300)))
    if roll < 0.85:
        return (
            f"名称：山西某某商贸有限公司\u3000统一社会信用代码：{uscc(rng)}\u3000类型：有限责任公司"
        )
    if roll < 0.95:
        path = "".join(rng.choices(TOKEN_ALPHABET, k=rng.randint(5, 60)))
        return f"https://mp.weixin.qq.com/s/{path}"
    return bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))  # junk


def mutate(rng: random.Random, payload: str | bytes) -> str | bytes:
    if isinstance(payload, bytes):
        payload = payload.decode("latin-1")
    chars = list(payload)
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        pos = rng.randint(0, len(chars))
        if op < 0.3 and chars:
            del chars[min(pos, len(chars) - 1)]
        elif op < 0.6:
            chars.insert(pos, chr(rng.choice([rng.randrange(0x80), rng.randrange(0x110000)])))
        elif op < 0.8 and chars:
            chars[min(pos, len(chars) - 1)] = rng.choice(USCC_ALPHABET + "?&=/.:% \u3000")
        else:
            chars[pos:pos] = list(rng.choice(["SXT1.", "uniscid=", "http://gsxt.gov.cn/?", "/v/"]))
    text = "".join(chars)
    if rng.random() < 0.3:
        return text.encode("utf-8", "surrogatepass")[: rng.randint(0, 5000)]
    return text


def random_case(rng: random.Random) -> str | bytes:
    roll = rng.random()
    if roll < 0.5:
        return mutate(rng, realistic(rng))
    if roll < 0.75:
        return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randint(0, 200)))
    if roll < 0.9:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
    return "x" * rng.randint(4000, 4200)


def classify_throughput(rng: random.Random, count: int) -> None:
    mix = [realistic(rng) for _ in range(2000)]
    done = 0
    kinds: collections.Counter[str] = collections.Counter()
    start = time.perf_counter()
    while done < count:
        for payload in mix:
            try:
                kinds[classify(payload).kind.value] += 1
            except ScanRefused:
                kinds["refused"] += 1
        done += len(mix)
    elapsed = time.perf_counter() - start
    record(
        "qr",
        "classify_per_s",
        round(done / elapsed),
        "payloads/s",
        at_least(
            CLASSIFY_PER_S,
            DERIVED + "a scan is classified on the UI thread within 1 % of a 30 fps frame "
            "(0.33 ms), i.e. 3,000 a second",
        ),
        payloads=done,
        mix={k: round(v / done, 3) for k, v in sorted(kinds.items())},
    )


def wedge_throughput(rng: random.Random, scans: int) -> None:
    detector = WedgeDetector()
    payloads = [str(p) for p in (realistic(rng) for _ in range(200)) if isinstance(p, str)]
    keys = found = 0
    t = 0.0
    start = time.perf_counter()
    for i in range(scans):
        payload = payloads[i % len(payloads)]
        for ch in payload:
            t += 0.004
            detector.key(ch, t)
        t += 0.004
        found += detector.key("enter", t) is not None
        keys += len(payload) + 1
        t += 1.0
    elapsed = time.perf_counter() - start
    record(
        "qr",
        "wedge_keys_per_s",
        round(keys / elapsed),
        "keys/s",
        keys=keys,
        scans_found=found,
    )


def fuzz(rng: random.Random, cases: int) -> int:
    outcomes: collections.Counter[str] = collections.Counter()
    unexpected: list[str] = []
    start = time.perf_counter()
    for _ in range(cases):
        payload = random_case(rng)
        try:
            scan = classify(payload)
        except ScanRefused as refused:
            outcomes[f"refused:{refused.code.value}"] += 1
            continue
        except Exception:
            unexpected.append(traceback.format_exc(limit=3))
            continue
        outcomes[scan.kind.value] += 1
        broken = (
            (scan.token is not None and len(scan.token) > 8 and scan.token in repr(scan))
            or (scan.kind is QrKind.BUSINESS_LICENCE and len(scan.uscc or "") != 18)
            or (scan.token is not None and scan.token in describe(scan) and len(scan.token) > 8)
        )
        if broken:
            unexpected.append(f"invariant broken for {scan.kind.value}")
    elapsed = time.perf_counter() - start
    record(
        "qr",
        "fuzz_unexpected",
        len(unexpected),
        "cases",
        at_most(0, "the classifier's contract: only ScanRefused escapes, the invariants hold"),
        cases=cases,
        seed_cases_per_s=round(cases / elapsed),
        outcomes=dict(sorted(outcomes.items())),
    )
    for text in unexpected[:3]:
        print(text, file=sys.stderr)
    return len(unexpected)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200_000, help="fuzz cases (default 200000)")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    classify_throughput(rng, 200_000)
    wedge_throughput(rng, 5_000)
    return 1 if fuzz(rng, args.cases) else 0


if __name__ == "__main__":
    raise SystemExit(main())
