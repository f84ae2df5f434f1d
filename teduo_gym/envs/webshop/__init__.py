"""WebShop (Yao et al., 2022): follow a shopping instruction by searching, browsing and buying on a web shop.

- :class:`WebShopEnv` (``client.py``) -- the Gymnasium environment, a client of any WebShop server speaking
  AgentGym's REST schema; registered as ``teduo/WebShop-v0``.
- ``server.py`` -- :func:`serve`, :class:`WebShopServeConfig` (``teduo webshop serve``), :class:`WebShopServer`
  (a background server for tests) and :func:`create_app`.
- ``engine.py`` -- :class:`WebShopEngine`, the shop's sessions in-process (page flow, observations, actions).
- ``catalog.py`` -- :func:`load_catalog` of WebShop's JSON files; :data:`DEMO_DATA_DIR`, the shipped demo.
- ``demo.py`` -- :func:`generate_demo_catalog`, which regenerates the demo byte for byte.
- ``search.py`` -- :class:`SearchIndex`, BM25 full-text search (SQLite FTS5), cached on disk.
- ``reward.py`` -- :func:`webshop_reward`, WebShop's reward.
- ``pages.py`` -- what an agent reads of a page (:func:`state_text`, :func:`clickables`, :func:`has_search_bar`),
  :class:`PurchaseTracker` and :class:`Purchase` (what an episode bought), :func:`catalog_truth` (its reward for any
  goal).
- ``knowledge.py`` -- :class:`~teduo_gym.envs.webshop.knowledge.WebShopKnowledge`, WebShop behind the
  environment-knowledge protocol (``teduo_gym.envs.knowledge_for(WEBSHOP_ENV_ID)``).
- ``episodes.py`` -- :class:`~teduo_gym.envs.webshop.episodes.WebShopEpisodes`, WebShop played as text episodes
  (``teduo run``'s episode path): pages, actions, purchases, the judge's criteria, LLM-written search queries.

Example:
    >>> import gymnasium as gym
    >>> gym.spec("teduo/WebShop-v0").entry_point
    'teduo_gym.envs.webshop.client:WebShopEnv'
"""

import gymnasium as gym

from teduo_gym.envs.webshop.catalog import DEMO_DATA_DIR, Catalog, CatalogError, Goal, Product, load_catalog
from teduo_gym.envs.webshop.client import (
    WebShopConnectionError,
    WebShopEnv,
    WebShopError,
    WebShopResponseError,
    WebShopSessionLostError,
)
from teduo_gym.envs.webshop.demo import generate_demo_catalog
from teduo_gym.envs.webshop.engine import StepResult, UnknownSessionError, WebShopEngine
from teduo_gym.envs.webshop.pages import (
    BUTTONS,
    Purchase,
    PurchaseTracker,
    catalog_truth,
    clickables,
    has_search_bar,
    page_nodes,
    state_text,
)
from teduo_gym.envs.webshop.reward import RewardParts, webshop_reward
from teduo_gym.envs.webshop.search import SearchIndex
from teduo_gym.envs.webshop.server import WebShopServeConfig, WebShopServer, create_app, serve

__all__ = [
    "BUTTONS",
    "DEMO_DATA_DIR",
    "WEBSHOP_ENV_ID",
    "Catalog",
    "CatalogError",
    "Goal",
    "Product",
    "Purchase",
    "PurchaseTracker",
    "RewardParts",
    "SearchIndex",
    "StepResult",
    "UnknownSessionError",
    "WebShopConnectionError",
    "WebShopEngine",
    "WebShopEnv",
    "WebShopError",
    "WebShopResponseError",
    "WebShopServeConfig",
    "WebShopServer",
    "WebShopSessionLostError",
    "catalog_truth",
    "clickables",
    "create_app",
    "generate_demo_catalog",
    "has_search_bar",
    "load_catalog",
    "page_nodes",
    "serve",
    "state_text",
    "webshop_reward",
]

#: The Gymnasium id of :class:`WebShopEnv` (``gym.make(WEBSHOP_ENV_ID, base_url=...)``).
WEBSHOP_ENV_ID = "teduo/WebShop-v0"

if WEBSHOP_ENV_ID not in gym.registry:
    gym.register(WEBSHOP_ENV_ID, entry_point="teduo_gym.envs.webshop.client:WebShopEnv")
