"""The relabelling step of OIR: propose, filter, reward -- one call per batch of rollouts.

- :class:`RelabelConfig` -- a frozen config that builds a :class:`Relabeler`.
- :class:`Relabeler` -- ``relabel(trajectories) -> (relabelled, stats)``.
- :class:`RelabelledTrajectory` -- a trajectory with a new instruction and its per-step rewards.
- :class:`RelabelStats` -- how many instructions were proposed, off-format, duplicate, unsupported, kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from teduo_gym.core.paths import cache_root
from teduo_gym.llm.config import LLMConfig, shared_backend
from teduo_gym.llm.embedding import TextEmbedder, shared_embedder
from teduo_gym.relabel.achievements import CRAFTAX_CLASSIC_ACHIEVEMENTS, AchievementMatcher
from teduo_gym.relabel.filters import InstructionFilter
from teduo_gym.relabel.proposer import InstructionProposer
from teduo_gym.relabel.rewards import EmbeddingReward, achievement_rewards
from teduo_gym.relabel.trajectory import Trajectory

__all__ = ["RelabelConfig", "RelabelStats", "RelabelledTrajectory", "Relabeler"]


@dataclass(frozen=True)
class RelabelledTrajectory:
    """A trajectory relabelled with an instruction it accomplished.

    Attributes:
        index: the trajectory's index in the batch.
        instruction: the new instruction.
        rewards: float32 per-step rewards (the embedding reward: 1 where the step's change text is similar enough).
        achievements: the achievements the instruction names (empty when open-ended).
        ground_truth: per-step ground-truth rewards of an achievement instruction, for evaluation (else None).
        source: always ``"relabelled"`` (the buffer's source label).
    """

    index: int
    instruction: str
    rewards: np.ndarray
    achievements: tuple[str, ...] = ()
    ground_truth: np.ndarray | None = None
    source: str = "relabelled"


@dataclass
class RelabelStats:
    """Counts over one :meth:`Relabeler.relabel` call.

    Attributes:
        trajectories: trajectories read by the LLM.
        proposed: list items in the answers (instructions parsed plus those dropped as off-format).
        off_format: answers' lines dropped by the parser (includes empty answers).
        duplicate: instructions dropped as duplicates.
        restating: instructions dropped as restating the state (:func:`~teduo_gym.relabel.filters.restates_state`).
        no_change: instructions dropped as naming nothing that changed.
        unsupported: instructions the trajectory does not support.
        kept: relabelled (trajectory, instruction) pairs.
        checked: kept pairs whose instruction has a ground-truth checker (it names achievements).
        agreed: checked pairs where the embedding reward and the ground truth agree (both fire or neither).
        reasons: how often each drop reason occurred.
    """

    trajectories: int = 0
    proposed: int = 0
    off_format: int = 0
    duplicate: int = 0
    restating: int = 0
    no_change: int = 0
    unsupported: int = 0
    kept: int = 0
    checked: int = 0
    agreed: int = 0
    reasons: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class RelabelConfig:
    """How to relabel.

    Example:
        >>> config = RelabelConfig(max_trajectories=8)
        >>> config.llm.chat, config.reward_threshold
        (False, 0.5)
        >>> relabeler = config.create()  # doctest: +SKIP
    """

    #: the proposing LLM (default: the embedded SmolLM2, prompted for plain completion; see FEW_SHOT_TEMPLATE).
    llm: LLMConfig = LLMConfig()
    #: LLM answers cache directory (None: cache_root()/relabel; "" for no disk cache).
    cache_dir: str | None = None
    #: trajectories the LLM reads per batch, failed first (None: all).
    max_trajectories: int | None = None
    #: instructions kept per answer.
    max_instructions: int = 5
    #: summary lines the LLM reads per trajectory.
    max_events: int = 12
    #: the longest answer, in tokens.
    max_new_tokens: int = 48
    #: achievement vocabulary for the matcher (trajectories name their own columns).
    achievements: tuple[str, ...] = CRAFTAX_CLASSIC_ACHIEVEMENTS
    #: the environment's words for the words of the achievement names (:class:`AchievementMatcher`'s ``synonyms``;
    #: Craftax's: ``knowledge_for("Craftax-Classic-Symbolic-v1").achievement_words``).
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: other ways of saying an achievement (:class:`AchievementMatcher`'s ``forms``).
    forms: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    #: instructions at least this similar are duplicates.
    duplicate_threshold: float = 0.9
    #: cosine similarity for the reward, and for supporting an open-ended instruction.
    reward_threshold: float = 0.5
    #: an instruction restates the state when this fraction of its content words are one state line's.
    restate_overlap: float = 0.8
    #: an instruction clause matches an achievement by embedding at this similarity.
    match_threshold: float = 0.75

    def create(self, embedder: TextEmbedder | None = None) -> Relabeler:
        """Build the relabeller (the LLM and the embedder are shared within the process)."""
        embedder = embedder if embedder is not None else shared_embedder()
        cache = (
            Path(self.cache_dir) if self.cache_dir else (cache_root() / "relabel" if self.cache_dir is None else None)
        )
        proposer = InstructionProposer(
            shared_backend(self.llm),
            cache_dir=cache,
            max_events=self.max_events,
            max_new_tokens=self.max_new_tokens,
            max_instructions=self.max_instructions,
        )
        matcher = AchievementMatcher(
            self.achievements, embedder, self.match_threshold, synonyms=self.synonyms, forms=self.forms
        )
        filter_ = InstructionFilter(
            embedder,
            matcher,
            duplicate_threshold=self.duplicate_threshold,
            support_threshold=self.reward_threshold,
            restate_overlap=self.restate_overlap,
        )
        return Relabeler(
            proposer, filter_, reward_threshold=self.reward_threshold, max_trajectories=self.max_trajectories
        )


class Relabeler:
    """Relabel a batch of trajectories with the open-ended instructions they accomplished (Zhang et al., 2025).

    The LLM reads the trajectories failed-first (at most ``max_trajectories``), proposes instructions, the filter
    drops duplicates, restatements of the state, instructions naming no change and unsupported ones, and each kept
    instruction gets the embedding reward on every step of its trajectory (on what changed at the step), plus the
    ground truth when it names achievements (counted in :attr:`RelabelStats.checked` and ``agreed``).

    Example:
        >>> from teduo_gym.relabel.synthetic import synthetic_trajectory
        >>> relabeler = RelabelConfig().create()  # doctest: +SKIP
        >>> relabelled, stats = relabeler.relabel([synthetic_trajectory(s) for s in range(4)])  # doctest: +SKIP
        >>> relabelled[0].instruction, relabelled[0].rewards.shape, stats.kept  # doctest: +SKIP
        ('collect wood', (60,), 7)
    """

    def __init__(
        self,
        proposer: InstructionProposer,
        filter: InstructionFilter,
        *,
        reward_threshold: float = 0.5,
        max_trajectories: int | None = None,
    ):
        self.proposer = proposer
        self.filter = filter
        self.reward_threshold = reward_threshold
        self.max_trajectories = max_trajectories

    def relabel(
        self, trajectories: Sequence[Trajectory], known: Sequence[str] = ()
    ) -> tuple[list[RelabelledTrajectory], RelabelStats]:
        """Relabel a batch; returns the relabelled trajectories (in the order read) and the counts. A proposal
        nearly the same as one of ``known`` (the buffer's instructions) takes its text.

        Raises:
            InstructionFormatError: no LLM answer in the batch held an instruction.
        """
        stats = RelabelStats()
        proposals = self.proposer.propose(trajectories, self.max_trajectories)
        stats.trajectories = len(proposals)
        out: list[RelabelledTrajectory] = []
        for proposal in proposals:
            trajectory = trajectories[proposal.index]
            off = [reason for _, reason in proposal.dropped]
            stats.off_format += len(off)
            stats.proposed += len(proposal.instructions) + sum(r != "empty answer" for r in off)
            verdict = self.filter.filter(trajectory, proposal.instructions, known)
            dropped = [reason for _, reason in verdict.dropped]
            stats.duplicate += sum(r == "duplicate" for r in dropped)
            stats.restating += sum(r == "restates the state" for r in dropped)
            stats.no_change += sum(r == "names no change" for r in dropped)
            stats.unsupported += sum(r.startswith("unsupported") for r in dropped)
            stats.reasons.update(off + [r.split(" (")[0] for r in dropped])
            if not verdict.kept:
                continue
            reward = EmbeddingReward(self.filter.embedder, [text for text, _ in verdict.kept], self.reward_threshold)
            rewards = reward(trajectory.change_texts).astype(np.float32)
            for column, (text, achievements) in enumerate(verdict.kept):
                truth = achievement_rewards(trajectory, achievements)
                if truth is not None:
                    stats.checked += 1
                    stats.agreed += bool(rewards[:, column].any()) == bool(truth.any())
                out.append(RelabelledTrajectory(proposal.index, text, rewards[:, column], achievements, truth))
        stats.kept = len(out)
        return out, stats
