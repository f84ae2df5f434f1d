"""Rollouts and metrics.

- :func:`run_episodes`, :class:`EpisodeResult` (``rollout.py``)
- :func:`summarize`, :func:`wilson_interval` (``metrics.py``)
- ``text_episodes.py``: :func:`~teduo_gym.evaluation.text_episodes.evaluate_text_agent`,
  :func:`~teduo_gym.evaluation.text_episodes.score_summary`, :func:`~teduo_gym.evaluation.text_episodes.score_table`
  -- agents on text episodes: score and success rate with 95% intervals.
"""

from teduo_gym.evaluation.metrics import summarize, wilson_interval
from teduo_gym.evaluation.rollout import EpisodeResult, run_episodes

__all__ = ["EpisodeResult", "run_episodes", "summarize", "wilson_interval"]
