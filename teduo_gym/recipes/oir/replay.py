"""A replay of relabelled segments, mixed into PQN's updates so hindsight reaches the learner.

- :class:`SegmentReplay` -- the latest ``capacity`` relabelled columns (a rollout's steps of one world, with the
  relabelled instruction, its reward and the mask of the segment), a ring buffer of numpy arrays; :meth:`sample`
  draws a fixed number of columns (uniformly, with replacement; all-masked columns while it is empty), so the
  jitted update sees one shape.
- :func:`concat_columns` -- two :class:`~teduo_gym.recipes.oir.pqn.Rollout` side by side (the online rollout and
  the replayed columns: one update).

PQN (Gallici et al. 2024) keeps no replay; without one a relabelled episode is trained on once, right after it is
relabelled (issue 18: 358 hindsight steps in 1M). The replayed columns' Q(lambda) targets are computed with the
current network at each update, like the online rollout's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from teduo_gym.recipes.oir.pqn import Rollout

__all__ = ["SegmentReplay", "concat_columns"]


def concat_columns(a: Rollout, b: Rollout) -> Rollout:
    """The columns of ``a`` then those of ``b`` (axis 1 of every array).

    Example:
        >>> r = Rollout(*(np.zeros((3, 2, 1)),) * 2, *(np.zeros((2, 2)),) * 4)
        >>> concat_columns(r, r).action.shape
        (2, 4)
    """
    return Rollout(*(np.concatenate([x, y], axis=1) for x, y in zip(a, b)))


class SegmentReplay:
    """The latest ``capacity`` relabelled columns of ``T`` steps; :meth:`sample` returns ``k`` of them.

    Args:
        capacity: columns kept (the oldest are overwritten).
        steps: ``T``, the rollout's steps.
        obs_size, emb_size: observation and instruction-embedding sizes.
        seed: the sampler's seed (its state is pickled with the replay, so a resumed run draws the same columns).

    Example:
        >>> replay = SegmentReplay(capacity=2, steps=3, obs_size=4, emb_size=2)
        >>> float(replay.sample(5).mask.sum())  # empty: all masked
        0.0
        >>> column = Rollout(np.ones((4, 1, 4)), np.ones((4, 1, 2)), np.zeros((3, 1), np.int32),
        ...                  np.array([[0.0], [1.0], [0.0]]), np.array([[0.0], [1.0], [0.0]]),
        ...                  np.array([[1.0], [1.0], [0.0]]))
        >>> replay.add(column)
        >>> len(replay), float(replay.sample(5).mask.sum()), replay.steps_held
        (1, 10.0, 2)
    """

    def __init__(self, capacity: int, steps: int, obs_size: int, emb_size: int, seed: int = 0):
        self.capacity = capacity
        self.columns = Rollout(
            np.zeros((steps + 1, capacity, obs_size), np.float32),
            np.zeros((steps + 1, capacity, emb_size), np.float32),
            np.zeros((steps, capacity), np.int32),
            np.zeros((steps, capacity), np.float32),
            np.zeros((steps, capacity), np.float32),
            np.zeros((steps, capacity), np.float32),
        )
        self.size = 0
        self.next = 0
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.size

    @property
    def steps_held(self) -> int:
        """Relabelled (masked) steps in the replay."""
        return int(self.columns.mask[:, : self.size].sum())

    def add(self, rollout: Rollout) -> None:
        """Keep every column of ``rollout`` (the newest ``capacity`` of them when there are more)."""
        n = min(rollout.action.shape[1], self.capacity)
        rollout = Rollout(*(x[:, -n:] for x in rollout))
        slots = (self.next + np.arange(n)) % self.capacity
        for stored, new in zip(self.columns, rollout):
            stored[:, slots] = np.asarray(new)
        self.next = int((self.next + n) % self.capacity)
        self.size = min(self.capacity, self.size + n)

    def sample(self, k: int) -> Rollout:
        """``k`` columns drawn uniformly with replacement (all masked out while the replay is empty)."""
        if not self.size:
            return Rollout(*(np.zeros((x.shape[0], k, *x.shape[2:]), x.dtype) for x in self.columns))
        index = self.rng.integers(0, self.size, k)
        return Rollout(*(x[:, index] for x in self.columns))

    def __getstate__(self) -> dict[str, Any]:
        # Only the columns held: a checkpoint of a young run stays small.
        state = self.__dict__.copy()
        state["columns"] = Rollout(*(x[:, : self.size] for x in self.columns))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        held = state["columns"]
        self.__dict__.update(state)
        free = self.capacity - self.size
        self.columns = Rollout(
            *(np.concatenate([x, np.zeros((x.shape[0], free, *x.shape[2:]), x.dtype)], 1) for x in held)
        )
