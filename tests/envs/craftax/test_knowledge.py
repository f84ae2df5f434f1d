"""Craftax-Classic's knowledge on the real environment: goals, paraphrases, the goal env, the stored state and its
round trip, the state key, the batched worlds OIR uses, and the error without the craftax extra."""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("craftax", reason="needs the craftax extra: pip install teduo-gym[craftax]")

from teduo_gym.envs import KnowledgeError, knowledge_for  # noqa: E402
from teduo_gym.envs.craftax.knowledge import CraftaxKnowledge  # noqa: E402

ENV_ID = "Craftax-Classic-Symbolic-v1"


@pytest.fixture(scope="module")
def knowledge() -> CraftaxKnowledge:
    k = knowledge_for(ENV_ID)
    assert isinstance(k, CraftaxKnowledge)
    return k


def test_goals_kinds_and_paraphrases(knowledge: CraftaxKnowledge) -> None:
    goals = knowledge.goals()
    assert len(goals) == 22 and goals[0] == "collect wood" and goals[-1] == "make iron sword"
    assert len(knowledge.action_words) == 17 and knowledge.default_describer in knowledge.describers
    assert {knowledge.goal_kind(g) for g in goals} == set(knowledge.goal_kinds)
    assert knowledge.goals(["eat"]) == ["eat cow", "eat plant"]
    assert knowledge.parse_goal("Make_Wood_Pickaxe") == "make wood pickaxe"
    with pytest.raises(KnowledgeError, match="did you mean .*collect wood"):
        knowledge.parse_goal("collect wod")
    with pytest.raises(KnowledgeError, match="kinds"):
        knowledge.goals(["fly"])
    split = knowledge.goal_split(goals, 6, 4, seed=0)
    assert not set(split.train) & set(split.canonical.values())
    assert all(test not in goals and split.canonical[test] in goals for test in split.test)
    assert knowledge.paraphrase("collect wood", np.random.default_rng(0)) == "chop down a tree"
    assert not knowledge.provides("goal_schema") and not knowledge.provides("expert_policy")


def test_goal_env_detects_an_achievement_and_states_round_trip(knowledge: CraftaxKnowledge) -> None:
    env = knowledge.make_env(["collect wood", "collect sapling"], aliases={"chop down a tree": "collect wood"},
                             max_steps=60)  # fmt: skip
    obs, info = env.reset(seed=0, options={"goal": "collect wood"})
    assert info["goal"] == "collect wood" and obs["observation"].shape == (knowledge.observation_size,)
    layout = knowledge.state_layout(env)
    state = knowledge.symbolic_state(env)
    assert state.dtype == np.uint8 and state.shape == (layout["size"],) and layout["fields"][0] == ["map", [64, 64]]
    texts = knowledge.describe_states(np.stack([state]), "state")
    assert texts == [knowledge.describers["state"](env, obs)]
    key = knowledge.state_key(env)
    env.step(0)  # noop: nothing the player can change changed
    assert knowledge.state_key(env) == key
    rng, rewards, truncated = np.random.default_rng(0), [], False
    tracker = knowledge.state_tracker(env)
    tracker.reset()
    while not truncated and not any(rewards):
        tracker.before_step()
        obs, reward, terminated, truncated, info = env.step(int(rng.choice([1, 2, 3, 4, 5, 5, 5])))
        rewards.append(reward)
        stored = tracker.after_step()
        assert knowledge.describe_states(stored[None], "state") == [knowledge.describers["state"](env, obs)]
        if terminated:
            break
    assert sum(rewards) <= 1 and len(rewards) <= 60
    with pytest.raises(KnowledgeError, match="describer"):
        knowledge.describe_states(stored[None], "egocentric")


def test_batched_worlds_for_online_training(knowledge: CraftaxKnowledge) -> None:
    config = knowledge.vector_config(2, reset_pool_size=2, max_episode_steps=30)
    assert config.memory_bytes() > 0
    with pytest.raises(MemoryError, match="a learner's buffers 1.00 MiB a world"):
        config.__class__(num_envs=10**5, max_memory_bytes=2**30).check_memory(extra_bytes_per_world=2**20,
                                                                             extra="a learner's buffers")  # fmt: skip
    envs = knowledge.vector_env(2, reset_pool_size=2, max_episode_steps=30)
    obs, info = envs.reset(seed=0)
    assert obs.shape == (2, knowledge.observation_size)
    assert info["achievements"].shape == (2, len(knowledge.achievements))
    assert knowledge.describe_world(envs.states, 1) == envs.describe(1)


def test_without_the_extra_the_error_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "teduo_gym.envs.craftax", None)
    with pytest.raises(KnowledgeError, match=r"^Craftax-Classic needs JAX and Craftax .*teduo-gym\[craftax\]'$") as err:
        CraftaxKnowledge(ENV_ID)
    assert "\n" not in str(err.value)
