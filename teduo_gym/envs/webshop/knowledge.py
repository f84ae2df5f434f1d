"""WebShop's environment knowledge: what of WebShop a stage of teduo-gym can use, behind
:class:`~teduo_gym.envs.EnvKnowledge`.

- :class:`WebShopKnowledge` -- registered for ``teduo/WebShop-v0`` (:func:`teduo_gym.envs.knowledge_for`).
- :class:`WebShopGoalDetector` -- ground truth for instruction goals: the catalog's reward of what a step bought.

WebShop is not a grid: its actions are texts (``search[query]``, ``click[item]``) and its state is a web page, so
the knowledge has no symbolic state vector, goal schema or expert (those members raise
:class:`~teduo_gym.envs.MissingKnowledgeError`). What it gives: the instructions as goals, WebShop's own train /
test split of them, the page text an agent reads, the environment with ground-truth goal detection, and the
shop played as text episodes (:meth:`~WebShopKnowledge.text_episodes`) for ``teduo run``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from teduo_gym.envs.knowledge import EnvKnowledge, GoalSplit, KnowledgeError, MissingKnowledgeError
from teduo_gym.envs.webshop.catalog import Catalog
from teduo_gym.envs.webshop.client import WebShopEnv
from teduo_gym.envs.webshop.episodes import WebShopEpisodes
from teduo_gym.envs.webshop.pages import Purchase, PurchaseTracker, catalog_truth, state_text
from teduo_gym.envs.webshop.server import WebShopServeConfig, WebShopServer, serve
from teduo_gym.wrappers import GoalDetector, LanguageGoalWrapper

__all__ = ["SUCCESS", "WebShopGoalDetector", "WebShopKnowledge", "describe_page"]

#: The WebShop reward from which a purchase achieves its goal: 1.0, WebShop's success.
SUCCESS = 1.0


def describe_page(env: Any, observation: Mapping[str, str]) -> str:
    """The describer ``(env, observation) -> str``: :func:`~teduo_gym.envs.webshop.pages.state_text` of the page."""
    return state_text(dict(observation))


class WebShopGoalDetector(GoalDetector):
    """Ground truth for WebShop's instructions: a goal is achieved on the step that buys a product whose WebShop
    reward for that goal (from the catalog, :func:`~teduo_gym.envs.webshop.pages.catalog_truth`) reaches
    ``threshold``. Its :meth:`reset` puts the desired goal on the server: a second reset of the episode, as the
    goal is chosen after the first.

    Reads the :class:`~teduo_gym.envs.webshop.pages.PurchaseTracker` under the goal wrapper.

    Args:
        truth: ``(purchase, goal index) -> reward``.
        goal_index: each goal text -> its goal index on the server.
        aliases: reworded goal text -> goal text.
        threshold: the reward that achieves a goal.
    """

    def __init__(
        self,
        truth: Callable[[Purchase, int], float],
        goal_index: Mapping[str, int],
        aliases: Mapping[str, str] | None = None,
        threshold: float = SUCCESS,
    ):
        self.truth, self.goal_index, self.threshold = truth, goal_index, threshold
        self.aliases = dict(aliases or {})
        self._indices = np.zeros(0, np.intp)
        self._seen: Purchase | None = None

    def reset(self, env: gym.Env, observation: Any, goals: Sequence[str], desired: int) -> Any:
        self._indices = np.array([self.goal_index[self.aliases.get(g, g)] for g in goals], np.intp)
        observation, _ = env.reset(options={"goal_index": int(self._indices[desired])})
        self._seen = None
        return observation

    def detect(self, env: gym.Env, observation: Any, action: Any | None, goal_ids: np.ndarray) -> np.ndarray:
        purchase = env.get_wrapper_attr("purchase")
        if purchase is None or purchase is self._seen:
            return np.zeros(len(goal_ids), bool)
        self._seen = purchase
        return np.array([self.truth(purchase, int(self._indices[i])) >= self.threshold for i in goal_ids], bool)


class WebShopKnowledge(EnvKnowledge):
    """WebShop (Yao et al., 2022): instructions as goals, WebShop's train / test split of them, the page text, and
    the environment over a server (``base_url``, or ``data_dir``'s catalog served on a loopback port).

    ``action_words`` are WebShop's two action verbs: an action is the text ``search[query]`` or ``click[item]``,
    not one of a fixed set, so agents that choose among :attr:`action_words` cannot act in it. The goals are the
    catalog's instructions (the demo's unless ``data_dir`` names WebShop's data; a remote ``base_url`` must serve
    that same data).

    WebShop has no symbolic state, so ``teduo run`` plays it as text episodes (:meth:`text_episodes`: pages,
    ``search[...]`` / ``click[...]``, purchases judged against instructions); ``teduo webshop serve`` takes a
    :attr:`ServeConfig` and calls :meth:`serve`.

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> k = knowledge_for("teduo/WebShop-v0")
        >>> k.action_words, k.goals()[0][:26], k.provides("expert_policy")
        (('search', 'click'), 'i want a dry hair hair dry', False)

    Args:
        env_id: the id it serves.
        base_url: a WebShop server's root (AgentGym's schema); None serves the catalog in this process when needed.
        data_dir: WebShop data files of the catalog (None: the shipped demo).
        seed: seeds the served catalog's prices and goals' price bounds.
        timeout_s: seconds a request to the server may take.
    """

    action_words = ("search", "click")
    describers = {"page": describe_page}
    default_describer = "page"
    #: the settings of a WebShop server (``teduo webshop serve``'s flags).
    ServeConfig = WebShopServeConfig

    def __init__(
        self,
        env_id: str = "teduo/WebShop-v0",
        *,
        base_url: str | None = None,
        data_dir: str | Path | None = None,
        seed: int = 0,
        timeout_s: float = 30.0,
    ):
        super().__init__(env_id)
        self.base_url, self.timeout_s = base_url, timeout_s
        self.serve_config = WebShopServeConfig(
            data_dir=None if data_dir is None else Path(data_dir), seed=seed, log_level="warning"
        )
        self._running: WebShopServer | None = None

    @functools.cached_property
    def catalog(self) -> Catalog:
        """The catalog of the goals (loaded on first use)."""
        return self.serve_config.load_catalog()

    @functools.cached_property
    def goal_indices(self) -> dict[str, int]:
        """Each distinct instruction -> its first goal index, in goal-index order."""
        found: dict[str, int] = {}
        for i, goal in enumerate(self.catalog.goals):
            found.setdefault(" ".join(goal.instruction_text.lower().split()), i)
        return found

    # -- the environment --------------------------------------------------------------------------------------

    def make_env(
        self,
        goals: Sequence[str] | None = None,
        *,
        aliases: Mapping[str, str] | None = None,
        goal_sampler: Any = "uniform",
        max_steps: int | None = None,
    ) -> gym.Env:
        """:meth:`shop_env` on the knowledge's server as a :class:`~teduo_gym.wrappers.LanguageGoalWrapper` over
        ``goals`` (every instruction by default) with :class:`WebShopGoalDetector`: a goal is achieved by a
        purchase whose WebShop reward for it is 1; ``max_steps`` caps an episode (``TimeLimit``).

        Without ``base_url`` the catalog is served on a loopback port from the first call until the process ends.
        """
        vocabulary = self.goals() if goals is None else list(goals)
        env: gym.Env = self.shop_env(self._url())
        if max_steps is not None:
            env = gym.wrappers.TimeLimit(env, max_steps)
        detector = WebShopGoalDetector(catalog_truth(self.catalog), self.goal_indices, aliases)
        return LanguageGoalWrapper(env, vocabulary, detector, goal_sampler)

    def _url(self) -> str:
        if self.base_url is not None:
            return self.base_url
        if self._running is None:
            self._running = WebShopServer(self.serve_config.build_engine(self.catalog)).start()
        return self._running.url

    # -- the goal space ---------------------------------------------------------------------------------------

    def goals(self, kinds: Sequence[str] | None = None) -> list[str]:
        """The catalog's distinct instructions, in goal-index order (WebShop has one kind of goal)."""
        unknown = sorted(set(kinds or ()) - set(self.goal_kinds))
        if unknown:
            raise KnowledgeError(f"goal kinds {unknown} are not WebShop's; its kinds are {list(self.goal_kinds)}")
        return list(self.goal_indices)

    def goal_split(
        self, goals: Sequence[str], n_train: int, n_test: int, seed: int = 0, balanced: bool = True
    ) -> GoalSplit:
        """``n_train`` of ``goals`` from WebShop's train split and ``n_test`` from its test split, drawn with
        ``numpy.random.default_rng(seed)``; test goals are not reworded (WebShop's are written by people). WebShop
        has one goal kind, so ``balanced`` changes nothing.

        Example:
            >>> from teduo_gym.envs import knowledge_for
            >>> k = knowledge_for("teduo/WebShop-v0")
            >>> split = k.goal_split(k.goals(), 3, 2)
            >>> len(split.train), len(split.test), set(split.train) & set(split.test)
            (3, 2, set())

        Raises:
            KnowledgeError: fewer goals of a split than asked.
        """
        ranges = self.catalog.split_ranges()
        pools: dict[str, list[str]] = {"train": [], "test": []}
        for goal in dict.fromkeys(self.parse_goal(g) for g in goals):
            for name, pool in pools.items():
                if ranges[name][0] <= self.goal_indices[goal] < ranges[name][1]:
                    pool.append(goal)
        rng = np.random.default_rng(seed)
        drawn = {}
        for name, n in (("train", n_train), ("test", n_test)):
            if n > len(pools[name]):
                raise KnowledgeError(
                    f"{n} {name} goals asked of {self.env_id}, whose {name} split holds {len(pools[name])} of the "
                    "goals given: ask fewer"
                )
            drawn[name] = [pools[name][i] for i in rng.choice(len(pools[name]), n, replace=False)]
        return GoalSplit(sorted(drawn["train"]), drawn["test"], {g: g for g in drawn["test"]})

    # -- states -----------------------------------------------------------------------------------------------

    def symbolic_state(self, env: gym.Env) -> np.ndarray:
        """WebShop's state is a web page, not a vector: :class:`~teduo_gym.envs.MissingKnowledgeError`."""
        raise MissingKnowledgeError(self, "symbolic_state", "a dataset of symbolic states (WebShop's are web pages)")

    def state_key(self, env: gym.Env) -> Hashable:
        """The page and the options chosen on it (what an action can change), from the :meth:`shop_env` under
        ``env``."""
        page = env.get_wrapper_attr("page")
        return (page.get("observation", ""), page.get("chosen", ""))

    # -- text episodes ---------------------------------------------------------------------------------------

    def text_episodes(
        self,
        seed: int = 0,
        *,
        base_url: str | None = None,
        timeout_s: float | None = None,
        page_chars: int = 600,
        item_chars: int = 40,
        data_dir: str | Path | None = None,
        **unknown: Any,
    ) -> WebShopEpisodes:
        """WebShop as :class:`~teduo_gym.envs.TextEpisodes` (``teduo run``'s episode path; its ``env_options``).

        Example:
            >>> from teduo_gym.envs import knowledge_for
            >>> knowledge_for("teduo/WebShop-v0").text_episodes(page_chars=400).page_chars
            400

        Args:
            seed: seeds the served catalog's prices and goals' price bounds.
            base_url: a WebShop server's root (default: the knowledge's; None serves its catalog on loopback).
            timeout_s: seconds a request to the server may take (default: the knowledge's).
            page_chars: characters of a page an agent reads.
            item_chars: characters of each text of a page.
            data_dir: WebShop data files of the catalog (default: the knowledge's; the shipped demo unless set).
                Served on loopback, or, with ``base_url``, the catalog that server serves (the purchase schema
                and the true reward read it).

        Raises:
            KnowledgeError: an option WebShop does not have.
        """
        if unknown:
            raise KnowledgeError(
                f"WebShop has no options {sorted(unknown)}; its env_options are base_url, timeout_s, page_chars, "
                "item_chars and data_dir"
            )
        serve_config = self.serve_config
        if data_dir is not None:
            serve_config = dataclasses.replace(serve_config, data_dir=Path(data_dir))
        return WebShopEpisodes(
            serve_config,
            seed=seed,
            base_url=base_url or self.base_url,
            timeout_s=self.timeout_s if timeout_s is None else timeout_s,
            page_chars=page_chars,
            item_chars=item_chars,
        )

    # -- WebShop's own machinery -------------------------------------------------------------------------------

    def serve(self, config: WebShopServeConfig | None = None) -> None:
        """Serve WebShop over HTTP until interrupted (``teduo webshop serve``; default: this knowledge's catalog on
        port 3000)."""
        serve(self.serve_config if config is None else config)

    def shop_env(self, base_url: str, timeout_s: float | None = None) -> PurchaseTracker:
        """:class:`~teduo_gym.envs.webshop.WebShopEnv` on ``base_url`` in a
        :class:`~teduo_gym.envs.webshop.pages.PurchaseTracker` (observations gain ``"chosen"``, the buying step's
        info ``"purchase"``)."""
        return PurchaseTracker(WebShopEnv(base_url, timeout_s=self.timeout_s if timeout_s is None else timeout_s))
