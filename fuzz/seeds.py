"""Seed inputs for every target, made from the devkit: ``python -m fuzz.seeds [DIR]``.

Writes DIR/<target>/<name> (default out/fuzz/seeds/). ``python -m fuzz --merge`` folds them,
with what the fuzzer found, into the kept corpora (tests/data/corpus/), minimised; run this
again only when the devkit's cards, payloads or replies change. Everything here is synthetic
demo data (devkit/people.py): no real person's card or code.

- sam: read replies of every demo card (with and without fingerprint), every status reply, a
  SAM id, appended addresses, every command, a capture as hex text, two frames in one stream;
- qr: certificate URLs and codes, identity tokens, licence URLs and texts, the unknown kinds,
  scanner streams with their terminators, GB18030 text;
- wedge: scanner bursts, a person typing, modifiers, an overflow, a clock going back;
- platform_replies: every reply the reference platform (over HTTP on 127.0.0.1) gives the
  client in one journey, its error bodies included;
- printer_status: the printer emulator's DLE EOT 1/2/4 answers in every state, silence;
- socialcard: the virtual social-security card's answers to a whole read, and its refusals.
"""

from __future__ import annotations

import contextlib
import sys
import uuid
from dataclasses import replace
from pathlib import Path

from devkit import people
from devkit.printer_emulator import PrinterEmulator
from devkit.sam_encode import address_reply_data, read_reply_frame
from devkit.virtual_socialcard import CardOs, encode_records
from drivers.sam_protocol import Command, SamId, Sw3, encode_sam_id, reply_frame
from drivers.socialcard import SocialCardError, read_social_card
from fuzz.common import join_replies
from fuzz.targets import OUT
from kiosk.qr import DEFAULT_VERIFY_BASE_URL

CODE = "7K3M9Q2X4R8T6W1Z"
USCC = people.ENTERPRISES[0].uscc


def sam() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for citizen in people.CITIZENS:
        card = citizen.card()
        out[f"read-{citizen.key}"] = read_reply_frame(card)
        card.fingerprint = bytearray(range(256)) * 4
        out[f"read-fp-{citizen.key}"] = read_reply_frame(card, fingerprint=True)
    for sw3 in Sw3:
        out[f"status-{sw3.name.lower()}"] = reply_frame(sw3)
    out["found"] = reply_frame(Sw3.CARD_FOUND, bytes(4))
    out["sam-id"] = reply_frame(Sw3.OK, encode_sam_id(SamId((5, 1, 20240601, 12345678, 42))))
    out["addresses"] = reply_frame(
        Sw3.OK, address_reply_data(["山西省太原市小店区平阳路1号", "山西省太原市迎泽区桥东街12号"])
    )
    for command in Command:
        out[f"command-{command.name.lower()}"] = command.frame
    out["capture-hex"] = read_reply_frame(people.CITIZENS[0].card()).hex(" ").encode()
    out["stream"] = b"\x00\xaa" + reply_frame(Sw3.CARD_FOUND, bytes(4)) + reply_frame(Sw3.OK)
    return out


def qr() -> dict[str, bytes]:
    texts = {
        "certificate-url": DEFAULT_VERIFY_BASE_URL + CODE,
        "certificate-url-upper": (DEFAULT_VERIFY_BASE_URL + CODE + "?src=print").upper(),
        "certificate-code": CODE.lower(),
        "certificate-other-base": "https://zwfw.example.gov.cn/verify/" + CODE + "#x",
        "token-sxt": "SXT1.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJlLXZhbHVlLTAxMjM0NTY3ODk",
        "token-ctid": "CTID:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
        "token-gov": "GOV:abcdefghijkl",
        "gsxt-url": f"http://www.gsxt.gov.cn/index.html?from=app&uniscid={USCC}&t=1700000000",
        "gsxt-url-odd": f"https://www.gsxt.gov.cn:80/%7Bx%7D/index.html?a=%E4%B8%AD&uniscid=+{USCC.lower()}+#top",
        "gsxt-ipv6": "http://[::1/index.html?uniscid=" + USCC,
        "licence-text": f"名称:太原晋商科技有限公司;代码:{USCC};类型:有限责任公司",
        "licence-pilot": "统一社会信用代码：91350100M0001TGQXM",
        "licence-id": "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
        "id-number": f"身份证号：{people.CITIZENS[0].number}",
        "payment-code": "281234567890123456789012",
        "wifi": "WIFI:S:hall;T:WPA;P:secret;;",
        "unknown-cn": "市场主体身份码：ABCDEFGH",
        "bom": "\ufeff" + CODE,
    }
    out = {name: text.encode() for name, text in texts.items()}
    out["gb18030-licence"] = f"统一社会信用代码：{USCC}".encode("gb18030")
    out["stream-crlf"] = b"\r\n".join(t.encode() for t in list(texts.values())[:4]) + b"\r\n"
    out["stream-tab"] = f"{CODE}\t{USCC}\t".encode()
    out["control"] = b"ABC\x07DEF"
    out["replacement"] = "abc\ufffd".encode()
    out["too-long"] = b"A" * 4097
    return out


def _keys(text: str, gap: int, end: str = "enter") -> bytes:
    """Wedge events (see fuzz/wedge.py): each character, then Enter, ``gap`` quarter-ms apart."""
    from fuzz.wedge import NAMED

    out = bytearray()
    for ch in text:
        out += bytes((ord(ch) - 0x20, gap))
    out += bytes((0x60 + NAMED.index(end), gap))
    return bytes(out)


def wedge() -> dict[str, bytes]:
    shift = bytes((0x60 + 7, 4))  # shift, 1 ms
    return {
        "scan": b"\x05" + _keys(CODE, 20),
        "scan-tab": b"\x05" + _keys("SXT1.abcdefgh", 12, "tab"),
        "person": b"\x05" + _keys("hello world", 200),
        "scan-shift": b"\x05" + shift + _keys("ABCDEF", 16),
        "short": b"\x05" + _keys("AB", 8),
        "overflow": b"\x81" + _keys("ABCDEFGHIJKLMNOP", 8),
        "clock-back": b"\x05" + _keys("ABC", 8)[:-2] + bytes((0x21, 255)) + _keys("DEFGHI", 8),
        "backspace": b"\x05" + _keys("ABCDEF", 8)[:-2] + bytes((0x60 + 9, 8)) + _keys("GHI", 8),
    }


def platform_replies() -> dict[str, bytes]:
    from devkit.platform_server import DEMO_DEVICE_ID, DEMO_DEVICE_KEY, ReferencePlatform
    from kiosk.models import CaseKind
    from kiosk.platform import PlatformClient, PlatformError

    out: dict[str, bytes] = {}
    step = [""]

    def record(resp, *args, **kwargs):
        name = step[0]
        if resp.status_code >= 300:
            name += f"-{resp.status_code}"
        out[name] = resp.content
        return resp

    def call(name, fn, *args):
        step[0] = name
        try:
            return fn(*args)
        except PlatformError:
            return None

    with (
        ReferencePlatform() as platform,
        PlatformClient(platform.url, DEMO_DEVICE_ID, DEMO_DEVICE_KEY, retries=0) as client,
    ):
        client.session.hooks["response"].append(record)
        citizen = people.BY_KEY["zhang_wei"]
        ticket = call("ticket", client.verify_identity, citizen.card())
        items = call("items", client.available_items, ticket)
        instant = next(i for i in items if i.case_kind is CaseKind.INSTANT and i.available)
        promised = next(i for i in items if i.case_kind is CaseKind.PROMISED and i.available)
        call("guide", client.guide, instant.item_code, ticket)
        call("guide-promised", client.guide, promised.item_code, ticket)
        case = call("case", client.submit, ticket, instant.item_code, str(uuid.uuid4()))
        call("pledge", client.submit, ticket, promised.item_code, str(uuid.uuid4()))
        call("receipt", client.submit, ticket, promised.item_code, str(uuid.uuid4()), True)
        call("verify", client.verify_certificate, case.document.verification_code)
        call("verify-unknown", client.verify_certificate, CODE)
        call("catalogue", client.catalogue)
        session = call("session", client.start_identity_session)
        call("poll-pending", client.poll_identity_session, session.session_id)
        platform.confirm_session(session.session_id, "wang_guilan")
        call("poll-confirmed", client.poll_identity_session, session.session_id)
        call("poll-consumed", client.poll_identity_session, session.session_id)
        token = platform.mint_token("li_ming")
        call("ticket-token", client.verify_token, token)
        call("token", client.verify_token, token)  # used: an error body
        call("ticket-enterprise", client.verify_enterprise, USCC)
        call("guide-unknown", client.guide, "000000000000000000000")
        call("items-bad-ticket", client.available_items, replace(ticket, ticket="not-a-ticket"))
    return out


def printer_status() -> dict[str, bytes]:
    emulator = PrinterEmulator()
    out: dict[str, bytes] = {}
    states = {
        "ok": {},
        "paper-low": {"paper": "near_end"},
        "paper-out": {"paper": "out"},
        "cover-open": {"cover_open": True},
        "offline": {"online": False},
    }
    for name, state in states.items():
        emulator.set_state(**state)
        replies = [emulator._status_byte(n) for n in (1, 2, 4)]
        out[name] = join_replies([bytes((b,)) for b in replies if b is not None])
    out["silent"] = b""
    out["noise"] = join_replies([b"\x12\x00\x00", b"\xff", b"\x12"])
    return out


def socialcard() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for citizen in people.CITIZENS:
        if citizen.social_card_number is None:
            continue
        for name, card in {
            citizen.key: CardOs(encode_records(citizen.social_card())),
            f"{citizen.key}-not-ssse": CardOs(encode_records(citizen.social_card()), ssse=False),
            f"{citizen.key}-pin": CardOs(
                encode_records(citizen.social_card()), pin_protected=[0xEF06]
            ),
        }.items():
            answers: list[bytes] = []

            def transmit(apdu: bytes, card=card, answers=answers) -> bytes:
                answer = card.execute(apdu)
                answers.append(answer)
                return answer

            with contextlib.suppress(SocialCardError):  # a refusal: its answers are the seed
                read_social_card(transmit)
            out[name] = join_replies(answers)
    return out


MAKERS = {
    "sam": sam,
    "qr": qr,
    "wedge": wedge,
    "platform_replies": platform_replies,
    "printer_status": printer_status,
    "socialcard": socialcard,
}


def main(argv: list[str]) -> int:
    base = Path(argv[1]) if len(argv) > 1 else OUT / "seeds"
    for target, make in MAKERS.items():
        folder = base / target
        folder.mkdir(parents=True, exist_ok=True)
        seeds = make()
        for name, data in seeds.items():
            (folder / name).write_bytes(data)
        size = sum(len(d) for d in seeds.values())
        print(f"{target}: {len(seeds)} seeds, {size} bytes in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
