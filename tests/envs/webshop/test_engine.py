from __future__ import annotations

import pytest

from teduo_gym.envs.webshop import UnknownSessionError, WebShopEngine
from tests.envs.webshop.conftest import expert_actions


def test_results_come_ten_to_a_page_with_next_and_prev(engine: WebShopEngine) -> None:
    env_idx = engine.create()
    engine.reset(env_idx, 0)
    assert engine.available_actions(env_idx) == {"has_search_bar": True, "clickables": ["search"]}
    page = engine.step(env_idx, "search[dry hair hair dryer]")
    assert page.observation.split(" [SEP] ")[2:5] == ["Back to Search", "Page 1 (Total results: 50)", "Next >"]
    clickables = page.available_actions["clickables"]
    assert clickables[:2] == ["back to search", "next >"] and len(clickables) == 12
    for expected in range(2, 6):
        page = engine.step(env_idx, "click[next >]")
        assert f"Page {expected} (Total results: 50)" in page.observation
    assert "next >" not in page.available_actions["clickables"] and "< prev" in page.available_actions["clickables"]
    assert "Page 4 (" in engine.step(env_idx, "click[< prev]").observation


def test_item_page_options_sub_pages_and_back(engine: WebShopEngine, catalog) -> None:
    goal = catalog.goals[0]
    product = catalog.product(goal.asin)
    env_idx = engine.create("text_rich")
    engine.reset(env_idx, 0)
    engine.step(env_idx, f"search[{product.title}]")
    item = engine.step(env_idx, f"click[{goal.asin.lower()}]")
    values = [v for vs in product.options.values() for v in vs]
    assert item.available_actions["clickables"] == [
        "back to search",
        "< prev",
        "description",
        "features",
        "reviews",
        "buy now",
        *values,
    ]
    assert f"Price: {product.price_tag}" in item.observation and "[button] Buy Now [button_]" in item.observation
    chosen = engine.step(env_idx, f"click[{values[0]}]").observation
    assert chosen.startswith(f"You have clicked {values[0]}.\n") and f"[clicked button] {values[0]} [clicked" in chosen
    features = engine.step(env_idx, "click[features]")
    assert product.bullet_points[0] in features.observation and features.available_actions["clickables"] == [
        "back to search",
        "< prev",
    ]
    assert "You have clicked" in engine.step(env_idx, "click[< prev]").observation  # options survive sub pages
    results = engine.step(env_idx, "click[< prev]").observation  # back to the results: options are cleared
    assert f"[clicked button] {goal.asin} [clicked button_]" in results and "You have clicked" not in results
    assert engine.step(env_idx, "click[back to search]").available_actions["has_search_bar"]


@pytest.mark.parametrize(
    "action", ["click[nothing here]", "buy now", "click[]", "search[]", "click[search]", "jump[1]", "click[buy now"]
)
def test_invalid_actions_are_noops(engine: WebShopEngine, action: str) -> None:
    env_idx = engine.create()
    engine.reset(env_idx, 1)
    engine.step(env_idx, "search[green tea]")
    before = engine.observation(env_idx)
    result = engine.step(env_idx, action)
    assert (result.observation, result.reward, result.done) == (before, 0.0, False)


def test_buying_ends_the_episode_with_webshops_reward(engine: WebShopEngine, catalog) -> None:
    env_idx = engine.create()
    engine.reset(env_idx, 5)
    for action in expert_actions(catalog, catalog.goals[5]):
        result = engine.step(env_idx, action)
    assert (result.reward, result.done) == (1.0, True)
    assert result.observation.startswith("Thank you for shopping with us!")
    after = engine.step(env_idx, "search[anything]")  # finished: no-ops until reset
    assert (after.reward, after.done, after.observation) == (0.0, True, result.observation)
    assert engine.reset(env_idx, 5).startswith("WebShop [SEP] Instruction:")


def test_sessions_unknown_out_of_range_and_evicted(catalog, engine: WebShopEngine) -> None:
    with pytest.raises(UnknownSessionError, match="no WebShop session 123"):
        engine.step(123, "search[x]")
    with pytest.raises(ValueError, match="out of range"):
        engine.reset(engine.create(), len(catalog.goals))
    small = WebShopEngine(catalog, engine.index, max_sessions=2)
    first, second = small.create(), small.create()
    small.observation(first)  # first is now the more recently used
    third = small.create()
    assert set(small.session_ids()) == {first, third} and second not in small.session_ids()
    assert small.close(first) and not small.close(first)
