"""Metrics over episodes: success rate (with a Wilson interval), episode length, invalid-action rate.

- :func:`summarize` -- one summary dict for a list of :class:`~teduo_gym.evaluation.rollout.EpisodeResult`.
- :func:`wilson_interval` -- the 95% confidence interval of a success rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from teduo_gym.evaluation.rollout import EpisodeResult

__all__ = ["summarize", "wilson_interval"]


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% for ``z=1.96``).

    Example:
        >>> [round(x, 3) for x in wilson_interval(8, 10)]
        [0.49, 0.943]
    """
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def summarize(results: Sequence[EpisodeResult]) -> dict[str, Any]:
    """Success rate (and its 95% interval), mean episode length, and invalid-action rate (per step).

    Example:
        >>> r = [EpisodeResult(0, "go to the red ball", True, 4, 1, 1.0),
        ...      EpisodeResult(1, "go to the red ball", False, 6, 3, 0.0)]
        >>> s = summarize(r)
        >>> s["success_rate"], s["mean_length"], s["invalid_action_rate"]
        (0.5, 5.0, 0.4)
    """
    n = len(results)
    successes = sum(r.success for r in results)
    lengths = np.array([r.length for r in results], dtype=float)
    steps = lengths.sum()
    low, high = wilson_interval(successes, n)
    return {
        "episodes": n,
        "success_rate": successes / n if n else 0.0,
        "success_ci95": [low, high],
        "mean_length": float(lengths.mean()) if n else 0.0,
        "invalid_action_rate": float(sum(r.invalid_actions for r in results) / steps) if steps else 0.0,
    }
