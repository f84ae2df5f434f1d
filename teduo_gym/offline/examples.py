"""The fine-tuning dataset of TEDUO step 3, from labelled offline data.

- :func:`goal_mdps` -- one :class:`~teduo_gym.offline.GoalMDP` per goal of a label table: transitions between the
  goal's abstract states, rewarded by its labels.
- :func:`action_examples` -- Q-iteration for all goals at once, then greedy rollouts through the empirical
  dynamics from every abstract state the data visits; each step of a rollout that reaches its goal becomes one
  ``(goal, abstract state text, action word)`` example for closed-loop acting.
- :func:`sharded_action_examples` -- the same from a dataset and a label table, goals in shards on an executor
  (this process, local processes or Ray), each shard saved as it finishes; the result does not depend on the
  executor, the shard size or interruptions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from teduo_gym.core.digest import digest
from teduo_gym.core.executor import ExecutorConfig, ShardFiles, run_shards
from teduo_gym.datasets.examples import ActionExample, ActionSequence, write_examples
from teduo_gym.datasets.transitions import TransitionDataset
from teduo_gym.envs import GoalSchema, knowledge_for
from teduo_gym.labeling.abstraction import abstract
from teduo_gym.labeling.table import LabelTable
from teduo_gym.offline.distill import EmpiricalModel, greedy_rollouts
from teduo_gym.offline.tabular import GoalMDP, TabularQ, TabularQConfig

__all__ = ["GoalData", "action_examples", "goal_mdps", "sharded_action_examples"]


@dataclass(frozen=True)
class GoalData:
    """One goal's MDP over its abstract states, with a text per abstract state and, from :func:`goal_mdps`, the
    abstract state vectors (``vectors[k]`` is state ``k``; what deep offline RL and acting online read)."""

    goal: str
    mdp: GoalMDP
    texts: list[str]
    vectors: np.ndarray | None = None


def goal_mdps(
    data: TransitionDataset, table: LabelTable, abstraction: GoalSchema, goals: Sequence[int] | None = None
) -> list[GoalData]:
    """Abstract ``data`` with each goal's choice (from ``table.choices``) and attach the goal's labels; ``goals``
    picks rows of the table (all by default)."""
    table.check_data(data)
    result = []
    for g in range(len(table.goals)) if goals is None else goals:
        views = abstract(abstraction, data.states, table.choices[g])
        rewards = table.labels[g].toarray().ravel().astype(bool)
        mdp = GoalMDP(views.ids[data.src], data.actions, views.ids[data.dst], rewards, len(views.vectors))
        result.append(GoalData(table.goals[g], mdp, views.texts, views.vectors))
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
        max_starts: at most this many start states per goal (sampled with ``seed`` and the goal); all by default.
        seed: start-state sampling seed.
        sequences_path: also write every successful rollout there as a whole :class:`ActionSequence` (JSONL).
    """
    sequences, stats = _goal_rollouts(goals, action_words, config, max_steps, max_starts, seed)
    return _examples(sequences, sequences_path), stats


def sharded_action_examples(
    data: TransitionDataset,
    table: LabelTable,
    action_words: Sequence[str],
    *,
    config: TabularQConfig | None = None,
    max_steps: int = 64,
    max_starts: int | None = None,
    seed: int = 0,
    sequences_path: str | Path | None = None,
    goals_per_shard: int = 8,
    executor: ExecutorConfig | None = None,
    parts: str | Path | None = None,
    progress: bool = True,
) -> tuple[list[ActionExample], dict[str, Any]]:
    """:func:`action_examples` for every goal of ``table`` (abstracted as ``data``'s registered abstraction does),
    the goals cut into shards of ``goals_per_shard`` that run on ``executor``.

    Each goal's Q-table and rollouts depend on that goal alone, so the result is the same on any executor and for
    any shard size. With ``parts`` (a folder) each shard's result is saved as it finishes and a rerun loads it.
    """
    settings = {
        "config": asdict(config or TabularQConfig()),
        "max_steps": max_steps,
        "max_starts": max_starts,
        "seed": seed,
        "action_words": list(action_words),
    }
    shards = [range(i, min(i + goals_per_shard, len(table.goals))) for i in range(0, len(table.goals), goals_per_shard)]
    key = hashlib.blake2b(json.dumps(settings, sort_keys=True).encode(), digest_size=16)
    for part in (
        data.fingerprint(),
        table.labels.indptr,
        table.labels.indices,
        json.dumps([table.goals, table.choices]),
    ):
        key.update(part.encode() if isinstance(part, str) else np.ascontiguousarray(part).tobytes())
    key.update(str(goals_per_shard).encode())
    store = ShardFiles(parts, key.hexdigest()) if parts is not None else None
    results = run_shards(
        _rollout_shard, (data, table, settings), shards, executor, store=store, desc="offline RL", progress=progress
    )
    sequences = [s for shard_sequences, _ in results for s in shard_sequences]
    stats = {goal: found for _, shard_stats in results for goal, found in shard_stats.items()}
    return _examples(sequences, sequences_path), stats


def _rollout_shard(
    shared: tuple[TransitionDataset, LabelTable, dict[str, Any]], goals: Sequence[int]
) -> tuple[list[ActionSequence], dict[str, Any]]:
    """One shard of :func:`sharded_action_examples` on a worker."""
    data, table, settings = shared
    config = TabularQConfig(**settings["config"])
    goal_data = goal_mdps(data, table, knowledge_for(data.env_id).goal_schema(data.state_layout), goals)
    return _goal_rollouts(
        goal_data, settings["action_words"], config, settings["max_steps"], settings["max_starts"], settings["seed"]
    )


def _goal_rollouts(
    goals: Sequence[GoalData],
    action_words: Sequence[str],
    config: TabularQConfig | None,
    max_steps: int,
    max_starts: int | None,
    seed: int,
) -> tuple[list[ActionSequence], dict[str, Any]]:
    """Q-iteration for the goals reached in the data, then greedy rollouts from their start states: the successful
    rollouts as whole sequences, and per-goal statistics. A goal's results depend on that goal only."""
    n_actions = len(action_words)
    reached = [g for g in goals if g.mdp.rewards.any()]
    tables = TabularQ(config, n_actions=n_actions).fit([g.mdp for g in reached])
    sequences: list[ActionSequence] = []
    stats: dict[str, Any] = {g.goal: {"reached": False} for g in goals}
    for goal, table in zip(reached, tables):
        starts = np.unique(goal.mdp.src)
        if max_starts is not None and len(starts) > max_starts:
            rng = np.random.default_rng([seed, int(digest(goal.goal, size=8), 16)])
            starts = np.sort(rng.choice(starts, size=max_starts, replace=False))
        rollouts = greedy_rollouts(table, EmpiricalModel.fit(goal.mdp, n_actions), starts, max_steps)
        successes = [r for r in rollouts if r.success]
        for r in successes:
            words = tuple(action_words[a] for a in r.actions)
            texts = tuple(goal.texts[s] for s in r.states[: len(words)])
            sequences.append(ActionSequence(goal.goal, texts[0], words[0], words, texts))
        stats[goal.goal] = {
            "reached": True,
            "abstract_states": goal.mdp.n_states,
            "starts": int(len(starts)),
            "successful_rollouts": len(successes),
            "mean_length": float(np.mean([len(r.actions) for r in successes])) if successes else None,
        }
    return sequences, stats


def _examples(sequences: Sequence[ActionSequence], sequences_path: str | Path | None) -> list[ActionExample]:
    """The distinct steps of ``sequences`` (first occurrence first); the sequences are written to
    ``sequences_path`` when given."""
    examples: dict[tuple[str, str, str], ActionExample] = {}
    for sequence in sequences:
        for example in sequence.steps():
            examples.setdefault((example.goal, example.state, example.action), example)
    if sequences_path is not None:
        write_examples(sequences_path, sequences)
    return list(examples.values())
