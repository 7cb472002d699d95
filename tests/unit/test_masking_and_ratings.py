"""Masking rules (张*三, 6 + 4) and the two opposite 好差评 code orders."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.identity import CardType, IdentityCard, id_check_char, id_number_problem
from kiosk.masking import mask_name, mask_number, mask_token, scrub
from kiosk.ratings import LEVELS_SHOWN, RatingLevel


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张*丰"),
        ("张三", "张*"),
        ("欧阳晓明", "欧**明"),
        ("刘䶮", "刘*"),
        ("张", "张"),
        ("", ""),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_mask_number_keeps_first_6_and_last_4():
    assert mask_number("140105198503120210") == "140105********0210"
    assert mask_number("CHN110079001234") == "CHN110*****1234"


@given(st.text(min_size=12, max_size=30))
def test_mask_number_never_reveals_the_middle(text):
    masked = mask_number(text)
    assert len(masked) == len(text.strip()) and masked[6:-4] == "*" * (len(text.strip()) - 10)


def test_mask_token_never_shows_the_content():
    assert "SECRET-TOKEN-VALUE" not in mask_token("SECRET-TOKEN-VALUE")


def test_scrub_masks_id_numbers_in_free_text():
    assert scrub("card 140105198503120210 read") == "card 140105********0210 read"
    assert scrub("order 1234") == "order 1234"


def test_id_number_check():
    assert id_check_char("36042619910101007") == "1"
    assert id_number_problem("360426199101010071") is None
    assert id_number_problem("360426199101010072") == "号码校验位不正确"
    assert id_number_problem("36042619910101007x") is not None  # wrong check even as X
    assert id_number_problem("140105199902301234") is not None  # 30 February
    assert id_number_problem("abc") == "号码格式不正确"


def test_card_repr_is_masked_and_wipe_clears():
    card = IdentityCard(CardType.RESIDENT, "张伟", "140105198503120210", photo=bytearray(b"x" * 10))
    assert "张伟" not in repr(card) and "198503120" not in repr(card)
    card.wipe()
    assert card.name == "" and card.number == "" and len(card.photo) == 0


@pytest.mark.parametrize(
    ("level", "gbt", "satisfaction"),
    [
        (RatingLevel.VERY_SATISFIED, 1, 5),
        (RatingLevel.SATISFIED, 2, 4),
        (RatingLevel.BASIC, 3, 3),
        (RatingLevel.DISSATISFIED, 4, 2),
        (RatingLevel.VERY_DISSATISFIED, 5, 1),
    ],
)
def test_code_orders_both_directions(level, gbt, satisfaction):
    assert level.gbt39046_code() == gbt
    assert level.satisfaction_code() == satisfaction
    assert RatingLevel.from_gbt39046_code(gbt) is level
    assert RatingLevel.from_satisfaction_code(satisfaction) is level


def test_bad_levels_and_order_shown():
    assert [lv.is_bad for lv in LEVELS_SHOWN] == [False, False, False, True, True]
    assert LEVELS_SHOWN[0] is RatingLevel.VERY_SATISFIED


def test_rating_record_uses_the_reporting_code_order():
    from kiosk.ratings import Rating

    r = Rating(
        "C1",
        "I1",
        "事项",
        "部门",
        "ref",
        RatingLevel.VERY_DISSATISFIED,
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "D1",
        "140100",
        ("R01", "R02"),
    )
    j = r.to_json()
    assert j["satisfaction"] == 1 and j["level"] == "very_dissatisfied"
    assert j["reasons"] == "R01,R02" and j["channel"] == 5
