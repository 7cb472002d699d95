"""Checked reading of JSON that arrives from outside (platform replies, configuration).

Every error names the path of the offending value, e.g. ``items[3].name: expected text, got
null``, so a technician reading a log knows exactly what the other side sent wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


# A JSON escape (\ud800) can make a lone surrogate: no Unicode text, and SQLite, QR codes and
# labels all fail when they encode it. (A pair decodes to one character and is welcome.)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class InvalidData(ValueError):
    """A value from outside did not have the expected shape."""


def _kind(value: Any) -> str:
    return {
        type(None): "null",
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


class Reader:
    """Reads fields of one JSON object, naming the path in every error."""

    __slots__ = ("obj", "path")

    def __init__(self, obj: Any, path: str = "reply") -> None:
        if not isinstance(obj, dict):
            raise InvalidData(f"{path}: expected an object, got {_kind(obj)}")
        self.obj = obj
        self.path = path

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, optional: bool) -> Any:
        if key not in self.obj or self.obj[key] is None:
            if optional:
                return None
            raise InvalidData(
                f"{self._where(key)}: " + ("missing" if key not in self.obj else "is null")
            )
        return self.obj[key]

    def str(
        self,
        key: str,
        *,
        max_len: int = 10_000,
        allow_empty: bool = False,
        max_bytes: int | None = None,
    ) -> str:
        """Text; ``max_bytes`` limits its size as UTF-8 where a format counts bytes (QR)."""
        value = self._get(key, False)
        if not isinstance(value, str):
            raise InvalidData(f"{self._where(key)}: expected text, got {_kind(value)}")
        if not allow_empty and not value.strip():
            raise InvalidData(f"{self._where(key)}: empty")
        if len(value) > max_len:
            raise InvalidData(f"{self._where(key)}: longer than {max_len} characters")
        if _LONE_SURROGATE.search(value):
            raise InvalidData(f"{self._where(key)}: not Unicode text (a lone surrogate)")
        if max_bytes is not None and len(value.encode("utf-8", "surrogatepass")) > max_bytes:
            raise InvalidData(f"{self._where(key)}: more than {max_bytes} bytes as UTF-8")
        return value

    def opt_str(self, key: str, *, max_len: int = 10_000) -> str | None:
        if self._get(key, True) is None:
            return None
        return self.str(key, max_len=max_len, allow_empty=True)

    def int(self, key: str, *, lo: int | None = None, hi: int | None = None) -> int:
        value = self._get(key, False)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidData(f"{self._where(key)}: expected a whole number, got {_kind(value)}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise InvalidData(f"{self._where(key)}: {value} is outside {lo}..{hi}")
        return value

    def opt_int(self, key: str, *, lo: int | None = None, hi: int | None = None) -> int | None:
        return None if self._get(key, True) is None else self.int(key, lo=lo, hi=hi)

    def number(self, key: str) -> float:
        value = self._get(key, False)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidData(f"{self._where(key)}: expected a number, got {_kind(value)}")
        return float(value)

    def bool(self, key: str, default: bool | None = None) -> bool:
        value = self._get(key, default is not None)
        if value is None:
            return bool(default)
        if not isinstance(value, bool):
            raise InvalidData(f"{self._where(key)}: expected true or false, got {_kind(value)}")
        return value

    def choice(self, key: str, choices: tuple[str, ...] | list[str]) -> str:
        value = self.str(key)
        if value not in choices:
            raise InvalidData(f"{self._where(key)}: {value!r} is not one of {', '.join(choices)}")
        return value

    def date(self, key: str) -> dt.date:
        value = self.str(key, max_len=10)
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidData(f"{self._where(key)}: {value!r} is not a date (YYYY-MM-DD)") from None

    def opt_date(self, key: str) -> dt.date | None:
        return None if self._get(key, True) is None else self.date(key)

    def datetime(self, key: str) -> dt.datetime:
        value = self.str(key, max_len=40)
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise InvalidData(f"{self._where(key)}: {value!r} is not a date and time") from None
        if parsed.tzinfo is None:
            raise InvalidData(f"{self._where(key)}: {value!r} has no time zone")
        return parsed

    def opt_datetime(self, key: str) -> dt.datetime | None:
        return None if self._get(key, True) is None else self.datetime(key)

    def obj_(self, key: str) -> Reader:
        return Reader(self._get(key, False), self._where(key))

    def opt_obj(self, key: str) -> Reader | None:
        value = self._get(key, True)
        return None if value is None else Reader(value, self._where(key))

    def list(self, key: str, item: Callable[[Reader], T], *, max_len: int = 10_000) -> list[T]:
        value = self._get(key, False)
        if not isinstance(value, list):
            raise InvalidData(f"{self._where(key)}: expected a list, got {_kind(value)}")
        if len(value) > max_len:
            raise InvalidData(f"{self._where(key)}: more than {max_len} entries")
        return [item(Reader(v, f"{self._where(key)}[{i}]")) for i, v in enumerate(value)]

    def str_list(self, key: str, *, max_len: int = 1000) -> list[str]:
        value = self._get(key, False)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidData(f"{self._where(key)}: expected a list of text")
        if len(value) > max_len:
            raise InvalidData(f"{self._where(key)}: more than {max_len} entries")
        if any(_LONE_SURROGATE.search(v) for v in value):
            raise InvalidData(f"{self._where(key)}: not Unicode text (a lone surrogate)")
        return list(value)
