"""WebShop played as text episodes (:class:`~teduo_gym.envs.TextEpisodes`): what ``teduo run``'s episode path
needs of WebShop, and nothing of that path itself.

- :class:`WebShopEpisodes` -- the shop served for a run (the catalog on a loopback port, or a remote server),
  pages as WebShop's :func:`~teduo_gym.envs.webshop.pages.state_text`, ``search[...]`` / ``click[...]`` as the
  actions of a page, a :class:`~teduo_gym.envs.webshop.pages.Purchase` as an episode's outcome (with the catalog's
  reward of it for any goal), the judge's four criteria and WebShop's way to combine them, the goal schema of
  compiled purchase labels (:class:`~teduo_gym.envs.webshop.purchase.PurchaseSchema`; a remote server must serve
  the catalog of ``serve_config``), LLM-written search queries and a scripted shopper for the behaviour policy.
- :data:`ACT_TEMPLATE`, :data:`REACT_TEMPLATE`, :data:`QUERY_TEMPLATE`, :data:`JUDGE_TEMPLATE`, :data:`CRITERIA` --
  the prompts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from teduo_gym.envs.knowledge import ActionChoices, OutcomeSchema
from teduo_gym.envs.webshop.pages import (
    Purchase,
    PurchaseTracker,
    catalog_truth,
    clickables,
    has_search_bar,
    state_text,
)
from teduo_gym.envs.webshop.purchase import PurchaseSchema, scripted_action
from teduo_gym.envs.webshop.server import WebShopServeConfig, WebShopServer

__all__ = ["ACT_TEMPLATE", "CRITERIA", "JUDGE_TEMPLATE", "QUERY_TEMPLATE", "REACT_TEMPLATE", "WebShopEpisodes"]

#: The fine-tuned agent's prompt: instruction and page; the action follows "Action:".
ACT_TEMPLATE = "Instruction: {goal}\nPage: {state}\nAction:"
#: The prompted baseline's prompt: what the actions do and one worked episode (ReAct-style, Yao et al., 2023).
REACT_TEMPLATE = (
    "You shop on a web shop. On the search page act with search[query]; on other pages click one of the page's "
    "items with click[item]: a product id to open it, an option to choose it, buy now to buy.\n"
    "Example:\nInstruction: i want a red cotton t-shirt in size large, price lower than 30.00 dollars\n"
    "Page: WebShop | Search\nThought: search for the product.\nAction: search[red cotton t-shirt]\n"
    "Page: Back to Search | Page 1 (Total results: 12) | B07X1Y2Z3A | Men's Red Cotton T-Shirt | $14.99\n"
    "Thought: the first product is a red cotton t-shirt under 30 dollars.\nAction: click[b07x1y2z3a]\n"
    "Page: Back to Search | < Prev | size | small | large | Men's Red Cotton T-Shirt | Price: $14.99 | Buy Now\n"
    "Thought: choose size large.\nAction: click[large]\n"
    "Page: Back to Search | < Prev | size | small | large | Men's Red Cotton T-Shirt | Price: $14.99 | Buy Now\n"
    "chosen: large\nThought: everything fits, buy it.\nAction: click[buy now]\n"
    "Now you.\nInstruction: {goal}\nPage: {state}\nAction:"
)
#: How the behaviour policy's queries are written from an instruction.
QUERY_TEMPLATE = (
    "Write a short web shop search query for each request.\n"
    "Request: i want a red cotton t-shirt in size large, and price lower than 30.00 dollars\n"
    "Query: red cotton t-shirt\n"
    "Request: i need gluten free almond cookies, and price lower than 20.00 dollars\n"
    "Query: gluten free almond cookies\n"
    "Request: {goal}\nQuery:"
)
#: What the judge reads before each question.
JUDGE_TEMPLATE = "A shopper asked: {goal}\nThey bought: {outcome}\nAnswer each question with yes or no."
#: WebShop's reward criteria, one question each.
CRITERIA = {
    "category": "Is the bought product the kind of product the shopper asked for?",
    "attributes": "Does the bought product have the features the shopper asked for?",
    "options": "Were the options the shopper asked for (size, color, flavor...) chosen?",
    "price": "Is the price within the shopper's budget?",
}


class WebShopEpisodes:
    """WebShop as :class:`~teduo_gym.envs.TextEpisodes`: entered, it serves the shop (``base_url``, or the catalog of
    ``serve_config`` with ``seed`` on a loopback port, whose :attr:`truth` is then the catalog's reward) and plays
    episodes on it through :class:`~teduo_gym.envs.webshop.pages.PurchaseTracker`.

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> with knowledge_for("teduo/WebShop-v0").text_episodes(page_chars=60) as shop:
        ...     train, test = shop.goal_split()
        ...     page = shop.reset(train[0])
        ...     shop.choices(page).open("red mug"), shop.state_text(page)[:14], shop.truth is not None
        ('search[red mug]', 'WebShop | Sear', True)

    Args:
        serve_config: the catalog to serve when there is no ``base_url``.
        seed: seeds the served catalog's prices and goals' price bounds.
        base_url: a WebShop server's root (AgentGym's schema); None serves ``serve_config``'s catalog.
        timeout_s: seconds a request to the server may take.
        page_chars: characters of a page an agent reads (:func:`~teduo_gym.envs.webshop.pages.state_text`).
        item_chars: characters of each text of a page.
    """

    act_template = ACT_TEMPLATE
    baseline_template = REACT_TEMPLATE
    judge_template = JUDGE_TEMPLATE
    criteria = CRITERIA

    def __init__(
        self,
        serve_config: WebShopServeConfig,
        *,
        seed: int = 0,
        base_url: str | None = None,
        timeout_s: float = 30.0,
        page_chars: int = 600,
        item_chars: int = 40,
    ):
        self.serve_config = dataclasses.replace(serve_config, seed=seed)
        self.base_url, self.timeout_s = base_url, timeout_s
        self.page_chars, self.item_chars = page_chars, item_chars
        self.truth: Callable[[Mapping[str, Any], int], float] | None = None
        self.outcome_schema: OutcomeSchema | None = None
        self._server: WebShopServer | None = None
        self._env: PurchaseTracker | None = None

    def __enter__(self) -> WebShopEpisodes:
        from teduo_gym.envs.webshop.client import WebShopEnv

        url = self.base_url
        if url is None:
            engine = self.serve_config.build_engine()
            self._server = WebShopServer(engine).start()
            url = self._server.url
            purchase_truth = catalog_truth(engine.catalog)
            self.truth = lambda outcome, goal: purchase_truth(_purchase(outcome), goal)
            self.outcome_schema = PurchaseSchema(engine.catalog)
        else:
            self.outcome_schema = PurchaseSchema(self.serve_config.load_catalog())
        self._env = PurchaseTracker(WebShopEnv(url, timeout_s=self.timeout_s))
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._env is not None:
                self._env.close()
        finally:
            self._env = None
            if self._server is not None:
                self._server.close()
                self._server = None

    @property
    def env(self) -> PurchaseTracker:
        """The shop's environment (once entered)."""
        if self._env is None:
            raise RuntimeError("enter WebShopEpisodes (`with knowledge.text_episodes() as shop:`) before playing")
        return self._env

    def goal_split(self) -> tuple[list[int], list[int]]:
        """WebShop's train and test goal ranges on the server.

        Raises:
            ValueError: the server has no train or no test goals.
        """
        client: Any = self.env.unwrapped  # a WebShopEnv
        train, test = client.goal_range("train"), client.goal_range("test")
        if not train or not test:
            raise ValueError(f"the WebShop server has no train or no test goals: {train}, {test}")
        return list(train), list(test)

    def instructions(self, indices: Sequence[int]) -> dict[int, str]:
        """Goal index -> its instruction (one reset each)."""
        return {int(i): self.reset(int(i))["instruction"] for i in indices}

    def reset(self, goal_index: int) -> dict[str, str]:
        """A new episode of goal ``goal_index``: its first page."""
        return self.env.reset(options={"goal_index": int(goal_index)})[0]

    def step(self, action: str) -> tuple[dict[str, str], float, bool, Mapping[str, Any] | None]:
        """One action; the outcome of the step that buys is its purchase as JSON."""
        observation, reward, terminated, truncated, info = self.env.step(action)
        purchase = info.get("purchase")
        outcome = None if purchase is None else {**dataclasses.asdict(purchase), "options": list(purchase.options)}
        return observation, float(reward), terminated or truncated, outcome

    @staticmethod
    def instruction(observation: Mapping[str, str]) -> str:
        """The page's instruction."""
        return observation["instruction"]

    def state_text(self, observation: Mapping[str, str]) -> str:
        """:func:`~teduo_gym.envs.webshop.pages.state_text` with ``page_chars`` and ``item_chars``."""
        return state_text(dict(observation), self.page_chars, self.item_chars)

    @staticmethod
    def choices(observation: Mapping[str, str]) -> ActionChoices:
        """``search[...]`` on the search page, else ``click[x]`` for each clickable ``x``.

        Example:
            >>> WebShopEpisodes.choices({"available_actions": '{"has_search_bar": false, "clickables": ["b01"]}'})
            ActionChoices(candidates=('click[b01]',), prefix='', suffix='')
        """
        if has_search_bar(dict(observation)):
            return ActionChoices(prefix="search[", suffix="]")
        return ActionChoices(tuple(f"click[{x}]" for x in clickables(dict(observation))))

    @staticmethod
    def outcome_text(outcome: Mapping[str, Any]) -> str:
        """:meth:`Purchase.text <teduo_gym.envs.webshop.pages.Purchase.text>`: title, price and options.

        Example:
            >>> WebShopEpisodes.outcome_text({"asin": "b1", "title": "Mug", "price": "$5", "options": ["red"]})
            'Mug; price $5; options: red'
        """
        return _purchase(outcome).text()

    @staticmethod
    def outcome_words(outcome: Mapping[str, Any]) -> str:
        """The title and options of what was bought."""
        return f"{outcome['title']} {' '.join(outcome['options'])}"

    @staticmethod
    def combine(parts: Mapping[str, float]) -> float:
        """WebShop's combination of the criteria: the category gates the mean of the other three.

        Example:
            >>> WebShopEpisodes.combine({"category": 0.8, "attributes": 1.0, "options": 0.5, "price": 0.0})
            0.5
            >>> WebShopEpisodes.combine({"category": 0.4, "attributes": 1.0, "options": 1.0, "price": 1.0})
            0.0
        """
        return float(parts["category"] >= 0.5) * (parts["attributes"] + parts["options"] + parts["price"]) / 3

    @staticmethod
    def behaviour_texts(llm: Any, instructions: Sequence[str], max_new_tokens: int = 12) -> list[str]:
        """A search query per instruction, written by ``llm`` (greedy, one batched call; the first line, stripped of
        brackets); an empty answer falls back to the instruction's first eight words."""
        prompts = [QUERY_TEMPLATE.format(goal=g) for g in instructions]
        answers = llm.generate(prompts, max_new_tokens=max_new_tokens, stop=["\n"]) if prompts else []
        queries = []
        for instruction, answer in zip(instructions, answers):
            query = answer.strip().strip('"').replace("[", " ").replace("]", " ").strip()
            queries.append(query or " ".join(instruction.split()[:8]))
        return queries

    @staticmethod
    def scripted_action(observation: Mapping[str, str], choice: Mapping[str, str]) -> str | None:
        """:func:`~teduo_gym.envs.webshop.purchase.scripted_action`: a shopper following an instruction's reading."""
        return scripted_action(observation, choice)


def _purchase(outcome: Mapping[str, Any]) -> Purchase:
    return Purchase(**{**outcome, "options": tuple(outcome["options"])})
