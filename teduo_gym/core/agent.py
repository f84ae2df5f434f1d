"""The one agent protocol: Stable-Baselines3's ``PolicyPredictor`` shape, plus seeding.

Every agent of teduo-gym (``LLMAgent``, ``RandomAgent``, ``SB3Agent``, the BabyAI bot, offline policies)
implements it, so any of them drops into ``stable_baselines3.common.evaluation.evaluate_policy`` or a plain
Gymnasium loop, and evaluation reseeds any of them the same way.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["Agent"]


@runtime_checkable
class Agent(Protocol):
    """A policy over a batch of observations (one per environment).

    Example:
        >>> class Always:
        ...     def predict(self, observation, state=None, episode_start=None, deterministic=False):
        ...         return [0], state
        ...     def seed(self, seed):
        ...         pass
        >>> isinstance(Always(), Agent)
        True
    """

    def predict(
        self, observation: Any, state: Any = None, episode_start: Any = None, deterministic: bool = False
    ) -> tuple[Any, Any]:
        """Actions for a batch of observations, and the recurrent state (``None`` for memoryless agents)."""
        ...

    def seed(self, seed: int | None) -> None:
        """Reseed the agent's own randomness (evaluation reseeds agents per shard)."""
        ...
