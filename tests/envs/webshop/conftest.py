"""Shared fixtures: the demo catalog, its engine, and the real server on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from teduo_gym.envs.webshop import Catalog, Goal, SearchIndex, WebShopEngine, WebShopServer, load_catalog


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("webshop-index")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def engine(catalog: Catalog, index_dir: Path) -> WebShopEngine:
    return WebShopEngine(catalog, SearchIndex(catalog.products, catalog.content_hash, index_dir))


@pytest.fixture(scope="session")
def server(engine: WebShopEngine) -> Iterator[WebShopServer]:
    with WebShopServer(engine) as running:
        yield running


def expert_actions(catalog: Catalog, goal: Goal) -> list[str]:
    """Actions that buy the goal's product with the goal's options (its title's search lists it on page 1)."""
    product = catalog.product(goal.asin)
    clicks = [value for values in product.options.values() for value in values if value in goal.goal_options]
    return [
        f"search[{product.title}]",
        f"click[{goal.asin.lower()}]",
        *(f"click[{c}]" for c in clicks),
        "click[buy now]",
    ]
