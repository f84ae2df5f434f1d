"""Agents that shop on WebShop: an LLM that scores the page's clicks and writes search queries, and random clicks.

- :class:`WebShopLLMAgent` -- on the search page the LLM writes the query (greedy, ``search[`` ... ``]``); on every
  other page it scores ``click[x]`` for each clickable ``x`` of the page and takes the likeliest (GLAM-style, so it
  never emits an invalid action). With ``REACT_TEMPLATE`` (and optionally ``think_tokens``) it is the prompted
  ReAct-style baseline; with the fine-tuned model and ``ACT_TEMPLATE`` it is TEDUO's agent.
- :class:`RandomClickAgent` -- searches a given query (or the instruction), then clicks at random: the behaviour
  policy of the data (with LLM-written queries) and the random baseline.
- :func:`write_queries` -- search queries written by the LLM from instructions, batched.
- :func:`score_continuations` -- log-likelihoods of candidate continuations of one prompt; with a local model the
  prompt runs once and its key/value cache is shared by all candidates.

All agents follow Stable-Baselines3's ``predict(observation, state, episode_start, deterministic)`` protocol with
one observation (a page of WebShop's ``shop_env``, :mod:`teduo_gym.recipes.webshop.shop`) and return an action
string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from teduo_gym.llm.base import LLMBackend
from teduo_gym.recipes.webshop.shop import webshop

__all__ = [
    "ACT_TEMPLATE",
    "QUERY_TEMPLATE",
    "REACT_TEMPLATE",
    "RandomClickAgent",
    "WebShopLLMAgent",
    "score_continuations",
    "write_queries",
]

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


def score_continuations(backend: LLMBackend, prompt: str, candidates: Sequence[str]) -> np.ndarray:
    """``log p(candidate | prompt)`` of each candidate, summed over its tokens: shape ``(len(candidates),)``.

    A local model runs the prompt once for all candidates
    (:meth:`~teduo_gym.llm.TransformersBackend.score_shared_prompt`), several times faster than :meth:`score` on long
    prompts, with the same numbers (up to float rounding); other backends are asked
    :meth:`~teduo_gym.llm.LLMBackend.score`.

    Example:
        >>> from teduo_gym.llm import TransformersBackend
        >>> llm = TransformersBackend()  # doctest: +SKIP
        >>> score_continuations(llm, "The sky is", [" blue", " very green"]).shape  # doctest: +SKIP
        (2,)
    """
    shared = getattr(backend, "score_shared_prompt", None)
    if shared is not None:
        return shared(prompt, candidates)
    return np.asarray(backend.score([prompt], candidates), dtype=np.float64)[0]


def write_queries(backend: LLMBackend, instructions: Sequence[str], max_new_tokens: int = 12) -> list[str]:
    """A search query per instruction, written by the LLM (greedy, one batched call; the first line, stripped of
    brackets); an empty answer falls back to the instruction's first eight words.

    Example:
        >>> from teduo_gym.llm import TransformersBackend
        >>> write_queries(TransformersBackend(), ["i need a red mug"])  # doctest: +SKIP
        ['red mug']
    """
    prompts = [QUERY_TEMPLATE.format(goal=g) for g in instructions]
    answers = backend.generate(prompts, max_new_tokens=max_new_tokens, stop=["\n"]) if prompts else []
    queries = []
    for instruction, answer in zip(instructions, answers):
        query = answer.strip().strip('"').replace("[", " ").replace("]", " ").strip()
        queries.append(query or " ".join(instruction.split()[:8]))
    return queries


class WebShopLLMAgent:
    """Shop with an LLM: write the query on the search page, score the page's clicks elsewhere.

    The prompt is ``template`` filled with the instruction (``{goal}``) and WebShop's ``page_text`` of the page
    (``{state}``); it ends with "Action:". The query is the greedy continuation of the prompt + ``" search["`` up
    to ``"]"``; a click is ``argmax_x log p(" click[x]" | prompt)`` over the page's clickables (sampled from their
    normalised likelihoods with ``deterministic=False``). With ``think_tokens > 0`` the LLM first writes a thought
    (ReAct) after "Thought:", which then precedes "Action:".

    Example:
        >>> from teduo_gym.llm import TransformersBackend
        >>> agent = WebShopLLMAgent(TransformersBackend())  # doctest: +SKIP
        >>> agent.predict({"observation": "WebShop [SEP] Instruction: [SEP] i need a red mug [SEP] Search",
        ...                "instruction": "i need a red mug",
        ...                "available_actions": '{"has_search_bar": true, "clickables": ["search"]}'})  # doctest: +SKIP
        ('search[red mug]', None)

    Args:
        backend: the LLM.
        template: the prompt, with ``{goal}`` and ``{state}``, ending with "Action:".
        max_chars, max_item_chars: how much of the page the prompt holds (see WebShop's ``page_text``).
        query_tokens: the longest query, in tokens.
        think_tokens: the longest thought before each click (0: no thought).
        seed: seeds sampling when ``deterministic=False``.
    """

    def __init__(
        self,
        backend: LLMBackend,
        template: str = ACT_TEMPLATE,
        *,
        max_chars: int = 600,
        max_item_chars: int = 40,
        query_tokens: int = 12,
        think_tokens: int = 0,
        seed: int | None = None,
    ) -> None:
        if "{goal}" not in template or "{state}" not in template or not template.endswith("Action:"):
            raise ValueError(f"template must hold {{goal}} and {{state}} and end with 'Action:', got {template!r}")
        self.backend = backend
        self.template = template
        self.max_chars, self.max_item_chars = max_chars, max_item_chars
        self.query_tokens, self.think_tokens = query_tokens, think_tokens
        self.rng = np.random.default_rng(seed)

    def prompt(self, observation: dict[str, str]) -> str:
        """The prompt for one page."""
        state = webshop().page_text(observation, self.max_chars, self.max_item_chars)
        return self.template.format(goal=observation["instruction"], state=state)

    def act(self, observation: dict[str, str], deterministic: bool = True) -> str:
        """The action for one page."""
        prompt = self.prompt(observation)
        space = "" if self.backend.chat else " "
        if webshop().has_search_bar(observation):
            answer = self.backend.generate([prompt + space + "search["], max_new_tokens=self.query_tokens, stop=["]"])
            query = answer[0].split("\n")[0].strip() or observation["instruction"]
            return f"search[{query}]"
        if self.think_tokens:
            head = prompt.removesuffix("Action:") + "Thought:"
            thought = self.backend.generate([head], max_new_tokens=self.think_tokens, stop=["\n"])[0]
            prompt = f"{head}{thought.rstrip()}\nAction:"
        options = webshop().clickables(observation)
        logp = score_continuations(self.backend, prompt, [f"{space}click[{x}]" for x in options])
        if deterministic:
            return f"click[{options[int(np.argmax(logp))]}]"
        p = np.exp(logp - np.logaddexp.reduce(logp))
        return f"click[{options[int(self.rng.choice(len(options), p=p / p.sum()))]}]"

    def predict(
        self, observation: dict[str, str], state: Any = None, episode_start: Any = None, deterministic: bool = False
    ) -> tuple[str, Any]:
        """Stable-Baselines3's ``PolicyPredictor.predict`` for one observation."""
        return self.act(observation, deterministic), state


class RandomClickAgent:
    """Search ``queries[instruction]`` (the instruction itself when it has none), then click uniformly at random.

    Example:
        >>> agent = RandomClickAgent({"i need a red mug": "red mug"}, seed=0)
        >>> agent.act({"instruction": "i need a red mug",
        ...            "available_actions": '{"has_search_bar": true, "clickables": ["search"]}'})
        'search[red mug]'
        >>> agent.act({"instruction": "i need a red mug",
        ...            "available_actions": '{"has_search_bar": false, "clickables": ["b01", "b02"]}'})
        'click[b02]'
    """

    def __init__(self, queries: Mapping[str, str] | None = None, seed: int | None = None) -> None:
        self.queries = dict(queries or {})
        self.rng = np.random.default_rng(seed)

    def act(self, observation: dict[str, str], deterministic: bool = False) -> str:
        """The action for one page."""
        shop = webshop()
        if shop.has_search_bar(observation):
            instruction = observation["instruction"]
            return f"search[{self.queries.get(instruction, instruction)}]"
        options = shop.clickables(observation)
        return f"click[{options[int(self.rng.integers(len(options)))]}]"

    def predict(
        self, observation: dict[str, str], state: Any = None, episode_start: Any = None, deterministic: bool = False
    ) -> tuple[str, Any]:
        """Stable-Baselines3's ``PolicyPredictor.predict`` for one observation."""
        return self.act(observation, deterministic), state
