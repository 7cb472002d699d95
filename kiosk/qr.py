"""What a scanned QR code is: a business licence, a citizen's identity token, a certificate
to verify, or something this kiosk does not know. Pure: no I/O, no device.

The payload comes from outside (any QR code a citizen holds up), so every input either gives a
``Scan`` or raises ``ScanRefused``; nothing else escapes. The rules, first match wins:

1. identity token: starts with a configured token prefix (三晋通 "SXT1.", 网证 "CTID:"). The
   token is opaque: kept whole for the platform, never decoded, never searched, never shown.
2. certificate: the configured verification base URL followed by a 16-character code, or a
   bare code (0-9 A-H J-N P-Z, either case; upper-cased). QR encoders often switch long URLs to
   alphanumeric mode, which is upper case only, so the prefix is compared without case.
3. business licence: a gsxt.gov.cn URL's ``uniscid`` parameter, else a USCC-shaped word
   anywhere in the text (GB 32100 shape). A failed check character is reported
   (``uscc_valid=False``), not refused: genuine early pilot codes fail it.
4. unknown: anything else, including the unpublished 市场主体身份码. Never guessed at.

Three guards on rule 3, all about what else an 18-character run can be:
- the USCC must stand as a word (no ASCII letter or digit glued to either side): inside a longer
  run it is a fragment of something else (a 24-digit payment code, a hex token);
- a bare word that is a valid resident ID number (GB 11643 check and a real birth date) is not
  taken for a USCC, so an ID number never travels on as an enterprise code;
- an electronic licence identifier (GB/T 36904, "1.2.156.3005.2.…") holds the USCCs of the
  authorities that define and issue the licence, not of its holder: it is left unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit

from kiosk.i18n import N_
from kiosk.identity import id_number_problem
from kiosk.masking import mask_number, mask_token
from kiosk.uscc import USCC_PATTERN, is_uscc_shaped, uscc_problem

DEFAULT_VERIFY_BASE_URL = "https://yzt.shanxi.demo/v/"
DEFAULT_TOKEN_PREFIXES: tuple[str, ...] = ("SXT1.", "CTID:")

MAX_PAYLOAD_BYTES = 4096  # QR holds at most 2953 bytes; more is not a QR code
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # certificate codes: no I, no O
CODE_LENGTH = 16

GSXT_HOSTS = frozenset({"www.gsxt.gov.cn", "gsxt.gov.cn"})
LICENCE_ID_ROOT = "1.2.156.3005.2."  # GB/T 36904 electronic licence identifiers

# ASCII only: with Unicode case folding "K" would also match the Kelvin sign.
_CODE = re.compile(f"[0-9A-HJ-NP-Z]{{{CODE_LENGTH}}}", re.IGNORECASE | re.ASCII)
_CODE_END = re.compile(r"(?:[/?#].*)?", re.DOTALL)  # after a code: nothing, or a path/query
_USCC_WORD = re.compile(f"(?<![0-9A-Za-z]){USCC_PATTERN}(?![0-9A-Za-z])")
# C0 controls (framing is stripped before), DEL and C1 controls, lone surrogates, U+FFFD.
_BAD_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")
_ID_SHAPE = re.compile("[0-9]{17}[0-9X]")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class QrKind(StrEnum):
    BUSINESS_LICENCE = "business_licence"
    IDENTITY_TOKEN = "identity_token"
    CERTIFICATE = "certificate"
    UNKNOWN = "unknown"


class Refusal(StrEnum):
    """Why a payload is not taken at all (technical code; REFUSAL_REASONS has the words)."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_TEXT = "not_text"  # bytes that are neither UTF-8 nor GB18030, or lone surrogates
    CONTROL_CHAR = "control_char"
    REPLACEMENT_CHAR = "replacement_char"  # U+FFFD: something upstream already failed to decode


_UNREADABLE = N_("二维码内容无法识别，请确认是否为正确的二维码后重新扫码。")
REFUSAL_REASONS: dict[Refusal, str] = {
    Refusal.EMPTY: N_("没有读到二维码内容，请将二维码对准扫码窗口重新扫码。"),
    Refusal.TOO_LONG: N_("二维码内容过长，本机无法识别。请确认是否为正确的二维码。"),
    Refusal.NOT_TEXT: _UNREADABLE,
    Refusal.CONTROL_CHAR: _UNREADABLE,
    Refusal.REPLACEMENT_CHAR: _UNREADABLE,
}


class ScanRefused(ValueError):
    """A payload that is not taken. ``reason``: for the citizen; ``code`` and ``detail``: for
    technicians (the message never quotes the payload)."""

    def __init__(self, code: Refusal, detail: str = ""):
        self.code = code
        self.reason = REFUSAL_REASONS[code]
        self.detail = detail
        super().__init__(f"{code.value}: {detail}" if detail else code.value)


@dataclass(frozen=True, slots=True, repr=False)
class Scan:
    """What a payload is, and only the parts the kiosk acts on (never the payload itself)."""

    kind: QrKind
    uscc: str | None = None
    uscc_valid: bool | None = None
    verification_code: str | None = None
    token: str | None = None

    def __repr__(self) -> str:
        return f"Scan({describe(self)})"


def describe(scan: Scan) -> str:
    """One line for logs: the kind and masked parts. A verification code opens a certificate
    (with personal data on it) to whoever holds it, so it is masked like a token."""
    parts = [scan.kind.value]
    if scan.uscc is not None:
        parts.append(f"uscc={mask_number(scan.uscc)}")
    if scan.uscc_valid is not None:
        parts.append(f"uscc_valid={scan.uscc_valid}")
    if scan.verification_code is not None:
        parts.append(f"code={mask_token(scan.verification_code)}")
    if scan.token is not None:
        parts.append(f"token={mask_token(scan.token)}")
    return " ".join(parts)


# ---- events (re-exported by kiosk.events) ---------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class QrScanned:
    """A scanner read a payload that passed accept_payload; the journey classifies it."""

    payload: str
    source: str = ""

    def __repr__(self) -> str:
        return f"QrScanned(payload={mask_token(self.payload)}, source={self.source!r})"


@dataclass(frozen=True, slots=True)
class QrRejected:
    """A scanner read something that is refused. ``reason``: citizen-facing (Chinese);
    ``code``: the Refusal value, for technicians."""

    reason: str
    source: str = ""
    code: str = ""


# ---- taking a payload in ---------------------------------------------------------------------


def decode_payload(data: bytes) -> str:
    """UTF-8, else GB18030; anything else is refused.

    Chinese scanners and QR generators still emit GBK text; a licence QR with the USCC inside a
    GBK sentence would otherwise be lost. The codes acted on are ASCII (which both encodings
    share), so the fallback only decides "unknown" vs "refused" for everything else; binary junk
    still fails because it almost always holds control bytes or invalid sequences.
    """
    if len(data) > MAX_PAYLOAD_BYTES:
        raise ScanRefused(Refusal.TOO_LONG, f"{len(data)} bytes, the limit is {MAX_PAYLOAD_BYTES}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ScanRefused(
            Refusal.NOT_TEXT, f"neither UTF-8 nor GB18030 at byte {exc.start}"
        ) from None


def accept_payload(payload: str | bytes) -> str:
    """The payload as text with surrounding whitespace removed, or ScanRefused.

    Callers strip the scanner's framing (CR, LF, TAB) first; any control character left inside
    is junk. A leading BOM (some generators mark UTF-8 that way) is dropped.
    """
    if isinstance(payload, bytes | bytearray | memoryview):
        text = decode_payload(bytes(payload))
    else:
        text = payload
        size = len(text)
        if size <= MAX_PAYLOAD_BYTES:  # else certainly too long: no need to encode
            size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_PAYLOAD_BYTES:
            raise ScanRefused(Refusal.TOO_LONG, f"over {MAX_PAYLOAD_BYTES} bytes as UTF-8")
    text = text.removeprefix("\ufeff")
    bad = _BAD_CHAR.search(text)
    if bad is not None:
        ch = bad.group()
        where = f"U+{ord(ch):04X} at {bad.start()}"
        if ch == "\ufffd":
            raise ScanRefused(Refusal.REPLACEMENT_CHAR, where)
        if "\ud800" <= ch <= "\udfff":
            raise ScanRefused(Refusal.NOT_TEXT, f"lone surrogate {where}")
        raise ScanRefused(Refusal.CONTROL_CHAR, where)
    text = text.strip()
    if not text:
        raise ScanRefused(Refusal.EMPTY)
    return text


# ---- classifying -----------------------------------------------------------------------------


def classify(
    payload: str | bytes,
    *,
    certificate_prefixes: tuple[str, ...] = (DEFAULT_VERIFY_BASE_URL,),
    token_prefixes: tuple[str, ...] = DEFAULT_TOKEN_PREFIXES,
) -> Scan:
    """What ``payload`` is (see the module docstring for the rules), or ScanRefused."""
    text = accept_payload(payload)
    for prefix in token_prefixes:
        if prefix and len(text) > len(prefix) and text.startswith(prefix):
            return Scan(QrKind.IDENTITY_TOKEN, token=text)
    code = certificate_code(text, certificate_prefixes)
    if code is not None:
        return Scan(QrKind.CERTIFICATE, verification_code=code)
    uscc = None if text.startswith(LICENCE_ID_ROOT) else find_uscc(text)
    if uscc is not None:
        return Scan(QrKind.BUSINESS_LICENCE, uscc=uscc, uscc_valid=uscc_problem(uscc) is None)
    return Scan(QrKind.UNKNOWN)


def certificate_code(text: str, prefixes: tuple[str, ...]) -> str | None:
    """The verification code of a certificate URL (or of a bare code), upper-cased."""
    if len(text) == CODE_LENGTH and _CODE.fullmatch(text):
        return text.upper()
    for prefix in prefixes:
        if not prefix or _ascii_lower(text[: len(prefix)]) != _ascii_lower(prefix):
            continue
        rest = text[len(prefix) :]
        if not prefix.endswith("/"):
            rest = rest.removeprefix("/")
        if _CODE.match(rest) and _CODE_END.fullmatch(rest, CODE_LENGTH):
            return rest[:CODE_LENGTH].upper()
    return None


def gsxt_uniscid(text: str) -> str | None:
    """The ``uniscid`` parameter of a 国家企业信用信息公示系统 URL, when it has a USCC's shape."""
    if not text[:8].lower().startswith(("http://", "https://")):
        return None
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".")
        if host not in GSXT_HOSTS:
            return None
        fields = parse_qsl(parts.query)
    except ValueError:  # e.g. a malformed IPv6 host or a netloc that NFKC changes
        return None
    for name, value in fields:
        if name.lower() == "uniscid":
            value = value.strip().translate(_ASCII_UPPER)  # str.upper(): ﬀ would be FF
            if is_uscc_shaped(value):
                return value
    return None


def find_uscc(text: str) -> str | None:
    """The USCC a licence payload carries: the gsxt ``uniscid`` first, then USCC-shaped words;
    the first with a valid check character wins, else the first of the right shape."""
    candidates: list[str] = []
    uniscid = gsxt_uniscid(text)
    if uniscid is not None:
        candidates.append(uniscid)
    for match in _USCC_WORD.finditer(text):
        word = match.group()
        if not _looks_like_id_number(word):
            candidates.append(word)
    for candidate in candidates:
        if uscc_problem(candidate) is None:
            return candidate
    return candidates[0] if candidates else None


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def _looks_like_id_number(word: str) -> bool:
    return _ID_SHAPE.fullmatch(word) is not None and id_number_problem(word) is None
