"""Relabeler: counts with scripted answers, and the whole step with the real SmolLM2 and MiniLM."""

from __future__ import annotations

import numpy as np

from teduo_gym.llm.config import LLMConfig
from teduo_gym.relabel import (
    CRAFTAX_CLASSIC_ACHIEVEMENTS,
    AchievementMatcher,
    InstructionBuffer,
    InstructionFilter,
    InstructionProposer,
    RelabelConfig,
    Relabeler,
)
from teduo_gym.relabel.proposer import InstructionFormatError
from tests.relabel.conftest import ScriptedLLM


def test_counts(embedder, wood_table, craftax_words):
    answer = (
        "Here you go:\n- collect wood\n- Collect the wood\n- eat a cow\n- place a table\n"
        "- sail across the ocean on a boat\n- 42\n- drink water\n- facing a tree"
    )
    matcher = AchievementMatcher(CRAFTAX_CLASSIC_ACHIEVEMENTS, embedder, **craftax_words)
    proposer = InstructionProposer(ScriptedLLM([answer]), max_instructions=8)
    relabeler = Relabeler(proposer, InstructionFilter(embedder, matcher))
    relabelled, stats = relabeler.relabel([wood_table])
    assert (stats.trajectories, stats.proposed, stats.off_format) == (1, 9, 2)
    assert (stats.duplicate, stats.restating, stats.no_change, stats.unsupported) == (1, 1, 2, 1)
    assert stats.kept == 2 and stats.reasons["unsupported: collect_drink not achieved"] == 1
    # Both kept instructions name achievements, so the checker judges them; the embedding reward fires on both.
    assert (stats.checked, stats.agreed) == (2, 2)
    by_text = {r.instruction: r for r in relabelled}
    assert set(by_text) == {"collect wood", "place a table"}
    wood = by_text["collect wood"]
    assert wood.rewards.shape == (3,) and wood.rewards.dtype == np.float32 and wood.rewards.any()
    assert wood.ground_truth.tolist() == [False, True, False] and wood.achievements == ("collect_wood",)

    buffer = InstructionBuffer(seed=0)
    buffer.add(["collect wood"], source="fixed")
    buffer.add(r.instruction for r in relabelled)
    assert buffer.stats()["fixed"] == 1 and buffer.stats()["relabelled"] == 1


def test_real_models_end_to_end(smollm2, embedder, synthetic, tmp_path):
    llm = LLMConfig(batch_size=8)
    config = RelabelConfig(llm=llm, cache_dir=str(tmp_path), max_new_tokens=24, max_events=8, max_trajectories=1)
    relabeler = config.create(embedder)
    assert relabeler.proposer.backend is smollm2
    assert relabeler.proposer.prompt(synthetic[0]).endswith(f"- {synthetic[0].summary(8)[-1]}\nAccomplished:\n-")
    try:
        relabelled, stats = relabeler.relabel(synthetic)
    except InstructionFormatError as error:  # possible with a 135M model; the message must say which and why
        assert "SmolLM2" in str(error) and "an answer was" in str(error)
        return
    assert stats.trajectories == 1 and relabeler.proposer.generated == 1
    assert stats.kept == len(relabelled)
    assert stats.proposed == stats.off_format - stats.reasons["empty answer"] + stats.duplicate + stats.unsupported + (
        stats.kept
    )
    for r in relabelled:
        assert r.instruction == r.instruction.lower() and 0 < len(r.instruction.split()) <= 12
        assert r.rewards.shape == (len(synthetic[r.index].states),)
        if r.achievements:  # supported by the flags; the embedding reward may miss it (see Agreement)
            assert r.ground_truth.any()
        else:  # supported by the reward's own similarity test, so rewarded somewhere
            assert r.rewards.max() == 1.0
    again, stats_again = relabeler.relabel(synthetic)  # answered from the disk cache: no generation
    assert relabeler.proposer.generated == 1 and stats_again == stats and len(again) == len(relabelled)
