"""`kiosk idcard parse`: captured read replies of the four card types → one JSON object."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from cli import idcard as idcard_tool
from cli.idcard import CARD_KEYS, card_json, load_frame, mask_address, parse_capture
from devkit.people import CITIZENS
from devkit.sam_encode import read_reply_frame
from drivers.sam_protocol import SamError
from kiosk.identity import CardType, IdentityCard, Sex, id_check_char

PHOTO = bytes(range(256)) * 4
FINGERPRINT = bytes(reversed(range(256))) * 4


# ---- frames built by hand from docs/sam-reader.md, not through the encoder -----------------


def text_block(*fields: tuple[int, int, str]) -> bytes:
    out = bytearray(" ".encode("utf-16-le") * 128)
    for offset, size, text in fields:
        data = text.encode("utf-16-le")
        assert len(data) <= size
        out[offset : offset + len(data)] = data
    return bytes(out)


def hand_frame(text: bytes, photo: bytes = PHOTO, fingerprint: bytes | None = None) -> bytes:
    """AA AA AA 96 69 | LEN | 00 00 90 | lengths | text photo [fingerprint] | XOR."""
    lengths = b"\x01\x00\x04\x00" + (b"\x04\x00" if fingerprint is not None else b"")
    body = b"\x00\x00\x90" + lengths + text + photo + (fingerprint or b"")
    head = (len(body) + 1).to_bytes(2, "big")
    check = 0
    for b in head + body:
        check ^= b
    return b"\xaa\xaa\xaa\x96\x69" + head + body + bytes([check])


RESIDENT = text_block(
    (0, 30, "王桂兰"),
    (30, 2, "2"),
    (32, 4, "05"),
    (36, 16, "19480905"),
    (52, 70, "山西省太原市迎泽区桥东街12号院3单元"),
    (122, 36, "14010619480905032X"),
    (158, 30, "太原市公安局迎泽分局"),
    (188, 16, "20100905"),
    (204, 16, "长期"),
)
PERMIT = text_block(
    (0, 30, "陈家乐"),
    (30, 2, "1"),
    (36, 16, "19940823"),
    (52, 70, "广东省深圳市福田区"),
    (122, 36, "810000199408230021"),
    (158, 30, "深圳市公安局"),
    (188, 16, "20210301"),
    (204, 16, "20260301"),
    (220, 18, "H12345678"),
    (238, 4, "03"),
    (248, 2, "J"),
)
FOREIGN_2017 = text_block(
    (0, 120, "SMITH, JOHN"),
    (120, 2, "1"),
    (122, 30, "USA110075081502"),
    (152, 6, "USA"),
    (158, 30, "史密斯"),
    (188, 16, "20170601"),
    (204, 16, "20270601"),
    (220, 16, "19750815"),
    (236, 4, "20"),
    (240, 8, "1500"),
    (248, 2, "I"),
)
LONG_EN = "ABCDEFGHIJ" * 3 + "ABCD" + " " + "KLMNOPQRSTU"
FOREIGN_2023 = text_block(
    (0, 30, "安娜"),
    (30, 2, "9"),
    (32, 4, "01"),
    (36, 16, "19900101"),
    (52, 70, LONG_EN[:35]),
    (122, 36, "932156199001011234"),
    (188, 16, "20231201"),
    (204, 16, "20331201"),
    (220, 22, LONG_EN[35:]),
    (242, 6, "DEU"),
    (248, 2, "Y"),
)

EXPECTED_UNMASKED = {
    "resident": {
        "card_type": "resident",
        "name": "王桂兰",
        "name_en": None,
        "sex": "female",
        "nation": "维吾尔",
        "birth_date": "1948-09-05",
        "address": "山西省太原市迎泽区桥东街12号院3单元",
        "number": "14010619480905032X",
        "issuer": "太原市公安局迎泽分局",
        "valid_from": "2010-09-05",
        "valid_to": None,
        "nationality": None,
        "pass_number": None,
        "issue_count": None,
        "has_fingerprint": False,
    },
    "hk_mo_tw_permit": {
        "card_type": "hk_mo_tw_permit",
        "name": "陈家乐",
        "name_en": None,
        "sex": "male",
        "nation": None,
        "birth_date": "1994-08-23",
        "address": "广东省深圳市福田区",
        "number": "810000199408230021",
        "issuer": "深圳市公安局",
        "valid_from": "2021-03-01",
        "valid_to": "2026-03-01",
        "nationality": None,
        "pass_number": "H12345678",
        "issue_count": 3,
        "has_fingerprint": False,
    },
    "foreign_2017": {
        "card_type": "foreign_2017",
        "name": "史密斯",
        "name_en": "SMITH, JOHN",
        "sex": "male",
        "nation": None,
        "birth_date": "1975-08-15",
        "address": None,
        "number": "USA110075081502",
        "issuer": "1500",
        "valid_from": "2017-06-01",
        "valid_to": "2027-06-01",
        "nationality": "USA",
        "pass_number": None,
        "issue_count": None,
        "has_fingerprint": False,
    },
    "foreign_2023": {
        "card_type": "foreign_2023",
        "name": "安娜",
        "name_en": LONG_EN,
        "sex": "unspecified",
        "nation": None,
        "birth_date": "1990-01-01",
        "address": None,
        "number": "932156199001011234",
        "issuer": None,
        "valid_from": "2023-12-01",
        "valid_to": "2033-12-01",
        "nationality": "DEU",
        "pass_number": None,
        "issue_count": None,  # the renewal count of a Y card is not the permit's issue count
        "has_fingerprint": False,
    },
}
HAND_BLOCKS = {
    "resident": RESIDENT,
    "hk_mo_tw_permit": PERMIT,
    "foreign_2017": FOREIGN_2017,
    "foreign_2023": FOREIGN_2023,
}


def run_tool(argv: list[str], capsys) -> tuple[int, str, str]:
    status = idcard_tool.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def parse_file(tmp_path: Path, data: bytes, capsys, *options: str) -> tuple[int, str, str]:
    path = tmp_path / "capture.bin"
    path.write_bytes(data)
    return run_tool(["idcard", "parse", str(path), *options], capsys)


def parsed(tmp_path: Path, data: bytes, capsys, *options: str) -> dict:
    status, out, err = parse_file(tmp_path, data, capsys, *options)
    assert status == 0, err
    assert out.endswith("\n") and out.count("\n") == 1  # one JSON object on one line
    obj = json.loads(out)
    assert tuple(obj) == CARD_KEYS
    return obj


# ---- hand-built frames ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(HAND_BLOCKS))
def test_hand_built_frames_unmasked(tmp_path, capsys, kind: str) -> None:
    frame = hand_frame(HAND_BLOCKS[kind])
    assert len(frame) == 1295
    assert parsed(tmp_path, frame, capsys, "--unmasked") == EXPECTED_UNMASKED[kind]


@pytest.mark.parametrize("kind", list(HAND_BLOCKS))
def test_hand_built_fingerprint_frames(tmp_path, capsys, kind: str) -> None:
    frame = hand_frame(HAND_BLOCKS[kind], fingerprint=FINGERPRINT)
    assert len(frame) == 2321
    assert parsed(tmp_path, frame, capsys, "--unmasked") == {
        **EXPECTED_UNMASKED[kind],
        "has_fingerprint": True,
    }
    # a 30 10 reply from a card without fingerprints: the block is there, all zero
    empty = hand_frame(HAND_BLOCKS[kind], fingerprint=bytes(1024))
    assert parsed(tmp_path, empty, capsys)["has_fingerprint"] is False


def test_masked_by_default(tmp_path, capsys) -> None:
    resident = parsed(tmp_path, hand_frame(RESIDENT), capsys)
    assert resident["name"] == "王*兰"
    assert resident["number"] == "140106********032X"
    assert resident["address"] == "山西省太原市" + "*" * 13
    # the birth date is the middle the masked number hides: only its year is shown
    assert (resident["nation"], resident["birth_date"], resident["valid_to"]) == (
        "维吾尔",
        "1948-**-**",
        None,
    )
    permit = parsed(tmp_path, hand_frame(PERMIT), capsys)
    assert (permit["name"], permit["number"], permit["pass_number"]) == (
        "陈*乐",
        "810000********0021",
        "H1*****78",
    )
    foreign = parsed(tmp_path, hand_frame(FOREIGN_2017), capsys)
    assert (foreign["name"], foreign["name_en"], foreign["number"]) == (
        "史*斯",
        "S***** ***N",
        "USA110*****1502",
    )
    assert "SMITH" not in json.dumps(foreign) and "王桂兰" not in json.dumps(resident)


# ---- frames from the encoder ----------------------------------------------------------------


def number18(first17: str) -> str:
    return first17 + id_check_char(first17)


@pytest.mark.parametrize(
    "card_type", [CardType.RESIDENT, CardType.HK_MO_TW_PERMIT, CardType.FOREIGN_2017]
)
def test_demo_citizens_of_each_type(tmp_path, capsys, card_type: CardType) -> None:
    citizen = next(c for c in CITIZENS if c.card_type is card_type)
    card = citizen.card()
    obj = parsed(tmp_path, read_reply_frame(card), capsys, "--unmasked")
    assert obj == card_json(card, unmasked=True)
    assert (obj["card_type"], obj["name"], obj["number"]) == (
        card_type.value,
        card.name,
        card.number,
    )


def test_every_demo_citizen_parses(tmp_path, capsys) -> None:
    types = set()
    for citizen in CITIZENS:
        card = citizen.card()
        obj = parsed(tmp_path, read_reply_frame(card), capsys, "--unmasked")
        assert obj == card_json(card, unmasked=True)
        types.add(obj["card_type"])
    assert types == set(HAND_BLOCKS)  # the demo has a citizen with each of the four cards


def test_encoded_2023_card_with_fingerprint(tmp_path, capsys) -> None:
    card = IdentityCard(
        card_type=CardType.FOREIGN_2023,
        name="安娜",
        name_en=LONG_EN,
        number="932156199001011234",
        sex=Sex.FEMALE,
        birth_date=dt.date(1990, 1, 1),
        nationality="DEU",
        issue_count=1,
        valid_from=dt.date(2023, 12, 1),
        valid_to=dt.date(2033, 12, 1),
        photo=bytearray(PHOTO),
        fingerprint=bytearray(FINGERPRINT),
    )
    obj = parsed(tmp_path, read_reply_frame(card, fingerprint=True), capsys, "--unmasked")
    assert obj["name_en"] == LONG_EN and obj["has_fingerprint"] is True
    assert obj["issue_count"] is None and obj["nationality"] == "DEU"


def test_permit_from_the_encoder(tmp_path, capsys) -> None:
    card = IdentityCard(
        card_type=CardType.HK_MO_TW_PERMIT,
        name="陈家乐",
        number=number18("81000019940823002"),
        sex=Sex.MALE,
        birth_date=dt.date(1994, 8, 23),
        address="山西省太原市小店区体育路10号",
        issuer="太原市公安局",
        valid_from=dt.date(2021, 3, 1),
        valid_to=dt.date(2026, 3, 1),
        pass_number="H12345678",
        issue_count=2,
    )
    obj = parsed(tmp_path, read_reply_frame(card), capsys, "--unmasked")
    assert (obj["pass_number"], obj["issue_count"], obj["address"]) == (
        "H12345678",
        2,
        "山西省太原市小店区体育路10号",
    )


# ---- input forms ----------------------------------------------------------------------------


def test_hex_text_with_any_whitespace(tmp_path, capsys) -> None:
    frame = hand_frame(PERMIT)
    spaced = " ".join(f"{b:02X}" for b in frame)
    lines = "\n".join(frame[i : i + 16].hex(" ") for i in range(0, len(frame), 16))
    tabs = "\t" + frame.hex()[:100] + "\r\n  " + frame.hex()[100:] + "\n\n"
    for text in (spaced, lines, tabs, frame.hex().upper()):
        obj = parsed(tmp_path, text.encode("ascii"), capsys, "--unmasked")
        assert obj == EXPECTED_UNMASKED["hk_mo_tw_permit"]


def test_standard_input(capsys, monkeypatch) -> None:
    frame = hand_frame(RESIDENT)
    for data in (frame, frame.hex(" ").encode()):
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
        status, out, err = run_tool(["idcard", "parse", "-", "--unmasked"], capsys)
        assert status == 0 and err == ""
        assert json.loads(out) == EXPECTED_UNMASKED["resident"]


def test_load_frame() -> None:
    frame = hand_frame(RESIDENT)
    assert load_frame(frame) == frame
    assert load_frame(b" " + frame.hex(" ").encode() + b"\n") == frame
    for bad in (b"", b"  \n", b"AA A", b"zz", "中文".encode(), b"00 11 22"):
        with pytest.raises(SamError):
            load_frame(bad)


# ---- what is refused: exit 2, one line on stderr, nothing on stdout --------------------------


def with_type_flag(block: bytes, flag: str) -> bytes:
    out = bytearray(block)
    out[248:250] = flag.encode("utf-16-le")
    return bytes(out)


def status_frame(sw3: int) -> bytes:
    body = bytes([0, 0, sw3])
    check = 0
    for b in b"\x00\x04" + body:
        check ^= b
    return b"\xaa\xaa\xaa\x96\x69\x00\x04" + body + bytes([check])


BAD_FRAMES = {
    "truncated": (hand_frame(RESIDENT)[:700], "announces"),
    "truncated_header": (hand_frame(RESIDENT)[:6], "shorter than a header"),
    "bad_checksum": (hand_frame(RESIDENT)[:-1] + bytes([hand_frame(RESIDENT)[-1] ^ 1]), "checksum"),
    "unknown_type_flag": (hand_frame(with_type_flag(RESIDENT, "Q")), "unknown type flag 'Q'"),
    "bytes_after_the_frame": (hand_frame(RESIDENT) + b"\x00", "after the frame"),
    "read_failed_status": (status_frame(0x41), "41"),
    "find_reply": (
        b"\xaa\xaa\xaa\x96\x69\x00\x08\x00\x00\x9f\x00\x00\x00\x00\x97",
        "9F",
    ),
    "hex_truncated": (hand_frame(RESIDENT)[:900].hex(" ").encode(), "announces"),
    "hex_odd_digits": (hand_frame(RESIDENT).hex().encode()[:-1], "odd number"),
    "not_hex": (b"hello, this is not a frame\n", "neither"),
    "empty": (b"", "empty"),
    "bad_date": (hand_frame(text_block(*[(0, 30, "张伟"), (122, 36, "140105198503120210")])), ""),
}


@pytest.mark.parametrize("case", list(BAD_FRAMES))
def test_invalid_input_exits_2_with_one_line(tmp_path, capsys, case: str) -> None:
    data, words = BAD_FRAMES[case]
    status, out, err = parse_file(tmp_path, data, capsys)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n")
    assert err.startswith("kiosk idcard: ") and words in err
    assert "Traceback" not in err and "张伟" not in err and "140105" not in err


def test_missing_file(tmp_path, capsys) -> None:
    status, out, err = run_tool(["idcard", "parse", str(tmp_path / "nope.bin")], capsys)
    assert (status, out, err.count("\n")) == (2, "", 1)
    assert "cannot read" in err


def test_parse_capture_raises_only_sam_errors() -> None:
    with pytest.raises(SamError):
        parse_capture(hand_frame(with_type_flag(RESIDENT, "\x01")))
    assert parse_capture(hand_frame(RESIDENT)).name == "王桂兰"


# ---- the command line -----------------------------------------------------------------------


def kiosk_parser() -> argparse.ArgumentParser:
    """The shape of main.py's parser: `kiosk <command> ...`, with `idcard` added."""
    parser = argparse.ArgumentParser(prog="kiosk")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run")
    idcard_tool.add_commands(sub)
    return parser


def test_add_commands_builds_read_and_parse() -> None:
    parser = kiosk_parser()
    args = parser.parse_args(["idcard", "read", "--port", "/dev/ttyUSB0"])
    assert (args.command, args.idcard_command, args.port) == ("idcard", "read", "/dev/ttyUSB0")
    assert (args.baud, args.timeout, args.unmasked, args.fingerprint) == (None, 15.0, False, False)
    args = parser.parse_args(
        ["idcard", "read", "--port", "p", "--baud", "57600", "--unmasked", "--fingerprint"]
    )
    assert (args.baud, args.unmasked, args.fingerprint) == (57600, True, True)
    assert parser.parse_args(["idcard", "read", "--port", "p", "--baud", "auto"]).baud is None
    args = parser.parse_args(["idcard", "parse", "-", "--unmasked"])
    assert (args.idcard_command, args.file, args.unmasked) == ("parse", "-", True)
    assert parser.parse_args(["run"]).command == "run"


@pytest.mark.parametrize(
    "argv",
    [
        ["idcard"],
        ["idcard", "read"],
        ["idcard", "read", "--port", "p", "--baud", "fast"],
        ["idcard", "read", "--port", "p", "--baud", "0"],
        ["idcard", "read", "--port", "p", "--timeout", "-1"],
        ["idcard", "parse"],
    ],
)
def test_bad_arguments_are_usage_errors(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as info:
        kiosk_parser().parse_args(argv)
    assert info.value.code == 2


def test_run_dispatches_parsed_arguments(tmp_path, capsys) -> None:
    path = tmp_path / "frame.hex"
    path.write_text(hand_frame(FOREIGN_2023).hex(" "))
    args = kiosk_parser().parse_args(["idcard", "parse", str(path)])
    assert idcard_tool.run(args) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["card_type"] == "foreign_2023" and obj["name"] == "安*"


def test_mask_address() -> None:
    assert mask_address("山西省太原市小店区") == "山西省太原市***"
    assert mask_address("北京市") == "北京市"
    assert mask_address("") == ""
