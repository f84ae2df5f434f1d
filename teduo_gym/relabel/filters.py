"""Filters between the LLM's proposals and the instruction buffer: what restates the state, names no change,
repeats another instruction or is not supported goes. Nothing here is specific to an environment: the rules read
state texts as :func:`~teduo_gym.relabel.trajectory.split_state` does (``key: item, item`` lines).

- :class:`InstructionFilter` -- per trajectory, in order: drops exact duplicates (after :func:`normalize`);
  instructions that restate the state (:func:`restates_state`: a number, or the words of one of the describer's
  lines); instructions that name nothing that changed (:func:`changed_words`); near duplicates (embedding
  similarity) of an earlier proposal, while a near duplicate of a ``known`` instruction (the buffer's) takes that
  instruction's text; then instructions the trajectory does not support: an achievement instruction needs its
  achievements unlocked in the trajectory, any other one needs a step whose changes
  (:attr:`Trajectory.change_texts`) are similar enough to it (the reward's own test, so every kept instruction is
  rewarded somewhere in its trajectory).
- :class:`Verdict` -- the kept instructions, with their achievements, and the dropped ones with their reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from teduo_gym.llm.embedding import TextEmbedder
from teduo_gym.relabel.achievements import AchievementMatcher, content_words, normalize
from teduo_gym.relabel.rewards import EmbeddingReward
from teduo_gym.relabel.trajectory import Trajectory, split_state

__all__ = ["InstructionFilter", "Verdict", "changed_words", "restates_state"]

_DIGIT = re.compile(r"\d")
# What a change text says besides the items themselves.
_CHANGE_WORDS = frozenset({"nothing", "achieved"})


def _line_words(states: Sequence[str], skip: Sequence[str] = ()) -> set[frozenset[str]]:
    """The content words of every line (a key and its items) of the state texts, keys in ``skip`` aside."""
    return {
        content_words(f"{key} {' '.join(items)}")
        for state in states
        for key, items in split_state(state).items()
        if key not in skip
    }


def restates_state(instruction: str, states: Sequence[str], overlap: float = 0.8) -> bool:
    """Whether an instruction restates a state rather than naming an outcome: it holds a number, names nothing, or at
    least ``overlap`` of its content words are those of one line of a state text (a key and its items).

    Example:
        >>> states = ["inventory: wood 1\\nvitals: food 9, drink 9\\nfacing: tree"]
        >>> [restates_state(text, states) for text in ("eat food 9", "facing tree", "food", "drink water")]
        [True, True, True, False]
    """
    return _restates(instruction, _line_words(states), overlap)


def _restates(instruction: str, lines: set[frozenset[str]], overlap: float) -> bool:
    words = content_words(instruction)
    if _DIGIT.search(instruction) or not words:
        return True
    return any(len(words & line) >= overlap * len(words) for line in lines)


def changed_words(trajectory: Trajectory) -> frozenset[str]:
    """The content words of what changed during a trajectory: the items lost or got at any step
    (:attr:`Trajectory.changes`, keys and ignored keys aside) and the achievements gained.

    Example:
        >>> t = Trajectory("x", ["facing: grass; inventory: nothing", "facing: tree; inventory: nothing"])
        >>> sorted(changed_words(t))
        ['grass', 'tree']
    """
    words: set[str] = set()
    for change in (c for step in trajectory.changes for c in step):
        key, sep, items = change.partition(": ")
        words |= content_words(items if sep else change)
    return frozenset(words - _CHANGE_WORDS)


@dataclass
class Verdict:
    """The filter's decision on one trajectory's proposals.

    Attributes:
        kept: ``(instruction, achievements)`` pairs; ``achievements`` is empty for open-ended instructions.
        dropped: ``(instruction, reason)`` pairs; reasons are ``"duplicate"``, ``"restates the state"``, ``"names no
            change"`` or ``"unsupported"`` with a detail.
    """

    kept: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)


class InstructionFilter:
    """Keep the proposals a trajectory supports that name an outcome it changed, without duplicates.

    Args:
        embedder: the sentence embedder.
        matcher: instruction -> achievements (None: every instruction is checked by similarity).
        duplicate_threshold: two instructions at least this similar are duplicates.
        support_threshold: an open-ended instruction needs a step's change text at least this similar.
        restate_overlap: an instruction restates the state when this fraction of its content words are one line's
            (:func:`restates_state`).

    Example:
        >>> from teduo_gym.llm.embedding import shared_embedder
        >>> states = ["wood: 0; facing: grass", "wood: 0; facing: tree", "wood: 1; facing: tree"]
        >>> t = Trajectory("eat a cow", states, np.array([[False], [False], [True]]), ("collect_wood",))
        >>> f = InstructionFilter(shared_embedder(), AchievementMatcher(t.achievement_names))
        >>> v = f.filter(t, ["collect wood", "Collect the wood", "wood 1", "defeat a dragon", "face a tree",
        ...                  "place a table by the tree"], known=["collect some wood"])
        >>> v.kept
        [('collect some wood', ('collect_wood',)), ('face a tree', ())]
        >>> [reason.split(" (")[0] for _, reason in v.dropped]
        ['duplicate', 'restates the state', 'names no change', 'unsupported: no change similar enough']
    """

    def __init__(
        self,
        embedder: TextEmbedder,
        matcher: AchievementMatcher | None = None,
        *,
        duplicate_threshold: float = 0.9,
        support_threshold: float = 0.5,
        restate_overlap: float = 0.8,
    ):
        self.embedder = embedder
        self.matcher = matcher
        self.duplicate_threshold = duplicate_threshold
        self.support_threshold = support_threshold
        self.restate_overlap = restate_overlap

    def filter(self, trajectory: Trajectory, instructions: Sequence[str], known: Sequence[str] = ()) -> Verdict:
        """Decide on one trajectory's proposed instructions, in order (an earlier one wins a duplicate); a proposal
        at least ``duplicate_threshold`` similar to one of ``known`` (the buffer's instructions) becomes it."""
        verdict = Verdict()
        unique: list[str] = []
        # An achievement line ("achievements: collect wood") says what was achieved: an outcome, not a state.
        lines, changed = _line_words(trajectory.states, trajectory.flag_keys), changed_words(trajectory)
        for text in instructions:
            if normalize(text) in {normalize(u) for u in unique}:
                verdict.dropped.append((text, "duplicate"))
            elif _restates(text, lines, self.restate_overlap):
                verdict.dropped.append((text, "restates the state"))
            elif not content_words(text) & changed:
                verdict.dropped.append((text, "names no change"))
            else:
                unique.append(text)
        if not unique:
            return verdict
        if known:
            similarity = self.embedder.embed(unique) @ self.embedder.embed(list(known)).T
            closest = similarity.argmax(axis=1)
            unique = [
                known[k] if similarity[row, k] >= self.duplicate_threshold else text
                for row, (text, k) in enumerate(zip(unique, closest))
            ]
        reward = EmbeddingReward(self.embedder, unique, self.support_threshold)
        embeddings = reward.embeddings
        # Each instruction's best similarity to a step's changes: the reward's own test (empty changes score -1).
        best_change = reward.similarity(trajectory.change_texts).max(axis=0, initial=-1.0)
        gained = {name for _, name in trajectory.gained}
        kept_rows: list[int] = []
        for row, text in enumerate(unique):
            if kept_rows and float(np.max(embeddings[kept_rows] @ embeddings[row])) >= self.duplicate_threshold:
                verdict.dropped.append((text, "duplicate"))
                continue
            achievements = self.matcher.match(text) if self.matcher is not None else ()
            if achievements and trajectory.achievements is not None:
                missing = [a for a in achievements if a not in gained]
                if missing:
                    verdict.dropped.append((text, f"unsupported: {', '.join(missing)} not achieved"))
                    continue
            else:
                best = float(best_change[row])
                if best < self.support_threshold:
                    verdict.dropped.append(
                        (text, f"unsupported: no change similar enough (best {best:.2f} < {self.support_threshold})")
                    )
                    continue
            kept_rows.append(row)
            verdict.kept.append((text, achievements))
        return verdict
