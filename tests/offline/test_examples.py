"""TEDUO step 3 on real minigrid data: ground-truth labels, oracle abstraction choices, no LLM needed."""

import json

import numpy as np
import pytest

from teduo_gym.collection import CollectConfig, collect
from teduo_gym.datasets import load_dataset, load_ground_truth
from teduo_gym.envs import knowledge_for
from teduo_gym.envs.babyai.actions import ACTION_WORDS
from teduo_gym.labeling import LabelTable
from teduo_gym.offline.examples import action_examples, goal_mdps


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    out = tmp_path_factory.mktemp("data") / "d"
    collect(CollectConfig(env="BabyAI-GoToLocal-v0", policy="bot", layouts=4, episodes_per_layout=4, out=out), False)
    data, truth = load_dataset(out), load_ground_truth(out)
    counts = np.asarray(truth.achieved.sum(axis=0)).ravel()
    goals = [truth.goals[i] for i in np.argsort(-counts)[:3]] + ["put the red ball next to the blue box"]
    abstraction = knowledge_for(data.env_id).goal_schema(data.state_layout)
    labels = truth.achieved[:, [truth.goals.index(g) for g in goals]].T.tocsr()
    table = LabelTable(
        goals, labels, data.fingerprint(), "ground truth", choices=[abstraction.oracle_choice(g) for g in goals]
    )
    return data, table, abstraction


def test_examples_come_from_successful_greedy_rollouts(labelled, tmp_path):
    data, table, abstraction = labelled
    goals = goal_mdps(data, table, abstraction)
    examples, stats = action_examples(goals, ACTION_WORDS, sequences_path=tmp_path / "seq.jsonl")
    reached = [g for g in table.goals if stats[g]["reached"]]
    assert len(reached) == 3 and not stats["put the red ball next to the blue box"]["reached"]
    for goal in reached:
        assert stats[goal]["successful_rollouts"] > 0
        assert {e.goal for e in examples if e.goal == goal}
    assert {e.action for e in examples} <= set(ACTION_WORDS)
    texts = {t for g in goals for t in g.texts}
    assert all(e.state in texts for e in examples)
    # the whole sequences: one per successful rollout, made of exactly the per-step examples
    lines = [json.loads(line) for line in (tmp_path / "seq.jsonl").read_text().splitlines()]
    assert len(lines) == sum(stats[g]["successful_rollouts"] for g in reached)
    steps = {(line["goal"], s, a) for line in lines for s, a in zip(line["states"], line["actions"])}
    assert steps == {(e.goal, e.state, e.action) for e in examples}
    assert all(len(line["states"]) == len(line["actions"]) and line["episode"] is None for line in lines)


def test_the_start_cap_and_a_mismatched_table(labelled):
    data, table, abstraction = labelled
    goals = goal_mdps(data, table, abstraction)
    _, stats = action_examples(goals, ACTION_WORDS, max_starts=5)
    assert all(s["starts"] <= 5 for s in stats.values() if s["reached"])
    other = LabelTable(table.goals, table.labels, "not-this-data", "ground truth", choices=table.choices)
    with pytest.raises(ValueError, match="other data"):
        goal_mdps(data, other, abstraction)


def test_sharded_examples_equal_the_unsharded_ones_on_any_executor(labelled, tmp_path):
    from teduo_gym.core.executor import ExecutorConfig
    from teduo_gym.offline import sharded_action_examples

    data, table, abstraction = labelled
    expected = action_examples(goal_mdps(data, table, abstraction), ACTION_WORDS, max_starts=6, seed=3)
    for per_shard, executor in ((1, None), (3, ExecutorConfig(workers=2))):
        got = sharded_action_examples(
            data,
            table,
            ACTION_WORDS,
            max_starts=6,
            seed=3,
            goals_per_shard=per_shard,
            executor=executor,
            progress=False,
        )
        assert got == expected
    # saved shards: a rerun loads them and runs nothing (an unreachable Ray cluster would fail if it ran anything)
    parts = tmp_path / "parts"
    first = sharded_action_examples(data, table, ACTION_WORDS, goals_per_shard=2, parts=parts, progress=False)
    assert sorted(p.name for p in parts.iterdir()) == ["shard-00000.pkl", "shard-00001.pkl"]
    nowhere = ExecutorConfig(kind="ray", address="127.0.0.1:9")
    again = sharded_action_examples(
        data, table, ACTION_WORDS, goals_per_shard=2, parts=parts, executor=nowhere, progress=False
    )
    assert again == first
    with pytest.raises(ValueError, match="made by other work"):  # other settings, same folder
        sharded_action_examples(data, table, ACTION_WORDS, goals_per_shard=2, max_steps=5, parts=parts, progress=False)
