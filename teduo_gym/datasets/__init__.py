"""Unlabelled transition datasets: collection by behaviour policies, storage in Minari, ground truth apart.

- :class:`TransitionDataset`, :class:`GroundTruth` (``transitions.py``)
"""

from teduo_gym.datasets.transitions import GroundTruth, TransitionDataset

__all__ = ["GroundTruth", "TransitionDataset"]
