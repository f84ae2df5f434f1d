"""Craftax-Classic-Symbolic as a Gymnasium environment.

- :class:`CraftaxEnv` -- one world; numpy observations, achievements in ``info``; passes ``check_env``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import jax
import numpy as np
from gymnasium import spaces

from teduo_gym.envs.craftax.compilation_cache import enable_compilation_cache
from teduo_gym.envs.craftax.describe import describe_state
from teduo_gym.envs.craftax.dynamics import NUM_ACTIONS, OBSERVATION_SIZE, make_params, reset_world, step_world

__all__ = ["CraftaxEnv", "observation_space"]


def observation_space(shape: tuple[int, ...] = (OBSERVATION_SIZE,)) -> spaces.Box:
    """The symbolic observation's space: float32 in [0, 1] (one-hot view, counts / 10, light level)."""
    return spaces.Box(0.0, 1.0, shape, np.float32)


@jax.jit
def _reset(key: jax.Array, params: Any) -> tuple[jax.Array, jax.Array, Any]:
    key, world = jax.random.split(key)
    return (key, *reset_world(world, params))


@jax.jit
def _step(key: jax.Array, state: Any, action: jax.Array, params: Any) -> tuple[jax.Array, Any]:
    key, sub = jax.random.split(key)
    return key, step_world(sub, state, action, params)


class CraftaxEnv(gym.Env[np.ndarray, np.int64]):
    """Craftax-Classic-Symbolic (Matthews et al., "Craftax: A Lightning-Fast Benchmark for Open-Ended RL", 2024).

    Observations are Craftax's symbolic vector (float32, 1345), actions ``Discrete(17)`` (see
    :data:`~teduo_gym.envs.craftax.describe.ACTION_WORDS`), the reward Craftax's (+1 per new achievement, +-0.1 per
    health point). ``terminated`` on death or lava, ``truncated`` at ``max_episode_steps``. ``info`` holds
    ``achievements`` (22 booleans so far, :data:`~teduo_gym.envs.craftax.achievements.ACHIEVEMENTS` order) and
    ``achievements_unlocked`` (those this step unlocked). :attr:`state` is Craftax's ``EnvState``, for
    :meth:`describe`. Steps are jitted (JAX's persistent compilation cache is on unless ``compilation_cache`` is
    False or ``$TEDUO_JAX_CACHE=0``); for throughput use :class:`~teduo_gym.envs.craftax.vector.CraftaxVectorEnv`.

    Example:
        >>> env = CraftaxEnv()
        >>> obs, info = env.reset(seed=0)
        >>> obs.shape, obs.dtype, info["achievements"].shape
        ((1345,), dtype('float32'), (22,))

    Args:
        max_episode_steps: the time limit (Craftax's ``max_timesteps``).
        compilation_cache: True (default directory), False, or the cache directory.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, max_episode_steps: int = 10_000, compilation_cache: bool | str | Path = True):
        enable_compilation_cache(compilation_cache)
        self.params = make_params(max_episode_steps)
        self.observation_space = observation_space()
        self.action_space = spaces.Discrete(NUM_ACTIONS)
        self.state: Any = None
        self.last_unlocked = np.zeros(22, bool)
        self._key: jax.Array | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        key = jax.random.PRNGKey(int(self.np_random.integers(2**31)))
        self._key, obs, self.state = _reset(key, self.params)
        self.last_unlocked = np.zeros(22, bool)
        return np.asarray(obs), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        if self.state is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        if not self.action_space.contains(action) and not (isinstance(action, int) and 0 <= action < NUM_ACTIONS):
            raise ValueError(f"action must be an integer in [0, {NUM_ACTIONS}), got {action!r}")
        self._key, t = _step(self._key, self.state, np.int32(action), self.params)
        self.state = t.state
        obs, reward, terminated, truncated, unlocked = jax.device_get(
            (t.observation, t.reward, t.terminated, t.truncated, t.unlocked)
        )
        self.last_unlocked = np.asarray(unlocked)
        return np.asarray(obs), float(reward), bool(terminated), bool(truncated), self._info()

    def _info(self) -> dict[str, np.ndarray]:
        return {"achievements": np.asarray(self.state.achievements), "achievements_unlocked": self.last_unlocked}

    def describe(self) -> str:
        """The text of the current state (:func:`~teduo_gym.envs.craftax.describe.describe_state`)."""
        if self.state is None:
            raise gym.error.ResetNeeded("call reset() before describe()")
        return describe_state(self.state)
