"""Shared fixtures: a tiny line world for generic wrapper tests (real environments are tested beside it)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from teduo_gym.wrappers import GoalDetector


class LineWorld(gym.Env):
    """Five cells in a row; action 0 moves left, 1 moves right; the observation is the position."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self) -> None:
        self.observation_space = spaces.Box(0, 4, shape=(1,), dtype=np.float32)
        self.action_space = spaces.Discrete(2)
        self.pos = 2

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.pos = int(self.np_random.integers(5))
        return np.array([self.pos], np.float32), {}

    def step(self, action):
        self.pos = int(np.clip(self.pos + (1 if action == 1 else -1), 0, 4))
        return np.array([self.pos], np.float32), 0.0, False, False, {}


LINE_GOALS = [f"reach cell {i}" for i in range(5)]


class CellDetector(GoalDetector):
    """Ground truth of the line world: goal i is achieved in cell i."""

    def detect(self, env, observation, action, goal_ids):
        return int(observation[0]) == np.asarray(goal_ids)


@pytest.fixture
def line_world() -> LineWorld:
    return LineWorld()


@pytest.fixture(scope="session", autouse=True)
def teduo_cache(tmp_path_factory: pytest.TempPathFactory):
    """A fresh cache root ($TEDUO_CACHE) for the whole session, so every run converts the embedded model
    from its GGUF file once, as a new user's first run does, and leaves the user's cache alone."""
    root = tmp_path_factory.mktemp("teduo-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TEDUO_CACHE", str(root))
        yield root


@pytest.fixture(scope="session")
def embedded_backend(teduo_cache):
    """The real embedded SmolLM2, plain prompts."""
    from teduo_gym.llm import TransformersBackend

    return TransformersBackend(batch_size=8)


@pytest.fixture(scope="session")
def embedder():
    """The real shipped all-MiniLM-L6-v2 sentence embedder."""
    from teduo_gym.llm import shared_embedder

    return shared_embedder()
