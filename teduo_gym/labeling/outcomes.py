"""Hindsight labels of the outcomes of text episodes, by an LLM judge or compiled, and how well they match the true
reward.

- :func:`score_continuations` -- log-likelihoods of candidate continuations of one prompt; with a local model the
  prompt runs once and its key/value cache is shared by all candidates.
- :class:`CriteriaJudge` -- scores an outcome against a goal on the environment's criteria: one yes/no question
  each, answered by comparing the likelihoods of " yes" and " no" (never free text), calibrated against a
  content-free outcome and goal ("N/A"; contextual calibration, Zhao et al., 2021, "Calibrate Before Use"), so a
  small model's bias towards one answer cancels; cached on disk per (criterion, goal, outcome).
- :func:`hindsight_goals` -- the goals an outcome is judged against: its episode's own goal and the training goals
  whose instructions share the most words with the outcome.
- :func:`label_outcomes` -- labels of every outcome, optionally beside the true reward; :class:`OutcomeLabel`;
  given by :func:`judge_rater` (judge mode) or :func:`compiled_rater` (compiled mode: the environment's
  :class:`~teduo_gym.envs.OutcomeSchema` applied by code to each instruction's reading, :class:`InstructionReadings`).
- :func:`label_accuracy` -- agreement of the labels with the true reward at the filtered-BC threshold.

What an environment contributes (the judge's prompt and criteria, how the criteria combine into a reward, the
outcome's text and words, the true reward) comes from its :class:`~teduo_gym.envs.TextEpisodes`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from teduo_gym.core.io import write_json
from teduo_gym.datasets.text_episodes import TextEpisode
from teduo_gym.envs import OutcomeSchema, Slot
from teduo_gym.labeling.abstraction import choose
from teduo_gym.labeling.cache import JudgeCache
from teduo_gym.llm.base import LLMBackend

__all__ = [
    "CriteriaJudge",
    "InstructionReadings",
    "OutcomeLabel",
    "Rater",
    "compiled_rater",
    "hindsight_goals",
    "judge_rater",
    "label_accuracy",
    "label_outcomes",
    "score_continuations",
]

#: The paper's reward threshold for WebShop-like scores in [0, 1] (a label is cloned from it up).
THRESHOLD = 0.6
_WORD = re.compile(r"[a-z]{3,}")


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


@dataclass(frozen=True)
class OutcomeLabel:
    """The judge's reward of one episode's outcome for one goal, and the true reward when known."""

    episode: str
    goal_index: int
    reward: float
    parts: Mapping[str, float]
    true_reward: float | None = None


class CriteriaJudge:
    """Judge outcomes against goals on yes/no criteria with an LLM (scored answers, cached on disk).

    Example:
        >>> from teduo_gym.llm import TransformersBackend
        >>> judge = CriteriaJudge(TransformersBackend(), "runs/cache", "Asked: {goal}\\nGot: {outcome}",
        ...                       {"kind": "Is it the kind asked for?"})  # doctest: +SKIP
        >>> judge.parts("i need a red mug", "Red Mug; price $5.0")  # doctest: +SKIP
        {'kind': 0.71}

    Args:
        backend: the LLM.
        cache_dir: where answers are cached.
        template: what the judge reads before each question, with ``{goal}`` and ``{outcome}``.
        criteria: criterion -> its yes/no question.
    """

    def __init__(self, backend: LLMBackend, cache_dir: str | Path, template: str, criteria: Mapping[str, str]) -> None:
        self.backend, self.template, self.criteria = backend, template, dict(criteria)
        self.cache = JudgeCache(cache_dir, f"{backend.name}|{template}|{sorted(self.criteria.items())}|calibrated")
        space = "" if backend.chat else " "
        self.candidates = [f"\nQ: {q}\nA:{space}{a}" for q in self.criteria.values() for a in ("yes", "no")]
        self._bias: np.ndarray | None = None

    def _yes_minus_no(self, goal: str, outcome: str) -> np.ndarray:
        """``log p(yes) - log p(no)`` of each criterion (the question's own tokens cancel out)."""
        logp = score_continuations(self.backend, self.template.format(goal=goal, outcome=outcome), self.candidates)
        return logp[0::2] - logp[1::2]

    def parts(self, goal: str, outcome: str) -> dict[str, float]:
        """Calibrated ``p(yes)`` of each criterion for ``outcome`` (its text) and ``goal``."""
        cached = {c: self.cache.get(f"{c}\n{goal}", [outcome])[0] for c in self.criteria}
        if all(v is not None for v in cached.values()):
            return {c: float(v) for c, v in cached.items()}  # type: ignore[arg-type]
        if self._bias is None:
            self._bias = self._yes_minus_no("N/A", "N/A")
        p_yes = 1.0 / (1.0 + np.exp(self._bias - self._yes_minus_no(goal, outcome)))
        for criterion, p in zip(self.criteria, p_yes):
            self.cache.put(f"{criterion}\n{goal}", [outcome], [float(p)])
            self.cache.save(f"{criterion}\n{goal}")
        return {c: float(p) for c, p in zip(self.criteria, p_yes)}


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def hindsight_goals(episode: TextEpisode, goals: Mapping[int, str], k: int, words: str) -> list[int]:
    """The episode's own goal, then the ``k`` goals whose instructions share the most words with ``words`` (the
    outcome's; Jaccard similarity of their word sets; ties by goal index).

    Example:
        >>> e = TextEpisode("0", 1, "a blue cup", (), (), {"title": "Red Ceramic Mug"})
        >>> hindsight_goals(e, {1: "a blue cup", 2: "a large red mug", 3: "green socks"}, 1, "Red Ceramic Mug large")
        [1, 2]
    """
    found = _words(words)

    def similarity(index: int) -> float:
        wanted = _words(goals[index])
        return len(found & wanted) / max(1, len(found | wanted))

    others = sorted((g for g in goals if g != episode.goal_index), key=lambda g: (-similarity(g), g))
    return [episode.goal_index, *others[:k]]


#: How a label is given: ``(instruction, outcome) -> (reward, parts)``.
Rater = Callable[[str, Mapping[str, Any]], tuple[float, Mapping[str, float]]]


def judge_rater(
    judge: CriteriaJudge,
    combine: Callable[[Mapping[str, float]], float],
    outcome_text: Callable[[Mapping[str, Any]], str],
) -> Rater:
    """Labels by ``judge``: its ``parts`` per criterion for the outcome's text, combined into a reward by ``combine``
    (judge mode)."""

    def rate(instruction: str, outcome: Mapping[str, Any]) -> tuple[float, Mapping[str, float]]:
        parts = judge.parts(instruction, outcome_text(outcome))
        return combine(parts), parts

    return rate


class InstructionReadings(Mapping[str, Mapping[str, str]]):
    """Instructions read into an outcome schema's slots on first use (:func:`~teduo_gym.labeling.choose`), each once:
    kept in a JSON file, so a rerun reads none again; ``readings[instruction]`` reads a missing one.

    Example:
        >>> import tempfile
        >>> from teduo_gym.envs import Slot
        >>> colour = Slot("colour", "Which colour?", ("red", "blue"))
        >>> readings = InstructionReadings(None, [colour], Path(tempfile.mkdtemp()) / "readings.json")
        >>> readings["a blue mug"], len(readings)
        ({'colour': 'blue'}, 1)

    Args:
        backend: the LLM that reads (None: the similarity prior alone).
        slots: the schema's slots.
        path: the JSON file of the readings.
    """

    def __init__(self, backend: LLMBackend | None, slots: Sequence[Slot], path: str | Path) -> None:
        self.backend, self.slots, self.path = backend, list(slots), Path(path)
        self._read: dict[str, dict[str, str]] = json.loads(self.path.read_text()) if self.path.is_file() else {}

    def read(self, instructions: Sequence[str]) -> None:
        """Read the instructions not read yet (one batch) and save them."""
        missing = sorted(set(instructions) - set(self._read))
        if missing:
            self._read.update(zip(missing, choose(self.backend, missing, self.slots)))
            write_json(self.path, self._read, indent=1)

    def __getitem__(self, instruction: str) -> Mapping[str, str]:
        self.read([instruction])
        return self._read[instruction]

    def __iter__(self) -> Iterator[str]:
        return iter(self._read)

    def __len__(self) -> int:
        return len(self._read)


def compiled_rater(schema: OutcomeSchema, readings: Mapping[str, Mapping[str, str]]) -> Rater:
    """Labels by code (compiled mode): the schema's reward of the outcome under the instruction's reading, a choice
    of ``schema.slots`` made once per instruction (``readings``, e.g. by :func:`~teduo_gym.labeling.choose`).

    Example:
        >>> class Schema:
        ...     slots = ()
        ...     def reward(self, choice, outcome): return {"total": float(choice["colour"] == outcome["colour"])}
        >>> rate = compiled_rater(Schema(), {"a red mug": {"colour": "red"}})
        >>> rate("a red mug", {"colour": "red"})
        (1.0, {'total': 1.0})
    """

    def rate(instruction: str, outcome: Mapping[str, Any]) -> tuple[float, Mapping[str, float]]:
        parts = schema.reward(readings[instruction], outcome)
        return float(parts["total"]), parts

    return rate


def label_outcomes(
    episodes: Sequence[TextEpisode],
    goals: Mapping[int, str],
    rate: Rater,
    *,
    outcome_words: Callable[[Mapping[str, Any]], str],
    hindsight: int = 3,
    truth: Callable[[Mapping[str, Any], int], float] | None = None,
    progress: bool = True,
) -> list[OutcomeLabel]:
    """Label each outcome for its own goal and ``hindsight`` more goals (:func:`hindsight_goals`) with ``rate``
    (:func:`judge_rater` or :func:`compiled_rater`).

    ``goals`` maps the training goals' indices to their instructions; an episode's own goal is labelled even when
    not among them. The true reward of a label is ``truth(outcome, goal)`` when given, else the episode's reward
    for its own goal (the environment's), else None.
    """
    labels = []
    ended = [e for e in episodes if e.outcome is not None]
    for episode in tqdm(ended, desc="label", disable=not progress):
        assert episode.outcome is not None
        candidates = {**goals, episode.goal_index: episode.instruction}
        for goal in hindsight_goals(episode, candidates, hindsight, outcome_words(episode.outcome)):
            instruction = episode.instruction if goal == episode.goal_index else goals[goal]
            reward, parts = rate(instruction, episode.outcome)
            if truth is not None:
                true: float | None = truth(episode.outcome, goal)
            else:
                true = episode.reward if goal == episode.goal_index else None
            labels.append(OutcomeLabel(episode.key, goal, reward, dict(parts), true))
    return labels


def label_accuracy(
    labels: Sequence[OutcomeLabel], threshold: float = THRESHOLD, true_threshold: float = THRESHOLD
) -> dict[str, Any]:
    """How the labels match the true reward, over labels whose true reward is known: the accuracy of "label >=
    threshold" (the filtered-BC decision) as a prediction of "true reward >= true_threshold" (the paper's bar, 0.6),
    its precision and recall, the mean absolute error and the correlation of label and true reward.

    Example:
        >>> ls = [OutcomeLabel("0", 0, 0.7, {}, 1.0), OutcomeLabel("0", 1, 0.7, {}, 0.2),
        ...       OutcomeLabel("1", 0, 0.1, {}, 0.0)]
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
