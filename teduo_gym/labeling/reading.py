"""Reading goals into a goal schema's slots, and how well it is done.

A slot's answer is scored twice: by the LLM (log-probabilities of the options after the slot's prompt, which
:func:`teduo_gym.labeling.choose` normalises over the options) and by a similarity prior, how closely the words of
the part of the goal the slot reads (``Slot.span``) match the words that name each option (``Slot.descriptions``).

- :func:`option_similarity` -- that prior: cosine similarity of a sentence embedder (the shipped all-MiniLM-L6-v2,
  :class:`teduo_gym.llm.TextEmbedder`), or exact word matches without one.
- :class:`Embedder` -- what an embedder provides; :data:`SIMILARITY_WEIGHT`, :data:`FALLBACK_SIMILARITY` -- the
  measured defaults.
- :func:`slot_accuracy` -- the accuracy of choices against the schema's oracle, per slot and per goal kind;
  :class:`ReadingAccuracy` -- that table, with the slots read wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from teduo_gym.envs import GoalSchema, Slot

__all__ = [
    "FALLBACK_SIMILARITY",
    "SIMILARITY_WEIGHT",
    "Embedder",
    "ReadingAccuracy",
    "choice_accuracy",
    "option_similarity",
    "slot_accuracy",
]

#: Nats of LLM log-probability one unit of similarity is worth: an exact word match (1.0) outweighs an LLM that
#: prefers another option by up to ~5 nats (measured best in docs/results/goal-reading).
SIMILARITY_WEIGHT = 10.0
#: The similarity of an option described by ``""`` (e.g. "any" colour): it wins when no other option is named by a
#: word closer than this.
FALLBACK_SIMILARITY = 0.5


class Embedder(Protocol):
    """Unit-length sentence embeddings (``embed(texts) -> (n, d)``), e.g. :class:`teduo_gym.llm.TextEmbedder`."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit row per text."""
        ...


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def option_similarity(slot: Slot, spans: Sequence[str], embedder: Embedder | None = None) -> np.ndarray:
    """``(len(spans), len(slot.options))``: how closely each span names each option.

    The similarity of a span and an option is the highest, over the span's phrases (runs of up to as many words as
    the option's longest phrase) and the phrases that name the option (its :attr:`~teduo_gym.envs.Slot.descriptions`,
    or its own word), of their cosine similarity under ``embedder``; without one, 1 for the same words and 0
    otherwise. An option described by ``""`` gets :data:`FALLBACK_SIMILARITY`.

    Example:
        >>> slot = Slot("colour", "Which colour?", ("red", "blue", "any"),
        ...             descriptions={"red": "red, crimson", "blue": "blue, navy", "any": ""})
        >>> option_similarity(slot, ["the crimson ball", "a ball"]).tolist()
        [[1.0, 0.0, 0.5], [0.0, 0.0, 0.5]]
    """
    names = [
        [p for p in (" ".join(_words(p)) for p in slot.descriptions.get(o, o).split(",")) if p] for o in slot.options
    ]
    longest = max((len(p.split()) for ps in names for p in ps), default=1)
    phrases = []
    for span in spans:
        w = _words(span)
        phrases.append({" ".join(w[i : i + k]) for k in range(1, longest + 1) for i in range(len(w) - k + 1)})
    rows, columns = sorted(set().union(*phrases)), sorted({p for ps in names for p in ps})
    if embedder is None:
        similar = (np.array(rows, object)[:, None] == np.array(columns, object)[None, :]).astype(np.float64)
    else:
        similar = np.asarray(embedder.embed(rows), np.float64) @ np.asarray(embedder.embed(columns), np.float64).T
    row_of, column_of = {p: i for i, p in enumerate(rows)}, {p: i for i, p in enumerate(columns)}
    out = np.zeros((len(spans), len(slot.options)))
    for j, option_names in enumerate(names):
        if not option_names:
            out[:, j] = FALLBACK_SIMILARITY
            continue
        cols = [column_of[p] for p in option_names]
        for i, span_phrases in enumerate(phrases):
            if span_phrases:
                out[i, j] = similar[np.ix_([row_of[p] for p in span_phrases], cols)].max()
    return out


#: The column of :class:`ReadingAccuracy` that counts a goal right only when every slot is.
ALL = "all"


@dataclass
class ReadingAccuracy:
    """Slot accuracy of a set of readings.

    Attributes:
        slots: the slot names, in the schema's order.
        kinds: the goal kinds, in order of first appearance.
        correct: ``(kind, slot)`` -> goals of that kind whose slot was read right (``slot`` may be ``"all"``).
        counts: kind -> goals of that kind.
        errors: ``(goal, slot, read, expected)`` for every slot read wrong.
    """

    slots: list[str]
    kinds: list[str]
    correct: dict[tuple[str, str], int]
    counts: dict[str, int]
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)

    def accuracy(self, slot: str = ALL, kind: str | None = None) -> float:
        """The accuracy of one slot (``"all"``: every slot right) over one kind (None: every goal)."""
        kinds = self.kinds if kind is None else [kind]
        n = sum(self.counts[k] for k in kinds)
        return sum(self.correct[k, slot] for k in kinds) / n if n else float("nan")

    def table(self) -> dict[str, dict[str, float]]:
        """Row per kind plus ``"all"`` -> column per slot plus ``"all"`` -> accuracy."""
        columns = [*self.slots, ALL]
        rows = {k: {s: self.accuracy(s, k) for s in columns} for k in self.kinds}
        return rows | {ALL: {s: self.accuracy(s) for s in columns}}

    @property
    def worst(self) -> float:
        """The lowest accuracy of any slot on any kind (what a bar such as >= 0.95 is checked against)."""
        return min(self.accuracy(s, k) for k in self.kinds for s in self.slots)


def slot_accuracy(
    schema: GoalSchema,
    goals: Sequence[str],
    choices: Sequence[Mapping[str, str]],
    canonical: Sequence[str] | None = None,
) -> ReadingAccuracy:
    """The accuracy of ``choices`` (one reading per goal) against the schema's ``oracle_choice``, per slot and kind.

    A reworded goal is judged against the oracle of its canonical text (``canonical``, one per goal; default: the
    schema's ``canonical_goal`` of each goal).

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> schema = knowledge_for("BabyAI-GoToLocal-v0").goal_schema({"width": 8, "height": 8})
        >>> goals = ["go to the red ball", "put a key next to the blue box"]
        >>> read = [schema.oracle_choice(g) for g in goals]
        >>> read[1] |= {"object_type": "box", "target_type": "key"}  # roles swapped
        >>> acc = slot_accuracy(schema, goals, read)
        >>> acc.accuracy("object_type"), acc.accuracy("kind"), acc.accuracy("all", "put next to")
        (0.5, 1.0, 0.0)
    """
    if len(choices) != len(goals) or (canonical is not None and len(canonical) != len(goals)):
        raise ValueError(f"{len(goals)} goals need as many choices and canonical texts, got {len(choices)}")
    slots = [s.name if isinstance(s, Slot) else str(s["name"]) for s in schema.slots]
    canonical = [schema.canonical_goal(g) for g in goals] if canonical is None else list(canonical)
    kinds: list[str] = []
    correct: dict[tuple[str, str], int] = {}
    counts: dict[str, int] = {}
    errors: list[tuple[str, str, str, str]] = []
    for goal, text, choice in zip(goals, canonical, choices):
        kind, oracle = schema.goal_kind(text), schema.oracle_choice(text)
        if kind not in counts:
            kinds.append(kind)
            counts[kind] = 0
            correct |= {(kind, s): 0 for s in [*slots, ALL]}
        counts[kind] += 1
        wrong = [s for s in slots if choice.get(s) != oracle.get(s)]
        errors += [(goal, s, str(choice.get(s)), str(oracle.get(s))) for s in wrong]
        for s in [*slots, ALL]:
            correct[kind, s] += s not in wrong and not (s == ALL and wrong)
    return ReadingAccuracy(slots, kinds, correct, counts, errors)


def choice_accuracy(choices: Sequence[Mapping[str, str]], oracles: Sequence[Mapping[str, str]]) -> dict[str, float]:
    """Per slot of the oracles, the share of ``choices`` equal to them, and ``"all"``: whole choices equal (for
    schemas without goal kinds, e.g. an :class:`~teduo_gym.envs.OutcomeSchema`).

    Example:
        >>> choice_accuracy([{"a": "x", "b": "y"}, {"a": "x", "b": "z"}], [{"a": "x", "b": "y"}] * 2)
        {'a': 1.0, 'b': 0.5, 'all': 0.5}
    """
    if not oracles or len(choices) != len(oracles):
        raise ValueError(f"need as many choices as oracles (at least one), got {len(choices)} and {len(oracles)}")
    n = len(oracles)
    table = {s: sum(c.get(s) == o[s] for c, o in zip(choices, oracles)) / n for s in oracles[0]}
    return table | {ALL: sum(dict(c) == dict(o) for c, o in zip(choices, oracles)) / n}
