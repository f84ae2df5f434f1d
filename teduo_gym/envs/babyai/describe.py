"""Text views of a BabyAI state, as describers ``(env, observation) -> str``.

- :func:`describe_egocentric` -- BALROG / BabyAI-Text style lines from the agent's egocentric view only, so it
  works with ``env=None`` on the numeric observations of vectorised loops.
- :func:`describe_full_grid` -- TEDUO style: the agent's pose and every object of the whole grid, with
  coordinates; needs the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from minigrid.core.constants import IDX_TO_COLOR, IDX_TO_OBJECT

__all__ = ["describe_egocentric", "describe_full_grid", "egocentric_image"]

_UNSEEN, _EMPTY, _WALL, _FLOOR = 0, 1, 2, 3  # minigrid OBJECT_TO_IDX; every higher index is an object
_DOOR_STATES = {0: "open", 1: "closed", 2: "locked"}
_FACING = ("east", "south", "west", "north")  # minigrid agent_dir 0..3


def _with_article(words: str) -> str:
    return ("an " if words[0] in "aeiou" else "a ") + words


def _object_words(type_idx: int, color_idx: int, state: int) -> str:
    """'red ball', 'locked blue door' from one cell encoding."""
    if type_idx not in IDX_TO_OBJECT or color_idx not in IDX_TO_COLOR:
        raise ValueError(f"cell encoding ({type_idx}, {color_idx}, {state}) is not a minigrid object")
    name = f"{IDX_TO_COLOR[color_idx]} {IDX_TO_OBJECT[type_idx]}"
    if IDX_TO_OBJECT[type_idx] == "door":
        name = f"{_DOOR_STATES.get(state, 'closed')} {name}"
    return name


def _steps(n: int, word: str) -> str:
    return f"{n} step{'s' if n != 1 else ''} {word}"


def egocentric_image(observation: Any) -> np.ndarray:
    """The agent's egocentric view, shape ``(n, n, 3)``, from any form a BabyAI observation takes.

    Accepts a minigrid dict with ``"image"``, an image ``(n, n, 3)``, a flattened ``(3 n^2,)`` array, or a
    dict whose ``"observation"`` holds any of these (nested, as the teduo-gym wrappers produce).

    Example:
        >>> egocentric_image({"observation": np.zeros(147, dtype=np.uint8)}).shape
        (7, 7, 3)

    Raises:
        ValueError: the observation is none of these.
    """
    obs = observation
    while isinstance(obs, Mapping):
        if "image" in obs:
            obs = obs["image"]
        elif "observation" in obs:
            obs = obs["observation"]
        else:
            raise ValueError(
                f"cannot find the egocentric view in a dict with keys {sorted(obs)}: expected 'image' or 'observation'"
            )
    if not isinstance(obs, (np.ndarray, list, tuple)):
        raise ValueError(
            "expected a BabyAI observation (dict with 'image', a (7, 7, 3) image or a flattened (147,) "
            f"array), got {type(obs).__name__}"
        )
    arr = np.asarray(obs)
    if arr.ndim == 3 and arr.shape[0] == arr.shape[1] and arr.shape[2] == 3:
        return arr
    if arr.ndim == 1 and arr.size % 3 == 0:
        side = int(round((arr.size // 3) ** 0.5))
        if side * side * 3 == arr.size:
            return arr.reshape(side, side, 3)
    raise ValueError(
        f"expected one BabyAI view of shape (n, n, 3) or (3 n^2,), got shape {arr.shape}; describe one "
        "observation at a time, not a batch"
    )


def describe_egocentric(env: Any, observation: Any) -> str:
    """Describe what the agent sees in its egocentric view, one line per object, BALROG style.

    Objects are listed nearest first (``"a red ball 2 steps left and 3 steps forward"``; doors with
    their state: ``"a closed blue door ..."``, ``"an open ..."``, ``"a locked ..."``), then the nearest wall
    straight forward, left and right (``"a wall 2 steps forward"``), then ``"You carry a blue key."`` or
    ``"You carry nothing."`` (minigrid shows the carried object in the agent's own cell). Reads only the
    observation.

    Example:
        >>> import gymnasium as gym, minigrid
        >>> env = gym.make("BabyAI-GoToRedBall-v0")
        >>> obs, _ = env.reset(seed=1)
        >>> print(describe_egocentric(None, obs))
        a grey box 2 steps left
        a purple box 1 step left and 1 step forward
        a red key 2 steps left and 1 step forward
        a green key 2 steps right and 2 steps forward
        a grey key 3 steps right and 2 steps forward
        a wall 4 steps forward
        a wall 3 steps left
        You carry nothing.

    Args:
        env: unused (may be ``None``).
        observation: any form :func:`egocentric_image` accepts.

    Returns:
        printable ASCII lines joined by newlines.
    """
    image = egocentric_image(observation)
    side = image.shape[0]
    ax, ay = side // 2, side - 1
    types = image[:, :, 0]

    is_object = types > _FLOOR
    is_object[ax, ay] = False
    xs, ys = np.nonzero(is_object)
    found = []
    for x, y, (t, c, s) in zip(xs.tolist(), ys.tolist(), image[xs, ys].tolist(), strict=True):
        dx, df = x - ax, ay - y
        found.append((abs(dx) + df, dx, df, t, c, s))
    lines = []
    for _, dx, df, t, c, s in sorted(found):
        where = []
        if dx:
            where.append(_steps(abs(dx), "left" if dx < 0 else "right"))
        if df:
            where.append(_steps(df, "forward"))
        lines.append(f"{_with_article(_object_words(t, c, s))} {' and '.join(where)}")

    for word, line in (
        ("forward", types[ax, ay - 1 :: -1]),
        ("left", types[ax - 1 :: -1, ay]),
        ("right", types[ax + 1 :, ay]),
    ):
        walls = np.flatnonzero(line == _WALL)
        if walls.size:
            lines.append(f"a wall {_steps(int(walls[0]) + 1, word)}")

    carried = image[ax, ay].tolist()
    if carried[0] <= _FLOOR:
        lines.append("You carry nothing.")
    else:
        lines.append(f"You carry {_with_article(_object_words(*carried))}.")
    return "\n".join(lines)


def describe_full_grid(env: Any, observation: Any = None) -> str:
    """Describe the whole grid: the agent's position and facing, what it carries, and every object but walls.

    One compact line each, objects in reading order (by row, then column); coordinates are minigrid's
    ``(x, y)``, x to the east and y to the south.

    Example:
        >>> import gymnasium as gym, minigrid
        >>> env = gym.make("BabyAI-GoToRedBall-v0")
        >>> _ = env.reset(seed=1)
        >>> print(describe_full_grid(env, None).splitlines()[:3])
        ['You are at (3, 4) facing north.', 'You carry nothing.', 'a green key at (5, 2)']

    Args:
        env: the (wrapped) minigrid environment; required.
        observation: unused; the state is read from ``env``.

    Raises:
        ValueError: ``env`` is ``None``.
    """
    if env is None:
        raise ValueError(
            "describe_full_grid needs the environment (it reads the whole grid); use describe_egocentric "
            "to describe an observation alone"
        )
    u = env.unwrapped
    grid = u.grid
    x, y = (int(v) for v in u.agent_pos)
    lines = [f"You are at ({x}, {y}) facing {_FACING[int(u.agent_dir)]}."]
    if u.carrying is None:
        lines.append("You carry nothing.")
    else:
        lines.append(f"You carry {_with_article(_object_words(*u.carrying.encode()))}.")
    width = grid.width
    for index, cell in enumerate(grid.grid):
        if cell is not None and cell.type != "wall":
            words = _object_words(*cell.encode())
            lines.append(f"{_with_article(words)} at ({index % width}, {index // width})")
    return "\n".join(lines)
