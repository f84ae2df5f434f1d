"""PurchaseTracker and the page texts on the real server."""

from teduo_gym.envs.webshop import WebShopEngine
from teduo_gym.recipes.webshop import PurchaseTracker, catalog_truth, play_episode, state_text
from teduo_gym.recipes.webshop.pages import clickables

from .conftest import expert_actions


def test_tracker_reports_the_purchase_with_its_options(env: PurchaseTracker, engine: WebShopEngine) -> None:
    goal = engine.catalog.split_ranges()["train"][0]
    actions = iter(expert_actions(engine, goal))
    episode = play_episode(env, lambda obs: next(actions), goal, max_steps=10)
    wanted = engine.catalog.goals[goal]
    assert episode.purchase is not None and episode.purchase.asin == wanted.asin.lower()
    assert set(episode.purchase.options) == set(wanted.goal_options)
    assert episode.purchase.title == engine.catalog.product(wanted.asin).title
    # the simulator's truth for any goal agrees with the environment's reward for the episode's own goal
    assert catalog_truth(engine.catalog)(episode.purchase, goal) == episode.reward == 1.0
    # the instruction is not part of the page text; chosen options are
    assert all(wanted.instruction_text not in s for s in episode.states)
    if wanted.goal_options:
        assert episode.states[-1].endswith("chosen: " + ", ".join(episode.purchase.options))


def test_state_text_is_cut_to_the_limits(env: PurchaseTracker) -> None:
    obs, _ = env.reset(options={"goal_index": 0})
    obs, *_ = env.step("search[hair dryer]")
    text = state_text(obs, max_chars=120, max_item_chars=12)
    assert len(text) <= 120 and all(len(part) <= 12 for part in text.split(" | "))
    assert "b0" in " ".join(clickables(obs))
