"""The environment-knowledge protocol: the generic defaults of EnvKnowledge on a tiny knowledge, and BabyAI's
knowledge on a real level."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from teduo_gym.envs import (
    OPTIONAL,
    EnvKnowledge,
    KnowledgeError,
    MissingKnowledgeError,
    StateTracker,
    knowledge_for,
)
from teduo_gym.wrappers import GoalDetector, LanguageGoalWrapper

COLOURS = ("red", "green", "blue", "yellow")


class _OnCell(GoalDetector):
    """``reach cell i`` is achieved on FrozenLake's cell i; ``leave cell i`` anywhere else."""

    def reset(self, env, observation, goals, desired):
        self.goals = goals
        return observation

    def detect(self, env, observation, action, goal_ids):
        cell = int(env.unwrapped.s)
        return np.array(
            [(int(self.goals[i].split()[-1]) == cell) == self.goals[i].startswith("reach") for i in goal_ids]
        )


class LakeKnowledge(EnvKnowledge):
    """FrozenLake with two kinds of goal, and nothing optional."""

    action_words = ("left", "down", "right", "up")
    goal_kinds = ("reach", "leave")

    def make_env(self, goals=None, *, aliases=None, goal_sampler="uniform", max_steps=None) -> gym.Env:
        return LanguageGoalWrapper(gym.make("FrozenLake-v1"), goals or self.goals(), _OnCell())

    def goals(self, kinds=None) -> list[str]:
        return [f"{k} cell {i}" for k in (kinds or self.goal_kinds) for i in range(16)]

    def goal_kind(self, goal: str) -> str:
        return goal.split()[0]

    def paraphrase(self, goal: str, rng: np.random.Generator) -> str:
        return goal.replace("reach", "get to").replace("leave", "step off")

    def symbolic_state(self, env: gym.Env) -> np.ndarray:
        return np.array([env.unwrapped.s], np.uint8)


@pytest.fixture
def lake() -> LakeKnowledge:
    return LakeKnowledge("Lake-v0")


# -- the generic defaults -------------------------------------------------------------------------------------


def test_goal_split_is_disjoint_balanced_over_kinds_reworded_and_seeded(lake):
    split = lake.goal_split(lake.goals(), 8, 6, seed=3)
    assert len(split.train) == 8 and len(split.test) == 6
    assert set(split.canonical) == set(split.test)
    assert not set(split.train) & set(split.canonical.values())
    assert [lake.goal_kind(g) for g in split.train].count("reach") == 4
    assert sorted(lake.goal_kind(g) for g in split.canonical.values()) == ["leave"] * 3 + ["reach"] * 3
    assert all(t == lake.paraphrase(c, np.random.default_rng()) for t, c in split.canonical.items())
    again = lake.goal_split(lake.goals(), 8, 6, seed=3)
    assert (again.train, again.test) == (split.train, split.test)
    assert lake.goal_split(lake.goals(), 8, 6, seed=4).train != split.train


def test_goal_split_asking_for_too_many_goals_is_one_line(lake):
    with pytest.raises(
        KnowledgeError, match=r"^30 training \+ 3 test goals asked of Lake-v0, which has 32: ask fewer$"
    ):
        lake.goal_split(lake.goals(), 30, 3)


def test_layout_seeds_are_distinct_disjoint_and_seeded(lake):
    layouts = lake.layout_seeds(20, 5, seed=1)
    assert len(set(layouts.train)) == 20 and len(set(layouts.test)) == 5
    assert not set(layouts.train) & set(layouts.test)
    assert lake.layout_seeds(20, 5, seed=1) == layouts


def test_parse_goal_normalises_and_names_the_nearest_goals(lake):
    assert lake.parse_goal("  Reach   cell 3 ") == "reach cell 3"
    with pytest.raises(KnowledgeError, match=r"'reach cel 3' is not a goal of Lake-v0; did you mean \[") as err:
        lake.parse_goal("reach cel 3")
    assert "'reach cell 3'" in str(err.value)
    with pytest.raises(KnowledgeError, match=r"is not a goal of Lake-v0$"):
        lake.parse_goal("xyzzy")


def test_goal_kind_paraphrase_and_feasibility_defaults():
    class Plain(LakeKnowledge):
        goal_kinds = ("goal",)
        goal_kind = EnvKnowledge.goal_kind
        paraphrase = EnvKnowledge.paraphrase

    plain = Plain("Plain-v0")
    assert plain.goal_kind("reach cell 1") == "goal"
    assert plain.paraphrase("reach cell 1", np.random.default_rng(0)) == "reach cell 1"
    env = plain.make_env()
    env.reset(seed=0)
    assert plain.feasible_goals(env, ["reach cell 1", "leave cell 1"]).tolist() == [0, 1]
    assert plain.feasible_by_layout([1, 2], ["get to cell 0"], ["reach cell 0"]) == {
        1: ["get to cell 0"],
        2: ["get to cell 0"],
    }


def test_state_defaults_come_from_symbolic_state(lake):
    env = lake.make_env()
    env.reset(seed=0)
    assert lake.state_layout(env) == {"kind": "Lake-v0/symbolic", "size": 1}
    assert lake.state_key(env) == bytes([0])
    tracker = lake.state_tracker(env)
    assert isinstance(tracker, StateTracker) and tracker.reset().tolist() == [0]
    tracker.before_step()
    env.step(2)  # right, unless the lake slips
    assert tracker.after_step().tolist() == [int(env.unwrapped.s)]


@pytest.mark.parametrize("member", OPTIONAL)
def test_an_optional_member_missing_names_itself_and_the_stage(lake, member):
    assert not lake.provides(member)
    with pytest.raises(MissingKnowledgeError) as err:
        lake.check("action_words", member, stage="teduo collect")
    message = str(err.value)
    assert err.value.member == member and err.value.stage == "teduo collect"
    assert "\n" not in message and f"has no {member!r}, which teduo collect needs" in message
    assert f"implement EnvKnowledge.{member}" in message
    assert isinstance(err.value, NotImplementedError) and isinstance(err.value, ValueError)


def test_calling_a_missing_member_raises_the_same_error(lake):
    with pytest.raises(MissingKnowledgeError, match="'goal_schema'"):
        lake.goal_schema({"kind": "Lake-v0/symbolic"})
    with pytest.raises(MissingKnowledgeError, match="'expert_policy'"):
        lake.expert_policy(lake.make_env())


def test_check_passes_members_that_are_provided_or_not_optional():
    class Expert(LakeKnowledge):
        def expert_policy(self, env):
            return None

    expert = Expert()
    assert expert.provides("expert_policy") and expert.env_id == "Expert"
    expert.check("expert_policy", "make_env", stage="collect")


def test_a_subclass_must_implement_the_required_members():
    class Half(EnvKnowledge):
        action_words = ("go",)

    with pytest.raises(TypeError, match="abstract"):
        Half()  # type: ignore[abstract]


# -- BabyAI's knowledge on a real level ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def babyai():
    return knowledge_for("BabyAI-GoToLocal-v0")


def test_babyai_goals_and_kinds(babyai):
    from teduo_gym.envs.babyai import enumerate_goals

    assert babyai.goal_kinds == ("go to", "pick up", "open", "put next to")
    assert babyai.goals() == enumerate_goals() and len(babyai.goals(["go to"])) == 4 * 7  # 4 types x (6 colours, any)
    assert babyai.goal_kind("put the red ball next to a key") == "put next to"
    assert babyai.parse_goal("Go to the RED ball") == "go to the red ball"
    with pytest.raises(ValueError, match="go to the red ball"):
        babyai.parse_goal("go to the red bal")


def test_babyai_goal_split_is_make_goal_split(babyai):
    from teduo_gym.envs.babyai import make_goal_split

    goals = babyai.goals(["go to", "pick up", "open"])
    assert babyai.goal_split(goals, 20, 10, seed=0) == make_goal_split(goals, 20, 10, 0)


def test_babyai_layouts_feasibility_and_state(babyai):
    from teduo_gym.envs.babyai import layout_seeds, state_layout, symbolic_state
    from teduo_gym.envs.babyai.abstraction import BabyAIAbstraction

    assert babyai.layout_seeds(4, 2, seed=0) == layout_seeds("BabyAI-GoToLocal-v0", 4, 2, 0)
    env = babyai.make_env()
    env.reset(seed=0)
    goals = babyai.goals(["go to"])
    feasible = babyai.feasible_goals(env, goals)
    assert 0 < len(feasible) < len(goals)
    assert "go to the green key" in [goals[i] for i in feasible]  # seed 0 has one (abstraction doctests)
    state = babyai.symbolic_state(env)
    assert state.dtype == np.uint8 and np.array_equal(state, symbolic_state(env))
    layout = babyai.state_layout(env)
    assert layout == state_layout(env).as_dict() and layout["size"] == state.size
    assert layout["kind"] == "babyai-symbolic/1"
    assert isinstance(babyai.goal_schema(layout), BabyAIAbstraction)


def test_babyai_expert_reaches_its_goal(babyai):
    env = babyai.make_env(["go to the green key"])
    obs, _ = env.reset(seed=0)
    expert = babyai.expert_policy(env)
    for _ in range(64):
        obs, reward, terminated, truncated, _ = env.step(expert.predict(obs)[0])
        if terminated or truncated:
            break
    assert reward == 1.0


def test_babyai_provides_every_optional_member_it_implements(babyai):
    assert babyai.provides("goal_schema") and babyai.provides("expert_policy")
    babyai.check("goal_schema", "expert_policy", stage="teduo run")
