"""Goal-conditioned state abstraction: the LLM chooses once per goal, fixed code applies the choice to every state.

The environment's side -- the slots of a choice and how a choice abstracts, describes and checks states -- is its
goal schema (:class:`teduo_gym.envs.GoalSchema`, from ``knowledge_for(env_id).goal_schema(state_layout)``); this
module applies it:

- :func:`choose` -- every :class:`~teduo_gym.envs.Slot` of every goal answered by scoring its options with
  ``backend.score``, batched per slot, plus a similarity prior between the goal's words and each option's
  (:mod:`teduo_gym.labeling.reading`); even a 135M model always gives a well-formed answer.
- :class:`AbstractStates` / :func:`abstract` -- distinct abstract states of a batch of raw states, their ids and
  texts, and the reduction in distinct states; :func:`state_views` -- the same for states of a dataset, from their
  stored texts where there is no goal schema.
- :class:`AbstractTextDescriber` -- the same texts computed online from a live environment, for acting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from teduo_gym.datasets.transitions import TransitionDataset
from teduo_gym.envs import GoalSchema, Slot
from teduo_gym.labeling.reading import SIMILARITY_WEIGHT, Embedder, option_similarity
from teduo_gym.llm.base import LLMBackend

__all__ = ["AbstractStates", "AbstractTextDescriber", "abstract", "choose", "state_views", "unique_rows"]


def choose(
    backend: LLMBackend | None,
    goals: Sequence[str],
    slots: Sequence[Slot | Mapping[str, Any]],
    *,
    embedder: Embedder | None = None,
    similarity_weight: float = SIMILARITY_WEIGHT,
) -> list[dict[str, str]]:
    """Answer every slot for every goal by the best-scoring option (one ``score`` call per slot the LLM reads).

    An option's score is the LLM's log-probability of it after the slot's prompt (normalised over the options),
    plus ``similarity_weight`` times how closely the part of the goal the slot reads names it
    (:func:`~teduo_gym.labeling.reading.option_similarity`: cosine similarity under ``embedder``, such as the
    shipped all-MiniLM-L6-v2, or exact word matches without one). ``similarity_weight=0`` is the LLM alone;
    ``backend=None`` the similarity alone, as are slots with ``llm=False``. A set slot (``many``) takes every option
    whose similarity reaches its ``bar``, less those named inside another taken one, joined by ``"|"``.

    Example:
        >>> class Fake:
        ...     name, chat = "fake", False
        ...     def score(self, prompts, candidates):
        ...         return np.array([[float(c == " blue") for c in candidates] for _ in prompts])
        >>> colour = Slot("colour", "Which colour?", ("red", "blue"), descriptions={"red": "red, crimson"})
        >>> choose(Fake(), ["go to the blue key", "go to the crimson key"], [colour])
        [{'colour': 'blue'}, {'colour': 'red'}]
        >>> choose(Fake(), ["go to the crimson key"], [colour], similarity_weight=0)
        [{'colour': 'blue'}]
        >>> colours = Slot("colours", "Which colours?", ("blue", "navy blue", "red"), many=True)
        >>> choose(None, ["a navy blue or red mug", "a mug"], [colours])
        [{'colours': 'navy blue|red'}, {'colours': ''}]
    """
    choices: list[dict[str, str]] = [{} for _ in goals]
    for slot in (s if isinstance(s, Slot) else Slot(**s) for s in slots):
        asked = [i for i, c in enumerate(choices) if slot.asked(c)]
        for i in set(range(len(goals))) - set(asked):
            choices[i][slot.name] = slot.default
        if not asked:
            continue
        if slot.many:
            similar = option_similarity(slot, [slot.read(goals[i]) for i in asked], embedder)
            for i, row in zip(asked, similar):
                choices[i][slot.name] = "|".join(_named(slot.options, row >= slot.bar))
            continue
        scores = np.zeros((len(asked), len(slot.options)))
        if backend is not None and slot.llm:
            candidates = [o if getattr(backend, "chat", False) else f" {o}" for o in slot.options]
            logits = np.asarray(backend.score([slot.prompt(goals[i]) for i in asked], candidates), np.float64)
            scores += logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
        if similarity_weight:
            scores += similarity_weight * option_similarity(slot, [slot.read(goals[i]) for i in asked], embedder)
        for i, best in zip(asked, scores.argmax(axis=1).tolist()):
            choices[i][slot.name] = slot.options[best]
    return choices


def _named(options: Sequence[str], taken: np.ndarray) -> list[str]:
    """The taken options, less any whose words are a proper part of another taken option's ("blue", "navy blue")."""
    words = {o: set(re.findall(r"[a-z0-9]+", o.lower())) for o, t in zip(options, taken.tolist()) if t}
    return [o for o in words if not any(words[o] < words[other] for other in words)]


@dataclass
class AbstractStates:
    """The distinct abstract states of a batch of raw states under one goal's choice.

    Attributes:
        vectors: ``(K, D')`` uint8, distinct abstract states (``vectors[k].tobytes()`` is hashable).
        ids: ``(S,)`` int64, ``vectors[ids[s]]`` abstracts raw state ``s``.
        texts: ``K`` texts, one per distinct abstract state.
        n_raw: number of distinct raw states.
    """

    vectors: np.ndarray
    ids: np.ndarray
    texts: list[str]
    n_raw: int

    @property
    def reduction(self) -> float:
        """Distinct raw states per distinct abstract state."""
        return self.n_raw / max(len(self.vectors), 1)


def unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a 2-D array: ``(first index of each distinct row, inverse)``, like
    ``np.unique(rows, axis=0, return_index=True, return_inverse=True)`` but through a 128-bit hash of each row
    (two random linear hashes of its 64-bit words), which is ~50x faster on long rows; the result is verified and
    falls back to ``np.unique`` on a collision.

    Example:
        >>> first, inverse = unique_rows(np.array([[1, 2], [3, 4], [1, 2]], np.uint8))
        >>> sorted(first.tolist()), inverse[0] == inverse[2] != inverse[1]
        ([0, 1], np.True_)
    """
    rows = np.ascontiguousarray(rows)
    if rows.size == 0:
        return np.zeros(0, np.int64), np.zeros(len(rows), np.int64)
    raw = rows.reshape(len(rows), -1).view(np.uint8)
    words = np.ascontiguousarray(np.pad(raw, ((0, 0), (0, (-raw.shape[1]) % 8)))).view(np.uint64)
    keys = np.random.default_rng(0x7ED0).integers(1, 2**63, size=(words.shape[1], 2), dtype=np.uint64) | np.uint64(1)
    hashes = words @ keys  # wraps modulo 2**64
    _, first, inverse = np.unique(hashes, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not (raw[first][inverse] == raw).all():  # a hash collision: astronomically rare
        _, first, inverse = np.unique(raw, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    return first.astype(np.int64), inverse.astype(np.int64)


def abstract(abstraction: GoalSchema, states: np.ndarray, choice: Mapping[str, str]) -> AbstractStates:
    """Abstract every state, keep the distinct ones (:func:`unique_rows`), and describe each once.

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> schema = knowledge_for("BabyAI-GoToLocal-v0").goal_schema({"kind": "babyai-symbolic/1", "width": 8,
        ...                                                            "height": 8, "size": 198})
        >>> states = np.zeros((4, 198), np.uint8); states[:, 0] = [1, 5, 6, 7]  # empty, key, ball, box
        >>> a = abstract(schema, states, schema.oracle_choice("go to a key"))
        >>> a.n_raw, len(a.vectors), len(set(a.ids[2:].tolist()))  # the ball and the box become one obstacle
        (4, 3, 1)
    """
    n_raw = len(unique_rows(states)[0])
    vectors = abstraction.abstract(states, choice)
    first, ids = unique_rows(vectors)
    vectors = vectors[first]
    return AbstractStates(vectors, ids, abstraction.describe(vectors, choice), n_raw)


def state_views(
    schema: GoalSchema | None, data: TransitionDataset, ids: np.ndarray, choice: Mapping[str, str]
) -> AbstractStates:
    """The distinct views of the states ``data.states[ids]`` for one goal: :func:`abstract` under the goal's
    ``choice`` where the environment has a goal schema; else the distinct states with their stored texts (what a
    judge reads without a schema).

    Example:
        >>> from teduo_gym.datasets import TransitionDataset
        >>> d = TransitionDataset("Toy-v0", {"kind": "toy"}, np.array([[0], [1], [0]], np.uint8), ["a", "b", "a"],
        ...                       np.array([0, 1]), np.array([0, 1]), np.array([1, 2]), np.array([0, 0]),
        ...                       np.array([7]))
        >>> views = state_views(None, d, d.dst, {})
        >>> views.texts, views.ids.tolist()
        (['a', 'b'], [1, 0])
    """
    if schema is not None:
        return abstract(schema, data.states[ids], choice)
    first, inverse = unique_rows(data.states[ids])
    return AbstractStates(data.states[ids][first], inverse, [data.texts[int(ids[i])] for i in first], len(first))


class AbstractTextDescriber:
    """A describer ``(env, observation) -> str``: the abstract text of the environment's current state under the
    current goal's choice.

    It is the text TEDUO's fine-tuning examples are made of (:func:`teduo_gym.offline.goal_mdps`), computed online,
    so an agent acts at test time on exactly what it was trained on. The goal is the wrapped
    :class:`~teduo_gym.wrappers.LanguageGoalWrapper`'s ``goal``; its choice comes from ``choices`` (a mapping, or a
    function such as the LLM's cached choice for a new goal).

    Example:
        >>> from teduo_gym.envs import knowledge_for
        >>> knowledge = knowledge_for("BabyAI-GoToLocal-v0")
        >>> env = knowledge.make_env()
        >>> _ = env.reset(seed=0, options={"goal": "go to the red ball"})
        >>> abstraction = knowledge.goal_schema(knowledge.state_layout(env))
        >>> describe = AbstractTextDescriber(abstraction, knowledge.symbolic_state, abstraction.oracle_choice)
        >>> describe(env, None).splitlines()[0]
        'You carry nothing.'

    Args:
        abstraction: the environment's goal schema (``knowledge_for(env_id).goal_schema(state_layout)``).
        symbolic_state: ``symbolic_state(env)``, the flat state vector the abstraction reads.
        choices: goal text -> choice, as a mapping or a function.
    """

    def __init__(
        self,
        abstraction: GoalSchema,
        symbolic_state: Callable[[Any], np.ndarray],
        choices: Mapping[str, Mapping[str, str]] | Callable[[str], Mapping[str, str]],
    ):
        self.abstraction = abstraction
        self.symbolic_state = symbolic_state
        self.choices = choices

    def choice(self, goal: str) -> Mapping[str, str]:
        """The choice of ``goal``; a goal missing from a mapping is a clear ``KeyError``."""
        if callable(self.choices):
            return self.choices(goal)
        if goal not in self.choices:
            raise KeyError(f"no abstraction choice for goal {goal!r}: label it first, or pass a function as choices")
        return self.choices[goal]

    def abstract_state(self, env: Any) -> np.ndarray:
        """The abstract vector of ``env``'s current state for its current goal (what offline policies act on)."""
        return self._abstract(env)[0][0]

    def __call__(self, env: Any, observation: Any) -> str:
        """The abstract text of ``env``'s current state for its current goal."""
        vectors, choice = self._abstract(env)
        return self.abstraction.describe(vectors, choice)[0]

    def _abstract(self, env: Any) -> tuple[np.ndarray, Mapping[str, str]]:
        choice = self.choice(env.get_wrapper_attr("goal"))
        return self.abstraction.abstract(self.symbolic_state(env)[None], choice), choice
