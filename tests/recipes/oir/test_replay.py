"""SegmentReplay: a ring of the newest relabelled columns, fixed-size samples, pickled whole for resumption."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

pytest.importorskip("craftax")

from teduo_gym.recipes.oir.pqn import Rollout  # noqa: E402
from teduo_gym.recipes.oir.replay import SegmentReplay, concat_columns  # noqa: E402

T = 4


def columns(ids: list[int]) -> Rollout:
    """Columns whose action is their id (so a sample says which columns it drew); each masks 2 steps."""
    n = len(ids)
    action = np.broadcast_to(np.array(ids, np.int32), (T, n)).copy()
    mask = np.zeros((T, n), np.float32)
    mask[:2] = 1.0
    return Rollout(np.ones((T + 1, n, 3), np.float32), np.ones((T + 1, n, 2), np.float32), action, mask, mask, mask)


def test_keeps_the_newest_columns():
    replay = SegmentReplay(capacity=3, steps=T, obs_size=3, emb_size=2)
    replay.add(columns([1, 2]))
    replay.add(columns([3, 4]))
    assert len(replay) == 3 and replay.steps_held == 6
    assert sorted(replay.columns.action[0].tolist()) == [2, 3, 4]
    replay.add(columns([5, 6, 7, 8]))  # more than it holds: the newest
    assert sorted(replay.columns.action[0].tolist()) == [6, 7, 8]


def test_samples_have_a_fixed_shape_and_draw_only_held_columns():
    replay = SegmentReplay(capacity=8, steps=T, obs_size=3, emb_size=2, seed=1)
    empty = replay.sample(5)
    assert empty.observation.shape == (T + 1, 5, 3) and empty.mask.sum() == 0
    replay.add(columns([7, 9]))
    drawn = replay.sample(50)
    assert drawn.action.shape == (T, 50) and set(drawn.action[0].tolist()) == {7, 9}
    assert drawn.mask.sum() == 100


def test_pickle_keeps_contents_and_sampler():
    replay = SegmentReplay(capacity=16, steps=T, obs_size=3, emb_size=2, seed=3)
    replay.add(columns([1, 2, 3]))
    copy = pickle.loads(pickle.dumps(replay))
    assert len(copy) == 3 and copy.columns.action.shape == (T, 16)
    np.testing.assert_array_equal(copy.sample(20).action, replay.sample(20).action)
    copy.add(columns([4]))
    assert len(copy) == 4 and sorted(copy.columns.action[0, :4].tolist()) == [1, 2, 3, 4]


def test_concat_columns():
    mixed = concat_columns(columns([1]), columns([2, 3]))
    assert mixed.action[0].tolist() == [1, 2, 3] and mixed.observation.shape == (T + 1, 3, 3)
