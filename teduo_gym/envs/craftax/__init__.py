"""Craftax-Classic (symbolic) as a language-goal environment: all Craftax-specific knowledge of teduo-gym.

Needs the ``craftax`` extra (``pip install teduo-gym[craftax]``: JAX and Craftax).

- :class:`CraftaxEnv` -- one world as a Gymnasium env, registered as :data:`ENV_ID`.
- :class:`CraftaxVectorEnv` / :class:`CraftaxVectorConfig` -- a batch stepped and reset inside JAX, numpy out
  (``gym.make_vec(ENV_ID, num_envs=64, vectorization_mode="vector_entry_point")``).
- ``describe.py`` -- :func:`describe_state`, :data:`ACTION_WORDS`.
- ``achievements.py`` -- :data:`ACHIEVEMENTS`, :data:`PARAPHRASES`, :data:`ACHIEVEMENT_SYNONYMS`,
  :func:`achievement_unlocked`, :class:`CraftaxAchievementDetector`.
- ``state.py`` -- :func:`symbolic_state` (a world as the uint8 vector a dataset stores), :func:`decode_state`.
- ``knowledge.py`` -- :class:`~teduo_gym.envs.craftax.knowledge.CraftaxKnowledge`, Craftax behind the
  environment-knowledge protocol (``teduo_gym.envs.knowledge_for(ENV_ID)``).
- ``compilation_cache.py`` -- JAX's persistent compilation cache (on by default; ``TEDUO_JAX_CACHE=0`` turns it off).
- :func:`make_craftax_env` -- the env with language goals (the achievements) and, optionally, text.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import gymnasium as gym
import numpy as np

from teduo_gym.core.digest import digest
from teduo_gym.envs.craftax.achievements import (
    ACHIEVEMENT_FORMS,
    ACHIEVEMENT_GOALS,
    ACHIEVEMENT_SYNONYMS,
    ACHIEVEMENTS,
    PARAPHRASES,
    CraftaxAchievementDetector,
    achievement_index,
    achievement_unlocked,
    unlocked_names,
)
from teduo_gym.envs.craftax.compilation_cache import CACHE_ENV_VAR, compilation_cache_dir, enable_compilation_cache
from teduo_gym.envs.craftax.describe import ACTION_WORDS, describe_env, describe_state, offset_text
from teduo_gym.envs.craftax.dynamics import NUM_ACTIONS, OBSERVATION_SIZE
from teduo_gym.envs.craftax.env import CraftaxEnv
from teduo_gym.envs.craftax.state import STATE_KIND, decode_state, state_fields, symbolic_state
from teduo_gym.envs.craftax.vector import (
    BatchMemoryError,
    CraftaxVectorConfig,
    CraftaxVectorEnv,
    VectorStep,
    available_memory,
)
from teduo_gym.wrappers import LanguageGoalWrapper, TextObservationWrapper, uniform_goal_sampler

__all__ = [
    "ACHIEVEMENTS",
    "ACHIEVEMENT_FORMS",
    "ACHIEVEMENT_GOALS",
    "ACHIEVEMENT_SYNONYMS",
    "ACTION_WORDS",
    "CACHE_ENV_VAR",
    "DEFAULT_GOALS",
    "DESCRIBERS",
    "ENV_ID",
    "NUM_ACTIONS",
    "OBSERVATION_SIZE",
    "PARAPHRASES",
    "STATE_KIND",
    "BatchMemoryError",
    "CraftaxAchievementDetector",
    "CraftaxEnv",
    "CraftaxVectorConfig",
    "CraftaxVectorEnv",
    "VectorStep",
    "achievement_index",
    "achievement_unlocked",
    "available_memory",
    "compilation_cache_dir",
    "decode_state",
    "describe_env",
    "describe_state",
    "enable_compilation_cache",
    "make_craftax_env",
    "offset_text",
    "state_fields",
    "state_key",
    "symbolic_state",
    "unlocked_names",
]

#: The Gymnasium id of :class:`CraftaxEnv` (with :class:`CraftaxVectorEnv` as its vector entry point).
ENV_ID = "Craftax-Classic-Symbolic-v1"
#: Describers by name, for ``make_craftax_env(describer=...)``.
DESCRIBERS = {"state": describe_env}
#: The default goal vocabulary: the 22 achievements as phrases ("collect wood").
DEFAULT_GOALS: tuple[str, ...] = ACHIEVEMENT_GOALS

if ENV_ID not in gym.registry:
    gym.register(
        ENV_ID,
        entry_point="teduo_gym.envs.craftax.env:CraftaxEnv",
        vector_entry_point="teduo_gym.envs.craftax.vector:CraftaxVectorEnv",
    )


def state_key(env: gym.Env) -> Hashable:
    """What an action can change: the player's position, direction and inventory, and the map.

    Creatures, vitals and the clock are left out: they change whatever the player does.

    Example:
        >>> env = gym.make(ENV_ID); _ = env.reset(seed=0)
        >>> key = state_key(env); _ = env.step(0)  # noop
        >>> state_key(env) == key
        True
    """
    state = env.unwrapped.state  # type: ignore[attr-defined]
    inventory = np.asarray([int(v) for v in vars(state.inventory).values()], np.int32)
    parts = (state.player_position, state.player_direction, inventory, state.map)
    return digest(*(np.asarray(p).tobytes() for p in parts))


def make_craftax_env(
    env_id: str = ENV_ID,
    goals: Sequence[str] | None = None,
    *,
    text: bool = True,
    describer: str | Any = "state",
    goal_sampler: Any = uniform_goal_sampler,
    track: Literal["all", "desired"] = "all",
    aliases: Mapping[str, str] | None = None,
    **make_kwargs: Any,
) -> gym.Env:
    """Craftax-Classic as a language-goal environment: goals are achievements, checked by Craftax itself.

    ``gym.make(env_id)`` -> :class:`~teduo_gym.wrappers.LanguageGoalWrapper` with
    :class:`CraftaxAchievementDetector` -> :class:`~teduo_gym.wrappers.TextObservationWrapper` if ``text``.

    Args:
        env_id: :data:`ENV_ID`.
        goals: achievement names or phrases (or rewordings through ``aliases``); all 22 by default.
        text: add the state's text (``obs["text"]``).
        describer: a key of :data:`DESCRIBERS` or any describer ``(env, obs) -> str``.
        goal_sampler: chooses each episode's goal (uniform over the vocabulary by default).
        track: ``"all"`` goals detected each step, or only the ``"desired"`` one.
        aliases: reworded goal text -> achievement name or phrase.
        **make_kwargs: passed to ``gym.make`` (``max_episode_steps``, ``compilation_cache``).
    """
    if isinstance(describer, str):
        if describer not in DESCRIBERS:
            raise ValueError(f"describer must be one of {sorted(DESCRIBERS)} or a callable, got {describer!r}")
        describer = DESCRIBERS[describer]
    env: gym.Env = gym.make(env_id, **make_kwargs)
    detector = CraftaxAchievementDetector(dict(aliases or {}))
    env = LanguageGoalWrapper(env, list(DEFAULT_GOALS if goals is None else goals), detector, goal_sampler, track)
    return TextObservationWrapper(env, describer) if text else env
