"""BabyAI's full symbolic state as one flat uint8 vector, and its inverse.

- :func:`symbolic_state` -- the whole grid (minigrid's 3-channel encoding), the agent's pose and what it carries.
- :class:`StateLayout` / :func:`state_layout` -- where each part sits in that vector.
- :func:`split_states` -- a batch of vectors back into grids, poses and carried objects (numpy views).
- :func:`restore_state` -- put a state vector back into an environment (to render its view or text).
- :class:`BabyAIStateTracker` -- the state kept up to date cell by cell while collecting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from teduo_gym.envs.knowledge import StateTracker

__all__ = ["BabyAIStateTracker", "StateLayout", "restore_state", "state_layout", "symbolic_state", "split_states"]


@dataclass(frozen=True)
class StateLayout:
    """A symbolic state is ``grid (width*height*3) | agent x, y, dir (3) | carried object (3)``, uint8."""

    width: int
    height: int

    @property
    def size(self) -> int:
        """Length of the vector."""
        return self.width * self.height * 3 + 6

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able description, stored in dataset manifests and checked when loading."""
        return {"kind": "babyai-symbolic/1", "width": self.width, "height": self.height, "size": self.size}


def state_layout(env: Any) -> StateLayout:
    """The layout of :func:`symbolic_state` for this environment's grid size.

    Example:
        >>> import gymnasium as gym, minigrid
        >>> state_layout(gym.make("BabyAI-GoToLocal-v0")).size
        198
    """
    u = env.unwrapped
    return StateLayout(int(u.width), int(u.height))


def symbolic_state(env: Any) -> np.ndarray:
    """The full state: grid encoding (``grid.encode()``, agent excluded), agent x, y, direction, carried object.

    The carried object is its 3-value minigrid encoding (type, colour, state), zeros when nothing is carried.

    Example:
        >>> import gymnasium as gym, minigrid
        >>> env = gym.make("BabyAI-GoToLocal-v0"); _ = env.reset(seed=0)
        >>> s = symbolic_state(env)
        >>> s.dtype, s.shape, tuple(s[-6:-3]) == (*env.unwrapped.agent_pos, env.unwrapped.agent_dir)
        (dtype('uint8'), (198,), True)
    """
    u = env.unwrapped
    carried = u.carrying.encode() if u.carrying is not None else (0, 0, 0)
    tail = np.array([u.agent_pos[0], u.agent_pos[1], u.agent_dir, *carried], dtype=np.uint8)
    return np.concatenate([u.grid.encode().reshape(-1).astype(np.uint8), tail])


def split_states(states: np.ndarray, layout: StateLayout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch ``(n, size)`` -> grids ``(n, width, height, 3)``, poses ``(n, 3)`` (x, y, dir), carried ``(n, 3)``.

    Example:
        >>> import gymnasium as gym, minigrid
        >>> env = gym.make("BabyAI-GoToLocal-v0"); _ = env.reset(seed=0)
        >>> grids, poses, carried = split_states(symbolic_state(env)[None], state_layout(env))
        >>> grids.shape, (grids[0] == env.unwrapped.grid.encode()).all()
        ((1, 8, 8, 3), np.True_)
    """
    states = np.asarray(states)
    if states.ndim != 2 or states.shape[1] != layout.size:
        raise ValueError(f"states of shape {states.shape} do not match the layout {layout.as_dict()}")
    n = layout.width * layout.height * 3
    grids = states[:, :n].reshape(-1, layout.width, layout.height, 3)
    return grids, states[:, n : n + 3], states[:, n + 3 : n + 6]


def restore_state(env: Any, state: np.ndarray) -> None:
    """Make ``env`` (a reset BabyAI environment of the same grid size) hold ``state``: grid, pose and carried
    object, so that its observation (``env.unwrapped.gen_obs()``) is the one the agent saw in that state.

    Example:
        >>> import gymnasium as gym, minigrid
        >>> env = gym.make("BabyAI-GoToLocal-v0"); obs, _ = env.reset(seed=0)
        >>> s = symbolic_state(env)
        >>> _ = env.reset(seed=1); restore_state(env, s)
        >>> bool((env.unwrapped.gen_obs()["image"] == obs["image"]).all())
        True
    """
    from minigrid.core.grid import Grid
    from minigrid.core.world_object import WorldObj

    u = env.unwrapped
    layout = state_layout(env)
    grids, poses, carried = split_states(np.asarray(state)[None], layout)
    u.grid, _ = Grid.decode(grids[0])
    u.agent_pos = (int(poses[0, 0]), int(poses[0, 1]))
    u.agent_dir = int(poses[0, 2])
    u.carrying = WorldObj.decode(*(int(v) for v in carried[0])) if carried[0, 0] else None


class BabyAIStateTracker(StateTracker):
    """:func:`symbolic_state`, kept up to date cell by cell during collection.

    Encoding a 22x22 grid takes most of a step's time, yet an action changes at most the cell in front of the
    agent (pickup, drop, toggle): that cell is re-encoded, the pose and the carried object rewritten.

    Example:
        >>> import gymnasium as gym, minigrid
        >>> env = gym.make("BabyAI-GoToLocal-v0"); _ = env.reset(seed=0)
        >>> tracker = BabyAIStateTracker(env); _ = tracker.reset()
        >>> tracker.before_step(); _ = env.step(2)
        >>> bool((tracker.after_step() == symbolic_state(env)).all())
        True
    """

    def __init__(self, env: Any):
        from minigrid.core.constants import OBJECT_TO_IDX

        super().__init__(env, symbolic_state)
        self._empty = (OBJECT_TO_IDX["empty"], 0, 0)
        self._front: tuple[int, int] | None = None

    def reset(self) -> np.ndarray:
        """The full state, encoded afresh."""
        self.state = symbolic_state(self.env)
        return self.state.copy()

    def before_step(self) -> None:
        """Remember the cell in front of the agent: the only cell an action can change."""
        u: Any = self.env.unwrapped  # a minigrid level
        self._front = (int(u.front_pos[0]), int(u.front_pos[1]))

    def after_step(self) -> np.ndarray:
        """The state after the step: the front cell re-encoded, pose and carried object rewritten."""
        u: Any = self.env.unwrapped  # a minigrid level
        assert self._front is not None, "before_step() must be called before each step"
        x, y = self._front
        if 0 <= x < u.width and 0 <= y < u.height:
            cell = u.grid.get(x, y)
            start = (x * u.height + y) * 3
            self.state[start : start + 3] = self._empty if cell is None else cell.encode()
        carried = u.carrying.encode() if u.carrying is not None else (0, 0, 0)
        self.state[-6:] = (u.agent_pos[0], u.agent_pos[1], u.agent_dir, *carried)
        return self.state.copy()
