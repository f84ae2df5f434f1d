"""A Craftax-Classic world as the flat uint8 vector a dataset stores, and back.

- :data:`STATE_KIND` -- the format tag of the vectors (``state_layout()["kind"]``).
- :func:`state_fields` -- the fields of the vector: name and shape, in order.
- :func:`symbolic_state` -- one world's ``EnvState`` (or one world of a batch) -> uint8 vector.
- :func:`decode_state` -- a vector -> the fields as a namespace shaped like ``EnvState`` (what
  :func:`~teduo_gym.envs.craftax.describe.describe_state` reads), so a stored state describes as the live one did.

The vector holds what the player can change or see, each value a small integer: the block map (64 x 64 block ids),
the player's position, direction, health, food, drink, energy and sleep, the inventory counts, each creature's
presence and position (zombies, cows, skeletons, arrows) and the 22 achievement flags. Left out are Craftax's
internals that no goal and no text reads: the light level, the vitals' timers, the creatures' health and cooldowns,
the growth of planted saplings (a ripe plant shows in the map), the RNG key and the clock.
"""

from __future__ import annotations

import dataclasses
import functools
from types import SimpleNamespace
from typing import Any

import jax
import numpy as np
from craftax.craftax_classic.envs.craftax_state import Inventory

from teduo_gym.envs.craftax.dynamics import make_params, reset_world

__all__ = ["CREATURES", "INVENTORY", "STATE_KIND", "VITALS", "decode_state", "state_fields", "symbolic_state"]

#: The format tag of the vectors.
STATE_KIND = "craftax-classic-symbolic/1"
#: The inventory counts, in Craftax's order.
INVENTORY: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Inventory))
#: The player's scalars, each a small integer (sleep as 0 / 1).
VITALS: tuple[str, ...] = (
    "player_direction",
    "player_health",
    "player_food",
    "player_drink",
    "player_energy",
    "is_sleeping",
)
#: The creature kinds, each a fixed number of slots with a presence mask and a position.
CREATURES: tuple[str, ...] = ("zombies", "cows", "skeletons", "arrows")


@functools.cache
def state_fields() -> tuple[tuple[str, tuple[int, ...]], ...]:
    """``(name, shape)`` of each field of the vector, in order (shapes from Craftax's static parameters).

    Example:
        >>> dict(state_fields())["map"], dict(state_fields())["cows.position"]
        ((64, 64), (3, 2))
    """
    shapes = jax.eval_shape(reset_world, jax.random.PRNGKey(0), make_params())[1]
    fields: list[tuple[str, tuple[int, ...]]] = [("map", tuple(shapes.map.shape)), ("player_position", (2,))]
    fields += [(name, ()) for name in VITALS]
    fields += [(f"inventory.{name}", ()) for name in INVENTORY]
    for kind in CREATURES:
        mobs = getattr(shapes, kind)
        fields += [(f"{kind}.mask", tuple(mobs.mask.shape)), (f"{kind}.position", tuple(mobs.position.shape))]
    fields.append(("achievements", tuple(shapes.achievements.shape)))
    return tuple(fields)


def _get(state: Any, name: str) -> Any:
    for part in name.split("."):
        state = getattr(state, part)
    return state


def symbolic_state(state: Any, index: int | None = None) -> np.ndarray:
    """The uint8 vector of a world (``EnvState``; ``index`` picks one world of a batched state).

    Example:
        >>> from teduo_gym.envs.craftax import CraftaxEnv
        >>> env = CraftaxEnv(); _ = env.reset(seed=0)
        >>> vector = symbolic_state(env.state)
        >>> vector.dtype, vector.shape
        (dtype('uint8'), (4171,))

    Raises:
        ValueError: a value outside 0..255 (a world this format cannot hold).
    """
    if index is not None:
        state = jax.tree.map(lambda leaf: leaf[index], state)
    state = jax.device_get(state)
    parts = [np.asarray(_get(state, name)).reshape(-1) for name, _ in state_fields()]
    values = np.concatenate(parts).astype(np.int64)
    if values.size and (values.min() < 0 or values.max() > 255):
        low, high = values.min(), values.max()
        raise ValueError(f"a Craftax state value outside 0..255 ({low}..{high}): not storable as uint8")
    return values.astype(np.uint8)


def decode_state(vector: np.ndarray) -> SimpleNamespace:
    """The fields of a :func:`symbolic_state` vector as a namespace shaped like ``EnvState`` (integers; masks,
    sleep and achievements as booleans).

    Example:
        >>> from teduo_gym.envs.craftax import CraftaxEnv, describe_state
        >>> env = CraftaxEnv(); _ = env.reset(seed=0)
        >>> describe_state(decode_state(symbolic_state(env.state))) == describe_state(env.state)
        True

    Raises:
        ValueError: ``vector`` does not have the format's length.
    """
    vector = np.asarray(vector)
    size = sum(int(np.prod(shape)) for _, shape in state_fields())
    if vector.shape != (size,):
        raise ValueError(f"a {STATE_KIND} vector has shape ({size},), got {vector.shape}")
    root = SimpleNamespace(inventory=SimpleNamespace(), **{kind: SimpleNamespace() for kind in CREATURES})
    offset = 0
    for name, shape in state_fields():
        n = int(np.prod(shape))
        value = vector[offset : offset + n].astype(np.int32).reshape(shape)
        offset += n
        if name.endswith("mask") or name in ("is_sleeping", "achievements"):
            value = value.astype(bool)
        *path, leaf = name.split(".")
        setattr(_get(root, ".".join(path)) if path else root, leaf, value)
    return root
