"""docs/platform-api.yaml is the single source of the error codes: every code the reference
platform (devkit/platform_server.py) or the signature check (kiosk/signing.py) can answer is
listed there, under a response of the same status (or in the table of errors any path may
answer). The codes are collected from the source, so a new one cannot slip in unlisted."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from devkit.platform_server import HTTP_ERRORS, MESSAGES

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "docs" / "platform-api.yaml").read_text(encoding="utf-8"))
CODE = re.compile(r"`([a-z][a-z0-9_]*)`")


def answered() -> set[tuple[int | None, str]]:
    """(status or None when computed, code) of every ApiError(...) and Rejection(...) call."""
    found: set[tuple[int | None, str]] = set()
    for source in (ROOT / "devkit" / "platform_server.py", ROOT / "kiosk" / "signing.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in ("ApiError", "Rejection") or len(node.args) < 2:
                continue
            status, code = node.args[0], node.args[1]
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                value = status.value if isinstance(status, ast.Constant) else None
                found.add((value, code.value))
    found |= {(status, code) for status, code in HTTP_ERRORS.items()}
    return found


def listed() -> dict[str, set[str]]:
    """Codes in backquotes by response status ("400", "5XX", …), from every path's responses
    (references followed) and from the table of errors any path may answer."""
    by_status: dict[str, set[str]] = defaultdict(set)

    def resolve(obj: Any) -> Any:
        while isinstance(obj, dict) and "$ref" in obj:
            target: Any = SPEC
            for step in obj["$ref"].removeprefix("#/").split("/"):
                target = target[step]
            obj = target
        return obj

    for operations in SPEC["paths"].values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                by_status[str(status)] |= set(CODE.findall(resolve(response)["description"]))
    description = SPEC["info"]["description"]
    table = description.split("## Errors any path may answer", 1)[1].split("\n## ", 1)[0]
    for row in table.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"\d{3}|5XX", cells[0]):
            by_status[cells[0]] |= set(CODE.findall(cells[1]))
    return by_status


def test_the_collection_finds_what_it_should() -> None:
    """The test's own eyes: a few codes it must see, so that an empty set cannot pass."""
    codes = answered()
    for expected in [
        (401, "bad_timestamp"),
        (405, "method_not_allowed"),
        (None, "injected_failure"),
    ]:
        assert expected in codes
    assert "card_mismatch" in listed()["403"]


def test_every_answered_code_is_listed_under_its_status() -> None:
    by_status = listed()
    everywhere = set().union(*by_status.values())
    missing = []
    for status, code in sorted(answered(), key=lambda x: (x[0] or 0, x[1])):
        if status is None:  # the status is computed (a fault's): listed anywhere will do
            ok = code in everywhere
        else:
            ok = code in by_status[str(status)] | (by_status["5XX"] if status >= 500 else set())
        if not ok:
            missing.append(f"{status} {code}")
    assert missing == [], "answered but not in docs/platform-api.yaml: " + ", ".join(missing)


def test_every_message_belongs_to_a_listed_code() -> None:
    """A message for a code nobody answers is a code the contract forgot or a leftover."""
    everywhere = set().union(*listed().values())
    assert sorted(set(MESSAGES) - everywhere) == []
