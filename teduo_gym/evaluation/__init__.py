"""Rollouts and metrics.

- :func:`run_episodes`, :class:`EpisodeResult` (``rollout.py``)
- :func:`summarize`, :func:`wilson_interval` (``metrics.py``)
"""

from teduo_gym.evaluation.metrics import summarize, wilson_interval
from teduo_gym.evaluation.rollout import EpisodeResult, run_episodes

__all__ = ["EpisodeResult", "run_episodes", "summarize", "wilson_interval"]
