"""An LLM that judges whether a state achieves a goal.

- :class:`LLMGoalJudge` -- asks the LLM "is the goal achieved?" about a state's text and compares the
  likelihoods of "yes" and "no"; a :class:`~teduo_gym.wrappers.GoalDetector`, so it can give a
  :class:`~teduo_gym.wrappers.LanguageGoalWrapper` its rewards.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from teduo_gym.llm.base import LLMBackend
from teduo_gym.wrappers.language_goal import GoalDetector
from teduo_gym.wrappers.text_observation import Describer, call_describer

__all__ = ["JUDGE_TEMPLATE", "LLMGoalJudge"]

#: The judge's prompt (TEDUO's hindsight-labelling question); ``{state}`` and ``{goal}`` are filled in.
JUDGE_TEMPLATE = (
    "You see the state of an environment and a goal.\n"
    "State:\n{state}\n"
    "Goal: {goal}\n"
    "Is the goal achieved in this state? Answer yes or no.\n"
    "Answer:"
)


class LLMGoalJudge(GoalDetector):
    """An LLM judge of goal achievement: ``p(yes) / (p(yes) + p(no)) > threshold``.

    Both answers are scored in one forward pass, so the LLM can never answer off-format. Judgements are cached
    per (goal, state text), so a state seen again costs nothing. With a
    :class:`~teduo_gym.wrappers.LanguageGoalWrapper`, ``track="desired"`` asks one question per step instead of
    one per goal.

    Example:
        >>> from teduo_gym.llm import TransformersBackend
        >>> judge = LLMGoalJudge(TransformersBackend(), lambda env, obs: obs)  # doctest: +SKIP
        >>> judge.judge(["go to the red ball"], ["a red ball 1 step forward"])  # doctest: +SKIP
        array([0.62])

    Args:
        backend: the LLM.
        describer: turns ``(env, observation)`` into the state's text.
        template: the question, with ``{state}`` and ``{goal}``.
        threshold: the probability of "yes" above which a goal counts as achieved.
        cache_size: how many judgements to keep.
    """

    def __init__(
        self,
        backend: LLMBackend,
        describer: Describer,
        *,
        template: str = JUDGE_TEMPLATE,
        threshold: float = 0.5,
        cache_size: int = 100_000,
    ):
        self.backend = backend
        self.describer = describer
        self.template = template
        self.threshold = threshold
        self.answers = ["yes", "no"] if getattr(backend, "chat", False) else [" yes", " no"]
        self._goals: tuple[str, ...] = ()
        self._cache: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._cache_size = cache_size

    def judge(self, goals: Sequence[str], states: Sequence[str]) -> np.ndarray:
        """The probability that ``states[i]`` achieves ``goals[i]``, for every pair, batched and cached."""
        keys = list(zip(goals, states))
        found = {k: self._cache[k] for k in keys if k in self._cache}
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing:
            prompts = [self.template.format(goal=g, state=s) for g, s in missing]
            logp = np.asarray(self.backend.score(prompts, self.answers), dtype=np.float64)
            p_yes = 1.0 / (1.0 + np.exp(logp[:, 1] - logp[:, 0]))
            found.update(zip(missing, p_yes.tolist()))
            self._cache.update((k, found[k]) for k in missing)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return np.array([found[k] for k in keys])

    def reset(self, env: gym.Env, observation: Any, goals: Sequence[str], desired: int) -> Any:
        """Remember the goal vocabulary."""
        self._goals = tuple(goals)
        return observation

    def detect(self, env: gym.Env, observation: Any, action: Any | None, goal_ids: np.ndarray) -> np.ndarray:
        """Judge the state's text against each goal of ``goal_ids``."""
        text = call_describer(self.describer, env, observation, max_length=1 << 16)
        return self.judge([self._goals[i] for i in goal_ids], [text] * len(goal_ids)) > self.threshold
