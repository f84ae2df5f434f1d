"""A batch of Craftax-Classic-Symbolic worlds stepped and reset inside JAX.

- :class:`CraftaxVectorConfig` -- the batch: size, reset pool, time limit, memory budget; ``create()`` builds it.
- :class:`CraftaxVectorEnv` -- a Gymnasium ``VectorEnv``: a jitted step over a vmapped batch that resets
  finished worlds from a pool of pre-made worlds; numpy out. :meth:`CraftaxVectorEnv.rollout` runs many steps in
  one jitted ``lax.scan``.
- :class:`VectorStep` -- what one batched step returns (also stacked over time by ``rollout``).
- :class:`BatchMemoryError` -- a batch that would not fit in memory, raised before anything is allocated.

Craftax's own auto-reset generates a new world on every step (and throws it away unless the episode ended), which
costs more than the step itself. Here finished worlds take a state from a pool of ``reset_pool_size`` worlds made
once with ``jax.random``; the pool is regenerated (from the seed, deterministically) after as many resets as it
holds, so starting worlds stay nearly as varied as fresh ones.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import gymnasium as gym
import jax
import jax.numpy as jnp
import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import batch_space

from teduo_gym.envs.craftax.compilation_cache import enable_compilation_cache
from teduo_gym.envs.craftax.describe import describe_state
from teduo_gym.envs.craftax.dynamics import (
    NUM_ACTIONS,
    OBSERVATION_SIZE,
    make_params,
    reset_world,
    state_bytes,
    step_world,
)
from teduo_gym.envs.craftax.env import observation_space

__all__ = ["BatchMemoryError", "CraftaxVectorConfig", "CraftaxVectorEnv", "VectorStep", "available_memory"]

# Copies of a batch's states alive during a step: the batch, the stepped batch, the reset picks, temporaries.
_STATE_COPIES = 4
_OBS_BYTES = OBSERVATION_SIZE * 4


class BatchMemoryError(MemoryError):
    """A :class:`CraftaxVectorConfig` whose batch would not fit in the memory available."""


class VectorStep(NamedTuple):
    """One step of the batch (numpy on the host; a leading time axis from :meth:`CraftaxVectorEnv.rollout`).

    For a world whose episode ended this step, ``observation`` is already its next episode's first observation;
    ``final_observation`` and ``achievements`` belong to the episode that ended.
    """

    observation: Any  #: float32 (N, 1345)
    reward: Any  #: float32 (N,)
    terminated: Any  #: bool (N,)
    truncated: Any  #: bool (N,)
    unlocked: Any  #: bool (N, 22), achievements this step unlocked
    achievements: Any  #: bool (N, 22), achievements of the episode so far
    final_observation: Any  #: float32 (N, 1345), the observation the step produced, before any reset


def available_memory() -> int:
    """Bytes free for new arrays on JAX's default device (GPU memory, or the host's available RAM on CPU).

    Example:
        >>> available_memory() > 0
        True
    """
    stats = jax.devices()[0].memory_stats()
    if stats and "bytes_limit" in stats:
        return int(stats["bytes_limit"] - stats.get("bytes_in_use", 0))
    try:
        with open("/proc/meminfo") as meminfo:
            fields = dict(line.split(":", 1) for line in meminfo)
        return int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError):
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class CraftaxVectorConfig:
    """A batch of Craftax-Classic worlds.

    Example:
        >>> config = CraftaxVectorConfig(num_envs=64)
        >>> config.pool_size, round(config.memory_bytes() / 2**20, 1)
        (64, 9.3)
    """

    num_envs: int = 64
    """Worlds stepped together."""
    reset_pool_size: int | None = None
    """Pre-made worlds finished episodes restart from; ``max(num_envs, 64)`` when None."""
    max_episode_steps: int = 10_000
    """Time limit of an episode (Craftax's ``max_timesteps``)."""
    compilation_cache: bool | str | Path = True
    """JAX's persistent compilation cache: True (default directory), False, or a directory."""
    max_memory_bytes: int | None = None
    """Memory the batch may use; :func:`available_memory` when None."""

    def __post_init__(self) -> None:
        if self.num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {self.num_envs}")
        if self.reset_pool_size is not None and self.reset_pool_size < 1:
            raise ValueError(f"reset_pool_size must be >= 1, got {self.reset_pool_size}")

    @property
    def pool_size(self) -> int:
        """The reset pool's size."""
        return self.reset_pool_size or max(self.num_envs, 64)

    def memory_bytes(self, rollout_steps: int = 1) -> int:
        """Estimated bytes a step (or a ``rollout_steps`` rollout) needs: states of the batch and the pool, and
        the observations it returns."""
        states = state_bytes() * (self.pool_size + _STATE_COPIES * self.num_envs)
        observations = _OBS_BYTES * (self.pool_size + self.num_envs * (2 * rollout_steps + 1))
        return states + observations

    def check_memory(self, rollout_steps: int = 1, extra_bytes_per_world: int = 0, extra: str = "") -> None:
        """Raise :class:`BatchMemoryError` if :meth:`memory_bytes`, plus ``extra_bytes_per_world`` for each world that
        the caller keeps beside the batch (``extra`` says what, e.g. a learner's rollouts), exceeds the budget.

        Example:
            >>> CraftaxVectorConfig(num_envs=10**6, max_memory_bytes=2**30).check_memory()  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            teduo_gym.envs.craftax.vector.BatchMemoryError: a batch of 1000000 Craftax worlds ...
        """
        need = self.memory_bytes(rollout_steps) + extra_bytes_per_world * self.num_envs
        budget = available_memory() if self.max_memory_bytes is None else self.max_memory_bytes
        if need > budget:
            per_world = state_bytes() * _STATE_COPIES + _OBS_BYTES * (2 * rollout_steps + 1) + extra_bytes_per_world
            fits = max((budget - state_bytes() * self.pool_size) // per_world, 0)
            beside = f", {extra} {extra_bytes_per_world / 2**20:.2f} MiB a world" if extra else ""
            raise BatchMemoryError(
                f"a batch of {self.num_envs} Craftax worlds (reset pool {self.pool_size}, rollout of {rollout_steps} "
                f"steps, {state_bytes() / 1024:.1f} KiB a world state{beside}) needs about {need / 2**30:.2f} GiB, but "
                f"{budget / 2**30:.2f} GiB is available on {jax.devices()[0].platform}: lower num_envs (about "
                f"{fits} fit), reset_pool_size or the rollout length, or raise max_memory_bytes"
            )

    def create(self) -> CraftaxVectorEnv:
        """The vector environment."""
        return CraftaxVectorEnv(**asdict(self))


def _pick(done: jax.Array, new: jax.Array, old: jax.Array) -> jax.Array:
    return jnp.where(done.reshape(done.shape + (1,) * (old.ndim - 1)), new, old)


def _batch_step(carry: tuple, actions: jax.Array, pool: tuple, params: Any) -> tuple[tuple, VectorStep]:
    key, states = carry
    key, step_key, pick_key = jax.random.split(key, 3)
    n = actions.shape[0]
    t = jax.vmap(step_world, in_axes=(0, 0, 0, None))(jax.random.split(step_key, n), states, actions, params)
    done = t.terminated | t.truncated

    def restart(current: tuple) -> tuple:
        pool_obs, pool_states = pool
        index = jax.random.randint(pick_key, (n,), 0, pool_obs.shape[0])
        return jax.tree.map(lambda new, old: _pick(done, new[index], old), (pool_obs, pool_states), current)

    obs, states = jax.lax.cond(done.any(), restart, lambda current: current, (t.observation, t.state))
    out = VectorStep(obs, t.reward, t.terminated, t.truncated, t.unlocked, t.state.achievements, t.observation)
    return (key, states), out


_step = jax.jit(_batch_step)


@jax.jit
def _rollout(carry: tuple, actions: jax.Array, pool: tuple, params: Any) -> tuple[tuple, VectorStep]:
    return jax.lax.scan(lambda c, a: _batch_step(c, a, pool, params), carry, actions)


@jax.jit
def _make_pool(keys: jax.Array, params: Any) -> tuple[jax.Array, Any]:
    return jax.vmap(reset_world, in_axes=(0, None))(keys, params)


class CraftaxVectorEnv(gym.vector.VectorEnv):
    """``num_envs`` Craftax-Classic-Symbolic worlds, stepped and reset in one jitted call; numpy in and out.

    Same-step auto-reset (``metadata["autoreset_mode"]``): a world whose episode ends this step returns its next
    episode's first observation, with the last one in ``info["final_obs"]`` (and ``info["_final_obs"]`` marking
    which). ``info`` also holds ``achievements`` (of the episode the step belongs to) and ``achievements_unlocked``
    (by this step), ``(num_envs, 22)`` booleans. The same seed and actions give the same trajectories.

    Example:
        >>> envs = CraftaxVectorEnv(num_envs=2, reset_pool_size=2)
        >>> obs, info = envs.reset(seed=0)
        >>> obs, reward, terminated, truncated, info = envs.step(np.array([5, 3]))
        >>> obs.shape, reward.dtype, info["achievements"].shape
        ((2, 1345), dtype('float32'), (2, 22))

    Args:
        num_envs, reset_pool_size, max_episode_steps, compilation_cache, max_memory_bytes: the fields of
            :class:`CraftaxVectorConfig`.

    Raises:
        BatchMemoryError: the batch would not fit in memory (checked before allocating anything).
    """

    metadata: dict[str, Any] = {"render_modes": [], "autoreset_mode": "SameStep"}

    def __init__(self, num_envs: int = 64, **options: Any):
        self.config = CraftaxVectorConfig(num_envs=num_envs, **options)
        self.config.check_memory()
        enable_compilation_cache(self.config.compilation_cache)
        self.num_envs = num_envs
        self.params = make_params(self.config.max_episode_steps)
        self.single_observation_space = observation_space()
        self.single_action_space = spaces.Discrete(NUM_ACTIONS)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._carry: tuple | None = None
        self._pool: tuple | None = None
        self._seeds = np.random.default_rng()
        self._pool_key: jax.Array | None = None
        self._pool_generation = 0
        self._resets_since_refresh = 0

    @property
    def states(self) -> Any:
        """Craftax's batched ``EnvState`` of the worlds (leading axis ``num_envs``)."""
        if self._carry is None:
            raise gym.error.ResetNeeded("call reset() first")
        return self._carry[1]

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        """Fresh worlds for every env; ``seed`` makes the whole batch (and its pool refreshes) deterministic."""
        if seed is not None:
            self._seeds = np.random.default_rng(seed)
        base = jax.random.PRNGKey(int(self._seeds.integers(2**31)))
        step_key, self._pool_key, start_key = jax.random.split(base, 3)
        self._pool_generation = 0
        self._refresh_pool()
        assert self._pool is not None
        pool_size = self.config.pool_size
        index = jax.random.choice(start_key, pool_size, (self.num_envs,), replace=pool_size < self.num_envs)
        obs, states = jax.tree.map(lambda leaf: leaf[index], self._pool)
        self._carry = (step_key, states)
        zeros = np.zeros((self.num_envs, 22), bool)
        return np.asarray(obs), {"achievements": zeros, "achievements_unlocked": zeros.copy()}

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
        """One step of every world; finished ones restart from the pool in the same call."""
        self._carry, out = _step(self._checked_carry(), self._actions(actions, 1), self._pool, self.params)
        host = VectorStep(*jax.device_get(tuple(out)))
        self._count_resets(host.terminated | host.truncated)
        info: dict[str, Any] = {"achievements": host.achievements, "achievements_unlocked": host.unlocked}
        done = host.terminated | host.truncated
        if done.any():
            info["final_obs"], info["_final_obs"] = host.final_observation, done
        return host.observation, host.reward, host.terminated, host.truncated, info

    def rollout(self, actions: Any) -> VectorStep:
        """Steps ``actions[t]`` (shape ``(T, num_envs)``) in one jitted ``lax.scan``; arrays with a leading ``T``.

        Raises:
            BatchMemoryError: the ``T`` steps' observations would not fit in memory.
        """
        actions = np.asarray(actions)
        if actions.ndim != 2:
            raise ValueError(f"actions must have shape (T, {self.num_envs}), got {actions.shape}")
        self.config.check_memory(rollout_steps=actions.shape[0])
        self._carry, out = _rollout(self._checked_carry(), self._actions(actions, 2), self._pool, self.params)
        host = VectorStep(*jax.device_get(tuple(out)))
        self._count_resets(host.terminated | host.truncated)
        return host

    def describe(self, index: int) -> str:
        """The text of world ``index``'s state (:func:`~teduo_gym.envs.craftax.describe.describe_state`)."""
        if not 0 <= index < self.num_envs:
            raise IndexError(f"index must be in [0, {self.num_envs}), got {index}")
        return describe_state(self.states, index=index)

    def _checked_carry(self) -> tuple:
        if self._carry is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        return self._carry

    def _actions(self, actions: Any, ndim: int) -> jax.Array:
        actions = np.asarray(actions)
        if actions.shape[-1:] != (self.num_envs,) or actions.ndim != ndim:
            raise ValueError(f"actions must end in ({self.num_envs},) with {ndim} axes, got shape {actions.shape}")
        if actions.size and (actions.min() < 0 or actions.max() >= NUM_ACTIONS):
            raise ValueError(f"actions must be in [0, {NUM_ACTIONS}), got {actions.min()}..{actions.max()}")
        return jnp.asarray(actions, jnp.int32)

    def _count_resets(self, done: np.ndarray) -> None:
        self._resets_since_refresh += int(done.sum())
        if self._resets_since_refresh >= self.config.pool_size:
            self._refresh_pool()

    def _refresh_pool(self) -> None:
        assert self._pool_key is not None
        key = jax.random.fold_in(self._pool_key, self._pool_generation)
        self._pool = _make_pool(jax.random.split(key, self.config.pool_size), self.params)
        self._pool_generation += 1
        self._resets_since_refresh = 0
