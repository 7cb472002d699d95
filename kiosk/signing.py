"""Request signing between the kiosk and the platform (docs/platform-api.yaml, "Signing").

HMAC-SHA256 with the device key over::

    METHOD \\n PATH[?QUERY] \\n TIMESTAMP \\n NONCE \\n hex(SHA-256(body))

The platform rejects a bad signature, a timestamp more than 5 minutes off and a nonce it has
already accepted. A reply of 5xx does not spend the nonce, so an idempotent request may be
retried as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

HEADER_DEVICE = "X-Kiosk-Device"
HEADER_TIMESTAMP = "X-Kiosk-Timestamp"
HEADER_NONCE = "X-Kiosk-Nonce"
HEADER_SIGNATURE = "X-Kiosk-Signature"
MAX_SKEW_SECONDS = 300


def canonical(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join(
        (method.upper(), path, timestamp, nonce, hashlib.sha256(body or b"").hexdigest())
    ).encode()


def signature(key: bytes, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(
        key, canonical(method, path, timestamp, nonce, body), hashlib.sha256
    ).hexdigest()


def sign_headers(
    device_id: str, key: bytes, method: str, path: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    nonce = secrets.token_hex(16)
    return {
        HEADER_DEVICE: device_id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(key, method, path, timestamp, nonce, body),
    }


@dataclass(frozen=True, slots=True)
class Rejection:
    status: int
    code: str
    message: str


def check(
    headers: dict[str, str],
    key_for_device,
    method: str,
    path: str,
    body: bytes,
    now: float | None = None,
) -> tuple[str, str] | Rejection:
    """Verify a signed request. Returns (device_id, nonce) or why it is rejected.

    ``key_for_device(device_id) -> bytes | None``. The caller checks and spends the nonce.
    """
    device_id = headers.get(HEADER_DEVICE, "")
    timestamp = headers.get(HEADER_TIMESTAMP, "")
    nonce = headers.get(HEADER_NONCE, "")
    given = headers.get(HEADER_SIGNATURE, "")
    if not (device_id and timestamp and nonce and given):
        return Rejection(401, "unsigned", "request is not signed")
    key = key_for_device(device_id)
    if key is None:
        return Rejection(401, "unknown_device", "device is not registered")
    if not timestamp.isdigit():
        return Rejection(401, "bad_timestamp", "timestamp is not a number of seconds")
    now = now if now is not None else time.time()
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return Rejection(401, "clock_skew", "timestamp is more than 5 minutes off")
    if len(nonce) < 16 or len(nonce) > 64:
        return Rejection(401, "bad_nonce", "nonce must be 16 to 64 characters")
    expected = signature(key, method, path, timestamp, nonce, body)
    if not hmac.compare_digest(expected, given):
        return Rejection(401, "bad_signature", "signature does not match")
    return device_id, nonce
