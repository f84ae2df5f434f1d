"""BabyAI's environment knowledge: every BabyAI specific a stage of teduo-gym needs, behind :class:`EnvKnowledge`.

- :class:`BabyAIKnowledge` -- registered for ``BabyAI-*`` ids (:func:`teduo_gym.envs.knowledge_for`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from teduo_gym.envs.babyai import DESCRIBERS, make_babyai_env
from teduo_gym.envs.babyai.abstraction import BabyAIAbstraction, from_layout
from teduo_gym.envs.babyai.actions import ACTION_WORDS, state_key
from teduo_gym.envs.babyai.bot import BabyAIBotAgent
from teduo_gym.envs.babyai.goals import GOAL_KINDS, enumerate_goals, feasible_goals, parse_goal
from teduo_gym.envs.babyai.layouts import layout_seeds
from teduo_gym.envs.babyai.paraphrase import make_goal_split, paraphrase
from teduo_gym.envs.babyai.state import BabyAIStateTracker, state_layout, symbolic_state
from teduo_gym.envs.knowledge import EnvKnowledge, GoalSplit, LayoutSplit, StateTracker

__all__ = ["BabyAIKnowledge"]


class BabyAIKnowledge(EnvKnowledge):
    """BabyAI (minigrid): the goal grammar (go to / pick up / open / put next to), reworded test goals over held-out
    (colour, type) pairs, layouts with distinct grids, the full grid as state, the compiled goal schema, and
    minigrid's BabyAI bot as the expert.

    Example:
        >>> k = BabyAIKnowledge("BabyAI-GoToLocal-v0")
        >>> k.goal_kinds, len(k.goals(["go to"])), k.provides("expert_policy")
        (('go to', 'pick up', 'open', 'put next to'), 42, True)
    """

    action_words = ACTION_WORDS
    describers = DESCRIBERS
    default_describer = "egocentric"
    goal_kinds = tuple(GOAL_KINDS)

    def __init__(self, env_id: str = "BabyAI-GoToLocal-v0"):
        super().__init__(env_id)
        make_babyai_env(env_id, text=False).close()  # an unknown level: an error naming close ids, now

    def make_env(
        self,
        goals: Sequence[str] | None = None,
        *,
        aliases: Mapping[str, str] | None = None,
        goal_sampler: Any = "uniform",
        max_steps: int | None = None,
    ) -> gym.Env:
        """:func:`~teduo_gym.envs.babyai.make_babyai_env` without text (every goal of the grammar by default)."""
        extra = {} if max_steps is None else {"max_steps": max_steps}
        vocabulary = self.goals() if goals is None else list(goals)
        return make_babyai_env(
            self.env_id, goals=vocabulary, text=False, aliases=aliases, goal_sampler=goal_sampler, **extra
        )

    def goals(self, kinds: Sequence[str] | None = None) -> list[str]:
        """:func:`~teduo_gym.envs.babyai.enumerate_goals`."""
        return enumerate_goals(GOAL_KINDS if kinds is None else kinds)

    def parse_goal(self, text: str) -> str:
        """The canonical text (:func:`~teduo_gym.envs.babyai.parse_goal`; nearest goals named when unknown)."""
        return parse_goal(text).text

    def goal_kind(self, goal: str) -> str:
        """``"go to"``, ``"pick up"``, ``"open"`` or ``"put next to"``."""
        return parse_goal(goal).kind

    def paraphrase(self, goal: str, rng: np.random.Generator) -> str:
        """:func:`~teduo_gym.envs.babyai.paraphrase` (TEDUO's verb rewordings and synonyms)."""
        return paraphrase(goal, rng)

    def goal_split(self, goals: Sequence[str], n_train: int, n_test: int, seed: int = 0) -> GoalSplit:
        """:func:`~teduo_gym.envs.babyai.make_goal_split`: test goals name held-out (colour, type) pairs, reworded."""
        return make_goal_split(goals, n_train, n_test, seed)

    def layout_seeds(self, n_train: int, n_test: int, seed: int = 0) -> LayoutSplit:
        """:func:`~teduo_gym.envs.babyai.layout_seeds`: seeds whose generated layouts are all distinct."""
        return layout_seeds(self.env_id, n_train, n_test, seed)

    def feasible_goals(self, env: gym.Env, goals: Sequence[str]) -> np.ndarray:
        """Goals whose objects exist in the layout (:func:`~teduo_gym.envs.babyai.feasible_goals`)."""
        return feasible_goals(env.unwrapped, goals)

    def symbolic_state(self, env: gym.Env) -> np.ndarray:
        """:func:`~teduo_gym.envs.babyai.symbolic_state`: grid encoding, pose, carried object."""
        return symbolic_state(env)

    def state_layout(self, env: gym.Env) -> dict[str, Any]:
        """:class:`~teduo_gym.envs.babyai.StateLayout` as a dict (kind ``babyai-symbolic/1``)."""
        return state_layout(env).as_dict()

    def state_key(self, env: gym.Env) -> Hashable:
        """Pose, carried object and front cell (:func:`~teduo_gym.envs.babyai.state_key`)."""
        return state_key(env)

    def state_tracker(self, env: gym.Env) -> StateTracker:
        """:class:`~teduo_gym.envs.babyai.state.BabyAIStateTracker` (re-encodes only the front cell)."""
        return BabyAIStateTracker(env)

    def goal_schema(self, layout: Mapping[str, Any], **options: Any) -> BabyAIAbstraction:
        """:class:`~teduo_gym.envs.babyai.abstraction.BabyAIAbstraction` for the layout (``room_only`` option)."""
        return from_layout(layout, **options)

    def expert_policy(self, env: gym.Env) -> BabyAIBotAgent:
        """minigrid's BabyAI bot following ``env``'s goal."""
        return BabyAIBotAgent([env])
