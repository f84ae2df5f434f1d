"""Wrappers that add a text view of the state to the observation.

- :class:`TextObservationWrapper` -- keeps the original observation and adds the state's text, written by a
  *describer*: any callable ``describer(env, observation) -> str``.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import gymnasium as gym
from gymnasium import spaces

__all__ = ["Describer", "TextObservationWrapper", "TEXT_CHARSET", "call_describer"]

ObsType = TypeVar("ObsType")
ActType = TypeVar("ActType")

#: A describer turns an environment and one of its observations into text. Describers that need only the
#: observation (so that agents can call them on numeric observations inside vectorised loops) accept
#: ``env=None``.
Describer = Callable[[Any, Any], str]

#: Characters a state text may contain: printable ASCII, including spaces and newlines.
TEXT_CHARSET = frozenset(string.printable)


def call_describer(describer: Describer, env: Any, observation: Any, max_length: int) -> str:
    """Run ``describer`` and check that it returned a string that fits the text space.

    Raises:
        TypeError: the describer returned something other than a string.
        ValueError: the text is longer than ``max_length`` or holds characters outside ``TEXT_CHARSET``.
    """
    text = describer(env, observation)
    name = getattr(describer, "__qualname__", repr(describer))
    if not isinstance(text, str):
        raise TypeError(
            f"describer {name} returned {type(text).__name__}, not str: a describer must return the "
            "state's text, e.g. `lambda env, obs: f'agent at {obs}'`."
        )
    if len(text) > max_length:
        raise ValueError(
            f"describer {name} returned {len(text)} characters, more than max_length={max_length}: "
            "pass a larger max_length to the wrapper or make the description shorter."
        )
    bad = set(text) - TEXT_CHARSET
    if bad:
        raise ValueError(
            f"describer {name} returned characters outside printable ASCII: {sorted(bad)!r}; "
            "replace them (e.g. with unicodedata.normalize) before returning."
        )
    return text


class TextObservationWrapper(
    gym.ObservationWrapper[dict[str, Any], ActType, ObsType],
    gym.utils.RecordConstructorArgs,
    Generic[ObsType, ActType],
):
    """Adds the state's text to the observation: ``{"observation": original, "text": str}``.

    The original observation is kept unchanged, so numeric agents and vectorised loops still work; the text
    is a :class:`gymnasium.spaces.Text` over printable ASCII.

    Example:
        >>> import gymnasium as gym
        >>> from teduo_gym.wrappers import TextObservationWrapper
        >>> env = TextObservationWrapper(gym.make("CartPole-v1"), lambda env, obs: f"pole angle {obs[2]:+.2f}")
        >>> obs, info = env.reset(seed=0)
        >>> obs["text"]
        'pole angle -0.05'

    Args:
        env: the environment to wrap.
        describer: ``describer(env, observation) -> str``; called with the *wrapped* environment.
        max_length: the longest text allowed; longer texts raise ``ValueError``.
    """

    def __init__(self, env: gym.Env[ObsType, ActType], describer: Describer, max_length: int = 8192):
        if not callable(describer):
            raise TypeError(f"describer must be a callable (env, observation) -> str, got {type(describer).__name__}")
        gym.utils.RecordConstructorArgs.__init__(self, describer=describer, max_length=max_length)
        gym.ObservationWrapper.__init__(self, env)
        self.describer = describer
        self.max_length = max_length
        self.observation_space = spaces.Dict(
            {
                "observation": env.observation_space,
                "text": spaces.Text(max_length=max_length, charset=TEXT_CHARSET),
            }
        )

    def observation(self, observation: ObsType) -> dict[str, Any]:
        """Return the original observation with its text."""
        text = call_describer(self.describer, self.env, observation, self.max_length)
        return {"observation": observation, "text": text}
