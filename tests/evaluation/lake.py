"""Knowledge of an environment that is not built in (FrozenLake with language goals), named by tests as
``--env tests.evaluation.lake:Lake``: the evaluation runs on it unchanged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import gymnasium as gym
import numpy as np

from teduo_gym.envs import EnvKnowledge
from teduo_gym.wrappers import GoalDetector, LanguageGoalWrapper

#: The id tests pass as an environment id.
LAKE = "tests.evaluation.lake:Lake"


class OnCell(GoalDetector):
    """``reach cell i`` is achieved on cell i, ``leave cell i`` anywhere else; reworded goals through ``aliases``."""

    def __init__(self, aliases: Mapping[str, str]):
        self.aliases = dict(aliases)

    def reset(self, env, observation, goals, desired):
        self.goals = [self.aliases.get(g, g) for g in goals]
        return observation

    def detect(self, env, observation, action, goal_ids):
        cell = int(env.unwrapped.s)
        return np.array(
            [(int(self.goals[i].split()[-1]) == cell) == self.goals[i].startswith("reach") for i in goal_ids]
        )


class Lake(EnvKnowledge):
    """FrozenLake (not slippery): goals ``reach cell i`` / ``leave cell i``, reworded as ``get to`` / ``step off``;
    a hole cannot be reached; no expert."""

    action_words = ("left", "down", "right", "up")
    goal_kinds = ("reach", "leave")
    describers = {"cell": lambda env, observation: f"you stand on cell {int(env.unwrapped.s)}"}
    default_describer = "cell"

    def make_env(
        self,
        goals: Sequence[str] | None = None,
        *,
        aliases: Mapping[str, str] | None = None,
        goal_sampler="uniform",
        max_steps: int | None = None,
    ) -> gym.Env:
        env = gym.make("FrozenLake-v1", is_slippery=False, max_episode_steps=max_steps or 100)
        return LanguageGoalWrapper(env, self.goals() if goals is None else goals, OnCell(aliases or {}))

    def goals(self, kinds: Sequence[str] | None = None) -> list[str]:
        return [f"{k} cell {i}" for k in (kinds or self.goal_kinds) for i in range(16)]

    def goal_kind(self, goal: str) -> str:
        return goal.split()[0]

    def paraphrase(self, goal: str, rng: np.random.Generator) -> str:
        return goal.replace("reach", "get to").replace("leave", "step off")

    def feasible_goals(self, env: gym.Env, goals: Sequence[str]) -> np.ndarray:
        holes = env.unwrapped.desc.flatten() == b"H"
        return np.flatnonzero([not (g.startswith("reach") and holes[int(g.split()[-1])]) for g in goals])

    def symbolic_state(self, env: gym.Env) -> np.ndarray:
        return np.array([env.unwrapped.s], np.uint8)
