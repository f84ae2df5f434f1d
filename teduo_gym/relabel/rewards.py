"""Rewards of relabelled instructions: embedding similarity (OIR's), and ground truth for evaluation.

- :class:`EmbeddingReward` -- ``cos(embed(instruction), embed(state text)) >= threshold``, instruction embeddings
  computed once, vectorised over a batch of states.
- :func:`achievement_rewards` -- the ground truth of an achievement instruction: 1 at the step where the last of
  its achievements is unlocked.
- :class:`Agreement` -- how often the embedding reward agrees with the ground truth (per episode), and by how
  many steps its first reward misses the true one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from teduo_gym.llm.embedding import TextEmbedder
from teduo_gym.relabel.trajectory import Trajectory

__all__ = ["Agreement", "EmbeddingReward", "achievement_rewards"]


class EmbeddingReward:
    """Binary rewards of instructions on state texts: cosine similarity of their embeddings above a threshold.

    Zhang et al. (2025) reward a relabelled instruction where the state's embedding is close enough to the
    instruction's: ``r_i(s) = 1[cos(e(instruction_i), e(text(s))) >= threshold]``. The :class:`Relabeler` and the
    OIR trainer give it each step's *changes* (:attr:`Trajectory.change_texts`, ``"inventory: nothing -> wood 1;
    achieved collect wood"``) rather than the whole state: a whole Craftax state text mentions everything in view,
    so no short instruction came near the threshold on it ("drink water" vs a state beside water: 0.35).

    Args:
        embedder: the sentence embedder.
        instructions: the instructions (embedded once, here).
        threshold: the similarity above which a state achieves an instruction.

    Example:
        >>> from teduo_gym.llm.embedding import shared_embedder
        >>> reward = EmbeddingReward(shared_embedder(), ["collect wood", "drink water"], threshold=0.4)
        >>> reward(["inventory: wood 1; facing: tree", "facing: water; drink 9"]).astype(int).tolist()
        [[1, 0], [0, 1]]
    """

    def __init__(self, embedder: TextEmbedder, instructions: Sequence[str], threshold: float = 0.5):
        self.embedder = embedder
        self.instructions = list(instructions)
        self.threshold = threshold
        self.embeddings = embedder.embed(self.instructions)

    def similarity(self, states: Sequence[str]) -> np.ndarray:
        """Cosine similarities, shape ``(len(states), len(instructions))``; an empty text's are -1 (never rewarded)."""
        out = np.full((len(states), len(self.instructions)), -1.0, np.float32)
        rows = [i for i, text in enumerate(states) if text]
        if rows:
            out[rows] = self.embedder.embed([states[i] for i in rows]) @ self.embeddings.T
        return out

    def __call__(self, states: Sequence[str]) -> np.ndarray:
        """Rewards (booleans), shape ``(len(states), len(instructions))``."""
        return self.similarity(states) >= self.threshold


def achievement_rewards(trajectory: Trajectory, achievements: Sequence[str]) -> np.ndarray | None:
    """Ground-truth rewards of an instruction asking for ``achievements``: True at the step where all of them have
    been unlocked for the first time (None when the trajectory has no achievement flags, or names none of them).

    Example:
        >>> t = Trajectory("x", ["a", "b", "c"], np.array([[0, 0], [1, 0], [1, 1]], bool), ("wood", "table"))
        >>> achievement_rewards(t, ["wood"]).tolist(), achievement_rewards(t, ["wood", "table"]).tolist()
        ([False, True, False], [False, False, True])
    """
    if trajectory.achievements is None or not achievements:
        return None
    names = trajectory.achievement_names
    if any(a not in names for a in achievements):
        return None
    done = np.asarray(np.asarray(trajectory.achievements, bool)[:, [names.index(a) for a in achievements]].all(axis=1))
    return done & ~np.concatenate([[False], done[:-1]])


@dataclass
class Agreement:
    """Episode-level agreement of predicted rewards with the ground truth, accumulated with :meth:`add`.

    Example:
        >>> a = Agreement()
        >>> a.add(np.array([0, 1, 1], bool), np.array([0, 1, 0], bool))
        >>> a.add(np.array([0, 0, 0], bool), np.array([0, 0, 1], bool))
        >>> a.precision, a.recall, a.mean_step_offset
        (1.0, 0.5, 0.0)
    """

    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    true_negative: int = 0
    step_offset_sum: int = 0

    def add(self, predicted: np.ndarray, truth: np.ndarray) -> None:
        """Count one episode: does any predicted reward fire, does the true one; and how far apart they first fire."""
        fired, true = bool(np.any(predicted)), bool(np.any(truth))
        if fired and true:
            self.true_positive += 1
            self.step_offset_sum += abs(int(np.argmax(predicted)) - int(np.argmax(truth)))
        elif fired:
            self.false_positive += 1
        elif true:
            self.false_negative += 1
        else:
            self.true_negative += 1

    @property
    def precision(self) -> float:
        """Of the episodes rewarded, the fraction truly achieved (nan when none rewarded)."""
        n = self.true_positive + self.false_positive
        return self.true_positive / n if n else float("nan")

    @property
    def recall(self) -> float:
        """Of the episodes truly achieved, the fraction rewarded (nan when none achieved)."""
        n = self.true_positive + self.false_negative
        return self.true_positive / n if n else float("nan")

    @property
    def accuracy(self) -> float:
        """The fraction of episodes where reward and ground truth agree."""
        n = self.true_positive + self.false_positive + self.false_negative + self.true_negative
        return (self.true_positive + self.true_negative) / n if n else float("nan")

    @property
    def mean_step_offset(self) -> float:
        """Mean |first rewarded step - true step| over the episodes both reward."""
        return self.step_offset_sum / self.true_positive if self.true_positive else float("nan")
