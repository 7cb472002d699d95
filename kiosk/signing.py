"""Request signing between the kiosk and the platform (docs/platform-api.yaml, "Signing").

An HMAC with the device key over::

    METHOD \\n PATH[?QUERY] \\n TIMESTAMP \\n NONCE \\n hex(HASH(body))

with HMAC-SHA256 and SHA-256 of the body (the default), or HMAC-SM3 and SM3 of the body (国密,
GB/T 32905-2016; HMAC per GB/T 15852.2 / RFC 2104), named in ``X-Kiosk-Signature-Method``.

The platform rejects a bad signature, a timestamp more than 5 minutes off and a nonce it has
already spent. Every attempt of a request is signed afresh (a retry is a new request, with a
new timestamp and nonce): a reply lost to a read time-out may come from a request the
platform answered, and so spent its nonce.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

HEADER_DEVICE = "X-Kiosk-Device"
HEADER_TIMESTAMP = "X-Kiosk-Timestamp"
HEADER_NONCE = "X-Kiosk-Nonce"
HEADER_SIGNATURE = "X-Kiosk-Signature"
HEADER_METHOD = "X-Kiosk-Signature-Method"
SIGNED_HEADERS = (HEADER_DEVICE, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE, HEADER_METHOD)
MAX_SKEW_SECONDS = 300

# ASCII only: str.isdigit() also takes '²' and Arabic-Indic digits, which int() then refuses or
# (worse) reads; and a timestamp is whole seconds, never thousands of digits.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_MAC = re.compile(r"[0-9a-f]{64}")


class SigningMethod(StrEnum):
    HMAC_SHA256 = "hmac-sha256"
    HMAC_SM3 = "hmac-sm3"


class _GmsslSM3:
    """SM3 from the pure-Python ``gmssl`` package, shaped like a hashlib object so that
    ``hmac.new`` does the RFC 2104 part. About 12 ms per kilobyte: only used where OpenSSL has
    no SM3."""

    name = "sm3"
    digest_size = 32
    block_size = 64

    def __init__(self, data: bytes = b"") -> None:
        self._data = bytearray(data)

    def update(self, data: bytes) -> None:
        self._data += data

    def copy(self) -> _GmsslSM3:
        return _GmsslSM3(bytes(self._data))

    def digest(self) -> bytes:
        from gmssl import sm3

        return bytes.fromhex(sm3.sm3_hash(list(self._data)))

    def hexdigest(self) -> str:
        return self.digest().hex()


def _sm3_backend() -> Any:
    """OpenSSL's SM3 when the system's OpenSSL has it (fast), else gmssl's, else None."""
    try:
        hashlib.new("sm3")
        return "sm3"  # a name: hmac.new then uses OpenSSL's own HMAC
    except ValueError:
        pass
    try:
        import gmssl.sm3  # noqa: F401
    except ImportError:
        return None
    return _GmsslSM3


SM3: Any = _sm3_backend()


class SigningUnavailable(Exception):
    """hmac-sm3 was asked for, but neither OpenSSL nor the gmssl package provides SM3."""


def _digestmod(method: SigningMethod) -> Any:
    if method is SigningMethod.HMAC_SHA256:
        return hashlib.sha256
    if SM3 is None:
        raise SigningUnavailable(
            "hmac-sm3 needs SM3: an OpenSSL with SM3, or the gmssl package "
            "(pip install 'yizheng-kiosk[sm3]')"
        )
    return SM3


def available(method: SigningMethod) -> bool:
    try:
        _digestmod(method)
    except SigningUnavailable:
        return False
    return True


def body_hash(body: bytes, method: SigningMethod = SigningMethod.HMAC_SHA256) -> str:
    """SHA-256 of the body for hmac-sha256, SM3 for hmac-sm3: one family per signature."""
    digestmod = _digestmod(method)
    h = hashlib.new(digestmod) if isinstance(digestmod, str) else digestmod()
    h.update(body or b"")
    return h.hexdigest()


def canonical(
    method: str,
    path: str,
    timestamp: str,
    nonce: str,
    body: bytes,
    signing: SigningMethod = SigningMethod.HMAC_SHA256,
) -> bytes:
    return "\n".join((method.upper(), path, timestamp, nonce, body_hash(body, signing))).encode()


def signature(
    key: bytes,
    method: str,
    path: str,
    timestamp: str,
    nonce: str,
    body: bytes,
    signing: SigningMethod = SigningMethod.HMAC_SHA256,
) -> str:
    message = canonical(method, path, timestamp, nonce, body, signing)
    return hmac.new(key, message, _digestmod(signing)).hexdigest()


def sign_headers(
    device_id: str,
    key: bytes,
    method: str,
    path: str,
    body: bytes,
    now: float | None = None,
    signing: SigningMethod = SigningMethod.HMAC_SHA256,
) -> dict[str, str]:
    """The five headers of one attempt: call it again for every retry."""
    timestamp = str(int(now if now is not None else time.time()))
    nonce = secrets.token_hex(16)
    return {
        HEADER_DEVICE: device_id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(key, method, path, timestamp, nonce, body, signing),
        HEADER_METHOD: signing.value,
    }


def clock_skew(date_header: str | None, signed_at: float) -> float | None:
    """Seconds the signer's clock was ahead of the server's when it signed (behind: negative),
    measured by the reply's HTTP ``Date`` (whole seconds, GMT); None without a readable one."""
    try:
        date = email.utils.parsedate_to_datetime(date_header or "")
    except (TypeError, ValueError, IndexError):
        return None
    if date.tzinfo is None:  # "-0000": GMT all the same (RFC 9110 dates are GMT)
        date = date.replace(tzinfo=dt.UTC)
    return signed_at - date.timestamp()


def skew_words(date_header: str | None, signed_at: float) -> str:
    """For a technician, after a ``clock_skew`` refusal: how far off the kiosk's clock is."""
    skew = clock_skew(date_header, signed_at)
    if skew is None:
        return "the platform's reply has no Date to measure the kiosk's clock by"
    way = "ahead of" if skew > 0 else "behind"
    return f"the kiosk's clock is {abs(skew):.0f} s {way} the platform's (its Date header)"


@dataclass(frozen=True, slots=True)
class Rejection:
    status: int
    code: str
    message: str


def check(
    headers: dict[str, str],
    key_for_device: Callable[[str], bytes | None],
    method: str,
    path: str,
    body: bytes,
    now: float | None = None,
) -> tuple[str, str] | Rejection:
    """Verify a signed request. Returns (device_id, nonce) or why it is rejected.

    ``key_for_device(device_id) -> bytes | None``. The caller checks and spends the nonce.
    Header values are outside input: anything at all may be in them.
    """
    device_id = headers.get(HEADER_DEVICE, "")
    timestamp = headers.get(HEADER_TIMESTAMP, "")
    nonce = headers.get(HEADER_NONCE, "")
    given = headers.get(HEADER_SIGNATURE, "")
    named = headers.get(HEADER_METHOD) or SigningMethod.HMAC_SHA256.value
    if not (device_id and timestamp and nonce and given):
        return Rejection(401, "unsigned", "request is not signed")
    key = key_for_device(device_id)
    if key is None:
        return Rejection(401, "unknown_device", "device is not registered")
    if not _TIMESTAMP.fullmatch(timestamp):
        return Rejection(401, "bad_timestamp", "timestamp is not a number of seconds")
    now = now if now is not None else time.time()
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return Rejection(401, "clock_skew", "timestamp is more than 5 minutes off")
    if len(nonce) < 16 or len(nonce) > 64:
        return Rejection(401, "bad_nonce", "nonce must be 16 to 64 characters")
    try:
        signing = SigningMethod(named.strip().lower())
        _digestmod(signing)
    except (ValueError, SigningUnavailable):
        return Rejection(401, "bad_signature_method", "signature method is not supported")
    if not _HEX_MAC.fullmatch(given):
        return Rejection(401, "bad_signature", "signature does not match")
    expected = signature(key, method, path, timestamp, nonce, body, signing)
    if not hmac.compare_digest(expected.encode(), given.encode()):
        return Rejection(401, "bad_signature", "signature does not match")
    return device_id, nonce
