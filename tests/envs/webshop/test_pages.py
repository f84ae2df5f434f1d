"""PurchaseTracker, the page texts and the catalog's truth on the real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from teduo_gym.envs.webshop import (
    PurchaseTracker,
    WebShopEngine,
    WebShopEnv,
    WebShopServer,
    catalog_truth,
    clickables,
    has_search_bar,
    state_text,
)
from tests.envs.webshop.conftest import expert_actions


@pytest.fixture
def env(server: WebShopServer) -> Iterator[PurchaseTracker]:
    tracker = PurchaseTracker(WebShopEnv(server.url))
    yield tracker
    tracker.close()


def test_tracker_reports_the_purchase_with_its_options(env: PurchaseTracker, engine: WebShopEngine) -> None:
    goal = engine.catalog.split_ranges()["train"][0]
    wanted = engine.catalog.goals[goal]
    obs, _ = env.reset(options={"goal_index": goal})
    assert has_search_bar(obs) and env.purchase is None
    texts = []
    for action in expert_actions(engine.catalog, wanted):
        texts.append(state_text(obs))
        obs, reward, terminated, _, info = env.step(action)
    purchase = info["purchase"]
    assert terminated and env.purchase is purchase and purchase.asin == wanted.asin.lower()
    assert set(purchase.options) == set(wanted.goal_options)
    assert purchase.title == engine.catalog.product(wanted.asin).title
    # the simulator's truth for any goal agrees with the environment's reward for the episode's own goal
    assert catalog_truth(engine.catalog)(purchase, goal) == reward == 1.0
    # the instruction is not part of the page text; chosen options are
    assert all(wanted.instruction_text not in text for text in texts)
    if wanted.goal_options:
        assert texts[-1].endswith("chosen: " + ", ".join(purchase.options))
    env.reset(options={"goal_index": goal})
    assert env.purchase is None


def test_state_text_is_cut_to_the_limits(env: PurchaseTracker) -> None:
    obs, _ = env.reset(options={"goal_index": 0})
    obs, *_ = env.step("search[hair dryer]")
    text = state_text(obs, max_chars=120, max_item_chars=12)
    assert len(text) <= 120 and all(len(part) <= 12 for part in text.split(" | "))
    assert "b0" in " ".join(clickables(obs)) and env.page == obs
