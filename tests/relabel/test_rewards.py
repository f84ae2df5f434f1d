"""Embedding reward (thresholds, vectorised), ground-truth checker, agreement."""

from __future__ import annotations

import numpy as np

from teduo_gym.relabel import Agreement, EmbeddingReward, achievement_rewards

STATES = [
    "inventory: wood 1; facing: tree; nearby: tree, grass",
    "facing: water; nearby: water, sand; vitals: drink 9",
    "facing: zombie; nearby: zombie, grass; vitals: health 7",
]
INSTRUCTIONS = ["collect wood", "drink water", "fight a zombie"]


def test_each_instruction_matches_its_own_state_best(embedder):
    sim = EmbeddingReward(embedder, INSTRUCTIONS).similarity(STATES)
    assert sim.shape == (3, 3)
    assert (sim.argmax(axis=0) == np.arange(3)).all()  # each instruction's best state is its own
    assert (sim.argmax(axis=1) == np.arange(3)).all()


def test_threshold_decides(embedder):
    sim = EmbeddingReward(embedder, INSTRUCTIONS).similarity(STATES)
    low, high = float(sim.min()) - 1e-3, float(sim.max()) + 1e-3
    assert EmbeddingReward(embedder, INSTRUCTIONS, threshold=low)(STATES).all()
    assert not EmbeddingReward(embedder, INSTRUCTIONS, threshold=high)(STATES).any()
    diagonal = float(np.diag(sim).min())
    off = float((sim - np.eye(3) * 10).max())
    if diagonal > off:  # a threshold between them rewards exactly the own states
        rewards = EmbeddingReward(embedder, INSTRUCTIONS, threshold=(diagonal + off) / 2)(STATES)
        np.testing.assert_array_equal(rewards, np.eye(3, dtype=bool))


def test_batched_equals_per_state(embedder):
    reward = EmbeddingReward(embedder, INSTRUCTIONS)
    batched = reward.similarity(STATES)
    single = np.vstack([reward.similarity([s]) for s in STATES])
    np.testing.assert_allclose(batched, single, atol=1e-5)


def test_ground_truth_checker(wood_table):
    assert achievement_rewards(wood_table, ["collect_wood"]).tolist() == [False, True, False]
    assert achievement_rewards(wood_table, ["place_table"]).tolist() == [False, False, True]
    assert achievement_rewards(wood_table, ["eat_cow"]).tolist() == [False, False, False]
    assert achievement_rewards(wood_table, ["defeat_dragon"]) is None
    assert achievement_rewards(wood_table, []) is None


def test_agreement_with_ground_truth(embedder, wood_table):
    reward = EmbeddingReward(embedder, ["collect wood"], threshold=0.5)
    agreement = Agreement()
    agreement.add(reward(wood_table.states)[:, 0], achievement_rewards(wood_table, ["collect_wood"]))
    assert agreement.true_positive + agreement.false_negative == 1
    assert 0.0 <= agreement.accuracy <= 1.0
