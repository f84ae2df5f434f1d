"""WebShop's shop in-process: sessions that search, browse, choose options and buy, with WebShop's observations.

- :class:`WebShopEngine` -- many sessions over one catalog and search index; thread-safe, each session's state
  its own. The HTTP server (``server.py``) is a thin layer over it.
- :class:`StepResult` -- what a step returns.
- :class:`UnknownSessionError` -- a session id the engine does not hold (closed, evicted, or from before a restart).

Page flow, actions and observations follow ``SimServer`` / ``WebAgentTextEnv`` in
``web_agent_site/envs/web_agent_text_env.py`` of princeton-nlp/WebShop with the templates of its text
environment: search page -> results (10 per page, ``Next >`` / ``< Prev``) -> item page (options, Description,
Features, Reviews, Buy Now) -> done page with the reward of ``reward.py``. Actions are ``search[keywords]``
(allowed on every page, as in WebShop) and ``click[value]`` with ``value`` one of the page's clickables
(lower case). Anything else -- a malformed action, a click on something the page does not show,
``click[search]`` -- changes nothing and earns 0, WebShop's no-op. After Buy Now the session is finished: every
step is a no-op that reports ``done`` until the next reset (WebShop itself lets a finished session search on).

Observations come in WebShop's ``text`` mode (visible texts joined by ``" [SEP] "``) and ``text_rich`` mode
(one text per line, buttons as ``[button] ... [button_]``, chosen options and visited products as
``[clicked button] ... [clicked button_]``, each chosen option announced on top as ``You have clicked ...``).
WebShop renders HTML and strips it; here pages are built as lists of texts and rendered directly, and
whitespace-only texts are left out. The done page shows the thank-you line and the score.
"""

from __future__ import annotations

import random
import re
import secrets
import threading
import time
from bisect import bisect
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, Literal, NamedTuple

from teduo_gym.envs.webshop.catalog import Catalog
from teduo_gym.envs.webshop.reward import webshop_reward
from teduo_gym.envs.webshop.search import SearchIndex

__all__ = ["OBSERVATION_MODES", "PRODUCT_WINDOW", "StepResult", "UnknownSessionError", "WebShopEngine"]

#: The observation modes a session can use.
OBSERVATION_MODES = ("text", "text_rich")
#: Products per results page (WebShop's ``PRODUCT_WINDOW``).
PRODUCT_WINDOW = 10
_ACTION = re.compile(r"(.+)\[(.+)\]")  # parse_action in engine.py
_SUB_PAGES = ("Description", "Features", "Reviews")
_BUY, _BACK, _NEXT, _PREV = "buy now", "back to search", "next >", "< prev"

ObservationMode = Literal["text", "text_rich"]


class UnknownSessionError(LookupError):
    """A session id the engine does not hold."""


class StepResult(NamedTuple):
    """The observation after a step, its reward, whether the episode is over, and the new page's actions."""

    observation: str
    reward: float
    done: bool
    available_actions: dict[str, Any]


@dataclass(frozen=True)
class _Node:
    """One visible text of a page: plain text, a button, a product link or an option value."""

    kind: Literal["text", "button", "link", "option"]
    text: str
    option_name: str = ""


@dataclass
class _Session:
    goal_index: int
    observation_mode: ObservationMode
    page: Literal["index", "results", "item", "sub", "done"] = "index"
    sub_page: str = ""
    results: list[str] = field(default_factory=list)
    page_num: int = 1
    asin: str | None = None
    asins: set[str] = field(default_factory=set)
    options: dict[str, str] = field(default_factory=dict)
    reward: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_used: float = field(default_factory=time.monotonic)


class WebShopEngine:
    """WebShop sessions over one catalog.

    Args:
        catalog: products and goals (:func:`~teduo_gym.envs.webshop.catalog.load_catalog`).
        index: the catalog's search index.
        max_sessions: sessions held at most; creating one more evicts the least recently used.
        seed: seeds the choice of goal when a reset names none (weighted by the goals' weights, as WebShop).

    Example:
        >>> import tempfile
        >>> from teduo_gym.envs.webshop.catalog import load_catalog
        >>> catalog = load_catalog()
        >>> engine = WebShopEngine(catalog, SearchIndex(catalog.products, catalog.content_hash, tempfile.mkdtemp()))
        >>> env_idx = engine.create()
        >>> engine.reset(env_idx, 0).split(" [SEP] ")[:2]
        ['WebShop', 'Instruction:']
        >>> engine.step(env_idx, "search[dry hair hair dryer]").observation.split(" [SEP] ")[2:4]
        ['Back to Search', 'Page 1 (Total results: 50)']
        >>> engine.step(env_idx, "click[nothing here]").reward  # a no-op
        0.0
    """

    def __init__(self, catalog: Catalog, index: SearchIndex, max_sessions: int = 4096, seed: int | None = None) -> None:
        if not catalog.goals:
            raise ValueError("the catalog has no goals: check the instruction files")
        self.catalog = catalog
        self.index = index
        self.max_sessions = max_sessions
        self._sessions: dict[int, _Session] = {}
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._cum_weights = list(accumulate(g.weight for g in catalog.goals))

    # ---- sessions ---------------------------------------------------------------------------------------

    def create(self, observation_mode: ObservationMode = "text") -> int:
        """A new session on a random goal; returns its id (random, so ids of a restarted server do not collide)."""
        if observation_mode not in OBSERVATION_MODES:
            raise ValueError(f"observation_mode must be one of {OBSERVATION_MODES}, got {observation_mode!r}")
        with self._lock:
            if len(self._sessions) >= self.max_sessions:
                oldest = min(self._sessions, key=lambda i: self._sessions[i].last_used)
                del self._sessions[oldest]
            env_idx = secrets.randbelow(2**31)
            while env_idx in self._sessions:
                env_idx = secrets.randbelow(2**31)
            self._sessions[env_idx] = _Session(self._random_goal(), observation_mode)
        return env_idx

    def close(self, env_idx: int) -> bool:
        """Forget a session; False if it did not exist."""
        with self._lock:
            return self._sessions.pop(env_idx, None) is not None

    def session_ids(self) -> list[int]:
        """The ids of the sessions held."""
        with self._lock:
            return list(self._sessions)

    def goal_info(self) -> dict[str, Any]:
        """The number of goals and the ``[start, stop)`` goal indices of each split."""
        ranges = self.catalog.split_ranges()
        return {"num_goals": len(self.catalog.goals), "splits": {k: list(v) for k, v in ranges.items()}}

    def _random_goal(self) -> int:
        # random_idx in web_agent_site/utils.py: weighted by the goals' weights
        return min(bisect(self._cum_weights, self._rng.uniform(0, self._cum_weights[-1])), len(self._cum_weights) - 1)

    def _session(self, env_idx: int) -> _Session:
        with self._lock:
            session = self._sessions.get(env_idx)
        if session is None:
            raise UnknownSessionError(
                f"no WebShop session {env_idx}: it was closed, evicted, or created before the server restarted; "
                "create a new one"
            )
        session.last_used = time.monotonic()
        return session

    # ---- the AgentGym WebShop interface ----------------------------------------------------------------

    def reset(self, env_idx: int, goal_index: int | None = None) -> str:
        """Start the session over on the search page, on goal ``goal_index`` (a random one if None)."""
        session = self._session(env_idx)
        if goal_index is not None and not 0 <= goal_index < len(self.catalog.goals):
            raise ValueError(f"goal index {goal_index} is out of range: the catalog has {len(self.catalog.goals)}")
        if goal_index is None:
            with self._lock:
                goal_index = self._random_goal()
        with session.lock:
            session.goal_index = goal_index
            self._to_index(session)
            session.reward = 0.0
            return self._render(session)

    def step(self, env_idx: int, action: str) -> StepResult:
        """Apply ``search[...]`` or ``click[...]``; anything invalid is a no-op with reward 0."""
        session = self._session(env_idx)
        with session.lock:
            reward, done = self._apply(session, action)
            return StepResult(self._render(session), reward, done, self._available(session))

    def observation(self, env_idx: int) -> str:
        """The current page in the session's observation mode."""
        session = self._session(env_idx)
        with session.lock:
            return self._render(session)

    def available_actions(self, env_idx: int) -> dict[str, Any]:
        """``{"has_search_bar": bool, "clickables": [str, ...]}`` of the current page."""
        session = self._session(env_idx)
        with session.lock:
            return self._available(session)

    def instruction_text(self, env_idx: int) -> str:
        """``"Instruction: <the goal's instruction>"``."""
        session = self._session(env_idx)
        with session.lock:
            return f"Instruction: {self.catalog.goals[session.goal_index].instruction_text}"

    def goal_index(self, env_idx: int) -> int:
        """The index of the session's goal."""
        return self._session(env_idx).goal_index

    # ---- page flow ---------------------------------------------------------------------------------------

    def _to_index(self, session: _Session) -> None:
        session.page, session.results, session.page_num = "index", [], 1
        session.asin, session.asins, session.options = None, set(), {}

    def _to_results(self, session: _Session, page_num: int) -> None:
        session.page, session.page_num, session.asin, session.options = "results", page_num, None, {}

    def _apply(self, session: _Session, action: str) -> tuple[float, bool]:
        if session.page == "done":
            return 0.0, True
        match = _ACTION.match(action) if isinstance(action, str) else None
        if match is None:
            return 0.0, False
        name, arg = match.group(1), match.group(2).lower()
        if name == "search":
            session.results = self.index.search(" ".join(arg.split(" ")))
            self._to_results(session, 1)
            return 0.0, False
        clickables = self._clickables(session)
        if name != "click" or arg not in clickables or arg == "search":
            return 0.0, False
        node = clickables[arg]
        if arg == _BUY:
            return self._buy(session), True
        if arg == _BACK:
            self._to_index(session)
        elif arg == _NEXT and session.page == "results":
            self._to_results(session, session.page_num + 1)
        elif arg == _PREV and session.page == "results":
            self._to_results(session, session.page_num - 1)
        elif arg == _PREV and session.page == "item":
            self._to_results(session, session.page_num)
        elif arg in (s.lower() for s in _SUB_PAGES):
            session.page, session.sub_page = "sub", arg.capitalize()
        else:  # a product link, an option, or < Prev on a sub page: the item page
            if node.kind == "link":
                session.asin = arg.upper()
                session.asins.add(session.asin)
            elif node.kind == "option":
                session.options[node.option_name] = arg
            session.page = "item"
        return 0.0, False

    def _buy(self, session: _Session) -> float:
        assert session.asin is not None  # Buy Now is only on item pages
        goal = self.catalog.goals[session.goal_index]
        product = self.catalog.product(session.asin)
        session.reward = webshop_reward(product, goal, self.catalog.prices[product.asin], session.options).total
        session.page = "done"
        return session.reward

    # ---- rendering ---------------------------------------------------------------------------------------

    def _nodes(self, session: _Session) -> list[_Node]:
        instruction = self.catalog.goals[session.goal_index].instruction_text
        if session.page == "index":
            return [_Node("text", "WebShop"), _Node("text", "Instruction:"), _Node("text", instruction)] + [
                _Node("button", "Search")
            ]
        if session.page == "done":
            return [
                _Node("text", "Thank you for shopping with us!"),
                _Node("text", "Your score (min 0.0, max 1.0)"),
                _Node("text", str(session.reward)),
            ]
        nodes = [_Node("text", "Instruction:"), _Node("text", instruction), _Node("button", "Back to Search")]
        if session.page == "results":
            total = len(session.results)
            nodes.append(_Node("text", f"Page {session.page_num} (Total results: {total})"))
            if session.page_num > 1:
                nodes.append(_Node("button", "< Prev"))
            if session.page_num * PRODUCT_WINDOW < total:
                nodes.append(_Node("button", "Next >"))
            start = (session.page_num - 1) * PRODUCT_WINDOW
            for asin in session.results[start : start + PRODUCT_WINDOW]:
                product = self.catalog.product(asin)
                nodes += [_Node("link", asin), _Node("text", product.title), _Node("text", product.price_tag)]
            return nodes
        assert session.asin is not None
        product = self.catalog.product(session.asin)
        nodes.append(_Node("button", "< Prev"))
        if session.page == "item":
            for name, values in product.options.items():
                nodes.append(_Node("text", name))
                nodes += [_Node("option", value, name) for value in values]
            nodes += [
                _Node("text", product.title),
                _Node("text", f"Price: {product.price_tag}"),
                _Node("text", f"Rating: {product.rating}"),
            ]
            return nodes + [_Node("button", label) for label in (*_SUB_PAGES, "Buy Now")]
        if session.sub_page == "Description":
            texts = [product.description or "No Description"]
        elif session.sub_page == "Features":
            texts = list(product.bullet_points) or ["No Features"]
        else:
            texts = [t for r in product.reviews for t in (f'"{r.title}"', str(r.score), r.body)] or ["No reviews found"]
        return nodes + [_Node("text", t) for t in texts]

    def _clickables(self, session: _Session) -> dict[str, _Node]:
        """Clickable text -> node, as ``get_available_actions`` collects them: buttons, product links, options."""
        nodes = self._nodes(session)
        clickables = {n.text.lower(): n for kind in ("button", "link") for n in nodes if n.kind == kind}
        clickables.update((n.text, n) for n in nodes if n.kind == "option")
        return clickables

    def _available(self, session: _Session) -> dict[str, Any]:
        return {"has_search_bar": session.page == "index", "clickables": list(self._clickables(session))}

    def _render(self, session: _Session) -> str:
        nodes = [n for n in self._nodes(session) if n.text.strip()]
        if session.observation_mode == "text":
            return " [SEP] ".join(n.text.strip() for n in nodes)
        observation = ""
        for node in nodes:
            if node.kind == "button":
                line = f"[button] {node.text} [button_]"
            elif node.kind == "option" and node.text in session.options.values():
                line = f"  [clicked button] {node.text} [clicked button_]"
                observation = f"You have clicked {node.text}.\n" + observation
            elif node.kind == "option":
                line = f"  [button] {node.text} [button_]"
            elif node.kind == "link":
                clicked = node.text in session.asins
                line = (
                    f"\n[clicked button] {node.text} [clicked button_]"
                    if clicked
                    else f"\n[button] {node.text} [button_]"
                )
            else:
                line = node.text
            observation += line + "\n"
        return observation
