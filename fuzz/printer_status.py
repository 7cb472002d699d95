"""ESC/POS status bytes: the replies to DLE EOT 1, 2 and 4, read the way the printer driver
reads them (``EscposPrinter._replies``, then ``decode_status``), through the whole ``status()``
poll, and into the words the screen and ``kiosk printer`` show.

An input is three replies, each a length byte (0-3) and that many bytes; a missing or empty
reply is silence.

Expected: nothing (``status()`` promises never to raise, and the decoding under it has no
error of its own). Checked: a printer is never ONLINE unless all three replies came and were
valid status bytes (a missing reply is never taken as "ok"), ``usable`` never holds with the
cover open or the paper out, and the poll over a link that works never reports no_device (that
would be an error inside the decoding, swallowed).
"""

from __future__ import annotations

from cli.printer import status_json
from drivers.escpos_printer import EscposPrinter, decode_status, valid_status_byte
from drivers.test_page import status_words
from fuzz.common import split_replies
from kiosk.devices import DeviceState, DeviceStatus, Paper
from kiosk.messages import printer_problem

EXPECTED: tuple[type[BaseException], ...] = ()


class ReplayIo:
    """A printer link that answers each status query with the next recorded reply."""

    def __init__(self, replies: list[bytes]):
        self.replies = list(replies)
        self.asked: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.asked.append(bytes(data))

    def read(self, timeout: float) -> bytes:
        return self.replies.pop(0) if self.replies else b""

    def drain(self) -> None:
        pass

    def close(self) -> None:
        pass


_link: list[ReplayIo] = []
PRINTER = EscposPrinter("escpos+tcp://127.0.0.1:9100", opener=lambda config: _link[-1])


def one_input(data: bytes) -> None:
    replies = split_replies(data, 3, max_len=3)
    answered = PRINTER._replies(ReplayIo(replies))
    status = decode_status(*answered)
    _check(status, replies)
    # a printer asked twice (the driver asks again when the three answers disagree, a state
    # changed between them) answers the same twice: the poll must then agree with the decoding
    _link.append(ReplayIo(replies * 2))
    polled = PRINTER.status()
    _link.clear()
    assert polled.state is not DeviceState.NO_DEVICE, f"a working link gave {polled.detail}"
    assert polled == status, "the poll and the decoding disagree"


def _check(status: DeviceStatus, replies: list[bytes]) -> None:
    valid = all(r and valid_status_byte(r[0]) for r in replies)
    if status.state is DeviceState.ONLINE:
        assert valid, "online without three valid status replies"
    if status.usable:
        assert not status.cover_open and status.paper is not Paper.OUT
    assert printer_problem(status)
    status_json(status)
    status_words(status)
