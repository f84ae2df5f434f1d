"""Filters between the LLM's proposals and the instruction buffer: duplicates and unsupported instructions go.

- :class:`InstructionFilter` -- per trajectory: drops exact duplicates (after :func:`normalize`) and near
  duplicates (embedding similarity), then instructions the trajectory does not support: an achievement
  instruction needs its achievements unlocked in the trajectory, any other one needs a step whose changes
  (:attr:`Trajectory.change_texts`) are similar enough to it (the reward's own test, so every kept instruction is
  rewarded somewhere in its trajectory).
- :class:`Verdict` -- the kept instructions, with their achievements, and the dropped ones with their reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from teduo_gym.llm.embedding import TextEmbedder
from teduo_gym.relabel.achievements import AchievementMatcher, normalize
from teduo_gym.relabel.rewards import EmbeddingReward
from teduo_gym.relabel.trajectory import Trajectory

__all__ = ["InstructionFilter", "Verdict"]


@dataclass
class Verdict:
    """The filter's decision on one trajectory's proposals.

    Attributes:
        kept: ``(instruction, achievements)`` pairs; ``achievements`` is empty for open-ended instructions.
        dropped: ``(instruction, reason)`` pairs; reasons are ``"duplicate"`` or ``"unsupported"`` with a detail.
    """

    kept: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)


class InstructionFilter:
    """Keep the proposals a trajectory supports, without duplicates.

    Args:
        embedder: the sentence embedder.
        matcher: instruction -> achievements (None: every instruction is checked by similarity).
        duplicate_threshold: two instructions at least this similar are duplicates.
        support_threshold: an open-ended instruction needs a step's change text at least this similar.

    Example:
        >>> from teduo_gym.llm.embedding import shared_embedder
        >>> states = ["wood: 0; facing: grass", "wood: 0; facing: tree", "wood: 1; facing: tree"]
        >>> t = Trajectory("eat a cow", states, np.array([[False], [False], [True]]), ("collect_wood",))
        >>> f = InstructionFilter(shared_embedder(), AchievementMatcher(t.achievement_names))
        >>> v = f.filter(t, ["collect wood", "Collect the wood", "collect wood", "defeat a dragon", "face a tree"])
        >>> v.kept
        [('collect wood', ('collect_wood',)), ('face a tree', ())]
        >>> [reason.split(" (")[0] for _, reason in v.dropped]
        ['duplicate', 'duplicate', 'unsupported: no change similar enough']
    """

    def __init__(
        self,
        embedder: TextEmbedder,
        matcher: AchievementMatcher | None = None,
        *,
        duplicate_threshold: float = 0.9,
        support_threshold: float = 0.5,
    ):
        self.embedder = embedder
        self.matcher = matcher
        self.duplicate_threshold = duplicate_threshold
        self.support_threshold = support_threshold

    def filter(self, trajectory: Trajectory, instructions: Sequence[str]) -> Verdict:
        """Decide on one trajectory's proposed instructions, in order (an earlier one wins a duplicate)."""
        verdict = Verdict()
        unique: list[str] = []
        for text in instructions:
            if normalize(text) in {normalize(u) for u in unique}:
                verdict.dropped.append((text, "duplicate"))
            else:
                unique.append(text)
        if not unique:
            return verdict
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
