"""The published list and the guides on disk: exact round trips, public form only, no junk."""

from __future__ import annotations

import json
import sqlite3

import pytest

from devkit import seed
from kiosk.models import Catalogue, Guide
from kiosk.validate import Reader
from offline.catalogue_cache import (
    CatalogueCache,
    catalogue_json,
    guide_json,
)

ETAG = '"0123456789abcdef0123456789abcdef"'


def platform_catalogue() -> dict:
    """The body of GET /v1/catalogue, as the reference platform builds it."""
    return {"version": seed.CATALOGUE_VERSION, "items": [i.item_json() for i in seed.ITEMS]}


def as_model(body: dict, etag: str = ETAG) -> Catalogue:
    return Catalogue.from_json(Reader(json.loads(json.dumps(body)), ""), etag=etag)


@pytest.fixture
def cache(tmp_path):
    c = CatalogueCache(tmp_path / "catalogue.db")
    yield c
    c.close()


def test_the_serialisers_give_back_the_platforms_json():
    body = platform_catalogue()
    assert catalogue_json(as_model(body)) == body
    for item in seed.ITEMS:
        public = item.guide_json()
        assert guide_json(Guide.from_json(Reader(public, ""))) == public


def test_a_catalogue_model_round_trips(cache):
    model = as_model(platform_catalogue())
    assert cache.save(model, fetched_at=1000.0)
    cached = cache.load()
    assert cached is not None
    catalogue, etag, fetched_at = cached  # unpacks like the tuple the runtime expects
    assert catalogue == model and etag == ETAG and fetched_at == 1000.0
    assert catalogue.etag == ETAG
    assert len(catalogue.items) == len(seed.ITEMS)
    assert cached.age(now=1090.0) == 90.0


def test_the_platforms_json_is_accepted_too(cache):
    assert cache.save(platform_catalogue(), '"v2"', fetched_at=5.0)
    cached = cache.load()
    assert cached.catalogue == as_model(platform_catalogue(), '"v2"')


def test_not_modified_keeps_the_list_and_refreshes_its_time(cache):
    cache.save(as_model(platform_catalogue()), fetched_at=1000.0)
    assert cache.touch(fetched_at=5000.0)
    cached = cache.load()
    assert cached.fetched_at == 5000.0 and cached.etag == ETAG
    assert cached.catalogue == as_model(platform_catalogue())


def test_a_list_that_does_not_fit_is_not_saved(cache):
    cache.save(as_model(platform_catalogue()), fetched_at=1.0)
    broken = platform_catalogue()
    broken["items"][0]["case_kind"] = "someday"
    assert cache.save(broken, '"bad"', fetched_at=2.0) is False
    assert cache.load().etag == ETAG, "the good list stays"


def test_guides_are_kept_in_their_public_form(cache, tmp_path):
    item = seed.ITEMS[0]
    reason = "您暂无职工社会保险参保记录，可拨打12333或到社保窗口咨询"
    personal = Guide.from_json(Reader(item.guide_json(False, reason), ""))
    assert personal.item.available is False
    assert cache.save_guide(item.item_code, personal, fetched_at=7.0)
    got = cache.cached_guide(item.item_code)
    assert got.fetched_at == 7.0
    assert got.guide == Guide.from_json(Reader(item.guide_json(), ""))
    assert got.guide.item.available is True and got.guide.item.unavailable_reason == ""
    assert cache.guide(item.item_code) == got.guide
    cache.close()
    for path in tmp_path.iterdir():
        assert reason.encode() not in path.read_bytes(), f"a citizen's situation in {path.name}"


def test_a_guide_as_json_and_a_guide_under_the_wrong_code(cache):
    first, second = seed.ITEMS[0], seed.ITEMS[1]
    assert cache.save_guide(first.item_code, first.guide_json())
    assert cache.guide(first.item_code).item.name == first.name
    assert cache.save_guide(first.item_code, second.guide_json()) is False
    assert cache.guide(first.item_code).item.name == first.name
    assert cache.save_guide(second.item_code, {"item": {}}) is False
    assert cache.guide(second.item_code) is None
    assert cache.guide_codes() == {first.item_code}


def test_guides_of_items_no_longer_published_go_with_the_list(cache):
    body = platform_catalogue()
    for item in seed.ITEMS[:3]:
        cache.save_guide(item.item_code, item.guide_json())
    body["items"] = [i for i in body["items"] if i["item_code"] != seed.ITEMS[1].item_code]
    cache.save(body, '"v3"')
    assert cache.guide_codes() == {seed.ITEMS[0].item_code, seed.ITEMS[2].item_code}


def test_nothing_cached_reads_as_none_and_creates_nothing(tmp_path):
    cache = CatalogueCache(tmp_path / "data" / "catalogue.db")
    assert cache.load() is None
    assert cache.guide("14010000000100") is None
    assert cache.guide_codes() == set()
    assert not (tmp_path / "data").exists()
    assert cache.touch() is False, "nothing to refresh"
    cache.close()


def test_a_damaged_cache_is_replaced(tmp_path):
    path = tmp_path / "catalogue.db"
    path.write_bytes(b"garbage " * 512)
    cache = CatalogueCache(path)
    assert cache.load() is None
    assert cache.save(as_model(platform_catalogue()), fetched_at=3.0)
    assert cache.load().fetched_at == 3.0
    cache.close()


def test_an_unwritable_location_only_means_no_cache(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    cache = CatalogueCache(blocker / "catalogue.db")
    assert cache.save(as_model(platform_catalogue())) is False
    assert cache.load() is None
    cache.close()


def test_the_file_holds_what_another_reader_expects(cache):
    cache.save(as_model(platform_catalogue()), fetched_at=9.0)
    other = sqlite3.connect(cache.path)
    body, etag = other.execute("SELECT body, etag FROM catalogue").fetchone()
    other.close()
    assert json.loads(body) == platform_catalogue() and etag == ETAG
