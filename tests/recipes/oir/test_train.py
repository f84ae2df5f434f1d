"""Tiny OIR runs on real Craftax with the real MiniLM embedder: both arms train, log, checkpoint and resume.

The relabelling run uses a scripted LLM (the real SmolLM2 takes minutes per relabelling on 2 shared cores); the
rest of the relabeller (filter, matcher, embedding reward) is real.
"""

from __future__ import annotations

import csv
import json

import jax
import numpy as np
import pytest

pytest.importorskip("craftax")

from teduo_gym.llm import shared_embedder  # noqa: E402
from teduo_gym.recipes.oir import CheckpointMismatchError, OIRConfig, OIRTrainer, check_memory  # noqa: E402
from teduo_gym.relabel import (  # noqa: E402
    AchievementMatcher,
    InstructionFilter,
    InstructionProposer,
    Relabeler,
)
from tests.relabel.conftest import ScriptedLLM  # noqa: E402


def tiny(tmp_path, arm: str, updates: int = 2, **overrides) -> OIRConfig:
    config = OIRConfig(
        out=tmp_path,
        num_envs=4,
        rollout_steps=16,
        total_env_steps=64 * updates,
        max_episode_steps=200,
        width=32,
        relabel_every=1,
        describe_every=4,
        log_every=1,
        checkpoint_every=1,
        **overrides,
    )
    return config.arm(arm)


def scripted_relabeler() -> Relabeler:
    embedder = shared_embedder()
    llm = ScriptedLLM(["- walk on the grass\n- look at a tree\n- collect wood"])
    proposer = InstructionProposer(llm, cache_dir=None)
    return Relabeler(proposer, InstructionFilter(embedder, AchievementMatcher(("collect_wood",), embedder)))


def leaves_equal(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def test_fixed_arm_writes_curve_and_checkpoint(tmp_path):
    config = tiny(tmp_path, "fixed")
    summary = OIRTrainer(config).train()
    assert summary["env_steps"] == 128 and summary["buffer"]["relabelled"] == 0
    with open(config.out / "curve.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["env_steps"]) for r in rows] == [64, 128]
    assert "success/collect_wood" in rows[0]
    assert (config.out / "checkpoints" / "update-00000002" / "buffer.json").is_file()


def test_relabel_arm_adds_instructions_and_trains_in_hindsight(tmp_path):
    config = tiny(tmp_path, "relabel")
    trainer = OIRTrainer(config, relabeler=scripted_relabeler())
    summary = trainer.train()
    assert summary["relabel"]["kept"] > 0 and summary["relabel"]["hindsight_steps"] > 0
    assert sum(e.relabelled for e in trainer.buffer.entries.values()) == summary["relabel"]["kept"]
    with open(config.out / "curve.csv") as f:
        rows = list(csv.DictReader(f))
    assert all(r["hindsight_loss"] for r in rows)
    saved = json.loads((config.out / "checkpoints" / "update-00000002" / "buffer.json").read_text())
    assert sum(e["relabelled"] for e in saved["entries"]) == summary["relabel"]["kept"]


def test_open_ended_instructions_are_rewarded_online_on_what_changed(tmp_path):
    """A world acting on "face a tree" succeeds at the step its text changes to facing a tree; "fly to the moon"
    never does."""
    trainer = OIRTrainer(tiny(tmp_path, "fixed", updates=2))
    trainer.buffer.entries.clear()
    trainer.buffer.add(["face a tree", "fly to the moon"], source="relabelled")
    trainer._assign(np.arange(trainer.config.num_envs))
    assert set(trainer.world_texts) == set(range(trainer.config.num_envs))
    trainer.instructions = ["face a tree", "face a tree", "fly to the moon", "fly to the moon"]
    trainer.train()
    tree, moon = trainer.buffer.entries["face a tree"], trainer.buffer.entries["fly to the moon"]
    assert tree.attempts > 0 and tree.successes > 0
    assert moon.successes == 0


def test_resume_matches_an_uninterrupted_run(tmp_path):
    whole = OIRTrainer(tiny(tmp_path / "whole", "fixed", updates=3))
    whole.train()
    OIRTrainer(tiny(tmp_path / "parts", "fixed", updates=3)).train(max_updates=2)  # interrupted
    resumed = OIRTrainer(tiny(tmp_path / "parts", "fixed", updates=3))
    assert resumed.update == 2 and resumed.env_steps == 128
    resumed.train()
    assert resumed.env_steps == whole.env_steps == 192
    assert leaves_equal(resumed.params, whole.params)
    assert resumed.buffer.entries == whole.buffer.entries
    with open(tmp_path / "parts" / "fixed" / "curve.csv") as f:
        assert [int(r["update"]) for r in csv.DictReader(f)] == [1, 2, 3]


def test_resume_refuses_other_settings(tmp_path):
    OIRTrainer(tiny(tmp_path, "fixed", updates=1)).train()
    with pytest.raises(CheckpointMismatchError, match="lr"):
        OIRTrainer(tiny(tmp_path, "fixed", updates=1, lr=1e-3))


def test_unknown_settings_and_a_batch_too_big(tmp_path):
    path = tmp_path / "oir.json"
    path.write_text('{"num_envs": 4, "rollout_len": 8}')
    with pytest.raises(ValueError, match=r"unknown settings \['rollout_len'\]; known: .*'rollout_steps'"):
        OIRConfig.from_file(path)
    with pytest.raises(MemoryError, match="OIR's rollouts .* lower num_envs"):
        check_memory(OIRConfig(num_envs=2048, rollout_steps=256, total_env_steps=2**20, max_memory_bytes=2**30))
    with pytest.raises(MemoryError):
        OIRTrainer(tiny(tmp_path, "fixed", max_memory_bytes=2**20))
