"""`kiosk qr parse`: one JSON object per payload, through argparse as the kiosk command runs it."""

from __future__ import annotations

import argparse
import io
import json
import sys

import pytest

from cli import qr as qr_tool
from kiosk.qr import DEFAULT_VERIFY_BASE_URL

VALID = "91110108551385082Q"
PILOT = "91350100M0001TGQXM"
CODE = "7K3M9Q2X4R8T6W1Z"
TOKEN = "CTID:AAEC-secret-token-value-0123456789abcdef"


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="kiosk")
    qr_tool.add_commands(parser.add_subparsers(dest="command", required=True))
    status = qr_tool.run(parser.parse_args(["qr", "parse", *argv]))
    out, err = capsys.readouterr()
    return status, out, err


def parsed(argv: list[str], capsys) -> dict:
    status, out, err = run(argv, capsys)
    assert status == 0 and err == ""
    assert out.endswith("\n") and out.count("\n") == 1  # ONE object
    return json.loads(out)


def with_stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_business_licences(capsys) -> None:
    url = f"https://www.gsxt.gov.cn/index.html?uniscid={VALID}"
    assert parsed([url], capsys) == {"kind": "business_licence", "uscc": VALID, "uscc_valid": True}
    url = f"http://www.gsxt.gov.cn/index.html?uniscid={PILOT}"
    assert parsed([url], capsys) == {"kind": "business_licence", "uscc": PILOT, "uscc_valid": False}


def test_certificates(capsys) -> None:
    expected = {"kind": "certificate", "verification_code": CODE}
    assert parsed([DEFAULT_VERIFY_BASE_URL + CODE.lower()], capsys) == expected
    base = "https://zwfw.example.gov.cn/v/"
    assert parsed(["--verify-base-url", base, base + CODE], capsys) == expected
    assert parsed([base + CODE], capsys) == {"kind": "unknown"}


def test_identity_tokens_show_nothing_but_their_length(capsys) -> None:
    status, out, err = run([TOKEN], capsys)
    assert status == 0 and err == ""
    assert json.loads(out) == {"kind": "identity_token", "length": len(TOKEN)}
    assert "secret" not in out and "CTID" not in out
    assert parsed(["--token-prefix", "ZLB:", "ZLB:abcdef"], capsys) == {
        "kind": "identity_token",
        "length": 10,
    }


def test_unknown_is_a_classification(capsys) -> None:
    assert parsed(["hello"], capsys) == {"kind": "unknown"}


def test_stdin(monkeypatch, capsys) -> None:
    with_stdin(monkeypatch, f"统一社会信用代码：{VALID}\r\n".encode())
    assert parsed(["-"], capsys)["uscc"] == VALID
    with_stdin(monkeypatch, f"统一社会信用代码：{VALID}\n".encode("gbk"))
    assert parsed(["-"], capsys)["uscc_valid"] is True


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"a" * 5000, "too_long"),
        (b"abc\x00def", "control_char"),
        (b"line one\nline two\n", "control_char"),
        (b"\xff\xfe\x00\x01", "not_text"),
        (b"", "empty"),
        (b"\n", "empty"),
    ],
)
def test_refused_from_stdin(monkeypatch, capsys, data: bytes, code: str) -> None:
    with_stdin(monkeypatch, data)
    status, out, err = run(["-"], capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and code in err and "Traceback" not in err


@pytest.mark.parametrize("text", ["x" * 4097, "abc\x1bdef", "a\tb", "abc\x7f", "abc\ufffd"])
def test_refused_from_the_command_line(capsys, text: str) -> None:
    status, out, err = run([text], capsys)
    assert status == 2 and out == ""
    assert err.startswith("kiosk qr: refused: ") and err.count("\n") == 1
    assert text not in err


def test_stand_alone_entry(capsys) -> None:
    assert qr_tool.main(["qr", "parse", VALID]) == 0
    assert json.loads(capsys.readouterr().out)["uscc"] == VALID
