"""Unlabelled transition datasets: collection by behaviour policies, storage in Minari, ground truth apart.

- :class:`TransitionDataset`, :class:`GroundTruth` (``transitions.py``) -- the data in memory.
- :class:`CollectConfig`, :func:`collect` (``collect.py``) -- run behaviour policies over seeded layouts, in
  resumable shards, and save the dataset.
- :func:`load_dataset`, :func:`load_ground_truth`, :class:`DatasetError` (``storage.py``) -- read it back, checked.
"""

from teduo_gym.datasets.collect import CollectConfig, collect, collect_shard
from teduo_gym.datasets.storage import DatasetError, load_dataset, load_ground_truth
from teduo_gym.datasets.transitions import GroundTruth, TransitionDataset

__all__ = [
    "CollectConfig",
    "DatasetError",
    "GroundTruth",
    "TransitionDataset",
    "collect",
    "collect_shard",
    "load_dataset",
    "load_ground_truth",
]
