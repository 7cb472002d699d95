"""A social-security card that lives in a TCP socket: the card side of vsmartcard's vpcd.

pcscd loads the vpcd driver (Debian: vsmartcard-vpcd), which shows the readers "Virtual PCD 00 00"
(port 35963) and "Virtual PCD 00 01" (35964) and waits for a card to connect. Connecting is
inserting the card, closing the connection is pulling it out; PC/SC applications, the kiosk's
PcscReader among them, see a real card in a real reader.

The wire is small: every message has a 2-byte big-endian length; a 1-byte message is a control
code (0 power off, 1 power on, 2 reset, 4 get ATR: answered with the ATR), anything else is an
APDU answered with data + SW. Written here rather than taken from python3-virtualsmartcard, whose
Debian package is off sys.path and needs a crypto module Debian does not ship.

The card behaves like a contact T=0 card: SELECT of the application answers 61xx and hands its FCI
over with GET RESPONSE; a wrong Le draws 6Cxx; files other than EF05/EF06 answer 6A82, or 6982
when they exist behind a PIN; unknown instructions 6D00. Faults for tests: not an SSSE card
(``ssse=False``), a file behind a PIN (``pin_protected={EF06}``), or the card pulled in the middle
of the n-th command (``drop_at=n``: the connection closes instead of an answer).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import socket
import struct
import threading
import time
from collections.abc import Iterable

from drivers.socialcard import (
    BIRTH_DATE,
    CARD_NUMBER,
    EF05,
    EF06,
    EXPIRY_DATE,
    ISSUE_DATE,
    NAME,
    NATION,
    NUMBER,
    SEX,
    SSSE_AID,
    Field,
    Sw,
)
from kiosk.identity import NATIONS, IdentityCard, Sex

log = logging.getLogger("devkit.virtual_socialcard")

VPCD_PORT = 35963  # reader "Virtual PCD 00 00"; 35964 is "Virtual PCD 00 01"

# T=0, TB1/TC1 present, 12 historical bytes that say what this is.
DEFAULT_ATR = bytes.fromhex("3B6C0000") + b"VIRTUAL SSSE"

MF = 0x3F00
EF07 = 0xEF07  # further SSSE files (medical, payments …): behind the PIN on real cards
EF08 = 0xEF08
EF0C = 0xEF0C
PIN_FILES = frozenset({EF07, EF08, EF0C})

BIRTHPLACE = Field("birthplace", EF06, 0x0C, 3)  # not read by the kiosk, but on the card
CARD_ID = Field("card_id", EF05, 0x01, 16)

_POWER_OFF, _POWER_ON, _RESET, _GET_ATR = 0, 1, 2, 4
_SEX_CODES = {Sex.MALE: b"1", Sex.FEMALE: b"2", Sex.UNKNOWN: b"0", Sex.UNSPECIFIED: b"9"}
_NATION_CODES = {name: code for code, name in NATIONS.items()}


def _bcd(digits: str, size: int) -> bytes:
    return bytes.fromhex(digits.ljust(2 * size, "F"))


def _date(value: dt.date | None) -> bytes:
    return _bcd(value.strftime("%Y%m%d"), 4) if value is not None else bytes(4)


def _text(value: bytes, size: int) -> bytes:
    if len(value) > size:
        raise ValueError(f"a value of {len(value)} bytes does not fit a field of {size}")
    return value.ljust(size, b"\x00")


def _record(field: Field, value: bytes) -> bytes:
    return bytes((field.tag, len(value))) + value


def encode_records(holder: IdentityCard) -> dict[int, dict[int, bytes]]:
    """The holder as the card stores it: EF → tag → record (tag, length, value)."""
    number = holder.number.encode("ascii")
    area = holder.number[:6] if holder.number[:6].isdigit() else "000000"
    try:
        name = holder.name.encode("gbk")
    except UnicodeEncodeError:
        name = holder.name.encode("gb18030")  # a rare character: cards carry it in GB18030
    values: dict[Field, bytes] = {
        CARD_ID: (area + "D156000005").encode("ascii"),
        ISSUE_DATE: _date(holder.valid_from),
        EXPIRY_DATE: _date(holder.valid_to),
        CARD_NUMBER: _text((holder.card_number or "").encode("ascii"), CARD_NUMBER.length),
        NUMBER: _text(number, NUMBER.length),
        NAME: _text(name, NAME.length),
        SEX: _SEX_CODES[holder.sex],
        NATION: _bcd(_NATION_CODES.get(holder.nation or "", "00"), 1),
        BIRTHPLACE: _bcd(area, 3),
        BIRTH_DATE: _date(holder.birth_date),
    }
    files: dict[int, dict[int, bytes]] = {EF05: {}, EF06: {}}
    for field, value in values.items():
        files[field.ef][field.tag] = _record(field, value)
    return files


def _frame(payload: bytes) -> bytes:
    return struct.pack(">H", len(payload)) + payload


def _sw(sw: int) -> bytes:
    return sw.to_bytes(2, "big")


class CardOs:
    """The card's answers, one APDU at a time (no I/O: the socket loop lives in VirtualSocialCard)."""

    def __init__(
        self,
        files: dict[int, dict[int, bytes]],
        *,
        ssse: bool = True,
        pin_protected: Iterable[int] = (),
    ):
        self.files = files
        self.ssse = ssse
        self.pin_protected = frozenset(pin_protected) | PIN_FILES
        self.reset()

    def reset(self) -> None:
        self.in_ssse = False
        self.current_ef: int | None = None
        self.pending = b""  # what GET RESPONSE hands over

    def execute(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return _sw(Sw.WRONG_LENGTH)
        cla, ins, p1, p2 = apdu[:4]
        body = apdu[4:]
        if cla != 0x00:
            return _sw(Sw.CLA_NOT_SUPPORTED)
        if ins != 0xC0:
            self.pending = b""
        if ins == 0xA4:
            return self._select(p1, p2, body)
        if ins == 0xB2:
            return self._read_record(p1, p2, body)
        if ins == 0xC0:
            return self._get_response(body)
        return _sw(Sw.INS_NOT_SUPPORTED)

    def _select(self, p1: int, p2: int, body: bytes) -> bytes:
        if p2 not in (0x00, 0x0C):
            return _sw(Sw.WRONG_P1P2)
        if not body or len(body) not in (body[0] + 1, body[0] + 2):  # Lc data [Le]
            return _sw(Sw.WRONG_LENGTH)
        data = body[1 : 1 + body[0]]
        if p1 == 0x04:  # by DF name
            if not self.ssse or data != SSSE_AID:
                return _sw(Sw.FILE_NOT_FOUND)
            self.in_ssse, self.current_ef = True, None
            fci = bytes((0x84, len(SSSE_AID))) + SSSE_AID
            self.pending = bytes((0x6F, len(fci))) + fci
            return _sw(0x6100 | len(self.pending))
        if p1 in (0x00, 0x02) and len(data) == 2:
            fid = int.from_bytes(data, "big")
            if p1 == 0x00 and fid == MF:
                self.in_ssse, self.current_ef = False, None
                return _sw(Sw.OK)
            if self.in_ssse and (fid in self.files or fid in self.pin_protected):
                self.current_ef = fid
                return _sw(Sw.OK)
            return _sw(Sw.FILE_NOT_FOUND)
        return _sw(Sw.WRONG_P1P2)

    def _read_record(self, tag: int, p2: int, body: bytes) -> bytes:
        if len(body) != 1:
            return _sw(Sw.WRONG_LENGTH)
        if self.current_ef is None:
            return _sw(Sw.NO_CURRENT_EF)
        if self.current_ef in self.pin_protected:
            return _sw(Sw.SECURITY_NOT_SATISFIED)
        if p2 != 0x00:  # only "first occurrence of the record with identifier P1"
            return _sw(Sw.WRONG_P1P2)
        record = self.files.get(self.current_ef, {}).get(tag)
        if record is None:
            return _sw(Sw.RECORD_NOT_FOUND)
        le = body[0]
        if le not in (0, len(record)):
            return _sw(0x6C00 | len(record))
        return record + _sw(Sw.OK)

    def _get_response(self, body: bytes) -> bytes:
        if not self.pending:
            return _sw(Sw.CONDITIONS_NOT_SATISFIED)
        le = body[0] if len(body) == 1 else 0
        if le not in (0, len(self.pending)):
            return _sw(0x6C00 | len(self.pending))
        data, self.pending = self.pending, b""
        return data + _sw(Sw.OK)


class VirtualSocialCard:
    """One card for the vpcd reader on ``port``: insert() connects it, remove() pulls it out."""

    def __init__(
        self,
        holder: IdentityCard,
        port: int = VPCD_PORT,
        host: str = "127.0.0.1",
        *,
        ssse: bool = True,
        pin_protected: Iterable[int] = (),
        drop_at: int | None = None,
        atr: bytes = DEFAULT_ATR,
    ):
        self.host = host
        self.port = port
        self.atr = atr
        self.drop_at = drop_at  # pull the card instead of answering the n-th APDU (1-based)
        self.os = CardOs(encode_records(holder), ssse=ssse, pin_protected=pin_protected)
        self.headers: list[bytes] = []  # CLA INS P1 P2 of every APDU seen: no card data
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> VirtualSocialCard:
        self.insert()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    @property
    def inserted(self) -> bool:
        return self._sock is not None

    def insert(self, timeout: float = 5.0) -> None:
        """Connect to vpcd (retrying while pcscd brings it up) and answer it on a thread."""
        if self.inserted:
            raise RuntimeError("the card is already inserted")
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.os.reset()
        self.headers = []
        with self._lock:
            self._sock = sock
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name="virtual-socialcard", daemon=True
        )
        self._thread.start()

    def remove(self) -> None:
        """Close the connection: vpcd reports the card gone."""
        self._close()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    def _close(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _serve(self, sock: socket.socket) -> None:
        apdus = 0
        try:
            while True:
                message = self._receive(sock)
                if message is None:
                    return
                if len(message) == 1:
                    code = message[0]
                    if code == _GET_ATR:
                        sock.sendall(_frame(self.atr))
                    elif code in (_POWER_OFF, _POWER_ON, _RESET):
                        self.os.reset()
                    continue
                apdus += 1
                self.headers.append(message[:4])
                if self.drop_at is not None and apdus >= self.drop_at:
                    log.info("virtual card pulled during APDU %d", apdus)
                    return
                sock.sendall(_frame(self.os.execute(message)))
        except OSError:
            return  # removed (our close) or vpcd went away
        finally:
            if self._sock is sock:
                self._close()

    @staticmethod
    def _receive(sock: socket.socket) -> bytes | None:
        header = _read_exactly(sock, 2)
        if header is None:
            return None
        return _read_exactly(sock, struct.unpack(">H", header)[0])


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)
