"""Queue numbers (POST /v1/queue/tickets) and the window in a guide, between the kiosk's client
and the reference platform over real HTTP on 127.0.0.1, each reply checked against the
contract's schema."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
import requests
from test_platform import conforms, login, make_client, raw

from devkit import seed
from devkit.platform_server import ReferencePlatform
from kiosk.platform import ErrorKind, PlatformError

pytestmark = pytest.mark.integration

MONDAY = dt.date(2026, 11, 30)


@pytest.fixture()
def days() -> list[dt.date]:
    return [MONDAY]


@pytest.fixture()
def platform(days: list[dt.date]) -> Iterator[ReferencePlatform]:
    with ReferencePlatform(today=lambda: days[0]) as server:
        yield server


def unavailable_item(platform: ReferencePlatform, key: str = "zhang_wei") -> tuple[str, str]:
    """(item code, window) of an item this citizen has to do at a window."""
    with make_client(platform.url) as c:
        items = c.available_items(login(c, key))
        item = next(i for i in items if not i.available)
        guide = c.guide(item.item_code, login(c, key))
    assert guide.window is not None, "every demo item has a window"
    return item.item_code, guide.window.window


def test_a_guide_names_its_window_and_its_page(platform: ReferencePlatform) -> None:
    code, window = unavailable_item(platform)
    raw = requests.get(f"{platform.url}/devkit/state", timeout=5)  # the server answers
    assert raw.status_code == 200
    with make_client(platform.url) as c:
        guide = c.guide(code)
    assert guide.window is not None and guide.window.window == window
    assert guide.window.hours and guide.window.name
    assert guide.guide_url.endswith(code)
    conforms(seed.BY_CODE[code].guide_json(), "Guide")


def test_numbers_count_per_window_and_per_day(platform, days) -> None:
    code, window = unavailable_item(platform)
    other = next(
        i
        for i in seed.BY_CODE.values()
        if (w := seed.window_json(i.department)) and w["window"] != window
    )
    other_window = seed.window_json(other.department)["window"]
    with make_client(platform.url) as c:
        first = c.queue_ticket(code, window)
        second = c.queue_ticket(code, window)
        elsewhere = c.queue_ticket(other.item_code, other_window)
        days[0] = MONDAY + dt.timedelta(days=1)
        next_day = c.queue_ticket(code, window)
    assert (first.number, second.number) == (f"{window}-001", f"{window}-002")
    assert elsewhere.number == f"{other_window}-001"
    assert next_day.number == f"{window}-001", "numbers start again each day"
    assert first.window == window and first.waiting == 0 and second.waiting >= 0
    assert first.issued_at.tzinfo is not None
    body = json.dumps({"item_code": code, "window": window}).encode()
    reply = raw(platform, "POST", "/v1/queue/tickets", body)
    assert reply.status_code == 201
    conforms(reply.json(), "QueueTicket")
    conforms({"item_code": code, "window": window}, "QueueTicketRequest")
    assert [(r["window"], r["day"], r["last"]) for r in platform.queue_numbers()] == [
        (window, "2026-11-30", 2),
        (other_window, "2026-11-30", 1),
        (window, "2026-12-01", 2),
    ]


def test_a_queue_that_is_down_says_so_and_gives_no_number(platform) -> None:
    code, window = unavailable_item(platform)
    off = requests.post(f"{platform.url}/devkit/queue", json={"available": False}, timeout=5)
    assert off.json() == {"available": False}
    with make_client(platform.url) as c, pytest.raises(PlatformError) as caught:
        c.queue_ticket(code, window)
    assert (caught.value.kind, caught.value.code, caught.value.status) == (
        ErrorKind.SERVER,
        "queue_unavailable",
        503,
    )
    assert "取号机" in caught.value.message
    assert platform.queue_numbers() == []
    calls = [c for c in platform.call_log() if c[1] == "/v1/queue/tickets"]
    assert calls == [("POST", "/v1/queue/tickets", 503)], "a POST is never repeated"
    requests.post(f"{platform.url}/devkit/queue", json={"available": True}, timeout=5)
    with make_client(platform.url) as c:
        assert c.queue_ticket(code, window).number == f"{window}-001"


def test_a_window_the_item_is_not_handled_at_and_an_unknown_item(platform) -> None:
    code, window = unavailable_item(platform)
    with make_client(platform.url) as c:
        for item_code, win, expected in (
            (code, "Z99", "unknown_window"),
            ("1401009999999900", window, "unknown_item"),
        ):
            with pytest.raises(PlatformError) as caught:
                c.queue_ticket(item_code, win)
            assert (caught.value.kind, caught.value.code) == (ErrorKind.NOT_FOUND, expected)


def test_a_number_is_only_for_a_signed_kiosk(platform) -> None:
    code, window = unavailable_item(platform)
    reply = requests.post(
        f"{platform.url}/v1/queue/tickets", json={"item_code": code, "window": window}, timeout=5
    )
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "unsigned"
    bad = requests.post(f"{platform.url}/devkit/queue", json={"available": "no"}, timeout=5)
    assert bad.status_code == 400


def test_a_platform_that_times_out_is_a_timeout(platform) -> None:
    code, window = unavailable_item(platform)
    platform.set_faults(latency_ms=1500, path="/v1/queue/")
    with make_client(platform.url, read_timeout=0.5) as c, pytest.raises(PlatformError) as caught:
        c.queue_ticket(code, window)
    assert caught.value.kind is ErrorKind.TIMEOUT
    platform.set_faults()
