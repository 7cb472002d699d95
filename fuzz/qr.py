"""QR payloads: the serial scanner's line framing, taking a payload in (bytes or text), the
classifier with the default and a second configuration, the USCC check, the technicians' JSON.

Expected: ``ScanRefused`` from taking in and classifying (the module promises nothing else
escapes), ``ValueError`` from ``uscc_check_char`` (documented for a wrong length or
character). Also checked: every Scan has the shape its kind promises (a 16-character code of
the code alphabet, a USCC-shaped code with a truthful ``uscc_valid``, a token with a configured
prefix), and its repr never carries a token or a code whole.
"""

from __future__ import annotations

import contextlib

from drivers.qr_serial import LineFramer
from kiosk.qr import (
    CODE_ALPHABET,
    CODE_LENGTH,
    DEFAULT_TOKEN_PREFIXES,
    DEFAULT_VERIFY_BASE_URL,
    QrKind,
    Scan,
    ScanRefused,
    accept_payload,
    classify,
)
from kiosk.qr_tool import scan_json
from kiosk.uscc import is_uscc_shaped, uscc_check_char, uscc_problem

EXPECTED: tuple[type[BaseException], ...] = (ScanRefused, ValueError)

_MAX_FRAMES = 4  # frames of one input classified: more only repeat the same code, slowly

# (certificate prefixes, token prefixes): the defaults, and a province that configured a base
# URL without its final slash and a token prefix of its own
CONFIGS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    ((DEFAULT_VERIFY_BASE_URL,), DEFAULT_TOKEN_PREFIXES),
    (("https://zwfw.example.gov.cn/verify",), ("GOV:", *DEFAULT_TOKEN_PREFIXES)),
)


def one_input(data: bytes) -> None:
    framer = LineFramer()
    frames = framer.feed(data)
    rest = framer.take()
    for frame in [*frames[:_MAX_FRAMES], rest]:
        if frame:
            _take(frame)
    _take(data)
    _take(data.decode("utf-8", "surrogateescape"))
    if len(data) % 2 == 0:
        _take(data.decode("utf-16-le", "surrogatepass"))
    text = data.decode("latin-1")
    uscc_problem(text[:18])
    with contextlib.suppress(ValueError):
        uscc_check_char(text[:17])


def _take(payload: bytes | str) -> None:
    with contextlib.suppress(ScanRefused):
        accept_payload(payload)
    for certificates, tokens in CONFIGS:
        try:
            scan = classify(payload, certificate_prefixes=certificates, token_prefixes=tokens)
        except ScanRefused:
            continue
        _check_scan(scan, tokens)


def _check_scan(scan: Scan, token_prefixes: tuple[str, ...]) -> None:
    shown = repr(scan)
    scan_json(scan)
    if scan.kind is QrKind.CERTIFICATE:
        code = scan.verification_code or ""
        assert len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code), "bad code"
        assert code not in shown, "repr(scan) shows the verification code"
    elif scan.kind is QrKind.BUSINESS_LICENCE:
        uscc = scan.uscc or ""
        assert is_uscc_shaped(uscc), "a licence whose USCC has not the USCC's shape"
        assert scan.uscc_valid == (uscc_problem(uscc) is None), "uscc_valid says otherwise"
    elif scan.kind is QrKind.IDENTITY_TOKEN:
        token = scan.token or ""
        assert token.startswith(token_prefixes), "a token without a configured prefix"
        assert len(token) <= 8 or token not in shown, "repr(scan) shows the token"
