"""WebShop's knowledge on the real server: goals, WebShop's split, the goal environment and what it cannot give."""

from __future__ import annotations

import pytest

from teduo_gym.envs import KnowledgeError, MissingKnowledgeError, knowledge_for
from teduo_gym.envs.webshop import WebShopEngine, WebShopServer, catalog_truth
from teduo_gym.envs.webshop.knowledge import WebShopKnowledge
from tests.envs.webshop.conftest import expert_actions


@pytest.fixture
def knowledge(server: WebShopServer) -> WebShopKnowledge:
    return WebShopKnowledge(base_url=server.url)


def test_registered_with_goals_and_words() -> None:
    k = knowledge_for("teduo/WebShop-v0")
    assert isinstance(k, WebShopKnowledge) and k.action_words == ("search", "click")
    goals = k.goals()
    assert len(goals) == len(set(goals)) > 10 and all(g == " ".join(g.lower().split()) for g in goals)
    assert k.parse_goal(goals[0].upper()) == goals[0]
    with pytest.raises(KnowledgeError, match="not a goal"):
        k.parse_goal("buy a spaceship")
    assert not k.provides("expert_policy") and not k.provides("goal_schema")


def test_goal_split_follows_webshops_split() -> None:
    k = knowledge_for("teduo/WebShop-v0")
    split = k.goal_split(k.goals(), 5, 3, seed=1)
    ranges = k.catalog.split_ranges()
    assert all(ranges["train"][0] <= k.goal_indices[g] < ranges["train"][1] for g in split.train)
    assert all(ranges["test"][0] <= k.goal_indices[g] < ranges["test"][1] for g in split.test)
    assert split.canonical == {g: g for g in split.test} and split == k.goal_split(k.goals(), 5, 3, seed=1)
    with pytest.raises(KnowledgeError, match="test split holds"):
        k.goal_split(k.goals(), 1, 10_000)


def test_goal_env_detects_a_purchase_for_every_goal(knowledge: WebShopKnowledge, engine: WebShopEngine) -> None:
    index = engine.catalog.split_ranges()["train"][0]
    goal = " ".join(engine.catalog.goals[index].instruction_text.lower().split())
    others = [g for g in knowledge.goals() if g != goal][:5]
    env = knowledge.make_env([goal, *others])
    try:
        obs, info = env.reset(seed=0, options={"goal": goal})
        assert info["goal"] == goal and obs["observation"]["instruction"].lower() == goal
        assert knowledge.describers["page"](env, obs["observation"]).startswith("WebShop")
        keys = [knowledge.state_key(env)]
        for action in expert_actions(engine.catalog, engine.catalog.goals[index]):
            obs, reward, terminated, truncated, info = env.step(action)
            keys.append(knowledge.state_key(env))
        assert len(set(keys)) == len(keys)  # every expert action changes the page or the options chosen
        assert reward == 1.0 and terminated and info["is_success"]
        truth = catalog_truth(engine.catalog)
        expected = [truth(info["purchase"], knowledge.goal_indices[g]) >= 1.0 for g in [goal, *others]]
        assert obs["achieved_goal"].astype(bool).tolist() == expected
    finally:
        env.close()


def test_time_limit_and_missing_state(knowledge: WebShopKnowledge) -> None:
    env = knowledge.make_env(knowledge.goals()[:2], max_steps=1)
    try:
        env.reset(seed=0)
        *_, terminated, truncated, _ = env.step("search[anything]")
        assert truncated and not terminated
        with pytest.raises(MissingKnowledgeError, match="'symbolic_state'"):
            knowledge.symbolic_state(env)
    finally:
        env.close()


def test_text_episodes_serve_the_catalog_with_its_truth() -> None:
    k = knowledge_for("teduo/WebShop-v0")
    with k.text_episodes(seed=0, page_chars=100) as shop:
        train, test = shop.goal_split()
        page = shop.reset(train[0])
        assert shop.choices(page).prefix == "search[" and shop.state_text(page).startswith("WebShop")
        assert len(shop.state_text(page)) <= 100 and shop.instructions([train[0]])[train[0]] == shop.instruction(page)
        page, reward, done, outcome = shop.step("search[hair]")
        assert shop.choices(page).candidates and not done and outcome is None
        assert callable(shop.truth)
    remote = k.text_episodes(base_url="http://127.0.0.1:9")
    assert remote.base_url == "http://127.0.0.1:9" and remote.truth is None


def test_without_a_server_the_knowledge_serves_its_catalog() -> None:
    k = WebShopKnowledge()
    goal = k.goals()[0]
    env = k.make_env([goal])
    try:
        obs, info = env.reset(seed=0)
        assert info["goal"] == goal and obs["observation"]["instruction"].lower() == goal
    finally:
        env.close()
