"""Open-ended instruction relabelling (OIR, Zhang et al. 2025): an LLM names what trajectories accomplished.

- :class:`Trajectory` -- the text of an episode, its achievement flags and outcome (environment-agnostic);
  :func:`state_changes` / :func:`split_state` -- what changed between two state texts.
- :class:`InstructionProposer` -- the LLM reads failed trajectories first and proposes instructions.
- :class:`InstructionFilter` -- drops duplicates (exact, by embedding; near copies of known instructions take
  their text), restatements of the state (:func:`restates_state`), instructions naming no change
  (:func:`changed_words`) and instructions a trajectory does not support.
- :class:`AchievementMatcher` -- instruction -> achievements (keywords, embedding fallback).
- :class:`EmbeddingReward`, :func:`achievement_rewards`, :class:`Agreement` -- the paper's similarity reward,
  the ground truth for evaluation, and how well they agree.
- :class:`InstructionBuffer` -- instructions with prioritised, seeded sampling; JSON save/load.
- :class:`Relabeler`, :class:`RelabelConfig` -- the whole step: ``relabel(trajectories) -> (relabelled, stats)``.
"""

from teduo_gym.relabel.achievements import CRAFTAX_CLASSIC_ACHIEVEMENTS, AchievementMatcher
from teduo_gym.relabel.buffer import BufferEntry, InstructionBuffer
from teduo_gym.relabel.filters import InstructionFilter, Verdict, changed_words, restates_state
from teduo_gym.relabel.proposer import InstructionFormatError, InstructionProposer, Proposal, parse_instructions
from teduo_gym.relabel.relabeler import RelabelConfig, Relabeler, RelabelledTrajectory, RelabelStats
from teduo_gym.relabel.rewards import Agreement, EmbeddingReward, achievement_rewards
from teduo_gym.relabel.trajectory import Trajectory, split_state, state_changes

__all__ = [
    "CRAFTAX_CLASSIC_ACHIEVEMENTS",
    "AchievementMatcher",
    "Agreement",
    "BufferEntry",
    "EmbeddingReward",
    "InstructionBuffer",
    "InstructionFilter",
    "InstructionFormatError",
    "InstructionProposer",
    "Proposal",
    "RelabelConfig",
    "RelabelStats",
    "Relabeler",
    "RelabelledTrajectory",
    "Trajectory",
    "split_state",
    "state_changes",
    "Verdict",
    "achievement_rewards",
    "changed_words",
    "parse_instructions",
    "restates_state",
]
