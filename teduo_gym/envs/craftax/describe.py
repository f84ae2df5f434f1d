"""Text of a Craftax-Classic state, short enough for a small LLM and a sentence embedder.

- :data:`ACTION_WORDS` -- one word per action, indexed by action.
- :func:`describe_state` -- ``"facing: tree\\nnearby: tree 1 up, water 2 down 3 left, cow 3 right\\n..."``.
- :func:`describe_env` -- the describer ``(env, observation) -> str`` for text wrappers.

Lines are ``key: item, item`` (as :func:`teduo_gym.relabel.trajectory.split_state` reads them): ``facing``,
``nearby`` (the nearest block of each kind and every creature in the player's 7 x 9 view, nearest first, with rows
as up/down and columns as left/right), ``inventory`` (non-zero counts), ``vitals`` and ``achievements``.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from craftax.craftax_classic.constants import OBS_DIM, Action, BlockType

from teduo_gym.envs.craftax.achievements import ACHIEVEMENT_GOALS

__all__ = ["ACTION_WORDS", "describe_env", "describe_state", "offset_text"]

#: One word per action (``"do"`` mines, attacks, drinks or eats what the player faces).
ACTION_WORDS: tuple[str, ...] = tuple(a.name.lower() for a in sorted(Action, key=lambda a: a.value))
_BLOCK_NAMES = {b.value: b.name.lower().replace("_", " ") for b in BlockType}
_BLOCK_NAMES[BlockType.CRAFTING_TABLE.value] = "table"
_BLOCK_NAMES[BlockType.OUT_OF_BOUNDS.value] = "edge"
# Floor the player walks on everywhere: listing it would crowd out what matters.
_UNLISTED = frozenset((BlockType.INVALID.value, BlockType.GRASS.value, BlockType.PATH.value))
_CREATURES = ("zombie", "cow", "skeleton", "arrow")
_HALF_VIEW = np.array(OBS_DIM) // 2
_FACING = {Action.LEFT.value: (0, -1), Action.RIGHT.value: (0, 1), Action.UP.value: (-1, 0), Action.DOWN.value: (1, 0)}
_INVENTORY = (
    "wood",
    "stone",
    "coal",
    "iron",
    "diamond",
    "sapling",
    "wood_pickaxe",
    "stone_pickaxe",
    "iron_pickaxe",
    "wood_sword",
    "stone_sword",
    "iron_sword",
)


def offset_text(rows: int, cols: int) -> str:
    """A relative position in words: rows down (negative: up), columns right (negative: left).

    Example:
        >>> offset_text(-2, 1), offset_text(0, -3), offset_text(0, 0)
        ('2 up 1 right', '3 left', 'here')
    """
    parts = [f"{abs(rows)} {'up' if rows < 0 else 'down'}"] if rows else []
    parts += [f"{abs(cols)} {'left' if cols < 0 else 'right'}"] if cols else []
    return " ".join(parts) or "here"


def _nearby(state: Any, player: np.ndarray) -> list[tuple[int, int, int, str]]:
    """(distance, row, col, name) of the nearest block of each listed kind and of every creature in view."""
    grid = np.asarray(state.map)
    found: dict[str, tuple[int, int, int, str]] = {}
    for dr in range(-_HALF_VIEW[0], _HALF_VIEW[0] + 1):
        for dc in range(-_HALF_VIEW[1], _HALF_VIEW[1] + 1):
            r, c = player[0] + dr, player[1] + dc
            inside = 0 <= r < grid.shape[0] and 0 <= c < grid.shape[1]
            block = int(grid[r, c]) if inside else BlockType.OUT_OF_BOUNDS.value
            if block in _UNLISTED or (dr, dc) == (0, 0):
                continue
            item = (abs(dr) + abs(dc), dr, dc, _BLOCK_NAMES[block])
            found[item[3]] = min(found.get(item[3], item), item)
    items = list(found.values())
    for name, mobs in zip(_CREATURES, (state.zombies, state.cows, state.skeletons, state.arrows)):
        for position, alive in zip(np.asarray(mobs.position), np.asarray(mobs.mask)):
            dr, dc = (int(v) for v in position - player)
            if alive and np.all(np.abs((dr, dc)) <= _HALF_VIEW):
                items.append((abs(dr) + abs(dc), dr, dc, name))
    return sorted(items)


def describe_state(state: Any, index: int | None = None) -> str:
    """A compact text of a Craftax-Classic state (``EnvState``; ``index`` picks one world of a batched state).

    Example:
        >>> from teduo_gym.envs.craftax import CraftaxEnv
        >>> env = CraftaxEnv()
        >>> _ = env.reset(seed=0)
        >>> print(describe_state(env.state))
        facing: grass
        nearby: tree 1 left, stone 3 up 2 left, sand 1 up 4 right
        inventory: nothing
        vitals: health 9, food 9, drink 9, energy 9
        achievements: none
    """
    if index is not None:
        state = jax.tree.map(lambda leaf: leaf[index], state)
    state = jax.device_get(state)
    player = np.asarray(state.player_position, int)
    nearby = _nearby(state, player)
    dr, dc = _FACING.get(int(state.player_direction), (0, 0))
    ahead = [name for _, r, c, name in nearby if (r, c) == (dr, dc) and name in _CREATURES]
    r, c = player[0] + dr, player[1] + dc
    grid = np.asarray(state.map)
    block = int(grid[r, c]) if 0 <= r < grid.shape[0] and 0 <= c < grid.shape[1] else BlockType.OUT_OF_BOUNDS.value
    inventory = [f"{k.replace('_', ' ')} {int(getattr(state.inventory, k))}" for k in _INVENTORY]
    inventory = [item for item in inventory if not item.endswith(" 0")]
    vitals = (
        f"health {int(state.player_health)}, food {int(state.player_food)}, "
        f"drink {int(state.player_drink)}, energy {int(state.player_energy)}"
    )
    if bool(state.is_sleeping):
        vitals += ", sleeping"
    done = [goal for goal, on in zip(ACHIEVEMENT_GOALS, np.asarray(state.achievements)) if on]
    return "\n".join(
        (
            f"facing: {ahead[0] if ahead else _BLOCK_NAMES[block]}",
            f"nearby: {', '.join(f'{name} {offset_text(r, c)}' for _, r, c, name in nearby) or 'nothing'}",
            f"inventory: {', '.join(inventory) or 'nothing'}",
            f"vitals: {vitals}",
            f"achievements: {', '.join(done) or 'none'}",
        )
    )


def describe_env(env: Any, observation: Any = None) -> str:
    """The describer ``(env, observation) -> str`` of a (wrapped) :class:`~teduo_gym.envs.craftax.env.CraftaxEnv`."""
    return describe_state(env.unwrapped.state)
