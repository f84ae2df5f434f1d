"""The fine-tuning dataset of TEDUO step 3, from labelled offline data.

- :func:`goal_mdps` -- one :class:`~teduo_gym.offline.GoalMDP` per goal of a label table: transitions between the
  goal's abstract states, rewarded by its labels.
- :func:`action_examples` -- Q-iteration for all goals at once, then greedy rollouts through the empirical
  dynamics from every abstract state the data visits; each step of a rollout that reaches its goal becomes one
  ``(goal, abstract state text, action word)`` example for closed-loop acting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from teduo_gym.datasets.transitions import TransitionDataset
from teduo_gym.finetune.examples import ActionExample, ActionSequence, write_examples
from teduo_gym.labeling.abstraction import GoalAbstraction, abstract
from teduo_gym.labeling.table import LabelTable
from teduo_gym.offline.distill import EmpiricalModel, greedy_rollouts
from teduo_gym.offline.tabular import GoalMDP, TabularQ, TabularQConfig

__all__ = ["GoalData", "action_examples", "goal_mdps"]


@dataclass(frozen=True)
class GoalData:
    """One goal's MDP over its abstract states, with a text per abstract state and, from :func:`goal_mdps`, the
    abstract state vectors (``vectors[k]`` is state ``k``; what deep offline RL and acting online read)."""

    goal: str
    mdp: GoalMDP
    texts: list[str]
    vectors: np.ndarray | None = None


def goal_mdps(data: TransitionDataset, table: LabelTable, abstraction: GoalAbstraction) -> list[GoalData]:
    """Abstract ``data`` with each goal's choice (from ``table.choices``) and attach the goal's labels."""
    table.check_data(data)
    result = []
    for g, goal in enumerate(table.goals):
        views = abstract(abstraction, data.states, table.choices[g])
        rewards = table.labels[g].toarray().ravel().astype(bool)
        mdp = GoalMDP(views.ids[data.src], data.actions, views.ids[data.dst], rewards, len(views.vectors))
        result.append(GoalData(goal, mdp, views.texts, views.vectors))
    return result


def action_examples(
    goals: Sequence[GoalData],
    action_words: Sequence[str],
    *,
    config: TabularQConfig | None = None,
    max_steps: int = 64,
    max_starts: int | None = None,
    seed: int = 0,
    sequences_path: str | Path | None = None,
) -> tuple[list[ActionExample], dict[str, Any]]:
    """Examples of acting optimally (under the offline Q-tables) for every goal, and statistics per goal.

    Goals whose labels never fire in the data are skipped and reported (``"reached": False``).

    Args:
        goals: per-goal MDPs and texts (see :func:`goal_mdps`).
        action_words: the environment's actions as words.
        config: Q-iteration settings (TEDUO's by default).
        max_steps: longest rollout.
        max_starts: at most this many start states per goal (sampled with ``seed``); all by default.
        seed: start-state sampling seed.
        sequences_path: also write every successful rollout there as a whole :class:`ActionSequence` (JSONL).
    """
    n_actions = len(action_words)
    reached = [g for g in goals if g.mdp.rewards.any()]
    tables = TabularQ(config, n_actions=n_actions).fit([g.mdp for g in reached])
    rng = np.random.default_rng(seed)
    examples: dict[tuple[str, str, str], ActionExample] = {}
    sequences: list[ActionSequence] = []
    stats: dict[str, Any] = {g.goal: {"reached": False} for g in goals}
    for goal, table in zip(reached, tables):
        starts = np.unique(goal.mdp.src)
        if max_starts is not None and len(starts) > max_starts:
            starts = np.sort(rng.choice(starts, size=max_starts, replace=False))
        rollouts = greedy_rollouts(table, EmpiricalModel.fit(goal.mdp, n_actions), starts, max_steps)
        successes = [r for r in rollouts if r.success]
        for r in successes:
            words = tuple(action_words[a] for a in r.actions)
            texts = tuple(goal.texts[s] for s in r.states[: len(words)])
            sequences.append(ActionSequence(goal.goal, texts[0], words[0], words, texts))
            for example in sequences[-1].steps():
                examples.setdefault((example.goal, example.state, example.action), example)
        stats[goal.goal] = {
            "reached": True,
            "abstract_states": goal.mdp.n_states,
            "starts": int(len(starts)),
            "successful_rollouts": len(successes),
            "mean_length": float(np.mean([len(r.actions) for r in successes])) if successes else None,
        }
    if sequences_path is not None:
        write_examples(sequences_path, sequences)
    return list(examples.values()), stats
