"""Reading goals and state texts out of (possibly batched, possibly nested) observations.

Agents receive observations from plain Gymnasium loops (one observation) and from Stable-Baselines3's
vectorised loops (a batch: every array gains a leading dimension, texts become sequences). These helpers let
every agent handle both the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["find_key", "batch_size", "unbatch", "stack_observations"]


def find_key(observation: Any, key: str) -> Any | None:
    """The value under ``key`` in a dict observation, searching nested ``"observation"`` dicts; else None.

    Example:
        >>> find_key({"observation": {"text": "a wall 1 step forward"}}, "text")
        'a wall 1 step forward'
    """
    while isinstance(observation, Mapping):
        if key in observation:
            return observation[key]
        observation = observation.get("observation")
    return None


def batch_size(observation: Any) -> int | None:
    """The number of environments in a batched observation, or None for a single observation.

    A text (``"text"`` / ``"mission"``) that is a ``str`` means a single observation; a sequence of texts, or
    a ``desired_goal`` array with two dimensions, means a batch.

    Example:
        >>> batch_size({"text": ["a", "b"]}), batch_size({"text": "a"})
        (2, None)
    """
    for key in ("text", "mission"):
        text = find_key(observation, key)
        if text is not None:
            return None if isinstance(text, str) else len(text)
    desired = find_key(observation, "desired_goal")
    if desired is not None:
        return len(desired) if np.ndim(desired) == 2 else None
    raise ValueError(
        "cannot tell whether this observation is batched: it holds no 'text', 'mission' or 'desired_goal'. "
        "Wrap the environment in LanguageGoalWrapper or TextObservationWrapper."
    )


def unbatch(observation: Any, n: int) -> list[Any]:
    """Split a batched observation into ``n`` single observations (dicts are split key by key).

    Example:
        >>> unbatch({"text": ["a", "b"], "desired_goal": np.eye(2)}, 2)[1]["text"]
        'b'
    """
    if isinstance(observation, Mapping):
        parts = {k: unbatch(v, n) for k, v in observation.items()}
        return [{k: parts[k][i] for k in parts} for i in range(n)]
    if isinstance(observation, (np.ndarray, Sequence)) and len(observation) == n:
        return [observation[i] for i in range(n)]
    raise ValueError(f"observation part of type {type(observation).__name__} has no batch dimension of {n}")


def stack_observations(observations: Sequence[Any]) -> Any:
    """Stack single observations into one batched observation (the inverse of :func:`unbatch`).

    Example:
        >>> stack_observations([{"text": "a", "x": np.zeros(2)}, {"text": "b", "x": np.ones(2)}])["x"].shape
        (2, 2)
    """
    first = observations[0]
    if isinstance(first, Mapping):
        return {k: stack_observations([o[k] for o in observations]) for k in first}
    if isinstance(first, str):
        return [str(o) for o in observations]
    return np.stack([np.asarray(o) for o in observations])
