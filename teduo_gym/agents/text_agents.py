"""Agents whose actions are texts, for environments played as :class:`~teduo_gym.envs.TextEpisodes`.

- :class:`TextLLMAgent` -- where the observation offers candidate actions, the LLM scores each and takes the
  likeliest (GLAM-style, so it never emits an invalid action); where it offers an open action (e.g.
  ``search[`` ... ``]``), the LLM writes its text. With a worked-example prompt (and optionally ``think_tokens``) it
  is a prompted ReAct-style baseline; fine-tuned, it is TEDUO's agent.
- :class:`RandomTextAgent` -- writes given texts (or the instruction) into open actions and picks candidates at
  random: the behaviour policy of text data (with LLM-written texts) and the random baseline.
- :class:`ScriptedTextAgent` -- the environment's scripted player on each instruction's reading, mixed with random
  actions: the purposeful behaviour policy of text data.

All follow Stable-Baselines3's ``predict(observation, state, episode_start, deterministic)`` protocol with one
observation and return an action string; :meth:`act` is the same without the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from teduo_gym.envs.knowledge import TextEpisodes
from teduo_gym.labeling.outcomes import score_continuations
from teduo_gym.llm.base import LLMBackend

__all__ = ["RandomTextAgent", "ScriptedTextAgent", "TextLLMAgent"]


class _TextAgent:
    """What both text agents share: one observation at a time through SB3's ``predict``, and a seedable ``rng``."""

    rng: np.random.Generator

    def act(self, observation: Any, deterministic: bool = False) -> str:
        """The action for one observation."""
        raise NotImplementedError

    def predict(
        self, observation: Any, state: Any = None, episode_start: Any = None, deterministic: bool = False
    ) -> tuple[str, Any]:
        """Stable-Baselines3's ``PolicyPredictor.predict`` for one observation."""
        return self.act(observation, deterministic), state

    def seed(self, seed: int | None) -> None:
        """Reseed the agent's randomness."""
        self.rng = np.random.default_rng(seed)


class TextLLMAgent(_TextAgent):
    """Act with an LLM on text episodes: write the open action's text, or score the candidate actions.

    The prompt is ``template`` filled with the instruction (``{goal}``) and the state text (``{state}``) of
    ``episodes``; it ends with "Action:". An open action's text is the greedy continuation of the prompt + its
    prefix up to its suffix (the instruction when empty); a candidate is ``argmax_a log p(" " + a | prompt)``
    (sampled from their normalised likelihoods with ``deterministic=False``). With ``think_tokens > 0`` the LLM
    first writes a thought (ReAct) after "Thought:", which then precedes "Action:".

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> from teduo_gym.llm import TransformersBackend
        >>> with knowledge_for("teduo/WebShop-v0").text_episodes() as shop:  # doctest: +SKIP
        ...     agent = TextLLMAgent(TransformersBackend(), shop, shop.act_template)
        ...     agent.act(shop.reset(0))
        'search[hair dryer]'

    Args:
        backend: the LLM.
        episodes: the environment's text episodes (state text, instruction and actions of an observation).
        template: the prompt, with ``{goal}`` and ``{state}``, ending with "Action:".
        open_tokens: the longest text of an open action, in tokens.
        think_tokens: the longest thought before choosing among candidates (0: no thought).
        seed: seeds sampling when ``deterministic=False``.
    """

    def __init__(
        self,
        backend: LLMBackend,
        episodes: TextEpisodes,
        template: str,
        *,
        open_tokens: int = 12,
        think_tokens: int = 0,
        seed: int | None = None,
    ) -> None:
        if "{goal}" not in template or "{state}" not in template or not template.endswith("Action:"):
            raise ValueError(f"template must hold {{goal}} and {{state}} and end with 'Action:', got {template!r}")
        self.backend, self.episodes, self.template = backend, episodes, template
        self.open_tokens, self.think_tokens = open_tokens, think_tokens
        self.rng = np.random.default_rng(seed)

    def prompt(self, observation: Any) -> str:
        """The prompt for one observation."""
        state = self.episodes.state_text(observation)
        return self.template.format(goal=self.episodes.instruction(observation), state=state)

    def act(self, observation: Any, deterministic: bool = True) -> str:
        """The action for one observation."""
        prompt = self.prompt(observation)
        space = "" if self.backend.chat else " "
        choices = self.episodes.choices(observation)
        if not choices.candidates:
            answer = self.backend.generate(
                [prompt + space + choices.prefix], max_new_tokens=self.open_tokens, stop=[choices.suffix or "\n"]
            )
            return choices.open(answer[0].split("\n")[0].strip() or self.episodes.instruction(observation))
        if self.think_tokens:
            head = prompt.removesuffix("Action:") + "Thought:"
            thought = self.backend.generate([head], max_new_tokens=self.think_tokens, stop=["\n"])[0]
            prompt = f"{head}{thought.rstrip()}\nAction:"
        options = choices.candidates
        logp = score_continuations(self.backend, prompt, [f"{space}{a}" for a in options])
        if deterministic:
            return options[int(np.argmax(logp))]
        p = np.exp(logp - np.logaddexp.reduce(logp))
        return options[int(self.rng.choice(len(options), p=p / p.sum()))]


class RandomTextAgent(_TextAgent):
    """Write ``texts[instruction]`` (the instruction itself when it has none) into open actions; pick candidates
    uniformly at random.

    Example:
        >>> from teduo_gym.envs import ActionChoices
        >>> class Shop:
        ...     def instruction(self, observation): return "i need a red mug"
        ...     def choices(self, observation): return observation
        >>> agent = RandomTextAgent(Shop(), {"i need a red mug": "red mug"}, seed=0)
        >>> agent.act(ActionChoices(prefix="search[", suffix="]")), agent.act(ActionChoices(("click[a]", "click[b]")))
        ('search[red mug]', 'click[b]')
    """

    def __init__(self, episodes: TextEpisodes, texts: Mapping[str, str] | None = None, seed: int | None = None):
        self.episodes = episodes
        self.texts = dict(texts or {})
        self.rng = np.random.default_rng(seed)

    def act(self, observation: Any, deterministic: bool = False) -> str:
        """The action for one observation."""
        choices = self.episodes.choices(observation)
        if not choices.candidates:
            instruction = self.episodes.instruction(observation)
            return choices.open(self.texts.get(instruction, instruction))
        return choices.candidates[int(self.rng.integers(len(choices.candidates)))]


class ScriptedTextAgent(RandomTextAgent):
    """An epsilon-mixture of the environment's scripted player (:meth:`~teduo_gym.envs.TextEpisodes.scripted_action`,
    following each instruction's reading) and :class:`RandomTextAgent`: each action is random with probability
    ``epsilon``, or where the script has none for the page.

    Example:
        >>> from teduo_gym.envs import ActionChoices
        >>> class Shop:
        ...     def instruction(self, observation): return "i need a red mug"
        ...     def choices(self, observation): return ActionChoices(("click[a]", "click[b]"))
        ...     def scripted_action(self, observation, choice): return f"click[{choice['pick']}]"
        >>> agent = ScriptedTextAgent(Shop(), {"i need a red mug": {"pick": "b"}}, epsilon=0.0, seed=0)
        >>> agent.act(None)
        'click[b]'

    Args:
        episodes: the environment's text episodes.
        readings: each instruction -> its reading (a choice of the environment's outcome schema).
        epsilon: the probability of a random action, in ``[0, 1]``.
        texts: the random actions' open-action texts (:class:`RandomTextAgent`).
        seed: seeds the mixture and the random actions (:attr:`rng`).
    """

    def __init__(
        self,
        episodes: TextEpisodes,
        readings: Mapping[str, Mapping[str, str]],
        epsilon: float,
        texts: Mapping[str, str] | None = None,
        seed: int | None = None,
    ):
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
        super().__init__(episodes, texts, seed)
        self.readings, self.epsilon = readings, float(epsilon)

    def act(self, observation: Any, deterministic: bool = False) -> str:
        """The script's action for one observation, or with probability ``epsilon`` a random one."""
        if self.rng.random() >= self.epsilon:
            reading = self.readings[self.episodes.instruction(observation)]
            action = self.episodes.scripted_action(observation, reading)
            if action is not None:
                return action
        return super().act(observation, deterministic)
