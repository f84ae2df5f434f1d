"""Shared pieces of the relabelling tests: the real MiniLM embedder, the real embedded SmolLM2 (plain completion),
synthetic Craftax-like trajectories, and a scripted LLM for answers a real model rarely gives."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from teduo_gym.relabel import Trajectory
from teduo_gym.relabel.synthetic import synthetic_trajectory


class ScriptedLLM:
    """An LLMBackend whose answers are given in advance (cycled), counting the prompts it answered."""

    name = "scripted"
    chat = True

    def __init__(self, answers: Sequence[str]):
        self.answers = list(answers)
        self.calls = 0

    def generate(self, prompts, *, max_new_tokens=32, temperature=0.0, stop=None):
        out = [self.answers[(self.calls + i) % len(self.answers)] for i in range(len(prompts))]
        self.calls += len(prompts)
        return out

    def score(self, prompts, candidates):
        return np.zeros((len(prompts), len(candidates)))


@pytest.fixture(scope="session")
def smollm2(teduo_cache):
    from teduo_gym.llm.config import LLMConfig, shared_backend

    return shared_backend(LLMConfig(batch_size=8))


@pytest.fixture
def wood_table() -> Trajectory:
    """Collects wood at step 1, places a table at step 2; was told to eat a cow and failed."""
    states = [
        "inventory: nothing; facing: tree; nearby: tree, grass",
        "inventory: wood 1; facing: tree; nearby: tree, grass",
        "inventory: nothing; facing: table; nearby: table, water",
    ]
    flags = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0]], bool)
    return Trajectory("eat a cow", states, flags, ("collect_wood", "place_table", "eat_cow"), episode_return=2.0)


@pytest.fixture(scope="session")
def synthetic() -> list[Trajectory]:
    return [synthetic_trajectory(seed) for seed in range(2)]


@pytest.fixture(scope="session")
def craftax_words() -> dict:
    """Craftax's words for its achievements (``synonyms``, ``forms``), from its knowledge."""
    pytest.importorskip("craftax", reason="Craftax's words for its achievements come from its knowledge")
    from teduo_gym.envs import knowledge_for

    return knowledge_for("Craftax-Classic-Symbolic-v1").achievement_words
