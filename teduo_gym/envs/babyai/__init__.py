"""BabyAI (minigrid) as a language-goal environment: all BabyAI-specific knowledge of teduo-gym.

- :func:`make_babyai_env` -- a BabyAI level with numeric observations, language goals and (optionally) text.
- ``actions.py`` -- :data:`ACTION_WORDS`, :func:`state_key`.
- ``describe.py`` -- :func:`describe_egocentric`, :func:`describe_full_grid`.
- ``goals.py`` -- the goal grammar: :func:`parse_goal`, :func:`enumerate_goals`, :func:`goal_to_instr`.
- ``paraphrase.py`` -- reworded goals and train/test goal splits.
- ``layouts.py`` -- train/test splits of layouts.
- ``detector.py`` -- :class:`BabyAIGoalDetector` (ground truth) and goal samplers.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import gymnasium as gym
import minigrid  # noqa: F401  (registers the BabyAI environments)
from gymnasium.wrappers import FilterObservation, FlattenObservation

from teduo_gym.envs import UnknownEnvironmentError
from teduo_gym.envs.babyai.actions import ACTION_WORDS, state_key
from teduo_gym.envs.babyai.describe import describe_egocentric, describe_full_grid, egocentric_image
from teduo_gym.envs.babyai.detector import (
    BabyAIGoalDetector,
    feasible_goal_sampler,
    mission_goal_sampler,
    parse_vocabulary,
)
from teduo_gym.envs.babyai.goals import (
    COLORS,
    GOAL_KINDS,
    BabyAIGoal,
    ObjectRef,
    enumerate_goals,
    feasible_by_layout,
    feasible_goals,
    goal_to_instr,
    parse_goal,
)
from teduo_gym.envs.babyai.layouts import LayoutSplit, QuietGeneration, layout_fingerprint, layout_seeds
from teduo_gym.envs.babyai.paraphrase import SYNONYMS, VERB_REWORDINGS, GoalSplit, make_goal_split, paraphrase
from teduo_gym.envs.babyai.state import StateLayout, restore_state, split_states, state_layout, symbolic_state
from teduo_gym.wrappers import LanguageGoalWrapper, TextObservationWrapper

__all__ = [
    "ACTION_WORDS",
    "COLORS",
    "DEFAULT_GOALS",
    "DESCRIBERS",
    "GOAL_KINDS",
    "SYNONYMS",
    "VERB_REWORDINGS",
    "BabyAIGoal",
    "BabyAIGoalDetector",
    "GoalSplit",
    "LayoutSplit",
    "ObjectRef",
    "babyai_env_ids",
    "describe_egocentric",
    "describe_full_grid",
    "egocentric_image",
    "enumerate_goals",
    "feasible_by_layout",
    "feasible_goal_sampler",
    "feasible_goals",
    "goal_to_instr",
    "layout_fingerprint",
    "layout_seeds",
    "QuietGeneration",
    "make_babyai_env",
    "make_goal_split",
    "mission_goal_sampler",
    "paraphrase",
    "parse_goal",
    "parse_vocabulary",
    "state_key",
    "StateLayout",
    "restore_state",
    "split_states",
    "state_layout",
    "symbolic_state",
]

#: Describers by name, for ``make_babyai_env(describer=...)`` (``"full"`` is short for ``"full_grid"``).
DESCRIBERS = {"egocentric": describe_egocentric, "full_grid": describe_full_grid, "full": describe_full_grid}
#: The default goal vocabulary: every "go to", "pick up" and "open" goal (56).
DEFAULT_GOALS: tuple[str, ...] = tuple(enumerate_goals(("go to", "pick up", "open")))
_SAMPLERS = {"mission": mission_goal_sampler, "feasible": feasible_goal_sampler}


def babyai_env_ids() -> list[str]:
    """The registered BabyAI environment ids, sorted.

    Example:
        >>> "BabyAI-GoToLocal-v0" in babyai_env_ids()
        True
    """
    return sorted(k for k in gym.registry if k.startswith("BabyAI-"))


def make_babyai_env(
    env_id: str = "BabyAI-GoToLocal-v0",
    goals: Sequence[str] | None = None,
    *,
    text: bool = True,
    describer: str | Any = "egocentric",
    goal_sampler: Literal["mission", "feasible", "uniform"] | Any = "mission",
    track: Literal["all", "desired"] = "all",
    aliases: Mapping[str, str] | None = None,
    **make_kwargs: Any,
) -> gym.Env:
    """A BabyAI level as a language-goal environment.

    ``gym.make(env_id)`` -> ``FilterObservation(["image"])`` -> ``FlattenObservation`` (a ``(147,)`` uint8 vector that
    Stable-Baselines3 can use) -> :class:`~teduo_gym.wrappers.LanguageGoalWrapper` with the ground-truth
    :class:`BabyAIGoalDetector` -> :class:`~teduo_gym.wrappers.TextObservationWrapper` if ``text``.

    Example:
        >>> env = make_babyai_env("BabyAI-GoToLocal-v0")
        >>> obs, info = env.reset(seed=0)
        >>> obs["observation"]["observation"].shape, info["goal"] == env.unwrapped.mission
        ((147,), True)

    Args:
        env_id: a registered BabyAI id.
        goals: the goal vocabulary; by default every "go to", "pick up" and "open" goal (56).
        text: add the state's text (``obs["text"]``).
        describer: a key of :data:`DESCRIBERS` or any describer ``(env, obs) -> str``.
        goal_sampler: ``"mission"`` (the level's own mission, which must be in the vocabulary), ``"feasible"``
            (uniform over goals whose objects exist), ``"uniform"`` (over the whole vocabulary) or any
            ``GoalSampler``.
        track: ``"all"`` goals detected each step, or only the ``"desired"`` one.
        aliases: reworded goal text -> canonical goal text, for reworded vocabularies.
        **make_kwargs: passed to ``gym.make``.

    Raises:
        UnknownEnvironmentError: ``env_id`` is not a registered BabyAI level; the message names close ids.
    """
    if not env_id.startswith("BabyAI-") or env_id not in gym.registry:
        close = difflib.get_close_matches(env_id, babyai_env_ids(), n=3, cutoff=0.5)
        raise UnknownEnvironmentError(
            f"{env_id!r} is not a registered BabyAI environment."
            + (f" Close ids: {close}." if close else " See teduo_gym.envs.babyai.babyai_env_ids().")
        )
    goals = list(DEFAULT_GOALS if goals is None else goals)
    if isinstance(describer, str):
        if describer not in DESCRIBERS:
            raise ValueError(f"describer must be one of {sorted(DESCRIBERS)} or a callable, got {describer!r}")
        describer = DESCRIBERS[describer]
    sampler: Any = goal_sampler  # "uniform" goes to the wrapper as it is
    if isinstance(goal_sampler, str) and goal_sampler != "uniform":
        if goal_sampler not in _SAMPLERS:
            raise ValueError(
                f"goal_sampler must be 'uniform', one of {sorted(_SAMPLERS)} or a callable, got {goal_sampler!r}"
            )
        sampler = functools.partial(_SAMPLERS[goal_sampler], aliases=aliases)

    # Gymnasium's own wrappers (not minigrid's ImgObsWrapper) record their arguments, so the env can be
    # rebuilt from its spec, as gymnasium's check_env does.
    env: gym.Env = QuietGeneration(gym.make(env_id, **make_kwargs))
    env = FlattenObservation(FilterObservation(env, ["image"]))
    env = LanguageGoalWrapper(env, goals, BabyAIGoalDetector(aliases), sampler, track)
    if text:
        env = TextObservationWrapper(env, describer)
    return env
