"""Request signing (kiosk/signing.py): the canonical string, a vector checked with openssl, the
published SM3 and HMAC-SM3 vectors, and every way a signed request can be refused."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from kiosk import signing
from kiosk.signing import (
    HEADER_DEVICE,
    HEADER_METHOD,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    MAX_SKEW_SECONDS,
    Rejection,
    SigningMethod,
    body_hash,
    canonical,
    check,
    sign_headers,
    signature,
)

KEY = b"demo-key"
DEVICE = "SX-TY-0001"
NOW = 1_718_000_000.0
BODY = b'{"ratings":[]}'
PATH = "/v1/ratings?x=1"
NONCE = "0123456789abcdef0123456789abcdef"

# Computed independently:
#   printf 'PUT\n/v1/ratings?x=1\n1718000000\n0123456789abcdef0123456789abcdef\n<sha256 of body>' \
#     | openssl dgst -sha256 -hmac demo-key
VECTOR = "617151bcce9a1f4d32f93da3a04cbbed58c19fc4edf1c0ff931dc3460b4060ea"
BODY_SHA256 = "298368f91c5aaa608908e14157bdfe69161e892ab31a655254f0fb3e87dc5ec9"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def keys(device_id: str) -> bytes | None:
    return {DEVICE: KEY}.get(device_id)


def signed(method: str = "PUT", path: str = PATH, body: bytes = BODY, now: float = NOW) -> dict:
    return sign_headers(DEVICE, KEY, method, path, body, now=now)


def test_canonical_string_is_five_lines_with_the_body_hash() -> None:
    text = canonical("put", PATH, "1718000000", NONCE, BODY).decode()
    assert text == f"PUT\n/v1/ratings?x=1\n1718000000\n{NONCE}\n{BODY_SHA256}"
    assert hashlib.sha256(BODY).hexdigest() == BODY_SHA256


def test_canonical_string_of_an_empty_body_uses_the_hash_of_nothing() -> None:
    assert canonical("GET", "/v1/catalogue", "1", NONCE, b"").decode().endswith(EMPTY_SHA256)


def test_known_vector() -> None:
    assert signature(KEY, "PUT", PATH, "1718000000", NONCE, BODY) == VECTOR


def test_sign_headers_carries_device_time_nonce_and_a_matching_signature() -> None:
    headers = signed()
    assert headers[HEADER_DEVICE] == DEVICE
    assert headers[HEADER_TIMESTAMP] == "1718000000"
    assert len(headers[HEADER_NONCE]) == 32
    assert headers[HEADER_SIGNATURE] == signature(
        KEY, "PUT", PATH, "1718000000", headers[HEADER_NONCE], BODY
    )


def test_every_request_gets_a_fresh_nonce() -> None:
    assert len({signed()[HEADER_NONCE] for _ in range(50)}) == 50


def test_a_good_request_passes_and_names_device_and_nonce() -> None:
    headers = signed()
    assert check(headers, keys, "PUT", PATH, BODY, now=NOW) == (DEVICE, headers[HEADER_NONCE])


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", PATH, BODY),  # method
        ("PUT", "/v1/ratings?x=2", BODY),  # query
        ("PUT", "/v1/ratings", BODY),  # query dropped
        ("PUT", "/v1/Ratings?x=1", BODY),  # path
        ("PUT", PATH, b'{"ratings":[{}]}'),  # body
        ("PUT", PATH, b""),  # body dropped
    ],
)
def test_tampering_with_a_signed_part_fails(method: str, path: str, body: bytes) -> None:
    verdict = check(signed(), keys, method, path, body, now=NOW)
    assert verdict == Rejection(401, "bad_signature", "signature does not match")


def test_tampering_with_the_timestamp_header_fails() -> None:
    headers = signed()
    headers[HEADER_TIMESTAMP] = str(int(NOW) + 1)
    assert check(headers, keys, "PUT", PATH, BODY, now=NOW).code == "bad_signature"


def test_tampering_with_the_nonce_header_fails() -> None:
    headers = signed()
    headers[HEADER_NONCE] = "f" * 32
    assert check(headers, keys, "PUT", PATH, BODY, now=NOW).code == "bad_signature"


def test_tampering_with_the_signature_fails() -> None:
    headers = signed()
    sig = headers[HEADER_SIGNATURE]
    headers[HEADER_SIGNATURE] = ("0" if sig[0] != "0" else "1") + sig[1:]
    assert check(headers, keys, "PUT", PATH, BODY, now=NOW).code == "bad_signature"


def test_a_different_key_fails() -> None:
    headers = sign_headers(DEVICE, b"another-key", "PUT", PATH, BODY, now=NOW)
    assert check(headers, keys, "PUT", PATH, BODY, now=NOW).code == "bad_signature"


def test_an_unknown_device_is_refused_before_anything_else() -> None:
    headers = sign_headers("SX-TY-9999", KEY, "PUT", PATH, BODY, now=NOW)
    assert check(headers, keys, "PUT", PATH, BODY, now=NOW).code == "unknown_device"


@pytest.mark.parametrize("skew", [MAX_SKEW_SECONDS, -MAX_SKEW_SECONDS])
def test_skew_up_to_five_minutes_is_accepted(skew: int) -> None:
    headers = signed(now=NOW + skew)
    assert isinstance(check(headers, keys, "PUT", PATH, BODY, now=NOW), tuple)


@pytest.mark.parametrize("skew", [MAX_SKEW_SECONDS + 1, -MAX_SKEW_SECONDS - 1, -86_400])
def test_skew_beyond_five_minutes_is_refused(skew: int) -> None:
    headers = signed(now=NOW + skew)
    verdict = check(headers, keys, "PUT", PATH, BODY, now=NOW)
    assert isinstance(verdict, Rejection)
    assert (verdict.status, verdict.code) == (401, "clock_skew")


@pytest.mark.parametrize(
    "missing", [HEADER_DEVICE, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE]
)
def test_a_missing_header_means_unsigned(missing: str) -> None:
    headers = signed()
    del headers[missing]
    verdict = check(headers, keys, "PUT", PATH, BODY, now=NOW)
    assert isinstance(verdict, Rejection)
    assert (verdict.status, verdict.code) == (401, "unsigned")


def test_an_empty_header_means_unsigned() -> None:
    headers = signed()
    headers[HEADER_SIGNATURE] = ""
    assert check(headers, keys, "PUT", PATH, BODY, now=NOW).code == "unsigned"


def test_no_headers_at_all_means_unsigned() -> None:
    assert check({}, keys, "GET", "/v1/catalogue", b"", now=NOW).code == "unsigned"


def test_a_timestamp_that_is_not_a_number_is_refused() -> None:
    headers = signed()
    headers[HEADER_TIMESTAMP] = "2025-06-12T09:00:00+08:00"
    assert check(headers, keys, "PUT", PATH, BODY, now=NOW).code == "bad_timestamp"


@pytest.mark.parametrize("nonce", ["short", "x" * 65])
def test_a_nonce_of_the_wrong_length_is_refused(nonce: str) -> None:
    timestamp = str(int(NOW))
    headers = {
        HEADER_DEVICE: DEVICE,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(KEY, "PUT", PATH, timestamp, nonce, BODY),
    }
    assert check(headers, keys, "PUT", PATH, BODY, now=NOW).code == "bad_nonce"


# ---- outside input in the headers ----------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp",
    [
        "171800000²",
        "١٧١٨٠٠٠٠٠٠",
        "１７１８０００００００",
        "1" * 5000,
        "-1718000000",
        " 1718000000",
    ],
    ids=["superscript", "arabic-indic", "full-width", "too-long", "negative", "blank"],
)
def test_a_timestamp_of_anything_but_ascii_digits_is_bad_timestamp(timestamp: str) -> None:
    """Found in review: str.isdigit() took '²' (int() then raised, and the reference platform
    dropped the connection) and Arabic-Indic digits (int() read them, and a signature over
    them passed)."""
    headers = {
        HEADER_DEVICE: DEVICE,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: NONCE,
        HEADER_SIGNATURE: signature(KEY, "PUT", PATH, timestamp, NONCE, BODY),
    }
    assert check(headers, keys, "PUT", PATH, BODY, now=NOW).code == "bad_timestamp"


@pytest.mark.parametrize("given", ["é" * 64, VECTOR.upper(), VECTOR[:-1], VECTOR + "0"])
def test_a_signature_that_is_not_64_lower_case_hex_digits_is_bad_signature(given: str) -> None:
    headers = signed()
    headers[HEADER_SIGNATURE] = given
    assert check(headers, keys, "PUT", PATH, BODY, now=NOW).code == "bad_signature"


# ---- HMAC-SM3 ------------------------------------------------------------------------------

# GB/T 32905-2016 (SM3), Appendix A: "abc" and "abcd" x 16.
SM3_VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]
# GM/T 0042-2015 (HMAC with SM3), Appendix D.3: (key, message, HMAC-SM3).
HMAC_SM3_VECTORS = [
    (
        bytes(range(1, 33)),
        b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq" * 2,
        "ca05e144ed05d1857840d1f318a4a8669e559fc8391f414485bfdf7bb408963a",
    ),
    (
        bytes(range(1, 38)),
        b"\xcd" * 50,
        "220bf579ded555393f0159f66c99877822a3ecf610d1552154b41d44b94db3ae",
    ),
    (
        b"\x0b" * 32,
        b"Hi There",
        "c0ba18c68b90c88bc07de794bfc7d2c8d19ec31ed8773bc2b390c9604e0be11e",
    ),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "2e87f1d16862e6d964b50a5200bf2b10b764faa9680a296a2405f24bec39f882",
    ),
]


@pytest.mark.parametrize("backend", ["configured", "gmssl"])
@pytest.mark.parametrize(("message", "expected"), SM3_VECTORS)
def test_sm3_matches_the_published_vectors(backend, message: bytes, expected: str) -> None:
    sm3 = signing.SM3 if backend == "configured" else signing._GmsslSM3
    h = hashlib.new(sm3) if isinstance(sm3, str) else sm3()
    h.update(message)
    assert h.hexdigest() == expected


@pytest.mark.parametrize("backend", ["configured", "gmssl"])
@pytest.mark.parametrize(("key", "message", "expected"), HMAC_SM3_VECTORS)
def test_hmac_sm3_matches_gm_t_0042_appendix_d3(backend, key, message, expected) -> None:
    """Both the SM3 in use (OpenSSL's where it has one) and the gmssl fallback."""
    sm3 = signing.SM3 if backend == "configured" else signing._GmsslSM3
    assert hmac.new(key, message, sm3).hexdigest() == expected


def test_an_sm3_signature_hashes_the_body_with_sm3() -> None:
    text = canonical("PUT", PATH, "1718000000", NONCE, b"abc", SigningMethod.HMAC_SM3).decode()
    assert text.endswith("\n" + SM3_VECTORS[0][1])
    assert body_hash(b"abc") == hashlib.sha256(b"abc").hexdigest()


def test_sm3_signed_headers_name_their_method_and_pass() -> None:
    headers = sign_headers(DEVICE, KEY, "PUT", PATH, BODY, now=NOW, signing=SigningMethod.HMAC_SM3)
    assert headers[HEADER_METHOD] == "hmac-sm3"
    assert headers[HEADER_SIGNATURE] == signature(
        KEY, "PUT", PATH, "1718000000", headers[HEADER_NONCE], BODY, SigningMethod.HMAC_SM3
    )
    assert headers[HEADER_SIGNATURE] != signature(
        KEY, "PUT", PATH, "1718000000", headers[HEADER_NONCE], BODY
    )
    assert check(headers, keys, "PUT", PATH, BODY, now=NOW) == (DEVICE, headers[HEADER_NONCE])


def test_the_method_is_read_from_its_header_and_absent_means_sha256() -> None:
    headers = signed()
    assert headers[HEADER_METHOD] == "hmac-sha256"
    del headers[HEADER_METHOD]
    assert isinstance(check(headers, keys, "PUT", PATH, BODY, now=NOW), tuple)
    sm3 = sign_headers(DEVICE, KEY, "PUT", PATH, BODY, now=NOW, signing=SigningMethod.HMAC_SM3)
    sm3[HEADER_METHOD] = "hmac-sha256"  # a downgrade: the signature no longer matches
    assert check(sm3, keys, "PUT", PATH, BODY, now=NOW).code == "bad_signature"
    sm3[HEADER_METHOD] = "hmac-sha1"
    assert check(sm3, keys, "PUT", PATH, BODY, now=NOW).code == "bad_signature_method"


def test_sm3_is_available_here() -> None:
    assert signing.available(SigningMethod.HMAC_SM3)


def test_the_skew_is_measured_by_the_replys_date() -> None:
    """After a clock_skew refusal the technician reads how far off the kiosk's clock is."""
    from email.utils import formatdate

    from kiosk.signing import clock_skew, skew_words

    server = 1_800_000_000
    date = formatdate(server, usegmt=True)
    assert clock_skew(date, server + 612.4) == pytest.approx(612.4)
    assert skew_words(date, server + 612.4).startswith("the kiosk's clock is 612 s ahead of")
    assert skew_words(date, server - 400).startswith("the kiosk's clock is 400 s behind")
    assert clock_skew(formatdate(server), server) == 0  # "-0000" is GMT as well
    for missing in (None, "", "yesterday"):
        assert clock_skew(missing, server) is None
        assert "no Date" in skew_words(missing, server)
