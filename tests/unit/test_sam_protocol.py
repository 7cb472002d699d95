"""GA 467 SAM frames: the reference example frames byte for byte, parsing, and stream resync."""

from __future__ import annotations

import contextlib
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.sam_protocol import (
    MAX_LEN,
    MIN_COMMAND_LEN,
    SW3_MEANINGS,
    CardDataError,
    ChecksumError,
    Command,
    FrameError,
    FrameReader,
    SamCancelled,
    SamError,
    SamId,
    SamLink,
    SamStatusError,
    SamTimeout,
    Sw3,
    TruncatedFrameError,
    UnknownCardTypeError,
    build_frame,
    checksum,
    describe_sw3,
    encode_sam_id,
    parse_command,
    parse_frame,
    parse_reply,
    parse_sam_id,
    reply_frame,
)
from drivers.sam_reader import FAULT_FOR_SW3, fault_for
from kiosk.events import CardFault
from kiosk.messages import CARD_FAULTS


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# Command frames exactly as docs/sam-reader.md gives them.
REFERENCE_COMMANDS = {
    Command.RESET: "AA AA AA 96 69 00 03 10 FF EC",
    Command.STATUS: "AA AA AA 96 69 00 03 11 FF ED",
    Command.SAM_ID: "AA AA AA 96 69 00 03 12 FF EE",
    Command.FIND: "AA AA AA 96 69 00 03 20 01 22",
    Command.SELECT: "AA AA AA 96 69 00 03 20 02 21",
    Command.READ: "AA AA AA 96 69 00 03 30 01 32",
    Command.READ_FINGERPRINT: "AA AA AA 96 69 00 03 30 10 23",
    Command.READ_ADDRESS: "AA AA AA 96 69 00 03 30 03 30",
}

STATUS_OK = "AA AA AA 96 69 00 04 00 00 90 94"
FIND_OK = "AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97"
FIND_NONE = "AA AA AA 96 69 00 04 00 00 80 84"
SELECT_FAIL = "AA AA AA 96 69 00 04 00 00 81 85"


@pytest.mark.parametrize("command", list(Command))
def test_command_frames_match_the_reference(command: Command) -> None:
    assert command.frame == h(REFERENCE_COMMANDS[command])
    assert Command.lookup(command.cmd, command.para) is command


def test_reply_frames_match_the_reference() -> None:
    assert reply_frame(Sw3.OK) == h(STATUS_OK)
    assert reply_frame(Sw3.CARD_FOUND, bytes(4)) == h(FIND_OK)
    assert reply_frame(Sw3.FIND_FAILED) == h(FIND_NONE)
    assert reply_frame(Sw3.SELECT_FAILED) == h(SELECT_FAIL)
    select_ok = reply_frame(Sw3.OK, bytes(range(8)))
    assert select_ok[5:10] == h("00 0C 00 00 90") and len(select_ok) == 7 + 12


def test_checksum_is_xor_from_len_to_last_body_byte() -> None:
    frame = h(FIND_OK)
    assert checksum(frame[5:-1]) == frame[-1] == 0x97
    assert checksum(b"") == 0


def test_parse_reference_replies() -> None:
    assert parse_reply(h(STATUS_OK)).sw3 == Sw3.OK
    found = parse_reply(h(FIND_OK))
    assert (found.sw1, found.sw2, found.sw3, found.data) == (0, 0, 0x9F, bytes(4))
    assert parse_reply(h(FIND_NONE)).sw3 == Sw3.FIND_FAILED
    assert parse_reply(h(SELECT_FAIL)).meaning == "select card failed"


def test_parse_command_round_trip() -> None:
    parsed = parse_command(Command.READ_FINGERPRINT.frame)
    assert (parsed.cmd, parsed.para, parsed.data) == (0x30, 0x10, b"")
    assert parsed.command is Command.READ_FINGERPRINT
    assert parse_command(build_frame(b"\x77\x01\x02")).command is None


def test_parse_frame_rejects_bad_frames() -> None:
    good = h(STATUS_OK)
    with pytest.raises(ChecksumError):
        parse_frame(good[:-1] + b"\x95")
    with pytest.raises(TruncatedFrameError):
        parse_frame(good[:-1])
    with pytest.raises(TruncatedFrameError):
        parse_frame(good[:4])
    with pytest.raises(FrameError, match="preamble"):
        parse_frame(b"\xab" + good[1:])
    with pytest.raises(FrameError, match="after the frame"):
        parse_frame(good + b"\x00")
    with pytest.raises(FrameError, match="minimum"):
        parse_reply(build_frame(b"\x00\x00"))  # a reply needs SW1 SW2 SW3
    too_long = MAX_LEN + 1
    with pytest.raises(FrameError, match="maximum"):
        parse_frame(h("AA AA AA 96 69") + too_long.to_bytes(2, "big") + bytes(too_long))


def test_every_reference_status_code_has_a_meaning() -> None:
    reference = {
        0x90: "OK",
        0x91: "no content",
        0x9F: "card found",
        0x10: "checksum",
        0x11: "length",
        0x21: "command",
        0x23: "not authorized",
        0x24: "unrecognised",
        0x31: "card failed to authenticate",
        0x32: "SAM failed to authenticate",
        0x33: "verification",
        0x40: "unknown card type",
        0x41: "read failed",
        0x47: "random",
        0x60: "self-test",
        0x66: "SAM not authorized",
        0x80: "find card failed",
        0x81: "select card failed",
    }
    assert set(SW3_MEANINGS) == set(reference) == {int(s) for s in Sw3}
    for code, words in reference.items():
        assert words in describe_sw3(code)
    assert describe_sw3(0x55) == "unknown status 0x55"


def test_expect_raises_status_error_with_the_code() -> None:
    reply = parse_reply(h(SELECT_FAIL))
    with pytest.raises(SamStatusError) as info:
        reply.expect(Command.SELECT)
    assert info.value.sw3 == 0x81 and info.value.command is Command.SELECT
    assert "81" in str(info.value) and "select" in str(info.value)
    assert parse_reply(h(FIND_OK)).expect(Command.FIND, Sw3.CARD_FOUND).sw3 == 0x9F


def test_status_codes_map_to_card_faults() -> None:
    expected = {
        0x80: CardFault.NO_CARD,
        0x81: CardFault.SELECT_FAILED,
        0x41: CardFault.READ_FAILED,
        0x40: CardFault.UNKNOWN_CARD,
        0x31: CardFault.AUTH_FAILED,
        0x32: CardFault.AUTH_FAILED,
        0x33: CardFault.AUTH_FAILED,
        0x47: CardFault.AUTH_FAILED,
        0x60: CardFault.SAM_FAULT,
        0x66: CardFault.SAM_FAULT,
        0x23: CardFault.SAM_FAULT,
        0x10: CardFault.BAD_FRAME,
        0x11: CardFault.BAD_FRAME,
        0x21: CardFault.READ_FAILED,
        0x24: CardFault.READ_FAILED,
        0x55: CardFault.READ_FAILED,
    }
    assert {code: fault_for(SamStatusError(code)) for code in expected} == expected
    assert fault_for(SamTimeout("x")) is CardFault.TIMEOUT
    assert fault_for(ChecksumError("x")) is CardFault.BAD_FRAME
    assert fault_for(TruncatedFrameError("x")) is CardFault.BAD_FRAME
    assert fault_for(CardDataError("birth_date", "x")) is CardFault.BAD_FRAME
    assert fault_for(UnknownCardTypeError("Q")) is CardFault.UNKNOWN_CARD


def test_every_status_code_has_a_fault_and_every_fault_a_message() -> None:
    assert set(FAULT_FOR_SW3) == {int(s) for s in Sw3}
    assert set(CARD_FAULTS) == set(CardFault)
    for fault in {fault_for(SamStatusError(code)) for code in range(256)}:
        message = CARD_FAULTS[fault]
        assert message.title and message.text


def test_sam_id_layout_and_format() -> None:
    sam_id = SamId((5, 1, 20230615, 1140100, 20240001))
    data = encode_sam_id(sam_id)
    assert len(data) == 16 and data[:4] == h("05 00 01 00")
    assert parse_sam_id(data) == sam_id
    assert str(sam_id) == "05.01-20230615-0001140100-0020240001"
    with pytest.raises(TruncatedFrameError):
        parse_sam_id(data[:15])


def test_reply_repr_carries_no_data() -> None:
    reply = parse_reply(reply_frame(Sw3.OK, "张三".encode("utf-16-le")))
    assert "张" not in repr(reply) and "4 data bytes" in repr(reply)


# ---- the stream reader ----------------------------------------------------------------------


class ByteStream:
    """An in-memory port: read(n) returns what is there, as a serial port with timeout=0."""

    def __init__(self, data: bytes, chunk: int | None = None):
        self.data = bytearray(data)
        self.chunk = chunk
        self.reads: list[int] = []

    def read(self, size: int = 1) -> bytes:
        self.reads.append(size)
        size = min(size, self.chunk or size)
        out = bytes(self.data[:size])
        del self.data[:size]
        return out

    def write(self, data: bytes) -> int:
        return len(data)


def test_reader_resynchronises_after_garbage() -> None:
    garbage = h("00 FF AA AA 96 AA AA AA 96 13 AA")
    stream = ByteStream(garbage + h(FIND_OK) + h(STATUS_OK))
    reader = FrameReader(stream)
    assert reader.read_frame(0) == h(FIND_OK)
    assert reader.discarded == len(garbage)
    assert reader.read_frame(0) == h(STATUS_OK)
    with pytest.raises(SamTimeout):
        reader.read_frame(0)


def test_reader_never_reads_past_the_frame() -> None:
    stream = ByteStream(h(FIND_OK) + h(STATUS_OK))
    FrameReader(stream).read_frame(0)
    assert bytes(stream.data) == h(STATUS_OK)


def test_reader_assembles_a_frame_from_small_pieces() -> None:
    frame = reply_frame(Sw3.OK, bytes(range(256)) * 5)
    assert FrameReader(ByteStream(frame, chunk=7)).read_frame(1.0) == frame


def test_reader_reports_bad_checksum_and_continues() -> None:
    bad = h(FIND_NONE)[:-1] + b"\x00"
    reader = FrameReader(ByteStream(bad + h(STATUS_OK)))
    with pytest.raises(ChecksumError):
        reader.read_frame(0)
    assert parse_reply(reader.read_frame(0)).sw3 == Sw3.OK


def test_reader_skips_a_false_preamble_with_impossible_length() -> None:
    fake = h("AA AA AA 96 69 FF FF")  # LEN 65535: over the limit
    reader = FrameReader(ByteStream(fake + h(STATUS_OK)))
    with pytest.raises(FrameError, match="maximum"):
        reader.read_frame(0)
    assert reader.read_frame(0) == h(STATUS_OK)


def test_reader_distinguishes_timeout_truncation_and_garbage() -> None:
    with pytest.raises(SamTimeout):
        FrameReader(ByteStream(b"")).read_frame(0)
    with pytest.raises(TruncatedFrameError):
        FrameReader(ByteStream(h(FIND_OK)[:12])).read_frame(0)
    with pytest.raises(TruncatedFrameError):
        FrameReader(ByteStream(h("AA AA"))).read_frame(0)
    with pytest.raises(FrameError) as info:
        FrameReader(ByteStream(b"\x01\x02\x03\x04\x05\x06")).read_frame(0)
    assert type(info.value) is FrameError


def test_poll_keeps_a_partial_frame() -> None:
    stream = ByteStream(h(FIND_OK)[:9])
    reader = FrameReader(stream, min_len=MIN_COMMAND_LEN)
    assert reader.poll(0) is None and reader.pending == 9
    stream.data += h(FIND_OK)[9:]
    assert reader.poll(0) == h(FIND_OK)


# ---- fuzz: any bytes, only SamError ---------------------------------------------------------

_frames = st.sampled_from([h(STATUS_OK), h(FIND_OK), h(FIND_NONE), h(SELECT_FAIL)])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_parse_reply_random_bytes_raise_only_sam_errors(data: bytes) -> None:
    for candidate in (data, h("AA AA AA 96 69") + data):
        try:
            parse_reply(candidate)
            parse_command(candidate)
        except SamError:
            pass


@settings(max_examples=300, deadline=None)
@given(_frames, st.data())
def test_mutated_frames_raise_only_sam_errors(frame: bytes, data: st.DataObject) -> None:
    mutated = bytearray(frame)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(mutated) - 1))
        mutated[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(mutated)))
    for candidate in (bytes(mutated), bytes(mutated[:cut])):
        with contextlib.suppress(SamError):
            parse_reply(candidate)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=16), _frames), max_size=6))
def test_stream_of_garbage_and_frames_raises_only_sam_errors(parts: list[bytes]) -> None:
    reader = FrameReader(ByteStream(b"".join(parts)))
    for _ in range(50):
        try:
            reader.read_frame(0)
        except SamTimeout:
            break
        except SamError:
            continue


_noise = st.binary(max_size=16).map(lambda b: b.replace(b"\xaa", b""))  # no false preambles


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_noise, _frames), max_size=5), _noise)
def test_every_frame_is_recovered_from_noise(pairs: list[tuple[bytes, bytes]], tail: bytes) -> None:
    stream = ByteStream(b"".join(noise + frame for noise, frame in pairs) + tail)
    reader = FrameReader(stream)
    assert [reader.read_frame(0) for _ in pairs] == [frame for _, frame in pairs]


# ---- one exchange at a time: SamLink ---------------------------------------------------------


class ScriptedPort(ByteStream):
    """A port whose device answers each command with the next scripted bytes."""

    def __init__(self, *answers: bytes):
        super().__init__(b"")
        self.answers = list(answers)
        self.written: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.written.append(bytes(data))
        if self.answers:
            self.data += self.answers.pop(0)
        return len(data)


READ_REPLY = reply_frame(Sw3.OK, bytes(1284))


def test_link_sends_the_command_and_returns_its_reply() -> None:
    port = ScriptedPort(h(FIND_OK))
    reply = SamLink(port, read_timeout=0.05).transact(Command.FIND)
    assert port.written == [Command.FIND.frame] and reply.sw3 == Sw3.CARD_FOUND


def test_link_skips_a_late_read_reply_in_front_of_a_short_answer() -> None:
    """A read that timed out and then arrived must not pass for the answer to find."""
    port = ScriptedPort(READ_REPLY + h(FIND_NONE))
    link = SamLink(port, read_timeout=0.05)
    assert link.transact(Command.FIND).sw3 == Sw3.FIND_FAILED
    assert link.stale == 1
    port.answers.append(READ_REPLY)
    assert len(link.transact(Command.READ).data) == 1284  # a read may be long


def test_link_drains_the_line_after_a_failed_exchange() -> None:
    port = ScriptedPort(h(FIND_OK)[:9])  # cut short: the rest arrives after the deadline
    link = SamLink(port, read_timeout=0.05)
    with pytest.raises(TruncatedFrameError):
        link.transact(Command.FIND)
    port.data += h(FIND_OK)[9:] + h(STATUS_OK)  # late bytes, then line noise of a stale reply
    port.answers.append(h(FIND_NONE))
    assert link.transact(Command.FIND).sw3 == Sw3.FIND_FAILED
    assert link.drained == len(h(FIND_OK)) - 9 + len(h(STATUS_OK))


def test_link_waits_for_the_reply_owed_after_a_timeout() -> None:
    """A find answered too late must not pass for the answer to the select that follows."""
    port = ScriptedPort()  # the SAM is slow: nothing within the timeout
    link = SamLink(port, read_timeout=0.05)
    with pytest.raises(SamTimeout):
        link.transact(Command.FIND)
    port.data += h(FIND_OK)  # ... and then the answer comes
    port.answers.append(h(SELECT_FAIL))
    assert link.transact(Command.SELECT).sw3 == Sw3.SELECT_FAILED
    assert link.stale == 1


def test_changing_the_rate_forgives_the_owed_reply() -> None:
    port = ScriptedPort()
    link = SamLink(port, read_timeout=0.05)
    with pytest.raises(SamTimeout):
        link.transact(Command.STATUS)
    link.baud = 57600
    port.answers.append(h(STATUS_OK))
    assert link.transact(Command.STATUS).sw3 == Sw3.OK and link.stale == 0


def test_link_raises_only_sam_errors_for_bad_answers() -> None:
    for answer in (b"", b"\x01\x02\x03", h(FIND_OK)[:-1] + b"\x00", h("AA AA AA 96 69 FF FF")):
        with pytest.raises(SamError):
            SamLink(ScriptedPort(answer), read_timeout=0.02).transact(Command.STATUS)


def test_link_baud_stretches_the_deadline() -> None:
    link = SamLink(ScriptedPort(), baud=9600)
    assert link.baud == 9600 and link._frames.byte_time == pytest.approx(10 / 9600)
    link.baud = 115200
    assert link._frames.byte_time == pytest.approx(10 / 115200)


def test_a_set_cancel_event_ends_any_wait() -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(SamCancelled):
        FrameReader(ByteStream(b""), cancel=cancel).read_frame(60.0)
    with pytest.raises(SamCancelled):
        SamLink(ScriptedPort(), read_timeout=60.0, cancel=cancel).transact(Command.FIND)
    assert issubclass(SamCancelled, SamError)


def test_reply_size_limits() -> None:
    assert Command.FIND.max_reply_data == Command.SAM_ID.max_reply_data == 32
    assert Command.READ_ADDRESS.max_reply_data == 70 * 8
    assert Command.READ.max_reply_data == Command.READ_FINGERPRINT.max_reply_data == MAX_LEN
