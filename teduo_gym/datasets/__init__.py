"""Datasets on disk and in memory: unlabelled transitions (Minari, ground truth apart) and fine-tuning examples.

- :class:`TransitionDataset`, :class:`GroundTruth` (``transitions.py``) -- the data in memory.
- :func:`load_dataset`, :func:`load_ground_truth`, :class:`DatasetError` (``storage.py``) -- read it back, checked.
- :class:`ActionExample`, :class:`ActionSequence`, :func:`read_examples`, :func:`write_examples` (``examples.py``)
  -- the fine-tuning examples (JSONL).
- :class:`TextEpisode`, :class:`TextEpisodeFile` (``text_episodes.py``) -- episodes of environments played as text.

Collection by behaviour policies lives in :mod:`teduo_gym.collection`.
"""

from teduo_gym.datasets.examples import ActionExample, ActionSequence, read_examples, write_examples
from teduo_gym.datasets.storage import DatasetError, load_dataset, load_ground_truth
from teduo_gym.datasets.text_episodes import TextEpisode, TextEpisodeFile
from teduo_gym.datasets.transitions import GroundTruth, TransitionDataset

__all__ = [
    "ActionExample",
    "ActionSequence",
    "DatasetError",
    "GroundTruth",
    "TextEpisode",
    "TextEpisodeFile",
    "TransitionDataset",
    "load_dataset",
    "load_ground_truth",
    "read_examples",
    "write_examples",
]
