from __future__ import annotations

import pytest

from teduo_gym.envs.webshop import Goal, Product, webshop_reward
from teduo_gym.envs.webshop.reward import normalize_color, token_set_ratio

PRODUCT = Product(
    asin="B0TEST0001",
    title="Acme Long Lasting Shampoo",
    query="shampoo",
    category="beauty",
    product_category="Beauty › Hair Care › Shampoos",
    description="A gentle shampoo.",
    bullet_points=("Cruelty free formula",),
    pricing=(12.0,),
    price_tag="$12.0",
    options={"color": ("navy blue", "red"), "size": ("large", "x-large")},
    attributes=("long lasting", "cruelty free"),
)


def _goal(**changes) -> Goal:
    fields = dict(
        asin="B0TEST0001",
        instruction_text="i want a long lasting sulfate free shampoo",
        attributes=("long lasting", "sulfate free"),
        goal_options=("blue", "large"),
        price_upper=20.0,
        query="shampoo",
        name="Acme Long Lasting Shampoo",
        category="beauty",
        product_category="Beauty › Hair Care › Shampoos",
    )
    return Goal(**{**fields, **changes})


def test_the_formula_on_a_hand_computed_purchase() -> None:
    # attributes: "long lasting" matches, "sulfate free" is nowhere -> 1 of 2; options: "navy blue" normalises to
    # "blue" (COLOR_SET order), "large" is an exact size match -> 2 of 2; price 12 <= 20 -> 1; r_type 1 (same query)
    parts = webshop_reward(PRODUCT, _goal(), 12.0, {"color": "navy blue", "size": "large"})
    assert parts.total == pytest.approx((1 + 2 + 1) / (2 + 2 + 1))
    assert (parts.r_type, parts.r_att, parts.r_option, parts.r_price) == (1.0, 0.5, 1.0, True)


def test_price_over_the_bound_and_inexact_size() -> None:
    # sizes match exactly only: "x-large" is not "large" (and not in the product's text) -> options 1 of 2
    parts = webshop_reward(PRODUCT, _goal(), 25.0, {"color": "navy blue", "size": "x-large"})
    assert parts.total == pytest.approx((1 + 1 + 0) / 5)
    assert parts.r_price is False and parts.r_option == 0.5


def test_attributes_found_in_the_product_text_count() -> None:
    parts = webshop_reward(PRODUCT, _goal(attributes=("gentle",), goal_options=()), 12.0, {})
    assert parts.total == pytest.approx((1 + 0 + 1) / (1 + 0 + 1)) and parts.r_option is None


@pytest.mark.parametrize(
    ("name", "r_type", "title_score"),
    [
        ("Acme Long Lasting Shampoo", 1.0, 1.0),  # query match
        ("Acme Deluxe Premium Soft Cotton Towel Set", 0.5, 1 / 7),  # 1 of 7 words, no query or category match
        ("Acme Deluxe Premium Soft Cotton Bath Towel Set Extra Large Size", 0.1, 1 / 11),
        ("Wooden Garden Chair", 0.0, 0.0),
    ],
)
def test_type_reward(name: str, r_type: float, title_score: float) -> None:
    other = dict(query="towel", product_category="Home › Bath › Towels") if r_type < 1 else {}
    parts = webshop_reward(PRODUCT, _goal(name=name, **other), 12.0, {"color": "red", "size": "large"})
    assert parts.r_type == r_type and parts.title_score == pytest.approx(title_score)
    assert parts.total == pytest.approx(r_type * (1 + 1 + 1) / 5)


def test_category_match_needs_two_shared_levels() -> None:
    goal = _goal(query="conditioner", name="Zeta Conditioner Bottle", product_category="Beauty › Hair Care › Other")
    parts = webshop_reward(PRODUCT, goal, 12.0, {})
    assert parts.category_match and parts.title_score == 0.0 and parts.r_type == 0.0  # title_score 0 overrides


def test_fuzzy_helpers_match_webshops_tests() -> None:
    # tests/web-agent-site/engine/test_normalize.py and thefuzz's documented examples
    suite = [("", ""), ("black forest", "black"), ("violet lavender", "lavender"), ("steelivy fuchsia", "fuchsia")]
    assert all(normalize_color(s) == expected for s, expected in suite)
    assert token_set_ratio("fuzzy was a bear", "fuzzy fuzzy was a bear") == 100
    assert token_set_ratio("New York Mets", "new-york mets!") == 100
    assert token_set_ratio("", "anything") == 0
    assert token_set_ratio("easy clean", "easy to clean") == 100
    assert token_set_ratio("water resistant", "waterproof") < 85
