"""Tiny real BabyAI collections, made once per test session and copied where a test damages them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from teduo_gym.collection import CollectConfig, collect

ENV = "BabyAI-GoToLocal-v0"


def tiny_config(out: Path, **changes) -> CollectConfig:
    """3 layouts x 2 episodes, shards of 2 episodes (3 shards)."""
    fields = dict(
        env=ENV,
        policy="random",
        layouts=3,
        test_layouts=2,
        episodes_per_layout=2,
        max_steps=40,
        seed=1,
        shard_episodes=2,
        out=out,
    )
    fields.update(changes)
    return CollectConfig(**fields)


@pytest.fixture(scope="session")
def random_data(tmp_path_factory) -> Path:
    """A finished collection with the random policy (it picks up and drops things)."""
    return collect(tiny_config(tmp_path_factory.mktemp("random") / "data"), progress=False)


@pytest.fixture(scope="session")
def mixture_data(tmp_path_factory) -> Path:
    """A finished collection with the bot / random mixture."""
    out = tmp_path_factory.mktemp("mixture") / "data"
    return collect(tiny_config(out, policy="mixture", epsilon=0.3), progress=False)


@pytest.fixture
def damaged(random_data, tmp_path) -> Path:
    """A copy of the random collection that a test may break."""
    return Path(shutil.copytree(random_data, tmp_path / "copy"))
