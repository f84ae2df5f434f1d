"""Collect unlabelled transitions with a behaviour policy, in resumable shards, saved as a dataset.

- :class:`CollectConfig`, :func:`collect`, :func:`collect_shard` (``collect.py``).
- :func:`~teduo_gym.collection.text_episodes.play_episode`,
  :func:`~teduo_gym.collection.text_episodes.collect_text_episodes` (``text_episodes.py``) -- episodes of
  environments played as text (:class:`~teduo_gym.envs.TextEpisodes`), imported from there (they load the agents).
"""

from teduo_gym.collection.collect import CollectConfig, collect, collect_shard

__all__ = ["CollectConfig", "collect", "collect_shard"]
