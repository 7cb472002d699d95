"""Small helpers the harnesses share: splitting one input into several replies, a byte port."""

from __future__ import annotations


def split_replies(data: bytes, count: int, max_len: int = 255) -> list[bytes]:
    """``count`` replies from one input: each is a length byte (modulo ``max_len + 1``) and that
    many bytes; whatever is missing at the end is an empty reply (silence)."""
    replies: list[bytes] = []
    at = 0
    for _ in range(count):
        if at >= len(data):
            replies.append(b"")
            continue
        size = data[at] % (max_len + 1)
        replies.append(data[at + 1 : at + 1 + size])
        at += 1 + size
    return replies


def join_replies(replies: list[bytes]) -> bytes:
    """The inverse of ``split_replies``, for writing seed inputs."""
    out = bytearray()
    for reply in replies:
        if len(reply) > 255:
            raise ValueError("a reply of more than 255 bytes does not fit a length byte")
        out += bytes((len(reply),)) + reply
    return bytes(out)


class ByteStream:
    """An in-memory port that hands out what it holds: a serial port with a zero timeout."""

    def __init__(self, data: bytes):
        self.data = bytearray(data)

    def read(self, size: int = 1) -> bytes:
        out = bytes(self.data[:size])
        del self.data[:size]
        return out
