"""InstructionBuffer: priorities, temperature, seeded sampling, JSON save/load for resume."""

from __future__ import annotations

import numpy as np
import pytest

from teduo_gym.relabel import InstructionBuffer

FIXED = ["collect wood", "place table", "eat cow"]


def trained(priority: str, temperature: float = 1.0, seed: int = 0) -> InstructionBuffer:
    buffer = InstructionBuffer(priority=priority, temperature=temperature, seed=seed)
    buffer.add(FIXED, source="fixed")
    for _ in range(20):
        buffer.update("collect wood", True)  # mastered
        buffer.update("eat cow", False)  # never learnt
    for k in range(20):
        buffer.update("place table", k >= 10)  # being learnt now
    return buffer


def test_low_success_prefers_failures():
    p = trained("low_success").probabilities()
    assert p[2] > p[1] > p[0]


def test_learning_progress_prefers_what_changes():
    p = trained("learning_progress").probabilities()
    assert p[1] > p[0] and p[1] > p[2]


def test_unattempted_first_and_temperature():
    buffer = trained("low_success")
    buffer.add(["place a table next to water"])
    p = buffer.probabilities()
    assert p[3] == p.max() > p[1]
    greedy, flat = trained("low_success", 0.2).probabilities(), trained("low_success", 5.0).probabilities()
    assert greedy.max() > flat.max() and flat.min() > greedy.min()


def test_sources_and_relabel_counts():
    buffer = trained("low_success")
    buffer.add(["collect wood", "drink water", "drink water"], source="relabelled")
    assert buffer.entries["collect wood"].source == "fixed"
    assert buffer.entries["drink water"].relabelled == 2
    assert buffer.stats()["relabelled"] == 1 and buffer.stats()["fixed"] == 3


def test_seeded_and_resumable(tmp_path):
    a, b = trained("learning_progress", seed=7), trained("learning_progress", seed=7)
    assert a.sample(50) == b.sample(50)
    assert trained("learning_progress", seed=8).sample(50) != trained("learning_progress", seed=7).sample(50)
    a.save(tmp_path / "buffer.json")
    resumed = InstructionBuffer.load(tmp_path / "buffer.json")
    np.testing.assert_allclose(resumed.probabilities(), a.probabilities())
    assert resumed.sample(30) == a.sample(30)
    assert resumed.entries == a.entries


def test_errors():
    with pytest.raises(ValueError, match="empty"):
        InstructionBuffer().sample(1)
    with pytest.raises(ValueError, match="temperature"):
        InstructionBuffer(temperature=0)


def test_available_restricts_each_draw_and_keeps_the_proportions():
    buffer = trained("low_success", seed=3)
    allowed = np.tile([True, True, False], (4000, 1))
    allowed[:1000] = [True, False, False]  # one choice
    allowed[1000:1500] = False  # none: drawn among all
    picks = buffer.sample(4000, allowed)
    assert set(picks[:1000]) == {"collect wood"}
    assert "eat cow" not in picks[1500:] and "eat cow" in picks[1000:1500]
    p = buffer.probabilities()
    share = np.mean([x == "place table" for x in picks[1500:]])
    assert abs(share - p[1] / (p[0] + p[1])) < 0.03
    with pytest.raises(ValueError, match="shape"):
        buffer.sample(2, np.ones((2, 2), bool))
