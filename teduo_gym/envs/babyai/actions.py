"""BabyAI's action words and a fingerprint of what an action can change.

- :data:`ACTION_WORDS` -- one word per minigrid action, indexed by the ``Actions`` value.
- :func:`state_key` -- a cheap hashable fingerprint of everything one action can change, so that an
  evaluation can count *invalid actions* (actions that leave the state unchanged).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

__all__ = ["ACTION_WORDS", "state_key"]

#: ``ACTION_WORDS[a]`` names minigrid action ``a`` (``Actions.left == 0`` ... ``Actions.done == 6``).
ACTION_WORDS: tuple[str, ...] = ("left", "right", "forward", "pickup", "drop", "toggle", "done")


def state_key(env: Any) -> Hashable:
    """A fingerprint of the agent's pose, what it carries and the cell in front of it.

    One BabyAI action can change only these, so an action whose key before and after is equal changed
    nothing (turning is never invalid; ``done`` always is).

    Example:
        >>> import gymnasium as gym, minigrid
        >>> env = gym.make("BabyAI-GoToLocal-v0")
        >>> _ = env.reset(seed=0)
        >>> before = state_key(env)
        >>> _ = env.step(6)  # done: changes nothing
        >>> state_key(env) == before
        True

    Args:
        env: a minigrid environment, wrapped or not.

    Returns:
        ``(x, y, direction, carried encoding or None, front cell encoding or None)``.
    """
    u = env.unwrapped
    carried = u.carrying.encode() if u.carrying is not None else None
    fx, fy = u.front_pos
    front = u.grid.get(fx, fy)
    return (
        int(u.agent_pos[0]),
        int(u.agent_pos[1]),
        int(u.agent_dir),
        carried,
        front.encode() if front is not None else None,
    )
