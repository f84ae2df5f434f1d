"""Fixtures with the real embedded model (converted once per test session into a temporary cache)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from teduo_gym.llm import LLMServer, TransformersBackend, embedded_model_dir

#: Prompts in the style the agents use, of different lengths (so batches need padding).
PROMPTS = [
    "Goal: go to the red ball\nObservation: red ball 2 forward, 1 left\nAction:",
    "Goal: pick up the key\nAction:",
    "Goal: open the blue door\nObservation: blue door 3 forward / wall 1 left / carrying nothing\nAction:",
    "Is the sky blue? Answer:",
]
#: The seven BabyAI action words, each one token (with its leading space) in SmolLM2's tokenizer.
ACTIONS = [" left", " right", " forward", " pickup", " drop", " toggle", " done"]


@pytest.fixture(scope="session")
def cache_dir(teduo_cache: Path) -> Path:
    """The session's fresh cache root (see tests/conftest.py)."""
    return teduo_cache


@pytest.fixture(scope="session")
def model_dir(cache_dir: Path) -> Path:
    """The embedded model converted from GGUF (once per session, ~30 s)."""
    return embedded_model_dir()


@pytest.fixture(scope="session")
def backend(embedded_backend: TransformersBackend, model_dir: Path) -> TransformersBackend:
    """The embedded model, plain prompts."""
    return embedded_backend


@pytest.fixture(scope="session")
def server(backend: TransformersBackend) -> Iterator[LLMServer]:
    """A real loopback OpenAI-compatible server over the embedded model."""
    with LLMServer(backend) as srv:
        yield srv
