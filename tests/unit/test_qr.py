"""What a scanned payload is: the classifier, its refusals, its events, and the serial framing."""

from __future__ import annotations

import contextlib
import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from devkit.people import BY_KEY, ENTERPRISES
from drivers.qr_serial import LineFramer
from kiosk.qr import (
    DEFAULT_TOKEN_PREFIXES,
    DEFAULT_VERIFY_BASE_URL,
    LICENCE_ID_ROOT,
    MAX_PAYLOAD_BYTES,
    QrKind,
    QrRejected,
    QrScanned,
    Refusal,
    Scan,
    ScanRefused,
    accept_payload,
    classify,
    describe,
)
from kiosk.uscc import USCC_ALPHABET, uscc_check_char

VALID = "91110108551385082Q"
PILOT = "91350100M0001TGQXM"
CODE = "7K3M9Q2X4R8T6W1Z"  # a certificate verification code: 16 of 0-9 A-H J-N P-Z
TOKEN = "SXT1.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJlLXZhbHVlLTAxMjM0NTY3ODk"


def licence(scan: Scan, uscc: str, valid: bool) -> None:
    assert scan == Scan(QrKind.BUSINESS_LICENCE, uscc=uscc, uscc_valid=valid)


# ---- business licences ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        f"http://www.gsxt.gov.cn/index.html?uniscid={VALID}",
        f"https://www.gsxt.gov.cn/index.html?uniscid={VALID}",
        f"http://gsxt.gov.cn/index.html?uniscid={VALID}",
        f"HTTP://WWW.GSXT.GOV.CN/INDEX.HTML?UNISCID={VALID}",  # alphanumeric-mode QR
        f"http://www.gsxt.gov.cn/index.html?uniscid={VALID.lower()}",
        f"http://www.gsxt.gov.cn/index.html?from=app&uniscid={VALID}&t=1700000000",
        f"https://www.gsxt.gov.cn/%7Bx%7D/index.html?a=%E4%B8%AD&uniscid={VALID}#top",
        f"http://www.gsxt.gov.cn:80/index.html?uniscid=+{VALID}+",
        f"  http://www.gsxt.gov.cn/index.html?uniscid={VALID}  ",
    ],
)
def test_business_licence_urls(payload: str) -> None:
    licence(classify(payload), VALID, True)


def test_a_genuine_code_failing_the_check_is_reported_not_refused() -> None:
    licence(classify(f"http://www.gsxt.gov.cn/index.html?uniscid={PILOT}"), PILOT, False)
    licence(classify(f"统一社会信用代码：{PILOT}"), PILOT, False)


@pytest.mark.parametrize(
    "payload",
    [
        VALID,
        f"统一社会信用代码：{VALID}",
        f"名称:太原晋商科技有限公司;代码:{VALID};类型:有限责任公司",
        f"uscc={VALID}&name=x",
        f"({VALID})",
        f"https://example.org/company/{VALID}/detail",
        f"http://www.gsxt.gov.cn/index.html?id={VALID}",  # no uniscid: found in the text
    ],
)
def test_a_uscc_word_anywhere(payload: str) -> None:
    licence(classify(payload), VALID, True)


def test_the_demo_enterprises_licences() -> None:
    for enterprise in ENTERPRISES:
        url = f"http://www.gsxt.gov.cn/index.html?uniscid={enterprise.uscc}"
        licence(classify(url), enterprise.uscc, True)


def test_uniscid_comes_first_and_a_valid_code_beats_an_invalid_one() -> None:
    other = ENTERPRISES[0].uscc
    licence(classify(f"http://gsxt.gov.cn/?uniscid={VALID}&x={other}"), VALID, True)
    licence(classify(f"旧:{PILOT} 新:{VALID}"), VALID, True)
    licence(classify(f"{PILOT} {PILOT[:17]}A"), PILOT, False)  # none valid: the first


@pytest.mark.parametrize(
    "payload",
    [
        f"X{VALID}",  # glued to letters or digits: a fragment of something longer
        f"{VALID}0",
        "2" + "1234567890" * 2 + "123",  # a 24-digit payment code
        "0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D",  # a hex string
        BY_KEY["zhang_wei"].number,  # a resident ID number is never taken for a USCC
        f"身份证号：{BY_KEY['wang_guilan'].number}",
        f"http://www.gsxt.gov.cn/index.html?uniscid={VALID[:17]}",  # too short
        "http://www.gsxt.gov.cn/index.html",
        "91110108551385O82Q",  # O is not in the alphabet
        "911101085513850８2Q",  # full-width digit
    ],
)
def test_not_a_licence(payload: str) -> None:
    assert classify(payload).kind is QrKind.UNKNOWN


def test_a_uniscid_is_upper_cased_in_ascii_only() -> None:
    """str.upper() makes 'FF' of the ligature 'ﬀ': a code no QR holds must not be made up out
    of it (seen while writing fuzz/qr.py, which checks that a USCC is written in the payload)."""
    for ligature in ("\ufb00", "\ufb02"):  # ﬀ → FF, ﬂ → FL
        url = f"http://www.gsxt.gov.cn/index.html?uniscid=9114010000000000{ligature}"
        assert classify(url).kind is QrKind.UNKNOWN


# ---- certificates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        DEFAULT_VERIFY_BASE_URL + CODE,
        DEFAULT_VERIFY_BASE_URL + CODE.lower(),
        (DEFAULT_VERIFY_BASE_URL + CODE).upper(),  # alphanumeric-mode QR
        DEFAULT_VERIFY_BASE_URL + CODE + "?src=print",
        DEFAULT_VERIFY_BASE_URL + CODE + "/",
        DEFAULT_VERIFY_BASE_URL + CODE + "#x",
        CODE,
        CODE.lower(),
        f" {CODE} ",
    ],
)
def test_certificates(payload: str) -> None:
    assert classify(payload) == Scan(QrKind.CERTIFICATE, verification_code=CODE)


def test_the_configured_base_url_is_used() -> None:
    base = "https://zwfw.example.gov.cn/zm/verify/"
    prefixes = (base, DEFAULT_VERIFY_BASE_URL)
    assert classify(base + CODE, certificate_prefixes=prefixes).verification_code == CODE
    assert classify(base + CODE).kind is QrKind.UNKNOWN  # not configured: not ours
    no_slash = ("https://zwfw.example.gov.cn/zm/verify",)
    assert classify(base + CODE, certificate_prefixes=no_slash).verification_code == CODE
    assert classify(base + CODE, certificate_prefixes=("",)).kind is QrKind.UNKNOWN


@pytest.mark.parametrize(
    "payload",
    [
        DEFAULT_VERIFY_BASE_URL + CODE[:15],
        DEFAULT_VERIFY_BASE_URL + CODE + "A",
        DEFAULT_VERIFY_BASE_URL + "7K3M9Q2X4R8T6W1O",  # O is not in the alphabet
        DEFAULT_VERIFY_BASE_URL + "7K3M9Q2X4R8T6W1I",
        DEFAULT_VERIFY_BASE_URL + "7K3M9Q2X4R8T6W1\u212a",  # the Kelvin sign is no K
        "https://other.example/v/" + CODE,
        CODE[:15],
        CODE + "A",
        "7K3M9Q2X4R8T6W1O",
    ],
)
def test_not_a_certificate(payload: str) -> None:
    assert classify(payload).kind is QrKind.UNKNOWN


# ---- identity tokens ------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", DEFAULT_TOKEN_PREFIXES)
def test_identity_tokens_are_kept_whole_and_never_shown(prefix: str) -> None:
    token = prefix + TOKEN[5:] + VALID  # a USCC-looking tail inside a token stays the token's
    scan = classify(token)
    assert scan == Scan(QrKind.IDENTITY_TOKEN, token=token)
    assert scan.uscc is None and scan.verification_code is None
    for text in (repr(scan), str(scan), describe(scan), f"{scan}", f"{[scan]}"):
        assert token not in text and TOKEN[5:] not in text and VALID not in text
        assert f"({len(token)} chars)" in text


def test_token_prefixes_are_configurable() -> None:
    scan = classify("ZLB:abcdefghijkl", token_prefixes=("ZLB:",))
    assert scan.kind is QrKind.IDENTITY_TOKEN and scan.token == "ZLB:abcdefghijkl"
    assert classify("ZLB:abcdefghijkl").kind is QrKind.UNKNOWN
    assert classify(TOKEN, token_prefixes=()).kind is QrKind.UNKNOWN


def test_a_prefix_alone_is_no_token() -> None:
    assert classify("SXT1.").kind is QrKind.UNKNOWN
    assert classify("CTID:").kind is QrKind.UNKNOWN


# ---- unknown and refused --------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        "hello",
        "https://www.example.com/",
        "WIFI:S:hall;T:WPA;P:secret;;",
        "市场主体身份码：ABCDEFGH",  # the unpublished code: never guessed at
        "sxt1.lowercase-prefix-is-not-the-token-prefix",
        # an electronic licence identifier holds its issuer's USCC, not a holder's
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
    ],
)
def test_unknown(payload: str) -> None:
    assert classify(payload) == Scan(QrKind.UNKNOWN)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("", Refusal.EMPTY),
        ("   ", Refusal.EMPTY),
        ("\u3000", Refusal.EMPTY),
        (b"", Refusal.EMPTY),
        ("a" * (MAX_PAYLOAD_BYTES + 1), Refusal.TOO_LONG),
        ("中" * 1366, Refusal.TOO_LONG),  # 4098 bytes as UTF-8, though only 1366 characters
        (b"a" * (MAX_PAYLOAD_BYTES + 1), Refusal.TOO_LONG),
        ("abc\x00def", Refusal.CONTROL_CHAR),
        ("abc\x1b[0m", Refusal.CONTROL_CHAR),
        ("line one\nline two", Refusal.CONTROL_CHAR),  # framing is stripped before: junk here
        ("a\tb", Refusal.CONTROL_CHAR),
        ("abc\x7f", Refusal.CONTROL_CHAR),
        ("abc\x85", Refusal.CONTROL_CHAR),  # C1 control
        ("abc\ufffd", Refusal.REPLACEMENT_CHAR),
        ("abc\udcff", Refusal.NOT_TEXT),  # a lone surrogate (an undecodable byte, escaped)
        (b"\xff\xfe\x00\x01", Refusal.NOT_TEXT),
        (b"abc\x80", Refusal.NOT_TEXT),
        (b"abc\x00", Refusal.CONTROL_CHAR),
        (f"{VALID}\x00".encode(), Refusal.CONTROL_CHAR),
    ],
)
def test_refused(payload: str | bytes, code: Refusal) -> None:
    with pytest.raises(ScanRefused) as caught:
        classify(payload)
    refused = caught.value
    assert isinstance(refused, ValueError)
    assert refused.code is code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.reason)  # words for the citizen
    assert "\n" not in str(refused)
    if isinstance(payload, str) and len(payload) > 3:
        assert payload.strip() not in str(refused)


def test_sizes_are_counted_in_utf8_bytes() -> None:
    assert classify("a" * MAX_PAYLOAD_BYTES).kind is QrKind.UNKNOWN
    assert classify("中" * 1365).kind is QrKind.UNKNOWN  # 4095 bytes


def test_bytes_are_utf8_else_gb18030() -> None:
    licence(classify(f"统一社会信用代码：{VALID}".encode()), VALID, True)
    gbk = f"统一社会信用代码：{VALID}".encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    licence(classify(gbk), VALID, True)
    assert classify(TOKEN.encode()) == Scan(QrKind.IDENTITY_TOKEN, token=TOKEN)


def test_a_leading_bom_is_dropped() -> None:
    assert classify("\ufeff" + TOKEN).token == TOKEN
    assert classify(b"\xef\xbb\xbf" + CODE.encode()).verification_code == CODE


def test_accept_payload_strips_and_keeps_the_text() -> None:
    assert accept_payload("  abc  ") == "abc"
    assert accept_payload("中文".encode("gb18030")) == "中文"


# ---- logs and events never show a payload ---------------------------------------------------


def test_describe_masks_everything_it_names() -> None:
    text = describe(classify(VALID))
    assert text == "business_licence uscc=911101********082Q uscc_valid=True"
    text = describe(classify(DEFAULT_VERIFY_BASE_URL + CODE))
    assert text == "certificate code=7K3M…(16 chars)" and CODE not in repr(classify(CODE))
    assert describe(Scan(QrKind.UNKNOWN)) == "unknown"


def test_events() -> None:
    scanned = QrScanned(TOKEN, "qr")
    assert TOKEN not in repr(scanned) and TOKEN[5:20] not in str(scanned)
    assert "qr" in repr(scanned) and scanned.payload == TOKEN
    rejected = QrRejected("二维码内容无法识别", "qr", Refusal.CONTROL_CHAR.value)
    assert (rejected.reason, rejected.source, rejected.code) == (
        "二维码内容无法识别",
        "qr",
        "control_char",
    )


# ---- properties -----------------------------------------------------------------------------


@given(st.text(max_size=300))
def test_any_text_gives_a_scan_or_a_refusal(text: str) -> None:
    try:
        scan = classify(text)
    except ScanRefused as refused:
        assert refused.reason and refused.code in Refusal
    else:
        assert isinstance(scan, Scan) and scan.kind in QrKind


@given(st.binary(max_size=300))
def test_any_bytes_give_a_scan_or_a_refusal(data: bytes) -> None:
    with contextlib.suppress(ScanRefused):
        classify(data)


URLISH = st.text(alphabet=string.ascii_letters + string.digits + ":/?&=#%.-_ ", max_size=80)


@given(st.one_of(URLISH, st.text(max_size=80)), st.sampled_from(["", "http://", "https://"]))
def test_url_shaped_text_gives_a_scan_or_a_refusal(text: str, scheme: str) -> None:
    for payload in (
        scheme + text,
        "http://www.gsxt.gov.cn/" + text,
        "http://[" + text,
        DEFAULT_VERIFY_BASE_URL + text,
    ):
        with contextlib.suppress(ScanRefused):
            classify(payload)


CHAR = st.sampled_from(USCC_ALPHABET)
BODY = st.tuples(
    st.text(CHAR, min_size=2, max_size=2),
    st.text(st.sampled_from("0123456789"), min_size=6, max_size=6),
    st.text(CHAR, min_size=9, max_size=9),
).map("".join)
PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffd")
SURROUNDING = st.text(PRINTABLE, max_size=60)


def _glued(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@settings(max_examples=300)
@given(BODY, SURROUNDING, SURROUNDING)
def test_a_valid_uscc_is_a_valid_licence_whatever_text_surrounds_it(
    body: str, before: str, after: str
) -> None:
    """Whatever surrounds it, as long as it stands as a word (nothing ASCII-alphanumeric glued
    to it) and the text is not claimed first by a token prefix, a certificate URL or an
    electronic licence identifier, and it is not also a valid resident ID number."""
    uscc = body + uscc_check_char(body)
    assume(not (before and _glued(before[-1])) and not (after and _glued(after[0])))
    payload = before + uscc + after
    stripped = payload.strip()
    assume(not stripped.startswith(DEFAULT_TOKEN_PREFIXES))
    assume(not stripped.lower().startswith(DEFAULT_VERIFY_BASE_URL))
    assume(not stripped.startswith(LICENCE_ID_ROOT))
    assume(not _is_id_number(uscc))
    scan = classify(payload)
    assert scan.kind is QrKind.BUSINESS_LICENCE and scan.uscc_valid is True
    assert scan.uscc == uscc or scan.uscc in payload.upper()


def _is_id_number(code: str) -> bool:
    from kiosk.identity import id_number_problem

    return id_number_problem(code) is None


@given(st.sampled_from(DEFAULT_TOKEN_PREFIXES), st.text(PRINTABLE, min_size=1, max_size=200))
def test_a_token_never_leaks_into_a_repr(prefix: str, rest: str) -> None:
    assume(rest.strip() and not rest[0].isspace())
    token = (prefix + rest).strip()
    scan = classify(token)
    assert scan.kind is QrKind.IDENTITY_TOKEN and scan.token == token
    assert scan.uscc is None and scan.verification_code is None
    if len(token) > 8:
        assert token not in repr(scan) and token not in describe(scan)


# ---- the serial framing (drivers.qr_serial.LineFramer, pure) -------------------------------


def test_framing_by_each_terminator() -> None:
    framer = LineFramer()
    assert framer.feed(b"one\rtwo\nthree\r\nfour\tfi") == [b"one", b"two", b"three", b"four"]
    assert framer.pending == 2
    assert framer.feed(b"ve\r\n\r\n") == [b"five"]  # empty frames are skipped
    assert framer.pending == 0


def test_framing_with_one_configured_terminator() -> None:
    framer = LineFramer(b"\r")
    assert framer.feed(b"a\tb\nc\rd") == [b"a\tb\nc"]  # the rest is the payload's (and junk)
    assert framer.take() == b"d" and framer.pending == 0
    with pytest.raises(ValueError):
        LineFramer(b"")


def test_framing_reports_an_overlong_frame_once_and_skips_to_its_end() -> None:
    framer = LineFramer(max_length=10)
    assert framer.feed(b"x" * 8) == []
    assert framer.feed(b"x" * 8) == [None]
    assert framer.feed(b"x" * 100) == []  # still the same frame
    assert framer.feed(b"xx\rnext\r") == [b"next"]
    assert framer.feed(b"y" * 11 + b"\rok\r") == [None, b"ok"]


FRAME = st.binary(max_size=40).map(lambda b: b.translate(None, b"\r\n\t"))


@given(st.lists(FRAME, max_size=8), st.lists(st.integers(0, 400), max_size=10))
def test_framing_does_not_depend_on_how_reads_cut_the_stream(
    frames: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(f + b"\r\n" for f in frames)
    framer = LineFramer()
    out: list[bytes | None] = []
    start = 0
    for cut in sorted(c for c in cuts if c <= len(stream)):
        out += framer.feed(stream[start:cut])
        start = cut
    out += framer.feed(stream[start:])
    assert out == [f for f in frames if f]
    assert framer.pending == 0
