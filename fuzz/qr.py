"""QR payloads: the serial scanner's line framing, taking a payload in (bytes or text), the
classifier with the default and a second configuration, the USCC check, the technicians' JSON.
The framing is also fed the input in pieces, with a small frame limit.

Expected: ``ScanRefused`` from taking in and classifying (the module promises nothing else
escapes), ``ValueError`` from ``uscc_check_char`` (documented for a wrong length or
character). Also checked: every Scan has the shape its kind promises (a 16-character code of
the code alphabet, a USCC-shaped code with a truthful ``uscc_valid`` that is written in the
payload (ASCII letters in either case, as it is or %-decoded), a token with a configured
prefix), its repr never carries a token or a code whole, and the frames of a stream do not
depend on how the reads cut it.
"""

from __future__ import annotations

import contextlib
import string
from urllib.parse import unquote_plus

from cli.qr import scan_json
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
from kiosk.uscc import is_uscc_shaped, uscc_check_char, uscc_problem

EXPECTED: tuple[type[BaseException], ...] = (ScanRefused, ValueError)

_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
_MAX_FRAMES = 4  # frames of one input classified: more only repeat the same code, slowly
_PIECES_OF = 512  # bytes of an input framed in pieces: frames are 32 bytes at most there

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
    _framing_in_pieces(data)


def _framing_in_pieces(data: bytes) -> None:
    """The frames of a stream do not depend on how the port's reads cut it (a small limit, so
    that a frame running past it, and the skipping to its end, is reached too)."""
    data = data[:_PIECES_OF]
    if not data:
        return
    limit = 1 + data[0] % 32
    whole = LineFramer(max_length=limit)
    expected = [*whole.feed(data), whole.take()]
    piece = 1 + data[-1] % 7
    framer = LineFramer(max_length=limit)
    got: list[bytes | None] = []
    for at in range(0, len(data), piece):
        got += framer.feed(data[at : at + piece])
    got.append(framer.take())
    assert got == expected, "the frames depend on how the reads cut the stream"


def _take(payload: bytes | str) -> None:
    try:
        text = accept_payload(payload)
    except ScanRefused:
        text = ""
    for certificates, tokens in CONFIGS:
        try:
            scan = classify(payload, certificate_prefixes=certificates, token_prefixes=tokens)
        except ScanRefused:
            continue
        _check_scan(scan, text, tokens)


def _check_scan(scan: Scan, text: str, token_prefixes: tuple[str, ...]) -> None:
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
        # a word of the text as it is, or a gsxt URL's uniscid, %-decoded
        written = (text + "\n" + unquote_plus(text)).translate(_ASCII_UPPER)
        assert uscc in written, "a USCC that is not written in the payload"
    elif scan.kind is QrKind.IDENTITY_TOKEN:
        token = scan.token or ""
        assert token.startswith(token_prefixes), "a token without a configured prefix"
        assert len(token) <= 8 or token not in shown, "repr(scan) shows the token"
