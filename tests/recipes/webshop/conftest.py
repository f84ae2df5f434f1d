"""Shared fixtures: the real WebShop server on a loopback port and the real embedded LLM."""

from __future__ import annotations

from collections.abc import Iterator

import gymnasium as gym
import pytest

from teduo_gym.envs.webshop import WebShopEngine, WebShopServeConfig, WebShopServer
from teduo_gym.llm.base import LLMBackend
from teduo_gym.llm.config import LLMConfig, shared_backend
from teduo_gym.recipes.webshop import webshop


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> WebShopEngine:
    return WebShopServeConfig(cache_dir=tmp_path_factory.mktemp("webshop-index"), log_level="warning").build_engine()


@pytest.fixture(scope="session")
def server(engine: WebShopEngine) -> Iterator[WebShopServer]:
    with WebShopServer(engine) as running:
        yield running


@pytest.fixture
def env(server: WebShopServer) -> Iterator[gym.Env]:
    tracker = webshop().shop_env(server.url)
    yield tracker
    tracker.close()


@pytest.fixture(scope="session")
def llm() -> LLMBackend:
    return shared_backend(LLMConfig())


def train_goals(engine: WebShopEngine, n: int) -> dict[int, str]:
    """The first ``n`` training goals: index -> instruction."""
    start = engine.catalog.split_ranges()["train"][0]
    return {i: engine.catalog.goals[i].instruction_text for i in range(start, start + n)}


def expert_actions(engine: WebShopEngine, goal_index: int) -> list[str]:
    """Actions that buy the goal's product with the goal's options."""
    from tests.envs.webshop.conftest import expert_actions as actions

    return actions(engine.catalog, engine.catalog.goals[goal_index])
