"""The technician's PIN: kept as a salted scrypt hash, checked in constant time, and guarded.

The configuration holds ``[technician] pin_hash = "scrypt$N$r$p$SALT$HASH"`` (salt and hash in
base64), written by `kiosk config set-pin`; the parameters travel with the hash, so a kiosk
whose hash was made with other costs still checks it, and stronger costs need no new format.
A hash read from a file is bounded (N, r, p, lengths) before scrypt runs, so a tampered file
cannot make the kiosk spend gigabytes on one check.

Five wrong PINs in a row lock the keypad for five minutes (``Lockout``); a technician who
walks away is signed out after a quiet spell (``Inactivity``). Both are pure: the caller
passes a monotonic clock's reading, so they are unit tests, and a wall clock set back or
forward changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1  # 16 MiB and 55-75 ms per check here: dear for a stolen file
SALT_BYTES = 16
HASH_BYTES = 32
MAX_N = 2**20  # bounds for hashes read from a file (1 GiB of memory at r=8 is refused)
MAX_R, MAX_P = 32, 16
MAX_MEMORY = 256 * 1024 * 1024
PIN_PATTERN = re.compile(r"[0-9]{6,8}")
LOCK_AFTER = 5  # wrong PINs in a row
LOCK_SECONDS = 300.0
IDLE_SECONDS = 120.0  # a technician's screen left alone this long signs out


class PinError(ValueError):
    """A PIN or a stored hash that cannot be used; the message says why (never the PIN)."""


def check_format(pin: str) -> None:
    """6 to 8 ASCII digits: what the keypad can type (a fullwidth ９ is not a digit here)."""
    if not PIN_PATTERN.fullmatch(pin):
        raise PinError("a PIN is 6 to 8 digits (0-9)")


@dataclass(frozen=True, slots=True)
class PinHash:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes

    def __str__(self) -> str:
        salt = base64.b64encode(self.salt).decode()
        digest = base64.b64encode(self.digest).decode()
        return f"{SCHEME}${self.n}${self.r}${self.p}${salt}${digest}"


def hash_pin(pin: str, *, salt: bytes | None = None, n: int = N, r: int = R, p: int = P) -> str:
    """The text to keep in the configuration for ``pin`` (a fresh salt each time)."""
    check_format(pin)
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    return str(PinHash(n, r, p, salt, _scrypt(pin, salt, n, r, p)))


def parse_hash(text: str) -> PinHash:
    """The parts of a stored hash, bounded; PinError says what is wrong with it."""
    parts = text.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise PinError(
            "must look like scrypt$N$r$p$salt$hash (write it with `kiosk config set-pin`)"
        )
    try:
        n, r, p = (int(v) for v in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        raise PinError("has a part that is not a number or not base64") from None
    if n < 2 or n > MAX_N or n & (n - 1):
        raise PinError(f"scrypt N must be a power of 2 up to {MAX_N}, not {n}")
    if not (1 <= r <= MAX_R and 1 <= p <= MAX_P) or 128 * r * n > MAX_MEMORY:
        raise PinError(f"scrypt r={r}, p={p} are out of bounds")
    if not 8 <= len(salt) <= 64 or not 16 <= len(digest) <= 64:
        raise PinError("salt or hash has an implausible length")
    return PinHash(n, r, p, salt, digest)


def verify_pin(pin: str, stored: str | PinHash) -> bool:
    """Does ``pin`` match? Compared in constant time; a badly formed PIN is simply wrong."""
    hashed = stored if isinstance(stored, PinHash) else parse_hash(stored)
    if not PIN_PATTERN.fullmatch(pin):
        return False
    digest = _scrypt(pin, hashed.salt, hashed.n, hashed.r, hashed.p, len(hashed.digest))
    return hmac.compare_digest(digest, hashed.digest)


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int, length: int = HASH_BYTES) -> bytes:
    return hashlib.scrypt(
        pin.encode("ascii"), salt=salt, n=n, r=r, p=p, maxmem=MAX_MEMORY + 2**20, dklen=length
    )


class Lockout:
    """``attempts`` wrong PINs in a row lock the keypad for ``seconds`` (monotonic time)."""

    def __init__(self, attempts: int = LOCK_AFTER, seconds: float = LOCK_SECONDS) -> None:
        self.attempts = attempts
        self.seconds = seconds
        self.wrong = 0
        self.until: float | None = None

    def remaining(self, now: float) -> float:
        """Seconds still locked (0: the keypad may be used)."""
        if self.until is None:
            return 0.0
        if now >= self.until:  # the lock has run out: a fresh count
            self.until = None
            self.wrong = 0
            return 0.0
        return self.until - now

    def allowed(self, now: float) -> bool:
        return self.remaining(now) == 0.0

    def failed(self, now: float) -> None:
        """A wrong PIN; the last allowed one starts the lock."""
        if not self.allowed(now):
            return  # typed while locked: it was never checked
        self.wrong += 1
        if self.wrong >= self.attempts:
            self.until = now + self.seconds

    def succeeded(self) -> None:
        self.wrong = 0
        self.until = None

    def attempt(self, pin: str, stored: str | PinHash, now: float) -> bool:
        """Check ``pin`` unless locked; count the outcome. False while locked, unchecked."""
        if not self.allowed(now):
            return False
        if verify_pin(pin, stored):
            self.succeeded()
            return True
        self.failed(now)
        return False


class Inactivity:
    """A technician's session ends after ``seconds`` without a touch (monotonic time)."""

    def __init__(self, now: float, seconds: float = IDLE_SECONDS) -> None:
        self.seconds = seconds
        self.last = now

    def touched(self, now: float) -> None:
        self.last = max(self.last, now)

    def expired(self, now: float) -> bool:
        return now - self.last >= self.seconds
