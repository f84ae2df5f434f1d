"""Collect unlabelled transitions with a behaviour policy, in resumable shards, saved as a dataset.

- :class:`CollectConfig`, :func:`collect`, :func:`collect_shard` (``collect.py``).
"""

from teduo_gym.collection.collect import CollectConfig, collect, collect_shard

__all__ = ["CollectConfig", "collect", "collect_shard"]
