"""OIRConfig: arms, seeds, the replay ratio and the runs a config makes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from teduo_gym.recipes.oir import ARMS, OIRConfig


def test_the_four_arms_and_what_each_relabels():
    config = OIRConfig(num_envs=8, rollout_steps=4, total_env_steps=64, replay_ratio=0.5)
    flags = {
        arm: (
            config.run(arm, 0).llm_relabel,
            config.run(arm, 0).ground_truth_relabel,
            config.run(arm, 0).replay_columns,
        )
        for arm in ARMS
    }
    assert flags == {
        "fixed": (False, False, 0),
        "ground_truth": (False, True, 4),
        "relabel": (True, False, 4),
        "relabel_ground_truth": (True, True, 4),
    }


def test_invalid_arms_seeds_and_ratios_are_one_line_errors():
    with pytest.raises(ValueError, match=r"arms must be a non-empty subset of \['fixed', 'ground_truth', 'relabel', "):
        OIRConfig(arms=("relabel", "llm"))
    with pytest.raises(ValueError, match="seeds must be a non-empty list of distinct seeds"):
        OIRConfig(seeds=(1, 1))
    with pytest.raises(ValueError, match="replay_ratio must be >= 0"):
        OIRConfig(replay_ratio=-0.1)
    with pytest.raises(ValueError, match=r"minibatches \(4\) must divide the update's columns x rollout_steps \(5 x 1"):
        OIRConfig(num_envs=4, rollout_steps=1, minibatches=4, replay_ratio=0.25, total_env_steps=8)
    OIRConfig(arms=("fixed",), num_envs=4, rollout_steps=1, minibatches=4, replay_ratio=0.25, total_env_steps=8)
    with pytest.raises(ValueError, match="a run has one seed"):
        _ = OIRConfig(seeds=(0, 1)).seed


def test_seeds_from_a_file_make_one_run_per_arm_and_seed(tmp_path):
    path = tmp_path / "oir.json"
    path.write_text(json.dumps({"arms": ["fixed", "ground_truth"], "seeds": [0, 1, 2], "out": "runs/x"}))
    config = OIRConfig.from_file(path)
    runs = [config.run(arm, seed) for arm in config.arms for seed in config.seeds]
    assert [r.out for r in runs][:2] == [Path("runs/x/fixed/seed-0"), Path("runs/x/fixed/seed-1")]
    assert {r.seed for r in runs} == {0, 1, 2} and len(runs) == 6
    # A run's seed is part of what its checkpoint must match.
    assert runs[0].fingerprint()["seeds"] == [0] and runs[1].fingerprint()["seeds"] == [1]


def test_the_example_configs_load():
    examples = Path(__file__).parents[3] / "examples"
    configs = {path.name: OIRConfig.from_file(path) for path in sorted(examples.glob("oir-*.json"))}
    assert "oir-craftax-quick.json" in configs
    arms = configs["oir-craftax-arms.json"]
    assert arms.arms == ARMS and len(arms.seeds) == 3 and arms.replay_columns == 16
