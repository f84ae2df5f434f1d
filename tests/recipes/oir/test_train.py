"""Tiny OIR runs on real Craftax with the real MiniLM embedder: every arm trains, logs, checkpoints and resumes;
relabelled segments reach the learner through the replay.

The relabelling run uses a scripted LLM (the real SmolLM2 takes minutes per relabelling on 2 shared cores); the
rest of the relabeller (filter, matcher, embedding reward) is real.
"""

from __future__ import annotations

import csv
import json
import pickle

import jax
import numpy as np
import pytest

pytest.importorskip("craftax")

from teduo_gym.llm import shared_embedder  # noqa: E402
from teduo_gym.recipes.oir import ARMS, CheckpointMismatchError, OIRConfig, OIRTrainer, check_memory  # noqa: E402
from teduo_gym.recipes.oir.evaluate import ACHIEVEMENT_GOALS, ACHIEVEMENTS  # noqa: E402
from teduo_gym.recipes.oir.train import _Segment  # noqa: E402
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
    return config.run(arm, seed=0)


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


def test_relabel_arm_adds_instructions_and_replays_them(tmp_path):
    config = tiny(tmp_path, "relabel", updates=3)
    trainer = OIRTrainer(config, relabeler=scripted_relabeler())
    summary = trainer.train()
    totals = summary["relabel"]
    assert totals["kept"] > 0 and totals["hindsight_steps"] > 0 and totals["ground_truth_segments"] == 0
    assert sum(e.relabelled for e in trainer.buffer.entries.values()) == totals["kept"]
    # Relabelled after updates 1 and 2, so updates 2 and 3 drew replay_columns (1) segments each.
    assert 0 < totals["replayed_steps"] <= 2 * config.rollout_steps
    assert json.loads((config.out / "summary.json").read_text())["relabel"] == totals
    with open(config.out / "curve.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["replayed_steps"]) for r in rows][0] == 0 and int(rows[-1]["replayed_steps"]) == totals[
        "replayed_steps"
    ]
    assert all(r["hindsight_segments"] for r in rows)
    saved = json.loads((config.out / "checkpoints" / "update-00000003" / "buffer.json").read_text())
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


@pytest.mark.parametrize("lr_decay", [False, True])
def test_resume_matches_an_uninterrupted_run(tmp_path, lr_decay):
    whole = OIRTrainer(tiny(tmp_path / "whole", "fixed", updates=3, lr_decay=lr_decay))
    whole.train()
    OIRTrainer(tiny(tmp_path / "parts", "fixed", updates=3, lr_decay=lr_decay)).train(max_updates=2)  # interrupted
    resumed = OIRTrainer(tiny(tmp_path / "parts", "fixed", updates=3, lr_decay=lr_decay))
    assert resumed.update == 2 and resumed.env_steps == 128
    resumed.train()
    assert resumed.env_steps == whole.env_steps == 192
    assert leaves_equal(resumed.params, whole.params)
    assert resumed.buffer.entries == whole.buffer.entries
    with open(tmp_path / "parts" / "fixed" / "seed-0" / "curve.csv") as f:
        assert [int(r["update"]) for r in csv.DictReader(f)] == [1, 2, 3]


def test_resume_refuses_other_settings(tmp_path):
    OIRTrainer(tiny(tmp_path, "fixed", updates=1)).train()
    with pytest.raises(CheckpointMismatchError, match="lr"):
        OIRTrainer(tiny(tmp_path, "fixed", updates=1, lr=1e-3))


def test_a_checkpoint_from_before_a_setting_resumes_at_its_former_behaviour(tmp_path):
    OIRTrainer(tiny(tmp_path, "fixed", updates=1)).train()
    (checkpoint,) = (tmp_path / "fixed" / "seed-0" / "checkpoints").iterdir()
    state = pickle.loads((checkpoint / "state.pkl").read_bytes())
    del state["fingerprint"]["lr_decay"]  # as written before lr_decay existed
    (checkpoint / "state.pkl").write_bytes(pickle.dumps(state))
    assert OIRTrainer(tiny(tmp_path, "fixed", updates=1)).update == 1
    with pytest.raises(CheckpointMismatchError, match="lr_decay"):
        OIRTrainer(tiny(tmp_path, "fixed", updates=1, lr_decay=True))


def test_unknown_settings_and_a_batch_too_big(tmp_path):
    path = tmp_path / "oir.json"
    path.write_text('{"num_envs": 4, "rollout_len": 8}')
    with pytest.raises(ValueError, match=r"unknown settings \['rollout_len'\]; known: .*'rollout_steps'"):
        OIRConfig.from_file(path)
    with pytest.raises(MemoryError, match="OIR's rollouts .* lower num_envs"):
        check_memory(OIRConfig(num_envs=2048, rollout_steps=256, total_env_steps=2**20, max_memory_bytes=2**30))
    with pytest.raises(MemoryError):
        OIRTrainer(tiny(tmp_path, "fixed", max_memory_bytes=2**20))


def test_resume_of_a_relabelling_run_replays_the_same_segments(tmp_path):
    whole = OIRTrainer(tiny(tmp_path / "whole", "relabel", updates=3), relabeler=scripted_relabeler())
    whole.train()
    OIRTrainer(tiny(tmp_path / "parts", "relabel", updates=3), relabeler=scripted_relabeler()).train(max_updates=2)
    resumed = OIRTrainer(tiny(tmp_path / "parts", "relabel", updates=3), relabeler=scripted_relabeler())
    assert len(resumed.replay) > 0
    resumed.train()
    assert resumed.relabel_totals == whole.relabel_totals and resumed.relabel_totals["replayed_steps"] > 0
    assert leaves_equal(resumed.params, whole.params)


def test_ground_truth_hindsight_relabels_each_unlocked_achievement(tmp_path):
    """A segment that unlocked collect_wood at step 5 (told to eat a cow) becomes a replay column for "collect
    wood": trained on from its start to step 5, rewarded and ended there; its own instruction is not relabelled."""
    trainer = OIRTrainer(tiny(tmp_path, "ground_truth", updates=1))
    assert trainer.relabeler is None
    rollout, _ = trainer._rollout(describe=False)
    wood, table = ACHIEVEMENTS.index("collect_wood"), ACHIEVEMENTS.index("place_table")
    segments = [
        _Segment(env=2, instruction=ACHIEVEMENT_GOALS[ACHIEVEMENTS.index("eat_cow")], start=3, unlocked=[(5, wood)]),
        _Segment(env=1, instruction=ACHIEVEMENT_GOALS[table], start=0, unlocked=[(7, table)]),
    ]
    row = trainer._relabel(rollout, segments, llm=False)
    assert row == {"hindsight_segments": 1} and len(trainer.replay) == 1
    column = trainer.replay.sample(1)
    assert column.mask[:, 0].tolist() == [float(3 <= t <= 5) for t in range(16)]
    assert column.reward[:, 0].tolist() == [float(t == 5) for t in range(16)]
    assert column.done[3:, 0].tolist() == [float(t == 5) for t in range(3, 16)]
    np.testing.assert_array_equal(column.done[:3, 0], rollout.done[:3, 2])  # before the segment: its world's own
    np.testing.assert_array_equal(column.observation[:, 0], rollout.observation[:, 2])
    np.testing.assert_allclose(column.instruction[0, 0], trainer.embedder.embed([ACHIEVEMENT_GOALS[wood]])[0])
    assert trainer.relabel_totals["ground_truth_segments"] == 1 and trainer.relabel_totals["hindsight_steps"] == 3


def test_a_segment_relabels_only_what_it_gained():
    held, gained = np.zeros(len(ACHIEVEMENTS), bool), np.zeros(len(ACHIEVEMENTS), bool)
    held[0] = gained[0] = gained[1] = True  # collect_wood before the segment, place_table during it
    seg = _Segment(0, "eat cow", 0, before=held, texts=["a", "b"], achievements=[held, gained])
    assert seg.trajectory().gained == [(1, "place_table")]


def test_a_world_draws_only_instructions_it_has_not_achieved(tmp_path):
    """Craftax unlocks an achievement once per world episode: a world that holds collect_wood and place_table is
    never told to do either again (before the fix such a draw held the world, unrewarded, until its end)."""
    trainer = OIRTrainer(tiny(tmp_path, "fixed", updates=1))
    wood, table = ACHIEVEMENTS.index("collect_wood"), ACHIEVEMENTS.index("place_table")
    trainer.world_achievements[:] = False
    trainer.world_achievements[:2, [wood, table]] = True
    for _ in range(30):
        trainer._assign(np.arange(4))
        drawn = trainer.instructions
        assert not {ACHIEVEMENT_GOALS[wood], ACHIEVEMENT_GOALS[table]} & set(drawn[:2])
        assert not trainer.done_before.any()
    old = OIRTrainer(tiny(tmp_path / "old", "fixed", updates=1, draw_unachieved=False))
    old.world_achievements[:] = True
    old._assign(np.arange(4))
    assert old.done_before.all()  # every draw is already achieved, so it can never be rewarded


@pytest.mark.parametrize("arm", ARMS)
def test_every_arm_trains_at_a_tiny_budget(tmp_path, arm):
    relabeler = scripted_relabeler() if arm in ("relabel", "relabel_ground_truth") else None
    trainer = OIRTrainer(tiny(tmp_path, arm, updates=2, replay_ratio=0.5), relabeler=relabeler)
    summary = trainer.train()
    assert summary["env_steps"] == 128
    assert trainer.config.replay_columns == (0 if arm == "fixed" else 2)
    if arm == "fixed":
        assert summary["relabel"]["replayed_steps"] == summary["relabel"]["hindsight_steps"] == 0
    if arm == "ground_truth":
        assert summary["relabel"]["proposed"] == summary["relabel"]["llm_segments"] == 0
    if arm in ("relabel", "relabel_ground_truth"):
        assert summary["relabel"]["proposed"] > 0
