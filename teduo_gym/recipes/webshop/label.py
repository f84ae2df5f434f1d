"""Hindsight labelling of WebShop purchases by an LLM judge, and how well it matches WebShop's own reward.

- :class:`PurchaseJudge` -- scores a purchase against a goal on WebShop's four criteria (category, attributes,
  options, price): one yes/no question each, answered by comparing the likelihoods of " yes" and " no" (never free
  text), calibrated against a content-free purchase and goal ("N/A"; contextual calibration, Zhao et al., 2021,
  "Calibrate Before Use"), so a small model's bias towards one answer cancels; cached on disk per (criterion, goal,
  purchase). The reward combines them as WebShop's reward does: the category gates (``p_category >= 0.5``) the
  mean of the other three, ``[p_category >= 0.5] * (p_attributes + p_options + p_price) / 3``.
- :func:`hindsight_goals` -- the goals a purchase is judged against: its episode's own goal and the training
  goals whose instructions share the most words with what was bought.
- :func:`label_episodes` -- labels of every purchase, optionally beside the true reward (WebShop's, from the
  ``truth`` its knowledge's ``server`` gives); :class:`Label`.
- :func:`label_accuracy` -- agreement of the labels with the true reward at the filtered-BC threshold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from teduo_gym.labeling.cache import JudgeCache
from teduo_gym.llm.base import LLMBackend
from teduo_gym.offline.filtered_bc import THRESHOLD
from teduo_gym.recipes.webshop.agents import score_continuations
from teduo_gym.recipes.webshop.episodes import Episode

__all__ = [
    "CRITERIA",
    "JUDGE_TEMPLATE",
    "Label",
    "PurchaseJudge",
    "hindsight_goals",
    "label_accuracy",
    "label_episodes",
]

#: What the judge reads before each question.
JUDGE_TEMPLATE = "A shopper asked: {goal}\nThey bought: {purchase}\nAnswer each question with yes or no."
#: WebShop's reward criteria, one question each.
CRITERIA = {
    "category": "Is the bought product the kind of product the shopper asked for?",
    "attributes": "Does the bought product have the features the shopper asked for?",
    "options": "Were the options the shopper asked for (size, color, flavor...) chosen?",
    "price": "Is the price within the shopper's budget?",
}
_WORD = re.compile(r"[a-z]{3,}")


@dataclass(frozen=True)
class Label:
    """The judge's reward of one episode's purchase for one goal, and WebShop's true reward when known."""

    episode: str
    goal_index: int
    reward: float
    parts: Mapping[str, float]
    true_reward: float | None = None


class PurchaseJudge:
    """Judge purchases against goals on WebShop's criteria with an LLM (scored answers, cached on disk).

    Example:
        >>> from teduo_gym.llm import TransformersBackend
        >>> judge = PurchaseJudge(TransformersBackend(), "runs/cache")  # doctest: +SKIP
        >>> judge.parts("i need a red mug", "Red Mug; price $5.0; options: none")  # doctest: +SKIP
        {'category': 0.71, 'attributes': 0.64, 'options': 0.58, 'price': 0.66}
    """

    def __init__(self, backend: LLMBackend, cache_dir: str | Path) -> None:
        self.backend = backend
        self.cache = JudgeCache(cache_dir, f"{backend.name}|{JUDGE_TEMPLATE}|{sorted(CRITERIA.items())}|calibrated")
        space = "" if backend.chat else " "
        self.candidates = [f"\nQ: {q}\nA:{space}{a}" for q in CRITERIA.values() for a in ("yes", "no")]
        self._bias: np.ndarray | None = None

    def _yes_minus_no(self, goal: str, purchase: str) -> np.ndarray:
        """``log p(yes) - log p(no)`` of each criterion (the question's own tokens cancel out)."""
        logp = score_continuations(self.backend, JUDGE_TEMPLATE.format(goal=goal, purchase=purchase), self.candidates)
        return logp[0::2] - logp[1::2]

    def parts(self, goal: str, purchase: str) -> dict[str, float]:
        """Calibrated ``p(yes)`` of each criterion for buying ``purchase`` (a WebShop ``Purchase.text()``) for
        ``goal``."""
        cached = {c: self.cache.get(f"{c}\n{goal}", [purchase])[0] for c in CRITERIA}
        if all(v is not None for v in cached.values()):
            return {c: float(v) for c, v in cached.items()}  # type: ignore[arg-type]
        if self._bias is None:
            self._bias = self._yes_minus_no("N/A", "N/A")
        p_yes = 1.0 / (1.0 + np.exp(self._bias - self._yes_minus_no(goal, purchase)))
        for criterion, p in zip(CRITERIA, p_yes):
            self.cache.put(f"{criterion}\n{goal}", [purchase], [float(p)])
            self.cache.save(f"{criterion}\n{goal}")
        return {c: float(p) for c, p in zip(CRITERIA, p_yes)}

    @staticmethod
    def reward(parts: Mapping[str, float]) -> float:
        """WebShop's combination of the criteria: the category gates the mean of the other three.

        Example:
            >>> PurchaseJudge.reward({"category": 0.8, "attributes": 1.0, "options": 0.5, "price": 0.0})
            0.5
            >>> PurchaseJudge.reward({"category": 0.4, "attributes": 1.0, "options": 1.0, "price": 1.0})
            0.0
        """
        return float(parts["category"] >= 0.5) * (parts["attributes"] + parts["options"] + parts["price"]) / 3


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def hindsight_goals(episode: Episode, goals: Mapping[int, str], k: int) -> list[int]:
    """The episode's own goal, then the ``k`` goals whose instructions share the most words with the purchase
    (Jaccard similarity of their word sets; ties by goal index).

    Example:
        >>> from teduo_gym.recipes.webshop.shop import webshop
        >>> bought = webshop().Purchase("b1", "Red Ceramic Mug", "$5", ("large",))
        >>> e = Episode("0", 1, "a blue cup", (), (), bought)
        >>> hindsight_goals(e, {1: "a blue cup", 2: "a large red mug", 3: "green socks"}, k=1)
        [1, 2]
    """
    assert episode.purchase is not None
    bought = _words(f"{episode.purchase.title} {' '.join(episode.purchase.options)}")

    def similarity(index: int) -> float:
        wanted = _words(goals[index])
        return len(bought & wanted) / max(1, len(bought | wanted))

    others = sorted((g for g in goals if g != episode.goal_index), key=lambda g: (-similarity(g), g))
    return [episode.goal_index, *others[:k]]


def label_episodes(
    episodes: Sequence[Episode],
    goals: Mapping[int, str],
    judge: PurchaseJudge,
    *,
    hindsight: int = 3,
    truth: Callable[[Any, int], float] | None = None,
    progress: bool = True,
) -> list[Label]:
    """Label each purchase for its own goal and ``hindsight`` more goals (:func:`hindsight_goals`).

    ``goals`` maps the training goals' indices to their instructions; an episode's own goal is labelled even when
    not among them. The true reward of a label is ``truth(purchase, goal)`` when given, else the episode's reward
    for its own goal (the environment's), else None.
    """
    labels = []
    bought = [e for e in episodes if e.purchase is not None]
    for episode in tqdm(bought, desc="label", disable=not progress):
        assert episode.purchase is not None
        text = episode.purchase.text()
        for goal in hindsight_goals(episode, {**goals, episode.goal_index: episode.instruction}, hindsight):
            instruction = episode.instruction if goal == episode.goal_index else goals[goal]
            parts = judge.parts(instruction, text)
            if truth is not None:
                true: float | None = truth(episode.purchase, goal)
            else:
                true = episode.reward if goal == episode.goal_index else None
            labels.append(Label(episode.key, goal, PurchaseJudge.reward(parts), parts, true))
    return labels


def label_accuracy(
    labels: Sequence[Label], threshold: float = THRESHOLD, true_threshold: float = THRESHOLD
) -> dict[str, Any]:
    """How the labels match the true reward, over labels whose true reward is known: the accuracy of "label >=
    threshold" (the filtered-BC decision) as a prediction of "true reward >= true_threshold" (the paper's bar, 0.6),
    its precision and recall, the mean absolute error and the correlation of label and true reward.

    Example:
        >>> ls = [Label("0", 0, 0.7, {}, 1.0), Label("0", 1, 0.7, {}, 0.2), Label("1", 0, 0.1, {}, 0.0)]
        >>> a = label_accuracy(ls)
        >>> a["accuracy"], a["precision"], a["recall"], round(a["mean_abs_error"], 2)
        (0.667, 0.5, 1.0, 0.3)
    """
    known = [lb for lb in labels if lb.true_reward is not None]
    if not known:
        return {"pairs": 0}
    predicted = np.array([lb.reward >= threshold for lb in known])
    actual = np.array([lb.true_reward >= true_threshold for lb in known])  # type: ignore[operator]
    labelled = np.array([lb.reward for lb in known])
    true = np.array([lb.true_reward for lb in known], dtype=float)
    both = int((predicted & actual).sum())
    correlated = len(known) > 1 and labelled.std() > 0 and true.std() > 0
    return {
        "pairs": len(known),
        "threshold": threshold,
        "true_threshold": true_threshold,
        "true_positives": int(actual.sum()),
        "labelled_positives": int(predicted.sum()),
        "accuracy": round(float((predicted == actual).mean()), 3),
        "precision": round(both / int(predicted.sum()), 3) if predicted.any() else None,
        "recall": round(both / int(actual.sum()), 3) if actual.any() else None,
        "mean_abs_error": float(np.abs(labelled - true).mean()),
        "correlation": float(np.corrcoef(labelled, true)[0, 1]) if correlated else None,
    }
