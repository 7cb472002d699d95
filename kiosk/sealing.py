"""Records sealed at rest: AES-256-GCM under a key derived from the device key.

A complaint's callback number must never lie on the kiosk's disk in clear, not even for the
minutes the platform is away. The outbox therefore holds it sealed: the key is derived from the
device key with HKDF-SHA256 and a purpose label (so it is never the signing key itself, and
another purpose gets another key), every record has its own random 96-bit nonce, and the
record's id is the associated data (a sealed payload moved onto another record does not open).
The key lives in memory only; the ciphertext is opened when the record is sent (docs/privacy.md).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = 1
NONCE_BYTES = 12
KEY_BYTES = 32
# the purpose label: a key derived for complaints opens nothing else
COMPLAINTS = b"kiosk outbox complaint v1"


class Unsealable(Exception):
    """A sealed record that does not open: another device key, or damaged on disk."""


def derive_key(device_key: bytes, purpose: bytes) -> bytes:
    """A 256-bit key for one purpose, from the device key (HKDF-SHA256, RFC 5869)."""
    if not device_key:
        raise ValueError("no device key")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose)
    return hkdf.derive(device_key)


class Sealer:
    """Seals and opens JSON payloads for one purpose; ``nonce`` is for tests only."""

    def __init__(self, device_key: bytes, purpose: bytes = COMPLAINTS) -> None:
        self._aead = AESGCM(derive_key(device_key, purpose))

    def __repr__(self) -> str:
        return "Sealer(…)"  # never the key

    def seal(self, record_id: str, payload: Mapping, *, nonce: bytes | None = None) -> dict:
        """The payload as the outbox stores it: ``{"sealed": 1, "box": base64(nonce|ct|tag)}``."""
        nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
        if len(nonce) != NONCE_BYTES:
            raise ValueError("a nonce is 12 bytes")
        plain = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        box = nonce + self._aead.encrypt(nonce, plain, record_id.encode())
        return {"sealed": VERSION, "box": base64.b64encode(box).decode("ascii")}

    def open(self, record_id: str, stored: Mapping) -> dict:
        """The payload back, in memory; ``Unsealable`` when it does not open."""
        if stored.get("sealed") != VERSION or not isinstance(stored.get("box"), str):
            raise Unsealable("not a sealed record")
        try:
            box = base64.b64decode(stored["box"], validate=True)
        except ValueError:
            raise Unsealable("not base64") from None
        if len(box) < NONCE_BYTES + 16:
            raise Unsealable("too short")
        try:
            plain = self._aead.decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], record_id.encode())
        except InvalidTag:
            raise Unsealable("does not open with this device's key") from None
        payload = json.loads(plain)
        if not isinstance(payload, dict):
            raise Unsealable("not an object")
        return payload
