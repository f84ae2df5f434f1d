"""Tiny real BabyAI collections, made once per test session and copied where a test damages them; and the
knowledge a new user writes first for tests/conftest.py's line world (no expert, no goal schema), with a tiny
collection of it."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

from teduo_gym.collection import CollectConfig, collect
from teduo_gym.envs import EnvKnowledge
from teduo_gym.wrappers import LanguageGoalWrapper
from tests.conftest import LINE_GOALS, CellDetector, LineWorld

ENV = "BabyAI-GoToLocal-v0"
#: The line world's knowledge as a ``module:attr`` id, as ``teduo collect --env`` takes a user's own.
LINE_ENV = "tests.datasets.conftest:LineKnowledge"


class LineKnowledge(EnvKnowledge):
    """The line world: the four required members and one describer, nothing optional."""

    action_words = ("left", "right")
    describers = {"position": lambda env, observation: f"You are in cell {int(env.unwrapped.pos)}."}
    default_describer = "position"

    def make_env(
        self,
        goals: Sequence[str] | None = None,
        *,
        aliases: Mapping[str, str] | None = None,
        goal_sampler: Any = "uniform",
        max_steps: int | None = None,
    ) -> gym.Env:
        env = gym.wrappers.TimeLimit(LineWorld(), max_episode_steps=max_steps or 20)
        return LanguageGoalWrapper(env, list(goals or LINE_GOALS), CellDetector(), goal_sampler)

    def goals(self, kinds: Sequence[str] | None = None) -> list[str]:
        return list(LINE_GOALS)

    def symbolic_state(self, env: gym.Env) -> np.ndarray:
        return np.array([env.unwrapped.pos], np.uint8)


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


@pytest.fixture(scope="session")
def line_data(tmp_path_factory) -> Path:
    """A finished collection of the line world with the random policy."""
    out = tmp_path_factory.mktemp("line") / "data"
    return collect(tiny_config(out, env=LINE_ENV, max_steps=6), progress=False)


@pytest.fixture
def damaged(random_data, tmp_path) -> Path:
    """A copy of the random collection that a test may break."""
    return Path(shutil.copytree(random_data, tmp_path / "copy"))
