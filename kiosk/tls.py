"""TLS towards the platform: the province's CA file and public-key pins.

Certificates are always verified (requests does, and nothing here can turn it off). A pin is
checked in addition, on every new connection, right after the handshake and before a single
byte of the request is sent: a name or an ID number never reaches a server whose key is not
pinned. A pin is the SHA-256 of the server certificate's SubjectPublicKeyInfo, written as HPKP
and curl's ``--pinnedpubkey sha256//…`` write it (base64), or as hex; several pins may be
given so that a gateway can roll its key over.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPSConnectionPool
from urllib3.exceptions import SSLError
from urllib3.poolmanager import PoolManager

_HEX_PIN = re.compile(r"[0-9A-Fa-f]{2}(?::?[0-9A-Fa-f]{2}){31}")


class PinMismatch(SSLError):
    """The server's public key is none of the pinned ones: the connection is closed unused."""


def parse_pin(text: str) -> bytes:
    """``sha256//BASE64``, plain base64 (44 characters) or hex (64 digits, colons allowed) to
    the 32 bytes of the digest; ValueError says what a pin looks like."""
    value = text.strip().removeprefix("sha256//")
    if _HEX_PIN.fullmatch(value):
        return bytes.fromhex(value.replace(":", ""))
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 32:
        raise ValueError(
            "must be the SHA-256 of the server's public key (SubjectPublicKeyInfo): "
            "sha256//BASE64, 44 characters of base64, or 64 hex digits"
        )
    return digest


def format_pin(digest: bytes) -> str:
    return "sha256//" + base64.b64encode(digest).decode()


def spki_sha256(der_certificate: bytes) -> bytes:
    """SHA-256 of the certificate's SubjectPublicKeyInfo (the same as
    ``openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256``)."""
    from cryptography import x509  # on the first connection, not at start
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    cert = x509.load_der_x509_certificate(der_certificate)
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()


def _check_pin(conn: HTTPSConnection, pins: frozenset[bytes]) -> None:
    der = conn.sock.getpeercert(binary_form=True) if conn.sock is not None else None  # type: ignore[union-attr]
    seen = "no certificate"
    digest = None
    if der:
        try:
            digest = spki_sha256(der)
            seen = format_pin(digest)
        except (ValueError, TypeError) as exc:  # a key type cryptography cannot read
            seen = f"a key that cannot be read ({type(exc).__name__})"
    if digest not in pins:
        conn.close()
        raise PinMismatch(
            f"the platform's public key ({seen}) is not pinned ([platform] pin_sha256)"
        )


def _pinned_pool_class(pins: frozenset[bytes]) -> type[HTTPSConnectionPool]:
    class PinnedHTTPSConnection(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            _check_pin(self, pins)

    class PinnedHTTPSConnectionPool(HTTPSConnectionPool):
        ConnectionCls = PinnedHTTPSConnection

    return PinnedHTTPSConnectionPool


class PinnedAdapter(HTTPAdapter):
    """An HTTPAdapter whose HTTPS connections (direct or through a proxy) check the pins."""

    def __init__(self, pins: Iterable[bytes]) -> None:
        self.pins = frozenset(pins)
        super().__init__()  # no retries here: the client signs and retries every attempt

    def _pin(self, manager: PoolManager) -> PoolManager:
        if self.pins:
            manager.pool_classes_by_scheme = {
                **manager.pool_classes_by_scheme,
                "https": _pinned_pool_class(self.pins),
            }
        return manager

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self._pin(self.poolmanager)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        fresh = proxy not in self.proxy_manager
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        return self._pin(manager) if fresh else manager
