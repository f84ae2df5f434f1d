"""WebShop's goal schema of compiled purchase labels, and a scripted shopper that follows it.

- :class:`PurchaseSchema` -- an instruction read once into WebShop's structure (the product type, the required
  attributes, the option values, the price bound) over the catalog's own vocabulary; code then scores any purchase
  against that reading as WebShop's reward does (:func:`~teduo_gym.envs.webshop.reward.webshop_reward`).
- :func:`scripted_action` -- a shopper that searches for the read type and attributes, opens the result whose title
  names most of them, chooses the read options and buys (the behaviour policy's purposeful half).

The reading is answered by :func:`teduo_gym.labeling.choose`: the type by the LLM's scores over the catalog's
types plus the similarity prior; attributes and options are sets, read by the similarity prior; the price bound is
a number, read by exact words. An instruction that names no price reads ``"none"`` (no bound).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from teduo_gym.envs.knowledge import Slot
from teduo_gym.envs.webshop.catalog import Catalog, Goal
from teduo_gym.envs.webshop.pages import clickables, has_search_bar, page_nodes
from teduo_gym.envs.webshop.reward import webshop_reward

__all__ = ["NO_BOUND", "PurchaseSchema", "scripted_action"]

#: The price slot's answer when the instruction names no bound.
NO_BOUND = "none"
_NO_ATTRIBUTE = "DUMMY_ATTR"
#: Price bounds WebShop's goals ask for (``PRICE_RANGE`` of goal.py), as the instructions print them.
_PRICE_BOUNDS = tuple(f"{10.0 * i:.2f}" for i in range(1, 100))
_EXAMPLE = "i need a red cotton t-shirt that is machine wash, in size large, and price lower than 30.00 dollars"


def _set(answer: str) -> tuple[str, ...]:
    return tuple(a for a in answer.split("|") if a)


class PurchaseSchema:
    """WebShop's :class:`~teduo_gym.envs.OutcomeSchema` over ``catalog``: slots ``type`` (one of the products'
    search types), ``attributes`` and ``options`` (sets of the products' attributes and option values) and
    ``price`` (a bound of WebShop's range, or ``"none"``).

    Example:
        >>> from teduo_gym.envs.webshop import load_catalog
        >>> catalog = load_catalog()
        >>> schema = PurchaseSchema(catalog)
        >>> choice = schema.oracle_choice(0)
        >>> choice["type"], choice["price"]
        ('hair dryer', '90.00')
        >>> goal = catalog.goals[0]
        >>> chosen = [v for vs in catalog.product(goal.asin).options.values() for v in vs if v in goal.goal_options]
        >>> schema.reward(choice, {"asin": goal.asin.lower(), "options": chosen})["total"]
        1.0
    """

    def __init__(self, catalog: Catalog, attribute_bar: float = 1.0, option_bar: float = 1.0):
        self.catalog = catalog
        products = catalog.products
        self.types = tuple(sorted({p.query for p in products}))
        self.attributes = tuple(sorted({a for p in products for a in p.attributes if a != _NO_ATTRIBUTE}))
        self.option_values = tuple(sorted({v for p in products for vs in p.options.values() for v in vs}))
        self.attribute_bar, self.option_bar = attribute_bar, option_bar

    @functools.cached_property
    def slots(self) -> tuple[Slot, ...]:
        """The four questions of a reading."""
        return (
            Slot(
                "type",
                "What kind of product does the shopper want?",
                self.types,
                ((_EXAMPLE, "t-shirt"),),
                span=r"^(.*?)(?:,? and price lower than|$)",
            ),
            Slot("attributes", "Which features?", self.attributes, many=True, bar=self.attribute_bar),
            Slot("options", "Which options?", self.option_values, many=True, bar=self.option_bar),
            Slot(
                "price",
                "Below what price?",
                (*_PRICE_BOUNDS, NO_BOUND),
                span=r"price lower than (.+)$",
                descriptions={NO_BOUND: ""},
                llm=False,
            ),
        )

    def reward(self, choice: Mapping[str, str], outcome: Mapping[str, Any]) -> dict[str, float]:
        """WebShop's reward of a purchase (``asin`` and the chosen ``options`` values) for the goal ``choice`` reads:
        ``total`` and its parts ``type``, ``attributes``, ``options`` (1 when none are asked), ``price``."""
        product = self.catalog.product(str(outcome["asin"]).upper())
        names = {value: name for name, values in product.options.items() for value in values}
        options = {names[v]: v for v in outcome.get("options", ()) if v in names}
        price = choice.get("price", NO_BOUND)
        goal = Goal(
            asin="",
            instruction_text="",
            attributes=_set(choice.get("attributes", "")),
            goal_options=_set(choice.get("options", "")),
            price_upper=1e6 if price == NO_BOUND else float(price),
            query=choice.get("type", ""),
            name=choice.get("type", ""),
            category="",
            product_category="",
        )
        parts = webshop_reward(product, goal, self.catalog.prices[product.asin], options)
        r_option = 1.0 if parts.r_option is None else parts.r_option
        return {
            "total": parts.total,
            "type": parts.r_type,
            "attributes": parts.r_att,
            "options": r_option,
            "price": float(parts.r_price),
        }

    def oracle_choice(self, goal_index: int) -> dict[str, str]:
        """The reading of goal ``goal_index`` the catalog records (its attributes and options in the slots' order).

        Example:
            >>> from teduo_gym.envs.webshop import load_catalog
            >>> PurchaseSchema(load_catalog()).oracle_choice(1)["options"]
            'blue|mini'
        """
        goal = self.catalog.goals[goal_index]

        def ordered(values: tuple[str, ...], vocabulary: tuple[str, ...]) -> str:
            known = [v for v in vocabulary if v in values]
            return "|".join(known + sorted(set(values) - set(known)))

        bound = NO_BOUND if goal.price_upper >= 1e6 else f"{goal.price_upper:.2f}"
        return {
            "type": goal.query,
            "attributes": ordered(goal.attributes, self.attributes),
            "options": ordered(goal.goal_options, self.option_values),
            "price": bound,
        }


def _words(text: str) -> set[str]:
    return set(text.lower().replace("|", " ").split())


def scripted_action(observation: Mapping[str, str], choice: Mapping[str, str]) -> str | None:
    """The scripted shopper's action on a page, following ``choice`` (a :class:`PurchaseSchema` reading): search
    for the type and attributes; on results, open the product whose title shares most words with them (the first
    on ties); on a product, choose each read option it offers not chosen yet, then buy; elsewhere go back.

    Example:
        >>> page = {"observation": "Back to Search [SEP] B01 [SEP] Blue Mug [SEP] B02 [SEP] Red Mug",
        ...         "available_actions": '{"has_search_bar": false, "clickables": ["back to search", "b01", "b02"]}'}
        >>> scripted_action(page, {"type": "mug", "attributes": "red", "options": ""})
        'click[b02]'
    """
    if has_search_bar(dict(observation)):
        return f"search[{' '.join([choice.get('type', ''), *_set(choice.get('attributes', ''))]).strip()}]"
    items = clickables(dict(observation))
    if "buy now" in items:
        chosen = set(observation.get("chosen", "").split(", "))
        wanted = [o for o in _set(choice.get("options", "")) if o in items and o not in chosen]
        return f"click[{wanted[0] if wanted else 'buy now'}]"
    nodes = [n.strip() for n in page_nodes(dict(observation))]
    titles = {n.lower(): nodes[i + 1] for i, n in enumerate(nodes[:-1]) if n.lower() in items}
    products = [i for i in items if i in titles]
    if products:
        wanted_words = _words(choice.get("type", "")) | _words(choice.get("attributes", ""))
        best = max(products, key=lambda i: (len(_words(titles[i]) & wanted_words), -products.index(i)))
        return f"click[{best}]"
    return "click[< prev]" if "< prev" in items else None
