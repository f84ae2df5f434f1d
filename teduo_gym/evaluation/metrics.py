"""Metrics over episodes: success rate, episode length, invalid-action rate, each with a 95% interval.

- :func:`summarize` -- one summary dict for a list of :class:`~teduo_gym.evaluation.rollout.EpisodeResult`.
- :func:`wilson_interval` -- the 95% confidence interval of a success rate.
- :func:`mean_interval` -- the 95% interval of a mean (episode length).
- :func:`ratio_interval` -- the 95% interval of a per-step rate pooled over episodes (invalid actions).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from teduo_gym.evaluation.rollout import EpisodeResult

__all__ = ["mean_interval", "ratio_interval", "summarize", "wilson_interval"]


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


def mean_interval(values: np.ndarray, z: float = 1.96) -> tuple[float, float]:
    """Normal-approximation 95% interval of a mean (for ``z=1.96``); a single value gives a zero-width interval.

    Example:
        >>> [round(x, 2) for x in mean_interval(np.array([4.0, 6.0, 8.0]))]
        [3.74, 8.26]
    """
    n = len(values)
    if n == 0:
        return (0.0, 0.0)
    mean = float(values.mean())
    half = z * float(values.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    return (mean - half, mean + half)


def ratio_interval(numerators: np.ndarray, denominators: np.ndarray, z: float = 1.96) -> tuple[float, float]:
    """95% interval of ``sum(numerators) / sum(denominators)`` with episodes as the sampled units (the ratio
    estimator's delta-method variance), so steps of one episode are not taken as independent; clipped to [0, 1].

    Example:
        >>> [round(x, 3) for x in ratio_interval(np.array([1, 3, 0]), np.array([4, 6, 5]))]
        [0.0, 0.576]
    """
    n, total = len(numerators), float(denominators.sum())
    if n == 0 or total == 0:
        return (0.0, 1.0)
    rate = float(numerators.sum()) / total
    residuals = numerators - rate * denominators
    half = z * math.sqrt(float((residuals**2).sum()) / max(n - 1, 1) / n) / (total / n) if n > 1 else 0.0
    return (max(0.0, rate - half), min(1.0, rate + half))


def summarize(results: Sequence[EpisodeResult]) -> dict[str, Any]:
    """Success rate, mean episode length and invalid-action rate (per step), each with its 95% interval: Wilson's
    for the success rate, the normal approximation for the length, :func:`ratio_interval` for invalid actions.

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
    invalid = np.array([r.invalid_actions for r in results], dtype=float)
    steps = lengths.sum()
    low, high = wilson_interval(successes, n)
    return {
        "episodes": n,
        "success_rate": successes / n if n else 0.0,
        "success_ci95": [low, high],
        "mean_length": float(lengths.mean()) if n else 0.0,
        "length_ci95": [max(0.0, bound) for bound in mean_interval(lengths)],  # lengths are never negative
        "invalid_action_rate": float(invalid.sum() / steps) if steps else 0.0,
        "invalid_action_ci95": list(ratio_interval(invalid, lengths)),
    }
