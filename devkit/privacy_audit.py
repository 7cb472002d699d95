"""The privacy audit: search every byte a kiosk wrote for the citizens it served.

Nothing on disk may hold a name, an ID number or a card number (docs/privacy.md). The audit
takes the synthetic citizens a kiosk served (devkit.people.synthetic_citizens) and a folder
holding everything that kiosk wrote (its data directory, its HOME, its TMPDIR), and searches
every regular file in it, binary ones and SQLite pages included, for every citizen's name (and
English name), ID number, social-security card number, address and the mobile number a
complaint (投诉与建议) may leave for a call back (``phone_of``), each in the encodings a
program may write them in: UTF-8, UTF-16-LE (what a SAM, Windows and SQLite's UTF-16 mode
use), GBK (GB18030 for the characters GBK lacks, such as 䶮), and JSON's \\uXXXX escapes. A
masked name (张*三) is not the name, and is not searched for.

``written_outside`` reads an strace log of the kiosk's process and lists every file it created
or opened for writing outside that folder, so that "everything it wrote" is a fact, not a hope.

Run by hand: ``python -m devkit.privacy_audit FOLDER --citizens 210 --seed 7``.
"""

from __future__ import annotations

import argparse
import codecs
import hashlib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devkit import people, seed

ENCODINGS = ("utf-8", "utf-16-le", "gbk", "json")


@dataclass(frozen=True, slots=True)
class Needle:
    citizen: str  # the citizen's key (synthetic_0042): never the value itself
    what: str  # name | name_en | number | social_card_number | address
    encoding: str  # utf-8 | utf-16-le | gbk (gb18030 where gbk cannot) | json
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Hit:
    path: str  # relative to the searched folder
    offset: int
    needle: Needle


@dataclass
class Report:
    files: int = 0
    bytes: int = 0
    needles: int = 0
    citizens: int = 0
    hits: list[Hit] = field(default_factory=list)
    by_file: Counter = field(default_factory=Counter)  # bytes searched per file

    def figures(self) -> dict:
        return {
            "citizens": self.citizens,
            "needles": self.needles,
            "files": self.files,
            "bytes": self.bytes,
            "hits": len(self.hits),
            "hits_by_encoding": dict(Counter(h.needle.encoding for h in self.hits)),
            "hits_by_field": dict(Counter(h.needle.what for h in self.hits)),
            "hits_by_file": dict(Counter(h.path for h in self.hits)),
            "bytes_by_file": dict(sorted(self.by_file.items())),
        }


def public_text() -> str:
    """What a kiosk may hold legitimately, in Chinese: the published list and its guides, its
    messages. A synthetic name found in it would prove nothing. (The reference platform's own
    error messages are left out: it imports this module for --synthetic.)"""
    from kiosk import messages
    from kiosk import platform as client

    parts: list[str] = [json.dumps(i.guide_json(), ensure_ascii=False) for i in seed.ITEMS]
    parts += seed.REASONS.values()
    parts += client.CODE_MESSAGES.values()
    parts += [str(v) for v in vars(messages).values() if isinstance(v, str | messages.Message)]
    for table in (messages.CARD_FAULTS, messages.CARD_PROBLEMS):
        parts += [f"{m.title} {m.text}" for m in table.values()]
    return "\n".join(parts)


def citizens(count: int, seed_: int) -> tuple[people.DemoCitizen, ...]:
    """The audit's citizens: synthetic, distinct, none of them named by the public text."""
    return people.synthetic_citizens(count, seed_, avoid=public_text())


def phone_of(citizen: people.DemoCitizen) -> str:
    """The citizen's mobile number, made up from their key (the kiosk runner types it into a
    complaint, the audit looks for it): 11 digits, 1 then 3-9 then nine more."""
    digest = hashlib.sha256(citizen.key.encode()).digest()
    return "1" + str(3 + digest[0] % 7) + "".join(str(b % 10) for b in digest[1:10])


def _gbk(text: str) -> tuple[str, bytes]:
    try:
        return "gbk", text.encode("gbk")
    except UnicodeEncodeError:
        return "gb18030", text.encode("gb18030")


def needles(served: Iterable[people.DemoCitizen]) -> list[Needle]:
    """Every value worth finding, in every encoding that differs from the others."""
    out: list[Needle] = []
    for c in served:
        values = {
            "name": c.name,
            "name_en": c.name_en,
            "number": c.number,
            "social_card_number": c.social_card_number or "",
            "address": c.address,
            "phone": phone_of(c),
        }
        for what, value in values.items():
            if not value:
                continue
            forms = {"utf-8": value.encode("utf-8"), "utf-16-le": value.encode("utf-16-le")}
            encoding, data = _gbk(value)
            forms[encoding] = data
            escaped = json.dumps(value)[1:-1].encode()
            forms["json"] = escaped
            seen: set[bytes] = set()
            for encoding, data in forms.items():
                if data not in seen:  # ASCII is the same in UTF-8, GBK and JSON
                    seen.add(data)
                    out.append(Needle(c.key, what, encoding, data))
    return out


def files_under(root: Path) -> list[Path]:
    """Every regular file, symbolic links not followed (a pty's link is not a file)."""
    found = []
    for folder, _dirs, names in os.walk(root, followlinks=False):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return sorted(found)


def search(
    root: Path, served: Sequence[people.DemoCitizen], report: Report | None = None
) -> Report:
    """Search every file under ``root`` for every needle of the citizens ``served`` (adding to
    ``report`` when given: several folders, one count)."""
    wanted = needles(served)
    report = report or Report(needles=len(wanted), citizens=len(served))
    anywhere = re.compile(_trie([n.data for n in wanted]), re.DOTALL)
    for path in files_under(root):
        data = path.read_bytes()
        report.files += 1
        report.bytes += len(data)
        relative = path.relative_to(root)
        report.by_file[f"{root.name}/{relative}"] += len(data)
        if anywhere.search(data) is None:  # one pass for all of them: the usual answer
            continue
        for needle in wanted:  # one at a time, to name each hit and count them all
            at = data.find(needle.data)
            while at >= 0:
                report.hits.append(Hit(str(relative), at, needle))
                at = data.find(needle.data, at + 1)
    return report


def _trie(words: Iterable[bytes]) -> bytes:
    """One regular expression matching any of ``words``, shaped as a trie, so that a search
    costs about one step per byte of the file rather than one per byte and word."""
    root: dict = {}
    for word in words:
        node = root
        for byte in word:
            node = node.setdefault(byte, {})
        node[None] = {}

    def pattern(node: dict) -> bytes:
        branches = [
            re.escape(bytes([b])) + pattern(n)
            for b, n in sorted((k, v) for k, v in node.items() if k is not None)
        ]
        if not branches:
            return b""
        body = b"(?:" + b"|".join(branches) + b")"
        return body + b"?" if None in node else body

    return pattern(root)


# ---- what the process wrote, from strace ---------------------------------------------------

STRACE_CALLS = (
    "open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,"
    "symlink,symlinkat,truncate,mknod,mknodat"
)
_CALL = re.compile(r"^(?:\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\d+)")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_WRITING = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND")
# devices a kiosk opens for writing that are not files: its serial lines, the null device
DEVICES = re.compile(r"^/dev/(ptmx|pts/\d+|null|tty)$")


def strace_command(log: Path) -> list[str]:
    """The strace prefix that records what ``written_outside`` reads."""
    return ["strace", "-f", "-qq", "-s", "4096", "-e", f"trace={STRACE_CALLS}", "-o", str(log)]


def written_paths(log: Path, cwd: Path) -> set[Path]:
    """Paths a traced process created, or opened for writing (successful calls only)."""
    out: set[Path] = set()
    for line in log.read_text(errors="replace").splitlines():
        m = _CALL.match(line)
        if m is None or int(m.group(3)) < 0:
            continue
        call, args = m.group(1), m.group(2)
        strings = [_unescape(s) for s in _STRING.findall(args)]
        if not strings:
            continue
        if call in ("open", "openat", "openat2"):
            if not _WRITING.search(args):
                continue
            targets = strings[:1]
        elif call in ("rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat"):
            targets = strings[-1:]  # where it went
        else:
            targets = strings[:1]
        for t in targets:
            out.add(Path(os.path.normpath(cwd / t)))
    return out


def written_outside(log: Path, root: Path, cwd: Path) -> list[str]:
    """Paths written outside ``root`` that are not devices: each one a place the audit did
    not search."""
    root = Path(os.path.realpath(root))
    outside = []
    for path in sorted(written_paths(log, cwd)):
        real = Path(os.path.realpath(path))
        if real.is_relative_to(root) or path.is_relative_to(root) or DEVICES.match(str(path)):
            continue
        outside.append(str(path))
    return outside


def _unescape(s: str) -> str:
    """strace's C-style escapes (octal for bytes outside ASCII) back to the path's text."""
    return codecs.escape_decode(s.encode())[0].decode("utf-8", "replace")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="privacy_audit", description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path, help="everything the kiosk wrote")
    p.add_argument("--citizens", type=int, required=True, help="how many it served")
    p.add_argument("--seed", type=int, required=True, help="their seed (kiosk_runner's)")
    args = p.parse_args(argv)
    report = search(args.folder, citizens(args.citizens, args.seed))
    print(json.dumps(report.figures(), ensure_ascii=False))
    for hit in report.hits[:50]:
        n = hit.needle
        print(f"HIT {hit.path}@{hit.offset}: {n.citizen} {n.what} in {n.encoding}")
    return 1 if report.hits else 0


if __name__ == "__main__":
    sys.exit(main())
