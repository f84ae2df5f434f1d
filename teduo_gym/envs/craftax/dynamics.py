"""Craftax-Classic-Symbolic as pure JAX functions: one world's reset and step, shared by both environments.

- :data:`OBSERVATION_SIZE` -- length of the symbolic observation (1345).
- :data:`NUM_ACTIONS` -- 17.
- :class:`Transition` -- what one step returns.
- :func:`make_params` -- Craftax's ``EnvParams`` with an episode cap.
- :func:`reset_world` / :func:`step_world` -- one fresh world; one step with termination split from truncation.
- :func:`state_bytes` -- bytes of one world's state (for memory estimates), without allocating it.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
from craftax.craftax_classic.envs.craftax_state import EnvParams, EnvState, StaticEnvParams
from craftax.craftax_classic.envs.craftax_symbolic_env import get_flat_map_obs_shape, get_inventory_obs_shape
from craftax.craftax_classic.game_logic import craftax_step, is_game_over
from craftax.craftax_classic.renderer import render_craftax_symbolic
from craftax.craftax_classic.world_gen import generate_world

__all__ = [
    "NUM_ACTIONS",
    "OBSERVATION_SIZE",
    "Transition",
    "make_params",
    "observe",
    "reset_world",
    "state_bytes",
    "step_world",
]

#: Length of the symbolic observation: a 7 x 9 view of 17 block and 4 creature channels, then 22 scalars.
OBSERVATION_SIZE: int = get_flat_map_obs_shape() + get_inventory_obs_shape()
#: Craftax-Classic's actions (noop, 4 moves, do, sleep, 4 placements, 6 crafts).
NUM_ACTIONS: int = 17
_STATIC = StaticEnvParams()
_NEVER = jnp.iinfo(jnp.int32).max


class Transition(NamedTuple):
    """One step of one world (or a batch, leading axis first)."""

    observation: jax.Array  #: float32 (1345,), the symbolic observation after the step
    state: EnvState  #: the state after the step
    reward: jax.Array  #: Craftax's reward: +1 per new achievement, +-0.1 per health point
    terminated: jax.Array  #: the player died or walked into lava
    truncated: jax.Array  #: the episode reached ``max_timesteps`` alive
    unlocked: jax.Array  #: bool (22,), achievements this step unlocked


def make_params(max_episode_steps: int = 10_000) -> EnvParams:
    """Craftax's default parameters, with episodes cut after ``max_episode_steps``.

    Example:
        >>> make_params(500).max_timesteps
        500
    """
    if max_episode_steps < 1:
        raise ValueError(f"max_episode_steps must be >= 1, got {max_episode_steps}")
    return EnvParams(max_timesteps=max_episode_steps)


def observe(state: EnvState) -> jax.Array:
    """The symbolic observation of ``state`` as float32 (Craftax mixes float16 into it)."""
    return render_craftax_symbolic(state).astype(jnp.float32)


def reset_world(key: jax.Array, params: EnvParams) -> tuple[jax.Array, EnvState]:
    """A new world from ``key``: ``(observation, state)``."""
    # Strong dtypes, as step_world returns them: a weakly typed leaf would make every jitted step compile twice.
    state = jax.tree.map(lambda leaf: jnp.asarray(leaf, jnp.result_type(leaf)), generate_world(key, params, _STATIC))
    return observe(state), state


def step_world(key: jax.Array, state: EnvState, action: jax.Array, params: EnvParams) -> Transition:
    """One step of Craftax's own dynamics, without any reset.

    Termination (death, lava) is Craftax's ``is_game_over`` without its time limit; truncation is the time limit.
    """
    before = state.achievements
    state, reward = craftax_step(key, state, action, params, _STATIC)
    terminated = is_game_over(state, params.replace(max_timesteps=_NEVER))
    truncated = (state.timestep >= params.max_timesteps) & ~terminated
    return Transition(observe(state), state, reward, terminated, truncated, state.achievements & ~before)


@functools.cache
def state_bytes() -> int:
    """Bytes of one world's state, from its shapes alone (no world is generated).

    Example:
        >>> 16_000 < state_bytes() < 64_000
        True
    """
    shapes = jax.eval_shape(reset_world, jax.random.PRNGKey(0), make_params())
    return sum(leaf.size * leaf.dtype.itemsize for leaf in jax.tree.leaves(shapes))
