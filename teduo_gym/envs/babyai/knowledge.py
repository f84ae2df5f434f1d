"""BabyAI's environment knowledge: every BabyAI specific a stage of teduo-gym needs, behind :class:`EnvKnowledge`.

- :class:`BabyAIKnowledge` -- registered for ``BabyAI-*`` ids (:func:`teduo_gym.envs.knowledge_for`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, cast

import gymnasium as gym
import numpy as np

from teduo_gym.envs.babyai import DESCRIBERS, QuietGeneration, make_babyai_env
from teduo_gym.envs.babyai.abstraction import BabyAIAbstraction, from_layout
from teduo_gym.envs.babyai.actions import ACTION_WORDS, state_key
from teduo_gym.envs.babyai.balrog import BALROG_ACTIONS, BALROG_TASKS, BALROG_TEMPLATE, make_balrog_env
from teduo_gym.envs.babyai.bot import BabyAIBotAgent
from teduo_gym.envs.babyai.goals import GOAL_KINDS, enumerate_goals, feasible_by_layout, feasible_goals, parse_goal
from teduo_gym.envs.babyai.layouts import layout_seeds
from teduo_gym.envs.babyai.paraphrase import make_goal_split, paraphrase
from teduo_gym.envs.babyai.state import BabyAIStateTracker, restore_state, state_layout, symbolic_state
from teduo_gym.envs.knowledge import Benchmark, EnvKnowledge, GoalSplit, KnowledgeError, LayoutSplit, StateTracker

__all__ = ["BabyAIKnowledge"]


class BabyAIKnowledge(EnvKnowledge):
    """BabyAI (minigrid): the goal grammar (go to / pick up / open / put next to), reworded test goals over held-out
    (colour, type) pairs, layouts with distinct grids, the full grid as state, the compiled goal schema, and
    minigrid's BabyAI bot as the expert.

    Example:
        >>> k = BabyAIKnowledge("BabyAI-GoToLocal-v0")
        >>> k.goal_kinds, len(k.goals(["go to"])), k.provides("expert_policy")
        (('go to', 'pick up', 'open', 'put next to'), 28, True)
    """

    action_words = ACTION_WORDS
    describers = DESCRIBERS
    default_describer = "egocentric"
    dataset_describer = "full"
    goal_kinds = tuple(GOAL_KINDS)
    goal_actions = {"pick up": ("pickup",), "open": ("toggle",), "put next to": ("pickup", "drop")}

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
        extra: dict[str, Any] = {} if max_steps is None else {"max_steps": max_steps}
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

    def goal_split(
        self, goals: Sequence[str], n_train: int, n_test: int, seed: int = 0, balanced: bool = False
    ) -> GoalSplit:
        """:func:`~teduo_gym.envs.babyai.make_goal_split`: test goals name held-out (colour, type) pairs, reworded;
        drawn uniformly, or round robin over goal kinds when ``balanced``."""
        return make_goal_split(goals, n_train, n_test, seed, balanced)

    def layout_seeds(self, n_train: int, n_test: int, seed: int = 0) -> LayoutSplit:
        """:func:`~teduo_gym.envs.babyai.layout_seeds`: seeds whose generated layouts are all distinct."""
        return layout_seeds(self.env_id, n_train, n_test, seed)

    def feasible_goals(self, env: gym.Env, goals: Sequence[str]) -> np.ndarray:
        """Goals whose objects exist in the layout (:func:`~teduo_gym.envs.babyai.feasible_goals`)."""
        return feasible_goals(env.unwrapped, goals)

    def feasible_by_layout(
        self, layouts: Sequence[int], goals: Sequence[str], canonical: Sequence[str] | None = None
    ) -> dict[int, list[str]]:
        """:func:`~teduo_gym.envs.babyai.feasible_by_layout` on the bare level (no goal wrapper to reset)."""
        probe = QuietGeneration(gym.make(self.env_id))
        try:
            return feasible_by_layout(probe, layouts, goals, canonical)
        finally:
            probe.close()

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

    def describe_states(self, states: np.ndarray, describer: str) -> list[str]:
        """Each state restored into the level (:func:`~teduo_gym.envs.babyai.restore_state`) and described from
        the agent's observation there, e.g. ``"egocentric"``: the 7x7 view the agent saw.

        Example:
            >>> k = BabyAIKnowledge("BabyAI-GoToLocal-v0")
            >>> env = k.make_env(); _ = env.reset(seed=0)
            >>> k.describe_states(k.symbolic_state(env)[None], "egocentric")[0].splitlines()[0]
            'a yellow key 1 step left and 1 step forward'
        """
        if describer not in self.describers:
            raise KnowledgeError(f"{describer!r} is not a describer of {self.env_id}: one of {sorted(self.describers)}")
        describe = self.describers[describer]
        env = QuietGeneration(gym.make(self.env_id))
        env.reset(seed=0)
        texts = []
        for state in states:
            restore_state(env, state)
            texts.append(describe(env, cast(Any, env.unwrapped).gen_obs()))
        env.close()
        return texts

    def goal_schema(self, layout: Mapping[str, Any], **options: Any) -> BabyAIAbstraction:
        """:class:`~teduo_gym.envs.babyai.abstraction.BabyAIAbstraction` for the layout (``room_only`` option)."""
        return from_layout(layout, **options)

    def expert_policy(self, env: gym.Env | Sequence[gym.Env]) -> BabyAIBotAgent:
        """minigrid's BabyAI bot following ``env``'s goal (each environment's, for a sequence)."""
        return BabyAIBotAgent([env] if isinstance(env, gym.Env) else env)

    def benchmark(self, name: str) -> Benchmark:
        """``"balrog"``: BALROG's five BabyAI tasks with its text, action names and prompt
        (:mod:`teduo_gym.envs.babyai.balrog`)."""
        if name != "balrog":
            raise KnowledgeError(f"BabyAI has no benchmark {name!r}: it has 'balrog'")
        return Benchmark("balrog", BALROG_TASKS, make_balrog_env, BALROG_ACTIONS, BALROG_TEMPLATE)
