"""What an agent reads of a WebShop page, what a purchase was, and WebShop's reward of it for any goal.

- :func:`page_nodes` -- a page's visible texts (WebShop's ``text`` mode), without the instruction.
- :func:`state_text` -- a short text of a page for an LLM: its texts, each cut short, plus the options chosen.
- :func:`clickables` -- the page's clickable values (``click[x]`` works for each).
- :class:`PurchaseTracker` -- a wrapper of :class:`~teduo_gym.envs.webshop.WebShopEnv` that follows the product
  and options an episode chooses: the observation gains ``"chosen"`` (the options chosen on the current product)
  and the info of the step that buys gains ``"purchase"`` (:class:`Purchase`).
- :func:`catalog_truth` -- WebShop's reward of a purchase for any goal of a catalog (the simulator's truth).

In WebShop's ``text`` mode the item page looks the same before and after an option is clicked, so the chosen
options are added to the text an agent acts on: without them, choosing an option would look like a step that
changes nothing (and filtered behaviour cloning would cut it out as a loop).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

from teduo_gym.envs.webshop.catalog import Catalog
from teduo_gym.envs.webshop.reward import webshop_reward

__all__ = [
    "BUTTONS",
    "Purchase",
    "PurchaseTracker",
    "catalog_truth",
    "clickables",
    "has_search_bar",
    "page_nodes",
    "state_text",
]

#: Clickables that are buttons of the shop, not products or options.
BUTTONS = frozenset({"search", "back to search", "next >", "< prev", "description", "features", "reviews", "buy now"})
_SEP = " [SEP] "


@dataclass(frozen=True)
class Purchase:
    """A bought product as the item page showed it, with the options chosen (option values, in click order).

    Example:
        >>> Purchase("b0001", "Red Mug", "$5.0", ("large",)).text()
        'Red Mug; price $5.0; options: large'
    """

    asin: str
    title: str
    price: str
    options: tuple[str, ...] = ()

    def text(self) -> str:
        """One line for a judge: title, price and chosen options."""
        options = ", ".join(self.options) or "none"
        return f"{self.title}; price {self.price.removeprefix('Price: ')}; options: {options}"


def page_nodes(observation: dict[str, str]) -> list[str]:
    """The page's texts in order (``text`` mode), without the instruction (the agent gets it apart).

    Example:
        >>> page_nodes({"observation": "Instruction: [SEP] buy a mug [SEP] Back to Search [SEP] Page 1",
        ...             "instruction": "buy a mug"})
        ['Back to Search', 'Page 1']
    """
    nodes = observation["observation"].split(_SEP)
    instruction = observation.get("instruction", "")
    for i in range(len(nodes) - 1):
        if nodes[i].strip() == "Instruction:" and nodes[i + 1] == instruction:
            return nodes[:i] + nodes[i + 2 :]
    return nodes


def clickables(observation: dict[str, str]) -> list[str]:
    """The values ``click[...]`` accepts on this page.

    Example:
        >>> clickables({"available_actions": '{"has_search_bar": false, "clickables": ["back to search", "b01"]}'})
        ['back to search', 'b01']
    """
    return list(json.loads(observation["available_actions"])["clickables"])


def has_search_bar(observation: dict[str, str]) -> bool:
    """Whether the page is the search page (an agent searches there).

    Example:
        >>> has_search_bar({"available_actions": '{"has_search_bar": true, "clickables": ["search"]}'})
        True
    """
    return bool(json.loads(observation["available_actions"])["has_search_bar"])


def state_text(observation: dict[str, str], max_chars: int = 600, max_item_chars: int = 40) -> str:
    """A short text of the page for an LLM: its texts joined by ``" | "``, each cut to ``max_item_chars``, all to
    ``max_chars``; then ``"chosen: ..."`` when options were chosen (a :class:`PurchaseTracker` observation).

    Example:
        >>> state_text({"observation": "Instruction: [SEP] buy a mug [SEP] Back to Search [SEP] A very long title",
        ...             "instruction": "buy a mug", "chosen": "red"}, max_item_chars=9)
        'Back to S | A very lo\\nchosen: red'
    """
    text = " | ".join(node.strip()[:max_item_chars] for node in page_nodes(observation) if node.strip())[:max_chars]
    chosen = observation.get("chosen", "")
    return f"{text}\nchosen: {chosen}" if chosen else text


class PurchaseTracker(gym.Wrapper[dict[str, str], str, dict[str, str], str]):
    """Follow the product an episode looks at and the options it chooses; report what it buys.

    On a results page, a click on something that is not a button opens a product (its options start empty); on an
    item page such a click chooses an option (replacing an earlier value of the same option is WebShop's rule, but
    the option names are not in the page's clickables, so values are kept in click order without repeats).
    :attr:`purchase` is what the episode bought (None before Buy Now), :attr:`page` the latest observation.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from teduo_gym.envs.webshop import WebShopEnv, WebShopServeConfig, WebShopServer
        >>> with WebShopServer(WebShopServeConfig(cache_dir=Path(tempfile.mkdtemp())).build_engine()) as server:
        ...     env = PurchaseTracker(WebShopEnv(server.url))
        ...     obs, _ = env.reset(options={"goal_index": 0})
        ...     obs, *_ = env.step("search[hair dryer]")
        ...     product = [c for c in clickables(obs) if c not in BUTTONS][0]
        ...     obs, *_ = env.step(f"click[{product}]")
        ...     obs, reward, done, _, info = env.step("click[buy now]")
        ...     env.close()
        >>> done, info["purchase"].asin == product, env.purchase == info["purchase"]
        (True, True, True)
    """

    def __init__(self, env: gym.Env[dict[str, str], str]) -> None:
        super().__init__(env)
        self._observation: dict[str, str] = {}
        self._product: tuple[str, str, str] | None = None
        self._options: list[str] = []
        #: what the current episode bought (None until its Buy Now).
        self.purchase: Purchase | None = None

    @property
    def page(self) -> dict[str, str]:
        """The latest observation (with ``"chosen"``)."""
        return self._observation

    def _with_chosen(self, observation: dict[str, str]) -> dict[str, str]:
        self._observation = {**observation, "chosen": ", ".join(self._options)}
        return self._observation

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict[str, str], dict]:
        """Reset the env and forget the product, options and purchase."""
        observation, info = self.env.reset(seed=seed, options=options)
        self._product, self._options, self.purchase = None, [], None
        return self._with_chosen(observation), info

    def step(self, action: str) -> tuple[dict[str, str], float, bool, bool, dict]:
        """Step, and follow what the action chose; the step that buys reports ``info["purchase"]``."""
        before = self._observation
        target = action[len("click[") : -1] if action.startswith("click[") and action.endswith("]") else None
        on_item_page = "buy now" in clickables(before)
        observation, reward, terminated, truncated, info = self.env.step(action)
        if target is not None and target in clickables(before) and target not in BUTTONS:
            if on_item_page:
                if target not in self._options:
                    self._options.append(target)
            else:
                self._product, self._options = (target, "", ""), []
        if target is not None and on_item_page and self._product is not None:
            nodes = page_nodes(before)
            at = next((i for i, node in enumerate(nodes) if node.startswith("Price: ")), None)
            if at is not None:  # the item page names the product: remember its title and price
                self._product = (self._product[0], nodes[at - 1], nodes[at])
        if target == "buy now" and terminated and self._product is not None:
            asin, title, price = self._product
            self.purchase = Purchase(asin, title, price, tuple(self._options))
            info = {**info, "purchase": self.purchase}
        return self._with_chosen(observation), float(reward), terminated, truncated, info


def catalog_truth(catalog: Catalog) -> Callable[[Purchase, int], float]:
    """WebShop's reward of a purchase for goal ``i`` of ``catalog`` (the simulator's truth, for reports and
    ground-truth goal detection).

    Example:
        >>> from teduo_gym.envs.webshop import load_catalog
        >>> catalog = load_catalog()
        >>> goal = catalog.goals[0]
        >>> options = tuple(v for vs in catalog.product(goal.asin).options.values() for v in vs
        ...                 if v in goal.goal_options)
        >>> catalog_truth(catalog)(Purchase(goal.asin.lower(), "", "", options), 0)
        1.0
    """

    def truth(purchase: Purchase, goal_index: int) -> float:
        product = catalog.product(purchase.asin.upper())
        names = {value: name for name, values in product.options.items() for value in values}
        options = {names[v]: v for v in purchase.options if v in names}
        return webshop_reward(product, catalog.goals[goal_index], catalog.prices[product.asin], options).total

    return truth
