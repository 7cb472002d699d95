"""HTTPS to the platform with a real TLS server on loopback: the reference platform with a
certificate made here by trustme, verified against the province's CA file, and pinned.
Nothing leaves the kiosk for a server it does not trust: every refusal below happens during
the handshake, before a request reaches the platform's call log."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from devkit import people
from devkit.platform_server import DEMO_DEVICE_ID, DEMO_DEVICE_KEY, ReferencePlatform
from kiosk.platform import ErrorKind, PlatformClient, PlatformError
from kiosk.tls import parse_pin

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    files = {
        "ca": folder / "province-ca.pem",
        "server": folder / "gateway.pem",  # key and chain
        "leaf": folder / "gateway-cert.pem",
        "other_ca": folder / "other-ca.pem",
    }
    ca.cert_pem.write_to_path(str(files["ca"]))
    cert.private_key_and_cert_chain_pem.write_to_path(str(files["server"]))
    cert.cert_chain_pems[0].write_to_path(str(files["leaf"]))
    trustme.CA().cert_pem.write_to_path(str(files["other_ca"]))
    return files


@pytest.fixture(scope="module")
def platform(pki) -> Iterator[ReferencePlatform]:
    with ReferencePlatform(tls_cert=pki["server"]) as server:
        yield server


@pytest.fixture()
def fresh(platform) -> ReferencePlatform:
    platform.clear_call_log()
    return platform


def openssl_pin(cert_file: Path) -> str:
    """The pin as the example configuration tells a technician to compute it (openssl)."""
    pubkey = subprocess.run(
        ["openssl", "x509", "-in", str(cert_file), "-pubkey", "-noout"],
        check=True,
        capture_output=True,
    ).stdout
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "der"],
        input=pubkey,
        check=True,
        capture_output=True,
    ).stdout
    digest = subprocess.run(
        ["openssl", "dgst", "-sha256", "-binary"], input=der, check=True, capture_output=True
    ).stdout
    return "sha256//" + base64.b64encode(digest).decode()


def client(url: str, **kw) -> PlatformClient:
    return PlatformClient(url, DEMO_DEVICE_ID, DEMO_DEVICE_KEY, retries=2, backoff=0.01, **kw)


def test_the_reference_platform_speaks_https(platform) -> None:
    assert platform.url.startswith("https://127.0.0.1:")


def test_the_provinces_ca_file_verifies_the_gateway(fresh, pki) -> None:
    with client(fresh.url, ca_file=str(pki["ca"])) as c:
        ticket = c.verify_identity(people.BY_KEY["zhang_wei"].card())
        assert c.available_items(ticket)
    assert [status for _, _, status in fresh.call_log()] == [200, 200]


@pytest.mark.parametrize("ca", [None, "other_ca"], ids=["system CAs", "another CA"])
def test_a_certificate_that_does_not_verify_sends_nothing(fresh, pki, ca) -> None:
    with (
        client(fresh.url, ca_file=str(pki[ca]) if ca else None) as c,
        pytest.raises(PlatformError) as info,
    ):
        c.verify_identity(people.BY_KEY["zhang_wei"].card())
    e = info.value
    assert e.kind is ErrorKind.UNREACHABLE and e.status is None
    assert "certificate does not verify" in e.detail and "ca_file" in e.detail
    assert "无法连接" in e.message
    with client(fresh.url, ca_file=str(pki[ca]) if ca else None) as c, pytest.raises(PlatformError):
        c.catalogue()  # an idempotent call: not retried either, a stranger stays a stranger
    assert fresh.call_log() == []


def test_a_pinned_key_passes(fresh, pki) -> None:
    pin = parse_pin(openssl_pin(pki["leaf"]))
    with client(fresh.url, ca_file=str(pki["ca"]), pins=(pin,)) as c:
        assert c.catalogue() is not None
    with client(fresh.url, ca_file=str(pki["ca"]), pins=(bytes(32), pin)) as c:
        assert c.catalogue() is not None  # a backup pin beside the right one
    assert [status for _, _, status in fresh.call_log()] == [200, 200]


def test_a_key_that_is_not_pinned_is_refused_before_anything_is_sent(fresh, pki) -> None:
    """The certificate verifies (the CA is right), but the key is not the pinned one: a
    gateway's key replaced by someone who got a certificate from the same CA."""
    with (
        client(fresh.url, ca_file=str(pki["ca"]), pins=(bytes(32),)) as c,
        pytest.raises(PlatformError) as info,
    ):
        c.verify_identity(people.BY_KEY["zhang_wei"].card())
    e = info.value
    assert e.kind is ErrorKind.UNREACHABLE and not e.code
    assert "is not pinned" in e.detail and "pin_sha256" in e.detail
    assert openssl_pin(pki["leaf"]) in e.detail  # what the technician compares with
    with (
        client(fresh.url, ca_file=str(pki["ca"]), pins=(bytes(32),)) as c,
        pytest.raises(PlatformError),
    ):
        c.catalogue()
    assert fresh.call_log() == []
